//! The player's loader, done inside the wasm tests: what the state waits for
//! ([`State::pending`]) is answered by the same code the page's loader reaches (a lesson's
//! data is [`Played::lesson`], exactly what `lessons --export` writes; a request is
//! [`service::answer`], exactly what the simulator worker runs), without the fetch and the
//! worker's message passing, which the browser end-to-end tests cover.

use std::rc::Rc;

use smtp_playground::scenario::played::Played;
use smtp_playground::scenario::service::{self, Answer};
use smtp_playground::ui::state::{Action, Failure, Fetch, State};
use yew::Reducible as _;

/// `state` with what it waits for arrived (a failed link waits for the first lesson next).
pub fn settle(mut state: Rc<State>) -> Rc<State> {
    for _ in 0..4 {
        let Some(pending) = state.pending.clone() else { break };
        let result = match pending.fetch {
            Fetch::Lesson(id) => {
                Played::lesson(&id).map(Rc::new).ok_or_else(|| Failure::Refused(format!("no lesson {id}")))
            }
            Fetch::Simulator(request) => match service::answer(request) {
                Answer::Played(played) => Ok(Rc::new(*played)),
                Answer::Invalid(e) => Err(Failure::Invalid(e)),
                Answer::Refused(why) => Err(Failure::Refused(why)),
                other => Err(Failure::Refused(format!("not a run: {other:?}"))),
            },
        };
        state = state.reduce(Action::Arrived(pending.seq, result));
    }
    state
}

/// The player opened on a lesson at a step, its data arrived.
#[allow(dead_code, reason = "each test file uses what it needs")]
pub fn open(lesson: &str, step: usize) -> Rc<State> {
    settle(Rc::new(State::open(lesson, step, None)))
}

/// The player opened on a share link's parameter, the simulator's answer arrived.
#[allow(dead_code, reason = "each test file uses what it needs")]
pub fn open_link(param: &str, step: usize) -> Rc<State> {
    settle(Rc::new(State::open_link(param, step, None)))
}

/// `actions` one after the other, each one's run arrived before the next.
pub fn reduce(state: Rc<State>, actions: &[Action]) -> Rc<State> {
    actions.iter().cloned().fold(state, |s, a| settle(s.reduce(a)))
}
