//! Recording the result (RFC 7208 §9): the `Received-SPF` field (§9.1) and the `spf`
//! entry of `Authentication-Results` (§9.2, RFC 8601 §2.7.2).
//!
//! Both return the field *value*, unfolded; the MTA prepends the field with
//! [`HeaderField::new`](crate::message::HeaderField::new), which folds it. Everything taken
//! from the session (sender, HELO name, problem text) is quoted or escaped, cut to a sane
//! length and stripped to printable ASCII, as §9.1 requires of data "provided by the sender".

use super::{Identity, SpfOutcome, SpfResult};

/// Longest value copied from the session into a header field.
const MAX_VALUE: usize = 256;

impl SpfOutcome {
    /// The value of a `Received-SPF` field (§9.1):
    ///
    /// ```text
    /// pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as
    /// permitted sender) receiver=mybox.example.org; client-ip=192.0.2.1;
    /// envelope-from="myname@example.com"; helo=foo.example.com; identity=mailfrom;
    /// mechanism="ip4:192.0.2.1";
    /// ```
    pub fn received_spf(&self) -> String {
        let ip = self.client_ip;
        let who = match self.identity {
            Identity::MailFrom => &self.sender,
            Identity::Helo => &self.helo,
        };
        let who = comment_text(who);
        let receiver = comment_text(&self.receiver);
        let comment = match self.result {
            SpfResult::Pass => format!("{receiver}: domain of {who} designates {ip} as permitted sender"),
            SpfResult::Fail => {
                format!("{receiver}: domain of {who} does not designate {ip} as permitted sender")
            }
            SpfResult::SoftFail => {
                format!(
                    "{receiver}: domain of transitioning {who} does not designate {ip} as permitted sender"
                )
            }
            SpfResult::Neutral => {
                format!("{receiver}: {ip} is neither permitted nor denied by domain of {who}")
            }
            SpfResult::None => {
                format!("{receiver}: domain of {who} does not designate permitted sender hosts")
            }
            SpfResult::TempError => format!("{receiver}: error in processing during lookup of {who}"),
            SpfResult::PermError => {
                format!("{receiver}: permanent error in processing during lookup of {who}")
            }
        };
        let mut pairs = vec![("receiver", value(&self.receiver)), ("client-ip", value(&ip.to_string()))];
        if self.identity == Identity::MailFrom {
            pairs.push(("envelope-from", value(&self.sender)));
        }
        pairs.push(("helo", value(&self.helo)));
        pairs.push(("identity", self.identity.as_str().to_owned()));
        match self.result {
            SpfResult::Pass | SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => {
                pairs.push(("mechanism", value(self.mechanism.as_deref().unwrap_or("default"))));
            }
            SpfResult::TempError | SpfResult::PermError => {
                if let Some(problem) = &self.problem {
                    pairs.push(("problem", value(problem)));
                }
            }
            SpfResult::None => {}
        }
        let pairs: Vec<String> = pairs.into_iter().map(|(key, value)| format!("{key}={value}")).collect();
        format!("{} ({comment}) {};", self.result, pairs.join("; "))
    }

    /// The `spf` result of an `Authentication-Results` field (RFC 8601 §2.7.2), e.g.
    /// `spf=pass smtp.mailfrom=user@example.net`, with a `reason` for the error results.
    pub fn authentication_results(&self) -> String {
        let mut out = format!("spf={}", self.result);
        if let (SpfResult::TempError | SpfResult::PermError, Some(problem)) = (self.result, &self.problem) {
            out.push_str(&format!(" reason={}", quoted(problem)));
        }
        match self.identity {
            Identity::MailFrom => out.push_str(&format!(" smtp.mailfrom={}", mailbox(&self.sender))),
            Identity::Helo => out.push_str(&format!(" smtp.helo={}", value(&self.helo))),
        }
        out
    }
}

/// `dot-atom / quoted-string` (§9.1's key-value-pair).
fn value(text: &str) -> String {
    if is_dot_atom(text) { text.to_owned() } else { quoted(text) }
}

/// `[ local-part "@" ] domain-name` (RFC 8601 §2.2 `pvalue`): a local-part that is not a
/// dot-atom is quoted; a sender that is not a mailbox at all becomes a quoted-string.
fn mailbox(sender: &str) -> String {
    match sender.rsplit_once('@') {
        Some((local, domain)) if is_dot_atom(domain) && local.len() <= MAX_VALUE => {
            format!("{}@{domain}", value(local))
        }
        _ => quoted(sender),
    }
}

/// `dot-atom-text = 1*atext *("." 1*atext)` (RFC 5322 §3.2.3).
fn is_dot_atom(text: &str) -> bool {
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    text.len() <= MAX_VALUE && text.split('.').all(|atom| !atom.is_empty() && atom.bytes().all(atext))
}

/// A `quoted-string` (RFC 5322 §3.2.4) of printable ASCII.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in printable(text).chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Text for inside a `comment`: parentheses and backslashes escaped (RFC 5322 §3.2.2).
fn comment_text(text: &str) -> String {
    let mut out = String::new();
    for c in printable(text).chars() {
        if matches!(c, '(' | ')' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Printable ASCII and spaces only (anything else becomes `?`), cut to [`MAX_VALUE`].
fn printable(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_VALUE)
        .map(|c| if c == ' ' || c.is_ascii_graphic() { c } else { '?' })
        .collect();
    if text.chars().nth(MAX_VALUE).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::message::HeaderField;

    fn outcome(result: SpfResult, identity: Identity, sender: &str, helo: &str) -> SpfOutcome {
        SpfOutcome {
            result,
            explanation: None,
            mechanism: None,
            problem: None,
            trace: Vec::new(),
            identity,
            client_ip: "192.0.2.1".parse::<IpAddr>().expect("address"),
            sender: sender.to_owned(),
            domain: "example.com".to_owned(),
            helo: helo.to_owned(),
            receiver: "mybox.example.org".to_owned(),
        }
    }

    /// As §9.1's examples, except that `mechanism=` is quoted: `:` is not `atext`, so the
    /// ABNF (`dot-atom / quoted-string`) requires it, though the RFC's example omits it.
    #[test]
    fn received_spf_as_in_rfc7208_section_9_1() {
        let mut pass = outcome(SpfResult::Pass, Identity::MailFrom, "myname@example.com", "foo.example.com");
        pass.mechanism = Some("ip4:192.0.2.1".to_owned());
        assert_eq!(
            pass.received_spf(),
            "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) \
             receiver=mybox.example.org; client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; \
             helo=foo.example.com; identity=mailfrom; mechanism=\"ip4:192.0.2.1\";"
        );
        let field = HeaderField::new("Received-SPF", &pass.received_spf()).expect("a valid header field");
        assert_eq!(field.value(), pass.received_spf());

        let mut perm = outcome(SpfResult::PermError, Identity::Helo, "postmaster@mx.example", "mx.example");
        perm.problem = Some("'moo' is not a mechanism SPF knows".to_owned());
        assert_eq!(
            perm.received_spf(),
            "permerror (mybox.example.org: permanent error in processing during lookup of mx.example) \
             receiver=mybox.example.org; client-ip=192.0.2.1; helo=mx.example; identity=helo; \
             problem=\"'moo' is not a mechanism SPF knows\";"
        );
        let neutral = outcome(SpfResult::Neutral, Identity::MailFrom, "a@example.com", "h.example");
        assert!(neutral.received_spf().ends_with("mechanism=default;"));
    }

    #[test]
    fn hostile_session_data_is_quoted_and_cut() {
        let sender = format!("\"evil)\r\nX-Injected: yes(\\\u{e9}@{}", "a".repeat(1000));
        let o = outcome(SpfResult::Fail, Identity::MailFrom, &sender, "JUMPIN' JUPITER");
        let text = o.received_spf();
        assert!(text.is_ascii() && !text.contains(['\r', '\n']), "{text}");
        assert!(text.len() < 1500, "cut to a sane length");
        assert!(text.contains("helo=\"JUMPIN' JUPITER\""), "{text}");
        HeaderField::new("Received-SPF", &text).expect("still a valid header field");
        let ar = o.authentication_results();
        assert!(ar.is_ascii() && !ar.contains(['\r', '\n']), "{ar}");
    }

    #[test]
    fn authentication_results() {
        let o = outcome(SpfResult::Pass, Identity::MailFrom, "user@example.net", "mx.example.net");
        assert_eq!(o.authentication_results(), "spf=pass smtp.mailfrom=user@example.net");
        let o = outcome(SpfResult::Fail, Identity::MailFrom, "Macro Error@e8.example.com", "h.example");
        assert_eq!(o.authentication_results(), "spf=fail smtp.mailfrom=\"Macro Error\"@e8.example.com");
        let o = outcome(SpfResult::None, Identity::Helo, "postmaster@mx.example.net", "mx.example.net");
        assert_eq!(o.authentication_results(), "spf=none smtp.helo=mx.example.net");
        let mut o = outcome(SpfResult::TempError, Identity::MailFrom, "u@example.org", "h.example");
        o.problem = Some("the TXT lookup for example.org failed".to_owned());
        assert_eq!(
            o.authentication_results(),
            "spf=temperror reason=\"the TXT lookup for example.org failed\" smtp.mailfrom=u@example.org"
        );
    }
}
