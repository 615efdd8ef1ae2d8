//! `serve` and `send` over real loopback sockets: the built binary runs as a child process,
//! raw `TcpStream`s, a rustls client and the binary's own `send` talk to it.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use smtp_playground::net::tls::{Trust, client_config, fingerprint, server_name};

const BIN: &str = env!("CARGO_BIN_EXE_smtp-playground");
/// Generous: the tests share two cores with builds.
const WAIT: Duration = Duration::from_secs(30);

fn interop_scenario() -> String {
    format!("{}/tests/interop/serve.toml", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory under the system's temp dir.
fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("smtp-playground-net-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `serve` as a child process, its stdout read line by line.
struct Server {
    child: Child,
    addr: SocketAddr,
    maildir: PathBuf,
    first_line: String,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(name: &str, args: &[&str]) -> Server {
        let maildir = temp_dir(name).join("mail");
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--no-color", "--maildir"])
            .arg(&maildir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first_line = lines.recv_timeout(WAIT).expect("serve prints its listening line");
        let addr = first_line
            .strip_prefix("listening on ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("not a listening line: {first_line:?}"));
        Server { child, addr, maildir, first_line, lines, seen: Vec::new() }
    }

    /// Reads stdout until a line satisfies `want`; returns it.
    fn wait_for(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.seen.iter().find(|l| want(l)) {
            return line.clone();
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if want(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("serve never printed {what}; it printed:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    /// Everything printed until stdout closes (after the process ends).
    fn rest(&mut self) -> String {
        while let Ok(line) = self.lines.recv_timeout(WAIT) {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }

    fn connect(&self) -> Smtp {
        Smtp::connect(self.addr)
    }

    /// SIGTERM, then the exit status.
    fn terminate(&mut self) -> std::process::ExitStatus {
        let status =
            Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn cert_path(&self) -> PathBuf {
        self.maildir.join("server-cert.pem")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.maildir.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A raw SMTP client: write lines, read replies.
struct Smtp {
    reader: BufReader<TcpStream>,
}

impl Smtp {
    fn connect(addr: SocketAddr) -> Smtp {
        let stream = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
        stream.set_read_timeout(Some(WAIT)).expect("timeout");
        Smtp { reader: BufReader::new(stream) }
    }

    fn write(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("write");
    }

    /// One reply, all its lines joined by `\n`; empty at the end of the stream.
    fn reply(&mut self) -> String {
        read_reply(&mut self.reader)
    }

    fn command(&mut self, line: &str) -> String {
        self.write(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// Whether the server closed the connection (EOF or reset) without sending more.
    fn closed(&mut self) -> bool {
        matches!(self.drain(), Some(rest) if rest.is_empty())
    }

    /// Everything up to the end of the stream; `None` if it did not end within [`WAIT`].
    fn drain(&mut self) -> Option<Vec<u8>> {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => Some(rest),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Some(rest),
            Err(_) => None,
        }
    }
}

fn read_reply(reader: &mut impl BufRead) -> String {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return lines.join("\n"),
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last {
            return lines.join("\n");
        }
    }
}

/// The stored message of `mailbox`, number `n`.
fn stored(server: &Server, mailbox: &str, n: u32) -> Vec<u8> {
    let path = server.maildir.join(mailbox).join(format!("{n:06}.eml"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `send` with `args`, the message on stdin; returns exit code and stdout+stderr.
fn send(server: SocketAddr, args: &[&str], message: &[u8]) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(["send", "--no-color", "--server", &server.to_string()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn send");
    child.stdin.take().expect("stdin").write_all(message).expect("message");
    let output = child.wait_with_output().expect("send ends");
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn the_listening_line_names_address_host_and_lesson() {
    let server = Server::start("default", &[]);
    assert!(
        server.first_line.ends_with(" as smtp.example.com (lesson telnet-session)"),
        "{}",
        server.first_line
    );
    assert!(server.addr.ip().is_loopback() && server.addr.port() != 0);
    let mut smtp = server.connect();
    assert!(smtp.reply().starts_with("220 smtp.example.com ESMTP"));
    // The seed lesson's server: no STARTTLS, recipient@example.com only.
    let ehlo = smtp.command("EHLO client.example.com");
    assert!(ehlo.starts_with("250-smtp.example.com") && !ehlo.contains("STARTTLS"), "{ehlo}");
}

#[test]
fn a_non_loopback_address_is_refused_with_the_reason() {
    let dir = temp_dir("remote");
    let output = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--maildir"])
        .arg(&dir)
        .output()
        .expect("run serve");
    let _ = std::fs::remove_dir_all(dir);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("not a loopback address") && error.contains("--allow-remote"), "{error}");
    let output = Command::new(BIN).args(["serve", "--lesson", "no-such-lesson"]).output().expect("run serve");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_delivery_is_stored_byte_exact_and_an_unknown_recipient_refused() {
    let scenario = interop_scenario();
    let mut server = Server::start("deliver", &["--scenario", &scenario]);
    assert!(server.first_line.ends_with(&format!(" as mx.example.net (scenario {scenario})")));
    let mut smtp = server.connect();
    assert!(smtp.reply().starts_with("220 mx.example.net"));
    let ehlo = smtp.command("EHLO client.example.com");
    assert!(ehlo.contains("250-STARTTLS") && ehlo.contains("SIZE 20000"), "{ehlo}");
    assert!(!ehlo.contains("AUTH"), "AUTH only under TLS: {ehlo}");
    assert_eq!(smtp.command("MAIL FROM:<alice@example.com>"), "250 2.1.0 Ok");
    assert_eq!(smtp.command("RCPT TO:<bob@example.net>"), "250 2.1.5 Ok");
    let refused = smtp.command("RCPT TO:<nobody@example.net>");
    assert!(refused.starts_with("550 5.1.1 <nobody@example.net>"), "{refused}");
    assert!(smtp.command("RCPT TO:<dave@example.net>").starts_with("452 4.2.2"));
    assert!(smtp.command("DATA").starts_with("354"));
    smtp.write(b"Subject: exact\r\n\r\n..a line that began with a dot\r\n\xc3\xa9 8-bit\r\n\ttab\r\n.\r\n");
    let accepted = smtp.reply();
    assert!(accepted.starts_with("250 2.0.0 Ok: queued as "), "{accepted}");
    let queue_id = accepted.rsplit(' ').next().unwrap_or_default().to_owned();
    assert_eq!(smtp.command("QUIT"), "221 2.0.0 Bye");
    assert!(smtp.closed());

    let delivered = server.wait_for("the delivery", |l| l.contains("-- delivered: bob@example.net → "));
    assert!(delivered.contains(&queue_id), "{delivered}");
    let text = stored(&server, "bob@example.net", 1);
    let text = String::from_utf8(text).expect("UTF-8");
    let (trace, body) = text.split_once("Subject: exact\r\n").expect("the message after the trace fields");
    assert_eq!(
        body, "\r\n.a line that began with a dot\r\né 8-bit\r\n\ttab\r\n",
        "dot-unstuffed, byte-exact"
    );
    assert!(
        trace.starts_with(
            "Return-Path: <alice@example.com>\r\nReceived: from client.example.com ([127.0.0.1])"
        )
    );
    let unfolded = trace.replace("\r\n ", " ");
    assert!(
        unfolded.contains(&format!("by mx.example.net with ESMTP id {queue_id} for <bob@example.net>;")),
        "{trace}"
    );
    assert!(!server.maildir.join("nobody@example.net").exists());
    // The session's transcript, in `run`'s format, as one block.
    server.wait_for("the session header", |l| l.starts_with("-- session 1 from 127.0.0.1:"));
    server.wait_for("the client's EHLO", |l| {
        l.ends_with(" C: EHLO client.example.com") && l.contains(" → mx.example.net")
    });
    server.wait_for("the 221", |l| l.ends_with(" S: 221 2.0.0 Bye"));
}

#[test]
fn send_delivers_and_its_exit_code_tells_the_outcome() {
    let scenario = interop_scenario();
    let mut server = Server::start("send", &["--scenario", &scenario]);
    let message = b"Subject: from send\n\n.dot\nbare LF lines become CRLF\n";
    let (code, out) =
        send(server.addr, &["--from", "alice@example.com", "--to", "carol@example.net"], message);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" C: MAIL FROM:<alice@example.com>") && out.contains(" C: ..dot"), "{out}");
    assert!(out.contains("<carol@example.net>: delivered 250 2.0.0 Ok: queued as "), "{out}");
    server.wait_for("the delivery", |l| l.contains("-- delivered: carol@example.net"));
    let text = stored(&server, "carol@example.net", 1);
    assert!(text.ends_with(b"Subject: from send\r\n\r\n.dot\r\nbare LF lines become CRLF\r\n"));

    let (code, out) = send(
        server.addr,
        &["--from", "", "--to", "bob@example.net", "--to", "nobody@example.net", "--no-pipelining"],
        b"Subject: bounce\r\n\r\nx\r\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(" C: MAIL FROM:<>") && out.contains("<nobody@example.net>: failed 550 5.1.1"),
        "{out}"
    );
    server.wait_for("the bounce's delivery", |l| l.contains("-- delivered: bob@example.net"));
    assert!(stored(&server, "bob@example.net", 1).starts_with(b"Return-Path: <>\r\n"));

    let (code, out) =
        send(server.addr, &["--starttls", "--from", "a@example.com", "--to", "bob@example.net"], b"");
    assert_eq!(code, 2, "--starttls without --tls-ca or --insecure is a usage error: {out}");
    assert!(out.contains("--tls-ca"), "{out}");
    // A port where nobody listens: the server is stopped, its port is free.
    let addr = server.addr;
    assert!(server.terminate().success());
    let (code, out) = send(addr, &["--from", "a@example.com", "--to", "bob@example.net"], b"x\r\n");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("cannot connect to 127.0.0.1:"), "{out}");
}

/// A rustls client that trusts the certificate file serve printed.
fn tls_client(cert: &Path, stream: TcpStream) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let config = client_config(&Trust::CaFile(cert.to_owned())).expect("client config");
    let name = server_name("mx.example.net").expect("name");
    let conn = rustls::ClientConnection::new(config, name).expect("client");
    rustls::StreamOwned::new(conn, stream)
}

#[test]
fn starttls_upgrades_to_the_printed_certificate_and_then_auth_is_offered() {
    let scenario = interop_scenario();
    let mut server = Server::start("tls", &["--scenario", &scenario]);
    let line = server.wait_for("the certificate line", |l| l.starts_with("certificate: "));
    let pem = std::fs::read(server.cert_path()).expect("server-cert.pem");
    let der = CertificateDer::from_pem_slice(&pem).expect("a PEM certificate");
    assert!(line.contains(&format!("(SHA-256 {})", fingerprint(&der))), "{line}");

    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    let early = smtp.command("AUTH PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU=");
    assert!(early.starts_with("538 5.7.11"), "AUTH before TLS: {early}");
    assert_eq!(smtp.command("STARTTLS"), "220 2.0.0 Ready to start TLS");
    let mut tls = BufReader::new(tls_client(&server.cert_path(), smtp.reader.into_inner()));
    tls.get_mut().write_all(b"EHLO client.example.com\r\n").expect("write");
    let ehlo = read_reply(&mut tls);
    assert!(ehlo.contains("250-AUTH PLAIN LOGIN") && !ehlo.contains("STARTTLS"), "{ehlo}");
    let version = tls.get_ref().conn.protocol_version();
    assert!(version.is_some());
    tls.get_mut()
        .write_all(b"AUTH PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU=\r\n")
        .expect("write");
    assert_eq!(read_reply(&mut tls), "235 2.7.0 Authentication successful");
    tls.get_mut()
        .write_all(b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
        .expect("write");
    assert_eq!(read_reply(&mut tls), "250 2.1.0 Ok");
    assert_eq!(read_reply(&mut tls), "250 2.1.5 Ok");
    assert!(read_reply(&mut tls).starts_with("354"));
    tls.get_mut().write_all(b"Subject: secret\r\n\r\nunder TLS\r\n.\r\nQUIT\r\n").expect("write");
    assert!(read_reply(&mut tls).starts_with("250 2.0.0 Ok: queued as"));
    assert_eq!(read_reply(&mut tls), "221 2.0.0 Bye");
    server.wait_for("the delivery", |l| l.contains("-- delivered: bob@example.net"));
    let text = String::from_utf8(stored(&server, "bob@example.net", 1)).expect("UTF-8");
    assert!(
        text.replace("\r\n ", " ").contains(" with ESMTPSA id "),
        "TLS and AUTH in the Received: field: {text}"
    );
    server.wait_for("a line marked as inside TLS", |l| l.contains("~C: MAIL FROM:<alice@example.com>"));

    // The same with `send`, verifying the same file.
    let cert = server.cert_path();
    let args = [
        "--starttls",
        "--tls-ca",
        cert.to_str().unwrap_or_default(),
        "--auth",
        "alice:correct horse battery staple",
        "--from",
        "alice@example.com",
        "--to",
        "someone@elsewhere.example",
    ];
    let (code, out) = send(server.addr, &args, b"Subject: relayed\r\n\r\nhi\r\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("-- TLS established") && out.contains("~C: AUTH PLAIN"), "{out}");
    // --insecure takes any certificate, and says so.
    let args = ["--starttls", "--insecure", "--from", "alice@example.com", "--to", "bob@example.net"];
    let (code, out) = send(server.addr, &args, b"Subject: unchecked\r\n\r\nhi\r\n");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: --insecure") && out.contains("~C: MAIL FROM:<alice@example.com>"),
        "{out}"
    );
    // A CA that did not sign the server's certificate: a TLS error, exit 3.
    let other_dir = temp_dir("other-ca");
    let other = other_dir.join("other.pem");
    let identity = smtp_playground::net::tls::self_signed("other.example").expect("certificate");
    std::fs::write(&other, identity.cert_pem).expect("write");
    let args = [
        "--starttls",
        "--tls-ca",
        other.to_str().unwrap_or_default(),
        "--from",
        "a@b.example",
        "--to",
        "bob@example.net",
    ];
    let (code, out) = send(server.addr, &args, b"x\r\n");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("TLS handshake with 127.0.0.1:") && out.contains("failed"), "{out}");
    server.wait_for("the failed handshake in the log", |l| l.contains("-- TLS handshake failed"));
    let _ = std::fs::remove_dir_all(other_dir);
}

#[test]
fn commands_pipelined_after_starttls_are_discarded_not_executed() {
    let scenario = interop_scenario();
    let mut server = Server::start("inject", &["--scenario", &scenario]);
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    // CVE-2011-0411: the injected MAIL travels in the same segment as STARTTLS.
    smtp.write(b"STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n");
    assert_eq!(smtp.reply(), "220 2.0.0 Ready to start TLS");
    let mut tls = BufReader::new(tls_client(&server.cert_path(), smtp.reader.into_inner()));
    tls.get_mut().write_all(b"EHLO client.example.com\r\nRCPT TO:<bob@example.net>\r\n").expect("write");
    assert!(read_reply(&mut tls).starts_with("250-mx.example.net"));
    let rcpt = read_reply(&mut tls);
    assert!(rcpt.starts_with("503 5.5.1 Error: need MAIL command"), "the injected MAIL never ran: {rcpt}");
    tls.get_mut().write_all(b"QUIT\r\n").expect("write");
    assert_eq!(read_reply(&mut tls), "221 2.0.0 Bye");
    server.wait_for("the discard note", |l| {
        l.contains("-- 34 octets sent after STARTTLS in plaintext were discarded, not executed")
    });
}

#[test]
fn ten_concurrent_sessions_each_deliver() {
    let server = Server::start("concurrent", &["--scenario", &interop_scenario()]);
    let addr = server.addr;
    let threads: Vec<_> = (0..10)
        .map(|i| {
            std::thread::spawn(move || {
                let mut smtp = Smtp::connect(addr);
                smtp.reply();
                smtp.command("EHLO client.example.com");
                // Hold every session open at once before the transaction.
                smtp.command("NOOP");
                smtp.write(b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n");
                let replies = [smtp.reply(), smtp.reply(), smtp.reply()];
                assert!(replies[2].starts_with("354"), "{replies:?}");
                smtp.write(format!("Subject: number {i}\r\n\r\nbody {i}\r\n.\r\n").as_bytes());
                let accepted = smtp.reply();
                assert!(accepted.starts_with("250 2.0.0"), "{accepted}");
                assert_eq!(smtp.command("QUIT"), "221 2.0.0 Bye");
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("session thread");
    }
    // Each file was written before its 250 went out.
    let mut subjects: Vec<String> = std::fs::read_dir(server.maildir.join("carol@example.net"))
        .expect("mailbox")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read"))
        .filter_map(|text| text.lines().find(|l| l.starts_with("Subject: ")).map(str::to_owned))
        .collect();
    subjects.sort();
    let want: Vec<String> = (0..10).map(|i| format!("Subject: number {i}")).collect();
    assert_eq!(subjects, want);
}

#[test]
fn an_idle_client_gets_421_and_is_disconnected() {
    let mut server = Server::start("idle", &["--scenario", &interop_scenario(), "--idle-timeout", "1"]);
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    // Say nothing: the server gives up after its idle timeout.
    assert_eq!(smtp.reply(), "421 4.4.2 mx.example.net Error: timeout exceeded");
    assert!(smtp.closed());
    server.wait_for("the 421 in the log", |l| {
        l.ends_with("S: 421 4.4.2 mx.example.net Error: timeout exceeded")
    });
}

#[test]
fn connections_over_the_cap_get_421() {
    let mut server = Server::start("cap", &["--scenario", &interop_scenario(), "--max-connections", "1"]);
    let mut first = server.connect();
    assert!(first.reply().starts_with("220"));
    let mut second = server.connect();
    assert_eq!(second.reply(), "421 4.3.2 Too many connections, try again later");
    assert!(second.closed());
    // The first session is unaffected.
    assert!(first.command("EHLO client.example.com").starts_with("250-mx.example.net"));
    assert_eq!(first.command("QUIT"), "221 2.0.0 Bye");
    server
        .wait_for("the refusal in the log", |l| l.contains("-- connection refused: over --max-connections"));
}

#[test]
fn sigterm_tells_open_sessions_421_and_exits_cleanly() {
    let mut server = Server::start("shutdown", &["--scenario", &interop_scenario()]);
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    assert_eq!(smtp.command("MAIL FROM:<alice@example.com>"), "250 2.1.0 Ok");
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(smtp.reply(), "421 4.3.2 mx.example.net Service shutting down");
    assert!(smtp.closed());
    let out = server.rest();
    assert!(out.lines().any(|l| l == "shut down: 1 sessions, 0 messages"), "{out}");
}

#[test]
fn a_local_part_cannot_escape_the_mail_directory() {
    let dir = temp_dir("traversal");
    let scenario = dir.join("open.toml");
    std::fs::write(
        &scenario,
        "title = \"t\"\ndescription = \"d\"\n[[host]]\nname = \"mx.example.org\"\nrole = \"mx\"\n\
         ip = \"192.0.2.1\"\ndomains = [\"example.org\"]\nsmtp = {}\n",
    )
    .expect("scenario");
    let mut server = Server::start("traversal", &["--scenario", scenario.to_str().unwrap_or_default()]);
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    smtp.command("MAIL FROM:<a@example.com>");
    assert_eq!(smtp.command("RCPT TO:<\"../../escaped\"@example.org>"), "250 2.1.5 Ok");
    assert_eq!(smtp.command("RCPT TO:<\"/tmp/abs\"@example.org>"), "250 2.1.5 Ok");
    assert!(smtp.command("DATA").starts_with("354"));
    assert!(smtp.command("Subject: x\r\n\r\ny\r\n.").starts_with("250 2.0.0"));
    smtp.command("QUIT");
    server.wait_for("the first delivery", |l| l.contains("-- delivered: ../../escaped@example.org → "));
    let line =
        server.wait_for("the second delivery", |l| l.contains("-- delivered: /tmp/abs@example.org → "));
    let path = line.split(" → ").nth(1).and_then(|p| p.split(" (queue id").next()).expect("a path");
    assert!(Path::new(path).starts_with(&server.maildir), "{path}");
    let mut names: Vec<String> = std::fs::read_dir(&server.maildir)
        .expect("maildir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".messages", ".tmp", "_.._.._escaped@example.org", "_tmp_abs@example.org", "server-cert.pem"]
    );
    assert!(!dir.join("escaped@example.org").exists() && !Path::new("/tmp/abs@example.org").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn junk_huge_lines_half_closes_and_tls_garbage_never_stop_the_server() {
    let mut server = Server::start("junk", &["--scenario", &interop_scenario()]);
    // Binary junk and an endless line: 500s, and the session goes on.
    let mut smtp = server.connect();
    smtp.reply();
    smtp.write(b"\x00\xff\xfe\x1b[2J\r\n");
    assert!(smtp.reply().starts_with("500"));
    smtp.write(&vec![b'A'; 200_000]);
    smtp.write(b"\r\n");
    assert!(smtp.reply().starts_with("500 5.5.0 Error: line too long"));
    assert!(smtp.command("EHLO client.example.com").starts_with("250-"));
    // A message far over SIZE: refused at its end (RFC 1870), not a crash.
    smtp.command("MAIL FROM:<alice@example.com>");
    smtp.command("RCPT TO:<bob@example.net>");
    assert!(smtp.command("DATA").starts_with("354"));
    let line = format!("{}\r\n", "x".repeat(998));
    for _ in 0..200 {
        smtp.write(line.as_bytes());
    }
    let refused = smtp.command(".");
    assert!(refused.starts_with("552 5.3.4"), "{refused}");
    assert_eq!(smtp.command("QUIT"), "221 2.0.0 Bye");

    // Half-closed: the client stops writing; the server answers what it got and closes.
    let mut half = server.connect();
    half.reply();
    half.write(b"EHLO client.example.com\r\nNOOP\r\n");
    half.reader.get_ref().shutdown(Shutdown::Write).expect("half close");
    assert!(half.reply().starts_with("250-"));
    assert_eq!(half.reply(), "250 2.0.0 Ok");
    assert!(half.closed());

    // TLS garbage after STARTTLS: that session fails, with a line in the log.
    let mut garbage = server.connect();
    garbage.reply();
    garbage.command("EHLO client.example.com");
    assert!(garbage.command("STARTTLS").starts_with("220"));
    garbage.write(b"\x16\x03\x01\x00\x05hello, this is not a ClientHello\r\n");
    assert!(garbage.drain().is_some(), "the server ends that connection (after a TLS alert)");
    server.wait_for("the handshake failure", |l| l.contains("-- TLS handshake failed"));

    // And the server still serves.
    let mut after = server.connect();
    assert!(after.reply().starts_with("220 mx.example.net"));
    assert_eq!(after.command("QUIT"), "221 2.0.0 Bye");
    assert!(server.terminate().success());
}

#[test]
fn greylisting_runs_on_the_real_clock_and_host_picks_the_server() {
    let mut server = Server::start("greylist", &["--lesson", "greylisting"]);
    assert!(server.first_line.ends_with(" as mx.example.net (lesson greylisting)"), "{}", server.first_line);
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    smtp.command("MAIL FROM:<alice@example.com>");
    let first = smtp.command("RCPT TO:<bob@example.net>");
    assert!(
        first.starts_with("451 4.7.1 <bob@example.net>: Recipient address rejected: Greylisted"),
        "{first}"
    );
    // The lesson's delay is 4 minutes; the server has been up for seconds.
    let wait: u64 =
        first.split("try again in ").nth(1).and_then(|w| w.split(' ').next()?.parse().ok()).expect("a wait");
    assert!((200..=240).contains(&wait), "{first}");
    assert_eq!(smtp.command("QUIT"), "221 2.0.0 Bye");
    assert!(server.terminate().success());

    let server = Server::start("relay", &["--lesson", "greylisting", "--host", "smtp.example.com"]);
    let mut smtp = server.connect();
    assert!(smtp.reply().starts_with("220 smtp.example.com"));
    smtp.command("EHLO client.example.com");
    smtp.command("MAIL FROM:<alice@example.com>");
    // 127.0.0.1 is not among the lesson's relay clients.
    assert!(
        smtp.command("RCPT TO:<bob@example.net>")
            .starts_with("554 5.7.1 <bob@example.net>: Relay access denied")
    );
}

/// A mailbox folder that cannot be made (a plain file in its place; the same as a full
/// disk or a permission error): `451 4.3.0` after the data, not a 250 for mail never
/// stored (RFC 5321 §6.1), nothing under a final name, and the session goes on.
#[test]
fn a_message_that_cannot_be_stored_gets_451_not_250() {
    let mut server = Server::start("blocked", &["--scenario", &interop_scenario()]);
    std::fs::write(server.maildir.join("carol@example.net"), "a plain file, not a folder").expect("block");
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    assert!(smtp.command("MAIL FROM:<a@example.com>").starts_with("250"));
    assert!(smtp.command("RCPT TO:<bob@example.net>").starts_with("250"));
    assert!(smtp.command("RCPT TO:<carol@example.net>").starts_with("250"));
    assert!(smtp.command("DATA").starts_with("354"));
    assert_eq!(smtp.command("Subject: x\r\n\r\ny\r\n."), "451 4.3.0 Error: queue file write error");
    // Not the client's fault: the session goes on, and bob alone gets the next message.
    assert!(smtp.command("MAIL FROM:<a@example.com>").starts_with("250"));
    assert!(smtp.command("RCPT TO:<bob@example.net>").starts_with("250"));
    assert!(smtp.command("DATA").starts_with("354"));
    assert!(smtp.command("Subject: z\r\n\r\ny\r\n.").starts_with("250 2.0.0 Ok: queued as "));
    smtp.command("QUIT");
    server.wait_for("the failure", |l| {
        l.contains("-- could not store message ") && l.contains("answering 451")
    });
    let eml = final_names(&server.maildir);
    assert_eq!(
        eml.iter().map(|p| p.strip_prefix(&server.maildir).expect("inside")).collect::<Vec<_>>(),
        [Path::new(".messages/000002.eml"), Path::new("bob@example.net/000002.eml")],
        "only the second message is stored (the first one's numbers are not used again)"
    );
    assert!(String::from_utf8_lossy(&stored(&server, "bob@example.net", 2)).contains("Subject: z\r\n"));
    assert!(server.terminate().success());
    assert!(server.rest().contains("shut down: 1 sessions, 1 messages"));
}

/// Every `.eml` under a final name (not in `.tmp`), sorted.
fn final_names(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && entry.file_name() != ".tmp" {
            for file in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                if file.path().extension().is_some_and(|e| e == "eml") {
                    out.push(file.path());
                }
            }
        }
    }
    out.sort();
    out
}

/// No torn write: `serve` is killed (SIGKILL, no clean-up) the moment the first final name
/// of a large message appears, and every final name shows the whole message. A name that
/// was visible while the bytes were still being written would hold part of it.
#[test]
fn a_killed_server_leaves_no_partial_message_under_a_final_name() {
    let dir = temp_dir("torn");
    let scenario = dir.join("open.toml");
    std::fs::write(
        &scenario,
        "title = \"t\"\ndescription = \"d\"\n[[host]]\nname = \"mx.example.org\"\nrole = \"mx\"\n\
         ip = \"192.0.2.1\"\ndomains = [\"example.org\"]\nsmtp = {}\n",
    )
    .expect("scenario");
    let mut server = Server::start("torn", &["--scenario", scenario.to_str().unwrap_or_default()]);
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    smtp.command("MAIL FROM:<a@example.com>");
    for i in 0..4 {
        assert!(smtp.command(&format!("RCPT TO:<r{i}@example.org>")).starts_with("250"));
    }
    assert!(smtp.command("DATA").starts_with("354"));
    // 8 MB of 100-octet lines, then a last line that only a complete file ends with.
    let line = format!("{}\r\n", "x".repeat(98));
    let mut data = "Subject: big\r\n\r\n".to_owned();
    while data.len() < 8_000_000 {
        data.push_str(&line);
    }
    data.push_str("THE END\r\n.\r\n");
    smtp.write(data.as_bytes());
    let deadline = Instant::now() + WAIT;
    while final_names(&server.maildir).is_empty() {
        assert!(Instant::now() < deadline, "no message appeared");
        std::thread::yield_now();
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("wait");
    let names = final_names(&server.maildir);
    assert!(!names.is_empty());
    for path in names {
        let bytes = std::fs::read(&path).expect("read");
        assert!(
            bytes.len() > 8_000_000 && bytes.ends_with(b"\r\nTHE END\r\n"),
            "{}: {} octets, torn",
            path.display(),
            bytes.len()
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Writes `bytes` one at a time, `gap` apart, from another thread (a slowloris client);
/// stops at the first failed write (the server closed).
fn trickle(stream: &TcpStream, bytes: Vec<u8>, gap: Duration) -> std::thread::JoinHandle<()> {
    let mut writer = stream.try_clone().expect("clone");
    std::thread::spawn(move || {
        for byte in bytes {
            std::thread::sleep(gap);
            if writer.write_all(&[byte]).is_err() {
                return;
            }
        }
    })
}

/// Issue 15, slowloris: a command line trickled a byte at a time is cut at
/// --command-timeout, although every byte would reset the idle timer.
#[test]
fn a_trickled_command_line_is_cut_at_its_deadline() {
    let mut server = Server::start(
        "trickle-command",
        &["--scenario", &interop_scenario(), "--command-timeout", "2", "--idle-timeout", "60"],
    );
    let mut smtp = server.connect();
    assert!(smtp.reply().starts_with("220"));
    let started = Instant::now();
    let writer = trickle(
        smtp.reader.get_ref(),
        b"NOOP and a very long tail that never ends".to_vec(),
        Duration::from_millis(250),
    );
    assert_eq!(smtp.reply(), "421 4.4.2 mx.example.net Error: timeout exceeded");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1_900) && took < Duration::from_secs(4), "cut after {took:?}");
    assert!(smtp.closed());
    let _ = writer.join();
    server.wait_for("the reason in the log", |l| {
        l.contains("a command line took longer than --command-timeout")
    });
}

/// The message data has a deadline of its own, from the 354, that trickled lines cannot
/// extend; and a whole session one, that slow but complete commands cannot.
#[test]
fn trickled_data_and_endless_sessions_are_cut_at_their_deadlines() {
    let mut server = Server::start(
        "trickle-data",
        &[
            "--scenario",
            &interop_scenario(),
            "--data-timeout",
            "2",
            "--session-timeout",
            "3",
            "--idle-timeout",
            "60",
        ],
    );
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    assert!(smtp.command("MAIL FROM:<alice@example.org>").starts_with("250"));
    assert!(smtp.command("RCPT TO:<bob@example.net>").starts_with("250"));
    assert!(smtp.command("DATA").starts_with("354"));
    let started = Instant::now();
    let writer = trickle(smtp.reader.get_ref(), b"line\r\n".repeat(40), Duration::from_millis(50));
    assert_eq!(smtp.reply(), "421 4.4.2 mx.example.net Error: timeout exceeded");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1_900) && took < Duration::from_secs(4), "data cut after {took:?}");
    let _ = writer.join();
    server.wait_for("the data reason", |l| l.contains("the message data took longer than --data-timeout"));

    // A NOOP every 400 ms keeps the session busy but not alive past --session-timeout.
    let mut busy = server.connect();
    let started = Instant::now();
    busy.reply();
    let reply = loop {
        let reply = busy.command("NOOP");
        if !reply.starts_with("250") || started.elapsed() > Duration::from_secs(8) {
            break reply;
        }
        std::thread::sleep(Duration::from_millis(400));
    };
    assert_eq!(reply, "421 4.4.2 mx.example.net Error: timeout exceeded");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2_900) && took < Duration::from_secs(5),
        "session cut after {took:?}"
    );
    server
        .wait_for("the session reason", |l| l.contains("the session's time limit (--session-timeout) is up"));
}

/// A ClientHello trickled after STARTTLS cannot hold the handshake past
/// --handshake-timeout (it held 52.6 s against a 30 s limit before).
#[test]
fn a_trickled_client_hello_is_cut_at_the_handshake_deadline() {
    let mut server = Server::start(
        "trickle-tls",
        &["--scenario", &interop_scenario(), "--handshake-timeout", "2", "--idle-timeout", "60"],
    );
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    assert_eq!(smtp.command("STARTTLS"), "220 2.0.0 Ready to start TLS");
    let started = Instant::now();
    // A TLS record header announcing 512 octets of handshake, then the octets, slowly.
    let mut hello = vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];
    hello.extend(std::iter::repeat_n(0x2a, 200));
    let writer = trickle(smtp.reader.get_ref(), hello, Duration::from_millis(100));
    let _ = smtp.drain();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "the handshake was held {took:?}");
    let _ = writer.join();
    server.wait_for("the handshake timeout", |l| l.contains("TLS handshake failed: the handshake timed out"));
}

/// No single address can take every slot: past --max-per-address its new connections get
/// `421 4.7.0`, while another address still gets the greeting.
#[test]
fn one_address_cannot_take_every_connection() {
    let mut server = Server::start(
        "per-address",
        &["--scenario", &interop_scenario(), "--max-connections", "4", "--max-per-address", "2"],
    );
    let mut first = server.connect();
    let mut second = server.connect();
    assert!(first.reply().starts_with("220") && second.reply().starts_with("220"));
    let mut third = server.connect();
    assert_eq!(third.reply(), "421 4.7.0 Too many connections from your address, try again later");
    assert!(third.closed());
    server.wait_for("the refusal", |l| l.contains("-- connection refused: over --max-per-address"));
    // Another address (127.0.0.2, also loopback) is greeted. std cannot bind a client
    // socket before connecting, so Python's socket module makes this connection.
    let port = server.addr.port().to_string();
    let other = Command::new("python3")
        .args([
            "-c",
            "import socket, sys\n\
             s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10, source_address=('127.0.0.2', 0))\n\
             print(s.makefile().readline().strip())",
            &port,
        ])
        .output()
        .expect("python3");
    let greeting = String::from_utf8_lossy(&other.stdout);
    assert!(
        greeting.starts_with("220 mx.example.net"),
        "{greeting} {}",
        String::from_utf8_lossy(&other.stderr)
    );
    // A slot freed is a slot again.
    assert_eq!(first.command("QUIT"), "221 2.0.0 Bye");
    assert!(first.closed());
    std::thread::sleep(Duration::from_millis(300));
    let mut again = server.connect();
    assert!(again.reply().starts_with("220"));
    assert!(second.command("NOOP").starts_with("250"));
}

/// One message through `serve` at a log level; returns everything it printed.
fn log_of(name: &str, level: &[&str]) -> String {
    let scenario = interop_scenario();
    let mut args = vec!["--scenario", scenario.as_str()];
    args.extend_from_slice(level);
    let mut server = Server::start(name, &args);
    let mut smtp = server.connect();
    smtp.reply();
    smtp.command("EHLO client.example.com");
    assert_eq!(smtp.command("MAIL FROM:<alice@example.com>"), "250 2.1.0 Ok");
    assert_eq!(smtp.command("RCPT TO:<bob@example.net>"), "250 2.1.5 Ok");
    assert!(smtp.command("DATA").starts_with("354"));
    assert!(smtp.command("Subject: private\r\n\r\nthe body nobody logs\r\n.").starts_with("250 2.0.0"));
    assert_eq!(smtp.command("QUIT"), "221 2.0.0 Bye");
    assert!(smtp.closed());
    // Stored whatever the level.
    assert!(String::from_utf8_lossy(&stored(&server, "bob@example.net", 1)).contains("the body nobody logs"));
    assert!(server.terminate().success());
    server.rest()
}

/// Issue 16: under load a transcript of every message's content is megabytes nobody reads.
/// By default a message's content is one note with its size; `--log transcript` shows every
/// line, `--log sessions` one line per session, `--quiet` nothing per session.
#[test]
fn the_log_level_decides_how_much_of_a_session_is_printed() {
    let commands = log_of("log-default", &[]);
    assert!(
        !commands.contains("the body nobody logs") && !commands.contains("Subject: private"),
        "{commands}"
    );
    assert!(commands.contains(" C: MAIL FROM:<alice@example.com>"), "{commands}");
    assert!(
        commands.contains("-- message content: 3 lines, 42 octets (not shown; --log transcript shows it)"),
        "{commands}"
    );
    assert!(commands.contains("-- delivered: bob@example.net → "), "{commands}");

    let transcript = log_of("log-transcript", &["--log", "transcript"]);
    assert!(transcript.contains(" C: the body nobody logs"), "{transcript}");

    let sessions = log_of("log-sessions", &["--log", "sessions"]);
    let lines: Vec<&str> = sessions.lines().filter(|l| l.starts_with("-- session ")).collect();
    assert_eq!(lines.len(), 1, "{sessions}");
    assert!(lines[0].starts_with("-- session 1 from 127.0.0.1:"), "{sessions}");
    assert!(lines[0].contains(": 1 message stored, session closed by the server ("), "{sessions}");
    assert!(!sessions.contains(" C: "), "{sessions}");

    let quiet = log_of("log-quiet", &["--quiet"]);
    assert!(!quiet.contains("-- session") && !quiet.contains(" C: "), "{quiet}");
    assert!(quiet.lines().any(|l| l == "shut down: 1 sessions, 1 messages"), "{quiet}");
}

#[test]
fn a_bad_log_level_is_refused_with_the_names() {
    let output = Command::new(BIN).args(["serve", "--log", "loud"]).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("--log \"loud\": expected one of off, sessions, commands, transcript"), "{text}");
}

/// Issue 16: the default limits let a load tool's usual 100 parallel sessions from one
/// address in (Postfix's `smtp-source -s 100` gave up at the old 32), while the per-address
/// limit still keeps one client to half the slots.
#[test]
fn a_hundred_parallel_sessions_from_one_address_are_served_by_default() {
    let mut server = Server::start("hundred", &["--scenario", &interop_scenario(), "--quiet"]);
    let mut sessions: Vec<Smtp> = (0..100).map(|_| server.connect()).collect();
    for smtp in &mut sessions {
        let greeting = smtp.reply();
        assert!(greeting.starts_with("220 mx.example.net"), "{greeting}");
    }
    for smtp in &mut sessions {
        assert_eq!(smtp.command("QUIT"), "221 2.0.0 Bye");
    }
    drop(sessions);
    assert!(server.terminate().success());
    let out = server.rest();
    assert!(out.lines().any(|l| l == "shut down: 100 sessions, 0 messages"), "{out}");
}
