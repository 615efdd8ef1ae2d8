pub mod app;
pub mod reply_meaning;
pub mod transcript;
