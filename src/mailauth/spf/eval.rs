//! The evaluation of `check_host()` (RFC 7208 §4–§6) over a [`Resolver`].
//!
//! One [`Engine`] serves a whole check: the DNS-lookup and void-lookup counters of §4.6.4
//! are global to the check, across every include and redirect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::macros::{MacroContext, MacroEnv, MacroLetter, MacroString};
use super::record::{Directive, DomainSpec, Mechanism, SpfRecord, is_spf1};
use super::{Client, Identity, Purpose, SpfOutcome, SpfResult, SpfStep, StepKind, TermOutcome, Verifier};
use crate::dns::{Answer, DnsError, Record, RecordType, Resolver};

/// DNS-querying terms allowed per check (§4.6.4).
const MAX_DNS_TERMS: u8 = 10;
/// Queries answering NODATA or NXDOMAIN allowed per check (§4.6.4).
const MAX_VOID_LOOKUPS: u8 = 2;
/// MX names an `mx` mechanism may look up (§4.6.4).
const MAX_MX_NAMES: usize = 10;
/// PTR names `ptr` and `%{p}` look at (§4.6.4); the rest are ignored.
const MAX_PTR_NAMES: usize = 10;
/// Nesting of include/redirect. The 10-term limit already stops at 11; this is a backstop.
const MAX_DEPTH: u8 = 12;
/// Bytes macro expansion may read and write in one check (see [`MacroString::expand`]).
const EXPANSION_BUDGET: usize = 256 * 1024;
/// Longest explanation kept (§6.2: implementations MAY limit it).
const MAX_EXPLANATION: usize = 1024;
/// Steps kept in the trace; a hostile record with 100 000 `ip4:` terms still ends the trace.
const MAX_TRACE_STEPS: usize = 500;
/// Characters of a DNS answer or record shown in one step.
const MAX_SHOWN: usize = 200;

/// Why evaluation stopped early: the two error results (§2.6.6, §2.6.7).
enum Abort {
    Temp(String),
    Perm(String),
}

/// The answer of one `check_host()` evaluation.
struct Verdict {
    result: SpfResult,
    mechanism: Option<String>,
    explanation: Option<String>,
    problem: Option<String>,
}

impl Verdict {
    fn new(result: SpfResult) -> Self {
        Self { result, mechanism: None, explanation: None, problem: None }
    }

    fn problem(result: SpfResult, problem: impl Into<String>) -> Self {
        Self { problem: Some(problem.into()), ..Self::new(result) }
    }
}

/// The validated names of `<ip>` (§5.5), found once per check and shared by `ptr` and `%{p}`.
#[derive(Clone)]
struct ReverseNames {
    names: Vec<String>,
    /// The PTR query answered NODATA or NXDOMAIN.
    void: bool,
}

struct Engine<'r> {
    resolver: &'r mut dyn Resolver,
    client: Client,
    sender: String,
    local_part: String,
    sender_domain: String,
    helo: String,
    receiver: String,
    now: u64,
    dns_terms: u8,
    void_lookups: u8,
    reverse: Option<ReverseNames>,
    budget: usize,
    trace: Vec<SpfStep>,
}

/// Runs a whole check and packs its outcome.
pub(super) fn run(
    verifier: &Verifier<'_>,
    resolver: &mut dyn Resolver,
    identity: Identity,
    ip: IpAddr,
    domain: &str,
    sender: &str,
    helo: &str,
) -> SpfOutcome {
    // §4.3: "If the <sender> has no local-part, substitute the string postmaster".
    let (local_part, sender_domain) = match sender.rsplit_once('@') {
        Some((local, domain)) => (local, domain),
        None => ("", sender),
    };
    let local_part = if local_part.is_empty() { "postmaster" } else { local_part };
    let sender = format!("{local_part}@{sender_domain}");
    let mut engine = Engine {
        resolver,
        client: Client::from(ip),
        local_part: local_part.to_owned(),
        sender_domain: sender_domain.to_owned(),
        sender: sender.clone(),
        helo: helo.to_owned(),
        receiver: verifier.receiver.to_owned(),
        now: verifier.now,
        dns_terms: 0,
        void_lookups: 0,
        reverse: None,
        budget: EXPANSION_BUDGET,
        trace: Vec::new(),
    };
    let verdict = engine.check_host(domain, 0, true);
    SpfOutcome {
        result: verdict.result,
        explanation: verdict.explanation,
        mechanism: verdict.mechanism,
        problem: verdict.problem,
        trace: engine.trace,
        identity,
        client_ip: ip,
        sender,
        domain: domain.to_owned(),
        helo: helo.to_owned(),
        receiver: verifier.receiver.to_owned(),
    }
}

impl Engine<'_> {
    /// One `check_host()` evaluation, recorded with its result.
    fn check_host(&mut self, domain: &str, depth: u8, want_explanation: bool) -> Verdict {
        let verdict = self.evaluate(domain, depth, want_explanation);
        let mut text = format!("{}: SPF result {}", shown(domain), verdict.result);
        if let Some(problem) = &verdict.problem {
            text.push_str(&format!(" ({problem})"));
        }
        let kind = StepKind::Result {
            domain: domain.to_owned(),
            result: verdict.result,
            problem: verdict.problem.clone(),
        };
        self.step(depth, kind, text);
        verdict
    }

    fn evaluate(&mut self, domain: &str, depth: u8, want_explanation: bool) -> Verdict {
        // 1. Initial processing (§4.3).
        if let Err(why) = check_domain(domain) {
            let why = format!("'{}' is not a domain SPF can check: {why}", shown(domain));
            self.note(depth, why.clone());
            return Verdict::problem(SpfResult::None, why);
        }
        if depth > MAX_DEPTH {
            return Verdict::problem(SpfResult::PermError, "includes and redirects nest too deep");
        }
        // 2. Record lookup: TXT only (§4.4).
        let records = match self.query(depth, domain, RecordType::Txt, Purpose::Record) {
            Ok(records) => records,
            Err(DnsError::NxDomain) => return Verdict::problem(SpfResult::None, "the domain does not exist"),
            Err(DnsError::Timeout) => {
                return Verdict::problem(SpfResult::TempError, "the TXT lookup for the SPF record failed");
            }
        };
        // 3. Record selection: exactly one record starting "v=spf1" (§4.5).
        let spf: Vec<String> = records.iter().filter_map(Record::txt_joined).filter(|t| is_spf1(t)).collect();
        let text = match spf.as_slice() {
            [] => return Verdict::problem(SpfResult::None, "no TXT record starts with \"v=spf1\""),
            [text] => text,
            _ => return Verdict::problem(SpfResult::PermError, "more than one \"v=spf1\" record"),
        };
        // 4. Syntax check of the whole record before any evaluation (§4.6).
        let record = match SpfRecord::parse(text) {
            Ok(record) => record,
            Err(error) => {
                let problem = format!("syntax error in {}'s record: {error}", shown(domain));
                self.note(depth, problem.clone());
                return Verdict::problem(SpfResult::PermError, problem);
            }
        };
        self.step(
            depth,
            StepKind::Record { domain: domain.to_owned(), record: text.clone() },
            format!("{} publishes \"{}\"", shown(domain), shown(text)),
        );
        // 5. Mechanisms, left to right; the first match decides (§4.6.2).
        for directive in record.directives() {
            let term = directive.to_string();
            match self.mechanism(directive, domain, depth) {
                Ok(false) => {}
                Ok(true) => {
                    let result = directive.qualifier().result();
                    let explanation = match (result, want_explanation) {
                        (SpfResult::Fail, true) => {
                            self.explanation(record.explanation(), domain, depth.saturating_add(1))
                        }
                        _ => None,
                    };
                    return Verdict { result, mechanism: Some(term), explanation, problem: None };
                }
                Err(Abort::Temp(problem)) => {
                    return Verdict {
                        mechanism: Some(term),
                        ..Verdict::problem(SpfResult::TempError, problem)
                    };
                }
                Err(Abort::Perm(problem)) => {
                    return Verdict {
                        mechanism: Some(term),
                        ..Verdict::problem(SpfResult::PermError, problem)
                    };
                }
            }
        }
        // 6. No mechanism matched: redirect= if present (§6.1), else neutral (§4.7).
        let Some(spec) = record.redirect() else {
            self.note(
                depth,
                "no mechanism matched, and there is no redirect=: the default result is neutral",
            );
            return Verdict::new(SpfResult::Neutral);
        };
        let term = format!("redirect={spec}");
        // The redirect's row comes before the rows of the record it leads to.
        let slot = self.reserve(depth);
        let target = self
            .count_dns_term(depth, &term)
            .and_then(|()| self.target_name(Some(spec), domain, depth.saturating_add(1)));
        let (outcome, detail) = match &target {
            Ok(Some(target)) => (
                TermOutcome::Redirect,
                format!("no mechanism matched: {} hands the decision to {}", shown(domain), shown(target)),
            ),
            Ok(None) => {
                (TermOutcome::Error(SpfResult::PermError), "the redirect= target is not a valid name".into())
            }
            Err(Abort::Perm(problem) | Abort::Temp(problem)) => {
                (TermOutcome::Error(SpfResult::PermError), problem.clone())
            }
        };
        let kind = StepKind::Term { term, section: "§6.1".into(), outcome, detail: detail.clone() };
        self.fill(slot, depth, kind, detail.clone());
        let target = match target {
            Ok(Some(target)) => target,
            Ok(None) | Err(_) => return Verdict::problem(SpfResult::PermError, detail),
        };
        // The redirected record's own exp= applies, never this one's (§6.2).
        let verdict = self.check_host(&target, depth.saturating_add(1), want_explanation);
        if verdict.result == SpfResult::None {
            let problem = format!("redirect= target {} has no SPF record", shown(&target));
            return Verdict::problem(SpfResult::PermError, problem);
        }
        verdict
    }

    /// Evaluates one mechanism: match, no match, or an error (§5). Its step comes first in
    /// the trace, before the lookups and the included record's steps that decided it.
    fn mechanism(&mut self, directive: &Directive, domain: &str, depth: u8) -> Result<bool, Abort> {
        let term = directive.to_string();
        let slot = self.reserve(depth);
        let evaluated = self.compare(directive, domain, depth);
        let (outcome, detail, said) = match &evaluated {
            Ok((true, why)) => {
                let result = directive.qualifier().result();
                (TermOutcome::Match(result), why.clone(), format!("match: the result is {result}"))
            }
            Ok((false, why)) => {
                (TermOutcome::NoMatch, why.clone(), "no match, on to the next term".to_owned())
            }
            Err(Abort::Temp(problem)) => {
                (TermOutcome::Error(SpfResult::TempError), problem.clone(), "temperror".to_owned())
            }
            Err(Abort::Perm(problem)) => {
                (TermOutcome::Error(SpfResult::PermError), problem.clone(), "permerror".to_owned())
            }
        };
        let description = format!("{term}: {detail} — {said}");
        let section = directive.mechanism.section().to_owned();
        self.fill(slot, depth, StepKind::Term { term, section, outcome, detail }, description);
        evaluated.map(|(matched, _)| matched)
    }

    /// Whether the client matches a mechanism, and what it was compared with, in words. Its
    /// lookups and notes are one level deeper than the term.
    fn compare(&mut self, directive: &Directive, domain: &str, depth: u8) -> Result<(bool, String), Abort> {
        let term = directive.to_string();
        let mechanism = &directive.mechanism;
        if mechanism.queries_dns() {
            self.count_dns_term(depth, &term)?;
        }
        let inner = depth.saturating_add(1);
        let client = self.client;
        let (matched, why) = match mechanism {
            Mechanism::All => (true, "\"all\" matches every client".to_owned()),
            Mechanism::Ip4 { network, prefix } => {
                let prefix = prefix.unwrap_or(32);
                match client {
                    Client::V4(ip) => {
                        let m = in_v4_network(ip, *network, prefix);
                        (m, format!("{ip} is {}in {network}/{prefix}", if m { "" } else { "not " }))
                    }
                    Client::V6(_) => (false, "an IPv6 client never matches ip4:".to_owned()),
                }
            }
            Mechanism::Ip6 { network, prefix } => {
                let prefix = prefix.unwrap_or(128);
                match client {
                    Client::V6(ip) => {
                        let m = in_v6_network(ip, *network, prefix);
                        (m, format!("{ip} is {}in {network}/{prefix}", if m { "" } else { "not " }))
                    }
                    Client::V4(_) => (false, "an IPv4 client never matches ip6:".to_owned()),
                }
            }
            Mechanism::A { domain: spec, cidr } => match self.target_name(spec.as_ref(), domain, inner)? {
                None => (false, "the name is not a valid domain name, so it has no addresses".to_owned()),
                Some(target) => {
                    let addresses = self.addresses(inner, &target, true, Purpose::A)?;
                    let m = addresses.iter().any(|a| client_in(client, a, cidr.ip4, cidr.ip6));
                    (
                        m,
                        format!(
                            "{client} is {}one of {}'s addresses",
                            if m { "" } else { "not " },
                            shown(&target)
                        ),
                    )
                }
            },
            Mechanism::Mx { domain: spec, cidr } => match self.target_name(spec.as_ref(), domain, inner)? {
                None => {
                    (false, "the name is not a valid domain name, so it has no mail exchangers".to_owned())
                }
                Some(target) => {
                    let m = self.mx(inner, &target, cidr.ip4, cidr.ip6)?;
                    let not = if m { "" } else { "not " };
                    (m, format!("{client} is {not}an address of {}'s mail exchangers", shown(&target)))
                }
            },
            Mechanism::Ptr(spec) => match self.target_name(spec.as_ref(), domain, inner)? {
                None => (false, "the name is not a valid domain name".to_owned()),
                Some(target) => {
                    let reverse = self.reverse_names(inner, Purpose::Ptr)?;
                    if reverse.void {
                        self.void_lookup(inner)?;
                    }
                    let found = reverse.names.iter().find(|name| within(name, &target));
                    match found {
                        Some(name) => {
                            (true, format!("{client} has the validated name {name}, within {target}"))
                        }
                        None => {
                            (false, format!("no validated name of {client} is within {}", shown(&target)))
                        }
                    }
                }
            },
            Mechanism::Exists(spec) => match self.target_name(Some(spec), domain, inner)? {
                None => (false, "the name is not a valid domain name, so it does not exist".to_owned()),
                Some(target) => {
                    // Always an A query, even for an IPv6 client (§5.7).
                    let m = match self.query(inner, &target, RecordType::A, Purpose::Exists) {
                        Err(DnsError::Timeout) => return Err(temp_error(&target, RecordType::A)),
                        Ok(records) if records.iter().any(|r| matches!(r, Record::A(_))) => true,
                        _ => {
                            self.void_lookup(inner)?;
                            false
                        }
                    };
                    (m, format!("{} {} an A record", shown(&target), if m { "has" } else { "has no" }))
                }
            },
            Mechanism::Include(spec) => match self.target_name(Some(spec), domain, inner)? {
                None => return Err(Abort::Perm("the include: target is not a valid name".to_owned())),
                Some(target) => {
                    // The included record's exp= is never used (§6.2).
                    let verdict = self.check_host(&target, depth.saturating_add(1), false);
                    match verdict.result {
                        SpfResult::Pass => (true, format!("{} passes the client", shown(&target))),
                        SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => (
                            false,
                            format!(
                                "{} says {}: include matches only on pass",
                                shown(&target),
                                verdict.result
                            ),
                        ),
                        SpfResult::TempError => {
                            return Err(Abort::Temp(
                                verdict.problem.unwrap_or_else(|| "temporary error".into()),
                            ));
                        }
                        SpfResult::PermError => {
                            return Err(Abort::Perm(
                                verdict.problem.unwrap_or_else(|| "permanent error".into()),
                            ));
                        }
                        SpfResult::None => {
                            return Err(Abort::Perm(format!(
                                "include: target {} has no SPF record",
                                shown(&target)
                            )));
                        }
                    }
                }
            },
        };
        Ok((matched, why))
    }

    /// `mx` (§5.4): the MX names of `target`, then their addresses.
    fn mx(&mut self, depth: u8, target: &str, ip4: Option<u8>, ip6: Option<u8>) -> Result<bool, Abort> {
        let exchanges: Vec<String> = match self.query(depth, target, RecordType::Mx, Purpose::Mx) {
            Err(DnsError::Timeout) => return Err(temp_error(target, RecordType::Mx)),
            Err(DnsError::NxDomain) => Vec::new(),
            Ok(records) => records
                .into_iter()
                .filter_map(|r| if let Record::Mx { exchange, .. } = r { Some(exchange) } else { None })
                .collect(),
        };
        if exchanges.is_empty() {
            self.void_lookup(depth)?;
            return Ok(false);
        }
        if exchanges.len() > MAX_MX_NAMES {
            return Err(Abort::Perm(format!(
                "{} has {} MX records; SPF looks up at most {MAX_MX_NAMES} (RFC 7208 §4.6.4)",
                shown(target),
                exchanges.len()
            )));
        }
        for exchange in exchanges {
            // A null MX (RFC 7505) names no host.
            if exchange.trim_end_matches('.').is_empty() {
                continue;
            }
            let addresses = self.addresses(depth, &exchange, false, Purpose::Mx)?;
            if addresses.iter().any(|a| client_in(self.client, a, ip4, ip6)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The A or AAAA records of `name`, whichever the client's family needs (§5).
    /// A timeout is a temperror; NXDOMAIN is no records (§5).
    fn addresses(
        &mut self,
        depth: u8,
        name: &str,
        counts_as_void: bool,
        purpose: Purpose,
    ) -> Result<Vec<Record>, Abort> {
        let record_type = self.client.address_type();
        let records = match self.query(depth, name, record_type, purpose) {
            Err(DnsError::Timeout) => return Err(temp_error(name, record_type)),
            Err(DnsError::NxDomain) => Vec::new(),
            Ok(records) => records.into_iter().filter(|r| r.record_type() == record_type).collect(),
        };
        if records.is_empty() && counts_as_void {
            self.void_lookup(depth)?;
        }
        Ok(records)
    }

    /// The validated names of `<ip>` (§5.5): PTR names (the first 10) whose own addresses
    /// include `<ip>`. DNS errors are not fatal here: a failed PTR query gives no names, a
    /// failed address query skips that name.
    fn reverse_names(&mut self, depth: u8, purpose: Purpose) -> Result<ReverseNames, Abort> {
        if let Some(reverse) = &self.reverse {
            let reverse = reverse.clone();
            self.note(
                depth,
                format!("reusing the validated names of {}: {}", self.client, list(&reverse.names)),
            );
            return Ok(reverse);
        }
        self.note(
            depth,
            format!(
                "finding the validated names of {} (§5.5): its PTR names whose addresses lead back to it",
                self.client
            ),
        );
        let reverse_name = self.client.reverse_name();
        let (ptr_names, void) = match self.query(depth, &reverse_name, RecordType::Ptr, purpose) {
            Ok(records) => {
                let names: Vec<String> = records
                    .into_iter()
                    .filter_map(|r| if let Record::Ptr(name) = r { Some(name) } else { None })
                    .collect();
                let void = names.is_empty();
                (names, void)
            }
            Err(DnsError::NxDomain) => (Vec::new(), true),
            Err(DnsError::Timeout) => (Vec::new(), false),
        };
        if ptr_names.len() > MAX_PTR_NAMES {
            self.note(
                depth,
                format!("{} PTR names: only the first {MAX_PTR_NAMES} are checked (§4.6.4)", ptr_names.len()),
            );
        }
        let mut names = Vec::new();
        for name in ptr_names.into_iter().take(MAX_PTR_NAMES) {
            let name = name.trim_end_matches('.').to_owned();
            let record_type = self.client.address_type();
            let Ok(records) = self.query(depth, &name, record_type, purpose) else { continue };
            if records.iter().any(|r| client_in(self.client, r, None, None)) {
                names.push(name);
            }
        }
        self.note(depth, format!("validated names of {}: {}", self.client, list(&names)));
        let reverse = ReverseNames { names, void };
        self.reverse = Some(reverse.clone());
        Ok(reverse)
    }

    /// `%{p}` (§7.3): `<domain>` itself if validated, else a subdomain of it, else any
    /// validated name, else "unknown".
    fn validated_name(&mut self, domain: &str, depth: u8) -> Result<String, Abort> {
        let names = self.reverse_names(depth, Purpose::ValidatedName)?.names;
        let pick = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(domain.trim_end_matches('.')))
            .or_else(|| names.iter().find(|n| within(n, domain)))
            .or_else(|| names.first());
        Ok(pick.cloned().unwrap_or_else(|| "unknown".to_owned()))
    }

    /// Expands a macro-string with this check's values; `%{p}` is looked up only if used.
    fn expand(
        &mut self,
        string: &MacroString,
        domain: &str,
        depth: u8,
        as_domain: bool,
    ) -> Result<String, Abort> {
        let validated_name = if string.uses(MacroLetter::ValidatedName) {
            self.validated_name(domain, depth)?
        } else {
            String::new()
        };
        let env = MacroEnv {
            sender: &self.sender,
            local_part: &self.local_part,
            sender_domain: &self.sender_domain,
            domain,
            client: self.client,
            helo: &self.helo,
            validated_name: &validated_name,
            receiver: &self.receiver,
            now: self.now,
        };
        let expanded = if as_domain {
            string.expand_domain(&env, &mut self.budget)
        } else {
            string.expand(&env, &mut self.budget)
        };
        expanded.map_err(|error| Abort::Perm(error.to_string()))
    }

    /// `<target-name>` (§4.8): the expanded domain-spec, or `<domain>` when there is none.
    /// `None` for a name DNS cannot hold (empty or over-long labels): RFC 7208 leaves that
    /// undefined, and treating it as non-existent is one of the two readings it allows.
    fn target_name(
        &mut self,
        spec: Option<&DomainSpec>,
        domain: &str,
        depth: u8,
    ) -> Result<Option<String>, Abort> {
        let Some(spec) = spec else { return Ok(Some(domain.trim_end_matches('.').to_owned())) };
        let target = self.expand(spec.macro_string(), domain, depth, true)?;
        if is_queryable(&target) {
            Ok(Some(target))
        } else {
            self.note(
                depth,
                format!("'{}' is not a valid domain name: treated as non-existent", shown(&target)),
            );
            Ok(None)
        }
    }

    /// The `exp=` explanation (§6.2). Any problem means "as if no exp modifier was given".
    fn explanation(&mut self, spec: Option<&DomainSpec>, domain: &str, depth: u8) -> Option<String> {
        let spec = spec?;
        let ignored = |engine: &mut Self, why: String| {
            engine.note(depth, format!("exp={spec} ignored: {why}"));
            None
        };
        let target = match self.target_name(Some(spec), domain, depth) {
            Ok(Some(target)) => target,
            Ok(None) => return ignored(self, "not a valid name".to_owned()),
            Err(Abort::Perm(why) | Abort::Temp(why)) => return ignored(self, why),
        };
        // The exp= query counts against no limit (§4.6.4).
        let records = match self.query(depth, &target, RecordType::Txt, Purpose::Explanation) {
            Ok(records) => records,
            Err(error) => return ignored(self, format!("the TXT query answered {error}")),
        };
        let texts: Vec<String> = records.iter().filter_map(Record::txt_joined).collect();
        let [text] = texts.as_slice() else {
            return ignored(self, format!("{} TXT records instead of exactly one", texts.len()));
        };
        let string = match MacroString::parse(text, MacroContext::Explanation) {
            Ok(string) => string,
            Err(error) => return ignored(self, format!("the explanation is not valid: {error}")),
        };
        let explanation = match self.expand(&string, domain, depth, false) {
            Ok(explanation) if explanation.is_ascii() => explanation,
            Ok(_) => return ignored(self, "the explanation is not US-ASCII".to_owned()),
            Err(Abort::Perm(why) | Abort::Temp(why)) => return ignored(self, why),
        };
        let explanation = match explanation.get(..MAX_EXPLANATION) {
            Some(cut) if explanation.len() > MAX_EXPLANATION => cut.to_owned(),
            _ => explanation,
        };
        self.note(depth, format!("explanation from {}: \"{}\"", shown(&target), shown(&explanation)));
        Some(explanation)
    }

    /// Counts a DNS-querying term (§4.6.4).
    fn count_dns_term(&mut self, depth: u8, term: &str) -> Result<(), Abort> {
        self.dns_terms = self.dns_terms.saturating_add(1);
        if self.dns_terms > MAX_DNS_TERMS {
            let problem = format!(
                "'{}' would be DNS-querying term number {}; RFC 7208 §4.6.4 allows {MAX_DNS_TERMS} per check",
                shown(term),
                self.dns_terms
            );
            self.note(depth, problem.clone());
            return Err(Abort::Perm(problem));
        }
        Ok(())
    }

    /// Counts a query that answered NODATA or NXDOMAIN (§4.6.4).
    fn void_lookup(&mut self, depth: u8) -> Result<(), Abort> {
        self.void_lookups = self.void_lookups.saturating_add(1);
        if self.void_lookups > MAX_VOID_LOOKUPS {
            let problem = format!(
                "more than {MAX_VOID_LOOKUPS} lookups found nothing (the void-lookup limit of §4.6.4)"
            );
            self.note(depth, problem.clone());
            return Err(Abort::Perm(problem));
        }
        Ok(())
    }

    /// Asks the resolver, and records the question, why it was asked and the answer.
    fn query(&mut self, depth: u8, name: &str, record_type: RecordType, purpose: Purpose) -> Answer {
        let answer = self.resolver.resolve(name, record_type);
        let said = describe(&answer, record_type);
        let description = format!("DNS {record_type} {}? {said}", shown(name));
        self.step(
            depth,
            StepKind::Query { name: name.to_owned(), record_type, purpose, answer: said },
            description,
        );
        answer
    }

    fn note(&mut self, depth: u8, description: impl Into<String>) {
        self.step(depth, StepKind::Note, description.into());
    }

    fn step(&mut self, depth: u8, kind: StepKind, description: String) {
        if self.trace.len() < MAX_TRACE_STEPS {
            self.trace.push(SpfStep { depth, kind, description });
        } else if self.trace.len() == MAX_TRACE_STEPS {
            let description = format!("… the trace stops here ({MAX_TRACE_STEPS} steps); evaluation goes on");
            self.trace.push(SpfStep { depth, kind: StepKind::Note, description });
        }
    }

    /// Keeps a place in the trace for a step whose outcome is known only after the steps
    /// it leads to; [`Engine::fill`] writes it. `None` when the trace is full.
    fn reserve(&mut self, depth: u8) -> Option<usize> {
        (self.trace.len() < MAX_TRACE_STEPS).then(|| {
            self.trace.push(SpfStep { depth, kind: StepKind::Note, description: String::new() });
            self.trace.len() - 1
        })
    }

    /// Writes a reserved step, or adds it at the end if there was no room to reserve one.
    fn fill(&mut self, slot: Option<usize>, depth: u8, kind: StepKind, description: String) {
        match slot.and_then(|i| self.trace.get_mut(i)) {
            Some(step) => *step = SpfStep { depth, kind, description },
            None => self.step(depth, kind, description),
        }
    }
}

fn temp_error(name: &str, record_type: RecordType) -> Abort {
    Abort::Temp(format!("the {record_type} lookup for {} failed", shown(name)))
}

/// Initial processing (§4.3): a multi-label domain name with labels of 1–63 octets.
fn check_domain(domain: &str) -> Result<(), &'static str> {
    let name = domain.strip_suffix('.').unwrap_or(domain);
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.starts_with('[') {
        return Err("it is an address literal, not a domain name");
    }
    if !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("it contains spaces, control or non-ASCII characters (IDNs must be A-labels)");
    }
    if name.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    if name.split('.').any(str::is_empty) {
        return Err("it has an empty label");
    }
    if name.split('.').any(|label| label.len() > 63) {
        return Err("it has a label longer than 63 characters");
    }
    if !name.contains('.') {
        return Err("it is not a multi-label domain name");
    }
    Ok(())
}

/// Whether an expanded `<target-name>` can be put in a DNS query: labels of 1–63 octets.
fn is_queryable(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(|label| (1..=63).contains(&label.len()))
}

/// `name` is `domain` or a subdomain of it, case-insensitively (§5.5).
fn within(name: &str, domain: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    name == domain || name.strip_suffix(&domain).is_some_and(|head| head.ends_with('.'))
}

/// Whether the client is in the network of an A/AAAA record, with the mechanism's prefix
/// lengths (§5).
fn client_in(client: Client, record: &Record, ip4: Option<u8>, ip6: Option<u8>) -> bool {
    match (client, record) {
        (Client::V4(ip), Record::A(network)) => in_v4_network(ip, *network, ip4.unwrap_or(32)),
        (Client::V6(ip), Record::Aaaa(network)) => in_v6_network(ip, *network, ip6.unwrap_or(128)),
        _ => false,
    }
}

fn in_v4_network(ip: Ipv4Addr, network: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32u32.saturating_sub(u32::from(prefix))).unwrap_or(0);
    u32::from(ip) & mask == u32::from(network) & mask
}

fn in_v6_network(ip: Ipv6Addr, network: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128u32.saturating_sub(u32::from(prefix))).unwrap_or(0);
    u128::from(ip) & mask == u128::from(network) & mask
}

/// A DNS answer in a few words.
fn describe(answer: &Answer, record_type: RecordType) -> String {
    match answer {
        Err(DnsError::NxDomain) => "NXDOMAIN: the name does not exist".to_owned(),
        Err(DnsError::Timeout) => "no answer (timeout or server failure)".to_owned(),
        Ok(records) if records.is_empty() => format!("no {record_type} records (NODATA)"),
        Ok(records) => {
            let shown_records: Vec<String> = records.iter().take(5).map(|r| shown(&r.to_string())).collect();
            let more = records.len().saturating_sub(5);
            let mut text = shown_records.join(", ");
            if more > 0 {
                text.push_str(&format!(" and {more} more"));
            }
            text
        }
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

/// `text`, cut to [`MAX_SHOWN`] characters for the trace.
fn shown(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
