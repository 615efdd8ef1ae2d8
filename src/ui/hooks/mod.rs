//! The player's custom hooks: playback timing, keyboard shortcuts, the URL and
//! the embed mode's messages.

mod use_embed;
pub mod use_keyboard;
mod use_loader;
mod use_location;
mod use_playback;

pub use use_embed::use_embed;
pub use use_keyboard::{SHORTCUTS, use_keyboard};
pub use use_loader::{run_of, use_loader};
pub use use_location::use_location;
pub use use_playback::use_playback;
