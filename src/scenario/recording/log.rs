//! The steps of a recording as they are made, whatever the protocol: lanes, steps, the
//! changes to the world (what was stored), and the cap on how many steps a recording keeps.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{MASK, MAX_RECORDED_STEPS, Recording};
use crate::scenario::played::Played;
use crate::timeline::{Change, Lane, Millis, Outcome, Step, StepKind, Text, Timeline, wire_text};

/// A recording's steps so far, between `client` and `server` (their lanes).
#[derive(Debug)]
pub(super) struct Log {
    pub client: String,
    pub server: String,
    pub steps: Vec<Step>,
    pub changes: Vec<Change>,
    pub outcome: Outcome,
    /// Whether the connection is inside TLS from here.
    pub tls: bool,
    /// Steps past [`MAX_RECORDED_STEPS`], counted, not kept.
    left_out: usize,
}

impl Log {
    pub fn new(client: &str, server: &str) -> Self {
        Self {
            client: client.to_owned(),
            server: server.to_owned(),
            steps: Vec::new(),
            changes: Vec::new(),
            outcome: Outcome::default(),
            tls: false,
            left_out: 0,
        }
    }

    /// A step between the two lanes: from the client to the server when `to_server`.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        at: Millis,
        to_server: bool,
        kind: StepKind,
        wire: Option<&[u8]>,
        summary: String,
        explanation: String,
        rfc: Option<&str>,
        code: Option<u16>,
    ) {
        let (from, to) = if to_server {
            (self.client.clone(), self.server.clone())
        } else {
            (self.server.clone(), self.client.clone())
        };
        let step = self.step(at, from, to, kind, wire, summary, explanation, rfc, code);
        self.keep(step);
    }

    /// A step on the server's lane only: something it did or decided.
    pub fn local(&mut self, at: Millis, kind: StepKind, summary: String, explanation: String, rfc: &str) {
        let server = self.server.clone();
        let step = self.step(at, server.clone(), server, kind, None, summary, explanation, Some(rfc), None);
        self.keep(step);
    }

    /// The TCP connection opened on `port`, at time 0 of the recording (`protocol`: `SMTP`,
    /// `IMAP`).
    pub fn connected(&mut self, port: u16, protocol: &str, explanation: String, rfc: &str) {
        let summary =
            format!("TCP connection from {} to {} port {port} ({protocol})", self.client, self.server);
        self.push(0, true, StepKind::TcpConnect, None, summary, explanation, Some(rfc), None);
    }

    /// The connection ended.
    pub fn closed(&mut self, at: Millis, explanation: String, rfc: &str) {
        let summary = "The connection closes".to_owned();
        self.push(at, true, StepKind::TcpClose, None, summary, explanation, Some(rfc), None);
    }

    /// The TLS handshake completed: from here every step is marked encrypted.
    pub fn tls_handshake(&mut self, at: Millis, explanation: String, rfc: &str) {
        self.tls = true;
        let summary = "TLS handshake: from here on the connection is encrypted".to_owned();
        self.push(at, true, StepKind::TlsHandshake, None, summary, explanation, Some(rfc), None);
    }

    /// Keeps `step`, unless the recording is full: past [`MAX_RECORDED_STEPS`] steps are
    /// counted, not kept.
    fn keep(&mut self, step: Step) {
        if self.steps.len() >= MAX_RECORDED_STEPS {
            self.left_out += 1;
        } else {
            self.steps.push(step);
        }
    }

    /// A step at `at`, marked encrypted when the connection is (its opening and closing are
    /// TCP's, never inside TLS), after the changes so far.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        at: Millis,
        from: String,
        to: String,
        kind: StepKind,
        wire: Option<&[u8]>,
        summary: String,
        explanation: String,
        rfc: Option<&str>,
        code: Option<u16>,
    ) -> Step {
        Step {
            time: at,
            duration: 0,
            from: from.into(),
            to: to.into(),
            tls: self.tls && !matches!(kind, StepKind::TcpConnect | StepKind::TcpClose),
            kind,
            wire: wire.map(wire_text),
            summary: summary.into(),
            explanation: explanation.into(),
            rfc: rfc.map(str::to_owned).map(Text::from),
            code,
            changes: self.changes.len(),
            check: None,
        }
    }

    /// The recording: the timeline (with a last step saying how many were left out, if any)
    /// and what the player shows about it. `source` replays it in the Lab (empty: no replay).
    pub fn played(mut self, info: Recording, title: String, description: String, source: String) -> Played {
        if self.left_out > 0 {
            let summary = format!("{} more steps were left out of this recording", self.left_out);
            let explanation = format!(
                "A recording keeps at most {MAX_RECORDED_STEPS} steps, so that it opens in a browser; the \
                 session went on after this."
            );
            // The one step past the cap: the one that says so.
            let at = self.steps.last().map_or(0, |s| s.time);
            let server = self.server.clone();
            let note =
                self.step(at, server.clone(), server, StepKind::Note, None, summary, explanation, None, None);
            self.steps.push(note);
        }
        let servers = crate::scenario::parse(&source)
            .map(|s| crate::scenario::console::console_servers(&s))
            .unwrap_or_default();
        let timeline = Timeline {
            lanes: vec![
                Lane { name: self.client, role: "client (real)".into(), ip: ip_of(&info.client) },
                Lane { name: self.server, role: "server (real)".into(), ip: ip_of(&info.server) },
            ],
            steps: self.steps,
            changes: self.changes,
            outcome: self.outcome,
        };
        Played {
            lesson: None,
            source,
            title,
            description,
            topic: Some("Recordings".into()),
            goals: Vec::new(),
            recap: None,
            try_next: Vec::new(),
            zone: Vec::new(),
            faults: Vec::new(),
            sends: 0,
            servers,
            link: None,
            timeline,
            recording: Some(info),
        }
    }
}

/// The first [`super::MAX_KEPT_DATA`] octets of `bytes`, and whether that is less than all.
pub(super) fn kept(bytes: &[u8]) -> (&[u8], bool) {
    match bytes.get(..super::MAX_KEPT_DATA) {
        Some(head) if head.len() < bytes.len() => (head, true),
        _ => (bytes, false),
    }
}

/// The IP address of `ADDRESS:PORT`, for a lane.
fn ip_of(address: &str) -> Option<String> {
    address.parse::<std::net::SocketAddr>().ok().map(|a| a.ip().to_string())
}

/// The sentence a recording's description ends with when it masked secrets.
pub(super) fn masked_sentence(masked: usize, what: &str) -> String {
    match masked {
        0 => String::new(),
        1 => format!(
            " One secret ({what}) is masked as ******** in the recording: the bytes shown there are not \
             the ones that crossed the wire."
        ),
        n => format!(
            " {n} secrets ({what}) are masked as ******** in the recording: the bytes shown there are not \
             the ones that crossed the wire."
        ),
    }
}

/// A SASL response line (base64, then its line end) with the secret replaced by [`MASK`]:
/// with `plain`, PLAIN's `authzid NUL authcid NUL passwd` (RFC 4616 §2) keeps the names and
/// masks the password; otherwise the whole response is masked. `None` when there is nothing
/// to mask: `*` cancels the exchange (RFC 4954 §4, RFC 9051 §6.2.2) and `=` is empty.
pub(super) fn mask_sasl(line: &[u8], plain: bool) -> Option<Vec<u8>> {
    let ending: &[u8] = if line.ends_with(b"\r\n") {
        b"\r\n"
    } else if line.ends_with(b"\n") {
        b"\n"
    } else {
        b""
    };
    let body = &line[..line.len() - ending.len()];
    if body == b"*" || body == b"=" || body.trim_ascii().is_empty() {
        return None;
    }
    let masked = match BASE64.decode(body.trim_ascii()) {
        Ok(decoded) if plain && decoded.iter().filter(|&&b| b == 0).count() == 2 => {
            let cut = decoded.iter().rposition(|&b| b == 0).unwrap_or(0);
            let mut names = decoded[..=cut].to_vec();
            names.extend_from_slice(MASK.as_bytes());
            BASE64.encode(names)
        }
        _ => BASE64.encode(MASK),
    };
    let mut out = masked.into_bytes();
    out.extend_from_slice(ending);
    Some(out)
}
