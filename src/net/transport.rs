//! A blocking TCP connection that may be upgraded to TLS in the middle (STARTTLS).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, ConnectionCommon, ServerConnection, StreamOwned};

/// The connection as it is now: plaintext, or TLS over the same socket.
pub enum Transport {
    Plain(TcpStream),
    Server(Box<StreamOwned<ServerConnection, TcpStream>>),
    Client(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Transport {
    /// The socket underneath.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(tcp) => tcp,
            Transport::Server(tls) => tls.get_ref(),
            Transport::Client(tls) => tls.get_ref(),
        }
    }

    /// `TLSv1_3 / TLS13_AES_256_GCM_SHA384`, or `None` in plaintext.
    pub fn tls_description(&self) -> Option<String> {
        let (version, suite) = match self {
            Transport::Plain(_) => return None,
            Transport::Server(tls) => (tls.conn.protocol_version(), tls.conn.negotiated_cipher_suite()),
            Transport::Client(tls) => (tls.conn.protocol_version(), tls.conn.negotiated_cipher_suite()),
        };
        let version = version.map(|v| format!("{v:?}")).unwrap_or_else(|| "TLS".into());
        Some(match suite {
            Some(suite) => format!("{version}, {:?}", suite.suite()),
            None => version,
        })
    }

    /// Runs the server side of the handshake on the plaintext socket. Bytes the client sent
    /// before it are not carried over: the caller has handed them to the session already,
    /// which threw away what followed STARTTLS (RFC 3207 §4.2).
    pub fn accept_tls(
        self,
        config: Arc<rustls::ServerConfig>,
        deadline: Instant,
        stop: &dyn Fn() -> bool,
    ) -> Result<Transport, String> {
        let Transport::Plain(mut tcp) = self else { return Err("TLS is already active".into()) };
        let mut conn = ServerConnection::new(config).map_err(|e| e.to_string())?;
        handshake(&mut conn, &mut tcp, deadline, stop)?;
        Ok(Transport::Server(Box::new(StreamOwned::new(conn, tcp))))
    }

    /// Runs the client side of the handshake, expecting `name` in the certificate.
    pub fn connect_tls(
        self,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
        deadline: Instant,
    ) -> Result<Transport, String> {
        let Transport::Plain(mut tcp) = self else { return Err("TLS is already active".into()) };
        let mut conn = ClientConnection::new(config, name).map_err(|e| e.to_string())?;
        handshake(&mut conn, &mut tcp, deadline, &|| false)?;
        Ok(Transport::Client(Box::new(StreamOwned::new(conn, tcp))))
    }

    /// Ends the connection: TLS `close_notify` first when in TLS, then both directions.
    pub fn close(mut self) {
        match &mut self {
            Transport::Plain(_) => {}
            Transport::Server(tls) => {
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
            Transport::Client(tls) => {
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        }
        let _ = self.tcp().shutdown(Shutdown::Both);
    }
}

/// Drives a handshake to its end over a socket whose reads time out now and then (so a
/// shutdown is noticed); gives up at `deadline`. Records are read one socket read at a
/// time and the deadline is looked at after each, so a peer trickling its ClientHello a few
/// bytes at a time cannot stretch the handshake past it.
fn handshake<D>(
    conn: &mut ConnectionCommon<D>,
    tcp: &mut TcpStream,
    deadline: Instant,
    stop: &dyn Fn() -> bool,
) -> Result<(), String> {
    while conn.is_handshaking() {
        while conn.wants_write() {
            match conn.write_tls(tcp) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        if !conn.is_handshaking() {
            break;
        }
        if Instant::now() >= deadline {
            return Err("the handshake timed out".into());
        }
        if stop() {
            return Err("shutting down".into());
        }
        match conn.read_tls(tcp) {
            Ok(0) => return Err("the peer closed the connection".into()),
            Ok(_) => {
                if let Err(e) = conn.process_new_packets() {
                    // Tell the peer why (a TLS alert), then give up.
                    let _ = conn.write_tls(tcp);
                    return Err(e.to_string());
                }
            }
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err("the peer closed the connection".into());
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    // Send what the handshake left to send (a TLS 1.3 server's session tickets).
    while conn.wants_write() {
        conn.write_tls(tcp).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// What a read timeout looks like (`WouldBlock` on Unix, `TimedOut` on Windows).
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.read(buf),
            Transport::Server(tls) => tls.read(buf),
            Transport::Client(tls) => tls.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.write(buf),
            Transport::Server(tls) => tls.write(buf),
            Transport::Client(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(tcp) => tcp.flush(),
            Transport::Server(tls) => tls.flush(),
            Transport::Client(tls) => tls.flush(),
        }
    }
}
