//! SASL as SMTP carries it (RFC 4954): mechanism names, base64 responses, and the two
//! mechanisms the playground teaches, PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// A SASL mechanism name (`sasl-mech = 1*20mech-char`, RFC 4422 §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
    Other(String),
}

impl Mechanism {
    /// Case-insensitive, as mechanism names are.
    pub fn from_name(name: &str) -> Self {
        match name.to_ascii_uppercase().as_str() {
            "PLAIN" => Mechanism::Plain,
            "LOGIN" => Mechanism::Login,
            other => Mechanism::Other(other.to_owned()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::Other(name) => name,
        }
    }

    /// `mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE`, 1 to 20 of them.
    pub fn is_valid_name(name: &str) -> bool {
        (1..=20).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }
}

impl std::str::FromStr for Mechanism {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if Self::is_valid_name(&s.to_ascii_uppercase()) {
            Ok(Self::from_name(s))
        } else {
            Err(format!("{s:?} is not a SASL mechanism name (1 to 20 of A-Z, 0-9, - and _)"))
        }
    }
}

super::serde_as_string!(Mechanism);

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A client's SASL response line after a 334 challenge, or the initial response of
/// `AUTH mech initial-response` (RFC 4954 §4).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SaslResponse {
    /// Decoded base64; `=` on the wire stands for an empty response.
    Data(Vec<u8>),
    /// `*`: the client cancels the exchange (answered with 501).
    Cancel,
}

impl SaslResponse {
    /// Parses a response line without its CRLF; `None` if it is not base64.
    pub fn parse(line: &[u8]) -> Option<Self> {
        match line {
            b"*" => Some(SaslResponse::Cancel),
            b"=" => Some(SaslResponse::Data(Vec::new())),
            _ => BASE64.decode(line).ok().map(SaslResponse::Data),
        }
    }

    /// Whether [`SaslResponse::parse`] accepts `line`, told without building the data: a
    /// response of up to 512 octets is decoded into a buffer on the stack.
    pub fn is_valid(line: &[u8]) -> bool {
        let mut room = [0u8; 384];
        match line {
            b"*" | b"=" => true,
            _ if line.len() <= 512 => BASE64.decode_slice(line, &mut room).is_ok(),
            _ => Self::parse(line).is_some(),
        }
    }

    /// The wire form without CRLF (`=` for empty data).
    pub fn to_wire(&self) -> String {
        match self {
            SaslResponse::Cancel => "*".into(),
            SaslResponse::Data(data) if data.is_empty() => "=".into(),
            SaslResponse::Data(data) => BASE64.encode(data),
        }
    }
}

/// base64 of `text`, as in a 334 challenge or a response.
pub fn encode(data: &[u8]) -> String {
    BASE64.encode(data)
}

/// Decodes base64, `None` if malformed.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}

/// The LOGIN mechanism's challenges: base64 of `Username:` and `Password:`.
pub const LOGIN_USERNAME_CHALLENGE: &str = "VXNlcm5hbWU6";
pub const LOGIN_PASSWORD_CHALLENGE: &str = "UGFzc3dvcmQ6";

/// The PLAIN message `[authzid] UTF8NUL authcid UTF8NUL passwd` (RFC 4616 §2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlainCredentials {
    pub authzid: String,
    pub authcid: String,
    pub password: String,
}

impl PlainCredentials {
    /// Splits a decoded PLAIN message; `None` unless it has exactly two NULs, a non-empty
    /// authcid and password, and is UTF-8.
    pub fn parse(message: &[u8]) -> Option<Self> {
        let mut parts = message.split(|&b| b == 0);
        let (authzid, authcid, password) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || authcid.is_empty() || password.is_empty() {
            return None;
        }
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
        Some(Self { authzid: text(authzid)?, authcid: text(authcid)?, password: text(password)? })
    }

    /// The message, ready for base64.
    pub fn to_message(&self) -> Vec<u8> {
        [self.authzid.as_bytes(), b"\0", self.authcid.as_bytes(), b"\0", self.password.as_bytes()].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_valid_agrees_with_parse_at_every_length() {
        let long = BASE64.encode([7u8; 600]);
        let mut cases: Vec<String> =
            ["", "*", "=", "AA==", "AB==", "AAA=", "AAAA", "AAA", "A===", "QQ", "QQ==", "Q Q=", "**"]
                .map(String::from)
                .into();
        // Around the stack buffer's end: 512 octets decode to 384.
        for len in [508, 512, 516, 800] {
            cases.push(long[..len].to_owned());
            cases.push(format!("{}=", &long[..len - 1]));
        }
        for case in cases {
            assert_eq!(
                SaslResponse::is_valid(case.as_bytes()),
                SaslResponse::parse(case.as_bytes()).is_some(),
                "{case:?}"
            );
        }
    }

    #[test]
    fn plain_known_answer() {
        // RFC 4616 §4's example: authcid "tim", password "tanstaaftanstaaf".
        let creds = PlainCredentials {
            authzid: String::new(),
            authcid: "tim".into(),
            password: "tanstaaftanstaaf".into(),
        };
        let wire = SaslResponse::Data(creds.to_message()).to_wire();
        assert_eq!(wire, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
        let Some(SaslResponse::Data(decoded)) = SaslResponse::parse(wire.as_bytes()) else {
            panic!("decodes")
        };
        assert_eq!(PlainCredentials::parse(&decoded), Some(creds));
    }

    #[test]
    fn responses_and_bad_input() {
        assert_eq!(SaslResponse::parse(b"*"), Some(SaslResponse::Cancel));
        assert_eq!(SaslResponse::parse(b"="), Some(SaslResponse::Data(vec![])));
        assert_eq!(SaslResponse::parse(b"not base64!"), None);
        assert_eq!(PlainCredentials::parse(b"\0user"), None);
        assert_eq!(PlainCredentials::parse(b"a\0b\0c\0d"), None);
        assert_eq!(decode(LOGIN_USERNAME_CHALLENGE).as_deref(), Some(&b"Username:"[..]));
        assert_eq!(decode(LOGIN_PASSWORD_CHALLENGE).as_deref(), Some(&b"Password:"[..]));
    }
}
