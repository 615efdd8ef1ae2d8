//! Real peers shared by the interop and export tests: the project-local Python (made by
//! `scripts/setup.sh test`) and an aiosmtpd server run by `tests/interop/aiosmtpd_peer.py`.
//! Included with `#[path = "support/peers.rs"] mod peers;` by the tests that use it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `.venv/bin/python`; a test that needs it fails, rather than passes, without it.
pub fn python() -> PathBuf {
    let python = root().join(".venv/bin/python");
    assert!(python.exists(), "{} is missing: run `scripts/setup.sh test` first", python.display());
    python
}

/// aiosmtpd on a free loopback port, with STARTTLS (the test certificate in
/// tests/interop/tls), AUTH PLAIN/LOGIN and SMTPUTF8; stopped when dropped.
pub struct Aiosmtpd {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Aiosmtpd {
    pub fn start() -> Self {
        let tls = root().join("tests/interop/tls");
        let mut child = Command::new(python())
            .arg(root().join("tests/interop/aiosmtpd_peer.py"))
            .arg(tls.join("localhost.crt"))
            .arg(tls.join("localhost.key"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd_peer.py");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("read aiosmtpd's first line");
        let addr = first.trim().strip_prefix("listening ").unwrap_or_else(|| panic!("{first:?}")).to_owned();
        Self { child, stdin, stdout, addr }
    }

    /// The next message aiosmtpd reports, as the JSON object aiosmtpd_peer.py prints.
    pub fn next_record(&mut self) -> serde_json::Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read a record");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("aiosmtpd printed {line:?}: {e}"))
    }
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        // Closing stdin stops the peer; a stuck one is killed after 10 s.
        drop(self.stdin.take());
        let start = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
