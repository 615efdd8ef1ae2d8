//! Parser throughput: smtp-playground's parsers read in place (`proto::command_view::command_view`,
//! `proto::reply::reply_view`) and into owned values (`command`, `reply`) against Stalwart's
//! smtp-proto (`Request::parse`, `ResponseReceiver::parse`) on the same
//! realistic corpus, built here from a seeded generator; and one full pipelined
//! transaction through `ServerSession`.
//!
//! Both parsers get one complete line (commands) or one complete reply (replies) at a time
//! and produce their typed value; a corpus item either rejects is a bug in the corpus, so
//! setup checks that both accept every item before measuring.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_playground::engine::{AcceptAll, ServerConfig, ServerSession};
use smtp_playground::proto::command::command;
use smtp_playground::proto::command_view::command_view;
use smtp_playground::proto::reply::{reply, reply_view};

/// A small deterministic generator (xorshift64*), so every run measures the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const DOMAINS: &[&str] =
    &["example.org", "mail.example.com", "lists.example.net", "corp.example", "university.example.edu"];
const USERS: &[&str] =
    &["alice", "bob", "carol.jones", "dave+news", "eve_admin", "frank-ops", "grace.hopper"];

fn address(rng: &mut Rng) -> String {
    format!("{}{}@{}", rng.pick(USERS), rng.below(1000), rng.pick(DOMAINS))
}

/// Command lines as clients send them, transaction by transaction: EHLO, sometimes AUTH
/// PLAIN, MAIL FROM with SIZE/BODY/SMTPUTF8/RET/ENVID, 1–5 RCPT TO with NOTIFY/ORCPT,
/// DATA, then RSET or QUIT.
fn command_corpus(transactions: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x5eed_c0de_1234_5678);
    let mut lines = Vec::new();
    for t in 0..transactions {
        lines.push(format!("EHLO client{t}.{}", rng.pick(DOMAINS)));
        if rng.below(4) == 0 {
            // base64("\0user\0password")
            lines.push("AUTH PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU=".to_owned());
        }
        let mut mail = format!("MAIL FROM:<{}>", address(&mut rng));
        if rng.below(3) != 0 {
            mail += &format!(" SIZE={}", 1000 + rng.below(10_000_000));
        }
        mail += rng.pick(&["", " BODY=8BITMIME", " BODY=7BIT"]);
        if rng.below(5) == 0 {
            mail += " SMTPUTF8";
        }
        if rng.below(3) == 0 {
            mail += &format!(" RET={} ENVID=QQ{}", rng.pick(&["HDRS", "FULL"]), rng.below(1_000_000));
        }
        lines.push(mail);
        for _ in 0..1 + rng.below(5) {
            let to = address(&mut rng);
            let mut rcpt = format!("RCPT TO:<{to}>");
            if rng.below(2) == 0 {
                rcpt += rng.pick(&[" NOTIFY=SUCCESS,FAILURE", " NOTIFY=NEVER", " NOTIFY=DELAY,FAILURE"]);
                // ORCPT is xtext (RFC 3461 §4): "+" and "=" are hex-escaped.
                rcpt += &format!(" ORCPT=rfc822;{}", to.replace('+', "+2B"));
            }
            lines.push(rcpt);
        }
        lines.push("DATA".to_owned());
        lines.push(if rng.below(3) == 0 { "QUIT" } else { "RSET" }.to_owned());
    }
    lines.into_iter().map(|l| format!("{l}\r\n").into_bytes()).collect()
}

/// Replies as servers send them: one-line replies with enhanced status codes (RFC 2034)
/// and multi-line EHLO replies.
fn reply_corpus(count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0xfeed_face_cafe_beef);
    let ehlo = "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n\
                250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n\
                250-SMTPUTF8\r\n250 CHUNKING\r\n";
    (0..count)
        .map(|i| {
            let text = match rng.below(10) {
                0 => "220 mx.example.net ESMTP Postfix\r\n".to_owned(),
                1 | 2 => ehlo.to_owned(),
                3 => "250 2.1.0 Ok\r\n".to_owned(),
                4 => "250 2.1.5 Ok\r\n".to_owned(),
                5 => "354 End data with <CR><LF>.<CR><LF>\r\n".to_owned(),
                6 => format!("250 2.0.0 Ok: queued as {:010X}\r\n", rng.next() >> 24),
                7 => format!(
                    "550 5.1.1 <{}>: Recipient address rejected: User unknown in local recipient table\r\n",
                    address(&mut rng)
                ),
                8 => format!(
                    "451 4.7.1 <{}>: Recipient address rejected: Greylisted, try again in {} seconds\r\n",
                    address(&mut rng),
                    60 + i % 240
                ),
                _ => "221 2.0.0 Bye\r\n".to_owned(),
            };
            text.into_bytes()
        })
        .collect()
}

fn total_bytes(items: &[Vec<u8>]) -> u64 {
    items.iter().map(|i| i.len() as u64).sum()
}

/// Both parsers must accept every item, or the comparison is not like for like.
fn check_corpora(commands: &[Vec<u8>], replies: &[Vec<u8>]) {
    for line in commands {
        let shown = String::from_utf8_lossy(line);
        assert!(matches!(command(line), Ok((b"", _))), "ours rejects {shown:?}");
        assert!(matches!(command_view(line), Ok((b"", _))), "ours (in place) rejects {shown:?}");
        let parsed = smtp_proto::Request::parse(&mut line.iter());
        assert!(parsed.is_ok(), "smtp-proto rejects {shown:?}: {parsed:?}");
    }
    let mut receiver = smtp_proto::response::parser::ResponseReceiver::default();
    for r in replies {
        let shown = String::from_utf8_lossy(r);
        assert!(matches!(reply(r), Ok((b"", _))), "ours rejects {shown:?}");
        assert!(matches!(reply_view(r), Ok((b"", _))), "ours (in place) rejects {shown:?}");
        let parsed = receiver.parse(&mut r.iter());
        assert!(parsed.is_ok(), "smtp-proto rejects {shown:?}: {parsed:?}");
        receiver.reset();
    }
}

fn parsers(c: &mut Criterion) {
    let commands = command_corpus(600);
    let replies = reply_corpus(3000);
    check_corpora(&commands, &replies);
    eprintln!(
        "corpus: {} command lines ({} bytes), {} replies ({} bytes)",
        commands.len(),
        total_bytes(&commands),
        replies.len(),
        total_bytes(&replies)
    );

    let mut group = c.benchmark_group("commands");
    group.throughput(Throughput::Bytes(total_bytes(&commands)));
    // Read in place: every rule checked, nothing built.
    group.bench_function("ours", |b| {
        b.iter(|| {
            for line in &commands {
                let _ = black_box(command_view(black_box(line)));
            }
        })
    });
    // And as the owned `Command` the engine keeps.
    group.bench_function("ours-owned", |b| {
        b.iter(|| {
            for line in &commands {
                let _ = black_box(command(black_box(line)));
            }
        })
    });
    group.bench_function("smtp-proto", |b| {
        b.iter(|| {
            for line in &commands {
                let _ = black_box(smtp_proto::Request::parse(&mut black_box(line).iter()));
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("replies");
    group.throughput(Throughput::Bytes(total_bytes(&replies)));
    // Read in place (what a client needs to act on a reply: code, enhanced code, text).
    group.bench_function("ours", |b| {
        b.iter(|| {
            for r in &replies {
                let _ = black_box(reply_view(black_box(r)));
            }
        })
    });
    // And as the owned `Reply` the engine keeps (a String per line).
    group.bench_function("ours-owned", |b| {
        b.iter(|| {
            for r in &replies {
                let _ = black_box(reply(black_box(r)));
            }
        })
    });
    group.bench_function("smtp-proto", |b| {
        let mut receiver = smtp_proto::response::parser::ResponseReceiver::default();
        b.iter(|| {
            for r in &replies {
                let _ = black_box(receiver.parse(&mut black_box(r).iter()));
                receiver.reset();
            }
        })
    });
    group.finish();
}

/// What a pipelining client sends for one message to ten recipients (RFC 2920): EHLO, then
/// MAIL, ten RCPT and DATA in one write, then the message and QUIT.
fn pipelined_session() -> Vec<Vec<u8>> {
    let mut envelope = "MAIL FROM:<alice@example.org> SIZE=2048 BODY=8BITMIME\r\n".to_owned();
    for i in 0..10 {
        envelope += &format!("RCPT TO:<user{i}@example.net> NOTIFY=SUCCESS,FAILURE\r\n");
    }
    envelope += "DATA\r\n";
    let mut message = "From: Alice <alice@example.org>\r\nTo: list@example.net\r\nSubject: Minutes\r\n\
                       Message-ID: <1234@example.org>\r\n\r\n"
        .to_owned();
    for i in 0..30 {
        message += &format!("Line {i} of the minutes, long enough to look like real prose text.\r\n");
    }
    message += ".\r\nQUIT\r\n";
    vec![b"EHLO client.example.org\r\n".to_vec(), envelope.into_bytes(), message.into_bytes()]
}

fn server_session(c: &mut Criterion) {
    let writes = pipelined_session();
    let mut group = c.benchmark_group("server_session");
    group.throughput(Throughput::Bytes(total_bytes(&writes)));
    group.bench_function("pipelined_10_recipients", |b| {
        b.iter(|| {
            let mut session = ServerSession::new(ServerConfig::default(), None);
            let mut replies = 0;
            for write in &writes {
                session.handle_input(black_box(write), &mut AcceptAll);
                while let Some(r) = session.poll_reply() {
                    black_box(r.to_bytes());
                    replies += 1;
                }
                while session.poll_event().is_some() {}
            }
            assert_eq!(replies, 16, "greeting, EHLO, MAIL, 10 RCPT, DATA, queued, Bye");
            assert!(session.is_closed());
        })
    });
    group.finish();
}

fn config() -> Criterion {
    // Short runs: two shared cores, and ratios matter more than the last percent.
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(40)
}

criterion_group! { name = benches; config = config(); targets = parsers, server_session }
criterion_main!(benches);
