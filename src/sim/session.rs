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
use super::config::{Action, HostRole};
use super::fault::{FaultPolicy, Struck};
use super::world::{ClientEnd, Conn, Event, HostState, ServerEnd, World};
use crate::engine::pop3::{Maildrop, Pop3Client, Pop3Server};
use crate::engine::{
    ClientEvent, ClientSession, CloseReason, Policy, ReceivedMessage, ServerConfig, ServerEvent,
    ServerSession,
};
use crate::mailauth::receiver::AuthReport;
use crate::proto::Verb;
use crate::proto::reply::parse_reply;
use crate::teach::explain;
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

impl HostMaildrop<'_> {
    /// The inbox of `user`; folders (`…/Junk`) are not served over POP3.
    fn mailbox_key(&self, user: &str) -> Option<String> {
        self.host
            .mailboxes
            .keys()
            .find(|k| !k.ends_with(JUNK_FOLDER) && k.split('@').next() == Some(user))
            .cloned()
    }
}

impl Maildrop for HostMaildrop<'_> {
    fn open(&mut self, user: &str, password: &str) -> Option<Vec<Vec<u8>>> {
        if self.host.config.policy.users.get(user).is_none_or(|p| p != password) {
            return None;
        }
        let key = self.mailbox_key(user);
        Some(
            key.and_then(|k| self.host.mailboxes.get(&k))
                .map(|m| m.iter().map(|s| s.data.clone()).collect())
                .unwrap_or_default(),
        )
    }

    fn delete(&mut self, user: &str, indices: &[usize]) {
        let Some(key) = self.mailbox_key(user) else { return };
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
    /// The TLS handshake after STARTTLS's 220, simulated (RFC 3207 §4.2): from here on the
    /// connection's steps are marked as encrypted.
    fn tls_handshake_step(&mut self, client: usize, server: usize, explanation: &str) {
        self.step(
            client,
            server,
            StepKind::TlsHandshake,
            None,
            true,
            "TLS handshake: from here on the connection is encrypted".into(),
            explanation.into(),
            Some("RFC 3207 §4.2".into()),
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
            Action::Retrieve { .. } => 110,
        };
        let end = match action {
            Action::Send { config, envelope, message, .. } => ClientEnd::Smtp {
                session: Box::new(ClientSession::new(*config, envelope, message)),
                job: None,
            },
            Action::Type { writes, .. } => ClientEnd::Raw { writes: writes.into() },
            Action::Retrieve { user, password, delete, .. } => {
                ClientEnd::Pop3(Pop3Client::new(user, password, delete))
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
        let server_name = self.name(server);
        let host = self.hosts.get(server)?;
        let listens = if pop3 { host.config.role == HostRole::Mx } else { host.config.smtp.is_some() };
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
                format!("TCP connection to {server_name}:{port} fails: {why}"),
                format!(
                    "{what_if}No SMTP conversation can start. A relay keeps the message queued and tries again \
                     later, or tries the next MX host."
                ),
                Some("RFC 5321 §4.5.4.1".into()),
                None,
            );
            return None;
        }
        let ip = self.hosts.get(client).map(|h| h.config.ip);
        let server_end = if pop3 {
            ServerEnd::Pop3(Pop3Server::new(&server_name))
        } else {
            let config = host.config.smtp.clone().unwrap_or_default();
            let config = ServerConfig { queue_id_seed: self.rng.next_u64(), ..config };
            ServerEnd::Smtp(Box::new(ServerSession::new(config, ip)))
        };
        let (summary, rfc) = if pop3 {
            (format!("TCP connection to {server_name} port {port} (POP3)"), "RFC 1939 §3")
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
            summary,
            "The client opens a TCP connection; the server speaks first, with its greeting.".into(),
            Some(rfc.into()),
            None,
        );
        self.conns.push(Conn {
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
            pop3_asked: VecDeque::new(),
        });
        let conn = self.conns.len() - 1;
        self.flush(conn);
        Some(conn)
    }

    pub(super) fn arrive(&mut self, conn: usize, to_server: bool, bytes: Vec<u8>) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        if c.closed {
            return;
        }
        if to_server {
            let server = c.server;
            let Some(host) = self.hosts.get_mut(server) else { return };
            let Some(c) = self.conns.get_mut(conn) else { return };
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
                        );
                    }
                }
                ClientEnd::Raw { .. } => {
                    if quiet {
                        self.next_raw_write(conn);
                    }
                }
                ClientEnd::Pop3(client) => client.handle_input(&bytes),
            }
        }
        self.flush(conn);
    }

    fn next_raw_write(&mut self, conn: usize) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        let server_closed = match &c.server_end {
            ServerEnd::Smtp(s) => s.is_closed(),
            ServerEnd::Pop3(s) => s.is_closed(),
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
                    format!("{n} typed {lines} not sent: {} has closed the connection", self.name(server)),
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
            let Some(c) = self.conns.get_mut(conn) else { return };
            let held = c.hold_until > self.now;
            // Server output first: replies travel to the client.
            let mut out = Vec::new();
            let mut events = Vec::new();
            match &mut c.server_end {
                _ if held => {}
                ServerEnd::Smtp(session) => {
                    while let Some((reply, verb)) = session.poll_answer() {
                        out.push((reply.to_bytes(), verb));
                    }
                    while let Some(event) = session.poll_event() {
                        events.push(event);
                    }
                }
                ServerEnd::Pop3(session) => {
                    while let Some(bytes) = session.poll_transmit() {
                        out.push((bytes, None));
                    }
                }
            }
            let mut progressed = !out.is_empty();
            for (bytes, verb) in out {
                self.send_from_server(conn, bytes, verb);
            }
            for event in events {
                self.server_event(conn, event);
            }
            let Some(c) = self.conns.get_mut(conn) else { return };
            if c.closed {
                // A fault dropped the connection: nothing more goes over it.
                return;
            }
            let mut writes = Vec::new();
            match &mut c.client_end {
                ClientEnd::Smtp { session, .. } => {
                    while let Some(bytes) = session.poll_transmit() {
                        writes.push(bytes);
                    }
                }
                ClientEnd::Pop3(client) => {
                    while let Some(bytes) = client.poll_transmit() {
                        writes.push(bytes);
                    }
                }
                ClientEnd::Raw { .. } => {}
            }
            progressed |= !writes.is_empty();
            for bytes in writes {
                self.send_from_client(conn, bytes);
            }
            if !progressed {
                break;
            }
        }
        if self.conns.get(conn).is_some_and(|c| c.hold_until <= self.now) {
            self.maybe_close(conn);
        }
    }

    fn send_from_server(&mut self, conn: usize, bytes: Vec<u8>, verb: Option<Verb>) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        c.in_flight_to_client += 1;
        let (client, server, tls) = (c.client, c.server, c.tls);
        let pop3 = matches!(c.server_end, ServerEnd::Pop3(_));
        if pop3 {
            let asked = self.conns.get_mut(conn).and_then(|c| c.pop3_asked.pop_front());
            let (summary, explanation, rfc) = explain::pop3_response(&bytes, asked.as_deref());
            self.step(
                server,
                client,
                StepKind::Retrieval,
                Some(&bytes),
                tls,
                summary,
                explanation,
                Some(rfc),
                None,
            );
        } else {
            let (summary, mut explanation, rfc) = explain::reply_text(&bytes, verb);
            if let Some(c) = self.conns.get_mut(conn)
                && c.injected.front().is_some_and(|injected| same_reply(injected, &bytes))
            {
                c.injected.pop_front();
                explanation = format!(
                    "What if: this reply was injected by a [[fault]] of the scenario; the server would have \
                     answered otherwise. {explanation}"
                );
            }
            let code = parse_reply(&bytes).map(|r| r.code.get());
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

    pub(super) fn send_from_client(&mut self, conn: usize, bytes: Vec<u8>) {
        let Some(c) = self.conns.get(conn) else { return };
        let (client, server, tls) = (c.client, c.server, c.tls);
        let in_data = matches!(&c.server_end, ServerEnd::Smtp(s) if s.in_data());
        let pop3 = matches!(c.server_end, ServerEnd::Pop3(_));
        if pop3 {
            let (summary, explanation, rfc) = explain::pop3_command(&bytes);
            if let Some(c) = self.conns.get_mut(conn) {
                let keyword = String::from_utf8_lossy(&bytes)
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                c.pop3_asked.push_back(keyword);
            }
            self.step(
                client,
                server,
                StepKind::Retrieval,
                Some(&bytes),
                tls,
                summary,
                explanation,
                Some(rfc),
                None,
            );
        } else if in_data || is_message_data(&bytes) {
            let (summary, explanation) = explain::data_text(&bytes);
            self.step(
                client,
                server,
                StepKind::Data,
                Some(&bytes),
                tls,
                summary,
                explanation,
                Some("RFC 5321 §4.1.1.4, §4.5.2".into()),
                None,
            );
        } else {
            for line in split_lines(&bytes) {
                let (summary, explanation, rfc) = explain::command_line(line);
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
        let Some(c) = self.conns.get_mut(conn) else { return };
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
                    );
                }
            }
            ServerEvent::PipelinedInputDiscarded { octets } => self.note(
                server,
                StepKind::Note,
                None,
                format!("The server discards {octets} octets sent after STARTTLS"),
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
                format!("{user} is authenticated"),
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
                && let Some(c) = self.conns.get_mut(conn)
            {
                c.injected.push_back(reply.to_bytes());
            }
            self.note(
                server,
                StepKind::Note,
                None,
                format!("What if: {}", s.description),
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
        let Some(c) = self.conns.get_mut(conn) else { return };
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
            ClientEnd::Pop3(_) => None,
        };
        let server_name = self.name(server);
        self.step(
            client,
            server,
            StepKind::TcpClose,
            None,
            false,
            format!("What if: the connection to {server_name} is lost, with no reply"),
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
    }

    fn maybe_close(&mut self, conn: usize) {
        let Some(c) = self.conns.get_mut(conn) else { return };
        if c.closed {
            return;
        }
        let server_closed = match &c.server_end {
            ServerEnd::Smtp(s) => s.is_closed(),
            ServerEnd::Pop3(s) => s.is_closed(),
        };
        let client_done = match &c.client_end {
            ClientEnd::Smtp { session, .. } => session.is_done(),
            ClientEnd::Pop3(client) => client.is_done(),
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
    }

    /// The client events of a relay's session, for its delivery job.
    pub(super) fn client_events(&mut self, conn: usize) -> Vec<ClientEvent> {
        match self.conns.get_mut(conn).map(|c| &mut c.client_end) {
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

/// Splits a write into its CRLF-terminated lines (a pipelined group is several).
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            lines.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        lines.push(&bytes[start..]);
    }
    lines
}
