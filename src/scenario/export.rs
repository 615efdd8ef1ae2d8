//! Exports: the client side of a lesson's `[[send]]`, to run with real software against a
//! real server — as a swaks command line and as a Python smtplib script — and a timeline as
//! plain text. With `server_override` (e.g. `"127.0.0.1:2525"`, where `smtp-playground
//! serve` listens) the learner can replay the lesson outside the page.
//!
//! Everything that comes from the scenario is quoted for its target: POSIX shell single
//! quotes and bash `$'…'` for swaks, Python string and bytes literals for smtplib, so no
//! address or message can break out into code.
//!
//! For the UI: offer "Copy as swaks" / "Copy as Python" on a `[[send]]` (its index among
//! the scenario's `[[send]]` tables, from 0), "Copy transcript" on the timeline and
//! "Save as .eml" on a delivered message ([`delivered_eml`]).

use super::Scenario;
use crate::engine::{ClientConfig, Envelope, TlsMode};
use crate::sim::Action;
use crate::timeline::Timeline;

/// The `send_index`-th `[[send]]` (0-based) with its server's address.
struct Send<'a> {
    server: String,
    port: u16,
    config: &'a ClientConfig,
    envelope: &'a Envelope,
    message: &'a [u8],
}

fn nth_send<'a>(scenario: &'a Scenario, index: usize, server_override: Option<&str>) -> Option<Send<'a>> {
    let (server, port, config, envelope, message) = scenario
        .world
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { server, port, config, envelope, message, .. } => {
                Some((server, *port, config, envelope, message))
            }
            _ => None,
        })
        .nth(index)?;
    let (server, port) = match server_override.map(split_host_port) {
        Some((host, Some(port))) => (host, port),
        Some((host, None)) => (host, port),
        None => (server.clone(), port),
    };
    Some(Send { server, port, config, envelope, message })
}

/// `host:port`, `[v6]:port`, or a host alone.
fn split_host_port(text: &str) -> (String, Option<u16>) {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[')
        && let Some((host, after)) = rest.split_once(']')
    {
        return (host.to_owned(), after.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => (host.to_owned(), Some(port)),
            Err(_) => (text.to_owned(), None),
        },
        _ => (text.to_owned(), None),
    }
}

fn address(path: &impl ToString) -> String {
    let wire = path.to_string();
    wire.strip_prefix('<').and_then(|w| w.strip_suffix('>')).map(str::to_owned).unwrap_or(wire)
}

/// The message as it goes after DATA: CRLF line ends, leading dots doubled (RFC 5321
/// §4.5.2), a final CRLF.
fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 8);
    let mut at_line_start = true;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// POSIX shell single quotes: everything literal; a `'` becomes `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Bash ANSI-C quoting (`$'…'`) of bytes: printable ASCII as itself, `\\`, `\'`, and
/// `\xHH` for every other octet, so CR, LF and UTF-8 survive copy and paste. A NUL cannot
/// be carried (bash ends the string there); it is written as `\x00` and the caller says so.
fn ansi_c_quote(bytes: &[u8]) -> String {
    format!("${}", quoted_bytes(bytes))
}

/// `'…'` with the escapes bash's `$'…'` and Python's `b'…'` share: printable ASCII as itself,
/// `\\`, `\'`, `\r`, `\n`, `\t`, and `\xHH` for every other octet.
fn quoted_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("'");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

/// The client side of `[[send]]` number `send_index` (0-based) as a swaks command, for bash.
/// The message goes through standard input with `--no-data-fixup`, already dot-stuffed and
/// ended by its final dot, so swaks sends it byte for byte (without it swaks would replace
/// `%DATE%`-like tokens and rewrite the header). swaks has no options for DSN's RET, ENVID
/// and NOTIFY nor for BDAT; a comment says when the lesson used them.
pub fn swaks_command(scenario: &Scenario, send_index: usize, server_override: Option<&str>) -> String {
    let Some(send) = nth_send(scenario, send_index, server_override) else {
        return format!("# This scenario has no [[send]] number {}.\n", send_index + 1);
    };
    let mut out = format!(
        "# {}: the client side of [[send]] number {}, as swaks (run it with bash).\n",
        one_line(&scenario.title),
        send_index + 1
    );
    let params = &send.envelope.mail_params;
    let dsn = params.ret.is_some()
        || params.envid.is_some()
        || send.envelope.recipients.iter().any(|r| r.params.notify.is_some());
    if dsn {
        out.push_str("# The lesson asks for DSNs (RET/ENVID/NOTIFY); swaks cannot send those parameters.\n");
    }
    if send.config.chunking {
        out.push_str("# The lesson sends with BDAT when offered; swaks always uses DATA.\n");
    }
    if send.message.contains(&0) {
        out.push_str(
            "# The message holds NUL octets, which a shell string cannot carry: it ends at the first.\n",
        );
    }
    let mut data = dot_stuffed(send.message);
    data.push(b'.');
    out.push_str(&format!("printf '%s' {} | swaks \\\n", ansi_c_quote(&data)));
    let server = if send.server.contains(':') { format!("[{}]", send.server) } else { send.server.clone() };
    let mut args = vec![
        format!("--server {}", shell_quote(&format!("{server}:{}", send.port))),
        format!("--helo {}", shell_quote(&send.config.helo.to_string())),
    ];
    if !send.config.ehlo {
        args.push("--protocol SMTP".into());
    }
    args.push(format!("--from {}", shell_quote(&address(&send.envelope.reverse_path))));
    let to: Vec<String> = send.envelope.recipients.iter().map(|r| address(&r.path)).collect();
    args.push(format!("--to {}", shell_quote(&to.join(","))));
    match send.config.tls {
        TlsMode::Never => {}
        TlsMode::Opportunistic => args.push("--tls-optional".into()),
        TlsMode::Required => args.push("--tls".into()),
    }
    if let Some(credentials) = &send.config.credentials {
        args.push("--auth PLAIN,LOGIN".into());
        args.push(format!("--auth-user {}", shell_quote(&credentials.user)));
        args.push(format!("--auth-password {}", shell_quote(&credentials.password)));
    }
    if send.config.pipelining {
        args.push("--pipeline".into());
    }
    args.push("--data - --no-data-fixup".into());
    out.push_str(&args.iter().map(|a| format!("  {a}")).collect::<Vec<_>>().join(" \\\n"));
    out.push('\n');
    out
}

/// A Python string literal (single quotes): `\\`, `\'`, `\r \n \t`, `\xHH` for other
/// control characters, `\uXXXX`/`\UXXXXXXXX` for everything outside printable ASCII.
pub fn python_str(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('\'');
    out
}

/// A Python bytes literal: printable ASCII as itself, escapes for the rest.
pub fn python_bytes(bytes: &[u8]) -> String {
    format!("b{}", quoted_bytes(bytes))
}

/// The client side of `[[send]]` number `send_index` (0-based) as a Python 3 smtplib
/// script: EHLO (or HELO), STARTTLS when the lesson uses TLS, AUTH when it has a user, MAIL
/// with the lesson's parameters, one RCPT per recipient with its reply printed, and the
/// message's exact bytes after DATA. It exits with 1 when the server refused the message.
pub fn smtplib_script(scenario: &Scenario, send_index: usize, server_override: Option<&str>) -> String {
    let Some(send) = nth_send(scenario, send_index, server_override) else {
        return format!("# This scenario has no [[send]] number {}.\n", send_index + 1);
    };
    let envelope = send.envelope;
    let mut mail_options: Vec<String> = Vec::new();
    let utf8 = !envelope.reverse_path.is_ascii() || envelope.recipients.iter().any(|r| !r.path.is_ascii());
    if utf8 {
        mail_options.push("SMTPUTF8".into());
    }
    if !send.message.is_ascii() {
        mail_options.push("BODY=8BITMIME".into());
    }
    let params = envelope.mail_params.to_wire();
    mail_options.extend(params.split_whitespace().filter(|p| !p.starts_with("SIZE=")).map(str::to_owned));
    let rcpts: Vec<(String, Vec<String>)> = envelope
        .recipients
        .iter()
        .map(|r| (address(&r.path), r.params.to_wire().split_whitespace().map(str::to_owned).collect()))
        .collect();
    let list = |items: &[String]| items.iter().map(|i| python_str(i)).collect::<Vec<_>>().join(", ");

    let mut out = String::from("#!/usr/bin/env python3\n");
    out.push_str(&format!(
        "# {}: the client side of [[send]] number {}, with Python's smtplib.\n",
        one_line(&scenario.title),
        send_index + 1
    ));
    out.push_str("import smtplib\nimport sys\n\n");
    out.push_str(&format!("HOST = {}\nPORT = {}\n", python_str(&send.server), send.port));
    out.push_str(&format!("HELO = {}\n", python_str(&send.config.helo.to_string())));
    out.push_str(&format!("MAIL_FROM = {}\n", python_str(&address(&envelope.reverse_path))));
    out.push_str(&format!("MAIL_OPTIONS = [{}]\n", list(&mail_options)));
    out.push_str("RECIPIENTS = [\n");
    for (rcpt, options) in &rcpts {
        out.push_str(&format!("    ({}, [{}]),\n", python_str(rcpt), list(options)));
    }
    out.push_str("]\n");
    out.push_str("MESSAGE = (\n");
    for line in send.message.split_inclusive(|&b| b == b'\n') {
        out.push_str(&format!("    {}\n", python_bytes(line)));
    }
    if send.message.is_empty() {
        out.push_str("    b''\n");
    }
    out.push_str(")\n\n");
    out.push_str("with smtplib.SMTP(HOST, PORT, local_hostname=HELO) as smtp:\n");
    out.push_str(if send.config.ehlo { "    smtp.ehlo()\n" } else { "    smtp.helo()\n" });
    match send.config.tls {
        TlsMode::Never => {}
        TlsMode::Opportunistic => {
            out.push_str("    if smtp.has_extn('starttls'):\n        smtp.starttls()\n        smtp.ehlo()\n");
        }
        TlsMode::Required => out.push_str("    smtp.starttls()\n    smtp.ehlo()\n"),
    }
    if let Some(credentials) = &send.config.credentials {
        out.push_str(&format!(
            "    smtp.login({}, {})\n",
            python_str(&credentials.user),
            python_str(&credentials.password)
        ));
    }
    out.push_str(
        "    code, text = smtp.mail(MAIL_FROM, MAIL_OPTIONS)\n\
         \x20   print('MAIL', code, text.decode(errors='replace'))\n\
         \x20   if code != 250:\n\
         \x20       sys.exit(1)\n\
         \x20   accepted = []\n\
         \x20   for rcpt, options in RECIPIENTS:\n\
         \x20       code, text = smtp.rcpt(rcpt, options)\n\
         \x20       print('RCPT', rcpt, code, text.decode(errors='replace'))\n\
         \x20       if code in (250, 251):\n\
         \x20           accepted.append(rcpt)\n\
         \x20   if not accepted:\n\
         \x20       smtp.rset()\n\
         \x20       sys.exit(1)\n\
         \x20   code, text = smtp.data(MESSAGE)\n\
         \x20   print('DATA', code, text.decode(errors='replace'))\n\
         \x20   sys.exit(0 if code == 250 else 1)\n",
    );
    out
}

/// The timeline as the terminal transcript shows it, one line per wire line, for copying.
pub fn transcript_text(timeline: &Timeline) -> String {
    let mut out = timeline.transcript().join("\n");
    out.push('\n');
    out
}

/// The `index`-th message (0-based) in `mailbox` (`user@domain`, or a folder such as
/// `user@domain/Junk`) at the end of the run, as an `.eml` file: the message as it was
/// stored, with the Return-Path: and the Received: chain it gained, CRLF line ends (RFC
/// 5322 §2.1). `None` when there is no such message.
pub fn delivered_eml(timeline: &Timeline, mailbox: &str, index: usize) -> Option<String> {
    timeline
        .final_snapshot()
        .mailboxes
        .values()
        .find_map(|boxes| boxes.iter().find(|(name, _)| name.eq_ignore_ascii_case(mailbox)))
        .and_then(|(_, messages)| messages.get(index))
        .map(|message| message.data.to_string())
}

/// A title on one line, for a comment.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
