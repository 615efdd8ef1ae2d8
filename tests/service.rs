//! Player first (issue 13): the lesson data the player plays from, and the simulator's
//! answers to the page's requests, checked natively. The browser side (the files fetched,
//! the worker answering) is tested in tests/e2e/player-first.test.mjs.
#![cfg(not(target_arch = "wasm32"))]

use sha2::Digest as _;
use smtp_playground::scenario::played::{self, Played};
use smtp_playground::scenario::service::{Answer, ConsoleSession, ExportFormat, Request, WhatIf, answer};
use smtp_playground::scenario::{self, export, lessons, permalink};

fn played(answer: Answer) -> Played {
    match answer {
        Answer::Played(played) => *played,
        other => panic!("not a run: {other:?}"),
    }
}

fn digest(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `lessons --export` writes every lesson's run; each file reads back as the simulator's
/// own run of that lesson (the one the worker would answer), and its timeline is the one
/// whose digest tests/golden/lessons/timelines.sha256 records for the browser's check.
#[test]
fn exported_lesson_data_is_the_simulators_run() {
    let dir = std::env::temp_dir().join(format!("smtp-playground-lessons-{}", std::process::id()));
    let (out, code) = smtp_playground::cli::main(&[
        "lessons".to_owned(),
        "--export".to_owned(),
        dir.to_string_lossy().into_owned(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("wrote {} files", 2 * lessons::ALL.len() + 1)), "{out}");
    let golden = include_str!("golden/lessons/timelines.sha256");
    for lesson in lessons::ALL {
        let json = std::fs::read_to_string(dir.join(format!("{}.json", lesson.id))).expect("file written");
        let mut from_file: Played = serde_json::from_str(&json).expect("the player can read it");
        // The data leaves the scenario's text out: it is the file beside it, for the full player.
        assert!(from_file.source.is_empty() && !json.contains("\"source\""), "lesson {}", lesson.id);
        from_file.source =
            std::fs::read_to_string(dir.join(format!("{}.toml", lesson.id))).expect("text written");
        let run = played(answer(Request::Run {
            lesson: Some(lesson.id.to_owned()),
            source: lesson.source.to_owned(),
            console: None,
        }));
        assert_eq!(from_file, run, "lesson {}", lesson.id);
        assert_eq!(from_file.source, lesson.source);
        assert_eq!(from_file.link, None, "a lesson's URL names it: no link in its data");
        let timeline = serde_json::to_string(&from_file.timeline).expect("json");
        let want = golden.lines().find(|l| l.ends_with(&format!("  {}", lesson.id))).map(|l| &l[..64]);
        assert_eq!(Some(digest(&timeline).as_str()), want, "lesson {}", lesson.id);
    }
    let index: Vec<played::Topic> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).expect("index"))
            .expect("reads");
    assert_eq!(index, played::index());
    let ids: Vec<&str> = index.iter().flat_map(|(_, l)| l.iter().map(|s| s.id.as_str())).collect();
    assert_eq!(ids, lessons::PATH);
    let _ = std::fs::remove_dir_all(dir);
}

/// What the page shows about a scenario comes with its run: the zone as the DNS inspector
/// lists it, faults in words, the console's servers, the number of clients to export.
#[test]
fn a_run_carries_what_the_page_shows_of_its_scenario() {
    let run = Played::lesson("dsn-notify").expect("lesson");
    let parsed = scenario::parse(lessons::get("dsn-notify").expect("lesson").source).expect("parses");
    assert_eq!(run.title, parsed.title);
    assert_eq!(run.goals, parsed.narrative.goals);
    assert_eq!(run.recap, parsed.narrative.recap);
    assert!(
        run.zone.iter().any(|(name, record)| name == "example.net." && record.starts_with("MX")),
        "{:?}",
        run.zone
    );
    assert!(run.servers.iter().any(|s| s == "mx.example.net"), "{:?}", run.servers);
    assert_eq!(run.sends, 1);
}

/// A share link runs its text and carries its parameter back (the address bar writes it);
/// a damaged one is refused in words.
#[test]
fn links_run_their_text_or_are_refused_in_words() {
    let source = lessons::get("mx-relay").expect("lesson").source.replace("Relaying through", "Edited:");
    let param = permalink::encode(&source);
    let run = played(answer(Request::Link { param: param.clone() }));
    assert_eq!(
        (run.source.as_str(), run.lesson.as_deref(), run.link.as_deref()),
        (source.as_str(), None, Some(param.as_str()))
    );
    for (bad, why) in [("", "carries no scenario"), ("not*base64", "could not be read")] {
        match answer(Request::Link { param: bad.to_owned() }) {
            Answer::Refused(message) => assert!(message.contains(why), "{message}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert_eq!(answer(Request::Encode { source: source.clone() }), Answer::Text(param));
}

/// The editor's check and Run: a located error, never a panic.
#[test]
fn checks_and_runs_of_broken_text_give_located_errors() {
    let broken = "title = \"t\"\ndescription = \"d\"\n[[host]]\nnam = \"x\"\n";
    for request in [
        Request::Check { source: broken.to_owned() },
        Request::Run { lesson: None, source: broken.to_owned(), console: None },
        Request::Export { source: broken.to_owned(), format: ExportFormat::Transcript },
    ] {
        match answer(request) {
            Answer::Invalid(e) => assert_eq!((e.line, e.column), (4, 1)),
            other => panic!("{other:?}"),
        }
    }
    let good = lessons::get("telnet-session").expect("lesson").source;
    assert_eq!(answer(Request::Check { source: good.to_owned() }), Answer::Valid);
}

/// "What if": a reply injected at a RCPT step is in the new run's text and timeline; Undo
/// takes it out again; a reply that is not 4xx/5xx, or greylisting at a non-RCPT step, is
/// refused in words.
#[test]
fn faults_are_added_at_a_step_and_taken_out_again() {
    let source = lessons::get("mx-relay").expect("lesson").source.to_owned();
    let base = Played::lesson("mx-relay").expect("lesson");
    let rcpt = base
        .timeline
        .steps
        .iter()
        .position(|s| s.wire.as_deref().is_some_and(|w| w.starts_with("RCPT TO:")))
        .expect("a RCPT step");
    let what = WhatIf::Reply("550 5.1.1 No such user here".to_owned());
    let faulted = played(answer(Request::AddFault { source: source.clone(), step: rcpt, what }));
    assert_eq!(faulted.faults.len(), base.faults.len() + 1);
    let described = faulted.faults.last().expect("the fault, in words");
    assert!(described.contains("550 5.1.1") && described.contains("RCPT"), "{described}");
    assert!(faulted.source.contains("[[fault]]"));
    assert!(faulted.timeline.steps.iter().any(|s| s.code == Some(550)), "the injected reply is heard");
    let undone =
        played(answer(Request::RemoveFault { source: faulted.source.clone(), index: base.faults.len() }));
    assert_eq!(undone.timeline, base.timeline);
    for what in [WhatIf::Reply("250 fine".to_owned()), WhatIf::Reply("nonsense".to_owned()), WhatIf::Greylist]
    {
        let step = if what == WhatIf::Greylist { 0 } else { rcpt };
        match answer(Request::AddFault { source: source.clone(), step, what: what.clone() }) {
            Answer::Refused(message) => assert!(message.contains("reply"), "{what:?}: {message}"),
            other => panic!("{what:?}: {other:?}"),
        }
    }
    let down = played(answer(Request::AddFault { source, step: 0, what: WhatIf::Down(3_600_000) }));
    assert_eq!(down.faults.len(), base.faults.len() + 1);
}

/// The console's session runs in the world; the text stays the lesson's.
#[test]
fn a_console_session_runs_in_the_world() {
    let source = lessons::get("mx-relay").expect("lesson").source.to_owned();
    let session = ConsoleSession {
        server: "mx.example.net".to_owned(),
        lines: vec!["EHLO learner.example".to_owned()],
    };
    let run = played(answer(Request::Run {
        lesson: Some("mx-relay".to_owned()),
        source: source.clone(),
        console: Some(session),
    }));
    assert_eq!(run.source, source);
    assert!(run.timeline.transcript().iter().any(|l| l.contains("EHLO learner.example")));
    let nowhere = ConsoleSession { server: "nowhere.example".to_owned(), lines: vec!["HELO x".to_owned()] };
    match answer(Request::Run { lesson: None, source, console: Some(nowhere) }) {
        Answer::Invalid(e) => assert!(e.message.contains("nowhere.example"), "{}", e.message),
        other => panic!("{other:?}"),
    }
}

/// Exports are the core's, made from the text; a message the run did not deliver says so.
#[test]
fn exports_are_made_from_the_text() {
    let lesson = lessons::get("mx-relay").expect("lesson");
    let timeline = scenario::parse(lesson.source).expect("parses").run();
    let ask = |format| answer(Request::Export { source: lesson.source.to_owned(), format });
    assert_eq!(ask(ExportFormat::Transcript), Answer::Text(export::transcript_text(&timeline)));
    match ask(ExportFormat::Swaks(0)) {
        Answer::Text(text) => assert!(text.starts_with("swaks") || text.contains("swaks "), "{text}"),
        other => panic!("{other:?}"),
    }
    match ask(ExportFormat::Eml { mailbox: "nobody".to_owned(), index: 9 }) {
        Answer::Text(text) => assert!(text.contains("No message was delivered")),
        other => panic!("{other:?}"),
    }
}

/// Requests and answers cross the worker boundary as JSON, and come back the same.
#[test]
fn requests_and_answers_survive_json() {
    let requests = [
        Request::Run {
            lesson: None,
            source: "x".into(),
            console: Some(ConsoleSession { server: "s".into(), lines: vec!["\r\n.".into()] }),
        },
        Request::AddFault { source: "x".into(), step: 3, what: WhatIf::Down(5) },
        Request::Export { source: "x".into(), format: ExportFormat::Eml { mailbox: "bob".into(), index: 1 } },
    ];
    for request in requests {
        let json = serde_json::to_string(&request).expect("json");
        assert_eq!(serde_json::from_str::<Request>(&json).expect("reads"), request);
    }
    let run = answer(Request::Run { lesson: None, source: lessons::ALL[0].source.to_owned(), console: None });
    let json = serde_json::to_string(&run).expect("json");
    assert_eq!(serde_json::from_str::<Answer>(&json).expect("reads"), run);
}

/// A learner's own RSA-signed message (signed by dkimpy, tests/e2e/fixtures/rsa-signed.eml)
/// verifies in the simulator: RSA is in every build, the worker's included. The browser
/// test pastes the same file into the page.
#[test]
fn a_dkimpy_rsa_signed_eml_verifies_in_the_simulator() {
    let world = include_str!("e2e/fixtures/rsa-world.toml");
    let eml = include_str!("e2e/fixtures/rsa-signed.eml");
    let run = played(answer(Request::Eml { source: world.to_owned(), eml: eml.to_owned() }));
    // The world's own [[send]] goes first, unsigned; the learner's message is the second.
    let dkim: Vec<&str> = run
        .timeline
        .steps
        .iter()
        .filter(|s| s.summary.starts_with("DKIM") && s.check.is_some())
        .map(|s| s.summary.as_str())
        .collect();
    assert_eq!(dkim.len(), 2, "{dkim:#?}");
    assert!(dkim[1].contains("pass") && dkim[1].contains("rsa"), "{}", dkim[1]);
    let results = run.timeline.transcript().join("\n");
    assert!(results.contains("rsa2026"), "the RSA signature's selector is looked up");
}
