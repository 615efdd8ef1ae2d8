//! The recordings `serve --record` wrote in a directory, read and checked as the player
//! reads them. Included with `#[path = "support/recordings.rs"] mod recordings;`.

use std::path::{Path, PathBuf};

use smtp_playground::scenario::played::Played;
use smtp_playground::scenario::recording;

/// The files in `dir` whose names start with `prefix` (`session-`, `imap-session-`), in
/// session order: each path, its JSON and the recording, which the player can play.
pub fn read(dir: &Path, prefix: &str) -> Vec<(PathBuf, String, Played)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the recordings")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)))
        .collect();
    // `<prefix><start>-<n>.json`: by the session number n.
    files.sort_by_key(|p| {
        let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        stem.rsplit('-').next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)
    });
    files
        .into_iter()
        .map(|path| {
            let json = std::fs::read_to_string(&path).expect("read a recording");
            let played: Played =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            recording::check(&played).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, json, played)
        })
        .collect()
}
