//! The owner's fault-injection hook ([`Intervention`]) as the session applies it: refused
//! commands have no effect, DATA and BDAT take the verdict at the end of their data, 421
//! closes, a drop closes without a reply.

use super::*;
use crate::engine::AcceptAll;

/// Intervenes on the `n`-th command with `verb` (1-based), and accepts the rest.
struct Inject {
    verb: Verb,
    nth: usize,
    seen: usize,
    what: Intervention,
}

impl Policy for Inject {
    fn intervene(&mut self, _session: &SessionInfo, verb: Verb) -> Intervention {
        if verb != self.verb {
            return Intervention::None;
        }
        self.seen += 1;
        if self.seen == self.nth { self.what.clone() } else { Intervention::None }
    }
}

fn reply(text: &str) -> Reply {
    let wire = format!("{text}\r\n");
    crate::proto::reply::reply(wire.as_bytes()).map(|(_, r)| r).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

/// Feeds `lines` one at a time and returns every reply code, and the session.
fn run(policy: &mut dyn Policy, lines: &[&str]) -> (Vec<u16>, ServerSession) {
    let mut session = ServerSession::new(ServerConfig::default(), None);
    let mut codes = Vec::new();
    for line in lines {
        session.handle_input(format!("{line}\r\n").as_bytes(), policy);
        codes.extend(std::iter::from_fn(|| session.poll_reply()).map(|r| r.code.get()));
    }
    codes.extend(std::iter::from_fn(|| session.poll_reply()).map(|r| r.code.get()));
    (codes, session)
}

const SESSION: &[&str] = &[
    "EHLO c.example",
    "MAIL FROM:<a@example.com>",
    "RCPT TO:<b@example.net>",
    "RCPT TO:<c@example.net>",
    "DATA",
    "Subject: t\r\n\r\nhi\r\n.",
    "QUIT",
];

fn accepted(session: &mut ServerSession) -> Vec<usize> {
    std::iter::from_fn(|| session.poll_event())
        .filter_map(|e| match e {
            ServerEvent::MessageAccepted(m) => Some(m.envelope.recipients.len()),
            _ => None,
        })
        .collect()
}

#[test]
fn without_intervention_the_session_is_unchanged() {
    let (codes, mut session) = run(&mut AcceptAll, SESSION);
    assert_eq!(codes, [220, 250, 250, 250, 250, 354, 250, 221]);
    assert_eq!(accepted(&mut session), [2]);
}

#[test]
fn a_refused_rcpt_adds_no_recipient() {
    let what = Intervention::Reply(reply("451 4.7.1 Try again later"));
    let mut policy = Inject { verb: Verb::Rcpt, nth: 2, seen: 0, what };
    let (codes, mut session) = run(&mut policy, SESSION);
    assert_eq!(codes, [220, 250, 250, 250, 451, 354, 250, 221]);
    assert_eq!(accepted(&mut session), [1], "only the first recipient is in the envelope");
}

#[test]
fn a_refused_mail_opens_no_transaction() {
    let what = Intervention::Reply(reply("550 5.7.1 No"));
    let mut policy = Inject { verb: Verb::Mail, nth: 1, seen: 0, what };
    let (codes, mut session) = run(&mut policy, SESSION);
    // RCPT without MAIL: 503; DATA then 503 too; the message lines are unknown commands.
    assert_eq!(&codes[..5], [220, 250, 550, 503, 503]);
    assert!(accepted(&mut session).is_empty());
}

#[test]
fn refused_data_is_not_accepted_and_the_next_transaction_works() {
    let what = Intervention::Reply(reply("452 4.3.1 Insufficient system storage"));
    let mut policy = Inject { verb: Verb::Data, nth: 1, seen: 0, what };
    let mut lines = SESSION[..6].to_vec();
    lines.extend_from_slice(&SESSION[1..]);
    let (codes, mut session) = run(&mut policy, &lines);
    assert_eq!(codes, [220, 250, 250, 250, 250, 354, 452, 250, 250, 250, 354, 250, 221]);
    assert_eq!(accepted(&mut session), [2]);
}

#[test]
fn refused_bdat_chunk_ends_the_transaction() {
    let what = Intervention::Reply(reply("451 4.3.0 Local error"));
    let mut policy = Inject { verb: Verb::Bdat, nth: 1, seen: 0, what };
    let mut session = ServerSession::new(ServerConfig { chunking: true, ..ServerConfig::default() }, None);
    let input = b"EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nBDAT 4 LAST\r\nhi\r\nQUIT\r\n";
    session.handle_input(input, &mut policy);
    let codes: Vec<u16> = std::iter::from_fn(|| session.poll_reply()).map(|r| r.code.get()).collect();
    assert_eq!(codes, [220, 250, 250, 250, 451, 221]);
    assert!(accepted(&mut session).is_empty());
}

#[test]
fn close_with_421_and_drop() {
    let what = Intervention::CloseWith(reply("421 4.3.2 mx Service not available"));
    let mut policy = Inject { verb: Verb::Mail, nth: 1, seen: 0, what };
    let (codes, mut session) = run(&mut policy, SESSION);
    assert_eq!(codes, [220, 250, 421]);
    assert!(session.is_closed());
    let events: Vec<ServerEvent> = std::iter::from_fn(|| session.poll_event()).collect();
    assert!(events.contains(&ServerEvent::Closed(CloseReason::ServiceUnavailable)));

    let mut policy = Inject { verb: Verb::Data, nth: 1, seen: 0, what: Intervention::Drop };
    let (codes, mut session) = run(&mut policy, SESSION);
    assert_eq!(codes, [220, 250, 250, 250, 250, 354], "no reply after the data");
    assert!(session.is_closed());
    let events: Vec<ServerEvent> = std::iter::from_fn(|| session.poll_event()).collect();
    assert!(events.contains(&ServerEvent::Closed(CloseReason::Dropped)));
    assert!(!events.iter().any(|e| matches!(e, ServerEvent::MessageAccepted(_))));
}

#[test]
fn positive_replies_cannot_be_injected() {
    let what = Intervention::Reply(reply("250 2.0.0 sure"));
    let mut policy = Inject { verb: Verb::Rcpt, nth: 1, seen: 0, what };
    let (codes, mut session) = run(&mut policy, SESSION);
    assert_eq!(codes, [220, 250, 250, 250, 250, 354, 250, 221]);
    assert_eq!(accepted(&mut session), [2]);
}

#[test]
fn injected_refusals_do_not_count_as_client_errors() {
    let what = Intervention::Reply(reply("451 4.3.0 busy"));
    let mut policy = Inject { verb: Verb::Noop, nth: 1, seen: 0, what };
    let config = ServerConfig { max_errors: 1, ..ServerConfig::default() };
    let mut session = ServerSession::new(config, None);
    session.handle_input(b"NOOP\r\nNOOP\r\n", &mut policy);
    let codes: Vec<u16> = std::iter::from_fn(|| session.poll_reply()).map(|r| r.code.get()).collect();
    assert_eq!(codes, [220, 451, 250]);
    assert!(!session.is_closed());
}
