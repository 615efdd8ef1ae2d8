//! A lesson's narrative: what the learner will be able to do (`goals`, shown before the
//! first step), what they learned (`recap`, shown with "try next" at the end), and authored
//! notes for single steps (`[[note]]`) that replace the generated explanation with a
//! teacher's words: why this happens here, and what to notice.
//!
//! A note picks its step by what the step is, not by its number, so adding a step elsewhere
//! does not move it: the `kind` of step, optionally the lanes it goes `from` and `to`, a
//! reply `code`, text the step `has` (in its wire bytes or its summary), and `nth` among the
//! steps that match all of those. `smtp-playground run FILE --steps` lists the steps as a
//! note sees them. A note that picks no step, or the same step as an earlier note, is an
//! error with the note's line and column ([`Narrative::apply`]); scenarios without a
//! narrative keep the generated text.

use super::format::{Fields, error};
use super::toml::{Pos, Table, TomlError};
use crate::timeline::{Step, StepKind, Timeline};

/// How the world marks a step that a scenario's `[[fault]]` caused or changed.
const WHAT_IF: &str = "What if:";

/// The longest authored text, in octets (a note is a paragraph, not a chapter).
pub const MAX_NOTE_OCTETS: usize = 4_000;
/// The most notes a scenario may carry.
pub const MAX_NOTES: usize = 400;

/// Goals, recap and step notes of a scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrative {
    /// What the learner can do after the lesson, shown before step 1.
    pub goals: Vec<String>,
    /// What was learned, shown at the end beside "try next".
    pub recap: Option<String>,
    pub notes: Vec<StepNote>,
}

/// An authored note and the step it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepNote {
    pub selector: Selector,
    pub text: String,
    /// Where the `[[note]]` table starts, for errors.
    pub pos: Pos,
}

/// Which step a note is for: the `nth` step (1-based) that matches every given filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub kind: StepKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub code: Option<u16>,
    pub has: Option<String>,
    pub nth: usize,
}

impl Selector {
    /// Whether `step` passes every filter (`nth` aside).
    pub fn matches(&self, step: &Step) -> bool {
        step.kind == self.kind
            && self.from.as_deref().is_none_or(|f| step.from.eq_ignore_ascii_case(f))
            && self.to.as_deref().is_none_or(|t| step.to.eq_ignore_ascii_case(t))
            && self.code.is_none_or(|c| step.code == Some(c))
            && self.has.as_deref().is_none_or(|text| {
                step.summary.contains(text) || step.wire.as_deref().is_some_and(|w| w.contains(text))
            })
    }

    /// The index of the step this selector picks in `steps`.
    pub fn find(&self, steps: &[Step]) -> Option<usize> {
        steps
            .iter()
            .enumerate()
            .filter(|(_, s)| self.matches(s))
            .nth(self.nth.saturating_sub(1))
            .map(|(i, _)| i)
    }

    /// The selector in the file's words, for messages: `kind = "reply", code = 550, nth = 2`.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("kind = {:?}", self.kind.key())];
        if let Some(from) = &self.from {
            parts.push(format!("from = {from:?}"));
        }
        if let Some(to) = &self.to {
            parts.push(format!("to = {to:?}"));
        }
        if let Some(code) = self.code {
            parts.push(format!("code = {code}"));
        }
        if let Some(has) = &self.has {
            parts.push(format!("has = {has:?}"));
        }
        if self.nth != 1 {
            parts.push(format!("nth = {}", self.nth));
        }
        parts.join(", ")
    }
}

/// A note that picks no step, or a step another note already has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteError {
    pub pos: Pos,
    pub message: String,
}

impl Narrative {
    /// Puts each note's text in place of its step's explanation. Notes that pick no step
    /// or an already annotated one are left out and reported.
    ///
    /// From the first step a "what if" fault changed on, the run is no longer the one the
    /// notes were written for: those steps keep the generated text, which describes what
    /// really happens (and says it is a what-if). The steps before it are the same as in
    /// the run without faults, so the notes that pick them still fit.
    pub fn apply(&self, timeline: &mut Timeline) -> Vec<NoteError> {
        let mut errors = Vec::new();
        if self.notes.is_empty() {
            // Nothing to place: no need to look through every step (a bulk run has many).
            return errors;
        }
        let mut taken: Vec<(usize, Pos)> = Vec::new();
        let changed_from = timeline
            .steps
            .iter()
            .position(|s| s.summary.starts_with(WHAT_IF) || s.explanation.starts_with(WHAT_IF))
            .unwrap_or(usize::MAX);
        for note in &self.notes {
            if changed_from != usize::MAX {
                let index = note.selector.find(&timeline.steps).filter(|&i| i < changed_from);
                if let Some(step) = index.and_then(|i| timeline.steps.get_mut(i)) {
                    step.explanation = note.text.clone().into();
                }
                continue;
            }
            let Some(index) = note.selector.find(&timeline.steps) else {
                let count = timeline.steps.iter().filter(|s| note.selector.matches(s)).count();
                let message = if count == 0 {
                    format!("this note ({}) matches no step of the run", note.selector.describe())
                } else {
                    format!(
                        "this note ({}) asks for match {} but only {count} steps match",
                        note.selector.describe(),
                        note.selector.nth
                    )
                };
                errors.push(NoteError { pos: note.pos, message });
                continue;
            };
            if let Some((_, first)) = taken.iter().find(|(i, _)| *i == index) {
                let message = format!(
                    "this note picks step {} (1-based), which the note at line {} already explains",
                    index + 1,
                    first.line
                );
                errors.push(NoteError { pos: note.pos, message });
                continue;
            }
            taken.push((index, note.pos));
            if let Some(step) = timeline.steps.get_mut(index) {
                step.explanation = note.text.clone().into();
            }
        }
        errors
    }

    /// For each step of `timeline`, whether a note explains it.
    pub fn coverage(&self, timeline: &Timeline) -> Vec<bool> {
        let mut covered = vec![false; timeline.steps.len()];
        for note in &self.notes {
            if let Some(slot) = note.selector.find(&timeline.steps).and_then(|i| covered.get_mut(i)) {
                *slot = true;
            }
        }
        covered
    }
}

/// Reads `goals`, `recap` and `[[note]]` from the scenario's root table.
pub(super) fn read(f: &mut Fields<'_>) -> Result<Narrative, TomlError> {
    let mut goals = Vec::new();
    for (goal, pos) in f.strings("goals")? {
        goals.push(text(goal, pos, "a goal")?);
    }
    let recap = f.string("recap")?.map(|(r, pos)| text(r, pos, "the recap")).transpose()?;
    let tables = f.tables("note")?;
    if let Some(extra) = tables.get(MAX_NOTES) {
        return Err(error(extra.pos, format!("too many notes: {} (the limit is {MAX_NOTES})", tables.len())));
    }
    let notes = tables.into_iter().map(read_note).collect::<Result<_, _>>()?;
    Ok(Narrative { goals, recap, notes })
}

fn text(value: &str, pos: Pos, what: &str) -> Result<String, TomlError> {
    if value.trim().is_empty() {
        return Err(error(pos, format!("{what} is empty")));
    }
    if value.len() > MAX_NOTE_OCTETS {
        return Err(error(pos, format!("{what} is {} octets; the limit is {MAX_NOTE_OCTETS}", value.len())));
    }
    Ok(reflow(value))
}

/// Authored text as the page shows it: lines wrapped in the file join with a space, and a
/// blank line separates paragraphs (kept as one `\n\n`).
fn reflow(value: &str) -> String {
    value
        .split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|paragraph| !paragraph.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

const NOTE_KEYS: &[&str] = &["kind", "from", "to", "code", "has", "nth", "text"];

fn read_note(table: &Table) -> Result<StepNote, TomlError> {
    let mut f = Fields::new(table, "[[note]]", NOTE_KEYS);
    let (kind_text, kind_pos) = f.required_string("kind")?;
    let kind = StepKind::from_key(kind_text).ok_or_else(|| {
        let known: Vec<&str> = StepKind::ALL.iter().map(|k| k.key()).collect();
        error(kind_pos, format!("{kind_text:?} is not a kind of step; expected one of: {}", known.join(", ")))
    })?;
    let from = f.string("from")?.map(|(s, _)| s.to_owned());
    let to = f.string("to")?.map(|(s, _)| s.to_owned());
    let code = match f.integer("code")? {
        None => None,
        Some((n, pos)) => Some(
            u16::try_from(n)
                .ok()
                .filter(|c| (200..=599).contains(c))
                .ok_or_else(|| error(pos, format!("{n} is not a reply code")))?,
        ),
    };
    let has = match f.string("has")? {
        Some(("", pos)) => {
            return Err(error(pos, "`has` is empty: it would match every step"));
        }
        other => other.map(|(s, _)| s.to_owned()),
    };
    let nth = match f.integer("nth")? {
        None => 1,
        Some((n, pos)) => {
            usize::try_from(n).ok().filter(|&n| n >= 1).ok_or_else(|| error(pos, "`nth` counts from 1"))?
        }
    };
    let (body, body_pos) = f.required_string("text")?;
    let text = text(body, body_pos, "the note's text")?;
    let pos = f.pos();
    f.finish()?;
    Ok(StepNote { selector: Selector { kind, from, to, code, has, nth }, text, pos })
}
