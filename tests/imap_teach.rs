//! The teaching views of IMAP writes: `teach::imap` (summary, explanation, RFC section) and
//! `teach::annotate`'s IMAP lines, over every write of RFC 9051's example transcripts and of a
//! whole session our client holds with our server, and over arbitrary bytes.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/rfc9051.rs"]
mod rfc9051;

use proptest::prelude::*;

use smtp_playground::engine::imap::{
    ClientAuth, ImapClient, ImapClientConfig, ImapServer, ImapServerConfig, MemoryMailstore,
};
use smtp_playground::proto::imap::{self as wire, DateTime, Flag};
use smtp_playground::teach::annotate::{
    AnnotatedLine, CRLF_LABEL, imap_command_lines, imap_continuation_lines, imap_response_lines,
};
use smtp_playground::teach::imap::{command, continuation, response};

// ---------------------------------------------------------------------------------------
// Checkers
// ---------------------------------------------------------------------------------------

/// The contract of annotated lines: parts in order, covering each line on character
/// boundaries, non-empty except the CRLF part, and the lines giving back the wire.
fn check_lines(wire: &str, lines: &[AnnotatedLine]) {
    let mut rebuilt = String::new();
    for line in lines {
        let text = &line.text;
        assert!(!line.parts.is_empty(), "a line without parts: {line:?}");
        let crlf = line.parts.last().is_some_and(|p| p.start == p.end);
        let content = if crlf { &line.parts[..line.parts.len() - 1] } else { &line.parts[..] };
        let mut pos = 0;
        for part in content {
            assert_eq!(part.start, pos, "a gap or overlap in {line:?}");
            assert!(part.start < part.end, "an empty part in {line:?}");
            assert!(text.is_char_boundary(part.start) && text.is_char_boundary(part.end), "{line:?}");
            assert!(part.rfc.as_deref().is_none_or(|r| r.starts_with("RFC ")), "{part:?}");
            pos = part.end;
        }
        assert_eq!(pos, text.len(), "parts do not reach the end of {line:?}");
        if let Some(last) = line.parts.last().filter(|_| crlf) {
            assert_eq!((last.start, last.end), (text.len(), text.len()), "{line:?}");
            assert!(
                last.label == CRLF_LABEL || last.label == "end of header section",
                "the CRLF part is labelled {:?}",
                last.label
            );
        }
        rebuilt.push_str(text);
        if crlf {
            rebuilt.push_str("\r\n");
        }
    }
    assert_eq!(rebuilt, wire, "the lines do not give back the wire");
}

/// `(shown text, label)` of every part of every line.
fn labels(lines: &[AnnotatedLine]) -> Vec<(String, String)> {
    lines
        .iter()
        .flat_map(|line| line.parts.iter().map(|p| (line.text[p.start..p.end].to_owned(), p.label.clone())))
        .collect()
}

fn has(lines: &[AnnotatedLine], text: &str, label: &str) -> bool {
    labels(lines).iter().any(|(t, l)| t == text && l == label)
}

fn no_unrecognised(wire: &str, lines: &[AnnotatedLine]) {
    let found: Vec<(String, String)> =
        labels(lines).into_iter().filter(|(_, l)| l == "unrecognised" || l == "not a command").collect();
    assert!(found.is_empty(), "{wire:?}: {found:?}");
}

/// A summary, explanation and section as a step shows them.
fn check_text((summary, explanation, rfc): &(String, String, String), what: &str) {
    assert!(!summary.is_empty() && summary.chars().count() < 100, "{what}: summary {summary:?}");
    assert!(!summary.contains(['\r', '\n']), "{what}: summary {summary:?}");
    assert!(!explanation.is_empty(), "{what}: no explanation");
    let sentences = sentences(explanation).len();
    assert!((1..=4).contains(&sentences), "{what}: {sentences} sentences in {explanation:?}");
    assert!(rfc.starts_with("RFC 9051 §"), "{what}: {rfc:?}");
}

fn sentences(text: &str) -> Vec<String> {
    text.split(". ").map(|s| s.trim().trim_end_matches('.').to_owned()).filter(|s| !s.is_empty()).collect()
}

// ---------------------------------------------------------------------------------------
// Writes of a transcript
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Write {
    /// A client write; `after_plus` names the command whose `+` it answers.
    Client { bytes: String, after_plus: Option<String> },
    /// A server write, with the command it answers.
    Server { bytes: String, asked: Option<String> },
}

/// The writes of an RFC-style transcript: each `C:` line is one client write; consecutive
/// `S:` lines are one server write (a literal's lines included); `X:` ends a server write.
fn writes(script: &str) -> Vec<Write> {
    let mut out = Vec::new();
    let mut server: Option<String> = None;
    let mut asked: Option<String> = None;
    let mut plus = false;
    let flush =
        |server: &mut Option<String>, out: &mut Vec<Write>, asked: &Option<String>, plus: &mut bool| {
            if let Some(bytes) = server.take() {
                *plus = *plus || bytes.starts_with('+') || bytes.contains("\r\n+ ");
                out.push(Write::Server { bytes, asked: asked.clone() });
            }
        };
    for line in script.lines() {
        let line = line.trim_start();
        if let Some(text) = line.strip_prefix("C: ") {
            flush(&mut server, &mut out, &asked, &mut plus);
            let bytes = format!("{text}\r\n");
            let after_plus = if plus { asked.clone() } else { None };
            if after_plus.is_none() {
                asked = wire::command_asked(bytes.as_bytes());
            }
            plus = false;
            out.push(Write::Client { bytes, after_plus });
        } else if let Some(text) = line.strip_prefix("S: ").or(if line == "S:" { Some("") } else { None }) {
            server.get_or_insert_with(String::new).push_str(&format!("{text}\r\n"));
        } else if line.starts_with("X:") {
            flush(&mut server, &mut out, &asked, &mut plus);
        } else {
            assert!(line.is_empty() || line.starts_with('#'), "script line {line:?}");
        }
    }
    flush(&mut server, &mut out, &asked, &mut plus);
    out
}

/// What a step shows for a write, checked; `(summary, explanation, rfc)`.
fn teach(write: &Write) -> (String, String, String) {
    match write {
        Write::Client { bytes, after_plus } => {
            let lines = imap_command_lines(bytes);
            check_lines(bytes, &lines);
            let text = command(bytes.as_bytes());
            check_text(&text, bytes);
            match after_plus {
                Some(asked) => {
                    let lines = imap_continuation_lines(bytes);
                    check_lines(bytes, &lines);
                    no_unrecognised(bytes, &lines);
                    let text = continuation(bytes.as_bytes(), asked);
                    check_text(&text, bytes);
                    text
                }
                None => text,
            }
        }
        Write::Server { bytes, asked } => {
            let lines = imap_response_lines(bytes);
            check_lines(bytes, &lines);
            no_unrecognised(bytes, &lines);
            let text = response(bytes.as_bytes(), asked.as_deref());
            check_text(&text, bytes);
            text
        }
    }
}

// ---------------------------------------------------------------------------------------
// RFC 9051's examples (as tests/imap.rs runs them)
// ---------------------------------------------------------------------------------------

const GREETING: &str = "S: * OK [CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ IDLE ENABLE UIDPLUS \
                        UNSELECT ESEARCH] imap.example.net IMAP4rev2 server ready";

const TRANSCRIPTS: &[&str] = &[
    GREETING,
    // §6.2.1 and §6.1.1
    rfc9051::CAPABILITY_STARTTLS_LOGIN,
    // §6.2.2
    r"
    C: A01 AUTHENTICATE PLAIN
    S: + 
    C: dGVzdAB0ZXN0AHRlc3Q=
    S: A01 OK Success (tls protection)
    ",
    // §6.2.3
    rfc9051::LOGIN,
    // §7.6
    r#"
    C: A001 LOGIN {11}
    S: + Ready for additional command text
    C: FRED FOOBAR {7}
    S: + Ready for additional command text
    C: fat man
    S: A001 OK LOGIN completed
    C: A044 BLURDYBLOOP {102856}
    S: A044 BAD No such command as "BLURDYBLOOP"
    "#,
    // §6.1.2, §6.1.3
    r"
    C: a002 NOOP
    S: a002 OK NOOP completed
    C: A023 LOGOUT
    S: * BYE IMAP4rev2 Server logging out
    S: A023 OK LOGOUT completed
    ",
    // §6.3.2
    rfc9051::SELECT,
    // §6.3.3
    rfc9051::EXAMINE,
    // §6.3.11
    rfc9051::STATUS,
    // §6.3.13
    r"
    C: A002 IDLE
    S: + idling
    X: new mail arrives
    S: * 4 EXISTS
    X:
    C: DONE
    S: A002 OK IDLE terminated
    ",
    // §6.4.1, §6.4.2
    r#"
    C: A341 CLOSE
    S: A341 OK CLOSE completed
    C: A1 SELECT INBOX
    S: * 2 EXISTS
    S: * OK [UIDVALIDITY 1] UIDs valid
    S: * OK [UIDNEXT 3] Predicted next UID
    S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
    S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] System flags and keywords allowed
    S: * LIST () "/" INBOX
    S: A1 OK [READ-WRITE] SELECT completed
    C: A342 UNSELECT
    S: A342 OK Unselect completed
    "#,
    // §6.4.3
    rfc9051::EXPUNGE,
    // §6.4.6
    rfc9051::STORE,
    // §6.4.9
    r"
    C: A999 UID FETCH 4827313:4828442 FLAGS
    S: * 23 FETCH (FLAGS (\Seen) UID 4827313)
    S: * 24 FETCH (FLAGS (\Seen) UID 4827943)
    S: * 25 FETCH (FLAGS (\Seen) UID 4828442)
    S: A999 OK UID FETCH completed
    C: A003 UID EXPUNGE 3000:3002
    S: * 3 EXPUNGE
    S: * 3 EXPUNGE
    S: * 3 EXPUNGE
    S: A003 OK UID EXPUNGE completed
    ",
    // §6.3.9.8, and a special-use folder
    r#"
    C: A101 LIST "" ""
    S: * LIST (\Noselect) "/" ""
    S: A101 OK LIST completed
    C: A01 LIST "" "*"
    S: * LIST (\HasNoChildren) "/" INBOX
    S: * LIST (\HasNoChildren \Junk) "/" Junk
    S: A01 OK LIST completed
    C: A03 LIST "" Fruit/%
    S: A03 OK LIST completed
    "#,
    // §6.4.4
    r#"
    C: A284 SEARCH RETURN (MIN) UNSEEN
    S: * ESEARCH (TAG "A284") MIN 4
    S: A284 OK SEARCH completed
    C: A285 UID SEARCH RETURN (MIN MAX) 1:5000
    S: * ESEARCH (TAG "A285") UID MIN 7 MAX 3800
    S: A285 OK SEARCH completed
    C: A287 SEARCH RETURN () FLAGGED
    S: * ESEARCH (TAG "A287")
    S: A287 OK SEARCH completed
    "#,
    // §8
    r#"
    C: a003 fetch 12 full
    S: * 12 FETCH (FLAGS (\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 3370 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))
    S: a003 OK FETCH completed
    C: a004 fetch 12 body[header]
    S: * 12 FETCH (BODY[HEADER] {342}
    S: Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)
    S: From: Terry Gray <gray@cac.washington.edu>
    S: Subject: IMAP4rev2 WG mtg summary and minutes
    S: To: imap@cac.washington.edu
    S: cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>
    S: Message-Id: <B27397-0100000@cac.washington.edu>
    S: MIME-Version: 1.0
    S: Content-Type: TEXT/PLAIN; CHARSET=US-ASCII
    S:
    S: )
    S: a004 OK FETCH completed
    C: a005 store 12 +flags \deleted
    S: * 12 FETCH (FLAGS (\Deleted \Seen))
    S: a005 OK STORE completed
    C: a006 logout
    S: * BYE IMAP4rev2 Server logging out
    S: a006 OK LOGOUT completed
    "#,
    // §8's ENABLE, and §6.3.1
    rfc9051::ENABLE,
    // Failures.
    r"
    C: a1 LOGIN user wrong
    S: a1 NO [AUTHENTICATIONFAILED] Authentication failed
    C: a2 SELECT Drafts
    S: a2 NO [NONEXISTENT] Mailbox doesn't exist
    C: a4 FETCH 1 FLAGS
    S: a4 BAD No mailbox selected
    ",
];

fn all_rfc_writes() -> Vec<Write> {
    TRANSCRIPTS.iter().flat_map(|script| writes(script)).collect()
}

#[test]
fn every_write_of_the_rfc_examples_is_explained_and_annotated() {
    let writes = all_rfc_writes();
    assert!(writes.len() > 80, "{}", writes.len());
    for write in &writes {
        teach(write);
    }
}

fn find_server(writes: &[Write], starts: &str) -> (String, Option<String>) {
    writes
        .iter()
        .find_map(|w| match w {
            Write::Server { bytes, asked } if bytes.starts_with(starts) => {
                Some((bytes.clone(), asked.clone()))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no server write starting {starts:?}"))
}

#[test]
fn rfc_select_examine_and_status_answers_tell_the_numbers() {
    let writes = all_rfc_writes();
    let (select, asked) = find_server(&writes, "* 172 EXISTS");
    assert_eq!(asked.as_deref(), Some("SELECT"));
    let (summary, explanation, rfc) = response(select.as_bytes(), asked.as_deref());
    assert_eq!(summary, "SELECT INBOX: 172 messages, UIDNEXT 4392, read-write");
    assert!(explanation.contains("UIDVALIDITY 3857529045"), "{explanation}");
    assert!(explanation.contains("\\* lets it invent keywords"), "{explanation}");
    assert_eq!(rfc, "RFC 9051 §6.3.2");
    let lines = imap_response_lines(&select);
    assert!(has(&lines, "EXISTS", "data kind"));
    assert!(has(&lines, "172", "message count"));
    assert!(has(&lines, "UIDVALIDITY", "response code"));
    assert!(has(&lines, "3857529045", "UIDVALIDITY value"));
    assert!(has(&lines, "\\Deleted", "flag"));
    assert!(has(&lines, "\\*", "flag"));
    assert!(has(&lines, "READ-WRITE", "response code"));
    assert!(has(&lines, "A142", "tag"));
    assert!(has(&lines, "\"/\"", "hierarchy delimiter"));

    let (examine, asked) = find_server(&writes, "* 17 EXISTS");
    let (summary, explanation, _) = response(examine.as_bytes(), asked.as_deref());
    assert_eq!(summary, "EXAMINE INBOX: 17 messages, UIDNEXT 4392, read-only");
    assert!(explanation.contains("[READ-ONLY]"), "{explanation}");

    let (status, asked) = find_server(&writes, "* STATUS");
    let (summary, _, rfc) = response(status.as_bytes(), asked.as_deref());
    assert_eq!(summary, "STATUS INBOX: 231 messages, UIDNEXT 44292");
    assert_eq!(rfc, "RFC 9051 §7.3.3");

    let (nonexistent, asked) = find_server(&writes, "A043 NO");
    let (summary, explanation, _) = response(nonexistent.as_bytes(), asked.as_deref());
    assert_eq!(summary, "STATUS NO [NONEXISTENT]");
    assert!(explanation.contains("no mailbox of that name"), "{explanation}");
}

#[test]
fn rfc_literals_are_labelled_in_commands_and_responses() {
    // §7.6: the first part of a command waits for "+"; the continuation carries the octets.
    let first = "A001 LOGIN {11}\r\n";
    let (summary, explanation, rfc) = command(first.as_bytes());
    assert_eq!(summary, "IMAP LOGIN, first part: a 11-octet literal follows after +");
    assert!(explanation.contains("waits for the server's +"), "{explanation}");
    assert_eq!(rfc, "RFC 9051 §6.2.3, §7.6");
    let lines = imap_command_lines(first);
    assert!(has(&lines, "{11}", "literal header"), "{:?}", labels(&lines));
    let header = lines[0].parts.iter().find(|p| p.label == "literal header").expect("a literal header");
    assert!(header.meaning.contains("only after the server's +"), "{}", header.meaning);

    let (summary, explanation, _) = continuation(b"FRED FOOBAR {7}\r\n", "LOGIN");
    assert!(summary.starts_with("IMAP LOGIN, continued"), "{summary}");
    assert!(explanation.contains("another literal of 7 octets"), "{explanation}");
    let lines = imap_continuation_lines("FRED FOOBAR {7}\r\n");
    assert!(has(&lines, "FRED FOOBAR ", "continuation") && has(&lines, "{7}", "literal header"));

    // Read without context, the same line is explained both ways.
    let (_, explanation, _) = command(b"FRED FOOBAR {7}\r\n");
    assert!(explanation.contains("BAD") && explanation.contains("+"), "{explanation}");

    // An unknown command is refused before its literal is sent.
    let (summary, _, _) = command(b"A044 BLURDYBLOOP {102856}\r\n");
    assert!(summary.contains("BLURDYBLOOP") && summary.contains("BAD"), "{summary}");

    // LITERAL+: the whole command in one write.
    let plus = "a1 LOGIN {3+}\r\nbob {8+}\r\npässwö\r\n";
    let (summary, explanation, _) = command(plus.as_bytes());
    assert_eq!(summary, "IMAP LOGIN as bob");
    assert!(explanation.contains("literal"), "{explanation}");
    let lines = imap_command_lines(plus);
    check_lines(plus, &lines);
    assert!(has(&lines, "{3+}", "literal header"));
    assert!(has(&lines, "bob", "user name (literal octets)"));
    assert!(has(&lines, "pässwö", "password (literal octets)"), "{:?}", labels(&lines));

    // §8: BODY[HEADER] as a literal whose lines are header fields.
    let writes = all_rfc_writes();
    let (header, asked) = find_server(&writes, "* 12 FETCH (BODY[HEADER] {342}");
    let lines = imap_response_lines(&header);
    assert!(has(&lines, "{342}", "literal header"));
    assert!(has(&lines, "Subject", "header field name"), "{:?}", labels(&lines));
    assert!(has(&lines, "cc", "header field name"));
    assert!(lines.iter().any(|l| l.text.is_empty() && l.parts[0].label == "end of header section"));
    assert!(has(&lines, ")", ")"));
    let (summary, _, _) = response(header.as_bytes(), asked.as_deref());
    assert_eq!(summary, "FETCH: 1 message, 342 octets");
}

#[test]
fn rfc_fetch_full_labels_the_envelope_field_by_field() {
    let writes = all_rfc_writes();
    let (full, asked) = find_server(&writes, "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE");
    let lines = imap_response_lines(&full);
    for (text, label) in [
        ("12", "message number"),
        ("FETCH", "data kind"),
        ("INTERNALDATE", "fetch item"),
        ("3370", "size"),
        ("\"IMAP4rev2 WG mtg summary and minutes\"", "envelope subject"),
        ("((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\"))", "envelope from"),
        ("NIL", "envelope bcc"),
        ("\"<B27397-0100000@cac.washington.edu>\"", "envelope message-id"),
    ] {
        assert!(has(&lines, text, label), "{text:?} {label:?}: {:?}", labels(&lines));
    }
    let from = lines[0].parts.iter().find(|p| p.label == "envelope from").expect("from");
    assert!(from.meaning.contains("Terry Gray <gray@cac.washington.edu>"), "{}", from.meaning);
    let (summary, explanation, _) = response(full.as_bytes(), asked.as_deref());
    assert_eq!(summary, "FETCH: 1 message, 3,370 octets in all");
    assert!(explanation.contains("IMAP4rev2 WG mtg summary"), "{explanation}");
}

#[test]
fn rfc_commands_cite_their_sections() {
    for (line, rfc, summary) in [
        ("a001 CAPABILITY\r\n", "RFC 9051 §6.1.1", "IMAP CAPABILITY"),
        ("a002 NOOP\r\n", "RFC 9051 §6.1.2", "IMAP NOOP"),
        ("A023 LOGOUT\r\n", "RFC 9051 §6.1.3", "IMAP LOGOUT"),
        ("a002 STARTTLS\r\n", "RFC 9051 §6.2.1", "IMAP STARTTLS"),
        (
            "a004 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
            "RFC 9051 §6.2.2",
            "IMAP AUTHENTICATE PLAIN as test",
        ),
        ("a001 LOGIN SMITH SESAME\r\n", "RFC 9051 §6.2.3", "IMAP LOGIN as SMITH"),
        ("babc ENABLE IMAP4rev2\r\n", "RFC 9051 §6.3.1", "IMAP ENABLE IMAP4rev2"),
        ("A142 SELECT INBOX\r\n", "RFC 9051 §6.3.2", "IMAP SELECT INBOX"),
        ("A932 EXAMINE Junk\r\n", "RFC 9051 §6.3.3", "IMAP EXAMINE Junk"),
        ("A01 LIST \"\" \"*\"\r\n", "RFC 9051 §6.3.9", "IMAP LIST \"\" \"*\""),
        ("A042 STATUS Junk (MESSAGES UNSEEN)\r\n", "RFC 9051 §6.3.11", "IMAP STATUS Junk (MESSAGES UNSEEN)"),
        ("A002 IDLE\r\n", "RFC 9051 §6.3.13", "IMAP IDLE"),
        ("A341 CLOSE\r\n", "RFC 9051 §6.4.1", "IMAP CLOSE"),
        ("A342 UNSELECT\r\n", "RFC 9051 §6.4.2", "IMAP UNSELECT"),
        ("A202 EXPUNGE\r\n", "RFC 9051 §6.4.3", "IMAP EXPUNGE"),
        ("A284 SEARCH RETURN (MIN) UNSEEN\r\n", "RFC 9051 §6.4.4", "IMAP SEARCH RETURN (MIN) UNSEEN"),
        ("a003 fetch 12 full\r\n", "RFC 9051 §6.4.5", "IMAP FETCH 12 FULL"),
        ("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n", "RFC 9051 §6.4.6", "IMAP STORE 2:4 +FLAGS (\\Deleted)"),
        (
            "A999 UID FETCH 4827313:4828442 FLAGS\r\n",
            "RFC 9051 §6.4.9, §6.4.5",
            "IMAP UID FETCH 4827313:4828442 FLAGS",
        ),
        ("A003 UID EXPUNGE 3000:3002\r\n", "RFC 9051 §6.4.9", "IMAP UID EXPUNGE 3000:3002"),
        ("DONE\r\n", "RFC 9051 §6.3.13", "IMAP DONE: end of IDLE"),
        ("dGVzdAB0ZXN0AHRlc3Q=\r\n", "RFC 9051 §6.2.2", "IMAP SASL PLAIN response: log in as test"),
    ] {
        let text = command(line.as_bytes());
        assert_eq!((text.0.as_str(), text.2.as_str()), (summary, rfc), "{line:?}");
        let lines = imap_command_lines(line);
        check_lines(line, &lines);
        no_unrecognised(line, &lines);
    }
    // Each argument is labelled.
    let lines = imap_command_lines("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n");
    for (text, label) in [
        ("A003", "tag"),
        ("STORE", "command"),
        ("2:4", "sequence set"),
        ("+FLAGS", "store operation"),
        ("(", "("),
        ("\\Deleted", "flag"),
        (")", ")"),
        ("", CRLF_LABEL),
    ] {
        assert!(has(&lines, text, label), "{text:?} {label:?}: {:?}", labels(&lines));
    }
    let crlf = lines[0].parts.last().expect("a CRLF part");
    assert_eq!(crlf.rfc.as_deref(), Some("RFC 9051 §2.2"));
    let lines =
        imap_command_lines("A999 UID FETCH 4827313:4828442 (FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM)])\r\n");
    assert!(has(&lines, "UID", "UID") && has(&lines, "FETCH", "command"));
    assert!(has(&lines, "BODY.PEEK[HEADER.FIELDS (DATE FROM)]", "fetch item"), "{:?}", labels(&lines));
    // Bad commands.
    let (summary, explanation, rfc) = command(b"a1 SELECT\r\n");
    assert_eq!(summary, "IMAP SELECT: arguments the server cannot read (BAD)");
    assert!(explanation.contains("a1 BAD"), "{explanation}");
    assert_eq!(rfc, "RFC 9051 §6.3.2, §7.1.3");
    let lines = imap_command_lines("a1 SELECT\r\n");
    assert!(has(&lines, "a1", "tag") && has(&lines, "SELECT", "command"));
    let (summary, ..) = command(b"\r\n");
    assert!(summary.contains("BAD"), "{summary}");
}

// ---------------------------------------------------------------------------------------
// A session of our client with our server
// ---------------------------------------------------------------------------------------

fn date() -> DateTime {
    DateTime::try_from("17-Jul-1996 02:44:25 -0700").expect("a date-time")
}

fn session(auth: ClientAuth, extensions: Option<Vec<wire::Capability>>) -> Vec<Write> {
    let mut store = MemoryMailstore::new();
    store.add_user("bob", "s3cret pw", 7, 100);
    store.deliver(
        "bob",
        b"From: Ann <ann@example.org>\r\nTo: bob@example.net\r\nSubject: Lunch\r\n\r\nNoon?\r\n",
        &[],
        date(),
    );
    store.deliver(
        "bob",
        "From: Carl <carl@example.com>\r\nSubject: Grüße\r\n\r\nBis bald.\r\n".as_bytes(),
        &[Flag::Flagged],
        date(),
    );
    // A Junk folder with one unread message, as DMARC quarantine leaves it (RFC 6154 §2).
    let junk = wire::Atom::try_from("Junk").expect("an atom");
    assert!(store.add_folder("bob", "Junk", &[junk], 7, 1));
    store.deliver_to(
        "bob",
        &wire::Mailbox::from("Junk"),
        b"From: Alice <alice@example.com>\r\nSubject: Picnic\r\n\r\nSaturday?\r\n",
        &[],
        date(),
    );
    let mut config =
        ImapServerConfig { login_requires_tls: false, ..ImapServerConfig::new("imap.example.net") };
    if let Some(extensions) = extensions {
        config.extensions = extensions;
    }
    let mut server = ImapServer::new(config);
    let mut client = ImapClient::new(ImapClientConfig {
        user: "bob".into(),
        password: "s3cret pw".into(),
        auth,
        mark_seen: true,
    });
    let mut writes = Vec::new();
    let mut asked: Option<String> = None;
    drain(&mut server, &mut client, &mut writes, &asked);
    for _ in 0..50 {
        let Some(bytes) = client.poll_transmit() else { break };
        // After a `+`, until the next command: IDLE's updates come between `+` and DONE.
        let plus = writes
            .iter()
            .rev()
            .take_while(|w| matches!(w, Write::Server { .. }))
            .any(|w| matches!(w, Write::Server { bytes, .. } if bytes.starts_with('+')));
        let after_plus = if plus { asked.clone() } else { None };
        if after_plus.is_none() {
            asked = wire::command_asked(&bytes);
        }
        writes.push(Write::Client { bytes: String::from_utf8(bytes.clone()).expect("UTF-8"), after_plus });
        server.handle_input(&bytes, &mut store);
        drain(&mut server, &mut client, &mut writes, &asked);
    }
    assert!(client.is_done() && client.error.is_none(), "{:?}", client.error);
    writes
}

/// Everything the server wrote since the last client write: one server write.
fn drain(server: &mut ImapServer, client: &mut ImapClient, writes: &mut Vec<Write>, asked: &Option<String>) {
    let mut out = Vec::new();
    while let Some(bytes) = server.poll_transmit() {
        out.extend(bytes);
    }
    if !out.is_empty() {
        writes.push(Write::Server {
            bytes: String::from_utf8(out.clone()).expect("UTF-8"),
            asked: asked.clone(),
        });
        client.handle_input(&out);
    }
}

fn client_writes(writes: &[Write]) -> Vec<&str> {
    writes
        .iter()
        .filter_map(|w| match w {
            Write::Client { bytes, .. } => Some(bytes.as_str()),
            Write::Server { .. } => None,
        })
        .collect()
}

#[test]
fn every_write_of_a_session_is_explained_and_annotated() {
    let writes = session(ClientAuth::Login, None);
    let texts: Vec<(String, String, String)> = writes.iter().map(teach).collect();
    let commands = client_writes(&writes);
    assert_eq!(
        commands,
        [
            "A001 LOGIN bob \"s3cret pw\"\r\n",
            "A002 LIST \"\" *\r\n",
            "A003 STATUS Junk (MESSAGES UNSEEN)\r\n",
            "A004 SELECT INBOX\r\n",
            "A005 FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])\r\n",
            "A006 STORE 1:* +FLAGS.SILENT (\\Seen)\r\n",
            "A007 LOGOUT\r\n",
        ]
    );
    let summaries: Vec<&str> = texts.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "IMAP greeting: ready, 11 capabilities",
            "IMAP LOGIN as bob",
            "LOGIN OK",
            "IMAP LIST \"\" *",
            "LIST: 2 mailboxes (INBOX, Junk)",
            "IMAP STATUS Junk (MESSAGES UNSEEN)",
            "STATUS Junk: 1 message, 1 unseen",
            "IMAP SELECT INBOX",
            "SELECT INBOX: 2 messages, UIDNEXT 102, read-write",
            "IMAP FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])",
            "FETCH: 2 messages, 137 octets",
            "IMAP STORE 1:* +FLAGS.SILENT (\\Seen)",
            "STORE OK (silent: no FETCH echo)",
            "IMAP LOGOUT",
            "LOGOUT: BYE, then OK",
        ]
    );

    // LOGIN shows the password, and says why it may.
    let login = &texts[1].1;
    assert!(login.contains("s3cret pw") && login.contains("simulation") && login.contains("TLS"), "{login}");
    assert!(login.contains("A001"), "{login}");
    // LIST: every mailbox, and \Junk explained in plain words with its RFC.
    assert!(texts[3].1.contains("every name at every level"), "{}", texts[3].1);
    let (_, listed, rfc) = &texts[4];
    assert!(listed.contains("\\Junk marks Junk as the folder where the server files"), "{listed}");
    assert!(listed.contains("STATUS or SELECT"), "{listed}");
    assert_eq!(rfc, "RFC 9051 §7.3.1; RFC 6154 §2");
    // STATUS: the counts in words, and that nothing was opened.
    assert!(texts[5].1.contains("how many are not yet read (UNSEEN)"), "{}", texts[5].1);
    assert!(texts[5].1.contains("suspected spam"), "{}", texts[5].1);
    let (_, status, rfc) = &texts[6];
    assert!(status.contains("Junk holds 1 message, and it is not yet read (UNSEEN 1)"), "{status}");
    assert!(status.contains("Counting opened nothing"), "{status}");
    assert_eq!(rfc, "RFC 9051 §7.3.3");
    // FETCH: PEEK, and the ENVELOPE misconception.
    let fetch = &texts[9].1;
    assert!(fetch.contains("BODY.PEEK[]") && fetch.contains("not the SMTP envelope"), "{fetch}");
    // STORE: .SILENT.
    assert!(texts[11].1.contains(".SILENT"), "{}", texts[11].1);
    // The FETCH answer: two messages, the subject, the server keeps the mail.
    let answer = &texts[10].1;
    assert!(answer.contains("“Lunch”") && answer.contains("keeps"), "{answer}");

    // The LIST answer: each attribute labelled, \Junk with RFC 6154.
    let Write::Server { bytes: listed, .. } = &writes[4] else { panic!("a server write") };
    let lines = imap_response_lines(listed);
    assert!(
        has(&lines, "\\Junk", "mailbox attribute") && has(&lines, "\\HasNoChildren", "mailbox attribute")
    );
    let junk = lines
        .iter()
        .find_map(|l| {
            l.parts.iter().find(|p| p.label == "mailbox attribute" && &l.text[p.start..p.end] == "\\Junk")
        })
        .expect("\\Junk");
    assert_eq!(junk.rfc.as_deref(), Some("RFC 6154 §2"));
    assert!(junk.meaning.contains("suspicious"), "{junk:?}");
    // The STATUS command and answer: the mailbox and each item labelled.
    let lines = imap_command_lines(commands[2]);
    assert!(has(&lines, "Junk", "mailbox") && has(&lines, "UNSEEN", "status item"), "{:?}", labels(&lines));
    let Write::Server { bytes: counted, .. } = &writes[6] else { panic!("a server write") };
    let lines = imap_response_lines(counted);
    assert!(
        has(&lines, "Junk", "mailbox name") && has(&lines, "MESSAGES", "status item"),
        "{:?}",
        labels(&lines)
    );

    // The answer to FETCH: each message is a literal whose header fields are labelled.
    let Write::Server { bytes: fetched, .. } = &writes[10] else { panic!("a server write") };
    let lines = imap_response_lines(fetched);
    let literal_headers = labels(&lines).iter().filter(|(_, l)| l == "literal header").count();
    assert_eq!(literal_headers, 2, "{:?}", labels(&lines));
    assert!(has(&lines, "Subject", "header field name"), "{:?}", labels(&lines));
    assert!(has(&lines, "BODY[]", "fetch item"));
    assert!(has(&lines, "100", "UID value") && has(&lines, "101", "UID value"));
    assert!(has(&lines, "\\Flagged", "flag"));
    assert!(has(&lines, "Noon?", "message text"));
    assert!(has(&lines, "Bis bald.", "message text"));
    let subject = lines
        .iter()
        .find_map(|l| {
            l.parts.iter().find(|p| p.label == "header field name" && &l.text[p.start..p.end] == "Subject")
        })
        .expect("Subject");
    assert_eq!(subject.rfc.as_deref(), Some("RFC 5322 §3.6.5"));
    // The greeting's capabilities, one by one.
    let Write::Server { bytes: greeting, .. } = &writes[0] else { panic!("a server write") };
    let lines = imap_response_lines(greeting);
    assert!(has(&lines, "IMAP4rev2", "capability") && has(&lines, "LITERAL+", "capability"));
    assert!(
        has(&lines, "*", "*") && has(&lines, "OK", "status") && has(&lines, "CAPABILITY", "response code")
    );
    // The LOGIN command: user name and password.
    let lines = imap_command_lines(commands[0]);
    assert!(has(&lines, "bob", "user name") && has(&lines, "\"s3cret pw\"", "password"));
    let lines = imap_command_lines(commands[4]);
    for item in ["UID", "FLAGS", "RFC822.SIZE", "ENVELOPE", "BODY.PEEK[]"] {
        assert!(has(&lines, item, "fetch item"), "{item}: {:?}", labels(&lines));
    }
    assert!(has(&lines, "1:*", "sequence set"));
}

#[test]
fn explanations_change_from_step_to_step() {
    let writes = session(ClientAuth::Login, None);
    let explanations: Vec<String> = writes.iter().map(|w| teach(w).1).collect();
    for pair in explanations.windows(2) {
        assert_ne!(pair[0], pair[1]);
    }
    let commands: Vec<String> = client_writes(&writes).iter().map(|c| command(c.as_bytes()).1).collect();
    for (i, a) in commands.iter().enumerate() {
        for b in commands.iter().skip(i + 1) {
            assert_ne!(a, b);
        }
    }
    // No sentence is said on every step, nor on every command.
    let all: Vec<Vec<String>> = explanations.iter().map(|e| sentences(e)).collect();
    for sentence in &all[0] {
        assert!(!all.iter().all(|s| s.contains(sentence)), "{sentence:?} on every step");
    }
    let all: Vec<Vec<String>> = commands.iter().map(|e| sentences(e)).collect();
    for sentence in &all[0] {
        assert!(!all.iter().all(|s| s.contains(sentence)), "{sentence:?} on every command");
    }
}

#[test]
fn authenticate_plain_with_and_without_an_initial_response() {
    // With SASL-IR (the default extensions): one command line.
    let writes = session(ClientAuth::Plain, None);
    for write in &writes {
        teach(write);
    }
    let first = client_writes(&writes)[0];
    assert!(first.starts_with("A001 AUTHENTICATE PLAIN "), "{first}");
    let (summary, explanation, rfc) = command(first.as_bytes());
    assert_eq!(summary, "IMAP AUTHENTICATE PLAIN as bob");
    assert!(
        explanation.contains("s3cret pw") && explanation.contains("Base64 is not encryption"),
        "{explanation}"
    );
    assert_eq!(rfc, "RFC 9051 §6.2.2");
    let lines = imap_command_lines(first);
    let response_part =
        lines[0].parts.iter().find(|p| p.label == "initial response").expect("initial response");
    assert!(response_part.meaning.contains("the user name bob"), "{}", response_part.meaning);

    // Without SASL-IR and LITERAL+: "+ " and a base64 line of its own.
    let writes = session(ClientAuth::Plain, Some(vec![]));
    for write in &writes {
        teach(write);
    }
    let plus = writes.iter().find_map(|w| match w {
        Write::Server { bytes, asked } if bytes.starts_with('+') => Some((bytes.clone(), asked.clone())),
        _ => None,
    });
    let (plus, asked) = plus.expect("a continuation request");
    let (summary, explanation, _) = response(plus.as_bytes(), asked.as_deref());
    assert_eq!(summary, "AUTHENTICATE: + go ahead, send the credentials");
    assert!(explanation.contains("empty challenge"), "{explanation}");
    let sasl = writes
        .iter()
        .find_map(|w| match w {
            Write::Client { bytes, after_plus: Some(_) } => Some(bytes.clone()),
            _ => None,
        })
        .expect("a SASL line");
    let (summary, explanation, _) = command(sasl.as_bytes());
    assert_eq!(summary, "IMAP SASL PLAIN response: log in as bob");
    assert!(explanation.contains("s3cret pw"), "{explanation}");
    let lines = imap_command_lines(&sasl);
    assert!(labels(&lines).iter().any(|(_, l)| l == "SASL response (base64)"));
}

#[test]
fn failures_and_updates_are_told_apart() {
    let (summary, explanation, rfc) =
        response(b"a1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n", Some("LOGIN"));
    assert_eq!(summary, "LOGIN NO [AUTHENTICATIONFAILED]");
    assert!(explanation.contains("will not say which"), "{explanation}");
    assert_eq!(rfc, "RFC 9051 §6.2.3, §7.1");
    let (summary, explanation, rfc) = response(b"a4 BAD No mailbox selected\r\n", Some("FETCH"));
    assert_eq!(summary, "FETCH BAD: No mailbox selected");
    assert!(explanation.contains("Unlike NO"), "{explanation}");
    assert_eq!(rfc, "RFC 9051 §7.1.3");
    let (summary, _, rfc) = response(b"* 4 EXISTS\r\n", None);
    assert_eq!(summary, "Update: 4 messages now (new mail)");
    assert_eq!(rfc, "RFC 9051 §7.4.1");
    let (summary, _, _) = response(b"+ idling\r\n", Some("IDLE"));
    assert_eq!(summary, "IDLE: + the server waits and will report changes");
    let (summary, _, _) = response(b"* 4 EXISTS\r\nA002 OK IDLE terminated\r\n", Some("IDLE"));
    assert_eq!(summary, "IDLE OK: 4 messages now");
    let (summary, _, _) = response(b"* PREAUTH IMAP4rev2 server logged in as Smith\r\n", None);
    assert!(summary.contains("PREAUTH"), "{summary}");
    let (summary, _, _) = response(b"* BYE Autologout; idle for too long\r\n", None);
    assert!(summary.contains("BYE"), "{summary}");
    let (summary, _, rfc) = response(b"hello\r\n", Some("NOOP"));
    assert!(summary.starts_with("IMAP: unreadable response"), "{summary}");
    assert_eq!(rfc, "RFC 9051 §7");
    let lines = imap_response_lines("hello\r\n* 1 EXISTS\r\n");
    check_lines("hello\r\n* 1 EXISTS\r\n", &lines);
    assert!(has(&lines, "hello", "unrecognised") && has(&lines, "EXISTS", "data kind"));
    let list = "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\nA1 OK LIST completed\r\n";
    let (summary, explanation, _) = response(list.as_bytes(), Some("LIST"));
    assert_eq!(summary, "LIST: 1 mailbox (Junk)");
    assert!(explanation.contains("\\Junk marks Junk as the folder where the server files"), "{explanation}");
    let lines = imap_response_lines(list);
    assert!(has(&lines, "\\Junk", "mailbox attribute"));
}

#[test]
fn list_and_status_are_told_in_plain_words() {
    // The three patterns a client sends, each said for what it asks.
    let (_, top, _) = command(b"A1 LIST \"\" %\r\n");
    assert!(top.contains("top level only"), "{top}");
    let (_, delimiter, _) = command(b"A1 LIST \"\" \"\"\r\n");
    assert!(delimiter.contains("only for the hierarchy delimiter"), "{delimiter}");
    let (_, every, _) = command(b"A1 LIST \"\" \"*\"\r\n");
    assert!(every.contains("every name at every level") && every.contains("\\Junk"), "{every}");
    // A mailbox list without special use cites RFC 9051 alone.
    let inbox = "* LIST (\\HasNoChildren) \"/\" INBOX\r\nA1 OK LIST completed\r\n";
    let (summary, explanation, rfc) = response(inbox.as_bytes(), Some("LIST"));
    assert_eq!(summary, "LIST: 1 mailbox (INBOX)");
    assert!(explanation.contains("no folder lies inside it"), "{explanation}");
    assert_eq!(rfc, "RFC 9051 §7.3.1");
    // STATUS answers in words: read, unread, empty.
    for (wire, summary, says) in [
        (
            "* STATUS Junk (MESSAGES 1 UNSEEN 1)\r\nA1 OK STATUS completed\r\n",
            "STATUS Junk: 1 message, 1 unseen",
            "Junk holds 1 message, and it is not yet read (UNSEEN 1)",
        ),
        (
            "* STATUS Junk (MESSAGES 3 UNSEEN 2)\r\nA1 OK STATUS completed\r\n",
            "STATUS Junk: 3 messages, 2 unseen",
            "Junk holds 3 messages, and 2 of them are not yet read (UNSEEN 2)",
        ),
        (
            "* STATUS Archive (MESSAGES 2 UNSEEN 0)\r\nA1 OK STATUS completed\r\n",
            "STATUS Archive: 2 messages, 0 unseen",
            "Archive holds 2 messages, all of them read (UNSEEN 0)",
        ),
        (
            "* STATUS Junk (MESSAGES 0 UNSEEN 0)\r\nA1 OK STATUS completed\r\n",
            "STATUS Junk: 0 messages, 0 unseen",
            "Junk is empty (MESSAGES 0)",
        ),
    ] {
        let text = response(wire.as_bytes(), Some("STATUS"));
        check_text(&text, wire);
        assert_eq!(text.0, summary);
        assert!(text.1.contains(says), "{}", text.1);
    }
    let (_, junk, _) =
        response(b"* STATUS Junk (MESSAGES 1 UNSEEN 1)\r\nA1 OK STATUS completed\r\n", Some("STATUS"));
    assert!(junk.contains("suspected spam is waiting in Junk"), "{junk}");
    // An unknown folder: NO [NONEXISTENT], said as such.
    let (summary, explanation, _) =
        response(b"A1 NO [NONEXISTENT] Mailbox doesn't exist\r\n", Some("STATUS"));
    assert_eq!(summary, "STATUS NO [NONEXISTENT]");
    assert!(explanation.contains("no mailbox of that name"), "{explanation}");
}

// ---------------------------------------------------------------------------------------
// Any input
// ---------------------------------------------------------------------------------------

/// Octets that look like IMAP: tokens, literals, CRLFs, and noise.
fn arb_imap_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"a1 LOGIN user pw\r\n".to_vec()),
        Just(b"* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] ".to_vec()),
        Just(b"* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN] ready\r\n".to_vec()),
        Just(b"* OK [PERMANENTFLAGS (\\Deleted \\*)] x\r\n".to_vec()),
        Just(b"ENVELOPE (NIL \"s\" ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL NIL NIL)".to_vec()),
        Just(b"* LIST (\\Junk) \"/\" Junk\r\n".to_vec()),
        Just(b"* STATUS INBOX (MESSAGES 2)\r\n".to_vec()),
        Just(b"* ESEARCH (TAG \"a\") UID MIN 1\r\n".to_vec()),
        Just(b"+ \r\n".to_vec()),
        Just(b"DONE\r\n".to_vec()),
        Just(b"a FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM)]<0.10> UID)".to_vec()),
        Just(b"a STORE 1 +FLAGS.SILENT (\\Seen)".to_vec()),
        Just(b"a SEARCH RETURN (MIN) OR NOT (".to_vec()),
        Just(b"{5}\r\n".to_vec()),
        Just(b"{3+}\r\n".to_vec()),
        Just(b"{99999999999}\r\n".to_vec()),
        Just("ä€\u{1F600}".as_bytes().to_vec()),
        Just(b"\"q\\\"\"".to_vec()),
        Just(b"((((((((".to_vec()),
        Just(b")".to_vec()),
        Just(b"[".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b" ".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(token, 0..20).prop_map(|t| t.concat())
}

fn no_panic(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for lines in [imap_command_lines(&text), imap_continuation_lines(&text), imap_response_lines(&text)] {
        check_lines(&text, &lines);
    }
    for t in [
        command(bytes),
        continuation(bytes, "LOGIN"),
        continuation(bytes, "AUTHENTICATE"),
        response(bytes, None),
        response(bytes, Some("FETCH")),
        response(bytes, Some("SELECT")),
        response(bytes, Some("uid fetch")),
    ] {
        assert!(!t.0.is_empty() && t.0.chars().count() < 100, "{t:?}");
        assert!(t.2.starts_with("RFC 9051 §"), "{t:?}");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        no_panic(&bytes);
    }

    #[test]
    fn imap_like_bytes_never_panic(bytes in arb_imap_bytes()) {
        no_panic(&bytes);
    }
}
