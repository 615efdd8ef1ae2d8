//! The world's state and its record: hosts as they run (mailboxes, queues, DNS caches),
//! connections, events waiting on a virtual clock that jumps to the next one, one seeded RNG,
//! ordered maps only; and the primitives with which every other file of the world writes the
//! [`Timeline`] (`step`, `note`, `dns_step`), each step pointing at a snapshot of that state.
//! The same configuration and seed always give the same timeline, byte for byte.
//!
//! Nothing here acts on its own: the sessions ([`super::session`]), the authentication steps
//! ([`super::auth`]) and the relay ([`super::relay`]) do, and the event loop
//! ([`super::run`]) drives them.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

use super::config::{Action, HostConfig, HostRole, RetrySchedule, STEP_CAP, WorldConfig};
use super::fault::{Fault, FaultAction, FaultCounts};
use super::queue::{self, Job, QueueEntry};
use super::rng::Rng;
use super::words::Worded;
use crate::dns::Zone;
use crate::engine::imap::{ImapClient, ImapServer};
use crate::engine::pop3::{Pop3Client, Pop3Server};
use crate::engine::{ClientSession, ServerSession};
use crate::mailauth::receiver::AuthReport;
use crate::proto::imap::Flag;
use crate::timeline::{
    Change, Lane, Millis, RESOLVER_LANE, Step, StepKind, StoredMessage, Text, Timeline, wire_text,
};

/// A message stored in a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stored {
    pub id: String,
    pub reverse_path: String,
    pub recipient: String,
    pub data: Vec<u8>,
    /// Its IMAP UID in its mailbox, ascending and never reused (RFC 9051 §2.3.1.1).
    pub uid: u32,
    /// Its IMAP flags (RFC 9051 §2.3.2), sorted.
    pub flags: Vec<Flag>,
    /// When it was stored, in Unix seconds: its IMAP INTERNALDATE (RFC 9051 §2.3.3).
    pub stored_at: i64,
}

/// A host as it runs.
#[derive(Debug)]
pub(super) struct HostState {
    pub config: HostConfig,
    /// A deque: an entry leaves from anywhere (mostly near the front, when its retry is
    /// due) and goes back at the end, and a queue of a thousand large entries must not be
    /// shifted along for each.
    pub queue: VecDeque<QueueEntry>,
    /// `user@domain` → messages.
    pub mailboxes: BTreeMap<String, Vec<Stored>>,
    /// DNS answers this host has seen, for the inspector.
    pub dns_cache: BTreeMap<String, String>,
    /// The UID each mailbox gives its next message (RFC 9051 §2.3.1.1: UIDNEXT).
    pub uid_next: BTreeMap<String, u32>,
}

impl HostState {
    pub fn is_down(&self, now: Millis) -> bool {
        self.config.down.iter().any(|&(from, to)| (from..to).contains(&now))
    }
}

#[derive(Debug)]
pub(super) enum ClientEnd {
    Smtp { session: Box<ClientSession>, job: Option<usize> },
    Raw { writes: VecDeque<Vec<u8>> },
    Pop3(Pop3Client),
    Imap(Box<ImapClient>),
}

#[derive(Debug)]
pub(super) enum ServerEnd {
    Smtp(Box<ServerSession>),
    Pop3(Pop3Server),
    Imap(Box<ImapServer>),
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
    /// POP3 or IMAP commands sent and not answered yet, so each response is explained as
    /// the answer to its command (a POP3 client waits for each response, RFC 1939 §3; our
    /// IMAP client sends one command at a time, RFC 9051 §5.5 allows more).
    pub asked: VecDeque<String>,
    /// The IMAP command whose continuation request (`+`, RFC 9051 §7.6) the server sent
    /// last: the client's next write continues it (a literal's rest, a SASL line, `DONE`).
    pub continuing: Option<String>,
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

/// An event and when it happens. The queue is a heap, which pops its greatest element:
/// the earliest is the greatest here, and of two at the same time the one scheduled first.
#[derive(Debug)]
pub(super) struct Scheduled {
    pub at: Millis,
    seq: u64,
    pub event: Event,
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// (Each event has its own sequence number, so equal means the same event.)
impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Scheduled {}

/// The running world.
pub struct World {
    pub(super) now: Millis,
    seq: u64,
    /// What is scheduled, earliest first (ties in the order they were scheduled).
    pub(super) events: BinaryHeap<Scheduled>,
    pub(super) rng: Rng,
    pub(super) hosts: Vec<HostState>,
    pub(super) zone: Zone,
    /// Every connection by index; `None` once it has closed and its sessions are let go
    /// ([`World::release`]), so a run's memory follows its open connections, not its history.
    pub(super) conns: Vec<Option<Conn>>,
    pub(super) jobs: Vec<Job>,
    pub(super) latency: Millis,
    pub(super) retry: RetrySchedule,
    pub(super) start_unix: i64,
    /// The scenario's actions, each taken when it starts (each starts once).
    pub(super) actions: Vec<Option<Action>>,
    pub(super) max_steps: usize,
    pub(super) max_time: Millis,
    pub(super) timeline: Timeline,
    /// Steps decided now that happen later (a DNS answer is decided with its query), in
    /// the order they were decided: each joins the timeline when the clock reaches it, so
    /// the steps stay in time order without a sort at the end.
    ahead: Vec<Step>,
    /// Each host's name as a step's lane, by host index, and the resolver's.
    lane_names: Vec<Arc<str>>,
    resolver_lane: Arc<str>,
    /// The words of writes already explained, for the identical writes that follow.
    pub(super) worded: Worded,
    pub(super) next_id: u64,
    /// The faults that strike commands, and how often each host received each verb.
    pub(super) faults: Vec<Fault>,
    pub(super) fault_counts: FaultCounts,
    /// Down intervals that faults added, by host index, for the steps to say so.
    pub(super) fault_down: Vec<(usize, Millis, Millis)>,
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
        let lane_names = config.hosts.iter().map(|h| Arc::from(h.name.as_str())).collect();
        let hosts = config
            .hosts
            .into_iter()
            .map(|config| HostState {
                config,
                queue: VecDeque::new(),
                mailboxes: BTreeMap::new(),
                dns_cache: BTreeMap::new(),
                uid_next: BTreeMap::new(),
            })
            .collect();
        let mut world = Self {
            now: 0,
            seq: 0,
            events: BinaryHeap::new(),
            rng: Rng::new(config.seed),
            hosts,
            zone: config.zone,
            conns: Vec::new(),
            jobs: Vec::new(),
            latency: config.latency,
            retry: config.retry,
            start_unix: config.start_unix,
            actions: config.actions.into_iter().map(Some).collect(),
            max_steps: config.max_steps.min(STEP_CAP),
            max_time: config.max_time,
            timeline: Timeline { lanes, ..Timeline::default() },
            ahead: Vec::new(),
            lane_names,
            resolver_lane: Arc::from(RESOLVER_LANE),
            worded: Worded::default(),
            next_id: 0,
            faults: config.faults,
            fault_counts: FaultCounts::new(),
            fault_down,
        };
        let starts: Vec<Millis> = world
            .actions
            .iter()
            .flatten()
            .map(|action| match action {
                Action::Send { at, .. } | Action::Type { at, .. } | Action::Retrieve { at, .. } => *at,
            })
            .collect();
        for (i, at) in starts.into_iter().enumerate() {
            world.schedule(at, Event::Start(i));
        }
        world
    }

    pub(super) fn schedule(&mut self, at: Millis, event: Event) {
        self.seq += 1;
        self.events.push(Scheduled { at, seq: self.seq, event });
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

    /// The lane of `host` for a step: its name, shared by every step on the lane (and by
    /// the steps' words; [`World::name`] is an owned copy, for the records that keep one).
    pub(super) fn lane(&self, host: usize) -> Arc<str> {
        self.lane_names.get(host).cloned().unwrap_or_else(|| Arc::from(""))
    }

    /// A fresh id for messages and queue entries, repeatable for a seed.
    pub(super) fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("{:05X}{:05X}", self.next_id, self.rng.below(0xFFFFF))
    }

    /// Appends a step, after the changes to the world made so far.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn step(
        &mut self,
        from: usize,
        to: usize,
        kind: StepKind,
        wire: Option<&[u8]>,
        tls: bool,
        summary: Text,
        explanation: Text,
        rfc: Option<Text>,
        code: Option<u16>,
    ) {
        if self.at_step_cap() {
            return;
        }
        let changes = self.timeline.changes.len();
        let travels = from != to;
        let step = Step {
            time: self.now,
            duration: if travels { self.latency } else { 0 },
            from: self.lane(from),
            to: self.lane(to),
            kind,
            wire: wire.map(wire_text),
            tls,
            summary,
            explanation,
            rfc,
            code,
            changes,
            check: None,
        };
        self.push_step(step);
    }

    /// Adds a step in time order: one that happens later waits in [`World::ahead`]; any that
    /// waited until this one's time go in first, in the order they were decided (as a
    /// stable sort by time would put them).
    fn push_step(&mut self, step: Step) {
        if step.time > self.now {
            self.ahead.push(step);
            return;
        }
        self.steps_until(step.time);
        self.timeline.steps.push(step);
    }

    /// Moves the waiting steps that happen at or before `time` into the timeline.
    pub(super) fn steps_until(&mut self, time: Millis) {
        while let Some(i) = self
            .ahead
            .iter()
            .enumerate()
            .filter(|(_, s)| s.time <= time)
            .min_by_key(|(i, s)| (s.time, *i))
            .map(|(i, _)| i)
        {
            let step = self.ahead.remove(i);
            self.timeline.steps.push(step);
        }
    }

    /// How many steps the run has decided, the ones waiting to happen included.
    pub(super) fn steps_decided(&self) -> usize {
        self.timeline.steps.len() + self.ahead.len()
    }

    /// A step that happens at one host: a queue event, a delivery, a decision.
    pub(super) fn note(
        &mut self,
        host: usize,
        kind: StepKind,
        wire: Option<&[u8]>,
        summary: Text,
        explanation: Text,
        rfc: Option<Text>,
    ) {
        self.step(host, host, kind, wire, false, summary, explanation, rfc, None);
    }

    /// Whether the timeline is full: the step cap is reached (the run stops at its next event,
    /// and the steps the current one would add are left out, so no run passes the cap).
    fn at_step_cap(&mut self) -> bool {
        let full = self.steps_decided() >= self.max_steps;
        self.timeline.outcome.truncated |= full;
        full
    }

    /// Records that `host`'s queue entry `id` entered the queue or changed: its view as it
    /// is now.
    pub(super) fn queue_changed(&mut self, host: usize, id: &str) {
        let Some(h) = self.hosts.get(host) else { return };
        if let Some(entry) = queue::position(&h.queue, id).and_then(|i| h.queue.get(i)) {
            let change = Change::Queued { host: h.config.name.clone(), message: entry.view() };
            self.timeline.changes.push(change);
        }
    }

    /// Records that the message `id` left `host`'s queue.
    pub(super) fn queue_left(&mut self, host: usize, id: &str) {
        let change = Change::Dequeued { host: self.name(host), id: id.to_owned() };
        self.timeline.changes.push(change);
    }

    /// Stores a message at the end of `host`'s `mailbox` with the mailbox's next UID, and
    /// records it.
    pub(super) fn store(&mut self, host: usize, mailbox: String, mut message: Stored) {
        let stored_at = self.start_unix.saturating_add(i64::try_from(self.now / 1000).unwrap_or(i64::MAX));
        let Some(h) = self.hosts.get_mut(host) else { return };
        let next = h.uid_next.entry(mailbox.clone()).or_insert(1);
        message.uid = *next;
        *next = next.saturating_add(1);
        message.stored_at = stored_at;
        let change = Change::Stored {
            host: h.config.name.clone(),
            mailbox: mailbox.clone(),
            message: StoredMessage {
                id: message.id.clone(),
                reverse_path: message.reverse_path.clone(),
                recipients: vec![message.recipient.clone()],
                // Valid UTF-8 (nearly always) is checked quickly, then copied once.
                data: match std::str::from_utf8(&message.data) {
                    Ok(text) => Arc::from(text),
                    Err(_) => String::from_utf8_lossy(&message.data).into(),
                },
                flags: Vec::new(),
            },
        };
        h.mailboxes.entry(mailbox).or_default().push(message);
        self.timeline.changes.push(change);
    }

    /// Caches a DNS answer at `host`, and records it.
    pub(super) fn cache_answer(&mut self, host: usize, query: String, answer: String) {
        let Some(h) = self.hosts.get_mut(host) else { return };
        h.dns_cache.insert(query.clone(), answer.clone());
        let change = Change::Cached { host: h.config.name.clone(), query, answer };
        self.timeline.changes.push(change);
    }

    /// A step to or from the DNS lane, citing `rfc` (the rule that made the lookup).
    pub(super) fn dns_step(
        &mut self,
        host: usize,
        query: bool,
        summary: String,
        explanation: Text,
        wire: String,
        rfc: Text,
    ) {
        if self.at_step_cap() {
            return;
        }
        let changes = self.timeline.changes.len();
        let (from, to) = if query {
            (self.lane(host), self.resolver_lane.clone())
        } else {
            (self.resolver_lane.clone(), self.lane(host))
        };
        self.push_step(Step {
            time: self.now.saturating_add(if query { 0 } else { self.latency }),
            duration: self.latency,
            from,
            to,
            kind: if query { StepKind::DnsQuery } else { StepKind::DnsAnswer },
            wire: Some(wire),
            tls: false,
            summary: summary.into(),
            explanation,
            rfc: Some(rfc),
            code: None,
            changes,
            check: None,
        });
    }
}

fn lanes(hosts: &[HostConfig], actions: &[Action]) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = hosts
        .iter()
        .map(|h| Lane {
            name: h.name.clone(),
            role: role_in_lesson(h, hosts, actions).into(),
            ip: Some(h.ip.to_string()),
        })
        .collect();
    lanes.push(Lane { name: RESOLVER_LANE.into(), role: "DNS resolver".into(), ip: None });
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
