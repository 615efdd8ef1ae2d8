// smtp_client and pop3: the sessions that read a peer's bytes besides the SMTP server
// (server_session): the SMTP client that `send` drives, fed server replies, and POP3
// (RFC 1939), server and client. `include!`d by ../checks.rs inside `mod engine_checks`.

use smtp_playground::engine::pop3::{Maildrop, Pop3Client, Pop3Server};
use smtp_playground::engine::{
    ClientConfig, ClientEvent, ClientSession, Credentials, Envelope, RecipientStatus, TlsMode,
};
use smtp_playground::proto::data::crlf_lines;
use smtp_playground::proto::{ForwardPath, ReversePath};

use super::shown;

/// Splits the chunked input format of server_session: each chunk is a length byte and that
/// many bytes (fewer at the end); a length byte of 0 makes the rest one chunk.
pub fn chunks(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((&len, after)) = rest.split_first() {
        let len = if len == 0 { after.len() } else { usize::from(len).min(after.len()) };
        let (chunk, after) = after.split_at(len);
        out.push(chunk);
        rest = after;
    }
    out
}

/// The client configurations the selector byte picks: bits 0–1 the TLS mode (0 never,
/// 1 opportunistic, 2 and 3 required), bit 2 credentials for AUTH, bit 3 no pipelining,
/// bit 4 CHUNKING wanted, bit 5 HELO instead of EHLO, bit 6 no SIZE, bit 7 three recipients.
pub fn client_setup(selector: u8) -> (ClientConfig, Envelope) {
    let config = ClientConfig {
        tls: match selector & 3 {
            0 => TlsMode::Never,
            1 => TlsMode::Opportunistic,
            _ => TlsMode::Required,
        },
        credentials: (selector & 0x04 != 0)
            .then(|| Credentials { user: "alice".to_owned(), password: "s3cret".to_owned() }),
        pipelining: selector & 0x08 == 0,
        chunking: selector & 0x10 != 0,
        ehlo: selector & 0x20 == 0,
        declare_size: selector & 0x40 == 0,
        ..ClientConfig::default()
    };
    let path = |text: &str| text.parse::<ForwardPath>().ok();
    let mut recipients: Vec<ForwardPath> = ["<bob@example.net>"].iter().filter_map(|p| path(p)).collect();
    if selector & 0x80 != 0 {
        recipients.extend(["<carol@example.net>", "<Postmaster>"].iter().filter_map(|p| path(p)));
    }
    let sender = "<alice@example.org>".parse::<ReversePath>().unwrap_or(ReversePath::Null);
    (config, Envelope::new(sender, recipients))
}

/// The message every client session sends: a dot line to stuff, a bare LF to normalize.
pub const CLIENT_MESSAGE: &[u8] = b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: hi\r\n\r\nHello Bob.\r\n.\r\n..two\nend\r\n";

/// Input: a selector byte (see [`client_setup`]), then server bytes in chunks (see
/// [`chunks`]). The client never panics; everything it sends ends in CRLF; the TLS
/// handshake it asks for succeeds at once. When the input ends the connection is lost, and
/// then the session is done and every recipient has an outcome; no recipient counts as
/// delivered unless the server accepted the message (250 after the data), and none that
/// the server refused at RCPT.
pub fn check_smtp_client(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let (config, envelope) = client_setup(selector);
    let mut session = ClientSession::new(config, envelope, CLIENT_MESSAGE);
    let mut accepted = false;
    let mut refused: Vec<ForwardPath> = Vec::new();
    let drain = |session: &mut ClientSession, accepted: &mut bool, refused: &mut Vec<ForwardPath>| {
        while let Some(bytes) = session.poll_transmit() {
            assert!(
                bytes.ends_with(b"\r\n"),
                "the client sent {} (no CRLF at the end)\ninput: {}",
                shown(&bytes),
                shown(data)
            );
        }
        while let Some(event) = session.poll_event() {
            match event {
                ClientEvent::MessageAccepted(_) => *accepted = true,
                ClientEvent::RecipientAnswered { recipient, reply } if !reply.code.is_positive() => {
                    refused.push(recipient)
                }
                _ => {}
            }
        }
    };
    for chunk in chunks(rest) {
        session.handle_input(chunk);
        drain(&mut session, &mut accepted, &mut refused);
        if session.is_handshaking() {
            session.tls_established();
            assert!(session.is_tls(), "tls_established did not switch to TLS");
            drain(&mut session, &mut accepted, &mut refused);
        }
    }
    session.connection_lost("the fuzz input ended");
    drain(&mut session, &mut accepted, &mut refused);
    assert!(session.is_done(), "not done after the connection was lost; input: {}", shown(data));
    for (recipient, status) in session.outcomes() {
        let status =
            status.unwrap_or_else(|| panic!("{:?} has no outcome; input: {}", recipient.path, shown(data)));
        if let RecipientStatus::Delivered(reply) = status {
            assert!(
                accepted,
                "{:?} delivered ({reply:?}) without MessageAccepted; input: {}",
                recipient.path,
                shown(data)
            );
            assert!(
                !refused.contains(&recipient.path),
                "{:?} refused at RCPT but delivered ({reply:?}); input: {}",
                recipient.path,
                shown(data)
            );
        }
    }
}

/// One maildrop: user `bob`, password `pw`.
struct FuzzMaildrop {
    messages: Vec<Vec<u8>>,
    deleted: Vec<usize>,
}

impl Maildrop for FuzzMaildrop {
    fn open(&mut self, user: &str, password: &str) -> Option<Vec<Vec<u8>>> {
        (user == "bob" && password == "pw").then(|| self.messages.clone())
    }

    fn delete(&mut self, _user: &str, indices: &[usize]) {
        self.deleted.extend_from_slice(indices);
    }
}

/// A POP3 response: `+OK` or `-ERR`, one line; or a multi-line response whose every line
/// ends in CRLF and whose last line is `.`.
fn assert_pop3_response(bytes: &[u8], input: &[u8]) {
    assert!(
        bytes.starts_with(b"+OK") || bytes.starts_with(b"-ERR"),
        "POP3 response {} is neither +OK nor -ERR; input: {}",
        shown(bytes),
        shown(input)
    );
    assert!(
        bytes.ends_with(b"\r\n"),
        "POP3 response {} does not end in CRLF; input: {}",
        shown(bytes),
        shown(input)
    );
    let first_end = bytes.windows(2).position(|w| w == b"\r\n").map_or(bytes.len(), |i| i + 2);
    let first = &bytes[..first_end - 2];
    assert!(
        !first.contains(&b'\r') && !first.contains(&b'\n'),
        "POP3 status line {} holds a bare CR or LF; input: {}",
        shown(first),
        shown(input)
    );
    if first_end < bytes.len() {
        assert!(
            bytes.ends_with(b"\r\n.\r\n"),
            "multi-line POP3 response {} does not end in CRLF.CRLF",
            shown(bytes)
        );
    }
}

/// Input: a selector byte whose value mod 3 picks the part: 0, a POP3 server fed client
/// bytes in chunks (see [`chunks`]); 1, a POP3 client fed server bytes in chunks; 2, a
/// server and a client talking, with the messages of the maildrop taken from the rest of
/// the input (split at NUL). Nothing panics; the server's responses are well formed; the
/// client's commands are single lines; and, talking to each other, the client retrieves
/// every message as the server holds it with CRLF line ends (dot-stuffing round trips), and
/// deletes them all when asked to.
pub fn check_pop3(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 3 {
        0 => {
            let mut maildrop = FuzzMaildrop {
                messages: vec![b"Subject: one\r\n\r\n.dot\r\n".to_vec(), b"x".to_vec(), Vec::new()],
                deleted: Vec::new(),
            };
            let mut server = Pop3Server::new("pop.example.net");
            for chunk in std::iter::once(&b""[..]).chain(chunks(rest)) {
                server.handle_input(chunk, &mut maildrop);
                while let Some(bytes) = server.poll_transmit() {
                    assert_pop3_response(&bytes, data);
                }
                while server.poll_event().is_some() {}
            }
            assert!(maildrop.deleted.iter().all(|&i| i < 3), "deleted {:?} of 3 messages", maildrop.deleted);
        }
        1 => {
            let mut client = Pop3Client::new("bob", "pw", selector & 0x80 != 0);
            for chunk in chunks(rest) {
                client.handle_input(chunk);
                while let Some(bytes) = client.poll_transmit() {
                    let line = bytes
                        .strip_suffix(b"\r\n")
                        .unwrap_or_else(|| panic!("POP3 command {} without CRLF", shown(&bytes)));
                    assert!(
                        !line.contains(&b'\r') && !line.contains(&b'\n'),
                        "POP3 command {} is not one line",
                        shown(&bytes)
                    );
                }
            }
        }
        _ => {
            let messages: Vec<Vec<u8>> = rest.split(|&b| b == 0).take(8).map(<[u8]>::to_vec).collect();
            let delete = selector & 0x80 != 0;
            let mut maildrop = FuzzMaildrop { messages: messages.clone(), deleted: Vec::new() };
            let mut server = Pop3Server::new("pop.example.net");
            let mut client = Pop3Client::new("bob", "pw", delete);
            for _ in 0..4 * messages.len() + 16 {
                while let Some(bytes) = server.poll_transmit() {
                    assert_pop3_response(&bytes, data);
                    client.handle_input(&bytes);
                }
                while let Some(bytes) = client.poll_transmit() {
                    server.handle_input(&bytes, &mut maildrop);
                }
                if client.is_done() {
                    break;
                }
            }
            assert!(client.is_done(), "the POP3 client did not finish; input: {}", shown(data));
            assert_eq!(client.error, None, "the POP3 client failed; input: {}", shown(data));
            let expected: Vec<Vec<u8>> = messages.iter().map(|m| crlf_lines(m)).collect();
            assert_eq!(client.retrieved, expected, "retrieved messages differ; input: {}", shown(data));
            let deleted: Vec<usize> = if delete { (0..messages.len()).collect() } else { Vec::new() };
            assert_eq!(maildrop.deleted, deleted, "deletions; input: {}", shown(data));
        }
    }
}
