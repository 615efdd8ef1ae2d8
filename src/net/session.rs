//! One connection to `serve`: a [`ServerSession`] between a blocking socket and the
//! shared policy. The session decides everything SMTP; this loop only moves bytes, runs the
//! TLS handshake when the session asks for it, stores accepted messages and keeps time.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::log::{LogLevel, Transcript};
use super::record::Record;
use super::serve::{Shared, TICK, print_block};
use super::transport::{Transport, is_timeout};
use crate::engine::{ServerConfig, ServerEvent, ServerSession};
use crate::scenario::recording::Side;

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;
/// A client that stops reading our replies is given up after this long.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves one connection to its end and prints its transcript as one block.
pub(super) fn run(shared: &Shared, number: u64, tcp: TcpStream, peer: SocketAddr) {
    let hostname = shared.config.hostname.clone();
    let started = Instant::now();
    let mut transcript =
        Transcript::new(&peer.to_string(), &hostname, &hostname, shared.color, false).with_level(shared.log);
    let local = tcp.local_addr().ok();
    let mut record = shared.record.as_ref().zip(local).map(|(dir, local)| {
        let record = Record::start(
            Side::Serve,
            &peer.to_string(),
            &local.to_string(),
            &shared.world.1,
            local.port(),
            shared.config.line_policy,
        );
        (record, dir.join(format!("session-{}-{number}.json", shared.started_unix)))
    });
    let ending =
        match serve_connection(shared, number, tcp, peer, &mut transcript, record.as_mut().map(|r| &mut r.0))
        {
            Ok(ending) | Err(ending) => ending,
        };
    if let Some((record, path)) = record {
        let world = Some((shared.world.0.as_str(), shared.world.1.as_str()));
        match record.write(&ending, &path, world) {
            Ok(()) => transcript.note(&format!("recorded in {}", path.display())),
            Err(e) => transcript.note(&e),
        }
    }
    match shared.log {
        LogLevel::Off => {}
        LogLevel::Sessions => print_block(&session_line(number, peer, transcript.stored, &ending, started)),
        LogLevel::Commands | LogLevel::Transcript => {
            transcript.last_note(&ending);
            print_block(&format!("-- session {number} from {peer} --\n{}", transcript.finish()));
        }
    }
}

/// A session in one line (`--log sessions`).
fn session_line(number: u64, peer: SocketAddr, stored: usize, ending: &str, started: Instant) -> String {
    let messages = match stored {
        1 => "1 message stored".to_owned(),
        n => format!("{n} messages stored"),
    };
    let seconds = started.elapsed().as_secs_f64();
    format!("-- session {number} from {peer}: {messages}, {ending} ({seconds:.3} s)\n")
}

/// The session loop; returns how the connection ended.
fn serve_connection(
    shared: &Shared,
    number: u64,
    tcp: TcpStream,
    peer: SocketAddr,
    transcript: &mut Transcript,
    mut record: Option<&mut Record>,
) -> Result<String, String> {
    let setup = |e: std::io::Error| format!("socket set-up failed: {e}");
    tcp.set_read_timeout(Some(TICK)).map_err(setup)?;
    tcp.set_write_timeout(Some(WRITE_TIMEOUT)).map_err(setup)?;
    tcp.set_nodelay(true).map_err(setup)?;
    // Queue ids differ between sessions and between runs.
    let seed = (shared.started_unix as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ number;
    let config = ServerConfig { queue_id_seed: seed, ..shared.config.clone() };
    // The 250 after the data waits until the message is on disk (RFC 5321 §6.1).
    let mut session = ServerSession::new(config, Some(peer.ip())).with_storage_confirmation();
    let mut io = Transport::Plain(tcp);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut last_input = Instant::now();
    // The deadlines (`Limits`): each runs from a fixed start, so trickled bytes do not move it.
    let limits = shared.limits;
    let session_deadline = Instant::now() + limits.session;
    let mut command_deadline: Option<Instant> = None;
    let mut data_deadline: Option<Instant> = None;
    let result = loop {
        // 1. What the last input caused. A complete message is stored before the session
        //    answers it: 250 once it is on disk, 451 4.3.0 if it could not be written.
        while let Some(message) = session.awaiting_storage() {
            let unix = shared.unix_now();
            let stored = match shared.maildir.deliver(message, peer.ip(), &shared.config.hostname, unix) {
                Ok(stored) => {
                    transcript.stored += 1;
                    if let Some(record) = record.as_deref_mut() {
                        record.stored(message, &stored);
                    }
                    for stored in stored {
                        transcript.note(&format!(
                            "delivered: {} → {} (queue id {})",
                            stored.mailbox,
                            stored.path.display(),
                            message.queue_id
                        ));
                    }
                    true
                }
                Err(e) => {
                    let why = format!("could not store message {}, answering 451: {e}", message.queue_id);
                    transcript.note(&why);
                    if let Some(record) = record.as_deref_mut() {
                        record.note(
                            &why,
                            "The server could not write the message to disk, so it must not say 250: it answers \
                             451, and the client keeps the message and tries again later.",
                            "RFC 5321 §6.1, §4.2.5",
                        );
                    }
                    false
                }
            };
            let mut policy = shared.policy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            policy.now = shared.uptime_seconds();
            session.handle_storage(stored, &mut *policy);
        }
        let mut start_tls = false;
        while let Some(event) = session.poll_event() {
            match event {
                ServerEvent::MessageAccepted(_) => {
                    shared.messages.fetch_add(1, Ordering::SeqCst);
                }
                ServerEvent::StartTlsAccepted => start_tls = true,
                ServerEvent::PipelinedInputDiscarded { octets } => {
                    transcript.note(&format!(
                        "{octets} octets sent after STARTTLS in plaintext were discarded, not executed (RFC 3207 §4.2)"
                    ));
                    if let Some(record) = record.as_deref_mut() {
                        record.note(
                            &format!("The server discards {octets} octets sent after STARTTLS"),
                            "They arrived before encryption and could have been injected by an attacker, so the \
                             server throws them away instead of running them after the handshake (CVE-2011-0411).",
                            "RFC 3207 §4.2",
                        );
                    }
                }
                ServerEvent::Authenticated { mechanism, user } => {
                    transcript.note(&format!("authenticated as {user} with {mechanism}"));
                    if let Some(record) = record.as_deref_mut() {
                        record.note(
                            &format!("{user} is authenticated ({mechanism})"),
                            "The server now knows who is sending, and lets this session relay mail to other \
                             domains.",
                            "RFC 4954 §6",
                        );
                    }
                }
                _ => {}
            }
        }
        // 2. Replies, each pipelined group in one write (RFC 2920 §3.2).
        let tls = !matches!(io, Transport::Plain(_));
        let mut out = Vec::new();
        while let Some(reply) = session.poll_reply() {
            let bytes = reply.to_bytes();
            transcript.server_bytes(&bytes, Some(reply.code.get()), tls);
            if let Some(record) = record.as_deref_mut() {
                record.reply(&bytes);
            }
            out.extend_from_slice(&bytes);
        }
        if !out.is_empty()
            && let Err(e) = io.write_all(&out).and_then(|()| io.flush())
        {
            break Err(format!("write failed: {e}"));
        }
        if session.is_closed() {
            break Ok("session closed by the server".to_owned());
        }
        // 3. STARTTLS: the 220 is out; the handshake runs on the same socket. What the
        //    client sent after STARTTLS was given to the session, which discarded it.
        if start_tls {
            io = shared.start_tls(io, &mut |text| transcript.note(text), record.as_deref_mut())?;
            last_input = Instant::now();
            command_deadline = None;
            continue;
        }
        // 4. Wait for input, a shutdown, or the idle timeout (RFC 5321 §4.5.3.2).
        if shared.stopping() {
            session.handle_shutdown();
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
                let mut policy = shared.policy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                policy.now = shared.uptime_seconds();
                session.handle_input(bytes, &mut *policy);
                drop(policy);
                // A line begun starts its deadline; one ended clears it. The same for data.
                command_deadline = session
                    .has_partial_input()
                    .then(|| command_deadline.unwrap_or(last_input + limits.command));
                data_deadline = session.in_data().then(|| data_deadline.unwrap_or(last_input + limits.data));
                if let Some(why) = overdue(session_deadline, command_deadline, data_deadline) {
                    transcript.note(why);
                    note_timeout(record.as_deref_mut(), why);
                    session.handle_timeout();
                }
            }
            Err(e) if is_timeout(&e) => {
                if let Some(why) = overdue(session_deadline, command_deadline, data_deadline) {
                    transcript.note(why);
                    note_timeout(record.as_deref_mut(), why);
                    session.handle_timeout();
                } else if last_input.elapsed() >= shared.idle_timeout {
                    note_timeout(
                        record.as_deref_mut(),
                        "the client said nothing for longer than --idle-timeout",
                    );
                    session.handle_timeout();
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

/// A deadline passed: the recording says why the 421 that follows comes.
fn note_timeout(record: Option<&mut Record>, why: &str) {
    if let Some(record) = record {
        record.note(
            &format!("Time is up: {why}"),
            "A server cannot wait for ever: a client that stops talking, or trickles its bytes to hold a \
             connection open, is told 421 and disconnected, so it cannot take a slot other clients need.",
            "RFC 5321 §4.5.3.2",
        );
    }
}

/// Which deadline has passed, in words for the transcript, if any.
fn overdue(session: Instant, command: Option<Instant>, data: Option<Instant>) -> Option<&'static str> {
    let now = Instant::now();
    if now >= session {
        Some("the session's time limit (--session-timeout) is up")
    } else if command.is_some_and(|deadline| now >= deadline) {
        Some("a command line took longer than --command-timeout to arrive")
    } else if data.is_some_and(|deadline| now >= deadline) {
        Some("the message data took longer than --data-timeout to arrive")
    } else {
        None
    }
}
