//! SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 2034, RFC 3463).

use std::fmt;

use nom::{IResult, Parser, bytes::streaming::take_while_m_n};

use super::{abnf, enhanced::EnhancedStatusCode};

/// The first digit of a reply code (RFC 5321 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Severity {
    /// `2yz` Positive Completion reply.
    PositiveCompletion = 2,
    /// `3yz` Positive Intermediate reply: send more.
    PositiveIntermediate = 3,
    /// `4yz` Transient Negative Completion reply: try again later.
    TransientNegative = 4,
    /// `5yz` Permanent Negative Completion reply: do not repeat as is.
    PermanentNegative = 5,
}

/// The second digit of a reply code (RFC 5321 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Category {
    /// `x0z` Syntax.
    Syntax = 0,
    /// `x1z` Information.
    Information = 1,
    /// `x2z` Connections.
    Connections = 2,
    /// `x3z` Unspecified (used by AUTH, RFC 4954).
    Unspecified3 = 3,
    /// `x4z` Unspecified.
    Unspecified4 = 4,
    /// `x5z` Mail system.
    MailSystem = 5,
}

/// A reply code `{severity, category, detail}` (RFC 5321 §4.2:
/// `Reply-code = %x32-35 %x30-35 %x30-39`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode {
    severity: Severity,
    category: Category,
    detail: u8,
}

impl ReplyCode {
    /// `220 <domain> Service ready`
    pub const SERVICE_READY: Self = Self::of(Severity::PositiveCompletion, Category::Connections, 0);
    /// `221 <domain> Service closing transmission channel`
    pub const CLOSING: Self = Self::of(Severity::PositiveCompletion, Category::Connections, 1);
    /// `250 Requested mail action okay, completed`
    pub const OK: Self = Self::of(Severity::PositiveCompletion, Category::MailSystem, 0);
    /// `354 Start mail input; end with <CRLF>.<CRLF>`
    pub const START_MAIL_INPUT: Self = Self::of(Severity::PositiveIntermediate, Category::MailSystem, 4);
    /// `500 Syntax error, command unrecognized`
    pub const SYNTAX_ERROR: Self = Self::of(Severity::PermanentNegative, Category::Syntax, 0);
    /// `503 Bad sequence of commands`
    pub const BAD_SEQUENCE: Self = Self::of(Severity::PermanentNegative, Category::Syntax, 3);

    const fn of(severity: Severity, category: Category, detail: u8) -> Self {
        Self { severity, category, detail }
    }

    /// A code from its number; `None` unless it fits the grammar above.
    pub const fn new(code: u16) -> Option<Self> {
        let severity = match code / 100 {
            2 => Severity::PositiveCompletion,
            3 => Severity::PositiveIntermediate,
            4 => Severity::TransientNegative,
            5 => Severity::PermanentNegative,
            _ => return None,
        };
        let category = match code / 10 % 10 {
            0 => Category::Syntax,
            1 => Category::Information,
            2 => Category::Connections,
            3 => Category::Unspecified3,
            4 => Category::Unspecified4,
            5 => Category::MailSystem,
            _ => return None,
        };
        Some(Self { severity, category, detail: (code % 10) as u8 })
    }

    /// The code's three digits as written (ASCII).
    const fn digits(self) -> [u8; 3] {
        [b'0' + self.severity as u8, b'0' + self.category as u8, b'0' + self.detail]
    }

    /// The code as a number.
    pub const fn get(self) -> u16 {
        self.severity as u16 * 100 + self.category as u16 * 10 + self.detail as u16
    }

    pub const fn severity(self) -> Severity {
        self.severity
    }

    pub const fn category(self) -> Category {
        self.category
    }

    pub const fn detail(self) -> u8 {
        self.detail
    }

    /// `2yz`
    pub fn is_positive(self) -> bool {
        self.severity == Severity::PositiveCompletion
    }

    /// `3yz`
    pub fn is_intermediate(self) -> bool {
        self.severity == Severity::PositiveIntermediate
    }

    /// `4yz`: the client should try again later.
    pub fn is_transient(self) -> bool {
        self.severity == Severity::TransientNegative
    }

    /// `5yz`: the client must not repeat the command as is.
    pub fn is_permanent(self) -> bool {
        self.severity == Severity::PermanentNegative
    }

    /// The digit an enhanced status code's class must match (RFC 2034 §4).
    fn agrees_with(self, enhanced: EnhancedStatusCode) -> bool {
        use super::enhanced::StatusClass;
        matches!(
            (self.severity, enhanced.class()),
            (Severity::PositiveCompletion, StatusClass::Success)
                | (Severity::TransientNegative, StatusClass::PersistentTransientFailure)
                | (Severity::PermanentNegative, StatusClass::PermanentFailure)
        )
    }

    /// What the code means, in the words of RFC 5321 §4.2.2–§4.2.3 and the extensions.
    pub fn meaning(self) -> &'static str {
        match self.get() {
            211 => "System status, or system help reply",
            214 => "Help message",
            220 => "Service ready: the server greets the client",
            221 => "Service closing transmission channel: goodbye",
            235 => "Authentication succeeded",
            250 => "Requested mail action okay, completed",
            251 => "User not local; will forward",
            252 => "Cannot VRFY user, but will accept message and attempt delivery",
            334 => "Server challenge for authentication",
            354 => "Start mail input; end with <CRLF>.<CRLF>",
            421 => "Service not available, closing transmission channel",
            432 => "A password transition is needed",
            450 => "Requested mail action not taken: mailbox unavailable (try again later)",
            451 => "Requested action aborted: local error in processing (try again later)",
            452 => "Requested action not taken: insufficient system storage (try again later)",
            454 => "Temporary authentication failure, or TLS not available",
            455 => "Server unable to accommodate parameters",
            500 => "Syntax error, command unrecognized",
            501 => "Syntax error in parameters or arguments",
            502 => "Command not implemented",
            503 => "Bad sequence of commands",
            504 => "Command parameter not implemented",
            521 => "Host does not accept mail",
            530 => "Authentication required",
            534 => "Authentication mechanism is too weak",
            535 => "Authentication credentials invalid",
            538 => "Encryption required for requested authentication mechanism",
            550 => "Requested action not taken: mailbox unavailable",
            551 => "User not local",
            552 => "Requested mail action aborted: exceeded storage allocation",
            553 => "Requested action not taken: mailbox name not allowed",
            554 => "Transaction failed",
            555 => "MAIL FROM/RCPT TO parameters not recognized or not implemented",
            _ => match self.severity {
                Severity::PositiveCompletion => "Positive completion",
                Severity::PositiveIntermediate => "Positive intermediate: send more",
                Severity::TransientNegative => "Transient negative completion: try again later",
                Severity::PermanentNegative => "Permanent negative completion: do not repeat as is",
            },
        }
    }

    /// The RFC section that defines the code.
    pub fn defined_in(self) -> &'static str {
        match self.get() {
            235 | 334 | 432 | 454 | 530 | 534 | 535 | 538 => "RFC 4954 §6",
            555 => "RFC 5321 §4.1.1.11",
            521 => "RFC 7504 §3",
            _ => "RFC 5321 §4.2.2",
        }
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

impl serde::Serialize for ReplyCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.get())
    }
}

impl<'de> serde::Deserialize<'de> for ReplyCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = u16::deserialize(deserializer)?;
        Self::new(code).ok_or_else(|| serde::de::Error::custom(format!("{code} is not an SMTP reply code")))
    }
}

/// A reply: a code, an optional enhanced status code (RFC 2034) and one or more lines of
/// text (RFC 5321 §4.2.1). The enhanced code, when present, prefixes every line on the wire.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reply {
    pub code: ReplyCode,
    pub enhanced: Option<EnhancedStatusCode>,
    /// The text of each line, without code, separator or enhanced code.
    pub lines: Vec<String>,
}

/// The longest reply line, code and CRLF included (RFC 5321 §4.5.3.1.5).
pub const MAX_REPLY_LINE_OCTETS: usize = 512;

impl Reply {
    /// A one-line reply without enhanced code.
    pub fn new(code: ReplyCode, text: impl Into<String>) -> Self {
        Self { code, enhanced: None, lines: vec![text.into()] }
    }

    /// A one-line reply with an enhanced status code; the code is dropped if its class does
    /// not agree with the reply's severity (RFC 2034 §4) or the reply is 3yz.
    pub fn with_enhanced(code: ReplyCode, enhanced: EnhancedStatusCode, text: impl Into<String>) -> Self {
        let enhanced = code.agrees_with(enhanced).then_some(enhanced);
        Self { code, enhanced, lines: vec![text.into()] }
    }

    /// The whole text, lines joined with a space.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// The reply's wire form: `code-text` lines, then `code SP text` (RFC 5321 §4.2.1).
    pub fn to_bytes(&self) -> Vec<u8> {
        let room: usize = self.lines.iter().map(|l| l.len() + 16).sum();
        let mut out = String::with_capacity(room.max(8));
        self.write_lines(&mut out, true);
        out.into_bytes()
    }

    /// Appends the wire form, each line ended with CRLF or, when `crlf` is false, the lines
    /// joined by CRLF without a last one (how [`fmt::Display`] shows a reply). Pushed piece
    /// by piece rather than through `write!`: every reply of a run is written this way.
    fn write_lines(&self, out: &mut String, crlf: bool) {
        let code = self.code.get();
        // The three digits, for every line.
        let digits = self.code.digits();
        let digits = std::str::from_utf8(&digits).unwrap_or_default();
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 && !crlf {
                out.push_str("\r\n");
            }
            out.push_str(digits);
            let sep = if i == last { ' ' } else { '-' };
            // `continue-req = "334" SP [base64] CRLF` keeps its SP (RFC 4954 §4); any
            // other empty last line is `Reply-code CRLF`.
            match (self.enhanced, line.is_empty()) {
                (Some(e), empty) => {
                    out.push(sep);
                    e.push_to(out);
                    if !empty {
                        out.push(' ');
                        out.push_str(line);
                    }
                }
                (None, true) if i == last && code != 334 => {}
                (None, _) => {
                    out.push(sep);
                    out.push_str(line);
                }
            }
            if crlf {
                out.push_str("\r\n");
            }
        }
        if self.lines.is_empty() {
            out.push_str(digits);
            if crlf {
                out.push_str("\r\n");
            }
        }
    }
}

impl fmt::Display for Reply {
    /// The wire form without the final CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write_lines(&mut text, false);
        f.write_str(&text)
    }
}

/// `Reply-code = %x32-35 %x30-35 %x30-39`
pub fn reply_code(input: &[u8]) -> IResult<&[u8], ReplyCode> {
    let (rest, digits) = take_while_m_n(3, 3, |b: u8| b.is_ascii_digit()).parse(input)?;
    let code = digits.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    match ReplyCode::new(code) {
        Some(code) => Ok((rest, code)),
        None => Err(abnf::error(input, nom::error::ErrorKind::Digit)),
    }
}

/// Which bytes `textstring` allows: HT and SP to `~` (RFC 5321 §4.2), and the bytes of
/// UTF-8's non-ASCII characters (RFC 6531 §3.7.4; checked as UTF-8 once per reply).
const TEXTSTRING: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b == 9 || (b >= 32 && b <= 126) || b >= 0x80;
        b += 1;
    }
    table
};

/// A reply read in place: its code, the enhanced code every line carries (if any), and
/// its lines' text as slices of the input. [`reply_view`] checks the whole grammar in one
/// pass and allocates nothing; [`ReplyView::to_reply`] is the owned [`Reply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyView<'a> {
    pub code: ReplyCode,
    pub enhanced: Option<EnhancedStatusCode>,
    /// The reply's bytes, every line with its CRLF (valid UTF-8: checked).
    wire: &'a str,
    /// How many octets each line's text starts after its line does: the code and
    /// separator, and the enhanced code and its SP when split off.
    prefix: usize,
}

impl<'a> ReplyView<'a> {
    /// Each line's text, without code, separator or enhanced code.
    pub fn lines(&self) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = self.prefix;
        // Every line ends in CRLF and no text holds a CR or LF (`textstring`): a line is
        // what comes before each LF, less its CR (a search for one byte, far quicker than
        // one for the pair).
        self.wire
            .split_terminator('\n')
            .map(move |line| line.strip_suffix('\r').unwrap_or(line).get(prefix..).unwrap_or(""))
    }

    /// How many lines the reply has.
    pub fn line_count(&self) -> usize {
        self.wire.bytes().filter(|&b| b == b'\n').count()
    }

    /// The owned reply.
    pub fn to_reply(&self) -> Reply {
        Reply { code: self.code, enhanced: self.enhanced, lines: self.lines().map(str::to_owned).collect() }
    }
}

/// `Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF`
/// (RFC 5321 §4.2), read in place ([`ReplyView`]). All lines must carry the same code. An
/// enhanced status code on every line is recognised and split off. Streaming: a reply
/// cut short is `Incomplete`.
pub fn reply_view(input: &[u8]) -> IResult<&[u8], ReplyView<'_>> {
    use nom::error::ErrorKind;
    let incomplete = || nom::Err::Incomplete(nom::Needed::new(1));
    let (mut pos, mut code) = (0, None);
    // Each line's enhanced code (the first word of its text), while all agree so far.
    let mut enhanced: Option<(EnhancedStatusCode, &[u8])> = None;
    let mut all_enhanced = true;
    loop {
        let line = input.get(pos..).unwrap_or_default();
        let (_, line_code) = reply_code(line)?;
        let mut i = pos + 3;
        let more = match input.get(i) {
            None => return Err(incomplete()),
            Some(b'\r') => false,
            Some(b' ') => false,
            Some(b'-') => true,
            Some(_) => return Err(abnf::error(input.get(i..).unwrap_or_default(), ErrorKind::TakeWhileMN)),
        };
        let bare = input.get(i) == Some(&b'\r');
        if !bare {
            i += 1;
        }
        let text_start = i;
        let mut line_non_ascii = false;
        // Printable ASCII eight octets at a time, then octet by octet from what stopped it.
        i = abnf::printable_run(input, i);
        while let Some(&b) = input.get(i) {
            if !TEXTSTRING[usize::from(b)] {
                break;
            }
            line_non_ascii |= b >= 0x80;
            i += 1;
        }
        let text = input.get(text_start..i).unwrap_or_default();
        match (input.get(i), input.get(i + 1)) {
            (Some(b'\r'), Some(b'\n')) => i += 2,
            (None, _) | (Some(b'\r'), None) => return Err(incomplete()),
            _ => return Err(abnf::error(input.get(i..).unwrap_or_default(), ErrorKind::Tag)),
        }
        // Only a line with non-ASCII bytes can be invalid UTF-8; it is checked line by line.
        if line_non_ascii && std::str::from_utf8(text).is_err() {
            return Err(abnf::error(input.get(i..).unwrap_or_default(), ErrorKind::MapRes));
        }
        if *code.get_or_insert(line_code) != line_code {
            return Err(abnf::error(line, ErrorKind::Verify));
        }
        if all_enhanced {
            // The first word, followed by SP or the end of the text.
            let word = text.split(|&b| b == b' ').next().unwrap_or_default();
            let parsed = EnhancedStatusCode::parse_written(word).filter(|e| line_code.agrees_with(*e));
            all_enhanced = match (parsed, enhanced) {
                (None, _) => false,
                (Some(e), None) => {
                    enhanced = Some((e, word));
                    true
                }
                (Some(e), Some((first, _))) => e == first,
            };
        }
        pos = i;
        if !more {
            break;
        }
    }
    let (wire, rest) = input.split_at(pos);
    // Every line is valid UTF-8 by now, so this cannot fail; on ASCII it is a word-at-a-time
    // scan, far cheaper than the byte-by-byte check above.
    let wire = std::str::from_utf8(wire).map_err(|_| abnf::error(rest, ErrorKind::MapRes))?;
    let Some(code) = code else { return Err(abnf::error(input, ErrorKind::Many1)) };
    let (enhanced, prefix) = match enhanced.filter(|_| all_enhanced) {
        // "250 2.0.0 text": code, separator, the code's word and its SP (or nothing more).
        Some((e, word)) => (Some(e), 4 + word.len() + 1),
        None => (None, 4),
    };
    Ok((rest, ReplyView { code, enhanced, wire, prefix }))
}

/// `Reply-line` as an owned [`Reply`] (see [`reply_view`]).
pub fn reply(input: &[u8]) -> IResult<&[u8], Reply> {
    reply_view(input).map(|(rest, view)| (rest, view.to_reply()))
}

/// Where the parts of one reply line lie, as byte offsets into the input given to
/// [`reply_spans`]: `Reply-code [ ( SP / "-" ) [enhanced-code SP] textstring ] CRLF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyLineSpans {
    /// The three digits of `Reply-code`.
    pub code: std::ops::Range<usize>,
    /// The separator: `-` when more lines follow, SP on the last line; absent for
    /// `Reply-code CRLF`.
    pub separator: Option<std::ops::Range<usize>>,
    /// Whether the separator is `-` (RFC 5321 §4.2.1: more lines follow).
    pub continues: bool,
    /// The enhanced status code (RFC 2034 §4), when the reply carries one on every line.
    pub enhanced: Option<std::ops::Range<usize>>,
    /// The `textstring` after the code (and after the enhanced code and its SP); may be empty.
    pub text: std::ops::Range<usize>,
    /// The `CRLF`.
    pub crlf: std::ops::Range<usize>,
}

/// The reply at the start of `bytes` as a value, when they start with one ([`reply`]).
pub fn parse_reply(bytes: &[u8]) -> Option<Reply> {
    reply(bytes).ok().map(|(_, r)| r)
}

/// [`reply`], and where each line's code, separator, enhanced code and text lie. The
/// enhanced code is marked exactly when [`reply`] split one off (the same on every line).
/// The places are read off the [`ReplyView`]: the reply is parsed once.
pub fn reply_spans(input: &[u8]) -> IResult<&[u8], (Reply, Vec<ReplyLineSpans>)> {
    let (rest, view) = reply_view(input)?;
    // The enhanced code's word sits between the separator and the SP the view's prefix ends in.
    let enhanced_len = view.enhanced.map(|_| view.prefix - 5);
    let mut spans = Vec::new();
    let mut pos = 0;
    for line in view.wire.split_terminator("\r\n") {
        let end = pos + line.len();
        let code = pos..pos + 3;
        let separator = (line.len() > 3).then(|| pos + 3..pos + 4);
        let continues = line.as_bytes().get(3) == Some(&b'-');
        let (enhanced, text_start) = match enhanced_len {
            // "250 2.0.0 text" or just "250 2.0.0": the text starts after the code's SP.
            Some(len) => (Some(pos + 4..pos + 4 + len), (pos + view.prefix).min(end)),
            None => (None, separator.as_ref().map_or(code.end, |s| s.end)),
        };
        spans.push(ReplyLineSpans {
            code,
            separator,
            continues,
            enhanced,
            text: text_start..end,
            crlf: end..end + 2,
        });
        pos = end + 2;
    }
    Ok((rest, (view.to_reply(), spans)))
}

/// The reply parser before it read in place (nom combinators, a `String` per line): the
/// reference [`reply_view`] is held to.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod reference {
    use nom::bytes::streaming::{tag, take_while};

    use super::*;

    fn reply_line(input: &[u8]) -> IResult<&[u8], (ReplyCode, bool, String)> {
        let (input, code) = reply_code(input)?;
        if input.first() == Some(&b'\r') {
            let (input, _) = tag("\r\n").parse(input)?;
            return Ok((input, (code, false, String::new())));
        }
        let (input, sep) = take_while_m_n(1, 1, |b| b == b' ' || b == b'-').parse(input)?;
        let (input, text) =
            take_while(|b: u8| b == b'\t' || (32..=126).contains(&b) || abnf::is_utf8_non_ascii(b))
                .parse(input)?;
        let (input, _) = tag("\r\n").parse(input)?;
        let Ok(text) = std::str::from_utf8(text) else {
            return Err(abnf::error(input, nom::error::ErrorKind::MapRes));
        };
        Ok((input, (code, sep == b"-", text.to_owned())))
    }

    fn split_enhanced(code: ReplyCode, text: &str) -> Option<(EnhancedStatusCode, &str)> {
        let (first, rest) = text.split_once(' ').unwrap_or((text, ""));
        let enhanced: EnhancedStatusCode = first.parse().ok()?;
        (code.agrees_with(enhanced) && enhanced.to_string() == first).then_some((enhanced, rest))
    }

    /// `Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF`
    /// (RFC 5321 §4.2). All lines must carry the same code. An enhanced status code on
    /// every line is recognised and split off.
    pub fn reply(mut input: &[u8]) -> IResult<&[u8], Reply> {
        let start = input;
        let mut lines = Vec::new();
        let mut first_code = None;
        loop {
            let (rest, (code, more, text)) = reply_line(input)?;
            if *first_code.get_or_insert(code) != code {
                return Err(abnf::error(input, nom::error::ErrorKind::Verify));
            }
            lines.push(text);
            input = rest;
            if !more {
                break;
            }
        }
        let Some(code) = first_code else { return Err(abnf::error(start, nom::error::ErrorKind::Many1)) };
        let enhanced = lines.first().and_then(|first| split_enhanced(code, first)).map(|(e, _)| e);
        if let Some(enhanced) = enhanced {
            let all = lines.iter().all(|line| split_enhanced(code, line).is_some_and(|(e, _)| e == enhanced));
            if all {
                for line in &mut lines {
                    let rest =
                        split_enhanced(code, line).map(|(_, rest)| rest.to_owned()).unwrap_or_default();
                    *line = rest;
                }
                return Ok((input, Reply { code, enhanced: Some(enhanced), lines }));
            }
        }
        Ok((input, Reply { code, enhanced: None, lines }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multi_line_round_trip() {
        for wire in [
            &b"250 OK\r\n"[..],
            b"250-mx.example.net\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
            b"550 5.1.1 <nobody@example.net>: Recipient address rejected\r\n",
            b"250-2.0.0 first\r\n250 2.0.0 second\r\n",
            b"354 End data with <CR><LF>.<CR><LF>\r\n",
            b"220\r\n",
            b"334 \r\n",
            b"334 VXNlcm5hbWU6\r\n",
        ] {
            let (rest, parsed) = reply(wire).expect("parses");
            assert!(rest.is_empty());
            assert_eq!(parsed.to_bytes(), wire, "{}", String::from_utf8_lossy(wire));
        }
    }

    #[test]
    fn enhanced_codes_are_split_off() {
        let (_, r) = reply(b"550 5.1.1 User unknown\r\n").expect("parses");
        assert_eq!(r.enhanced.map(|e| e.to_string()), Some("5.1.1".to_owned()));
        assert_eq!(r.lines, ["User unknown"]);
        // A code of the wrong class is text, not an enhanced code.
        let (_, r) = reply(b"250 5.1.1 odd\r\n").expect("parses");
        assert_eq!(r.enhanced, None);
    }

    #[test]
    fn spans_locate_code_separator_enhanced_code_and_text() {
        let wire = b"250-2.1.0 first\r\n250 2.1.0 second\r\n221\r\n";
        let (rest, (parsed, spans)) = reply_spans(wire).expect("parses");
        assert_eq!(rest, b"221\r\n");
        assert_eq!(parsed.lines, ["first", "second"]);
        let text = |r: &std::ops::Range<usize>| String::from_utf8_lossy(&wire[r.clone()]).into_owned();
        let first = &spans[0];
        assert_eq!(
            (text(&first.code), first.separator.as_ref().map(text), first.continues),
            ("250".into(), Some("-".into()), true)
        );
        assert_eq!(
            (first.enhanced.as_ref().map(text), text(&first.text)),
            (Some("2.1.0".into()), "first".into())
        );
        assert_eq!(
            (spans[1].continues, text(&spans[1].text), text(&spans[1].crlf)),
            (false, "second".into(), "\r\n".into())
        );
        let (_, (_, spans)) = reply_spans(b"221\r\n").expect("parses");
        assert_eq!((spans[0].separator.clone(), spans[0].text.clone()), (None, 3..3));
        // A code of the wrong class stays text.
        let (_, (_, spans)) = reply_spans(b"250 5.1.1 odd\r\n").expect("parses");
        assert_eq!((spans[0].enhanced.clone(), spans[0].text.clone()), (None, 4..13));
    }

    #[test]
    fn truncated_is_incomplete() {
        let wire = b"250-a\r\n250 b\r\n";
        for end in 0..wire.len() {
            assert!(matches!(reply(&wire[..end]), Err(nom::Err::Incomplete(_))), "{end}");
        }
    }

    #[test]
    fn codes_outside_the_grammar_are_rejected() {
        assert!(ReplyCode::new(199).is_none());
        assert!(ReplyCode::new(260).is_none());
        assert!(reply(b"699 no\r\n").is_err());
        assert!(reply(b"250-a\r\n251 b\r\n").is_err());
        let code = ReplyCode::new(452).expect("valid");
        assert_eq!(
            (code.severity(), code.category(), code.detail()),
            (Severity::TransientNegative, Category::MailSystem, 2)
        );
        assert_eq!(code.get(), 452);
    }

    /// The parser that reads in place agrees with the old one on every input: the same
    /// reply and rest, or the same error at the same place, or both incomplete.
    #[cfg(not(target_arch = "wasm32"))]
    mod agrees_with_the_reference {
        use proptest::prelude::*;

        use super::*;

        fn same(input: &[u8]) {
            let (ours, theirs) = (reply(input), super::super::reference::reply(input));
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{:?}", String::from_utf8_lossy(input)),
                (Err(nom::Err::Incomplete(_)), Err(nom::Err::Incomplete(_))) => {}
                (Err(nom::Err::Error(a)), Err(nom::Err::Error(b))) => assert_eq!(
                    (a.input.len(), a.code),
                    (b.input.len(), b.code),
                    "{:?}",
                    String::from_utf8_lossy(input)
                ),
                _ => panic!("{:?}: {ours:?} vs {theirs:?}", String::from_utf8_lossy(input)),
            }
        }

        /// Reply-shaped bytes: lines of a code (mostly one), a separator, words that are
        /// often enhanced codes, sometimes bytes outside textstring or broken UTF-8.
        fn wire() -> impl Strategy<Value = Vec<u8>> {
            let code =
                prop::sample::select(vec!["250", "250", "550", "451", "354", "334", "221", "199", "25"]);
            let sep = prop::sample::select(vec![" ", "-", "", "\t"]);
            let word = prop::sample::select(vec![
                "2.0.0",
                "5.1.1",
                "4.7.1",
                "2.01.0",
                "5.1.1x",
                "mx.example.net",
                "",
                "OK",
                "é",
                "\u{7f}",
                "\r",
                "\n",
                "\t",
                " ",
            ]);
            let bytes = prop::sample::select(vec![vec![], vec![0xff], vec![0xc3], vec![0xc3, 0xa9], vec![0]]);
            let line = (code, sep, prop::collection::vec((word, bytes), 0..4), prop::bool::weighted(0.9));
            prop::collection::vec(line, 1..5).prop_map(|lines| {
                let mut out = Vec::new();
                for (code, sep, words, crlf) in lines {
                    out.extend_from_slice(code.as_bytes());
                    out.extend_from_slice(sep.as_bytes());
                    for (i, (word, bytes)) in words.iter().enumerate() {
                        if i > 0 {
                            out.push(b' ');
                        }
                        out.extend_from_slice(word.as_bytes());
                        out.extend_from_slice(bytes);
                    }
                    if crlf {
                        out.extend_from_slice(b"\r\n");
                    }
                }
                out
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

            #[test]
            fn on_reply_shaped_bytes_and_every_prefix(input in wire()) {
                for end in 0..=input.len() {
                    same(&input[..end]);
                }
            }

            #[test]
            fn on_any_bytes(input in prop::collection::vec(any::<u8>(), 0..64)) {
                same(&input);
            }

            /// The places `reply_spans` gives hold what the reply says: the code, CRLF, the
            /// enhanced code as written, each line's text.
            #[test]
            fn spans_hold_the_reply(input in wire()) {
                if let Ok((_, (reply, spans))) = reply_spans(&input) {
                    prop_assert_eq!(spans.len(), reply.lines.len());
                    for (span, line) in spans.iter().zip(&reply.lines) {
                        let code = reply.code.to_string();
                        prop_assert_eq!(&input[span.code.clone()], code.as_bytes());
                        prop_assert_eq!(&input[span.crlf.clone()], b"\r\n");
                        prop_assert_eq!(&input[span.text.clone()], line.as_bytes());
                        let enhanced = span.enhanced.clone().map(|e| input[e].to_vec());
                        prop_assert_eq!(enhanced, reply.enhanced.map(|e| e.to_string().into_bytes()));
                    }
                }
            }
        }

        #[test]
        fn on_the_examples() {
            for wire in [
                &b"250 OK\r\n"[..],
                b"250-2.0.0 first\r\n250 2.0.0 second\r\n",
                b"250-2.0.0 first\r\n250 2.0.1 second\r\n",
                b"250-2.0.0\r\n250 2.0.0\r\n",
                b"250 2.0.01 x\r\n",
                b"550 5.1.1\r\n",
                b"220\r\n",
                b"250-a\r\n250\r\n",
                b"250 caf\xc3\xa9\r\n",
                b"250-caf\xc3\r\n250 x",
            ] {
                same(wire);
            }
        }
    }
}
