//! Bad scenario files: each gets an error with a line, a column and what was expected,
//! never a panic; hostile sizes are refused before they cost anything.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::scenario::{self, MAX_SCENARIO_OCTETS};

const HEAD: &str = "title = \"t\"\ndescription = \"d\"\n";
const CLIENT: &str = "[[host]]\nname = \"pc\"\nrole = \"client\"\nip = \"192.0.2.1\"\n";
const SERVER: &str = "[[host]]\nname = \"mx\"\nrole = \"mx\"\nip = \"192.0.2.2\"\nsmtp = {}\n";

/// (file, line, column, words the message must contain)
fn cases() -> Vec<(String, usize, usize, &'static str)> {
    vec![
        // TOML syntax.
        (format!("{HEAD}[[host]\nname = \"a\"\n"), 3, 8, "right bracket"),
        (format!("{HEAD}title = \"again\"\n"), 3, 1, "duplicate key"),
        (format!("{HEAD}seed = \"one\"\n"), 3, 8, "invalid type"),
        ("title = \"t\"\n".to_owned(), 1, 1, "missing field `description`"),
        (format!("{HEAD}colour = \"blue\"\n"), 1, 1, "unknown field `colour`"),
        // Hosts.
        (
            format!("{HEAD}[[host]]\nnam = \"a\"\nrole = \"client\"\nip = \"1.2.3.4\"\n"),
            3,
            1,
            "unknown field `nam`",
        ),
        (
            format!("{HEAD}[[host]]\nname = \"a\"\nrole = \"clinet\"\nip = \"1.2.3.4\"\n"),
            5,
            9,
            "expected client, submission, relay, mx or reader",
        ),
        (
            format!("{HEAD}[[host]]\nname = \"a\"\nrole = \"client\"\nip = \"192.0.2.300\"\n"),
            6,
            7,
            "not an IP address",
        ),
        (format!("{HEAD}{CLIENT}{CLIENT}"), 8, 9, "defined twice"),
        (
            format!(
                "{HEAD}[[host]]\nname = \"a\"\nrole = \"mx\"\nip = \"1.2.3.4\"\ndomains = [\"bad_domain.example\"]\n"
            ),
            7,
            13,
            "invalid domain",
        ),
        (
            format!(
                "{HEAD}[[host]]\nname = \"a\"\nrole = \"mx\"\nip = \"1.2.3.4\"\ndown = [[\"0s\", \"soon\"]]\n"
            ),
            7,
            17,
            "not a duration",
        ),
        (
            format!(
                "{HEAD}[[host]]\nname = \"a\"\nrole = \"mx\"\nip = \"1.2.3.4\"\nsmtp = {{ banner = \"x\", max_sizes = 5 }}\n"
            ),
            7,
            8,
            "unknown field `max_sizes`",
        ),
        // Actions.
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[send]]\nfrom = \"laptop\"\nto = \"mx\"\nmail_from = \"a@b.example\"\nrcpt_to = [\"c@d.example\"]\nmessage = \"x\"\n"
            ),
            13,
            9,
            "no host is named \"laptop\"",
        ),
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[send]]\nfrom = \"pc\"\nto = \"mx\"\nmail_from = \"not an address\"\nrcpt_to = [\"c@d.example\"]\nmessage = \"x\"\n"
            ),
            15,
            14,
            "is not an address",
        ),
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[send]]\nfrom = \"pc\"\nto = \"mx\"\nmail_from = \"a@b.example\"\nrcpt_to = []\nmessage = \"x\"\n"
            ),
            16,
            1,
            "at least one recipient",
        ),
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[send]]\nat = \"tomorrow\"\nfrom = \"pc\"\nto = \"mx\"\nmail_from = \"a@b.example\"\nrcpt_to = [\"c@d.example\"]\nmessage = \"x\"\n"
            ),
            13,
            7,
            "not a duration",
        ),
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[send]]\nfrom = \"pc\"\nto = \"mx\"\nmail_from = \"a@b.example\"\nrcpt_to = [\"c@d.example\"]\nnotify = \"SOMETIMES\"\nmessage = \"x\"\n"
            ),
            17,
            11,
            "NOTIFY expects",
        ),
        (
            format!("{HEAD}{CLIENT}{SERVER}[[type]]\nfrom = \"pc\"\nto = \"nowhere\"\nlines = [\"QUIT\"]\n"),
            14,
            7,
            "no host is named \"nowhere\"",
        ),
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[retrieve]]\nfrom = \"pc\"\nto = \"mx2\"\nuser = \"u\"\npassword = \"p\"\n"
            ),
            14,
            7,
            "no host is named \"mx2\"",
        ),
        // DNS.
        (format!("{HEAD}[dns]\n\"example.net\" = {{ a = [\"999.1.1.1\"] }}\n"), 4, 25, "not an IPv4 address"),
        (format!("{HEAD}[dns]\n\"example.net\" = {{ mx = [[\"ten\", \"mx\"]] }}\n"), 4, 26, "invalid type"),
    ]
}

#[test]
fn every_bad_file_gets_a_located_error() {
    let mut wrong = Vec::new();
    for (text, line, column, words) in cases() {
        match scenario::parse(&text) {
            Ok(_) => wrong.push(format!("accepted:\n{text}")),
            Err(e) if e.line == line && e.column == column && e.message.contains(words) => {}
            Err(e) => wrong.push(format!("expected {line}:{column} {words:?}, got {e}\n{text}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n---\n"));
}

#[test]
fn hostile_sizes_are_refused_up_front() {
    let huge = format!("{HEAD}# {}\n", "x".repeat(MAX_SCENARIO_OCTETS));
    let error = scenario::parse(&huge).expect_err("too large");
    assert!(error.message.contains("limit"), "{error}");

    let many_hosts: String = (0..30)
        .map(|i| format!("[[host]]\nname = \"h{i}\"\nrole = \"client\"\nip = \"192.0.2.{i}\"\n"))
        .collect();
    let error = scenario::parse(&format!("{HEAD}{many_hosts}")).expect_err("too many hosts");
    assert!(error.message.contains("too many hosts"), "{error}");

    let lines: Vec<String> = (0..500).map(|_| "\"NOOP\"".to_owned()).collect();
    let typed = format!(
        "{HEAD}{CLIENT}{SERVER}[[type]]\nfrom = \"pc\"\nto = \"mx\"\nlines = [{}]\n",
        lines.join(", ")
    );
    let error = scenario::parse(&typed).expect_err("too many lines");
    assert!(error.message.contains("too many lines"), "{error}");
}

#[test]
fn a_chatty_scenario_stops_at_the_step_cap() {
    let lines: Vec<String> = (0..400).map(|_| "\"NOOP\"".to_owned()).collect();
    let mut text = format!("{HEAD}{CLIENT}{SERVER}");
    for _ in 0..20 {
        text.push_str(&format!("[[type]]\nfrom = \"pc\"\nto = \"mx\"\nlines = [{}]\n", lines.join(", ")));
    }
    let timeline = scenario::parse(&text).expect("valid").run();
    assert!(timeline.outcome.truncated);
    assert!(timeline.steps.len() <= scenario::MAX_STEPS + 2);
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        "\0\0\0",
        "[[[[",
        "title = \"\u{202e}\"",
        "= = =",
        "\"\"\"",
        "[dns]\n\"a\" = { mx = [[65536, \"x\"]] }",
        "a = 1e400",
    ];
    for sample in samples {
        let _ = scenario::parse(sample);
    }
}
