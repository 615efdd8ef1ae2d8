//! The timeline: every step of a simulated run, in order, with what a learner needs to
//! see it — who talked to whom, the exact bytes, a summary, an explanation and the RFC
//! section — and every change to the world's state, from which the world after any step is
//! replayed. The player renders it; tests assert on it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::mailauth::check::Check;
use crate::rfc::{RfcLink, rfc_links};

mod fast_hash;
pub mod packed;
mod text;
pub use fast_hash::FastHash;
pub use text::Text;

/// Virtual time in milliseconds since the scenario started.
pub type Millis = u64;

/// What kind of step this is; decides how the player draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// A TCP connection is opened (SYN…), or fails to open.
    TcpConnect,
    TcpRefused,
    TcpClose,
    /// An SMTP command line (or a raw line typed by a learner).
    Command,
    /// An SMTP reply.
    Reply,
    /// Message data after DATA/BDAT.
    Data,
    /// The TLS handshake after STARTTLS.
    TlsHandshake,
    DnsQuery,
    DnsAnswer,
    /// A message enters, waits in, or leaves a queue.
    Queue,
    /// A retry timer fires.
    Retry,
    /// A delivery status notification is created.
    Dsn,
    /// A message is stored in a mailbox.
    Delivery,
    /// A POP3 command or response.
    Retrieval,
    /// An IMAP command (one client write: a command line, a literal's part, a SASL line).
    ImapCommand,
    /// What an IMAP server writes in answer to one command: untagged data, then the tagged
    /// completion (RFC 9051 §2.2.2); or its greeting.
    ImapResponse,
    /// Anything else worth a line: a policy decision, an authentication check.
    Note,
}

/// One step of the run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    /// When the step starts (virtual ms).
    pub time: Millis,
    /// How long the step travels (link latency; 0 for local events).
    pub duration: Millis,
    /// The lane it leaves from and the lane it goes to (the same for local events): shared
    /// with every other step of the lane, not copied (a run of 1,000 messages has 59,000
    /// steps).
    pub from: Arc<str>,
    pub to: Arc<str>,
    pub kind: StepKind,
    /// The exact bytes on the wire, CRLFs included, when there are any.
    pub wire: Option<String>,
    /// Whether the bytes travelled inside TLS.
    pub tls: bool,
    /// One line: what happened.
    pub summary: Text,
    /// Plain-language explanation: why, and what it means.
    pub explanation: Text,
    /// The RFC section that defines this behaviour, e.g. `RFC 5321 §4.1.1.2`.
    pub rfc: Option<Text>,
    /// The reply code, for reply steps.
    pub code: Option<u16>,
    /// How many of [`Timeline::changes`] have happened by the end of this step: the world
    /// after it is the first `changes` of them applied ([`Timeline::snapshot_after`]).
    pub changes: usize,
    /// The SPF, DKIM or DMARC check whose verdict this step reports, row by row (boxed: few
    /// steps have one, and every step would carry its room).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Box<Check>>,
}

/// A lane of the player: one host, in the order they appear.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lane {
    pub name: String,
    /// What the host is, e.g. "mail client", "submission server", "DNS", "MX".
    pub role: String,
    /// The host's address; none for the resolver, which is not a host of the world.
    pub ip: Option<String>,
}

/// The DNS resolver's lane name: the simulator adds it after the world's hosts.
pub const RESOLVER_LANE: &str = "DNS";

/// A step's wire bytes as [`Step::wire`] holds them: almost always UTF-8 already, which is
/// checked faster than it is replaced (an invalid octet shows as U+FFFD).
pub fn wire_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

impl Lane {
    /// The lane of the DNS resolver the simulator adds (every world host has an address),
    /// rather than a host whose role happens to mention DNS.
    pub fn is_resolver(&self) -> bool {
        self.ip.is_none() && self.name == RESOLVER_LANE
    }
}

/// A message as the inspectors show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredMessage {
    pub id: String,
    pub reverse_path: String,
    pub recipients: Vec<String>,
    /// The message text (RFC 5322), with the trace fields it has gained. Shared, not copied,
    /// by every replayed world that holds the message.
    pub data: Arc<str>,
    /// Its IMAP flags (RFC 9051 §2.3.2), e.g. `\Seen` once a reader has read it over IMAP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

/// A message waiting in a relay's queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueuedMessage {
    pub id: String,
    pub reverse_path: String,
    pub recipients: Vec<String>,
    pub attempts: u32,
    /// When the next attempt is due, if one is scheduled.
    pub next_attempt: Option<Millis>,
    /// The last reason delivery was deferred.
    pub last_error: Option<String>,
}

/// One change to the world's state, in the order they happened. A run keeps its changes, not
/// a copy of the world after each step, so a timeline grows with what happens in it (issue
/// 16: copies of every mailbox at every step made 64 messages cost 25 times the JSON of 10).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// A message enters `host`'s queue (at its end), or its entry there is written anew (an
    /// attempt started or ended), in place.
    Queued { host: String, message: QueuedMessage },
    /// The message `id` leaves `host`'s queue.
    Dequeued { host: String, id: String },
    /// A message is added to the end of a mailbox.
    Stored { host: String, mailbox: String, message: StoredMessage },
    /// A mailbox's messages at these positions are deleted (POP3's UPDATE state, IMAP's
    /// EXPUNGE).
    Deleted { host: String, mailbox: String, positions: Vec<usize> },
    /// The message at `position` of a mailbox now has these IMAP flags (RFC 9051 §6.4.6).
    Flagged { host: String, mailbox: String, position: usize, flags: Vec<String> },
    /// `host` caches a DNS answer: `query` (`name TYPE`) → `answer`.
    Cached { host: String, query: String, answer: String },
}

/// The world's state at some point: what the inspectors show.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// Each relay's queue, by host.
    pub queues: BTreeMap<String, Vec<QueuedMessage>>,
    /// Each mailbox (`user@domain`) with its messages, by host.
    pub mailboxes: BTreeMap<String, BTreeMap<String, Vec<StoredMessage>>>,
    /// DNS answers each host has seen: `name TYPE → answer`.
    pub dns_cache: BTreeMap<String, BTreeMap<String, String>>,
}

impl Snapshot {
    /// The state after `change`.
    pub fn apply(&mut self, change: &Change) {
        match change {
            Change::Queued { host, message } => {
                let queue = self.queues.entry(host.clone()).or_default();
                match queue.iter_mut().find(|m| m.id == message.id) {
                    Some(entry) => *entry = message.clone(),
                    None => queue.push(message.clone()),
                }
            }
            Change::Dequeued { host, id } => {
                if let Some(queue) = self.queues.get_mut(host) {
                    queue.retain(|m| m.id != *id);
                    if queue.is_empty() {
                        self.queues.remove(host);
                    }
                }
            }
            Change::Stored { host, mailbox, message } => {
                let boxes = self.mailboxes.entry(host.clone()).or_default();
                boxes.entry(mailbox.clone()).or_default().push(message.clone());
            }
            Change::Deleted { host, mailbox, positions } => {
                if let Some(messages) = self.mailboxes.get_mut(host).and_then(|b| b.get_mut(mailbox)) {
                    let mut at = 0;
                    messages.retain(|_| {
                        at += 1;
                        !positions.contains(&(at - 1))
                    });
                }
            }
            Change::Flagged { host, mailbox, position, flags } => {
                let boxes = self.mailboxes.get_mut(host).and_then(|b| b.get_mut(mailbox));
                if let Some(message) = boxes.and_then(|m| m.get_mut(*position)) {
                    message.flags.clone_from(flags);
                }
            }
            Change::Cached { host, query, answer } => {
                self.dns_cache.entry(host.clone()).or_default().insert(query.clone(), answer.clone());
            }
        }
    }
}

/// The world's state step by step, for a reader that walks the steps in order: each call
/// applies only the changes since the last one (going back starts again from the empty world).
#[derive(Debug)]
pub struct Replay<'a> {
    changes: &'a [Change],
    applied: usize,
    state: Snapshot,
}

impl<'a> Replay<'a> {
    pub fn new(timeline: &'a Timeline) -> Self {
        Replay { changes: &timeline.changes, applied: 0, state: Snapshot::default() }
    }

    /// The world after the first `count` changes (all of them, if there are fewer).
    pub fn after(&mut self, count: usize) -> &Snapshot {
        let count = count.min(self.changes.len());
        if count < self.applied {
            self.applied = 0;
            self.state = Snapshot::default();
        }
        for change in self.changes.get(self.applied..count).unwrap_or_default() {
            self.state.apply(change);
        }
        self.applied = count;
        &self.state
    }

    /// The world after `step` (of the timeline it replays).
    pub fn after_step(&mut self, step: &Step) -> &Snapshot {
        self.after(step.changes)
    }
}

/// The outcome of the whole run, for lesson tests and the "try this next" panel.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// `mailbox → number of messages` delivered at the end.
    pub delivered: BTreeMap<String, usize>,
    /// DSNs generated, as `action: recipient (status)`.
    pub dsns: Vec<String>,
    /// Messages still queued at the end.
    pub queued: usize,
    /// Whether the run stopped at the step cap.
    pub truncated: bool,
}

/// Everything a run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timeline {
    pub lanes: Vec<Lane>,
    pub steps: Vec<Step>,
    /// Every change to the world's state, in order ([`Step::changes`] counts them).
    pub changes: Vec<Change>,
    pub outcome: Outcome,
}

impl Timeline {
    /// The transcript a terminal shows: one line per wire line, prefixed with the time
    /// and the direction, e.g. `0.020s laptop → smtp.example.com  C: EHLO laptop`.
    pub fn transcript(&self) -> Vec<String> {
        self.steps.iter().flat_map(Step::transcript_lines).collect()
    }

    /// The world after the first `count` changes, replayed from the start. A reader that
    /// walks many steps uses a [`Replay`], which does not start again each time.
    pub fn snapshot_after(&self, count: usize) -> Snapshot {
        let mut state = Snapshot::default();
        for change in self.changes.iter().take(count) {
            state.apply(change);
        }
        state
    }

    /// The world at the end of the run.
    pub fn final_snapshot(&self) -> Snapshot {
        self.snapshot_after(self.changes.len())
    }
}

impl Step {
    /// This step's lines of [`Timeline::transcript`], the same text a terminal shows.
    pub fn transcript_lines(&self) -> Vec<String> {
        let arrow = if self.from == self.to {
            self.from.to_string()
        } else {
            format!("{} → {}", self.from, self.to)
        };
        let when = format_time(self.time);
        match &self.wire {
            Some(wire) => {
                let prefix = match self.kind {
                    StepKind::Reply => "S:",
                    StepKind::Command | StepKind::Data => "C:",
                    StepKind::Retrieval if self.is_pop3_response() => "S:",
                    StepKind::Retrieval | StepKind::ImapCommand => "C:",
                    StepKind::ImapResponse => "S:",
                    _ => "  ",
                };
                let tls = if self.tls { "~" } else { "" };
                wire.split_terminator("\r\n")
                    .map(|line| format!("{when} {arrow}  {tls}{prefix} {line}"))
                    .collect()
            }
            None => vec![format!("{when} {arrow}  -- {}", self.summary)],
        }
    }

    /// Whether this POP3 step is the server's response: it starts with a status indicator
    /// (RFC 1939 §3: "+OK" or "-ERR"), which no command does. POP3 has no reply codes.
    pub fn is_pop3_response(&self) -> bool {
        self.kind == StepKind::Retrieval
            && self.wire.as_deref().is_some_and(|w| w.starts_with("+OK") || w.starts_with("-ERR"))
    }

    /// The enhanced status code of a reply (RFC 3463 §2), as `x.y.z`, with its meaning.
    pub fn enhanced_status(&self) -> Option<(String, &'static str)> {
        if self.kind != StepKind::Reply {
            return None;
        }
        let reply = crate::proto::reply::parse_reply(self.wire.as_deref()?.as_bytes())?;
        let enhanced = reply.enhanced?;
        let meaning = if enhanced.subject() == 0 && enhanced.detail() == 0 {
            // RFC 3463's "Other undefined status": nothing beyond the reply code itself.
            "no more detail than the reply code"
        } else {
            enhanced.describe()
        };
        Some((enhanced.to_string(), meaning))
    }

    /// Links to the RFC sections in [`Step::rfc`].
    pub fn rfc_links(&self) -> Vec<RfcLink> {
        self.rfc.as_deref().map(rfc_links).unwrap_or_default()
    }
}

impl StepKind {
    /// Every kind, in the order of the enum.
    pub const ALL: [StepKind; 17] = [
        Self::TcpConnect,
        Self::TcpRefused,
        Self::TcpClose,
        Self::Command,
        Self::Reply,
        Self::Data,
        Self::TlsHandshake,
        Self::DnsQuery,
        Self::DnsAnswer,
        Self::Queue,
        Self::Retry,
        Self::Dsn,
        Self::Delivery,
        Self::Retrieval,
        Self::ImapCommand,
        Self::ImapResponse,
        Self::Note,
    ];

    /// The kind's name in JSON and in scenario files, e.g. `tcp-connect`.
    pub fn key(self) -> &'static str {
        match self {
            Self::TcpConnect => "tcp-connect",
            Self::TcpRefused => "tcp-refused",
            Self::TcpClose => "tcp-close",
            Self::Command => "command",
            Self::Reply => "reply",
            Self::Data => "data",
            Self::TlsHandshake => "tls-handshake",
            Self::DnsQuery => "dns-query",
            Self::DnsAnswer => "dns-answer",
            Self::Queue => "queue",
            Self::Retry => "retry",
            Self::Dsn => "dsn",
            Self::Delivery => "delivery",
            Self::Retrieval => "retrieval",
            Self::ImapCommand => "imap-command",
            Self::ImapResponse => "imap-response",
            Self::Note => "note",
        }
    }

    /// The kind named `key` (see [`StepKind::key`]).
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Steps that only move the conversation along (opening and closing a connection, the
    /// question half of a DNS lookup, whose answer carries the explanation): a lesson's
    /// narrative may leave them to the generated text.
    pub fn is_mechanical(self) -> bool {
        matches!(self, Self::TcpConnect | Self::TcpClose | Self::DnsQuery)
    }

    /// A short name for the kind of step, as the player labels it.
    pub fn label(self) -> &'static str {
        match self {
            Self::TcpConnect => "TCP connect",
            Self::TcpRefused => "connection refused",
            Self::TcpClose => "TCP close",
            Self::Command => "command",
            Self::Reply => "reply",
            Self::Data => "message data",
            Self::TlsHandshake => "TLS handshake",
            Self::DnsQuery => "DNS query",
            Self::DnsAnswer => "DNS answer",
            Self::Queue => "queue",
            Self::Retry => "retry",
            Self::Dsn => "delivery report",
            Self::Delivery => "delivery",
            Self::Retrieval => "POP3",
            Self::ImapCommand => "IMAP command",
            Self::ImapResponse => "IMAP response",
            Self::Note => "note",
        }
    }
}

/// The class of a reply code from its first digit (RFC 5321 §4.2.1): `2xx` and its name.
pub fn reply_class(code: u16) -> Option<(&'static str, &'static str)> {
    match code / 100 {
        2 => Some(("2xx", "Positive Completion: the action was done")),
        3 => Some(("3xx", "Positive Intermediate: go ahead and send more")),
        4 => Some(("4xx", "Transient Negative Completion: not now, try again later")),
        5 => Some(("5xx", "Permanent Negative Completion: do not repeat it as is")),
        _ => None,
    }
}

/// How long a wait was, in words, for the player's "⏩ … later" label: `30 seconds`,
/// `30 minutes`, `2 hours`, `1 day 2 hours`.
pub fn describe_wait(ms: Millis) -> String {
    let plural = |n: Millis, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let (days, hours) = (ms / 86_400_000, ms % 86_400_000 / 3_600_000);
    let minutes = ms % 3_600_000 / 60_000;
    if days > 0 {
        if hours > 0 {
            format!("{} {}", plural(days, "day"), plural(hours, "hour"))
        } else {
            plural(days, "day")
        }
    } else if hours > 0 {
        if minutes > 0 {
            format!("{} {}", plural(hours, "hour"), plural(minutes, "minute"))
        } else {
            plural(hours, "hour")
        }
    } else if minutes > 0 {
        plural(minutes, "minute")
    } else {
        plural(ms / 1000, "second")
    }
}

/// `1h02m03.456s`-style virtual time for transcripts; past a day, days first
/// (`5d00h00m00.000s`, not `120h00m00.000s`: a queue's lifetime reads as days).
pub fn format_time(ms: Millis) -> String {
    let (d, rest) = (ms / 86_400_000, ms % 86_400_000);
    let (h, rest) = (rest / 3_600_000, rest % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, millis) = (rest / 1000, rest % 1000);
    if d > 0 {
        format!("{d}d{h:02}h{m:02}m{s:02}.{millis:03}s")
    } else if h > 0 {
        format!("{h}h{m:02}m{s:02}.{millis:03}s")
    } else if m > 0 {
        format!("{m}m{s:02}.{millis:03}s")
    } else {
        format!("{s}.{millis:03}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_keys_are_the_json_names() {
        for kind in StepKind::ALL {
            assert_eq!(serde_json::to_string(&kind).expect("json"), format!("{:?}", kind.key()));
            assert_eq!(StepKind::from_key(kind.key()), Some(kind));
        }
        assert_eq!(StepKind::from_key("Reply"), None);
    }

    #[test]
    fn times_format_compactly() {
        assert_eq!(format_time(20), "0.020s");
        assert_eq!(format_time(61_500), "1m01.500s");
        assert_eq!(format_time(3_723_004), "1h02m03.004s");
        assert_eq!(format_time(86_399_999), "23h59m59.999s");
        assert_eq!(format_time(5 * 86_400_000), "5d00h00m00.000s");
        assert_eq!(format_time(86_400_000 + 3_723_004), "1d01h02m03.004s");
    }

    fn step(kind: StepKind, wire: Option<&str>, tls: bool) -> Step {
        Step {
            time: 61_500,
            duration: 20,
            from: "mx".into(),
            to: if kind == StepKind::Note { "mx".into() } else { "client".into() },
            kind,
            wire: wire.map(Into::into),
            tls,
            summary: "something happened".into(),
            explanation: String::new().into(),
            rfc: Some("RFC 5321 §4.2.2".into()),
            code: None,
            changes: 0,
            check: None,
        }
    }

    #[test]
    fn transcript_lines_split_the_wire_and_mark_tls() {
        let reply = Step { code: Some(250), ..step(StepKind::Reply, Some("250-a\r\n250 b\r\n"), true) };
        assert_eq!(
            reply.transcript_lines(),
            ["1m01.500s mx → client  ~S: 250-a", "1m01.500s mx → client  ~S: 250 b"]
        );
        let note = step(StepKind::Note, None, false);
        assert_eq!(note.transcript_lines(), ["1m01.500s mx  -- something happened"]);
        let timeline = Timeline { steps: vec![reply, note], ..Timeline::default() };
        assert_eq!(timeline.transcript().len(), 3);
    }

    #[test]
    fn enhanced_status_comes_from_the_parsed_reply() {
        let reply =
            Step { code: Some(550), ..step(StepKind::Reply, Some("550 5.1.1 No such user\r\n"), false) };
        let (code, meaning) = reply.enhanced_status().expect("has one");
        assert_eq!(code, "5.1.1");
        assert!(meaning.to_lowercase().contains("mailbox"), "{meaning}");
        let plain = Step { code: Some(250), ..step(StepKind::Reply, Some("250 Ok\r\n"), false) };
        assert_eq!(plain.enhanced_status(), None);
        assert_eq!(step(StepKind::Command, Some("MAIL FROM:<a@b> \r\n"), false).enhanced_status(), None);
    }

    #[test]
    fn waits_are_described_in_words() {
        assert_eq!(describe_wait(45_000), "45 seconds");
        assert_eq!(describe_wait(60_000), "1 minute");
        assert_eq!(describe_wait(30 * 60_000), "30 minutes");
        assert_eq!(describe_wait(2 * 3_600_000 + 5 * 60_000), "2 hours 5 minutes");
        assert_eq!(describe_wait(86_400_000 + 3_600_000), "1 day 1 hour");
        assert_eq!(describe_wait(2 * 86_400_000), "2 days");
    }

    #[test]
    fn reply_classes_follow_the_first_digit() {
        assert_eq!(reply_class(250).map(|c| c.0), Some("2xx"));
        assert_eq!(reply_class(354).map(|c| c.0), Some("3xx"));
        assert_eq!(reply_class(451).map(|c| c.0), Some("4xx"));
        assert_eq!(reply_class(554).map(|c| c.0), Some("5xx"));
        assert_eq!(reply_class(199), None);
    }
}
