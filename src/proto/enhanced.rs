//! Enhanced mail system status codes (RFC 3463), as carried in replies (RFC 2034)
//! and in delivery status notifications (RFC 3464).

use std::fmt;

use super::push_decimal;

/// The class: the first number of `class.subject.detail` (RFC 3463 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum StatusClass {
    /// `2.X.X` Success.
    Success,
    /// `4.X.X` Persistent transient failure.
    PersistentTransientFailure,
    /// `5.X.X` Permanent failure.
    PermanentFailure,
}

impl StatusClass {
    fn digit(self) -> u16 {
        match self {
            StatusClass::Success => 2,
            StatusClass::PersistentTransientFailure => 4,
            StatusClass::PermanentFailure => 5,
        }
    }
}

/// An enhanced status code `class "." subject "." detail` (RFC 3463 §2), e.g. `5.1.1`.
///
/// ```text
/// status-code = class "." subject "." detail
/// class       = "2" / "4" / "5"
/// subject     = 1*3digit
/// detail      = 1*3digit
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnhancedStatusCode {
    class: StatusClass,
    subject: u16,
    detail: u16,
}

/// Why text is not an enhanced status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidStatusCode(pub String);

impl fmt::Display for InvalidStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not an enhanced status code (expected class.subject.detail such as 5.1.1)", self.0)
    }
}

impl std::error::Error for InvalidStatusCode {}

impl EnhancedStatusCode {
    /// Builds a code; subject and detail are at most three digits (RFC 3463 §2).
    pub const fn new(class: StatusClass, subject: u16, detail: u16) -> Option<Self> {
        if subject > 999 || detail > 999 {
            return None;
        }
        Some(Self { class, subject, detail })
    }

    const fn of(class: StatusClass, subject: u16, detail: u16) -> Self {
        Self { class, subject, detail }
    }

    pub const fn class(self) -> StatusClass {
        self.class
    }

    pub const fn subject(self) -> u16 {
        self.subject
    }

    pub const fn detail(self) -> u16 {
        self.detail
    }

    /// The subject's meaning (RFC 3463 §3.2–§3.8).
    pub fn subject_meaning(self) -> &'static str {
        match self.subject {
            0 => "Other or undefined status",
            1 => "Addressing status",
            2 => "Mailbox status",
            3 => "Mail system status",
            4 => "Network and routing status",
            5 => "Mail delivery protocol status",
            6 => "Message content or media status",
            7 => "Security or policy status",
            _ => "Unregistered subject",
        }
    }

    /// The registered meaning of `X.subject.detail` (RFC 3463 §3, with the later codes of
    /// RFC 4954 §6, RFC 6531 §3.6, RFC 7372 §3 and RFC 7505 §4.2), if it is one.
    pub fn meaning(self) -> Option<&'static str> {
        Some(match (self.subject, self.detail) {
            (0, 0) => "Other undefined status",
            (1, 0) => "Other address status",
            (1, 1) => "Bad destination mailbox address",
            (1, 2) => "Bad destination system address",
            (1, 3) => "Bad destination mailbox address syntax",
            (1, 4) => "Destination mailbox address ambiguous",
            (1, 5) => "Destination address valid",
            (1, 6) => "Destination mailbox has moved, no forwarding address",
            (1, 7) => "Bad sender's mailbox address syntax",
            (1, 8) => "Bad sender's system address",
            (1, 10) => "Recipient address has null MX",
            (2, 0) => "Other or undefined mailbox status",
            (2, 1) => "Mailbox disabled, not accepting messages",
            (2, 2) => "Mailbox full",
            (2, 3) => "Message length exceeds administrative limit",
            (2, 4) => "Mailing list expansion problem",
            (3, 0) => "Other or undefined mail system status",
            (3, 1) => "Mail system full",
            (3, 2) => "System not accepting network messages",
            (3, 3) => "System not capable of selected features",
            (3, 4) => "Message too big for system",
            (3, 5) => "System incorrectly configured",
            (4, 0) => "Other or undefined network or routing status",
            (4, 1) => "No answer from host",
            (4, 2) => "Bad connection",
            (4, 3) => "Directory server failure",
            (4, 4) => "Unable to route",
            (4, 5) => "Mail system congestion",
            (4, 6) => "Routing loop detected",
            (4, 7) => "Delivery time expired",
            (5, 0) => "Other or undefined protocol status",
            (5, 1) => "Invalid command",
            (5, 2) => "Syntax error",
            (5, 3) => "Too many recipients",
            (5, 4) => "Invalid command arguments",
            (5, 5) => "Wrong protocol version",
            (5, 6) => "Authentication exchange line is too long",
            (6, 0) => "Other or undefined media error",
            (6, 1) => "Media not supported",
            (6, 2) => "Conversion required and prohibited",
            (6, 3) => "Conversion required but not supported",
            (6, 4) => "Conversion with loss performed",
            (6, 5) => "Conversion failed",
            (6, 7) => "Non-ASCII addresses not permitted for that sender/recipient",
            (6, 8) => "UTF-8 string reply is required, but not permitted by the SMTP client",
            (6, 9) => "UTF-8 header message cannot be transferred to one or more recipients",
            (7, 0) => "Other or undefined security status",
            (7, 1) => "Delivery not authorized, message refused",
            (7, 2) => "Mailing list expansion prohibited",
            (7, 3) => "Security conversion required but not possible",
            (7, 4) => "Security features not supported",
            (7, 5) => "Cryptographic failure",
            (7, 6) => "Cryptographic algorithm not supported",
            (7, 7) => "Message integrity failure",
            (7, 8) => "Authentication credentials invalid",
            (7, 9) => "Authentication mechanism is too weak",
            (7, 10) => "Encryption needed",
            (7, 11) => "Encryption required for requested authentication mechanism",
            (7, 12) => "A password transition is needed",
            (7, 20) => "No passing DKIM signature found",
            (7, 21) => "No acceptable DKIM signature found",
            (7, 22) => "No valid author-matched DKIM signature found",
            (7, 23) => "SPF validation failed",
            (7, 24) => "SPF validation error",
            (7, 25) => "Reverse DNS validation failed",
            (7, 26) => "Multiple authentication checks failed",
            _ => return None,
        })
    }

    /// The meaning if registered, else the subject's.
    pub fn describe(self) -> &'static str {
        self.meaning().unwrap_or_else(|| self.subject_meaning())
    }

    /// The RFC that defines this code's meaning.
    pub fn defined_in(self) -> &'static str {
        match (self.subject, self.detail) {
            (1, 10) => "RFC 7505 §4.2",
            (5, 6) | (7, 8..=12) => "RFC 4954 §6",
            (6, 7..=9) => "RFC 6531 §3.6",
            (7, 20..=26) => "RFC 7372 §3",
            _ => "RFC 3463 §3",
        }
    }

    // Codes the core uses, named after their meaning.
    pub const OK: Self = Self::of(StatusClass::Success, 0, 0);
    pub const SENDER_OK: Self = Self::of(StatusClass::Success, 1, 0);
    pub const DESTINATION_OK: Self = Self::of(StatusClass::Success, 1, 5);
    pub const BAD_MAILBOX: Self = Self::of(StatusClass::PermanentFailure, 1, 1);
    pub const BAD_SYSTEM: Self = Self::of(StatusClass::PermanentFailure, 1, 2);
    pub const BAD_MAILBOX_SYNTAX: Self = Self::of(StatusClass::PermanentFailure, 1, 3);
    pub const BAD_SENDER_SYNTAX: Self = Self::of(StatusClass::PermanentFailure, 1, 7);
    pub const NULL_MX: Self = Self::of(StatusClass::PermanentFailure, 1, 10);
    pub const MAILBOX_FULL_TEMP: Self = Self::of(StatusClass::PersistentTransientFailure, 2, 2);
    pub const MAILBOX_FULL: Self = Self::of(StatusClass::PermanentFailure, 2, 2);
    pub const SYSTEM_FULL: Self = Self::of(StatusClass::PersistentTransientFailure, 3, 1);
    pub const MESSAGE_TOO_BIG: Self = Self::of(StatusClass::PermanentFailure, 3, 4);
    pub const NO_ANSWER: Self = Self::of(StatusClass::PersistentTransientFailure, 4, 1);
    pub const UNABLE_TO_ROUTE: Self = Self::of(StatusClass::PermanentFailure, 4, 4);
    pub const DELIVERY_EXPIRED: Self = Self::of(StatusClass::PermanentFailure, 4, 7);
    pub const INVALID_COMMAND: Self = Self::of(StatusClass::PermanentFailure, 5, 1);
    pub const SYNTAX_ERROR: Self = Self::of(StatusClass::PermanentFailure, 5, 2);
    pub const TOO_MANY_RECIPIENTS: Self = Self::of(StatusClass::PersistentTransientFailure, 5, 3);
    pub const INVALID_ARGUMENTS: Self = Self::of(StatusClass::PermanentFailure, 5, 4);
    pub const AUTH_LINE_TOO_LONG: Self = Self::of(StatusClass::PermanentFailure, 5, 6);
    pub const NON_ASCII_NOT_PERMITTED: Self = Self::of(StatusClass::PermanentFailure, 6, 7);
    pub const SECURITY: Self = Self::of(StatusClass::PermanentFailure, 7, 0);
    pub const TLS_NOT_AVAILABLE: Self = Self::of(StatusClass::PersistentTransientFailure, 7, 0);
    pub const NOT_AUTHORIZED: Self = Self::of(StatusClass::PermanentFailure, 7, 1);
    pub const GREYLISTED: Self = Self::of(StatusClass::PersistentTransientFailure, 7, 1);
    pub const AUTH_SUCCEEDED: Self = Self::of(StatusClass::Success, 7, 0);
    pub const AUTH_INVALID: Self = Self::of(StatusClass::PermanentFailure, 7, 8);
    pub const ENCRYPTION_REQUIRED: Self = Self::of(StatusClass::PermanentFailure, 7, 11);
    pub const SPF_FAILED: Self = Self::of(StatusClass::PermanentFailure, 7, 23);
    pub const DMARC_FAILED: Self = Self::of(StatusClass::PermanentFailure, 7, 26);
}

impl fmt::Display for EnhancedStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class.digit(), self.subject, self.detail)
    }
}

impl EnhancedStatusCode {
    /// Appends the code as [`fmt::Display`] writes it, without the formatting machinery:
    /// every line of most replies carries one, and a large run writes tens of thousands.
    pub fn push_to(self, out: &mut String) {
        push_decimal(out, u64::from(self.class.digit()), 1);
        out.push('.');
        push_decimal(out, u64::from(self.subject), 1);
        out.push('.');
        push_decimal(out, u64::from(self.detail), 1);
    }

    /// How many octets the code takes as written (`5.1.1`: five).
    pub fn written_len(self) -> usize {
        let digits = |n: u16| n.checked_ilog10().map_or(1, |log| log as usize + 1);
        digits(self.class.digit()) + 1 + digits(self.subject) + 1 + digits(self.detail)
    }
}

impl EnhancedStatusCode {
    /// The code as codes are written (`5.1.1`, not `5.01.1`: no leading zeros), from the
    /// start of a reply's text; `None` for anything else, without allocating (a reply's
    /// first word is more often a domain than a code). Used by [`super::reply`].
    pub fn parse_written(word: &[u8]) -> Option<Self> {
        let mut parts = word.split(|&b| b == b'.');
        let (Some(class), Some(subject), Some(detail), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let class = match class {
            b"2" => StatusClass::Success,
            b"4" => StatusClass::PersistentTransientFailure,
            b"5" => StatusClass::PermanentFailure,
            _ => return None,
        };
        let number = |part: &[u8]| -> Option<u16> {
            let written = matches!(part.len(), 1..=3) && part.iter().all(u8::is_ascii_digit);
            (written && (part.len() == 1 || part[0] != b'0'))
                .then(|| part.iter().fold(0, |n, d| n * 10 + u16::from(d - b'0')))
        };
        Self::new(class, number(subject)?, number(detail)?)
    }
}

impl std::str::FromStr for EnhancedStatusCode {
    type Err = InvalidStatusCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidStatusCode(s.to_owned());
        let mut parts = s.split('.');
        let (Some(class), Some(subject), Some(detail), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let class = match class {
            "2" => StatusClass::Success,
            "4" => StatusClass::PersistentTransientFailure,
            "5" => StatusClass::PermanentFailure,
            _ => return Err(invalid()),
        };
        let number = |part: &str| -> Option<u16> {
            (1..=3).contains(&part.len()).then_some(())?;
            part.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
            part.parse().ok()
        };
        Self::new(class, number(subject).ok_or_else(invalid)?, number(detail).ok_or_else(invalid)?)
            .ok_or_else(invalid)
    }
}

super::serde_as_string!(EnhancedStatusCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        for (text, meaning) in [
            ("5.1.1", "Bad destination mailbox address"),
            ("4.7.1", "Delivery not authorized, message refused"),
            ("5.3.4", "Message too big for system"),
            ("5.7.8", "Authentication credentials invalid"),
            ("2.0.0", "Other undefined status"),
        ] {
            let code: EnhancedStatusCode = text.parse().expect(text);
            assert_eq!(code.to_string(), text);
            assert_eq!(code.meaning(), Some(meaning));
        }
    }

    #[test]
    fn rejects_what_the_grammar_rejects() {
        for bad in ["", "3.1.1", "5.1", "5.1.1.1", "5.1234.1", "5..1", "5.a.1", "5.1.+1", " 5.1.1"] {
            assert!(bad.parse::<EnhancedStatusCode>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unregistered_codes_fall_back_to_their_subject() {
        let code: EnhancedStatusCode = "4.4.999".parse().expect("valid syntax");
        assert_eq!(code.meaning(), None);
        assert_eq!(code.describe(), "Network and routing status");
    }
}
