//! A verification check as the player shows it: which method ran (SPF, RFC 7208; DKIM,
//! RFC 6376; DMARC, RFC 7489), its verdict, what it checked, and its steps as rows — term by
//! term, tag by tag — each with the section of the method's RFC that asks for it.
//!
//! The evaluators write the rows from their own typed data as they go (`spf::SpfStep::row`,
//! `DkimVerdict::trace`, `DmarcOutcome::trace`); the authenticating MX puts one [`Check`] on
//! each verdict step of the timeline ([`Step::check`](crate::timeline::Step::check)).

use std::fmt;

use super::dkim::DkimResult;
use super::dmarc::DmarcResult;
use super::spf::SpfResult;
use crate::rfc::{RfcLink, rfc_links};

/// The longest value a row keeps, in characters: a canonical body may be a whole message.
/// Anything longer is cut, and says so.
pub const MAX_VALUE: usize = 8 * 1024;

/// Which verification ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Sender Policy Framework: may this client send for the envelope sender's domain?
    Spf,
    /// DomainKeys Identified Mail: does the signature of `d=` verify?
    Dkim,
    /// DMARC: did SPF or DKIM pass for a domain aligned with From:?
    Dmarc,
}

impl Method {
    /// Every method, in the order the MX runs them.
    pub const ALL: [Method; 3] = [Self::Spf, Self::Dkim, Self::Dmarc];

    /// `SPF`, `DKIM` or `DMARC`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Spf => "SPF",
            Self::Dkim => "DKIM",
            Self::Dmarc => "DMARC",
        }
    }

    /// The number of the RFC that defines the method; a row's section is one of its sections.
    pub fn rfc(self) -> u16 {
        match self {
            Self::Spf => 7208,
            Self::Dkim => 6376,
            Self::Dmarc => 7489,
        }
    }

    /// A link to `section` (`§5.6`) of the method's RFC.
    pub fn section_link(self, section: &str) -> Option<RfcLink> {
        rfc_links(&format!("RFC {} {section}", self.rfc())).into_iter().next()
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A verdict, in the words Authentication-Results uses (RFC 8601 §2.7): every result SPF,
/// DKIM and DMARC can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
}

impl Verdict {
    pub const ALL: [Verdict; 7] =
        [Self::Pass, Self::Fail, Self::SoftFail, Self::Neutral, Self::None, Self::TempError, Self::PermError];

    /// The verdict's word: `pass`, `softfail`, `permerror`…
    pub fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::SoftFail => "softfail",
            Self::Neutral => "neutral",
            Self::None => "none",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }

    /// The CSS class the player colours it with, e.g. `verdict-pass`.
    pub fn class(self) -> &'static str {
        match self {
            Self::Pass => "verdict-pass",
            Self::Fail => "verdict-fail",
            Self::SoftFail => "verdict-softfail",
            Self::Neutral => "verdict-neutral",
            Self::None => "verdict-none",
            Self::TempError => "verdict-temperror",
            Self::PermError => "verdict-permerror",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl From<SpfResult> for Verdict {
    fn from(result: SpfResult) -> Self {
        match result {
            SpfResult::None => Self::None,
            SpfResult::Neutral => Self::Neutral,
            SpfResult::Pass => Self::Pass,
            SpfResult::Fail => Self::Fail,
            SpfResult::SoftFail => Self::SoftFail,
            SpfResult::TempError => Self::TempError,
            SpfResult::PermError => Self::PermError,
        }
    }
}

impl From<DkimResult> for Verdict {
    fn from(result: DkimResult) -> Self {
        match result {
            DkimResult::Pass => Self::Pass,
            DkimResult::Fail => Self::Fail,
            DkimResult::Neutral => Self::Neutral,
            DkimResult::TempError => Self::TempError,
            DkimResult::PermError => Self::PermError,
        }
    }
}

impl From<DmarcResult> for Verdict {
    fn from(result: DmarcResult) -> Self {
        match result {
            DmarcResult::None => Self::None,
            DmarcResult::Pass => Self::Pass,
            DmarcResult::Fail => Self::Fail,
            DmarcResult::TempError => Self::TempError,
            DmarcResult::PermError => Self::PermError,
        }
    }
}

/// How a row's comparison came out, in the RFCs' words: an SPF term matches the client or
/// not (RFC 7208 §4.6.2), a computed body hash matches the claimed one or not (RFC 6376
/// §6.1.3), an identifier is aligned with From: or not (RFC 7489 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mark {
    Match,
    NoMatch,
    Aligned,
    NotAligned,
}

impl Mark {
    pub fn word(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::NoMatch => "no match",
            Self::Aligned => "aligned",
            Self::NotAligned => "not aligned",
        }
    }

    /// The CSS class, e.g. `mark-no-match`.
    pub fn class(self) -> &'static str {
        match self {
            Self::Match => "mark-match",
            Self::NoMatch => "mark-no-match",
            Self::Aligned => "mark-aligned",
            Self::NotAligned => "mark-not-aligned",
        }
    }

    /// `Match` or `NoMatch`.
    pub fn matched(matched: bool) -> Self {
        if matched { Self::Match } else { Self::NoMatch }
    }

    /// `Aligned` or `NotAligned`.
    pub fn aligned(aligned: bool) -> Self {
        if aligned { Self::Aligned } else { Self::NotAligned }
    }
}

/// A named value: one fact of what was checked (`client IP: 192.0.2.1`), or a long value
/// of a row (a record, a hash, a canonical body), kept whole up to [`MAX_VALUE`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

impl Fact {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self { label: label.into(), value: bounded(value.into()) }
    }
}

/// One step of a check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// 0 at the top; one more inside an SPF include or redirect, or under the step it details.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub depth: u8,
    /// The section of the method's RFC, e.g. `§5.6`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// What the row is about: a term (`ip4:192.0.2.0/24`), a tag (`bh=`), a step (`body hash`).
    pub label: String,
    /// What happened, in plain words.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<Mark>,
    /// Long values, whole; two or more are compared side by side (computed and claimed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Fact>,
}

fn is_zero(depth: &u8) -> bool {
    *depth == 0
}

impl Row {
    /// A row at depth 0 with no verdict, mark or values yet.
    pub fn new(section: Option<&str>, label: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            depth: 0,
            section: section.map(str::to_owned),
            label: label.into(),
            text: text.into(),
            verdict: None,
            mark: None,
            values: Vec::new(),
        }
    }

    pub fn depth(self, depth: u8) -> Self {
        Self { depth, ..self }
    }

    pub fn verdict(self, verdict: impl Into<Verdict>) -> Self {
        Self { verdict: Some(verdict.into()), ..self }
    }

    pub fn mark(self, mark: Mark) -> Self {
        Self { mark: Some(mark), ..self }
    }

    /// Adds a long value, kept whole (up to [`MAX_VALUE`]).
    pub fn value(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.values.push(Fact::new(label, value));
        self
    }
}

impl fmt::Display for Row {
    /// One line for a terminal or a test: `§6.1.3 body hash: … [no match] [fail] computed=…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&"  ".repeat(usize::from(self.depth)))?;
        if let Some(section) = &self.section {
            write!(f, "{section} ")?;
        }
        write!(f, "{}: {}", self.label, self.text)?;
        if let Some(mark) = self.mark {
            write!(f, " [{}]", mark.word())?;
        }
        if let Some(verdict) = self.verdict {
            write!(f, " [{verdict}]")?;
        }
        for value in &self.values {
            write!(f, " {}={:?}", value.label, value.value)?;
        }
        Ok(())
    }
}

/// One verification, as the step that reports its verdict carries it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    pub method: Method,
    /// The overall verdict.
    pub verdict: Verdict,
    /// What was checked, in words: for SPF the envelope sender's domain and the client IP,
    /// for DKIM `d=` and `s=`, for DMARC the From: domain and its policy.
    pub subject: Vec<Fact>,
    /// The steps, in order.
    pub rows: Vec<Row>,
}

impl Check {
    /// The rows as lines of text, as a terminal shows them.
    pub fn lines(&self) -> Vec<String> {
        self.rows.iter().map(ToString::to_string).collect()
    }
}

/// `value`, cut to [`MAX_VALUE`] characters with a note of the whole length.
fn bounded(value: String) -> String {
    match value.char_indices().nth(MAX_VALUE) {
        Some((cut, _)) => format!(
            "{}… (cut here: {} characters in all)",
            value.get(..cut).unwrap_or_default(),
            value.chars().count()
        ),
        None => value,
    }
}

/// How the player shows a long value closed: its head and tail around an ellipsis, when it is
/// longer than `max` characters; `None` when it fits whole.
pub fn elide(value: &str, max: usize) -> Option<String> {
    let count = value.chars().count();
    if count <= max {
        return None;
    }
    let tail = (max / 3).max(1);
    let head = max.saturating_sub(tail + 1).max(1);
    let start: String = value.chars().take(head).collect();
    let end: String = value.chars().skip(count.saturating_sub(tail)).collect();
    Some(format!("{start}…{end}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_have_words_and_classes() {
        for verdict in Verdict::ALL {
            assert_eq!(verdict.class(), format!("verdict-{}", verdict.word()));
            let json = serde_json::to_string(&verdict).expect("json");
            assert_eq!(json, format!("{:?}", verdict.word()));
        }
        assert_eq!(Verdict::from(SpfResult::SoftFail), Verdict::SoftFail);
        assert_eq!(Verdict::from(DkimResult::PermError), Verdict::PermError);
        assert_eq!(Verdict::from(DmarcResult::None), Verdict::None);
    }

    #[test]
    fn sections_link_to_the_methods_rfc() {
        let link = Method::Dkim.section_link("§6.1.3").expect("a link");
        assert_eq!(link.url, "https://www.rfc-editor.org/rfc/rfc6376#section-6.1.3");
        assert_eq!(link.label, "RFC 6376 §6.1.3");
        assert_eq!(
            Method::Spf.section_link("§5.6").map(|l| l.url).as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc7208#section-5.6")
        );
        assert_eq!(Method::Dmarc.section_link("nonsense"), None);
    }

    #[test]
    fn rows_print_as_one_line() {
        let row = Row::new(Some("§6.1.3"), "body hash", "computed and claimed differ")
            .depth(1)
            .mark(Mark::NoMatch)
            .verdict(Verdict::Fail)
            .value("computed", "abc=")
            .value("claimed", "xyz=");
        assert_eq!(
            row.to_string(),
            r#"  §6.1.3 body hash: computed and claimed differ [no match] [fail] computed="abc=" claimed="xyz=""#
        );
        let json = serde_json::to_string(&Row::new(None, "a", "b")).expect("json");
        assert_eq!(json, r#"{"label":"a","text":"b"}"#);
    }

    #[test]
    fn long_values_are_kept_whole_up_to_the_limit() {
        let whole = "x".repeat(MAX_VALUE);
        assert_eq!(Fact::new("v", whole.clone()).value, whole);
        let cut = Fact::new("v", "é".repeat(MAX_VALUE + 5)).value;
        assert!(cut.ends_with(&format!("(cut here: {} characters in all)", MAX_VALUE + 5)), "{cut}");
    }

    #[test]
    fn elision_keeps_head_and_tail() {
        assert_eq!(elide("short", 10), None);
        let elided = elide("abcdefghijklmnopqrstuvwxyz", 12).expect("elided");
        assert_eq!(elided, "abcdefg…wxyz");
        assert_eq!(elided.chars().count(), 12);
        assert_eq!(elide("ééééé", 1).as_deref(), Some("é…é"));
        assert_eq!(elide("", 0), None);
    }
}
