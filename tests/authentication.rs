//! Email authentication in the simulated world, as a learner sees it: signatures that verify
//! after delivery, DMARC dispositions (reject at end of DATA, the Junk folder, a relay's
//! bounce), held replies while the MX asks DNS, and hostile records that stay bounded.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::mailauth::dkim::{DkimResult, verify};
use smtp_playground::message::Message;
use smtp_playground::scenario::{self, lessons};
use smtp_playground::timeline::{StepKind, Timeline};

const SEED: &str = "Y6ARp5dmuwq289Xf8qVXofyyBeWAj5EvDgeWGVmiBsQ=";
const KEY_RECORD: &str = "v=DKIM1; k=ed25519; p=D10CFQPGQO8d6rxtLgJyd5Aaww5oL9/5Nj3UBjH+/sA=";

/// The text of every message in `mailbox` on `host` at the end of the run.
fn stored(timeline: &Timeline, host: &str, mailbox: &str) -> Vec<String> {
    timeline
        .final_snapshot()
        .mailboxes
        .get(host)
        .and_then(|boxes| boxes.get(mailbox))
        .map(|messages| messages.iter().map(|m| m.data.to_string()).collect())
        .unwrap_or_default()
}

fn run_lesson(id: &str) -> Timeline {
    let lesson = lessons::get(id).expect("lesson exists");
    scenario::parse(lesson.source).expect("parses").run()
}

fn notes(timeline: &Timeline) -> Vec<&str> {
    timeline.steps.iter().filter(|s| s.kind == StepKind::Note).map(|s| s.summary.as_str()).collect()
}

/// The Authentication-Results value of a stored message, unfolded.
fn authentication_results(message: &str) -> String {
    let parsed = Message::parse(message.as_bytes()).expect("the stored message parses");
    parsed.get("Authentication-Results").map(|f| f.value()).expect("an Authentication-Results field")
}

#[test]
fn lesson_results_are_what_the_lessons_say() {
    let cases = [
        (
            "spf-spoofed",
            "bob@example.net",
            "mx.example.net; spf=fail smtp.mailfrom=ceo@example.com; dkim=none (no signature); \
             dmarc=none header.from=example.com",
        ),
        (
            "dkim-pass",
            "bob@example.net",
            "mx.example.net; spf=pass smtp.mailfrom=alice@example.com; dkim=pass header.d=example.com \
             header.s=s2026 header.a=ed25519-sha256 header.b=",
        ),
        (
            "dkim-body-changed",
            "bob@example.net/Junk",
            "mx.example.net; spf=pass smtp.mailfrom=friends-bounces@lists.example.org; dkim=fail (body hash \
             did not verify) header.d=example.com",
        ),
    ];
    for (id, mailbox, start) in cases {
        let timeline = run_lesson(id);
        let messages = stored(&timeline, "mx.example.net", mailbox);
        assert_eq!(messages.len(), 1, "{id}: one message in {mailbox}");
        let results = authentication_results(&messages[0]);
        assert!(results.starts_with(start), "{id}: {results}");
    }
    let pass =
        authentication_results(&stored(&run_lesson("dkim-pass"), "mx.example.net", "bob@example.net")[0]);
    assert!(pass.ends_with("dmarc=pass (p=quarantine dis=none) header.from=example.com"), "{pass}");
    let junk = authentication_results(
        &stored(&run_lesson("dkim-body-changed"), "mx.example.net", "bob@example.net/Junk")[0],
    );
    assert!(junk.ends_with("dmarc=fail (p=quarantine dis=quarantine) header.from=example.com"), "{junk}");
}

#[test]
fn trace_fields_are_in_rfc_order() {
    let message = &stored(&run_lesson("dkim-pass"), "mx.example.net", "bob@example.net")[0];
    let names: Vec<String> = Message::parse(message.as_bytes())
        .expect("parses")
        .fields()
        .iter()
        .take(5)
        .map(|f| f.name().to_owned())
        .collect();
    // RFC 8601 §5: A-R above the receiver's other trace fields; RFC 7208 §9.1: Received-SPF
    // above its Received:.
    assert_eq!(
        names,
        ["Return-Path", "Authentication-Results", "Received-SPF", "Received", "DKIM-Signature"]
    );
}

#[test]
fn the_delivered_signature_still_verifies_and_the_changed_one_does_not() {
    let mut zone = smtp_playground::dns::Zone::new();
    zone.add("s2026._domainkey.example.com", smtp_playground::dns::Record::Txt(vec![KEY_RECORD.to_owned()]));
    let delivered = &stored(&run_lesson("dkim-pass"), "mx.example.net", "bob@example.net")[0];
    let verdicts = verify(delivered.as_bytes(), &mut zone);
    assert_eq!(verdicts.iter().map(|v| v.result()).collect::<Vec<_>>(), [DkimResult::Pass]);
    let changed = &stored(&run_lesson("dkim-body-changed"), "mx.example.net", "bob@example.net/Junk")[0];
    let verdicts = verify(changed.as_bytes(), &mut zone);
    assert_eq!(verdicts.iter().map(|v| v.result()).collect::<Vec<_>>(), [DkimResult::Fail]);
}

#[test]
fn dmarc_reject_is_a_550_at_end_of_data_and_nothing_is_stored() {
    let timeline = run_lesson("dmarc-reject");
    assert!(timeline.outcome.delivered.is_empty());
    assert!(timeline.outcome.dsns.is_empty(), "the sending client gets the 550; nobody bounces");
    let reply = timeline
        .steps
        .iter()
        .find(|s| s.code == Some(550))
        .and_then(|s| s.wire.clone())
        .expect("a 550 reply");
    assert_eq!(reply, "550 5.7.1 Email rejected per DMARC policy for example.com\r\n");
    // The checks' notes come before the reply, and the reply waits for the last DNS answer.
    let index = |needle: &str| timeline.steps.iter().position(|s| s.summary.contains(needle)).expect(needle);
    assert!(index("SPF: 203.0.113.66 is not allowed to send for example.com (-all) → fail") < index("550"));
    let last_answer =
        timeline.steps.iter().filter(|s| s.kind == StepKind::DnsAnswer).map(|s| s.time + s.duration).max();
    let reply_time = timeline.steps.iter().find(|s| s.code == Some(550)).map(|s| s.time);
    assert_eq!(last_answer, reply_time);
}

/// A world with an authenticating MX for example.net and a policy for example.com.
fn world(dmarc: &str, extra_hosts: &str, actions: &str) -> String {
    format!(
        r#"title = "t"
description = "d"

{extra_hosts}

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
users = {{ bob = "pw" }}
authenticate = true
smtp = {{}}

[dns]
"example.com" = {{ txt = ["v=spf1 ip4:192.0.2.25 -all"] }}
"_dmarc.example.com" = {{ txt = ["{dmarc}"] }}
"example.net" = {{ mx = [[10, "mx.example.net"]] }}
"mx.example.net" = {{ a = ["198.51.100.25"] }}

{actions}
"#
    )
}

const FORGERY: &str = r#"
[[send]]
from = "mail.attacker.example"
to = "mx.example.net"
mail_from = "ceo@example.com"
rcpt_to = ["bob@example.net"]
message = """
From: ceo@example.com
To: bob@example.net
Subject: forged

Pay now.
"""
"#;

#[test]
fn quarantine_files_into_junk_and_pop3_serves_the_inbox_only() {
    let retrieve = "[[retrieve]]\nat = \"1m\"\nfrom = \"phone\"\nto = \"mx.example.net\"\nuser = \"bob\"\npassword = \"pw\"\n";
    let text = world(
        "v=DMARC1; p=quarantine",
        "[[host]]\nname = \"phone\"\nrole = \"reader\"\nip = \"198.51.100.77\"\n",
        &format!("{FORGERY}{retrieve}"),
    );
    let timeline = scenario::parse(&text).expect("parses").run();
    assert_eq!(timeline.outcome.delivered.get("bob@example.net/Junk"), Some(&1));
    assert_eq!(timeline.outcome.delivered.get("bob@example.net"), None);
    assert!(timeline.steps.iter().any(|s| s.summary == "Delivered to the Junk folder: bob@example.net/Junk"));
    let pop3: Vec<&str> = timeline
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Retrieval)
        .filter_map(|s| s.wire.as_deref())
        .collect();
    assert!(pop3.contains(&"+OK 0 0\r\n"), "{pop3:?}");
    assert!(!pop3.iter().any(|w| w.contains("forged")), "POP3 does not serve the Junk folder");
}

#[test]
fn pct_zero_turns_reject_into_quarantine() {
    let text = world("v=DMARC1; p=reject; pct=0", "", FORGERY);
    let timeline = scenario::parse(&text).expect("parses").run();
    assert_eq!(timeline.outcome.delivered.get("bob@example.net/Junk"), Some(&1), "§6.6.4");
}

#[test]
fn a_relay_refused_by_dmarc_bounces_to_the_envelope_sender() {
    // The forgery goes through an open relay first: the MX's 550 reaches the relay, whose
    // bounce then goes to the forged envelope sender (the backscatter §10.3 warns of).
    let relay = r#"[[host]]
name = "relay.attacker.example"
role = "relay"
ip = "203.0.113.67"
relay_clients = ["203.0.113.66"]
smtp = {}
"#;
    let send = FORGERY.replace("to = \"mx.example.net\"", "to = \"relay.attacker.example\"");
    let text = world("v=DMARC1; p=reject", relay, &send);
    let timeline = scenario::parse(&text).expect("parses").run();
    assert_eq!(timeline.outcome.dsns, ["failed: bob@example.net (5.7.1)"]);
    assert!(timeline.outcome.delivered.is_empty());
}

#[test]
fn two_messages_typed_in_one_go_are_each_checked_in_order() {
    let message = "From: ceo@example.com\r\nSubject: one\r\n\r\nhi\r\n.\r\n";
    let lines = [
        "EHLO mail.attacker.example".to_owned(),
        format!(
            "MAIL FROM:<ceo@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n{message}MAIL \
             FROM:<ceo@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n{}QUIT\r\n",
            message.replace("one", "two")
        ),
    ];
    let typed = format!(
        "[[type]]\nfrom = \"mail.attacker.example\"\nto = \"mx.example.net\"\nlines = [{}]\n",
        lines.iter().map(|l| format!("{l:?}")).collect::<Vec<_>>().join(", ")
    );
    for (policy, delivered) in [("v=DMARC1; p=none", 2), ("v=DMARC1; p=reject", 0)] {
        let text = world(policy, "", &typed);
        let timeline = scenario::parse(&text).expect("parses").run();
        assert!(!timeline.outcome.truncated);
        assert_eq!(
            timeline.outcome.delivered.get("bob@example.net").copied().unwrap_or(0),
            delivered,
            "{policy}"
        );
        let dmarc_notes = notes(&timeline).iter().filter(|n| n.starts_with("DMARC:")).count();
        assert_eq!(dmarc_notes, 2, "{policy}: each message is checked");
        // Replies keep their order, and time never runs backwards.
        let codes: Vec<u16> = timeline.steps.iter().filter_map(|s| s.code).filter(|&c| c >= 200).collect();
        let want = if delivered > 0 { 250 } else { 550 };
        assert!(codes.iter().filter(|&&c| c == want).count() >= 2, "{policy}: {codes:?}");
        assert_eq!(codes.last(), Some(&221), "{policy}: {codes:?}");
        assert!(timeline.steps.windows(2).all(|w| w[0].time <= w[1].time));
    }
}

#[test]
fn hostile_spf_records_stay_bounded() {
    // Eleven includes, each a lookup: SPF stops at ten (permerror) and the DNS lane shows at
    // most a dozen pairs for the check.
    let mut dns = String::new();
    for i in 0..12 {
        dns.push_str(&format!(
            "\"i{i}.example\" = {{ txt = [\"v=spf1 include:i{}.example -all\"] }}\n",
            i + 1
        ));
    }
    let text = world("v=DMARC1; p=none", "", FORGERY).replace(
        "\"example.com\" = { txt = [\"v=spf1 ip4:192.0.2.25 -all\"] }",
        &format!("\"example.com\" = {{ txt = [\"v=spf1 include:i0.example -all\"] }}\n{dns}"),
    );
    let timeline = scenario::parse(&text).expect("parses").run();
    assert!(
        notes(&timeline).iter().any(|n| n.starts_with("SPF:") && n.ends_with("→ permerror")),
        "{:?}",
        notes(&timeline)
    );
    let spf_queries = timeline.steps.iter().filter(|s| s.summary.starts_with("DNS query (SPF)")).count();
    assert!(spf_queries <= 12, "{spf_queries}");
    assert_eq!(timeline.outcome.delivered.get("bob@example.net"), Some(&1));
}

#[test]
fn signing_covers_only_its_own_domain() {
    let text = format!(
        r#"title = "t"
description = "d"

[[host]]
name = "laptop.example.org"
role = "client"
ip = "192.0.2.10"

[[host]]
name = "smtp.example.com"
role = "submission"
ip = "192.0.2.25"
domains = ["example.com"]
relay_clients = ["192.0.2.10"]
dkim_sign = {{ domain = "example.com", selector = "s2026", seed = "{SEED}" }}
smtp = {{}}

[[host]]
name = "mx.example.net"
role = "mx"
ip = "198.51.100.25"
domains = ["example.net"]
authenticate = true
smtp = {{}}

[dns]
"example.net" = {{ mx = [[10, "mx.example.net"]] }}
"mx.example.net" = {{ a = ["198.51.100.25"] }}
"s2026._domainkey.example.com" = {{ txt = ["{KEY_RECORD}"] }}

[[send]]
from = "laptop.example.org"
to = "smtp.example.com"
mail_from = "carol@example.org"
rcpt_to = ["bob@example.net"]
message = "From: carol@example.org\nSubject: not ours\n\nhi\n"

[[send]]
at = "1s"
from = "laptop.example.org"
to = "smtp.example.com"
mail_from = "alice@news.example.com"
rcpt_to = ["bob@example.net"]
message = "From: alice@news.example.com\nSubject: ours\n\nhi\n"
"#
    );
    let timeline = scenario::parse(&text).expect("parses").run();
    let messages = stored(&timeline, "mx.example.net", "bob@example.net");
    assert_eq!(messages.len(), 2);
    assert!(!messages[0].contains("DKIM-Signature"), "example.org is not signed for");
    assert!(messages[1].contains("DKIM-Signature"), "a subdomain of example.com is");
    assert!(authentication_results(&messages[1]).contains("dkim=pass header.d=example.com"));
}
