//! `serve --imap`: the host's users read over IMAP4rev2 (RFC 9051) what `serve` stored,
//! over loopback, with the built binary as a child process.
//!
//! - Interop: `swaks` and Python's `smtplib` send, Python's `imaplib` (tests/interop/
//!   imaplib_client.py, a client we did not write) reads over STARTTLS, sets `\Seen`, sees it
//!   again after a reconnect and after a restart of `serve`, and expunges.
//! - Refusals from raw sockets: LOGIN before STARTTLS, wrong passwords, commands and
//!   literals over the limit, a client trickling a command past `--command-timeout`, a
//!   client over `--max-per-address`.
//! - Hostile input, over plaintext and TLS, never panics the server; passwords never reach
//!   the log.
//!
//! The lesson `pop3-retrieval` is served: mx.example.net, user `bob`, password `hunter2`,
//! mailbox bob@example.net.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/peers.rs"]
#[allow(dead_code)] // the aiosmtpd peer is not used here
mod peers;
#[path = "support/recordings.rs"]
mod recordings;
#[path = "support/serve.rs"]
mod serve;
#[path = "support/temp_dir.rs"]
mod temp_dir;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rustls::{ClientConnection, StreamOwned};
use smtp_playground::net::tls::{Trust, client_config, server_name};

use peers::{python, root};
use serve::{BIN, without_trace};
use temp_dir::TempDir;

/// Generous: the tests share two cores with builds.
const WAIT: Duration = Duration::from_secs(30);
const USER: &str = "bob";
const PASSWORD: &str = "hunter2";

/// `serve --imap` as a child process; stdout and stderr read line by line.
struct Serve {
    child: Child,
    smtp: SocketAddr,
    imap: SocketAddr,
    maildir: PathBuf,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Serve {
    fn start(maildir: &Path, args: &[&str]) -> Serve {
        let mut child = Command::new(BIN)
            .args(["serve", "--lesson", "pop3-retrieval", "--listen", "127.0.0.1:0", "--imap", "127.0.0.1:0"])
            .args(["--no-color", "--maildir"])
            .arg(maildir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let (tx, lines) = channel();
        for output in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut serve = Serve {
            child,
            smtp: ([0, 0, 0, 0], 0).into(),
            imap: ([0, 0, 0, 0], 0).into(),
            maildir: maildir.to_owned(),
            lines,
            seen: Vec::new(),
        };
        let address = |line: &str, prefix: &str| -> SocketAddr {
            line.strip_prefix(prefix)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("not a listening line: {line:?}"))
        };
        let smtp = serve.wait_for("the listening line", |l| l.starts_with("listening on "));
        serve.smtp = address(&smtp, "listening on ");
        let imap = serve.wait_for("the IMAP listening line", |l| l.starts_with("imap listening on "));
        assert!(imap.ends_with(" as mx.example.net (users: bob)"), "{imap}");
        serve.imap = address(&imap, "imap listening on ");
        serve
    }

    /// Reads output until a line satisfies `want`; returns it.
    fn wait_for(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.seen.iter().find(|l| want(l)) {
            return line.clone();
        }
        let deadline = Instant::now() + WAIT;
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
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

    fn cert(&self) -> PathBuf {
        self.maildir.join("server-cert.pem")
    }

    /// SIGTERM; waits for the exit and returns everything printed.
    fn stop(mut self) -> String {
        let status =
            Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "serve exited with {status}");
                break;
            }
            assert!(Instant::now() < deadline, "serve did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
        while let Ok(line) = self.lines.recv_timeout(WAIT) {
            self.seen.push(line);
        }
        let out = self.seen.join("\n");
        assert!(!out.contains("panicked"), "serve panicked:\n{out}");
        assert!(!out.contains(PASSWORD), "a password reached the log:\n{out}");
        out
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a case of tests/interop/imaplib_client.py; its JSON answer.
fn imaplib(args: &[&str]) -> serde_json::Value {
    let output = Command::new(python())
        .arg(root().join("tests/interop/imaplib_client.py"))
        .args(args)
        .output()
        .expect("run imaplib_client.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "imaplib_client.py {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("imaplib_client.py printed {stdout:?}: {e}"))
}

/// A message as imaplib fetched it: UID, flags, BODY[].
type Fetched = (u64, Vec<String>, Vec<u8>);

/// imaplib's `read` case: UIDVALIDITY, the messages, and the whole answer.
fn read_inbox(serve: &Serve) -> (u64, Vec<Fetched>, serde_json::Value) {
    let (imap, cert) = (serve.imap.to_string(), serve.cert().display().to_string());
    let out = imaplib(&["read", &imap, &cert, USER, PASSWORD]);
    let uid_validity = out["uidvalidity"][0].as_u64().expect("UIDVALIDITY");
    let messages = out["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            let flags =
                m["flags"].as_array().expect("flags").iter().map(|f| f.as_str().unwrap_or("").to_owned());
            let body = base64::engine::general_purpose::STANDARD
                .decode(m["body"].as_str().expect("body"))
                .expect("base64");
            (m["uid"].as_u64().expect("uid"), flags.collect(), body)
        })
        .collect();
    (uid_validity, messages, out)
}

/// The files of bob's mailbox folder, sorted (the UID list `.imap-uids` left out).
fn mailbox_files(maildir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(maildir.join("bob@example.net"))
        .expect("bob's mailbox")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------
// A raw IMAP client, plaintext or TLS
// ---------------------------------------------------------------------------------------

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

struct Imap {
    reader: BufReader<Stream>,
}

impl Imap {
    /// Connects and reads the greeting.
    fn connect(addr: SocketAddr) -> (Imap, String) {
        let tcp = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
        tcp.set_read_timeout(Some(WAIT)).expect("timeout");
        let mut imap = Imap { reader: BufReader::new(Stream::Plain(tcp)) };
        let greeting = imap.line();
        (imap, greeting)
    }

    /// Connects, STARTTLS trusting serve's certificate, and LOGIN as bob.
    fn logged_in(serve: &Serve) -> Imap {
        let (imap, greeting) = Imap::connect(serve.imap);
        assert!(greeting.starts_with("* OK ["), "{greeting}");
        let mut imap = imap.starttls(&serve.cert());
        let login = imap.command("l1", &format!("LOGIN {USER} {PASSWORD}"));
        assert!(login.last().is_some_and(|l| l.starts_with("l1 OK")), "{login:?}");
        imap
    }

    fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("write");
        self.reader.get_mut().flush().expect("flush");
    }

    /// One line without its CRLF; empty at the end of the stream.
    fn line(&mut self) -> String {
        self.next_line().unwrap_or_default()
    }

    /// One line without its CRLF; `None` at the end of the stream.
    fn next_line(&mut self) -> Option<String> {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
            Err(e) => panic!("read: {e}"),
        }
        Some(String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_owned())
    }

    /// Sends `tag text` and reads up to the tagged response (or the end of the stream).
    fn command(&mut self, tag: &str, text: &str) -> Vec<String> {
        self.send(format!("{tag} {text}\r\n").as_bytes());
        self.until_tagged(tag)
    }

    fn until_tagged(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(line) = self.next_line() {
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    }

    fn starttls(mut self, cert: &Path) -> Imap {
        let ok = self.command("s1", "STARTTLS");
        assert!(ok.last().is_some_and(|l| l.starts_with("s1 OK")), "{ok:?}");
        assert!(self.reader.buffer().is_empty());
        let Stream::Plain(tcp) = self.reader.into_inner() else { panic!("already TLS") };
        let config = client_config(&Trust::CaFile(cert.to_owned())).expect("client config");
        let conn = ClientConnection::new(config, server_name("localhost").expect("name")).expect("TLS");
        Imap { reader: BufReader::new(Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))) }
    }

    /// Whether the server closed the connection, reading what it sent before.
    fn closed(&mut self) -> (bool, String) {
        let mut rest = Vec::new();
        let closed = match self.reader.read_to_end(&mut rest) {
            Ok(_) => true,
            Err(e) => {
                matches!(e.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof)
            }
        };
        (closed, String::from_utf8_lossy(&rest).into_owned())
    }
}

// ---------------------------------------------------------------------------------------
// Interop: swaks and smtplib send, imaplib reads
// ---------------------------------------------------------------------------------------

#[test]
fn imaplib_reads_what_swaks_and_smtplib_sent_and_flags_outlive_a_restart() {
    let dir = TempDir::new("interop");
    let maildir = dir.0.join("mail");
    let version = imaplib(&["version"]);
    eprintln!("peer: Python imaplib, Python {}", version["version"].as_str().unwrap_or("?"));
    let mut serve = Serve::start(&maildir, &[]);
    // 1. Two messages: one from swaks (which ends DATA with an empty line of its own), one
    //    from smtplib.
    let by_swaks = dir.0.join("swaks.eml");
    let swaks_data: &[u8] =
        b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: via swaks\r\n\r\nHello Bob, from swaks.\r\n";
    std::fs::write(&by_swaks, swaks_data).expect("write");
    let output = Command::new("swaks")
        .args(["--server", &serve.smtp.to_string(), "--helo", "client.example.com"])
        .args(["--from", "alice@example.com", "--to", "bob@example.net", "--timeout", "20"])
        .arg("--data")
        .arg(format!("@{}", by_swaks.display()))
        .output()
        .expect("run swaks (installed by scripts/setup.sh test)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    let by_smtplib = dir.0.join("smtplib.eml");
    let smtplib_data: &[u8] = b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: via smtplib\r\n\
        Message-ID: <smtplib-1@client.example.com>\r\n\r\nHello Bob, from smtplib.\r\n";
    std::fs::write(&by_smtplib, smtplib_data).expect("write");
    let sent = imaplib(&["send", &serve.smtp.to_string(), &by_smtplib.display().to_string()]);
    assert_eq!(sent["refused"], serde_json::json!({}), "{sent}");
    serve.wait_for("the second delivery", |l| {
        l.contains("delivered: bob@example.net") && l.contains("000002.eml")
    });

    // 2. imaplib: STARTTLS, LOGIN, SELECT, UID SEARCH ALL, UID FETCH BODY.PEEK[] FLAGS.
    let (uid_validity, messages, out) = read_inbox(&serve);
    let before = out["capabilities_before_tls"].to_string();
    let after = out["capabilities_after_tls"].to_string();
    assert!(before.contains("LOGINDISABLED") && before.contains("STARTTLS"), "{before}");
    assert!(!after.contains("LOGINDISABLED") && after.contains("AUTH=PLAIN"), "{after}");
    assert_eq!(out["logout"], "BYE", "{out}");
    assert_eq!(messages.iter().map(|m| m.0).collect::<Vec<_>>(), [1, 2], "{out}");
    let files = mailbox_files(&maildir);
    assert_eq!(files, ["000001.eml", "000002.eml"]);
    for ((_, flags, body), (file, data)) in
        messages.iter().zip([(&files[0], [swaks_data, b"\r\n"].concat()), (&files[1], smtplib_data.to_vec())])
    {
        assert!(flags.is_empty(), "BODY.PEEK[] sets no flag: {flags:?}");
        // The bytes on disk, which are what was sent with serve's trace fields on top.
        let stored = std::fs::read(maildir.join("bob@example.net").join(file)).expect("stored");
        assert_eq!(body, &stored, "BODY[] is the stored file, byte for byte");
        assert_eq!(without_trace(body), data.as_slice(), "{}", String::from_utf8_lossy(body));
        assert!(body.starts_with(b"Return-Path: <alice@example.com>\r\nReceived: from client.example.com"));
    }

    // 3. \Seen on UID 1: in the file name, seen again after a reconnect.
    let stored = imaplib(&[
        "store-seen",
        &serve.imap.to_string(),
        &serve.cert().display().to_string(),
        USER,
        PASSWORD,
        "1",
    ]);
    assert_eq!(stored["typ"], "OK", "{stored}");
    assert_eq!(mailbox_files(&maildir), ["000001.eml:2,S", "000002.eml"]);
    let (again, messages, _) = read_inbox(&serve);
    assert_eq!(again, uid_validity);
    let flags: Vec<(u64, Vec<String>)> = messages.iter().map(|m| (m.0, m.1.clone())).collect();
    assert_eq!(flags, [(1, vec!["\\Seen".to_owned()]), (2, vec![])]);

    // 4. A restart keeps UIDVALIDITY, the UIDs and the flag; a new message gets UID 3.
    let log = serve.stop();
    assert!(log.contains(" LOGIN bob ****"), "imaplib's LOGIN, its password masked:\n{log}");
    let mut serve = Serve::start(&maildir, &[]);
    let sent = imaplib(&["send", &serve.smtp.to_string(), &by_smtplib.display().to_string()]);
    assert_eq!(sent["refused"], serde_json::json!({}), "{sent}");
    serve.wait_for("the third delivery", |l| l.contains("delivered: bob@example.net"));
    let (after_restart, messages, _) = read_inbox(&serve);
    assert_eq!(after_restart, uid_validity, "UIDVALIDITY outlives a restart");
    let flags: Vec<(u64, Vec<String>)> = messages.iter().map(|m| (m.0, m.1.clone())).collect();
    assert_eq!(flags, [(1, vec!["\\Seen".to_owned()]), (2, vec![]), (3, vec![])]);
    assert_eq!(mailbox_files(&maildir), ["000001.eml:2,S", "000002.eml", "000003.eml"]);

    // 5. EXPUNGE removes the file; UID 2 is never given again.
    let expunged = imaplib(&[
        "expunge",
        &serve.imap.to_string(),
        &serve.cert().display().to_string(),
        USER,
        PASSWORD,
        "2",
    ]);
    assert_eq!(
        (&expunged["typ"], &expunged["expunged"]),
        (&"OK".into(), &serde_json::json!(["2"])),
        "{expunged}"
    );
    assert_eq!(mailbox_files(&maildir), ["000001.eml:2,S", "000003.eml"]);
    assert!(maildir.join(".messages/000002.eml").exists(), "serve's own copy stays");
    let (_, messages, _) = read_inbox(&serve);
    assert_eq!(messages.iter().map(|m| m.0).collect::<Vec<_>>(), [1, 3]);
    let list = std::fs::read_to_string(maildir.join("bob@example.net/.imap-uids")).expect("the UID list");
    assert!(list.contains("\nuidnext 4\n"), "{list}");
    let log = serve.stop();
    assert!(log.lines().any(|l| l.starts_with("shut down: ") && l.ends_with(" IMAP sessions")), "{log}");
}

#[test]
fn login_before_starttls_is_refused_with_logindisabled_advertised() {
    let dir = TempDir::new("logindisabled");
    let serve = Serve::start(&dir.0.join("mail"), &[]);
    // imaplib does not look at LOGINDISABLED; the server answers NO (RFC 9051 §6.2.3).
    let out = imaplib(&["login-before-tls", &serve.imap.to_string(), USER, PASSWORD]);
    assert_eq!(out["raised"], "error", "{out}");
    assert!(out["text"].as_str().is_some_and(|t| t.contains("[PRIVACYREQUIRED]")), "{out}");
    assert!(out["capabilities"].to_string().contains("LOGINDISABLED"), "{out}");
    // The same by hand, AUTHENTICATE PLAIN too.
    let (mut imap, greeting) = Imap::connect(serve.imap);
    assert!(greeting.contains(" STARTTLS ") && greeting.contains(" LOGINDISABLED "), "{greeting}");
    assert!(!greeting.contains("AUTH=PLAIN"), "{greeting}");
    let login = imap.command("a1", &format!("LOGIN {USER} {PASSWORD}"));
    assert_eq!(login, ["a1 NO [PRIVACYREQUIRED] LOGIN is disabled before STARTTLS"]);
    let plain = imap.command("a2", "AUTHENTICATE PLAIN AGJvYgBodW50ZXIy");
    assert!(plain.last().is_some_and(|l| l.starts_with("a2 NO [PRIVACYREQUIRED]")), "{plain:?}");
    let select = imap.command("a3", "SELECT INBOX");
    assert!(select.last().is_some_and(|l| l.starts_with("a3 BAD")), "{select:?}");
    // After STARTTLS the same LOGIN works, and the capabilities changed.
    let mut imap = imap.starttls(&serve.cert());
    let caps = imap.command("a4", "CAPABILITY");
    assert!(caps[0].contains("AUTH=PLAIN") && !caps[0].contains("LOGINDISABLED"), "{caps:?}");
    assert!(
        imap.command("a5", &format!("LOGIN {USER} {PASSWORD}"))
            .last()
            .is_some_and(|l| l.starts_with("a5 OK"))
    );
    // The maildir keeps no folders: LIST names INBOX alone, and there is no Junk.
    let list = imap.command("a6", "LIST \"\" *");
    assert_eq!(list, ["* LIST (\\HasNoChildren) \"/\" INBOX", "a6 OK LIST completed"]);
    assert_eq!(imap.command("a7", "STATUS Junk (MESSAGES)"), ["a7 NO [NONEXISTENT] Mailbox doesn't exist"]);
    let out = serve.stop();
    assert!(out.contains("C: a1 LOGIN bob ****") && out.contains("C: a2 AUTHENTICATE PLAIN ****"), "{out}");
}

#[test]
fn wrong_passwords_are_refused_and_the_third_ends_the_session() {
    let dir = TempDir::new("wrong-password");
    let serve = Serve::start(&dir.0.join("mail"), &[]);
    let out =
        imaplib(&["login", &serve.imap.to_string(), &serve.cert().display().to_string(), USER, "hunter3"]);
    assert!(out["text"].as_str().is_some_and(|t| t.contains("[AUTHENTICATIONFAILED]")), "{out}");
    let out =
        imaplib(&["login", &serve.imap.to_string(), &serve.cert().display().to_string(), "alice", PASSWORD]);
    assert!(out["text"].as_str().is_some_and(|t| t.contains("[AUTHENTICATIONFAILED]")), "{out}");
    let (imap, _) = Imap::connect(serve.imap);
    let mut imap = imap.starttls(&serve.cert());
    for tag in ["w1", "w2"] {
        let no = imap.command(tag, "LOGIN bob wrong");
        assert_eq!(no, [format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed")]);
    }
    let third = imap.command("w3", "LOGIN bob wrong");
    assert_eq!(third.first().map(String::as_str), Some("w3 NO [AUTHENTICATIONFAILED] Authentication failed"));
    let (closed, rest) = imap.closed();
    let said = [third.join("\n"), rest].concat();
    assert!(closed && said.contains("* BYE Too many failed logins"), "{said}");
    let out = serve.stop();
    assert!(out.contains("-- login failed for \"bob\"") && out.contains("3 failed logins: closing"), "{out}");
    assert!(!out.contains("hunter3"), "{out}");
}

#[test]
fn commands_and_literals_over_the_limit_get_bad_limit() {
    let dir = TempDir::new("limit");
    let serve = Serve::start(&dir.0.join("mail"), &[]);
    let (mut imap, _) = Imap::connect(serve.imap);
    // A line over 64 KiB: refused once, its rest skipped, the session goes on.
    let mut long = b"a1 NOOP ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 100 * 1024));
    long.extend_from_slice(b"\r\n");
    imap.send(&long);
    let refused = imap.until_tagged("a1");
    assert_eq!(refused, ["a1 BAD [LIMIT] Command line too long"]);
    assert_eq!(imap.command("a2", "NOOP"), ["a2 OK NOOP completed"]);
    // A synchronizing literal over the limit is refused before the client sends it (§7.6).
    assert_eq!(imap.command("a3", "LOGIN {100000}"), ["a3 BAD [LIMIT] Literal too large"]);
    // A non-synchronizing one is skipped as it comes, unbuffered.
    let mut literal = b"a4 LOGIN {100000+}\r\n".to_vec();
    literal.extend(std::iter::repeat_n(b'y', 100_000));
    literal.extend_from_slice(b" x\r\na5 NOOP\r\n");
    imap.send(&literal);
    let lines = imap.until_tagged("a5");
    assert_eq!(lines, ["a4 BAD [LIMIT] Literal too large", "a5 OK NOOP completed"]);
    serve.stop();
}

#[test]
fn a_trickling_client_is_cut_off_by_the_command_deadline() {
    let dir = TempDir::new("trickle");
    let serve = Serve::start(&dir.0.join("mail"), &["--command-timeout", "2", "--idle-timeout", "60"]);
    let (mut imap, _) = Imap::connect(serve.imap);
    let started = Instant::now();
    // One octet every 200 ms: each resets the idle timer, none ends the command.
    let mut said = String::new();
    let mut closed = false;
    for octet in b"a1 NOOP ".iter().cycle().take(100) {
        if imap.reader.get_mut().write_all(&[*octet]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        if let Stream::Plain(tcp) = imap.reader.get_ref() {
            tcp.set_nonblocking(true).expect("nonblocking");
            let mut buf = [0u8; 512];
            match imap.reader.get_mut().read(&mut buf) {
                Ok(0) => closed = true,
                Ok(n) => said.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => {}
            }
            if let Stream::Plain(tcp) = imap.reader.get_ref() {
                tcp.set_nonblocking(false).expect("blocking");
            }
        }
        if closed {
            break;
        }
    }
    let elapsed = started.elapsed();
    assert!(said.contains("* BYE Autologout; a command took too long to arrive"), "{said:?}");
    assert!(closed || imap.closed().0, "the connection is closed");
    assert!(elapsed < Duration::from_secs(10), "cut off after {elapsed:?}");
    let out = serve.stop();
    assert!(out.contains("a command took longer than --command-timeout to arrive"), "{out}");
}

#[test]
fn the_per_address_limit_counts_imap_and_smtp_together() {
    let dir = TempDir::new("per-address");
    let serve = Serve::start(&dir.0.join("mail"), &["--max-per-address", "2"]);
    let (first, greeting) = Imap::connect(serve.imap);
    assert!(greeting.starts_with("* OK"), "{greeting}");
    let (second, greeting) = Imap::connect(serve.imap);
    assert!(greeting.starts_with("* OK"), "{greeting}");
    let (mut third, greeting) = Imap::connect(serve.imap);
    assert_eq!(greeting, "* BYE [UNAVAILABLE] Too many connections from your address, try again later");
    assert!(third.closed().0);
    // SMTP shares the slots: 421 4.7.0.
    let mut smtp = TcpStream::connect_timeout(&serve.smtp, WAIT).expect("connect");
    smtp.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut reply = String::new();
    let _ = smtp.read_to_string(&mut reply);
    assert!(reply.starts_with("421 4.7.0 "), "{reply}");
    // A slot freed is a slot for the next client.
    let mut first = first;
    assert!(first.command("q1", "LOGOUT").last().is_some_and(|l| l.starts_with("q1 OK")));
    assert!(first.closed().0);
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, greeting) = Imap::connect(serve.imap);
        if greeting.starts_with("* OK") {
            break;
        }
        assert!(Instant::now() < deadline, "the slot was never freed: {greeting}");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(second);
    let out = serve.stop();
    assert!(out.contains("imap session 3 from 127.0.0.1"), "{out}");
    assert!(out.contains("connection refused: over --max-per-address"), "{out}");
}

#[test]
fn mail_that_arrives_while_idling_is_pushed_and_noop_sees_it() {
    let dir = TempDir::new("idle");
    let maildir = dir.0.join("mail");
    let serve = Serve::start(&maildir, &[]);
    let mut imap = Imap::logged_in(&serve);
    let select = imap.command("i1", "SELECT INBOX");
    assert!(select.contains(&"* 0 EXISTS".to_owned()), "{select:?}");
    imap.send(b"i2 IDLE\r\n");
    assert_eq!(imap.line(), "+ idling");
    let deliver = |subject: &str| {
        let mut smtp = TcpStream::connect_timeout(&serve.smtp, WAIT).expect("connect");
        smtp.set_read_timeout(Some(WAIT)).expect("timeout");
        let message = format!(
            "EHLO client.example.com\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n\
             Subject: {subject}\r\n\r\nhi\r\n.\r\nQUIT\r\n"
        );
        smtp.write_all(message.as_bytes()).expect("write");
        let mut replies = String::new();
        let _ = smtp.read_to_string(&mut replies);
        assert!(replies.contains("250 2.0.0 Ok: queued as"), "{replies}");
    };
    let sent = Instant::now();
    deliver("while idling");
    assert_eq!(imap.line(), "* 1 EXISTS");
    assert!(sent.elapsed() < Duration::from_secs(5), "pushed after {:?}", sent.elapsed());
    imap.send(b"DONE\r\n");
    assert_eq!(imap.line(), "i2 OK IDLE terminated");
    deliver("before noop");
    assert_eq!(imap.command("i3", "NOOP"), ["* 2 EXISTS", "i3 OK NOOP completed"]);
    let fetch = imap.command("i4", "UID FETCH 2 (FLAGS BODY[HEADER.FIELDS (SUBJECT)])");
    assert!(fetch.iter().any(|l| l == "Subject: before noop"), "{fetch:?}");
    // BODY[] without PEEK set \Seen: in the file name.
    assert!(fetch.iter().any(|l| l.contains("\\Seen")), "{fetch:?}");
    assert_eq!(mailbox_files(&maildir), ["000001.eml", "000002.eml:2,S"]);
    // Keywords are not permanent (PERMANENTFLAGS has no \*): kept for the session only.
    let store = imap.command("i5", "UID STORE 1 +FLAGS ($Important \\Flagged)");
    assert!(store.first().is_some_and(|l| l.contains("$Important") && l.contains("\\Flagged")), "{store:?}");
    assert_eq!(mailbox_files(&maildir), ["000001.eml:2,F", "000002.eml:2,S"]);
    let flags = imap.command("i6", "UID FETCH 1 FLAGS");
    assert_eq!(flags.first().map(String::as_str), Some("* 1 FETCH (FLAGS (\\Flagged $Important) UID 1)"));
    let mut other = Imap::logged_in(&serve);
    assert!(other.command("o1", "SELECT INBOX").last().is_some_and(|l| l.starts_with("o1 OK")));
    let flags = other.command("o2", "UID FETCH 1 FLAGS");
    assert_eq!(flags.first().map(String::as_str), Some("* 1 FETCH (FLAGS (\\Flagged) UID 1)"));
    serve.stop();
}

#[test]
fn a_non_loopback_imap_address_is_refused() {
    let dir = TempDir::new("remote");
    let output = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--imap", "0.0.0.0:0", "--maildir"])
        .arg(dir.0.join("mail"))
        .output()
        .expect("run serve");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("0.0.0.0 is not a loopback address") && stderr.contains("--allow-remote"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------

/// A small seeded generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Lines that are not quite IMAP, or IMAP at its edges.
const HOSTILE: &[&[u8]] = &[
    b"\r\n",
    b" \r\n",
    b"*\r\n",
    b"+ \r\n",
    b"a\r\n",
    b"a NOOP extra\r\n",
    b"a LOGIN\r\n",
    b"a LOGIN \"unterminated\r\n",
    b"a LOGIN {5}\r\n",
    b"a LOGIN {18446744073709551615}\r\n",
    b"a LOGIN {99999999999999999999999}\r\n",
    b"a LOGIN {-1}\r\n",
    b"a SELECT \"INBOX\\\r\n",
    b"a SELECT {0}\r\n\r\n",
    b"a FETCH 0 FLAGS\r\n",
    b"a FETCH 4294967295:* (FLAGS)\r\n",
    b"a FETCH 1:* (BODY[1.2.3.4.5.6.7.8.9.10]<4294967295.4294967295>)\r\n",
    b"a FETCH 1:* (BODY.PEEK[HEADER.FIELDS ()] BODYSTRUCTURE ENVELOPE RFC822.SIZE INTERNALDATE)\r\n",
    b"a FETCH * BODY[0]\r\n",
    b"a UID FETCH 1:4294967295 FULL\r\n",
    b"a UID FETCH 4294967296 FLAGS\r\n",
    b"a STORE 1:* +FLAGS (\\Recent \\Nonsense $k1 $k2)\r\n",
    b"a STORE 1:* FLAGS.SILENT ()\r\n",
    b"a STORE * -FLAGS (\\Seen\r\n",
    b"a SEARCH NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT ALL\r\n",
    b"a SEARCH ((((((((((((((((((((ALL))))))))))))))))))))\r\n",
    b"a SEARCH OR OR OR OR OR OR OR OR OR OR OR OR OR OR ALL ALL ALL ALL ALL ALL ALL ALL ALL ALL ALL ALL ALL ALL ALL\r\n",
    b"a SEARCH CHARSET KOI8-R TEXT x\r\n",
    b"a SEARCH RETURN (MIN MAX ALL COUNT) UID 1:*,5,7:3\r\n",
    b"a SEARCH TEXT {3+}\r\n\x00\xff\n\r\n",
    b"a LIST \"\" \"*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*\"\r\n",
    b"a STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE)\r\n",
    b"a STATUS nowhere (MESSAGES)\r\n",
    b"a ENABLE IMAP4rev2 CONDSTORE\r\n",
    b"a IDLE\r\nnot done\r\n",
    b"a AUTHENTICATE PLAIN\r\n!!!not base64!!!\r\n",
    b"a AUTHENTICATE PLAIN\r\n*\r\n",
    b"a AUTHENTICATE PLAIN =\r\n",
    b"a AUTHENTICATE CRAM-MD5\r\n",
    b"a EXPUNGE\r\n",
    b"a UID EXPUNGE 1:*\r\n",
    b"a CLOSE\r\n",
    b"a UNSELECT\r\n",
    b"a EXAMINE INBOX\r\n",
    b"\x00\x01\x02\x03\r\n",
    b"\xc3\x28 \xe2\x82\r\n",
    b"a\tNOOP\r\n",
    b"a NOOP\n",
    b"a NOOP\r\r\n",
];

fn hostile_round(imap: &mut Imap, rng: &mut Rng) {
    for (i, line) in HOSTILE.iter().enumerate() {
        imap.send(line);
        if i.is_multiple_of(7) {
            // Random octets, some looking like literal headers.
            let mut junk: Vec<u8> = (0..(rng.next() % 300)).map(|_| (rng.next() % 256) as u8).collect();
            if rng.next().is_multiple_of(3) {
                junk.extend_from_slice(format!("{{{}}}\r\n", rng.next() % 70_000).as_bytes());
            }
            junk.extend_from_slice(b"\r\n");
            imap.send(&junk);
        }
    }
    // Whatever state that left, a fresh tag still gets answered, or the server said BYE.
    imap.send(b"\r\nDONE\r\nz1 NOOP\r\n");
    let lines = imap.until_tagged("z1");
    let last = lines.last().cloned().unwrap_or_default();
    let all = lines.join("\n");
    assert!(last.starts_with("z1 ") || all.contains("* BYE"), "{all}");
}

#[test]
fn hostile_input_never_panics_the_server() {
    let dir = TempDir::new("hostile");
    let maildir = dir.0.join("mail");
    let recordings = dir.0.join("recordings");
    let serve = Serve::start(&maildir, &["--log", "sessions", "--record", &recordings.display().to_string()]);
    // A MIME message nested deeper than the parser follows, so FETCH BODYSTRUCTURE meets it.
    let mut nested = String::from("Subject: nested\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n");
    for depth in 1..20 {
        nested.push_str(&format!(
            "--b{}\r\nContent-Type: multipart/mixed; boundary=b{depth}\r\n\r\n",
            depth - 1
        ));
    }
    nested.push_str("--b19\r\nContent-Type: text/plain\r\n\r\ninnermost\r\n");
    let mut smtp = TcpStream::connect_timeout(&serve.smtp, WAIT).expect("connect");
    smtp.set_read_timeout(Some(WAIT)).expect("timeout");
    let session = format!(
        "EHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n{nested}.\r\nQUIT\r\n"
    );
    smtp.write_all(session.as_bytes()).expect("write");
    let mut replies = String::new();
    let _ = smtp.read_to_string(&mut replies);
    assert!(replies.contains("250 2.0.0"), "{replies}");
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    // Before login, in plaintext: several connections.
    for _ in 0..3 {
        let (mut imap, _) = Imap::connect(serve.imap);
        hostile_round(&mut imap, &mut rng);
    }
    // After login over TLS, with INBOX selected and not.
    for select in [false, true] {
        let mut imap = Imap::logged_in(&serve);
        if select {
            assert!(imap.command("s0", "SELECT INBOX").last().is_some_and(|l| l.starts_with("s0 OK")));
        }
        hostile_round(&mut imap, &mut rng);
    }
    // STARTTLS, then noise instead of a ClientHello: the handshake fails, the session ends.
    let (mut imap, _) = Imap::connect(serve.imap);
    assert_eq!(imap.command("h1", "STARTTLS"), ["h1 OK Begin TLS negotiation now"]);
    imap.send(b"h2 NOOP\r\n\x16\x03\x01\x00\x05hello");
    let started = Instant::now();
    assert!(imap.closed().0);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    // Pure noise, then a closed socket halfway through a literal.
    let (mut imap, _) = Imap::connect(serve.imap);
    let noise: Vec<u8> = (0..20_000).map(|_| (rng.next() % 256) as u8).collect();
    imap.send(&noise);
    imap.send(b"\r\nq LOGIN {10}\r\nabc");
    drop(imap);
    // The server still serves, and the message is still there.
    let mut imap = Imap::logged_in(&serve);
    let status = imap.command("t1", "STATUS INBOX (MESSAGES)");
    assert_eq!(status.first().map(String::as_str), Some("* STATUS INBOX (MESSAGES 1)"), "{status:?}");
    let out = serve.stop();
    assert!(out.contains("-- imap session 1 from 127.0.0.1"), "{out}");
    // Every hostile session was recorded, and every recording opens (`imap_recordings`
    // checks each as the player does).
    let found = imap_recordings(&recordings);
    assert_eq!(found.len(), 8, "{out}");
    for (_, played) in &found {
        assert!(played.timeline.steps.len() >= 3, "{}", played.title);
    }
}

// ---------------------------------------------------------------------------------------
// Recordings (`--record DIR`)
// ---------------------------------------------------------------------------------------

/// The IMAP recordings `serve --record` wrote in `dir`, as the player reads them.
fn imap_recordings(dir: &Path) -> Vec<(String, smtp_playground::scenario::played::Played)> {
    recordings::read(dir, "imap-session-").into_iter().map(|(_, json, played)| (json, played)).collect()
}

#[test]
fn imap_sessions_are_recorded_as_steps_with_every_password_masked() {
    use smtp_playground::timeline::StepKind;
    let dir = TempDir::new("imap-record");
    let recordings = dir.0.join("recordings");
    let serve = Serve::start(&dir.0.join("mail"), &["--record", &recordings.display().to_string()]);
    let eml = dir.0.join("hello.eml");
    std::fs::write(&eml, "Subject: recorded\r\n\r\nRead me over IMAP.\r\n").expect("write");
    imaplib(&["send", &serve.smtp.to_string(), &eml.display().to_string()]);
    // imaplib: STARTTLS, LOGIN, SELECT, UID SEARCH, UID FETCH, LOGOUT.
    let (_, fetched, _) = read_inbox(&serve);
    assert_eq!(fetched.len(), 1);
    // By hand: the password as a synchronizing literal, then AUTHENTICATE PLAIN after a +.
    let (imap, _) = Imap::connect(serve.imap);
    let mut imap = imap.starttls(&serve.cert());
    imap.send(b"l1 LOGIN bob {7}\r\n");
    assert!(imap.line().starts_with('+'));
    imap.send(format!("{PASSWORD}\r\n").as_bytes());
    assert!(imap.until_tagged("l1").last().is_some_and(|l| l.starts_with("l1 OK")));
    imap.send(b"l2 LOGOUT\r\n");
    imap.until_tagged("l2");
    let (imap, _) = Imap::connect(serve.imap);
    let mut imap = imap.starttls(&serve.cert());
    imap.send(b"a1 AUTHENTICATE PLAIN\r\n");
    assert!(imap.line().starts_with('+'));
    let response = base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{PASSWORD}"));
    imap.send(format!("{response}\r\n").as_bytes());
    assert!(imap.until_tagged("a1").last().is_some_and(|l| l.starts_with("a1 OK")));
    imap.send(b"a2 LOGOUT\r\n");
    imap.until_tagged("a2");
    let out = serve.stop();
    let found = imap_recordings(&recordings);
    assert_eq!(found.len(), 3, "{out}");
    for (json, played) in &found {
        assert!(!json.contains(PASSWORD), "a password in a recording:\n{json}");
        assert!(!json.contains(&response), "the SASL response in a recording");
        assert_eq!(played.recording.as_ref().map(|r| r.masked), Some(1), "{}", played.title);
        assert!(played.title.starts_with("Recorded (IMAP): 127.0.0.1:"), "{}", played.title);
        assert!(played.source.is_empty(), "no replay for IMAP");
        let steps = &played.timeline.steps;
        assert_eq!(steps.first().map(|s| s.kind), Some(StepKind::TcpConnect));
        assert_eq!(steps.last().map(|s| s.kind), Some(StepKind::TcpClose));
        assert!(steps.iter().any(|s| s.kind == StepKind::TlsHandshake));
        assert!(steps.iter().any(|s| s.summary.contains("bob is logged in")), "{steps:#?}");
        for step in steps.iter().filter(|s| matches!(s.kind, StepKind::ImapCommand | StepKind::ImapResponse))
        {
            assert!(step.rfc.as_deref().is_some_and(|r| r.contains("RFC 9051")), "{step:#?}");
        }
    }
    // imaplib's session: the password as `"********"`, the message fetched, each answer
    // explained as the answer to its own command.
    let steps = &found[0].1.timeline.steps;
    let wire = |s: &smtp_playground::timeline::Step| s.wire.clone().unwrap_or_default();
    let login = steps.iter().find(|s| wire(s).contains(" LOGIN ")).expect("LOGIN");
    assert!(wire(login).ends_with(" LOGIN bob \"********\"\r\n"), "{}", wire(login));
    assert!(
        login.tls && login.explanation.contains("masked when this session was recorded"),
        "{}",
        login.explanation
    );
    let fetch = steps
        .iter()
        .find(|s| s.kind == StepKind::ImapResponse && wire(s).contains("Read me over IMAP."))
        .expect("the FETCH answer");
    assert!(fetch.summary.contains("FETCH"), "{}", fetch.summary);
    let greeting = steps.iter().find(|s| s.kind == StepKind::ImapResponse).expect("greeting");
    assert!(wire(greeting).starts_with("* OK"), "{}", wire(greeting));
    // The literal: its header a step, the + a step, the masked octets a step.
    let steps = &found[1].1.timeline.steps;
    let texts: Vec<String> = steps.iter().filter_map(|s| s.wire.clone()).collect();
    let header = texts.iter().position(|w| w == "l1 LOGIN bob {7}\r\n").expect("the header");
    assert!(texts[header + 1].starts_with('+'), "{texts:#?}");
    assert_eq!(texts[header + 2], "*******\r\n");
    // AUTHENTICATE PLAIN: the response keeps the user name, the password is masked.
    let steps = &found[2].1.timeline.steps;
    let masked = base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0********"));
    assert!(steps.iter().any(|s| wire(s) == format!("{masked}\r\n")), "{steps:#?}");
}
