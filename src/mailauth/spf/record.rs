//! The SPF record grammar (RFC 7208 §4.5, §4.6.1, §5, §6, §7.1): version, terms, mechanisms
//! with their qualifiers, CIDR lengths and domain-specs, and modifiers.
//!
//! A record is parsed whole before anything is evaluated, because "if there are any syntax
//! errors anywhere in the record, check_host() returns immediately with the result
//! permerror" (§4.6). [`SpfRecord`]'s `Display` writes the record back in canonical form
//! (lower-case names), and `parse(display(r)) == r`.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::SpfResult;
use super::macros::{MacroContext, MacroError, MacroString, MacroToken};

/// `version = "v=spf1"`, terminated by SP or the end of the record (§4.5).
pub fn is_spf1(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.get(..6).is_some_and(|v| v.eq_ignore_ascii_case(b"v=spf1"))
        && matches!(bytes.get(6), None | Some(b' '))
}

/// `qualifier = "+" / "-" / "?" / "~"` (§4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `+`, the default.
    Pass,
    /// `-`.
    Fail,
    /// `~`.
    SoftFail,
    /// `?`.
    Neutral,
}

impl Qualifier {
    fn from_char(c: char) -> Option<Self> {
        Some(match c {
            '+' => Self::Pass,
            '-' => Self::Fail,
            '~' => Self::SoftFail,
            '?' => Self::Neutral,
            _ => return None,
        })
    }

    pub fn as_char(self) -> char {
        match self {
            Self::Pass => '+',
            Self::Fail => '-',
            Self::SoftFail => '~',
            Self::Neutral => '?',
        }
    }

    /// The result a matching mechanism with this qualifier gives.
    pub fn result(self) -> SpfResult {
        match self {
            Self::Pass => SpfResult::Pass,
            Self::Fail => SpfResult::Fail,
            Self::SoftFail => SpfResult::SoftFail,
            Self::Neutral => SpfResult::Neutral,
        }
    }
}

/// `dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]` (§5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct DualCidr {
    /// Prefix length for IPv4 comparisons; absent means `/32`.
    pub ip4: Option<u8>,
    /// Prefix length for IPv6 comparisons; absent means `/128`.
    pub ip6: Option<u8>,
}

/// `domain-spec = macro-string domain-end` (§7.1): a macro-string that ends in a macro or in
/// a valid top label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSpec(MacroString);

impl DomainSpec {
    /// ```text
    /// domain-spec = macro-string domain-end
    /// domain-end  = ( "." toplabel [ "." ] ) / macro-expand
    /// ```
    pub fn parse(text: &str) -> Result<Self, SyntaxError> {
        if text.is_empty() {
            return Err(SyntaxError::EmptyDomainSpec);
        }
        let spec = MacroString::parse(text, MacroContext::DomainSpec).map_err(SyntaxError::Macro)?;
        match spec.tokens().last() {
            Some(MacroToken::Literal(tail)) => {
                let tail = tail.strip_suffix('.').unwrap_or(tail);
                match tail.rsplit_once('.') {
                    Some((_, top)) if is_toplabel(top) => Ok(Self(spec)),
                    _ => Err(SyntaxError::DomainEnd(text.to_owned())),
                }
            }
            _ => Ok(Self(spec)),
        }
    }

    pub fn macro_string(&self) -> &MacroString {
        &self.0
    }
}

impl fmt::Display for DomainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// ```text
/// toplabel = ( *alphanum ALPHA *alphanum ) /
///            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
/// ```
fn is_toplabel(label: &str) -> bool {
    let bytes = label.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
    if !bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
        return false;
    }
    if bytes.contains(&b'-') {
        first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric()
    } else {
        bytes.iter().any(u8::is_ascii_alphabetic)
    }
}

/// `mechanism = ( all / include / a / mx / ptr / ip4 / ip6 / exists )` (§5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    /// `all` (§5.1).
    All,
    /// `include ":" domain-spec` (§5.2).
    Include(DomainSpec),
    /// `a [ ":" domain-spec ] [ dual-cidr-length ]` (§5.3).
    A { domain: Option<DomainSpec>, cidr: DualCidr },
    /// `mx [ ":" domain-spec ] [ dual-cidr-length ]` (§5.4).
    Mx { domain: Option<DomainSpec>, cidr: DualCidr },
    /// `ptr [ ":" domain-spec ]` (§5.5).
    Ptr(Option<DomainSpec>),
    /// `ip4 ":" ip4-network [ ip4-cidr-length ]` (§5.6).
    Ip4 { network: Ipv4Addr, prefix: Option<u8> },
    /// `ip6 ":" ip6-network [ ip6-cidr-length ]` (§5.6).
    Ip6 { network: Ipv6Addr, prefix: Option<u8> },
    /// `exists ":" domain-spec` (§5.7).
    Exists(DomainSpec),
}

impl Mechanism {
    /// The mechanism's name, as in the record.
    pub fn name(&self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Include(_) => "include",
            Self::A { .. } => "a",
            Self::Mx { .. } => "mx",
            Self::Ptr(_) => "ptr",
            Self::Ip4 { .. } => "ip4",
            Self::Ip6 { .. } => "ip6",
            Self::Exists(_) => "exists",
        }
    }

    /// The section of RFC 7208 that defines it, e.g. `§5.6`.
    pub fn section(&self) -> &'static str {
        match self {
            Self::All => "§5.1",
            Self::Include(_) => "§5.2",
            Self::A { .. } => "§5.3",
            Self::Mx { .. } => "§5.4",
            Self::Ptr(_) => "§5.5",
            Self::Ip4 { .. } | Self::Ip6 { .. } => "§5.6",
            Self::Exists(_) => "§5.7",
        }
    }

    /// Whether evaluating it queries DNS, and so counts against the limit of 10 (§4.6.4).
    pub fn queries_dns(&self) -> bool {
        matches!(self, Self::Include(_) | Self::A { .. } | Self::Mx { .. } | Self::Ptr(_) | Self::Exists(_))
    }
}

/// `directive = [ qualifier ] mechanism` (§4.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The qualifier as written; `None` means the implicit `+`.
    pub qualifier: Option<Qualifier>,
    pub mechanism: Mechanism,
}

impl Directive {
    /// The effective qualifier (`+` when none is written).
    pub fn qualifier(&self) -> Qualifier {
        self.qualifier.unwrap_or(Qualifier::Pass)
    }
}

/// `modifier = redirect / explanation / unknown-modifier` (§6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modifier {
    /// `redirect "=" domain-spec` (§6.1).
    Redirect(DomainSpec),
    /// `exp "=" domain-spec` (§6.2).
    Explanation(DomainSpec),
    /// `name "=" macro-string`, ignored when evaluating (§6).
    Unknown { name: String, value: MacroString },
}

/// One term of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Directive(Directive),
    Modifier(Modifier),
}

/// A parsed `record = version terms *SP` (§4.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpfRecord {
    pub terms: Vec<Term>,
}

/// Why a record is not valid SPF: each makes check_host() return permerror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    /// The record does not start with `v=spf1` followed by a space or its end.
    Version,
    /// SPF records are 7-bit ASCII (§3.1; `%x21-7E` and SP in the ABNF).
    NotAscii(char),
    /// A term that is neither a known mechanism nor `name=value`.
    UnknownMechanism(String),
    /// A modifier name must be `ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )` (§4.6.1).
    ModifierName(String),
    /// A term whose arguments do not follow its grammar.
    Term { term: String, expected: &'static str },
    /// An empty domain-spec (`a:`, `include:`, `exp=`).
    EmptyDomainSpec,
    /// A domain-spec that ends neither in a macro nor in `"." toplabel [ "." ]` (§7.1).
    DomainEnd(String),
    /// A macro-string error (§7.1).
    Macro(MacroError),
    /// `redirect` or `exp` given twice (§6).
    Duplicate(&'static str),
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Version => f.write_str("the record does not start with \"v=spf1\""),
            Self::NotAscii(c) => write!(f, "SPF records are 7-bit ASCII, but this one contains {c:?}"),
            Self::UnknownMechanism(term) => write!(f, "'{term}' is not a mechanism SPF knows"),
            Self::ModifierName(name) => {
                write!(f, "'{name}' is not a modifier name (a letter, then letters, digits, - _ .)")
            }
            Self::Term { term, expected } => write!(f, "'{term}': expected {expected}"),
            Self::EmptyDomainSpec => f.write_str("a domain-spec cannot be empty"),
            Self::DomainEnd(spec) => {
                write!(f, "'{spec}' must end in a macro or in a top-level label such as \".com\"")
            }
            Self::Macro(error) => error.fmt(f),
            Self::Duplicate(name) => write!(f, "'{name}=' appears more than once"),
        }
    }
}

impl std::error::Error for SyntaxError {}

impl SpfRecord {
    /// Parses a whole record, version included (§4.5, §4.6).
    pub fn parse(text: &str) -> Result<Self, SyntaxError> {
        if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
            return Err(SyntaxError::NotAscii(c));
        }
        if !is_spf1(text) {
            return Err(SyntaxError::Version);
        }
        let terms = text.get(6..).unwrap_or_default();
        let mut record = Self::default();
        let (mut redirects, mut explanations) = (0, 0);
        // `terms = *( 1*SP ( directive / modifier ) )`: only SP separates terms.
        for term in terms.split(' ').filter(|t| !t.is_empty()) {
            let term = parse_term(term)?;
            match &term {
                Term::Modifier(Modifier::Redirect(_)) => redirects += 1,
                Term::Modifier(Modifier::Explanation(_)) => explanations += 1,
                _ => {}
            }
            record.terms.push(term);
        }
        if redirects > 1 {
            return Err(SyntaxError::Duplicate("redirect"));
        }
        if explanations > 1 {
            return Err(SyntaxError::Duplicate("exp"));
        }
        Ok(record)
    }

    /// The mechanisms, in order.
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.terms.iter().filter_map(|t| if let Term::Directive(d) = t { Some(d) } else { None })
    }

    /// The `redirect=` target, if any.
    pub fn redirect(&self) -> Option<&DomainSpec> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Redirect(spec)) => Some(spec),
            _ => None,
        })
    }

    /// The `exp=` target, if any.
    pub fn explanation(&self) -> Option<&DomainSpec> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Explanation(spec)) => Some(spec),
            _ => None,
        })
    }
}

/// `directive / modifier`. Modifiers have `=` right after a name, before any `:` or `/`;
/// everything else is a directive (§4.6.1).
fn parse_term(term: &str) -> Result<Term, SyntaxError> {
    if let Some((name, value)) = term.split_once('=')
        && !name.contains([':', '/'])
    {
        return parse_modifier(name, value).map(Term::Modifier);
    }
    parse_directive(term).map(Term::Directive)
}

/// `redirect / explanation / unknown-modifier` (§6).
fn parse_modifier(name: &str, value: &str) -> Result<Modifier, SyntaxError> {
    let mut chars = name.chars();
    let valid_name = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_name {
        return Err(SyntaxError::ModifierName(name.to_owned()));
    }
    // Known modifier names are never unknown-modifiers, so a bad `redirect=` value is an
    // error rather than an ignored modifier (RFC 7208 erratum 4154's reading).
    if name.eq_ignore_ascii_case("redirect") {
        DomainSpec::parse(value).map(Modifier::Redirect)
    } else if name.eq_ignore_ascii_case("exp") {
        DomainSpec::parse(value).map(Modifier::Explanation)
    } else {
        let value = MacroString::parse(value, MacroContext::ModifierValue).map_err(SyntaxError::Macro)?;
        Ok(Modifier::Unknown { name: name.to_owned(), value })
    }
}

/// `directive = [ qualifier ] mechanism`; the mechanism name runs up to `:` or `/`.
fn parse_directive(term: &str) -> Result<Directive, SyntaxError> {
    let mut chars = term.chars();
    let qualifier = chars.next().and_then(Qualifier::from_char);
    let body = if qualifier.is_some() { chars.as_str() } else { term };
    let (name, args) = body.split_at(body.find([':', '/']).unwrap_or(body.len()));
    let bad = |expected| SyntaxError::Term { term: term.to_owned(), expected };
    let mechanism = match name.to_ascii_lowercase().as_str() {
        "all" if args.is_empty() => Mechanism::All,
        "all" => return Err(bad("nothing after \"all\"")),
        "include" => Mechanism::Include(required_domain_spec(args).ok_or_else(|| bad("include:<domain>"))??),
        "exists" => Mechanism::Exists(required_domain_spec(args).ok_or_else(|| bad("exists:<domain>"))??),
        "ptr" => Mechanism::Ptr(match args.strip_prefix(':') {
            Some(spec) => Some(DomainSpec::parse(spec)?),
            None if args.is_empty() => None,
            None => return Err(bad("ptr or ptr:<domain>, without a CIDR length")),
        }),
        "a" | "mx" => {
            let (spec, cidr) = split_dual_cidr(args).ok_or_else(|| bad("CIDR lengths /0-32 and //0-128"))?;
            let domain = match spec.strip_prefix(':') {
                Some(spec) => Some(DomainSpec::parse(spec)?),
                None if spec.is_empty() => None,
                None => return Err(bad("\":\" and a domain, or a CIDR length, after the name")),
            };
            if name.eq_ignore_ascii_case("a") {
                Mechanism::A { domain, cidr }
            } else {
                Mechanism::Mx { domain, cidr }
            }
        }
        "ip4" => {
            let expected = "ip4:<dotted quad>[/<0-32>]";
            let (network, prefix) =
                args.strip_prefix(':').and_then(split_prefix).ok_or_else(|| bad(expected))?;
            let network = network.parse().map_err(|_| bad(expected))?;
            let prefix = match prefix {
                Some(p) => Some(cidr_length(p, 32).ok_or_else(|| bad(expected))?),
                None => None,
            };
            Mechanism::Ip4 { network, prefix }
        }
        "ip6" => {
            let expected = "ip6:<IPv6 address>[/<0-128>]";
            let (network, prefix) =
                args.strip_prefix(':').and_then(split_prefix).ok_or_else(|| bad(expected))?;
            let network = network.parse().map_err(|_| bad(expected))?;
            let prefix = match prefix {
                Some(p) => Some(cidr_length(p, 128).ok_or_else(|| bad(expected))?),
                None => None,
            };
            Mechanism::Ip6 { network, prefix }
        }
        _ => return Err(SyntaxError::UnknownMechanism(term.to_owned())),
    };
    Ok(Directive { qualifier, mechanism })
}

/// `":" domain-spec`, required: `None` if the colon is missing.
fn required_domain_spec(args: &str) -> Option<Result<DomainSpec, SyntaxError>> {
    args.strip_prefix(':').map(DomainSpec::parse)
}

/// `network [ "/" digits ]`: splits at the first `/`.
fn split_prefix(text: &str) -> Option<(&str, Option<&str>)> {
    Some(match text.split_once('/') {
        Some((network, prefix)) => (network, Some(prefix)),
        None => (text, None),
    })
}

/// `"0" / %x31-39 0*1DIGIT` (≤ 32) or `"0" / %x31-39 0*2DIGIT` (≤ 128): no leading zeros.
fn cidr_length(digits: &str, max: u8) -> Option<u8> {
    let canonical = digits == "0" || (!digits.starts_with('0') && digits.len() <= 3);
    if !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u8>().ok().filter(|&n| n <= max)
}

/// Takes `[ ip4-cidr-length ] [ "/" ip6-cidr-length ]` off the end of an `a`/`mx` argument.
/// The domain-spec may itself contain `/` (`a:foo:bar/baz.example.com`), so the lengths are
/// found from the right. `None` if a length is malformed.
fn split_dual_cidr(args: &str) -> Option<(&str, DualCidr)> {
    let mut cidr = DualCidr::default();
    let Some((head, digits)) = trailing_length(args) else { return Some((args, cidr)) };
    match head.strip_suffix('/') {
        Some(before) => {
            cidr.ip6 = Some(cidr_length(digits, 128)?);
            match trailing_length(before) {
                Some((rest, ip4)) if !rest.ends_with('/') => {
                    cidr.ip4 = Some(cidr_length(ip4, 32)?);
                    Some((rest, cidr))
                }
                _ => Some((before, cidr)),
            }
        }
        None => {
            cidr.ip4 = Some(cidr_length(digits, 32)?);
            Some((head, cidr))
        }
    }
}

/// `text` as `(head, digits)` where it ends in `"/" 1*DIGIT` and `head` excludes that `/`.
fn trailing_length(text: &str) -> Option<(&str, &str)> {
    let head_len = text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, digits) = text.split_at(head_len);
    if digits.is_empty() {
        return None;
    }
    head.strip_suffix('/').map(|head| (head, digits))
}

impl fmt::Display for DualCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ip4) = self.ip4 {
            write!(f, "/{ip4}")?;
        }
        if let Some(ip6) = self.ip6 {
            write!(f, "//{ip6}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Self::All => Ok(()),
            Self::Include(spec) | Self::Exists(spec) => write!(f, ":{spec}"),
            Self::A { domain, cidr } | Self::Mx { domain, cidr } => {
                if let Some(spec) = domain {
                    write!(f, ":{spec}")?;
                }
                cidr.fmt(f)
            }
            Self::Ptr(domain) => domain.as_ref().map_or(Ok(()), |spec| write!(f, ":{spec}")),
            Self::Ip4 { network, prefix } => {
                write!(f, ":{network}")?;
                prefix.map_or(Ok(()), |p| write!(f, "/{p}"))
            }
            Self::Ip6 { network, prefix } => {
                write!(f, ":{network}")?;
                prefix.map_or(Ok(()), |p| write!(f, "/{p}"))
            }
        }
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(q) = self.qualifier {
            write!(f, "{}", q.as_char())?;
        }
        self.mechanism.fmt(f)
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redirect(spec) => write!(f, "redirect={spec}"),
            Self::Explanation(spec) => write!(f, "exp={spec}"),
            Self::Unknown { name, value } => write!(f, "{name}={value}"),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Directive(d) => d.fmt(f),
            Self::Modifier(m) => m.fmt(f),
        }
    }
}

impl fmt::Display for SpfRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=spf1")?;
        for term in &self.terms {
            write!(f, " {term}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SpfRecord, SyntaxError> {
        SpfRecord::parse(text)
    }

    fn only_directive(text: &str) -> Directive {
        let record = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        record.directives().next().cloned().unwrap_or_else(|| panic!("{text}: no directive"))
    }

    #[test]
    fn version_section() {
        for yes in ["v=spf1", "v=spf1 ", "V=SpF1 -all", "v=spf1  a"] {
            assert!(is_spf1(yes), "{yes}");
        }
        for no in ["v=spf10", "v=spf1mx", "v=spf2 -all", " v=spf1", "", "v=sp", "spf1", "v=spf1\t-all"] {
            assert!(!is_spf1(no), "{no}");
        }
        assert_eq!(parse("v=spf1"), Ok(SpfRecord::default()));
        assert_eq!(parse("v=spf1   ").map(|r| r.terms.len()), Ok(0));
    }

    #[test]
    fn mechanisms_and_lengths() {
        let d = only_directive("v=spf1 a/24//64");
        assert_eq!(
            d.mechanism,
            Mechanism::A { domain: None, cidr: DualCidr { ip4: Some(24), ip6: Some(64) } }
        );
        let d = only_directive("v=spf1 ~MX:example.com//0");
        assert_eq!(d.qualifier, Some(Qualifier::SoftFail));
        assert!(matches!(
            d.mechanism,
            Mechanism::Mx { domain: Some(_), cidr: DualCidr { ip4: None, ip6: Some(0) } }
        ));
        let d = only_directive("v=spf1 a:foo:bar/baz.example.com");
        assert_eq!(d.to_string(), "a:foo:bar/baz.example.com");
        assert!(matches!(d.mechanism, Mechanism::A { cidr: DualCidr { ip4: None, ip6: None }, .. }));
        let d = only_directive("v=spf1 a:foo.example.com/24");
        assert_eq!(d.to_string(), "a:foo.example.com/24");
        let d = only_directive("v=spf1 -ip4:192.0.2.0/24");
        assert_eq!(
            (d.qualifier(), d.mechanism),
            (Qualifier::Fail, Mechanism::Ip4 { network: Ipv4Addr::new(192, 0, 2, 0), prefix: Some(24) })
        );
        let d = only_directive("v=spf1 ip6:::FFFF:1.2.3.4");
        assert_eq!(d.to_string(), "ip6:::ffff:1.2.3.4");
        assert_eq!(only_directive("v=spf1 ?all").qualifier(), Qualifier::Neutral);
        assert_eq!(only_directive("v=spf1 all").qualifier(), Qualifier::Pass);
        assert_eq!(only_directive("v=spf1 PTR").mechanism, Mechanism::Ptr(None));
        assert_eq!(only_directive("v=spf1 a:%{d}/24").to_string(), "a:%{d}/24");
        assert_eq!(only_directive("v=spf1 a:foo.xn--zckzah").to_string(), "a:foo.xn--zckzah");
    }

    #[test]
    fn modifiers() {
        let record =
            parse("v=spf1 moo.cow-far_out=man:dog/cat Redirect=_spf.example.com exp=%{d}").expect("valid");
        assert_eq!(record.redirect().map(ToString::to_string), Some("_spf.example.com".into()));
        assert_eq!(record.explanation().map(ToString::to_string), Some("%{d}".into()));
        assert!(
            matches!(&record.terms[0], Term::Modifier(Modifier::Unknown { name, .. }) if name == "moo.cow-far_out")
        );
        assert!(parse("v=spf1 default=+").is_ok());
        assert!(parse("v=spf1 a=b=c").is_ok(), "unknown-modifier value may contain '='");
    }

    #[test]
    fn syntax_errors() {
        let bad = [
            "v=spf1 ip4:1.2.3.4 -all moo",
            "v=spf1 moo.cow/far_out=man:dog/cat",
            "v=spf1 moo.cow:far_out=man:dog/cat",
            "v=spf1 redirect:t2.example.com",
            "v=spf1 a:foo-bar",
            "v=spf1 -all.",
            "v=spf1 -all:foobar",
            "v=spf1 -all/8",
            "v=spf1 ptr/0",
            "v=spf1 ptr:",
            "v=spf1 a/33",
            "v=spf1 a//129",
            "v=spf1 a/24/64",
            "v=spf1 a/024",
            "v=spf1 a/",
            "v=spf1 a:example.com:8080",
            "v=spf1 a:111.222.33.44",
            "v=spf1 a:abc.123",
            "v=spf1 a:museum",
            "v=spf1 a:museum.",
            "v=spf1 a:example.-com",
            "v=spf1 a:example.com-",
            "v=spf1 a:",
            "v=spf1 a:foo.example.com\0",
            "v=spf1 a:ctrl.example.com\rptr",
            "v=spf1 include",
            "v=spf1 include:",
            "v=spf1 include:ip5.example.com/24",
            "v=spf1 exists",
            "v=spf1 exists:mail.example.com/24",
            "v=spf1 ip4",
            "v=spf1 ip4:1.2.3.4/33",
            "v=spf1 ip4:1.2.3.4/032",
            "v=spf1 ip4:1.2.3.4//32",
            "v=spf1 ip4:1.2.3.4:8080",
            "v=spf1 ip4:1.2.3",
            "v=spf1 ip4:01.2.3.4",
            "v=spf1 ip4:192.0.2.5\n",
            "v=spf1 -all ip6",
            "v=spf1 ip6:::1.1.1.1/129",
            "v=spf1 ip6:::1.1.1.1//33",
            "v=spf1 ip6::CAFE::BABE",
            "v=spf1 1up=foo",
            "v=spf1 =all",
            "v=spf1 foo=%abc",
            "v=spf1 exp=",
            "v=spf1 exp=-all",
            "v=spf1 redirect=-all ?all",
            "v=spf1 ?all redirect=",
            "v=spf1 exp=a.example.com exp=b.example.com",
            "v=spf1 redirect=a.example.com -all redirect=a.example.com",
            "v=spf1 -exists:%(ir).sbl.example.com",
            "v=spf1 a:%{a}.example.com",
            "v=spf1 -all exp=%{r}.example.com",
            "v=spf1 a:\u{ef}\u{bb}\u{bf}garbage.example.net -all",
            "v=spf1 \u{80}a:example.net -all",
            "v=spf1 +redirect=example.com",
            "v=spf1 a:%{d",
        ];
        for text in bad {
            assert!(parse(text).is_err(), "{text:?} should be a syntax error");
        }
        assert_eq!(parse("v=spf1 moo"), Err(SyntaxError::UnknownMechanism("moo".into())));
        assert_eq!(parse("v=spf1 exp=x.example exp=y.example"), Err(SyntaxError::Duplicate("exp")));
        assert_eq!(parse("v=spf1 caf\u{e9}"), Err(SyntaxError::NotAscii('\u{e9}')));
    }

    #[test]
    fn toplabels() {
        for ok in ["com", "xn--zckzah", "a1", "1a", "123-456", "a-b-c"] {
            assert!(is_toplabel(ok), "{ok}");
        }
        for bad in ["", "123", "-com", "com-", "co_m", "c m"] {
            assert!(!is_toplabel(bad), "{bad}");
        }
    }

    #[test]
    fn round_trips() {
        let records = [
            "v=spf1",
            "v=spf1 +a -mx ~ptr ?exists:%{ir}.%{l1r-}.x.example include:_spf.example.com all",
            "v=spf1 a:mail.example.com/24//64 mx//48 ip4:192.0.2.0/24 ip6:2001:db8::/32 ptr:example.org",
            "v=spf1 redirect=%{d}.d.spf.example.com. exp=explain._spf.%{d} foo.bar=%{s}%%%_%-",
            "v=spf1 a:foo:bar/baz.example.com mx:%{H}",
        ];
        for text in records {
            let record = parse(text).expect(text);
            assert_eq!(record.to_string(), text, "canonical form");
            assert_eq!(parse(&record.to_string()).as_ref(), Ok(&record));
        }
        // Non-canonical input comes back in canonical form.
        let record = parse("V=SPF1  +A:Example.COM/32   IP6:::FFFF:1.2.3.4 ").expect("valid");
        assert_eq!(record.to_string(), "v=spf1 +a:Example.COM/32 ip6:::ffff:1.2.3.4");
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn parse_never_panics(text in "v=spf1( ([-+~?]?(all|a|mx|ptr|ip4|ip6|exists|include|redirect|exp|x)[:/=]?[ -~]{0,12}))*") {
                if let Ok(record) = SpfRecord::parse(&text) {
                    prop_assert_eq!(SpfRecord::parse(&record.to_string()), Ok(record));
                }
            }

            #[test]
            fn parse_arbitrary_text(text in "\\PC{0,64}") {
                let _ = SpfRecord::parse(&text);
                let _ = SpfRecord::parse(&format!("v=spf1 {text}"));
            }
        }
    }
}
