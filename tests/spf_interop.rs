//! SPF against pyspf, an implementation we did not write: for a table of published records
//! and connecting clients, pyspf and `mailauth::spf` must give the same result (RFC 7208 §2.6),
//! and the same `exp=` explanation for a `fail` (§6.2). pyspf reads the very zone the
//! simulation uses, through `tests/interop/spf_peer.py`, which replaces its DNS lookups.
//!
//! The OpenSPF suite (tests/spf_suite.rs) checks us against the RFC's expected answers; this
//! table checks that a second real implementation agrees case by case, including the
//! cases where the suite allows more than one answer.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use smtp_playground::dns::{Record, RecordType, Zone};
use smtp_playground::mailauth::spf::Verifier;

fn txt(text: &str) -> Record {
    Record::Txt(vec![text.to_owned()])
}

fn a(ip: &str) -> Record {
    Record::A(ip.parse().expect("an IPv4 constant"))
}

/// The published records: one domain per mechanism or failure mode worth comparing.
fn zone() -> Zone {
    let mut zone = Zone::new();
    let mut add = |name: &str, record: Record| zone.add(name, record);
    // (the closure's borrow of `zone` ends at its last use, before the timeouts below)
    add("ip4.example", txt("v=spf1 ip4:192.0.2.0/24 -all"));
    add("amx.example", txt("v=spf1 a mx -all"));
    add("amx.example", a("198.51.100.1"));
    add("amx.example", Record::Mx { preference: 10, exchange: "mx.amx.example".into() });
    add("mx.amx.example", a("198.51.100.2"));
    add("include.example", txt("v=spf1 include:ip4.example ~all"));
    add("redirect.example", txt("v=spf1 redirect=ip4.example"));
    add("neutral.example", txt("v=spf1 ?all"));
    add("nospf.example", txt("hello, world"));
    add("two.example", txt("v=spf1 -all"));
    add("two.example", txt("v=spf1 +all"));
    add("ip6.example", txt("v=spf1 ip6:2001:db8::/32 -all"));
    add("exists.example", txt("v=spf1 exists:%{i}._spf.exists.example -all"));
    add("192.0.2.77._spf.exists.example", a("127.0.0.2"));
    add("badinclude.example", txt("v=spf1 include:nowhere.example -all"));
    // Eleven DNS-querying terms: one over the limit of ten (§4.6.4).
    let chain: Vec<String> = (1..=11).map(|i| format!("a:h{i}.lots.example")).collect();
    add("lots.example", txt(&format!("v=spf1 {} -all", chain.join(" "))));
    for i in 1..=11 {
        add(&format!("h{i}.lots.example"), a("203.0.113.200"));
    }
    add("exp.example", txt("v=spf1 -all exp=why.exp.example"));
    add("why.exp.example", txt("%{i} is not one of %{d}'s senders"));
    add("cidr.example", txt("v=spf1 a/24 -all"));
    add("cidr.example", a("203.0.113.5"));
    add("ptr.example", txt("v=spf1 ptr -all"));
    add("7.2.0.192.in-addr.arpa", Record::Ptr("host.ptr.example".into()));
    add("host.ptr.example", a("192.0.2.7"));
    add("syntax.example", txt("v=spf1 ip4:300.1.1.1 -all"));
    add("unknownmod.example", txt("v=spf1 foo=bar ip4:192.0.2.1 -all"));
    add("badmech.example", txt("v=spf1 frobnicate -all"));
    add("void.example", txt("v=spf1 a:v1.void.example a:v2.void.example a:v3.void.example -all"));
    add("alias.example", Record::Cname("ip4.example".into()));
    add("softfail.example", txt("v=spf1 ip4:198.51.100.0/24 ~all"));
    add("upper.example", txt("V=SPF1 IP4:192.0.2.1 -ALL"));
    add("split.example", Record::Txt(vec!["v=spf1 ip4:192.0.2.1".into(), " ip4:192.0.2.2 -all".into()]));
    add("helo.example", txt("v=spf1 a -all"));
    add("helo.example", a("192.0.2.99"));
    add("slow.example", txt("v=spf1 include:timeout.example -all"));
    add("macro.example", txt("v=spf1 exists:%{l1r-}.%{o}.m.example -all"));
    add("alice.macro.example.m.example", a("127.0.0.2"));
    zone.add_timeout("timeout.example", Some(RecordType::Txt));
    zone
}

/// `(client ip, MAIL FROM, HELO)`: MAIL FROM empty is the null reverse-path.
const CASES: &[(&str, &str, &str)] = &[
    ("192.0.2.10", "alice@ip4.example", "client.example"),
    ("198.51.100.10", "alice@ip4.example", "client.example"),
    ("198.51.100.1", "bob@amx.example", "client.example"),
    ("198.51.100.2", "bob@amx.example", "client.example"),
    ("198.51.100.3", "bob@amx.example", "client.example"),
    ("192.0.2.10", "carol@include.example", "client.example"),
    ("198.51.100.10", "carol@include.example", "client.example"),
    ("192.0.2.10", "dave@redirect.example", "client.example"),
    ("198.51.100.10", "dave@redirect.example", "client.example"),
    ("192.0.2.10", "erin@neutral.example", "client.example"),
    ("192.0.2.10", "frank@nospf.example", "client.example"),
    ("192.0.2.10", "grace@unknown-domain.example", "client.example"),
    ("192.0.2.10", "heidi@two.example", "client.example"),
    ("2001:db8::25", "ivan@ip6.example", "client.example"),
    ("2001:db9::25", "ivan@ip6.example", "client.example"),
    ("192.0.2.10", "ivan@ip6.example", "client.example"),
    ("192.0.2.77", "judy@exists.example", "client.example"),
    ("192.0.2.78", "judy@exists.example", "client.example"),
    ("192.0.2.10", "mallory@badinclude.example", "client.example"),
    ("203.0.113.200", "niaj@lots.example", "client.example"),
    ("192.0.2.10", "olivia@exp.example", "client.example"),
    ("203.0.113.99", "peggy@cidr.example", "client.example"),
    ("203.0.114.99", "peggy@cidr.example", "client.example"),
    ("192.0.2.7", "rupert@ptr.example", "client.example"),
    ("192.0.2.8", "rupert@ptr.example", "client.example"),
    ("192.0.2.10", "sybil@syntax.example", "client.example"),
    ("192.0.2.1", "trent@unknownmod.example", "client.example"),
    ("192.0.2.1", "victor@badmech.example", "client.example"),
    ("192.0.2.10", "walter@void.example", "client.example"),
    ("192.0.2.10", "alice@alias.example", "client.example"),
    ("192.0.2.10", "bob@softfail.example", "client.example"),
    ("192.0.2.1", "carol@upper.example", "client.example"),
    ("192.0.2.2", "dave@split.example", "client.example"),
    ("192.0.2.3", "dave@split.example", "client.example"),
    ("192.0.2.99", "", "helo.example"),
    ("192.0.2.98", "", "helo.example"),
    ("192.0.2.10", "erin@slow.example", "client.example"),
    ("192.0.2.10", "alice@macro.example", "client.example"),
    ("192.0.2.10", "bob@macro.example", "client.example"),
    ("::ffff:192.0.2.10", "alice@ip4.example", "client.example"),
];

#[test]
fn pyspf_agrees_with_our_spf_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(python.exists(), "{} is missing: run `scripts/setup.sh test` first", python.display());
    let mut zone = zone();
    let cases: Vec<serde_json::Value> = CASES
        .iter()
        .map(|(ip, sender, helo)| serde_json::json!({ "ip": ip, "sender": sender, "helo": helo }))
        .collect();
    let table = serde_json::json!({ "zone": &zone, "cases": cases });

    let mut child = Command::new(&python)
        .arg(root.join("tests/interop/spf_peer.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pyspf");
    child.stdin.take().expect("stdin").write_all(table.to_string().as_bytes()).expect("write the table");
    let output = child.wait_with_output().expect("pyspf runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "spf_peer.py failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let theirs: Vec<&str> = stdout.lines().collect();
    assert_eq!(theirs.len(), CASES.len(), "one answer per case:\n{stdout}");

    let mut disagreements = Vec::new();
    let mut results = std::collections::BTreeMap::<String, usize>::new();
    for ((ip, sender, helo), line) in CASES.iter().zip(&theirs) {
        let (their_result, their_explanation) = line.split_once('\t').unwrap_or((line, ""));
        let ip: IpAddr = ip.parse().expect("an IP constant");
        let ours = Verifier::default().check_mail_from(&mut zone, ip, sender, helo);
        *results.entry(ours.result.as_str().to_owned()).or_default() += 1;
        let our_explanation = ours.explanation.clone().unwrap_or_default();
        // pyspf gives its default text when a fail has no exp=; compare only real exp= texts.
        let compare_explanation = sender.ends_with("@exp.example");
        if ours.result.as_str() != their_result
            || (compare_explanation && our_explanation != their_explanation)
        {
            disagreements.push(format!(
                "{ip} MAIL FROM:<{sender}> HELO {helo}: pyspf {their_result} {their_explanation:?}, \
                 ours {} {our_explanation:?} ({:?})",
                ours.result.as_str(),
                ours.problem
            ));
        }
    }
    println!("{} cases, results {results:?}", CASES.len());
    assert!(disagreements.is_empty(), "pyspf and mailauth::spf disagree:\n{}", disagreements.join("\n"));
    // The table is only worth something if it covers every result.
    for result in ["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"] {
        assert!(results.contains_key(result), "no case ends in {result}: {results:?}");
    }
}
