//! Bulk traffic (issue 16): `count` and `every` in a `[[send]]`, numbered copies, the limits,
//! and a timeline that grows with the messages in it, not with their square: its changes,
//! steps and JSON per message stay the same from 10 messages to 1,000, and the world after
//! any step is replayed from the changes alone.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::scenario::{self, MAX_MESSAGES, lessons};
use smtp_playground::timeline::{Replay, StepKind, Timeline};

const WORLD: &str = include_str!("worlds/thousand-greylisted.toml");

/// The thousand-message world with `count` messages.
fn world(count: usize) -> String {
    WORLD.replace("count = 1000", &format!("count = {count}"))
}

fn run(text: &str) -> Timeline {
    scenario::parse(text).expect("parses").run()
}

#[test]
fn a_thousand_messages_are_each_greylisted_once_then_delivered() {
    let timeline = run(WORLD);
    let outcome = &timeline.outcome;
    assert!(!outcome.truncated);
    assert_eq!(outcome.queued, 0);
    assert_eq!(outcome.delivered.len(), 1000, "one mailbox per numbered recipient");
    for n in [1, 500, 1000] {
        assert_eq!(outcome.delivered.get(&format!("customer{n}@example.net")), Some(&1), "customer{n}");
    }
    let count =
        |f: &dyn Fn(&smtp_playground::timeline::Step) -> bool| timeline.steps.iter().filter(|s| f(s)).count();
    assert_eq!(count(&|s| s.code == Some(451)), 1000, "each greylisted once");
    assert_eq!(count(&|s| s.kind == StepKind::Retry), 1000, "each retried once");
    assert_eq!(count(&|s| s.kind == StepKind::Delivery), 1000);
    // One second apart: the n-th session starts n - 1 seconds in.
    let connects: Vec<u64> = timeline
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::TcpConnect && &*s.from == "shop.example.com")
        .map(|s| s.time)
        .collect();
    assert_eq!(connects.len(), 1000);
    assert!(connects.windows(2).all(|w| w[1] - w[0] == 1000), "every = 1s");
    // The copies are numbered in the message too.
    let end = timeline.final_snapshot();
    let stored = &end.mailboxes["mx.example.net"]["customer734@example.net"][0];
    assert!(stored.data.contains("Subject: Your order 734 is confirmed"), "{}", stored.data);
}

/// Time is measured by the bench (scripts/bench.sh); here, what makes it linear: the same
/// number of steps and changes per message, and about the same JSON, at every size.
#[test]
fn the_timeline_grows_linearly_with_the_messages() {
    let sizes: Vec<(usize, usize, usize, usize)> = [10, 100, 1000]
        .into_iter()
        .map(|n| {
            let timeline = run(&world(n));
            let json = serde_json::to_string(&timeline).expect("JSON").len();
            (n, timeline.steps.len(), timeline.changes.len(), json)
        })
        .collect();
    let (n0, steps0, changes0, json0) = sizes[0];
    for &(n, steps, changes, json) in &sizes[1..] {
        assert_eq!(steps * n0, steps0 * n, "steps per message at {n}");
        assert_eq!(changes * n0, changes0 * n, "changes per message at {n}");
        let (per, per0) = (json as f64 / n as f64, json0 as f64 / n0 as f64);
        assert!(
            (per / per0 - 1.0).abs() < 0.05,
            "JSON per message: {per:.0} octets at {n}, {per0:.0} at {n0}"
        );
    }
    // Copies of every mailbox at every step made it quadratic: 64 messages were 25 times
    // the JSON of 10. Now 1,000 messages are about 100 times 10.
    assert!(sizes[2].3 < sizes[0].3 * 105, "{sizes:?}");
}

/// Walking the steps with a `Replay` gives, at each, the world that replaying its changes
/// from the start gives; and the last is the world the run ended with.
#[test]
fn replaying_step_by_step_equals_replaying_from_the_start() {
    let mut timelines: Vec<Timeline> = lessons::ALL.iter().map(|l| run(l.source)).collect();
    timelines.push(run(&world(20)));
    for timeline in &timelines {
        let mut replay = Replay::new(timeline);
        for step in &timeline.steps {
            assert_eq!(*replay.after_step(step), timeline.snapshot_after(step.changes));
        }
        // Going back starts again.
        if let Some(first) = timeline.steps.first() {
            assert_eq!(*replay.after_step(first), timeline.snapshot_after(first.changes));
        }
        let end = timeline.final_snapshot();
        let delivered: usize = end.mailboxes.values().flat_map(|b| b.values()).map(Vec::len).sum();
        let promised: usize = timeline.outcome.delivered.values().sum();
        assert_eq!(delivered, promised);
        assert_eq!(end.queues.values().map(Vec::len).sum::<usize>(), timeline.outcome.queued);
    }
}

#[test]
fn bulk_sends_are_refused_past_the_limits_with_their_place() {
    let at = |text: &str| {
        let e = scenario::parse(text).expect_err("refused");
        (e.line, e.column, e.message)
    };
    let count_line = WORLD.lines().position(|l| l.starts_with("count = ")).expect("count") + 1;
    let (line, column, message) = at(&WORLD.replace("count = 1000", "count = 0"));
    assert_eq!((line, column), (count_line, 9));
    assert!(message.contains("count 0: expected 1 to 1000 messages"), "{message}");
    let (line, _, message) = at(&WORLD.replace("count = 1000", "count = 1001"));
    assert_eq!(line, count_line);
    assert!(message.contains("expected 1 to 1000"), "{message}");
    // Two sends of 600: the second's count passes the limit.
    let send = &WORLD[WORLD.find("[[send]]").expect("send")..];
    let two = format!(
        "{}\n{}",
        WORLD.replace("count = 1000", "count = 600"),
        send.replace("count = 1000", "count = 600")
    );
    let second = two.rfind("count = 600").expect("second count");
    let (line, _, message) = at(&two);
    assert_eq!(line, two[..second].lines().count() + 1);
    assert_eq!(message, format!("too many messages: 1200 (the limit is {MAX_MESSAGES})"));
    let (_, _, message) = at(&WORLD.replace("every = \"1s\"", "every = \"soon\""));
    assert!(message.contains("soon"), "{message}");
}

#[test]
fn without_count_braces_are_kept_as_written() {
    let text = WORLD.replace("count = 1000\n", "");
    let timeline = run(&text);
    assert_eq!(timeline.outcome.delivered.get("customer{n}@example.net"), Some(&1));
    let end = timeline.final_snapshot();
    let stored = &end.mailboxes["mx.example.net"]["customer{n}@example.net"][0];
    assert!(stored.data.contains("Subject: Your order {n} is confirmed"));
}

/// The envelope inspector reads only the latest transactions: they equal the tail of all of
/// them, at every step of every lesson and along a bulk run, and the count before them is
/// exact.
#[test]
fn the_latest_transactions_are_the_tail_of_all_of_them() {
    use smtp_playground::teach::inspect::{latest_transactions, mail_steps, transactions};
    let mut timelines: Vec<Timeline> = lessons::ALL.iter().map(|l| run(l.source)).collect();
    timelines.push(run(&world(30)));
    for timeline in &timelines {
        let mails = mail_steps(timeline);
        let stride = (timeline.steps.len() / 200).max(1);
        for at in (0..timeline.steps.len()).step_by(stride).map(Some).chain([None]) {
            let all = transactions(timeline, at);
            for most in [1, 3, 50] {
                let (earlier, latest) = latest_transactions(timeline, at, most, &mails);
                assert_eq!(earlier + latest.len(), all.len(), "at {at:?}, most {most}");
                assert_eq!(latest[..], all[earlier..], "at {at:?}, most {most}");
                assert!(latest.len() <= most || all.len() <= most, "at {at:?}: {} for {most}", latest.len());
            }
        }
    }
}
