//! A relay's queue as data: the messages it holds with the recipients still to deliver, and
//! the delivery jobs (one per destination domain and attempt) that work through them. The
//! relay ([`super::relay`]) fills and drains it; the world's snapshots show it.

use std::collections::VecDeque;

use crate::engine::{Envelope, Recipient, RecipientStatus};
use crate::proto::Reply;
use crate::timeline::{Millis, QueuedMessage};

/// A message in a relay's queue, with the recipients still to deliver.
#[derive(Debug, Clone)]
pub(super) struct QueueEntry {
    pub id: String,
    pub envelope: Envelope,
    pub data: Vec<u8>,
    pub arrived: Millis,
    pub attempts: u32,
    pub next_attempt: Option<Millis>,
    pub last_error: Option<String>,
    /// Delivery jobs running now.
    pub running: usize,
    /// Recipients whose outcome this attempt decided.
    pub done: Vec<(Recipient, RecipientStatus, Option<Heard>)>,
    pub delay_warned: bool,
}

impl QueueEntry {
    pub fn view(&self) -> QueuedMessage {
        QueuedMessage {
            id: self.id.clone(),
            reverse_path: self.envelope.reverse_path.to_wire(),
            recipients: self.envelope.recipients.iter().map(|r| r.path.to_wire()).collect(),
            attempts: self.attempts,
            next_attempt: self.next_attempt,
            last_error: self.last_error.clone(),
        }
    }
}

/// Where the entry `id` is in `queue`, looked for from both ends at once: a relay looks up
/// the entry it has just queued (at the back) as often as the one whose retry is due (near
/// the front), and from one end only a queue of a thousand messages cost hundreds of string
/// comparisons per look-up.
pub(super) fn position(queue: &VecDeque<QueueEntry>, id: &str) -> Option<usize> {
    let n = queue.len();
    (0..n.div_ceil(2)).find_map(|front| {
        let back = n - 1 - front;
        [front, back].into_iter().find(|&i| queue.get(i).is_some_and(|e| e.id == id))
    })
}

/// One delivery attempt of some recipients of a queued message, to one domain.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub host: usize,
    pub entry: String,
    pub recipients: Vec<Recipient>,
    pub stage: JobStage,
    /// MX hosts in the order to try.
    pub targets: Vec<String>,
    pub next_target: usize,
    /// The last server that answered, for Remote-MTA.
    pub remote: Option<String>,
    /// The last reason this job could not deliver.
    pub last_error: Reply,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum JobStage {
    /// Look up the next target's address.
    TryNext,
    /// The address is known: connect to this host.
    Connect {
        server: usize,
        target: String,
    },
    Finished,
}

/// What a remote MTA actually answered for a recipient: the DSN's `Remote-MTA` and
/// `Diagnostic-Code` (RFC 3464 §2.3.5, §2.3.6) come from here, never from a reply the relay
/// made up for itself (a connection that failed, a queue that expired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    pub mta: String,
    pub reply: Reply,
}
