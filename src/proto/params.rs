//! ESMTP parameters of MAIL and RCPT (RFC 5321 §4.1.2 `esmtp-param`): SIZE (RFC 1870),
//! BODY (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461) and
//! AUTH (RFC 4954 §5), with the xtext encoding of RFC 3461 §4.
//!
//! Parsing is two steps: the grammar gives `(keyword, value)` pairs
//! ([`super::abnf::esmtp_params`]); [`MailParameters::from_pairs`] and
//! [`RcptParameters::from_pairs`] then type the known ones. Unknown keywords are kept,
//! so the server can answer them with 555 (RFC 5321 §4.1.1.11).

use std::fmt;

/// A parameter the typed structs do not know, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EsmtpParam {
    pub keyword: String,
    pub value: Option<String>,
}

impl EsmtpParam {
    fn from_pair(keyword: &str, value: Option<&str>) -> Self {
        Self { keyword: keyword.to_owned(), value: value.map(str::to_owned) }
    }
}

/// Why a known parameter is malformed; the server answers 501 (RFC 3461 §4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// The keyword appeared twice (RFC 3461 §4.5, RFC 1870 §6).
    Duplicate(String),
    /// The value does not fit the keyword's grammar.
    BadValue { keyword: &'static str, expected: &'static str },
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Duplicate(keyword) => write!(f, "{keyword} given more than once"),
            ParamError::BadValue { keyword, expected } => write!(f, "{keyword} expects {expected}"),
        }
    }
}

impl std::error::Error for ParamError {}

/// `word` as the keyword the typed parameters know (SIZE, BODY, SMTPUTF8, RET, ENVID, AUTH,
/// NOTIFY, ORCPT) it is, ignoring case, or "" (none). Every parameter of every MAIL and
/// RCPT passes here: the word is lower-cased as an array of its length and compared whole,
/// so no loop runs for as long as the keyword happens to be.
fn keyword_name(word: &str) -> &'static str {
    fn lower<const N: usize>(word: &[u8]) -> [u8; N] {
        let word: [u8; N] = word.try_into().unwrap_or([0; N]);
        word.map(|b| b.to_ascii_lowercase())
    }
    let bytes = word.as_bytes();
    let name = match bytes.len() {
        3 => (lower(bytes) == *b"ret").then_some("RET"),
        4 => match &lower(bytes) {
            b"size" => Some("SIZE"),
            b"body" => Some("BODY"),
            b"auth" => Some("AUTH"),
            _ => None,
        },
        5 => match &lower(bytes) {
            b"envid" => Some("ENVID"),
            b"orcpt" => Some("ORCPT"),
            _ => None,
        },
        6 => (lower(bytes) == *b"notify").then_some("NOTIFY"),
        8 => (lower(bytes) == *b"smtputf8").then_some("SMTPUTF8"),
        _ => None,
    };
    name.unwrap_or("")
}

/// `word` as the one of `names` (upper case) it is, ignoring case, or "" (none): keywords
/// and these values are case-insensitive (RFC 5321 §2.4), compared without a copy.
fn known(word: &str, names: &[&'static str]) -> &'static str {
    names.iter().find(|name| name.eq_ignore_ascii_case(word)).copied().unwrap_or("")
}

/// `xtext = *( xchar / hexchar )` (RFC 3461 §4): decodes `+XX` escapes. `None` if a `+`
/// is not followed by two upper-case hex digits, or a byte is outside `!`..`~`.
pub fn xtext_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b)) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 3;
            }
            b'=' => return None,
            b @ 33..=126 => {
                out.push(b);
                i += 1;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// The length of what `text` decodes to as xtext ([`xtext_decode`]), checked without
/// building it: in one pass when every decoded octet is ASCII (the usual case), else on the
/// stack (only a value over 512 octets is decoded on the heap).
pub fn xtext_len(text: &str) -> Option<usize> {
    let hex = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'A'..=b'F' => Some(d - b'A' + 10),
        _ => None,
    };
    let bytes = text.as_bytes();
    let (mut i, mut escapes, mut ascii) = (0, 0, true);
    loop {
        // A run of xchars (`!` to `~` but `+` and `=`), then an escape, the end or an error.
        i = super::abnf::value_run(bytes, i, b'+');
        match bytes.get(i) {
            None => break,
            Some(b'+') => {
                let (high, low) = (*bytes.get(i + 1)?, *bytes.get(i + 2)?);
                ascii &= (hex(high)? << 4 | hex(low)?) < 0x80;
                escapes += 1;
                i += 3;
            }
            Some(_) => return None,
        }
    }
    // Each escape is three octets for one.
    let n = bytes.len() - 2 * escapes;
    if ascii {
        return Some(n);
    }
    // Escaped octets outside ASCII: they must make UTF-8 (RFC 6533's xtext carries UTF-8).
    let mut buffer = [0u8; 512];
    if n > buffer.len() {
        return xtext_decode(text).map(|t| t.len());
    }
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        buffer[n] = if bytes[i] == b'+' {
            i += 3;
            hex(bytes[i - 2])? << 4 | hex(bytes[i - 1])?
        } else {
            i += 1;
            bytes[i - 1]
        };
        n += 1;
    }
    std::str::from_utf8(&buffer[..n]).ok().map(str::len)
}

/// An xtext value's decoded length, and (with `keep`) the decoded text; without `keep`
/// nothing is built (see [`xtext_len`]).
fn xtext_value(text: &str, keep: bool) -> Option<(usize, String)> {
    if keep {
        xtext_decode(text).map(|decoded| (decoded.len(), decoded))
    } else {
        xtext_len(text).map(|len| (len, String::new()))
    }
}

/// Encodes text as xtext: `+`, `=`, and anything outside `!`..`~` become `+XX`.
pub fn xtext_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if (33..=126).contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// `BODY=` (RFC 6152 §2, RFC 3030 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Body {
    SevenBit,
    EightBitMime,
    BinaryMime,
}

impl Body {
    pub fn as_str(self) -> &'static str {
        match self {
            Body::SevenBit => "7BIT",
            Body::EightBitMime => "8BITMIME",
            Body::BinaryMime => "BINARYMIME",
        }
    }
}

/// `RET=` (RFC 3461 §4.3): how much of the message a failure DSN returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Ret {
    Full,
    Hdrs,
}

/// `notify-esmtp-value = "NEVER" / 1#notify-list-element` (RFC 3461 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Notify {
    pub success: bool,
    pub failure: bool,
    pub delay: bool,
}

impl Notify {
    /// `NEVER`: no DSN under any conditions.
    pub const NEVER: Self = Self { success: false, failure: false, delay: false };

    pub fn is_never(self) -> bool {
        self == Self::NEVER
    }

    fn parse(value: &str) -> Option<Self> {
        if value.eq_ignore_ascii_case("NEVER") {
            return Some(Self::NEVER);
        }
        // One pass: each name's letters folded into a number as they are read (upper
        // case), the number matched at the comma or the end. Valid names are at most 7
        // letters, so a longer one keeps a letter in the top octet and matches none.
        const fn key(name: &str) -> u64 {
            let (bytes, mut key, mut i) = (name.as_bytes(), 0, 0);
            while i < bytes.len() {
                key = key << 8 | bytes[i] as u64;
                i += 1;
            }
            key
        }
        const SUCCESS: u64 = key("SUCCESS");
        const FAILURE: u64 = key("FAILURE");
        const DELAY: u64 = key("DELAY");
        let mut notify = Self::NEVER;
        let mut name = 0u64;
        for &b in value.as_bytes().iter().chain(b",") {
            if b == b',' {
                match name {
                    SUCCESS => notify.success = true,
                    FAILURE => notify.failure = true,
                    DELAY => notify.delay = true,
                    _ => return None,
                }
                name = 0;
            } else if b.is_ascii_alphabetic() {
                name = name << 8 | u64::from(b.to_ascii_uppercase());
            } else {
                return None;
            }
        }
        Some(notify)
    }
}

impl fmt::Display for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_never() {
            return f.write_str("NEVER");
        }
        let names = [(self.success, "SUCCESS"), (self.failure, "FAILURE"), (self.delay, "DELAY")];
        let list: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect();
        f.write_str(&list.join(","))
    }
}

/// `orcpt-parameter = "ORCPT=" addr-type ";" xtext` (RFC 3461 §4.2), decoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Orcpt {
    pub addr_type: String,
    pub address: String,
}

/// `AUTH=` on MAIL (RFC 4954 §5): the submitter's identity, or `<>` for unknown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AuthParam {
    Unknown,
    Identity(String),
}

/// The parameters of a MAIL command.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailParameters {
    /// `SIZE=` declared message size in octets (RFC 1870 §4).
    pub size: Option<u64>,
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531 §3.4): the envelope or headers may hold UTF-8.
    pub smtputf8: bool,
    pub ret: Option<Ret>,
    /// `ENVID=`, decoded from xtext (RFC 3461 §4.4).
    pub envid: Option<String>,
    pub auth: Option<AuthParam>,
    pub other: Vec<EsmtpParam>,
}

/// The parameters of a RCPT command.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RcptParameters {
    pub notify: Option<Notify>,
    pub orcpt: Option<Orcpt>,
    pub other: Vec<EsmtpParam>,
}

#[inline]
fn set_once<T>(slot: &mut Option<T>, keyword: &str, value: T) -> Result<(), ParamError> {
    if slot.is_some() {
        return Err(ParamError::Duplicate(keyword.to_ascii_uppercase()));
    }
    *slot = Some(value);
    Ok(())
}

fn required<'a>(
    value: Option<&'a str>,
    keyword: &'static str,
    expected: &'static str,
) -> Result<&'a str, ParamError> {
    value.ok_or(ParamError::BadValue { keyword, expected })
}

impl MailParameters {
    /// Types the known parameters; unknown ones go to `other`.
    pub fn from_pairs(pairs: &[(&str, Option<&str>)]) -> Result<Self, ParamError> {
        Self::read(pairs.iter().copied(), true)
    }

    /// Whether [`MailParameters::from_pairs`] accepts these parameters (the same error if
    /// not), without building them: what a command read in place needs.
    pub fn check<'p>(pairs: impl IntoIterator<Item = (&'p str, Option<&'p str>)>) -> Result<(), ParamError> {
        Self::read(pairs, false).map(drop)
    }

    /// The one reading of the parameters behind both: with `keep` false, texts are checked
    /// but not decoded or kept (their fields hold empty strings, `other` stays empty).
    fn read<'p>(
        pairs: impl IntoIterator<Item = (&'p str, Option<&'p str>)>,
        keep: bool,
    ) -> Result<Self, ParamError> {
        let mut params = Self::default();
        let mut smtputf8_seen = false;
        for (keyword, value) in pairs {
            match keyword_name(keyword) {
                "SIZE" => {
                    const EXPECTED: &str = "a number of octets (SIZE=12345)";
                    let text = required(value, "SIZE", EXPECTED)?;
                    // `size-value = 1*20DIGIT` (RFC 1870 §3).
                    let size = (1..=20)
                        .contains(&text.len())
                        .then(|| {
                            text.bytes().try_fold(0u64, |n, b| {
                                let digit = u64::from(b.wrapping_sub(b'0'));
                                if digit > 9 { None } else { n.checked_mul(10)?.checked_add(digit) }
                            })
                        })
                        .flatten()
                        .ok_or(ParamError::BadValue { keyword: "SIZE", expected: EXPECTED })?;
                    set_once(&mut params.size, keyword, size)?;
                }
                "BODY" => {
                    const EXPECTED: &str = "7BIT, 8BITMIME or BINARYMIME";
                    let body = match known(
                        required(value, "BODY", EXPECTED)?,
                        &["7BIT", "8BITMIME", "BINARYMIME"],
                    ) {
                        "7BIT" => Body::SevenBit,
                        "8BITMIME" => Body::EightBitMime,
                        "BINARYMIME" => Body::BinaryMime,
                        _ => return Err(ParamError::BadValue { keyword: "BODY", expected: EXPECTED }),
                    };
                    set_once(&mut params.body, keyword, body)?;
                }
                "SMTPUTF8" => {
                    if value.is_some() {
                        return Err(ParamError::BadValue { keyword: "SMTPUTF8", expected: "no value" });
                    }
                    if smtputf8_seen {
                        return Err(ParamError::Duplicate("SMTPUTF8".into()));
                    }
                    smtputf8_seen = true;
                    params.smtputf8 = true;
                }
                "RET" => {
                    const EXPECTED: &str = "FULL or HDRS";
                    let ret = match known(required(value, "RET", EXPECTED)?, &["FULL", "HDRS"]) {
                        "FULL" => Ret::Full,
                        "HDRS" => Ret::Hdrs,
                        _ => return Err(ParamError::BadValue { keyword: "RET", expected: EXPECTED }),
                    };
                    set_once(&mut params.ret, keyword, ret)?;
                }
                "ENVID" => {
                    const EXPECTED: &str = "xtext of at most 100 characters";
                    let text = required(value, "ENVID", EXPECTED)?;
                    let envid = xtext_value(text, keep)
                        .filter(|(len, _)| *len <= 100)
                        .ok_or(ParamError::BadValue { keyword: "ENVID", expected: EXPECTED })?;
                    set_once(&mut params.envid, keyword, envid.1)?;
                }
                "AUTH" => {
                    const EXPECTED: &str = "<> or an xtext identity";
                    let text = required(value, "AUTH", EXPECTED)?;
                    let auth = if text == "<>" {
                        AuthParam::Unknown
                    } else {
                        AuthParam::Identity(
                            xtext_value(text, keep)
                                .ok_or(ParamError::BadValue { keyword: "AUTH", expected: EXPECTED })?
                                .1,
                        )
                    };
                    set_once(&mut params.auth, keyword, auth)?;
                }
                _ if keep => params.other.push(EsmtpParam::from_pair(keyword, value)),
                _ => {}
            }
        }
        Ok(params)
    }

    /// The parameters as written after the reverse-path, each with its leading SP.
    pub fn to_wire(&self) -> String {
        let mut out = String::new();
        self.write_wire(&mut out);
        out
    }

    /// Appends [`MailParameters::to_wire`] to `out`.
    pub fn write_wire(&self, out: &mut String) {
        use std::fmt::Write as _;
        if let Some(size) = self.size {
            // Writing to a String cannot fail.
            let _ = write!(out, " SIZE={size}");
        }
        if let Some(body) = self.body {
            out.push_str(" BODY=");
            out.push_str(body.as_str());
        }
        if self.smtputf8 {
            out.push_str(" SMTPUTF8");
        }
        if let Some(ret) = self.ret {
            out.push_str(match ret {
                Ret::Full => " RET=FULL",
                Ret::Hdrs => " RET=HDRS",
            });
        }
        // An empty value has no wire form (`esmtp-value = 1*…`), so it is left out.
        if let Some(envid) = self.envid.as_deref().filter(|e| !e.is_empty()) {
            out.push_str(" ENVID=");
            out.push_str(&xtext_encode(envid));
        }
        match &self.auth {
            Some(AuthParam::Unknown) => out.push_str(" AUTH=<>"),
            // The identity "<>" itself must not read as the unknown identity `<>`.
            Some(AuthParam::Identity(id)) if id == "<>" => out.push_str(" AUTH=+3C+3E"),
            Some(AuthParam::Identity(id)) if !id.is_empty() => {
                out.push_str(" AUTH=");
                out.push_str(&xtext_encode(id));
            }
            _ => {}
        }
        push_other(out, &self.other);
    }
}

fn push_other(out: &mut String, other: &[EsmtpParam]) {
    for param in other {
        out.push(' ');
        out.push_str(&param.keyword);
        if let Some(value) = &param.value {
            out.push('=');
            out.push_str(value);
        }
    }
}

impl RcptParameters {
    /// Types the known parameters; unknown ones go to `other`.
    pub fn from_pairs(pairs: &[(&str, Option<&str>)]) -> Result<Self, ParamError> {
        Self::read(pairs.iter().copied(), true)
    }

    /// Whether [`RcptParameters::from_pairs`] accepts these parameters (the same error if
    /// not), without building them.
    pub fn check<'p>(pairs: impl IntoIterator<Item = (&'p str, Option<&'p str>)>) -> Result<(), ParamError> {
        Self::read(pairs, false).map(drop)
    }

    /// As [`MailParameters::read`]: with `keep` false, checked but not decoded or kept.
    fn read<'p>(
        pairs: impl IntoIterator<Item = (&'p str, Option<&'p str>)>,
        keep: bool,
    ) -> Result<Self, ParamError> {
        let mut params = Self::default();
        for (keyword, value) in pairs {
            match keyword_name(keyword) {
                "NOTIFY" => {
                    const EXPECTED: &str = "NEVER, or a list of SUCCESS, FAILURE and DELAY";
                    let notify = Notify::parse(required(value, "NOTIFY", EXPECTED)?)
                        .ok_or(ParamError::BadValue { keyword: "NOTIFY", expected: EXPECTED })?;
                    set_once(&mut params.notify, keyword, notify)?;
                }
                "ORCPT" => {
                    const EXPECTED: &str = "addr-type;xtext (e.g. rfc822;user@example.com)";
                    let text = required(value, "ORCPT", EXPECTED)?;
                    // The address type is atext up to the `;`: one run finds and checks it.
                    let type_len = text.bytes().position(|b| !super::abnf::is_atext(b)).unwrap_or(text.len());
                    let orcpt = (type_len > 0 && text.as_bytes().get(type_len) == Some(&b';'))
                        .then(|| Some((text.get(..type_len)?, text.get(type_len + 1..)?)))
                        .flatten()
                        .and_then(|(addr_type, xtext)| {
                            let address = xtext_value(xtext, keep)?.1;
                            Some(Orcpt {
                                addr_type: if keep { addr_type.to_owned() } else { String::new() },
                                address,
                            })
                        })
                        .filter(|_| text.len() <= 500)
                        .ok_or(ParamError::BadValue { keyword: "ORCPT", expected: EXPECTED })?;
                    set_once(&mut params.orcpt, keyword, orcpt)?;
                }
                _ if keep => params.other.push(EsmtpParam::from_pair(keyword, value)),
                _ => {}
            }
        }
        Ok(params)
    }

    /// The parameters as written after the forward-path, each with its leading SP.
    pub fn to_wire(&self) -> String {
        let mut out = String::new();
        self.write_wire(&mut out);
        out
    }

    /// Appends [`RcptParameters::to_wire`] to `out`.
    pub fn write_wire(&self, out: &mut String) {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        if let Some(notify) = self.notify {
            let _ = write!(out, " NOTIFY={notify}");
        }
        if let Some(orcpt) = &self.orcpt {
            let _ = write!(out, " ORCPT={};{}", orcpt.addr_type, xtext_encode(&orcpt.address));
        }
        push_other(out, &self.other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xtext_known_answers() {
        for (plain, encoded) in
            [("a+b=c", "a+2Bb+3Dc"), ("user@example.com", "user@example.com"), ("a b", "a+20b")]
        {
            assert_eq!(xtext_encode(plain), encoded);
            assert_eq!(xtext_decode(encoded).as_deref(), Some(plain));
        }
        for bad in ["+2", "+zz", "+2b", "a=b", "a b"] {
            assert_eq!(xtext_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn mail_parameters_type_and_round_trip() {
        let pairs = [
            ("size", Some("1000")),
            ("BODY", Some("8bitmime")),
            ("SMTPUTF8", None),
            ("RET", Some("HDRS")),
            ("ENVID", Some("QQ314159+2B1")),
            ("X-FOO", Some("bar")),
        ];
        let params = MailParameters::from_pairs(&pairs).expect("valid");
        assert_eq!(params.size, Some(1000));
        assert_eq!(params.body, Some(Body::EightBitMime));
        assert_eq!(params.envid.as_deref(), Some("QQ314159+1"));
        assert_eq!(params.other.len(), 1);
        assert_eq!(
            params.to_wire(),
            " SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159+2B1 X-FOO=bar"
        );
    }

    #[test]
    fn malformed_and_duplicate_parameters() {
        assert_eq!(
            MailParameters::from_pairs(&[("RET", Some("FULL")), ("ret", Some("HDRS"))]),
            Err(ParamError::Duplicate("RET".into()))
        );
        assert!(MailParameters::from_pairs(&[("SIZE", Some("12x"))]).is_err());
        assert!(MailParameters::from_pairs(&[("SIZE", Some("123456789012345678901"))]).is_err());
        assert!(MailParameters::from_pairs(&[("SIZE", None)]).is_err());
        assert!(MailParameters::from_pairs(&[("BODY", Some("9BIT"))]).is_err());
        assert!(RcptParameters::from_pairs(&[("NOTIFY", Some("NEVER,SUCCESS"))]).is_err());
        assert!(RcptParameters::from_pairs(&[("ORCPT", Some("no-semicolon"))]).is_err());
    }

    #[test]
    fn rcpt_parameters_round_trip() {
        let params = RcptParameters::from_pairs(&[
            ("NOTIFY", Some("failure,Delay")),
            ("ORCPT", Some("rfc822;a+2Bb@example.com")),
        ])
        .expect("valid");
        assert_eq!(params.notify, Some(Notify { success: false, failure: true, delay: true }));
        assert_eq!(params.orcpt.as_ref().map(|o| o.address.as_str()), Some("a+b@example.com"));
        assert_eq!(params.to_wire(), " NOTIFY=FAILURE,DELAY ORCPT=rfc822;a+2Bb@example.com");
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4000, ..Default::default() })]

        /// NOTIFY read in one pass is the list as RFC 3461 §4.1 writes it: NEVER alone, or
        /// names of SUCCESS, FAILURE and DELAY (any case) split at commas.
        #[test]
        fn notify_reads_as_the_list_splits(
            text in "((?i)never|success|failure|delay|succes|successs|xsuccess|dela|,|;| |é|[a-z]{0,9}){0,5}"
        ) {
            let by_list = if text.eq_ignore_ascii_case("NEVER") {
                Some(Notify::NEVER)
            } else {
                text.split(',').try_fold(Notify::NEVER, |mut notify, name| {
                    match name.to_ascii_uppercase().as_str() {
                        "SUCCESS" => notify.success = true,
                        "FAILURE" => notify.failure = true,
                        "DELAY" => notify.delay = true,
                        _ => return None,
                    }
                    Some(notify)
                })
            };
            proptest::prop_assert_eq!(Notify::parse(&text), by_list, "{:?}", text);
        }

        /// Checking xtext without decoding it agrees with decoding it.
        #[test]
        fn xtext_len_agrees_with_decoding(text in "([a-zA-Z0-9=+ ]|\\+[0-9A-Fa-f]{2}|\\+C3\\+A9|\\+FF|é){0,40}") {
            proptest::prop_assert_eq!(xtext_len(&text), xtext_decode(&text).map(|t| t.len()), "{:?}", text);
        }
    }

    #[test]
    fn check_agrees_with_from_pairs() {
        let lists: &[&[(&str, Option<&str>)]] = &[
            &[("SIZE", Some("1")), ("size", Some("2"))],
            &[("SMTPUTF8", None), ("smtputf8", None)],
            &[("BODY", Some("8bitmime")), ("RET", Some("hdrs")), ("ENVID", Some("a+2Bb"))],
            &[("ENVID", Some("+C3+A9")), ("AUTH", Some("<>")), ("X", None), ("X", None)],
            &[("ENVID", Some("+FF"))],
            &[("NOTIFY", Some("SUCCESS")), ("ORCPT", Some("rfc822;a+2Bb@x")), ("notify", Some("NEVER"))],
        ];
        for pairs in lists {
            assert_eq!(
                MailParameters::check(pairs.iter().copied()),
                MailParameters::from_pairs(pairs).map(|_| ()),
                "{pairs:?}"
            );
            assert_eq!(
                RcptParameters::check(pairs.iter().copied()),
                RcptParameters::from_pairs(pairs).map(|_| ()),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn keywords_are_known_in_any_case_and_nothing_else() {
        for name in ["SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "AUTH", "NOTIFY", "ORCPT"] {
            assert_eq!(keyword_name(name), name);
            assert_eq!(keyword_name(&name.to_ascii_lowercase()), name);
        }
        for other in ["", "SIZ", "SIZES", "BODX", "RETS", "X-SIZE", "SMTPUTF9", "AUTO", "ORCPTS", "ENV1D"] {
            assert_eq!(keyword_name(other), "", "{other}");
        }
    }
}
