//! The scenario file format, as serde reads it from TOML. Every field is documented here;
//! `docs/scenario-format.md` shows complete examples. Unknown fields are errors, so a typo
//! is reported instead of silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::engine::{ServerConfig, TlsMode};

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Shown in the lesson picker.
    pub title: String,
    /// What the learner will see happen, in a sentence or two.
    pub description: String,
    /// The group in the lesson picker, e.g. "Basics", "Routing", "Security".
    #[serde(default)]
    pub topic: Option<String>,
    /// What the lesson shows, as checked by its test: e.g. `delivered = ["bob@example.net"]`.
    #[serde(default)]
    pub expect: Option<Expect>,
    /// Experiments the player offers at the end: a label and a change to try.
    #[serde(default)]
    pub try_next: Vec<TryNext>,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Unix time of the start, for Date: and Received: fields.
    #[serde(default = "default_start")]
    pub start: i64,
    /// One-way latency of every link, e.g. "20ms".
    #[serde(default)]
    pub latency: Option<String>,
    /// Retry schedule of the relays.
    #[serde(default)]
    pub retry: Option<RetryFile>,
    /// Stop the simulation after this much virtual time (default 7 days).
    #[serde(default)]
    pub max_time: Option<String>,
    #[serde(default, rename = "host")]
    pub hosts: Vec<HostFile>,
    /// DNS zone data, by owner name.
    #[serde(default)]
    pub dns: BTreeMap<String, DnsFile>,
    #[serde(default, rename = "send")]
    pub sends: Vec<SendFile>,
    #[serde(default, rename = "type")]
    pub types: Vec<TypeFile>,
    #[serde(default, rename = "retrieve")]
    pub retrieves: Vec<RetrieveFile>,
}

fn default_seed() -> u64 {
    1
}

/// 2026-11-25 09:00:00 UTC.
fn default_start() -> i64 {
    1_795_597_200
}

/// The outcome a lesson promises; its test checks it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Mailboxes that end with at least one message.
    #[serde(default)]
    pub delivered: Vec<String>,
    /// DSN lines, e.g. `"failed: bob@example.net (5.1.1)"`.
    #[serde(default)]
    pub dsns: Vec<String>,
    /// Reply codes that must appear somewhere, in order.
    #[serde(default)]
    pub codes: Vec<u16>,
    /// Messages still queued at the end.
    #[serde(default)]
    pub queued: usize,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TryNext {
    pub label: String,
    /// The lesson to open, or this one with a change described in `hint`.
    #[serde(default)]
    pub lesson: Option<String>,
    #[serde(default)]
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryFile {
    /// Waits between attempts, e.g. ["5m", "10m", "20m"]; the last repeats.
    #[serde(default)]
    pub intervals: Vec<String>,
    /// Give up (bounce) after this long in the queue, e.g. "5d".
    #[serde(default)]
    pub max_age: Option<String>,
    /// Send a "delayed" DSN after this long, to recipients that asked (NOTIFY=DELAY).
    #[serde(default)]
    pub delay_warning: Option<String>,
}

/// One host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFile {
    pub name: String,
    /// client, submission, relay, mx or reader.
    pub role: String,
    pub ip: String,
    /// Domains this host is the final destination for.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Known mailboxes; a local domain with none listed accepts every local part.
    #[serde(default)]
    pub mailboxes: Vec<String>,
    /// Mailboxes in another state: `"bob@example.net" = "full-temporarily"`.
    #[serde(default)]
    pub mailbox_states: BTreeMap<String, String>,
    /// user → password, for AUTH and POP3.
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    /// Domains accepted and relayed onward (a backup MX).
    #[serde(default)]
    pub relay_domains: Vec<String>,
    /// Client IPs that may relay without AUTH.
    #[serde(default)]
    pub relay_clients: Vec<String>,
    /// Whether authenticated users may relay (submission servers).
    #[serde(default)]
    pub relay_authenticated: bool,
    /// Greylisting delay, e.g. "5m".
    #[serde(default)]
    pub greylist: Option<String>,
    /// Times the host is down: [["0s", "2h"], …].
    #[serde(default)]
    pub down: Vec<[String; 2]>,
    /// The SMTP server's settings (any field of ServerConfig); absent: the host does not
    /// listen for SMTP. `hostname` defaults to the host's name.
    #[serde(default)]
    pub smtp: Option<ServerConfig>,
}

/// DNS records of one name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsFile {
    #[serde(default)]
    pub a: Vec<String>,
    #[serde(default)]
    pub aaaa: Vec<String>,
    /// [[preference, exchange], …]; `[[0, "."]]` is a null MX.
    #[serde(default)]
    pub mx: Vec<(u16, String)>,
    #[serde(default)]
    pub txt: Vec<String>,
    #[serde(default)]
    pub cname: Option<String>,
    /// Queries for this name time out.
    #[serde(default)]
    pub timeout: bool,
}

/// A mail client sends one message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendFile {
    #[serde(default)]
    pub at: Option<String>,
    pub from: String,
    pub to: String,
    /// The EHLO/HELO name (default: the client's host name).
    #[serde(default)]
    pub helo: Option<String>,
    /// Say HELO instead of EHLO.
    #[serde(default)]
    pub use_helo: bool,
    #[serde(default)]
    pub tls: Option<TlsMode>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Use BDAT when the server offers CHUNKING.
    #[serde(default)]
    pub chunking: bool,
    /// Pipeline when the server offers PIPELINING (default true).
    #[serde(default = "yes")]
    pub pipelining: bool,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// NOTIFY for every recipient, e.g. "SUCCESS,FAILURE" (RFC 3461).
    #[serde(default)]
    pub notify: Option<String>,
    /// RET=FULL or HDRS.
    #[serde(default)]
    pub ret: Option<String>,
    #[serde(default)]
    pub envid: Option<String>,
    /// The message (RFC 5322); line ends become CRLF.
    pub message: String,
}

fn yes() -> bool {
    true
}

/// A learner types lines at a server, telnet-style.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeFile {
    #[serde(default)]
    pub at: Option<String>,
    pub from: String,
    pub to: String,
    /// Each entry is one write; CRLF is added unless the entry ends in a line break
    /// already (write `\n` or `\r` escapes to send bare line ends on purpose).
    pub lines: Vec<String>,
}

/// The recipient's client fetches mail over POP3.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrieveFile {
    #[serde(default)]
    pub at: Option<String>,
    pub from: String,
    pub to: String,
    pub user: String,
    pub password: String,
    /// Delete the messages after retrieving them (DELE).
    #[serde(default)]
    pub delete: bool,
}
