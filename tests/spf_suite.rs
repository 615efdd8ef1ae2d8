//! The OpenSPF RFC 7208 test suite (release 2014.04, as shipped in pyspf 2.0.14's
//! `test/rfc7208-tests.yml`) run through `check_host()` over the simulated DNS.
//!
//! The suite is not committed: `scripts/setup.sh test` downloads it into `.tools/`. Without
//! it this test fails rather than passing silently.
//!
//! Each YAML document is a scenario: `zonedata` (the DNS) and `tests`. Each test gives the
//! SMTP client's `host`, `helo` and `mailfrom` (empty: the null reverse-path, so the HELO
//! identity is checked as `postmaster@<helo>`), the acceptable `result`s and, sometimes, the
//! `explanation` (`DEFAULT` meaning "no exp= text").
//!
//! `SPF_SUITE_TRACE=<case> cargo test --test spf_suite -- --nocapture` prints one case's trace.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::net::IpAddr;
use std::path::Path;

use smtp_playground::dns::{Record, RecordType, Zone};
use smtp_playground::mailauth::spf::{SpfOutcome, SpfResult, Verifier};
use yaml_rust2::{Yaml, YamlLoader};

const SUITE: &str = ".tools/pyspf-2.0.14/test/rfc7208-tests.yml";

/// Cases not run, with why. A listed case that does not exist, or that passes, fails the test,
/// so the list cannot go stale.
const SKIPPED: &[(&str, &str)] = &[(
    "v-macro-ip6",
    "the suite wants %{i} of an IPv6 address in upper-case nibbles (…E.B.A.B.E.F.A.C.ip6.arpa); \
     RFC 7208 §7.4's own example expands it in lower case (…8.b.d.0.1.0.0.2.ip6), which we follow; \
     DNS names are case-insensitive, so only this explanation text differs",
)];

/// Every record type the simulated DNS has, for scenarios where a name times out.
const TYPES: [RecordType; 6] =
    [RecordType::A, RecordType::Aaaa, RecordType::Mx, RecordType::Txt, RecordType::Ptr, RecordType::Cname];

struct Case {
    scenario: String,
    name: String,
    spec: String,
    helo: String,
    host: String,
    mail_from: String,
    results: Vec<SpfResult>,
    /// `None`: not checked; `Some(None)`: `DEFAULT`, no exp= text; `Some(Some(text))`.
    explanation: Option<Option<String>>,
}

#[test]
fn openspf_rfc7208_suite() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SUITE);
    let text = fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read the OpenSPF suite at {}: {error}\n\
             It is downloaded, not committed: run `scripts/setup.sh test` first.",
            path.display()
        )
    });
    let documents = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", path.display()));
    assert!(!documents.is_empty(), "{}: no scenarios", path.display());

    let skipped: BTreeMap<&str, &str> = SKIPPED.iter().copied().collect();
    let mut seen = BTreeSet::new();
    let (mut passed, mut skip_count, mut failures) = (0, 0, Vec::new());
    for document in &documents {
        let scenario = scalar(&document["description"]).unwrap_or_default();
        let zone = build_zone(&document["zonedata"]);
        let Some(tests) = document["tests"].as_hash() else { panic!("scenario {scenario:?} has no tests") };
        for (name, test) in tests {
            let case = read_case(&scenario, name, test);
            assert!(seen.insert(case.name.clone()), "test {} appears twice", case.name);
            let verdict = run(&case, &mut zone.clone());
            match (verdict, skipped.contains_key(case.name.as_str())) {
                (Ok(()), false) => passed += 1,
                (Err(why), false) => failures.push(why),
                (Err(_), true) => skip_count += 1,
                (Ok(()), true) => failures
                    .push(format!("{}: passes but is listed in SKIPPED; remove it from the list", case.name)),
            }
        }
    }
    for name in skipped.keys().filter(|name| !seen.contains(**name)) {
        failures.push(format!("{name}: listed in SKIPPED but not in the suite"));
    }
    for failure in &failures {
        eprintln!("FAILED {failure}");
    }
    for (name, reason) in SKIPPED {
        eprintln!("skipped {name}: {reason}");
    }
    println!(
        "OpenSPF RFC 7208 suite: {passed} passed, {skip_count} skipped (listed), {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{} of the OpenSPF RFC 7208 cases failed (see above)", failures.len());
    assert!(passed > 150, "only {passed} cases ran: is {} complete?", path.display());
}

/// Runs one case; `Err` says what differed.
fn run(case: &Case, zone: &mut Zone) -> Result<(), String> {
    let ip: IpAddr =
        case.host.parse().map_err(|_| format!("{}: host {:?} is not an IP address", case.name, case.host))?;
    let outcome = Verifier::default().check_mail_from(zone, ip, &case.mail_from, &case.helo);
    // `SPF_SUITE_TRACE=ptr-limit cargo test --test spf_suite -- --nocapture` shows one case.
    if std::env::var("SPF_SUITE_TRACE").is_ok_and(|name| name == case.name) {
        println!("{}: {} {:?}\n{}", case.name, outcome.result, outcome.explanation, trace(&outcome));
    }
    let result_ok = case.results.contains(&outcome.result);
    let explanation_ok = case.explanation.as_ref().is_none_or(|want| *want == outcome.explanation);
    if result_ok && explanation_ok {
        if case.results.first() != Some(&outcome.result) {
            let preferred = case.results.first().map_or("", |r| r.as_str());
            println!("note: {}: {} is accepted; the suite prefers {preferred}", case.name, outcome.result);
        }
        return Ok(());
    }
    let want_explanation = match &case.explanation {
        Some(Some(text)) => format!(", explanation {text:?}"),
        Some(None) => ", explanation DEFAULT".to_owned(),
        None => String::new(),
    };
    let results: Vec<&str> = case.results.iter().map(|r| r.as_str()).collect();
    Err(format!(
        "{} ({}, spec {}): expected {}{want_explanation}; got {}, explanation {:?}, mechanism {:?}, problem {:?}\n{}",
        case.name,
        case.scenario,
        case.spec,
        results.join(" or "),
        outcome.result,
        outcome.explanation,
        outcome.mechanism,
        outcome.problem,
        trace(&outcome)
    ))
}

fn trace(outcome: &SpfOutcome) -> String {
    let lines: Vec<String> = outcome
        .trace
        .iter()
        .map(|s| format!("    {}{}", "  ".repeat(usize::from(s.depth)), s.description))
        .collect();
    lines.join("\n")
}

fn read_case(scenario: &str, name: &Yaml, test: &Yaml) -> Case {
    let name = scalar(name).unwrap_or_else(|| panic!("a test in {scenario:?} has no name"));
    let Some(fields) = test.as_hash() else { panic!("{name}: not a mapping") };
    for key in fields.keys() {
        let key = scalar(key).unwrap_or_default();
        // `strict` is a pyspf-only knob; descriptions and comments are for people.
        let known =
            ["description", "comment", "spec", "helo", "host", "mailfrom", "result", "explanation", "strict"];
        assert!(
            known.contains(&key.as_str()),
            "{name}: unknown test key {key:?}; this driver would ignore it"
        );
    }
    let field = |key: &str| scalar(&test[key]).unwrap_or_else(|| panic!("{name}: no {key}"));
    let parse_result = |y: &Yaml| {
        let text = scalar(y).unwrap_or_default();
        text.parse::<SpfResult>().unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let results = match &test["result"] {
        Yaml::Array(list) => list.iter().map(parse_result).collect(),
        single => vec![parse_result(single)],
    };
    let explanation = scalar(&test["explanation"]).map(|text| (text != "DEFAULT").then_some(text));
    Case {
        scenario: scenario.to_owned(),
        spec: scalar(&test["spec"]).unwrap_or_default(),
        helo: field("helo"),
        host: field("host"),
        mail_from: field("mailfrom"),
        results,
        explanation,
        name,
    }
}

/// The scenario's DNS, built the way the suite's reference driver (pyspf's `testspf.py`) reads
/// `zonedata`:
/// - `SPF` (type 99) records are copied to TXT when a name has no TXT entry of its own, and
///   otherwise ignored: RFC 7208 §3.1 dropped type SPF, and the suite's header says drivers
///   must duplicate SPF to TXT for all but the "Selecting records" cases.
/// - `TXT: NONE` means "no TXT records" (and so, no copies of the SPF records either).
/// - `TIMEOUT` makes every query for the name time out, except for the types listed before it,
///   which answer normally.
fn build_zone(zonedata: &Yaml) -> Zone {
    let mut zone = Zone::new();
    let Some(names) = zonedata.as_hash() else { return zone };
    for (name, entries) in names {
        let name = scalar(name).unwrap_or_else(|| panic!("zonedata name {name:?}"));
        let entries = entries.as_vec().cloned().unwrap_or_default();
        let has_txt = entries.iter().any(|e| entry(e).is_some_and(|(t, _)| t == "TXT"));
        let mut records: Vec<Option<Record>> = Vec::new(); // `None` marks TIMEOUT
        let mut copied_spf = Vec::new();
        for e in &entries {
            if scalar(e).as_deref() == Some("TIMEOUT") {
                records.push(None);
                continue;
            }
            let Some((record_type, value)) = entry(e) else { panic!("{name}: odd zonedata entry {e:?}") };
            match record_type.as_str() {
                "SPF" if !has_txt => copied_spf.push(Some(Record::Txt(strings(value)))),
                "SPF" => {}
                "TXT" if scalar(value).as_deref() == Some("NONE") => {}
                _ => records.push(Some(record(&name, &record_type, value))),
            }
        }
        records.extend(copied_spf);
        let mut answered = BTreeSet::new();
        for item in records {
            match item {
                Some(record) => {
                    answered.insert(record.record_type());
                    zone.add(&name, record);
                }
                None => {
                    for record_type in TYPES.into_iter().filter(|t| !answered.contains(t)) {
                        zone.add_timeout(&name, Some(record_type));
                    }
                    break;
                }
            }
        }
    }
    zone
}

/// A zonedata entry `{TYPE: value}`.
fn entry(e: &Yaml) -> Option<(String, &Yaml)> {
    let hash = e.as_hash()?;
    let (key, value) = hash.iter().next()?;
    Some((scalar(key)?, value))
}

fn record(name: &str, record_type: &str, value: &Yaml) -> Record {
    let text = || scalar(value).unwrap_or_else(|| panic!("{name} {record_type}: {value:?}"));
    match record_type {
        "TXT" => Record::Txt(strings(value)),
        "A" => Record::A(text().parse().unwrap_or_else(|e| panic!("{name} A: {e}"))),
        "AAAA" => Record::Aaaa(text().parse().unwrap_or_else(|e| panic!("{name} AAAA: {e}"))),
        "PTR" => Record::Ptr(text()),
        "CNAME" => Record::Cname(text()),
        "MX" => {
            let (Some(preference), Some(exchange)) = (value[0].as_i64(), scalar(&value[1])) else {
                panic!("{name} MX: {value:?}")
            };
            let preference = u16::try_from(preference).unwrap_or_else(|e| panic!("{name} MX: {e}"));
            Record::Mx { preference, exchange }
        }
        other => panic!("{name}: record type {other} is not in the simulated DNS"),
    }
}

/// A TXT/SPF value: one string, or a list of character-strings.
fn strings(value: &Yaml) -> Vec<String> {
    match value {
        Yaml::Array(parts) => parts.iter().map(|p| scalar(p).unwrap_or_default()).collect(),
        single => vec![scalar(single).unwrap_or_default()],
    }
}

/// A scalar as text, however YAML typed it.
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}
