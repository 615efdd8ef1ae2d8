//! The player's custom hooks: playback timing, keyboard shortcuts, the URL and
//! the embed mode's messages.

mod use_embed;
mod use_full;
pub mod use_keyboard;
mod use_loader;
mod use_location;
mod use_playback;

pub use use_embed::use_embed;
pub use use_full::use_full;
#[cfg(feature = "full")]
pub use use_keyboard::SHORTCUTS;
pub use use_keyboard::use_keyboard;
pub use use_loader::use_loader;
#[cfg(feature = "full")]
pub use use_loader::{run_of, with_text};
pub use use_location::use_location;
pub use use_playback::use_playback;
