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

/// The common lines, read by hand in one pass over ASCII bytes: `Some` only for a line the
/// general reader ([`command_view_general`]) accepts with the same view (a property test
/// holds the two together); `None` hands anything else to it, which then says precisely
/// what is wrong, or that the line is incomplete.
///
/// Every rule here takes ASCII only and none takes CR, so a rule's run ends at the line's
/// end: the reader needs no separate search for CRLF, and checks the line as UTF-8 once,
/// when its parts are known.
mod fast {
    use super::{CommandView, Params};
    use crate::proto::abnf::class::{ATEXT, DOT, HYPHEN, LDH, LET_DIG};
    use crate::proto::abnf::{self, CLASSES};
    use crate::proto::address::{Domain, MAX_DOMAIN_OCTETS};
    use crate::proto::command::Verb;
    use crate::proto::params::{MailParameters, RcptParameters};
    use crate::proto::sasl::{Mechanism, SaslResponse};

    /// Where the run of bytes in `class` that starts at `at` ends.
    fn run(bytes: &[u8], mut at: usize, class: u8) -> usize {
        while let Some(&b) = bytes.get(at) {
            if CLASSES[usize::from(b)] & class == 0 {
                break;
            }
            at += 1;
        }
        at
    }

    /// Dot-separated words of `class` at `start`, in one pass (a loop that ends once, not
    /// once a word): where they end, whether any word is empty (a dot first, last or
    /// after a dot), and every class the octets are in.
    fn dotted(bytes: &[u8], start: usize, class: u8) -> (usize, bool, u8) {
        let (mut at, mut empty, mut seen, mut last) = (start, false, 0, DOT);
        while let Some(&b) = bytes.get(at) {
            let classes = CLASSES[usize::from(b)];
            if classes & (class | DOT) == 0 {
                break;
            }
            empty |= classes & last & DOT != 0;
            seen |= classes;
            last = classes;
            at += 1;
        }
        (at, empty || last & DOT != 0, seen)
    }

    /// Where the ASCII `Domain` of LDH labels at `start` ends, if [`Domain::new`] accepts it.
    fn domain(bytes: &[u8], start: usize) -> Option<usize> {
        let (end, empty, seen) = dotted(bytes, start, LDH);
        let name = bytes.get(start..end)?;
        if empty || name.len() > MAX_DOMAIN_OCTETS {
            return None;
        }
        // Without a hyphen (so no A-label) and too short for a label over 63 octets, it is a
        // domain; anything else gets the domain's own check.
        if (seen & HYPHEN != 0 || name.len() > 63) && !Domain::is_valid(std::str::from_utf8(name).ok()?) {
            return None;
        }
        Some(end)
    }

    /// Where `<dot-string@domain>` (or `special`: `<>`, `<Postmaster>`) at `at` ends.
    fn path(bytes: &[u8], at: usize, special: &[u8]) -> Option<usize> {
        // The special path's second octet first: most paths are mailboxes, and one
        // comparison tells them apart.
        let second = bytes.get(at + 1).map(u8::to_ascii_uppercase);
        if second == special.get(1).copied()
            && bytes.get(at..at + special.len()).is_some_and(|s| s.eq_ignore_ascii_case(special))
        {
            return Some(at + special.len());
        }
        if bytes.get(at) != Some(&b'<') {
            return None;
        }
        // A dot-string: atoms of atext joined by single dots; at most 64 octets.
        let (local_end, empty, _) = dotted(bytes, at + 1, ATEXT);
        if empty || local_end - (at + 1) > 64 || bytes.get(local_end) != Some(&b'@') {
            return None;
        }
        let host_end = domain(bytes, local_end + 1)?;
        (bytes.get(host_end) == Some(&b'>')).then_some(host_end + 1)
    }

    /// The most parameters the reader keeps track of; a line with more is read by the
    /// general reader.
    const MAX_PARAMS: usize = 8;

    /// Where a parameter's keyword starts and ends, and where its value (after the `=`)
    /// ends: at the keyword's end when there is none.
    type Span = (usize, usize, usize);

    /// `*(SP esmtp-keyword ["=" esmtp-value])` at `at`: where it ends, and how many
    /// parameters it holds, their spans written to `spans`.
    fn params(bytes: &[u8], mut at: usize, spans: &mut [Span; MAX_PARAMS]) -> Option<(usize, usize)> {
        let mut count = 0;
        while bytes.get(at) == Some(&b' ') {
            // A keyword: a letter or digit, then letters, digits and hyphens.
            let start = at + 1;
            if CLASSES[usize::from(*bytes.get(start)?)] & LET_DIG == 0 {
                return None;
            }
            let keyword_end = run(bytes, start, LDH);
            at = keyword_end;
            // Then maybe `=` and a value of one or more octets.
            if bytes.get(at) == Some(&b'=') {
                at = abnf::value_run(bytes, at + 1, b'=');
                if at == keyword_end + 1 {
                    return None;
                }
            }
            *spans.get_mut(count)? = (start, keyword_end, at);
            count += 1;
        }
        Some((at, count))
    }

    /// The text of `bytes` up to `end` if CRLF follows, and the input after the CRLF.
    fn line_to(bytes: &[u8], end: usize) -> Option<(&str, &[u8])> {
        if bytes.get(end..end + 2) != Some(b"\r\n") {
            return None;
        }
        let line = std::str::from_utf8(bytes.get(..end)?).ok()?;
        Some((line, bytes.get(end + 2..)?))
    }

    pub(super) fn command(input: &[u8]) -> Option<(&[u8], CommandView<'_>)> {
        let verb = Verb::from_word(input.get(..4)?)?;
        let view = match verb {
            Verb::Mail | Verb::Rcpt => {
                let mail = verb == Verb::Mail;
                // `" FROM:"` or `" TO:"`, letters in either case: each letter's case bit
                // (0x20) set, the octets then compared with the lower-case form (a fixed
                // comparison; `eq_ignore_ascii_case` was 2-3% slower on the whole corpus).
                let (keyword, case_bits): (&[u8], &[u8]) =
                    if mail { (b" from:", b"\0    \0") } else { (b" to:", b"\0  \0") };
                let mut at = 4 + keyword.len();
                let written = input.get(4..at)?;
                if !written.iter().zip(case_bits).map(|(b, case)| b | case).eq(keyword.iter().copied()) {
                    return None;
                }
                if input.get(at) == Some(&b' ') {
                    at += 1;
                }
                let path_end = path(input, at, if mail { b"<>" } else { b"<Postmaster>" })?;
                let mut spans = [(0, 0, 0); MAX_PARAMS];
                let (end, count) = params(input, path_end, &mut spans)?;
                let (line, rest) = line_to(input, end)?;
                let path = line.get(at..path_end)?;
                let params = Params(line.get(path_end..)?);
                let spans = spans.get(..count)?;
                let pairs = spans.iter().map(|&(start, keyword_end, value_end)| {
                    let keyword = line.get(start..keyword_end).unwrap_or_default();
                    (
                        keyword,
                        (value_end > keyword_end).then(|| line.get(keyword_end + 1..value_end)).flatten(),
                    )
                });
                let view = if mail {
                    MailParameters::check(pairs).ok()?;
                    CommandView::Mail { reverse_path: path, params }
                } else {
                    RcptParameters::check(pairs).ok()?;
                    CommandView::Rcpt { forward_path: path, params }
                };
                return Some((rest, view));
            }
            Verb::Ehlo | Verb::Helo => {
                if input.get(4) != Some(&b' ') {
                    return None;
                }
                let (line, rest) = line_to(input, domain(input, 5)?)?;
                let host = line.get(5..)?;
                let view = if verb == Verb::Ehlo { CommandView::Ehlo(host) } else { CommandView::Helo(host) };
                return Some((rest, view));
            }
            Verb::Auth => {
                // `AUTH mechanism [SP initial-response]`, the response checked as base64
                // without keeping what it decodes to.
                if input.get(4) != Some(&b' ') {
                    return None;
                }
                let (line, rest) = line_to(input, 5 + memchr::memchr(b'\r', input.get(5..)?)?)?;
                let args = line.get(5..)?;
                let (mechanism, response) = match args.split_once(' ') {
                    Some((mechanism, response)) => (mechanism, Some(response)),
                    None => (args, None),
                };
                // Decoding checks the alphabet; `*` (a cancel) is not an initial response.
                if !Mechanism::is_valid_name(mechanism)
                    || response.is_some_and(|r| r == "*" || !SaslResponse::is_valid(r.as_bytes()))
                {
                    return None;
                }
                return Some((rest, CommandView::Auth { mechanism, initial_response: response }));
            }
            Verb::Data => CommandView::Data,
            Verb::Rset => CommandView::Rset,
            Verb::Quit => CommandView::Quit,
            Verb::Noop => CommandView::Noop(None),
            _ => return None,
        };
        // A verb alone.
        let rest = input.get(4..)?.strip_prefix(b"\r\n")?;
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
