//! Behaviour of the sans-IO client session: against the real server through
//! `engine::exchange`, and against hand-written server scripts for servers that
//! misbehave.
//!
//! A client script is read top to bottom: consecutive `S:` lines are fed to the client in
//! one `handle_input` call, each followed by CRLF; the `C:` lines after them are what the
//! client must transmit in answer, line by line (message data included, `C:` alone for an
//! empty line); `E:` lines are its events. A script that lists
//! no `E:` line does not check events. When the client asks for a TLS handshake, the
//! script completes it at once.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::engine::{
    AcceptAll, ClientConfig, ClientEvent, ClientSession, Credentials, Envelope, MailPolicy, Policy,
    RecipientStatus, ServerConfig, ServerSession, SessionInfo, TlsMode, Verdict, exchange,
};
use smtp_playground::proto::{
    ForwardPath, Mechanism, Notify, Orcpt, Reply, ReplyCode, ReversePath, params::Ret,
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn envelope(from: &str, to: &[&str]) -> Envelope {
    let from: ReversePath = from.parse().unwrap_or_else(|e| panic!("{from}: {e}"));
    let to = to.iter().map(|t| t.parse::<ForwardPath>().unwrap_or_else(|e| panic!("{t}: {e}")));
    Envelope::new(from, to)
}

fn alice_to_bob() -> Envelope {
    envelope("<alice@example.com>", &["<bob@example.net>"])
}

const MESSAGE: &str = "Subject: hi\r\n\r\nhello\r\n";

fn client(config: ClientConfig, envelope: Envelope, message: &[u8]) -> ClientSession {
    ClientSession::new(config, envelope, message.to_vec())
}

/// A client event in the short form the scripts use.
fn describe(event: &ClientEvent) -> String {
    match event {
        ClientEvent::CapabilitiesReceived(ehlo) => format!("CapabilitiesReceived {}", ehlo.domain),
        ClientEvent::FellBackToHelo => "FellBackToHelo".into(),
        ClientEvent::TlsRequested => "TlsRequested".into(),
        ClientEvent::Authenticated => "Authenticated".into(),
        ClientEvent::RecipientAnswered { recipient, reply } => {
            format!("RecipientAnswered {recipient} {}", reply.code)
        }
        ClientEvent::MessageAccepted(reply) => format!("MessageAccepted {}", reply.code),
        ClientEvent::TransactionFailed(reply) => format!("TransactionFailed {}", code_of(reply)),
        ClientEvent::Finished => "Finished".into(),
    }
}

fn code_of(reply: &Reply) -> String {
    match reply.enhanced {
        Some(e) => format!("{} {e}", reply.code),
        None => reply.code.to_string(),
    }
}

/// Everything the client wants to send, as lines without CRLF.
fn transmitted(client: &mut ClientSession) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(bytes) = client.poll_transmit() {
        assert!(bytes.ends_with(b"\r\n"), "{:?} does not end in CRLF", String::from_utf8_lossy(&bytes));
        lines.extend(String::from_utf8_lossy(&bytes).split_terminator("\r\n").map(str::to_owned));
    }
    lines
}

fn events(client: &mut ClientSession) -> Vec<String> {
    std::iter::from_fn(|| client.poll_event()).map(|e| describe(&e)).collect()
}

/// Runs a client script (see the module comment) and returns the client.
fn script(mut client: ClientSession, script: &str) -> ClientSession {
    let lines: Vec<&str> = script.lines().map(str::trim_start).filter(|l| !l.is_empty()).collect();
    let check_events = lines.iter().any(|l| l.starts_with("E:"));
    assert!(transmitted(&mut client).is_empty(), "the client speaks first");
    let mut i = 0;
    let mut step = 0;
    while i < lines.len() {
        let mut input = Vec::new();
        while let Some(line) = lines.get(i).and_then(|l| l.strip_prefix("S:")) {
            input.extend_from_slice(line.trim_start().as_bytes());
            input.extend_from_slice(b"\r\n");
            i += 1;
        }
        client.handle_input(&input);
        if client.is_handshaking() {
            client.tls_established();
        }
        let mut want_lines = Vec::new();
        let mut want_events = Vec::new();
        while let Some(line) = lines.get(i).filter(|l| !l.starts_with("S:")) {
            if let Some(sent) = line.strip_prefix("C:") {
                want_lines.push(sent.strip_prefix(' ').unwrap_or(sent));
            } else if let Some(event) = line.strip_prefix("E:") {
                want_events.push(event.trim_start());
            } else {
                panic!("script line {line:?} is not S:, C: or E:");
            }
            i += 1;
        }
        let context = format!("step {step} after {:?}", String::from_utf8_lossy(&input));
        assert_eq!(transmitted(&mut client), want_lines, "{context}");
        let got = events(&mut client);
        if check_events {
            assert_eq!(got, want_events, "{context}: events");
        }
        step += 1;
    }
    client
}

/// A message as the server's policy saw it at the end of the data.
struct Seen {
    session: SessionInfo,
    data: Vec<u8>,
    envelope: Envelope,
}

/// Wraps a policy and records every message the server accepts. (`exchange` consumes the
/// server's events, so the policy is where a test sees what arrived.)
struct Recorder<'a> {
    inner: &'a mut dyn Policy,
    recipients: Vec<smtp_playground::engine::Recipient>,
    sender: Option<(ReversePath, smtp_playground::proto::MailParameters)>,
    seen: Vec<Seen>,
}

impl Policy for Recorder<'_> {
    fn sender(
        &mut self,
        s: &SessionInfo,
        path: &ReversePath,
        params: &smtp_playground::proto::MailParameters,
    ) -> Verdict {
        let verdict = self.inner.sender(s, path, params);
        if verdict == Verdict::Accept {
            self.sender = Some((path.clone(), params.clone()));
            self.recipients.clear();
        }
        verdict
    }

    fn recipient(
        &mut self,
        s: &SessionInfo,
        sender: &ReversePath,
        path: &ForwardPath,
        params: &smtp_playground::proto::RcptParameters,
    ) -> Verdict {
        let verdict = self.inner.recipient(s, sender, path, params);
        if verdict == Verdict::Accept {
            self.recipients
                .push(smtp_playground::engine::Recipient { path: path.clone(), params: params.clone() });
        }
        verdict
    }

    fn authenticate(&mut self, s: &SessionInfo, user: &str, password: &str) -> bool {
        self.inner.authenticate(s, user, password)
    }

    fn message(&mut self, s: &SessionInfo, envelope: &Envelope, data: &[u8]) -> Verdict {
        let verdict = self.inner.message(s, envelope, data);
        if verdict == Verdict::Accept
            && let Some((reverse_path, mail_params)) = self.sender.take()
        {
            let recipients = std::mem::take(&mut self.recipients);
            let rebuilt = Envelope { reverse_path, mail_params, recipients };
            assert_eq!(&rebuilt, envelope, "the policy sees the envelope the session collected");
            self.seen.push(Seen { session: s.clone(), data: data.to_vec(), envelope: rebuilt });
        }
        verdict
    }
}

/// A delivery through the real server.
struct Delivery {
    transcript: Vec<String>,
    client: ClientSession,
    server: ServerSession,
    seen: Vec<Seen>,
    client_events: Vec<String>,
}

impl Delivery {
    fn accepted(&self) -> &[Seen] {
        &self.seen
    }

    /// The client's lines of the transcript.
    fn sent(&self) -> Vec<&str> {
        self.transcript.iter().filter_map(|l| l.strip_prefix("C: ")).collect()
    }

    /// Each recipient's outcome, as `code enhanced` with the kind.
    fn outcomes(&self) -> Vec<String> {
        outcomes(&self.client)
    }
}

fn outcomes(client: &ClientSession) -> Vec<String> {
    client
        .outcomes()
        .map(|(recipient, status)| {
            let status = match status {
                None => "none".to_owned(),
                Some(RecipientStatus::Delivered(r)) => format!("Delivered {}", code_of(r)),
                Some(RecipientStatus::Deferred(r)) => format!("Deferred {}", code_of(r)),
                Some(RecipientStatus::Failed(r)) => format!("Failed {}", code_of(r)),
            };
            format!("{} {status}", recipient.path)
        })
        .collect()
}

fn deliver(
    client_config: ClientConfig,
    server_config: ServerConfig,
    policy: &mut dyn Policy,
    envelope: Envelope,
    message: &[u8],
) -> Delivery {
    let mut client = client(client_config, envelope, message);
    let mut server = ServerSession::new(server_config, None);
    let mut recorder = Recorder { inner: policy, recipients: Vec::new(), sender: None, seen: Vec::new() };
    let transcript =
        exchange(&mut client, &mut server, &mut recorder, 200).iter().map(ToString::to_string).collect();
    let client_events = events(&mut client);
    assert!(client.is_done(), "the client finished");
    Delivery { transcript, client, server, seen: recorder.seen, client_events }
}

/// Checks a transcript: `C:` lines exactly, `S:` lines as prefixes.
fn assert_transcript(got: &[String], want: &str) {
    let want: Vec<&str> = want.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let same = got.len() == want.len()
        && got
            .iter()
            .zip(&want)
            .all(|(g, w)| if w.starts_with("S:") { g.starts_with(w) } else { g.trim_end() == *w });
    assert!(same, "transcript:\n{}\nwant:\n{}", got.join("\n"), want.join("\n"));
}

/// The EHLO reply lines of a scripted modern server.
const EHLO_FULL: &str = "
    S: 250-mx.example.net
    S: 250-PIPELINING
    S: 250-SIZE 10240000
    S: 250-ENHANCEDSTATUSCODES
    S: 250-8BITMIME
    S: 250-DSN
    S: 250-SMTPUTF8
    S: 250 CHUNKING";

/// A policy that refuses `<x@…>` for good and `<y@…>` for now.
struct PickyPolicy;

impl Policy for PickyPolicy {
    fn recipient(
        &mut self,
        _: &SessionInfo,
        _: &ReversePath,
        path: &ForwardPath,
        _: &smtp_playground::proto::RcptParameters,
    ) -> Verdict {
        let local = path.mailbox().map(|m| m.local_part().as_str().to_owned()).unwrap_or_default();
        let refuse = |code: u16, enhanced: &str, text: &str| {
            let code = ReplyCode::new(code).expect("valid code");
            Verdict::Reject(Reply::with_enhanced(code, enhanced.parse().expect("valid"), text))
        };
        match local.as_str() {
            "x" => refuse(550, "5.1.1", "User unknown"),
            "y" => refuse(451, "4.7.1", "Greylisted"),
            _ => Verdict::Accept,
        }
    }
}

/// A submission server's policy: alice may log in, and relay once she has.
fn users() -> MailPolicy {
    MailPolicy {
        users: [("alice".to_owned(), "s3cret".to_owned())].into(),
        relay_authenticated: true,
        ..MailPolicy::default()
    }
}

fn alice(password: &str) -> Option<Credentials> {
    Some(Credentials { user: "alice".into(), password: password.into() })
}

// ---------------------------------------------------------------------------------------
// Against the real server
// ---------------------------------------------------------------------------------------

#[test]
fn delivers_over_ehlo_with_pipelining() {
    let d = deliver(
        ClientConfig::default(),
        ServerConfig::default(),
        &mut AcceptAll,
        alice_to_bob(),
        MESSAGE.as_bytes(),
    );
    assert_transcript(
        &d.transcript,
        "S: 220 mx.example.net ESMTP smtp-playground
         C: EHLO client.example.com
         S: 250-mx.example.net
         S: 250-PIPELINING
         S: 250-SIZE 10240000
         S: 250-ENHANCEDSTATUSCODES
         S: 250-8BITMIME
         S: 250-DSN
         S: 250-SMTPUTF8
         S: 250 CHUNKING
         C: MAIL FROM:<alice@example.com> SIZE=22
         C: RCPT TO:<bob@example.net>
         C: DATA
         S: 250 2.1.0 Ok
         S: 250 2.1.5 Ok
         S: 354 End data with <CR><LF>.<CR><LF>
         C: Subject: hi
         C:
         C: hello
         C: .
         S: 250 2.0.0 Ok: queued as
         C: QUIT
         S: 221 2.0.0 Bye",
    );
    assert_eq!(d.outcomes(), ["<bob@example.net> Delivered 250 2.0.0"]);
    assert_eq!(
        d.client_events,
        [
            "CapabilitiesReceived mx.example.net",
            "RecipientAnswered <bob@example.net> 250",
            "MessageAccepted 250",
            "Finished"
        ]
    );
    assert_eq!(d.accepted()[0].data, MESSAGE.as_bytes());
    assert!(d.server.is_closed());
}

#[test]
fn the_seed_style_helo_session_sends_no_parameters() {
    let config = ClientConfig { ehlo: false, ..ClientConfig::default() };
    let d = deliver(
        config,
        ServerConfig::default(),
        &mut AcceptAll,
        alice_to_bob(),
        "Subject: x\r\n\r\né\r\n".as_bytes(),
    );
    assert_eq!(
        d.sent(),
        [
            "HELO client.example.com",
            "MAIL FROM:<alice@example.com>",
            "RCPT TO:<bob@example.net>",
            "DATA",
            "Subject: x",
            "",
            "é",
            ".",
            "QUIT"
        ]
    );
    assert_eq!(d.outcomes(), ["<bob@example.net> Delivered 250 2.0.0"]);
}

/// RFC 1870 §5: "the number of octets, including CR-LF pairs, but not the SMTP DATA
/// command's terminating dot or doubled quoting dots".
#[test]
fn size_is_the_message_with_crlf_line_ends_without_stuffing_dots() {
    let cases: &[(&str, &[u8], u64)] = &[
        ("plain", MESSAGE.as_bytes(), 22),
        ("leading dots", b".a\r\n..b\r\n", 9),
        ("bare LF line ends", b"a\nb\n", 6),
        ("no final line end", b"a\r\nb", 6),
        ("empty", b"", 0),
        ("a lone dot line", b"x\r\n.\r\ny\r\n", 9),
    ];
    for (name, message, size) in cases {
        for chunking in [false, true] {
            let config = ClientConfig { chunking, ..ClientConfig::default() };
            let d = deliver(config, ServerConfig::default(), &mut AcceptAll, alice_to_bob(), message);
            let mail = d.sent().into_iter().find(|l| l.starts_with("MAIL")).unwrap_or_default().to_owned();
            assert_eq!(
                mail,
                format!("MAIL FROM:<alice@example.com> SIZE={size}"),
                "{name}, chunking {chunking}"
            );
            let accepted = d.accepted();
            assert_eq!(accepted.len(), 1, "{name}, chunking {chunking}");
            // What the server received is exactly the declared size.
            assert_eq!(accepted[0].data.len() as u64, *size, "{name}, chunking {chunking}");
        }
    }
}

#[test]
fn size_is_not_declared_when_not_offered_or_not_wanted() {
    let config = ClientConfig { declare_size: false, ..ClientConfig::default() };
    let d = deliver(config, ServerConfig::default(), &mut AcceptAll, alice_to_bob(), MESSAGE.as_bytes());
    assert!(d.sent().contains(&"MAIL FROM:<alice@example.com>"));
}

#[test]
fn a_message_over_the_servers_limit_fails_at_mail() {
    let server = ServerConfig { max_message_size: 10, ..ServerConfig::default() };
    let d = deliver(ClientConfig::default(), server, &mut AcceptAll, alice_to_bob(), MESSAGE.as_bytes());
    assert_eq!(d.outcomes(), ["<bob@example.net> Failed 552 5.3.4"]);
    assert!(d.accepted().is_empty());
    assert!(!d.sent().contains(&"Subject: hi"));
}

#[test]
fn eight_bit_bodies_declare_8bitmime_when_offered() {
    // 8-bit in the body only: 8BITMIME, not SMTPUTF8 (that is for UTF-8 headers).
    let message = "Subject: cafe\r\n\r\nna\u{ef}ve\r\n".as_bytes();
    let cases = [(true, message, " BODY=8BITMIME"), (false, message, ""), (true, MESSAGE.as_bytes(), "")];
    for (offered, message, want) in cases {
        let server = ServerConfig { eight_bit_mime: offered, ..ServerConfig::default() };
        let d = deliver(ClientConfig::default(), server, &mut AcceptAll, alice_to_bob(), message);
        let size = message.len();
        assert!(
            d.sent().contains(&format!("MAIL FROM:<alice@example.com> SIZE={size}{want}").as_str()),
            "{:?}",
            d.sent()
        );
        assert_eq!(d.accepted().len(), 1);
    }
}

#[test]
fn utf8_addresses_need_smtputf8() {
    let to = envelope("<alice@example.com>", &["<用户@例え.jp>"]);
    let d = deliver(
        ClientConfig::default(),
        ServerConfig::default(),
        &mut AcceptAll,
        to.clone(),
        MESSAGE.as_bytes(),
    );
    assert!(d.sent().contains(&"MAIL FROM:<alice@example.com> SIZE=22 SMTPUTF8"), "{:?}", d.sent());
    assert_eq!(d.outcomes(), ["<用户@例え.jp> Delivered 250 2.0.0"]);

    // RFC 6531 §3.2: without SMTPUTF8 the client does not try (a local 553 5.6.7).
    let server = ServerConfig { smtputf8: false, ..ServerConfig::default() };
    let d = deliver(ClientConfig::default(), server, &mut AcceptAll, to, MESSAGE.as_bytes());
    assert_eq!(d.outcomes(), ["<用户@例え.jp> Failed 553 5.6.7"]);
    assert_eq!(d.sent(), ["EHLO client.example.com", "QUIT"]);
}

#[test]
fn utf8_headers_need_smtputf8_too() {
    // RFC 6531 §3.2: an ASCII envelope with UTF-8 in the header section still needs it.
    let message = "Subject: caf\u{e9}\r\n\r\nbody\r\n".as_bytes();
    let d =
        deliver(ClientConfig::default(), ServerConfig::default(), &mut AcceptAll, alice_to_bob(), message);
    assert!(
        d.sent().iter().any(|l| l.starts_with("MAIL FROM:<alice@example.com>") && l.ends_with(" SMTPUTF8")),
        "{:?}",
        d.sent()
    );
    let server = ServerConfig { smtputf8: false, ..ServerConfig::default() };
    let d = deliver(ClientConfig::default(), server, &mut AcceptAll, alice_to_bob(), message);
    assert_eq!(d.outcomes(), ["<bob@example.net> Failed 553 5.6.7"]);
}

#[test]
fn parameters_of_another_hop_are_not_copied() {
    // A relay's envelope carries the incoming MAIL parameters; only what this server
    // offers is sent on, and SIZE is recomputed.
    let mut env = alice_to_bob();
    env.mail_params.size = Some(999_999);
    env.mail_params.body = Some(smtp_playground::proto::Body::EightBitMime);
    env.mail_params
        .other
        .push(smtp_playground::proto::params::EsmtpParam { keyword: "X-HOP".into(), value: None });
    let server = ServerConfig { eight_bit_mime: false, ..ServerConfig::default() };
    let d = deliver(ClientConfig::default(), server, &mut AcceptAll, env, MESSAGE.as_bytes());
    let size = MESSAGE.len();
    assert!(
        d.sent().contains(&format!("MAIL FROM:<alice@example.com> SIZE={size}").as_str()),
        "{:?}",
        d.sent()
    );
}

#[test]
fn dsn_parameters_are_sent_only_when_dsn_is_offered() {
    let mut env = alice_to_bob();
    env.mail_params.ret = Some(Ret::Hdrs);
    env.mail_params.envid = Some("QQ314159".into());
    env.recipients[0].params.notify = Some(Notify { success: true, failure: true, delay: false });
    env.recipients[0].params.orcpt =
        Some(Orcpt { addr_type: "rfc822".into(), address: "bob@example.net".into() });
    let d = deliver(
        ClientConfig::default(),
        ServerConfig::default(),
        &mut AcceptAll,
        env.clone(),
        MESSAGE.as_bytes(),
    );
    assert_eq!(
        &d.sent()[1..3],
        [
            "MAIL FROM:<alice@example.com> SIZE=22 RET=HDRS ENVID=QQ314159",
            "RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net"
        ]
    );
    let server = ServerConfig { dsn: false, ..ServerConfig::default() };
    let d = deliver(ClientConfig::default(), server, &mut AcceptAll, env, MESSAGE.as_bytes());
    assert_eq!(&d.sent()[1..3], ["MAIL FROM:<alice@example.com> SIZE=22", "RCPT TO:<bob@example.net>"]);
    assert_eq!(d.outcomes(), ["<bob@example.net> Delivered 250 2.0.0"]);
}

#[test]
fn starttls_is_used_when_offered() {
    let server = ServerConfig { starttls: true, ..ServerConfig::default() };
    let mut client = client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes());
    let mut server = ServerSession::new(server, None);
    let mut recorder =
        Recorder { inner: &mut AcceptAll, recipients: Vec::new(), sender: None, seen: Vec::new() };
    let transcript = exchange(&mut client, &mut server, &mut recorder, 200);
    let lines: Vec<String> = transcript.iter().map(ToString::to_string).collect();
    let starttls = lines.iter().position(|l| l == "C: STARTTLS").expect("STARTTLS sent");
    assert!(lines[starttls + 1].starts_with("S: 220 2.0.0"));
    assert_eq!(lines[starttls + 2], "C: EHLO client.example.com");
    // Everything after the 220 travelled inside TLS.
    assert!(transcript[..=starttls + 1].iter().all(|l| !l.tls));
    assert!(transcript[starttls + 2..].iter().all(|l| l.tls));
    assert!(client.is_tls());
    assert!(recorder.seen[0].session.tls);
}

#[test]
fn starttls_not_offered() {
    // Opportunistic: carry on in plaintext.
    let d = deliver(
        ClientConfig::default(),
        ServerConfig::default(),
        &mut AcceptAll,
        alice_to_bob(),
        MESSAGE.as_bytes(),
    );
    assert!(!d.sent().contains(&"STARTTLS"));
    assert!(!d.client.is_tls());
    // Required: give up before MAIL.
    let config = ClientConfig { tls: TlsMode::Required, ..ClientConfig::default() };
    let d = deliver(config, ServerConfig::default(), &mut AcceptAll, alice_to_bob(), MESSAGE.as_bytes());
    assert_eq!(d.sent(), ["EHLO client.example.com", "QUIT"]);
    assert_eq!(d.outcomes(), ["<bob@example.net> Failed 530 5.7.10"]);
    // Never: not even when offered.
    let config = ClientConfig { tls: TlsMode::Never, ..ClientConfig::default() };
    let server = ServerConfig { starttls: true, ..ServerConfig::default() };
    let d = deliver(config, server, &mut AcceptAll, alice_to_bob(), MESSAGE.as_bytes());
    assert!(!d.sent().contains(&"STARTTLS"));
    assert_eq!(d.outcomes(), ["<bob@example.net> Delivered 250 2.0.0"]);
}

#[test]
fn auth_plain_with_an_initial_response() {
    let server = ServerConfig {
        starttls: true,
        auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login],
        auth_requires_tls: true,
        require_auth: true,
        ..ServerConfig::default()
    };
    let config = ClientConfig { credentials: alice("s3cret"), ..ClientConfig::default() };
    let d = deliver(config, server, &mut users(), alice_to_bob(), MESSAGE.as_bytes());
    let sent = d.sent();
    let auth = sent.iter().position(|l| l.starts_with("AUTH")).expect("AUTH sent");
    assert_eq!(sent[auth], "AUTH PLAIN AGFsaWNlAHMzY3JldA==");
    assert!(sent[..auth].contains(&"STARTTLS"), "AUTH only after TLS");
    assert!(d.client_events.contains(&"Authenticated".to_owned()));
    assert_eq!(d.outcomes(), ["<bob@example.net> Delivered 250 2.0.0"]);
    assert_eq!(d.accepted()[0].session.authenticated.as_deref(), Some("alice"));
}

#[test]
fn auth_login_in_two_steps() {
    let server = ServerConfig {
        auth_mechanisms: vec![Mechanism::Login],
        require_auth: true,
        ..ServerConfig::default()
    };
    let config = ClientConfig { credentials: alice("s3cret"), ..ClientConfig::default() };
    let d = deliver(config, server, &mut users(), alice_to_bob(), MESSAGE.as_bytes());
    let from = d.transcript.iter().position(|l| l == "C: AUTH LOGIN").expect("AUTH LOGIN sent");
    assert_transcript(
        &d.transcript[from..from + 6],
        "C: AUTH LOGIN
         S: 334 VXNlcm5hbWU6
         C: YWxpY2U=
         S: 334 UGFzc3dvcmQ6
         C: czNjcmV0
         S: 235 2.7.0 Authentication successful",
    );
    assert_eq!(d.outcomes(), ["<bob@example.net> Delivered 250 2.0.0"]);
}

#[test]
fn a_wrong_password_fails_the_delivery() {
    let server = ServerConfig {
        auth_mechanisms: vec![Mechanism::Plain],
        require_auth: true,
        ..ServerConfig::default()
    };
    let config = ClientConfig { credentials: alice("guess"), ..ClientConfig::default() };
    let d = deliver(config, server, &mut users(), alice_to_bob(), MESSAGE.as_bytes());
    assert_eq!(d.outcomes(), ["<bob@example.net> Failed 535 5.7.8"]);
    assert_eq!(d.sent().last(), Some(&"QUIT"));
    assert!(!d.sent().iter().any(|l| l.starts_with("MAIL")));
}

#[test]
fn without_credentials_a_submission_server_refuses_mail() {
    let server = ServerConfig {
        auth_mechanisms: vec![Mechanism::Plain],
        require_auth: true,
        ..ServerConfig::default()
    };
    let d = deliver(ClientConfig::default(), server, &mut users(), alice_to_bob(), MESSAGE.as_bytes());
    assert_eq!(d.outcomes(), ["<bob@example.net> Failed 530 5.7.0"]);
    assert!(!d.sent().contains(&"Subject: hi"));
}

#[test]
fn each_recipient_gets_its_own_outcome() {
    let to = envelope(
        "<alice@example.com>",
        &["<bob@example.net>", "<x@example.net>", "<y@example.net>", "<carol@example.net>"],
    );
    for pipelining in [true, false] {
        let config = ClientConfig { pipelining, ..ClientConfig::default() };
        let d = deliver(config, ServerConfig::default(), &mut PickyPolicy, to.clone(), MESSAGE.as_bytes());
        assert_eq!(
            d.outcomes(),
            [
                "<bob@example.net> Delivered 250 2.0.0",
                "<x@example.net> Failed 550 5.1.1",
                "<y@example.net> Deferred 451 4.7.1",
                "<carol@example.net> Delivered 250 2.0.0",
            ],
            "pipelining {pipelining}"
        );
        let recipients: Vec<String> =
            d.accepted()[0].envelope.recipients.iter().map(|r| r.path.to_string()).collect();
        assert_eq!(recipients, ["<bob@example.net>", "<carol@example.net>"]);
        let answered = d.client_events.iter().filter(|e| e.starts_with("RecipientAnswered")).count();
        assert_eq!(answered, 4);
    }
}

#[test]
fn no_accepted_recipient_means_no_message() {
    let to = envelope("<alice@example.com>", &["<x@example.net>", "<y@example.net>"]);
    // Without PIPELINING, DATA is not even sent (RFC 5321 §3.3).
    let config = ClientConfig { pipelining: false, ..ClientConfig::default() };
    let d = deliver(config, ServerConfig::default(), &mut PickyPolicy, to.clone(), MESSAGE.as_bytes());
    assert_eq!(
        d.sent(),
        [
            "EHLO client.example.com",
            "MAIL FROM:<alice@example.com> SIZE=22",
            "RCPT TO:<x@example.net>",
            "RCPT TO:<y@example.net>",
            "QUIT"
        ]
    );
    assert_eq!(d.outcomes(), ["<x@example.net> Failed 550 5.1.1", "<y@example.net> Deferred 451 4.7.1"]);
    // Pipelined, DATA went out with the group; the server refuses it and no data follows.
    let d =
        deliver(ClientConfig::default(), ServerConfig::default(), &mut PickyPolicy, to, MESSAGE.as_bytes());
    assert!(d.transcript.iter().any(|l| l.starts_with("S: 554 5.5.1 Error: no valid recipients")));
    assert_eq!(d.sent().last(), Some(&"QUIT"));
    assert!(!d.sent().contains(&"Subject: hi") && !d.sent().contains(&"."));
}

#[test]
fn bdat_carries_the_message_when_chunking_is_wanted() {
    let config = ClientConfig { chunking: true, ..ClientConfig::default() };
    let message = b"Subject: hi\n\n.dot\nbye";
    let d = deliver(config, ServerConfig::default(), &mut AcceptAll, alice_to_bob(), message);
    assert_eq!(
        d.sent(),
        [
            "EHLO client.example.com",
            "MAIL FROM:<alice@example.com> SIZE=26",
            "RCPT TO:<bob@example.net>",
            "BDAT 26 LAST",
            "Subject: hi",
            "",
            ".dot",
            "bye",
            "QUIT"
        ]
    );
    // Lines end in CRLF on the wire, and BDAT is not dot-stuffed (RFC 3030 §2).
    assert_eq!(d.accepted()[0].data, b"Subject: hi\r\n\r\n.dot\r\nbye\r\n");
    assert_eq!(d.outcomes(), ["<bob@example.net> Delivered 250 2.0.0"]);
}

#[test]
fn a_message_with_dots_arrives_intact() {
    let message = b".\r\n..\r\n.x\r\nend\r\n";
    for chunking in [false, true] {
        let config = ClientConfig { chunking, ..ClientConfig::default() };
        let d = deliver(config, ServerConfig::default(), &mut AcceptAll, alice_to_bob(), message);
        assert_eq!(d.accepted()[0].data, message, "chunking {chunking}");
    }
}

// ---------------------------------------------------------------------------------------
// Against scripted servers
// ---------------------------------------------------------------------------------------

#[test]
fn ehlo_refused_falls_back_to_helo() {
    for refusal in ["500 5.5.2 What?", "502 5.5.1 Command not implemented"] {
        let c = script(
            client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes()),
            &format!(
                "S: 220 old.example.net SMTP
                 C: EHLO client.example.com
                 S: {refusal}
                 C: HELO client.example.com
                 E: FellBackToHelo
                 S: 250 old.example.net
                 C: MAIL FROM:<alice@example.com>
                 S: 250 ok
                 C: RCPT TO:<bob@example.net>
                 S: 250 ok
                 C: DATA
                 E: RecipientAnswered <bob@example.net> 250
                 S: 354 go ahead
                 C: Subject: hi
                 C:
                 C: hello
                 C: .
                 S: 250 queued
                 C: QUIT
                 E: MessageAccepted 250
                 S: 221 bye
                 E: Finished"
            ),
        );
        assert!(c.is_done());
        assert_eq!(outcomes(&c), ["<bob@example.net> Delivered 250"]);
    }
}

#[test]
fn pipelining_sends_the_group_before_any_reply() {
    let to = envelope("<alice@example.com>", &["<bob@example.net>", "<carol@example.net>"]);
    script(
        client(ClientConfig::default(), to.clone(), MESSAGE.as_bytes()),
        &format!(
            "S: 220 mx.example.net
             C: EHLO client.example.com
             {EHLO_FULL}
             C: MAIL FROM:<alice@example.com> SIZE=22
             C: RCPT TO:<bob@example.net>
             C: RCPT TO:<carol@example.net>
             C: DATA
             S: 250 2.1.0 Ok
             S: 250 2.1.5 Ok
             S: 250 2.1.5 Ok
             S: 354 go
             C: Subject: hi
             C:
             C: hello
             C: ."
        ),
    );
    // Without PIPELINING: one command, one reply.
    let ehlo_without_pipelining = EHLO_FULL.replace("S: 250-PIPELINING\n", "");
    script(
        client(ClientConfig::default(), to, MESSAGE.as_bytes()),
        &format!(
            "S: 220 mx.example.net
             C: EHLO client.example.com
             {ehlo_without_pipelining}
             C: MAIL FROM:<alice@example.com> SIZE=22
             S: 250 2.1.0 Ok
             C: RCPT TO:<bob@example.net>
             S: 250 2.1.5 Ok
             C: RCPT TO:<carol@example.net>
             S: 250 2.1.5 Ok
             C: DATA
             S: 354 go
             C: Subject: hi
             C:
             C: hello
             C: .
             S: 250 2.0.0 queued
             C: QUIT"
        ),
    );
}

#[test]
fn a_pipelined_data_answered_354_without_recipients_gets_only_the_dot() {
    // RFC 2920 §3.1: DATA went out with the group; when every RCPT failed but the server
    // still says 354, the client ends the data at once.
    let c = script(
        client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes()),
        &format!(
            "S: 220 mx.example.net
             C: EHLO client.example.com
             {EHLO_FULL}
             C: MAIL FROM:<alice@example.com> SIZE=22
             C: RCPT TO:<bob@example.net>
             C: DATA
             S: 250 2.1.0 Ok
             S: 550 5.1.1 User unknown
             S: 354 go
             C: .
             S: 554 5.5.1 no valid recipients
             C: QUIT"
        ),
    );
    assert_eq!(outcomes(&c), ["<bob@example.net> Failed 550 5.1.1"]);
}

#[test]
fn a_refused_sender_fails_every_recipient() {
    let to = envelope("<alice@example.com>", &["<bob@example.net>", "<carol@example.net>"]);
    let c = script(
        client(ClientConfig::default(), to, MESSAGE.as_bytes()),
        &format!(
            "S: 220 mx.example.net
             C: EHLO client.example.com
             {EHLO_FULL}
             C: MAIL FROM:<alice@example.com> SIZE=22
             C: RCPT TO:<bob@example.net>
             C: RCPT TO:<carol@example.net>
             C: DATA
             S: 553 5.7.1 Sender refused
             S: 503 5.5.1 need MAIL
             S: 503 5.5.1 need MAIL
             S: 503 5.5.1 need MAIL
             C: QUIT
             S: 221 bye"
        ),
    );
    assert_eq!(outcomes(&c), ["<bob@example.net> Failed 553 5.7.1", "<carol@example.net> Failed 553 5.7.1"]);
}

#[test]
fn starttls_required_but_refused_and_opportunistic_refused() {
    let ehlo_tls = EHLO_FULL.replace("S: 250 CHUNKING", "S: 250 STARTTLS");
    let required = ClientConfig { tls: TlsMode::Required, ..ClientConfig::default() };
    let c = script(
        client(required, alice_to_bob(), MESSAGE.as_bytes()),
        &format!(
            "S: 220 mx.example.net
             C: EHLO client.example.com
             {ehlo_tls}
             C: STARTTLS
             S: 454 4.7.0 TLS not available due to temporary reason
             C: QUIT"
        ),
    );
    assert_eq!(outcomes(&c), ["<bob@example.net> Deferred 454 4.7.0"]);
    script(
        client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes()),
        &format!(
            "S: 220 mx.example.net
             C: EHLO client.example.com
             {ehlo_tls}
             C: STARTTLS
             S: 454 4.7.0 TLS not available due to temporary reason
             C: MAIL FROM:<alice@example.com> SIZE=22
             C: RCPT TO:<bob@example.net>
             C: DATA"
        ),
    );
}

/// The STARTTLS response injection ("NO STARTTLS", 2021): replies that arrive with the
/// 220, before the handshake, are plaintext an attacker may have added; RFC 3207 §4.2
/// asks the client to discard what it learnt before TLS.
#[test]
fn replies_injected_before_the_tls_handshake_are_discarded() {
    let c = script(
        client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes()),
        "S: 220 mx.example.net
         C: EHLO client.example.com
         S: 250-mx.example.net
         S: 250 STARTTLS
         C: STARTTLS
         S: 220 2.0.0 Ready to start TLS
         S: 250-evil.example
         S: 250-AUTH PLAIN
         C: EHLO client.example.com
         S: 250-mx.example.net
         S: 250 SIZE 1000
         C: MAIL FROM:<alice@example.com> SIZE=22",
    );
    let capabilities = c.capabilities().expect("EHLO reply after TLS");
    assert_eq!(capabilities.domain, "mx.example.net");
    assert!(!capabilities.has("AUTH"));
    assert!(c.is_tls());
}

#[test]
fn a_421_ends_the_session_at_once() {
    let to = envelope("<alice@example.com>", &["<bob@example.net>", "<carol@example.net>"]);
    let c = script(
        client(ClientConfig { pipelining: false, ..ClientConfig::default() }, to, MESSAGE.as_bytes()),
        "S: 220 mx.example.net
         C: EHLO client.example.com
         S: 250 mx.example.net
         C: MAIL FROM:<alice@example.com>
         E: CapabilitiesReceived mx.example.net
         S: 250 2.1.0 Ok
         C: RCPT TO:<bob@example.net>
         S: 550 5.1.1 unknown
         C: RCPT TO:<carol@example.net>
         E: RecipientAnswered <bob@example.net> 550
         S: 421 4.3.2 mx.example.net shutting down
         E: TransactionFailed 421 4.3.2
         E: Finished",
    );
    assert!(c.is_done());
    assert_eq!(
        outcomes(&c),
        ["<bob@example.net> Failed 550 5.1.1", "<carol@example.net> Deferred 421 4.3.2"]
    );
}

#[test]
fn a_lost_connection_defers_whoever_is_left() {
    let mut c = script(
        client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes()),
        "S: 220 mx.example.net
         C: EHLO client.example.com",
    );
    c.connection_lost("connection reset by peer");
    assert!(c.is_done());
    assert_eq!(outcomes(&c), ["<bob@example.net> Deferred 421 4.4.2"]);
    assert_eq!(events(&mut c), ["TransactionFailed 421 4.4.2", "Finished"]);
    // Lost again, or after the end: nothing changes.
    c.connection_lost("again");
    assert!(events(&mut c).is_empty());
}

#[test]
fn a_refused_greeting_is_answered_with_quit() {
    let c = script(
        client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes()),
        "S: 554 5.3.2 No SMTP service here
         C: QUIT
         S: 221 bye",
    );
    assert!(c.is_done());
    assert_eq!(outcomes(&c), ["<bob@example.net> Failed 554 5.3.2"]);
}

/// A server that answers with a success where it must not cannot make the client believe
/// the message was delivered.
#[test]
fn a_success_out_of_place_is_not_a_delivery() {
    let cases: &[(&str, &str)] = &[
        (
            "250 as greeting",
            "S: 250 hello
             C: QUIT",
        ),
        (
            "250 to DATA instead of 354",
            "S: 220 mx.example.net
             C: EHLO client.example.com
             S: 250 mx.example.net
             C: MAIL FROM:<alice@example.com>
             S: 250 ok
             C: RCPT TO:<bob@example.net>
             S: 250 ok
             C: DATA
             S: 250 sure
             C: QUIT",
        ),
        (
            "250 to AUTH instead of 235",
            "S: 220 mx.example.net
             C: EHLO client.example.com
             S: 250-mx.example.net
             S: 250 AUTH PLAIN
             C: AUTH PLAIN AGFsaWNlAHMzY3JldA==
             S: 250 fine
             C: QUIT",
        ),
    ];
    for (name, body) in cases {
        let config = ClientConfig { credentials: alice("s3cret"), ..ClientConfig::default() };
        let c = script(client(config, alice_to_bob(), MESSAGE.as_bytes()), body);
        assert_eq!(outcomes(&c), ["<bob@example.net> Deferred 451 4.5.0"], "{name}");
    }
}

#[test]
fn garbage_from_the_server_ends_the_session() {
    let mut c = script(
        client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes()),
        "S: HTTP/1.1 400 Bad Request
         C: QUIT
         E: TransactionFailed 451 4.5.0",
    );
    assert_eq!(outcomes(&c), ["<bob@example.net> Deferred 451 4.5.0"]);
    // More garbage instead of the reply to QUIT: the client stops, without more QUITs.
    c.handle_input(b"<html>\r\n");
    assert!(transmitted(&mut c).is_empty());
    assert!(c.is_done());
    assert_eq!(events(&mut c), ["Finished"]);
}

#[test]
fn a_never_ending_line_is_not_buffered_without_bound() {
    for start in [&b"220-"[..], b"220 ", b"2"] {
        let mut c = client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes());
        let before = format!("{c:?}").len();
        c.handle_input(start);
        let mut largest = 0;
        for _ in 0..1024 {
            c.handle_input(&[b'x'; 1024]);
            largest = largest.max(format!("{c:?}").len());
        }
        assert!(c.is_done(), "{start:?}");
        assert_eq!(transmitted(&mut c), ["QUIT"], "{start:?}");
        assert_eq!(outcomes(&c), ["<bob@example.net> Deferred 451 4.5.0"]);
        // The client holds at most its 64 KiB reply buffer (printed as decimal bytes).
        assert!(largest < before + 66 * 1024 * 5, "{start:?}: {largest} bytes");
        assert!(format!("{c:?}").len() < before + 2048, "{start:?}: nothing kept at the end");
    }
}

#[test]
fn a_never_ending_multiline_reply_is_not_buffered_without_bound() {
    let mut c = client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes());
    let before = format!("{c:?}").len();
    let fifty_lines = b"220-still greeting\r\n".repeat(50);
    for _ in 0..1000 {
        c.handle_input(&fifty_lines);
        assert!(format!("{c:?}").len() < before + 66 * 1024 * 5);
        if c.is_done() {
            break;
        }
    }
    assert!(c.is_done());
    assert_eq!(outcomes(&c), ["<bob@example.net> Deferred 451 4.5.0"]);
}

#[test]
fn input_after_the_end_is_ignored() {
    let mut c =
        script(client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes()), "S: 421 4.3.2 go away");
    assert!(c.is_done());
    let before = format!("{c:?}").len();
    for _ in 0..100 {
        c.handle_input(&[b'7'; 1024]);
    }
    assert_eq!(format!("{c:?}").len(), before);
    assert!(transmitted(&mut c).is_empty());
    assert!(events(&mut c).is_empty());
}

#[test]
fn an_envelope_without_recipients_sends_no_transaction() {
    for pipelining in [true, false] {
        let config = ClientConfig { pipelining, ..ClientConfig::default() };
        let d = deliver(
            config,
            ServerConfig::default(),
            &mut AcceptAll,
            envelope("<alice@example.com>", &[]),
            MESSAGE.as_bytes(),
        );
        assert_eq!(d.sent(), ["EHLO client.example.com", "QUIT"], "pipelining {pipelining}");
        assert!(d.server.is_closed());
    }
}

#[test]
fn replies_split_anywhere_give_the_same_conversation() {
    let wire: &[u8] = b"220 mx.example.net\r\n250-mx.example.net\r\n250-PIPELINING\r\n250 SIZE 100\r\n\
250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n250 2.0.0 queued\r\n221 bye\r\n";
    let run = |splits: &[usize]| {
        let mut c = client(ClientConfig::default(), alice_to_bob(), MESSAGE.as_bytes());
        let mut sent = Vec::new();
        let mut last = 0;
        for &at in splits.iter().chain([&wire.len()]) {
            c.handle_input(&wire[last..at]);
            sent.extend(transmitted(&mut c));
            last = at;
        }
        (sent, events(&mut c), outcomes(&c))
    };
    let whole = run(&[]);
    assert_eq!(whole.2, ["<bob@example.net> Delivered 250 2.0.0"]);
    for split in 1..wire.len() {
        assert_eq!(run(&[split]), whole, "split at {split}");
    }
    let every: Vec<usize> = (1..wire.len()).collect();
    assert_eq!(run(&every), whole);
}
