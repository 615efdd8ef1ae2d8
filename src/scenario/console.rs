//! The console: a learner types SMTP lines at a server of the current world, and the
//! world runs again with that session in it, so the typed lines, the server's replies and
//! whatever the server accepted (relayed, looked up in DNS, delivered) all show in the
//! timeline like any lesson's traffic.
//!
//! For the UI: keep the lines typed so far; on Enter, append the line and call
//! [`console_scenario`] with the scenario text, the server picked from [`console_servers`]
//! and all the lines, then run the result and show it. The console's lane is
//! [`CONSOLE_LANE`]. For Tab, call [`completions`] with the input and
//! [`advertised_extensions`] of the last run. Lines are sent one at a time, each once the
//! replies to the one before have arrived (telnet-style, [`crate::sim::Action::Type`]):
//! after DATA's 354 every line is message text until a lone `.`; once the server has closed
//! the connection (after QUIT's 221, or a 421) the remaining lines are not sent and a step
//! says so; a line over 512 octets gets the server's `500 5.5.0`.

use std::net::{IpAddr, Ipv4Addr};

use super::{MAX_WRITES, Scenario, ScenarioError};
use crate::engine::MailPolicy;
use crate::proto::command::known_verb_prefixes;
use crate::proto::reply::parse_reply;
use crate::proto::{EhloReply, Verb};
use crate::sim::whatif::command_verb;
use crate::sim::{Action, HostConfig, HostRole};
use crate::timeline::{StepKind, Timeline};

/// The console client's lane and host name.
pub const CONSOLE_LANE: &str = "you (console)";

/// The scenario of `source` with one more actor: the console at an unused address of
/// 192.0.2.0/24 (TEST-NET-1, RFC 5737), which connects to `server` at time 0 and types
/// `lines`, CRLF added to each. A line holding CR or LF is sent as it is, so the server
/// sees what a raw socket would carry.
pub fn console_scenario(source: &str, server: &str, lines: &[String]) -> Result<Scenario, ScenarioError> {
    let mut scenario = super::parse(source)?;
    let problem = |message: String| ScenarioError { line: 1, column: 1, message };
    let hosts = &scenario.world.hosts;
    let Some(target) = hosts.iter().find(|h| h.name.eq_ignore_ascii_case(server)) else {
        return Err(problem(format!(
            "no host is named {server:?}; the SMTP servers are: {}",
            console_servers(&scenario).join(", ")
        )));
    };
    if target.smtp.is_none() {
        return Err(problem(format!(
            "{server:?} runs no SMTP server; the SMTP servers are: {}",
            console_servers(&scenario).join(", ")
        )));
    }
    let server = target.name.clone();
    if lines.len() > MAX_WRITES {
        return Err(problem(format!("too many lines: {} (the limit is {MAX_WRITES})", lines.len())));
    }
    if hosts.iter().any(|h| h.name.eq_ignore_ascii_case(CONSOLE_LANE)) {
        return Err(problem(format!("the world already has a host named {CONSOLE_LANE:?}")));
    }
    let ip = (1..=254u8)
        .rev()
        .map(|n| IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)))
        .find(|ip| !hosts.iter().any(|h| h.ip == *ip))
        .ok_or_else(|| problem("every address of 192.0.2.0/24 is taken: no room for the console".into()))?;
    scenario.world.hosts.push(HostConfig {
        name: CONSOLE_LANE.to_owned(),
        role: HostRole::Client,
        ip,
        smtp: None,
        policy: MailPolicy::default(),
        down: Vec::new(),
        auth: Default::default(),
        lists: Default::default(),
    });
    let writes = lines.iter().map(|line| format!("{line}\r\n").into_bytes()).collect();
    scenario.world.actions.push(Action::Type {
        at: 0,
        client: CONSOLE_LANE.to_owned(),
        server,
        port: 25,
        writes,
    });
    Ok(scenario)
}

/// The hosts a learner can type at: those that run an SMTP server, in file order.
pub fn console_servers(scenario: &Scenario) -> Vec<String> {
    scenario.world.hosts.iter().filter(|h| h.smtp.is_some()).map(|h| h.name.clone()).collect()
}

/// The EHLO keywords (with their parameters, e.g. `SIZE 10240000`, `AUTH PLAIN LOGIN`) of
/// the last positive EHLO reply that `console_lane` received in `timeline` — after STARTTLS
/// that is the second one, as RFC 3207 §4.2 wants. Empty before any EHLO.
pub fn advertised_extensions(timeline: &Timeline, console_lane: &str) -> Vec<String> {
    let mut last_verb = None;
    let mut advertised = Vec::new();
    for step in &timeline.steps {
        if step.kind == StepKind::Command && *step.from == *console_lane {
            last_verb = command_verb(step);
        }
        if step.kind == StepKind::Reply && *step.to == *console_lane && last_verb == Some(Verb::Ehlo) {
            let ehlo = step
                .wire
                .as_deref()
                .and_then(|w| parse_reply(w.as_bytes()))
                .and_then(|r| EhloReply::from_reply(&r));
            if let Some(ehlo) = ehlo {
                advertised = ehlo.capabilities.iter().map(ToString::to_string).collect();
            }
        }
    }
    advertised
}

/// Completions of the console's input `prefix`, as whole lines to put in the input:
/// - a verb being typed: the verbs it starts ([`known_verb_prefixes`]), MAIL and RCPT with
///   their `FROM:<` / `TO:<`;
/// - after `MAIL FROM:<…>` or `RCPT TO:<…>` and a space: the ESMTP parameters of the
///   extensions in `advertised` (from [`advertised_extensions`]) that start the last word:
///   `SIZE=` (SIZE), `BODY=8BITMIME` (8BITMIME), `SMTPUTF8` (SMTPUTF8), `RET=`, `ENVID=`,
///   `NOTIFY=`, `ORCPT=rfc822;` (DSN), `AUTH=<>` (AUTH), `BODY=BINARYMIME` (BINARYMIME);
/// - after `AUTH `: the advertised mechanisms.
///
/// Nothing for anything else (a verb's other arguments are the learner's to write).
pub fn completions(prefix: &str, advertised: &[String]) -> Vec<String> {
    let offered = |keyword: &str| {
        advertised.iter().find(|line| line.split(' ').next().is_some_and(|k| k.eq_ignore_ascii_case(keyword)))
    };
    let Some((verb, rest)) = prefix.split_once(' ') else {
        return known_verb_prefixes(prefix)
            .into_iter()
            .map(|v| match v {
                Verb::Mail => "MAIL FROM:<".to_owned(),
                Verb::Rcpt => "RCPT TO:<".to_owned(),
                other => other.as_str().to_owned(),
            })
            .collect();
    };
    let upper = verb.to_ascii_uppercase();
    if upper == "AUTH" && !rest.contains(' ') {
        let mechanisms =
            offered("AUTH").map(|line| line.split(' ').skip(1).collect::<Vec<_>>()).unwrap_or_default();
        return mechanisms
            .into_iter()
            .filter(|m| m.to_ascii_uppercase().starts_with(&rest.to_ascii_uppercase()))
            .map(|m| format!("{verb} {m}"))
            .collect();
    }
    let mail = upper == "MAIL";
    if !(mail || upper == "RCPT") {
        return Vec::new();
    }
    // Parameters come after the path's closing '>'.
    let Some(close) = rest.find('>') else { return Vec::new() };
    let after = &rest[close + 1..];
    if !after.starts_with(' ') {
        return Vec::new();
    }
    let (done, partial) = match prefix.rfind(' ') {
        Some(i) if i > verb.len() + 1 + close => (&prefix[..=i], &prefix[i + 1..]),
        _ => return Vec::new(),
    };
    let mut candidates: Vec<&str> = Vec::new();
    if mail {
        if offered("SIZE").is_some() {
            candidates.push("SIZE=");
        }
        if offered("8BITMIME").is_some() {
            candidates.extend(["BODY=8BITMIME", "BODY=7BIT"]);
        }
        if offered("BINARYMIME").is_some() {
            candidates.push("BODY=BINARYMIME");
        }
        if offered("SMTPUTF8").is_some() {
            candidates.push("SMTPUTF8");
        }
        if offered("DSN").is_some() {
            candidates.extend(["RET=FULL", "RET=HDRS", "ENVID="]);
        }
        if offered("AUTH").is_some() {
            candidates.push("AUTH=<>");
        }
    } else if offered("DSN").is_some() {
        candidates.extend(["NOTIFY=", "NOTIFY=SUCCESS,FAILURE", "NOTIFY=NEVER", "ORCPT=rfc822;"]);
    }
    let used: Vec<String> =
        after.split(' ').filter_map(|w| w.split('=').next()).map(str::to_ascii_uppercase).collect();
    candidates
        .into_iter()
        .filter(|c| {
            let keyword = c.split('=').next().unwrap_or(c);
            c.to_ascii_uppercase().starts_with(&partial.to_ascii_uppercase())
                && !used[..used.len().saturating_sub(1)].iter().any(|u| u == keyword)
        })
        .map(|c| format!("{done}{c}"))
        .collect()
}
