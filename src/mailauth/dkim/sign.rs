//! Signing (RFC 6376 §5): from a message and a key to a `DKIM-Signature:` field.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac_sha256::Hash as Sha256;

use super::canon::{self, Canonicalization};
use super::key::SigningKey;
use super::signature::{FIELD_NAME, is_domain_like, is_field_name, is_within};
use super::{DkimError, header_hash_input};
use crate::message::{HeaderField, Message, fold};

/// Header fields worth signing, after RFC 6376 §5.4.1, in the order they are listed in `h=`.
/// From is listed twice so that a second From cannot be added (§8.15).
pub const DEFAULT_SIGNED_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "from",
];

/// Whether and how `l=` is written (§3.5). Signing less than the whole body lets anyone append
/// to it (§8.2); the lab shows that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum BodyLength {
    /// No `l=`: the whole body is signed.
    #[default]
    Omitted,
    /// `l=` with the length of the whole canonicalized body.
    WholeBody,
    /// `l=` with this many octets of the canonicalized body; more than it has is an error.
    Octets(u64),
}

/// What to sign with and which tags to write.
///
/// Tags are written in the order v, a, c, d, i, l, q, s, t, x, h, bh, b, the order dkimpy
/// writes them in and that RFC 8463 Appendix A shows; `h=` separates names with ` : ` as both
/// RFCs' examples do, which also gives folding white space to break a long list at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignParams {
    /// Decides `a=`: rsa-sha256 or ed25519-sha256.
    pub key: SigningKey,
    /// `d=`, the signing domain (SDID).
    pub domain: String,
    /// `s=`, the selector: the key record is at `selector._domainkey.domain`.
    pub selector: String,
    /// `c=`.
    pub canonicalization: Canonicalization,
    /// `h=`: field names in order. A name listed more often than the message has the field
    /// signs its absence (over-signing, §5.4.2). Must include From (§5.4).
    pub headers: Vec<String>,
    /// `t=`, the signing time in Unix seconds: the caller's clock, never the system's.
    pub timestamp: Option<u64>,
    /// `x=`, when the signature expires; must be after `t=`.
    pub expiration: Option<u64>,
    /// `i=`, the AUID, e.g. `@example.com` or `joe@mail.example.com`; within `d=`.
    pub identity: Option<String>,
    /// `l=`.
    pub body_length: BodyLength,
    /// Writes `q=dns/txt`, the default and only query method (§3.5), as dkimpy does.
    pub query_method: bool,
}

impl SignParams {
    /// relaxed/relaxed, [`DEFAULT_SIGNED_HEADERS`], `t=now`, and nothing optional.
    pub fn new(key: SigningKey, domain: &str, selector: &str, now: u64) -> Self {
        Self {
            key,
            domain: domain.to_owned(),
            selector: selector.to_owned(),
            canonicalization: Canonicalization::RELAXED,
            headers: DEFAULT_SIGNED_HEADERS.iter().map(|&name| name.to_owned()).collect(),
            timestamp: Some(now),
            expiration: None,
            identity: None,
            body_length: BodyLength::Omitted,
            query_method: false,
        }
    }

    /// Checks what §3.5 and §5.4 demand of the tags before anything is hashed.
    fn check(&self) -> Result<(), DkimError> {
        let invalid = |why: String| Err(DkimError::InvalidParams(why));
        if !is_domain_like(&self.domain) {
            return invalid(format!("d={:?} is not a domain name", self.domain));
        }
        if !is_domain_like(&self.selector) {
            return invalid(format!("s={:?} is not a selector", self.selector));
        }
        if let Some(bad) = self.headers.iter().find(|name| !is_field_name(name)) {
            return invalid(format!("h= cannot list {bad:?}: not a field name"));
        }
        if !self.headers.iter().any(|name| name.eq_ignore_ascii_case("from")) {
            return invalid("h= must list From (RFC 6376 §5.4)".into());
        }
        if let Some(identity) = &self.identity {
            let within = identity.rsplit_once('@').is_some_and(|(local, domain)| {
                is_within(domain, &self.domain)
                    && local.chars().all(|c| (c.is_ascii_graphic() && c != ';') || !c.is_ascii())
            });
            if !within {
                return invalid(format!("i={identity:?} is not an identity within d={}", self.domain));
            }
        }
        if let (Some(t), Some(x)) = (self.timestamp, self.expiration)
            && x <= t
        {
            return invalid(format!("x={x} must be later than t={t}"));
        }
        Ok(())
    }

    /// The tag list with `bh=` filled in and `b=` empty.
    fn tags_without_b(&self, body_hash: &str, body_length: Option<u64>) -> String {
        let mut tags =
            vec![format!("v=1; a={}; c={}; d={}", self.key.algorithm(), self.canonicalization, self.domain)];
        if let Some(identity) = &self.identity {
            tags.push(format!("i={identity}"));
        }
        if let Some(l) = body_length {
            tags.push(format!("l={l}"));
        }
        if self.query_method {
            tags.push("q=dns/txt".into());
        }
        tags.push(format!("s={}", self.selector));
        if let Some(t) = self.timestamp {
            tags.push(format!("t={t}"));
        }
        if let Some(x) = self.expiration {
            tags.push(format!("x={x}"));
        }
        tags.push(format!("h={}", self.headers.join(" : ")));
        tags.push(format!("bh={body_hash}"));
        tags.push("b=".into());
        tags.join("; ")
    }
}

/// Signs `message` and returns the `DKIM-Signature:` field to put on top of it (§5).
///
/// Deterministic: the same message and parameters give the same field, byte for byte.
pub fn sign(message: &[u8], params: &SignParams) -> Result<HeaderField, DkimError> {
    params.check()?;
    let message = Message::parse(message).map_err(DkimError::Message)?;
    let c = params.canonicalization;

    // 1. The body hash over the canonicalized body, cut to l= (§3.7, §5.3).
    let body = canon::body(message.body(), c.body);
    let whole = u64::try_from(body.len()).unwrap_or(u64::MAX);
    let body_length = match params.body_length {
        BodyLength::Omitted => None,
        BodyLength::WholeBody => Some(whole),
        BodyLength::Octets(l) if l > whole => {
            return Err(DkimError::InvalidParams(format!(
                "l={l} is more than the {whole} octets of the canonicalized body (RFC 6376 §3.5)"
            )));
        }
        BodyLength::Octets(l) => Some(l),
    };
    let signed_body = match body_length.and_then(|l| usize::try_from(l).ok()) {
        Some(l) => body.get(..l).unwrap_or(&body),
        None => &body,
    };
    let body_hash = STANDARD.encode(Sha256::hash(signed_body));

    // 2. The new field with b= empty, folded as it will be sent: under simple header
    // canonicalization the folding is signed too.
    let unsigned = fold(FIELD_NAME, &params.tags_without_b(&body_hash, body_length));
    let unsigned = unsigned.strip_suffix("\r\n").unwrap_or(&unsigned);
    let (name_part, raw_value) = unsigned.split_once(':').unwrap_or((FIELD_NAME, ""));

    // 3. Header hash over the selected fields (bottom-up, §5.4.2) and the new field (§3.7).
    let (data, _) =
        header_hash_input(message.fields(), &params.headers, c.header, name_part, raw_value, None);
    let hash: [u8; 32] = Sha256::hash(&data);

    // 4. Sign and append b=, folded within the value: §3.5 deletes b='s whole value, folding
    // included, before hashing, so the folding does not change what was signed.
    let signature = STANDARD.encode(params.key.sign_hash(&hash)?);
    let mut field = unsigned.to_owned();
    let mut line_len = field.len() - field.rfind('\n').map_or(0, |i| i + 1);
    let mut rest = signature.as_str();
    while !rest.is_empty() {
        let room = crate::message::header::RECOMMENDED_LINE_LEN.saturating_sub(line_len);
        if room < 8 {
            field.push_str("\r\n ");
            line_len = 1;
            continue;
        }
        // base64 is ASCII: every index is a char boundary.
        let Some((piece, tail)) = rest.split_at_checked(room.min(rest.len())) else { break };
        field.push_str(piece);
        line_len += piece.len();
        rest = tail;
    }
    field.push_str("\r\n");
    HeaderField::parse(&field).map_err(DkimError::Field)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &[u8] = b"From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nHello.\r\n";

    fn params() -> SignParams {
        SignParams::new(SigningKey::ed25519_from_seed([7; 32]), "example.com", "sel", 1_700_000_000)
    }

    #[test]
    fn field_is_folded_and_deterministic() {
        let field = sign(MESSAGE, &params()).expect("signs");
        assert!(field.as_str().starts_with("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;"));
        assert!(field.as_str().lines().all(|line| line.len() <= 78), "{}", field.as_str());
        assert!(field.value().contains("h=from : to : cc : subject"), "{}", field.as_str());
        assert_eq!(sign(MESSAGE, &params()), Ok(field));
    }

    #[test]
    fn rejects_bad_params() {
        let cases: &[fn(&mut SignParams)] = &[
            |p| p.domain = "bad domain".into(),
            |p| p.domain = String::new(),
            |p| p.selector = "a;b".into(),
            |p| p.headers = vec!["to".into()],
            |p| p.headers = vec!["from".into(), "bad:name".into()],
            |p| p.identity = Some("joe@example.net".into()),
            |p| p.identity = Some("no-at-sign".into()),
            |p| p.expiration = Some(1),
            |p| p.body_length = BodyLength::Octets(1000),
        ];
        for (i, change) in cases.iter().enumerate() {
            let mut p = params();
            change(&mut p);
            assert!(matches!(sign(MESSAGE, &p), Err(DkimError::InvalidParams(_))), "case {i}");
        }
        assert!(matches!(sign(b"\x00bad", &params()), Err(DkimError::Message(_))));
    }
}
