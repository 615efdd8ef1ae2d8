//! `serve --record DIR` and `send --record FILE`: a real session, as it happens, fed to a
//! [`Recorder`] with the time since the connection opened, then written as a recording the
//! player opens (the JSON of a [`crate::scenario::played::Played`]).

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::maildir::Stored;
use crate::engine::ReceivedMessage;
use crate::message::date::format_date;
use crate::proto::data::LinePolicy;
use crate::scenario::recording::{ImapRecorder, Recorder, Recording, Side};
use crate::timeline::Millis;

/// One session being recorded.
#[derive(Debug)]
pub struct Record {
    recorder: Protocol,
    started: Instant,
    info: Recording,
}

/// The recorder of the session's protocol.
#[derive(Debug)]
enum Protocol {
    Smtp(Recorder),
    Imap(ImapRecorder),
}

impl Record {
    /// Starts recording a connection that just opened between `client` and `server`
    /// (socket addresses); `server_lane` names the server's lane (`serve`'s host name).
    pub fn start(
        side: Side,
        client: &str,
        server: &str,
        server_lane: &str,
        port: u16,
        policy: LinePolicy,
    ) -> Self {
        let client_lane = match side {
            Side::Serve => client.to_owned(),
            Side::Send => format!("send ({client})"),
        };
        let mut recorder = Recorder::new(side, &client_lane, server_lane, port, policy);
        recorder.connected();
        let by = match side {
            Side::Serve => "serve",
            Side::Send => "send",
        };
        Self { recorder: Protocol::Smtp(recorder), started: Instant::now(), info: info(by, client, server) }
    }

    /// Starts recording an IMAP connection to `serve --imap` that just opened.
    pub fn start_imap(client: &str, server: &str, server_lane: &str, port: u16) -> Self {
        let mut recorder = ImapRecorder::new(client, server_lane, port);
        recorder.connected();
        Self {
            recorder: Protocol::Imap(recorder),
            started: Instant::now(),
            info: info("serve", client, server),
        }
    }

    fn now(&self) -> Millis {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub fn client_bytes(&mut self, bytes: &[u8]) {
        let at = self.now();
        match &mut self.recorder {
            Protocol::Smtp(r) => r.client_bytes(at, bytes),
            Protocol::Imap(r) => r.client_bytes(at, bytes),
        }
    }

    /// One whole SMTP reply `serve` wrote.
    pub fn reply(&mut self, bytes: &[u8]) {
        let at = self.now();
        if let Protocol::Smtp(r) = &mut self.recorder {
            r.reply(at, bytes);
        }
    }

    /// Octets the server sent: an SMTP server's replies as `send` reads them, or one whole
    /// write of `serve --imap`.
    pub fn server_bytes(&mut self, bytes: &[u8]) {
        let at = self.now();
        match &mut self.recorder {
            Protocol::Smtp(r) => r.server_bytes(at, bytes),
            Protocol::Imap(r) => r.server_bytes(at, bytes),
        }
    }

    pub fn tls_established(&mut self, description: &str) {
        let at = self.now();
        match &mut self.recorder {
            Protocol::Smtp(r) => r.tls_established(at, description),
            Protocol::Imap(r) => r.tls_established(at, description),
        }
    }

    pub fn note(&mut self, summary: &str, explanation: &str, rfc: &str) {
        let at = self.now();
        match &mut self.recorder {
            Protocol::Smtp(r) => r.note(at, summary, explanation, rfc),
            Protocol::Imap(r) => r.note(at, summary, explanation, rfc),
        }
    }

    /// `serve` stored `message` (SMTP) in each of `stored`'s mailboxes. They hold one file,
    /// hard-linked (`Maildir::deliver`): it is read once, as it was written.
    pub fn stored(&mut self, message: &ReceivedMessage, stored: &[Stored]) {
        let at = self.now();
        let (Protocol::Smtp(r), Some(first)) = (&mut self.recorder, stored.first()) else { return };
        let text = std::fs::read(&first.path).unwrap_or_default();
        let recipients: Vec<String> =
            message.envelope.recipients.iter().map(|r| r.path.to_string()).collect();
        let from = message.envelope.reverse_path.to_string();
        for stored in stored {
            r.stored(at, &stored.mailbox, &message.queue_id, &from, &recipients, &text);
        }
    }

    /// Ends the recording (`how` the connection ended) and writes it to `path`, whole or not
    /// at all (a temporary file renamed into place). `world`: the scenario text and host for
    /// the replay scenario.
    pub fn write(mut self, how: &str, path: &Path, world: Option<(&str, &str)>) -> Result<(), String> {
        let at = self.now();
        let played = match self.recorder {
            Protocol::Smtp(mut r) => {
                r.closed(at, how);
                self.info.masked = r.masked();
                r.finish(self.info, world)
            }
            Protocol::Imap(mut r) => {
                r.closed(at, how);
                self.info.masked = r.masked();
                r.finish(self.info)
            }
        };
        let json = serde_json::to_string(&played).map_err(|e| e.to_string())?;
        let mut partial = path.as_os_str().to_owned();
        partial.push(".part");
        let partial = PathBuf::from(partial);
        std::fs::write(&partial, json)
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|e| format!("cannot write the recording {}: {e}", path.display()))
    }
}

/// What a recording says about itself, at its start.
fn info(by: &str, client: &str, server: &str) -> Recording {
    let unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    Recording {
        by: by.to_owned(),
        started: format_date(unix, 0),
        client: client.to_owned(),
        server: server.to_owned(),
        masked: 0,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}
