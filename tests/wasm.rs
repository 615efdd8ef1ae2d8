//! wasm-bindgen tests: the core, compiled to wasm, run in headless Chromium.
#![cfg(target_arch = "wasm32")]

use sha2::Digest as _;
use smtp_playground::scenario::{self, lessons, seed_telnet_session};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn seed_session_runs_in_the_browser_and_matches_golden() {
    let got: Vec<String> = seed_telnet_session().iter().map(ToString::to_string).collect();
    let want: Vec<&str> = include_str!("golden/seed_telnet.txt").lines().collect();
    assert_eq!(got, want);
}

/// Every lesson's timeline, built in the browser, is byte for byte the native one: its
/// JSON hashes to the digest the native test recorded.
#[wasm_bindgen_test]
fn every_lesson_timeline_matches_the_native_run() {
    let golden = include_str!("golden/lessons/timelines.sha256");
    assert_eq!(golden.lines().count(), lessons::ALL.len(), "one digest per lesson");
    for lesson in lessons::ALL {
        let scenario = scenario::parse(lesson.source).expect("parses");
        let json = serde_json::to_string(&scenario.run()).expect("json");
        let hex: String = sha2::Sha256::digest(json.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let want = golden.lines().find(|l| l.ends_with(&format!("  {}", lesson.id))).map(|l| &l[..64]);
        assert_eq!(Some(hex.as_str()), want, "lesson {}", lesson.id);
    }
}

/// Broken scenario text gives a located error in the browser too, never a panic.
#[wasm_bindgen_test]
fn bad_scenarios_give_located_errors_in_the_browser() {
    let error =
        scenario::parse("title = \"t\"\ndescription = \"d\"\n[[host]]\nnam = \"x\"\n").expect_err("bad");
    assert_eq!((error.line, error.column), (4, 1));
}

#[path = "support/settle.rs"]
mod settle;

mod player {
    use std::rc::Rc;

    use smtp_playground::ui::browser;
    use smtp_playground::ui::state::{Action, Guess, State};
    use wasm_bindgen_test::*;
    use yew::Reducible as _;

    use super::settle::{open, reduce, settle};

    /// Stepping back returns to exactly what was shown before: position, step, lines.
    #[wasm_bindgen_test]
    fn step_back_restores_the_earlier_state() {
        let start = open("mx-relay", 5);
        assert_eq!((start.position, start.current()), (5, Some(4)));
        let there = reduce(start.clone(), &[Action::Forward, Action::Forward, Action::Back, Action::Back]);
        assert_eq!(there.position, start.position);
        assert_eq!(there.asking(), None);
        let end = reduce(start.clone(), &[Action::Last, Action::Forward]);
        assert_eq!(end.position, end.len());
        assert!(end.at_end() && !end.playing);
        assert_eq!(reduce(end, &[Action::First, Action::Back]).position, 0);
        let len = start.len();
        assert_eq!(reduce(start, &[Action::Seek(100_000)]).position, len, "seeking past the end stops there");
    }

    /// An unknown lesson is a notice and the open picker, never a panic.
    #[wasm_bindgen_test]
    fn unknown_lessons_leave_a_notice() {
        let state = settle(Rc::new(State::open("<script>", 3, None)));
        assert!(state.loaded.is_none() && state.picker);
        assert_eq!(state.position, 0);
        assert!(state.notice.as_deref().is_some_and(|n| n.contains("<script>")));
        let state = reduce(state, &[Action::Forward]);
        assert_eq!(state.position, 0);
        let opened = reduce(state, &[Action::OpenLesson("telnet-session".into())]);
        assert!(opened.loaded.is_some() && !opened.picker && opened.notice.is_none());
    }

    /// A scenario given as text plays from its first step; a broken one keeps what was
    /// playing and says where the error is.
    #[wasm_bindgen_test]
    fn scenarios_load_from_text_or_leave_a_located_notice() {
        let start = open("telnet-session", 4);
        let source =
            smtp_playground::scenario::lessons::get("mx-relay").map(|l| l.source).unwrap_or_default();
        let loaded = reduce(start.clone(), &[Action::LoadSource(source.into())]);
        assert_eq!(loaded.position, 0);
        assert!(loaded.loaded.as_ref().is_some_and(|l| l.lesson.is_none() && l.played.title.contains("MX")));
        let broken = reduce(
            start,
            &[Action::LoadSource("title = \"t\"\ndescription = \"d\"\n[[host]]\nnam = \"x\"\n".into())],
        );
        assert_eq!(broken.position, 4, "the lesson that was playing stays");
        assert!(
            broken.notice.as_deref().is_some_and(|n| n.contains("line 4, column 1")),
            "{:?}",
            broken.notice
        );
    }

    /// A recording (the JSON `serve --record` writes) plays from its first step; one that does
    /// not read, or does not hold together, keeps what was playing and says why. (The full
    /// player reads recordings; the player module only holds the text for it.)
    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn recordings_open_or_leave_a_notice() {
        use smtp_playground::scenario::played::Played;
        use smtp_playground::scenario::recording::Recording;
        let mut played = Played::lesson("telnet-session").expect("a run");
        played.lesson = None;
        played.title = "Recorded: 127.0.0.1:4000 → smtp.example.com".into();
        played.recording = Some(Recording {
            by: "serve".into(),
            started: "Sat, 5 Dec 2026 07:40:12 +0000".into(),
            client: "127.0.0.1:4000".into(),
            server: "127.0.0.1:2525".into(),
            masked: 1,
            version: "test".into(),
        });
        let json = serde_json::to_string(&played).expect("json");
        let start = open("mx-relay", 3);
        let opened = reduce(start.clone(), &[Action::OpenRecording(json.clone().into())]);
        let loaded = opened.loaded.as_ref().expect("shown");
        assert_eq!(opened.position, 0);
        assert_eq!(loaded.played.recording.as_ref().map(|r| r.masked), Some(1));
        assert_eq!(
            opened.pristine.as_ref().map(|(l, s)| (l.is_none(), s.len())),
            Some((true, played.source.len()))
        );
        assert_eq!(opened.opening, None);
        let broken = reduce(start.clone(), &[Action::OpenRecording("{\"title\": ".into())]);
        assert_eq!(broken.position, 3, "mx-relay stays");
        assert!(
            broken.notice.as_deref().is_some_and(|n| n.contains("could not be opened: line 1, column")),
            "{:?}",
            broken.notice
        );
        let mut lost = played.clone();
        lost.timeline.steps[0].from = "nowhere".into();
        let lost =
            reduce(start, &[Action::OpenRecording(serde_json::to_string(&lost).expect("json").into())]);
        assert!(
            lost.notice.as_deref().is_some_and(|n| n.contains("not one of its lanes")),
            "{:?}",
            lost.notice
        );
    }

    /// "Predict the reply" holds each reply back until a guess, then scores it.
    #[wasm_bindgen_test]
    fn predicting_holds_replies_and_scores_guesses() {
        let state = reduce(open("telnet-session", 0), &[Action::TogglePredict, Action::Forward]);
        assert_eq!(state.position, 1, "the TCP connect is not a reply");
        let asked = reduce(state, &[Action::Forward]);
        assert_eq!((asked.position, asked.asking()), (1, Some(1)), "the greeting waits for a guess");
        let still = reduce(asked.clone(), &[Action::Forward, Action::TogglePlay, Action::Tick]);
        assert_eq!((still.position, still.playing), (1, false));
        let right = reduce(asked.clone(), &[Action::Guess(Guess::Class(2))]);
        assert_eq!((right.position, right.asking()), (2, None));
        assert_eq!(right.predict.as_ref().map(|p| p.score()), Some((1, 1)));
        let wrong = reduce(asked, &[Action::Guess(Guess::Code(554))]);
        assert_eq!(wrong.predict.as_ref().map(|p| p.score()), Some((0, 1)));
        // An answered reply is not asked again after stepping back over it.
        let again = reduce(right, &[Action::Back, Action::Forward]);
        assert_eq!((again.position, again.asking()), (2, None));
    }

    /// Playing advances on each tick and stops at the end; long waits get a longer pause.
    #[wasm_bindgen_test]
    fn playback_ticks_to_the_end() {
        let mut state = reduce(open("size-limit", 0), &[Action::Speed(4), Action::TogglePlay]);
        let len = state.len();
        for _ in 0..len + 3 {
            state = state.reduce(Action::Tick);
        }
        assert_eq!((state.position, state.playing), (len, false));
        let restarted = state.reduce(Action::TogglePlay);
        assert_eq!((restarted.position, restarted.playing), (0, true), "play at the end starts again");
        let retry = open("retry-later", 0);
        let long = (1..retry.len()).find(|&i| retry.wait_before(i).is_some()).expect("a long wait");
        let before_long = reduce(retry.clone(), &[Action::Seek(long)]);
        let normal = reduce(retry, &[Action::Seek(1)]);
        assert!(before_long.play_delay() > normal.play_delay());
    }

    /// The panic hook's panel is plain DOM, readable without Yew.
    #[wasm_bindgen_test]
    fn the_error_panel_shows_the_message() {
        browser::show_error_panel("panicked at src/ui/state.rs: boom");
        let document = web_sys::window().and_then(|w| w.document()).expect("document");
        let panel = document.get_element_by_id("panic-panel").expect("panel");
        assert_eq!(panel.get_attribute("role").as_deref(), Some("alert"));
        assert!(panel.text_content().unwrap_or_default().contains("boom"));
        browser::show_error_panel("a second panic");
        assert_eq!(document.query_selector_all(".panic-panel").map(|l| l.length()).ok(), Some(1));
        panel.remove();
    }
}

/// The lab's reducer (issue 7): the console's re-runs, permalinks and Reset's origin.
mod lab {
    use std::rc::Rc;

    use smtp_playground::scenario::console::CONSOLE_LANE;
    use smtp_playground::scenario::{lessons, permalink};
    use smtp_playground::ui::browser::{self, Fragment};
    use smtp_playground::ui::state::{Action, State};
    use wasm_bindgen_test::*;
    use yew::Reducible as _;

    use super::settle::{open, open_link, reduce, settle};

    fn console_lines(state: &State) -> Vec<String> {
        let timeline = &state.loaded.as_ref().expect("loaded").timeline;
        timeline
            .steps
            .iter()
            .filter(|s| &*s.from == CONSOLE_LANE || &*s.to == CONSOLE_LANE)
            .flat_map(|s| s.transcript_lines())
            .collect()
    }

    /// Each console line re-runs the same world with the session so far and shows its
    /// end; Clear plays the scenario without it; the text edited stays the lesson's.
    #[wasm_bindgen_test]
    fn the_console_reruns_the_world_with_the_typed_session() {
        let start = open("mx-relay", 0);
        let source = start.loaded.as_ref().expect("loaded").source.clone();
        let typed = reduce(
            start.clone(),
            &[
                Action::ConsoleServer("mx.example.net".into()),
                Action::ConsoleSend("EHLO learner.example".into()),
                Action::ConsoleSend("RCPT TO:<bob@example.net>".into()),
            ],
        );
        assert_eq!(typed.console.lines.len(), 2);
        assert!(typed.at_end(), "a console run is shown at its end");
        let lines = console_lines(&typed);
        assert!(lines.iter().any(|l| l.contains("EHLO learner.example")), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("503")), "RCPT before MAIL is a bad sequence: {lines:?}");
        assert_eq!(typed.loaded.as_ref().expect("loaded").source, source);
        let cleared = reduce(typed, &[Action::ConsoleClear]);
        assert!(console_lines(&cleared).is_empty());
        assert_eq!(cleared.len(), start.len());
        // A server the world does not have is refused with a notice; nothing is kept.
        let refused = reduce(
            start,
            &[Action::ConsoleServer("nowhere.example".into()), Action::ConsoleSend("HELO x".into())],
        );
        assert!(refused.console.lines.is_empty());
        assert!(refused.notice.as_deref().is_some_and(|n| n.contains("nowhere.example")));
    }

    /// Lines typed faster than the world re-runs are all kept: each builds on the session
    /// still waiting for its run, and the run that arrives last holds every line. (Each
    /// line used to build on the session shown, so a line typed while the one before it was
    /// on its way was lost, and DATA then met a 503 instead of a 354.)
    #[wasm_bindgen_test]
    fn console_lines_typed_before_the_last_run_arrives_are_kept() {
        let start = open("mx-relay", 0);
        let lines =
            ["EHLO learner.example", "MAIL FROM:<learner@example.org>", "RCPT TO:<bob@example.net>", "DATA"];
        let typed =
            lines.iter().fold(start.reduce(Action::ConsoleServer("mx.example.net".into())), |s, l| {
                s.reduce(Action::ConsoleSend((*l).into()))
            });
        assert_eq!(typed.console_typed().lines, lines, "the session waiting for its run");
        assert!(typed.console.lines.is_empty(), "nothing has arrived yet");
        let arrived = settle(typed);
        assert_eq!(arrived.console.lines, lines);
        let shown = console_lines(&arrived);
        assert!(shown.iter().any(|l| l.contains("S: 354")), "DATA met its 354: {shown:?}");
        assert!(!shown.iter().any(|l| l.contains("S: 503")), "{shown:?}");
        // Clear, too, clears what was typed, not only what was shown.
        let cleared = settle(arrived.reduce(Action::ConsoleSend("QUIT".into())).reduce(Action::ConsoleClear));
        assert!(cleared.console.lines.is_empty() && console_lines(&cleared).is_empty());
    }

    /// A permalink opens the same text at the same step; a damaged one opens a lesson
    /// with a notice. Edits keep Reset's origin.
    #[wasm_bindgen_test]
    fn permalinks_open_the_text_and_edits_keep_the_origin() {
        let lesson = lessons::get("mx-relay").expect("lesson");
        let edited = lesson.source.replace("Relaying through an MX lookup", "Edited");
        let opened = open_link(&permalink::encode(&edited), 3);
        let loaded = opened.loaded.as_ref().expect("loaded");
        assert_eq!((&*loaded.source, loaded.lesson.as_deref(), opened.position), (edited.as_str(), None, 3));
        assert_eq!(
            opened.pristine.as_ref().map(|(l, t)| (l.clone(), t.to_string())),
            Some((None, edited.clone()))
        );
        let damaged = open_link("%%%", 0);
        assert!(damaged.loaded.is_some());
        assert!(damaged.notice.as_deref().is_some_and(|n| n.contains("could not be read")));

        let start = open("mx-relay", 0);
        let changed = reduce(start, &[Action::LoadSource(edited.as_str().into())]);
        assert_eq!(changed.loaded.as_ref().and_then(|l| l.lesson.clone()), None);
        assert_eq!(changed.pristine.as_ref().and_then(|(l, _)| l.clone()).as_deref(), Some("mx-relay"));
    }

    /// Share links carry the scenario in the fragment (issue 14): it is read in any order,
    /// hostile values are refused with a notice or ignored, and a changed fragment opens its
    /// scenario (the same text only moves to the step).
    #[wasm_bindgen_test]
    fn fragments_open_links_and_refuse_hostile_values() {
        let lesson = lessons::get("mx-relay").expect("lesson");
        let edited = lesson.source.replace("Relaying through an MX lookup", "Edited");
        let param = permalink::encode(&edited);
        let parsed = Fragment::parse(&format!("#step=3&scenario={param}"));
        assert_eq!(parsed, Fragment { scenario: Some(param.clone()), step: 3 });
        assert_eq!(Fragment::parse("#step=-1"), Fragment { scenario: None, step: 0 });
        assert_eq!(Fragment::parse(""), Fragment::default());
        assert_eq!(Fragment::parse("#scenario=").scenario.as_deref(), Some(""));
        assert_eq!(Fragment::parse("#step=99999999999999999999999").step, 0);

        for (hostile, why) in [
            (String::new(), "carries no scenario"),
            ("not*base64".to_owned(), "could not be read"),
            ("A".repeat(1 << 20), "characters long"),
        ] {
            let opened = open_link(&hostile, 0);
            assert!(opened.loaded.is_some());
            assert!(opened.notice.as_deref().is_some_and(|n| n.contains(why)), "{:?}", opened.notice);
        }

        // A new fragment plays its text at its step; Reset goes back to that text.
        let start = open("mx-relay", 0);
        let linked = reduce(start, &[Action::OpenLink(param.clone(), 3)]);
        let loaded = linked.loaded.as_ref().expect("loaded");
        assert_eq!((&*loaded.source, loaded.lesson.as_deref(), linked.position), (edited.as_str(), None, 3));
        assert_eq!(linked.pristine.as_ref().map(|(_, t)| t.to_string()), Some(edited.clone()));
        // The same text again only moves to the step.
        let timeline = loaded.timeline.clone();
        let stepped = reduce(linked.clone(), &[Action::OpenLink(param.clone(), 5)]);
        assert!(Rc::ptr_eq(&stepped.loaded.as_ref().expect("loaded").timeline, &timeline));
        assert_eq!(stepped.position, 5);
        // A damaged one keeps what is played, with a notice.
        let damaged = reduce(stepped, &[Action::OpenLink("%%%".into(), 1)]);
        assert_eq!(damaged.position, 5);
        assert!(Rc::ptr_eq(&damaged.loaded.as_ref().expect("loaded").timeline, &timeline));
        assert!(damaged.notice.as_deref().is_some_and(|n| n.contains("could not be read")));

        // The address bar: the scenario goes to the fragment and the query goes.
        let location = web_sys::window().expect("window").location();
        let before = location.href().expect("href");
        let url = browser::write_scenario_location(&param, 2);
        assert!(url.ends_with(&format!("#scenario={param}&step=2")), "{url}");
        assert_eq!(location.search().expect("search"), "");
        assert_eq!(browser::read_fragment(), Fragment { scenario: Some(param), step: 2 });
        let history = web_sys::window().expect("window").history().expect("history");
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&before)).expect("restored");
    }
}
