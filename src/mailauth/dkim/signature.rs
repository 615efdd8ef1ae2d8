//! The DKIM-Signature header field (RFC 6376 §3.5): its tags, checked as §6.1.1 asks.

use std::fmt;
use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::canon::Canonicalization;
use super::tag_list::{self, colon_list, without_fws};

/// The name of the field (§3.5).
pub const FIELD_NAME: &str = "DKIM-Signature";

/// A signing algorithm, the `a=` tag (§3.3, RFC 8463 §3). `rsa-sha1` is deliberately absent:
/// RFC 8301 §3.1 says verifiers MUST NOT consider such signatures valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 over SHA-256 (RFC 6376 §3.3.1, RFC 8017 §8.2).
    #[serde(rename = "rsa-sha256")]
    RsaSha256,
    /// PureEdDSA Ed25519 over the SHA-256 of the header data (RFC 8463 §3).
    #[serde(rename = "ed25519-sha256")]
    Ed25519Sha256,
}

impl Algorithm {
    /// The `a=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    /// The key type a key record's `k=` must name for this algorithm (§3.6.1).
    pub fn key_type(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa",
            Algorithm::Ed25519Sha256 => "ed25519",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a DKIM-Signature field cannot be processed (§6.1.1); each is a PERMFAIL in RFC 6376
/// and a `neutral` result in RFC 8601 §2.7.1 ("contained syntax errors or were not otherwise
/// able to be processed").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SignatureError {
    /// Not a tag list (§3.2), or a tag's value does not follow its grammar (§3.5).
    Syntax(String),
    /// A required tag is absent: v, a, b, bh, d, h, s (§3.5, §6.1.1).
    MissingTag(String),
    /// `v=` is not `1` (§6.1.1: "incompatible version").
    IncompatibleVersion(String),
    /// `a=` names an algorithm this verifier does not accept.
    UnsupportedAlgorithm(String),
    /// `q=` offers no `dns/txt`, the only query method (§3.5).
    UnsupportedQueryMethod(String),
    /// `h=` does not list From (§6.1.1: "From field not signed").
    FromNotSigned,
    /// The domain of `i=` is not `d=` or below it (§6.1.1: "domain mismatch").
    DomainMismatch { identity: String, domain: String },
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(why) => write!(f, "signature syntax error: {why}"),
            Self::MissingTag(tag) => write!(f, "signature missing required tag {tag}="),
            Self::IncompatibleVersion(v) => write!(f, "incompatible version v={v} (only v=1 exists)"),
            Self::UnsupportedAlgorithm(a) if a == "rsa-sha1" => {
                f.write_str("a=rsa-sha1 is not accepted (RFC 8301 §3.1: SHA-1 is too weak)")
            }
            Self::UnsupportedAlgorithm(a) => write!(f, "unsupported algorithm a={a}"),
            Self::UnsupportedQueryMethod(q) => write!(f, "unsupported query method q={q}"),
            Self::FromNotSigned => f.write_str("From field not signed (h= must list it)"),
            Self::DomainMismatch { identity, domain } => {
                write!(f, "domain mismatch: i={identity} is not within d={domain}")
            }
        }
    }
}

impl std::error::Error for SignatureError {}

/// A DKIM-Signature field's tags, checked (§3.5, §6.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature {
    pub(crate) algorithm: Algorithm,
    /// `b=`, decoded.
    pub(crate) signature: Vec<u8>,
    /// `b=` as written, FWS removed (for `header.b`, RFC 6008).
    pub(crate) signature_base64: String,
    /// `bh=`, decoded.
    pub(crate) body_hash: Vec<u8>,
    pub(crate) canonicalization: Canonicalization,
    /// `d=`, the SDID.
    pub(crate) domain: String,
    /// `h=`, as written, in order.
    pub(crate) headers: Vec<String>,
    /// `i=`, the AUID; `@d` when absent (§3.5).
    pub(crate) identity: String,
    /// `l=`; `u64::MAX` stands for any larger value (up to 76 digits are allowed), which no
    /// body can reach anyway.
    pub(crate) body_length: Option<u64>,
    /// `s=`.
    pub(crate) selector: String,
    /// `t=`.
    pub(crate) timestamp: Option<u64>,
    /// `x=`.
    pub(crate) expiration: Option<u64>,
    /// Where `b=`'s value (with the white space around it) is in the raw field value: §3.5
    /// hashes the field with it deleted.
    pub(crate) b_value: Range<usize>,
}

/// What could be read of a signature even when it is invalid, for reporting (RFC 8601
/// `header.d`, `header.s`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Partial {
    pub(crate) domain: Option<String>,
    pub(crate) selector: Option<String>,
    pub(crate) algorithm: Option<String>,
}

/// Decodes a base64 tag value (`b=`, `bh=`, `p=`), FWS ignored.
pub(crate) fn base64_value(tag: &str, value: &str) -> Result<Vec<u8>, String> {
    STANDARD.decode(without_fws(value)).map_err(|e| format!("{tag}= is not base64 ({e})"))
}

/// `1*DIGIT` as a number; values too large for `u64` saturate when `saturate` (for `l=`).
fn decimal(tag: &str, value: &str, max_digits: usize, saturate: bool) -> Result<u64, SignatureError> {
    let syntax = || SignatureError::Syntax(format!("{tag}={value:?} is not 1 to {max_digits} digits"));
    if value.is_empty() || value.len() > max_digits || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax());
    }
    match value.parse::<u64>() {
        Ok(n) => Ok(n),
        Err(_) if saturate => Ok(u64::MAX),
        Err(_) => Err(syntax()),
    }
}

/// Whether `name` is a domain name made of LDH labels (underscores allowed, as in selectors):
/// `domain-name = sub-domain 1*("." sub-domain)` loosely (§3.5 `d=`, `s=`).
pub(crate) fn is_domain_like(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Whether `sub` is `parent` or a subdomain of it, case-insensitively.
pub(crate) fn is_within(sub: &str, parent: &str) -> bool {
    let (sub, parent) = (sub.to_ascii_lowercase(), parent.to_ascii_lowercase());
    sub == parent || sub.strip_suffix(&parent).is_some_and(|rest| rest.ends_with('.'))
}

/// `field-name = 1*ftext` (RFC 5322 §3.6.8), as `h=` lists them.
pub(crate) fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| matches!(b, 33..=57 | 59..=126))
}

impl Signature {
    /// Reads the tags of a DKIM-Signature field's raw value (everything after the colon)
    /// and checks them as §6.1.1 requires. `partial` gets what could be read, even on error.
    pub(crate) fn parse(raw_value: &str, partial: &mut Partial) -> Result<Self, SignatureError> {
        let tags = tag_list::tag_list(raw_value).map_err(|e| SignatureError::Syntax(e.to_string()))?;
        let get = |name: &'static str| tag_list::get(&tags, name);
        partial.domain = get("d").map(str::to_owned);
        partial.selector = get("s").map(str::to_owned);
        partial.algorithm = get("a").map(str::to_owned);
        let required =
            |name: &'static str| get(name).ok_or_else(|| SignatureError::MissingTag(name.to_owned()));

        // 1. Version first: a different version may mean different tags.
        let version = required("v")?;
        if version != "1" {
            return Err(SignatureError::IncompatibleVersion(version.to_owned()));
        }
        // 2. The other required tags, in the order of §3.5.
        let algorithm = match required("a")? {
            "rsa-sha256" => Algorithm::RsaSha256,
            "ed25519-sha256" => Algorithm::Ed25519Sha256,
            other => return Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
        };
        let b = required("b")?;
        let signature = base64_value("b", b).map_err(SignatureError::Syntax)?;
        if signature.is_empty() {
            return Err(SignatureError::Syntax("b= is empty".into()));
        }
        let body_hash = base64_value("bh", required("bh")?).map_err(SignatureError::Syntax)?;
        let canonicalization = match get("c") {
            Some(c) => c.parse().map_err(SignatureError::Syntax)?,
            None => Canonicalization::SIMPLE,
        };
        let domain = required("d")?;
        if !is_domain_like(domain) {
            return Err(SignatureError::Syntax(format!("d={domain:?} is not a domain name")));
        }
        let headers: Vec<String> = colon_list(required("h")?).map(str::to_owned).collect();
        if let Some(bad) = headers.iter().find(|name| !is_field_name(name)) {
            return Err(SignatureError::Syntax(format!("h= lists {bad:?}, which is not a field name")));
        }
        if !headers.iter().any(|name| name.eq_ignore_ascii_case("from")) {
            return Err(SignatureError::FromNotSigned);
        }
        // 3. i= defaults to "@d" and must lie within d=.
        let identity = get("i").map_or_else(|| format!("@{domain}"), str::to_owned);
        let Some((_, identity_domain)) = identity.rsplit_once('@') else {
            return Err(SignatureError::Syntax(format!("i={identity:?} has no '@'")));
        };
        if !is_within(identity_domain, domain) {
            return Err(SignatureError::DomainMismatch { identity, domain: domain.to_owned() });
        }
        let body_length = get("l").map(|l| decimal("l", l, 76, true)).transpose()?;
        if let Some(q) = get("q")
            && !colon_list(q).any(|method| method == "dns/txt")
        {
            return Err(SignatureError::UnsupportedQueryMethod(q.to_owned()));
        }
        let selector = required("s")?;
        if !is_domain_like(selector) {
            return Err(SignatureError::Syntax(format!("s={selector:?} is not a selector")));
        }
        let timestamp = get("t").map(|t| decimal("t", t, 12, false)).transpose()?;
        let expiration = get("x").map(|x| decimal("x", x, 12, false)).transpose()?;
        if let (Some(t), Some(x)) = (timestamp, expiration)
            && x <= t
        {
            return Err(SignatureError::Syntax(format!("x={x} is not later than t={t}")));
        }
        let b_value = tags
            .iter()
            .find(|tag| tag.name == "b")
            .map(|tag| tag.value_with_space.clone())
            .unwrap_or_default();
        Ok(Self {
            algorithm,
            signature,
            signature_base64: without_fws(b),
            body_hash,
            canonicalization,
            domain: domain.to_owned(),
            headers,
            identity,
            body_length,
            selector: selector.to_owned(),
            timestamp,
            expiration,
            b_value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = " v=1; a=rsa-sha256; d=example.com; s=sel; h=From:To; bh=AAAA; b=AAAA";

    fn parse(raw: &str) -> Result<Signature, SignatureError> {
        Signature::parse(raw, &mut Partial::default())
    }

    #[test]
    fn defaults_and_spans() {
        let sig = parse(GOOD).expect("valid");
        assert_eq!(sig.canonicalization, Canonicalization::SIMPLE);
        assert_eq!(sig.identity, "@example.com");
        assert_eq!(sig.headers, ["From", "To"]);
        assert_eq!(GOOD.get(sig.b_value.clone()), Some("AAAA"));
    }

    #[test]
    fn checks_of_section_6_1_1() {
        let table: &[(&str, SignatureError)] = &[
            ("v=2; a=x", SignatureError::IncompatibleVersion("2".into())),
            ("a=rsa-sha256", SignatureError::MissingTag("v".into())),
            ("v=1; a=rsa-sha1", SignatureError::UnsupportedAlgorithm("rsa-sha1".into())),
            ("v=1; a=rsa-sha256", SignatureError::MissingTag("b".into())),
            ("v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=example.com; s=s; h=to", SignatureError::FromNotSigned),
            (
                "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=example.com; s=s; h=from; i=a@example.net",
                SignatureError::DomainMismatch {
                    identity: "a@example.net".into(),
                    domain: "example.com".into(),
                },
            ),
            (
                "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=example.com; s=s; h=from; q=http",
                SignatureError::UnsupportedQueryMethod("http".into()),
            ),
        ];
        for (raw, error) in table {
            assert_eq!(parse(raw).as_ref().err(), Some(error), "{raw}");
        }
        for bad in [
            "v=1; a=rsa-sha256; b=!!!; bh=AAAA; d=example.com; s=s; h=from",
            "v=1; a=rsa-sha256; b=; bh=AAAA; d=example.com; s=s; h=from",
            "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=exa mple.com; s=s; h=from",
            "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=example.com; s=s; h=from; l=-1",
            "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=example.com; s=s; h=from; t=20; x=10",
            "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=example.com; s=s; h=from; c=fancy",
            "v=1; a=rsa-sha256; b=AAAA; bh=AAAA; d=example.com; s=s; h=from:;",
            "v=1; v=1",
        ] {
            assert!(matches!(parse(bad), Err(SignatureError::Syntax(_))), "{bad}");
        }
    }

    #[test]
    fn huge_body_length_saturates() {
        let raw = format!("{GOOD}; l={}", "9".repeat(76));
        assert_eq!(parse(&raw).map(|s| s.body_length), Ok(Some(u64::MAX)));
        let too_long = format!("{GOOD}; l={}", "9".repeat(77));
        assert!(parse(&too_long).is_err());
    }

    #[test]
    fn identity_within_domain() {
        assert!(is_within("mail.Example.com", "example.COM"));
        assert!(is_within("example.com", "example.com"));
        assert!(!is_within("badexample.com", "example.com"));
        assert!(!is_within("com", "example.com"));
    }
}
