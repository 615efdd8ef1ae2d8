//! Scenarios: what the actors do. For now, the seed's telnet session.

use crate::engine::{ClientSession, Envelope, ServerSession, TranscriptLine, exchange};

/// The message of the seed's telnet example, as RFC 5322 text.
pub const SEED_MESSAGE: &str = "Subject: Test Email\r\nFrom: sender@example.com\r\nTo: recipient@example.com\r\n\r\nThis is a test email.\r\n";

/// Runs the seed's telnet example — `HELO example.com`, one sender, one recipient,
/// the message above, `QUIT` — through the core and returns its transcript.
pub fn seed_telnet_session() -> Vec<TranscriptLine> {
    let envelope = Envelope {
        helo: "example.com".into(),
        reverse_path: "sender@example.com".into(),
        forward_paths: vec!["recipient@example.com".into()],
    };
    let mut client = ClientSession::new(envelope, SEED_MESSAGE);
    let mut server = ServerSession::new("smtp.example.com");
    exchange(&mut client, &mut server, 64)
}
