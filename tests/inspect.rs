//! The inspectors' views over every lesson's timeline: envelope and headers per hop, DNS
//! lookups, queues and retries, stored messages with their trace fields, DSNs
//! (`teach::inspect`, run here on the lesson library, which sits above it).
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::message;
use smtp_playground::scenario::{self, lessons};
use smtp_playground::teach::inspect::{
    Difference, Hop, TraceKind, dsns, is_dsn, lookups, message_view, next_retry, snapshot_at, steps_so_far,
    transactions, written_dsns,
};
use smtp_playground::timeline::{Snapshot, StepKind, Timeline};

fn run(id: &str) -> Timeline {
    let lesson = lessons::get(id).expect("lesson");
    scenario::parse(lesson.source).expect("parses").run()
}

fn last(timeline: &Timeline) -> Option<usize> {
    timeline.steps.len().checked_sub(1)
}

/// Every lesson at every step: the inspectors' data can be derived, lookups only answer
/// questions asked, and what is seen never shrinks as the learner steps forward.
#[test]
fn every_lesson_at_every_step_is_inspectable() {
    for lesson in lessons::ALL {
        let timeline = scenario::parse(lesson.source).expect("parses").run();
        let mut seen = 0;
        for step in std::iter::once(None).chain((0..timeline.steps.len()).map(Some)) {
            let all = transactions(&timeline, step);
            assert!(all.len() >= seen, "{}: transactions shrank at {step:?}", lesson.id);
            seen = all.len();
            let asked = lookups(&timeline, step);
            let queries =
                steps_so_far(&timeline, step).iter().filter(|s| s.kind == StepKind::DnsQuery).count();
            assert_eq!(asked.len(), queries, "{}: one lookup per question", lesson.id);
            let snapshot = snapshot_at(&timeline, step);
            for message in snapshot.mailboxes.values().flat_map(|b| b.values()).flatten() {
                let view = message_view(&message.data);
                assert_eq!(view.error, None, "{}: {}", lesson.id, message.id);
                // A DSN's own `Received: by host (DSN); date` has no from clause, which
                // the strict RFC 5321 §4.4 parser reports; every relayed hop parses.
                let strict = |h: &&Hop| h.error.is_none() || h.raw.starts_with("by ");
                assert!(view.hops.iter().all(|h| strict(&h)), "{}: {:?}", lesson.id, view.hops);
            }
            for dsn in dsns(&snapshot) {
                assert!(dsn.view.is_ok(), "{}: {:?}", lesson.id, dsn.view);
            }
        }
    }
}

#[test]
fn snapshots_are_indexed_safely() {
    let timeline = run("dsn-notify");
    assert_eq!(snapshot_at(&timeline, None), Snapshot::default());
    assert_eq!(snapshot_at(&timeline, Some(usize::MAX)), Snapshot::default());
    assert!(steps_so_far(&timeline, None).is_empty());
    assert_eq!(steps_so_far(&timeline, Some(usize::MAX)).len(), timeline.steps.len());
    assert!(!snapshot_at(&timeline, last(&timeline)).mailboxes.is_empty());
}

#[test]
fn envelope_and_headers_of_each_hop_with_refusals_and_bounces() {
    let timeline = run("dsn-notify");
    let all = transactions(&timeline, last(&timeline));
    let first = &all[0];
    assert_eq!((first.client.as_str(), first.server.as_str()), ("laptop.example.com", "smtp.example.com"));
    assert_eq!(first.reverse_path, "<alice@example.com>");
    let paths: Vec<&str> = first.recipients.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["<bob@example.net>", "<carol@example.net>"]);
    let headers = first.headers.as_ref().expect("data sent");
    assert_eq!(headers.to, ["bob@example.net", "carol@example.net"]);
    assert!(first.differences.is_empty(), "{:?}", first.differences);
    // The MX refuses carol: the refusal is paired with her RCPT although pipelined.
    let relay = all.iter().find(|t| t.server == "mx.example.net").expect("relay hop");
    assert_eq!(relay.recipients[0].refused, None);
    assert!(relay.recipients[1].refused.as_deref().is_some_and(|r| r.starts_with("550 5.1.1")));
    // The DSNs travel with the null reverse-path.
    let bounce = all.iter().find(|t| t.reverse_path == "<>").expect("a DSN is relayed");
    assert!(bounce.differences.contains(&Difference::NullReversePath));
    // Before the first step nothing has been seen.
    assert!(transactions(&timeline, None).is_empty());
}

#[test]
fn a_blind_recipient_is_in_the_envelope_only() {
    let source = lessons::get("mx-relay")
        .expect("lesson")
        .source
        .replace("rcpt_to = [\"bob@example.net\"]", "rcpt_to = [\"bob@example.net\", \"dave@example.net\"]");
    let timeline = scenario::parse(&source).expect("parses").run();
    let first = &transactions(&timeline, last(&timeline))[0];
    assert_eq!(first.differences, [Difference::RecipientNotInHeaders("dave@example.net".into())]);
    let (text, rfc) = first.differences[0].explain();
    assert!(text.contains("dave@example.net") && rfc == "RFC 5321 §2.3.1");
}

#[test]
fn lookups_pair_questions_with_answers() {
    let timeline = run("mx-relay");
    let all = lookups(&timeline, last(&timeline));
    let first = &all[0];
    assert_eq!(first.host, "smtp.example.com");
    assert_eq!(first.question, "example.net. IN MX ?");
    assert_eq!(first.answer.as_deref(), Some("MX 10 mx.example.net"));
    assert!(all.iter().all(|l| l.answer.is_some()));
    // At the step of the first question, it is still open.
    let asked = timeline.steps.iter().position(|s| s.kind == StepKind::DnsQuery);
    let open = lookups(&timeline, asked);
    assert_eq!((open.len(), open[0].answer.clone()), (1, None));
}

#[test]
fn retry_times_are_relative_to_now() {
    assert_eq!(next_retry(300_200, 200), "in 5m00.000s (at 5m00.200s)");
    assert_eq!(next_retry(100, 200), "due now (at 0.100s)");
    let timeline = run("retry-later");
    let queued = timeline.steps.iter().enumerate().find_map(|(i, step)| {
        let snapshot = snapshot_at(&timeline, Some(i));
        snapshot
            .queues
            .values()
            .flatten()
            .find(|q| q.attempts > 0 && q.next_attempt > Some(step.time))
            .map(|q| (step.time, q.clone()))
    });
    let (now, message) = queued.expect("a message waits for a retry after a failed attempt");
    assert!(next_retry(message.next_attempt.unwrap_or_default(), now).starts_with("in "));
    assert!(message.last_error.is_some());
}

#[test]
fn stored_messages_show_the_trace_fields_in_hop_order() {
    let timeline = run("mx-relay");
    let snapshot = snapshot_at(&timeline, last(&timeline));
    let message = &snapshot.mailboxes["mx.example.net"]["bob@example.net"][0];
    let view = message_view(&message.data);
    assert_eq!(view.error, None);
    assert_eq!(view.fields[0].trace, Some(TraceKind::ReturnPath));
    let hops: Vec<(usize, &str, &str)> =
        view.hops.iter().map(|h| (h.number, h.from.as_str(), h.by.as_str())).collect();
    assert_eq!(
        hops,
        [(1, "laptop.example.com", "smtp.example.com"), (2, "smtp.example.com", "mx.example.net")]
    );
    // The top Received: is the last hop.
    assert_eq!(view.fields[1].trace, Some(TraceKind::Received(2)));
    assert!(view.body.contains("lunch on Friday"));
    let junk = message_view("no colon here\r\n");
    assert!(junk.error.is_some() && junk.body == "no colon here\r\n");
}

#[test]
fn dsns_are_found_and_read() {
    let timeline = run("dsn-notify");
    let found = dsns(&snapshot_at(&timeline, last(&timeline)));
    let failure = found
        .iter()
        .filter_map(|d| d.view.as_ref().ok())
        .find(|v| v.report.recipients.iter().any(|r| r.action == message::Action::Failed))
        .expect("a failure DSN");
    let carol = &failure.report.recipients[0];
    assert_eq!(carol.status.to_string(), "5.1.1");
    assert_eq!(carol.remote_mta.as_ref().map(|m| m.value()), Some("mx.example.net"));
    assert!(failure.human.contains("could not\r\nbe delivered"));
    assert!(failure.returned.as_deref().is_some_and(|r| r.contains("Subject: Please confirm")));
    assert_eq!(failure.report.original_envelope_id.as_deref(), Some("QQ314159"));
    let success = found
        .iter()
        .filter_map(|d| d.view.as_ref().ok())
        .any(|v| v.report.recipients.iter().any(|r| r.action == message::Action::Delivered));
    assert!(success, "NOTIFY=SUCCESS gives a success DSN too");
    assert!(dsns(&snapshot_at(&timeline, None)).is_empty());
    assert!(!is_dsn("Subject: plain\r\n\r\nhi\r\n"));
}

/// Issue 14: at the step where the relay writes a DSN, the inspector shows that report (on its
/// way to the sender) instead of "none delivered"; once a mailbox holds it, it is listed as
/// delivered only, never twice. Every lesson that writes a DSN is checked.
#[test]
fn a_written_dsn_shows_until_it_is_delivered() {
    let mut checked = 0;
    for lesson in lessons::ALL {
        let timeline = run(lesson.id);
        let Some(written_at) =
            timeline.steps.iter().position(|s| s.kind == StepKind::Dsn && s.wire.is_some())
        else {
            continue;
        };
        checked += 1;
        assert!(written_dsns(&timeline, written_at.checked_sub(1)).is_empty(), "{}", lesson.id);
        let pending = written_dsns(&timeline, Some(written_at));
        assert_eq!(pending.len(), 1, "{} at step {written_at}", lesson.id);
        assert!(pending[0].view.is_ok(), "{}: the written report reads", lesson.id);
        assert!(dsns(&snapshot_at(&timeline, Some(written_at))).is_empty(), "{}", lesson.id);
        // By the end each report written was delivered (or is still on its way): never both.
        let end = last(&timeline);
        let delivered = dsns(&snapshot_at(&timeline, end));
        for pending in written_dsns(&timeline, end) {
            assert!(
                !delivered.iter().any(|d| d.message.data.ends_with(&*pending.message.data)),
                "{}: a report listed as delivered and on its way",
                lesson.id
            );
        }
        if lesson.id == "dsn-notify" {
            assert!(written_dsns(&timeline, end).is_empty(), "dsn-notify delivers its reports");
        }
    }
    assert!(checked >= 3, "only {checked} lessons write a DSN");
}
