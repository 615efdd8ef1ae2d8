//! What a server decides that SMTP itself does not: which senders and recipients it
//! takes, who may relay, whose password is right. The session asks its [`Policy`] at each
//! step; the owner keeps the policy, so it outlives connections (greylisting remembers
//! earlier attempts) and the owner moves its clock.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::envelope::Envelope;
use crate::proto::{
    EnhancedStatusCode, ForwardPath, Host, MailParameters, RcptParameters, Reply, ReplyCode, ReversePath,
    Verb, enhanced::StatusClass,
};

/// What the server knows about the connection when it asks its policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionInfo {
    /// The client's address, when the owner knows it.
    pub client_ip: Option<IpAddr>,
    /// The HELO/EHLO argument.
    pub helo: Option<Host>,
    /// Whether the client said EHLO (ESMTP) rather than HELO.
    pub esmtp: bool,
    /// Whether STARTTLS completed.
    pub tls: bool,
    /// The authenticated identity (RFC 4954), if any.
    pub authenticated: Option<String>,
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// Refuse with this reply (4yz: try later; 5yz: never).
    Reject(Reply),
}

/// What an owner's fault injection makes of one command: the "what if…" of a lab, where a
/// scenario says "the 2nd RCPT at this host gets 451". Not SMTP: real servers get there by
/// their own troubles (a full disk, a restart, a lost link).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Intervention {
    /// The command is handled as usual.
    #[default]
    None,
    /// The server answers with this reply instead (4yz/5yz) and the command has no effect:
    /// a refused MAIL opens no transaction, a refused RCPT adds no recipient, refused data
    /// is not accepted (RFC 5321 §4.2.5: the server takes responsibility only with its 250).
    Reply(Reply),
    /// The server answers with this reply (a 421) and closes the channel (RFC 5321 §3.8).
    CloseWith(Reply),
    /// The connection is lost without a reply; the client treats it as a temporary failure
    /// (RFC 5321 §4.5.4.1), and a message whose data was not acknowledged is not delivered
    /// by this server (§6.1).
    Drop,
}

/// Decisions a server makes about content, not syntax. Every method has a permissive
/// default, so a test can override only what it needs.
pub trait Policy {
    /// MAIL FROM, after syntax and extension checks.
    fn sender(&mut self, _session: &SessionInfo, _path: &ReversePath, _params: &MailParameters) -> Verdict {
        Verdict::Accept
    }

    /// RCPT TO, after syntax and extension checks.
    fn recipient(
        &mut self,
        _session: &SessionInfo,
        _sender: &ReversePath,
        _path: &ForwardPath,
        _params: &RcptParameters,
    ) -> Verdict {
        Verdict::Accept
    }

    /// Whether `password` is right for `user` (PLAIN's authcid or LOGIN's user name).
    fn authenticate(&mut self, _session: &SessionInfo, _user: &str, _password: &str) -> bool {
        false
    }

    /// The complete message with its envelope, before the server takes responsibility for it
    /// (§6.1): the last moment to refuse it with a reply rather than a bounce (content
    /// filters, DMARC's reject at the end of DATA, RFC 7489 §10.3).
    fn message(&mut self, _session: &SessionInfo, _envelope: &Envelope, _data: &[u8]) -> Verdict {
        Verdict::Accept
    }

    /// Asked once for every command line that parsed, with its verb, before the server acts
    /// on it; the owner injects faults here ([`Intervention`]). For DATA and BDAT the answer
    /// is kept and applied at the end of the data (the reply after the final dot, or to the
    /// chunk), which is where a server accepts or refuses a message; when the server refuses
    /// DATA itself (503/554), the intervention answers the DATA command instead.
    fn intervene(&mut self, _session: &SessionInfo, _verb: Verb) -> Intervention {
        Intervention::None
    }
}

/// A policy that accepts everything and authenticates nobody.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAll;

impl Policy for AcceptAll {}

/// How a mailbox behaves, for lessons about delivery failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailboxState {
    #[default]
    Active,
    /// Over quota for now: 452 4.2.2 (RFC 3463 §3.3).
    FullTemporarily,
    /// Over quota for good: 552 5.2.2.
    FullPermanently,
    /// Disabled: 550 5.2.1.
    Disabled,
}

/// How long after its delay a greylisted triple may retry before it starts over: two days,
/// Postgrey's default retry window.
pub const GREYLIST_RETRY_WINDOW: u64 = 2 * 24 * 3600;
/// The most (client, sender, recipient) triples the greylisting table remembers.
pub const GREYLIST_MAX_ENTRIES: usize = 100_000;

/// The policy of a typical mail server, as data: the domains it is the destination
/// for, their mailboxes, who may relay through it, users and passwords, and greylisting.
///
/// The greylisting table is bounded: a triple first seen more than the delay plus
/// [`GREYLIST_RETRY_WINDOW`] ago starts over (as Postgrey's retry window does), and past
/// [`GREYLIST_MAX_ENTRIES`] the expired and then the oldest entries are forgotten, so no
/// stream of new senders can grow it without end.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailPolicy {
    /// Domains this server is final destination for (Postfix `mydestination`), ASCII
    /// lowercase (A-labels).
    pub local_domains: BTreeSet<String>,
    /// Known mailboxes (`local@domain`, domain in A-labels, lowercase) and their state. A
    /// local domain with no mailboxes listed accepts any local part.
    pub mailboxes: BTreeMap<String, MailboxState>,
    /// Domains this server accepts mail for and relays onward, e.g. as a backup MX
    /// (Postfix `relay_domains`), ASCII lowercase.
    #[serde(default)]
    pub relay_domains: BTreeSet<String>,
    /// Networks whose clients may relay without AUTH (Postfix `mynetworks`), as IPs.
    pub relay_clients: BTreeSet<IpAddr>,
    /// Whether authenticated clients may relay (submission servers).
    pub relay_authenticated: bool,
    /// `user → password` for AUTH.
    pub users: BTreeMap<String, String>,
    /// Greylisting delay in seconds; `None` turns it off.
    pub greylist_delay: Option<u64>,
    /// When each (client, sender, recipient) triple was first seen, for greylisting.
    pub greylist_seen: BTreeMap<String, u64>,
    /// The owner's virtual clock, in seconds, for greylisting.
    pub now: u64,
}

impl MailPolicy {
    fn is_local(&self, path: &ForwardPath) -> bool {
        match path.mailbox().and_then(|m| m.domain()) {
            Some(domain) => self.local_domains.contains(domain.to_ascii()),
            // <Postmaster> and address literals are for this server itself.
            None => true,
        }
    }

    fn mailbox_key(path: &ForwardPath) -> Option<String> {
        let mailbox = path.mailbox()?;
        let domain = mailbox.domain()?;
        Some(format!("{}@{}", mailbox.local_part().as_str().to_lowercase(), domain.to_ascii()))
    }
}

fn reply(code: u16, enhanced: EnhancedStatusCode, text: String) -> Verdict {
    let code = ReplyCode::new(code).unwrap_or(ReplyCode::SYNTAX_ERROR);
    Verdict::Reject(Reply::with_enhanced(code, enhanced, text))
}

fn enhanced(class: StatusClass, subject: u16, detail: u16) -> EnhancedStatusCode {
    EnhancedStatusCode::new(class, subject, detail).unwrap_or(EnhancedStatusCode::OK)
}

impl Policy for MailPolicy {
    /// The checks Postfix's `smtpd_recipient_restrictions` make, in its order:
    /// relay permission, then the local recipient table, then greylisting.
    fn recipient(
        &mut self,
        session: &SessionInfo,
        sender: &ReversePath,
        path: &ForwardPath,
        _params: &RcptParameters,
    ) -> Verdict {
        let relay_domain = path
            .mailbox()
            .and_then(|m| m.domain())
            .is_some_and(|d| self.relay_domains.contains(d.to_ascii()));
        if !self.is_local(path) && !relay_domain {
            let trusted = session.client_ip.is_some_and(|ip| self.relay_clients.contains(&ip));
            let authenticated = self.relay_authenticated && session.authenticated.is_some();
            if !trusted && !authenticated {
                // RFC 5321 §3.6.2: a server that is not the destination and does not know
                // the client must not relay (no "open relay").
                return reply(
                    554,
                    EnhancedStatusCode::NOT_AUTHORIZED,
                    format!("{path}: Relay access denied"),
                );
            }
            return Verdict::Accept;
        }
        // RFC 5321 §4.5.1: postmaster at every served domain must be accepted.
        let postmaster =
            path.mailbox().is_some_and(|m| m.local_part().as_str().eq_ignore_ascii_case("postmaster"));
        if postmaster {
            return Verdict::Accept;
        }
        // (Without mailboxes on record there is nothing to look up.)
        if !self.mailboxes.is_empty()
            && let Some(key) = Self::mailbox_key(path)
        {
            let domain_has_list =
                self.mailboxes.keys().any(|k| k.ends_with(&key[key.rfind('@').unwrap_or(0)..]));
            match self.mailboxes.get(&key) {
                None if domain_has_list => {
                    return reply(
                        550,
                        EnhancedStatusCode::BAD_MAILBOX,
                        format!("{path}: Recipient address rejected: User unknown in local recipient table"),
                    );
                }
                Some(MailboxState::FullTemporarily) => {
                    return reply(
                        452,
                        EnhancedStatusCode::MAILBOX_FULL_TEMP,
                        format!("{path}: Mailbox full, try again later"),
                    );
                }
                Some(MailboxState::FullPermanently) => {
                    return reply(552, EnhancedStatusCode::MAILBOX_FULL, format!("{path}: Mailbox full"));
                }
                Some(MailboxState::Disabled) => {
                    return reply(
                        550,
                        enhanced(StatusClass::PermanentFailure, 2, 1),
                        format!("{path}: Mailbox disabled, not accepting messages"),
                    );
                }
                _ => {}
            }
        }
        if let Some(delay) = self.greylist_delay {
            use std::fmt::Write as _;
            // "client sender recipient", written in one go. Writing to a String cannot fail.
            let mut triple = String::with_capacity(64);
            if let Some(ip) = session.client_ip {
                let _ = write!(triple, "{ip}");
            }
            let _ = write!(triple, " {sender} {path}");
            let now = self.now;
            let expired =
                |first: u64| now >= first.saturating_add(delay).saturating_add(GREYLIST_RETRY_WINDOW);
            if self.greylist_seen.len() >= GREYLIST_MAX_ENTRIES && !self.greylist_seen.contains_key(&triple) {
                // A full table forgets what has expired, then its oldest entries.
                self.greylist_seen.retain(|_, first| !expired(*first));
                while self.greylist_seen.len() >= GREYLIST_MAX_ENTRIES {
                    let oldest =
                        self.greylist_seen.iter().min_by_key(|(_, first)| **first).map(|(k, _)| k.clone());
                    let Some(oldest) = oldest else { break };
                    self.greylist_seen.remove(&oldest);
                }
            }
            let first = self.greylist_seen.entry(triple).or_insert(now);
            // A triple not retried within the window starts over, as if never seen.
            if expired(*first) {
                *first = now;
            }
            let first = *first;
            if self.now < first.saturating_add(delay) {
                let wait = first.saturating_add(delay) - self.now;
                return reply(
                    451,
                    EnhancedStatusCode::GREYLISTED,
                    format!("{path}: Recipient address rejected: Greylisted, try again in {wait} seconds"),
                );
            }
        }
        Verdict::Accept
    }

    fn authenticate(&mut self, _session: &SessionInfo, user: &str, password: &str) -> bool {
        self.users.get(user).is_some_and(|p| p == password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> ForwardPath {
        s.parse().expect("path")
    }

    fn code(verdict: Verdict) -> u16 {
        match verdict {
            Verdict::Accept => 250,
            Verdict::Reject(reply) => reply.code.get(),
        }
    }

    #[test]
    fn relay_local_unknown_full_and_greylisting() {
        let mut policy = MailPolicy {
            local_domains: ["example.net".to_owned()].into(),
            mailboxes: [
                ("bob@example.net".to_owned(), MailboxState::Active),
                ("full@example.net".to_owned(), MailboxState::FullTemporarily),
            ]
            .into(),
            relay_authenticated: true,
            ..MailPolicy::default()
        };
        let anon = SessionInfo::default();
        let sender = ReversePath::Null;
        let params = RcptParameters::default();
        let ask =
            |p: &mut MailPolicy, s: &SessionInfo, to: &str| code(p.recipient(s, &sender, &path(to), &params));
        assert_eq!(ask(&mut policy, &anon, "<bob@example.net>"), 250);
        assert_eq!(ask(&mut policy, &anon, "<Bob@EXAMPLE.net>"), 250);
        assert_eq!(ask(&mut policy, &anon, "<nobody@example.net>"), 550);
        assert_eq!(ask(&mut policy, &anon, "<full@example.net>"), 452);
        assert_eq!(ask(&mut policy, &anon, "<x@elsewhere.example>"), 554);
        let authed = SessionInfo { authenticated: Some("alice".into()), ..SessionInfo::default() };
        assert_eq!(ask(&mut policy, &authed, "<x@elsewhere.example>"), 250);
        assert_eq!(ask(&mut policy, &anon, "<Postmaster>"), 250);
        assert_eq!(ask(&mut policy, &anon, "<postmaster@example.net>"), 250);

        policy.greylist_delay = Some(300);
        policy.now = 1000;
        assert_eq!(ask(&mut policy, &anon, "<bob@example.net>"), 451);
        policy.now = 1299;
        assert_eq!(ask(&mut policy, &anon, "<bob@example.net>"), 451);
        policy.now = 1300;
        assert_eq!(ask(&mut policy, &anon, "<bob@example.net>"), 250);
    }

    /// Issue 15: the greylisting table cannot grow without end, and a triple that never came
    /// back within the retry window is greylisted afresh.
    #[test]
    fn the_greylisting_table_is_bounded_and_expires() {
        let mut policy = MailPolicy {
            local_domains: ["example.net".to_owned()].into(),
            mailboxes: [("bob@example.net".to_owned(), MailboxState::Active)].into(),
            greylist_delay: Some(300),
            ..MailPolicy::default()
        };
        let params = RcptParameters::default();
        let session = SessionInfo { client_ip: Some([192, 0, 2, 1].into()), ..SessionInfo::default() };
        let from = |n: usize| -> ReversePath { format!("<sender{n}@example.org>").parse().expect("path") };
        for n in 0..GREYLIST_MAX_ENTRIES + 50 {
            policy.now = n as u64;
            let verdict = policy.recipient(&session, &from(n), &path("<bob@example.net>"), &params);
            assert_eq!(code(verdict), 451);
        }
        assert!(policy.greylist_seen.len() <= GREYLIST_MAX_ENTRIES, "{}", policy.greylist_seen.len());
        // The newest triple is remembered: after its delay it passes.
        let newest = GREYLIST_MAX_ENTRIES + 49;
        policy.now = newest as u64 + 300;
        assert_eq!(code(policy.recipient(&session, &from(newest), &path("<bob@example.net>"), &params)), 250);
        // Long past the retry window it starts over.
        policy.now = newest as u64 + 300 + GREYLIST_RETRY_WINDOW;
        assert_eq!(code(policy.recipient(&session, &from(newest), &path("<bob@example.net>"), &params)), 451);
    }

    #[test]
    fn authentication_checks_the_table() {
        let mut policy =
            MailPolicy { users: [("alice".to_owned(), "s3cret".to_owned())].into(), ..MailPolicy::default() };
        let s = SessionInfo::default();
        assert!(policy.authenticate(&s, "alice", "s3cret"));
        assert!(!policy.authenticate(&s, "alice", "guess"));
        assert!(!policy.authenticate(&s, "mallory", "s3cret"));
    }
}
