//! The journey map: a run's hosts as a small network at one step — where the message is
//! now, the links it has crossed, which queues hold mail and when they try again, which hosts
//! refused a connection — the picture beside the lanes, which keep the conversation.
//!
//! Derived from the timeline alone (steps up to the one shown and the world after it), so
//! the player draws it from lesson data without running a world.

use super::inspect::{steps_so_far, time_at};
use crate::timeline::{Millis, Replay, Snapshot, Step, StepKind, Timeline};

/// The map at one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journey {
    /// Every host, in lane order.
    pub hosts: Vec<MapHost>,
    /// Every pair of hosts that has talked so far, once.
    pub links: Vec<MapLink>,
    /// The virtual time of the step.
    pub now: Millis,
}

/// One host on the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapHost {
    pub name: String,
    pub role: String,
    /// A DNS resolver: drawn aside, it answers questions and never holds mail.
    pub dns: bool,
    /// The message that moved last is here now.
    pub holds: bool,
    /// The step shown starts or ends here.
    pub active: bool,
    /// Its last connection attempt was refused (down, or not listening).
    pub down: bool,
    /// Messages in its queue.
    pub queued: usize,
    /// When its queue next tries one of them, if a try is scheduled.
    pub next_try: Option<Millis>,
    /// Messages stored in its mailboxes.
    pub stored: usize,
}

/// Two hosts that have talked, by lane index (`a < b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapLink {
    pub a: usize,
    pub b: usize,
    /// The message crossed it (data to a server, or a copy to a reader): the path it took.
    pub carried: bool,
    /// Some of it travelled inside TLS.
    pub tls: bool,
    /// The last attempt over it was refused.
    pub refused: bool,
    /// The step shown is on it.
    pub current: bool,
}

/// The journey map after `step` (`None`: before the first step, every host idle).
pub fn journey(timeline: &Timeline, step: Option<usize>) -> Journey {
    let lane = |name: &str| timeline.lanes.iter().position(|l| l.name == name);
    let mut hosts: Vec<MapHost> = timeline
        .lanes
        .iter()
        .map(|l| MapHost {
            name: l.name.clone(),
            role: l.role.clone(),
            dns: l.is_resolver(),
            holds: false,
            active: false,
            down: false,
            queued: 0,
            next_try: None,
            stored: 0,
        })
        .collect();
    let mut links: Vec<MapLink> = Vec::new();
    let mut holder = None;
    let shown = steps_so_far(timeline, step);
    // The world step by step, replayed once as the loop walks (not from the start each step).
    let mut replay = Replay::new(timeline);
    for (i, s) in shown.iter().enumerate() {
        let current = i + 1 == shown.len();
        let (Some(from), Some(to)) = (lane(&s.from), lane(&s.to)) else { continue };
        // A queue step brings the message back to the relay only when it waits there for a
        // next try (a deferral); once handed on it stays where it was handed to.
        let mut waits = |host: &str| {
            let queue = replay.after_step(s).queues.get(host);
            queue.is_some_and(|q| q.iter().any(|m| m.next_attempt.is_some()))
        };
        let moved = moved_to(s, from, to).filter(|_| s.kind != StepKind::Queue || waits(&hosts[from].name));
        if let Some(at) = moved {
            holder = Some(at);
        }
        // A connection attempt says whether the host answers now, and so does its link.
        let refused = match s.kind {
            StepKind::TcpRefused => Some(true),
            StepKind::TcpConnect => Some(false),
            _ => None,
        };
        if let Some(refused) = refused {
            hosts[to].down = refused;
        }
        if current {
            hosts[from].active = true;
            hosts[to].active = true;
        }
        if from == to {
            continue;
        }
        let (a, b) = (from.min(to), from.max(to));
        let index = match links.iter().position(|l| l.a == a && l.b == b) {
            Some(index) => index,
            None => {
                links.push(MapLink { a, b, carried: false, tls: false, refused: false, current: false });
                links.len() - 1
            }
        };
        let link = &mut links[index];
        link.carried |= moved == Some(to);
        link.tls |= s.tls;
        link.current = current;
        if let Some(refused) = refused {
            link.refused = refused;
        }
    }
    if let Some(at) = holder {
        hosts[at].holds = true;
    }
    let empty = Snapshot::default();
    let snapshot = match shown.last() {
        Some(last) => replay.after_step(last),
        None => &empty,
    };
    for host in &mut hosts {
        let queue = snapshot.queues.get(&host.name).map_or(&[][..], Vec::as_slice);
        host.queued = queue.len();
        host.next_try = queue.iter().filter_map(|q| q.next_attempt).min();
        host.stored =
            snapshot.mailboxes.get(&host.name).into_iter().flat_map(|b| b.values()).map(Vec::len).sum();
    }
    Journey { hosts, links, now: time_at(timeline, step) }
}

/// Where a step leaves the message that moves, if it moves one: a client starting a
/// transaction holds it (MAIL FROM), data carries it to the server, a mailbox or queue keeps
/// it where it is, and a POP3 or IMAP answer with the message in it brings a copy to the
/// reader (an IMAP FETCH of `BODY[]` carries it as a literal, RFC 9051 §7.5.2).
fn moved_to(step: &Step, from: usize, to: usize) -> Option<usize> {
    let wire = step.wire.as_deref().unwrap_or_default();
    match step.kind {
        StepKind::Command if wire.get(..10).is_some_and(|w| w.eq_ignore_ascii_case("MAIL FROM:")) => {
            Some(from)
        }
        StepKind::Data => Some(to),
        StepKind::Delivery | StepKind::Queue => Some(from),
        StepKind::Retrieval if wire.starts_with("+OK") && wire.matches("\r\n").count() > 2 => Some(to),
        StepKind::ImapResponse if wire.contains(" FETCH (") && wire.contains("BODY[] {") => Some(to),
        _ => None,
    }
}

/// How many lanes a screen keeps readable: past it, lanes would be narrower than a host's
/// name, so the lanes show only the hosts that take part in the steps they show (the map
/// keeps every host). A laptop's or projector's lanes hold six, as many as the largest
/// lesson has; a phone's five, which shows every lane of a lesson with five or fewer, and
/// the hosts of the steps in view for the one with six (dkim-body-changed, where Bob's phone
/// reads his Junk folder over IMAP).
pub const MOST_LANES: usize = 6;
pub const MOST_LANES_ON_A_PHONE: usize = 5;

/// What lanes, at most `most` of them, show of the steps `from..to`: the steps from `.0`
/// (at least `from`) and the lanes (indices into `timeline.lanes`, in lane order) they are
/// between.
///
/// With `most` or fewer lanes, every lane and every step asked for. Otherwise only the hosts
/// of the newest steps, going back while they stay within `most` (the older rows give way),
/// so a 24-host world keeps a few columns wide enough to read; before anything has
/// happened, the hosts of the first step. A world's lanes never change order, only which
/// are shown.
pub fn lanes_shown(timeline: &Timeline, from: usize, to: usize, most: usize) -> (usize, Vec<usize>) {
    let most = most.max(2);
    let count = timeline.lanes.len();
    if count <= most {
        return (from, (0..count).collect());
    }
    let lane = |name: &str| timeline.lanes.iter().position(|l| l.name == name);
    let steps = if from < to { from..to } else { 0..timeline.steps.len().min(1) };
    let mut shown = vec![false; count];
    let (mut used, mut start) = (0, steps.end);
    for i in steps.rev() {
        let Some(step) = timeline.steps.get(i) else { continue };
        let mut new: Vec<usize> =
            [lane(&step.from), lane(&step.to)].into_iter().flatten().filter(|&h| !shown[h]).collect();
        new.dedup();
        if used + new.len() > most {
            break;
        }
        for &h in &new {
            shown[h] = true;
        }
        used += new.len();
        start = i;
    }
    let lanes: Vec<usize> = (0..count).filter(|&i| shown[i]).collect();
    match (lanes.is_empty(), from < to) {
        (true, _) => (from, (0..most).collect()),
        (false, true) => (start, lanes),
        (false, false) => (from, lanes),
    }
}
