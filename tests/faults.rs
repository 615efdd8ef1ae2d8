//! "What if…" faults: a `[[fault]]` table strikes one command at one server, the world
//! re-runs, and the learner sees what real clients and relays do about it: retry later,
//! the next MX, a bounce. Also the round trip of faults through the scenario text.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::proto::Reply;
use smtp_playground::scenario::{self, edit, lessons};
use smtp_playground::sim::whatif::fault_for_step;
use smtp_playground::sim::{Fault, FaultAction, FaultTrigger};
use smtp_playground::timeline::{StepKind, Timeline};

fn lesson(id: &str) -> &'static str {
    lessons::get(id).unwrap_or_else(|| panic!("no lesson {id}")).source
}

fn run(source: &str) -> Timeline {
    scenario::parse(source).unwrap_or_else(|e| panic!("{e}\n{source}")).run()
}

fn reply(text: &str) -> Reply {
    smtp_playground::proto::reply::parse_reply(format!("{text}\r\n").as_bytes()).expect("a reply")
}

/// Index of the `n`-th (1-based) command step starting with `prefix` sent to `host`.
fn command_step(timeline: &Timeline, host: &str, prefix: &str, n: usize) -> usize {
    timeline
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StepKind::Command && &*s.to == host)
        .filter(|(_, s)| s.wire.as_deref().is_some_and(|w| w.starts_with(prefix)))
        .nth(n - 1)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no {prefix} #{n} to {host}"))
}

/// Reply codes `host` sent, in order.
fn codes_from(timeline: &Timeline, host: &str) -> Vec<u16> {
    timeline
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Reply && &*s.from == host)
        .filter_map(|s| s.code)
        .collect()
}

fn delivered(timeline: &Timeline, mailbox: &str) -> usize {
    timeline.outcome.delivered.get(mailbox).copied().unwrap_or(0)
}

fn what_if_steps(timeline: &Timeline) -> usize {
    timeline
        .steps
        .iter()
        .filter(|s| s.summary.starts_with("What if") || s.explanation.starts_with("What if"))
        .count()
}

/// The browser test's case: on mx-relay, pick the RCPT that reached mx.example.net, make
/// it a 451, re-run: the relay defers, retries after its interval and delivers.
#[test]
fn a_451_at_rcpt_is_retried_and_delivered_later() {
    let source = lesson("mx-relay");
    let before = run(source);
    let step = command_step(&before, "mx.example.net", "RCPT", 1);
    let fault = fault_for_step(&before, step, FaultAction::Reply(reply("451 4.7.1 Try again later")))
        .expect("a fault for an RCPT step");
    assert_eq!(fault.host, "mx.example.net");
    assert_eq!(fault.trigger, Some(FaultTrigger { verb: smtp_playground::proto::Verb::Rcpt, occurrence: 1 }));

    let edited = edit::add_fault(source, &fault);
    assert!(edited.ends_with(
        "[[fault]]\nhost = \"mx.example.net\"\ncommand = \"RCPT\"\noccurrence = 1\naction = \"reply\"\nreply = \"451 4.7.1 Try again later\"\n"
    ));
    let parsed = scenario::parse(&edited).expect("parses");
    assert_eq!(parsed.world.faults, [fault]);
    let after = parsed.run();

    let mx = codes_from(&after, "mx.example.net");
    assert!(mx.contains(&451), "{mx:?}");
    let injected = after.steps.iter().find(|s| s.code == Some(451)).expect("the 451 step");
    assert!(injected.explanation.starts_with("What if: this reply was injected"), "{}", injected.explanation);
    assert!(
        after.steps.iter().any(|s| s.summary.starts_with("What if: mx.example.net answers the 1st RCPT"))
    );
    let retry = after.steps.iter().find(|s| s.kind == StepKind::Retry).expect("a retry");
    assert!(retry.time >= 5 * 60_000, "the first retry interval is 5m: {}", retry.time);
    let accepted =
        after.steps.iter().rfind(|s| &*s.from == "mx.example.net" && s.code == Some(250)).expect("250");
    assert!(accepted.time > retry.time);
    assert_eq!(delivered(&after, "bob@example.net"), 1);
    assert!(after.outcome.dsns.is_empty());
    assert_eq!(after.outcome.queued, 0);
    // Without the fault nothing says "What if".
    assert_eq!(what_if_steps(&before), 0);
}

#[test]
fn a_550_at_rcpt_bounces_to_the_sender() {
    let source = lesson("mx-relay");
    let before = run(source);
    let step = command_step(&before, "mx.example.net", "RCPT", 1);
    let fault =
        fault_for_step(&before, step, FaultAction::Reply(reply("550 5.1.1 No such user here"))).unwrap();
    let after = run(&edit::add_fault(source, &fault));
    assert_eq!(delivered(&after, "bob@example.net"), 0);
    assert_eq!(after.outcome.dsns, ["failed: bob@example.net (5.1.1)"]);
    assert_eq!(delivered(&after, "alice@example.com"), 1, "the DSN reaches Alice's mailbox");
    assert!(!after.steps.iter().any(|s| s.kind == StepKind::Retry), "a 5yz is not retried");
}

#[test]
fn close_421_at_mail_is_retried() {
    let source = lesson("mx-relay");
    let before = run(source);
    let step = command_step(&before, "mx.example.net", "MAIL", 1);
    let fault = fault_for_step(&before, step, FaultAction::Close421).unwrap();
    let after = run(&edit::add_fault(source, &fault));
    let close = after.steps.iter().find(|s| s.code == Some(421)).expect("a 421");
    assert_eq!(
        close.wire.as_deref(),
        Some("421 4.3.2 mx.example.net Service not available, closing transmission channel\r\n")
    );
    // No RCPT reached the MX on the first connection; the retry delivers.
    assert!(after.steps.iter().any(|s| s.kind == StepKind::Retry));
    assert_eq!(delivered(&after, "bob@example.net"), 1);
    assert_eq!(after.outcome.queued, 0);
}

#[test]
fn a_drop_at_the_end_of_data_requeues_and_delivers_once() {
    let source = lesson("mx-relay");
    let before = run(source);
    // Pick the message data step: it stands for the end of its DATA.
    let data = before
        .steps
        .iter()
        .position(|s| s.kind == StepKind::Data && &*s.to == "mx.example.net")
        .expect("data to the MX");
    let fault = fault_for_step(&before, data, FaultAction::Drop).unwrap();
    assert_eq!(fault.trigger.map(|t| t.verb.as_str()), Some("DATA"));
    let after = run(&edit::add_fault(source, &fault));
    let lost = after
        .steps
        .iter()
        .find(|s| s.kind == StepKind::TcpClose && s.summary.starts_with("What if"))
        .expect("the dropped connection");
    // Nothing answered the data on that connection before it was lost.
    let data_step =
        after.steps.iter().position(|s| s.kind == StepKind::Data && &*s.to == "mx.example.net").unwrap();
    let lost_at = after.steps.iter().position(|s| std::ptr::eq(s, lost)).unwrap();
    assert!(lost_at > data_step);
    assert!(
        !after.steps[data_step..lost_at]
            .iter()
            .any(|s| s.kind == StepKind::Reply && &*s.from == "mx.example.net")
    );
    assert!(after.steps.iter().any(|s| s.kind == StepKind::Retry), "the relay requeues");
    assert_eq!(delivered(&after, "bob@example.net"), 1, "delivered once, by the retry");
    assert_eq!(after.outcome.queued, 0);
}

#[test]
fn the_primary_mx_down_sends_mail_to_the_backup() {
    let source = lesson("backup-mx").replace("down = [[\"0s\", \"15m\"]]\n", "");
    let before = run(&source);
    assert!(!before.steps.iter().any(|s| &*s.to == "mx2.example.net"), "mx1 takes it directly");
    let down = FaultAction::Down { at: 0, duration: 15 * 60_000 };
    let step = command_step(&before, "mx1.example.net", "EHLO", 1);
    let fault = fault_for_step(&before, step, down).unwrap();
    assert_eq!(fault, Fault { host: "mx1.example.net".into(), trigger: None, action: down_action() });
    let edited = edit::add_fault(&source, &fault);
    assert!(edited.ends_with("action = \"down\"\nat = \"0s\"\nfor = \"15m\"\n"), "{edited}");
    let after = run(&edited);
    let refused = after.steps.iter().find(|s| s.kind == StepKind::TcpRefused).expect("mx1 refuses");
    assert!(refused.explanation.starts_with("What if:"), "{}", refused.explanation);
    assert!(codes_from(&after, "mx2.example.net").contains(&250), "the backup takes it");
    assert_eq!(delivered(&after, "bob@example.net"), 1, "and hands it over once mx1 is back");
}

fn down_action() -> FaultAction {
    FaultAction::Down { at: 0, duration: 15 * 60_000 }
}

#[test]
fn greylisting_once_then_delivery() {
    let source = lesson("mx-relay");
    let before = run(source);
    let step = command_step(&before, "mx.example.net", "RCPT", 1);
    let fault = fault_for_step(&before, step, FaultAction::Greylist).unwrap();
    let after = run(&edit::add_fault(source, &fault));
    let greylisted = after.steps.iter().find(|s| s.code == Some(450)).expect("450");
    assert!(greylisted.wire.as_deref().is_some_and(|w| w.starts_with("450 4.7.1 ")));
    assert_eq!(after.steps.iter().filter(|s| s.code == Some(450)).count(), 1, "once");
    assert_eq!(delivered(&after, "bob@example.net"), 1);
    // Greylisting is for RCPT.
    let mail = command_step(&before, "mx.example.net", "MAIL", 1);
    assert_eq!(fault_for_step(&before, mail, FaultAction::Greylist), None);
}

#[test]
fn occurrences_count_per_host_and_verb() {
    // The second RCPT at the MX is the one after the retry.
    let source = lesson("mx-relay");
    let first = Fault {
        host: "mx.example.net".into(),
        trigger: Some(FaultTrigger { verb: smtp_playground::proto::Verb::Rcpt, occurrence: 1 }),
        action: FaultAction::Reply(reply("451 4.3.0 first")),
    };
    let once = run(&edit::add_fault(source, &first));
    let second_rcpt = command_step(&once, "mx.example.net", "RCPT", 2);
    let second = fault_for_step(&once, second_rcpt, FaultAction::Reply(reply("451 4.3.0 second"))).unwrap();
    assert_eq!(second.trigger.map(|t| t.occurrence), Some(2));
    let twice = run(&edit::add_fault(&edit::add_fault(source, &first), &second));
    let texts: Vec<&str> =
        twice.steps.iter().filter(|s| s.code == Some(451)).filter_map(|s| s.wire.as_deref()).collect();
    assert_eq!(texts, ["451 4.3.0 first\r\n", "451 4.3.0 second\r\n"]);
    assert_eq!(twice.steps.iter().filter(|s| s.kind == StepKind::Retry).count(), 2);
    assert_eq!(delivered(&twice, "bob@example.net"), 1);
}

#[test]
fn steps_that_are_not_commands_give_no_fault() {
    let before = run(lesson("mx-relay"));
    for (i, step) in before.steps.iter().enumerate() {
        let fault = fault_for_step(&before, i, FaultAction::Drop);
        match step.kind {
            StepKind::Command => assert!(fault.is_some(), "{}", step.summary),
            StepKind::Data => assert!(fault.is_some()),
            _ => assert!(fault.is_none(), "{:?}", step.kind),
        }
    }
    assert_eq!(fault_for_step(&before, before.steps.len(), FaultAction::Drop), None);
    let rcpt = command_step(&before, "mx.example.net", "RCPT", 1);
    assert_eq!(fault_for_step(&before, rcpt, FaultAction::Reply(reply("250 ok"))), None);
}

/// Every lesson: a fault added as text parses back; removing it gives the text back.
#[test]
fn add_and_remove_round_trip_on_every_lesson() {
    let faults = [
        Fault {
            host: "x".into(),
            trigger: Some(FaultTrigger { verb: smtp_playground::proto::Verb::Data, occurrence: 3 }),
            action: FaultAction::Reply(reply("554 5.7.1 \"quoted\" \\ text")),
        },
        Fault { host: "x".into(), trigger: None, action: FaultAction::Down { at: 90_061_001, duration: 1 } },
    ];
    for lesson in lessons::ALL {
        let parsed = scenario::parse(lesson.source).expect("parses");
        let Some(server) = parsed.world.hosts.iter().find(|h| h.smtp.is_some()) else { continue };
        let mut source = lesson.source.to_owned();
        for (n, fault) in faults.iter().enumerate() {
            let fault = Fault { host: server.name.clone(), ..fault.clone() };
            let added = edit::add_fault(&source, &fault);
            let again = scenario::parse(&added).unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
            assert_eq!(again.world.faults.last(), Some(&fault), "{}", lesson.id);
            assert_eq!(edit::fault_count(&added), n + 1);
            assert_eq!(edit::remove_fault(&added, n).as_deref(), Ok(source.as_str()), "{}", lesson.id);
            source = added;
        }
        // Removing the first of two keeps the second.
        let without_first = edit::remove_fault(&source, 0).expect("removes");
        let left = scenario::parse(&without_first).expect("parses");
        assert_eq!(left.world.faults.len(), 1);
        assert!(matches!(left.world.faults[0].action, FaultAction::Down { .. }));
    }
    assert!(edit::remove_fault(lesson("mx-relay"), 0).is_err());
}

#[test]
fn a_fault_in_the_middle_is_removed_with_its_blank_line_only() {
    let source = "title = \"t\"\ndescription = \"d\"\n\n[[fault]]\nhost = \"mx\"\ncommand = \"RCPT\"\naction = \"drop\"\n\n# the sender\n[[host]]\nname = \"mx\"\n";
    let removed = edit::remove_fault(source, 0).expect("removes");
    assert_eq!(removed, "title = \"t\"\ndescription = \"d\"\n\n# the sender\n[[host]]\nname = \"mx\"\n");
}

#[test]
fn faults_keep_runs_deterministic() {
    let source = lesson("mx-relay");
    let before = run(source);
    let step = command_step(&before, "mx.example.net", "DATA", 1);
    let edited = edit::add_fault(source, &fault_for_step(&before, step, FaultAction::Close421).unwrap());
    let a = serde_json::to_string(&run(&edited)).unwrap();
    let b = serde_json::to_string(&run(&edited)).unwrap();
    assert!(a == b);
}

/// The session may rewrite an injected reply (no ENHANCEDSTATUSCODES: no enhanced code; no
/// SMTPUTF8: `?` for non-ASCII); the step still says it was injected.
#[test]
fn rewritten_injected_replies_are_still_marked() {
    let source = lesson("mx-relay").replace(
        "users = { bob = \"hunter2\" }\nsmtp = {}",
        "users = { bob = \"hunter2\" }\nsmtp = { enhanced_status_codes = false }",
    );
    assert!(source.contains("enhanced_status_codes = false"));
    let fault = Fault {
        host: "mx.example.net".into(),
        trigger: Some(FaultTrigger { verb: smtp_playground::proto::Verb::Rcpt, occurrence: 1 }),
        action: FaultAction::Reply(reply("450 4.2.0 Boîte pleine, réessayez")),
    };
    let after = run(&edit::add_fault(&source, &fault));
    let step = after.steps.iter().find(|s| s.code == Some(450)).expect("450");
    assert_eq!(step.wire.as_deref(), Some("450 Bo?te pleine, r?essayez\r\n"));
    assert!(step.explanation.starts_with("What if: this reply was injected"), "{}", step.explanation);
    assert_eq!(what_if_steps(&after), 2, "the note and the reply");
}

#[test]
fn removing_the_last_table_of_a_file_without_a_final_newline() {
    let source = "title = \"é\"\n\n[[fault]]\nhost = \"mx\"\naction = \"drop\"\ncommand = \"QUIT\"\n# dernière ligne: é";
    let removed = edit::remove_fault(source, 0).expect("removes");
    // The blank line before the table goes with it; the comment after it stays.
    assert_eq!(removed, "title = \"é\"\n# dernière ligne: é");
}

mod hostile {
    use proptest::prelude::*;
    use smtp_playground::scenario::edit;

    proptest! {
        #[test]
        fn removing_from_any_text_never_panics(
            text in "([\\[\\]a-z=\"#\n ]|é|\\[\\[fault\\]\\]\n){0,60}",
            index in 0usize..3,
        ) {
            let _ = edit::fault_count(&text);
            if let Ok(removed) = edit::remove_fault(&text, index) {
                prop_assert!(removed.len() < text.len());
            }
        }
    }
}
