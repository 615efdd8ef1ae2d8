//! Scenarios: what the actors do. For now, the seed's telnet session.

use crate::engine::{
    AcceptAll, ClientConfig, ClientSession, Envelope, ServerConfig, ServerSession, TlsMode, TranscriptLine,
    exchange,
};
use crate::proto::{ForwardPath, Host, ReversePath};

/// The message of the seed's telnet example, as RFC 5322 text.
pub const SEED_MESSAGE: &str = "Subject: Test Email\r\nFrom: sender@example.com\r\nTo: recipient@example.com\r\n\r\nThis is a test email.\r\n";

/// Runs the seed's telnet example — `HELO example.com`, one sender, one recipient,
/// the message above, `QUIT` — through the core and returns its transcript.
pub fn seed_telnet_session() -> Vec<TranscriptLine> {
    let parse_error = |what: &str| -> ! { unreachable!("the seed's {what} is valid") };
    let helo: Host = "example.com".parse().unwrap_or_else(|_| parse_error("HELO name"));
    let sender: ReversePath = "<sender@example.com>".parse().unwrap_or_else(|_| parse_error("sender"));
    let recipient: ForwardPath =
        "<recipient@example.com>".parse().unwrap_or_else(|_| parse_error("recipient"));
    let config = ClientConfig { helo, ehlo: false, tls: TlsMode::Never, ..ClientConfig::default() };
    let mut client = ClientSession::new(config, Envelope::new(sender, [recipient]), SEED_MESSAGE);
    let server_config = ServerConfig { hostname: "smtp.example.com".into(), ..ServerConfig::default() };
    let mut server = ServerSession::new(server_config, None);
    exchange(&mut client, &mut server, &mut AcceptAll, 64)
}
