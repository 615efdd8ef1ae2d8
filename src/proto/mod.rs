//! The SMTP wire format: commands, replies, parameters, addresses and message data
//! (RFC 5321 and the ESMTP extensions), and IMAP's ([`imap`], RFC 9051), with no I/O and
//! no state between calls.
//!
//! Every parser has its serializer beside it, and every parser is named after the ABNF
//! rule it implements. Streaming parsers answer [`nom::Err::Incomplete`] for truncated
//! input; what is not SMTP is an error that says what was expected.

/// Serializes each type as its `Display` text and deserializes it with `FromStr`, so
/// scenario files and timelines hold the wire form (`<a@example.com>`, `5.1.1`).
macro_rules! serde_as_string {
    ($($type:ty),+) => {$(
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}
pub(crate) use serde_as_string;

/// Appends `n` in decimal, with leading zeros up to `width` digits (`{n:0width$}`, and
/// width 1 for none), without `fmt`: enhanced status codes and header dates are written for
/// every reply and message of a run.
pub(crate) fn push_decimal(out: &mut String, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = start.min(digits.len().saturating_sub(width));
    // ASCII digits are UTF-8.
    out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

pub mod abnf;
pub mod address;
pub mod command;
pub mod command_view;
pub mod data;
pub mod ehlo;
pub mod enhanced;
pub mod imap;
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
