//! Example transcripts of RFC 9051 that two suites run: tests/imap.rs plays each against the
//! server session and compares every response, tests/imap_teach.rs explains and annotates
//! every write. `C:` is a client line, `S:` a server line, as the RFC prints them.
//! Included with `#[path = "support/rfc9051.rs"] mod rfc9051;`.

/// RFC 9051 §6.2.1 and §6.1.1: CAPABILITY, STARTTLS, CAPABILITY again, AUTHENTICATE PLAIN.
pub const CAPABILITY_STARTTLS_LOGIN: &str = r"
C: a001 CAPABILITY
S: * CAPABILITY IMAP4rev2 STARTTLS LOGINDISABLED
S: a001 OK CAPABILITY completed
C: a002 STARTTLS
S: a002 OK Begin TLS negotiation now
C: a003 CAPABILITY
S: * CAPABILITY IMAP4rev2 AUTH=PLAIN
S: a003 OK CAPABILITY completed
C: a004 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=
S: a004 OK Success (tls protection)
";

/// RFC 9051 §6.2.3: LOGIN.
pub const LOGIN: &str = r"
C: a001 LOGIN SMITH SESAME
S: a001 OK LOGIN completed
";

/// RFC 9051 §6.3.2: SELECT.
pub const SELECT: &str = r#"
C: A142 SELECT INBOX
S: * 172 EXISTS
S: * OK [UIDVALIDITY 3857529045] UIDs valid
S: * OK [UIDNEXT 4392] Predicted next UID
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Deleted \Seen \*)] Limited
S: * LIST () "/" INBOX
S: A142 OK [READ-WRITE] SELECT completed
"#;

/// RFC 9051 §6.3.3: EXAMINE.
pub const EXAMINE: &str = r#"
C: A932 EXAMINE INBOX
S: * 17 EXISTS
S: * OK [UIDVALIDITY 3857529045] UIDs valid
S: * OK [UIDNEXT 4392] Predicted next UID
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: * LIST () "/" INBOX
S: A932 OK [READ-ONLY] EXAMINE completed
"#;

/// RFC 9051 §6.3.11: STATUS.
pub const STATUS: &str = r"
C: A042 STATUS INBOX (UIDNEXT MESSAGES)
S: * STATUS INBOX (MESSAGES 231 UIDNEXT 44292)
S: A042 OK STATUS completed
C: A043 STATUS blurdybloop (MESSAGES)
S: A043 NO [NONEXISTENT] Mailbox doesn't exist
";

/// RFC 9051 §6.4.3: EXPUNGE.
pub const EXPUNGE: &str = r"
C: A202 EXPUNGE
S: * 3 EXPUNGE
S: * 3 EXPUNGE
S: * 5 EXPUNGE
S: * 8 EXPUNGE
S: A202 OK EXPUNGE completed
";

/// RFC 9051 §6.4.6: STORE.
pub const STORE: &str = r"
C: A003 STORE 2:4 +FLAGS (\Deleted)
S: * 2 FETCH (FLAGS (\Deleted \Seen))
S: * 3 FETCH (FLAGS (\Deleted))
S: * 4 FETCH (FLAGS (\Deleted \Flagged \Seen))
S: A003 OK STORE completed
";

/// RFC 9051 §8's ENABLE, and §6.3.1: ENABLE.
pub const ENABLE: &str = r"
C: t2 ENABLE CONDSTORE X-GOOD-IDEA
S: * ENABLED
S: t2 OK ENABLE completed
C: babc ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: babc OK ENABLE completed
";
