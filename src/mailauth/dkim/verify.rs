//! Verifying (RFC 6376 §6): every DKIM-Signature field of a message, each to a verdict with
//! the trace of what was checked, for the player to show.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac_sha256::Hash as Sha256;

use super::canon;
use super::key::{KeyError, KeyRecord, key_record};
use super::signature::{Algorithm, FIELD_NAME, Partial, Signature, SignatureError};
use super::{header_hash_input, shown_lines};
use crate::dns::{DnsError, RecordType, Resolver};
use crate::mailauth::check::{Mark, Row, Verdict};
use crate::message::{HeaderError, Message};

/// A DKIM result as Authentication-Results reports it (RFC 8601 §2.7.1). `none` (not signed)
/// is an empty list of verdicts; `policy` is the receiving ADMD's business, not DKIM's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DkimResult {
    /// The signature verified.
    Pass,
    /// The signature was checked and is wrong: body hash, signature, revoked key, expired.
    Fail,
    /// The signature field has syntax errors or could not otherwise be processed.
    Neutral,
    /// The key could not be fetched now; a later attempt may succeed.
    TempError,
    /// The key is missing or unusable; a later attempt will not help.
    PermError,
}

impl DkimResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DkimResult::Pass => "pass",
            DkimResult::Fail => "fail",
            DkimResult::Neutral => "neutral",
            DkimResult::TempError => "temperror",
            DkimResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for DkimResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a signature did not pass. Each reason has exactly one [`DkimResult`]: RFC 6376 §6.1
/// names the reasons (PERMFAIL/TEMPFAIL), RFC 8601 §2.7.1 the results.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DkimFailure {
    /// `fail`: the body changed since signing (§6.1.3 step 3: "body hash did not verify").
    BodyHashMismatch { computed: String, claimed: String },
    /// `fail`: the header fields changed, or the key is not the signer's (§6.1.3 step 4:
    /// "signature did not verify").
    SignatureMismatch,
    /// `fail`: the key record's `p=` is empty (§6.1.2 step 7: "key revoked").
    KeyRevoked,
    /// `fail`: the body is shorter than `l=` says was signed (§3.5: `l=` "MUST NOT be larger
    /// than the actual number of octets in the canonicalized message body").
    BodyShorterThanLength { length: u64, body: u64 },
    /// `fail`: `x=` is in the past (§6.1.1: "signature expired"); checked by [`verify_at`].
    Expired { expiration: u64, now: u64 },
    /// `neutral`: the DKIM-Signature field cannot be processed (§6.1.1).
    Signature(SignatureError),
    /// `neutral`: the header section cannot be parsed (RFC 5322 §2.2), so no field can be
    /// canonicalized.
    Message(String),
    /// `permerror`: no key record at the selector (§6.1.2 step 3: "no key for signature").
    NoKey(String),
    /// `permerror`: the key record cannot be used (§6.1.2 steps 5, 6, 8).
    Key(KeyError),
    /// `temperror`: the DNS query failed for now (§6.1.2 step 2: "key unavailable").
    KeyUnavailable(DnsError),
}

impl DkimFailure {
    /// The section of RFC 6376 whose step found it.
    pub fn section(&self) -> &'static str {
        match self {
            Self::BodyHashMismatch { .. } | Self::SignatureMismatch => "§6.1.3",
            Self::KeyRevoked | Self::NoKey(_) | Self::Key(_) | Self::KeyUnavailable(_) => "§6.1.2",
            Self::BodyShorterThanLength { .. } => "§3.5",
            Self::Expired { .. } | Self::Signature(_) | Self::Message(_) => "§6.1.1",
        }
    }

    /// The RFC 8601 result this reason gives.
    pub fn result(&self) -> DkimResult {
        match self {
            Self::BodyHashMismatch { .. }
            | Self::SignatureMismatch
            | Self::KeyRevoked
            | Self::BodyShorterThanLength { .. }
            | Self::Expired { .. } => DkimResult::Fail,
            Self::Signature(_) | Self::Message(_) => DkimResult::Neutral,
            Self::NoKey(_) | Self::Key(_) => DkimResult::PermError,
            Self::KeyUnavailable(_) => DkimResult::TempError,
        }
    }
}

impl fmt::Display for DkimFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BodyHashMismatch { .. } => f.write_str("body hash did not verify"),
            Self::SignatureMismatch => f.write_str("signature did not verify"),
            Self::KeyRevoked => f.write_str("key revoked"),
            Self::BodyShorterThanLength { length, body } => {
                write!(f, "body of {body} octets is shorter than l={length}")
            }
            Self::Expired { expiration, now } => {
                write!(f, "signature expired at x={expiration}, now is {now}")
            }
            Self::Signature(error) => error.fmt(f),
            Self::Message(why) => write!(f, "message cannot be parsed: {why}"),
            Self::NoKey(why) => write!(f, "no key for signature ({why})"),
            Self::Key(error) => error.fmt(f),
            Self::KeyUnavailable(error) => write!(f, "key unavailable (DNS {error})"),
        }
    }
}

/// The outcome for one DKIM-Signature field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DkimVerdict {
    /// `d=`, if it could be read.
    pub domain: Option<String>,
    /// `s=`, if it could be read.
    pub selector: Option<String>,
    /// `a=` as written, if present.
    pub algorithm: Option<String>,
    /// The first 8 characters of `b=`, to tell signatures apart (`header.b`, RFC 6008 §4).
    pub b_prefix: Option<String>,
    /// `Ok` when the signature passed.
    pub outcome: Result<(), DkimFailure>,
    /// What was done, tag by tag and step by step (RFC 6376 §6.1): the learner's view.
    pub trace: Vec<Row>,
}

impl DkimVerdict {
    pub fn result(&self) -> DkimResult {
        match &self.outcome {
            Ok(()) => DkimResult::Pass,
            Err(failure) => failure.result(),
        }
    }

    pub fn passed(&self) -> bool {
        self.outcome.is_ok()
    }

    /// The failure, if any.
    pub fn failure(&self) -> Option<&DkimFailure> {
        self.outcome.as_ref().err()
    }

    /// A `resinfo` for Authentication-Results (RFC 8601 §2.2, §2.7.1), e.g.
    /// `dkim=fail (body hash did not verify) header.d=example.com header.s=sel header.a=rsa-sha256 header.b=AuUoFEfD`.
    pub fn auth_results_entry(&self) -> String {
        let mut entry = format!("dkim={}", self.result());
        if let Some(failure) = self.failure() {
            // A comment may not contain unbalanced parentheses or backslashes (RFC 5322 §3.2.2).
            let reason: String = failure
                .to_string()
                .chars()
                .map(|c| if matches!(c, '(' | ')' | '\\') { ' ' } else { c })
                .collect();
            entry.push_str(&format!(" ({reason})"));
        }
        for (property, value) in [
            ("header.d", &self.domain),
            ("header.s", &self.selector),
            ("header.a", &self.algorithm),
            ("header.b", &self.b_prefix),
        ] {
            if let Some(value) = value.as_deref().filter(|v| is_ptype_value(v)) {
                entry.push_str(&format!(" {property}={value}"));
            }
        }
        entry
    }
}

/// A value that can stand in a `pvalue` without quoting (RFC 8601 §2.2, loosely).
fn is_ptype_value(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic() && !b"()\\\";".contains(&b))
}

/// Verifies every DKIM-Signature field of `message`, top to bottom, asking `resolver` for the
/// keys. No clock: `x=` is reported but not enforced (see [`verify_at`]).
pub fn verify(message: &[u8], resolver: &mut dyn Resolver) -> Vec<DkimVerdict> {
    verify_with_clock(message, resolver, None)
}

/// [`verify`], also failing signatures whose `x=` is before `now` (Unix seconds of the
/// simulated clock).
pub fn verify_at(message: &[u8], resolver: &mut dyn Resolver, now: u64) -> Vec<DkimVerdict> {
    verify_with_clock(message, resolver, Some(now))
}

fn verify_with_clock(message: &[u8], resolver: &mut dyn Resolver, now: Option<u64>) -> Vec<DkimVerdict> {
    let message = match Message::parse(message) {
        Ok(message) => message,
        // Unparseable: a neutral verdict if it seems signed at all, else nothing ("none").
        Err(error) if contains_ignore_case(message, FIELD_NAME.as_bytes()) => {
            return vec![unparseable(&error)];
        }
        Err(_) => return Vec::new(),
    };
    let positions: Vec<usize> =
        message.fields().iter().enumerate().filter(|(_, f)| f.is(FIELD_NAME)).map(|(i, _)| i).collect();
    let count = positions.len();
    positions
        .iter()
        .enumerate()
        .map(|(n, &index)| {
            let mut trace = vec![Row::new(
                Some("§6.1"),
                "DKIM-Signature",
                format!("signature {} of {count}: header field {} from the top", n + 1, index + 1),
            )];
            let mut partial = Partial::default();
            let mut b_prefix = None;
            let outcome = verify_one(&message, index, resolver, now, &mut trace, &mut partial, &mut b_prefix);
            trace.push(result_row(&outcome));
            DkimVerdict {
                domain: partial.domain,
                selector: partial.selector,
                algorithm: partial.algorithm,
                b_prefix,
                outcome,
                trace,
            }
        })
        .collect()
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle))
}

/// The single verdict for a message whose header section cannot be read.
fn unparseable(error: &HeaderError) -> DkimVerdict {
    let failure = DkimFailure::Message(error.to_string());
    DkimVerdict {
        domain: None,
        selector: None,
        algorithm: None,
        b_prefix: None,
        trace: vec![
            Row::new(
                Some("§6.1"),
                "header section",
                format!("it cannot be parsed ({error}), so its DKIM-Signature fields cannot be found"),
            ),
            result_row(&Err(failure.clone())),
        ],
        outcome: Err(failure),
    }
}

/// The last row of a signature's trace: its result, and why.
fn result_row(outcome: &Result<(), DkimFailure>) -> Row {
    match outcome {
        Ok(()) => Row::new(Some("§6.1.3"), "result", "the body hash and the signature both verify")
            .verdict(Verdict::Pass),
        Err(failure) => {
            Row::new(Some(failure.section()), "result", failure.to_string()).verdict(failure.result())
        }
    }
}

/// RFC 6376 §6.1, steps numbered as there, for the field at `index`.
fn verify_one(
    message: &Message,
    index: usize,
    resolver: &mut dyn Resolver,
    now: Option<u64>,
    trace: &mut Vec<Row>,
    partial: &mut Partial,
    b_prefix: &mut Option<String>,
) -> Result<(), DkimFailure> {
    let field = message.fields().get(index).ok_or_else(|| DkimFailure::Message("field vanished".into()))?;

    // §6.1.1 Validate the signature header field.
    let sig = Signature::parse(field.raw_value(), partial).map_err(DkimFailure::Signature)?;
    *b_prefix = Some(sig.signature_base64.chars().take(8).collect());
    trace.push(Row::new(
        Some("§6.1.1"),
        "tags",
        "the field is valid: every required tag is present and well-formed",
    ));
    trace.extend(tag_rows(&sig));
    match (sig.expiration, now) {
        (Some(expiration), Some(now)) if expiration < now => {
            return Err(DkimFailure::Expired { expiration, now });
        }
        (Some(expiration), Some(now)) => trace.push(
            Row::new(Some("§6.1.1"), "x=", format!("{expiration} is not before now ({now}): not expired"))
                .depth(1),
        ),
        (Some(_), None) => {
            trace.push(Row::new(Some("§6.1.1"), "x=", "not checked: no clock was given").depth(1));
        }
        (None, _) => {}
    }

    // §6.1.2 Get the public key.
    let query = format!("{}._domainkey.{}", sig.selector, sig.domain);
    let label = format!("TXT {query}");
    let answers = match resolver.resolve(&query, RecordType::Txt) {
        Ok(answers) => answers,
        Err(DnsError::NxDomain) => {
            trace.push(Row::new(Some("§6.1.2"), label, "NXDOMAIN: no key is published under this selector"));
            return Err(DkimFailure::NoKey(format!("NXDOMAIN for {query}")));
        }
        Err(error) => {
            trace.push(Row::new(Some("§6.1.2"), label, format!("no answer: {error}")));
            return Err(DkimFailure::KeyUnavailable(error));
        }
    };
    let texts: Vec<String> = answers.iter().filter_map(|record| record.txt_joined()).collect();
    if texts.is_empty() {
        trace.push(Row::new(Some("§6.1.2"), label, "no TXT record: no key is published under this selector"));
        return Err(DkimFailure::NoKey(format!("no TXT record at {query}")));
    }
    // Step 4: with several records, use the first usable one (§6.1.2 leaves the choice open).
    let mut chosen = None;
    for text in &texts {
        trace.push(
            Row::new(Some("§6.1.2"), label.clone(), "the key record the selector points to")
                .value("key record", text.clone()),
        );
        match key_record(text, sig.algorithm, &sig.identity, &sig.domain) {
            Ok(record) => {
                chosen = Some(Ok(record));
                break;
            }
            Err(error) => {
                trace.push(Row::new(Some("§3.6.1"), "unusable", error.to_string()).depth(1));
                chosen.get_or_insert(Err(error));
            }
        }
    }
    let key = match chosen {
        Some(Ok(KeyRecord::Key { key, testing })) => {
            let testing = if testing { " (t=y: the domain is testing DKIM)" } else { "" };
            trace.push(
                Row::new(Some("§3.6.1"), "p=", format!("the public key: {}{testing}", key.describe()))
                    .depth(1),
            );
            key
        }
        Some(Ok(KeyRecord::Revoked)) => {
            trace.push(Row::new(Some("§3.6.1"), "p=", "empty: the key has been revoked").depth(1));
            return Err(DkimFailure::KeyRevoked);
        }
        Some(Err(error)) => return Err(DkimFailure::Key(error)),
        None => return Err(DkimFailure::NoKey(format!("no TXT record at {query}"))),
    };

    // §6.1.3 Compute the verification. Steps 1–3: the body hash.
    let body = canon::body(message.body(), sig.canonicalization.body);
    let whole = u64::try_from(body.len()).unwrap_or(u64::MAX);
    trace.push(
        Row::new(
            Some("§6.1.3"),
            "body",
            format!("canonicalized ({}): {whole} octets", sig.canonicalization.body.as_str()),
        )
        .value("canonical body", shown_lines(&body)),
    );
    let signed_body = match sig.body_length {
        Some(length) if length > whole => {
            return Err(DkimFailure::BodyShorterThanLength { length, body: whole });
        }
        Some(length) => {
            let unsigned = whole - length;
            let text = if unsigned > 0 {
                format!(
                    "only the first {length} octets are signed; {unsigned} octets after them are NOT covered"
                )
            } else {
                format!("the first {length} octets are signed: the whole body")
            };
            trace.push(Row::new(Some("§3.5"), format!("l={length}"), text).depth(1));
            usize::try_from(length).ok().and_then(|l| body.get(..l)).unwrap_or(&body)
        }
        None => &body,
    };
    let computed = STANDARD.encode(Sha256::hash(signed_body));
    let claimed = STANDARD.encode(&sig.body_hash);
    let same = computed == claimed;
    let text = if same {
        "the SHA-256 of the body received is the hash the signer wrote in bh=: the body did not change"
    } else {
        "the SHA-256 of the body received is not the hash the signer wrote in bh=: the body changed after signing"
    };
    trace.push(
        Row::new(Some("§6.1.3"), "body hash", text)
            .mark(Mark::matched(same))
            .verdict(if same { Verdict::Pass } else { Verdict::Fail })
            .value("computed", computed.clone())
            .value("claimed (bh=)", claimed.clone()),
    );
    if !same {
        return Err(DkimFailure::BodyHashMismatch { computed, claimed });
    }

    // Step 4: the header hash and the signature.
    let raw_value = field.raw_value();
    let without_b = format!(
        "{}{}",
        raw_value.get(..sig.b_value.start).unwrap_or_default(),
        raw_value.get(sig.b_value.end..).unwrap_or_default()
    );
    let name_part = field.as_str().split_once(':').map_or(FIELD_NAME, |(name, _)| name);
    let (data, lines) = header_hash_input(
        message.fields(),
        &sig.headers,
        sig.canonicalization.header,
        name_part,
        &without_b,
        Some(index),
    );
    let hash: [u8; 32] = Sha256::hash(&data);
    trace.push(
        Row::new(
            Some("§3.7"),
            "header hash",
            format!(
                "SHA-256 over the header fields of h= ({}, each name's instances bottom-up), then this signature",
                sig.canonicalization.header.as_str()
            ),
        )
        .value("SHA-256", hex(&hash)),
    );
    trace.extend(lines);
    let valid = key.verify_hash(&hash, &sig.signature);
    let algorithm = match sig.algorithm {
        Algorithm::RsaSha256 => "RSA PKCS#1 v1.5",
        Algorithm::Ed25519Sha256 => "Ed25519",
    };
    let text = if valid {
        format!("the {algorithm} signature in b= is valid for the header hash under the public key")
    } else {
        format!(
            "the {algorithm} signature in b= is not valid for the header hash: a signed header field changed, or \
             the key is not the signer's"
        )
    };
    trace.push(Row::new(Some("§6.1.3"), "signature", text).verdict(if valid {
        Verdict::Pass
    } else {
        Verdict::Fail
    }));
    if valid { Ok(()) } else { Err(DkimFailure::SignatureMismatch) }
}

/// The signature's tags, one row each, in the order a reader needs them (§3.5).
fn tag_rows(sig: &Signature) -> Vec<Row> {
    let tag = |label: String, text: &str| Row::new(Some("§3.5"), label, text).depth(1);
    let mut rows = vec![
        tag(format!("a={}", sig.algorithm), "the signing algorithm"),
        tag(
            format!("c={}", sig.canonicalization),
            "canonicalization, header/body: how much white space and case may change on the way",
        ),
        tag(format!("d={}", sig.domain), "the signing domain: the domain that vouches for the message"),
        tag(
            format!("s={}", sig.selector),
            &format!("the selector: the public key is at {}._domainkey.{}", sig.selector, sig.domain),
        ),
        tag(format!("i={}", sig.identity), "the agent or user the signer vouches for (within d=)"),
        tag(format!("h={}", sig.headers.join(":")), "the header fields signed, in order"),
    ];
    if let Some(length) = sig.body_length {
        rows.push(tag(format!("l={length}"), "only this many octets of the body are signed"));
    }
    if let Some(timestamp) = sig.timestamp {
        rows.push(tag(format!("t={timestamp}"), "when it was signed, in seconds since 1970"));
    }
    if let Some(expiration) = sig.expiration {
        rows.push(tag(format!("x={expiration}"), "when the signature expires, in seconds since 1970"));
    }
    rows.push(
        tag("bh=".into(), "the hash of the canonical body, as the signer computed it")
            .value("bh=", STANDARD.encode(&sig.body_hash)),
    );
    rows.push(
        tag("b=".into(), "the signature over the header hash, made with the private key")
            .value("b=", sig.signature_base64.clone()),
    );
    rows
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
