// mailauth_records and mailauth_verify: SPF records and macros (RFC 7208), DMARC records
// (RFC 7489), DKIM canonicalization names, tag lists, signatures, keys and verification
// (RFC 6376, RFC 8463), and the whole receiving check of an MX.
// `include!`d by ../checks.rs inside `mod mailauth_checks`.

use std::net::IpAddr;

use smtp_playground::dns::{Record, Zone};
use smtp_playground::mailauth::dkim::{self, Canonicalization, SignParams, SigningKey};
use smtp_playground::mailauth::dmarc::{self, DmarcRecord};
use smtp_playground::mailauth::receiver::{Arrival, authenticate};
use smtp_playground::mailauth::spf::macros::{MacroContext, MacroEnv, MacroString};
use smtp_playground::mailauth::spf::record::{DomainSpec, SpfRecord};
use smtp_playground::mailauth::spf::{Client, Verifier};
use smtp_playground::message::{HeaderField, Message};

use super::shown;

/// The input is text: the whole of it, and each line of it, is read as an SPF record, a
/// macro-string in each of its three contexts, a domain-spec, a DMARC record, a DKIM `c=`
/// value and a domain; the whole input is also a message whose author domain is read.
/// Whatever parses must print as text that parses to the same value; macros also expand.
pub fn check_mailauth_records(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_record_text(&text);
    if text.contains('\n') {
        for line in text.lines() {
            check_record_text(line);
        }
    }
    let _ = dmarc::author_domain(data);
}

fn check_record_text(text: &str) {
    // SPF record (RFC 7208 §4.5, §12).
    let _ = smtp_playground::mailauth::spf::record::is_spf1(text);
    if let Ok(record) = SpfRecord::parse(text) {
        let written = record.to_string();
        assert_eq!(SpfRecord::parse(&written).as_ref(), Ok(&record), "SPF {text:?} -> {written:?}");
    }
    // macro-string and explain-string (§7.1), and their expansion (§7.3).
    for context in [MacroContext::DomainSpec, MacroContext::ModifierValue, MacroContext::Explanation] {
        if let Ok(macros) = MacroString::parse(text, context) {
            let written = macros.to_string();
            assert_eq!(
                MacroString::parse(&written, context).as_ref(),
                Ok(&macros),
                "macro-string ({context:?}) {text:?} -> {written:?}"
            );
            expand(&macros);
        }
    }
    if let Ok(spec) = DomainSpec::parse(text) {
        let written = spec.to_string();
        assert_eq!(DomainSpec::parse(&written).as_ref(), Ok(&spec), "domain-spec {text:?} -> {written:?}");
    }
    // DMARC record (RFC 7489 §6.4).
    let _ = dmarc::is_dmarc1(text);
    if let Ok(record) = text.parse::<DmarcRecord>() {
        let written = record.to_string();
        assert_eq!(written.parse::<DmarcRecord>().as_ref(), Ok(&record), "DMARC {text:?} -> {written:?}");
    }
    // DKIM c= (RFC 6376 §3.5).
    if let Ok(c) = text.parse::<Canonicalization>() {
        let written = c.to_string();
        assert_eq!(written.parse::<Canonicalization>(), Ok(c), "c={text:?} -> {written:?}");
    }
    // The organizational domain (RFC 7489 §3.2) of an organizational domain is itself.
    let org = dmarc::organizational_domain(text);
    assert_eq!(dmarc::organizational_domain(&org), org, "organizational_domain({text:?})");
}

/// Expands a macro-string for an IPv4 and an IPv6 client, with a small budget and a large one.
fn expand(macros: &MacroString) {
    for ip in [IpAddr::from([192, 0, 2, 3]), IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xcb01])] {
        let env = MacroEnv {
            sender: "strong-bad@email.example.com",
            local_part: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            client: Client::from(ip),
            helo: "mx.example.org",
            validated_name: "mx.example.org",
            receiver: "mx.example.net",
            now: 1_700_000_000,
        };
        for budget in [64, 8 * 1024] {
            let _ = macros.expand(&env, &mut budget.clone());
            let _ = macros.expand_domain(&env, &mut budget.clone());
        }
    }
}

/// What the zone part of a `mailauth_verify` input sets besides records.
struct Connection {
    ip: IpAddr,
    helo: String,
    mail_from: String,
}

/// Reads the zone part: one line per record, `name TXT text`, `name A ip`, `name AAAA ip`,
/// `name MX preference host`, `name PTR host`, `name CNAME host`, `name TIMEOUT`; and the
/// connection: `@ip address`, `@helo name`, `@from address`. Lines that fit none are skipped.
fn zone_from(text: &str) -> (Zone, Connection) {
    let mut zone = Zone::new();
    let mut connection = Connection {
        ip: IpAddr::from([192, 0, 2, 25]),
        helo: "smtp.example.com".to_owned(),
        mail_from: "alice@example.com".to_owned(),
    };
    for line in text.lines() {
        let (name, rest) = line.split_once(' ').unwrap_or((line, ""));
        let (kind, value) = rest.split_once(' ').unwrap_or((rest, ""));
        match (name, kind.to_ascii_uppercase().as_str()) {
            ("@ip", _) => {
                if let Ok(ip) = rest.parse() {
                    connection.ip = ip;
                }
            }
            ("@helo", _) => connection.helo = rest.to_owned(),
            ("@from", _) => connection.mail_from = rest.to_owned(),
            // Long TXT data is cut into 255-octet character-strings, as DNS carries it.
            (_, "TXT") => zone.add(name, Record::Txt(txt_strings(value))),
            (_, "A") => {
                if let Ok(ip) = value.parse() {
                    zone.add(name, Record::A(ip));
                }
            }
            (_, "AAAA") => {
                if let Ok(ip) = value.parse() {
                    zone.add(name, Record::Aaaa(ip));
                }
            }
            (_, "MX") => {
                let (preference, exchange) = value.split_once(' ').unwrap_or(("10", value));
                if let Ok(preference) = preference.parse() {
                    zone.add(name, Record::Mx { preference, exchange: exchange.to_owned() });
                }
            }
            (_, "PTR") => zone.add(name, Record::Ptr(value.to_owned())),
            (_, "CNAME") => zone.add(name, Record::Cname(value.to_owned())),
            (_, "TIMEOUT") => zone.add_timeout(name, None),
            _ => {}
        }
    }
    (zone, connection)
}

fn txt_strings(value: &str) -> Vec<String> {
    let mut strings = Vec::new();
    let mut rest = value;
    while rest.len() > 255 {
        let mut cut = 255;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        strings.push(head.to_owned());
        rest = tail;
    }
    strings.push(rest.to_owned());
    strings
}

/// The input is a zone (see [`zone_from`]), a NUL, then a message. An MX authenticates the
/// message against the zone (SPF for the MAIL FROM, every DKIM-Signature, DMARC) without
/// panicking; `Verifier::check_helo` runs too. Then the message is signed with a fixed
/// Ed25519 key in each canonicalization, and the signature must verify against its own
/// published key (RFC 6376 §5 then §6).
pub fn check_mailauth_verify(data: &[u8]) {
    let (zone_part, message) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (&b""[..], data),
    };
    let (mut zone, connection) = zone_from(&String::from_utf8_lossy(zone_part));
    let now = 1_700_000_000;
    let arrival = Arrival {
        receiver: "mx.example.net",
        now,
        client_ip: connection.ip,
        helo: &connection.helo,
        mail_from: &connection.mail_from,
        data: message,
    };
    let report = authenticate(&arrival, &mut zone, &mut || 42u8);
    // The fields the MX adds must be header fields it can read back itself.
    if !report.fields.is_empty() {
        let section = format!("{}\r\n", report.fields);
        let parsed = Message::parse(section.as_bytes())
            .unwrap_or_else(|e| panic!("the MX wrote fields that do not parse ({e}): {:?}", report.fields));
        assert!(!parsed.fields().is_empty(), "no fields in {:?}", report.fields);
    }
    let verifier = Verifier { receiver: "mx.example.net", now };
    let _ = verifier.check_helo(&mut zone, connection.ip, &connection.helo);
    let _ = dkim::verify(message, &mut zone);
    check_sign_then_verify(message, now);
}

fn check_sign_then_verify(message: &[u8], now: u64) {
    let Ok(parsed) = Message::parse(message) else { return };
    let key = SigningKey::ed25519_from_seed([7; 32]);
    let mut zone = Zone::new();
    zone.add("fuzz._domainkey.example.com", Record::Txt(vec![key.public_key_record()]));
    for canonicalization in [Canonicalization::RELAXED, Canonicalization::SIMPLE] {
        let params =
            SignParams { canonicalization, ..SignParams::new(key.clone(), "example.com", "fuzz", now) };
        let field: HeaderField = match dkim::sign(message, &params) {
            Ok(field) => field,
            Err(error) => panic!("signing {} ({canonicalization}) failed: {error}", shown(message)),
        };
        let mut signed = parsed.clone();
        signed.prepend(field);
        let wire = signed.to_bytes();
        let verdicts = dkim::verify_at(&wire, &mut zone, now);
        let first = verdicts.first().unwrap_or_else(|| panic!("no verdict for {}", shown(&wire)));
        assert!(
            first.passed(),
            "a fresh {canonicalization} signature does not verify: {:?}\nsigned message: {}\ntrace: {:#?}",
            first.outcome,
            shown(&wire),
            first.trace
        );
    }
}
