//! Scenarios: a documented TOML format ([`format`]) for a world (hosts, DNS, policies,
//! faults) and what its actors do, turned into a [`WorldConfig`] the simulation runs.
//! Bad files get a [`ScenarioError`] with the line and column of the offending key or
//! value and what was expected, never a panic; size and step limits keep any file —
//! pasted, linked or typed — from hanging the page.

pub mod console;
pub mod edit;
pub mod export;
pub mod format;
pub mod lessons;
pub mod narrative;
pub mod permalink;
pub mod played;
pub mod recording;
pub mod service;
pub mod toml;
pub mod toml_write;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::dns::{Record, Zone};
use crate::engine::{
    ClientConfig, Credentials, Envelope, MailPolicy, MailboxState, Recipient, ServerConfig, TlsMode,
    TranscriptLine,
};
use crate::mailauth::dkim::{DkimError, SignParams};
use crate::proto::data::LinePolicy;
use crate::proto::{
    ForwardPath, Host, MailParameters, Mechanism, Notify, RcptParameters, Reply, ReplyCode, Ret, ReversePath,
    Verb,
};
use crate::sim::{
    Action, DkimSigning, Fault, FaultAction, FaultTrigger, HostAuth, HostConfig, HostRole, Retrieval,
    RetrySchedule, SigningKeySource, World, WorldConfig,
};
use crate::timeline::{Millis, Timeline};
use format::{Fields, error};
use toml::{Pos, Table, TomlError, Value};

/// The largest scenario file accepted, in octets.
pub const MAX_SCENARIO_OCTETS: usize = 256 * 1024;
/// The most hosts, actions and typed writes a scenario may have.
pub const MAX_HOSTS: usize = 24;
pub const MAX_ACTIONS: usize = 64;
pub const MAX_WRITES: usize = 400;
/// The most messages a scenario's `[[send]]` tables send, their `count`s included (issue 16:
/// a queue of a thousand messages).
pub const MAX_MESSAGES: usize = 1_000;
/// The most `[[fault]]` tables a scenario may have.
pub const MAX_FAULTS: usize = 32;
/// The most steps a run may produce.
pub const MAX_STEPS: usize = crate::sim::STEP_CAP;

/// A scenario file that failed to load: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

impl From<TomlError> for ScenarioError {
    fn from(e: TomlError) -> Self {
        Self { line: e.pos.line, column: e.pos.column, message: e.message }
    }
}

/// A loaded scenario: its description and the world to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub title: String,
    pub description: String,
    pub topic: Option<String>,
    pub expect: Option<format::Expect>,
    pub try_next: Vec<format::TryNext>,
    /// Goals, recap and authored step notes ([`narrative`]).
    pub narrative: narrative::Narrative,
    pub world: WorldConfig,
}

impl Scenario {
    /// Runs the world and returns its timeline, with the narrative's notes in place.
    pub fn run(&self) -> Timeline {
        self.run_checked().0
    }

    /// Runs the world; also returns the notes that picked no step (or a taken one), with
    /// their place in the file.
    pub fn run_checked(&self) -> (Timeline, Vec<ScenarioError>) {
        let mut timeline = World::new(self.world.clone()).run();
        let errors = self
            .narrative
            .apply(&mut timeline)
            .into_iter()
            .map(|e| ScenarioError { line: e.pos.line, column: e.pos.column, message: e.message })
            .collect();
        (timeline, errors)
    }
}

/// Parses a scenario file.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    if text.len() > MAX_SCENARIO_OCTETS {
        let message = format!("the file is {} octets; the limit is {MAX_SCENARIO_OCTETS}", text.len());
        return Err(ScenarioError { line: 1, column: 1, message });
    }
    let root = toml::parse(text)?;
    Ok(read(&root)?)
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

fn duration((text, pos): (&str, Pos)) -> Result<Millis, TomlError> {
    let ms = parse_duration(text).ok_or_else(|| {
        error(
            pos,
            format!("{text:?} is not a duration: expected e.g. \"250ms\", \"30s\", \"5m\", \"2h\" or \"1d\""),
        )
    })?;
    if ms > format::MAX_DURATION_MS {
        return Err(error(
            pos,
            format!("{text:?} is longer than 365 days, the longest duration a scenario may give"),
        ));
    }
    Ok(ms)
}

fn optional_duration(value: Option<(&str, Pos)>) -> Result<Option<Millis>, TomlError> {
    value.map(duration).transpose()
}

fn ip((text, pos): (&str, Pos)) -> Result<IpAddr, TomlError> {
    text.parse().map_err(|_| error(pos, format!("{text:?} is not an IP address")))
}

/// The first character that must not be in a name that becomes wire text or a lane label:
/// a control character (CR/LF would inject lines into a greeting), or a bidirectional or
/// zero-width formatting character (U+202E shows `moc.elpmaxe` as `example.com`).
fn hidden_character(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        c.is_control()
            || matches!(
                c,
                '\u{061C}'
                    | '\u{180E}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{2064}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{FEFF}'
            )
    })
}

/// Refuses a name (`what`) with a control, bidirectional or zero-width character.
fn visible_name((text, pos): (&str, Pos), what: &str) -> Result<(), TomlError> {
    match hidden_character(text) {
        Some(c) => Err(error(
            pos,
            format!(
                "{what} {text:?} contains U+{:04X}: control, bidirectional and zero-width characters are not allowed in names",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

/// A host's name as the protocol has it: a domain or an address literal (RFC 5321 §4.1.2,
/// §4.1.3); it becomes a greeting, an EHLO argument, a `Received:` field.
fn host_or_literal((text, pos): (&str, Pos), what: &str) -> Result<Host, TomlError> {
    visible_name((text, pos), what)?;
    text.parse().map_err(|_| {
        error(pos, format!("{what} {text:?} is not a domain or [address literal] (RFC 5321 §4.1.2)"))
    })
}

fn domain_ascii((text, pos): (&str, Pos)) -> Result<String, TomlError> {
    visible_name((text, pos), "domain")?;
    crate::proto::Domain::new(text).map(|d| d.to_ascii().to_owned()).map_err(|e| error(pos, e.to_string()))
}

fn forward_path((text, pos): (&str, Pos), key: &str) -> Result<ForwardPath, TomlError> {
    visible_name((text, pos), key)?;
    format!("<{text}>")
        .parse()
        .map_err(|_| error(pos, format!("{key} {text:?} is not an address (local-part@domain)")))
}

const ROOT_KEYS: &[&str] = &[
    "title",
    "description",
    "topic",
    "seed",
    "start",
    "latency",
    "max_time",
    "expect",
    "try_next",
    "retry",
    "host",
    "dns",
    "send",
    "type",
    "retrieve",
    "fault",
    "goals",
    "recap",
    "note",
];

fn read(root: &Table) -> Result<Scenario, TomlError> {
    let mut f = Fields::new(root, "the scenario", ROOT_KEYS);
    let title = f.required_string("title")?.0.to_owned();
    let description = f.required_string("description")?.0.to_owned();
    let topic = f.string("topic")?.map(|(t, _)| t.to_owned());
    let seed = f.number::<u64>("seed")?.unwrap_or(1);
    // 2026-11-25 09:00:00 UTC.
    let start = f.integer("start")?.map(|(n, _)| n).unwrap_or(1_795_597_200);
    let latency = optional_duration(f.string("latency")?)?.unwrap_or(20);
    let max_time = optional_duration(f.string("max_time")?)?.unwrap_or(7 * 86_400_000);
    let expect = f.table("expect")?.map(read_expect).transpose()?;
    let try_next = f.tables("try_next")?.into_iter().map(read_try_next).collect::<Result<_, _>>()?;
    let narrative = narrative::read(&mut f)?;
    let retry = match f.table("retry")? {
        Some(table) => read_retry(table)?,
        None => RetrySchedule::default(),
    };
    let host_tables = f.tables("host")?;
    if let Some(extra) = host_tables.get(MAX_HOSTS) {
        return Err(error(
            extra.pos,
            format!("too many hosts: {} (the limit is {MAX_HOSTS})", host_tables.len()),
        ));
    }
    let mut hosts: Vec<HostConfig> = Vec::new();
    for table in host_tables {
        let (host, name_pos) = read_host(table)?;
        if hosts.iter().any(|h| h.name.eq_ignore_ascii_case(&host.name)) {
            return Err(error(name_pos, format!("host {:?} is defined twice", host.name)));
        }
        hosts.push(host);
    }
    let zone = match f.table("dns")? {
        Some(table) => read_zone(table)?,
        None => Zone::new(),
    };
    let sends = f.tables("send")?;
    let types = f.tables("type")?;
    let retrieves = f.tables("retrieve")?;
    let total = sends.len() + types.len() + retrieves.len();
    if total > MAX_ACTIONS {
        return Err(error(root.pos, format!("too many actions: {total} (the limit is {MAX_ACTIONS})")));
    }
    let mut actions = Vec::new();
    let mut messages = 0usize;
    for table in sends {
        let bulk = read_send(table, &hosts)?;
        messages = messages.saturating_add(bulk.count);
        if messages > MAX_MESSAGES {
            let at = table.get("count").map_or(table.pos, |e| e.item.pos);
            return Err(error(at, format!("too many messages: {messages} (the limit is {MAX_MESSAGES})")));
        }
        bulk.copies(&mut actions)?;
    }
    for table in types {
        actions.push(read_type(table, &hosts)?);
    }
    for table in retrieves {
        actions.push(read_retrieve(table, &hosts)?);
    }
    let fault_tables = f.tables("fault")?;
    if let Some(extra) = fault_tables.get(MAX_FAULTS) {
        return Err(error(
            extra.pos,
            format!("too many faults: {} (the limit is {MAX_FAULTS})", fault_tables.len()),
        ));
    }
    let faults = fault_tables.into_iter().map(|t| read_fault(t, &hosts)).collect::<Result<Vec<_>, _>>()?;
    f.finish()?;
    Ok(Scenario {
        title,
        description,
        topic,
        expect,
        try_next,
        narrative,
        world: WorldConfig {
            seed,
            start_unix: start,
            latency,
            hosts,
            zone,
            retry,
            actions,
            max_steps: MAX_STEPS,
            max_time,
            faults,
        },
    })
}

fn read_expect(table: &Table) -> Result<format::Expect, TomlError> {
    let mut f = Fields::new(table, "[expect]", &["delivered", "dsns", "codes", "queued"]);
    let strings = |v: Vec<(&str, Pos)>| v.into_iter().map(|(s, _)| s.to_owned()).collect();
    let delivered = strings(f.strings("delivered")?);
    let dsns = strings(f.strings("dsns")?);
    let codes = f
        .array("codes")?
        .iter()
        .map(|item| match item.value {
            Value::Integer(n) => u16::try_from(n)
                .ok()
                .filter(|c| ReplyCode::new(*c).is_some())
                .ok_or_else(|| error(item.pos, format!("{n} is not a reply code"))),
            _ => Err(error(item.pos, "`codes` holds reply codes like 250")),
        })
        .collect::<Result<_, _>>()?;
    let queued = f.number::<usize>("queued")?.unwrap_or(0);
    f.finish()?;
    Ok(format::Expect { delivered, dsns, codes, queued })
}

fn read_try_next(table: &Table) -> Result<format::TryNext, TomlError> {
    let mut f = Fields::new(table, "[[try_next]]", &["label", "lesson", "hint"]);
    let label = f.required_string("label")?.0.to_owned();
    let lesson = f.string("lesson")?.map(|(l, _)| l.to_owned());
    let hint = f.string("hint")?.map(|(h, _)| h.to_owned());
    f.finish()?;
    Ok(format::TryNext { label, lesson, hint })
}

fn read_retry(table: &Table) -> Result<RetrySchedule, TomlError> {
    let mut f = Fields::new(table, "[retry]", &["intervals", "max_age", "delay_warning"]);
    let mut retry = RetrySchedule::default();
    let intervals = f.strings("intervals")?;
    if !intervals.is_empty() {
        retry.intervals = Vec::new();
        for value in intervals {
            let ms = duration(value)?;
            if ms == 0 {
                return Err(error(value.1, "retry intervals must be longer than 0"));
            }
            retry.intervals.push(ms);
        }
    }
    if let Some(age) = optional_duration(f.string("max_age")?)? {
        retry.max_age = age;
    }
    retry.delay_warning = optional_duration(f.string("delay_warning")?)?;
    f.finish()?;
    Ok(retry)
}

const HOST_KEYS: &[&str] = &[
    "name",
    "role",
    "ip",
    "domains",
    "mailboxes",
    "mailbox_states",
    "users",
    "relay_domains",
    "relay_clients",
    "relay_authenticated",
    "greylist",
    "down",
    "smtp",
    "dkim_sign",
    "authenticate",
    "tamper_body",
    "lists",
];

fn read_host(table: &Table) -> Result<(HostConfig, Pos), TomlError> {
    let mut f = Fields::new(table, "[[host]]", HOST_KEYS);
    let (name, name_pos) = f.required_string("name")?;
    host_or_literal((name, name_pos), "host name")?;
    let (role_text, role_pos) = f.required_string("role")?;
    let role = match role_text {
        "client" => HostRole::Client,
        "submission" => HostRole::Submission,
        "relay" => HostRole::Relay,
        "mx" => HostRole::Mx,
        "reader" => HostRole::Reader,
        other => {
            return Err(error(
                role_pos,
                format!("role {other:?}: expected client, submission, relay, mx or reader"),
            ));
        }
    };
    let address = ip(f.required_string("ip")?)?;
    let mut policy = MailPolicy {
        relay_authenticated: f.boolean("relay_authenticated")?.unwrap_or(false),
        ..MailPolicy::default()
    };
    for domain in f.strings("domains")? {
        policy.local_domains.insert(domain_ascii(domain)?);
    }
    for domain in f.strings("relay_domains")? {
        policy.relay_domains.insert(domain_ascii(domain)?);
    }
    for mailbox in f.strings("mailboxes")? {
        policy
            .mailboxes
            .insert(crate::sim::world::mailbox_key(&forward_path(mailbox, "mailbox")?), MailboxState::Active);
    }
    if let Some(states) = f.table("mailbox_states")? {
        for entry in &states.entries {
            let Value::String(state) = &entry.item.value else {
                return Err(error(entry.item.pos, "a mailbox state is a string"));
            };
            let state = match state.as_str() {
                "active" => MailboxState::Active,
                "full-temporarily" => MailboxState::FullTemporarily,
                "full-permanently" => MailboxState::FullPermanently,
                "disabled" => MailboxState::Disabled,
                other => {
                    let message = format!(
                        "mailbox state {other:?}: expected active, full-temporarily, full-permanently or disabled"
                    );
                    return Err(error(entry.item.pos, message));
                }
            };
            let key = crate::sim::world::mailbox_key(&forward_path((&entry.key, entry.key_pos), "mailbox")?);
            policy.mailboxes.insert(key, state);
        }
    }
    if let Some(users) = f.table("users")? {
        for entry in &users.entries {
            let Value::String(password) = &entry.item.value else {
                return Err(error(entry.item.pos, "a password is a string"));
            };
            policy.users.insert(entry.key.clone(), password.clone());
        }
    }
    for client in f.strings("relay_clients")? {
        policy.relay_clients.insert(ip(client)?);
    }
    policy.greylist_delay = optional_duration(f.string("greylist")?)?.map(|ms| ms / 1000);
    let mut down = Vec::new();
    for item in f.array("down")? {
        match &item.value {
            Value::Array(pair) => match pair.as_slice() {
                [
                    from @ toml::Item { value: Value::String(a), .. },
                    to @ toml::Item { value: Value::String(b), .. },
                ] => {
                    down.push((duration((a, from.pos))?, duration((b, to.pos))?));
                }
                _ => {
                    return Err(error(
                        item.pos,
                        "each `down` entry is [\"from\", \"to\"], e.g. [\"0s\", \"2h\"]",
                    ));
                }
            },
            _ => {
                return Err(error(
                    item.pos,
                    "each `down` entry is [\"from\", \"to\"], e.g. [\"0s\", \"2h\"]",
                ));
            }
        }
    }
    let smtp = f.table("smtp")?.map(|t| read_smtp(t, name)).transpose()?;
    let auth = HostAuth {
        dkim_sign: f.table("dkim_sign")?.map(read_dkim_sign).transpose()?,
        authenticate: f.boolean("authenticate")?.unwrap_or(false),
        tamper_body: match f.string("tamper_body")? {
            None => None,
            Some((text, pos)) if text.is_empty() || text.contains(['\r', '\n']) || text.len() > 900 => {
                return Err(error(
                    pos,
                    "tamper_body is one line of text (at most 900 characters), appended to the body",
                ));
            }
            Some((text, _)) => Some(text.to_owned()),
        },
    };
    let mut lists = BTreeMap::new();
    if let Some(table) = f.table("lists")? {
        for entry in &table.entries {
            let address = forward_path((&entry.key, entry.key_pos), "list")?;
            let local = address
                .mailbox()
                .and_then(|m| m.domain())
                .is_some_and(|d| policy.local_domains.contains(d.to_ascii()));
            if !local {
                return Err(error(
                    entry.key_pos,
                    format!("list {:?} is not at one of this host's `domains`", entry.key),
                ));
            }
            let Value::Array(items) = &entry.item.value else {
                return Err(error(
                    entry.item.pos,
                    "a list's members are an array of addresses, e.g. [\"bob@example.net\"]",
                ));
            };
            let members = items
                .iter()
                .map(|item| match &item.value {
                    Value::String(member) => forward_path((member, item.pos), "list member"),
                    _ => Err(error(item.pos, "a list member is an address string")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            if members.is_empty() {
                return Err(error(entry.item.pos, "a list needs at least one member"));
            }
            lists.insert(crate::sim::world::mailbox_key(&address), members);
        }
    }
    f.finish()?;
    Ok((HostConfig { name: name.to_owned(), role, ip: address, smtp, policy, down, auth, lists }, name_pos))
}

/// `dkim_sign = { domain = "example.com", selector = "s1", seed = "<base64>" }`, or
/// `algorithm = "rsa-sha256"` with `pem = "…"` for native use. The key and the names are
/// tried by signing a tiny message once, so every problem is reported here, at its key.
fn read_dkim_sign(table: &Table) -> Result<DkimSigning, TomlError> {
    let mut f = Fields::new(table, "dkim_sign", &["domain", "selector", "algorithm", "seed", "pem"]);
    let domain = domain_ascii(f.required_string("domain")?)?;
    let (selector, selector_pos) = f.required_string("selector")?;
    let algorithm = f.string("algorithm")?;
    let seed = f.string("seed")?;
    let pem = f.string("pem")?;
    let (key, key_pos) = match (algorithm, seed, pem) {
        (None | Some(("ed25519-sha256", _)), Some((seed, pos)), None) => {
            let compact: String = seed.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, compact)
                .map_err(|e| error(pos, format!("seed {seed:?} is not base64: {e}")))?;
            let seed = <[u8; 32]>::try_from(bytes).map_err(|b| {
                error(pos, format!("an Ed25519 seed is 32 octets (44 base64 characters), not {}", b.len()))
            })?;
            (SigningKeySource::Ed25519Seed(seed), pos)
        }
        (Some(("rsa-sha256", _)), None, Some((pem, pos))) => (SigningKeySource::RsaPem(pem.to_owned()), pos),
        (Some((other, pos)), _, _) if other != "ed25519-sha256" && other != "rsa-sha256" => {
            return Err(error(pos, format!("algorithm {other:?}: expected ed25519-sha256 or rsa-sha256")));
        }
        (Some(("rsa-sha256", pos)), _, _) => {
            return Err(error(pos, "rsa-sha256 takes the private key as `pem` (and no `seed`)"));
        }
        _ => {
            return Err(error(
                f.pos(),
                "dkim_sign needs `seed` (a base64 Ed25519 seed of 32 octets), or algorithm = \"rsa-sha256\" with `pem`",
            ));
        }
    };
    let signing = DkimSigning { domain, selector: selector.to_owned(), key };
    let trial = signing.key.key().and_then(|key| {
        let params = SignParams::new(key, &signing.domain, &signing.selector, 0);
        crate::mailauth::dkim::sign(b"From: a@example.com\r\n\r\n", &params)
    });
    match trial {
        Ok(_) => {}
        Err(DkimError::InvalidParams(why)) if why.starts_with("s=") => return Err(error(selector_pos, why)),
        Err(e) => return Err(error(key_pos, e.to_string())),
    }
    f.finish()?;
    Ok(signing)
}

const SMTP_KEYS: &[&str] = &[
    "hostname",
    "banner",
    "max_message_size",
    "max_recipients",
    "max_errors",
    "line_policy",
    "pipelining",
    "eight_bit_mime",
    "smtputf8",
    "dsn",
    "enhanced_status_codes",
    "chunking",
    "starttls",
    "auth_mechanisms",
    "auth_requires_tls",
    "require_auth",
    "require_tls",
    "refuse_with",
];

/// The SMTP server of a host: any field of [`ServerConfig`], defaults as Postfix.
fn read_smtp(table: &Table, host_name: &str) -> Result<ServerConfig, TomlError> {
    let mut f = Fields::new(table, "smtp", SMTP_KEYS);
    let d = ServerConfig::default();
    let flag =
        |f: &mut Fields, key: &'static str, default: bool| f.boolean(key).map(|b| b.unwrap_or(default));
    let mut config = ServerConfig {
        hostname: match f.string("hostname")? {
            Some(value) => host_or_literal(value, "smtp hostname").map(|_| value.0.to_owned())?,
            None => host_name.to_owned(),
        },
        banner: f.string("banner")?.map_or(d.banner.clone(), |(b, _)| b.to_owned()),
        max_message_size: f.number("max_message_size")?.unwrap_or(d.max_message_size),
        max_recipients: f.number("max_recipients")?.unwrap_or(d.max_recipients),
        max_errors: f.number("max_errors")?.unwrap_or(d.max_errors),
        pipelining: flag(&mut f, "pipelining", d.pipelining)?,
        eight_bit_mime: flag(&mut f, "eight_bit_mime", d.eight_bit_mime)?,
        smtputf8: flag(&mut f, "smtputf8", d.smtputf8)?,
        dsn: flag(&mut f, "dsn", d.dsn)?,
        enhanced_status_codes: flag(&mut f, "enhanced_status_codes", d.enhanced_status_codes)?,
        chunking: flag(&mut f, "chunking", d.chunking)?,
        starttls: flag(&mut f, "starttls", d.starttls)?,
        auth_requires_tls: flag(&mut f, "auth_requires_tls", d.auth_requires_tls)?,
        require_auth: flag(&mut f, "require_auth", d.require_auth)?,
        require_tls: flag(&mut f, "require_tls", d.require_tls)?,
        ..d
    };
    if let Some((policy, pos)) = f.string("line_policy")? {
        config.line_policy = match policy {
            "strict" => LinePolicy::Strict,
            "legacy" => LinePolicy::Legacy,
            other => return Err(error(pos, format!("line_policy {other:?}: expected strict or legacy"))),
        };
    }
    for (name, pos) in f.strings("auth_mechanisms")? {
        config.auth_mechanisms.push(name.parse::<Mechanism>().map_err(|e| error(pos, e))?);
    }
    if let Some((text, pos)) = f.string("refuse_with")? {
        // e.g. "554 5.7.1 No SMTP service here"
        let parsed = crate::proto::reply::parse_reply(format!("{text}\r\n").as_bytes());
        let refusal = parsed.filter(|r: &Reply| !r.code.is_positive() && !r.code.is_intermediate());
        config.refuse_with = Some(refusal.ok_or_else(|| {
            error(pos, format!("{text:?} is not a 4xx/5xx reply, e.g. \"554 5.7.1 No SMTP service here\""))
        })?);
    }
    f.finish()?;
    Ok(config)
}

fn read_zone(table: &Table) -> Result<Zone, TomlError> {
    let mut zone = Zone::new();
    for entry in &table.entries {
        let name = entry.key.as_str();
        let Value::Table(records) = &entry.item.value else {
            return Err(error(
                entry.item.pos,
                format!("DNS data of {name:?} is a table, e.g. {{ a = [\"192.0.2.1\"] }}"),
            ));
        };
        let mut f = Fields::new(records, "a DNS name", &["a", "aaaa", "mx", "txt", "cname", "timeout"]);
        for (text, pos) in f.strings("a")? {
            zone.add(
                name,
                Record::A(text.parse().map_err(|_| error(pos, format!("{text:?} is not an IPv4 address")))?),
            );
        }
        for (text, pos) in f.strings("aaaa")? {
            zone.add(
                name,
                Record::Aaaa(
                    text.parse().map_err(|_| error(pos, format!("{text:?} is not an IPv6 address")))?,
                ),
            );
        }
        for item in f.array("mx")? {
            let bad =
                || error(item.pos, "each MX is [preference, \"exchange\"], e.g. [10, \"mx.example.net\"]");
            let Value::Array(pair) = &item.value else { return Err(bad()) };
            let [
                toml::Item { value: Value::Integer(preference), pos },
                toml::Item { value: Value::String(exchange), .. },
            ] = pair.as_slice()
            else {
                return Err(bad());
            };
            let preference = u16::try_from(*preference)
                .map_err(|_| error(*pos, format!("MX preference {preference} is not 0 to 65535")))?;
            zone.add(name, Record::Mx { preference, exchange: exchange.clone() });
        }
        for (text, _) in f.strings("txt")? {
            // Split into the 255-octet character-strings of RFC 1035 §3.3.14.
            let chunks =
                text.as_bytes().chunks(255).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
            zone.add(name, Record::Txt(chunks));
        }
        if let Some((target, _)) = f.string("cname")? {
            zone.add(name, Record::Cname(target.to_owned()));
        }
        if f.boolean("timeout")?.unwrap_or(false) {
            zone.add_timeout(name, None);
        }
        f.finish()?;
    }
    Ok(zone)
}

fn known_host(hosts: &[HostConfig], (name, pos): (&str, Pos)) -> Result<String, TomlError> {
    if hosts.iter().any(|h| h.name.eq_ignore_ascii_case(name)) {
        return Ok(name.to_owned());
    }
    let known: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
    Err(error(pos, format!("no host is named {name:?}; the hosts are: {}", known.join(", "))))
}

const SEND_KEYS: &[&str] = &[
    "at",
    "from",
    "to",
    "port",
    "helo",
    "use_helo",
    "tls",
    "user",
    "password",
    "chunking",
    "pipelining",
    "mail_from",
    "rcpt_to",
    "notify",
    "ret",
    "envid",
    "message",
    "count",
    "every",
];

/// A `[[send]]` table read: the send, and how many like it (`count`).
struct Bulk {
    send: Action,
    /// How many messages (1 without `count`), `every` apart (1 s unless given, so that each
    /// session is over before the next begins).
    count: usize,
    every: Millis,
    /// With `count`, `{n}` in `rcpt_to` and `message` is the copy's number, 1 to `count`.
    numbered: bool,
    rcpt_pos: Pos,
}

/// What a numbered copy's `{n}` stands for.
const COPY_NUMBER: &str = "{n}";

impl Bulk {
    /// The sends, the n-th (from 0) `n × every` after the first, each numbered if asked.
    fn copies(self, actions: &mut Vec<Action>) -> Result<(), TomlError> {
        // What holds `{n}` is found once: the message's text and the recipients' addresses.
        let numbered = |text: &str| self.numbered && text.contains(COPY_NUMBER);
        let (message, recipients) = match &self.send {
            Action::Send { envelope, message, .. } => {
                let message = Some(String::from_utf8_lossy(message).into_owned()).filter(|m| numbered(m));
                let recipients: Vec<(usize, String)> = envelope
                    .recipients
                    .iter()
                    .map(|r| r.path.to_string())
                    .enumerate()
                    .filter(|(_, written)| numbered(written))
                    .map(|(i, written)| (i, written.trim_start_matches('<').trim_end_matches('>').to_owned()))
                    .collect();
                (message, recipients)
            }
            _ => (None, Vec::new()),
        };
        for n in 0..self.count {
            let mut copy = self.send.clone();
            if let Action::Send { at, envelope, message: text, .. } = &mut copy {
                *at = at.saturating_add(self.every.saturating_mul(n as Millis));
                let number = (n + 1).to_string();
                if let Some(template) = &message {
                    *text = template.replace(COPY_NUMBER, &number).into_bytes();
                }
                for (i, template) in &recipients {
                    if let Some(recipient) = envelope.recipients.get_mut(*i) {
                        let address = template.replace(COPY_NUMBER, &number);
                        recipient.path = forward_path((&address, self.rcpt_pos), "rcpt_to")?;
                    }
                }
            }
            actions.push(copy);
        }
        Ok(())
    }
}

fn read_send(table: &Table, hosts: &[HostConfig]) -> Result<Bulk, TomlError> {
    let mut f = Fields::new(table, "[[send]]", SEND_KEYS);
    let at = optional_duration(f.string("at")?)?.unwrap_or(0);
    let count = match f.integer("count")? {
        None => None,
        Some((n, pos)) => match usize::try_from(n) {
            Ok(n @ 1..=MAX_MESSAGES) => Some(n),
            _ => return Err(error(pos, format!("count {n}: expected 1 to {MAX_MESSAGES} messages"))),
        },
    };
    let every = optional_duration(f.string("every")?)?.unwrap_or(1_000);
    let client = known_host(hosts, f.required_string("from")?)?;
    let server = known_host(hosts, f.required_string("to")?)?;
    let port = f.number::<u16>("port")?.unwrap_or(25);
    let helo: Host = match f.string("helo")? {
        Some((text, pos)) => host_or_literal((text, pos), "helo")?,
        None => client.parse().map_err(|_| {
            error(f.pos(), format!("the client's name {client:?} is not a domain: set `helo`"))
        })?,
    };
    let (mail_from, mail_pos) = f.required_string("mail_from")?;
    visible_name((mail_from, mail_pos), "mail_from")?;
    let reverse_path = if mail_from.is_empty() {
        ReversePath::Null
    } else {
        format!("<{mail_from}>").parse().map_err(|_| {
            error(mail_pos, format!("mail_from {mail_from:?} is not an address (local-part@domain)"))
        })?
    };
    let notify = match f.string("notify")? {
        Some((text, pos)) => Some(
            RcptParameters::from_pairs(&[("NOTIFY", Some(text))])
                .map_err(|e| error(pos, e.to_string()))?
                .notify
                .unwrap_or(Notify::NEVER),
        ),
        None => None,
    };
    let rcpt_to = f.strings("rcpt_to")?;
    let rcpt_pos = rcpt_to.first().map_or(f.pos(), |(_, pos)| *pos);
    if rcpt_to.is_empty() {
        return Err(error(f.pos(), "[[send]] needs `rcpt_to` with at least one recipient"));
    }
    let recipients = rcpt_to
        .into_iter()
        .map(|r| {
            Ok(Recipient {
                path: forward_path(r, "rcpt_to")?,
                params: RcptParameters { notify, ..RcptParameters::default() },
            })
        })
        .collect::<Result<Vec<_>, TomlError>>()?;
    let ret = match f.string("ret")? {
        None => None,
        Some((text, pos)) => match text.to_ascii_uppercase().as_str() {
            "FULL" => Some(Ret::Full),
            "HDRS" => Some(Ret::Hdrs),
            _ => return Err(error(pos, format!("ret {text:?}: expected FULL or HDRS"))),
        },
    };
    let envid = f.string("envid")?.map(|(e, _)| e.to_owned());
    let tls = match f.string("tls")? {
        None => TlsMode::Opportunistic,
        Some(("never", _)) => TlsMode::Never,
        Some(("opportunistic", _)) => TlsMode::Opportunistic,
        Some(("required", _)) => TlsMode::Required,
        Some((other, pos)) => {
            return Err(error(pos, format!("tls {other:?}: expected never, opportunistic or required")));
        }
    };
    let credentials = match (f.string("user")?, f.string("password")?) {
        (Some((user, _)), Some((password, _))) => {
            Some(Credentials { user: user.to_owned(), password: password.to_owned() })
        }
        (None, None) => None,
        (Some((_, pos)), None) | (None, Some((_, pos))) => {
            return Err(error(pos, "`user` and `password` go together"));
        }
    };
    let config = ClientConfig {
        helo,
        ehlo: !f.boolean("use_helo")?.unwrap_or(false),
        tls,
        credentials,
        pipelining: f.boolean("pipelining")?.unwrap_or(true),
        chunking: f.boolean("chunking")?.unwrap_or(false),
        declare_size: true,
    };
    let message = crlf(f.required_string("message")?.0);
    f.finish()?;
    let mail_params = MailParameters { ret, envid, ..MailParameters::default() };
    let send = Action::Send {
        at,
        client,
        server,
        port,
        config: Box::new(config),
        envelope: Envelope { reverse_path, mail_params, recipients },
        message,
    };
    Ok(Bulk { send, count: count.unwrap_or(1), every, numbered: count.is_some(), rcpt_pos })
}

fn read_type(table: &Table, hosts: &[HostConfig]) -> Result<Action, TomlError> {
    let mut f = Fields::new(table, "[[type]]", &["at", "from", "to", "port", "lines"]);
    let at = optional_duration(f.string("at")?)?.unwrap_or(0);
    let client = known_host(hosts, f.required_string("from")?)?;
    let server = known_host(hosts, f.required_string("to")?)?;
    let port = f.number::<u16>("port")?.unwrap_or(25);
    let lines = f.strings("lines")?;
    if let Some((_, pos)) = lines.get(MAX_WRITES) {
        return Err(error(*pos, format!("too many lines: {} (the limit is {MAX_WRITES})", lines.len())));
    }
    let writes = lines
        .iter()
        .map(|(line, _)| {
            if line.ends_with('\n') || line.ends_with('\r') {
                line.as_bytes().to_vec()
            } else {
                format!("{line}\r\n").into_bytes()
            }
        })
        .collect();
    f.finish()?;
    Ok(Action::Type { at, client, server, port, writes })
}

fn read_retrieve(table: &Table, hosts: &[HostConfig]) -> Result<Action, TomlError> {
    let mut f = Fields::new(
        table,
        "[[retrieve]]",
        &["at", "from", "to", "user", "password", "protocol", "delete", "mark_seen"],
    );
    let at = optional_duration(f.string("at")?)?.unwrap_or(0);
    let client = known_host(hosts, f.required_string("from")?)?;
    let server = known_host(hosts, f.required_string("to")?)?;
    let user = f.required_string("user")?.0.to_owned();
    let password = f.required_string("password")?.0.to_owned();
    let imap = match f.string("protocol")? {
        None => false,
        Some((name, _)) if name.eq_ignore_ascii_case("pop3") => false,
        Some((name, _)) if name.eq_ignore_ascii_case("imap") => true,
        Some((name, pos)) => {
            return Err(error(
                pos,
                format!("unknown protocol {name:?} in [[retrieve]]: use \"pop3\" or \"imap\""),
            ));
        }
    };
    let (wrong, why) = if imap {
        (
            "delete",
            "`delete` is a POP3 choice: an IMAP client leaves the mail on the server (`mark_seen` says whether it marks the messages read)",
        )
    } else {
        ("mark_seen", "`mark_seen` is an IMAP choice: POP3 has no flags (set `protocol = \"imap\"`)")
    };
    if let Some(pos) = f.key_pos(wrong) {
        return Err(error(pos, why));
    }
    let how = if imap {
        Retrieval::Imap { mark_seen: f.boolean("mark_seen")?.unwrap_or(true) }
    } else {
        Retrieval::Pop3 { delete: f.boolean("delete")?.unwrap_or(false) }
    };
    f.finish()?;
    Ok(Action::Retrieve { at, client, server, user, password, how })
}

const FAULT_KEYS: &[&str] = &["host", "command", "occurrence", "action", "reply", "at", "for"];

/// `[[fault]]`: what goes wrong where ("what if…"); see [`format`] and [`crate::sim::fault`].
fn read_fault(table: &Table, hosts: &[HostConfig]) -> Result<Fault, TomlError> {
    let mut f = Fields::new(table, "[[fault]]", FAULT_KEYS);
    let (host_name, host_pos) = f.required_string("host")?;
    let host = known_host(hosts, (host_name, host_pos))?;
    let (action_text, action_pos) = f.required_string("action")?;
    let listens = hosts.iter().any(|h| h.name.eq_ignore_ascii_case(&host) && h.smtp.is_some());
    if !listens {
        return Err(error(
            host_pos,
            format!("{host:?} runs no SMTP server (it has no `smtp` table): no fault can happen there"),
        ));
    }
    if action_text == "down" {
        let at = duration(f.required_string("at")?)?;
        let duration = duration(f.required_string("for")?)?;
        for key in ["command", "occurrence", "reply"] {
            if let Some(entry) = table.get(key) {
                return Err(error(
                    entry.key_pos,
                    format!("action = \"down\" takes `at` and `for`, not `{key}`"),
                ));
            }
        }
        f.finish()?;
        return Ok(Fault { host, trigger: None, action: FaultAction::Down { at, duration } });
    }
    let (command, command_pos) = f.required_string("command")?;
    let verb = Verb::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(command)).ok_or_else(|| {
        let verbs: Vec<&str> = Verb::ALL.iter().map(|v| v.as_str()).collect();
        error(command_pos, format!("command {command:?}: expected one of {}", verbs.join(", ")))
    })?;
    let occurrence = match f.integer("occurrence")? {
        None => 1,
        Some((n, pos)) => u32::try_from(n).ok().filter(|&n| n >= 1).ok_or_else(|| {
            error(pos, format!("occurrence {n}: expected 1 for the first time, 2 for the second, …"))
        })?,
    };
    let reply = f.string("reply")?;
    let action = match (action_text, reply) {
        ("reply", Some((text, pos))) => {
            let parsed = crate::proto::reply::parse_reply(format!("{text}\r\n").as_bytes());
            FaultAction::Reply(parsed.filter(|r: &Reply| r.code.get() >= 400).ok_or_else(|| {
                error(pos, format!("{text:?} is not a 4xx/5xx reply, e.g. \"451 4.7.1 Try again later\""))
            })?)
        }
        ("reply", None) => return Err(f.missing("reply")),
        ("close-421" | "drop" | "greylist", Some((_, pos))) => {
            return Err(error(pos, format!("`reply` goes with action = \"reply\", not {action_text:?}")));
        }
        ("close-421", None) => FaultAction::Close421,
        ("drop", None) => FaultAction::Drop,
        ("greylist", None) if verb == Verb::Rcpt => FaultAction::Greylist,
        ("greylist", None) => {
            return Err(error(command_pos, "greylisting answers RCPT: set command = \"RCPT\""));
        }
        (other, _) => {
            return Err(error(
                action_pos,
                format!("action {other:?}: expected reply, close-421, drop, greylist or down"),
            ));
        }
    };
    for key in ["at", "for"] {
        if let Some(entry) = table.get(key) {
            return Err(error(entry.key_pos, format!("`{key}` goes with action = \"down\"")));
        }
    }
    f.finish()?;
    Ok(Fault { host, trigger: Some(FaultTrigger { verb, occurrence }), action })
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
            crate::timeline::StepKind::Reply => Side::Server,
            crate::timeline::StepKind::Command | crate::timeline::StepKind::Data => Side::Client,
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
