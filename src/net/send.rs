//! `smtp-playground send`: the simulated world's SMTP client on a real socket.
//!
//! [`ClientSession`] decides every command; this loop writes them, reads replies, and runs
//! the TLS handshake when the session asks for it (RFC 3207).

use std::io::{Read as _, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::log::Transcript;
use super::record::Record;
use super::tls::{self, Trust};
use super::transport::{Transport, is_timeout};
use crate::engine::{
    ClientConfig, ClientEvent, ClientSession, Credentials, Envelope, RecipientStatus, TlsMode,
};
use crate::proto::data::LinePolicy;
use crate::proto::{AddressLiteral, ForwardPath, Host, ReversePath};
use crate::scenario::recording::Side;

/// How long to wait for the TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for any one reply (RFC 5321 §4.5.3.2 allows minutes; a test server
/// that is silent for a minute is broken).
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Exit codes.
pub const EXIT_DELIVERED: i32 = 0;
pub const EXIT_REJECTED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_CONNECTION: i32 = 3;

/// What `send` was asked to do.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// `HOST:PORT`.
    pub server: String,
    /// `--starttls`: TLS is required; `None` never tries it.
    pub tls: Option<Trust>,
    pub credentials: Option<Credentials>,
    /// `--helo`; by default the local address as a literal (RFC 5321 §4.1.4: a client
    /// without a meaningful name uses an address literal).
    pub helo: Option<Host>,
    pub chunking: bool,
    pub pipelining: bool,
    pub from: ReversePath,
    pub to: Vec<ForwardPath>,
    pub message: Vec<u8>,
    pub color: bool,
    /// `--record FILE`: the session, written as a recording the player opens.
    pub record: Option<std::path::PathBuf>,
}

/// Sends the message, printing the transcript to stdout as it goes and the errors to
/// `err`; returns the exit code.
pub fn send(options: SendOptions, err: &mut dyn Write) -> i32 {
    match run(options) {
        Ok(code) => code,
        Err((code, message)) => {
            let _ = writeln!(err, "error: {message}");
            code
        }
    }
}

type Failure = (i32, String);

fn connect(server: &str) -> Result<TcpStream, Failure> {
    let addresses: Vec<SocketAddr> = server
        .to_socket_addrs()
        .map_err(|e| (EXIT_CONNECTION, format!("cannot resolve {server}: {e}")))?
        .collect();
    let mut last = format!("{server} has no address");
    for address in addresses {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = format!("cannot connect to {address}: {e}"),
        }
    }
    Err((EXIT_CONNECTION, last))
}

fn run(options: SendOptions) -> Result<i32, Failure> {
    // The server's name as given (`--server HOST:PORT`): what TLS checks the certificate
    // against, and the server's lane in a recording.
    let host = options.server.rsplit_once(':').map_or(options.server.as_str(), |(host, _)| host);
    // 1. TLS settings first: a bad CA file is a usage error, before any connection.
    let tls = match &options.tls {
        Some(trust) => {
            let config = tls::client_config(trust).map_err(|e| (EXIT_USAGE, e))?;
            let name = tls::server_name(host).map_err(|e| (EXIT_USAGE, e))?;
            if *trust == Trust::Insecure {
                eprintln!(
                    "warning: --insecure: the server's certificate is not checked; anyone between here and there could read the session"
                );
            }
            Some((config, name))
        }
        None => None,
    };
    // 2. Connect.
    let tcp = connect(&options.server)?;
    let setup = |e: std::io::Error| (EXIT_CONNECTION, format!("socket set-up failed: {e}"));
    tcp.set_read_timeout(Some(READ_TIMEOUT)).map_err(setup)?;
    tcp.set_write_timeout(Some(READ_TIMEOUT)).map_err(setup)?;
    let local = tcp.local_addr().map_err(setup)?;
    let peer = tcp.peer_addr().map_err(setup)?;
    let helo = options.helo.clone().unwrap_or(Host::Literal(match local.ip() {
        std::net::IpAddr::V4(ip) => AddressLiteral::Ipv4(ip),
        std::net::IpAddr::V6(ip) => AddressLiteral::Ipv6(ip),
    }));
    let config = ClientConfig {
        helo,
        ehlo: true,
        tls: if tls.is_some() { TlsMode::Required } else { TlsMode::Never },
        credentials: options.credentials.clone(),
        pipelining: options.pipelining,
        chunking: options.chunking,
        declare_size: true,
    };
    let envelope = Envelope::new(options.from.clone(), options.to.clone());
    let mut client = ClientSession::new(config, envelope, options.message.clone());
    let mut transcript =
        Transcript::new(&local.to_string(), &peer.to_string(), &local.to_string(), options.color, true);
    let mut record = options.record.as_ref().map(|_| {
        Record::start(
            Side::Send,
            &local.to_string(),
            &peer.to_string(),
            host,
            peer.port(),
            LinePolicy::Strict,
        )
    });
    let mut io = Transport::Plain(tcp);
    let mut buf = vec![0u8; 16 * 1024];
    let mut lost: Option<String> = None;
    let mut pending = Vec::new();
    let mut starttls_offered = None;
    // 3. The conversation: send what the session wants sent, feed it what comes back.
    while !client.is_done() {
        let tls_active = !matches!(io, Transport::Plain(_));
        while let Some(bytes) = client.poll_transmit() {
            transcript.client_bytes(&bytes, tls_active);
            if let Some(record) = record.as_mut() {
                record.client_bytes(&bytes);
            }
            if let Err(e) = io.write_all(&bytes).and_then(|()| io.flush()) {
                let reason = format!("write failed: {e}");
                client.connection_lost(&reason);
                lost = Some(reason);
                break;
            }
        }
        if client.is_done() {
            break;
        }
        if client.is_handshaking() {
            let Some((config, name)) = tls.clone() else {
                // TlsMode::Never never sends STARTTLS, so this cannot happen; end cleanly.
                client.connection_lost("TLS was not configured");
                break;
            };
            let deadline = Instant::now() + READ_TIMEOUT;
            io = io
                .connect_tls(config, name, deadline)
                .map_err(|e| (EXIT_CONNECTION, format!("TLS handshake with {peer} failed: {e}")))?;
            let description = io.tls_description().unwrap_or_default();
            transcript.note(&format!("TLS established ({description})"));
            if let Some(record) = record.as_mut() {
                record.tls_established(&description);
            }
            client.tls_established();
            continue;
        }
        match io.read(&mut buf) {
            Ok(0) => {
                let reason = "the server closed the connection".to_owned();
                client.connection_lost(&reason);
                lost = Some(reason);
            }
            Ok(n) => {
                let bytes = buf.get(..n).unwrap_or_default();
                if let Some(record) = record.as_mut() {
                    record.server_bytes(bytes);
                }
                // Show whole lines only: a reply may arrive in pieces.
                pending.extend_from_slice(bytes);
                if let Some(end) = pending.iter().rposition(|&b| b == b'\n') {
                    let lines: Vec<u8> = pending.drain(..=end).collect();
                    transcript.server_bytes(&lines, None, tls_active);
                }
                client.handle_input(bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let reason = if is_timeout(&e) {
                    format!("no reply within {} s", READ_TIMEOUT.as_secs())
                } else {
                    format!("read failed: {e}")
                };
                client.connection_lost(&reason);
                lost = Some(reason);
            }
        }
        while let Some(event) = client.poll_event() {
            // Only the plaintext EHLO reply tells: under TLS, STARTTLS is never offered.
            if let ClientEvent::CapabilitiesReceived(caps) = event
                && !client.is_tls()
            {
                starttls_offered = Some(caps.has("STARTTLS"));
            }
        }
    }
    io.close();
    if let (Some(record), Some(path)) = (record, &options.record) {
        let how = lost.as_deref().unwrap_or("the client said QUIT, and both sides closed the connection");
        match record.write(how, path, None) {
            Ok(()) => transcript.note(&format!("recorded in {}", path.display())),
            Err(e) => eprintln!("warning: {e}"),
        }
    }
    // 4. What happened to each recipient.
    let mut delivered = 0;
    let mut summary = String::from("\n");
    for (recipient, status) in client.outcomes() {
        let (word, reply) = match status {
            Some(RecipientStatus::Delivered(reply)) => {
                delivered += 1;
                ("delivered", one_line(reply))
            }
            Some(RecipientStatus::Deferred(reply)) => ("deferred", one_line(reply)),
            Some(RecipientStatus::Failed(reply)) => ("failed", one_line(reply)),
            None => ("not attempted", String::new()),
        };
        summary.push_str(&format!("{}: {word} {reply}\n", recipient.path));
    }
    super::serve::print_block(&summary);
    let all = client.outcomes().count();
    if delivered == all {
        return Ok(EXIT_DELIVERED);
    }
    if options.tls.is_some() && starttls_offered == Some(false) {
        return Err((EXIT_CONNECTION, format!("{peer} does not offer STARTTLS, and --starttls requires it")));
    }
    if let Some(reason) = lost {
        return Err((EXIT_CONNECTION, format!("{reason} before the session ended")));
    }
    Ok(EXIT_REJECTED)
}

/// A reply on one line: `550 5.1.1 text`.
fn one_line(reply: &crate::proto::Reply) -> String {
    let enhanced = reply.enhanced.map(|e| format!("{e} ")).unwrap_or_default();
    format!("{} {enhanced}{}", reply.code, reply.text())
}
