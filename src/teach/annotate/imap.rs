//! IMAP4rev2 (RFC 9051) writes cut into labelled parts: the tag, the command and each of
//! its arguments; for responses `*`, `+` or the tag, the status, the `[response code]`, the
//! kind of data and each item in it. The octets of a literal that holds a message (the
//! `BODY[]` of a FETCH response) are annotated as message lines, header fields and body,
//! by the same [`message_line`] as SMTP's DATA.
//!
//! A write is first checked by [`crate::proto::imap`]'s parsers; a small scanner then finds
//! where each element lies, since those parsers report values and not spans. Positions are
//! counted in bytes of the text (a literal's `{n}` counts octets) and moved back to a
//! character boundary where the lossy UTF-8 text and the count disagree. Parts follow the
//! contract of [`super::AnnotatedLine`]; nothing here panics on any input.

use std::ops::Range;

use super::{AnnotatedLine, CRLF_LABEL, LineBuilder, Section as MessageSection, message_line, split_lines};
use crate::proto::imap::{
    self as wire, Address, Code, CommandError, Envelope, FetchAttribute, Frame, Framer, FramerRole,
    MessageData, Response, Section,
};
use crate::teach::imap::{code_meaning, command_section, section_words};

const RFC_TAG: &str = "RFC 9051 §2.2.1";
const RFC_LITERAL: &str = "RFC 9051 §4.3";
const RFC_LIST: &str = "RFC 9051 §4.4";
const RFC_SET: &str = "RFC 9051 §4.1.1";
const RFC_FLAGS: &str = "RFC 9051 §2.3.2";
const RFC_CODE: &str = "RFC 9051 §7.1";
const RFC_FETCH_DATA: &str = "RFC 9051 §7.5.2";
const RFC_ENVELOPE: &str = "RFC 9051 §7.5.2";

/// Cuts a client write (commands, a literal's continuation, a SASL line or `DONE`) into
/// labelled lines.
pub fn imap_command_lines(wire: &str) -> Vec<AnnotatedLine> {
    scan_all(wire, true, Scan::client_write)
}

/// Cuts a client write that follows the server's `+` (the octets of a literal and the rest
/// of the command, a SASL response, or `DONE`) into labelled lines.
pub fn imap_continuation_lines(wire: &str) -> Vec<AnnotatedLine> {
    scan_all(wire, true, |scan| {
        if !scan.special_line() {
            scan.continuation_line();
        }
    })
}

/// Cuts a server write (untagged data, continuation requests, the tagged completion, the
/// greeting) into labelled lines.
pub fn imap_response_lines(wire: &str) -> Vec<AnnotatedLine> {
    scan_all(wire, false, Scan::server_write)
}

/// Reads `wire` (a client's write when `client`) with `one` until it ends or a reading
/// advances no further, then cuts what was labelled into lines.
fn scan_all<'a>(wire: &'a str, client: bool, mut one: impl FnMut(&mut Scan<'a>)) -> Vec<AnnotatedLine> {
    let mut scan = Scan::new(wire.as_bytes(), client);
    while scan.pos < scan.bytes.len() {
        let before = scan.pos;
        one(&mut scan);
        if scan.pos <= before {
            break;
        }
    }
    scan.cut(wire)
}

/// A labelled stretch of the whole write, in bytes.
struct Labelled {
    range: Range<usize>,
    label: String,
    meaning: String,
    rfc: String,
}

/// A string as it lies on the wire (§4.3).
enum Str {
    /// An atom or `NIL`.
    Atom(Range<usize>),
    /// `"..."`, quotes included.
    Quoted(Range<usize>),
    /// `{n}` or `{n+}`, and the octets that follow its CRLF (as many as the write holds).
    Literal { header: Range<usize>, data: Range<usize>, n: u64, plus: bool },
}

/// Walks a write once, left to right, and records labelled ranges.
struct Scan<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The end of the command or response being labelled.
    end: usize,
    /// A client write (literal headers wait for `+`) rather than a server write.
    client: bool,
    parts: Vec<Labelled>,
    /// Literals that hold a message, and where each starts: header or body.
    messages: Vec<(Range<usize>, MessageSection)>,
}

fn is_word_end(b: u8) -> bool {
    matches!(b, b' ' | b'(' | b')' | b'\r' | b'\n')
}

fn upper(text: &str) -> String {
    text.to_ascii_uppercase()
}

/// The largest character boundary of `text` at or below `i`.
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl<'a> Scan<'a> {
    fn new(bytes: &'a [u8], client: bool) -> Self {
        Self { bytes, pos: 0, end: bytes.len(), client, parts: Vec::new(), messages: Vec::new() }
    }

    fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        let i = self.pos.checked_add(k)?;
        if i < self.end { self.bytes.get(i).copied() } else { None }
    }

    fn text(&self, range: &Range<usize>) -> String {
        String::from_utf8_lossy(self.bytes.get(range.clone()).unwrap_or_default()).into_owned()
    }

    fn label(
        &mut self,
        range: Range<usize>,
        label: impl Into<String>,
        meaning: impl Into<String>,
        rfc: &str,
    ) {
        if range.start < range.end {
            self.parts.push(Labelled {
                range,
                label: label.into(),
                meaning: meaning.into(),
                rfc: rfc.to_owned(),
            });
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn sp(&mut self) -> bool {
        self.eat(b' ')
    }

    fn take(&mut self, keep: impl Fn(u8) -> bool) -> Range<usize> {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        start..self.pos
    }

    fn word(&mut self) -> Range<usize> {
        self.take(|b| !is_word_end(b))
    }

    fn at_crlf(&self) -> bool {
        self.peek() == Some(b'\r') && self.peek_at(1) == Some(b'\n')
    }

    fn crlf(&mut self) -> bool {
        if self.at_crlf() {
            self.pos += 2;
            true
        } else {
            false
        }
    }

    /// Everything up to the next CRLF (or the end).
    fn line_rest(&mut self) -> Range<usize> {
        let start = self.pos;
        while self.peek().is_some() && !self.at_crlf() {
            self.pos += 1;
        }
        start..self.pos
    }

    /// The end of the line that starts at `from`: the index of its CR, or the end.
    fn line_end_from(&self, from: usize) -> usize {
        let tail = self.bytes.get(from..).unwrap_or_default();
        tail.windows(2).position(|w| w == b"\r\n").map_or(self.bytes.len(), |i| from + i)
    }

    fn open_paren(&mut self) -> bool {
        let start = self.pos;
        if self.eat(b'(') {
            self.label(start..self.pos, "(", "opens a parenthesized list", RFC_LIST);
            true
        } else {
            false
        }
    }

    fn close_paren(&mut self) -> bool {
        let start = self.pos;
        if self.eat(b')') {
            self.label(start..self.pos, ")", "closes the parenthesized list", RFC_LIST);
            true
        } else {
            false
        }
    }

    /// `string = quoted / literal`, or an atom (`astring`, `nstring`'s NIL).
    fn string(&mut self) -> Option<Str> {
        let start = self.pos;
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                while let Some(b) = self.peek() {
                    match b {
                        b'\\' => self.pos = (self.pos + 2).min(self.end),
                        b'"' => {
                            self.pos += 1;
                            break;
                        }
                        b'\r' | b'\n' => break,
                        _ => self.pos += 1,
                    }
                }
                Some(Str::Quoted(start..self.pos))
            }
            b'{' => {
                let digits_start = start + 1;
                let mut i = digits_start;
                while self.bytes.get(i).is_some_and(u8::is_ascii_digit) && i < self.end {
                    i += 1;
                }
                let digits = self.bytes.get(digits_start..i).unwrap_or_default();
                let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
                let plus = self.bytes.get(i) == Some(&b'+');
                if plus {
                    i += 1;
                }
                if self.bytes.get(i) != Some(&b'}') || self.bytes.get(i + 1..i + 3) != Some(b"\r\n") {
                    return None;
                }
                let header = start..i + 1;
                let data_start = (i + 3).min(self.end);
                let count = usize::try_from(n).unwrap_or(usize::MAX);
                let data_end = data_start.saturating_add(count).min(self.end);
                self.pos = data_end;
                Some(Str::Literal { header, data: data_start..data_end, n, plus })
            }
            b if wire::is_astring_char(b) => Some(Str::Atom(self.take(wire::is_astring_char))),
            _ => None,
        }
    }

    /// The text a string stands for: unquoted, or a literal's octets.
    fn string_value(&self, s: &Str) -> String {
        match s {
            Str::Atom(r) => self.text(r),
            Str::Quoted(r) => {
                let inner = self.text(&(r.start + 1..r.end.saturating_sub(1).max(r.start + 1)));
                let mut out = String::new();
                let mut escaped = false;
                for c in inner.chars() {
                    if c == '\\' && !escaped {
                        escaped = true;
                        continue;
                    }
                    escaped = false;
                    out.push(c);
                }
                out
            }
            Str::Literal { data, .. } => self.text(data),
        }
    }

    /// Labels a string: an atom or quoted string whole; a literal as its header, then its
    /// octets (or, with `message`, registers them as a message).
    fn label_string(
        &mut self,
        s: &Str,
        label: &str,
        meaning: &str,
        rfc: &str,
        message: Option<MessageSection>,
    ) {
        match s {
            Str::Atom(r) | Str::Quoted(r) => self.label(r.clone(), label, meaning, rfc),
            Str::Literal { header, data, n, plus } => {
                let missing = (data.end - data.start) as u64 != *n;
                let header_meaning = match (self.client, plus, missing) {
                    (true, false, true) => format!(
                        "{{{n}}}: a synchronizing literal: the value is {n} octets, counted rather than quoted. \
                         The client sends them only after the server's + continuation, so they are not in \
                         this write"
                    ),
                    (true, false, false) => format!(
                        "{{{n}}}: a literal: the value is exactly {n} octets, counted rather than quoted, so \
                         it may hold spaces, quotes or any character"
                    ),
                    (true, true, _) => format!(
                        "{{{n}+}}: a non-synchronizing literal (LITERAL+): its {n} octets follow at once, \
                         without waiting for the server's +"
                    ),
                    (false, _, _) => format!(
                        "{{{n}}}: a literal: exactly {n} octets follow this line's end, and the client reads \
                         them by count, whatever they contain (line breaks included)"
                    ),
                };
                self.label(header.clone(), "literal header", header_meaning, RFC_LITERAL);
                match message {
                    Some(section) if data.start < data.end => self.messages.push((data.clone(), section)),
                    Some(_) => {}
                    None => self.label(data.clone(), format!("{label} (literal octets)"), meaning, rfc),
                }
            }
        }
    }

    /// Skips one value: an atom, a string, or a parenthesized list with everything inside;
    /// iterative, so nesting cannot exhaust the stack.
    fn skip_value(&mut self) -> Range<usize> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'(' => {
                    depth += 1;
                    self.pos += 1;
                }
                b')' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        break;
                    }
                }
                b' ' if depth > 0 => self.pos += 1,
                b' ' | b'\r' | b'\n' => break,
                b'"' | b'{' => {
                    if self.string().is_none() {
                        self.pos += 1;
                    }
                    if depth == 0 {
                        break;
                    }
                }
                _ => {
                    let r = self.take(|b| !is_word_end(b) && b != b'"');
                    if r.is_empty() {
                        self.pos += 1;
                    }
                    if depth == 0 {
                        break;
                    }
                }
            }
        }
        start..self.pos
    }

    /// The rest of the line, if any, as text no parser labelled.
    fn leftover(&mut self, meaning: &str, rfc: &str) {
        let rest = self.line_rest();
        self.label(rest, "unrecognised", meaning, rfc);
    }

    // -----------------------------------------------------------------------------------
    // Client writes
    // -----------------------------------------------------------------------------------

    /// `DONE`, a SASL cancel or a base64 SASL line; false if the line is none of these.
    fn special_line(&mut self) -> bool {
        let start = self.pos;
        let line_end = self.line_end_from(start);
        let line = self.bytes.get(start..line_end).unwrap_or_default();
        if line.eq_ignore_ascii_case(b"DONE") {
            self.label(
                start..line_end,
                "DONE",
                "DONE: ends IDLE. It has no tag: it answers the server's + continuation, and the server \
                 then completes IDLE with its tagged OK",
                "RFC 9051 §6.3.13",
            );
        } else if line == b"*" {
            self.label(
                start..line_end,
                "SASL cancel",
                "*: the client cancels the AUTHENTICATE exchange; the server answers BAD",
                "RFC 9051 §6.2.2",
            );
        } else if let Some(data) =
            (!line.is_empty() && !line.contains(&b' ')).then(|| wire::base64_line(line)).flatten()
        {
            self.label(
                start..line_end,
                "SASL response (base64)",
                sasl_meaning(&data, false),
                "RFC 9051 §6.2.2",
            );
        } else {
            return false;
        }
        self.pos = line_end;
        self.crlf();
        true
    }

    /// One line after the server's `+`: the literal's octets and the rest of the command.
    fn continuation_line(&mut self) {
        let start = self.pos;
        let line_end = self.line_end_from(start);
        let line = self.bytes.get(start..line_end).unwrap_or_default();
        let header = wire::trailing_literal(line)
            .and_then(|_| line.iter().rposition(|&b| b == b'{'))
            .map(|i| start + i);
        let rest_end = header.unwrap_or(line_end);
        self.label(
            start..rest_end,
            "continuation",
            "sent after the server's +: the octets the literal announced, then the rest of the command",
            "RFC 9051 §7.6",
        );
        if let Some(h) = header {
            self.pos = h;
            let end = self.end;
            self.end = line_end + 2;
            if let Some(s) = self.string() {
                self.label_string(&s, "value", "a value of the command", RFC_LITERAL, None);
            }
            self.end = end;
        }
        self.pos = line_end;
        self.crlf();
    }

    /// One command (with its literals), or a line that is none.
    fn client_write(&mut self) {
        if self.special_line() {
            return;
        }
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let line_end = self.line_end_from(start);
        match wire::command(rest) {
            Ok((after, _)) => {
                self.end = start + (rest.len() - after.len());
                self.command();
            }
            Err(nom::Err::Incomplete(_)) => {
                self.end = self.bytes.len();
                self.command();
            }
            Err(_) => {
                self.end = (line_end + 2).min(self.bytes.len());
                self.bad_command(line_end);
            }
        }
        self.pos = self.end.max(self.pos);
        self.end = self.bytes.len();
    }

    /// A line the command grammar rejects.
    fn bad_command(&mut self, line_end: usize) {
        let start = self.pos;
        let frame = self.bytes.get(start..self.end).unwrap_or_default();
        match wire::parse_command(frame) {
            Err(CommandError::Syntax { tag, name }) => {
                self.tag_and_name();
                let rfc = command_section(&name);
                self.leftover(
                    &format!(
                        "arguments that do not fit the grammar of {name}: the server answers “{tag} BAD” and \
                         does nothing"
                    ),
                    &rfc,
                );
            }
            error => {
                let line = self.bytes.get(start..line_end).unwrap_or_default();
                let header = wire::trailing_literal(line)
                    .and_then(|_| line.iter().rposition(|&b| b == b'{'))
                    .map(|i| start + i);
                let why = match error {
                    Err(CommandError::UnknownCommand { name, .. }) => format!("{name} is no command"),
                    _ => "there is no tag and command name".to_owned(),
                };
                self.label(
                    start..header.unwrap_or(line_end),
                    "not a command",
                    format!(
                        "read as a command, {why}, and the server would answer BAD; sent right after the \
                         server's +, these are the octets of a literal and the rest of that command"
                    ),
                    "RFC 9051 §7.6",
                );
                if let Some(h) = header {
                    self.pos = h;
                    if let Some(s) = self.string() {
                        self.label_string(&s, "value", "a value of the command", RFC_LITERAL, None);
                    }
                }
            }
        }
        self.pos = line_end;
        self.crlf();
    }

    /// The tag and the command name (with `UID` before it); the name, upper-cased.
    fn tag_and_name(&mut self) -> String {
        let tag = self.take(wire::is_tag_char);
        let shown = self.text(&tag);
        self.label(
            tag,
            "tag",
            format!(
                "{shown}: the client's label for this command. The server's completion ({shown} OK, NO or \
                 BAD) echoes it, so each answer is matched to its command"
            ),
            RFC_TAG,
        );
        if !self.sp() {
            return String::new();
        }
        let first = self.take(|b| b.is_ascii_alphabetic());
        let mut name = upper(&self.text(&first));
        if name == "UID" {
            self.label(
                first,
                "UID",
                "UID: the numbers in this command are UIDs, which stay the same across sessions, not \
                 message sequence numbers",
                "RFC 9051 §6.4.9",
            );
            if self.sp() {
                let second = self.take(|b| b.is_ascii_alphabetic());
                let inner = upper(&self.text(&second));
                name = format!("UID {inner}");
                let rfc = command_section(&name);
                self.label(second, "command", format!("{inner}: {}", command_purpose(&inner)), &rfc);
            }
        } else {
            let rfc = command_section(&name);
            self.label(first, "command", format!("{name}: {}", command_purpose(&name)), &rfc);
        }
        name
    }

    /// A whole command (or its first part, up to a literal the client waits to send).
    fn command(&mut self) {
        let name = self.tag_and_name();
        let rfc = command_section(&name);
        match name.as_str() {
            "LOGIN" => {
                if self.sp()
                    && let Some(s) = self.string()
                {
                    let user = self.string_value(&s);
                    let meaning = format!("{user}: the user name, who logs in");
                    self.label_string(&s, "user name", &meaning, &rfc, None);
                }
                if self.sp()
                    && let Some(s) = self.string()
                {
                    self.label_string(
                        &s,
                        "password",
                        "the password, in plain text: readable here only because this is a simulation; \
                             on the wire it travels inside TLS",
                        &rfc,
                        None,
                    );
                }
            }
            "AUTHENTICATE" => {
                if self.sp() {
                    let mechanism = self.take(wire::is_atom_char);
                    let shown = upper(&self.text(&mechanism));
                    let meaning = if shown == "PLAIN" {
                        "PLAIN: user name and password in one base64 message (RFC 4616); safe only inside TLS"
                            .to_owned()
                    } else {
                        format!("{shown}: the SASL mechanism the client chooses among the server's AUTH=")
                    };
                    self.label(mechanism, "SASL mechanism", meaning, &rfc);
                }
                if self.sp() {
                    let response =
                        self.take(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
                    let data = self.bytes.get(response.clone()).and_then(wire::base64_line);
                    let meaning = match data {
                        Some(data) => sasl_meaning(&data, true),
                        None => "base64 that does not decode".to_owned(),
                    };
                    self.label(response, "initial response", meaning, &rfc);
                }
            }
            "SELECT" | "EXAMINE" | "STATUS" => {
                if self.sp()
                    && let Some(s) = self.string()
                {
                    let mailbox = self.string_value(&s);
                    let meaning = mailbox_meaning(&mailbox, &name);
                    self.label_string(&s, "mailbox", &meaning, &rfc, None);
                }
                if name == "STATUS" && self.sp() && self.open_paren() {
                    loop {
                        let item = self.take(|b| b.is_ascii_alphabetic());
                        let shown = upper(&self.text(&item));
                        self.label(item, "status item", status_item_meaning(&shown, None), &rfc);
                        if !self.sp() {
                            break;
                        }
                    }
                    self.close_paren();
                }
            }
            "LIST" => {
                if self.sp()
                    && let Some(s) = self.string()
                {
                    let reference = self.string_value(&s);
                    let meaning = if reference.is_empty() {
                        "\"\": the reference, empty: names are taken from the top of the hierarchy".to_owned()
                    } else {
                        format!("{reference}: the reference, where the pattern starts")
                    };
                    self.label_string(&s, "reference", &meaning, &rfc, None);
                }
                if self.sp() {
                    let s = match self.peek() {
                        Some(b'"' | b'{') => self.string(),
                        _ => Some(Str::Atom(self.take(|b| !is_word_end(b)))),
                    };
                    if let Some(s) = s {
                        let pattern = self.string_value(&s);
                        let meaning = format!(
                            "{}: the names to list; * matches anything, % anything but the hierarchy delimiter",
                            if pattern.is_empty() { "\"\" (only the delimiter)".to_owned() } else { pattern }
                        );
                        self.label_string(&s, "mailbox pattern", &meaning, &rfc, None);
                    }
                }
            }
            "ENABLE" => {
                while self.sp() {
                    let capability = self.word();
                    let shown = self.text(&capability);
                    let (meaning, cap_rfc) = capability_meaning(&shown);
                    self.label(capability, "capability", meaning, cap_rfc);
                }
            }
            "FETCH" | "UID FETCH" => {
                let uid = name.starts_with("UID");
                if self.sp() {
                    self.sequence_set(uid);
                }
                if self.sp() {
                    if self.open_paren() {
                        loop {
                            self.fetch_att_request(&rfc);
                            if !self.sp() {
                                break;
                            }
                        }
                        self.close_paren();
                    } else {
                        self.fetch_att_request(&rfc);
                    }
                }
            }
            "STORE" | "UID STORE" => {
                let uid = name.starts_with("UID");
                if self.sp() {
                    self.sequence_set(uid);
                }
                if self.sp() {
                    let op = self.take(|b| !is_word_end(b));
                    let shown = upper(&self.text(&op));
                    self.label(op, "store operation", store_meaning(&shown), &rfc);
                }
                if self.sp() {
                    if self.peek() == Some(b'(') {
                        self.flag_list();
                    } else {
                        loop {
                            self.flag();
                            if !self.sp() {
                                break;
                            }
                        }
                    }
                }
            }
            "SEARCH" | "UID SEARCH" => {
                while self.sp() {
                    let start = self.pos;
                    let word = self.take(|b| b.is_ascii_alphabetic());
                    let shown = upper(&self.text(&word));
                    if shown == "RETURN" && self.sp() {
                        let options = self.skip_value();
                        self.label(
                            start..options.end,
                            "return options",
                            "RETURN (…): what the ESEARCH answer reports: MIN, MAX, COUNT or ALL",
                            &rfc,
                        );
                        continue;
                    }
                    self.pos = start;
                    let key = self.skip_value();
                    let shown = self.text(&key);
                    let meaning = search_key_meaning(&shown);
                    self.label(key, "search key", meaning, &rfc);
                }
            }
            "UID EXPUNGE" if self.sp() => {
                self.sequence_set(true);
            }
            _ => {}
        }
        self.leftover("text the command's grammar does not expect here", &rfc);
        self.crlf();
    }

    fn sequence_set(&mut self, uid: bool) {
        let set = self.take(|b| b.is_ascii_digit() || matches!(b, b':' | b',' | b'*'));
        let shown = self.text(&set);
        let what = if uid { "UIDs" } else { "messages" };
        let meaning = if shown == "1:*" {
            format!("1:*: {what} from 1 to the last; * stands for the highest number in use")
        } else if shown.contains('*') {
            format!("{shown}: {what} in this set; * stands for the highest number in use")
        } else {
            format!("{shown}: {what} in this set (a:b is a range, commas separate)")
        };
        self.label(set, "sequence set", meaning, RFC_SET);
    }

    /// One `fetch-att` (or macro) of a FETCH command.
    fn fetch_att_request(&mut self, rfc: &str) {
        let att = self.fetch_att_token();
        let shown = self.text(&att);
        let meaning = fetch_request_meaning(&shown);
        self.label(att, "fetch item", meaning, rfc);
    }

    /// A `fetch-att` token: a name with an optional `[section]` (spaces allowed inside)
    /// and `<partial>`.
    fn fetch_att_token(&mut self) -> Range<usize> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'\r' | b'\n' => break,
                b' ' | b'(' | b')' if depth == 0 => break,
                _ => {}
            }
            self.pos += 1;
        }
        start..self.pos
    }

    fn flag(&mut self) {
        let flag = self.take(|b| !is_word_end(b) && b != b']');
        let shown = self.text(&flag);
        self.label(flag, "flag", flag_meaning(&shown), RFC_FLAGS);
    }

    /// `"(" [flag *(SP flag)] ")"`.
    fn flag_list(&mut self) {
        if !self.open_paren() {
            return;
        }
        if self.close_paren() {
            return;
        }
        loop {
            self.flag();
            if !self.sp() {
                break;
            }
        }
        self.close_paren();
    }

    // -----------------------------------------------------------------------------------
    // Server writes
    // -----------------------------------------------------------------------------------

    fn server_write(&mut self) {
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let mut framer = Framer::new(FramerRole::Client, usize::MAX);
        let len = match framer.next(rest) {
            Frame::Complete(len) if len > 0 => len,
            _ => rest.len(),
        };
        self.end = (start + len).min(self.bytes.len());
        let frame = self.bytes.get(start..self.end).unwrap_or_default();
        match wire::response(frame) {
            Ok(([], response)) => self.response(&response),
            Ok(_) | Err(_) => {
                let complete = frame.ends_with(b"\r\n");
                let end = if complete { self.end - 2 } else { self.end };
                let meaning = if complete {
                    "not an IMAP response: each starts with *, + or a command's tag, then follows the \
                     grammar of its kind"
                } else {
                    "an incomplete response: the write ends before its CRLF (or before all the octets its \
                     literal announced)"
                };
                self.label(start..end, "unrecognised", meaning, "RFC 9051 §7");
            }
        }
        self.pos = self.end;
        self.end = self.bytes.len();
    }

    fn response(&mut self, response: &Response) {
        let start = self.pos;
        match self.peek() {
            Some(b'+') => {
                self.pos += 1;
                self.label(
                    start..self.pos,
                    "+",
                    "a continuation request: the server accepts the command so far and waits for the rest \
                     (a literal's octets, a SASL response, or DONE after IDLE)",
                    "RFC 9051 §7.6",
                );
                self.sp();
                let text = self.line_rest();
                let shown = self.text(&text);
                let decoded = wire::base64_line(shown.as_bytes())
                    .filter(|d| !d.is_empty() && d.iter().all(|b| b.is_ascii_graphic() || *b == b' '));
                let meaning = match decoded {
                    Some(data) => format!(
                        "a base64 SASL challenge: “{}”; the client answers with a base64 line",
                        String::from_utf8_lossy(&data)
                    ),
                    None => "text for people; the + alone is what the client acts on".to_owned(),
                };
                self.label(text, "continuation text", meaning, "RFC 9051 §7.6");
            }
            Some(b'*') => {
                self.pos += 1;
                self.label(
                    start..self.pos,
                    "*",
                    "untagged: data or a status that completes no command (the command's own tag comes on \
                     its final line)",
                    "RFC 9051 §2.2.2",
                );
                self.sp();
                match response {
                    Response::Status { code, .. } => self.status(false, code.as_ref()),
                    Response::Data(_) => self.data(response),
                    Response::Continue(_) => {}
                }
            }
            _ => {
                let tag = self.take(wire::is_tag_char);
                let shown = self.text(&tag);
                self.label(
                    tag,
                    "tag",
                    format!(
                        "{shown}: the tag of the command this line completes; the responses before it belong \
                         to that command too"
                    ),
                    "RFC 9051 §2.2.2",
                );
                self.sp();
                if let Response::Status { code, .. } = response {
                    self.status(true, code.as_ref());
                }
            }
        }
        self.leftover("text the response's grammar does not expect here", "RFC 9051 §7");
        self.crlf();
    }

    /// `status [SP "[" resp-text-code "]"] [SP text]`.
    fn status(&mut self, tagged: bool, code: Option<&Code>) {
        let word = self.take(|b| b.is_ascii_alphabetic());
        let shown = upper(&self.text(&word));
        let (meaning, rfc) = status_meaning(&shown, tagged);
        self.label(word, "status", meaning, rfc);
        if !self.sp() {
            return;
        }
        if self.peek() == Some(b'[') {
            self.code(code);
            self.sp();
        }
        let text = self.line_rest();
        self.label(
            text,
            "text",
            "human-readable text, for people and logs: clients act on the status and the code, not on this",
            RFC_CODE,
        );
    }

    /// `"[" resp-text-code "]"`.
    fn code(&mut self, code: Option<&Code>) {
        let open = self.pos;
        self.pos += 1;
        self.label(open..self.pos, "[", "opens a response code: machine-readable detail", RFC_CODE);
        let name = self.take(wire::is_atom_char);
        let shown = upper(&self.text(&name));
        let meaning = code.map_or_else(|| format!("[{shown}]: a response code"), code_meaning);
        self.label(name, "response code", meaning, RFC_CODE);
        match shown.as_str() {
            "CAPABILITY" => {
                while self.sp() {
                    self.capability();
                }
            }
            "PERMANENTFLAGS" if self.sp() => {
                self.flag_list();
            }
            "UIDNEXT" | "UIDVALIDITY" if self.sp() => {
                let number = self.take(|b| b.is_ascii_digit());
                let n = self.text(&number);
                let meaning = if shown == "UIDNEXT" {
                    format!(
                        "{n}: the UID the next message will get; if it grew since the client last looked, \
                             new mail has arrived"
                    )
                } else {
                    format!(
                        "{n}: the client stores UIDs together with this number; if it ever changes, every \
                             UID it remembers from this mailbox is void"
                    )
                };
                self.label(number, format!("{shown} value"), meaning, "RFC 9051 §2.3.1.1");
            }
            _ => {}
        }
        let argument = self.take(|b| b != b']' && b != b'\r' && b != b'\n');
        self.label(argument, "code argument", "the response code's argument", RFC_CODE);
        let close = self.pos;
        if self.eat(b']') {
            self.label(close..self.pos, "]", "closes the response code", RFC_CODE);
        }
    }

    fn capability(&mut self) {
        let capability = self.take(|b| !is_word_end(b) && b != b']');
        let shown = self.text(&capability);
        let (meaning, rfc) = capability_meaning(&shown);
        self.label(capability, "capability", meaning, rfc);
    }

    /// `mailbox-data / message-data / capability-data / enable-data`, after `* `.
    fn data(&mut self, response: &Response) {
        let Response::Data(data) = response else { return };
        if self.peek().is_some_and(|b| b.is_ascii_digit()) {
            let number = self.take(|b| b.is_ascii_digit());
            let n = self.text(&number);
            self.sp();
            let kind = self.take(|b| b.is_ascii_alphabetic());
            let shown = upper(&self.text(&kind));
            match data {
                wire::Data::Exists(_) => {
                    self.label(
                        number,
                        "message count",
                        format!("{n}: the number of messages in the mailbox"),
                        "RFC 9051 §7.4.1",
                    );
                    self.label(
                        kind,
                        "data kind",
                        "EXISTS: how many messages the mailbox holds now; sent on SELECT and whenever mail \
                         arrives, and the client must remember it",
                        "RFC 9051 §7.4.1",
                    );
                }
                wire::Data::Recent(_) => {
                    self.label(
                        number,
                        "count",
                        format!("{n}: messages new to this session"),
                        "RFC 9051 §6.3.2",
                    );
                    self.label(
                        kind,
                        "data kind",
                        "RECENT: an IMAP4rev1 count, deprecated by RFC 9051; IMAP4rev2 clients ignore it",
                        "RFC 9051 §6.3.2",
                    );
                }
                wire::Data::Expunge(_) => {
                    self.label(
                        number,
                        "message number",
                        format!("{n}: the sequence number of the message removed"),
                        "RFC 9051 §7.5.1",
                    );
                    self.label(
                        kind,
                        "data kind",
                        "EXPUNGE: this message is gone for good, and every message after it moves down by one",
                        "RFC 9051 §7.5.1",
                    );
                }
                wire::Data::Fetch { items, .. } => {
                    self.label(
                        number,
                        "message number",
                        format!(
                            "{n}: the message's sequence number: its position in the mailbox, 1 for the oldest; \
                             it shifts when messages before it are expunged"
                        ),
                        "RFC 9051 §2.3.1.2",
                    );
                    self.label(
                        kind,
                        "data kind",
                        "FETCH: data about one message, as pairs of item name and value in parentheses",
                        RFC_FETCH_DATA,
                    );
                    if self.sp() {
                        self.msg_att(items);
                    }
                }
                _ => self.label(kind, "data kind", format!("{shown}: server data"), "RFC 9051 §7"),
            }
            return;
        }
        let kind = self.take(|b| b.is_ascii_alphabetic());
        let shown = upper(&self.text(&kind));
        let (meaning, rfc) = data_kind_meaning(&shown);
        self.label(kind, "data kind", meaning, rfc);
        match data {
            wire::Data::Capability(_) | wire::Data::Enabled(_) => {
                while self.sp() {
                    self.capability();
                }
            }
            wire::Data::Flags(_) if self.sp() => {
                self.flag_list();
            }
            wire::Data::List { .. } => self.list_data(),
            wire::Data::Status { .. } => self.status_data(),
            wire::Data::Search(_) => {
                while self.sp() {
                    let number = self.take(|b| b.is_ascii_digit());
                    let n = self.text(&number);
                    self.label(
                        number,
                        "message number",
                        format!("{n}: a message that matches"),
                        "RFC 9051 §7.3.4",
                    );
                }
            }
            wire::Data::ESearch { uid, .. } => self.esearch_data(*uid),
            _ => {}
        }
    }

    fn list_data(&mut self) {
        let rfc = "RFC 9051 §7.3.1";
        if !self.sp() || !self.open_paren() {
            return;
        }
        if !self.close_paren() {
            loop {
                let attribute = self.take(|b| !is_word_end(b));
                let shown = self.text(&attribute);
                let (meaning, attribute_rfc) = mailbox_attribute_meaning(&shown);
                self.label(attribute, "mailbox attribute", meaning, attribute_rfc);
                if !self.sp() {
                    break;
                }
            }
            self.close_paren();
        }
        if self.sp()
            && let Some(s) = self.string()
        {
            let shown = self.string_value(&s);
            let meaning = if matches!(s, Str::Atom(_)) {
                "NIL: no hierarchy; the names are flat".to_owned()
            } else {
                format!("{shown}: the hierarchy delimiter, the character that separates levels of names")
            };
            self.label_string(&s, "hierarchy delimiter", &meaning, rfc, None);
        }
        if self.sp()
            && let Some(s) = self.string()
        {
            let shown = self.string_value(&s);
            let meaning = if shown.is_empty() {
                "\"\": no name; with \\Noselect this line only tells the hierarchy delimiter".to_owned()
            } else {
                mailbox_meaning(&shown, "LIST")
            };
            self.label_string(&s, "mailbox name", &meaning, rfc, None);
        }
    }

    fn status_data(&mut self) {
        let rfc = "RFC 9051 §7.3.3";
        if self.sp()
            && let Some(s) = self.string()
        {
            let shown = self.string_value(&s);
            self.label_string(&s, "mailbox name", &mailbox_meaning(&shown, "STATUS"), rfc, None);
        }
        if !self.sp() || !self.open_paren() {
            return;
        }
        loop {
            let item = self.take(|b| b.is_ascii_alphabetic());
            let shown = upper(&self.text(&item));
            self.sp();
            let value = self.take(|b| b.is_ascii_digit());
            let n = self.text(&value);
            self.label(item, "status item", status_item_meaning(&shown, Some(&n)), rfc);
            self.label(value, format!("{shown} value"), n.to_string(), rfc);
            if !self.sp() {
                break;
            }
        }
        self.close_paren();
    }

    fn esearch_data(&mut self, uid: bool) {
        let rfc = "RFC 9051 §7.3.4";
        while self.sp() {
            if self.peek() == Some(b'(') {
                let correlator = self.skip_value();
                self.label(
                    correlator,
                    "search correlator",
                    "(TAG \"…\"): the tag of the SEARCH this answers, so results of several searches cannot \
                     be mixed up",
                    rfc,
                );
                continue;
            }
            let word = self.take(|b| b.is_ascii_alphabetic());
            let shown = upper(&self.text(&word));
            if shown == "UID" {
                self.label(word, "UID", "UID: the numbers below are UIDs, not sequence numbers", rfc);
                continue;
            }
            let meaning = match shown.as_str() {
                "MIN" => "MIN: the lowest matching number",
                "MAX" => "MAX: the highest matching number",
                "COUNT" => "COUNT: how many messages match",
                "ALL" => "ALL: every matching number, as a sequence set",
                _ => "a search result item",
            };
            self.label(word, "result item", meaning, rfc);
            if self.sp() {
                let value = self.take(|b| !is_word_end(b));
                let what = if uid { "UIDs" } else { "sequence numbers" };
                self.label(value, format!("{shown} value"), format!("the value, in {what}"), rfc);
            }
        }
    }

    /// `msg-att`: the items of a FETCH response, in the order the parser read them.
    fn msg_att(&mut self, items: &[MessageData]) {
        if !self.open_paren() {
            return;
        }
        for (i, item) in items.iter().enumerate() {
            if i > 0 && !self.sp() {
                break;
            }
            let name = self.fetch_att_token();
            let shown = upper(&self.text(&name));
            if !self.sp() {
                self.label(name, "fetch item", "an item of the FETCH response", RFC_FETCH_DATA);
                break;
            }
            match item {
                MessageData::Flags(flags) => {
                    let meaning = if flags.contains(&wire::Flag::Seen) {
                        "FLAGS: the flags set on this message; \\Seen means it has been read"
                    } else {
                        "FLAGS: the flags set on this message; without \\Seen it counts as unread"
                    };
                    self.label(name, "fetch item", meaning, RFC_FETCH_DATA);
                    self.flag_list();
                }
                MessageData::Uid(uid) => {
                    self.label(
                        name,
                        "fetch item",
                        "UID: the message's unique identifier, which never changes while the mailbox's \
                         UIDVALIDITY stays the same",
                        "RFC 9051 §2.3.1.1",
                    );
                    let value = self.take(|b| b.is_ascii_digit());
                    self.label(
                        value,
                        "UID value",
                        format!("{uid}: the client can ask for this message by UID in later sessions"),
                        "RFC 9051 §2.3.1.1",
                    );
                }
                MessageData::Rfc822Size(size) => {
                    self.label(
                        name,
                        "fetch item",
                        "RFC822.SIZE: the message's size in octets, as BODY[] would deliver it",
                        "RFC 9051 §2.3.4",
                    );
                    let value = self.take(|b| b.is_ascii_digit());
                    self.label(value, "size", format!("{size} octets"), "RFC 9051 §2.3.4");
                }
                MessageData::InternalDate(date) => {
                    self.label(
                        name,
                        "fetch item",
                        "INTERNALDATE: when the server received the message, not the Date: header",
                        "RFC 9051 §2.3.3",
                    );
                    let value = self.skip_value();
                    self.label(value, "internal date", date.as_str().to_owned(), "RFC 9051 §2.3.3");
                }
                MessageData::Envelope(envelope) => {
                    self.label(
                        name,
                        "fetch item",
                        "ENVELOPE: the header parsed into ten fields, so a client can list messages without \
                         reading them; despite its name, not the SMTP envelope (MAIL FROM, RCPT TO)",
                        RFC_ENVELOPE,
                    );
                    self.envelope(envelope);
                }
                MessageData::BodyStructure { extensible, .. } => {
                    let meaning = if *extensible {
                        "BODYSTRUCTURE: the message's MIME structure: types, parameters, encodings and sizes of \
                         its parts"
                    } else {
                        "BODY: the message's MIME structure, without extension data"
                    };
                    self.label(name, "fetch item", meaning, RFC_FETCH_DATA);
                    let value = self.skip_value();
                    self.label(
                        value,
                        "body structure",
                        "the structure as nested parenthesized lists",
                        RFC_FETCH_DATA,
                    );
                }
                MessageData::BodySection { section, origin, data } => {
                    let meaning = format!(
                        "{shown}: {}{}",
                        section_words(section),
                        origin.map_or(String::new(), |o| format!(", from octet {o}"))
                    );
                    self.label(name, "fetch item", meaning, RFC_FETCH_DATA);
                    let start_section = match section {
                        Section::Full | Section::Header | Section::HeaderFields { .. } => {
                            MessageSection::Header
                        }
                        Section::Text | Section::Part(_) => MessageSection::Body,
                    };
                    match self.string() {
                        Some(s @ Str::Literal { .. }) => {
                            self.label_string(
                                &s,
                                "message",
                                "the message",
                                RFC_FETCH_DATA,
                                Some(start_section),
                            );
                        }
                        Some(s @ Str::Quoted(_)) => self.label_string(
                            &s,
                            "section text",
                            "the section's text, short enough to be quoted",
                            RFC_FETCH_DATA,
                            None,
                        ),
                        Some(s @ Str::Atom(_)) => {
                            let meaning =
                                if data.is_none() { "NIL: no such section" } else { "the section's text" };
                            self.label_string(&s, "section text", meaning, RFC_FETCH_DATA, None);
                        }
                        None => {}
                    }
                }
            }
        }
        self.close_paren();
    }

    fn envelope(&mut self, envelope: &Envelope) {
        if !self.open_paren() {
            return;
        }
        let addresses = |list: &[Address]| -> String {
            let shown: Vec<String> = list
                .iter()
                .filter_map(|a| {
                    let address = match (&a.mailbox, &a.host) {
                        (Some(m), Some(h)) => format!("{m}@{h}"),
                        _ => return None,
                    };
                    Some(match &a.name {
                        Some(name) => format!("{name} <{address}>"),
                        None => address,
                    })
                })
                .collect();
            shown.join(", ")
        };
        let text = |field: &str, value: &Option<String>| match value {
            Some(value) => format!("the {field} field, as written: {value}"),
            None => format!("NIL: the message has no {field} field"),
        };
        let list = |field: &str, value: &[Address], default: bool| {
            let shown = addresses(value);
            match (shown.is_empty(), default) {
                (true, _) => format!("NIL: the message has no {field} field"),
                (false, false) => format!("{field} as a list of (name route mailbox host): {shown}"),
                (false, true) => format!("{field} (From: when the message has none): {shown}"),
            }
        };
        let fields: [(&str, String); 10] = [
            ("envelope date", text("Date:", &envelope.date)),
            ("envelope subject", text("Subject:", &envelope.subject)),
            ("envelope from", list("From:", &envelope.from, false)),
            ("envelope sender", list("Sender:", &envelope.sender, true)),
            ("envelope reply-to", list("Reply-To:", &envelope.reply_to, true)),
            ("envelope to", list("To:", &envelope.to, false)),
            ("envelope cc", list("Cc:", &envelope.cc, false)),
            ("envelope bcc", list("Bcc:", &envelope.bcc, false)),
            ("envelope in-reply-to", text("In-Reply-To:", &envelope.in_reply_to)),
            ("envelope message-id", text("Message-ID:", &envelope.message_id)),
        ];
        for (i, (label, meaning)) in fields.iter().enumerate() {
            if i > 0 && !self.sp() {
                break;
            }
            let value = self.skip_value();
            self.label(value, *label, meaning.as_str(), RFC_ENVELOPE);
        }
        self.close_paren();
    }

    // -----------------------------------------------------------------------------------
    // Lines
    // -----------------------------------------------------------------------------------

    /// Cuts the labelled write into lines; a message literal's lines are message lines.
    fn cut(mut self, wire: &str) -> Vec<AnnotatedLine> {
        self.parts.sort_by_key(|p| (p.range.start, p.range.end));
        let mut out = Vec::new();
        let mut start = 0usize;
        let mut next_part = 0usize;
        let mut current: Option<usize> = None;
        let mut section = MessageSection::Header;
        let mut field: Option<String> = None;
        for (text, crlf) in split_lines(wire) {
            let end = start + text.len();
            let next = end + if crlf { 2 } else { 0 };
            let message = self
                .messages
                .iter()
                .enumerate()
                .find(|(_, (r, _))| r.start < next.max(start + 1) && r.end > start)
                .map(|(i, (r, s))| (i, r.clone(), *s));
            if let Some((i, _, first)) = &message
                && current != Some(*i)
            {
                current = Some(*i);
                section = *first;
                field = None;
            }
            // A line that lies wholly inside a message: a message line.
            if message.as_ref().is_some_and(|(_, r, _)| r.start <= start && r.end >= next) {
                let mut line = message_line(text, crlf, false, &mut section, &mut field);
                relabel_crlf(&mut line, true);
                out.push(line);
                start = next;
                continue;
            }
            let mut line = LineBuilder::new(text);
            if let Some((_, r, _)) = &message {
                let a = floor_boundary(text, r.start.max(start) - start);
                let b = floor_boundary(text, r.end.min(end).max(start) - start);
                if let Some(sub) = text.get(a..b).filter(|s| !s.is_empty()) {
                    let inner = message_line(sub, false, false, &mut section, &mut field);
                    for p in inner.parts {
                        line.push(p.start + a..p.end + a, p.label, p.meaning, p.rfc.as_deref());
                    }
                }
            }
            while self.parts.get(next_part).is_some_and(|p| p.range.end <= start) {
                next_part += 1;
            }
            for p in self.parts.iter().skip(next_part) {
                if p.range.start >= end {
                    break;
                }
                let a = floor_boundary(text, p.range.start.max(start) - start);
                let b = floor_boundary(text, p.range.end.min(end).max(start) - start);
                line.push(a..b, p.label.clone(), p.meaning.clone(), Some(p.rfc.as_str()));
            }
            let mut line = line.finish(crlf);
            let crlf_in_message = message.as_ref().is_some_and(|(_, r, _)| r.start <= end && r.end >= next);
            relabel_crlf(&mut line, crlf_in_message);
            out.push(line);
            start = next;
        }
        out
    }
}

/// Gives a line's CRLF part IMAP's meaning (or, inside a message, the message's).
fn relabel_crlf(line: &mut AnnotatedLine, in_message: bool) {
    let Some(last) = line.parts.last_mut() else { return };
    if last.label != CRLF_LABEL || last.start != last.end {
        return;
    }
    if in_message {
        last.meaning = "carriage return and line feed: a line end inside the message. These two octets are \
                        part of the literal and counted in its {n}"
            .into();
        last.rfc = Some(RFC_LITERAL.into());
    } else {
        last.meaning = "carriage return and line feed: the end of the line. Every IMAP command and response \
                        line ends in CRLF"
            .into();
        last.rfc = Some("RFC 9051 §2.2".into());
    }
}

/// A SASL message in words: PLAIN's three parts, or the octets.
fn sasl_meaning(data: &[u8], initial: bool) -> String {
    let mut parts = data.split(|&b| b == 0);
    let plain = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(authzid), Some(user), Some(password), None) => Some((authzid, user, password)),
        _ => None,
    };
    let how = if initial {
        "the initial response, sent with the command (SASL-IR)"
    } else {
        "the client's answer to the server's +"
    };
    match plain {
        Some((authzid, user, password)) => format!(
            "{how}: base64 of {}, NUL, the user name {}, NUL, the password “{}”. Base64 is not encryption: \
             the password is readable here only because this is a simulation, and travels inside TLS",
            if authzid.is_empty() {
                "an empty authorization identity".to_owned()
            } else {
                format!("the authorization identity {}", String::from_utf8_lossy(authzid))
            },
            String::from_utf8_lossy(user),
            String::from_utf8_lossy(password)
        ),
        None => format!("{how}: base64 of {} octets", data.len()),
    }
}

/// What a command asks for, in one phrase.
fn command_purpose(name: &str) -> &'static str {
    match name {
        "CAPABILITY" => "asks what the server supports",
        "NOOP" => "does nothing, but lets the server report changes such as new mail",
        "LOGOUT" => "ends the session; the server answers BYE, then OK",
        "STARTTLS" => "asks to switch this connection to TLS",
        "AUTHENTICATE" => "logs in with a SASL mechanism",
        "LOGIN" => "logs in with a user name and a password in plain text",
        "ENABLE" => "switches on extensions that change the server's answers",
        "SELECT" => "opens a mailbox, read-write; later commands act on its messages",
        "EXAMINE" => "opens a mailbox read-only",
        "LIST" => "asks which mailboxes exist",
        "STATUS" => "asks for counts of a mailbox without opening it",
        "IDLE" => "waits for the server to report changes as they happen, until DONE",
        "CLOSE" => "closes the mailbox and removes the messages marked \\Deleted",
        "UNSELECT" => "closes the mailbox without removing anything",
        "CHECK" => "an IMAP4rev1 checkpoint; RFC 9051 removed it (NOOP instead)",
        "EXPUNGE" => "removes for good the messages marked \\Deleted",
        "SEARCH" => "finds the messages that match criteria and answers with their numbers",
        "FETCH" => "retrieves data of messages: flags, size, envelope, the message itself",
        "STORE" => "changes the flags of messages",
        _ => "a command this server does not know: it answers BAD",
    }
}

fn mailbox_meaning(mailbox: &str, command: &str) -> String {
    let lower = mailbox.to_ascii_lowercase();
    let what = if lower == "inbox" {
        "the user's INBOX, where new mail arrives (its name is the same in any case)".to_owned()
    } else if lower.contains("junk") || lower.contains("spam") {
        "the folder where the server files the mail it judged suspicious (spam, or mail that failed DMARC)"
            .to_owned()
    } else {
        "a mailbox name".to_owned()
    };
    let verb = match command {
        "SELECT" => ", opened read-write",
        "EXAMINE" => ", opened read-only",
        "STATUS" => ", counted without being opened",
        _ => "",
    };
    format!("{mailbox}: {what}{verb}")
}

fn status_item_meaning(item: &str, value: Option<&str>) -> String {
    let what = match item {
        "MESSAGES" => "the number of messages",
        "UIDNEXT" => "the UID the next message will get",
        "UIDVALIDITY" => "the mailbox's UIDVALIDITY",
        "UNSEEN" => "the number of messages without \\Seen (unread)",
        "DELETED" => "the number of messages marked \\Deleted",
        "SIZE" => "the mailbox's total size in octets",
        "RECENT" => "the IMAP4rev1 count of recent messages",
        _ => "a status item",
    };
    match value {
        Some(value) => format!("{item}: {what}, here {value}"),
        None => format!("{item}: {what}"),
    }
}

fn store_meaning(op: &str) -> String {
    let base = op.trim_end_matches(".SILENT");
    let what = match base {
        "+FLAGS" => "add these flags to each message",
        "-FLAGS" => "remove these flags from each message",
        "FLAGS" => "replace each message's flags with these",
        _ => "an operation STORE does not define",
    };
    if op.ends_with(".SILENT") {
        format!("{op}: {what}; .SILENT: without a FETCH response echoing the new flags")
    } else {
        format!("{op}: {what}; the server answers with each message's new FLAGS")
    }
}

fn search_key_meaning(key: &str) -> String {
    let upper = key.to_ascii_uppercase();
    let first = upper.split(' ').next().unwrap_or_default();
    let what = match first {
        "ALL" => "every message",
        "SEEN" => "messages with \\Seen (read)",
        "UNSEEN" => "messages without \\Seen (unread)",
        "FLAGGED" => "messages with \\Flagged",
        "UNFLAGGED" => "messages without \\Flagged",
        "DELETED" => "messages marked \\Deleted",
        "UNDELETED" => "messages not marked \\Deleted",
        "ANSWERED" => "messages with \\Answered",
        "UNANSWERED" => "messages without \\Answered",
        "DRAFT" => "messages with \\Draft",
        "UNDRAFT" => "messages without \\Draft",
        "FROM" | "TO" | "CC" | "BCC" | "SUBJECT" => {
            "messages whose header field contains the text that follows"
        }
        "BODY" => "messages whose body contains the text that follows",
        "TEXT" => "messages whose header or body contains the text that follows",
        "HEADER" => "messages whose named header field contains the text that follows",
        "KEYWORD" => "messages with the keyword that follows",
        "UNKEYWORD" => "messages without the keyword that follows",
        "LARGER" => "messages larger than the number of octets that follows",
        "SMALLER" => "messages smaller than the number of octets that follows",
        "UID" => "messages with the UIDs that follow",
        "NOT" => "messages that do not match the key that follows",
        "OR" => "messages that match either of the two keys that follow",
        "CHARSET" => "the character set of the search strings",
        _ if first.starts_with('(') => "messages that match every key in the parentheses",
        _ if first.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'*') => {
            "messages with these sequence numbers"
        }
        _ => "a search criterion",
    };
    format!("{key}: {what}")
}

/// A `fetch-att` or macro of a FETCH command, in words.
fn fetch_request_meaning(att: &str) -> String {
    let upper = att.to_ascii_uppercase();
    match upper.as_str() {
        "ALL" => return "ALL: the macro for FLAGS INTERNALDATE RFC822.SIZE ENVELOPE".into(),
        "FAST" => return "FAST: the macro for FLAGS INTERNALDATE RFC822.SIZE".into(),
        "FULL" => return "FULL: the macro for FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY".into(),
        _ => {}
    }
    let input = format!("{att} ");
    let Ok((_, parsed)) = wire::fetch_att(input.as_bytes()) else {
        return format!("{att}: a data item this playground does not know");
    };
    match parsed {
        FetchAttribute::Uid => {
            "UID: each message's unique identifier, which stays the same across sessions".into()
        }
        FetchAttribute::Flags => "FLAGS: the flags set on each message (\\Seen, \\Flagged…)".into(),
        FetchAttribute::Rfc822Size => "RFC822.SIZE: each message's size in octets".into(),
        FetchAttribute::Envelope => "ENVELOPE: the header parsed into fields (date, subject, from, to…); \
                                     despite its name, not the SMTP envelope"
            .into(),
        FetchAttribute::InternalDate => "INTERNALDATE: when the server received each message".into(),
        FetchAttribute::Body | FetchAttribute::BodyStructure => {
            format!("{upper}: the MIME structure of each message, without its text")
        }
        FetchAttribute::BodySection { peek: true, section, .. } => format!(
            "{att}: {}, without setting \\Seen (PEEK): fetching does not mark the message read",
            section_words(&section)
        ),
        FetchAttribute::BodySection { peek: false, section, .. } => {
            format!("{att}: {}; this sets \\Seen, so the message now counts as read", section_words(&section))
        }
    }
}

fn flag_meaning(flag: &str) -> String {
    let what = match flag.to_ascii_lowercase().as_str() {
        "\\seen" => "the message has been read",
        "\\answered" => "the message has been answered",
        "\\flagged" => "the message is flagged (starred) for attention",
        "\\deleted" => "marked for removal: EXPUNGE or CLOSE removes it for good",
        "\\draft" => "the message is an unfinished draft",
        "\\recent" => "new to this session (IMAP4rev1; deprecated by RFC 9051)",
        "\\*" => "the client may create new keywords of its own",
        "$junk" => "a keyword: the message is junk (spam)",
        "$notjunk" => "a keyword: the message is not junk",
        "$phishing" => "a keyword: the message is probably phishing",
        "$forwarded" => "a keyword: the message has been forwarded",
        "$mdnsent" => "a keyword: a read receipt has been sent",
        f if f.starts_with('\\') => "a system flag this playground does not describe",
        _ => "a keyword, a flag named by the server or a client",
    };
    format!("{flag}: {what}")
}

/// What a mailbox attribute of LIST means, and where it is defined: RFC 9051 §7.3.1 for the
/// base attributes, RFC 6154 §2 for the special-use ones.
fn mailbox_attribute_meaning(attribute: &str) -> (String, &'static str) {
    let (what, rfc) = match attribute.to_ascii_lowercase().as_str() {
        "\\noinferiors" => ("no child mailboxes can exist under this name", "RFC 9051 §7.3.1"),
        "\\noselect" => ("this name cannot be opened as a mailbox", "RFC 9051 §7.3.1"),
        "\\nonexistent" => ("no mailbox exists with this name", "RFC 9051 §7.3.1"),
        "\\haschildren" => ("this mailbox has child mailboxes", "RFC 9051 §7.3.1"),
        "\\hasnochildren" => ("no folder lies inside this mailbox", "RFC 9051 §7.3.1"),
        "\\marked" => ("the server thinks new messages arrived since the last SELECT", "RFC 9051 §7.3.1"),
        "\\unmarked" => ("no new messages since the last SELECT", "RFC 9051 §7.3.1"),
        "\\subscribed" => ("the user subscribed to this mailbox", "RFC 9051 §7.3.1"),
        "\\remote" => ("a mailbox on another server", "RFC 9051 §7.3.1"),
        "\\all" => ("special use: all of the user's messages", "RFC 6154 §2"),
        "\\archive" => ("special use: the archive", "RFC 6154 §2"),
        "\\drafts" => ("special use: unfinished messages", "RFC 6154 §2"),
        "\\flagged" => ("special use: messages marked important", "RFC 6154 §2"),
        "\\junk" => (
            "special use: the folder where the server files the mail it judged suspicious (spam, or mail \
             that failed DMARC); a mail program finds it by this mark, whatever its name or language",
            "RFC 6154 §2",
        ),
        "\\sent" => ("special use: copies of sent messages", "RFC 6154 §2"),
        "\\trash" => ("special use: deleted messages", "RFC 6154 §2"),
        _ => ("a mailbox attribute this playground does not describe", "RFC 9051 §7.3.1"),
    };
    (format!("{attribute}: {what}"), rfc)
}

fn status_meaning(word: &str, tagged: bool) -> (String, &'static str) {
    match (word, tagged) {
        ("OK", true) => ("OK: the command succeeded".into(), "RFC 9051 §7.1.1"),
        ("OK", false) => (
            "OK, untagged: information that completes no command (a greeting, or data in its response code)"
                .into(),
            "RFC 9051 §7.1.1",
        ),
        ("NO", true) => {
            ("NO: the command was understood but failed; the session goes on".into(), "RFC 9051 §7.1.2")
        }
        ("NO", false) => ("NO, untagged: a warning; no command failed".into(), "RFC 9051 §7.1.2"),
        ("BAD", _) => (
            "BAD: the server could not accept the command as written: a client error, and nothing was done"
                .into(),
            "RFC 9051 §7.1.3",
        ),
        ("PREAUTH", _) => (
            "PREAUTH: a greeting that says the client is already authenticated by other means".into(),
            "RFC 9051 §7.1.4",
        ),
        ("BYE", _) => ("BYE: the server is about to close the connection".into(), "RFC 9051 §7.1.5"),
        _ => (format!("{word}: a status"), "RFC 9051 §7.1"),
    }
}

fn data_kind_meaning(kind: &str) -> (String, &'static str) {
    match kind {
        "CAPABILITY" => {
            ("CAPABILITY: what the server supports, one name after another".into(), "RFC 9051 §7.2.2")
        }
        "ENABLED" => ("ENABLED: the extensions ENABLE switched on".into(), "RFC 9051 §7.2.1"),
        "FLAGS" => ("FLAGS: the flags messages in this mailbox can carry".into(), "RFC 9051 §7.3.5"),
        "LIST" => (
            "LIST: one mailbox: its attributes, the hierarchy delimiter and its name".into(),
            "RFC 9051 §7.3.1",
        ),
        "STATUS" => ("STATUS: counts of a mailbox, as item and value pairs".into(), "RFC 9051 §7.3.3"),
        "SEARCH" => {
            ("SEARCH: the numbers of the matching messages (the IMAP4rev1 answer)".into(), "RFC 9051 §7.3.4")
        }
        "ESEARCH" => ("ESEARCH: the result of a SEARCH, as named items".into(), "RFC 9051 §7.3.4"),
        other => (format!("{other}: server data"), "RFC 9051 §7"),
    }
}

/// What a capability means and where it is defined.
fn capability_meaning(name: &str) -> (String, &'static str) {
    let upper = name.to_ascii_uppercase();
    if let Some(mechanism) = upper.strip_prefix("AUTH=") {
        let how = if mechanism == "PLAIN" {
            "user name and password in one base64 message; safe only inside TLS"
        } else {
            "a SASL login mechanism"
        };
        return (format!("{name}: AUTHENTICATE {mechanism} is accepted: {how}"), "RFC 9051 §6.2.2");
    }
    let (what, rfc) = match upper.as_str() {
        "IMAP4REV2" => ("the server speaks IMAP4rev2, RFC 9051", "RFC 9051 §7.2.2"),
        "IMAP4REV1" => ("the server also speaks IMAP4rev1 (RFC 3501) for older clients", "RFC 9051 §7.2.2"),
        "STARTTLS" => ("the client may switch this connection to TLS", "RFC 9051 §6.2.1"),
        "LOGINDISABLED" => ("LOGIN is refused here until TLS protects the connection", "RFC 9051 §6.2.3"),
        "SASL-IR" => {
            ("AUTHENTICATE may carry its first response on the command line (RFC 4959)", "RFC 9051 §6.2.2")
        }
        "LITERAL+" => ("the client may send literals without waiting for + (RFC 7888)", "RFC 9051 §4.3"),
        "LITERAL-" => ("literals up to 4096 octets need not wait for + (RFC 7888)", "RFC 9051 §4.3"),
        "IDLE" => ("the server can report changes as they happen", "RFC 9051 §6.3.13"),
        "ENABLE" => ("the client may switch on extensions with ENABLE", "RFC 9051 §6.3.1"),
        "UIDPLUS" => ("UID EXPUNGE and the APPENDUID/COPYUID codes (RFC 4315)", "RFC 9051 §6.4.9"),
        "UNSELECT" => ("UNSELECT closes a mailbox without expunging", "RFC 9051 §6.4.2"),
        "ESEARCH" => ("SEARCH can answer with ESEARCH summaries", "RFC 9051 §6.4.4"),
        _ => ("a capability this playground does not describe", "RFC 9051 §7.2.2"),
    };
    (format!("{name}: {what}"), rfc)
}
