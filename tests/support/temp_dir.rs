//! A fresh directory under the system's temp dir for one test, removed when the test passes
//! (kept after a failure, to look at). Included with
//! `#[path = "support/temp_dir.rs"] mod temp_dir;` by the tests that run `serve` on a maildir.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `smtp-playground-<test file>-<pid>-<n>-<name>`: unique across tests run in parallel.
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let test = env!("CARGO_CRATE_NAME");
        let path =
            std::env::temp_dir().join(format!("smtp-playground-{test}-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
