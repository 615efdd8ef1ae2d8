//! The [`ImapRecorder`]: a real IMAP session (`serve --imap --record`) cut into the steps
//! the simulator makes of one (RFC 9051): each client write that is a command, or the rest
//! of one after the server's `+`, and everything the server answers to one command (its
//! untagged data, then the tagged completion, §2.2.2), explained by [`crate::teach::imap`].
//! LOGIN's password and every AUTHENTICATE response are masked before they become steps.

use std::collections::VecDeque;

use super::log::{Log, kept, mask_sasl, masked_sentence};
use super::{MASK, Recording};
use crate::proto::imap::{Frame, Framer, FramerRole, command_asked, command_start, trailing_literal};
use crate::scenario::played::Played;
use crate::teach::imap as explain;
use crate::timeline::{Millis, StepKind};

/// The longest command or response the recorder frames at once; past it the octets are shown
/// as they come (the server refused such a command long before, `BAD [LIMIT]`).
const MAX_FRAME: usize = 64 * 1024 * 1024;

/// How much of LOGIN's arguments has been read, to mask the password wherever it falls
/// (an atom, a quoted string or a literal, RFC 9051 §6.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Login {
    /// Not in a LOGIN command.
    No,
    /// Reading argument `0` (the user name, kept) or `1` (the password, masked).
    Argument(usize),
    /// Inside the literal of argument `.0`, with `.1` octets to go.
    Literal(usize, usize),
}

/// Builds a recording's timeline from an IMAP session's bytes.
#[derive(Debug)]
pub struct ImapRecorder {
    log: Log,
    port: u16,
    /// Client octets not yet made into steps, and where the current step starts in them
    /// (after a synchronizing literal's header, the rest is the next step).
    client: Vec<u8>,
    client_start: usize,
    client_framer: Framer,
    /// Server octets not yet made into steps, and the untagged responses of the answer being
    /// read.
    server: Vec<u8>,
    server_framer: Framer,
    answer: Vec<u8>,
    /// The command each answer still to come answers, oldest first, and the command the
    /// client's next write continues (after a `+`), as the simulator keeps them.
    asked: VecDeque<String>,
    continuing: Option<String>,
    login: Login,
    /// The mechanism of the AUTHENTICATE in progress, upper case.
    mechanism: Option<String>,
    masked: usize,
}

impl ImapRecorder {
    /// A recorder of an IMAP session between `client` and `server` (their lanes) on `port`.
    pub fn new(client: &str, server: &str, port: u16) -> Self {
        Self {
            log: Log::new(client, server),
            port,
            client: Vec::new(),
            client_start: 0,
            client_framer: Framer::new(FramerRole::Server, MAX_FRAME),
            server: Vec::new(),
            server_framer: Framer::new(FramerRole::Client, MAX_FRAME),
            answer: Vec::new(),
            asked: VecDeque::new(),
            continuing: None,
            login: Login::No,
            mechanism: None,
            masked: 0,
        }
    }

    /// The TCP connection opened, at time 0.
    pub fn connected(&mut self) {
        let explanation =
            "A real mail client opens a TCP connection to `serve`'s IMAP port to read the mail \
                           that was delivered. The server speaks first: its greeting says it is ready and \
                           lists what it can do."
                .to_owned();
        self.log.connected(self.port, "IMAP", explanation, "RFC 9051 §2.1");
    }

    /// Octets the client sent.
    pub fn client_bytes(&mut self, at: Millis, bytes: &[u8]) {
        self.client.extend_from_slice(bytes);
        self.frame_client(at);
    }

    /// Makes steps of the client's octets, as far as they make whole commands or parts.
    fn frame_client(&mut self, at: Millis) {
        loop {
            match self.client_framer.next(&self.client) {
                Frame::Incomplete => return,
                Frame::Complete(len) => {
                    self.client_write(at, self.client_start, len);
                    self.client.drain(..len);
                    self.client_start = 0;
                }
                Frame::LiteralAwaited { len, .. } => {
                    if len > self.client_start {
                        self.client_write(at, self.client_start, len);
                        self.client_start = len;
                    }
                    // The literal's octets wait for the server's `+` (or its refusal).
                    return;
                }
                Frame::TooLarge { len, .. } | Frame::Skip(len) => {
                    self.client_framer.abandon();
                    self.client_write(at, self.client_start, len);
                    self.client.drain(..len);
                    self.client_start = 0;
                }
            }
        }
    }

    /// Octets the server sent; `serve` calls this with each whole write.
    pub fn server_bytes(&mut self, at: Millis, bytes: &[u8]) {
        self.server.extend_from_slice(bytes);
        while let Frame::Complete(len) = self.server_framer.next(&self.server) {
            let line: Vec<u8> = self.server.drain(..len).collect();
            if line.starts_with(b"+") {
                self.flush_answer(at, false);
                self.answer = line;
                self.flush_answer(at, true);
            } else if line.starts_with(b"* ") {
                self.answer.extend_from_slice(&line);
            } else {
                self.answer.extend_from_slice(&line);
                self.flush_answer(at, true);
            }
        }
        // A write that ends on untagged data (the greeting, news during IDLE, a BYE) is one
        // step of its own.
        if self.server.is_empty() {
            self.flush_answer(at, false);
        }
    }

    /// STARTTLS's handshake completed.
    pub fn tls_established(&mut self, at: Millis, description: &str) {
        let explanation = format!(
            "Client and server agreed on keys ({description}); from here every byte is encrypted. The \
             client asks for the capabilities again: only the list sent inside TLS can be trusted, and \
             LOGIN is now allowed."
        );
        self.log.tls_handshake(at, explanation, "RFC 9051 §6.2.1");
    }

    /// Something the server did or decided, on its lane.
    pub fn note(&mut self, at: Millis, summary: &str, explanation: &str, rfc: &str) {
        self.log.local(at, StepKind::Note, summary.to_owned(), explanation.to_owned(), rfc);
    }

    /// The connection ended: `how` in words.
    pub fn closed(&mut self, at: Millis, how: &str) {
        self.flush_answer(at, false);
        let rest = std::mem::take(&mut self.client);
        if let Some(rest) = rest.get(self.client_start..).filter(|r| !r.is_empty()) {
            let (kept, _) = kept(rest);
            let summary = format!("{} octets the client sent without finishing the command", rest.len());
            let explanation = "The connection ended before these octets made a whole command (a line ending \
                               in CRLF, with its literals), so the server never acted on them."
                .to_owned();
            let wire = self.masked_write(kept, false);
            self.log.push(
                at,
                true,
                StepKind::ImapCommand,
                Some(&wire),
                summary,
                explanation,
                Some("RFC 9051 §2.2"),
                None,
            );
        }
        let explanation = format!(
            "The session is over: {how}. A client ends with LOGOUT; the server answers with an untagged \
             BYE and the tagged OK, and closes the connection."
        );
        self.log.closed(at, explanation, "RFC 9051 §6.1.3");
    }

    pub fn masked(&self) -> usize {
        self.masked
    }

    /// The recording. An IMAP session has no replay in the Lab: the simulated reader runs
    /// its own commands (`[[retrieve]]`), not typed ones.
    pub fn finish(self, info: Recording) -> Played {
        let title = format!("Recorded (IMAP): {} → {}", self.log.client, self.log.server);
        let masked = masked_sentence(info.masked, "a password in LOGIN or AUTHENTICATE");
        let description = format!(
            "A real IMAP session, recorded by `smtp-playground {}` on {}: {} read mail from {}. Every \
             step is what crossed the socket, explained the way a lesson's steps are.{masked}",
            info.by, info.started, info.client, info.server
        );
        self.log.played(info, title, description, String::new())
    }

    /// One client write: `self.client[from..to]`, a command or the rest of one.
    fn client_write(&mut self, at: Millis, from: usize, to: usize) {
        let Some(bytes) = self.client.get(from..to).map(<[u8]>::to_vec) else { return };
        let before = self.masked;
        let (wire, texts, name) = match self.continuing.take() {
            Some(name) => {
                let wire = self.masked_continuation(&bytes, &name);
                let texts = explain::continuation(&wire, &name);
                (wire, texts, Some(name))
            }
            None => {
                self.start_command(&bytes);
                let wire = self.masked_write(&bytes, true);
                (wire.clone(), explain::command(&wire), command_asked(&bytes))
            }
        };
        self.step(at, &wire, texts, self.masked > before);
        // The server's next answer is to this command (or asks for its next part).
        self.asked.extend(name);
    }

    fn step(
        &mut self,
        at: Millis,
        wire: &[u8],
        (summary, mut explanation, rfc): (String, String, String),
        masked: bool,
    ) {
        if masked && !explanation.contains("masked") {
            explanation.push_str(
                " In this recording the password reads ********: it was masked when the session was \
                 recorded, and the octets that crossed the wire held the real one.",
            );
        }
        self.log.push(at, true, StepKind::ImapCommand, Some(wire), summary, explanation, Some(&rfc), None);
    }

    /// Notes what a new command needs masked: LOGIN's arguments, AUTHENTICATE's mechanism.
    fn start_command(&mut self, bytes: &[u8]) {
        self.login = Login::No;
        self.mechanism = None;
        let Some((_, name, _)) = command_start(bytes) else { return };
        match name.as_str() {
            "LOGIN" => self.login = Login::Argument(0),
            "AUTHENTICATE" => {
                let words = String::from_utf8_lossy(bytes);
                self.mechanism = words.split_whitespace().nth(2).map(str::to_ascii_uppercase);
            }
            _ => {}
        }
    }

    /// The write after a `+` for `name`: a SASL response for AUTHENTICATE (masked), the rest
    /// of a command after its literal (LOGIN's password masked), or IDLE's DONE.
    fn masked_continuation(&mut self, bytes: &[u8], name: &str) -> Vec<u8> {
        if name == "AUTHENTICATE" {
            let plain = self.mechanism.as_deref() == Some("PLAIN");
            return match mask_sasl(bytes, plain) {
                Some(masked) => {
                    self.masked += 1;
                    masked
                }
                None => bytes.to_vec(),
            };
        }
        self.masked_write(bytes, false)
    }

    /// A write with LOGIN's password masked (`first`: it starts the command, and the
    /// arguments begin after `tag LOGIN `), and AUTHENTICATE's initial response masked.
    fn masked_write(&mut self, bytes: &[u8], first: bool) -> Vec<u8> {
        if first && self.mechanism.is_some() {
            return self.masked_initial_response(bytes);
        }
        if self.login == Login::No {
            return bytes.to_vec();
        }
        let mut at = 0;
        if first {
            // After `tag SP LOGIN SP`.
            let mut spaces = 0;
            while at < bytes.len() && spaces < 2 {
                if bytes[at] == b' ' {
                    spaces += 1;
                }
                at += 1;
            }
        }
        let mut out = bytes.get(..at).unwrap_or_default().to_vec();
        let mut masked_any = false;
        while at < bytes.len() {
            match self.login {
                Login::No => {
                    out.extend_from_slice(&bytes[at..]);
                    break;
                }
                Login::Literal(argument, left) => {
                    let take = left.min(bytes.len() - at);
                    if argument == 1 {
                        out.extend(std::iter::repeat_n(b'*', take));
                        masked_any = true;
                    } else {
                        out.extend_from_slice(&bytes[at..at + take]);
                    }
                    at += take;
                    self.login = if take == left {
                        Login::Argument(argument + 1)
                    } else {
                        Login::Literal(argument, left - take)
                    };
                }
                Login::Argument(argument) => {
                    let rest = &bytes[at..];
                    if rest.starts_with(b" ") {
                        out.push(b' ');
                        at += 1;
                        continue;
                    }
                    if argument > 1 || rest.starts_with(b"\r\n") || rest.starts_with(b"\n") {
                        out.extend_from_slice(rest);
                        self.login = Login::No;
                        break;
                    }
                    // A literal's header `{n}` or `{n+}` up to its CRLF: its octets follow.
                    let line_end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
                    let line = rest[..line_end].strip_suffix(b"\r\n").unwrap_or(&rest[..line_end]);
                    if rest.starts_with(b"{")
                        && let Some((size, _)) = trailing_literal(line)
                    {
                        out.extend_from_slice(&rest[..line_end]);
                        at += line_end;
                        self.login = Login::Literal(argument, usize::try_from(size).unwrap_or(usize::MAX));
                        continue;
                    }
                    // An atom or a quoted string, up to the space or line end after it.
                    let end = token_end(rest);
                    if argument == 1 {
                        out.extend_from_slice(format!("\"{MASK}\"").as_bytes());
                        masked_any = true;
                    } else {
                        out.extend_from_slice(&rest[..end]);
                    }
                    at += end;
                    self.login = Login::Argument(argument + 1);
                }
            }
        }
        if masked_any {
            self.masked += 1;
        }
        out
    }

    /// `tag AUTHENTICATE mechanism initial-response` (SASL-IR, RFC 4959) with the response
    /// masked.
    fn masked_initial_response(&mut self, bytes: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(bytes);
        let words: Vec<&str> = text.trim_end_matches(['\r', '\n']).splitn(4, ' ').collect();
        let [tag, command, mechanism, response] = words.as_slice() else { return bytes.to_vec() };
        let plain = self.mechanism.as_deref() == Some("PLAIN");
        let Some(masked) = mask_sasl(response.as_bytes(), plain) else { return bytes.to_vec() };
        self.masked += 1;
        let ending = if text.ends_with("\r\n") { "\r\n" } else { "" };
        format!("{tag} {command} {mechanism} {}{ending}", String::from_utf8_lossy(&masked)).into_bytes()
    }

    /// Everything the server said in answer to one command (or its greeting, or a `+`), as
    /// one step explained as that command's answer. `tagged`: it ends in the tagged
    /// completion or is a `+`, and so answers the oldest command asked; untagged data alone
    /// (the greeting, news during IDLE) answers nothing yet.
    fn flush_answer(&mut self, at: Millis, tagged: bool) {
        if self.answer.is_empty() {
            return;
        }
        let answer = std::mem::take(&mut self.answer);
        let asked = if tagged { self.asked.pop_front() } else { None };
        let mut refused = false;
        if answer.starts_with(b"+") {
            self.continuing.clone_from(&asked);
        } else if tagged && self.client_start > 0 && self.asked.is_empty() {
            // The command waiting for its literal was refused instead of continued (§7.6):
            // the server forgot it, and what the client sends next is a new command.
            self.client.drain(..self.client_start);
            self.client_start = 0;
            self.client_framer.abandon();
            refused = true;
        }
        let (kept, cut) = kept(&answer);
        let (summary, mut explanation, rfc) = explain::response(kept, asked.as_deref());
        if cut {
            explanation.push_str(&format!(
                " (The recording keeps the first {} of its {} octets.)",
                kept.len(),
                answer.len()
            ));
        }
        self.log.push(at, false, StepKind::ImapResponse, Some(kept), summary, explanation, Some(&rfc), None);
        if refused {
            self.frame_client(at);
        }
    }
}

/// The end of the atom or quoted string `rest` starts with.
fn token_end(rest: &[u8]) -> usize {
    if rest.first() == Some(&b'"') {
        let mut escaped = false;
        for (i, &b) in rest.iter().enumerate().skip(1) {
            match b {
                b'\\' if !escaped => escaped = true,
                b'"' if !escaped => return i + 1,
                b'\r' | b'\n' => return i,
                _ => escaped = false,
            }
        }
        return rest.len();
    }
    rest.iter().position(|&b| b == b' ' || b == b'\r' || b == b'\n').unwrap_or(rest.len())
}
