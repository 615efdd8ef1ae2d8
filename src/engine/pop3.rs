//! POP3 (RFC 1939), the last hop of the journey: the recipient's mail client fetches
//! what the MX stored. Sans-IO like the SMTP sessions: a server that answers
//! `USER/PASS/STAT/LIST/RETR/DELE/NOOP/RSET/QUIT`, and a client that logs in, retrieves
//! every message and quits.

use std::collections::VecDeque;

/// The longest POP3 command line (RFC 2449 §4 raised RFC 1939's 40-octet arguments to 255).
const MAX_COMMAND_LINE: usize = 255;

/// The store a POP3 server reads: one maildrop per user.
pub trait Maildrop {
    /// The user's messages if the password is right (RFC 1939 §7 USER/PASS).
    fn open(&mut self, user: &str, password: &str) -> Option<Vec<Vec<u8>>>;
    /// Removes the messages marked with DELE, at QUIT (the UPDATE state, §6).
    fn delete(&mut self, user: &str, indices: &[usize]);
}

/// Something the POP3 server did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3Event {
    LoggedIn {
        user: String,
    },
    LoginFailed {
        user: String,
    },
    Retrieved {
        index: usize,
    },
    /// QUIT in the TRANSACTION state: deletions happened (UPDATE state).
    Updated {
        deleted: usize,
    },
    Closed,
}

#[derive(Debug, PartialEq, Eq)]
enum ServerState {
    Authorization { user: Option<String> },
    Transaction { user: String, messages: Vec<Vec<u8>>, deleted: Vec<bool> },
    Closed,
}

/// A sans-IO POP3 server session.
#[derive(Debug)]
pub struct Pop3Server {
    state: ServerState,
    input: Vec<u8>,
    output: VecDeque<Vec<u8>>,
    events: VecDeque<Pop3Event>,
}

impl Pop3Server {
    /// A session that has queued its greeting (§4).
    pub fn new(hostname: &str) -> Self {
        let mut server = Self {
            state: ServerState::Authorization { user: None },
            input: Vec::new(),
            output: VecDeque::new(),
            events: VecDeque::new(),
        };
        server.ok(&format!("{hostname} POP3 server ready"));
        server
    }

    pub fn handle_input(&mut self, bytes: &[u8], maildrop: &mut dyn Maildrop) {
        self.input.extend_from_slice(bytes);
        while self.state != ServerState::Closed {
            let Some(end) = self.input.windows(2).position(|w| w == b"\r\n") else {
                if self.input.len() > MAX_COMMAND_LINE {
                    self.input.clear();
                    self.err("line too long");
                }
                return;
            };
            let line: Vec<u8> = self.input.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&line[..end]).into_owned();
            self.command(&text, maildrop);
        }
    }

    /// The next response to send (one line, or a whole multi-line response).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.output.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Pop3Event> {
        self.events.pop_front()
    }

    pub fn is_closed(&self) -> bool {
        self.state == ServerState::Closed
    }

    fn ok(&mut self, text: &str) {
        self.output.push_back(format!("+OK {text}\r\n").into_bytes());
    }

    fn err(&mut self, text: &str) {
        self.output.push_back(format!("-ERR {text}\r\n").into_bytes());
    }

    fn command(&mut self, line: &str, maildrop: &mut dyn Maildrop) {
        let (keyword, argument) = line.split_once(' ').unwrap_or((line, ""));
        let keyword = keyword.to_ascii_uppercase();
        match (&mut self.state, keyword.as_str()) {
            (ServerState::Authorization { .. }, "USER") if !argument.is_empty() => {
                self.state = ServerState::Authorization { user: Some(argument.to_owned()) };
                self.ok("send PASS");
            }
            (ServerState::Authorization { user: Some(user) }, "PASS") => {
                let user = user.clone();
                match maildrop.open(&user, argument) {
                    Some(messages) => {
                        let deleted = vec![false; messages.len()];
                        let octets: usize = messages.iter().map(Vec::len).sum();
                        let text =
                            format!("{user}'s maildrop has {} messages ({octets} octets)", messages.len());
                        self.state = ServerState::Transaction { user: user.clone(), messages, deleted };
                        self.ok(&text);
                        self.events.push_back(Pop3Event::LoggedIn { user });
                    }
                    None => {
                        self.state = ServerState::Authorization { user: None };
                        self.err("invalid user name or password");
                        self.events.push_back(Pop3Event::LoginFailed { user });
                    }
                }
            }
            (ServerState::Transaction { messages, deleted, .. }, "STAT") => {
                let live = messages.iter().zip(deleted.iter()).filter(|(_, d)| !**d);
                let (count, octets) = live.fold((0, 0), |(n, o), (m, _)| (n + 1, o + m.len()));
                self.ok(&format!("{count} {octets}"));
            }
            (ServerState::Transaction { messages, deleted, .. }, "LIST") if argument.is_empty() => {
                let mut out = format!("+OK {} messages\r\n", deleted.iter().filter(|d| !**d).count());
                for (i, (m, d)) in messages.iter().zip(deleted.iter()).enumerate() {
                    if !d {
                        out.push_str(&format!("{} {}\r\n", i + 1, m.len()));
                    }
                }
                out.push_str(".\r\n");
                self.output.push_back(out.into_bytes());
            }
            (ServerState::Transaction { messages, deleted, .. }, "LIST") => {
                // §5: LIST msg answers for one message, on one line.
                match message_number(argument, messages.len()).filter(|&i| !deleted[i]) {
                    Some(i) => {
                        let text = format!("{} {}", i + 1, messages[i].len());
                        self.ok(&text);
                    }
                    None => self.err("no such message"),
                }
            }
            (ServerState::Transaction { messages, deleted, .. }, "RETR") => {
                match message_number(argument, messages.len()).filter(|&i| !deleted[i]) {
                    Some(i) => {
                        let mut out = format!("+OK {} octets\r\n", messages[i].len()).into_bytes();
                        out.extend_from_slice(&crate::proto::data::dot_stuff(&messages[i]));
                        self.output.push_back(out);
                        self.events.push_back(Pop3Event::Retrieved { index: i });
                    }
                    None => self.err("no such message"),
                }
            }
            (ServerState::Transaction { messages, deleted, .. }, "DELE") => {
                match message_number(argument, messages.len()).filter(|&i| !deleted[i]) {
                    Some(i) => {
                        deleted[i] = true;
                        self.ok(&format!("message {} deleted", i + 1));
                    }
                    None => self.err("no such message"),
                }
            }
            (ServerState::Transaction { deleted, .. }, "RSET") => {
                deleted.iter_mut().for_each(|d| *d = false);
                self.ok("maildrop reset");
            }
            (ServerState::Transaction { .. }, "NOOP") => self.ok(""),
            (ServerState::Transaction { user, deleted, .. }, "QUIT") => {
                // §6: the UPDATE state removes what DELE marked.
                let indices: Vec<usize> =
                    deleted.iter().enumerate().filter(|(_, d)| **d).map(|(i, _)| i).collect();
                let user = user.clone();
                maildrop.delete(&user, &indices);
                self.ok("bye");
                self.events.push_back(Pop3Event::Updated { deleted: indices.len() });
                self.state = ServerState::Closed;
                self.events.push_back(Pop3Event::Closed);
            }
            (_, "QUIT") => {
                self.ok("bye");
                self.state = ServerState::Closed;
                self.events.push_back(Pop3Event::Closed);
            }
            _ => self.err("command not valid here"),
        }
    }
}

/// `msg` argument: 1-based, within the maildrop.
fn message_number(argument: &str, count: usize) -> Option<usize> {
    let n: usize = argument.trim().parse().ok()?;
    (1..=count).contains(&n).then(|| n - 1)
}

/// A POP3 client that logs in, retrieves every message and quits (deleting them if asked).
#[derive(Debug)]
pub struct Pop3Client {
    user: String,
    password: String,
    delete: bool,
    step: ClientStep,
    input: Vec<u8>,
    output: VecDeque<Vec<u8>>,
    /// The messages retrieved, unstuffed.
    pub retrieved: Vec<Vec<u8>>,
    /// Why the client stopped early, if it did.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientStep {
    Greeting,
    User,
    Pass,
    Stat,
    Retr { next: usize, count: usize },
    Dele { next: usize, count: usize },
    Quit,
    Done,
}

impl Pop3Client {
    pub fn new(user: impl Into<String>, password: impl Into<String>, delete: bool) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
            delete,
            step: ClientStep::Greeting,
            input: Vec::new(),
            output: VecDeque::new(),
            retrieved: Vec::new(),
            error: None,
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.output.pop_front()
    }

    pub fn is_done(&self) -> bool {
        self.step == ClientStep::Done
    }

    fn send(&mut self, line: String, next: ClientStep) {
        self.output.push_back(format!("{line}\r\n").into_bytes());
        self.step = next;
    }

    /// Feeds server bytes; multi-line RETR responses are read up to their `.` line.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
        loop {
            let multiline = matches!(self.step, ClientStep::Retr { .. });
            let Some((response, used)) = next_response(&self.input, multiline) else {
                if self.input.len() > 16 * 1024 * 1024 {
                    self.error = Some("response too large".into());
                    self.step = ClientStep::Done;
                }
                return;
            };
            self.input.drain(..used);
            self.handle_response(response);
            if self.step == ClientStep::Done {
                return;
            }
        }
    }

    fn handle_response(&mut self, response: Vec<u8>) {
        if !response.starts_with(b"+OK") {
            self.error = Some(String::from_utf8_lossy(&response).trim_end().to_owned());
            if self.step == ClientStep::Quit {
                self.step = ClientStep::Done;
            } else {
                self.send("QUIT".into(), ClientStep::Quit);
            }
            return;
        }
        match self.step {
            ClientStep::Greeting => self.send(format!("USER {}", self.user), ClientStep::User),
            ClientStep::User => self.send(format!("PASS {}", self.password), ClientStep::Pass),
            ClientStep::Pass => self.send("STAT".into(), ClientStep::Stat),
            ClientStep::Stat => {
                let text = String::from_utf8_lossy(&response).into_owned();
                let count = text.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
                self.next_retr(0, count);
            }
            ClientStep::Retr { next, count } => {
                let body_start =
                    response.windows(2).position(|w| w == b"\r\n").map_or(response.len(), |i| i + 2);
                let body = &response[body_start..];
                let body = body.strip_suffix(b".\r\n").unwrap_or(body);
                self.retrieved.push(crate::proto::data::dot_unstuff(body));
                self.next_retr(next + 1, count);
            }
            ClientStep::Dele { next, count } => self.next_dele(next + 1, count),
            ClientStep::Quit => self.step = ClientStep::Done,
            ClientStep::Done => {}
        }
    }

    fn next_retr(&mut self, next: usize, count: usize) {
        if next < count {
            self.send(format!("RETR {}", next + 1), ClientStep::Retr { next, count });
        } else if self.delete && count > 0 {
            self.next_dele(0, count);
        } else {
            self.send("QUIT".into(), ClientStep::Quit);
        }
    }

    fn next_dele(&mut self, next: usize, count: usize) {
        if next < count {
            self.send(format!("DELE {}", next + 1), ClientStep::Dele { next, count });
        } else {
            self.send("QUIT".into(), ClientStep::Quit);
        }
    }
}

/// One complete response: a status line, or (for multi-line) up to the `.CRLF` line.
fn next_response(input: &[u8], multiline: bool) -> Option<(Vec<u8>, usize)> {
    let first_end = input.windows(2).position(|w| w == b"\r\n")? + 2;
    if !multiline || !input.starts_with(b"+OK") {
        return Some((input[..first_end].to_vec(), first_end));
    }
    let rest = &input[first_end..];
    let end =
        if rest.starts_with(b".\r\n") { 3 } else { rest.windows(5).position(|w| w == b"\r\n.\r\n")? + 5 };
    Some((input[..first_end + end].to_vec(), first_end + end))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Drop1(Vec<Vec<u8>>, Vec<usize>);

    impl Maildrop for Drop1 {
        fn open(&mut self, user: &str, password: &str) -> Option<Vec<Vec<u8>>> {
            (user == "bob" && password == "pw").then(|| self.0.clone())
        }
        fn delete(&mut self, _user: &str, indices: &[usize]) {
            self.1.extend_from_slice(indices);
        }
    }

    #[test]
    fn client_retrieves_everything_from_the_server() {
        let mut drop = Drop1(
            vec![b"Subject: one\r\n\r\n.dot\r\n".to_vec(), b"Subject: two\r\n\r\nx\r\n".to_vec()],
            vec![],
        );
        let mut server = Pop3Server::new("mx.example.net");
        let mut client = Pop3Client::new("bob", "pw", true);
        let mut transcript = Vec::new();
        for _ in 0..50 {
            while let Some(bytes) = server.poll_transmit() {
                transcript
                    .push(format!("S: {}", String::from_utf8_lossy(&bytes).lines().next().unwrap_or("")));
                client.handle_input(&bytes);
            }
            while let Some(bytes) = client.poll_transmit() {
                transcript.push(format!("C: {}", String::from_utf8_lossy(&bytes).trim_end()));
                server.handle_input(&bytes, &mut drop);
            }
            if client.is_done() {
                break;
            }
        }
        assert_eq!(client.retrieved, drop.0);
        assert_eq!(drop.1, [0, 1]);
        assert_eq!(transcript[1], "C: USER bob");
        assert_eq!(transcript[4], "S: +OK bob's maildrop has 2 messages (41 octets)");
        assert!(transcript.last().is_some_and(|l| l == "S: +OK bye"));
    }

    #[test]
    fn list_with_and_without_an_argument() {
        // RFC 1939 §5: LIST msg is one line, LIST alone a multi-line listing.
        let mut drop = Drop1(vec![b"a\r\n".to_vec(), b"bcd\r\n".to_vec()], vec![]);
        let mut server = Pop3Server::new("mx");
        server.handle_input(b"USER bob\r\nPASS pw\r\nLIST 2\r\nLIST 3\r\nLIST\r\n", &mut drop);
        let replies: Vec<String> = std::iter::from_fn(|| server.poll_transmit())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect();
        assert_eq!(replies[3], "+OK 2 5\r\n");
        assert!(replies[4].starts_with("-ERR"));
        assert_eq!(replies[5], "+OK 2 messages\r\n1 3\r\n2 5\r\n.\r\n");
    }

    #[test]
    fn wrong_password_and_out_of_state_commands() {
        let mut drop = Drop1(vec![], vec![]);
        let mut server = Pop3Server::new("mx");
        server.handle_input(b"STAT\r\nUSER bob\r\nPASS nope\r\nRETR 1\r\nQUIT\r\n", &mut drop);
        let replies: Vec<String> = std::iter::from_fn(|| server.poll_transmit())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect();
        assert_eq!(replies.len(), 6);
        assert!(
            replies[1].starts_with("-ERR")
                && replies[3].starts_with("-ERR")
                && replies[4].starts_with("-ERR")
        );
        assert!(server.is_closed());
    }
}
