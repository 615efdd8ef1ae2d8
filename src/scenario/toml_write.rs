//! Writing TOML strings that the project's own reader ([`super::toml`]) reads back exactly:
//! scenario text made by the program (a fault added by "What if…", a learner's own .eml
//! message) stays shareable, diffable text.
//!
//! Both forms keep every character, so `parse(write(s)) == s` for any `s` (a property test
//! checks it). In the multi-line form a line end is written as a line end, so a message
//! stays readable; a CR is always escaped (`\r`), because TOML reads a raw CRLF in a
//! multi-line string as LF (TOML v1.0, “String”). `[[send]]` then turns the message's line
//! ends, LF or CRLF, into the CRLF of SMTP.

/// `"…"`: a TOML basic string on one line (TOML v1.0, “String”). Escapes `\`, `"` and every
/// control character (U+0000–U+001F, U+007F): the short forms `\b \t \n \f \r` where TOML
/// has them, `\uXXXX` for the rest.
pub fn basic_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        push_escaped(&mut out, c, false);
    }
    out.push('"');
    out
}

/// `"""…"""`: a TOML multi-line basic string, for message text. The content starts on the
/// line after the opening quotes (TOML drops that first newline); line feeds and tabs stay
/// raw; `\`, CR and other control characters are escaped, and so is every quote that would
/// make a run of three or end the string.
pub fn multiline_basic_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str("\"\"\"\n");
    let chars: Vec<char> = text.chars().collect();
    let mut quotes = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c == '"' {
            // A third quote in a row, or a quote right before the closing `"""`, is escaped.
            let last = i + 1 == chars.len();
            if quotes == 2 || last {
                out.push_str("\\\"");
                quotes = 0;
            } else {
                out.push('"');
                quotes += 1;
            }
            continue;
        }
        quotes = 0;
        push_escaped(&mut out, c, true);
    }
    out.push_str("\"\"\"");
    out
}

fn push_escaped(out: &mut String, c: char, multi: bool) {
    match c {
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        '\n' if multi => out.push('\n'),
        '\t' if multi => out.push('\t'),
        '\u{8}' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\u{c}' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        c if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\u{:04X}", c as u32)),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::toml::{Value, parse};

    fn read_back(written: &str) -> String {
        let doc = format!("k = {written}\n");
        let table = parse(&doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
        match table.get("k").map(|e| &e.item.value) {
            Some(Value::String(s)) => s.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn known_answers() {
        assert_eq!(basic_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(basic_string("\u{0}\u{7f}\t\r\n"), r#""\u0000\u007F\t\r\n""#);
        assert_eq!(multiline_basic_string("a\r\nb\n"), "\"\"\"\na\\r\nb\n\"\"\"");
        assert_eq!(multiline_basic_string("\"\"\"x\""), "\"\"\"\n\"\"\\\"x\\\"\"\"\"");
        for text in
            ["", "\"", "\"\"", "\"\"\"\"\"", "\\", "\n", "\r\n\r\n", "\u{0}é😀\u{1f}", "a\\\n  b", "\n\n"]
        {
            assert_eq!(read_back(&basic_string(text)), text, "{text:?}");
            assert_eq!(read_back(&multiline_basic_string(text)), text, "{text:?}");
        }
    }
}
