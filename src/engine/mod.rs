//! Sans-IO SMTP sessions: bytes go in, replies, commands and events come out.
//! Nothing here reads a socket or a clock, so the same code runs in the browser,
//! in tests and behind a TCP socket.

pub mod client;
pub mod exchange;
pub mod server;

pub use client::{ClientEvent, ClientSession, Envelope};
pub use exchange::{Side, TranscriptLine, exchange};
pub use server::{ServerEvent, ServerSession};
