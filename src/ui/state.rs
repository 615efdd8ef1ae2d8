//! The player's one state and the actions that change it.

use std::rc::Rc;

use yew::Reducible;

use crate::engine::TranscriptLine;

/// Everything the player shows: a transcript produced by the core, and how far
/// the learner has stepped through it.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub transcript: Rc<Vec<TranscriptLine>>,
    /// How many transcript lines are revealed.
    pub position: usize,
}

impl State {
    pub fn new(transcript: Vec<TranscriptLine>) -> Self {
        Self { transcript: Rc::new(transcript), position: 0 }
    }

    /// The lines revealed so far.
    pub fn revealed(&self) -> &[TranscriptLine] {
        &self.transcript[..self.position.min(self.transcript.len())]
    }

    /// The most recent reply code revealed, if any.
    pub fn current_reply_code(&self) -> Option<u16> {
        self.revealed().iter().rev().find_map(|line| line.reply_code)
    }

    pub fn at_end(&self) -> bool {
        self.position >= self.transcript.len()
    }
}

/// What the UI may ask of the state.
pub enum Action {
    Step,
    Reset,
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let position = match action {
            Action::Step => (self.position + 1).min(self.transcript.len()),
            Action::Reset => 0,
        };
        Rc::new(Self { transcript: Rc::clone(&self.transcript), position })
    }
}
