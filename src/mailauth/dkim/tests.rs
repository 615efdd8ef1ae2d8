//! Sign-then-verify behaviour: what passes, what each change in transit breaks, what each
//! DNS answer gives, and hostile input that must give verdicts, never panics.

use super::rfc_examples::{RFC8463_ED25519_SEED, RFC8463_RSA_PEM};
use super::*;
use crate::dns::{Record, Zone};

const MESSAGE: &str = "Received: from a.example (a.example [192.0.2.1])\r
\tby mx.example.com; Tue, 25 Nov 2026 02:23:30 +0000\r
From: Alice <alice@example.com>\r
To: Bob <bob@example.net>\r
Subject: Lunch \t at noon\r
Date: Tue, 25 Nov 2026 02:23:00 +0000\r
Message-ID: <lunch.1@example.com>\r
\r
See you at  noon.\r
\r
Alice\r
\r\n";

fn keys() -> [SigningKey; 2] {
    [
        SigningKey::rsa_from_pem(RFC8463_RSA_PEM).expect("RSA key"),
        SigningKey::ed25519_from_base64(RFC8463_ED25519_SEED).expect("Ed25519 key"),
    ]
}

fn zone_for(key: &SigningKey) -> Zone {
    let mut zone = Zone::new();
    zone.add("sel._domainkey.example.com", key.public_key_txt());
    zone
}

fn params(key: SigningKey, canonicalization: Canonicalization) -> SignParams {
    SignParams { canonicalization, ..SignParams::new(key, "example.com", "sel", 1_764_037_410) }
}

/// The message with the field `sign` gives for `params` on top.
fn signed(message: &str, params: &SignParams) -> String {
    let field = sign(message.as_bytes(), params).expect("signs");
    format!("{field}{message}")
}

fn outcomes(message: &str, zone: &mut Zone) -> Vec<Result<(), DkimFailure>> {
    verify(message.as_bytes(), zone).into_iter().map(|v| v.outcome).collect()
}

const ALL_CANONICALIZATIONS: [Canonicalization; 4] = [
    Canonicalization::SIMPLE,
    Canonicalization::RELAXED,
    Canonicalization { header: Canon::Simple, body: Canon::Relaxed },
    Canonicalization { header: Canon::Relaxed, body: Canon::Simple },
];

#[test]
fn every_algorithm_and_canonicalization_round_trips() {
    for key in keys() {
        let mut zone = zone_for(&key);
        for c in ALL_CANONICALIZATIONS {
            let message = signed(MESSAGE, &params(key.clone(), c));
            assert_eq!(outcomes(&message, &mut zone), [Ok(())], "{} {c}", key.algorithm());
        }
    }
}

#[test]
fn relaxed_survives_rewrapping_that_breaks_simple() {
    // What a forwarding MTA may do: re-space a header, strip trailing white space in the body.
    let respace = |m: &str| m.replace("Subject: Lunch \t at noon", "Subject:  Lunch at noon");
    let strip = |m: &str| m.replace("See you at  noon.", "See you at noon.");
    for key in keys() {
        let mut zone = zone_for(&key);
        let relaxed = signed(MESSAGE, &params(key.clone(), Canonicalization::RELAXED));
        assert_eq!(outcomes(&strip(&respace(&relaxed)), &mut zone), [Ok(())]);
        let simple = signed(MESSAGE, &params(key.clone(), Canonicalization::SIMPLE));
        assert_eq!(outcomes(&respace(&simple), &mut zone), [Err(DkimFailure::SignatureMismatch)]);
        assert!(matches!(
            outcomes(&strip(&simple), &mut zone).as_slice(),
            [Err(DkimFailure::BodyHashMismatch { .. })]
        ));
    }
}

#[test]
fn bare_lf_messages_sign_and_verify_like_crlf() {
    let lf = MESSAGE.replace("\r\n", "\n");
    for key in keys() {
        let mut zone = zone_for(&key);
        for c in ALL_CANONICALIZATIONS {
            let p = params(key.clone(), c);
            assert_eq!(outcomes(&signed(&lf, &p), &mut zone), [Ok(())]);
            // A signature made over CRLF still holds once the lines are converted.
            let crlf_field = sign(MESSAGE.as_bytes(), &p).expect("signs");
            assert_eq!(outcomes(&format!("{crlf_field}{lf}"), &mut zone), [Ok(())], "{c}");
        }
    }
}

#[test]
fn instances_are_picked_bottom_up_and_over_signing_protects() {
    let message = "X-Tag: top\r\nFrom: a@example.com\r\nX-Tag: bottom\r\n\r\nbody\r\n";
    let key = SigningKey::ed25519_from_seed([1; 32]);
    let mut zone = zone_for(&key);
    let p =
        SignParams { headers: vec!["from".into(), "x-tag".into()], ..params(key, Canonicalization::RELAXED) };
    let once = signed(message, &p);
    // Only the bottom X-Tag is signed (RFC 6376 §5.4.2), so the top one may change...
    assert_eq!(outcomes(&once.replace("X-Tag: top", "X-Tag: changed"), &mut zone), [Ok(())]);
    // ...but not the bottom one.
    assert_eq!(
        outcomes(&once.replace("X-Tag: bottom", "X-Tag: changed"), &mut zone),
        [Err(DkimFailure::SignatureMismatch)]
    );
    // Listing x-tag three times signs "no third instance": adding one breaks the signature.
    let p = SignParams { headers: vec!["from".into(), "x-tag".into(), "x-tag".into(), "x-tag".into()], ..p };
    let oversigned = signed(message, &p);
    assert_eq!(outcomes(&oversigned, &mut zone), [Ok(())]);
    let with_third = oversigned.replace("X-Tag: top\r\n", "X-Tag: top\r\nX-Tag: added\r\n");
    assert_eq!(outcomes(&with_third, &mut zone), [Err(DkimFailure::SignatureMismatch)]);
}

#[test]
fn body_length_limits_what_is_signed() {
    let key = SigningKey::ed25519_from_seed([2; 32]);
    let mut zone = zone_for(&key);
    let p = SignParams { body_length: BodyLength::WholeBody, ..params(key, Canonicalization::RELAXED) };
    let whole = signed(MESSAGE, &p);
    assert!(whole.contains("l=27;"), "{whole}");
    // Content appended after l= still passes: the §8.2 attack, shown in the trace.
    let appended = format!("{whole}Click here: http://evil.example/\r\n");
    let verdicts = verify(appended.as_bytes(), &mut zone);
    assert_eq!(verdicts.first().map(DkimVerdict::passed), Some(true));
    assert!(
        verdicts
            .iter()
            .flat_map(|v| &v.trace)
            .any(|row| row.label == "l=27" && row.text.contains("NOT covered"))
    );
    // A body cut short fails.
    let truncated = whole.replace("\r\nAlice\r\n", "\r\n");
    assert_eq!(
        outcomes(&truncated, &mut zone),
        [Err(DkimFailure::BodyShorterThanLength { length: 27, body: 18 })]
    );
    // A huge l= (76 digits) is just longer than any body.
    let huge = whole.replace("l=27;", &format!("l={};", "9".repeat(76)));
    assert!(matches!(
        outcomes(&huge, &mut zone).as_slice(),
        [Err(DkimFailure::BodyShorterThanLength { length: u64::MAX, .. })]
    ));
}

#[test]
fn dns_answers_map_to_results() {
    let key = SigningKey::ed25519_from_seed([3; 32]);
    let message = signed(MESSAGE, &params(key.clone(), Canonicalization::RELAXED));
    let result_with = |zone: &mut Zone| verify(message.as_bytes(), zone).first().map(DkimVerdict::result);
    let name = "sel._domainkey.example.com";

    assert_eq!(result_with(&mut Zone::new()), Some(DkimResult::PermError), "NXDOMAIN");
    let mut zone = Zone::new();
    zone.add_timeout(name, None);
    assert_eq!(result_with(&mut zone), Some(DkimResult::TempError));
    let mut zone = Zone::new();
    zone.add(name, Record::A(std::net::Ipv4Addr::LOCALHOST));
    assert_eq!(result_with(&mut zone), Some(DkimResult::PermError), "no TXT");
    let mut zone = Zone::new();
    zone.add(name, Record::Txt(vec!["v=DKIM1; k=ed25519; p=".into()]));
    let verdicts = verify(message.as_bytes(), &mut zone);
    assert_eq!(verdicts.first().map(|v| v.outcome.clone()), Some(Err(DkimFailure::KeyRevoked)));
    assert_eq!(verdicts.first().map(DkimVerdict::result), Some(DkimResult::Fail));
    let mut zone = Zone::new();
    zone.add(name, Record::Txt(vec!["v=DKIM1; k=rsa; p=".into(), "AAAA".into()]));
    assert_eq!(result_with(&mut zone), Some(DkimResult::PermError), "k= does not match a=");
    // A wrong key: the signature does not verify.
    let mut zone = zone_for(&SigningKey::ed25519_from_seed([4; 32]));
    assert_eq!(result_with(&mut zone), Some(DkimResult::Fail));
    // Garbage and SPF-like records next to the key are skipped.
    let mut zone = Zone::new();
    zone.add(name, Record::Txt(vec!["v=spf1 -all".into()]));
    zone.add(name, key.public_key_txt());
    assert_eq!(result_with(&mut zone), Some(DkimResult::Pass));
}

#[test]
fn expiry_needs_a_clock() {
    let key = SigningKey::ed25519_from_seed([5; 32]);
    let mut zone = zone_for(&key);
    let p = SignParams { expiration: Some(1_764_040_000), ..params(key, Canonicalization::RELAXED) };
    let message = signed(MESSAGE, &p);
    assert_eq!(outcomes(&message, &mut zone), [Ok(())]);
    let at = |now| verify_at(message.as_bytes(), &mut zone_for(&p.key), now).into_iter().map(|v| v.outcome);
    assert_eq!(at(1_764_039_999).collect::<Vec<_>>(), [Ok(())]);
    assert_eq!(
        at(1_764_040_001).collect::<Vec<_>>(),
        [Err(DkimFailure::Expired { expiration: 1_764_040_000, now: 1_764_040_001 })]
    );
}

#[test]
fn unsigned_messages_have_no_verdicts() {
    assert!(verify(MESSAGE.as_bytes(), &mut Zone::new()).is_empty());
    assert!(verify(b"", &mut Zone::new()).is_empty());
}

#[test]
fn hostile_signatures_give_neutral_verdicts() {
    let key = SigningKey::ed25519_from_seed([6; 32]);
    let mut zone = zone_for(&key);
    let good = signed(MESSAGE, &params(key, Canonicalization::RELAXED));
    let field_end = good.find("\r\nReceived:").unwrap_or_default();
    let (field, rest) = good.split_at(field_end + 2);
    for (name, broken) in [
        ("bad base64 in b=", field.replacen("b=", "b=*", 1).replace("bh=*", "bh=")),
        ("no d=", field.replace("d=example.com;", "")),
        ("duplicate tag", field.replace("v=1;", "v=1; v=1;")),
        ("version 2", field.replace("v=1;", "v=2;")),
        ("rsa-sha1", field.replace("a=ed25519-sha256", "a=rsa-sha1")),
        ("empty", "DKIM-Signature:\r\n".to_owned()),
        ("no tag list", "DKIM-Signature: hello world\r\n".to_owned()),
        ("only semicolons", "DKIM-Signature: ;;;\r\n".to_owned()),
        ("control character", "DKIM-Signature: v=1; a=\u{7}\r\n".to_owned()),
        ("h= without From", field.replace("h=from : ", "h=").replace(" : from;", ";")),
        ("t= overflow", field.replace("t=1764037410", &format!("t={}", "9".repeat(30)))),
    ] {
        let message = format!("{broken}{rest}");
        let verdicts = verify(message.as_bytes(), &mut zone);
        assert_eq!(verdicts.len(), 1, "{name}");
        assert_eq!(
            verdicts.first().map(DkimVerdict::result),
            Some(DkimResult::Neutral),
            "{name}: {verdicts:#?}"
        );
    }
}

#[test]
fn unparseable_and_binary_messages() {
    // A non-UTF-8 header field: one neutral verdict saying why.
    let verdicts = verify(b"DKIM-Signature: v=1\r\nSubject: \xff\r\n\r\n", &mut Zone::new());
    assert!(matches!(verdicts.as_slice(), [DkimVerdict { outcome: Err(DkimFailure::Message(_)), .. }]));
    assert_eq!(verdicts.first().map(DkimVerdict::result), Some(DkimResult::Neutral));
    // ...but an unparseable message that never mentions DKIM-Signature is simply unsigned.
    assert!(verify(b"Subject: \xff\r\n\r\n", &mut Zone::new()).is_empty());
    // A binary body is fine.
    let key = SigningKey::ed25519_from_seed([8; 32]);
    let mut zone = zone_for(&key);
    let mut message = MESSAGE.as_bytes().to_vec();
    message.extend_from_slice(b"\x00\xff\xfe\r\n \t\r\n");
    for c in ALL_CANONICALIZATIONS {
        let field = sign(&message, &params(key.clone(), c)).expect("signs");
        let mut full = field.as_bytes().to_vec();
        full.extend_from_slice(&message);
        let verdicts = verify(&full, &mut zone);
        assert_eq!(verdicts.first().map(DkimVerdict::passed), Some(true), "{c}");
    }
}

#[test]
fn verdict_reports_for_results_header() {
    let key = SigningKey::ed25519_from_seed([9; 32]);
    let message = signed(MESSAGE, &params(key, Canonicalization::RELAXED)).replace("noon.", "midnight.");
    let verdicts = verify(message.as_bytes(), &mut zone_for(&SigningKey::ed25519_from_seed([9; 32])));
    let entry = verdicts.first().map(DkimVerdict::auth_results_entry).unwrap_or_default();
    assert!(
        entry.starts_with("dkim=fail (body hash did not verify) header.d=example.com header.s=sel header.a=ed25519-sha256 header.b="),
        "{entry}"
    );
}

#[test]
fn keys_load_from_der_and_reject_garbage() {
    use base64::Engine;
    let body: String = RFC8463_RSA_PEM.lines().filter(|line| !line.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).expect("base64");
    assert_eq!(SigningKey::rsa_from_der(&der).ok(), SigningKey::rsa_from_pem(RFC8463_RSA_PEM).ok());
    assert!(SigningKey::rsa_from_der(b"\x30\x03\x02\x01\x00").is_err());
    assert!(
        SigningKey::rsa_from_pem("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----")
            .is_err()
    );
    assert!(SigningKey::rsa_from_pem("").is_err());
    assert_eq!(
        format!("{:?}", SigningKey::rsa_from_der(&der).map_err(|e| e.to_string())),
        "Ok(SigningKey::Rsa(1024 bits))"
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any bytes after a DKIM-Signature field name: a verdict, never a panic.
        #[test]
        fn arbitrary_signature_values_never_panic(value in "[ -~\t]{0,200}", body in proptest::collection::vec(any::<u8>(), 0..100)) {
            let mut message = format!("DKIM-Signature:{value}\r\nFrom: a@example.com\r\n\r\n").into_bytes();
            message.extend_from_slice(&body);
            let verdicts = verify(&message, &mut Zone::new());
            prop_assert!(verdicts.len() <= 1);
        }

        /// Tag-list-shaped values with the tags a verifier reads.
        #[test]
        fn tag_soup_never_panics(tags in proptest::collection::vec(("(v|a|b|bh|c|d|h|i|l|q|s|t|x|z)", "[ -:<-~]{0,30}"), 0..14)) {
            let value: Vec<String> = tags.iter().map(|(n, v)| format!("{n}={v}")).collect();
            let message = format!("DKIM-Signature: {}\r\nFrom: a@example.com\r\n\r\nbody\r\n", value.join("; "));
            let _ = verify(message.as_bytes(), &mut Zone::new());
        }

        /// Changing any byte of a signed message gives a verdict, never a panic. (Some changes
        /// rightly still pass: the unsigned Received field, the folding inside b=.)
        #[test]
        fn mutated_signed_messages_never_panic(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let key = SigningKey::ed25519_from_seed([10; 32]);
            let mut message = signed(MESSAGE, &params(key.clone(), Canonicalization::SIMPLE)).into_bytes();
            let i = index.index(message.len());
            if let Some(slot) = message.get_mut(i) {
                *slot = byte;
            }
            prop_assert!(verify(&message, &mut zone_for(&key)).len() <= 1);
        }
    }
}

#[test]
fn bytes_are_shown_with_their_line_ends_visible() {
    assert_eq!(super::shown_bytes(b"a\tb\r\n\x01"), "a\\tb\\r\\n\\u{1}");
    assert_eq!(super::shown_lines(b"Hi\r\nthere\r\n"), "Hi\\r\\n\nthere\\r\\n");
    assert_eq!(super::shown_lines(b"no end"), "no end");
    assert_eq!(super::shown_lines(b""), "");
}
