//! The native command line: the same core as the browser, printed in a terminal.
//!
//! ```text
//! smtp-playground lessons                 list the lessons, in learning-path order
//! smtp-playground lessons --export DIR    write the player's lesson data (built into the site)
//! smtp-playground run <lesson|file> [--json] [--transcript] [--steps] [--no-color]
//! smtp-playground check <file>            validate a scenario file
//! smtp-playground serve [--listen ADDR] [--imap ADDR] [--lesson ID | --scenario FILE] [--host NAME]
//!                       [--maildir DIR] [--idle-timeout SECS] [--command-timeout SECS]
//!                       [--data-timeout SECS] [--session-timeout SECS] [--handshake-timeout SECS]
//!                       [--max-connections N] [--max-per-address N]
//!                       [--allow-remote] [--no-color]
//! smtp-playground send --server HOST:PORT [--starttls] [--tls-ca FILE | --insecure]
//!                      [--auth USER:PASS] [--helo NAME] [--chunking] [--no-pipelining]
//!                      --from ADDR --to ADDR [--to ADDR …] [FILE | -]
//! ```
//!
//! `serve` runs one host of a scenario as a real SMTP server (by default the lesson
//! `telnet-session`'s `smtp.example.com`; `--host` picks another, else the first MX with an
//! SMTP server): its `ServerConfig` and `MailPolicy`, real STARTTLS with a certificate made at
//! start-up, each message stored once in `DIR/.messages/` and hard-linked to `DIR/<mailbox>/NNNNNN.eml`,
//! its 250 sent only once it is on disk; `--imap ADDR` lets the host's users read that mail
//! over IMAP4rev2 (RFC 9051) with STARTTLS, from the same process. The host's SPF/DKIM/DMARC
//! checks (`authenticate = true`) are not run: against a real client on loopback they would
//! judge 127.0.0.1 against the lesson's invented DNS. `send` delivers one message with the
//! simulated world's client; without `--starttls` it never tries TLS, with it TLS is required.
//! Both stream their transcript in `run`'s format; see [`stream`].

use std::fmt::Write as _;
use std::path::Path;

use crate::scenario::played::{self, Played};
use crate::scenario::{self, Scenario, lessons};
use crate::timeline::{StepKind, Timeline};
use crate::transcript::{WireLine, note_line, paint, wire_line};

/// Runs the CLI with `args` (without the program name); returns the text to print and
/// the exit code.
pub fn main(args: &[String]) -> (String, i32) {
    let color = !args.iter().any(|a| a == "--no-color");
    let positional: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with("--")).collect();
    let all: Vec<&str> = args.iter().map(String::as_str).filter(|a| *a != "--no-color").collect();
    if let ["lessons", "--export", dir] = all.as_slice() {
        return export_lessons(Path::new(dir));
    }
    match positional.as_slice() {
        ["lessons"] => (list_lessons(), 0),
        ["run", target] if target.ends_with(".json") => match load_recording(target) {
            Ok(played) if args.iter().any(|a| a == "--transcript") => {
                (transcript(&played.timeline, args.iter().any(|a| a == "--json")), 0)
            }
            Ok(played) => (render(&played.title, &played.timeline, color), 0),
            Err(message) => (message, 1),
        },
        ["run", target] => match load(target) {
            Ok(scenario) => {
                let timeline = scenario.run();
                if args.iter().any(|a| a == "--steps") {
                    (list_steps(&scenario, &timeline), 0)
                } else if args.iter().any(|a| a == "--transcript") {
                    (transcript(&timeline, args.iter().any(|a| a == "--json")), 0)
                } else if args.iter().any(|a| a == "--json") {
                    match serde_json::to_string_pretty(&timeline) {
                        Ok(json) => (json + "\n", 0),
                        Err(e) => (format!("error: {e}\n"), 1),
                    }
                } else {
                    (render(&scenario.title, &timeline, color), 0)
                }
            }
            Err(message) => (message, 1),
        },
        ["check", target] => match load(target) {
            Ok(scenario) => match scenario.run_checked().1.as_slice() {
                [] => (
                    format!(
                        "ok: {} ({} hosts, {} actions, {} notes)\n",
                        scenario.title,
                        scenario.world.hosts.len(),
                        scenario.world.actions.len(),
                        scenario.narrative.notes.len()
                    ),
                    0,
                ),
                errors => (
                    errors
                        .iter()
                        .map(|e| format!("{target}:{}:{}: {}\n", e.line, e.column, e.message))
                        .collect(),
                    1,
                ),
            },
            Err(message) => (message, 1),
        },
        _ => (
            USAGE.to_owned(),
            if positional.is_empty() || args.iter().any(|a| a == "--help") { 0 } else { 2 },
        ),
    }
}

const USAGE: &str = "smtp-playground: see email work\n\n\
usage:\n  smtp-playground lessons                  list the lessons, in learning-path order\n  \
smtp-playground lessons --export DIR     write each lesson's run as the page's static data (DIR/ID.json, DIR/ID.toml, DIR/index.json)\n  \
smtp-playground run <lesson|file.toml>   print a lesson's timeline (--json for JSON, --transcript for the player's lines, as JSON with --json, --no-color)\n  \
smtp-playground run <lesson|file> --steps   each step as a [[note]] picks it, and whether a note explains it\n  \
smtp-playground run <recording.json>     print a recording's transcript (--transcript --json as the player's lines)\n  \
smtp-playground check <file.toml>        validate a scenario file\n  \
smtp-playground serve [options]          a lesson's server on a real port (Ctrl-C stops it)\n    \
--listen ADDR          where to listen (default 127.0.0.1:2525; port 0 picks one)\n    \
--imap ADDR            serve IMAP4rev2 there too (e.g. 127.0.0.1:1143): the host's users read\n                           their mail with the lesson's passwords, LOGIN only after STARTTLS\n    \
--lesson ID | --scenario FILE   whose server (default: the lesson telnet-session)\n    \
--host NAME            which host of the scenario (default: the first MX with smtp)\n    \
--maildir DIR          where messages and server-cert.pem go (default ./smtp-playground-mail)\n    \
--idle-timeout SECS    421 after this long without input (default 300; IMAP: * BYE, and\n                           at least 30 minutes once logged in, RFC 9051 §5.4)\n    \
--command-timeout SECS 421 when one command line takes longer than this, however it trickles (default 300;\n                           IMAP: * BYE, the command's literals included)\n    \
--data-timeout SECS    421 when the message data takes longer than this (default 600)\n    \
--session-timeout SECS 421 when a session lasts longer than this (default 1800)\n    \
--handshake-timeout SECS  give up a STARTTLS handshake after this long (default 30)\n    \
--max-connections N    421 to connections over this (default 256; SMTP and IMAP together)\n    \
--max-per-address N    421 to a client address with this many open already (default: half of --max-connections)\n    \
--log LEVEL            what to print of each session: off, sessions (one line each), commands\n                           (the default: commands, replies and notes; a message's content as its size)\n                           or transcript (every line, the content too)\n    \
--quiet                the same as --log off\n    \
--record DIR           write each SMTP (and IMAP) session to DIR as a recording the player opens (passwords masked)\n    \
--allow-remote         listen on a non-loopback address too (--listen and --imap)\n  \
smtp-playground send --server HOST:PORT --from ADDR --to ADDR [--to ADDR ...] [FILE | -]\n    \
--starttls             require TLS (without it, TLS is never tried), with one of:\n    \
--tls-ca FILE          trust the certificate(s) in this PEM file (e.g. serve's server-cert.pem)\n    \
--insecure             accept any certificate (encrypted, not authenticated)\n    \
--auth USER:PASS       AUTH PLAIN or LOGIN, as the server offers\n    \
--helo NAME            the EHLO name (default: the local address as [a.b.c.d])\n    \
--chunking             send with BDAT when offered; --no-pipelining: one command at a time\n    \
--from \"\"             the null reverse-path <>; the message is read from FILE or stdin\n    \
--record FILE          also write the session to FILE as a recording the player opens (passwords masked)\n    \
exit: 0 accepted for every recipient, 1 refused for some, 2 usage, 3 connection or TLS error\n";

/// Exactly `Timeline::transcript()`, what the player's transcript shows, a line each; with
/// `json` as a JSON array, since a line may hold a bare LF.
fn transcript(timeline: &Timeline, json: bool) -> String {
    let lines = timeline.transcript();
    if json {
        serde_json::to_string(&lines).unwrap_or_default() + "\n"
    } else {
        lines.iter().map(|line| format!("{line}\n")).collect()
    }
}

/// A recording (`serve --record`, `send --record`) or any run in the player's format, read
/// and checked as the player reads it.
fn load_recording(target: &str) -> Result<Played, String> {
    let json = std::fs::read_to_string(target).map_err(|e| format!("{target}: {e}\n"))?;
    let played: Played = serde_json::from_str(&json)
        .map_err(|e| format!("{target}:{}:{}: not a recording: {e}\n", e.line(), e.column()))?;
    scenario::recording::check(&played).map_err(|e| format!("{target}: {e}\n"))?;
    Ok(played)
}

fn load(target: &str) -> Result<Scenario, String> {
    if let Some(lesson) = lessons::get(target) {
        return scenario::parse(lesson.source).map_err(|e| format!("lesson {target}: {e}\n"));
    }
    let text = std::fs::read_to_string(target)
        .map_err(|e| format!("{target}: {e} (and no lesson has that id; try `smtp-playground lessons`)\n"))?;
    scenario::parse(&text).map_err(|e| format!("{target}:{}:{}: {}\n", e.line, e.column, e.message))
}

/// Each step with what a `[[note]]` selects it by (kind, from, to, code) and, after `*`, that
/// a note explains it: what a lesson author writes notes against.
fn list_steps(scenario: &Scenario, timeline: &Timeline) -> String {
    let covered = scenario.narrative.coverage(timeline);
    let mut out = String::new();
    for (i, step) in timeline.steps.iter().enumerate() {
        let mark = if covered.get(i).copied().unwrap_or(false) { '*' } else { ' ' };
        let code = step.code.map(|c| format!(" code={c}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "{mark}{:>4} {:<13} {} → {}{code}  {}",
            i + 1,
            step.kind.key(),
            step.from,
            step.to,
            step.summary
        );
    }
    out
}

/// Writes the player's static lesson data into `dir`: `index.json` (the picker's list by
/// topic), and for every lesson `ID.json` (its [`Played`] run, without the text) and
/// `ID.toml` (its scenario's text, for the full player). The page plays a lesson from its
/// JSON alone; the simulator module is fetched only for the lab and share links.
fn export_lessons(dir: &Path) -> (String, i32) {
    let mut files =
        vec![("index.json".to_owned(), serde_json::to_string(&played::index()).unwrap_or_default())];
    for lesson in lessons::path() {
        match Played::lesson(lesson.id) {
            Some(run) => {
                files.push((format!("{}.json", lesson.id), run.lesson_data()));
                files.push((format!("{}.toml", lesson.id), run.source));
            }
            None => return (format!("lesson {} does not load: run `check` on it\n", lesson.id), 1),
        }
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        return (format!("cannot create {}: {e}\n", dir.display()), 1);
    }
    let mut octets = 0;
    for (name, json) in &files {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, json) {
            return (format!("cannot write {}: {e}\n", path.display()), 1);
        }
        octets += json.len();
    }
    (format!("wrote {} files ({octets} octets) to {}\n", files.len(), dir.display()), 0)
}

/// The lessons in the order of the learning path ([`lessons::PATH`]).
fn list_lessons() -> String {
    let mut out = String::new();
    for lesson in lessons::path() {
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
pub fn render(title: &str, timeline: &Timeline, color: bool) -> String {
    let paint = |code: &str, text: &str| paint(color, code, text);
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint("1", title));
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
        let route = if step.from == step.to {
            step.from.to_string()
        } else {
            format!("{} → {}", step.from, step.to)
        };
        match (&step.wire, step.kind) {
            (
                Some(wire),
                StepKind::Command
                | StepKind::Data
                | StepKind::Reply
                | StepKind::Retrieval
                | StepKind::ImapCommand
                | StepKind::ImapResponse,
            ) => {
                let line = match step.kind {
                    StepKind::Reply => WireLine::Reply(step.code),
                    StepKind::Retrieval if step.is_pop3_response() => WireLine::Retrieval,
                    StepKind::ImapResponse => WireLine::Retrieval,
                    _ => WireLine::Client,
                };
                for text in wire.split_terminator("\r\n") {
                    out.push_str(&wire_line(color, step.time, &route, step.tls, line, text));
                }
            }
            _ => out.push_str(&note_line(color, step.time, &route, &step.summary)),
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

/// Runs `serve` or `send`, which print as they go instead of returning their text; `None`
/// for any other command (then [`main`] answers).
pub fn stream(args: &[String]) -> Option<i32> {
    let (command, rest) = args.split_first()?;
    let result = match command.as_str() {
        "serve" => serve_options(rest).map(|options| options.map(crate::net::serve)),
        "send" => send_options(rest)
            .map(|options| options.map(|options| crate::net::send(options, &mut std::io::stderr()))),
        _ => return None,
    };
    Some(match result {
        Ok(Some(code)) => code,
        Ok(None) => {
            print!("{USAGE}");
            0
        }
        Err(message) => {
            eprintln!("error: {message}\n(see `smtp-playground --help`)");
            2
        }
    })
}

/// Options as given: `--name value`, `--name=value`, switches, and the rest.
#[derive(Debug, Default)]
struct Options {
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
    positional: Vec<String>,
    help: bool,
}

impl Options {
    fn parse(args: &[String], valued: &[&'static str], switches: &[&'static str]) -> Result<Self, String> {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                options.help = true;
                continue;
            }
            if !arg.starts_with("--") {
                options.positional.push(arg.clone());
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (arg.as_str(), None),
            };
            if let Some(&known) = valued.iter().find(|v| **v == name) {
                let value = match inline {
                    Some(value) => value,
                    None => args.next().cloned().ok_or_else(|| format!("{name} needs a value"))?,
                };
                options.values.push((known, value));
            } else if let Some(&known) = switches.iter().find(|v| **v == name) {
                if inline.is_some() {
                    return Err(format!("{name} takes no value"));
                }
                options.switches.push(known);
            } else {
                return Err(format!("unknown option {name}"));
            }
        }
        Ok(options)
    }

    /// The value of an option given at most once.
    fn value(&self, name: &str) -> Result<Option<&str>, String> {
        let mut found = self.values.iter().filter(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(format!("{name} is given twice"));
        }
        Ok(first)
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.values.iter().filter(move |(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    fn switch(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    fn number<T>(&self, name: &str, default: T, min: T) -> Result<T, String>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display,
    {
        let Some(text) = self.value(name)? else { return Ok(default) };
        match text.parse::<T>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(format!("{name} {text:?}: expected a whole number of at least {min}")),
        }
    }
}

/// `serve --max-connections` unless told.
const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// `serve`'s options; `None` for `--help`.
fn serve_options(args: &[String]) -> Result<Option<crate::net::ServeOptions>, String> {
    let options = Options::parse(
        args,
        &[
            "--listen",
            "--imap",
            "--lesson",
            "--scenario",
            "--host",
            "--maildir",
            "--idle-timeout",
            "--command-timeout",
            "--data-timeout",
            "--session-timeout",
            "--handshake-timeout",
            "--max-connections",
            "--max-per-address",
            "--log",
            "--record",
        ],
        &["--no-color", "--allow-remote", "--quiet"],
    )?;
    if options.help {
        return Ok(None);
    }
    if let Some(extra) = options.positional.first() {
        return Err(format!("serve takes no argument {extra:?}: use --lesson ID or --scenario FILE"));
    }
    let address = |name: &str, text: &str, example: &str| match text.parse::<std::net::SocketAddr>() {
        Ok(address) => Ok(address),
        Err(_) => std::net::ToSocketAddrs::to_socket_addrs(text)
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| format!("{name} {text:?}: expected IP:PORT, e.g. {example}")),
    };
    let listen =
        address("--listen", options.value("--listen")?.unwrap_or("127.0.0.1:2525"), "127.0.0.1:2525")?;
    let imap = match options.value("--imap")? {
        Some(text) => Some(address("--imap", text, "127.0.0.1:1143")?),
        None => None,
    };
    let (source, scenario, text) = match (options.value("--lesson")?, options.value("--scenario")?) {
        (Some(_), Some(_)) => return Err("give --lesson or --scenario, not both".into()),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            let scenario = scenario::parse(&text)
                .map_err(|e| format!("{file}:{}:{}: {}", e.line, e.column, e.message))?;
            (format!("scenario {file}"), scenario, text)
        }
        (lesson, None) => {
            let id = lesson.unwrap_or("telnet-session");
            let lesson = lessons::get(id)
                .ok_or_else(|| format!("no lesson {id:?}; `smtp-playground lessons` lists them"))?;
            let scenario = scenario::parse(lesson.source).map_err(|e| format!("lesson {id}: {e}"))?;
            (format!("lesson {id}"), scenario, lesson.source.to_owned())
        }
    };
    let host = crate::net::pick_host(&scenario.world, options.value("--host")?)?;
    let config = host.smtp.clone().ok_or_else(|| format!("host {} runs no SMTP server", host.name))?;
    if host.auth.authenticate {
        eprintln!(
            "note: {} checks SPF, DKIM and DMARC in the simulation; serve skips those checks \
             (the lesson's DNS does not describe real clients on loopback)",
            host.name
        );
    }
    let idle: u64 = options.number("--idle-timeout", 300, 1)?;
    let log = match (options.value("--log")?, options.switch("--quiet")) {
        (Some(_), true) => return Err("give --log or --quiet, not both".into()),
        (None, true) => crate::net::LogLevel::Off,
        (None, false) => crate::net::LogLevel::default(),
        (Some(name), false) => crate::net::LogLevel::from_name(name).ok_or_else(|| {
            format!("--log {name:?}: expected one of {}", crate::net::LogLevel::NAMES.join(", "))
        })?,
    };
    // Enough for a load tool's usual 100 parallel sessions (Postfix's smtp-source -s 100),
    // one thread each; --max-per-address keeps any one client to half of them.
    let max_connections = options.number("--max-connections", DEFAULT_MAX_CONNECTIONS, 1)?;
    Ok(Some(crate::net::ServeOptions {
        listen,
        imap,
        allow_remote: options.switch("--allow-remote"),
        source,
        config,
        policy: host.policy.clone(),
        maildir: options.value("--maildir")?.unwrap_or("smtp-playground-mail").into(),
        idle_timeout: std::time::Duration::from_secs(idle),
        limits: {
            let default = crate::net::Limits::default();
            let seconds = |name: &str, default: std::time::Duration| {
                options.number(name, default.as_secs(), 1).map(std::time::Duration::from_secs)
            };
            crate::net::Limits {
                command: seconds("--command-timeout", default.command)?,
                data: seconds("--data-timeout", default.data)?,
                session: seconds("--session-timeout", default.session)?,
                handshake: seconds("--handshake-timeout", default.handshake)?,
                // Half the slots by default, as Postfix's smtpd_client_connection_count_limit
                // (50 of 100): a load tool on one address is served, and never takes them all.
                per_address: options.number("--max-per-address", (max_connections / 2).max(1), 1)?,
            }
        },
        max_connections,
        color: !options.switch("--no-color"),
        log,
        record: options.value("--record")?.map(Into::into),
        world: (text, host.name.clone()),
    }))
}

/// `send`'s options and message; `None` for `--help`.
fn send_options(args: &[String]) -> Result<Option<crate::net::SendOptions>, String> {
    use crate::net::tls::Trust;
    use crate::proto::{ForwardPath, Host, ReversePath};
    let options = Options::parse(
        args,
        &["--server", "--tls-ca", "--auth", "--helo", "--from", "--to", "--record"],
        &["--starttls", "--insecure", "--chunking", "--no-pipelining", "--no-color"],
    )?;
    if options.help {
        return Ok(None);
    }
    let server = options.value("--server")?.ok_or("--server HOST:PORT is required")?;
    if server.rsplit_once(':').is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err()) {
        return Err(format!("--server {server:?}: expected HOST:PORT, e.g. 127.0.0.1:2525"));
    }
    let tls = match (options.switch("--starttls"), options.value("--tls-ca")?, options.switch("--insecure")) {
        (false, None, false) => None,
        (false, _, _) => return Err("--tls-ca and --insecure go with --starttls".into()),
        (true, Some(_), true) => return Err("give --tls-ca FILE or --insecure, not both".into()),
        (true, Some(file), false) => Some(Trust::CaFile(file.into())),
        (true, None, true) => Some(Trust::Insecure),
        (true, None, false) => {
            return Err("--starttls needs --tls-ca FILE (the server's certificate or CA, in PEM) or \
                        --insecure: no public CA roots are used here"
                .into());
        }
    };
    let credentials = match options.value("--auth")? {
        Some(text) => {
            let (user, password) = text.split_once(':').ok_or("--auth: expected USER:PASS")?;
            Some(crate::engine::Credentials { user: user.to_owned(), password: password.to_owned() })
        }
        None => None,
    };
    let helo = match options.value("--helo")? {
        Some(name) => Some(name.parse::<Host>().map_err(|e| format!("--helo: {e}"))?),
        None => None,
    };
    let bracket = |a: &str| if a.starts_with('<') { a.to_owned() } else { format!("<{a}>") };
    let from_text = options.value("--from")?.ok_or("--from ADDR is required (--from \"\" for <>)")?;
    let from = if from_text.is_empty() {
        ReversePath::Null
    } else {
        bracket(from_text).parse::<ReversePath>().map_err(|e| format!("--from: {e}"))?
    };
    let to: Vec<ForwardPath> = options
        .all("--to")
        .map(|a| bracket(a).parse::<ForwardPath>().map_err(|e| format!("--to: {e}")))
        .collect::<Result<_, _>>()?;
    if to.is_empty() {
        return Err("at least one --to ADDR is required".into());
    }
    let message = match options.positional.as_slice() {
        [] => read_stdin()?,
        [file] if file == "-" => read_stdin()?,
        [file] => std::fs::read(file).map_err(|e| format!("{file}: {e}"))?,
        [_, extra, ..] => return Err(format!("one message file only (also got {extra:?})")),
    };
    Ok(Some(crate::net::SendOptions {
        server: server.to_owned(),
        tls,
        credentials,
        helo,
        chunking: options.switch("--chunking"),
        pipelining: !options.switch("--no-pipelining"),
        from,
        to,
        message,
        color: !options.switch("--no-color"),
        record: options.value("--record")?.map(Into::into),
    }))
}

fn read_stdin() -> Result<Vec<u8>, String> {
    let mut message = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut message).map_err(|e| format!("stdin: {e}"))?;
    Ok(message)
}
