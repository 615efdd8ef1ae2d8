//! `smtp-playground serve`: a lesson's recipient server on a real TCP port.
//!
//! One thread per connection, blocking sockets, the policy state (greylisting table,
//! mailbox states) shared behind a mutex. Each connection runs the same
//! [`ServerSession`](crate::engine::ServerSession) as the simulated world, so what a learner
//! sees with `telnet` or `swaks` is what the lesson showed.
//!
//! With `--imap ADDR` a second listener in the same process serves the host's users their
//! mail over IMAP4rev2 (RFC 9051, [`super::imap_session`]), from the same maildir, with the
//! same certificate, deadlines and log levels. `--max-connections` and `--max-per-address`
//! count the connections of both listeners together.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::imap_store::ImapAccounts;
use super::log::LogLevel;
use super::maildir::Maildir;
use super::record::Record;
use super::tls::{self, ServerIdentity};
use super::transport::Transport;
use super::{imap_session, session};
use crate::engine::{MailPolicy, ServerConfig, ServerSession};
use crate::proto::imap::{Code, Response, Status};
use crate::proto::{EnhancedStatusCode, Reply, ReplyCode, StatusClass};
use crate::sim::config::{HostConfig, HostRole, WorldConfig};

/// What `serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Where to serve IMAP too (`--imap`), if anywhere.
    pub imap: Option<SocketAddr>,
    /// Listen on a non-loopback address too (`--allow-remote`).
    pub allow_remote: bool,
    /// `lesson telnet-session` or `scenario path.toml`, for the listening line.
    pub source: String,
    /// The server's configuration and policy, from one host of the scenario.
    pub config: ServerConfig,
    pub policy: MailPolicy,
    pub maildir: PathBuf,
    pub idle_timeout: Duration,
    pub limits: Limits,
    pub max_connections: usize,
    pub color: bool,
    /// How much of each session to print (`--log`, `--quiet`).
    pub log: LogLevel,
    /// Where to write each SMTP session as a recording the player opens (`--record DIR`).
    pub record: Option<PathBuf>,
    /// The scenario's text and the host served, for a recording's replay scenario.
    pub world: (String, String),
}

/// The deadlines and the per-address cap that keep slow and greedy clients from holding the
/// server (issue 15). Each deadline runs from a fixed start, so bytes trickled in one at a
/// time cannot extend it, unlike the idle timeout, which any input resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// One command line, from its first byte to its CRLF (`--command-timeout`, 300 s: the
    /// RFC 5321 §4.5.3.2.7 server timeout, held to the whole line).
    pub command: Duration,
    /// The message data, from the 354 to the final dot or last BDAT chunk (`--data-timeout`,
    /// 600 s: §4.5.3.2.6's ten minutes for the data termination).
    pub data: Duration,
    /// A whole session (`--session-timeout`, 1800 s).
    pub session: Duration,
    /// A STARTTLS handshake (`--handshake-timeout`, 30 s).
    pub handshake: Duration,
    /// Open connections from one client address (`--max-per-address`, by default half of
    /// `--max-connections`, 128 of 256): no single address can take every slot.
    pub per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            command: Duration::from_secs(300),
            data: Duration::from_secs(600),
            session: Duration::from_secs(1800),
            handshake: Duration::from_secs(30),
            per_address: 128,
        }
    }
}

/// How often a waiting session looks at the shutdown flag and its idle timer.
pub(super) const TICK: Duration = Duration::from_millis(200);

/// The host whose server `serve` runs: `--host NAME`, else the first MX with an SMTP
/// server, else the first host with one.
pub fn pick_host<'a>(world: &'a WorldConfig, name: Option<&str>) -> Result<&'a HostConfig, String> {
    let listening = || world.hosts.iter().filter(|h| h.smtp.is_some());
    if let Some(name) = name {
        let host = world.hosts.iter().find(|h| h.name.eq_ignore_ascii_case(name)).ok_or_else(|| {
            let names: Vec<&str> = listening().map(|h| h.name.as_str()).collect();
            format!("no host {name:?} in the scenario; hosts with an SMTP server: {}", names.join(", "))
        })?;
        if host.smtp.is_none() {
            return Err(format!("host {name:?} runs no SMTP server (it has no `smtp` table)"));
        }
        return Ok(host);
    }
    listening()
        .find(|h| h.role == HostRole::Mx)
        .or_else(|| listening().next())
        .ok_or_else(|| "the scenario has no host with an SMTP server (an `smtp` table)".to_owned())
}

/// State every session shares.
pub(super) struct Shared {
    pub config: ServerConfig,
    pub policy: Mutex<MailPolicy>,
    pub maildir: Maildir,
    pub tls: Arc<rustls::ServerConfig>,
    pub idle_timeout: Duration,
    pub limits: Limits,
    pub color: bool,
    pub log: LogLevel,
    pub started: Instant,
    /// Unix seconds at start, for Received: dates and the queue ids' seed.
    pub started_unix: i64,
    pub stop: Arc<AtomicBool>,
    pub messages: AtomicU64,
    /// The host's users and their mailboxes, with `--imap`.
    pub imap: Option<ImapAccounts>,
    /// `--record DIR` (created), and the scenario's text and host for the replays.
    pub record: Option<PathBuf>,
    pub world: (String, String),
}

impl Shared {
    /// Seconds since start: the greylisting clock (`MailPolicy::now`).
    pub fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    pub fn unix_now(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(self.started_unix, |d| d.as_secs() as i64)
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The TLS handshake after the server's go-ahead to STARTTLS (SMTP's 220, RFC 3207 §4.2;
    /// IMAP's tagged OK, RFC 9051 §6.2.1), on the same socket and within the handshake limit.
    /// What it agreed goes to the transcript (`note`) and the recording. An error means the
    /// socket went into the handshake: nothing is left to close but it.
    pub fn start_tls(
        &self,
        io: Transport,
        note: &mut dyn FnMut(&str),
        record: Option<&mut Record>,
    ) -> Result<Transport, String> {
        let deadline = Instant::now() + self.limits.handshake;
        let upgraded = io
            .accept_tls(self.tls.clone(), deadline, &|| self.stopping())
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        let description = upgraded.tls_description().unwrap_or_default();
        note(&format!("TLS established ({description})"));
        if let Some(record) = record {
            record.tls_established(&description);
        }
        Ok(upgraded)
    }
}

/// Prints a block to stdout at once, so sessions' transcripts never interleave.
pub(super) fn print_block(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Runs the server until SIGINT or SIGTERM; returns the exit code.
pub fn serve(options: ServeOptions) -> i32 {
    match run(options) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

fn run(options: ServeOptions) -> Result<(), String> {
    // 1. Refuse to become an open server by accident.
    for address in std::iter::once(options.listen).chain(options.imap) {
        if !address.ip().is_loopback() && !options.allow_remote {
            return Err(format!(
                "{} is not a loopback address. This is a teaching server: it accepts any password \
                 the lesson lists, keeps no logs safe and has no abuse protection, so it listens on \
                 127.0.0.1 or ::1 only. Add --allow-remote if you really mean to expose it.",
                address.ip()
            ));
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The first signal asks for a clean stop; a second one, while sessions are still
        // winding down, ends the process at once (exit 1).
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)))
            .map_err(|e| format!("signal handler: {e}"))?;
    }
    // 2. Storage and the certificate, before anyone can connect.
    let hostname = options.config.hostname.clone();
    let maildir =
        Maildir::create(&options.maildir).map_err(|e| format!("{}: {e}", options.maildir.display()))?;
    let ServerIdentity { cert_pem, fingerprint, config: tls } = tls::self_signed(&hostname)?;
    if let Some(dir) = &options.record {
        std::fs::create_dir_all(dir).map_err(|e| format!("--record {}: {e}", dir.display()))?;
    }
    let cert_path = maildir.root().join("server-cert.pem");
    std::fs::write(&cert_path, &cert_pem).map_err(|e| format!("{}: {e}", cert_path.display()))?;
    // 3. Listen, and say where: tests and scripts read the first line (and the second, for
    //    IMAP).
    let listener =
        TcpListener::bind(options.listen).map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let imap_listener = match options.imap {
        Some(imap) => {
            let listener =
                TcpListener::bind(imap).map_err(|e| format!("cannot listen on {imap} for IMAP: {e}"))?;
            let address = listener.local_addr().map_err(|e| e.to_string())?;
            Some((listener, address))
        }
        None => None,
    };
    let accounts = imap_listener.as_ref().map(|_| {
        ImapAccounts::new(options.policy.users.clone(), options.policy.local_domains.iter().cloned())
    });
    print_block(&format!("listening on {address} as {hostname} ({})\n", options.source));
    if let (Some((_, imap)), Some(accounts)) = (&imap_listener, &accounts) {
        let users: Vec<&str> = accounts.user_names().collect();
        let users = if users.is_empty() {
            "no users: the host lists none, so no one can log in".to_owned()
        } else {
            format!("users: {}", users.join(", "))
        };
        print_block(&format!("imap listening on {imap} as {hostname} ({users})\n"));
    }
    let imap_address = imap_listener.as_ref().map(|(_, a)| *a);
    print_block(&hint(address, imap_address, &hostname, &cert_path, &fingerprint, &options));
    // Accept blocks (no polling between connections: a client that opens a connection per
    // message is served at once); a stop is noticed by a watcher that then wakes each accept
    // with a connection of its own.
    let waker = wake_on_stop(Arc::clone(&stop), std::iter::once(address).chain(imap_address).collect());
    let started_unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let shared = Arc::new(Shared {
        config: options.config.clone(),
        policy: Mutex::new(options.policy.clone()),
        maildir,
        tls,
        idle_timeout: options.idle_timeout,
        limits: options.limits,
        color: options.color,
        log: options.log,
        started: Instant::now(),
        started_unix,
        stop: Arc::clone(&stop),
        messages: AtomicU64::new(0),
        imap: accounts,
        record: options.record.clone(),
        world: options.world.clone(),
    });
    let pool = Arc::new(Pool {
        max_connections: options.max_connections,
        per_address_limit: options.limits.per_address,
        active: AtomicUsize::new(0),
        per_address: Mutex::new(HashMap::new()),
    });
    // 4. Accept until told to stop: IMAP on a thread of its own, SMTP on this one.
    let imap = match imap_listener {
        Some((listener, _)) => {
            let (shared, pool) = (Arc::clone(&shared), Arc::clone(&pool));
            let spawned = std::thread::Builder::new()
                .name("imap-accept".into())
                .spawn(move || accept_loop(&listener, Protocol::Imap, &shared, &pool));
            Some(spawned.map_err(|e| format!("no thread for the IMAP listener: {e}"))?)
        }
        None => None,
    };
    let sessions = accept_loop(&listener, Protocol::Smtp, &shared, &pool);
    // 5. Shut down: no new connections; each open session answers 421 (or BYE) at its next
    //    wait, and accept_loop waited for them.
    drop(listener);
    let imap_sessions = imap.map(|thread| thread.join().unwrap_or(0));
    let _ = waker.join();
    let messages = shared.messages.load(Ordering::SeqCst);
    let imap = imap_sessions.map(|n| format!(", {n} IMAP sessions")).unwrap_or_default();
    print_block(&format!("shut down: {sessions} sessions, {messages} messages{imap}\n"));
    Ok(())
}

/// Which protocol a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Smtp,
    Imap,
}

/// The connection slots, shared by the SMTP and IMAP listeners.
struct Pool {
    max_connections: usize,
    per_address_limit: usize,
    active: AtomicUsize,
    per_address: Mutex<HashMap<IpAddr, usize>>,
}

/// Accepts connections on `listener` until the stop flag is set, one thread per session;
/// returns how many connections it took, once their sessions have ended.
fn accept_loop(listener: &TcpListener, protocol: Protocol, shared: &Arc<Shared>, pool: &Arc<Pool>) -> u64 {
    let mut sessions: u64 = 0;
    let mut threads = Vec::new();
    while !shared.stopping() {
        let (stream, peer) = match listener.accept() {
            // The watcher's wake-up call, or a client arriving as the server stops.
            Ok(_) if shared.stopping() => break,
            Ok(accepted) => accepted,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // EMFILE and the like: say so, and keep serving the open sessions.
                print_block(&format!("-- accept failed: {e}\n"));
                std::thread::sleep(TICK);
                continue;
            }
        };
        sessions += 1;
        let number = sessions;
        if pool.active.load(Ordering::SeqCst) >= pool.max_connections {
            refuse(shared, protocol, number, stream, peer, Refusal::TooMany);
            continue;
        }
        {
            let mut counts = pool.per_address.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let open = counts.entry(peer.ip()).or_insert(0);
            if *open >= pool.per_address_limit {
                drop(counts);
                refuse(shared, protocol, number, stream, peer, Refusal::TooManyFromYou);
                continue;
            }
            *open += 1;
        }
        pool.active.fetch_add(1, Ordering::SeqCst);
        let guard = ActiveGuard { pool: Arc::clone(pool), ip: peer.ip() };
        let shared_for_thread = Arc::clone(shared);
        let name = match protocol {
            Protocol::Smtp => format!("session-{number}"),
            Protocol::Imap => format!("imap-session-{number}"),
        };
        let spawned = std::thread::Builder::new().name(name).spawn(move || {
            let _guard = guard;
            let shared = &*shared_for_thread;
            match (protocol, &shared.imap) {
                (Protocol::Smtp, _) => session::run(shared, number, stream, peer),
                (Protocol::Imap, Some(accounts)) => imap_session::run(shared, accounts, number, stream, peer),
                (Protocol::Imap, None) => {}
            }
        });
        match spawned {
            Ok(handle) => threads.push(handle),
            Err(e) => print_block(&format!("-- session {number} from {peer}: no thread for it: {e}\n")),
        }
        threads.retain(|t| !t.is_finished());
    }
    for thread in threads {
        let _ = thread.join();
    }
    sessions
}

/// Watches the stop flag (set by SIGINT/SIGTERM) and, once it is set, connects to each
/// listener so its blocking `accept` returns and its loop sees the flag.
fn wake_on_stop(stop: Arc<AtomicBool>, listening: Vec<SocketAddr>) -> std::thread::JoinHandle<()> {
    let targets: Vec<SocketAddr> = listening
        .into_iter()
        .map(|address| match address.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), address.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), address.port())
            }
            _ => address,
        })
        .collect();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(TICK);
        }
        for target in targets {
            let _ = TcpStream::connect_timeout(&target, Duration::from_secs(1));
        }
    })
}

/// Counts a session as open, in all and for its address, until its thread ends, even by a
/// panic.
struct ActiveGuard {
    pool: Arc<Pool>,
    ip: IpAddr,
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.pool.active.fetch_sub(1, Ordering::SeqCst);
        let mut counts = self.pool.per_address.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(open) = counts.get_mut(&self.ip) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Why a connection is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Over `--max-connections`.
    TooMany,
    /// Over `--max-per-address`.
    TooManyFromYou,
}

impl Refusal {
    /// For the log.
    fn why(self) -> &'static str {
        match self {
            Refusal::TooMany => "over --max-connections",
            Refusal::TooManyFromYou => "over --max-per-address",
        }
    }

    /// SMTP's `421` (RFC 5321 §3.1: a server may refuse a connection with 421 and close it):
    /// `4.3.2` over `--max-connections` (the system is busy, X.3.2), `4.7.0` over
    /// `--max-per-address` (refused by policy for this client, X.7.0), as Postfix's
    /// smtpd_client_connection_count_limit answers.
    fn smtp(self) -> (u16, u16, &'static str) {
        match self {
            Refusal::TooMany => (3, 2, "Too many connections, try again later"),
            Refusal::TooManyFromYou => (7, 0, "Too many connections from your address, try again later"),
        }
    }

    /// IMAP's greeting `* BYE [UNAVAILABLE] …` (RFC 9051 §7.1.5, the fourth case: the
    /// server will not take a connection from this client; §7.1 UNAVAILABLE: a temporary
    /// failure).
    fn imap(self) -> Response {
        let text = self.smtp().2;
        Response::untagged(Status::Bye, Some(Code::Unavailable), text)
    }
}

/// Over a cap: a refusal instead of the greeting, then the connection is closed.
fn refuse(
    shared: &Shared,
    protocol: Protocol,
    number: u64,
    stream: TcpStream,
    peer: SocketAddr,
    refusal: Refusal,
) {
    let mut transcript = super::log::Transcript::new(
        &peer.to_string(),
        &shared.config.hostname,
        &shared.config.hostname,
        shared.color,
        false,
    );
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let mut stream = stream;
    match protocol {
        Protocol::Smtp => {
            let (subject, detail, text) = refusal.smtp();
            let reply = Reply::with_enhanced(
                ReplyCode::new(421).unwrap_or(ReplyCode::SYNTAX_ERROR),
                EnhancedStatusCode::new(StatusClass::PersistentTransientFailure, subject, detail)
                    .unwrap_or(EnhancedStatusCode::OK),
                text,
            );
            let config = ServerConfig { refuse_with: Some(reply), ..shared.config.clone() };
            let mut refused = ServerSession::new(config, Some(peer.ip()));
            while let Some(reply) = refused.poll_reply() {
                let bytes = reply.to_bytes();
                let _ = stream.write_all(&bytes);
                transcript.server_bytes(&bytes, Some(reply.code.get()), false);
            }
        }
        Protocol::Imap => {
            let bytes = refusal.imap().to_bytes();
            let _ = stream.write_all(&bytes);
            transcript.server_line(String::from_utf8_lossy(&bytes).trim_end(), false);
        }
    }
    let why = refusal.why();
    transcript.note(&format!("connection refused: {why}"));
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let session = match protocol {
        Protocol::Smtp => "session",
        Protocol::Imap => "imap session",
    };
    match shared.log {
        LogLevel::Off => {}
        LogLevel::Sessions => {
            print_block(&format!("-- {session} {number} from {peer}: connection refused: {why}\n"))
        }
        LogLevel::Commands | LogLevel::Transcript => {
            print_block(&format!("-- {session} {number} from {peer} --\n{}", transcript.finish()));
        }
    }
}

/// How to try the server by hand.
fn hint(
    address: SocketAddr,
    imap: Option<SocketAddr>,
    hostname: &str,
    cert: &std::path::Path,
    fingerprint: &str,
    options: &ServeOptions,
) -> String {
    let (ip, port) = (address.ip(), address.port());
    let to = options
        .policy
        .mailboxes
        .keys()
        .next()
        .cloned()
        .or_else(|| options.policy.local_domains.iter().next().map(|d| format!("postmaster@{d}")))
        .unwrap_or_else(|| "postmaster".into());
    format!(
        "certificate: {} (SHA-256 {fingerprint})\n\
         mail goes to: {}\n\
         try it:\n  \
         telnet {ip} {port}\n  \
         swaks --server {ip}:{port} --to {to}{}\n  \
         python3 -c \"import smtplib; s = smtplib.SMTP('{ip}', {port}); s.set_debuglevel(1); \
         s.sendmail('you@example.org', ['{to}'], 'Subject: hi\\r\\n\\r\\nhello\\r\\n'); s.quit()\"\n{}{}\
         stop with Ctrl-C; {hostname} answers 421 to open sessions first\n\n",
        cert.display(),
        options.maildir.display(),
        if options.config.starttls {
            format!(" --tls --tls-ca-path {}", cert.display())
        } else {
            String::new()
        },
        imap.map(|imap| {
            // LOGIN waits for STARTTLS (LOGINDISABLED, RFC 9051 §6.2.3): openssl types it.
            format!(
                "read it over IMAP (STARTTLS first, then LOGIN user password):\n  \
                 openssl s_client -quiet -crlf -starttls imap -CAfile {} -connect {imap}\n",
                cert.display()
            )
        })
        .unwrap_or_default(),
        options.record.as_ref().map_or_else(String::new, |dir| format!(
            "each SMTP session is recorded in {}: open one in the playground (“Open a recording…” in the \
             lessons list, or drop the file on the page) to step through it\n",
            dir.display()
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{self, lessons};

    #[test]
    fn the_default_host_is_the_first_mx_with_a_server() {
        let lesson = lessons::get("telnet-session").expect("lesson");
        let world = scenario::parse(lesson.source).expect("scenario").world;
        assert_eq!(pick_host(&world, None).map(|h| h.name.as_str()), Ok("smtp.example.com"));
        assert_eq!(
            pick_host(&world, Some("SMTP.example.com")).map(|h| h.name.as_str()),
            Ok("smtp.example.com")
        );
        let error = pick_host(&world, Some("client.example.com")).expect_err("no server");
        assert!(error.contains("runs no SMTP server"), "{error}");
        let error = pick_host(&world, Some("nowhere")).expect_err("unknown");
        assert!(error.contains("smtp.example.com"), "{error}");
    }
}
