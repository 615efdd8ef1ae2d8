//! Every lesson runs, keeps the promise of its `[expect]` table, is deterministic, and
//! matches its golden transcript (re-bless with UPDATE_GOLDEN=1).
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::scenario::{self, lessons};

fn golden_path(id: &str) -> String {
    format!("{}/tests/golden/lessons/{id}.txt", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_lesson_keeps_its_promise() {
    let mut failures = Vec::new();
    for lesson in lessons::ALL {
        let scenario = match scenario::parse(lesson.source) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: does not parse: {e}", lesson.id));
                continue;
            }
        };
        let expect = scenario.expect.clone().unwrap_or_default();
        let timeline = scenario.run();
        let outcome = &timeline.outcome;
        assert!(!outcome.truncated, "{}: hit the step or time limit", lesson.id);
        for mailbox in &expect.delivered {
            if outcome.delivered.get(mailbox).copied().unwrap_or(0) == 0 {
                failures.push(format!(
                    "{}: nothing delivered to {mailbox}; delivered: {:?}",
                    lesson.id, outcome.delivered
                ));
            }
        }
        if outcome.dsns != expect.dsns {
            failures.push(format!("{}: DSNs {:?}, expected {:?}", lesson.id, outcome.dsns, expect.dsns));
        }
        if outcome.queued != expect.queued {
            failures
                .push(format!("{}: {} still queued, expected {}", lesson.id, outcome.queued, expect.queued));
        }
        let codes: Vec<u16> = timeline
            .steps
            .iter()
            .filter_map(|s| s.code.filter(|_| s.kind == smtp_playground::timeline::StepKind::Reply))
            .collect();
        let mut wanted = expect.codes.iter().peekable();
        for code in &codes {
            if wanted.peek() == Some(&code) {
                wanted.next();
            }
        }
        if let Some(missing) = wanted.next() {
            failures.push(format!(
                "{}: reply codes {codes:?} lack {missing} in the order {:?}",
                lesson.id, expect.codes
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn runs_are_deterministic() {
    for lesson in lessons::ALL {
        let scenario = scenario::parse(lesson.source).expect("parses");
        let first = serde_json::to_string(&scenario.run()).expect("json");
        let second = serde_json::to_string(&scenario.run()).expect("json");
        assert!(first == second, "{}: two runs differ", lesson.id);
    }
}

#[test]
fn transcripts_match_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for lesson in lessons::ALL {
        let scenario = scenario::parse(lesson.source).expect("parses");
        let got = scenario.run().transcript().join("\n") + "\n";
        let path = golden_path(lesson.id);
        if update {
            std::fs::create_dir_all(format!("{}/tests/golden/lessons", env!("CARGO_MANIFEST_DIR")))
                .expect("mkdir");
            std::fs::write(&path, &got).expect("write golden");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => {
                let first = want
                    .lines()
                    .zip(got.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(want.lines().count().min(got.lines().count()));
                stale.push(format!(
                    "{}: line {} differs\n  golden: {:?}\n  now:    {:?}",
                    lesson.id,
                    first + 1,
                    want.lines().nth(first).unwrap_or("<end>"),
                    got.lines().nth(first).unwrap_or("<end>")
                ));
            }
            Err(_) => stale.push(format!("{}: no golden file {path} (run with UPDATE_GOLDEN=1)", lesson.id)),
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// The SHA-256 of every lesson's timeline as JSON, one `hex  id` line per lesson: the
/// browser test (tests/wasm.rs) checks that the wasm build produces the same timelines.
#[test]
fn timeline_digests_match_golden_file() {
    use sha2::Digest as _;
    let path = format!("{}/tests/golden/lessons/timelines.sha256", env!("CARGO_MANIFEST_DIR"));
    let mut got = String::new();
    for lesson in lessons::ALL {
        let scenario = scenario::parse(lesson.source).expect("parses");
        let json = serde_json::to_string(&scenario.run()).expect("json");
        let digest = sha2::Sha256::digest(json.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        got.push_str(&format!("{hex}  {}\n", lesson.id));
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).expect("write digests");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got, want,
        "timelines changed: check tests/golden/lessons/*.txt, then re-bless with UPDATE_GOLDEN=1"
    );
}
