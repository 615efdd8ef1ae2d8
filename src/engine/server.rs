//! The receiving side of an SMTP session (RFC 5321 §3, §4.1.4), sans-IO: bytes go in
//! with [`ServerSession::handle_input`], replies and events come out.
//!
//! It behaves like a careful modern server, with Postfix's replies as the reference:
//! command order (503 5.5.1), syntax (500/501), limits (512-octet command lines,
//! 1000-octet text lines, 100 recipients, SIZE), PIPELINING (RFC 2920), STARTTLS (RFC
//! 3207, discarding pipelined plaintext: CVE-2011-0411), AUTH PLAIN/LOGIN (RFC 4954),
//! SMTPUTF8 (RFC 6531), 8BITMIME (RFC 6152), DSN parameters (RFC 3461), CHUNKING (RFC
//! 3030) and the bare-newline rules that stop SMTP smuggling.

use std::collections::VecDeque;

use super::envelope::{Envelope, Recipient};
use super::policy::{Intervention, Policy, SessionInfo, Verdict};
use crate::proto::{
    Body, Capability, Command, CommandError, EhloReply, EnhancedStatusCode, ForwardPath, Host,
    MailParameters, Mechanism, RcptParameters, Reply, ReplyCode, ReversePath, SaslResponse, Verb,
    command::{MAX_COMMAND_LINE_OCTETS, parse_command_line},
    data::{DataOutcome, DataReader, LinePolicy},
    enhanced::StatusClass,
    params::AuthParam,
    reply::MAX_REPLY_LINE_OCTETS,
    sasl::{LOGIN_PASSWORD_CHALLENGE, LOGIN_USERNAME_CHALLENGE, PlainCredentials},
};

#[cfg(test)]
mod intervention_tests;

/// The longest SASL response line a server must accept (RFC 4954 §4).
pub const MAX_AUTH_LINE_OCTETS: usize = 12288;

/// What the server offers and enforces. The defaults are Postfix's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// The name the server gives in its greeting and replies.
    pub hostname: String,
    /// The greeting text after the hostname.
    pub banner: String,
    /// The largest message, in octets (`SIZE`, RFC 1870); Postfix: 10240000.
    pub max_message_size: u64,
    /// Recipients per transaction (RFC 5321 §4.5.3.1.8 asks for at least 100).
    pub max_recipients: usize,
    /// Errors before the server gives up with 421 (Postfix `smtpd_hard_error_limit`).
    pub max_errors: usize,
    pub line_policy: LinePolicy,
    pub pipelining: bool,
    pub eight_bit_mime: bool,
    pub smtputf8: bool,
    pub dsn: bool,
    pub enhanced_status_codes: bool,
    pub chunking: bool,
    /// Offer STARTTLS (the owner performs the handshake).
    pub starttls: bool,
    /// SASL mechanisms offered; empty: no AUTH.
    pub auth_mechanisms: Vec<Mechanism>,
    /// Offer AUTH only under TLS (Postfix `smtpd_tls_auth_only`); AUTH before TLS
    /// answers 538 5.7.11.
    pub auth_requires_tls: bool,
    /// MAIL needs a prior AUTH (a submission server, RFC 6409): 530 5.7.0.
    pub require_auth: bool,
    /// MAIL needs a prior STARTTLS: 530 5.7.0.
    pub require_tls: bool,
    /// Refuse the connection with this reply instead of greeting (421 closes at once;
    /// 554 waits for QUIT, RFC 5321 §3.1).
    pub refuse_with: Option<Reply>,
    /// Seed of the queue ids in `250 Ok: queued as …`, so runs are repeatable.
    pub queue_id_seed: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            hostname: "mx.example.net".into(),
            banner: "ESMTP smtp-playground".into(),
            max_message_size: 10_240_000,
            max_recipients: 100,
            max_errors: 20,
            line_policy: LinePolicy::Strict,
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            dsn: true,
            enhanced_status_codes: true,
            chunking: true,
            starttls: false,
            auth_mechanisms: Vec::new(),
            auth_requires_tls: false,
            require_auth: false,
            require_tls: false,
            refuse_with: None,
            queue_id_seed: 0,
        }
    }
}

/// A message the server took responsibility for with its 250 (RFC 5321 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReceivedMessage {
    pub queue_id: String,
    pub envelope: Envelope,
    pub data: Vec<u8>,
    /// The connection as it was when the message arrived (HELO name, TLS, AUTH).
    pub session: SessionInfo,
}

/// Why the server closed the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CloseReason {
    /// The client sent QUIT (221).
    Quit,
    /// The server refused service (421).
    ServiceUnavailable,
    /// Too many errors (421 4.7.0).
    TooManyErrors,
    /// The owner reported an idle timeout (421 4.4.2).
    Timeout,
    /// The owner's fault injection dropped the connection without a reply
    /// ([`Intervention::Drop`]); the owner closes the transport at once.
    Dropped,
}

/// Something the server session did, for its owner to show or act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A command line was read and parsed.
    CommandReceived(Command),
    /// HELO or EHLO was accepted.
    Greeted {
        host: Host,
        esmtp: bool,
    },
    /// The server answered 220 to STARTTLS: the owner flushes that reply in plaintext and
    /// then runs the TLS handshake; everything after is protected (RFC 3207 §4.2).
    StartTlsAccepted,
    /// Plaintext that arrived after STARTTLS in the same read was thrown away, as
    /// RFC 3207 §4.2 requires (the CVE-2011-0411 command injection).
    PipelinedInputDiscarded {
        octets: usize,
    },
    /// The client pipelined commands without PIPELINING, or after a command that must end
    /// a group (RFC 2920 §3.1).
    ImproperPipelining {
        after: Verb,
    },
    /// AUTH succeeded (235).
    Authenticated {
        mechanism: Mechanism,
        user: String,
    },
    /// AUTH failed or was cancelled.
    AuthenticationFailed {
        mechanism: Mechanism,
    },
    SenderAccepted(ReversePath),
    SenderRejected {
        path: ReversePath,
        reply: Reply,
    },
    RecipientAccepted(ForwardPath),
    RecipientRejected {
        path: ForwardPath,
        reply: Reply,
    },
    /// The data was accepted: the server is now responsible for delivery.
    MessageAccepted(Box<ReceivedMessage>),
    /// The data was refused at its end.
    MessageRejected {
        reply: Reply,
    },
    /// RSET, a new EHLO or STARTTLS ended the transaction.
    TransactionReset,
    /// The server closed the channel after its last reply.
    Closed(CloseReason),
}

/// What the server waits for next.
#[derive(Debug)]
enum State {
    /// Command lines.
    Command,
    /// Message text after 354.
    Data(Box<DataReader>),
    /// The bytes of a BDAT chunk, and the refusal to send once they are read.
    Chunk {
        remaining: u64,
        last: bool,
        refusal: Option<Refusal>,
    },
    /// A SASL response line after 334.
    Auth(AuthStep),
    /// The owner's word that the message is stored ([`ServerSession::handle_storage`])
    /// before the reply to its data; input waits meanwhile.
    ExpectStorage {
        message: Box<ReceivedMessage>,
        answering: Option<Verb>,
    },
    /// Refused with 554: everything but QUIT gets 503 (RFC 5321 §3.1).
    Refused,
    Closed,
}

/// A 5yz reply with `5.5.1` (every refusal of the command order), held until it is due.
type Refusal = (u16, &'static str);

#[derive(Debug, Clone, PartialEq, Eq)]
enum AuthStep {
    PlainResponse,
    LoginUser,
    LoginPassword { user: String },
}

impl AuthStep {
    fn mechanism(&self) -> Mechanism {
        match self {
            AuthStep::PlainResponse => Mechanism::Plain,
            AuthStep::LoginUser | AuthStep::LoginPassword { .. } => Mechanism::Login,
        }
    }
}

/// The mail transaction in progress (RFC 5321 §3.3).
#[derive(Debug, Default)]
struct Transaction {
    reverse_path: Option<ReversePath>,
    mail_params: MailParameters,
    recipients: Vec<Recipient>,
    /// RCPT commands tried, accepted or not (for 554 "no valid recipients").
    rcpt_attempts: usize,
    /// BDAT chunks so far; `None` until the first.
    chunks: Option<Vec<u8>>,
    chunks_too_big: bool,
}

/// A sans-IO SMTP server session: feed it bytes, poll it for replies and events.
#[derive(Debug)]
pub struct ServerSession {
    config: ServerConfig,
    info: SessionInfo,
    state: State,
    input: Vec<u8>,
    /// The command line being handled, taken off `input` (kept for its room: a session
    /// reads a handful of lines).
    line: Vec<u8>,
    /// Discarding an over-long command line until its end.
    discarding_line: bool,
    transaction: Transaction,
    /// Replies to send, each with the command it answers (`None`: the greeting).
    replies: VecDeque<(Reply, Option<Verb>)>,
    /// What the replies being produced answer.
    answering: Option<Verb>,
    events: VecDeque<ServerEvent>,
    errors: usize,
    messages: u64,
    /// An intervention for DATA or BDAT, applied at the end of the data or chunk.
    armed: Option<Intervention>,
    /// Whether the reply to a complete message waits for [`ServerSession::handle_storage`].
    storage_confirmation: bool,
}

impl ServerSession {
    /// A session that has just accepted a connection from `client_ip` and queued its
    /// greeting (RFC 5321 §3.1), or its refusal.
    pub fn new(config: ServerConfig, client_ip: Option<std::net::IpAddr>) -> Self {
        let mut session = Self {
            info: SessionInfo { client_ip, ..SessionInfo::default() },
            state: State::Command,
            input: Vec::new(),
            line: Vec::new(),
            discarding_line: false,
            transaction: Transaction::default(),
            replies: VecDeque::new(),
            answering: None,
            events: VecDeque::new(),
            errors: 0,
            messages: 0,
            armed: None,
            storage_confirmation: false,
            config,
        };
        match session.config.refuse_with.clone() {
            Some(refusal) if refusal.code.get() == 421 => {
                session.replies.push_back((refusal, None));
                session.close(CloseReason::ServiceUnavailable);
            }
            Some(refusal) => {
                session.replies.push_back((refusal, None));
                session.state = State::Refused;
            }
            None => {
                let (hostname, banner) = (&session.config.hostname, &session.config.banner);
                let mut text = String::with_capacity(hostname.len() + 1 + banner.len());
                text.push_str(hostname);
                text.push(' ');
                text.push_str(banner);
                session.replies.push_back((Reply::new(ReplyCode::SERVICE_READY, text), None));
            }
        }
        session
    }

    /// Makes the reply to every complete message wait for the owner's word that it is
    /// stored: a server takes responsibility with its 250 (RFC 5321 §6.1), so it must not
    /// say 250 before the message is safe on disk. After the data the session holds the
    /// message ([`ServerSession::awaiting_storage`]) and reads no further input until
    /// [`ServerSession::handle_storage`]. Without this (the simulated world), 250 comes at once.
    pub fn with_storage_confirmation(mut self) -> Self {
        self.storage_confirmation = true;
        self
    }

    /// The message waiting to be stored, when the session waits for the owner's word.
    pub fn awaiting_storage(&self) -> Option<&ReceivedMessage> {
        match &self.state {
            State::ExpectStorage { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The owner stored the message [`ServerSession::awaiting_storage`] showed (`stored`), or
    /// could not. Stored: `250 2.0.0 Ok: queued as …` and [`ServerEvent::MessageAccepted`].
    /// Not stored: `451 4.3.0` (Postfix: "queue file write error"), so the client keeps the
    /// message and tries again (RFC 5321 §4.2.5); the server's trouble is not the client's
    /// error, so it does not count towards `max_errors`. Then input that waited is read.
    pub fn handle_storage(&mut self, stored: bool, policy: &mut dyn Policy) {
        let State::ExpectStorage { .. } = &self.state else { return };
        let State::ExpectStorage { message, answering } = std::mem::replace(&mut self.state, State::Command)
        else {
            return;
        };
        self.answering = answering;
        if stored {
            let text = format!("Ok: queued as {}", message.queue_id);
            self.reply_enhanced(250, EnhancedStatusCode::OK, text);
            self.events.push_back(ServerEvent::MessageAccepted(message));
        } else {
            let reply = make_reply(
                451,
                enhanced(StatusClass::PersistentTransientFailure, 3, 0),
                "Error: queue file write error",
            );
            self.events.push_back(ServerEvent::MessageRejected { reply: reply.clone() });
            self.push(reply);
        }
        while self.process_one(policy) {}
    }

    /// The configuration the session runs with.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// What the session knows about the connection.
    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// Feeds bytes received from the client; `policy` decides senders, recipients,
    /// passwords and messages.
    pub fn handle_input(&mut self, bytes: &[u8], policy: &mut dyn Policy) {
        if matches!(self.state, State::Closed) {
            return;
        }
        self.input.extend_from_slice(bytes);
        while self.process_one(policy) {}
    }

    /// The next reply to send, if any. Replies queued together form one pipelined
    /// response group (RFC 2920 §3.2).
    pub fn poll_reply(&mut self) -> Option<Reply> {
        self.replies.pop_front().map(|(reply, _)| reply)
    }

    /// Whether replies are waiting to be polled.
    pub fn has_replies(&self) -> bool {
        !self.replies.is_empty()
    }

    /// The next reply with the command it answers (`None` for the greeting or a line
    /// whose verb was not recognised), so a timeline can say "250 reply to RCPT".
    pub fn poll_answer(&mut self) -> Option<(Reply, Option<Verb>)> {
        self.replies.pop_front()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Whether the server has closed the channel (after its last reply is sent).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Whether the server is reading message data (so the owner shows bytes as data).
    pub fn in_data(&self) -> bool {
        matches!(self.state, State::Data(_) | State::Chunk { .. })
    }

    /// Whether a command line has begun but not ended (bytes are waiting for their CRLF), so
    /// the owner can hold the whole line to a deadline that trickled bytes cannot extend.
    pub fn has_partial_input(&self) -> bool {
        !matches!(self.state, State::Closed)
            && !self.in_data()
            && (!self.input.is_empty() || self.discarding_line)
    }

    /// The owner's idle timer fired: 421 4.4.2 and close (RFC 5321 §4.5.3.2).
    pub fn handle_timeout(&mut self) {
        if self.is_closed() {
            return;
        }
        let text = format!("{} Error: timeout exceeded", self.config.hostname);
        self.reply_enhanced(421, enhanced(StatusClass::PersistentTransientFailure, 4, 2), text);
        self.close(CloseReason::Timeout);
    }

    /// The owner is shutting down: `421 4.3.2 <host> Service shutting down` and close. RFC
    /// 5321 §3.8: a server that must stop "SHOULD send a 421 response" to every open session,
    /// rather than just close the connection, so the client knows to try again later.
    pub fn handle_shutdown(&mut self) {
        if self.is_closed() {
            return;
        }
        let text = format!("{} Service shutting down", self.config.hostname);
        self.reply_enhanced(421, enhanced(StatusClass::PersistentTransientFailure, 3, 2), text);
        self.close(CloseReason::ServiceUnavailable);
    }

    fn close(&mut self, reason: CloseReason) {
        self.state = State::Closed;
        self.input.clear();
        self.events.push_back(ServerEvent::Closed(reason));
    }

    /// Handles one unit of input (a line, data, a chunk); false when more is needed.
    fn process_one(&mut self, policy: &mut dyn Policy) -> bool {
        match &mut self.state {
            State::Closed | State::ExpectStorage { .. } => false,
            State::Data(reader) => {
                let (used, outcome) = reader.read(&self.input);
                self.input.drain(..used);
                match outcome {
                    Some(outcome) => {
                        self.state = State::Command;
                        self.answering = Some(Verb::Data);
                        self.finish_data(outcome, policy);
                        true
                    }
                    None => false,
                }
            }
            State::Chunk { remaining, last, refusal } => {
                let take = usize::try_from(*remaining).unwrap_or(usize::MAX).min(self.input.len());
                let (last, refusal) = (*last, *refusal);
                *remaining -= take as u64;
                let done = *remaining == 0;
                let bytes: Vec<u8> = self.input.drain(..take).collect();
                self.add_chunk(&bytes);
                if done {
                    self.state = State::Command;
                    self.answering = Some(Verb::Bdat);
                    self.finish_chunk(last, refusal, policy);
                }
                done
            }
            State::Command | State::Auth(_) | State::Refused => {
                self.answering = None;
                let limit = if matches!(self.state, State::Auth(_)) {
                    MAX_AUTH_LINE_OCTETS
                } else {
                    self.command_line_limit()
                };
                let Some(lf) = self.input.iter().position(|&b| b == b'\n') else {
                    if self.input.len() > limit {
                        // Too long: answer now, and drop the rest of the line as it comes.
                        self.input.clear();
                        if !self.discarding_line {
                            self.discarding_line = true;
                            self.line_too_long();
                        }
                    }
                    return false;
                };
                let mut line = std::mem::take(&mut self.line);
                line.clear();
                line.extend(self.input.drain(..=lf));
                if std::mem::take(&mut self.discarding_line) {
                } else if line.len() > limit {
                    self.line_too_long();
                } else {
                    self.handle_line(&line, policy);
                }
                self.line = line;
                true
            }
        }
    }

    /// A line over its limit: `500 5.5.0`, or `500 5.5.6`, which also fails an AUTH
    /// exchange in progress (RFC 4954 §4: "the server fails the AUTH command with the 500
    /// reply").
    fn line_too_long(&mut self) {
        if self.fail_auth_exchange() {
            return self.error_reply(
                500,
                EnhancedStatusCode::AUTH_LINE_TOO_LONG,
                "Error: authentication exchange line is too long",
            );
        }
        self.error_reply(500, enhanced(StatusClass::PermanentFailure, 5, 0), "Error: line too long");
    }

    /// Ends an AUTH exchange in progress as failed; false if there was none.
    fn fail_auth_exchange(&mut self) -> bool {
        let State::Auth(step) = &self.state else { return false };
        let mechanism = step.mechanism();
        self.state = State::Command;
        self.events.push_back(ServerEvent::AuthenticationFailed { mechanism });
        true
    }

    fn handle_line(&mut self, line: &[u8], policy: &mut dyn Policy) {
        if !line.ends_with(b"\r\n") && self.config.line_policy == LinePolicy::Strict {
            // Commands end in CRLF (RFC 5321 §2.3.8); a bare LF is refused, as Postfix
            // does with smtpd_forbid_bare_newline. A 500 ends an AUTH exchange too.
            self.fail_auth_exchange();
            self.error_reply(
                500,
                EnhancedStatusCode::SYNTAX_ERROR,
                "Error: bare <LF> received; lines end with <CR><LF>",
            );
            return;
        }
        let normalized;
        let line = if line.ends_with(b"\r\n") {
            line
        } else {
            normalized = [line.strip_suffix(b"\n").unwrap_or(line), b"\r\n"].concat();
            &normalized
        };
        if let State::Auth(step) = &self.state {
            let step = step.clone();
            self.state = State::Command;
            self.answering = Some(Verb::Auth);
            self.handle_auth_response(step, &line[..line.len() - 2], policy);
            return;
        }
        let command = match parse_command_line(line) {
            Ok(command) => command,
            Err(error) => {
                self.syntax_error(error);
                return;
            }
        };
        self.events.push_back(ServerEvent::CommandReceived(command.clone()));
        if matches!(self.state, State::Refused) {
            if command == Command::Quit {
                self.quit();
            } else {
                self.error_reply(
                    503,
                    enhanced(StatusClass::PermanentFailure, 5, 1),
                    "Error: service refused, send QUIT",
                );
            }
            return;
        }
        let pipelinable = command.may_be_pipelined() && self.config.pipelining && self.info.esmtp;
        let verb = command.verb();
        // Only refusals can be injected: a 2yz or 3yz would claim an effect that the command
        // did not have.
        let intervention = match policy.intervene(&self.info, verb) {
            Intervention::Reply(reply) if reply.code.is_positive() || reply.code.is_intermediate() => {
                Intervention::None
            }
            other => other,
        };
        match intervention {
            Intervention::None => {}
            intervention => {
                // DATA's verdict is at the end of the data; BDAT's chunk follows its
                // command whatever happens (RFC 3030 §2), so its verdict waits for it too.
                let data_follows = match verb {
                    Verb::Data => self.transaction.chunks.is_none() && self.data_refusal().is_none(),
                    Verb::Bdat => true,
                    _ => false,
                };
                if data_follows {
                    self.armed = Some(intervention);
                } else {
                    self.answering = Some(verb);
                    if verb == Verb::Rcpt && self.transaction.reverse_path.is_some() {
                        self.transaction.rcpt_attempts += 1;
                    }
                    self.intervene(intervention);
                    return;
                }
            }
        }
        self.handle_command(command, policy);
        // RFC 2920 §3.1: only MAIL, RCPT and RSET (and BDAT) may be followed by more
        // commands in the same group; DATA may be followed by its data only after 354.
        if !self.input.is_empty() && !pipelinable && matches!(self.state, State::Command) && !self.is_closed()
        {
            self.events.push_back(ServerEvent::ImproperPipelining { after: verb });
        }
    }

    fn syntax_error(&mut self, error: CommandError) {
        self.answering = match &error {
            CommandError::Syntax { verb, .. } | CommandError::Param { verb, .. } => Some(*verb),
            CommandError::UnknownVerb(_) | CommandError::Incomplete => None,
        };
        let (code, status, text) = match &error {
            CommandError::UnknownVerb(_) => (
                500,
                enhanced(StatusClass::PermanentFailure, 5, 2),
                "Error: command not recognized".to_owned(),
            ),
            CommandError::Syntax { verb: Verb::Mail, .. } => {
                (501, EnhancedStatusCode::BAD_SENDER_SYNTAX, "Bad sender address syntax".to_owned())
            }
            CommandError::Syntax { verb: Verb::Rcpt, .. } => {
                (501, EnhancedStatusCode::BAD_MAILBOX_SYNTAX, "Bad recipient address syntax".to_owned())
            }
            CommandError::Syntax { verb, expected } => {
                (501, EnhancedStatusCode::INVALID_ARGUMENTS, format!("Syntax: {expected} ({verb})"))
            }
            CommandError::Param { error, .. } => {
                (501, EnhancedStatusCode::INVALID_ARGUMENTS, format!("Bad parameter: {error}"))
            }
            CommandError::Incomplete => {
                (500, EnhancedStatusCode::SYNTAX_ERROR, "Error: incomplete command".to_owned())
            }
        };
        self.error_reply(code, status, text);
    }

    fn handle_command(&mut self, command: Command, policy: &mut dyn Policy) {
        self.answering = Some(command.verb());
        match command {
            Command::Helo(host) => self.helo(host, false),
            Command::Ehlo(host) => self.helo(host, true),
            Command::Mail { reverse_path, params } => self.mail(reverse_path, params, policy),
            Command::Rcpt { forward_path, params } => self.rcpt(forward_path, params, policy),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last, policy),
            Command::Rset => {
                self.reset_transaction();
                self.reply_enhanced(250, EnhancedStatusCode::OK, "Ok");
            }
            Command::Noop(_) => self.reply_enhanced(250, EnhancedStatusCode::OK, "Ok"),
            Command::Quit => self.quit(),
            Command::Vrfy(_) => {
                // RFC 5321 §3.5.3, §7.3: a server that will not tell answers 252. The
                // argument is not echoed: with it the reply line could pass 512 octets
                // (§4.5.3.1.5).
                let text = "Cannot VRFY user, but will accept message and attempt delivery";
                self.reply_enhanced(252, enhanced(StatusClass::Success, 5, 0), text);
            }
            Command::Expn(_) => self.error_reply(
                502,
                enhanced(StatusClass::PermanentFailure, 5, 1),
                "Error: EXPN is disabled (RFC 5321 §7.3)",
            ),
            Command::Help(_) => self.help(),
            Command::StartTls => self.starttls(),
            Command::Auth { mechanism, initial_response } => self.auth(mechanism, initial_response, policy),
        }
    }

    fn quit(&mut self) {
        let text = "Bye";
        self.reply_enhanced(221, EnhancedStatusCode::OK, text);
        self.close(CloseReason::Quit);
    }

    fn help(&mut self) {
        let verbs: Vec<&str> = Verb::ALL
            .into_iter()
            .filter(|v| match v {
                Verb::StartTls => self.config.starttls,
                Verb::Auth => !self.config.auth_mechanisms.is_empty(),
                Verb::Bdat => self.config.chunking,
                _ => true,
            })
            .map(Verb::as_str)
            .collect();
        let mut reply = Reply::with_enhanced(
            ReplyCode::new(214).unwrap_or(ReplyCode::OK),
            enhanced(StatusClass::Success, 0, 0),
            format!("Commands: {}", verbs.join(" ")),
        );
        reply.lines.push("See RFC 5321 for what each one does".into());
        self.push(reply);
    }

    /// The longest command line accepted: 512 octets (RFC 5321 §4.5.3.1.4) plus what the
    /// offered extensions add to it: SIZE 26 (RFC 1870 §3), SMTPUTF8 10 (RFC 6531 §3.1),
    /// DSN 524 for 1036 in all (RFC 3461 §5.4), and AUTH= 500 (RFC 4954 §3).
    pub fn command_line_limit(&self) -> usize {
        let c = &self.config;
        MAX_COMMAND_LINE_OCTETS
            + 26
            + if c.smtputf8 { 10 } else { 0 }
            + if c.dsn { 524 } else { 0 }
            + if c.auth_mechanisms.is_empty() { 0 } else { 500 }
    }

    /// The extensions on offer now: STARTTLS disappears once TLS is active, and AUTH
    /// only appears under TLS when `auth_requires_tls` (RFC 3207 §4.2, RFC 4954 §4).
    pub fn capabilities(&self) -> Vec<Capability> {
        let c = &self.config;
        let mut caps = Vec::new();
        if self.on_offer("PIPELINING") {
            caps.push(Capability::Pipelining);
        }
        caps.push(Capability::Size(Some(c.max_message_size).filter(|&n| n > 0)));
        if self.on_offer("STARTTLS") {
            caps.push(Capability::StartTls);
        }
        if self.on_offer("AUTH") {
            caps.push(Capability::Auth(c.auth_mechanisms.clone()));
        }
        let flags = [
            ("ENHANCEDSTATUSCODES", Capability::EnhancedStatusCodes),
            ("8BITMIME", Capability::EightBitMime),
            ("DSN", Capability::Dsn),
            ("SMTPUTF8", Capability::SmtpUtf8),
            ("CHUNKING", Capability::Chunking),
        ];
        caps.extend(flags.into_iter().filter(|(keyword, _)| self.on_offer(keyword)).map(|(_, c)| c));
        caps
    }

    /// Whether [`ServerSession::capabilities`] lists the extension `keyword` now, without
    /// building the list (the server asks for each parameter of each MAIL and RCPT).
    fn on_offer(&self, keyword: &str) -> bool {
        let c = &self.config;
        match keyword {
            "PIPELINING" => c.pipelining,
            "SIZE" => true,
            "STARTTLS" => c.starttls && !self.info.tls,
            "AUTH" => !c.auth_mechanisms.is_empty() && (self.info.tls || !c.auth_requires_tls),
            "ENHANCEDSTATUSCODES" => c.enhanced_status_codes,
            "8BITMIME" => c.eight_bit_mime,
            "DSN" => c.dsn,
            // RFC 6531 §3.1 (8): SMTPUTF8 is only offered together with 8BITMIME.
            "SMTPUTF8" => c.smtputf8 && c.eight_bit_mime,
            "CHUNKING" => c.chunking,
            _ => false,
        }
    }

    fn helo(&mut self, host: Host, esmtp: bool) {
        // An accepted HELO/EHLO resets the state as RSET does (RFC 5321 §4.1.4).
        self.reset_transaction();
        self.info.helo = Some(host.clone());
        self.info.esmtp = esmtp;
        let hostname = self.config.hostname.clone();
        let reply = if esmtp {
            EhloReply { domain: hostname, greet: None, capabilities: self.capabilities() }.to_reply()
        } else {
            Reply::new(ReplyCode::OK, hostname)
        };
        self.push(reply);
        self.events.push_back(ServerEvent::Greeted { host, esmtp });
    }

    fn offered(&self, keyword: &str) -> bool {
        self.info.esmtp && self.on_offer(keyword)
    }

    /// The first MAIL parameter this session cannot honour, as `555 5.5.4` text.
    fn unsupported_mail_param(&self, params: &MailParameters) -> Option<String> {
        if let Some(other) = params.other.first() {
            return Some(other.keyword.to_ascii_uppercase());
        }
        let checks = [
            (params.size.is_some(), "SIZE", "SIZE"),
            (params.body == Some(Body::EightBitMime), "8BITMIME", "BODY=8BITMIME"),
            (params.body == Some(Body::BinaryMime), "BINARYMIME", "BODY=BINARYMIME"),
            (params.body == Some(Body::SevenBit), "SIZE", "BODY=7BIT"),
            (params.smtputf8, "SMTPUTF8", "SMTPUTF8"),
            (params.ret.is_some(), "DSN", "RET"),
            (params.envid.is_some(), "DSN", "ENVID"),
            (params.auth.is_some(), "AUTH", "AUTH"),
        ];
        checks
            .into_iter()
            .find(|&(used, keyword, _)| used && !self.offered(keyword))
            .map(|(_, _, name)| name.to_owned())
    }

    fn mail(&mut self, path: ReversePath, params: MailParameters, policy: &mut dyn Policy) {
        // 1. Order: after HELO/EHLO, not inside a transaction (RFC 5321 §4.1.4).
        if self.info.helo.is_none() {
            return self.error_reply(503, seq(), "Error: send HELO/EHLO first");
        }
        if self.transaction.reverse_path.is_some() {
            return self.error_reply(503, seq(), "Error: nested MAIL command");
        }
        // 2. Session requirements: TLS first (RFC 3207 §4), then AUTH (RFC 4954 §6).
        if self.config.require_tls && !self.info.tls {
            return self.error_reply(
                530,
                EnhancedStatusCode::SECURITY,
                "Must issue a STARTTLS command first",
            );
        }
        if self.config.require_auth && self.info.authenticated.is_none() {
            return self.error_reply(530, EnhancedStatusCode::SECURITY, "Authentication required");
        }
        // 3. Parameters must belong to advertised extensions (RFC 5321 §4.1.1.11).
        if let Some(name) = self.unsupported_mail_param(&params) {
            return self.error_reply(
                555,
                EnhancedStatusCode::INVALID_ARGUMENTS,
                format!("Unsupported option: {name}"),
            );
        }
        // 4. A UTF-8 address needs the SMTPUTF8 parameter (RFC 6531 §3.4).
        if !path.is_ascii() && !params.smtputf8 {
            // The address itself cannot be quoted back: this client did not ask for UTF-8.
            let text = "Sender address has non-ASCII characters: MAIL needs the SMTPUTF8 parameter";
            return self.error_reply(553, EnhancedStatusCode::NON_ASCII_NOT_PERMITTED, text);
        }
        // 5. The declared size against the limit (RFC 1870 §6).
        if let Some(size) = params.size
            && size > self.size_limit()
        {
            let text = "Message size exceeds fixed limit";
            return self.error_reply(552, EnhancedStatusCode::MESSAGE_TOO_BIG, text);
        }
        // RFC 4954 §5: an AUTH= identity from a client that has not authenticated is
        // not trusted: it is treated as AUTH=<>.
        let mut params = params;
        if self.info.authenticated.is_none() && matches!(params.auth, Some(AuthParam::Identity(_))) {
            params.auth = Some(AuthParam::Unknown);
        }
        // 6. The policy's word on the sender.
        match policy.sender(&self.info, &path, &params) {
            Verdict::Accept => {
                self.transaction.reverse_path = Some(path.clone());
                self.transaction.mail_params = params;
                self.reply_enhanced(250, EnhancedStatusCode::SENDER_OK, "Ok");
                self.events.push_back(ServerEvent::SenderAccepted(path));
            }
            Verdict::Reject(reply) => {
                self.events.push_back(ServerEvent::SenderRejected { path, reply: reply.clone() });
                self.push_error(reply);
            }
        }
    }

    fn rcpt(&mut self, path: ForwardPath, params: RcptParameters, policy: &mut dyn Policy) {
        // 1. Order: MAIL first.
        if self.transaction.reverse_path.is_none() {
            return self.error_reply(503, seq(), "Error: need MAIL command");
        }
        if self.transaction.chunks.is_some() {
            return self.error_reply(503, seq(), "Error: BDAT in progress");
        }
        self.transaction.rcpt_attempts += 1;
        // 2. Parameters must belong to advertised extensions.
        let unsupported = params.other.first().map(|p| p.keyword.to_ascii_uppercase()).or_else(|| {
            let dsn_used = params.notify.is_some() || params.orcpt.is_some();
            (dsn_used && !self.offered("DSN")).then(|| "NOTIFY/ORCPT".to_owned())
        });
        if let Some(name) = unsupported {
            return self.error_reply(
                555,
                EnhancedStatusCode::INVALID_ARGUMENTS,
                format!("Unsupported option: {name}"),
            );
        }
        // 3. A UTF-8 address needs SMTPUTF8 on MAIL (RFC 6531 §3.4).
        if !path.is_ascii() && !self.transaction.mail_params.smtputf8 {
            let text = "Recipient address has non-ASCII characters: MAIL needs the SMTPUTF8 parameter";
            return self.error_reply(553, EnhancedStatusCode::NON_ASCII_NOT_PERMITTED, text);
        }
        // 4. The recipient limit (RFC 5321 §4.5.3.1.10: 452, and the client tries the
        //    rest in a later transaction). Not the client's error: a client that sends 120
        //    recipients is told 20 times to wait, and must not be cut off for it.
        if self.transaction.recipients.len() >= self.config.max_recipients {
            return self.reply_enhanced(
                452,
                EnhancedStatusCode::TOO_MANY_RECIPIENTS,
                "Error: too many recipients",
            );
        }
        // 5. The policy: relay permission, known mailboxes, quotas, greylisting.
        // (Borrowed here, past the checks above: MAIL came first.)
        let Some(sender) = &self.transaction.reverse_path else { return };
        match policy.recipient(&self.info, sender, &path, &params) {
            Verdict::Accept => {
                self.transaction.recipients.push(Recipient { path: path.clone(), params });
                self.reply_enhanced(250, EnhancedStatusCode::DESTINATION_OK, "Ok");
                self.events.push_back(ServerEvent::RecipientAccepted(path));
            }
            Verdict::Reject(reply) => {
                self.events.push_back(ServerEvent::RecipientRejected { path, reply: reply.clone() });
                self.push_error(reply);
            }
        }
    }

    /// 503 if the transaction cannot take data now; 554 if every recipient was refused.
    fn data_refusal(&self) -> Option<Refusal> {
        if self.transaction.reverse_path.is_none() {
            return Some((503, "Error: need MAIL command"));
        }
        if self.transaction.recipients.is_empty() {
            return Some(if self.transaction.rcpt_attempts > 0 {
                (554, "Error: no valid recipients")
            } else {
                (503, "Error: need RCPT command")
            });
        }
        None
    }

    fn data(&mut self) {
        if self.transaction.chunks.is_some() {
            return self.error_reply(503, seq(), "Error: BDAT in progress, DATA not allowed");
        }
        if let Some((code, text)) = self.data_refusal() {
            return self.error_reply(code, seq(), text);
        }
        self.push(Reply::new(ReplyCode::START_MAIL_INPUT, "End data with <CR><LF>.<CR><LF>"));
        self.state = State::Data(Box::new(DataReader::new(self.config.line_policy, self.size_limit())));
    }

    fn finish_data(&mut self, outcome: DataOutcome, policy: &mut dyn Policy) {
        if let Some(intervention) = self.armed.take() {
            self.reset_transaction_quietly();
            return self.intervene(intervention);
        }
        match outcome {
            DataOutcome::Complete(data) => self.deliver(data, policy),
            DataOutcome::TooBig { .. } => {
                self.reject_message(552, EnhancedStatusCode::MESSAGE_TOO_BIG, "Error: message file too big")
            }
            DataOutcome::BareLineEnding => self.reject_message(
                550,
                EnhancedStatusCode::SYNTAX_ERROR,
                "Error: bare <LF> or <CR> received in message; lines end with <CR><LF>",
            ),
            DataOutcome::LineTooLong => self.reject_message(
                500,
                enhanced(StatusClass::PermanentFailure, 5, 0),
                "Error: message line longer than 1000 octets",
            ),
        }
    }

    fn bdat(&mut self, size: u64, last: bool, policy: &mut dyn Policy) {
        // RFC 3030 §2: the chunk's octets follow the command whatever the reply, and the
        // server "MUST accept and discard the associated message data before sending the
        // appropriate 5XX or 4XX code": the refusal waits until they have been read.
        let refusal = if self.offered("CHUNKING") {
            self.data_refusal()
        } else {
            Some((502, "Error: command not implemented"))
        };
        if refusal.is_none() {
            self.transaction.chunks.get_or_insert_with(Vec::new);
        }
        self.state = State::Chunk { remaining: size, last, refusal };
        if size == 0 {
            self.state = State::Command;
            self.finish_chunk(last, refusal, policy);
        }
    }

    fn add_chunk(&mut self, bytes: &[u8]) {
        let limit = self.size_limit();
        if let Some(chunks) = &mut self.transaction.chunks {
            if chunks.len() as u64 + bytes.len() as u64 > limit {
                self.transaction.chunks_too_big = true;
                chunks.clear();
            } else if !self.transaction.chunks_too_big {
                chunks.extend_from_slice(bytes);
            }
        }
    }

    fn finish_chunk(&mut self, last: bool, refusal: Option<Refusal>, policy: &mut dyn Policy) {
        if let Some(intervention) = self.armed.take() {
            // A refused chunk ends the transaction: its message can no longer be whole.
            self.reset_transaction_quietly();
            return self.intervene(intervention);
        }
        if let Some((code, text)) = refusal {
            return self.error_reply(code, seq(), text);
        }
        let Some(chunks) = &self.transaction.chunks else { return };
        let received = chunks.len();
        if self.transaction.chunks_too_big {
            return self.reject_message(
                552,
                EnhancedStatusCode::MESSAGE_TOO_BIG,
                "Error: message file too big",
            );
        }
        if last {
            let data = std::mem::take(&mut self.transaction.chunks).unwrap_or_default();
            self.deliver(data, policy);
        } else {
            self.reply_enhanced(250, EnhancedStatusCode::OK, format!("{received} octets received"));
        }
    }

    /// The end of the data: ask the policy, then take responsibility (250) or refuse.
    fn deliver(&mut self, data: Vec<u8>, policy: &mut dyn Policy) {
        let transaction = std::mem::take(&mut self.transaction);
        let envelope = Envelope {
            reverse_path: transaction.reverse_path.unwrap_or(ReversePath::Null),
            mail_params: transaction.mail_params,
            recipients: transaction.recipients,
        };
        if let Verdict::Reject(reply) = policy.message(&self.info, &envelope, &data) {
            self.events.push_back(ServerEvent::MessageRejected { reply: reply.clone() });
            self.push_error(reply);
            self.reset_transaction_quietly();
            return;
        }
        self.messages += 1;
        let queue_id = queue_id(self.config.queue_id_seed, self.messages);
        let message = Box::new(ReceivedMessage { queue_id, envelope, data, session: self.info.clone() });
        if self.storage_confirmation {
            self.state = State::ExpectStorage { message, answering: self.answering };
            return;
        }
        let text = format!("Ok: queued as {}", message.queue_id);
        self.reply_enhanced(250, EnhancedStatusCode::OK, text);
        self.events.push_back(ServerEvent::MessageAccepted(message));
    }

    /// Applies an owner's [`Intervention`] in place of the server's own answer. An injected
    /// reply is not the client's error: it does not count towards `max_errors`.
    fn intervene(&mut self, intervention: Intervention) {
        match intervention {
            Intervention::None => {}
            Intervention::Reply(reply) => {
                if self.answering == Some(Verb::Data) || self.answering == Some(Verb::Bdat) {
                    self.events.push_back(ServerEvent::MessageRejected { reply: reply.clone() });
                }
                self.push(reply);
            }
            Intervention::CloseWith(reply) => {
                self.push(reply);
                self.close(CloseReason::ServiceUnavailable);
            }
            Intervention::Drop => {
                // Replies already written (earlier pipelined commands) stay sent.
                self.close(CloseReason::Dropped);
            }
        }
    }

    fn reject_message(&mut self, code: u16, status: EnhancedStatusCode, text: &str) {
        let reply = make_reply(code, status, text);
        self.events.push_back(ServerEvent::MessageRejected { reply: reply.clone() });
        self.push_error(reply);
        self.reset_transaction_quietly();
    }

    fn starttls(&mut self) {
        if !self.config.starttls {
            return self.error_reply(502, seq(), "Error: command not implemented");
        }
        if self.info.tls {
            return self.error_reply(503, seq(), "Error: TLS already active");
        }
        if self.info.helo.is_none() {
            return self.error_reply(503, seq(), "Error: send EHLO first");
        }
        if self.transaction.reverse_path.is_some() {
            return self.error_reply(503, seq(), "Error: MAIL transaction in progress");
        }
        self.reply_enhanced(220, EnhancedStatusCode::OK, "Ready to start TLS");
        // RFC 3207 §4.2: forget everything learnt in plaintext, and anything the client
        // sent after STARTTLS before the handshake (it could be an injected command).
        if !self.input.is_empty() {
            let octets = self.input.len();
            self.input.clear();
            self.events.push_back(ServerEvent::PipelinedInputDiscarded { octets });
        }
        self.info = SessionInfo { client_ip: self.info.client_ip, tls: true, ..SessionInfo::default() };
        self.transaction = Transaction::default();
        self.events.push_back(ServerEvent::StartTlsAccepted);
    }

    fn auth(&mut self, mechanism: Mechanism, initial: Option<SaslResponse>, policy: &mut dyn Policy) {
        // RFC 4954 §4: AUTH only after EHLO, once per session, outside a transaction.
        if self.info.helo.is_none() {
            return self.error_reply(503, seq(), "Error: send EHLO first");
        }
        if !self.config.auth_mechanisms.is_empty() && self.config.auth_requires_tls && !self.info.tls {
            return self.error_reply(
                538,
                EnhancedStatusCode::ENCRYPTION_REQUIRED,
                "Encryption required for requested authentication mechanism",
            );
        }
        if !self.offered("AUTH") {
            return self.error_reply(503, seq(), "Error: authentication not enabled");
        }
        if self.info.authenticated.is_some() {
            return self.error_reply(503, seq(), "Error: already authenticated");
        }
        if self.transaction.reverse_path.is_some() {
            return self.error_reply(503, seq(), "Error: MAIL transaction in progress");
        }
        if !self.config.auth_mechanisms.contains(&mechanism) {
            return self.error_reply(
                504,
                EnhancedStatusCode::INVALID_ARGUMENTS,
                "Unrecognized authentication type",
            );
        }
        match (mechanism, initial) {
            (Mechanism::Plain, Some(response)) => {
                self.handle_auth_response(AuthStep::PlainResponse, &response.to_wire().into_bytes(), policy)
            }
            (Mechanism::Plain, None) => self.challenge(AuthStep::PlainResponse, ""),
            (Mechanism::Login, Some(response)) => {
                self.handle_auth_response(AuthStep::LoginUser, &response.to_wire().into_bytes(), policy)
            }
            (Mechanism::Login, None) => self.challenge(AuthStep::LoginUser, LOGIN_USERNAME_CHALLENGE),
            (Mechanism::Other(_), _) => self.error_reply(
                504,
                EnhancedStatusCode::INVALID_ARGUMENTS,
                "Unrecognized authentication type",
            ),
        }
    }

    fn challenge(&mut self, step: AuthStep, base64: &str) {
        self.push(Reply::new(ReplyCode::new(334).unwrap_or(ReplyCode::OK), base64));
        self.state = State::Auth(step);
    }

    fn handle_auth_response(&mut self, step: AuthStep, line: &[u8], policy: &mut dyn Policy) {
        let mechanism = step.mechanism();
        let data = match SaslResponse::parse(line) {
            Some(SaslResponse::Data(data)) => data,
            Some(SaslResponse::Cancel) => {
                self.events.push_back(ServerEvent::AuthenticationFailed { mechanism });
                return self.error_reply(
                    501,
                    enhanced(StatusClass::PermanentFailure, 7, 0),
                    "Authentication aborted",
                );
            }
            None => {
                self.events.push_back(ServerEvent::AuthenticationFailed { mechanism });
                return self.error_reply(
                    501,
                    EnhancedStatusCode::SYNTAX_ERROR,
                    "Error: response is not base64",
                );
            }
        };
        let (user, password) = match step {
            AuthStep::LoginUser => {
                let user = String::from_utf8_lossy(&data).into_owned();
                return self.challenge(AuthStep::LoginPassword { user }, LOGIN_PASSWORD_CHALLENGE);
            }
            AuthStep::LoginPassword { user } => (user, String::from_utf8_lossy(&data).into_owned()),
            AuthStep::PlainResponse => match PlainCredentials::parse(&data) {
                // An authzid other than the authcid asks to act as someone else: refused.
                Some(c) if c.authzid.is_empty() || c.authzid == c.authcid => (c.authcid, c.password),
                _ => {
                    self.events.push_back(ServerEvent::AuthenticationFailed { mechanism });
                    return self.error_reply(
                        535,
                        EnhancedStatusCode::AUTH_INVALID,
                        "Error: authentication failed",
                    );
                }
            },
        };
        if policy.authenticate(&self.info, &user, &password) {
            self.info.authenticated = Some(user.clone());
            self.reply_enhanced(235, EnhancedStatusCode::AUTH_SUCCEEDED, "Authentication successful");
            self.events.push_back(ServerEvent::Authenticated { mechanism, user });
        } else {
            self.events.push_back(ServerEvent::AuthenticationFailed { mechanism });
            self.error_reply(535, EnhancedStatusCode::AUTH_INVALID, "Error: authentication failed");
        }
    }

    /// The message size limit; 0 in the configuration means none.
    fn size_limit(&self) -> u64 {
        if self.config.max_message_size == 0 { u64::MAX } else { self.config.max_message_size }
    }

    fn reset_transaction(&mut self) {
        let open = self.transaction.reverse_path.is_some();
        self.transaction = Transaction::default();
        if open {
            self.events.push_back(ServerEvent::TransactionReset);
        }
    }

    fn reset_transaction_quietly(&mut self) {
        self.transaction = Transaction::default();
    }

    /// Queues a reply; without ENHANCEDSTATUSCODES every reply loses its enhanced code,
    /// whoever built it (the session or the policy).
    fn push(&mut self, mut reply: Reply) {
        if !self.config.enhanced_status_codes {
            reply.enhanced = None;
        }
        // RFC 6531 §3.7.4: UTF-8 in reply text only for a transaction that declared
        // SMTPUTF8; otherwise a quoted address shows '?' for each non-ASCII character
        // (RFC 5321 §4.2: textstring is ASCII).
        if !self.transaction.mail_params.smtputf8 {
            for line in &mut reply.lines {
                if !line.is_ascii() {
                    *line = line.chars().map(|c| if c.is_ascii() { c } else { '?' }).collect();
                }
            }
        }
        // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets. Texts that quote the
        // client (an unknown parameter, a path) are cut, whoever wrote them.
        let room = MAX_REPLY_LINE_OCTETS
            - "250-".len()
            - "\r\n".len()
            - reply.enhanced.map_or(0, |e| e.written_len() + 1);
        for line in &mut reply.lines {
            if line.len() > room {
                let mut end = room - "...".len();
                while !line.is_char_boundary(end) {
                    end -= 1;
                }
                line.truncate(end);
                line.push_str("...");
            }
        }
        self.replies.push_back((reply, self.answering));
    }

    /// A 4yz/5yz reply; past `max_errors` the server gives up with 421.
    fn push_error(&mut self, reply: Reply) {
        self.push(reply);
        self.errors += 1;
        if self.errors >= self.config.max_errors {
            self.reply_enhanced(
                421,
                enhanced(StatusClass::PersistentTransientFailure, 7, 0),
                "Error: too many errors",
            );
            self.close(CloseReason::TooManyErrors);
        }
    }

    fn error_reply(&mut self, code: u16, status: EnhancedStatusCode, text: impl Into<String>) {
        let reply = make_reply(code, status, text);
        self.push_error(reply);
    }

    fn reply_enhanced(&mut self, code: u16, status: EnhancedStatusCode, text: impl Into<String>) {
        let reply = make_reply(code, status, text);
        self.push(reply);
    }
}

fn make_reply(code: u16, status: EnhancedStatusCode, text: impl Into<String>) -> Reply {
    Reply::with_enhanced(ReplyCode::new(code).unwrap_or(ReplyCode::SYNTAX_ERROR), status, text)
}

fn enhanced(class: StatusClass, subject: u16, detail: u16) -> EnhancedStatusCode {
    EnhancedStatusCode::new(class, subject, detail).unwrap_or(EnhancedStatusCode::OK)
}

/// `5.5.1 Invalid command`: the enhanced code of every 503.
fn seq() -> EnhancedStatusCode {
    EnhancedStatusCode::INVALID_COMMAND
}

/// A Postfix-like queue id: ten upper-case hex digits, repeatable for a seed.
fn queue_id(seed: u64, n: u64) -> String {
    // FNV-1a over the seed and the counter: spread, not secret.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.to_le_bytes().into_iter().chain(n.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:010X}", hash >> 24)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::AcceptAll;

    fn drain(session: &mut ServerSession) -> Vec<String> {
        std::iter::from_fn(|| session.poll_reply())
            .map(|r| String::from_utf8_lossy(&r.to_bytes()).into_owned())
            .collect()
    }

    #[test]
    fn shutdown_answers_421_once_and_closes() {
        let mut session = ServerSession::new(ServerConfig::default(), None);
        session.handle_input(b"EHLO client.example.com\r\nMAIL FROM:<a@example.com>\r\n", &mut AcceptAll);
        drain(&mut session);
        session.handle_shutdown();
        assert_eq!(drain(&mut session), ["421 4.3.2 mx.example.net Service shutting down\r\n"]);
        assert!(session.is_closed());
        let events: Vec<ServerEvent> = std::iter::from_fn(|| session.poll_event()).collect();
        assert_eq!(events.last(), Some(&ServerEvent::Closed(CloseReason::ServiceUnavailable)));
        // Closed: nothing more is read or answered, and a second shutdown says nothing.
        session.handle_shutdown();
        session.handle_input(b"RSET\r\n", &mut AcceptAll);
        assert!(drain(&mut session).is_empty());
    }
}
