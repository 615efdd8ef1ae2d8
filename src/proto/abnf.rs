//! The core rules of the RFC 5321 grammar (§4.1.2, §4.1.3), extended for SMTPUTF8
//! (RFC 6531 §3.3), as nom parsers over bytes.
//!
//! All parsers are *streaming*: input that ends before the rule could end answers
//! [`nom::Err::Incomplete`], never an error, so a caller that holds half a line waits
//! for more bytes. Every SMTP line ends in CRLF, which closes every rule.

use nom::{
    IResult, Parser,
    bytes::streaming::{tag, tag_no_case, take_while, take_while_m_n, take_while1},
    combinator::{map_res, opt, recognize},
    multi::{many0, many0_count},
    sequence::{pair, preceded},
};

/// `CRLF = CR LF` (RFC 5234 Appendix B.1). Bare LF is not accepted anywhere in SMTP.
pub fn crlf(input: &[u8]) -> IResult<&[u8], &[u8]> {
    tag("\r\n").parse(input)
}

/// `SP = %x20`
pub fn sp(input: &[u8]) -> IResult<&[u8], &[u8]> {
    tag(" ").parse(input)
}

/// A byte of a UTF-8 sequence outside ASCII (`UTF8-non-ascii`, RFC 6531 §3.3); the
/// whole run is checked with `str::from_utf8` once it is complete.
pub fn is_utf8_non_ascii(b: u8) -> bool {
    b >= 0x80
}

/// `atext` of RFC 5322 §3.2.3, `=/ UTF8-non-ascii` under RFC 6531 §3.3.
pub fn is_atext(b: u8) -> bool {
    // Past ASCII the table ends: those bytes are UTF8-non-ascii.
    match ATEXT.get(usize::from(b)) {
        Some(&ascii) => ascii,
        None => is_utf8_non_ascii(b),
    }
}

/// Classes of ASCII octets in the grammar, one bit each, for [`CLASSES`].
pub(crate) mod class {
    /// `atext` (RFC 5322 §3.2.3), the octets of a dot-string's atoms.
    pub const ATEXT: u8 = 1;
    /// `Let-dig / "-"`, the octets of a domain's labels (RFC 5321 §4.1.2).
    pub const LDH: u8 = 2;
    /// `esmtp-value = 1*(%d33-60 / %d62-126)` (RFC 5321 §4.1.2).
    pub const VALUE: u8 = 4;
    /// `Let-dig = ALPHA / DIGIT`.
    pub const LET_DIG: u8 = 8;
    pub const DOT: u8 = 16;
    pub const HYPHEN: u8 = 32;
}

/// Each octet's [`class`]es: the readers written by hand for the common lines look an
/// octet up once instead of branching on which range it falls in, a branch mispredicted
/// whenever letters, digits and punctuation alternate. Octets past ASCII are in none
/// (UTF-8 text is for the general rules).
pub(crate) static CLASSES: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let mut classes = 0;
        if ATEXT[b] {
            classes |= class::ATEXT;
        }
        if c.is_ascii_alphanumeric() {
            classes |= class::LDH | class::LET_DIG;
        }
        if matches!(c, 33..=60 | 62..=126) {
            classes |= class::VALUE;
        }
        match c {
            b'-' => classes |= class::LDH | class::HYPHEN,
            b'.' => classes |= class::DOT,
            _ => {}
        }
        table[b] = classes;
        b += 1;
    }
    table
};

/// The ASCII bytes of `atext`: letters, digits and ``!#$%&'*+-/=?^_`{|}~`` (a table: every
/// local part and ORCPT address type is read through it).
pub(crate) const ATEXT: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'/' | b'=' | b'?' | b'^'
            )
            || matches!(c, b'_' | b'`' | b'{' | b'|' | b'}' | b'~');
        b += 1;
    }
    table
};

/// `qtextSMTP = %d32-33 / %d35-91 / %d93-126` (RFC 5321 §4.1.2), `=/ UTF8-non-ascii`.
pub fn is_qtext_smtp(b: u8) -> bool {
    matches!(b, 32..=33 | 35..=91 | 93..=126) || is_utf8_non_ascii(b)
}

/// `Let-dig = ALPHA / DIGIT`
pub fn is_let_dig(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    std::str::from_utf8(bytes)
}

/// `Atom = 1*atext` (RFC 5321 §4.1.2)
pub fn atom(input: &[u8]) -> IResult<&[u8], &str> {
    map_res(take_while1(is_atext), utf8).parse(input)
}

/// `Dot-string = Atom *("." Atom)` (RFC 5321 §4.1.2)
pub fn dot_string(input: &[u8]) -> IResult<&[u8], &str> {
    map_res(recognize(pair(atom, many0_count(preceded(tag("."), atom)))), utf8).parse(input)
}

/// `Quoted-string = DQUOTE *QcontentSMTP DQUOTE`, returned unquoted:
/// `QcontentSMTP = qtextSMTP / quoted-pairSMTP`, `quoted-pairSMTP = %d92 %d32-126`.
pub fn quoted_string(input: &[u8]) -> IResult<&[u8], String> {
    let (mut input, _) = tag("\"").parse(input)?;
    let mut content = Vec::new();
    loop {
        let (rest, run) = take_while(is_qtext_smtp).parse(input)?;
        content.extend_from_slice(run);
        input = rest;
        match input.first() {
            None => return Err(nom::Err::Incomplete(nom::Needed::new(1))),
            Some(b'"') => break,
            Some(b'\\') => {
                let (rest, escaped) =
                    preceded(tag("\\"), take_while_m_n(1, 1, |b| (32..=126).contains(&b))).parse(input)?;
                content.extend_from_slice(escaped);
                input = rest;
            }
            Some(_) => return Err(error(input, nom::error::ErrorKind::Char)),
        }
    }
    let (input, _) = tag("\"").parse(input)?;
    match String::from_utf8(content) {
        Ok(text) => Ok((input, text)),
        Err(_) => Err(error(input, nom::error::ErrorKind::MapRes)),
    }
}

/// `Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig`, after the first `Let-dig` of a
/// `sub-domain`. Returns the whole `sub-domain = Let-dig [Ldh-str]` (RFC 5321 §4.1.2),
/// or a `U-label` (RFC 6531 §3.3) whose validity [`super::Domain`] checks with IDNA.
pub fn sub_domain(input: &[u8]) -> IResult<&[u8], &str> {
    let (rest, label) =
        take_while1(|b: u8| b.is_ascii_alphanumeric() || b == b'-' || is_utf8_non_ascii(b)).parse(input)?;
    if label.first() == Some(&b'-') || label.last() == Some(&b'-') {
        return Err(error(input, nom::error::ErrorKind::Verify));
    }
    match utf8(label) {
        Ok(text) => Ok((rest, text)),
        Err(_) => Err(error(input, nom::error::ErrorKind::MapRes)),
    }
}

/// `Domain = sub-domain *("." sub-domain)` (RFC 5321 §4.1.2), as written.
pub fn domain_text(input: &[u8]) -> IResult<&[u8], &str> {
    map_res(recognize(pair(sub_domain, many0_count(preceded(tag("."), sub_domain)))), utf8).parse(input)
}

/// `dcontent = %d33-90 / %d94-126` (printable US-ASCII excluding `[`, `\`, `]`)
pub fn is_dcontent(b: u8) -> bool {
    matches!(b, 33..=90 | 94..=126)
}

/// `address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
/// General-address-literal ) "]"` (RFC 5321 §4.1.3), the text between the brackets.
pub fn address_literal_text(input: &[u8]) -> IResult<&[u8], &str> {
    let (input, _) = tag("[").parse(input)?;
    let (input, text) = map_res(take_while1(is_dcontent), utf8).parse(input)?;
    let (input, _) = tag("]").parse(input)?;
    Ok((input, text))
}

/// `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")` (RFC 5321 §4.1.2)
pub fn esmtp_keyword(input: &[u8]) -> IResult<&[u8], &str> {
    let (rest, keyword) = take_while1(|b: u8| b.is_ascii_alphanumeric() || b == b'-').parse(input)?;
    if keyword[0] == b'-' {
        return Err(error(input, nom::error::ErrorKind::Verify));
    }
    Ok((rest, utf8(keyword).unwrap_or_default()))
}

/// `esmtp-value = 1*(%d33-60 / %d62-126)` (RFC 5321 §4.1.2), `=/ UTF8-non-ascii` (RFC 6531 §3.3)
pub fn esmtp_value(input: &[u8]) -> IResult<&[u8], &str> {
    map_res(take_while1(|b: u8| matches!(b, 33..=60 | 62..=126) || is_utf8_non_ascii(b)), utf8).parse(input)
}

/// Where a run at `at` ends, eight octets at a time while eight remain, as one number
/// (SWAR, "Bit Twiddling Hacks": `hasless`, `hasmore`, `haszero`): `outside` flags the high
/// bit of each octet that ends the run, and the lowest flag is the first such octet. A flag
/// can be wrong only above a right one (borrows and carries run upwards from a flagged
/// octet), so the flags need not be exact above it. Where fewer than eight octets are left
/// it stops; the caller reads on octet by octet.
fn word_run(bytes: &[u8], mut at: usize, outside: impl Fn(u64) -> u64) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let flags = outside(u64::from_le_bytes(chunk.try_into().unwrap_or_default())) & HIGH;
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at
}

/// Each octet of a word, eight times over, for [`word_run`]'s flags.
const ONES: u64 = 0x0101_0101_0101_0101;

/// Flags octets below `n`, not those past ASCII (the callers flag them with
/// [`del_or_past_ascii`]).
fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x
}

/// Flags octets equal to `b`.
fn equal(x: u64, b: u8) -> u64 {
    below(x ^ (ONES * u64::from(b)), 1)
}

/// Flags 127 and octets past ASCII (127 + 1 sets the high bit).
fn del_or_past_ascii(x: u64) -> u64 {
    x.wrapping_add(ONES) | x
}

/// Where the run of `esmtp-value` octets (%d33-60 / %d62-126) at `at` ends, stopping
/// also at `stop` (`+` for xtext's plain octets): eight at a time ([`word_run`]), then one
/// by one. A parameter's value (ORCPT's address, ENVID) is the longest run of a MAIL or
/// RCPT line.
pub(crate) fn value_run(bytes: &[u8], at: usize, stop: u8) -> usize {
    let mut at =
        word_run(bytes, at, |x| below(x, 33) | del_or_past_ascii(x) | equal(x, b'=') | equal(x, stop));
    while bytes.get(at).is_some_and(|&b| CLASSES[usize::from(b)] & class::VALUE != 0 && b != stop) {
        at += 1;
    }
    at
}

/// Where the run of printable ASCII octets (%d32-126) at `at` ends, eight at a time while
/// eight remain ([`word_run`]): most of a reply's text, which the caller then reads on
/// from the octet that stopped the run (a CR, a tab, UTF-8).
pub(crate) fn printable_run(bytes: &[u8], at: usize) -> usize {
    word_run(bytes, at, |x| below(x, 32) | del_or_past_ascii(x))
}

/// `esmtp-param = esmtp-keyword ["=" esmtp-value]`
pub fn esmtp_param(input: &[u8]) -> IResult<&[u8], (&str, Option<&str>)> {
    let (input, keyword) = esmtp_keyword(input)?;
    let (input, value) = opt(preceded(tag("="), esmtp_value)).parse(input)?;
    Ok((input, (keyword, value)))
}

/// `Mail-parameters = esmtp-param *(SP esmtp-param)`, with the leading SP; empty when
/// the line ends. Parameters are separated by exactly one SP.
pub fn esmtp_params(input: &[u8]) -> IResult<&[u8], Vec<(&str, Option<&str>)>> {
    // No parameters (the line goes on without an SP): nothing to collect, and nothing
    // allocated for it.
    if input.first().is_some_and(|&b| b != b' ') {
        return Ok((input, Vec::new()));
    }
    many0(preceded(sp, esmtp_param)).parse(input)
}

/// A case-insensitive keyword followed by SP, e.g. `"MAIL FROM:"` has none but
/// `"HELO" SP` does.
pub fn verb_sp<'a>(
    verb: &'static str,
) -> impl Parser<&'a [u8], Output = &'a [u8], Error = nom::error::Error<&'a [u8]>> {
    nom::sequence::terminated(tag_no_case(verb), sp)
}

/// A nom error at `input`.
pub fn error(input: &[u8], kind: nom::error::ErrorKind) -> nom::Err<nom::error::Error<&[u8]>> {
    nom::Err::Error(nom::error::Error::new(input, kind))
}

/// Runs a streaming `parser` over the whole of `text`, which must be followed by
/// `terminator` in the grammar (e.g. `>` after a mailbox): the terminator is appended so
/// the parser can finish, and must be all that is left. Used by `FromStr` impls.
pub fn parse_whole<'a, O>(
    mut parser: impl Parser<&'a [u8], Output = O, Error = nom::error::Error<&'a [u8]>>,
    with_terminator: &'a [u8],
    terminator_len: usize,
) -> Option<O> {
    match parser.parse(with_terminator) {
        Ok((rest, value)) if rest.len() == terminator_len => Some(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atext_is_the_grammar_s_set() {
        for b in 0..=255u8 {
            let grammar = b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b) || b >= 0x80;
            assert_eq!(is_atext(b), grammar, "{b}");
        }
    }

    #[test]
    fn quoted_strings_unescape() {
        assert_eq!(quoted_string(b"\"Joe\\,Smith\">"), Ok((&b">"[..], "Joe,Smith".to_owned())));
        assert_eq!(quoted_string(b"\"a b\\\"c\">"), Ok((&b">"[..], "a b\"c".to_owned())));
        assert!(matches!(quoted_string(b"\"abc"), Err(nom::Err::Incomplete(_))));
        assert!(matches!(quoted_string(b"\"a\x01\""), Err(nom::Err::Error(_))));
    }

    #[test]
    fn sub_domains_follow_ldh() {
        assert_eq!(sub_domain(b"mx-1.").map(|(_, s)| s), Ok("mx-1"));
        assert!(sub_domain(b"-mx.").is_err());
        assert!(sub_domain(b"mx-.").is_err());
        assert!(sub_domain(b"mx_1.").map(|(rest, _)| rest == b"_1.").unwrap_or(false));
    }

    #[test]
    fn params_parse_until_the_line_ends() {
        let (rest, params) = esmtp_params(b" SIZE=1000 BODY=8BITMIME SMTPUTF8\r\n").expect("params");
        assert_eq!(rest, b"\r\n");
        assert_eq!(params, [("SIZE", Some("1000")), ("BODY", Some("8BITMIME")), ("SMTPUTF8", None)]);
    }
}

// proptest is a native-only dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod runs {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn classes_are_the_grammar_s_sets() {
        for b in 0..=255u8 {
            let classes = CLASSES[usize::from(b)];
            let ascii = b < 0x80;
            assert_eq!(classes & class::ATEXT != 0, ascii && is_atext(b), "{b}");
            assert_eq!(classes & class::LDH != 0, b.is_ascii_alphanumeric() || b == b'-', "{b}");
            assert_eq!(classes & class::LET_DIG != 0, is_let_dig(b), "{b}");
            assert_eq!(classes & class::VALUE != 0, matches!(b, 33..=60 | 62..=126), "{b}");
            assert_eq!(classes & class::DOT != 0, b == b'.', "{b}");
            assert_eq!(classes & class::HYPHEN != 0, b == b'-', "{b}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// The run eight octets at a time ends where the run octet by octet does.
        #[test]
        fn value_run_ends_as_octets_do(
            input in prop::collection::vec(prop_oneof![any::<u8>(), 33u8..=126, Just(b'+'), Just(b'=')], 0..40),
            start in 0usize..10,
            stop in prop_oneof![Just(b'='), Just(b'+')],
        ) {
            let start = start.min(input.len());
            let octets = input[start..].iter().position(|&c| !matches!(c, 33..=60 | 62..=126) || c == stop);
            prop_assert_eq!(value_run(&input, start, stop), start + octets.unwrap_or(input.len() - start));
        }

        /// The printable run stops at the first octet outside %d32-126, or where fewer than
        /// eight are left.
        #[test]
        fn printable_run_stops_where_octets_do(
            input in prop::collection::vec(prop_oneof![any::<u8>(), 32u8..=126, 32u8..=126], 0..40),
            start in 0usize..10,
        ) {
            let start = start.min(input.len());
            let run = printable_run(&input, start);
            let first = input[start..].iter().position(|c| !(32..=126).contains(c)).map(|p| start + p);
            match first {
                Some(first) if first + 8 <= input.len() || first < run => prop_assert_eq!(run, first),
                _ => {
                    // No octet outside: it stops at most seven short of the end.
                    prop_assert!(run + 8 > input.len() && run <= first.unwrap_or(input.len()));
                    prop_assert!(input[start..run].iter().all(|c| (32..=126).contains(c)));
                }
            }
        }
    }
}
