//! Connections in the world: a client end (an SMTP client session, a learner's typed lines
//! or a POP3 client) and a server end (an SMTP or POP3 server session) on two hosts. Bytes
//! written at `t` arrive at `t + latency`; each write is a step, worded by
//! [`crate::teach::explain`]. The server answers with its host's policy, wrapped by the
//! authentication checks ([`super::auth`]) and the injected faults ([`super::fault`]).
//!
//! What a session hands on — an accepted message, the end of a relay's own delivery
//! session — goes up through [`Delivery`], which the relay implements ([`super::relay`]):
//! this file never calls the relay by name, so the dependency goes one way.

use std::collections::VecDeque;

use super::auth::{AuthPolicy, JUNK_FOLDER};
use super::config::{Action, HostRole, Retrieval};
use super::fault::{FaultPolicy, Struck};
use super::words;
use super::world::{ClientEnd, Conn, Event, HostState, ServerEnd, World};
use crate::engine::imap::{
    ClientAuth, ImapClient, ImapClientConfig, ImapServer, ImapServerConfig, MemoryMailstore,
    StoredMessage as ImapMessage,
};
use crate::engine::pop3::{Maildrop, Pop3Client, Pop3Server};
use crate::engine::{
    ClientEvent, ClientSession, CloseReason, Policy, ReceivedMessage, ServerConfig, ServerEvent,
    ServerSession,
};
use crate::mailauth::receiver::AuthReport;
use crate::message::format_imap_date;
use crate::proto::imap::{Atom, DateTime, Mailbox};
use crate::proto::reply::parse_reply;
use crate::proto::{Reply, Verb};
use crate::teach::{explain, imap as explain_imap};
use crate::timeline::{Change, StepKind};

/// What the sessions hand up to the relay above them. The world implements it in relay.rs;
/// the sessions call only this.
pub(super) trait Delivery {
    /// A server took a message (its 250 after the data): trace fields, then a mailbox or the
    /// queue. `auth` is what the server's authentication checks found, if it ran them.
    fn accept_message(
        &mut self,
        host: usize,
        client: usize,
        message: ReceivedMessage,
        auth: Option<AuthReport>,
    );

    /// The delivery session of relay job `job`, on connection `conn`, has ended (closed, or lost).
    fn session_finished(&mut self, job: usize, conn: usize);
}

/// The POP3 maildrop of one host: users log in with the policy's passwords and see the
/// mailbox whose local part is their user name.
struct HostMaildrop<'a> {
    host: &'a mut HostState,
    /// The run's changes, where a deletion is recorded.
    changes: &'a mut Vec<Change>,
}

/// The inbox of `user` at `host`: the mailbox whose local part is the user name. Folders
/// (`…/Junk`) are not served over POP3, which knows one maildrop per user.
fn inbox_key(host: &HostState, user: &str) -> Option<String> {
    host.mailboxes.keys().find(|k| !k.ends_with(JUNK_FOLDER) && k.split('@').next() == Some(user)).cloned()
}

/// The Junk folder of `user` at `host`, where DMARC quarantine filed mail: the INBOX key
/// with [`JUNK_FOLDER`] after it, or, while the INBOX has had no mail, the first such key
/// whose local part is the user name.
fn junk_key(host: &HostState, user: &str, inbox: Option<&str>) -> Option<String> {
    match inbox {
        Some(inbox) => {
            let key = format!("{inbox}{JUNK_FOLDER}");
            host.mailboxes.contains_key(&key).then_some(key)
        }
        None => host
            .mailboxes
            .keys()
            .find(|k| k.ends_with(JUNK_FOLDER) && k.split('@').next() == Some(user))
            .cloned(),
    }
}

/// The UIDVALIDITY of every simulated mailbox (RFC 9051 §2.3.1.1): a server picks a value
/// that changes whenever the UIDs it gave could be reused; mailboxes here never are.
const UID_VALIDITY: u32 = 1;

/// The name the Junk folder has over IMAP, and its special-use attribute (RFC 6154 §2).
const JUNK_NAME: &str = "Junk";
const JUNK_ATTRIBUTE: &str = "Junk";

/// The IMAP view of one host's mail while its server reads one write: each user of the
/// host's policy, with their INBOX and, if the host filed mail there, their Junk folder
/// (marked `\Junk`), each with its UIDs and flags as the host keeps them (a copy: the
/// engine's store owns its messages). What the server changed — flags, expunged messages —
/// goes back to the host, recorded under the right mailbox key, in
/// [`HostMailstore::write_back`].
struct HostMailstore {
    store: MemoryMailstore,
    /// Each user, each IMAP mailbox of theirs and the host's mailbox key behind it, if it
    /// has one yet (an INBOX that has had no mail has none).
    mailboxes: Vec<(String, Mailbox, Option<String>)>,
}

/// The host's messages of one mailbox as IMAP messages.
fn imap_messages(host: &HostState, key: Option<&str>) -> Vec<ImapMessage> {
    let Some(messages) = key.and_then(|k| host.mailboxes.get(k)) else { return Vec::new() };
    messages
        .iter()
        .filter_map(|m| {
            let internal_date = DateTime::try_from(format_imap_date(m.stored_at).as_str()).ok()?;
            Some(ImapMessage { uid: m.uid, flags: m.flags.clone(), internal_date, bytes: m.data.clone() })
        })
        .collect()
}

impl HostMailstore {
    fn new(host: &HostState) -> Self {
        let mut store = MemoryMailstore::new();
        let mut mailboxes = Vec::new();
        let uid_next = |key: Option<&String>| key.and_then(|k| host.uid_next.get(k)).copied().unwrap_or(1);
        for (user, password) in &host.config.policy.users {
            let inbox = inbox_key(host, user);
            store.add_user(user, password, UID_VALIDITY, uid_next(inbox.as_ref()));
            if let Some(stored) = store.inbox_mut(user) {
                stored.messages = imap_messages(host, inbox.as_deref());
            }
            let junk = junk_key(host, user, inbox.as_deref());
            mailboxes.push((user.clone(), Mailbox::Inbox, inbox));
            let Some(junk) = junk else { continue };
            let name = Mailbox::from(JUNK_NAME);
            let attributes: Vec<Atom> = Atom::try_from(JUNK_ATTRIBUTE).into_iter().collect();
            if store.add_folder(user, JUNK_NAME, &attributes, UID_VALIDITY, uid_next(Some(&junk)))
                && let Some(stored) = store.mailbox_mut(user, &name)
            {
                stored.messages = imap_messages(host, Some(&junk));
                mailboxes.push((user.clone(), name, Some(junk)));
            }
        }
        Self { store, mailboxes }
    }

    /// Writes the server's changes back to `host`, mailbox by mailbox: new flags (a
    /// [`Change::Flagged`] each), then the expunged messages (one [`Change::Deleted`]).
    fn write_back(self, host: &mut HostState, changes: &mut Vec<Change>) {
        use crate::engine::imap::Mailstore as _;
        for (user, mailbox, key) in &self.mailboxes {
            let (Some(key), Some(now)) = (key, self.store.mailbox(user, mailbox)) else { continue };
            let Some(messages) = host.mailboxes.get_mut(key) else { continue };
            let mut expunged = Vec::new();
            for (position, message) in messages.iter_mut().enumerate() {
                match now.messages.iter().find(|m| m.uid == message.uid) {
                    Some(kept) if kept.flags != message.flags => {
                        message.flags.clone_from(&kept.flags);
                        changes.push(Change::Flagged {
                            host: host.config.name.clone(),
                            mailbox: key.clone(),
                            position,
                            flags: kept.flags.iter().map(ToString::to_string).collect(),
                        });
                    }
                    Some(_) => {}
                    None => expunged.push(position),
                }
            }
            if !expunged.is_empty() {
                messages.retain(|m| now.messages.iter().any(|i| i.uid == m.uid));
                let (host, mailbox) = (host.config.name.clone(), key.clone());
                changes.push(Change::Deleted { host, mailbox, positions: expunged });
            }
        }
    }
}

impl Maildrop for HostMaildrop<'_> {
    fn open(&mut self, user: &str, password: &str) -> Option<Vec<Vec<u8>>> {
        if self.host.config.policy.users.get(user).is_none_or(|p| p != password) {
            return None;
        }
        let key = inbox_key(self.host, user);
        Some(
            key.and_then(|k| self.host.mailboxes.get(&k))
                .map(|m| m.iter().map(|s| s.data.clone()).collect())
                .unwrap_or_default(),
        )
    }

    fn delete(&mut self, user: &str, indices: &[usize]) {
        let Some(key) = inbox_key(self.host, user) else { return };
        if let Some(messages) = self.host.mailboxes.get_mut(&key) {
            let mut i = 0;
            messages.retain(|_| {
                i += 1;
                !indices.contains(&(i - 1))
            });
            let (host, positions) = (self.host.config.name.clone(), indices.to_vec());
            self.changes.push(Change::Deleted { host, mailbox: key, positions });
        }
    }
}

impl World {
    /// The TLS handshake after STARTTLS's 220 (RFC 3207 §4.2), or at once on an implicit-TLS
    /// port (`rfc`: RFC 8314 §3), simulated: from here on the connection's steps are marked
    /// as encrypted.
    fn tls_handshake_step(
        &mut self,
        client: usize,
        server: usize,
        explanation: &'static str,
        rfc: &'static str,
    ) {
        self.step(
            client,
            server,
            StepKind::TlsHandshake,
            None,
            true,
            "TLS handshake: from here on the connection is encrypted".into(),
            explanation.into(),
            Some(rfc.into()),
            None,
        );
    }

    pub(super) fn start_action(&mut self, action: Action) {
        let (client, server) = match &action {
            Action::Send { client, server, .. }
            | Action::Type { client, server, .. }
            | Action::Retrieve { client, server, .. } => (self.host_index(client), self.host_index(server)),
        };
        let (Some(client), Some(server)) = (client, server) else { return };
        let port = match &action {
            Action::Send { port, .. } => *port,
            Action::Type { port, .. } => *port,
            Action::Retrieve { how: Retrieval::Pop3 { .. }, .. } => 110,
            Action::Retrieve { how: Retrieval::Imap { .. }, .. } => 993,
        };
        let end = match action {
            Action::Send { config, envelope, message, .. } => ClientEnd::Smtp {
                session: Box::new(ClientSession::new(*config, envelope, message)),
                job: None,
            },
            Action::Type { writes, .. } => ClientEnd::Raw { writes: writes.into() },
            Action::Retrieve { user, password, how: Retrieval::Pop3 { delete }, .. } => {
                ClientEnd::Pop3(Pop3Client::new(user, password, delete))
            }
            Action::Retrieve { user, password, how: Retrieval::Imap { mark_seen }, .. } => {
                let config = ImapClientConfig { user, password, auth: ClientAuth::Login, mark_seen };
                ClientEnd::Imap(Box::new(ImapClient::new(config)))
            }
        };
        self.connect(client, server, end, port);
    }

    /// Opens a TCP connection (or fails to: the host is down) and lets the server greet.
    /// Returns the connection's index, or `None` when nobody answered.
    pub(super) fn connect(
        &mut self,
        client: usize,
        server: usize,
        end: ClientEnd,
        port: u16,
    ) -> Option<usize> {
        let pop3 = matches!(end, ClientEnd::Pop3(_));
        let imap = matches!(end, ClientEnd::Imap(_));
        let server_name = self.lane(server);
        let host = self.hosts.get(server)?;
        let listens =
            if pop3 || imap { host.config.role == HostRole::Mx } else { host.config.smtp.is_some() };
        if host.is_down(self.now) || !listens {
            let why = if listens { "the host is down" } else { "nothing listens on that port" };
            let now = self.now;
            let by_fault =
                self.fault_down.iter().any(|&(h, from, to)| h == server && (from..to).contains(&now));
            let what_if = if by_fault && listens {
                format!(
                    "What if: a [[fault]] of the scenario takes {server_name} down at this time (action = \"down\"). "
                )
            } else {
                String::new()
            };
            self.step(
                client,
                server,
                StepKind::TcpRefused,
                None,
                false,
                format!("TCP connection to {server_name}:{port} fails: {why}").into(),
                format!(
                    "{what_if}No SMTP conversation can start. A relay keeps the message queued and tries again \
                     later, or tries the next MX host."
                ).into(),
                Some("RFC 5321 §4.5.4.1".into()),
                None,
            );
            return None;
        }
        let ip = self.hosts.get(client).map(|h| h.config.ip);
        let server_end = if pop3 {
            ServerEnd::Pop3(Pop3Server::new(&server_name))
        } else if imap {
            // Port 993: TLS from the first byte, so no STARTTLS and no LOGINDISABLED.
            let config = ImapServerConfig {
                starttls: false,
                implicit_tls: true,
                ..ImapServerConfig::new(&server_name)
            };
            ServerEnd::Imap(Box::new(ImapServer::new(config)))
        } else {
            let config = host.config.smtp.clone().unwrap_or_default();
            let config = ServerConfig { queue_id_seed: self.rng.next_u64(), ..config };
            ServerEnd::Smtp(Box::new(ServerSession::new(config, ip)))
        };
        let (summary, rfc) = if pop3 {
            (format!("TCP connection to {server_name} port {port} (POP3)"), "RFC 1939 §3")
        } else if imap {
            (
                format!("TCP connection to {server_name} port {port} (IMAP over TLS)"),
                "RFC 9051 §2.1; RFC 8314 §3",
            )
        } else if port == 587 {
            (format!("TCP connection to {server_name} port 587 (message submission)"), "RFC 6409 §3.1")
        } else {
            (format!("TCP connection to {server_name} port {port} (SMTP)"), "RFC 5321 §3.1")
        };
        self.step(
            client,
            server,
            StepKind::TcpConnect,
            None,
            false,
            summary.into(),
            "The client opens a TCP connection; the server speaks first, with its greeting.".into(),
            Some(rfc.into()),
            None,
        );
        self.conns.push(Some(Conn {
            client,
            server,
            client_end: end,
            server_end,
            tls: false,
            closed: false,
            in_flight_to_client: 0,
            hold_until: 0,
            pending_auth: VecDeque::new(),
            injected: VecDeque::new(),
            asked: VecDeque::new(),
            continuing: None,
        }));
        let conn = self.conns.len() - 1;
        if imap {
            // Implicit TLS (RFC 8314 §3): the handshake comes before the server's greeting.
            if let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) {
                c.tls = true;
            }
            self.tls_handshake_step(
                client,
                server,
                "Port 993 is IMAP inside TLS from the first byte (implicit TLS): the keys are agreed before \
                 any IMAP is spoken, so the password the client sends later is never visible on the network. \
                 (Port 143 starts in the clear and upgrades with STARTTLS.)",
                "RFC 8314 §3",
            );
        }
        self.flush(conn);
        Some(conn)
    }

    pub(super) fn arrive(&mut self, conn: usize, to_server: bool, bytes: Vec<u8>) {
        let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) else { return };
        if c.closed {
            return;
        }
        if to_server {
            let server = c.server;
            let Some(host) = self.hosts.get_mut(server) else { return };
            let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) else { return };
            let mut reports = Vec::new();
            let mut struck = Vec::new();
            let answered = match &mut c.server_end {
                ServerEnd::Smtp(session) => {
                    host.config.policy.now = self.now / 1000;
                    let mut auth_policy;
                    let inner: &mut dyn Policy = if host.config.auth.authenticate {
                        auth_policy = AuthPolicy {
                            inner: &mut host.config.policy,
                            zone: &mut self.zone,
                            rng: &mut self.rng,
                            receiver: &host.config.name,
                            now: u64::try_from(self.start_unix).unwrap_or(0).saturating_add(self.now / 1000),
                            reports: &mut reports,
                        };
                        &mut auth_policy
                    } else {
                        &mut host.config.policy
                    };
                    let mut policy = FaultPolicy {
                        inner,
                        faults: &self.faults,
                        host: server,
                        host_name: &host.config.name,
                        counts: &mut self.fault_counts,
                        struck: &mut struck,
                    };
                    session.handle_input(&bytes, &mut policy);
                    session.has_replies() || session.is_closed()
                }
                ServerEnd::Pop3(session) => {
                    session.handle_input(
                        &bytes,
                        &mut HostMaildrop { host, changes: &mut self.timeline.changes },
                    );
                    true
                }
                ServerEnd::Imap(session) => {
                    let mut store = HostMailstore::new(host);
                    session.handle_input(&bytes, &mut store.store);
                    store.write_back(host, &mut self.timeline.changes);
                    true
                }
            };
            // A typed session whose write drew no reply (message text) goes on at once.
            if !answered && matches!(c.client_end, ClientEnd::Raw { .. }) {
                self.next_raw_write(conn);
            }
            if !reports.is_empty() {
                self.report_auth(conn, server, reports);
            }
            if !struck.is_empty() {
                self.faults_struck(conn, server, struck);
            }
        } else {
            c.in_flight_to_client = c.in_flight_to_client.saturating_sub(1);
            let quiet = c.in_flight_to_client == 0;
            match &mut c.client_end {
                ClientEnd::Smtp { session, .. } => {
                    session.handle_input(&bytes);
                    if session.is_handshaking() {
                        c.tls = true;
                        session.tls_established();
                        let (client, server) = (c.client, c.server);
                        self.tls_handshake_step(
                            client,
                            server,
                            "Client and server agree on keys (simulated here); an eavesdropper now sees only \
                             ciphertext. The client must start over with EHLO.",
                            "RFC 3207 §4.2",
                        );
                    }
                }
                ClientEnd::Raw { .. } => {
                    if quiet {
                        self.next_raw_write(conn);
                    }
                }
                ClientEnd::Pop3(client) => client.handle_input(&bytes),
                ClientEnd::Imap(client) => client.handle_input(&bytes),
            }
        }
        self.flush(conn);
    }

    fn next_raw_write(&mut self, conn: usize) {
        let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) else { return };
        let server_closed = match &c.server_end {
            ServerEnd::Smtp(s) => s.is_closed(),
            ServerEnd::Pop3(s) => s.is_closed(),
            ServerEnd::Imap(s) => s.is_closed(),
        };
        let (client, server) = (c.client, c.server);
        let ClientEnd::Raw { writes } = &mut c.client_end else { return };
        if server_closed {
            // The server has closed (after QUIT's 221, or a 421): what is left is not sent.
            let unsent = std::mem::take(writes);
            if !unsent.is_empty() {
                let n = unsent.len();
                let lines = if n == 1 { "line" } else { "lines" };
                self.note(
                    client,
                    StepKind::Note,
                    None,
                    format!("{n} typed {lines} not sent: {} has closed the connection", self.name(server))
                        .into(),
                    "After its last reply (221 to QUIT, or a 421) the server closes the connection, so \
                     nothing more can be sent on it; a new session needs a new connection."
                        .into(),
                    Some("RFC 5321 §4.1.1.10, §3.8".into()),
                );
            }
            return;
        }
        let Some(mut bytes) = writes.pop_front() else { return };
        // The message text is one idea, not one step per typed line: while the server reads
        // data, the lines typed up to the one that ends it go out as one write, as a paste
        // into telnet would (RFC 5321 §4.1.1.4: the server only answers at the end).
        if matches!(&c.server_end, ServerEnd::Smtp(s) if s.in_data()) {
            while !is_message_data(&bytes) {
                let Some(next) = writes.pop_front() else { break };
                bytes.extend_from_slice(&next);
            }
        }
        self.send_from_client(conn, bytes);
    }

    /// Sends everything both ends have to send, and closes the connection when done.
    pub(super) fn flush(&mut self, conn: usize) {
        loop {
            // Server output first: replies travel to the client. Each is sent as it is
            // polled: sending touches neither session.
            let mut progressed = false;
            while let Some((bytes, verb, reply)) = self.poll_server_output(conn) {
                progressed = true;
                self.send_from_server(conn, bytes, verb, reply);
            }
            while let Some(event) = self.poll_server_event(conn) {
                self.server_event(conn, event);
            }
            let Some(c) = self.conns.get(conn).and_then(Option::as_ref) else { return };
            if c.closed {
                // A fault dropped the connection: nothing more goes over it.
                return;
            }
            while let Some(bytes) = self.poll_client_output(conn) {
                progressed = true;
                self.send_from_client(conn, bytes);
            }
            if !progressed {
                break;
            }
        }
        if self.conns.get(conn).and_then(Option::as_ref).is_some_and(|c| c.hold_until <= self.now) {
            self.maybe_close(conn);
        }
    }

    /// The server's next write on `conn`, unless it is held: an SMTP reply with the command
    /// it answers, or a POP3 or IMAP answer.
    fn poll_server_output(&mut self, conn: usize) -> Option<(Vec<u8>, Option<Verb>, Option<Reply>)> {
        let c = self.conns.get_mut(conn).and_then(Option::as_mut)?;
        if c.hold_until > self.now {
            return None;
        }
        match &mut c.server_end {
            ServerEnd::Smtp(session) => {
                session.poll_answer().map(|(reply, verb)| (reply.to_bytes(), verb, Some(reply)))
            }
            ServerEnd::Pop3(session) => session.poll_transmit().map(|bytes| (bytes, None, None)),
            ServerEnd::Imap(session) => {
                // Everything the server has to say to one command is one step: its
                // untagged data, then the tagged completion (RFC 9051 §2.2.2).
                let mut answer = Vec::new();
                while let Some(bytes) = session.poll_transmit() {
                    answer.extend_from_slice(&bytes);
                }
                (!answer.is_empty()).then_some((answer, None, None))
            }
        }
    }

    /// The SMTP server's next event on `conn`, unless its output is held.
    fn poll_server_event(&mut self, conn: usize) -> Option<ServerEvent> {
        let c = self.conns.get_mut(conn).and_then(Option::as_mut)?;
        match &mut c.server_end {
            ServerEnd::Smtp(session) if c.hold_until <= self.now => session.poll_event(),
            _ => None,
        }
    }

    /// The client's next write on `conn` (a typed session writes on its own schedule).
    fn poll_client_output(&mut self, conn: usize) -> Option<Vec<u8>> {
        let c = self.conns.get_mut(conn).and_then(Option::as_mut)?;
        match &mut c.client_end {
            ClientEnd::Smtp { session, .. } => session.poll_transmit(),
            ClientEnd::Pop3(client) => client.poll_transmit(),
            ClientEnd::Imap(client) => client.poll_transmit(),
            ClientEnd::Raw { .. } => None,
        }
    }

    /// The server writes `bytes`: an SMTP `reply` (the session's own, so it is explained
    /// without reading the bytes back), or a POP3 or IMAP answer.
    fn send_from_server(&mut self, conn: usize, bytes: Vec<u8>, verb: Option<Verb>, reply: Option<Reply>) {
        let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) else { return };
        c.in_flight_to_client += 1;
        let (client, server, tls) = (c.client, c.server, c.tls);
        if !self.reader_step(conn, &bytes, false) {
            let (summary, mut explanation, rfc) = match &reply {
                Some(reply) => self.worded.reply(&bytes, verb, reply),
                None => words::shared(explain::reply_text(&bytes, verb)),
            };
            if let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut)
                && c.injected.front().is_some_and(|injected| same_reply(injected, &bytes))
            {
                c.injected.pop_front();
                explanation = format!(
                    "What if: this reply was injected by a [[fault]] of the scenario; the server would have \
                     answered otherwise. {explanation}"
                )
                .into();
            }
            let code = match &reply {
                Some(reply) => Some(reply.code.get()),
                None => parse_reply(&bytes).map(|r| r.code.get()),
            };
            self.step(
                server,
                client,
                StepKind::Reply,
                Some(&bytes),
                tls,
                summary,
                explanation,
                Some(rfc),
                code,
            );
        }
        let at = self.now.saturating_add(self.latency);
        self.schedule(at, Event::Arrive { conn, to_server: false, bytes });
    }

    /// The step of a write on a reader's connection (POP3 or IMAP), `to_server` for the
    /// client's: each answer is explained as the answer to the command it answers (`asked`),
    /// and an IMAP write after a `+` as the continuation of its command (RFC 9051 §7.6).
    /// `false`, recording nothing, on an SMTP connection.
    fn reader_step(&mut self, conn: usize, bytes: &[u8], to_server: bool) -> bool {
        let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) else { return false };
        let imap = match c.server_end {
            ServerEnd::Imap(_) => true,
            ServerEnd::Pop3(_) => false,
            ServerEnd::Smtp(_) => return false,
        };
        let (kind, (summary, explanation, rfc)) = match (imap, to_server) {
            (true, false) => {
                let asked = c.asked.pop_front();
                if bytes.starts_with(b"+") {
                    // A continuation request: the command goes on, and its end is still to come.
                    c.continuing.clone_from(&asked);
                }
                (StepKind::ImapResponse, explain_imap::response(bytes, asked.as_deref()))
            }
            (false, false) => {
                let asked = c.asked.pop_front();
                (StepKind::Retrieval, explain::pop3_response(bytes, asked.as_deref()))
            }
            (true, true) => {
                let (texts, name) = match c.continuing.take() {
                    Some(name) => (explain_imap::continuation(bytes, &name), Some(name)),
                    None => (explain_imap::command(bytes), crate::proto::imap::command_asked(bytes)),
                };
                // The server's next write answers this command (or asks for its next part).
                c.asked.extend(name);
                (StepKind::ImapCommand, texts)
            }
            (false, true) => {
                let keyword = String::from_utf8_lossy(bytes)
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                c.asked.push_back(keyword);
                (StepKind::Retrieval, explain::pop3_command(bytes))
            }
        };
        let (from, to) = if to_server { (c.client, c.server) } else { (c.server, c.client) };
        let tls = c.tls;
        self.step(
            from,
            to,
            kind,
            Some(bytes),
            tls,
            summary.into(),
            explanation.into(),
            Some(rfc.into()),
            None,
        );
        true
    }

    pub(super) fn send_from_client(&mut self, conn: usize, bytes: Vec<u8>) {
        let Some(c) = self.conns.get(conn).and_then(Option::as_ref) else { return };
        let (client, server, tls) = (c.client, c.server, c.tls);
        let in_data = matches!(&c.server_end, ServerEnd::Smtp(s) if s.in_data());
        if self.reader_step(conn, &bytes, true) {
            // A POP3 or IMAP command, recorded.
        } else if in_data || is_message_data(&bytes) {
            let (summary, explanation) = explain::data_text(&bytes);
            self.step(
                client,
                server,
                StepKind::Data,
                Some(&bytes),
                tls,
                summary.into(),
                explanation.into(),
                Some("RFC 5321 §4.1.1.4, §4.5.2".into()),
                None,
            );
        } else {
            for line in split_lines(&bytes) {
                let (summary, explanation, rfc) = self.worded.command(line);
                self.step(
                    client,
                    server,
                    StepKind::Command,
                    Some(line),
                    tls,
                    summary,
                    explanation,
                    Some(rfc),
                    None,
                );
            }
        }
        let at = self.now.saturating_add(self.latency);
        self.schedule(at, Event::Arrive { conn, to_server: true, bytes });
    }

    fn server_event(&mut self, conn: usize, event: ServerEvent) {
        let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) else { return };
        let (client, server) = (c.client, c.server);
        match event {
            ServerEvent::StartTlsAccepted => {
                // A typed session cannot run a handshake itself: the world does it, so the
                // learner sees what follows marked as encrypted (an SMTP client session
                // starts its own handshake when it reads the 220).
                if matches!(c.client_end, ClientEnd::Raw { .. }) {
                    c.tls = true;
                    self.tls_handshake_step(
                        client,
                        server,
                        "Client and server agree on keys (simulated here); the server has forgotten everything said \
                         before, so the client must say EHLO again.",
                        "RFC 3207 §4.2",
                    );
                }
            }
            ServerEvent::PipelinedInputDiscarded { octets } => self.note(
                server,
                StepKind::Note,
                None,
                format!("The server discards {octets} octets sent after STARTTLS").into(),
                "Anything pipelined after STARTTLS arrived before encryption and could be injected by an \
                 attacker; the server throws it away (CVE-2011-0411)."
                    .into(),
                Some("RFC 3207 §4.2".into()),
            ),
            ServerEvent::MessageAccepted(message) => {
                let auth = self.take_auth_report(conn);
                self.accept_message(server, client, *message, auth);
            }
            ServerEvent::Closed(CloseReason::Dropped) => self.drop_connection(conn),
            ServerEvent::Authenticated { user, .. } => self.note(
                server,
                StepKind::Note,
                None,
                format!("{user} is authenticated").into(),
                "The server now knows who is sending and lets them relay mail to other domains.".into(),
                Some("RFC 4954 §6".into()),
            ),
            _ => {}
        }
    }

    /// Faults struck while the server read the client's bytes: a "What if: …" step on the
    /// server's lane, and the injected replies remembered so their steps say so too.
    fn faults_struck(&mut self, conn: usize, server: usize, struck: Vec<Struck>) {
        for s in struck {
            if let Some(reply) = &s.reply
                && let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut)
            {
                c.injected.push_back(reply.to_bytes());
            }
            self.note(
                server,
                StepKind::Note,
                None,
                format!("What if: {}", s.description).into(),
                "A [[fault]] of the scenario makes this happen here, so you can see what the client does \
                 about it: a temporary failure (4yz, a lost connection) is retried later or at the next MX, a \
                 permanent one (5yz) comes back to the sender as a bounce."
                    .into(),
                Some("RFC 5321 §4.2.5, §4.5.4.1".into()),
            );
        }
    }

    /// A fault dropped the connection: no reply, no QUIT. The client sees the connection
    /// lost, which is a temporary failure (RFC 5321 §4.5.4.1); data whose end was not
    /// acknowledged was not accepted (§6.1), so a relay keeps the message queued.
    fn drop_connection(&mut self, conn: usize) {
        let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) else { return };
        if c.closed {
            return;
        }
        c.closed = true;
        let (client, server) = (c.client, c.server);
        let job = match &mut c.client_end {
            ClientEnd::Smtp { session, job } => {
                session.connection_lost("connection lost: the server did not answer");
                *job
            }
            ClientEnd::Raw { writes } => {
                writes.clear();
                None
            }
            ClientEnd::Pop3(_) | ClientEnd::Imap(_) => None,
        };
        let server_name = self.name(server);
        self.step(
            client,
            server,
            StepKind::TcpClose,
            None,
            false,
            format!("What if: the connection to {server_name} is lost, with no reply").into(),
            "A [[fault]] of the scenario drops the TCP connection here. The client never gets an answer: it \
             treats that as a temporary failure and keeps the message to try again later (or at the next \
             MX). If the data had been sent but not acknowledged, the message may now arrive twice (RFC 5321 \
             §6.1)."
                .into(),
            Some("RFC 5321 §4.5.4.1, §6.1".into()),
            None,
        );
        if let Some(job) = job {
            self.session_finished(job, conn);
        }
        self.release(conn);
    }

    /// Lets go of a closed connection's sessions once its job has read their outcome:
    /// events still in flight for it find nothing and are dropped, as they were when they
    /// found it closed.
    fn release(&mut self, conn: usize) {
        if let Some(slot) = self.conns.get_mut(conn) {
            *slot = None;
        }
    }

    fn maybe_close(&mut self, conn: usize) {
        let Some(c) = self.conns.get_mut(conn).and_then(Option::as_mut) else { return };
        if c.closed {
            return;
        }
        let server_closed = match &c.server_end {
            ServerEnd::Smtp(s) => s.is_closed(),
            ServerEnd::Pop3(s) => s.is_closed(),
            ServerEnd::Imap(s) => s.is_closed(),
        };
        let client_done = match &c.client_end {
            ClientEnd::Smtp { session, .. } => session.is_done(),
            ClientEnd::Pop3(client) => client.is_done(),
            ClientEnd::Imap(client) => client.is_done(),
            ClientEnd::Raw { writes } => writes.is_empty() && server_closed,
        };
        if !(server_closed && client_done) {
            return;
        }
        c.closed = true;
        let (client, server) = (c.client, c.server);
        let job = match &c.client_end {
            ClientEnd::Smtp { job, .. } => *job,
            _ => None,
        };
        let (explanation, rfc) = if matches!(c.server_end, ServerEnd::Pop3(_)) {
            (
                "The POP3 session is over: the mail client and the server close the TCP connection.",
                "RFC 1939 §6",
            )
        } else if matches!(c.server_end, ServerEnd::Imap(_)) {
            (
                "The IMAP session is over: having said BYE, the server closes the TCP connection.",
                "RFC 9051 §6.1.3",
            )
        } else {
            ("The SMTP session is over: both sides close the TCP connection.", "RFC 5321 §4.1.1.10, §3.8")
        };
        self.step(
            client,
            server,
            StepKind::TcpClose,
            None,
            false,
            "The connection closes".into(),
            explanation.into(),
            Some(rfc.into()),
            None,
        );
        if let Some(job) = job {
            self.session_finished(job, conn);
        }
        self.release(conn);
    }

    /// The client events of a relay's session, for its delivery job.
    pub(super) fn client_events(&mut self, conn: usize) -> Vec<ClientEvent> {
        match self.conns.get_mut(conn).and_then(Option::as_mut).map(|c| &mut c.client_end) {
            Some(ClientEnd::Smtp { session, .. }) => std::iter::from_fn(|| session.poll_event()).collect(),
            _ => Vec::new(),
        }
    }
}

/// Whether `sent` is the reply a fault injected as `injected`: the session may have dropped
/// its enhanced code (no ENHANCEDSTATUSCODES), replaced non-ASCII text with `?` (no
/// SMTPUTF8) or cut a long line, so the code and the text's start are compared.
fn same_reply(injected: &[u8], sent: &[u8]) -> bool {
    let (Some(a), Some(b)) = (parse_reply(injected), parse_reply(sent)) else {
        return false;
    };
    let ascii = |line: &str| -> String { line.chars().map(|c| if c.is_ascii() { c } else { '?' }).collect() };
    a.code == b.code
        && a.lines.len() == b.lines.len()
        && a.lines.iter().zip(&b.lines).all(|(a, b)| {
            let (a, b) = (ascii(a), ascii(b));
            a == b || b.strip_suffix("...").is_some_and(|cut| a.starts_with(cut))
        })
}

/// Whether client bytes are message data rather than command lines: dot-stuffed data
/// ends in `.CRLF` and has more than one line, or a BDAT chunk follows its command.
fn is_message_data(bytes: &[u8]) -> bool {
    bytes.ends_with(b"\r\n.\r\n") || bytes == b".\r\n"
}

/// Splits a write into its CRLF-terminated lines (a pipelined group is several), each
/// with its line end; an unterminated rest is a line of its own.
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split_inclusive(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::imap::Mailstore as _;
    use crate::engine::policy::MailPolicy;
    use crate::sim::config::HostConfig;
    use crate::sim::world::Stored;

    fn stored(uid: u32, text: &str) -> Stored {
        Stored {
            id: format!("id{uid}"),
            reverse_path: "alice@example.com".into(),
            recipient: "bob@example.net".into(),
            data: format!("Subject: {text}\r\n\r\n{text}\r\n").into_bytes(),
            uid,
            flags: Vec::new(),
            stored_at: 1_764_000_000,
        }
    }

    /// mx.example.net with bob's INBOX (UIDs 1, 2) and, when `junk`, his Junk folder (UID 1).
    fn host(junk: bool) -> HostState {
        let policy =
            MailPolicy { users: [("bob".to_owned(), "pw".to_owned())].into(), ..MailPolicy::default() };
        let config = HostConfig {
            name: "mx.example.net".into(),
            role: HostRole::Mx,
            ip: [198, 51, 100, 25].into(),
            smtp: None,
            policy,
            down: Vec::new(),
            auth: Default::default(),
            lists: BTreeMap::new(),
        };
        let mut mailboxes = BTreeMap::new();
        let mut uid_next = BTreeMap::new();
        mailboxes.insert("bob@example.net".to_owned(), vec![stored(1, "one"), stored(2, "two")]);
        uid_next.insert("bob@example.net".to_owned(), 3);
        if junk {
            let key = format!("bob@example.net{JUNK_FOLDER}");
            mailboxes.insert(key.clone(), vec![stored(1, "spam")]);
            uid_next.insert(key, 2);
        }
        HostState { config, queue: VecDeque::new(), mailboxes, dns_cache: BTreeMap::new(), uid_next }
    }

    /// Runs IMAP lines against the host's view, writing the changes back after each.
    fn session(host: &mut HostState, lines: &[&str]) -> (String, Vec<Change>) {
        let config =
            ImapServerConfig { login_requires_tls: false, ..ImapServerConfig::new("mx.example.net") };
        let mut server = ImapServer::new(config);
        let mut changes = Vec::new();
        let mut output = Vec::new();
        for line in lines {
            let mut store = HostMailstore::new(host);
            server.handle_input(format!("{line}\r\n").as_bytes(), &mut store.store);
            store.write_back(host, &mut changes);
            while let Some(bytes) = server.poll_transmit() {
                output.extend(bytes);
            }
        }
        (String::from_utf8_lossy(&output).into_owned(), changes)
    }

    #[test]
    fn junk_is_a_folder_with_its_special_use_and_its_own_uids() {
        let mut host = host(true);
        let store = HostMailstore::new(&host);
        let names: Vec<String> = store.store.mailboxes("bob").iter().map(|m| m.name.to_string()).collect();
        assert_eq!(names, ["INBOX", "Junk"]);
        let junk = store.store.mailbox("bob", &Mailbox::from("Junk")).map(|m| (m.uid_next, m.messages.len()));
        assert_eq!(junk, Some((2, 1)));
        let (output, _) =
            session(&mut host, &["a1 LOGIN bob pw", "a2 LIST \"\" *", "a3 STATUS Junk (MESSAGES UNSEEN)"]);
        assert!(output.contains("* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n"), "{output}");
        assert!(output.contains("* STATUS Junk (MESSAGES 1 UNSEEN 1)\r\n"), "{output}");
    }

    #[test]
    fn changes_in_junk_go_back_under_the_junk_key() {
        let mut host = host(true);
        let (_, changes) = session(
            &mut host,
            &[
                "a1 LOGIN bob pw",
                "a2 SELECT Junk",
                "a3 STORE 1 +FLAGS (\\Seen)",
                "a4 STORE 1 +FLAGS (\\Deleted)",
            ],
        );
        let junk = format!("bob@example.net{JUNK_FOLDER}");
        let flagged: Vec<(&str, usize)> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Flagged { mailbox, position, .. } => Some((mailbox.as_str(), *position)),
                _ => None,
            })
            .collect();
        assert_eq!(flagged, [(junk.as_str(), 0), (junk.as_str(), 0)]);
        assert!(host.mailboxes["bob@example.net"].iter().all(|m| m.flags.is_empty()), "INBOX untouched");
        let (_, changes) = session(&mut host, &["a1 LOGIN bob pw", "a2 SELECT Junk", "a3 EXPUNGE"]);
        assert_eq!(
            changes,
            [Change::Deleted { host: "mx.example.net".into(), mailbox: junk.clone(), positions: vec![0] }]
        );
        assert!(host.mailboxes[&junk].is_empty());
        assert_eq!(host.mailboxes["bob@example.net"].len(), 2);
        // The UID counter of Junk is its own: the next message there gets UID 2.
        let store = HostMailstore::new(&host);
        assert_eq!(store.store.mailbox("bob", &Mailbox::from("Junk")).map(|m| m.uid_next), Some(2));
    }

    #[test]
    fn without_junk_mail_there_is_only_inbox() {
        let mut host = host(false);
        let (output, _) = session(&mut host, &["a1 LOGIN bob pw", "a2 LIST \"\" *", "a3 SELECT Junk"]);
        assert!(output.contains("* LIST (\\HasNoChildren) \"/\" INBOX\r\na2 OK"), "{output}");
        assert!(output.contains("a3 NO [NONEXISTENT]"), "{output}");
    }

    #[test]
    fn junk_without_inbox_mail_is_still_found() {
        let mut host = host(true);
        host.mailboxes.remove("bob@example.net");
        let store = HostMailstore::new(&host);
        assert_eq!(store.store.inbox("bob").map(|m| m.messages.len()), Some(0));
        assert_eq!(store.store.mailbox("bob", &Mailbox::from("Junk")).map(|m| m.messages.len()), Some(1));
    }
}
