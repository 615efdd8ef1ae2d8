//! A real session's transcript, in the lines `smtp-playground run` prints
//! ([`crate::transcript::wire_line`]): bytes as they crossed the socket, split into lines.

use std::time::Instant;

use crate::timeline::Millis;
use crate::transcript::{WireLine, note_line, wire_line};

/// Lines kept per session; a 10 MB message is not worth printing line by line.
const MAX_LINES: usize = 400;
/// The most notes a session's transcript shows; past it they are counted with the lines
/// left out.
const MAX_NOTES: usize = 100;
/// Characters shown of one line.
const MAX_SHOWN_CHARS: usize = 200;

/// How much of each session `serve` prints (`--log`, `--quiet`). Under load a transcript of
/// every message's content is megabytes of output nobody reads, so by default a message's
/// content is one line with its size; a learner who wants every octet asks for `transcript`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogLevel {
    /// Nothing per session (`--quiet`): the listening lines and the summary at shutdown.
    Off,
    /// One line per session: the client, the messages stored, how it ended, how long it took.
    Sessions,
    /// Every command, reply and note; a message's content (DATA lines, BDAT chunks) as one
    /// line with its size.
    #[default]
    Commands,
    /// Every line, the message's content too.
    Transcript,
}

impl LogLevel {
    /// The names `--log` takes, in order.
    pub const NAMES: [&'static str; 4] = ["off", "sessions", "commands", "transcript"];

    /// `--log NAME`.
    pub fn from_name(name: &str) -> Option<Self> {
        let levels = [Self::Off, Self::Sessions, Self::Commands, Self::Transcript];
        Self::NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)).and_then(|i| levels.get(i).copied())
    }
}

/// A message's content seen by a transcript that does not show it: counted, then summed up in
/// one note when it ends.
#[derive(Debug, Default)]
struct Content {
    /// After a 354, until the client's line holding only a dot (RFC 5321 §4.1.1.4).
    in_data: bool,
    /// Octets of a BDAT chunk still to come (RFC 3030 §2): the chunk is counted, not split
    /// into lines, whatever bytes it holds.
    chunk_left: u64,
    lines: usize,
    octets: u64,
}

/// The transcript of one connection, rendered as it goes.
#[derive(Debug)]
pub struct Transcript {
    level: LogLevel,
    content: Content,
    /// Messages stored in this session (for the one-line summary of `LogLevel::Sessions`).
    pub stored: usize,
    color: bool,
    start: Instant,
    /// `client → server` and `server → client`, as `run` names lanes.
    to_server: String,
    to_client: String,
    /// Where notes are shown (the server, or the client for `send`).
    local: String,
    /// Client bytes not yet ended by a line feed.
    partial: Vec<u8>,
    /// Whether the partial line arrived inside TLS.
    partial_tls: bool,
    /// The partial line's real length (only its start is kept).
    partial_octets: usize,
    lines: usize,
    /// Notes shown so far (capped at [`MAX_NOTES`]).
    notes: usize,
    omitted: usize,
    out: String,
    /// Print each line as soon as it is made (`send`), instead of keeping the block.
    streaming: bool,
}

impl Transcript {
    /// A transcript between `client` and `server`; notes go on `local`'s lane.
    pub fn new(client: &str, server: &str, local: &str, color: bool, streaming: bool) -> Self {
        Self {
            level: LogLevel::Transcript,
            content: Content::default(),
            stored: 0,
            color,
            start: Instant::now(),
            to_server: format!("{client} → {server}"),
            to_client: format!("{server} → {client}"),
            local: local.to_owned(),
            partial: Vec::new(),
            partial_tls: false,
            partial_octets: 0,
            lines: 0,
            notes: 0,
            omitted: 0,
            out: String::new(),
            streaming,
        }
    }

    /// The same transcript at another level of detail.
    pub fn with_level(mut self, level: LogLevel) -> Self {
        self.level = level;
        self
    }

    /// Whether lines are kept at all: below [`LogLevel::Commands`] only the counts are.
    fn shows_lines(&self) -> bool {
        self.level >= LogLevel::Commands
    }

    fn now(&self) -> Millis {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn push(&mut self, line: String) {
        if self.lines >= MAX_LINES {
            self.omitted += 1;
            return;
        }
        self.lines += 1;
        if self.streaming {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(line.as_bytes());
            let _ = stdout.flush();
        } else {
            self.out.push_str(&line);
        }
    }

    /// Bytes from the client, shown line by line as they complete.
    pub fn client_bytes(&mut self, mut bytes: &[u8], tls: bool) {
        if !self.shows_lines() {
            return;
        }
        if self.partial.is_empty() {
            self.partial_tls = tls;
        }
        loop {
            // A BDAT chunk is octets, not lines: counted whole.
            if self.content.chunk_left > 0 {
                let take = usize::try_from(self.content.chunk_left).unwrap_or(usize::MAX).min(bytes.len());
                let (chunk, rest) = bytes.split_at(take);
                bytes = rest;
                self.content.chunk_left -= take as u64;
                self.content.octets += take as u64;
                self.content.lines += chunk.iter().filter(|&&b| b == b'\n').count();
                if self.content.chunk_left > 0 {
                    return;
                }
                self.end_content("BDAT chunk");
                continue;
            }
            let Some(lf) = bytes.iter().position(|&b| b == b'\n') else { break };
            let (line, rest) = bytes.split_at(lf + 1);
            bytes = rest;
            let line_tls = std::mem::replace(&mut self.partial_tls, tls);
            self.keep_partial(line);
            let octets = std::mem::take(&mut self.partial_octets);
            let kept = std::mem::take(&mut self.partial);
            if self.level < LogLevel::Transcript {
                if self.content.in_data {
                    if !matches!(kept.as_slice(), b".\r\n" | b".\n") {
                        self.content.lines += 1;
                        self.content.octets += octets as u64;
                        continue;
                    }
                    self.content.in_data = false;
                    self.end_content("message content");
                } else {
                    self.content.chunk_left = bdat_size(&kept).unwrap_or(0);
                }
            }
            if self.lines >= MAX_LINES {
                // Past the cap only count: a large message costs no formatting.
                self.omitted += 1;
                continue;
            }
            let shown = shown_with_length(&kept, octets);
            let time = self.now();
            let text = wire_line(self.color, time, &self.to_server, line_tls, WireLine::Client, &shown);
            self.push(text);
        }
        self.keep_partial(bytes);
    }

    /// The note that stands for a message's content or a chunk that was not shown.
    fn end_content(&mut self, what: &str) {
        let Content { lines, octets, .. } = std::mem::take(&mut self.content);
        let lines = match lines {
            1 => "1 line".to_owned(),
            n => format!("{n} lines"),
        };
        self.note(&format!("{what}: {lines}, {octets} octets (not shown; --log transcript shows it)"));
    }

    /// Keeps the start of a line that has not ended yet, as much as can be shown.
    fn keep_partial(&mut self, bytes: &[u8]) {
        self.partial_octets += bytes.len();
        let room = (MAX_SHOWN_CHARS * 4).saturating_sub(self.partial.len());
        self.partial.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
    }

    /// Bytes a client wrote that did not end in a line feed (the connection ended first).
    pub fn finish_client_line(&mut self) {
        if self.content.in_data || self.content.chunk_left > 0 {
            // The connection ended inside a message: say how much of it came.
            self.partial.clear();
            self.partial_octets = 0;
            self.end_content("message content, unfinished");
        }
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            let octets = std::mem::take(&mut self.partial_octets);
            let shown = format!("{} (no line end)", shown_with_length(&line, octets));
            let time = self.now();
            let text =
                wire_line(self.color, time, &self.to_server, self.partial_tls, WireLine::Client, &shown);
            self.push(text);
        }
    }

    /// Lines the server sent: a reply, or a pipelined group of replies.
    pub fn server_bytes(&mut self, bytes: &[u8], code: Option<u16>, tls: bool) {
        if !self.shows_lines() {
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        for (i, line) in lines.iter().enumerate() {
            let code = match code {
                Some(code) if i + 1 == lines.len() => Some(code),
                _ => line.get(..3).and_then(|c| c.parse().ok()),
            };
            // 354: what the client sends next is the message, up to a line holding a dot.
            self.content.in_data |= code == Some(354) && self.level < LogLevel::Transcript;
            let time = self.now();
            let text = wire_line(
                self.color,
                time,
                &self.to_client,
                tls,
                WireLine::Reply(code),
                &shown(line.as_bytes()),
            );
            self.push(text);
        }
    }

    /// A client line cut and masked by the caller (`serve --imap` reads IMAP's lines and
    /// literals itself, to hide passwords); `text` is shown as [`shown`] makes it safe.
    pub fn client_line(&mut self, text: &str, tls: bool) {
        self.wire(WireLine::Client, text, tls);
    }

    /// A server line without a reply code (IMAP), shown as the POP3 server lines are.
    pub fn server_line(&mut self, text: &str, tls: bool) {
        self.wire(WireLine::Retrieval, text, tls);
    }

    fn wire(&mut self, line: WireLine, text: &str, tls: bool) {
        if !self.shows_lines() {
            return;
        }
        if self.lines >= MAX_LINES {
            self.omitted += 1;
            return;
        }
        let route = if line == WireLine::Client { &self.to_server } else { &self.to_client };
        let text = wire_line(self.color, self.now(), route, tls, line, &shown(text.as_bytes()));
        self.push(text);
    }

    /// Something that happened that is not a line on the wire. Notes say what happened to
    /// the session, so they are shown past the wire lines' cap, but they have a cap of their
    /// own ([`MAX_NOTES`]): a session of a thousand messages must not print a thousand lines
    /// of "delivered".
    pub fn note(&mut self, summary: &str) {
        if !self.shows_lines() {
            return;
        }
        if self.notes >= MAX_NOTES {
            self.omitted += 1;
            return;
        }
        self.notes += 1;
        let time = self.now();
        let text = note_line(self.color, time, &self.local, summary);
        self.lines = self.lines.saturating_sub(1);
        self.push(text);
    }

    /// How the session ended: always shown, whatever the caps.
    pub fn last_note(&mut self, summary: &str) {
        self.notes = 0;
        self.note(summary);
    }

    /// The whole block (for `serve`), with a count of the lines left out.
    pub fn finish(mut self) -> String {
        self.finish_client_line();
        if self.omitted > 0 {
            let omitted = self.omitted;
            self.omitted = 0;
            self.lines = 0;
            self.notes = 0;
            self.note(&format!("{omitted} more lines not shown"));
        }
        self.out
    }
}

/// The size a `BDAT` command line announces (RFC 3030 §2: `"BDAT" SP chunk-size [SP end-marker]`),
/// if the line is one.
fn bdat_size(line: &[u8]) -> Option<u64> {
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_ascii_whitespace();
    let verb = words.next()?;
    if !verb.eq_ignore_ascii_case("BDAT") {
        return None;
    }
    words.next()?.parse().ok()
}

/// A line as shown: without its line end, control characters escaped (a client must not
/// drive the operator's terminal), cut to [`MAX_SHOWN_CHARS`].
pub fn shown(line: &[u8]) -> String {
    shown_with_length(line, line.len())
}

/// [`shown`] for the kept start of a line that was `octets` long.
fn shown_with_length(line: &[u8], octets: usize) -> String {
    let cut = octets > line.len();
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = String::from_utf8_lossy(line);
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count >= MAX_SHOWN_CHARS {
            out.push_str(&format!("… ({octets} octets)"));
            return out;
        }
        if c.is_control() {
            out.push_str(&c.escape_default().to_string());
        } else {
            out.push(c);
        }
    }
    if cut {
        out.push_str(&format!("… ({octets} octets)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_escaped_and_cut() {
        assert_eq!(shown(b"EHLO x\r\n"), "EHLO x");
        assert_eq!(shown(b"\x1b[31mred\r\n"), "\\u{1b}[31mred");
        assert_eq!(shown(b"bare\n"), "bare");
        let long = shown(&[b'a'; 1000]);
        assert!(long.ends_with("… (1000 octets)") && long.chars().count() < 220, "{long}");
    }

    /// Issue 15: every line is counted, notes too. A session of a thousand notes prints at
    /// most MAX_LINES wire lines and MAX_NOTES notes, then how many were left out, and how it
    /// ended.
    #[test]
    fn notes_have_a_cap_too() {
        let mut t = Transcript::new("c", "s", "s", false, false);
        for n in 0..1000 {
            t.client_bytes(format!("RCPT TO:<u{n}@example.net>\r\n").as_bytes(), false);
            t.note(&format!("delivered message {n}"));
        }
        t.last_note("connection closed by the client");
        let block = t.finish();
        let lines: Vec<&str> = block.lines().collect();
        assert!(lines.len() <= MAX_LINES + MAX_NOTES + 2, "{} lines", lines.len());
        assert!(
            lines.iter().any(|l| l.ends_with("-- connection closed by the client")),
            "the ending is shown"
        );
        let omitted = 2000 - (lines.len() - 2);
        assert!(
            lines.last().is_some_and(|l| l.ends_with(&format!("-- {omitted} more lines not shown"))),
            "{:?}",
            lines.last()
        );
    }

    #[test]
    fn a_session_block_keeps_order_and_marks_tls() {
        let mut t = Transcript::new("127.0.0.1:5000", "mx.example.net", "mx.example.net", false, false);
        t.server_bytes(b"220 mx.example.net ESMTP\r\n", Some(220), false);
        t.client_bytes(b"EHLO a", false);
        t.client_bytes(b"\r\nQUIT\r\n", true);
        t.client_bytes(b"junk", true);
        let block = t.finish();
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines.len(), 4, "{block}");
        let mut long = Transcript::new("c", "s", "s", false, false);
        long.client_bytes(&[b'a'; 5000], false);
        long.client_bytes(&[b'a'; 5000], false);
        long.client_bytes(b"\r\n", false);
        assert!(long.finish().trim_end().ends_with("… (10002 octets)"));
        assert!(
            lines[0].contains("mx.example.net → 127.0.0.1:5000")
                && lines[0].ends_with(" S: 220 mx.example.net ESMTP")
        );
        assert!(lines[1].ends_with(" C: EHLO a") && !lines[1].contains('~'), "{block}");
        assert!(lines[2].ends_with("~C: QUIT"), "{block}");
        assert!(lines[3].ends_with("~C: junk (no line end)"), "{block}");
    }

    fn block(level: LogLevel, exchange: &[(bool, &[u8])]) -> String {
        let mut t = Transcript::new("c", "s", "s", false, false).with_level(level);
        for &(client, bytes) in exchange {
            if client {
                t.client_bytes(bytes, false);
            } else {
                let code = std::str::from_utf8(bytes).ok().and_then(|r| r.get(..3)?.parse().ok());
                t.server_bytes(bytes, code, false);
            }
        }
        t.finish()
    }

    /// Issue 16: by default a message's content is one note with its size; the dot that ends
    /// it, and the commands pipelined after it, are shown.
    #[test]
    fn by_default_message_content_is_its_size() {
        let exchange: [(bool, &[u8]); 4] = [
            (true, b"DATA\r\n"),
            (false, b"354 End data with <CR><LF>.<CR><LF>\r\n"),
            (true, b"Subject: secret\r\n\r\nline one\r\n..dot-stuffed\r\n"),
            (true, b"last\r\n.\r\nQUIT\r\n"),
        ];
        let out = block(LogLevel::Commands, &exchange);
        let lines: Vec<&str> = out.lines().collect();
        assert!(!out.contains("secret") && !out.contains("line one"), "{out}");
        assert!(lines[0].ends_with(" C: DATA") && lines[1].contains(" S: 354 "), "{out}");
        assert!(
            lines[2]
                .ends_with("-- message content: 5 lines, 50 octets (not shown; --log transcript shows it)"),
            "{out}"
        );
        assert!(lines[3].ends_with(" C: .") && lines[4].ends_with(" C: QUIT"), "{out}");
        // The transcript level shows every line, as before.
        let full = block(LogLevel::Transcript, &exchange);
        assert!(full.contains(" C: Subject: secret") && full.contains(" C: ..dot-stuffed"), "{full}");
        assert!(!full.contains("not shown"), "{full}");
    }

    /// A BDAT chunk is octets, line feeds and dots included, counted whole; what follows it in
    /// the same read is a command again (RFC 3030 §2).
    #[test]
    fn a_bdat_chunk_is_counted_whole() {
        let exchange: [(bool, &[u8]); 3] = [
            (true, b"BDAT 12\r\nhidden\n.\r\nab"),
            (true, b"BDAT 3 LAST\r\nxyzQUIT\r\n"),
            (false, b"250 2.0.0 Ok\r\n"),
        ];
        let out = block(LogLevel::Commands, &exchange);
        let lines: Vec<&str> = out.lines().collect();
        assert!(!out.contains("hidden") && !out.contains("xyz"), "{out}");
        assert!(lines[0].ends_with(" C: BDAT 12"), "{out}");
        assert!(
            lines[1].ends_with("-- BDAT chunk: 2 lines, 12 octets (not shown; --log transcript shows it)")
        );
        assert!(lines[2].ends_with(" C: BDAT 3 LAST"), "{out}");
        assert!(
            lines[3].ends_with("-- BDAT chunk: 0 lines, 3 octets (not shown; --log transcript shows it)")
        );
        assert!(lines[4].ends_with(" C: QUIT") && lines[5].ends_with(" S: 250 2.0.0 Ok"), "{out}");
        // A connection that ends inside the content says how much came.
        let cut = block(LogLevel::Commands, &[(false, b"354 go\r\n"), (true, b"one\r\ntw")]);
        assert!(
            cut.trim_end().ends_with(
                "-- message content, unfinished: 1 line, 5 octets (not shown; --log transcript shows it)"
            ),
            "{cut}"
        );
    }

    /// Below `commands` nothing is kept: the session line is made from the counts.
    #[test]
    fn sessions_and_off_keep_no_lines() {
        for level in [LogLevel::Off, LogLevel::Sessions] {
            let out = block(level, &[(false, b"220 hi\r\n"), (true, b"EHLO x\r\n")]);
            assert_eq!(out, "", "{level:?}");
        }
        assert_eq!(LogLevel::from_name("Sessions"), Some(LogLevel::Sessions));
        assert_eq!(LogLevel::from_name("loud"), None);
        assert_eq!(LogLevel::default(), LogLevel::Commands);
    }
}
