//! The timeline: every step of a simulated run, in order, with what a learner needs to
//! see it — who talked to whom, the exact bytes, a summary, an explanation and the RFC
//! section — and snapshots of the world's state. The player renders it; tests assert on it.

use std::collections::BTreeMap;

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
    /// The lane it leaves from and the lane it goes to (the same for local events).
    pub from: String,
    pub to: String,
    pub kind: StepKind,
    /// The exact bytes on the wire, CRLFs included, when there are any.
    pub wire: Option<String>,
    /// Whether the bytes travelled inside TLS.
    pub tls: bool,
    /// One line: what happened.
    pub summary: String,
    /// Plain-language explanation: why, and what it means.
    pub explanation: String,
    /// The RFC section that defines this behaviour, e.g. `RFC 5321 §4.1.1.2`.
    pub rfc: Option<String>,
    /// The reply code, for reply steps.
    pub code: Option<u16>,
    /// Index into [`Timeline::snapshots`]: the world as it is after this step.
    pub snapshot: usize,
}

/// A lane of the player: one host, in the order they appear.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lane {
    pub name: String,
    /// What the host is, e.g. "mail client", "submission server", "DNS", "MX".
    pub role: String,
    pub ip: Option<String>,
}

/// A message as the inspectors show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredMessage {
    pub id: String,
    pub reverse_path: String,
    pub recipients: Vec<String>,
    /// The message text (RFC 5322), with the trace fields it has gained.
    pub data: String,
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
    pub snapshots: Vec<Snapshot>,
    pub outcome: Outcome,
}

impl Timeline {
    /// The transcript a terminal shows: one line per wire line, prefixed with the time
    /// and the direction, e.g. `0.020s laptop → smtp.example.com  C: EHLO laptop`.
    pub fn transcript(&self) -> Vec<String> {
        let mut out = Vec::new();
        for step in &self.steps {
            let arrow = if step.from == step.to {
                step.from.clone()
            } else {
                format!("{} → {}", step.from, step.to)
            };
            let when = format_time(step.time);
            match &step.wire {
                Some(wire) => {
                    let prefix = match step.kind {
                        StepKind::Reply => "S:",
                        StepKind::Command | StepKind::Data => "C:",
                        StepKind::Retrieval if step.code.is_some() => "S:",
                        StepKind::Retrieval => "C:",
                        _ => "  ",
                    };
                    let tls = if step.tls { "~" } else { "" };
                    for line in wire.split_terminator("\r\n") {
                        out.push(format!("{when} {arrow}  {tls}{prefix} {line}"));
                    }
                }
                None => out.push(format!("{when} {arrow}  -- {}", step.summary)),
            }
        }
        out
    }
}

/// `1h02m03.456s`-style virtual time for transcripts.
pub fn format_time(ms: Millis) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, millis) = (rest / 1000, rest % 1000);
    if h > 0 {
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
    fn times_format_compactly() {
        assert_eq!(format_time(20), "0.020s");
        assert_eq!(format_time(61_500), "1m01.500s");
        assert_eq!(format_time(3_723_004), "1h02m03.004s");
    }
}
