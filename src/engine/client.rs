//! The sending side of an SMTP session (RFC 5321 §3.3, §4.1.1).

use std::collections::VecDeque;

use crate::proto::{Command, Reply, data::dot_stuff, reply::reply};

/// Who sends and who receives: the envelope, not the message headers (RFC 5321 §2.3.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    /// The name the client gives in HELO.
    pub helo: String,
    pub reverse_path: String,
    pub forward_paths: Vec<String>,
}

/// What the client waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    ExpectGreeting,
    ExpectHeloReply,
    ExpectMailReply,
    ExpectRcptReply(usize),
    ExpectDataReply,
    ExpectDataEndReply,
    ExpectQuitReply,
    Done,
}

/// Something the client session learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// A reply arrived and was matched to what the client had sent.
    ReplyReceived(Reply),
    /// The message was accepted by the server (`250` after the data).
    MessageAccepted,
    /// The server refused a step; the transaction was abandoned with QUIT.
    TransactionFailed(Reply),
    /// The session ended after QUIT.
    Finished,
}

/// A sans-IO SMTP client session delivering one message.
#[derive(Debug)]
pub struct ClientSession {
    envelope: Envelope,
    message: String,
    state: State,
    input: Vec<u8>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<ClientEvent>,
}

impl ClientSession {
    /// A session that will deliver `message` (RFC 5322 text) under `envelope`.
    pub fn new(envelope: Envelope, message: impl Into<String>) -> Self {
        Self {
            envelope,
            message: message.into(),
            state: State::ExpectGreeting,
            input: Vec::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Feeds bytes received from the server.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
        while self.state != State::Done {
            match reply(&self.input) {
                Ok((rest, parsed)) => {
                    let used = self.input.len() - rest.len();
                    self.input.drain(..used);
                    self.handle_reply(parsed);
                }
                Err(nom::Err::Incomplete(_)) => break,
                Err(_) => {
                    // Not a reply: drop the line so a confused server cannot stall us.
                    let end =
                        self.input.windows(2).position(|w| w == b"\r\n").map_or(self.input.len(), |i| i + 2);
                    self.input.drain(..end);
                }
            }
        }
    }

    /// The next bytes to send (one command, or the whole dot-stuffed message).
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

    fn send(&mut self, command: Command, next: State) {
        self.transmit.push_back(command.to_bytes());
        self.state = next;
    }

    fn handle_reply(&mut self, reply: Reply) {
        let code = reply.code.get();
        self.events.push_back(ClientEvent::ReplyReceived(reply.clone()));
        let positive = (200..300).contains(&code);
        match self.state {
            State::ExpectGreeting if positive => {
                self.send(Command::Helo(self.envelope.helo.clone()), State::ExpectHeloReply)
            }
            State::ExpectHeloReply if positive => {
                self.send(Command::Mail(self.envelope.reverse_path.clone()), State::ExpectMailReply)
            }
            State::ExpectMailReply | State::ExpectRcptReply(_) if positive => {
                let next = match self.state {
                    State::ExpectRcptReply(i) => i + 1,
                    _ => 0,
                };
                match self.envelope.forward_paths.get(next) {
                    Some(path) => self.send(Command::Rcpt(path.clone()), State::ExpectRcptReply(next)),
                    None => self.send(Command::Data, State::ExpectDataReply),
                }
            }
            State::ExpectDataReply if code == 354 => {
                self.transmit.push_back(dot_stuff(&self.message));
                self.state = State::ExpectDataEndReply;
            }
            State::ExpectDataEndReply if positive => {
                self.events.push_back(ClientEvent::MessageAccepted);
                self.send(Command::Quit, State::ExpectQuitReply);
            }
            State::ExpectQuitReply => {
                self.state = State::Done;
                self.events.push_back(ClientEvent::Finished);
            }
            State::Done => {}
            _ => {
                self.events.push_back(ClientEvent::TransactionFailed(reply));
                self.send(Command::Quit, State::ExpectQuitReply);
            }
        }
    }
}
