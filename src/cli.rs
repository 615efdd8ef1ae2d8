//! The native command line: the same core as the browser, printed in a terminal.
//!
//! ```text
//! smtp-playground lessons                 list the lessons
//! smtp-playground run <lesson|file> [--json] [--transcript] [--no-color]
//! smtp-playground check <file>            validate a scenario file
//! ```

use std::fmt::Write as _;

use crate::scenario::{self, Scenario, lessons};
use crate::sim::{StepKind, Timeline, timeline::format_time};

/// Runs the CLI with `args` (without the program name); returns the text to print and
/// the exit code.
pub fn main(args: &[String]) -> (String, i32) {
    let color = !args.iter().any(|a| a == "--no-color");
    let positional: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with("--")).collect();
    match positional.as_slice() {
        ["lessons"] => (list_lessons(), 0),
        ["run", target] => match load(target) {
            Ok(scenario) => {
                let timeline = scenario.run();
                if args.iter().any(|a| a == "--transcript") {
                    // Exactly `Timeline::transcript()`, what the player's transcript shows; with
                    // --json as a JSON array, since a line may hold a bare LF.
                    let lines = timeline.transcript();
                    if args.iter().any(|a| a == "--json") {
                        (serde_json::to_string(&lines).unwrap_or_default() + "\n", 0)
                    } else {
                        (lines.iter().map(|line| format!("{line}\n")).collect(), 0)
                    }
                } else if args.iter().any(|a| a == "--json") {
                    match serde_json::to_string_pretty(&timeline) {
                        Ok(json) => (json + "\n", 0),
                        Err(e) => (format!("error: {e}\n"), 1),
                    }
                } else {
                    (render(&scenario, &timeline, color), 0)
                }
            }
            Err(message) => (message, 1),
        },
        ["check", target] => match load(target) {
            Ok(scenario) => (
                format!(
                    "ok: {} ({} hosts, {} actions)\n",
                    scenario.title,
                    scenario.world.hosts.len(),
                    scenario.world.actions.len()
                ),
                0,
            ),
            Err(message) => (message, 1),
        },
        _ => (
            USAGE.to_owned(),
            if positional.is_empty() || args.iter().any(|a| a == "--help") { 0 } else { 2 },
        ),
    }
}

const USAGE: &str = "smtp-playground: see email work\n\n\
usage:\n  smtp-playground lessons                  list the lessons\n  \
smtp-playground run <lesson|file.toml>   print a lesson's timeline (--json for JSON, --transcript for the player's lines, as JSON with --json, --no-color)\n  \
smtp-playground check <file.toml>        validate a scenario file\n";

fn load(target: &str) -> Result<Scenario, String> {
    if let Some(lesson) = lessons::get(target) {
        return scenario::parse(lesson.source).map_err(|e| format!("lesson {target}: {e}\n"));
    }
    let text = std::fs::read_to_string(target)
        .map_err(|e| format!("{target}: {e} (and no lesson has that id; try `smtp-playground lessons`)\n"))?;
    scenario::parse(&text).map_err(|e| format!("{target}:{}:{}: {}\n", e.line, e.column, e.message))
}

fn list_lessons() -> String {
    let mut out = String::new();
    for lesson in lessons::ALL {
        match scenario::parse(lesson.source) {
            Ok(s) => {
                let _ = writeln!(out, "{:<22} {:<17} {}", lesson.id, s.topic.unwrap_or_default(), s.title);
            }
            Err(e) => {
                let _ = writeln!(out, "{:<22} (broken: {e})", lesson.id);
            }
        }
    }
    out
}

/// A readable transcript with lanes named: `time  from → to  C:/S: line`.
pub fn render(scenario: &Scenario, timeline: &Timeline, color: bool) -> String {
    let paint =
        |code: &str, text: &str| if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() };
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint("1", &scenario.title));
    for lane in &timeline.lanes {
        let _ = writeln!(
            out,
            "  lane {:<24} {}{}",
            lane.name,
            lane.role,
            lane.ip.as_ref().map(|ip| format!(" ({ip})")).unwrap_or_default()
        );
    }
    out.push('\n');
    for step in &timeline.steps {
        let when = format!("{:>12}", format_time(step.time));
        let route =
            if step.from == step.to { step.from.clone() } else { format!("{} → {}", step.from, step.to) };
        let tls = if step.tls { "~" } else { " " };
        match (&step.wire, step.kind) {
            (Some(wire), StepKind::Command | StepKind::Data | StepKind::Reply | StepKind::Retrieval) => {
                let (prefix, code) = match step.kind {
                    StepKind::Reply => ("S:", reply_color(step.code)),
                    StepKind::Retrieval if step.code.is_some() => ("S:", "36"),
                    _ => ("C:", "34"),
                };
                for line in wire.split_terminator("\r\n") {
                    let _ = writeln!(
                        out,
                        "{} {:<40} {tls}{}",
                        paint("2", &when),
                        route,
                        paint(code, &format!("{prefix} {line}"))
                    );
                }
            }
            _ => {
                let _ = writeln!(
                    out,
                    "{} {:<40} {}",
                    paint("2", &when),
                    route,
                    paint("33", &format!("-- {}", step.summary))
                );
            }
        }
    }
    let outcome = &timeline.outcome;
    out.push('\n');
    for (mailbox, count) in &outcome.delivered {
        let _ = writeln!(out, "delivered: {mailbox} ({count} message{})", if *count == 1 { "" } else { "s" });
    }
    for dsn in &outcome.dsns {
        let _ = writeln!(out, "dsn: {dsn}");
    }
    if outcome.queued > 0 {
        let _ = writeln!(out, "still queued: {}", outcome.queued);
    }
    if outcome.truncated {
        let _ = writeln!(out, "(stopped at the step or time limit)");
    }
    out
}

fn reply_color(code: Option<u16>) -> &'static str {
    match code.map(|c| c / 100) {
        Some(2) => "32",
        Some(3) => "36",
        Some(4) => "33",
        _ => "31",
    }
}
