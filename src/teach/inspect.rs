//! What the player's inspectors show, derived from a timeline up to a step: the envelope
//! next to the header fields of each message seen so far, the DNS lookups made, each
//! message's trace fields and the delivery status notifications in the mailboxes.
//!
//! Pure functions over the timeline and its snapshots, so the browser only renders and the
//! tests check the same values natively.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use crate::message::{self, DeliveryReport, HeaderField, Message, Received};
use crate::proto::command::parse_command_line;
use crate::proto::data::dot_unstuff;
use crate::proto::reply::reply;
use crate::proto::{Command, ReplyCode};
use crate::timeline::{Millis, Snapshot, Step, StepKind, StoredMessage, Timeline};

/// The world after `step` (`None`: before the first step, the empty world), replayed from
/// the timeline's changes. An index past the end gives the empty world too.
pub fn snapshot_at(timeline: &Timeline, step: Option<usize>) -> Snapshot {
    match step.and_then(|i| timeline.steps.get(i)) {
        Some(step) => timeline.snapshot_after(step.changes),
        None => Snapshot::default(),
    }
}

/// The steps shown so far: up to and including `step` (none before the first).
pub fn steps_so_far(timeline: &Timeline, step: Option<usize>) -> &[Step] {
    match step {
        None => &[],
        Some(i) => timeline.steps.get(..=i).unwrap_or(&timeline.steps),
    }
}

/// The virtual time of `step` (0 before the first).
pub fn time_at(timeline: &Timeline, step: Option<usize>) -> Millis {
    step.and_then(|i| timeline.steps.get(i)).map_or(0, |s| s.time)
}

// ---------------------------------------------------------------------------------------
// Envelope versus headers
// ---------------------------------------------------------------------------------------

/// One `RCPT TO` of a transaction, and the server's answer if it refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeRecipient {
    /// The forward-path as sent, e.g. `<bob@example.net>`.
    pub path: String,
    /// The reply line when the server refused this recipient (4xx/5xx).
    pub refused: Option<String>,
}

/// The header fields that name people, unfolded, with the addresses found in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderSummary {
    /// `(field name, value)` for From, Sender, To, Cc, Bcc and Subject, in message order.
    pub fields: Vec<(String, String)>,
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
}

/// How the envelope and the header fields disagree, which is what the lesson is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// `MAIL FROM:<>`: a notification; nothing may be sent back about it.
    NullReversePath,
    /// The envelope sender is not the From: author.
    SenderIsNotAuthor { envelope: String, author: String },
    /// An envelope recipient named in no To: or Cc: field (a Bcc, a list, a forward).
    RecipientNotInHeaders(String),
    /// A To:/Cc: address that is not an envelope recipient of this transfer.
    HeaderNotInEnvelope(String),
    /// A Bcc: field still in the message as transferred.
    BccInHeaders(Vec<String>),
}

impl Difference {
    /// The difference in a sentence, and the RFC section that explains it.
    pub fn explain(&self) -> (String, &'static str) {
        match self {
            Difference::NullReversePath => (
                "MAIL FROM:<> — the null reverse-path: this is a bounce or other notification, and no \
                 report may be sent back about it"
                    .into(),
                "RFC 5321 §4.5.5",
            ),
            Difference::SenderIsNotAuthor { envelope, author } => (
                format!(
                    "The envelope sender {envelope} is not the author {author} shown in From:. Bounces go \
                     to the envelope sender; the reader sees From:"
                ),
                "RFC 5321 §2.3.1",
            ),
            Difference::RecipientNotInHeaders(address) => (
                format!(
                    "{address} is an envelope recipient but appears in no To: or Cc: field: a blind copy, \
                     a list member or a forward. Delivery follows the envelope"
                ),
                "RFC 5321 §2.3.1",
            ),
            Difference::HeaderNotInEnvelope(address) => (
                format!(
                    "{address} is in the header fields but not in this transfer's envelope, so this \
                     server will not deliver to it: the headers are only text to SMTP"
                ),
                "RFC 5321 §2.3.1",
            ),
            Difference::BccInHeaders(addresses) => (
                format!(
                    "A Bcc: field ({}) is still in the message: everyone who receives it can read it. \
                     Senders normally remove Bcc: before transmission",
                    addresses.join(", ")
                ),
                "RFC 5322 §3.6.3",
            ),
        }
    }
}

/// One mail transaction seen on the wire: who sent it to whom, the envelope, and the
/// header fields of the message (once its data has been sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The client and server lanes.
    pub client: String,
    pub server: String,
    /// When MAIL was sent.
    pub time: Millis,
    /// The reverse-path as sent, e.g. `<alice@example.com>` or `<>`.
    pub reverse_path: String,
    pub recipients: Vec<EnvelopeRecipient>,
    /// The message's header fields, once its data has been sent.
    pub headers: Option<HeaderSummary>,
    /// Whether the data has been sent completely.
    pub complete: bool,
    pub differences: Vec<Difference>,
}

/// What the client sent that awaits a reply, to pair replies with commands (pipelining
/// sends several before the first reply comes back, RFC 2920 §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Awaiting {
    Rcpt(usize),
    Other,
}

#[derive(Debug, Default)]
struct Session {
    current: Option<usize>,
    data: String,
    bdat_last: bool,
    awaiting: VecDeque<Awaiting>,
}

/// Every mail transaction seen up to `step`, in the order MAIL was sent, each with its
/// envelope, its header fields and how the two differ.
pub fn transactions(timeline: &Timeline, step: Option<usize>) -> Vec<Transaction> {
    transactions_in(steps_so_far(timeline, step))
}

/// The step of each MAIL command of the whole run, oldest first (a pipelined write may hold
/// several lines, so a step may be listed more than once): what [`latest_transactions`]
/// counts with. It reads every command, so a reader of many steps finds it once per run.
pub fn mail_steps(timeline: &Timeline) -> Vec<usize> {
    let is_mail = |line: &str| {
        line.get(..5).is_some_and(|verb| verb.eq_ignore_ascii_case("MAIL "))
            && matches!(parse_command_line(line.as_bytes()), Ok(Command::Mail { .. }))
    };
    timeline
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StepKind::Command)
        .flat_map(|(i, s)| {
            let lines = s.wire.as_deref().unwrap_or_default().split_inclusive("\r\n");
            lines.filter(|line| is_mail(line)).map(move |_| i)
        })
        .collect()
}

/// The latest `most` transactions up to `step`, as [`transactions`] finds them, after the
/// number that came before them; `mails` is the run's [`mail_steps`]. Only the steps from the
/// first of them on are read, so a bulk run's history does not make every step of the
/// inspector slower.
pub fn latest_transactions(
    timeline: &Timeline,
    step: Option<usize>,
    most: usize,
    mails: &[usize],
) -> (usize, Vec<Transaction>) {
    let steps = steps_so_far(timeline, step);
    let so_far = mails.partition_point(|&i| i < steps.len());
    let from = so_far.saturating_sub(most);
    let start = mails.get(from).copied().filter(|_| from < so_far).unwrap_or(steps.len());
    let earlier = mails.partition_point(|&i| i < start);
    (earlier, transactions_in(steps.get(start..).unwrap_or_default()))
}

/// The transactions whose MAIL is among `steps` (a reply or data for one begun earlier is
/// passed over).
fn transactions_in(steps: &[Step]) -> Vec<Transaction> {
    let mut out: Vec<Transaction> = Vec::new();
    let mut sessions: BTreeMap<(Arc<str>, Arc<str>), Session> = BTreeMap::new();
    for step in steps {
        let Some(wire) = &step.wire else {
            if step.kind == StepKind::TcpClose {
                sessions.remove(&(step.from.clone(), step.to.clone()));
                sessions.remove(&(step.to.clone(), step.from.clone()));
            }
            continue;
        };
        match step.kind {
            StepKind::Command => {
                let session = sessions.entry((step.from.clone(), step.to.clone())).or_default();
                for line in wire.split_inclusive("\r\n") {
                    let awaiting = match parse_command_line(line.as_bytes()) {
                        Ok(Command::Mail { reverse_path, .. }) => {
                            out.push(Transaction {
                                client: step.from.to_string(),
                                server: step.to.to_string(),
                                time: step.time,
                                reverse_path: reverse_path.to_string(),
                                recipients: Vec::new(),
                                headers: None,
                                complete: false,
                                differences: Vec::new(),
                            });
                            session.current = Some(out.len() - 1);
                            session.data.clear();
                            Awaiting::Other
                        }
                        Ok(Command::Rcpt { forward_path, .. }) => {
                            match session.current.and_then(|i| out.get_mut(i)) {
                                Some(transaction) => {
                                    transaction.recipients.push(EnvelopeRecipient {
                                        path: forward_path.to_string(),
                                        refused: None,
                                    });
                                    Awaiting::Rcpt(transaction.recipients.len() - 1)
                                }
                                None => Awaiting::Other,
                            }
                        }
                        Ok(Command::Rset) => {
                            session.current = None;
                            Awaiting::Other
                        }
                        Ok(Command::Bdat { last, .. }) => {
                            session.bdat_last = last;
                            Awaiting::Other
                        }
                        _ => Awaiting::Other,
                    };
                    session.awaiting.push_back(awaiting);
                }
            }
            StepKind::Reply => {
                let session = sessions.entry((step.to.clone(), step.from.clone())).or_default();
                let mut rest = wire.as_bytes();
                while let Ok((after, parsed)) = reply(rest) {
                    let line =
                        String::from_utf8_lossy(rest.get(..rest.len() - after.len()).unwrap_or_default())
                            .trim_end()
                            .to_owned();
                    rest = after;
                    // The greeting answers no command.
                    if parsed.code == ReplyCode::SERVICE_READY && session.awaiting.is_empty() {
                        continue;
                    }
                    if let Some(Awaiting::Rcpt(index)) = session.awaiting.pop_front() {
                        let transaction = session.current.and_then(|i| out.get_mut(i));
                        let recipient = transaction.and_then(|t| t.recipients.get_mut(index));
                        if let (Some(recipient), false) = (recipient, parsed.code.is_positive()) {
                            recipient.refused = Some(line);
                        }
                    }
                }
            }
            StepKind::Data => {
                let session = sessions.entry((step.from.clone(), step.to.clone())).or_default();
                session.data.push_str(wire);
                let dot_end = session.data == ".\r\n" || session.data.ends_with("\r\n.\r\n");
                let done = if session.bdat_last {
                    Some(session.data.clone())
                } else if dot_end {
                    let body = session.data.get(..session.data.len() - 3).unwrap_or_default();
                    Some(String::from_utf8_lossy(&dot_unstuff(body.as_bytes())).into_owned())
                } else {
                    None
                };
                if let Some(data) = done {
                    session.data.clear();
                    // The reply to the final dot answers no command line; a BDAT chunk's reply
                    // answers its BDAT command, already counted.
                    if !std::mem::take(&mut session.bdat_last) {
                        session.awaiting.push_back(Awaiting::Other);
                    }
                    if let Some(transaction) = session.current.take().and_then(|i| out.get_mut(i)) {
                        transaction.headers = Some(header_summary(&data));
                        transaction.complete = true;
                    }
                }
            }
            _ => {}
        }
    }
    for transaction in &mut out {
        transaction.differences = differences(transaction);
    }
    out
}

/// The people-naming header fields of a message; a message that does not parse has none.
pub fn header_summary(data: &str) -> HeaderSummary {
    let mut summary = HeaderSummary::default();
    let Ok(message) = Message::parse(data.as_bytes()) else { return summary };
    for field in message.fields() {
        let name = field.name().to_owned();
        let value = field.value();
        let list = match name.to_ascii_lowercase().as_str() {
            "from" => &mut summary.from,
            "to" => &mut summary.to,
            "cc" => &mut summary.cc,
            "bcc" => &mut summary.bcc,
            "sender" | "subject" => {
                summary.fields.push((name, value));
                continue;
            }
            _ => continue,
        };
        list.extend(addresses(&value));
        summary.fields.push((name, value));
    }
    summary
}

/// The addr-specs in an address list (RFC 5322 §3.4): the part in angle brackets where
/// there is one, else the item itself; comments, display names and group names dropped.
pub fn addresses(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let (mut item, mut quoted, mut depth) = (String::new(), false, 0usize);
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            ',' | ';' if !quoted && depth == 0 => items.push(std::mem::take(&mut item)),
            ':' if !quoted && depth == 0 && !item.contains('<') => item.clear(), // a group's name
            c if depth == 0 && !quoted => item.push(c),
            _ => {}
        }
    }
    items.push(item);
    items
        .into_iter()
        .filter_map(|item| {
            let address = match (item.find('<'), item.rfind('>')) {
                (Some(open), Some(close)) if open < close => item.get(open + 1..close).unwrap_or_default(),
                _ => item.trim(),
            };
            let address = address.trim();
            address.contains('@').then(|| address.to_owned())
        })
        .collect()
}

/// The address inside a path: `<a@b>` → `a@b`.
fn path_address(path: &str) -> String {
    path.trim().trim_start_matches('<').trim_end_matches('>').to_owned()
}

fn contains(list: &[String], address: &str) -> bool {
    list.iter().any(|a| a.eq_ignore_ascii_case(address))
}

fn differences(transaction: &Transaction) -> Vec<Difference> {
    let mut out = Vec::new();
    let sender = path_address(&transaction.reverse_path);
    if sender.is_empty() {
        out.push(Difference::NullReversePath);
    }
    let Some(headers) = &transaction.headers else { return out };
    if let Some(author) =
        headers.from.first().filter(|a| !sender.is_empty() && !a.eq_ignore_ascii_case(&sender))
    {
        out.push(Difference::SenderIsNotAuthor {
            envelope: transaction.reverse_path.clone(),
            author: author.clone(),
        });
    }
    let shown: Vec<String> = headers.to.iter().chain(&headers.cc).cloned().collect();
    let envelope: Vec<String> = transaction.recipients.iter().map(|r| path_address(&r.path)).collect();
    for address in &envelope {
        if !contains(&shown, address) && !contains(&out_addresses(&out), address) {
            out.push(Difference::RecipientNotInHeaders(address.clone()));
        }
    }
    for address in &shown {
        if !contains(&envelope, address) {
            out.push(Difference::HeaderNotInEnvelope(address.clone()));
        }
    }
    if !headers.bcc.is_empty() {
        out.push(Difference::BccInHeaders(headers.bcc.clone()));
    }
    out
}

/// Addresses already reported as not in headers (so a recipient given twice is named once).
fn out_addresses(out: &[Difference]) -> Vec<String> {
    out.iter()
        .filter_map(|d| if let Difference::RecipientNotInHeaders(a) = d { Some(a.clone()) } else { None })
        .collect()
}

// ---------------------------------------------------------------------------------------
// DNS
// ---------------------------------------------------------------------------------------

/// One DNS question a host asked, and the answer once it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub time: Millis,
    /// The host that asked.
    pub host: String,
    pub question: String,
    pub answer: Option<String>,
}

/// The DNS lookups made up to `step`, in order; each answer is paired with the oldest open
/// question of the host it goes to.
pub fn lookups(timeline: &Timeline, step: Option<usize>) -> Vec<Lookup> {
    let mut out: Vec<Lookup> = Vec::new();
    let mut open: BTreeMap<Arc<str>, VecDeque<usize>> = BTreeMap::new();
    for step in steps_so_far(timeline, step) {
        match step.kind {
            StepKind::DnsQuery => {
                let question = step.wire.clone().unwrap_or_else(|| step.summary.to_string());
                out.push(Lookup { time: step.time, host: step.from.to_string(), question, answer: None });
                open.entry(step.from.clone()).or_default().push_back(out.len() - 1);
            }
            StepKind::DnsAnswer => {
                let answer = step.wire.clone().unwrap_or_else(|| step.summary.to_string());
                let index = open.get_mut(&step.to).and_then(VecDeque::pop_front);
                match index.and_then(|i| out.get_mut(i)) {
                    Some(lookup) => lookup.answer = Some(answer),
                    None => out.push(Lookup {
                        time: step.time,
                        host: step.to.to_string(),
                        question: String::new(),
                        answer: Some(answer),
                    }),
                }
            }
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Queue
// ---------------------------------------------------------------------------------------

/// When a queued message's next attempt is due, relative to `now`, e.g. `in 4m00.000s (at
/// 4m00.200s)`; `due now` when the time has come.
pub fn next_retry(next: Millis, now: Millis) -> String {
    use crate::timeline::format_time;
    if next <= now {
        format!("due now (at {})", format_time(next))
    } else {
        format!("in {} (at {})", format_time(next - now), format_time(next))
    }
}

// ---------------------------------------------------------------------------------------
// Mailboxes: a message's header fields, trace fields highlighted
// ---------------------------------------------------------------------------------------

/// Which trace field a header field is (RFC 5321 §4.4, RFC 5322 §3.6.7 and the
/// authentication fields receivers add).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceKind {
    ReturnPath,
    /// `Received:`, with its hop number counted from the first server (1) upwards.
    Received(usize),
    AuthenticationResults,
    ReceivedSpf,
    DkimSignature,
}

impl TraceKind {
    /// A short name and the RFC section that defines the field.
    pub fn describe(self) -> (String, &'static str) {
        match self {
            TraceKind::ReturnPath => {
                ("the envelope sender, recorded at final delivery".into(), "RFC 5321 §4.4")
            }
            TraceKind::Received(hop) => {
                (format!("hop {hop}: a server that took the message"), "RFC 5321 §4.4")
            }
            TraceKind::AuthenticationResults => {
                ("the receiving server's SPF, DKIM and DMARC verdicts".into(), "RFC 8601 §2")
            }
            TraceKind::ReceivedSpf => ("the SPF result at this hop".into(), "RFC 7208 §9.1"),
            TraceKind::DkimSignature => ("a DKIM signature".into(), "RFC 6376 §3.5"),
        }
    }
}

/// One header field as the inspector lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldView {
    pub name: String,
    /// Unfolded and trimmed.
    pub value: String,
    pub trace: Option<TraceKind>,
}

/// One `Received:` field read by the trace parser, oldest hop first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub number: usize,
    pub from: String,
    pub by: String,
    pub with: Option<String>,
    pub id: Option<String>,
    pub for_path: Option<String>,
    /// The parser's error when the field does not follow RFC 5321 §4.4.
    pub error: Option<String>,
    /// The field's value as written.
    pub raw: String,
}

/// A stored message taken apart for the mailbox inspector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageView {
    pub fields: Vec<FieldView>,
    /// The Received: chain in the order the servers added them: first hop first.
    pub hops: Vec<Hop>,
    pub body: String,
    /// Why the message could not be parsed, if it could not.
    pub error: Option<String>,
}

/// Parses a stored message's text into header fields (trace fields marked), the Received:
/// chain in hop order, and the body.
pub fn message_view(data: &str) -> MessageView {
    let message = match Message::parse(data.as_bytes()) {
        Ok(message) => message,
        Err(error) => {
            return MessageView {
                body: data.to_owned(),
                error: Some(error.to_string()),
                ..Default::default()
            };
        }
    };
    let received: Vec<&HeaderField> = message.get_all("Received").collect();
    // Each server prepends its field, so the bottom-most Received: is the first hop.
    let count = received.len();
    let mut seen_received = 0;
    let fields = message
        .fields()
        .iter()
        .map(|field| {
            let lower = field.name().to_ascii_lowercase();
            let trace = match lower.as_str() {
                "return-path" => Some(TraceKind::ReturnPath),
                "received" => {
                    seen_received += 1;
                    Some(TraceKind::Received(count + 1 - seen_received))
                }
                "authentication-results" => Some(TraceKind::AuthenticationResults),
                "received-spf" => Some(TraceKind::ReceivedSpf),
                "dkim-signature" => Some(TraceKind::DkimSignature),
                _ => None,
            };
            FieldView { name: field.name().to_owned(), value: field.value(), trace }
        })
        .collect();
    let hops = received
        .iter()
        .rev()
        .enumerate()
        .map(|(i, field)| {
            let raw = field.value();
            match Received::parse(&field.unfolded_value()) {
                Ok(parsed) => Hop {
                    number: i + 1,
                    from: parsed.from.clone(),
                    by: parsed.by.clone(),
                    with: parsed.with.as_ref().map(ToString::to_string),
                    id: parsed.id.clone(),
                    for_path: parsed.for_path.clone(),
                    error: None,
                    raw,
                },
                Err(error) => Hop {
                    number: i + 1,
                    from: String::new(),
                    by: String::new(),
                    with: None,
                    id: None,
                    for_path: None,
                    error: Some(error.to_string()),
                    raw,
                },
            }
        })
        .collect();
    MessageView { fields, hops, body: String::from_utf8_lossy(message.body()).into_owned(), error: None }
}

// ---------------------------------------------------------------------------------------
// Delivery status notifications (RFC 3464)
// ---------------------------------------------------------------------------------------

/// A DSN taken apart: the human-readable part, the machine-readable report and what it
/// returns of the original message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnView {
    pub subject: Option<String>,
    /// The first `text/plain` part (RFC 6522 §3: the explanation for people).
    pub human: String,
    pub report: DeliveryReport,
    /// The returned message or its headers (`message/rfc822` or `text/rfc822-headers`).
    pub returned: Option<String>,
}

/// Whether a message's Content-Type is `multipart/report; report-type=delivery-status`.
pub fn is_dsn(data: &str) -> bool {
    let Ok(message) = Message::parse(data.as_bytes()) else { return false };
    let Some(field) = message.get("Content-Type") else { return false };
    message::mime::content_type(&field.value()).is_ok_and(|ct| {
        ct.essence() == "multipart/report"
            && ct.param("report-type").is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    })
}

/// Reads a DSN; `None` if the message is not one, an error text if it claims to be one but
/// its report cannot be read.
pub fn dsn_view(data: &str) -> Option<Result<DsnView, String>> {
    if !is_dsn(data) {
        return None;
    }
    let report = match message::parse_dsn(data.as_bytes()) {
        Ok(report) => report,
        Err(error) => return Some(Err(error.to_string())),
    };
    let Ok(message) = Message::parse(data.as_bytes()) else { return Some(Err("unreadable header".into())) };
    let subject = message.get("Subject").map(HeaderField::value);
    let boundary = message
        .get("Content-Type")
        .and_then(|field| message::mime::content_type(&field.value()).ok())
        .and_then(|ct| ct.param("boundary").map(str::to_owned))
        .unwrap_or_default();
    let (mut human, mut returned) = (String::new(), None);
    if let Ok(parts) = message::mime::multipart_parts(message.body(), &boundary) {
        for (_, part) in parts {
            let Ok(part) = Message::parse(part) else { continue };
            let essence = part
                .get("Content-Type")
                .and_then(|field| message::mime::content_type(&field.value()).ok())
                .map_or_else(|| "text/plain".to_owned(), |ct| ct.essence());
            let text = String::from_utf8_lossy(part.body()).into_owned();
            match essence.as_str() {
                "text/plain" if human.is_empty() => human = text,
                "message/rfc822" | "text/rfc822-headers" | "message/global" | "message/global-headers" => {
                    returned = Some(text)
                }
                _ => {}
            }
        }
    }
    Some(Ok(DsnView { subject, human, report, returned }))
}

/// One DSN in a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDsn {
    pub host: String,
    pub mailbox: String,
    pub message: StoredMessage,
    pub view: Result<DsnView, String>,
}

/// Every delivered message in `snapshot` that is a DSN, by host and mailbox.
pub fn dsns(snapshot: &Snapshot) -> Vec<FoundDsn> {
    let mut out = Vec::new();
    for (host, mailboxes) in &snapshot.mailboxes {
        for (mailbox, messages) in mailboxes {
            for message in messages {
                if let Some(view) = dsn_view(&message.data) {
                    out.push(FoundDsn {
                        host: host.clone(),
                        mailbox: mailbox.clone(),
                        message: message.clone(),
                        view,
                    });
                }
            }
        }
    }
    out
}

/// The DSNs a relay has written by `step` that no mailbox holds yet: on their way back to
/// the sender (the inspector shows them at the step that writes them, instead of "none
/// delivered"). `mailbox` is empty and `host` is the host that wrote the report.
pub fn written_dsns(timeline: &Timeline, step: Option<usize>) -> Vec<FoundDsn> {
    let delivered = dsns(&snapshot_at(timeline, step));
    steps_so_far(timeline, step)
        .iter()
        .filter(|s| s.kind == StepKind::Dsn)
        .filter_map(|s| {
            let text = s.wire.as_deref()?;
            if delivered.iter().any(|d| d.message.data.ends_with(text)) {
                return None;
            }
            Some(FoundDsn {
                host: s.from.to_string(),
                mailbox: String::new(),
                message: StoredMessage {
                    id: String::new(),
                    reverse_path: "<>".into(),
                    recipients: Vec::new(),
                    data: text.into(),
                    flags: Vec::new(),
                },
                view: dsn_view(text)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_differences_are_found() {
        let summary = header_summary(
            "From: \"Doe, Jane\" <jane@example.com>\r\nTo: a@example.net, Friends: b@example.net;\r\n\
             Bcc: (hidden) c@example.net\r\nSubject: hi\r\n\r\nbody\r\n",
        );
        assert_eq!(summary.from, ["jane@example.com"]);
        assert_eq!(summary.to, ["a@example.net", "b@example.net"]);
        assert_eq!(summary.bcc, ["c@example.net"]);
        let transaction = Transaction {
            client: "c".into(),
            server: "s".into(),
            time: 0,
            reverse_path: "<bounces@example.com>".into(),
            recipients: vec![EnvelopeRecipient { path: "<a@example.net>".into(), refused: None }],
            headers: Some(summary),
            complete: true,
            differences: Vec::new(),
        };
        assert_eq!(
            differences(&transaction),
            [
                Difference::SenderIsNotAuthor {
                    envelope: "<bounces@example.com>".into(),
                    author: "jane@example.com".into()
                },
                Difference::HeaderNotInEnvelope("b@example.net".into()),
                Difference::BccInHeaders(vec!["c@example.net".into()]),
            ]
        );
    }
}
