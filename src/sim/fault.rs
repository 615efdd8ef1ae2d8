//! Faults as data: "what if the MX had answered 451 to that RCPT?" A scenario's
//! `[[fault]]` tables (see [`crate::scenario::format`]) name a server host, a command and
//! which time that host receives it, and what goes wrong then; the world re-runs with the
//! fault, so the learner sees what real clients and relays do about it: retries (RFC 5321
//! §4.5.4.1), the next MX (§5.1), a bounce (RFC 3464).
//!
//! The faults act through the server's policy ([`crate::engine::Policy::intervene`]), so
//! the server session stays consistent: a refused RCPT adds no recipient, a refused MAIL
//! opens no transaction, refused data is not accepted. Nothing rewrites bytes on the wire.

use std::collections::BTreeMap;

use crate::engine::{Envelope, Intervention, Policy, SessionInfo, Verdict};
use crate::proto::{
    EnhancedStatusCode, ForwardPath, MailParameters, RcptParameters, Reply, ReplyCode, ReversePath, Verb,
};
use crate::timeline::{Millis, format_time};

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultAction {
    /// The server answers the command with this 4yz/5yz reply instead of its own.
    Reply(Reply),
    /// `421 4.3.2 <host> Service not available, closing transmission channel`, and the
    /// server closes the channel (RFC 5321 §3.8).
    Close421,
    /// The TCP connection is lost with no reply (RFC 5321 §4.5.4.1, §6.1).
    Drop,
    /// A greylisting `450 4.7.1`, once (RFC 6647 §2.1); meant for RCPT.
    Greylist,
    /// The host does not answer from `at` for `duration` (no command is involved).
    Down { at: Millis, duration: Millis },
}

impl FaultAction {
    /// The `action = "…"` word of the scenario format.
    pub fn keyword(&self) -> &'static str {
        match self {
            FaultAction::Reply(_) => "reply",
            FaultAction::Close421 => "close-421",
            FaultAction::Drop => "drop",
            FaultAction::Greylist => "greylist",
            FaultAction::Down { .. } => "down",
        }
    }
}

/// Which command a fault strikes: the `occurrence`-th time (1-based) its host receives
/// `verb` in the run, counting every command line that parsed, on every connection.
/// DATA (and BDAT) strike at the end of the data, where a message is accepted or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FaultTrigger {
    pub verb: Verb,
    pub occurrence: u32,
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fault {
    /// The server host where it happens (a `[[host]]` name).
    pub host: String,
    /// The command it strikes; `None` for [`FaultAction::Down`].
    pub trigger: Option<FaultTrigger>,
    pub action: FaultAction,
}

impl Fault {
    /// One line for a learner: `mx.example.net answers the 1st RCPT with 451 4.7.1 Try again later`.
    pub fn describe(&self) -> String {
        let what = match &self.trigger {
            Some(t) => format!("the {} {} it receives", ordinal(t.occurrence), t.verb.as_str()),
            None => String::new(),
        };
        match &self.action {
            FaultAction::Reply(reply) => format!("{} answers {what} with {}", self.host, one_line(reply)),
            FaultAction::Close421 => {
                format!("{} answers {what} with 421 and closes the connection", self.host)
            }
            FaultAction::Drop => format!("{} loses the connection at {what}, without a reply", self.host),
            FaultAction::Greylist => format!("{} greylists {what} (450 4.7.1)", self.host),
            FaultAction::Down { at, duration } => {
                format!("{} is down from {} for {}", self.host, format_time(*at), format_time(*duration))
            }
        }
    }

    /// What the server does when the fault strikes; `host` names it in a 421.
    fn intervention(&self, host: &str) -> Intervention {
        match &self.action {
            FaultAction::Reply(reply) => Intervention::Reply(reply.clone()),
            FaultAction::Close421 => Intervention::CloseWith(close_421(host)),
            FaultAction::Drop => Intervention::Drop,
            FaultAction::Greylist => Intervention::Reply(Reply::with_enhanced(
                ReplyCode::new(450).unwrap_or(ReplyCode::SYNTAX_ERROR),
                EnhancedStatusCode::GREYLISTED,
                "Greylisted, try again later",
            )),
            FaultAction::Down { .. } => Intervention::None,
        }
    }
}

/// RFC 5321 §3.8: "421 <domain> Service not available, closing transmission channel".
pub fn close_421(host: &str) -> Reply {
    let status =
        crate::proto::EnhancedStatusCode::new(crate::proto::StatusClass::PersistentTransientFailure, 3, 2)
            .unwrap_or(EnhancedStatusCode::OK);
    Reply::with_enhanced(
        ReplyCode::new(421).unwrap_or(ReplyCode::SYNTAX_ERROR),
        status,
        format!("{host} Service not available, closing transmission channel"),
    )
}

fn one_line(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.to_bytes()).lines().next().unwrap_or_default().to_owned()
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A fault that struck, for the timeline's "What if: …" step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Struck {
    pub description: String,
    /// The reply the server sends instead of its own, if any.
    pub reply: Option<Reply>,
}

/// Commands each host received so far, by host index and verb.
pub(super) type FaultCounts = BTreeMap<(usize, &'static str), u32>;

/// A server's policy with the run's faults on top: counts the commands its host receives
/// and intervenes where a fault says so; every other question goes to `inner`.
pub(super) struct FaultPolicy<'a> {
    pub inner: &'a mut dyn Policy,
    pub faults: &'a [Fault],
    pub host: usize,
    pub host_name: &'a str,
    pub counts: &'a mut FaultCounts,
    pub struck: &'a mut Vec<Struck>,
}

impl Policy for FaultPolicy<'_> {
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

    fn message(&mut self, session: &SessionInfo, envelope: &Envelope, data: &[u8]) -> Verdict {
        self.inner.message(session, envelope, data)
    }

    fn intervene(&mut self, session: &SessionInfo, verb: Verb) -> Intervention {
        let count = self.counts.entry((self.host, verb.as_str())).or_default();
        *count = count.saturating_add(1);
        let count = *count;
        let fault = self.faults.iter().find(|f| {
            f.host.eq_ignore_ascii_case(self.host_name)
                && f.trigger.is_some_and(|t| t.verb == verb && t.occurrence == count)
        });
        match fault {
            Some(fault) => {
                let intervention = fault.intervention(self.host_name);
                let reply = match &intervention {
                    Intervention::Reply(r) | Intervention::CloseWith(r) => Some(r.clone()),
                    _ => None,
                };
                self.struck.push(Struck { description: fault.describe(), reply });
                intervention
            }
            None => self.inner.intervene(session, verb),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_as_english() {
        let fault = |action| Fault {
            host: "mx.example.net".into(),
            trigger: Some(FaultTrigger { verb: Verb::Rcpt, occurrence: 2 }),
            action,
        };
        assert_eq!(
            fault(FaultAction::Close421).describe(),
            "mx.example.net answers the 2nd RCPT it receives with 421 and closes the connection"
        );
        assert_eq!(ordinal(11), "11th");
        assert_eq!(ordinal(21), "21st");
        assert_eq!(ordinal(3), "3rd");
        assert_eq!(
            close_421("mx.example.net").to_string(),
            "421 4.3.2 mx.example.net Service not available, closing transmission channel"
        );
        let down = Fault {
            host: "mx".into(),
            trigger: None,
            action: FaultAction::Down { at: 600_000, duration: 7_200_000 },
        };
        assert_eq!(down.describe(), "mx is down from 10m00.000s for 2h00m00.000s");
    }
}
