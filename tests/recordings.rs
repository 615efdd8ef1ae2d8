//! Recordings (issue 17): `serve --record DIR` and `send --record FILE` write each real
//! session as a timeline the player opens. Real clients we did not write (swaks, Python's
//! smtplib) talk to `serve`; the recording must show the lines the terminal transcript
//! shows, explain them with the simulator's words, mask every AUTH secret, and replay as a
//! scenario. Hostile sessions (smuggling, overlong lines, binary bytes, a line cut off)
//! must give recordings that open.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/peers.rs"]
#[allow(dead_code)]
mod peers;
#[path = "support/recordings.rs"]
mod recordings;
#[path = "support/serve.rs"]
mod serve;
#[path = "support/temp_dir.rs"]
mod temp_dir;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serve::{BIN, Serve};
use smtp_playground::proto::data::LinePolicy;
use smtp_playground::scenario::played::Played;
use smtp_playground::scenario::recording::{self, MASK, Recorder, Recording, Side};
use smtp_playground::timeline::StepKind;
use temp_dir::TempDir;

const PASSWORD: &str = "correct horse battery staple";

/// `serve` recording into a directory of its own, printing every line.
fn recording_serve(name: &str) -> (Serve, TempDir) {
    let dir = TempDir::new(&format!("{name}-recordings"));
    let dir_arg = dir.0.display().to_string();
    let server = Serve::start_with(name, &["--record", &dir_arg, "--log", "transcript"]);
    (server, dir)
}

/// The recordings in `dir`, oldest session first, each checked as the player checks it.
fn recordings(dir: &Path) -> Vec<(PathBuf, Played)> {
    recordings::read(dir, "session-").into_iter().map(|(path, _, played)| (path, played)).collect()
}

/// The wire lines of a transcript (`C: …`, `S: …`, TLS marked `~`), without time and route.
fn wire_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    lines
        .filter_map(|line| {
            ["  C: ", "  S: ", "  ~C: ", "  ~S: "]
                .iter()
                .find_map(|marker| line.find(marker).map(|i| line[i + 2..].trim_end().to_owned()))
        })
        .collect()
}

/// Every check a player makes before it plays a recording, and the replay scenario runs.
fn assert_opens(played: &Played) {
    recording::check(played).unwrap_or_else(|e| panic!("{}: {e}", played.title));
    assert!(played.recording.is_some(), "{} says it is a recording", played.title);
    let json = serde_json::to_string(played).expect("serialize");
    let back: Played = serde_json::from_str(&json).expect("read back");
    assert_eq!(&back, played);
    if !played.source.is_empty() {
        let scenario = smtp_playground::scenario::parse(&played.source).unwrap_or_else(|e| {
            panic!("the replay of {} does not load: {e}\n{}", played.title, played.source)
        });
        let timeline = scenario.run();
        assert!(
            timeline.steps.iter().any(|s| &*s.from == "client.recorded.example"),
            "the replay types the recorded client's lines"
        );
    }
}

/// swaks against `server`, which must succeed; what it printed.
fn swaks(server: &Serve, args: &[&str]) -> String {
    let (ok, out) = serve::swaks(server, args);
    assert!(ok, "{out}");
    out
}

#[test]
fn a_swaks_session_recorded_by_serve_shows_the_lines_of_the_terminal_transcript() {
    let (server, dir) = recording_serve("rec-swaks");
    swaks(
        &server,
        &["--to", "bob@example.net,carol@example.net", "--pipeline", "--body", "Hello from swaks.\n.dotted"],
    );
    let (_, log) = server.stop();
    let found = recordings(&dir.0);
    let [(path, played)] = found.as_slice() else { panic!("one recording: {found:?}") };
    assert_opens(played);
    assert!(log.contains(&format!("recorded in {}", path.display())), "{log}");
    // The same lines, in the same order, as serve printed for the session.
    let terminal = wire_lines(log.lines());
    let recorded = played.timeline.transcript();
    let recorded = wire_lines(recorded.iter().map(String::as_str));
    assert_eq!(recorded, terminal, "the recording's lines are the terminal transcript's");
    assert!(recorded.len() > 15, "{recorded:#?}");
    // Explained like a lesson: the pipelined replies answer their own commands.
    let steps = &played.timeline.steps;
    let summary =
        |kind: StepKind, text: &str| steps.iter().any(|s| s.kind == kind && s.summary.contains(text));
    assert!(summary(StepKind::Reply, "reply to RCPT"), "{steps:#?}");
    assert!(summary(StepKind::Reply, "reply to DATA"), "{steps:#?}");
    assert!(
        steps.iter().all(|s| s.rfc.as_deref().is_some_and(|r| r.starts_with("RFC "))),
        "every step cites its RFC"
    );
    // What serve stored is in the Mailboxes inspector, trace fields and all.
    let stored = played.timeline.final_snapshot();
    let bob = &stored.mailboxes["mx.example.net"]["bob@example.net"];
    assert_eq!(bob.len(), 1);
    assert!(bob[0].data.starts_with("Return-Path: <alice@example.com>"), "{}", bob[0].data);
    assert!(bob[0].data.contains("Hello from swaks."));
    assert_eq!(played.timeline.outcome.delivered.len(), 2);
    let data = steps.iter().find(|s| s.kind == StepKind::Data).expect("a data step");
    assert!(data.wire.as_deref().is_some_and(|w| w.contains("\r\n..dotted\r\n") && w.ends_with("\r\n.\r\n")));
}

#[test]
fn auth_secrets_never_reach_a_recording_in_clear() {
    let (server, dir) = recording_serve("rec-auth");
    let cert = server.cert().display().to_string();
    for mechanism in ["PLAIN", "LOGIN"] {
        let out = swaks(
            &server,
            &[
                "--to",
                "bob@example.net",
                "--tls",
                "--tls-verify",
                "--tls-ca-path",
                &cert,
                "--auth",
                mechanism,
                "--auth-user",
                "alice",
                "--auth-password",
                PASSWORD,
            ],
        );
        assert!(out.contains("235 2.7.0"), "{out}");
    }
    let (_, log) = server.stop();
    let found = recordings(&dir.0);
    assert_eq!(found.len(), 2, "{log}");
    let secrets = [
        PASSWORD.to_owned(),
        BASE64.encode(PASSWORD),
        BASE64.encode(format!("\0alice\0{PASSWORD}")),
        BASE64.encode(format!("alice\0alice\0{PASSWORD}")),
    ];
    for (path, played) in &found {
        assert_opens(played);
        let file = std::fs::read_to_string(path).expect("read");
        for secret in &secrets {
            assert!(!file.contains(secret.as_str()), "{} holds {secret:?}", path.display());
        }
        assert_eq!(played.recording.as_ref().map(|r| r.masked), Some(1), "{}", path.display());
        assert!(played.description.contains("masked as ********"), "{}", played.description);
        // The masked response is still a SASL response the explanation can read.
        let steps = &played.timeline.steps;
        let masked: Vec<_> = steps
            .iter()
            .filter(|s| {
                s.wire.as_deref().is_some_and(|w| {
                    w.split_ascii_whitespace().any(|word| {
                        BASE64.decode(word).is_ok_and(|d| String::from_utf8_lossy(&d).ends_with(MASK))
                    })
                })
            })
            .collect();
        assert_eq!(masked.len(), 1, "{steps:#?}");
        assert!(masked[0].tls, "the AUTH exchange is inside TLS");
        assert!(
            masked[0].explanation.contains("it was masked when the session was recorded"),
            "{}",
            masked[0].explanation
        );
        // After the handshake, every step but the close is marked encrypted.
        let handshake = steps.iter().position(|s| s.kind == StepKind::TlsHandshake).expect("a TLS step");
        assert!(steps[handshake + 1..].iter().filter(|s| s.kind != StepKind::TcpClose).all(|s| s.tls));
        assert!(steps.iter().any(|s| s.summary.contains("alice is authenticated")), "{steps:#?}");
        // The replay's world has the users' passwords masked too, so the masked AUTH succeeds.
        assert!(played.source.contains("alice = \"********\""), "{}", played.source);
        let scenario = smtp_playground::scenario::parse(&played.source).expect("the replay loads");
        let codes: Vec<u16> = scenario.run().steps.iter().filter_map(|s| s.code).collect();
        assert!(codes.contains(&235) && !codes.contains(&535), "{codes:?}");
    }
}

#[test]
fn send_records_its_own_session() {
    let server = Serve::start("rec-send");
    let dir = TempDir::new("rec-send-file");
    let file = dir.0.join("session.json");
    let mut child = Command::new(BIN)
        .args(["send", "--no-color", "--server", &server.addr, "--from", "alice@example.com"])
        .args(["--to", "bob@example.net", "--to", "nobody@example.net", "--record"])
        .arg(&file)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start send");
    child.stdin.take().expect("stdin").write_all(b"Subject: hi\r\n\r\nHello.\r\n").expect("write");
    let output = child.wait_with_output().expect("send runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "one recipient refused:\n{stdout}");
    let json = std::fs::read_to_string(&file).expect("send wrote the recording");
    let played: Played = serde_json::from_str(&json).expect("a recording");
    assert_opens(&played);
    assert_eq!(played.recording.as_ref().map(|r| r.by.as_str()), Some("send"));
    let recorded = played.timeline.transcript();
    let recorded = wire_lines(recorded.iter().map(String::as_str));
    assert_eq!(recorded, wire_lines(stdout.lines()), "the same lines as send printed");
    let codes: Vec<u16> = played.timeline.steps.iter().filter_map(|s| s.code).collect();
    assert!(codes.contains(&550), "{codes:?}");
    let rcpt = played.timeline.steps.iter().find(|s| s.code == Some(550)).expect("the 550");
    assert!(rcpt.summary.contains("reply to RCPT"), "{}", rcpt.summary);
}

/// Sends each write to `addr`, pausing a little after each, and reads whatever comes back.
fn raw(addr: &str, writes: &[&[u8]]) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_millis(300))).expect("timeout");
    let mut buf = [0u8; 65536];
    let _ = stream.read(&mut buf);
    for write in writes {
        if stream.write_all(write).is_err() {
            break;
        }
        let _ = stream.read(&mut buf);
    }
}

#[test]
fn recordings_of_hostile_sessions_open() {
    let (server, dir) = recording_serve("rec-hostile");
    let long = vec![b'A'; 70_000];
    let overlong = [b"MAIL FROM:<".as_slice(), &long, b">\r\n"].concat();
    let sessions: Vec<Vec<&[u8]>> = vec![
        // SMTP smuggling: LF . LF inside the data, then a second MAIL in the same write.
        vec![
            b"EHLO evil.example\r\n",
            b"MAIL FROM:<a@evil.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
            b"Subject: one\r\n\r\nbody\n.\nMAIL FROM:<ceo@bank.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: two\r\n\r\n.\r\n",
            b"QUIT\r\n",
        ],
        // An overlong command line, NUL and invalid UTF-8, a bare CR.
        vec![&overlong, b"HELO \x00\xff\xfe\r\n", b"NOOP \rstill\r\n", b"QUIT\r\n"],
        // BDAT chunks with a CRLF.CRLF inside, then the connection cut in the middle of a line.
        vec![
            b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.net>\r\n",
            b"BDAT 9\r\n\r\n.\r\nabcd",
            b"BDAT 0 LAST\r\n",
            b"MAIL FROM:<unfinished",
        ],
        // STARTTLS with a command pipelined after it in plaintext, then garbage that is no
        // TLS handshake.
        vec![b"EHLO c\r\n", b"STARTTLS\r\nRSET\r\n", b"\x16\x03\x01garbage\r\n"],
        // AUTH before TLS, and a SASL exchange cancelled.
        vec![b"EHLO c\r\n", b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", b"AUTH LOGIN\r\n", b"*\r\n", b"QUIT\r\n"],
    ];
    for writes in &sessions {
        raw(&server.addr, writes);
    }
    let (_, log) = server.stop();
    let found = recordings(&dir.0);
    assert_eq!(found.len(), sessions.len(), "{log}");
    for (path, played) in &found {
        assert_opens(played);
        assert!(played.timeline.steps.len() >= 3, "{}", path.display());
        let file = std::fs::read_to_string(path).expect("read");
        assert!(!file.contains("AGFsaWNlAHNlY3JldA=="), "{}: AUTH PLAIN's secret is masked", path.display());
    }
    let smuggled = &found[0].1.timeline.steps;
    let data: Vec<_> = smuggled.iter().filter(|s| s.kind == StepKind::Data).collect();
    assert_eq!(data.len(), 1, "LF . LF does not end the data: one message, {smuggled:#?}");
    assert!(smuggled.iter().any(|s| s.code == Some(550)), "refused for its bare LF");
    let chunks = found[2].1.timeline.steps.iter().filter(|s| s.kind == StepKind::Data).count();
    assert_eq!(chunks, 3, "two BDAT chunks and the unfinished line");
}

/// What a recording made by hand in these tests says about itself: made by `by` from
/// 127.0.0.1:1 to `server`, with `masked` secrets masked.
fn info(by: &str, server: &str, masked: usize) -> Recording {
    Recording {
        by: by.into(),
        started: "now".into(),
        client: "127.0.0.1:1".into(),
        server: server.into(),
        masked,
        version: "test".into(),
    }
}

/// A session fed to the recorder by hand: pipelining, AUTH LOGIN in three steps, the
/// legacy line policy of the smuggling lesson.
#[test]
fn the_recorder_follows_pipelining_sasl_and_the_servers_line_policy() {
    let mut recorder = Recorder::new(Side::Serve, "127.0.0.1:1", "mx.legacy.example", 25, LinePolicy::Legacy);
    recorder.connected();
    recorder.reply(1, b"220 mx.legacy.example ESMTP\r\n");
    recorder.client_bytes(2, b"EHLO c\r\nAUTH LOGIN\r\n");
    recorder.reply(3, b"250 mx.legacy.example\r\n");
    recorder.reply(3, b"334 VXNlcm5hbWU6\r\n");
    recorder.client_bytes(4, b"YWxpY2U=\r\n");
    recorder.reply(5, b"334 UGFzc3dvcmQ6\r\n");
    recorder.client_bytes(6, format!("{}\r\n", BASE64.encode("hunter2")).as_bytes());
    recorder.reply(7, b"235 2.7.0 Authentication successful\r\n");
    recorder.client_bytes(8, b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    recorder.reply(9, b"250 2.1.0 Ok\r\n");
    recorder.reply(9, b"250 2.1.5 Ok\r\n");
    recorder.reply(9, b"354 go ahead\r\n");
    recorder.client_bytes(10, b"Subject: x\r\n\r\nbody\n.\nQUIT\r\n");
    recorder.reply(11, b"250 2.0.0 Ok\r\n");
    recorder.reply(11, b"221 2.0.0 Bye\r\n");
    recorder.closed(12, "closed by the server");
    assert_eq!(recorder.masked(), 1);
    let info = info("serve", "127.0.0.1:25", 1);
    let played = recorder.finish(info, None);
    recording::check(&played).expect("plays");
    let steps = &played.timeline.steps;
    let wires: Vec<&str> = steps.iter().filter_map(|s| s.wire.as_deref()).collect();
    assert!(wires.contains(&"YWxpY2U=\r\n"), "the user name is kept: {wires:#?}");
    assert!(wires.contains(&"KioqKioqKio=\r\n"), "the password is masked: {wires:#?}");
    assert!(!wires.iter().any(|w| w.contains(&BASE64.encode("hunter2"))));
    // Under the legacy policy LF . LF ends the data, and QUIT after it is a command.
    let data = steps.iter().find(|s| s.kind == StepKind::Data).expect("data");
    assert_eq!(data.wire.as_deref(), Some("Subject: x\r\n\r\nbody\n.\n"));
    assert!(steps.iter().any(|s| s.kind == StepKind::Command && s.wire.as_deref() == Some("QUIT\r\n")));
    let answers: Vec<&str> =
        steps.iter().filter(|s| s.kind == StepKind::Reply).map(|s| s.summary.as_str()).collect();
    assert!(answers.iter().any(|a| a.contains("reply to MAIL")), "{answers:#?}");
    assert!(answers.iter().any(|a| a.contains("reply to RCPT")), "{answers:#?}");
    assert!(answers.iter().any(|a| a.contains("reply to QUIT")), "{answers:#?}");
}

#[test]
fn the_player_refuses_a_recording_that_does_not_hold_together() {
    let mut recorder = Recorder::new(Side::Send, "send (127.0.0.1:1)", "127.0.0.1", 25, LinePolicy::Strict);
    recorder.connected();
    recorder.server_bytes(1, b"220 x ESMTP\r\n");
    recorder.closed(2, "closed");
    let info = info("send", "127.0.0.1:25", 0);
    let played = recorder.finish(info, None);
    recording::check(&played).expect("a short recording plays");
    let mut bad = played.clone();
    bad.timeline.steps[1].to = "nowhere".into();
    assert!(recording::check(&bad).unwrap_err().contains("not one of its lanes"));
    let mut bad = played.clone();
    bad.timeline.steps[1].changes = 3;
    assert!(recording::check(&bad).unwrap_err().contains("changes"));
    let mut bad = played;
    bad.timeline.lanes.clear();
    assert!(recording::check(&bad).is_err());
}

/// IMAP fed to the recorder by hand: a literal refused instead of continued, then the next
/// command; a LOGIN whose password is a non-synchronizing literal.
#[test]
fn the_imap_recorder_follows_literals_refused_or_not() {
    use smtp_playground::scenario::recording::ImapRecorder;
    let mut recorder = ImapRecorder::new("127.0.0.1:1", "mx.example.net", 143);
    recorder.connected();
    recorder.server_bytes(1, b"* OK [CAPABILITY IMAP4rev2 LITERAL+] ready\r\n");
    recorder.client_bytes(2, b"a LOGIN {5}\r\n");
    recorder.server_bytes(3, b"a NO [PRIVACYREQUIRED] LOGIN needs TLS\r\n");
    recorder.client_bytes(4, b"b NOOP\r\n");
    recorder.server_bytes(5, b"b OK NOOP completed\r\n");
    recorder.client_bytes(6, b"c LOGIN bob {7+}\r\nhunter2\r\n");
    recorder.server_bytes(7, b"c OK LOGIN completed\r\n");
    recorder.client_bytes(8, b"d LOGOUT\r\n");
    recorder.server_bytes(9, b"* BYE bye\r\nd OK LOGOUT completed\r\n");
    recorder.closed(10, "closed by the server");
    assert_eq!(recorder.masked(), 1);
    let info = info("serve", "127.0.0.1:143", 1);
    let played = recorder.finish(info);
    recording::check(&played).expect("plays");
    let steps = &played.timeline.steps;
    let wires: Vec<&str> = steps.iter().filter_map(|s| s.wire.as_deref()).collect();
    assert_eq!(
        wires,
        [
            "* OK [CAPABILITY IMAP4rev2 LITERAL+] ready\r\n",
            "a LOGIN {5}\r\n",
            "a NO [PRIVACYREQUIRED] LOGIN needs TLS\r\n",
            "b NOOP\r\n",
            "b OK NOOP completed\r\n",
            "c LOGIN bob {7+}\r\n*******\r\n",
            "c OK LOGIN completed\r\n",
            "d LOGOUT\r\n",
            "* BYE bye\r\nd OK LOGOUT completed\r\n",
        ]
    );
    let noop = steps.iter().find(|s| s.wire.as_deref() == Some("b NOOP\r\n")).expect("NOOP");
    assert!(noop.summary.contains("NOOP"), "a command of its own, not a literal: {}", noop.summary);
    let logout =
        steps.iter().find(|s| s.wire.as_deref().is_some_and(|w| w.starts_with("* BYE"))).expect("BYE");
    assert!(logout.summary.contains("LOGOUT"), "{}", logout.summary);
}

/// The replay scenario carries no password: the served host's users are masked, and a
/// world whose passwords cannot be masked on their line (a multi-line string) gets no replay.
#[test]
fn the_replay_scenario_masks_the_worlds_passwords_or_is_left_out() {
    let world = |password: &str| {
        format!(
            "title = \"t\"\ndescription = \"d\"\n\n[[host]]\nname = \"mx.example.net\"\nrole = \"mx\"\n\
             ip = \"192.0.2.25\"\ndomains = [\"example.net\"]\nmailboxes = [\"bob@example.net\"]\n\
             users = {{ alice = {password}, bob = 'hunter2' }}\nsmtp = {{ auth_mechanisms = [\"PLAIN\"] }}\n"
        )
    };
    let record = |text: &str| {
        let mut recorder =
            Recorder::new(Side::Serve, "127.0.0.1:1", "mx.example.net", 25, LinePolicy::Strict);
        recorder.connected();
        recorder.reply(1, b"220 mx.example.net ESMTP\r\n");
        recorder.client_bytes(2, b"QUIT\r\n");
        recorder.reply(3, b"221 2.0.0 Bye\r\n");
        recorder.closed(4, "closed by the server");
        recorder.finish(info("serve", "127.0.0.1:25", 0), Some((text, "mx.example.net")))
    };
    let plain = world("\"s3cret \\\" quoted\"");
    assert!(smtp_playground::scenario::parse(&plain).is_ok(), "the world loads");
    let played = record(&plain);
    assert!(!played.source.contains("s3cret") && !played.source.contains("hunter2"), "{}", played.source);
    assert!(
        played.source.contains("users = { alice = \"********\", bob = \"********\" }"),
        "{}",
        played.source
    );
    assert_opens(&played);
    let multi = world("\"\"\"s3cret\"\"\"");
    assert!(smtp_playground::scenario::parse(&multi).is_ok(), "the world loads");
    let played = record(&multi);
    assert_eq!(played.source, "", "no replay rather than a password");
    recording::check(&played).expect("the recording itself still plays");
}

/// A session longer than a recording keeps ends with one step that says how much was left out.
#[test]
fn a_long_session_is_cut_with_a_step_that_says_so() {
    let mut recorder = Recorder::new(Side::Serve, "127.0.0.1:1", "mx.example.net", 25, LinePolicy::Strict);
    recorder.connected();
    recorder.reply(0, b"220 mx.example.net ESMTP\r\n");
    for at in 1..=3_000 {
        recorder.client_bytes(at, b"NOOP\r\n");
        recorder.reply(at, b"250 2.0.0 Ok\r\n");
    }
    recorder.closed(3_001, "closed by the client");
    let played = recorder.finish(info("serve", "127.0.0.1:25", 0), None);
    recording::check(&played).expect("plays");
    let steps = &played.timeline.steps;
    assert_eq!(steps.len(), recording::MAX_RECORDED_STEPS + 1);
    let last = steps.last().expect("a last step");
    // 2 + 6,000 + 1 steps made, 5,000 kept.
    assert_eq!(last.summary, "1003 more steps were left out of this recording");
    assert_eq!(last.kind, StepKind::Note);
}
