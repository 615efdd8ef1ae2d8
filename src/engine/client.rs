//! The sending side of an SMTP session (RFC 5321 §3.3, §4.1.1), sans-IO: replies go in
//! with [`ClientSession::handle_input`], commands and data come out of
//! [`ClientSession::poll_transmit`].
//!
//! It delivers one transaction the way a careful client does: EHLO, falling back to
//! HELO on 500/502; STARTTLS when offered or required (RFC 3207); AUTH PLAIN or LOGIN
//! (RFC 4954); SIZE, BODY, SMTPUTF8 and DSN parameters only when the server advertised
//! them; PIPELINING of MAIL, RCPT and DATA (RFC 2920); BDAT when CHUNKING is offered and
//! wanted (RFC 3030); and a per-recipient outcome for the relay's queue and its DSNs.

use std::collections::VecDeque;

use super::envelope::{Envelope, Recipient};
use crate::proto::{
    Body, Command, EhloReply, ForwardPath, Host, MailParameters, Mechanism, RcptParameters, Reply,
    SaslResponse, command,
    data::{crlf_len, crlf_lines, dot_stuff},
    reply::{ReplyView, reply_view},
    sasl::{self, PlainCredentials},
};

/// When to upgrade to TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Never send STARTTLS.
    Never,
    /// Upgrade when the server offers STARTTLS (opportunistic, as MTAs do).
    #[default]
    Opportunistic,
    /// Give up unless the server offers STARTTLS (as submission clients should).
    Required,
}

/// A user name and password for AUTH.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

/// How the client behaves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ClientConfig {
    /// The name given in EHLO/HELO (RFC 5321 §4.1.4: the client's primary host name).
    pub helo: Host,
    /// Start with EHLO (true) or HELO, as the seed's telnet session does.
    pub ehlo: bool,
    pub tls: TlsMode,
    pub credentials: Option<Credentials>,
    /// Pipeline MAIL/RCPT/DATA when PIPELINING is offered.
    pub pipelining: bool,
    /// Send the message with BDAT when CHUNKING is offered.
    pub chunking: bool,
    /// Declare SIZE when the server advertises it.
    pub declare_size: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::with_helo(Host::Domain(
            crate::proto::Domain::new("client.example.com").expect("a valid constant domain"),
        ))
    }
}

impl ClientConfig {
    /// The default behaviour under the name `helo` (without building the default name
    /// first, as `..Default::default()` would: a relay makes one per delivery).
    pub fn with_helo(helo: Host) -> Self {
        Self {
            helo,
            ehlo: true,
            tls: TlsMode::Opportunistic,
            credentials: None,
            pipelining: true,
            chunking: false,
            declare_size: true,
        }
    }
}

/// What happened to one recipient.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RecipientStatus {
    /// The server took the message for this recipient (250 after the data).
    Delivered(Reply),
    /// Try again later (4yz, or the connection failed).
    Deferred(Reply),
    /// Do not try again: bounce (5yz).
    Failed(Reply),
}

impl RecipientStatus {
    pub fn reply(&self) -> &Reply {
        match self {
            RecipientStatus::Delivered(r) | RecipientStatus::Deferred(r) | RecipientStatus::Failed(r) => r,
        }
    }

    fn from_reply(reply: &Reply) -> Self {
        if reply.code.is_positive() {
            RecipientStatus::Delivered(reply.clone())
        } else if reply.code.is_permanent() {
            RecipientStatus::Failed(reply.clone())
        } else {
            RecipientStatus::Deferred(reply.clone())
        }
    }
}

/// Something the client session learned, in the order it happened. (Each reply itself is
/// not an event: the owner fed its bytes in, and a copy of every reply would cost a run of a
/// thousand messages tens of thousands of allocations for nothing.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The EHLO reply, typed.
    CapabilitiesReceived(EhloReply),
    /// The server fell back to HELO: EHLO was answered 500/502.
    FellBackToHelo,
    /// The server answered 220 to STARTTLS: the owner runs the handshake now and then
    /// calls [`ClientSession::tls_established`].
    TlsRequested,
    Authenticated,
    /// RCPT was answered: accepted now, or refused for good or for now.
    RecipientAnswered {
        recipient: ForwardPath,
        reply: Reply,
    },
    /// The server took responsibility for the message (250 after the data).
    MessageAccepted(Reply),
    /// The session could not deliver; every recipient without an outcome got this reply.
    TransactionFailed(Reply),
    /// The session ended (221 to QUIT, or the connection closed).
    Finished,
}

/// What the client waits for next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    ExpectGreeting,
    ExpectEhloReply,
    ExpectHeloReply,
    ExpectStartTlsReply,
    /// The owner is running the TLS handshake.
    Handshaking,
    ExpectAuthReply {
        mechanism: Mechanism,
        step: u8,
    },
    /// Replies to MAIL, then each RCPT, then DATA (or BDAT), possibly pipelined.
    ExpectTransactionReplies,
    ExpectDataEndReply,
    ExpectQuitReply,
    Done,
}

/// Which reply of the transaction comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Mail,
    Rcpt(usize),
    Data,
}

/// A sans-IO SMTP client session delivering one message to one server.
#[derive(Debug)]
pub struct ClientSession {
    config: ClientConfig,
    envelope: Envelope,
    message: Vec<u8>,
    state: State,
    input: Vec<u8>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<ClientEvent>,
    capabilities: Option<EhloReply>,
    tls: bool,
    pending: VecDeque<Pending>,
    statuses: Vec<Option<RecipientStatus>>,
    mail_accepted: bool,
}

/// The most a hostile server can make the client buffer before it gives up.
const MAX_REPLY_BUFFER: usize = 64 * 1024;

impl ClientSession {
    /// A session that will deliver `message` (RFC 5322 text) under `envelope`.
    pub fn new(config: ClientConfig, envelope: Envelope, message: impl Into<Vec<u8>>) -> Self {
        let statuses = vec![None; envelope.recipients.len()];
        Self {
            config,
            envelope,
            message: message.into(),
            state: State::ExpectGreeting,
            input: Vec::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            capabilities: None,
            tls: false,
            pending: VecDeque::new(),
            statuses,
            mail_accepted: false,
        }
    }

    /// Feeds bytes received from the server.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        // After the end nothing is read (nor kept). During the TLS handshake no plaintext
        // reply can be valid (RFC 3207 §4.2).
        if matches!(self.state, State::Done | State::Handshaking) {
            return;
        }
        // Replies are read where they lie: in `bytes` when nothing was left over from the
        // last read (the usual case), else in the buffer with `bytes` after it. Only what
        // is left unread (a reply cut short) is kept.
        let mut buffered = std::mem::take(&mut self.input);
        let input: &[u8] = if buffered.is_empty() {
            bytes
        } else {
            buffered.extend_from_slice(bytes);
            &buffered
        };
        let mut unread = input;
        while self.state != State::Done {
            match reply_view(unread) {
                Ok((rest, parsed)) => {
                    unread = rest;
                    self.handle_reply(parsed);
                    if self.state == State::Handshaking {
                        // RFC 3207 §4.2: what follows the 220 in plaintext was not sent
                        // under TLS and may be injected ("STARTTLS response injection").
                        unread = &[];
                        break;
                    }
                }
                Err(nom::Err::Incomplete(_)) if unread.len() <= MAX_REPLY_BUFFER => break,
                Err(_) if self.state == State::ExpectQuitReply => {
                    // Still no SMTP after QUIT: stop listening.
                    unread = &[];
                    self.finish();
                }
                Err(_) => {
                    // Not SMTP: the server is broken; treat it as a temporary failure.
                    unread = &[];
                    let reply = local_reply(451, "4.5.0", "Server sent something that is not an SMTP reply");
                    self.fail_transaction(reply);
                    self.quit();
                    break;
                }
            }
        }
        self.input = unread.to_vec();
    }

    /// The next bytes to send: one command line, or the whole message data.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// Whether the session has ended.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Whether the owner should now run the TLS handshake.
    pub fn is_handshaking(&self) -> bool {
        self.state == State::Handshaking
    }

    /// Whether the session runs under TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The server's EHLO reply, once received.
    pub fn capabilities(&self) -> Option<&EhloReply> {
        self.capabilities.as_ref()
    }

    /// The owner finished the TLS handshake: send EHLO again (RFC 3207 §4.2).
    pub fn tls_established(&mut self) {
        if self.state == State::Handshaking {
            self.tls = true;
            self.capabilities = None;
            self.input.clear();
            self.send(Command::Ehlo(self.config.helo.clone()));
            self.state = State::ExpectEhloReply;
        }
    }

    /// The connection closed or failed: recipients still open are deferred.
    pub fn connection_lost(&mut self, reason: &str) {
        if self.state != State::Done {
            self.fail_transaction(local_reply(421, "4.4.2", reason));
            self.finish();
        }
    }

    /// Each recipient with its outcome (`None`: not reached yet).
    pub fn outcomes(&self) -> impl Iterator<Item = (&Recipient, Option<&RecipientStatus>)> {
        self.envelope.recipients.iter().zip(self.statuses.iter().map(Option::as_ref))
    }

    /// Each recipient with its outcome, taken out of the session: for an owner that is done
    /// with it (it has ended), so they need not be copied. [`ClientSession::outcomes`] is
    /// empty after.
    pub fn take_outcomes(&mut self) -> Vec<(Recipient, Option<RecipientStatus>)> {
        let recipients = std::mem::take(&mut self.envelope.recipients);
        recipients.into_iter().zip(std::mem::take(&mut self.statuses)).collect()
    }

    fn send(&mut self, command: Command) {
        self.transmit.push_back(command.to_bytes());
    }

    /// Sends a command line written without its CRLF.
    fn send_line(&mut self, mut line: String) {
        line.push_str("\r\n");
        self.transmit.push_back(line.into_bytes());
    }

    fn quit(&mut self) {
        self.send(Command::Quit);
        self.state = State::ExpectQuitReply;
    }

    fn finish(&mut self) {
        self.state = State::Done;
        self.events.push_back(ClientEvent::Finished);
    }

    /// Every recipient without an outcome gets `reply`'s.
    fn fail_transaction(&mut self, reply: Reply) {
        // A 2yz or 3yz where the client expected something else is a protocol error, not
        // a delivery: defer, as for any other broken conversation.
        let reply = if reply.code.is_positive() || reply.code.is_intermediate() {
            local_reply(451, "4.5.0", &format!("Unexpected reply {} from the server", reply.code))
        } else {
            reply
        };
        let mut any = false;
        for status in self.statuses.iter_mut().filter(|s| s.is_none()) {
            *status = Some(RecipientStatus::from_reply(&reply));
            any = true;
        }
        if any {
            self.events.push_back(ClientEvent::TransactionFailed(reply));
        }
    }

    fn offered(&self, keyword: &str) -> bool {
        self.capabilities.as_ref().is_some_and(|c| c.has(keyword))
    }

    fn handle_reply(&mut self, reply: ReplyView<'_>) {
        let code = reply.code;
        // 421 at any point: the server is closing (RFC 5321 §3.8).
        if code.get() == 421 {
            self.fail_transaction(reply.to_reply());
            self.finish();
            return;
        }
        match self.state.clone() {
            State::ExpectGreeting if code.get() == 220 => {
                let helo = self.config.helo.clone();
                if self.config.ehlo {
                    self.send(Command::Ehlo(helo));
                    self.state = State::ExpectEhloReply;
                } else {
                    self.send(Command::Helo(helo));
                    self.state = State::ExpectHeloReply;
                }
            }
            // RFC 5321 §3.2: a server that does not know EHLO answers 500 or 502;
            // the client then tries HELO.
            State::ExpectEhloReply if matches!(code.get(), 500 | 502) => {
                self.events.push_back(ClientEvent::FellBackToHelo);
                self.send(Command::Helo(self.config.helo.clone()));
                self.state = State::ExpectHeloReply;
            }
            State::ExpectEhloReply if code.is_positive() => {
                let capabilities = EhloReply::from_view(&reply);
                if let Some(c) = &capabilities {
                    self.events.push_back(ClientEvent::CapabilitiesReceived(c.clone()));
                }
                self.capabilities = capabilities;
                self.after_greeting();
            }
            State::ExpectHeloReply if code.is_positive() => {
                self.capabilities = None;
                self.after_greeting();
            }
            State::ExpectStartTlsReply if code.get() == 220 => {
                self.state = State::Handshaking;
                self.events.push_back(ClientEvent::TlsRequested);
            }
            State::ExpectStartTlsReply if self.config.tls == TlsMode::Opportunistic => {
                // Opportunistic TLS: carry on in plaintext when the upgrade is refused.
                self.after_tls_decision();
            }
            State::ExpectAuthReply { mechanism, step } => self.auth_reply(mechanism, step, reply),
            State::ExpectTransactionReplies => self.transaction_reply(reply),
            State::ExpectDataEndReply => {
                if code.is_positive() {
                    let reply = reply.to_reply();
                    for status in self.statuses.iter_mut().filter(|s| s.is_none()) {
                        *status = Some(RecipientStatus::Delivered(reply.clone()));
                    }
                    self.events.push_back(ClientEvent::MessageAccepted(reply));
                } else {
                    self.fail_transaction(reply.to_reply());
                }
                self.quit();
            }
            State::ExpectQuitReply => self.finish(),
            State::Done | State::Handshaking => {}
            _ => {
                // Any other refusal ends the attempt.
                self.fail_transaction(reply.to_reply());
                self.quit();
            }
        }
    }

    fn after_greeting(&mut self) {
        let wants_tls = self.config.tls != TlsMode::Never && !self.tls;
        if wants_tls && self.offered("STARTTLS") {
            self.send(Command::StartTls);
            self.state = State::ExpectStartTlsReply;
            return;
        }
        if self.config.tls == TlsMode::Required && !self.tls {
            self.fail_transaction(local_reply(
                530,
                "5.7.10",
                "The server does not offer STARTTLS, which is required",
            ));
            self.quit();
            return;
        }
        self.after_tls_decision();
    }

    fn after_tls_decision(&mut self) {
        let Some(credentials) = self.config.credentials.clone() else { return self.start_transaction() };
        let offered = self.capabilities.as_ref().map(|c| c.auth_mechanisms().to_vec()).unwrap_or_default();
        if offered.contains(&Mechanism::Plain) {
            // RFC 4954 §4: PLAIN with an initial response saves a round trip.
            let message = PlainCredentials {
                authzid: String::new(),
                authcid: credentials.user,
                password: credentials.password,
            };
            let initial_response = Some(SaslResponse::Data(message.to_message()));
            self.send(Command::Auth { mechanism: Mechanism::Plain, initial_response });
            self.state = State::ExpectAuthReply { mechanism: Mechanism::Plain, step: 0 };
        } else if offered.contains(&Mechanism::Login) {
            self.send(Command::Auth { mechanism: Mechanism::Login, initial_response: None });
            self.state = State::ExpectAuthReply { mechanism: Mechanism::Login, step: 0 };
        } else {
            // Without AUTH a submission server will refuse MAIL with 530; let it say so.
            self.start_transaction();
        }
    }

    fn auth_reply(&mut self, mechanism: Mechanism, step: u8, reply: ReplyView<'_>) {
        let code = reply.code.get();
        let credentials = self.config.credentials.clone();
        match (code, credentials) {
            (235, _) => {
                self.events.push_back(ClientEvent::Authenticated);
                self.start_transaction();
            }
            (334, Some(c)) if mechanism == Mechanism::Login && step < 2 => {
                let answer = if step == 0 { c.user } else { c.password };
                self.transmit.push_back(format!("{}\r\n", sasl::encode(answer.as_bytes())).into_bytes());
                self.state = State::ExpectAuthReply { mechanism, step: step + 1 };
            }
            (334, _) => {
                // A challenge we cannot answer: cancel (RFC 4954 §4).
                self.transmit.push_back(b"*\r\n".to_vec());
                self.state = State::ExpectAuthReply { mechanism, step: u8::MAX };
            }
            _ => {
                self.fail_transaction(reply.to_reply());
                self.quit();
            }
        }
    }

    /// MAIL, every RCPT and DATA: pipelined in one group when the server allows it.
    fn start_transaction(&mut self) {
        if self.envelope.recipients.is_empty() {
            // A transaction needs at least one RCPT (RFC 5321 §3.3): nothing to send.
            return self.quit();
        }
        // Every parameter is decided afresh from what this server offers (RFC 5321
        // §4.1.1.11): nothing is copied blindly from the envelope, which may come from
        // another hop (a relay's incoming MAIL had its own SIZE and BODY).
        let wanted = &self.envelope.mail_params;
        let mut params = MailParameters::default();
        if self.config.declare_size && self.offered("SIZE") {
            // RFC 1870 §5: CRLF line ends counted, the terminating dot and the doubled
            // quoting dots not.
            params.size = Some(crlf_len(&self.message) as u64);
        }
        let eight_bit = !self.message.is_ascii();
        if eight_bit && self.offered("8BITMIME") {
            params.body = Some(Body::EightBitMime);
        }
        // RFC 6531 §3.2: UTF-8 in the envelope or in the header section needs SMTPUTF8
        // (a UTF-8 body alone only needs 8BITMIME). An ASCII message has no UTF-8 header.
        if self.envelope.needs_smtputf8() || (eight_bit && !header_section(&self.message).is_ascii()) {
            if !self.offered("SMTPUTF8") {
                let reply = local_reply(
                    553,
                    "5.6.7",
                    "The server does not support SMTPUTF8, needed for these addresses or headers",
                );
                self.fail_transaction(reply);
                return self.quit();
            }
            params.smtputf8 = true;
        }
        if self.offered("DSN") {
            params.ret = wanted.ret;
            params.envid = wanted.envid.clone();
        }
        if self.offered("AUTH") {
            params.auth = wanted.auth.clone();
        }
        let mut line = String::with_capacity(64);
        command::write_mail(&mut line, &self.envelope.reverse_path, &params);
        self.send_line(line);
        self.pending.push_back(Pending::Mail);
        let pipelining = self.config.pipelining && self.offered("PIPELINING");
        if pipelining {
            for i in 0..self.envelope.recipients.len() {
                self.send_rcpt(i);
            }
            self.send_data_command();
        }
        self.state = State::ExpectTransactionReplies;
    }

    fn send_rcpt(&mut self, index: usize) {
        let Some(recipient) = self.envelope.recipients.get(index) else { return };
        let mut line = String::with_capacity(64);
        if self.offered("DSN") {
            command::write_rcpt(&mut line, &recipient.path, &recipient.params);
        } else {
            let params = RcptParameters { notify: None, orcpt: None, ..recipient.params.clone() };
            command::write_rcpt(&mut line, &recipient.path, &params);
        }
        self.send_line(line);
        self.pending.push_back(Pending::Rcpt(index));
    }

    fn use_bdat(&self) -> bool {
        self.config.chunking && self.offered("CHUNKING")
    }

    fn send_data_command(&mut self) {
        if self.use_bdat() {
            // RFC 3030 §2: the whole message as one last chunk, no dot-stuffing; its lines
            // end in CRLF as with DATA (no BINARYMIME here).
            let message = crlf_lines(&self.message);
            self.send(Command::Bdat { size: message.len() as u64, last: true });
            self.transmit.push_back(message);
            self.pending.push_back(Pending::Data);
        } else {
            self.send(Command::Data);
            self.pending.push_back(Pending::Data);
        }
    }

    fn transaction_reply(&mut self, reply: ReplyView<'_>) {
        let Some(pending) = self.pending.pop_front() else { return };
        let pipelined = self.config.pipelining && self.offered("PIPELINING");
        match pending {
            Pending::Mail => {
                if reply.code.is_positive() {
                    self.mail_accepted = true;
                    if !pipelined {
                        self.send_rcpt(0);
                    }
                } else {
                    // MAIL refused: every recipient shares the sender's fate. In a
                    // pipelined group the server answers the rest with 503s first.
                    self.fail_transaction(reply.to_reply());
                    if !pipelined || self.pending.is_empty() {
                        self.pending.clear();
                        self.quit();
                    }
                }
            }
            Pending::Rcpt(index) => {
                let reply = reply.to_reply();
                if !reply.code.is_positive()
                    && self.mail_accepted
                    && let Some(status) = self.statuses.get_mut(index)
                {
                    *status = Some(RecipientStatus::from_reply(&reply));
                }
                if let Some(recipient) = self.envelope.recipients.get(index) {
                    self.events.push_back(ClientEvent::RecipientAnswered {
                        recipient: recipient.path.clone(),
                        reply,
                    });
                }
                if !pipelined {
                    if index + 1 < self.envelope.recipients.len() {
                        self.send_rcpt(index + 1);
                    } else if self.statuses.iter().any(Option::is_none) {
                        self.send_data_command();
                    } else {
                        // No recipient accepted: do not send DATA (RFC 5321 §3.3).
                        self.quit();
                    }
                }
            }
            Pending::Data => {
                let accepted = self.statuses.iter().any(Option::is_none) && self.mail_accepted;
                if self.use_bdat() {
                    // BDAT's reply is the end-of-data reply.
                    self.state = State::ExpectDataEndReply;
                    return self.handle_reply(reply);
                }
                match reply.code.get() {
                    354 if accepted => {
                        self.transmit.push_back(dot_stuff(&self.message));
                        self.state = State::ExpectDataEndReply;
                    }
                    354 => {
                        // RFC 2920 §3.1: DATA was pipelined but no recipient was accepted;
                        // end the data at once, with no message.
                        self.transmit.push_back(b".\r\n".to_vec());
                        self.state = State::ExpectDataEndReply;
                    }
                    _ => {
                        self.fail_transaction(reply.to_reply());
                        self.quit();
                    }
                }
            }
        }
    }
}

/// The header section of a message: everything before the first empty line.
fn header_section(message: &[u8]) -> &[u8] {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| message.windows(2).position(|w| w == b"\n\n"));
    end.map_or(message, |i| &message[..i])
}

/// A reply the client makes up for its own failures (no server said it), so the relay
/// and DSNs have a code to report.
fn local_reply(code: u16, enhanced: &str, text: &str) -> Reply {
    let code = crate::proto::ReplyCode::new(code).unwrap_or(crate::proto::ReplyCode::SYNTAX_ERROR);
    match enhanced.parse() {
        Ok(enhanced) => Reply::with_enhanced(code, enhanced, text),
        Err(_) => Reply::new(code, text),
    }
}
