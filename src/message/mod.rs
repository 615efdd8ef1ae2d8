//! The Internet message itself (RFC 5322), as opposed to the SMTP envelope that carries it.
//!
//! Pure functions only: no I/O, no clock, no randomness, so the same code runs in the browser
//! (wasm32), in the native CLI and in tests. Anything that depends on "now" or on a random
//! token (dates, boundaries, message ids) is an argument.
//!
//! - [`header`]: the header section and body of a message (RFC 5322 §2.1–§2.2, §3.6), folding
//!   and unfolding of long fields (§2.2.3).
//! - [`date`]: `date-time` (RFC 5322 §3.3, obsolete forms of §4.3) to and from Unix seconds.
//! - [`trace`]: the `Received:` and `Return-Path:` fields an MTA adds (RFC 5321 §4.4,
//!   RFC 5322 §3.6.7).
//! - [`dsn`]: delivery status notifications, the bounces and delay warnings an MTA sends back
//!   (RFC 3464, RFC 3461 §4.3, RFC 3834).
//!
//! Every parser has its serializer beside it, and the tests check `parse(serialize(x)) == x`.

pub mod date;
pub mod dsn;
pub mod header;
pub(crate) mod mime;
pub mod trace;

pub use date::{DateError, DateTime, format_date, format_imap_date, parse_date};
pub use dsn::{
    Action, DeliveryReport, DsnError, RecipientStatus, Return, TypedValue, build_dsn,
    delivery_status_content, parse_dsn,
};
pub use header::{HeaderError, HeaderErrorKind, HeaderField, Message, fold, unfold};
pub use trace::{Protocol, Received, TcpInfo, TraceError, parse_return_path, return_path_field};
