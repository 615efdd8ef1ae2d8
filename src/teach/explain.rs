//! Plain-language explanations of what crosses the wire, for the timeline. Everything
//! is derived from the parsed command or reply, never from a per-lesson table.

use crate::proto::{Command, EhloReply, Reply, Verb, command::parse_command_line, reply::reply};

/// Summary, explanation and RFC section of a client line.
pub fn command_line(line: &[u8]) -> (String, String, String) {
    match parse_command_line(line) {
        Ok(command) => {
            let (summary, explanation) = command_text(&command);
            (summary, explanation, command.verb().rfc_section().to_owned())
        }
        Err(error) => (
            format!("The client sent {:?}", String::from_utf8_lossy(line).trim_end()),
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
    // Valid UTF-8 (nearly always) is checked quickly and borrowed.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
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
/// The explanation says what the reply means for that command (a 250 to RCPT is not a 250
/// to DATA), then the server's own words, and the enhanced code only where it says more
/// than the reply code (an `x.0.0` adds nothing).
pub fn reply_text(bytes: &[u8], answering: Option<Verb>) -> (String, String, String) {
    let Ok((_, parsed)) = reply(bytes) else {
        return (
            "The server sent something that is not a reply".into(),
            "A reply starts with three digits; a client that cannot read one must treat the session as \
             broken."
                .into(),
            "RFC 5321 §4.2".into(),
        );
    };
    reply_explained(&parsed, answering)
}

/// [`reply_text`] for a reply already parsed (or just made, as the simulator's server makes
/// them): nothing is read twice.
pub fn reply_explained(parsed: &Reply, answering: Option<Verb>) -> (String, String, String) {
    use std::fmt::Write as _;
    let code = parsed.code;
    let context = reply_context(answering, code.get());
    // Room for the context and the server's words or the extensions, grown once at most.
    let mut explanation = String::with_capacity(context.len() + 256);
    explanation.push_str(context);
    let ehlo = (answering == Some(Verb::Ehlo) && code.is_positive())
        .then(|| EhloReply::from_reply(parsed))
        .flatten();
    // Writing to a String cannot fail.
    match ehlo {
        Some(ehlo) => {
            for (i, c) in ehlo.capabilities.iter().enumerate() {
                let lead = if i == 0 { " Extensions offered: " } else { "; " };
                let _ = write!(explanation, "{lead}{} ({})", c.keyword(), c.explain().0);
            }
            if !ehlo.capabilities.is_empty() {
                explanation.push('.');
            }
        }
        None => {
            let words = parsed.text();
            let words = words.trim();
            if !words.is_empty() {
                let _ = write!(explanation, " The server's own words: “{words}”.");
            }
        }
    }
    if let Some(enhanced) = parsed.enhanced.filter(|e| e.subject() != 0 || e.detail() != 0) {
        let _ = write!(
            explanation,
            " Its enhanced status code {enhanced} gives the reason: {}.",
            enhanced.describe()
        );
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
        None if code.get() == 220 => "220 greeting: the server is ready".to_owned(),
        None => format!("{} {class}", code.get()),
    };
    (summary, explanation, code.defined_in().to_owned())
}

/// What `code` means as the answer to `verb` (`None`: the greeting, or a reply nobody
/// asked for), in plain words.
fn reply_context(verb: Option<Verb>, code: u16) -> &'static str {
    match (verb, code) {
        (_, 421) => {
            "421: the server is closing the connection now. It is temporary: a client keeps its message \
             and tries again later."
        }
        (None, 220) => "The server speaks first: 220 means it is ready, and its greeting names it.",
        (None, 554) => {
            "The server refuses to talk to this client at all: it will accept no command but QUIT."
        }
        (None, c) if c >= 500 => {
            "A reply nobody asked for: the server rejects what it read as not a command."
        }
        (Some(Verb::Ehlo), 250) => {
            "The server greets the client by name and lists its extensions, one per line."
        }
        (Some(Verb::Helo), 250) => "The server greets the client back; after HELO it offers no extensions.",
        (Some(Verb::Mail), 250) => {
            "The sender is accepted: a mail transaction has begun, and the server waits for recipients."
        }
        (Some(Verb::Mail), 552) => {
            "The sender is refused because the declared size is over the server's limit."
        }
        (Some(Verb::Mail), c) if c >= 500 => "The sender is refused: this transaction cannot start.",
        (Some(Verb::Rcpt), 250 | 251) => {
            "This recipient is accepted: the message will be delivered or relayed to it."
        }
        (Some(Verb::Rcpt), 450..=452) => {
            "This recipient cannot be taken now; the client keeps the message and tries the recipient later."
        }
        (Some(Verb::Rcpt), c) if c >= 500 => {
            "This recipient is refused for good: the client must not retry it as it is, and will report it \
             to the sender. Other recipients of the transaction are not affected."
        }
        (Some(Verb::Data), 354) => {
            "Go ahead: the server now reads the message text, up to a line holding a single dot."
        }
        (Some(Verb::Data | Verb::Bdat), 250) => {
            "The server has the whole message and takes responsibility for it: from this reply on, delivering \
             it, or reporting that it could not, is the server's job."
        }
        (Some(Verb::Data), 503) => "No recipient was accepted yet, so there is nobody to send the data to.",
        (Some(Verb::Data | Verb::Bdat), c) if (400..500).contains(&c) => {
            "The message is not taken this time: the client keeps it and sends it again later."
        }
        (Some(Verb::Data | Verb::Bdat), c) if c >= 500 => {
            "The message is refused after the server read it: nothing is delivered, and the sender will be told."
        }
        (Some(Verb::Quit), 221) => "The server says goodbye and closes the connection.",
        (Some(Verb::StartTls), 220) => {
            "The server is ready for TLS: the handshake starts right after this line."
        }
        (Some(Verb::StartTls), _) => "STARTTLS is refused: the connection stays unencrypted.",
        (Some(Verb::Auth), 334) => "The server asks for the next part of the login, base64-encoded.",
        (Some(Verb::Auth), 235) => "The login worked: this session is now authenticated as that user.",
        (Some(Verb::Auth), 535) => "The login failed: the user name or password is wrong.",
        (Some(Verb::Auth), _) => "AUTH is refused: the session is not authenticated.",
        (Some(Verb::Rset), 250) => {
            "The transaction is cleared: sender and recipients are forgotten; the session goes on."
        }
        (Some(Verb::Noop), 250) => "Nothing to do: the server only shows it is still there.",
        (Some(Verb::Vrfy), 252) => {
            "The server will not say whether the mailbox exists, but would try to deliver to it."
        }
        (_, 500) => "The server did not recognise this as a command.",
        (_, 501) => "The command's arguments are wrong: the server could not read them.",
        (_, 502) => "This server does not implement that command.",
        (_, 503) => "Bad sequence: the command is valid, but not at this point of the session.",
        (_, 504) => "The server does not implement that parameter of the command.",
        (_, 530) => "The server wants the client to log in (AUTH) first.",
        (_, c) if c < 300 => "Done: the server did what the command asked.",
        (_, c) if c < 400 => "Go on: the server waits for more from the client.",
        (_, c) if c < 500 => "Not now: a 4xx is temporary, and the client should try again later.",
        _ => "Refused for good: a 5xx means the same command would fail again.",
    }
}

/// Summary, explanation and RFC 1939 section of a POP3 command line from the recipient's
/// mail client.
pub fn pop3_command(line: &[u8]) -> (String, String, String) {
    let line = String::from_utf8_lossy(line).trim_end().to_owned();
    let mut words = line.split_whitespace();
    let keyword = words.next().unwrap_or_default().to_ascii_uppercase();
    let argument = words.next().unwrap_or_default();
    let (summary, explanation, section) = match keyword.as_str() {
        "USER" => (
            format!("POP3 USER {argument}"),
            format!(
                "The mail client names the mailbox it wants to read: {argument}. The password comes next."
            ),
            "§7",
        ),
        "PASS" => (
            "POP3 PASS (the password, in clear text)".to_owned(),
            "The password, as it is: without TLS anyone on the path can read it. If it is right the \
             server locks the mailbox for this session."
                .to_owned(),
            "§7",
        ),
        "APOP" => (
            format!("POP3 APOP {argument}"),
            "A login that sends a digest of the greeting's timestamp and the secret instead of the password."
                .to_owned(),
            "§7",
        ),
        "STAT" => (
            "POP3 STAT: how many messages, how large?".to_owned(),
            "STAT asks for the number of messages in the mailbox and their total size in octets.".to_owned(),
            "§5",
        ),
        "LIST" => (
            format!("POP3 LIST {argument}").trim_end().to_owned(),
            "LIST asks for each message's number and size, so the client can choose what to download."
                .to_owned(),
            "§5",
        ),
        "UIDL" => (
            format!("POP3 UIDL {argument}").trim_end().to_owned(),
            "UIDL asks for each message's unique id, which stays the same across sessions: a client that \
             keeps mail on the server uses it to fetch only what is new."
                .to_owned(),
            "§7",
        ),
        "RETR" => (
            format!("POP3 RETR {argument}: download message {argument}"),
            format!("RETR asks for the whole of message {argument}, header and body, as the MX stored it."),
            "§5",
        ),
        "TOP" => (
            format!("POP3 TOP {argument}"),
            "TOP asks for a message's header and the first lines of its body only.".to_owned(),
            "§7",
        ),
        "DELE" => (
            format!("POP3 DELE {argument}: mark message {argument} for deletion"),
            "DELE only marks the message: it is removed when the session ends with QUIT (the UPDATE \
             state), and RSET could still undo it."
                .to_owned(),
            "§5",
        ),
        "RSET" => (
            "POP3 RSET".to_owned(),
            "RSET unmarks every message marked for deletion in this session.".to_owned(),
            "§5",
        ),
        "NOOP" => ("POP3 NOOP".to_owned(), "NOOP does nothing but get a +OK.".to_owned(), "§5"),
        "QUIT" => (
            "POP3 QUIT: end the session".to_owned(),
            "QUIT ends the session; after a login the server now enters the UPDATE state and removes the \
             messages marked with DELE."
                .to_owned(),
            "§6",
        ),
        _ => (
            format!("POP3 {line}"),
            "A command this POP3 server does not know; it will answer -ERR.".to_owned(),
            "§3",
        ),
    };
    (summary, explanation, format!("RFC 1939 {section}"))
}

/// Summary, explanation and RFC 1939 section of a POP3 response to `asked` (the command's
/// keyword; `None` for the greeting).
pub fn pop3_response(bytes: &[u8], asked: Option<&str>) -> (String, String, String) {
    let text = String::from_utf8_lossy(bytes);
    let first = text.lines().next().unwrap_or_default();
    let ok = first.starts_with("+OK");
    let status = if ok { "+OK" } else { "-ERR" };
    let words = first.trim_start_matches(status).trim();
    let (explanation, section): (String, &str) = match (asked, ok) {
        (None, true) => (
            "The POP3 server greets the mail client: the session is in the AUTHORIZATION state, \
             waiting for a login."
                .into(),
            "§4",
        ),
        (Some("USER"), true) => ("The server knows this mailbox and waits for the password.".into(), "§7"),
        (Some("PASS" | "APOP"), true) => (
            "Logged in: the mailbox is locked for this session, which is now in the TRANSACTION state."
                .into(),
            "§7",
        ),
        (Some("PASS" | "APOP"), false) => ("The login failed; the client may try again.".into(), "§7"),
        (Some("STAT"), true) => (format!("The mailbox holds {words} (messages, then octets)."), "§5"),
        (Some("LIST" | "UIDL"), true) => {
            ("The listing: one line per message, ending with a line holding a single dot.".into(), "§5")
        }
        (Some("RETR" | "TOP"), true) => (
            "The message follows, exactly as stored (with the Return-Path: and Received: fields the MX \
             added), dot-stuffed and ended by a line holding a single dot."
                .into(),
            "§5",
        ),
        (Some("DELE"), true) => {
            ("Marked for deletion; it goes when the session ends with QUIT.".into(), "§5")
        }
        (Some("QUIT"), true) => (
            "The server says goodbye, removes what was marked for deletion and closes the connection.".into(),
            "§6",
        ),
        (_, true) => ("The server did what was asked.".into(), "§3"),
        (_, false) => ("-ERR: the server refuses the command; the text says why.".into(), "§3"),
    };
    let summary = match asked {
        Some(command) => format!("POP3 {status} to {command}"),
        None => format!("POP3 {status}: greeting"),
    };
    (summary, explanation, format!("RFC 1939 {section}"))
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
        assert!(explanation.contains("recipient is refused for good"), "{explanation}");
        assert!(
            explanation.contains("5.1.1 gives the reason: Bad destination mailbox address"),
            "{explanation}"
        );
        // An x.0.0 code says nothing more than the reply code, so it is not explained.
        let (_, explanation, _) = reply_text(b"250 2.0.0 Ok: queued as 1\r\n", Some(Verb::Data));
        assert!(!explanation.contains("undefined"), "{explanation}");
        assert!(explanation.contains("takes responsibility"), "{explanation}");
        let (_, explanation, _) = reply_text(b"550 5.7.1 Rejected by DMARC policy\r\n", Some(Verb::Data));
        assert!(!explanation.contains("mailbox unavailable"), "{explanation}");
        assert!(explanation.contains("Delivery not authorized"), "{explanation}");
        let (summary, ..) = command_line(b"FROB\r\n");
        assert!(summary.contains("FROB"));
    }
}
