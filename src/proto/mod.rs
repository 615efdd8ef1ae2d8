//! The SMTP wire format (RFC 5321): commands, replies and message data.
//!
//! Every parser has its serializer beside it; parsers never allocate state
//! between calls and answer [`nom::Err::Incomplete`] for truncated input.

pub mod command;
pub mod data;
pub mod enhanced;
pub mod reply;

pub use command::Command;
pub use enhanced::{EnhancedStatusCode, StatusClass};
pub use reply::{Reply, ReplyCode};
