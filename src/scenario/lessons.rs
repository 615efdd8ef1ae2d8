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
//    last hop (POP3): the two ends of the route before its middle.
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

/// The lesson after `id` on the learning path: `None` after the last one, or for an id
/// that is not on it.
pub fn next(id: &str) -> Option<&'static Lesson> {
    let at = PATH.iter().position(|p| *p == id)?;
    PATH.get(at + 1).and_then(|next| get(next))
}

/// What the picker and the introduction show of a lesson, read from its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: &'static str,
    pub title: String,
    pub topic: String,
    pub description: String,
    /// What the learner can do after the lesson (may be empty).
    pub goals: Vec<String>,
}

/// A topic and its lessons on the path.
pub type Topic = (String, Vec<Summary>);

/// The learning path grouped by topic: each topic once, where the path first reaches it,
/// with its lessons in path order. A lesson that does not parse is left out (its own test
/// fails); one without a topic goes under "Other".
pub fn path_by_topic() -> Vec<Topic> {
    let mut topics: Vec<Topic> = Vec::new();
    for lesson in path() {
        let Ok(scenario) = super::parse(lesson.source) else { continue };
        let topic = scenario.topic.unwrap_or_else(|| "Other".to_owned());
        let summary = Summary {
            id: lesson.id,
            title: scenario.title,
            topic: topic.clone(),
            description: scenario.description,
            goals: scenario.narrative.goals,
        };
        match topics.iter_mut().find(|(t, _)| *t == topic) {
            Some((_, lessons)) => lessons.push(summary),
            None => topics.push((topic, vec![summary])),
        }
    }
    topics
}
