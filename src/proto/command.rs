//! SMTP commands (RFC 5321 §4.1.1) — the subset the first slice speaks.

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::streaming::{tag, tag_no_case, take_till1, take_while},
    combinator::{map, map_res, value},
    sequence::{delimited, preceded, terminated},
};

/// A command line sent by an SMTP client.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    /// `helo = "HELO" SP Domain CRLF` (RFC 5321 §4.1.1.1)
    Helo(String),
    /// `ehlo = "EHLO" SP ( Domain / address-literal ) CRLF` (RFC 5321 §4.1.1.1)
    Ehlo(String),
    /// `mail = "MAIL FROM:" Reverse-path CRLF` (RFC 5321 §4.1.1.2); the path without brackets.
    Mail(String),
    /// `rcpt = "RCPT TO:" Forward-path CRLF` (RFC 5321 §4.1.1.3); the path without brackets.
    Rcpt(String),
    /// `data = "DATA" CRLF` (RFC 5321 §4.1.1.4)
    Data,
    /// `quit = "QUIT" CRLF` (RFC 5321 §4.1.1.10)
    Quit,
}

fn crlf(input: &[u8]) -> IResult<&[u8], &[u8]> {
    tag("\r\n").parse(input)
}

fn text_arg(input: &[u8]) -> IResult<&[u8], String> {
    map_res(take_till1(|b| b == b'\r' || b == b'\n' || b == b' '), |s: &[u8]| {
        std::str::from_utf8(s).map(str::to_owned)
    })
    .parse(input)
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`, or the null path `<>` (RFC 5321 §4.1.2).
fn path(input: &[u8]) -> IResult<&[u8], String> {
    delimited(
        tag("<"),
        map_res(take_while(|b| b != b'>' && b != b'\r' && b != b'\n'), |s: &[u8]| {
            std::str::from_utf8(s).map(str::to_owned)
        }),
        tag(">"),
    )
    .parse(input)
}

/// `command = verb [arguments] CRLF`: one complete command line.
///
/// Verbs are case-insensitive (RFC 5321 §2.4). Truncated input answers
/// [`nom::Err::Incomplete`].
pub fn command(input: &[u8]) -> IResult<&[u8], Command> {
    terminated(
        alt((
            map(preceded(tag_no_case("HELO "), text_arg), Command::Helo),
            map(preceded(tag_no_case("EHLO "), text_arg), Command::Ehlo),
            map(preceded(tag_no_case("MAIL FROM:"), path), Command::Mail),
            map(preceded(tag_no_case("RCPT TO:"), path), Command::Rcpt),
            value(Command::Data, tag_no_case("DATA")),
            value(Command::Quit, tag_no_case("QUIT")),
        )),
        crlf,
    )
    .parse(input)
}

impl Command {
    /// The command's wire form, CRLF included.
    pub fn to_bytes(&self) -> Vec<u8> {
        let line = match self {
            Command::Helo(domain) => format!("HELO {domain}"),
            Command::Ehlo(domain) => format!("EHLO {domain}"),
            Command::Mail(path) => format!("MAIL FROM:<{path}>"),
            Command::Rcpt(path) => format!("RCPT TO:<{path}>"),
            Command::Data => "DATA".to_owned(),
            Command::Quit => "QUIT".to_owned(),
        };
        let mut bytes = line.into_bytes();
        bytes.extend_from_slice(b"\r\n");
        bytes
    }

    /// The verb as the RFC spells it.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Helo(_) => "HELO",
            Command::Ehlo(_) => "EHLO",
            Command::Mail(_) => "MAIL",
            Command::Rcpt(_) => "RCPT",
            Command::Data => "DATA",
            Command::Quit => "QUIT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_round_trip() {
        let table = [
            (&b"HELO example.com\r\n"[..], Command::Helo("example.com".into())),
            (b"MAIL FROM:<sender@example.com>\r\n", Command::Mail("sender@example.com".into())),
            (b"RCPT TO:<recipient@example.com>\r\n", Command::Rcpt("recipient@example.com".into())),
            (b"DATA\r\n", Command::Data),
            (b"QUIT\r\n", Command::Quit),
        ];
        for (wire, expected) in table {
            let (rest, parsed) = command(wire).expect("parses");
            assert!(rest.is_empty());
            assert_eq!(parsed, expected);
            assert_eq!(parsed.to_bytes(), wire);
        }
    }

    #[test]
    fn verbs_are_case_insensitive() {
        assert_eq!(command(b"quit\r\n").map(|(_, c)| c), Ok(Command::Quit));
        assert_eq!(command(b"mail from:<a@b>\r\n").map(|(_, c)| c), Ok(Command::Mail("a@b".into())));
    }

    #[test]
    fn every_truncated_prefix_is_incomplete() {
        let wire = b"MAIL FROM:<sender@example.com>\r\n";
        for end in 0..wire.len() {
            assert!(matches!(command(&wire[..end]), Err(nom::Err::Incomplete(_))), "prefix of {end} bytes");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(command(b"FROB\r\n"), Err(nom::Err::Error(_))));
    }
}
