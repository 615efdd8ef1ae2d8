//! IMAP4rev2 (RFC 9051), the mail client's read path with IMAP4rev1 (RFC 3501) clients in
//! mind: a sans-IO server session over a [`Mailstore`] that holds each user's INBOX and
//! folders (such as a `\Junk` folder, RFC 6154 §2), and a client that logs in, lists the
//! mailboxes, counts the folders with STATUS, selects INBOX, fetches every message and logs
//! out. Bytes go in with `handle_input`, responses come out of `poll_transmit`, and what
//! happened comes out of `poll_event`, as with the SMTP and POP3 sessions.

use std::collections::{BTreeMap, VecDeque};

use crate::proto::imap::{
    self as wire, Capability, Code, Command, CommandBody, Data, DateTime, FetchAttribute, Flag, FlagPerm,
    Frame, Framer, FramerRole, LimitExceeded, LiteralMode, Mailbox, MessageData, Response, SearchKey,
    SearchReturnData, SearchReturnOption, SequenceSet, Status, StatusAttribute, StoreKind, Tag,
};
use crate::proto::sasl::PlainCredentials;

/// The longest line of an AUTHENTICATE exchange or of IDLE's `DONE` the server buffers.
const MAX_CONTINUATION_LINE: usize = 8 * 1024;

/// The largest response the client buffers (a whole FETCH response with its literals).
const MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// The mailbox hierarchy delimiter the server reports in LIST (§6.3.9, §7.3.1).
const DELIMITER: char = '/';

// ---------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------

/// A message in a mailbox (RFC 9051 §2.3): its UID, flags, internal date and octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The unique identifier, strictly ascending in the mailbox (§2.3.1.1).
    pub uid: u32,
    /// The flags set (§2.3.2), sorted, without duplicates.
    pub flags: Vec<Flag>,
    /// The INTERNALDATE (§2.3.3).
    pub internal_date: DateTime,
    /// The RFC 5322 message; RFC822.SIZE is its length (§2.3.4).
    pub bytes: Vec<u8>,
}

/// The contents of one mailbox (RFC 9051 §2.3, §5.1): the user's INBOX or another folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMailbox {
    /// UIDVALIDITY (§2.3.1.1).
    pub uid_validity: u32,
    /// UIDNEXT, the UID the next message will get (§2.3.1.1).
    pub uid_next: u32,
    /// The messages in ascending UID order.
    pub messages: Vec<StoredMessage>,
}

impl StoredMailbox {
    /// An empty mailbox; both numbers are at least 1 (§9 `nz-number`).
    pub fn new(uid_validity: u32, first_uid: u32) -> Self {
        Self { uid_validity: uid_validity.max(1), uid_next: first_uid.max(1), messages: Vec::new() }
    }

    /// Appends a message with the next UID and returns that UID; `None` when UIDs are used up.
    fn append(&mut self, bytes: &[u8], flags: &[Flag], internal_date: DateTime) -> Option<u32> {
        let uid = self.uid_next;
        self.uid_next = uid.checked_add(1)?;
        let mut flags = flags.to_vec();
        flags.sort();
        flags.dedup();
        self.messages.push(StoredMessage { uid, flags, internal_date, bytes: bytes.to_vec() });
        Some(uid)
    }
}

/// A mailbox as LIST names it (RFC 9051 §7.3.1): its name and the attributes the store
/// gives it, such as the special-use `\Junk` of the folder where suspected spam is filed
/// (RFC 6154 §2). Attributes are kept without their `\`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    /// The name (INBOX for the user's INBOX, §5.1).
    pub name: Mailbox,
    /// The attributes, e.g. `Junk` for `\Junk`.
    pub attributes: Vec<wire::Atom>,
}

/// The store an IMAP server reads and changes: users and their mailboxes, INBOX and any
/// folders (the counterpart of POP3's `Maildrop`). Names are flat: no name holds the
/// hierarchy delimiter, so every mailbox has no children.
pub trait Mailstore {
    /// Whether the password is right for the user (LOGIN, §6.2.3; AUTHENTICATE PLAIN,
    /// RFC 4616).
    fn authenticate(&mut self, user: &str, password: &str) -> bool;
    /// The user's mailboxes, INBOX first, in the order LIST reports them; empty for a user
    /// the store does not know.
    fn mailboxes(&self, user: &str) -> Vec<MailboxInfo>;
    /// One of the user's mailboxes, `None` if it does not exist. [`Mailbox::Inbox`] is INBOX
    /// whatever case the client wrote; other names match exactly (§5.1).
    fn mailbox(&self, user: &str, mailbox: &Mailbox) -> Option<&StoredMailbox>;
    /// Replaces a message's flags in a mailbox (STORE §6.4.6, and the implicit `\Seen` of
    /// FETCH BODY[]).
    fn set_flags(&mut self, user: &str, mailbox: &Mailbox, uid: u32, flags: Vec<Flag>);
    /// Removes messages from a mailbox for good (EXPUNGE §6.4.3, CLOSE §6.4.1, UID EXPUNGE
    /// §6.4.9).
    fn expunge(&mut self, user: &str, mailbox: &Mailbox, uids: &[u32]);
}

/// One user of a [`MemoryMailstore`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Account {
    password: String,
    inbox: StoredMailbox,
    /// The other mailboxes, in the order they were added.
    folders: Vec<(MailboxInfo, StoredMailbox)>,
}

impl Account {
    fn mailbox(&self, mailbox: &Mailbox) -> Option<&StoredMailbox> {
        match mailbox {
            Mailbox::Inbox => Some(&self.inbox),
            Mailbox::Other(_) => self.folders.iter().find(|(info, _)| info.name == *mailbox).map(|(_, m)| m),
        }
    }

    fn mailbox_mut(&mut self, mailbox: &Mailbox) -> Option<&mut StoredMailbox> {
        match mailbox {
            Mailbox::Inbox => Some(&mut self.inbox),
            Mailbox::Other(_) => {
                self.folders.iter_mut().find(|(info, _)| info.name == *mailbox).map(|(_, m)| m)
            }
        }
    }
}

/// A [`Mailstore`] in memory: users with passwords, an INBOX each, and any folders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryMailstore {
    users: BTreeMap<String, Account>,
}

impl MemoryMailstore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user with an empty INBOX whose UIDVALIDITY is `uid_validity` and whose first
    /// UID will be `first_uid` (both at least 1, §9 `nz-number`).
    pub fn add_user(&mut self, user: &str, password: &str, uid_validity: u32, first_uid: u32) {
        let account = Account {
            password: password.to_owned(),
            inbox: StoredMailbox::new(uid_validity, first_uid),
            folders: Vec::new(),
        };
        self.users.insert(user.to_owned(), account);
    }

    /// Adds an empty folder `name` beside the user's INBOX, with `attributes` (without
    /// their `\`: `Junk` for the special-use `\Junk`, RFC 6154 §2) for LIST to report.
    /// `false`, and nothing added, for an unknown user, a name that is INBOX in any case,
    /// empty, holds the hierarchy delimiter `/` (names are flat here) or already exists.
    pub fn add_folder(
        &mut self,
        user: &str,
        name: &str,
        attributes: &[wire::Atom],
        uid_validity: u32,
        first_uid: u32,
    ) -> bool {
        let Some(account) = self.users.get_mut(user) else { return false };
        let mailbox = Mailbox::from(name);
        if mailbox == Mailbox::Inbox || name.is_empty() || name.contains(DELIMITER) {
            return false;
        }
        if account.folders.iter().any(|(info, _)| info.name == mailbox) {
            return false;
        }
        let info = MailboxInfo { name: mailbox, attributes: attributes.to_vec() };
        account.folders.push((info, StoredMailbox::new(uid_validity, first_uid)));
        true
    }

    /// The user's INBOX (a shorthand for [`Mailstore::mailbox`] with [`Mailbox::Inbox`]).
    pub fn inbox(&self, user: &str) -> Option<&StoredMailbox> {
        self.users.get(user).map(|account| &account.inbox)
    }

    /// The user's INBOX to arrange as a test or scenario needs (UIDs must stay ascending).
    pub fn inbox_mut(&mut self, user: &str) -> Option<&mut StoredMailbox> {
        self.mailbox_mut(user, &Mailbox::Inbox)
    }

    /// One of the user's mailboxes to arrange as a test or scenario needs (UIDs must stay
    /// ascending).
    pub fn mailbox_mut(&mut self, user: &str, mailbox: &Mailbox) -> Option<&mut StoredMailbox> {
        self.users.get_mut(user)?.mailbox_mut(mailbox)
    }

    /// Appends a message to the user's INBOX with the next UID and returns that UID;
    /// `None` for an unknown user or when UIDs are used up.
    pub fn deliver(
        &mut self,
        user: &str,
        bytes: &[u8],
        flags: &[Flag],
        internal_date: DateTime,
    ) -> Option<u32> {
        self.deliver_to(user, &Mailbox::Inbox, bytes, flags, internal_date)
    }

    /// Appends a message to one of the user's mailboxes with its next UID and returns that
    /// UID; `None` for an unknown user or mailbox, or when UIDs are used up.
    pub fn deliver_to(
        &mut self,
        user: &str,
        mailbox: &Mailbox,
        bytes: &[u8],
        flags: &[Flag],
        internal_date: DateTime,
    ) -> Option<u32> {
        self.mailbox_mut(user, mailbox)?.append(bytes, flags, internal_date)
    }
}

impl Mailstore for MemoryMailstore {
    fn authenticate(&mut self, user: &str, password: &str) -> bool {
        self.users.get(user).is_some_and(|account| account.password == password)
    }

    fn mailboxes(&self, user: &str) -> Vec<MailboxInfo> {
        let Some(account) = self.users.get(user) else { return Vec::new() };
        let inbox = MailboxInfo { name: Mailbox::Inbox, attributes: Vec::new() };
        std::iter::once(inbox).chain(account.folders.iter().map(|(info, _)| info.clone())).collect()
    }

    fn mailbox(&self, user: &str, mailbox: &Mailbox) -> Option<&StoredMailbox> {
        self.users.get(user)?.mailbox(mailbox)
    }

    fn set_flags(&mut self, user: &str, mailbox: &Mailbox, uid: u32, flags: Vec<Flag>) {
        let message = self
            .mailbox_mut(user, mailbox)
            .and_then(|stored| stored.messages.iter_mut().find(|m| m.uid == uid));
        if let Some(message) = message {
            message.flags = flags;
        }
    }

    fn expunge(&mut self, user: &str, mailbox: &Mailbox, uids: &[u32]) {
        if let Some(stored) = self.mailbox_mut(user, mailbox) {
            stored.messages.retain(|m| !uids.contains(&m.uid));
        }
    }
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

/// How an [`ImapServer`] presents itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapServerConfig {
    /// The name in the greeting.
    pub hostname: String,
    /// Offer STARTTLS (a cleartext port, §6.2.1).
    pub starttls: bool,
    /// The connection is under TLS from the start (an Implicit TLS port, RFC 8314).
    pub implicit_tls: bool,
    /// Refuse plaintext passwords before TLS: advertise LOGINDISABLED and no AUTH=PLAIN
    /// (§6.2.3, §11.1).
    pub login_requires_tls: bool,
    /// Advertise IMAP4rev1 too, and answer SEARCH the RFC 3501 way (`* SEARCH`) until the
    /// client sends `ENABLE IMAP4rev2` (§7.2.2).
    pub imap4rev1: bool,
    /// The further capabilities advertised (SASL-IR, LITERAL+, IDLE...).
    pub extensions: Vec<Capability>,
    /// The PERMANENTFLAGS of a read-write SELECT (§6.3.2).
    pub permanent_flags: Vec<FlagPerm>,
}

impl ImapServerConfig {
    /// A server for `hostname` that speaks both revisions, offers STARTTLS, accepts
    /// passwords only under TLS, and advertises the extensions this crate implements.
    pub fn new(hostname: &str) -> Self {
        let mut permanent_flags: Vec<FlagPerm> = Flag::SYSTEM.into_iter().map(FlagPerm::Flag).collect();
        permanent_flags.push(FlagPerm::Asterisk);
        Self {
            hostname: hostname.to_owned(),
            starttls: true,
            implicit_tls: false,
            login_requires_tls: true,
            imap4rev1: true,
            extensions: vec![
                Capability::SaslIr,
                Capability::LiteralPlus,
                Capability::Idle,
                Capability::Enable,
                Capability::UidPlus,
                Capability::Unselect,
                Capability::ESearch,
            ],
            permanent_flags,
        }
    }
}

/// Something the IMAP server did (past tense, for the timeline to explain a step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapEvent {
    /// A command was read whole (§2.2.1).
    CommandReceived {
        /// The tag.
        tag: String,
        /// The command's name, e.g. `UID FETCH`.
        command: String,
    },
    /// A command was refused with BAD (§7.1.3): syntax, state, or a limit.
    CommandRejected {
        /// The tag, if there was one.
        tag: Option<String>,
        /// The BAD response's text.
        reason: String,
    },
    /// STARTTLS was accepted; TLS starts now (§6.2.1).
    StartTlsAccepted,
    /// Octets that followed STARTTLS in the same write were thrown away (§6.2.1).
    PipelinedInputDiscarded {
        /// How many.
        octets: usize,
    },
    /// LOGIN or AUTHENTICATE succeeded (§6.2.2, §6.2.3).
    LoggedIn {
        /// The user.
        user: String,
        /// `LOGIN` or the SASL mechanism, e.g. `PLAIN`.
        mechanism: String,
    },
    /// LOGIN or AUTHENTICATE failed.
    LoginFailed {
        /// The user named, if any.
        user: String,
    },
    /// ENABLE turned these on (§6.3.1).
    Enabled {
        /// The capabilities enabled.
        capabilities: Vec<String>,
    },
    /// SELECT or EXAMINE opened a mailbox (§6.3.2, §6.3.3).
    Selected {
        /// The mailbox.
        mailbox: String,
        /// Its message count.
        exists: u32,
        /// EXAMINE, or a read-only SELECT.
        read_only: bool,
    },
    /// A message's data was sent in a FETCH response (§6.4.5).
    Fetched {
        /// Its sequence number.
        seq: u32,
        /// Its UID.
        uid: u32,
    },
    /// A message's flags changed, by STORE or the implicit `\Seen` of BODY[] (§6.4.5).
    FlagsChanged {
        /// The message's UID.
        uid: u32,
        /// The new flags.
        flags: Vec<Flag>,
    },
    /// SEARCH found these messages (§6.4.4).
    Searched {
        /// How many matched.
        matches: usize,
    },
    /// A message was removed (EXPUNGE, CLOSE, UID EXPUNGE).
    Expunged {
        /// Its UID.
        uid: u32,
    },
    /// CLOSE or UNSELECT left the selected state (§6.4.1, §6.4.2).
    Unselected,
    /// IDLE began (§6.3.13).
    IdleStarted,
    /// IDLE ended with DONE.
    IdleEnded,
    /// LOGOUT completed, or the session ended; nothing more will be sent (§6.1.3).
    Closed,
}

/// The state of an IMAP connection (RFC 9051 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapState {
    /// Not Authenticated: waiting for LOGIN or AUTHENTICATE (§3.1).
    NotAuthenticated,
    /// Authenticated: waiting for a mailbox to be selected (§3.2).
    Authenticated {
        /// The user.
        user: String,
    },
    /// Selected: a mailbox is open (§3.3).
    Selected {
        /// The user.
        user: String,
        /// The mailbox.
        mailbox: Mailbox,
        /// EXAMINE or read-only.
        read_only: bool,
    },
    /// Logout: the connection is closing (§3.4).
    Logout,
}

/// What the server's next input line is (commands, or the rest of a command in progress).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// A tagged command.
    Command,
    /// A base64 line answering AUTHENTICATE's `+` (§6.2.2).
    SaslResponse { tag: Tag },
    /// `DONE`, ending IDLE (§6.3.13).
    Done { tag: Tag },
}

/// The selected mailbox and the sequence numbers the client knows: message `n` has UID
/// `uids[n - 1]` (§2.3.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selection {
    mailbox: Mailbox,
    uids: Vec<u32>,
}

/// A sans-IO IMAP4rev2 server session.
#[derive(Debug)]
pub struct ImapServer {
    config: ImapServerConfig,
    state: ImapState,
    expect: Expect,
    tls: bool,
    /// ENABLE IMAP4rev2 was seen (§6.3.1).
    rev2_enabled: bool,
    selection: Option<Selection>,
    input: Vec<u8>,
    framer: Framer,
    output: VecDeque<Vec<u8>>,
    events: VecDeque<ImapEvent>,
}

impl ImapServer {
    /// A session that has queued its greeting, `* OK [CAPABILITY ...] <host> IMAP4rev2
    /// server ready` (§7.1.1, §9 `greeting`).
    pub fn new(config: ImapServerConfig) -> Self {
        let tls = config.implicit_tls;
        let mut server = Self {
            config,
            state: ImapState::NotAuthenticated,
            expect: Expect::Command,
            tls,
            rev2_enabled: false,
            selection: None,
            input: Vec::new(),
            framer: Framer::new(FramerRole::Server, wire::MAX_COMMAND_OCTETS),
            output: VecDeque::new(),
            events: VecDeque::new(),
        };
        let text = format!("{} IMAP4rev2 server ready", server.config.hostname);
        let code = Code::Capability(server.capabilities());
        server.send(Response::untagged(Status::Ok, Some(code), &text));
        server
    }

    /// The connection's state (§3).
    pub fn state(&self) -> &ImapState {
        &self.state
    }

    /// The next response to send, as octets (one response, literals included).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.output.pop_front()
    }

    /// The next thing that happened.
    pub fn poll_event(&mut self) -> Option<ImapEvent> {
        self.events.pop_front()
    }

    /// Whether the session is over (after LOGOUT, §6.1.3).
    pub fn is_closed(&self) -> bool {
        self.state == ImapState::Logout
    }

    /// Whether part of a command has arrived but not its end: a line without its CRLF, a
    /// literal still to come (§7.6), or the rest of a command refused as too large being
    /// skipped. A caller's per-command deadline runs while this holds.
    pub fn has_partial_input(&self) -> bool {
        !self.input.is_empty() || self.framer.is_skipping()
    }

    /// Ends the session from the server's side with `* BYE text` (RFC 9051 §7.1.5: a
    /// shutdown or an autologout, after which the server closes the connection at once; a
    /// caller's deadlines and limits end a session this way). Nothing more is read or sent
    /// after it.
    pub fn bye(&mut self, text: &str) {
        if self.is_closed() {
            return;
        }
        self.send(Response::untagged(Status::Bye, None, text));
        self.state = ImapState::Logout;
        self.events.push_back(ImapEvent::Closed);
    }

    /// The capabilities now (§7.2.2): they change with TLS (§6.2.1).
    pub fn capabilities(&self) -> Vec<Capability> {
        let mut caps = vec![Capability::Imap4Rev2];
        if self.config.imap4rev1 {
            caps.push(Capability::Imap4Rev1);
        }
        let plaintext_ok = self.tls || !self.config.login_requires_tls;
        if self.config.starttls && !self.tls {
            caps.push(Capability::StartTls);
        }
        if !plaintext_ok {
            caps.push(Capability::LoginDisabled);
        } else if let Ok(plain) = wire::Atom::try_from("PLAIN") {
            caps.push(Capability::Auth(plain));
        }
        caps.extend(self.config.extensions.iter().cloned());
        caps
    }

    fn send(&mut self, response: Response) {
        self.output.push_back(response.to_bytes());
    }

    fn ok(&mut self, tag: &Tag, code: Option<Code>, text: &str) {
        self.send(Response::tagged(tag, Status::Ok, code, text));
    }

    fn no(&mut self, tag: &Tag, code: Option<Code>, text: &str) {
        self.send(Response::tagged(tag, Status::No, code, text));
    }

    fn bad(&mut self, tag: Option<&Tag>, code: Option<Code>, text: &str) {
        let response =
            Response::Status { tag: tag.cloned(), status: Status::Bad, code, text: text.to_owned() };
        self.send(response);
        self.events.push_back(ImapEvent::CommandRejected {
            tag: tag.map(|t| t.as_str().to_owned()),
            reason: text.to_owned(),
        });
    }

    fn user(&self) -> Option<&str> {
        match &self.state {
            ImapState::Authenticated { user } | ImapState::Selected { user, .. } => Some(user),
            _ => None,
        }
    }

    /// Feeds octets from the client. Whole commands are executed in order; a synchronizing
    /// literal's header is answered with `+` (§7.6); anything over the limits is answered
    /// with BAD and dropped without being buffered.
    pub fn handle_input(&mut self, bytes: &[u8], store: &mut dyn Mailstore) {
        if self.is_closed() {
            return;
        }
        self.input.extend_from_slice(bytes);
        while !self.is_closed() {
            let progressed = match self.expect.clone() {
                Expect::Command => self.next_command(store),
                Expect::SaslResponse { tag } => {
                    self.next_line(|server, line| server.sasl_response(&tag, line, store))
                }
                Expect::Done { tag } => self.next_line(|server, line| server.idle_done(&tag, line)),
            };
            if !progressed {
                return;
            }
        }
    }

    /// Takes one line for AUTHENTICATE or IDLE; `false` if none is complete yet.
    fn next_line(&mut self, mut then: impl FnMut(&mut Self, &[u8])) -> bool {
        let Some(end) = self.input.windows(2).position(|w| w == b"\r\n") else {
            if self.input.len() > MAX_CONTINUATION_LINE {
                self.input.clear();
                let tag = match std::mem::replace(&mut self.expect, Expect::Command) {
                    Expect::SaslResponse { tag } | Expect::Done { tag } => tag,
                    Expect::Command => return false,
                };
                self.bad(Some(&tag), Some(Code::Limit), "Line too long");
            }
            return false;
        };
        let line: Vec<u8> = self.input.drain(..end + 2).collect();
        then(self, line.get(..end).unwrap_or_default());
        true
    }

    /// Frames and runs the next command; `false` when more input is needed.
    fn next_command(&mut self, store: &mut dyn Mailstore) -> bool {
        match self.framer.next(&self.input) {
            Frame::Incomplete => false,
            Frame::Skip(n) => {
                self.input.drain(..n.min(self.input.len()));
                true
            }
            Frame::TooLarge { len, limit } => {
                let start = wire::command_start(&self.input);
                self.input.drain(..len.min(self.input.len()));
                match (start, limit) {
                    // §7.6: an unknown command is refused as such, whatever its literal.
                    (Some((tag, name, false)), _) => {
                        self.bad(Some(&tag), None, &format!("No such command as {name:?}"));
                    }
                    (start, limit) => {
                        let text = match limit {
                            LimitExceeded::Line => "Command line too long",
                            LimitExceeded::Literal => "Literal too large",
                        };
                        self.bad(start.map(|(tag, _, _)| tag).as_ref(), Some(Code::Limit), text);
                    }
                }
                true
            }
            Frame::LiteralAwaited { len, .. } => {
                // §7.6: the server may refuse the command line by line, before the literal.
                match wire::command_start(self.input.get(..len).unwrap_or_default()) {
                    Some((_, _, true)) => {
                        self.send(Response::Continue("Ready for additional command text".into()));
                        true
                    }
                    refused => {
                        self.input.drain(..len.min(self.input.len()));
                        self.framer.abandon();
                        match refused {
                            Some((tag, name, _)) => {
                                self.bad(Some(&tag), None, &format!("No such command as {name:?}"));
                            }
                            None => self.bad(None, None, "Missing command tag"),
                        }
                        true
                    }
                }
            }
            Frame::Complete(len) => {
                let frame: Vec<u8> = self.input.drain(..len.min(self.input.len())).collect();
                match wire::parse_command(&frame) {
                    Ok(command) => self.command(command, store),
                    Err(error) => {
                        let text = error.to_string();
                        self.bad(error.tag(), None, &text);
                    }
                }
                true
            }
        }
    }

    /// Runs one command in the current state (§6: which commands each state allows).
    fn command(&mut self, command: Command, store: &mut dyn Mailstore) {
        let Command { tag, body } = command;
        self.events.push_back(ImapEvent::CommandReceived {
            tag: tag.as_str().to_owned(),
            command: body.name().to_owned(),
        });
        let authenticated = self.user().is_some();
        let selected = matches!(self.state, ImapState::Selected { .. });
        match body {
            // §6.1: any state.
            CommandBody::Capability => {
                let caps = self.capabilities();
                self.send(Response::Data(Data::Capability(caps)));
                self.ok(&tag, None, "CAPABILITY completed");
            }
            CommandBody::Noop => {
                self.refresh(store);
                self.ok(&tag, None, "NOOP completed");
            }
            CommandBody::Logout => {
                self.send(Response::untagged(Status::Bye, None, "IMAP4rev2 Server logging out"));
                self.ok(&tag, None, "LOGOUT completed");
                self.state = ImapState::Logout;
                self.events.push_back(ImapEvent::Closed);
            }
            // §6.2: not authenticated.
            CommandBody::StartTls | CommandBody::Login { .. } | CommandBody::Authenticate { .. }
                if authenticated =>
            {
                self.bad(Some(&tag), None, "Already authenticated");
            }
            CommandBody::StartTls => self.starttls(&tag),
            CommandBody::Login { username, password } => self.login(&tag, &username, &password, store),
            CommandBody::Authenticate { mechanism, initial_response } => {
                self.authenticate(&tag, mechanism.as_str(), initial_response, store);
            }
            // §6.3: authenticated or selected.
            _ if !authenticated => self.bad(Some(&tag), None, "Not authenticated"),
            CommandBody::Enable(capabilities) => self.enable(&tag, &capabilities),
            CommandBody::Select(mailbox) => self.select(&tag, mailbox, false, store),
            CommandBody::Examine(mailbox) => self.select(&tag, mailbox, true, store),
            CommandBody::List { reference, pattern } => self.list(&tag, &reference, &pattern, store),
            CommandBody::Status { mailbox, attributes } => self.status(&tag, mailbox, &attributes, store),
            CommandBody::Idle => {
                self.send(Response::Continue("idling".into()));
                self.expect = Expect::Done { tag };
                self.events.push_back(ImapEvent::IdleStarted);
                self.refresh(store);
            }
            // §6.4: selected.
            _ if !selected => self.bad(Some(&tag), None, "No mailbox selected"),
            CommandBody::Close => {
                if !self.read_only() {
                    self.expunge(None, false, store);
                }
                self.unselect();
                self.ok(&tag, None, "CLOSE completed");
            }
            CommandBody::Check => {
                self.refresh(store);
                self.ok(&tag, None, "CHECK completed");
            }
            CommandBody::Unselect => {
                self.unselect();
                self.ok(&tag, None, "Unselect completed");
            }
            CommandBody::Expunge | CommandBody::UidExpunge(_) if self.read_only() => {
                self.no(&tag, Some(Code::ReadOnly), "Mailbox is read-only");
            }
            CommandBody::Expunge => {
                self.expunge(None, true, store);
                self.ok(&tag, None, "EXPUNGE completed");
            }
            CommandBody::UidExpunge(set) => {
                self.expunge(Some(&set), true, store);
                self.ok(&tag, None, "UID EXPUNGE completed");
            }
            CommandBody::Fetch { uid, set, items } => self.fetch(&tag, uid, &set, &items.expand(), store),
            CommandBody::Store { .. } if self.read_only() => {
                self.no(&tag, Some(Code::ReadOnly), "Mailbox is read-only");
            }
            CommandBody::Store { uid, set, kind, silent, flags } => {
                self.store(&tag, uid, &set, kind, silent, &flags, store);
            }
            CommandBody::Search { uid, returns, charset, criteria } => {
                self.search(&tag, uid, returns, charset.as_deref(), &criteria, store);
            }
        }
    }

    /// Whether responses follow RFC 9051 rather than RFC 3501: the server offers IMAP4rev2
    /// only, or the client sent `ENABLE IMAP4rev2` (§7.2.2).
    fn speaks_rev2(&self) -> bool {
        self.rev2_enabled || !self.config.imap4rev1
    }

    /// The mailbox the session has selected, if any.
    fn selected_mailbox(&self) -> Option<Mailbox> {
        self.selection.as_ref().map(|s| s.mailbox.clone())
    }

    fn read_only(&self) -> bool {
        matches!(self.state, ImapState::Selected { read_only: true, .. })
    }

    /// STARTTLS (§6.2.1): OK, then TLS; octets already received after the command are
    /// thrown away (the second option of §6.2.1, against command injection).
    fn starttls(&mut self, tag: &Tag) {
        if self.tls || !self.config.starttls {
            return self.bad(Some(tag), None, "STARTTLS not available");
        }
        self.ok(tag, None, "Begin TLS negotiation now");
        if !self.input.is_empty() {
            let octets = self.input.len();
            self.input.clear();
            self.events.push_back(ImapEvent::PipelinedInputDiscarded { octets });
        }
        self.framer = Framer::new(FramerRole::Server, wire::MAX_COMMAND_OCTETS);
        self.tls = true;
        self.events.push_back(ImapEvent::StartTlsAccepted);
    }

    fn plaintext_allowed(&self) -> bool {
        self.tls || !self.config.login_requires_tls
    }

    /// LOGIN (§6.2.3): refused unchecked while LOGINDISABLED is advertised (§7.2.2).
    fn login(&mut self, tag: &Tag, user: &str, password: &str, store: &mut dyn Mailstore) {
        if !self.plaintext_allowed() {
            return self.no(tag, Some(Code::PrivacyRequired), "LOGIN is disabled before STARTTLS");
        }
        self.finish_login(tag, user, password, "LOGIN", "LOGIN completed", store);
    }

    fn finish_login(
        &mut self,
        tag: &Tag,
        user: &str,
        password: &str,
        mechanism: &str,
        text: &str,
        store: &mut dyn Mailstore,
    ) {
        if store.authenticate(user, password) {
            self.state = ImapState::Authenticated { user: user.to_owned() };
            self.ok(tag, None, text);
            self.events
                .push_back(ImapEvent::LoggedIn { user: user.to_owned(), mechanism: mechanism.to_owned() });
        } else {
            self.no(tag, Some(Code::AuthenticationFailed), "Authentication failed");
            self.events.push_back(ImapEvent::LoginFailed { user: user.to_owned() });
        }
    }

    /// AUTHENTICATE (§6.2.2) with PLAIN (RFC 4616), with or without an initial response
    /// (SASL-IR, RFC 4959).
    fn authenticate(
        &mut self,
        tag: &Tag,
        mechanism: &str,
        initial: Option<Vec<u8>>,
        store: &mut dyn Mailstore,
    ) {
        if !mechanism.eq_ignore_ascii_case("PLAIN") {
            return self.no(tag, None, "Unsupported authentication mechanism");
        }
        if !self.plaintext_allowed() {
            return self.no(
                tag,
                Some(Code::PrivacyRequired),
                "Plaintext authentication is disabled before STARTTLS",
            );
        }
        match initial {
            Some(message) => self.plain(tag, &message, store),
            None => {
                // An empty challenge: "+ " (§6.2.2, the note on the space after "+").
                self.send(Response::Continue(String::new()));
                self.expect = Expect::SaslResponse { tag: tag.clone() };
            }
        }
    }

    /// The client's line after AUTHENTICATE's `+`: base64, or `*` to cancel (§6.2.2).
    fn sasl_response(&mut self, tag: &Tag, line: &[u8], store: &mut dyn Mailstore) {
        self.expect = Expect::Command;
        if line == b"*" {
            return self.bad(Some(tag), None, "AUTHENTICATE cancelled");
        }
        match wire::base64_line(line) {
            Some(message) => self.plain(tag, &message, store),
            None => self.bad(Some(tag), None, "Invalid base64 in AUTHENTICATE response"),
        }
    }

    fn plain(&mut self, tag: &Tag, message: &[u8], store: &mut dyn Mailstore) {
        let Some(credentials) = PlainCredentials::parse(message) else {
            return self.bad(Some(tag), None, "Malformed PLAIN message");
        };
        // The authorization identity may only name the user itself here.
        if !credentials.authzid.is_empty() && credentials.authzid != credentials.authcid {
            self.no(tag, Some(Code::AuthenticationFailed), "Authentication failed");
            self.events.push_back(ImapEvent::LoginFailed { user: credentials.authcid });
            return;
        }
        let text = if self.tls { "Success (tls protection)" } else { "Success" };
        self.finish_login(tag, &credentials.authcid, &credentials.password, "PLAIN", text, store);
    }

    /// ENABLE (§6.3.1): IMAP4rev2 is enabled, everything else ignored.
    fn enable(&mut self, tag: &Tag, capabilities: &[Capability]) {
        let mut enabled = Vec::new();
        if capabilities.contains(&Capability::Imap4Rev2) && !self.rev2_enabled {
            self.rev2_enabled = true;
            enabled.push(Capability::Imap4Rev2);
        }
        self.events.push_back(ImapEvent::Enabled {
            capabilities: enabled.iter().map(ToString::to_string).collect(),
        });
        self.send(Response::Data(Data::Enabled(enabled)));
        self.ok(tag, None, "ENABLE completed");
    }

    /// SELECT and EXAMINE (§6.3.2, §6.3.3): EXISTS, UIDVALIDITY, UIDNEXT, FLAGS,
    /// PERMANENTFLAGS and LIST, in the order of the §6.3.2 example, then the tagged OK with
    /// READ-WRITE or READ-ONLY; `* 0 RECENT` too for an IMAP4rev1 client (RFC 3501 §6.3.1).
    fn select(&mut self, tag: &Tag, mailbox: Mailbox, examine: bool, store: &mut dyn Mailstore) {
        let Some(user) = self.user().map(str::to_owned) else { return };
        if matches!(self.state, ImapState::Selected { .. }) {
            self.send(Response::untagged(Status::Ok, Some(Code::Closed), "Previous mailbox is now closed"));
            self.unselect();
        }
        let Some(stored) = store.mailbox(&user, &mailbox) else {
            return self.no(tag, Some(Code::NonExistent), "Mailbox doesn't exist");
        };
        let uids: Vec<u32> = stored.messages.iter().map(|m| m.uid).collect();
        let exists = u32::try_from(uids.len()).unwrap_or(u32::MAX);
        let (uid_validity, uid_next) = (stored.uid_validity, stored.uid_next);
        // §6.3.2: the LIST response names the mailbox; its special-use attribute, if any,
        // tells the client what the folder is for (RFC 6154 §2).
        let attributes = store
            .mailboxes(&user)
            .into_iter()
            .find(|info| info.name == mailbox)
            .map(|info| info.attributes)
            .unwrap_or_default();
        self.send(Response::Data(Data::Exists(exists)));
        if !self.speaks_rev2() {
            // RFC 3501 §6.3.1 requires RECENT; this server keeps no \Recent flag.
            self.send(Response::Data(Data::Recent(0)));
        }
        self.send(Response::untagged(Status::Ok, Some(Code::UidValidity(uid_validity)), "UIDs valid"));
        self.send(Response::untagged(Status::Ok, Some(Code::UidNext(uid_next)), "Predicted next UID"));
        self.send(Response::Data(Data::Flags(Flag::SYSTEM.to_vec())));
        let (permanent, text) = if examine {
            (Vec::new(), "No permanent flags permitted")
        } else {
            let all =
                Flag::SYSTEM.iter().all(|f| self.config.permanent_flags.contains(&FlagPerm::Flag(f.clone())))
                    && self.config.permanent_flags.contains(&FlagPerm::Asterisk);
            (
                self.config.permanent_flags.clone(),
                if all { "System flags and keywords allowed" } else { "Limited" },
            )
        };
        self.send(Response::untagged(Status::Ok, Some(Code::PermanentFlags(permanent)), text));
        self.send(Response::Data(Data::List {
            attributes,
            delimiter: Some(DELIMITER),
            mailbox: mailbox.clone(),
        }));
        let (code, text) = if examine {
            (Code::ReadOnly, "EXAMINE completed")
        } else {
            (Code::ReadWrite, "SELECT completed")
        };
        self.ok(tag, Some(code), text);
        let name = mailbox.name().to_owned();
        self.state = ImapState::Selected { user, mailbox: mailbox.clone(), read_only: examine };
        self.selection = Some(Selection { mailbox, uids });
        self.events.push_back(ImapEvent::Selected { mailbox: name, exists, read_only: examine });
    }

    fn unselect(&mut self) {
        if let Some(user) = self.user().map(str::to_owned) {
            self.state = ImapState::Authenticated { user };
            self.selection = None;
            self.events.push_back(ImapEvent::Unselected);
        }
    }

    /// LIST (§6.3.9), basic form: the user's mailboxes whose names match the reference and
    /// pattern, INBOX first, each with `\HasNoChildren` (names are flat) and the attributes
    /// the store gives it, such as `\Junk` (RFC 6154 §2); `LIST "" ""` answers the hierarchy
    /// delimiter (§6.3.9, the example `A101`).
    fn list(&mut self, tag: &Tag, reference: &Mailbox, pattern: &str, store: &dyn Mailstore) {
        if pattern.is_empty() {
            self.send(Response::Data(Data::List {
                attributes: wire::Atom::try_from("Noselect").into_iter().collect(),
                delimiter: Some(DELIMITER),
                mailbox: Mailbox::Other(String::new()),
            }));
        } else if let Some(user) = self.user().map(str::to_owned) {
            let full = format!("{}{pattern}", reference.name());
            for info in store.mailboxes(&user) {
                // §5.1: INBOX matches in any case; other names are case-sensitive.
                let fold_case = info.name == Mailbox::Inbox;
                if !wildcard_match(full.as_bytes(), info.name.name().as_bytes(), fold_case) {
                    continue;
                }
                let attributes =
                    wire::Atom::try_from("HasNoChildren").into_iter().chain(info.attributes).collect();
                self.send(Response::Data(Data::List {
                    attributes,
                    delimiter: Some(DELIMITER),
                    mailbox: info.name,
                }));
            }
        }
        self.ok(tag, None, "LIST completed");
    }

    /// STATUS (§6.3.11): counts of any of the user's mailboxes without selecting it, in the
    /// order of the `status-att` rule, as the §6.3.11 example answers `(UIDNEXT MESSAGES)`.
    fn status(&mut self, tag: &Tag, mailbox: Mailbox, attributes: &[StatusAttribute], store: &dyn Mailstore) {
        let mut attributes = attributes.to_vec();
        attributes.sort();
        attributes.dedup();
        let Some(user) = self.user().map(str::to_owned) else { return };
        let Some(stored) = store.mailbox(&user, &mailbox) else {
            return self.no(tag, Some(Code::NonExistent), "Mailbox doesn't exist");
        };
        let count =
            |f: &dyn Fn(&StoredMessage) -> bool| stored.messages.iter().filter(|m| f(m)).count() as u64;
        let items = attributes
            .iter()
            .map(|&a| {
                let n = match a {
                    StatusAttribute::Messages => stored.messages.len() as u64,
                    StatusAttribute::UidNext => stored.uid_next.into(),
                    StatusAttribute::UidValidity => stored.uid_validity.into(),
                    StatusAttribute::Unseen => count(&|m| !m.flags.contains(&Flag::Seen)),
                    StatusAttribute::Deleted => count(&|m| m.flags.contains(&Flag::Deleted)),
                    StatusAttribute::Size => stored.messages.iter().map(|m| m.bytes.len() as u64).sum(),
                };
                (a, n)
            })
            .collect();
        self.send(Response::Data(Data::Status { mailbox, items }));
        self.ok(tag, None, "STATUS completed");
    }

    /// IDLE's end (§6.3.13): `DONE`, or anything else, which ends IDLE with BAD.
    fn idle_done(&mut self, tag: &Tag, line: &[u8]) {
        self.expect = Expect::Command;
        self.events.push_back(ImapEvent::IdleEnded);
        if line.eq_ignore_ascii_case(b"DONE") {
            self.ok(tag, None, "IDLE terminated");
        } else {
            self.bad(Some(tag), None, "Expected DONE");
        }
    }

    /// Whether the session is in IDLE, waiting for DONE (§6.3.13).
    pub fn is_idling(&self) -> bool {
        matches!(self.expect, Expect::Done { .. })
    }

    /// Looks at the store for messages that arrived or were removed since the client last
    /// heard, and tells it with EXPUNGE and EXISTS (§7.4.1, §7.5.1). The server does this
    /// at NOOP and IDLE; the caller calls it while the session idles to push new mail.
    pub fn poll_mailbox(&mut self, store: &dyn Mailstore) {
        if self.is_idling() {
            self.refresh(store);
        }
    }

    fn refresh(&mut self, store: &dyn Mailstore) {
        let Some(user) = self.user().map(str::to_owned) else { return };
        let Some(selection) = self.selection.as_mut() else { return };
        let Some(stored) = store.mailbox(&user, &selection.mailbox) else { return };
        let current: Vec<u32> = stored.messages.iter().map(|m| m.uid).collect();
        let mut responses = Vec::new();
        let mut seq = 0;
        while seq < selection.uids.len() {
            match selection.uids.get(seq) {
                Some(uid) if current.binary_search(uid).is_err() => {
                    selection.uids.remove(seq);
                    responses.push(Data::Expunge(u32::try_from(seq + 1).unwrap_or(u32::MAX)));
                }
                _ => seq += 1,
            }
        }
        let last = selection.uids.last().copied().unwrap_or(0);
        let arrived: Vec<u32> = current.into_iter().filter(|uid| *uid > last).collect();
        if !arrived.is_empty() {
            selection.uids.extend(arrived);
            responses.push(Data::Exists(u32::try_from(selection.uids.len()).unwrap_or(u32::MAX)));
        }
        for data in responses {
            self.send(Response::Data(data));
        }
    }

    /// The selected messages a sequence set names: (sequence number, UID) pairs in
    /// ascending order; `None` if a sequence number is out of range (§9 `seq-number`).
    fn resolve(&self, set: &SequenceSet, uid: bool) -> Option<Vec<(u32, u32)>> {
        let uids = self.selection.as_ref().map(|s| s.uids.as_slice()).unwrap_or_default();
        let count = u32::try_from(uids.len()).unwrap_or(u32::MAX);
        if !uid && set.exceeds(count) {
            return None;
        }
        let largest_uid = uids.last().copied().unwrap_or(0);
        Some(
            uids.iter()
                .enumerate()
                .map(|(i, &u)| (u32::try_from(i + 1).unwrap_or(u32::MAX), u))
                .filter(|&(seq, u)| if uid { set.contains(u, largest_uid) } else { set.contains(seq, count) })
                .collect(),
        )
    }

    /// FETCH and UID FETCH (§6.4.5, §6.4.9).
    fn fetch(
        &mut self,
        tag: &Tag,
        uid: bool,
        set: &SequenceSet,
        attributes: &[FetchAttribute],
        store: &mut dyn Mailstore,
    ) {
        let (Some(user), Some(mailbox)) = (self.user().map(str::to_owned), self.selected_mailbox()) else {
            return;
        };
        let Some(targets) = self.resolve(set, uid) else {
            return self.bad(Some(tag), None, "Invalid message sequence number");
        };
        let read_only = self.read_only();
        // §6.4.9: UID FETCH responses carry the UID even when not asked for.
        let mut attributes = attributes.to_vec();
        if uid && !attributes.contains(&FetchAttribute::Uid) {
            attributes.push(FetchAttribute::Uid);
        }
        let sets_seen =
            attributes.iter().any(|a| matches!(a, FetchAttribute::BodySection { peek: false, .. }));
        for (seq, message_uid) in targets {
            let Some(message) = find(store, &user, &mailbox, message_uid).cloned() else { continue };
            let mut flags = message.flags.clone();
            let mut changed = false;
            // 1. BODY[...] without PEEK sets \Seen (§6.4.5), except on a read-only mailbox.
            if sets_seen && !read_only && !flags.contains(&Flag::Seen) {
                flags.push(Flag::Seen);
                flags.sort();
                store.set_flags(&user, &mailbox, message_uid, flags.clone());
                changed = true;
            }
            // 2. The data items in the order asked.
            let mut items: Vec<MessageData> =
                attributes.iter().map(|a| fetch_item(a, &message, &flags, message_uid)).collect();
            // 3. A flag change is reported even when FLAGS was not asked for (§6.4.5).
            if changed && !attributes.contains(&FetchAttribute::Flags) {
                items.push(MessageData::Flags(flags.clone()));
            }
            self.send(Response::Data(Data::Fetch { seq, items }));
            self.events.push_back(ImapEvent::Fetched { seq, uid: message_uid });
            if changed {
                self.events.push_back(ImapEvent::FlagsChanged { uid: message_uid, flags });
            }
        }
        self.ok(tag, None, if uid { "UID FETCH completed" } else { "FETCH completed" });
    }

    /// STORE and UID STORE (§6.4.6): the new flags in an untagged FETCH unless `.SILENT`.
    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        tag: &Tag,
        uid: bool,
        set: &SequenceSet,
        kind: StoreKind,
        silent: bool,
        flags: &[Flag],
        store: &mut dyn Mailstore,
    ) {
        let (Some(user), Some(mailbox)) = (self.user().map(str::to_owned), self.selected_mailbox()) else {
            return;
        };
        let Some(targets) = self.resolve(set, uid) else {
            return self.bad(Some(tag), None, "Invalid message sequence number");
        };
        for (seq, message_uid) in targets {
            let Some(message) = find(store, &user, &mailbox, message_uid) else { continue };
            let mut new = match kind {
                StoreKind::Replace => flags.to_vec(),
                StoreKind::Add => [message.flags.as_slice(), flags].concat(),
                StoreKind::Remove => message.flags.iter().filter(|f| !flags.contains(f)).cloned().collect(),
            };
            new.sort();
            new.dedup();
            if new != message.flags {
                store.set_flags(&user, &mailbox, message_uid, new.clone());
                self.events.push_back(ImapEvent::FlagsChanged { uid: message_uid, flags: new.clone() });
            }
            if !silent {
                let mut items = vec![MessageData::Flags(new)];
                if uid {
                    items.push(MessageData::Uid(message_uid));
                }
                self.send(Response::Data(Data::Fetch { seq, items }));
            }
        }
        self.ok(tag, None, if uid { "UID STORE completed" } else { "STORE completed" });
    }

    /// EXPUNGE, UID EXPUNGE and CLOSE (§6.4.1, §6.4.3, §6.4.9): removes the `\Deleted`
    /// messages (within `only` UIDs), with an untagged EXPUNGE for each unless `announce`
    /// is false (CLOSE).
    fn expunge(&mut self, only: Option<&SequenceSet>, announce: bool, store: &mut dyn Mailstore) {
        let Some(user) = self.user().map(str::to_owned) else { return };
        let Some(selection) = self.selection.as_mut() else { return };
        let mailbox = selection.mailbox.clone();
        let largest = selection.uids.last().copied().unwrap_or(0);
        let doomed: Vec<u32> = selection
            .uids
            .iter()
            .copied()
            .filter(|&uid| only.is_none_or(|set| set.contains(uid, largest)))
            .filter(|&uid| {
                find(store, &user, &mailbox, uid).is_some_and(|m| m.flags.contains(&Flag::Deleted))
            })
            .collect();
        let mut responses = Vec::new();
        for uid in &doomed {
            if let Some(position) = selection.uids.iter().position(|u| u == uid) {
                selection.uids.remove(position);
                responses.push(Data::Expunge(u32::try_from(position + 1).unwrap_or(u32::MAX)));
            }
        }
        store.expunge(&user, &mailbox, &doomed);
        for data in responses.into_iter().filter(|_| announce) {
            self.send(Response::Data(data));
        }
        self.events.extend(doomed.into_iter().map(|uid| ImapEvent::Expunged { uid }));
    }

    /// SEARCH and UID SEARCH (§6.4.4): ESEARCH when the client asked for RETURN options or
    /// enabled IMAP4rev2, `* SEARCH` for an IMAP4rev1 client (§7.2.2).
    fn search(
        &mut self,
        tag: &Tag,
        uid: bool,
        returns: Option<Vec<SearchReturnOption>>,
        charset: Option<&str>,
        criteria: &[SearchKey],
        store: &mut dyn Mailstore,
    ) {
        if let Some(charset) =
            charset.filter(|c| !c.eq_ignore_ascii_case("UTF-8") && !c.eq_ignore_ascii_case("US-ASCII"))
        {
            let supported = vec!["US-ASCII".to_owned(), "UTF-8".to_owned()];
            return self.no(
                tag,
                Some(Code::BadCharset(supported)),
                &format!("Unsupported charset {charset}"),
            );
        }
        let (Some(user), Some(mailbox)) = (self.user().map(str::to_owned), self.selected_mailbox()) else {
            return;
        };
        let uids = self.selection.as_ref().map(|s| s.uids.clone()).unwrap_or_default();
        let context = SearchContext {
            count: u32::try_from(uids.len()).unwrap_or(u32::MAX),
            largest_uid: uids.last().copied().unwrap_or(0),
        };
        let mut found = Vec::new();
        for (i, &message_uid) in uids.iter().enumerate() {
            let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let Some(message) = find(store, &user, &mailbox, message_uid) else { continue };
            if criteria.iter().all(|key| context.matches(key, seq, message)) {
                found.push(if uid { message_uid } else { seq });
            }
        }
        self.events.push_back(ImapEvent::Searched { matches: found.len() });
        if returns.is_none() && !self.speaks_rev2() {
            self.send(Response::Data(Data::Search(found)));
        } else {
            let mut options = returns.unwrap_or_default();
            if options.is_empty() {
                options.push(SearchReturnOption::All);
            }
            let mut data = Vec::new();
            for option in options {
                let item = match option {
                    SearchReturnOption::Min => found.iter().min().copied().map(SearchReturnData::Min),
                    SearchReturnOption::Max => found.iter().max().copied().map(SearchReturnData::Max),
                    SearchReturnOption::All => SequenceSet::from_numbers(&found).map(SearchReturnData::All),
                    SearchReturnOption::Count => {
                        Some(SearchReturnData::Count(u32::try_from(found.len()).unwrap_or(u32::MAX)))
                    }
                };
                data.extend(item);
            }
            self.send(Response::Data(Data::ESearch { tag: Some(tag.clone()), uid, data }));
        }
        self.ok(tag, None, "SEARCH completed");
    }
}

/// A message of a mailbox, by UID.
fn find<'a>(store: &'a dyn Mailstore, user: &str, mailbox: &Mailbox, uid: u32) -> Option<&'a StoredMessage> {
    let messages = &store.mailbox(user, mailbox)?.messages;
    messages.binary_search_by_key(&uid, |m| m.uid).ok().and_then(|i| messages.get(i))
}

/// One FETCH data item for a message (§7.5.2).
fn fetch_item(attribute: &FetchAttribute, message: &StoredMessage, flags: &[Flag], uid: u32) -> MessageData {
    match attribute {
        FetchAttribute::Flags => MessageData::Flags(flags.to_vec()),
        FetchAttribute::Uid => MessageData::Uid(uid),
        FetchAttribute::Rfc822Size => MessageData::Rfc822Size(message.bytes.len() as u64),
        FetchAttribute::InternalDate => MessageData::InternalDate(message.internal_date.clone()),
        FetchAttribute::Envelope => MessageData::Envelope(Box::new(wire::envelope_of(&message.bytes))),
        FetchAttribute::Body | FetchAttribute::BodyStructure => MessageData::BodyStructure {
            extensible: *attribute == FetchAttribute::BodyStructure,
            body: wire::body_structure_of(&message.bytes),
        },
        FetchAttribute::BodySection { section, partial, .. } => {
            let data = wire::section_of(&message.bytes, section);
            // §6.4.5: `<start.count>` returns at most `count` octets from `start`, and the
            // response names the origin.
            match partial {
                Some((start, count)) => {
                    let data = data.map(|d| {
                        let from = (*start as usize).min(d.len());
                        let to = from.saturating_add(*count as usize).min(d.len());
                        d.get(from..to).unwrap_or_default().to_vec()
                    });
                    MessageData::BodySection { section: section.clone(), origin: Some(*start), data }
                }
                None => MessageData::BodySection { section: section.clone(), origin: None, data },
            }
        }
    }
}

/// What `*` stands for while evaluating SEARCH keys.
struct SearchContext {
    count: u32,
    largest_uid: u32,
}

impl SearchContext {
    /// Whether a message matches a search key (§6.4.4); text keys are case-insensitive
    /// substring matches (US-ASCII case folding).
    fn matches(&self, key: &SearchKey, seq: u32, message: &StoredMessage) -> bool {
        let has = |flag: &Flag| message.flags.contains(flag);
        let (header, body) = wire::split_message(&message.bytes);
        let field_has = |name: &str, needle: &str| {
            wire::header_field(header, name).is_some_and(|v| contains(v.as_bytes(), needle.as_bytes()))
        };
        match key {
            SearchKey::All => true,
            SearchKey::Answered => has(&Flag::Answered),
            SearchKey::Deleted => has(&Flag::Deleted),
            SearchKey::Draft => has(&Flag::Draft),
            SearchKey::Flagged => has(&Flag::Flagged),
            SearchKey::Seen => has(&Flag::Seen),
            SearchKey::Unanswered => !has(&Flag::Answered),
            SearchKey::Undeleted => !has(&Flag::Deleted),
            SearchKey::Undraft => !has(&Flag::Draft),
            SearchKey::Unflagged => !has(&Flag::Flagged),
            SearchKey::Unseen => !has(&Flag::Seen),
            SearchKey::Keyword(atom) => has(&Flag::Keyword(atom.clone())),
            SearchKey::Unkeyword(atom) => !has(&Flag::Keyword(atom.clone())),
            SearchKey::Larger(n) => message.bytes.len() as u64 > *n,
            SearchKey::Smaller(n) => (message.bytes.len() as u64) < *n,
            SearchKey::From(s) => field_has("From", s),
            SearchKey::To(s) => field_has("To", s),
            SearchKey::Cc(s) => field_has("Cc", s),
            SearchKey::Bcc(s) => field_has("Bcc", s),
            SearchKey::Subject(s) => field_has("Subject", s),
            SearchKey::Header(name, s) => field_has(name, s),
            SearchKey::Body(s) => contains(body, s.as_bytes()),
            SearchKey::Text(s) => contains(&message.bytes, s.as_bytes()),
            SearchKey::Uid(set) => set.contains(message.uid, self.largest_uid),
            SearchKey::SequenceSet(set) => set.contains(seq, self.count),
            SearchKey::Not(inner) => !self.matches(inner, seq, message),
            SearchKey::Or(a, b) => self.matches(a, seq, message) || self.matches(b, seq, message),
            SearchKey::And(keys) => keys.iter().all(|k| self.matches(k, seq, message)),
        }
    }
}

/// Case-insensitive (ASCII) substring test; an empty needle matches. Linear time, so a
/// long needle from a hostile SEARCH cannot stall the session.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(&haystack.to_ascii_lowercase(), &needle.to_ascii_lowercase()).is_some()
}

/// LIST pattern matching (§6.3.9): `*` matches anything, `%` anything but the delimiter;
/// `fold_case` for INBOX, which matches in any case (§5.1), while other names are
/// case-sensitive. Dynamic programming over (pattern, name) prefixes, so a pattern of many
/// wildcards costs no more than its length times the name's.
fn wildcard_match(pattern: &[u8], name: &[u8], fold_case: bool) -> bool {
    // matched[j]: the pattern so far matches name[..j].
    let mut matched = vec![false; name.len() + 1];
    if let Some(first) = matched.first_mut() {
        *first = true;
    }
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
        match p {
            b'*' | b'%' => {
                let mut reachable = false;
                for j in 0..=name.len() {
                    let Some(&here) = matched.get(j) else { break };
                    // `%` cannot cross a hierarchy delimiter.
                    if p == b'%' && j > 0 && name.get(j - 1) == Some(&(DELIMITER as u8)) {
                        reachable = false;
                    }
                    reachable |= here;
                    if let Some(slot) = next.get_mut(j) {
                        *slot = reachable;
                    }
                }
            }
            _ => {
                for j in 0..name.len() {
                    let hit = matched.get(j) == Some(&true)
                        && name
                            .get(j)
                            .is_some_and(|&n| if fold_case { n.eq_ignore_ascii_case(&p) } else { n == p });
                    if let Some(slot) = next.get_mut(j + 1) {
                        *slot = hit;
                    }
                }
            }
        }
        matched = next;
    }
    matched.last() == Some(&true)
}

// ---------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------

/// How the client authenticates (§6.2.2, §6.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `LOGIN user password`.
    Login,
    /// `AUTHENTICATE PLAIN` (RFC 4616), with an initial response when the server offers
    /// SASL-IR (RFC 4959).
    Plain,
}

/// What an [`ImapClient`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapClientConfig {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
    /// LOGIN or AUTHENTICATE PLAIN.
    pub auth: ClientAuth,
    /// After fetching, mark every message `\Seen` with `STORE 1:* +FLAGS.SILENT (\Seen)`
    /// (the fetch itself uses BODY.PEEK[], which leaves flags alone).
    pub mark_seen: bool,
}

/// A message as the client fetched it (§7.5.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchedMessage {
    /// The message sequence number.
    pub seq: u32,
    /// UID.
    pub uid: Option<u32>,
    /// FLAGS.
    pub flags: Vec<Flag>,
    /// RFC822.SIZE.
    pub size: Option<u64>,
    /// ENVELOPE.
    pub envelope: Option<wire::Envelope>,
    /// BODY[]: the whole message.
    pub body: Option<Vec<u8>>,
}

/// A mailbox the client saw in LIST (§7.3.1), with the counts STATUS gave for it (§7.3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMailbox {
    /// The name.
    pub name: Mailbox,
    /// Its attributes without their `\`, e.g. `HasNoChildren` and `Junk`.
    pub attributes: Vec<wire::Atom>,
    /// What STATUS answered for it (MESSAGES and UNSEEN); empty for INBOX, which the client
    /// selects instead, and for a mailbox whose STATUS failed.
    pub status: Vec<(StatusAttribute, u64)>,
}

impl ListedMailbox {
    /// Whether the mailbox can be opened and counted: not `\Noselect` or `\NonExistent`
    /// (§7.3.1).
    fn selectable(&self) -> bool {
        !self.attributes.iter().any(|a| {
            a.as_str().eq_ignore_ascii_case("Noselect") || a.as_str().eq_ignore_ascii_case("NonExistent")
        })
    }
}

/// What the client waits for: states named for the response they expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientStep {
    ExpectGreeting,
    ExpectCapability,
    ExpectLogin,
    ExpectList,
    ExpectStatus,
    ExpectSelect,
    ExpectFetch,
    ExpectStore,
    ExpectLogout,
    Done,
}

/// A sans-IO IMAP client that logs in, lists the mailboxes with `LIST "" "*"`, asks
/// `STATUS <name> (MESSAGES UNSEEN)` of each one but INBOX (so a reader sees "Junk: 1
/// message, 1 unseen" without opening it), selects INBOX, fetches every message with
/// `FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])`, optionally marks them seen,
/// and logs out.
#[derive(Debug)]
pub struct ImapClient {
    config: ImapClientConfig,
    step: ClientStep,
    capabilities: Vec<Capability>,
    next_tag: u32,
    tag: Option<Tag>,
    exists: u32,
    input: Vec<u8>,
    framer: Framer,
    output: VecDeque<Vec<u8>>,
    /// Fragments of the command in progress that wait for the server's `+` (§7.6).
    pending: VecDeque<Vec<u8>>,
    /// The messages fetched, by sequence number.
    fetched: BTreeMap<u32, FetchedMessage>,
    /// The mailboxes LIST named, in the server's order.
    listed: Vec<ListedMailbox>,
    /// The mailboxes still to ask STATUS of, in LIST's order.
    to_count: VecDeque<Mailbox>,
    /// Why the client stopped early, if it did.
    pub error: Option<String>,
}

impl ImapClient {
    /// A client that waits for the server's greeting.
    pub fn new(config: ImapClientConfig) -> Self {
        Self {
            config,
            step: ClientStep::ExpectGreeting,
            capabilities: Vec::new(),
            next_tag: 1,
            tag: None,
            exists: 0,
            input: Vec::new(),
            framer: Framer::new(FramerRole::Client, MAX_RESPONSE),
            output: VecDeque::new(),
            pending: VecDeque::new(),
            fetched: BTreeMap::new(),
            listed: Vec::new(),
            to_count: VecDeque::new(),
            error: None,
        }
    }

    /// The next octets to send.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.output.pop_front()
    }

    /// Whether the client has finished (logged out, or given up).
    pub fn is_done(&self) -> bool {
        self.step == ClientStep::Done
    }

    /// The messages fetched, in sequence-number order.
    pub fn fetched(&self) -> Vec<&FetchedMessage> {
        self.fetched.values().collect()
    }

    /// The mailboxes LIST named, with what STATUS told of each one but INBOX.
    pub fn mailboxes(&self) -> &[ListedMailbox] {
        &self.listed
    }

    /// The server's capabilities as last advertised.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    /// Sends `body` under a new tag and waits in `next`.
    fn send(&mut self, body: CommandBody, next: ClientStep) {
        let tag = Tag::try_from(format!("A{:03}", self.next_tag).as_str()).ok();
        self.next_tag += 1;
        let Some(tag) = tag else { return };
        let non_sync = self.capabilities.iter().any(|c| matches!(c, Capability::LiteralPlus));
        let mode = if non_sync { LiteralMode::NonSync } else { LiteralMode::Sync };
        let mut fragments: VecDeque<Vec<u8>> = Command { tag: tag.clone(), body }.encode(mode).into();
        if let Some(first) = fragments.pop_front() {
            self.output.push_back(first);
        }
        self.pending = fragments;
        self.tag = Some(tag);
        self.step = next;
    }

    fn logout(&mut self) {
        self.send(CommandBody::Logout, ClientStep::ExpectLogout);
    }

    /// Feeds server octets; whole responses (literals included) are acted on in order.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
        while !self.is_done() {
            match self.framer.next(&self.input) {
                Frame::Incomplete => return,
                Frame::Complete(len) => {
                    let frame: Vec<u8> = self.input.drain(..len.min(self.input.len())).collect();
                    match wire::response(&frame) {
                        Ok((_, response)) => self.handle_response(response),
                        Err(_) => self.unparsable(&frame),
                    }
                }
                Frame::LiteralAwaited { .. } | Frame::TooLarge { .. } | Frame::Skip(_) => {
                    self.error = Some("response too large".into());
                    self.step = ClientStep::Done;
                }
            }
        }
    }

    /// A response this client cannot read: ignored if untagged (§7: the client must accept
    /// any response), fatal if it completes the command in progress.
    fn unparsable(&mut self, frame: &[u8]) {
        let ours = self.tag.as_ref().is_some_and(|t| frame.starts_with(format!("{t} ").as_bytes()));
        if ours {
            self.error = Some(format!("unreadable response: {}", String::from_utf8_lossy(frame).trim_end()));
            self.step = ClientStep::Done;
        }
    }

    fn handle_response(&mut self, response: Response) {
        match response {
            Response::Continue(_) => {
                // §7.6: the next fragment of a command with a literal, or the PLAIN response
                // to AUTHENTICATE's empty challenge (§6.2.2).
                if let Some(fragment) = self.pending.pop_front() {
                    self.output.push_back(fragment);
                }
            }
            Response::Data(data) => self.handle_data(data),
            Response::Status { tag: None, status, code, text } => {
                if let Some(Code::Capability(caps)) = code {
                    self.capabilities = caps;
                }
                match (self.step, status) {
                    (ClientStep::ExpectGreeting, Status::Ok) => self.after_greeting(false),
                    (ClientStep::ExpectGreeting, Status::PreAuth) => self.after_greeting(true),
                    (ClientStep::ExpectLogout, Status::Bye) => {}
                    (_, Status::Bye) => {
                        self.error.get_or_insert(format!("server closed the connection: {text}"));
                        self.step = ClientStep::Done;
                    }
                    _ => {}
                }
            }
            Response::Status { tag: Some(tag), status, code, text } => {
                if Some(&tag) != self.tag.as_ref() {
                    return;
                }
                self.pending.clear();
                if let Some(Code::Capability(caps)) = code {
                    self.capabilities = caps;
                }
                if status != Status::Ok
                    && matches!(self.step, ClientStep::ExpectList | ClientStep::ExpectStatus)
                {
                    // A folder the client could not list or count is no reason to stop: INBOX
                    // is still there to read.
                    return self.completed();
                }
                if status != Status::Ok {
                    self.error.get_or_insert(format!("{} {}: {text}", tag, status.as_str()));
                    if self.step == ClientStep::ExpectLogout {
                        self.step = ClientStep::Done;
                    } else {
                        self.logout();
                    }
                    return;
                }
                self.completed();
            }
        }
    }

    fn handle_data(&mut self, data: Data) {
        match data {
            Data::Capability(caps) => self.capabilities = caps,
            Data::List { attributes, mailbox, .. }
                if self.step == ClientStep::ExpectList
                    && !mailbox.name().is_empty()
                    && !self.listed.iter().any(|l| l.name == mailbox) =>
            {
                self.listed.push(ListedMailbox { name: mailbox, attributes, status: Vec::new() });
            }
            Data::Status { mailbox, items } if self.step == ClientStep::ExpectStatus => {
                if let Some(listed) = self.listed.iter_mut().find(|l| l.name == mailbox) {
                    listed.status = items;
                }
            }
            Data::Exists(n) => self.exists = n,
            Data::Expunge(seq) => {
                // §7.5.1: later messages move down by one.
                self.fetched.remove(&seq);
                let moved: Vec<(u32, FetchedMessage)> = self
                    .fetched
                    .split_off(&seq)
                    .into_iter()
                    .map(|(s, mut m)| {
                        m.seq = s - 1;
                        (s - 1, m)
                    })
                    .collect();
                self.fetched.extend(moved);
                self.exists = self.exists.saturating_sub(1);
            }
            Data::Fetch { seq, items } => {
                let message =
                    self.fetched.entry(seq).or_insert_with(|| FetchedMessage { seq, ..Default::default() });
                for item in items {
                    match item {
                        MessageData::Uid(uid) => message.uid = Some(uid),
                        MessageData::Flags(flags) => message.flags = flags,
                        MessageData::Rfc822Size(size) => message.size = Some(size),
                        MessageData::Envelope(envelope) => message.envelope = Some(*envelope),
                        MessageData::BodySection { section: wire::Section::Full, origin: None, data } => {
                            message.body = data;
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    fn after_greeting(&mut self, preauthenticated: bool) {
        if preauthenticated {
            return self.list();
        }
        if self.capabilities.is_empty() {
            return self.send(CommandBody::Capability, ClientStep::ExpectCapability);
        }
        self.login();
    }

    fn login(&mut self) {
        let user = self.config.user.clone();
        let password = self.config.password.clone();
        match self.config.auth {
            ClientAuth::Login => {
                if self.capabilities.contains(&Capability::LoginDisabled) {
                    self.error = Some("the server advertises LOGINDISABLED (§6.2.3)".into());
                    return self.logout();
                }
                self.send(CommandBody::Login { username: user, password }, ClientStep::ExpectLogin);
            }
            ClientAuth::Plain => {
                let message =
                    PlainCredentials { authzid: String::new(), authcid: user, password }.to_message();
                let Ok(mechanism) = wire::Atom::try_from("PLAIN") else { return };
                if self.capabilities.contains(&Capability::SaslIr) {
                    let body = CommandBody::Authenticate { mechanism, initial_response: Some(message) };
                    self.send(body, ClientStep::ExpectLogin);
                } else {
                    let body = CommandBody::Authenticate { mechanism, initial_response: None };
                    self.send(body, ClientStep::ExpectLogin);
                    // Sent after the server's "+ " (§6.2.2).
                    let line = if message.is_empty() {
                        "=".to_owned()
                    } else {
                        crate::proto::sasl::encode(&message)
                    };
                    self.pending.push_back(format!("{line}\r\n").into_bytes());
                }
            }
        }
    }

    /// `LIST "" "*"`: every mailbox, at every level (§6.3.9).
    fn list(&mut self) {
        let body = CommandBody::List { reference: Mailbox::Other(String::new()), pattern: "*".into() };
        self.send(body, ClientStep::ExpectList);
    }

    /// `STATUS <name> (MESSAGES UNSEEN)` for the next listed mailbox (§6.3.11), or SELECT
    /// INBOX when every one is counted.
    fn next_status(&mut self) {
        match self.to_count.pop_front() {
            Some(mailbox) => {
                let attributes = vec![StatusAttribute::Messages, StatusAttribute::Unseen];
                self.send(CommandBody::Status { mailbox, attributes }, ClientStep::ExpectStatus);
            }
            None => self.select(),
        }
    }

    fn select(&mut self) {
        self.send(CommandBody::Select(Mailbox::Inbox), ClientStep::ExpectSelect);
    }

    /// The command in progress completed with OK: the next step.
    fn completed(&mut self) {
        match self.step {
            ClientStep::ExpectGreeting => {}
            ClientStep::ExpectCapability => self.login(),
            ClientStep::ExpectLogin => self.list(),
            ClientStep::ExpectList => {
                self.to_count = self
                    .listed
                    .iter()
                    .filter(|l| l.name != Mailbox::Inbox && l.selectable())
                    .map(|l| l.name.clone())
                    .collect();
                self.next_status();
            }
            ClientStep::ExpectStatus => self.next_status(),
            ClientStep::ExpectSelect if self.exists == 0 => self.logout(),
            ClientStep::ExpectSelect => {
                let set = SequenceSet::new(vec![wire::Sequence::Range(
                    wire::SeqNumber::Value(1),
                    wire::SeqNumber::Largest,
                )]);
                let Some(set) = set else { return self.logout() };
                let attributes = vec![
                    FetchAttribute::Uid,
                    FetchAttribute::Flags,
                    FetchAttribute::Rfc822Size,
                    FetchAttribute::Envelope,
                    FetchAttribute::BodySection { peek: true, section: wire::Section::Full, partial: None },
                ];
                let items = wire::FetchItems::Attributes { attributes, parenthesized: true };
                self.send(CommandBody::Fetch { uid: false, set, items }, ClientStep::ExpectFetch);
            }
            ClientStep::ExpectFetch if self.config.mark_seen => {
                let set = SequenceSet::new(vec![wire::Sequence::Range(
                    wire::SeqNumber::Value(1),
                    wire::SeqNumber::Largest,
                )]);
                let Some(set) = set else { return self.logout() };
                let body = CommandBody::Store {
                    uid: false,
                    set,
                    kind: StoreKind::Add,
                    silent: true,
                    flags: vec![Flag::Seen],
                };
                self.send(body, ClientStep::ExpectStore);
            }
            ClientStep::ExpectFetch | ClientStep::ExpectStore => self.logout(),
            ClientStep::ExpectLogout | ClientStep::Done => self.step = ClientStep::Done,
        }
    }
}
