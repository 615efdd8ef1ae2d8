//! Sans-IO SMTP sessions (and POP3's and IMAP's, [`imap`], for the last hop): bytes go in,
//! replies, commands and events come out.
//! Nothing here reads a socket or a clock, so the same code runs in the browser,
//! in tests and behind a TCP socket.

pub mod client;
pub mod envelope;
pub mod exchange;
pub mod imap;
pub mod policy;
pub mod pop3;
pub mod server;

pub use client::{ClientConfig, ClientEvent, ClientSession, Credentials, RecipientStatus, TlsMode};
pub use envelope::{Envelope, Recipient};
pub use exchange::{Side, TranscriptLine, exchange};
pub use policy::{AcceptAll, Intervention, MailPolicy, MailboxState, Policy, SessionInfo, Verdict};
pub use server::{CloseReason, ReceivedMessage, ServerConfig, ServerEvent, ServerSession};
