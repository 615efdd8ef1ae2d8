//! The native command line: lessons, run (text and JSON), check.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::cli;

fn run(args: &[&str]) -> (String, i32) {
    cli::main(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
}

#[test]
fn lessons_lists_every_lesson_with_its_topic() {
    let (out, code) = run(&["lessons"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), smtp_playground::scenario::lessons::ALL.len());
    assert!(out.lines().any(|l| l.starts_with("telnet-session")
        && l.contains("Basics")
        && l.contains("Talking SMTP by hand")));
}

#[test]
fn run_prints_named_lanes_and_the_conversation() {
    let (out, code) = run(&["run", "mx-relay", "--no-color"]);
    assert_eq!(code, 0);
    assert!(out.contains("lane smtp.example.com"), "{out}");
    assert!(
        out.contains("laptop.example.com → smtp.example.com") && out.contains("C: EHLO laptop.example.com")
    );
    assert!(out.contains("-- DNS query: MX records of example.net?"));
    assert!(out.contains("delivered: bob@example.net (1 message)"));
    assert!(!out.contains('\x1b'), "--no-color has no escape codes");
    let (colored, _) = run(&["run", "mx-relay"]);
    assert!(colored.contains("\x1b[32mS: 250"), "2xx replies are green");
}

#[test]
fn run_json_is_the_timeline() {
    let (out, code) = run(&["run", "retries-exhausted", "--json"]);
    assert_eq!(code, 0);
    let timeline: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert!(timeline["steps"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(timeline["outcome"]["dsns"][0], "failed: bob@example.net (5.4.7)");
}

#[test]
fn check_reports_a_located_error_and_exit_code() {
    let dir = std::env::temp_dir().join(format!("smtp-playground-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "title = \"t\"\ndescription = \"d\"\n[[host]]\nname = \"a\"\nrole = \"server\"\nip = \"1.2.3.4\"\n",
    )
    .expect("write");
    let (out, code) = run(&["check", bad.to_str().unwrap_or_default()]);
    assert_eq!(code, 1);
    assert!(out.contains(":5:8: role \"server\": expected client"), "{out}");
    let (out, code) = run(&["check", "telnet-session"]);
    assert_eq!((code, out.starts_with("ok: Talking SMTP by hand")), (0, true), "{out}");
    let (out, code) = run(&["run", "no-such-lesson"]);
    assert_eq!(code, 1);
    assert!(out.contains("no lesson has that id"));
    assert_eq!(run(&["frobnicate"]).1, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn run_transcript_prints_the_timeline_transcript_as_lines_or_json() {
    let timeline = smtp_playground::scenario::parse(
        smtp_playground::scenario::lessons::get("smtp-smuggling").expect("lesson").source,
    )
    .expect("parses")
    .run();
    let (json, code) = run(&["run", "smtp-smuggling", "--transcript", "--json"]);
    assert_eq!(code, 0);
    let lines: Vec<String> = serde_json::from_str(&json).expect("a JSON array of lines");
    assert_eq!(lines, timeline.transcript());
    assert!(lines.iter().any(|l| l.contains('\n')), "a bare LF stays inside its line");
    let (text, _) = run(&["run", "smtp-smuggling", "--transcript"]);
    assert_eq!(text, lines.iter().map(|l| format!("{l}\n")).collect::<String>());
}
