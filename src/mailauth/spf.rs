//! Sender Policy Framework (RFC 7208): may this client IP send mail for this domain?
//!
//! [`check_host`] is the RFC's `check_host()` function (§4) over the simulated DNS's
//! [`Resolver`]: it fetches the domain's `v=spf1` TXT record, evaluates its mechanisms left
//! to right (following `include:` and `redirect=` into other domains' records) and answers
//! one of the seven results of §2.6. Every DNS query and every term evaluated is recorded in
//! [`SpfOutcome::trace`] with a sentence for the learner, so the player can replay the
//! evaluation step by step.
//!
//! Pure and total: no I/O, no clock (`%{t}` comes from [`Verifier::now`]), no randomness, and
//! no input can make it panic. Hostile records are bounded by the RFC's limits (10
//! DNS-querying terms, 2 void lookups, 10 MX and 10 PTR names) plus a budget on macro
//! expansion and on the trace's length.
//!
//! - [`record`]: the record grammar (§4.5, §4.6, §5, §6): parse and print.
//! - [`macros`]: the macro language (§7): parse, print, expand.
//! - `eval`: the evaluation itself (§4–§6).
//! - `report`: `Received-SPF` (§9.1) and `Authentication-Results` (RFC 8601 §2.7.2) text.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::check::{Mark, Row};
use crate::dns::{RecordType, Resolver};

mod eval;
pub mod macros;
pub mod record;
mod report;

/// The result of an SPF check (RFC 7208 §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    /// No SPF record, or no syntactically valid domain to check (§2.6.1).
    None,
    /// The domain makes no assertion about the client (§2.6.2).
    Neutral,
    /// The client is authorized (§2.6.3).
    Pass,
    /// The client is explicitly not authorized (§2.6.4).
    Fail,
    /// Probably not authorized; a weak fail (§2.6.5).
    SoftFail,
    /// A transient, usually DNS, error (§2.6.6).
    TempError,
    /// The domain's records could not be interpreted (§2.6.7).
    PermError,
}

impl SpfResult {
    /// The result's name as `Received-SPF` and `Authentication-Results` write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Neutral => "neutral",
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::SoftFail => "softfail",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }

    /// The section of §2.6 that defines it.
    pub fn section(self) -> &'static str {
        match self {
            Self::None => "§2.6.1",
            Self::Neutral => "§2.6.2",
            Self::Pass => "§2.6.3",
            Self::Fail => "§2.6.4",
            Self::SoftFail => "§2.6.5",
            Self::TempError => "§2.6.6",
            Self::PermError => "§2.6.7",
        }
    }

    /// What the result says, in plain words, after the domain's name.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::None => "no SPF record, so no assertion either way",
            Self::Neutral => "the domain says nothing about this client",
            Self::Pass => "the client is allowed to send for this domain",
            Self::Fail => "the client is not allowed to send for this domain",
            Self::SoftFail => "the client is probably not allowed to send for this domain",
            Self::TempError => "a DNS error for now; a later check may succeed",
            Self::PermError => "the domain's SPF records cannot be used as published",
        }
    }

    /// Every result, in the order of §2.6.
    pub const ALL: [SpfResult; 7] =
        [Self::None, Self::Neutral, Self::Pass, Self::Fail, Self::SoftFail, Self::TempError, Self::PermError];
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A result name that is not one of §2.6's seven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownResult(pub String);

impl fmt::Display for UnknownResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not an SPF result (none, neutral, pass, fail, softfail, temperror, permerror)",
            self.0
        )
    }
}

impl std::error::Error for UnknownResult {}

impl FromStr for SpfResult {
    type Err = UnknownResult;

    /// Reads a result name, case-insensitively (the ABNF of §9.1 is).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownResult(s.to_owned()))
    }
}

/// Which identity was checked (RFC 7208 §2.3, §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    /// The `MAIL FROM` reverse-path, or `postmaster@<helo>` when it is null (§2.4).
    MailFrom,
    /// The `HELO`/`EHLO` domain (§2.3).
    Helo,
}

impl Identity {
    /// `mailfrom` or `helo`, as both header fields name them.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MailFrom => "mailfrom",
            Self::Helo => "helo",
        }
    }
}

/// Why the evaluation asked DNS: the rule of RFC 7208 that made the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// A domain's SPF record: the first, an include's or a redirect's (§4.4).
    Record,
    /// The addresses of an `a` mechanism's name (§5.3).
    A,
    /// An `mx` mechanism's exchangers, and their addresses (§5.4).
    Mx,
    /// The client's validated names, for `ptr` (§5.5).
    Ptr,
    /// The A query of `exists` (§5.7).
    Exists,
    /// The `exp=` explanation (§6.2).
    Explanation,
    /// The client's validated names, for the `%{p}` macro (§7.3).
    ValidatedName,
}

impl Purpose {
    /// The section of RFC 7208 that asks for the query.
    pub fn section(self) -> &'static str {
        match self {
            Self::Record => "§4.4",
            Self::A => "§5.3",
            Self::Mx => "§5.4",
            Self::Ptr => "§5.5",
            Self::Exists => "§5.7",
            Self::Explanation => "§6.2",
            Self::ValidatedName => "§7.3",
        }
    }
}

/// What evaluating a term came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TermOutcome {
    /// The mechanism matched: its qualifier's result ends the check (§4.6.2).
    Match(SpfResult),
    /// It did not match: on to the next term.
    NoMatch,
    /// `redirect=`: the check goes on with another domain's record (§6.1).
    Redirect,
    /// Evaluating it failed, with this error result (§2.6.6, §2.6.7).
    Error(SpfResult),
}

/// What one step of the evaluation was.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StepKind {
    /// A DNS query, why it was made, and what it answered, in a few words.
    Query { name: String, record_type: RecordType, purpose: Purpose, answer: String },
    /// The `v=spf1` record selected for a domain (§4.5).
    Record { domain: String, record: String },
    /// A term of a record was evaluated (§4.6): `detail` says what it was compared with.
    Term { term: String, section: String, outcome: TermOutcome, detail: String },
    /// One `check_host()` evaluation (the first, or an include's or a redirect's) ended.
    Result { domain: String, result: SpfResult, problem: Option<String> },
    /// Anything else worth telling: an ignored `exp=`, a limit reached, a cut trace.
    Note,
}

/// One step of the evaluation, for the step-by-step view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpfStep {
    /// 0 for the domain first checked, one more inside each `include:` or `redirect=`, and
    /// one more for the lookups and notes of the term they belong to.
    pub depth: u8,
    pub kind: StepKind,
    /// One line of plain language: what happened and why it matters.
    pub description: String,
}

impl SpfStep {
    /// The step as a row of the player's check, or `None` for the record lookup, which the
    /// record's row (or the result's) already tells.
    pub fn row(&self) -> Option<Row> {
        let depth = self.depth;
        let row = match &self.kind {
            StepKind::Query { purpose: Purpose::Record, .. } => return None,
            StepKind::Query { name, record_type, purpose, answer } => {
                Row::new(Some(purpose.section()), format!("DNS {record_type} {name}"), answer.clone())
            }
            StepKind::Record { domain, record } => {
                Row::new(Some("§4.5"), "record", format!("{domain} publishes this SPF record"))
                    .value("v=spf1 record", record.clone())
            }
            StepKind::Term { term, section, outcome, detail } => {
                let row = Row::new(Some(section), term.clone(), detail.clone());
                match *outcome {
                    TermOutcome::Match(result) => row.mark(Mark::Match).verdict(result),
                    TermOutcome::NoMatch => row.mark(Mark::NoMatch),
                    TermOutcome::Redirect => row,
                    TermOutcome::Error(result) => row.verdict(result),
                }
            }
            StepKind::Result { domain, result, problem } => {
                let text = match problem {
                    Some(problem) => format!("{domain}: {problem}"),
                    None => format!("{domain}: {}", result.meaning()),
                };
                Row::new(Some(result.section()), "result", text).verdict(*result)
            }
            StepKind::Note => Row::new(None, "note", self.description.clone()),
        };
        Some(row.depth(depth))
    }
}

/// Everything a check found out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpfOutcome {
    /// The answer (§2.6).
    pub result: SpfResult,
    /// The `exp=` text of a `fail`, macros expanded (§6.2); `None` when there is no usable one.
    pub explanation: Option<String>,
    /// The term that decided the result (`-all`, `include:_spf.example.com`), or the one that
    /// failed; `None` when no mechanism matched.
    pub mechanism: Option<String>,
    /// What went wrong, for `permerror` and `temperror` (and for `none`: why there is no policy).
    pub problem: Option<String>,
    /// Every DNS query and term, in order.
    pub trace: Vec<SpfStep>,
    /// Which identity was checked.
    pub identity: Identity,
    /// The client's address, as given.
    pub client_ip: IpAddr,
    /// `<sender>` after initial processing (§4.3): `postmaster@…` if it had no local-part.
    pub sender: String,
    /// `<domain>` first checked.
    pub domain: String,
    /// The HELO/EHLO domain.
    pub helo: String,
    /// The name of the host doing the check (`%{r}`).
    pub receiver: String,
}

/// The verifier's own facts: its name (`%{r}`, §7.2) and the time (`%{t}`), which the
/// core cannot read from a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verifier<'a> {
    /// The receiving MTA's name; "unknown" if it has none (§7.3).
    pub receiver: &'a str,
    /// Seconds since the Epoch at the time of the check.
    pub now: u64,
}

impl Default for Verifier<'_> {
    fn default() -> Self {
        Self { receiver: "unknown", now: 0 }
    }
}

impl Verifier<'_> {
    /// `check_host(<ip>, <domain>, <sender>)` (§4), with `helo` for `%{h}`. A `sender` without
    /// a local-part (`@example.com`, `example.com`) is checked as `postmaster@…` (§4.3).
    pub fn check_host(
        &self,
        resolver: &mut dyn Resolver,
        ip: IpAddr,
        domain: &str,
        sender: &str,
        helo: &str,
    ) -> SpfOutcome {
        eval::run(self, resolver, Identity::MailFrom, ip, domain, sender, helo)
    }

    /// Checks the `MAIL FROM` identity (§2.4): the reverse-path's domain, or, for the null
    /// reverse-path `<>`, `postmaster@<helo>`. `mail_from` is the mailbox without angle
    /// brackets (`user@example.com`), empty for the null reverse-path.
    pub fn check_mail_from(
        &self,
        resolver: &mut dyn Resolver,
        ip: IpAddr,
        mail_from: &str,
        helo: &str,
    ) -> SpfOutcome {
        if mail_from.is_empty() {
            let sender = format!("postmaster@{helo}");
            return eval::run(self, resolver, Identity::MailFrom, ip, helo, &sender, helo);
        }
        let domain = mail_from.rsplit_once('@').map_or(mail_from, |(_, domain)| domain);
        eval::run(self, resolver, Identity::MailFrom, ip, domain, mail_from, helo)
    }

    /// Checks the `HELO` identity (§2.3): `check_host()` with `postmaster@<helo>`.
    pub fn check_helo(&self, resolver: &mut dyn Resolver, ip: IpAddr, helo: &str) -> SpfOutcome {
        let sender = format!("postmaster@{helo}");
        eval::run(self, resolver, Identity::Helo, ip, helo, &sender, helo)
    }
}

/// `check_host(<ip>, <domain>, <sender>)` (RFC 7208 §4) with the default [`Verifier`]
/// (receiver "unknown", time 0).
pub fn check_host(
    resolver: &mut dyn Resolver,
    ip: IpAddr,
    domain: &str,
    sender: &str,
    helo: &str,
) -> SpfOutcome {
    Verifier::default().check_host(resolver, ip, domain, sender, helo)
}

/// `<ip>` as SPF compares it: an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is IPv4
/// (RFC 7208 §5: "MUST still be considered an IPv4 address").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl From<IpAddr> for Client {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4),
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(Self::V6(v6), Self::V4),
        }
    }
}

impl Client {
    /// `%{i}`: the dotted quad, or the 32 nibbles of an IPv6 address separated by dots (§7.3).
    pub fn dotted(self) -> String {
        match self {
            Self::V4(v4) => v4.to_string(),
            Self::V6(v6) => {
                let nibbles: Vec<String> = v6
                    .octets()
                    .iter()
                    .flat_map(|byte| [byte >> 4, byte & 0x0f])
                    .map(|nibble| format!("{nibble:x}"))
                    .collect();
                nibbles.join(".")
            }
        }
    }

    /// `%{v}`: `in-addr` or `ip6`.
    pub fn version_label(self) -> &'static str {
        match self {
            Self::V4(_) => "in-addr",
            Self::V6(_) => "ip6",
        }
    }

    /// The name a PTR query for this address asks (§5.5): `…in-addr.arpa` or `…ip6.arpa`.
    pub fn reverse_name(self) -> String {
        let dotted = self.dotted();
        let reversed: Vec<&str> = dotted.split('.').rev().collect();
        format!("{}.{}.arpa", reversed.join("."), self.version_label())
    }

    /// The record type that holds this kind of address (§5).
    pub fn address_type(self) -> RecordType {
        match self {
            Self::V4(_) => RecordType::A,
            Self::V6(_) => RecordType::Aaaa,
        }
    }
}

impl fmt::Display for Client {
    /// `%{c}`: the dotted quad, or RFC 5952 text for IPv6 (§7.3).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(v4) => v4.fmt(f),
            Self::V6(v6) => v6.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_names_round_trip() {
        for result in SpfResult::ALL {
            assert_eq!(result.as_str().parse::<SpfResult>(), Ok(result));
            assert_eq!(result.to_string().to_uppercase().parse::<SpfResult>(), Ok(result));
        }
        assert!("unknown".parse::<SpfResult>().is_err());
    }

    #[test]
    fn client_forms() {
        let mapped = Client::from("::ffff:192.0.2.1".parse::<IpAddr>().expect("address"));
        assert_eq!(mapped, Client::V4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(mapped.reverse_name(), "1.2.0.192.in-addr.arpa");
        let v6 = Client::from("2001:db8::cb01".parse::<IpAddr>().expect("address"));
        assert_eq!(v6.to_string(), "2001:db8::cb01");
        assert_eq!(
            v6.reverse_name(),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        // Only ::ffff:0:0/96 is IPv4; the deprecated IPv4-compatible form stays IPv6.
        assert!(matches!(Client::from("::192.0.2.1".parse::<IpAddr>().expect("address")), Client::V6(_)));
    }
}
