//! The header section of a message (RFC 5322 §2.1–§2.2, §3.5, §3.6).
//!
//! ```text
//! message      = (fields / obs-fields) [CRLF body]          ; RFC 5322 §3.5
//! field        = field-name ":" unstructured CRLF            ; RFC 5322 §2.2, §3.6.8
//! field-name   = 1*ftext
//! ftext        = %d33-57 / %d59-126                          ; printable US-ASCII except ":"
//! obs-optional = field-name *WSP ":" unstructured CRLF       ; RFC 5322 §4.5.8
//! ```
//!
//! A [`HeaderField`] keeps its exact bytes, folding included, so that [`Message::to_bytes`]
//! reproduces its input and DKIM (RFC 6376 §3.4) can canonicalize what was on the wire.
//!
//! Line ends: RFC 5322 §2.1 requires CRLF; a bare LF is tolerated as a line end on parse
//! (messages typed into the lab often have them) and kept as it was. A bare CR is an error.

use std::fmt;

/// The longest line RFC 5322 §2.1.1 allows ("MUST be no more than 998 characters"), CRLF
/// excluded.
pub const MAX_LINE_LEN: usize = 998;

/// The line length RFC 5322 §2.1.1 says lines SHOULD stay within, CRLF excluded; [`fold`]
/// aims for it.
pub const RECOMMENDED_LINE_LEN: usize = 78;

/// Why bytes are not a header section (RFC 5322 §2.2), with where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    line: usize,
    offset: usize,
    kind: HeaderErrorKind,
}

/// What was wrong, in the grammar's terms (RFC 5322 §2.1–§2.2, §3.6.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderErrorKind {
    /// A line that is neither a field nor a continuation has no `:` (RFC 5322 §2.2).
    MissingColon,
    /// The field name has a byte outside `ftext` (RFC 5322 §3.6.8), or something other
    /// than WSP stands between the name and the colon.
    InvalidNameByte(u8),
    /// The line starts with `:`: `field-name = 1*ftext` needs at least one character.
    EmptyName,
    /// The first line starts with white space, so it continues a field that does not exist
    /// (RFC 5322 §2.2.3).
    ContinuationWithoutField,
    /// A line is longer than [`MAX_LINE_LEN`] characters (RFC 5322 §2.1.1); holds its length.
    LineTooLong(usize),
    /// A CR that is not followed by LF (RFC 5322 §2.2: "CR and LF MUST only occur together").
    BareCr,
    /// The field is neither US-ASCII nor UTF-8 (RFC 5322 §2.2, RFC 6532 §3.2).
    NotUtf8,
    /// A field value passed to [`HeaderField::new`] contains CR or LF.
    LineBreakInValue,
    /// [`HeaderField::parse`] was given more than one field, or a field and a body.
    NotOneField,
}

impl HeaderError {
    fn new(line: usize, offset: usize, kind: HeaderErrorKind) -> Self {
        Self { line, offset, kind }
    }

    /// The 1-based line where the problem is.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The byte offset of the problem from the start of the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was wrong.
    pub fn kind(&self) -> &HeaderErrorKind {
        &self.kind
    }
}

impl fmt::Display for HeaderErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingColon => f.write_str("header field without a colon (RFC 5322 §2.2)"),
            Self::InvalidNameByte(b) => write!(
                f,
                "expected a field name of printable US-ASCII except ':' followed by ':' \
                 (RFC 5322 §3.6.8), saw {}",
                describe_byte(*b)
            ),
            Self::EmptyName => f.write_str("header field with an empty name (RFC 5322 §3.6.8)"),
            Self::ContinuationWithoutField => {
                f.write_str("continuation line (starting with white space) before any header field")
            }
            Self::LineTooLong(len) => {
                write!(f, "line of {len} characters, more than the 998 RFC 5322 §2.1.1 allows")
            }
            Self::BareCr => f.write_str("CR not followed by LF (RFC 5322 §2.2)"),
            Self::NotUtf8 => f.write_str("header field is neither US-ASCII nor UTF-8 (RFC 6532 §3.2)"),
            Self::LineBreakInValue => f.write_str("field value contains CR or LF"),
            Self::NotOneField => f.write_str("expected exactly one header field"),
        }
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

impl std::error::Error for HeaderError {}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() { format!("'{}'", char::from(b)) } else { format!("byte 0x{b:02x}") }
}

/// `ftext = %d33-57 / %d59-126` (RFC 5322 §3.6.8).
fn is_ftext(b: u8) -> bool {
    matches!(b, 33..=57 | 59..=126)
}

/// `WSP = SP / HTAB` (RFC 5234 Appendix B.1).
fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The line starting at `pos`: the index where its content ends (before CRLF or LF) and
/// the index where the next line starts.
pub(crate) fn line_at(input: &[u8], pos: usize) -> (usize, usize) {
    let rest = input.get(pos..).unwrap_or_default();
    match rest.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let lf = pos + i;
            let end = if i > 0 && input.get(lf - 1) == Some(&b'\r') { lf - 1 } else { lf };
            (end, lf + 1)
        }
        None => (input.len(), input.len()),
    }
}

/// One header field, `field-name ":" value CRLF` (RFC 5322 §2.2), exactly as it was written.
///
/// Serializes as its raw text; deserializing parses it again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HeaderField {
    raw: String,
    name_end: usize,
    value_start: usize,
    value_end: usize,
}

impl HeaderField {
    /// Builds `name ": " value CRLF`, folded by [`fold`] (RFC 5322 §2.2, §2.2.3).
    ///
    /// Errors if the name is not `1*ftext` (§3.6.8), the value contains CR or LF, or a word
    /// in it is too long to fit a 998-character line (§2.1.1).
    pub fn new(name: &str, value: &str) -> Result<Self, HeaderError> {
        if let Some(i) = value.find(['\r', '\n']) {
            return Err(HeaderError::new(1, name.len() + 2 + i, HeaderErrorKind::LineBreakInValue));
        }
        if name.is_empty() {
            return Err(HeaderError::new(1, 0, HeaderErrorKind::EmptyName));
        }
        if let Some(i) = name.bytes().position(|b| !is_ftext(b)) {
            let byte = name.as_bytes().get(i).copied().unwrap_or_default();
            return Err(HeaderError::new(1, i, HeaderErrorKind::InvalidNameByte(byte)));
        }
        Self::parse(&fold(name, value))
    }

    /// Parses exactly one field, continuation lines included; the final line end is optional.
    ///
    /// `field = field-name ":" unstructured CRLF` (RFC 5322 §2.2), with the obsolete
    /// `field-name *WSP ":"` of §4.5.8 accepted.
    pub fn parse(raw: &str) -> Result<Self, HeaderError> {
        let section = header_section(raw.as_bytes(), 1, 0)?;
        let located = section.fields.len();
        let mut fields = section.fields.into_iter();
        match (fields.next(), located, section.separator) {
            (Some(field), 1, Separator::None) => Ok(field.field),
            _ => {
                let line = fields.next().map_or(section.body_line, |second| second.line);
                Err(HeaderError::new(line, 0, HeaderErrorKind::NotOneField))
            }
        }
    }

    /// Checks the raw bytes of one field, already cut at its last line end.
    fn from_raw(raw: &[u8], line: usize, offset: usize) -> Result<Self, HeaderError> {
        let name_end = raw.iter().take_while(|&&b| is_ftext(b)).count();
        let mut colon = name_end;
        while raw.get(colon).is_some_and(|&b| is_wsp(b)) {
            colon += 1;
        }
        match raw.get(colon) {
            Some(b':') if name_end == 0 => {
                return Err(HeaderError::new(line, offset, HeaderErrorKind::EmptyName));
            }
            Some(b':') => {}
            found => {
                let (first_line_end, _) = line_at(raw, 0);
                let first_line = raw.get(..first_line_end).unwrap_or_default();
                // A line that does not start with a name at all, or that has a colon after a
                // bad name, has a bad name; otherwise the colon is what is missing.
                let error = match found {
                    Some(&b) if name_end == 0 || first_line.contains(&b':') => {
                        HeaderError::new(line, offset + colon, HeaderErrorKind::InvalidNameByte(b))
                    }
                    _ => HeaderError::new(line, offset, HeaderErrorKind::MissingColon),
                };
                return Err(error);
            }
        }
        let raw = std::str::from_utf8(raw).map_err(|e| {
            let bad_line =
                line + raw.get(..e.valid_up_to()).unwrap_or_default().iter().filter(|&&b| b == b'\n').count();
            HeaderError::new(bad_line, offset + e.valid_up_to(), HeaderErrorKind::NotUtf8)
        })?;
        let value_end = if raw.ends_with("\r\n") {
            raw.len() - 2
        } else if raw.ends_with('\n') {
            raw.len() - 1
        } else {
            raw.len()
        };
        Ok(Self { raw: raw.to_owned(), name_end, value_start: colon + 1, value_end })
    }

    /// The field name as written, e.g. `Received` (RFC 5322 §3.6.8); compare it
    /// case-insensitively, or use [`HeaderField::is`].
    pub fn name(&self) -> &str {
        self.raw.get(..self.name_end).unwrap_or_default()
    }

    /// Whether this field is called `name`; field names are case-insensitive (RFC 5322 §1.2.2).
    pub fn is(&self, name: &str) -> bool {
        self.name().eq_ignore_ascii_case(name)
    }

    /// Everything after the colon up to the final line end, folding CRLFs and leading space
    /// included: the value as it is on the wire (RFC 5322 §2.2).
    pub fn raw_value(&self) -> &str {
        self.raw.get(self.value_start..self.value_end).unwrap_or_default()
    }

    /// The value with folding removed (RFC 5322 §2.2.3): [`unfold`] of [`Self::raw_value`].
    pub fn unfolded_value(&self) -> String {
        unfold(self.raw_value())
    }

    /// The unfolded value without the white space around it (RFC 5322 §2.2.3, §3.2.2), which
    /// is what most readers of a field want.
    pub fn value(&self) -> String {
        self.unfolded_value().trim_matches([' ', '\t']).to_owned()
    }

    /// The whole field as on the wire, line end included (if it had one).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The whole field's bytes, e.g. for DKIM canonicalization (RFC 6376 §3.4).
    pub fn as_bytes(&self) -> &[u8] {
        self.raw.as_bytes()
    }
}

impl fmt::Display for HeaderField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl TryFrom<String> for HeaderField {
    type Error = HeaderError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<HeaderField> for String {
    fn from(field: HeaderField) -> Self {
        field.raw
    }
}

/// The empty line between header section and body (RFC 5322 §2.1), as it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Separator {
    /// No empty line: the message is all header (§3.5 makes the body optional).
    None,
    /// `CRLF`, as RFC 5322 requires.
    Crlf,
    /// A bare LF, tolerated.
    Lf,
}

impl Separator {
    fn as_bytes(self) -> &'static [u8] {
        match self {
            Separator::None => b"",
            Separator::Crlf => b"\r\n",
            Separator::Lf => b"\n",
        }
    }
}

/// A field and the line it started on.
pub(crate) struct Located {
    pub(crate) line: usize,
    pub(crate) field: HeaderField,
}

/// The result of [`header_section`].
pub(crate) struct Section {
    pub(crate) fields: Vec<Located>,
    pub(crate) separator: Separator,
    /// Index in the input where the body starts (the input's length if there is none).
    pub(crate) body_start: usize,
    /// Line number of the body's first line.
    pub(crate) body_line: usize,
}

/// `fields = *field` up to and including the empty line (RFC 5322 §2.1, §3.5).
///
/// `first_line` and `first_offset` say where `input` starts in a larger text, so that
/// errors point into it.
pub(crate) fn header_section(
    input: &[u8],
    first_line: usize,
    first_offset: usize,
) -> Result<Section, HeaderError> {
    let mut fields = Vec::new();
    let mut pos = 0;
    let mut line = first_line;
    let check_line = |start: usize, end: usize, line: usize| -> Result<(), HeaderError> {
        let content = input.get(start..end).unwrap_or_default();
        if content.len() > MAX_LINE_LEN {
            return Err(HeaderError::new(
                line,
                first_offset + start,
                HeaderErrorKind::LineTooLong(content.len()),
            ));
        }
        if let Some(i) = content.iter().position(|&b| b == b'\r') {
            return Err(HeaderError::new(line, first_offset + start + i, HeaderErrorKind::BareCr));
        }
        Ok(())
    };
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        let (separator, len) = match rest {
            [] => (Separator::None, 0),
            [b'\r', b'\n', ..] => (Separator::Crlf, 2),
            [b'\n', ..] => (Separator::Lf, 1),
            [b, ..] if is_wsp(*b) => {
                return Err(HeaderError::new(
                    line,
                    first_offset + pos,
                    HeaderErrorKind::ContinuationWithoutField,
                ));
            }
            _ => {
                // 1. The field's first line, 2. its continuation lines (RFC 5322 §2.2.3).
                let (start, field_line) = (pos, line);
                let (end, next) = line_at(input, pos);
                check_line(pos, end, line)?;
                (pos, line) = (next, line + 1);
                while input.get(pos).is_some_and(|&b| is_wsp(b)) {
                    let (end, next) = line_at(input, pos);
                    check_line(pos, end, line)?;
                    (pos, line) = (next, line + 1);
                }
                let raw = input.get(start..pos).unwrap_or_default();
                let field = HeaderField::from_raw(raw, field_line, first_offset + start)?;
                fields.push(Located { line: field_line, field });
                continue;
            }
        };
        let body_line = if len > 0 { line + 1 } else { line };
        return Ok(Section { fields, separator, body_start: pos + len, body_line });
    }
}

/// A message: header fields in order, then the body (RFC 5322 §2.1, §3.5).
///
/// `message = fields [CRLF body]`. [`Message::to_bytes`] gives back the parsed bytes exactly,
/// until the message is changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    fields: Vec<HeaderField>,
    separator: Separator,
    body: Vec<u8>,
}

impl Message {
    /// Splits a message into its header fields and its body at the first empty line
    /// (RFC 5322 §2.1); a message without an empty line is all header.
    ///
    /// The body is not checked: it may be 8-bit or binary MIME (RFC 6152, RFC 3030).
    pub fn parse(bytes: &[u8]) -> Result<Self, HeaderError> {
        let section = header_section(bytes, 1, 0)?;
        Ok(Self {
            fields: section.fields.into_iter().map(|located| located.field).collect(),
            separator: section.separator,
            body: bytes.get(section.body_start..).unwrap_or_default().to_vec(),
        })
    }

    /// All header fields, top to bottom (RFC 5322 §3.6: order is significant for trace fields).
    pub fn fields(&self) -> &[HeaderField] {
        &self.fields
    }

    /// The body: everything after the empty line (RFC 5322 §2.3).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The first field called `name`, compared case-insensitively (RFC 5322 §1.2.2).
    pub fn get(&self, name: &str) -> Option<&HeaderField> {
        self.fields.iter().find(|field| field.is(name))
    }

    /// Every field called `name`, top to bottom.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a HeaderField> + 'a {
        self.fields.iter().filter(move |field| field.is(name))
    }

    /// Adds a field above all others, as an MTA does with `Received:` and `Return-Path:`
    /// (RFC 5321 §4.4: trace fields are prepended; RFC 5322 §3.6.7).
    pub fn prepend(&mut self, field: HeaderField) {
        self.fields.insert(0, field);
    }

    /// The header fields' bytes, without the empty line that ends them (what a
    /// `text/rfc822-headers` part holds, RFC 6522 §4).
    pub fn header_bytes(&self) -> Vec<u8> {
        self.fields.iter().flat_map(|field| field.as_bytes()).copied().collect()
    }

    /// The message on the wire: fields, empty line, body (RFC 5322 §2.1).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header_bytes();
        out.extend_from_slice(self.separator.as_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// Writes `name ": " value CRLF`, folded before white space so that lines stay within
/// [`RECOMMENDED_LINE_LEN`] characters where possible (RFC 5322 §2.1.1, §2.2.3).
///
/// Folding only inserts CRLF before existing white space, so [`unfold`] gives back
/// `name ": " value CRLF` exactly. A word longer than a line stays whole: a line may then
/// exceed 78 (and, for words near 1000 characters, the 998 limit, which
/// [`HeaderField::parse`] reports). Never folds before trailing white space, so no line is
/// white space only (§3.2.2). CR and LF in `value` become spaces, so a value can never start
/// a new field; [`HeaderField::new`] rejects them instead.
pub fn fold(name: &str, value: &str) -> String {
    let mut text = String::with_capacity(value.len() + 1);
    text.push(' ');
    // (A byte scan: searching for either char is many times slower on long values.)
    if value.bytes().any(|b| b == b'\r' || b == b'\n') {
        text.push_str(&value.replace(['\r', '\n'], " "));
    } else {
        text.push_str(value);
    }
    let mut out = String::with_capacity(name.len() + text.len() + 8);
    out.push_str(name);
    out.push(':');
    let mut line_len = out.len();
    for (i, chunk) in chunks(&text).enumerate() {
        let has_word = chunk.bytes().any(|b| !is_wsp(b));
        if i > 0 && has_word && line_len + chunk.len() > RECOMMENDED_LINE_LEN {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push_str(chunk);
        line_len += chunk.len();
    }
    out.push_str("\r\n");
    out
}

/// Splits text into pieces that each start with a run of white space (except perhaps the
/// first) followed by a word: the places where [`fold`] may break.
fn chunks(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut ends = bytes
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| matches!(pair, [before, after] if !is_wsp(*before) && is_wsp(*after)))
        .map(|(i, _)| i + 1)
        .chain(std::iter::once(bytes.len()));
    let mut start = 0;
    // WSP is ASCII, so every end is a char boundary.
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let chunk = text.get(start..end);
        start = end;
        chunk
    })
}

/// Removes folding: every CRLF immediately followed by WSP (RFC 5322 §2.2.3). A bare LF
/// followed by WSP is removed too, since [`Message::parse`] tolerates LF line ends.
pub fn unfold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        let fold_len = match bytes.get(i..) {
            Some([b'\r', b'\n', w, ..]) if is_wsp(*w) => 2,
            Some([b'\n', w, ..]) if is_wsp(*w) => 1,
            _ => 0,
        };
        if fold_len > 0 {
            out.push_str(text.get(last..i).unwrap_or_default());
            i += fold_len;
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(text.get(last..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"Received: from mail.example.org (mail.example.org [192.0.2.1])\r\n\
        \tby mx.example.com with ESMTPS id 4Xyz\r\n\
        \tfor <bob@example.com>; Tue, 25 Nov 2026 02:23:30 +0000\r\n\
        From: Alice <alice@example.org>\r\n\
        To: bob@example.com\r\n\
        Subject: Lunch\r\n\
        \r\n\
        See you at noon.\r\n";

    #[test]
    fn splits_fields_and_body_and_round_trips() {
        let message = Message::parse(SAMPLE).expect("valid message");
        let names: Vec<&str> = message.fields().iter().map(HeaderField::name).collect();
        assert_eq!(names, ["Received", "From", "To", "Subject"]);
        assert_eq!(message.body(), b"See you at noon.\r\n");
        assert_eq!(message.to_bytes(), SAMPLE);
    }

    #[test]
    fn lookup_is_case_insensitive_and_keeps_order() {
        let message = Message::parse(b"X-A: 1\r\nx-a: 2\r\nOther: 3\r\nX-A: 4\r\n\r\n").expect("valid");
        assert_eq!(message.get("X-a").map(HeaderField::value), Some("1".to_owned()));
        let all: Vec<String> = message.get_all("X-A").map(HeaderField::value).collect();
        assert_eq!(all, ["1", "2", "4"]);
        assert!(message.get("Missing").is_none());
    }

    #[test]
    fn values_raw_and_unfolded() {
        let message = Message::parse(SAMPLE).expect("valid message");
        let received = message.get("received").expect("present");
        assert_eq!(
            received.raw_value(),
            " from mail.example.org (mail.example.org [192.0.2.1])\r\n\tby mx.example.com with ESMTPS id 4Xyz\r\n\tfor <bob@example.com>; Tue, 25 Nov 2026 02:23:30 +0000"
        );
        assert_eq!(
            received.unfolded_value(),
            " from mail.example.org (mail.example.org [192.0.2.1])\tby mx.example.com with ESMTPS id 4Xyz\tfor <bob@example.com>; Tue, 25 Nov 2026 02:23:30 +0000"
        );
        assert_eq!(message.get("Subject").map(HeaderField::value), Some("Lunch".to_owned()));
    }

    #[test]
    fn prepend_puts_trace_fields_on_top() {
        let mut message = Message::parse(SAMPLE).expect("valid message");
        let field = HeaderField::new("Return-Path", "<alice@example.org>").expect("valid field");
        message.prepend(field);
        let mut expected = b"Return-Path: <alice@example.org>\r\n".to_vec();
        expected.extend_from_slice(SAMPLE);
        assert_eq!(message.to_bytes(), expected);
        assert_eq!(message.fields().first().map(HeaderField::name), Some("Return-Path"));
    }

    #[test]
    fn tolerated_forms() {
        for (input, fields, body) in [
            // No body, with and without a final line end.
            (&b"Subject: x\r\n"[..], 1, &b""[..]),
            (b"Subject: x", 1, b""),
            (b"", 0, b""),
            // Empty body after the empty line.
            (b"Subject: x\r\n\r\n", 1, b""),
            // Bare LF line ends.
            (b"Subject: x\n folded\nTo: y\n\nbody\n", 2, b"body\n"),
            // Obsolete white space before the colon (RFC 5322 §4.5.8).
            (b"Subject : x\r\n\r\nb", 1, b"b"),
            // Empty value.
            (b"Subject:\r\n\r\n", 1, b""),
            // Body only: an empty line first.
            (b"\r\nbody", 0, b"body"),
        ] {
            let message = Message::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(message.fields().len(), fields, "{input:?}");
            assert_eq!(message.body(), body, "{input:?}");
            assert_eq!(message.to_bytes(), input, "{input:?}");
        }
        let obsolete = Message::parse(b"Subject \t: x\r\n").expect("obsolete syntax");
        assert_eq!(obsolete.get("subject").map(HeaderField::name), Some("Subject"));
        assert_eq!(obsolete.get("subject").map(HeaderField::raw_value), Some(" x"));
    }

    #[test]
    fn errors_say_where_and_what() {
        let long_line = format!("Subject: {}\r\n", "x".repeat(2000));
        let table: &[(&[u8], &str)] = &[
            (
                b"From: a\r\nTo: b\r\nno colon here\r\n\r\n",
                "line 3: header field without a colon (RFC 5322 §2.2)",
            ),
            (
                b" leading: space\r\n",
                "line 1: continuation line (starting with white space) before any header field",
            ),
            (b": no name\r\n", "line 1: header field with an empty name (RFC 5322 §3.6.8)"),
            (
                b"Sub ject: x\r\n",
                "line 1: expected a field name of printable US-ASCII except ':' followed by ':' (RFC 5322 §3.6.8), saw 'j'",
            ),
            (b"Subject: a\rb\r\n", "line 1: CR not followed by LF (RFC 5322 §2.2)"),
            (
                b"A: 1\r\nSubject: \xff\xfe\r\n",
                "line 2: header field is neither US-ASCII nor UTF-8 (RFC 6532 §3.2)",
            ),
            (
                long_line.as_bytes(),
                "line 1: line of 2009 characters, more than the 998 RFC 5322 §2.1.1 allows",
            ),
            (
                b"\x00\x01\x02binary",
                "line 1: expected a field name of printable US-ASCII except ':' followed by ':' (RFC 5322 §3.6.8), saw byte 0x00",
            ),
        ];
        for (input, message) in table {
            let error = Message::parse(input).expect_err("must be rejected");
            assert_eq!(error.to_string(), *message, "{input:?}");
        }
        let error = Message::parse(b"A: 1\r\nB: 2\r\nbroken\r\n").expect_err("missing colon");
        assert_eq!((error.line(), error.offset(), error.kind()), (3, 12, &HeaderErrorKind::MissingColon));
    }

    #[test]
    fn field_constructor_validates() {
        assert_eq!(
            HeaderField::new("Subject", "hi").map(|f| f.as_str().to_owned()),
            Ok("Subject: hi\r\n".into())
        );
        assert!(HeaderField::new("", "x").is_err());
        assert!(HeaderField::new("Bad Name", "x").is_err());
        assert!(HeaderField::new("Colon:", "x").is_err());
        assert!(HeaderField::new("Subject", "a\r\nBcc: evil@example.com").is_err());
        assert!(HeaderField::new("Subject", &"x".repeat(1200)).is_err());
        assert!(HeaderField::parse("A: 1\r\nB: 2\r\n").is_err());
        assert!(HeaderField::parse("A: 1\r\n\r\nbody").is_err());
    }

    #[test]
    fn field_serde_goes_through_the_parser() {
        let field = HeaderField::new("Subject", "hello").expect("valid");
        let raw: String = field.clone().into();
        assert_eq!(HeaderField::try_from(raw), Ok(field));
        assert!(HeaderField::try_from("not a field".to_owned()).is_err());
    }

    #[test]
    fn fold_known_answers() {
        assert_eq!(fold("Subject", "short"), "Subject: short\r\n");
        assert_eq!(fold("Subject", ""), "Subject: \r\n");
        let value = "from mail.example.org (mail.example.org [192.0.2.1]) by mx.example.com with ESMTPS id 4Xyz for <bob@example.com>; Tue, 25 Nov 2026 02:23:30 +0000";
        assert_eq!(
            fold("Received", value),
            "Received: from mail.example.org (mail.example.org [192.0.2.1]) by\r\n mx.example.com with ESMTPS id 4Xyz for <bob@example.com>; Tue, 25 Nov 2026\r\n 02:23:30 +0000\r\n"
        );
        // A word longer than a line stays whole.
        let word = "w".repeat(100);
        assert_eq!(fold("X", &format!("a {word} b")), format!("X: a\r\n {word}\r\n b\r\n"));
        // No line of white space only.
        assert_eq!(
            fold("X", &format!("{} ", "y ".repeat(50))).lines().filter(|l| l.trim().is_empty()).count(),
            0
        );
        // CR/LF cannot inject a field.
        assert_eq!(fold("Subject", "a\r\nBcc: x"), "Subject: a  Bcc: x\r\n");
    }

    #[test]
    fn unfold_known_answers() {
        assert_eq!(unfold("a\r\n b"), "a b");
        assert_eq!(unfold("a\r\n\tb\r\n  c"), "a\tb  c");
        assert_eq!(unfold("a\r\nb"), "a\r\nb");
        assert_eq!(unfold("a\n b"), "a b");
        assert_eq!(unfold("end\r\n"), "end\r\n");
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn field_name() -> impl Strategy<Value = String> {
        "[!-9;-~]{1,20}"
    }

    /// Values without CR/LF: words, runs of spaces and tabs, some long words, non-ASCII.
    fn value() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof!["[ \t]{1,3}", "[!-~]{1,12}", "[a-z]{60,90}", "[é€ü]{1,3}"],
            0..30,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn unfold_inverts_fold(name in field_name(), value in value()) {
            prop_assert_eq!(unfold(&fold(&name, &value)), format!("{name}: {value}\r\n"));
        }

        #[test]
        fn folded_fields_parse_back(name in field_name(), value in value()) {
            // Folding breaks only at white space: a word longer than a line (998 octets,
            // RFC 5322 §2.1.1) stays whole, so such a field cannot be valid however it folds.
            prop_assume!(value.split([' ', '\t']).all(|word| name.len() + 2 + word.len() <= 998));
            let field = HeaderField::parse(&fold(&name, &value)).expect("fold output is a field");
            prop_assert_eq!(field.name(), name.as_str());
            prop_assert_eq!(field.unfolded_value(), format!(" {value}"));
        }

        #[test]
        fn fold_keeps_lines_short_when_words_are(name in "[A-Za-z-]{1,20}", words in proptest::collection::vec("[!-~]{1,40}", 0..40)) {
            let folded = fold(&name, &words.join(" "));
            for line in folded.split("\r\n") {
                prop_assert!(line.len() <= RECOMMENDED_LINE_LEN, "{:?}", line);
            }
        }

        #[test]
        fn messages_round_trip(fields in proptest::collection::vec((field_name(), value()), 0..8), body in proptest::collection::vec(any::<u8>(), 0..200)) {
            // A word longer than a line cannot be folded (RFC 5322 §2.1.1's 998 is a MUST).
            let longest_word = |v: &str| v.split([' ', '\t']).map(str::len).max().unwrap_or(0);
            prop_assume!(fields.iter().all(|(name, value)| name.len() + longest_word(value) < 990));
            let mut bytes = Vec::new();
            for (name, value) in &fields {
                bytes.extend_from_slice(fold(name, value).as_bytes());
            }
            bytes.extend_from_slice(b"\r\n");
            bytes.extend_from_slice(&body);
            let message = Message::parse(&bytes).expect("valid message");
            prop_assert_eq!(message.fields().len(), fields.len());
            prop_assert_eq!(message.body(), &body[..]);
            prop_assert_eq!(message.to_bytes(), bytes);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(message) = Message::parse(&bytes) {
                prop_assert_eq!(message.to_bytes(), bytes);
            }
        }
    }
}
