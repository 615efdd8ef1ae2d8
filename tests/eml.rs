//! Bring your own message: an .eml file becomes a `[[send]]` whose envelope comes from its
//! header, written as TOML text that reads back exactly; and the TOML string writer's
//! round trip over any text.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use smtp_playground::engine::TlsMode;
use smtp_playground::scenario::edit::{address_list, with_eml};
use smtp_playground::scenario::toml::{self, Value};
use smtp_playground::scenario::toml_write::{basic_string, multiline_basic_string};
use smtp_playground::scenario::{self, lessons};
use smtp_playground::sim::Action;

fn lesson(id: &str) -> &'static str {
    lessons::get(id).expect("lesson").source
}

/// The last action's envelope (as wire paths) and message of a scenario text.
fn last_send(text: &str) -> (String, String, Vec<String>, String, u16, Option<String>) {
    let scenario = scenario::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let send = scenario.world.actions.iter().rev().find(|a| matches!(a, Action::Send { .. }));
    match send {
        Some(Action::Send { client, server, envelope, message, port, config, .. }) => (
            format!("{client} → {server}"),
            envelope.reverse_path.to_string(),
            envelope.recipients.iter().map(|r| r.path.to_string()).collect(),
            String::from_utf8_lossy(message).into_owned(),
            *port,
            config.credentials.as_ref().map(|c| c.user.clone()),
        ),
        other => panic!("{other:?}"),
    }
}

const EML: &str = "From: \"Smith, Alice\" <alice@example.com>\r\n\
To: Bob <bob@example.net>, carol@example.net (Carol)\r\n\
Cc: undisclosed-recipients:;\r\n\
Bcc: secret@example.net\r\n\
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= \"quoted\" \\ back\r\n\
\r\n\
Hello \"\"\" triple quotes, a \\ backslash, a tab\tand é.\r\n\
.a leading dot\r\n";

#[test]
fn an_eml_becomes_a_send_from_the_client_to_the_submission_server() {
    let source = lesson("mx-relay");
    let text = with_eml(source, EML, None, None).expect("with the message");
    assert!(text.starts_with(source), "the lesson text is kept as it was");
    let (route, from, to, message, port, user) = last_send(&text);
    assert_eq!(route, "laptop.example.com → smtp.example.com");
    assert_eq!(from, "<alice@example.com>");
    assert_eq!(to, ["<bob@example.net>", "<carol@example.net>", "<secret@example.net>"]);
    assert!(!message.contains("Bcc"), "Bcc: is removed from the data: {message}");
    assert_eq!(message, EML.replace("Bcc: secret@example.net\r\n", ""));
    assert_eq!((port, user), (25, None));
    assert!(text.contains("Bcc: is removed from the data, as a mail client does"));
    // The world runs it: Bob and Carol get it (Carol is unknown at the MX: a DSN).
    let timeline = scenario::parse(&text).unwrap().run();
    assert_eq!(timeline.outcome.delivered.get("bob@example.net"), Some(&2));
}

#[test]
fn sender_wins_over_from_and_a_send_between_the_hosts_lends_port_and_auth() {
    let eml = "From: a@example.com, b@example.com\nSender: alice@example.com\nTo: bob@example.net\n\nhi\n";
    let text = with_eml(lesson("submission-auth"), eml, None, None).expect("ok");
    let (route, from, to, message, port, user) = last_send(&text);
    assert_eq!(route, "laptop.example.com → smtp.example.com");
    assert_eq!(from, "<alice@example.com>");
    assert_eq!(to, ["<bob@example.net>"]);
    assert_eq!(
        message,
        "From: a@example.com, b@example.com\r\nSender: alice@example.com\r\nTo: bob@example.net\r\n\r\nhi\r\n"
    );
    assert_eq!((port, user.as_deref()), (587, Some("alice")));
    let scenario = scenario::parse(&text).unwrap();
    let Some(Action::Send { config, .. }) =
        scenario.world.actions.iter().rev().find(|a| matches!(a, Action::Send { .. }))
    else {
        panic!()
    };
    assert_eq!(config.tls, TlsMode::Required);
    assert_eq!(scenario.run().outcome.delivered.get("bob@example.net"), Some(&2));
}

#[test]
fn hosts_can_be_named_and_errors_are_clear() {
    let source = lesson("mx-relay");
    let text = with_eml(
        source,
        "From: x@example.org\nTo: bob@example.net\n\nx\n",
        Some("laptop.example.com"),
        Some("mx.example.net"),
    )
    .unwrap();
    assert_eq!(last_send(&text).0, "laptop.example.com → mx.example.net");
    let error = |eml: &str, client: Option<&str>, server: Option<&str>| {
        with_eml(source, eml, client, server).expect_err("an error").message
    };
    let ok = "From: a@example.com\nTo: b@example.net\n\nx\n";
    assert!(error(ok, Some("nowhere"), None).contains("no host is named \"nowhere\""));
    assert!(error("To: b@example.net\n\nx\n", None, None).contains("no From: (or Sender:)"));
    assert!(error("From: a@example.com\nCc: group:;\n\nx\n", None, None).contains("no To:, Cc: or Bcc:"));
    assert!(
        error("From: a@example.com\nTo: b@example.net\nnot a header\n\nx\n", None, None)
            .starts_with("the message, line 3")
    );
    assert!(
        error("From: <a b@example.com>\nTo: b@example.net\n\nx\n", None, None)
            .contains("\"a b@example.com\" is not an address")
    );
    let too_big = format!("{ok}{}", "x".repeat(300 * 1024));
    assert!(error(&too_big, None, None).contains("limit"));
    assert!(with_eml("not toml", ok, None, None).is_err());
}

#[test]
fn address_lists_as_rfc_5322_writes_them() {
    assert_eq!(
        address_list(
            "\"Doe, John\" <john@example.com>, jane@example.com (Jane, J.), Team: a@x.example, b@y.example;"
        ),
        ["john@example.com", "jane@example.com", "a@x.example", "b@y.example"]
    );
    assert_eq!(address_list("<\"odd \\\" one\"@example.com>"), ["\"odd \\\" one\"@example.com"]);
    assert!(address_list("undisclosed-recipients:;").is_empty());
    assert!(address_list("").is_empty());
}

fn read_back(written: &str) -> Result<String, String> {
    let doc = format!("k = {written}\n");
    match toml::parse(&doc).map_err(|e| e.to_string())?.get("k").map(|e| &e.item.value) {
        Some(Value::String(s)) => Ok(s.clone()),
        other => Err(format!("{other:?}")),
    }
}

proptest! {
    #[test]
    fn any_text_reads_back_exactly(text in any::<String>()) {
        prop_assert_eq!(read_back(&basic_string(&text)), Ok(text.clone()));
        prop_assert_eq!(read_back(&multiline_basic_string(&text)), Ok(text));
    }

    #[test]
    fn quote_and_backslash_soup_reads_back(text in "[\"\\\\\n\r\t\u{0}'a\u{7f}é😀]{0,40}") {
        prop_assert_eq!(read_back(&basic_string(&text)), Ok(text.clone()));
        prop_assert_eq!(read_back(&multiline_basic_string(&text)), Ok(text));
    }

    #[test]
    fn any_eml_is_answered_without_panic(eml in "(From|To|Cc|Bcc|Sender|Subject|X)(: )?[ -~]{0,30}(\r?\n[ -~\t]{0,30}){0,6}") {
        let _ = with_eml(lesson("mx-relay"), &eml, None, None);
    }
}
