// ehlo_reply and sasl_auth: the EHLO reply a client reads (RFC 5321 §4.1.1.1 and the
// extensions it lists), and SASL as SMTP carries it (RFC 4954, PLAIN of RFC 4616, LOGIN).
// `include!`d by ../checks.rs inside `mod proto_checks`.

use smtp_playground::engine::{Policy, ServerEvent, ServerSession};
use smtp_playground::proto::ehlo::ehlo_line_spans;
use smtp_playground::proto::reply::{parse_reply, reply};
use smtp_playground::proto::sasl::{self, PlainCredentials};
use smtp_playground::proto::{Capability, EhloReply, Mechanism, SaslResponse};

use super::{assert_server_reply_ok, server_setup, shown};

/// Every reply in the input, one after another, is read as an EHLO reply
/// (`EhloReply::from_reply` after the reply parser). What it reads is written back by
/// `EhloReply::to_reply` as a reply that reads back to the same EHLO reply; each `ehlo-line`
/// reads the same through `ehlo_line_spans`, and each capability prints as a line that
/// parses back to it.
pub fn check_ehlo_reply(data: &[u8]) {
    let mut rest = data;
    while let Ok((after, r)) = reply(rest) {
        if let Some(ehlo) = EhloReply::from_reply(&r) {
            let wire = ehlo.to_reply().to_bytes();
            let again =
                parse_reply(&wire).unwrap_or_else(|| panic!("{ehlo:?} -> {}: not a reply", shown(&wire)));
            assert_eq!(
                EhloReply::from_reply(&again).as_ref(),
                Some(&ehlo),
                "{} -> {}",
                shown(rest),
                shown(&wire)
            );
            for capability in &ehlo.capabilities {
                let line = capability.to_string();
                assert_eq!(
                    Capability::parse(&line).as_ref(),
                    Some(capability),
                    "capability printed as {line:?}"
                );
            }
        }
        for line in r.lines.iter().skip(1) {
            let parsed = Capability::parse(line);
            let spans = ehlo_line_spans(line).map(|(capability, _, _)| capability);
            assert_eq!(spans, parsed, "ehlo_line_spans and Capability::parse disagree on {line:?}");
        }
        if after.len() == rest.len() {
            break;
        }
        rest = after;
    }
}

/// Input: a selector byte (see `server_setup`: the low two bits are forced to the server
/// that offers AUTH PLAIN and LOGIN, without requiring TLS), then lines a client sends after
/// EHLO: AUTH commands and SASL responses. Each line is also read on its own, as a SASL
/// response, as base64 and the PLAIN message in it, and as a mechanism name, and each of
/// those round trips. The server never panics, its replies pass the server_session checks,
/// and only the one known user with the right password is ever authenticated.
pub fn check_sasl_auth(data: &[u8]) {
    let Some((&selector, text)) = data.split_first() else { return };
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        check_sasl_line(line);
    }
    let (config, policy) = server_setup(selector & !0x13);
    let Some(mut policy) = policy else { return };
    let mut session = ServerSession::new(config, Some([192, 0, 2, 25].into()));
    let mut input = b"EHLO client.example.org\r\n".to_vec();
    input.extend_from_slice(text);
    // Line by line, as a client waiting for each 334 writes them.
    for chunk in input.split_inclusive(|&b| b == b'\n') {
        session.handle_input(chunk, &mut policy as &mut dyn Policy);
        while let Some(r) = session.poll_reply() {
            assert_server_reply_ok(&r, data);
        }
        while let Some(event) = session.poll_event() {
            if let ServerEvent::Authenticated { mechanism, user } = event {
                assert_eq!(user, "alice", "{mechanism:?} authenticated {user:?}; input: {}", shown(data));
            }
        }
    }
}

fn check_sasl_line(line: &[u8]) {
    if let Some(response) = SaslResponse::parse(line) {
        let wire = response.to_wire();
        assert_eq!(
            SaslResponse::parse(wire.as_bytes()).as_ref(),
            Some(&response),
            "SASL response {}",
            shown(line)
        );
    }
    let Ok(text) = std::str::from_utf8(line) else { return };
    if let Some(decoded) = sasl::decode(text) {
        assert_eq!(sasl::decode(&sasl::encode(&decoded)).as_ref(), Some(&decoded), "base64 {text:?}");
        if let Some(plain) = PlainCredentials::parse(&decoded) {
            assert_eq!(PlainCredentials::parse(&plain.to_message()).as_ref(), Some(&plain), "PLAIN {text:?}");
        }
    }
    if let Ok(mechanism) = text.parse::<Mechanism>() {
        assert_eq!(mechanism.to_string().parse::<Mechanism>().as_ref(), Ok(&mechanism), "mechanism {text:?}");
    }
}
