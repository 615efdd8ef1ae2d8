//! Canonicalization (RFC 6376 §3.4): the "simple" and "relaxed" ways of turning header fields
//! and the body into the exact octets that are hashed, so that a signature survives the small
//! changes mail systems make in transit (relaxed) or none at all (simple).
//!
//! Line ends: DKIM hashes CRLF line ends (§3.4). A bare LF, which [`Message::parse`] tolerates,
//! counts as CRLF here, as dkimpy and OpenDKIM treat it.
//!
//! [`Message::parse`]: crate::message::Message::parse

use std::fmt;
use std::str::FromStr;

/// One canonicalization algorithm (§3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Canon {
    /// §3.4.1, §3.4.3: almost no change; any rewrap or re-spacing breaks the signature.
    #[default]
    Simple,
    /// §3.4.2, §3.4.4: white space runs become one space, case of field names is ignored.
    Relaxed,
}

impl Canon {
    pub fn as_str(self) -> &'static str {
        match self {
            Canon::Simple => "simple",
            Canon::Relaxed => "relaxed",
        }
    }
}

impl FromStr for Canon {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "simple" => Ok(Canon::Simple),
            "relaxed" => Ok(Canon::Relaxed),
            other => Err(format!("unknown canonicalization {other:?} (simple or relaxed)")),
        }
    }
}

/// The `c=` tag: header and body canonicalization (§3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Canonicalization {
    pub header: Canon,
    pub body: Canon,
}

impl Canonicalization {
    pub const SIMPLE: Self = Self { header: Canon::Simple, body: Canon::Simple };
    pub const RELAXED: Self = Self { header: Canon::Relaxed, body: Canon::Relaxed };
}

impl fmt::Display for Canonicalization {
    /// Always both halves, e.g. `relaxed/simple`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.header.as_str(), self.body.as_str())
    }
}

impl FromStr for Canonicalization {
    type Err = String;

    /// `sig-c-tag = %x63 [FWS] "=" [FWS] sig-c-tag-alg ["/" sig-c-tag-alg]`; a lone algorithm
    /// is the header's, and the body's is then "simple" (§3.5).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (header, body) = s.split_once('/').unwrap_or((s, "simple"));
        Ok(Self { header: header.parse()?, body: body.parse()? })
    }
}

/// `WSP = SP / HTAB`.
fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Copies `bytes`, turning each LF not preceded by CR into CRLF.
fn crlf_line_ends(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

/// One canonicalized header field, without its final CRLF (§3.4.1, §3.4.2).
///
/// `name_part` is everything before the colon as written (an obsolete-syntax field may have
/// white space there), `raw_value` everything after it up to the final line end.
pub(crate) fn header_field(name_part: &str, raw_value: &str, canon: Canon) -> Vec<u8> {
    match canon {
        // §3.4.1: "MUST NOT change header fields in any way".
        Canon::Simple => {
            let mut out = name_part.as_bytes().to_vec();
            out.push(b':');
            out.extend_from_slice(&crlf_line_ends(raw_value.as_bytes()));
            out
        }
        Canon::Relaxed => {
            // 1. Lowercase the name; 2. unfold; 3. runs of WSP become one SP; 4. no WSP at the
            // end of the value; 5. no WSP before or after the colon.
            let mut out: Vec<u8> = name_part.trim_matches([' ', '\t']).to_ascii_lowercase().into_bytes();
            out.push(b':');
            let value_start = out.len();
            let mut pending_space = false;
            for &b in raw_value.as_bytes() {
                match b {
                    b'\r' | b'\n' => {}
                    b if is_wsp(b) => pending_space = true,
                    b => {
                        if pending_space && out.len() > value_start {
                            out.push(b' ');
                        }
                        pending_space = false;
                        out.push(b);
                    }
                }
            }
            out
        }
    }
}

/// The canonicalized body (§3.4.3, §3.4.4).
pub(crate) fn body(body: &[u8], canon: Canon) -> Vec<u8> {
    let body = crlf_line_ends(body);
    let mut out = match canon {
        Canon::Simple => body,
        Canon::Relaxed => {
            // Per line: runs of WSP become one SP, WSP at the end of the line goes. A last line
            // without CRLF gets one ("If the body is non-empty but does not end with a CRLF, a
            // CRLF is added").
            let mut out = Vec::with_capacity(body.len());
            let mut lines = body.split(|&b| b == b'\n').peekable();
            while let Some(line) = lines.next() {
                let is_last = lines.peek().is_none();
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if is_last && line.is_empty() {
                    break;
                }
                let mut pending_space = false;
                for &b in line {
                    if is_wsp(b) {
                        pending_space = true;
                    } else {
                        if pending_space {
                            out.push(b' ');
                        }
                        pending_space = false;
                        out.push(b);
                    }
                }
                out.extend_from_slice(b"\r\n");
            }
            out
        }
    };
    // Both: "Ignore all empty lines at the end of the message body".
    while out.ends_with(b"\r\n\r\n") {
        out.truncate(out.len() - 2);
    }
    match canon {
        // §3.4.3: an empty body is a single CRLF; a last line without CRLF gets one.
        Canon::Simple if !out.ends_with(b"\r\n") => out.extend_from_slice(b"\r\n"),
        // §3.4.4: an empty body (or one of empty lines only) is empty.
        Canon::Relaxed if out == b"\r\n" => out.clear(),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relaxed_field(raw: &str) -> String {
        let (name, value) = raw.split_once(':').unwrap_or((raw, ""));
        String::from_utf8_lossy(&header_field(name, value, Canon::Relaxed)).into_owned()
    }

    #[test]
    fn c_tag_values() {
        for (text, header, body) in [
            ("simple", Canon::Simple, Canon::Simple),
            ("relaxed", Canon::Relaxed, Canon::Simple),
            ("relaxed/relaxed", Canon::Relaxed, Canon::Relaxed),
            ("simple/relaxed", Canon::Simple, Canon::Relaxed),
        ] {
            let parsed: Canonicalization = text.parse().expect("valid c=");
            assert_eq!(parsed, Canonicalization { header, body }, "{text}");
        }
        for bad in ["", "Relaxed", "relaxed/", "nofws/simple", "simple/simple/simple"] {
            assert!(bad.parse::<Canonicalization>().is_err(), "{bad:?}");
        }
        assert_eq!(Canonicalization::RELAXED.to_string(), "relaxed/relaxed");
    }

    #[test]
    fn relaxed_header_known_answers() {
        assert_eq!(relaxed_field("SUBJECT:  Hello \t World \t"), "subject:Hello World");
        assert_eq!(relaxed_field("Subject \t: x"), "subject:x");
        assert_eq!(relaxed_field("To: a,\r\n\tb"), "to:a, b");
        assert_eq!(relaxed_field("To: a,\r\n b"), "to:a, b");
        assert_eq!(relaxed_field("To: a\n b"), "to:a b");
        assert_eq!(relaxed_field("X-Empty:"), "x-empty:");
        assert_eq!(relaxed_field("X-Empty: \r\n \t"), "x-empty:");
        assert_eq!(relaxed_field("X-Utf8:  Grüße  "), "x-utf8:Grüße");
    }

    #[test]
    fn simple_header_keeps_everything_but_bare_lf() {
        assert_eq!(header_field("Subject ", " a\r\n\tb  ", Canon::Simple), b"Subject : a\r\n\tb  ");
        assert_eq!(header_field("To", " a\n b", Canon::Simple), b"To: a\r\n b");
    }

    #[test]
    fn body_known_answers() {
        let table: &[(&[u8], &[u8], &[u8])] = &[
            // (input, simple, relaxed)
            (b"", b"\r\n", b""),
            (b"\r\n", b"\r\n", b""),
            (b"\r\n\r\n\r\n", b"\r\n", b""),
            (b"abc", b"abc\r\n", b"abc\r\n"),
            (b"abc\r\n\r\n", b"abc\r\n", b"abc\r\n"),
            (b"a  b \t\r\n \r\n", b"a  b \t\r\n \r\n", b"a b\r\n"),
            (b"line\nbare lf\n\n", b"line\r\nbare lf\r\n", b"line\r\nbare lf\r\n"),
            (b"a\r\n  ", b"a\r\n  \r\n", b"a\r\n"),
            (b"cr\ralone\r\n", b"cr\ralone\r\n", b"cr\ralone\r\n"),
            (b"\xff\xfe binary \xff\r\n", b"\xff\xfe binary \xff\r\n", b"\xff\xfe binary \xff\r\n"),
        ];
        for (input, simple, relaxed) in table {
            assert_eq!(body(input, Canon::Simple), *simple, "simple {input:?}");
            assert_eq!(body(input, Canon::Relaxed), *relaxed, "relaxed {input:?}");
        }
    }
}
