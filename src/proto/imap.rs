//! The IMAP4rev2 wire format (RFC 9051 §9, read with IMAP4rev1 clients of RFC 3501 in mind):
//! command and response types, nom parsers named after the ABNF rules, their serializers,
//! the framing of commands and responses that carry literals (§4.3), and the ENVELOPE and
//! BODYSTRUCTURE a server computes from a message's header (§7.5.2).
//!
//! Like the SMTP modules, every parser is streaming: input that ends before the rule could
//! end answers [`nom::Err::Incomplete`]. A whole command or response is first cut out of a
//! byte stream by [`Framer`], which also says when a synchronizing literal needs the
//! server's `+` continuation request before its octets may be sent (§7.6).

use std::fmt;

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::streaming::{tag as token, tag_no_case as keyword, take, take_while, take_while1},
    combinator::{map, opt, value},
    multi::separated_list1,
    sequence::{delimited, preceded},
};

use super::abnf::{crlf, error, sp};

// ---------------------------------------------------------------------------------------
// Character classes (§9)
// ---------------------------------------------------------------------------------------

/// `CTL = %x00-1F / %x7F` (RFC 5234 Appendix B.1).
fn is_ctl(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// `ATOM-CHAR = <any CHAR except atom-specials>`, where `atom-specials = "(" / ")" / "{" /
/// SP / CTL / list-wildcards / quoted-specials / resp-specials` (§9).
pub fn is_atom_char(b: u8) -> bool {
    b.is_ascii() && !is_ctl(b) && !matches!(b, b'(' | b')' | b'{' | b' ' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// `ASTRING-CHAR = ATOM-CHAR / resp-specials` (§9).
pub fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// A character of a tag: `<any ASTRING-CHAR except "+">` (§9).
pub fn is_tag_char(b: u8) -> bool {
    is_astring_char(b) && b != b'+'
}

/// `list-char = ATOM-CHAR / list-wildcards / resp-specials` (§9).
fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

/// `TEXT-CHAR = <any CHAR except CR and LF>`, `=/ UTF8-2 / UTF8-3 / UTF8-4` in `text` (§9).
fn is_text_char(b: u8) -> bool {
    b != b'\r' && b != b'\n' && b != 0
}

// ---------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------

/// The longest command a server buffers, lines and literals together (RFC 9051 §4.3 leaves
/// the limit to the server; RFC 7162 §4 recommends at least 8192 octets for a command line).
pub const MAX_COMMAND_OCTETS: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------
// Validated newtypes
// ---------------------------------------------------------------------------------------

/// Why a value cannot be a [`Tag`], an [`Atom`] or another validated IMAP value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// The rule the value had to match, e.g. `"atom"`.
    pub rule: &'static str,
    /// The value as given.
    pub value: String,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not an IMAP {} (RFC 9051 §9)", self.value, self.rule)
    }
}

impl std::error::Error for ValueError {}

/// A validated, non-empty text of one grammar rule: the type, its as_str, TryFrom<&str>
/// (each octet checked by `$valid`), FromStr and Display.
macro_rules! rule_text {
    ($(#[$doc:meta])* $name:ident, $rule:literal, $valid:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The text as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ValueError;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                if !value.is_empty() && value.bytes().all($valid) {
                    Ok($name(value.to_owned()))
                } else {
                    Err(ValueError { rule: $rule, value: value.to_owned() })
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::try_from(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

rule_text!(
    /// `tag = 1*<any ASTRING-CHAR except "+">` (RFC 9051 §9): the client's name for a command,
    /// echoed in the tagged response that completes it (§2.2.1).
    Tag,
    "tag",
    is_tag_char
);

rule_text!(
    /// `atom = 1*ATOM-CHAR` (RFC 9051 §9): keywords, capability names, mechanism names.
    Atom,
    "atom",
    is_atom_char
);

/// `mailbox = "INBOX" / astring` (RFC 9051 §9, §5.1): every case variant of INBOX is INBOX.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mailbox {
    /// The user's INBOX, whatever case the client wrote.
    Inbox,
    /// Any other name, as written (never a case variant of INBOX).
    Other(String),
}

impl Mailbox {
    /// The name as the server sends it back (`INBOX` in upper case, §5.1).
    pub fn name(&self) -> &str {
        match self {
            Mailbox::Inbox => "INBOX",
            Mailbox::Other(name) => name,
        }
    }
}

impl From<&str> for Mailbox {
    /// Every name is a mailbox name; a case variant of INBOX is INBOX (§9 `mailbox`).
    fn from(name: &str) -> Self {
        if name.eq_ignore_ascii_case("INBOX") { Mailbox::Inbox } else { Mailbox::Other(name.to_owned()) }
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`
/// (RFC 9051 §9), the INTERNALDATE of a message (§2.3.3), kept as its text without quotes,
/// e.g. `17-Jul-1996 02:44:25 -0700`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime(String);

impl DateTime {
    /// The text between the quotes.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl TryFrom<&str> for DateTime {
    type Error = ValueError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let b = value.as_bytes();
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        let ok = b.len() == 26
            && (digit(0) || b.first() == Some(&b' '))
            && digit(1)
            && b.get(2) == Some(&b'-')
            && value.get(3..6).is_some_and(|m| MONTHS.iter().any(|name| name.eq_ignore_ascii_case(m)))
            && b.get(6) == Some(&b'-')
            && (7..11).all(digit)
            && b.get(11) == Some(&b' ')
            && [12, 13, 15, 16, 18, 19].into_iter().all(digit)
            && b.get(14) == Some(&b':')
            && b.get(17) == Some(&b':')
            && b.get(20) == Some(&b' ')
            && matches!(b.get(21), Some(b'+' | b'-'))
            && (22..26).all(digit);
        if ok {
            Ok(DateTime(value.to_owned()))
        } else {
            Err(ValueError { rule: "date-time", value: value.into() })
        }
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message flag (RFC 9051 §2.3.2, §9 `flag`). The variants are ordered as a server
/// lists them: system flags alphabetically, as in the §6.4.6 example, then the others.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// `\Answered`: the message has been answered.
    Answered,
    /// `\Deleted`: marked for removal by EXPUNGE or CLOSE (§6.4.3).
    Deleted,
    /// `\Draft`: not yet complete.
    Draft,
    /// `\Flagged`: marked for urgent or special attention.
    Flagged,
    /// `\Seen`: read; set by `FETCH BODY[]` (§6.4.5).
    Seen,
    /// `flag-extension = "\" atom`, e.g. the deprecated `\Recent` (atom without the `\`).
    Extension(Atom),
    /// `flag-keyword = atom`, e.g. `$Forwarded`.
    Keyword(Atom),
}

impl Flag {
    /// The system flags a mailbox defines, in the order of the `FLAGS` response
    /// examples (§7.3.5).
    pub const SYSTEM: [Flag; 5] = [Flag::Answered, Flag::Flagged, Flag::Deleted, Flag::Seen, Flag::Draft];
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Flag::Answered => f.write_str("\\Answered"),
            Flag::Deleted => f.write_str("\\Deleted"),
            Flag::Draft => f.write_str("\\Draft"),
            Flag::Flagged => f.write_str("\\Flagged"),
            Flag::Seen => f.write_str("\\Seen"),
            Flag::Extension(atom) => write!(f, "\\{atom}"),
            Flag::Keyword(atom) => write!(f, "{atom}"),
        }
    }
}

/// `flag-perm = flag / "\*"` (RFC 9051 §9): an entry of `PERMANENTFLAGS`; `\*` says the
/// client may create new keywords (§7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagPerm {
    /// A flag that can be changed permanently.
    Flag(Flag),
    /// `\*`: new keywords can be created.
    Asterisk,
}

/// `seq-number = nz-number / "*"` (RFC 9051 §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNumber {
    /// A message sequence number or UID (never 0).
    Value(u32),
    /// `*`: the largest number in use (§9 `seq-number`).
    Largest,
}

impl SeqNumber {
    fn resolve(self, largest: u32) -> u32 {
        match self {
            SeqNumber::Value(n) => n,
            SeqNumber::Largest => largest,
        }
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeqNumber::Value(n) => write!(f, "{n}"),
            SeqNumber::Largest => f.write_str("*"),
        }
    }
}

/// One element of a sequence set: `seq-number / seq-range` (RFC 9051 §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sequence {
    /// A single number.
    Single(SeqNumber),
    /// `seq-range = seq-number ":" seq-number`, in either order.
    Range(SeqNumber, SeqNumber),
}

/// `sequence-set = (seq-number / seq-range) ["," sequence-set]` (RFC 9051 §9): a non-empty
/// list of numbers and ranges, of message sequence numbers or (under UID) of UIDs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequenceSet(Vec<Sequence>);

impl SequenceSet {
    /// A set of the given elements; `None` if there are none.
    pub fn new(elements: Vec<Sequence>) -> Option<Self> {
        (!elements.is_empty()).then_some(SequenceSet(elements))
    }

    /// The set's elements as written.
    pub fn elements(&self) -> &[Sequence] {
        &self.0
    }

    /// Whether `n` is in the set when `*` stands for `largest` (§9 `seq-range`: a range
    /// includes both ends whatever their order).
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.0.iter().any(|element| match *element {
            Sequence::Single(s) => s.resolve(largest) == n,
            Sequence::Range(a, b) => {
                let (a, b) = (a.resolve(largest), b.resolve(largest));
                (a.min(b)..=a.max(b)).contains(&n)
            }
        })
    }

    /// Whether a number above `largest` is named, which the server answers with BAD for
    /// message sequence numbers (§9 `seq-number`).
    pub fn exceeds(&self, largest: u32) -> bool {
        self.0.iter().any(|element| match *element {
            Sequence::Single(SeqNumber::Value(n)) => n > largest,
            Sequence::Range(a, b) => [a, b].iter().any(|s| matches!(s, SeqNumber::Value(n) if *n > largest)),
            Sequence::Single(SeqNumber::Largest) => largest == 0,
        })
    }

    /// The shortest set of ranges that names exactly `numbers` (for ESEARCH `ALL`, §7.3.4:
    /// each range must be complete). `None` for no numbers.
    pub fn from_numbers(numbers: &[u32]) -> Option<Self> {
        let mut sorted = numbers.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut elements = Vec::new();
        let mut iter = sorted.into_iter().peekable();
        while let Some(start) = iter.next() {
            let mut end = start;
            while iter.peek() == Some(&end.saturating_add(1)) && end < u32::MAX {
                end += 1;
                iter.next();
            }
            elements.push(if start == end {
                Sequence::Single(SeqNumber::Value(start))
            } else {
                Sequence::Range(SeqNumber::Value(start), SeqNumber::Value(end))
            });
        }
        SequenceSet::new(elements)
    }
}

impl fmt::Display for SequenceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, element) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match element {
                Sequence::Single(s) => write!(f, "{s}")?,
                Sequence::Range(a, b) => write!(f, "{a}:{b}")?,
            }
        }
        Ok(())
    }
}

/// `capability = ("AUTH=" auth-type) / atom` (RFC 9051 §9, §7.2.2), with the names this
/// crate knows as variants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `IMAP4rev2` (RFC 9051).
    Imap4Rev2,
    /// `IMAP4rev1` (RFC 3501): the server also speaks the older revision (§7.2.2).
    Imap4Rev1,
    /// `STARTTLS` (§6.2.1).
    StartTls,
    /// `LOGINDISABLED`: LOGIN is refused (§6.2.3, §7.2.2).
    LoginDisabled,
    /// `AUTH=<mechanism>` (§6.2.2), the mechanism name as an atom, e.g. `PLAIN`.
    Auth(Atom),
    /// `SASL-IR`: AUTHENTICATE takes an initial response (RFC 4959).
    SaslIr,
    /// `LITERAL+`: non-synchronizing literals of any size (RFC 7888).
    LiteralPlus,
    /// `LITERAL-`: non-synchronizing literals up to 4096 octets (RFC 7888).
    LiteralMinus,
    /// `IDLE` (RFC 2177, part of RFC 9051 §6.3.13).
    Idle,
    /// `ENABLE` (RFC 5161, part of RFC 9051 §6.3.1).
    Enable,
    /// `UIDPLUS`: UID EXPUNGE and the APPENDUID/COPYUID codes (RFC 4315).
    UidPlus,
    /// `UNSELECT` (RFC 3691, part of RFC 9051 §6.4.2).
    Unselect,
    /// `ESEARCH` (RFC 4731, part of RFC 9051 §6.4.4).
    ESearch,
    /// Any other capability name.
    Other(Atom),
}

impl Capability {
    /// The capability named `name` (case-insensitive, §9 note 1); `None` if not an atom.
    pub fn from_name(name: &str) -> Option<Self> {
        let upper = name.to_ascii_uppercase();
        if let Some(mechanism) = upper.strip_prefix("AUTH=") {
            return Atom::try_from(mechanism).ok().map(Capability::Auth);
        }
        Some(match upper.as_str() {
            "IMAP4REV2" => Capability::Imap4Rev2,
            "IMAP4REV1" => Capability::Imap4Rev1,
            "STARTTLS" => Capability::StartTls,
            "LOGINDISABLED" => Capability::LoginDisabled,
            "SASL-IR" => Capability::SaslIr,
            "LITERAL+" => Capability::LiteralPlus,
            "LITERAL-" => Capability::LiteralMinus,
            "IDLE" => Capability::Idle,
            "ENABLE" => Capability::Enable,
            "UIDPLUS" => Capability::UidPlus,
            "UNSELECT" => Capability::Unselect,
            "ESEARCH" => Capability::ESearch,
            _ => Capability::Other(Atom::try_from(name).ok()?),
        })
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capability::Imap4Rev2 => f.write_str("IMAP4rev2"),
            Capability::Imap4Rev1 => f.write_str("IMAP4rev1"),
            Capability::StartTls => f.write_str("STARTTLS"),
            Capability::LoginDisabled => f.write_str("LOGINDISABLED"),
            Capability::Auth(mechanism) => write!(f, "AUTH={mechanism}"),
            Capability::SaslIr => f.write_str("SASL-IR"),
            Capability::LiteralPlus => f.write_str("LITERAL+"),
            Capability::LiteralMinus => f.write_str("LITERAL-"),
            Capability::Idle => f.write_str("IDLE"),
            Capability::Enable => f.write_str("ENABLE"),
            Capability::UidPlus => f.write_str("UIDPLUS"),
            Capability::Unselect => f.write_str("UNSELECT"),
            Capability::ESearch => f.write_str("ESEARCH"),
            Capability::Other(atom) => write!(f, "{atom}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Commands (§6)
// ---------------------------------------------------------------------------------------

/// `section = "[" [section-spec] "]"` (RFC 9051 §6.4.5.1, §9): which part of a message a
/// `BODY[...]` fetch names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Section {
    /// `BODY[]`: the whole RFC 5322 message.
    Full,
    /// `HEADER`: the header with its blank line.
    Header,
    /// `TEXT`: the body without the header.
    Text,
    /// `HEADER.FIELDS [".NOT"] SP header-list`: the header's fields named (or, with `.NOT`,
    /// not named) in the list, and the blank line.
    HeaderFields {
        /// `HEADER.FIELDS.NOT`.
        not: bool,
        /// `header-fld-name`s as written.
        fields: Vec<String>,
    },
    /// `section-part = nz-number *("." nz-number)`: a MIME body part (§6.4.5.1).
    Part(Vec<u32>),
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Section::Full => Ok(()),
            Section::Header => f.write_str("HEADER"),
            Section::Text => f.write_str("TEXT"),
            Section::HeaderFields { not, fields } => {
                f.write_str(if *not { "HEADER.FIELDS.NOT (" } else { "HEADER.FIELDS (" })?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    f.write_str(&String::from_utf8_lossy(&astring_bytes(field)))?;
                }
                f.write_str(")")
            }
            Section::Part(parts) => {
                let parts: Vec<String> = parts.iter().map(u32::to_string).collect();
                f.write_str(&parts.join("."))
            }
        }
    }
}

/// `fetch-att` (RFC 9051 §6.4.5, §9): one data item a FETCH asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchAttribute {
    /// `ENVELOPE` (§7.5.2).
    Envelope,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822.SIZE` (§2.3.4).
    Rfc822Size,
    /// `UID`.
    Uid,
    /// `BODY`: the body structure without extension data.
    Body,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `"BODY" section [partial]` or `"BODY.PEEK" section [partial]`; `peek` leaves
    /// `\Seen` alone (§6.4.5).
    BodySection {
        /// `BODY.PEEK`.
        peek: bool,
        /// The section.
        section: Section,
        /// `partial = "<" number64 "." nz-number64 ">"`: first octet and octet count.
        partial: Option<(u32, u32)>,
    },
}

impl fmt::Display for FetchAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchAttribute::Envelope => f.write_str("ENVELOPE"),
            FetchAttribute::Flags => f.write_str("FLAGS"),
            FetchAttribute::InternalDate => f.write_str("INTERNALDATE"),
            FetchAttribute::Rfc822Size => f.write_str("RFC822.SIZE"),
            FetchAttribute::Uid => f.write_str("UID"),
            FetchAttribute::Body => f.write_str("BODY"),
            FetchAttribute::BodyStructure => f.write_str("BODYSTRUCTURE"),
            FetchAttribute::BodySection { peek, section, partial } => {
                write!(f, "{}[{section}]", if *peek { "BODY.PEEK" } else { "BODY" })?;
                match partial {
                    Some((start, count)) => write!(f, "<{start}.{count}>"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// What a FETCH asks for: a macro or data items (RFC 9051 §6.4.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchItems {
    /// `ALL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`.
    All,
    /// `FAST` = `(FLAGS INTERNALDATE RFC822.SIZE)`.
    Fast,
    /// `FULL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`.
    Full,
    /// One item (written bare, `parenthesized` false) or a parenthesized list.
    Attributes {
        /// The items in order.
        attributes: Vec<FetchAttribute>,
        /// Written as `(...)` rather than a single bare item.
        parenthesized: bool,
    },
}

impl FetchItems {
    /// The data items the macro stands for (§6.4.5), or the items themselves.
    pub fn expand(&self) -> Vec<FetchAttribute> {
        use FetchAttribute as A;
        match self {
            FetchItems::All => vec![A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope],
            FetchItems::Fast => vec![A::Flags, A::InternalDate, A::Rfc822Size],
            FetchItems::Full => vec![A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope, A::Body],
            FetchItems::Attributes { attributes, .. } => attributes.clone(),
        }
    }
}

/// How STORE changes flags: `["+" / "-"] "FLAGS"` (RFC 9051 §6.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// `search-key` (RFC 9051 §6.4.4, §9): the criteria this crate's server evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SearchKey {
    /// `ALL`
    All,
    /// `ANSWERED`
    Answered,
    /// `DELETED`
    Deleted,
    /// `DRAFT`
    Draft,
    /// `FLAGGED`
    Flagged,
    /// `SEEN`
    Seen,
    /// `UNANSWERED`
    Unanswered,
    /// `UNDELETED`
    Undeleted,
    /// `UNDRAFT`
    Undraft,
    /// `UNFLAGGED`
    Unflagged,
    /// `UNSEEN`
    Unseen,
    /// `KEYWORD flag-keyword`
    Keyword(Atom),
    /// `UNKEYWORD flag-keyword`
    Unkeyword(Atom),
    /// `LARGER number64`
    Larger(u64),
    /// `SMALLER number64`
    Smaller(u64),
    /// `FROM astring` (substring of the field, case-insensitive)
    From(String),
    /// `TO astring`
    To(String),
    /// `CC astring`
    Cc(String),
    /// `BCC astring`
    Bcc(String),
    /// `SUBJECT astring`
    Subject(String),
    /// `BODY astring` (substring of the body)
    Body(String),
    /// `TEXT astring` (substring of header or body)
    Text(String),
    /// `HEADER header-fld-name astring`
    Header(String, String),
    /// `UID sequence-set`
    Uid(SequenceSet),
    /// `sequence-set` of message sequence numbers
    SequenceSet(SequenceSet),
    /// `NOT search-key`
    Not(Box<SearchKey>),
    /// `OR search-key search-key`
    Or(Box<SearchKey>, Box<SearchKey>),
    /// `"(" search-key *(SP search-key) ")"`: all of them.
    And(Vec<SearchKey>),
}

/// `search-return-opt` (RFC 9051 §6.4.4): what an ESEARCH response reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchReturnOption {
    /// `MIN`
    Min,
    /// `MAX`
    Max,
    /// `ALL`
    All,
    /// `COUNT`
    Count,
}

impl fmt::Display for SearchReturnOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SearchReturnOption::Min => "MIN",
            SearchReturnOption::Max => "MAX",
            SearchReturnOption::All => "ALL",
            SearchReturnOption::Count => "COUNT",
        })
    }
}

/// `status-att = "MESSAGES" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN" / "DELETED" / "SIZE"`
/// (RFC 9051 §6.3.11, §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusAttribute {
    /// `MESSAGES`: the number of messages.
    Messages,
    /// `UIDNEXT`
    UidNext,
    /// `UIDVALIDITY`
    UidValidity,
    /// `UNSEEN`: messages without `\Seen`.
    Unseen,
    /// `DELETED`: messages with `\Deleted`.
    Deleted,
    /// `SIZE`: the mailbox's total size in octets.
    Size,
}

impl fmt::Display for StatusAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StatusAttribute::Messages => "MESSAGES",
            StatusAttribute::UidNext => "UIDNEXT",
            StatusAttribute::UidValidity => "UIDVALIDITY",
            StatusAttribute::Unseen => "UNSEEN",
            StatusAttribute::Deleted => "DELETED",
            StatusAttribute::Size => "SIZE",
        })
    }
}

/// `status-att` (RFC 9051 §9).
pub fn status_att(input: &[u8]) -> IResult<&[u8], StatusAttribute> {
    alt((
        value(StatusAttribute::Messages, keyword("MESSAGES")),
        value(StatusAttribute::UidNext, keyword("UIDNEXT")),
        value(StatusAttribute::UidValidity, keyword("UIDVALIDITY")),
        value(StatusAttribute::Unseen, keyword("UNSEEN")),
        value(StatusAttribute::Deleted, keyword("DELETED")),
        value(StatusAttribute::Size, keyword("SIZE")),
    ))
    .parse(input)
}

/// A client command without its tag (RFC 9051 §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandBody {
    /// `"CAPABILITY"` (§6.1.1)
    Capability,
    /// `"NOOP"` (§6.1.2)
    Noop,
    /// `"LOGOUT"` (§6.1.3)
    Logout,
    /// `"STARTTLS"` (§6.2.1)
    StartTls,
    /// `authenticate = "AUTHENTICATE" SP auth-type [SP initial-resp]` (§6.2.2, RFC 4959);
    /// the initial response decoded (`=` is an empty one).
    Authenticate {
        /// `auth-type = atom`, e.g. `PLAIN`.
        mechanism: Atom,
        /// `initial-resp = (base64 / "=")`, decoded.
        initial_response: Option<Vec<u8>>,
    },
    /// `login = "LOGIN" SP userid SP password` (§6.2.3)
    Login {
        /// `userid = astring`
        username: String,
        /// `password = astring`
        password: String,
    },
    /// `enable = "ENABLE" 1*(SP capability)` (§6.3.1)
    Enable(Vec<Capability>),
    /// `select = "SELECT" SP mailbox` (§6.3.2)
    Select(Mailbox),
    /// `examine = "EXAMINE" SP mailbox` (§6.3.3)
    Examine(Mailbox),
    /// `list = "LIST" SP mailbox SP mbox-or-pat` (§6.3.9), the basic form.
    List {
        /// The reference name.
        reference: Mailbox,
        /// `list-mailbox`, with `%` and `*` wildcards.
        pattern: String,
    },
    /// `idle = "IDLE" CRLF "DONE"` (§6.3.13): the command line only.
    Idle,
    /// `"CLOSE"` (§6.4.1)
    Close,
    /// `"UNSELECT"` (§6.4.2)
    Unselect,
    /// `"CHECK"` (RFC 3501 §6.4.1, removed by RFC 9051: "Clients should use NOOP instead",
    /// Appendix E item 17), kept for IMAP4rev1 clients.
    Check,
    /// `status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"` (§6.3.11)
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The attributes asked for.
        attributes: Vec<StatusAttribute>,
    },
    /// `"EXPUNGE"` (§6.4.3)
    Expunge,
    /// `uid-expunge = "EXPUNGE" SP sequence-set` under UID (§6.4.9, RFC 4315)
    UidExpunge(SequenceSet),
    /// `search = "SEARCH" [search-return-opts] SP search-program` (§6.4.4), with `uid`
    /// for UID SEARCH (§6.4.9).
    Search {
        /// UID SEARCH.
        uid: bool,
        /// `RETURN (...)`; `Some(vec![])` is `RETURN ()` (= ALL).
        returns: Option<Vec<SearchReturnOption>>,
        /// `CHARSET` name.
        charset: Option<String>,
        /// The criteria, all of which must match.
        criteria: Vec<SearchKey>,
    },
    /// `fetch = "FETCH" SP sequence-set SP (...)` (§6.4.5), with `uid` for UID FETCH.
    Fetch {
        /// UID FETCH.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// What to fetch.
        items: FetchItems,
    },
    /// `store = "STORE" SP sequence-set SP store-att-flags` (§6.4.6), with `uid`.
    Store {
        /// UID STORE.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// `FLAGS`, `+FLAGS` or `-FLAGS`.
        kind: StoreKind,
        /// `.SILENT`: no untagged FETCH.
        silent: bool,
        /// The flags.
        flags: Vec<Flag>,
    },
}

impl CommandBody {
    /// The command's name as the RFC spells it (`UID FETCH` for the UID forms).
    pub fn name(&self) -> &'static str {
        match self {
            CommandBody::Capability => "CAPABILITY",
            CommandBody::Noop => "NOOP",
            CommandBody::Logout => "LOGOUT",
            CommandBody::StartTls => "STARTTLS",
            CommandBody::Authenticate { .. } => "AUTHENTICATE",
            CommandBody::Login { .. } => "LOGIN",
            CommandBody::Enable(_) => "ENABLE",
            CommandBody::Select(_) => "SELECT",
            CommandBody::Examine(_) => "EXAMINE",
            CommandBody::List { .. } => "LIST",
            CommandBody::Idle => "IDLE",
            CommandBody::Close => "CLOSE",
            CommandBody::Unselect => "UNSELECT",
            CommandBody::Check => "CHECK",
            CommandBody::Status { .. } => "STATUS",
            CommandBody::Expunge => "EXPUNGE",
            CommandBody::UidExpunge(_) => "UID EXPUNGE",
            CommandBody::Search { uid: false, .. } => "SEARCH",
            CommandBody::Search { uid: true, .. } => "UID SEARCH",
            CommandBody::Fetch { uid: false, .. } => "FETCH",
            CommandBody::Fetch { uid: true, .. } => "UID FETCH",
            CommandBody::Store { uid: false, .. } => "STORE",
            CommandBody::Store { uid: true, .. } => "UID STORE",
        }
    }
}

/// `command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF`
/// (RFC 9051 §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The client's tag.
    pub tag: Tag,
    /// The command.
    pub body: CommandBody,
}

/// The command names this module parses (the words after the tag, and after `UID`).
pub const COMMAND_NAMES: [&str; 20] = [
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "STARTTLS",
    "AUTHENTICATE",
    "LOGIN",
    "ENABLE",
    "SELECT",
    "EXAMINE",
    "LIST",
    "IDLE",
    "CLOSE",
    "UNSELECT",
    "CHECK",
    "STATUS",
    "EXPUNGE",
    "SEARCH",
    "FETCH",
    "STORE",
    "UID",
];

// ---------------------------------------------------------------------------------------
// Core rules (§4, §9)
// ---------------------------------------------------------------------------------------

type Res<'a, O> = IResult<&'a [u8], O>;

fn utf8(input: &[u8], bytes: Vec<u8>) -> Result<String, nom::Err<nom::error::Error<&[u8]>>> {
    String::from_utf8(bytes).map_err(|_| error(input, nom::error::ErrorKind::MapRes))
}

/// `number = 1*DIGIT`, an unsigned 32-bit integer (RFC 9051 §9).
pub fn number(input: &[u8]) -> Res<'_, u32> {
    let (rest, digits) = take_while1(|b: u8| b.is_ascii_digit()).parse(input)?;
    let n = std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok());
    n.map(|n| (rest, n)).ok_or_else(|| error(input, nom::error::ErrorKind::Digit))
}

/// `nz-number = digit-nz *DIGIT`, non-zero and 32-bit (RFC 9051 §9).
pub fn nz_number(input: &[u8]) -> Res<'_, u32> {
    let (rest, n) = number(input)?;
    if n == 0 || input.first() == Some(&b'0') {
        return Err(error(input, nom::error::ErrorKind::Verify));
    }
    Ok((rest, n))
}

/// `number64 = 1*DIGIT`, an unsigned 63-bit integer (RFC 9051 §9).
pub fn number64(input: &[u8]) -> Res<'_, u64> {
    let (rest, digits) = take_while1(|b: u8| b.is_ascii_digit()).parse(input)?;
    let n = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .filter(|n| *n <= i64::MAX as u64);
    n.map(|n| (rest, n)).ok_or_else(|| error(input, nom::error::ErrorKind::Digit))
}

/// `atom = 1*ATOM-CHAR` (RFC 9051 §9).
pub fn atom(input: &[u8]) -> Res<'_, Atom> {
    let (rest, bytes) = take_while1(is_atom_char).parse(input)?;
    // ATOM-CHAR is ASCII, so this is UTF-8.
    Ok((rest, Atom(String::from_utf8_lossy(bytes).into_owned())))
}

/// `tag = 1*<any ASTRING-CHAR except "+">` (RFC 9051 §9).
pub fn tag(input: &[u8]) -> Res<'_, Tag> {
    let (rest, bytes) = take_while1(is_tag_char).parse(input)?;
    Ok((rest, Tag(String::from_utf8_lossy(bytes).into_owned())))
}

/// `quoted = DQUOTE *QUOTED-CHAR DQUOTE`, `QUOTED-CHAR = <any TEXT-CHAR except
/// quoted-specials> / "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4` (RFC 9051 §9); the
/// octets without quotes and escapes.
pub fn quoted(input: &[u8]) -> Res<'_, Vec<u8>> {
    let (mut rest, _) = token("\"").parse(input)?;
    let mut out = Vec::new();
    loop {
        match rest {
            [] => return Err(nom::Err::Incomplete(nom::Needed::new(1))),
            [b'"', tail @ ..] => return Ok((tail, out)),
            [b'\\'] => return Err(nom::Err::Incomplete(nom::Needed::new(1))),
            [b'\\', c @ (b'"' | b'\\'), tail @ ..] => {
                out.push(*c);
                rest = tail;
            }
            [c, tail @ ..] if is_text_char(*c) && *c != b'\\' => {
                out.push(*c);
                rest = tail;
            }
            _ => return Err(error(rest, nom::error::ErrorKind::Char)),
        }
    }
}

/// The header of a literal: `"{" number64 ["+"] "}" CRLF` (RFC 9051 §9 `literal`, RFC 7888
/// `literal-plus`); the octet count and whether it is non-synchronizing.
pub fn literal_header(input: &[u8]) -> Res<'_, (u64, bool)> {
    let (rest, (_, length, plus, _, _)) =
        (token("{"), number64, opt(token("+")), token("}"), crlf).parse(input)?;
    Ok((rest, (length, plus.is_some())))
}

/// `literal = "{" number64 ["+"] "}" CRLF *CHAR8` (RFC 9051 §9): the octets. NUL is not a
/// CHAR8, so a literal holding one is an error.
pub fn literal(input: &[u8]) -> Res<'_, Vec<u8>> {
    let (rest, (length, _)) = literal_header(input)?;
    let length = usize::try_from(length).map_err(|_| error(input, nom::error::ErrorKind::TooLarge))?;
    let (rest, octets) = take(length).parse(rest)?;
    if octets.contains(&0) {
        return Err(error(input, nom::error::ErrorKind::Verify));
    }
    Ok((rest, octets.to_vec()))
}

/// `string = quoted / literal` (RFC 9051 §9).
pub fn string(input: &[u8]) -> Res<'_, Vec<u8>> {
    alt((quoted, literal)).parse(input)
}

/// `astring = 1*ASTRING-CHAR / string` (RFC 9051 §9), as UTF-8 text.
pub fn astring(input: &[u8]) -> Res<'_, String> {
    let (rest, bytes) = alt((map(take_while1(is_astring_char), <[u8]>::to_vec), string)).parse(input)?;
    Ok((rest, utf8(input, bytes)?))
}

/// `nstring = string / nil` (RFC 9051 §9).
pub fn nstring(input: &[u8]) -> Res<'_, Option<Vec<u8>>> {
    alt((value(None, keyword("NIL")), map(string, Some))).parse(input)
}

/// `mailbox = "INBOX" / astring` (RFC 9051 §9).
pub fn mailbox(input: &[u8]) -> Res<'_, Mailbox> {
    map(astring, |name| Mailbox::from(name.as_str())).parse(input)
}

/// `list-mailbox = 1*list-char / string` (RFC 9051 §9).
pub fn list_mailbox(input: &[u8]) -> Res<'_, String> {
    let (rest, bytes) = alt((map(take_while1(is_list_char), <[u8]>::to_vec), string)).parse(input)?;
    Ok((rest, utf8(input, bytes)?))
}

/// `seq-number = nz-number / "*"` (RFC 9051 §9).
pub fn seq_number(input: &[u8]) -> Res<'_, SeqNumber> {
    alt((value(SeqNumber::Largest, token("*")), map(nz_number, SeqNumber::Value))).parse(input)
}

/// `sequence-set = (seq-number / seq-range) ["," sequence-set]`, `seq-range = seq-number
/// ":" seq-number` (RFC 9051 §9). The `$` of SEARCHRES is not supported.
pub fn sequence_set(input: &[u8]) -> Res<'_, SequenceSet> {
    let element = |input| {
        let (rest, first) = seq_number(input)?;
        match opt(preceded(token(":"), seq_number)).parse(rest)? {
            (rest, Some(second)) => Ok((rest, Sequence::Range(first, second))),
            (rest, None) => Ok((rest, Sequence::Single(first))),
        }
    };
    map(separated_list1(token(","), element), SequenceSet).parse(input)
}

/// `flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword /
/// flag-extension` (RFC 9051 §9); `\Recent` (`flag-fetch`) is read as an extension.
pub fn flag(input: &[u8]) -> Res<'_, Flag> {
    if let Ok((rest, _)) = token::<_, _, nom::error::Error<&[u8]>>("\\").parse(input) {
        let (rest, name) = atom(rest)?;
        let flag = match name.as_str().to_ascii_lowercase().as_str() {
            "answered" => Flag::Answered,
            "flagged" => Flag::Flagged,
            "deleted" => Flag::Deleted,
            "seen" => Flag::Seen,
            "draft" => Flag::Draft,
            _ => Flag::Extension(name),
        };
        return Ok((rest, flag));
    }
    map(atom, Flag::Keyword).parse(input)
}

/// `[flag *(SP flag)]`: zero or more flags separated by single spaces.
fn flags_separated(input: &[u8]) -> Res<'_, Vec<Flag>> {
    let mut flags = Vec::new();
    let mut rest = input;
    loop {
        let attempt = if flags.is_empty() { flag(rest) } else { preceded(sp, flag).parse(rest) };
        match attempt {
            Ok((after, f)) => {
                flags.push(f);
                rest = after;
            }
            Err(nom::Err::Error(_)) => return Ok((rest, flags)),
            Err(e) => return Err(e),
        }
    }
}

/// `flag-list = "(" [flag *(SP flag)] ")"` (RFC 9051 §9).
pub fn flag_list(input: &[u8]) -> Res<'_, Vec<Flag>> {
    delimited(token("("), flags_separated, token(")")).parse(input)
}

/// `flag-perm = flag / "\*"`, in `"PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")"`
/// (RFC 9051 §9).
pub fn flag_perm(input: &[u8]) -> Res<'_, FlagPerm> {
    alt((value(FlagPerm::Asterisk, token("\\*")), map(flag, FlagPerm::Flag))).parse(input)
}

/// `capability = ("AUTH=" auth-type) / atom` (RFC 9051 §9).
pub fn capability(input: &[u8]) -> Res<'_, Capability> {
    let (rest, name) = atom(input)?;
    Capability::from_name(name.as_str())
        .map(|c| (rest, c))
        .ok_or_else(|| error(input, nom::error::ErrorKind::Verify))
}

/// Parses a list of items separated by single spaces: `item *(SP item)`, at least one.
fn spaced<'a, O>(item: impl Fn(&'a [u8]) -> Res<'a, O> + Copy) -> impl Fn(&'a [u8]) -> Res<'a, Vec<O>> {
    move |input| separated_list1(sp, item).parse(input)
}

// ---------------------------------------------------------------------------------------
// Command arguments (§6, §9)
// ---------------------------------------------------------------------------------------

/// `header-list = "(" header-fld-name *(SP header-fld-name) ")"`, `header-fld-name =
/// astring` (RFC 9051 §9).
pub fn header_list(input: &[u8]) -> Res<'_, Vec<String>> {
    delimited(token("("), spaced(astring), token(")")).parse(input)
}

/// `section = "[" [section-spec] "]"` with `section-spec = section-msgtext /
/// (section-part ["." section-text])` (RFC 9051 §9); part numbers are read alone, without
/// a `.HEADER`/`.TEXT`/`.MIME` suffix.
pub fn section(input: &[u8]) -> Res<'_, Section> {
    let header_fields = |input| {
        let (rest, (_, not, _, fields)) =
            (keyword("HEADER.FIELDS"), opt(keyword(".NOT")), sp, header_list).parse(input)?;
        Ok((rest, Section::HeaderFields { not: not.is_some(), fields }))
    };
    let part = map(separated_list1(token("."), nz_number), Section::Part);
    delimited(
        token("["),
        alt((
            header_fields,
            value(Section::Header, keyword("HEADER")),
            value(Section::Text, keyword("TEXT")),
            part,
            value(Section::Full, take(0usize)),
        )),
        token("]"),
    )
    .parse(input)
}

/// `partial = "<" number64 "." nz-number64 ">"` (RFC 9051 §9), 32-bit here.
pub fn partial(input: &[u8]) -> Res<'_, (u32, u32)> {
    let (rest, (_, start, _, count, _)) =
        (token("<"), number, token("."), nz_number, token(">")).parse(input)?;
    Ok((rest, (start, count)))
}

/// `fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822.SIZE" / "BODY"
/// ["STRUCTURE"] / "UID" / "BODY" section [partial] / "BODY.PEEK" section [partial]`
/// (RFC 9051 §9; BINARY is not supported).
pub fn fetch_att(input: &[u8]) -> Res<'_, FetchAttribute> {
    let body_section = |input| {
        let (rest, (name, section, partial)) =
            (alt((keyword("BODY.PEEK"), keyword("BODY"))), section, opt(partial)).parse(input)?;
        Ok((rest, FetchAttribute::BodySection { peek: name.len() == 9, section, partial }))
    };
    alt((
        value(FetchAttribute::Envelope, keyword("ENVELOPE")),
        value(FetchAttribute::Flags, keyword("FLAGS")),
        value(FetchAttribute::InternalDate, keyword("INTERNALDATE")),
        value(FetchAttribute::Rfc822Size, keyword("RFC822.SIZE")),
        value(FetchAttribute::Uid, keyword("UID")),
        value(FetchAttribute::BodyStructure, keyword("BODYSTRUCTURE")),
        body_section,
        value(FetchAttribute::Body, keyword("BODY")),
    ))
    .parse(input)
}

/// `"ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")"` (RFC 9051 §9
/// `fetch`).
pub fn fetch_items(input: &[u8]) -> Res<'_, FetchItems> {
    alt((
        map(delimited(token("("), spaced(fetch_att), token(")")), |attributes| FetchItems::Attributes {
            attributes,
            parenthesized: true,
        }),
        value(FetchItems::All, keyword("ALL")),
        value(FetchItems::Fast, keyword("FAST")),
        value(FetchItems::Full, keyword("FULL")),
        map(fetch_att, |a| FetchItems::Attributes { attributes: vec![a], parenthesized: false }),
    ))
    .parse(input)
}

/// `store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))`
/// (RFC 9051 §9).
pub fn store_att_flags(input: &[u8]) -> Res<'_, (StoreKind, bool, Vec<Flag>)> {
    let kind = alt((
        value(StoreKind::Add, token("+")),
        value(StoreKind::Remove, token("-")),
        value(StoreKind::Replace, take(0usize)),
    ));
    let (rest, (kind, _, silent, _, flags)) =
        (kind, keyword("FLAGS"), opt(keyword(".SILENT")), sp, alt((flag_list, spaced(flag)))).parse(input)?;
    Ok((rest, (kind, silent.is_some(), flags)))
}

/// `search-key` (RFC 9051 §9), the subset [`SearchKey`] holds; dates (BEFORE, ON, SINCE,
/// SENT*) are not supported.
pub fn search_key(input: &[u8]) -> Res<'_, SearchKey> {
    search_key_depth(input, 0)
}

/// Nesting past this depth (NOT, OR, parentheses) is refused rather than followed.
const MAX_SEARCH_DEPTH: usize = 16;

fn search_key_depth(input: &[u8], depth: usize) -> Res<'_, SearchKey> {
    if depth > MAX_SEARCH_DEPTH {
        return Err(error(input, nom::error::ErrorKind::TooLarge));
    }
    let nested = |input| search_key_depth(input, depth + 1);
    let with = |name: &'static str| preceded((keyword(name), sp), astring);
    alt((
        alt((
            map(delimited(token("("), separated_list1(sp, nested), token(")")), SearchKey::And),
            map(preceded((keyword("NOT"), sp), nested), |k| SearchKey::Not(Box::new(k))),
            map(preceded((keyword("OR"), sp), (nested, sp, nested)), |(a, _, b)| {
                SearchKey::Or(Box::new(a), Box::new(b))
            }),
            map(preceded((keyword("UID"), sp), sequence_set), SearchKey::Uid),
            map(preceded((keyword("UNKEYWORD"), sp), atom), SearchKey::Unkeyword),
            map(preceded((keyword("KEYWORD"), sp), atom), SearchKey::Keyword),
            map(preceded((keyword("LARGER"), sp), number64), SearchKey::Larger),
            map(preceded((keyword("SMALLER"), sp), number64), SearchKey::Smaller),
            map((keyword("HEADER"), sp, astring, sp, astring), |(_, _, n, _, v)| SearchKey::Header(n, v)),
        )),
        alt((
            map(with("FROM"), SearchKey::From),
            map(with("TO"), SearchKey::To),
            map(with("CC"), SearchKey::Cc),
            map(with("BCC"), SearchKey::Bcc),
            map(with("SUBJECT"), SearchKey::Subject),
            map(with("BODY"), SearchKey::Body),
            map(with("TEXT"), SearchKey::Text),
        )),
        alt((
            value(SearchKey::All, keyword("ALL")),
            value(SearchKey::Unanswered, keyword("UNANSWERED")),
            value(SearchKey::Undeleted, keyword("UNDELETED")),
            value(SearchKey::Undraft, keyword("UNDRAFT")),
            value(SearchKey::Unflagged, keyword("UNFLAGGED")),
            value(SearchKey::Unseen, keyword("UNSEEN")),
            value(SearchKey::Answered, keyword("ANSWERED")),
            value(SearchKey::Deleted, keyword("DELETED")),
            value(SearchKey::Draft, keyword("DRAFT")),
            value(SearchKey::Flagged, keyword("FLAGGED")),
            value(SearchKey::Seen, keyword("SEEN")),
            map(sequence_set, SearchKey::SequenceSet),
        )),
    ))
    .parse(input)
}

/// `search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"`
/// (RFC 9051 §9), without the leading SP; SAVE is not supported.
pub fn search_return_opts(input: &[u8]) -> Res<'_, Vec<SearchReturnOption>> {
    let option = alt((
        value(SearchReturnOption::Min, keyword("MIN")),
        value(SearchReturnOption::Max, keyword("MAX")),
        value(SearchReturnOption::All, keyword("ALL")),
        value(SearchReturnOption::Count, keyword("COUNT")),
    ));
    let (rest, (_, options, _)) =
        (keyword("RETURN ("), opt(separated_list1(sp, option)), token(")")).parse(input)?;
    Ok((rest, options.unwrap_or_default()))
}

/// The base64 of `initial-resp = (base64 / "=")` (RFC 9051 §9, RFC 4959), decoded. The
/// pad character only at the end (§6.2.2); `None` if malformed.
pub fn base64_line(text: &[u8]) -> Option<Vec<u8>> {
    if text == b"=" {
        return Some(Vec::new());
    }
    if !text.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) {
        return None;
    }
    super::sasl::decode(std::str::from_utf8(text).ok()?)
}

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// The arguments of the command named `name`, up to and including CRLF.
fn command_arguments<'a>(name: &str, input: &'a [u8]) -> Res<'a, CommandBody> {
    let bare = |body: CommandBody| move |input| value(body.clone(), crlf).parse(input);
    match name {
        "CAPABILITY" => bare(CommandBody::Capability)(input),
        "NOOP" => bare(CommandBody::Noop)(input),
        "LOGOUT" => bare(CommandBody::Logout)(input),
        "STARTTLS" => bare(CommandBody::StartTls)(input),
        "IDLE" => bare(CommandBody::Idle)(input),
        "CLOSE" => bare(CommandBody::Close)(input),
        "UNSELECT" => bare(CommandBody::Unselect)(input),
        "CHECK" => bare(CommandBody::Check)(input),
        "STATUS" => {
            let (rest, (_, mailbox, _, attributes, _)) =
                (sp, mailbox, sp, delimited(token("("), spaced(status_att), token(")")), crlf)
                    .parse(input)?;
            Ok((rest, CommandBody::Status { mailbox, attributes }))
        }
        "EXPUNGE" => bare(CommandBody::Expunge)(input),
        "AUTHENTICATE" => {
            let (rest, (_, mechanism, response, _)) =
                (sp, atom, opt(preceded(sp, take_while1(is_base64_char))), crlf).parse(input)?;
            let initial_response = match response {
                Some(text) => {
                    Some(base64_line(text).ok_or_else(|| error(input, nom::error::ErrorKind::Verify))?)
                }
                None => None,
            };
            Ok((rest, CommandBody::Authenticate { mechanism, initial_response }))
        }
        "LOGIN" => {
            let (rest, (_, username, _, password, _)) = (sp, astring, sp, astring, crlf).parse(input)?;
            Ok((rest, CommandBody::Login { username, password }))
        }
        "ENABLE" => {
            let (rest, (_, capabilities, _)) = (sp, spaced(capability), crlf).parse(input)?;
            Ok((rest, CommandBody::Enable(capabilities)))
        }
        "SELECT" | "EXAMINE" => {
            let (rest, (_, mailbox, _)) = (sp, mailbox, crlf).parse(input)?;
            Ok((
                rest,
                if name == "SELECT" { CommandBody::Select(mailbox) } else { CommandBody::Examine(mailbox) },
            ))
        }
        "LIST" => {
            let (rest, (_, reference, _, pattern, _)) = (sp, mailbox, sp, list_mailbox, crlf).parse(input)?;
            Ok((rest, CommandBody::List { reference, pattern }))
        }
        "FETCH" | "STORE" | "SEARCH" => uid_command_arguments(name, false, input),
        "UID" => {
            let (rest, (_, word)) = (sp, take_while1(|b: u8| b.is_ascii_alphabetic())).parse(input)?;
            let word = String::from_utf8_lossy(word).to_ascii_uppercase();
            if word == "EXPUNGE" {
                let (rest, (_, set, _)) = (sp, sequence_set, crlf).parse(rest)?;
                return Ok((rest, CommandBody::UidExpunge(set)));
            }
            uid_command_arguments(&word, true, rest)
        }
        _ => Err(error(input, nom::error::ErrorKind::Tag)),
    }
}

/// FETCH, STORE and SEARCH, alone or after `UID` (§6.4.9).
fn uid_command_arguments<'a>(name: &str, uid: bool, input: &'a [u8]) -> Res<'a, CommandBody> {
    match name {
        "FETCH" => {
            let (rest, (_, set, _, items, _)) = (sp, sequence_set, sp, fetch_items, crlf).parse(input)?;
            Ok((rest, CommandBody::Fetch { uid, set, items }))
        }
        "STORE" => {
            let (rest, (_, set, _, (kind, silent, flags), _)) =
                (sp, sequence_set, sp, store_att_flags, crlf).parse(input)?;
            Ok((rest, CommandBody::Store { uid, set, kind, silent, flags }))
        }
        "SEARCH" => {
            let charset = preceded((keyword("CHARSET"), sp), astring);
            let (rest, (returns, _, charset, criteria, _)) = (
                opt(preceded(sp, search_return_opts)),
                sp,
                opt((charset, sp)),
                separated_list1(sp, search_key),
                crlf,
            )
                .parse(input)?;
            Ok((rest, CommandBody::Search { uid, returns, charset: charset.map(|(c, _)| c), criteria }))
        }
        _ => Err(error(input, nom::error::ErrorKind::Tag)),
    }
}

/// The command name after the tag: letters (RFC 9051 §9 `command`).
fn command_name(input: &[u8]) -> Res<'_, &[u8]> {
    take_while1(|b: u8| b.is_ascii_alphabetic()).parse(input)
}

/// `command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF`
/// (RFC 9051 §9): one whole command, literals included. Names are case-insensitive.
pub fn command(input: &[u8]) -> Res<'_, Command> {
    let (rest, (tag, _, name)) = (tag, sp, command_name).parse(input)?;
    let name = String::from_utf8_lossy(name).to_ascii_uppercase();
    let (rest, body) = command_arguments(&name, rest)?;
    Ok((rest, Command { tag, body }))
}

/// What is wrong with a whole command, as the server's BAD response says it (§7.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The line does not start with `tag SP`: answered with an untagged BAD.
    NoTag,
    /// No such command (`A044 BAD No such command as "BLURDYBLOOP"`, §7.6).
    UnknownCommand {
        /// The tag.
        tag: Tag,
        /// The word as seen.
        name: String,
    },
    /// A known command whose arguments do not fit its grammar.
    Syntax {
        /// The tag.
        tag: Tag,
        /// The command's name.
        name: String,
    },
}

impl CommandError {
    /// The tag the BAD response carries, if the command had one.
    pub fn tag(&self) -> Option<&Tag> {
        match self {
            CommandError::NoTag => None,
            CommandError::UnknownCommand { tag, .. } | CommandError::Syntax { tag, .. } => Some(tag),
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::NoTag => f.write_str("Missing command tag"),
            CommandError::UnknownCommand { name, .. } => write!(f, "No such command as {name:?}"),
            CommandError::Syntax { name, .. } => write!(f, "Syntax error in {name} arguments"),
        }
    }
}

impl std::error::Error for CommandError {}

/// The tag and the upper-cased command name at the start of a (possibly partial) command,
/// and whether this module knows the name; `None` before `tag SP name SP-or-CRLF`.
pub fn command_start(input: &[u8]) -> Option<(Tag, String, bool)> {
    let (rest, (tag, _, name)) = (tag, sp, command_name).parse(input).ok()?;
    if !matches!(rest.first(), Some(b' ' | b'\r')) {
        return None;
    }
    let name = String::from_utf8_lossy(name).to_ascii_uppercase();
    let known = COMMAND_NAMES.contains(&name.as_str());
    Some((tag, name, known))
}

/// The name of the IMAP command a client write starts (`SELECT`, `UID FETCH`), so the
/// server's answer is explained as its answer; `None` for a write that continues a command
/// (a literal's rest, a SASL line) or is no command.
pub fn command_asked(bytes: &[u8]) -> Option<String> {
    let (_, name, _) = command_start(bytes)?;
    if name != "UID" {
        return Some(name);
    }
    let next = String::from_utf8_lossy(bytes).split_whitespace().nth(2).map(str::to_ascii_uppercase);
    Some(next.map_or(name, |next| format!("UID {next}")))
}

/// Parses one whole command (as cut out by [`Framer`]) and says what is wrong with it.
pub fn parse_command(input: &[u8]) -> Result<Command, CommandError> {
    let Some((tag, name, known)) = command_start(input) else {
        return Err(CommandError::NoTag);
    };
    if !known {
        return Err(CommandError::UnknownCommand { tag, name });
    }
    match command(input) {
        Ok((b"", command)) => Ok(command),
        _ => Err(CommandError::Syntax { tag, name }),
    }
}

// ---------------------------------------------------------------------------------------
// Framing (§4.3, §7.6)
// ---------------------------------------------------------------------------------------

/// Which side reads the framed stream: a server reads commands, whose synchronizing
/// literals wait for its `+` (§7.6); a client reads responses, whose literals never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramerRole {
    /// Reads commands.
    Server,
    /// Reads responses.
    Client,
}

/// Which limit a command broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitExceeded {
    /// A line longer than the limit, with no CRLF in sight.
    Line,
    /// A literal that would take the command past the limit.
    Literal,
}

/// What [`Framer::next`] found at the start of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// More octets are needed.
    Incomplete,
    /// The first `len` octets are one whole command (or response), literals included.
    Complete(usize),
    /// The first `len` octets end in the header of a synchronizing literal of `literal`
    /// octets: a server answers with a continuation request (§7.6), or refuses the command
    /// and calls [`Framer::abandon`]. The octets stay in the buffer.
    LiteralAwaited {
        /// Octets up to the literal header's CRLF.
        len: usize,
        /// The announced literal size.
        literal: u64,
    },
    /// Over the limit: drop the first `len` octets and answer BAD; the framer then skips
    /// the rest of that command ([`Frame::Skip`]) without buffering it.
    TooLarge {
        /// Octets to drop.
        len: usize,
        /// Which limit.
        limit: LimitExceeded,
    },
    /// Drop the first `len` octets: the rest of a command refused as too large.
    Skip(usize),
}

/// Cuts commands (or responses) out of a byte stream: lines up to CRLF, and after a line
/// that ends in `{n}` or `{n+}`, `n` octets of literal and the line that follows (§4.3).
/// It only scans; the caller keeps the buffer and drains what a frame covers.
#[derive(Debug, Clone)]
pub struct Framer {
    role: FramerRole,
    max: usize,
    /// Octets of the buffer known to belong to the current frame.
    pos: usize,
    /// Octets already searched for the current line's CRLF.
    searched: usize,
    /// The end of a literal being received.
    literal_end: Option<usize>,
    /// Skipping a refused command: `Some(literal octets still to skip)`.
    skipping: Option<u64>,
}

impl Framer {
    /// A framer for `role` that refuses frames longer than `max` octets.
    pub fn new(role: FramerRole, max: usize) -> Self {
        Self { role, max, pos: 0, searched: 0, literal_end: None, skipping: None }
    }

    /// Forgets the frame in progress (after the caller refused a command at a
    /// [`Frame::LiteralAwaited`] and dropped its octets).
    pub fn abandon(&mut self) {
        self.pos = 0;
        self.searched = 0;
        self.literal_end = None;
    }

    /// Whether the framer is skipping the rest of a refused command.
    pub fn is_skipping(&self) -> bool {
        self.skipping.is_some()
    }

    /// Looks at `buffer` (everything received and not yet drained) and says what its start
    /// holds. Each call resumes where the previous one stopped.
    pub fn next(&mut self, buffer: &[u8]) -> Frame {
        if let Some(remaining) = self.skipping {
            return self.skip(buffer, remaining);
        }
        if let Some(end) = self.literal_end {
            if buffer.len() < end {
                return Frame::Incomplete;
            }
            self.literal_end = None;
            self.pos = end;
            self.searched = end;
        }
        loop {
            let from = self.searched.max(self.pos);
            let Some(cr) = find_crlf(buffer, from) else {
                // Keep a trailing CR for the next search: its LF may be next.
                self.searched = buffer.len().saturating_sub(1).max(self.pos);
                if buffer.len() > self.max {
                    let len = if buffer.ends_with(b"\r") { buffer.len() - 1 } else { buffer.len() };
                    self.abandon();
                    self.skipping = Some(0);
                    return Frame::TooLarge { len, limit: LimitExceeded::Line };
                }
                return Frame::Incomplete;
            };
            let line_end = cr + 2;
            let line = buffer.get(self.pos..cr).unwrap_or_default();
            if line_end > self.max {
                return self.refuse(line_end, trailing_literal(line), LimitExceeded::Line);
            }
            let Some((literal, non_sync)) = trailing_literal(line) else {
                self.abandon();
                return Frame::Complete(line_end);
            };
            let end = usize::try_from(literal).ok().and_then(|n| line_end.checked_add(n));
            let Some(end) = end.filter(|end| *end <= self.max) else {
                return self.refuse(line_end, Some((literal, non_sync)), LimitExceeded::Literal);
            };
            if self.role == FramerRole::Server && !non_sync {
                self.literal_end = Some(end);
                self.pos = line_end;
                return Frame::LiteralAwaited { len: line_end, literal };
            }
            if buffer.len() < end {
                self.literal_end = Some(end);
                return Frame::Incomplete;
            }
            self.pos = end;
            self.searched = end;
        }
    }

    /// Refuses the frame whose first line ends at `line_end`; a non-synchronizing literal
    /// announced there is skipped (a synchronizing one is never sent, §7.6).
    fn refuse(&mut self, line_end: usize, literal: Option<(u64, bool)>, limit: LimitExceeded) -> Frame {
        self.abandon();
        self.skipping = match literal {
            Some((n, true)) => Some(n),
            _ => None,
        };
        Frame::TooLarge { len: line_end, limit }
    }

    fn skip(&mut self, buffer: &[u8], remaining: u64) -> Frame {
        if remaining > 0 {
            let n = usize::try_from(remaining).unwrap_or(usize::MAX).min(buffer.len());
            if n == 0 {
                return Frame::Incomplete;
            }
            self.skipping = Some(remaining - n as u64);
            return Frame::Skip(n);
        }
        match find_crlf(buffer, 0) {
            Some(cr) => {
                let line = buffer.get(..cr).unwrap_or_default();
                self.skipping = match trailing_literal(line) {
                    Some((n, true)) => Some(n),
                    _ => None,
                };
                Frame::Skip(cr + 2)
            }
            None => {
                let len = if buffer.ends_with(b"\r") { buffer.len() - 1 } else { buffer.len() };
                if len == 0 { Frame::Incomplete } else { Frame::Skip(len) }
            }
        }
    }
}

/// The index of the CR of the first CRLF at or after `from`.
fn find_crlf(buffer: &[u8], from: usize) -> Option<usize> {
    let tail = buffer.get(from..)?;
    let mut offset = 0;
    while let Some(lf) = tail.get(offset..).and_then(|rest| memchr::memchr(b'\n', rest)) {
        let at = offset + lf;
        if at > 0 && tail.get(at - 1) == Some(&b'\r') {
            return Some(from + at - 1);
        }
        offset = at + 1;
    }
    None
}

/// The literal header `{n}` or `{n+}` that ends `line` (without CRLF): size and whether it
/// is non-synchronizing.
pub fn trailing_literal(line: &[u8]) -> Option<(u64, bool)> {
    let body = line.strip_suffix(b"}")?;
    let (body, non_sync) = match body.strip_suffix(b"+") {
        Some(body) => (body, true),
        None => (body, false),
    };
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = body.get(open + 1..)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((n, non_sync))
}

// ---------------------------------------------------------------------------------------
// Responses (§7)
// ---------------------------------------------------------------------------------------

/// The condition of a status response (RFC 9051 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `OK` (§7.1.1)
    Ok,
    /// `NO` (§7.1.2): the command failed.
    No,
    /// `BAD` (§7.1.3): the command was not understood.
    Bad,
    /// `PREAUTH` (§7.1.4): a greeting that skips authentication (untagged only).
    PreAuth,
    /// `BYE` (§7.1.5): the server is closing the connection (untagged only).
    Bye,
}

impl Status {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
            Status::PreAuth => "PREAUTH",
            Status::Bye => "BYE",
        }
    }
}

/// `resp-text-code` (RFC 9051 §7.1, §9): the bracketed code of a status response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// `ALERT`
    Alert,
    /// `AUTHENTICATIONFAILED`
    AuthenticationFailed,
    /// `BADCHARSET [SP "(" charset *(SP charset) ")"]`
    BadCharset(Vec<String>),
    /// `CAPABILITY ...` (capability-data)
    Capability(Vec<Capability>),
    /// `CANNOT`
    Cannot,
    /// `CLIENTBUG`
    ClientBug,
    /// `CLOSED`
    Closed,
    /// `LIMIT`
    Limit,
    /// `NONEXISTENT`
    NonExistent,
    /// `PARSE`
    Parse,
    /// `PERMANENTFLAGS SP "(" [flag-perm *(SP flag-perm)] ")"`
    PermanentFlags(Vec<FlagPerm>),
    /// `PRIVACYREQUIRED`
    PrivacyRequired,
    /// `READ-ONLY`
    ReadOnly,
    /// `READ-WRITE`
    ReadWrite,
    /// `TRYCREATE`
    TryCreate,
    /// `UIDNEXT SP nz-number`
    UidNext(u32),
    /// `UIDVALIDITY SP nz-number`
    UidValidity(u32),
    /// `UNAVAILABLE`
    Unavailable,
    /// `atom [SP 1*<any TEXT-CHAR except "]">]`: any other code.
    Other(Atom, Option<String>),
}

/// `msg-att` items (RFC 9051 §7.5.2, §9): what a FETCH response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageData {
    /// `"FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")"`
    Flags(Vec<Flag>),
    /// `"UID" SP uniqueid`
    Uid(u32),
    /// `"RFC822.SIZE" SP number64`
    Rfc822Size(u64),
    /// `"INTERNALDATE" SP date-time`
    InternalDate(DateTime),
    /// `"ENVELOPE" SP envelope`
    Envelope(Box<Envelope>),
    /// `"BODY" SP body` (`structure` false) or `"BODYSTRUCTURE" SP body`.
    BodyStructure {
        /// Sent as BODYSTRUCTURE rather than BODY.
        extensible: bool,
        /// The structure.
        body: BodyStructure,
    },
    /// `"BODY" section ["<" number ">"] SP nstring`
    BodySection {
        /// The section, as asked for (never PEEK in a response).
        section: Section,
        /// `<origin>` of a partial fetch.
        origin: Option<u32>,
        /// The octets, or NIL.
        data: Option<Vec<u8>>,
    },
}

/// `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"` (RFC 9051 §9,
/// §7.5.2). A group start has no host and the group name as mailbox; a group end has
/// neither.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// `addr-name`: the display name, unquoted.
    pub name: Option<String>,
    /// `addr-adl`: the obsolete source route.
    pub adl: Option<String>,
    /// `addr-mailbox`: the local part, unquoted (or the group name).
    pub mailbox: Option<String>,
    /// `addr-host`: the domain.
    pub host: Option<String>,
}

/// `envelope` (RFC 9051 §7.5.2, §9): the RFC 5322 header as parts. Empty address lists
/// are NIL on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// `env-date`
    pub date: Option<String>,
    /// `env-subject`
    pub subject: Option<String>,
    /// `env-from`
    pub from: Vec<Address>,
    /// `env-sender` (From when absent)
    pub sender: Vec<Address>,
    /// `env-reply-to` (From when absent)
    pub reply_to: Vec<Address>,
    /// `env-to`
    pub to: Vec<Address>,
    /// `env-cc`
    pub cc: Vec<Address>,
    /// `env-bcc`
    pub bcc: Vec<Address>,
    /// `env-in-reply-to`
    pub in_reply_to: Option<String>,
    /// `env-message-id`
    pub message_id: Option<String>,
}

/// `body` (RFC 9051 §7.5.2, §9) without extension data: what `BODY` and `BODYSTRUCTURE`
/// return here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStructure {
    /// `body-type-1part`: a leaf.
    Single {
        /// The media type, e.g. `TEXT` (`media-basic` / `media-text` / `media-message`).
        media_type: String,
        /// The subtype, e.g. `PLAIN`.
        subtype: String,
        /// `body-fld-param`: attribute/value pairs (NIL when empty).
        params: Vec<(String, String)>,
        /// `body-fld-id`
        id: Option<String>,
        /// `body-fld-desc`
        description: Option<String>,
        /// `body-fld-enc`
        encoding: String,
        /// `body-fld-octets`
        octets: u32,
        /// `MESSAGE/RFC822`: envelope, body and lines of the inner message.
        message: Option<Box<(Envelope, BodyStructure)>>,
        /// `body-fld-lines` of TEXT and MESSAGE/RFC822 parts.
        lines: Option<u64>,
    },
    /// `body-type-mpart = 1*body SP media-subtype`.
    Multipart {
        /// The parts.
        parts: Vec<BodyStructure>,
        /// The subtype, e.g. `MIXED`.
        subtype: String,
    },
}

/// `search-return-data` (RFC 9051 §7.3.4, §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchReturnData {
    /// `"MIN" SP nz-number`
    Min(u32),
    /// `"MAX" SP nz-number`
    Max(u32),
    /// `"ALL" SP sequence-set`
    All(SequenceSet),
    /// `"COUNT" SP number`
    Count(u32),
}

/// `mailbox-data`, `message-data`, `capability-data` and `enable-data` (RFC 9051 §7.2 to
/// §7.5): the untagged server data this crate sends and reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// `* CAPABILITY ...` (§7.2.2)
    Capability(Vec<Capability>),
    /// `* ENABLED ...` (§7.2.1)
    Enabled(Vec<Capability>),
    /// `* LIST (attributes) delimiter mailbox` (§7.3.1); attributes without their `\`.
    List {
        /// `mbx-list-flags`, e.g. `Noselect` for `\Noselect`.
        attributes: Vec<Atom>,
        /// The hierarchy delimiter, or NIL.
        delimiter: Option<char>,
        /// The name.
        mailbox: Mailbox,
    },
    /// `* FLAGS (...)` (§7.3.5)
    Flags(Vec<Flag>),
    /// `* n EXISTS` (§7.4.1)
    Exists(u32),
    /// `* n RECENT` (RFC 3501 §7.3.2, obsolete in RFC 9051)
    Recent(u32),
    /// `* n EXPUNGE` (§7.5.1)
    Expunge(u32),
    /// `* STATUS mailbox (att value ...)` (§7.3.3, `"STATUS" SP mailbox SP "("
    /// [status-att-list] ")"`)
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// `status-att-val` pairs.
        items: Vec<(StatusAttribute, u64)>,
    },
    /// `* SEARCH n...` (RFC 3501 §7.2.5, `obsolete-search-response` in RFC 9051)
    Search(Vec<u32>),
    /// `* ESEARCH [(TAG "t")] [UID] data...` (§7.3.4)
    ESearch {
        /// The search correlator's tag.
        tag: Option<Tag>,
        /// The data are UIDs.
        uid: bool,
        /// The return data.
        data: Vec<SearchReturnData>,
    },
    /// `* n FETCH (...)` (§7.5.2)
    Fetch {
        /// The message sequence number.
        seq: u32,
        /// The data items.
        items: Vec<MessageData>,
    },
}

/// A server response line (RFC 9051 §7; §9 `response`), literals included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `response-tagged`, or an untagged `resp-cond-state` / `resp-cond-auth` /
    /// `resp-cond-bye` (§7.1).
    Status {
        /// The tag; `None` for `*`.
        tag: Option<Tag>,
        /// OK, NO, BAD, PREAUTH or BYE.
        status: Status,
        /// `"[" resp-text-code "]"`
        code: Option<Code>,
        /// The human-readable text (may be empty).
        text: String,
    },
    /// `"*" SP (mailbox-data / message-data / capability-data / enable-data)` (§7.2-§7.5).
    Data(Data),
    /// `continue-req = "+" SP (resp-text / base64) CRLF` (§7.6), the text as sent.
    Continue(String),
}

impl Response {
    /// A tagged status response.
    pub fn tagged(tag: &Tag, status: Status, code: Option<Code>, text: &str) -> Self {
        Response::Status { tag: Some(tag.clone()), status, code, text: text.to_owned() }
    }

    /// An untagged status response.
    pub fn untagged(status: Status, code: Option<Code>, text: &str) -> Self {
        Response::Status { tag: None, status, code, text: text.to_owned() }
    }
}

// ---------------------------------------------------------------------------------------
// Serializers
// ---------------------------------------------------------------------------------------

/// How a serializer writes literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralMode {
    /// `{n}` from a client: the command is cut after each literal header, and the next
    /// fragment is sent after the server's `+` (§7.6).
    Sync,
    /// `{n+}` (LITERAL+ or LITERAL-, RFC 7888): the command is one fragment.
    NonSync,
    /// `{n}` from a server, which never waits (§4.3).
    Server,
}

/// Builds a command or response, cutting it into fragments at synchronizing literals.
struct Writer {
    fragments: Vec<Vec<u8>>,
    buf: Vec<u8>,
    mode: LiteralMode,
}

impl Writer {
    fn new(mode: LiteralMode) -> Self {
        Self { fragments: Vec::new(), buf: Vec::new(), mode }
    }

    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    fn text(&mut self, text: impl fmt::Display) -> &mut Self {
        self.buf.extend_from_slice(text.to_string().as_bytes());
        self
    }

    /// `literal` (§4.3): `{n}` CRLF octets.
    fn literal(&mut self, octets: &[u8]) {
        let plus = if self.mode == LiteralMode::NonSync { "+" } else { "" };
        self.text(format_args!("{{{}{plus}}}\r\n", octets.len()));
        if self.mode == LiteralMode::Sync {
            self.fragments.push(std::mem::take(&mut self.buf));
        }
        self.raw(octets);
    }

    /// `string = quoted / literal` (§4.3): quoted when every octet is a 7-bit TEXT-CHAR,
    /// a literal otherwise (CR, LF, NUL and 8-bit octets cannot be quoted).
    fn string(&mut self, octets: &[u8]) {
        if octets.iter().all(|&b| b.is_ascii() && is_text_char(b)) {
            self.buf.push(b'"');
            for &b in octets {
                if b == b'"' || b == b'\\' {
                    self.buf.push(b'\\');
                }
                self.buf.push(b);
            }
            self.buf.push(b'"');
        } else {
            self.literal(octets);
        }
    }

    /// `astring = 1*ASTRING-CHAR / string` (§9): bare when it can be.
    fn astring(&mut self, text: &str) {
        if !text.is_empty() && text.bytes().all(is_astring_char) {
            self.raw(text.as_bytes());
        } else {
            self.string(text.as_bytes());
        }
    }

    /// `nstring = string / nil` (§9).
    fn nstring(&mut self, octets: Option<&[u8]>) {
        match octets {
            Some(octets) => self.string(octets),
            None => {
                self.raw(b"NIL");
            }
        }
    }

    /// `mailbox = "INBOX" / astring` (§9).
    fn mailbox(&mut self, mailbox: &Mailbox) {
        self.astring(mailbox.name());
    }

    /// `flag-list = "(" [flag *(SP flag)] ")"` (§9).
    fn flag_list(&mut self, flags: &[Flag]) {
        self.text("(");
        self.list(flags, |w, f| {
            w.text(f);
        });
        self.text(")");
    }

    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.raw(b" ");
            }
            each(self, item);
        }
    }

    fn finish(mut self) -> Vec<Vec<u8>> {
        self.fragments.push(self.buf);
        self.fragments
    }
}

/// The astring form of `text` as bytes (bare, quoted, or a literal).
fn astring_bytes(text: &str) -> Vec<u8> {
    let mut w = Writer::new(LiteralMode::NonSync);
    w.astring(text);
    w.finish().concat()
}

fn write_search_key(w: &mut Writer, key: &SearchKey) {
    match key {
        SearchKey::All => w.text("ALL"),
        SearchKey::Answered => w.text("ANSWERED"),
        SearchKey::Deleted => w.text("DELETED"),
        SearchKey::Draft => w.text("DRAFT"),
        SearchKey::Flagged => w.text("FLAGGED"),
        SearchKey::Seen => w.text("SEEN"),
        SearchKey::Unanswered => w.text("UNANSWERED"),
        SearchKey::Undeleted => w.text("UNDELETED"),
        SearchKey::Undraft => w.text("UNDRAFT"),
        SearchKey::Unflagged => w.text("UNFLAGGED"),
        SearchKey::Unseen => w.text("UNSEEN"),
        SearchKey::Keyword(atom) => w.text(format_args!("KEYWORD {atom}")),
        SearchKey::Unkeyword(atom) => w.text(format_args!("UNKEYWORD {atom}")),
        SearchKey::Larger(n) => w.text(format_args!("LARGER {n}")),
        SearchKey::Smaller(n) => w.text(format_args!("SMALLER {n}")),
        SearchKey::Uid(set) => w.text(format_args!("UID {set}")),
        SearchKey::SequenceSet(set) => w.text(set),
        SearchKey::From(s)
        | SearchKey::To(s)
        | SearchKey::Cc(s)
        | SearchKey::Bcc(s)
        | SearchKey::Subject(s)
        | SearchKey::Body(s)
        | SearchKey::Text(s) => {
            let name = match key {
                SearchKey::From(_) => "FROM ",
                SearchKey::To(_) => "TO ",
                SearchKey::Cc(_) => "CC ",
                SearchKey::Bcc(_) => "BCC ",
                SearchKey::Subject(_) => "SUBJECT ",
                SearchKey::Body(_) => "BODY ",
                _ => "TEXT ",
            };
            w.text(name);
            w.astring(s);
            w
        }
        SearchKey::Header(name, value) => {
            w.text("HEADER ");
            w.astring(name);
            w.text(" ");
            w.astring(value);
            w
        }
        SearchKey::Not(inner) => {
            w.text("NOT ");
            write_search_key(w, inner);
            w
        }
        SearchKey::Or(a, b) => {
            w.text("OR ");
            write_search_key(w, a);
            w.text(" ");
            write_search_key(w, b);
            w
        }
        SearchKey::And(keys) => {
            w.text("(");
            w.list(keys, write_search_key);
            w.text(")")
        }
    };
}

impl Command {
    /// The command on the wire, CRLF included, cut into the fragments a client sends one
    /// at a time: with [`LiteralMode::Sync`], a new fragment starts after each literal
    /// header, to be sent after the server's `+` (§7.6).
    pub fn encode(&self, mode: LiteralMode) -> Vec<Vec<u8>> {
        let mut w = Writer::new(mode);
        w.text(&self.tag).text(" ").text(self.body.name());
        match &self.body {
            CommandBody::Capability
            | CommandBody::Noop
            | CommandBody::Logout
            | CommandBody::StartTls
            | CommandBody::Idle
            | CommandBody::Close
            | CommandBody::Unselect
            | CommandBody::Check
            | CommandBody::Expunge => {}
            CommandBody::Authenticate { mechanism, initial_response } => {
                w.text(" ").text(mechanism);
                if let Some(response) = initial_response {
                    let text =
                        if response.is_empty() { "=".to_owned() } else { super::sasl::encode(response) };
                    w.text(" ").text(text);
                }
            }
            CommandBody::Login { username, password } => {
                w.text(" ");
                w.astring(username);
                w.text(" ");
                w.astring(password);
            }
            CommandBody::Enable(capabilities) => {
                for capability in capabilities {
                    w.text(" ").text(capability);
                }
            }
            CommandBody::Status { mailbox, attributes } => {
                w.text(" ");
                w.mailbox(mailbox);
                w.text(" (");
                w.list(attributes, |w, a| {
                    w.text(a);
                });
                w.text(")");
            }
            CommandBody::Select(mailbox) | CommandBody::Examine(mailbox) => {
                w.text(" ");
                w.mailbox(mailbox);
            }
            CommandBody::List { reference, pattern } => {
                w.text(" ");
                w.mailbox(reference);
                w.text(" ");
                if !pattern.is_empty() && pattern.bytes().all(is_list_char) {
                    w.text(pattern);
                } else {
                    w.string(pattern.as_bytes());
                }
            }
            CommandBody::UidExpunge(set) => {
                w.text(" ").text(set);
            }
            CommandBody::Search { returns, charset, criteria, .. } => {
                if let Some(returns) = returns {
                    w.text(" RETURN (");
                    w.list(returns, |w, r| {
                        w.text(r);
                    });
                    w.text(")");
                }
                if let Some(charset) = charset {
                    w.text(" CHARSET ");
                    w.astring(charset);
                }
                for key in criteria {
                    w.text(" ");
                    write_search_key(&mut w, key);
                }
            }
            CommandBody::Fetch { set, items, .. } => {
                w.text(" ").text(set).text(" ");
                match items {
                    FetchItems::All => w.text("ALL"),
                    FetchItems::Fast => w.text("FAST"),
                    FetchItems::Full => w.text("FULL"),
                    FetchItems::Attributes { attributes, parenthesized } => {
                        let attributes: Vec<String> = attributes.iter().map(ToString::to_string).collect();
                        let joined = attributes.join(" ");
                        if *parenthesized || attributes.len() != 1 {
                            w.text(format_args!("({joined})"))
                        } else {
                            w.text(joined)
                        }
                    }
                };
            }
            CommandBody::Store { set, kind, silent, flags, .. } => {
                let sign = match kind {
                    StoreKind::Replace => "",
                    StoreKind::Add => "+",
                    StoreKind::Remove => "-",
                };
                let silent = if *silent { ".SILENT" } else { "" };
                w.text(format_args!(" {set} {sign}FLAGS{silent} "));
                w.flag_list(flags);
            }
        }
        w.text("\r\n");
        w.finish()
    }

    /// The whole command as one run of octets (`{n+}` literals: LITERAL+, RFC 7888).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode(LiteralMode::NonSync).concat()
    }
}

fn write_code(w: &mut Writer, code: &Code) {
    match code {
        Code::Alert => w.text("ALERT"),
        Code::AuthenticationFailed => w.text("AUTHENTICATIONFAILED"),
        Code::BadCharset(charsets) if charsets.is_empty() => w.text("BADCHARSET"),
        Code::BadCharset(charsets) => {
            w.text("BADCHARSET (");
            w.list(charsets, |w, c| w.astring(c));
            w.text(")")
        }
        Code::Capability(capabilities) => {
            w.text("CAPABILITY");
            for c in capabilities {
                w.text(" ").text(c);
            }
            w
        }
        Code::Cannot => w.text("CANNOT"),
        Code::ClientBug => w.text("CLIENTBUG"),
        Code::Closed => w.text("CLOSED"),
        Code::Limit => w.text("LIMIT"),
        Code::NonExistent => w.text("NONEXISTENT"),
        Code::Parse => w.text("PARSE"),
        Code::PermanentFlags(flags) => {
            w.text("PERMANENTFLAGS (");
            w.list(flags, |w, f| {
                match f {
                    FlagPerm::Flag(flag) => w.text(flag),
                    FlagPerm::Asterisk => w.text("\\*"),
                };
            });
            w.text(")")
        }
        Code::PrivacyRequired => w.text("PRIVACYREQUIRED"),
        Code::ReadOnly => w.text("READ-ONLY"),
        Code::ReadWrite => w.text("READ-WRITE"),
        Code::TryCreate => w.text("TRYCREATE"),
        Code::UidNext(n) => w.text(format_args!("UIDNEXT {n}")),
        Code::UidValidity(n) => w.text(format_args!("UIDVALIDITY {n}")),
        Code::Unavailable => w.text("UNAVAILABLE"),
        Code::Other(atom, None) => w.text(atom),
        Code::Other(atom, Some(text)) => w.text(format_args!("{atom} {text}")),
    };
}

fn write_address_list(w: &mut Writer, addresses: &[Address]) {
    if addresses.is_empty() {
        w.text("NIL");
        return;
    }
    // `"(" 1*address ")"`: no space between addresses (§9).
    w.text("(");
    for a in addresses {
        w.text("(");
        w.nstring(a.name.as_deref().map(str::as_bytes));
        w.text(" ");
        w.nstring(a.adl.as_deref().map(str::as_bytes));
        w.text(" ");
        w.nstring(a.mailbox.as_deref().map(str::as_bytes));
        w.text(" ");
        w.nstring(a.host.as_deref().map(str::as_bytes));
        w.text(")");
    }
    w.text(")");
}

fn write_envelope(w: &mut Writer, e: &Envelope) {
    let s = |v: &Option<String>| v.as_deref().map(str::as_bytes).map(<[u8]>::to_vec);
    w.text("(");
    w.nstring(s(&e.date).as_deref());
    w.text(" ");
    w.nstring(s(&e.subject).as_deref());
    for list in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
        w.text(" ");
        write_address_list(w, list);
    }
    w.text(" ");
    w.nstring(s(&e.in_reply_to).as_deref());
    w.text(" ");
    w.nstring(s(&e.message_id).as_deref());
    w.text(")");
}

fn write_body(w: &mut Writer, body: &BodyStructure) {
    match body {
        BodyStructure::Multipart { parts, subtype } => {
            w.text("(");
            for part in parts {
                write_body(w, part);
            }
            w.text(" ");
            w.string(subtype.as_bytes());
            w.text(")");
        }
        BodyStructure::Single {
            media_type,
            subtype,
            params,
            id,
            description,
            encoding,
            octets,
            message,
            lines,
        } => {
            w.text("(");
            w.string(media_type.as_bytes());
            w.text(" ");
            w.string(subtype.as_bytes());
            w.text(" ");
            if params.is_empty() {
                w.text("NIL");
            } else {
                w.text("(");
                w.list(params, |w, (k, v)| {
                    w.string(k.as_bytes());
                    w.text(" ");
                    w.string(v.as_bytes());
                });
                w.text(")");
            }
            w.text(" ");
            w.nstring(id.as_deref().map(str::as_bytes));
            w.text(" ");
            w.nstring(description.as_deref().map(str::as_bytes));
            w.text(" ");
            w.string(encoding.as_bytes());
            w.text(format_args!(" {octets}"));
            if let Some(inner) = message {
                w.text(" ");
                write_envelope(w, &inner.0);
                w.text(" ");
                write_body(w, &inner.1);
            }
            if let Some(lines) = lines {
                w.text(format_args!(" {lines}"));
            }
            w.text(")");
        }
    }
}

fn write_message_data(w: &mut Writer, item: &MessageData) {
    match item {
        MessageData::Flags(flags) => {
            w.text("FLAGS ");
            w.flag_list(flags);
        }
        MessageData::Uid(uid) => {
            w.text(format_args!("UID {uid}"));
        }
        MessageData::Rfc822Size(size) => {
            w.text(format_args!("RFC822.SIZE {size}"));
        }
        MessageData::InternalDate(date) => {
            w.text(format_args!("INTERNALDATE \"{date}\""));
        }
        MessageData::Envelope(envelope) => {
            w.text("ENVELOPE ");
            write_envelope(w, envelope);
        }
        MessageData::BodyStructure { extensible, body } => {
            w.text(if *extensible { "BODYSTRUCTURE " } else { "BODY " });
            write_body(w, body);
        }
        MessageData::BodySection { section, origin, data } => {
            w.text(format_args!("BODY[{section}]"));
            if let Some(origin) = origin {
                w.text(format_args!("<{origin}>"));
            }
            w.text(" ");
            // BODY[] data is always a literal: a message holds CRLFs (§4.3).
            match data {
                Some(octets) => w.literal(octets),
                None => {
                    w.text("NIL");
                }
            }
        }
    }
}

impl Response {
    /// The response on the wire, CRLF included (`{n}` literals for message data).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(LiteralMode::Server);
        match self {
            Response::Status { tag, status, code, text } => {
                match tag {
                    Some(tag) => w.text(tag),
                    None => w.text("*"),
                };
                w.text(" ").text(status.as_str());
                if let Some(code) = code {
                    w.text(" [");
                    write_code(&mut w, code);
                    w.text("]");
                }
                if !text.is_empty() || code.is_none() {
                    w.text(" ").text(text);
                }
            }
            Response::Continue(text) => {
                w.text("+ ").text(text);
            }
            Response::Data(data) => {
                w.text("* ");
                write_data(&mut w, data);
            }
        }
        w.text("\r\n");
        w.finish().concat()
    }
}

fn write_data(w: &mut Writer, data: &Data) {
    match data {
        Data::Capability(capabilities) | Data::Enabled(capabilities) => {
            w.text(if matches!(data, Data::Capability(_)) { "CAPABILITY" } else { "ENABLED" });
            for c in capabilities {
                w.text(" ").text(c);
            }
        }
        Data::List { attributes, delimiter, mailbox } => {
            w.text("LIST (");
            w.list(attributes, |w, a| {
                w.text(format_args!("\\{a}"));
            });
            w.text(") ");
            match delimiter {
                Some(c @ ('"' | '\\')) => w.text(format_args!("\"\\{c}\"")),
                Some(c) => w.text(format_args!("\"{c}\"")),
                None => w.text("NIL"),
            };
            w.text(" ");
            w.mailbox(mailbox);
        }
        Data::Flags(flags) => {
            w.text("FLAGS ");
            w.flag_list(flags);
        }
        Data::Exists(n) => {
            w.text(format_args!("{n} EXISTS"));
        }
        Data::Recent(n) => {
            w.text(format_args!("{n} RECENT"));
        }
        Data::Expunge(n) => {
            w.text(format_args!("{n} EXPUNGE"));
        }
        Data::Status { mailbox, items } => {
            w.text("STATUS ");
            w.mailbox(mailbox);
            w.text(" (");
            w.list(items, |w, (a, n)| {
                w.text(format_args!("{a} {n}"));
            });
            w.text(")");
        }
        Data::Search(numbers) => {
            w.text("SEARCH");
            for n in numbers {
                w.text(format_args!(" {n}"));
            }
        }
        Data::ESearch { tag, uid, data } => {
            w.text("ESEARCH");
            if let Some(tag) = tag {
                w.text(" (TAG ");
                w.string(tag.as_str().as_bytes());
                w.text(")");
            }
            if *uid {
                w.text(" UID");
            }
            for item in data {
                match item {
                    SearchReturnData::Min(n) => w.text(format_args!(" MIN {n}")),
                    SearchReturnData::Max(n) => w.text(format_args!(" MAX {n}")),
                    SearchReturnData::All(set) => w.text(format_args!(" ALL {set}")),
                    SearchReturnData::Count(n) => w.text(format_args!(" COUNT {n}")),
                };
            }
        }
        Data::Fetch { seq, items } => {
            w.text(format_args!("{seq} FETCH ("));
            w.list(items, write_message_data);
            w.text(")");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Response parsers (§9), for the client
// ---------------------------------------------------------------------------------------

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn nstring_text(input: &[u8]) -> Res<'_, Option<String>> {
    map(nstring, |s| s.map(lossy)).parse(input)
}

fn string_text(input: &[u8]) -> Res<'_, String> {
    map(string, lossy).parse(input)
}

/// `text = 1*(TEXT-CHAR / UTF8-2 / UTF8-3 / UTF8-4)` (RFC 9051 §9), possibly empty here
/// (`resp-text` allows no text since RFC 9051).
fn text(input: &[u8]) -> Res<'_, String> {
    map(take_while(is_text_char), |t: &[u8]| String::from_utf8_lossy(t).into_owned()).parse(input)
}

/// `resp-text-code` (RFC 9051 §9).
pub fn resp_text_code(input: &[u8]) -> Res<'_, Code> {
    let (rest, name) = atom(input)?;
    let upper = name.as_str().to_ascii_uppercase();
    let fixed = match upper.as_str() {
        "ALERT" => Some(Code::Alert),
        "AUTHENTICATIONFAILED" => Some(Code::AuthenticationFailed),
        "CANNOT" => Some(Code::Cannot),
        "CLIENTBUG" => Some(Code::ClientBug),
        "CLOSED" => Some(Code::Closed),
        "LIMIT" => Some(Code::Limit),
        "NONEXISTENT" => Some(Code::NonExistent),
        "PARSE" => Some(Code::Parse),
        "PRIVACYREQUIRED" => Some(Code::PrivacyRequired),
        "READ-ONLY" => Some(Code::ReadOnly),
        "READ-WRITE" => Some(Code::ReadWrite),
        "TRYCREATE" => Some(Code::TryCreate),
        "UNAVAILABLE" => Some(Code::Unavailable),
        _ => None,
    };
    if let Some(code) = fixed {
        return Ok((rest, code));
    }
    match upper.as_str() {
        "UIDNEXT" => map(preceded(sp, nz_number), Code::UidNext).parse(rest),
        "UIDVALIDITY" => map(preceded(sp, nz_number), Code::UidValidity).parse(rest),
        "CAPABILITY" => map(preceded(sp, spaced(capability)), Code::Capability).parse(rest),
        "PERMANENTFLAGS" => {
            let perms = |input| {
                let (rest, first) = opt(flag_perm).parse(input)?;
                let Some(first) = first else { return Ok((rest, Vec::new())) };
                let (rest, more) = nom::multi::many0(preceded(sp, flag_perm)).parse(rest)?;
                Ok((rest, [vec![first], more].concat()))
            };
            map(preceded(sp, delimited(token("("), perms, token(")"))), Code::PermanentFlags).parse(rest)
        }
        "BADCHARSET" => map(opt(preceded(sp, delimited(token("("), spaced(astring), token(")")))), |c| {
            Code::BadCharset(c.unwrap_or_default())
        })
        .parse(rest),
        _ => {
            let (rest, arg) = opt(preceded(sp, take_while1(|b| is_text_char(b) && b != b']'))).parse(rest)?;
            Ok((rest, Code::Other(name, arg.map(|a| String::from_utf8_lossy(a).into_owned()))))
        }
    }
}

/// `resp-text = ["[" resp-text-code "]" SP] [text]` (RFC 9051 §9); the SP after `]` is
/// optional here, as in the §6.3.13 example `* OK [UIDVALIDITY 1]`.
pub fn resp_text(input: &[u8]) -> Res<'_, (Option<Code>, String)> {
    let (rest, code) = opt(delimited(token("["), resp_text_code, token("]"))).parse(input)?;
    let (rest, _) = if code.is_some() { opt(sp).parse(rest)? } else { (rest, None) };
    let (rest, text) = text(rest)?;
    Ok((rest, (code, text)))
}

/// `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"` (RFC 9051 §9).
pub fn address(input: &[u8]) -> Res<'_, Address> {
    let (rest, (_, name, _, adl, _, mailbox, _, host, _)) =
        (token("("), nstring_text, sp, nstring_text, sp, nstring_text, sp, nstring_text, token(")"))
            .parse(input)?;
    Ok((rest, Address { name, adl, mailbox, host }))
}

/// `"(" 1*address ")" / nil` (RFC 9051 §9 `env-from` and the others); a space between
/// addresses is tolerated, as some servers write one.
fn address_list(input: &[u8]) -> Res<'_, Vec<Address>> {
    alt((
        value(Vec::new(), keyword("NIL")),
        delimited(token("("), nom::multi::many1(preceded(opt(sp), address)), token(")")),
    ))
    .parse(input)
}

/// `envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP
/// env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"` (RFC 9051 §9).
pub fn envelope(input: &[u8]) -> Res<'_, Envelope> {
    let (rest, (_, date, _, subject)) = (token("("), nstring_text, sp, nstring_text).parse(input)?;
    let (rest, (_, from, _, sender, _, reply_to)) =
        (sp, address_list, sp, address_list, sp, address_list).parse(rest)?;
    let (rest, (_, to, _, cc, _, bcc)) =
        (sp, address_list, sp, address_list, sp, address_list).parse(rest)?;
    let (rest, (_, in_reply_to, _, message_id, _)) =
        (sp, nstring_text, sp, nstring_text, token(")")).parse(rest)?;
    Ok((rest, Envelope { date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id }))
}

/// `body-fld-param = "(" string SP string *(SP string SP string) ")" / nil` (RFC 9051 §9).
fn body_fld_param(input: &[u8]) -> Res<'_, Vec<(String, String)>> {
    let pair = |input| {
        let (rest, (k, _, v)) = (string_text, sp, string_text).parse(input)?;
        Ok((rest, (k, v)))
    };
    alt((value(Vec::new(), keyword("NIL")), delimited(token("("), spaced(pair), token(")")))).parse(input)
}

/// Body structures nest no deeper than this (hostile input cannot recurse forever).
const MAX_BODY_DEPTH: usize = 8;

/// `body = "(" (body-type-1part / body-type-mpart) ")"` (RFC 9051 §9), without extension
/// data.
pub fn body(input: &[u8]) -> Res<'_, BodyStructure> {
    body_depth(input, 0)
}

fn body_depth(input: &[u8], depth: usize) -> Res<'_, BodyStructure> {
    if depth > MAX_BODY_DEPTH {
        return Err(error(input, nom::error::ErrorKind::TooLarge));
    }
    let (rest, _) = token("(").parse(input)?;
    if rest.first() == Some(&b'(') {
        let (rest, (parts, _, subtype, _)) =
            (nom::multi::many1(|i| body_depth(i, depth + 1)), sp, string_text, token(")")).parse(rest)?;
        return Ok((rest, BodyStructure::Multipart { parts, subtype }));
    }
    let (rest, (media_type, _, subtype, _, params, _, id, _, description, _, encoding, _, octets)) = (
        string_text,
        sp,
        string_text,
        sp,
        body_fld_param,
        sp,
        nstring_text,
        sp,
        nstring_text,
        sp,
        string_text,
        sp,
        number,
    )
        .parse(rest)?;
    let is_message = media_type.eq_ignore_ascii_case("MESSAGE") && subtype.eq_ignore_ascii_case("RFC822");
    let (rest, message) = if is_message {
        let (rest, (_, envelope, _, inner)) = (sp, envelope, sp, |i| body_depth(i, depth + 1)).parse(rest)?;
        (rest, Some(Box::new((envelope, inner))))
    } else {
        (rest, None)
    };
    let (rest, lines) = if is_message || media_type.eq_ignore_ascii_case("TEXT") {
        map(preceded(sp, number64), Some).parse(rest)?
    } else {
        (rest, None)
    };
    let (rest, _) = token(")").parse(rest)?;
    Ok((
        rest,
        BodyStructure::Single {
            media_type,
            subtype,
            params,
            id,
            description,
            encoding,
            octets,
            message,
            lines,
        },
    ))
}

/// One `msg-att-dynamic / msg-att-static` item (RFC 9051 §9).
fn msg_att_item(input: &[u8]) -> Res<'_, MessageData> {
    let body_section = |input| {
        let (rest, (_, section, origin, _, data)) =
            (keyword("BODY"), section, opt(delimited(token("<"), number, token(">"))), sp, nstring)
                .parse(input)?;
        Ok((rest, MessageData::BodySection { section, origin, data }))
    };
    let date = |input| {
        let (rest, text) = string_text(input)?;
        DateTime::try_from(text.as_str())
            .map(|d| (rest, d))
            .map_err(|_| error(input, nom::error::ErrorKind::Verify))
    };
    alt((
        map(preceded((keyword("FLAGS"), sp), flag_list), MessageData::Flags),
        map(preceded((keyword("UID"), sp), nz_number), MessageData::Uid),
        map(preceded((keyword("RFC822.SIZE"), sp), number64), MessageData::Rfc822Size),
        map(preceded((keyword("INTERNALDATE"), sp), date), MessageData::InternalDate),
        map(preceded((keyword("ENVELOPE"), sp), envelope), |e| MessageData::Envelope(Box::new(e))),
        map(preceded((keyword("BODYSTRUCTURE"), sp), body), |body| MessageData::BodyStructure {
            extensible: true,
            body,
        }),
        body_section,
        map(preceded((keyword("BODY"), sp), body), |body| MessageData::BodyStructure {
            extensible: false,
            body,
        }),
    ))
    .parse(input)
}

/// `msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic /
/// msg-att-static)) ")"` (RFC 9051 §9).
pub fn msg_att(input: &[u8]) -> Res<'_, Vec<MessageData>> {
    delimited(token("("), spaced(msg_att_item), token(")")).parse(input)
}

/// `mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP
/// mailbox` (RFC 9051 §9), without extended items.
fn mailbox_list(input: &[u8]) -> Res<'_, Data> {
    let (rest, (_, attributes, _, _)) =
        (token("("), opt(spaced(|i| preceded(token("\\"), atom).parse(i))), token(")"), sp).parse(input)?;
    let (rest, delimiter) =
        alt((value(None, keyword("NIL")), map(quoted, |q| String::from_utf8_lossy(&q).chars().next())))
            .parse(rest)?;
    let (rest, (_, mailbox)) = (sp, mailbox).parse(rest)?;
    Ok((rest, Data::List { attributes: attributes.unwrap_or_default(), delimiter, mailbox }))
}

/// `esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)`
/// (RFC 9051 §9), after the word ESEARCH.
fn esearch_response(input: &[u8]) -> Res<'_, Data> {
    let correlator = |input| {
        let (rest, (_, _, tag_text, _)) = (sp, keyword("(TAG "), astring, token(")")).parse(input)?;
        Tag::try_from(tag_text.as_str())
            .map(|t| (rest, t))
            .map_err(|_| error(input, nom::error::ErrorKind::Verify))
    };
    let (rest, (tag, uid)) = (opt(correlator), opt(preceded(sp, keyword("UID")))).parse(input)?;
    let item = alt((
        map(preceded(keyword("MIN "), nz_number), SearchReturnData::Min),
        map(preceded(keyword("MAX "), nz_number), SearchReturnData::Max),
        map(preceded(keyword("ALL "), sequence_set), SearchReturnData::All),
        map(preceded(keyword("COUNT "), number), SearchReturnData::Count),
    ));
    let (rest, data) = nom::multi::many0(preceded(sp, item)).parse(rest)?;
    Ok((rest, Data::ESearch { tag, uid: uid.is_some(), data }))
}

fn status_word(word: &str) -> Option<Status> {
    Some(match word {
        "OK" => Status::Ok,
        "NO" => Status::No,
        "BAD" => Status::Bad,
        "PREAUTH" => Status::PreAuth,
        "BYE" => Status::Bye,
        _ => return None,
    })
}

/// The status part after `tag SP` or `* SP`: `status SP resp-text CRLF`; the SP before an
/// empty text is optional here.
fn status_rest(status: Status, tag: Option<Tag>) -> impl Fn(&[u8]) -> Res<'_, Response> {
    move |input| {
        let (rest, found) = opt(preceded(sp, resp_text)).parse(input)?;
        let (rest, _) = crlf(rest)?;
        let (code, text) = found.unwrap_or((None, String::new()));
        Ok((rest, Response::Status { tag: tag.clone(), status, code, text }))
    }
}

/// `response-data / response-tagged / response-fatal / continue-req` (RFC 9051 §9): one
/// whole response line, literals included.
pub fn response(input: &[u8]) -> Res<'_, Response> {
    if let [b'+', rest @ ..] = input {
        let (rest, (_, text, _)) = (opt(sp), text, crlf).parse(rest)?;
        return Ok((rest, Response::Continue(text)));
    }
    if input.is_empty() {
        return Err(nom::Err::Incomplete(nom::Needed::new(1)));
    }
    let (rest, tag_or_star) =
        alt((value(None, token("* ")), map((tag, sp), |(t, _)| Some(t)))).parse(input)?;
    if let Some(tag) = tag_or_star {
        let (rest, word) = take_while1(|b: u8| b.is_ascii_alphabetic()).parse(rest)?;
        let word = String::from_utf8_lossy(word).to_ascii_uppercase();
        return match status_word(&word) {
            Some(status @ (Status::Ok | Status::No | Status::Bad)) => status_rest(status, Some(tag))(rest),
            _ => Err(error(input, nom::error::ErrorKind::Tag)),
        };
    }
    if rest.first().is_some_and(u8::is_ascii_digit) {
        let (rest, (n, _, word)) = (number, sp, take_while1(|b: u8| b.is_ascii_alphabetic())).parse(rest)?;
        let word = String::from_utf8_lossy(word).to_ascii_uppercase();
        let (rest, data) = match word.as_str() {
            "EXISTS" => (rest, Data::Exists(n)),
            "RECENT" => (rest, Data::Recent(n)),
            "EXPUNGE" => (rest, Data::Expunge(n)),
            "FETCH" => map(preceded(sp, msg_att), |items| Data::Fetch { seq: n, items }).parse(rest)?,
            _ => return Err(error(input, nom::error::ErrorKind::Tag)),
        };
        let (rest, _) = crlf(rest)?;
        return Ok((rest, Response::Data(data)));
    }
    let (after_word, word) = take_while1(|b: u8| b.is_ascii_alphabetic()).parse(rest)?;
    let word = String::from_utf8_lossy(word).to_ascii_uppercase();
    if let Some(status) = status_word(&word) {
        return status_rest(status, None)(after_word);
    }
    let (rest, data) = match word.as_str() {
        "CAPABILITY" => map(preceded(sp, spaced(capability)), Data::Capability).parse(after_word)?,
        "ENABLED" => map(nom::multi::many0(preceded(sp, capability)), Data::Enabled).parse(after_word)?,
        "FLAGS" => map(preceded(sp, flag_list), Data::Flags).parse(after_word)?,
        "LIST" => preceded(sp, mailbox_list).parse(after_word)?,
        "SEARCH" => map(nom::multi::many0(preceded(sp, nz_number)), Data::Search).parse(after_word)?,
        "STATUS" => {
            let pair = |input| {
                let (rest, (a, _, n)) = (status_att, sp, number64).parse(input)?;
                Ok((rest, (a, n)))
            };
            let (rest, (_, mailbox, _, items)) =
                (sp, mailbox, sp, delimited(token("("), opt(spaced(pair)), token(")"))).parse(after_word)?;
            (rest, Data::Status { mailbox, items: items.unwrap_or_default() })
        }
        "ESEARCH" => esearch_response(after_word)?,
        _ => return Err(error(input, nom::error::ErrorKind::Tag)),
    };
    let (rest, _) = crlf(rest)?;
    Ok((rest, Response::Data(data)))
}

// ---------------------------------------------------------------------------------------
// What a server computes from a message (§6.4.5, §7.5.2)
// ---------------------------------------------------------------------------------------

/// Splits an RFC 5322 message into its header, blank line included, and its body. A
/// message without a blank line is all header (§6.4.5.1: "except in the case of a message
/// that has no body and no blank line").
pub fn split_message(message: &[u8]) -> (&[u8], &[u8]) {
    if message.starts_with(b"\r\n") {
        return message.split_at(2);
    }
    match message.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => message.split_at(at + 4),
        None => (message, &[]),
    }
}

/// The header's fields as (name, raw value with its folding) pairs, in order.
fn header_fields(header: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut fields: Vec<(&[u8], &[u8])> = Vec::new();
    let mut start = 0;
    let mut lines = Vec::new();
    while start < header.len() {
        let end = find_crlf(header, start).map_or(header.len(), |cr| cr + 2);
        lines.push((start, end));
        start = end;
    }
    let mut current: Option<(usize, usize, usize)> = None; // name start, colon, end
    for (line_start, line_end) in lines {
        let line = header.get(line_start..line_end).unwrap_or_default();
        if matches!(line.first(), Some(b' ' | b'\t')) {
            if let Some((_, _, end)) = current.as_mut() {
                *end = line_end;
            }
            continue;
        }
        if let Some((name, colon, end)) = current.take() {
            fields.push((
                header.get(name..colon).unwrap_or_default(),
                header.get(colon + 1..end).unwrap_or_default(),
            ));
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            current = Some((line_start, line_start + colon, line_end));
        }
    }
    if let Some((name, colon, end)) = current {
        fields.push((
            header.get(name..colon).unwrap_or_default(),
            header.get(colon + 1..end).unwrap_or_default(),
        ));
    }
    fields
}

/// The first field named `name` (case-insensitive), unfolded (CRLFs removed) and trimmed;
/// `None` if absent.
pub fn header_field(header: &[u8], name: &str) -> Option<String> {
    let (_, raw) = header_fields(header)
        .into_iter()
        .find(|(n, _)| n.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))?;
    let unfolded: Vec<u8> = raw.iter().copied().filter(|&b| b != b'\r' && b != b'\n').collect();
    Some(lossy(unfolded.trim_ascii().to_vec()))
}

/// `HEADER.FIELDS (names)` or `HEADER.FIELDS.NOT (names)` (§6.4.5.1): the matching
/// fields as written, and the blank line.
pub fn header_subset(header: &[u8], names: &[String], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, raw) in header_fields(header) {
        let listed = names.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name.trim_ascii()));
        if listed != not {
            out.extend_from_slice(name);
            out.push(b':');
            out.extend_from_slice(raw);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// RFC 5322 address lists (§3.4) read loosely into IMAP address structures (RFC 9051
/// §7.5.2): display names and local parts unquoted, comments dropped, groups marked.
pub fn address_structures(value: &str) -> Vec<Address> {
    let mut out = Vec::new();
    let mut item = String::new();
    let (mut in_quote, mut in_angle, mut comment, mut escaped) = (false, false, 0usize, false);
    let mut in_group = false;
    for c in value.chars() {
        if escaped {
            item.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quote || comment > 0 => {
                item.push(c);
                escaped = true;
            }
            '"' if comment == 0 => {
                in_quote = !in_quote;
                item.push(c);
            }
            '(' if !in_quote => comment += 1,
            ')' if !in_quote && comment > 0 => comment -= 1,
            _ if comment > 0 => {}
            '<' if !in_quote => {
                in_angle = true;
                item.push(c);
            }
            '>' if !in_quote => {
                in_angle = false;
                item.push(c);
            }
            ':' if !in_quote && !in_angle && !in_group && !item.contains('@') => {
                // `group = display-name ":" [group-list] ";"` (RFC 5322 §3.4).
                out.push(Address { name: None, adl: None, mailbox: Some(unquote(item.trim())), host: None });
                item.clear();
                in_group = true;
            }
            ';' if !in_quote && !in_angle && in_group => {
                out.extend(mailbox_structure(&item));
                item.clear();
                out.push(Address::default());
                in_group = false;
            }
            ',' if !in_quote && !in_angle => {
                out.extend(mailbox_structure(&item));
                item.clear();
            }
            _ => item.push(c),
        }
    }
    out.extend(mailbox_structure(&item));
    if in_group {
        out.push(Address::default());
    }
    out
}

/// Removes RFC 5322 quoting (`"..."` and quoted-pairs) and folds runs of whitespace.
fn unquote(text: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => {
                out.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            '"' => {}
            _ => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One `mailbox = name-addr / addr-spec` (RFC 5322 §3.4) as an address structure; `None`
/// for an empty item.
fn mailbox_structure(item: &str) -> Option<Address> {
    let item = item.trim();
    if item.is_empty() {
        return None;
    }
    let (name, spec) = match (item.find('<'), item.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            let name = unquote(item.get(..open).unwrap_or_default().trim());
            (Some(name).filter(|n| !n.is_empty()), item.get(open + 1..close).unwrap_or_default())
        }
        _ => (None, item),
    };
    let spec: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    // `obs-route = obs-domain-list ":"` before the addr-spec (RFC 5322 §4.4).
    let (adl, spec) = match spec.strip_prefix('@').and(spec.find(':')) {
        Some(colon) => {
            (spec.get(..colon).map(str::to_owned), spec.get(colon + 1..).unwrap_or_default().to_owned())
        }
        None => (None, spec),
    };
    let (mailbox, host) = match spec.rfind('@') {
        Some(at) => {
            (spec.get(..at).unwrap_or_default(), Some(spec.get(at + 1..).unwrap_or_default().to_owned()))
        }
        None => (spec.as_str(), None),
    };
    Some(Address { name, adl, mailbox: Some(unquote(mailbox)), host })
}

/// The ENVELOPE of a message (RFC 9051 §7.5.2): Date, Subject, From, Sender, Reply-To,
/// To, Cc, Bcc, In-Reply-To and Message-ID from its header; Sender and Reply-To default to
/// From; absent string fields are NIL, absent or empty address fields NIL.
pub fn envelope_of(message: &[u8]) -> Envelope {
    let (header, _) = split_message(message);
    let field = |name| header_field(header, name);
    let addresses = |name| field(name).map(|v| address_structures(&v)).unwrap_or_default();
    let from = addresses("From");
    let or_from = |list: Vec<Address>| if list.is_empty() { from.clone() } else { list };
    Envelope {
        date: field("Date"),
        subject: field("Subject"),
        sender: or_from(addresses("Sender")),
        reply_to: or_from(addresses("Reply-To")),
        to: addresses("To"),
        cc: addresses("Cc"),
        bcc: addresses("Bcc"),
        in_reply_to: field("In-Reply-To"),
        message_id: field("Message-ID"),
        from,
    }
}

/// `Content-Type` split into type, subtype and parameters (RFC 2045 §5.1), upper-casing
/// type and subtype as the RFC 9051 examples show them; text/plain by default.
fn content_type(header: &[u8]) -> (String, String, Vec<(String, String)>) {
    let Some(value) = header_field(header, "Content-Type") else {
        return ("TEXT".into(), "PLAIN".into(), vec![("CHARSET".into(), "US-ASCII".into())]);
    };
    let mut parts = split_unquoted(&value, ';').into_iter();
    let kind = parts.next().unwrap_or_default();
    let (media_type, subtype) = kind.split_once('/').unwrap_or(("TEXT", "PLAIN"));
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_ascii_uppercase(), unquote(v.trim())))
        })
        .collect();
    (media_type.trim().to_ascii_uppercase(), subtype.trim().to_ascii_uppercase(), params)
}

fn split_unquoted(value: &str, separator: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut in_quote = false;
    for c in value.chars() {
        if c == '"' {
            in_quote = !in_quote;
        }
        if c == separator && !in_quote {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

/// The parts of a multipart body between `--boundary` lines (RFC 2046 §5.1.1).
fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut starts = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let line_end = find_crlf(body, at).map_or(body.len(), |cr| cr + 2);
        let line = body.get(at..line_end).unwrap_or_default().trim_ascii_end();
        if line.starts_with(delimiter.as_bytes()) {
            let closing = line.get(delimiter.len()..).is_some_and(|r| r.starts_with(b"--"));
            starts.push((at, line_end, closing));
            if closing {
                break;
            }
        }
        at = line_end;
    }
    let mut parts = Vec::new();
    for pair in starts.windows(2) {
        if let [(_, content_start, false), (next, _, _)] = pair {
            // The CRLF before a delimiter belongs to the delimiter.
            let end = next.saturating_sub(2).max(*content_start);
            parts.push(body.get(*content_start..end).unwrap_or_default());
        }
    }
    parts
}

fn count_lines(octets: &[u8]) -> u64 {
    octets.iter().filter(|&&b| b == b'\n').count() as u64
}

/// The BODYSTRUCTURE of a message or body part (RFC 9051 §7.5.2) without extension data:
/// MIME types and parameters from Content-Type, multipart parts split on their boundary,
/// MESSAGE/RFC822 parts with their envelope. Nesting past eight levels is a leaf.
pub fn body_structure_of(message: &[u8]) -> BodyStructure {
    body_structure_depth(message, 0)
}

fn body_structure_depth(entity: &[u8], depth: usize) -> BodyStructure {
    let (header, body) = split_message(entity);
    let (media_type, subtype, params) = content_type(header);
    let boundary = params.iter().find(|(k, _)| k == "BOUNDARY").map(|(_, v)| v.clone());
    if media_type == "MULTIPART"
        && depth < MAX_BODY_DEPTH
        && let Some(boundary) = boundary
    {
        {
            let parts: Vec<BodyStructure> = multipart_parts(body, &boundary)
                .into_iter()
                .map(|p| body_structure_depth(p, depth + 1))
                .collect();
            if !parts.is_empty() {
                return BodyStructure::Multipart { parts, subtype };
            }
        }
    }
    let is_message = media_type == "MESSAGE" && subtype == "RFC822" && depth < MAX_BODY_DEPTH;
    let message = is_message.then(|| Box::new((envelope_of(body), body_structure_depth(body, depth + 1))));
    let lines = (media_type == "TEXT" || message.is_some()).then(|| count_lines(body));
    BodyStructure::Single {
        media_type,
        subtype,
        params,
        id: header_field(header, "Content-ID"),
        description: header_field(header, "Content-Description"),
        encoding: header_field(header, "Content-Transfer-Encoding")
            .map_or_else(|| "7BIT".to_owned(), |e| e.to_ascii_uppercase()),
        octets: u32::try_from(body.len()).unwrap_or(u32::MAX),
        message,
        lines,
    }
}

/// The octets of a section of `message` (§6.4.5.1); `None` for a part that does not exist.
pub fn section_of(message: &[u8], section: &Section) -> Option<Vec<u8>> {
    let (header, body) = split_message(message);
    match section {
        Section::Full => Some(message.to_vec()),
        Section::Header => Some(header.to_vec()),
        Section::Text => Some(body.to_vec()),
        Section::HeaderFields { not, fields } => Some(header_subset(header, fields, *not)),
        Section::Part(path) => part_of(message, path, 0).map(<[u8]>::to_vec),
    }
}

/// `section-part` (§6.4.5.1): part 1 of a non-multipart message is its body.
fn part_of<'a>(entity: &'a [u8], path: &[u32], depth: usize) -> Option<&'a [u8]> {
    let (&first, rest) = path.split_first()?;
    if depth > MAX_BODY_DEPTH {
        return None;
    }
    let (header, body) = split_message(entity);
    let (media_type, _, params) = content_type(header);
    let boundary = params.iter().find(|(k, _)| k == "BOUNDARY").map(|(_, v)| v.clone());
    let part = match (media_type.as_str(), boundary) {
        ("MULTIPART", Some(boundary)) => {
            let parts = multipart_parts(body, &boundary);
            let index = usize::try_from(first).ok()?.checked_sub(1)?;
            let part = *parts.get(index)?;
            // A part's own octets are its body (its MIME header is `n.MIME`).
            if rest.is_empty() {
                return Some(split_message(part).1);
            }
            part
        }
        _ if first == 1 && rest.is_empty() => return Some(body),
        _ if first == 1 => body,
        _ => return None,
    };
    part_of(part, rest, depth + 1)
}
