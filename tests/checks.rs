//! The verification traces as the player gets them: every SPF, DKIM and DMARC verdict step
//! carries its check row by row, the evidence is on the row (both body hashes), and the DNS
//! lookups of each method cite that method's own RFC.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::mailauth::check::{Mark, Method, Verdict};
use smtp_playground::scenario::{self, lessons};
use smtp_playground::timeline::{Step, StepKind, Timeline};

fn run(source: &str) -> Timeline {
    scenario::parse(source).expect("parses").run()
}

fn run_lesson(id: &str) -> Timeline {
    run(lessons::get(id).expect("lesson exists").source)
}

/// The method a verdict step reports, by its summary (`SPF: … → fail`).
fn reported_method(step: &Step) -> Option<Method> {
    if step.kind != StepKind::Note {
        return None;
    }
    Method::ALL.into_iter().find(|m| step.summary.starts_with(&format!("{}: ", m.name())))
}

#[test]
fn every_verification_step_of_every_lesson_has_a_check() {
    let mut checked = 0;
    for lesson in lessons::ALL {
        let timeline = run(lesson.source);
        for (i, step) in timeline.steps.iter().enumerate() {
            let at = format!("{} step {}: {}", lesson.id, i + 1, step.summary);
            let Some(method) = reported_method(step) else {
                assert_eq!(step.check, None, "{at}: a check on a step that reports none");
                continue;
            };
            let check = step.check.as_ref().unwrap_or_else(|| panic!("{at}: no check"));
            checked += 1;
            assert_eq!(check.method, method, "{at}");
            assert!(!check.rows.is_empty(), "{at}: no rows");
            assert!(
                step.summary.contains(&format!("→ {}", check.verdict.word())),
                "{at}: the summary and the check's verdict ({}) disagree",
                check.verdict
            );
            // The last row with a verdict is the check's own result (DMARC's disposition and
            // reply may follow it).
            assert_eq!(check.rows.iter().rev().find_map(|r| r.verdict), Some(check.verdict), "{at}");
            assert!(check.rows.iter().all(|r| !r.label.is_empty() && !r.text.is_empty()), "{at}");
            assert!(
                check.rows.iter().filter_map(|r| r.section.as_deref()).all(|s| s.starts_with('§')),
                "{at}: a row's section is a section of the method's own RFC"
            );
            // The explanation is prose: the trace is in the rows, not packed into text lines.
            assert!(!step.explanation.contains('\n'), "{at}: {:?}", step.explanation);
            assert!(!step.explanation.contains("§6.1.3"), "{at}: {:?}", step.explanation);
        }
    }
    // spf-spoofed, dmarc-reject, dkim-pass and dkim-body-changed: three checks each.
    assert!(checked >= 12, "{checked} verification steps in the library");
}

#[test]
fn a_mismatched_body_hash_shows_both_hashes() {
    let timeline = run_lesson("dkim-body-changed");
    let step = timeline
        .steps
        .iter()
        .find(|s| s.summary.starts_with("DKIM: body hash mismatch"))
        .expect("the DKIM verdict step");
    let check = step.check.as_ref().expect("a check");
    assert_eq!((check.method, check.verdict), (Method::Dkim, Verdict::Fail));
    let subject: Vec<(&str, &str)> =
        check.subject.iter().map(|f| (f.label.as_str(), f.value.as_str())).collect();
    assert_eq!(subject, [("signing domain (d=)", "example.com"), ("selector (s=)", "s2026")]);
    let row = check.rows.iter().find(|r| r.label == "body hash").expect("a body hash row");
    assert_eq!((row.mark, row.verdict), (Some(Mark::NoMatch), Some(Verdict::Fail)));
    assert_eq!(row.section.as_deref(), Some("§6.1.3"));
    let [computed, claimed] = row.values.as_slice() else { panic!("two values: {:?}", row.values) };
    assert_eq!((computed.label.as_str(), claimed.label.as_str()), ("computed", "claimed (bh=)"));
    assert_ne!(computed.value, claimed.value);
    // Both whole: the claimed one is the bh= the signer wrote.
    let signed = timeline
        .steps
        .iter()
        .find_map(|s| s.wire.as_deref().filter(|w| w.starts_with("DKIM-Signature:")))
        .expect("the signing step's field");
    let unfolded = signed.replace("\r\n", "").replace([' ', '\t'], "");
    assert!(unfolded.contains(&format!("bh={};", claimed.value)), "{signed}");
    assert_eq!(computed.value.len(), 44, "a whole base64 SHA-256");
    // The tags are there one by one, b= kept whole for the player to elide.
    let b = check.rows.iter().find(|r| r.label == "b=").expect("b= row");
    assert_eq!(b.values.first().map(|v| v.value.len()), Some(88), "an Ed25519 signature in base64");
    assert!(check.rows.iter().any(|r| r.label == "d=example.com" && r.depth == 1));
}

#[test]
fn dmarc_rows_show_each_identifier_and_its_alignment() {
    let timeline = run_lesson("dkim-body-changed");
    let check = timeline.steps.iter().find_map(|s| s.check.as_ref().filter(|c| c.method == Method::Dmarc));
    let check = check.expect("a DMARC check");
    let row = |label: &str| check.rows.iter().find(|r| r.label == label).unwrap_or_else(|| panic!("{label}"));
    let dkim = row("DKIM d=example.com");
    assert_eq!((dkim.verdict, dkim.mark), (Some(Verdict::Fail), Some(Mark::Aligned)));
    let spf = row("SPF lists.example.org");
    assert_eq!((spf.verdict, spf.mark), (Some(Verdict::Pass), Some(Mark::NotAligned)));
    assert!(spf.text.contains("relaxed"), "{}", spf.text);
    assert!(row("disposition").text.starts_with("quarantine"));
    let subject: Vec<&str> = check.subject.iter().map(|f| f.value.as_str()).collect();
    assert_eq!(subject, ["example.com", "p=quarantine"]);
}

#[test]
fn the_authentication_lookups_cite_their_own_rfc() {
    for id in ["spf-spoofed", "dmarc-reject", "dkim-pass", "dkim-body-changed"] {
        let timeline = run_lesson(id);
        let mut seen = 0;
        for pair in timeline.steps.windows(2) {
            let [query, answer] = pair else { continue };
            let want = if query.summary.starts_with("DNS query (SPF)") {
                "RFC 7208 §4.4"
            } else if query.summary.starts_with("DNS query (DKIM)") {
                "RFC 6376 §3.6.2.2"
            } else if query.summary.starts_with("DNS query (DMARC)") {
                "RFC 7489 §6.6.3"
            } else if query.kind == StepKind::DnsQuery {
                // Routing: where to deliver.
                assert_eq!(query.rfc.as_deref(), Some("RFC 5321 §5.1"), "{id}: {}", query.summary);
                continue;
            } else {
                continue;
            };
            seen += 1;
            assert_eq!(query.rfc.as_deref(), Some(want), "{id}: {}", query.summary);
            assert_eq!(answer.kind, StepKind::DnsAnswer, "{id}");
            assert_eq!(answer.rfc.as_deref(), Some(want), "{id}: {}", answer.summary);
        }
        assert!(seen >= 2, "{id}: {seen} authentication lookups");
    }
}

/// An authenticating MX for example.net, and a forged message from example.com whose SPF
/// record is `spf`; `dns` adds records.
fn forgery(spf: &str, dns: &str) -> String {
    format!(
        r#"title = "t"
description = "d"

[[host]]
name = "mail.attacker.example"
role = "client"
ip = "203.0.113.66"

[[host]]
name = "mx.example.net"
role = "mx"
ip = "198.51.100.25"
domains = ["example.net"]
mailboxes = ["bob@example.net"]
authenticate = true
smtp = {{}}

[dns]
"example.com" = {{ txt = ["{spf}"] }}
"_dmarc.example.com" = {{ txt = ["v=DMARC1; p=none"] }}
"example.net" = {{ mx = [[10, "mx.example.net"]] }}
"mx.example.net" = {{ a = ["198.51.100.25"] }}
{dns}

[[send]]
from = "mail.attacker.example"
to = "mx.example.net"
mail_from = "ceo@example.com"
rcpt_to = ["bob@example.net"]
message = "From: ceo@example.com\nSubject: forged\n\nPay now.\n"
"#
    )
}

/// A row's depth, label, section, mark and verdict.
type RowShape<'a> = (u8, &'a str, Option<&'a str>, Option<Mark>, Option<Verdict>);

#[test]
fn spf_rows_go_term_by_term_with_includes_nested() {
    let text = forgery(
        "v=spf1 a:mail.example.com include:_spf.example.org ~all",
        r#""mail.example.com" = { a = ["192.0.2.7"] }
"_spf.example.org" = { txt = ["v=spf1 mx:example.org -all"] }
"example.org" = { mx = [[10, "mx.example.org"]] }
"mx.example.org" = { a = ["192.0.2.8"] }"#,
    );
    let timeline = run(&text);
    let step = timeline.steps.iter().find(|s| s.summary.starts_with("SPF: ")).expect("the SPF verdict");
    let check = step.check.as_ref().expect("a check");
    assert_eq!(check.verdict, Verdict::SoftFail);
    let rows: Vec<RowShape<'_>> = check
        .rows
        .iter()
        .map(|r| (r.depth, r.label.as_str(), r.section.as_deref(), r.mark, r.verdict))
        .collect();
    assert_eq!(
        rows,
        [
            (0, "record", Some("§4.5"), None, None),
            (0, "a:mail.example.com", Some("§5.3"), Some(Mark::NoMatch), None),
            (1, "DNS A mail.example.com", Some("§5.3"), None, None),
            (0, "include:_spf.example.org", Some("§5.2"), Some(Mark::NoMatch), None),
            (1, "record", Some("§4.5"), None, None),
            (1, "mx:example.org", Some("§5.4"), Some(Mark::NoMatch), None),
            (2, "DNS MX example.org", Some("§5.4"), None, None),
            (2, "DNS A mx.example.org", Some("§5.4"), None, None),
            (1, "-all", Some("§5.1"), Some(Mark::Match), Some(Verdict::Fail)),
            (1, "result", Some("§2.6.4"), None, Some(Verdict::Fail)),
            (0, "~all", Some("§5.1"), Some(Mark::Match), Some(Verdict::SoftFail)),
            (0, "result", Some("§2.6.5"), None, Some(Verdict::SoftFail)),
        ],
        "{:#?}",
        check.lines()
    );
    // What each term was compared with, in words.
    assert!(check.rows[1].text.contains("203.0.113.66"), "{}", check.rows[1].text);
    assert!(check.rows[3].text.contains("include matches only on pass"), "{}", check.rows[3].text);
    // Each lookup on the DNS lane cites the rule that asked it.
    let cited: Vec<(&str, &str)> = timeline
        .steps
        .iter()
        .filter(|s| s.summary.starts_with("DNS query (SPF)"))
        .map(|s| (s.summary.as_str(), s.rfc.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(
        cited,
        [
            ("DNS query (SPF): TXT example.com?", "RFC 7208 §4.4"),
            ("DNS query (SPF): A mail.example.com?", "RFC 7208 §5.3"),
            ("DNS query (SPF): TXT _spf.example.org?", "RFC 7208 §4.4"),
            ("DNS query (SPF): MX example.org?", "RFC 7208 §5.4"),
            ("DNS query (SPF): A mx.example.org?", "RFC 7208 §5.4"),
        ]
    );
}

#[test]
fn a_redirect_and_an_exists_are_rows_too() {
    let text = forgery(
        "v=spf1 redirect=_spf.example.com",
        r#""_spf.example.com" = { txt = ["v=spf1 exists:%{i}.ok.example.com -all"] }"#,
    );
    let timeline = run(&text);
    let check = timeline.steps.iter().find_map(|s| s.check.as_ref()).expect("the SPF check");
    let labels: Vec<(u8, &str)> = check.rows.iter().map(|r| (r.depth, r.label.as_str())).collect();
    assert_eq!(
        labels,
        [
            (0, "record"),
            (0, "redirect=_spf.example.com"),
            (1, "record"),
            (1, "exists:%{i}.ok.example.com"),
            (2, "DNS A 203.0.113.66.ok.example.com"),
            (1, "-all"),
            (1, "result"),
            (0, "result"),
        ],
        "{:#?}",
        check.lines()
    );
    assert_eq!(check.rows[1].section.as_deref(), Some("§6.1"));
    let exists =
        timeline.steps.iter().find(|s| s.summary.contains("ok.example.com?")).expect("exists lookup");
    assert_eq!(exists.rfc.as_deref(), Some("RFC 7208 §5.7"));
}

#[test]
fn checks_survive_json() {
    let timeline = run_lesson("dkim-body-changed");
    let json = serde_json::to_string(&timeline).expect("serializes");
    let back: Timeline = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, timeline);
    // Steps without a check carry no `check` key at all.
    let first = serde_json::to_value(&timeline.steps[0]).expect("json");
    assert!(first.get("check").is_none(), "{first}");
}
