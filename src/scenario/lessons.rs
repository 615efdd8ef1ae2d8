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
        /// Every lesson, in the order the picker lists them.
        pub const ALL: &[Lesson] = &[$(Lesson { id: $id, source: include_str!(concat!("lessons/", $id, ".toml")) }),+];
    };
}

lessons![
    "telnet-session",
    "ehlo-extensions",
    "pop3-retrieval",
    "unknown-recipient",
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
    "smtp-smuggling",
    "starttls-injection",
    "spf-spoofed",
    "dmarc-reject",
    "dkim-pass",
    "dkim-body-changed",
];

/// The lesson with this id.
pub fn get(id: &str) -> Option<&'static Lesson> {
    ALL.iter().find(|l| l.id == id)
}
