//! Bad scenario files: each gets an error with a line, a column and what was expected,
//! never a panic; hostile sizes are refused before they cost anything.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::scenario::{self, MAX_SCENARIO_OCTETS};

const HEAD: &str = "title = \"t\"\ndescription = \"d\"\n";
const CLIENT: &str = "[[host]]\nname = \"pc\"\nrole = \"client\"\nip = \"192.0.2.1\"\n";
/// An Ed25519 seed (32 octets, base64).
const SEED: &str = "Y6ARp5dmuwq289Xf8qVXofyyBeWAj5EvDgeWGVmiBsQ=";
const SERVER: &str = "[[host]]\nname = \"mx\"\nrole = \"mx\"\nip = \"192.0.2.2\"\nsmtp = {}\n";

/// (file, line, column, words the message must contain)
fn cases() -> Vec<(String, usize, usize, &'static str)> {
    let host =
        |extra: &str| format!("{HEAD}[[host]]\nname = \"a\"\nrole = \"mx\"\nip = \"1.2.3.4\"\n{extra}\n");
    let send = |body: &str| format!("{HEAD}{CLIENT}{SERVER}[[send]]\n{body}");
    let fault = |body: &str| format!("{HEAD}{CLIENT}{SERVER}[[fault]]\n{body}");
    let good_send = "from = \"pc\"\nto = \"mx\"\nmail_from = \"a@b.example\"\nrcpt_to = [\"c@d.example\"]\nmessage = \"x\"\n";
    vec![
        // TOML syntax.
        (format!("{HEAD}[[host]\nname = \"a\"\n"), 3, 8, "expected `]]`"),
        (format!("{HEAD}title = \"again\"\n"), 3, 1, "duplicate key"),
        (format!("{HEAD}seed = \"one\"\n"), 3, 8, "must be an integer, not a string"),
        (format!("{HEAD}seed = 1.5\n"), 3, 8, "floats are not supported"),
        ("title = \"t\"\n".to_owned(), 1, 1, "needs `description`"),
        (format!("{HEAD}colour = \"blue\"\n"), 3, 1, "unknown key `colour`"),
        // Hosts.
        (
            format!("{HEAD}[[host]]\nnam = \"a\"\nrole = \"client\"\nip = \"1.2.3.4\"\n"),
            4,
            1,
            "unknown key `nam` in [[host]] (is it `name`?)",
        ),
        (
            format!("{HEAD}[[host]]\nname = \"a\"\nrole = \"clinet\"\nip = \"1.2.3.4\"\n"),
            5,
            8,
            "expected client, submission, relay, mx or reader",
        ),
        (
            format!("{HEAD}[[host]]\nname = \"a\"\nrole = \"client\"\nip = \"192.0.2.300\"\n"),
            6,
            6,
            "not an IP address",
        ),
        (format!("{HEAD}{CLIENT}{CLIENT}"), 8, 8, "defined twice"),
        (host("domains = [\"bad_domain.example\"]"), 7, 12, "invalid domain"),
        (host("down = [[\"0s\", \"soon\"]]"), 7, 16, "not a duration"),
        (host("down = [\"0s\"]"), 7, 9, "each `down` entry is"),
        (host("smtp = { banner = \"x\", max_sizes = 5 }"), 7, 24, "unknown key `max_sizes` in smtp"),
        (host("smtp = { line_policy = \"lax\" }"), 7, 24, "expected strict or legacy"),
        (host("smtp = { refuse_with = \"250 fine\" }"), 7, 24, "is not a 4xx/5xx reply"),
        (
            host("mailbox_states = { \"bob@example.net\" = \"overflowing\" }"),
            7,
            40,
            "expected active, full-temporarily",
        ),
        // Email authentication.
        (
            host("dkim_sign = { domain = \"example.com\", selector = \"s1\", seed = \"not base64!\" }"),
            7,
            63,
            "is not base64",
        ),
        (
            host("dkim_sign = { domain = \"example.com\", selector = \"s1\", seed = \"AAAA\" }"),
            7,
            63,
            "an Ed25519 seed is 32 octets",
        ),
        (
            host("dkim_sign = { domain = \"example.com\", selector = \"s1\" }"),
            7,
            13,
            "dkim_sign needs `seed`",
        ),
        (
            host(&format!(
                "dkim_sign = {{ domain = \"example.com\", selector = \"s 1\", seed = \"{SEED}\" }}"
            )),
            7,
            50,
            "is not a selector",
        ),
        (
            host(&format!("dkim_sign = {{ domain = \"example.com\", selectr = \"s1\", seed = \"{SEED}\" }}")),
            7,
            39,
            "unknown key `selectr` in dkim_sign (is it `selector`?)",
        ),
        (
            host(&format!(
                "dkim_sign = {{ domain = \"example.com\", selector = \"s1\", algorithm = \"rsa-sha1\", seed = \"{SEED}\" }}"
            )),
            7,
            68,
            "expected ed25519-sha256 or rsa-sha256",
        ),
        (
            host(
                "dkim_sign = { domain = \"example.com\", selector = \"s1\", algorithm = \"rsa-sha256\", pem = \"-----BEGIN PRIVATE KEY-----\" }",
            ),
            7,
            88,
            "PKCS#8 PEM",
        ),
        (host("tamper_body = \"two\\nlines\""), 7, 15, "one line of text"),
        (host("authenticate = \"yes\""), 7, 16, "must be true or false"),
        (
            host(
                "domains = [\"lists.example.org\"]\nlists = { \"friends@example.org\" = [\"bob@example.net\"] }",
            ),
            8,
            11,
            "is not at one of this host's `domains`",
        ),
        (
            host(
                "domains = [\"lists.example.org\"]\nlists = { \"friends@lists.example.org\" = \"bob@example.net\" }",
            ),
            8,
            41,
            "an array of addresses",
        ),
        // Actions.
        (
            send(
                "from = \"laptop\"\nto = \"mx\"\nmail_from = \"a@b.example\"\nrcpt_to = [\"c@d.example\"]\nmessage = \"x\"\n",
            ),
            13,
            8,
            "no host is named \"laptop\"",
        ),
        (
            send(
                "from = \"pc\"\nto = \"mx\"\nmail_from = \"not an address\"\nrcpt_to = [\"c@d.example\"]\nmessage = \"x\"\n",
            ),
            15,
            13,
            "is not an address",
        ),
        (
            send("from = \"pc\"\nto = \"mx\"\nmail_from = \"a@b.example\"\nrcpt_to = []\nmessage = \"x\"\n"),
            12,
            1,
            "at least one recipient",
        ),
        (send(&format!("at = \"tomorrow\"\n{good_send}")), 13, 6, "not a duration"),
        (send(&format!("notify = \"SOMETIMES\"\n{good_send}")), 13, 10, "NOTIFY expects"),
        (send(&format!("tls = \"maybe\"\n{good_send}")), 13, 7, "expected never, opportunistic or required"),
        (send(&format!("user = \"alice\"\n{good_send}")), 13, 8, "go together"),
        (
            send("from = \"pc\"\nto = \"mx\"\nmail_from = \"a@b.example\"\nrcpt_to = [\"c@d.example\"]\n"),
            12,
            1,
            "needs `message`",
        ),
        (
            format!("{HEAD}{CLIENT}{SERVER}[[type]]\nfrom = \"pc\"\nto = \"nowhere\"\nlines = [\"QUIT\"]\n"),
            14,
            6,
            "no host is named \"nowhere\"",
        ),
        (
            format!("{HEAD}{CLIENT}{SERVER}[[type]]\nfrom = \"pc\"\nto = \"mx\"\nlines = [\"QUIT\", 7]\n"),
            15,
            18,
            "holds strings, not a integer",
        ),
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[retrieve]]\nfrom = \"pc\"\nto = \"mx2\"\nuser = \"u\"\npassword = \"p\"\n"
            ),
            14,
            6,
            "no host is named \"mx2\"",
        ),
        // How a reader retrieves: POP3's and IMAP's choices do not mix.
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[retrieve]]\nfrom = \"pc\"\nto = \"mx\"\nuser = \"u\"\npassword = \"p\"\nprotocol = \"smtp\"\n"
            ),
            17,
            12,
            "unknown protocol \"smtp\" in [[retrieve]]: use \"pop3\" or \"imap\"",
        ),
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[retrieve]]\nfrom = \"pc\"\nto = \"mx\"\nuser = \"u\"\npassword = \"p\"\nprotocol = \"imap\"\ndelete = true\n"
            ),
            18,
            1,
            "`delete` is a POP3 choice",
        ),
        (
            format!(
                "{HEAD}{CLIENT}{SERVER}[[retrieve]]\nfrom = \"pc\"\nto = \"mx\"\nuser = \"u\"\npassword = \"p\"\nmark_seen = false\n"
            ),
            17,
            1,
            "`mark_seen` is an IMAP choice",
        ),
        // DNS.
        (format!("{HEAD}[dns]\n\"example.net\" = {{ a = [\"999.1.1.1\"] }}\n"), 4, 24, "not an IPv4 address"),
        (
            format!("{HEAD}[dns]\n\"example.net\" = {{ mx = [[\"ten\", \"mx\"]] }}\n"),
            4,
            25,
            "each MX is [preference",
        ),
        (format!("{HEAD}[dns]\n\"example.net\" = {{ mx = [[70000, \"mx\"]] }}\n"), 4, 26, "not 0 to 65535"),
        (format!("{HEAD}[dns]\n\"example.net\" = \"1.2.3.4\"\n"), 4, 17, "is a table"),
        // Expectations.
        (format!("{HEAD}[expect]\ncodes = [250, 999]\n"), 4, 15, "not a reply code"),
        // Faults ("what if…"): the table starts on line 12, its first key on line 13.
        (fault("host = \"pc\"\ncommand = \"RCPT\"\naction = \"drop\"\n"), 13, 8, "runs no SMTP server"),
        (fault("host = \"mx9\"\ncommand = \"RCPT\"\naction = \"drop\"\n"), 13, 8, "no host is named \"mx9\""),
        (
            fault("host = \"mx\"\ncommand = \"RCTP\"\naction = \"drop\"\n"),
            14,
            11,
            "expected one of HELO, EHLO",
        ),
        (
            fault("host = \"mx\"\ncommand = \"RCPT\"\noccurrence = 0\naction = \"drop\"\n"),
            15,
            14,
            "occurrence 0: expected 1",
        ),
        (
            fault("host = \"mx\"\ncommand = \"RCPT\"\naction = \"explode\"\n"),
            15,
            10,
            "expected reply, close-421, drop, greylist or down",
        ),
        (fault("host = \"mx\"\ncommand = \"RCPT\"\naction = \"reply\"\n"), 12, 1, "[[fault]] needs `reply`"),
        (
            fault("host = \"mx\"\ncommand = \"RCPT\"\naction = \"reply\"\nreply = \"250 fine\"\n"),
            16,
            9,
            "is not a 4xx/5xx reply",
        ),
        (
            fault("host = \"mx\"\ncommand = \"RCPT\"\naction = \"drop\"\nreply = \"451 later\"\n"),
            16,
            9,
            "`reply` goes with action = \"reply\"",
        ),
        (
            fault("host = \"mx\"\ncommand = \"MAIL\"\naction = \"greylist\"\n"),
            14,
            11,
            "greylisting answers RCPT",
        ),
        (fault("host = \"mx\"\naction = \"down\"\nfor = \"1h\"\n"), 12, 1, "[[fault]] needs `at`"),
        (
            fault("host = \"mx\"\naction = \"down\"\nat = \"0s\"\nfor = \"1h\"\ncommand = \"RCPT\"\n"),
            17,
            1,
            "takes `at` and `for`, not `command`",
        ),
        (fault("host = \"mx\"\naction = \"down\"\nat = \"soon\"\nfor = \"1h\"\n"), 15, 6, "not a duration"),
        (
            fault("host = \"mx\"\ncommand = \"RCPT\"\naction = \"drop\"\nat = \"1m\"\n"),
            16,
            1,
            "`at` goes with action = \"down\"",
        ),
        (
            fault("host = \"mx\"\ncommand = \"RCPT\"\naction = \"drop\"\nocurrence = 2\n"),
            16,
            1,
            "unknown key `ocurrence` in [[fault]]",
        ),
        (
            fault("hots = \"mx\"\ncommand = \"RCPT\"\naction = \"drop\"\n"),
            13,
            1,
            "unknown key `hots` in [[fault]] (is it `host`?)",
        ),
        // Names that become wire text: a domain or an address literal, nothing hidden.
        (
            format!(
                "{HEAD}[[host]]\nname = \"mx.example\\r\\n250 injected\"\nrole = \"mx\"\nip = \"1.2.3.4\"\n"
            ),
            4,
            8,
            "contains U+000D",
        ),
        (
            format!("{HEAD}[[host]]\nname = \"\\u202Eten.elpmaxe\"\nrole = \"mx\"\nip = \"1.2.3.4\"\n"),
            4,
            8,
            "contains U+202E",
        ),
        (
            format!("{HEAD}[[host]]\nname = \"mx example\"\nrole = \"mx\"\nip = \"1.2.3.4\"\n"),
            4,
            8,
            "is not a domain or [address literal]",
        ),
        (
            host("smtp = { hostname = \"mx\\n220 fake\" }"),
            7,
            21,
            "smtp hostname \"mx\\n220 fake\" contains U+000A",
        ),
        (host("domains = [\"exa\\u200Bmple.net\"]"), 7, 12, "contains U+200B"),
        (host("mailboxes = [\"bob@exa\\u2066mple.net\"]"), 7, 14, "contains U+2066"),
        (
            send(
                "from = \"pc\"\nto = \"mx\"\nhelo = \"pc\\r\\nRSET\"\nmail_from = \"a@b.example\"\nrcpt_to = [\"c@d.example\"]\nmessage = \"x\"\n",
            ),
            15,
            8,
            "helo",
        ),
        (
            send(
                "from = \"pc\"\nto = \"mx\"\nmail_from = \"a\\u200D@b.example\"\nrcpt_to = [\"c@d.example\"]\nmessage = \"x\"\n",
            ),
            15,
            13,
            "contains U+200D",
        ),
        (
            send(
                "from = \"pc\"\nto = \"mx\"\nmail_from = \"a@b.example\"\nrcpt_to = [\"c@d.example\\uFEFF\"]\nmessage = \"x\"\n",
            ),
            16,
            12,
            "contains U+FEFF",
        ),
        // Absurd durations (they overflowed the simulator's clock).
        (format!("{HEAD}latency = \"9223372036854775807\"\n"), 3, 11, "longer than 365 days"),
        (
            format!("{HEAD}[retry]\nintervals = [\"5m\", \"18446744073709551615\"]\n"),
            4,
            20,
            "longer than 365 days",
        ),
        (format!("{HEAD}max_time = \"366d\"\n"), 3, 12, "longer than 365 days"),
        (host("greylist = \"8760h1ms\""), 7, 12, "longer than 365 days"),
        (host("down = [[\"0s\", \"100000d\"]]"), 7, 16, "longer than 365 days"),
        (send(&format!("at = \"400d\"\n{good_send}")), 13, 6, "longer than 365 days"),
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
    // A thousand messages of 90 recipients each: a RCPT, a reply and a delivery per
    // recipient, far past the cap.
    let recipients: Vec<String> = (1..=90).map(|i| format!("\"c{i}@d.example\"")).collect();
    let text = format!(
        "{HEAD}{CLIENT}{SERVER}[[send]]\nfrom = \"pc\"\nto = \"mx\"\nmail_from = \"a@b.example\"\n\
         rcpt_to = [{}]\ncount = 1000\nmessage = \"x\"\n",
        recipients.join(", ")
    );
    let timeline = scenario::parse(&text).expect("valid").run();
    assert!(timeline.outcome.truncated);
    assert_eq!(timeline.steps.len(), scenario::MAX_STEPS);
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

mod mutations {
    use proptest::prelude::*;
    use smtp_playground::scenario::{self, lessons};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// A lesson with one line replaced, dropped or doubled, or one character changed,
        /// either fails with a position inside the text or runs to the end: never a
        /// panic, never a runaway (the step and time caps hold).
        #[test]
        fn mutated_lessons_fail_cleanly_or_run(lesson in 0..lessons::ALL.len(), line in 0usize..200, op in 0u8..4, byte in any::<u8>()) {
            let source = lessons::ALL[lesson].source;
            let mut lines: Vec<String> = source.lines().map(str::to_owned).collect();
            let at = line % lines.len();
            match op {
                0 => lines[at] = String::from_utf8_lossy(&[byte; 3]).into_owned(),
                1 => { lines.remove(at); }
                2 => { let copy = lines[at].clone(); lines.insert(at, copy); }
                _ => {
                    let text = &mut lines[at];
                    let cut = text.char_indices().map(|(i, _)| i).nth(usize::from(byte) % text.chars().count().max(1)).unwrap_or(0);
                    text.insert(cut, char::from(byte % 128));
                }
            }
            let text = lines.join("\n");
            match scenario::parse(&text) {
                Ok(scenario) => {
                    let timeline = scenario.run();
                    prop_assert!(timeline.steps.len() <= scenario::MAX_STEPS);
                }
                Err(e) => {
                    prop_assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1, "{e}");
                    prop_assert!(e.column >= 1, "{e}");
                }
            }
        }
    }
}

/// Every duration at the largest value a scenario may have, every number at its limit: the
/// simulator's sums of times and sizes must not overflow (a debug build panics when they do).
/// The relay queues the message (the MX is down), retries, warns and bounces at those times.
#[test]
fn maximal_durations_run_without_overflow() {
    let max = "365d";
    let cases = ["9223372036854775807", "-9223372036854775808", "0"]
        .into_iter()
        .flat_map(|start| [(start, "1ms"), (start, max)]);
    for (start, latency) in cases {
        let text = format!(
            "{HEAD}latency = \"{latency}\"\nmax_time = \"{max}\"\nstart = {start}\nseed = 9223372036854775807\n\
             [retry]\nintervals = [\"{max}\", \"{max}\"]\nmax_age = \"{max}\"\ndelay_warning = \"{max}\"\n\
             {CLIENT}\
             [[host]]\nname = \"relay.example\"\nrole = \"relay\"\nip = \"192.0.2.3\"\n\
             smtp = {{ max_message_size = 9223372036854775807 }}\nrelay_clients = [\"192.0.2.1\"]\n\
             [[host]]\nname = \"mx.example\"\nrole = \"mx\"\nip = \"192.0.2.2\"\ndomains = [\"example\"]\n\
             greylist = \"{max}\"\ndown = [[\"0s\", \"{max}\"], [\"{max}\", \"{max}\"]]\nsmtp = {{}}\n\
             [dns]\n\"example\" = {{ mx = [[65535, \"mx.example\"]] }}\n\"mx.example\" = {{ a = [\"192.0.2.2\"] }}\n\
             [[send]]\nat = \"1s\"\nfrom = \"pc\"\nto = \"relay.example\"\nmail_from = \"a@b.example\"\n\
             rcpt_to = [\"c@example\"]\nnotify = \"SUCCESS,FAILURE,DELAY\"\nmessage = \"x\"\n\
             [[send]]\nat = \"{max}\"\nfrom = \"pc\"\nto = \"mx.example\"\nmail_from = \"a@b.example\"\n\
             rcpt_to = [\"c@example\"]\nmessage = \"x\"\n\
             [[fault]]\nhost = \"relay.example\"\naction = \"down\"\nat = \"{max}\"\nfor = \"{max}\"\n"
        );
        let scenario = scenario::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let run = scenario.run();
        let transcript = run.transcript().join("\n");
        if latency == "1ms" {
            assert!(
                transcript.contains("deferred"),
                "start {start}: the relay never deferred:\n{transcript}"
            );
        }
    }
}
