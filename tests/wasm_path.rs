//! The learning path's reducer logic in the browser (issue 12): progress marks recorded at
//! a lesson's last step, scores from "predict the reply", the stored text read back, and
//! the introduction opened and closed.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use smtp_playground::scenario::lessons;
use smtp_playground::ui::progress::{Mark, Progress};
use smtp_playground::ui::state::{Action, Guess, State};
use wasm_bindgen_test::*;
use yew::Reducible as _;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/settle.rs"]
mod settle;
use settle::{open, reduce};

/// Steps through with "predict the reply" on, guessing each reply with `guess`.
fn predict_through(id: &str, guess: impl Fn(u16) -> Guess) -> Rc<State> {
    let mut state = reduce(open(id, 0), &[Action::TogglePredict]);
    for _ in 0..10_000 {
        if state.at_end() {
            break;
        }
        state = match state.asking() {
            Some(index) => {
                let code = state.loaded.as_ref().and_then(|l| l.timeline.steps[index].code).expect("a reply");
                state.reduce(Action::Guess(guess(code)))
            }
            None => state.reduce(Action::Forward),
        };
    }
    state
}

#[wasm_bindgen_test]
fn a_lesson_is_finished_at_its_last_step_not_before() {
    let start = open("telnet-session", 0);
    let len = start.len();
    let almost = reduce(start.clone(), &[Action::Seek(len - 1), Action::Forward, Action::Back]);
    assert!(almost.progress.get("telnet-session").finished, "reaching the end once is enough");
    let before = reduce(start.clone(), &[Action::Seek(len - 1)]);
    assert_eq!(before.progress.get("telnet-session"), Mark::default());
    let end = reduce(start, &[Action::Last]);
    assert_eq!(end.progress.get("telnet-session"), Mark { finished: true, predicted: None });
    assert_eq!(end.progress.finished(), 1);
    // A page opened at the end (a link, a reload) marks nothing until the learner steps there.
    let linked = reduce(open("size-limit", 9_999), &[Action::TogglePicker]);
    assert!(linked.at_end());
    assert_eq!(linked.progress, Progress::default());
    assert!(reduce(linked, &[Action::Back, Action::Forward]).progress.get("size-limit").finished);
    // Opening another lesson keeps the marks, and the next lesson's end adds its own.
    let next = lessons::next("telnet-session").expect("a next lesson");
    let both = reduce(end, &[Action::OpenLesson(next.into()), Action::Last]);
    assert!(both.progress.get("telnet-session").finished && both.progress.get(next).finished);
    assert_eq!(both.progress.first_unfinished(), lessons::PATH.get(2).copied());
}

/// The console's own session, and a scenario that is not a library lesson, mark nothing.
#[wasm_bindgen_test]
fn typed_sessions_and_own_scenarios_mark_nothing() {
    let start = open("mx-relay", 0);
    let typed = reduce(
        start.clone(),
        &[Action::ConsoleServer("mx.example.net".into()), Action::ConsoleSend("EHLO learner.example".into())],
    );
    assert!(typed.at_end());
    assert_eq!(typed.progress, Progress::default());
    let cleared = reduce(typed, &[Action::ConsoleClear]);
    assert!(cleared.at_end(), "the lesson's own run, shown at its end");
    assert_eq!(cleared.progress, Progress::default(), "the console jumped there, not the learner");
    let stepped = reduce(cleared, &[Action::Back, Action::Forward]);
    assert!(stepped.progress.get("mx-relay").finished);
    let source = lessons::get("size-limit").expect("lesson").source;
    let own = reduce(start, &[Action::LoadSource(source.into()), Action::Last]);
    assert!(own.at_end());
    assert_eq!(own.progress, Progress::default());
}

#[wasm_bindgen_test]
fn predicting_every_reply_right_is_recorded_with_the_score() {
    let right = predict_through("telnet-session", Guess::Code);
    let replies = right.loaded.as_ref().expect("loaded").replies;
    assert!(replies >= 4);
    let mark = right.progress.get("telnet-session");
    assert_eq!(mark, Mark { finished: true, predicted: Some((replies, replies)) });
    assert!(mark.all_predicted());
    // A play with every guess wrong is recorded too, but a better score is kept.
    let wrong = predict_through("telnet-session", |code| Guess::Class(if code / 100 == 5 { 2 } else { 5 }));
    assert_eq!(wrong.progress.get("telnet-session").predicted, Some((0, replies)));
    let mut both = right.progress.clone();
    both.merge(&wrong.progress);
    assert_eq!(both.get("telnet-session").predicted, Some((replies, replies)));
    // Jumping to the end in predict mode without a guess records no score.
    let skipped = reduce(open("telnet-session", 0), &[Action::TogglePredict, Action::Last]);
    assert_eq!(skipped.progress.get("telnet-session"), Mark { finished: true, predicted: None });
}

/// The stored text reads back as it was written; what storage holds that is not ours
/// (unknown lessons, broken scores, stray words) is skipped, never a panic.
#[wasm_bindgen_test]
fn progress_text_reads_back_and_tolerates_damage() {
    let mut progress = Progress::default();
    progress.record("mx-relay", None);
    progress.record("dkim-pass", Some((3, 5)));
    let text = progress.encode();
    assert_eq!(text, "dkim-pass finished predicted=3/5\nmx-relay finished\n");
    assert_eq!(Progress::parse(&text), progress);
    let damaged = Progress::parse(
        "no-such-lesson finished\nmx-relay finished sparkles\ndkim-pass predicted=9/5\n\
         size-limit predicted=x/y finished\n<script> finished\n\u{0}\u{ffff}\ngreylisting",
    );
    assert!(damaged.get("mx-relay").finished);
    assert_eq!(damaged.get("dkim-pass"), Mark::default(), "more right than replies is not a score");
    assert_eq!(damaged.get("size-limit"), Mark { finished: true, predicted: None });
    assert_eq!(damaged.get("greylisting"), Mark::default());
    assert_eq!(damaged.finished(), 2);
    assert_eq!(Progress::parse(&damaged.encode()), damaged);
    assert_eq!(Progress::parse(""), Progress::default());
    // Recording an unknown lesson (a URL typed by hand) adds nothing.
    let mut none = Progress::default();
    none.record("<img src=x>", None);
    assert_eq!(none.encode(), "");
}

/// "Start here" opens and closes; Esc closes it; opening a lesson from it closes it.
#[wasm_bindgen_test]
fn the_introduction_opens_closes_and_gives_way_to_a_lesson() {
    let mut start = (*open("telnet-session", 0)).clone();
    start.intro = true;
    let start = Rc::new(start);
    assert!(!reduce(start.clone(), &[Action::Dismiss]).intro);
    assert!(!reduce(start.clone(), &[Action::ToggleIntro]).intro);
    assert!(reduce(start.clone(), &[Action::ToggleIntro, Action::ToggleIntro]).intro);
    let opened = reduce(start.clone(), &[Action::OpenLesson("mx-relay".into())]);
    assert!(!opened.intro && !opened.picker);
    assert_eq!(opened.loaded.as_ref().and_then(|l| l.lesson.as_deref()), Some("mx-relay"));
    // Opening it stops playback, so nothing moves behind it.
    let playing = reduce(open("telnet-session", 0), &[Action::TogglePlay]);
    assert!(playing.playing);
    assert!(!reduce(playing, &[Action::ToggleIntro]).playing);
}
