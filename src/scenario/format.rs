//! The scenario file format: which tables and keys a file may have, what each means,
//! and how each is checked. Reading is one pass over the parsed TOML tree
//! ([`super::toml`]), so every error points at the key or value that caused it.
//!
//! ```toml
//! title = "Relaying through an MX lookup"     # required
//! description = "What the learner will see."  # required
//! topic = "Routing"                           # group in the lesson picker
//! seed = 1                                    # the world's random seed
//! start = 1795597200                          # unix time of virtual time 0
//! latency = "20ms"                            # one-way latency of every link
//! max_time = "7d"                             # stop the simulation after this
//!
//! [expect]                  # what the lesson promises; its test checks it
//! delivered = ["bob@example.net"]            # mailboxes that end with mail
//! dsns = ["failed: carol@example.net (5.1.1)"]
//! codes = [220, 250, 354, 250, 221]          # reply codes that appear, in order
//! queued = 0                                 # messages still queued at the end
//!
//! # The narrative (src/scenario/narrative.rs): what a learner reads besides the generated text.
//! goals = ["Explain why mail for bob@example.net goes to mx.example.net"]  # shown before step 1
//! recap = "What was learned, in two or three lines."   # shown at the end, with try_next
//!
//! [[note]]                  # an authored note: replaces the generated explanation of one step
//! kind = "reply"            # the step's kind: tcp-connect, tcp-refused, tcp-close, command, reply,
//!                           # data, tls-handshake, dns-query, dns-answer, queue, retry, dsn,
//!                           # delivery, retrieval, imap-command, imap-response, note
//! from = "mx.example.net"   # optional: the lane the step leaves from
//! to = "laptop.example.com" # optional: the lane it goes to
//! code = 550                # optional: the reply code
//! has = "RCPT TO"           # optional: text in the step's wire bytes or summary
//! nth = 2                   # optional: the n-th step matching all of the above (default 1)
//! text = "Why this happens here, and what to notice."
//! # `smtp-playground run FILE --steps` lists the steps as a note picks them; `check` reports
//! # a note that picks no step, or a step an earlier note already explains, with its line.
//!
//! [[try_next]]              # experiments offered at the end
//! label = "…"
//! lesson = "other-lesson"   # or hint = "change X and run again"
//!
//! [retry]                   # relays' retry schedule
//! intervals = ["5m", "10m"] # waits between attempts; the last repeats
//! max_age = "5d"            # then bounce (5.4.7)
//! delay_warning = "4h"      # "delayed" DSN to NOTIFY=DELAY recipients
//!
//! [[host]]
//! name = "smtp.example.com" # lane, DNS and HELO name: a domain or [address literal]; no
//!                           # control, bidi or zero-width characters in any name or address
//! role = "submission"       # client | submission | relay | mx | reader
//! ip = "192.0.2.25"
//! domains = ["example.com"]            # final destination for these
//! mailboxes = ["alice@example.com"]    # known mailboxes (none listed: any)
//! mailbox_states = { "bob@example.net" = "full-temporarily" }
//! users = { alice = "s3cret" }         # AUTH and POP3 passwords
//! relay_domains = ["example.net"]      # accepted and relayed (backup MX)
//! relay_clients = ["192.0.2.10"]       # may relay without AUTH
//! relay_authenticated = true           # authenticated users may relay
//! greylist = "5m"                      # greylisting delay
//! down = [["0s", "2h"]]                # when the host does not answer
//! smtp = { starttls = true, auth_mechanisms = ["PLAIN"], require_auth = true }
//! # Email authentication (SMTP itself checks no sender: AUTH, SPF, DKIM and DMARC do).
//! # Signs what it queues for elsewhere when From: or MAIL FROM is at `domain` (or below):
//! # ed25519-sha256, relaxed/relaxed, h=from:to:subject:date:message-id:from, t= from the
//! # virtual clock. Publish the public key at s1._domainkey.example.com. For native use only:
//! # algorithm = "rsa-sha256" with pem = "-----BEGIN PRIVATE KEY-----…" instead of seed.
//! dkim_sign = { domain = "example.com", selector = "s1", seed = "<base64 32-octet Ed25519 seed>" }
//! authenticate = true       # at end of DATA: SPF (MAIL FROM), DKIM, DMARC; adds
//!                           # Authentication-Results: and Received-SPF:; DMARC p=reject → 550 5.7.1,
//!                           # p=quarantine → the mailbox folder "bob@example.net/Junk"
//! tamper_body = "-- sent via lists.example.org"   # footer line appended to what it queues
//! lists = { "friends@lists.example.org" = ["bob@example.net"] }  # list → members; the copies
//!                           # go out with MAIL FROM friends-bounces@lists.example.org
//!
//! [dns]
//! "example.net" = { mx = [[10, "mx.example.net"]], a = ["198.51.100.25"], txt = ["v=spf1 -all"] }
//! "_dmarc.example.com" = { txt = ["v=DMARC1; p=reject"] }     # DMARC policy (RFC 7489)
//! "slow.example" = { timeout = true }    # also aaaa = […], cname = "…"
//!
//! [[send]]                  # a mail client sends one message
//! at = "0s"
//! from = "laptop.example.com"   # client host
//! to = "smtp.example.com"       # server host
//! port = 587                    # 25 (default) or 587 for submission
//! helo = "laptop.example.com"   # default: the client's name
//! use_helo = false              # HELO instead of EHLO
//! tls = "opportunistic"         # never | opportunistic | required
//! user = "alice"                # AUTH, with password
//! password = "s3cret"
//! chunking = false              # BDAT when offered
//! pipelining = true             # when offered
//! mail_from = "alice@example.com"   # "" for the null reverse-path <>
//! rcpt_to = ["bob@example.net"]
//! notify = "SUCCESS,FAILURE"    # RFC 3461 NOTIFY for every recipient
//! ret = "HDRS"                  # FULL | HDRS
//! envid = "QQ314159"
//! message = """
//! From: …
//! """
//! count = 1000                  # send this many like it (default 1; at most 1,000 messages
//!                               # in all): each copy's `{n}` in rcpt_to and message is its
//!                               # number, 1 to count (e.g. "customer{n}@example.net")
//! every = "1s"                  # the time between copies (default 1s), each on its own
//!                               # connection, as most application mailers send
//!
//! [[type]]                  # a learner types lines, telnet-style
//! from = "pc"
//! to = "mx"
//! lines = ["EHLO pc", "QUIT"]   # CRLF added unless a line ends in \n or \r
//!
//! [[fault]]                 # "what if…": something goes wrong at a server (src/sim/fault.rs)
//! host = "mx.example.net"   # a host with an `smtp` table
//! command = "RCPT"          # the verb it strikes: MAIL, RCPT, DATA (= at the end of the data),
//!                           # EHLO, HELO, STARTTLS, AUTH, RSET, NOOP, QUIT, BDAT, …
//! occurrence = 1            # the n-th time that host receives that verb in the run (default 1),
//!                           # counting every command line that parsed, on every connection
//! action = "reply"          # reply | close-421 | drop | greylist | down
//! reply = "451 4.7.1 Try again later"   # action = "reply" only: a 4xx/5xx reply, enhanced code
//!                           # optional; it replaces the server's own answer and the command has
//!                           # no effect (a refused RCPT adds no recipient, refused data is not taken)
//! # close-421: "421 4.3.2 <host> Service not available, closing transmission channel", then the
//! #            server closes (RFC 5321 §3.8)
//! # drop:      the TCP connection is lost with no reply; clients requeue (RFC 5321 §4.5.4.1, §6.1)
//! # greylist:  RCPT only: "450 4.7.1 Greylisted, try again later", once
//! # down:      no command; instead `at = "10m"` and `for = "2h"`: the host does not answer then
//!
//! [[retrieve]]              # the recipient's client reads mail over POP3 or IMAP
//! at = "1m"
//! from = "phone"
//! to = "mx.example.net"
//! user = "bob"
//! password = "hunter2"
//! protocol = "pop3"         # "pop3" (port 110, the default) or "imap" (port 993, TLS)
//! delete = false            # POP3 only: DELE each message before QUIT
//! # mark_seen = true        # IMAP only: STORE \Seen after fetching (the default); the mail
//! #                         # stays on the server either way
//! ```
//!
//! Every duration (`latency`, `max_time`, retry times, `greylist`, `down`, `at`, `for`) is at
//! most [`MAX_DURATION_MS`], 365 days: longer is refused with its line and column, so no sum
//! of times in the simulator can come near the end of its 64-bit clock.

/// The longest duration a scenario may give: 365 days, in milliseconds.
pub const MAX_DURATION_MS: u64 = 365 * 86_400_000;

use super::toml::{Entry, Item, Pos, Table, TomlError, Value};

/// The outcome a lesson promises; its test checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    pub delivered: Vec<String>,
    pub dsns: Vec<String>,
    pub codes: Vec<u16>,
    pub queued: usize,
}

/// An experiment the player offers when a lesson ends.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TryNext {
    pub label: String,
    pub lesson: Option<String>,
    pub hint: Option<String>,
}

/// An error at `pos`.
pub fn error(pos: Pos, message: impl Into<String>) -> TomlError {
    TomlError { pos, message: message.into() }
}

/// Reads one table's keys with their types, and rejects keys nobody asked for, so a
/// typo is an error ("unknown key `nam` in [[host]]; expected one of …").
pub struct Fields<'a> {
    table: &'a Table,
    /// How the table is named in messages, e.g. `[[host]]`.
    pub what: &'static str,
    allowed: &'static [&'static str],
    used: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    pub fn new(table: &'a Table, what: &'static str, allowed: &'static [&'static str]) -> Self {
        Self { table, what, allowed, used: Vec::new() }
    }

    /// Where the table starts.
    pub fn pos(&self) -> Pos {
        self.table.pos
    }

    /// Where `key` is written, if it is (without reading its value).
    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        self.table.get(key).map(|e| e.key_pos)
    }

    fn entry(&mut self, key: &'static str) -> Option<&'a Entry> {
        let entry = self.table.get(key)?;
        self.used.push(key);
        Some(entry)
    }

    fn wrong_type(&self, key: &str, item: &Item, expected: &str) -> TomlError {
        error(
            item.pos,
            format!("`{key}` in {} must be {expected}, not a {}", self.what, item.value.type_name()),
        )
    }

    /// `key` is required but absent. A key nobody knows is the likelier culprit (a typo),
    /// so that one is reported first.
    pub fn missing(&self, key: &str) -> TomlError {
        match self.table.entries.iter().find(|e| !self.allowed.contains(&e.key.as_str())) {
            Some(unknown) => error(
                unknown.key_pos,
                format!(
                    "unknown key `{}` in {} (is it `{key}`?); expected one of: {}",
                    unknown.key,
                    self.what,
                    self.allowed.join(", ")
                ),
            ),
            None => error(self.table.pos, format!("{} needs `{key}`", self.what)),
        }
    }

    pub fn string(&mut self, key: &'static str) -> Result<Option<(&'a str, Pos)>, TomlError> {
        match self.entry(key) {
            None => Ok(None),
            Some(Entry { item: Item { value: Value::String(s), pos }, .. }) => Ok(Some((s.as_str(), *pos))),
            Some(e) => Err(self.wrong_type(key, &e.item, "a string")),
        }
    }

    pub fn required_string(&mut self, key: &'static str) -> Result<(&'a str, Pos), TomlError> {
        self.string(key)?.ok_or_else(|| self.missing(key))
    }

    pub fn integer(&mut self, key: &'static str) -> Result<Option<(i64, Pos)>, TomlError> {
        match self.entry(key) {
            None => Ok(None),
            Some(Entry { item: Item { value: Value::Integer(n), pos }, .. }) => Ok(Some((*n, *pos))),
            Some(e) => Err(self.wrong_type(key, &e.item, "an integer")),
        }
    }

    /// A non-negative integer that fits `T`.
    pub fn number<T: TryFrom<i64>>(&mut self, key: &'static str) -> Result<Option<T>, TomlError> {
        match self.integer(key)? {
            None => Ok(None),
            Some((n, pos)) => {
                T::try_from(n).map(Some).map_err(|_| error(pos, format!("`{key}` is out of range: {n}")))
            }
        }
    }

    pub fn boolean(&mut self, key: &'static str) -> Result<Option<bool>, TomlError> {
        match self.entry(key) {
            None => Ok(None),
            Some(Entry { item: Item { value: Value::Boolean(b), .. }, .. }) => Ok(Some(*b)),
            Some(e) => Err(self.wrong_type(key, &e.item, "true or false")),
        }
    }

    /// An array, each element with its position.
    pub fn array(&mut self, key: &'static str) -> Result<&'a [Item], TomlError> {
        match self.entry(key) {
            None => Ok(&[]),
            Some(Entry { item: Item { value: Value::Array(items), .. }, .. }) => Ok(items),
            Some(e) => Err(self.wrong_type(key, &e.item, "an array")),
        }
    }

    /// An array of strings.
    pub fn strings(&mut self, key: &'static str) -> Result<Vec<(&'a str, Pos)>, TomlError> {
        let what = self.what;
        self.array(key)?
            .iter()
            .map(|item| match &item.value {
                Value::String(s) => Ok((s.as_str(), item.pos)),
                other => Err(error(
                    item.pos,
                    format!("`{key}` in {what} holds strings, not a {}", other.type_name()),
                )),
            })
            .collect()
    }

    pub fn table(&mut self, key: &'static str) -> Result<Option<&'a Table>, TomlError> {
        match self.entry(key) {
            None => Ok(None),
            Some(Entry { item: Item { value: Value::Table(t), .. }, .. }) => Ok(Some(t)),
            Some(e) => Err(self.wrong_type(key, &e.item, "a table")),
        }
    }

    /// An array of tables (`[[key]]`).
    pub fn tables(&mut self, key: &'static str) -> Result<Vec<&'a Table>, TomlError> {
        let what = self.what;
        self.array(key)?
            .iter()
            .map(|item| match &item.value {
                Value::Table(t) => Ok(t),
                other => Err(error(
                    item.pos,
                    format!("`{key}` in {what} holds tables ([[{key}]]), not a {}", other.type_name()),
                )),
            })
            .collect()
    }

    /// Fails on the first key that was not read.
    pub fn finish(self) -> Result<(), TomlError> {
        match self.table.entries.iter().find(|e| !self.used.contains(&e.key.as_str())) {
            None => Ok(()),
            Some(e) => Err(error(
                e.key_pos,
                format!(
                    "unknown key `{}` in {}; expected one of: {}",
                    e.key,
                    self.what,
                    self.allowed.join(", ")
                ),
            )),
        }
    }
}
