//! What the page asks of the simulator, and what it answers. In the browser the simulator
//! is a second WebAssembly module in a Web Worker: the player sends a [`Request`] as JSON
//! and gets an [`Answer`] back, so no run, parse or signature check ever blocks the page.
//! [`answer`] is plain Rust with no browser in it, tested natively like the rest of the core;
//! the worker only carries its JSON.

use serde::{Deserialize, Serialize};

use super::edit::{add_fault, remove_fault, with_eml};
use super::export::{delivered_eml, smtplib_script, swaks_command, transcript_text};
use super::played::Played;
use super::{ScenarioError, console, permalink};
use crate::proto::reply::parse_reply;
use crate::sim::whatif::{connect_target, fault_for_step};
use crate::sim::{Fault, FaultAction};
use crate::timeline::Millis;

/// One question for the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Run a scenario's text (`lesson` names the library lesson it is, if any); with a
    /// console session, the world runs with it ([`console::console_scenario`]).
    Run { lesson: Option<String>, source: String, console: Option<ConsoleSession> },
    /// Run the scenario a share link's `scenario=` parameter carries.
    Link { param: String },
    /// Only parse the text: the editor's live check.
    Check { source: String },
    /// Send an `.eml` through the world by its first client ([`with_eml`]), and run that.
    Eml { source: String, eml: String },
    /// Add the fault "what if" describes at step `step` of the text's run, and run that.
    AddFault { source: String, step: usize, what: WhatIf },
    /// Take out the text's `index`th `[[fault]]`, and run that.
    RemoveFault { source: String, index: usize },
    /// The share link's `scenario=` parameter for the text.
    Encode { source: String },
    /// An export of the text's run.
    Export { source: String, format: ExportFormat },
}

/// The console's session: the server typed at and the lines sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSession {
    pub server: String,
    pub lines: Vec<String>,
}

/// The faults the "What if…" panel offers at a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WhatIf {
    /// The server answers the command with this reply, as it goes on the wire
    /// (`451 4.7.1 Try again later`).
    Reply(String),
    Greylist,
    Close421,
    Drop,
    /// The host connected to here (or next, after a DNS lookup) is down this long.
    Down(Millis),
}

/// What can be exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    Transcript,
    /// The `n`th `[[send]]`'s client as a swaks command.
    Swaks(usize),
    /// The `n`th `[[send]]`'s client as a Python smtplib script.
    Python(usize),
    /// The `index`th message delivered to `mailbox`, as an `.eml`.
    Eml {
        mailbox: String,
        index: usize,
    },
}

/// The simulator's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    /// A run to play (boxed: it is far larger than the other answers).
    Played(Box<Played>),
    /// The text is a valid scenario ([`Request::Check`]).
    Valid,
    /// The scenario text (or the message) is wrong here.
    Invalid(ScenarioError),
    /// The request cannot be done, in words (a link that does not decode, a fault that does
    /// not fit the step).
    Refused(String),
    /// Text: a link parameter, an export.
    Text(String),
}

/// Answers one request. Never panics: every failure is an [`Answer::Invalid`] or an
/// [`Answer::Refused`].
pub fn answer(request: Request) -> Answer {
    match request {
        Request::Run { lesson, source, console: None } => run(lesson, &source),
        Request::Run { lesson, source, console: Some(session) } => {
            match console::console_scenario(&source, &session.server, &session.lines) {
                Ok(scenario) => {
                    let timeline = scenario.run();
                    Answer::Played(Box::new(Played::new(lesson, &source, &scenario, timeline)))
                }
                Err(e) => Answer::Invalid(e),
            }
        }
        Request::Link { param } => match permalink::decode(&param) {
            Ok(source) => run(None, &source),
            Err(e) => Answer::Refused(format!("The link's scenario could not be read: {e}.")),
        },
        Request::Check { source } => match super::parse(&source) {
            Ok(_) => Answer::Valid,
            Err(e) => Answer::Invalid(e),
        },
        Request::Eml { source, eml } => match with_eml(&source, &eml, None, None) {
            Ok(text) => run(None, &text),
            Err(e) => Answer::Invalid(e),
        },
        Request::AddFault { source, step, what } => match super::parse(&source) {
            Ok(scenario) => match fault_at(&scenario.run(), step, what) {
                Ok(fault) => run(None, &add_fault(&source, &fault)),
                Err(refusal) => Answer::Refused(refusal.to_owned()),
            },
            Err(e) => Answer::Invalid(e),
        },
        Request::RemoveFault { source, index } => match remove_fault(&source, index) {
            Ok(text) => run(None, &text),
            Err(e) => Answer::Invalid(e),
        },
        Request::Encode { source } => Answer::Text(permalink::encode(&source)),
        Request::Export { source, format } => match super::parse(&source) {
            Ok(scenario) => Answer::Text(match format {
                ExportFormat::Transcript => transcript_text(&scenario.run()),
                ExportFormat::Swaks(n) => swaks_command(&scenario, n, None),
                ExportFormat::Python(n) => smtplib_script(&scenario, n, None),
                ExportFormat::Eml { mailbox, index } => delivered_eml(&scenario.run(), &mailbox, index)
                    .unwrap_or_else(|| "No message was delivered in this run.\n".to_owned()),
            }),
            Err(e) => Answer::Invalid(e),
        },
    }
}

/// The text's run, or where it is wrong.
fn run(lesson: Option<String>, source: &str) -> Answer {
    match super::parse(source) {
        Ok(scenario) => {
            let timeline = scenario.run();
            Answer::Played(Box::new(Played::new(lesson, source, &scenario, timeline)))
        }
        Err(e) => Answer::Invalid(e),
    }
}

/// The fault that makes `what` happen at step `step` of `timeline`, or why it cannot.
fn fault_at(timeline: &crate::timeline::Timeline, step: usize, what: WhatIf) -> Result<Fault, &'static str> {
    const MISFIT: &str =
        "That cannot happen at this step: a reply must be 4xx or 5xx, and greylisting is for RCPT.";
    let action = match what {
        WhatIf::Reply(text) => FaultAction::Reply(parse_reply(format!("{}\r\n", text.trim()).as_bytes()).ok_or(
            "A reply is a 4xx or 5xx code, optionally an enhanced code, then text: \"451 4.3.0 Try later\".",
        )?),
        WhatIf::Greylist => FaultAction::Greylist,
        WhatIf::Close421 => FaultAction::Close421,
        WhatIf::Drop => FaultAction::Drop,
        WhatIf::Down(duration) => {
            if let Some((host, at)) = connect_target(timeline, step) {
                return Ok(Fault { host, trigger: None, action: FaultAction::Down { at, duration } });
            }
            let at = timeline.steps.get(step).ok_or(MISFIT)?.time;
            FaultAction::Down { at, duration }
        }
    };
    fault_for_step(timeline, step, action).ok_or(MISFIT)
}
