//! The SMTP wire format: commands, replies, parameters, addresses and message data
//! (RFC 5321 and the ESMTP extensions), with no I/O and no state between calls.
//!
//! Every parser has its serializer beside it, and every parser is named after the ABNF
//! rule it implements. Streaming parsers answer [`nom::Err::Incomplete`] for truncated
//! input; what is not SMTP is an error that says what was expected.

pub mod abnf;
pub mod address;
pub mod command;
pub mod data;
pub mod ehlo;
pub mod enhanced;
pub mod params;
pub mod reply;
pub mod sasl;

pub use address::{AddressLiteral, Domain, ForwardPath, Host, LocalPart, Mailbox, ReversePath};
pub use command::{Command, CommandError, Verb};
pub use ehlo::{Capability, EhloReply};
pub use enhanced::{EnhancedStatusCode, StatusClass};
pub use params::{Body, MailParameters, Notify, Orcpt, RcptParameters, Ret};
pub use reply::{Reply, ReplyCode};
pub use sasl::{Mechanism, SaslResponse};
