//! Plain-language explanations of what crosses the wire, for the timeline. Everything
//! is derived from the parsed command or reply, never from a per-lesson table.

use crate::proto::{Command, EhloReply, Reply, Verb, command::parse_command_line, reply::reply};

/// Summary, explanation and RFC section of a client line.
pub fn command_line(line: &[u8]) -> (String, String, String) {
    let shown = String::from_utf8_lossy(line).trim_end().to_owned();
    match parse_command_line(line) {
        Ok(command) => {
            let (summary, explanation) = command_text(&command);
            (summary, explanation, command.verb().rfc_section().to_owned())
        }
        Err(error) => (
            format!("The client sent {shown:?}"),
            format!(
                "This is not a valid SMTP command ({error}); the server will answer with a 5xx syntax error."
            ),
            "RFC 5321 §4.1.1".into(),
        ),
    }
}

fn command_text(command: &Command) -> (String, String) {
    match command {
        Command::Helo(host) => (
            format!("HELO: the client introduces itself as {host}"),
            "HELO opens a plain SMTP session (RFC 821 style): no extensions will be offered.".into(),
        ),
        Command::Ehlo(host) => (
            format!("EHLO: the client introduces itself as {host}"),
            "EHLO opens an extended (ESMTP) session: the server answers with the list of extensions it supports.".into(),
        ),
        Command::Mail { reverse_path, params } => {
            let extra = params.to_wire();
            (
                format!("MAIL FROM: the envelope sender is {reverse_path}"),
                format!(
                    "MAIL starts a transaction and names where bounces go (the reverse-path). It is the envelope, \
                     not the From: header the reader sees.{}",
                    if extra.is_empty() { String::new() } else { format!(" Parameters:{extra}.") }
                ),
            )
        }
        Command::Rcpt { forward_path, .. } => (
            format!("RCPT TO: one recipient, {forward_path}"),
            "Each RCPT names one envelope recipient; the server accepts or refuses each on its own.".into(),
        ),
        Command::Data => (
            "DATA: the client asks to send the message".into(),
            "After a 354 reply the client sends the message text, ending with a line holding a single dot.".into(),
        ),
        Command::Bdat { size, last } => (
            format!("BDAT: a chunk of {size} octets{}", if *last { ", the last one" } else { "" }),
            "With CHUNKING the message is sent in counted chunks: no dot-stuffing and no end marker.".into(),
        ),
        Command::Rset => ("RSET: abandon the current transaction".into(), "RSET clears sender, recipients and data; the connection stays open.".into()),
        Command::Vrfy(who) => (format!("VRFY: does {who} exist?"), "Most servers decline to answer (252) so spammers cannot harvest addresses.".into()),
        Command::Expn(list) => (format!("EXPN: who is on {list}?"), "Mailing-list expansion is usually disabled for privacy.".into()),
        Command::Help(_) => ("HELP: ask the server for help".into(), "The server lists the commands it knows.".into()),
        Command::Noop(_) => ("NOOP: do nothing".into(), "NOOP only asks the server to reply 250, e.g. to keep the connection alive.".into()),
        Command::Quit => ("QUIT: the client says goodbye".into(), "The server answers 221 and closes the connection.".into()),
        Command::StartTls => (
            "STARTTLS: upgrade this connection to TLS".into(),
            "After the server's 220 the two sides run a TLS handshake; everything after is encrypted, and the \
             client must send EHLO again."
                .into(),
        ),
        Command::Auth { mechanism, initial_response } => (
            format!("AUTH {mechanism}: the client logs in"),
            format!(
                "SASL authentication proves who is sending, so the server may relay for them.{}",
                if initial_response.is_some() { " The credentials are base64, not encrypted: only TLS protects them." } else { "" }
            ),
        ),
    }
}

/// Summary and explanation of the message text sent after DATA's 354: one step for the
/// whole message, counted as the learner sees it on screen (RFC 5321 §4.1.1.4, §4.5.2).
pub fn data_text(bytes: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    let content = lines.strip_suffix(&["."]).unwrap_or(&lines);
    let blank = content.iter().position(|l| l.is_empty());
    let fields =
        content[..blank.unwrap_or(content.len())].iter().filter(|l| !l.starts_with([' ', '\t'])).count();
    let body = blank.map_or(0, |b| content.len() - b - 1);
    let stuffed =
        content.iter().skip(blank.map_or(content.len(), |b| b + 1)).filter(|l| l.starts_with("..")).count();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let ended = lines.last() == Some(&".");
    let summary = format!(
        "The message: {}, {}{} ({} octets)",
        plural(fields, "header field", "header fields"),
        plural(body, "body line", "body lines"),
        if ended { " and the final dot" } else { "" },
        bytes.len()
    );
    let mut explanation = String::from(
        "The message text crosses as it is: header fields, a blank line, the body. The server does not \
         answer line by line; it waits for a line holding a single dot, which ends the data and is not \
         part of the message.",
    );
    if stuffed > 0 {
        explanation.push_str(&format!(
            " {} starts with a dot, so the client doubled it (dot-stuffing) and the server removes the extra dot.",
            plural(stuffed, "body line", "body lines")
        ));
    }
    (summary, explanation)
}

/// Summary, explanation and RFC section of a server reply, with the command it answers.
pub fn reply_text(bytes: &[u8], answering: Option<Verb>) -> (String, String, String) {
    let Ok((_, parsed)) = reply(bytes) else {
        return (
            "The server sent something that is not a reply".into(),
            String::new(),
            "RFC 5321 §4.2".into(),
        );
    };
    let code = parsed.code;
    let mut explanation = code.meaning().to_owned();
    if let Some(enhanced) = parsed.enhanced {
        explanation.push_str(&format!(". Enhanced status {enhanced}: {}", enhanced.describe()));
    }
    explanation.push('.');
    if let Some(ehlo) = EhloReply::from_reply(&parsed).filter(|_| answering == Some(Verb::Ehlo)) {
        let list: Vec<String> =
            ehlo.capabilities.iter().map(|c| format!("{} ({})", c.keyword(), c.explain().0)).collect();
        if !list.is_empty() {
            explanation.push_str(&format!(" Extensions offered: {}.", list.join("; ")));
        }
    }
    let class = if code.is_positive() {
        "accepted"
    } else if code.is_intermediate() {
        "go ahead"
    } else if code.is_transient() {
        "temporary failure: try again later"
    } else {
        "permanent failure"
    };
    let summary = match answering {
        Some(verb) => format!("{} reply to {verb}: {class}", code.get()),
        None => format!("{} {class}", code.get()),
    };
    (summary, explanation, code.defined_in().to_owned())
}

/// The reply as a value, when it parses.
pub fn parse_reply(bytes: &[u8]) -> Option<Reply> {
    reply(bytes).ok().map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_replies_are_explained_from_the_parse() {
        let (summary, _, rfc) = command_line(b"MAIL FROM:<a@example.com> SIZE=10\r\n");
        assert_eq!(summary, "MAIL FROM: the envelope sender is <a@example.com>");
        assert_eq!(rfc, "RFC 5321 §4.1.1.2");
        let (summary, explanation, _) =
            reply_text(b"550 5.1.1 <x@example.net>: User unknown\r\n", Some(Verb::Rcpt));
        assert_eq!(summary, "550 reply to RCPT: permanent failure");
        assert!(explanation.contains("Bad destination mailbox address"));
        let (summary, ..) = command_line(b"FROB\r\n");
        assert!(summary.contains("FROB"));
    }
}
