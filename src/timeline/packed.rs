//! A run's steps as the simulator's worker sends them to the page (issue 16), packed: every
//! distinct text — a summary, an explanation, an RFC section, a lane's name, the bytes on
//! the wire — is written once, in a table, and each step is a JSON array whose texts are
//! indices into it.
//!
//! Written plainly, a run of 1,000 messages is 27 MB of JSON, most of it the same
//! explanations word for word and the same field names 59,000 times; writing that, turning
//! it into a JavaScript string, posting it and reading it back cost as much as the run
//! itself. Packed, the same steps are a fraction of that (`tests/packed.rs` prints it).
//!
//! Steps travel in parts ([`Packer::part`]) so that the page reads each in a task of its own;
//! the parts of one run share one table, each part carrying only the texts the parts before
//! it did not ([`Unpacker::add`] grows the table in the same order). Unpacked steps equal
//! the steps packed: `Text`s come back shared, one allocation per distinct text.
//!
//! Only the worker and the page use this format; lesson data and exports keep the plain
//! timeline, which reads on its own.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::ser::SerializeTuple as _;
use serde::{Deserialize, Serialize, Serializer};

use super::{FastHash, Millis, Step, StepKind, Text};
use crate::mailauth::check::Check;

/// Packs the steps of one run, part after part; remembers which texts it has sent.
#[derive(Default)]
pub struct Packer<'a> {
    /// A text's index by its content: equal texts are sent once wherever they were made.
    by_text: HashMap<&'a str, u32, FastHash>,
    /// A text's index by where it lives: steps share their texts (`Arc`s and the program's
    /// strings), so most look-ups end here without hashing the words.
    by_place: HashMap<(usize, usize), u32, FastHash>,
}

/// One part, ready to serialize: the texts that are new in it, then its steps.
#[derive(Serialize)]
pub struct Part<'a> {
    texts: Vec<&'a str>,
    steps: Vec<Row<'a>>,
}

/// A step with its texts as indices, written as a JSON array.
struct Row<'a> {
    step: &'a Step,
    from: u32,
    to: u32,
    summary: u32,
    explanation: u32,
    rfc: Option<u32>,
    wire: Option<u32>,
}

impl<'a> Packer<'a> {
    /// The next part of the run: `steps` with the texts no earlier part carried.
    pub fn part(&mut self, steps: &'a [Step]) -> Part<'a> {
        let mut texts = Vec::new();
        let steps = steps
            .iter()
            .map(|step| Row {
                step,
                from: self.index(&step.from, &mut texts),
                to: self.index(&step.to, &mut texts),
                summary: self.index(&step.summary, &mut texts),
                explanation: self.index(&step.explanation, &mut texts),
                rfc: step.rfc.as_ref().map(|rfc| self.index(rfc, &mut texts)),
                wire: step.wire.as_deref().map(|wire| self.index_by_text(wire, &mut texts)),
            })
            .collect();
        Part { texts, steps }
    }

    fn index(&mut self, text: &'a str, new: &mut Vec<&'a str>) -> u32 {
        let place = (text.as_ptr() as usize, text.len());
        if let Some(&index) = self.by_place.get(&place) {
            return index;
        }
        let index = self.index_by_text(text, new);
        self.by_place.insert(place, index);
        index
    }

    /// A text's index by its content alone: a step's wire bytes are its own, never shared,
    /// but the same command or reply recurs in every session.
    fn index_by_text(&mut self, text: &'a str, new: &mut Vec<&'a str>) -> u32 {
        let next = u32::try_from(self.by_text.len()).unwrap_or(u32::MAX);
        *self.by_text.entry(text).or_insert_with(|| {
            new.push(text);
            next
        })
    }
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let step = self.step;
        let mut row = serializer.serialize_tuple(13)?;
        row.serialize_element(&step.time)?;
        row.serialize_element(&step.duration)?;
        row.serialize_element(&self.from)?;
        row.serialize_element(&self.to)?;
        row.serialize_element(&step.kind)?;
        row.serialize_element(&self.wire)?;
        row.serialize_element(&step.tls)?;
        row.serialize_element(&self.summary)?;
        row.serialize_element(&self.explanation)?;
        row.serialize_element(&self.rfc)?;
        row.serialize_element(&step.code)?;
        row.serialize_element(&step.changes)?;
        row.serialize_element(&step.check)?;
        row.end()
    }
}

/// A part as the page reads it.
#[derive(Deserialize)]
pub struct ReadPart {
    texts: Vec<String>,
    steps: Vec<ReadRow>,
}

/// A row read back. Serde reads a struct from a JSON array too, field by field in this
/// order, which is [`Row`]'s.
#[derive(Deserialize)]
struct ReadRow {
    time: Millis,
    duration: Millis,
    from: u32,
    to: u32,
    kind: StepKind,
    wire: Option<u32>,
    tls: bool,
    summary: u32,
    explanation: u32,
    rfc: Option<u32>,
    code: Option<u16>,
    changes: usize,
    check: Option<Box<Check>>,
}

/// A part that points at a text the table does not have (a bug of the packer, or a part
/// lost or read out of order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingText {
    pub index: u32,
    pub known: usize,
}

impl fmt::Display for MissingText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a step of the run names text {} of {} received", self.index, self.known)
    }
}

impl std::error::Error for MissingText {}

/// Rebuilds a run's steps from its parts, in the order they were packed.
#[derive(Debug, Default)]
pub struct Unpacker {
    texts: Vec<Arc<str>>,
    steps: Vec<Step>,
}

impl Unpacker {
    /// Adds the next part's texts to the table and its steps to the run.
    pub fn add(&mut self, part: ReadPart) -> Result<(), MissingText> {
        self.texts.extend(part.texts.into_iter().map(Arc::from));
        self.steps.reserve(part.steps.len());
        for row in part.steps {
            let step = Step {
                time: row.time,
                duration: row.duration,
                from: self.text(row.from)?,
                to: self.text(row.to)?,
                kind: row.kind,
                wire: row.wire.map(|wire| self.text(wire).map(|wire| wire.to_string())).transpose()?,
                tls: row.tls,
                summary: Text::Shared(self.text(row.summary)?),
                explanation: Text::Shared(self.text(row.explanation)?),
                rfc: row.rfc.map(|rfc| self.text(rfc).map(Text::Shared)).transpose()?,
                code: row.code,
                changes: row.changes,
                check: row.check,
            };
            self.steps.push(step);
        }
        Ok(())
    }

    fn text(&self, index: u32) -> Result<Arc<str>, MissingText> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.texts.get(i))
            .cloned()
            .ok_or(MissingText { index, known: self.texts.len() })
    }

    /// The steps of every part added, in order.
    pub fn finish(self) -> Vec<Step> {
        self.steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(time: Millis, summary: Text, explanation: &'static str) -> Step {
        let lane: Arc<str> = Arc::from("mx.example.net");
        Step {
            time,
            duration: 20,
            from: lane.clone(),
            to: Arc::from("DNS"),
            kind: StepKind::Reply,
            wire: Some("250 OK\r\n".to_owned()),
            tls: time.is_multiple_of(2),
            summary,
            explanation: Text::Static(explanation),
            rfc: (time > 0).then_some(Text::Static("RFC 5321 §4.2")),
            code: Some(250),
            changes: time as usize,
            check: None,
        }
    }

    fn unpack(parts: &[String]) -> Result<Vec<Step>, MissingText> {
        let mut unpacker = Unpacker::default();
        for json in parts {
            unpacker.add(serde_json::from_str(json).expect("a part reads"))?;
        }
        Ok(unpacker.finish())
    }

    #[test]
    fn parts_share_one_table_and_round_trip() {
        // Equal words made twice (not shared) are still sent once.
        let steps = vec![
            step(0, Text::from(String::from("first")), "why"),
            step(1, Text::from(String::from("first")), "why"),
            step(2, Text::from("second"), "because"),
            step(3, Text::from("first"), "why"),
        ];
        let mut packer = Packer::default();
        let parts: Vec<String> = steps
            .chunks(2)
            .map(|chunk| serde_json::to_string(&packer.part(chunk)).expect("serializes"))
            .collect();
        assert!(
            parts[0].starts_with(
                r#"{"texts":["mx.example.net","DNS","first","why","250 OK\r\n","RFC 5321 §4.2"],"#
            ),
            "{}",
            parts[0]
        );
        assert!(parts[1].starts_with(r#"{"texts":["second","because"],"#), "{}", parts[1]);
        assert_eq!(unpack(&parts), Ok(steps));
    }

    #[test]
    fn a_part_naming_an_unknown_text_is_an_error_not_a_panic() {
        let steps = [step(2, Text::from("alone"), "why")];
        let mut packer = Packer::default();
        let first = serde_json::to_string(&packer.part(&steps)).expect("serializes");
        let second = serde_json::to_string(&packer.part(&steps)).expect("serializes");
        // The second part alone refers to texts only the first carried.
        assert_eq!(unpack(&[second]), Err(MissingText { index: 0, known: 0 }));
        assert_eq!(unpack(std::slice::from_ref(&first)).map(|s| s.len()), Ok(1));
        let wrong = first.replace(r#""texts":["mx.example.net","#, r#""texts":["#);
        assert!(unpack(&[wrong]).is_err());
    }
}
