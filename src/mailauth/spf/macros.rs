//! SPF macros (RFC 7208 §7): the `%{...}` language inside domain-specs, modifier values and
//! explanation strings.
//!
//! ```text
//! macro-string     = *( macro-expand / macro-literal )
//! macro-expand     = ( "%{" macro-letter transformers *delimiter "}" )
//!                    / "%%" / "%_" / "%-"
//! macro-literal    = %x21-24 / %x26-7E
//! macro-letter     = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" / "t" / "v"
//! transformers     = *DIGIT [ "r" ]
//! delimiter        = "." / "-" / "+" / "," / "/" / "_" / "="
//! explain-string   = *( macro-string / SP )
//! ```

use std::fmt;

use super::Client;

/// `macro-letter` (RFC 7208 §7.2): which value of the check a macro stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacroLetter {
    /// `s`: the `<sender>`.
    Sender,
    /// `l`: the local-part of `<sender>`.
    LocalPart,
    /// `o`: the domain of `<sender>`.
    SenderDomain,
    /// `d`: the `<domain>` being evaluated (changes with include and redirect).
    Domain,
    /// `i`: `<ip>`, dotted quad or 32 dotted nibbles.
    Ip,
    /// `p`: the validated domain name of `<ip>` (§5.5; "do not use").
    ValidatedName,
    /// `v`: `in-addr` for IPv4, `ip6` for IPv6.
    IpVersion,
    /// `h`: the HELO/EHLO domain.
    Helo,
    /// `c`: `<ip>` in its readable form (explanations only).
    ClientIp,
    /// `r`: the name of the host performing the check (explanations only).
    Receiver,
    /// `t`: the current time in seconds since the Epoch (explanations only).
    Timestamp,
}

impl MacroLetter {
    fn from_ascii_lowercase(c: char) -> Option<Self> {
        Some(match c {
            's' => Self::Sender,
            'l' => Self::LocalPart,
            'o' => Self::SenderDomain,
            'd' => Self::Domain,
            'i' => Self::Ip,
            'p' => Self::ValidatedName,
            'v' => Self::IpVersion,
            'h' => Self::Helo,
            'c' => Self::ClientIp,
            'r' => Self::Receiver,
            't' => Self::Timestamp,
            _ => return None,
        })
    }

    /// The letter, lower case.
    pub fn as_char(self) -> char {
        match self {
            Self::Sender => 's',
            Self::LocalPart => 'l',
            Self::SenderDomain => 'o',
            Self::Domain => 'd',
            Self::Ip => 'i',
            Self::ValidatedName => 'p',
            Self::IpVersion => 'v',
            Self::Helo => 'h',
            Self::ClientIp => 'c',
            Self::Receiver => 'r',
            Self::Timestamp => 't',
        }
    }

    /// `c`, `r` and `t` are "allowed only in exp text" (§7.2).
    pub fn explanation_only(self) -> bool {
        matches!(self, Self::ClientIp | Self::Receiver | Self::Timestamp)
    }
}

/// One piece of a macro-string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroToken {
    /// Literal text, copied as it is.
    Literal(String),
    /// `"%{" macro-letter transformers *delimiter "}"`.
    Expand {
        letter: MacroLetter,
        /// The letter was upper case: URL-escape the value (§7.3).
        url_escape: bool,
        /// `*DIGIT`: keep this many right-hand parts (never 0).
        keep: Option<u32>,
        /// `"r"`: reverse the parts.
        reverse: bool,
        /// The delimiters to split on; empty means `.`.
        delimiters: String,
    },
    /// `%%`: a literal `%`.
    Percent,
    /// `%_`: a space.
    Space,
    /// `%-`: a URL-encoded space, `%20`.
    UrlSpace,
}

/// Where a macro-string stands, which decides what it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroContext {
    /// The `domain-spec` of a mechanism, `redirect=` or `exp=`: no `c`, `r`, `t`.
    DomainSpec,
    /// The value of an unknown modifier: never expanded, so every letter is allowed.
    ModifierValue,
    /// The TXT record `exp=` points at (`explain-string`): spaces and every letter allowed.
    Explanation,
}

/// Why a macro-string does not follow RFC 7208 §7.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroError {
    /// A `%` not followed by `{`, `%`, `_` or `-` (§7.3); `saw` is what followed, if anything.
    BarePercent { saw: Option<char> },
    /// `%{x}` with a letter that is not a macro-letter.
    UnknownLetter(char),
    /// `%{c}`, `%{r}` or `%{t}` outside explanation text (§7.2).
    ExplanationOnly(char),
    /// `%{d0}`: "If a DIGIT is specified, the value MUST be nonzero" (§7.3).
    ZeroParts,
    /// Something other than a delimiter or `}` inside `%{...}`.
    BadDelimiter(Option<char>),
    /// A character that is not a `macro-literal` (visible ASCII) here.
    BadCharacter(char),
    /// Expansion would produce more text than the check allows.
    TooLong,
}

impl fmt::Display for MacroError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BarePercent { saw: Some(c) } => {
                write!(f, "'%' must be followed by '{{', '%', '_' or '-', saw {:?}", c)
            }
            Self::BarePercent { saw: None } => {
                f.write_str("'%' must be followed by '{', '%', '_' or '-', saw the end")
            }
            Self::UnknownLetter(c) => write!(f, "'{c}' is not a macro letter (s l o d i p h v, c r t)"),
            Self::ExplanationOnly(c) => write!(f, "macro '%{{{c}}}' is allowed only in explanation text"),
            Self::ZeroParts => f.write_str("a macro's part count must not be 0"),
            Self::BadDelimiter(Some(c)) => {
                write!(f, "expected a delimiter (. - + , / _ =) or '}}' in a macro, saw {c:?}")
            }
            Self::BadDelimiter(None) => f.write_str("macro is missing its closing '}'"),
            Self::BadCharacter(c) => write!(f, "{c:?} is not allowed here (visible ASCII only)"),
            Self::TooLong => f.write_str("macro expansion is too long"),
        }
    }
}

impl std::error::Error for MacroError {}

/// A parsed `macro-string` (or `explain-string`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacroString {
    tokens: Vec<MacroToken>,
}

impl MacroString {
    /// Parses `text` as a macro-string for `context` (§7.1).
    pub fn parse(text: &str, context: MacroContext) -> Result<Self, MacroError> {
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                let allowed =
                    matches!(c, '\x21'..='\x7e') || (c == ' ' && context == MacroContext::Explanation);
                if !allowed {
                    return Err(MacroError::BadCharacter(c));
                }
                literal.push(c);
                continue;
            }
            let token = match chars.next() {
                Some('%') => MacroToken::Percent,
                Some('_') => MacroToken::Space,
                Some('-') => MacroToken::UrlSpace,
                Some('{') => macro_expand(&mut chars, context)?,
                saw => return Err(MacroError::BarePercent { saw }),
            };
            if !literal.is_empty() {
                tokens.push(MacroToken::Literal(std::mem::take(&mut literal)));
            }
            tokens.push(token);
        }
        if !literal.is_empty() {
            tokens.push(MacroToken::Literal(literal));
        }
        Ok(Self { tokens })
    }

    pub fn tokens(&self) -> &[MacroToken] {
        &self.tokens
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Whether any `%{...}` in the string uses `letter`.
    pub fn uses(&self, letter: MacroLetter) -> bool {
        self.tokens.iter().any(|t| matches!(t, MacroToken::Expand { letter: l, .. } if *l == letter))
    }

    /// Expands the string with the values in `env` (§7.3). Each byte a macro produces is
    /// taken from `budget`; when it runs out the expansion fails with
    /// [`MacroError::TooLong`], so hostile records cannot make the check build huge strings.
    pub fn expand(&self, env: &MacroEnv<'_>, budget: &mut usize) -> Result<String, MacroError> {
        self.expand_with(env, budget, |_| {})
    }

    /// Expands a domain-spec into a name to query: a trailing dot is dropped, and a name over
    /// 253 characters loses labels on the left until it fits (§7.3).
    pub fn expand_domain(&self, env: &MacroEnv<'_>, budget: &mut usize) -> Result<String, MacroError> {
        // Only the right-most 253 characters can survive truncation, so long intermediate
        // output is trimmed from the left as it grows; the part kept is long enough that the
        // final cut lands on the same label boundary.
        let expanded = self.expand_with(env, budget, |out| {
            if out.len() > 4096 {
                let mut cut = out.len() - 1024;
                while !out.is_char_boundary(cut) {
                    cut += 1;
                }
                out.drain(..cut);
            }
        })?;
        let name = expanded.strip_suffix('.').unwrap_or(&expanded);
        Ok(truncate_domain(name).to_owned())
    }

    fn expand_with(
        &self,
        env: &MacroEnv<'_>,
        budget: &mut usize,
        mut after_token: impl FnMut(&mut String),
    ) -> Result<String, MacroError> {
        let mut out = String::new();
        for token in &self.tokens {
            let piece_len = match token {
                MacroToken::Literal(text) => {
                    out.push_str(text);
                    text.len()
                }
                MacroToken::Percent => {
                    out.push('%');
                    1
                }
                MacroToken::Space => {
                    out.push(' ');
                    1
                }
                MacroToken::UrlSpace => {
                    out.push_str("%20");
                    3
                }
                MacroToken::Expand { letter, url_escape, keep, reverse, delimiters } => {
                    let value = env.value(*letter);
                    let parts = transform(&value, *keep, *reverse, delimiters);
                    let before = out.len();
                    if *url_escape {
                        push_url_escaped(&mut out, &parts);
                    } else {
                        out.push_str(&parts);
                    }
                    value.len() + out.len() - before
                }
            };
            *budget = budget.checked_sub(piece_len).ok_or(MacroError::TooLong)?;
            after_token(&mut out);
        }
        Ok(out)
    }
}

/// `"%{" macro-letter transformers *delimiter "}"`, after the `%{`.
fn macro_expand(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    context: MacroContext,
) -> Result<MacroToken, MacroError> {
    let c = chars.next().ok_or(MacroError::BadDelimiter(None))?;
    let letter =
        MacroLetter::from_ascii_lowercase(c.to_ascii_lowercase()).ok_or(MacroError::UnknownLetter(c))?;
    if context == MacroContext::DomainSpec && letter.explanation_only() {
        return Err(MacroError::ExplanationOnly(c));
    }
    let mut keep: Option<u32> = None;
    while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        keep = Some(keep.unwrap_or(0).saturating_mul(10).saturating_add(digit));
    }
    if keep == Some(0) {
        return Err(MacroError::ZeroParts);
    }
    // ABNF literals are case-insensitive (RFC 5234 §2.3), so `R` reverses too.
    let reverse = chars.next_if(|c| c.eq_ignore_ascii_case(&'r')).is_some();
    let mut delimiters = String::new();
    loop {
        match chars.next() {
            Some('}') => break,
            Some(d) if is_delimiter(d) => delimiters.push(d),
            saw => return Err(MacroError::BadDelimiter(saw)),
        }
    }
    Ok(MacroToken::Expand { letter, url_escape: c.is_ascii_uppercase(), keep, reverse, delimiters })
}

fn is_delimiter(c: char) -> bool {
    matches!(c, '.' | '-' | '+' | ',' | '/' | '_' | '=')
}

/// Splits on the delimiters, reverses, keeps the right-most parts, rejoins with `.` (§7.3).
fn transform(value: &str, keep: Option<u32>, reverse: bool, delimiters: &str) -> String {
    let delimiters = if delimiters.is_empty() { "." } else { delimiters };
    let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
    if reverse {
        parts.reverse();
    }
    if let Some(keep) = keep.and_then(|k| usize::try_from(k).ok()) {
        let drop = parts.len().saturating_sub(keep);
        parts.drain(..drop);
    }
    parts.join(".")
}

/// URL escaping of everything outside RFC 3986's `unreserved` set (§7.3).
fn push_url_escaped(out: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// Drops labels from the left until the name is at most 253 characters (§7.3).
pub fn truncate_domain(name: &str) -> &str {
    let mut rest = name;
    while rest.len() > 253 {
        match rest.split_once('.') {
            Some((_, tail)) => rest = tail,
            None => break,
        }
    }
    rest
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for token in &self.tokens {
            match token {
                MacroToken::Literal(text) => f.write_str(text)?,
                MacroToken::Percent => f.write_str("%%")?,
                MacroToken::Space => f.write_str("%_")?,
                MacroToken::UrlSpace => f.write_str("%-")?,
                MacroToken::Expand { letter, url_escape, keep, reverse, delimiters } => {
                    let c = letter.as_char();
                    write!(f, "%{{{}", if *url_escape { c.to_ascii_uppercase() } else { c })?;
                    if let Some(keep) = keep {
                        write!(f, "{keep}")?;
                    }
                    if *reverse {
                        f.write_str("r")?;
                    }
                    write!(f, "{delimiters}}}")?;
                }
            }
        }
        Ok(())
    }
}

/// The values macros expand to during one evaluation (§7.2).
#[derive(Debug, Clone)]
pub struct MacroEnv<'a> {
    pub sender: &'a str,
    pub local_part: &'a str,
    pub sender_domain: &'a str,
    pub domain: &'a str,
    pub client: Client,
    pub helo: &'a str,
    /// `%{p}`: found by the caller (it needs DNS), `unknown` if none validated.
    pub validated_name: &'a str,
    pub receiver: &'a str,
    pub now: u64,
}

impl MacroEnv<'_> {
    fn value(&self, letter: MacroLetter) -> String {
        match letter {
            MacroLetter::Sender => self.sender.to_owned(),
            MacroLetter::LocalPart => self.local_part.to_owned(),
            MacroLetter::SenderDomain => self.sender_domain.to_owned(),
            MacroLetter::Domain => self.domain.to_owned(),
            MacroLetter::Ip => self.client.dotted(),
            MacroLetter::ValidatedName => self.validated_name.to_owned(),
            MacroLetter::IpVersion => self.client.version_label().to_owned(),
            MacroLetter::Helo => self.helo.to_owned(),
            MacroLetter::ClientIp => self.client.to_string(),
            MacroLetter::Receiver => self.receiver.to_owned(),
            MacroLetter::Timestamp => self.now.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    const BUDGET: usize = 1 << 20;

    fn env(ip: &str) -> MacroEnv<'static> {
        let ip: IpAddr = ip.parse().expect("test address");
        MacroEnv {
            sender: "strong-bad@email.example.com",
            local_part: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            client: Client::from(ip),
            helo: "mx.example.org",
            validated_name: "mx.example.org",
            receiver: "mybox.example.org",
            now: 1_400_000_000,
        }
    }

    fn expand(text: &str, ip: &str) -> String {
        let parsed = MacroString::parse(text, MacroContext::Explanation).expect(text);
        parsed.expand(&env(ip), &mut { BUDGET }).expect(text)
    }

    #[test]
    fn rfc7208_section_7_4_examples() {
        let known = [
            ("%{s}", "strong-bad@email.example.com"),
            ("%{o}", "email.example.com"),
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"),
            ("%{lr-}", "bad.strong"),
            ("%{l1r-}", "strong"),
            ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
            ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
            ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ];
        for (text, want) in known {
            assert_eq!(expand(text, "192.0.2.3"), want, "{text}");
        }
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn escapes_and_explanation_letters() {
        assert_eq!(expand("a%%b%_c%-d", "192.0.2.3"), "a%b c%20d");
        assert_eq!(
            expand("%{c} %{r} %{t} %{p}", "2001:db8::cb01"),
            "2001:db8::cb01 mybox.example.org 1400000000 mx.example.org"
        );
        assert_eq!(expand("%{c} %{i}", "::ffff:192.0.2.3"), "192.0.2.3 192.0.2.3", "IPv4-mapped is IPv4");
        // Upper case: URL-escape everything outside RFC 3986 unreserved.
        assert_eq!(expand("%{S}", "192.0.2.3"), "strong-bad%40email.example.com");
        assert_eq!(expand("%{L}", "192.0.2.3"), "strong-bad");
        assert_eq!(expand("%{D2R}", "192.0.2.3"), "example.email");
        // Many delimiters, and more parts asked for than there are.
        assert_eq!(expand("%{l9r+-}", "192.0.2.3"), "bad.strong");
        assert_eq!(expand("%{d4294967295}", "192.0.2.3"), "email.example.com");
        assert_eq!(expand("%{d99999999999999999999}", "192.0.2.3"), "email.example.com");
    }

    #[test]
    fn syntax_errors_are_errors() {
        use MacroContext::*;
        let bad = [
            ("%(ir).sbl.example.org", DomainSpec, MacroError::BarePercent { saw: Some('(') }),
            ("foo%", DomainSpec, MacroError::BarePercent { saw: None }),
            ("%{", DomainSpec, MacroError::BadDelimiter(None)),
            ("%{d", DomainSpec, MacroError::BadDelimiter(None)),
            ("%{d2r", DomainSpec, MacroError::BadDelimiter(None)),
            ("%{x}", Explanation, MacroError::UnknownLetter('x')),
            ("%{}", Explanation, MacroError::UnknownLetter('}')),
            ("%{d0}", DomainSpec, MacroError::ZeroParts),
            ("%{d2rr}", DomainSpec, MacroError::BadDelimiter(Some('r'))),
            ("%{d:}", DomainSpec, MacroError::BadDelimiter(Some(':'))),
            ("%{r}.example.com", DomainSpec, MacroError::ExplanationOnly('r')),
            ("%{C}", DomainSpec, MacroError::ExplanationOnly('C')),
            ("a b", DomainSpec, MacroError::BadCharacter(' ')),
            ("caf\u{e9}", Explanation, MacroError::BadCharacter('\u{e9}')),
            ("tab\there", Explanation, MacroError::BadCharacter('\t')),
            ("%{\u{e9}}", Explanation, MacroError::UnknownLetter('\u{e9}')),
        ];
        for (text, context, want) in bad {
            assert_eq!(MacroString::parse(text, context), Err(want), "{text}");
        }
        assert!(MacroString::parse("%{r} %{t}", MacroContext::ModifierValue).is_err(), "no spaces");
        assert!(MacroString::parse("%{r}%{t}", MacroContext::ModifierValue).is_ok());
    }

    #[test]
    fn round_trips() {
        for text in ["", "%{d}", "%{L2r+-=}.x%%%_%-", "a.%{D}.%{h1}.%{ir}.%{v}.%{p}", "%{d02}"] {
            let parsed = MacroString::parse(text, MacroContext::Explanation).expect(text);
            let again = MacroString::parse(&parsed.to_string(), MacroContext::Explanation);
            assert_eq!(again.as_ref(), Ok(&parsed), "{text}");
        }
    }

    #[test]
    fn domain_truncation_keeps_the_right_labels() {
        let long = format!("{}.example.com", ["abcdefghij"; 30].join("."));
        let cut = truncate_domain(&long);
        assert!(cut.len() <= 253 && cut.ends_with(".example.com") && !cut.starts_with('.'), "{cut}");
        assert_eq!(truncate_domain("short.example"), "short.example");
        // One label longer than 253 cannot be cut at a dot; it is left as is (and is invalid).
        assert_eq!(truncate_domain(&"x".repeat(300)).len(), 300);
        // The incremental trim in expand_domain gives the same answer as truncating at the end.
        let spec = MacroString::parse(&"%{d}.".repeat(400), MacroContext::DomainSpec).expect("spec");
        let full = "email.example.com.".repeat(400);
        let want = truncate_domain(full.trim_end_matches('.'));
        assert_eq!(spec.expand_domain(&env("192.0.2.3"), &mut { BUDGET }), Ok(want.to_owned()));
    }

    #[test]
    fn budget_stops_blow_up() {
        let spec = MacroString::parse(&"%{s}".repeat(10_000), MacroContext::DomainSpec).expect("spec");
        assert_eq!(spec.expand_domain(&env("192.0.2.3"), &mut 100_000), Err(MacroError::TooLong));
        let mut budget = 100;
        assert!(spec.expand(&env("192.0.2.3"), &mut budget).is_err());
        assert_eq!(budget, 100 - 2 * 28, "the first %{{s}} read 28 bytes and wrote 28");
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use proptest::prelude::*;

        use super::super::*;
        use super::{BUDGET, env};

        proptest! {
            #[test]
            fn parse_and_expand_never_panic(text in "(%|\\{|\\}|[a-zA-Z0-9.+=_/,-]|[ -~]|\\PC){0,40}") {
                for context in [MacroContext::DomainSpec, MacroContext::ModifierValue, MacroContext::Explanation] {
                    if let Ok(parsed) = MacroString::parse(&text, context) {
                        let again = MacroString::parse(&parsed.to_string(), context);
                        prop_assert_eq!(again.as_ref(), Ok(&parsed));
                        let _ = parsed.expand(&env("2001:db8::1"), &mut { BUDGET });
                        let _ = parsed.expand_domain(&env("192.0.2.1"), &mut 64);
                    }
                }
            }
        }
    }
}
