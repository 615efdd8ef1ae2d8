//! One IMAP connection to `serve --imap`: an [`ImapServer`] between a blocking socket and
//! the maildir ([`MaildirStore`]). The server decides everything IMAP; this loop moves
//! bytes, runs the STARTTLS handshake when the server accepts the command (RFC 9051
//! §6.2.1), reads the mailbox again before commands and while the client idles, and keeps
//! the deadlines, answering `* BYE` when one passes (§7.1.5).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::imap_log::ImapTranscript;
use super::imap_store::{ImapAccounts, MaildirStore};
use super::log::{LogLevel, Transcript};
use super::record::Record;
use super::serve::{Shared, TICK, print_block};
use super::transport::{Transport, is_timeout};
use crate::engine::imap::{ImapEvent, ImapServer, ImapServerConfig, ImapState};
use crate::proto::imap::{Flag, FlagPerm};

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;
/// A client that stops reading our responses is given up after this long.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// RFC 9051 §5.4: an autologout timer after login is at least 30 minutes.
pub(super) const AUTHENTICATED_IDLE: Duration = Duration::from_secs(30 * 60);
/// Failed logins before the server says BYE: guessing costs a new connection each time.
const MAX_FAILED_LOGINS: usize = 3;

/// Serves one IMAP connection to its end and prints its transcript as one block.
pub(super) fn run(shared: &Shared, accounts: &ImapAccounts, number: u64, tcp: TcpStream, peer: SocketAddr) {
    let hostname = shared.config.hostname.clone();
    let started = Instant::now();
    let inner =
        Transcript::new(&peer.to_string(), &hostname, &hostname, shared.color, false).with_level(shared.log);
    let mut transcript = ImapTranscript::new(inner, shared.log);
    let mut user = None;
    let local = tcp.local_addr().ok();
    let mut record = shared.record.as_ref().zip(local).map(|(dir, local)| {
        let record = Record::start_imap(&peer.to_string(), &local.to_string(), &shared.world.1, local.port());
        (record, dir.join(format!("imap-session-{}-{number}.json", shared.started_unix)))
    });
    let session = serve_connection(
        shared,
        accounts,
        tcp,
        &mut transcript,
        &mut user,
        record.as_mut().map(|r| &mut r.0),
    );
    let ending = match session {
        Ok(ending) | Err(ending) => ending,
    };
    if let Some((record, path)) = record {
        match record.write(&ending, &path, None) {
            Ok(()) => transcript.note(&format!("recorded in {}", path.display())),
            Err(e) => transcript.note(&e),
        }
    }
    match shared.log {
        LogLevel::Off => {}
        LogLevel::Sessions => {
            let who = user.map(|u| format!("logged in as {u}")).unwrap_or_else(|| "not logged in".into());
            let commands = match transcript.commands {
                1 => "1 command".to_owned(),
                n => format!("{n} commands"),
            };
            let seconds = started.elapsed().as_secs_f64();
            print_block(&format!(
                "-- imap session {number} from {peer}: {who}, {commands}, {ending} ({seconds:.3} s)\n"
            ));
        }
        LogLevel::Commands | LogLevel::Transcript => {
            print_block(&format!("-- imap session {number} from {peer} --\n{}", transcript.finish(&ending)));
        }
    }
}

/// The server's configuration for `serve`: the host's name, STARTTLS with `serve`'s
/// certificate, LOGINDISABLED until TLS (§6.2.3), and only the system flags permanent (they
/// live in the file names; keywords last for the session, §7.1).
pub(super) fn server_config(hostname: &str) -> ImapServerConfig {
    let mut config = ImapServerConfig::new(hostname);
    config.starttls = true;
    config.login_requires_tls = true;
    config.permanent_flags = Flag::SYSTEM.into_iter().map(FlagPerm::Flag).collect();
    config
}

/// The session loop; returns how the connection ended.
fn serve_connection(
    shared: &Shared,
    accounts: &ImapAccounts,
    tcp: TcpStream,
    transcript: &mut ImapTranscript,
    logged_in: &mut Option<String>,
    mut record: Option<&mut Record>,
) -> Result<String, String> {
    let setup = |e: std::io::Error| format!("socket set-up failed: {e}");
    tcp.set_read_timeout(Some(TICK)).map_err(setup)?;
    tcp.set_write_timeout(Some(WRITE_TIMEOUT)).map_err(setup)?;
    tcp.set_nodelay(true).map_err(setup)?;
    let mut server = ImapServer::new(server_config(&shared.config.hostname));
    let mut store = MaildirStore::new(accounts, &shared.maildir);
    let mut io = Transport::Plain(tcp);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut last_input = Instant::now();
    let limits = shared.limits;
    let session_deadline = Instant::now() + limits.session;
    let mut command_deadline: Option<Instant> = None;
    let mut failed_logins = 0;
    let result = loop {
        // 1. What the last input caused.
        let mut start_tls = false;
        while let Some(event) = server.poll_event() {
            match event {
                ImapEvent::StartTlsAccepted => start_tls = true,
                ImapEvent::PipelinedInputDiscarded { octets } => {
                    transcript.note(&format!(
                        "{octets} octets sent after STARTTLS in plaintext were discarded, not executed (RFC 9051 §6.2.1)"
                    ));
                    if let Some(record) = record.as_deref_mut() {
                        record.note(
                            &format!("The server discards {octets} octets sent after STARTTLS"),
                            "They arrived before encryption and could have been injected by an attacker, so the \
                             server throws them away instead of running them after the handshake.",
                            "RFC 9051 §6.2.1",
                        );
                    }
                }
                ImapEvent::LoggedIn { user, mechanism } => {
                    let mailbox = store
                        .folder()
                        .map(|(key, dir)| format!("; INBOX is {key} ({})", dir.display()))
                        .unwrap_or_default();
                    transcript.note(&format!("logged in as {user} with {mechanism}{mailbox}"));
                    if let Some(record) = record.as_deref_mut() {
                        record.note(
                            &format!("{user} is logged in ({mechanism})"),
                            "The password matched: the session moves to the authenticated state, where the \
                             client may list, select and read this user's mailboxes.",
                            "RFC 9051 §3.2",
                        );
                    }
                    *logged_in = Some(user);
                }
                ImapEvent::LoginFailed { user } => {
                    failed_logins += 1;
                    transcript.note(&format!("login failed for {user:?}"));
                    if let Some(record) = record.as_deref_mut() {
                        record.note(
                            &format!("The login as {user:?} fails"),
                            "The user name or the password is wrong. The session stays unauthenticated; this \
                             server ends it after a third failure, so guessing costs a new connection each time.",
                            "RFC 9051 §6.2.3",
                        );
                    }
                    if failed_logins >= MAX_FAILED_LOGINS {
                        transcript.note(&format!("{MAX_FAILED_LOGINS} failed logins: closing"));
                        server.bye("Too many failed logins");
                    }
                }
                ImapEvent::Expunged { uid } => {
                    transcript.note(&format!("expunged UID {uid}: its file is removed"))
                }
                _ => {}
            }
        }
        for problem in store.take_problems() {
            transcript.note(&format!("mail directory: {problem}"));
        }
        // 2. Responses, all that are ready in one write.
        let tls = !matches!(io, Transport::Plain(_));
        let mut out = Vec::new();
        while let Some(bytes) = server.poll_transmit() {
            transcript.server_bytes(&bytes, tls);
            out.extend_from_slice(&bytes);
        }
        if let Some(record) = record.as_deref_mut().filter(|_| !out.is_empty()) {
            record.server_bytes(&out);
        }
        if !out.is_empty()
            && let Err(e) = io.write_all(&out).and_then(|()| io.flush())
        {
            break Err(format!("write failed: {e}"));
        }
        if server.is_closed() {
            break Ok("session closed by the server".to_owned());
        }
        // 3. STARTTLS: the tagged OK is out; the handshake runs on the same socket.
        if start_tls {
            io = shared.start_tls(io, &mut |text| transcript.note(text), record.as_deref_mut())?;
            last_input = Instant::now();
            command_deadline = None;
            continue;
        }
        // 4. Wait for input, a shutdown, new mail while idling, or a deadline.
        if shared.stopping() {
            server.bye("Server shutting down");
            continue;
        }
        match io.read(&mut buf) {
            Ok(0) => break Ok("connection closed by the client".to_owned()),
            Ok(n) => {
                last_input = Instant::now();
                let bytes = buf.get(..n).unwrap_or_default();
                transcript.client_bytes(bytes, tls);
                if let Some(record) = record.as_deref_mut() {
                    record.client_bytes(bytes);
                }
                // A command can end only where a line does: read the mailbox again first,
                // so NOOP, SELECT and STATUS see what arrived (RFC 9051 §5.2).
                if authenticated(&server) && bytes.contains(&b'\n') {
                    store.refresh();
                }
                server.handle_input(bytes, &mut store);
                // A command begun starts its deadline, literals included; one ended clears it.
                command_deadline = server
                    .has_partial_input()
                    .then(|| command_deadline.unwrap_or(last_input + limits.command));
                if let Some((why, bye)) = overdue(session_deadline, command_deadline) {
                    transcript.note(why);
                    server.bye(bye);
                }
            }
            Err(e) if is_timeout(&e) => {
                if let Some((why, bye)) = overdue(session_deadline, command_deadline) {
                    transcript.note(why);
                    server.bye(bye);
                } else if last_input.elapsed() >= idle_limit(shared, &server) {
                    transcript.note(
                        "no command within the autologout time (--idle-timeout; 30 minutes after login)",
                    );
                    server.bye("Autologout; idle for too long");
                } else if server.is_idling() && store.is_stale() {
                    // IDLE (§6.3.13): tell the client about mail that came meanwhile.
                    store.refresh();
                    server.poll_mailbox(&store);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break Ok("connection closed by the client (without TLS close_notify)".to_owned());
            }
            Err(e) => break Err(format!("read failed: {e}")),
        }
    };
    io.close();
    result
}

fn authenticated(server: &ImapServer) -> bool {
    matches!(server.state(), ImapState::Authenticated { .. } | ImapState::Selected { .. })
}

/// How long the client may stay silent: `--idle-timeout` before login, and at least the 30
/// minutes RFC 9051 §5.4 asks for after it.
fn idle_limit(shared: &Shared, server: &ImapServer) -> Duration {
    if authenticated(server) { shared.idle_timeout.max(AUTHENTICATED_IDLE) } else { shared.idle_timeout }
}

/// Which deadline has passed, for the transcript and the BYE text, if any.
fn overdue(session: Instant, command: Option<Instant>) -> Option<(&'static str, &'static str)> {
    let now = Instant::now();
    if now >= session {
        Some(("the session's time limit (--session-timeout) is up", "Session time limit reached"))
    } else if command.is_some_and(|deadline| now >= deadline) {
        Some((
            "a command took longer than --command-timeout to arrive",
            "Autologout; a command took too long to arrive",
        ))
    } else {
        None
    }
}
