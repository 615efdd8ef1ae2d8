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
use crate::sim::{Fault, FaultAction};
use crate::timeline::Millis;

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
    let mut headers = Vec::new();
    collect_headers(&root, source, &starts, &mut headers);
    let next_line = headers.iter().filter(|p| p.line > table.pos.line).map(|p| p.line).min();
    Ok(remove_lines(source, &starts, table.pos.line, next_line))
}

/// `source` without the top-level entries named `keys`: a `key = value` (however many lines
/// its value takes), a `[table]`, or every table of a `[[table]]` array, each up to the next
/// entry or header, less the comments and blank lines just before it (they belong to what
/// follows). A recording's scenario keeps the world of the file `serve` ran and drops its
/// title, narrative and actions this way.
pub fn remove_entries(source: &str, keys: &[&str]) -> Result<String, ScenarioError> {
    let root = toml::parse(source)?;
    let starts = line_starts(source);
    // Where each top-level entry and each header starts: what ends the entry before it.
    let mut marks = Vec::new();
    collect_headers(&root, source, &starts, &mut marks);
    let mut removed = Vec::new();
    for entry in &root.entries {
        let tables: Vec<Pos> = match &entry.item.value {
            Value::Table(t) if is_header(t, source, &starts) => vec![t.pos],
            Value::Array(items)
                if !items.is_empty()
                    && items
                        .iter()
                        .all(|i| matches!(&i.value, Value::Table(t) if is_header(t, source, &starts))) =>
            {
                items
                    .iter()
                    .filter_map(|i| match &i.value {
                        Value::Table(t) => Some(t.pos),
                        _ => None,
                    })
                    .collect()
            }
            _ => {
                marks.push(entry.key_pos);
                vec![entry.key_pos]
            }
        };
        if keys.contains(&entry.key.as_str()) {
            removed.extend(tables.iter().map(|p| p.line));
        }
    }
    // From the last line up, so earlier line numbers stay right.
    removed.sort_unstable();
    removed.dedup();
    let mut out = source.to_owned();
    for &line in removed.iter().rev() {
        let next = marks.iter().filter(|p| p.line > line).map(|p| p.line).min();
        let starts = line_starts(&out);
        out = remove_lines(&out, &starts, line, next);
    }
    Ok(out)
}

/// `source` without the lines from `first` to the line before `next` (to the end without
/// one), less the blank and comment lines just before `next`, and with one blank line
/// before `first` if there is one.
fn remove_lines(source: &str, starts: &[usize], first: usize, next: Option<usize>) -> String {
    let offset = |line: usize| starts.get(line.saturating_sub(1)).copied().unwrap_or(source.len());
    let start = offset(first);
    let mut end = next.map_or(source.len(), offset);
    // Give back trailing blank and comment lines to what follows.
    while end > start {
        let before = &source[start..end];
        let without_end = before.strip_suffix('\n').unwrap_or(before);
        let line_begin = without_end.rfind('\n').map_or(start, |i| start + i + 1);
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
    out
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
            if is_header(t, source, starts) {
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

/// Whether `t` starts with a `[table]` or `[[table]]` header (an inline table starts with
/// `{`): the header is the first thing on its line, after blanks (ASCII: one column each).
fn is_header(t: &Table, source: &str, starts: &[usize]) -> bool {
    let line = starts.get(t.pos.line.saturating_sub(1)).and_then(|&i| source.get(i..)).unwrap_or("");
    let blanks = line.len() - line.trim_start_matches([' ', '\t']).len();
    t.pos.column == blanks + 1 && line.get(blanks..).is_some_and(|l| l.starts_with('['))
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

/// `source` with one more `[[send]]`: the learner's own message (`eml`, RFC 5322 text) sent
/// by `client` to `server` — by default the world's first client host and its first
/// submission server (or else MX) — the way a mail client (MUA) would send it:
///
/// - MAIL FROM is the `Sender:` address if there is one, else the first `From:` address
///   (RFC 5322 §3.6.2: Sender: names who actually sent it);
/// - RCPT TO is every address of `To:`, `Cc:` and `Bcc:`, once each (RFC 5321 §3.3);
/// - `Bcc:` fields are removed from the data, so the other recipients do not see the
///   blind copies (RFC 5322 §3.6.3, the first of its ways);
/// - port, TLS and AUTH are taken from a `[[send]]` the world already has between the same
///   two hosts, so a submission server that wants AUTH gets it.
///
/// The message goes into the file as a TOML multi-line string that reads back exactly
/// ([`super::toml_write`]); its line ends, LF or CRLF, become SMTP's CRLF when sent. The
/// result is parsed before it is returned, so every error (a header that is not RFC 5322,
/// no sender, no recipient, an address SMTP cannot carry, a file over the size limit)
/// comes back as a [`ScenarioError`]; errors about the message say "the message, line N".
pub fn with_eml(
    source: &str,
    eml: &str,
    client: Option<&str>,
    server: Option<&str>,
) -> Result<String, ScenarioError> {
    use crate::sim::{Action, HostRole};
    let scenario = super::parse(source)?;
    let hosts = &scenario.world.hosts;
    let problem = |message: String| ScenarioError { line: 1, column: 1, message };
    let named = |name: &str| {
        hosts.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.name.clone()).ok_or_else(|| {
            let known: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
            problem(format!("no host is named {name:?}; the hosts are: {}", known.join(", ")))
        })
    };
    let client = match client {
        Some(name) => named(name)?,
        None => hosts
            .iter()
            .find(|h| h.role == HostRole::Client)
            .map(|h| h.name.clone())
            .ok_or_else(|| problem("the world has no client host to send from: name one".into()))?,
    };
    let server = match server {
        Some(name) => named(name)?,
        None => [HostRole::Submission, HostRole::Mx]
            .iter()
            .find_map(|role| hosts.iter().find(|h| h.role == *role && h.smtp.is_some()))
            .map(|h| h.name.clone())
            .ok_or_else(|| problem("the world has no submission server or MX to send to: name one".into()))?,
    };
    let at_line = |e: crate::message::header::HeaderError| ScenarioError {
        line: 1,
        column: 1,
        message: format!("the message, line {}: {e}", e.line()),
    };
    let message = crate::message::header::Message::parse(eml.as_bytes()).map_err(at_line)?;
    let sender = message
        .get("sender")
        .or_else(|| message.get("from"))
        .and_then(|f| address_list(&f.unfolded_value()).into_iter().next())
        .ok_or_else(|| problem("the message has no From: (or Sender:) address for MAIL FROM".into()))?;
    let mut recipients: Vec<String> = Vec::new();
    for field in message.fields().iter().filter(|f| f.is("to") || f.is("cc") || f.is("bcc")) {
        for address in address_list(&field.unfolded_value()) {
            if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&address)) {
                recipients.push(address);
            }
        }
    }
    if recipients.is_empty() {
        return Err(problem("the message has no To:, Cc: or Bcc: address for RCPT TO".into()));
    }
    // The data: every field but Bcc:, then the body as it was.
    let mut data = String::with_capacity(eml.len());
    for field in message.fields().iter().filter(|f| !f.is("bcc")) {
        data.push_str(field.as_str());
    }
    data.push_str("\r\n");
    data.push_str(&String::from_utf8_lossy(message.body()));

    // Port, TLS and AUTH of a send the lesson already makes between these hosts.
    let like = scenario.world.actions.iter().find_map(|a| match a {
        Action::Send { client: c, server: s, port, config, .. }
            if c.eq_ignore_ascii_case(&client) && s.eq_ignore_ascii_case(&server) =>
        {
            Some((*port, config.clone()))
        }
        _ => None,
    });
    let mut table = String::from(
        "[[send]]\n# Your own message. The envelope comes from its header: MAIL FROM from Sender: or From:,\n\
         # RCPT TO from To:, Cc: and Bcc:; Bcc: is removed from the data, as a mail client does.\n",
    );
    table.push_str(&format!("from = {}\nto = {}\n", basic_string(&client), basic_string(&server)));
    if let Some((port, config)) = like {
        if port != 25 {
            table.push_str(&format!("port = {port}\n"));
        }
        let tls = match config.tls {
            crate::engine::TlsMode::Never => "never",
            crate::engine::TlsMode::Opportunistic => "opportunistic",
            crate::engine::TlsMode::Required => "required",
        };
        table.push_str(&format!("tls = \"{tls}\"\n"));
        if let Some(credentials) = &config.credentials {
            table.push_str(&format!(
                "user = {}\npassword = {}\n",
                basic_string(&credentials.user),
                basic_string(&credentials.password)
            ));
        }
    }
    table.push_str(&format!("mail_from = {}\n", basic_string(&sender)));
    let quoted: Vec<String> = recipients.iter().map(|r| basic_string(r)).collect();
    table.push_str(&format!("rcpt_to = [{}]\n", quoted.join(", ")));
    table.push_str(&format!("message = {}\n", super::toml_write::multiline_basic_string(&data)));

    let mut out = String::with_capacity(source.len() + table.len() + 2);
    out.push_str(source);
    if !out.is_empty() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&table);
    super::parse(&out)?;
    Ok(out)
}

/// The addr-specs of an address-list header value (RFC 5322 §3.4): each mailbox's address
/// inside `<…>`, or the bare address; display names, comments and group names are dropped,
/// and commas inside quoted strings, comments and `<…>` do not split. Entries without `@`
/// (an empty group such as `undisclosed-recipients:;`) give nothing.
pub fn address_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut bare, mut angle) = (String::new(), None::<String>);
    let (mut quoted, mut escaped, mut comment, mut in_angle) = (false, false, 0usize, false);
    let mut finish = |bare: &mut String, angle: &mut Option<String>| {
        // Inside <…> a quoted local part may hold spaces; a bare address may not.
        let (address, bracketed) = match angle.take() {
            Some(inner) => (inner, true),
            None => (std::mem::take(bare), false),
        };
        bare.clear();
        let address = address.trim();
        if address.contains('@') && (bracketed || !address.contains(char::is_whitespace)) {
            out.push(address.to_owned());
        }
    };
    for c in value.chars() {
        if escaped {
            escaped = false;
            if quoted
                && in_angle
                && let Some(a) = angle.as_mut()
            {
                a.push('\\');
                a.push(c);
            }
            continue;
        }
        match c {
            '\\' if quoted || comment > 0 => escaped = true,
            '"' if comment == 0 => {
                quoted = !quoted;
                if in_angle && let Some(a) = angle.as_mut() {
                    a.push(c);
                }
            }
            '(' if !quoted => comment += 1,
            ')' if !quoted && comment > 0 => comment -= 1,
            _ if comment > 0 => {}
            _ if quoted && !in_angle => {}
            // A group's display name ends at ':'; its list ends at ';'.
            ':' if !in_angle && !quoted => bare.clear(),
            ',' | ';' if !in_angle && !quoted => finish(&mut bare, &mut angle),
            '<' if !in_angle => {
                in_angle = true;
                angle = Some(String::new());
            }
            '>' if in_angle => in_angle = false,
            _ if in_angle => {
                if let Some(a) = angle.as_mut() {
                    a.push(c);
                }
            }
            _ => bare.push(c),
        }
    }
    finish(&mut bare, &mut angle);
    out
}
