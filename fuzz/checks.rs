// The properties the fuzz targets check, written once and `include!`d by each target in
// fuzz/fuzz_targets/ and by the root crate's tests/fuzz_regressions.rs, so the corpus that
// libFuzzer grew from fuzz/seeds/ and the reproducers in fuzz/regressions/ are replayed by
// a plain `cargo test` on stable. Each check panics, with the input in its message, when a
// property fails. Include it inside a module: `mod checks { include!("…/checks.rs"); }`.
// The checks of the SMTP wire format and server are here; the others are in checks/, one
// file per layer, each included below in a module of its own.

use smtp_playground::engine::{AcceptAll, MailPolicy, MailboxState, Policy, ServerConfig, ServerSession};
use smtp_playground::proto::command::{command, parse_command_line};
use smtp_playground::proto::command_view::command_view;
use smtp_playground::proto::data::LinePolicy;
use smtp_playground::proto::reply::{MAX_REPLY_LINE_OCTETS, Reply, reply};
use smtp_playground::proto::{Command, Mechanism};

pub mod engine_checks {
    include!("checks/engine.rs");
}
pub mod mailauth_checks {
    include!("checks/mailauth.rs");
}
pub mod message_checks {
    include!("checks/message.rs");
}
pub mod proto_checks {
    include!("checks/proto.rs");
}
pub mod scenario_checks {
    include!("checks/scenario.rs");
}

pub use engine_checks::{check_pop3, check_smtp_client};
pub use mailauth_checks::{check_mailauth_records, check_mailauth_verify};
pub use message_checks::check_message_fields;
pub use proto_checks::{check_ehlo_reply, check_sasl_auth};
pub use scenario_checks::{check_eml_import, check_permalink_decode, check_scenario_parse, check_scenario_run};

/// A property check over one fuzz input; it panics when the property fails.
pub type Check = fn(&[u8]);

/// The fuzz targets, by the name of their folder in fuzz/seeds/ and fuzz/regressions/ (and
/// of their file in fuzz/fuzz_targets/).
pub const TARGETS: [(&str, Check); 14] = [
    ("command_parser", check_command_parser),
    ("reply_parser", check_reply_parser),
    ("server_session", check_server_session),
    ("ehlo_reply", check_ehlo_reply),
    ("sasl_auth", check_sasl_auth),
    ("smtp_client", check_smtp_client),
    ("pop3", check_pop3),
    ("message_fields", check_message_fields),
    ("mailauth_records", check_mailauth_records),
    ("mailauth_verify", check_mailauth_verify),
    ("scenario_parse", check_scenario_parse),
    ("scenario_run", check_scenario_run),
    ("permalink_decode", check_permalink_decode),
    ("eml_import", check_eml_import),
];

/// Input bytes as a Rust byte-string literal, for panic messages.
pub fn shown(bytes: &[u8]) -> String {
    format!("b\"{}\"", bytes.escape_ascii())
}

/// A parsed command serializes to a line that parses back to the same command, through
/// both entry points.
fn assert_command_round_trips(cmd: &Command) {
    let wire = cmd.to_bytes();
    match command(&wire) {
        Ok((rest, again)) => {
            assert!(rest.is_empty(), "{cmd:?} -> {}: {} bytes left over", shown(&wire), rest.len());
            assert_eq!(&again, cmd, "round trip changed the command: {}", shown(&wire));
        }
        Err(error) => panic!("{cmd:?} serializes to {}, which does not parse: {error:?}", shown(&wire)),
    }
    assert_eq!(parse_command_line(&wire).as_ref(), Ok(cmd), "parse_command_line({})", shown(&wire));
}

/// `command` and `parse_command_line` never panic on any bytes; whatever parses round
/// trips; and the two entry points agree on every complete line `command` accepts.
pub fn check_command_parser(data: &[u8]) {
    // The whole input as one line, and each LF-terminated line of it (seeds are sessions).
    if let Ok(cmd) = parse_command_line(data) {
        assert_command_round_trips(&cmd);
    }
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Ok(cmd) = parse_command_line(line) {
            assert_command_round_trips(&cmd);
        }
    }
    // The streaming parser, command after command, as a pipelining server reads them.
    let mut rest = data;
    loop {
        // Read in place, the command is the same, or both readers stop the same way.
        let owned = command(rest);
        match (command_view(rest), &owned) {
            (Ok((a, view)), Ok((b, cmd))) => {
                assert_eq!((a, view.to_command().as_ref()), (*b, Some(cmd)), "the view differs on {}", shown(rest))
            }
            (Err(a), Err(b)) if a.is_incomplete() == b.is_incomplete() => {}
            (view, owned) => panic!("the view says {view:?}, the owned parser {owned:?}, on {}", shown(rest)),
        }
        let Ok((after, cmd)) = owned else { break };
        assert_command_round_trips(&cmd);
        let line = &rest[..rest.len() - after.len()];
        assert_eq!(parse_command_line(line).as_ref(), Ok(&cmd), "entry points disagree on {}", shown(line));
        if after.len() == rest.len() {
            break;
        }
        rest = after;
    }
}

/// A reply serializes to bytes that parse back, completely, to the same reply.
pub fn assert_reply_round_trips(r: &Reply) {
    let wire = r.to_bytes();
    match reply(&wire) {
        Ok((rest, again)) => {
            assert!(rest.is_empty(), "{r:?} -> {}: {} bytes left over", shown(&wire), rest.len());
            assert_eq!(&again, r, "round trip changed the reply: {}", shown(&wire));
        }
        Err(error) => panic!("{r:?} serializes to {}, which does not parse: {error:?}", shown(&wire)),
    }
}

/// `reply` never panics; every reply it reads, one after another, round trips.
pub fn check_reply_parser(data: &[u8]) {
    let mut rest = data;
    while let Ok((after, r)) = reply(rest) {
        assert_reply_round_trips(&r);
        if after.len() == rest.len() {
            break;
        }
        rest = after;
    }
}

/// The server configurations the first input byte selects (low two bits), with toggles
/// from its other bits; and the policy that goes with each (`None`: [`AcceptAll`]).
pub fn server_setup(selector: u8) -> (ServerConfig, Option<MailPolicy>) {
    let mut config = ServerConfig::default();
    let mut policy = None;
    match selector % 4 {
        // A submission-like server: STARTTLS and AUTH PLAIN/LOGIN offered, a known user.
        0 => {
            config.starttls = true;
            config.auth_mechanisms = vec![Mechanism::Plain, Mechanism::Login];
            config.auth_requires_tls = selector & 0x10 != 0;
            config.require_auth = selector & 0x40 != 0;
            policy = Some(MailPolicy {
                local_domains: ["example.net".to_owned()].into(),
                relay_authenticated: true,
                users: [("alice".to_owned(), "s3cret".to_owned())].into(),
                ..MailPolicy::default()
            });
        }
        // The pre-2024 line-end handling that SMTP smuggling exploits.
        1 => config.line_policy = LinePolicy::Legacy,
        // Small limits: size, recipients, errors.
        2 => {
            config.max_message_size = 64;
            config.max_recipients = 3;
            config.max_errors = 5;
        }
        // An MX with a local domain, a recipient table and greylisting.
        _ => {
            policy = Some(MailPolicy {
                local_domains: ["example.net".to_owned()].into(),
                mailboxes: [
                    ("bob@example.net".to_owned(), MailboxState::Active),
                    ("full@example.net".to_owned(), MailboxState::FullTemporarily),
                    ("gone@example.net".to_owned(), MailboxState::Disabled),
                ]
                .into(),
                greylist_delay: Some(300),
                ..MailPolicy::default()
            });
        }
    }
    config.pipelining = selector & 0x04 == 0;
    config.enhanced_status_codes = selector & 0x08 == 0;
    config.chunking = selector & 0x20 == 0;
    config.smtputf8 = selector & 0x80 == 0;
    (config, policy)
}

/// Every reply the server sends round trips, and no line of it exceeds 512 octets, CRLF
/// included (RFC 5321 §4.5.3.1.5).
pub fn assert_server_reply_ok(r: &Reply, input: &[u8]) {
    assert_reply_round_trips(r);
    let wire = r.to_bytes();
    for line in wire.split_inclusive(|&b| b == b'\n') {
        assert!(
            line.len() <= MAX_REPLY_LINE_OCTETS,
            "reply line of {} octets (limit {MAX_REPLY_LINE_OCTETS}): {}\ninput: {}",
            line.len(),
            shown(line),
            shown(input)
        );
    }
}

/// Input: one selector byte (see [`server_setup`]), then chunks, each a length byte and
/// that many bytes (fewer at the end); a length byte of 0 makes the whole rest one chunk, so
/// long lines and long pipelined groups are one mutation away. Each chunk is one
/// `handle_input`, after which every reply and event is polled. Nothing may panic, and
/// every reply must pass [`assert_server_reply_ok`].
pub fn check_server_session(data: &[u8]) {
    let Some((&selector, mut rest)) = data.split_first() else { return };
    let (config, mut mail_policy) = server_setup(selector);
    let mut accept_all = AcceptAll;
    let mut session = ServerSession::new(config, Some([192, 0, 2, 25].into()));
    while let Some(r) = session.poll_reply() {
        assert_server_reply_ok(&r, data);
    }
    while let Some((&len, after)) = rest.split_first() {
        let len = if len == 0 { after.len() } else { usize::from(len).min(after.len()) };
        let (chunk, after) = after.split_at(len);
        rest = after;
        let policy: &mut dyn Policy = match &mut mail_policy {
            Some(policy) => policy,
            None => &mut accept_all,
        };
        session.handle_input(chunk, policy);
        while let Some(r) = session.poll_reply() {
            assert_server_reply_ok(&r, data);
        }
        while session.poll_event().is_some() {}
        if let Some(policy) = &mut mail_policy {
            // Time passes between reads, so a retried recipient gets past greylisting.
            policy.now += 120;
        }
    }
}
