//! DMARC (RFC 7489): does the From: domain the reader sees match a domain that SPF or DKIM
//! authenticated, and what does that domain's owner ask a receiver to do when it does not?
//!
//! [`evaluate`] runs §6.6.2's steps over the simulated DNS: extract the author domain
//! ([`author_domain`], §6.6.1), discover the policy record at `_dmarc.<domain>` or at the
//! organizational domain (§6.6.3), check identifier alignment of the SPF and DKIM results it
//! is given (§3.1), and pick the disposition, `pct=` sampling included (§6.6.4). Pure and
//! total: the sampling draw comes from the caller, and no record or message can make it panic.
//!
//! **Simplification:** the organizational domain (§3.2) is the last two labels of a name
//! ([`organizational_domain`]); the lab carries no Public Suffix List, so `mail.example.co.uk`
//! gives `co.uk` where a real receiver would find `example.co.uk`. The lessons use names
//! under `.com`, `.net` and `.org`, where the two agree.

use std::fmt;
use std::str::FromStr;

use super::check::{Mark, Row, Verdict};
use super::dkim::tag_list::{self, TagListError};
use super::dkim::{DkimResult, DkimVerdict};
use super::spf::{SpfOutcome, SpfResult};
use crate::dns::{DnsError, RecordType, Resolver, canonical_name};
use crate::message::{HeaderField, Message};

/// What a domain owner asks receivers to do with mail that fails DMARC (`p=`, `sp=`, §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestedPolicy {
    /// Monitor only: deliver as if there were no DMARC.
    None,
    /// Treat as suspicious: the spam folder.
    Quarantine,
    /// Refuse during the SMTP transaction (§10.3).
    Reject,
}

impl RequestedPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Quarantine => "quarantine",
            Self::Reject => "reject",
        }
    }
}

impl fmt::Display for RequestedPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestedPolicy {
    type Err = String;

    /// `"none" / "quarantine" / "reject"` (§6.4); the ABNF's literals are case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::None, Self::Quarantine, Self::Reject]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("{s:?} is not a policy (none, quarantine or reject)"))
    }
}

/// `adkim=` and `aspf=` (§6.3): how closely an authenticated domain must match From:.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlignmentMode {
    /// `r`: the same organizational domain is enough (§3.1.1, §3.1.2).
    #[default]
    Relaxed,
    /// `s`: the very same domain name.
    Strict,
}

impl AlignmentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relaxed => "r",
            Self::Strict => "s",
        }
    }

    /// `relaxed` or `strict`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Relaxed => "relaxed",
            Self::Strict => "strict",
        }
    }

    /// Why `authenticated` is or is not aligned with `author` in this mode, in words.
    pub fn compare(self, authenticated: &str, author: &str) -> String {
        let (a, b) = (canonical_name(authenticated), canonical_name(author));
        let aligned = self.aligned(&a, &b);
        match (self, aligned) {
            (Self::Strict, true) => format!("strict: {a} is exactly the From: domain"),
            (Self::Strict, false) => format!("strict: {a} is not exactly the From: domain {b}"),
            (Self::Relaxed, true) if a == b => format!("relaxed: {a} is the From: domain itself"),
            (Self::Relaxed, true) => {
                format!("relaxed: {a} and {b} share the organizational domain {}", organizational_domain(&a))
            }
            (Self::Relaxed, false) => format!(
                "relaxed: the organizational domains differ ({} is not {})",
                organizational_domain(&a),
                organizational_domain(&b)
            ),
        }
    }

    /// Whether `authenticated` is aligned with `author` in this mode (§3.1).
    pub fn aligned(self, authenticated: &str, author: &str) -> bool {
        let (a, b) = (canonical_name(authenticated), canonical_name(author));
        if a.is_empty() || b.is_empty() {
            return false;
        }
        match self {
            Self::Strict => a == b,
            Self::Relaxed => organizational_domain(&a) == organizational_domain(&b),
        }
    }
}

/// A DMARC policy record: the tags this lab acts on (§6.3). `rua`, `ruf`, `fo`, `rf` and `ri`
/// are about reports, which the simulated world does not send; they are read and ignored, as
/// are unknown tags.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DmarcRecord {
    /// `p=`: the policy for the domain itself.
    pub policy: RequestedPolicy,
    /// `sp=`: the policy for subdomains; `None` means "as `p=`".
    pub subdomain_policy: Option<RequestedPolicy>,
    /// `adkim=`, default relaxed.
    pub adkim: AlignmentMode,
    /// `aspf=`, default relaxed.
    pub aspf: AlignmentMode,
    /// `pct=`: the share of failing mail the policy is applied to, 0 to 100 (default 100).
    pub percent: u8,
}

impl DmarcRecord {
    /// `v=DMARC1; p=none`, with every other tag at its default.
    pub fn new(policy: RequestedPolicy) -> Self {
        Self {
            policy,
            subdomain_policy: None,
            adkim: AlignmentMode::Relaxed,
            aspf: AlignmentMode::Relaxed,
            percent: 100,
        }
    }
}

/// Why a TXT record at `_dmarc.` is not a usable DMARC policy record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// It does not start with `v=DMARC1`: it is not a DMARC record and is discarded (§6.6.3
    /// steps 2 and 4).
    NotDmarc,
    /// It starts with `v=DMARC1` but is not a tag list (§6.4).
    Syntax(TagListError),
    /// No valid `p=` right after `v=`, or an invalid `sp=`, and no `rua=` to fall back on
    /// (§6.6.3 step 6).
    NoPolicy(String),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotDmarc => f.write_str("not a DMARC record (it does not start with v=DMARC1)"),
            Self::Syntax(error) => write!(f, "not a valid tag list: {error}"),
            Self::NoPolicy(why) => write!(f, "no usable policy: {why}"),
        }
    }
}

impl std::error::Error for RecordError {}

/// `dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31` at the very start (§6.4):
/// the test of §6.6.3 steps 2 and 4. `DMARC1` is case-sensitive (%x-coded).
pub fn is_dmarc1(text: &str) -> bool {
    let wsp = |c: char| c == ' ' || c == '\t';
    let Some(rest) = text.strip_prefix('v') else { return false };
    let Some(rest) = rest.trim_start_matches(wsp).strip_prefix('=') else { return false };
    let Some(rest) = rest.trim_start_matches(wsp).strip_prefix("DMARC1") else { return false };
    let rest = rest.trim_start_matches(wsp);
    rest.is_empty() || rest.starts_with(';')
}

impl FromStr for DmarcRecord {
    type Err = RecordError;

    /// `dmarc-record` (§6.4): `v=DMARC1` first, `p=` second, the rest in any order. Values this
    /// lab cannot use fall back to their defaults, as §6.3 asks ("Syntax errors in the
    /// remainder of the record SHOULD be discarded in favor of default values").
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if !is_dmarc1(text) {
            return Err(RecordError::NotDmarc);
        }
        let tags = tag_list::tag_list(text).map_err(RecordError::Syntax)?;
        let has_rua = tag_list::get(&tags, "rua").is_some_and(|v| v.contains(':'));
        // §6.6.3 step 6: an invalid p= (or sp=) with a reporting address acts as p=none.
        let fallback =
            |why: String| if has_rua { Ok(RequestedPolicy::None) } else { Err(RecordError::NoPolicy(why)) };
        let policy = match tags.get(1) {
            Some(tag) if tag.name == "p" => match tag.value.parse() {
                Ok(policy) => policy,
                Err(why) => fallback(format!("p={why}"))?,
            },
            _ if tag_list::get(&tags, "p").is_some() => fallback("p= must come right after v=".into())?,
            _ => fallback("the record has no p= tag".into())?,
        };
        let subdomain_policy = match tag_list::get(&tags, "sp") {
            None => None,
            Some(value) => match value.parse() {
                Ok(sp) => Some(sp),
                Err(why) => {
                    fallback(format!("sp={why}"))?;
                    None
                }
            },
        };
        let mode = |name: &str| match tag_list::get(&tags, name) {
            Some("s") => AlignmentMode::Strict,
            _ => AlignmentMode::Relaxed,
        };
        let percent = tag_list::get(&tags, "pct")
            .filter(|v| (1..=3).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<u8>().ok())
            .filter(|&pct| pct <= 100)
            .unwrap_or(100);
        Ok(Self { policy, subdomain_policy, adkim: mode("adkim"), aspf: mode("aspf"), percent })
    }
}

impl fmt::Display for DmarcRecord {
    /// The record as a domain owner publishes it, defaults left out: `v=DMARC1; p=reject`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v=DMARC1; p={}", self.policy)?;
        if let Some(sp) = self.subdomain_policy {
            write!(f, "; sp={sp}")?;
        }
        if self.adkim == AlignmentMode::Strict {
            f.write_str("; adkim=s")?;
        }
        if self.aspf == AlignmentMode::Strict {
            f.write_str("; aspf=s")?;
        }
        if self.percent != 100 {
            write!(f, "; pct={}", self.percent)?;
        }
        Ok(())
    }
}

/// The organizational domain (§3.2), simplified to the last two labels: no Public Suffix
/// List (see the module documentation). A name of one or two labels is its own.
pub fn organizational_domain(domain: &str) -> String {
    let domain = canonical_name(domain);
    let labels: Vec<&str> = domain.split('.').collect();
    match labels.len() {
        0..=2 => domain.clone(),
        n => labels.get(n - 2..).map(|last| last.join(".")).unwrap_or(domain.clone()),
    }
}

/// Why no single author domain can be taken from a message (§6.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorError {
    /// The header section does not parse.
    Message(String),
    /// No From: field ("typically rejected").
    NoFrom,
    /// More than one From: field ("typically rejected").
    MultipleFrom(usize),
    /// One From: field with several addresses.
    MultipleAddresses,
    /// No domain in the From: field (group syntax, a bare name, a bad domain).
    NoDomain(String),
}

impl fmt::Display for AuthorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(why) => write!(f, "the header section does not parse: {why}"),
            Self::NoFrom => f.write_str("the message has no From: field"),
            Self::MultipleFrom(n) => write!(f, "the message has {n} From: fields"),
            Self::MultipleAddresses => f.write_str("the From: field holds more than one address"),
            Self::NoDomain(value) => write!(f, "no domain in From: {value:?}"),
        }
    }
}

impl std::error::Error for AuthorError {}

/// The RFC5322.From domain (§6.6.1), as an A-label in lowercase: exactly one From: field
/// with exactly one address (`name <addr-spec>` or a bare `addr-spec`).
pub fn author_domain(message: &[u8]) -> Result<String, AuthorError> {
    let message = Message::parse(message).map_err(|e| AuthorError::Message(e.to_string()))?;
    let froms: Vec<&HeaderField> = message.get_all("from").collect();
    let field = match froms.as_slice() {
        [] => return Err(AuthorError::NoFrom),
        [one] => *one,
        many => return Err(AuthorError::MultipleFrom(many.len())),
    };
    let value = field.value();
    let address = single_address(&value)?;
    let domain = address.rsplit_once('@').map(|(_, d)| d.trim()).unwrap_or_default();
    crate::proto::Domain::new(domain)
        .map(|d| d.to_ascii().to_ascii_lowercase())
        .map_err(|_| AuthorError::NoDomain(printable(&value)))
}

/// The one address of a From: value: the `addr-spec` inside `<…>`, or the whole value without
/// comments. Commas, `<…>` and `(…)` inside quoted strings do not count (RFC 5322 §3.4).
fn single_address(value: &str) -> Result<String, AuthorError> {
    let mut bare = String::new();
    let mut angle: Option<String> = None;
    let mut in_angle = false;
    let (mut quoted, mut escaped, mut comment_depth) = (false, false, 0usize);
    for c in value.chars() {
        if escaped {
            escaped = false;
            if !in_angle && comment_depth == 0 {
                bare.push(c);
            }
            continue;
        }
        match c {
            '\\' if quoted || comment_depth > 0 => escaped = true,
            '"' if comment_depth == 0 => quoted = !quoted,
            '(' if !quoted => comment_depth += 1,
            ')' if !quoted && comment_depth > 0 => comment_depth -= 1,
            _ if quoted || comment_depth > 0 => {}
            ',' => return Err(AuthorError::MultipleAddresses),
            ':' | ';' if !in_angle => return Err(AuthorError::NoDomain(printable(value))),
            '<' if !in_angle => {
                if angle.is_some() {
                    return Err(AuthorError::MultipleAddresses);
                }
                in_angle = true;
                angle = Some(String::new());
            }
            '>' if in_angle => in_angle = false,
            _ if in_angle => {
                if let Some(inner) = angle.as_mut() {
                    inner.push(c);
                }
            }
            _ => bare.push(c),
        }
    }
    let address = angle.unwrap_or(bare).trim().to_owned();
    if address.contains('@') && !address.contains(char::is_whitespace) {
        Ok(address)
    } else {
        Err(AuthorError::NoDomain(printable(value)))
    }
}

/// A DMARC result as Authentication-Results reports it (§11.2, RFC 8601 §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcResult {
    /// No policy record, or no author domain to look one up for.
    None,
    /// A policy record exists and an aligned identifier passed.
    Pass,
    /// A policy record exists and no aligned identifier passed.
    Fail,
    /// A DNS lookup failed for now; no conclusion.
    TempError,
    /// The record (or the From: field) cannot be used.
    PermError,
}

impl DmarcResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }
}

impl fmt::Display for DmarcResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything one evaluation found out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DmarcOutcome {
    pub result: DmarcResult,
    /// The RFC5322.From domain, when there was exactly one.
    pub author_domain: Option<String>,
    /// The record that applies, and the domain it was found at.
    pub record: Option<DmarcRecord>,
    pub record_domain: Option<String>,
    /// The policy that applies to the author domain: `p=`, or `sp=` for a subdomain whose
    /// record was found at the organizational domain.
    pub policy: Option<RequestedPolicy>,
    /// What the receiver does: the policy for a failure (after `pct=` sampling), `None`
    /// otherwise.
    pub disposition: RequestedPolicy,
    /// The identifier that aligned and passed, e.g. `DKIM d=example.com`.
    pub aligned: Option<String>,
    /// Why the result is `none`, `permerror` or `temperror`.
    pub problem: Option<String>,
    /// The steps of §6.6.2, one row each, for the learner.
    pub trace: Vec<Row>,
}

impl DmarcOutcome {
    fn new(author_domain: Option<String>) -> Self {
        Self {
            result: DmarcResult::None,
            author_domain,
            record: None,
            record_domain: None,
            policy: None,
            disposition: RequestedPolicy::None,
            aligned: None,
            problem: None,
            trace: Vec::new(),
        }
    }

    /// The `dmarc` result of Authentication-Results (RFC 7489 §11.1, RFC 8601 §2.2), e.g.
    /// `dmarc=fail (p=reject dis=reject) header.from=example.com`.
    pub fn auth_results_entry(&self) -> String {
        let mut entry = format!("dmarc={}", self.result);
        if let Some(policy) = self.policy {
            entry.push_str(&format!(" (p={policy} dis={})", self.disposition));
        } else if let Some(problem) = &self.problem
            && matches!(self.result, DmarcResult::PermError | DmarcResult::TempError)
        {
            let reason: String =
                printable(problem).chars().map(|c| if c == '"' || c == '\\' { '\'' } else { c }).collect();
            entry.push_str(&format!(" reason=\"{reason}\""));
        }
        if let Some(domain) = &self.author_domain {
            entry.push_str(&format!(" header.from={domain}"));
        }
        entry
    }
}

/// Policy discovery (§6.6.3): the record at `_dmarc.<author>`, else at `_dmarc.<org domain>`.
/// Returns the record's domain and text, or the outcome to stop with.
fn discover(
    resolver: &mut dyn Resolver,
    author: &str,
    outcome: &mut DmarcOutcome,
) -> Option<(String, Result<DmarcRecord, RecordError>)> {
    let org = organizational_domain(author);
    let mut candidates = vec![author.to_owned()];
    if org != author {
        candidates.push(org);
    }
    for domain in candidates {
        let name = format!("_dmarc.{domain}");
        // Steps 1 and 3: the query; steps 2 and 4: keep only v=DMARC1 records.
        let texts: Vec<String> = match resolver.resolve(&name, RecordType::Txt) {
            Ok(records) => records.iter().filter_map(|r| r.txt_joined()).collect(),
            Err(DnsError::NxDomain) => Vec::new(),
            Err(DnsError::Timeout) => {
                outcome.trace.push(Row::new(Some("§6.6.3"), format!("TXT {name}"), "no answer (timeout)"));
                outcome.result = DmarcResult::TempError;
                outcome.problem = Some(format!("the DNS lookup of {name} timed out"));
                return None;
            }
        };
        let dmarc: Vec<&String> = texts.iter().filter(|t| is_dmarc1(t)).collect();
        match dmarc.as_slice() {
            [] => outcome.trace.push(Row::new(
                Some("§6.6.3"),
                format!("TXT {name}"),
                if texts.is_empty() {
                    "no record".to_owned()
                } else {
                    format!("{} record(s), none starts with v=DMARC1", texts.len())
                },
            )),
            [one] => {
                outcome.trace.push(
                    Row::new(
                        Some("§6.6.3"),
                        format!("TXT {name}"),
                        format!("the DMARC policy record of {domain}"),
                    )
                    .value("v=DMARC1 record", printable(one)),
                );
                return Some((domain, one.parse()));
            }
            many => {
                // Step 5: several records: no DMARC processing.
                outcome.trace.push(Row::new(
                    Some("§6.6.3"),
                    format!("TXT {name}"),
                    format!("{} DMARC records: ambiguous, so none applies", many.len()),
                ));
                outcome.problem = Some(format!("{name} has {} DMARC records", many.len()));
                return None;
            }
        }
    }
    outcome.problem = Some(format!("{author} publishes no DMARC policy"));
    None
}

/// RFC 7489 §6.6.2 for one message: `spf` is the MAIL FROM check (its `domain` is the
/// SPF-authenticated identifier), `dkim` one verdict per signature. `sample` is called only
/// when a failing message's record has `pct=` below 100; it returns a number in 0..100.
pub fn evaluate(
    resolver: &mut dyn Resolver,
    author: Result<String, AuthorError>,
    spf: &SpfOutcome,
    dkim: &[DkimVerdict],
    sample: &mut dyn FnMut() -> u8,
) -> DmarcOutcome {
    // Step 1: the author domain (§6.6.1).
    let author = match author {
        Ok(domain) => domain,
        Err(error) => {
            let mut outcome = DmarcOutcome::new(None);
            outcome.trace.push(
                Row::new(Some("§6.6.1"), "author domain", format!("no single author domain: {error}"))
                    .verdict(Verdict::PermError),
            );
            outcome.result = DmarcResult::PermError;
            outcome.problem = Some(error.to_string());
            return outcome;
        }
    };
    let mut outcome = DmarcOutcome::new(Some(author.clone()));
    outcome.trace.push(Row::new(
        Some("§6.6.1"),
        "author domain",
        format!("{author}: the domain of the From: address the reader sees"),
    ));

    // Step 2: policy discovery.
    let Some((record_domain, record)) = discover(resolver, &author, &mut outcome) else {
        let why = outcome.problem.clone().unwrap_or_else(|| "no policy".to_owned());
        outcome.trace.push(Row::new(Some("§6.6.3"), "result", why).verdict(outcome.result));
        return outcome;
    };
    let record = match record {
        Ok(record) => record,
        Err(error) => {
            outcome.trace.push(Row::new(Some("§6.3"), "unusable", error.to_string()).depth(1));
            outcome
                .trace
                .push(Row::new(Some("§6.6.3"), "result", error.to_string()).verdict(Verdict::PermError));
            outcome.result = DmarcResult::PermError;
            outcome.problem = Some(error.to_string());
            return outcome;
        }
    };
    let policy = if record_domain == author {
        record.policy
    } else {
        record.subdomain_policy.unwrap_or(record.policy)
    };
    let (tag, whose) = if record_domain == author {
        ("p", format!("the policy for {author}"))
    } else if record.subdomain_policy.is_some() {
        (
            "sp",
            format!(
                "the policy for subdomains such as {author}, found at the organizational domain {record_domain}"
            ),
        )
    } else {
        ("p", format!("the policy for {author}, found at the organizational domain {record_domain}"))
    };
    outcome.trace.push(Row::new(Some("§6.3"), format!("{tag}={policy}"), whose).depth(1));
    outcome.trace.push(
        Row::new(
            Some("§6.3"),
            format!("adkim={} aspf={}", record.adkim.as_str(), record.aspf.as_str()),
            format!(
                "alignment: DKIM {}, SPF {}{}",
                record.adkim.name(),
                record.aspf.name(),
                if record.adkim == AlignmentMode::Relaxed && record.aspf == AlignmentMode::Relaxed {
                    " (the defaults)"
                } else {
                    ""
                }
            ),
        )
        .depth(1),
    );
    outcome.policy = Some(policy);
    outcome.record_domain = Some(record_domain);

    // Steps 3–5: the DKIM and SPF results, and their alignment (§3.1).
    for verdict in dkim {
        let d = verdict.domain.as_deref().unwrap_or("?");
        let aligned = verdict.domain.as_deref().is_some_and(|d| record.adkim.aligned(d, &author));
        let compared = match verdict.domain.as_deref() {
            Some(d) => record.adkim.compare(d, &author),
            None => "the signature names no domain".to_owned(),
        };
        outcome.trace.push(
            Row::new(Some("§3.1.1"), format!("DKIM d={d}"), format!("DKIM {}; {compared}", verdict.result()))
                .verdict(verdict.result())
                .mark(Mark::aligned(aligned)),
        );
        if aligned && verdict.result() == DkimResult::Pass && outcome.aligned.is_none() {
            outcome.aligned = Some(format!("DKIM d={d}"));
        }
    }
    if dkim.is_empty() {
        outcome.trace.push(
            Row::new(Some("§3.1.1"), "DKIM", "the message is not signed: no DKIM identifier to align")
                .verdict(Verdict::None),
        );
    }
    let spf_aligned = record.aspf.aligned(&spf.domain, &author);
    outcome.trace.push(
        Row::new(
            Some("§3.1.2"),
            format!("SPF {}", spf.domain),
            format!(
                "SPF {} for the MAIL FROM domain; {}",
                spf.result,
                record.aspf.compare(&spf.domain, &author)
            ),
        )
        .verdict(spf.result)
        .mark(Mark::aligned(spf_aligned)),
    );
    if spf_aligned && spf.result == SpfResult::Pass && outcome.aligned.is_none() {
        outcome.aligned = Some(format!("SPF {}", spf.domain));
    }
    outcome.record = Some(record.clone());
    if let Some(aligned) = &outcome.aligned {
        outcome.result = DmarcResult::Pass;
        outcome.trace.push(
            Row::new(
                Some("§6.6.2"),
                "result",
                format!("{aligned} passed and is aligned: it authenticates the From: domain"),
            )
            .verdict(Verdict::Pass),
        );
        return outcome;
    }
    let temporary =
        spf.result == SpfResult::TempError || dkim.iter().any(|v| v.result() == DkimResult::TempError);
    if temporary {
        outcome.result = DmarcResult::TempError;
        outcome.problem = Some("a check failed for now; DMARC cannot conclude".into());
        outcome.trace.push(
            Row::new(Some("§6.6.2"), "result", "a DNS error may hide a pass, so no policy is applied")
                .verdict(Verdict::TempError),
        );
        return outcome;
    }

    // Step 6: the policy, on pct= percent of failing mail (§6.6.4).
    outcome.result = DmarcResult::Fail;
    outcome.disposition = policy;
    if record.percent < 100 && policy != RequestedPolicy::None {
        let draw = sample() % 100;
        if draw >= record.percent {
            outcome.disposition = match policy {
                RequestedPolicy::Reject => RequestedPolicy::Quarantine,
                _ => RequestedPolicy::None,
            };
            outcome.trace.push(Row::new(
                Some("§6.6.4"),
                format!("pct={}", record.percent),
                format!(
                    "this message (draw {draw}) is outside the sample, so it gets {} instead of {policy}",
                    outcome.disposition
                ),
            ));
        } else {
            outcome.trace.push(Row::new(
                Some("§6.6.4"),
                format!("pct={}", record.percent),
                format!("this message (draw {draw}) is in the sample: the policy applies"),
            ));
        }
    }
    outcome.trace.push(
        Row::new(Some("§6.6.2"), "result", "neither SPF nor DKIM passed for a domain aligned with From:")
            .verdict(Verdict::Fail),
    );
    outcome.trace.push(Row::new(
        Some("§6.3"),
        "disposition",
        match outcome.disposition {
            RequestedPolicy::None => "none: deliver it as usual, the failure only recorded",
            RequestedPolicy::Quarantine => "quarantine: deliver it, but as suspicious (the spam folder)",
            RequestedPolicy::Reject => "reject: refuse it during the SMTP transaction",
        },
    ));
    outcome
}

/// Printable ASCII only, cut to a sane length, for traces and header comments.
fn printable(text: &str) -> String {
    const MAX: usize = 200;
    let mut out: String =
        text.chars().take(MAX).map(|c| if c == ' ' || c.is_ascii_graphic() { c } else { '?' }).collect();
    if text.chars().nth(MAX).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::dns::{Record, Zone};
    use crate::mailauth::dkim::DkimFailure;
    use crate::mailauth::spf::Identity;

    fn spf(result: SpfResult, domain: &str) -> SpfOutcome {
        SpfOutcome {
            result,
            explanation: None,
            mechanism: None,
            problem: None,
            trace: Vec::new(),
            identity: Identity::MailFrom,
            client_ip: "192.0.2.1".parse::<IpAddr>().expect("address"),
            sender: format!("someone@{domain}"),
            domain: domain.to_owned(),
            helo: "client.example".to_owned(),
            receiver: "mx.example.net".to_owned(),
        }
    }

    fn dkim(domain: &str, outcome: Result<(), DkimFailure>) -> DkimVerdict {
        DkimVerdict {
            domain: Some(domain.to_owned()),
            selector: Some("s1".into()),
            algorithm: Some("ed25519-sha256".into()),
            b_prefix: Some("abcdefgh".into()),
            outcome,
            trace: Vec::new(),
        }
    }

    fn zone(records: &[(&str, &str)]) -> Zone {
        let mut zone = Zone::new();
        for (name, text) in records {
            zone.add(name, Record::Txt(vec![(*text).to_owned()]));
        }
        zone
    }

    fn run(zone: &mut Zone, author: &str, spf: &SpfOutcome, dkim: &[DkimVerdict]) -> DmarcOutcome {
        evaluate(zone, Ok(author.to_owned()), spf, dkim, &mut || 0)
    }

    #[test]
    fn records_known_answers_and_round_trip() {
        let cases = [
            ("v=DMARC1; p=reject", Ok(DmarcRecord::new(RequestedPolicy::Reject))),
            ("v=DMARC1;p=none;", Ok(DmarcRecord::new(RequestedPolicy::None))),
            (
                "v = DMARC1 ; p = Quarantine ; pct=20 ; sp=reject ; adkim=s ; aspf=s; rua=mailto:d@example.com",
                Ok(DmarcRecord {
                    policy: RequestedPolicy::Quarantine,
                    subdomain_policy: Some(RequestedPolicy::Reject),
                    adkim: AlignmentMode::Strict,
                    aspf: AlignmentMode::Strict,
                    percent: 20,
                }),
            ),
            // Bad optional values fall back to their defaults (§6.3).
            ("v=DMARC1; p=reject; pct=150; adkim=x; fo=9", Ok(DmarcRecord::new(RequestedPolicy::Reject))),
            // An invalid p= with a rua= acts as p=none (§6.6.3 step 6).
            ("v=DMARC1; p=bogus; rua=mailto:d@example.com", Ok(DmarcRecord::new(RequestedPolicy::None))),
            ("v=DMARC1; rua=mailto:d@example.com", Ok(DmarcRecord::new(RequestedPolicy::None))),
            ("v=DMARC1", Err(RecordError::NoPolicy("the record has no p= tag".into()))),
            (
                "v=DMARC1; p=bogus",
                Err(RecordError::NoPolicy("p=\"bogus\" is not a policy (none, quarantine or reject)".into())),
            ),
            ("v=DMARC1; pct=5; p=reject", Err(RecordError::NoPolicy("p= must come right after v=".into()))),
            ("v=DMARC1; p=reject; p=none", Err(RecordError::Syntax(TagListError::Duplicate("p".into())))),
            ("v=DMARC1; p=reject;; x", Err(RecordError::Syntax(TagListError::EmptyTagSpec))),
            ("v=dmarc1; p=reject", Err(RecordError::NotDmarc)),
            ("p=reject; v=DMARC1", Err(RecordError::NotDmarc)),
            ("v=DMARC10; p=reject", Err(RecordError::NotDmarc)),
            ("v=spf1 -all", Err(RecordError::NotDmarc)),
            ("", Err(RecordError::NotDmarc)),
        ];
        for (text, want) in cases {
            let got = text.parse::<DmarcRecord>();
            assert_eq!(got, want, "{text:?}");
            if let Ok(record) = got {
                assert_eq!(record.to_string().parse::<DmarcRecord>(), Ok(record), "round trip of {text:?}");
            }
        }
        assert_eq!(DmarcRecord::new(RequestedPolicy::Reject).to_string(), "v=DMARC1; p=reject");
    }

    #[test]
    fn organizational_domains_and_alignment() {
        assert_eq!(organizational_domain("a.b.Mail.Example.COM."), "example.com");
        assert_eq!(organizational_domain("example.com"), "example.com");
        assert_eq!(organizational_domain("com"), "com");
        assert_eq!(organizational_domain(""), "");
        let (r, s) = (AlignmentMode::Relaxed, AlignmentMode::Strict);
        assert!(r.aligned("bounces.example.com", "example.com"));
        assert!(r.aligned("EXAMPLE.com", "news.example.com"));
        assert!(!s.aligned("bounces.example.com", "example.com"));
        assert!(s.aligned("example.com.", "Example.com"));
        assert!(!r.aligned("lists.example.org", "example.com"));
        assert!(!r.aligned("", ""));
    }

    #[test]
    fn author_domains() {
        let from = |value: &str| {
            author_domain(format!("From: {value}\r\nTo: b@example.net\r\n\r\nhi\r\n").as_bytes())
        };
        assert_eq!(from("alice@Example.COM"), Ok("example.com".into()));
        assert_eq!(from("Alice <alice@example.com>"), Ok("example.com".into()));
        assert_eq!(
            from("\"Smith, Alice <x@evil.example>\" <alice@example.com> (work)"),
            Ok("example.com".into())
        );
        assert_eq!(from("alice@example.com (Alice, at work)"), Ok("example.com".into()));
        assert_eq!(from("a@example.com, b@example.org"), Err(AuthorError::MultipleAddresses));
        assert_eq!(from("<a@example.com> <b@example.org>"), Err(AuthorError::MultipleAddresses));
        assert!(matches!(from("undisclosed-recipients:;"), Err(AuthorError::NoDomain(_))));
        assert!(matches!(from("Alice"), Err(AuthorError::NoDomain(_))));
        assert!(matches!(from("<alice@exa mple.com>"), Err(AuthorError::NoDomain(_))));
        assert_eq!(author_domain(b"To: b@example.net\r\n\r\nhi\r\n"), Err(AuthorError::NoFrom));
        assert_eq!(
            author_domain(b"From: a@example.com\r\nFrom: b@example.com\r\n\r\n"),
            Err(AuthorError::MultipleFrom(2))
        );
        assert!(matches!(author_domain(b"\x00garbage"), Err(AuthorError::Message(_))));
    }

    #[test]
    fn pass_when_either_identifier_aligns() {
        let mut z = zone(&[("_dmarc.example.com", "v=DMARC1; p=reject")]);
        let good = dkim("example.com", Ok(()));
        let o =
            run(&mut z, "example.com", &spf(SpfResult::Fail, "evil.example"), std::slice::from_ref(&good));
        assert_eq!((o.result, o.disposition), (DmarcResult::Pass, RequestedPolicy::None));
        assert_eq!(o.aligned.as_deref(), Some("DKIM d=example.com"));
        assert_eq!(o.auth_results_entry(), "dmarc=pass (p=reject dis=none) header.from=example.com");
        // SPF alone, relaxed: a bounce subdomain aligns.
        let o = run(&mut z, "example.com", &spf(SpfResult::Pass, "bounces.example.com"), &[]);
        assert_eq!((o.result, o.aligned.as_deref()), (DmarcResult::Pass, Some("SPF bounces.example.com")));
        // A valid signature from another domain does not help (§3.1.1).
        let other = dkim("lists.example.org", Ok(()));
        let o = run(&mut z, "example.com", &spf(SpfResult::Pass, "lists.example.org"), &[other]);
        assert_eq!((o.result, o.disposition), (DmarcResult::Fail, RequestedPolicy::Reject));
        assert_eq!(o.auth_results_entry(), "dmarc=fail (p=reject dis=reject) header.from=example.com");
    }

    #[test]
    fn fail_with_each_policy_and_strict_alignment() {
        let broken = dkim("example.com", Err(DkimFailure::SignatureMismatch));
        for (record, disposition) in [
            ("v=DMARC1; p=none", RequestedPolicy::None),
            ("v=DMARC1; p=quarantine", RequestedPolicy::Quarantine),
            ("v=DMARC1; p=reject", RequestedPolicy::Reject),
        ] {
            let mut z = zone(&[("_dmarc.example.com", record)]);
            let o = run(
                &mut z,
                "example.com",
                &spf(SpfResult::Fail, "example.com"),
                std::slice::from_ref(&broken),
            );
            assert_eq!((o.result, o.disposition), (DmarcResult::Fail, disposition), "{record}");
        }
        let mut z = zone(&[("_dmarc.example.com", "v=DMARC1; p=reject; aspf=s")]);
        let o = run(&mut z, "example.com", &spf(SpfResult::Pass, "bounces.example.com"), &[]);
        assert_eq!(o.result, DmarcResult::Fail, "strict SPF alignment wants the same name");
    }

    #[test]
    fn discovery_falls_back_to_the_organizational_domain() {
        let mut z = zone(&[("_dmarc.example.com", "v=DMARC1; p=none; sp=reject")]);
        let o = run(&mut z, "news.example.com", &spf(SpfResult::Fail, "evil.example"), &[]);
        assert_eq!(o.record_domain.as_deref(), Some("example.com"));
        assert_eq!((o.policy, o.disposition), (Some(RequestedPolicy::Reject), RequestedPolicy::Reject));
        let o = run(&mut z, "example.com", &spf(SpfResult::Fail, "evil.example"), &[]);
        assert_eq!(o.policy, Some(RequestedPolicy::None), "sp= is for subdomains only");
        // A record at the subdomain itself wins.
        z.add("_dmarc.news.example.com", Record::Txt(vec!["v=DMARC1; p=quarantine".into()]));
        let o = run(&mut z, "news.example.com", &spf(SpfResult::Fail, "evil.example"), &[]);
        assert_eq!(o.disposition, RequestedPolicy::Quarantine);
    }

    #[test]
    fn none_temperror_and_permerror() {
        let mut empty = Zone::new();
        let o = run(&mut empty, "example.com", &spf(SpfResult::Fail, "example.com"), &[]);
        assert_eq!((o.result, o.disposition), (DmarcResult::None, RequestedPolicy::None));
        assert_eq!(o.auth_results_entry(), "dmarc=none header.from=example.com");

        let mut two =
            zone(&[("_dmarc.example.com", "v=DMARC1; p=reject"), ("_dmarc.example.com", "v=DMARC1; p=none")]);
        assert_eq!(
            run(&mut two, "example.com", &spf(SpfResult::Fail, "x.example"), &[]).result,
            DmarcResult::None
        );

        let mut other = zone(&[("_dmarc.example.com", "v=spf1 -all")]);
        assert_eq!(
            run(&mut other, "example.com", &spf(SpfResult::Fail, "x.example"), &[]).result,
            DmarcResult::None
        );

        let mut slow = Zone::new();
        slow.add_timeout("_dmarc.example.com", None);
        assert_eq!(
            run(&mut slow, "example.com", &spf(SpfResult::Fail, "x.example"), &[]).result,
            DmarcResult::TempError
        );

        let mut z = zone(&[("_dmarc.example.com", "v=DMARC1; p=reject")]);
        let o = run(&mut z, "example.com", &spf(SpfResult::TempError, "example.com"), &[]);
        assert_eq!((o.result, o.disposition), (DmarcResult::TempError, RequestedPolicy::None));

        let mut bad = zone(&[("_dmarc.example.com", "v=DMARC1; p=sometimes")]);
        let o = run(&mut bad, "example.com", &spf(SpfResult::Fail, "x.example"), &[]);
        assert_eq!((o.result, o.disposition), (DmarcResult::PermError, RequestedPolicy::None));
        assert!(
            o.auth_results_entry().starts_with("dmarc=permerror reason=\"no usable policy"),
            "{}",
            o.auth_results_entry()
        );

        let o =
            evaluate(&mut z, Err(AuthorError::NoFrom), &spf(SpfResult::Pass, "example.com"), &[], &mut || 0);
        assert_eq!(o.result, DmarcResult::PermError);
        assert_eq!(o.auth_results_entry(), "dmarc=permerror reason=\"the message has no From: field\"");
    }

    #[test]
    fn pct_samples_failing_mail() {
        let mut z = zone(&[("_dmarc.example.com", "v=DMARC1; p=reject; pct=30")]);
        let fail = spf(SpfResult::Fail, "example.com");
        let inside = evaluate(&mut z, Ok("example.com".into()), &fail, &[], &mut || 29);
        assert_eq!(inside.disposition, RequestedPolicy::Reject);
        let outside = evaluate(&mut z, Ok("example.com".into()), &fail, &[], &mut || 30);
        assert_eq!(outside.disposition, RequestedPolicy::Quarantine, "§6.6.4: reject becomes quarantine");
        let mut drawn = false;
        let pass = spf(SpfResult::Pass, "example.com");
        evaluate(&mut z, Ok("example.com".into()), &pass, &[], &mut || {
            drawn = true;
            0
        });
        assert!(!drawn, "passing mail draws no sample");
    }

    #[test]
    fn hostile_records_never_panic() {
        let texts = [
            "v=DMARC1; p=reject; pct=".to_owned(),
            "v=DMARC1; p=reject; pct=99999999999999999999".to_owned(),
            "v=DMARC1; p=\u{e9}\u{1f600}".to_owned(),
            format!("v=DMARC1; p=reject; {}", "x=y; ".repeat(5000)),
            format!("v=DMARC1;{}", ";".repeat(1000)),
            "v=DMARC1; p=reject; sp=\u{0}".to_owned(),
            "v\t=\tDMARC1\t;\tp\t=\treject".to_owned(),
            "v=DMARC1; =; p".to_owned(),
        ];
        for text in &texts {
            let _ = text.parse::<DmarcRecord>();
            let mut z = zone(&[("_dmarc.example.com", text)]);
            let o = run(&mut z, "example.com", &spf(SpfResult::Fail, "x.example"), &[]);
            assert!(o.auth_results_entry().is_ascii());
            HeaderField::new("Authentication-Results", &format!("mx; {}", o.auth_results_entry()))
                .expect("a valid field");
        }
        let hostile_from = format!("From: {}\r\n\r\n", "(\"<\\".repeat(3000));
        assert!(author_domain(hostile_from.as_bytes()).is_err());
    }
}
