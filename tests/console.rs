//! The console: lines typed at a server of a lesson's world, run through the world again,
//! with the typed session in the lanes and transcript and what the server accepted going
//! on through the world. Hostile input never panics.
#![cfg(not(target_arch = "wasm32"))]

use base64::Engine;
use proptest::prelude::*;
use smtp_playground::scenario::console::{
    CONSOLE_LANE, advertised_extensions, completions, console_scenario, console_servers,
};
use smtp_playground::scenario::{self, lessons};
use smtp_playground::timeline::{StepKind, Timeline};

fn lesson(id: &str) -> &'static str {
    lessons::get(id).unwrap_or_else(|| panic!("no lesson {id}")).source
}

fn lines(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| (*l).to_owned()).collect()
}

fn console_codes(timeline: &Timeline) -> Vec<u16> {
    timeline
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Reply && &*s.to == CONSOLE_LANE)
        .filter_map(|s| s.code)
        .collect()
}

#[test]
fn a_session_typed_line_by_line_with_data_and_an_error() {
    let typed = lines(&[
        "EHLO me.example.org",
        "MAIL FROM:<you@example.org>",
        "RCPT TO:<nobody@example.net>",
        "RCPT TO:<bob@example.net>",
        "DATA",
        "From: you@example.org",
        "Subject: typed by hand",
        "",
        "Hello from the console.",
        "..a line that starts with a dot",
        ".",
        "QUIT",
        "NOOP",
    ]);
    let scenario =
        console_scenario(lesson("mx-relay"), "mx.example.net", &typed).expect("a console scenario");
    let timeline = scenario.run();
    let lane = timeline.lanes.iter().find(|l| l.name == CONSOLE_LANE).expect("the console's lane");
    assert_eq!(lane.ip.as_deref(), Some("192.0.2.254"));
    assert_eq!(console_codes(&timeline), [220, 250, 250, 550, 250, 354, 250, 221]);
    // The message typed line by line is one step: the content crosses as one idea.
    let data: Vec<_> =
        timeline.steps.iter().filter(|s| s.kind == StepKind::Data && &*s.from == CONSOLE_LANE).collect();
    assert_eq!(data.len(), 1, "one data step");
    assert_eq!(
        data[0].wire.as_deref(),
        Some(
            "From: you@example.org\r\nSubject: typed by hand\r\n\r\nHello from the console.\r\n\
             ..a line that starts with a dot\r\n.\r\n"
        )
    );
    assert_eq!(data[0].summary, "The message: 2 header fields, 2 body lines and the final dot (110 octets)");
    assert!(data[0].explanation.contains("dot-stuffing"), "{}", data[0].explanation);
    let transcript = timeline.transcript().join("\n");
    assert!(
        transcript.contains("you (console) → mx.example.net  C: RCPT TO:<nobody@example.net>"),
        "{transcript}"
    );
    assert!(
        timeline
            .steps
            .iter()
            .any(|s| s.summary == "1 typed line not sent: mx.example.net has closed the connection")
    );
    assert!(!transcript.contains("C: NOOP"), "the line after QUIT is not sent");
    assert!(timeline.steps.iter().any(|s| s.kind == StepKind::TcpClose && &*s.from == CONSOLE_LANE));
    // The lesson's own message and the typed one.
    assert_eq!(timeline.outcome.delivered.get("bob@example.net"), Some(&2));
    let end = timeline.final_snapshot();
    let stored = end.mailboxes["mx.example.net"]["bob@example.net"]
        .iter()
        .find(|m| m.data.contains("Subject: typed by hand"))
        .expect("the typed message in Bob's mailbox");
    assert!(stored.data.contains("\r\n.a line that starts with a dot\r\n"), "dot-unstuffed: {}", stored.data);
    assert_eq!(stored.reverse_path, "<you@example.org>");
}

#[test]
fn what_the_submission_server_accepts_is_relayed_on() {
    let plain = base64::engine::general_purpose::STANDARD.encode("\0alice\0correct horse battery staple");
    let typed = lines(&[
        "EHLO me.example.org",
        "STARTTLS",
        "EHLO me.example.org",
        &format!("AUTH PLAIN {plain}"),
        "MAIL FROM:<alice@example.com>",
        "RCPT TO:<bob@example.net>",
        "DATA",
        "Subject: relayed from the console",
        "",
        "Hi Bob",
        ".",
        "QUIT",
    ]);
    let source = lesson("submission-auth");
    let scenario = console_scenario(source, "smtp.example.com", &typed).unwrap();
    let timeline = scenario.run();
    assert_eq!(console_codes(&timeline), [220, 250, 220, 250, 235, 250, 250, 354, 250, 221]);
    assert!(timeline.steps.iter().any(|s| s.kind == StepKind::TlsHandshake && &*s.from == CONSOLE_LANE));
    // The submission server relays it to the MX, through DNS.
    let relayed = timeline
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Data && &*s.from == "smtp.example.com")
        .filter(|s| s.wire.as_deref().is_some_and(|w| w.contains("relayed from the console")))
        .count();
    assert_eq!(relayed, 1);
    assert_eq!(timeline.outcome.delivered.get("bob@example.net"), Some(&2));

    // Tab completion from the session's own (second) EHLO reply.
    let advertised = advertised_extensions(&timeline, CONSOLE_LANE);
    assert!(advertised.iter().any(|a| a == "AUTH PLAIN LOGIN"), "{advertised:?}");
    assert!(
        !advertised.iter().any(|a| a == "STARTTLS"),
        "after TLS STARTTLS is no longer offered: {advertised:?}"
    );
    let before_tls = advertised_extensions(
        &console_scenario(source, "smtp.example.com", &typed[..1]).unwrap().run(),
        CONSOLE_LANE,
    );
    assert!(before_tls.iter().any(|a| a == "STARTTLS"), "{before_tls:?}");
    assert!(
        completions("MAIL FROM:<alice@example.com> ", &advertised)
            .contains(&"MAIL FROM:<alice@example.com> SIZE=".to_owned())
    );
    assert_eq!(completions("AUTH L", &advertised), ["AUTH LOGIN"]);
    assert!(advertised_extensions(&timeline, "nobody").is_empty());
}

#[test]
fn completions_follow_the_advertised_extensions() {
    let all = lines(&["PIPELINING", "SIZE 10240000", "8BITMIME", "SMTPUTF8", "DSN", "AUTH PLAIN LOGIN"]);
    assert_eq!(completions("MA", &[]), ["MAIL FROM:<"]);
    assert_eq!(completions("r", &[]), ["RCPT TO:<", "RSET"]);
    assert_eq!(completions("E", &[]), ["EHLO", "EXPN"]);
    assert_eq!(completions("XYZ", &[]), Vec::<String>::new());
    assert_eq!(
        completions("MAIL FROM:<a@b.example> ", &all),
        [
            "MAIL FROM:<a@b.example> SIZE=",
            "MAIL FROM:<a@b.example> BODY=8BITMIME",
            "MAIL FROM:<a@b.example> BODY=7BIT",
            "MAIL FROM:<a@b.example> SMTPUTF8",
            "MAIL FROM:<a@b.example> RET=FULL",
            "MAIL FROM:<a@b.example> RET=HDRS",
            "MAIL FROM:<a@b.example> ENVID=",
            "MAIL FROM:<a@b.example> AUTH=<>",
        ]
    );
    assert_eq!(
        completions("MAIL FROM:<a@b.example> SIZE=10 b", &all),
        ["MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME", "MAIL FROM:<a@b.example> SIZE=10 BODY=7BIT"]
    );
    assert_eq!(
        completions("MAIL FROM:<a@b.example> SIZE=10 S", &all),
        ["MAIL FROM:<a@b.example> SIZE=10 SMTPUTF8"]
    );
    assert_eq!(
        completions("RCPT TO:<c@d.example> N", &all),
        [
            "RCPT TO:<c@d.example> NOTIFY=",
            "RCPT TO:<c@d.example> NOTIFY=SUCCESS,FAILURE",
            "RCPT TO:<c@d.example> NOTIFY=NEVER"
        ]
    );
    // Without the extensions, nothing to offer; inside the path, nothing either.
    assert!(completions("MAIL FROM:<a@b.example> ", &[]).is_empty());
    assert!(completions("RCPT TO:<c@d.example> ", &lines(&["SIZE 10"])).is_empty());
    assert!(completions("MAIL FROM:<a@b", &all).is_empty());
    assert!(completions("EHLO x", &all).is_empty());
}

#[test]
fn hostile_lines_never_panic_and_get_smtp_answers() {
    let long = "X".repeat(10 * 1024);
    let typed = vec![
        "EHLO me\0.example".to_owned(),
        long.clone(),
        format!("MAIL FROM:<{long}@example.org>"),
        "\u{7}\u{1b}[31mRSET".to_owned(),
        "NOOP\rNOOP".to_owned(),
        "NOOP\nNOOP".to_owned(),
        String::new(),
        "é".repeat(300),
        "QUIT".to_owned(),
    ];
    let timeline = console_scenario(lesson("mx-relay"), "mx.example.net", &typed).unwrap().run();
    let too_long = timeline
        .steps
        .iter()
        .filter(|s| &*s.to == CONSOLE_LANE)
        .filter(|s| s.wire.as_deref().is_some_and(|w| w.starts_with("500 5.5.0 Error: line too long")))
        .count();
    assert!(too_long >= 2, "both 10 KB lines get 500 5.5.0");
    assert!(!timeline.outcome.truncated);
    let codes = console_codes(&timeline);
    assert_eq!(codes.first(), Some(&220));
    assert!(codes.iter().all(|c| (200..600).contains(c)));
}

#[test]
fn bad_requests_get_errors() {
    let source = lesson("mx-relay");
    let servers = console_servers(&scenario::parse(source).unwrap());
    assert_eq!(servers, ["smtp.example.com", "mx.example.net"]);
    let error = console_scenario(source, "nowhere", &[]).unwrap_err();
    assert!(error.message.contains("the SMTP servers are: smtp.example.com, mx.example.net"), "{error}");
    let error = console_scenario(source, "laptop.example.com", &[]).unwrap_err();
    assert!(error.message.contains("runs no SMTP server"), "{error}");
    let many = vec!["NOOP".to_owned(); 401];
    assert!(
        console_scenario(source, "mx.example.net", &many).unwrap_err().message.contains("too many lines")
    );
    assert!(console_scenario("not toml", "mx", &[]).is_err());
    // An empty session connects, is greeted and waits.
    let timeline = console_scenario(source, "MX.example.net", &[]).unwrap().run();
    assert_eq!(console_codes(&timeline), [220]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_typed_lines_run_without_panic(typed in proptest::collection::vec(
        prop_oneof![
            any::<String>(),
            "(EHLO|HELO|MAIL FROM:|RCPT TO:|DATA|RSET|NOOP|QUIT|STARTTLS|AUTH PLAIN|BDAT|\\.)[ -~]{0,40}",
        ],
        0..14,
    )) {
        let timeline = console_scenario(lesson("mx-relay"), "mx.example.net", &typed).unwrap().run();
        let advertised = advertised_extensions(&timeline, CONSOLE_LANE);
        for line in &typed {
            let _ = completions(line, &advertised);
        }
    }
}
