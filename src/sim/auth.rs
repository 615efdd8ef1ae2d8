//! Email authentication in the simulated world: the sender's server signs with DKIM, a
//! mailing list changes the body, and the recipient's MX checks SPF, DKIM and DMARC at the
//! end of DATA and writes what it found into `Authentication-Results:` and `Received-SPF:`.
//!
//! SMTP itself never verifies who the sender is: MAIL FROM and From: are whatever the client
//! writes. AUTH proves a user to their own provider; SPF (RFC 7208), DKIM (RFC 6376) and
//! DMARC (RFC 7489) let a receiver check a message from elsewhere.
//!
//! Where the checks run: [`AuthPolicy`] wraps a host's [`MailPolicy`] and answers the
//! server session's end-of-data question ([`Policy::message`]), before the 250. So a DMARC
//! `p=reject` is a real `550 5.7.1` in the transcript, as OpenDMARC gives it at end of DATA
//! (RFC 7489 §10.3), and the sending client, not the MX, is left with the failure. The DNS
//! lookups the checks made are shown one after another on the DNS lane while the client waits;
//! the session's reply is held back until the last answer is in ([`World::report_auth`]).
//!
//! `p=quarantine` delivers into the recipient's `Junk` folder: the mailbox key
//! `bob@example.net/Junk`, which the inspector shows beside the inbox and POP3 leaves alone.
//!
//! The checks themselves are [`crate::mailauth`]'s ([`authenticate`] asks the world's zone);
//! this file puts them in a host's policy and shows what they did as steps.

use std::net::{IpAddr, Ipv4Addr};

use super::rng::Rng;
use super::world::World;
use crate::dns::{RecordType, Zone};
use crate::engine::{Envelope, Intervention, MailPolicy, Policy, SessionInfo, Verdict};
use crate::mailauth::check::{self, Check, Fact, Method, Row};
use crate::mailauth::dkim::{self, DkimFailure, DkimResult, DkimVerdict, SignParams};
use crate::mailauth::dmarc::{self, DmarcResult, RequestedPolicy};
use crate::mailauth::receiver::{Arrival, AuthReport, Lookup, authenticate};
use crate::mailauth::spf::{Purpose, SpfOutcome, SpfResult};
use crate::message::Message;
use crate::proto::{ForwardPath, MailParameters, RcptParameters, ReversePath, Verb};
use crate::timeline::{StepKind, Text};

/// The header fields a signing host lists in `h=`: what the reader sees and what identifies
/// the message (RFC 6376 §5.4.1). `from` twice, so that a second From: added later breaks the
/// signature instead of slipping in unsigned (§8.15).
pub const SIGNED_HEADERS: &[&str] = &["from", "to", "subject", "date", "message-id", "from"];

/// The mailbox folder that `p=quarantine` delivers into, after the mailbox key.
pub const JUNK_FOLDER: &str = "/Junk";

/// How many lookups of one check are drawn on the DNS lane; the rest are summed up. A
/// hostile SPF record may cause dozens (RFC 7208 §4.6.4 limits, not this).
const MAX_SHOWN_LOOKUPS: usize = 12;

/// A host's [`MailPolicy`] with the authentication checks added at the end of DATA.
pub(super) struct AuthPolicy<'a> {
    pub inner: &'a mut MailPolicy,
    pub zone: &'a mut Zone,
    pub rng: &'a mut Rng,
    /// The MX's name: `%{r}` for SPF, the authserv-id of Authentication-Results.
    pub receiver: &'a str,
    /// Unix seconds, for SPF's `%{t}` and DKIM's `x=`.
    pub now: u64,
    /// What each message's checks found, in the order of the session's messages.
    pub reports: &'a mut Vec<AuthReport>,
}

impl Policy for AuthPolicy<'_> {
    fn sender(&mut self, session: &SessionInfo, path: &ReversePath, params: &MailParameters) -> Verdict {
        self.inner.sender(session, path, params)
    }

    fn recipient(
        &mut self,
        session: &SessionInfo,
        sender: &ReversePath,
        path: &ForwardPath,
        params: &RcptParameters,
    ) -> Verdict {
        self.inner.recipient(session, sender, path, params)
    }

    fn authenticate(&mut self, session: &SessionInfo, user: &str, password: &str) -> bool {
        self.inner.authenticate(session, user, password)
    }

    /// Faults belong to the policy underneath; forwarding keeps them whichever wrapper is outermost.
    fn intervene(&mut self, session: &SessionInfo, verb: Verb) -> Intervention {
        self.inner.intervene(session, verb)
    }

    /// RFC 7489 §6.6.2 at the end of DATA: SPF and DKIM first, then DMARC over their results.
    fn message(&mut self, session: &SessionInfo, envelope: &Envelope, data: &[u8]) -> Verdict {
        if let Verdict::Reject(reply) = self.inner.message(session, envelope, data) {
            return Verdict::Reject(reply);
        }
        let client_ip = session.client_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let helo = session.helo.as_ref().map(ToString::to_string).unwrap_or_default();
        let mail_from = envelope.reverse_path.mailbox().map(ToString::to_string).unwrap_or_default();
        let arrival = Arrival {
            receiver: self.receiver,
            now: self.now,
            client_ip,
            helo: &helo,
            mail_from: &mail_from,
            data,
        };
        // DMARC's pct= sampling draws from the world's RNG.
        let rng = &mut *self.rng;
        let report = authenticate(&arrival, self.zone, &mut || u8::try_from(rng.below(100)).unwrap_or(0));
        let verdict = match &report.rejected {
            Some(reply) => Verdict::Reject(reply.clone()),
            None => Verdict::Accept,
        };
        self.reports.push(report);
        verdict
    }
}

impl World {
    /// Shows what an authenticating MX's checks did, as the client waits for its reply: for
    /// each check, its DNS questions and answers one after another, then the verdict. The
    /// session's replies are held until the last answer is in ([`Event::Release`]).
    ///
    /// [`Event::Release`]: super::world::Event::Release
    pub(super) fn report_auth(&mut self, conn: usize, server: usize, reports: Vec<AuthReport>) {
        let Some(c) = self.conns.get(conn).and_then(Option::as_ref) else { return };
        let now = self.now;
        let mut t = c.hold_until.max(now);
        for report in reports {
            for method in Method::ALL {
                let lookups: Vec<&Lookup> = report.lookups.iter().filter(|l| l.method == method).collect();
                for (i, lookup) in lookups.iter().take(MAX_SHOWN_LOOKUPS).enumerate() {
                    self.now = t;
                    self.auth_lookup_steps(server, lookup, i == 0);
                    t = t.saturating_add(self.latency.saturating_mul(2));
                }
                self.now = t;
                if let Some(extra) = lookups.len().checked_sub(MAX_SHOWN_LOOKUPS).filter(|&n| n > 0) {
                    self.note(server, StepKind::Note, None, format!("… and {extra} more DNS lookups for the same check").into(), "Each include:, a, mx and ptr term may cost a lookup; RFC 7208 §4.6.4 caps them at 10."
                            .into(), Some("RFC 7208 §4.6.4".into()));
                }
                match method {
                    Method::Spf => self.spf_note(server, &report.spf),
                    Method::Dkim => self.dkim_notes(server, &report.dkim),
                    Method::Dmarc => self.dmarc_note(server, &report),
                }
            }
            if report.rejected.is_none()
                && let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut)
            {
                c.pending_auth.push_back(report);
            }
        }
        self.now = now;
        if let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) {
            c.hold_until = t;
        }
        if t > now {
            self.schedule(t, super::world::Event::Release(conn));
        }
    }

    /// One lookup as a query and an answer on the DNS lane, at `self.now`; `first` is the
    /// check's first question. Both cite the rule of the method's own RFC that asks it.
    fn auth_lookup_steps(&mut self, host: usize, lookup: &Lookup, first: bool) {
        let (query, explanation) = match lookup.method {
            Method::Spf if lookup.record_type != RecordType::Txt || lookup.purpose == Some(Purpose::Explanation) => (
                format!("DNS query (SPF): {} {}?", lookup.record_type, lookup.name),
                spf_lookup_reason(lookup.purpose).to_owned(),
            ),
            Method::Spf if !first => (
                format!("DNS query (SPF): TXT {}?", lookup.name),
                "An include: or redirect= sends the check on to another domain's SPF record.".to_owned(),
            ),
            Method::Spf => (
                format!("DNS query (SPF): TXT {}?", lookup.name),
                "SPF: the MX asks for the SPF record (v=spf1 …) of the envelope sender's domain: the list of \
                 addresses allowed to send mail for it."
                    .to_owned(),
            ),
            Method::Dkim => (
                format!("DNS query (DKIM): TXT {}?", lookup.name),
                "DKIM: the signature names its domain (d=) and selector (s=); the public key is published at \
                 selector._domainkey.domain."
                    .to_owned(),
            ),
            Method::Dmarc => (
                format!("DNS query (DMARC): TXT {}?", lookup.name),
                "DMARC: the policy of the From: domain is published at _dmarc.<domain> (or at the \
                 organizational domain, if the From: domain has none)."
                    .to_owned(),
            ),
        };
        let rfc = Text::from(lookup.rfc());
        self.dns_step(
            host,
            true,
            query,
            explanation.into(),
            format!("{}. IN {} ?", lookup.name, lookup.record_type),
            rfc.clone(),
        );
        self.cache_answer(host, format!("{} {}", lookup.name, lookup.record_type), lookup.answer.clone());
        self.dns_step(
            host,
            false,
            format!("DNS answer: {}", lookup.answer),
            "The check goes on with this answer.".into(),
            lookup.answer.clone(),
            rfc,
        );
    }

    /// A verdict step that carries its check, row by row.
    fn check_step(
        &mut self,
        host: usize,
        wire: Option<&[u8]>,
        summary: String,
        explanation: String,
        rfc: String,
        check: Check,
    ) {
        let before = self.timeline.steps.len();
        self.note(host, StepKind::Note, wire, summary.into(), explanation.into(), Some(rfc.into()));
        // (At the step cap the note is left out: the check goes on no other step.)
        if self.timeline.steps.len() > before
            && let Some(step) = self.timeline.steps.last_mut()
        {
            step.check = Some(Box::new(check));
        }
    }

    fn spf_note(&mut self, host: usize, spf: &SpfOutcome) {
        let (ip, domain) = (spf.client_ip, &spf.domain);
        let mechanism = spf.mechanism.as_deref().unwrap_or("no mechanism matched");
        let summary = match spf.result {
            SpfResult::Pass => format!("SPF: {ip} is allowed to send for {domain} ({mechanism}) → pass"),
            SpfResult::Fail => format!("SPF: {ip} is not allowed to send for {domain} ({mechanism}) → fail"),
            SpfResult::SoftFail => {
                format!("SPF: {ip} is probably not allowed to send for {domain} ({mechanism}) → softfail")
            }
            SpfResult::Neutral => format!("SPF: {domain} says nothing about {ip} → neutral"),
            SpfResult::None => format!("SPF: {domain} publishes no SPF record → none"),
            SpfResult::TempError => format!("SPF: a DNS error while checking {domain} → temperror"),
            SpfResult::PermError => format!(
                "SPF: the SPF record of {domain} cannot be used ({}) → permerror",
                spf.problem.as_deref().unwrap_or("error")
            ),
        };
        let explanation = format!(
            "SPF checks the envelope sender (MAIL FROM {}) against the client's address, {ip}: may this \
             address send mail for {domain}? SMTP itself never checks.",
            if spf.sender.is_empty() { "<>".to_owned() } else { format!("<{}>", spf.sender) }
        );
        let check = Check {
            method: Method::Spf,
            verdict: spf.result.into(),
            subject: vec![
                Fact::new("envelope sender domain", domain.clone()),
                Fact::new("client IP", ip.to_string()),
            ],
            rows: spf.trace.iter().filter_map(crate::mailauth::spf::SpfStep::row).collect(),
        };
        let rfc = format!("RFC 7208 {}", spf.result.section());
        self.check_step(host, None, summary, explanation, rfc, check);
    }

    fn dkim_notes(&mut self, host: usize, verdicts: &[DkimVerdict]) {
        if verdicts.is_empty() {
            let check = Check {
                method: Method::Dkim,
                verdict: check::Verdict::None,
                subject: Vec::new(),
                rows: vec![
                    Row::new(Some("§6.1"), "DKIM-Signature", "no DKIM-Signature header field in the message")
                        .verdict(check::Verdict::None),
                ],
            };
            self.check_step(
                host,
                None,
                "DKIM: the message carries no DKIM-Signature → none".into(),
                "Nobody signed this message, so nothing vouches for its domain or its content.".into(),
                "RFC 6376 §6.1; RFC 8601 §2.7.1".into(),
                check,
            );
        }
        for verdict in verdicts {
            let d = verdict.domain.as_deref().unwrap_or("?");
            let s = verdict.selector.as_deref().unwrap_or("?");
            let summary = match verdict.failure() {
                None => format!("DKIM: the signature of {d} (s={s}) verifies → pass"),
                Some(DkimFailure::BodyHashMismatch { .. }) => {
                    "DKIM: body hash mismatch: the body changed after signing → fail".to_owned()
                }
                Some(DkimFailure::SignatureMismatch) => {
                    "DKIM: signature mismatch: a signed header field changed, or the key is not the signer's → fail"
                        .to_owned()
                }
                Some(failure) => format!("DKIM: {failure} → {}", failure.result()),
            };
            let explanation = if verdict.result() == DkimResult::Pass {
                format!(
                    "The signature of {d} verifies with the public key in DNS: {d} vouches for this message, and \
                     neither the body nor the signed header fields changed since it was signed."
                )
            } else {
                format!("The signature of {d} does not verify, so it vouches for nothing.")
            };
            let check = Check {
                method: Method::Dkim,
                verdict: verdict.result().into(),
                subject: vec![Fact::new("signing domain (d=)", d), Fact::new("selector (s=)", s)],
                rows: verdict.trace.clone(),
            };
            self.check_step(host, None, summary, explanation, "RFC 6376 §6.1".into(), check);
        }
    }

    fn dmarc_note(&mut self, host: usize, report: &AuthReport) {
        let (dmarc, rejected) = (&report.dmarc, report.rejected.as_ref());
        let domain = dmarc.author_domain.as_deref().unwrap_or("the From: domain");
        let policy = dmarc.policy.map(|p| p.as_str()).unwrap_or("none");
        let summary = match dmarc.result {
            DmarcResult::Pass => format!(
                "DMARC: {} authenticates {domain} → pass",
                dmarc.aligned.as_deref().unwrap_or("an aligned identifier")
            ),
            DmarcResult::Fail => {
                let action = match (dmarc.disposition, rejected) {
                    (RequestedPolicy::Reject, Some(reply)) => format!("the MX refuses it ({})", reply.code),
                    (RequestedPolicy::Quarantine, _) => "delivered to the Junk folder".to_owned(),
                    _ => "delivered, the result recorded".to_owned(),
                };
                format!(
                    "DMARC: neither SPF nor DKIM passed for a domain aligned with {domain}, policy {policy} → fail: \
                     {action}"
                )
            }
            DmarcResult::None => format!("DMARC: {} → none", dmarc.problem.as_deref().unwrap_or("no policy")),
            result => format!("DMARC: {} → {result}", dmarc.problem.as_deref().unwrap_or("error")),
        };
        let mut explanation =
            "DMARC ties the checks to the From: address the reader sees: it passes only if SPF or \
             DKIM passed for a domain aligned with From:, and the domain's policy says what to do otherwise."
                .to_owned();
        let rfc = match dmarc.result {
            DmarcResult::Fail if rejected.is_some() => "RFC 7489 §6.6.2, §10.3",
            DmarcResult::None => "RFC 7489 §6.6.3",
            _ => "RFC 7489 §6.6.2",
        };
        let mut rows = dmarc.trace.clone();
        // What the MX did with the disposition: refused at the end of DATA, or the Junk folder.
        match rejected {
            Some(reply) => rows.push(Row::new(
                Some("§10.3"),
                "reply",
                format!(
                    "{}: the MX refuses the message at the end of DATA, so the sending client is left with the \
                     failure",
                    match reply.enhanced {
                        Some(enhanced) => format!("{} {enhanced}", reply.code),
                        None => reply.code.to_string(),
                    }
                ),
            )),
            None if report.quarantined() => rows.push(Row::new(
                Some("§6.3"),
                "delivery",
                "into the recipient's Junk folder, where a quarantined message waits",
            )),
            None => {}
        }
        let mut subject = vec![Fact::new("From: domain", domain)];
        if let Some(policy) = dmarc.policy {
            subject.push(Fact::new("policy", format!("p={policy}")));
        }
        let check = Check { method: Method::Dmarc, verdict: dmarc.result.into(), subject, rows };
        // A refused message is never stored: the results it would have carried are shown
        // here, as the MX would log them.
        let wire = rejected.map(|_| {
            explanation.push_str(
                " The message is refused, so it is never stored; the results it would have carried are shown.",
            );
            report.fields.as_bytes()
        });
        self.check_step(host, wire, summary, explanation, rfc.into(), check);
    }

    /// Signs a message this host is about to queue, if it signs for the message's domain.
    pub(super) fn sign_outgoing(&mut self, host: usize, envelope: &Envelope, data: Vec<u8>) -> Vec<u8> {
        let Some(signing) = self.hosts.get(host).and_then(|h| h.config.auth.dkim_sign.clone()) else {
            return data;
        };
        // Never sign a bounce: it is the reporting MTA's, not the author domain's.
        let Some(sender) = envelope.reverse_path.mailbox() else { return data };
        let within = |domain: &str| {
            let (domain, d) = (domain.to_ascii_lowercase(), signing.domain.to_ascii_lowercase());
            domain == d || domain.ends_with(&format!(".{d}"))
        };
        let envelope_domain = sender.domain().map(|d| d.to_ascii().to_owned()).unwrap_or_default();
        let from_domain = dmarc::author_domain(&data).unwrap_or_default();
        if !within(&from_domain) && !within(&envelope_domain) {
            return data;
        }
        let name = self.name(host);
        let signed = signing.key.key().and_then(|key| {
            let mut params = SignParams::new(key, &signing.domain, &signing.selector, self.unix_now_u64());
            params.headers = SIGNED_HEADERS.iter().map(|&h| h.to_owned()).collect();
            dkim::sign(&data, &params)
        });
        match signed {
            Ok(field) => {
                let explanation = format!(
                    "{name} signs for {d} before the message leaves: bh= is the hash of the body, h= lists the \
                     header fields the signature covers, and b= is the signature over both, made with a private \
                     key whose public half anyone can fetch at {s}._domainkey.{d}. A receiver that checks it \
                     knows {d} sent this content; a change on the way breaks it.",
                    d = signing.domain,
                    s = signing.selector,
                );
                self.note(
                    host,
                    StepKind::Note,
                    Some(field.as_bytes()),
                    format!(
                        "{name} signs the message with DKIM (d={}, s={})",
                        signing.domain, signing.selector
                    )
                    .into(),
                    explanation.into(),
                    Some("RFC 6376 §5; RFC 8463".into()),
                );
                let mut out = field.as_bytes().to_vec();
                out.extend_from_slice(&data);
                out
            }
            Err(error) => {
                self.note(
                    host,
                    StepKind::Note,
                    None,
                    format!("{name} cannot sign the message: {error}").into(),
                    "The message goes out unsigned.".into(),
                    Some("RFC 6376 §5".into()),
                );
                data
            }
        }
    }

    /// Appends this host's footer line to the body, as a mailing list does.
    pub(super) fn tamper_outgoing(&mut self, host: usize, envelope: &Envelope, data: Vec<u8>) -> Vec<u8> {
        let Some(footer) = self.hosts.get(host).and_then(|h| h.config.auth.tamper_body.clone()) else {
            return data;
        };
        // A bounce (null reverse-path) is the host's own report: no footer.
        if envelope.reverse_path.mailbox().is_none() {
            return data;
        }
        let mut out = data;
        // A message without a body gets the empty line that starts one (RFC 5322 §2.1).
        let has_body = Message::parse(&out).is_ok_and(|m| !m.body().is_empty() || out.ends_with(b"\r\n\r\n"));
        if !out.is_empty() && !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        if !has_body {
            out.extend_from_slice(b"\r\n");
        }
        let line = format!("{footer}\r\n");
        out.extend_from_slice(line.as_bytes());
        let name = self.name(host);
        self.note(host, StepKind::Note, Some(line.as_bytes()), format!("{name} appends a footer to the body: {footer:?}").into(), "Mailing lists and some gateways add a footer (how to unsubscribe, a disclaimer) as they pass a \
             message on. A DKIM signature made before this covers the old body: its body hash (bh=) no longer \
             matches, and the signature fails."
                .into(), Some("RFC 6376 §3.7; Appendix B.2.3".into()));
        out
    }

    fn unix_now_u64(&self) -> u64 {
        u64::try_from(self.start_unix.saturating_add(i64::try_from(self.now / 1000).unwrap_or(i64::MAX)))
            .unwrap_or(0)
    }

    /// The session's checks for the message just accepted, if its MX authenticates.
    pub(super) fn take_auth_report(&mut self, conn: usize) -> Option<AuthReport> {
        self.conns.get_mut(conn).and_then(Option::as_mut).and_then(|c| c.pending_auth.pop_front())
    }
}

/// Why an SPF check asks DNS for something other than a domain's record.
fn spf_lookup_reason(purpose: Option<Purpose>) -> &'static str {
    match purpose {
        Some(Purpose::A) => {
            "The a mechanism matches if the client's address is one of this name's addresses: the MX asks DNS \
             for them."
        }
        Some(Purpose::Mx) => {
            "The mx mechanism matches if the client is one of the domain's mail exchangers: the MX asks for \
             their names, then for their addresses."
        }
        Some(Purpose::Ptr) => {
            "The ptr mechanism (RFC 7208 asks senders not to use it) looks up the client's name by its \
             address, then checks that the name leads back to the address."
        }
        Some(Purpose::Exists) => {
            "The exists mechanism matches if this name has an A record at all; macros in the name let a domain \
             answer per sender or per client."
        }
        Some(Purpose::Explanation) => {
            "The check failed, and the record's exp= names a TXT record holding the explanation to give the \
             sender."
        }
        Some(Purpose::ValidatedName) => {
            "The %{p} macro needs the client's validated name: a name its address points to that points back \
             to the address."
        }
        Some(Purpose::Record) | None => {
            "A mechanism of the SPF record (a, mx, ptr or exists) needs this answer to decide whether the \
             client's address matches."
        }
    }
}
