//! Delivery status notifications (RFC 3464): the bounce, the delay warning and the success
//! report an MTA mails back to the envelope sender.
//!
//! A DSN is a `multipart/report; report-type=delivery-status` message (RFC 6522, RFC 3464 §2)
//! with three parts: a note for humans, the `message/delivery-status` fields for programs, and
//! the original message or its header (RFC 3461 §4.3 `RET=FULL` / `RET=HDRS`).
//!
//! ```text
//! delivery-status-content = per-message-fields 1*( CRLF per-recipient-fields )   ; §2.1
//! ```

use std::fmt;

use super::{
    date::{DateError, format_date, parse_date},
    header::{HeaderError, Located, Separator, fold, header_section, line_at},
    mime,
};
use crate::proto::EnhancedStatusCode;

/// A `*-type ";" *text` value (RFC 3464 §2.1.2): an address, MTA name or diagnostic together
/// with the type that says how to read it, e.g. `rfc822; bob@example.com` (§2.3.2),
/// `dns; mx.example.com` (§2.2.2) or `smtp; 550 5.1.1 User unknown` (§2.3.6).
///
/// The type is an `atom` compared case-insensitively; the value is kept as written (MTA names
/// and addresses are case-sensitive, §2.2.2, §2.3.2) without surrounding white space, and
/// parenthesized text stays in it, since diagnostics use parentheses freely. Serializes as
/// `type; value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TypedValue {
    kind: String,
    value: String,
}

/// `*text` may not hold CR or LF (RFC 3464 §2.3.2 notes such addresses cannot be reported
/// as they are), so they become spaces; white space around the value is not part of it.
fn clean_text(value: &str) -> String {
    value.replace(['\r', '\n'], " ").trim_matches([' ', '\t']).to_owned()
}

/// `atom` (RFC 5322 §3.2.3), as `address-type`, `diagnostic-type` and `mta-name-type` are.
fn is_atom(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b))
}

impl TypedValue {
    /// A value of any registered or `X-` type (RFC 3464 §2.1.2); the type must be an atom.
    pub fn new(kind: &str, value: &str) -> Result<Self, DsnError> {
        let kind = kind.trim_matches([' ', '\t']);
        if !is_atom(kind) {
            return Err(DsnError::InvalidType(kind.to_owned()));
        }
        Ok(Self { kind: kind.to_owned(), value: clean_text(value) })
    }

    /// `rfc822; address`: an Internet mailbox from the SMTP envelope (RFC 3464 §2.3.2,
    /// RFC 3461 §4.2).
    pub fn rfc822(address: &str) -> Self {
        Self { kind: "rfc822".to_owned(), value: clean_text(address) }
    }

    /// `dns; name`: an MTA's domain name (RFC 3464 §2.2.2, RFC 3461 §8.2).
    pub fn dns(name: &str) -> Self {
        Self { kind: "dns".to_owned(), value: clean_text(name) }
    }

    /// `smtp; reply`: an SMTP reply as the server sent it, e.g. `550 5.1.1 User unknown`
    /// (RFC 3464 §2.3.6, RFC 3461 §9.2).
    pub fn smtp(reply: &str) -> Self {
        Self { kind: "smtp".to_owned(), value: clean_text(reply) }
    }

    /// The `*-type` sub-field, e.g. `rfc822`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The text after the `;`.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the type is `kind`; types are case-insensitive (RFC 3464 §2.1.2).
    pub fn is_kind(&self, kind: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind)
    }

    /// Reads `type ";" *text`.
    fn parse(text: &str) -> Option<Self> {
        let (kind, value) = text.split_once(';')?;
        Self::new(kind, value).ok()
    }
}

impl fmt::Display for TypedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{};", self.kind)
        } else {
            write!(f, "{}; {}", self.kind, self.value)
        }
    }
}

impl TryFrom<String> for TypedValue {
    type Error = DsnError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text).ok_or(DsnError::InvalidType(text))
    }
}

impl From<TypedValue> for String {
    fn from(typed: TypedValue) -> Self {
        typed.to_string()
    }
}

/// `action-value = "failed" / "delayed" / "delivered" / "relayed" / "expanded"`
/// (RFC 3464 §2.3.3): what the reporting MTA did for one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Could not be delivered; the MTA has given up.
    Failed,
    /// Not delivered yet; the MTA keeps trying.
    Delayed,
    /// Delivered to the recipient's mailbox (a terminal state).
    Delivered,
    /// Relayed into an environment that sends no DSNs on success.
    Relayed,
    /// Delivered, then forwarded to several addresses of an alias.
    Expanded,
}

impl Action {
    /// The keyword as RFC 3464 §2.3.3 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
            Action::Relayed => "relayed",
            Action::Expanded => "expanded",
        }
    }

    /// Reads an action keyword "spelled in any combination of upper and lower case" (§2.3.3).
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        [Action::Failed, Action::Delayed, Action::Delivered, Action::Relayed, Action::Expanded]
            .into_iter()
            .find(|action| action.as_str().eq_ignore_ascii_case(keyword))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ret-value = "FULL" / "HDRS"` (RFC 3461 §4.3): how much of the original message a DSN
/// returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Return {
    /// `RET=FULL`: the whole message, as a `message/rfc822` part.
    #[serde(rename = "FULL")]
    Full,
    /// `RET=HDRS`: only its header, as a `text/rfc822-headers` part (RFC 6522 §4).
    #[serde(rename = "HDRS")]
    Headers,
}

impl Return {
    /// The keyword of the `RET` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Return::Full => "FULL",
            Return::Headers => "HDRS",
        }
    }

    /// Reads a `RET` value, case-insensitively (RFC 3461 §4.3, §4.1 keywords).
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        [Return::Full, Return::Headers].into_iter().find(|ret| ret.as_str().eq_ignore_ascii_case(keyword))
    }
}

impl fmt::Display for Return {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields of a `message/delivery-status` body (RFC 3464 §2.2, §2.3).
///
/// Dates are Unix seconds, written in UTC (`+0000`); readers keep the moment, not the zone.
/// Extension fields (§2.4) and those not kept here (`DSN-Gateway`, `Final-Log-ID`) are
/// skipped when reading.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeliveryReport {
    /// `Reporting-MTA`: the MTA that attempted the delivery (§2.2.2), usually `dns; name`.
    pub reporting_mta: TypedValue,
    /// `Received-From-MTA`: who handed the message to it (§2.2.4), usually `dns; helo-name`.
    pub received_from_mta: Option<TypedValue>,
    /// `Arrival-Date`: when the message arrived at the reporting MTA (§2.2.5).
    pub arrival_date: Option<i64>,
    /// `Original-Envelope-Id`: the sender's `ENVID` (§2.2.1, RFC 3461 §4.4), case-sensitive.
    pub original_envelope_id: Option<String>,
    /// One group of per-recipient fields per recipient reported on (§2.3); at least one.
    pub recipients: Vec<RecipientStatus>,
}

/// The per-recipient fields of a DSN (RFC 3464 §2.3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecipientStatus {
    /// `Original-Recipient`: the address as the sender gave it, from `ORCPT` (§2.3.1).
    pub original_recipient: Option<TypedValue>,
    /// `Final-Recipient`: the envelope recipient the reporting MTA handled (§2.3.2).
    pub final_recipient: TypedValue,
    /// `Action`: what happened (§2.3.3).
    pub action: Action,
    /// `Status`: the enhanced status code (§2.3.4, RFC 3463).
    pub status: EnhancedStatusCode,
    /// `Remote-MTA`: the server whose reply is reported (§2.3.5).
    pub remote_mta: Option<TypedValue>,
    /// `Diagnostic-Code`: the reply as received, e.g. `smtp; 550 5.1.1 User unknown` (§2.3.6).
    pub diagnostic_code: Option<TypedValue>,
    /// `Last-Attempt-Date`: the last delivery attempt (§2.3.7).
    pub last_attempt_date: Option<i64>,
    /// `Will-Retry-Until`: when a delayed delivery will be given up (§2.3.9).
    pub will_retry_until: Option<i64>,
}

impl DeliveryReport {
    /// The `message/delivery-status` body (RFC 3464 §2.1): per-message fields, then each
    /// recipient's group after a blank line; every field folded, every line ending in CRLF.
    /// [`delivery_status_content`] reads it back.
    pub fn to_delivery_status(&self) -> String {
        let mut out = String::new();
        if let Some(envelope_id) = &self.original_envelope_id {
            out.push_str(&fold("Original-Envelope-Id", envelope_id));
        }
        out.push_str(&fold("Reporting-MTA", &self.reporting_mta.to_string()));
        if let Some(mta) = &self.received_from_mta {
            out.push_str(&fold("Received-From-MTA", &mta.to_string()));
        }
        if let Some(date) = self.arrival_date {
            out.push_str(&fold("Arrival-Date", &format_date(date, 0)));
        }
        for recipient in &self.recipients {
            out.push_str("\r\n");
            out.push_str(&recipient.to_fields());
        }
        out
    }
}

impl RecipientStatus {
    /// The group of per-recipient fields in the order of RFC 3464 §2.3.
    pub fn to_fields(&self) -> String {
        let mut out = String::new();
        if let Some(original) = &self.original_recipient {
            out.push_str(&fold("Original-Recipient", &original.to_string()));
        }
        out.push_str(&fold("Final-Recipient", &self.final_recipient.to_string()));
        out.push_str(&fold("Action", self.action.as_str()));
        out.push_str(&fold("Status", &self.status.to_string()));
        if let Some(mta) = &self.remote_mta {
            out.push_str(&fold("Remote-MTA", &mta.to_string()));
        }
        if let Some(diagnostic) = &self.diagnostic_code {
            out.push_str(&fold("Diagnostic-Code", &diagnostic.to_string()));
        }
        if let Some(date) = self.last_attempt_date {
            out.push_str(&fold("Last-Attempt-Date", &format_date(date, 0)));
        }
        if let Some(date) = self.will_retry_until {
            out.push_str(&fold("Will-Retry-Until", &format_date(date, 0)));
        }
        out
    }
}

/// Why bytes are not a DSN, or not one this reader understands (RFC 3464 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsnError {
    /// The message's or a part's header section is malformed (RFC 5322 §2.2).
    Header(HeaderError),
    /// The message has no `Content-Type` field.
    NoContentType,
    /// A `Content-Type` value is malformed (RFC 2045 §5.1); holds what went wrong.
    ContentType(String),
    /// The message is not multipart; holds its `type/subtype`.
    NotMultipart(String),
    /// The multipart `Content-Type` has no `boundary` parameter (RFC 2046 §5.1.1).
    NoBoundary,
    /// No `--boundary` line opens a body part (RFC 2046 §5.1.1).
    NoParts(String),
    /// No `--boundary--` line closes the multipart body (RFC 2046 §5.1.1).
    UnterminatedMultipart(String),
    /// No part is `message/delivery-status` (RFC 3464 §2 (c)).
    NoDeliveryStatusPart,
    /// The delivery-status part is encoded; RFC 3464 §2.1 requires 7bit.
    Encoding {
        /// Line of the `Content-Transfer-Encoding` field.
        line: usize,
        /// The encoding found.
        saw: String,
    },
    /// A field's value does not follow its grammar.
    Field {
        /// Line where the field starts.
        line: usize,
        /// The field's name.
        field: &'static str,
        /// What the grammar allows.
        expected: &'static str,
        /// What the field has.
        saw: String,
    },
    /// A date field's value is not a `date-time` (RFC 5322 §3.3).
    Date {
        /// Line where the field starts.
        line: usize,
        /// The field's name.
        field: &'static str,
        /// Why the date is not valid.
        error: DateError,
    },
    /// A required field is missing from a group (RFC 3464 §2.2, §2.3).
    MissingField {
        /// Line where the group starts.
        line: usize,
        /// The missing field.
        field: &'static str,
        /// `per-message` or `per-recipient`.
        group: &'static str,
    },
    /// A field appears twice in one group.
    DuplicateField {
        /// Line of the second one.
        line: usize,
        /// The field's name.
        field: &'static str,
    },
    /// A per-recipient field among the per-message fields, or the other way round.
    MisplacedField {
        /// Line of the field.
        line: usize,
        /// The field's name as written.
        field: String,
        /// The group it belongs to: `per-message` or `per-recipient`.
        belongs_to: &'static str,
    },
    /// Per-message fields but no per-recipient group after them (RFC 3464 §2.1 `1*`).
    NoRecipients {
        /// Line after the per-message fields.
        line: usize,
    },
    /// [`TypedValue::new`] was given a type that is not an atom (RFC 3464 §2.1.2).
    InvalidType(String),
}

/// At most 60 characters of what was seen, so that errors on huge input stay readable.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

impl fmt::Display for DsnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(error) => write!(f, "{error}"),
            Self::NoContentType => {
                f.write_str("no Content-Type field; a DSN is multipart/report (RFC 3464 §2)")
            }
            Self::ContentType(why) => write!(f, "Content-Type: {why} (RFC 2045 §5.1)"),
            Self::NotMultipart(essence) => {
                write!(f, "Content-Type is {essence}; a DSN is multipart/report (RFC 3464 §2)")
            }
            Self::NoBoundary => {
                f.write_str("Content-Type: multipart without a boundary parameter (RFC 2046 §5.1.1)")
            }
            Self::NoParts(boundary) => write!(f, "no --{boundary} line opens a body part (RFC 2046 §5.1.1)"),
            Self::UnterminatedMultipart(boundary) => {
                write!(f, "unterminated multipart: no --{boundary}-- line closes it (RFC 2046 §5.1.1)")
            }
            Self::NoDeliveryStatusPart => f.write_str("no message/delivery-status part (RFC 3464 §2)"),
            Self::Encoding { line, saw } => write!(
                f,
                "line {line}: the message/delivery-status part has Content-Transfer-Encoding {saw}; \
                 RFC 3464 §2.1 requires 7bit"
            ),
            Self::Field { line, field, expected, saw } => {
                write!(f, "line {line}: {field}: expected {expected}, saw '{}'", excerpt(saw))
            }
            Self::Date { line, field, error } => write!(f, "line {line}: {field}: {error}"),
            Self::MissingField { line, field, group } => {
                let section = if *group == "per-message" { "§2.2" } else { "§2.3" };
                write!(f, "line {line}: {group} fields without a {field} field (RFC 3464 {section})")
            }
            Self::DuplicateField { line, field } => {
                write!(f, "line {line}: a second {field} field in the same group (RFC 3464 §2.2, §2.3)")
            }
            Self::MisplacedField { line, field, belongs_to } => write!(
                f,
                "line {line}: {field} is a {belongs_to} field; per-recipient fields follow the \
                 per-message fields after a blank line (RFC 3464 §2.1)"
            ),
            Self::NoRecipients { line } => {
                write!(f, "line {line}: no per-recipient fields after the per-message fields (RFC 3464 §2.1)")
            }
            Self::InvalidType(text) => {
                write!(f, "'{}' is not a type such as rfc822, dns or smtp (RFC 3464 §2.1.2)", excerpt(text))
            }
        }
    }
}

impl std::error::Error for DsnError {}

impl From<HeaderError> for DsnError {
    fn from(error: HeaderError) -> Self {
        Self::Header(error)
    }
}

const PER_MESSAGE: [&str; 5] =
    ["original-envelope-id", "reporting-mta", "dsn-gateway", "received-from-mta", "arrival-date"];
const PER_RECIPIENT: [&str; 9] = [
    "original-recipient",
    "final-recipient",
    "action",
    "status",
    "remote-mta",
    "diagnostic-code",
    "last-attempt-date",
    "final-log-id",
    "will-retry-until",
];

/// Stores a field's value in an empty slot, or reports the duplicate.
fn once<T>(slot: &mut Option<T>, value: T, line: usize, field: &'static str) -> Result<(), DsnError> {
    match slot.replace(value) {
        Some(_) => Err(DsnError::DuplicateField { line, field }),
        None => Ok(()),
    }
}

fn typed(located: &Located, field: &'static str, expected: &'static str) -> Result<TypedValue, DsnError> {
    let value = located.field.value();
    TypedValue::parse(&value).ok_or(DsnError::Field { line: located.line, field, expected, saw: value })
}

fn date(located: &Located, field: &'static str) -> Result<i64, DsnError> {
    parse_date(&located.field.value()).map(|date| date.unix_seconds).map_err(|error| DsnError::Date {
        line: located.line,
        field,
        error,
    })
}

/// The text before any white space or comment: status codes and actions may be followed by
/// a comment (RFC 3464 §2.3.4, §2.1.1).
fn first_word(value: &str) -> &str {
    value.split([' ', '\t', '(']).next().unwrap_or_default()
}

const ADDRESS: &str = "address-type \";\" address, such as rfc822; user@example.com";
const MTA_NAME: &str = "mta-name-type \";\" mta-name, such as dns; mx.example.com";
const DIAGNOSTIC: &str = "diagnostic-type \";\" text, such as smtp; 550 5.1.1 User unknown";

/// `per-message-fields` (RFC 3464 §2.2).
fn per_message_fields(group_line: usize, fields: Vec<Located>) -> Result<DeliveryReport, DsnError> {
    let (mut reporting_mta, mut received_from_mta, mut arrival_date, mut original_envelope_id) =
        (None, None, None, None);
    for located in fields {
        let line = located.line;
        match located.field.name().to_ascii_lowercase().as_str() {
            "original-envelope-id" => {
                once(&mut original_envelope_id, located.field.value(), line, "Original-Envelope-Id")?
            }
            "reporting-mta" => {
                once(&mut reporting_mta, typed(&located, "Reporting-MTA", MTA_NAME)?, line, "Reporting-MTA")?
            }
            "received-from-mta" => once(
                &mut received_from_mta,
                typed(&located, "Received-From-MTA", MTA_NAME)?,
                line,
                "Received-From-MTA",
            )?,
            "arrival-date" => once(&mut arrival_date, date(&located, "Arrival-Date")?, line, "Arrival-Date")?,
            name if PER_RECIPIENT.contains(&name) => {
                let field = located.field.name().to_owned();
                return Err(DsnError::MisplacedField { line, field, belongs_to: "per-recipient" });
            }
            // DSN-Gateway and extension fields (§2.4).
            _ => {}
        }
    }
    Ok(DeliveryReport {
        reporting_mta: reporting_mta.ok_or(DsnError::MissingField {
            line: group_line,
            field: "Reporting-MTA",
            group: "per-message",
        })?,
        received_from_mta,
        arrival_date,
        original_envelope_id,
        recipients: Vec::new(),
    })
}

/// `per-recipient-fields` (RFC 3464 §2.3).
fn per_recipient_fields(group_line: usize, fields: Vec<Located>) -> Result<RecipientStatus, DsnError> {
    let (mut original_recipient, mut final_recipient, mut action, mut status) = (None, None, None, None);
    let (mut remote_mta, mut diagnostic_code, mut last_attempt_date, mut will_retry_until) =
        (None, None, None, None);
    for located in fields {
        let line = located.line;
        match located.field.name().to_ascii_lowercase().as_str() {
            "original-recipient" => once(
                &mut original_recipient,
                typed(&located, "Original-Recipient", ADDRESS)?,
                line,
                "Original-Recipient",
            )?,
            "final-recipient" => once(
                &mut final_recipient,
                typed(&located, "Final-Recipient", ADDRESS)?,
                line,
                "Final-Recipient",
            )?,
            "action" => {
                let value = located.field.value();
                let parsed = Action::from_keyword(first_word(&value)).ok_or_else(|| DsnError::Field {
                    line,
                    field: "Action",
                    expected: "failed|delayed|delivered|relayed|expanded",
                    saw: value.clone(),
                })?;
                once(&mut action, parsed, line, "Action")?
            }
            "status" => {
                let value = located.field.value();
                let parsed: EnhancedStatusCode = first_word(&value).parse().map_err(|_| DsnError::Field {
                    line,
                    field: "Status",
                    expected: "a status code class.subject.detail such as 5.1.1 (RFC 3463 §2)",
                    saw: value.clone(),
                })?;
                once(&mut status, parsed, line, "Status")?
            }
            "remote-mta" => {
                once(&mut remote_mta, typed(&located, "Remote-MTA", MTA_NAME)?, line, "Remote-MTA")?
            }
            "diagnostic-code" => once(
                &mut diagnostic_code,
                typed(&located, "Diagnostic-Code", DIAGNOSTIC)?,
                line,
                "Diagnostic-Code",
            )?,
            "last-attempt-date" => {
                once(&mut last_attempt_date, date(&located, "Last-Attempt-Date")?, line, "Last-Attempt-Date")?
            }
            "will-retry-until" => {
                once(&mut will_retry_until, date(&located, "Will-Retry-Until")?, line, "Will-Retry-Until")?
            }
            name if PER_MESSAGE.contains(&name) => {
                let field = located.field.name().to_owned();
                return Err(DsnError::MisplacedField { line, field, belongs_to: "per-message" });
            }
            // Final-Log-ID and extension fields (§2.4).
            _ => {}
        }
    }
    let missing = |field| DsnError::MissingField { line: group_line, field, group: "per-recipient" };
    Ok(RecipientStatus {
        original_recipient,
        final_recipient: final_recipient.ok_or_else(|| missing("Final-Recipient"))?,
        action: action.ok_or_else(|| missing("Action"))?,
        status: status.ok_or_else(|| missing("Status"))?,
        remote_mta,
        diagnostic_code,
        last_attempt_date,
        will_retry_until,
    })
}

/// Reads a `message/delivery-status` body (RFC 3464 §2.1):
///
/// ```text
/// delivery-status-content = per-message-fields 1*( CRLF per-recipient-fields )
/// ```
///
/// Field names are case-insensitive and fields may be folded (§2.1.1); extra blank lines
/// between groups and bare LF line ends are tolerated. [`DeliveryReport::to_delivery_status`]
/// is the inverse.
pub fn delivery_status_content(input: &[u8]) -> Result<DeliveryReport, DsnError> {
    delivery_status_at(input, 1, 0)
}

/// [`delivery_status_content`] for a body that starts at `first_line`/`first_offset` of a
/// larger message, so that errors point into that message.
fn delivery_status_at(
    input: &[u8],
    first_line: usize,
    first_offset: usize,
) -> Result<DeliveryReport, DsnError> {
    let (mut pos, mut line) = (0, first_line);
    let mut groups = Vec::new();
    loop {
        // Blank lines (or lines of white space only) separate groups.
        while pos < input.len() {
            let (end, next) = line_at(input, pos);
            if !input.get(pos..end).unwrap_or_default().iter().all(|&b| b == b' ' || b == b'\t') {
                break;
            }
            (pos, line) = (next, line + 1);
        }
        if pos >= input.len() {
            break;
        }
        let section = header_section(input.get(pos..).unwrap_or_default(), line, first_offset + pos)?;
        groups.push((line, section.fields));
        (pos, line) = (pos + section.body_start, section.body_line);
        if section.separator == Separator::None {
            break;
        }
    }
    let mut groups = groups.into_iter();
    let (group_line, fields) = groups.next().ok_or(DsnError::MissingField {
        line: first_line,
        field: "Reporting-MTA",
        group: "per-message",
    })?;
    let mut report = per_message_fields(group_line, fields)?;
    for (group_line, fields) in groups {
        report.recipients.push(per_recipient_fields(group_line, fields)?);
    }
    if report.recipients.is_empty() {
        return Err(DsnError::NoRecipients { line });
    }
    Ok(report)
}

/// The first field called `name` in a located header section.
fn find<'a>(fields: &'a [Located], name: &str) -> Option<&'a Located> {
    fields.iter().find(|located| located.field.is(name))
}

/// Reads the delivery report out of a whole DSN message (RFC 3464 §2): finds the multipart
/// boundary, then the `message/delivery-status` part (or RFC 6533's
/// `message/global-delivery-status`), then parses its fields with
/// [`delivery_status_content`]. Errors give line numbers in the whole message.
///
/// [`build_dsn`] is the inverse: `parse_dsn(&build_dsn(&report, ..)) == Ok(report)`.
pub fn parse_dsn(bytes: &[u8]) -> Result<DeliveryReport, DsnError> {
    // 1. The top-level header: a multipart with a boundary.
    let top = header_section(bytes, 1, 0)?;
    let content_type = find(&top.fields, "Content-Type").ok_or(DsnError::NoContentType)?;
    let content_type = mime::content_type(&content_type.field.value()).map_err(DsnError::ContentType)?;
    if content_type.media_type != "multipart" {
        return Err(DsnError::NotMultipart(content_type.essence()));
    }
    let boundary = content_type.param("boundary").ok_or(DsnError::NoBoundary)?;
    // 2. The body parts (RFC 2046 §5.1.1).
    let body = bytes.get(top.body_start..).unwrap_or_default();
    let parts = mime::multipart_parts(body, boundary).map_err(|error| match error {
        mime::MultipartError::NoParts => DsnError::NoParts(boundary.to_owned()),
        mime::MultipartError::Unterminated => DsnError::UnterminatedMultipart(boundary.to_owned()),
    })?;
    // 3. The first message/delivery-status part.
    // Line numbers are counted as the parts go by, so that many parts stay linear.
    let (mut counted_to, mut line) = (0, 1);
    for (offset, part) in parts {
        let offset = top.body_start + offset;
        line += bytes.get(counted_to..offset).unwrap_or_default().iter().filter(|&&b| b == b'\n').count();
        counted_to = offset;
        let section = header_section(part, line, offset)?;
        let essence = match find(&section.fields, "Content-Type") {
            Some(located) => {
                mime::content_type(&located.field.value()).map_err(DsnError::ContentType)?.essence()
            }
            None => "text/plain".to_owned(), // RFC 2045 §5.2 default
        };
        if essence != "message/delivery-status" && essence != "message/global-delivery-status" {
            continue;
        }
        if let Some(located) = find(&section.fields, "Content-Transfer-Encoding") {
            let encoding = located.field.value();
            if !["7bit", "8bit", "binary"].iter().any(|ok| encoding.eq_ignore_ascii_case(ok)) {
                return Err(DsnError::Encoding { line: located.line, saw: encoding });
            }
        }
        let content = part.get(section.body_start..).unwrap_or_default();
        return delivery_status_at(content, section.body_line, offset + section.body_start);
    }
    Err(DsnError::NoDeliveryStatusPart)
}

/// What a DSN reports overall, which sets its subject and its note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Failure,
    Delay,
    Success,
}

impl Outcome {
    /// A failure if any recipient failed, else a delay if any is delayed, else a success.
    fn of(report: &DeliveryReport) -> Self {
        let any = |action| report.recipients.iter().any(|recipient| recipient.action == action);
        if any(Action::Failed) {
            Outcome::Failure
        } else if any(Action::Delayed) {
            Outcome::Delay
        } else {
            Outcome::Success
        }
    }

    fn subject(self) -> &'static str {
        match self {
            Outcome::Failure => "Undelivered Mail Returned to Sender",
            Outcome::Delay => "Delayed Mail (still being retried)",
            Outcome::Success => "Successful Mail Delivery Report",
        }
    }

    fn returned_description(self, ret: Return) -> &'static str {
        match (self, ret) {
            (Outcome::Failure, Return::Full) => "Undelivered Message",
            (Outcome::Failure, Return::Headers) => "Undelivered Message Headers",
            (Outcome::Delay, Return::Full) => "Delayed Message",
            (Outcome::Delay, Return::Headers) => "Delayed Message Headers",
            (Outcome::Success, Return::Full) => "Delivered Message",
            (Outcome::Success, Return::Headers) => "Delivered Message Headers",
        }
    }
}

/// Breaks a paragraph at spaces into lines of at most `width` characters, continuation lines
/// indented by four spaces; a longer word stays whole.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        if !line.trim_start().is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::replace(&mut line, "   ".to_owned()));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// One recipient's paragraph in the note, after Postfix's wording.
fn recipient_sentence(recipient: &RecipientStatus) -> String {
    let who = format!("<{}>", recipient.final_recipient.value());
    // An x.0.0 code adds nothing to the class ("Other undefined status"): only the code then.
    let status = if recipient.status.subject() == 0 && recipient.status.detail() == 0 {
        format!("(status {})", recipient.status)
    } else {
        format!("(status {}: {})", recipient.status, recipient.status.describe())
    };
    let remote = recipient.remote_mta.as_ref().map(TypedValue::value);
    let diagnostic = recipient.diagnostic_code.as_ref().map(TypedValue::value);
    match recipient.action {
        Action::Failed | Action::Delayed => {
            let mut sentence = match (remote, diagnostic) {
                (Some(mta), Some(reply)) => format!("{who}: host {mta} said: {reply} {status}"),
                (None, Some(reply)) => format!("{who}: {reply} {status}"),
                (_, None) => format!("{who}: {} {}", recipient.status, recipient.status.describe()),
            };
            if let Some(until) = recipient.will_retry_until {
                sentence.push_str(&format!(
                    ". The mail system will keep trying until {}.",
                    format_date(until, 0)
                ));
            }
            sentence
        }
        Action::Delivered => match (remote, diagnostic) {
            (Some(mta), Some(reply)) => format!("{who}: delivery via {mta}: {reply}"),
            (Some(mta), None) => format!("{who}: delivery via {mta} {status}"),
            (None, _) => format!("{who}: delivered to mailbox {status}"),
        },
        Action::Relayed => {
            format!("{who}: relayed to a system that sends no delivery notifications {status}")
        }
        Action::Expanded => {
            format!("{who}: delivered to an alias that expands to several addresses {status}")
        }
    }
}

/// The human-readable first part (RFC 3464 §2 (b)), CRLF line ends.
fn notification(report: &DeliveryReport, outcome: Outcome, ret: Return) -> String {
    let host = report.reporting_mta.value();
    let mut lines: Vec<String> = vec![format!("This is the mail system at host {host}."), String::new()];
    let attached = match ret {
        Return::Full => "It's attached below.",
        Return::Headers => "Its headers are attached below.",
    };
    let body: &[&str] = match outcome {
        Outcome::Failure => &[
            "I'm sorry to have to inform you that your message could not",
            "be delivered to one or more recipients.",
            "",
            "For further assistance, please send mail to postmaster.",
            "",
            "If you do so, please include this problem report. You can",
            "delete your own text from the attached returned message.",
        ],
        Outcome::Delay => &[
            "####################################################################",
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #",
            "####################################################################",
            "",
            "Your message could not be delivered yet. The mail system will keep",
            "trying; the recipients concerned are listed below.",
        ],
        Outcome::Success => &[
            "Your message was successfully delivered to the destination(s)",
            "listed below. If the message was delivered to mailbox you will",
            "receive no further notifications. Otherwise you may still receive",
            "notifications of mail delivery errors from other systems.",
        ],
    };
    lines.extend(body.iter().map(|line| (*line).to_owned()));
    if let Some(second) = lines.get_mut(3)
        && outcome == Outcome::Failure
    {
        second.push(' ');
        second.push_str(attached);
    }
    lines.extend([String::new(), "                   The mail system".to_owned()]);
    for recipient in &report.recipients {
        lines.push(String::new());
        lines.extend(wrap(&recipient_sentence(recipient), 72));
    }
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text
}

/// The header section of a message: everything before the first empty line (or all of it).
fn header_section_bytes(message: &[u8]) -> &[u8] {
    let mut pos = 0;
    while pos < message.len() {
        let (end, next) = line_at(message, pos);
        if end == pos {
            return message.get(..pos).unwrap_or_default();
        }
        pos = next;
    }
    message
}

/// `bchars` (RFC 2046 §5.1.1) without the space, at most 60 of them so that a suffix fits in
/// the 70 allowed; `boundary` if nothing is left.
fn clean_boundary(boundary: &str) -> String {
    let cleaned: String = boundary
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "'()+_,-./:=?".contains(*c))
        .take(60)
        .collect();
    if cleaned.is_empty() { "boundary".to_owned() } else { cleaned }
}

/// The boundary, or the boundary with the smallest `.N` added such that no line of any part
/// starts with `--` and it (RFC 2046 §5.1.1: it "must not appear inside any of the
/// encapsulated parts"). Deterministic, and linear in the size of the parts even when an
/// original message is crafted to collide with `.1`, `.2`, ….
fn unique_boundary(boundary: &str, parts: &[&[u8]]) -> String {
    let base = clean_boundary(boundary);
    let dash_boundary = format!("--{base}");
    // What follows `--base` on each line that starts with it.
    let rests: Vec<&[u8]> = parts
        .iter()
        .flat_map(|part| part.split(|&b| b == b'\n'))
        .filter_map(|line| line.strip_prefix(dash_boundary.as_bytes()))
        .collect();
    if rests.is_empty() {
        return base;
    }
    // `base.N` collides exactly when a rest starts with `.` and N's digits.
    let mut taken = std::collections::BTreeSet::new();
    for digits in rests.iter().filter_map(|rest| rest.strip_prefix(b".")) {
        let run = digits.iter().take(20).take_while(|b| b.is_ascii_digit()).count();
        for len in 1..=run {
            taken.insert(digits.get(..len).unwrap_or_default());
        }
    }
    let mut suffix = 1u64;
    while taken.contains(suffix.to_string().as_bytes()) {
        suffix += 1;
    }
    format!("{base}.{suffix}")
}

/// Builds a complete DSN message (RFC 3464 §2, RFC 6522 `multipart/report`):
///
/// 1. a `text/plain` note for people, saying per recipient what happened;
/// 2. the `message/delivery-status` part, [`DeliveryReport::to_delivery_status`]
///    (`message/global-delivery-status`, RFC 6533 §6, if it holds UTF-8);
/// 3. the original message as `message/rfc822` ([`Return::Full`]) or its header as
///    `text/rfc822-headers` ([`Return::Headers`]) (RFC 3461 §4.3).
///
/// `from` is the reporting MTA's mailer-daemon address, `to` the original envelope sender
/// (RFC 3464 §2: "addressed ... to the return address from the transport envelope"); send it
/// with `MAIL FROM:<>`. The subject follows the worst outcome: any failed recipient makes it
/// a bounce, else any delayed one a delay warning, else a success report. It is marked
/// `Auto-Submitted: auto-replied` (RFC 3834 §5).
///
/// Deterministic: boundary, date (Unix seconds, written in UTC) and message id are arguments.
/// The boundary is reduced to RFC 2046 `bchars` and, if a part contains a line starting with
/// it, extended with `.1`, `.2`, … until none does.
#[expect(
    clippy::too_many_arguments,
    reason = "deterministic: every otherwise random or clock input is an argument"
)]
pub fn build_dsn(
    report: &DeliveryReport,
    original_message: &[u8],
    ret: Return,
    from: &str,
    to: &str,
    boundary: &str,
    date: i64,
    message_id: &str,
) -> Vec<u8> {
    let outcome = Outcome::of(report);
    let note = notification(report, outcome, ret);
    let status = report.to_delivery_status();
    let returned = match ret {
        Return::Full => original_message,
        Return::Headers => header_section_bytes(original_message),
    };
    let boundary = unique_boundary(boundary, &[note.as_bytes(), status.as_bytes(), returned]);
    let eight_bit = !(note.is_ascii() && status.is_ascii() && returned.is_ascii());
    let strip = |text: &str| text.trim().trim_start_matches('<').trim_end_matches('>').to_owned();

    let mut head = String::new();
    head.push_str(&fold("From", &format!("Mail Delivery System <{}>", strip(from))));
    head.push_str(&fold("To", &format!("<{}>", strip(to))));
    head.push_str(&fold("Subject", outcome.subject()));
    head.push_str(&fold("Date", &format_date(date, 0)));
    head.push_str(&fold("Message-ID", &format!("<{}>", strip(message_id))));
    head.push_str(&fold("Auto-Submitted", "auto-replied"));
    head.push_str(&fold("MIME-Version", "1.0"));
    head.push_str(&fold(
        "Content-Type",
        &format!("multipart/report; report-type=delivery-status; boundary=\"{boundary}\""),
    ));
    if eight_bit {
        head.push_str(&fold("Content-Transfer-Encoding", "8bit"));
    }
    head.push_str("\r\nThis is a MIME-encapsulated message.\r\n\r\n");

    // 1. The note for people.
    head.push_str(&format!("--{boundary}\r\n"));
    head.push_str(&fold("Content-Description", "Notification"));
    let charset = if note.is_ascii() { "us-ascii" } else { "utf-8" };
    head.push_str(&fold("Content-Type", &format!("text/plain; charset={charset}")));
    if !note.is_ascii() {
        head.push_str(&fold("Content-Transfer-Encoding", "8bit"));
    }
    head.push_str("\r\n");
    head.push_str(&note);

    // 2. The report for programs.
    head.push_str(&format!("\r\n--{boundary}\r\n"));
    head.push_str(&fold("Content-Description", "Delivery report"));
    let status_type =
        if status.is_ascii() { "message/delivery-status" } else { "message/global-delivery-status" };
    head.push_str(&fold("Content-Type", status_type));
    head.push_str("\r\n");
    head.push_str(&status);

    // 3. What is returned of the original.
    head.push_str(&format!("\r\n--{boundary}\r\n"));
    head.push_str(&fold("Content-Description", outcome.returned_description(ret)));
    let returned_type = match ret {
        Return::Full => "message/rfc822",
        Return::Headers => "text/rfc822-headers",
    };
    head.push_str(&fold("Content-Type", returned_type));
    if !returned.is_ascii() {
        head.push_str(&fold("Content-Transfer-Encoding", "8bit"));
    }
    head.push_str("\r\n");

    let mut out = head.into_bytes();
    out.extend_from_slice(returned);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{message::HeaderField, proto::StatusClass};

    const ORIGINAL: &[u8] = b"Return-Path: <alice@example.org>\r\n\
        Received: from client.example.org (client.example.org [192.0.2.1])\r\n\
        \x20by mx.example.com with ESMTPS id 4Xyz1; Wed, 25 Nov 2026 02:23:30 +0000\r\n\
        From: Alice <alice@example.org>\r\n\
        To: bob@example.net\r\n\
        Subject: Lunch\r\n\
        Message-ID: <lunch@example.org>\r\n\
        \r\n\
        See you at noon.\r\n";

    /// Fixtures are written with LF line ends for readability; the wire has CRLF.
    fn crlf(text: &str) -> String {
        text.replace('\n', "\r\n")
    }

    fn bounce() -> DeliveryReport {
        DeliveryReport {
            reporting_mta: TypedValue::dns("mx.example.com"),
            received_from_mta: Some(TypedValue::dns("client.example.org (192.0.2.1)")),
            arrival_date: Some(1_795_573_410),
            original_envelope_id: Some("QQ314159".into()),
            recipients: vec![RecipientStatus {
                original_recipient: Some(TypedValue::rfc822("bob@example.net")),
                final_recipient: TypedValue::rfc822("bob@example.net"),
                action: Action::Failed,
                status: EnhancedStatusCode::BAD_MAILBOX,
                remote_mta: Some(TypedValue::dns("mx.example.net")),
                diagnostic_code: Some(TypedValue::smtp(
                    "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox table",
                )),
                last_attempt_date: Some(1_795_573_411),
                will_retry_until: None,
            }],
        }
    }

    fn recipient(address: &str, action: Action, status: &str) -> RecipientStatus {
        RecipientStatus {
            original_recipient: None,
            final_recipient: TypedValue::rfc822(address),
            action,
            status: status.parse().expect("valid status"),
            remote_mta: None,
            diagnostic_code: None,
            last_attempt_date: None,
            will_retry_until: None,
        }
    }

    fn reports() -> Vec<DeliveryReport> {
        let delay = DeliveryReport {
            reporting_mta: TypedValue::dns("relay.example.com"),
            received_from_mta: None,
            arrival_date: None,
            original_envelope_id: None,
            recipients: vec![RecipientStatus {
                diagnostic_code: Some(
                    TypedValue::new(
                        "X-Postfix",
                        "connect to mx.example.net[198.51.100.25]:25: Connection timed out",
                    )
                    .expect("atom"),
                ),
                last_attempt_date: Some(1_795_580_000),
                will_retry_until: Some(1_795_918_000),
                ..recipient("carol@example.net", Action::Delayed, "4.4.1")
            }],
        };
        let success = DeliveryReport {
            recipients: vec![
                RecipientStatus {
                    remote_mta: Some(TypedValue::dns("mx.example.net")),
                    diagnostic_code: Some(TypedValue::smtp("250 2.0.0 Ok: queued as 4Abc")),
                    ..recipient("dave@example.net", Action::Delivered, "2.0.0")
                },
                recipient("list@example.net", Action::Expanded, "2.0.0"),
                recipient("gw@example.net", Action::Relayed, "2.0.0"),
            ],
            ..delay.clone()
        };
        let mixed = DeliveryReport {
            recipients: vec![
                recipient("erin@example.net", Action::Failed, "5.2.2"),
                recipient("frank@example.net", Action::Delayed, "4.2.2"),
                RecipientStatus {
                    original_recipient: Some(TypedValue::new("utf-8", "grüße@example.net").expect("atom")),
                    ..recipient("gruesse@example.net", Action::Failed, "5.6.7")
                },
                RecipientStatus {
                    final_recipient: TypedValue::rfc822(""),
                    ..recipient("x", Action::Failed, "5.0.0")
                },
            ],
            ..bounce()
        };
        vec![bounce(), delay, success, mixed]
    }

    fn build(report: &DeliveryReport, ret: Return) -> Vec<u8> {
        build_dsn(
            report,
            ORIGINAL,
            ret,
            "MAILER-DAEMON@mx.example.com",
            "alice@example.org",
            "4Xyz1.1795573411/mx.example.com",
            1_795_573_411,
            "20261125022331.4Xyz1@mx.example.com",
        )
    }

    #[test]
    fn build_known_answer() {
        let dsn = String::from_utf8(build(&bounce(), Return::Headers)).expect("UTF-8");
        let expected = crlf(
            r#"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: <alice@example.org>
Subject: Undelivered Mail Returned to Sender
Date: Wed, 25 Nov 2026 02:23:31 +0000
Message-ID: <20261125022331.4Xyz1@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="4Xyz1.1795573411/mx.example.com"

This is a MIME-encapsulated message.

--4Xyz1.1795573411/mx.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. Its headers are attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<bob@example.net>: host mx.example.net said: 550 5.1.1
    <bob@example.net>: Recipient address rejected: User unknown in
    virtual mailbox table (status 5.1.1: Bad destination mailbox
    address)

--4Xyz1.1795573411/mx.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Original-Envelope-Id: QQ314159
Reporting-MTA: dns; mx.example.com
Received-From-MTA: dns; client.example.org (192.0.2.1)
Arrival-Date: Wed, 25 Nov 2026 02:23:30 +0000

Original-Recipient: rfc822; bob@example.net
Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address
 rejected: User unknown in virtual mailbox table
Last-Attempt-Date: Wed, 25 Nov 2026 02:23:31 +0000

--4Xyz1.1795573411/mx.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <alice@example.org>
Received: from client.example.org (client.example.org [192.0.2.1])
 by mx.example.com with ESMTPS id 4Xyz1; Wed, 25 Nov 2026 02:23:30 +0000
From: Alice <alice@example.org>
To: bob@example.net
Subject: Lunch
Message-ID: <lunch@example.org>

--4Xyz1.1795573411/mx.example.com--
"#,
        );
        assert_eq!(dsn, expected);
    }

    #[test]
    fn parse_inverts_build_for_a_table_of_reports() {
        for report in reports() {
            for ret in [Return::Full, Return::Headers] {
                let dsn = build(&report, ret);
                assert_eq!(parse_dsn(&dsn), Ok(report.clone()), "{}", String::from_utf8_lossy(&dsn));
                let content = report.to_delivery_status();
                assert_eq!(delivery_status_content(content.as_bytes()), Ok(report.clone()));
            }
        }
    }

    #[test]
    fn built_dsns_are_well_formed_messages() {
        for report in reports() {
            let dsn = build(&report, Return::Full);
            let message = crate::message::Message::parse(&dsn).expect("a valid RFC 5322 message");
            assert_eq!(message.to_bytes(), dsn);
            assert_eq!(
                message.get("Auto-Submitted").map(HeaderField::value).as_deref(),
                Some("auto-replied")
            );
            for line in dsn.split(|&b| b == b'\n') {
                assert!(line.len() <= 80, "{}", String::from_utf8_lossy(line));
            }
            let has = |needle: &[u8]| dsn.windows(needle.len()).any(|w| w == needle);
            assert!(has(b"Content-Type: message/rfc822\r\n\r\nReturn-Path: <alice@example.org>"));
            assert!(has(b"See you at noon.\r\n\r\n--4Xyz1"));
        }
    }

    #[test]
    fn subjects_follow_the_worst_outcome() {
        let subject = |report: &DeliveryReport| {
            let dsn = build(report, Return::Headers);
            let message = crate::message::Message::parse(&dsn).expect("valid");
            message.get("Subject").map(HeaderField::value).unwrap_or_default()
        };
        let reports = reports();
        let subjects: Vec<String> = reports.iter().map(subject).collect();
        assert_eq!(
            subjects,
            [
                "Undelivered Mail Returned to Sender",
                "Delayed Mail (still being retried)",
                "Successful Mail Delivery Report",
                "Undelivered Mail Returned to Sender"
            ]
        );
    }

    #[test]
    fn utf8_reports_use_global_delivery_status() {
        let report = &reports()[3];
        let dsn = build(report, Return::Headers);
        let has = |needle: &[u8]| dsn.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"Content-Type: message/global-delivery-status\r\n"));
        assert!(has(b"Content-Transfer-Encoding: 8bit\r\n"));
    }

    #[test]
    fn boundary_never_occurs_in_a_part() {
        let original = b"Subject: trap\r\n\r\n--b\r\n--b.1\r\n--b--\r\n";
        let dsn = build_dsn(&bounce(), original, Return::Full, "m@x", "a@y", "b", 0, "id@x");
        let text = String::from_utf8_lossy(&dsn);
        assert!(text.contains("boundary=\"b.2\""), "{text}");
        assert_eq!(parse_dsn(&dsn), Ok(bounce()));
        // Characters outside bchars are dropped; nothing left gives "boundary".
        let dsn = build_dsn(&bounce(), ORIGINAL, Return::Full, "m@x", "a@y", "\"\r\n", 0, "id@x");
        assert!(String::from_utf8_lossy(&dsn).contains("boundary=\"boundary\""));
        assert_eq!(parse_dsn(&dsn), Ok(bounce()));
    }

    #[test]
    fn boundary_suffixes_skip_every_collision() {
        for (lines, expected) in [
            (&[][..], "b"),
            (&["--bx"][..], "b.1"),
            (&["--b.1x", "--b.12", "--b.2"][..], "b.3"),
            (&["--b.01"][..], "b.1"),
            (&["x--b", " --b"][..], "b"),
        ] {
            let part = lines.join("\n");
            assert_eq!(unique_boundary("b", &[part.as_bytes()]), expected, "{lines:?}");
        }
        // An original crafted to collide with the first thousand suffixes.
        let crafted: String = (0..=1000).map(|n| format!("--b.{n}\r\n")).collect();
        assert_eq!(unique_boundary("b", &[crafted.as_bytes()]), "b.1001");
    }

    /// A Postfix-style bounce written by hand after RFC 3464 Appendix E, with extension fields,
    /// folded fields, comments, mixed case names and a non-SMTP diagnostic type.
    const POSTFIX_BOUNCE: &str = r#"Return-Path: <>
Received: by mx.example.com (Postfix)
        id 4Xyz1; Wed, 25 Nov 2026 02:23:31 +0000 (UTC)
Date: Wed, 25 Nov 2026 02:23:31 +0000 (UTC)
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: alice@example.org
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
        boundary="4Xyz1.1795573411/mx.example.com"
Content-Transfer-Encoding: 7bit
Message-Id: <20261125022331.4Xyz1@mx.example.com>

This is a MIME-encapsulated message.

--4Xyz1.1795573411/mx.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

                   The mail system

<bob@example.net>: host mx.example.net[198.51.100.25] said: 550 5.1.1
    <bob@example.net>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

<carol@example.net>: connect to mx.example.net[198.51.100.25]:25: Connection
    timed out

--4Xyz1.1795573411/mx.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
X-Postfix-Queue-ID: 4Xyz1
X-Postfix-Sender: rfc822; alice@example.org
Arrival-Date: Wed, 25 Nov 2026 02:23:30 +0000 (UTC)

Final-Recipient: rfc822; bob@example.net
ORIGINAL-RECIPIENT: rfc822;bob@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected:
    User unknown in virtual mailbox table

final-recipient: RFC822; carol@example.net
action: Failed (gave up)
status: 4.4.1 (persistent transient failure)
Diagnostic-Code: X-Postfix; connect to mx.example.net[198.51.100.25]:25:
    Connection timed out
Last-Attempt-Date: Sun, 29 Nov 2026 02:23:30 -0500

--4Xyz1.1795573411/mx.example.com
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: Alice <alice@example.org>
To: bob@example.net, carol@example.net
Subject: Lunch

See you at noon.

--4Xyz1.1795573411/mx.example.com--
"#;

    fn postfix_report() -> DeliveryReport {
        DeliveryReport {
            reporting_mta: TypedValue::dns("mx.example.com"),
            received_from_mta: None,
            arrival_date: Some(1_795_573_410),
            original_envelope_id: None,
            recipients: vec![
                RecipientStatus {
                    original_recipient: Some(TypedValue::rfc822("bob@example.net")),
                    final_recipient: TypedValue::rfc822("bob@example.net"),
                    action: Action::Failed,
                    status: EnhancedStatusCode::BAD_MAILBOX,
                    remote_mta: Some(TypedValue::dns("mx.example.net")),
                    diagnostic_code: Some(TypedValue::smtp(
                        "550 5.1.1 <bob@example.net>: Recipient address rejected:    User unknown in virtual mailbox table",
                    )),
                    last_attempt_date: None,
                    will_retry_until: None,
                },
                RecipientStatus {
                    original_recipient: None,
                    final_recipient: TypedValue::new("RFC822", "carol@example.net").expect("atom"),
                    action: Action::Failed,
                    status: EnhancedStatusCode::NO_ANSWER,
                    remote_mta: None,
                    diagnostic_code: Some(
                        TypedValue::new(
                            "X-Postfix",
                            "connect to mx.example.net[198.51.100.25]:25:    Connection timed out",
                        )
                        .expect("atom"),
                    ),
                    last_attempt_date: Some(1_795_937_010),
                    will_retry_until: None,
                },
            ],
        }
    }

    #[test]
    fn parses_a_hand_written_postfix_bounce() {
        let report = parse_dsn(crlf(POSTFIX_BOUNCE).as_bytes()).expect("a valid DSN");
        assert_eq!(report, postfix_report());
        let second = report.recipients.get(1).expect("two recipients");
        assert!(second.final_recipient.is_kind("rfc822"));
        assert_eq!(second.status.class(), StatusClass::PersistentTransientFailure);
        // Saved bounces often have bare LF line ends.
        assert_eq!(parse_dsn(POSTFIX_BOUNCE.as_bytes()), Ok(postfix_report()));
    }

    #[test]
    fn parses_the_rfc_3464_simple_dsn() {
        let dsn = crlf(
            r#"Date: Thu, 7 Jul 1994 17:16:05 -0400
From: Mail Delivery Subsystem <MAILER-DAEMON@CS.UTK.EDU>
Message-Id: <199407072116.RAA14128@CS.UTK.EDU>
Subject: Returned mail: Cannot send message for 5 days
To: <owner-info-mime@cs.utk.edu>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
       boundary="RAA14128.773615765/CS.UTK.EDU"

--RAA14128.773615765/CS.UTK.EDU

The original message was received at Sat, 2 Jul 1994 17:10:28 -0400
from root@localhost

    ----- The following addresses had delivery problems -----
<louisl@larry.slip.umd.edu>  (unrecoverable error)

--RAA14128.773615765/CS.UTK.EDU
content-type: message/delivery-status

Reporting-MTA: dns; cs.utk.edu

Original-Recipient: rfc822;louisl@larry.slip.umd.edu
Final-Recipient: rfc822;louisl@larry.slip.umd.edu
Action: failed
Status: 4.0.0
Diagnostic-Code: smtp; 426 connection timed out
Last-Attempt-Date: Thu, 7 Jul 1994 17:15:49 -0400

--RAA14128.773615765/CS.UTK.EDU
content-type: message/rfc822

[original message goes here]

--RAA14128.773615765/CS.UTK.EDU--
"#,
        );
        let report = parse_dsn(dsn.as_bytes()).expect("the RFC's own example");
        assert_eq!(report.reporting_mta, TypedValue::dns("cs.utk.edu"));
        let recipient = report.recipients.first().expect("one recipient");
        assert_eq!(recipient.final_recipient, TypedValue::rfc822("louisl@larry.slip.umd.edu"));
        assert_eq!(recipient.status.to_string(), "4.0.0");
        assert_eq!(recipient.diagnostic_code, Some(TypedValue::smtp("426 connection timed out")));
        assert_eq!(recipient.last_attempt_date, Some(773_615_749));
    }

    /// A DSN whose delivery-status part is `fields`; that part's first field is on line 9.
    fn with_status_part(fields: &str) -> Vec<u8> {
        format!(
            "Content-Type: multipart/report; boundary=b\r\n\
\r\n\
--b\r\n\
\r\n\
note\r\n\
--b\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
{fields}\r\n\
--b--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn errors_name_what_is_missing_or_wrong() {
        let long = format!("Subject: {}\r\n\r\n", "x".repeat(100_000));
        let table: Vec<(Vec<u8>, &str)> = vec![
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), "line 1: expected a field name of printable US-ASCII except ':' followed by ':' (RFC 5322 §3.6.8), saw byte 0x89"),
            (long.into_bytes(), "line 1: line of 100009 characters, more than the 998 RFC 5322 §2.1.1 allows"),
            (b"Subject: hi\r\n\r\nbody".to_vec(), "no Content-Type field; a DSN is multipart/report (RFC 3464 §2)"),
            (b"Content-Type: text/plain\r\n\r\nbody".to_vec(), "Content-Type is text/plain; a DSN is multipart/report (RFC 3464 §2)"),
            (b"Content-Type: multipart/report\r\n\r\n".to_vec(), "Content-Type: multipart without a boundary parameter (RFC 2046 §5.1.1)"),
            (b"Content-Type: multipart/report; boundary\r\n\r\n".to_vec(), "Content-Type: expected '=' after the parameter name, saw '' (RFC 2045 §5.1)"),
            (b"Content-Type: multipart/report; boundary=b\r\n\r\nno parts".to_vec(), "no --b line opens a body part (RFC 2046 §5.1.1)"),
            (
                b"Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\n\r\nnote\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n".to_vec(),
                "unterminated multipart: no --b-- line closes it (RFC 2046 §5.1.1)",
            ),
            (b"Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\n\r\nnote\r\n--b--\r\n".to_vec(), "no message/delivery-status part (RFC 3464 §2)"),
            (
                b"Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\nUmVwb3J0aW5n\r\n--b--\r\n".to_vec(),
                "line 5: the message/delivery-status part has Content-Transfer-Encoding base64; RFC 3464 §2.1 requires 7bit",
            ),
            (
                with_status_part("Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: bounced\r\nStatus: 5.0.0"),
                "line 12: Action: expected failed|delayed|delivered|relayed|expanded, saw 'bounced'",
            ),
            (
                with_status_part("Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.0"),
                "line 13: Status: expected a status code class.subject.detail such as 5.1.1 (RFC 3463 §2), saw '5.0'",
            ),
            (
                with_status_part("Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: a@b\r\nAction: failed\r\nStatus: 5.0.0"),
                "line 11: Final-Recipient: expected address-type \";\" address, such as rfc822; user@example.com, saw 'a@b'",
            ),
            (
                with_status_part("Reporting-MTA: dns; x\r\n\r\nAction: failed\r\nStatus: 5.0.0"),
                "line 11: per-recipient fields without a Final-Recipient field (RFC 3464 §2.3)",
            ),
            (
                with_status_part("Arrival-Date: now\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.0.0"),
                "line 9: Arrival-Date: date-time: expected a day name (Mon to Sun) or a day number, saw 'now'",
            ),
            (
                with_status_part("Arrival-Date: 1 Jan 2000 00:00 +0000\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.0.0"),
                "line 9: per-message fields without a Reporting-MTA field (RFC 3464 §2.2)",
            ),
            (
                with_status_part("Reporting-MTA: dns; x\r\nReporting-MTA: dns; y\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.0.0"),
                "line 10: a second Reporting-MTA field in the same group (RFC 3464 §2.2, §2.3)",
            ),
            (
                with_status_part("Reporting-MTA: dns; x\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.0.0"),
                "line 10: Final-Recipient is a per-recipient field; per-recipient fields follow the per-message fields after a blank line (RFC 3464 §2.1)",
            ),
            (with_status_part("Reporting-MTA: dns; x\r\n"), "line 10: no per-recipient fields after the per-message fields (RFC 3464 §2.1)"),
            (
                with_status_part("Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b\r\nno colon\r\n"),
                "line 12: header field without a colon (RFC 5322 §2.2)",
            ),
        ];
        for (input, error) in table {
            assert_eq!(
                parse_dsn(&input).map_err(|e| e.to_string()),
                Err(error.to_owned()),
                "{}",
                String::from_utf8_lossy(&input)
            );
        }
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let dsn = build(&bounce(), Return::Full);
        let close = dsn.len() - b"--\r\n".len();
        for end in 0..dsn.len() {
            let result = parse_dsn(&dsn[..end]);
            if end < close {
                assert!(result.is_err(), "prefix of {end} bytes");
            }
        }
    }

    #[test]
    fn typed_values() {
        assert_eq!(TypedValue::rfc822(" a@b\r\n ").to_string(), "rfc822; a@b");
        assert_eq!(TypedValue::rfc822("").to_string(), "rfc822;");
        assert!(TypedValue::new("not an atom", "x").is_err());
        assert!(TypedValue::new("", "x").is_err());
        assert_eq!(TypedValue::try_from("DNS ;  mx ".to_owned()), TypedValue::new("DNS", "mx"));
        assert!(TypedValue::try_from("no type".to_owned()).is_err());
        let typed = TypedValue::smtp("550 5.1.1 no");
        assert_eq!(TypedValue::try_from(String::from(typed.clone())), Ok(typed));
    }

    #[test]
    fn keywords() {
        for action in [Action::Failed, Action::Delayed, Action::Delivered, Action::Relayed, Action::Expanded]
        {
            assert_eq!(Action::from_keyword(&action.as_str().to_ascii_uppercase()), Some(action));
        }
        assert_eq!(Action::from_keyword("bounced"), None);
        assert_eq!(Return::from_keyword("hdrs"), Some(Return::Headers));
        assert_eq!(Return::from_keyword("FULL"), Some(Return::Full));
        assert_eq!(Return::from_keyword("ALL"), None);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        // Words and single spaces, as diagnostics are; no white space at either end.
        proptest::collection::vec("[!-~]{1,15}", 1..12).prop_map(|words| words.join(" "))
    }

    fn date() -> impl Strategy<Value = i64> {
        -2_208_988_800i64..253_402_300_799
    }

    fn typed(kind: &'static str) -> impl Strategy<Value = TypedValue> {
        text()
            .prop_map(move |value| TypedValue::new(kind, &value).unwrap_or_else(|_| TypedValue::dns(&value)))
    }

    fn status() -> impl Strategy<Value = EnhancedStatusCode> {
        (prop_oneof!["2", "4", "5"], 0u16..1000, 0u16..1000)
            .prop_filter_map("valid code", |(class, subject, detail)| {
                format!("{class}.{subject}.{detail}").parse().ok()
            })
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Failed),
            Just(Action::Delayed),
            Just(Action::Delivered),
            Just(Action::Relayed),
            Just(Action::Expanded)
        ]
    }

    fn recipient() -> impl Strategy<Value = RecipientStatus> {
        (
            (proptest::option::of(typed("rfc822")), typed("rfc822"), action(), status()),
            (
                proptest::option::of(typed("dns")),
                proptest::option::of(prop_oneof![typed("smtp"), typed("X-Local")]),
                proptest::option::of(date()),
                proptest::option::of(date()),
            ),
        )
            .prop_map(
                |(
                    (original_recipient, final_recipient, action, status),
                    (remote_mta, diagnostic_code, last_attempt_date, will_retry_until),
                )| RecipientStatus {
                    original_recipient,
                    final_recipient,
                    action,
                    status,
                    remote_mta,
                    diagnostic_code,
                    last_attempt_date,
                    will_retry_until,
                },
            )
    }

    fn report() -> impl Strategy<Value = DeliveryReport> {
        (
            typed("dns"),
            proptest::option::of(typed("dns")),
            proptest::option::of(date()),
            proptest::option::of("[!-~]{1,30}"),
            proptest::collection::vec(recipient(), 1..4),
        )
            .prop_map(
                |(reporting_mta, received_from_mta, arrival_date, original_envelope_id, recipients)| {
                    DeliveryReport {
                        reporting_mta,
                        received_from_mta,
                        arrival_date,
                        original_envelope_id,
                        recipients,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn parse_inverts_build(
            report in report(),
            original in proptest::collection::vec(any::<u8>(), 0..300),
            full in any::<bool>(),
            boundary in "[A-Za-z0-9./=-]{1,40}",
        ) {
            let ret = if full { Return::Full } else { Return::Headers };
            let dsn = build_dsn(&report, &original, ret, "MAILER-DAEMON@mx", "a@b", &boundary, 0, "id@mx");
            prop_assert_eq!(parse_dsn(&dsn), Ok(report.clone()));
            prop_assert_eq!(delivery_status_content(report.to_delivery_status().as_bytes()), Ok(report));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..500)) {
            let _ = parse_dsn(&bytes);
            let _ = delivery_status_content(&bytes);
        }

        #[test]
        fn mangled_dsns_never_panic(report in report(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut dsn = build_dsn(&report, b"Subject: x\r\n\r\nbody", Return::Full, "m@x", "a@b", "b", 0, "id@x");
            let at = cut.index(dsn.len());
            if let Some(slot) = dsn.get_mut(at) {
                *slot = byte;
            }
            let _ = parse_dsn(&dsn);
            let _ = parse_dsn(dsn.get(..at).unwrap_or_default());
        }
    }
}
