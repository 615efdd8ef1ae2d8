//! Message data after DATA: dot-stuffing, the end-of-data marker and the limits a server
//! enforces while it reads (RFC 5321 §4.1.1.4, §4.5.2, §4.5.3.1.6).
//!
//! The end of data is `CRLF . CRLF`, and nothing else. Servers that also accepted
//! `LF . LF` or `LF . CRLF` let an attacker smuggle a second message inside the first
//! ("SMTP smuggling", CVE-2023-51764/51765/51766). [`LinePolicy::Strict`] behaves like
//! Postfix with `smtpd_forbid_bare_newline = reject`; [`LinePolicy::Legacy`] reproduces the
//! vulnerable behaviour for the lesson that shows the attack.

/// The longest text line, CRLF included (RFC 5321 §4.5.3.1.6).
pub const MAX_TEXT_LINE_OCTETS: usize = 1000;

/// Encodes a message for DATA (RFC 5321 §4.5.2): lines end in CRLF (a bare LF becomes
/// CRLF), every line that starts with `.` gets one more, and the data ends with `.CRLF`
/// after the last line's CRLF.
pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = canonical_lines(message, true);
    out.extend_from_slice(b".\r\n");
    out
}

/// The message as a client transmits it, before any dot-stuffing: every line ends in CRLF
/// (a bare LF becomes CRLF, the last line is terminated). Its length is the message size
/// of RFC 1870 §5, and it is what BDAT carries (RFC 3030 §2).
pub fn crlf_lines(message: &[u8]) -> Vec<u8> {
    canonical_lines(message, false)
}

/// The length of [`crlf_lines`] without building it: the message size a client declares
/// with SIZE (RFC 1870 §5), counted before every message it sends.
pub fn crlf_len(message: &[u8]) -> usize {
    if message.is_empty() {
        return 0;
    }
    let body = message.strip_suffix(b"\n").unwrap_or(message);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    body.split(|&b| b == b'\n')
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            // Each bare CR becomes a CRLF, and the line ends with one.
            line.len() + line.iter().filter(|&&b| b == b'\r').count() + 2
        })
        .sum()
}

/// The lines of `message`, each ending in CRLF, with a transparency dot when `stuff`.
/// Bare LF and bare CR both end a line: a client must send CR and LF only together
/// (RFC 5321 §2.3.8).
fn canonical_lines(message: &[u8], stuff: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 40 + 5);
    let body = message.strip_suffix(b"\n").unwrap_or(message);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    if !message.is_empty() {
        for line in body.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            for (i, part) in line.split(|&b| b == b'\r').enumerate() {
                if i > 0 {
                    out.extend_from_slice(b"\r\n");
                }
                if stuff && part.first() == Some(&b'.') {
                    out.push(b'.');
                }
                out.extend_from_slice(part);
            }
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// How the server reads line ends inside DATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinePolicy {
    /// Only `CRLF . CRLF` ends the data; a message with a bare LF or bare CR is rejected
    /// once its real end arrives (Postfix `smtpd_forbid_bare_newline = reject`).
    #[default]
    Strict,
    /// A line holding only `.` ends the data whatever its line ends (`LF . LF`,
    /// `LF . CRLF`, `CRLF . LF`), as servers vulnerable to SMTP smuggling did.
    Legacy,
}

/// What reading the data found, once its end arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataOutcome {
    /// The message, dot-unstuffed, with its line ends as received.
    Complete(Vec<u8>),
    /// A line ended in a bare LF, or held a bare CR (strict policy only).
    BareLineEnding,
    /// A line was longer than 1000 octets.
    LineTooLong,
    /// The message exceeded the size limit; `size` octets arrived in all.
    TooBig { size: u64 },
}

/// Reads DATA incrementally. Memory stays bounded: at most the size limit plus one line
/// is held, however many bytes a client sends.
#[derive(Debug, Clone)]
pub struct DataReader {
    policy: LinePolicy,
    max_size: u64,
    message: Vec<u8>,
    size: u64,
    /// The line being read: its first MAX_TEXT_LINE_OCTETS bytes, then its last two.
    line: Vec<u8>,
    /// The whole length of the line being read.
    line_len: u64,
    /// Whether the previous line ended in CRLF (true at the start: the CRLF of the DATA
    /// command line counts as the first of `CRLF . CRLF`).
    previous_crlf: bool,
    bare_line_ending: bool,
    line_too_long: bool,
}

impl DataReader {
    /// A reader that accepts at most `max_size` octets of message.
    pub fn new(policy: LinePolicy, max_size: u64) -> Self {
        Self {
            policy,
            max_size,
            message: Vec::new(),
            size: 0,
            line: Vec::new(),
            line_len: 0,
            previous_crlf: true,
            bare_line_ending: false,
            line_too_long: false,
        }
    }

    /// Octets of message received so far (after unstuffing).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Reads from `input`; returns how many bytes belonged to the data and, once the end
    /// marker was read, the outcome. Bytes after the marker are the next commands.
    pub fn read(&mut self, input: &[u8]) -> (usize, Option<DataOutcome>) {
        // Most of a message comes in one write: room for it at once.
        if self.message.is_empty() {
            self.message.reserve(input.len().min(usize::try_from(self.max_size).unwrap_or(usize::MAX)));
        }
        let mut read = 0;
        // Line by line: up to each LF, then the rest of a line still to come.
        for piece in input.split_inclusive(|&b| b == b'\n') {
            self.add_to_line(piece);
            read += piece.len();
            if piece.ends_with(b"\n") && self.end_line() {
                return (read, Some(self.outcome()));
            }
        }
        (input.len(), None)
    }

    /// Adds bytes to the line being read: its first MAX_TEXT_LINE_OCTETS + 2 bytes are
    /// kept, then only its last two (enough to see whether it ends in CRLF).
    fn add_to_line(&mut self, bytes: &[u8]) {
        self.line_len += bytes.len() as u64;
        let room = (MAX_TEXT_LINE_OCTETS + 2).saturating_sub(self.line.len()).min(bytes.len());
        let (kept, rest) = bytes.split_at(room);
        self.line.extend_from_slice(kept);
        for &b in rest {
            let n = self.line.len();
            self.line[n - 2] = self.line[n - 1];
            self.line[n - 1] = b;
        }
    }

    /// Handles the complete line in `self.line`; true if it was the end-of-data marker.
    /// The line's buffer is kept for the next one.
    fn end_line(&mut self) -> bool {
        let mut line = std::mem::take(&mut self.line);
        let line_len = std::mem::take(&mut self.line_len);
        let is_end = self.line_ended(&line, line_len);
        line.clear();
        self.line = line;
        is_end
    }

    fn line_ended(&mut self, line: &[u8], line_len: u64) -> bool {
        let overflowed = line_len > line.len() as u64;
        let crlf = line.ends_with(b"\r\n");
        let content = line.strip_suffix(b"\n").map(|l| l.strip_suffix(b"\r").unwrap_or(l)).unwrap_or(line);
        let is_dot = !overflowed && content == b".";
        let is_end = match self.policy {
            LinePolicy::Strict => is_dot && crlf && self.previous_crlf,
            LinePolicy::Legacy => is_dot,
        };
        if is_end {
            return true;
        }
        if !crlf || content.contains(&b'\r') {
            self.bare_line_ending = true;
        }
        // Transparency: a leading dot is removed (RFC 5321 §4.5.2), and does not count
        // towards the 1000 octets of a text line (§4.5.3.1.6).
        let stuffed = line.first() == Some(&b'.');
        if line_len - u64::from(stuffed) > MAX_TEXT_LINE_OCTETS as u64 {
            self.line_too_long = true;
        }
        self.previous_crlf = crlf;
        self.size = self.size.saturating_add(line_len - u64::from(stuffed));
        if self.size <= self.max_size && !overflowed {
            self.message.extend_from_slice(&line[usize::from(stuffed)..]);
        }
        false
    }

    fn outcome(&mut self) -> DataOutcome {
        if self.size > self.max_size {
            DataOutcome::TooBig { size: self.size }
        } else if self.policy == LinePolicy::Strict && self.bare_line_ending {
            DataOutcome::BareLineEnding
        } else if self.line_too_long {
            DataOutcome::LineTooLong
        } else {
            DataOutcome::Complete(std::mem::take(&mut self.message))
        }
    }
}

/// Removes the transparency dots from complete, CRLF-terminated data (without its
/// terminator): the inverse of [`dot_stuff`] for well-formed input.
pub fn dot_unstuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut at_line_start = true;
    for &b in data {
        if !(at_line_start && b == b'.') {
            out.push(b);
        }
        at_line_start = b == b'\n';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(policy: LinePolicy, wire: &[u8]) -> (usize, Option<DataOutcome>) {
        DataReader::new(policy, 10_000).read(wire)
    }

    #[test]
    fn stuffing_round_trips() {
        let message = b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\nend";
        let wire = dot_stuff(message);
        assert_eq!(wire, b"Subject: dots\r\n\r\n..leading dot\r\n...two\r\nend\r\n.\r\n");
        let (used, outcome) = read_all(LinePolicy::Strict, &wire);
        assert_eq!(used, wire.len());
        assert_eq!(
            outcome,
            Some(DataOutcome::Complete(b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\nend\r\n".to_vec()))
        );
        assert_eq!(
            dot_unstuff(&wire[..wire.len() - 3]),
            b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\nend\r\n"
        );
    }

    #[test]
    fn bare_lf_is_normalised_by_the_encoder() {
        assert_eq!(dot_stuff(b"a\nb\n"), b"a\r\nb\r\n.\r\n");
        assert_eq!(dot_stuff(b"a\rb\r\n.c\r"), b"a\r\nb\r\n..c\r\n.\r\n");
        assert_eq!(dot_stuff(b""), b".\r\n");
        assert_eq!(crlf_lines(b".a\nb"), b".a\r\nb\r\n");
        assert_eq!(crlf_lines(b""), b"");
    }

    #[test]
    fn crlf_len_is_the_length_of_crlf_lines() {
        let samples: [&[u8]; 12] = [
            b"",
            b"\n",
            b"\r",
            b"\r\n",
            b"a",
            b"a\nb\n",
            b"a\rb\r\n.c\r",
            b"x\r\r\n\n\ry",
            b"\r\r\r",
            b"line\r\n\r\nbody\r\n",
            "Grüße\r\n".as_bytes(),
            b"\n\n\nend",
        ];
        for sample in samples {
            assert_eq!(crlf_len(sample), crlf_lines(sample).len(), "{sample:?}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod crlf_len_agrees {
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn on_bytes_full_of_line_ends(input in prop::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'.'), Just(b'a'), any::<u8>()], 0..48)) {
                prop_assert_eq!(super::crlf_len(&input), super::crlf_lines(&input).len());
            }
        }
    }

    #[test]
    fn empty_message_and_bytes_after_the_end() {
        let (used, outcome) = read_all(LinePolicy::Strict, b".\r\nQUIT\r\n");
        assert_eq!((used, outcome), (3, Some(DataOutcome::Complete(vec![]))));
    }

    /// The SEC Consult smuggling sequences: only the legacy policy ends the data early.
    #[test]
    fn smuggling_sequences() {
        for smuggle in [&b"a\r\n\n.\n"[..], b"a\r\n\n.\r\n", b"a\r\n.\n", b"a\n.\n"] {
            let mut wire = smuggle.to_vec();
            wire.extend_from_slice(b"MAIL FROM:<evil@example.com>\r\n\r\n.\r\n");
            let (used, outcome) = read_all(LinePolicy::Strict, &wire);
            assert_eq!(used, wire.len(), "strict reads to the real end: {smuggle:?}");
            assert_eq!(outcome, Some(DataOutcome::BareLineEnding));
            let (used, outcome) = read_all(LinePolicy::Legacy, &wire);
            assert_eq!(used, smuggle.len(), "legacy stops at the smuggled end: {smuggle:?}");
            assert!(matches!(outcome, Some(DataOutcome::Complete(_))));
        }
    }

    #[test]
    fn limits_are_enforced_with_bounded_memory() {
        let mut reader = DataReader::new(LinePolicy::Strict, 100);
        let chunk = [b'x'; 4096];
        for _ in 0..100 {
            assert_eq!(reader.read(&chunk), (chunk.len(), None));
        }
        assert!(reader.line.len() <= MAX_TEXT_LINE_OCTETS + 2);
        let (_, outcome) = reader.read(b"\r\n.\r\n");
        assert_eq!(outcome, Some(DataOutcome::TooBig { size: 409_602 }));

        let long = [&[b'y'; 1200][..], b"\r\n.\r\n"].concat();
        assert_eq!(read_all(LinePolicy::Strict, &long).1, Some(DataOutcome::LineTooLong));
    }

    #[test]
    fn input_split_anywhere_gives_the_same_outcome() {
        let wire = dot_stuff(b"Subject: x\r\n\r\n.hidden\r\nbody\r\n");
        for split in 0..wire.len() {
            let mut reader = DataReader::new(LinePolicy::Strict, 10_000);
            let (first, none) = reader.read(&wire[..split]);
            assert_eq!((first, none), (split, None));
            let (rest, outcome) = reader.read(&wire[split..]);
            assert_eq!(first + rest, wire.len());
            assert_eq!(
                outcome,
                Some(DataOutcome::Complete(b"Subject: x\r\n\r\n.hidden\r\nbody\r\n".to_vec()))
            );
        }
    }
}
