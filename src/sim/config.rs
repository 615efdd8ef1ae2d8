//! What a scenario gives the world: its hosts (role, address, SMTP server, policy, DKIM
//! signing and checking), the DNS zone, the retry schedule, what the actors do and when, the
//! injected faults, and the limits that keep every run finite. Data only: the world reads it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::fault::Fault;
use crate::dns::Zone;
use crate::engine::{ClientConfig, Envelope, MailPolicy, ServerConfig};
use crate::mailauth::dkim::{self, SigningKey};
use crate::proto::ForwardPath;
use crate::timeline::Millis;

/// What a host is, as its lane shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostRole {
    /// A mail client (MUA): sends, never listens.
    Client,
    /// The sender's submission server / outgoing relay (MSA/MTA): queues and relays.
    Submission,
    /// An intermediate relay.
    Relay,
    /// A recipient domain's mail exchanger: final delivery into mailboxes, POP3.
    Mx,
    /// The recipient's mail client, which retrieves over POP3.
    Reader,
}

impl HostRole {
    pub fn label(self) -> &'static str {
        match self {
            HostRole::Client => "mail client (MUA)",
            HostRole::Submission => "submission server (MSA/MTA)",
            HostRole::Relay => "relay (MTA)",
            HostRole::Mx => "mail exchanger (MX)",
            HostRole::Reader => "recipient's mail client (MUA)",
        }
    }

    /// Whether the host keeps a queue and delivers onward what is not local.
    pub fn relays(self) -> bool {
        matches!(self, HostRole::Submission | HostRole::Relay | HostRole::Mx)
    }
}

/// One host of the world.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostConfig {
    /// The host's name: its lane, its DNS name and its HELO name.
    pub name: String,
    pub role: HostRole,
    pub ip: IpAddr,
    /// The SMTP server it runs, if it listens.
    pub smtp: Option<ServerConfig>,
    /// Its local domains, mailboxes, relay rules and users.
    pub policy: MailPolicy,
    /// Intervals `[from, to)` in which the host does not answer.
    pub down: Vec<(Millis, Millis)>,
    /// DKIM signing, checking SPF/DKIM/DMARC, changing bodies in transit.
    #[serde(default)]
    pub auth: HostAuth,
    /// Mailing lists this host expands: the list's mailbox key → its members.
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<ForwardPath>>,
}

/// When a relay retries, and when it gives up (Postfix: `minimal_backoff_time`,
/// `maximal_queue_lifetime`; RFC 5321 §4.5.4.1 asks for at least 30 minutes between
/// tries and 4–5 days before giving up).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetrySchedule {
    /// Waits before the 2nd, 3rd, … attempt; the last one repeats.
    pub intervals: Vec<Millis>,
    /// Age after which the message bounces (5.4.7).
    pub max_age: Millis,
    /// Age after which a "delayed" DSN is sent, when NOTIFY=DELAY asked for one.
    pub delay_warning: Option<Millis>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        let minute = 60_000;
        Self {
            intervals: vec![5 * minute, 10 * minute, 20 * minute, 40 * minute, 80 * minute],
            max_age: 5 * 24 * 60 * minute,
            delay_warning: Some(4 * 60 * minute),
        }
    }
}

/// What the actors do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    /// A client session that delivers one message.
    Send {
        at: Millis,
        client: String,
        server: String,
        /// 25 for relaying, 587 for submission (RFC 6409).
        port: u16,
        config: Box<ClientConfig>,
        envelope: Envelope,
        message: Vec<u8>,
    },
    /// A learner types raw lines (telnet-style); each write is sent once the previous
    /// one's replies have all arrived (or at once, if the server answered nothing).
    Type { at: Millis, client: String, server: String, port: u16, writes: Vec<Vec<u8>> },
    /// The recipient's client reads its mail over POP3 or IMAP.
    Retrieve { at: Millis, client: String, server: String, user: String, password: String, how: Retrieval },
}

/// How a reader's client fetches mail, and what it leaves on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Retrieval {
    /// POP3 on port 110 (RFC 1939): download each message, and delete them if `delete`.
    Pop3 { delete: bool },
    /// IMAP on port 993, under TLS from the first byte (RFC 8314 §3.3, RFC 9051): log in,
    /// list the folders, select INBOX, fetch every message without changing its flags
    /// (BODY.PEEK[]), then mark them `\Seen` if `mark_seen`. The mail stays on the server.
    Imap { mark_seen: bool },
}

/// No world runs past this many steps, whatever its config asks: enough for a queue of a
/// thousand messages (59,000 steps when each is greylisted once), little enough that a run
/// stays well under a second.
pub const STEP_CAP: usize = 100_000;

/// The whole world, ready to run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorldConfig {
    pub seed: u64,
    /// Unix time of virtual time 0, for Date: and Received: fields.
    pub start_unix: i64,
    /// One-way latency of every link.
    pub latency: Millis,
    pub hosts: Vec<HostConfig>,
    pub zone: Zone,
    pub retry: RetrySchedule,
    pub actions: Vec<Action>,
    pub max_steps: usize,
    /// No event after this virtual time is run.
    pub max_time: Millis,
    /// Injected faults ("what if…"), in the order of the scenario's `[[fault]]` tables.
    #[serde(default)]
    pub faults: Vec<Fault>,
}

/// A signing key as a scenario gives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SigningKeySource {
    /// An Ed25519 private key's 32-octet seed (RFC 8463), what every lesson uses.
    Ed25519Seed([u8; 32]),
    /// An RSA private key in PEM (PKCS#8 or PKCS#1), for `a=rsa-sha256`.
    RsaPem(String),
}

impl SigningKeySource {
    /// The key itself. A scenario's key was read once already, so this fails only for
    /// a configuration built by hand.
    pub fn key(&self) -> Result<SigningKey, dkim::DkimError> {
        match self {
            Self::Ed25519Seed(seed) => Ok(SigningKey::ed25519_from_seed(*seed)),
            Self::RsaPem(pem) => SigningKey::rsa_from_pem(pem),
        }
    }
}

/// `dkim_sign = { domain, selector, seed }`: sign what this host relays for `domain`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DkimSigning {
    /// `d=`: messages whose From: or envelope sender is at this domain (or below it) are signed.
    pub domain: String,
    /// `s=`: the key record is at `selector._domainkey.domain`.
    pub selector: String,
    pub key: SigningKeySource,
}

/// A host's part in email authentication (scenario keys `dkim_sign`, `authenticate`,
/// `tamper_body`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostAuth {
    /// Signs the messages it queues for delivery elsewhere.
    pub dkim_sign: Option<DkimSigning>,
    /// Checks SPF, DKIM and DMARC on every message it receives, before the 250.
    pub authenticate: bool,
    /// A line appended to the body of every message it queues (a mailing list's footer).
    pub tamper_body: Option<String>,
}
