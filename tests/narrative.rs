//! What a learner reads: every library lesson has goals, a recap and an authored note for
//! each step that is not purely mechanical; no two consecutive steps say the same thing;
//! every citation is of the step's own protocol; a DSN quotes only replies a server sent.
//! And the narrative's own errors name their line.
#![cfg(not(target_arch = "wasm32"))]

use std::sync::Arc;

use smtp_playground::scenario::{self, lessons};
use smtp_playground::timeline::{Step, StepKind, Timeline};

fn library() -> Vec<(&'static str, scenario::Scenario, Timeline)> {
    lessons::ALL
        .iter()
        .map(|lesson| {
            let scenario = scenario::parse(lesson.source).expect("a library lesson parses");
            let timeline = scenario.run();
            (lesson.id, scenario, timeline)
        })
        .collect()
}

#[test]
fn every_lesson_has_goals_a_recap_and_notes_for_every_step_that_teaches() {
    let mut problems = Vec::new();
    for (id, scenario, _) in library() {
        let narrative = &scenario.narrative;
        if !(1..=3).contains(&narrative.goals.len()) {
            problems.push(format!("{id}: {} goals (one to three)", narrative.goals.len()));
        }
        if narrative.recap.is_none() {
            problems.push(format!("{id}: no recap"));
        }
        let (timeline, errors) = scenario.run_checked();
        for error in errors {
            problems.push(format!("{id}: {error}"));
        }
        let covered = narrative.coverage(&timeline);
        for (i, step) in timeline.steps.iter().enumerate() {
            if !step.kind.is_mechanical() && !covered[i] {
                problems.push(format!(
                    "{id}: step {} ({}: {}) has no note",
                    i + 1,
                    step.kind.key(),
                    step.summary
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_two_consecutive_steps_say_the_same_thing() {
    let mut repeats = Vec::new();
    for (id, _, timeline) in library() {
        for (i, pair) in timeline.steps.windows(2).enumerate() {
            if pair[0].explanation == pair[1].explanation {
                repeats.push(format!("{id}: steps {} and {}: {:?}", i + 1, i + 2, pair[1].explanation));
            }
        }
    }
    assert!(repeats.is_empty(), "{}", repeats.join("\n"));
}

#[test]
fn authored_notes_never_repeat_a_sentence_within_a_lesson() {
    let mut repeats = Vec::new();
    for (id, scenario, _) in library() {
        let mut seen = std::collections::BTreeMap::new();
        for note in &scenario.narrative.notes {
            for sentence in note.text.split(". ").map(str::trim).filter(|s| s.len() > 40) {
                if let Some(line) = seen.insert(sentence.to_owned(), note.pos.line) {
                    repeats.push(format!("{id}: lines {line} and {}: {sentence:?}", note.pos.line));
                }
            }
        }
    }
    assert!(repeats.is_empty(), "{}", repeats.join("\n"));
}

/// The RFC numbers a step of this kind may cite: its own protocol's.
fn allowed_rfcs(
    step: &Step,
    previous: Option<&Step>,
    pop3_lanes: &[(Arc<str>, Arc<str>)],
    imap_lanes: &[(Arc<str>, Arc<str>)],
) -> &'static [u32] {
    const SMTP: &[u32] = &[
        5321, 3207, 4954, 4616, 1870, 2920, 3030, 6531, 6152, 3461, 2034, 3463, 7505, 6409, 5322, 5890, 5891,
        3848, 7372,
    ];
    const SPF: &[u32] = &[7208];
    const DKIM: &[u32] = &[6376, 8463];
    const DMARC: &[u32] = &[7489];
    let on_pop3 = pop3_lanes.iter().any(|(c, s)| c == &step.from && s == &step.to);
    let on_imap = imap_lanes.iter().any(|(c, s)| c == &step.from && s == &step.to);
    let auth_of = |summary: &str| {
        if summary.contains("(SPF)") || summary.starts_with("SPF:") {
            Some(SPF)
        } else if summary.contains("(DKIM)") || summary.starts_with("DKIM:") || summary.contains("with DKIM")
        {
            Some(DKIM)
        } else if summary.contains("(DMARC)") || summary.starts_with("DMARC:") {
            Some(DMARC)
        } else {
            None
        }
    };
    match step.kind {
        StepKind::Retrieval => &[1939],
        StepKind::TcpConnect | StepKind::TcpClose if on_pop3 => &[1939],
        StepKind::ImapCommand | StepKind::ImapResponse => &[9051],
        StepKind::TcpConnect | StepKind::TcpClose if on_imap => &[9051],
        StepKind::TlsHandshake if on_imap => &[8314],
        StepKind::DnsQuery => auth_of(&step.summary).unwrap_or(&[5321, 7505, 1035]),
        // An answer belongs to the question before it.
        StepKind::DnsAnswer => previous.and_then(|q| auth_of(&q.summary)).unwrap_or(&[5321, 7505, 1035]),
        StepKind::Note if step.summary.contains("authentication results") => &[8601],
        // A list's footer matters here because it breaks DKIM's body hash.
        StepKind::Note if step.summary.contains("appends a footer") => DKIM,
        StepKind::Note => auth_of(&step.summary).unwrap_or(SMTP),
        StepKind::Dsn => &[3464, 3461, 5321],
        _ => SMTP,
    }
}

fn first_rfc(citation: &str) -> Option<u32> {
    let after = citation.split("RFC ").nth(1)?;
    after.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[test]
fn every_citation_is_of_the_steps_own_protocol() {
    let mut wrong = Vec::new();
    for (id, _, timeline) in library() {
        let pop3_lanes: Vec<(Arc<str>, Arc<str>)> = timeline
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::TcpConnect && s.summary.contains("(POP3)"))
            .map(|s| (s.from.clone(), s.to.clone()))
            .collect();
        let imap_lanes: Vec<(Arc<str>, Arc<str>)> = timeline
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::TcpConnect && s.summary.contains("(IMAP"))
            .map(|s| (s.from.clone(), s.to.clone()))
            .collect();
        for (i, step) in timeline.steps.iter().enumerate() {
            let previous = i.checked_sub(1).and_then(|p| timeline.steps.get(p));
            let allowed = allowed_rfcs(step, previous, &pop3_lanes, &imap_lanes);
            let cited = step.rfc.as_deref().and_then(first_rfc);
            if !cited.is_some_and(|n| allowed.contains(&n)) {
                wrong.push(format!(
                    "{id}: step {} ({}: {}) cites {:?}, expected one of RFC {allowed:?}",
                    i + 1,
                    step.kind.key(),
                    step.summary,
                    step.rfc
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `Diagnostic-Code: smtp; …` values of a DSN, unfolded.
fn diagnostic_codes(dsn: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut lines = dsn.split("\r\n").peekable();
    while let Some(line) = lines.next() {
        if let Some(value) = line.strip_prefix("Diagnostic-Code: smtp; ") {
            let mut value = value.to_owned();
            while let Some(more) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                value.push_str(more);
                lines.next();
            }
            codes.push(value);
        }
    }
    codes
}

#[test]
fn a_dsn_quotes_only_replies_a_server_sent() {
    let mut made_up = Vec::new();
    let mut quoted = 0;
    for (id, _, timeline) in library() {
        let sent: Vec<String> = timeline
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::Reply)
            .filter_map(|s| s.wire.as_deref())
            .map(|w| w.trim_end().to_owned())
            .collect();
        for dsn in timeline.steps.iter().filter(|s| s.kind == StepKind::Dsn).filter_map(|s| s.wire.as_deref())
        {
            for code in diagnostic_codes(dsn) {
                quoted += 1;
                if !sent.contains(&code) {
                    made_up.push(format!("{id}: Diagnostic-Code {code:?} was never sent"));
                }
            }
        }
    }
    assert!(made_up.is_empty(), "{}", made_up.join("\n"));
    assert!(quoted > 0, "some lesson's DSN quotes a remote server's reply");
}

#[test]
fn the_expired_message_report_names_no_reply() {
    let lesson = lessons::get("retries-exhausted").expect("the lesson");
    let timeline = scenario::parse(lesson.source).expect("parses").run();
    let dsn = timeline.steps.iter().find(|s| s.kind == StepKind::Dsn).and_then(|s| s.wire.as_deref());
    let dsn = dsn.expect("the lesson ends in a DSN");
    // No server ever answered: the status says why (5.4.7), and no reply is invented.
    assert!(dsn.contains("Status: 5.4.7"), "{dsn}");
    assert!(!dsn.contains("Diagnostic-Code"), "{dsn}");
    assert!(!dsn.contains("Remote-MTA"), "{dsn}");
    assert!(!dsn.contains(" 550 "), "{dsn}");
}

const WORLD: &str = r#"
title = "t"
description = "d"
[[host]]
name = "pc.example"
role = "client"
ip = "192.0.2.1"
[[host]]
name = "mx.example"
role = "mx"
ip = "192.0.2.2"
domains = ["example"]
smtp = {}
[[type]]
from = "pc.example"
to = "mx.example"
lines = ["EHLO pc.example", "QUIT"]
"#;

fn with(extra: &str) -> String {
    format!("goals = [\"Read a greeting\"]\nrecap = \"r\"\n{WORLD}{extra}")
}

#[test]
fn a_note_replaces_the_generated_text_of_the_step_it_picks() {
    let text = with(
        "[[note]]\nkind = \"reply\"\ncode = 250\ntext = \"The server lists what it can do.\"\n\
         [[note]]\nkind = \"reply\"\nnth = 3\ntext = \"Goodbye.\"\n",
    );
    let scenario = scenario::parse(&text).expect("parses");
    assert_eq!(scenario.narrative.goals, ["Read a greeting"]);
    let (timeline, errors) = scenario.run_checked();
    assert!(errors.is_empty(), "{errors:?}");
    let replies: Vec<&Step> = timeline.steps.iter().filter(|s| s.kind == StepKind::Reply).collect();
    assert_eq!(replies[1].explanation, "The server lists what it can do.");
    assert_eq!(replies[2].explanation, "Goodbye.");
    assert_ne!(replies[0].explanation, "Goodbye.", "the greeting keeps its generated text");
}

#[test]
fn narrative_errors_name_their_line() {
    let unmatched = with("[[note]]\nkind = \"dsn\"\ntext = \"never\"\n");
    let (_, errors) = scenario::parse(&unmatched).expect("parses").run_checked();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, unmatched.lines().position(|l| l == "[[note]]").expect("line") + 1);
    assert!(errors[0].message.contains("matches no step"), "{}", errors[0].message);

    let twice = with(
        "[[note]]\nkind = \"reply\"\ncode = 221\ntext = \"a\"\n[[note]]\nkind = \"reply\"\nnth = 3\ntext = \"b\"\n",
    );
    let (_, errors) = scenario::parse(&twice).expect("parses").run_checked();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("already explains"), "{}", errors[0].message);

    let too_far = with("[[note]]\nkind = \"reply\"\nnth = 9\ntext = \"x\"\n");
    let (_, errors) = scenario::parse(&too_far).expect("parses").run_checked();
    assert!(errors[0].message.contains("only 3 steps match"), "{}", errors[0].message);

    for (bad, expected) in [
        ("[[note]]\nkind = \"replies\"\ntext = \"x\"\n", "not a kind of step"),
        ("[[note]]\nkind = \"reply\"\nhas = \"\"\ntext = \"x\"\n", "`has` is empty"),
        ("[[note]]\nkind = \"reply\"\nnth = 0\ntext = \"x\"\n", "counts from 1"),
        ("[[note]]\nkind = \"reply\"\ncode = 99\ntext = \"x\"\n", "not a reply code"),
        ("[[note]]\nkind = \"reply\"\ntext = \"  \"\n", "empty"),
        ("[[note]]\nkind = \"reply\"\n", "needs `text`"),
        ("[[note]]\nkind = \"reply\"\ntxt = \"x\"\n", "unknown key `txt`"),
    ] {
        let error = scenario::parse(&with(bad)).expect_err(bad);
        assert!(error.message.contains(expected), "{bad}: {}", error.message);
        assert!(error.line > 1, "{bad}: located");
    }
    let long = with(&format!("[[note]]\nkind = \"reply\"\ntext = \"{}\"\n", "x".repeat(5000)));
    assert!(scenario::parse(&long).expect_err("too long").message.contains("limit"));
}

#[test]
fn a_what_if_fault_keeps_the_notes_before_it_and_the_generated_text_after() {
    let notes = "[[note]]\nkind = \"reply\"\ncode = 220\ntext = \"The greeting.\"\n\
                 [[note]]\nkind = \"reply\"\nnth = 2\ntext = \"The extensions.\"\n";
    let fault = "[[fault]]\nhost = \"mx.example\"\ncommand = \"EHLO\"\naction = \"reply\"\n\
                 reply = \"554 5.7.1 Not you\"\n";
    let (timeline, errors) =
        scenario::parse(&with(&format!("{notes}{fault}"))).expect("parses").run_checked();
    assert!(errors.is_empty(), "a changed run is not the notes' fault: {errors:?}");
    let replies: Vec<&Step> = timeline.steps.iter().filter(|s| s.kind == StepKind::Reply).collect();
    assert_eq!(replies[0].explanation, "The greeting.");
    assert!(replies[1].explanation.starts_with("What if:"), "{}", replies[1].explanation);
}
