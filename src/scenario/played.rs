//! A run as the player needs it, and nothing more: the timeline and what the page shows
//! about the scenario it came from (title, goals, recap, the zone, the faults, the console's
//! servers). It is the one thing the player module reads: a library lesson's static asset
//! (`lessons/ID.json`, written at build time by `smtp-playground lessons --export`) and the
//! simulator worker's answer to a run are both a [`Played`] as JSON, so the player renders a
//! lesson without the world, the scenario reader or the mail-authentication code.
//!
//! A lesson's static asset leaves its scenario text out ([`Played::lesson_data`]): playing
//! does not need it, and it was a third of the largest lesson's bytes on the first load. It
//! is `lessons/ID.toml` beside it, which the full player fetches with the data (the lab's
//! editor, the console, what-if and the exports work on the text).

use serde::{Deserialize, Serialize};

use super::console::console_servers;
use super::format::TryNext;
use super::{Scenario, lessons, permalink};
use crate::sim::Action;
use crate::timeline::Timeline;

/// One run of a scenario, ready to play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Played {
    /// The library lesson it is, if any (URLs name it).
    pub lesson: Option<String>,
    /// The scenario's text: the editor shows it, share links and exports are made from it.
    /// Empty in a lesson's static data (`lessons/ID.toml` has it), so left out of its JSON.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    pub title: String,
    pub description: String,
    pub topic: Option<String>,
    /// Shown before step 1 ([`super::narrative::Narrative::goals`]).
    pub goals: Vec<String>,
    /// Shown at the end, beside `try_next`.
    pub recap: Option<String>,
    pub try_next: Vec<TryNext>,
    /// The DNS zone as the inspector lists it: `(name with its final dot, record)`.
    pub zone: Vec<(String, String)>,
    /// The scenario's `[[fault]]`s in file order, in words (the what-if panel's Undo list).
    pub faults: Vec<String>,
    /// How many `[[send]]` actions the world has (the exports offer one client each).
    pub sends: usize,
    /// The SMTP servers the console can type at.
    pub servers: Vec<String>,
    /// The share link's `scenario=` parameter for `source`, for a run that is not a library
    /// lesson (the address bar carries it); `None` for a lesson, whose URL names it.
    pub link: Option<String>,
    pub timeline: Timeline,
    /// Set when this is a recording of a real session ([`super::recording`]), not a run. The
    /// player module never reads recordings (the full player does), so its build leaves the
    /// field out and stays smaller.
    #[cfg(any(feature = "full", not(target_arch = "wasm32")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<super::recording::Recording>,
}

impl Played {
    /// A scenario and the timeline of its run (the console's runs add a session to the
    /// scenario; `source` stays the text that is edited and shared).
    pub fn new(lesson: Option<String>, source: &str, scenario: &Scenario, timeline: Timeline) -> Self {
        let world = &scenario.world;
        Self {
            source: source.to_owned(),
            title: scenario.title.clone(),
            description: scenario.description.clone(),
            topic: scenario.topic.clone(),
            goals: scenario.narrative.goals.clone(),
            recap: scenario.narrative.recap.clone(),
            try_next: scenario.try_next.clone(),
            zone: world
                .zone
                .iter()
                .flat_map(|(name, records)| records.iter().map(move |r| (format!("{name}."), r.to_string())))
                .collect(),
            faults: world.faults.iter().map(|f| f.describe()).collect(),
            sends: world.actions.iter().filter(|a| matches!(a, Action::Send { .. })).count(),
            servers: console_servers(scenario),
            link: lesson.is_none().then(|| permalink::encode(source)),
            timeline,
            lesson,
            #[cfg(any(feature = "full", not(target_arch = "wasm32")))]
            recording: None,
        }
    }

    /// A library lesson's run, as its static asset holds it.
    pub fn lesson(id: &str) -> Option<Self> {
        let lesson = lessons::get(id)?;
        let scenario = super::parse(lesson.source).ok()?;
        let timeline = scenario.run();
        Some(Self::new(Some(lesson.id.to_owned()), lesson.source, &scenario, timeline))
    }

    /// The JSON the player reads. Serialising plain data cannot fail; an empty string would
    /// only come from a bug, and the player reports it as a lesson that could not be read.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A library lesson's static asset, `lessons/ID.json`: the JSON without the scenario's
    /// text, which is `lessons/ID.toml` ([`Self::source`]).
    pub fn lesson_data(&self) -> String {
        Self { source: String::new(), ..self.clone() }.to_json()
    }
}

/// One lesson as the picker, the introduction and "Next lesson" show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub title: String,
    pub topic: String,
    pub description: String,
    pub goals: Vec<String>,
}

/// A topic and its lessons, in learning-path order.
pub type Topic = (String, Vec<Summary>);

/// The library by topic, in learning-path order (`lessons/index.json`): the player's
/// picker reads it instead of every lesson's file.
pub fn index() -> Vec<Topic> {
    let mut topics: Vec<Topic> = Vec::new();
    for lesson in lessons::path() {
        let Ok(scenario) = super::parse(lesson.source) else { continue };
        let topic = scenario.topic.unwrap_or_else(|| "Other".to_owned());
        let summary = Summary {
            id: lesson.id.to_owned(),
            title: scenario.title,
            topic: topic.clone(),
            description: scenario.description,
            goals: scenario.narrative.goals,
        };
        match topics.iter_mut().find(|(t, _)| *t == topic) {
            Some((_, lessons)) => lessons.push(summary),
            None => topics.push((topic, vec![summary])),
        }
    }
    topics
}
