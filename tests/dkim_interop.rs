//! DKIM against dkimpy, software we did not write: our signatures verify with dkimpy, and
//! dkimpy's signatures verify with us, for both algorithms and every canonicalization; a
//! message changed in transit fails on both sides. So do the messages the simulated world
//! signs in the lessons, as the recipient's mailbox holds them.
//!
//! dkimpy (with PyNaCl for Ed25519) lives in `.venv`, made by `scripts/setup.sh test`; the
//! peer script is `tests/interop/dkim_peer.py`.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use smtp_playground::dns::{RecordType, Resolver, Zone};
use smtp_playground::mailauth::dkim::{
    BodyLength, Canon, Canonicalization, DkimResult, SignParams, SigningKey, sign, verify,
};
use smtp_playground::scenario::{self, lessons};

const RSA_PKCS1: &str = include_str!("interop/dkim/rsa2048.pem");
const RSA_PKCS8: &str = include_str!("interop/dkim/rsa2048-pkcs8.pem");
const ED25519_SEED: &str = include_str!("interop/dkim/ed25519.seed");
const DOMAIN: &str = "example.org";
const SELECTOR: &str = "lab2026";

/// Messages with what canonicalization has to deal with: folded and re-spaced header fields,
/// white space at line ends, empty lines at the end, UTF-8, and bare LF line ends.
const MESSAGES: [&str; 2] = [
    "Received: from client.example.org (client.example.org [192.0.2.7])\r\n\
     \tby mail.example.org with ESMTPSA; Tue, 25 Nov 2026 02:23:30 +0000\r\n\
     From: Alice Example <alice@example.org>\r\n\
     To: Bob <bob@example.net>,\r\n  Carol <carol@example.net>\r\n\
     Subject:   Quarterly  report\t \r\n\
     Date: Tue, 25 Nov 2026 02:23:00 +0000\r\n\
     Message-ID: <report.42@example.org>\r\n\
     MIME-Version: 1.0\r\n\
     Content-Type: text/plain; charset=utf-8\r\n\
     \r\n\
     Hello Bob,  \r\n\
     \tthe numbers  are  in.\r\n\
     Grüße, Alice\r\n\
     \r\n\
     \r\n",
    "From: alice@example.org\nTo: bob@example.net\nSubject: bare LF\n\nline one\nline two  \n\n",
];

fn python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `scripts/setup.sh test` to create .venv with dkimpy and PyNaCl \
         (tests/interop/requirements.txt)",
        python.display()
    );
    python
}

/// Runs `tests/interop/dkim_peer.py` with `args`, `input` on stdin; returns stdout.
fn peer(args: &[&str], input: &[u8]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/dkim_peer.py");
    let mut child = Command::new(python())
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("python runs");
    writer.join().expect("writer thread").expect("stdin written");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "dkim_peer.py {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if stdout.trim() == "fail" {
        // dkimpy's reasons help when a pass was expected.
        eprintln!("dkimpy said fail:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    stdout
}

fn dkimpy_verify(message: &[u8], key: &SigningKey) -> String {
    peer(&["verify", SELECTOR, DOMAIN, &key.public_key_record()], message).trim().to_owned()
}

fn keys() -> Vec<(SigningKey, &'static str)> {
    vec![
        (SigningKey::rsa_from_pem(RSA_PKCS8).expect("PKCS#8 key"), "interop/dkim/rsa2048.pem"),
        (SigningKey::ed25519_from_base64(ED25519_SEED).expect("Ed25519 seed"), "interop/dkim/ed25519.seed"),
    ]
}

fn canonicalizations() -> Vec<Canonicalization> {
    let both = [Canon::Simple, Canon::Relaxed];
    both.iter().flat_map(|&header| both.iter().map(move |&body| Canonicalization { header, body })).collect()
}

/// The changes a message may suffer in transit, each of which must break a signature made
/// with any canonicalization: a body edit and a header edit.
fn tampered(message: &str) -> [String; 2] {
    let body_start = message.find("\r\n\r\n").or_else(|| message.find("\n\n")).unwrap_or(0);
    let (head, body) = message.split_at(body_start);
    [
        format!("{head}{}", body.replacen("line", "LINE", 1).replacen("numbers", "figures", 1)),
        message.replacen("bob@", "eve@", 1),
    ]
}

fn with_field(field: &str, message: &str) -> Vec<u8> {
    format!("{field}{message}").into_bytes()
}

#[test]
fn our_signatures_verify_with_dkimpy() {
    let pkcs1 = SigningKey::rsa_from_pem(RSA_PKCS1).expect("PKCS#1 key");
    assert_eq!(Some(&pkcs1), keys().first().map(|(key, _)| key), "PKCS#1 and PKCS#8 give one key");
    for (key, _) in keys() {
        for c in canonicalizations() {
            for (i, message) in MESSAGES.iter().enumerate() {
                let mut params = SignParams::new(key.clone(), DOMAIN, SELECTOR, 1_764_037_410);
                params.canonicalization = c;
                let field = sign(message.as_bytes(), &params).expect("signs");
                let case = format!("{} {c} message {i}", key.algorithm());
                assert_eq!(dkimpy_verify(&with_field(field.as_str(), message), &key), "pass", "{case}");
                for changed in tampered(message) {
                    assert_eq!(dkimpy_verify(&with_field(field.as_str(), &changed), &key), "fail", "{case}");
                }
            }
        }
    }
}

#[test]
fn our_body_length_and_identity_tags_verify_with_dkimpy() {
    for (key, _) in keys() {
        let mut params = SignParams::new(key.clone(), DOMAIN, SELECTOR, 1_764_037_410);
        params.body_length = BodyLength::WholeBody;
        params.identity = Some("alice@mail.example.org".into());
        params.expiration = Some(4_102_444_800);
        params.query_method = true;
        let message = MESSAGES.first().copied().unwrap_or_default();
        let field = sign(message.as_bytes(), &params).expect("signs");
        assert!(field.as_str().contains(" l="), "{field}");
        assert_eq!(dkimpy_verify(&with_field(field.as_str(), message), &key), "pass", "{}", key.algorithm());
    }
}

#[test]
fn dkimpy_signatures_verify_with_ours() {
    for (key, key_file) in keys() {
        let key_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(key_file);
        let mut zone = Zone::new();
        zone.add(&format!("{SELECTOR}._domainkey.{DOMAIN}"), key.public_key_txt());
        for c in canonicalizations() {
            for (i, message) in MESSAGES.iter().enumerate() {
                let case = format!("{} {c} message {i}", key.algorithm());
                let args = [
                    "sign",
                    key.algorithm().as_str(),
                    &c.to_string(),
                    SELECTOR,
                    DOMAIN,
                    key_path.to_str().expect("UTF-8 path"),
                ];
                let field = peer(&args, message.as_bytes());
                assert!(field.starts_with("DKIM-Signature:"), "{case}: {field}");
                let verdicts = verify(&with_field(&field, message), &mut zone);
                assert_eq!(verdicts.len(), 1, "{case}");
                let verdict = verdicts.first().expect("one verdict");
                assert_eq!(
                    verdict.result(),
                    DkimResult::Pass,
                    "{case}:\n{}",
                    verdict.trace.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
                );
                for changed in tampered(message) {
                    let verdicts = verify(&with_field(&field, &changed), &mut zone);
                    assert!(verdicts.iter().all(|v| v.result() == DkimResult::Fail), "{case}: {verdicts:#?}");
                }
            }
        }
    }
}

/// The lessons' signatures, made by the simulated smtp.example.com: the message in Bob's
/// mailbox at the end of `dkim-pass` verifies with dkimpy, trace fields the MX added above
/// the signature and all (h= does not list them); the copy a mailing list gave a footer in
/// `dkim-body-changed` fails with dkimpy as it does with us.
#[test]
fn lesson_signatures_verify_with_dkimpy() {
    for (id, mailbox, want) in
        [("dkim-pass", "bob@example.net", "pass"), ("dkim-body-changed", "bob@example.net/Junk", "fail")]
    {
        let lesson = lessons::get(id).expect("lesson exists");
        let scenario = scenario::parse(lesson.source).expect("parses");
        let signing =
            scenario.world.hosts.iter().find_map(|h| h.auth.dkim_sign.clone()).expect("a host signs");
        let query = format!("{}._domainkey.{}", signing.selector, signing.domain);
        let record = scenario
            .world
            .zone
            .clone()
            .resolve(&query, RecordType::Txt)
            .ok()
            .and_then(|records| records.first().and_then(|r| r.txt_joined()))
            .expect("the lesson publishes the key");
        let timeline = scenario.run();
        let message = Some(timeline.final_snapshot())
            .as_ref()
            .and_then(|s| s.mailboxes.get("mx.example.net"))
            .and_then(|boxes| boxes.get(mailbox))
            .and_then(|messages| messages.first())
            .map(|m| m.data.to_string())
            .expect("a delivered message");
        assert!(message.contains("DKIM-Signature: v=1; a=ed25519-sha256"), "{id}: {message}");
        let got = peer(&["verify", &signing.selector, &signing.domain, &record], message.as_bytes());
        assert_eq!(got.trim(), want, "{id}");
    }
}
