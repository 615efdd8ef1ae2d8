//! Routing rules of the simulated relays that no lesson shows on its own.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::scenario;

const WORLD: &str = r#"
title = "t"
description = "d"
[[host]]
name = "smtp.example.com"
role = "submission"
ip = "192.0.2.25"
domains = ["example.com"]
relay_clients = ["192.0.2.10"]
smtp = {}
[[host]]
name = "pc.example.com"
role = "client"
ip = "192.0.2.10"
[[host]]
name = "example.net"
role = "mx"
ip = "198.51.100.25"
domains = ["example.net"]
smtp = {}
"#;

fn send(dns: &str) -> smtp_playground::timeline::Timeline {
    let text = format!(
        "{WORLD}{dns}\n[[send]]\nfrom = \"pc.example.com\"\nto = \"smtp.example.com\"\nmail_from = \"a@example.com\"\nrcpt_to = [\"b@example.net\"]\nnotify = \"DELAY,FAILURE\"\nmessage = \"Subject: x\\n\\nhi\\n\"\n"
    );
    scenario::parse(&text).expect("valid").run()
}

#[test]
fn a_domain_without_mx_records_is_its_own_implicit_mx() {
    // RFC 5321 §5.1: no MX records, but an A record: deliver to the domain itself.
    let timeline = send("[dns]\n\"example.net\" = { a = [\"198.51.100.25\"] }");
    assert!(timeline.steps.iter().any(|s| s.summary.contains("implicit MX")));
    assert_eq!(timeline.outcome.delivered.get("b@example.net"), Some(&1));
}

#[test]
fn a_dns_timeout_is_temporary_and_a_delayed_dsn_is_sent_when_asked() {
    // A timeout is retried, not bounced (§5.1); after the delay warning time the sender,
    // who asked for NOTIFY=DELAY, gets a "delayed" DSN, and after max_age a "failed" one.
    let text = format!(
        "{WORLD}[retry]\nintervals = [\"1h\"]\nmax_age = \"6h\"\ndelay_warning = \"2h\"\n[dns]\n\"example.net\" = {{ timeout = true }}\n[[send]]\nfrom = \"pc.example.com\"\nto = \"smtp.example.com\"\nmail_from = \"a@example.com\"\nrcpt_to = [\"b@example.net\"]\nnotify = \"DELAY,FAILURE\"\nmessage = \"Subject: x\\n\\nhi\\n\"\n"
    );
    let timeline = scenario::parse(&text).expect("valid").run();
    assert_eq!(timeline.outcome.dsns, ["delayed: b@example.net (4.4.3)", "failed: b@example.net (5.4.7)"]);
    assert_eq!(timeline.outcome.delivered.get("a@example.com"), Some(&2));
}

#[test]
fn equal_preference_mx_hosts_are_tried_in_seeded_random_order() {
    // §5.1: equal preferences are shuffled; the seed makes the order repeatable.
    let dns = "[dns]\n\"example.net\" = { mx = [[10, \"a.example.net\"], [10, \"b.example.net\"], [10, \"c.example.net\"]] }";
    let orders: Vec<String> = (1..=6)
        .map(|seed| {
            let text = format!("seed = {seed}\n{}", &send_text(dns));
            let timeline = scenario::parse(&text).expect("valid").run();
            timeline
                .steps
                .iter()
                .filter(|s| s.summary.starts_with("DNS query: A address of"))
                .map(|s| s.summary.clone())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    assert!(
        orders.iter().collect::<std::collections::BTreeSet<_>>().len() > 1,
        "different seeds, different orders: {orders:?}"
    );
    let again = scenario::parse(&format!("seed = 1\n{}", send_text(dns))).expect("valid").run();
    assert_eq!(scenario::parse(&format!("seed = 1\n{}", send_text(dns))).expect("valid").run(), again);
}

fn send_text(dns: &str) -> String {
    format!(
        "{WORLD}{dns}\n[[send]]\nfrom = \"pc.example.com\"\nto = \"smtp.example.com\"\nmail_from = \"a@example.com\"\nrcpt_to = [\"b@example.net\"]\nmessage = \"Subject: x\\n\\nhi\\n\"\n"
    )
}

#[test]
fn an_mx_host_with_only_an_ipv6_address_is_reached_over_aaaa() {
    // RFC 5321 §5.1: the MX name must have an address record, A or AAAA.
    let text = WORLD.replace("ip = \"198.51.100.25\"", "ip = \"2001:db8::25\"");
    let text = format!(
        "{text}[dns]\n\"example.net\" = {{ mx = [[10, \"mx6.example.net\"]] }}\n\"mx6.example.net\" = {{ aaaa = [\"2001:db8::25\"] }}\n[[send]]\nfrom = \"pc.example.com\"\nto = \"smtp.example.com\"\nmail_from = \"a@example.com\"\nrcpt_to = [\"b@example.net\"]\nmessage = \"Subject: x\\n\\nhi\\n\"\n"
    );
    let timeline = scenario::parse(&text).expect("valid").run();
    assert!(timeline.steps.iter().any(|s| s.summary == "DNS answer: mx6.example.net AAAA 2001:db8::25"));
    assert_eq!(timeline.outcome.delivered.get("b@example.net"), Some(&1));
}
