//! Permalinks: a whole scenario in a URL parameter, so a learner can share exactly the
//! world they built (faults, a pasted message and all) without a server.
//!
//! `encode` deflates the text (raw DEFLATE, RFC 1951) and writes it as base64url without
//! padding (RFC 4648 §5), which needs no escaping in a URL. `decode` reverses it and
//! refuses anything that would not be a scenario: bad base64, bad DEFLATE, more than
//! [`MAX_SCENARIO_OCTETS`] once inflated (a "zip bomb" stops at the limit, it is never
//! inflated whole), or text that is not UTF-8.
//!
//! For the UI: `#scenario=` + `encode(&source)` + `&step=N` in the location's fragment,
//! which browsers never send to the server (so a learner's message stays out of the static
//! host's logs); on load, `decode` the value and [`super::parse`] it, showing either error
//! to the learner.

use std::fmt;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::MAX_SCENARIO_OCTETS;

/// base64url (RFC 4648 §5): no padding written, padding tolerated when read.
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// DEFLATE level: 9 is the best ratio miniz offers for text this small.
const LEVEL: u8 = 9;

/// The longest parameter worth decoding: base64 of the largest deflated scenario (DEFLATE
/// stored blocks cost 5 octets per 65535).
const MAX_PARAM_CHARS: usize = (MAX_SCENARIO_OCTETS + MAX_SCENARIO_OCTETS / 1024 + 64) * 4 / 3 + 4;

/// Why a permalink could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermalinkError {
    /// Nothing after `scenario=` (a link cut short when copied).
    Empty,
    /// Longer than any scenario's permalink can be.
    TooLong { chars: usize, limit: usize },
    /// Not base64url.
    Base64(String),
    /// Not a complete DEFLATE stream.
    Deflate(String),
    /// Inflates to more than the scenario size limit.
    TooLarge { limit: usize },
    /// The text is not UTF-8; `valid_up_to` octets were.
    NotUtf8 { valid_up_to: usize },
}

impl fmt::Display for PermalinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PermalinkError::Empty => write!(f, "the link carries no scenario (nothing follows “scenario=”)"),
            PermalinkError::TooLong { chars, limit } => {
                write!(
                    f,
                    "the link's scenario is {chars} characters long; no scenario needs more than {limit}"
                )
            }
            PermalinkError::Base64(why) => write!(f, "the link is damaged (not base64url: {why})"),
            PermalinkError::Deflate(why) => write!(f, "the link is damaged (not compressed data: {why})"),
            PermalinkError::TooLarge { limit } => {
                write!(f, "the link's scenario is larger than the limit of {limit} octets")
            }
            PermalinkError::NotUtf8 { valid_up_to } => {
                write!(f, "the link's scenario is not UTF-8 text (bad octet at {valid_up_to})")
            }
        }
    }
}

impl std::error::Error for PermalinkError {}

/// The scenario text as a URL-safe parameter.
pub fn encode(source: &str) -> String {
    let deflated = miniz_oxide::deflate::compress_to_vec(source.as_bytes(), LEVEL);
    URL_SAFE.encode(deflated)
}

/// The scenario text of a parameter made by [`encode`].
pub fn decode(param: &str) -> Result<String, PermalinkError> {
    let param = param.trim();
    if param.is_empty() {
        return Err(PermalinkError::Empty);
    }
    if param.len() > MAX_PARAM_CHARS {
        return Err(PermalinkError::TooLong { chars: param.len(), limit: MAX_PARAM_CHARS });
    }
    let deflated = URL_SAFE.decode(param).map_err(|e| PermalinkError::Base64(e.to_string()))?;
    let inflated = miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, MAX_SCENARIO_OCTETS)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                PermalinkError::TooLarge { limit: MAX_SCENARIO_OCTETS }
            }
            _ => PermalinkError::Deflate(e.to_string()),
        })?;
    String::from_utf8(inflated)
        .map_err(|e| PermalinkError::NotUtf8 { valid_up_to: e.utf8_error().valid_up_to() })
}
