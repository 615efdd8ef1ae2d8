//! IMAP4rev2 (RFC 9051): the wire format's parsers and serializers, the sans-IO server
//! session and the client.
//!
//! - Golden transcripts from RFC 9051's own examples, run through `ImapServer` over a
//!   `MemoryMailstore` arranged like the example's mailbox: `C:` lines are sent one write
//!   each (with CRLF), and the server's output, cut at CRLF, must equal the `S:` lines.
//!   Where this server's text or data cannot equal the RFC's, the comment says why.
//! - Session suites: states, login failures, literals, pipelining, byte-by-byte input,
//!   limits, IDLE, `\Seen` semantics, EXAMINE, LOGOUT.
//! - Round trips `parse(serialize(x)) == x` for commands and responses, known answers and
//!   property tests, truncated input answering Incomplete, and hostile input never
//!   panicking.
//! - Our client against our server.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/rfc9051.rs"]
mod rfc9051;

use proptest::prelude::*;
use smtp_playground::engine::imap::{
    ClientAuth, ImapClient, ImapClientConfig, ImapEvent, ImapServer, ImapServerConfig, ImapState, Mailstore,
    MemoryMailstore, StoredMailbox, StoredMessage,
};
use smtp_playground::proto::imap::{
    self as wire, Address, Atom, BodyStructure, Capability, Code, Command, CommandBody, CommandError, Data,
    DateTime, Envelope, FetchAttribute, FetchItems, Flag, FlagPerm, Frame, Framer, FramerRole, LiteralMode,
    Mailbox, MessageData, Response, SearchKey, SearchReturnData, SearchReturnOption, Section, SeqNumber,
    Sequence, SequenceSet, Status, StatusAttribute, StoreKind, Tag,
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn date() -> DateTime {
    DateTime::try_from("17-Jul-1996 02:44:25 -0700").expect("a date-time")
}

fn message(n: usize) -> Vec<u8> {
    format!("From: a@example.org\r\nTo: b@example.net\r\nSubject: message {n}\r\n\r\nBody {n}.\r\n")
        .into_bytes()
}

/// A store whose user `user` (password `pw`) has messages with the given UIDs and flags.
fn store_with(uid_validity: u32, uid_next: u32, messages: Vec<(u32, Vec<Flag>)>) -> MemoryMailstore {
    let mut store = MemoryMailstore::new();
    for user in ["user", "test", "SMITH", "FRED FOOBAR"] {
        store.add_user(user, "pw", uid_validity, 1);
    }
    // The RFC examples' passwords.
    store.add_user("test", "test", uid_validity, 1);
    store.add_user("SMITH", "SESAME", uid_validity, 1);
    store.add_user("FRED FOOBAR", "fat man", uid_validity, 1);
    for user in ["user", "test", "SMITH", "FRED FOOBAR"] {
        let inbox = store.inbox_mut(user).expect("the user");
        *inbox = StoredMailbox {
            uid_validity,
            uid_next,
            messages: messages
                .iter()
                .enumerate()
                .map(|(i, (uid, flags))| StoredMessage {
                    uid: *uid,
                    flags: flags.clone(),
                    internal_date: date(),
                    bytes: message(i + 1),
                })
                .collect(),
        };
    }
    store
}

/// `count` messages with UIDs 1.. and no flags.
fn simple_store(count: u32) -> MemoryMailstore {
    store_with(1, count + 1, (1..=count).map(|uid| (uid, vec![])).collect())
}

/// A server on an Implicit TLS port that speaks IMAP4rev2 only, as in the RFC 9051
/// examples, and advertises the usual extensions.
fn tls_config() -> ImapServerConfig {
    ImapServerConfig { imap4rev1: false, ..rev1_tls_config() }
}

/// The same server advertising IMAP4rev1 too: RFC 3501 responses until ENABLE IMAP4rev2.
fn rev1_tls_config() -> ImapServerConfig {
    ImapServerConfig { implicit_tls: true, starttls: false, ..ImapServerConfig::new("imap.example.net") }
}

struct Session {
    server: ImapServer,
    store: MemoryMailstore,
}

impl Session {
    fn new(config: ImapServerConfig, store: MemoryMailstore) -> Self {
        let mut session = Self { server: ImapServer::new(config), store };
        session.output();
        session
    }

    /// Sends octets in one write; the server's output lines.
    fn send(&mut self, bytes: &[u8]) -> Vec<String> {
        self.server.handle_input(bytes, &mut self.store);
        self.output()
    }

    fn line(&mut self, text: &str) -> Vec<String> {
        self.send(format!("{text}\r\n").as_bytes())
    }

    fn output(&mut self) -> Vec<String> {
        let mut octets = Vec::new();
        while let Some(bytes) = self.server.poll_transmit() {
            octets.extend(bytes);
        }
        lines(&octets)
    }

    fn events(&mut self) -> Vec<ImapEvent> {
        std::iter::from_fn(|| self.server.poll_event())
            .filter(|e| !matches!(e, ImapEvent::CommandReceived { .. }))
            .collect()
    }

    /// Logs in as `user` and selects INBOX, discarding the output.
    fn selected(config: ImapServerConfig, store: MemoryMailstore) -> Self {
        let mut session = Self::new(config, store);
        session.line("p1 LOGIN user pw");
        session.line("p2 SELECT INBOX");
        session.events();
        session
    }
}

/// Output cut at CRLF (a literal's lines are lines too).
fn lines(octets: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(octets);
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_owned).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// Runs a transcript: `C:` lines are sent one write each, `S:` lines are the output
/// expected, in order; `X: deliver` delivers a message and lets an idling server say so.
fn run_script(session: &mut Session, script: &str) {
    let (mut expected, mut got) = (Vec::new(), Vec::new());
    for line in script.lines() {
        let line = line.trim_start();
        if let Some(command) = line.strip_prefix("C: ") {
            got.extend(session.line(command));
        } else if let Some(response) = line.strip_prefix("S: ") {
            expected.push(response.to_owned());
        } else if line == "S:" {
            expected.push(String::new());
        } else if line == "X: deliver" {
            session.store.deliver("user", &message(99), &[], date());
            session.server.poll_mailbox(&session.store);
            got.extend(session.output());
        } else {
            assert!(line.is_empty() || line.starts_with('#'), "script line {line:?}");
        }
    }
    assert_eq!(got, expected);
}

fn atom(text: &str) -> Atom {
    Atom::try_from(text).expect("an atom")
}

fn tag(text: &str) -> Tag {
    Tag::try_from(text).expect("a tag")
}

fn set(text: &str) -> SequenceSet {
    let input = format!("{text} ");
    wire::sequence_set(input.as_bytes()).expect("a sequence set").1
}

// ---------------------------------------------------------------------------------------
// Golden transcripts from RFC 9051
// ---------------------------------------------------------------------------------------

#[test]
fn rfc9051_6_2_1_starttls_then_authenticate_plain() {
    // RFC 9051 §6.2.1 (and §6.1.1): LOGINDISABLED and no AUTH=PLAIN in cleartext; after
    // STARTTLS, AUTH=PLAIN. The server speaks IMAP4rev2 only and advertises no extensions,
    // as in the example.
    let config = ImapServerConfig { imap4rev1: false, extensions: vec![], ..ImapServerConfig::new("imap") };
    let mut session = Session::new(config, simple_store(0));
    run_script(&mut session, rfc9051::CAPABILITY_STARTTLS_LOGIN);
    assert_eq!(session.server.state(), &ImapState::Authenticated { user: "test".into() });
    let events = session.events();
    assert!(events.contains(&ImapEvent::StartTlsAccepted));
    assert!(events.contains(&ImapEvent::LoggedIn { user: "test".into(), mechanism: "PLAIN".into() }));
}

#[test]
fn rfc9051_6_2_2_authenticate_plain_without_initial_response() {
    // RFC 9051 §6.2.2: "Note that in the above example there is a space following the +".
    let mut session = Session::new(tls_config(), simple_store(0));
    assert_eq!(session.line("A01 AUTHENTICATE PLAIN"), ["+ "]);
    assert_eq!(session.line("dGVzdAB0ZXN0AHRlc3Q="), ["A01 OK Success (tls protection)"]);
}

#[test]
fn rfc9051_6_2_3_login() {
    // RFC 9051 §6.2.3.
    let mut session = Session::new(tls_config(), simple_store(0));
    run_script(&mut session, rfc9051::LOGIN);
}

#[test]
fn rfc9051_7_6_synchronizing_literals_and_a_refused_command() {
    // RFC 9051 §7.6: each literal waits for "+"; a command refused at its first line is
    // answered before its literal is sent.
    let mut session = Session::new(tls_config(), simple_store(0));
    run_script(
        &mut session,
        r"
        C: A001 LOGIN {11}
        S: + Ready for additional command text
        C: FRED FOOBAR {7}
        S: + Ready for additional command text
        C: fat man
        S: A001 OK LOGIN completed
        C: A044 BLURDYBLOOP {102856}
        S: A044 BAD No such command as &quot;BLURDYBLOOP&quot;
        "
        .replace("&quot;", "\"")
        .as_str(),
    );
}

#[test]
fn rfc9051_6_1_2_noop_and_6_1_3_logout() {
    let mut session = Session::new(tls_config(), simple_store(0));
    run_script(
        &mut session,
        r"
        # RFC 9051 §6.1.2
        C: a002 NOOP
        S: a002 OK NOOP completed
        # RFC 9051 §6.1.3
        C: A023 LOGOUT
        S: * BYE IMAP4rev2 Server logging out
        S: A023 OK LOGOUT completed
        ",
    );
    assert!(session.server.is_closed());
    assert_eq!(session.events().last(), Some(&ImapEvent::Closed));
}

#[test]
fn rfc9051_6_3_2_select() {
    // RFC 9051 §6.3.2, the first example: 172 messages, PERMANENTFLAGS limited to
    // \Deleted and \Seen (and new keywords).
    let messages = (1..=172).map(|uid| (uid, vec![])).collect();
    let config = ImapServerConfig {
        permanent_flags: vec![FlagPerm::Flag(Flag::Deleted), FlagPerm::Flag(Flag::Seen), FlagPerm::Asterisk],
        ..tls_config()
    };
    let mut session = Session::new(config, store_with(3857529045, 4392, messages));
    session.line("a1 LOGIN user pw");
    run_script(&mut session, rfc9051::SELECT);
    assert!(session.events().contains(&ImapEvent::Selected {
        mailbox: "INBOX".into(),
        exists: 172,
        read_only: false
    }));
}

#[test]
fn rfc9051_6_3_3_examine() {
    // RFC 9051 §6.3.3, on INBOX rather than "blurdybloop" (this server has INBOX only), and
    // with LIST after PERMANENTFLAGS, in the order of the §6.3.2 example ("The order of
    // individual responses is not important", §6.3.2).
    let messages = (1..=17).map(|uid| (uid, vec![])).collect();
    let mut session = Session::new(tls_config(), store_with(3857529045, 4392, messages));
    session.line("a1 LOGIN user pw");
    run_script(&mut session, rfc9051::EXAMINE);
}

#[test]
fn rfc9051_6_3_11_status() {
    // RFC 9051 §6.3.11, on INBOX rather than "blurdybloop": 231 messages, UIDNEXT 44292.
    let messages = (1..=231).map(|uid| (uid, vec![])).collect();
    let mut session = Session::new(tls_config(), store_with(1, 44292, messages));
    session.line("a1 LOGIN user pw");
    run_script(&mut session, rfc9051::STATUS);
}

#[test]
fn rfc9051_6_3_13_idle() {
    // RFC 9051 §6.3.13: new mail arrives while idling.
    let mut session = Session::selected(tls_config(), simple_store(3));
    run_script(
        &mut session,
        r"
        C: A002 IDLE
        S: + idling
        X: deliver
        S: * 4 EXISTS
        C: DONE
        S: A002 OK IDLE terminated
        ",
    );
    let events = session.events();
    assert_eq!(events, [ImapEvent::IdleStarted, ImapEvent::IdleEnded]);
}

#[test]
fn rfc9051_6_4_1_close_and_6_4_2_unselect() {
    let mut session = Session::selected(tls_config(), simple_store(2));
    run_script(
        &mut session,
        r"
        C: A341 CLOSE
        S: A341 OK CLOSE completed
        C: A1 SELECT INBOX
        S: * 2 EXISTS
        S: * OK [UIDVALIDITY 1] UIDs valid
        S: * OK [UIDNEXT 3] Predicted next UID
        S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
        S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] System flags and keywords allowed
        S: * LIST () &quot;/&quot; INBOX
        S: A1 OK [READ-WRITE] SELECT completed
        C: A342 UNSELECT
        S: A342 OK Unselect completed
        "
        .replace("&quot;", "\"")
        .as_str(),
    );
}

#[test]
fn rfc9051_6_4_3_expunge() {
    // RFC 9051 §6.4.3: "messages 3, 4, 7, and 11 had the \Deleted flag set".
    let messages = (1..=12)
        .map(|uid| (uid, if [3, 4, 7, 11].contains(&uid) { vec![Flag::Deleted] } else { vec![] }))
        .collect();
    let mut session = Session::selected(tls_config(), store_with(1, 13, messages));
    run_script(&mut session, rfc9051::EXPUNGE);
    let uids: Vec<u32> = session.store.inbox("user").expect("inbox").messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, [1, 2, 5, 6, 8, 9, 10, 12]);
    assert_eq!(session.events().len(), 4);
}

#[test]
fn rfc9051_6_4_6_store() {
    // RFC 9051 §6.4.6: message 2 was \Seen, 3 had no flags, 4 was \Flagged \Seen.
    let messages =
        vec![(1, vec![]), (2, vec![Flag::Seen]), (3, vec![]), (4, vec![Flag::Flagged, Flag::Seen])];
    let mut session = Session::selected(tls_config(), store_with(1, 5, messages));
    run_script(&mut session, rfc9051::STORE);
}

#[test]
fn rfc9051_6_4_9_uid_fetch_and_uid_expunge() {
    // RFC 9051 §6.4.9: messages 23 to 25 have UIDs 4827313, 4827943 and 4828442.
    let mut messages: Vec<(u32, Vec<Flag>)> = (1..=22).map(|uid| (uid, vec![])).collect();
    messages.extend([4827313, 4827943, 4828442].map(|uid| (uid, vec![Flag::Seen])));
    let mut session = Session::selected(tls_config(), store_with(1, 4828443, messages));
    run_script(
        &mut session,
        r"
        C: A999 UID FETCH 4827313:4828442 FLAGS
        S: * 23 FETCH (FLAGS (\Seen) UID 4827313)
        S: * 24 FETCH (FLAGS (\Seen) UID 4827943)
        S: * 25 FETCH (FLAGS (\Seen) UID 4828442)
        S: A999 OK UID FETCH completed
        ",
    );
    // The UID EXPUNGE example: messages 3 to 5 have UIDs 3000 to 3002, all \Deleted.
    let messages = vec![
        (1, vec![]),
        (2, vec![]),
        (3000, vec![Flag::Deleted]),
        (3001, vec![Flag::Deleted]),
        (3002, vec![Flag::Deleted]),
        (3003, vec![Flag::Deleted]),
    ];
    let mut session = Session::selected(tls_config(), store_with(1, 3004, messages));
    run_script(
        &mut session,
        r"
        C: A003 UID EXPUNGE 3000:3002
        S: * 3 EXPUNGE
        S: * 3 EXPUNGE
        S: * 3 EXPUNGE
        S: A003 OK UID EXPUNGE completed
        ",
    );
}

#[test]
fn rfc9051_6_3_9_8_list() {
    // RFC 9051 §6.3.9.8, `A101 LIST "" ""`: the hierarchy delimiter. The RFC's tagged text
    // is "LIST Completed" there and "LIST completed" in A202; this server says the latter.
    let mut session = Session::new(tls_config(), simple_store(0));
    session.line("a1 LOGIN user pw");
    run_script(
        &mut session,
        r#"
        C: A101 LIST "" ""
        S: * LIST (\Noselect) "/" ""
        S: A101 OK LIST completed
        C: A01 LIST "" "*"
        S: * LIST (\HasNoChildren) "/" INBOX
        S: A01 OK LIST completed
        C: A02 LIST "" inbox
        S: * LIST (\HasNoChildren) "/" INBOX
        S: A02 OK LIST completed
        C: A03 LIST "" Fruit/%
        S: A03 OK LIST completed
        "#,
    );
}

#[test]
fn rfc9051_6_4_4_search_return_options() {
    // RFC 9051 §6.4.4: MIN of UNSEEN is 4; UID MIN and MAX over 1:5000 are 7 and 3800.
    let messages = vec![
        (7, vec![Flag::Seen]),
        (8, vec![Flag::Seen]),
        (9, vec![Flag::Seen]),
        (3000, vec![]),
        (3800, vec![Flag::Deleted]),
    ];
    let mut session = Session::selected(tls_config(), store_with(1, 3801, messages));
    run_script(
        &mut session,
        r#"
        C: A284 SEARCH RETURN (MIN) UNSEEN
        S: * ESEARCH (TAG "A284") MIN 4
        S: A284 OK SEARCH completed
        C: A285 UID SEARCH RETURN (MIN MAX) 1:5000
        S: * ESEARCH (TAG "A285") UID MIN 7 MAX 3800
        S: A285 OK SEARCH completed
        C: A286 SEARCH RETURN (COUNT) DELETED
        S: * ESEARCH (TAG "A286") COUNT 1
        S: A286 OK SEARCH completed
        C: A287 SEARCH RETURN () FLAGGED
        S: * ESEARCH (TAG "A287")
        S: A287 OK SEARCH completed
        "#,
    );
}

/// The message of RFC 9051 §8, with a body of the size BODY reports: 3028 octets in 92
/// lines.
fn section8_message() -> Vec<u8> {
    let header = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
                  From: Terry Gray <gray@cac.washington.edu>\r\n\
                  Subject: IMAP4rev2 WG mtg summary and minutes\r\n\
                  To: imap@cac.washington.edu\r\n\
                  cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
                  Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
                  MIME-Version: 1.0\r\n\
                  Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
                  \r\n";
    let mut bytes = header.as_bytes().to_vec();
    for i in 0..92 {
        let width = if i < 84 { 31 } else { 30 };
        bytes.extend("x".repeat(width).as_bytes());
        bytes.extend(b"\r\n");
    }
    bytes
}

#[test]
fn rfc9051_8_sample_connection_fetch_and_store() {
    // RFC 9051 §8, from `a003 fetch 12 full`. Two corrections to the RFC's data: its
    // RFC822.SIZE 4286 does not fit its own header (342 octets, BODY[HEADER]) plus body
    // (3028 octets, BODY), which add up to 3370; and its envelope's message-id ends in
    // "washington.ed>" where the header says "washington.edu>". Addresses in a list are
    // written without a space between them (§9 `env-cc = "(" 1*address ")"`); the RFC's
    // line breaks are editorial. STORE lists flags sorted (\Deleted \Seen) and answers
    // "STORE completed" where §8 shows "(\Seen \Deleted)" and "+FLAGS completed".
    let mut messages: Vec<(u32, Vec<Flag>)> = (1..=18).map(|uid| (uid, vec![])).collect();
    if let Some(twelve) = messages.get_mut(11) {
        twelve.1 = vec![Flag::Seen];
    }
    let mut store = store_with(3857529045, 19, messages);
    if let Some(m) = store.inbox_mut("user").and_then(|inbox| inbox.messages.get_mut(11)) {
        m.bytes = section8_message();
    }
    let mut session = Session::selected(tls_config(), store);
    run_script(
        &mut session,
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
    );
}

#[test]
fn rfc9051_8_greeting_and_enable() {
    // RFC 9051 §8's `ENABLE IMAP4rev2` (this server's tagged text: "ENABLE completed"), and
    // §6.3.1: unknown capabilities are ignored, and ENABLED is sent even when empty.
    let mut server = ImapServer::new(rev1_tls_config());
    let greeting = String::from_utf8(server.poll_transmit().expect("a greeting")).expect("UTF-8");
    assert_eq!(
        greeting,
        "* OK [CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ IDLE ENABLE UIDPLUS UNSELECT ESEARCH] \
         imap.example.net IMAP4rev2 server ready\r\n"
    );
    let mut session = Session { server, store: simple_store(0) };
    session.line("a1 LOGIN user pw");
    run_script(&mut session, rfc9051::ENABLE);
    // RFC 3501 §6.3.1 wants `* n RECENT` from SELECT; an IMAP4rev2 client does not.
    assert!(!session.line("a3 SELECT INBOX").contains(&"* 0 RECENT".to_owned()));
    let mut rev1 = Session::new(rev1_tls_config(), simple_store(1));
    rev1.line("a1 LOGIN user pw");
    assert_eq!(rev1.line("a2 SELECT INBOX").get(1).map(String::as_str), Some("* 0 RECENT"));
}

// ---------------------------------------------------------------------------------------
// Folders: INBOX and a special-use \Junk folder (RFC 6154 §2)
// ---------------------------------------------------------------------------------------

/// `simple_store(2)`, and a Junk folder (UIDVALIDITY 5) holding one unread message, UID 1.
fn junk_store() -> MemoryMailstore {
    let mut store = simple_store(2);
    assert!(store.add_folder("user", "Junk", &[atom("Junk")], 5, 1));
    assert_eq!(store.deliver_to("user", &Mailbox::from("Junk"), &message(3), &[], date()), Some(1));
    store
}

fn junk() -> Mailbox {
    Mailbox::from("Junk")
}

#[test]
fn list_names_inbox_and_the_junk_folder_with_its_special_use() {
    // RFC 9051 §6.3.9 and §7.3.1, with the special-use attribute of RFC 6154 §2: INBOX
    // first, then Junk; `*` and `%` alike, the names being flat. INBOX matches in any case,
    // other names only as written (§5.1).
    let mut session = Session::new(tls_config(), junk_store());
    session.line("a0 LOGIN user pw");
    run_script(
        &mut session,
        r#"
        C: a1 LIST "" "*"
        S: * LIST (\HasNoChildren) "/" INBOX
        S: * LIST (\HasNoChildren \Junk) "/" Junk
        S: a1 OK LIST completed
        C: a2 LIST "" %
        S: * LIST (\HasNoChildren) "/" INBOX
        S: * LIST (\HasNoChildren \Junk) "/" Junk
        S: a2 OK LIST completed
        C: a3 LIST "" J%
        S: * LIST (\HasNoChildren \Junk) "/" Junk
        S: a3 OK LIST completed
        C: a4 LIST "" j*
        S: a4 OK LIST completed
        C: a5 LIST "" in%
        S: * LIST (\HasNoChildren) "/" INBOX
        S: a5 OK LIST completed
        C: a6 LIST "" ""
        S: * LIST (\Noselect) "/" ""
        S: a6 OK LIST completed
        "#,
    );
}

#[test]
fn status_counts_the_junk_folder_without_selecting_it() {
    // RFC 9051 §6.3.11: STATUS of any mailbox, here before and after a SELECT of INBOX;
    // an unknown name, or Junk in another case, is NO [NONEXISTENT] (§7.1, §5.1).
    let mut session = Session::new(tls_config(), junk_store());
    session.line("a0 LOGIN user pw");
    run_script(
        &mut session,
        r#"
        C: a1 STATUS Junk (MESSAGES UNSEEN)
        S: * STATUS Junk (MESSAGES 1 UNSEEN 1)
        S: a1 OK STATUS completed
        C: a2 STATUS Junk (UIDNEXT UIDVALIDITY SIZE)
        S: * STATUS Junk (UIDNEXT 2 UIDVALIDITY 5 SIZE 71)
        S: a2 OK STATUS completed
        C: a3 STATUS junk (MESSAGES)
        S: a3 NO [NONEXISTENT] Mailbox doesn't exist
        C: a4 STATUS Spam (MESSAGES)
        S: a4 NO [NONEXISTENT] Mailbox doesn't exist
        C: a5 SELECT JUNK
        S: a5 NO [NONEXISTENT] Mailbox doesn't exist
        C: a6 EXAMINE Junk/Old
        S: a6 NO [NONEXISTENT] Mailbox doesn't exist
        "#,
    );
    assert_eq!(*session.server.state(), ImapState::Authenticated { user: "user".into() });
    session.line("a7 SELECT INBOX");
    assert_eq!(
        session.line("a8 STATUS Junk (MESSAGES UNSEEN)"),
        ["* STATUS Junk (MESSAGES 1 UNSEEN 1)", "a8 OK STATUS completed"]
    );
    assert!(matches!(session.server.state(), ImapState::Selected { mailbox: Mailbox::Inbox, .. }));
}

#[test]
fn select_junk_then_store_and_expunge_there_leave_inbox_alone() {
    let mut session = Session::new(tls_config(), junk_store());
    session.line("a0 LOGIN user pw");
    session.events();
    run_script(
        &mut session,
        r#"
        C: a1 SELECT Junk
        S: * 1 EXISTS
        S: * OK [UIDVALIDITY 5] UIDs valid
        S: * OK [UIDNEXT 2] Predicted next UID
        S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
        S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] System flags and keywords allowed
        S: * LIST (\Junk) "/" Junk
        S: a1 OK [READ-WRITE] SELECT completed
        C: a2 FETCH 1 (UID FLAGS)
        S: * 1 FETCH (UID 1 FLAGS ())
        S: a2 OK FETCH completed
        C: a3 STORE 1 +FLAGS (\Seen)
        S: * 1 FETCH (FLAGS (\Seen))
        S: a3 OK STORE completed
        "#,
    );
    assert!(matches!(session.server.state(), ImapState::Selected { mailbox, .. } if *mailbox == junk()));
    let events = session.events();
    assert!(events.contains(&ImapEvent::Selected { mailbox: "Junk".into(), exists: 1, read_only: false }));
    assert!(events.contains(&ImapEvent::FlagsChanged { uid: 1, flags: vec![Flag::Seen] }));
    // The flag went to Junk's UID 1, not to INBOX's UID 1.
    assert_eq!(
        session.store.mailbox("user", &junk()).map(|m| m.messages[0].flags.clone()),
        Some(vec![Flag::Seen])
    );
    assert!(session.store.inbox("user").is_some_and(|i| i.messages.iter().all(|m| m.flags.is_empty())));
    // EXPUNGE empties Junk and leaves INBOX's two messages.
    session.line("a4 STORE 1 +FLAGS.SILENT (\\Deleted)");
    assert_eq!(session.line("a5 EXPUNGE"), ["* 1 EXPUNGE", "a5 OK EXPUNGE completed"]);
    assert_eq!(session.store.mailbox("user", &junk()).map(|m| m.messages.len()), Some(0));
    assert_eq!(session.store.inbox("user").map(|m| m.messages.len()), Some(2));
    assert_eq!(
        session.line("a6 STATUS INBOX (MESSAGES UNSEEN)"),
        ["* STATUS INBOX (MESSAGES 2 UNSEEN 2)", "a6 OK STATUS completed"]
    );
    // Mail for INBOX is no news to a session in Junk; mail for Junk is.
    session.line("a7 IDLE");
    session.store.deliver("user", &message(4), &[], date());
    session.server.poll_mailbox(&session.store);
    assert!(session.output().is_empty());
    session.store.deliver_to("user", &junk(), &message(5), &[], date());
    session.server.poll_mailbox(&session.store);
    assert_eq!(session.output(), ["* 1 EXISTS"]);
    session.line("DONE");
    // SELECT INBOX closes Junk (§7.1, CLOSED) and opens INBOX with its own numbers.
    let selected = session.line("a8 SELECT INBOX");
    assert_eq!(selected[0], "* OK [CLOSED] Previous mailbox is now closed");
    assert_eq!(selected[1], "* 3 EXISTS");
    assert!(selected.contains(&"* LIST () \"/\" INBOX".to_owned()), "{selected:?}");
}

#[test]
fn examine_junk_is_read_only() {
    let mut session = Session::new(tls_config(), junk_store());
    session.line("a0 LOGIN user pw");
    let examined = session.line("a1 EXAMINE Junk");
    assert_eq!(examined.last().map(String::as_str), Some("a1 OK [READ-ONLY] EXAMINE completed"));
    session.line("a2 FETCH 1 BODY[]");
    assert_eq!(session.line("a3 STORE 1 +FLAGS (\\Seen)"), ["a3 NO [READ-ONLY] Mailbox is read-only"]);
    assert!(session.store.mailbox("user", &junk()).is_some_and(|m| m.messages[0].flags.is_empty()));
}

#[test]
fn folders_are_flat_and_never_shadow_inbox() {
    let mut store = simple_store(0);
    assert!(!store.add_folder("nobody", "Junk", &[], 1, 1), "an unknown user");
    for name in ["INBOX", "inbox", "InBoX", "", "Junk/Old"] {
        assert!(!store.add_folder("user", name, &[], 1, 1), "{name:?}");
    }
    assert!(store.add_folder("user", "Junk", &[atom("Junk")], 1, 1));
    assert!(!store.add_folder("user", "Junk", &[], 1, 1), "twice");
    assert!(store.add_folder("user", "junk", &[], 1, 1), "another name: names are case-sensitive");
    let names: Vec<String> = store.mailboxes("user").iter().map(|m| m.name.to_string()).collect();
    assert_eq!(names, ["INBOX", "Junk", "junk"]);
    assert!(store.mailboxes("nobody").is_empty());
    assert_eq!(store.deliver_to("user", &Mailbox::from("Trash"), &message(1), &[], date()), None);
}

// ---------------------------------------------------------------------------------------
// Session suites
// ---------------------------------------------------------------------------------------

#[test]
fn commands_in_the_wrong_state() {
    let mut session = Session::new(tls_config(), simple_store(1));
    assert_eq!(session.line("a1 SELECT INBOX"), ["a1 BAD Not authenticated"]);
    assert_eq!(session.line("a2 FETCH 1 FLAGS"), ["a2 BAD Not authenticated"]);
    session.line("a3 LOGIN user pw");
    assert_eq!(session.line("a4 FETCH 1 FLAGS"), ["a4 BAD No mailbox selected"]);
    assert_eq!(session.line("a5 CLOSE"), ["a5 BAD No mailbox selected"]);
    assert_eq!(session.line("a5 CHECK"), ["a5 BAD No mailbox selected"]);
    assert_eq!(session.line("a6 LOGIN user pw"), ["a6 BAD Already authenticated"]);
    assert_eq!(session.line("a7 SELECT Drafts"), ["a7 NO [NONEXISTENT] Mailbox doesn't exist"]);
    assert_eq!(session.line("a8 FETCH 2 FLAGS").len(), 1);
    session.line("a9 SELECT INBOX");
    assert_eq!(session.line("b1 FETCH 2 FLAGS"), ["b1 BAD Invalid message sequence number"]);
    assert_eq!(session.line("b2 UID FETCH 2 FLAGS"), ["b2 OK UID FETCH completed"]);
    assert_eq!(session.line("b3 STARTTLS"), ["b3 BAD Already authenticated"]);
    let rejected =
        session.events().into_iter().filter(|e| matches!(e, ImapEvent::CommandRejected { .. })).count();
    assert_eq!(rejected, 9);
}

#[test]
fn select_while_selected_closes_the_previous_mailbox() {
    // RFC 9051 §6.3.2: "[CLOSED]" before the new mailbox's data.
    let mut session = Session::selected(tls_config(), simple_store(1));
    let lines = session.line("a1 SELECT INBOX");
    assert_eq!(lines.first().map(String::as_str), Some("* OK [CLOSED] Previous mailbox is now closed"));
    assert_eq!(lines.last().map(String::as_str), Some("a1 OK [READ-WRITE] SELECT completed"));
}

#[test]
fn failed_logins() {
    let mut session = Session::new(tls_config(), simple_store(0));
    assert_eq!(session.line("a1 LOGIN user wrong"), ["a1 NO [AUTHENTICATIONFAILED] Authentication failed"]);
    assert_eq!(
        session.line("a2 AUTHENTICATE PLAIN AHVzZXIAd3Jvbmc="),
        ["a2 NO [AUTHENTICATIONFAILED] Authentication failed"]
    );
    assert_eq!(session.line("a3 AUTHENTICATE CRAM-MD5"), ["a3 NO Unsupported authentication mechanism"]);
    assert_eq!(session.line("a4 AUTHENTICATE PLAIN"), ["+ "]);
    assert_eq!(session.line("*"), ["a4 BAD AUTHENTICATE cancelled"]);
    assert_eq!(session.line("a5 AUTHENTICATE PLAIN"), ["+ "]);
    assert_eq!(session.line("not base64!"), ["a5 BAD Invalid base64 in AUTHENTICATE response"]);
    assert_eq!(session.line("a6 AUTHENTICATE PLAIN =AAA"), ["a6 BAD Syntax error in AUTHENTICATE arguments"]);
    assert_eq!(session.server.state(), &ImapState::NotAuthenticated);
    let failed = session.events().into_iter().filter(|e| matches!(e, ImapEvent::LoginFailed { .. })).count();
    assert_eq!(failed, 2);
    // LOGINDISABLED: refused without checking the password (RFC 9051 §7.2.2).
    let mut session = Session::new(ImapServerConfig::new("imap"), simple_store(0));
    assert_eq!(
        session.line("a1 LOGIN user pw"),
        ["a1 NO [PRIVACYREQUIRED] LOGIN is disabled before STARTTLS"]
    );
    assert_eq!(session.server.state(), &ImapState::NotAuthenticated);
}

#[test]
fn syntax_errors_and_unknown_commands() {
    let mut session = Session::new(tls_config(), simple_store(0));
    assert_eq!(session.line("a1 FROB"), ["a1 BAD No such command as \"FROB\""]);
    assert_eq!(session.line("a2 LOGIN onlyuser"), ["a2 BAD Syntax error in LOGIN arguments"]);
    assert_eq!(session.line(""), ["* BAD Missing command tag"]);
    assert_eq!(session.line("+tag NOOP"), ["* BAD Missing command tag"]);
    assert_eq!(session.line("a3  NOOP"), ["* BAD Missing command tag"]);
    assert_eq!(session.line("a4 noop"), ["a4 OK NOOP completed"]);
}

#[test]
fn non_synchronizing_literals_need_no_continuation() {
    // RFC 7888 (LITERAL+): `{n+}` is sent without waiting for "+".
    let mut session = Session::new(tls_config(), simple_store(0));
    assert_eq!(
        session.send(b"A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n"),
        ["A001 OK LOGIN completed"]
    );
}

#[test]
fn pipelined_commands_in_one_write() {
    let mut session = Session::new(tls_config(), simple_store(2));
    let lines = session.send(b"a1 LOGIN user pw\r\na2 SELECT INBOX\r\na3 FETCH 1:* (UID)\r\na4 LOGOUT\r\n");
    assert_eq!(lines.first().map(String::as_str), Some("a1 OK LOGIN completed"));
    assert!(
        lines.contains(&"* 1 FETCH (UID 1)".to_owned()) && lines.contains(&"* 2 FETCH (UID 2)".to_owned())
    );
    assert_eq!(&lines[lines.len() - 2..], ["* BYE IMAP4rev2 Server logging out", "a4 OK LOGOUT completed"]);
    assert!(session.server.is_closed());
    // Nothing is read after LOGOUT.
    assert!(session.line("a5 NOOP").is_empty());
}

#[test]
fn a_session_fed_byte_by_byte_answers_as_one_fed_whole() {
    let script: &[u8] = b"a1 LOGIN {4}\r\nuser {2}\r\npw\r\na2 SELECT inbox\r\na3 FETCH 1 (FLAGS BODY[])\r\n\
                          a4 UID SEARCH UNSEEN\r\na5 IDLE\r\nDONE\r\na6 LOGOUT\r\n";
    let mut whole = Session::new(rev1_tls_config(), simple_store(2));
    let expected = whole.send(script);
    let mut split = Session::new(rev1_tls_config(), simple_store(2));
    let mut got = Vec::new();
    for byte in script {
        got.extend(split.send(std::slice::from_ref(byte)));
    }
    assert_eq!(got, expected);
    assert!(expected.contains(&"* 1 FETCH (FLAGS (\\Seen) BODY[] {71}".to_owned()), "{expected:?}");
    assert!(expected.contains(&"* SEARCH 2".to_owned()), "{expected:?}");
    assert_eq!(expected.iter().filter(|l| l.starts_with("+ Ready")).count(), 2);
}

#[test]
fn oversize_lines_and_literals_are_refused_without_buffering() {
    let mut session = Session::new(tls_config(), simple_store(0));
    // A line that never ends: refused once past 64 KiB, then skipped to its CRLF.
    let chunk = vec![b'x'; 16 * 1024];
    let mut lines = session.send(b"a1 LOGIN ");
    for _ in 0..8 {
        lines.extend(session.send(&chunk));
    }
    lines.extend(session.send(b" more\r\na2 NOOP\r\n"));
    assert_eq!(lines, ["a1 BAD [LIMIT] Command line too long", "a2 OK NOOP completed"]);
    // A synchronizing literal over the limit: BAD instead of "+" (RFC 9051 §7.6).
    assert_eq!(session.line("a3 LOGIN {999999}"), ["a3 BAD [LIMIT] Literal too large"]);
    // A non-synchronizing one is skipped octet by octet with the rest of its command.
    let mut lines = session.send(b"a4 LOGIN {70000+}\r\n");
    for _ in 0..7 {
        lines.extend(session.send(&[b'y'; 10_000]));
    }
    lines.extend(session.send(b" pw\r\na5 NOOP\r\n"));
    assert_eq!(lines, ["a4 BAD [LIMIT] Literal too large", "a5 OK NOOP completed"]);
    // A SASL response line has its own limit.
    session.line("a6 AUTHENTICATE PLAIN");
    assert_eq!(session.send(&[b'A'; 9000]), ["a6 BAD [LIMIT] Line too long"]);
}

/// What a caller's deadlines need: whether a command is under way (its line, a literal
/// awaited after `+`, or the rest of a refused one being skipped), and a BYE that ends the
/// session (RFC 9051 §7.1.5).
#[test]
fn a_command_under_way_is_reported_and_bye_ends_the_session() {
    let mut session = Session::new(tls_config(), simple_store(1));
    assert!(!session.server.has_partial_input());
    assert!(session.send(b"a1 NO").is_empty());
    assert!(session.server.has_partial_input());
    assert_eq!(session.send(b"OP\r\n"), ["a1 OK NOOP completed"]);
    assert!(!session.server.has_partial_input());
    assert_eq!(session.send(b"a2 LOGIN {4}\r\n"), ["+ Ready for additional command text"]);
    assert!(session.server.has_partial_input(), "the literal is still to come");
    assert_eq!(session.send(b"user pw\r\n"), ["a2 OK LOGIN completed"]);
    let mut skipped = b"a3 NOOP {70000+}\r\n".to_vec();
    skipped.extend(std::iter::repeat_n(b'x', 100));
    assert_eq!(session.send(&skipped), ["a3 BAD [LIMIT] Literal too large"]);
    assert!(session.server.has_partial_input(), "the rest of the literal is being skipped");
    session.events();
    session.server.bye("Autologout; idle for too long");
    assert_eq!(session.output(), ["* BYE Autologout; idle for too long"]);
    assert!(session.server.is_closed());
    assert_eq!(session.events(), [ImapEvent::Closed]);
    assert!(session.line("a4 NOOP").is_empty(), "nothing is read after BYE");
    session.server.bye("again");
    assert!(session.output().is_empty());
}

#[test]
fn idle_waits_for_done() {
    let mut session = Session::selected(tls_config(), simple_store(1));
    assert_eq!(session.line("a1 IDLE"), ["+ idling"]);
    assert!(session.server.is_idling());
    // Mail arrives twice; each is reported at once.
    session.store.deliver("user", &message(2), &[], date());
    session.server.poll_mailbox(&session.store);
    assert_eq!(session.output(), ["* 2 EXISTS"]);
    session.store.expunge("user", &Mailbox::Inbox, &[1]);
    session.server.poll_mailbox(&session.store);
    assert_eq!(session.output(), ["* 1 EXPUNGE"]);
    assert_eq!(session.line("done"), ["a1 OK IDLE terminated"]);
    assert!(!session.server.is_idling());
    assert_eq!(session.line("a2 IDLE"), ["+ idling"]);
    assert_eq!(session.line("a3 NOOP"), ["a2 BAD Expected DONE"]);
    assert_eq!(session.line("a4 FETCH 1 UID"), ["* 1 FETCH (UID 2)", "a4 OK FETCH completed"]);
}

#[test]
fn body_sets_seen_and_body_peek_does_not() {
    let mut session = Session::selected(tls_config(), simple_store(2));
    let lines = session.line("a1 FETCH 1 BODY.PEEK[]");
    assert_eq!(lines.first().map(String::as_str), Some("* 1 FETCH (BODY[] {71}"));
    assert!(session.store.inbox("user").is_some_and(|i| i.messages[0].flags.is_empty()));
    // BODY[] sets \Seen and reports the new flags in the same FETCH response (§6.4.5).
    let lines = session.line("a2 FETCH 1 BODY[TEXT]");
    assert_eq!(lines.first().map(String::as_str), Some("* 1 FETCH (BODY[TEXT] {9}"));
    assert_eq!(lines.get(2).map(String::as_str), Some(" FLAGS (\\Seen))"));
    assert!(session.store.inbox("user").is_some_and(|i| i.messages[0].flags == [Flag::Seen]));
    assert!(session.events().contains(&ImapEvent::FlagsChanged { uid: 1, flags: vec![Flag::Seen] }));
    // Once seen, no change: no FLAGS item unless asked.
    assert_eq!(
        session.line("a3 FETCH 1 BODY[HEADER.FIELDS (SUBJECT)]"),
        [
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {22}",
            "Subject: message 1",
            "",
            ")",
            "a3 OK FETCH completed",
        ]
    );
    // Partial fetches name their origin.
    assert_eq!(
        session.line("a4 FETCH 2 (FLAGS BODY.PEEK[]<6.4>)"),
        ["* 2 FETCH (FLAGS () BODY[]<6> {4}", "a@ex)", "a4 OK FETCH completed",]
    );
}

#[test]
fn examine_is_read_only() {
    let mut session = Session::new(tls_config(), simple_store(1));
    session.line("a1 LOGIN user pw");
    session.line("a2 EXAMINE INBOX");
    assert_eq!(session.line("a3 STORE 1 +FLAGS (\\Deleted)"), ["a3 NO [READ-ONLY] Mailbox is read-only"]);
    assert_eq!(session.line("a4 EXPUNGE"), ["a4 NO [READ-ONLY] Mailbox is read-only"]);
    // BODY[] on a read-only mailbox does not set \Seen.
    let lines = session.line("a5 FETCH 1 BODY[]");
    assert!(!lines.iter().any(|l| l.contains("FLAGS")), "{lines:?}");
    assert!(session.store.inbox("user").is_some_and(|i| i.messages[0].flags.is_empty()));
}

#[test]
fn store_silent_and_remove_and_close_expunges_quietly() {
    let mut session = Session::selected(rev1_tls_config(), simple_store(3));
    assert_eq!(session.line("a1 STORE 1:2 +FLAGS.SILENT (\\Deleted \\Seen)"), ["a1 OK STORE completed"]);
    assert_eq!(
        session.line("a2 UID STORE 2 -FLAGS \\Seen"),
        ["* 2 FETCH (FLAGS (\\Deleted) UID 2)", "a2 OK UID STORE completed"]
    );
    assert_eq!(
        session.line("a3 STORE 3 FLAGS ($Forwarded)"),
        ["* 3 FETCH (FLAGS ($Forwarded))", "a3 OK STORE completed"]
    );
    assert_eq!(session.line("a4 SEARCH DELETED"), ["* SEARCH 1 2", "a4 OK SEARCH completed"]);
    assert_eq!(session.line("a5 SEARCH KEYWORD $Forwarded"), ["* SEARCH 3", "a5 OK SEARCH completed"]);
    assert_eq!(session.line("a6 CLOSE"), ["a6 OK CLOSE completed"]);
    let uids: Vec<u32> = session.store.inbox("user").expect("inbox").messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, [3]);
    assert_eq!(session.server.state(), &ImapState::Authenticated { user: "user".into() });
}

#[test]
fn search_keys() {
    let mut session = Session::selected(
        rev1_tls_config(),
        store_with(1, 4, vec![(1, vec![Flag::Seen]), (2, vec![]), (3, vec![])]),
    );
    let mut ask = |criteria: &str| {
        let lines = session.line(&format!("s1 SEARCH {criteria}"));
        lines.first().cloned().unwrap_or_default()
    };
    assert_eq!(ask("ALL"), "* SEARCH 1 2 3");
    assert_eq!(ask("SEEN"), "* SEARCH 1");
    assert_eq!(ask("UNSEEN"), "* SEARCH 2 3");
    assert_eq!(ask("2:*"), "* SEARCH 2 3");
    assert_eq!(ask("UID 1,3"), "* SEARCH 1 3");
    assert_eq!(ask("NOT 1 OR 2 3"), "* SEARCH 2 3");
    assert_eq!(ask("SUBJECT \"message 2\""), "* SEARCH 2");
    assert_eq!(ask("(FROM example.org BODY \"body 3\")"), "* SEARCH 3");
    assert_eq!(ask("CHARSET UTF-8 TEXT {9+}\r\nmessage 1"), "* SEARCH 1");
    assert_eq!(ask("CHARSET KOI8-R ALL"), "s1 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset KOI8-R");
    assert_eq!(ask("SINCE 1-Feb-1994"), "s1 BAD Syntax error in SEARCH arguments");
    // After ENABLE IMAP4rev2: ESEARCH (RFC 9051 §6.4.4, §7.2.2).
    session.line("e1 ENABLE IMAP4rev2");
    assert_eq!(session.line("s2 UID SEARCH UNSEEN")[0], "* ESEARCH (TAG \"s2\") UID ALL 2:3");
}

#[test]
fn logout_in_every_state() {
    for setup in [&[][..], &["a LOGIN user pw"][..], &["a LOGIN user pw", "b SELECT INBOX"][..]] {
        let mut session = Session::new(tls_config(), simple_store(1));
        for line in setup {
            session.line(line);
        }
        assert_eq!(session.line("z LOGOUT"), ["* BYE IMAP4rev2 Server logging out", "z OK LOGOUT completed"]);
        assert!(session.server.is_closed());
        assert_eq!(session.server.state(), &ImapState::Logout);
    }
}

#[test]
fn starttls_discards_what_followed_it() {
    // RFC 9051 §6.2.1: octets after STARTTLS in the same buffer are thrown away.
    let mut session = Session::new(ImapServerConfig::new("imap"), simple_store(0));
    let lines = session.send(b"a1 STARTTLS\r\na2 LOGIN user pw\r\n");
    assert_eq!(lines, ["a1 OK Begin TLS negotiation now"]);
    let events = session.events();
    assert!(events.contains(&ImapEvent::PipelinedInputDiscarded { octets: 18 }));
    assert_eq!(session.line("a3 STARTTLS"), ["a3 BAD STARTTLS not available"]);
    assert_eq!(session.line("a4 LOGIN user pw"), ["a4 OK LOGIN completed"]);
}

// ---------------------------------------------------------------------------------------
// Envelope and body structure (RFC 9051 §7.5.2)
// ---------------------------------------------------------------------------------------

#[test]
fn envelope_of_groups_quotes_defaults_and_absent_fields() {
    let message = b"From: \"Doe, Jane\" <jane@example.org> (home)\r\n\
                    To: undisclosed-recipients:;\r\n\
                    Cc: Team: a@x.example, \"B\" <b@y.example>;, c@z.example\r\n\
                    Subject: \r\n\
                    \r\nbody\r\n";
    let envelope = wire::envelope_of(message);
    let jane = Address {
        name: Some("Doe, Jane".into()),
        adl: None,
        mailbox: Some("jane".into()),
        host: Some("example.org".into()),
    };
    assert_eq!(envelope.from, std::slice::from_ref(&jane));
    assert_eq!(envelope.sender, std::slice::from_ref(&jane));
    assert_eq!(envelope.reply_to, [jane]);
    let group = |name: &str| Address { mailbox: Some(name.into()), ..Address::default() };
    assert_eq!(envelope.to, [group("undisclosed-recipients"), Address::default()]);
    assert_eq!(envelope.cc.len(), 5);
    assert_eq!(envelope.cc[0], group("Team"));
    assert_eq!(envelope.cc[2].name.as_deref(), Some("B"));
    assert_eq!(envelope.cc[3], Address::default());
    assert_eq!(envelope.cc[4].host.as_deref(), Some("z.example"));
    // Present but empty is "", absent is NIL (§7.5.2).
    assert_eq!(envelope.subject.as_deref(), Some(""));
    assert_eq!((envelope.date, envelope.message_id, envelope.bcc), (None, None, vec![]));
}

#[test]
fn body_structure_of_multipart_and_parts() {
    let message = b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
                    preamble\r\n--b1\r\n\
                    Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n--b1\r\n\
                    Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n\
                    --b1--\r\nepilogue\r\n";
    let body = wire::body_structure_of(message);
    let response = Response::Data(Data::Fetch {
        seq: 1,
        items: vec![MessageData::BodyStructure { extensible: false, body }],
    });
    assert_eq!(
        String::from_utf8(response.to_bytes()).expect("UTF-8"),
        "* 1 FETCH (BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 0)\
         (\"APPLICATION\" \"OCTET-STREAM\" NIL NIL NIL \"BASE64\" 4) \"MIXED\"))\r\n"
    );
    assert_eq!(wire::section_of(message, &Section::Part(vec![2])).as_deref(), Some(&b"AAAA"[..]));
    assert_eq!(wire::section_of(message, &Section::Part(vec![3])), None);
    assert_eq!(
        wire::section_of(b"Subject: x\r\n\r\nhi", &Section::Part(vec![1])).as_deref(),
        Some(&b"hi"[..])
    );
}

// ---------------------------------------------------------------------------------------
// Known answers: commands and responses
// ---------------------------------------------------------------------------------------

fn command(text: &str) -> Command {
    match wire::parse_command(text.as_bytes()) {
        Ok(command) => command,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

#[test]
fn command_known_answers() {
    use CommandBody as C;
    let cases: Vec<(&str, CommandBody)> = vec![
        ("a CAPABILITY\r\n", C::Capability),
        (
            "a LOGIN \"fred\" \"f\\\"o\\\\o\"\r\n",
            C::Login { username: "fred".into(), password: "f\"o\\o".into() },
        ),
        (
            "a LOGIN {4}\r\nfr d {3+}\r\np\r\n\r\n",
            C::Login { username: "fr d".into(), password: "p\r\n".into() },
        ),
        (
            "a AUTHENTICATE PLAIN =\r\n",
            C::Authenticate { mechanism: atom("PLAIN"), initial_response: Some(vec![]) },
        ),
        ("a SELECT iNbOx\r\n", C::Select(Mailbox::Inbox)),
        ("a EXAMINE \"Other Box\"\r\n", C::Examine(Mailbox::Other("Other Box".into()))),
        ("a LIST \"\" *\r\n", C::List { reference: Mailbox::Other(String::new()), pattern: "*".into() }),
        (
            "a ENABLE IMAP4rev2 X-GOOD-IDEA\r\n",
            C::Enable(vec![Capability::Imap4Rev2, Capability::Other(atom("X-GOOD-IDEA"))]),
        ),
        (
            "a FETCH 2,4:7,9,12:* FAST\r\n",
            C::Fetch { uid: false, set: set("2,4:7,9,12:*"), items: FetchItems::Fast },
        ),
        (
            "a UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (DATE FROM)]<0.100>)\r\n",
            C::Fetch {
                uid: true,
                set: set("1:*"),
                items: FetchItems::Attributes {
                    attributes: vec![
                        FetchAttribute::Uid,
                        FetchAttribute::BodySection {
                            peek: true,
                            section: Section::HeaderFields {
                                not: false,
                                fields: vec!["DATE".into(), "FROM".into()],
                            },
                            partial: Some((0, 100)),
                        },
                    ],
                    parenthesized: true,
                },
            },
        ),
        (
            "a STORE 2:4 -FLAGS.SILENT \\Deleted $Junk\r\n",
            C::Store {
                uid: false,
                set: set("2:4"),
                kind: StoreKind::Remove,
                silent: true,
                flags: vec![Flag::Deleted, Flag::Keyword(atom("$Junk"))],
            },
        ),
        (
            "a UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 UNSEEN UID 1:5\r\n",
            C::Search {
                uid: true,
                returns: Some(vec![SearchReturnOption::Min, SearchReturnOption::Count]),
                charset: Some("UTF-8".into()),
                criteria: vec![SearchKey::Unseen, SearchKey::Uid(set("1:5"))],
            },
        ),
        ("a UID EXPUNGE 3000:3002\r\n", C::UidExpunge(set("3000:3002"))),
        ("a IDLE\r\n", C::Idle),
        ("a check\r\n", C::Check),
        (
            "a STATUS inbox (UIDNEXT MESSAGES)\r\n",
            C::Status {
                mailbox: Mailbox::Inbox,
                attributes: vec![StatusAttribute::UidNext, StatusAttribute::Messages],
            },
        ),
    ];
    for (text, body) in cases {
        assert_eq!(command(text).body, body, "{text:?}");
    }
    assert_eq!(
        wire::parse_command(b"A044 BLURDYBLOOP\r\n"),
        Err(CommandError::UnknownCommand { tag: tag("A044"), name: "BLURDYBLOOP".into() })
    );
    assert_eq!(
        wire::parse_command(b"a FETCH 0 FLAGS\r\n"),
        Err(CommandError::Syntax { tag: tag("a"), name: "FETCH".into() })
    );
    assert!(wire::parse_command(b"a LOGIN {3}\r\nu\0r p\r\n").is_err(), "NUL is not a CHAR8");
}

#[test]
fn sync_literals_cut_a_command_into_fragments() {
    let login = Command {
        tag: tag("A001"),
        body: CommandBody::Login { username: "FRED FOOBAR".into(), password: "fät man".into() },
    };
    // A quoted string cannot hold 8-bit octets: the password is a literal.
    let fragments = login.encode(LiteralMode::Sync);
    assert_eq!(
        fragments,
        [b"A001 LOGIN \"FRED FOOBAR\" {8}\r\n".to_vec(), "fät man\r\n".as_bytes().to_vec()]
    );
    assert_eq!(login.to_bytes(), "A001 LOGIN \"FRED FOOBAR\" {8+}\r\nfät man\r\n".as_bytes());
    assert_eq!(wire::parse_command(&fragments.concat()), Ok(login));
}

#[test]
fn response_known_answers() {
    let cases: Vec<(&str, Response)> = vec![
        ("+ idling\r\n", Response::Continue("idling".into())),
        ("+ \r\n", Response::Continue(String::new())),
        ("* OK [UIDVALIDITY 1]\r\n", Response::untagged(Status::Ok, Some(Code::UidValidity(1)), "")),
        (
            "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
            Response::untagged(
                Status::Ok,
                Some(Code::PermanentFlags(vec![
                    FlagPerm::Flag(Flag::Deleted),
                    FlagPerm::Flag(Flag::Seen),
                    FlagPerm::Asterisk,
                ])),
                "Limited",
            ),
        ),
        (
            "a1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n",
            Response::tagged(
                &tag("a1"),
                Status::No,
                Some(Code::AuthenticationFailed),
                "Authentication failed",
            ),
        ),
        (
            "* BYE Autologout; idle for too long\r\n",
            Response::untagged(Status::Bye, None, "Autologout; idle for too long"),
        ),
        (
            "* PREAUTH IMAP4rev2 server logged in as Smith\r\n",
            Response::untagged(Status::PreAuth, None, "IMAP4rev2 server logged in as Smith"),
        ),
        ("* 23 EXISTS\r\n", Response::Data(Data::Exists(23))),
        ("* 3 EXPUNGE\r\n", Response::Data(Data::Expunge(3))),
        ("* SEARCH 2 3 6\r\n", Response::Data(Data::Search(vec![2, 3, 6]))),
        (
            "* ESEARCH (TAG \"a567\") UID COUNT 17 ALL 4:18,21,28\r\n",
            Response::Data(Data::ESearch {
                tag: Some(tag("a567")),
                uid: true,
                data: vec![SearchReturnData::Count(17), SearchReturnData::All(set("4:18,21,28"))],
            }),
        ),
        (
            "* ENABLED CONDSTORE QRESYNC\r\n",
            Response::Data(Data::Enabled(vec![
                Capability::Other(atom("CONDSTORE")),
                Capability::Other(atom("QRESYNC")),
            ])),
        ),
        (
            "* CAPABILITY STARTTLS AUTH=GSSAPI IMAP4rev2 LOGINDISABLED XPIG-LATIN\r\n",
            Response::Data(Data::Capability(vec![
                Capability::StartTls,
                Capability::Auth(atom("GSSAPI")),
                Capability::Imap4Rev2,
                Capability::LoginDisabled,
                Capability::Other(atom("XPIG-LATIN")),
            ])),
        ),
        (
            "* LIST (\\Noselect) \"/\" \"\"\r\n",
            Response::Data(Data::List {
                attributes: vec![atom("Noselect")],
                delimiter: Some('/'),
                mailbox: Mailbox::Other(String::new()),
            }),
        ),
        (
            "* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827 UID 447)\r\n",
            Response::Data(Data::Fetch {
                seq: 23,
                items: vec![
                    MessageData::Flags(vec![Flag::Seen]),
                    MessageData::Rfc822Size(44827),
                    MessageData::Uid(447),
                ],
            }),
        ),
        (
            "* 12 FETCH (BODY[HEADER] {5}\r\nA: b\n)\r\n",
            Response::Data(Data::Fetch {
                seq: 12,
                items: vec![MessageData::BodySection {
                    section: Section::Header,
                    origin: None,
                    data: Some(b"A: b\n".to_vec()),
                }],
            }),
        ),
    ];
    for (text, response) in cases {
        assert_eq!(
            wire::response(text.as_bytes()).map(|(rest, r)| (rest.len(), r)),
            Ok((0, response.clone())),
            "{text:?}"
        );
        assert_eq!(String::from_utf8_lossy(&response.to_bytes()), text, "{text:?}");
    }
}

#[test]
fn truncated_commands_and_responses_are_incomplete() {
    let commands = [
        "a1 LOGIN {11}\r\nFRED FOOBAR \"fat man\"\r\n",
        "a2 UID FETCH 1:*,7 (FLAGS BODY.PEEK[HEADER.FIELDS.NOT (Received)]<0.9> ENVELOPE)\r\n",
        "a3 SEARCH RETURN (MIN) OR (UNSEEN FROM \"x\") NOT UID 5:* LARGER 10\r\n",
        "a4 STORE 1 +FLAGS.SILENT (\\Seen $Forwarded)\r\n",
        "a5 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
        "a6 ENABLE IMAP4rev2\r\n",
    ];
    for text in commands {
        assert!(wire::command(text.as_bytes()).is_ok(), "{text:?}");
        for end in 0..text.len() {
            let prefix = &text.as_bytes()[..end];
            assert!(
                matches!(wire::command(prefix), Err(nom::Err::Incomplete(_))),
                "{:?}",
                String::from_utf8_lossy(prefix)
            );
        }
    }
    let responses = [
        "* 12 FETCH (FLAGS (\\Seen) BODY[] {3}\r\nabc ENVELOPE (NIL \"s\" ((\"N\" NIL \"m\" \"h\")) NIL NIL NIL NIL NIL NIL NIL))\r\n",
        "* OK [PERMANENTFLAGS (\\Deleted \\*)] Limited\r\n",
        "* ESEARCH (TAG \"a\") UID MIN 7 ALL 1:3\r\n",
        "a1 OK [READ-WRITE] SELECT completed\r\n",
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\n",
        "+ Ready\r\n",
    ];
    for text in responses {
        assert!(wire::response(text.as_bytes()).is_ok(), "{text:?}");
        for end in 0..text.len() {
            let prefix = &text.as_bytes()[..end];
            assert!(
                matches!(wire::response(prefix), Err(nom::Err::Incomplete(_))),
                "{:?}",
                String::from_utf8_lossy(prefix)
            );
        }
    }
}

#[test]
fn framer_cuts_commands_and_asks_for_continuations() {
    let mut framer = Framer::new(FramerRole::Server, 1000);
    let mut buffer = b"a LOGIN {3}\r\n".to_vec();
    assert_eq!(framer.next(&buffer), Frame::LiteralAwaited { len: 13, literal: 3 });
    assert_eq!(framer.next(&buffer), Frame::Incomplete);
    buffer.extend(b"bob {2+}\r\npw\r\nb NOOP\r\n");
    assert_eq!(framer.next(&buffer), Frame::Complete(27));
    buffer.drain(..27);
    assert_eq!(framer.next(&buffer), Frame::Complete(8));
    // A client's framer never waits for "+": a server's literal is sent at once.
    let mut framer = Framer::new(FramerRole::Client, 1000);
    assert_eq!(framer.next(b"* 1 FETCH (BODY[] {2}\r\nab)\r\n"), Frame::Complete(28));
    assert_eq!(wire::trailing_literal(b"x {12+}"), Some((12, true)));
    assert_eq!(wire::trailing_literal(b"x {}"), None);
}

#[test]
fn values_are_validated() {
    assert!(Tag::try_from("A+1").is_err() && Tag::try_from("").is_err() && Tag::try_from("a*").is_err());
    assert!(Atom::try_from("a b").is_err() && Atom::try_from("x]").is_err());
    assert!(DateTime::try_from(" 1-Jan-2000 00:00:00 +0000").is_ok());
    assert!(DateTime::try_from("1-Jan-2000 00:00:00 +0000").is_err());
    assert!(DateTime::try_from("01-Foo-2000 00:00:00 +0000").is_err());
    assert_eq!(Mailbox::from("InBoX"), Mailbox::Inbox);
    assert_eq!(SequenceSet::from_numbers(&[9, 1, 2, 3, 7, 8]).map(|s| s.to_string()), Some("1:3,7:9".into()));
    assert!(set("*:4,5:7").contains(10, 10) && !set("*:4").contains(3, 10));
    assert_eq!(
        SequenceSet::new(vec![Sequence::Range(SeqNumber::Value(4), SeqNumber::Largest)])
            .map(|s| s.to_string()),
        Some("4:*".into())
    );
}

// ---------------------------------------------------------------------------------------
// Client against server
// ---------------------------------------------------------------------------------------

fn converse(client: &mut ImapClient, server: &mut ImapServer, store: &mut MemoryMailstore) -> Vec<String> {
    let mut transcript = Vec::new();
    for _ in 0..100 {
        while let Some(bytes) = server.poll_transmit() {
            transcript.extend(lines(&bytes).into_iter().take(1).map(|l| format!("S: {l}")));
            client.handle_input(&bytes);
        }
        while let Some(bytes) = client.poll_transmit() {
            transcript.extend(lines(&bytes).into_iter().map(|l| format!("C: {l}")));
            server.handle_input(&bytes, store);
        }
        if client.is_done() && server.poll_transmit().is_none() {
            break;
        }
    }
    transcript
}

fn client_store() -> MemoryMailstore {
    let mut store = MemoryMailstore::new();
    store.add_user("bob", "pässwörd \"1\"", 7, 100);
    store.deliver("bob", b"Subject: one\r\nFrom: Ann <ann@example.org>\r\n\r\n.dot\r\n", &[], date());
    store.deliver("bob", "Subject: zwei\r\n\r\nGrüße\r\n".as_bytes(), &[Flag::Flagged], date());
    store.deliver("bob", b"Subject: three\r\n\r\n{5}\r\n* 3 EXPUNGE\r\nA003 OK\r\n", &[], date());
    store
}

#[test]
fn client_fetches_every_message_from_the_server() {
    for (auth, extensions) in [
        (ClientAuth::Plain, ImapServerConfig::new("x").extensions),
        (ClientAuth::Plain, vec![]),
        (ClientAuth::Login, ImapServerConfig::new("x").extensions),
        (ClientAuth::Login, vec![]),
    ] {
        let mut store = client_store();
        let stored: Vec<Vec<u8>> =
            store.inbox("bob").expect("inbox").messages.iter().map(|m| m.bytes.clone()).collect();
        let mut server = ImapServer::new(ImapServerConfig { extensions: extensions.clone(), ..tls_config() });
        let config =
            ImapClientConfig {
                user: "bob".into(), password: "pässwörd \"1\"".into(), auth, mark_seen: true
            };
        let mut client = ImapClient::new(config);
        let transcript = converse(&mut client, &mut server, &mut store);
        assert!(client.is_done() && server.is_closed(), "{auth:?} {extensions:?}: {transcript:#?}");
        assert_eq!(client.error, None, "{transcript:#?}");
        let fetched = client.fetched();
        let bodies: Vec<Vec<u8>> = fetched.iter().filter_map(|m| m.body.clone()).collect();
        assert_eq!(bodies, stored);
        assert_eq!(fetched.iter().map(|m| m.uid).collect::<Vec<_>>(), [Some(100), Some(101), Some(102)]);
        assert_eq!(fetched[1].flags, [Flag::Flagged], "BODY.PEEK[] leaves flags alone");
        assert_eq!(fetched[0].envelope.as_ref().and_then(|e| e.subject.clone()).as_deref(), Some("one"));
        assert_eq!(fetched[2].size, Some(stored[2].len() as u64));
        // mark_seen stored \Seen on every message afterwards.
        assert!(store.inbox("bob").expect("inbox").messages.iter().all(|m| m.flags.contains(&Flag::Seen)));
        assert!(transcript.last().is_some_and(|l| l.ends_with("OK LOGOUT completed")), "{transcript:#?}");
    }
}

#[test]
fn client_lists_the_folders_and_counts_junk_before_it_reads_inbox() {
    let mut store = client_store();
    assert!(store.add_folder("bob", "Junk", &[atom("Junk")], 7, 1));
    store.deliver_to("bob", &Mailbox::from("Junk"), b"Subject: spam?\r\n\r\nx\r\n", &[], date());
    store.deliver_to("bob", &Mailbox::from("Junk"), b"Subject: spam!\r\n\r\ny\r\n", &[Flag::Seen], date());
    let mut server = ImapServer::new(tls_config());
    let config = ImapClientConfig {
        user: "bob".into(),
        password: "pässwörd \"1\"".into(),
        auth: ClientAuth::Plain,
        mark_seen: false,
    };
    let mut client = ImapClient::new(config);
    let transcript = converse(&mut client, &mut server, &mut store);
    assert_eq!(client.error, None, "{transcript:#?}");
    let commands: Vec<&str> =
        transcript.iter().filter_map(|l| l.strip_prefix("C: ")).filter(|l| !l.starts_with('{')).collect();
    assert_eq!(
        commands[1..5],
        [
            "A002 LIST \"\" *",
            "A003 STATUS Junk (MESSAGES UNSEEN)",
            "A004 SELECT INBOX",
            "A005 FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])"
        ],
        "{transcript:#?}"
    );
    let listed = client.mailboxes();
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[0].name.clone(), listed[0].status.clone()), (Mailbox::Inbox, vec![]));
    assert_eq!(listed[1].name, Mailbox::from("Junk"));
    assert_eq!(listed[1].attributes, [atom("HasNoChildren"), atom("Junk")]);
    assert_eq!(listed[1].status, [(StatusAttribute::Messages, 2), (StatusAttribute::Unseen, 1)]);
    // The client read INBOX only: Junk's flags are as they were.
    assert_eq!(client.fetched().len(), 3);
    let junk = store.mailbox("bob", &Mailbox::from("Junk")).expect("Junk");
    assert_eq!(junk.messages.iter().map(|m| m.flags.clone()).collect::<Vec<_>>(), [vec![], vec![Flag::Seen]]);
}

#[test]
fn client_without_folders_lists_and_asks_no_status() {
    let mut store = client_store();
    let mut server = ImapServer::new(tls_config());
    let config = ImapClientConfig {
        user: "bob".into(),
        password: "pässwörd \"1\"".into(),
        auth: ClientAuth::Login,
        mark_seen: false,
    };
    let mut client = ImapClient::new(config);
    let transcript = converse(&mut client, &mut server, &mut store);
    assert!(client.is_done() && client.error.is_none(), "{transcript:#?}");
    assert!(transcript.iter().any(|l| l == "C: A002 LIST \"\" *"), "{transcript:#?}");
    assert!(!transcript.iter().any(|l| l.contains("STATUS")), "{transcript:#?}");
    assert!(transcript.iter().any(|l| l == "C: A003 SELECT INBOX"), "{transcript:#?}");
}

#[test]
fn client_reports_a_wrong_password_and_logs_out() {
    let mut store = client_store();
    let mut server = ImapServer::new(tls_config());
    let config = ImapClientConfig {
        user: "bob".into(),
        password: "nope".into(),
        auth: ClientAuth::Plain,
        mark_seen: false,
    };
    let mut client = ImapClient::new(config);
    converse(&mut client, &mut server, &mut store);
    assert!(client.is_done() && server.is_closed());
    assert_eq!(client.error.as_deref(), Some("A001 NO: Authentication failed"));
    // And refuses LOGIN when the server advertises LOGINDISABLED (RFC 9051 §6.2.3).
    let mut server = ImapServer::new(ImapServerConfig::new("imap"));
    let config = ImapClientConfig {
        user: "bob".into(),
        password: "x".into(),
        auth: ClientAuth::Login,
        mark_seen: false,
    };
    let mut client = ImapClient::new(config);
    converse(&mut client, &mut server, &mut store);
    assert!(client.is_done() && client.error.as_deref().is_some_and(|e| e.contains("LOGINDISABLED")));
}

#[test]
fn client_reads_an_empty_inbox() {
    let mut store = MemoryMailstore::new();
    store.add_user("bob", "pw", 1, 1);
    let mut server = ImapServer::new(tls_config());
    let config = ImapClientConfig {
        user: "bob".into(),
        password: "pw".into(),
        auth: ClientAuth::Login,
        mark_seen: true,
    };
    let mut client = ImapClient::new(config);
    let transcript = converse(&mut client, &mut server, &mut store);
    assert!(client.is_done() && client.fetched().is_empty() && client.error.is_none(), "{transcript:#?}");
}

// ---------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------

fn arb_atom() -> impl Strategy<Value = Atom> {
    "[A-Za-z0-9$._-]{1,8}".prop_map(|s| atom(&format!("X{s}")))
}

fn arb_text() -> impl Strategy<Value = String> {
    // Any text a quoted string or a literal can hold: ASCII, UTF-8, CR and LF.
    prop_oneof![Just(String::new()), "[ -~]{0,12}", "[a-zé\"\\\\ ]{0,8}", "[a\r\n]{1,4}"]
}

fn arb_tag() -> impl Strategy<Value = Tag> {
    "[A-Za-z0-9.]{1,6}".prop_map(|s| tag(&s))
}

fn arb_flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Deleted),
        Just(Flag::Draft),
        Just(Flag::Flagged),
        Just(Flag::Seen),
        Just(Flag::Extension(atom("Recent"))),
        arb_atom().prop_map(Flag::Keyword),
    ]
}

fn arb_set() -> impl Strategy<Value = SequenceSet> {
    let number = prop_oneof![Just(SeqNumber::Largest), (1u32..5000).prop_map(SeqNumber::Value)];
    let element = prop_oneof![
        number.clone().prop_map(Sequence::Single),
        (number.clone(), number).prop_map(|(a, b)| Sequence::Range(a, b)),
    ];
    prop::collection::vec(element, 1..4).prop_filter_map("non-empty", SequenceSet::new)
}

fn arb_mailbox() -> impl Strategy<Value = Mailbox> {
    prop_oneof![Just(Mailbox::Inbox), arb_text().prop_map(|t| Mailbox::from(t.as_str()))]
}

fn arb_search_key() -> impl Strategy<Value = SearchKey> {
    let leaf = prop_oneof![
        Just(SearchKey::All),
        Just(SearchKey::Seen),
        Just(SearchKey::Unseen),
        Just(SearchKey::Deleted),
        Just(SearchKey::Undraft),
        arb_atom().prop_map(SearchKey::Keyword),
        any::<u32>().prop_map(|n| SearchKey::Larger(n.into())),
        arb_text().prop_map(SearchKey::Subject),
        (arb_text(), arb_text()).prop_map(|(n, v)| SearchKey::Header(n, v)),
        arb_set().prop_map(SearchKey::Uid),
        arb_set().prop_map(SearchKey::SequenceSet),
    ];
    leaf.prop_recursive(3, 8, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| SearchKey::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| SearchKey::Or(Box::new(a), Box::new(b))),
            prop::collection::vec(inner, 1..3).prop_map(SearchKey::And),
        ]
    })
}

fn arb_fetch_attribute() -> impl Strategy<Value = FetchAttribute> {
    let section = prop_oneof![
        Just(Section::Full),
        Just(Section::Header),
        Just(Section::Text),
        (any::<bool>(), prop::collection::vec("[A-Za-z-]{1,8}", 1..3))
            .prop_map(|(not, fields)| Section::HeaderFields { not, fields }),
        prop::collection::vec(1u32..9, 1..3).prop_map(Section::Part),
    ];
    prop_oneof![
        Just(FetchAttribute::Envelope),
        Just(FetchAttribute::Flags),
        Just(FetchAttribute::InternalDate),
        Just(FetchAttribute::Rfc822Size),
        Just(FetchAttribute::Uid),
        Just(FetchAttribute::Body),
        Just(FetchAttribute::BodyStructure),
        (any::<bool>(), section, prop::option::of((0u32..100, 1u32..100)))
            .prop_map(|(peek, section, partial)| FetchAttribute::BodySection { peek, section, partial }),
    ]
}

fn arb_status_attribute() -> impl Strategy<Value = StatusAttribute> {
    prop::sample::select(vec![
        StatusAttribute::Messages,
        StatusAttribute::UidNext,
        StatusAttribute::UidValidity,
        StatusAttribute::Unseen,
        StatusAttribute::Deleted,
        StatusAttribute::Size,
    ])
}

fn arb_command() -> impl Strategy<Value = Command> {
    use CommandBody as C;
    let body = prop_oneof![
        Just(C::Capability),
        Just(C::Noop),
        Just(C::Logout),
        Just(C::StartTls),
        Just(C::Idle),
        Just(C::Close),
        Just(C::Unselect),
        Just(C::Expunge),
        (arb_atom(), prop::option::of(prop::collection::vec(any::<u8>(), 0..12)))
            .prop_map(|(mechanism, initial_response)| C::Authenticate { mechanism, initial_response }),
        (arb_text(), arb_text()).prop_map(|(username, password)| C::Login { username, password }),
        prop::collection::vec(
            arb_atom().prop_map(|a| Capability::from_name(a.as_str()).expect("a name")),
            1..3
        )
        .prop_map(C::Enable),
        arb_mailbox().prop_map(C::Select),
        arb_mailbox().prop_map(C::Examine),
        (arb_mailbox(), arb_text()).prop_map(|(reference, pattern)| C::List { reference, pattern }),
        arb_set().prop_map(C::UidExpunge),
        Just(C::Check),
        (arb_mailbox(), prop::collection::vec(arb_status_attribute(), 1..4))
            .prop_map(|(mailbox, attributes)| C::Status { mailbox, attributes }),
        (
            any::<bool>(),
            prop::option::of(prop::collection::vec(
                prop_oneof![
                    Just(SearchReturnOption::Min),
                    Just(SearchReturnOption::Max),
                    Just(SearchReturnOption::All),
                    Just(SearchReturnOption::Count)
                ],
                0..3
            )),
            prop::option::of(Just("UTF-8".to_owned())),
            prop::collection::vec(arb_search_key(), 1..3)
        )
            .prop_map(|(uid, returns, charset, criteria)| C::Search {
                uid,
                returns,
                charset,
                criteria
            }),
        (any::<bool>(), arb_set(), prop::collection::vec(arb_fetch_attribute(), 1..4), any::<bool>())
            .prop_map(|(uid, set, attributes, bare)| {
                let items = match attributes.len() {
                    1 if bare => FetchItems::Attributes { attributes, parenthesized: false },
                    _ => FetchItems::Attributes { attributes, parenthesized: true },
                };
                C::Fetch { uid, set, items }
            }),
        (
            any::<bool>(),
            arb_set(),
            prop::sample::select(vec![FetchItems::All, FetchItems::Fast, FetchItems::Full])
        )
            .prop_map(|(uid, set, items)| C::Fetch { uid, set, items }),
        (
            any::<bool>(),
            arb_set(),
            prop::sample::select(vec![StoreKind::Replace, StoreKind::Add, StoreKind::Remove]),
            any::<bool>(),
            prop::collection::vec(arb_flag(), 0..4)
        )
            .prop_map(|(uid, set, kind, silent, flags)| C::Store { uid, set, kind, silent, flags }),
    ];
    (arb_tag(), body).prop_map(|(tag, body)| Command { tag, body })
}

fn arb_opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(arb_text())
}

fn arb_address() -> impl Strategy<Value = Address> {
    (arb_opt_text(), arb_opt_text(), arb_opt_text(), arb_opt_text())
        .prop_map(|(name, adl, mailbox, host)| Address { name, adl, mailbox, host })
}

fn arb_envelope() -> impl Strategy<Value = Envelope> {
    let list = || prop::collection::vec(arb_address(), 0..3);
    (
        (arb_opt_text(), arb_opt_text(), list(), list(), list()),
        (list(), list(), list(), arb_opt_text(), arb_opt_text()),
    )
        .prop_map(|((date, subject, from, sender, reply_to), (to, cc, bcc, in_reply_to, message_id))| {
            Envelope { date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id }
        })
}

fn arb_body() -> impl Strategy<Value = BodyStructure> {
    let leaf = (
        prop::sample::select(vec![("TEXT", "PLAIN"), ("APPLICATION", "PDF"), ("IMAGE", "PNG")]),
        prop::collection::vec((arb_text(), arb_text()), 0..2),
        arb_opt_text(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|((media_type, subtype), params, id, octets, lines)| BodyStructure::Single {
            lines: (media_type == "TEXT").then_some(lines.into()),
            media_type: media_type.into(),
            subtype: subtype.into(),
            params,
            id,
            description: None,
            encoding: "7BIT".into(),
            octets,
            message: None,
        });
    leaf.prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 1..3), "[A-Z]{1,8}")
                .prop_map(|(parts, subtype)| BodyStructure::Multipart { parts, subtype }),
            (arb_envelope(), inner, any::<u32>()).prop_map(|(envelope, body, lines)| BodyStructure::Single {
                media_type: "MESSAGE".into(),
                subtype: "RFC822".into(),
                params: vec![],
                id: None,
                description: Some("forwarded".into()),
                encoding: "8BIT".into(),
                octets: 10,
                message: Some(Box::new((envelope, body))),
                lines: Some(lines.into()),
            }),
        ]
    })
}

fn arb_message_data() -> impl Strategy<Value = MessageData> {
    prop_oneof![
        prop::collection::vec(arb_flag(), 0..3).prop_map(MessageData::Flags),
        (1u32..).prop_map(MessageData::Uid),
        (0u64..=i64::MAX as u64).prop_map(MessageData::Rfc822Size),
        Just(MessageData::InternalDate(date())),
        arb_envelope().prop_map(|e| MessageData::Envelope(Box::new(e))),
        (any::<bool>(), arb_body())
            .prop_map(|(extensible, body)| MessageData::BodyStructure { extensible, body }),
        (
            prop_oneof![Just(Section::Full), Just(Section::Header), Just(Section::Part(vec![1, 2]))],
            prop::option::of(any::<u32>()),
            prop::option::of(prop::collection::vec(1u8.., 0..20))
        )
            .prop_map(|(section, origin, data)| MessageData::BodySection { section, origin, data }),
    ]
}

fn arb_code() -> impl Strategy<Value = Code> {
    prop_oneof![
        Just(Code::Alert),
        Just(Code::ReadOnly),
        Just(Code::ReadWrite),
        Just(Code::Closed),
        Just(Code::Limit),
        Just(Code::NonExistent),
        (1u32..).prop_map(Code::UidNext),
        (1u32..).prop_map(Code::UidValidity),
        prop::collection::vec("[A-Z0-9-]{1,8}", 0..3).prop_map(Code::BadCharset),
        prop::collection::vec(
            arb_atom().prop_map(|a| Capability::from_name(a.as_str()).expect("a name")),
            1..3
        )
        .prop_map(Code::Capability),
        prop::collection::vec(
            prop_oneof![arb_flag().prop_map(FlagPerm::Flag), Just(FlagPerm::Asterisk)],
            0..3
        )
        .prop_map(Code::PermanentFlags),
        (arb_atom(), prop::option::of("[a-z0-9 ]{0,6}x")).prop_map(|(a, t)| Code::Other(a, t)),
    ]
}

fn arb_response() -> impl Strategy<Value = Response> {
    let text = "([a-zA-Z0-9 .,;:()-][ -~]{0,20})?";
    prop_oneof![
        text.prop_map(Response::Continue),
        (
            prop::option::of(arb_tag()),
            prop::sample::select(vec![Status::Ok, Status::No, Status::Bad, Status::PreAuth, Status::Bye]),
            prop::option::of(arb_code()),
            text
        )
            .prop_map(|(tag, status, code, text)| {
                // PREAUTH and BYE are untagged only (§7.1.4, §7.1.5).
                let tag = tag.filter(|_| matches!(status, Status::Ok | Status::No | Status::Bad));
                Response::Status { tag, status, code, text }
            }),
        prop::collection::vec(
            arb_atom().prop_map(|a| Capability::from_name(a.as_str()).expect("a name")),
            1..3
        )
        .prop_map(|c| Response::Data(Data::Capability(c))),
        prop::collection::vec(
            arb_atom().prop_map(|a| Capability::from_name(a.as_str()).expect("a name")),
            0..3
        )
        .prop_map(|c| Response::Data(Data::Enabled(c))),
        (
            prop::collection::vec(arb_atom(), 0..3),
            prop::option::of(prop::sample::select(vec!['/', '.', '"', '\\'])),
            arb_mailbox()
        )
            .prop_map(|(attributes, delimiter, mailbox)| Response::Data(Data::List {
                attributes,
                delimiter,
                mailbox
            })),
        prop::collection::vec(arb_flag(), 0..4).prop_map(|f| Response::Data(Data::Flags(f))),
        any::<u32>().prop_map(|n| Response::Data(Data::Exists(n))),
        (arb_mailbox(), prop::collection::vec((arb_status_attribute(), 0u64..=i64::MAX as u64), 0..3))
            .prop_map(|(mailbox, items)| Response::Data(Data::Status { mailbox, items })),
        any::<u32>().prop_map(|n| Response::Data(Data::Expunge(n))),
        prop::collection::vec(1u32.., 0..4).prop_map(|n| Response::Data(Data::Search(n))),
        (
            prop::option::of(arb_tag()),
            any::<bool>(),
            prop::collection::vec(
                prop_oneof![
                    (1u32..).prop_map(SearchReturnData::Min),
                    (1u32..).prop_map(SearchReturnData::Max),
                    any::<u32>().prop_map(SearchReturnData::Count),
                    arb_set().prop_map(SearchReturnData::All),
                ],
                0..3
            )
        )
            .prop_map(|(tag, uid, data)| Response::Data(Data::ESearch { tag, uid, data })),
        (any::<u32>(), prop::collection::vec(arb_message_data(), 1..4))
            .prop_map(|(seq, items)| Response::Data(Data::Fetch { seq, items })),
    ]
}

/// Octets that look like IMAP: tokens, literals, CRLFs, and noise.
fn arb_imap_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"a1 LOGIN user pw\r\n".to_vec()),
        Just(b"a2 SELECT INBOX\r\n".to_vec()),
        Just(b"a3 EXAMINE inbox\r\n".to_vec()),
        Just(b"a AUTHENTICATE PLAIN\r\n".to_vec()),
        Just(b"AHVzZXIAcHc=\r\n".to_vec()),
        Just(b"t IDLE\r\n".to_vec()),
        Just(b"DONE\r\n".to_vec()),
        Just(b"f FETCH ".to_vec()),
        Just(b"UID ".to_vec()),
        Just(b"STORE ".to_vec()),
        Just(b"SEARCH ".to_vec()),
        Just(b"1:*".to_vec()),
        Just(b"* ".to_vec()),
        Just(b"(FLAGS BODY[] BODY.PEEK[HEADER] ENVELOPE BODYSTRUCTURE)".to_vec()),
        Just(b"+FLAGS (\\Deleted)".to_vec()),
        Just(b"OR NOT (".to_vec()),
        Just(b"{5}\r\n".to_vec()),
        Just(b"{3+}\r\n".to_vec()),
        Just(b"{99999999999}\r\n".to_vec()),
        Just(b"\"q\\\"\"".to_vec()),
        Just(b"e EXPUNGE\r\nc CLOSE\r\n".to_vec()),
        Just(b"l LIST \"\" %*%\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b" ".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(token, 0..24).prop_map(|t| t.concat())
}

proptest! {
    #[test]
    fn commands_round_trip(command in arb_command(), cut in any::<prop::sample::Index>()) {
        let bytes = command.to_bytes();
        // Every strict prefix is Incomplete, never an error.
        let prefix = &bytes[..cut.index(bytes.len())];
        prop_assert!(
            matches!(wire::command(prefix), Err(nom::Err::Incomplete(_))),
            "{:?}", String::from_utf8_lossy(prefix)
        );
        prop_assert_eq!(wire::parse_command(&bytes), Ok(command.clone()), "{:?}", String::from_utf8_lossy(&bytes));
        // The synchronizing form reads the same once its fragments are joined.
        prop_assert_eq!(wire::parse_command(&command.encode(LiteralMode::Sync).concat()), Ok(command));
    }

    #[test]
    fn responses_round_trip(response in arb_response(), cut in any::<prop::sample::Index>()) {
        let bytes = response.to_bytes();
        let prefix = &bytes[..cut.index(bytes.len())];
        prop_assert!(
            matches!(wire::response(prefix), Err(nom::Err::Incomplete(_))),
            "{:?}", String::from_utf8_lossy(prefix)
        );
        let parsed = wire::response(&bytes).map(|(rest, r)| (rest.len(), r));
        prop_assert_eq!(parsed, Ok((0, response)), "{:?}", String::from_utf8_lossy(&bytes));
        // And the client's framer cuts exactly that response.
        let mut framer = Framer::new(FramerRole::Client, 1 << 20);
        prop_assert_eq!(framer.next(&bytes), Frame::Complete(bytes.len()));
    }

    #[test]
    fn parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = wire::parse_command(&bytes);
        let _ = wire::command(&bytes);
        let _ = wire::response(&bytes);
        let _ = wire::envelope_of(&bytes);
        let _ = wire::body_structure_of(&bytes);
        let mut framer = Framer::new(FramerRole::Server, 64);
        let _ = framer.next(&bytes);
    }

    #[test]
    fn the_server_never_panics_and_always_answers_in_imap(
        bytes in arb_imap_bytes(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut store = store_with(1, 4, vec![(1, vec![]), (2, vec![Flag::Seen]), (3, vec![Flag::Deleted])]);
        let mut server = ImapServer::new(ImapServerConfig { implicit_tls: true, ..ImapServerConfig::new("x") });
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.extend([0, bytes.len()]);
        points.sort_unstable();
        let mut output = Vec::new();
        for pair in points.windows(2) {
            server.handle_input(&bytes[pair[0]..pair[1]], &mut store);
            while let Some(out) = server.poll_transmit() {
                output.extend(out);
            }
            server.poll_mailbox(&store);
        }
        // Every octet the server sent is a sequence of well-formed responses.
        let mut rest: &[u8] = &output;
        while !rest.is_empty() {
            match wire::response(rest) {
                Ok((after, _)) => rest = after,
                Err(e) => prop_assert!(false, "{e:?} at {:?}", String::from_utf8_lossy(rest)),
            }
        }
    }

    #[test]
    fn the_client_never_panics(bytes in arb_imap_bytes()) {
        let config = ImapClientConfig { user: "u".into(), password: "p".into(), auth: ClientAuth::Plain, mark_seen: true };
        let mut client = ImapClient::new(config);
        client.handle_input(b"* OK [CAPABILITY IMAP4rev2 SASL-IR] hi\r\n");
        client.handle_input(&bytes);
        while client.poll_transmit().is_some() {}
    }
}
