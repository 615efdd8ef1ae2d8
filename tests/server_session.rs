//! Behaviour of the sans-IO server session, as C:/S: transcripts (RFC 5321 Appendix D
//! notation) with the events the session emits (`E:`), plus hostile-input property tests.
//!
//! A script is read top to bottom: consecutive `C:` lines are sent in one
//! `handle_input` call (a pipelined group), each followed by CRLF; the `S:` lines after
//! them are the reply lines the server must answer, in order, each matched as a prefix of
//! the wire line that must include the reply code and the enhanced status code, if any;
//! `E:` lines are the events (all but `CommandReceived`). A script that lists no `E:`
//! line does not check events.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use smtp_playground::engine::{
    AcceptAll, Envelope, MailPolicy, MailboxState, Policy, ServerConfig, ServerEvent, ServerSession,
    SessionInfo, Verdict,
};
use smtp_playground::proto::{
    Body, ForwardPath, Mechanism, Notify, RcptParameters, Reply, ReplyCode, ReversePath,
    data::LinePolicy,
    params::{AuthParam, Ret},
    reply::reply,
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Every reply line the server has queued, as on the wire without CRLF.
fn poll_lines(server: &mut ServerSession) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(reply) = server.poll_reply() {
        let wire = reply.to_bytes();
        assert_wire_is_a_reply(&wire);
        lines.extend(String::from_utf8_lossy(&wire).split_terminator("\r\n").map(str::to_owned));
    }
    lines
}

/// Every reply the server has queued.
fn poll_replies(server: &mut ServerSession) -> Vec<Reply> {
    std::iter::from_fn(|| server.poll_reply()).collect()
}

fn poll_events(server: &mut ServerSession) -> Vec<ServerEvent> {
    std::iter::from_fn(|| server.poll_event()).collect()
}

/// A reply's wire form parses back to the same reply, and no line is over 512 octets
/// (RFC 5321 §4.5.3.1.5).
fn assert_wire_is_a_reply(wire: &[u8]) {
    let (rest, parsed) = reply(wire).unwrap_or_else(|e| panic!("{:?}: {e:?}", String::from_utf8_lossy(wire)));
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(wire));
    assert_eq!(parsed.to_bytes(), wire);
    for line in wire.split_inclusive(|&b| b == b'\n') {
        assert!(line.len() <= 512, "reply line of {} octets", line.len());
    }
}

/// An event in the short form the scripts use; `None` for `CommandReceived`.
fn describe(event: &ServerEvent) -> Option<String> {
    Some(match event {
        ServerEvent::CommandReceived(_) => return None,
        ServerEvent::Greeted { host, esmtp } => {
            format!("Greeted {} {host}", if *esmtp { "EHLO" } else { "HELO" })
        }
        ServerEvent::StartTlsAccepted => "StartTlsAccepted".into(),
        ServerEvent::PipelinedInputDiscarded { octets } => format!("PipelinedInputDiscarded {octets}"),
        ServerEvent::ImproperPipelining { after } => format!("ImproperPipelining after {after}"),
        ServerEvent::Authenticated { mechanism, user } => format!("Authenticated {mechanism} {user}"),
        ServerEvent::AuthenticationFailed { mechanism } => format!("AuthenticationFailed {mechanism}"),
        ServerEvent::SenderAccepted(path) => format!("SenderAccepted {path}"),
        ServerEvent::SenderRejected { path, reply } => format!("SenderRejected {path} {}", reply.code),
        ServerEvent::RecipientAccepted(path) => format!("RecipientAccepted {path}"),
        ServerEvent::RecipientRejected { path, reply } => format!("RecipientRejected {path} {}", reply.code),
        ServerEvent::MessageAccepted(message) => format!("MessageAccepted {} octets", message.data.len()),
        ServerEvent::MessageRejected { reply } => format!("MessageRejected {}", reply.code),
        ServerEvent::TransactionReset => "TransactionReset".into(),
        ServerEvent::Closed(reason) => format!("Closed {reason:?}"),
    })
}

/// Whether `actual` (a wire line) matches the script's `expected`: a prefix that covers
/// at least the code, and the enhanced status code when the line carries one.
fn line_matches(actual: &str, expected: &str) -> bool {
    let mut words = actual.splitn(2, [' ', '-']);
    let code = words.next().unwrap_or_default();
    let enhanced = words.next().and_then(|rest| rest.split(' ').next()).filter(|w| {
        w.split('.').count() == 3
            && w.split('.').all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    let required = match enhanced {
        Some(e) => actual[..code.len() + 1 + e.len()].to_owned(),
        None => code.to_owned(),
    };
    actual.starts_with(expected) && expected.starts_with(&required)
}

/// What a script run left behind, for further checks.
struct Run {
    server: ServerSession,
    /// Every event, `CommandReceived` included.
    events: Vec<ServerEvent>,
}

impl Run {
    fn accepted(&self) -> Vec<&smtp_playground::engine::ReceivedMessage> {
        self.events
            .iter()
            .filter_map(|e| if let ServerEvent::MessageAccepted(m) = e { Some(&**m) } else { None })
            .collect()
    }
}

/// Runs `script` (see the module comment) against a new server.
fn run(config: ServerConfig, policy: &mut dyn Policy, script: &str) -> Run {
    let mut server = ServerSession::new(config, None);
    let events = continue_run(&mut server, policy, script);
    Run { server, events }
}

/// Runs `script` against an existing session; returns the events.
fn continue_run(server: &mut ServerSession, policy: &mut dyn Policy, script: &str) -> Vec<ServerEvent> {
    let lines: Vec<&str> = script.lines().map(str::trim_start).filter(|l| !l.is_empty()).collect();
    let check_events = lines.iter().any(|l| l.starts_with("E:"));
    let mut all_events = Vec::new();
    let mut i = 0;
    let mut step = 0;
    while i <= lines.len() {
        // A group of client lines (none before the greeting) ...
        let mut input = Vec::new();
        while let Some(line) = lines.get(i).and_then(|l| l.strip_prefix("C:")) {
            input.extend_from_slice(line.strip_prefix(' ').unwrap_or(line).as_bytes());
            input.extend_from_slice(b"\r\n");
            i += 1;
        }
        if !input.is_empty() {
            server.handle_input(&input, policy);
        }
        // ... then the server's replies and events.
        let mut want_replies = Vec::new();
        let mut want_events = Vec::new();
        while let Some(line) = lines.get(i).filter(|l| !l.starts_with("C:")) {
            if let Some(reply) = line.strip_prefix("S:") {
                want_replies.push(reply.trim_start());
            } else if let Some(event) = line.strip_prefix("E:") {
                want_events.push(event.trim_start());
            } else {
                panic!("script line {line:?} is not C:, S: or E:");
            }
            i += 1;
        }
        let got = poll_lines(server);
        let context = || format!("step {step} after {:?}", String::from_utf8_lossy(&input));
        assert_eq!(got.len(), want_replies.len(), "{}: replies {got:#?}, want {want_replies:#?}", context());
        for (got, want) in got.iter().zip(&want_replies) {
            assert!(line_matches(got, want), "{}: got {got:?}, want {want:?}", context());
        }
        let events = poll_events(server);
        if check_events {
            let got: Vec<String> = events.iter().filter_map(describe).collect();
            assert_eq!(got, want_events, "{}: events", context());
        }
        all_events.extend(events);
        step += 1;
        if i == lines.len() {
            break;
        }
    }
    all_events
}

fn config() -> ServerConfig {
    ServerConfig::default()
}

/// The EHLO reply of the default configuration.
const EHLO_DEFAULT: &str = "
    S: 250-mx.example.net
    S: 250-PIPELINING
    S: 250-SIZE 10240000
    S: 250-ENHANCEDSTATUSCODES
    S: 250-8BITMIME
    S: 250-DSN
    S: 250-SMTPUTF8
    S: 250 CHUNKING";

/// Greeting and EHLO with the default configuration, as a script prefix.
fn hello() -> String {
    format!("S: 220 mx.example.net ESMTP smtp-playground\nC: EHLO client.example\n{EHLO_DEFAULT}\n")
}

/// A server past the greeting and EHLO, with its replies and events drained.
fn greeted(config: ServerConfig) -> ServerSession {
    let mut server = ServerSession::new(config, None);
    server.handle_input(b"EHLO client.example\r\n", &mut AcceptAll);
    poll_replies(&mut server);
    poll_events(&mut server);
    server
}

/// Feeds bytes and returns each reply as `code enhanced` (or just `code`).
fn codes(server: &mut ServerSession, policy: &mut dyn Policy, bytes: &[u8]) -> Vec<String> {
    server.handle_input(bytes, policy);
    poll_replies(server).iter().map(code_of).collect()
}

fn code_of(reply: &Reply) -> String {
    match reply.enhanced {
        Some(e) => format!("{} {e}", reply.code),
        None => reply.code.to_string(),
    }
}

fn b64(bytes: &[u8]) -> String {
    smtp_playground::proto::sasl::encode(bytes)
}

fn users() -> MailPolicy {
    MailPolicy { users: [("alice".to_owned(), "s3cret".to_owned())].into(), ..MailPolicy::default() }
}

/// The session's whole state, printed: the only view of its buffers a test has, used to
/// check that hostile input cannot make it grow.
fn footprint(server: &ServerSession) -> usize {
    format!("{server:?}").len()
}

// ---------------------------------------------------------------------------------------
// Greeting, EHLO/HELO, QUIT
// ---------------------------------------------------------------------------------------

#[test]
fn greeting_then_quit_closes_and_ignores_later_input() {
    let mut run = run(
        config(),
        &mut AcceptAll,
        "S: 220 mx.example.net ESMTP smtp-playground
         C: QUIT
         S: 221 2.0.0 Bye
         E: Closed Quit",
    );
    assert!(run.server.is_closed());
    run.server.handle_input(b"NOOP\r\nEHLO x.example\r\n", &mut AcceptAll);
    assert!(poll_replies(&mut run.server).is_empty());
    assert!(poll_events(&mut run.server).is_empty());
}

#[test]
fn ehlo_lists_capabilities_and_helo_does_not() {
    run(
        config(),
        &mut AcceptAll,
        &format!(
            "{}E: Greeted EHLO client.example
             C: HELO client.example
             S: 250 mx.example.net
             E: Greeted HELO client.example",
            hello()
        ),
    );
}

#[test]
fn capability_lists_follow_the_configuration() {
    let all_off = ServerConfig {
        pipelining: false,
        eight_bit_mime: false,
        smtputf8: false,
        dsn: false,
        enhanced_status_codes: false,
        chunking: false,
        max_message_size: 0,
        ..config()
    };
    let tls_and_auth = ServerConfig {
        starttls: true,
        auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login],
        ..config()
    };
    let cases: &[(&str, ServerConfig, &[&str])] = &[
        // SIZE without a number: no fixed limit (RFC 1870 §4).
        ("everything off", all_off, &["250-mx.example.net", "250 SIZE"]),
        (
            "STARTTLS and AUTH offered in plaintext",
            tls_and_auth,
            &[
                "250-mx.example.net",
                "250-PIPELINING",
                "250-SIZE 10240000",
                "250-STARTTLS",
                "250-AUTH PLAIN LOGIN",
                "250-ENHANCEDSTATUSCODES",
                "250-8BITMIME",
                "250-DSN",
                "250-SMTPUTF8",
                "250 CHUNKING",
            ],
        ),
    ];
    for (name, config, want) in cases {
        let mut server = ServerSession::new(config.clone(), None);
        poll_replies(&mut server);
        server.handle_input(b"EHLO client.example\r\n", &mut AcceptAll);
        assert_eq!(poll_lines(&mut server), *want, "{name}");
    }
}

#[test]
fn starttls_disappears_after_tls_and_auth_appears_only_under_tls() {
    let config = ServerConfig {
        starttls: true,
        auth_mechanisms: vec![Mechanism::Plain],
        auth_requires_tls: true,
        ..config()
    };
    run(
        config,
        &mut users(),
        "S: 220
         C: EHLO client.example
         S: 250-mx.example.net
         S: 250-PIPELINING
         S: 250-SIZE 10240000
         S: 250-STARTTLS
         S: 250-ENHANCEDSTATUSCODES
         S: 250-8BITMIME
         S: 250-DSN
         S: 250-SMTPUTF8
         S: 250 CHUNKING
         C: AUTH PLAIN AGFsaWNlAHMzY3JldA==
         S: 538 5.7.11 Encryption required for requested authentication mechanism
         C: STARTTLS
         S: 220 2.0.0 Ready to start TLS
         C: EHLO client.example
         S: 250-mx.example.net
         S: 250-PIPELINING
         S: 250-SIZE 10240000
         S: 250-AUTH PLAIN
         S: 250-ENHANCEDSTATUSCODES
         S: 250-8BITMIME
         S: 250-DSN
         S: 250-SMTPUTF8
         S: 250 CHUNKING
         C: AUTH PLAIN AGFsaWNlAHMzY3JldA==
         S: 235 2.7.0 Authentication successful",
    );
}

// ---------------------------------------------------------------------------------------
// Command order and syntax
// ---------------------------------------------------------------------------------------

/// (name, script): each is its own session from the greeting on.
const SEQUENCING: &[(&str, &str)] = &[
    (
        "MAIL before EHLO",
        "C: MAIL FROM:<a@example.com>
         S: 503 5.5.1 Error: send HELO/EHLO first",
    ),
    (
        "RCPT before MAIL",
        "C: EHLO client.example
         S: 250-mx.example.net
         S: 250-PIPELINING
         S: 250-SIZE
         S: 250-ENHANCEDSTATUSCODES
         S: 250-8BITMIME
         S: 250-DSN
         S: 250-SMTPUTF8
         S: 250 CHUNKING
         C: RCPT TO:<b@example.net>
         S: 503 5.5.1 Error: need MAIL command",
    ),
    (
        "RCPT before EHLO",
        "C: RCPT TO:<b@example.net>
         S: 503 5.5.1 Error: need MAIL command",
    ),
    (
        "DATA before MAIL",
        "C: HELO client.example
         S: 250 mx.example.net
         C: DATA
         S: 503 5.5.1 Error: need MAIL command",
    ),
    (
        "DATA before RCPT",
        "C: HELO client.example
         S: 250 mx.example.net
         C: MAIL FROM:<a@example.com>
         S: 250 2.1.0 Ok
         C: DATA
         S: 503 5.5.1 Error: need RCPT command",
    ),
    (
        "nested MAIL",
        "C: HELO client.example
         S: 250 mx.example.net
         C: MAIL FROM:<a@example.com>
         S: 250 2.1.0 Ok
         C: MAIL FROM:<a@example.com>
         S: 503 5.5.1 Error: nested MAIL command",
    ),
    (
        "BDAT before MAIL (its octets are still read)",
        "C: EHLO client.example
         S: 250-mx.example.net
         S: 250-PIPELINING
         S: 250-SIZE
         S: 250-ENHANCEDSTATUSCODES
         S: 250-8BITMIME
         S: 250-DSN
         S: 250-SMTPUTF8
         S: 250 CHUNKING
         C: BDAT 6 LAST
         C: NOOP
         S: 503 5.5.1 Error: need MAIL command
         C: NOOP
         S: 250 2.0.0 Ok",
    ),
    (
        // RFC 5321 §4.1.4: these may be used before EHLO.
        "NOOP, RSET, VRFY, EXPN and HELP before EHLO",
        "C: NOOP
         S: 250 2.0.0 Ok
         C: RSET
         S: 250 2.0.0 Ok
         C: VRFY postmaster
         S: 252 2.5.0 Cannot VRFY
         C: EXPN staff
         S: 502 5.5.1 Error: EXPN is disabled
         C: HELP
         S: 214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET VRFY EXPN HELP NOOP QUIT
         S: 214 2.0.0 See RFC 5321
         C: NOOP hello there
         S: 250 2.0.0 Ok",
    ),
    (
        "unknown verb, then the session goes on",
        "C: FROB
         S: 500 5.5.2 Error: command not recognized
         C: MAIL
         S: 501 5.1.7 Bad sender address syntax
         C: HELO
         S: 501 5.5.4 Syntax: HELO domain (HELO)
         C: EHLO
         S: 501 5.5.4
         C: QUIT now
         S: 501 5.5.4
         C: HELO client.example
         S: 250 mx.example.net",
    ),
];

#[test]
fn command_order_is_enforced() {
    for (name, script) in SEQUENCING {
        // SIZE without number here: the scripts use a limit of 0.
        let config = ServerConfig { max_message_size: 0, ..config() };
        let full = format!("S: 220 mx.example.net ESMTP smtp-playground\n{script}");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(config, &mut AcceptAll, &full);
        }));
        assert!(result.is_ok(), "case {name:?} failed");
    }
}

/// (name, configuration change, MAIL or RCPT line after a valid MAIL, expected reply).
type ParamCase = (&'static str, fn(&mut ServerConfig), &'static str, &'static str);

const PARAMETERS: &[ParamCase] = &[
    ("bad MAIL syntax", |_| {}, "MAIL FROM:a@example.com", "501 5.1.7 Bad sender address syntax"),
    ("bad RCPT syntax", |_| {}, "RCPT TO:<b@-bad.example>", "501 5.1.3 Bad recipient address syntax"),
    ("RCPT without brackets", |_| {}, "RCPT TO:b@example.net", "501 5.1.3"),
    (
        "duplicate MAIL parameter",
        |_| {},
        "MAIL FROM:<a@example.com> RET=FULL RET=HDRS",
        "501 5.5.4 Bad parameter",
    ),
    ("malformed SIZE", |_| {}, "MAIL FROM:<a@example.com> SIZE=big", "501 5.5.4"),
    ("duplicate RCPT parameter", |_| {}, "RCPT TO:<b@example.net> NOTIFY=NEVER NOTIFY=NEVER", "501 5.5.4"),
    (
        "unknown MAIL parameter",
        |_| {},
        "MAIL FROM:<a@example.com> X-FROB=1",
        "555 5.5.4 Unsupported option: X-FROB",
    ),
    (
        "unknown RCPT parameter",
        |_| {},
        "RCPT TO:<b@example.net> X-FROB",
        "555 5.5.4 Unsupported option: X-FROB",
    ),
    (
        "BODY=8BITMIME not offered",
        |c| c.eight_bit_mime = false,
        "MAIL FROM:<a@example.com> BODY=8BITMIME",
        "555 5.5.4 Unsupported option: BODY=8BITMIME",
    ),
    ("BODY=BINARYMIME never offered", |_| {}, "MAIL FROM:<a@example.com> BODY=BINARYMIME", "555 5.5.4"),
    ("SMTPUTF8 not offered", |c| c.smtputf8 = false, "MAIL FROM:<a@example.com> SMTPUTF8", "555 5.5.4"),
    ("RET without DSN", |c| c.dsn = false, "MAIL FROM:<a@example.com> RET=HDRS", "555 5.5.4"),
    ("NOTIFY without DSN", |c| c.dsn = false, "RCPT TO:<b@example.net> NOTIFY=NEVER", "555 5.5.4"),
    ("AUTH= without AUTH", |_| {}, "MAIL FROM:<a@example.com> AUTH=<>", "555 5.5.4"),
    (
        "UTF-8 sender without SMTPUTF8",
        |_| {},
        "MAIL FROM:<用户@例え.jp>",
        "553 5.6.7 Sender address has non-ASCII characters: MAIL needs the SMTPUTF8 parameter",
    ),
    ("UTF-8 recipient without SMTPUTF8", |_| {}, "RCPT TO:<用户@例え.jp>", "553 5.6.7"),
    (
        "SIZE over the limit",
        |c| c.max_message_size = 1000,
        "MAIL FROM:<a@example.com> SIZE=1001",
        "552 5.3.4 Message size exceeds fixed limit",
    ),
    ("SIZE at the limit", |c| c.max_message_size = 1000, "MAIL FROM:<a@example.com> SIZE=1000", "250 2.1.0"),
    ("UTF-8 sender with SMTPUTF8", |_| {}, "MAIL FROM:<用户@例え.jp> SMTPUTF8", "250 2.1.0"),
    ("source route is accepted", |_| {}, "RCPT TO:<@relay.example:b@example.net>", "250 2.1.5"),
    ("<Postmaster>", |_| {}, "RCPT TO:<Postmaster>", "250 2.1.5"),
];

#[test]
fn mail_and_rcpt_parameters_are_checked() {
    for (name, change, line, want) in PARAMETERS {
        let mut config = config();
        change(&mut config);
        let mut server = greeted(config);
        let mut input = String::new();
        if line.starts_with("RCPT") {
            input.push_str("MAIL FROM:<a@example.com>\r\n");
        }
        input.push_str(line);
        input.push_str("\r\n");
        server.handle_input(input.as_bytes(), &mut AcceptAll);
        let lines = poll_lines(&mut server);
        let got = lines.last().cloned().unwrap_or_default();
        assert!(line_matches(&got, want), "{name}: got {got:?}, want {want:?}");
    }
}

#[test]
fn parameters_after_helo_are_refused() {
    run(
        config(),
        &mut AcceptAll,
        "S: 220
         C: HELO client.example
         S: 250 mx.example.net
         C: MAIL FROM:<a@example.com> SIZE=10
         S: 555 5.5.4 Unsupported option: SIZE
         C: MAIL FROM:<a@example.com>
         S: 250 2.1.0 Ok",
    );
}

#[test]
fn the_101st_recipient_gets_452_and_the_first_100_get_the_message() {
    let mut script = hello();
    script.push_str("C: MAIL FROM:<a@example.com>\nS: 250 2.1.0 Ok\n");
    for i in 0..100 {
        script.push_str(&format!("C: RCPT TO:<r{i}@example.net>\nS: 250 2.1.5 Ok\n"));
    }
    script.push_str("C: RCPT TO:<r100@example.net>\nS: 452 4.5.3 Error: too many recipients\n");
    script.push_str("C: DATA\nS: 354\nC: hi\nC: .\nS: 250 2.0.0 Ok: queued as\n");
    let run = run(config(), &mut AcceptAll, &script);
    let accepted = run.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].envelope.recipients.len(), 100);
}

/// RFC 5321 §4.5.3.1.10: recipients past the limit get 452 and the client sends them in a
/// later transaction. They are not the client's errors: 120 recipients must not reach the
/// 20-error limit and end the session with 421, and the first 100 get the message.
#[test]
fn recipients_past_the_limit_are_not_errors() {
    let mut script = hello();
    script.push_str("C: MAIL FROM:<a@example.com>\nS: 250 2.1.0 Ok\n");
    for i in 0..100 {
        script.push_str(&format!("C: RCPT TO:<r{i}@example.net>\nS: 250 2.1.5 Ok\n"));
    }
    for i in 100..130 {
        script.push_str(&format!("C: RCPT TO:<r{i}@example.net>\nS: 452 4.5.3 Error: too many recipients\n"));
    }
    script.push_str("C: DATA\nS: 354\nC: hi\nC: .\nS: 250 2.0.0 Ok: queued as\n");
    // Other errors still count: 20 unknown commands end the session.
    for _ in 0..19 {
        script.push_str("C: FOO\nS: 500 5.5.2\n");
    }
    script.push_str("C: FOO\nS: 500 5.5.2\nS: 421 4.7.0 Error: too many errors\n");
    let run = run(config(), &mut AcceptAll, &script);
    let accepted = run.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].envelope.recipients.len(), 100);
}

/// With storage confirmation (what `serve` uses) the reply to the data waits for the
/// owner's word: 250 only once the message is stored, `451 4.3.0` when it could not be
/// (RFC 5321 §6.1: the 250 takes responsibility). Pipelined input waits meanwhile, and a
/// failed write is not the client's error.
#[test]
fn the_reply_to_the_data_waits_for_storage() {
    for stored in [true, false] {
        let mut server = ServerSession::new(config(), None).with_storage_confirmation();
        let mut policy = AcceptAll;
        server.handle_input(b"EHLO client.example\r\n", &mut policy);
        poll_lines(&mut server);
        let input = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n";
        server.handle_input(input, &mut policy);
        assert_eq!(poll_lines(&mut server).len(), 3);
        server.handle_input(b"Subject: x\r\n\r\nhi\r\n.\r\nNOOP\r\n", &mut policy);
        assert_eq!(poll_lines(&mut server), Vec::<String>::new(), "no reply before storage");
        assert_eq!(server.awaiting_storage().map(|m| m.data.len()), Some(18));
        let events = poll_events(&mut server);
        assert!(!events.iter().any(|e| matches!(e, ServerEvent::MessageAccepted(_))), "{events:?}");

        server.handle_storage(stored, &mut policy);
        let lines = poll_lines(&mut server);
        let events = poll_events(&mut server);
        assert!(server.awaiting_storage().is_none());
        if stored {
            assert!(lines[0].starts_with("250 2.0.0 Ok: queued as "), "{lines:?}");
            assert!(
                matches!(&events[0], ServerEvent::MessageAccepted(m) if m.data.len() == 18),
                "{events:?}"
            );
        } else {
            assert_eq!(lines[0], "451 4.3.0 Error: queue file write error");
            assert!(matches!(&events[0], ServerEvent::MessageRejected { reply } if reply.code.get() == 451));
            assert!(!events.iter().any(|e| matches!(e, ServerEvent::MessageAccepted(_))), "{events:?}");
        }
        // The pipelined NOOP is answered after the data's reply.
        assert_eq!(lines[1], "250 2.0.0 Ok");
        assert_eq!(lines.len(), 2);
        // A storage answer when nothing waits changes nothing.
        server.handle_storage(true, &mut policy);
        assert!(poll_lines(&mut server).is_empty());
    }
    // 25 failed writes in one session: each 451, no 421 (not the client's errors).
    let mut server = greeted(config()).with_storage_confirmation();
    for _ in 0..25 {
        let input = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nhi\r\n.\r\n";
        server.handle_input(input, &mut AcceptAll);
        server.handle_storage(false, &mut AcceptAll);
        let lines = poll_lines(&mut server);
        assert_eq!(lines.last().map(String::as_str), Some("451 4.3.0 Error: queue file write error"));
    }
    assert!(!server.is_closed());
    // BDAT LAST waits the same way.
    let mut server = greeted(config()).with_storage_confirmation();
    server.handle_input(
        b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nBDAT 4 LAST\r\nhi\r\n",
        &mut AcceptAll,
    );
    assert_eq!(poll_lines(&mut server).len(), 2);
    assert!(server.awaiting_storage().is_some());
    server.handle_storage(true, &mut AcceptAll);
    assert!(poll_lines(&mut server)[0].starts_with("250 2.0.0 Ok: queued as "));
}

// ---------------------------------------------------------------------------------------
// Line limits and line ends
// ---------------------------------------------------------------------------------------

#[test]
fn command_lines_are_limited_to_512_octets() {
    // 512 octets (RFC 5321 §4.5.3.1.4), plus 26 for SIZE, which is always offered.
    let bare = ServerConfig { dsn: false, smtputf8: false, ..config() };
    assert_eq!(ServerSession::new(bare.clone(), None).command_line_limit(), 538);
    // With DSN a line of 1036 octets must fit (RFC 3461 §5.4), and AUTH= adds 500.
    assert_eq!(ServerSession::new(config(), None).command_line_limit(), 1072);
    let auth = ServerConfig { auth_mechanisms: vec![Mechanism::Plain], ..config() };
    assert_eq!(ServerSession::new(auth, None).command_line_limit(), 1572);

    // "NOOP " + text + CRLF: the limit is allowed, one more octet is not.
    let at_limit = format!("NOOP {}\r\n", "x".repeat(538 - 7));
    let over = format!("NOOP {}\r\n", "x".repeat(538 - 6));
    assert_eq!(at_limit.len(), 538);
    let mut server = greeted(bare.clone());
    assert_eq!(codes(&mut server, &mut AcceptAll, at_limit.as_bytes()), ["250 2.0.0"]);
    let input = format!("{over}MAIL FROM:<a@example.com>\r\n");
    assert_eq!(codes(&mut server, &mut AcceptAll, input.as_bytes()), ["500 5.5.0", "250 2.1.0"]);

    // The same over-long line in many small pieces, then the next command: one 500, and
    // the session goes on where the line ends.
    for piece in [1, 7, 100, 511, 512, 513] {
        let mut server = greeted(bare.clone());
        let long = format!("MAIL FROM:<{}@example.com>\r\nRCPT TO:<b@example.net>\r\n", "y".repeat(5000));
        let mut replies = Vec::new();
        for chunk in long.as_bytes().chunks(piece) {
            replies.extend(codes(&mut server, &mut AcceptAll, chunk));
            assert!(footprint(&server) < 8 * 1024, "piece {piece}: {} bytes", footprint(&server));
        }
        assert_eq!(replies, ["500 5.5.0", "503 5.5.1"], "piece {piece}");
        assert_eq!(codes(&mut server, &mut AcceptAll, b"MAIL FROM:<a@example.com>\r\n"), ["250 2.1.0"]);
    }
}

#[test]
fn a_long_line_without_end_keeps_memory_bounded() {
    let mut server = greeted(config());
    let before = footprint(&server);
    let mut replies = Vec::new();
    for _ in 0..1024 {
        replies.extend(codes(&mut server, &mut AcceptAll, &[b'z'; 1024]));
    }
    assert_eq!(replies, ["500 5.5.0"]);
    assert!(footprint(&server) < before + 4 * 1024, "{} bytes", footprint(&server));
    assert_eq!(codes(&mut server, &mut AcceptAll, b"\r\nNOOP\r\n"), ["250 2.0.0"]);
}

#[test]
fn command_lines_ending_in_bare_lf() {
    let mut strict = greeted(config());
    assert_eq!(codes(&mut strict, &mut AcceptAll, b"NOOP\n"), ["500 5.5.2"]);
    assert_eq!(codes(&mut strict, &mut AcceptAll, b"NOOP\r\n"), ["250 2.0.0"]);
    let mut legacy = greeted(ServerConfig { line_policy: LinePolicy::Legacy, ..config() });
    assert_eq!(
        codes(&mut legacy, &mut AcceptAll, b"NOOP\nMAIL FROM:<a@example.com>\n"),
        ["250 2.0.0", "250 2.1.0"]
    );
}

/// A server in DATA, after MAIL, one RCPT and 354.
fn in_data(config: ServerConfig) -> ServerSession {
    let mut server = greeted(config);
    let replies = codes(
        &mut server,
        &mut AcceptAll,
        b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
    );
    assert_eq!(replies, ["250 2.1.0", "250 2.1.5", "354"]);
    assert!(server.in_data());
    poll_events(&mut server);
    server
}

#[test]
fn text_lines_are_limited_to_1000_octets_not_counting_the_transparency_dot() {
    let cases: &[(&str, String, &str)] = &[
        ("998 + CRLF", format!("{}\r\n.\r\n", "a".repeat(998)), "250 2.0.0"),
        ("999 + CRLF", format!("{}\r\n.\r\n", "a".repeat(999)), "500 5.5.0"),
        // RFC 5321 §4.5.3.1.6: the doubled leading dot does not count.
        ("stuffed dot + 998 + CRLF", format!(".{}\r\n.\r\n", ".".repeat(998)), "250 2.0.0"),
        ("stuffed dot + 999 + CRLF", format!(".{}\r\n.\r\n", ".".repeat(999)), "500 5.5.0"),
        ("10 000 octets", format!("{}\r\n.\r\n", "a".repeat(10_000)), "500 5.5.0"),
    ];
    for (name, data, want) in cases {
        let mut server = in_data(config());
        assert_eq!(codes(&mut server, &mut AcceptAll, data.as_bytes()), [*want], "{name}");
        let events = poll_events(&mut server);
        let accepted = events.iter().any(|e| matches!(e, ServerEvent::MessageAccepted(_)));
        assert_eq!(accepted, want.starts_with("250"), "{name}");
        assert_eq!(codes(&mut server, &mut AcceptAll, b"NOOP\r\n"), ["250 2.0.0"], "{name}");
    }
}

#[test]
fn data_over_the_size_limit_is_refused_with_bounded_memory() {
    let mut server = in_data(ServerConfig { max_message_size: 1000, ..config() });
    let before = footprint(&server);
    let line = [&[b'x'; 98][..], b"\r\n"].concat();
    for _ in 0..10_000 {
        server.handle_input(&line, &mut AcceptAll);
        assert!(poll_replies(&mut server).is_empty());
    }
    assert!(footprint(&server) < before + 8 * 1024, "{} bytes", footprint(&server));
    assert_eq!(codes(&mut server, &mut AcceptAll, b".\r\n"), ["552 5.3.4"]);
    let events: Vec<_> = poll_events(&mut server).iter().filter_map(describe).collect();
    assert_eq!(events, ["MessageRejected 552"]);
    // The transaction is over; the session is not.
    assert_eq!(codes(&mut server, &mut AcceptAll, b"RCPT TO:<b@example.net>\r\n"), ["503 5.5.1"]);
}

#[test]
fn data_at_the_size_limit_is_accepted() {
    let mut server = in_data(ServerConfig { max_message_size: 100, ..config() });
    let data = format!("{}\r\n.\r\n", "x".repeat(98));
    assert_eq!(codes(&mut server, &mut AcceptAll, data.as_bytes()), ["250 2.0.0"]);
}

#[test]
fn bare_line_ends_in_data() {
    let cases: &[(&[u8], &str)] =
        &[(b"a\nb\r\n.\r\n", "550 5.5.2"), (b"a\rb\r\n.\r\n", "550 5.5.2"), (b"a\r\n\r\n.\r\n", "250 2.0.0")];
    for (data, want) in cases {
        let mut server = in_data(config());
        assert_eq!(codes(&mut server, &mut AcceptAll, data), [*want], "{:?}", String::from_utf8_lossy(data));
        let mut legacy = in_data(ServerConfig { line_policy: LinePolicy::Legacy, ..config() });
        assert_eq!(codes(&mut legacy, &mut AcceptAll, data), ["250 2.0.0"]);
    }
}

/// The SEC Consult SMTP smuggling sequences (CVE-2023-51764/51765/51766): a fake end of
/// data followed by a whole second transaction inside the first message.
#[test]
fn smuggled_transactions_are_never_accepted_under_strict() {
    for fake_end in [&b"\n.\n"[..], b"\n.\r\n", b"\r\n.\n", b"\r\n\n.\n", b"\r\n\n.\r\n"] {
        let mut wire = b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n".to_vec();
        wire.extend_from_slice(b"From: alice@example.com\r\n\r\nhello");
        wire.extend_from_slice(fake_end);
        wire.extend_from_slice(
            b"MAIL FROM:<admin@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n\
              From: admin@example.com\r\n\r\nsmuggled\r\n.\r\n",
        );
        let count = |policy: LinePolicy, split: usize| {
            let mut server = greeted(ServerConfig { line_policy: policy, ..config() });
            for chunk in wire.chunks(split) {
                server.handle_input(chunk, &mut AcceptAll);
            }
            poll_replies(&mut server);
            poll_events(&mut server).iter().filter(|e| matches!(e, ServerEvent::MessageAccepted(_))).count()
        };
        for split in [1, 2, 3, 5, wire.len()] {
            let shown = String::from_utf8_lossy(fake_end);
            assert_eq!(count(LinePolicy::Strict, split), 0, "strict, {shown:?}, pieces of {split}");
            assert_eq!(count(LinePolicy::Legacy, split), 2, "legacy, {shown:?}, pieces of {split}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// PIPELINING (RFC 2920)
// ---------------------------------------------------------------------------------------

/// A whole pipelined transaction after EHLO, message and QUIT included.
const PIPELINED: &[u8] = b"MAIL FROM:<alice@example.com> SIZE=30\r\nRCPT TO:<bob@example.net>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n\
Subject: hi\r\n\r\n..dot\r\nbye\r\n.\r\nQUIT\r\n";

fn feed_in_pieces(input: &[u8], splits: &[usize]) -> (Vec<String>, Vec<ServerEvent>) {
    let mut server = greeted(config());
    let mut replies = Vec::new();
    let mut last = 0;
    for &at in splits.iter().chain([&input.len()]) {
        server.handle_input(&input[last..at], &mut AcceptAll);
        replies.extend(poll_lines(&mut server));
        last = at;
    }
    (replies, poll_events(&mut server))
}

#[test]
fn a_pipelined_group_is_answered_in_order() {
    let script = format!(
        "{}E: Greeted EHLO client.example
         C: MAIL FROM:<alice@example.com>
         C: RCPT TO:<bob@example.net>
         C: RCPT TO:<carol@example.net>
         C: DATA
         S: 250 2.1.0 Ok
         S: 250 2.1.5 Ok
         S: 250 2.1.5 Ok
         S: 354 End data with <CR><LF>.<CR><LF>
         E: SenderAccepted <alice@example.com>
         E: RecipientAccepted <bob@example.net>
         E: RecipientAccepted <carol@example.net>
         C: hi
         C: .
         C: QUIT
         S: 250 2.0.0 Ok: queued as
         S: 221 2.0.0 Bye
         E: MessageAccepted 4 octets
         E: Closed Quit",
        hello()
    );
    run(config(), &mut AcceptAll, &script);
}

#[test]
fn input_split_at_every_byte_gives_the_same_replies_and_events() {
    let whole = feed_in_pieces(PIPELINED, &[]);
    assert_eq!(whole.0.last().map(String::as_str), Some("221 2.0.0 Bye"));
    assert!(whole.1.iter().any(|e| matches!(e, ServerEvent::MessageAccepted(_))));
    for split in 1..PIPELINED.len() {
        assert_eq!(feed_in_pieces(PIPELINED, &[split]), whole, "split at {split}");
    }
    let every_byte: Vec<usize> = (1..PIPELINED.len()).collect();
    assert_eq!(feed_in_pieces(PIPELINED, &every_byte), whole);
}

#[test]
fn improper_pipelining_is_reported() {
    // EHLO must end a group (RFC 2920 §3.1).
    run(
        config(),
        &mut AcceptAll,
        "S: 220
         C: EHLO client.example
         C: NOOP
         S: 250-mx.example.net
         S: 250-PIPELINING
         S: 250-SIZE 10240000
         S: 250-ENHANCEDSTATUSCODES
         S: 250-8BITMIME
         S: 250-DSN
         S: 250-SMTPUTF8
         S: 250 CHUNKING
         S: 250 2.0.0 Ok
         E: Greeted EHLO client.example
         E: ImproperPipelining after EHLO",
    );
    // Without PIPELINING even MAIL must wait for its reply.
    run(
        ServerConfig { pipelining: false, ..config() },
        &mut AcceptAll,
        "S: 220
         C: HELO client.example
         S: 250 mx.example.net
         E: Greeted HELO client.example
         C: MAIL FROM:<a@example.com>
         C: RCPT TO:<b@example.net>
         S: 250 2.1.0 Ok
         S: 250 2.1.5 Ok
         E: SenderAccepted <a@example.com>
         E: ImproperPipelining after MAIL
         E: RecipientAccepted <b@example.net>",
    );
}

// ---------------------------------------------------------------------------------------
// STARTTLS (RFC 3207)
// ---------------------------------------------------------------------------------------

#[test]
fn starttls_discards_pipelined_plaintext_and_resets_the_session() {
    let config = ServerConfig { starttls: true, ..config() };
    let mut server = greeted(config);
    // CVE-2011-0411: commands injected after STARTTLS in the same read.
    let injected = b"MAIL FROM:<mallory@example.com>\r\n";
    server.handle_input(&[&b"STARTTLS\r\n"[..], injected].concat(), &mut AcceptAll);
    assert_eq!(poll_lines(&mut server), ["220 2.0.0 Ready to start TLS"]);
    let events: Vec<String> = poll_events(&mut server).iter().filter_map(describe).collect();
    assert_eq!(events, [format!("PipelinedInputDiscarded {}", injected.len()), "StartTlsAccepted".into()]);
    assert!(server.info().tls);
    assert_eq!(server.info().helo, None);
    continue_run(
        &mut server,
        &mut AcceptAll,
        "C: MAIL FROM:<a@example.com>
         S: 503 5.5.1 Error: send HELO/EHLO first
         C: STARTTLS
         S: 503 5.5.1 Error: TLS already active
         C: EHLO client.example
         S: 250-mx.example.net
         S: 250-PIPELINING
         S: 250-SIZE 10240000
         S: 250-ENHANCEDSTATUSCODES
         S: 250-8BITMIME
         S: 250-DSN
         S: 250-SMTPUTF8
         S: 250 CHUNKING
         C: MAIL FROM:<a@example.com>
         S: 250 2.1.0 Ok",
    );
}

#[test]
fn starttls_refusals() {
    run(
        config(),
        &mut AcceptAll,
        "S: 220
         C: STARTTLS
         S: 502 5.5.1 Error: command not implemented",
    );
    run(
        ServerConfig { starttls: true, ..config() },
        &mut AcceptAll,
        "S: 220
         C: STARTTLS
         S: 503 5.5.1 Error: send EHLO first
         C: HELO client.example
         S: 250 mx.example.net
         C: MAIL FROM:<a@example.com>
         S: 250 2.1.0
         C: STARTTLS
         S: 503 5.5.1 Error: MAIL transaction in progress
         C: RSET
         S: 250 2.0.0
         C: STARTTLS
         S: 220 2.0.0",
    );
}

// ---------------------------------------------------------------------------------------
// AUTH (RFC 4954)
// ---------------------------------------------------------------------------------------

fn auth_config() -> ServerConfig {
    ServerConfig { auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login], ..config() }
}

/// A server with AUTH PLAIN LOGIN, after EHLO.
fn auth_script(body: &str) -> String {
    format!(
        "S: 220
         C: EHLO client.example
         S: 250-mx.example.net
         S: 250-PIPELINING
         S: 250-SIZE 10240000
         S: 250-AUTH PLAIN LOGIN
         S: 250-ENHANCEDSTATUSCODES
         S: 250-8BITMIME
         S: 250-DSN
         S: 250-SMTPUTF8
         S: 250 CHUNKING
         E: Greeted EHLO client.example
         {body}"
    )
}

#[test]
fn auth_exchanges() {
    let plain = b64(b"\0alice\0s3cret");
    let wrong = b64(b"\0alice\0guess");
    let cases: Vec<(&str, String)> = vec![
        (
            "PLAIN with an initial response",
            format!(
                "C: AUTH PLAIN {plain}
                 S: 235 2.7.0 Authentication successful
                 E: Authenticated PLAIN alice
                 C: AUTH PLAIN {plain}
                 S: 503 5.5.1 Error: already authenticated"
            ),
        ),
        (
            "PLAIN after an empty 334 challenge",
            format!(
                "C: AUTH PLAIN
                 S: 334
                 C: {plain}
                 S: 235 2.7.0
                 E: Authenticated PLAIN alice"
            ),
        ),
        (
            "LOGIN in two steps",
            format!(
                "C: AUTH LOGIN
                 S: 334 VXNlcm5hbWU6
                 C: {}
                 S: 334 UGFzc3dvcmQ6
                 C: {}
                 S: 235 2.7.0
                 E: Authenticated LOGIN alice",
                b64(b"alice"),
                b64(b"s3cret")
            ),
        ),
        (
            "LOGIN with the user name as initial response",
            format!(
                "C: AUTH LOGIN {}
                 S: 334 UGFzc3dvcmQ6
                 C: {}
                 S: 235 2.7.0
                 E: Authenticated LOGIN alice",
                b64(b"alice"),
                b64(b"s3cret")
            ),
        ),
        (
            "wrong password, then the right one",
            format!(
                "C: AUTH PLAIN {wrong}
                 S: 535 5.7.8 Error: authentication failed
                 E: AuthenticationFailed PLAIN
                 C: AUTH PLAIN {plain}
                 S: 235 2.7.0
                 E: Authenticated PLAIN alice"
            ),
        ),
        (
            "an authzid other than the authcid",
            format!(
                "C: AUTH PLAIN {}
                 S: 535 5.7.8
                 E: AuthenticationFailed PLAIN",
                b64(b"root\0alice\0s3cret")
            ),
        ),
        (
            "cancelled with *",
            "C: AUTH LOGIN
             S: 334 VXNlcm5hbWU6
             C: *
             S: 501 5.7.0 Authentication aborted
             E: AuthenticationFailed LOGIN
             C: NOOP
             S: 250 2.0.0"
                .to_owned(),
        ),
        (
            "a response that is not base64",
            "C: AUTH PLAIN
             S: 334
             C: not base64!
             S: 501 5.5.2 Error: response is not base64
             E: AuthenticationFailed PLAIN
             C: NOOP
             S: 250 2.0.0"
                .to_owned(),
        ),
        (
            "an unknown mechanism",
            "C: AUTH CRAM-MD5
             S: 504 5.5.4 Unrecognized authentication type"
                .to_owned(),
        ),
        (
            "AUTH inside a transaction",
            format!(
                "C: MAIL FROM:<a@example.com>
                 S: 250 2.1.0
                 E: SenderAccepted <a@example.com>
                 C: AUTH PLAIN {plain}
                 S: 503 5.5.1 Error: MAIL transaction in progress"
            ),
        ),
    ];
    for (name, body) in cases {
        let result = std::panic::catch_unwind(|| {
            run(auth_config(), &mut users(), &auth_script(&body));
        });
        assert!(result.is_ok(), "case {name:?} failed");
    }
}

#[test]
fn auth_is_refused_before_ehlo_and_when_not_offered() {
    run(
        auth_config(),
        &mut users(),
        &format!(
            "S: 220
             C: AUTH PLAIN {}
             S: 503 5.5.1 Error: send EHLO first
             C: HELO client.example
             S: 250 mx.example.net
             C: AUTH PLAIN {0}
             S: 503 5.5.1 Error: authentication not enabled",
            b64(b"\0alice\0s3cret")
        ),
    );
}

#[test]
fn an_auth_line_over_12288_octets_fails_the_exchange_with_500_5_5_6() {
    // RFC 4954 §4: "the server fails the AUTH command with the 500 reply ... 5.5.6".
    for piece in [usize::MAX, 4096, 1000] {
        let mut server = ServerSession::new(auth_config(), None);
        server.handle_input(b"EHLO client.example\r\nAUTH PLAIN\r\n", &mut users());
        poll_replies(&mut server);
        poll_events(&mut server);
        let long = format!("{}\r\nNOOP\r\n", "A".repeat(20_000));
        let mut replies = Vec::new();
        for chunk in long.as_bytes().chunks(piece.min(long.len())) {
            replies.extend(codes(&mut server, &mut users(), chunk));
        }
        assert_eq!(replies, ["500 5.5.6", "250 2.0.0"], "pieces of {piece}");
        let events: Vec<String> = poll_events(&mut server).iter().filter_map(describe).collect();
        assert_eq!(events, ["AuthenticationFailed PLAIN"]);
    }
}

#[test]
fn a_response_of_12288_octets_is_read_as_a_response() {
    let mut server = ServerSession::new(auth_config(), None);
    server.handle_input(b"EHLO client.example\r\nAUTH PLAIN\r\n", &mut users());
    poll_replies(&mut server);
    // Not a valid PLAIN message, but a base64 line within the limit: 535, not 500.
    let response = format!("{}\r\n", "QUFB".repeat(12286 / 4));
    assert!(response.len() <= 12288);
    assert_eq!(codes(&mut server, &mut users(), response.as_bytes()), ["535 5.7.8"]);
}

#[test]
fn require_tls_and_require_auth() {
    let config = ServerConfig { require_tls: true, starttls: true, ..auth_config() };
    run(
        config,
        &mut users(),
        "S: 220
             C: HELO client.example
             S: 250 mx.example.net
             C: MAIL FROM:<a@example.com>
             S: 530 5.7.0 Must issue a STARTTLS command first
             C: EHLO client.example
             S: 250-mx.example.net
             S: 250-PIPELINING
             S: 250-SIZE 10240000
             S: 250-STARTTLS
             S: 250-AUTH PLAIN LOGIN
             S: 250-ENHANCEDSTATUSCODES
             S: 250-8BITMIME
             S: 250-DSN
             S: 250-SMTPUTF8
             S: 250 CHUNKING
             C: STARTTLS
             S: 220 2.0.0
             C: HELO client.example
             S: 250 mx.example.net
             C: MAIL FROM:<a@example.com>
             S: 250 2.1.0 Ok",
    );
    let config = ServerConfig { require_auth: true, ..auth_config() };
    run(
        config,
        &mut users(),
        &auth_script(&format!(
            "C: MAIL FROM:<a@example.com>
             S: 530 5.7.0 Authentication required
             C: AUTH PLAIN {}
             S: 235 2.7.0
             E: Authenticated PLAIN alice
             C: MAIL FROM:<a@example.com>
             S: 250 2.1.0 Ok
             E: SenderAccepted <a@example.com>",
            b64(b"\0alice\0s3cret")
        )),
    );
}

// ---------------------------------------------------------------------------------------
// MailPolicy verdicts
// ---------------------------------------------------------------------------------------

fn mail_policy() -> MailPolicy {
    MailPolicy {
        local_domains: ["example.net".to_owned()].into(),
        mailboxes: [
            ("bob@example.net".to_owned(), MailboxState::Active),
            ("full@example.net".to_owned(), MailboxState::FullTemporarily),
            ("stuffed@example.net".to_owned(), MailboxState::FullPermanently),
            ("gone@example.net".to_owned(), MailboxState::Disabled),
        ]
        .into(),
        ..MailPolicy::default()
    }
}

#[test]
fn mail_policy_verdicts() {
    let cases: &[(&str, &str)] = &[
        ("<bob@example.net>", "250 2.1.5 Ok"),
        ("<x@elsewhere.example>", "554 5.7.1 <x@elsewhere.example>: Relay access denied"),
        ("<nobody@example.net>", "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown"),
        ("<full@example.net>", "452 4.2.2 <full@example.net>: Mailbox full, try again later"),
        ("<stuffed@example.net>", "552 5.2.2 <stuffed@example.net>: Mailbox full"),
        ("<gone@example.net>", "550 5.2.1"),
    ];
    for (recipient, want) in cases {
        let mut server = greeted(config());
        let mut policy = mail_policy();
        let input = format!("MAIL FROM:<a@example.com>\r\nRCPT TO:{recipient}\r\n");
        server.handle_input(input.as_bytes(), &mut policy);
        let lines = poll_lines(&mut server);
        assert!(line_matches(&lines[1], want), "{recipient}: {:?}", lines[1]);
        let rejected =
            poll_events(&mut server).iter().any(|e| matches!(e, ServerEvent::RecipientRejected { .. }));
        assert_eq!(rejected, !want.starts_with("250"), "{recipient}");
    }
}

#[test]
fn greylisting_defers_then_accepts_after_the_delay() {
    let mut policy = MailPolicy { greylist_delay: Some(300), now: 1000, ..mail_policy() };
    let attempt = |policy: &mut MailPolicy| {
        let mut server = greeted(config());
        codes(&mut server, policy, b"MAIL FROM:<a@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
    };
    assert_eq!(attempt(&mut policy), ["250 2.1.0", "451 4.7.1", "554 5.5.1"]);
    policy.now = 1299;
    assert_eq!(attempt(&mut policy), ["250 2.1.0", "451 4.7.1", "554 5.5.1"]);
    policy.now = 1300;
    assert_eq!(attempt(&mut policy), ["250 2.1.0", "250 2.1.5", "354"]);
}

/// A policy that refuses every message at its end.
struct RefuseMessages;

impl Policy for RefuseMessages {
    fn message(&mut self, _: &SessionInfo, _: &Envelope, _: &[u8]) -> Verdict {
        let code = ReplyCode::new(554).expect("valid code");
        Verdict::Reject(Reply::with_enhanced(code, "5.7.1".parse().expect("valid"), "Spam"))
    }
}

#[test]
fn a_message_refused_by_policy_ends_the_transaction() {
    let mut server = greeted(config());
    let input = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nspam\r\n.\r\nRCPT TO:<b@example.net>\r\n";
    let replies = codes(&mut server, &mut RefuseMessages, input);
    assert_eq!(replies, ["250 2.1.0", "250 2.1.5", "354", "554 5.7.1", "503 5.5.1"]);
    let events: Vec<String> = poll_events(&mut server).iter().filter_map(describe).collect();
    assert_eq!(
        events,
        ["SenderAccepted <a@example.com>", "RecipientAccepted <b@example.net>", "MessageRejected 554"]
    );
}

// ---------------------------------------------------------------------------------------
// CHUNKING (RFC 3030)
// ---------------------------------------------------------------------------------------

#[test]
fn bdat_chunks_make_one_message() {
    let mut server = greeted(config());
    let input = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nBDAT 7\r\nhello, BDAT 7\r\nworld\r\nBDAT 0 LAST\r\n";
    let replies = codes(&mut server, &mut AcceptAll, input);
    assert_eq!(replies, ["250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0", "250 2.0.0"]);
    let events = poll_events(&mut server);
    let messages: Vec<_> = events
        .iter()
        .filter_map(|e| if let ServerEvent::MessageAccepted(m) = e { Some(m) } else { None })
        .collect();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].data, b"hello, world\r\n");
    // BDAT after BDAT LAST is a new transaction's BDAT: refused (§2), its octets read.
    assert_eq!(codes(&mut server, &mut AcceptAll, b"BDAT 3 LAST\r\nabcNOOP\r\n"), ["503 5.5.1", "250 2.0.0"]);
}

#[test]
fn bdat_in_one_last_chunk_split_anywhere() {
    let input =
        b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nBDAT 12 LAST\r\nline\r\n.dot\r\nNOOP\r\n";
    for split in 1..input.len() {
        let mut server = greeted(config());
        let mut replies = codes(&mut server, &mut AcceptAll, &input[..split]);
        replies.extend(codes(&mut server, &mut AcceptAll, &input[split..]));
        assert_eq!(replies, ["250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0"], "split at {split}");
        let events = poll_events(&mut server);
        let data = events
            .iter()
            .find_map(|e| if let ServerEvent::MessageAccepted(m) = e { Some(&m.data) } else { None });
        // BDAT data is not dot-stuffed: the dot stays.
        assert_eq!(data.map(Vec::as_slice), Some(&b"line\r\n.dot\r\n"[..]));
    }
}

#[test]
fn a_refused_bdat_is_answered_after_its_octets() {
    // RFC 3030 §2: the server "MUST accept and discard the associated message data before
    // sending the appropriate 5XX or 4XX code".
    let cases: &[(&str, ServerConfig, &[u8], &str)] = &[
        ("no recipients", config(), b"MAIL FROM:<a@example.com>\r\n", "503 5.5.1"),
        ("CHUNKING not offered", ServerConfig { chunking: false, ..config() }, b"", "502 5.5.1"),
    ];
    for (name, config, setup, want) in cases {
        let mut server = greeted(config.clone());
        codes(&mut server, &mut AcceptAll, setup);
        assert_eq!(
            codes(&mut server, &mut AcceptAll, b"BDAT 10 LAST\r\nhello"),
            Vec::<String>::new(),
            "{name}"
        );
        assert_eq!(codes(&mut server, &mut AcceptAll, b"world"), [*want], "{name}");
        assert_eq!(codes(&mut server, &mut AcceptAll, b"NOOP\r\n"), ["250 2.0.0"], "{name}");
    }
}

#[test]
fn bdat_and_data_do_not_mix() {
    let mut server = greeted(config());
    let input = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nBDAT 2\r\nhiDATA\r\nRCPT TO:<c@example.net>\r\nRSET\r\n";
    let replies = codes(&mut server, &mut AcceptAll, input);
    assert_eq!(replies, ["250 2.1.0", "250 2.1.5", "250 2.0.0", "503 5.5.1", "503 5.5.1", "250 2.0.0"]);
}

#[test]
fn bdat_over_the_size_limit() {
    let mut server = greeted(ServerConfig { max_message_size: 10, ..config() });
    let input =
        b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nBDAT 8\r\n12345678BDAT 8 LAST\r\n12345678";
    assert_eq!(
        codes(&mut server, &mut AcceptAll, input),
        ["250 2.1.0", "250 2.1.5", "250 2.0.0", "552 5.3.4"]
    );
}

// ---------------------------------------------------------------------------------------
// Errors, refusals, timeouts, resets
// ---------------------------------------------------------------------------------------

#[test]
fn twenty_errors_close_with_421() {
    let mut server = greeted(config());
    let replies = codes(&mut server, &mut AcceptAll, &b"FROB\r\n".repeat(25));
    let mut want = vec!["500 5.5.2"; 20];
    want.push("421 4.7.0");
    assert_eq!(replies, want);
    assert!(server.is_closed());
    let events: Vec<String> = poll_events(&mut server).iter().filter_map(describe).collect();
    assert_eq!(events, ["Closed TooManyErrors"]);
}

#[test]
fn the_twentieth_error_on_a_bdat_still_closes() {
    let mut server = greeted(config());
    codes(&mut server, &mut AcceptAll, &b"FROB\r\n".repeat(19));
    let replies = codes(&mut server, &mut AcceptAll, b"BDAT 3 LAST\r\nabcNOOP\r\n");
    assert_eq!(replies, ["503 5.5.1", "421 4.7.0"]);
    assert!(server.is_closed());
}

#[test]
fn refused_with_554_answers_503_until_quit() {
    let refusal = Reply::with_enhanced(
        ReplyCode::new(554).expect("valid"),
        "5.3.2".parse().expect("valid"),
        "mx.example.net No SMTP service here",
    );
    run(
        ServerConfig { refuse_with: Some(refusal), ..config() },
        &mut AcceptAll,
        "S: 554 5.3.2 mx.example.net No SMTP service here
         C: EHLO client.example
         S: 503 5.5.1 Error: service refused, send QUIT
         C: MAIL FROM:<a@example.com>
         S: 503 5.5.1
         C: NOOP
         S: 503 5.5.1
         C: QUIT
         S: 221 2.0.0 Bye
         E: Closed Quit",
    );
}

#[test]
fn refused_with_421_closes_at_once() {
    let refusal = Reply::with_enhanced(
        ReplyCode::new(421).expect("valid"),
        "4.3.2".parse().expect("valid"),
        "mx.example.net Service shutting down",
    );
    let mut server = ServerSession::new(ServerConfig { refuse_with: Some(refusal), ..config() }, None);
    assert_eq!(poll_lines(&mut server), ["421 4.3.2 mx.example.net Service shutting down"]);
    assert!(server.is_closed());
    server.handle_input(b"EHLO client.example\r\n", &mut AcceptAll);
    assert!(poll_replies(&mut server).is_empty());
}

#[test]
fn a_timeout_closes_with_421_4_4_2() {
    for state in [&b""[..], b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\npartial"] {
        let mut server = greeted(config());
        codes(&mut server, &mut AcceptAll, state);
        poll_events(&mut server);
        server.handle_timeout();
        assert_eq!(poll_lines(&mut server), ["421 4.4.2 mx.example.net Error: timeout exceeded"]);
        assert!(server.is_closed());
        let events: Vec<String> = poll_events(&mut server).iter().filter_map(describe).collect();
        assert_eq!(events, ["Closed Timeout"]);
        server.handle_timeout();
        assert!(poll_replies(&mut server).is_empty());
    }
}

#[test]
fn rset_and_ehlo_reset_the_transaction() {
    run(
        config(),
        &mut AcceptAll,
        &format!(
            "{}E: Greeted EHLO client.example
             C: RSET
             S: 250 2.0.0 Ok
             C: MAIL FROM:<a@example.com>
             C: RCPT TO:<b@example.net>
             C: RSET
             S: 250 2.1.0
             S: 250 2.1.5
             S: 250 2.0.0
             E: SenderAccepted <a@example.com>
             E: RecipientAccepted <b@example.net>
             E: TransactionReset
             C: DATA
             S: 503 5.5.1 Error: need MAIL command
             C: MAIL FROM:<a@example.com>
             S: 250 2.1.0
             E: SenderAccepted <a@example.com>
             C: HELO client.example
             S: 250 mx.example.net
             E: TransactionReset
             E: Greeted HELO client.example
             C: RCPT TO:<b@example.net>
             S: 503 5.5.1 Error: need MAIL command",
            hello()
        ),
    );
}

#[test]
fn the_accepted_message_carries_the_unstuffed_data_and_the_envelope() {
    let run = run(
        config(),
        &mut AcceptAll,
        &format!(
            "{}C: MAIL FROM:<alice@example.com> SIZE=35 BODY=8BITMIME RET=HDRS ENVID=QQ314159 AUTH=<>
             S: 555 5.5.4 Unsupported option: AUTH
             C: MAIL FROM:<alice@example.com> SIZE=35 BODY=8BITMIME RET=HDRS ENVID=QQ314159
             S: 250 2.1.0
             C: RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+2Bx@example.net
             S: 250 2.1.5
             C: RCPT TO:<Postmaster>
             S: 250 2.1.5
             C: DATA
             S: 354
             C: Subject: dots
             C:
             C: ..leading dot
             C: ...two
             C: .
             S: 250 2.0.0 Ok: queued as",
            hello()
        ),
    );
    let messages = run.accepted();
    assert_eq!(messages.len(), 1);
    let message = messages[0];
    assert_eq!(message.data, b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\n");
    assert_eq!(message.queue_id.len(), 10);
    let envelope = &message.envelope;
    assert_eq!(envelope.reverse_path, "<alice@example.com>".parse::<ReversePath>().expect("path"));
    assert_eq!(envelope.mail_params.size, Some(35));
    assert_eq!(envelope.mail_params.body, Some(Body::EightBitMime));
    assert_eq!(envelope.mail_params.ret, Some(Ret::Hdrs));
    assert_eq!(envelope.mail_params.envid.as_deref(), Some("QQ314159"));
    assert_eq!(envelope.mail_params.auth, None::<AuthParam>);
    let recipients: Vec<(ForwardPath, RcptParameters)> =
        envelope.recipients.iter().map(|r| (r.path.clone(), r.params.clone())).collect();
    assert_eq!(recipients[0].0, "<bob@example.net>".parse::<ForwardPath>().expect("path"));
    assert_eq!(recipients[0].1.notify, Some(Notify { success: true, failure: true, delay: false }));
    assert_eq!(recipients[0].1.orcpt.as_ref().map(|o| o.address.as_str()), Some("bob+x@example.net"));
    assert_eq!(recipients[1].0, ForwardPath::Postmaster);
    assert_eq!(message.session.helo.as_ref().map(ToString::to_string).as_deref(), Some("client.example"));
    assert!(message.session.esmtp);
}

#[test]
fn queue_ids_are_repeatable_and_distinct() {
    let ids = |seed: u64| {
        let mut server = greeted(ServerConfig { queue_id_seed: seed, ..config() });
        let one = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nx\r\n.\r\n";
        server.handle_input(&one.repeat(2), &mut AcceptAll);
        poll_replies(&mut server);
        poll_events(&mut server)
            .into_iter()
            .filter_map(|e| if let ServerEvent::MessageAccepted(m) = e { Some(m.queue_id) } else { None })
            .collect::<Vec<_>>()
    };
    let first = ids(7);
    assert_eq!(first.len(), 2);
    assert_ne!(first[0], first[1]);
    assert_eq!(ids(7), first);
    assert_ne!(ids(8), first);
}

// ---------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------

/// Pieces of SMTP, valid and not, that random scripts are made of.
const TOKENS: &[&[u8]] = &[
    b"EHLO client.example\r\n",
    b"HELO client.example\r\n",
    b"MAIL FROM:<a@example.com>\r\n",
    b"MAIL FROM:<a@example.com> SIZE=100 BODY=8BITMIME\r\n",
    b"MAIL FROM:<\xe7\x94\xa8@example.com> SMTPUTF8\r\n",
    b"RCPT TO:<b@example.net>\r\n",
    b"RCPT TO:<b@example.net> NOTIFY=NEVER\r\n",
    b"DATA\r\n",
    b"BDAT 5\r\n",
    b"BDAT 3 LAST\r\n",
    b"RSET\r\n",
    b"NOOP\r\n",
    b"VRFY x\r\n",
    b"HELP\r\n",
    b"AUTH PLAIN\r\n",
    b"AUTH LOGIN\r\n",
    b"AGFsaWNlAHMzY3JldA==\r\n",
    b"*\r\n",
    b"QUIT\r\n",
    b"text line\r\n",
    b".\r\n",
    b"..\r\n",
    b"\r\n",
    b"\n",
    b"\r",
    b".",
    b"\n.\n",
    b"\xff\x00",
    b"x",
];

fn token_script() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(TOKENS).prop_map(<[u8]>::to_vec),
            1 => prop::collection::vec(any::<u8>(), 0..16),
            1 => (1usize..2000).prop_map(|n| vec![b'y'; n]),
        ],
        0..40,
    )
    .prop_map(|tokens| tokens.concat())
}

/// Splits `input` at the given fractions of its length.
fn pieces(input: &[u8], cuts: &[prop::sample::Index]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
    at.sort_unstable();
    let mut out = Vec::new();
    let mut last = 0;
    for cut in at.into_iter().chain([input.len()]) {
        out.push(input[last..cut].to_vec());
        last = cut;
    }
    out
}

/// Feeds pieces to a fresh server; checks every reply on the way; returns the replies
/// and the events other than those that depend on how input was split.
fn feed_checked(config: &ServerConfig, pieces: &[Vec<u8>]) -> (Vec<Reply>, Vec<ServerEvent>) {
    let mut server = ServerSession::new(config.clone(), None);
    let mut policy = users();
    let mut replies = Vec::new();
    let mut events = Vec::new();
    for piece in pieces {
        server.handle_input(piece, &mut policy);
        for reply in poll_replies(&mut server) {
            assert_wire_is_a_reply(&reply.to_bytes());
            replies.push(reply);
        }
        events.extend(poll_events(&mut server));
    }
    server.handle_timeout();
    for reply in poll_replies(&mut server) {
        assert_wire_is_a_reply(&reply.to_bytes());
    }
    assert!(server.is_closed());
    events.retain(|e| !matches!(e, ServerEvent::ImproperPipelining { .. }));
    (replies, events)
}

fn fuzz_config() -> ServerConfig {
    ServerConfig {
        auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login],
        max_message_size: 4096,
        ..config()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_and_replies_parse(
        input in prop::collection::vec(any::<u8>(), 0..3000),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        legacy in any::<bool>(),
    ) {
        let line_policy = if legacy { LinePolicy::Legacy } else { LinePolicy::Strict };
        let config = ServerConfig { line_policy, ..fuzz_config() };
        feed_checked(&config, &pieces(&input, &cuts));
    }

    /// Scripts made of SMTP pieces reach every state; however they are split, the server
    /// answers the same.
    #[test]
    fn random_scripts_answer_the_same_however_split(
        input in token_script(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        legacy in any::<bool>(),
    ) {
        let line_policy = if legacy { LinePolicy::Legacy } else { LinePolicy::Strict };
        let config = ServerConfig { line_policy, ..fuzz_config() };
        let whole = feed_checked(&config, std::slice::from_ref(&input));
        let split = feed_checked(&config, &pieces(&input, &cuts));
        prop_assert_eq!(whole, split);
    }

    /// Without a line end, no state holds more than a bounded amount of input.
    #[test]
    fn input_without_line_ends_is_not_buffered(
        setup in prop::sample::select(vec![
            &b""[..],
            b"EHLO client.example\r\n",
            b"EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
            b"EHLO client.example\r\nAUTH LOGIN\r\n",
        ]),
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 1..2048), 1..64),
    ) {
        let mut server = ServerSession::new(fuzz_config(), None);
        let mut policy = users();
        server.handle_input(setup, &mut policy);
        poll_replies(&mut server);
        poll_events(&mut server);
        let before = footprint(&server);
        for chunk in &chunks {
            server.handle_input(chunk, &mut policy);
            poll_replies(&mut server);
            poll_events(&mut server);
            // A 12288-octet AUTH line printed as decimal bytes is the largest buffer.
            prop_assert!(footprint(&server) < before + 12_288 * 5 + 1024, "{} bytes", footprint(&server));
        }
    }
}

#[test]
fn smtputf8_is_offered_only_with_8bitmime() {
    // RFC 6531 §3.1 (8).
    let server = ServerSession::new(ServerConfig { eight_bit_mime: false, ..config() }, None);
    let keywords: Vec<String> = server.capabilities().iter().map(|c| c.keyword().to_owned()).collect();
    assert!(!keywords.iter().any(|k| k == "SMTPUTF8" || k == "8BITMIME"), "{keywords:?}");
}

#[test]
fn an_unauthenticated_auth_identity_is_treated_as_unknown() {
    // RFC 4954 §5: AUTH=<mailbox> from a client that has not authenticated is AUTH=<>.
    let config = ServerConfig { auth_mechanisms: vec![Mechanism::Plain], ..config() };
    let mut server = greeted(config);
    let script =
        b"MAIL FROM:<a@example.com> AUTH=a@example.com\r\nRCPT TO:<b@example.net>\r\nDATA\r\nx\r\n.\r\n";
    server.handle_input(script, &mut AcceptAll);
    let accepted: Vec<_> = poll_events(&mut server)
        .into_iter()
        .filter_map(|e| if let ServerEvent::MessageAccepted(m) = e { Some(m) } else { None })
        .collect();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].envelope.mail_params.auth, Some(AuthParam::Unknown));
}

#[test]
fn auth_with_an_initial_response_may_be_pipelined_with_mail() {
    // RFC 4954 §4: no ImproperPipelining event after AUTH PLAIN <initial-response>.
    let config = ServerConfig { auth_mechanisms: vec![Mechanism::Plain], ..config() };
    let mut policy = users();
    let mut server = greeted(config);
    let response = b64(b"\0alice\0s3cret");
    server.handle_input(
        format!("AUTH PLAIN {response}\r\nMAIL FROM:<alice@example.com>\r\n").as_bytes(),
        &mut policy,
    );
    let events = poll_events(&mut server);
    assert!(!events.iter().any(|e| matches!(e, ServerEvent::ImproperPipelining { .. })), "{events:?}");
}

#[test]
fn utf8_reply_text_only_for_transactions_that_declared_smtputf8() {
    // RFC 6531 §3.7.4: a policy that quotes a UTF-8 address answers a client that did not
    // declare SMTPUTF8 in ASCII; one that did may see the address as it is.
    let mut policy = MailPolicy {
        local_domains: ["xn--r8jz45g.jp".to_owned()].into(),
        mailboxes: [("bob@xn--r8jz45g.jp".to_owned(), MailboxState::Active)].into(),
        ..MailPolicy::default()
    };
    let mut server = greeted(config());
    let lines = |server: &mut ServerSession, policy: &mut MailPolicy, bytes: &str| {
        server.handle_input(bytes.as_bytes(), policy);
        poll_replies(server).iter().map(|r| r.to_string()).collect::<Vec<_>>()
    };
    let ascii =
        lines(&mut server, &mut policy, "MAIL FROM:<a@example.com>\r\nRCPT TO:<ü@例え.jp>\r\nRSET\r\n");
    assert!(
        ascii[1].starts_with("553 5.6.7 Recipient address has non-ASCII") && ascii[1].is_ascii(),
        "{ascii:?}"
    );
    let utf8 =
        lines(&mut server, &mut policy, "MAIL FROM:<a@example.com> SMTPUTF8\r\nRCPT TO:<ü@例え.jp>\r\n");
    assert!(utf8[1].starts_with("550 5.1.1 <ü@例え.jp>:"), "{utf8:?}");
    // Whatever a policy writes, an ASCII transaction gets ASCII.
    struct Greeter;
    impl Policy for Greeter {
        fn sender(
            &mut self,
            _: &SessionInfo,
            _: &ReversePath,
            _: &smtp_playground::proto::MailParameters,
        ) -> Verdict {
            Verdict::Reject(Reply::new(ReplyCode::new(550).expect("code"), "Grüße, not today"))
        }
    }
    let mut server = greeted(config());
    server.handle_input(b"MAIL FROM:<a@example.com>\r\n", &mut Greeter);
    assert_eq!(poll_replies(&mut server)[0].to_string(), "550 Gr??e, not today");
}
