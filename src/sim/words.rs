//! The words of steps already explained once. A run of a thousand messages writes the same
//! greeting, the same `250 2.1.0 Ok` to MAIL and the same `MAIL FROM:<…>` a thousand times;
//! each is parsed and worded by [`crate::teach::explain`] once, and the next identical write
//! shares the words (a [`Text`] clones without copying). What a step says depends on its bytes
//! and on the command a reply answers, nothing else, so reusing them changes no timeline.

use std::collections::HashMap;

use crate::proto::{Reply, Verb};
use crate::teach::explain;
use crate::timeline::{FastHash, Text};

/// A step's summary, explanation and RFC section.
pub(super) type Words = (Text, Text, Text);

/// Words as [`explain`] writes them, made shareable.
pub(super) fn shared((summary, explanation, rfc): (String, String, String)) -> Words {
    (summary.into(), explanation.into(), rfc.into())
}

/// How many distinct writes are kept, replies and command lines together. Writes that never
/// repeat (a queue id in a 250, a numbered recipient) fill it as well, so when it is full it
/// starts again empty: the writes that do repeat are worded again once and kept, where a
/// cache that stopped taking new writes would word a repeated write first seen late (a
/// SIZE that changes as the numbers get longer) on every use.
const MAX_KEPT: usize = 1024;

#[derive(Debug, Default)]
pub(super) struct Worded {
    /// By the command answered, then the reply's bytes.
    replies: HashMap<Option<Verb>, HashMap<Vec<u8>, Words, FastHash>, FastHash>,
    /// By the command line's bytes.
    commands: HashMap<Vec<u8>, Words, FastHash>,
    kept: usize,
}

impl Worded {
    /// The words of `reply`, written as `bytes`, answering `verb`.
    pub fn reply(&mut self, bytes: &[u8], verb: Option<Verb>, reply: &Reply) -> Words {
        if let Some(words) = self.replies.get(&verb).and_then(|by_bytes| by_bytes.get(bytes)) {
            return words.clone();
        }
        let words = shared(explain::reply_explained(reply, verb));
        self.make_room();
        self.replies.entry(verb).or_default().insert(bytes.to_vec(), words.clone());
        words
    }

    /// The words of the command line `line`.
    pub fn command(&mut self, line: &[u8]) -> Words {
        if let Some(words) = self.commands.get(line) {
            return words.clone();
        }
        let words = shared(explain::command_line(line));
        self.make_room();
        self.commands.insert(line.to_vec(), words.clone());
        words
    }

    /// Counts a write about to be kept, first letting every kept one go if it is full.
    fn make_room(&mut self) {
        if self.kept >= MAX_KEPT {
            self.replies.clear();
            self.commands.clear();
            self.kept = 0;
        }
        self.kept += 1;
    }
}
