//! An IMAP session's transcript for `serve --imap`, in the lines every transcript uses
//! ([`Transcript`]), with passwords masked: `a1 LOGIN bob ****`, `a2 AUTHENTICATE PLAIN
//! ****` and the line answering AUTHENTICATE's `+` (RFC 9051 §6.2.2, §6.2.3) never reach
//! the log, nor a LOGIN's literals.
//!
//! Client lines are cut as the server's framer cuts them: at CRLF only, a line ending in
//! `{n}` or `{n+}` followed by `n` octets of literal (§4.3, §7.6), which the log gives as their
//! size. Server responses arrive whole; their literals (a FETCH's BODY[]) are shown line by
//! line at `--log transcript` and as their size below it, as SMTP's message content is.

use super::log::{LogLevel, Transcript};
use crate::proto::imap::trailing_literal;

/// Octets kept of a client line for the log (it shows 200 characters at most).
const KEPT: usize = 800;
/// What a masked secret is shown as.
const MASK: &str = "****";

/// Whether the line so far ends in a literal header `{n}` or `{n+}`: read one octet at a
/// time, so a line of any length needs no buffer, with the framer's rule for `n` (digits
/// that fit in 64 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum LiteralTail {
    #[default]
    None,
    Open,
    /// Digits so far; `None` once they overflow (then it is no literal).
    Digits(Option<u64>),
    Plus(Option<u64>),
    Closed(u64),
}

impl LiteralTail {
    fn push(self, octet: u8) -> Self {
        match (self, octet) {
            (_, b'{') => LiteralTail::Open,
            (LiteralTail::Open, b'0'..=b'9') => LiteralTail::Digits(Some(u64::from(octet - b'0'))),
            (LiteralTail::Digits(n), b'0'..=b'9') => LiteralTail::Digits(
                n.and_then(|n| n.checked_mul(10)).and_then(|n| n.checked_add(u64::from(octet - b'0'))),
            ),
            (LiteralTail::Digits(n), b'+') => LiteralTail::Plus(n),
            (LiteralTail::Digits(Some(n)) | LiteralTail::Plus(Some(n)), b'}') => LiteralTail::Closed(n),
            _ => LiteralTail::None,
        }
    }
}

/// The client's side: the line being received and the command it belongs to.
#[derive(Debug, Default)]
struct ClientSide {
    /// The start of the line (at most [`KEPT`] octets) and its length so far.
    head: Vec<u8>,
    octets: usize,
    /// The line began inside TLS.
    tls: bool,
    /// A CR was the last octet: a line end if LF follows.
    pending_cr: bool,
    tail: LiteralTail,
    /// Octets of a literal still to come, and its size.
    literal_left: u64,
    literal_size: u64,
    /// The line continues a command after a literal.
    continuing: bool,
    /// The command in progress is a LOGIN: what follows the user name is masked.
    masking: bool,
    /// The next line answers AUTHENTICATE's `+`: masked.
    sasl_next: bool,
}

/// The transcript of one IMAP connection.
#[derive(Debug)]
pub(super) struct ImapTranscript {
    inner: Transcript,
    level: LogLevel,
    client: ClientSide,
    /// Commands read (whole lines that start a command), for `--log sessions`.
    pub commands: usize,
}

impl ImapTranscript {
    pub fn new(inner: Transcript, level: LogLevel) -> Self {
        Self { inner, level, client: ClientSide::default(), commands: 0 }
    }

    pub fn note(&mut self, summary: &str) {
        self.inner.note(summary);
    }

    /// Octets from the client, shown line by line as they complete, secrets masked.
    pub fn client_bytes(&mut self, bytes: &[u8], tls: bool) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let side = &mut self.client;
            if side.literal_left > 0 {
                let take = usize::try_from(side.literal_left).unwrap_or(usize::MAX).min(rest.len());
                rest = rest.get(take..).unwrap_or_default();
                side.literal_left -= take as u64;
                if side.literal_left == 0 {
                    self.end_literal(false);
                }
                continue;
            }
            let Some((&octet, after)) = rest.split_first() else { break };
            rest = after;
            if side.octets == 0 && side.head.is_empty() && !side.pending_cr {
                side.tls = tls;
            }
            if side.pending_cr {
                side.pending_cr = false;
                if octet == b'\n' {
                    self.end_line();
                    continue;
                }
                side.keep(b'\r');
            }
            if octet == b'\r' {
                side.pending_cr = true;
            } else {
                side.keep(octet);
            }
        }
    }

    /// One line ended (its CRLF seen): show it, masked as its command needs, and expect
    /// the literal its end announces.
    fn end_line(&mut self) {
        let side = &mut self.client;
        let head = std::mem::take(&mut side.head);
        let tail = std::mem::take(&mut side.tail);
        side.octets = 0;
        let tls = side.tls;
        let text = if side.sasl_next {
            // AUTHENTICATE's answer is one line of base64 (or `*`), never a literal.
            side.sasl_next = false;
            self.client_line(MASK, tls);
            return;
        } else if side.continuing {
            if side.masking { MASK.to_owned() } else { String::from_utf8_lossy(&head).into_owned() }
        } else {
            self.commands += 1;
            let (text, masking, sasl_next) = masked_command(&head);
            let side = &mut self.client;
            side.masking = masking;
            side.sasl_next = sasl_next;
            text
        };
        self.client_line(&text, tls);
        let side = &mut self.client;
        match tail {
            LiteralTail::Closed(n) => {
                side.continuing = true;
                side.literal_left = n;
                side.literal_size = n;
                if n == 0 {
                    self.end_literal(false);
                }
            }
            _ => {
                side.continuing = false;
                side.masking = false;
            }
        }
    }

    /// A client literal has arrived whole (or the connection ended in it): its size.
    fn end_literal(&mut self, unfinished: bool) {
        let side = &self.client;
        let size = side.literal_size;
        let what = if side.masking { "masked" } else { "not shown" };
        let came = if unfinished {
            format!("literal: {} of {size} octets came ({what})", size - side.literal_left)
        } else {
            format!("literal: {size} octets ({what})")
        };
        self.inner.note(&came);
    }

    fn client_line(&mut self, text: &str, tls: bool) {
        self.inner.client_line(text, tls);
    }

    /// One server response (a `poll_transmit`), literals included.
    pub fn server_bytes(&mut self, mut bytes: &[u8], tls: bool) {
        while !bytes.is_empty() {
            let end = bytes.windows(2).position(|w| w == b"\r\n");
            let (line, rest) = match end {
                Some(at) => (bytes.get(..at).unwrap_or_default(), bytes.get(at + 2..).unwrap_or_default()),
                None => (bytes, &[][..]),
            };
            self.inner.server_line(&String::from_utf8_lossy(line), tls);
            bytes = rest;
            let Some((size, _)) = trailing_literal(line) else { continue };
            let take = usize::try_from(size).unwrap_or(usize::MAX).min(bytes.len());
            let (literal, rest) = bytes.split_at(take);
            bytes = rest;
            if self.level >= LogLevel::Transcript {
                for line in literal.split_inclusive(|&b| b == b'\n') {
                    self.inner.server_line(&String::from_utf8_lossy(line), tls);
                }
            } else {
                let lines = literal.split_inclusive(|&b| b == b'\n').count();
                let lines = if lines == 1 { "1 line".to_owned() } else { format!("{lines} lines") };
                self.inner
                    .note(&format!("literal: {lines}, {take} octets (not shown; --log transcript shows it)"));
            }
        }
    }

    /// The block for `serve` to print, with how the session ended; a line the client left
    /// unfinished is shown (masked as it would have been).
    pub fn finish(mut self, ending: &str) -> String {
        let side = &mut self.client;
        if side.literal_left > 0 {
            self.end_literal(true);
        } else if side.octets > 0 || side.pending_cr {
            let head = std::mem::take(&mut side.head);
            let text = if side.sasl_next || (side.continuing && side.masking) {
                MASK.to_owned()
            } else if side.continuing {
                String::from_utf8_lossy(&head).into_owned()
            } else {
                masked_command(&head).0
            };
            let tls = side.tls;
            self.client_line(&format!("{text} (no line end)"), tls);
        }
        self.inner.last_note(ending);
        self.inner.finish()
    }
}

impl ClientSide {
    fn keep(&mut self, octet: u8) {
        self.octets += 1;
        self.tail = self.tail.push(octet);
        if self.head.len() < KEPT {
            self.head.push(octet);
        }
    }
}

/// The first line of a command as the log shows it, and whether the rest of the command
/// (its literals and further lines) and the next line are masked: LOGIN keeps its user
/// name and hides the password (§6.2.3); AUTHENTICATE hides an initial response (RFC 4959)
/// and, without one, the line that answers its `+` (§6.2.2).
fn masked_command(line: &[u8]) -> (String, bool, bool) {
    let text = String::from_utf8_lossy(line);
    let mut words = text.splitn(3, ' ');
    let (tag, command, args) = (words.next().unwrap_or_default(), words.next(), words.next());
    let Some(command) = command else { return (text.into_owned(), false, false) };
    if command.eq_ignore_ascii_case("LOGIN") {
        let user = args.and_then(login_user).map(|u| format!(" {u}")).unwrap_or_default();
        return (format!("{tag} {command}{user} {MASK}"), true, false);
    }
    if command.eq_ignore_ascii_case("AUTHENTICATE") {
        let mut args = args.unwrap_or_default().splitn(2, ' ');
        let mechanism = args.next().unwrap_or_default();
        return match args.next() {
            Some(_) => (format!("{tag} {command} {mechanism} {MASK}"), false, false),
            None => (format!("{tag} {command} {mechanism}"), false, true),
        };
    }
    (text.into_owned(), false, false)
}

/// The user name that starts LOGIN's arguments, if it is an atom or a quoted string (a
/// literal is masked with the password).
fn login_user(args: &str) -> Option<&str> {
    if let Some(quoted) = args.strip_prefix('"') {
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => return args.get(..i + 2),
                _ => escaped = false,
            }
        }
        return None;
    }
    let user = args.split(' ').next().filter(|u| !u.is_empty() && !u.starts_with('{'))?;
    Some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(level: LogLevel, exchange: &[(bool, &[u8])]) -> String {
        let inner = Transcript::new("c", "s", "s", false, false).with_level(level);
        let mut t = ImapTranscript::new(inner, level);
        for &(client, bytes) in exchange {
            if client {
                t.client_bytes(bytes, false);
            } else {
                t.server_bytes(bytes, false);
            }
        }
        t.finish("ended")
    }

    #[test]
    fn passwords_never_reach_the_log() {
        let exchange: [(bool, &[u8]); 9] = [
            (true, b"a1 LOGIN bob hunter2\r\n"),
            (true, b"a2 login \"bob smith\" \"hunter2\"\r\na3 LOGIN bob {7}\r\n"),
            (false, b"+ Ready for additional command text\r\n"),
            (true, b"hunter2\r\n"),
            (true, b"a4 LOGIN {3+}\r\nbob {7+}\r\nhunter2\r\n"),
            (true, b"a5 AUTHENTICATE PLAIN AGJvYgBodW50ZXIy\r\n"),
            (true, b"a6 AUTHENTICATE PLAIN\r\n"),
            (true, b"AGJvYgBodW50ZXIy\r\n"),
            (true, b"a7 LOGIN bob hunt"),
        ];
        for level in [LogLevel::Commands, LogLevel::Transcript] {
            let out = log(level, &exchange);
            assert!(
                !out.contains("hunter2") && !out.contains("hunt") && !out.contains("AGJvYgBodW50ZXIy"),
                "{out}"
            );
            for shown in [
                "C: a1 LOGIN bob ****",
                "C: a2 login \"bob smith\" ****",
                "C: a3 LOGIN bob ****",
                "-- literal: 7 octets (masked)",
                "C: a4 LOGIN ****",
                "C: a5 AUTHENTICATE PLAIN ****",
                "C: a6 AUTHENTICATE PLAIN",
                "C: a7 LOGIN bob **** (no line end)",
            ] {
                assert!(out.contains(shown), "{shown:?} in\n{out}");
            }
        }
    }

    #[test]
    fn lines_end_at_crlf_and_literals_are_sized() {
        let out = log(
            LogLevel::Commands,
            &[(true, b"a1 SEARCH TEXT {5}\r\nab\ncd SUBJECT x\r\na2 NO"), (true, b"OP\r\n")],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].ends_with("C: a1 SEARCH TEXT {5}"), "{out}");
        assert!(lines[1].ends_with("-- literal: 5 octets (not shown)"), "{out}");
        assert!(lines[2].ends_with("C:  SUBJECT x"), "{out}");
        assert!(lines[3].ends_with("C: a2 NOOP"), "{out}");
        // A length that does not fit in 64 bits is no literal, as for the framer.
        let out = log(LogLevel::Commands, &[(true, b"a1 LOGIN {99999999999999999999}\r\nx\r\n")]);
        assert!(!out.contains("literal"), "{out}");
    }

    #[test]
    fn fetched_bodies_are_their_size_below_transcript() {
        let response: &[u8] = b"* 1 FETCH (UID 7 BODY[] {23}\r\nSubject: secret\r\n\r\nhi\r\n)\r\n";
        let out = log(LogLevel::Commands, &[(false, response)]);
        assert!(!out.contains("secret"), "{out}");
        assert!(out.contains("S: * 1 FETCH (UID 7 BODY[] {23}"), "{out}");
        assert!(
            out.contains("-- literal: 3 lines, 23 octets (not shown; --log transcript shows it)"),
            "{out}"
        );
        assert!(out.contains("S: )"), "{out}");
        let full = log(LogLevel::Transcript, &[(false, response)]);
        assert!(full.contains("S: Subject: secret") && full.contains("S: hi"), "{full}");
    }
}
