//! `smtp-playground serve`: a lesson's recipient server on a real TCP port.
//!
//! One thread per connection, blocking sockets, the policy state (greylisting table,
//! mailbox states) shared behind a mutex. Each connection runs the same
//! [`ServerSession`](crate::engine::ServerSession) as the simulated world, so what a learner
//! sees with `telnet` or `swaks` is what the lesson showed.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::log::LogLevel;
use super::maildir::Maildir;
use super::session;
use super::tls::{self, ServerIdentity};
use crate::engine::{MailPolicy, ServerConfig, ServerSession};
use crate::proto::{EnhancedStatusCode, Reply, ReplyCode, StatusClass};
use crate::sim::config::{HostConfig, HostRole, WorldConfig};

/// What `serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
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
    if !options.listen.ip().is_loopback() && !options.allow_remote {
        return Err(format!(
            "{} is not a loopback address. This is a teaching server: it accepts any password \
             the lesson lists, keeps no logs safe and has no abuse protection, so it listens on \
             127.0.0.1 or ::1 only. Add --allow-remote if you really mean to expose it.",
            options.listen.ip()
        ));
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
    let cert_path = maildir.root().join("server-cert.pem");
    std::fs::write(&cert_path, &cert_pem).map_err(|e| format!("{}: {e}", cert_path.display()))?;
    // 3. Listen, and say where: tests and scripts read the first line.
    let listener =
        TcpListener::bind(options.listen).map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    print_block(&format!("listening on {address} as {hostname} ({})\n", options.source));
    print_block(&hint(address, &hostname, &cert_path, &fingerprint, &options));
    // Accept blocks (no polling between connections: a client that opens a connection per
    // message is served at once); a stop is noticed by a watcher that then wakes accept with a
    // connection of its own.
    let waker = wake_on_stop(Arc::clone(&stop), address);
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
    });
    let active = Arc::new(AtomicUsize::new(0));
    let per_address: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let mut sessions: u64 = 0;
    let mut threads = Vec::new();
    // 4. Accept until told to stop.
    while !stop.load(Ordering::Relaxed) {
        let (stream, peer) = match listener.accept() {
            // The watcher's wake-up call, or a client arriving as the server stops.
            Ok(_) if stop.load(Ordering::Relaxed) => break,
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
        if active.load(Ordering::SeqCst) >= options.max_connections {
            refuse(&shared, number, stream, peer, TOO_MANY, "over --max-connections");
            continue;
        }
        {
            let mut counts = per_address.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let open = counts.entry(peer.ip()).or_insert(0);
            if *open >= options.limits.per_address {
                drop(counts);
                refuse(&shared, number, stream, peer, TOO_MANY_FROM_YOU, "over --max-per-address");
                continue;
            }
            *open += 1;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let guard =
            ActiveGuard { active: Arc::clone(&active), per_address: Arc::clone(&per_address), ip: peer.ip() };
        let shared_for_thread = Arc::clone(&shared);
        let spawned = std::thread::Builder::new().name(format!("session-{number}")).spawn(move || {
            let _guard = guard;
            session::run(&shared_for_thread, number, stream, peer);
        });
        match spawned {
            Ok(handle) => threads.push(handle),
            Err(e) => print_block(&format!("-- session {number} from {peer}: no thread for it: {e}\n")),
        }
        threads.retain(|t| !t.is_finished());
    }
    // 5. Shut down: no new connections; each open session answers 421 at its next wait.
    drop(listener);
    let _ = waker.join();
    for thread in threads {
        let _ = thread.join();
    }
    let messages = shared.messages.load(Ordering::SeqCst);
    print_block(&format!("shut down: {sessions} sessions, {messages} messages\n"));
    Ok(())
}

/// Watches the stop flag (set by SIGINT/SIGTERM) and, once it is set, connects to the
/// listener so the blocking `accept` returns and the loop sees the flag.
fn wake_on_stop(stop: Arc<AtomicBool>, listening: SocketAddr) -> std::thread::JoinHandle<()> {
    let target = match listening.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), listening.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), listening.port())
        }
        _ => listening,
    };
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(TICK);
        }
        let _ = TcpStream::connect_timeout(&target, Duration::from_secs(1));
    })
}

/// Counts a session as open, in all and for its address, until its thread ends, even by a
/// panic.
struct ActiveGuard {
    active: Arc<AtomicUsize>,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::SeqCst);
        let mut counts = self.per_address.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(open) = counts.get_mut(&self.ip) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Over `--max-connections`: `421 4.3.2` (the system is busy, X.3.2).
const TOO_MANY: (u16, u16, &str) = (3, 2, "Too many connections, try again later");
/// Over `--max-per-address`: `421 4.7.0` (refused by policy for this client, X.7.0), as
/// Postfix's smtpd_client_connection_count_limit answers.
const TOO_MANY_FROM_YOU: (u16, u16, &str) = (7, 0, "Too many connections from your address, try again later");

/// Over a cap: a 421 instead of the greeting (RFC 5321 §3.1: a server may refuse a
/// connection with 421 and close it).
fn refuse(
    shared: &Shared,
    number: u64,
    stream: TcpStream,
    peer: SocketAddr,
    reply: (u16, u16, &str),
    why: &str,
) {
    let (subject, detail, text) = reply;
    let reply = Reply::with_enhanced(
        ReplyCode::new(421).unwrap_or(ReplyCode::SYNTAX_ERROR),
        EnhancedStatusCode::new(StatusClass::PersistentTransientFailure, subject, detail)
            .unwrap_or(EnhancedStatusCode::OK),
        text,
    );
    let config = ServerConfig { refuse_with: Some(reply), ..shared.config.clone() };
    let mut refused = ServerSession::new(config, Some(peer.ip()));
    let mut transcript = super::log::Transcript::new(
        &peer.to_string(),
        &shared.config.hostname,
        &shared.config.hostname,
        shared.color,
        false,
    );
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let mut stream = stream;
    while let Some(reply) = refused.poll_reply() {
        let bytes = reply.to_bytes();
        let _ = stream.write_all(&bytes);
        transcript.server_bytes(&bytes, Some(reply.code.get()), false);
    }
    transcript.note(&format!("connection refused: {why}"));
    let _ = stream.shutdown(std::net::Shutdown::Write);
    match shared.log {
        LogLevel::Off => {}
        LogLevel::Sessions => {
            print_block(&format!("-- session {number} from {peer}: connection refused: {why}\n"))
        }
        LogLevel::Commands | LogLevel::Transcript => {
            print_block(&format!("-- session {number} from {peer} --\n{}", transcript.finish()));
        }
    }
}

/// How to try the server by hand.
fn hint(
    address: SocketAddr,
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
         s.sendmail('you@example.org', ['{to}'], 'Subject: hi\\r\\n\\r\\nhello\\r\\n'); s.quit()\"\n\
         stop with Ctrl-C; {hostname} answers 421 to open sessions first\n\n",
        cert.display(),
        options.maildir.display(),
        if options.config.starttls {
            format!(" --tls --tls-ca-path {}", cert.display())
        } else {
            String::new()
        },
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
