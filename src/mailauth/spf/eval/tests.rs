//! Evaluation tests: results, limits, DNS errors, explanations, and hostile records.

use std::net::IpAddr;

use super::*;
use crate::dns::Zone;
use crate::mailauth::spf::{SpfOutcome, Verifier, check_host};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or_else(|_| panic!("test address {text}"))
}

fn txt(zone: &mut Zone, name: &str, text: &str) {
    zone.add(name, Record::Txt(vec![text.to_owned()]));
}

fn a(zone: &mut Zone, name: &str, address: &str) {
    zone.add(name, Record::A(address.parse().expect("IPv4 address")));
}

fn check(zone: &mut Zone, client: &str, domain: &str) -> SpfOutcome {
    check_host(zone, ip(client), domain, &format!("user@{domain}"), "mx.example.org")
}

#[test]
fn pass_fail_and_the_trace() {
    let mut zone = Zone::new();
    txt(&mut zone, "example.com", "v=spf1 ip4:192.0.2.0/24 a:mail.example.com -all exp=why.example.com");
    txt(&mut zone, "why.example.com", "%{i} may not send for %{d}");
    a(&mut zone, "mail.example.com", "198.51.100.7");

    let pass = check(&mut zone, "192.0.2.99", "example.com");
    assert_eq!((pass.result, pass.mechanism.as_deref()), (SpfResult::Pass, Some("ip4:192.0.2.0/24")));
    assert_eq!(pass.explanation, None);

    let pass = check(&mut zone, "198.51.100.7", "example.com");
    assert_eq!((pass.result, pass.mechanism.as_deref()), (SpfResult::Pass, Some("a:mail.example.com")));

    let fail = check(&mut zone, "203.0.113.1", "example.com");
    assert_eq!((fail.result, fail.mechanism.as_deref()), (SpfResult::Fail, Some("-all")));
    assert_eq!(fail.explanation.as_deref(), Some("203.0.113.1 may not send for example.com"));
    assert_eq!(fail.authentication_results(), "spf=fail smtp.mailfrom=user@example.com");

    let kinds: Vec<&StepKind> = fail.trace.iter().map(|s| &s.kind).collect();
    assert!(
        matches!(kinds[0], StepKind::Query { name, record_type: RecordType::Txt, purpose: Purpose::Record, .. } if name == "example.com")
    );
    assert!(matches!(kinds[1], StepKind::Record { domain, .. } if domain == "example.com"));
    assert!(
        matches!(kinds[2], StepKind::Term { term, outcome: TermOutcome::NoMatch, .. } if term == "ip4:192.0.2.0/24")
    );
    assert!(fail.trace.iter().any(|s| s.description.contains("mail.example.com? A 198.51.100.7")));
    assert!(matches!(kinds.last(), Some(StepKind::Result { result: SpfResult::Fail, .. })));
    assert!(fail.trace.iter().all(|s| !s.description.is_empty() && !s.description.contains('\n')));
}

#[test]
fn record_selection() {
    let mut zone = Zone::new();
    txt(&mut zone, "none.example", "v=spf10 -all");
    txt(&mut zone, "none.example", "some other text");
    txt(&mut zone, "two.example", "v=spf1 -all");
    txt(&mut zone, "two.example", "V=SPF1 +all");
    txt(&mut zone, "case.example", "V=Spf1 ~all");
    zone.add("split.example", Record::Txt(vec!["v=spf1 ip4:".into(), "192.0.2.1 -all".into()]));
    assert_eq!(check(&mut zone, "192.0.2.1", "none.example").result, SpfResult::None);
    assert_eq!(check(&mut zone, "192.0.2.1", "nowhere.example").result, SpfResult::None);
    assert_eq!(check(&mut zone, "192.0.2.1", "two.example").result, SpfResult::PermError);
    assert_eq!(check(&mut zone, "192.0.2.1", "case.example").result, SpfResult::SoftFail);
    assert_eq!(check(&mut zone, "192.0.2.1", "split.example").result, SpfResult::Pass);
}

#[test]
fn initial_processing_gives_none_for_malformed_domains() {
    let mut zone = Zone::new();
    for domain in
        ["", ".", "localhost", "a..example.com", "[192.0.2.1]", &format!("{}.example", "x".repeat(64))]
    {
        let outcome = check(&mut zone, "192.0.2.1", domain);
        assert_eq!(outcome.result, SpfResult::None, "{domain:?}");
        assert!(zone_untouched(&outcome), "{domain:?}: no DNS query for a malformed domain");
    }
}

fn zone_untouched(outcome: &SpfOutcome) -> bool {
    !outcome.trace.iter().any(|s| matches!(s.kind, StepKind::Query { .. }))
}

#[test]
fn helo_and_null_reverse_path() {
    let mut zone = Zone::new();
    txt(&mut zone, "mx.example.org", "v=spf1 ip4:192.0.2.25 -all");
    let verifier = Verifier { receiver: "mx.example.net", now: 1_700_000_000 };
    let helo = verifier.check_helo(&mut zone, ip("192.0.2.25"), "mx.example.org");
    assert_eq!(
        (helo.result, helo.identity, helo.sender.as_str()),
        (SpfResult::Pass, Identity::Helo, "postmaster@mx.example.org")
    );
    assert_eq!(helo.authentication_results(), "spf=pass smtp.helo=mx.example.org");
    let null = verifier.check_mail_from(&mut zone, ip("192.0.2.26"), "", "mx.example.org");
    assert_eq!(
        (null.result, null.identity, null.domain.as_str()),
        (SpfResult::Fail, Identity::MailFrom, "mx.example.org")
    );
    assert_eq!(null.received_spf().split(' ').next(), Some("fail"));
    assert_eq!(verifier.check_helo(&mut zone, ip("192.0.2.25"), "OEMCOMPUTER").result, SpfResult::None);
    let no_local = verifier.check_mail_from(&mut zone, ip("192.0.2.25"), "@mx.example.org", "x.example");
    assert_eq!((no_local.result, no_local.sender.as_str()), (SpfResult::Pass, "postmaster@mx.example.org"));
}

#[test]
fn ipv4_mapped_clients_are_ipv4() {
    let mut zone = Zone::new();
    txt(&mut zone, "example.com", "v=spf1 ip6:::ffff:0:0/96 ip4:192.0.2.1 -all");
    let outcome = check(&mut zone, "::ffff:192.0.2.1", "example.com");
    assert_eq!((outcome.result, outcome.mechanism.as_deref()), (SpfResult::Pass, Some("ip4:192.0.2.1")));
}

/// A zone where `example.com`'s record is `v=spf1 <terms>`, with `h0`…`h19.example.com`
/// existing (A 10.0.0.n) so `a:` terms cost a DNS lookup but no void lookup.
fn zone_with(terms: &str) -> Zone {
    let mut zone = Zone::new();
    txt(&mut zone, "example.com", &format!("v=spf1 {terms}"));
    for n in 0..20 {
        a(&mut zone, &format!("h{n}.example.com"), &format!("10.0.0.{n}"));
    }
    zone
}

fn a_terms(count: usize) -> String {
    (0..count).map(|n| format!("a:h{n}.example.com")).collect::<Vec<_>>().join(" ")
}

#[test]
fn ten_dns_terms_are_allowed_and_the_eleventh_is_a_permerror() {
    let mut zone = zone_with(&format!("{} ip4:192.0.2.1 -all", a_terms(10)));
    assert_eq!(check(&mut zone, "192.0.2.1", "example.com").result, SpfResult::Pass);
    let mut zone = zone_with(&format!("{} ip4:192.0.2.1 -all", a_terms(11)));
    let outcome = check(&mut zone, "192.0.2.1", "example.com");
    assert_eq!(
        (outcome.result, outcome.mechanism.as_deref()),
        (SpfResult::PermError, Some("a:h10.example.com"))
    );
    assert!(outcome.problem.as_deref().is_some_and(|p| p.contains("§4.6.4")), "{:?}", outcome.problem);
    // ip4, ip6, all and exp= cost nothing.
    let many = (0..500).map(|n| format!("ip4:10.1.{}.{}", n / 256, n % 256)).collect::<Vec<_>>().join(" ");
    let mut zone = zone_with(&format!("{many} {} ip4:192.0.2.1 -all", a_terms(10)));
    assert_eq!(check(&mut zone, "192.0.2.1", "example.com").result, SpfResult::Pass);
}

#[test]
fn the_limit_is_global_across_includes_and_redirects() {
    let mut zone = zone_with(&format!("{} include:inc.example.com -all", a_terms(5)));
    txt(&mut zone, "inc.example.com", &format!("v=spf1 {} redirect=red.example.com", a_terms(4)));
    txt(&mut zone, "red.example.com", "v=spf1 a:h19.example.com ip4:192.0.2.1");
    // 5 + include + 4 + redirect = 11 before red.example.com's a: is reached.
    assert_eq!(check(&mut zone, "192.0.2.1", "example.com").result, SpfResult::PermError);
}

#[test]
fn include_and_redirect_loops_end_in_permerror() {
    let mut zone = Zone::new();
    txt(&mut zone, "loop1.example", "v=spf1 include:loop2.example -all");
    txt(&mut zone, "loop2.example", "v=spf1 include:loop1.example -all");
    txt(&mut zone, "self.example", "v=spf1 redirect=self.example");
    txt(&mut zone, "macro.example", "v=spf1 include:x.%{d} -all");
    for n in 0..50 {
        txt(&mut zone, &format!("chain{n}.example"), &format!("v=spf1 include:chain{}.example", n + 1));
    }
    for domain in ["loop1.example", "self.example", "macro.example", "chain0.example"] {
        let outcome = check(&mut zone, "192.0.2.1", domain);
        assert_eq!(outcome.result, SpfResult::PermError, "{domain}");
        let depth = outcome.trace.iter().map(|s| s.depth).max().unwrap_or_default();
        assert!(depth <= MAX_DNS_TERMS, "{domain}: nesting {depth}");
    }
}

#[test]
fn include_results_follow_the_section_5_2_table() {
    let mut zone = Zone::new();
    for (name, record) in [
        ("pass.example", "v=spf1 +all"),
        ("fail.example", "v=spf1 -all"),
        ("soft.example", "v=spf1 ~all"),
        ("neutral.example", "v=spf1 ?all"),
        ("perm.example", "v=spf1 moo"),
        ("nospf.example", "hello"),
    ] {
        txt(&mut zone, name, record);
        txt(&mut zone, &format!("inc-{name}"), &format!("v=spf1 -include:{name} ~all"));
    }
    zone.add_timeout("temp.example", None);
    txt(&mut zone, "inc-temp.example", "v=spf1 -include:temp.example ~all");
    let want = [
        ("pass.example", SpfResult::Fail),
        ("fail.example", SpfResult::SoftFail),
        ("soft.example", SpfResult::SoftFail),
        ("neutral.example", SpfResult::SoftFail),
        ("perm.example", SpfResult::PermError),
        ("nospf.example", SpfResult::PermError),
        ("temp.example", SpfResult::TempError),
        ("nowhere.example", SpfResult::PermError),
    ];
    txt(&mut zone, "inc-nowhere.example", "v=spf1 -include:nowhere.example ~all");
    for (name, result) in want {
        assert_eq!(check(&mut zone, "192.0.2.1", &format!("inc-{name}")).result, result, "{name}");
    }
}

#[test]
fn void_lookups_two_allowed_third_is_permerror() {
    let mut zone = Zone::new();
    txt(&mut zone, "two.example", "v=spf1 a:gone1.example mx:gone2.example ?all");
    txt(&mut zone, "three.example", "v=spf1 a:gone1.example mx:gone2.example exists:gone3.example ?all");
    txt(&mut zone, "exp.example", "v=spf1 a:gone1.example a:gone2.example exp=gone3.example -all");
    assert_eq!(check(&mut zone, "192.0.2.1", "two.example").result, SpfResult::Neutral);
    assert_eq!(check(&mut zone, "192.0.2.1", "three.example").result, SpfResult::PermError);
    // The exp= lookup is not a void lookup: it happens after the result is known.
    let exp = check(&mut zone, "192.0.2.1", "exp.example");
    assert_eq!((exp.result, exp.explanation), (SpfResult::Fail, None));
}

#[test]
fn mx_limit_is_ten_names() {
    for (count, want) in [(10, SpfResult::Pass), (11, SpfResult::PermError)] {
        let mut zone = Zone::new();
        txt(&mut zone, "example.com", "v=spf1 mx -all");
        for n in 0..count {
            let exchange = format!("mx{n}.example.com");
            zone.add("example.com", Record::Mx { preference: n, exchange: exchange.clone() });
            a(&mut zone, &exchange, &format!("192.0.2.{}", n + 1));
        }
        assert_eq!(check(&mut zone, &format!("192.0.2.{count}"), "example.com").result, want, "{count} MX");
    }
}

#[test]
fn ptr_looks_at_the_first_ten_names_only() {
    let mut zone = Zone::new();
    txt(&mut zone, "example.com", "v=spf1 ptr:good.example ?all");
    for n in 0..11 {
        let name = if n == 10 { "host.good.example".to_owned() } else { format!("host{n}.other.example") };
        zone.add("1.2.0.192.in-addr.arpa", Record::Ptr(name.clone()));
        a(&mut zone, &name, "192.0.2.1");
    }
    let outcome = check(&mut zone, "192.0.2.1", "example.com");
    assert_eq!(outcome.result, SpfResult::Neutral);
    assert!(outcome.trace.iter().any(|s| s.description.contains("only the first 10")));
}

#[test]
fn ptr_and_p_macro_validate_names() {
    let mut zone = Zone::new();
    txt(&mut zone, "example.com", "v=spf1 -ptr:Example.COM ?all exp=why.example.com");
    txt(&mut zone, "why.example.com", "your name is %{p}");
    txt(&mut zone, "other.example", "v=spf1 -all exp=why.example.com");
    zone.add("1.2.0.192.in-addr.arpa", Record::Ptr("mail.example.com.".into()));
    zone.add("1.2.0.192.in-addr.arpa", Record::Ptr("liar.example.com".into()));
    zone.add("1.2.0.192.in-addr.arpa", Record::Ptr("slow.example.com".into()));
    a(&mut zone, "mail.example.com", "192.0.2.1");
    a(&mut zone, "liar.example.com", "192.0.2.99");
    zone.add_timeout("slow.example.com", None);
    let outcome = check(&mut zone, "192.0.2.1", "example.com");
    assert_eq!(outcome.result, SpfResult::Fail);
    assert_eq!(outcome.explanation.as_deref(), Some("your name is mail.example.com"));
    let unknown = check(&mut zone, "192.0.2.2", "other.example");
    assert_eq!(unknown.explanation.as_deref(), Some("your name is unknown"));
}

#[test]
fn dns_timeouts_are_temperrors_except_where_the_rfc_says_otherwise() {
    let mut zone = Zone::new();
    txt(&mut zone, "a.example", "v=spf1 a:slow.example -all");
    txt(&mut zone, "mx.example", "v=spf1 mx:mxslow.example -all");
    txt(&mut zone, "exists.example", "v=spf1 exists:slow.example -all");
    txt(&mut zone, "ptr.example", "v=spf1 ptr -all");
    txt(&mut zone, "exp.example", "v=spf1 -all exp=slow.example");
    zone.add("mxslow.example", Record::Mx { preference: 0, exchange: "slow.example".into() });
    zone.add_timeout("slow.example", None);
    zone.add_timeout("1.2.0.192.in-addr.arpa", None);
    zone.add_timeout("txtslow.example", Some(RecordType::Txt));
    for domain in ["a.example", "mx.example", "exists.example", "txtslow.example"] {
        assert_eq!(check(&mut zone, "192.0.2.1", domain).result, SpfResult::TempError, "{domain}");
    }
    // A failed PTR query is just no match (§5.5); a failed exp= lookup, no explanation (§6.2).
    assert_eq!(check(&mut zone, "192.0.2.1", "ptr.example").result, SpfResult::Fail);
    let exp = check(&mut zone, "192.0.2.1", "exp.example");
    assert_eq!((exp.result, exp.explanation), (SpfResult::Fail, None));
}

#[test]
fn explanations_follow_include_and_redirect_rules() {
    let mut zone = Zone::new();
    txt(&mut zone, "top.example", "v=spf1 include:inc.example -all exp=top-why.example");
    txt(&mut zone, "inc.example", "v=spf1 -all exp=inc-why.example");
    txt(&mut zone, "red.example", "v=spf1 exp=red-why.example redirect=target.example");
    txt(&mut zone, "target.example", "v=spf1 -all exp=target-why.example");
    txt(&mut zone, "soft.example", "v=spf1 ~all exp=top-why.example");
    for (name, text) in [
        ("top-why.example", "top says no to %{c} (checked by %{r} at %{t})"),
        ("inc-why.example", "never shown"),
        ("red-why.example", "never shown either"),
        ("target-why.example", "the target says no"),
    ] {
        txt(&mut zone, name, text);
    }
    let verifier = Verifier { receiver: "mx.example.net", now: 1_234_567_890 };
    let sender = "u@top.example";
    let top = verifier.check_host(&mut zone, ip("2001:db8::1"), "top.example", sender, "h.example");
    assert_eq!(
        top.explanation.as_deref(),
        Some("top says no to 2001:db8::1 (checked by mx.example.net at 1234567890)")
    );
    let red = verifier.check_host(&mut zone, ip("192.0.2.1"), "red.example", sender, "h.example");
    assert_eq!((red.result, red.explanation.as_deref()), (SpfResult::Fail, Some("the target says no")));
    let soft = verifier.check_host(&mut zone, ip("192.0.2.1"), "soft.example", sender, "h.example");
    assert_eq!((soft.result, soft.explanation), (SpfResult::SoftFail, None), "exp= is for fail only");
}

#[test]
fn hostile_records_are_errors_never_panics() {
    let huge_terms = (0..100_000)
        .map(|n| format!("ip4:10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255))
        .collect::<Vec<_>>();
    let garbage: String =
        (0..1_000_000u32).map(|n| char::from(b"%{}:/=.-abc 019"[(n % 15) as usize])).collect();
    let hostile = [
        format!("v=spf1 {} -all", huge_terms.join(" ")),
        format!("v=spf1 {garbage}"),
        format!("v=spf1 a:{}.example -all", "x".repeat(100_000)),
        "v=spf1 %{".to_owned(),
        "v=spf1 a:%{".to_owned(),
        "v=spf1 exists:%{d9999999999999999999999r}.x -all".to_owned(),
        "v=spf1 exists:%{l}%{l}%{l}.%{d}".to_owned(),
        "v=spf1 redirect=%{s}".to_owned(),
        "v=spf1 include:%{p}.example.com -all".to_owned(),
        format!("v=spf1 exists:{}.example -all", "%{s}".repeat(20_000)),
        format!("v=spf1 -all exp={}.example", "%{s}".repeat(20_000)),
        "v=spf1 -all exp=blowup.example".to_owned(),
        "v=spf1 ip4:999.0.0.1 ip6:::::: a/4294967296 a//-1 mx/1/2/3".to_owned(),
        "v=spf1 \u{0}\u{7f}\u{202e}\u{feff}".to_owned(),
    ];
    let long_sender = format!("{}@example.com", "s".repeat(300));
    for record in &hostile {
        let mut zone = Zone::new();
        txt(&mut zone, "example.com", record);
        txt(&mut zone, "blowup.example", &"%{s}%{S}".repeat(20_000));
        let outcome = check_host(&mut zone, ip("2001:db8::1"), "example.com", &long_sender, "\u{1f4a9}");
        let shown_record: String = record.chars().take(60).collect();
        assert!(
            outcome.trace.len() <= MAX_TRACE_STEPS + 1,
            "{shown_record}: trace of {}",
            outcome.trace.len()
        );
        assert!(outcome.explanation.as_ref().is_none_or(|e| e.len() <= MAX_EXPLANATION), "{shown_record}");
        assert!(outcome.received_spf().is_ascii(), "{shown_record}");
    }
}

#[test]
fn hostile_arguments_never_panic() {
    let mut zone = Zone::new();
    txt(&mut zone, "example.com", "v=spf1 exists:%{l}.%{o}.%{h}.%{s}.x -all exp=e.example.com");
    txt(&mut zone, "e.example.com", "%{l} %{S} %{H}");
    for (sender, helo) in [
        ("", ""),
        ("@", "@"),
        ("\u{e9}l\u{e8}ve@example.com", "\u{e9}.example"),
        ("a@b@example.com", "[::1]"),
        ("x", "%{d}"),
        (&"\u{10ffff}".repeat(10_000), &".".repeat(10_000)),
    ] {
        let outcome = check_host(&mut zone, ip("192.0.2.1"), "example.com", sender, helo);
        assert!(
            matches!(outcome.result, SpfResult::Fail | SpfResult::PermError),
            "{sender:?}: {:?}",
            outcome.result
        );
        assert!(outcome.explanation.as_ref().is_none_or(|e| e.is_ascii()));
        let _ = Verifier::default().check_mail_from(&mut zone, ip("::"), sender, helo);
        let _ = Verifier::default().check_helo(&mut zone, ip("::ffff:0.0.0.0"), helo);
    }
}

// proptest is a native-only dev-dependency.
#[cfg(not(target_arch = "wasm32"))]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn check_host_never_panics(
            terms in proptest::collection::vec(
                "[-+~?]?(all|a|mx|ptr|exists|include|ip4|ip6|redirect=|exp=|x=)(:|/|//)?([a-z0-9.%{}/:_-]|%\\{[slodiphcrtvSLODIPH][0-9]{0,3}r?[.+=_-]*\\}){0,16}",
                0..12,
            ),
            sender in "\\PC{0,20}",
            client in proptest::arbitrary::any::<IpAddr>(),
        ) {
            let mut zone = Zone::new();
            txt(&mut zone, "example.com", &format!("v=spf1 {}", terms.join(" ")));
            txt(&mut zone, "a.example.com", &format!("v=spf1 {}", terms.iter().rev().cloned().collect::<Vec<_>>().join(" ")));
            a(&mut zone, "example.com", "192.0.2.1");
            zone.add("example.com", Record::Mx { preference: 0, exchange: "a.example.com".into() });
            let outcome = check_host(&mut zone, client, "example.com", &sender, "h.example.com");
            prop_assert!(outcome.trace.len() <= MAX_TRACE_STEPS + 1);
        }
    }
}
