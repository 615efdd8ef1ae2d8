//! SMTP replies (RFC 5321 §4.2).

use nom::{
    IResult, Parser,
    bytes::streaming::{tag, take_while, take_while_m_n},
    combinator::map_res,
};

/// A three-digit reply code (RFC 5321 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `220 <domain> Service ready`
    pub const SERVICE_READY: Self = Self(220);
    /// `221 <domain> Service closing transmission channel`
    pub const CLOSING: Self = Self(221);
    /// `250 Requested mail action okay, completed`
    pub const OK: Self = Self(250);
    /// `354 Start mail input; end with <CRLF>.<CRLF>`
    pub const START_MAIL_INPUT: Self = Self(354);
    /// `500 Syntax error, command unrecognized`
    pub const SYNTAX_ERROR: Self = Self(500);
    /// `503 Bad sequence of commands`
    pub const BAD_SEQUENCE: Self = Self(503);

    /// A code from its number; `None` unless it is three digits whose first is 2 to 5
    /// and whose second is 0 to 5 (RFC 5321 §4.2: `Reply-code = %x32-35 %x30-35 %x30-39`).
    pub fn new(code: u16) -> Option<Self> {
        let (first, second) = (code / 100, code / 10 % 10);
        ((2..=5).contains(&first) && second <= 5).then_some(Self(code))
    }

    /// The code as a number.
    pub fn get(self) -> u16 {
        self.0
    }

    /// What the code means, in the words of RFC 5321 §4.2.2–§4.2.3.
    pub fn meaning(self) -> &'static str {
        match self.0 {
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
            450 => "Requested mail action not taken: mailbox unavailable (try again later)",
            451 => "Requested action aborted: local error in processing (try again later)",
            452 => "Requested action not taken: insufficient system storage (try again later)",
            455 => "Server unable to accommodate parameters",
            500 => "Syntax error, command unrecognized",
            501 => "Syntax error in parameters or arguments",
            502 => "Command not implemented",
            503 => "Bad sequence of commands",
            504 => "Command parameter not implemented",
            530 => "Authentication required",
            535 => "Authentication credentials invalid",
            550 => "Requested action not taken: mailbox unavailable",
            551 => "User not local",
            552 => "Requested mail action aborted: exceeded storage allocation",
            553 => "Requested action not taken: mailbox name not allowed",
            554 => "Transaction failed",
            555 => "MAIL FROM/RCPT TO parameters not recognized or not implemented",
            _ => match self.0 / 100 {
                2 => "Positive completion",
                3 => "Positive intermediate: send more",
                4 => "Transient negative completion: try again later",
                _ => "Permanent negative completion: do not repeat as is",
            },
        }
    }
}

/// A reply: a code and one or more lines of text (RFC 5321 §4.2.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reply {
    pub code: ReplyCode,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn new(code: ReplyCode, text: impl Into<String>) -> Self {
        Self { code, lines: vec![text.into()] }
    }

    /// The reply's wire form: `code-text` lines, then `code SP text` (RFC 5321 §4.2.1).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            out.extend_from_slice(format!("{}{sep}{line}\r\n", self.code.get()).as_bytes());
        }
        out
    }
}

/// One reply line: `Reply-code [ ( SP / "-" ) textstring ] CRLF`; returns whether more follow.
fn reply_line(input: &[u8]) -> IResult<&[u8], (ReplyCode, bool, String)> {
    let (input, digits) = take_while_m_n(3, 3, |b: u8| b.is_ascii_digit()).parse(input)?;
    let code = digits.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let Some(code) = ReplyCode::new(code) else {
        return Err(nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::Digit)));
    };
    let (input, sep) = take_while_m_n(1, 1, |b| b == b' ' || b == b'-').parse(input)?;
    let (input, text) = map_res(take_while(|b| b != b'\r' && b != b'\n'), |s: &[u8]| {
        std::str::from_utf8(s).map(str::to_owned)
    })
    .parse(input)?;
    let (input, _) = tag("\r\n").parse(input)?;
    Ok((input, (code, sep == b"-", text)))
}

/// `Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF`
pub fn reply(mut input: &[u8]) -> IResult<&[u8], Reply> {
    let mut lines = Vec::new();
    loop {
        let (rest, (code, more, text)) = reply_line(input)?;
        lines.push(text);
        input = rest;
        if !more {
            return Ok((input, Reply { code, lines }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multi_line_round_trip() {
        for wire in [&b"250 OK\r\n"[..], b"250-mx.example.net\r\n250-PIPELINING\r\n250 8BITMIME\r\n"] {
            let (rest, parsed) = reply(wire).expect("parses");
            assert!(rest.is_empty());
            assert_eq!(parsed.to_bytes(), wire);
        }
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
    }
}
