//! Message data after DATA: dot-stuffing and the end-of-data marker (RFC 5321 §4.5.2).

/// Encodes a message for transmission: every line that starts with `.` gets one more,
/// lines end in CRLF, and the data ends with `CRLF.CRLF`.
pub fn dot_stuff(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 8);
    for line in message.lines() {
        if line.starts_with('.') {
            out.push(b'.');
        }
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Finds the end of the data: the index just past `CRLF.CRLF`, given data that starts
/// right after the `354` reply (so the first line's leading CRLF is implied).
pub fn find_end_of_data(data: &[u8]) -> Option<usize> {
    if data.starts_with(b".\r\n") {
        return Some(3);
    }
    data.windows(5).position(|w| w == b"\r\n.\r\n").map(|i| i + 5)
}

/// Removes the transparency dots from received data (without its terminator).
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

    #[test]
    fn stuffing_round_trips() {
        let message = "Subject: dots\r\n\r\n.leading dot\r\n..two\r\nend";
        let wire = dot_stuff(message);
        assert_eq!(wire, b"Subject: dots\r\n\r\n..leading dot\r\n...two\r\nend\r\n.\r\n");
        let end = find_end_of_data(&wire).expect("terminated");
        assert_eq!(end, wire.len());
        let body = dot_unstuff(&wire[..end - 3]);
        assert_eq!(body, b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\nend\r\n");
    }

    #[test]
    fn only_crlf_dot_crlf_ends_data() {
        assert_eq!(find_end_of_data(b"a\n.\nb"), None);
        assert_eq!(find_end_of_data(b"a\r\n.\r\n"), Some(6));
    }
}
