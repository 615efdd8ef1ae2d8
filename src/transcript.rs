//! Transcript lines as a terminal shows them: `run` prints a simulated timeline through
//! these, and `serve` and `send` print real sessions through them too, so every transcript
//! reads the same — the time, the route, `~` inside TLS, `C:`/`S:` and the text, coloured by
//! who wrote it (ANSI colours, off with `--no-color`).

use crate::timeline::{Millis, format_time};

/// Who wrote a transcript line, which picks its prefix and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireLine {
    /// `C:`: a command or message data from the client.
    Client,
    /// `S:`: a reply line, coloured by its code's class.
    Reply(Option<u16>),
    /// `S:`: a POP3 or IMAP server line.
    Retrieval,
}

/// One transcript line as `run` prints it, with its newline: the time, the route, `~` when
/// the line travelled inside TLS, then `C:`/`S:` and the text. `serve` and `send` print
/// real sessions through this too, so every transcript reads the same.
pub fn wire_line(color: bool, time: Millis, route: &str, tls: bool, line: WireLine, text: &str) -> String {
    let (prefix, code) = match line {
        WireLine::Reply(code) => ("S:", reply_color(code)),
        WireLine::Retrieval => ("S:", "36"),
        WireLine::Client => ("C:", "34"),
    };
    let when = format!("{:>12}", format_time(time));
    let tls = if tls { "~" } else { " " };
    format!(
        "{} {:<40} {tls}{}\n",
        paint(color, "2", &when),
        route,
        paint(color, code, &format!("{prefix} {text}"))
    )
}

/// A note between transcript lines (`-- summary`), as `run` prints a step without wire text.
pub fn note_line(color: bool, time: Millis, route: &str, summary: &str) -> String {
    let when = format!("{:>12}", format_time(time));
    format!("{} {:<40} {}\n", paint(color, "2", &when), route, paint(color, "33", &format!("-- {summary}")))
}

/// `text` in the ANSI SGR colour `code` (e.g. `32`, green) when `color`, else as it is.
pub fn paint(color: bool, code: &str, text: &str) -> String {
    if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
}

/// A reply's colour by its code's class (RFC 5321 §4.2.1): 2xx green, 3xx cyan, 4xx yellow,
/// 5xx (and anything unparsed) red.
fn reply_color(code: Option<u16>) -> &'static str {
    match code.map(|c| c / 100) {
        Some(2) => "32",
        Some(3) => "36",
        Some(4) => "33",
        _ => "31",
    }
}
