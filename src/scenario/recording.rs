//! Recordings: a real SMTP or IMAP session (`serve --record`, `send --record`) as a timeline
//! the player opens like a lesson's, with the same lanes, transcript, annotated bytes,
//! explanations and inspectors, and (for a session `serve` answered) a scenario that
//! replays it in the Lab.
//!
//! A recorder is told what crossed the socket, in order, with the time since the connection
//! opened: the client's bytes as they were read or written, the server's replies, the TLS
//! handshake, what the server stored, and how the connection ended. It cuts the bytes into
//! steps the way the simulator does and explains each with the same [`crate::teach`]
//! functions, so a recorded `RCPT TO` or `UID FETCH` reads like a lesson's: [`Recorder`] for
//! SMTP (a command line, a reply, the message data as one step, RFC 5321 §4.1.1.4),
//! [`ImapRecorder`] for IMAP (a command or its continuation, everything answered to one
//! command, RFC 9051 §2.2.2).
//!
//! A recording never carries a secret in clear: every SASL response that holds a password
//! (AUTH PLAIN's, AUTH LOGIN's answer to `Password:`, AUTHENTICATE's, any other mechanism's)
//! and IMAP LOGIN's password are rewritten with the password as `********` before they become
//! a step or a line of the scenario ([`MASK`]); the recording counts them and the player
//! says so.
//!
//! No I/O here and no clock: `net` feeds the recorder and writes the file.

use serde::{Deserialize, Serialize};

use super::played::Played;

// The recorder runs where sockets are (`net`); the page only reads recordings.
#[cfg(not(target_arch = "wasm32"))]
mod imap;
#[cfg(not(target_arch = "wasm32"))]
mod log;
#[cfg(not(target_arch = "wasm32"))]
mod smtp;
#[cfg(not(target_arch = "wasm32"))]
pub use imap::ImapRecorder;
#[cfg(not(target_arch = "wasm32"))]
pub use smtp::{Recorder, Side};

/// What a masked secret is written as (base64 of it, in a SASL response).
pub use crate::teach::MASK;
/// The most message data a step keeps: the rest is counted, not kept (a recording of a
/// 50 MB message would not open in a browser).
pub const MAX_KEPT_DATA: usize = 1024 * 1024;
/// The most steps a recording keeps; a session longer than that ends with a step that says
/// how much was left out.
pub const MAX_RECORDED_STEPS: usize = 5_000;
/// The largest recording the player opens, in octets of JSON.
pub const MAX_RECORDING_OCTETS: usize = 32 * 1024 * 1024;

/// Who made a recording and of what: the player shows it above the steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// `serve` (the server's side of a client's session) or `send` (the client's side).
    pub by: String,
    /// When the connection opened, as an RFC 5322 date in UTC, e.g.
    /// `Sat, 5 Dec 2026 07:40:12 +0000`.
    pub started: String,
    /// The client's and the server's socket addresses, e.g. `127.0.0.1:40312`.
    pub client: String,
    pub server: String,
    /// How many secrets (SASL responses) were masked.
    pub masked: usize,
    /// The smtp-playground version that recorded it.
    pub version: String,
}

/// Checks that a recording read from a file can be played: every step's lanes exist, its
/// count of changes is within the list and never goes back, and it is not too large.
/// Parsing has already checked the types; this catches a file edited by hand or made by
/// something else, which the player must refuse with a reason rather than misdraw.
pub fn check(played: &Played) -> Result<(), String> {
    let timeline = &played.timeline;
    if timeline.lanes.is_empty() {
        return Err("it has no lanes".into());
    }
    if timeline.steps.is_empty() {
        return Err("it has no steps".into());
    }
    if timeline.steps.len() > MAX_RECORDED_STEPS + 1 {
        return Err(format!(
            "it has {} steps; a recording has at most {MAX_RECORDED_STEPS}",
            timeline.steps.len()
        ));
    }
    let mut changes = 0;
    for (i, step) in timeline.steps.iter().enumerate() {
        for lane in [&step.from, &step.to] {
            if !timeline.lanes.iter().any(|l| *l.name == **lane) {
                return Err(format!(
                    "step {} goes from or to {lane:?}, which is not one of its lanes",
                    i + 1
                ));
            }
        }
        if step.changes < changes || step.changes > timeline.changes.len() {
            return Err(format!(
                "step {} counts {} changes of {}",
                i + 1,
                step.changes,
                timeline.changes.len()
            ));
        }
        changes = step.changes;
    }
    Ok(())
}
