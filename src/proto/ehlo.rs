//! The EHLO reply: the server's name and its service extensions (RFC 5321 §4.1.1.1).
//!
//! ```text
//! ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
//!             / ( "250-" Domain [ SP ehlo-greet ] CRLF
//!                 *( "250-" ehlo-line CRLF )
//!                 "250" SP ehlo-line CRLF )
//! ehlo-line    = ehlo-keyword *( SP ehlo-param )
//! ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
//! ehlo-param   = 1*(%d33-126)
//! ```

use std::fmt;

use super::{EnhancedStatusCode, Reply, ReplyCode, reply::ReplyView, sasl::Mechanism};

/// One advertised service extension.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Capability {
    /// `SIZE [limit]` (RFC 1870 §4); no number or 0 means no fixed limit.
    Size(Option<u64>),
    /// `8BITMIME` (RFC 6152)
    EightBitMime,
    /// `PIPELINING` (RFC 2920)
    Pipelining,
    /// `STARTTLS` (RFC 3207)
    StartTls,
    /// `AUTH mech...` (RFC 4954 §3)
    Auth(Vec<Mechanism>),
    /// `DSN` (RFC 3461)
    Dsn,
    /// `SMTPUTF8` (RFC 6531)
    SmtpUtf8,
    /// `ENHANCEDSTATUSCODES` (RFC 2034)
    EnhancedStatusCodes,
    /// `CHUNKING` (RFC 3030)
    Chunking,
    /// `BINARYMIME` (RFC 3030)
    BinaryMime,
    /// `HELP`
    Help,
    /// Anything else, as written.
    Other { keyword: String, params: Vec<String> },
}

impl Capability {
    /// Parses one `ehlo-line`; `None` if the keyword does not fit the grammar. Known
    /// keywords are matched in place: a client reads an EHLO reply in every session.
    pub fn parse(line: &str) -> Option<Self> {
        let mut words = line.split(' ').filter(|w| !w.is_empty());
        let keyword = words.next()?;
        let keyword_ok = keyword.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && keyword.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !keyword_ok {
            return None;
        }
        let is = |name: &str| keyword.eq_ignore_ascii_case(name);
        Some(if is("SIZE") {
            Capability::Size(words.next().and_then(|p| p.parse().ok()).filter(|&n: &u64| n > 0))
        } else if is("8BITMIME") {
            Capability::EightBitMime
        } else if is("PIPELINING") {
            Capability::Pipelining
        } else if is("STARTTLS") {
            Capability::StartTls
        } else if is("AUTH") {
            Capability::Auth(words.map(Mechanism::from_name).collect())
        } else if is("DSN") {
            Capability::Dsn
        } else if is("SMTPUTF8") {
            Capability::SmtpUtf8
        } else if is("ENHANCEDSTATUSCODES") {
            Capability::EnhancedStatusCodes
        } else if is("CHUNKING") {
            Capability::Chunking
        } else if is("BINARYMIME") {
            Capability::BinaryMime
        } else if is("HELP") {
            Capability::Help
        } else {
            Capability::Other { keyword: keyword.to_owned(), params: words.map(str::to_owned).collect() }
        })
    }

    /// The keyword, upper case, as the RFC spells it.
    pub fn keyword(&self) -> &str {
        match self {
            Capability::Size(_) => "SIZE",
            Capability::EightBitMime => "8BITMIME",
            Capability::Pipelining => "PIPELINING",
            Capability::StartTls => "STARTTLS",
            Capability::Auth(_) => "AUTH",
            Capability::Dsn => "DSN",
            Capability::SmtpUtf8 => "SMTPUTF8",
            Capability::EnhancedStatusCodes => "ENHANCEDSTATUSCODES",
            Capability::Chunking => "CHUNKING",
            Capability::BinaryMime => "BINARYMIME",
            Capability::Help => "HELP",
            Capability::Other { keyword, .. } => keyword,
        }
    }

    /// The `ehlo-line`, as [`fmt::Display`] writes it; a keyword alone is copied as it is
    /// (a server writes its extensions in every session).
    pub fn to_line(&self) -> String {
        match self {
            Capability::Size(Some(_)) | Capability::Auth(_) | Capability::Other { .. } => {
                use fmt::Write as _;
                // Room for the keyword and a parameter or two, so the line is allocated once.
                let mut line = String::with_capacity(self.keyword().len() + 16);
                // Writing to a String cannot fail.
                let _ = write!(line, "{self}");
                line
            }
            _ => self.keyword().to_owned(),
        }
    }

    /// What the extension is for, and the RFC that defines it.
    pub fn explain(&self) -> (&'static str, &'static str) {
        match self {
            Capability::Size(_) => ("declares the largest message the server accepts", "RFC 1870"),
            Capability::EightBitMime => ("accepts 8-bit message bodies (BODY=8BITMIME)", "RFC 6152"),
            Capability::Pipelining => ("lets the client send several commands without waiting", "RFC 2920"),
            Capability::StartTls => ("can upgrade the connection to TLS", "RFC 3207"),
            Capability::Auth(_) => ("accepts these SASL authentication mechanisms", "RFC 4954"),
            Capability::Dsn => ("returns delivery status notifications on request", "RFC 3461"),
            Capability::SmtpUtf8 => ("accepts UTF-8 addresses and headers", "RFC 6531"),
            Capability::EnhancedStatusCodes => ("adds class.subject.detail codes to replies", "RFC 2034"),
            Capability::Chunking => ("accepts the message in BDAT chunks", "RFC 3030"),
            Capability::BinaryMime => ("accepts binary bodies sent with BDAT", "RFC 3030"),
            Capability::Help => ("answers HELP", "RFC 5321 §4.1.1.8"),
            Capability::Other { .. } => ("an extension this playground does not know", "RFC 5321 §4.1.1.1"),
        }
    }
}

/// Where the keyword and each parameter of an `ehlo-line` lie (byte offsets into `line`),
/// with the capability [`Capability::parse`] reads from it: `ehlo-line = ehlo-keyword
/// *( SP ehlo-param )` (RFC 5321 §4.1.1.1). `None` when the keyword does not fit the grammar.
pub fn ehlo_line_spans(
    line: &str,
) -> Option<(Capability, std::ops::Range<usize>, Vec<std::ops::Range<usize>>)> {
    let capability = Capability::parse(line)?;
    // The same words `Capability::parse` reads: split on SP, empty words skipped.
    let mut words = Vec::new();
    let mut pos = 0;
    for word in line.split(' ') {
        if !word.is_empty() {
            words.push(pos..pos + word.len());
        }
        pos += word.len() + 1;
    }
    let mut words = words.into_iter();
    let keyword = words.next()?;
    Some((capability, keyword, words.collect()))
}

impl fmt::Display for Capability {
    /// The `ehlo-line`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())?;
        match self {
            Capability::Size(Some(limit)) => write!(f, " {limit}"),
            Capability::Auth(mechanisms) => mechanisms.iter().try_for_each(|m| write!(f, " {}", m.name())),
            Capability::Other { params, .. } => params.iter().try_for_each(|p| write!(f, " {p}")),
            _ => Ok(()),
        }
    }
}

/// The positive EHLO reply, typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EhloReply {
    /// The server's name, the first word of the first line.
    pub domain: String,
    /// `ehlo-greet`: the rest of the first line.
    pub greet: Option<String>,
    pub capabilities: Vec<Capability>,
}

impl EhloReply {
    /// Reads a 250 reply to EHLO; `None` for any other code. Lines that are not
    /// `ehlo-line`s are skipped, as a client should tolerate them.
    pub fn from_reply(reply: &Reply) -> Option<Self> {
        let lines = reply.lines.iter().map(String::as_str);
        Self::from_lines(reply.code, reply.enhanced, lines, reply.lines.len())
    }

    /// [`EhloReply::from_reply`] for a reply read in place.
    pub fn from_view(reply: &ReplyView<'_>) -> Option<Self> {
        Self::from_lines(reply.code, reply.enhanced, reply.lines(), reply.line_count())
    }

    /// The reply of `count` lines.
    fn from_lines<'a>(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        mut lines: impl Iterator<Item = &'a str>,
        count: usize,
    ) -> Option<Self> {
        if code != ReplyCode::OK {
            return None;
        }
        let first = lines.next()?;
        let mut rest = lines.peekable();
        // RFC 2034 §4 exempts the EHLO reply from enhanced codes, so what looks like one at
        // the start of a one-line reply is the server's domain ("250 2.0.0 x"): give it back.
        // On every line of a longer reply it is a quirky server's code, and is left off.
        let first = match (enhanced, rest.peek().is_none()) {
            (Some(code), true) if first.is_empty() => code.to_string(),
            (Some(code), true) => format!("{code} {first}"),
            _ => first.to_owned(),
        };
        // A space with nothing after it is no `ehlo-greet`: "250-example.net \r\n" has none,
        // as "250 example.net" has none (a greeting of "" would not survive being sent again).
        let (domain, greet) = match first.split_once(' ') {
            Some((domain, greet)) => (domain.to_owned(), Some(greet.to_owned()).filter(|g| !g.is_empty())),
            None => (first, None),
        };
        let mut capabilities = Vec::with_capacity(count.saturating_sub(1));
        capabilities.extend(rest.filter_map(Capability::parse));
        Some(Self { domain, greet, capabilities })
    }

    /// The reply as the server sends it (no enhanced codes: RFC 2034 §4 exempts EHLO).
    pub fn to_reply(&self) -> Reply {
        let mut first = self.domain.clone();
        if let Some(greet) = &self.greet {
            first.push(' ');
            first.push_str(greet);
        }
        let mut lines = Vec::with_capacity(1 + self.capabilities.len());
        lines.push(first);
        lines.extend(self.capabilities.iter().map(Capability::to_line));
        Reply { code: ReplyCode::OK, enhanced: None, lines }
    }

    /// The capability with `keyword`, if advertised.
    pub fn get(&self, keyword: &str) -> Option<&Capability> {
        self.capabilities.iter().find(|c| c.keyword().eq_ignore_ascii_case(keyword))
    }

    pub fn has(&self, keyword: &str) -> bool {
        self.get(keyword).is_some()
    }

    /// The SIZE limit, if one is declared.
    pub fn size_limit(&self) -> Option<u64> {
        self.capabilities.iter().find_map(|c| if let Capability::Size(limit) = c { *limit } else { None })
    }

    /// The advertised AUTH mechanisms (empty if AUTH is not offered).
    pub fn auth_mechanisms(&self) -> &[Mechanism] {
        self.capabilities
            .iter()
            .find_map(|c| if let Capability::Auth(m) = c { Some(m.as_slice()) } else { None })
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reply::reply;

    #[test]
    fn postfix_style_ehlo_reply_round_trips() {
        let wire = b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n\
250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";
        let (_, parsed) = reply(wire).expect("reply");
        let ehlo = EhloReply::from_reply(&parsed).expect("ehlo");
        assert_eq!(ehlo.domain, "mx.example.net");
        assert_eq!(ehlo.size_limit(), Some(10_240_000));
        assert_eq!(ehlo.auth_mechanisms(), [Mechanism::Plain, Mechanism::Login]);
        assert!(ehlo.has("pipelining") && ehlo.has("CHUNKING") && !ehlo.has("BINARYMIME"));
        assert_eq!(ehlo.to_reply().to_bytes(), wire);
    }

    #[test]
    fn line_spans_find_keyword_and_parameters() {
        let (capability, keyword, params) = ehlo_line_spans("AUTH PLAIN  LOGIN").expect("valid");
        assert_eq!(capability, Capability::Auth(vec![Mechanism::Plain, Mechanism::Login]));
        assert_eq!((keyword, params), (0..4, vec![5..10, 12..17]));
        assert_eq!(ehlo_line_spans("=junk"), None);
    }

    #[test]
    fn unknown_keywords_are_kept_and_junk_skipped() {
        assert_eq!(
            Capability::parse("X-EXPS GSSAPI NTLM"),
            Some(Capability::Other {
                keyword: "X-EXPS".into(),
                params: vec!["GSSAPI".into(), "NTLM".into()]
            })
        );
        assert_eq!(Capability::parse("=junk"), None);
        assert_eq!(Capability::parse("SIZE"), Some(Capability::Size(None)));
    }
}
