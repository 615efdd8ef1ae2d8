//! The RFCs' own examples as known-answer tests: RFC 8463 Appendix A (both signatures verify,
//! and signing reproduces them), RFC 6376 §3.4.5 (canonicalization) and RFC 6376 Appendix A
//! (whose published signature is broken; see below).

use super::*;
use crate::dns::{Record, Zone};
use crate::mailauth::check::Mark;
use crate::message::Message;

/// RFC 8463 Appendix A.1, Ed25519 secret key (RFC 8032 §7.1 test 1) in base64.
pub(super) const RFC8463_ED25519_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

/// RFC 8463 Appendix A.1, RSA secret key, PKCS#1 PEM.
pub(super) const RFC8463_RSA_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXQIBAAKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi
Y/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqM
KrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB
AoGAH0cxOhFZDgzXWhDhnAJDw5s4roOXN4OhjiXa8W7Y3rhX3FJqmJSPuC8N9vQm
6SVbaLAE4SG5mLMueHlh4KXffEpuLEiNp9Ss3O4YfLiQpbRqE7Tm5SxKjvvQoZZe
zHorimOaChRL2it47iuWxzxSiRMv4c+j70GiWdxXnxe4UoECQQDzJB/0U58W7RZy
6enGVj2kWF732CoWFZWzi1FicudrBFoy63QwcowpoCazKtvZGMNlPWnC7x/6o8Gc
uSe0ga2xAkEA8C7PipPm1/1fTRQvj1o/dDmZp243044ZNyxjg+/OPN0oWCbXIGxy
WvmZbXriOWoSALJTjExEgraHEgnXssuk7QJBALl5ICsYMu6hMxO73gnfNayNgPxd
WFV6Z7ULnKyV7HSVYF0hgYOHjeYe9gaMtiJYoo0zGN+L3AAtNP9huqkWlzECQE1a
licIeVlo1e+qJ6Mgqr0Q7Aa7falZ448ccbSFYEPD6oFxiOl9Y9se9iYHZKKfIcst
o7DUw1/hz2Ck4N5JrgUCQQCyKveNvjzkkd8HjYs0SwM0fPjK16//5qDZ2UiDGnOe
uEzxBDAr518Z8VFbR41in3W4Y3yCDgQlLlcETrS+zYcL
-----END RSA PRIVATE KEY-----";

/// The same RSA key as PKCS#8 (`openssl pkcs8 -topk8 -nocrypt`).
const RFC8463_RSA_PKCS8_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAOQeU5CgFPNZGIaz
lXo2k/eJ1jpaTTxrmqF1HrDLlt04pvaMtCJj8nXoliLRC/H9vJjMI1vdb3XLcW60
AIN/PBD8EL97/y4GwJH7LPUvGP48vqUe+owqszesbiGy1PlCO8c70/OjFnJVgvMF
87YR4Lcincb7aSvI5MgpP6X8rjDdAgMBAAECgYAfRzE6EVkODNdaEOGcAkPDmziu
g5c3g6GOJdrxbtjeuFfcUmqYlI+4Lw329CbpJVtosAThIbmYsy54eWHgpd98Sm4s
SI2n1Kzc7hh8uJCltGoTtOblLEqO+9Chll7MeiuKY5oKFEvaK3juK5bHPFKJEy/h
z6PvQaJZ3FefF7hSgQJBAPMkH/RTnxbtFnLp6cZWPaRYXvfYKhYVlbOLUWJy52sE
WjLrdDByjCmgJrMq29kYw2U9acLvH/qjwZy5J7SBrbECQQDwLs+Kk+bX/V9NFC+P
Wj90OZmnbjfTjhk3LGOD78483ShYJtcgbHJa+ZlteuI5ahIAslOMTESCtocSCdey
y6TtAkEAuXkgKxgy7qEzE7veCd81rI2A/F1YVXpntQucrJXsdJVgXSGBg4eN5h72
Boy2IliijTMY34vcAC00/2G6qRaXMQJATVqWJwh5WWjV76onoyCqvRDsBrt9qVnj
jxxxtIVgQ8PqgXGI6X1j2x72Jgdkop8hyy2jsNTDX+HPYKTg3kmuBQJBALIq942+
POSR3weNizRLAzR8+MrXr//moNnZSIMac564TPEEMCvnXxnxUVtHjWKfdbhjfIIO
BCUuVwROtL7Nhws=
-----END PRIVATE KEY-----";

/// RFC 8463 Appendix A.2: the two key records.
const BRISBANE_RECORD: &str = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const TEST_RECORD_STRINGS: [&str; 4] = [
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR",
    "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC",
    "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3",
    "Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
];

/// RFC 8463 Appendix A.3: the two DKIM-Signature fields, then the message. "The text in each
/// line of the message starts at the first position except for the continuation lines on
/// the DKIM-Signature header fields, which start with a single space. A blank line follows
/// the 'Joe.' line."
const ED25519_SIGNATURE: &str = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r
 d=football.example.com; i=@football.example.com;\r
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r
 subject : date : message-id : from : subject : date;\r
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n";
const RSA_SIGNATURE: &str = "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r
 d=football.example.com; i=@football.example.com;\r
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r
 date : message-id : from : subject : date;\r
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n";
const MESSAGE: &str = "From: Joe SixPack <joe@football.example.com>\r
To: Suzie Q <suzie@shopping.example.net>\r
Subject: Is dinner ready?\r
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r
Message-ID: <20030712040037.46341.5F8J@football.example.com>\r
\r
Hi.\r
\r
We lost the game.  Are you hungry yet?\r
\r
Joe.\r
\r\n";

fn rfc8463_zone() -> Zone {
    let mut zone = Zone::new();
    zone.add("brisbane._domainkey.football.example.com", Record::Txt(vec![BRISBANE_RECORD.into()]));
    let strings = TEST_RECORD_STRINGS.iter().map(|&s| s.to_owned()).collect();
    zone.add("test._domainkey.football.example.com", Record::Txt(strings));
    zone
}

fn rfc8463_message() -> String {
    format!("{ED25519_SIGNATURE}{RSA_SIGNATURE}{MESSAGE}")
}

/// The RFC's parameters: dkimpy's tag layout with i= and q=, over-signed From/Subject/Date.
fn rfc8463_params(key: SigningKey, selector: &str) -> SignParams {
    let headers = ["from", "to", "subject", "date", "message-id", "from", "subject", "date"];
    SignParams {
        identity: Some("@football.example.com".into()),
        query_method: true,
        headers: headers.iter().map(|&h| h.to_owned()).collect(),
        ..SignParams::new(key, "football.example.com", selector, 1_528_637_909)
    }
}

/// `b=` of a field, FWS removed.
fn b_tag(field: &str) -> String {
    let value = field.split_once(':').map_or("", |(_, v)| v);
    let tags = tag_list::tag_list(value).expect("a tag list");
    tag_list::without_fws(tag_list::get(&tags, "b").unwrap_or_default())
}

#[test]
fn rfc8463_both_signatures_verify() {
    let verdicts = verify(rfc8463_message().as_bytes(), &mut rfc8463_zone());
    assert_eq!(verdicts.len(), 2);
    for verdict in &verdicts {
        assert_eq!(verdict.outcome, Ok(()), "{:#?}", verdict.trace);
    }
    let first = verdicts.first().expect("two verdicts");
    assert_eq!(
        first.auth_results_entry(),
        "dkim=pass header.d=football.example.com header.s=brisbane header.a=ed25519-sha256 header.b=/gCrinpc"
    );
    // The trace shows the learner the canonical lines, and that From was over-signed.
    let row = |label: &'static str| first.trace.iter().filter(move |row| row.label == label);
    assert!(row("from").any(|r| {
        r.values.first().is_some_and(|v| v.value == r"from:Joe SixPack <joe@football.example.com>\r\n")
    }));
    assert!(row("from").any(|r| r.text.starts_with("no instance left") && r.values.is_empty()));
    // The body hash, computed and claimed side by side.
    let body_hash = row("body hash").next().expect("a body hash row");
    let values: Vec<&str> = body_hash.values.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(
        values,
        ["2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="]
    );
    assert_eq!(body_hash.mark, Some(Mark::Match));
}

#[test]
fn rfc8463_signing_reproduces_both_signatures() {
    let ed25519 = SigningKey::ed25519_from_base64(RFC8463_ED25519_SEED).expect("seed");
    let field = sign(MESSAGE.as_bytes(), &rfc8463_params(ed25519.clone(), "brisbane")).expect("signs");
    assert_eq!(b_tag(field.as_str()), b_tag(ED25519_SIGNATURE));
    assert_eq!(ed25519.public_key_record(), BRISBANE_RECORD);

    for pem in [RFC8463_RSA_PEM, RFC8463_RSA_PKCS8_PEM] {
        let rsa = SigningKey::rsa_from_pem(pem).expect("RSA key");
        let field = sign(MESSAGE.as_bytes(), &rfc8463_params(rsa.clone(), "test")).expect("signs");
        assert_eq!(b_tag(field.as_str()), b_tag(RSA_SIGNATURE));
        assert_eq!(rsa.public_key_record(), TEST_RECORD_STRINGS.concat());
    }
}

#[test]
fn rfc8463_message_changed_in_transit_fails() {
    let changed = rfc8463_message().replace("Are you hungry yet?", "Are you hungry now?");
    let verdicts = verify(changed.as_bytes(), &mut rfc8463_zone());
    assert!(verdicts.iter().all(|v| matches!(v.outcome, Err(DkimFailure::BodyHashMismatch { .. }))));
    let changed = rfc8463_message().replace("Subject: Is dinner ready?", "Subject: Is lunch ready?");
    let verdicts = verify(changed.as_bytes(), &mut rfc8463_zone());
    assert!(verdicts.iter().all(|v| v.outcome == Err(DkimFailure::SignatureMismatch)));
    // Over-signing at work: a second From added above breaks both signatures.
    let added = format!("{ED25519_SIGNATURE}{RSA_SIGNATURE}From: mallory@example.org\r\n{MESSAGE}");
    let verdicts = verify(added.as_bytes(), &mut rfc8463_zone());
    assert!(verdicts.iter().all(|v| v.result() == DkimResult::Fail));
}

/// RFC 6376 §3.4.5, the three canonicalization examples.
#[test]
fn rfc6376_canonicalization_examples() {
    let message =
        Message::parse(b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n").expect("parses");
    let header = |c: Canon| -> Vec<u8> {
        let mut out = Vec::new();
        for field in message.fields() {
            let (name, _) = field.as_str().split_once(':').unwrap_or_default();
            out.extend(canon::header_field(name, field.raw_value(), c));
            out.extend_from_slice(b"\r\n");
        }
        out
    };
    // Example 1: relaxed/relaxed.
    assert_eq!(header(Canon::Relaxed), b"a:X\r\nb:Y Z\r\n");
    assert_eq!(canon::body(message.body(), Canon::Relaxed), b" C\r\nD E\r\n");
    // Example 2: simple/simple.
    assert_eq!(header(Canon::Simple), b"A: X\r\nB : Y\t\r\n\tZ  \r\n");
    assert_eq!(canon::body(message.body(), Canon::Simple), b" C \r\nD \t E\r\n");
    // Example 3 pairs the relaxed header with the simple body: both already checked.
}

/// RFC 6376 Appendix A.2's signature cannot verify with any implementation, and this test
/// pins down why, so that the lab can show it:
///
/// - its `bh=2jUSOH9N…` is the body hash under *relaxed* body canonicalization (the same
///   value RFC 8463 shows for this body), while the signature says `c=simple/simple`; the
///   simple body hash is `4bLNXImK…` (the body has "game.  Are" with two spaces);
/// - its `b=` does not verify against the Appendix C key either, under simple or relaxed
///   header canonicalization; Appendix C itself only says the key is "similar to this" and
///   publishes it under example.org while `d=example.com`.
///
/// dkimpy 1.1.8 agrees: "body hash mismatch (got 4bLNXImK…, expected 2jUSOH9N…)".
#[test]
fn rfc6376_appendix_a_signature_is_known_broken() {
    let message = "DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;\r
     c=simple/simple; q=dns/txt; i=joe@football.example.com;\r
     h=Received : From : To : Subject : Date : Message-ID;\r
     bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r
     b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r
     4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r
     KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r
     4bmp/YzhwvcubU4=;\r
Received: from client1.football.example.com  [192.0.2.1]\r
     by submitserver.example.com with SUBMISSION;\r
     Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r
From: Joe SixPack <joe@football.example.com>\r
To: Suzie Q <suzie@shopping.example.net>\r
Subject: Is dinner ready?\r
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r
Message-ID: <20030712040037.46341.5F8J@football.example.com>\r
\r
Hi.\r
\r
We lost the game.  Are you hungry yet?\r
\r
Joe.\r\n";
    let mut zone = Zone::new();
    let appendix_c = "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";
    zone.add("brisbane._domainkey.example.com", Record::Txt(vec![appendix_c.into()]));
    let verdicts = verify(message.as_bytes(), &mut zone);
    let outcome = verdicts.first().map(|v| v.outcome.clone());
    assert_eq!(
        outcome,
        Some(Err(DkimFailure::BodyHashMismatch {
            computed: "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=".into(),
            claimed: "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=".into(),
        }))
    );
    // With the body hash corrected to the simple one, the header signature still fails.
    let fixed = message.replace(
        "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
        "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=",
    );
    let verdicts = verify(fixed.as_bytes(), &mut zone);
    assert_eq!(verdicts.first().map(|v| v.outcome.clone()), Some(Err(DkimFailure::SignatureMismatch)));
}
