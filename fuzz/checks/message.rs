// message_fields: RFC 5322 header fields, folding and dates, the trace fields of RFC 5321
// §4.4, and RFC 3464 delivery status notifications with the MIME that carries them.
// `include!`d by ../checks.rs inside `mod message_checks`.

use smtp_playground::message::{
    HeaderField, Message, Received, Return, build_dsn, delivery_status_content, fold, parse_date, parse_dsn,
    parse_return_path, return_path_field, unfold,
};

use super::shown;

/// The input is a message (RFC 5322 §2.1). It must parse back to the same bytes and value;
/// each of its fields must parse alone; and every field's value is offered to the date,
/// `Received:` and `Return-Path:` readers, its body to the `message/delivery-status` reader
/// and the whole input to the DSN reader, whatever the field or part is called: what reads
/// must round trip through its writer.
pub fn check_message_fields(data: &[u8]) {
    if let Ok(message) = Message::parse(data) {
        // 1. `Message::to_bytes` gives back the parsed bytes exactly, until it is changed.
        let wire = message.to_bytes();
        assert_eq!(wire, data, "Message::to_bytes changed the bytes of {}", shown(data));
        let again =
            Message::parse(&wire).unwrap_or_else(|e| panic!("{} no longer parses: {e}", shown(&wire)));
        assert_eq!(again, message, "reparse changed the message {}", shown(data));
        for field in message.fields() {
            check_field(field);
        }
        check_delivery_status(message.body());
    }
    check_delivery_status(data);
    check_dsn(data);
    if let Ok(text) = std::str::from_utf8(data) {
        check_date(text);
        check_received(text);
        check_return_path(text);
    }
}

/// One field: it parses alone to itself; folding its value again unfolds to the same line;
/// and its value goes to every field-value reader.
fn check_field(field: &HeaderField) {
    let alone = HeaderField::parse(field.as_str()).unwrap_or_else(|e| {
        panic!("field {} of a message does not parse alone: {e}", shown(field.as_bytes()))
    });
    assert_eq!(&alone, field, "field parsed alone differs: {}", shown(field.as_bytes()));
    // `fold` only inserts CRLF before white space, so `unfold` gives the line back exactly.
    let value = field.value();
    if !value.contains(['\r', '\n']) {
        let folded = fold(field.name(), &value);
        let line = format!("{}: {value}\r\n", field.name());
        assert_eq!(unfold(&folded), line, "unfold(fold({:?}, {value:?})) differs", field.name());
        if let Ok(rebuilt) = HeaderField::new(field.name(), &value) {
            assert_eq!(rebuilt.value(), value, "HeaderField::new({:?}, {value:?}).value()", field.name());
        }
    }
    check_date(&value);
    check_received(field.raw_value());
    check_return_path(field.raw_value());
}

/// `date-time` (RFC 5322 §3.3): what parses is written by `format_date` and reads back equal.
fn check_date(text: &str) {
    if let Ok(date) = parse_date(text) {
        let written = date.to_string();
        assert_eq!(parse_date(&written), Ok(date), "{text:?} -> {date:?} -> {written:?}");
    }
}

/// `Received:` (RFC 5321 §4.4): the stamp written from a parsed value reads back equal, both
/// unfolded and as the folded field `Received::to_field` writes.
fn check_received(value: &str) {
    let Ok(received) = Received::parse(value) else { return };
    let stamp = received.stamp();
    assert_eq!(Received::parse(&stamp).as_ref(), Ok(&received), "{value:?} -> stamp {stamp:?}");
    let field = received.to_field();
    let parsed = HeaderField::parse(&field).unwrap_or_else(|e| panic!("Received::to_field {field:?}: {e}"));
    assert_eq!(Received::parse(parsed.raw_value()).as_ref(), Ok(&received), "{value:?} -> field {field:?}");
}

/// `Return-Path:` (RFC 5322 §3.6.7): the path written by `return_path_field` reads back.
fn check_return_path(value: &str) {
    let Ok(path) = parse_return_path(value) else { return };
    let field = return_path_field(&path);
    let parsed = HeaderField::parse(&field).unwrap_or_else(|e| panic!("return_path_field {field:?}: {e}"));
    assert_eq!(parse_return_path(parsed.raw_value()).as_ref(), Ok(&path), "{value:?} -> {field:?}");
}

/// `message/delivery-status` content (RFC 3464 §2.1): `to_delivery_status` is its inverse.
fn check_delivery_status(content: &[u8]) {
    let Ok(report) = delivery_status_content(content) else { return };
    let written = report.to_delivery_status();
    assert_eq!(
        delivery_status_content(written.as_bytes()).as_ref(),
        Ok(&report),
        "{} -> {}",
        shown(content),
        shown(written.as_bytes())
    );
}

/// A whole DSN (RFC 3464 §2, RFC 2046 multipart): `build_dsn` is the inverse of `parse_dsn`.
fn check_dsn(data: &[u8]) {
    let Ok(report) = parse_dsn(data) else { return };
    let original = b"From: <a@example.org>\r\nSubject: x\r\n\r\nbody\r\n";
    for ret in [Return::Headers, Return::Full] {
        let built = build_dsn(
            &report,
            original,
            ret,
            "mailer-daemon@example.net",
            "a@example.org",
            "boundary",
            1_700_000_000,
            "dsn@example.net",
        );
        assert_eq!(parse_dsn(&built).as_ref(), Ok(&report), "{} -> {}", shown(data), shown(&built));
    }
}
