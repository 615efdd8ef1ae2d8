//! The learner's progress through the lessons, kept in the browser's local storage: which
//! lessons they played to the last step, and their best score in "predict the reply".
//!
//! Stored as text, one line per lesson: `telnet-session finished predicted=7/7`. Reading is
//! forgiving (storage is the learner's to edit or damage): unknown lessons, unknown words and
//! broken scores are skipped, never an error.

use std::collections::BTreeMap;

use crate::scenario::lessons;

/// What a learner has done with one lesson.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    /// They reached the lesson's last step.
    pub finished: bool,
    /// Their best score in "predict the reply": right guesses, and the replies the lesson has.
    pub predicted: Option<(usize, usize)>,
}

impl Mark {
    /// Every reply of the lesson predicted right in one play.
    pub fn all_predicted(self) -> bool {
        self.predicted.is_some_and(|(right, of)| of > 0 && right == of)
    }

    /// Anything to show.
    pub fn is_empty(self) -> bool {
        !self.finished && self.predicted.is_none()
    }

    /// The better of two marks: finished if either is, the higher score (a score out of a
    /// different number of replies is from an older version of the lesson; the newer wins).
    fn merge(self, other: Mark) -> Mark {
        let predicted = match (self.predicted, other.predicted) {
            (Some((a, of_a)), Some((b, of_b))) if of_a == of_b => Some((a.max(b), of_a)),
            (_, Some(b)) => Some(b),
            (a, None) => a,
        };
        Mark { finished: self.finished || other.finished, predicted }
    }
}

/// Every lesson's mark, by lesson id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    marks: BTreeMap<&'static str, Mark>,
}

impl Progress {
    /// The mark of lesson `id` (empty when the learner has not played it).
    pub fn get(&self, id: &str) -> Mark {
        self.marks.get(id).copied().unwrap_or_default()
    }

    /// Lesson `id` was played to its last step; `score` is the right guesses and the
    /// replies it has, when the learner predicted replies on the way.
    pub fn record(&mut self, id: &str, score: Option<(usize, usize)>) {
        let Some(id) = lessons::path_id(id) else { return };
        let mark = self.marks.entry(id).or_default();
        *mark = mark.merge(Mark { finished: true, predicted: score });
    }

    /// The marks of both, lesson by lesson (another tab may have recorded some).
    pub fn merge(&mut self, other: &Progress) {
        for (id, mark) in &other.marks {
            let mine = self.marks.entry(id).or_default();
            *mine = mine.merge(*mark);
        }
    }

    /// The first lesson on the learning path not finished yet.
    pub fn first_unfinished(&self) -> Option<&'static str> {
        lessons::PATH.iter().copied().find(|id| !self.get(id).finished)
    }

    /// How many lessons are finished.
    pub fn finished(&self) -> usize {
        self.marks.values().filter(|m| m.finished).count()
    }

    /// Reads the stored text (see the module's doc); whatever is not understood is skipped.
    pub fn parse(text: &str) -> Self {
        let mut progress = Self::default();
        for line in text.lines() {
            let mut words = line.split_ascii_whitespace();
            let Some(id) = words.next().and_then(lessons::path_id) else { continue };
            let mut mark = Mark::default();
            for word in words {
                if word == "finished" {
                    mark.finished = true;
                } else if let Some(score) = word.strip_prefix("predicted=") {
                    mark.predicted = score
                        .split_once('/')
                        .and_then(|(right, of)| Some((right.parse().ok()?, of.parse().ok()?)))
                        .filter(|(right, of)| right <= of);
                }
            }
            if !mark.is_empty() {
                let old = progress.marks.entry(id).or_default();
                *old = old.merge(mark);
            }
        }
        progress
    }

    /// The text [`Progress::parse`] reads back.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (id, mark) in self.marks.iter().filter(|(_, m)| !m.is_empty()) {
            out.push_str(id);
            if mark.finished {
                out.push_str(" finished");
            }
            if let Some((right, of)) = mark.predicted {
                out.push_str(&format!(" predicted={right}/{of}"));
            }
            out.push('\n');
        }
        out
    }
}
