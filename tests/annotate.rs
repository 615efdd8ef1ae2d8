//! Annotated bytes: each line of a step's wire text cut into the parts the parsers label,
//! with meanings and RFC sections; and, for any input at all, parts that cover the text
//! exactly, in order, on character boundaries.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;

use smtp_playground::teach::annotate::{AnnotatedLine, CRLF_LABEL, Part, annotate, rfc_link};
use smtp_playground::timeline::StepKind;

/// `(shown bytes, label)` of every part of a line, the empty CRLF part included.
fn labels(line: &AnnotatedLine) -> Vec<(&str, &str)> {
    line.parts.iter().map(|p| (&line.text[p.start..p.end], p.label.as_str())).collect()
}

fn part<'a>(line: &'a AnnotatedLine, label: &str) -> &'a Part {
    line.parts
        .iter()
        .find(|p| p.label == label)
        .unwrap_or_else(|| panic!("no part {label:?} in {:?}", labels(line)))
}

fn only(lines: &[AnnotatedLine]) -> &AnnotatedLine {
    assert_eq!(lines.len(), 1, "{lines:?}");
    &lines[0]
}

#[test]
fn mail_command_parameters_are_each_labelled_and_explained() {
    let lines = annotate(
        StepKind::Command,
        "MAIL FROM:<alice@example.com> SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159\r\n",
    );
    let line = only(&lines);
    assert_eq!(
        labels(line),
        [
            ("MAIL", "verb"),
            (" ", "SP"),
            ("FROM:", "FROM:"),
            ("<alice@example.com>", "reverse-path"),
            (" ", "SP"),
            ("SIZE", "SIZE parameter"),
            ("=", "="),
            ("1234", "SIZE value"),
            (" ", "SP"),
            ("BODY", "BODY parameter"),
            ("=", "="),
            ("8BITMIME", "BODY value"),
            (" ", "SP"),
            ("SMTPUTF8", "SMTPUTF8 parameter"),
            (" ", "SP"),
            ("RET", "RET parameter"),
            ("=", "="),
            ("HDRS", "RET value"),
            (" ", "SP"),
            ("ENVID", "ENVID parameter"),
            ("=", "="),
            ("QQ314159", "ENVID value"),
            ("", CRLF_LABEL),
        ]
    );
    let verb = part(line, "verb");
    assert_eq!(verb.rfc.as_deref(), Some("RFC 5321 §4.1.1.2"));
    assert!(verb.meaning.contains("MAIL FROM:<address> [parameters]"), "{}", verb.meaning);
    let size = part(line, "SIZE value");
    assert!(size.meaning.contains("the message is 1234 octets"), "{}", size.meaning);
    assert_eq!(size.rfc.as_deref(), Some("RFC 1870 §6"));
    assert_eq!(part(line, "BODY value").rfc.as_deref(), Some("RFC 6152 §3"));
    assert_eq!(part(line, "SMTPUTF8 parameter").rfc.as_deref(), Some("RFC 6531 §3.4"));
    assert!(part(line, "RET value").meaning.contains("only the message's headers"));
    assert_eq!(part(line, "RET value").rfc.as_deref(), Some("RFC 3461 §4.3"));
    let envid = part(line, "ENVID value");
    assert!(envid.meaning.contains("\"QQ314159\"") && envid.meaning.contains("Original-Envelope-Id"));
    assert_eq!(envid.rfc.as_deref(), Some("RFC 3461 §4.4"));
    assert!(part(line, "reverse-path").meaning.contains("envelope sender"));
}

#[test]
fn null_reverse_path_is_a_bounce() {
    let line = &annotate(StepKind::Command, "MAIL FROM:<>\r\n")[0];
    let path = part(line, "reverse-path");
    assert!(path.meaning.starts_with("<>: the null reverse-path"), "{}", path.meaning);
    assert_eq!(path.rfc.as_deref(), Some("RFC 5321 §4.5.5"));
}

#[test]
fn rcpt_notify_and_orcpt_are_explained() {
    let lines = annotate(
        StepKind::Command,
        "RCPT TO:<bob@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob+2Bold@example.net\r\n",
    );
    let line = only(&lines);
    assert_eq!(
        &line.text[part(line, "forward-path").start..part(line, "forward-path").end],
        "<bob@example.net>"
    );
    let notify = part(line, "NOTIFY value");
    assert_eq!(&line.text[notify.start..notify.end], "SUCCESS,DELAY");
    assert!(notify.meaning.contains("on successful delivery") && notify.meaning.contains("delayed"));
    assert_eq!(notify.rfc.as_deref(), Some("RFC 3461 §4.1"));
    let orcpt = part(line, "ORCPT value");
    // The xtext is decoded by the parameter parser: `+2B` is `+`.
    assert!(orcpt.meaning.contains("bob+old@example.net"), "{}", orcpt.meaning);
    assert_eq!(orcpt.rfc.as_deref(), Some("RFC 3461 §4.2"));
}

#[test]
fn multi_line_ehlo_reply_labels_each_capability() {
    let lines = annotate(
        StepKind::Reply,
        "250-mx.example.net\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n",
    );
    assert_eq!(lines.len(), 4);
    assert_eq!(
        labels(&lines[0]),
        [
            ("250", "reply code"),
            ("-", "continuation \"-\""),
            ("mx.example.net", "server name"),
            ("", CRLF_LABEL)
        ]
    );
    assert_eq!(
        labels(&lines[1]),
        [
            ("250", "reply code"),
            ("-", "continuation \"-\""),
            ("SIZE", "EHLO keyword"),
            (" ", "SP"),
            ("10240000", "EHLO parameter"),
            ("", CRLF_LABEL)
        ]
    );
    assert_eq!(part(&lines[1], "EHLO keyword").rfc.as_deref(), Some("RFC 1870"));
    assert!(part(&lines[1], "EHLO parameter").meaning.contains("10240000 octets"));
    let auth: Vec<_> = lines[2].parts.iter().filter(|p| p.label == "EHLO parameter").collect();
    assert_eq!(auth.len(), 2);
    assert!(auth[1].meaning.starts_with("LOGIN"));
    assert_eq!(part(&lines[3], "SP").meaning, "a space after the code: this is the last line of the reply");
    assert_eq!(part(&lines[3], "EHLO keyword").rfc.as_deref(), Some("RFC 6531"));
    let code = part(&lines[0], "reply code");
    assert!(code.meaning.starts_with("250: Requested mail action okay"), "{}", code.meaning);
    assert!(code.meaning.contains("2 = positive completion") && code.meaning.contains("5 = mail system"));
}

#[test]
fn reply_with_enhanced_code_explains_class_subject_and_detail() {
    let lines = annotate(StepKind::Reply, "550 5.1.1 <carol@example.net>: User unknown\r\n");
    let line = only(&lines);
    assert_eq!(
        labels(line),
        [
            ("550", "reply code"),
            (" ", "SP"),
            ("5.1.1", "enhanced status code"),
            (" ", "SP"),
            ("<carol@example.net>: User unknown", "text"),
            ("", CRLF_LABEL),
        ]
    );
    let enhanced = part(line, "enhanced status code");
    assert!(enhanced.meaning.starts_with("5.1.1: Bad destination mailbox address"), "{}", enhanced.meaning);
    assert!(
        enhanced.meaning.contains("5 = permanent failure") && enhanced.meaning.contains("addressing status")
    );
    assert_eq!(enhanced.rfc.as_deref(), Some("RFC 3463 §3"));
    assert!(part(line, "reply code").meaning.contains("5 = permanent failure"));
    // Pipelined replies in one step: each is parsed on its own.
    let lines = annotate(StepKind::Reply, "250 2.1.0 Ok\r\n451 4.7.1 Greylisted\r\n354 Go ahead\r\n");
    assert_eq!(lines.len(), 3);
    assert!(part(&lines[1], "enhanced status code").meaning.contains("4 = persistent transient failure"));
    assert!(lines[2].parts.iter().all(|p| p.label != "enhanced status code"));
}

#[test]
fn data_lines_are_header_fields_body_and_end_of_data() {
    let lines = annotate(
        StepKind::Data,
        "From: alice@example.com\r\nSubject: a long\r\n subject\r\n\r\n..leading dot\r\nbody\r\n.\r\n",
    );
    assert_eq!(lines.len(), 7);
    assert_eq!(
        labels(&lines[0]),
        [("From", "header field name"), (":", ":"), (" alice@example.com", "From value"), ("", CRLF_LABEL)]
    );
    assert_eq!(part(&lines[0], "From value").rfc.as_deref(), Some("RFC 5322 §3.6.2"));
    assert_eq!(
        labels(&lines[2]),
        [(" ", "folding white space"), ("subject", "Subject value (continued)"), ("", CRLF_LABEL)]
    );
    assert_eq!(labels(&lines[3]), [("", "end of header section")]);
    assert_eq!(
        labels(&lines[4]),
        [(".", "dot-stuffing"), (".leading dot", "message data"), ("", CRLF_LABEL)]
    );
    assert_eq!(part(&lines[4], "dot-stuffing").rfc.as_deref(), Some("RFC 5321 §4.5.2"));
    assert_eq!(labels(&lines[5]), [("body", "message data"), ("", CRLF_LABEL)]);
    assert_eq!(labels(&lines[6]), [(".", "end of data"), ("", CRLF_LABEL)]);
    // A bare LF inside a line is pointed out (SMTP smuggling).
    let lines = annotate(StepKind::Data, "text\n.\nMAIL FROM:<x@y.example>\r\n");
    assert_eq!(lines[0].parts.iter().filter(|p| p.label == "bare LF").count(), 2);
}

#[test]
fn sasl_responses_are_decoded() {
    let line = &annotate(StepKind::Command, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")[0];
    assert!(part(line, "initial-response").meaning.contains("␀alice␀secret"));
    let line = &annotate(StepKind::Command, "YWxpY2U=\r\n")[0];
    assert!(part(line, "SASL response (base64)").meaning.contains("\"alice\""));
    let line = &annotate(StepKind::Reply, "334 VXNlcm5hbWU6\r\n")[0];
    assert!(part(line, "SASL challenge (base64)").meaning.contains("Username:"));
}

#[test]
fn junk_is_unrecognised_with_the_parsers_error() {
    let line = &annotate(StepKind::Command, "FROB the widget\r\n")[0];
    assert_eq!(labels(line), [("FROB the widget", "unrecognised"), ("", CRLF_LABEL)]);
    assert!(line.parts[0].meaning.contains("unknown command \"FROB\""), "{}", line.parts[0].meaning);
    let line = &annotate(StepKind::Command, "MAIL FROM:<a@b.example> SIZE=big\r\n")[0];
    assert!(line.parts[0].meaning.contains("SIZE expects a number of octets"), "{}", line.parts[0].meaning);
    let lines = annotate(StepKind::Reply, "hello there\r\n250 OK\r\n");
    assert_eq!(lines[0].parts[0].label, "unrecognised");
    assert_eq!(lines[1].parts[0].label, "reply code");
    // No CRLF: the last line has no CRLF part.
    let lines = annotate(StepKind::Command, "QUIT");
    assert_eq!(labels(only(&lines)), [("QUIT", "verb")]);
}

#[test]
fn dns_and_pop3_lines_are_labelled() {
    let line = &annotate(StepKind::DnsQuery, "example.net. IN MX ?")[0];
    assert_eq!(
        labels(line),
        [
            ("example.net.", "query name"),
            (" ", "SP"),
            ("IN", "class"),
            (" ", "SP"),
            ("MX", "record type"),
            (" ", "SP"),
            ("?", "question")
        ]
    );
    assert_eq!(part(line, "record type").rfc.as_deref(), Some("RFC 5321 §5.1"));
    let line = &annotate(StepKind::DnsAnswer, "NXDOMAIN: the domain does not exist")[0];
    assert_eq!(line.parts[0].rfc.as_deref(), Some("RFC 1035 §4.1.1"));
    let lines = annotate(StepKind::Retrieval, "+OK 12 octets\r\nSubject: x\r\n\r\n..hi\r\n.\r\n");
    assert_eq!(lines[0].parts[0].label, "status indicator");
    assert_eq!(lines[1].parts[0].label, "header field name");
    assert_eq!(lines[3].parts[0].label, "dot-stuffing");
    assert_eq!(lines[4].parts[0].label, "end of data");
}

#[test]
fn rfc_citations_become_links() {
    assert_eq!(
        rfc_link("RFC 5321 §4.1.1.2").as_deref(),
        Some("https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.2")
    );
    assert_eq!(rfc_link("RFC 6531").as_deref(), Some("https://www.rfc-editor.org/rfc/rfc6531"));
    assert_eq!(rfc_link("no citation"), None);
}

const KINDS: [StepKind; 15] = [
    StepKind::TcpConnect,
    StepKind::TcpRefused,
    StepKind::TcpClose,
    StepKind::Command,
    StepKind::Reply,
    StepKind::Data,
    StepKind::TlsHandshake,
    StepKind::DnsQuery,
    StepKind::DnsAnswer,
    StepKind::Queue,
    StepKind::Retry,
    StepKind::Dsn,
    StepKind::Delivery,
    StepKind::Retrieval,
    StepKind::Note,
];

/// Text that looks like SMTP often enough to reach the parsers' deep paths.
fn wire() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("MAIL FROM:<a@b.example> SIZE=1 ".to_owned()),
        Just("RCPT TO:<é@ü.example> NOTIFY=".to_owned()),
        Just("250-".to_owned()),
        Just("550 5.1.1 ".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n".to_owned()),
        Just("..".to_owned()),
        Just(": ".to_owned()),
        Just("AUTH PLAIN ".to_owned()),
        Just(" IN MX ?".to_owned()),
        any::<String>(),
        "[ -~]{0,12}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parts_cover_every_line_exactly(kind in prop::sample::select(KINDS.to_vec()), wire in wire()) {
        let lines = annotate(kind, &wire);
        let mut rebuilt = String::new();
        for line in &lines {
            let mut pos = 0;
            let mut crlf = false;
            for part in &line.parts {
                prop_assert!(!crlf, "a part after CRLF: {:?}", line);
                // The one empty part stands for the CRLF: last, at the end of the text.
                if part.start == part.end {
                    prop_assert_eq!(part.start, line.text.len(), "empty part inside: {:?}", line);
                    crlf = true;
                    continue;
                }
                prop_assert_eq!(part.start, pos, "gap or overlap: {:?}", line);
                prop_assert!(part.end > part.start, "empty part: {:?}", line);
                prop_assert!(line.text.is_char_boundary(part.start) && line.text.is_char_boundary(part.end));
                prop_assert!(!part.label.is_empty() && !part.meaning.is_empty());
                pos = part.end;
            }
            prop_assert_eq!(pos, line.text.len(), "not covered: {:?}", line);
            rebuilt.push_str(&line.text);
            if crlf {
                rebuilt.push_str("\r\n");
            }
        }
        prop_assert_eq!(rebuilt, wire);
    }
}

/// Every command and reply the lessons put on the wire is understood by the parsers:
/// no part of them is `unrecognised`, and every line is covered.
#[test]
fn every_lesson_line_is_recognised() {
    use smtp_playground::scenario::{self, lessons};
    let mut unrecognised = Vec::new();
    for lesson in lessons::ALL {
        let timeline = scenario::parse(lesson.source).expect("parses").run();
        for step in &timeline.steps {
            let Some(wire) = &step.wire else { continue };
            for line in annotate(step.kind, wire) {
                if line.parts.iter().any(|p| p.label == "unrecognised") {
                    unrecognised.push(format!("{} {:?}: {:?}", lesson.id, step.kind, line.text));
                }
            }
        }
    }
    assert!(unrecognised.is_empty(), "{unrecognised:#?}");
}
