//! Exports of a lesson's client side: golden outputs for a few lessons; quoting checked by
//! bash itself; and the exports run by swaks and Python against aiosmtpd (a real server we
//! did not write, tests/interop/aiosmtpd_peer.py; all installed by `scripts/setup.sh test`),
//! where the message must arrive byte for byte.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/peers.rs"]
mod peers;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use peers::{Aiosmtpd, python, root};
use smtp_playground::scenario::export::{
    delivered_eml, python_str, shell_quote, smtplib_script, swaks_command, transcript_text,
};
use smtp_playground::scenario::{self, lessons};

fn lesson(id: &str) -> scenario::Scenario {
    scenario::parse(lessons::get(id).expect("lesson").source).expect("parses")
}

fn check_golden(name: &str, got: &str) {
    let path = root().join("tests/golden/exports").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 makes it)", path.display()));
    assert!(got == want, "{name} differs from its golden file:\n{got}");
}

#[test]
fn golden_exports_of_lessons() {
    for id in ["mx-relay", "submission-auth", "dsn-notify"] {
        let scenario = lesson(id);
        check_golden(&format!("{id}.swaks.sh"), &swaks_command(&scenario, 0, None));
        check_golden(&format!("{id}.smtplib.py"), &smtplib_script(&scenario, 0, Some("127.0.0.1:2525")));
    }
    let scenario = lesson("mx-relay");
    assert_eq!(swaks_command(&scenario, 1, None), "# This scenario has no [[send]] number 2.\n");
    assert_eq!(smtplib_script(&scenario, 7, None), "# This scenario has no [[send]] number 8.\n");
}

#[test]
fn the_transcript_text_is_the_lesson_transcript() {
    let golden = std::fs::read_to_string(root().join("tests/golden/lessons/mx-relay.txt")).expect("golden");
    assert_eq!(transcript_text(&lesson("mx-relay").run()), golden);
}

#[test]
fn a_delivered_message_as_an_eml_file() {
    let timeline = lesson("mx-relay").run();
    let eml = delivered_eml(&timeline, "Bob@example.net", 0).expect("Bob's message");
    assert!(eml.starts_with("Return-Path: <alice@example.com>\r\nReceived: from smtp.example.com"), "{eml}");
    assert_eq!(
        eml.matches("\r\nReceived: ").count() + usize::from(eml.starts_with("Received: ")),
        2,
        "{eml}"
    );
    assert!(eml.ends_with("Hi Bob, are you free for lunch on Friday?\r\nAlice\r\n"), "{eml}");
    assert!(!eml.replace("\r\n", "").contains('\n'), "CRLF line ends only");
    assert_eq!(delivered_eml(&timeline, "bob@example.net", 1), None);
    assert_eq!(delivered_eml(&timeline, "nobody@example.net", 0), None);
    assert_eq!(delivered_eml(&Default::default(), "bob@example.net", 0), None);
}

/// A scenario whose message and addresses hold everything a shell or Python could trip on.
const TRICKY: &str = r#"title = "Quotes 'n' $things"
description = "d"

[[host]]
name = "pc.example.org"
role = "client"
ip = "192.0.2.1"

[[host]]
name = "mx.example.org"
role = "mx"
ip = "192.0.2.2"
domains = ["example.org"]
smtp = { starttls = true, auth_mechanisms = ["PLAIN", "LOGIN"], auth_requires_tls = true }

[[send]]
from = "pc.example.org"
to = "mx.example.org"
tls = "required"
user = "alice"
password = "correct horse battery staple"
mail_from = "alice@example.org"
rcpt_to = ["bob@example.org", "\"it's $HOME `id`\"@example.org"]
message = """
From: Alice <alice@example.org>
To: Bob <bob@example.org>
Subject: it's $(rm -rf /) and `id` and %DATE% and \\n
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

'single' "double" \\backslash $HOME ${X} !! \t tab
.a leading dot
..two dots
.
Grüße, 日本 😀
"""
"#;

fn tricky() -> scenario::Scenario {
    scenario::parse(TRICKY).expect("the tricky scenario parses")
}

/// The message as the scenario sends it (CRLF line ends).
fn tricky_message() -> Vec<u8> {
    match &tricky().world.actions[0] {
        smtp_playground::sim::Action::Send { message, .. } => message.clone(),
        _ => unreachable!(),
    }
}

#[test]
fn bash_reads_the_swaks_command_as_written() {
    let command = swaks_command(&tricky(), 0, Some("127.0.0.1:2525"));
    // A stand-in swaks that prints its arguments, then its standard input.
    let script = format!(
        "swaks() {{ for a in \"$@\"; do printf '%s\\0' \"$a\"; done; printf 'STDIN\\0'; cat; }}\n{command}"
    );
    let output = Command::new("bash").arg("-c").arg(&script).output().expect("bash runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let out = output.stdout;
    let split = out.windows(6).position(|w| w == b"STDIN\0").expect("stdin marker");
    let args: Vec<String> = out[..split]
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let stdin = &out[split + 6..];
    assert_eq!(
        args,
        [
            "--server",
            "127.0.0.1:2525",
            "--helo",
            "pc.example.org",
            "--from",
            "alice@example.org",
            "--to",
            "bob@example.org,\"it's $HOME `id`\"@example.org",
            "--tls",
            "--auth",
            "PLAIN,LOGIN",
            "--auth-user",
            "alice",
            "--auth-password",
            "correct horse battery staple",
            "--pipeline",
            "--data",
            "-",
            "--no-data-fixup",
        ]
    );
    let mut want = Vec::new();
    for line in tricky_message().split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b".") {
            want.push(b'.');
        }
        want.extend_from_slice(line);
    }
    want.push(b'.');
    assert_eq!(String::from_utf8_lossy(stdin), String::from_utf8_lossy(&want));
}

#[test]
fn shell_and_python_quoting_survive_their_interpreters() {
    let nasty =
        ["", "'", "\"", "$HOME", "`id`", "$(id)", "a\nb", "back\\slash", "\t\r\u{1}", "日本😀", "'\"'\"'"];
    for text in nasty {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("printf '%s' {}", shell_quote(text)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), text, "shell {text:?}");
    }
    let python = python();
    let program: String = nasty
        .iter()
        .map(|t| format!("sys.stdout.buffer.write({}.encode('utf-8') + b'\\0')\n", python_str(t)))
        .collect();
    let out =
        Command::new(&python).arg("-c").arg(format!("import sys\n{program}")).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<String> =
        out.stdout.split(|&b| b == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
    assert_eq!(&got[..nasty.len()], nasty);
}

// ---------------------------------------------------------------------------------------
// The exports against aiosmtpd.

fn run_with_deadline(mut command: Command) -> std::process::Output {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{command:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn assert_arrived(record: &serde_json::Value) {
    assert_eq!(record["mail_from"], "alice@example.org");
    assert_eq!(record["rcpt_tos"], serde_json::json!(["bob@example.org", "\"it's $HOME `id`\"@example.org"]));
    assert_eq!(record["tls"], true, "STARTTLS was used");
    assert_eq!(record["authenticated"], true, "AUTH was used");
    let content =
        base64::engine::general_purpose::STANDARD.decode(record["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&content),
        String::from_utf8_lossy(&tricky_message()),
        "byte for byte"
    );
}

#[test]
fn the_swaks_export_delivers_to_aiosmtpd() {
    let mut peer = Aiosmtpd::start();
    let command = swaks_command(&tricky(), 0, Some(&peer.addr));
    let mut bash = Command::new("bash");
    bash.arg("-c").arg(&command);
    let output = run_with_deadline(bash);
    assert!(
        output.status.success(),
        "swaks failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_arrived(&peer.next_record());
}

#[test]
fn the_smtplib_export_delivers_to_aiosmtpd() {
    let python = python();
    let mut peer = Aiosmtpd::start();
    let script = smtplib_script(&tricky(), 0, Some(&peer.addr));
    let path = std::env::temp_dir().join(format!("smtp-playground-export-{}.py", std::process::id()));
    std::fs::File::create(&path).and_then(|mut f| f.write_all(script.as_bytes())).expect("write the script");
    let mut run = Command::new(&python);
    run.arg(&path);
    let output = run_with_deadline(run);
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("RCPT \"it's $HOME `id`\"@example.org 250"), "{stdout}");
    let record = peer.next_record();
    assert_arrived(&record);
    assert_eq!(record["mail_options"], serde_json::json!(["BODY=8BITMIME"]));
}
