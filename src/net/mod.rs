//! The bridge to real sockets (native only): `serve` puts a lesson's recipient server on a
//! TCP port, `send` delivers a message to a real server. Both drive the same sans-IO sessions
//! as the simulated world ([`crate::engine`]) over blocking sockets, one thread per
//! connection, with real STARTTLS (RFC 3207) through rustls.
//!
//! Nothing here decides SMTP or IMAP: the sessions do. This layer moves bytes, keeps time
//! (idle timeouts, the greylisting clock), runs TLS handshakes when a session asks for one,
//! stores what was accepted, and with `serve --imap` lets the host's users read it
//! (RFC 9051 over the same maildir).

mod imap_log;
mod imap_session;
pub mod imap_store;
pub mod log;
pub mod maildir;
mod record;
pub mod send;
pub mod serve;
mod session;
pub mod tls;
mod transport;

pub use log::LogLevel;
pub use send::{SendOptions, send};
pub use serve::{Limits, ServeOptions, pick_host, serve};
