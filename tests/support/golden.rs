//! Golden transcript files: `tests/golden/<name>.txt`, comment lines (`# …`) first,
//! then one `C:`/`S:` line per transcript line. Lines that travelled inside TLS carry a
//! `[tls] ` prefix.
//!
//! Normal runs compare and print a line diff; `UPDATE_GOLDEN=1 cargo test` writes the
//! files instead, so a deliberate change is re-blessed in one step and reviewed as a diff.

use std::path::PathBuf;

use smtp_playground::engine::TranscriptLine;

/// The prefix of a line that travelled inside TLS (`TranscriptLine::tls`).
pub const TLS_MARK: &str = "[tls] ";

/// A transcript as its golden file holds it.
pub fn render(transcript: &[TranscriptLine]) -> Vec<String> {
    transcript.iter().map(|line| format!("{}{line}", if line.tls { TLS_MARK } else { "" })).collect()
}

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden").join(format!("{name}.txt"))
}

fn updating() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

/// Compares `transcript` with `tests/golden/<name>.txt`, or writes the file (with
/// `header`, whose every line must be a `#` comment) when `UPDATE_GOLDEN=1`.
pub fn assert_golden(name: &str, header: &str, transcript: &[TranscriptLine]) {
    let got = render(transcript);
    let file = path(name);
    if updating() {
        assert!(header.lines().all(|l| l.starts_with('#')), "{name}: header lines must start with '#'");
        let mut text = String::new();
        for line in header.lines().chain(got.iter().map(String::as_str)) {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
        eprintln!("blessed {}", file.display());
        return;
    }
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!("reading {}: {e}\n(run with UPDATE_GOLDEN=1 to create it)", file.display())
    });
    let want: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    if want != got {
        panic!(
            "transcript differs from {} (- golden, + now):\n{}\nIf the change is intended, re-bless with UPDATE_GOLDEN=1.",
            file.display(),
            diff(&want, &got)
        );
    }
}

/// A line diff by longest common subsequence: `  ` same, `- ` only in the golden file,
/// `+ ` only in the new transcript.
pub fn diff(want: &[&str], got: &[String]) -> String {
    let (n, m) = (want.len(), got.len());
    // lcs[i][j]: length of the LCS of want[i..] and got[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] =
                if want[i] == got[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && want[i] == got[j] {
            out.push_str(&format!("  {}\n", want[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", want[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", got[j]));
            j += 1;
        }
    }
    out
}
