//! The folder layout shows the layers: every module of the crate may use the modules below it
//! and none above. The order is written once here, bottom first, and must match the list in
//! `src/lib.rs`; inside the world, [`SIM`] orders `src/sim/`'s files the same way and must
//! match `src/sim/mod.rs`.
//!
//! Every `src/**/*.rs` file is read as text (comments left out) and each `crate::X` path —
//! `use crate::X::…`, `crate::X::f(…)`, `use crate::{X, Y::…}` — names module `X`. Inside
//! `src/sim/`, `super::X` (from a file of the world) and `crate::sim::X` name its files.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

/// The crate's modules, bottom first: each may use the ones before it.
const LAYERS: &[&str] = &[
    "rfc",
    "proto",
    "engine",
    "message",
    "dns",
    "mailauth",
    "timeline",
    "teach",
    "sim",
    "scenario",
    "transcript",
    "net",
    "cli",
    "ui",
];

/// The files of the simulated world (`src/sim/`), bottom first.
const SIM: &[&str] =
    &["rng", "fault", "whatif", "config", "queue", "words", "world", "auth", "session", "relay", "run"];

/// One reference from a file to a module.
#[derive(Debug)]
struct Reference {
    file: PathBuf,
    line: usize,
    /// The module the file belongs to, and the one it names.
    from: String,
    to: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's text with `//` and `/* */` comments blanked out, lines kept in place.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut in_string, mut block) = (false, 0usize);
    while let Some(c) = chars.next() {
        if block > 0 {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block -= 1;
            } else if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                block += 1;
            } else if c == '\n' {
                out.push('\n');
            }
            continue;
        }
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            // A char literal such as '"' must not open a string.
            '\'' if matches!(chars.clone().nth(1), Some('\'')) => {
                out.push(c);
                if let Some(inner) = chars.next() {
                    out.push(inner);
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for rest in chars.by_ref() {
                    if rest == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                block = 1;
            }
            _ => out.push(c),
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first segment of each path that follows `prefix` in `text` (`prefix` itself preceded
/// by neither an identifier, `:` nor `$`), with its line: `X` of `prefix X::…`, and `X`, `Y`
/// of `prefix {X, Y::…}`.
fn names_after(text: &str, prefix: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut start = 0;
    while let Some(at) = text[start..].find(prefix) {
        let at = start + at;
        start = at + prefix.len();
        if text[..at].chars().next_back().is_some_and(|c| is_ident(c) || c == ':' || c == '$') {
            continue;
        }
        let line = text[..at].matches('\n').count() + 1;
        let rest = &text[start..];
        if let Some(group) = rest.strip_prefix('{') {
            // The top-level items of the group, each up to its first `::`.
            let (mut depth, mut item) = (0usize, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.push((line, item.clone()));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push((line, std::mem::take(&mut item)));
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 && c != '}' {
                    item.push(c);
                }
            }
        } else {
            found.push((line, rest.chars().take_while(|&c| is_ident(c)).collect()));
        }
    }
    found
        .into_iter()
        .map(|(line, item)| (line, item.trim().chars().take_while(|&c| is_ident(c)).collect::<String>()))
        // `super` again is a longer climb, which another prefix counts.
        .filter(|(_, name)| !name.is_empty() && name != "self" && name != "super")
        .collect()
}

/// Every reference between the child modules of `src/<parent>` (`""` for the crate root):
/// `crate::X` at the root; `crate::<parent>::X` and `super::…::X` that climbs to the parent
/// below it. `mod.rs`/`lib.rs` of the parent itself is left out: it declares the children.
fn references(src: &Path, parent: &str) -> Vec<Reference> {
    let dir = if parent.is_empty() { src.to_path_buf() } else { src.join(parent) };
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    // The children: `x.rs` and `x/`. A name that is none of them (an item of a file's own
    // inline module, reached with `super::`) is not a reference between children.
    let children: Vec<String> = std::fs::read_dir(&dir)
        .expect("readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|e| e == "rs"))
        .filter_map(|path| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&dir).expect("below the directory");
        let mut segments: Vec<String> =
            relative.iter().map(|s| s.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
        if segments.last().is_some_and(|s| s == "mod") {
            segments.pop();
        }
        let Some(module) = segments.first().cloned() else { continue };
        if ["lib", "main", "mod"].contains(&module.as_str()) {
            continue;
        }
        let text = without_comments(&std::fs::read_to_string(&file).expect("readable"));
        let mut names = Vec::new();
        if parent.is_empty() {
            names.extend(names_after(&text, "crate::"));
        } else {
            names.extend(names_after(&text, &format!("crate::{parent}::")));
            // `super::` once from src/sim/x.rs, twice from src/sim/x/y.rs, … reaches src/sim.
            names.extend(names_after(&text, &"super::".repeat(segments.len())));
        }
        for (line, to) in names {
            if to != module && children.contains(&to) {
                found.push(Reference { file: file.clone(), line, from: module.clone(), to });
            }
        }
    }
    found
}

/// The references that go up or sideways in `order`, or name a module it does not list.
fn violations(references: &[Reference], order: &[&str]) -> Vec<String> {
    let rank = |name: &str| order.iter().position(|m| *m == name);
    references
        .iter()
        .filter_map(|r| {
            let problem = match (rank(&r.from), rank(&r.to)) {
                (Some(from), Some(to)) if to < from => return None,
                (None, _) => format!("{} is in no layer", r.from),
                (_, None) => format!("{} is in no layer", r.to),
                _ => format!("{} → {}: {} is not below {}", r.from, r.to, r.to, r.from),
            };
            Some(format!("{}:{}: {problem}", r.file.display(), r.line))
        })
        .collect()
}

/// The names of a module file's `- [`x`]` / `- `x`` doc list, in order.
fn documented_order(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .expect("readable")
        .lines()
        .filter_map(|line| line.strip_prefix("//! - "))
        .filter_map(|item| item.trim_start_matches('[').strip_prefix('`'))
        .map(|item| item.chars().take_while(|&c| is_ident(c)).collect())
        .collect()
}

/// The `mod x;` declarations of a module file, sorted.
fn declared_modules(file: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_to_string(file)
        .expect("readable")
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("pub ").unwrap_or(line);
            let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
            line.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn sorted(order: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = order.iter().map(|&m| m.to_owned()).collect();
    names.sort();
    names
}

#[test]
fn lib_rs_lists_the_layers_in_this_order() {
    let lib = src().join("lib.rs");
    assert_eq!(declared_modules(&lib), sorted(LAYERS), "src/lib.rs declares other modules than LAYERS");
    assert_eq!(documented_order(&lib), LAYERS, "src/lib.rs's layer list is not LAYERS, bottom first");
}

#[test]
fn every_module_uses_only_modules_below_it() {
    let found = violations(&references(&src(), ""), LAYERS);
    assert!(found.is_empty(), "modules that reach up or sideways:\n{}", found.join("\n"));
}

#[test]
fn sim_mod_rs_lists_the_worlds_files_in_this_order() {
    let sim = src().join("sim/mod.rs");
    assert_eq!(declared_modules(&sim), sorted(SIM), "src/sim/mod.rs declares other files than SIM");
    assert_eq!(documented_order(&sim), SIM, "src/sim/mod.rs's list is not SIM, bottom first");
}

#[test]
fn every_file_of_the_world_uses_only_files_below_it() {
    let found = violations(&references(&src(), "sim"), SIM);
    assert!(found.is_empty(), "files of src/sim that reach up or sideways:\n{}", found.join("\n"));
}

#[test]
fn references_are_found_in_every_form() {
    let text = without_comments(
        "use crate::proto::Reply; // crate::ui\nuse crate::{engine, message::{self, fold}};\n\
         let x = crate::sim::f('\"'); /* crate::net */ $crate::scenario::g(crate::cli::h())\n",
    );
    let names: Vec<String> = names_after(&text, "crate::").into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["proto", "engine", "message", "sim", "cli"]);
    let inner =
        names_after("use super::super::{world::World, relay};\nsuper::super::super::x", "super::super::");
    assert_eq!(inner, [(1, "world".to_owned()), (1, "relay".to_owned())]);
}
