//! What a mail server does with a message after its 250: final delivery into a mailbox
//! for its own domains, or the queue for everything else; MX lookup (RFC 5321 §5.1, null
//! MX of RFC 7505), trying each MX in preference order, retries on a schedule, and
//! delivery status notifications (RFC 3461, RFC 3464) when it gives up or when asked.
//!
//! The relay sits above the sessions: it opens its delivery connections through them
//! ([`super::session`]), and they hand it accepted messages and finished sessions through
//! [`Delivery`], which it implements.

use std::net::IpAddr;

use super::auth::JUNK_FOLDER;
use super::queue::{self, Heard, Job, JobStage, QueueEntry};
use super::session::Delivery;
use super::world::{ClientEnd, Event, Stored, World, mailbox_key};
use crate::dns::{DnsError, Record, RecordType, Resolver, canonical_name};
use crate::engine::{
    ClientConfig, ClientEvent, ClientSession, Envelope, ReceivedMessage, Recipient, RecipientStatus, TlsMode,
};
use crate::mailauth::receiver::AuthReport;
use crate::message::date::DateTime;
use crate::message::dsn::{
    Action, DeliveryReport, RecipientStatus as DsnRecipient, Return, TypedValue, build_dsn,
};
use crate::message::header::fold;
use crate::message::trace::{Protocol, Received, TcpInfo, return_path_field};
use crate::proto::{EnhancedStatusCode, ForwardPath, Host, Reply, ReplyCode, Ret, ReversePath};
use crate::timeline::{Millis, StepKind};

/// What the routing lookups (MX, then the exchanger's address) cite.
const ROUTING_LOOKUP_RFC: &str = "RFC 5321 §5.1";

fn local_reply(code: u16, status: EnhancedStatusCode, text: String) -> Reply {
    Reply::with_enhanced(ReplyCode::new(code).unwrap_or(ReplyCode::SYNTAX_ERROR), status, text)
}

fn status_of(reply: &Reply) -> EnhancedStatusCode {
    reply.enhanced.unwrap_or(if reply.code.is_permanent() {
        EnhancedStatusCode::new(crate::proto::StatusClass::PermanentFailure, 0, 0)
            .unwrap_or(EnhancedStatusCode::OK)
    } else {
        EnhancedStatusCode::new(crate::proto::StatusClass::PersistentTransientFailure, 0, 0)
            .unwrap_or(EnhancedStatusCode::OK)
    })
}

/// The unix time at virtual time `at` of a world that began at `start_unix`; saturates
/// rather than overflows (a scenario may start at any i64).
fn unix_at(start_unix: i64, at: Millis) -> i64 {
    start_unix.saturating_add(i64::try_from(at / 1000).unwrap_or(i64::MAX))
}

/// What the sessions hand up ([`Delivery`]): an accepted message is stored or queued here,
/// and the end of a delivery session decides its job.
impl Delivery for World {
    /// A server took a message (its 250): add the trace field (and, after authentication
    /// checks, their results above it), then store or queue it.
    fn accept_message(
        &mut self,
        host: usize,
        client: usize,
        message: ReceivedMessage,
        auth: Option<AuthReport>,
    ) {
        let Some(h) = self.hosts.get(host) else { return };
        let by = h.config.name.clone();
        let client_ip = self.hosts.get(client).map(|c| c.config.ip);
        let tcp_info = client_ip.map(|ip| TcpInfo { reverse_dns: Some(self.name(client)), ip });
        let field = received_for(&message, tcp_info, &by, self.unix_now()).to_field();
        let mut data = Vec::with_capacity(field.len() + message.data.len());
        data.extend_from_slice(field.as_bytes());
        data.extend_from_slice(&message.data);
        // RFC 7208 §9.1: Received-SPF above this receiver's Received:; RFC 8601 §5:
        // Authentication-Results above every other trace field it adds.
        if let Some(report) = &auth {
            let mut fields = report.fields.clone().into_bytes();
            fields.extend_from_slice(&data);
            data = fields;
        }
        let summary =
            format!("{by} adds a Received: header and takes responsibility (queue id {})", message.queue_id);
        self.step(
            host,
            host,
            StepKind::Note,
            Some(field.as_bytes()),
            false,
            summary.into(),
            "Every server that handles a message prepends a Received: field, so the path can be traced; with \
             its 250 it has taken responsibility for delivering or bouncing the message."
                .into(),
            Some("RFC 5321 §4.4".into()),
            None,
        );
        let junk = auth.as_ref().is_some_and(AuthReport::quarantined);
        if let Some(report) = &auth {
            self.note(
                host,
                StepKind::Note,
                Some(report.fields.as_bytes()),
                format!("{by} records the authentication results in the message").into(),
                "Authentication-Results (RFC 8601) tells the reader's mail program what the MX checked and \
                 found, so it need not (and could not) check again; Received-SPF (RFC 7208 §9.1) records the \
                 SPF check in detail. Both go on top, above the Received: field."
                    .into(),
                Some("RFC 8601 §2.2; RFC 7208 §9.1".into()),
            );
        }
        self.intake_with(
            host,
            message.envelope,
            data,
            &message.queue_id,
            Intake { junk, expand_lists: true },
        );
    }

    /// A relay's SMTP session ended: record each recipient's outcome.
    fn session_finished(&mut self, job: usize, conn: usize) {
        let events = self.client_events(conn);
        // The session has ended and is let go after this: its outcomes move out.
        let statuses: Vec<(Recipient, Option<RecipientStatus>)> =
            match self.conns.get_mut(conn).and_then(Option::as_mut).map(|c| &mut c.client_end) {
                Some(ClientEnd::Smtp { session, .. }) => session.take_outcomes(),
                _ => Vec::new(),
            };
        let session_failed =
            events.iter().any(|e| matches!(e, ClientEvent::TransactionFailed(r) if r.code.get() == 421));
        let all_deferred =
            statuses.iter().all(|(_, s)| matches!(s, Some(RecipientStatus::Deferred(_)) | None));
        if session_failed && all_deferred {
            // The server went away before the transaction: try the next MX (§5.1).
            if let Some((_, Some(status))) = statuses.first()
                && let Some(j) = self.jobs.get_mut(job)
            {
                j.last_error = status.reply().clone();
            }
            let at = self.now;
            return self.schedule(at, Event::Job(job));
        }
        self.finish_job(job, Some(statuses));
    }
}

impl World {
    /// The unix time of now, for Date: and Received:.
    fn unix_now(&self) -> i64 {
        unix_at(self.start_unix, self.now)
    }

    /// Local recipients go to their mailboxes; the rest into the queue.
    pub(super) fn intake(&mut self, host: usize, envelope: Envelope, data: Vec<u8>, id: &str) {
        self.intake_with(host, envelope, data, id, Intake { junk: false, expand_lists: false });
    }

    /// [`Self::intake`], into the Junk folder (DMARC quarantine) or expanding mailing lists.
    fn intake_with(&mut self, host: usize, mut envelope: Envelope, data: Vec<u8>, id: &str, how: Intake) {
        let Some(h) = self.hosts.get(host) else { return };
        let relays = h.config.role.relays();
        let lists = if how.expand_lists { h.config.lists.clone() } else { Default::default() };
        // The recipients move out: what follows reads only the envelope's sender and
        // parameters (DSNs, signing), and the queue entry gets the remote recipients.
        let (local, remote): (Vec<Recipient>, Vec<Recipient>) = std::mem::take(&mut envelope.recipients)
            .into_iter()
            .partition(|r| is_local(&h.config.policy.local_domains, &r.path));
        for recipient in local {
            if let Some(members) = lists.get(&mailbox_key(&recipient.path)).cloned() {
                self.expand_list(host, &recipient.path, members, &data);
                continue;
            }
            self.deliver_locally(host, &envelope.reverse_path, &recipient, &data, id, how.junk);
            if recipient.params.notify.is_some_and(|n| n.success) {
                let status = RecipientStatus::Delivered(local_reply(
                    250,
                    EnhancedStatusCode::OK,
                    "delivered to mailbox".into(),
                ));
                self.send_dsn(
                    host,
                    &envelope,
                    &data,
                    self.now,
                    &[(recipient, status, None)],
                    Action::Delivered,
                );
            }
        }
        if remote.is_empty() {
            return;
        }
        if !relays {
            return;
        }
        // What this host does to messages it passes on: a list's footer, then its signature.
        let data = self.tamper_outgoing(host, &envelope, data);
        let data = self.sign_outgoing(host, &envelope, data);
        let entry = QueueEntry {
            id: id.to_owned(),
            envelope: Envelope { recipients: remote, ..envelope },
            data,
            arrived: self.now,
            attempts: 0,
            next_attempt: Some(self.now),
            last_error: None,
            running: 0,
            done: Vec::new(),
            delay_warned: false,
        };
        let recipients: Vec<String> = entry.envelope.recipients.iter().map(|r| r.path.to_wire()).collect();
        if let Some(h) = self.hosts.get_mut(host) {
            h.queue.push_back(entry);
        }
        self.queue_changed(host, id);
        let name = self.lane(host);
        self.note(host, StepKind::Queue, None, format!("{name} queues message {id} for {}", recipients.join(", ")).into(), "The recipients are not local: the server becomes an SMTP client and relays the message to their \
             domain's mail exchanger."
                .into(), Some("RFC 5321 §3.6".into()));
        self.schedule(self.now, Event::Attempt { host, id: id.to_owned() });
    }

    fn deliver_locally(
        &mut self,
        host: usize,
        reverse_path: &ReversePath,
        recipient: &Recipient,
        data: &[u8],
        id: &str,
        junk: bool,
    ) {
        let sender = reverse_path.to_wire();
        let field = return_path_field(&sender);
        let mut stored = Vec::with_capacity(field.len() + data.len());
        stored.extend_from_slice(field.as_bytes());
        stored.extend_from_slice(data);
        let mut mailbox = mailbox_key(&recipient.path);
        if junk {
            mailbox.push_str(JUNK_FOLDER);
        }
        let message = Stored {
            id: id.to_owned(),
            reverse_path: sender,
            recipient: recipient.path.to_wire(),
            data: stored,
            uid: 0,
            flags: Vec::new(),
            stored_at: 0,
        };
        self.store(host, mailbox.clone(), message);
        let (summary, explanation, rfc) = if junk {
            (
                format!("Delivered to the Junk folder: {mailbox}"),
                "The domain's DMARC policy is quarantine: the message is stored, but in the Junk folder, \
                 where the reader sees it flagged as suspicious.",
                "RFC 5321 §4.4; RFC 7489 §6.3",
            )
        } else {
            (
                format!("Delivered to the mailbox of {mailbox}"),
                "Final delivery: the server adds Return-Path: with the envelope sender and stores the message, \
                 where the recipient's mail client will fetch it.",
                "RFC 5321 §4.4",
            )
        };
        self.note(host, StepKind::Delivery, None, summary.into(), explanation.into(), Some(rfc.into()));
    }

    /// A mailing list: the message goes to every member under a new envelope whose sender is
    /// the list's bounce address, so that failures reach the list, not the author (RFC 5321
    /// §3.9.2). The message itself keeps its From:.
    fn expand_list(&mut self, host: usize, list: &ForwardPath, members: Vec<ForwardPath>, data: &[u8]) {
        let id = self.new_id();
        let bounces = list
            .mailbox()
            .and_then(|m| format!("<{}-bounces@{}>", m.local_part(), m.host()).parse::<ReversePath>().ok())
            .unwrap_or(ReversePath::Null);
        let shown: Vec<String> = members.iter().map(ToString::to_string).collect();
        let name = self.lane(host);
        self.note(
            host,
            StepKind::Note,
            None,
            format!(
                "{name} expands the list {list} to {}; the envelope sender becomes {bounces}",
                shown.join(", ")
            )
            .into(),
            "A mailing list is a mailbox whose messages are sent on to its members. It starts a new mail \
             transaction, with the list's own bounce address as MAIL FROM, so delivery failures come back to \
             the list; the From: field still names the author."
                .into(),
            Some("RFC 5321 §3.9.2".into()),
        );
        let envelope = Envelope::new(bounces, members);
        self.intake_with(host, envelope, data.to_vec(), &id, Intake { junk: false, expand_lists: false });
    }

    /// A retry timer fired, or a message was just queued: start one job per domain.
    pub(super) fn attempt(&mut self, host: usize, id: &str) {
        let Some(entry) = self
            .hosts
            .get_mut(host)
            .and_then(|h| queue::position(&h.queue, id).and_then(|i| h.queue.get_mut(i)))
        else {
            return;
        };
        if entry.running > 0 {
            return;
        }
        entry.attempts += 1;
        entry.next_attempt = None;
        let attempts = entry.attempts;
        let mut by_domain: Vec<(String, Vec<Recipient>)> = Vec::new();
        for recipient in &entry.envelope.recipients {
            let domain = recipient
                .path
                .mailbox()
                .and_then(|m| m.domain())
                .map(|d| d.to_ascii().to_owned())
                .unwrap_or_default();
            match by_domain.iter_mut().find(|(d, _)| *d == domain) {
                Some((_, list)) => list.push(recipient.clone()),
                None => by_domain.push((domain, vec![recipient.clone()])),
            }
        }
        entry.running = by_domain.len();
        self.queue_changed(host, id);
        if attempts > 1 {
            let name = self.lane(host);
            self.note(
                host,
                StepKind::Retry,
                None,
                format!("{name} retries message {id} (attempt {attempts})").into(),
                "The retry timer fired: the relay tries again, starting with a fresh MX lookup.".into(),
                Some("RFC 5321 §4.5.4.1".into()),
            );
        }
        for (domain, recipients) in by_domain {
            let job = super::relay::Job {
                host,
                entry: id.to_owned(),
                recipients,
                stage: JobStage::TryNext,
                targets: Vec::new(),
                next_target: 0,
                remote: None,
                last_error: local_reply(451, EnhancedStatusCode::NO_ANSWER, "no MX host answered".into()),
            };
            self.jobs.push(job);
            let index = self.jobs.len() - 1;
            self.resolve_mx(index, &domain);
        }
    }

    /// MX lookup with the implicit-MX and null-MX rules (RFC 5321 §5.1, RFC 7505).
    fn resolve_mx(&mut self, job: usize, domain: &str) {
        let Some(host) = self.jobs.get(job).map(|j| j.host) else { return };
        let answer = self.zone.resolve(domain, RecordType::Mx);
        self.dns_step(
            host,
            true,
            format!("DNS query: MX records of {domain}?"),
            "To relay, the server asks DNS which hosts accept mail for the recipient's domain.".into(),
            format!("{domain}. IN MX ?"),
            ROUTING_LOOKUP_RFC.into(),
        );
        let (targets, shown, failure) = match answer {
            Ok(records) if records.is_empty() => {
                // §5.1: no MX records: the domain itself is the implicit MX.
                (
                    vec![canonical_name(domain)],
                    "no MX records: use the domain itself (implicit MX)".to_owned(),
                    None,
                )
            }
            Ok(mut records) => {
                records.sort();
                let mut mx: Vec<(u16, String)> = records
                    .iter()
                    .filter_map(|r| {
                        if let Record::Mx { preference, exchange } = r {
                            Some((*preference, canonical_name(exchange)))
                        } else {
                            None
                        }
                    })
                    .collect();
                let listing = mx.iter().map(|(p, e)| format!("MX {p} {e}")).collect::<Vec<_>>().join(", ");
                let null_mx = mx.len() == 1 && mx[0].1.is_empty();
                if null_mx {
                    let reply = local_reply(
                        556,
                        EnhancedStatusCode::NULL_MX,
                        format!("Domain {domain} does not accept mail (null MX)"),
                    );
                    (Vec::new(), "MX 0 . (null MX: this domain accepts no mail)".to_owned(), Some(reply))
                } else {
                    // Lower preference first; equal preferences in random order (§5.1).
                    mx.sort_by_key(|(p, _)| *p);
                    // §5.1: a relay that finds itself among the MX hosts uses only the
                    // more preferred ones (a backup MX hands mail to the primary).
                    let me = canonical_name(&self.lane(host));
                    if let Some(own) = mx.iter().find(|(_, e)| *e == me).map(|(p, _)| *p) {
                        mx.retain(|(p, _)| *p < own);
                    }
                    let mut ordered = Vec::new();
                    let mut i = 0;
                    while i < mx.len() {
                        let j = mx[i..].iter().position(|(p, _)| *p != mx[i].0).map_or(mx.len(), |k| i + k);
                        let mut group: Vec<String> = mx[i..j].iter().map(|(_, e)| e.clone()).collect();
                        self.rng.shuffle(&mut group);
                        ordered.extend(group);
                        i = j;
                    }
                    if ordered.is_empty() {
                        let status =
                            EnhancedStatusCode::new(crate::proto::StatusClass::PermanentFailure, 4, 6)
                                .unwrap_or(EnhancedStatusCode::UNABLE_TO_ROUTE);
                        let reply =
                            local_reply(554, status, format!("mail for {domain} loops back to myself"));
                        (ordered, listing, Some(reply))
                    } else {
                        (ordered, listing, None)
                    }
                }
            }
            Err(DnsError::NxDomain) => {
                let reply = local_reply(
                    550,
                    EnhancedStatusCode::BAD_SYSTEM,
                    format!("Host or domain name not found: {domain} (NXDOMAIN)"),
                );
                (Vec::new(), "NXDOMAIN: the domain does not exist".to_owned(), Some(reply))
            }
            Err(DnsError::Timeout) => {
                let status =
                    EnhancedStatusCode::new(crate::proto::StatusClass::PersistentTransientFailure, 4, 3)
                        .unwrap_or(EnhancedStatusCode::NO_ANSWER);
                let reply = local_reply(451, status, format!("DNS lookup of {domain} timed out"));
                (Vec::new(), "timeout: no answer from DNS".to_owned(), Some(reply))
            }
        };
        self.cache_answer(host, format!("{domain} MX"), shown.clone());
        let explanation = match (&failure, targets.len()) {
            (Some(_), _) if shown.starts_with("NXDOMAIN") => {
                "The domain does not exist, so there is nowhere to deliver: no retry can help, and the relay \
                 gives up on these recipients at once."
            }
            (Some(_), _) if shown.starts_with("timeout") => {
                "DNS gave no answer, so the relay cannot know where to deliver: that is temporary, and it tries \
                 again later."
            }
            (Some(_), _) if shown.contains("null MX") => {
                "A null MX (RFC 7505) is the domain saying it accepts no mail at all: the relay bounces at once \
                 instead of retrying for days."
            }
            (Some(_), _) => "Every MX host is this relay itself or less preferred: delivering would loop.",
            (None, _) if shown.starts_with("no MX") => {
                "No MX records: the relay falls back to the domain's own address records (the implicit MX)."
            }
            (None, 1) => "One MX host: the relay will connect to it on port 25.",
            (None, _) => {
                "Several MX hosts: the relay tries them in order of preference, lowest number first; a backup \
                 MX has a higher number."
            }
        };
        self.dns_step(
            host,
            false,
            format!("DNS answer: {shown}"),
            explanation.into(),
            shown,
            ROUTING_LOOKUP_RFC.into(),
        );
        let Some(j) = self.jobs.get_mut(job) else { return };
        j.targets = targets;
        if let Some(reply) = failure {
            j.last_error = reply;
            j.next_target = usize::MAX;
        }
        let at = self.now.saturating_add(self.latency.saturating_mul(2));
        self.schedule(at, Event::Job(job));
    }

    /// Drives a job: look up the next MX host's address; when the answer is in, connect.
    pub(super) fn continue_job(&mut self, job: usize) {
        let Some(j) = self.jobs.get(job) else { return };
        match &j.stage {
            JobStage::Finished => {}
            JobStage::Connect { server, target } => {
                let (server, target) = (*server, target.clone());
                self.connect_job(job, server, &target);
            }
            JobStage::TryNext => {
                let host = j.host;
                let Some(target) = j.targets.get(j.next_target).cloned() else {
                    return self.finish_job(job, None);
                };
                // The address: A first, then AAAA (RFC 5321 §5.1: "at least one address
                // record (e.g., A or AAAA RR)").
                let mut ip = None;
                for record_type in [RecordType::A, RecordType::Aaaa] {
                    let answer = self.zone.resolve(&target, record_type);
                    self.dns_step(
                        host,
                        true,
                        format!("DNS query: {record_type} address of {target}?"),
                        "The MX record names a host; its A (IPv4) or AAAA (IPv6) record gives the \
                         address to connect to."
                            .into(),
                        format!("{target}. IN {record_type} ?"),
                        ROUTING_LOOKUP_RFC.into(),
                    );
                    ip = match &answer {
                        Ok(records) => records.iter().find_map(|r| match r {
                            Record::A(ip) => Some(IpAddr::V4(*ip)),
                            Record::Aaaa(ip) => Some(IpAddr::V6(*ip)),
                            _ => None,
                        }),
                        Err(_) => None,
                    };
                    let shown = match (&answer, ip) {
                        (_, Some(ip)) => format!("{target} {record_type} {ip}"),
                        (Err(e), None) => format!("{target}: {e}"),
                        (Ok(_), None) => format!("{target}: no {record_type} record"),
                    };
                    self.cache_answer(host, format!("{target} {record_type}"), shown.clone());
                    self.dns_step(
                        host,
                        false,
                        format!("DNS answer: {shown}"),
                        "Now the relay knows where to connect.".into(),
                        shown,
                        ROUTING_LOOKUP_RFC.into(),
                    );
                    // NXDOMAIN or a timeout needs no second question.
                    if ip.is_some() || answer.is_err() {
                        break;
                    }
                }
                let server = ip.and_then(|ip| self.host_by_ip(ip));
                let Some(jj) = self.jobs.get_mut(job) else { return };
                jj.next_target += 1;
                match server {
                    Some(server) => jj.stage = JobStage::Connect { server, target },
                    None => {
                        jj.last_error = local_reply(
                            451,
                            EnhancedStatusCode::NO_ANSWER,
                            format!("{target}: no address to connect to"),
                        )
                    }
                }
                let at = self.now.saturating_add(self.latency.saturating_mul(2));
                self.schedule(at, Event::Job(job));
            }
        }
    }

    fn connect_job(&mut self, job: usize, server: usize, target: &str) {
        let Some(j) = self.jobs.get_mut(job) else { return };
        j.stage = JobStage::TryNext;
        j.remote = Some(target.to_owned());
        let host = j.host;
        let Some(entry) = self
            .hosts
            .get(host)
            .and_then(|h| queue::position(&h.queue, &j.entry).and_then(|i| h.queue.get(i)))
        else {
            return self.finish_job(job, None);
        };
        // The job's recipients under the entry's sender and parameters.
        let envelope = Envelope {
            reverse_path: entry.envelope.reverse_path.clone(),
            mail_params: entry.envelope.mail_params.clone(),
            recipients: j.recipients.clone(),
        };
        let data = entry.data.clone();
        let fallback = Host::Literal(crate::proto::AddressLiteral::Ipv4(std::net::Ipv4Addr::LOCALHOST));
        let helo: Host = self.lane(host).parse().unwrap_or(fallback);
        let config = ClientConfig { tls: TlsMode::Opportunistic, ..ClientConfig::with_helo(helo) };
        let end =
            ClientEnd::Smtp { session: Box::new(ClientSession::new(config, envelope, data)), job: Some(job) };
        if self.connect(host, server, end, 25).is_none() {
            if let Some(jj) = self.jobs.get_mut(job) {
                jj.last_error = local_reply(
                    451,
                    EnhancedStatusCode::NO_ANSWER,
                    format!("connect to {target}: no answer"),
                );
            }
            let at = self.now.saturating_add(self.latency);
            self.schedule(at, Event::Job(job));
        }
    }

    /// The job is over: either with outcomes from a session, or with its last error for
    /// every recipient (no MX answered, DNS failed).
    fn finish_job(&mut self, job: usize, statuses: Option<Vec<(Recipient, Option<RecipientStatus>)>>) {
        let Some(j) = self.jobs.get_mut(job) else { return };
        j.stage = JobStage::Finished;
        // Nothing reads a finished job again: its recipients move into the outcomes.
        let recipients = std::mem::take(&mut j.recipients);
        let (host, entry_id) = (j.host, j.entry.clone());
        let (remote, last_error) = (j.remote.as_deref(), &j.last_error);
        let outcomes: Vec<(Recipient, RecipientStatus, Option<Heard>)> = match statuses {
            Some(list) => list
                .into_iter()
                .map(|(r, s)| {
                    // Only a status the session read from the server is something it heard.
                    let heard = s
                        .as_ref()
                        .zip(remote)
                        .map(|(status, mta)| Heard { mta: mta.to_owned(), reply: status.reply().clone() });
                    (r, s.unwrap_or_else(|| RecipientStatus::Deferred(last_error.clone())), heard)
                })
                .collect(),
            None => recipients
                .into_iter()
                .map(|r| {
                    let status = if last_error.code.is_permanent() {
                        RecipientStatus::Failed(last_error.clone())
                    } else {
                        RecipientStatus::Deferred(last_error.clone())
                    };
                    (r, status, None)
                })
                .collect(),
        };
        let Some(entry) = self
            .hosts
            .get_mut(host)
            .and_then(|h| queue::position(&h.queue, &entry_id).and_then(|i| h.queue.get_mut(i)))
        else {
            return;
        };
        entry.done.reserve_exact(outcomes.len());
        entry.done.extend(outcomes);
        entry.running = entry.running.saturating_sub(1);
        if entry.running == 0 {
            self.attempt_finished(host, &entry_id);
        }
    }

    /// Every job of an attempt is over: bounce the failures, keep the deferred, schedule
    /// the next try or give up.
    fn attempt_finished(&mut self, host: usize, id: &str) {
        let Some(h) = self.hosts.get_mut(host) else { return };
        let Some(index) = queue::position(&h.queue, id) else { return };
        let Some(mut entry) = h.queue.remove(index) else { return };
        let [failed, mut deferred, delivered] = sorted_outcomes(std::mem::take(&mut entry.done));
        let name = self.lane(host);
        for (recipient, status, _) in &delivered {
            self.note(
                host,
                StepKind::Queue,
                None,
                format!("{name}: {} handed on ({})", recipient.path, status.reply().to_string().trim_end())
                    .into(),
                "The next server took responsibility with its 250: delivered, as far as this relay is \
                 concerned, so it forgets the message for that recipient."
                    .into(),
                Some("RFC 5321 §6.1".into()),
            );
        }
        let age = self.now.saturating_sub(entry.arrived);
        let expired = !deferred.is_empty() && age >= self.retry.max_age;
        let mut bounces = failed;
        if expired {
            for (_, status, _) in &mut deferred {
                let last = status.reply().text();
                let reply = local_reply(
                    550,
                    EnhancedStatusCode::DELIVERY_EXPIRED,
                    format!("delivery time expired; last error: {last}"),
                );
                *status = RecipientStatus::Failed(reply);
            }
            bounces.append(&mut deferred);
        }
        if !bounces.is_empty() {
            self.send_dsn(host, &entry.envelope, &entry.data, entry.arrived, &bounces, Action::Failed);
        }
        if deferred.is_empty() {
            // (Recorded here, not where the entry was taken out: the steps that hand its
            // recipients on show it still queued, and this one shows it leave.)
            self.queue_left(host, id);
            self.note(
                host,
                StepKind::Queue,
                None,
                format!("{name}: message {id} leaves the queue").into(),
                "Every recipient has a final outcome.".into(),
                Some("RFC 5321 §4.5.4.1".into()),
            );
            return;
        }
        // Keep the deferred recipients and schedule the next attempt.
        let wait = self
            .retry
            .intervals
            .get(entry.attempts.saturating_sub(1) as usize)
            .or(self.retry.intervals.last())
            .copied()
            .unwrap_or(300_000);
        // What the remote server said, or the relay's own words when no server answered.
        let last_error = deferred.first().map(|(_, s, heard)| match heard {
            Some(h) => format!("{} said: {}", h.mta, h.reply.to_string().trim_end()),
            None => {
                let status = s.reply().enhanced.map(|e| format!(" (status {e})")).unwrap_or_default();
                format!("{}{status}", s.reply().text())
            }
        });
        entry.next_attempt = Some(self.now.saturating_add(wait));
        entry.last_error = last_error.clone();
        let warn = self.retry.delay_warning.is_some_and(|w| age >= w) && !entry.delay_warned;
        let wants_delay: Vec<_> =
            deferred.iter().filter(|(r, _, _)| r.params.notify.is_some_and(|n| n.delay)).cloned().collect();
        entry.envelope.recipients = deferred.into_iter().map(|(r, _, _)| r).collect();
        if warn && !wants_delay.is_empty() {
            entry.delay_warned = true;
            self.send_dsn(host, &entry.envelope, &entry.data, entry.arrived, &wants_delay, Action::Delayed);
        }
        let next = entry.next_attempt.unwrap_or(self.now);
        let attempts = entry.attempts;
        if let Some(h) = self.hosts.get_mut(host) {
            h.queue.push_back(entry);
        }
        // Back at the end of the queue, as the relay holds it.
        self.queue_left(host, id);
        self.queue_changed(host, id);
        let next_try = crate::timeline::describe_wait(wait);
        self.note(
            host,
            StepKind::Queue,
            None,
            format!("{name}: message {id} deferred, next try in {next_try}").into(),
            format!(
                "Attempt {attempts} failed for now ({}). A temporary failure is not the end: the message \
                 stays queued and the relay tries again in {next_try}, and keeps trying for up to {} after \
                 it arrived before it gives up and bounces it.",
                last_error.unwrap_or_default(),
                crate::timeline::describe_wait(self.retry.max_age)
            )
            .into(),
            Some("RFC 5321 §4.5.4.1".into()),
        );
        self.schedule(next, Event::Attempt { host, id: id.to_owned() });
    }

    /// Builds a DSN about `recipients` and sends it to the envelope sender. Null-sender
    /// messages are never bounced (RFC 5321 §4.5.5); NOTIFY=NEVER suppresses the DSN.
    fn send_dsn(
        &mut self,
        host: usize,
        envelope: &Envelope,
        data: &[u8],
        arrived: Millis,
        recipients: &[(Recipient, RecipientStatus, Option<Heard>)],
        action: Action,
    ) {
        let Some(sender) = envelope.reverse_path.mailbox().cloned() else {
            let name = self.lane(host);
            self.note(host, StepKind::Dsn, None, format!("{name} drops the failure report: the sender is <>").into(), "A bounce is never bounced: messages with a null reverse-path get no DSN, which prevents loops.".into(), Some("RFC 5321 §4.5.5".into()));
            return;
        };
        let wanted: Vec<_> = recipients
            .iter()
            .filter(|(r, _, _)| match (r.params.notify, action) {
                (Some(n), Action::Failed) => n.failure,
                (Some(n), Action::Delayed) => n.delay,
                (Some(n), Action::Delivered) => n.success,
                (None, Action::Failed) => true,
                _ => false,
            })
            .collect();
        if wanted.is_empty() {
            return;
        }
        let name = self.lane(host);
        let report = DeliveryReport {
            reporting_mta: TypedValue::dns(&name),
            received_from_mta: None,
            arrival_date: Some(unix_at(self.start_unix, arrived)),
            original_envelope_id: envelope.mail_params.envid.clone(),
            recipients: wanted
                .iter()
                .map(|(r, status, heard)| DsnRecipient {
                    original_recipient: r
                        .params
                        .orcpt
                        .as_ref()
                        .and_then(|o| TypedValue::new(&o.addr_type, &o.address).ok()),
                    final_recipient: TypedValue::rfc822(
                        &r.path.mailbox().map(ToString::to_string).unwrap_or_else(|| "postmaster".into()),
                    ),
                    action,
                    status: if action == Action::Delivered {
                        EnhancedStatusCode::OK
                    } else {
                        status_of(status.reply())
                    },
                    remote_mta: heard.as_ref().map(|h| TypedValue::dns(&h.mta)),
                    // RFC 3464 §2.3.6: the reply the remote MTA sent, or nothing.
                    diagnostic_code: heard
                        .as_ref()
                        .filter(|_| action != Action::Delivered)
                        .map(|h| TypedValue::smtp(&h.reply.to_string())),
                    last_attempt_date: Some(self.unix_now()),
                    will_retry_until: (action == Action::Delayed)
                        .then(|| unix_at(self.start_unix, self.now.saturating_add(self.retry.max_age))),
                })
                .collect(),
        };
        // RFC 3461 §6.2: RET applies to failure DSNs; the others return the headers only.
        let ret = match (action, envelope.mail_params.ret) {
            (Action::Failed, Some(Ret::Hdrs)) => Return::Headers,
            (Action::Failed, _) => Return::Full,
            _ => Return::Headers,
        };
        let id = self.new_id();
        let from = format!("MAILER-DAEMON@{name}");
        let dsn = build_dsn(
            &report,
            data,
            ret,
            &from,
            &sender.to_string(),
            &format!("{id}.{name}"),
            self.unix_now(),
            &format!("<{id}@{name}>"),
        );
        let lines: Vec<String> = report
            .recipients
            .iter()
            .map(|r| format!("{}: {} ({})", action.as_str(), r.final_recipient.value(), r.status))
            .collect();
        self.timeline.outcome.dsns.extend(lines.iter().cloned());
        self.step(
            host,
            host,
            StepKind::Dsn,
            Some(&dsn),
            false,
            format!("{name} writes a delivery status notification: {}", lines.join("; ")).into(),
            "The DSN is an ordinary message from MAILER-DAEMON to the envelope sender, with a human-readable \
             part, a machine-readable message/delivery-status part and the original message (or its headers)."
                .into(),
            Some("RFC 3464 §2; RFC 3461 §6".into()),
            None,
        );
        let Ok(to) = format!("<{sender}>").parse::<ForwardPath>() else { return };
        let dsn_envelope = Envelope::new(ReversePath::Null, [to]);
        let mut message = fold(
            "Received",
            &format!("by {name} (DSN); {}", crate::message::date::format_date(self.unix_now(), 0)),
        )
        .into_bytes();
        message.extend_from_slice(&dsn);
        self.intake(host, dsn_envelope, message, &id);
    }
}

/// Where [`World::intake_with`] puts what it takes.
#[derive(Debug, Clone, Copy)]
struct Intake {
    /// Local deliveries go to the Junk folder (DMARC quarantine).
    junk: bool,
    /// Local list addresses are expanded (not for a list's own copies: no loops).
    expand_lists: bool,
}

fn is_local(local_domains: &std::collections::BTreeSet<String>, path: &ForwardPath) -> bool {
    match path.mailbox().and_then(|m| m.domain()) {
        Some(domain) => local_domains.contains(domain.to_ascii()),
        None => true,
    }
}

/// The `Received:` field a server adds when it takes `message` (RFC 5321 §4.4): the client's
/// HELO name and TCP-info, this server (`by`), the protocol after RFC 3848 (ESMTPSA…), the
/// queue id, the recipient when there is only one, and the time. The simulated world and
/// `serve` both stamp messages with it.
pub fn received_for(
    message: &ReceivedMessage,
    tcp_info: Option<TcpInfo>,
    by: &str,
    unix_seconds: i64,
) -> Received {
    let session = &message.session;
    Received {
        from: session.helo.as_ref().map(Host::to_string).unwrap_or_else(|| "unknown".into()),
        from_tcp_info: tcp_info,
        by: by.to_owned(),
        via: None,
        with: Some(Protocol::from_flags(
            session.esmtp,
            session.tls,
            session.authenticated.is_some(),
            message.envelope.mail_params.smtputf8,
        )),
        id: Some(message.queue_id.clone()),
        for_path: match message.envelope.recipients.as_slice() {
            [only] => Some(only.path.to_wire().trim_matches(['<', '>']).to_owned()),
            _ => None,
        },
        date: DateTime { unix_seconds, offset_minutes: 0 },
    }
}

/// One recipient's outcome of an attempt: what the session decided, and what it heard.
type Outcome = (Recipient, RecipientStatus, Option<Heard>);

/// The outcomes of an attempt by status: failed, deferred and delivered, each in order and
/// in a vector of exactly its number (an outcome is large, and vectors grown the usual way,
/// four at a time, made each attempt ask the allocator for large blocks, which is slow).
/// Moved, not copied.
fn sorted_outcomes(done: Vec<Outcome>) -> [Vec<Outcome>; 3] {
    let kind = |s: &RecipientStatus| match s {
        RecipientStatus::Failed(_) => 0,
        RecipientStatus::Deferred(_) => 1,
        RecipientStatus::Delivered(_) => 2,
    };
    let mut counts = [0; 3];
    for (_, s, _) in &done {
        counts[kind(s)] += 1;
    }
    let mut sorted = counts.map(Vec::with_capacity);
    for outcome in done {
        sorted[kind(&outcome.1)].push(outcome);
    }
    sorted
}
