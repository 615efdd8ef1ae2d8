//! A running `smtp-playground serve` on tests/interop/serve.toml, for the interop suites.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use super::peers::root;
use super::temp_dir::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_smtp-playground");

/// A running `smtp-playground serve`, its mail directory and everything it printed.
pub struct Serve {
    child: Child,
    pub addr: String,
    pub maildir: TempDir,
    log: Option<JoinHandle<String>>,
}

impl Serve {
    pub fn start(name: &str) -> Self {
        Self::start_with(name, &[])
    }

    /// `serve` with more options (`--record DIR`, `--log transcript`).
    pub fn start_with(name: &str, args: &[&str]) -> Self {
        let maildir = TempDir::new(name);
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--no-color", "--scenario"])
            .arg(root().join("tests/interop/serve.toml"))
            .arg("--maildir")
            .arg(&maildir.0)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start smtp-playground serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("read the listening line");
        let addr = first
            .strip_prefix("listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("serve's first line is not `listening on …`: {first:?}"))
            .to_owned();
        let log = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stdout.read_to_string(&mut rest);
            first + &rest
        });
        Self { child, addr, maildir, log: Some(log) }
    }

    /// The certificate serve made at start-up, for clients that verify it.
    pub fn cert(&self) -> PathBuf {
        let cert = self.maildir.0.join("server-cert.pem");
        assert!(cert.exists(), "serve did not write {}", cert.display());
        cert
    }

    /// Messages delivered so far: mailbox → the .eml files' bytes, in name order. Folders
    /// whose names start with `.` (`.messages`, `.tmp`) are serve's own, not mailboxes.
    pub fn mailboxes(&self) -> BTreeMap<String, Vec<Vec<u8>>> {
        let mut out = BTreeMap::new();
        for entry in std::fs::read_dir(&self.maildir.0).expect("read the maildir").flatten() {
            if !entry.path().is_dir() || entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(entry.path())
                .expect("read a mailbox")
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect();
            files.sort();
            let messages = files.iter().map(|f| std::fs::read(f).expect("read an .eml")).collect();
            out.insert(entry.file_name().to_string_lossy().into_owned(), messages);
        }
        out
    }

    /// SIGTERM, then the exit status and the whole log (transcripts of every session).
    pub fn stop(mut self) -> (ExitStatus, String) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let status = wait_with_deadline(&mut self.child, Duration::from_secs(20));
        let log = self.log.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        (status, log)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait_with_deadline(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for a child") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("process {} did not exit within {limit:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// swaks against `server` as alice@example.com, HELO client.example.com, with `args`: whether
/// it succeeded, and what it printed (its transcript, `->` and `<-` lines).
pub fn swaks(server: &Serve, args: &[&str]) -> (bool, String) {
    let output = Command::new("swaks")
        .args(["--server", &server.addr, "--helo", "client.example.com", "--from", "alice@example.com"])
        .args(["--timeout", "20"])
        .args(args)
        .output()
        .expect("run swaks (installed by scripts/setup.sh test)");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout) + &text(&output.stderr))
}

/// The message data after the trace fields serve prepends (`Return-Path:`, `Received:`).
pub fn without_trace(eml: &[u8]) -> &[u8] {
    let mut rest = eml;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").map_or(rest.len(), |i| i + 2);
        let line = &rest[..line_end];
        let continues = line.starts_with(b" ") || line.starts_with(b"\t");
        let trace = line.starts_with(b"Return-Path:") || line.starts_with(b"Received:");
        if !(trace || continues) || line_end == 0 {
            return rest;
        }
        rest = &rest[line_end..];
    }
}
