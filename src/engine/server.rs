//! The receiving side of an SMTP session (RFC 5321 §3, §4.1.4).

use std::collections::VecDeque;

use crate::proto::{
    Command, Reply, ReplyCode,
    command::command,
    data::{dot_unstuff, find_end_of_data},
};

/// What the server waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    ExpectHelo,
    ExpectMail,
    ExpectRcpt,
    ExpectRcptOrData,
    ExpectData,
    Closed,
}

/// Something the server session did that its owner may want to show or act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A complete message was accepted with `250` after `CRLF.CRLF`.
    MessageAccepted { reverse_path: String, forward_paths: Vec<String>, data: Vec<u8> },
    /// The client sent `QUIT` and the server closed the channel.
    Closed,
}

/// A sans-IO SMTP server session: feed it bytes, poll it for replies and events.
#[derive(Debug)]
pub struct ServerSession {
    hostname: String,
    state: State,
    input: Vec<u8>,
    replies: VecDeque<Reply>,
    events: VecDeque<ServerEvent>,
    reverse_path: String,
    forward_paths: Vec<String>,
}

impl ServerSession {
    /// A session that has just accepted a connection and queued its `220` greeting.
    pub fn new(hostname: impl Into<String>) -> Self {
        let hostname = hostname.into();
        let greeting = Reply::new(ReplyCode::SERVICE_READY, format!("{hostname} ESMTP smtp-playground"));
        Self {
            hostname,
            state: State::ExpectHelo,
            input: Vec::new(),
            replies: VecDeque::from([greeting]),
            events: VecDeque::new(),
            reverse_path: String::new(),
            forward_paths: Vec::new(),
        }
    }

    /// Feeds bytes received from the client.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
        while self.state != State::Closed && self.process_one() {}
    }

    /// The next reply to send, if any.
    pub fn poll_reply(&mut self) -> Option<Reply> {
        self.replies.pop_front()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Handles one command or one message's data; false when more input is needed.
    fn process_one(&mut self) -> bool {
        if self.state == State::ExpectData {
            let Some(end) = find_end_of_data(&self.input) else { return false };
            let data = dot_unstuff(&self.input[..end - 3]);
            self.input.drain(..end);
            self.events.push_back(ServerEvent::MessageAccepted {
                reverse_path: std::mem::take(&mut self.reverse_path),
                forward_paths: std::mem::take(&mut self.forward_paths),
                data,
            });
            self.reply(250, "2.0.0 Ok: queued");
            self.state = State::ExpectMail;
            return true;
        }
        let Some(line_end) = self.input.windows(2).position(|w| w == b"\r\n") else { return false };
        let line: Vec<u8> = self.input.drain(..line_end + 2).collect();
        match command(&line) {
            Ok((_, cmd)) => self.handle_command(cmd),
            Err(_) => self.reply(500, "5.5.2 Error: command not recognized"),
        }
        true
    }

    fn handle_command(&mut self, cmd: Command) {
        match (self.state, cmd) {
            (_, Command::Quit) => {
                self.reply(221, "2.0.0 Bye");
                self.state = State::Closed;
                self.events.push_back(ServerEvent::Closed);
            }
            (_, Command::Helo(_) | Command::Ehlo(_)) => {
                let text = self.hostname.clone();
                self.reply(250, text);
                self.reverse_path.clear();
                self.forward_paths.clear();
                self.state = State::ExpectMail;
            }
            (State::ExpectMail, Command::Mail(path)) => {
                self.reverse_path = path;
                self.reply(250, "2.1.0 Ok");
                self.state = State::ExpectRcpt;
            }
            (State::ExpectRcpt | State::ExpectRcptOrData, Command::Rcpt(path)) => {
                self.forward_paths.push(path);
                self.reply(250, "2.1.5 Ok");
                self.state = State::ExpectRcptOrData;
            }
            (State::ExpectRcptOrData, Command::Data) => {
                self.reply(354, "End data with <CR><LF>.<CR><LF>");
                self.state = State::ExpectData;
            }
            (State::ExpectHelo, _) => self.reply(503, "5.5.1 Error: send HELO/EHLO first"),
            (State::ExpectRcpt, Command::Data) => self.reply(554, "5.5.1 Error: no valid recipients"),
            _ => self.reply(503, "5.5.1 Error: bad sequence of commands"),
        }
    }

    fn reply(&mut self, code: u16, text: impl Into<String>) {
        let code = ReplyCode::new(code).unwrap_or(ReplyCode::SYNTAX_ERROR);
        self.replies.push_back(Reply::new(code, text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(server: &mut ServerSession) -> Vec<u16> {
        std::iter::from_fn(|| server.poll_reply()).map(|r| r.code.get()).collect()
    }

    #[test]
    fn full_transaction() {
        let mut server = ServerSession::new("mx.example.com");
        server.handle_input(
            b"HELO example.com\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n",
        );
        server.handle_input(b"Subject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n");
        assert_eq!(codes(&mut server), [220, 250, 250, 250, 354, 250, 221]);
        let Some(ServerEvent::MessageAccepted { data, .. }) = server.poll_event() else {
            panic!("no message")
        };
        assert_eq!(data, b"Subject: hi\r\n\r\n.dot\r\n");
        assert!(server.is_closed());
    }

    #[test]
    fn sequencing_and_syntax_errors() {
        let mut server = ServerSession::new("mx");
        server.handle_input(b"MAIL FROM:<a@b>\r\nFROB\r\nHELO x\r\nDATA\r\nRCPT TO:<b@c>\r\n");
        assert_eq!(codes(&mut server), [220, 503, 500, 250, 503, 503]);
    }
}
