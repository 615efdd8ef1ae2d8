//! Just enough MIME to find the parts of a report: `Content-Type` (RFC 2045 §5.1) and
//! multipart bodies (RFC 2046 §5.1.1).

use super::header::line_at;

/// A parsed `Content-Type` value (RFC 2045 §5.1):
///
/// ```text
/// content   = "Content-Type" ":" type "/" subtype *(";" parameter)
/// parameter = attribute "=" value
/// value     = token / quoted-string
/// ```
///
/// Type, subtype and attribute names are case-insensitive, so they are kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentType {
    pub(crate) media_type: String,
    pub(crate) subtype: String,
    pub(crate) params: Vec<(String, String)>,
}

impl ContentType {
    /// The value of parameter `name`, if present.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(attribute, _)| attribute.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// `type/subtype`, lower case.
    pub(crate) fn essence(&self) -> String {
        format!("{}/{}", self.media_type, self.subtype)
    }
}

/// `token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>` (RFC 2045 §5.1).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b)
}

/// Reads a `Content-Type` value (already unfolded); comments are allowed between tokens
/// (RFC 2045 §5.1, RFC 822 §3.4.3). Errors with a description of what was expected.
pub(crate) fn content_type(value: &str) -> Result<ContentType, String> {
    let mut scanner = Scanner { bytes: value.as_bytes(), text: value, pos: 0 };
    let media_type = scanner.token("a media type such as multipart")?.to_ascii_lowercase();
    scanner.expect(b'/', "'/' between type and subtype")?;
    let subtype = scanner.token("a media subtype such as report")?.to_ascii_lowercase();
    let mut params = Vec::new();
    loop {
        scanner.skip_cfws()?;
        match scanner.peek() {
            None => break,
            Some(b';') => scanner.pos += 1,
            Some(_) => {
                return Err(format!("expected ';' before the next parameter, saw '{}'", scanner.rest()));
            }
        }
        scanner.skip_cfws()?;
        if scanner.peek().is_none() {
            break; // A trailing ';' is common and harmless.
        }
        let attribute = scanner.token("a parameter name")?.to_ascii_lowercase();
        scanner.expect(b'=', "'=' after the parameter name")?;
        scanner.skip_cfws()?;
        let value = if scanner.peek() == Some(b'"') {
            scanner.quoted_string()?
        } else {
            scanner.token("a parameter value")?.to_owned()
        };
        params.push((attribute, value));
    }
    Ok(ContentType { media_type, subtype, params })
}

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn skip_cfws(&mut self) -> Result<(), String> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'(' => {
                    self.pos = super::date::skip_comment(self.bytes, self.pos)
                        .map_err(|_| "expected ')' to close the comment".to_owned())?;
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn token(&mut self, expected: &str) -> Result<&'a str, String> {
        self.skip_cfws()?;
        let start = self.pos;
        while self.peek().is_some_and(is_token_byte) {
            self.pos += 1;
        }
        match self.text.get(start..self.pos) {
            Some(token) if !token.is_empty() => Ok(token),
            _ => Err(format!("expected {expected}, saw '{}'", self.rest())),
        }
    }

    fn expect(&mut self, byte: u8, expected: &str) -> Result<(), String> {
        self.skip_cfws()?;
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected {expected}, saw '{}'", self.rest()))
        }
    }

    /// `quoted-string` (RFC 5322 §3.2.4): the content, quoted-pairs resolved.
    fn quoted_string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'"' => return String::from_utf8(out).map_err(|_| "quoted string is not UTF-8".to_owned()),
                b'\\' => {
                    if let Some(escaped) = self.peek() {
                        out.push(escaped);
                        self.pos += 1;
                    }
                }
                _ => out.push(b),
            }
        }
        Err("expected '\"' to close the quoted string".to_owned())
    }
}

/// Why a multipart body cannot be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MultipartError {
    /// No `--boundary` line opens the first part.
    NoParts,
    /// No `--boundary--` line closes the last part.
    Unterminated,
}

/// Splits a multipart body into its body parts (RFC 2046 §5.1.1):
///
/// ```text
/// multipart-body  = [preamble CRLF] dash-boundary transport-padding CRLF body-part
///                   *encapsulation close-delimiter transport-padding [CRLF epilogue]
/// encapsulation   = delimiter transport-padding CRLF body-part
/// delimiter       = CRLF dash-boundary          ; dash-boundary = "--" boundary
/// close-delimiter = delimiter "--"
/// ```
///
/// Each part is returned with its offset in `body`; the CRLF before a delimiter belongs to the
/// delimiter, not to the part. Bare LF line ends are tolerated.
pub(crate) fn multipart_parts<'a>(
    body: &'a [u8],
    boundary: &str,
) -> Result<Vec<(usize, &'a [u8])>, MultipartError> {
    let dash_boundary = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        let (end, next) = line_at(body, pos);
        let line = body.get(pos..end).unwrap_or_default();
        if let Some(rest) = line.strip_prefix(dash_boundary.as_bytes()) {
            let (close, padding) = match rest.strip_prefix(b"--") {
                Some(padding) => (true, padding),
                None => (false, rest),
            };
            if padding.iter().all(|&b| b == b' ' || b == b'\t') {
                if let Some(start) = part_start {
                    // The line end before the delimiter is the delimiter's.
                    let mut part_end = pos;
                    if part_end > start && body.get(part_end - 1) == Some(&b'\n') {
                        part_end -= 1;
                        if part_end > start && body.get(part_end - 1) == Some(&b'\r') {
                            part_end -= 1;
                        }
                    }
                    parts.push((start, body.get(start..part_end).unwrap_or_default()));
                }
                if close {
                    return if part_start.is_some() { Ok(parts) } else { Err(MultipartError::NoParts) };
                }
                part_start = Some(next);
            }
        }
        pos = next;
    }
    Err(if part_start.is_some() { MultipartError::Unterminated } else { MultipartError::NoParts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_known_answers() {
        let parsed = content_type(
            "Multipart/Report; report-type=delivery-status;\r\n\tboundary=\"a b\\\"c\" (comment)",
        )
        .expect("valid");
        assert_eq!(parsed.essence(), "multipart/report");
        assert_eq!(parsed.param("REPORT-TYPE"), Some("delivery-status"));
        assert_eq!(parsed.param("boundary"), Some("a b\"c"));
        assert_eq!(content_type("text/plain;").map(|c| c.params.len()), Ok(0));
        assert_eq!(
            content_type("message/delivery-status").map(|c| c.essence()),
            Ok("message/delivery-status".into())
        );
        for bad in [
            "",
            "text",
            "text/",
            "text/plain; charset",
            "text/plain; a=\"open",
            "text/plain garbage",
            "(open",
        ] {
            assert!(content_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn splits_parts() {
        let body = b"preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b  \r\n\r\ntwo\r\n--b--\r\nepilogue";
        let parts = multipart_parts(body, "b").expect("valid");
        let texts: Vec<&[u8]> = parts.iter().map(|(_, part)| *part).collect();
        assert_eq!(texts, [&b"A: 1\r\n\r\none"[..], b"\r\ntwo"]);
        assert_eq!(parts.first().map(|(offset, _)| *offset), Some(15));
        // Lines that merely start like the boundary are content.
        let body = b"--b\r\n--bx\r\n--b--x\r\n--b--\r\n";
        assert_eq!(multipart_parts(body, "b").map(|p| p.len()), Ok(1));
        assert_eq!(multipart_parts(b"--b\n\n--b--\n", "b").map(|p| p.len()), Ok(1));
        assert_eq!(
            multipart_parts(b"--b\r\n--b--", "b").map(|p| p.first().map(|(_, p)| p.len())),
            Ok(Some(0))
        );
    }

    #[test]
    fn unterminated_and_empty() {
        assert_eq!(multipart_parts(b"--b\r\npart\r\n", "b"), Err(MultipartError::Unterminated));
        assert_eq!(multipart_parts(b"no parts at all", "b"), Err(MultipartError::NoParts));
        assert_eq!(multipart_parts(b"", "b"), Err(MultipartError::NoParts));
        assert_eq!(multipart_parts(b"--b--\r\n", "b"), Err(MultipartError::NoParts));
    }
}
