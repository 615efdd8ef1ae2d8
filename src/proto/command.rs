//! SMTP commands (RFC 5321 §4.1.1) and the extension verbs STARTTLS (RFC 3207), AUTH
//! (RFC 4954) and BDAT (RFC 3030), each parser beside its serializer.
//!
//! Two entry points: [`command`], a streaming nom parser (truncated input is
//! `Incomplete`), and [`parse_command_line`], which classifies what is wrong with a
//! complete line the way a server must answer it: unknown verb (500), bad arguments
//! (501), malformed parameters (501).

use std::fmt;

use nom::{
    IResult, Parser,
    bytes::streaming::{tag_no_case, take_while, take_while1},
    combinator::opt,
    sequence::preceded,
};

use super::abnf::{self, crlf, sp};
use super::address::{ForwardPath, Host, ReversePath, forward_path, host, reverse_path};
use super::params::{MailParameters, ParamError, RcptParameters};
use super::sasl::{Mechanism, SaslResponse};

/// The longest command line, verb to CRLF (RFC 5321 §4.5.3.1.4).
pub const MAX_COMMAND_LINE_OCTETS: usize = 512;

/// A command line sent by an SMTP client.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    /// `helo = "HELO" SP Domain CRLF` (§4.1.1.1); an address literal is accepted too,
    /// as §4.1.4 asks clients without a name to send one.
    Helo(Host),
    /// `ehlo = "EHLO" SP ( Domain / address-literal ) CRLF` (§4.1.1.1)
    Ehlo(Host),
    /// `mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF` (§4.1.1.2)
    Mail { reverse_path: ReversePath, params: MailParameters },
    /// `rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
    /// [SP Rcpt-parameters] CRLF` (§4.1.1.3)
    Rcpt { forward_path: ForwardPath, params: RcptParameters },
    /// `data = "DATA" CRLF` (§4.1.1.4)
    Data,
    /// `bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CRLF` (RFC 3030 §2)
    Bdat { size: u64, last: bool },
    /// `rset = "RSET" CRLF` (§4.1.1.5)
    Rset,
    /// `vrfy = "VRFY" SP String CRLF` (§4.1.1.6)
    Vrfy(String),
    /// `expn = "EXPN" SP String CRLF` (§4.1.1.7)
    Expn(String),
    /// `help = "HELP" [ SP String ] CRLF` (§4.1.1.8)
    Help(Option<String>),
    /// `noop = "NOOP" [ SP String ] CRLF` (§4.1.1.9)
    Noop(Option<String>),
    /// `quit = "QUIT" CRLF` (§4.1.1.10)
    Quit,
    /// `"STARTTLS" CRLF` (RFC 3207 §4)
    StartTls,
    /// `auth-command = "AUTH" SP sasl-mech [SP initial-response]` (RFC 4954 §4)
    Auth { mechanism: Mechanism, initial_response: Option<SaslResponse> },
}

/// The verbs, for classifying errors and for the UI's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Verb {
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Vrfy,
    Expn,
    Help,
    Noop,
    Quit,
    StartTls,
    Auth,
}

impl Verb {
    pub const ALL: [Verb; 14] = [
        Verb::Helo,
        Verb::Ehlo,
        Verb::Mail,
        Verb::Rcpt,
        Verb::Data,
        Verb::Bdat,
        Verb::Rset,
        Verb::Vrfy,
        Verb::Expn,
        Verb::Help,
        Verb::Noop,
        Verb::Quit,
        Verb::StartTls,
        Verb::Auth,
    ];

    /// The verb as the RFC spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Helo => "HELO",
            Verb::Ehlo => "EHLO",
            Verb::Mail => "MAIL",
            Verb::Rcpt => "RCPT",
            Verb::Data => "DATA",
            Verb::Bdat => "BDAT",
            Verb::Rset => "RSET",
            Verb::Vrfy => "VRFY",
            Verb::Expn => "EXPN",
            Verb::Help => "HELP",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::StartTls => "STARTTLS",
            Verb::Auth => "AUTH",
        }
    }

    /// The verb's syntax, as a 501 reply or the console's hint shows it.
    pub fn syntax(self) -> &'static str {
        match self {
            Verb::Helo => "HELO domain",
            Verb::Ehlo => "EHLO domain-or-[address-literal]",
            Verb::Mail => "MAIL FROM:<address> [parameters]",
            Verb::Rcpt => "RCPT TO:<address> [parameters]",
            Verb::Data => "DATA",
            Verb::Bdat => "BDAT size [LAST]",
            Verb::Rset => "RSET",
            Verb::Vrfy => "VRFY user-or-address",
            Verb::Expn => "EXPN list",
            Verb::Help => "HELP [topic]",
            Verb::Noop => "NOOP [text]",
            Verb::Quit => "QUIT",
            Verb::StartTls => "STARTTLS",
            Verb::Auth => "AUTH mechanism [initial-response]",
        }
    }

    /// The RFC section that defines the verb.
    pub fn rfc_section(self) -> &'static str {
        match self {
            Verb::Helo | Verb::Ehlo => "RFC 5321 §4.1.1.1",
            Verb::Mail => "RFC 5321 §4.1.1.2",
            Verb::Rcpt => "RFC 5321 §4.1.1.3",
            Verb::Data => "RFC 5321 §4.1.1.4",
            Verb::Bdat => "RFC 3030 §2",
            Verb::Rset => "RFC 5321 §4.1.1.5",
            Verb::Vrfy => "RFC 5321 §4.1.1.6",
            Verb::Expn => "RFC 5321 §4.1.1.7",
            Verb::Help => "RFC 5321 §4.1.1.8",
            Verb::Noop => "RFC 5321 §4.1.1.9",
            Verb::Quit => "RFC 5321 §4.1.1.10",
            Verb::StartTls => "RFC 3207 §4",
            Verb::Auth => "RFC 4954 §4",
        }
    }

    /// The verb `word` names, ignoring case (RFC 5321 §2.4). Every verb but STARTTLS has
    /// four letters: those are read as one number with bit 5 of each byte cleared, which
    /// upper-cases a letter and maps nothing else onto one (this runs for every command line).
    pub fn from_word(word: &[u8]) -> Option<Self> {
        let &[a, b, c, d] = word else {
            return word.eq_ignore_ascii_case(b"STARTTLS").then_some(Verb::StartTls);
        };
        const fn key(name: &[u8; 4]) -> u32 {
            u32::from_be_bytes(*name)
        }
        // The most frequent first: a transaction is MAIL, RCPT (often several) and DATA.
        Some(match u32::from_be_bytes([a, b, c, d]) & 0xdfdf_dfdf {
            k if k == key(b"RCPT") => Verb::Rcpt,
            k if k == key(b"MAIL") => Verb::Mail,
            k if k == key(b"DATA") => Verb::Data,
            k if k == key(b"EHLO") => Verb::Ehlo,
            k if k == key(b"RSET") => Verb::Rset,
            k if k == key(b"QUIT") => Verb::Quit,
            k if k == key(b"NOOP") => Verb::Noop,
            k if k == key(b"HELO") => Verb::Helo,
            k if k == key(b"BDAT") => Verb::Bdat,
            k if k == key(b"AUTH") => Verb::Auth,
            k if k == key(b"VRFY") => Verb::Vrfy,
            k if k == key(b"EXPN") => Verb::Expn,
            k if k == key(b"HELP") => Verb::Help,
            _ => return None,
        })
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with a complete command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// No such verb (500, RFC 5321 §4.2.4). Holds the word as seen, lossily decoded.
    UnknownVerb(String),
    /// The verb is known but its arguments do not fit its grammar (501).
    Syntax { verb: Verb, expected: &'static str },
    /// A parameter is malformed or repeated (501, RFC 3461 §4.5).
    Param { verb: Verb, error: ParamError },
    /// The line does not end in CRLF (or is not complete).
    Incomplete,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::UnknownVerb(word) => write!(f, "unknown command {word:?}"),
            CommandError::Syntax { verb, expected } => write!(f, "{verb}: expected {expected}"),
            CommandError::Param { verb, error } => write!(f, "{verb}: {error}"),
            CommandError::Incomplete => f.write_str("incomplete command line"),
        }
    }
}

impl std::error::Error for CommandError {}

/// The verb: letters up to SP or CRLF.
pub(super) fn verb(input: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while1(|b: u8| b.is_ascii_alphabetic()).parse(input)
}

/// The argument of VRFY, EXPN, HELP and NOOP, kept as written. The grammar says
/// `String = Atom / Quoted-string`, but real clients send `VRFY user@example.com` and
/// servers accept it, so any printable text up to CRLF is taken.
pub(super) fn free_text(input: &[u8]) -> IResult<&[u8], &str> {
    let (rest, text) =
        take_while1(|b: u8| b == b'\t' || (32..=126).contains(&b) || abnf::is_utf8_non_ascii(b))
            .parse(input)?;
    match std::str::from_utf8(text) {
        Ok(text) => Ok((rest, text)),
        Err(_) => Err(abnf::error(input, nom::error::ErrorKind::MapRes)),
    }
}

/// BDAT's arguments and CRLF: `SP chunk-size [ SP end-marker ]` (RFC 3030 §2).
pub(super) fn bdat_arguments(input: &[u8]) -> IResult<&[u8], (u64, bool)> {
    let (input, (_, digits, last, _)) =
        (sp, take_while1(|b: u8| b.is_ascii_digit()), opt(preceded(sp, tag_no_case("LAST"))), crlf)
            .parse(input)?;
    let size = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| abnf::error(input, nom::error::ErrorKind::Digit))?;
    Ok((input, (size, last.is_some())))
}

/// AUTH's arguments and CRLF: `SP sasl-mech [SP initial-response]` (RFC 4954 §4), the
/// mechanism's name and the initial response as written and decoded.
#[allow(clippy::type_complexity)]
pub(super) fn auth_arguments(input: &[u8]) -> IResult<&[u8], (&str, Option<(&str, SaslResponse)>)> {
    let (input, (_, mechanism, response, _)) = (
        sp,
        take_while1(|b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        opt(preceded(sp, take_while(|b: u8| b.is_ascii_alphanumeric() || b"+/=".contains(&b)))),
        crlf,
    )
        .parse(input)?;
    let name = std::str::from_utf8(mechanism).unwrap_or_default();
    if !Mechanism::is_valid_name(name) {
        return Err(abnf::error(input, nom::error::ErrorKind::Verify));
    }
    let response = match response {
        Some(text) => Some((
            std::str::from_utf8(text).unwrap_or_default(),
            SaslResponse::parse(text).ok_or_else(|| abnf::error(input, nom::error::ErrorKind::Verify))?,
        )),
        None => None,
    };
    Ok((input, (name, response)))
}

/// The arguments of `verb`, up to and including the CRLF.
fn arguments(verb: Verb, input: &[u8]) -> IResult<&[u8], Result<Command, ParamError>> {
    let ok = |(rest, cmd)| Ok((rest, Ok(cmd)));
    match verb {
        Verb::Helo => ok((preceded(sp, host), crlf).parse(input).map(|(r, (h, _))| (r, Command::Helo(h)))?),
        Verb::Ehlo => ok((preceded(sp, host), crlf).parse(input).map(|(r, (h, _))| (r, Command::Ehlo(h)))?),
        Verb::Mail => {
            // `"MAIL FROM:"`; one SP after the colon is tolerated, as Postfix does.
            let (input, (_, _, path, pairs, _)) =
                (tag_no_case(" FROM:"), opt(sp), reverse_path, abnf::esmtp_params, crlf).parse(input)?;
            Ok((
                input,
                MailParameters::from_pairs(&pairs).map(|params| Command::Mail { reverse_path: path, params }),
            ))
        }
        Verb::Rcpt => {
            let (input, (_, _, path, pairs, _)) =
                (tag_no_case(" TO:"), opt(sp), forward_path, abnf::esmtp_params, crlf).parse(input)?;
            Ok((
                input,
                RcptParameters::from_pairs(&pairs).map(|params| Command::Rcpt { forward_path: path, params }),
            ))
        }
        Verb::Bdat => {
            let (input, (size, last)) = bdat_arguments(input)?;
            ok((input, Command::Bdat { size, last }))
        }
        Verb::Vrfy | Verb::Expn => {
            let (input, (_, arg, _)) = (sp, free_text, crlf).parse(input)?;
            let arg = arg.to_owned();
            ok((input, if verb == Verb::Vrfy { Command::Vrfy(arg) } else { Command::Expn(arg) }))
        }
        Verb::Help | Verb::Noop => {
            let (input, (arg, _)) = (opt(preceded(sp, free_text)), crlf).parse(input)?;
            let arg = arg.map(str::to_owned);
            ok((input, if verb == Verb::Help { Command::Help(arg) } else { Command::Noop(arg) }))
        }
        Verb::Auth => {
            let (input, (name, response)) = auth_arguments(input)?;
            let initial_response = response.map(|(_, decoded)| decoded);
            ok((input, Command::Auth { mechanism: Mechanism::from_name(name), initial_response }))
        }
        Verb::Data | Verb::Rset | Verb::Quit | Verb::StartTls => {
            let (input, _) = crlf(input)?;
            ok((
                input,
                match verb {
                    Verb::Data => Command::Data,
                    Verb::Rset => Command::Rset,
                    Verb::Quit => Command::Quit,
                    _ => Command::StartTls,
                },
            ))
        }
    }
}

/// `command = verb [arguments] CRLF`: one complete command line. Verbs are
/// case-insensitive (RFC 5321 §2.4). Truncated input answers [`nom::Err::Incomplete`].
pub fn command(input: &[u8]) -> IResult<&[u8], Command> {
    let (rest, word) = verb(input)?;
    let Some(verb) = Verb::from_word(word) else {
        return Err(abnf::error(input, nom::error::ErrorKind::Tag));
    };
    match arguments(verb, rest)? {
        (rest, Ok(command)) => Ok((rest, command)),
        (_, Err(_)) => Err(abnf::error(input, nom::error::ErrorKind::Verify)),
    }
}

/// Parses one complete line (CRLF included) and says what is wrong with it, if anything.
pub fn parse_command_line(line: &[u8]) -> Result<Command, CommandError> {
    let word_end = line.iter().position(|&b| b == b' ' || b == b'\r' || b == b'\n').unwrap_or(line.len());
    let word = &line[..word_end];
    let Some(verb) = Verb::from_word(word) else {
        return Err(CommandError::UnknownVerb(String::from_utf8_lossy(word).into_owned()));
    };
    match arguments(verb, &line[word_end..]) {
        Ok((b"", Ok(command))) => Ok(command),
        Ok((_, Err(error))) => Err(CommandError::Param { verb, error }),
        Err(nom::Err::Incomplete(_)) if !line.ends_with(b"\r\n") => Err(CommandError::Incomplete),
        _ => Err(CommandError::Syntax { verb, expected: verb.syntax() }),
    }
}

/// The grammar element a stretch of a command line was parsed as (RFC 5321 §4.1.1, §4.1.2),
/// so that a viewer can label every byte with the rule the parser used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandPart {
    /// The command verb, e.g. `MAIL`.
    Verb,
    /// `SP`, one space between elements.
    Sp,
    /// `"FROM:"` of `MAIL FROM:` (§4.1.1.2).
    FromKeyword,
    /// `"TO:"` of `RCPT TO:` (§4.1.1.3).
    ToKeyword,
    /// `Reverse-path = Path / "<>"` (§4.1.2).
    ReversePath,
    /// `Forward-path = Path` (§4.1.2), or `<Postmaster>`.
    ForwardPath,
    /// `esmtp-keyword` of an `esmtp-param` (§4.1.2).
    EsmtpKeyword,
    /// The `"="` between an ESMTP keyword and its value.
    Equals,
    /// `esmtp-value` (§4.1.2).
    EsmtpValue,
    /// `Domain / address-literal` of HELO and EHLO (§4.1.1.1).
    Host,
    /// The `String` argument of VRFY, EXPN, HELP and NOOP.
    Argument,
    /// `chunk-size` of BDAT (RFC 3030 §2).
    ChunkSize,
    /// `end-marker = "LAST"` of BDAT (RFC 3030 §2).
    EndMarker,
    /// `sasl-mech` of AUTH (RFC 4954 §4).
    Mechanism,
    /// `initial-response` of AUTH, base64 (RFC 4954 §4).
    InitialResponse,
    /// The `CRLF` that ends the line.
    Crlf,
}

/// One element of a command line: what it is and where it lies (byte offsets into the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpan {
    pub part: CommandPart,
    pub range: std::ops::Range<usize>,
}

/// Walks a command line with the same parsers as [`arguments`], recording where each ends.
struct SpanWalk<'a> {
    line: &'a [u8],
    pos: usize,
    spans: Vec<CommandSpan>,
}

impl<'a> SpanWalk<'a> {
    fn rest(&self) -> &'a [u8] {
        self.line.get(self.pos..).unwrap_or_default()
    }

    /// Runs `parser` at the current position; on success records its span as `part`.
    fn take<O>(
        &mut self,
        part: CommandPart,
        mut parser: impl Parser<&'a [u8], Output = O, Error = nom::error::Error<&'a [u8]>>,
    ) -> bool {
        let rest = self.rest();
        let Ok((after, _)) = parser.parse(rest) else { return false };
        let end = self.pos + (rest.len() - after.len());
        self.spans.push(CommandSpan { part, range: self.pos..end });
        self.pos = end;
        true
    }

    fn at_sp(&self) -> bool {
        self.rest().first() == Some(&b' ')
    }

    /// `*(SP esmtp-param)`, each keyword, `=` and value as its own span.
    fn esmtp_params(&mut self) {
        while self.at_sp() && self.take(CommandPart::Sp, sp) {
            if !self.take(CommandPart::EsmtpKeyword, abnf::esmtp_keyword) {
                return;
            }
            if self.take(CommandPart::Equals, nom::bytes::streaming::tag("=")) {
                self.take(CommandPart::EsmtpValue, abnf::esmtp_value);
            }
        }
    }

    /// The elements after the verb, following the grammar of each verb (see [`arguments`]).
    fn arguments(&mut self, verb: Verb) {
        use CommandPart as P;
        match verb {
            Verb::Helo | Verb::Ehlo => {
                self.take(P::Sp, sp);
                self.take(P::Host, host);
            }
            Verb::Mail | Verb::Rcpt => {
                self.take(P::Sp, sp);
                if verb == Verb::Mail {
                    self.take(P::FromKeyword, tag_no_case("FROM:"));
                } else {
                    self.take(P::ToKeyword, tag_no_case("TO:"));
                }
                if self.at_sp() {
                    self.take(P::Sp, sp);
                }
                if verb == Verb::Mail {
                    self.take(P::ReversePath, reverse_path);
                } else {
                    self.take(P::ForwardPath, forward_path);
                }
                self.esmtp_params();
            }
            Verb::Bdat => {
                self.take(P::Sp, sp);
                self.take(P::ChunkSize, take_while1(|b: u8| b.is_ascii_digit()));
                if self.at_sp() && self.take(P::Sp, sp) {
                    self.take(P::EndMarker, tag_no_case("LAST"));
                }
            }
            Verb::Vrfy | Verb::Expn | Verb::Help | Verb::Noop => {
                if self.at_sp() && self.take(P::Sp, sp) {
                    self.take(P::Argument, free_text);
                }
            }
            Verb::Auth => {
                self.take(P::Sp, sp);
                self.take(
                    P::Mechanism,
                    take_while1(|b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                );
                if self.at_sp() && self.take(P::Sp, sp) {
                    self.take(
                        P::InitialResponse,
                        take_while(|b: u8| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
                    );
                }
            }
            Verb::Data | Verb::Rset | Verb::Quit | Verb::StartTls => {}
        }
        self.take(P::Crlf, crlf);
    }
}

/// Parses one complete line like [`parse_command_line`] and also returns where each
/// grammar element lies: verb, SP, `FROM:`, reverse-path, each ESMTP keyword and value,
/// CRLF… The spans are in order, do not overlap and cover the whole line.
pub fn command_spans(line: &[u8]) -> Result<(Command, Vec<CommandSpan>), CommandError> {
    let command = parse_command_line(line)?;
    let verb = command.verb();
    let mut walk = SpanWalk { line, pos: 0, spans: Vec::new() };
    walk.take(CommandPart::Verb, self::verb);
    walk.arguments(verb);
    // The line parsed above, so the walk reaches its end; if it ever did not, the
    // spans would not cover the line, which is a grammar error, not a panic.
    if walk.pos != line.len() {
        return Err(CommandError::Syntax { verb, expected: verb.syntax() });
    }
    Ok((command, walk.spans))
}

impl Command {
    pub fn verb(&self) -> Verb {
        match self {
            Command::Helo(_) => Verb::Helo,
            Command::Ehlo(_) => Verb::Ehlo,
            Command::Mail { .. } => Verb::Mail,
            Command::Rcpt { .. } => Verb::Rcpt,
            Command::Data => Verb::Data,
            Command::Bdat { .. } => Verb::Bdat,
            Command::Rset => Verb::Rset,
            Command::Vrfy(_) => Verb::Vrfy,
            Command::Expn(_) => Verb::Expn,
            Command::Help(_) => Verb::Help,
            Command::Noop(_) => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::StartTls => Verb::StartTls,
            Command::Auth { .. } => Verb::Auth,
        }
    }

    /// The command line without CRLF.
    pub fn to_line(&self) -> String {
        let mut line = String::with_capacity(64);
        self.write_line(&mut line);
        line
    }

    /// Appends [`Command::to_line`] to `out`.
    pub fn write_line(&self, out: &mut String) {
        use fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = match self {
            Command::Helo(host) => write!(out, "HELO {host}"),
            Command::Ehlo(host) => write!(out, "EHLO {host}"),
            Command::Mail { reverse_path, params } => {
                write_mail(out, reverse_path, params);
                Ok(())
            }
            Command::Rcpt { forward_path, params } => {
                write_rcpt(out, forward_path, params);
                Ok(())
            }
            Command::Data => out.write_str("DATA"),
            Command::Bdat { size, last: true } => write!(out, "BDAT {size} LAST"),
            Command::Bdat { size, last: false } => write!(out, "BDAT {size}"),
            Command::Rset => out.write_str("RSET"),
            Command::Vrfy(arg) => write!(out, "VRFY {arg}"),
            Command::Expn(arg) => write!(out, "EXPN {arg}"),
            // An empty argument has no wire form: `HELP` alone.
            Command::Help(Some(arg)) if !arg.is_empty() => write!(out, "HELP {arg}"),
            Command::Help(_) => out.write_str("HELP"),
            Command::Noop(Some(arg)) if !arg.is_empty() => write!(out, "NOOP {arg}"),
            Command::Noop(_) => out.write_str("NOOP"),
            Command::Quit => out.write_str("QUIT"),
            Command::StartTls => out.write_str("STARTTLS"),
            Command::Auth { mechanism, initial_response: None } => write!(out, "AUTH {mechanism}"),
            Command::Auth { mechanism, initial_response: Some(response) } => {
                write!(out, "AUTH {mechanism} {}", response.to_wire())
            }
        };
    }

    /// The command's wire form, CRLF included.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut line = String::with_capacity(64);
        self.write_line(&mut line);
        line.push_str("\r\n");
        line.into_bytes()
    }

    /// Whether the command may be followed by others without waiting for its reply when
    /// PIPELINING is in effect: only the last of EHLO, DATA, VRFY, EXPN, TURN, QUIT,
    /// NOOP, AUTH and STARTTLS may end a group (RFC 2920 §3.1; RFC 3207 §4.2, RFC 4954 §4).
    pub fn may_be_pipelined(&self) -> bool {
        // RFC 4954 §4 lets AUTH with an initial response be followed by MAIL in a group.
        matches!(
            self,
            Command::Mail { .. }
                | Command::Rcpt { .. }
                | Command::Rset
                | Command::Bdat { last: false, .. }
                | Command::Auth { initial_response: Some(_), .. }
        )
    }
}

/// `"MAIL FROM:" Reverse-path [SP Mail-parameters]` (RFC 5321 §4.1.1.2), without CRLF,
/// appended to `out`: the line of [`Command::Mail`], written from borrowed parts (a client
/// sends its envelope's sender as it is, not a copy).
pub fn write_mail(out: &mut String, reverse_path: &ReversePath, params: &MailParameters) {
    use fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(out, "MAIL FROM:{reverse_path}");
    params.write_wire(out);
}

/// `"RCPT TO:" Forward-path [SP Rcpt-parameters]` (RFC 5321 §4.1.1.3), without CRLF,
/// appended to `out` (see [`write_mail`]).
pub fn write_rcpt(out: &mut String, forward_path: &ForwardPath, params: &RcptParameters) {
    use fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(out, "RCPT TO:{forward_path}");
    params.write_wire(out);
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_line())
    }
}

/// The verbs that start with `prefix` (case-insensitive), for the console's completion.
pub fn known_verb_prefixes(prefix: &str) -> Vec<Verb> {
    Verb::ALL.into_iter().filter(|v| v.as_str().starts_with(&prefix.to_ascii_uppercase())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `from_word` finds exactly the verb a case-insensitive comparison with each name finds,
    /// for every verb in every case and for every word one byte away from a verb's name.
    #[test]
    fn verbs_are_found_as_a_case_insensitive_comparison_finds_them() {
        let by_name =
            |word: &[u8]| Verb::ALL.into_iter().find(|v| v.as_str().as_bytes().eq_ignore_ascii_case(word));
        for verb in Verb::ALL {
            let name = verb.as_str().as_bytes();
            for word in [name.to_vec(), name.to_ascii_lowercase(), name.iter().map(|b| b ^ 0x20).collect()] {
                assert_eq!(Verb::from_word(&word), Some(verb), "{word:?}");
            }
            for at in 0..name.len() {
                for byte in 0..=255u8 {
                    let mut word = name.to_vec();
                    word[at] = byte;
                    assert_eq!(Verb::from_word(&word), by_name(&word), "{word:?}");
                }
            }
        }
        for word in [&b""[..], b"MAI", b"MAILS", b"STARTTL", b"starttls "] {
            assert_eq!(Verb::from_word(word), by_name(word), "{word:?}");
        }
    }

    fn parse(wire: &[u8]) -> Command {
        let (rest, cmd) =
            command(wire).unwrap_or_else(|e| panic!("{:?}: {e:?}", String::from_utf8_lossy(wire)));
        assert!(rest.is_empty());
        cmd
    }

    /// Every command in its canonical form: parses, and serializes back byte for byte.
    const CANONICAL: &[&str] = &[
        "HELO example.com",
        "HELO [192.0.2.1]",
        "EHLO mail.example.org",
        "EHLO [IPv6:2001:db8::1]",
        "MAIL FROM:<sender@example.com>",
        "MAIL FROM:<>",
        "MAIL FROM:<a@example.com> SIZE=1000 BODY=8BITMIME",
        "MAIL FROM:<用户@例え.jp> SMTPUTF8",
        "MAIL FROM:<a@example.com> RET=HDRS ENVID=QQ314159",
        "MAIL FROM:<a@example.com> AUTH=<>",
        "MAIL FROM:<a@example.com> AUTH=e+3Dmc2@example.com",
        "MAIL FROM:<\"Joe,Smith\"@example.com>",
        "RCPT TO:<recipient@example.com>",
        "RCPT TO:<Postmaster>",
        "RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.com",
        "RCPT TO:<c@example.com> NOTIFY=NEVER",
        "RCPT TO:<d@[192.0.2.7]> X-UNKNOWN=1",
        "DATA",
        "BDAT 86 LAST",
        "BDAT 0",
        "RSET",
        "VRFY Smith",
        "EXPN \"Example People\"",
        "HELP",
        "HELP MAIL",
        "NOOP",
        "QUIT",
        "STARTTLS",
        "AUTH PLAIN",
        "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm",
        "AUTH LOGIN",
        "AUTH PLAIN =",
    ];

    #[test]
    fn known_answers_round_trip() {
        for line in CANONICAL {
            let wire = format!("{line}\r\n");
            let cmd = parse(wire.as_bytes());
            assert_eq!(cmd.to_bytes(), wire.as_bytes(), "{line}");
        }
    }

    #[test]
    fn every_truncated_prefix_is_incomplete() {
        for line in CANONICAL {
            let wire = format!("{line}\r\n");
            for end in 0..wire.len() {
                let result = command(&wire.as_bytes()[..end]);
                assert!(matches!(result, Err(nom::Err::Incomplete(_))), "{:?}: {result:?}", &wire[..end]);
            }
        }
    }

    #[test]
    fn verbs_are_case_insensitive_and_lenient_forms_accepted() {
        assert_eq!(parse(b"quit\r\n"), Command::Quit);
        assert_eq!(parse(b"mail from:<a@b.example>\r\n").to_line(), "MAIL FROM:<a@b.example>");
        assert_eq!(parse(b"MAIL FROM: <a@b.example>\r\n").to_line(), "MAIL FROM:<a@b.example>");
        assert_eq!(parse(b"Rcpt To:<postmaster>\r\n").to_line(), "RCPT TO:<Postmaster>");
        assert_eq!(parse(b"MAIL FROM:<@relay.example:a@b.example>\r\n").to_line(), "MAIL FROM:<a@b.example>");
        assert_eq!(parse(b"VRFY \"Joe Smith\"\r\n").to_line(), "VRFY \"Joe Smith\"");
    }

    #[test]
    fn errors_are_classified_for_the_reply() {
        let cases: &[(&[u8], CommandError)] = &[
            (b"FROB\r\n", CommandError::UnknownVerb("FROB".into())),
            (b"\x00\xff\r\n", CommandError::UnknownVerb("\0\u{fffd}".into())),
            (b"MAIL FROM:a@b\r\n", CommandError::Syntax { verb: Verb::Mail, expected: Verb::Mail.syntax() }),
            (b"MAIL TO:<a@b>\r\n", CommandError::Syntax { verb: Verb::Mail, expected: Verb::Mail.syntax() }),
            (
                b"RCPT TO:<a@-bad.example>\r\n",
                CommandError::Syntax { verb: Verb::Rcpt, expected: Verb::Rcpt.syntax() },
            ),
            (b"HELO\r\n", CommandError::Syntax { verb: Verb::Helo, expected: Verb::Helo.syntax() }),
            (b"DATA now\r\n", CommandError::Syntax { verb: Verb::Data, expected: Verb::Data.syntax() }),
            (b"BDAT x\r\n", CommandError::Syntax { verb: Verb::Bdat, expected: Verb::Bdat.syntax() }),
            (b"AUTH PLAIN !!!\r\n", CommandError::Syntax { verb: Verb::Auth, expected: Verb::Auth.syntax() }),
            (
                b"MAIL FROM:<a@b.example> SIZE=big\r\n",
                CommandError::Param {
                    verb: Verb::Mail,
                    error: ParamError::BadValue {
                        keyword: "SIZE",
                        expected: "a number of octets (SIZE=12345)",
                    },
                },
            ),
            (
                b"RCPT TO:<a@b.example> NOTIFY=NEVER NOTIFY=NEVER\r\n",
                CommandError::Param { verb: Verb::Rcpt, error: ParamError::Duplicate("NOTIFY".into()) },
            ),
            (b"QUIT", CommandError::Incomplete),
            (b"QUIT\n", CommandError::Syntax { verb: Verb::Quit, expected: "QUIT" }),
        ];
        for (line, expected) in cases {
            assert_eq!(
                parse_command_line(line).as_ref(),
                Err(expected),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn spans_cover_every_canonical_line_in_order() {
        for line in CANONICAL {
            let wire = format!("{line}\r\n");
            let (command, spans) = command_spans(wire.as_bytes()).expect(line);
            assert_eq!(command, parse(wire.as_bytes()), "{line}");
            let mut pos = 0;
            for span in &spans {
                assert_eq!(span.range.start, pos, "{line}: {spans:?}");
                assert!(span.range.end > span.range.start, "{line}: {spans:?}");
                pos = span.range.end;
            }
            assert_eq!(pos, wire.len(), "{line}");
            assert_eq!(spans.first().map(|s| s.part), Some(CommandPart::Verb));
            assert_eq!(spans.last().map(|s| s.part), Some(CommandPart::Crlf));
        }
    }

    #[test]
    fn spans_name_the_mail_parameters() {
        let wire = b"mail from: <a@b.example> SIZE=12 SMTPUTF8\r\n";
        let (_, spans) = command_spans(wire).expect("valid");
        let parts: Vec<(CommandPart, &str)> = spans
            .iter()
            .map(|s| (s.part, std::str::from_utf8(&wire[s.range.clone()]).unwrap_or("?")))
            .collect();
        use CommandPart as P;
        assert_eq!(
            parts,
            [
                (P::Verb, "mail"),
                (P::Sp, " "),
                (P::FromKeyword, "from:"),
                (P::Sp, " "),
                (P::ReversePath, "<a@b.example>"),
                (P::Sp, " "),
                (P::EsmtpKeyword, "SIZE"),
                (P::Equals, "="),
                (P::EsmtpValue, "12"),
                (P::Sp, " "),
                (P::EsmtpKeyword, "SMTPUTF8"),
                (P::Crlf, "\r\n"),
            ]
        );
        assert_eq!(command_spans(b"FROB\r\n"), Err(CommandError::UnknownVerb("FROB".into())));
    }

    #[test]
    fn local_part_over_64_octets_is_a_syntax_error() {
        let line = format!("RCPT TO:<{}@example.com>\r\n", "x".repeat(65));
        assert!(matches!(
            parse_command_line(line.as_bytes()),
            Err(CommandError::Syntax { verb: Verb::Rcpt, .. })
        ));
    }
}
