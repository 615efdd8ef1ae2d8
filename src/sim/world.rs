//! The discrete-event world: hosts joined by links with latency, a virtual clock that
//! jumps to the next event, one seeded RNG, ordered maps only, and a hard cap on steps.
//! The same configuration and seed always give the same [`Timeline`], byte for byte.
//!
//! Every connection pairs a sans-IO client (an SMTP [`ClientSession`], a learner's typed
//! lines, or a POP3 client) with a sans-IO server on another host; bytes written at time
//! `t` arrive at `t + latency`. Relays queue what they accept and deliver it onward
//! ([`super::relay`]).

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use super::auth::{AuthPolicy, AuthReport, HostAuth};
use super::dns::Zone;
use super::explain;
use super::fault::{Fault, FaultAction, FaultCounts, FaultPolicy, Struck};
use super::rng::Rng;
use super::timeline::{Lane, Millis, Snapshot, Step, StepKind, StoredMessage, Timeline};
use crate::engine::pop3::{Maildrop, Pop3Client, Pop3Server};
use crate::engine::{
    ClientConfig, ClientEvent, ClientSession, CloseReason, Envelope, MailPolicy, Policy, ServerConfig,
    ServerEvent, ServerSession,
};
use crate::proto::{ForwardPath, Verb};

/// What a host is, as its lane shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostRole {
    /// A mail client (MUA): sends, never listens.
    Client,
    /// The sender's submission server / outgoing relay (MSA/MTA): queues and relays.
    Submission,
    /// An intermediate relay.
    Relay,
    /// A recipient domain's mail exchanger: final delivery into mailboxes, POP3.
    Mx,
    /// The recipient's mail client, which retrieves over POP3.
    Reader,
}

impl HostRole {
    pub fn label(self) -> &'static str {
        match self {
            HostRole::Client => "mail client (MUA)",
            HostRole::Submission => "submission server (MSA/MTA)",
            HostRole::Relay => "relay (MTA)",
            HostRole::Mx => "mail exchanger (MX)",
            HostRole::Reader => "recipient's mail client (MUA)",
        }
    }

    /// Whether the host keeps a queue and delivers onward what is not local.
    pub fn relays(self) -> bool {
        matches!(self, HostRole::Submission | HostRole::Relay | HostRole::Mx)
    }
}

/// One host of the world.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostConfig {
    /// The host's name: its lane, its DNS name and its HELO name.
    pub name: String,
    pub role: HostRole,
    pub ip: IpAddr,
    /// The SMTP server it runs, if it listens.
    pub smtp: Option<ServerConfig>,
    /// Its local domains, mailboxes, relay rules and users.
    pub policy: MailPolicy,
    /// Intervals `[from, to)` in which the host does not answer.
    pub down: Vec<(Millis, Millis)>,
    /// DKIM signing, checking SPF/DKIM/DMARC, changing bodies in transit.
    #[serde(default)]
    pub auth: HostAuth,
    /// Mailing lists this host expands: the list's mailbox key → its members.
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<ForwardPath>>,
}

/// When a relay retries, and when it gives up (Postfix: `minimal_backoff_time`,
/// `maximal_queue_lifetime`; RFC 5321 §4.5.4.1 asks for at least 30 minutes between
/// tries and 4–5 days before giving up).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetrySchedule {
    /// Waits before the 2nd, 3rd, … attempt; the last one repeats.
    pub intervals: Vec<Millis>,
    /// Age after which the message bounces (5.4.7).
    pub max_age: Millis,
    /// Age after which a "delayed" DSN is sent, when NOTIFY=DELAY asked for one.
    pub delay_warning: Option<Millis>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        let minute = 60_000;
        Self {
            intervals: vec![5 * minute, 10 * minute, 20 * minute, 40 * minute, 80 * minute],
            max_age: 5 * 24 * 60 * minute,
            delay_warning: Some(4 * 60 * minute),
        }
    }
}

/// What the actors do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    /// A client session that delivers one message.
    Send {
        at: Millis,
        client: String,
        server: String,
        /// 25 for relaying, 587 for submission (RFC 6409).
        port: u16,
        config: Box<ClientConfig>,
        envelope: Envelope,
        message: Vec<u8>,
    },
    /// A learner types raw lines (telnet-style); each write is sent once the previous
    /// one's replies have all arrived (or at once, if the server answered nothing).
    Type { at: Millis, client: String, server: String, port: u16, writes: Vec<Vec<u8>> },
    /// The recipient's client fetches a maildrop over POP3.
    Retrieve { at: Millis, client: String, server: String, user: String, password: String, delete: bool },
}

/// Limits that keep any scenario finite.
pub const DEFAULT_MAX_STEPS: usize = 5_000;

/// The whole world, ready to run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorldConfig {
    pub seed: u64,
    /// Unix time of virtual time 0, for Date: and Received: fields.
    pub start_unix: i64,
    /// One-way latency of every link.
    pub latency: Millis,
    pub hosts: Vec<HostConfig>,
    pub zone: Zone,
    pub retry: RetrySchedule,
    pub actions: Vec<Action>,
    pub max_steps: usize,
    /// No event after this virtual time is run.
    pub max_time: Millis,
    /// Injected faults ("what if…"), in the order of the scenario's `[[fault]]` tables.
    #[serde(default)]
    pub faults: Vec<Fault>,
}

/// A message stored in a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stored {
    pub id: String,
    pub reverse_path: String,
    pub recipient: String,
    pub data: Vec<u8>,
}

/// A host as it runs.
#[derive(Debug)]
pub(super) struct HostState {
    pub config: HostConfig,
    pub queue: Vec<super::relay::QueueEntry>,
    /// `user@domain` → messages.
    pub mailboxes: BTreeMap<String, Vec<Stored>>,
    /// DNS answers this host has seen, for the inspector.
    pub dns_cache: BTreeMap<String, String>,
}

impl HostState {
    pub fn is_down(&self, now: Millis) -> bool {
        self.config.down.iter().any(|&(from, to)| (from..to).contains(&now))
    }
}

/// The POP3 maildrop of one host: users log in with the policy's passwords and see the
/// mailbox whose local part is their user name.
struct HostMaildrop<'a> {
    host: &'a mut HostState,
}

impl HostMaildrop<'_> {
    /// The inbox of `user`; folders (`…/Junk`) are not served over POP3.
    fn mailbox_key(&self, user: &str) -> Option<String> {
        self.host
            .mailboxes
            .keys()
            .find(|k| !k.ends_with(super::auth::JUNK_FOLDER) && k.split('@').next() == Some(user))
            .cloned()
    }
}

impl Maildrop for HostMaildrop<'_> {
    fn open(&mut self, user: &str, password: &str) -> Option<Vec<Vec<u8>>> {
        if self.host.config.policy.users.get(user).is_none_or(|p| p != password) {
            return None;
        }
        let key = self.mailbox_key(user);
        Some(
            key.and_then(|k| self.host.mailboxes.get(&k))
                .map(|m| m.iter().map(|s| s.data.clone()).collect())
                .unwrap_or_default(),
        )
    }

    fn delete(&mut self, user: &str, indices: &[usize]) {
        if let Some(messages) = self.mailbox_key(user).and_then(|k| self.host.mailboxes.get_mut(&k)) {
            let mut i = 0;
            messages.retain(|_| {
                i += 1;
                !indices.contains(&(i - 1))
            });
        }
    }
}

#[derive(Debug)]
pub(super) enum ClientEnd {
    Smtp { session: Box<ClientSession>, job: Option<usize> },
    Raw { writes: VecDeque<Vec<u8>> },
    Pop3(Pop3Client),
}

#[derive(Debug)]
pub(super) enum ServerEnd {
    Smtp(Box<ServerSession>),
    Pop3(Pop3Server),
}

#[derive(Debug)]
pub(super) struct Conn {
    pub client: usize,
    pub server: usize,
    pub client_end: ClientEnd,
    pub server_end: ServerEnd,
    pub tls: bool,
    pub closed: bool,
    /// Bytes in flight towards the client, to know when a typed session may write again.
    pub in_flight_to_client: usize,
    /// The server's output waits until then: an authenticating MX is still asking DNS.
    pub hold_until: Millis,
    /// Authentication results of accepted messages, for their header fields, oldest first.
    pub pending_auth: VecDeque<AuthReport>,
    /// Replies that faults injected, not yet sent, so their steps can say so.
    pub injected: VecDeque<Vec<u8>>,
    /// POP3 commands sent and not answered yet, so each response is explained as the
    /// answer to its command (a POP3 client waits for each response, RFC 1939 §3).
    pub pop3_asked: VecDeque<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Event {
    Start(usize),
    /// Bytes arrive at one end of a connection.
    Arrive {
        conn: usize,
        to_server: bool,
        bytes: Vec<u8>,
    },
    /// A relay attempts delivery of a queued message.
    Attempt {
        host: usize,
        id: String,
    },
    /// A delivery job continues after a DNS answer or a failed connection.
    Job(usize),
    /// A held server (see [`Conn::hold_until`]) sends what it has.
    Release(usize),
}

/// The running world.
pub struct World {
    pub(super) now: Millis,
    seq: u64,
    events: BTreeMap<(Millis, u64), Event>,
    pub(super) rng: Rng,
    pub(super) hosts: Vec<HostState>,
    pub(super) zone: Zone,
    pub(super) conns: Vec<Conn>,
    pub(super) jobs: Vec<super::relay::Job>,
    pub(super) latency: Millis,
    pub(super) retry: RetrySchedule,
    pub(super) start_unix: i64,
    actions: Vec<Action>,
    max_steps: usize,
    max_time: Millis,
    pub(super) timeline: Timeline,
    pub(super) dirty: bool,
    pub(super) next_id: u64,
    /// The faults that strike commands, and how often each host received each verb.
    faults: Vec<Fault>,
    fault_counts: FaultCounts,
    /// Down intervals that faults added, by host index, for the steps to say so.
    fault_down: Vec<(usize, Millis, Millis)>,
}

impl World {
    pub fn new(mut config: WorldConfig) -> Self {
        let lanes = lanes(&config.hosts, &config.actions);
        let mut fault_down = Vec::new();
        for fault in &config.faults {
            if let FaultAction::Down { at, duration } = fault.action
                && let Some(index) =
                    config.hosts.iter().position(|h| h.name.eq_ignore_ascii_case(&fault.host))
                && let Some(host) = config.hosts.get_mut(index)
            {
                let until = at.saturating_add(duration);
                host.down.push((at, until));
                fault_down.push((index, at, until));
            }
        }
        let hosts = config
            .hosts
            .into_iter()
            .map(|config| HostState {
                config,
                queue: Vec::new(),
                mailboxes: BTreeMap::new(),
                dns_cache: BTreeMap::new(),
            })
            .collect();
        let mut world = Self {
            now: 0,
            seq: 0,
            events: BTreeMap::new(),
            rng: Rng::new(config.seed),
            hosts,
            zone: config.zone,
            conns: Vec::new(),
            jobs: Vec::new(),
            latency: config.latency,
            retry: config.retry,
            start_unix: config.start_unix,
            actions: config.actions,
            max_steps: config.max_steps.min(DEFAULT_MAX_STEPS * 4),
            max_time: config.max_time,
            timeline: Timeline { lanes, snapshots: vec![Snapshot::default()], ..Timeline::default() },
            dirty: false,
            next_id: 0,
            faults: config.faults,
            fault_counts: FaultCounts::new(),
            fault_down,
        };
        for i in 0..world.actions.len() {
            let at = match &world.actions[i] {
                Action::Send { at, .. } | Action::Type { at, .. } | Action::Retrieve { at, .. } => *at,
            };
            world.schedule(at, Event::Start(i));
        }
        world
    }

    /// Runs to the end (or a cap) and returns the timeline.
    pub fn run(mut self) -> Timeline {
        while let Some((&(time, seq), _)) = self.events.iter().next() {
            if time > self.max_time || self.timeline.steps.len() >= self.max_steps {
                self.timeline.outcome.truncated = true;
                break;
            }
            let Some(event) = self.events.remove(&(time, seq)) else { break };
            self.now = time;
            self.handle(event);
        }
        self.finish()
    }

    fn finish(mut self) -> Timeline {
        // Steps are recorded when they are decided; a DNS answer is decided with its
        // query but arrives later. The player wants them in time order (a stable sort
        // keeps the causal order of steps at the same instant).
        self.timeline.steps.sort_by_key(|s| s.time);
        let outcome = &mut self.timeline.outcome;
        for host in &self.hosts {
            for (mailbox, messages) in &host.mailboxes {
                *outcome.delivered.entry(mailbox.clone()).or_default() += messages.len();
            }
            outcome.queued += host.queue.len();
        }
        self.timeline
    }

    pub(super) fn schedule(&mut self, at: Millis, event: Event) {
        self.seq += 1;
        self.events.insert((at, self.seq), event);
    }

    pub(super) fn host_index(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.config.name.eq_ignore_ascii_case(name))
    }

    pub(super) fn host_by_ip(&self, ip: IpAddr) -> Option<usize> {
        self.hosts.iter().position(|h| h.config.ip == ip)
    }

    pub(super) fn name(&self, host: usize) -> String {
        self.hosts.get(host).map(|h| h.config.name.clone()).unwrap_or_default()
    }

    /// A fresh id for messages and queue entries, repeatable for a seed.
    pub(super) fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("{:05X}{:05X}", self.next_id, self.rng.below(0xFFFFF))
    }

    /// The TLS handshake after STARTTLS's 220, simulated (RFC 3207 §4.2): from here on the
    /// connection's steps are marked as encrypted.
    fn tls_handshake_step(&mut self, client: usize, server: usize, explanation: &str) {
        self.step(
            client,
            server,
            StepKind::TlsHandshake,
            None,
            true,
            "TLS handshake: from here on the connection is encrypted".into(),
            explanation.into(),
            Some("RFC 3207 §4.2".into()),
            None,
        );
    }

    /// Appends a step; the snapshot is re-taken first if the state changed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn step(
        &mut self,
        from: usize,
        to: usize,
        kind: StepKind,
        wire: Option<&[u8]>,
        tls: bool,
        summary: String,
        explanation: String,
        rfc: Option<String>,
        code: Option<u16>,
    ) {
        let snapshot = self.current_snapshot();
        let travels = from != to;
        let step = Step {
            time: self.now,
            duration: if travels { self.latency } else { 0 },
            from: self.name(from),
            to: self.name(to),
            kind,
            wire: wire.map(|w| String::from_utf8_lossy(w).into_owned()),
            tls,
            summary,
            explanation,
            rfc,
            code,
            snapshot,
            check: None,
        };
        self.timeline.steps.push(step);
    }

    /// A step that happens at one host: a queue event, a delivery, a decision.
    pub(super) fn note(
        &mut self,
        host: usize,
        kind: StepKind,
        wire: Option<&[u8]>,
        summary: String,
        explanation: String,
        rfc: Option<String>,
    ) {
        self.step(host, host, kind, wire, false, summary, explanation, rfc, None);
    }

    /// The index of the snapshot of the world as it is now, taken first if the state
    /// changed since the last one.
    fn current_snapshot(&mut self) -> usize {
        if self.dirty {
            let snapshot = self.snapshot();
            self.timeline.snapshots.push(snapshot);
            self.dirty = false;
        }
        self.timeline.snapshots.len() - 1
    }

    /// A step to or from the DNS lane, citing `rfc` (the rule that made the lookup).
    pub(super) fn dns_step(
        &mut self,
        host: usize,
        query: bool,
        summary: String,
        explanation: String,
        wire: String,
        rfc: String,
    ) {
        let snapshot = self.current_snapshot();
        let (from, to) = if query {
            (self.name(host), DNS_LANE.to_owned())
        } else {
            (DNS_LANE.to_owned(), self.name(host))
        };
        self.timeline.steps.push(Step {
            time: self.now.saturating_add(if query { 0 } else { self.latency }),
            duration: self.latency,
            from,
            to,
            kind: if query { StepKind::DnsQuery } else { StepKind::DnsAnswer },
            wire: Some(wire),
            tls: false,
            summary,
            explanation,
            rfc: Some(rfc),
            code: None,
            snapshot,
            check: None,
        });
    }

    fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for host in &self.hosts {
            let name = host.config.name.clone();
            if !host.queue.is_empty() {
                snapshot.queues.insert(name.clone(), host.queue.iter().map(|e| e.view()).collect());
            }
            if !host.mailboxes.is_empty() {
                let boxes = host
                    .mailboxes
                    .iter()
                    .map(|(k, v)| {
                        let stored = v
                            .iter()
                            .map(|s| StoredMessage {
                                id: s.id.clone(),
                                reverse_path: s.reverse_path.clone(),
                                recipients: vec![s.recipient.clone()],
                                data: String::from_utf8_lossy(&s.data).into_owned(),
                            })
                            .collect();
                        (k.clone(), stored)
                    })
                    .collect();
                snapshot.mailboxes.insert(name.clone(), boxes);
            }
            if !host.dns_cache.is_empty() {
                snapshot.dns_cache.insert(name, host.dns_cache.clone());
            }
        }
        snapshot
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Start(i) => {
                if let Some(action) = self.actions.get(i).cloned() {
                    self.start_action(action);
                }
            }
            Event::Arrive { conn, to_server, bytes } => self.arrive(conn, to_server, bytes),
            Event::Attempt { host, id } => self.attempt(host, &id),
            Event::Job(job) => self.continue_job(job),
            Event::Release(conn) => self.flush(conn),
        }
    }

    fn start_action(&mut self, action: Action) {
        let (client, server) = match &action {
            Action::Send { client, server, .. }
            | Action::Type { client, server, .. }
            | Action::Retrieve { client, server, .. } => (self.host_index(client), self.host_index(server)),
        };
        let (Some(client), Some(server)) = (client, server) else { return };
        let port = match &action {
            Action::Send { port, .. } => *port,
            Action::Type { port, .. } => *port,
            Action::Retrieve { .. } => 110,
        };
        let end = match action {
            Action::Send { config, envelope, message, .. } => ClientEnd::Smtp {
                session: Box::new(ClientSession::new(*config, envelope, message)),
                job: None,
            },
            Action::Type { writes, .. } => ClientEnd::Raw { writes: writes.into() },
            Action::Retrieve { user, password, delete, .. } => {
                ClientEnd::Pop3(Pop3Client::new(user, password, delete))
            }
        };
        self.connect(client, server, end, port);
    }

    /// Opens a TCP connection (or fails to: the host is down) and lets the server greet.
    /// Returns the connection's index, or `None` when nobody answered.
    pub(super) fn connect(
        &mut self,
        client: usize,
        server: usize,
        end: ClientEnd,
        port: u16,
    ) -> Option<usize> {
        let pop3 = matches!(end, ClientEnd::Pop3(_));
        let server_name = self.name(server);
        let host = self.hosts.get(server)?;
        let listens = if pop3 { host.config.role == HostRole::Mx } else { host.config.smtp.is_some() };
        if host.is_down(self.now) || !listens {
            let why = if listens { "the host is down" } else { "nothing listens on that port" };
            let now = self.now;
            let by_fault =
                self.fault_down.iter().any(|&(h, from, to)| h == server && (from..to).contains(&now));
            let what_if = if by_fault && listens {
                format!(
                    "What if: a [[fault]] of the scenario takes {server_name} down at this time (action = \"down\"). "
                )
            } else {
                String::new()
            };
            self.step(
                client,
                server,
                StepKind::TcpRefused,
                None,
                false,
                format!("TCP connection to {server_name}:{port} fails: {why}"),
                format!(
                    "{what_if}No SMTP conversation can start. A relay keeps the message queued and tries again \
                     later, or tries the next MX host."
                ),
                Some("RFC 5321 §4.5.4.1".into()),
                None,
            );
            return None;
        }
        let ip = self.hosts.get(client).map(|h| h.config.ip);
        let server_end = if pop3 {
            ServerEnd::Pop3(Pop3Server::new(&server_name))
        } else {
            let config = host.config.smtp.clone().unwrap_or_default();
            let config = ServerConfig { queue_id_seed: self.rng.next_u64(), ..config };
            ServerEnd::Smtp(Box::new(ServerSession::new(config, ip)))
        };
        let (summary, rfc) = if pop3 {
            (format!("TCP connection to {server_name} port {port} (POP3)"), "RFC 1939 §3")
        } else if port == 587 {
            (format!("TCP connection to {server_name} port 587 (message submission)"), "RFC 6409 §3.1")
        } else {
            (format!("TCP connection to {server_name} port {port} (SMTP)"), "RFC 5321 §3.1")
        };
        self.step(
            client,
            server,
            StepKind::TcpConnect,
            None,
            false,
            summary,
            "The client opens a TCP connection; the server speaks first, with its greeting.".into(),
            Some(rfc.into()),
            None,
        );
        self.conns.push(Conn {
            client,
            server,
            client_end: end,
            server_end,
            tls: false,
            closed: false,
            in_flight_to_client: 0,
            hold_until: 0,
            pending_auth: VecDeque::new(),
            injected: VecDeque::new(),
            pop3_asked: VecDeque::new(),
        });
        let conn = self.conns.len() - 1;
        self.flush(conn);
        Some(conn)
    }

    fn arrive(&mut self, conn: usize, to_server: bool, bytes: Vec<u8>) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        if c.closed {
            return;
        }
        if to_server {
            let server = c.server;
            let Some(host) = self.hosts.get_mut(server) else { return };
            let Some(c) = self.conns.get_mut(conn) else { return };
            let mut reports = Vec::new();
            let mut struck = Vec::new();
            let answered = match &mut c.server_end {
                ServerEnd::Smtp(session) => {
                    host.config.policy.now = self.now / 1000;
                    let mut auth_policy;
                    let inner: &mut dyn Policy = if host.config.auth.authenticate {
                        auth_policy = AuthPolicy {
                            inner: &mut host.config.policy,
                            zone: &mut self.zone,
                            rng: &mut self.rng,
                            receiver: &host.config.name,
                            now: u64::try_from(self.start_unix).unwrap_or(0).saturating_add(self.now / 1000),
                            reports: &mut reports,
                        };
                        &mut auth_policy
                    } else {
                        &mut host.config.policy
                    };
                    let mut policy = FaultPolicy {
                        inner,
                        faults: &self.faults,
                        host: server,
                        host_name: &host.config.name,
                        counts: &mut self.fault_counts,
                        struck: &mut struck,
                    };
                    session.handle_input(&bytes, &mut policy);
                    session.has_replies() || session.is_closed()
                }
                ServerEnd::Pop3(session) => {
                    session.handle_input(&bytes, &mut HostMaildrop { host });
                    true
                }
            };
            // A typed session whose write drew no reply (message text) goes on at once.
            if !answered && matches!(c.client_end, ClientEnd::Raw { .. }) {
                self.next_raw_write(conn);
            }
            if !reports.is_empty() {
                self.report_auth(conn, server, reports);
            }
            if !struck.is_empty() {
                self.faults_struck(conn, server, struck);
            }
        } else {
            c.in_flight_to_client = c.in_flight_to_client.saturating_sub(1);
            let quiet = c.in_flight_to_client == 0;
            match &mut c.client_end {
                ClientEnd::Smtp { session, .. } => {
                    session.handle_input(&bytes);
                    if session.is_handshaking() {
                        c.tls = true;
                        session.tls_established();
                        let (client, server) = (c.client, c.server);
                        self.tls_handshake_step(
                            client,
                            server,
                            "Client and server agree on keys (simulated here); an eavesdropper now sees only \
                             ciphertext. The client must start over with EHLO.",
                        );
                    }
                }
                ClientEnd::Raw { .. } => {
                    if quiet {
                        self.next_raw_write(conn);
                    }
                }
                ClientEnd::Pop3(client) => client.handle_input(&bytes),
            }
        }
        self.flush(conn);
    }

    fn next_raw_write(&mut self, conn: usize) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        let server_closed = match &c.server_end {
            ServerEnd::Smtp(s) => s.is_closed(),
            ServerEnd::Pop3(s) => s.is_closed(),
        };
        let (client, server) = (c.client, c.server);
        let ClientEnd::Raw { writes } = &mut c.client_end else { return };
        if server_closed {
            // The server has closed (after QUIT's 221, or a 421): what is left is not sent.
            let unsent = std::mem::take(writes);
            if !unsent.is_empty() {
                let n = unsent.len();
                let lines = if n == 1 { "line" } else { "lines" };
                self.note(
                    client,
                    StepKind::Note,
                    None,
                    format!("{n} typed {lines} not sent: {} has closed the connection", self.name(server)),
                    "After its last reply (221 to QUIT, or a 421) the server closes the connection, so \
                     nothing more can be sent on it; a new session needs a new connection."
                        .into(),
                    Some("RFC 5321 §4.1.1.10, §3.8".into()),
                );
            }
            return;
        }
        let Some(mut bytes) = writes.pop_front() else { return };
        // The message text is one idea, not one step per typed line: while the server reads
        // data, the lines typed up to the one that ends it go out as one write, as a paste
        // into telnet would (RFC 5321 §4.1.1.4: the server only answers at the end).
        if matches!(&c.server_end, ServerEnd::Smtp(s) if s.in_data()) {
            while !is_message_data(&bytes) {
                let Some(next) = writes.pop_front() else { break };
                bytes.extend_from_slice(&next);
            }
        }
        self.send_from_client(conn, bytes);
    }

    /// Sends everything both ends have to send, and closes the connection when done.
    fn flush(&mut self, conn: usize) {
        loop {
            let Some(c) = self.conns.get_mut(conn) else { return };
            let held = c.hold_until > self.now;
            // Server output first: replies travel to the client.
            let mut out = Vec::new();
            let mut events = Vec::new();
            match &mut c.server_end {
                _ if held => {}
                ServerEnd::Smtp(session) => {
                    while let Some((reply, verb)) = session.poll_answer() {
                        out.push((reply.to_bytes(), verb));
                    }
                    while let Some(event) = session.poll_event() {
                        events.push(event);
                    }
                }
                ServerEnd::Pop3(session) => {
                    while let Some(bytes) = session.poll_transmit() {
                        out.push((bytes, None));
                    }
                }
            }
            let mut progressed = !out.is_empty();
            for (bytes, verb) in out {
                self.send_from_server(conn, bytes, verb);
            }
            for event in events {
                self.server_event(conn, event);
            }
            let Some(c) = self.conns.get_mut(conn) else { return };
            if c.closed {
                // A fault dropped the connection: nothing more goes over it.
                return;
            }
            let mut writes = Vec::new();
            match &mut c.client_end {
                ClientEnd::Smtp { session, .. } => {
                    while let Some(bytes) = session.poll_transmit() {
                        writes.push(bytes);
                    }
                }
                ClientEnd::Pop3(client) => {
                    while let Some(bytes) = client.poll_transmit() {
                        writes.push(bytes);
                    }
                }
                ClientEnd::Raw { .. } => {}
            }
            progressed |= !writes.is_empty();
            for bytes in writes {
                self.send_from_client(conn, bytes);
            }
            if !progressed {
                break;
            }
        }
        if self.conns.get(conn).is_some_and(|c| c.hold_until <= self.now) {
            self.maybe_close(conn);
        }
    }

    fn send_from_server(&mut self, conn: usize, bytes: Vec<u8>, verb: Option<Verb>) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        c.in_flight_to_client += 1;
        let (client, server, tls) = (c.client, c.server, c.tls);
        let pop3 = matches!(c.server_end, ServerEnd::Pop3(_));
        if pop3 {
            let asked = self.conns.get_mut(conn).and_then(|c| c.pop3_asked.pop_front());
            let (summary, explanation, rfc) = explain::pop3_response(&bytes, asked.as_deref());
            self.step(
                server,
                client,
                StepKind::Retrieval,
                Some(&bytes),
                tls,
                summary,
                explanation,
                Some(rfc),
                None,
            );
        } else {
            let (summary, mut explanation, rfc) = explain::reply_text(&bytes, verb);
            if let Some(c) = self.conns.get_mut(conn)
                && c.injected.front().is_some_and(|injected| same_reply(injected, &bytes))
            {
                c.injected.pop_front();
                explanation = format!(
                    "What if: this reply was injected by a [[fault]] of the scenario; the server would have \
                     answered otherwise. {explanation}"
                );
            }
            let code = explain::parse_reply(&bytes).map(|r| r.code.get());
            self.step(
                server,
                client,
                StepKind::Reply,
                Some(&bytes),
                tls,
                summary,
                explanation,
                Some(rfc),
                code,
            );
        }
        let at = self.now.saturating_add(self.latency);
        self.schedule(at, Event::Arrive { conn, to_server: false, bytes });
    }

    pub(super) fn send_from_client(&mut self, conn: usize, bytes: Vec<u8>) {
        let Some(c) = self.conns.get(conn) else { return };
        let (client, server, tls) = (c.client, c.server, c.tls);
        let in_data = matches!(&c.server_end, ServerEnd::Smtp(s) if s.in_data());
        let pop3 = matches!(c.server_end, ServerEnd::Pop3(_));
        if pop3 {
            let (summary, explanation, rfc) = explain::pop3_command(&bytes);
            if let Some(c) = self.conns.get_mut(conn) {
                let keyword = String::from_utf8_lossy(&bytes)
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                c.pop3_asked.push_back(keyword);
            }
            self.step(
                client,
                server,
                StepKind::Retrieval,
                Some(&bytes),
                tls,
                summary,
                explanation,
                Some(rfc),
                None,
            );
        } else if in_data || is_message_data(&bytes) {
            let (summary, explanation) = explain::data_text(&bytes);
            self.step(
                client,
                server,
                StepKind::Data,
                Some(&bytes),
                tls,
                summary,
                explanation,
                Some("RFC 5321 §4.1.1.4, §4.5.2".into()),
                None,
            );
        } else {
            for line in split_lines(&bytes) {
                let (summary, explanation, rfc) = explain::command_line(line);
                self.step(
                    client,
                    server,
                    StepKind::Command,
                    Some(line),
                    tls,
                    summary,
                    explanation,
                    Some(rfc),
                    None,
                );
            }
        }
        let at = self.now.saturating_add(self.latency);
        self.schedule(at, Event::Arrive { conn, to_server: true, bytes });
    }

    fn server_event(&mut self, conn: usize, event: ServerEvent) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        let (client, server) = (c.client, c.server);
        match event {
            ServerEvent::StartTlsAccepted => {
                // A typed session cannot run a handshake itself: the world does it, so the
                // learner sees what follows marked as encrypted (an SMTP client session
                // starts its own handshake when it reads the 220).
                if matches!(c.client_end, ClientEnd::Raw { .. }) {
                    c.tls = true;
                    self.tls_handshake_step(
                        client,
                        server,
                        "Client and server agree on keys (simulated here); the server has forgotten everything said \
                         before, so the client must say EHLO again.",
                    );
                }
            }
            ServerEvent::PipelinedInputDiscarded { octets } => self.note(
                server,
                StepKind::Note,
                None,
                format!("The server discards {octets} octets sent after STARTTLS"),
                "Anything pipelined after STARTTLS arrived before encryption and could be injected by an \
                 attacker; the server throws it away (CVE-2011-0411)."
                    .into(),
                Some("RFC 3207 §4.2".into()),
            ),
            ServerEvent::MessageAccepted(message) => {
                let auth = self.take_auth_report(conn);
                self.accept_message(server, client, *message, auth);
            }
            ServerEvent::Closed(CloseReason::Dropped) => self.drop_connection(conn),
            ServerEvent::Authenticated { user, .. } => self.note(
                server,
                StepKind::Note,
                None,
                format!("{user} is authenticated"),
                "The server now knows who is sending and lets them relay mail to other domains.".into(),
                Some("RFC 4954 §6".into()),
            ),
            _ => {}
        }
    }

    /// Faults struck while the server read the client's bytes: a "What if: …" step on the
    /// server's lane, and the injected replies remembered so their steps say so too.
    fn faults_struck(&mut self, conn: usize, server: usize, struck: Vec<Struck>) {
        for s in struck {
            if let Some(reply) = &s.reply
                && let Some(c) = self.conns.get_mut(conn)
            {
                c.injected.push_back(reply.to_bytes());
            }
            self.note(
                server,
                StepKind::Note,
                None,
                format!("What if: {}", s.description),
                "A [[fault]] of the scenario makes this happen here, so you can see what the client does \
                 about it: a temporary failure (4yz, a lost connection) is retried later or at the next MX, a \
                 permanent one (5yz) comes back to the sender as a bounce."
                    .into(),
                Some("RFC 5321 §4.2.5, §4.5.4.1".into()),
            );
        }
    }

    /// A fault dropped the connection: no reply, no QUIT. The client sees the connection
    /// lost, which is a temporary failure (RFC 5321 §4.5.4.1); data whose end was not
    /// acknowledged was not accepted (§6.1), so a relay keeps the message queued.
    fn drop_connection(&mut self, conn: usize) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        if c.closed {
            return;
        }
        c.closed = true;
        let (client, server) = (c.client, c.server);
        let job = match &mut c.client_end {
            ClientEnd::Smtp { session, job } => {
                session.connection_lost("connection lost: the server did not answer");
                *job
            }
            ClientEnd::Raw { writes } => {
                writes.clear();
                None
            }
            ClientEnd::Pop3(_) => None,
        };
        let server_name = self.name(server);
        self.step(
            client,
            server,
            StepKind::TcpClose,
            None,
            false,
            format!("What if: the connection to {server_name} is lost, with no reply"),
            "A [[fault]] of the scenario drops the TCP connection here. The client never gets an answer: it \
             treats that as a temporary failure and keeps the message to try again later (or at the next \
             MX). If the data had been sent but not acknowledged, the message may now arrive twice (RFC 5321 \
             §6.1)."
                .into(),
            Some("RFC 5321 §4.5.4.1, §6.1".into()),
            None,
        );
        if let Some(job) = job {
            self.session_finished(job, conn);
        }
    }

    fn maybe_close(&mut self, conn: usize) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        if c.closed {
            return;
        }
        let server_closed = match &c.server_end {
            ServerEnd::Smtp(s) => s.is_closed(),
            ServerEnd::Pop3(s) => s.is_closed(),
        };
        let client_done = match &c.client_end {
            ClientEnd::Smtp { session, .. } => session.is_done(),
            ClientEnd::Pop3(client) => client.is_done(),
            ClientEnd::Raw { writes } => writes.is_empty() && server_closed,
        };
        if !(server_closed && client_done) {
            return;
        }
        c.closed = true;
        let (client, server) = (c.client, c.server);
        let job = match &c.client_end {
            ClientEnd::Smtp { job, .. } => *job,
            _ => None,
        };
        let (explanation, rfc) = if matches!(c.server_end, ServerEnd::Pop3(_)) {
            (
                "The POP3 session is over: the mail client and the server close the TCP connection.",
                "RFC 1939 §6",
            )
        } else {
            ("The SMTP session is over: both sides close the TCP connection.", "RFC 5321 §4.1.1.10, §3.8")
        };
        self.step(
            client,
            server,
            StepKind::TcpClose,
            None,
            false,
            "The connection closes".into(),
            explanation.into(),
            Some(rfc.into()),
            None,
        );
        if let Some(job) = job {
            self.session_finished(job, conn);
        }
    }

    /// The client events of a relay's session, for its delivery job.
    pub(super) fn client_events(&mut self, conn: usize) -> Vec<ClientEvent> {
        match self.conns.get_mut(conn).map(|c| &mut c.client_end) {
            Some(ClientEnd::Smtp { session, .. }) => std::iter::from_fn(|| session.poll_event()).collect(),
            _ => Vec::new(),
        }
    }
}

/// Whether `sent` is the reply a fault injected as `injected`: the session may have dropped
/// its enhanced code (no ENHANCEDSTATUSCODES), replaced non-ASCII text with `?` (no
/// SMTPUTF8) or cut a long line, so the code and the text's start are compared.
fn same_reply(injected: &[u8], sent: &[u8]) -> bool {
    let (Some(a), Some(b)) = (explain::parse_reply(injected), explain::parse_reply(sent)) else {
        return false;
    };
    let ascii = |line: &str| -> String { line.chars().map(|c| if c.is_ascii() { c } else { '?' }).collect() };
    a.code == b.code
        && a.lines.len() == b.lines.len()
        && a.lines.iter().zip(&b.lines).all(|(a, b)| {
            let (a, b) = (ascii(a), ascii(b));
            a == b || b.strip_suffix("...").is_some_and(|cut| a.starts_with(cut))
        })
}

/// The DNS resolver's lane name.
pub const DNS_LANE: &str = "DNS";

fn lanes(hosts: &[HostConfig], actions: &[Action]) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = hosts
        .iter()
        .map(|h| Lane {
            name: h.name.clone(),
            role: role_in_lesson(h, hosts, actions).into(),
            ip: Some(h.ip.to_string()),
        })
        .collect();
    lanes.push(Lane { name: DNS_LANE.into(), role: "DNS resolver".into(), ip: None });
    lanes
}

/// What a host is in this scenario, from what it does: a client host that hands its mail to
/// a submission server (port 587, a login, or a host with the submission role) is a mail
/// client (MUA); one that talks to the recipient's MX itself is a sending host; one whose
/// lines are typed is a terminal; one that only reads mail is the recipient's mail client.
/// Servers keep their configured role.
fn role_in_lesson(host: &HostConfig, hosts: &[HostConfig], actions: &[Action]) -> &'static str {
    if host.role == HostRole::Submission {
        // Submission proper is port 587 with a login (RFC 6409); a server that relays for
        // clients it trusts by address on port 25 is the sender's outgoing server.
        let submitted = actions.iter().any(|a| {
            matches!(a, Action::Send { server, port, config, .. }
                if server.eq_ignore_ascii_case(&host.name) && (*port == 587 || config.credentials.is_some()))
        });
        return if submitted { host.role.label() } else { "outgoing mail server (relay, MTA)" };
    }
    if host.role != HostRole::Client {
        return host.role.label();
    }
    let mine = |client: &str| client.eq_ignore_ascii_case(&host.name);
    let (mut submits, mut relays, mut types, mut reads) = (false, false, false, false);
    for action in actions {
        match action {
            Action::Send { client, server, port, config, .. } if mine(client) => {
                let to_submission = hosts
                    .iter()
                    .any(|h| h.name.eq_ignore_ascii_case(server) && h.role == HostRole::Submission);
                if *port == 587 || config.credentials.is_some() || to_submission {
                    submits = true;
                } else {
                    relays = true;
                }
            }
            Action::Type { client, .. } if mine(client) => types = true,
            Action::Retrieve { client, .. } if mine(client) => reads = true,
            _ => {}
        }
    }
    match (submits, relays, types, reads) {
        (false, true, false, false) => "sending host (talks to the MX itself)",
        (false, false, true, false) => "terminal (commands typed by hand)",
        (false, false, false, true) => HostRole::Reader.label(),
        _ => HostRole::Client.label(),
    }
}

/// Whether client bytes are message data rather than command lines: dot-stuffed data
/// ends in `.CRLF` and has more than one line, or a BDAT chunk follows its command.
fn is_message_data(bytes: &[u8]) -> bool {
    bytes.ends_with(b"\r\n.\r\n") || bytes == b".\r\n"
}

/// Splits a write into its CRLF-terminated lines (a pipelined group is several).
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            lines.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        lines.push(&bytes[start..]);
    }
    lines
}

/// `user@domain` in lowercase with an A-label domain: the mailbox a message lands in.
pub fn mailbox_key(path: &crate::proto::ForwardPath) -> String {
    match path.mailbox() {
        Some(mailbox) => {
            let domain = mailbox
                .domain()
                .map(|d| d.to_ascii().to_owned())
                .unwrap_or_else(|| mailbox.host().to_string());
            format!("{}@{}", mailbox.local_part().as_str().to_lowercase(), domain)
        }
        None => "postmaster".into(),
    }
}
