//! Annotated bytes: every line of a step's wire text cut into the parts the core's parsers
//! see — verb, reverse-path, each ESMTP parameter, reply code, enhanced status code, text,
//! header field name and value — each with its meaning and the RFC section that defines it.
//!
//! The labels come from the parsers in [`crate::proto`] and [`crate::message`] (spans of
//! the grammar rules they matched), never from a per-lesson table, so a line a learner
//! typed is explained the same way as one the simulation produced. Junk is labelled
//! `unrecognised` with the parser's error; nothing here panics on any input.
//!
//! Every [`AnnotatedLine`] is one line of the wire without its CRLF. Its parts are in order,
//! do not overlap and cover every byte of `text`, on character boundaries. A line that ended
//! in CRLF gets one more part, empty (`start == end == text.len()`), that stands for the CRLF,
//! so a viewer can show the line end too; it is labelled [`CRLF_LABEL`], except on the empty
//! line that ends a header section, where it says so. The last line of a wire without a final
//! CRLF has no such part, and no other part is ever empty.

use std::ops::Range;

use crate::message::HeaderField;
use crate::proto::{
    Command, EhloReply, MailParameters, RcptParameters, Reply, ReplyCode, SaslResponse, Verb,
    command::{CommandPart, CommandSpan, command_spans},
    ehlo::ehlo_line_spans,
    enhanced::{EnhancedStatusCode, StatusClass},
    params::AuthParam,
    reply::{Category, ReplyLineSpans, Severity, reply_spans},
};
use crate::timeline::StepKind;

mod imap;
pub use imap::{imap_command_lines, imap_continuation_lines, imap_response_lines};

/// One labelled stretch of a line: bytes `start..end` of [`AnnotatedLine::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub start: usize,
    pub end: usize,
    /// What the parser recognised, e.g. `verb`, `reverse-path`, `SIZE value`, `reply code`.
    pub label: String,
    /// What it means here, in plain words.
    pub meaning: String,
    /// The defining section, e.g. `RFC 5321 §4.1.1.2` (see [`rfc_link`]).
    pub rfc: Option<String>,
}

/// One line of a step's wire text, cut into labelled parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotatedLine {
    /// The line without its CRLF.
    pub text: String,
    /// In order, covering `text`; then an empty `CRLF` part if the line ended in CRLF.
    pub parts: Vec<Part>,
}

/// Label of the empty part that stands for a line's CRLF.
pub const CRLF_LABEL: &str = "CRLF";

/// Cuts each line of `wire` into labelled parts, reading it as a step of `kind` sends it.
pub fn annotate(kind: StepKind, wire: &str) -> Vec<AnnotatedLine> {
    let lines = split_lines(wire);
    match kind {
        StepKind::Command => lines.iter().map(|&(text, crlf)| command_line(text, crlf)).collect(),
        StepKind::Reply => reply_lines(wire, &lines),
        StepKind::Data => message_lines(&lines, true),
        StepKind::Dsn | StepKind::Delivery | StepKind::Note => message_lines(&lines, false),
        StepKind::Retrieval => pop3_lines(&lines),
        StepKind::ImapCommand => imap_command_lines(wire),
        StepKind::ImapResponse => imap_response_lines(wire),
        StepKind::DnsQuery => lines.iter().map(|&(text, crlf)| dns_query_line(text, crlf)).collect(),
        StepKind::DnsAnswer => lines.iter().map(|&(text, crlf)| dns_answer_line(text, crlf)).collect(),
        StepKind::TcpConnect
        | StepKind::TcpRefused
        | StepKind::TcpClose
        | StepKind::TlsHandshake
        | StepKind::Queue
        | StepKind::Retry => lines
            .iter()
            .map(|&(text, crlf)| {
                let mut line = LineBuilder::new(text);
                line.push(0..text.len(), "text", "a description of the event", None);
                line.finish(crlf)
            })
            .collect(),
    }
}

/// The link to an RFC section on rfc-editor.org, from a citation such as `RFC 5321 §4.1.1.2`,
/// `RFC 1870` or `RFC 5234 Appendix B.1`: the first of [`crate::rfc::rfc_links`].
/// Text without `RFC nnnn` has no link.
pub fn rfc_link(citation: &str) -> Option<String> {
    crate::rfc::rfc_links(citation).into_iter().next().map(|link| link.url)
}

/// The lines of `wire`, each without its CRLF and with whether it had one.
fn split_lines(wire: &str) -> Vec<(&str, bool)> {
    wire.split_inclusive("\r\n")
        .map(|piece| match piece.strip_suffix("\r\n") {
            Some(text) => (text, true),
            None => (piece, false),
        })
        .collect()
}

/// Collects the parts of one line and makes sure they cover it.
struct LineBuilder<'a> {
    text: &'a str,
    parts: Vec<Part>,
}

impl<'a> LineBuilder<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, parts: Vec::new() }
    }

    fn push(
        &mut self,
        range: Range<usize>,
        label: impl Into<String>,
        meaning: impl Into<String>,
        rfc: Option<&str>,
    ) {
        if range.start < range.end {
            self.parts.push(Part {
                start: range.start,
                end: range.end,
                label: label.into(),
                meaning: meaning.into(),
                rfc: rfc.map(str::to_owned),
            });
        }
    }

    fn slice(&self, range: &Range<usize>) -> &'a str {
        self.text.get(range.clone()).unwrap_or_default()
    }

    /// The line with its parts in order; gaps become `SP` (spaces) or `text` parts. If the
    /// parts ever overlapped or split a character, the line is one `text` part instead:
    /// coverage is guaranteed, whatever a parser reported.
    fn finish(self, crlf: bool) -> AnnotatedLine {
        let text = self.text;
        let mut parts = self.parts;
        parts.sort_by_key(|part| (part.start, part.end));
        let sound = parts.iter().all(|p| {
            p.start < p.end
                && p.end <= text.len()
                && text.is_char_boundary(p.start)
                && text.is_char_boundary(p.end)
        }) && parts.windows(2).all(|pair| pair[0].end <= pair[1].start);
        let mut covered = Vec::with_capacity(parts.len() + 2);
        let mut pos = 0;
        if sound {
            for part in parts {
                if part.start > pos {
                    covered.push(gap(text, pos..part.start));
                }
                pos = part.end;
                covered.push(part);
            }
        }
        if pos < text.len() {
            covered.push(gap(text, pos..text.len()));
        }
        if crlf {
            covered.push(Part {
                start: text.len(),
                end: text.len(),
                label: CRLF_LABEL.into(),
                meaning: "carriage return and line feed: the end of the line. SMTP lines end in CRLF, \
                          never a bare LF"
                    .into(),
                rfc: Some("RFC 5321 §2.3.8".into()),
            });
        }
        AnnotatedLine { text: text.to_owned(), parts: covered }
    }
}

/// A part for bytes no parser labelled: spaces, or text.
fn gap(text: &str, range: Range<usize>) -> Part {
    let spaces = text.get(range.clone()).is_some_and(|s| s.bytes().all(|b| b == b' ' || b == b'\t'));
    let (label, meaning) =
        if spaces { ("SP", "white space between elements") } else { ("text", "text the parser passes over") };
    Part { start: range.start, end: range.end, label: label.into(), meaning: meaning.into(), rfc: None }
}

/// A whole line the parser rejected, with its error.
fn unrecognised(text: &str, crlf: bool, error: &str, rfc: Option<&str>) -> AnnotatedLine {
    let mut line = LineBuilder::new(text);
    line.push(0..text.len(), "unrecognised", error, rfc);
    line.finish(crlf)
}

// ---------------------------------------------------------------------------------------
// Commands (RFC 5321 §4.1.1)
// ---------------------------------------------------------------------------------------

/// What a verb asks for, in one sentence.
fn verb_purpose(verb: Verb) -> &'static str {
    match verb {
        Verb::Helo => "opens a plain SMTP session and names the client",
        Verb::Ehlo => "opens an extended (ESMTP) session; the server answers with its extensions",
        Verb::Mail => "starts a mail transaction and gives the envelope sender (reverse-path)",
        Verb::Rcpt => "names one envelope recipient (forward-path)",
        Verb::Data => "asks to send the message; after 354 the text follows, ended by a line with one dot",
        Verb::Bdat => "sends a counted chunk of the message (CHUNKING)",
        Verb::Rset => "abandons the current transaction",
        Verb::Vrfy => "asks whether a user or mailbox exists",
        Verb::Expn => "asks for the members of a mailing list",
        Verb::Help => "asks the server for help",
        Verb::Noop => "does nothing; the server answers 250 (keeps the connection alive)",
        Verb::Quit => "asks the server to close the connection",
        Verb::StartTls => "asks to upgrade the connection to TLS",
        Verb::Auth => "starts SASL authentication with a mechanism",
    }
}

/// The octets of a SASL message made readable: NUL as `␀`, other controls as `\xNN`.
fn show_sasl(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\0' => out.push('␀'),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Whether a client line is plausibly a SASL response: `*`, `=`, or base64 of printable text
/// (NULs allowed, as PLAIN uses them). Only tried when the line is not a command.
fn sasl_response(text: &str) -> Option<SaslResponse> {
    if text.is_empty() {
        return None;
    }
    let response = SaslResponse::parse(text.as_bytes())?;
    match &response {
        SaslResponse::Cancel => Some(response),
        SaslResponse::Data(data) => {
            let readable =
                std::str::from_utf8(data).is_ok_and(|s| s.chars().all(|c| c == '\0' || !c.is_control()));
            readable.then_some(response)
        }
    }
}

fn command_line(text: &str, crlf: bool) -> AnnotatedLine {
    let wire = format!("{text}\r\n");
    match command_spans(wire.as_bytes()) {
        Ok((command, spans)) => labelled_command(text, crlf, &command, &spans),
        Err(error) => match sasl_response(text) {
            Some(response) => {
                let mut line = LineBuilder::new(text);
                let meaning = match response {
                    SaslResponse::Cancel => "*: the client cancels the authentication exchange".to_owned(),
                    SaslResponse::Data(data) if data.is_empty() => {
                        "=: an empty response to the server's challenge".to_owned()
                    }
                    SaslResponse::Data(data) => format!(
                        "a response to the server's 334 challenge, base64 of \"{}\" (not encrypted: anyone \
                         who sees it can decode it)",
                        show_sasl(&data)
                    ),
                };
                line.push(0..text.len(), "SASL response (base64)", meaning, Some("RFC 4954 §4"));
                line.finish(crlf)
            }
            None => {
                let rfc = match &error {
                    crate::proto::CommandError::Syntax { verb, .. }
                    | crate::proto::CommandError::Param { verb, .. } => verb.rfc_section(),
                    _ => "RFC 5321 §4.2.4",
                };
                unrecognised(text, crlf, &format!("not a valid command: {error}"), Some(rfc))
            }
        },
    }
}

fn labelled_command(text: &str, crlf: bool, command: &Command, spans: &[CommandSpan]) -> AnnotatedLine {
    let verb = command.verb();
    let mut line = LineBuilder::new(text);
    // The parameter whose value follows, for labelling `=` and the value.
    let mut keyword: Option<Range<usize>> = None;
    for (i, span) in spans.iter().enumerate() {
        let range = span.range.start..span.range.end.min(text.len());
        let shown = line.slice(&range);
        match span.part {
            CommandPart::Verb => line.push(
                range,
                "verb",
                format!("{}: {} (syntax: {})", verb.as_str(), verb_purpose(verb), verb.syntax()),
                Some(verb.rfc_section()),
            ),
            CommandPart::Sp => line.push(range, "SP", "a space separates the elements", None),
            CommandPart::FromKeyword => line.push(
                range,
                "FROM:",
                "introduces the reverse-path, the envelope sender",
                Some("RFC 5321 §4.1.1.2"),
            ),
            CommandPart::ToKeyword => line.push(
                range,
                "TO:",
                "introduces the forward-path, the envelope recipient",
                Some("RFC 5321 §4.1.1.3"),
            ),
            CommandPart::ReversePath => {
                let meaning = match command {
                    Command::Mail { reverse_path, .. } if reverse_path.mailbox().is_none() => {
                        "<>: the null reverse-path. This message is a notification (a bounce or DSN); \
                         no report may ever be sent back about it, so mail loops cannot start"
                            .to_owned()
                    }
                    _ => format!(
                        "{shown}: the envelope sender. Delivery status notifications (bounces) go here; \
                         it need not match the From: header the reader sees"
                    ),
                };
                let rfc = if meaning.starts_with("<>") { "RFC 5321 §4.5.5" } else { "RFC 5321 §4.1.2" };
                line.push(range, "reverse-path", meaning, Some(rfc));
            }
            CommandPart::ForwardPath => line.push(
                range,
                "forward-path",
                format!(
                    "{shown}: an envelope recipient. The server delivers to this address, whatever the \
                     To: and Cc: headers say"
                ),
                Some("RFC 5321 §4.1.2"),
            ),
            CommandPart::EsmtpKeyword => {
                keyword = Some(range.clone());
                let value = match (spans.get(i + 1), spans.get(i + 2)) {
                    (Some(eq), Some(value))
                        if eq.part == CommandPart::Equals && value.part == CommandPart::EsmtpValue =>
                    {
                        text.get(value.range.clone())
                    }
                    _ => None,
                };
                let (meaning, rfc) = esmtp_param_meaning(verb, shown, value);
                line.push(range, format!("{} parameter", shown.to_ascii_uppercase()), meaning, Some(rfc));
            }
            CommandPart::Equals => line.push(
                range,
                "=",
                "separates the parameter's keyword from its value",
                Some("RFC 5321 §4.1.2"),
            ),
            CommandPart::EsmtpValue => {
                let name = keyword.as_ref().map(|k| line.slice(k)).unwrap_or_default();
                let (meaning, rfc) = esmtp_param_meaning(verb, name, Some(shown));
                line.push(range, format!("{} value", name.to_ascii_uppercase()), meaning, Some(rfc));
            }
            CommandPart::Host => line.push(
                range,
                "client name",
                format!(
                    "{shown}: the name the client gives for itself (a domain, or an address literal in \
                     brackets); the server records it in the Received: field"
                ),
                Some("RFC 5321 §4.1.1.1"),
            ),
            CommandPart::Argument => {
                let meaning = match verb {
                    Verb::Vrfy => "the user name or mailbox to verify",
                    Verb::Expn => "the mailing list to expand",
                    Verb::Help => "the topic to get help on",
                    _ => "text the server ignores",
                };
                line.push(range, "argument", meaning, Some(verb.rfc_section()));
            }
            CommandPart::ChunkSize => line.push(
                range,
                "chunk-size",
                format!("exactly {shown} octets of message data follow this line, with no dot-stuffing"),
                Some("RFC 3030 §2"),
            ),
            CommandPart::EndMarker => {
                line.push(range, "end-marker", "LAST: this chunk ends the message", Some("RFC 3030 §2"))
            }
            CommandPart::Mechanism => {
                let meaning = match shown.to_ascii_uppercase().as_str() {
                    "PLAIN" => {
                        "PLAIN: identity and password in one base64 message (RFC 4616); safe only inside TLS"
                    }
                    "LOGIN" => "LOGIN: user name and password in two base64 responses; safe only inside TLS",
                    _ => "the SASL mechanism the client chooses among those the server offered",
                };
                line.push(range, "SASL mechanism", meaning, Some("RFC 4954 §4"));
            }
            CommandPart::InitialResponse => {
                let meaning = match SaslResponse::parse(shown.as_bytes()) {
                    Some(SaslResponse::Data(data)) if !data.is_empty() => format!(
                        "the initial response, base64 of \"{}\" (readable by anyone who sees the line)",
                        show_sasl(&data)
                    ),
                    _ => "=: an empty initial response".to_owned(),
                };
                line.push(range, "initial-response", meaning, Some("RFC 4954 §4"));
            }
            CommandPart::Crlf => {}
        }
    }
    line.finish(crlf)
}

/// What one ESMTP parameter says, typed by the same code the server uses
/// ([`MailParameters::from_pairs`], [`RcptParameters::from_pairs`]).
fn esmtp_param_meaning(verb: Verb, keyword: &str, value: Option<&str>) -> (String, &'static str) {
    let upper = keyword.to_ascii_uppercase();
    let written = match value {
        Some(value) => format!("{upper}={value}"),
        None => upper.clone(),
    };
    let unknown = || {
        (
            format!(
                "{written}: a parameter this playground does not know; a server that does not support it \
                 answers 555"
            ),
            "RFC 5321 §4.1.1.11",
        )
    };
    let pair = [(keyword, value)];
    if verb == Verb::Rcpt {
        return match RcptParameters::from_pairs(&pair) {
            Err(error) => (format!("{written}: malformed, {error}"), "RFC 3461 §4"),
            Ok(params) => {
                if let Some(notify) = params.notify {
                    let when = if notify.is_never() {
                        "never send a delivery status notification for this recipient".to_owned()
                    } else {
                        let mut cases = Vec::new();
                        if notify.success {
                            cases.push("on successful delivery");
                        }
                        if notify.failure {
                            cases.push("on failure");
                        }
                        if notify.delay {
                            cases.push("when delivery is delayed");
                        }
                        format!("send a delivery status notification {}", cases.join(", and "))
                    };
                    (format!("{written}: the client asks every MTA on the way to {when}"), "RFC 3461 §4.1")
                } else if let Some(orcpt) = params.orcpt {
                    (
                        format!(
                            "{written}: the original recipient ({} address {}), as the sender first gave it; \
                             DSNs quote it as Original-Recipient even after forwarding",
                            orcpt.addr_type, orcpt.address
                        ),
                        "RFC 3461 §4.2",
                    )
                } else {
                    unknown()
                }
            }
        };
    }
    match MailParameters::from_pairs(&pair) {
        Err(error) => (format!("{written}: malformed, {error}"), "RFC 5321 §4.1.2"),
        Ok(params) => {
            if let Some(size) = params.size {
                (
                    format!(
                        "{written}: the client declares the message is {size} octets, so the server can \
                         refuse it now rather than after the data is sent"
                    ),
                    "RFC 1870 §6",
                )
            } else if let Some(body) = params.body {
                use crate::proto::Body;
                match body {
                    Body::SevenBit => (format!("{written}: the body is plain 7-bit ASCII"), "RFC 6152 §3"),
                    Body::EightBitMime => {
                        (format!("{written}: the body may contain 8-bit octets (8BITMIME)"), "RFC 6152 §3")
                    }
                    Body::BinaryMime => (
                        format!("{written}: the body is binary MIME, so it must be sent with BDAT"),
                        "RFC 3030 §3",
                    ),
                }
            } else if params.smtputf8 {
                (
                    format!(
                        "{written}: the envelope or the headers hold UTF-8 (internationalized addresses); \
                         a server without SMTPUTF8 must refuse the message"
                    ),
                    "RFC 6531 §3.4",
                )
            } else if let Some(ret) = params.ret {
                let what = match ret {
                    crate::proto::Ret::Full => "the whole message",
                    crate::proto::Ret::Hdrs => "only the message's headers",
                };
                (format!("{written}: a failure report (bounce) returns {what}"), "RFC 3461 §4.3")
            } else if let Some(envid) = params.envid {
                (
                    format!(
                        "{written}: the envelope identifier \"{envid}\"; every DSN about this message quotes \
                         it back as Original-Envelope-Id"
                    ),
                    "RFC 3461 §4.4",
                )
            } else if let Some(auth) = params.auth {
                let who = match auth {
                    AuthParam::Unknown => "the submitter's identity is unknown (<>)".to_owned(),
                    AuthParam::Identity(id) => format!("the message was submitted by the authenticated {id}"),
                };
                (format!("{written}: {who}"), "RFC 4954 §5")
            } else {
                unknown()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Replies (RFC 5321 §4.2)
// ---------------------------------------------------------------------------------------

fn severity_text(severity: Severity) -> &'static str {
    match severity {
        Severity::PositiveCompletion => "2 = positive completion: the command succeeded",
        Severity::PositiveIntermediate => "3 = positive intermediate: go on, send more",
        Severity::TransientNegative => "4 = transient failure: try again later",
        Severity::PermanentNegative => "5 = permanent failure: do not repeat as is",
    }
}

fn category_text(category: Category) -> &'static str {
    match category {
        Category::Syntax => "0 = syntax",
        Category::Information => "1 = information",
        Category::Connections => "2 = connection",
        Category::Unspecified3 => "3 = unspecified (used by AUTH)",
        Category::Unspecified4 => "4 = unspecified",
        Category::MailSystem => "5 = mail system",
    }
}

fn class_text(class: StatusClass) -> &'static str {
    match class {
        StatusClass::Success => "2 = success",
        StatusClass::PersistentTransientFailure => "4 = persistent transient failure",
        StatusClass::PermanentFailure => "5 = permanent failure",
    }
}

/// An enhanced status code explained digit by digit (RFC 3463 §3.1–§3.2).
pub fn enhanced_meaning(code: EnhancedStatusCode) -> String {
    format!(
        "{code}: {}. Class {}; subject {} = {}; detail {}",
        code.describe(),
        class_text(code.class()),
        code.subject(),
        code.subject_meaning().to_lowercase(),
        code.detail()
    )
}

/// A reply code explained digit by digit (RFC 5321 §4.2.1).
pub fn reply_code_meaning(code: ReplyCode) -> String {
    format!(
        "{code}: {}. First digit {}; second digit {}; third digit {} picks the exact case",
        code.meaning(),
        severity_text(code.severity()),
        category_text(code.category()),
        code.detail()
    )
}

fn reply_lines(wire: &str, lines: &[(&str, bool)]) -> Vec<AnnotatedLine> {
    let mut out = Vec::with_capacity(lines.len());
    let mut pos = 0; // byte offset of the current line in `wire`
    let mut index = 0; // index of the current line in `lines`
    while let Some(&(text, crlf)) = lines.get(index) {
        let rest = wire.get(pos..).unwrap_or_default();
        match reply_spans(rest.as_bytes()) {
            Ok((_, (reply, spans))) if crlf => {
                let ehlo = reply.code == ReplyCode::OK && spans.len() > 1 && reply.enhanced.is_none();
                let ehlo = ehlo.then(|| EhloReply::from_reply(&reply)).flatten();
                // The spans count from the start of this reply.
                let reply_start = pos;
                for (n, span) in spans.iter().enumerate() {
                    let Some(&(text, crlf)) = lines.get(index) else { break };
                    out.push(reply_line(text, crlf, pos - reply_start, &reply, span, n, ehlo.is_some()));
                    pos += text.len() + 2;
                    index += 1;
                }
            }
            Ok(_) | Err(_) => {
                let error = if crlf {
                    "not a reply line: expected a code from 200 to 559, then SP or '-', then text, \
                     all lines with the same code"
                } else {
                    "an incomplete reply line: it does not end in CRLF"
                };
                out.push(unrecognised(text, crlf, error, Some("RFC 5321 §4.2")));
                pos += text.len() + if crlf { 2 } else { 0 };
                index += 1;
            }
        }
    }
    out
}

fn reply_line(
    text: &str,
    crlf: bool,
    offset: usize,
    reply: &Reply,
    spans: &ReplyLineSpans,
    index: usize,
    ehlo: bool,
) -> AnnotatedLine {
    let local = |r: &Range<usize>| r.start.saturating_sub(offset)..r.end.saturating_sub(offset);
    let mut line = LineBuilder::new(text);
    line.push(
        local(&spans.code),
        "reply code",
        reply_code_meaning(reply.code),
        Some(reply.code.defined_in()),
    );
    if let Some(separator) = &spans.separator {
        let (label, meaning) = if spans.continues {
            ("continuation \"-\"", "more lines of this reply follow")
        } else {
            ("SP", "a space after the code: this is the last line of the reply")
        };
        line.push(local(separator), label, meaning, Some("RFC 5321 §4.2.1"));
    }
    if let (Some(range), Some(code)) = (&spans.enhanced, reply.enhanced) {
        line.push(local(range), "enhanced status code", enhanced_meaning(code), Some(code.defined_in()));
    }
    let text_range = local(&spans.text);
    let body = line.slice(&text_range);
    let start = text_range.start;
    let code = reply.code.get();
    if ehlo && index > 0 {
        match ehlo_line_spans(body) {
            Some((capability, keyword, params)) => {
                let (what, rfc) = capability.explain();
                line.push(
                    start + keyword.start..start + keyword.end,
                    "EHLO keyword",
                    format!("{}: {what}", capability.keyword()),
                    Some(rfc),
                );
                for param in params {
                    let shown = line.slice(&(start + param.start..start + param.end));
                    let meaning = match &capability {
                        crate::proto::Capability::Size(_) => {
                            format!(
                                "the largest message the server accepts: {shown} octets (0: no fixed limit)"
                            )
                        }
                        crate::proto::Capability::Auth(_) => {
                            format!("{shown}: a SASL mechanism the server offers")
                        }
                        _ => format!("{shown}: a parameter of {}", capability.keyword()),
                    };
                    line.push(start + param.start..start + param.end, "EHLO parameter", meaning, Some(rfc));
                }
            }
            None => {
                line.push(text_range, "text", "a line that is not an EHLO keyword", Some("RFC 5321 §4.1.1.1"))
            }
        }
    } else if (ehlo || code == 220) && index == 0 && !body.is_empty() {
        // `"220 " Domain [SP textstring]` and the first line of the EHLO reply.
        let name_len = body.split_once(' ').map_or(body.len(), |(name, _)| name.len());
        let rfc = if code == 220 { "RFC 5321 §4.2" } else { "RFC 5321 §4.1.1.1" };
        line.push(start..start + name_len, "server name", "the domain the server calls itself", Some(rfc));
        line.push(
            start + name_len..text_range.end,
            "greeting text",
            "free text; clients must not depend on it",
            Some(rfc),
        );
    } else if code == 334 {
        let meaning = match crate::proto::sasl::decode(body) {
            Some(data) if !data.is_empty() => {
                format!("the server's SASL challenge, base64 of \"{}\"", show_sasl(&data))
            }
            _ => "an empty challenge: the client sends its response".to_owned(),
        };
        line.push(text_range, "SASL challenge (base64)", meaning, Some("RFC 4954 §4"));
    } else {
        line.push(
            text_range,
            "text",
            "human-readable text for people and logs; software must act on the code, not on the text",
            Some("RFC 5321 §4.2"),
        );
    }
    line.finish(crlf)
}

// ---------------------------------------------------------------------------------------
// Message data (RFC 5322, RFC 5321 §4.5.2)
// ---------------------------------------------------------------------------------------

/// What a header field is for and where it is defined.
fn field_meaning(name: &str) -> (&'static str, &'static str) {
    match name.to_ascii_lowercase().as_str() {
        "from" => {
            ("the author of the message, as the reader sees it (not the envelope sender)", "RFC 5322 §3.6.2")
        }
        "sender" => ("who actually sent the message on the author's behalf", "RFC 5322 §3.6.2"),
        "reply-to" => ("where replies should go", "RFC 5322 §3.6.2"),
        "to" => (
            "the primary recipients as the reader sees them (delivery follows RCPT TO, not this)",
            "RFC 5322 §3.6.3",
        ),
        "cc" => ("carbon-copy recipients as the reader sees them", "RFC 5322 §3.6.3"),
        "bcc" => ("blind-copy recipients; normally removed before the message is sent", "RFC 5322 §3.6.3"),
        "subject" => ("the topic of the message", "RFC 5322 §3.6.5"),
        "date" => ("when the author finished the message (origination date)", "RFC 5322 §3.6.1"),
        "message-id" => ("a unique identifier for this message", "RFC 5322 §3.6.4"),
        "in-reply-to" | "references" => ("the messages this one replies to", "RFC 5322 §3.6.4"),
        "received" => ("a trace field: each MTA that takes the message adds one on top", "RFC 5321 §4.4"),
        "return-path" => ("the envelope sender, added by the final delivery", "RFC 5321 §4.4"),
        "dkim-signature" => ("a DKIM signature over chosen headers and the body", "RFC 6376 §3.5"),
        "authentication-results" => {
            ("what the receiving server concluded from SPF, DKIM and DMARC", "RFC 8601 §2")
        }
        "received-spf" => ("the result of the SPF check at this hop", "RFC 7208 §9.1"),
        "mime-version" => ("the message uses MIME", "RFC 2045 §4"),
        "content-type" => ("the media type of the body (or of this part)", "RFC 2045 §5"),
        "content-transfer-encoding" => ("how the body is encoded for transport", "RFC 2045 §6"),
        "content-description" => ("a description of this body part", "RFC 2045 §8"),
        "auto-submitted" => {
            ("the message was sent by a program, not a person: do not auto-reply", "RFC 3834 §5")
        }
        name if name.starts_with("list-") => ("mailing list information", "RFC 2369 §3"),
        _ => ("a header field this playground does not describe", "RFC 5322 §3.6.8"),
    }
}

/// Where a line of message data stands: in the header section or the body.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Header,
    Body,
}

/// Lines of a message. `smtp` marks the DATA transfer: dot-stuffing and the final `.`
/// (RFC 5321 §4.5.2) apply; otherwise (a DSN, a trace field) the text is the message as stored.
fn message_lines(lines: &[(&str, bool)], smtp: bool) -> Vec<AnnotatedLine> {
    let mut section = Section::Header;
    let mut field: Option<String> = None;
    lines.iter().map(|&(text, crlf)| message_line(text, crlf, smtp, &mut section, &mut field)).collect()
}

fn message_line(
    text: &str,
    crlf: bool,
    smtp: bool,
    section: &mut Section,
    field: &mut Option<String>,
) -> AnnotatedLine {
    let mut line = LineBuilder::new(text);
    if smtp && text == "." {
        line.push(
            0..1,
            "end of data",
            "a line holding one dot ends the message (CRLF.CRLF); the server now answers",
            Some("RFC 5321 §4.1.1.4"),
        );
        *section = Section::Header;
        *field = None;
        return line.finish(crlf);
    }
    let mut start = 0;
    if smtp && text.starts_with("..") {
        line.push(
            0..1,
            "dot-stuffing",
            "the client doubled a leading dot so the line cannot read as the end of data; the server \
             removes it",
            Some("RFC 5321 §4.5.2"),
        );
        start = 1;
    }
    let content = text.get(start..).unwrap_or_default();
    // Bare CR or LF inside a line: not a line end in SMTP, whatever a lax server thinks.
    if content.contains(['\r', '\n']) {
        let mut pos = start;
        for (i, c) in content.char_indices().filter(|(_, c)| *c == '\r' || *c == '\n') {
            line.push(
                pos..start + i,
                "message data",
                "a line of the message, as sent",
                Some("RFC 5322 §2.3"),
            );
            let label = if c == '\n' { "bare LF" } else { "bare CR" };
            line.push(
                start + i..start + i + 1,
                label,
                "a line break without its partner: not a line end in SMTP. A server that treats it as \
                 one can be made to see a second message inside this one (SMTP smuggling)",
                Some("RFC 5321 §2.3.8"),
            );
            pos = start + i + 1;
        }
        line.push(pos..text.len(), "message data", "a line of the message, as sent", Some("RFC 5322 §2.3"));
        *section = Section::Body;
        return line.finish(crlf);
    }
    match *section {
        Section::Header if content.is_empty() => {
            *section = Section::Body;
            *field = None;
            // An empty line has no bytes; its meaning rides on the CRLF part's line.
            let mut out = line.finish(crlf);
            if let Some(crlf_part) = out.parts.last_mut() {
                crlf_part.label = "end of header section".into();
                crlf_part.meaning = "the empty line: header fields end here, the body begins".into();
                crlf_part.rfc = Some("RFC 5322 §2.1".into());
            }
            return out;
        }
        Section::Header if content.starts_with([' ', '\t']) && field.is_some() => {
            let name = field.clone().unwrap_or_default();
            let indent = content.len() - content.trim_start_matches([' ', '\t']).len();
            line.push(
                start..start + indent,
                "folding white space",
                "a line starting with white space continues the field above (folding)",
                Some("RFC 5322 §2.2.3"),
            );
            let (meaning, rfc) = field_meaning(&name);
            line.push(start + indent..text.len(), format!("{name} value (continued)"), meaning, Some(rfc));
            return line.finish(crlf);
        }
        Section::Header => match HeaderField::parse(content) {
            Ok(parsed) => {
                let name = parsed.name().to_owned();
                let (meaning, rfc) = field_meaning(&name);
                let colon = content.find(':').unwrap_or(name.len());
                line.push(
                    start..start + name.len(),
                    "header field name",
                    format!("{name}: {meaning}"),
                    Some(rfc),
                );
                line.push(
                    start + colon..start + colon + 1,
                    ":",
                    "ends the field name",
                    Some("RFC 5322 §2.2"),
                );
                line.push(start + colon + 1..text.len(), format!("{name} value"), meaning, Some(rfc));
                *field = Some(name);
                return line.finish(crlf);
            }
            Err(_) => *section = Section::Body,
        },
        Section::Body => {}
    }
    let (label, meaning) = if smtp {
        ("message data", "a line of the message body")
    } else {
        ("message text", "a line of the message body")
    };
    line.push(start..text.len(), label, meaning, Some("RFC 5322 §2.3"));
    line.finish(crlf)
}

// ---------------------------------------------------------------------------------------
// POP3 (RFC 1939) and DNS
// ---------------------------------------------------------------------------------------

fn pop3_verb(verb: &str) -> Option<(&'static str, &'static str)> {
    Some(match verb.to_ascii_uppercase().as_str() {
        "USER" => ("names the mailbox to open", "RFC 1939 §7"),
        "PASS" => ("gives the password, in the clear", "RFC 1939 §7"),
        "APOP" => ("authenticates with a digest instead of a password", "RFC 1939 §7"),
        "STAT" => ("asks how many messages there are and their total size", "RFC 1939 §5"),
        "LIST" => ("asks for the size of each message", "RFC 1939 §5"),
        "RETR" => ("retrieves a message", "RFC 1939 §5"),
        "DELE" => ("marks a message for deletion", "RFC 1939 §5"),
        "NOOP" => ("does nothing", "RFC 1939 §5"),
        "RSET" => ("unmarks messages marked for deletion", "RFC 1939 §5"),
        "TOP" => ("retrieves a message's headers and first lines", "RFC 1939 §7"),
        "UIDL" => ("asks for the unique id of each message", "RFC 1939 §7"),
        "QUIT" => ("ends the session; marked messages are deleted now", "RFC 1939 §6"),
        _ => return None,
    })
}

fn pop3_lines(lines: &[(&str, bool)]) -> Vec<AnnotatedLine> {
    let multi_line = lines.len() > 1 && lines.first().is_some_and(|(first, _)| first.starts_with("+OK"));
    let mut section = Section::Header;
    let mut field = None;
    lines
        .iter()
        .enumerate()
        .map(|(i, &(text, crlf))| {
            if i > 0 && multi_line {
                // The body of a multi-line response is dot-stuffed and ends with `.` (RFC 1939 §3).
                return message_line(text, crlf, true, &mut section, &mut field);
            }
            pop3_line(text, crlf)
        })
        .collect()
}

fn pop3_line(text: &str, crlf: bool) -> AnnotatedLine {
    let mut line = LineBuilder::new(text);
    for (indicator, meaning) in
        [("+OK", "positive status: the command succeeded"), ("-ERR", "negative status: the command failed")]
    {
        if text.starts_with(indicator) {
            line.push(0..indicator.len(), "status indicator", meaning, Some("RFC 1939 §3"));
            line.push(indicator.len()..text.len(), "text", "free text for people", Some("RFC 1939 §3"));
            return line.finish(crlf);
        }
    }
    let verb_len = text.split_once(' ').map_or(text.len(), |(verb, _)| verb.len());
    let verb = text.get(..verb_len).unwrap_or_default();
    match pop3_verb(verb) {
        Some((meaning, rfc)) => {
            line.push(
                0..verb_len,
                "POP3 command",
                format!("{}: {meaning}", verb.to_ascii_uppercase()),
                Some(rfc),
            );
            line.push(verb_len..text.len(), "argument", "the command's argument", Some(rfc));
            line.finish(crlf)
        }
        None => unrecognised(text, crlf, "not a POP3 command or status line", Some("RFC 1939 §3")),
    }
}

fn record_type_meaning(name: &str, record_type: &str) -> (String, &'static str) {
    match record_type {
        "MX" => (
            "mail exchangers: the hosts that accept mail for this domain, lowest preference first".into(),
            "RFC 5321 §5.1",
        ),
        "A" => ("an IPv4 address of the host".into(), "RFC 1035 §3.4.1"),
        "AAAA" => ("an IPv6 address of the host".into(), "RFC 3596 §2.1"),
        "TXT" if name.starts_with("_dmarc.") => ("the domain's DMARC policy".into(), "RFC 7489 §6.1"),
        "TXT" if name.contains("._domainkey.") => ("a DKIM public key".into(), "RFC 6376 §3.6.2.2"),
        "TXT" => ("text records; mail uses them for SPF policies".into(), "RFC 7208 §4"),
        "PTR" => ("the name of an address (reverse DNS)".into(), "RFC 1035 §3.3.12"),
        "CNAME" => ("an alias for another name".into(), "RFC 1035 §3.3.1"),
        other => (format!("records of type {other}"), "RFC 1035 §3.2.2"),
    }
}

/// `name. IN TYPE ?`, as the simulation writes a question.
fn dns_query_line(text: &str, crlf: bool) -> AnnotatedLine {
    let words: Vec<(usize, &str)> = text
        .split(' ')
        .scan(0, |pos, word| {
            let at = *pos;
            *pos += word.len() + 1;
            Some((at, word))
        })
        .collect();
    let mut line = LineBuilder::new(text);
    if let [(_, name), (class_at, "IN"), (type_at, record_type), (mark_at, "?")] = words.as_slice() {
        line.push(
            0..name.len(),
            "query name",
            format!("{name}: the name asked about (the final dot: from the root)"),
            Some("RFC 1035 §4.1.2"),
        );
        line.push(*class_at..class_at + 2, "class", "IN: the Internet class", Some("RFC 1035 §3.2.4"));
        let (meaning, rfc) = record_type_meaning(name, record_type);
        line.push(
            *type_at..type_at + record_type.len(),
            "record type",
            format!("{record_type}: {meaning}"),
            Some(rfc),
        );
        line.push(*mark_at..mark_at + 1, "question", "a question, not yet answered", Some("RFC 1035 §4.1.2"));
    } else {
        line.push(0..text.len(), "DNS query", "a question to the resolver", Some("RFC 1035 §4.1.2"));
    }
    line.finish(crlf)
}

/// An answer as the simulation writes it: records in presentation form, or an error.
fn dns_answer_line(text: &str, crlf: bool) -> AnnotatedLine {
    let mut line = LineBuilder::new(text);
    let (meaning, rfc) = if text.contains("NXDOMAIN") {
        ("NXDOMAIN: the name does not exist (RCODE 3)".to_owned(), "RFC 1035 §4.1.1")
    } else if text.contains("null MX") || text.starts_with("MX 0 .") {
        ("a null MX: the domain states that it accepts no mail".to_owned(), "RFC 7505 §3")
    } else if let Some(record_type) =
        text.split(' ').find(|w| ["MX", "A", "AAAA", "TXT", "PTR", "CNAME"].contains(w))
    {
        let name = text.split(' ').next().unwrap_or_default();
        let (meaning, rfc) = record_type_meaning(name, record_type);
        (format!("{record_type} records: {meaning}"), rfc)
    } else if text.contains("timeout") || text.contains("SERVFAIL") {
        ("no answer in time: a temporary failure, the sender will retry".to_owned(), "RFC 5321 §5.1")
    } else {
        ("the resolver's answer".to_owned(), "RFC 1035 §4.1.3")
    };
    line.push(0..text.len(), "DNS answer", meaning, Some(rfc));
    line.finish(crlf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_links_point_at_sections() {
        assert_eq!(
            rfc_link("RFC 5321 §4.1.1.2").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.2")
        );
        assert_eq!(rfc_link("RFC 1870").as_deref(), Some("https://www.rfc-editor.org/rfc/rfc1870"));
        assert_eq!(
            rfc_link("RFC 3464 §2; RFC 3461 §6").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc3464#section-2")
        );
        assert_eq!(
            rfc_link("RFC 5234 Appendix B.1").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc5234#appendix-B.1")
        );
        assert_eq!(
            rfc_link("RFC 5321 §4.5.2."),
            Some("https://www.rfc-editor.org/rfc/rfc5321#section-4.5.2".into())
        );
        assert_eq!(rfc_link("see the README"), None);
        assert_eq!(rfc_link("RFC x"), None);
    }
}
