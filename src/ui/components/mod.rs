pub mod annotated;
pub mod app;
pub mod inspectors;
pub mod reply_meaning;
pub mod transcript;
