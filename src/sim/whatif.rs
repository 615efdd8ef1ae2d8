//! "What if…": from a step the learner picked in the timeline, the fault that would strike
//! exactly that command on a re-run. The UI adds it to the scenario text
//! ([`crate::scenario::edit::add_fault`]), re-parses and re-runs; the new timeline then
//! shows the injected reply as "What if: …" and what the client does about it.

use super::fault::{Fault, FaultAction, FaultTrigger};
use crate::proto::Verb;
use crate::proto::command::parse_command_line;
use crate::timeline::{Step, StepKind, Timeline};

/// The verb of a command step, as the server parsed it; `None` for other steps and for
/// lines that are not a well-formed command (the server counts only those).
pub fn command_verb(step: &Step) -> Option<Verb> {
    if step.kind != StepKind::Command {
        return None;
    }
    let wire = step.wire.as_deref()?;
    parse_command_line(wire.as_bytes()).ok().map(|c| c.verb())
}

/// The fault that makes `action` happen at step `step` (an index into
/// [`Timeline::steps`]) on a re-run: its host is the server lane the command went to, its
/// verb the command's, and its occurrence how many times that host had received that verb
/// up to and including this step. A message-data step stands for the end of its DATA (or
/// BDAT). `None` when the step is not a command a fault can strike, or `action` does not
/// fit it (greylisting is for RCPT; an injected reply must be 4xx/5xx). For
/// [`FaultAction::Down`] only the host is taken from the step; `at` and `duration` are the
/// caller's.
///
/// Occurrences count the commands of this run; a fault already in the scenario that cut a
/// session short changes what later commands are counted, which this run shows as it is.
pub fn fault_for_step(timeline: &Timeline, step: usize, action: FaultAction) -> Option<Fault> {
    let picked = timeline.steps.get(step)?;
    let (index, verb) = match picked.kind {
        StepKind::Command => (step, command_verb(picked)?),
        StepKind::Data => {
            // The DATA or BDAT command this data follows, on the same lanes.
            let (i, s) =
                timeline.steps[..step].iter().enumerate().rev().find(|(_, s)| {
                    s.kind == StepKind::Command && s.from == picked.from && s.to == picked.to
                })?;
            let verb = command_verb(s).filter(|v| matches!(v, Verb::Data | Verb::Bdat))?;
            (i, verb)
        }
        _ => return None,
    };
    let command = timeline.steps.get(index)?;
    let host = command.to.to_string();
    match &action {
        FaultAction::Reply(reply) if reply.code.get() < 400 => return None,
        FaultAction::Greylist if verb != Verb::Rcpt => return None,
        FaultAction::Down { .. } => return Some(Fault { host, trigger: None, action }),
        _ => {}
    }
    let occurrence = timeline.steps[..=index]
        .iter()
        .filter(|s| s.to.eq_ignore_ascii_case(&host) && command_verb(s) == Some(verb))
        .count();
    let occurrence = u32::try_from(occurrence).ok()?;
    Some(Fault { host, trigger: Some(FaultTrigger { verb, occurrence }), action })
}

/// The host a "down" fault at step `step` takes away, and from when: the host connected to
/// at a connection step, or for a DNS lookup the host its asker connects to next. `None` at
/// other steps.
pub fn connect_target(timeline: &Timeline, step: usize) -> Option<(String, crate::timeline::Millis)> {
    let s = timeline.steps.get(step)?;
    match s.kind {
        StepKind::TcpConnect | StepKind::TcpRefused => Some((s.to.to_string(), s.time)),
        StepKind::DnsQuery | StepKind::DnsAnswer => {
            let asker = if s.kind == StepKind::DnsQuery { &s.from } else { &s.to };
            timeline
                .steps
                .iter()
                .skip(step + 1)
                .find(|n| matches!(n.kind, StepKind::TcpConnect | StepKind::TcpRefused) && &n.from == asker)
                .map(|n| (n.to.to_string(), n.time))
        }
        _ => None,
    }
}
