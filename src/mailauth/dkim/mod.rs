//! DKIM: DomainKeys Identified Mail signatures (RFC 6376), with RSA-SHA256 and Ed25519-SHA256
//! (RFC 8463), signed and verified with real cryptography.
//!
//! - [`sign`] turns a message and [`SignParams`] into a `DKIM-Signature:` field. Pure and
//!   deterministic: the time is an argument, and both RSASSA-PKCS1-v1_5 and Ed25519 need no
//!   randomness.
//! - [`verify`] checks every DKIM-Signature field of a message, fetching keys through the
//!   simulated DNS ([`Resolver`]), and returns one [`DkimVerdict`] each, with a plain-words
//!   trace of the steps (canonicalized header lines, computed and claimed body hash).
//! - [`SigningKey::public_key_record`] gives the TXT record to publish for a key.
//!
//! Results follow RFC 8601 §2.7.1; which RFC 6376 §6.1 reason gives which result is in
//! [`DkimFailure::result`]:
//!
//! | result      | reasons |
//! |-------------|---------|
//! | `pass`      | body hash and signature verified |
//! | `fail`      | body hash mismatch, signature mismatch, key revoked, body shorter than `l=`, expired |
//! | `neutral`   | the signature field has syntax errors or unsupported values (v, a, q, c), lacks From in `h=`, `i=` outside `d=`; a header section that does not parse but mentions DKIM-Signature |
//! | `permerror` | no key record (NXDOMAIN, no TXT), or the key record is unusable |
//! | `temperror` | the key lookup timed out |
//!
//! Both algorithms are in every build. In the browser they run in the simulator's Web Worker
//! (issue 13), so RSA costs the lesson player nothing and a learner's own RSA-signed `.eml`
//! verifies in the page.
//!
//! Module map: `tag_list` (§3.2), `canon` (§3.4), `signature` (§3.5), `key` (§3.6), `sign` (§5),
//! `verify` (§6); `rfc_examples` and `tests` hold the known-answer and behaviour tests.
//!
//! [`Resolver`]: crate::dns::Resolver

mod canon;
mod key;
mod sign;
mod signature;
pub(crate) mod tag_list;
mod verify;

#[cfg(test)]
mod rfc_examples;
#[cfg(test)]
mod tests;

use std::fmt;

pub use canon::{Canon, Canonicalization};
pub use key::{Ed25519Key, KeyError, RsaKey, SigningKey};
pub use sign::{BodyLength, DEFAULT_SIGNED_HEADERS, SignParams, sign};
pub use signature::{Algorithm, FIELD_NAME, SignatureError};
pub use tag_list::TagListError;
pub use verify::{DkimFailure, DkimResult, DkimVerdict, verify, verify_at};

use crate::mailauth::check::Row;
use crate::message::{HeaderError, HeaderField};

/// Bytes as a row shows them: text, with CR, LF and other controls escaped (`\r\n`), so the
/// learner sees exactly what was hashed.
pub(crate) fn shown_bytes(bytes: &[u8]) -> String {
    let mut shown = String::with_capacity(bytes.len() + bytes.len() / 16);
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '\r' => shown.push_str("\\r"),
            '\n' => shown.push_str("\\n"),
            '\t' => shown.push_str("\\t"),
            c if c.is_control() => shown.push_str(&c.escape_unicode().to_string()),
            c => shown.push(c),
        }
    }
    shown
}

/// Text of several lines, as [`shown_bytes`] shows each, one line of text per line of the
/// text (after its visible `\r\n`): a canonical body, readable as lines.
pub(crate) fn shown_lines(bytes: &[u8]) -> String {
    let lines: Vec<String> = bytes.split_inclusive(|&b| b == b'\n').map(shown_bytes).collect();
    lines.join("\n")
}

/// Why signing (or reading a signing key) failed. Verification never errors: its problems
/// are verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DkimError {
    /// The message's header section does not parse (RFC 5322 §2.2).
    Message(HeaderError),
    /// The key cannot be read: not PEM/DER PKCS#1 or PKCS#8 RSA, not a 32-octet Ed25519 seed.
    Key(String),
    /// A parameter breaks RFC 6376 §3.5 or §5.4 (say, `h=` without From).
    InvalidParams(String),
    /// The signing primitive failed (a corrupt RSA key).
    Crypto(String),
    /// The finished field is not a valid header field (a selector too long for a line).
    Field(HeaderError),
}

impl fmt::Display for DkimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(error) => write!(f, "message: {error}"),
            Self::Key(why) => write!(f, "signing key: {why}"),
            Self::InvalidParams(why) => write!(f, "DKIM parameters: {why}"),
            Self::Crypto(why) => f.write_str(why),
            Self::Field(error) => write!(f, "DKIM-Signature field: {error}"),
        }
    }
}

impl std::error::Error for DkimError {}

/// The data whose SHA-256 is signed (§3.7): for each name in `h=`, the next instance of that
/// field counting from the bottom (§5.4.2), canonicalized, with CRLF; a name with no instance
/// left adds nothing. Then the DKIM-Signature field itself (`sig_name_part`, everything
/// before its colon, and `sig_value`, its value with `b=` emptied), canonicalized, without
/// CRLF. `skip` is the index of that field in `fields`, which cannot sign itself.
///
/// Also returns one row per element, for [`DkimVerdict::trace`].
pub(crate) fn header_hash_input(
    fields: &[HeaderField],
    h: &[String],
    header_canon: Canon,
    sig_name_part: &str,
    sig_value: &str,
    skip: Option<usize>,
) -> (Vec<u8>, Vec<Row>) {
    let mut used = vec![false; fields.len()];
    let mut data = Vec::new();
    let mut lines = Vec::with_capacity(h.len() + 1);
    for name in h {
        let found =
            fields.iter().enumerate().rev().find(|(i, field)| {
                Some(*i) != skip && !used.get(*i).copied().unwrap_or(true) && field.is(name)
            });
        match found {
            Some((i, field)) => {
                if let Some(slot) = used.get_mut(i) {
                    *slot = true;
                }
                let (name_part, _) = field.as_str().split_once(':').unwrap_or((name, ""));
                let mut line = canon::header_field(name_part, field.raw_value(), header_canon);
                line.extend_from_slice(b"\r\n");
                lines.push(
                    Row::new(Some("§5.4.2"), name.as_str(), "the last instance not used yet, canonicalized")
                        .depth(1)
                        .value("hashed", shown_bytes(&line)),
                );
                data.extend_from_slice(&line);
            }
            None => lines.push(
                Row::new(
                    Some("§5.4.2"),
                    name.as_str(),
                    "no instance left: adds nothing, so the signature covers its absence",
                )
                .depth(1),
            ),
        }
    }
    let line = canon::header_field(sig_name_part, sig_value, header_canon);
    lines.push(
        Row::new(
            Some("§3.7"),
            "DKIM-Signature",
            "this signature itself, with b= emptied and no CRLF at the end",
        )
        .depth(1)
        .value("hashed", shown_bytes(&line)),
    );
    data.extend_from_slice(&line);
    (data, lines)
}
