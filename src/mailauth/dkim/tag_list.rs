//! Tag lists (RFC 6376 §3.2): the `name=value; …` syntax of DKIM-Signature fields and of key
//! records.
//!
//! ```text
//! tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//! tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//! tag-name  =  ALPHA *ALNUMPUNC
//! tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//! tval      =  1*VALCHAR
//! VALCHAR   =  %x21-3A / %x3C-7E
//! ALNUMPUNC =  ALPHA / DIGIT / "_"
//! ```

use std::fmt;
use std::ops::Range;

/// One `tag-spec`, borrowed from the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    /// `tag-name`; names are case-sensitive (§3.2).
    pub(crate) name: &'a str,
    /// `tag-value`, without the FWS around it, inner FWS as written.
    pub(crate) value: &'a str,
    /// Where the value and the white space around it are in the input: from just after `=`
    /// to the `;` or the end. Deleting this range is how §3.5 empties `b=` for hashing.
    pub(crate) value_with_space: Range<usize>,
}

/// Why a text is not a tag list, in the grammar's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagListError {
    /// Nothing but white space.
    Empty,
    /// Two `;` with nothing between them (`tag-spec` needs a name).
    EmptyTagSpec,
    /// `tag-name = ALPHA *ALNUMPUNC` does not hold; holds what was there.
    InvalidName(String),
    /// The tag has no `=`.
    MissingEquals(String),
    /// A value character outside `VALCHAR` (a control character, say); holds the tag.
    InvalidValue(String),
    /// "Tags with duplicate names MUST NOT occur within a single tag-list" (§3.2).
    Duplicate(String),
}

impl fmt::Display for TagListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty tag list"),
            Self::EmptyTagSpec => f.write_str("empty tag between two ';'"),
            Self::InvalidName(name) => {
                write!(f, "{name:?} is not a tag name (a letter, then letters, digits or '_')")
            }
            Self::MissingEquals(name) => write!(f, "tag {name:?} has no '='"),
            Self::InvalidValue(name) => write!(f, "tag {name}= has a control character in its value"),
            Self::Duplicate(name) => write!(f, "tag {name}= appears twice (RFC 6376 §3.2)"),
        }
    }
}

impl std::error::Error for TagListError {}

/// `FWS` characters: WSP, and the CR LF of folding (already checked by the header parser).
pub(crate) fn is_fws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `VALCHAR` (§3.2), plus non-ASCII characters: a UTF-8 header (RFC 6532) may carry them in
/// `z=` or an EAI `i=`, and the tags this module reads check their own values anyway.
fn is_valchar(c: char) -> bool {
    matches!(c, '!'..=':' | '<'..='~') || !c.is_ascii()
}

/// Parses a whole tag list (§3.2). Unknown tags are kept: callers ignore what they do not know.
pub(crate) fn tag_list(input: &str) -> Result<Vec<Tag<'_>>, TagListError> {
    let mut tags: Vec<Tag<'_>> = Vec::new();
    let mut start = 0;
    let mut specs = input.split(';').peekable();
    while let Some(spec) = specs.next() {
        let spec_start = start;
        start += spec.len() + 1;
        if spec.chars().all(is_fws) {
            // `[";"]` at the end: the last, empty piece after a final ';' (or the only one).
            if specs.peek().is_none() && !tags.is_empty() {
                break;
            }
            return Err(if tags.is_empty() && specs.peek().is_none() {
                TagListError::Empty
            } else {
                TagListError::EmptyTagSpec
            });
        }
        let tag = tag_spec(spec, spec_start)?;
        if tags.iter().any(|seen| seen.name == tag.name) {
            return Err(TagListError::Duplicate(tag.name.to_owned()));
        }
        tags.push(tag);
    }
    Ok(tags)
}

/// `tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]`; `offset` is where `spec`
/// starts in the whole list.
fn tag_spec(spec: &str, offset: usize) -> Result<Tag<'_>, TagListError> {
    let Some(equals) = spec.find('=') else {
        return Err(TagListError::MissingEquals(spec.trim_matches(is_fws).to_owned()));
    };
    let name = spec.get(..equals).unwrap_or_default().trim_matches(is_fws);
    let mut chars = name.chars();
    let name_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !name_ok {
        return Err(TagListError::InvalidName(name.to_owned()));
    }
    let after = spec.get(equals + 1..).unwrap_or_default();
    let value = after.trim_matches(is_fws);
    if !value.chars().all(|c| is_valchar(c) || is_fws(c)) {
        return Err(TagListError::InvalidValue(name.to_owned()));
    }
    let value_start = offset + equals + 1;
    Ok(Tag { name, value, value_with_space: value_start..value_start + after.len() })
}

/// The value of tag `name`, if present.
pub(crate) fn get<'a>(tags: &[Tag<'a>], name: &str) -> Option<&'a str> {
    tags.iter().find(|tag| tag.name == name).map(|tag| tag.value)
}

/// Removes FWS from a value, as base64 tags (`b=`, `bh=`, `p=`) require (§3.5, §3.6.1).
pub(crate) fn without_fws(value: &str) -> String {
    value.chars().filter(|&c| !is_fws(c)).collect()
}

/// Splits a colon-separated list (`h=`, `q=`, key `h=`, `s=`, `t=`) and trims FWS around each
/// element, as `sig-h-tag = %x68 [FWS] "=" [FWS] hdr-name *( [FWS] ":" [FWS] hdr-name )` allows.
pub(crate) fn colon_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(':').map(|item| item.trim_matches(is_fws))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_values_and_spans() {
        let input = "v=1; a=rsa-sha256;\r\n\tb=abc\r\n def ; x_1 = y z;";
        let tags = tag_list(input).expect("valid");
        let pairs: Vec<(&str, &str)> = tags.iter().map(|t| (t.name, t.value)).collect();
        assert_eq!(pairs, [("v", "1"), ("a", "rsa-sha256"), ("b", "abc\r\n def"), ("x_1", "y z")]);
        let b = tags.get(2).expect("b");
        assert_eq!(input.get(b.value_with_space.clone()), Some("abc\r\n def "));
        assert_eq!(get(&tags, "a"), Some("rsa-sha256"));
        assert_eq!(get(&tags, "A"), None, "tag names are case-sensitive");
        assert_eq!(without_fws(get(&tags, "b").unwrap_or_default()), "abcdef");
    }

    #[test]
    fn empty_values_and_final_semicolon() {
        let tags = tag_list("v=DKIM1; p=").expect("valid");
        assert_eq!(get(&tags, "p"), Some(""));
        assert!(tag_list("p=; \r\n ").is_ok());
        let colons: Vec<&str> = colon_list("from : to:\r\n subject").collect();
        assert_eq!(colons, ["from", "to", "subject"]);
    }

    #[test]
    fn rejects_what_the_grammar_rejects() {
        for (input, error) in [
            ("", TagListError::Empty),
            (" \t", TagListError::Empty),
            (";", TagListError::EmptyTagSpec),
            ("a=1;;b=2", TagListError::EmptyTagSpec),
            ("a=1; novalue", TagListError::MissingEquals("novalue".into())),
            ("1a=x", TagListError::InvalidName("1a".into())),
            ("=x", TagListError::InvalidName(String::new())),
            ("a b=x", TagListError::InvalidName("a b".into())),
            ("a=1; a=2", TagListError::Duplicate("a".into())),
            ("a=x\u{1}y", TagListError::InvalidValue("a".into())),
        ] {
            assert_eq!(tag_list(input), Err(error), "{input:?}");
        }
    }
}
