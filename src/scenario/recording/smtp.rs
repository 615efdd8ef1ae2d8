//! The [`Recorder`]: what crossed a real SMTP session's socket, cut into steps and explained.

use std::collections::VecDeque;
use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::log::{Log, kept, mask_sasl, masked_sentence};
use super::{MASK, MAX_KEPT_DATA, Recording};
use crate::proto::Verb;
use crate::proto::data::{DataReader, LinePolicy};
use crate::proto::reply::parse_reply;
use crate::scenario::edit::remove_entries;
use crate::scenario::played::Played;
use crate::scenario::toml_write::basic_string;
use crate::scenario::{MAX_SCENARIO_OCTETS, MAX_WRITES, Scenario};
use crate::teach::explain;
use crate::timeline::{Change, Millis, StepKind, StoredMessage};

/// Which side of the session the recorder sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `serve`: the server, which reads the client's bytes and writes whole replies.
    Serve,
    /// `send`: the client, which writes commands and reads replies in whatever pieces arrive.
    Send,
}

/// What the client's next bytes are, as the server will read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Command lines.
    Commands,
    /// Held until the reply to the command before them arrives: after DATA they are message
    /// data if it is 354, after AUTH a SASL response if it is 334, else commands.
    Held(Verb),
    /// Message data after 354, up to its end (RFC 5321 §4.1.1.4).
    Data,
    /// A BDAT chunk's octets still to come (RFC 3030 §2): read whatever they hold.
    Chunk(u64),
    /// One SASL response line (RFC 4954 §4), masked as `mask` says.
    Sasl(Secret),
}

/// How much of a SASL response is secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secret {
    /// Nothing: AUTH LOGIN's answer to `Username:`.
    None,
    /// PLAIN's `authzid NUL authcid NUL passwd` (RFC 4616 §2): the password.
    PlainPassword,
    /// All of it (LOGIN's password, CRAM-MD5's digest, any other mechanism).
    All,
}

/// Builds a recording's timeline from what crossed the socket.
#[derive(Debug)]
pub struct Recorder {
    side: Side,
    log: Log,
    port: u16,
    policy: LinePolicy,
    reading: Reading,
    /// Client bytes not yet made into steps.
    pending: Vec<u8>,
    /// The message data read so far, and how the server reads its end.
    data: Vec<u8>,
    data_octets: u64,
    reader: Option<DataReader>,
    /// Server bytes not yet ending a reply (`send` reads them in pieces).
    replies: Vec<u8>,
    /// What each reply still to come answers, oldest first (pipelining, RFC 2920).
    answering: VecDeque<Option<Verb>>,
    /// The SASL mechanism being negotiated, upper case.
    mechanism: Option<String>,
    masked: usize,
    /// The client's writes, masked, as a scenario's `[[type]]` types them: everything sent
    /// before the server's next reply is one write.
    writes: Vec<Vec<u8>>,
    writing: Vec<u8>,
}

impl Recorder {
    /// A recorder of a session between `client` and `server` (their lanes: an address, a
    /// host name), on `port`, from `side`, whose server ends message data as `policy`
    /// says.
    pub fn new(side: Side, client: &str, server: &str, port: u16, policy: LinePolicy) -> Self {
        Self {
            side,
            log: Log::new(client, server),
            port,
            policy,
            reading: Reading::Commands,
            pending: Vec::new(),
            data: Vec::new(),
            data_octets: 0,
            reader: None,
            replies: Vec::new(),
            answering: VecDeque::new(),
            mechanism: None,
            masked: 0,
            writes: Vec::new(),
            writing: Vec::new(),
        }
    }

    /// The TCP connection opened, at time 0 of the recording.
    pub fn connected(&mut self) {
        let (who, whose) = match self.side {
            Side::Serve => ("A real client", "`serve`'s listening socket"),
            Side::Send => ("`smtp-playground send`", "the server's port"),
        };
        let explanation = format!(
            "{who} opens a TCP connection to {whose}. Nothing about mail has been said yet: in SMTP the \
             server speaks first, with its greeting."
        );
        self.log.connected(self.port, "SMTP", explanation, "RFC 5321 §3.1");
    }

    /// Octets the client sent (read by `serve`, written by `send`).
    pub fn client_bytes(&mut self, at: Millis, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        self.read_client(at);
    }

    /// A whole reply the server wrote (`serve` has each one).
    pub fn reply(&mut self, at: Millis, bytes: &[u8]) {
        self.flush_write();
        let answering = self.answering.pop_front().flatten();
        let code = parse_reply(bytes).map(|r| r.code.get());
        let (summary, explanation, rfc) = explain::reply_text(bytes, answering);
        self.log.push(at, false, StepKind::Reply, Some(bytes), summary, explanation, Some(&rfc), code);
        self.resolve(at, code, bytes, answering);
    }

    /// Octets the server sent, in whatever pieces they arrived (`send`): each reply, single
    /// or multiline (RFC 5321 §4.2.1), becomes a step once its last line is in.
    pub fn server_bytes(&mut self, at: Millis, bytes: &[u8]) {
        self.replies.extend_from_slice(bytes);
        while let Some(end) = reply_end(&self.replies) {
            let reply: Vec<u8> = self.replies.drain(..end).collect();
            self.reply(at, &reply);
        }
    }

    /// The TLS handshake after STARTTLS's 220 completed (`description`: version and cipher
    /// suite): what follows is encrypted.
    pub fn tls_established(&mut self, at: Millis, description: &str) {
        let explanation = format!(
            "Client and server agreed on keys ({description}); from here every byte is encrypted. The \
             server forgets everything said before, so the client must say EHLO again, and the capability \
             list it gets now is the one to trust."
        );
        self.log.tls_handshake(at, explanation, "RFC 3207 §4.2");
    }

    /// Something the server did or decided that has no bytes of its own: a note on its lane.
    pub fn note(&mut self, at: Millis, summary: &str, explanation: &str, rfc: &str) {
        self.log.local(at, StepKind::Note, summary.to_owned(), explanation.to_owned(), rfc);
    }

    /// `serve` stored a message for `mailbox` (before its 250, RFC 5321 §6.1): a delivery
    /// step, and the message in the Mailboxes inspector. `text` is the stored file.
    pub fn stored(
        &mut self,
        at: Millis,
        mailbox: &str,
        id: &str,
        reverse_path: &str,
        recipients: &[String],
        text: &[u8],
    ) {
        let (kept, cut) = kept(text);
        let message = StoredMessage {
            id: id.to_owned(),
            reverse_path: reverse_path.to_owned(),
            recipients: recipients.to_vec(),
            data: String::from_utf8_lossy(kept).into_owned().into(),
            flags: Vec::new(),
        };
        let host = self.log.server.clone();
        self.log.changes.push(Change::Stored { host, mailbox: mailbox.to_owned(), message });
        *self.log.outcome.delivered.entry(mailbox.to_owned()).or_default() += 1;
        let cut = if cut { " The recording keeps its first megabyte." } else { "" };
        let explanation = format!(
            "The server wrote the message for {mailbox} to its maildir, with its Return-Path and Received \
             fields, and only then answers 250: a 250 is a promise that the message is safe, so it must not \
             come before the message is on disk.{cut} Open the Mailboxes inspector to read it as stored."
        );
        let summary = format!("{} stores the message for {mailbox} (queue id {id})", self.log.server);
        self.log.local(at, StepKind::Delivery, summary, explanation, "RFC 5321 §6.1, §4.4");
    }

    /// The connection ended: `how` in words (closed by the client, timed out…).
    pub fn closed(&mut self, at: Millis, how: &str) {
        self.flush_write();
        if !self.pending.is_empty() || !self.data.is_empty() {
            // Bytes that never made a whole line: shown as they were.
            let mut rest = std::mem::take(&mut self.data);
            rest.append(&mut self.pending);
            let summary = format!("{} octets the client sent without finishing the line", rest.len());
            let explanation = "The connection ended before these bytes made a whole command line or the end \
                               of the message data, so the server never acted on them."
                .to_owned();
            let (kept, _) = kept(&rest);
            let kept = kept.to_vec();
            self.log.push(
                at,
                true,
                StepKind::Data,
                Some(&kept),
                summary,
                explanation,
                Some("RFC 5321 §2.3.8"),
                None,
            );
            self.writes.push(rest);
        }
        let explanation = format!(
            "The session is over: {how}. A client ends politely with QUIT and waits for the 221 before it \
             closes; a server closes on its own only after a 421 (or when the connection breaks)."
        );
        self.log.closed(at, explanation, "RFC 5321 §4.1.1.10, §3.8");
    }

    /// How many secrets were masked so far.
    pub fn masked(&self) -> usize {
        self.masked
    }

    /// The recording: its timeline, what it is, and a scenario (`source`) that replays the
    /// client's side against `world`'s host `host` in the simulator: `world` is the scenario
    /// text `serve` ran (for `send`, none: the replay then has no server to type at and the
    /// scenario says so).
    pub fn finish(mut self, info: Recording, world: Option<(&str, &str)>) -> Played {
        self.flush_write();
        let title = match self.side {
            Side::Serve => format!("Recorded: {} → {}", self.log.client, self.log.server),
            Side::Send => format!("Recorded: send → {}", self.log.server),
        };
        let masked = masked_sentence(info.masked, "a password in AUTH");
        let description = format!(
            "A real SMTP session, recorded by `smtp-playground {}` on {}: {} talked to {}. Every step is \
             what crossed the socket, explained the way a lesson's steps are.{masked}",
            info.by, info.started, info.client, info.server
        );
        let source = world.map(|(text, host)| self.scenario_text(text, host, &title)).unwrap_or_default();
        self.log.played(info, title, description, source)
    }

    /// The scenario that replays this session: `world`'s text without its title, narrative
    /// and actions, a client host, and the client's writes typed at `host`.
    fn scenario_text(&self, world: &str, host: &str, title: &str) -> String {
        const DROPPED: [&str; 12] = [
            "title",
            "description",
            "topic",
            "goals",
            "recap",
            "send",
            "type",
            "retrieve",
            "note",
            "try_next",
            "expect",
            "fault",
        ];
        let Ok(rest) = remove_entries(world, &DROPPED) else { return String::new() };
        // A world whose passwords cannot all be masked gets no replay: no password leaves.
        let Some(rest) = mask_passwords(&rest) else { return String::new() };
        let taken: Vec<String> = crate::scenario::parse(&rest)
            .map(|s: Scenario| s.world.hosts.iter().map(|h| h.ip.to_string()).collect())
            .unwrap_or_default();
        let Some(ip) = (1..=254u8).rev().map(|n| format!("192.0.2.{n}")).find(|ip| !taken.contains(ip))
        else {
            return String::new();
        };
        let mut out = String::new();
        let _ = writeln!(out, "title = {}", basic_string(&format!("Replay of “{title}”")));
        let masked = if self.masked > 0 {
            " Its passwords were masked when it was recorded, and so are the users' passwords here: AUTH \
             succeeds with ******** as the password."
        } else {
            ""
        };
        let description = format!(
            "The client's side of a recorded session, typed at the simulated {host}: change a line and Run \
             to see what the server would have answered.{masked}"
        );
        let _ = writeln!(out, "description = {}", basic_string(&description));
        out.push('\n');
        out.push_str(rest.trim_start());
        if !out.ends_with('\n') {
            out.push('\n');
        }
        let _ =
            write!(out, "\n[[host]]\nname = \"client.recorded.example\"\nrole = \"client\"\nip = \"{ip}\"\n");
        let _ = write!(
            out,
            "\n[[type]]\nfrom = \"client.recorded.example\"\nto = {}\nlines = [\n",
            basic_string(host)
        );
        let budget = MAX_SCENARIO_OCTETS.saturating_sub(out.len() + 256);
        let mut used = 0;
        for (typed, write) in self.writes.iter().enumerate() {
            let line = basic_string(&String::from_utf8_lossy(write));
            if typed == MAX_WRITES || used + line.len() > budget {
                let _ = writeln!(
                    out,
                    "  # … {} more writes are not typed here (a scenario's limits)",
                    self.writes.len() - typed
                );
                break;
            }
            used += line.len();
            let _ = writeln!(out, "  {line},");
        }
        out.push_str("]\n");
        out
    }

    /// Makes steps of the client's pending bytes, as far as the server has read them.
    fn read_client(&mut self, at: Millis) {
        loop {
            match self.reading {
                Reading::Held(_) => return,
                Reading::Chunk(left) => {
                    if self.pending.is_empty() {
                        return;
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(self.pending.len());
                    let chunk: Vec<u8> = self.pending.drain(..take).collect();
                    self.keep_data(&chunk);
                    let left = left - take as u64;
                    self.reading = Reading::Chunk(left);
                    if left > 0 {
                        return;
                    }
                    self.reading = Reading::Commands;
                    self.data_step(at, "RFC 3030 §2");
                    self.answering.push_back(Some(Verb::Bdat));
                }
                Reading::Data => {
                    if self.pending.is_empty() {
                        return;
                    }
                    let reader =
                        self.reader.get_or_insert_with(|| DataReader::new(self.policy, MAX_KEPT_DATA as u64));
                    let (used, end) = reader.read(&self.pending);
                    let used = used.min(self.pending.len());
                    let part: Vec<u8> = self.pending.drain(..used).collect();
                    self.keep_data(&part);
                    if end.is_none() {
                        if used == 0 {
                            // Nothing consumed and no end: wait for more (never spin).
                            return;
                        }
                        continue;
                    }
                    self.reader = None;
                    self.reading = Reading::Commands;
                    self.data_step(at, "RFC 5321 §4.1.1.4, §4.5.2");
                    self.answering.push_back(Some(Verb::Data));
                }
                Reading::Commands | Reading::Sasl(_) => {
                    let Some(end) = memchr::memchr(b'\n', &self.pending) else { return };
                    let line: Vec<u8> = self.pending.drain(..=end).collect();
                    self.client_line(at, &line);
                }
            }
        }
    }

    /// One line from the client: a command, or a SASL response.
    fn client_line(&mut self, at: Millis, line: &[u8]) {
        if let Reading::Sasl(secret) = self.reading {
            self.reading = Reading::Commands;
            let before = self.masked;
            let line = self.mask_response(line, secret);
            self.command_step(at, &line, self.masked > before);
            // The server answers the response as part of AUTH (334 again, 235 or 535).
            self.answering.push_back(Some(Verb::Auth));
            return;
        }
        let word = line.split(|b| b.is_ascii_whitespace()).next().unwrap_or_default();
        let verb = Verb::from_word(word);
        let before = self.masked;
        let line = match verb {
            Some(Verb::Auth) => self.mask_auth(line),
            _ => line.to_vec(),
        };
        self.command_step(at, &line, self.masked > before);
        self.answering.push_back(verb);
        match verb {
            Some(Verb::Data) => self.reading = Reading::Held(Verb::Data),
            Some(Verb::Auth) => self.reading = Reading::Held(Verb::Auth),
            Some(Verb::Bdat) => {
                let size = String::from_utf8_lossy(line.get(5..).unwrap_or_default())
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok());
                if let Some(size) = size.filter(|&n| n > 0) {
                    self.reading = Reading::Chunk(size);
                } else if size == Some(0) {
                    self.data_step(at, "RFC 3030 §2");
                    self.answering.pop_back();
                    self.answering.push_back(Some(Verb::Bdat));
                }
            }
            _ => {}
        }
    }

    /// The reply `code` (with its text `bytes`) to the command `answered` settles what held
    /// client bytes are: message data after DATA's 354, a SASL response after AUTH's 334,
    /// otherwise commands. A reply to an earlier command of a pipelined group settles
    /// nothing.
    fn resolve(&mut self, at: Millis, code: Option<u16>, bytes: &[u8], answered: Option<Verb>) {
        let sasl = code == Some(334) && answered == Some(Verb::Auth) && self.mechanism.is_some();
        match self.reading {
            Reading::Held(held) if Some(held) != answered => return,
            Reading::Held(Verb::Data) if code == Some(354) => self.reading = Reading::Data,
            Reading::Held(_) | Reading::Commands if sasl => {
                self.reading = Reading::Sasl(self.secret_after(bytes))
            }
            Reading::Held(_) => self.reading = Reading::Commands,
            _ => {}
        }
        if answered == Some(Verb::Auth) && !sasl {
            self.mechanism = None;
        }
        self.read_client(at);
    }

    /// What is secret in the response to a 334 challenge (`bytes`: the reply).
    fn secret_after(&self, reply: &[u8]) -> Secret {
        match self.mechanism.as_deref() {
            Some("PLAIN") => Secret::PlainPassword,
            Some("LOGIN") => {
                let text = reply.get(4..).unwrap_or_default();
                let text = text.strip_suffix(b"\r\n").unwrap_or(text);
                let challenge = BASE64.decode(text.trim_ascii()).unwrap_or_default();
                if challenge.eq_ignore_ascii_case(b"Username:") { Secret::None } else { Secret::All }
            }
            _ => Secret::All,
        }
    }

    /// `AUTH mechanism [initial-response]` with the response masked as it needs (RFC 4954
    /// §4): PLAIN's password; LOGIN's initial response is the user name, kept.
    fn mask_auth(&mut self, line: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(line);
        let mut words = text.split_ascii_whitespace();
        let _auth = words.next();
        let mechanism = words.next().map(str::to_ascii_uppercase);
        let response = words.next();
        self.mechanism.clone_from(&mechanism);
        let Some(response) = response else { return line.to_vec() };
        let secret = match mechanism.as_deref() {
            Some("PLAIN") => Secret::PlainPassword,
            Some("LOGIN") => Secret::None,
            _ => Secret::All,
        };
        let masked = self.mask_response(response.as_bytes(), secret);
        let masked = String::from_utf8_lossy(&masked);
        let ending = if line.ends_with(b"\r\n") {
            "\r\n"
        } else if line.ends_with(b"\n") {
            "\n"
        } else {
            ""
        };
        let head = text.trim_end_matches(['\r', '\n']);
        let keep = head.rfind(response).map_or(head, |i| &head[..i]);
        format!("{keep}{}{ending}", masked.trim_end_matches(['\r', '\n'])).into_bytes()
    }

    /// A SASL response line with its secret replaced by [`MASK`] (base64, as it travels).
    fn mask_response(&mut self, line: &[u8], secret: Secret) -> Vec<u8> {
        if secret == Secret::None {
            return line.to_vec();
        }
        match mask_sasl(line, secret == Secret::PlainPassword) {
            Some(masked) => {
                self.masked += 1;
                masked
            }
            None => line.to_vec(),
        }
    }

    /// A command line (or SASL response) step; `masked` when its secret was replaced.
    fn command_step(&mut self, at: Millis, line: &[u8], masked: bool) {
        self.writing.extend_from_slice(line);
        let (summary, mut explanation, rfc) = explain::command_line(line);
        if masked {
            explanation.push_str(
                " In this recording the password reads ********: it was masked when the session was \
                 recorded, and the line that crossed the wire held the real one.",
            );
        }
        self.log.push(at, true, StepKind::Command, Some(line), summary, explanation, Some(&rfc), None);
    }

    /// Message data (or a BDAT chunk) read so far, kept up to [`MAX_KEPT_DATA`].
    fn keep_data(&mut self, part: &[u8]) {
        self.writing.extend_from_slice(part);
        self.data_octets += part.len() as u64;
        let room = MAX_KEPT_DATA.saturating_sub(self.data.len());
        self.data.extend_from_slice(part.get(..room.min(part.len())).unwrap_or_default());
    }

    fn data_step(&mut self, at: Millis, rfc: &str) {
        let data = std::mem::take(&mut self.data);
        let octets = std::mem::take(&mut self.data_octets);
        let (summary, mut explanation) = explain::data_text(&data);
        if octets > data.len() as u64 {
            let _ = write!(
                explanation,
                " (The recording keeps the first {} of its {octets} octets.)",
                data.len()
            );
        }
        self.log.push(at, true, StepKind::Data, Some(&data), summary, explanation, Some(rfc), None);
    }

    /// What the client sent before the server's next reply, as one typed write.
    fn flush_write(&mut self) {
        if !self.writing.is_empty() {
            self.writes.push(std::mem::take(&mut self.writing));
        }
    }
}

/// `source` with every host's `users` passwords written as [`MASK`]: a recording carries no
/// password, not even in the world it replays in (and a masked AUTH then succeeds there).
/// `None` when one cannot be masked (a multi-line string): the result is read back, and
/// every password must read `********`.
fn mask_passwords(source: &str) -> Option<String> {
    let spots: Vec<_> = passwords(source)?.into_iter().map(|(pos, _)| pos).collect();
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    let mut out = String::with_capacity(source.len());
    for (number, line) in lines.iter().enumerate() {
        let mut rest: &str = line;
        let mut columns: Vec<usize> =
            spots.iter().filter(|p| p.line == number + 1).map(|p| p.column).collect();
        columns.sort_unstable();
        let mut column = 1;
        for start in columns {
            // Positions come from the reader, one value each, left to right; anything else is
            // left as it is rather than trusted.
            let Some(skip) = start.checked_sub(column) else { break };
            let Some(offset) = rest.char_indices().nth(skip).map(|(i, _)| i) else { break };
            out.push_str(&rest[..offset]);
            let literal = &rest[offset..];
            let Some(length) = string_literal_length(literal) else {
                rest = literal;
                column = start;
                continue;
            };
            out.push_str(&basic_string(MASK));
            column = start + literal[..length].chars().count();
            rest = &literal[length..];
        }
        out.push_str(rest);
    }
    passwords(&out)?.iter().all(|(_, password)| password == MASK).then_some(out)
}

/// Where each host's `users` passwords stand in `source`, and what they read.
fn passwords(source: &str) -> Option<Vec<(crate::scenario::toml::Pos, String)>> {
    use crate::scenario::toml::{self, Value};
    let root = toml::parse(source).ok()?;
    let mut found = Vec::new();
    if let Some(Value::Array(hosts)) = root.get("host").map(|e| &e.item.value) {
        for host in hosts {
            let Value::Table(host) = &host.value else { continue };
            let Some(Value::Table(users)) = host.get("users").map(|e| &e.item.value) else { continue };
            for user in &users.entries {
                if let Value::String(password) = &user.item.value {
                    found.push((user.item.pos, password.clone()));
                }
            }
        }
    }
    Some(found)
}

/// The length of the one-line TOML string literal `text` starts with (`"…"` with escapes,
/// or `'…'`), quotes included.
fn string_literal_length(text: &str) -> Option<usize> {
    if text.starts_with("\"\"\"") || text.starts_with("\'\'\'") {
        return None;
    }
    let quote = text.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            '\\' if quote == '"' && !escaped => escaped = true,
            c if c == quote && !escaped => return Some(i + 1),
            '\n' => return None,
            _ => escaped = false,
        }
    }
    None
}

/// Where the first complete reply in `bytes` ends: after the line whose code is followed
/// by a space or nothing (RFC 5321 §4.2.1), or after any line that is no reply line at all
/// (shown as it came).
fn reply_end(bytes: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(offset) = memchr::memchr(b'\n', bytes.get(start..)?) {
        let end = start + offset + 1;
        let line = &bytes[start..end];
        let continues = line.len() > 4 && line[..3].iter().all(u8::is_ascii_digit) && line[3] == b'-';
        if !continues {
            return Some(end);
        }
        start = end;
    }
    None
}
