//! Plain-language explanations of IMAP4rev2 (RFC 9051) writes, for the timeline: a summary,
//! an explanation and the RFC section of one client write ([`command`]) and of one server
//! write ([`response`]). Everything is derived from [`crate::proto::imap`]'s parsers, never
//! from a per-lesson table, and nothing here panics on any input.
//!
//! A client write is one command line (CRLF-terminated), a command with its literals, the
//! first part of a command that waits for the server's `+`, a continuation (the rest of such a
//! command, or a base64 SASL response), or `DONE`. A server write is everything the server
//! wrote in answer to one command: untagged data, continuation requests and the tagged
//! completion, or the greeting alone.

use crate::proto::imap::{
    self as wire, Capability, Code, Command, CommandBody, CommandError, Data, FetchAttribute, FetchItems,
    Flag, FlagPerm, Frame, Framer, FramerRole, Mailbox, MessageData, Response, SearchReturnData, Section,
    SequenceSet, Status, StoreKind,
};

/// Summaries are cut to fewer characters than this.
const SUMMARY_LIMIT: usize = 100;

// ---------------------------------------------------------------------------------------
// Client writes
// ---------------------------------------------------------------------------------------

/// Summary, explanation and RFC 9051 section of one client write. Without knowing what the
/// server sent before, a line that is no command is explained both ways: as the rest of a
/// command after the server's `+`, and as the BAD it would get otherwise; [`continuation`]
/// says it exactly when the caller knows.
pub fn command(bytes: &[u8]) -> (String, String, String) {
    let shown = first_line(bytes);
    if bytes.is_empty() || bytes.iter().all(u8::is_ascii_whitespace) {
        return (
            "IMAP: an empty line (BAD)".into(),
            "An empty line is no command: every command starts with a tag and a name, so the server \
             answers with an untagged * BAD and waits for the next line."
                .into(),
            "RFC 9051 §2.2.1".into(),
        );
    }
    let error = match wire::parse_command(bytes) {
        Ok(command) => return describe_command(&command, bytes),
        Err(error) => error,
    };
    if let Some(commands) = pipelined(bytes) {
        return describe_pipeline(&commands);
    }
    if let Some(done) = done_line(bytes) {
        return done;
    }
    if let Some(sasl) = sasl_line(bytes) {
        return sasl;
    }
    if !bytes.ends_with(b"\r\n") && !bytes.contains(&b'\n') {
        return (
            clip(&format!("IMAP: an unfinished line {shown:?}")),
            "A command ends with CRLF; until it arrives the server keeps these octets and waits for \
             the rest of the line."
                .into(),
            "RFC 9051 §2.2".into(),
        );
    }
    if let Some(first_part) = literal_first_part(bytes) {
        return first_part;
    }
    match error {
        CommandError::NoTag => (
            clip(&format!("IMAP {shown}: no tag (BAD, unless it continues a literal)")),
            "Read as a command, this line has no tag followed by a space and a command name, so the \
             server would answer with an untagged * BAD. Right after the server's + though, these are \
             the octets of a literal the server asked for, and the rest of that command."
                .into(),
            "RFC 9051 §2.2.1, §7.6".into(),
        ),
        CommandError::UnknownCommand { tag, name } => (
            clip(&format!("IMAP {name}: no such command (BAD, unless it continues a literal)")),
            format!(
                "Read as a command, this is tag {tag} and the command {name}, which the server does not \
                 know: it would answer “{tag} BAD” and do nothing, and the session would go on. Right \
                 after the server's +, though, these octets are the literal it asked for and the rest \
                 of that command."
            ),
            "RFC 9051 §7.1.3, §7.6".into(),
        ),
        CommandError::Syntax { tag, name } => (
            clip(&format!("IMAP {name}: arguments the server cannot read (BAD)")),
            format!(
                "The arguments do not fit the grammar of {name}, so the server will answer “{tag} BAD” \
                 and do nothing. IMAP servers read commands strictly: a missing or extra space, or a \
                 word where a number belongs, is already a syntax error."
            ),
            format!("{}, §7.1.3", command_section(&name)),
        ),
    }
}

/// Summary, explanation and RFC 9051 section of a client write sent after the server's `+`
/// for `asked` (the command's name, e.g. `LOGIN`, `AUTHENTICATE`, `IDLE`): the octets of
/// a synchronizing literal and the rest of the command, a SASL response, or `DONE`.
pub fn continuation(bytes: &[u8], asked: &str) -> (String, String, String) {
    let asked = asked.trim().to_ascii_uppercase();
    if asked == "IDLE"
        && let Some(done) = done_line(bytes)
    {
        return done;
    }
    if asked == "AUTHENTICATE"
        && let Some(sasl) = sasl_line(bytes)
    {
        return sasl;
    }
    let line = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
    let octets = bytes.len();
    let mut explanation = format!(
        "After the server's +, the client sends the octets its literal announced, then the rest of the \
         {asked} command. The server counts the octets rather than looking for quotes, so spaces, \
         quotes and non-ASCII characters inside need no escaping."
    );
    match wire::trailing_literal(line) {
        Some((n, false)) => explanation.push_str(&format!(
            " The line ends by announcing another literal of {n} octets, so the client waits for + once more."
        )),
        Some((n, true)) => explanation.push_str(&format!(
            " It ends with a non-synchronizing literal of {n} octets ({{{n}+}}), sent without waiting."
        )),
        None => explanation.push_str(" Its CRLF completes the command: now the server answers it."),
    }
    (
        clip(&format!("IMAP {asked}, continued ({octets} octets after +)")),
        explanation,
        "RFC 9051 §7.6, §4.3".into(),
    )
}

/// The first line of `bytes` as text, without CRLF, cut short.
fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.split("\r\n").next().unwrap_or_default().trim_end();
    clip_to(line, 60)
}

/// The first line of `bytes` after its first `words` space-separated words (tag, name...).
fn args_text(bytes: &[u8], words: usize) -> String {
    let line = first_line(bytes);
    let mut rest = line.as_str();
    for _ in 0..words {
        rest = rest.split_once(' ').map_or("", |(_, after)| after);
    }
    rest.trim().to_owned()
}

/// `text` cut to fewer than [`SUMMARY_LIMIT`] characters, with `…` where it was cut.
fn clip(text: &str) -> String {
    clip_to(text, SUMMARY_LIMIT - 1)
}

fn clip_to(text: &str, max: usize) -> String {
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().count() <= max {
        return text;
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The RFC 9051 section of a command, by its name (`UID FETCH` included).
pub(crate) fn command_section(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    let section = match upper.strip_prefix("UID ").unwrap_or(&upper) {
        "CAPABILITY" => "§6.1.1",
        "NOOP" => "§6.1.2",
        "LOGOUT" => "§6.1.3",
        "STARTTLS" => "§6.2.1",
        "AUTHENTICATE" => "§6.2.2",
        "LOGIN" => "§6.2.3",
        "ENABLE" => "§6.3.1",
        "SELECT" => "§6.3.2",
        "EXAMINE" => "§6.3.3",
        "LIST" => "§6.3.9",
        "STATUS" => "§6.3.11",
        "IDLE" => "§6.3.13",
        "CLOSE" => "§6.4.1",
        "UNSELECT" => "§6.4.2",
        "EXPUNGE" => "§6.4.3",
        "SEARCH" => "§6.4.4",
        "FETCH" => "§6.4.5",
        "STORE" => "§6.4.6",
        "UID" => "§6.4.9",
        // CHECK is RFC 3501's; RFC 9051 removed it in favour of NOOP (Appendix E, item 17).
        "CHECK" => return "RFC 9051 §6.1.2; RFC 3501 §6.4.1".into(),
        _ => "§6",
    };
    if upper.starts_with("UID ") && upper != "UID EXPUNGE" {
        format!("RFC 9051 §6.4.9, {section}")
    } else if upper == "UID EXPUNGE" {
        "RFC 9051 §6.4.9".into()
    } else {
        format!("RFC 9051 {section}")
    }
}

/// Several whole commands in one write (pipelining, RFC 9051 §5.5).
fn pipelined(bytes: &[u8]) -> Option<Vec<Command>> {
    let mut rest = bytes;
    let mut commands = Vec::new();
    while !rest.is_empty() {
        let (after, command) = wire::command(rest).ok()?;
        commands.push(command);
        rest = after;
    }
    (commands.len() > 1).then_some(commands)
}

fn describe_pipeline(commands: &[Command]) -> (String, String, String) {
    let names: Vec<&str> = commands.iter().map(|c| c.body.name()).collect();
    (
        clip(&format!("IMAP: {} commands at once ({})", commands.len(), names.join(", "))),
        format!(
            "The client sends {} commands without waiting for each answer (pipelining). Each has its own \
             tag, so the server's completions can be matched to them one by one.",
            commands.len()
        ),
        "RFC 9051 §5.5".into(),
    )
}

/// `DONE` ending IDLE.
fn done_line(bytes: &[u8]) -> Option<(String, String, String)> {
    let line = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
    line.eq_ignore_ascii_case(b"DONE").then(|| {
        (
            "IMAP DONE: end of IDLE".into(),
            "DONE is no command and has no tag: it answers the + the server sent for IDLE. The server \
             now completes IDLE with its tagged OK, and the client may send commands again."
                .into(),
            "RFC 9051 §6.3.13".into(),
        )
    })
}

/// The three parts of a SASL PLAIN message (RFC 4616): authorization identity, user name,
/// password.
fn plain_parts(data: &[u8]) -> Option<(String, String, String)> {
    let mut parts = data.split(|&b| b == 0);
    let (authzid, user, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Some((text(authzid), text(user), text(password)))
}

/// A line on its own that is a SASL response: base64, `=` or the `*` that cancels.
fn sasl_line(bytes: &[u8]) -> Option<(String, String, String)> {
    let line = bytes.strip_suffix(b"\r\n")?;
    if line == b"*" {
        return Some((
            "IMAP SASL: * cancels the login".into(),
            "A line holding only * cancels the AUTHENTICATE exchange: the server answers with a tagged \
             BAD and the client is still not logged in."
                .into(),
            "RFC 9051 §6.2.2".into(),
        ));
    }
    if line.is_empty() || line.contains(&b' ') {
        return None;
    }
    let data = wire::base64_line(line)?;
    let (summary, explanation) = match plain_parts(&data) {
        Some((authzid, user, password)) => (
            format!("IMAP SASL PLAIN response: log in as {user}"),
            format!(
                "After the server's +, the client sends its credentials as one base64 line: {} the user \
                 name {user} and the password “{password}”, separated by NUL octets. Base64 is an \
                 encoding, not encryption; {}",
                if authzid.is_empty() {
                    "an empty authorization identity (act as yourself),".to_owned()
                } else {
                    format!("the authorization identity {authzid},")
                },
                password_shown(&password),
            ),
        ),
        None => (
            "IMAP SASL response (base64)".to_owned(),
            format!(
                "A line of base64 that answers the server's + during AUTHENTICATE; it decodes to {} \
                 octets. Base64 only encodes: anyone who sees the line can decode it, which is why it \
                 belongs inside TLS.",
                data.len()
            ),
        ),
    };
    Some((clip(&summary), explanation, "RFC 9051 §6.2.2".into()))
}

/// A command cut at a synchronizing literal's header: the client waits for `+`.
fn literal_first_part(bytes: &[u8]) -> Option<(String, String, String)> {
    let line = bytes.strip_suffix(b"\r\n")?;
    let (n, non_sync) = wire::trailing_literal(line)?;
    if !matches!(wire::command(bytes), Err(nom::Err::Incomplete(_))) {
        return None;
    }
    let (_, name, known) = wire::command_start(bytes)?;
    if !known {
        return None;
    }
    if non_sync {
        return Some((
            clip(&format!("IMAP {name}, cut short after {{{n}+}}")),
            format!(
                "{{{n}+}} announces a non-synchronizing literal: its {n} octets should follow at once, \
                 in the same write, without waiting for the server. Until they arrive the server keeps \
                 waiting for the rest of the command."
            ),
            format!("{}, §4.3", command_section(&name)),
        ));
    }
    Some((
        clip(&format!("IMAP {name}, first part: a {n}-octet literal follows after +")),
        format!(
            "The command does not fit in a plain line: {{{n}}} announces a literal, a value sent as exactly \
             {n} octets. Because it is a synchronizing literal, the client stops here and waits for the \
             server's + before sending them; that lets the server refuse a bad command before a large \
             value crosses the network."
        ),
        format!("{}, §7.6", command_section(&name)),
    ))
}

fn fetch_items_text(items: &FetchItems) -> String {
    match items {
        FetchItems::All => "ALL".into(),
        FetchItems::Fast => "FAST".into(),
        FetchItems::Full => "FULL".into(),
        FetchItems::Attributes { attributes, parenthesized } => {
            let list: Vec<String> = attributes.iter().map(ToString::to_string).collect();
            if *parenthesized { format!("({})", list.join(" ")) } else { list.join(" ") }
        }
    }
}

/// `1:*` in words.
fn set_words(set: &SequenceSet, uid: bool) -> String {
    let what = if uid { "UIDs" } else { "messages" };
    let text = set.to_string();
    if text == "1:*" {
        return if uid { "every UID (1:*)".into() } else { "every message (1:*: from 1 to the last)".into() };
    }
    if text.ends_with(":*") {
        let from = text.trim_end_matches(":*");
        return format!("{what} {from} to the last ({text})");
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return format!("{} {text}", if uid { "UID" } else { "message" });
    }
    format!("{what} {text}")
}

/// Flags as a client writes them in a sentence: `\Deleted \Seen`.
fn flag_names(flags: &[Flag]) -> String {
    let list: Vec<String> = flags.iter().map(ToString::to_string).collect();
    list.join(" ")
}

fn flags_text(flags: &[Flag]) -> String {
    let list: Vec<String> = flags.iter().map(ToString::to_string).collect();
    format!("({})", list.join(" "))
}

/// Whether a mailbox name reads as the spam folder.
fn is_junk_name(mailbox: &Mailbox) -> bool {
    let lower = mailbox.name().to_ascii_lowercase();
    lower.contains("junk") || lower.contains("spam")
}

fn describe_command(command: &Command, bytes: &[u8]) -> (String, String, String) {
    let tag = command.tag.as_str();
    let name = command.body.name();
    let rfc = command_section(name);
    let literal = bytes.windows(2).any(|w| w == b"+}") || bytes.windows(3).any(|w| w == b"}\r\n");
    let (summary, explanation) = match &command.body {
        CommandBody::Capability => (
            "IMAP CAPABILITY".to_owned(),
            format!(
                "The client asks what this server supports: the IMAP revisions, the login methods \
                 (AUTH=…) and extensions such as IDLE or LITERAL+. It chooses how to log in from the \
                 answer. The tag {tag} labels the command: the server's final line will start with {tag}."
            ),
        ),
        CommandBody::Noop => (
            "IMAP NOOP".to_owned(),
            "NOOP asks nothing by itself, but every command lets the server report changes: new mail \
             shows up as an untagged EXISTS in the answer. Clients send it to poll for mail and to keep \
             a quiet connection from timing out."
                .to_owned(),
        ),
        CommandBody::Logout => (
            "IMAP LOGOUT".to_owned(),
            "The client is done: it asks the server to end the session. Logging out deletes nothing; \
             the messages stay on the server for the next session or another device."
                .to_owned(),
        ),
        CommandBody::StartTls => (
            "IMAP STARTTLS".to_owned(),
            "The client asks to turn this cleartext connection into a TLS one before it sends any \
             password. After the server's OK the TLS handshake starts, and the client asks for the \
             capabilities again, since they can change under TLS."
                .to_owned(),
        ),
        CommandBody::Authenticate { mechanism, initial_response } => {
            let plain = initial_response.as_deref().and_then(plain_parts);
            match (initial_response, plain) {
                (_, Some((_, user, password))) => (
                    format!("IMAP AUTHENTICATE {mechanism} as {user}"),
                    format!(
                        "The client logs in with SASL {mechanism}: one base64 message holding the user \
                         name {user} and the password “{password}”, sent with the command itself \
                         (SASL-IR) to save a round trip. Base64 is not encryption: {} The tag {tag} \
                         labels the command, and the server's completion will carry the same tag.",
                        password_shown(&password)
                    ),
                ),
                (Some(_), None) => (
                    format!("IMAP AUTHENTICATE {mechanism} (with an initial response)"),
                    format!(
                        "The client starts a SASL {mechanism} login and sends its first message with the \
                         command (SASL-IR). The tag {tag} labels the command until the server's tagged \
                         answer ends the exchange."
                    ),
                ),
                (None, _) => (
                    format!("IMAP AUTHENTICATE {mechanism}"),
                    format!(
                        "The client starts a SASL {mechanism} login without an initial response, so the \
                         server first answers with a + continuation; only then does the client send its \
                         base64 credentials on a line of their own. The exchange ends with a line tagged \
                         {tag}."
                    ),
                ),
            }
        }
        CommandBody::Login { username, password } => {
            let mut text = format!(
                "The client logs in with a user name and a password in plain text: {username} and \
                 “{password}”. {} RFC 9051 forbids LOGIN on an unprotected connection. The tag {tag} \
                 labels the command, and the server's answer ({tag} OK or {tag} NO) carries it back: \
                 that is how a client matches answers to commands.",
                password_shown(&String::from_utf8_lossy(password.as_ref()))
            );
            if literal {
                text.push_str(
                    " A value with spaces, quotes or non-ASCII letters travels as a literal: its octet \
                     count in braces, then the octets.",
                );
            }
            (format!("IMAP LOGIN as {username}"), text)
        }
        CommandBody::Enable(capabilities) => {
            let list: Vec<String> = capabilities.iter().map(ToString::to_string).collect();
            let explanation = if capabilities.contains(&Capability::Imap4Rev2) {
                "The client asks a server that also speaks IMAP4rev1 to answer the RFC 9051 way from now \
                 on (for example with ESEARCH answers to SEARCH)."
                    .to_owned()
            } else {
                format!(
                    "The client switches on {}: extensions that change how the server answers from now on. \
                     A server ignores the names it does not know, without an error.",
                    list.join(", ")
                )
            };
            (format!("IMAP ENABLE {}", list.join(" ")), explanation)
        }
        CommandBody::Select(mailbox) => {
            let what = if *mailbox == Mailbox::Inbox {
                "INBOX, the mailbox where new mail arrives".to_owned()
            } else if is_junk_name(mailbox) {
                format!("{mailbox}, the folder where the server filed messages it judged to be spam")
            } else {
                mailbox.name().to_owned()
            };
            (
                format!("IMAP SELECT {mailbox}"),
                format!(
                    "The client opens {what}, read-write: from now on FETCH, STORE and SEARCH refer to \
                     the messages inside it. Before its OK the server describes the mailbox: how many \
                     messages it holds, which flags they can carry, its UIDVALIDITY and UIDNEXT."
                ),
            )
        }
        CommandBody::Examine(mailbox) => (
            format!("IMAP EXAMINE {mailbox}"),
            format!(
                "EXAMINE opens {} read-only: the client can read the messages, but nothing it does \
                 changes them, not even the \\Seen flag that reading a message normally sets. A client \
                 uses it to look without touching.",
                if is_junk_name(mailbox) {
                    format!("{mailbox}, the spam folder,")
                } else {
                    mailbox.name().to_owned()
                }
            ),
        ),
        CommandBody::List { pattern, .. } => {
            let asks = match pattern.as_str() {
                "" => "An empty pattern asks for no names at all, only for the hierarchy delimiter, the \
                       character that separates the levels of a name such as Archive/2026."
                    .to_owned(),
                "*" => "The pattern * matches every name at every level: the client asks for all of the \
                        user's mailboxes (folders), as a mail program does after logging in to draw its \
                        folder list."
                    .to_owned(),
                "%" => "The pattern % matches the names at the top level only, since it stops at the \
                        hierarchy delimiter: the client asks for the user's top-level mailboxes (folders)."
                    .to_owned(),
                _ => format!(
                    "The client asks which mailboxes (folders) match “{pattern}”: * matches any name at \
                     any level, % stops at the hierarchy delimiter."
                ),
            };
            let answer = if pattern.is_empty() {
                "The answer is one line with an empty name marked \\Noselect."
            } else {
                "Each answer line names one mailbox with its attributes; \\Junk, for example, marks the \
                 folder where the server files the mail it judged suspicious."
            };
            (clip(&format!("IMAP LIST {}", args_text(bytes, 2))), format!("{asks} {answer}"))
        }
        CommandBody::Status { mailbox, attributes } => {
            let list: Vec<String> = attributes.iter().map(ToString::to_string).collect();
            let words: Vec<&str> = attributes
                .iter()
                .map(|a| match a {
                    wire::StatusAttribute::Messages => "how many messages it holds (MESSAGES)",
                    wire::StatusAttribute::Unseen => "how many are not yet read (UNSEEN)",
                    wire::StatusAttribute::UidNext => "the UID the next message will get (UIDNEXT)",
                    wire::StatusAttribute::UidValidity => "its UIDVALIDITY",
                    wire::StatusAttribute::Deleted => "how many are marked \\Deleted (DELETED)",
                    wire::StatusAttribute::Size => "its total size in octets (SIZE)",
                })
                .collect();
            let why = if is_junk_name(mailbox) {
                format!(
                    " That tells whether suspected spam is waiting in {mailbox} without opening it: \
                     STATUS selects nothing and changes no flag, and the session stays where it was."
                )
            } else {
                " That is how a mail program shows “3 unread” beside a folder: STATUS selects nothing \
                 and changes no flag."
                    .to_owned()
            };
            (
                clip(&format!("IMAP STATUS {mailbox} ({})", list.join(" "))),
                format!("The client asks the server to count {mailbox}: {}.{why}", and_list(&words)),
            )
        }
        CommandBody::Idle => (
            "IMAP IDLE".to_owned(),
            "The client says it will wait, and asks the server to report changes the moment they happen \
             (new mail as * n EXISTS) rather than being asked again and again with NOOP. The server \
             answers + and keeps the command open until the client sends DONE."
                .to_owned(),
        ),
        CommandBody::Close => (
            "IMAP CLOSE".to_owned(),
            "The client closes the selected mailbox. Messages marked \\Deleted are now removed for good, \
             silently (no EXPUNGE responses), and the session is back in the authenticated state."
                .to_owned(),
        ),
        CommandBody::Unselect => (
            "IMAP UNSELECT".to_owned(),
            "The client closes the selected mailbox without removing anything: unlike CLOSE, messages \
             marked \\Deleted stay."
                .to_owned(),
        ),
        CommandBody::Check => (
            "IMAP CHECK".to_owned(),
            "CHECK asks an IMAP4rev1 server to save the mailbox's state; RFC 9051 removed it, and \
             clients should send NOOP instead."
                .to_owned(),
        ),
        CommandBody::Expunge => (
            "IMAP EXPUNGE".to_owned(),
            "The client asks the server to remove for good every message marked \\Deleted in this \
             mailbox. Each removal is reported as * n EXPUNGE, and the messages after it are renumbered \
             at once."
                .to_owned(),
        ),
        CommandBody::UidExpunge(set) => (
            clip(&format!("IMAP UID EXPUNGE {set}")),
            format!(
                "The client removes for good the messages marked \\Deleted among {}, and only those: \
                 another client's \\Deleted marks elsewhere are left alone.",
                set_words(set, true)
            ),
        ),
        CommandBody::Search { uid, returns, criteria, .. } => {
            let shown = args_text(bytes, if *uid { 3 } else { 2 });
            let mut explanation = format!(
                "The server looks for the messages that match {} and answers with their {}, without \
                 sending any message.",
                if criteria.len() == 1 {
                    "the criterion given".to_owned()
                } else {
                    format!("all {} criteria given", criteria.len())
                },
                if *uid { "UIDs" } else { "sequence numbers" }
            );
            if returns.is_some() {
                explanation.push_str(
                    " RETURN (…) asks for a summary (MIN, MAX, COUNT or ALL) in one ESEARCH response.",
                );
            }
            (clip(&format!("IMAP {name} {shown}")), explanation)
        }
        CommandBody::Fetch { uid, set, items } => {
            let attributes = items.expand();
            let names: Vec<String> = attributes.iter().map(ToString::to_string).collect();
            let targets = set_words(set, *uid);
            let single = set.to_string().bytes().all(|b| b.is_ascii_digit());
            let mut sentences = vec![if single {
                format!("The client asks for {} of {targets}.", names.join(", "))
            } else {
                format!("The client asks for {targets} and, for each, {}.", names.join(", "))
            }];
            let bodies: Vec<&FetchAttribute> =
                attributes.iter().filter(|a| matches!(a, FetchAttribute::BodySection { .. })).collect();
            let peek = bodies.iter().any(|a| matches!(a, FetchAttribute::BodySection { peek: true, .. }));
            let reads = bodies.iter().any(|a| matches!(a, FetchAttribute::BodySection { peek: false, .. }));
            if reads {
                sentences.push(
                    "BODY[…] without .PEEK sets \\Seen on each message fetched: downloading counts as \
                     reading, on every device that opens this mailbox."
                        .into(),
                );
            } else if peek {
                sentences.push(
                    "BODY.PEEK[] fetches the whole message but leaves the \\Seen flag alone, so fetching \
                     does not mark it read; BODY[] would."
                        .into(),
                );
            } else {
                sentences.push("No message text is asked for: only data about the messages.".into());
            }
            if attributes.contains(&FetchAttribute::Envelope) {
                sentences.push(
                    "ENVELOPE is the header parsed into fields (date, subject, from, to…), despite its \
                     name not the SMTP envelope of MAIL FROM and RCPT TO."
                        .into(),
                );
            }
            if *uid {
                sentences.push(
                    "With UID FETCH the numbers are UIDs, which stay the same from one session to the \
                     next, where sequence numbers shift."
                        .into(),
                );
            } else if attributes.contains(&FetchAttribute::Uid) {
                sentences.push(
                    "UID gives each message's permanent number, so the client can tell next time which \
                     messages it already has."
                        .into(),
                );
            }
            sentences.truncate(4);
            (clip(&format!("IMAP {name} {set} {}", fetch_items_text(items))), sentences.join(" "))
        }
        CommandBody::Store { uid, set, kind, silent, flags } => {
            let shown = flags_text(flags);
            let op = match kind {
                StoreKind::Add => "+FLAGS",
                StoreKind::Remove => "-FLAGS",
                StoreKind::Replace => "FLAGS",
            };
            let silent_text = if *silent { ".SILENT" } else { "" };
            let targets = set_words(set, *uid);
            let mut sentences = vec![match kind {
                StoreKind::Add if flags == &[Flag::Seen] => format!(
                    "The client adds \\Seen to {targets}: it marks them read on the server, so every other \
                     client of this mailbox (a phone, webmail) shows them read too."
                ),
                StoreKind::Add => format!("The client adds {} to the flags of {targets}.", flag_names(flags)),
                StoreKind::Remove => {
                    format!("The client removes {} from the flags of {targets}.", flag_names(flags))
                }
                StoreKind::Replace => format!("The client replaces the flags of {targets} with {shown}."),
            }];
            if *silent {
                sentences.push(
                    ".SILENT asks the server not to echo each message's new flags in a FETCH response: the \
                     client already knows what it set."
                        .into(),
                );
            } else {
                sentences.push("The server will answer with each changed message's new FLAGS.".into());
            }
            if flags.contains(&Flag::Deleted) && *kind != StoreKind::Remove {
                sentences.push("\\Deleted only marks a message: EXPUNGE or CLOSE removes it later.".into());
            }
            (clip(&format!("IMAP {name} {set} {op}{silent_text} {shown}")), sentences.join(" "))
        }
    };
    (clip(&summary), explanation, rfc)
}

// ---------------------------------------------------------------------------------------
// Server writes
// ---------------------------------------------------------------------------------------

/// The responses of one server write, in order, and what could not be read.
struct Responses {
    responses: Vec<Response>,
    /// First lines of frames that are no response.
    unreadable: Vec<String>,
    /// The write ends inside a response.
    incomplete: bool,
}

fn read_responses(bytes: &[u8]) -> Responses {
    let mut out = Responses { responses: Vec::new(), unreadable: Vec::new(), incomplete: false };
    let mut rest = bytes;
    while !rest.is_empty() {
        let mut framer = Framer::new(FramerRole::Client, usize::MAX);
        let len = match framer.next(rest) {
            Frame::Complete(len) => len,
            _ => {
                out.incomplete = true;
                break;
            }
        };
        let frame = rest.get(..len).unwrap_or(rest);
        match wire::response(frame) {
            Ok(([], response)) => out.responses.push(response),
            _ => out.unreadable.push(first_line(frame)),
        }
        rest = rest.get(len..).unwrap_or_default();
        if len == 0 {
            break;
        }
    }
    out
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n as u64), if n == 1 { one } else { many })
}

/// Phrases joined as a sentence lists them: `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A response code as the wire shows it, e.g. `AUTHENTICATIONFAILED`, `UIDNEXT 4`.
fn code_text(code: &Code) -> String {
    match code {
        Code::Alert => "ALERT".into(),
        Code::AuthenticationFailed => "AUTHENTICATIONFAILED".into(),
        Code::BadCharset(_) => "BADCHARSET".into(),
        Code::Capability(_) => "CAPABILITY".into(),
        Code::Cannot => "CANNOT".into(),
        Code::ClientBug => "CLIENTBUG".into(),
        Code::Closed => "CLOSED".into(),
        Code::Limit => "LIMIT".into(),
        Code::NonExistent => "NONEXISTENT".into(),
        Code::Parse => "PARSE".into(),
        Code::PermanentFlags(_) => "PERMANENTFLAGS".into(),
        Code::PrivacyRequired => "PRIVACYREQUIRED".into(),
        Code::ReadOnly => "READ-ONLY".into(),
        Code::ReadWrite => "READ-WRITE".into(),
        Code::TryCreate => "TRYCREATE".into(),
        Code::UidNext(n) => format!("UIDNEXT {n}"),
        Code::UidValidity(n) => format!("UIDVALIDITY {n}"),
        Code::Unavailable => "UNAVAILABLE".into(),
        Code::Other(atom, _) => atom.as_str().to_owned(),
    }
}

/// What a response code tells the client, in one sentence (RFC 9051 §7.1).
pub(crate) fn code_meaning(code: &Code) -> String {
    match code {
        Code::Alert => {
            "[ALERT] asks the client to show the text to the user (only when TLS protects it)".into()
        }
        Code::AuthenticationFailed => "[AUTHENTICATIONFAILED] means the user name or the password is wrong, \
            and the server will not say which, so nobody can probe it for user names; trying the same \
            password again later will not help"
            .into(),
        Code::BadCharset(_) => "[BADCHARSET] means the server does not support the SEARCH's charset".into(),
        Code::Capability(list) => format!(
            "[CAPABILITY …] lists the server's {} capabilities, so the client need not ask with a CAPABILITY \
             command",
            list.len()
        ),
        Code::Cannot => {
            "[CANNOT] means the operation breaks a rule of the server and can never succeed".into()
        }
        Code::ClientBug => "[CLIENTBUG] says the server noticed a mistake in the client".into(),
        Code::Closed => "[CLOSED] marks where the previously selected mailbox closed: what follows is about \
            the new one"
            .into(),
        Code::Limit => "[LIMIT] means an implementation limit of the server was reached".into(),
        Code::NonExistent => "[NONEXISTENT] means there is no mailbox of that name".into(),
        Code::Parse => "[PARSE] means the server could not parse a message's header".into(),
        Code::PermanentFlags(_) => "[PERMANENTFLAGS …] lists the flags the client can change for good".into(),
        Code::PrivacyRequired => {
            "[PRIVACYREQUIRED] means the operation needs a protected (TLS) connection".into()
        }
        Code::ReadOnly => "[READ-ONLY] means nothing the client does will change the mailbox".into(),
        Code::ReadWrite => "[READ-WRITE] means the client may change the mailbox (flags, deletions)".into(),
        Code::TryCreate => "[TRYCREATE] means the target mailbox does not exist, but could be created".into(),
        Code::UidNext(n) => format!("[UIDNEXT {n}] predicts the UID the next message will get"),
        Code::UidValidity(n) => {
            format!("[UIDVALIDITY {n}] is the number that keeps this mailbox's UIDs valid")
        }
        Code::Unavailable => {
            "[UNAVAILABLE] is a temporary failure: a part of the server is down, try later".into()
        }
        Code::Other(atom, _) => {
            format!(
                "[{atom}] is a response code this playground does not describe; clients ignore codes they do not know"
            )
        }
    }
}

fn capability_list(capabilities: &[Capability], max: usize) -> String {
    let names: Vec<String> = capabilities.iter().map(ToString::to_string).collect();
    if names.len() <= max {
        return names.join(", ");
    }
    let shown: Vec<String> = names.iter().take(max).cloned().collect();
    format!("{} and {} more", shown.join(", "), names.len() - max)
}

/// A sentence about what capabilities mean for logging in.
fn login_note(capabilities: &[Capability]) -> Option<String> {
    if capabilities.contains(&Capability::LoginDisabled) {
        return Some(
            "LOGINDISABLED: the server refuses passwords on this unprotected connection until STARTTLS \
             has switched it to TLS."
                .into(),
        );
    }
    let mechanisms: Vec<String> = capabilities
        .iter()
        .filter_map(|c| match c {
            Capability::Auth(m) => Some(m.as_str().to_owned()),
            _ => None,
        })
        .collect();
    if mechanisms.is_empty() {
        return None;
    }
    Some(format!(
        "AUTH={} names the SASL login {} it accepts; with no LOGINDISABLED, plain LOGIN is allowed too.",
        mechanisms.join(", AUTH="),
        if mechanisms.len() == 1 { "mechanism" } else { "mechanisms" }
    ))
}

fn address_text(addresses: &[wire::Address]) -> String {
    let list: Vec<String> = addresses
        .iter()
        .filter_map(|a| match (&a.mailbox, &a.host) {
            (Some(m), Some(h)) => Some(format!("{m}@{h}")),
            _ => None,
        })
        .collect();
    list.join(", ")
}

/// Summary, explanation and RFC 9051 section of one server write. `asked` is the name of the
/// command it answers (`SELECT`, `UID FETCH`...), `None` for the greeting or a write nobody
/// asked for (an update during IDLE).
pub fn response(bytes: &[u8], asked: Option<&str>) -> (String, String, String) {
    let asked = asked.map(|a| a.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase());
    let read = read_responses(bytes);
    if read.responses.is_empty() {
        let what = read.unreadable.first().cloned().unwrap_or_else(|| first_line(bytes));
        let explanation = if read.incomplete && read.unreadable.is_empty() {
            "The write stops inside a response (no CRLF yet, or fewer octets than a literal announced); \
             the client keeps reading until the response is whole."
        } else {
            "This is no IMAP response: each one starts with *, + or the tag of a command. A client \
             ignores untagged lines it cannot read, but a completion it cannot read leaves the session \
             broken."
        };
        return (
            clip(&format!("IMAP: unreadable response {what:?}")),
            explanation.into(),
            "RFC 9051 §7".into(),
        );
    }
    let view = View::new(&read.responses);
    let (summary, mut sentences, rfc) = match asked.as_deref() {
        None => view.unasked(),
        Some(name) => view.answer(name),
    };
    if !read.unreadable.is_empty() {
        sentences.push(format!(
            "{} not read as IMAP, which the client skips.",
            plural(read.unreadable.len(), "line was", "lines were")
        ));
    }
    if read.incomplete {
        sentences.push("The write ends inside a response; the rest is still to come.".into());
    }
    sentences.truncate(4);
    (clip(&summary), sentences.join(" "), rfc)
}

/// The parsed responses of a write, sorted by kind.
struct View<'a> {
    responses: &'a [Response],
    /// The tagged completion: tag, status, code and text.
    tagged: Option<(String, Status, Option<&'a Code>, &'a str)>,
    continuation: Option<&'a str>,
    fetches: Vec<(u32, &'a [MessageData])>,
    exists: Option<u32>,
    expunged: usize,
    codes: Vec<&'a Code>,
}

impl<'a> View<'a> {
    fn new(responses: &'a [Response]) -> Self {
        let mut view = View {
            responses,
            tagged: None,
            continuation: None,
            fetches: Vec::new(),
            exists: None,
            expunged: 0,
            codes: Vec::new(),
        };
        for response in responses {
            match response {
                Response::Status { tag: Some(tag), status, code, text } => {
                    view.tagged = Some((tag.as_str().to_owned(), *status, code.as_ref(), text.as_str()));
                }
                Response::Status { tag: None, code: Some(code), .. } => view.codes.push(code),
                Response::Status { .. } => {}
                Response::Continue(text) => view.continuation = Some(text.as_str()),
                Response::Data(Data::Fetch { seq, items }) => view.fetches.push((*seq, items.as_slice())),
                Response::Data(Data::Exists(n)) => view.exists = Some(*n),
                Response::Data(Data::Expunge(_)) => view.expunged += 1,
                Response::Data(_) => {}
            }
        }
        view
    }

    fn data(&self) -> impl Iterator<Item = &'a Data> {
        self.responses.iter().filter_map(|r| match r {
            Response::Data(d) => Some(d),
            _ => None,
        })
    }

    fn untagged_status(&self) -> Option<(Status, Option<&'a Code>, &'a str)> {
        self.responses.iter().find_map(|r| match r {
            Response::Status { tag: None, status, code, text } => {
                Some((*status, code.as_ref(), text.as_str()))
            }
            _ => None,
        })
    }

    /// The greeting, or data nobody asked for.
    fn unasked(&self) -> (String, Vec<String>, String) {
        let first = self.responses.first();
        if let Some(Response::Status { tag: None, status, code, text }) = first
            && self.tagged.is_none()
        {
            return greeting(*status, code.as_ref(), text);
        }
        if self.tagged.is_none() && self.continuation.is_none() {
            return self.updates();
        }
        self.answer("")
    }

    /// Untagged data without a completion: an update while IDLE is running, or while the
    /// client waits for another command's answer.
    fn updates(&self) -> (String, Vec<String>, String) {
        if let Some(n) = self.exists {
            let mut sentences = vec![format!(
                "Unasked-for data: the server reports changes as they happen. EXISTS says the mailbox now \
                 holds {n}: new mail has arrived."
            )];
            sentences.push(
                "The client must remember the new count, and fetches what is new once the command in \
                 progress (often IDLE) has ended."
                    .into(),
            );
            return (
                format!("Update: {} now (new mail)", plural(n as usize, "message", "messages")),
                sentences,
                "RFC 9051 §7.4.1".into(),
            );
        }
        if self.expunged > 0 {
            return (
                format!("Update: {} removed", plural(self.expunged, "message", "messages")),
                vec!["Another client expunged messages: each * n EXPUNGE removes message n and renumbers the ones after it.".into()],
                "RFC 9051 §7.5.1".into(),
            );
        }
        if !self.fetches.is_empty() {
            return (
                format!("Update: flags of {} changed", plural(self.fetches.len(), "message", "messages")),
                vec!["Unasked-for FETCH responses: flags changed, for example because another client marked messages read.".into()],
                "RFC 9051 §7.5.2".into(),
            );
        }
        if let Some((status, code, text)) = self.untagged_status() {
            let mut sentences = vec![format!(
                "An untagged {} that completes no command: {}.",
                status.as_str(),
                if text.is_empty() {
                    "the server states its condition".to_owned()
                } else {
                    format!("“{text}”")
                }
            )];
            if let Some(code) = code {
                sentences.push(format!("{}.", code_meaning(code)));
            }
            let section = if status == Status::Bye { "RFC 9051 §7.1.5" } else { "RFC 9051 §7.1" };
            return (format!("IMAP * {}", status.as_str()), sentences, section.into());
        }
        (
            "IMAP untagged data".into(),
            vec!["Untagged data the server sends on its own; the client must accept it at any time.".into()],
            "RFC 9051 §7".into(),
        )
    }

    /// The answer to the command `name`.
    fn answer(&self, name: &str) -> (String, Vec<String>, String) {
        let command_rfc = command_section(name);
        let Some((tag, status, code, text)) = self.tagged.clone() else {
            if let Some(text) = self.continuation {
                return continuation_request(name, text);
            }
            let (summary, mut sentences, rfc) = self.updates();
            if !name.is_empty() {
                sentences.push(format!("The tagged completion of {name} has not come yet."));
            }
            return (summary, sentences, rfc);
        };
        if status != Status::Ok {
            return refused(name, &tag, status, code, text, &command_rfc);
        }
        let label = if name.is_empty() { "IMAP".to_owned() } else { name.to_owned() };
        match name {
            "LOGIN" | "AUTHENTICATE" => {
                let mut sentences = vec![
                    format!(
                        "The credentials were right: the session moves from the not-authenticated to the \
                         authenticated state, and the client may now open mailboxes. The completion \
                         carries the command's tag, {tag}, which is how the client knows this OK answers \
                         its {name}."
                    ),
                ];
                if let Some(Code::Capability(list)) = code {
                    sentences.push(format!(
                        "Its [CAPABILITY …] code lists what the server offers now that the user is known \
                         ({}), which can differ from before the login.",
                        capability_list(list, 4)
                    ));
                }
                (format!("{name} OK"), sentences, command_rfc)
            }
            "SELECT" | "EXAMINE" => self.selected(name, code),
            "FETCH" | "UID FETCH" => self.fetched(&label),
            "STORE" | "UID STORE" => {
                if self.fetches.is_empty() {
                    (
                        format!("{label} OK (silent: no FETCH echo)"),
                        vec![
                            "Done: the flags are changed on the server, where every client of this mailbox \
                             will see them. Because the client asked for .SILENT, no FETCH responses come \
                             back, only the tagged OK."
                                .into(),
                        ],
                        command_rfc,
                    )
                } else {
                    let flags: Vec<String> = self
                        .fetches
                        .iter()
                        .filter_map(|(seq, items)| {
                            items.iter().find_map(|i| match i {
                                MessageData::Flags(f) => Some(format!("message {seq}: {}", flags_text(f))),
                                _ => None,
                            })
                        })
                        .take(3)
                        .collect();
                    (
                        format!("{label}: new flags of {}", plural(self.fetches.len(), "message", "messages")),
                        vec![
                            format!(
                                "Each * n FETCH (FLAGS (…)) reports a message's flags after the change, as if \
                                 the client had fetched them: {}.",
                                flags.join("; ")
                            ),
                            "Then the tagged OK ends the STORE.".into(),
                        ],
                        command_rfc,
                    )
                }
            }
            "LIST" => self.listed(),
            "STATUS" => self.status(),
            "SEARCH" | "UID SEARCH" => self.searched(&label),
            "CAPABILITY" => {
                let list: Vec<Capability> = self
                    .data()
                    .find_map(|d| match d {
                        Data::Capability(c) => Some(c.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let mut sentences = vec![format!(
                    "One untagged CAPABILITY line lists what the server supports: {}.",
                    capability_list(&list, 6)
                )];
                if let Some(note) = login_note(&list) {
                    sentences.push(note);
                }
                (
                    format!("CAPABILITY: {}", plural(list.len(), "capability", "capabilities")),
                    sentences,
                    "RFC 9051 §7.2.2".into(),
                )
            }
            "ENABLE" => {
                let list: Vec<Capability> = self
                    .data()
                    .find_map(|d| match d {
                        Data::Enabled(c) => Some(c.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                if list.is_empty() {
                    (
                        "ENABLE OK: nothing enabled".into(),
                        vec!["The ENABLED line is empty: the server knows none of the extensions asked for, \
                              and ignores them without an error."
                            .into()],
                        "RFC 9051 §7.2.1".into(),
                    )
                } else {
                    (
                        format!("ENABLE OK: {} enabled", capability_list(&list, 3)),
                        vec![format!(
                            "The untagged ENABLED line says which extensions are now on ({}): from here the \
                             server answers as they define.",
                            capability_list(&list, 3)
                        )],
                        "RFC 9051 §7.2.1".into(),
                    )
                }
            }
            "LOGOUT" => (
                "LOGOUT: BYE, then OK".into(),
                vec![
                    "The server says goodbye with an untagged BYE, completes LOGOUT with its tagged OK, and \
                     closes the connection."
                        .into(),
                    "The messages stay on the server: an IMAP client reads mail where it is kept, so the \
                     same mailbox looks the same from every device, where a POP3 client usually downloads \
                     mail and deletes it."
                        .into(),
                ],
                "RFC 9051 §6.1.3, §7.1.5".into(),
            ),
            "NOOP" | "CHECK" | "IDLE" => {
                let mut sentences = Vec::new();
                let summary = match (self.exists, self.expunged) {
                    (Some(n), _) => {
                        sentences.push(format!(
                            "Before its OK the server reports what changed: EXISTS says the mailbox now \
                             holds {}.",
                            plural(n as usize, "message", "messages")
                        ));
                        format!("{name} OK: {} now", plural(n as usize, "message", "messages"))
                    }
                    (None, e) if e > 0 => {
                        sentences.push(format!(
                            "Before its OK the server reports {} removed by another client.",
                            plural(e, "message", "messages")
                        ));
                        format!("{name} OK: {} removed", plural(e, "message", "messages"))
                    }
                    _ => {
                        sentences.push(if name == "IDLE" {
                            "IDLE ends: no change arrived while the client waited.".into()
                        } else {
                            "Nothing changed in the mailbox since the last command.".into()
                        });
                        format!("{name} OK")
                    }
                };
                if name == "IDLE" {
                    sentences.push("The tagged OK closes the IDLE command the + had left open.".into());
                }
                (summary, sentences, command_rfc)
            }
            "UNSELECT" => (
                "UNSELECT OK".into(),
                vec!["The mailbox is closed and nothing was removed; the session is back in the authenticated \
                      state, ready to SELECT another mailbox."
                    .into()],
                command_rfc,
            ),
            "EXPUNGE" | "UID EXPUNGE" | "CLOSE" => {
                let summary = if name == "CLOSE" {
                    "CLOSE OK".to_owned()
                } else {
                    format!("{label}: {} removed", plural(self.expunged, "message", "messages"))
                };
                let sentence = if name == "CLOSE" {
                    "The mailbox is closed and its \\Deleted messages are gone, without EXPUNGE responses.".to_owned()
                } else if self.expunged > 1 {
                    "Each * n EXPUNGE removes message n, and the messages after it move down by one at once: \
                     that is why the same number can appear twice."
                        .to_owned()
                } else {
                    "Each * n EXPUNGE removes message n for good; the messages after it are renumbered.".to_owned()
                };
                (summary, vec![sentence], command_rfc)
            }
            "STARTTLS" => (
                "STARTTLS OK: TLS starts now".into(),
                vec!["The server agrees: the TLS handshake begins right after this line, and everything after \
                      it, the login included, is encrypted."
                    .into()],
                command_rfc,
            ),
            _ => {
                let mut sentences = vec![format!(
                    "{} completes with OK: the server did what was asked.",
                    if name.is_empty() { format!("The command tagged {tag}") } else { name.to_owned() }
                )];
                if let Some(code) = code {
                    sentences.push(format!("{}.", code_meaning(code)));
                } else if !text.is_empty() {
                    sentences.push(format!("The server's own words: “{text}”."));
                }
                (format!("{label} OK"), sentences, if name.is_empty() { "RFC 9051 §7.1.1".into() } else { command_rfc })
            }
        }
    }

    fn selected(&self, name: &str, code: Option<&Code>) -> (String, Vec<String>, String) {
        let mailbox = self
            .data()
            .find_map(|d| match d {
                Data::List { mailbox, .. } => Some(mailbox.name().to_owned()),
                _ => None,
            })
            .unwrap_or_default();
        let mut validity = None;
        let mut next = None;
        let mut permanent: Option<&Vec<FlagPerm>> = None;
        for code in &self.codes {
            match code {
                Code::UidValidity(n) => validity = Some(*n),
                Code::UidNext(n) => next = Some(*n),
                Code::PermanentFlags(list) => permanent = Some(list),
                _ => {}
            }
        }
        let read_only = matches!(code, Some(Code::ReadOnly)) || (name == "EXAMINE" && code.is_none());
        let exists = self.exists.unwrap_or(0);
        let mut summary = format!(
            "{name}{}: {}",
            if mailbox.is_empty() { String::new() } else { format!(" {mailbox}") },
            plural(exists as usize, "message", "messages")
        );
        if let Some(next) = next {
            summary.push_str(&format!(", UIDNEXT {next}"));
        }
        summary.push_str(if read_only { ", read-only" } else { ", read-write" });
        let place = if mailbox.is_empty() { "The mailbox".to_owned() } else { mailbox.clone() };
        let mut sentences = vec![if exists == 0 {
            format!("{place} is empty (0 EXISTS): there is nothing to fetch.")
        } else if exists == 1 {
            format!(
                "{place} holds 1 message (* 1 EXISTS); the session is now in the selected state, where \
                 message number 1 refers to it."
            )
        } else {
            format!(
                "{place} holds {exists} messages (* {exists} EXISTS); the session is now in the selected \
                 state, so message numbers 1 to {exists} refer to them."
            )
        }];
        match (validity, next) {
            (Some(v), Some(n)) => sentences.push(format!(
                "UIDVALIDITY {v} and UIDNEXT {n}: a client that keeps copies stores each message's UID with \
                 the UIDVALIDITY, and if UIDVALIDITY ever changes its stored UIDs are void; UIDNEXT, the UID \
                 the next message will get, shows at a glance whether new mail arrived since last time."
            )),
            (Some(v), None) => sentences.push(format!(
                "UIDVALIDITY {v}: UIDs remembered from an earlier session stay valid only while this number \
                 stays the same."
            )),
            _ => {}
        }
        if permanent.is_some_and(|l| l.is_empty()) {
            sentences.push(
                "FLAGS lists the flags messages here can carry; PERMANENTFLAGS is empty: no change the client \
                 makes would be kept."
                    .into(),
            );
        } else if let Some(list) = permanent {
            let keywords = list.contains(&FlagPerm::Asterisk);
            sentences.push(format!(
                "FLAGS lists the flags messages here can carry; PERMANENTFLAGS the {} the client may change for \
                 good{}.",
                plural(list.iter().filter(|f| matches!(f, FlagPerm::Flag(_))).count(), "flag", "flags"),
                if keywords { ", and \\* lets it invent keywords of its own" } else { "" }
            ));
        }
        sentences.push(if read_only {
            "[READ-ONLY] in the tagged OK: nothing the client does here will change the mailbox.".into()
        } else {
            "[READ-WRITE] in the tagged OK: the client may change flags and delete messages here.".into()
        });
        let rfc = if name == "EXAMINE" { "RFC 9051 §6.3.3" } else { "RFC 9051 §6.3.2" };
        (summary, sentences, rfc.into())
    }

    fn fetched(&self, label: &str) -> (String, Vec<String>, String) {
        let count = self.fetches.len();
        let rfc = if label.starts_with("UID") { "RFC 9051 §7.5.2, §6.4.9" } else { "RFC 9051 §7.5.2" };
        if count == 0 {
            return (
                format!("{label}: no messages"),
                vec![
                    "No FETCH response came back: no message matched the numbers asked for, and the OK says \
                      so without error."
                        .into(),
                ],
                rfc.into(),
            );
        }
        let mut body_octets = 0u64;
        let mut bodies = 0usize;
        let mut sizes = 0u64;
        let mut sized = 0usize;
        let mut envelope = None;
        let mut seen = 0usize;
        let mut flagged = 0usize;
        let mut uids = Vec::new();
        for (_, items) in &self.fetches {
            for item in *items {
                match item {
                    MessageData::BodySection { data: Some(data), .. } => {
                        body_octets += data.len() as u64;
                        bodies += 1;
                    }
                    MessageData::Rfc822Size(n) => {
                        sizes += n;
                        sized += 1;
                    }
                    MessageData::Envelope(e) if envelope.is_none() => envelope = Some(e),
                    MessageData::Flags(flags) => {
                        seen += usize::from(flags.contains(&Flag::Seen));
                        flagged += usize::from(flags.contains(&Flag::Flagged));
                    }
                    MessageData::Uid(uid) => uids.push(*uid),
                    _ => {}
                }
            }
        }
        let messages = plural(count, "message", "messages");
        let mut sentences = Vec::new();
        let summary = if bodies > 0 {
            let first = self.fetches.first().map_or(1, |(seq, _)| *seq);
            sentences.push(if count == 1 {
                format!(
                    "The one FETCH response (* {first} FETCH, {first} being the message's sequence number) carries \
                     the message as a literal: {{n}} announces exactly n octets, so the client reads by count, \
                     where POP3 looks for a line holding a single dot."
                )
            } else {
                format!(
                    "Each of the {count} FETCH responses (* n FETCH, n being the message's sequence number) carries \
                     its message as a literal: {{n}} announces exactly n octets, so the client reads by count, \
                     where POP3 looks for a line holding a single dot."
                )
            });
            format!("{label}: {messages}, {} octets", thousands(body_octets))
        } else if sized > 0 {
            sentences.push(if count == 1 {
                format!(
                    "One FETCH response, with data about the message but not its text: it is {} octets.",
                    thousands(sizes)
                )
            } else {
                format!(
                    "One FETCH response per message, with data about it but not its text: together the \
                     {messages} are {} octets.",
                    thousands(sizes)
                )
            });
            format!("{label}: {messages}, {} octets in all", thousands(sizes))
        } else {
            sentences.push(format!(
                "One FETCH response per message: {} with the data asked for.",
                if count == 1 { "one line".to_owned() } else { format!("{count} lines") }
            ));
            format!("{label}: {messages}")
        };
        if let Some(envelope) = envelope {
            let subject = envelope.subject.clone().unwrap_or_default();
            let from = address_text(&envelope.from);
            sentences.push(format!(
                "ENVELOPE gives the header already parsed{}{}, so a client can list messages without reading \
                 them.",
                if subject.is_empty() { String::new() } else { format!(": subject “{subject}”") },
                if from.is_empty() { String::new() } else { format!(", from {from}") }
            ));
        }
        if self.fetches.iter().any(|(_, items)| items.iter().any(|i| matches!(i, MessageData::Flags(_)))) {
            sentences.push(match (seen, flagged) {
                (0, 0) if bodies > 0 => {
                    "No message carries \\Seen: they are unread, and fetching with BODY.PEEK[] left them so."
                        .into()
                }
                (0, 0) => "No message carries \\Seen: they are unread.".into(),
                (0, f) => format!(
                    "None is \\Seen yet; {} \\Flagged (starred) by the user.",
                    plural(f, "message is", "messages are")
                ),
                (1, _) if count == 1 => "The message carries \\Seen: it has been read.".into(),
                (s, _) if s == count => "Every message already carries \\Seen: they have been read.".into(),
                (s, _) => {
                    format!("{} \\Seen (read), the others are new.", plural(s, "message is", "messages are"))
                }
            });
        }
        if bodies > 0 {
            sentences.push(
                "The server keeps every message: fetching copies it, and the mailbox stays on the server for \
                 other devices, unlike a POP3 download that usually deletes."
                    .into(),
            );
        } else if !uids.is_empty() {
            sentences.push(format!(
                "UIDs {} identify the messages for good, whatever their sequence numbers become.",
                uids.iter().take(4).map(u32::to_string).collect::<Vec<_>>().join(", ")
            ));
        }
        sentences.truncate(4);
        (summary, sentences, rfc.into())
    }

    fn listed(&self) -> (String, Vec<String>, String) {
        let mut names = Vec::new();
        let mut notes = Vec::new();
        let mut delimiter_only = false;
        let mut shown_delimiter = None;
        let mut special_use = false;
        let mut all_without_children = true;
        for data in self.data() {
            if let Data::List { attributes, delimiter, mailbox } = data {
                if mailbox.name().is_empty() {
                    delimiter_only = true;
                    notes.push(format!(
                        "An empty name marked \\Noselect answers the question of the hierarchy delimiter: {}.",
                        delimiter.map_or("none, the names are flat".to_owned(), |d| format!("“{d}” separates levels"))
                    ));
                    continue;
                }
                names.push(mailbox.name().to_owned());
                shown_delimiter = shown_delimiter.or(*delimiter);
                all_without_children &=
                    attributes.iter().any(|a| a.as_str().eq_ignore_ascii_case("HasNoChildren"));
                for attribute in attributes {
                    let name = mailbox.name();
                    let note = match attribute.as_str().to_ascii_lowercase().as_str() {
                        "junk" => Some(format!(
                            "\\Junk marks {name} as the folder where the server files the mail it judged \
                             suspicious, such as spam or a message that failed its DMARC check: a \
                             special-use attribute, by which a mail program finds that folder whatever its \
                             name or language."
                        )),
                        "sent" => Some(format!("\\Sent marks {name} as the folder for copies of sent mail.")),
                        "trash" => Some(format!("\\Trash marks {name} as the folder for deleted mail.")),
                        "drafts" => Some(format!("\\Drafts marks {name} as the folder for unfinished mail.")),
                        "archive" => Some(format!("\\Archive marks {name} as the folder for kept mail.")),
                        "noselect" => Some(format!("\\Noselect: {name} cannot be opened.")),
                        _ => None,
                    };
                    special_use |= ["junk", "sent", "trash", "drafts", "archive", "all", "flagged"]
                        .contains(&attribute.as_str().to_ascii_lowercase().as_str());
                    if let Some(note) = note
                        && !notes.contains(&note)
                    {
                        notes.push(note);
                    }
                }
            }
        }
        let summary = if names.is_empty() && delimiter_only {
            "LIST: the hierarchy delimiter".to_owned()
        } else if names.is_empty() {
            "LIST: no mailbox matches".to_owned()
        } else {
            format!("LIST: {} ({})", plural(names.len(), "mailbox", "mailboxes"), names.join(", "))
        };
        let mut sentences = Vec::new();
        if !names.is_empty() {
            sentences.push(format!(
                "One * LIST line per mailbox: its attributes in parentheses, the hierarchy delimiter{}, then \
                 its name.",
                shown_delimiter.map(|d| format!(" (“{d}”)")).unwrap_or_default()
            ));
        }
        sentences.extend(notes);
        if names.len() > 1 {
            sentences.push(
                "LIST only names the mailboxes: how many messages each one holds is for STATUS or SELECT to \
                 tell."
                    .into(),
            );
        }
        if !names.is_empty() && all_without_children {
            sentences.push(if names.len() == 1 {
                "\\HasNoChildren: no folder lies inside it.".into()
            } else {
                "\\HasNoChildren on each line: no folder lies inside any of them.".into()
            });
        }
        if sentences.is_empty() {
            sentences
                .push("No mailbox name matches the pattern; that is not an error, the OK says so.".into());
        }
        let rfc = if special_use { "RFC 9051 §7.3.1; RFC 6154 §2" } else { "RFC 9051 §7.3.1" };
        (summary, sentences, rfc.into())
    }

    fn status(&self) -> (String, Vec<String>, String) {
        use wire::StatusAttribute as A;
        let Some((mailbox, items)) = self.data().find_map(|d| match d {
            Data::Status { mailbox, items } => Some((mailbox, items)),
            _ => None,
        }) else {
            return (
                "STATUS OK".into(),
                vec!["The server completed STATUS without a STATUS line.".into()],
                "RFC 9051 §7.3.3".into(),
            );
        };
        let value = |wanted: A| items.iter().find(|(a, _)| *a == wanted).map(|(_, n)| *n);
        let words: Vec<String> = items
            .iter()
            .map(|(a, n)| match a {
                A::Messages => plural(usize::try_from(*n).unwrap_or(usize::MAX), "message", "messages"),
                A::Unseen => format!("{} unseen", thousands(*n)),
                A::Deleted => format!("{} marked \\Deleted", thousands(*n)),
                A::Size => plural(usize::try_from(*n).unwrap_or(usize::MAX), "octet", "octets"),
                A::UidNext | A::UidValidity => format!("{a} {n}"),
            })
            .collect();
        let junk = is_junk_name(mailbox);
        let mut sentences = vec![match (value(A::Messages), value(A::Unseen)) {
            (Some(0), _) => {
                format!("The * STATUS line answers with counts: {mailbox} is empty (MESSAGES 0).")
            }
            (Some(n), Some(0)) => format!(
                "The * STATUS line answers with counts: {mailbox} holds {}, all of them read (UNSEEN 0).",
                plural(usize::try_from(n).unwrap_or(usize::MAX), "message", "messages")
            ),
            (Some(n), Some(u)) => format!(
                "The * STATUS line answers with counts: {mailbox} holds {}, and {} not yet read (UNSEEN {u}).",
                plural(usize::try_from(n).unwrap_or(usize::MAX), "message", "messages"),
                if u == n && n == 1 {
                    "it is".to_owned()
                } else if u == n {
                    format!("all {n} are")
                } else {
                    format!("{} of them {}", thousands(u), if u == 1 { "is" } else { "are" })
                }
            ),
            _ => {
                let pairs: Vec<String> = items.iter().map(|(a, n)| format!("{a} {n}")).collect();
                format!("One * STATUS line gives the counts of {mailbox}: {}.", pairs.join(", "))
            }
        }];
        match value(A::Unseen) {
            Some(u) if u > 0 && junk => sentences.push(format!(
                "So suspected spam is waiting in {mailbox}: a mail program shows the count beside the \
                 folder, and the reader decides whether to look."
            )),
            Some(u) if u > 0 => sentences
                .push(format!("UNSEEN {u}: the number a mail program shows as unread beside the mailbox.")),
            _ => {}
        }
        if let Some(n) = value(A::UidNext) {
            sentences.push(format!("UIDNEXT {n}: if it grew since last time, new mail has arrived."));
        }
        sentences
            .push("Counting opened nothing: the session's state and every flag are as they were.".into());
        (clip(&format!("STATUS {mailbox}: {}", words.join(", "))), sentences, "RFC 9051 §7.3.3".into())
    }

    fn searched(&self, label: &str) -> (String, Vec<String>, String) {
        for data in self.data() {
            match data {
                Data::Search(numbers) => {
                    let list: Vec<String> = numbers.iter().take(8).map(u32::to_string).collect();
                    let summary = if numbers.is_empty() {
                        format!("{label}: no match")
                    } else {
                        format!(
                            "{label}: {} ({})",
                            plural(numbers.len(), "match", "matches"),
                            list.join(", ")
                        )
                    };
                    return (
                        summary,
                        vec![
                            "The IMAP4rev1 answer: one * SEARCH line with the matching numbers, in full."
                                .into(),
                        ],
                        "RFC 9051 §7.3.4; RFC 3501 §7.2.5".into(),
                    );
                }
                Data::ESearch { data, uid, .. } => {
                    let parts: Vec<String> = data
                        .iter()
                        .map(|d| match d {
                            SearchReturnData::Min(n) => format!("MIN {n}"),
                            SearchReturnData::Max(n) => format!("MAX {n}"),
                            SearchReturnData::All(set) => format!("ALL {set}"),
                            SearchReturnData::Count(n) => format!("COUNT {n}"),
                        })
                        .collect();
                    let summary = if parts.is_empty() {
                        format!("{label}: no match")
                    } else {
                        format!("{label}: {}", parts.join(", "))
                    };
                    let sentence = if parts.is_empty() {
                        "One * ESEARCH line answers, with nothing after the command's tag: no message matched."
                            .to_owned()
                    } else {
                        format!(
                            "One * ESEARCH line answers with {}{}; it repeats the command's tag, so results of \
                             several searches cannot be mixed up.",
                            parts.join(" and "),
                            if *uid { ", in UIDs" } else { "" }
                        )
                    };
                    return (summary, vec![sentence], "RFC 9051 §7.3.4".into());
                }
                _ => {}
            }
        }
        (
            format!("{label} OK"),
            vec!["The search completed without a result line.".into()],
            "RFC 9051 §6.4.4".into(),
        )
    }
}

/// The greeting: the first thing the server says.
fn greeting(status: Status, code: Option<&Code>, text: &str) -> (String, Vec<String>, String) {
    match status {
        Status::PreAuth => (
            "IMAP greeting: PREAUTH (already logged in)".into(),
            vec![
                "The server greets the client as already authenticated by other means, so no LOGIN is \
                 needed; the session starts in the authenticated state."
                    .into(),
                "That also rules out STARTTLS, which is why PREAUTH belongs on connections TLS already \
                 protects."
                    .into(),
            ],
            "RFC 9051 §7.1.4".into(),
        ),
        Status::Bye => (
            "IMAP greeting: BYE (connection refused)".into(),
            vec![format!(
                "The server refuses this client and closes the connection at once{}.",
                if text.is_empty() { String::new() } else { format!(": “{text}”") }
            )],
            "RFC 9051 §7.1.5".into(),
        ),
        _ => {
            let mut sentences = vec![
                "The server speaks first: an untagged OK (the * means it answers no command) says it is ready \
                 for a login."
                    .to_owned(),
            ];
            let summary = match code {
                Some(Code::Capability(list)) => {
                    sentences.push(format!(
                        "Its [CAPABILITY …] code lists what it supports ({}), so the client needs no CAPABILITY \
                         command.",
                        capability_list(list, 5)
                    ));
                    if let Some(note) = login_note(list) {
                        sentences.push(note);
                    }
                    format!("IMAP greeting: ready, {}", plural(list.len(), "capability", "capabilities"))
                }
                Some(code) => {
                    sentences.push(format!("{}.", code_meaning(code)));
                    "IMAP greeting: ready".into()
                }
                None => "IMAP greeting: ready".into(),
            };
            if !text.is_empty() {
                sentences.push(format!("The text after it, “{text}”, is for people only."));
            }
            (summary, sentences, "RFC 9051 §7.1.1".into())
        }
    }
}

/// A `+` without a completion: the server waits for more of the command.
fn continuation_request(name: &str, text: &str) -> (String, Vec<String>, String) {
    match name {
        "AUTHENTICATE" => (
            "AUTHENTICATE: + go ahead, send the credentials".into(),
            vec![format!(
                "The + is a continuation request: the server is ready for the client's SASL response. {}",
                if text.trim().is_empty() {
                    "Nothing follows it: PLAIN starts with an empty challenge, and the client answers with \
                         its base64 credentials on one line."
                        .to_owned()
                } else {
                    "The text after it is a base64 challenge the client must answer.".to_owned()
                }
            )],
            "RFC 9051 §6.2.2, §7.6".into(),
        ),
        "IDLE" => (
            "IDLE: + the server waits and will report changes".into(),
            vec![
                "The server accepts IDLE: from now on it may send untagged updates (new mail as * n EXISTS) \
                 at any moment, and no tagged answer comes until the client sends DONE."
                    .into(),
            ],
            "RFC 9051 §6.3.13".into(),
        ),
        _ => (
            clip(&format!("{}: + send the literal", if name.is_empty() { "IMAP" } else { name })),
            vec![
                "The + says the server accepts the command so far and is ready for the literal's octets: a \
                 synchronizing literal ({n} without +) waits for exactly this before the client sends them."
                    .into(),
            ],
            "RFC 9051 §7.6".into(),
        ),
    }
}

/// A NO or BAD completion.
fn refused(
    name: &str,
    tag: &str,
    status: Status,
    code: Option<&Code>,
    text: &str,
    command_rfc: &str,
) -> (String, Vec<String>, String) {
    let label = if name.is_empty() { tag.to_owned() } else { name.to_owned() };
    let summary = match code {
        Some(code) => format!("{label} {} [{}]", status.as_str(), code_text(code)),
        None if text.is_empty() => format!("{label} {}", status.as_str()),
        None => format!("{label} {}: {text}", status.as_str()),
    };
    let mut sentences = Vec::new();
    let rfc = if status == Status::Bad {
        sentences.push(format!(
            "BAD: the server could not accept the command as written (unknown, malformed, or not allowed in \
             this state), so it did nothing. Unlike NO, which turns down a valid request, BAD points at a \
             mistake of the client{}.",
            if text.is_empty() { String::new() } else { format!("; the server's words: “{text}”") }
        ));
        "RFC 9051 §7.1.3".to_owned()
    } else {
        sentences.push(match name {
            "LOGIN" | "AUTHENTICATE" => {
                "The login was refused: the session stays not authenticated, and the client may try again."
                    .to_owned()
            }
            "SELECT" | "EXAMINE" => "The mailbox could not be opened; no mailbox is selected now.".to_owned(),
            _ => format!(
                "NO: {} was understood but failed{}.",
                if name.is_empty() { "the command" } else { name },
                if text.is_empty() || code.is_some() { String::new() } else { format!(": “{text}”") }
            ),
        });
        match (name.is_empty(), code.is_some()) {
            (true, true) => "RFC 9051 §7.1".to_owned(),
            (true, false) => "RFC 9051 §7.1.2".to_owned(),
            (false, true) => format!("{command_rfc}, §7.1"),
            (false, false) => format!("{command_rfc}, §7.1.2"),
        }
    };
    if let Some(code) = code {
        sentences.push(format!("{}.", code_meaning(code)));
    }
    (summary, sentences, rfc)
}

/// The name of a section as RFC 9051 §6.4.5.1 words it.
pub(crate) fn section_words(section: &Section) -> String {
    match section {
        Section::Full => "the whole message, header and body".into(),
        Section::Header => "the header, with the blank line that ends it".into(),
        Section::Text => "the body, without the header".into(),
        Section::HeaderFields { not: false, fields } => {
            format!("only the header fields {}", fields.join(", "))
        }
        Section::HeaderFields { not: true, fields } => {
            format!("the header without the fields {}", fields.join(", "))
        }
        Section::Part(parts) => {
            let parts: Vec<String> = parts.iter().map(u32::to_string).collect();
            format!("MIME part {}", parts.join("."))
        }
    }
}

/// Why a password can be read in the step: a simulation shows it; a recording of a real
/// session (`serve --record`) masked it as `********` before it was written.
fn password_shown(password: &str) -> &'static str {
    if password == super::MASK {
        "The password reads ******** because it was masked when this session was recorded; the real \
         one crossed the wire, inside TLS."
    } else {
        "The password is shown only because this is a simulation; on the wire it travels inside TLS."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn summaries_are_clipped_on_characters() {
        let long = "ä".repeat(300);
        assert_eq!(clip(&long).chars().count(), SUMMARY_LIMIT - 1);
    }
}
