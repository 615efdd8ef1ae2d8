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
