//! Trace fields: `Received:` and `Return-Path:` (RFC 5321 §4.4, RFC 5322 §3.6.7).
//!
//! Each SMTP server that accepts a message prepends a `Received:` field saying who handed it
//! over, who took it, how and when; the final delivery adds `Return-Path:` with the envelope
//! sender. Read top to bottom, the fields retrace the message's route backwards.

use std::{fmt, net::IpAddr};

use super::{
    date::{DateError, DateTime, parse_date, skip_comment},
    header::{fold, unfold},
};

/// Why a trace field value does not follow RFC 5321 §4.4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceError {
    /// The grammar wanted `expected` where the text has `saw` (empty at the end).
    Expected {
        /// The field being read: `Received` or `Return-Path`.
        field: &'static str,
        /// What the grammar allows here.
        expected: &'static str,
        /// What the text has instead.
        saw: String,
    },
    /// The `date-time` after the `;` is not valid (RFC 5322 §3.3).
    Date(DateError),
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expected { field, expected, saw } if saw.is_empty() => {
                write!(f, "{field}: expected {expected}, saw the end of the field")
            }
            Self::Expected { field, expected, saw } => write!(f, "{field}: expected {expected}, saw '{saw}'"),
            Self::Date(error) => write!(f, "Received: {error}"),
        }
    }
}

impl std::error::Error for TraceError {}

fn expected(expected: &'static str, saw: &str) -> TraceError {
    TraceError::Expected { field: "Received", expected, saw: saw.to_owned() }
}

/// `Protocol = "ESMTP" / "SMTP" / Attdl-Protocol` (RFC 5321 §4.4), with the names RFC 3848
/// §2 and RFC 6531 §3.7.3 registered for TLS (`S`), AUTH (`A`) and SMTPUTF8 (`UTF8`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Protocol {
    /// `SMTP`: the client greeted with HELO (RFC 5321 §4.4).
    Smtp,
    /// `ESMTP`: the client greeted with EHLO (RFC 5321 §4.4).
    Esmtp,
    /// `ESMTPS`: ESMTP with STARTTLS (RFC 3848 §2).
    Esmtps,
    /// `ESMTPA`: ESMTP with AUTH (RFC 3848 §2).
    Esmtpa,
    /// `ESMTPSA`: ESMTP with STARTTLS and AUTH (RFC 3848 §2).
    Esmtpsa,
    /// `UTF8SMTP`: ESMTP with SMTPUTF8 (RFC 6531 §3.7.3).
    Utf8Smtp,
    /// `UTF8SMTPS`: ESMTP with SMTPUTF8 and STARTTLS (RFC 6531 §3.7.3).
    Utf8Smtps,
    /// `UTF8SMTPA`: ESMTP with SMTPUTF8 and AUTH (RFC 6531 §3.7.3).
    Utf8Smtpa,
    /// `UTF8SMTPSA`: ESMTP with SMTPUTF8, STARTTLS and AUTH (RFC 6531 §3.7.3).
    Utf8Smtpsa,
    /// Any other `Attdl-Protocol = Atom` (RFC 5321 §4.4), e.g. `LMTP` (RFC 3848).
    Other(String),
}

impl Protocol {
    /// The protocol name for a session: `esmtp` if the client used EHLO, `tls` after
    /// STARTTLS, `auth` after a successful AUTH, `utf8` if MAIL carried SMTPUTF8
    /// (RFC 3848 §2, RFC 6531 §3.7.3).
    ///
    /// TLS, AUTH and SMTPUTF8 are ESMTP extensions, so any of them implies ESMTP.
    pub fn from_flags(esmtp: bool, tls: bool, auth: bool, utf8: bool) -> Self {
        match (esmtp || tls || auth || utf8, utf8, tls, auth) {
            (false, ..) => Self::Smtp,
            (true, false, false, false) => Self::Esmtp,
            (true, false, true, false) => Self::Esmtps,
            (true, false, false, true) => Self::Esmtpa,
            (true, false, true, true) => Self::Esmtpsa,
            (true, true, false, false) => Self::Utf8Smtp,
            (true, true, true, false) => Self::Utf8Smtps,
            (true, true, false, true) => Self::Utf8Smtpa,
            (true, true, true, true) => Self::Utf8Smtpsa,
        }
    }

    /// The name as registered, e.g. `ESMTPSA`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Smtp => "SMTP",
            Self::Esmtp => "ESMTP",
            Self::Esmtps => "ESMTPS",
            Self::Esmtpa => "ESMTPA",
            Self::Esmtpsa => "ESMTPSA",
            Self::Utf8Smtp => "UTF8SMTP",
            Self::Utf8Smtps => "UTF8SMTPS",
            Self::Utf8Smtpa => "UTF8SMTPA",
            Self::Utf8Smtpsa => "UTF8SMTPSA",
            Self::Other(name) => name,
        }
    }

    /// Reads a protocol name; the registered ones are case-insensitive, others must be an
    /// `Atom` (RFC 5321 §4.4, RFC 5322 §3.2.3).
    pub fn parse(name: &str) -> Result<Self, TraceError> {
        const KNOWN: [Protocol; 9] = [
            Protocol::Smtp,
            Protocol::Esmtp,
            Protocol::Esmtps,
            Protocol::Esmtpa,
            Protocol::Esmtpsa,
            Protocol::Utf8Smtp,
            Protocol::Utf8Smtps,
            Protocol::Utf8Smtpa,
            Protocol::Utf8Smtpsa,
        ];
        if let Some(known) = KNOWN.into_iter().find(|known| known.as_str().eq_ignore_ascii_case(name)) {
            return Ok(known);
        }
        if name.is_empty() || !name.bytes().all(is_atext) {
            return Err(expected("a protocol name such as ESMTPS after 'with'", name));
        }
        Ok(Self::Other(name.to_owned()))
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Protocol {
    type Err = TraceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// `atext` (RFC 5322 §3.2.3).
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// `TCP-info = address-literal / ( Domain FWS address-literal )` (RFC 5321 §4.4): what the
/// server learned from the connection itself rather than from EHLO.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TcpInfo {
    /// The client's name from a reverse DNS lookup, if there is one.
    pub reverse_dns: Option<String>,
    /// The client's IP address.
    pub ip: IpAddr,
}

impl TcpInfo {
    /// Reads `TCP-info` from a comment's content, or `None` if it is some other comment.
    fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_ascii_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(literal), None, None) => Some(Self { reverse_dns: None, ip: address_literal(literal)? }),
            (Some(name), Some(literal), None) => {
                Some(Self { reverse_dns: Some(name.to_owned()), ip: address_literal(literal)? })
            }
            _ => None,
        }
    }
}

impl fmt::Display for TcpInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.reverse_dns {
            write!(f, "{name} ")?;
        }
        match self.ip {
            IpAddr::V4(ip) => write!(f, "[{ip}]"),
            IpAddr::V6(ip) => write!(f, "[IPv6:{ip}]"),
        }
    }
}

/// `address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]"`
/// (RFC 5321 §4.1.3); a bracketed IPv6 address without its `IPv6:` tag is accepted too.
fn address_literal(text: &str) -> Option<IpAddr> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let tagged = inner.get(..5).filter(|tag| tag.eq_ignore_ascii_case("IPv6:")).and_then(|_| inner.get(5..));
    match tagged {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
        None => inner.parse().ok(),
    }
}

/// A `Received:` trace field (RFC 5321 §4.4, RFC 5322 §3.6.7):
///
/// ```text
/// Stamp          = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
/// From-domain    = "FROM" FWS Extended-Domain
/// By-domain      = CFWS "BY" FWS Extended-Domain
/// Extended-Domain = Domain / ( Domain FWS "(" TCP-info ")" ) /
///                   ( address-literal FWS "(" TCP-info ")" )
/// Opt-info       = [Via] [With] [ID] [For] [Additional-Registered-Clauses]
/// ```
///
/// [`Received::to_field`] writes values as given; they are expected to be domains, atoms and
/// a mailbox as the grammar says (line breaks can never get through: [`fold`] drops them).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Received {
    /// The name the client gave in HELO/EHLO: a domain or an address literal (RFC 5321 §4.4).
    pub from: String,
    /// What the connection said about the client: `(name [ip])` or `([ip])`.
    pub from_tcp_info: Option<TcpInfo>,
    /// The receiving server's own name.
    pub by: String,
    /// `Via = CFWS "VIA" FWS Link`, e.g. `TCP`; rarely used on the Internet.
    pub via: Option<String>,
    /// `With = CFWS "WITH" FWS Protocol`: how the message came in.
    pub with: Option<Protocol>,
    /// `ID = CFWS "ID" FWS ( Atom / msg-id )`: the server's queue id.
    pub id: Option<String>,
    /// `For = CFWS "FOR" FWS ( Path / Mailbox )`: the recipient, without angle brackets;
    /// RFC 5321 §4.4 says to name at most one.
    pub for_path: Option<String>,
    /// When the server accepted the message, and in which zone it writes the time.
    pub date: DateTime,
}

impl Received {
    /// The field `Received: <Stamp> CRLF`, folded to 78-character lines (RFC 5321 §4.4,
    /// RFC 5322 §2.2.3).
    pub fn to_field(&self) -> String {
        fold("Received", &self.stamp())
    }

    /// The unfolded `Stamp`: the field's value (RFC 5321 §4.4).
    pub fn stamp(&self) -> String {
        use std::fmt::Write as _;
        let mut stamp = String::with_capacity(160);
        // Writing to a String cannot fail.
        let _ = write!(stamp, "from {}", self.from);
        if let Some(info) = &self.from_tcp_info {
            let _ = write!(stamp, " ({info})");
        }
        let _ = write!(stamp, " by {}", self.by);
        if let Some(via) = &self.via {
            let _ = write!(stamp, " via {via}");
        }
        if let Some(with) = &self.with {
            let _ = write!(stamp, " with {with}");
        }
        if let Some(id) = &self.id {
            let _ = write!(stamp, " id {id}");
        }
        if let Some(path) = &self.for_path {
            let _ = write!(stamp, " for <{path}>");
        }
        let _ = write!(stamp, "; {}", self.date);
        stamp
    }

    /// Reads a `Received:` field's value (folded or not) back (RFC 5321 §4.4).
    ///
    /// Comments other than the client's `TCP-info` are skipped, as are clauses this type does
    /// not keep (`Additional-Registered-Clauses`); `from` and `by` are required, as in the
    /// grammar. Keywords are case-insensitive.
    pub fn parse(value: &str) -> Result<Self, TraceError> {
        // Folding is CRLF before white space (RFC 5322 §2.2.3); any other CR or LF cannot be
        // in a field's value.
        if unfold(value).contains(['\r', '\n']) {
            return Err(expected("a value whose only line breaks are folds (CRLF, then a space)", value));
        }
        let (items, date) = stamp_items(value)?;
        let mut items = items.into_iter().peekable();
        let mut received = Self {
            from: String::new(),
            from_tcp_info: None,
            by: String::new(),
            via: None,
            with: None,
            id: None,
            for_path: None,
            date: parse_date(date).map_err(TraceError::Date)?,
        };
        // 1. From-domain = "FROM" FWS Extended-Domain, with the client's TCP-info comment.
        while let Some(Item::Comment(_)) = items.peek() {
            items.next();
        }
        match items.next() {
            Some(Item::Word(word)) if word.eq_ignore_ascii_case("from") => {}
            other => {
                return Err(expected("'from' and the client's HELO/EHLO name", other.map_or("", Item::text)));
            }
        }
        // A word may hold a fold (obsolete CFWS inside `<…>`, RFC 5322 §4.4): every value is
        // kept unfolded (§2.2.3), so it reads back the same however the field is folded again.
        received.from = match items.next() {
            Some(Item::Word(word)) => unfold(word),
            other => {
                return Err(expected(
                    "the client's HELO/EHLO name after 'from'",
                    other.map_or("", Item::text),
                ));
            }
        };
        if let Some(Item::Comment(comment)) = items.peek() {
            received.from_tcp_info = TcpInfo::parse(comment);
        }
        // 2. By-domain and Opt-info, each clause a keyword and a value.
        let mut seen_by = false;
        while let Some(item) = items.next() {
            let Item::Word(keyword) = item else { continue };
            let value = match items.next() {
                Some(Item::Word(value)) => value,
                other => {
                    return Err(expected("a value after the clause keyword", other.map_or("", Item::text)));
                }
            };
            let keyword = keyword.to_ascii_lowercase();
            let value = unfold(value);
            let duplicate = match keyword.as_str() {
                "by" => std::mem::replace(&mut seen_by, true),
                "via" => received.via.replace(value.clone()).is_some(),
                "with" => received.with.replace(Protocol::parse(&value)?).is_some(),
                "id" => received.id.replace(value.clone()).is_some(),
                "for" => {
                    let path = value.strip_prefix('<').and_then(|v| v.strip_suffix('>')).unwrap_or(&value);
                    received.for_path.replace(path.to_owned()).is_some()
                }
                "from" => true,
                // Additional-Registered-Clauses = CFWS Atom FWS String: skipped.
                _ => false,
            };
            if duplicate {
                return Err(expected("each clause at most once", &keyword));
            }
            if keyword == "by" {
                received.by = value;
            }
        }
        if !seen_by {
            return Err(expected("'by' and the server's name", ""));
        }
        Ok(received)
    }
}

impl fmt::Display for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_field())
    }
}

/// A piece of a `Stamp` before its `;`.
#[derive(Debug, Clone, Copy)]
enum Item<'a> {
    /// A keyword or a value: atom, domain, address literal, `<path>` or quoted string.
    Word(&'a str),
    /// What is between the parentheses of a comment (RFC 5322 §3.2.2).
    Comment(&'a str),
}

impl<'a> Item<'a> {
    fn text(self) -> &'a str {
        match self {
            Item::Word(text) | Item::Comment(text) => text,
        }
    }
}

/// Splits a `Stamp` into words and comments up to the first `;` outside comments, brackets
/// and quotes, and returns them with the `date-time` text after it.
fn stamp_items(value: &str) -> Result<(Vec<Item<'_>>, &str), TraceError> {
    let bytes = value.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b';' => return Ok((items, value.get(i + 1..).unwrap_or_default())),
            b'(' => {
                let end = skip_comment(bytes, i).map_err(|_| expected("')' to close the comment", ""))?;
                items.push(Item::Comment(value.get(i + 1..end - 1).unwrap_or_default()));
                i = end;
            }
            _ => {
                let start = i;
                let (mut in_angle, mut in_quote) = (false, false);
                while let Some(&b) = bytes.get(i) {
                    match b {
                        b'\\' if in_quote => i += 1,
                        b'"' => in_quote = !in_quote,
                        b'<' if !in_quote => in_angle = true,
                        b'>' if !in_quote => in_angle = false,
                        b' ' | b'\t' | b'\r' | b'\n' | b'(' | b';' if !in_angle && !in_quote => break,
                        _ => {}
                    }
                    i += 1;
                }
                if in_angle || in_quote {
                    return Err(expected(
                        "'>' or '\"' to close the word",
                        value.get(start..).unwrap_or_default(),
                    ));
                }
                items.push(Item::Word(value.get(start..i.min(bytes.len())).unwrap_or_default()));
            }
        }
    }
    Err(expected("';' and the date-time", ""))
}

/// The field `Return-Path: <reverse-path> CRLF` (RFC 5321 §4.4 `Return-path-line`,
/// RFC 5322 §3.6.7), added at final delivery; an empty path gives the null path `<>`.
///
/// A path already in angle brackets is not bracketed twice.
pub fn return_path_field(reverse_path: &str) -> String {
    let path = reverse_path.strip_prefix('<').and_then(|p| p.strip_suffix('>')).unwrap_or(reverse_path);
    fold("Return-Path", &format!("<{path}>"))
}

/// Reads a `Return-Path:` value back: the path without brackets, empty for `<>`
/// (RFC 5322 §3.6.7: `path = angle-addr / ([CFWS] "<" [CFWS] ">" [CFWS])`).
pub fn parse_return_path(value: &str) -> Result<String, TraceError> {
    let text = unfold(value);
    let text = text.trim_matches([' ', '\t', '\r', '\n']);
    let error = |expected| TraceError::Expected { field: "Return-Path", expected, saw: text.to_owned() };
    let inner =
        text.strip_prefix('<').and_then(|t| t.strip_suffix('>')).ok_or_else(|| error("<path> or <>"))?;
    if inner.contains(['<', '>', ' ', '\t', '\r', '\n']) {
        return Err(error("a single path in angle brackets"));
    }
    Ok(inner.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::header::HeaderField;

    fn sample() -> Received {
        Received {
            from: "mail.example.org".into(),
            from_tcp_info: Some(TcpInfo {
                reverse_dns: Some("mail.example.org".into()),
                ip: IpAddr::from([192, 0, 2, 1]),
            }),
            by: "mx.example.com".into(),
            via: None,
            with: Some(Protocol::Esmtps),
            id: Some("4Xyz1".into()),
            for_path: Some("bob@example.com".into()),
            date: DateTime { unix_seconds: 1_795_573_410, offset_minutes: 0 },
        }
    }

    #[test]
    fn a_fold_inside_a_word_is_unfolded_so_the_field_reads_back_the_same() {
        // Found by the message_fields fuzz target: the fold was kept in `by`, and writing the
        // field again changed its indentation.
        let value = " from a\r\n by b<c@d\r\n   e>; 21 Nov 1997 10:05:43 -0600";
        let received = Received::parse(value).expect("parses");
        assert_eq!(received.by, "b<c@d   e>");
        let field = HeaderField::parse(&received.to_field()).expect("a field");
        assert_eq!(Received::parse(field.raw_value()), Ok(received));
    }

    #[test]
    fn protocol_from_flags_table() {
        for (esmtp, tls, auth, utf8, name) in [
            (false, false, false, false, "SMTP"),
            (true, false, false, false, "ESMTP"),
            (true, true, false, false, "ESMTPS"),
            (true, false, true, false, "ESMTPA"),
            (true, true, true, false, "ESMTPSA"),
            (true, false, false, true, "UTF8SMTP"),
            (true, true, false, true, "UTF8SMTPS"),
            (true, false, true, true, "UTF8SMTPA"),
            (true, true, true, true, "UTF8SMTPSA"),
            // Extensions imply EHLO.
            (false, true, true, false, "ESMTPSA"),
        ] {
            let protocol = Protocol::from_flags(esmtp, tls, auth, utf8);
            assert_eq!(protocol.as_str(), name);
            assert_eq!(Protocol::parse(&name.to_ascii_lowercase()), Ok(protocol));
        }
        assert_eq!(Protocol::parse("LMTP"), Ok(Protocol::Other("LMTP".into())));
        assert!(Protocol::parse("not an atom").is_err());
    }

    #[test]
    fn received_known_answer() {
        assert_eq!(
            sample().to_field(),
            "Received: from mail.example.org (mail.example.org [192.0.2.1]) by\r\n mx.example.com with ESMTPS id 4Xyz1 for <bob@example.com>; Wed, 25 Nov 2026\r\n 02:23:30 +0000\r\n"
        );
        let minimal = Received {
            from: "[192.0.2.9]".into(),
            from_tcp_info: Some(TcpInfo { reverse_dns: None, ip: "2001:db8::9".parse().expect("valid ip") }),
            by: "mx".into(),
            via: Some("TCP".into()),
            with: None,
            id: None,
            for_path: None,
            date: DateTime::utc(0),
        };
        assert_eq!(
            minimal.to_field(),
            "Received: from [192.0.2.9] ([IPv6:2001:db8::9]) by mx via TCP; Thu, 1 Jan 1970\r\n 00:00:00 +0000\r\n"
        );
    }

    #[test]
    fn received_round_trips_through_a_header_field() {
        for received in [sample(), Received { from_tcp_info: None, id: None, for_path: None, ..sample() }] {
            let field = HeaderField::parse(&received.to_field()).expect("a valid field");
            assert_eq!(field.name(), "Received");
            assert_eq!(Received::parse(field.raw_value()), Ok(received));
        }
    }

    #[test]
    fn parses_real_world_received_fields() {
        let postfix = " from mail.example.org (mail.example.org [192.0.2.1])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits);\r\n\t key-exchange X25519)\r\n\t(No client certificate requested)\r\n\tby mx.example.com (Postfix) with ESMTPS id 4Xyz1\r\n\tfor <bob@example.com>; Wed, 25 Nov 2026 02:23:30 +0000 (UTC)";
        let received = Received::parse(postfix).expect("Postfix style");
        assert_eq!(received, sample());
        let unknown = "from helo.example (unknown [198.51.100.7]) BY mx.example.com WITH esmtp ID abc; 1 Jan 2000 00:00:00 -0000";
        let received = Received::parse(unknown).expect("no reverse DNS");
        assert_eq!(received.from_tcp_info.and_then(|info| info.reverse_dns), Some("unknown".into()));
        assert_eq!(received.with, Some(Protocol::Esmtp));
        let exim = "from [192.0.2.1] (helo=client.example) by mx.example.com with esmtpa (Exim 4.96) (envelope-from <a@example.org>) id 1abc-000; Thu, 7 Jul 1994 17:16:05 -0400";
        let received = Received::parse(exim).expect("Exim style");
        assert_eq!((received.from.as_str(), received.from_tcp_info), ("[192.0.2.1]", None));
        assert_eq!(received.id.as_deref(), Some("1abc-000"));
    }

    #[test]
    fn received_errors() {
        for (value, error) in [
            (
                "by mx; 1 Jan 2000 00:00 +0000",
                "Received: expected 'from' and the client's HELO/EHLO name, saw 'by'",
            ),
            (
                "from a; 1 Jan 2000 00:00 +0000",
                "Received: expected 'by' and the server's name, saw the end of the field",
            ),
            ("from a by b", "Received: expected ';' and the date-time, saw the end of the field"),
            (
                "from a by b with; 1 Jan 2000 00:00 +0000",
                "Received: expected a value after the clause keyword, saw the end of the field",
            ),
            (
                "from a by b by c; 1 Jan 2000 00:00 +0000",
                "Received: expected each clause at most once, saw 'by'",
            ),
            (
                "from a (unclosed by b; 1 Jan 2000 00:00 +0000",
                "Received: expected ')' to close the comment, saw the end of the field",
            ),
            (
                "from a by b for <x@y; 1 Jan 2000",
                "Received: expected '>' or '\"' to close the word, saw '<x@y; 1 Jan 2000'",
            ),
            (
                "from a by b; yesterday",
                "Received: date-time: expected a day name (Mon to Sun) or a day number, saw 'yesterday'",
            ),
            ("", "Received: expected ';' and the date-time, saw the end of the field"),
        ] {
            assert_eq!(Received::parse(value).map_err(|e| e.to_string()), Err(error.to_owned()), "{value}");
        }
    }

    #[test]
    fn return_path_known_answers() {
        for (path, field) in [
            ("alice@example.org", "Return-Path: <alice@example.org>\r\n"),
            ("<alice@example.org>", "Return-Path: <alice@example.org>\r\n"),
            ("", "Return-Path: <>\r\n"),
            ("<>", "Return-Path: <>\r\n"),
        ] {
            assert_eq!(return_path_field(path), field);
            let parsed = HeaderField::parse(field).expect("valid field");
            assert_eq!(parse_return_path(parsed.raw_value()).as_deref(), Ok(path.trim_matches(['<', '>'])));
        }
        assert_eq!(
            parse_return_path(" alice@example.org").map_err(|e| e.to_string()),
            Err("Return-Path: expected <path> or <>, saw 'alice@example.org'".to_owned())
        );
        assert!(parse_return_path("<a@b> <c@d>").is_err());
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn domain() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,12}(\\.[a-z0-9-]{1,12}){0,3}"
    }

    fn protocol() -> impl Strategy<Value = Protocol> {
        prop_oneof![
            (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>())
                .prop_map(|(esmtp, tls, auth, utf8)| Protocol::from_flags(esmtp, tls, auth, utf8)),
            Just(Protocol::Other("LMTP".into())),
        ]
    }

    fn received() -> impl Strategy<Value = Received> {
        let tcp_info = (proptest::option::of(domain()), any::<IpAddr>())
            .prop_map(|(reverse_dns, ip)| TcpInfo { reverse_dns, ip });
        (
            prop_oneof![domain(), any::<std::net::Ipv4Addr>().prop_map(|ip| format!("[{ip}]"))],
            proptest::option::of(tcp_info),
            domain(),
            proptest::option::of(Just("TCP".to_owned())),
            proptest::option::of(protocol()),
            proptest::option::of("[A-Za-z0-9]{1,16}"),
            proptest::option::of(
                ("[a-z0-9.+]{1,10}", domain()).prop_map(|(local, domain)| format!("{local}@{domain}")),
            ),
            (-2_208_900_000i64..253_402_000_000, -1439i16..=1439),
        )
            .prop_map(
                |(from, from_tcp_info, by, via, with, id, for_path, (unix_seconds, offset_minutes))| {
                    Received {
                        from,
                        from_tcp_info,
                        by,
                        via,
                        with,
                        id,
                        for_path,
                        date: DateTime { unix_seconds, offset_minutes },
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn received_round_trips(received in received()) {
            let field = crate::message::header::HeaderField::parse(&received.to_field()).expect("a valid field");
            prop_assert_eq!(Received::parse(field.raw_value()), Ok(received));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,120}") {
            let _ = Received::parse(&text);
            let _ = parse_return_path(&text);
        }

        #[test]
        fn received_like_text_never_panics(text in "(from|by|with|id|for|\\(|\\)|<|>|\"|;|\\\\| |[a-z.]{1,5}){0,30}") {
            let _ = Received::parse(&text);
        }
    }
}
