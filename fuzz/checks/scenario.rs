// scenario_parse, permalink_decode and eml_import: the scenario file (the project's TOML
// subset and the world it describes), the permalink that carries it in a URL, and the
// learner's own .eml message added to a lesson.
// `include!`d by ../checks.rs inside `mod scenario_checks`.

use super::shown;
use smtp_playground::scenario::toml::{self, Table, Value};
use smtp_playground::scenario::toml_write::{basic_string, multiline_basic_string};
use smtp_playground::scenario::{self, edit, lessons, parse_duration, permalink};
use smtp_playground::sim::Action;

/// The input is scenario text. The TOML reader and the scenario reader never panic; every
/// string the TOML reader finds is written back by both TOML string writers and reads back
/// the same, and every duration reads back from the text `duration_text` writes. A scenario
/// that parses survives a permalink, and its `[[fault]]` tables survive being added again
/// and removed (`edit::add_fault`, `edit::remove_fault`).
pub fn check_scenario_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(root) = toml::parse(&text) {
        check_strings(&root);
    }
    let Ok(parsed) = scenario::parse(&text) else { return };
    assert_eq!(
        permalink::decode(&permalink::encode(&text)).as_deref(),
        Ok(&*text),
        "permalink round trip of a scenario that parses"
    );
    if !text.ends_with('\n') {
        return;
    }
    let count = edit::fault_count(&text);
    for fault in parsed.world.faults.iter().take(2) {
        let added = edit::add_fault(&text, fault);
        if toml::parse(&added).is_err() {
            continue;
        }
        assert_eq!(edit::fault_count(&added), count + 1, "add_fault({fault:?}) did not add a [[fault]]");
        assert_eq!(
            edit::remove_fault(&added, count).as_deref(),
            Ok(&*text),
            "remove_fault(add_fault(s, {fault:?}), {count}) is not s"
        );
    }
}

/// The input is scenario text, and a scenario that parses is *run* (issue 15: fuzz the
/// simulation, not only its reader). The world never panics, whatever times, sizes, faults and
/// policies the file asks for; the run is deterministic (twice gives the same timeline); time
/// never goes backwards; every step points at a snapshot that exists; and the timeline
/// survives JSON, the form the page's lesson data and the worker's answers take.
pub fn check_scenario_run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(parsed) = scenario::parse(&text) else { return };
    let (timeline, _) = parsed.run_checked();
    assert_eq!(parsed.run_checked().0, timeline, "two runs of one scenario differ: {}", shown(data));
    let (mut last, mut changes) = (0, 0);
    for (i, step) in timeline.steps.iter().enumerate() {
        assert!(step.time >= last, "step {i} goes back in time ({} < {last}): {}", step.time, shown(data));
        last = step.time;
        assert!(step.changes >= changes, "step {i} undoes changes: {}", shown(data));
        assert!(step.changes <= timeline.changes.len(), "step {i} counts changes never made: {}", shown(data));
        changes = step.changes;
    }
    let json = serde_json::to_string(&timeline).expect("a timeline serializes");
    let back: smtp_playground::timeline::Timeline = serde_json::from_str(&json).expect("and reads back");
    assert_eq!(back, timeline, "the timeline changes through JSON: {}", shown(data));
}

/// Each string value in `table`, at any depth.
fn check_strings(table: &Table) {
    for entry in &table.entries {
        check_value(&entry.item.value);
    }
}

fn check_value(value: &Value) {
    match value {
        Value::String(text) => check_string(text),
        Value::Array(items) => items.iter().for_each(|item| check_value(&item.value)),
        Value::Table(table) => check_strings(table),
        Value::Integer(_) | Value::Boolean(_) => {}
    }
}

/// `parse(write(s)) == s` for both string forms of toml_write; durations read back.
fn check_string(text: &str) {
    for written in [basic_string(text), multiline_basic_string(text)] {
        let doc = format!("k = {written}\n");
        let read = match toml::parse(&doc) {
            Ok(root) => root.get("k").map(|entry| entry.item.value.clone()),
            Err(error) => panic!("{text:?} written as {written:?} does not read back: {error}"),
        };
        assert_eq!(read, Some(Value::String(text.to_owned())), "{text:?} written as {written:?}");
    }
    if let Some(ms) = parse_duration(text) {
        let written = edit::duration_text(ms);
        assert_eq!(parse_duration(&written), Some(ms), "duration {text:?} = {ms} ms written as {written:?}");
    }
}

/// The input is a permalink parameter. `decode` never panics (base64url, DEFLATE with a
/// size limit, UTF-8); what it decodes is encoded again to a link that decodes to the same
/// text, and is given to the scenario reader as the page does. The input itself, as text,
/// also survives `encode` then `decode`.
pub fn check_permalink_decode(data: &[u8]) {
    let param = String::from_utf8_lossy(data);
    if let Ok(source) = permalink::decode(&param) {
        assert_eq!(
            permalink::decode(&permalink::encode(&source)).as_ref(),
            Ok(&source),
            "decode(encode(decode({param:?})))"
        );
        let _ = scenario::parse(&source);
    }
    assert_eq!(
        permalink::decode(&permalink::encode(&param)).as_deref(),
        Ok(&*param),
        "decode(encode(input))"
    );
}

/// The input is one byte that picks a lesson (`lessons::ALL`), then an .eml message. Adding
/// it with `edit::with_eml` never panics; when it succeeds, the file it returns parses, has
/// one `[[send]]` more than the lesson, and that send has recipients and sends exactly the
/// message's fields without `Bcc:`, the empty line and the body, with SMTP's CRLF line ends.
pub fn check_eml_import(data: &[u8]) {
    let Some((&selector, eml)) = data.split_first() else { return };
    let Some(lesson) = lessons::ALL.get(usize::from(selector) % lessons::ALL.len().max(1)) else { return };
    let eml = String::from_utf8_lossy(eml);
    let Ok(out) = edit::with_eml(lesson.source, &eml, None, None) else { return };
    let sends = |actions: &[Action]| -> Vec<(Vec<u8>, usize)> {
        actions
            .iter()
            .filter_map(|action| match action {
                Action::Send { message, envelope, .. } => Some((message.clone(), envelope.recipients.len())),
                _ => None,
            })
            .collect()
    };
    let before = scenario::parse(lesson.source).map(|s| sends(&s.world.actions)).unwrap_or_default();
    let after =
        scenario::parse(&out).unwrap_or_else(|e| panic!("with_eml gave a file that does not parse: {e:?}"));
    let after = sends(&after.world.actions);
    assert_eq!(after.len(), before.len() + 1, "with_eml({}, {eml:?}) did not add one [[send]]", lesson.id);
    let parsed = smtp_playground::message::Message::parse(eml.as_bytes())
        .unwrap_or_else(|e| panic!("with_eml accepted a message that does not parse: {e}"));
    let mut expected = String::new();
    for field in parsed.fields().iter().filter(|f| !f.is("bcc")) {
        expected.push_str(field.as_str());
    }
    expected.push_str("\r\n");
    expected.push_str(&String::from_utf8_lossy(parsed.body()));
    let expected: String = expected.lines().map(|line| format!("{line}\r\n")).collect();
    // The new [[send]] is the one with this message (sends are not kept in file order).
    let added = after.iter().find(|(message, _)| message.as_slice() == expected.as_bytes());
    let Some((_, recipients)) = added else {
        panic!("no [[send]] of with_eml({}) sends the .eml's text {expected:?}; sends: {after:?}", lesson.id);
    };
    assert!(*recipients > 0, "with_eml({}) added a send without recipients: {eml:?}", lesson.id);
}
