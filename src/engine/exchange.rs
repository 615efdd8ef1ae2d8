//! Runs a client session against a server session in memory and records the
//! conversation as a `C:`/`S:` transcript (the notation of RFC 5321 Appendix D).

use super::{ClientSession, Policy, ServerEvent, ServerSession};

/// Which peer wrote a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    /// The transcript prefix RFC 5321 Appendix D uses.
    pub fn prefix(self) -> &'static str {
        match self {
            Side::Client => "C:",
            Side::Server => "S:",
        }
    }
}

/// One line of a transcript, as it crossed the wire (without its CRLF).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TranscriptLine {
    pub side: Side,
    pub text: String,
    /// The reply code, on the last line of a server reply.
    pub reply_code: Option<u16>,
    /// Whether the line travelled inside TLS (after a completed STARTTLS).
    #[serde(default)]
    pub tls: bool,
}

impl std::fmt::Display for TranscriptLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.side.prefix(), self.text)
    }
}

/// Splits bytes sent in one write into transcript lines.
pub fn push_lines(out: &mut Vec<TranscriptLine>, side: Side, bytes: &[u8], code: Option<u16>, tls: bool) {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let reply_code = if i == last { code } else { None };
        out.push(TranscriptLine { side, text: (*line).to_owned(), reply_code, tls });
    }
}

/// Lets `client` talk to `server` until both are done (or `max_rounds` passes), and
/// returns every line each sent, in order. A STARTTLS handshake completes at once.
pub fn exchange(
    client: &mut ClientSession,
    server: &mut ServerSession,
    policy: &mut dyn Policy,
    max_rounds: usize,
) -> Vec<TranscriptLine> {
    let mut transcript = Vec::new();
    let mut tls = false;
    for _ in 0..max_rounds {
        let mut progressed = false;
        while let Some(reply) = server.poll_reply() {
            let bytes = reply.to_bytes();
            push_lines(&mut transcript, Side::Server, &bytes, Some(reply.code.get()), tls);
            client.handle_input(&bytes);
            progressed = true;
        }
        while let Some(event) = server.poll_event() {
            if event == ServerEvent::StartTlsAccepted {
                tls = true;
            }
        }
        if client.is_handshaking() {
            client.tls_established();
        }
        while let Some(bytes) = client.poll_transmit() {
            push_lines(&mut transcript, Side::Client, &bytes, None, tls);
            server.handle_input(&bytes, policy);
            progressed = true;
        }
        if !progressed || (client.is_done() && server.is_closed()) {
            break;
        }
    }
    transcript
}
