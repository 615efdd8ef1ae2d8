//! Edits of scenario *text*, so what the learner changes stays part of the shareable file:
//! "What if…" adds a `[[fault]]` table at the end, and undo removes it again.
//!
//! For the UI: keep the scenario as text; on "What if…", call
//! [`crate::sim::whatif::fault_for_step`] for the selected step, then `add_fault(source,
//! &fault)`, [`super::parse`] the result and run it. Undo is `remove_fault(source, n)`
//! with `n` the fault's index among the file's `[[fault]]` tables (the last one for the
//! fault just added: [`fault_count`] − 1).

use super::ScenarioError;
use super::toml::{self, Pos, Table, Value};
use super::toml_write::basic_string;
use crate::sim::timeline::Millis;
use crate::sim::{Fault, FaultAction};

/// The `[[fault]]` table for `fault`, as TOML text ending in a newline.
pub fn fault_toml(fault: &Fault) -> String {
    let mut out = String::from("[[fault]]\n");
    out.push_str(&format!("host = {}\n", basic_string(&fault.host)));
    if let Some(trigger) = &fault.trigger {
        out.push_str(&format!("command = \"{}\"\n", trigger.verb.as_str()));
        out.push_str(&format!("occurrence = {}\n", trigger.occurrence));
    }
    out.push_str(&format!("action = \"{}\"\n", fault.action.keyword()));
    match &fault.action {
        FaultAction::Reply(reply) => {
            let wire = reply.to_bytes();
            let text = String::from_utf8_lossy(&wire);
            // One line: a multi-line reply keeps its first line's code and text.
            let first = text.lines().next().unwrap_or_default();
            out.push_str(&format!("reply = {}\n", basic_string(first)));
        }
        FaultAction::Down { at, duration } => {
            out.push_str(&format!("at = \"{}\"\n", duration_text(*at)));
            out.push_str(&format!("for = \"{}\"\n", duration_text(*duration)));
        }
        FaultAction::Close421 | FaultAction::Drop | FaultAction::Greylist => {}
    }
    out
}

/// `source` with `fault` appended as a `[[fault]]` table, after a blank line.
/// `remove_fault(&add_fault(s, f), fault_count(s))` gives `s` back when `s` is empty or
/// ends with a line end (as every saved file does); otherwise `s` gains that line end.
pub fn add_fault(source: &str, fault: &Fault) -> String {
    let mut out = String::with_capacity(source.len() + 128);
    out.push_str(source);
    if !out.is_empty() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&fault_toml(fault));
    out
}

/// How many `[[fault]]` tables `source` has (0 when it is not TOML).
pub fn fault_count(source: &str) -> usize {
    toml::parse(source).map(|root| fault_tables(&root).len()).unwrap_or(0)
}

/// `source` without its `index`-th (0-based) `[[fault]]` table: from its header to the
/// next table's header, less the comments and blank lines just before that header (they
/// belong to what follows), and with one blank line before the header if there is one.
pub fn remove_fault(source: &str, index: usize) -> Result<String, ScenarioError> {
    let root = toml::parse(source)?;
    let faults = fault_tables(&root);
    let Some(table) = faults.get(index) else {
        return Err(ScenarioError {
            line: 1,
            column: 1,
            message: format!("there is no [[fault]] number {} (the file has {})", index + 1, faults.len()),
        });
    };
    let starts = line_starts(source);
    let offset = |line: usize| starts.get(line.saturating_sub(1)).copied().unwrap_or(source.len());
    let start = offset(table.pos.line);
    // The next header after this one, anywhere in the file.
    let mut headers = Vec::new();
    collect_headers(&root, source, &starts, &mut headers);
    let next_line = headers.into_iter().filter(|p| p.line > table.pos.line).map(|p| p.line).min();
    let mut end = next_line.map_or(source.len(), offset);
    // Give back trailing blank and comment lines to what follows.
    while end > start {
        let before = &source[start..end];
        let line_begin =
            before[..before.len().saturating_sub(1)].rfind('\n').map_or(start, |i| start + i + 1);
        let line = source[line_begin..end].trim();
        if line_begin > start && (line.is_empty() || line.starts_with('#')) {
            end = line_begin;
        } else {
            break;
        }
    }
    let mut begin = start;
    let head = &source[..start];
    if head.ends_with("\n\n") {
        begin -= 1;
    } else if head.ends_with("\r\n\r\n") {
        begin -= 2;
    }
    let mut out = String::with_capacity(source.len());
    out.push_str(&source[..begin]);
    out.push_str(&source[end..]);
    Ok(out)
}

fn fault_tables(root: &Table) -> Vec<&Table> {
    match root.get("fault").map(|e| &e.item.value) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match &item.value {
                Value::Table(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Byte offsets where each line starts.
fn line_starts(source: &str) -> Vec<usize> {
    std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

/// Positions of every `[table]` and `[[table]]` header (inline tables start with `{`).
fn collect_headers(table: &Table, source: &str, starts: &[usize], out: &mut Vec<Pos>) {
    for entry in &table.entries {
        collect_item(&entry.item.value, source, starts, out);
    }
}

fn collect_item(value: &Value, source: &str, starts: &[usize], out: &mut Vec<Pos>) {
    match value {
        Value::Table(t) => {
            // A header is the first thing on its line, after blanks (ASCII: one column each).
            let line = starts.get(t.pos.line.saturating_sub(1)).and_then(|&i| source.get(i..)).unwrap_or("");
            let blanks = line.len() - line.trim_start_matches([' ', '\t']).len();
            if t.pos.column == blanks + 1 && line[blanks..].starts_with('[') {
                out.push(t.pos);
            }
            collect_headers(t, source, starts, out);
        }
        Value::Array(items) => {
            for item in items {
                collect_item(&item.value, source, starts, out);
            }
        }
        _ => {}
    }
}

/// `1h30m`, `250ms`, `0s`: a duration as [`super::parse_duration`] reads it.
pub fn duration_text(ms: Millis) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

