//! Interoperability with real SMTP software we did not write, over loopback TCP:
//!
//! - Python's `smtplib` → `smtp-playground serve` (tests/interop/smtplib_client.py);
//! - `swaks` → `serve`: pipelining, STARTTLS + AUTH, dot-stuffed bodies;
//! - `smtp-playground send` → Python's `aiosmtpd` (tests/interop/aiosmtpd_peer.py), with
//!   STARTTLS, AUTH and SMTPUTF8, the message compared byte for byte;
//! - the SMTP smuggling sequences of SEC Consult's research, from a raw socket, to `serve`.
//!
//! The server runs `tests/interop/serve.toml`: mx.example.net with every extension, real
//! STARTTLS with a certificate made at start-up, AUTH only under TLS, SIZE 20000. The peers
//! come from `scripts/setup.sh test` (.venv for the Python ones, Debian's swaks).
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/peers.rs"]
mod peers;
#[path = "support/serve.rs"]
mod serve;
#[path = "support/temp_dir.rs"]
mod temp_dir;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use peers::{Aiosmtpd, python, root};
use serve::{BIN, Serve, swaks, without_trace};

const PASSWORD: &str = "correct horse battery staple";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---------------------------------------------------------------------------------------
// Python smtplib → serve

fn smtplib(server: &Serve, case: &str) -> serde_json::Value {
    let output = Command::new(python())
        .arg(root().join("tests/interop/smtplib_client.py"))
        .args([&server.addr, &server.cert().display().to_string(), case])
        .output()
        .expect("run smtplib_client.py");
    assert!(output.status.success(), "smtplib_client.py {case} failed:\n{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("smtplib_client.py {case} printed no JSON ({e}): {}", text(&output.stdout))
    })
}

#[test]
fn smtplib_sendmail_with_one_recipient_rejected() {
    let server = Serve::start("sendmail");
    let result = smtplib(&server, "several-recipients");
    let refused = &result["refused"];
    assert_eq!(refused.as_object().map(|o| o.len()), Some(1), "{result}");
    assert_eq!(refused["nobody@example.net"][0], 550, "{result}");
    assert!(refused["nobody@example.net"][1].as_str().is_some_and(|t| t.starts_with("5.1.1")), "{result}");
    for extension in ["pipelining", "size", "starttls", "8bitmime", "smtputf8", "dsn", "enhancedstatuscodes"]
    {
        assert!(
            result["esmtp_features"].as_array().is_some_and(|f| f.iter().any(|e| e == extension)),
            "{result}"
        );
    }
    let boxes = server.mailboxes();
    for mailbox in ["bob@example.net", "carol@example.net"] {
        let messages = boxes.get(mailbox).unwrap_or_else(|| panic!("nothing for {mailbox}: {boxes:?}"));
        assert_eq!(messages.len(), 1);
        let data = without_trace(&messages[0]);
        assert!(data.starts_with(
            b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: several recipients\r\n"
        ));
        assert!(data.ends_with(b"\r\n\r\nHello from smtplib.\r\n"), "{}", text(data));
        assert!(
            messages[0].starts_with(b"Return-Path: <alice@example.com>\r\nReceived: from client.example.com")
        );
    }
    assert!(!boxes.contains_key("nobody@example.net"));
    let (status, log) = server.stop();
    assert!(status.success(), "serve exited with {status}:\n{log}");
    // smtplib sends its verbs in lower case ("rcpt TO:"), which RFC 5321 §2.4 allows.
    assert!(log.contains("C: rcpt TO:<nobody@example.net>") && log.contains("S: 550 5.1.1"), "{log}");
}

#[test]
fn smtplib_send_message_to_an_internationalized_address() {
    let server = Serve::start("smtputf8");
    let result = smtplib(&server, "smtputf8");
    assert_eq!(result["smtputf8"], true, "{result}");
    assert_eq!(result["refused"].as_object().map(|o| o.len()), Some(0), "{result}");
    let boxes = server.mailboxes();
    let messages = boxes.get("jürgen@xn--bcher-kva.example").unwrap_or_else(|| panic!("{boxes:?}"));
    let data = text(without_trace(&messages[0]));
    assert!(data.contains("To: Jürgen <jürgen@bücher.example>"), "{data}");
    assert!(data.contains("Subject: Grüße aus smtplib"), "UTF-8 header kept as sent (RFC 6532): {data}");
    let (status, log) = server.stop();
    assert!(status.success());
    assert!(log.contains("SMTPUTF8") && log.contains("rcpt TO:<jürgen@bücher.example>"), "{log}");
}

fn starttls_then_auth(mechanism: &str) {
    let server = Serve::start(&format!("auth-{mechanism}"));
    let result = smtplib(&server, &format!("starttls-{}", mechanism.to_lowercase()));
    assert_eq!(result["auth_offered_before_tls"], false, "AUTH is offered only under TLS: {result}");
    assert_eq!(result["starttls_code"], 220, "{result}");
    assert!(
        result["auth_after_tls"].as_str().is_some_and(|a| a.contains("PLAIN") && a.contains("LOGIN")),
        "{result}"
    );
    assert_eq!(result["auth_code"], 235, "{result}");
    assert!(result["auth_text"].as_str().is_some_and(|t| t.starts_with("2.7.0")), "{result}");
    assert_eq!(result["refused"].as_object().map(|o| o.len()), Some(0), "{result}");
    assert!(result["cipher"].as_str().is_some_and(|c| c.starts_with("TLSv1.")), "{result}");
    let boxes = server.mailboxes();
    let message = &boxes.get("bob@example.net").unwrap_or_else(|| panic!("{boxes:?}"))[0];
    assert!(
        text(message).contains("with ESMTPSA"),
        "Received: names TLS + AUTH (RFC 3848): {}",
        text(message)
    );
    let (status, log) = server.stop();
    assert!(status.success());
    assert!(log.contains("~C: AUTH") && log.contains("~S: 235"), "AUTH happened inside TLS:\n{log}");
    assert!(!log.contains(" C: AUTH"), "no AUTH in plaintext:\n{log}");
}

#[test]
fn smtplib_starttls_then_auth_plain() {
    starttls_then_auth("PLAIN");
}

#[test]
fn smtplib_starttls_then_auth_login() {
    starttls_then_auth("LOGIN");
}

#[test]
fn smtplib_cannot_log_in_before_starttls() {
    let server = Serve::start("auth-before-tls");
    let result = smtplib(&server, "auth-before-tls");
    assert_eq!(result["raised"], "SMTPNotSupportedError", "{result}");
}

#[test]
fn smtplib_message_over_the_size_limit() {
    let server = Serve::start("size");
    let declared = smtplib(&server, "size-declared");
    assert_eq!(
        declared["raised"], "SMTPSenderRefused",
        "refused at MAIL FROM … SIZE= (RFC 1870): {declared}"
    );
    assert_eq!(declared["code"], 552, "{declared}");
    let undeclared = smtplib(&server, "size-undeclared");
    // smtplib's data() returns the final reply rather than raising on it.
    assert_eq!(undeclared["raised"], serde_json::Value::Null, "refused at the end of DATA: {undeclared}");
    assert_eq!(undeclared["code"], 552, "{undeclared}");
    assert!(server.mailboxes().values().all(Vec::is_empty), "nothing delivered");
    let (status, log) = server.stop();
    assert!(status.success());
    assert!(log.contains(" size=") && log.contains("S: 552 5.3.4"), "{log}");
}

/// RFC 5321 §4.5.3.1.10: the recipients past 100 get 452 4.5.3 and smtplib goes on to send
/// the message to the first 100; the 20 refusals do not end the session with 421.
#[test]
fn smtplib_sendmail_to_more_recipients_than_the_limit() {
    let server = Serve::start("many-recipients");
    let result = smtplib(&server, "many-recipients");
    let refused = result["refused"].as_object().unwrap_or_else(|| panic!("{result}"));
    assert_eq!(refused.len(), 20, "{result}");
    for i in 100..120 {
        let entry = &refused[&format!("r{i:03}@open.example")];
        assert_eq!(entry[0], 452, "{result}");
        assert!(entry[1].as_str().is_some_and(|t| t.starts_with("4.5.3")), "{result}");
    }
    let boxes = server.mailboxes();
    for i in 0..100 {
        let mailbox = format!("r{i:03}@open.example");
        assert_eq!(boxes.get(&mailbox).map(Vec::len), Some(1), "{mailbox}: {boxes:?}");
    }
    assert!(!boxes.contains_key("r100@open.example"));
    let (status, log) = server.stop();
    assert!(status.success(), "serve exited with {status}:\n{log}");
    assert!(!log.contains("S: 421"), "{log}");
}

// ---------------------------------------------------------------------------------------
// swaks → serve

#[test]
fn swaks_pipelines_mail_rcpt_and_data() {
    let server = Serve::start("swaks-pipelining");
    let (ok, out) = swaks(
        &server,
        &[
            "--to",
            "bob@example.net,carol@example.net",
            "--pipeline",
            "--body",
            "Pipelined hello.",
            "--header",
            "Subject: pipelined",
        ],
    );
    assert!(ok, "{out}");
    // swaks shows the commands it sent in one write as consecutive `->` lines before any reply.
    let mail = out.find(" -> MAIL FROM:<alice@example.com>").unwrap_or_else(|| panic!("{out}"));
    let data = out[mail..].find(" -> DATA").map(|i| i + mail).unwrap_or_else(|| panic!("{out}"));
    assert!(
        !out[mail..data].contains("<- "),
        "no reply between MAIL and DATA, so they were pipelined:\n{out}"
    );
    let boxes = server.mailboxes();
    assert_eq!(boxes.get("bob@example.net").map(Vec::len), Some(1), "{boxes:?}");
    assert_eq!(boxes.get("carol@example.net").map(Vec::len), Some(1), "{boxes:?}");
}

#[test]
fn swaks_starttls_and_auth() {
    let server = Serve::start("swaks-auth");
    let cert = server.cert().display().to_string();
    for mechanism in ["PLAIN", "LOGIN"] {
        let (ok, out) = swaks(
            &server,
            &[
                "--to",
                "bob@example.net",
                "--tls",
                "--tls-verify",
                "--tls-ca-path",
                &cert,
                "--auth",
                mechanism,
                "--auth-user",
                "alice",
                "--auth-password",
                PASSWORD,
            ],
        );
        assert!(ok, "{mechanism}:\n{out}");
        assert!(out.contains("<~  235 2.7.0"), "{mechanism}: authenticated inside TLS:\n{out}");
    }
    let (ok, out) = swaks(
        &server,
        &[
            "--to",
            "bob@example.net",
            "--tls",
            "--tls-verify",
            "--tls-ca-path",
            &cert,
            "--auth",
            "PLAIN",
            "--auth-user",
            "alice",
            "--auth-password",
            "wrong",
        ],
    );
    assert!(!ok && out.contains("<~* 535 5.7.8"), "a wrong password is refused with 535 5.7.8:\n{out}");
    assert_eq!(server.mailboxes().get("bob@example.net").map(Vec::len), Some(2));
}

#[test]
fn swaks_body_with_lines_starting_with_dots() {
    let server = Serve::start("swaks-dots");
    let body = ".\n..\n.leading dot\n...three\nmiddle . dot\n. \nlast";
    let (ok, out) = swaks(&server, &["--to", "bob@example.net", "--body", body, "--header", "Subject: dots"]);
    assert!(ok, "{out}");
    let sent: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix(" -> ")).map(str::trim_end).collect();
    assert!(sent.contains(&"..") && sent.contains(&"....three"), "swaks dot-stuffed the lines:\n{out}");
    let boxes = server.mailboxes();
    let data = text(without_trace(&boxes["bob@example.net"][0]));
    let received_body = data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    // swaks ends every body with two empty lines of its own, as its transcript shows.
    assert_eq!(
        received_body, ".\r\n..\r\n.leading dot\r\n...three\r\nmiddle . dot\r\n. \r\nlast\r\n\r\n\r\n",
        "unstuffed exactly"
    );
}

// ---------------------------------------------------------------------------------------
// our client (`send`) → aiosmtpd

fn send(args: &[&str], message: &[u8]) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(["send", "--no-color"])
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start smtp-playground send");
    child.stdin.take().expect("stdin").write_all(message).expect("write the message");
    let output = child.wait_with_output().expect("send runs");
    (output.status.code().unwrap_or(-1), text(&output.stdout) + &text(&output.stderr))
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).expect("base64 from aiosmtpd_peer.py")
}

const MESSAGE: &[u8] = b"From: Alice <alice@example.com>\r\n\
To: Bob <bob@example.net>\r\n\
Subject: byte for byte\r\n\
Message-ID: <interop.1@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Gr\xc3\xbc\xc3\x9fe aus Rust.\r\n\
.a line that starts with a dot\r\n\
.\r\n\
..\r\n\
trailing spaces   \r\n\
\r\n\
\r\n";

#[test]
fn our_client_sends_to_aiosmtpd_over_starttls_with_auth_byte_exact() {
    let mut peer = Aiosmtpd::start();
    let ca = root().join("tests/interop/tls/ca.crt").display().to_string();
    let (code, out) = send(
        &[
            "--server",
            &peer.addr,
            "--starttls",
            "--tls-ca",
            &ca,
            "--auth",
            &format!("alice:{PASSWORD}"),
            "--helo",
            "client.example.com",
            "--from",
            "alice@example.com",
            "--to",
            "bob@example.net",
            "--to",
            "carol@example.net",
        ],
        MESSAGE,
    );
    assert_eq!(code, 0, "{out}");
    let record = peer.next_record();
    assert_eq!(record["mail_from"], "alice@example.com");
    assert_eq!(record["rcpt_tos"], serde_json::json!(["bob@example.net", "carol@example.net"]));
    assert_eq!(record["tls"], true, "{record}");
    assert_eq!(record["authenticated"], true, "{record}");
    let options: Vec<&str> =
        record["mail_options"].as_array().into_iter().flatten().filter_map(|o| o.as_str()).collect();
    assert!(options.contains(&"BODY=8BITMIME"), "8-bit body declared (RFC 6152): {options:?}");
    assert!(options.iter().any(|o| o.starts_with("SIZE=")), "{options:?}");
    assert_eq!(text(&base64_decode(record["content"].as_str().unwrap_or_default())), text(MESSAGE));
    assert!(out.contains("~C: AUTH") && out.contains("~S: 235"), "{out}");
}

#[test]
fn our_client_sends_smtputf8_to_aiosmtpd() {
    let mut peer = Aiosmtpd::start();
    let message = "From: jürgen@bücher.example\r\nTo: bob@example.net\r\nSubject: Grüße\r\n\r\nHallo.\r\n";
    let (code, out) = send(
        &["--server", &peer.addr, "--from", "jürgen@bücher.example", "--to", "bob@example.net"],
        message.as_bytes(),
    );
    assert_eq!(code, 0, "{out}");
    let record = peer.next_record();
    assert_eq!(record["smtp_utf8"], true, "MAIL FROM carried SMTPUTF8 (RFC 6531): {record}");
    assert_eq!(record["mail_from"], "jürgen@bücher.example");
    assert_eq!(text(&base64_decode(record["content"].as_str().unwrap_or_default())), message);
}

#[test]
fn our_client_reports_aiosmtpd_refusing_auth() {
    let peer = Aiosmtpd::start();
    let ca = root().join("tests/interop/tls/ca.crt").display().to_string();
    let (code, out) = send(
        &[
            "--server",
            &peer.addr,
            "--starttls",
            "--tls-ca",
            &ca,
            "--auth",
            "alice:wrong",
            "--from",
            "alice@example.com",
            "--to",
            "bob@example.net",
        ],
        MESSAGE,
    );
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("~S: 535"), "aiosmtpd's 535 is shown:\n{out}");
    assert!(
        out.contains("535 5.7.8") && !out.contains("STARTTLS, and --starttls"),
        "the error names AUTH:\n{out}"
    );
}

// ---------------------------------------------------------------------------------------
// SMTP smuggling (SEC Consult, 2023): end-of-data look-alikes must not end the message.

/// Whether `replies` ends with a final reply line (`DDD text CRLF`, RFC 5321 §4.2.1).
fn ends_with_final_reply(replies: &[u8]) -> bool {
    let Some(body) = replies.strip_suffix(b"\r\n") else { return false };
    let last = body.rsplit(|&b| b == b'\n').next().unwrap_or_default();
    last.len() >= 4 && last[..3].iter().all(u8::is_ascii_digit) && last[3] == b' '
}

/// Sends each write to `serve` and waits for its final reply; returns everything it answered.
/// Stops early when the server closes the connection.
fn raw_session(addr: &str, writes: &[&[u8]]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to serve");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let mut replies = Vec::new();
    let mut buf = [0u8; 4096];
    // Reads until what arrived since `from` ends with a final reply; false once closed.
    let mut read_reply = |stream: &mut TcpStream, replies: &mut Vec<u8>, from: usize| -> bool {
        while !ends_with_final_reply(&replies[from..]) {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return false,
                Ok(n) => replies.extend_from_slice(&buf[..n]),
            }
        }
        true
    };
    let mut open = read_reply(&mut stream, &mut replies, 0);
    for write in writes {
        if !open || stream.write_all(write).is_err() {
            break;
        }
        let from = replies.len();
        open = read_reply(&mut stream, &mut replies, from);
    }
    text(&replies)
}

#[test]
fn smuggling_sequences_never_split_a_message() {
    let server = Serve::start("smuggling");
    // The end-of-data look-alikes from "SMTP Smuggling – Spoofing E-Mails Worldwide" (Timo
    // Longin, SEC Consult, 2023) and the variants Postfix and Sendmail then fixed.
    let fakes: [&[u8]; 8] =
        [b"\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\r", b"\r\n.\n", b"\r.\n", b"\r\n\x00.\r\n", b"\n..\n"];
    for (i, fake) in fakes.iter().enumerate() {
        let mut data =
            format!("From: alice@example.com\r\nTo: bob@example.net\r\nSubject: smuggling {i}\r\n\r\nhello")
                .into_bytes();
        data.extend_from_slice(fake);
        data.extend_from_slice(
            b"MAIL FROM:<admin@example.net>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n\
              From: admin@example.net\r\nSubject: smuggled\r\n\r\nsmuggled\r\n",
        );
        data.extend_from_slice(b"\r\n.\r\n");
        let replies = raw_session(
            &server.addr,
            &[
                b"EHLO client.example.com\r\n",
                b"MAIL FROM:<alice@example.com>\r\n",
                b"RCPT TO:<bob@example.net>\r\n",
                b"DATA\r\n",
                &data,
                b"QUIT\r\n",
            ],
        );
        let accepted = replies.matches("queued as").count();
        assert!(accepted <= 1, "sequence {fake:?}: the server accepted {accepted} messages:\n{replies}");
        assert!(
            !replies.contains("354 End data with <CR><LF>.<CR><LF>\r\n354"),
            "{fake:?}: a second DATA began:\n{replies}"
        );
    }
    let boxes = server.mailboxes();
    assert!(!boxes.contains_key("carol@example.net"), "a smuggled message reached carol: {boxes:?}");
    for message in boxes.values().flatten() {
        assert!(!text(without_trace(message)).starts_with("From: admin@example.net"), "{}", text(message));
    }
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
}

// ---------------------------------------------------------------------------------------
// CHUNKING (RFC 3030) over a real socket. Neither peer here speaks it (swaks 20201014 has no
// BDAT option, aiosmtpd 1.4 does not offer CHUNKING), so our `send --chunking` talks to `serve`,
// and a raw socket sends a BDAT LAST with a dot-leading line, which BDAT must not unstuff.

#[test]
fn bdat_over_a_real_socket_is_byte_exact() {
    let server = Serve::start("bdat");
    let (code, out) = send(
        &["--server", &server.addr, "--chunking", "--from", "alice@example.com", "--to", "bob@example.net"],
        MESSAGE,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("C: BDAT ") && out.contains(" LAST"), "the message went as BDAT … LAST:\n{out}");
    let chunk = b"Subject: raw\r\n\r\n.not stuffed\r\n";
    let bdat = format!("BDAT {} LAST\r\n", chunk.len());
    let replies = raw_session(
        &server.addr,
        &[
            b"EHLO client.example.com\r\n",
            b"MAIL FROM:<alice@example.com>\r\n",
            b"RCPT TO:<carol@example.net>\r\n",
            &[bdat.as_bytes(), chunk.as_slice()].concat(),
            b"QUIT\r\n",
        ],
    );
    assert!(replies.contains("queued as"), "{replies}");
    let boxes = server.mailboxes();
    assert_eq!(without_trace(&boxes["bob@example.net"][0]), MESSAGE, "send --chunking: byte for byte");
    assert_eq!(
        without_trace(&boxes["carol@example.net"][0]),
        chunk,
        "BDAT data is taken as is (RFC 3030 §2)"
    );
}
