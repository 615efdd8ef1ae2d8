//! Domains, address literals, local parts, mailboxes and paths (RFC 5321 §4.1.2–§4.1.3,
//! §4.5.3.1; SMTPUTF8 extensions of RFC 6531 §3.3; IDNA of RFC 5890/5891).
//!
//! Each type validates on construction and keeps its fields private, so a value that
//! exists is one the grammar allows. Parsers and serializers sit side by side.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use nom::{IResult, Parser, branch::alt, bytes::streaming::tag, bytes::streaming::tag_no_case};

use super::abnf;

/// Why a string is not a valid address part; says what the grammar expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError {
    pub what: &'static str,
    pub reason: String,
}

impl AddressError {
    fn new(what: &'static str, reason: impl Into<String>) -> Self {
        Self { what, reason: reason.into() }
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.what, self.reason)
    }
}

impl std::error::Error for AddressError {}

/// The longest domain, in octets (RFC 5321 §4.5.3.1.2).
pub const MAX_DOMAIN_OCTETS: usize = 255;
/// The longest local part, in octets (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART_OCTETS: usize = 64;
/// The longest DNS label (RFC 1035 §2.3.4).
const MAX_LABEL_OCTETS: usize = 63;

/// A domain name as written in SMTP: `Domain = sub-domain *("." sub-domain)`
/// (RFC 5321 §4.1.2), whose labels may be U-labels under SMTPUTF8 (RFC 6531 §3.3).
///
/// Comparison is by A-label form, ignoring ASCII case (RFC 5321 §2.4: domains are
/// case-insensitive), so `例え.jp` equals `xn--r8jz45g.jp`.
#[derive(Debug, Clone)]
pub struct Domain {
    written: String,
    /// The A-label form, when it differs from `written` (U-labels, or upper case).
    ascii: Option<String>,
}

impl Domain {
    /// Validates `text` as a domain and computes its A-label form (RFC 5891 §4.4: each
    /// U-label is Punycode-encoded, RFC 3492, with the `xn--` prefix), checking LDH rules,
    /// 63-octet labels and the 255-octet limit. A-labels given as such must decode.
    ///
    /// U-labels are lower-cased but not NFC-normalised or checked against the IDNA2008
    /// tables: that needs ICU data worth ~45 KB gzip in the page, over budget for a teaching
    /// tool whose lessons use ordinary names (see docs/conformance.md).
    pub fn new(text: &str) -> Result<Self, AddressError> {
        // The common case, checked in place; anything else (U-labels, or an error to
        // describe) takes the general path below.
        match Self::new_ascii(text) {
            Some(domain) => Ok(domain),
            None => Self::new_general(text),
        }
    }

    /// Every domain: U-labels are encoded, and an invalid one is described.
    fn new_general(text: &str) -> Result<Self, AddressError> {
        let invalid = |reason: String| AddressError::new("domain", reason);
        if text.is_empty() {
            return Err(invalid("empty".into()));
        }
        if text.len() > MAX_DOMAIN_OCTETS {
            return Err(invalid(format!("longer than {MAX_DOMAIN_OCTETS} octets")));
        }
        let mut labels = Vec::new();
        for label in text.split('.') {
            if label.is_ascii() {
                labels.push(label.to_ascii_lowercase());
                continue;
            }
            let lower = label.to_lowercase();
            if !lower.chars().all(|c| c.is_alphanumeric() || c == '-') {
                return Err(invalid(format!(
                    "label {label:?} has characters other than letters, digits and hyphens"
                )));
            }
            let encoded = idna::punycode::encode_str(&lower)
                .ok_or_else(|| invalid(format!("label {label:?} cannot be encoded as an A-label")))?;
            labels.push(format!("xn--{encoded}"));
        }
        let ascii = labels.join(".");
        if ascii.len() > MAX_DOMAIN_OCTETS {
            return Err(invalid(format!("longer than {MAX_DOMAIN_OCTETS} octets as A-labels")));
        }
        for label in ascii.split('.') {
            if label.is_empty() {
                return Err(invalid(format!("{text:?} has an empty label")));
            }
            if label.len() > MAX_LABEL_OCTETS {
                return Err(invalid(format!("label {label:?} is longer than {MAX_LABEL_OCTETS} octets")));
            }
            if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                || label.starts_with('-')
                || label.ends_with('-')
            {
                return Err(invalid(format!("label {label:?} is not letters, digits and inner hyphens")));
            }
            if let Some(punycode) = label.strip_prefix("xn--")
                && idna::punycode::decode_to_string(punycode).is_none_or(|u| u.is_ascii())
            {
                return Err(invalid(format!("label {label:?} is not a valid A-label")));
            }
        }
        let ascii = (ascii != text).then_some(ascii);
        Ok(Self { written: text.to_owned(), ascii })
    }

    /// An ASCII domain that passes every check of [`Domain::new`], read in one pass without
    /// building labels: `None` when it is not ASCII or not valid.
    fn new_ascii(text: &str) -> Option<Self> {
        let upper = Self::check_ascii(text)?;
        Some(Self { written: text.to_owned(), ascii: upper.then(|| text.to_ascii_lowercase()) })
    }

    /// Whether `text` is an ASCII domain [`Domain::new`] accepts (`Some`, saying whether it
    /// has upper case), without building anything (but to decode an A-label, which is rare).
    fn check_ascii(text: &str) -> Option<bool> {
        if text.is_empty() || text.len() > MAX_DOMAIN_OCTETS {
            return None;
        }
        let mut upper = false;
        // (Letters, digits and hyphens are ASCII: a name with any other byte is refused.)
        for bytes in text.as_bytes().split(|&b| b == b'.') {
            let mut ldh = true;
            for &b in bytes {
                ldh &= b.is_ascii_alphanumeric() || b == b'-';
                upper |= b.is_ascii_uppercase();
            }
            if bytes.is_empty()
                || bytes.len() > MAX_LABEL_OCTETS
                || !ldh
                || bytes.first() == Some(&b'-')
                || bytes.last() == Some(&b'-')
            {
                return None;
            }
            // An A-label must decode to something not ASCII (checked as `new` does).
            if bytes.len() >= 4 && bytes[..4].eq_ignore_ascii_case(b"xn--") {
                let lower = String::from_utf8_lossy(bytes).to_ascii_lowercase();
                if idna::punycode::decode_to_string(&lower[4..]).is_none_or(|u| u.is_ascii()) {
                    return None;
                }
            }
        }
        Some(upper)
    }

    /// Whether [`Domain::new`] accepts `text`; without allocating for an ASCII name.
    pub(crate) fn is_valid(text: &str) -> bool {
        Self::check_ascii(text).is_some() || (!text.is_ascii() && Self::new_general(text).is_ok())
    }

    /// The domain as it was written (ASCII or U-labels).
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// The A-label (punycode, `xn--`) form in lowercase, as DNS and non-SMTPUTF8 peers see it.
    pub fn to_ascii(&self) -> &str {
        self.ascii.as_deref().unwrap_or(&self.written)
    }

    /// The U-label form, for display (RFC 5891 §5.5).
    pub fn to_unicode(&self) -> String {
        let label = |l: &str| match l.strip_prefix("xn--").and_then(idna::punycode::decode_to_string) {
            Some(unicode) => unicode,
            None => l.to_owned(),
        };
        self.to_ascii().split('.').map(label).collect::<Vec<_>>().join(".")
    }

    /// Whether the domain as written needs SMTPUTF8 to be sent (RFC 6531 §3.2).
    pub fn is_ascii(&self) -> bool {
        self.written.is_ascii()
    }
}

impl PartialEq for Domain {
    fn eq(&self, other: &Self) -> bool {
        self.to_ascii() == other.to_ascii()
    }
}

impl Eq for Domain {}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl std::str::FromStr for Domain {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// `Domain` (RFC 5321 §4.1.2), validated.
pub fn domain(input: &[u8]) -> IResult<&[u8], Domain> {
    let (rest, text) = abnf::domain_text(input)?;
    match Domain::new(text) {
        Ok(domain) => Ok((rest, domain)),
        Err(_) => Err(abnf::error(input, nom::error::ErrorKind::Verify)),
    }
}

/// `address-literal` (RFC 5321 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AddressLiteral {
    /// `IPv4-address-literal = Snum 3("." Snum)`
    Ipv4(Ipv4Addr),
    /// `IPv6-address-literal = "IPv6:" IPv6-addr`
    Ipv6(Ipv6Addr),
    /// `General-address-literal = Standardized-tag ":" 1*dcontent`
    General { tag: String, content: String },
}

impl AddressLiteral {
    /// Parses the text between the brackets.
    pub fn new(text: &str) -> Result<Self, AddressError> {
        let invalid = |reason: &str| AddressError::new("address literal", format!("[{text}]: {reason}"));
        if let Some(v6) = text.get(..5).filter(|p| p.eq_ignore_ascii_case("IPv6:")).map(|_| &text[5..]) {
            return v6.parse().map(Self::Ipv6).map_err(|_| invalid("not an IPv6 address"));
        }
        if let Some((tag, content)) = text.split_once(':') {
            let ldh = !tag.is_empty()
                && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !tag.ends_with('-');
            if !ldh || content.is_empty() || !content.bytes().all(abnf::is_dcontent) {
                return Err(invalid("expected Standardized-tag \":\" dcontent"));
            }
            return Ok(Self::General { tag: tag.to_owned(), content: content.to_owned() });
        }
        // Snum is 1*3DIGIT in 0..=255; std's parser also refuses leading zeros, which
        // RFC 5321 does not, so parse the four numbers here.
        let mut octets = [0u8; 4];
        let mut parts = text.split('.');
        for octet in &mut octets {
            let part = parts.next().ok_or_else(|| invalid("expected four numbers"))?;
            if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("expected Snum (1 to 3 digits)"));
            }
            *octet = part.parse().map_err(|_| invalid("number above 255"))?;
        }
        if parts.next().is_some() {
            return Err(invalid("expected four numbers"));
        }
        Ok(Self::Ipv4(Ipv4Addr::from(octets)))
    }
}

impl fmt::Display for AddressLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressLiteral::Ipv4(ip) => write!(f, "[{ip}]"),
            AddressLiteral::Ipv6(ip) => write!(f, "[IPv6:{ip}]"),
            AddressLiteral::General { tag, content } => write!(f, "[{tag}:{content}]"),
        }
    }
}

/// `address-literal` (RFC 5321 §4.1.3), validated.
pub fn address_literal(input: &[u8]) -> IResult<&[u8], AddressLiteral> {
    let (rest, text) = abnf::address_literal_text(input)?;
    match AddressLiteral::new(text) {
        Ok(literal) => Ok((rest, literal)),
        Err(_) => Err(abnf::error(input, nom::error::ErrorKind::Verify)),
    }
}

/// The part after `@`: `( Domain / address-literal )` (RFC 5321 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Domain(Domain),
    Literal(AddressLiteral),
}

impl Host {
    /// Whether sending it needs SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        match self {
            Host::Domain(domain) => domain.is_ascii(),
            Host::Literal(_) => true,
        }
    }

    /// The domain, if the host is one.
    pub fn domain(&self) -> Option<&Domain> {
        match self {
            Host::Domain(domain) => Some(domain),
            Host::Literal(_) => None,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(domain) => domain.fmt(f),
            Host::Literal(literal) => literal.fmt(f),
        }
    }
}

impl std::str::FromStr for Host {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let with_end = format!("{s}>");
        abnf::parse_whole(host, with_end.as_bytes(), 1)
            .ok_or_else(|| AddressError::new("host", format!("{s:?} is not a domain or [address literal]")))
    }
}

/// `Domain / address-literal`: also the argument of EHLO (RFC 5321 §4.1.1.1).
pub fn host(input: &[u8]) -> IResult<&[u8], Host> {
    match ascii_domain(input) {
        Some((rest, domain)) => Ok((rest, Host::Domain(domain))),
        None => host_grammar(input),
    }
}

/// [`host`] by the grammar alone.
fn host_grammar(input: &[u8]) -> IResult<&[u8], Host> {
    alt((nom::combinator::map(address_literal, Host::Literal), nom::combinator::map(domain, Host::Domain)))
        .parse(input)
}

/// The common `Domain`, read in one pass: ASCII letters, digits, hyphens and dots up to a
/// byte that cannot continue it, and valid as [`Domain::new`] checks it. Exactly what
/// [`host`]'s grammar reads then; `None` for anything else (an address literal, U-labels,
/// an invalid name, input that may go on), which the grammar reads, or refuses, itself.
fn ascii_domain(input: &[u8]) -> Option<(&[u8], Domain)> {
    let end = input.iter().position(|&b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))?;
    let (text, rest) = input.split_at(end);
    // A byte past ASCII could continue a U-label.
    if rest.first().is_some_and(|b| !b.is_ascii()) {
        return None;
    }
    let domain = Domain::new(std::str::from_utf8(text).ok()?).ok()?;
    Some((rest, domain))
}

/// `Local-part = Dot-string / Quoted-string` (RFC 5321 §4.1.2), held unquoted. Under
/// SMTPUTF8 it may hold UTF-8 (RFC 6531 §3.3).
///
/// Quoted forms are equivalent to their content ("all quoted forms MUST be treated as
/// equivalent"), so `"joe"` and `joe` are the same local part, and the serializer writes
/// "the form that uses the minimum quoting possible".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalPart(String);

impl LocalPart {
    /// Validates unquoted content: ASCII graphic characters, space, or UTF-8, and at most
    /// 64 octets once written (RFC 5321 §4.5.3.1.1).
    pub fn new(content: &str) -> Result<Self, AddressError> {
        Self::checked(content)?;
        Ok(Self(content.to_owned()))
    }

    /// [`LocalPart::new`] for content already owned (an unquoted quoted-string).
    fn from_string(content: String) -> Result<Self, AddressError> {
        Self::checked(&content)?;
        Ok(Self(content))
    }

    /// Whether [`LocalPart::new`] accepts `content`, without building anything.
    pub(crate) fn is_valid(content: &str) -> bool {
        Self::checked(content).is_ok()
    }

    /// The checks of [`LocalPart::new`], without building anything.
    fn checked(content: &str) -> Result<(), AddressError> {
        if let Some(bad) = content.chars().find(|&c| c.is_ascii() && !(' '..='~').contains(&c)) {
            return Err(AddressError::new("local part", format!("control character {:?}", bad)));
        }
        let written = Self::wire_len(content);
        if written > MAX_LOCAL_PART_OCTETS {
            return Err(AddressError::new(
                "local part",
                format!("{written} octets, more than the {MAX_LOCAL_PART_OCTETS} allowed"),
            ));
        }
        Ok(())
    }

    /// How long [`LocalPart::to_wire`] is, without writing it.
    fn wire_len(content: &str) -> usize {
        if Self::is_dot_string_text(content) {
            content.len()
        } else {
            2 + content.len() + content.bytes().filter(|&b| b == b'"' || b == b'\\').count()
        }
    }

    /// The content, unquoted.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the local part is plain ASCII (else it needs SMTPUTF8).
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }

    /// Whether the content is a `Dot-string` and so needs no quotes.
    fn is_dot_string(&self) -> bool {
        Self::is_dot_string_text(&self.0)
    }

    /// `Dot-string = Atom *("." Atom)`: atext and single dots, neither first nor last (one
    /// pass over the bytes: addresses are written often, into every step and trace field).
    fn is_dot_string_text(content: &str) -> bool {
        let bytes = content.as_bytes();
        !bytes.is_empty()
            && bytes.first() != Some(&b'.')
            && bytes.last() != Some(&b'.')
            && !bytes.windows(2).any(|pair| pair == b"..")
            && bytes.iter().all(|&b| b == b'.' || abnf::is_atext(b))
    }

    /// The wire form with the minimum quoting (RFC 5321 §4.1.2).
    pub fn to_wire(&self) -> String {
        if self.is_dot_string() {
            return self.0.clone();
        }
        let mut out = String::with_capacity(self.0.len() + 2);
        out.push('"');
        for c in self.0.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    }
}

impl fmt::Display for LocalPart {
    /// Writes [`LocalPart::to_wire`] without building it: most local parts need no quotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_dot_string() { f.write_str(&self.0) } else { f.write_str(&self.to_wire()) }
    }
}

/// `Local-part = Dot-string / Quoted-string`
pub fn local_part(input: &[u8]) -> IResult<&[u8], LocalPart> {
    let parsed = if input.first() == Some(&b'"') {
        abnf::quoted_string(input).map(|(rest, content)| (rest, LocalPart::from_string(content)))
    } else {
        abnf::dot_string(input).map(|(rest, content)| (rest, LocalPart::new(content)))
    };
    let (rest, part) = parsed?;
    match part {
        Ok(part) => Ok((rest, part)),
        Err(_) => Err(abnf::error(input, nom::error::ErrorKind::TooLarge)),
    }
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )` (RFC 5321 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    local_part: LocalPart,
    host: Host,
}

impl Mailbox {
    pub fn new(local_part: LocalPart, host: Host) -> Self {
        Self { local_part, host }
    }

    pub fn local_part(&self) -> &LocalPart {
        &self.local_part
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The domain, when the mailbox is not at an address literal.
    pub fn domain(&self) -> Option<&Domain> {
        self.host.domain()
    }

    /// Whether the mailbox can be sent without SMTPUTF8 (RFC 6531 §3.2).
    pub fn is_ascii(&self) -> bool {
        self.local_part.is_ascii() && self.host.is_ascii()
    }
}

impl Mailbox {
    /// Room for the wire form: exact for the usual unquoted local part and domain.
    fn written_len(&self) -> usize {
        let host = match &self.host {
            Host::Domain(domain) => domain.written.len(),
            // `[IPv6:` and eight groups at most.
            Host::Literal(_) => 48,
        };
        self.local_part.0.len() + 1 + host
    }
}

/// `value` as [`fmt::Display`] writes it, in a string given `room` at once (`to_string`
/// grows one piece at a time; a run writes each path into several records).
fn written(value: &impl fmt::Display, room: usize) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(room);
    // Writing to a String cannot fail.
    let _ = write!(out, "{value}");
    out
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.local_part.fmt(f)?;
        f.write_str("@")?;
        self.host.fmt(f)
    }
}

impl std::str::FromStr for Mailbox {
    type Err = AddressError;
    /// Parses `local@domain` as written in a path (without the angle brackets).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let with_end = format!("{s}>");
        abnf::parse_whole(mailbox, with_end.as_bytes(), 1)
            .ok_or_else(|| AddressError::new("mailbox", format!("{s:?} is not local-part@domain")))
    }
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )`
pub fn mailbox(input: &[u8]) -> IResult<&[u8], Mailbox> {
    let (input, local_part) = local_part(input)?;
    let (input, _) = tag("@").parse(input)?;
    let (input, host) = host(input)?;
    Ok((input, Mailbox { local_part, host }))
}

/// `A-d-l = At-domain *( "," At-domain )`, `At-domain = "@" Domain`: a source route,
/// which "MUST BE accepted, SHOULD NOT be generated, and SHOULD be ignored" (§4.1.2).
fn source_route(input: &[u8]) -> IResult<&[u8], ()> {
    let at_domain = |i| nom::sequence::preceded(tag("@"), domain).parse(i);
    let (input, _) = nom::multi::separated_list1(tag(","), at_domain).parse(input)?;
    let (input, _) = tag(":").parse(input)?;
    Ok((input, ()))
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"` (RFC 5321 §4.1.2).
pub fn path(input: &[u8]) -> IResult<&[u8], Mailbox> {
    match plain_path(input) {
        Some(read) => Ok(read),
        None => path_grammar(input),
    }
}

/// [`path`] by the grammar alone (the mailbox's host read by [`host`]).
fn path_grammar(input: &[u8]) -> IResult<&[u8], Mailbox> {
    let (input, _) = tag("<").parse(input)?;
    let (input, _) = nom::combinator::opt(source_route).parse(input)?;
    let (input, mailbox) = mailbox(input)?;
    let (input, _) = tag(">").parse(input)?;
    Ok((input, mailbox))
}

/// The common `Path`, `"<" Dot-string "@" Domain ">"` in ASCII without a source route,
/// read in one pass: what [`path`]'s grammar reads from it, checked by the same
/// constructors. `None` for anything else (a source route, a quoted or UTF-8 local part,
/// an address literal, an error, input cut short), which the grammar reads itself.
fn plain_path(input: &[u8]) -> Option<(&[u8], Mailbox)> {
    let inner = input.strip_prefix(b"<")?;
    let at = inner.iter().position(|&b| b == b'@')?;
    let (local, after) = inner.split_at(at);
    // An ASCII Dot-string (UTF-8 is left to the grammar, which checks it as SMTPUTF8).
    let local = std::str::from_utf8(local).ok().filter(|local| local.is_ascii())?;
    if !LocalPart::is_dot_string_text(local) {
        return None;
    }
    let (rest, domain) = ascii_domain(after.get(1..)?)?;
    let rest = rest.strip_prefix(b">")?;
    // A Dot-string is its own wire form, of printable ASCII: only its length is left to check.
    if local.len() > MAX_LOCAL_PART_OCTETS {
        return None;
    }
    let local_part = LocalPart(local.to_owned());
    Some((rest, Mailbox { local_part, host: Host::Domain(domain) }))
}

/// `Reverse-path = Path / "<>"` (RFC 5321 §4.1.2): who gets the bounces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReversePath {
    /// `<>`: bounces and other notifications, which must never be bounced (§4.5.5).
    Null,
    Mailbox(Mailbox),
}

impl ReversePath {
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ReversePath::Null => None,
            ReversePath::Mailbox(mailbox) => Some(mailbox),
        }
    }

    pub fn is_ascii(&self) -> bool {
        self.mailbox().is_none_or(Mailbox::is_ascii)
    }
}

impl ReversePath {
    /// The wire form, as [`fmt::Display`] writes it, allocated once.
    pub fn to_wire(&self) -> String {
        written(self, self.mailbox().map_or(2, |m| m.written_len() + 2))
    }
}

impl fmt::Display for ReversePath {
    /// With the angle brackets, as on the wire.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(mailbox) => {
                f.write_str("<")?;
                mailbox.fmt(f)?;
                f.write_str(">")
            }
        }
    }
}

/// `Reverse-path = Path / "<>"`
pub fn reverse_path(input: &[u8]) -> IResult<&[u8], ReversePath> {
    alt((
        nom::combinator::value(ReversePath::Null, tag("<>")),
        nom::combinator::map(path, ReversePath::Mailbox),
    ))
    .parse(input)
}

/// `Forward-path = Path`, or the special `"<Postmaster>"` that every server must accept
/// (RFC 5321 §4.1.1.3, §4.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardPath {
    Postmaster,
    Mailbox(Mailbox),
}

impl ForwardPath {
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ForwardPath::Postmaster => None,
            ForwardPath::Mailbox(mailbox) => Some(mailbox),
        }
    }

    pub fn is_ascii(&self) -> bool {
        self.mailbox().is_none_or(Mailbox::is_ascii)
    }
}

impl ForwardPath {
    /// The wire form, as [`fmt::Display`] writes it, allocated once.
    pub fn to_wire(&self) -> String {
        written(self, self.mailbox().map_or(12, |m| m.written_len() + 2))
    }
}

impl fmt::Display for ForwardPath {
    /// With the angle brackets, as on the wire.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Mailbox(mailbox) => {
                f.write_str("<")?;
                mailbox.fmt(f)?;
                f.write_str(">")
            }
        }
    }
}

/// `( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )` (RFC 5321 §4.1.1.3);
/// `<Postmaster@domain>` is an ordinary mailbox.
pub fn forward_path(input: &[u8]) -> IResult<&[u8], ForwardPath> {
    alt((
        nom::combinator::value(ForwardPath::Postmaster, tag_no_case("<Postmaster>")),
        nom::combinator::map(path, ForwardPath::Mailbox),
    ))
    .parse(input)
}

macro_rules! path_from_str {
    ($type:ty, $parser:ident, $what:literal) => {
        impl std::str::FromStr for $type {
            type Err = AddressError;
            /// Parses the wire form, angle brackets included.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let with_end = format!("{s}\r\n");
                abnf::parse_whole($parser, with_end.as_bytes(), 2)
                    .ok_or_else(|| AddressError::new($what, format!("{s:?} is not <local-part@domain>")))
            }
        }
    };
}

path_from_str!(ReversePath, reverse_path, "reverse-path");
path_from_str!(ForwardPath, forward_path, "forward-path");

super::serde_as_string!(Domain, Host, Mailbox, ReversePath, ForwardPath);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_validate_and_convert_to_a_labels() {
        let d = Domain::new("Example.COM").expect("valid");
        assert_eq!(d.to_ascii(), "example.com");
        assert_eq!(d, Domain::new("example.com").expect("valid"));
        let idn = Domain::new("bücher.example").expect("valid IDN");
        assert_eq!(idn.to_ascii(), "xn--bcher-kva.example");
        assert_eq!(idn, Domain::new("xn--bcher-kva.example").expect("valid A-label"));
        assert_eq!(Domain::new("xn--bcher-kva.example").expect("valid").to_unicode(), "bücher.example");
        assert_eq!(Domain::new("例え.JP").expect("valid IDN").to_ascii(), "xn--r8jz45g.jp");
        assert_eq!(Domain::new("Münich.example").expect("valid").to_ascii(), "xn--mnich-kva.example");
        let long = "a".repeat(64);
        let many = "a.".repeat(128);
        for bad in
            ["", "a..b", "-a.com", "a-.com", "a_b.com", &long, &many, "xn--zz-.com", "bü cher.de", "a☃.de"]
        {
            assert!(Domain::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn address_literals() {
        assert_eq!(AddressLiteral::new("192.0.2.1"), Ok(AddressLiteral::Ipv4(Ipv4Addr::new(192, 0, 2, 1))));
        assert_eq!(
            AddressLiteral::new("IPv6:2001:db8::1").map(|l| l.to_string()),
            Ok("[IPv6:2001:db8::1]".to_owned())
        );
        assert!(AddressLiteral::new("256.0.0.1").is_err());
        assert!(AddressLiteral::new("1.2.3").is_err());
        assert!(AddressLiteral::new("IPv6:zz").is_err());
        assert!(matches!(AddressLiteral::new("x-tag:abc"), Ok(AddressLiteral::General { .. })));
    }

    #[test]
    fn local_parts_quote_minimally() {
        assert_eq!(LocalPart::new("joe.smith").expect("ok").to_wire(), "joe.smith");
        assert_eq!(LocalPart::new("Joe,Smith").expect("ok").to_wire(), "\"Joe,Smith\"");
        assert_eq!(LocalPart::new("a\"b").expect("ok").to_wire(), "\"a\\\"b\"");
        assert_eq!(LocalPart::new("a..b").expect("ok").to_wire(), "\"a..b\"");
        assert_eq!(LocalPart::new("").expect("ok").to_wire(), "\"\"");
        assert!(LocalPart::new(&"x".repeat(65)).is_err());
        assert!(LocalPart::new("tab\there").is_err());
    }

    #[test]
    fn paths_parse_with_source_routes_and_postmaster() {
        let (_, p) = reverse_path(b"<@hosta.int,@jkl.org:userc@d.bar.org>\r\n").expect("source route");
        assert_eq!(p.to_string(), "<userc@d.bar.org>");
        assert_eq!(reverse_path(b"<>\r\n").map(|(_, p)| p), Ok(ReversePath::Null));
        assert_eq!(forward_path(b"<postmaster>\r\n").map(|(_, p)| p), Ok(ForwardPath::Postmaster));
        let (_, quoted) = forward_path(b"<\"Joe\\,Smith\"@example.com>\r\n").expect("quoted");
        assert_eq!(quoted.to_string(), "<\"Joe,Smith\"@example.com>");
        let (_, utf8) = forward_path("<用户@例え.jp>\r\n".as_bytes()).expect("utf8");
        assert!(!utf8.is_ascii());
        assert!(matches!(path(b"<a@b"), Err(nom::Err::Incomplete(_))));
    }

    #[test]
    fn mailboxes_from_str_and_serde() {
        let m: Mailbox = "user@[192.0.2.1]".parse().expect("literal host");
        assert_eq!(m.to_string(), "user@[192.0.2.1]");
        assert!("no-at-sign".parse::<Mailbox>().is_err());
        assert!("a@b>c".parse::<Mailbox>().is_err());
        let p: ForwardPath = "<a@example.com>".parse().expect("path");
        assert_eq!(p.to_string(), "<a@example.com>");
    }

    /// The one-pass readers of the common host and path read what the grammar reads, to the
    /// same values and the same rest, and leave everything else to it.
    #[cfg(not(target_arch = "wasm32"))]
    mod plain_forms {
        use proptest::prelude::*;

        use super::*;

        /// A result as text: the rest, and the value as written and in A-labels.
        fn shown<T: fmt::Display>(result: IResult<&[u8], T>, ascii: impl Fn(&T) -> String) -> String {
            match result {
                Ok((rest, value)) => format!("{rest:?} {value} {}", ascii(&value)),
                Err(error) => format!("{error:?}"),
            }
        }

        fn host_ascii(host: &Host) -> String {
            host.domain().map(|d| d.to_ascii().to_owned()).unwrap_or_default()
        }

        fn same(input: &[u8]) -> Result<(), TestCaseError> {
            prop_assert_eq!(shown(host(input), host_ascii), shown(host_grammar(input), host_ascii));
            let mailbox_ascii = |m: &Mailbox| host_ascii(m.host());
            prop_assert_eq!(shown(path(input), mailbox_ascii), shown(path_grammar(input), mailbox_ascii));
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

            #[test]
            fn agree_with_the_grammar(
                text in "<?([a-zA-Z0-9.@<>_\\-]|xn--|\\.\\.|é|\\[|\\]|\"|,|:|[a-z]{60,66}){0,12}>?( |\r\n|\r)?"
            ) {
                same(text.as_bytes())?;
            }
        }

        #[test]
        fn on_examples() -> Result<(), TestCaseError> {
            for text in [
                "<a@example.com>\r\n",
                "<A.B@Example.COM> SIZE=1\r\n",
                "<a@b.c",
                "<a@b.c>",
                "<a..b@c.d>\r\n",
                "<.a@c.d>\r\n",
                "<a@-c.d>\r\n",
                "<a@c.d.>\r\n",
                "<a@[192.0.2.1]>\r\n",
                "<@x.y:a@c.d>\r\n",
                "<\"a b\"@c.d>\r\n",
                "<a@c.dé>\r\n",
                "mx.example.net\r\n",
                "MX.example.net\r\n",
                "xn--abc.jp\r\n",
                "[192.0.2.1]\r\n",
            ] {
                same(text.as_bytes())?;
            }
            let long = format!("<{}@c.d>\r\n", "x".repeat(65));
            same(long.as_bytes())
        }
    }

    /// The in-place check of ASCII domains accepts exactly what the general path accepts,
    /// with the same forms.
    #[cfg(not(target_arch = "wasm32"))]
    mod ascii_fast_path {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

            #[test]
            fn agrees_with_the_general_path(text in "(xn--|XN--|[a-zA-Z0-9-]{0,5}|-|\\.|é|[a-z]{60,66}){1,8}") {
                let general = Domain::new_general(&text).ok();
                let fast = Domain::new_ascii(&text);
                let form = |d: &Domain| (d.as_str().to_owned(), d.to_ascii().to_owned());
                if text.is_ascii() {
                    prop_assert_eq!(fast.as_ref().map(form), general.as_ref().map(form), "{:?}", text);
                } else {
                    prop_assert!(fast.is_none());
                }
            }
        }

        #[test]
        fn on_examples() {
            for text in [
                "example.com",
                "Example.COM",
                "xn--r8jz45g.jp",
                "XN--R8JZ45G.jp",
                "xn--abc.jp",
                "a-.b",
                "-a.b",
                "a..b",
                "",
            ] {
                let form = |d: Domain| (d.as_str().to_owned(), d.to_ascii().to_owned());
                assert_eq!(
                    Domain::new_ascii(text).map(form),
                    Domain::new_general(text).ok().map(form),
                    "{text:?}"
                );
            }
        }
    }
}
