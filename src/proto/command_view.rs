//! SMTP commands read in place (RFC 5321 §4.1.1): [`command_view`] checks a line against
//! the same grammar and limits as [`command`] in one pass and allocates nothing on the
//! common path; its [`CommandView`] holds slices of the line. [`CommandView::to_command`]
//! builds the owned [`Command`] for what the engine keeps.
//!
//! The rare forms (an address literal, a quoted local part, a source route, a domain with
//! U-labels, AUTH's base64) are checked by the owned parsers, so both read one grammar.

use nom::{
    IResult, Parser,
    bytes::streaming::{tag, tag_no_case},
    combinator::opt,
    sequence::preceded,
};

use super::abnf::{self, crlf, sp};
use super::address::{Domain, ForwardPath, Host, LocalPart, ReversePath, host, path};
use super::command::{Command, Verb, auth_arguments, bdat_arguments, free_text, verb};
use super::params::{MailParameters, RcptParameters};
use super::sasl::{Mechanism, SaslResponse};

/// A command line read in place: each argument is the line's own text, already checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandView<'a> {
    /// The host as written: a domain or an `[address literal]`.
    Helo(&'a str),
    Ehlo(&'a str),
    /// The reverse-path as written, angle brackets included (`<>` for the null path).
    Mail {
        reverse_path: &'a str,
        params: Params<'a>,
    },
    /// The forward-path as written, angle brackets included (or `<Postmaster>`).
    Rcpt {
        forward_path: &'a str,
        params: Params<'a>,
    },
    Data,
    Bdat {
        size: u64,
        last: bool,
    },
    Rset,
    Vrfy(&'a str),
    Expn(&'a str),
    Help(Option<&'a str>),
    Noop(Option<&'a str>),
    Quit,
    StartTls,
    /// The mechanism's name and the initial response's base64, as written.
    Auth {
        mechanism: &'a str,
        initial_response: Option<&'a str>,
    },
}

/// The ESMTP parameters of MAIL or RCPT as written (each with its leading SP), checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a>(&'a str);

impl<'a> Params<'a> {
    /// Each `esmtp-keyword ["=" esmtp-value]` (RFC 5321 §4.1.2), in order. Neither part
    /// can hold a space or an `=`, so the text splits at them.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        let text = self.0;
        let mut at = 0;
        std::iter::from_fn(move || {
            // Past the SP, up to the next SP (or the end); split at the first `=`.
            let bytes = text.as_bytes();
            while bytes.get(at) == Some(&b' ') {
                at += 1;
            }
            let start = at;
            let mut equals = None;
            while let Some(&b) = bytes.get(at).filter(|&&b| b != b' ') {
                if b == b'=' && equals.is_none() {
                    equals = Some(at);
                }
                at += 1;
            }
            let param = text.get(start..at).filter(|p| !p.is_empty())?;
            Some(match equals {
                Some(i) => (text.get(start..i)?, text.get(i + 1..at)),
                None => (param, None),
            })
        })
    }
}

impl CommandView<'_> {
    /// The owned command, as [`command`] gives it. Always `Some` for a view from
    /// [`command_view`] (its parts were checked by the same rules); `None` only for one
    /// put together by hand from parts that do not parse.
    pub fn to_command(&self) -> Option<Command> {
        Some(match *self {
            CommandView::Helo(host) => Command::Helo(host.parse::<Host>().ok()?),
            CommandView::Ehlo(host) => Command::Ehlo(host.parse::<Host>().ok()?),
            CommandView::Mail { reverse_path, params } => Command::Mail {
                reverse_path: reverse_path.parse::<ReversePath>().ok()?,
                params: MailParameters::from_pairs(&params.iter().collect::<Vec<_>>()).ok()?,
            },
            CommandView::Rcpt { forward_path, params } => Command::Rcpt {
                forward_path: forward_path.parse::<ForwardPath>().ok()?,
                params: RcptParameters::from_pairs(&params.iter().collect::<Vec<_>>()).ok()?,
            },
            CommandView::Data => Command::Data,
            CommandView::Bdat { size, last } => Command::Bdat { size, last },
            CommandView::Rset => Command::Rset,
            CommandView::Vrfy(text) => Command::Vrfy(text.to_owned()),
            CommandView::Expn(text) => Command::Expn(text.to_owned()),
            CommandView::Help(text) => Command::Help(text.map(str::to_owned)),
            CommandView::Noop(text) => Command::Noop(text.map(str::to_owned)),
            CommandView::Quit => Command::Quit,
            CommandView::StartTls => Command::StartTls,
            CommandView::Auth { mechanism, initial_response } => Command::Auth {
                mechanism: Mechanism::from_name(mechanism),
                initial_response: match initial_response {
                    Some(text) => Some(SaslResponse::parse(text.as_bytes())?),
                    None => None,
                },
            },
        })
    }
}

/// The text `input` has consumed up to `rest`, which the grammar has checked as UTF-8.
fn consumed<'a>(input: &'a [u8], rest: &'a [u8]) -> &'a str {
    let taken = input.get(..input.len() - rest.len()).unwrap_or_default();
    std::str::from_utf8(taken).unwrap_or_default()
}

/// `Domain / address-literal`, checked as [`host`] checks it.
fn host_view(input: &[u8]) -> IResult<&[u8], &str> {
    if input.first() != Some(&b'[') && !input.is_empty() {
        let (rest, text) = abnf::domain_text(input)?;
        return if Domain::is_valid(text) {
            Ok((rest, text))
        } else {
            Err(abnf::error(input, nom::error::ErrorKind::Verify))
        };
    }
    let (rest, _) = host(input)?;
    Ok((rest, consumed(input, rest)))
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`, as written, checked as [`path`] checks it.
fn path_view(input: &[u8]) -> IResult<&[u8], &str> {
    let (after, _) = tag("<").parse(input)?;
    // A source route or a quoted local part: rare, read by the owned parsers.
    if matches!(after.first(), Some(b'@' | b'"')) {
        let (rest, _) = path(input)?;
        return Ok((rest, consumed(input, rest)));
    }
    let (rest, content) = abnf::dot_string(after)?;
    if !LocalPart::is_valid(content) {
        return Err(abnf::error(after, nom::error::ErrorKind::TooLarge));
    }
    let (rest, _) = tag("@").parse(rest)?;
    let (rest, _) = host_view(rest)?;
    let (rest, _) = tag(">").parse(rest)?;
    Ok((rest, consumed(input, rest)))
}

/// `Reverse-path = Path / "<>"`.
fn reverse_path_view(input: &[u8]) -> IResult<&[u8], &str> {
    match tag("<>").parse(input) {
        Ok((rest, _)) => Ok((rest, consumed(input, rest))),
        Err(nom::Err::Error(_)) => path_view(input),
        Err(e) => Err(e),
    }
}

/// `Forward-path = Path`, or `"<Postmaster>"`.
fn forward_path_view(input: &[u8]) -> IResult<&[u8], &str> {
    match tag_no_case("<Postmaster>").parse(input) {
        Ok((rest, _)) => Ok((rest, consumed(input, rest))),
        Err(nom::Err::Error(_)) => path_view(input),
        Err(e) => Err(e),
    }
}

/// `*(SP esmtp-param)` as [`abnf::esmtp_params`] reads it, kept as written.
fn params_view(input: &[u8]) -> IResult<&[u8], Params<'_>> {
    let mut rest = input;
    loop {
        match preceded(sp, abnf::esmtp_param).parse(rest) {
            Ok((after, _)) => rest = after,
            Err(nom::Err::Error(_)) => return Ok((rest, Params(consumed(input, rest)))),
            Err(e) => return Err(e),
        }
    }
}

/// The common lines, read by hand in one pass over ASCII text: `Some` only for a line the
/// general reader ([`command_view_general`]) accepts with the same view (a property test
/// holds the two together); `None` hands anything else to it, which then says precisely
/// what is wrong, or that the line is incomplete.
mod fast {
    use super::{CommandView, Params};
    use crate::proto::abnf;
    use crate::proto::address::MAX_DOMAIN_OCTETS;
    use crate::proto::command::Verb;
    use crate::proto::params::{MailParameters, RcptParameters};
    use crate::proto::sasl::{Mechanism, SaslResponse};

    /// The line before its CRLF and what follows, if the line is complete (and UTF-8; each
    /// rule below takes ASCII only, so other text falls to the general reader).
    fn line(input: &[u8]) -> Option<(&str, &[u8])> {
        let end = memchr::memchr(b'\n', input)?;
        let line = input.get(..end.checked_sub(1)?)?;
        if input.get(end - 1) != Some(&b'\r') {
            return None;
        }
        Some((std::str::from_utf8(line).ok()?, input.get(end + 1..)?))
    }

    /// How long the ASCII `Domain` of LDH labels at the start of `bytes` is, if
    /// [`crate::proto::Domain::new`] accepts it; it must end at `end` (or the text's end
    /// when `end` is `None`). A-labels, which must be decoded, are left to the general reader.
    fn domain(bytes: &[u8], end: Option<u8>) -> Option<usize> {
        let (mut i, mut label) = (0, 0);
        loop {
            let b = bytes.get(i).copied();
            let at_end = b == end;
            if at_end || b == Some(b'.') {
                // A label ends: 1 to 63 octets, not ending in a hyphen.
                if label == 0 || label > 63 || bytes[i - 1] == b'-' {
                    return None;
                }
                if at_end {
                    return (i <= MAX_DOMAIN_OCTETS).then_some(i);
                }
                label = 0;
            } else {
                match b {
                    Some(c) if c.is_ascii_alphanumeric() => {}
                    // Not first in a label; and `??--` may be an A-label.
                    Some(b'-') if label > 0 && !(label == 2 && bytes.get(i + 1) == Some(&b'-')) => {}
                    _ => return None,
                }
                label += 1;
            }
            i += 1;
        }
    }

    /// `<dot-string@domain>` (or `<>` / `<Postmaster>` where `special` allows), at the
    /// start of `text`; returns the path and the text after it.
    fn path<'a>(text: &'a str, special: &str) -> Option<(&'a str, &'a str)> {
        let bytes = text.as_bytes();
        if bytes.len() >= special.len() && bytes[..special.len()].eq_ignore_ascii_case(special.as_bytes()) {
            return Some(text.split_at(special.len()));
        }
        if bytes.first() != Some(&b'<') {
            return None;
        }
        // A dot-string: atoms of atext joined by single dots; at most 64 octets.
        let mut i = 1;
        let mut after_dot = true;
        loop {
            match bytes.get(i).copied()? {
                b'@' if !after_dot => break,
                b'.' if !after_dot => after_dot = true,
                c if c < 0x80 && abnf::ATEXT[usize::from(c)] => after_dot = false,
                _ => return None,
            }
            i += 1;
        }
        if i - 1 > 64 {
            return None;
        }
        let host = domain(bytes.get(i + 1..)?, Some(b'>'))?;
        Some(text.split_at(i + 1 + host + 1))
    }

    /// `*(SP esmtp-keyword ["=" esmtp-value])`, read pair by pair as the parameters'
    /// check asks for them: one pass. At text that does not fit, it stops and says so.
    struct Scan<'a> {
        text: &'a str,
        at: usize,
        bad: bool,
    }

    impl<'a> Scan<'a> {
        fn new(text: &'a str) -> Self {
            Scan { text, at: 0, bad: false }
        }

        /// The whole text fitted the grammar (once the check has read every pair).
        fn fitted(&mut self) -> Option<Params<'a>> {
            // The check may stop early at an error: read the rest too.
            while self.next().is_some() {}
            (!self.bad).then_some(Params(self.text))
        }

        fn pair(&mut self) -> Option<(&'a str, Option<&'a str>)> {
            let (text, bytes) = (self.text, self.text.as_bytes());
            let rest = bytes.get(self.at..)?;
            // SP, then a keyword: a letter or digit, then letters, digits and hyphens.
            if rest.first() != Some(&b' ') || !rest.get(1)?.is_ascii_alphanumeric() {
                return None;
            }
            let keyword_len = rest[1..]
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'-'))
                .unwrap_or(rest.len() - 1);
            let mut end = 1 + keyword_len;
            let keyword = text.get(self.at + 1..self.at + end)?;
            // Then maybe `=` and a value of one or more of %d33-60 / %d62-126.
            let mut value = None;
            if rest.get(end) == Some(&b'=') {
                let tail = &rest[end + 1..];
                let len = abnf::esmtp_value_len(tail);
                if len == 0 {
                    return None;
                }
                value = text.get(self.at + end + 1..self.at + end + 1 + len);
                end += 1 + len;
            }
            if rest.get(end).is_some_and(|&c| c != b' ') {
                return None;
            }
            self.at += end;
            Some((keyword, value))
        }
    }

    impl<'a> Iterator for Scan<'a> {
        type Item = (&'a str, Option<&'a str>);

        fn next(&mut self) -> Option<Self::Item> {
            if self.bad || self.at >= self.text.len() {
                return None;
            }
            let pair = self.pair();
            self.bad = pair.is_none();
            pair
        }
    }

    pub(super) fn command(input: &[u8]) -> Option<(&[u8], CommandView<'_>)> {
        let (line, rest) = line(input)?;
        let word_end = line.bytes().position(|b| !b.is_ascii_alphabetic()).unwrap_or(line.len());
        let (word, args) = line.split_at(word_end);
        let verb = Verb::from_word(word.as_bytes())?;
        let view = match verb {
            Verb::Mail | Verb::Rcpt => {
                let mail = verb == Verb::Mail;
                let keyword = if mail { " FROM:" } else { " TO:" };
                let after = args
                    .get(keyword.len()..)
                    .filter(|_| args[..keyword.len()].eq_ignore_ascii_case(keyword))?;
                let after = after.strip_prefix(' ').unwrap_or(after);
                if mail {
                    let (reverse_path, tail) = path(after, "<>")?;
                    let mut scan = Scan::new(tail);
                    MailParameters::check(&mut scan).ok()?;
                    let params = scan.fitted()?;
                    CommandView::Mail { reverse_path, params }
                } else {
                    let (forward_path, tail) = path(after, "<Postmaster>")?;
                    let mut scan = Scan::new(tail);
                    RcptParameters::check(&mut scan).ok()?;
                    let params = scan.fitted()?;
                    CommandView::Rcpt { forward_path, params }
                }
            }
            verb @ (Verb::Ehlo | Verb::Helo) => {
                let host = args.strip_prefix(' ')?;
                domain(host.as_bytes(), None)?;
                if verb == Verb::Ehlo { CommandView::Ehlo(host) } else { CommandView::Helo(host) }
            }
            Verb::Auth => {
                // `AUTH mechanism [SP initial-response]`, the response checked as base64
                // without keeping what it decodes to.
                let args = args.strip_prefix(' ')?;
                let (mechanism, response) = match args.split_once(' ') {
                    Some((mechanism, response)) => (mechanism, Some(response)),
                    None => (args, None),
                };
                let base64 = |r: &str| r.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
                if !Mechanism::is_valid_name(mechanism)
                    || response.is_some_and(|r| !base64(r) || !SaslResponse::is_valid(r.as_bytes()))
                {
                    return None;
                }
                CommandView::Auth { mechanism, initial_response: response }
            }
            verb if args.is_empty() => match verb {
                Verb::Data => CommandView::Data,
                Verb::Rset => CommandView::Rset,
                Verb::Quit => CommandView::Quit,
                Verb::Noop => CommandView::Noop(None),
                _ => return None,
            },
            _ => return None,
        };
        Some((rest, view))
    }
}

/// `command = verb [arguments] CRLF`, read in place: the same lines as [`command`]
/// accepts, the same ones `Incomplete`, the others an error. Verbs are case-insensitive
/// (RFC 5321 §2.4). The common lines are read by hand in one pass; the rest by the
/// general reader, which follows the grammar rule by rule.
pub fn command_view(input: &[u8]) -> IResult<&[u8], CommandView<'_>> {
    match fast::command(input) {
        Some(done) => Ok(done),
        None => command_view_general(input),
    }
}

/// [`command_view`] rule by rule, with nom, as the owned parser reads.
fn command_view_general(input: &[u8]) -> IResult<&[u8], CommandView<'_>> {
    use nom::error::ErrorKind;
    let (args, word) = verb(input)?;
    let Some(verb) = Verb::from_word(word) else {
        return Err(abnf::error(input, ErrorKind::Tag));
    };
    let bad_params = |_| abnf::error(input, ErrorKind::Verify);
    let (rest, view) = match verb {
        Verb::Helo | Verb::Ehlo => {
            let (rest, (host, _)) = (preceded(sp, host_view), crlf).parse(args)?;
            (rest, if verb == Verb::Helo { CommandView::Helo(host) } else { CommandView::Ehlo(host) })
        }
        Verb::Mail => {
            // `"MAIL FROM:"`; one SP after the colon is tolerated, as Postfix does.
            let (rest, (_, _, reverse_path, params, _)) =
                (tag_no_case(" FROM:"), opt(sp), reverse_path_view, params_view, crlf).parse(args)?;
            MailParameters::check(params.iter()).map_err(bad_params)?;
            (rest, CommandView::Mail { reverse_path, params })
        }
        Verb::Rcpt => {
            let (rest, (_, _, forward_path, params, _)) =
                (tag_no_case(" TO:"), opt(sp), forward_path_view, params_view, crlf).parse(args)?;
            RcptParameters::check(params.iter()).map_err(bad_params)?;
            (rest, CommandView::Rcpt { forward_path, params })
        }
        Verb::Bdat => {
            let (rest, (size, last)) = bdat_arguments(args)?;
            (rest, CommandView::Bdat { size, last })
        }
        Verb::Vrfy | Verb::Expn => {
            let (rest, (_, text, _)) = (sp, free_text, crlf).parse(args)?;
            (rest, if verb == Verb::Vrfy { CommandView::Vrfy(text) } else { CommandView::Expn(text) })
        }
        Verb::Help | Verb::Noop => {
            let (rest, (text, _)) = (opt(preceded(sp, free_text)), crlf).parse(args)?;
            (rest, if verb == Verb::Help { CommandView::Help(text) } else { CommandView::Noop(text) })
        }
        Verb::Auth => {
            // The base64 is decoded to check it (AUTH is once a session, not the hot path).
            let (rest, (mechanism, response)) = auth_arguments(args)?;
            (rest, CommandView::Auth { mechanism, initial_response: response.map(|(text, _)| text) })
        }
        Verb::Data | Verb::Rset | Verb::Quit | Verb::StartTls => {
            let (rest, _) = crlf(args)?;
            let view = match verb {
                Verb::Data => CommandView::Data,
                Verb::Rset => CommandView::Rset,
                Verb::Quit => CommandView::Quit,
                _ => CommandView::StartTls,
            };
            (rest, view)
        }
    };
    Ok((rest, view))
}

// proptest is a native-only dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::proto::command::command;

    /// The view and the owned parser agree: the same command (built from the view) and the
    /// same rest, or both incomplete, or both an error.
    fn same(input: &[u8]) {
        // What the hand-written reader accepts, the general one reads the same way.
        if let Some(fast) = fast::command(input) {
            let general = command_view_general(input);
            assert_eq!(general, Ok(fast), "{:?}", String::from_utf8_lossy(input));
        }
        let view = command_view(input).map(|(rest, v)| (rest, v.to_command()));
        let owned = command(input);
        let shown = String::from_utf8_lossy(input);
        match (view, owned) {
            (Ok((rest, Some(a))), Ok((rest_b, b))) => assert_eq!((rest, a), (rest_b, b), "{shown:?}"),
            (Err(nom::Err::Incomplete(_)), Err(nom::Err::Incomplete(_))) => {}
            (Err(nom::Err::Error(_)), Err(nom::Err::Error(_))) => {}
            (view, owned) => panic!("{shown:?}: view {view:?}, owned {owned:?}"),
        }
    }

    const HOSTS: &[&str] = &[
        "example.com",
        "EXAMPLE.org",
        "mail.example.net",
        "xn--r8jz45g.jp",
        "XN--R8JZ45G.jp",
        "xn--abc.jp",
        "例え.jp",
        "a-.example",
        "-a.example",
        "a..b",
        "a",
        "[192.0.2.1]",
        "[IPv6:2001:db8::1]",
        "[300.1.1.1]",
        "[x]",
        "",
        "example.com.",
        "ex ample.com",
        "xn--a.example",
        "xn--ls8h.example",
        "xn--99999999999999.example",
        // A 64-octet label; a 257-octet name.
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
    ];
    const LOCALS: &[&str] = &[
        "alice",
        "Bob.Smith",
        "a+b",
        "\"a b\"",
        "\"a\\\"b\"",
        "a..b",
        ".a",
        "",
        "é",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ];
    const PARAMS: &[&str] = &[
        " SIZE=1000",
        " size=0",
        " SIZE=x",
        " SIZE=123456789012345678901",
        " BODY=8bitmime",
        " BODY=7BIT",
        " BODY=9BIT",
        " SMTPUTF8",
        " SMTPUTF8=1",
        " RET=HDRS",
        " RET=full",
        " RET=NO",
        " ENVID=QQ+2B1",
        " ENVID=+zz",
        " ENVID=+2b",
        " AUTH=<>",
        " AUTH=a+2Bb",
        " AUTH=a=b",
        " NOTIFY=SUCCESS,FAILURE",
        " NOTIFY=never",
        " NOTIFY=LATE",
        " NOTIFY=",
        " ORCPT=rfc822;a+2Bb@x",
        " ORCPT=;x",
        " ORCPT=rfc822;+C3+A9",
        " ORCPT=rfc822;+FF",
        " X-FOO=bar",
        " X-FOO",
        " X-FOO=",
        " X_FOO=1",
        " -X=1",
        "  SIZE=1",
        " SIZE==1",
        " =1",
        " X=a=b",
    ];

    /// A path: usually a mailbox from the lists above, sometimes `<>`, `<Postmaster>` or a
    /// source route, sometimes broken.
    fn path() -> impl Strategy<Value = String> {
        let mailbox = (prop::sample::select(LOCALS), prop::sample::select(HOSTS))
            .prop_map(|(local, host)| format!("<{local}@{host}>"));
        prop_oneof![
            6 => mailbox,
            1 => prop::sample::select(vec!["<>", "<Postmaster>", "<postmaster>", "<@a.example,@b.example:c@d.example>",
                "<@a.example:c@d.example", "alice@example.com", "<alice@example.com", "<>x"]).prop_map(str::to_owned),
        ]
    }

    /// Command-shaped lines: MAIL and RCPT with paths and parameters, HELO and EHLO with
    /// hosts, the other verbs with arguments, random pieces; mostly ending in CRLF.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let end = prop::sample::select(vec!["\r\n", "\r\n", "\r\n", "\r", "", "\n", "\r\nNOOP\r\n"]);
        let envelope = (
            prop::sample::select(vec![
                "MAIL FROM:",
                "mail from: ",
                "RCPT TO:",
                "rcpt to: ",
                "MAIL FROM :",
                "RCPT TO:  ",
            ]),
            path(),
            prop::collection::vec(prop::sample::select(PARAMS), 0..4),
        )
            .prop_map(|(verb, path, params)| format!("{verb}{path}{}", params.concat()));
        let hello =
            (prop::sample::select(vec!["EHLO ", "helo ", "EHLO", "EHLO  "]), prop::sample::select(HOSTS))
                .prop_map(|(verb, host)| format!("{verb}{host}"));
        let other = prop::sample::select(vec![
            "DATA",
            "RSET",
            "QUIT",
            "STARTTLS",
            "NOOP",
            "NOOP hi",
            "HELP",
            "HELP MAIL",
            "VRFY bob",
            "VRFY",
            "EXPN list",
            "BDAT 100",
            "BDAT 100 LAST",
            "BDAT x",
            "BDAT 99999999999999999999999",
            "AUTH PLAIN",
            "AUTH PLAIN AGFsaWNlAHB3",
            "AUTH PLAIN =",
            "AUTH PLAIN *",
            "AUTH LOGIN !!",
            "AUTH ABCDEFGHIJKLMNOPQRSTU",
            "FOO",
            "DATA x",
            "NOOP \t",
            "NOOP é",
            "VRFY \0",
        ])
        .prop_map(str::to_owned);
        // AUTH with a response of base64's letters in any order: valid or not, padded or not.
        let auth = (
            prop::sample::select(vec![
                "AUTH PLAIN",
                "auth login",
                "AUTH X-OAUTH2",
                "AUTH PL@IN",
                "AUTH  PLAIN",
            ]),
            prop::option::of("[A-Za-z0-9+/=*]{0,14}"),
        )
            .prop_map(|(verb, response)| match response {
                Some(response) => format!("{verb} {response}"),
                None => verb.to_owned(),
            });
        (prop_oneof![4 => envelope, 2 => hello, 2 => other, 1 => auth], end)
            .prop_map(|(line, end)| format!("{line}{end}").into_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 6000, ..ProptestConfig::default() })]

        #[test]
        fn agrees_with_the_owned_parser(input in line()) {
            same(&input);
        }

        #[test]
        fn agrees_on_every_prefix(input in line()) {
            for end in 0..input.len() {
                same(&input[..end]);
            }
        }

        #[test]
        fn agrees_on_any_bytes(input in prop::collection::vec(any::<u8>(), 0..48)) {
            same(&input);
        }

        /// The word-at-a-time count of value octets is the byte-by-byte one.
        #[test]
        fn value_len_counts_as_bytes_do(input in prop::collection::vec(prop_oneof![any::<u8>(), 33u8..=126], 0..40)) {
            let bytewise = input.iter().position(|c| !matches!(c, 33..=60 | 62..=126)).unwrap_or(input.len());
            prop_assert_eq!(abnf::esmtp_value_len(&input), bytewise);
        }
    }

    #[test]
    fn reads_in_place() {
        let line = b"MAIL FROM:<alice@example.org> SIZE=1000 BODY=8BITMIME\r\n";
        let (rest, view) = command_view(line).expect("parses");
        assert!(rest.is_empty());
        let CommandView::Mail { reverse_path, params } = view else { panic!("{view:?}") };
        assert_eq!(reverse_path, "<alice@example.org>");
        assert_eq!(params.iter().collect::<Vec<_>>(), [("SIZE", Some("1000")), ("BODY", Some("8BITMIME"))]);
        for line in [
            &b"EHLO client.example.org\r\n"[..],
            b"RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net\r\n",
            b"RCPT TO:<Postmaster>\r\n",
            b"MAIL FROM:<>\r\n",
            b"MAIL FROM:<@relay.example:a@b.example>\r\n",
            b"RCPT TO:<\"a b\"@[192.0.2.1]>\r\n",
            b"AUTH PLAIN AGFsaWNlAHB3\r\n",
            b"BDAT 100 LAST\r\n",
            b"NOOP hello\r\n",
        ] {
            same(line);
            assert!(command_view(line).is_ok(), "{}", String::from_utf8_lossy(line));
        }
        for bad in [&b"MAIL FROM:<alice@example.org> SIZE=1 SIZE=2\r\n"[..], b"EHLO -bad-\r\n", b"FOO\r\n"] {
            same(bad);
            assert!(command_view(bad).is_err());
        }
    }
}
