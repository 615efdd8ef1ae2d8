//! Embed mode: the player inside another site's page (`?embed=1`, see `www/embed.js`).
//! What the URL asks for, and the `postMessage` commands an embedding page may send, each
//! checked field by field: anything out of shape is dropped, never trusted.

use wasm_bindgen::{JsCast as _, JsValue};
use web_sys::js_sys;

use crate::scenario::MAX_SCENARIO_OCTETS;
use crate::scenario::recording::MAX_RECORDING_OCTETS;

/// Every message, both ways, has a `type` with this prefix.
pub const PREFIX: &str = "smtp-playground:";
/// Lesson ids are short kebab-case names; anything longer is not one.
const MAX_LESSON_ID: usize = 64;

/// Which parts of the player an embedding shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panels {
    pub lanes: bool,
    pub controls: bool,
    pub transcript: bool,
    pub explanation: bool,
    pub inspectors: bool,
}

impl Default for Panels {
    /// The lanes, the controls, the explanation and the transcript: the lesson itself,
    /// without the inspectors' detail.
    fn default() -> Self {
        Self { lanes: true, controls: true, transcript: true, explanation: true, inspectors: false }
    }
}

impl Panels {
    /// `lanes,transcript,…`; unknown names are skipped, and a list naming nothing known
    /// falls back to the default rather than showing an empty frame.
    pub fn parse(list: &str) -> Self {
        let mut panels =
            Self { lanes: false, controls: false, transcript: false, explanation: false, inspectors: false };
        let mut any = false;
        for name in list.split(',').map(str::trim) {
            let flag = match name {
                "lanes" => &mut panels.lanes,
                "controls" => &mut panels.controls,
                "transcript" => &mut panels.transcript,
                "explanation" => &mut panels.explanation,
                "inspectors" => &mut panels.inspectors,
                _ => continue,
            };
            *flag = true;
            any = true;
        }
        if any { panels } else { Self::default() }
    }
}

/// What `?embed=1&panels=…&autoplay=1&parent=…` asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbedOptions {
    pub panels: Panels,
    pub autoplay: bool,
    /// The embedding page's origin (`?parent=`), when it is a well-formed http(s) origin:
    /// the only origin commands are accepted from and events are posted to. Without it
    /// the message API stays off.
    pub parent: Option<String>,
}

/// `scheme://host[:port]` with an http(s) scheme and nothing after it, as
/// `location.origin` gives it; anything else (a path, `null`, `*`, `javascript:`) is not
/// an origin to trust.
pub fn valid_origin(text: &str) -> Option<String> {
    let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"))?;
    let host_ok = !rest.is_empty()
        && rest.len() <= 255
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    host_ok.then(|| text.to_owned())
}

/// A command from the embedding page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Show this many steps.
    Goto(usize),
    Play,
    Pause,
    /// Play this scenario text (the core's size and step caps apply).
    LoadScenario(String),
    LoadLesson(String),
    /// Play a recording of a real session: the JSON `serve --record` or `send --record`
    /// wrote (`scenario::recording`), as text.
    OpenRecording(String),
}

fn field(data: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(data, &JsValue::from_str(name)).ok()
}

impl Command {
    /// Reads a message's data; `None` for anything not exactly a known command with
    /// fields of the right type and range.
    pub fn read(data: &JsValue) -> Option<Self> {
        if !data.is_object() {
            return None;
        }
        let kind = field(data, "type")?.as_string()?;
        Some(match kind.strip_prefix(PREFIX)? {
            "goto" => {
                let step = field(data, "step")?.as_f64()?;
                // A whole, non-negative number that fits; the reducer clamps to the run.
                if !(step.is_finite() && step >= 0.0 && step.fract() == 0.0 && step <= u32::MAX as f64) {
                    return None;
                }
                Self::Goto(step as usize)
            }
            "play" => Self::Play,
            "pause" => Self::Pause,
            "load-scenario" => {
                let source = field(data, "source")?;
                // Refused before copying it out of JavaScript when it cannot be a scenario:
                // UTF-16 units never outnumber UTF-8 octets. The parser checks the octets.
                let units = source.dyn_ref::<js_sys::JsString>()?.length() as usize;
                if units == 0 || units > MAX_SCENARIO_OCTETS {
                    return None;
                }
                Self::LoadScenario(source.as_string()?)
            }
            "load-lesson" => {
                let lesson = field(data, "lesson")?.as_string()?;
                let plausible = !lesson.is_empty()
                    && lesson.len() <= MAX_LESSON_ID
                    && lesson.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if !plausible {
                    return None;
                }
                Self::LoadLesson(lesson)
            }
            "open-recording" => {
                let recording = field(data, "recording")?;
                // One unit over the limit still comes in, for the player to say it is too large.
                let units = recording.dyn_ref::<js_sys::JsString>()?.length() as usize;
                if units == 0 || units > MAX_RECORDING_OCTETS + 1 {
                    return None;
                }
                Self::OpenRecording(recording.as_string()?)
            }
            _ => return None,
        })
    }
}

/// A plain object `{type: "smtp-playground:<kind>", …fields}` to post to the parent.
pub fn event(kind: &str, fields: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&object, &"type".into(), &JsValue::from_str(&format!("{PREFIX}{kind}")));
    for (name, value) in fields {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object.into()
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::*;

    use super::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn message(json: &str) -> JsValue {
        js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
    }

    #[wasm_bindgen_test]
    fn panels_parse_known_names_and_fall_back_on_nothing_known() {
        let panels = Panels::parse("transcript, explanation,bogus");
        assert!(panels.transcript && panels.explanation);
        assert!(!panels.lanes && !panels.controls && !panels.inspectors);
        assert_eq!(Panels::parse("<svg onload=x>"), Panels::default());
        assert_eq!(Panels::parse(""), Panels::default());
    }

    #[wasm_bindgen_test]
    fn only_http_origins_are_trusted() {
        assert_eq!(valid_origin("https://course.example"), Some("https://course.example".into()));
        assert_eq!(valid_origin("http://127.0.0.1:8080"), Some("http://127.0.0.1:8080".into()));
        for bad in [
            "",
            "*",
            "null",
            "javascript:alert(1)",
            "https://",
            "https://a.example/path",
            "https://u@a.example",
            "file:///x",
        ] {
            assert_eq!(valid_origin(bad), None, "{bad}");
        }
    }

    #[wasm_bindgen_test]
    fn commands_are_read_only_when_every_field_fits() {
        let read = |json: &str| Command::read(&message(json));
        assert_eq!(read(r#"{"type":"smtp-playground:goto","step":3}"#), Some(Command::Goto(3)));
        assert_eq!(read(r#"{"type":"smtp-playground:play"}"#), Some(Command::Play));
        assert_eq!(read(r#"{"type":"smtp-playground:pause","extra":1}"#), Some(Command::Pause));
        assert_eq!(
            read(r#"{"type":"smtp-playground:load-lesson","lesson":"mx-relay"}"#),
            Some(Command::LoadLesson("mx-relay".into()))
        );
        assert_eq!(
            read(r#"{"type":"smtp-playground:load-scenario","source":"title = \"x\""}"#),
            Some(Command::LoadScenario("title = \"x\"".into()))
        );
        assert_eq!(
            read(r#"{"type":"smtp-playground:open-recording","recording":"{}"}"#),
            Some(Command::OpenRecording("{}".into()))
        );
        for bad in [
            "null",
            "7",
            r#""smtp-playground:play""#,
            "[]",
            r#"{"type":"play"}"#,
            r#"{"type":7}"#,
            r#"{"type":"smtp-playground:goto"}"#,
            r#"{"type":"smtp-playground:goto","step":-1}"#,
            r#"{"type":"smtp-playground:goto","step":1.5}"#,
            r#"{"type":"smtp-playground:goto","step":"2"}"#,
            r#"{"type":"smtp-playground:goto","step":1e300}"#,
            r#"{"type":"smtp-playground:load-lesson","lesson":"../etc"}"#,
            r#"{"type":"smtp-playground:load-lesson","lesson":""}"#,
            r#"{"type":"smtp-playground:load-scenario","source":""}"#,
            r#"{"type":"smtp-playground:load-scenario","source":7}"#,
            r#"{"type":"smtp-playground:reload"}"#,
            r#"{"type":"smtp-playground:open-recording","recording":""}"#,
            r#"{"type":"smtp-playground:open-recording","recording":{"timeline":1}}"#,
        ] {
            assert_eq!(read(bad), None, "{bad}");
        }
        let huge = JsValue::from_str(&"x".repeat(MAX_SCENARIO_OCTETS + 1));
        let object = event("x", &[("source", huge)]);
        let _ = js_sys::Reflect::set(&object, &"type".into(), &"smtp-playground:load-scenario".into());
        assert_eq!(Command::read(&object), None);
    }
}
