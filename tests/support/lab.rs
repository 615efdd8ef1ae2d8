//! A client typing into a real [`ServerSession`]: each call is one write on the wire,
//! recorded as `C:` lines, followed by every reply the server queued, recorded as `S:`
//! lines (the notation of RFC 5321 Appendix D).

use std::net::IpAddr;

use smtp_playground::engine::exchange::push_lines;
use smtp_playground::engine::{
    Policy, ReceivedMessage, ServerConfig, ServerEvent, ServerSession, Side, TranscriptLine,
};

/// One connection to a server, with the policy that decides for it.
pub struct Lab<P: Policy> {
    pub server: ServerSession,
    pub policy: P,
    pub transcript: Vec<TranscriptLine>,
    pub events: Vec<ServerEvent>,
    /// Whether STARTTLS completed: later lines travel inside TLS.
    tls: bool,
}

impl<P: Policy> Lab<P> {
    /// Opens the connection from `client_ip`; the greeting is recorded at once.
    pub fn connect(config: ServerConfig, policy: P, client_ip: Option<IpAddr>) -> Self {
        let mut lab = Self {
            server: ServerSession::new(config, client_ip),
            policy,
            transcript: Vec::new(),
            events: Vec::new(),
            tls: false,
        };
        lab.flush();
        lab
    }

    /// One write holding `lines`, each ending in CRLF. Several lines in one write are a
    /// pipelined group (RFC 2920): all replies come back after it.
    pub fn send(&mut self, lines: &[&str]) {
        let mut bytes = Vec::new();
        for line in lines {
            bytes.extend_from_slice(line.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        self.send_bytes(&bytes);
    }

    /// Each of `lines` in a write of its own, waiting for the replies in between: the
    /// lock-step dialogue of RFC 5321 without PIPELINING.
    pub fn send_each(&mut self, lines: &[&str]) {
        for line in lines {
            self.send(&[line]);
        }
    }

    /// Raw bytes in one write (a BDAT chunk need not end in CRLF).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        push_lines(&mut self.transcript, Side::Client, bytes, None, self.tls);
        self.server.handle_input(bytes, &mut self.policy);
        self.flush();
    }

    /// Records the queued replies, then the events. The 220 to STARTTLS is still sent
    /// in plaintext; TLS starts after it (RFC 3207 §4.2).
    fn flush(&mut self) {
        while let Some(reply) = self.server.poll_reply() {
            let code = Some(reply.code.get());
            push_lines(&mut self.transcript, Side::Server, &reply.to_bytes(), code, self.tls);
        }
        while let Some(event) = self.server.poll_event() {
            if event == ServerEvent::StartTlsAccepted {
                self.tls = true;
            }
            self.events.push(event);
        }
    }

    /// The messages the server took responsibility for.
    pub fn accepted(&self) -> Vec<&ReceivedMessage> {
        self.events
            .iter()
            .filter_map(|e| if let ServerEvent::MessageAccepted(m) = e { Some(&**m) } else { None })
            .collect()
    }
}

/// The reply codes of a transcript, one per reply, in order.
pub fn reply_codes(transcript: &[TranscriptLine]) -> Vec<u16> {
    transcript.iter().filter_map(|line| line.reply_code).collect()
}
