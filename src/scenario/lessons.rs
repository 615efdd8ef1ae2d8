//! The lesson library: each lesson is a scenario file compiled into the program, with an
//! id used in URLs and on the command line. Every lesson has a test that runs it and
//! checks the outcome its `[expect]` table promises.

/// One lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lesson {
    /// Stable id, e.g. `telnet-session`: URLs and `smtp-playground run` use it.
    pub id: &'static str,
    /// The scenario file.
    pub source: &'static str,
}

macro_rules! lessons {
    ($($id:literal),+ $(,)?) => {
        /// Every lesson, in the order of the learning path.
        pub const ALL: &[Lesson] = &[$(Lesson { id: $id, source: include_str!(concat!("lessons/", $id, ".toml")) }),+];
        /// The learning path's lesson ids, in order (the same list as [`ALL`]).
        pub const PATH: &[&str] = &[$($id),+];
    };
}

// The learning path: every lesson once, in the order a teacher would take a class through
// them, topic by topic, each topic building on the ones before it:
//
// 1. Basics: one session typed by hand, what EHLO announces, a recipient refused, and the
//    last hop (POP3, then IMAP, then the two side by side): the two ends of the route
//    before its middle.
// 2. Extensions: the extensions EHLO just announced, each at work in one session.
// 3. Routing: a second server, found through DNS (MX), then what happens when it is
//    down, says "no mail here" or does not exist.
// 4. Queueing: a server that cannot deliver now keeps the message and tries again.
// 5. Delivery reports: when it finally cannot, the sender hears why (DSN).
// 6. Security: submission with STARTTLS and AUTH first, then who may relay, then two
//    attacks that need the earlier lessons to follow.
// 7. Authentication: SPF and DKIM each on their own, then DMARC, which combines them.
lessons![
    "telnet-session",
    "ehlo-extensions",
    "unknown-recipient",
    "pop3-retrieval",
    "imap-retrieval",
    "pop3-vs-imap",
    "pipelining",
    "size-limit",
    "smtputf8",
    "mx-relay",
    "backup-mx",
    "null-mx",
    "nxdomain",
    "retry-later",
    "greylisting",
    "retries-exhausted",
    "mailbox-full",
    "dsn-notify",
    "submission-auth",
    "relay-denied",
    "starttls-injection",
    "smtp-smuggling",
    "spf-spoofed",
    "dkim-pass",
    "dkim-body-changed",
    "dmarc-reject",
];

/// The lesson with this id.
pub fn get(id: &str) -> Option<&'static Lesson> {
    ALL.iter().find(|l| l.id == id)
}

/// The lessons in the order of the learning path.
pub fn path() -> impl Iterator<Item = &'static Lesson> {
    ALL.iter()
}

/// The id of the path's lesson `id`, as a `'static` string: `None` for an id that is not a
/// library lesson. Reads only [`PATH`], so the player can use it without the lessons' files.
pub fn path_id(id: &str) -> Option<&'static str> {
    PATH.iter().copied().find(|p| *p == id)
}

/// The lesson after `id` on the learning path: `None` after the last one, or for an id
/// that is not on it.
pub fn next(id: &str) -> Option<&'static str> {
    let at = PATH.iter().position(|p| *p == id)?;
    PATH.get(at + 1).copied()
}
