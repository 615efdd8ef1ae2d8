//! Scenarios: a documented TOML format for a world (hosts, DNS, policies, faults) and
//! what its actors do, turned into a [`WorldConfig`] the simulation runs. Bad files get a
//! [`ScenarioError`] with a line and column and what was expected, never a panic; size
//! and step limits keep any file — pasted, linked or typed — from hanging the page.

pub mod format;
pub mod lessons;

use std::fmt;
use std::net::IpAddr;

use crate::engine::{
    ClientConfig, Credentials, Envelope, MailPolicy, MailboxState, Recipient, ServerConfig, TlsMode,
    TranscriptLine,
};
use crate::proto::{ForwardPath, Host, MailParameters, Notify, RcptParameters, Ret, ReversePath};
use crate::sim::dns::{Record, Zone};
use crate::sim::timeline::Millis;
use crate::sim::{Action, HostConfig, HostRole, RetrySchedule, Timeline, World, WorldConfig};
use format::ScenarioFile;

/// The largest scenario file accepted, in octets.
pub const MAX_SCENARIO_OCTETS: usize = 256 * 1024;
/// The most hosts, actions and typed writes a scenario may have.
pub const MAX_HOSTS: usize = 24;
pub const MAX_ACTIONS: usize = 64;
pub const MAX_WRITES: usize = 400;
/// The most steps a run may produce.
pub const MAX_STEPS: usize = 5_000;

/// A scenario file that failed to load: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// 1-based line and column.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// A loaded scenario: its description and the world to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub title: String,
    pub description: String,
    pub topic: Option<String>,
    pub expect: Option<format::Expect>,
    pub try_next: Vec<format::TryNext>,
    pub world: WorldConfig,
}

impl Scenario {
    /// Runs the world and returns its timeline.
    pub fn run(&self) -> Timeline {
        World::new(self.world.clone()).run()
    }
}

/// Parses a scenario file.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    if text.len() > MAX_SCENARIO_OCTETS {
        return Err(ScenarioError {
            line: 1,
            column: 1,
            message: format!("the file is {} octets; the limit is {MAX_SCENARIO_OCTETS}", text.len()),
        });
    }
    let file: ScenarioFile = basic_toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    Builder { text, file: &file }.build()
}

/// Turns a TOML error into a located one (basic-toml gives 0-based positions; errors
/// from serde without a position are located by the key they name, if any).
fn toml_error(text: &str, error: &basic_toml::Error) -> ScenarioError {
    let message = error.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    if let Some((line, column)) = error.line_col() {
        return ScenarioError { line: line + 1, column: column + 1, message };
    }
    let key = message.split('`').nth(1).unwrap_or_default();
    let (line, column) = if key.is_empty() { (1, 1) } else { find(text, 0, key).unwrap_or((1, 1)) };
    ScenarioError { line, column, message }
}

/// The 1-based position of `needle` at or after line `from_line` (0-based).
fn find(text: &str, from_line: usize, needle: &str) -> Option<(usize, usize)> {
    text.lines()
        .enumerate()
        .skip(from_line)
        .find_map(|(i, line)| line.find(needle).map(|c| (i + 1, line[..c].chars().count() + 1)))
}

/// `5m`, `2h30m`, `250ms`, `1d`, `0s`, or a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Option<Millis> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<Millis>() {
        return Some(ms);
    }
    let mut total: Millis = 0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let number: Millis = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return None,
        };
        total = total.checked_add(number.checked_mul(factor)?)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

struct Builder<'a> {
    text: &'a str,
    file: &'a ScenarioFile,
}

impl Builder<'_> {
    /// An error at the first occurrence of `needle` inside the `index`-th `[[section]]`
    /// (or the whole file when `section` is empty).
    fn error(&self, section: &str, index: usize, needle: &str, message: String) -> ScenarioError {
        let start = if section.is_empty() {
            Some(0)
        } else {
            let header = format!("[[{section}]]");
            self.text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.trim_start().starts_with(&header))
                .nth(index)
                .map(|(i, _)| i)
        };
        let (line, column) =
            start.and_then(|s| find(self.text, s, needle).or(Some((s + 1, 1)))).unwrap_or((1, 1));
        ScenarioError { line, column, message }
    }

    fn duration(&self, section: &str, index: usize, text: &str) -> Result<Millis, ScenarioError> {
        parse_duration(text).ok_or_else(|| {
            self.error(
                section,
                index,
                text,
                format!(
                    "{text:?} is not a duration: expected e.g. \"250ms\", \"30s\", \"5m\", \"2h\" or \"1d\""
                ),
            )
        })
    }

    fn build(&self) -> Result<Scenario, ScenarioError> {
        let f = self.file;
        if f.hosts.len() > MAX_HOSTS {
            return Err(self.error(
                "host",
                MAX_HOSTS,
                "name",
                format!("too many hosts: {} (the limit is {MAX_HOSTS})", f.hosts.len()),
            ));
        }
        let actions = f.sends.len() + f.types.len() + f.retrieves.len();
        if actions > MAX_ACTIONS {
            return Err(self.error(
                "",
                0,
                "[[",
                format!("too many actions: {actions} (the limit is {MAX_ACTIONS})"),
            ));
        }
        let mut hosts = Vec::new();
        for (i, h) in f.hosts.iter().enumerate() {
            hosts.push(self.host(i, h)?);
        }
        for (i, h) in hosts.iter().enumerate() {
            if hosts[..i].iter().any(|o: &HostConfig| o.name.eq_ignore_ascii_case(&h.name)) {
                return Err(self.error("host", i, &h.name, format!("host {:?} is defined twice", h.name)));
            }
        }
        let zone = self.zone()?;
        let mut world_actions = Vec::new();
        for (i, s) in f.sends.iter().enumerate() {
            world_actions.push(self.send(i, s, &hosts)?);
        }
        for (i, t) in f.types.iter().enumerate() {
            world_actions.push(self.typed(i, t, &hosts)?);
        }
        for (i, r) in f.retrieves.iter().enumerate() {
            let at = r.at.as_deref().map(|a| self.duration("retrieve", i, a)).transpose()?.unwrap_or(0);
            self.known_host("retrieve", i, &r.from, &hosts)?;
            self.known_host("retrieve", i, &r.to, &hosts)?;
            world_actions.push(Action::Retrieve {
                at,
                client: r.from.clone(),
                server: r.to.clone(),
                user: r.user.clone(),
                password: r.password.clone(),
                delete: r.delete,
            });
        }
        let mut retry = RetrySchedule::default();
        if let Some(r) = &f.retry {
            if !r.intervals.is_empty() {
                retry.intervals =
                    r.intervals.iter().map(|t| self.duration("", 0, t)).collect::<Result<_, _>>()?;
                if retry.intervals.contains(&0) {
                    return Err(self.error(
                        "",
                        0,
                        "intervals",
                        "retry intervals must be longer than 0".into(),
                    ));
                }
            }
            if let Some(age) = &r.max_age {
                retry.max_age = self.duration("", 0, age)?;
            }
            retry.delay_warning = r.delay_warning.as_deref().map(|d| self.duration("", 0, d)).transpose()?;
        }
        let latency = f.latency.as_deref().map(|l| self.duration("", 0, l)).transpose()?.unwrap_or(20);
        let max_time =
            f.max_time.as_deref().map(|m| self.duration("", 0, m)).transpose()?.unwrap_or(7 * 86_400_000);
        Ok(Scenario {
            title: f.title.clone(),
            description: f.description.clone(),
            topic: f.topic.clone(),
            expect: f.expect.clone(),
            try_next: f.try_next.clone(),
            world: WorldConfig {
                seed: f.seed,
                start_unix: f.start,
                latency,
                hosts,
                zone,
                retry,
                actions: world_actions,
                max_steps: MAX_STEPS,
                max_time,
            },
        })
    }

    fn host(&self, i: usize, h: &format::HostFile) -> Result<HostConfig, ScenarioError> {
        let role = match h.role.as_str() {
            "client" => HostRole::Client,
            "submission" => HostRole::Submission,
            "relay" => HostRole::Relay,
            "mx" => HostRole::Mx,
            "reader" => HostRole::Reader,
            other => {
                return Err(self.error(
                    "host",
                    i,
                    other,
                    format!("role {other:?}: expected client, submission, relay, mx or reader"),
                ));
            }
        };
        let ip: IpAddr =
            h.ip.parse()
                .map_err(|_| self.error("host", i, &h.ip, format!("{:?} is not an IP address", h.ip)))?;
        let mut policy = MailPolicy {
            relay_authenticated: h.relay_authenticated,
            users: h.users.clone(),
            ..MailPolicy::default()
        };
        for domain in &h.domains {
            let parsed = crate::proto::Domain::new(domain)
                .map_err(|e| self.error("host", i, domain, e.to_string()))?;
            policy.local_domains.insert(parsed.to_ascii().to_owned());
        }
        for domain in &h.relay_domains {
            let parsed = crate::proto::Domain::new(domain)
                .map_err(|e| self.error("host", i, domain, e.to_string()))?;
            policy.relay_domains.insert(parsed.to_ascii().to_owned());
        }
        for mailbox in &h.mailboxes {
            policy.mailboxes.insert(self.mailbox_key("host", i, mailbox)?, MailboxState::Active);
        }
        for (mailbox, state) in &h.mailbox_states {
            let state = match state.as_str() {
                "active" => MailboxState::Active,
                "full-temporarily" => MailboxState::FullTemporarily,
                "full-permanently" => MailboxState::FullPermanently,
                "disabled" => MailboxState::Disabled,
                other => {
                    return Err(self.error("host", i, other, format!("mailbox state {other:?}: expected active, full-temporarily, full-permanently or disabled")));
                }
            };
            policy.mailboxes.insert(self.mailbox_key("host", i, mailbox)?, state);
        }
        for client in &h.relay_clients {
            let ip = client
                .parse()
                .map_err(|_| self.error("host", i, client, format!("{client:?} is not an IP address")))?;
            policy.relay_clients.insert(ip);
        }
        policy.greylist_delay =
            h.greylist.as_deref().map(|g| self.duration("host", i, g).map(|ms| ms / 1000)).transpose()?;
        let down = h
            .down
            .iter()
            .map(|[from, to]| Ok((self.duration("host", i, from)?, self.duration("host", i, to)?)))
            .collect::<Result<Vec<_>, ScenarioError>>()?;
        let smtp = h.smtp.clone().map(|mut config: ServerConfig| {
            if config.hostname == ServerConfig::default().hostname {
                config.hostname = h.name.clone();
            }
            config
        });
        Ok(HostConfig { name: h.name.clone(), role, ip, smtp, policy, down })
    }

    fn mailbox_key(&self, section: &str, i: usize, text: &str) -> Result<String, ScenarioError> {
        let path: ForwardPath = format!("<{text}>").parse().map_err(|_| {
            self.error(section, i, text, format!("{text:?} is not a mailbox (local-part@domain)"))
        })?;
        Ok(crate::sim::world::mailbox_key(&path))
    }

    fn zone(&self) -> Result<Zone, ScenarioError> {
        let mut zone = Zone::new();
        for (name, records) in &self.file.dns {
            let at = |needle: &str, message: String| self.error("", 0, needle, message);
            for a in &records.a {
                zone.add(
                    name,
                    Record::A(a.parse().map_err(|_| at(a, format!("{a:?} is not an IPv4 address")))?),
                );
            }
            for a in &records.aaaa {
                zone.add(
                    name,
                    Record::Aaaa(a.parse().map_err(|_| at(a, format!("{a:?} is not an IPv6 address")))?),
                );
            }
            for (preference, exchange) in &records.mx {
                zone.add(name, Record::Mx { preference: *preference, exchange: exchange.clone() });
            }
            for txt in &records.txt {
                // Split into the 255-octet character-strings of RFC 1035 §3.3.14.
                let chunks =
                    txt.as_bytes().chunks(255).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
                zone.add(name, Record::Txt(chunks));
            }
            if let Some(target) = &records.cname {
                zone.add(name, Record::Cname(target.clone()));
            }
            if records.timeout {
                zone.add_timeout(name, None);
            }
        }
        Ok(zone)
    }

    fn known_host(
        &self,
        section: &str,
        i: usize,
        name: &str,
        hosts: &[HostConfig],
    ) -> Result<(), ScenarioError> {
        if hosts.iter().any(|h| h.name.eq_ignore_ascii_case(name)) {
            return Ok(());
        }
        let known: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        Err(self.error(
            section,
            i,
            name,
            format!("no host is named {name:?}; the hosts are: {}", known.join(", ")),
        ))
    }

    fn send(&self, i: usize, s: &format::SendFile, hosts: &[HostConfig]) -> Result<Action, ScenarioError> {
        self.known_host("send", i, &s.from, hosts)?;
        self.known_host("send", i, &s.to, hosts)?;
        let at = s.at.as_deref().map(|a| self.duration("send", i, a)).transpose()?.unwrap_or(0);
        let helo_text = s.helo.clone().unwrap_or_else(|| s.from.clone());
        let helo: Host = helo_text.parse().map_err(|_| {
            self.error("send", i, &helo_text, format!("{helo_text:?} is not a domain or [address literal]"))
        })?;
        let reverse_path: ReversePath = if s.mail_from.is_empty() {
            ReversePath::Null
        } else {
            format!("<{}>", s.mail_from).parse().map_err(|_| {
                self.error(
                    "send",
                    i,
                    &s.mail_from,
                    format!("mail_from {:?} is not an address (local-part@domain)", s.mail_from),
                )
            })?
        };
        let notify = match &s.notify {
            Some(text) => Some(
                RcptParameters::from_pairs(&[("NOTIFY", Some(text))])
                    .map_err(|e| self.error("send", i, text, e.to_string()))?
                    .notify
                    .unwrap_or(Notify::NEVER),
            ),
            None => None,
        };
        let mut recipients = Vec::new();
        for rcpt in &s.rcpt_to {
            let path: ForwardPath = format!("<{rcpt}>").parse().map_err(|_| {
                self.error("send", i, rcpt, format!("rcpt_to {rcpt:?} is not an address (local-part@domain)"))
            })?;
            recipients
                .push(Recipient { path, params: RcptParameters { notify, ..RcptParameters::default() } });
        }
        if recipients.is_empty() {
            return Err(self.error("send", i, "rcpt_to", "rcpt_to needs at least one recipient".into()));
        }
        let ret = match s.ret.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None => None,
            Some("FULL") => Some(Ret::Full),
            Some("HDRS") => Some(Ret::Hdrs),
            Some(other) => {
                return Err(self.error("send", i, other, format!("ret {other:?}: expected FULL or HDRS")));
            }
        };
        let mail_params = MailParameters { ret, envid: s.envid.clone(), ..MailParameters::default() };
        let credentials = match (&s.user, &s.password) {
            (Some(user), Some(password)) => {
                Some(Credentials { user: user.clone(), password: password.clone() })
            }
            (None, None) => None,
            _ => return Err(self.error("send", i, "user", "user and password go together".into())),
        };
        let config = ClientConfig {
            helo,
            ehlo: !s.use_helo,
            tls: s.tls.unwrap_or(TlsMode::Opportunistic),
            credentials,
            pipelining: s.pipelining,
            chunking: s.chunking,
            declare_size: true,
        };
        Ok(Action::Send {
            at,
            client: s.from.clone(),
            server: s.to.clone(),
            config: Box::new(config),
            envelope: Envelope { reverse_path, mail_params, recipients },
            message: crlf(&s.message),
        })
    }

    fn typed(&self, i: usize, t: &format::TypeFile, hosts: &[HostConfig]) -> Result<Action, ScenarioError> {
        self.known_host("type", i, &t.from, hosts)?;
        self.known_host("type", i, &t.to, hosts)?;
        if t.lines.len() > MAX_WRITES {
            return Err(self.error(
                "type",
                i,
                "lines",
                format!("too many lines: {} (the limit is {MAX_WRITES})", t.lines.len()),
            ));
        }
        let at = t.at.as_deref().map(|a| self.duration("type", i, a)).transpose()?.unwrap_or(0);
        let writes = t
            .lines
            .iter()
            .map(|line| {
                if line.ends_with('\n') || line.ends_with('\r') {
                    line.clone().into_bytes()
                } else {
                    format!("{line}\r\n").into_bytes()
                }
            })
            .collect();
        Ok(Action::Type { at, client: t.from.clone(), server: t.to.clone(), writes })
    }
}

/// Line ends as CRLF, and a final line end.
fn crlf(text: &str) -> Vec<u8> {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.lines() {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The seed's telnet session as a C:/S: transcript, run through the simulated world
/// (the lesson `telnet-session`).
pub fn seed_telnet_session() -> Vec<TranscriptLine> {
    use crate::engine::Side;
    let Some(lesson) = lessons::get("telnet-session") else { return Vec::new() };
    let Ok(scenario) = parse(lesson.source) else { return Vec::new() };
    let timeline = scenario.run();
    let mut out = Vec::new();
    for step in &timeline.steps {
        let side = match step.kind {
            crate::sim::StepKind::Reply => Side::Server,
            crate::sim::StepKind::Command | crate::sim::StepKind::Data => Side::Client,
            _ => continue,
        };
        if let Some(wire) = &step.wire {
            crate::engine::exchange::push_lines(&mut out, side, wire.as_bytes(), step.code, step.tls);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(250));
        assert_eq!(parse_duration("2h30m"), Some(9_000_000));
        assert_eq!(parse_duration("1d"), Some(86_400_000));
        assert_eq!(parse_duration("15"), Some(15));
        for bad in ["", "m", "5x", "5m3", "99999999999999999999d", "-5s"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
