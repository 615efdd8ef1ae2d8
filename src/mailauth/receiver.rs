//! The receiving side of mail authentication: SPF, DKIM and DMARC on one message, as an MX
//! runs them at the end of DATA (RFC 7489 §6.6.2), with every DNS question they asked and the
//! `Authentication-Results:` (RFC 8601) and `Received-SPF:` (RFC 7208 §9.1) fields that record
//! the results. The world shows the lookups and verdicts as steps; this only evaluates.

use std::net::IpAddr;

use super::check::Method;
use super::dkim::{self, DkimVerdict};
use super::dmarc::{self, DmarcOutcome, DmarcResult, RequestedPolicy};
use super::spf::{self, Purpose, SpfOutcome, Verifier};
use crate::dns::{Answer, DnsError, RecordType, Resolver, canonical_name};
use crate::message::{HeaderField, fold};
use crate::proto::{EnhancedStatusCode, Reply, ReplyCode};

/// A message as an MX has it at the end of DATA, and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// The MX's name: `%{r}` for SPF, the authserv-id of Authentication-Results.
    pub receiver: &'a str,
    /// Unix seconds, for SPF's `%{t}` and DKIM's `x=`.
    pub now: u64,
    /// The connecting client's address.
    pub client_ip: IpAddr,
    /// The EHLO/HELO name, empty if none was given.
    pub helo: &'a str,
    /// The MAIL FROM address, empty for the null reverse-path `<>`.
    pub mail_from: &'a str,
    /// The message as received (RFC 5322).
    pub data: &'a [u8],
}

/// One DNS question an authentication check asked, and the answer as shown.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub method: Method,
    pub name: String,
    pub record_type: RecordType,
    pub answer: String,
    /// For SPF, the rule that asked ([`assign_spf_purposes`]).
    pub purpose: Option<Purpose>,
}

impl Lookup {
    /// The section of the method's own RFC that makes this lookup.
    pub fn rfc(&self) -> String {
        match (self.method, self.purpose) {
            // Record lookup (§4.4), or the mechanism or modifier that needed the answer.
            (Method::Spf, Some(purpose)) => format!("RFC 7208 {}", purpose.section()),
            (Method::Spf, None) if self.record_type == RecordType::Txt => "RFC 7208 §4.4".to_owned(),
            (Method::Spf, None) => "RFC 7208 §5; §4.6.4".to_owned(),
            // The key record: a TXT record at selector._domainkey.domain.
            (Method::Dkim, _) => "RFC 6376 §3.6.2.2".to_owned(),
            // Policy discovery: _dmarc.<From: domain>, then the organizational domain.
            (Method::Dmarc, _) => "RFC 7489 §6.6.3".to_owned(),
        }
    }
}

/// Gives each SPF lookup the purpose the evaluation recorded for it: both lists are in the
/// order the questions were asked. A lookup the trace no longer holds (a hostile record cut
/// the trace short) keeps none.
fn assign_spf_purposes(lookups: &mut [Lookup], spf: &SpfOutcome) {
    let mut queries = spf.trace.iter().filter_map(|step| match &step.kind {
        spf::StepKind::Query { name, record_type, purpose, .. } => Some((name, *record_type, *purpose)),
        _ => None,
    });
    for lookup in lookups.iter_mut().filter(|l| l.method == Method::Spf) {
        let Some((name, record_type, purpose)) = queries.next() else { break };
        if canonical_name(name) == lookup.name && record_type == lookup.record_type {
            lookup.purpose = Some(purpose);
        }
    }
}

/// Characters of a DNS answer shown in one step.
const MAX_SHOWN_ANSWER: usize = 160;

/// A [`Resolver`] that asks another and writes down every question and answer.
struct Recording<'a> {
    resolver: &'a mut dyn Resolver,
    method: Method,
    lookups: &'a mut Vec<Lookup>,
}

impl Resolver for Recording<'_> {
    fn resolve(&mut self, name: &str, record_type: RecordType) -> Answer {
        let answer = self.resolver.resolve(name, record_type);
        let name = canonical_name(name);
        let shown = match &answer {
            Ok(records) if records.is_empty() => format!("{name}: no {record_type} record"),
            Ok(records) => {
                let all: Vec<String> = records.iter().map(|r| format!("{name} {r}")).collect();
                cut(&all.join(", "), MAX_SHOWN_ANSWER)
            }
            Err(DnsError::NxDomain) => format!("{name}: NXDOMAIN (no such name)"),
            Err(DnsError::Timeout) => format!("{name}: timeout"),
        };
        self.lookups.push(Lookup { method: self.method, name, record_type, answer: shown, purpose: None });
        answer
    }
}

/// What an authenticating MX found out about one message.
#[derive(Debug, Clone)]
pub struct AuthReport {
    pub spf: SpfOutcome,
    pub dkim: Vec<DkimVerdict>,
    pub dmarc: DmarcOutcome,
    pub lookups: Vec<Lookup>,
    /// The `Authentication-Results:` and `Received-SPF:` fields, folded, CRLF-terminated.
    pub fields: String,
    /// The 550 the MX answered instead of 250, for DMARC `p=reject`.
    pub rejected: Option<Reply>,
}

impl AuthReport {
    /// Whether the message goes into the Junk folder (DMARC `p=quarantine`).
    pub fn quarantined(&self) -> bool {
        self.dmarc.result == DmarcResult::Fail && self.dmarc.disposition == RequestedPolicy::Quarantine
    }
}

/// Runs SPF, DKIM and DMARC on one message as an MX does at the end of DATA (RFC 7489
/// §6.6.2), asking `resolver`; `sample` draws DMARC's `pct=` sampling (0–99).
pub fn authenticate(
    arrival: &Arrival<'_>,
    resolver: &mut dyn Resolver,
    sample: &mut dyn FnMut() -> u8,
) -> AuthReport {
    let mut lookups = Vec::new();
    let Arrival { receiver, now, client_ip: ip, helo, mail_from, data } = *arrival;

    // SPF for the MAIL FROM identity (RFC 7208 §2.4), which is what DMARC aligns.
    let verifier = Verifier { receiver, now };
    let spf = verifier.check_mail_from(
        &mut Recording { resolver, method: Method::Spf, lookups: &mut lookups },
        ip,
        mail_from,
        helo,
    );
    assign_spf_purposes(&mut lookups, &spf);
    // DKIM: every signature (RFC 6376 §6), with x= checked against the given clock.
    let dkim =
        dkim::verify_at(data, &mut Recording { resolver, method: Method::Dkim, lookups: &mut lookups }, now);
    // DMARC over both (RFC 7489 §6.6.2).
    let dmarc = dmarc::evaluate(
        &mut Recording { resolver, method: Method::Dmarc, lookups: &mut lookups },
        dmarc::author_domain(data),
        &spf,
        &dkim,
        sample,
    );

    let mut results = vec![spf.authentication_results()];
    if dkim.is_empty() {
        results.push("dkim=none (no signature)".into());
    }
    results.extend(dkim.iter().map(DkimVerdict::auth_results_entry));
    results.push(dmarc.auth_results_entry());
    // One result a line, as RFC 8601 §2.2's examples are laid out; should a line grow too
    // long for that, plain folding.
    let laid_out = format!("Authentication-Results: {receiver};\r\n {}\r\n", results.join(";\r\n "));
    let authentication_results = match HeaderField::parse(&laid_out) {
        Ok(field) => field.as_str().to_owned(),
        Err(_) => fold("Authentication-Results", &format!("{receiver}; {}", results.join("; "))),
    };
    let fields = format!("{authentication_results}{}", fold("Received-SPF", &spf.received_spf()));
    let rejected =
        (dmarc.result == DmarcResult::Fail && dmarc.disposition == RequestedPolicy::Reject).then(|| {
            let domain = dmarc.author_domain.clone().unwrap_or_default();
            Reply::with_enhanced(
                ReplyCode::new(550).unwrap_or(ReplyCode::SYNTAX_ERROR),
                EnhancedStatusCode::NOT_AUTHORIZED,
                format!("Email rejected per DMARC policy for {domain}"),
            )
        });
    AuthReport { spf, dkim, dmarc, lookups, fields, rejected }
}

/// `text` cut to `max` characters, with an ellipsis.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", text.get(..i).unwrap_or_default()),
        None => text.to_owned(),
    }
}
