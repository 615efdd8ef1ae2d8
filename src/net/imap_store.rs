//! The IMAP view of `serve`'s mail directory: a [`Mailstore`] (RFC 9051) over the mailboxes
//! [`Maildir`] delivers to, for `serve --imap`.
//!
//! - **Users.** The served host's `users = { bob = "…" }` log in with their passwords; a user
//!   reads the mailbox `bob@<local domain>` as INBOX (the first local domain, in order, whose
//!   folder exists, as the simulated POP3 server picks the first mailbox of that local part;
//!   a user name with an `@` names its mailbox itself).
//! - **Mailboxes.** INBOX is the only one: LIST names it alone, and SELECT or STATUS of any
//!   other name answers NO [NONEXISTENT]. `serve` files no mail into folders (no Junk), so
//!   there are none to show.
//! - **UIDs** (§2.3.1.1) are kept in `<mailbox>/.imap-uids`: UIDVALIDITY, UIDNEXT, and one line
//!   per message with its UID, size, modification time and file name ([`UidState`]). A file
//!   the list does not hold gets UIDNEXT, in the order of its delivery number, so UIDs ascend
//!   as messages arrive; a name whose file has another size or time is a new message, so a
//!   number `serve` reuses can never bring back an old UID. The list is rewritten whole
//!   (`.imap-uids.<pid>.tmp`, synced, renamed over, folder synced) only when it changes. A
//!   missing or unreadable list starts a new UIDVALIDITY, later than any it could replace.
//! - **Flags** (§2.3.2) live in the file name, after maildir's `:2,`: `S` \Seen, `R`
//!   \Answered, `F` \Flagged, `T` \Deleted, `D` \Draft, in ASCII order
//!   (`000001.eml:2,FS`); other info letters are kept as found. Keywords are not in
//!   PERMANENTFLAGS and last for the session only (§7.1, PERMANENTFLAGS).
//! - **EXPUNGE** (§6.4.3) removes the mailbox's name for the file; the copy in `.messages/`
//!   stays, as `serve`'s record of what it accepted.
//! - **New mail** is seen whenever the session reads the folder again: before each command
//!   (so at NOOP, CHECK, SELECT, STATUS, which report it, §5.2), and during IDLE as soon as
//!   this `serve` delivers or changes a message ([`Maildir::generation`]).
//!
//! One lock, shared by the IMAP sessions of the process, covers reading and rewriting the
//! list and renaming or removing files; SMTP deliveries never wait for it (they only add
//! names, with numbers past every name in the folder). One `serve` per mail directory.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use super::maildir::{Maildir, file_number, path_component, sync_dir};
use crate::engine::imap::{MailboxInfo, Mailstore, StoredMailbox, StoredMessage};
use crate::message::format_imap_date;
use crate::proto::imap::{DateTime, Flag, Mailbox};

/// The list of UIDs in each mailbox folder.
pub const UID_FILE: &str = ".imap-uids";
/// Its first line, naming the format.
const UID_FILE_HEADER: &str = "smtp-playground imap-uids 1";
/// maildir's info prefix: what follows are flag letters.
const INFO: &str = ":2,";
/// Messages larger than this are left out of INBOX (and said so in the transcript).
const MAX_MESSAGE_OCTETS: u64 = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Flags in file names
// ---------------------------------------------------------------------------------------

/// The maildir info letter of a system flag (RFC 9051 §2.3.2), as Dovecot and mutt read
/// them; `None` for keywords and `\Recent`-like extensions.
pub fn info_letter(flag: &Flag) -> Option<char> {
    match flag {
        Flag::Draft => Some('D'),
        Flag::Flagged => Some('F'),
        Flag::Answered => Some('R'),
        Flag::Seen => Some('S'),
        Flag::Deleted => Some('T'),
        Flag::Extension(_) | Flag::Keyword(_) => None,
    }
}

/// The system flag of an info letter; `None` for letters IMAP has no flag for (`P`, passed)
/// and for keyword letters (`a`–`z`).
pub fn letter_flag(letter: char) -> Option<Flag> {
    match letter {
        'D' => Some(Flag::Draft),
        'F' => Some(Flag::Flagged),
        'R' => Some(Flag::Answered),
        'S' => Some(Flag::Seen),
        'T' => Some(Flag::Deleted),
        _ => None,
    }
}

/// A file name cut in two: `000001.eml:2,FS` is `000001.eml` with info `FS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageName {
    /// The name without info: what identifies the message in the folder.
    pub base: String,
    /// The system flags the info letters say, sorted.
    pub flags: Vec<Flag>,
    /// Info letters that are not system flags, kept as found.
    pub other: String,
}

impl MessageName {
    /// Reads a file name; a name without `:2,` has no flags.
    pub fn parse(name: &str) -> Self {
        let (base, info) = match name.rfind(INFO) {
            Some(at) => (name.get(..at).unwrap_or(name), name.get(at + INFO.len()..).unwrap_or_default()),
            None => (name, ""),
        };
        let mut flags = Vec::new();
        let mut other = String::new();
        for letter in info.chars() {
            match letter_flag(letter) {
                Some(flag) => flags.push(flag),
                None if !other.contains(letter) => other.push(letter),
                None => {}
            }
        }
        flags.sort();
        flags.dedup();
        Self { base: base.to_owned(), flags, other }
    }

    /// The file name: the base, then `:2,` and the letters in ASCII order (maildir's rule)
    /// when there are any.
    pub fn to_name(&self) -> String {
        let mut letters: Vec<char> =
            self.flags.iter().filter_map(info_letter).chain(self.other.chars()).collect();
        letters.sort_unstable();
        letters.dedup();
        if letters.is_empty() {
            self.base.clone()
        } else {
            format!("{}{INFO}{}", self.base, letters.into_iter().collect::<String>())
        }
    }
}

// ---------------------------------------------------------------------------------------
// The UID list
// ---------------------------------------------------------------------------------------

/// One message in the UID list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidEntry {
    pub uid: u32,
    /// The file's size and modification time (ns since 1970) when the UID was given: a
    /// name whose file differs is another message.
    pub size: u64,
    pub mtime_ns: u64,
    /// The file name without info ([`MessageName::base`]).
    pub base: String,
}

/// A mailbox's UIDVALIDITY, UIDNEXT and UIDs (RFC 9051 §2.3.1.1), as `.imap-uids` holds them:
///
/// ```text
/// smtp-playground imap-uids 1
/// uidvalidity 1764901234
/// uidnext 3
/// 1 316 1764901234123456789 000001.eml
/// 2 402 1764901299000000000 000002.eml
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidState {
    pub uid_validity: u32,
    pub uid_next: u32,
    /// In ascending UID order.
    pub entries: Vec<UidEntry>,
}

impl UidState {
    /// An empty mailbox with a fresh UIDVALIDITY: the time in seconds, and later than
    /// `previous` (a list that could not be read), so no UID of the old list is valid.
    pub fn fresh(now_unix: u32, previous: Option<u32>) -> Self {
        let uid_validity = now_unix.max(previous.map_or(1, |p| p.saturating_add(1))).max(1);
        Self { uid_validity, uid_next: 1, entries: Vec::new() }
    }

    /// Reads the list; an error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        if lines.next() != Some(UID_FILE_HEADER) {
            return Err(format!("the first line is not {UID_FILE_HEADER:?}"));
        }
        let mut value = |name: &str| -> Result<u32, String> {
            let line = lines.next().unwrap_or_default();
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("expected `{name} N` (N from 1), found {line:?}"))
        };
        let uid_validity = value("uidvalidity")?;
        let uid_next = value("uidnext")?;
        let mut entries: Vec<UidEntry> = Vec::new();
        for line in lines {
            let mut fields = line.splitn(4, ' ');
            let mut number = || fields.next().and_then(|f| f.parse::<u64>().ok());
            let (Some(uid), Some(size), Some(mtime_ns)) = (number(), number(), number()) else {
                return Err(format!("not `UID SIZE MTIME NAME`: {line:?}"));
            };
            let base = fields.next().unwrap_or_default();
            let uid = u32::try_from(uid).ok().filter(|u| *u > 0 && *u < uid_next);
            let ascending = entries.last().is_none_or(|last| uid.is_some_and(|u| u > last.uid));
            let (Some(uid), true, false) = (uid, ascending, base.is_empty()) else {
                return Err(format!("UIDs must ascend, each below uidnext, with a name: {line:?}"));
            };
            entries.push(UidEntry { uid, size, mtime_ns, base: base.to_owned() });
        }
        Ok(Self { uid_validity, uid_next, entries })
    }

    /// Writes the list ([`UidState::parse`] reads it back).
    pub fn to_text(&self) -> String {
        let mut out =
            format!("{UID_FILE_HEADER}\nuidvalidity {}\nuidnext {}\n", self.uid_validity, self.uid_next);
        for e in &self.entries {
            out.push_str(&format!("{} {} {} {}\n", e.uid, e.size, e.mtime_ns, e.base));
        }
        out
    }

    /// Brings the list up to date with the files found (§2.3.1.1): entries whose file is
    /// gone or is another file are dropped, and files not listed get UIDs from UIDNEXT in
    /// the order of their delivery number. When UIDs run out, every message is numbered
    /// again from 1 under a new UIDVALIDITY, as §2.3.1.1 allows. Returns whether it changed.
    pub fn reconcile(&mut self, found: &[Found], now_unix: u32) -> bool {
        let before = self.clone();
        let by_base: BTreeMap<&str, &Found> = found.iter().map(|f| (f.name.base.as_str(), f)).collect();
        self.entries.retain(|e| {
            by_base.get(e.base.as_str()).is_some_and(|f| f.size == e.size && f.mtime_ns == e.mtime_ns)
        });
        let listed: BTreeSet<&str> = self.entries.iter().map(|e| e.base.as_str()).collect();
        let mut arrived: Vec<&Found> =
            by_base.values().copied().filter(|f| !listed.contains(f.name.base.as_str())).collect();
        arrived.sort_by_key(|f| (file_number(&f.name.base).unwrap_or(u64::MAX), f.name.base.clone()));
        let needed = u32::try_from(arrived.len()).unwrap_or(u32::MAX);
        if self.uid_next.checked_add(needed).is_none() {
            // UIDs used up: a new UIDVALIDITY, and every message numbered again.
            let kept = std::mem::take(&mut self.entries);
            *self = Self::fresh(now_unix, Some(self.uid_validity));
            for e in kept {
                self.push(e.base, e.size, e.mtime_ns);
            }
        }
        for f in arrived {
            self.push(f.name.base.clone(), f.size, f.mtime_ns);
        }
        *self != before
    }

    fn push(&mut self, base: String, size: u64, mtime_ns: u64) {
        let uid = self.uid_next;
        self.uid_next = uid.saturating_add(1);
        self.entries.push(UidEntry { uid, size, mtime_ns, base });
    }
}

/// A message file found in a mailbox folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The file name as it is now.
    pub file: String,
    pub name: MessageName,
    pub size: u64,
    pub mtime_ns: u64,
}

/// The message files of a folder: regular files (not links to elsewhere) whose names do not
/// start with `.` (the UID list, temporary files) and hold no control characters. When two
/// names share a base (`x` and `x:2,S`, which `serve` never makes), the first is used.
fn scan(dir: &Path) -> std::io::Result<Vec<Found>> {
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let mut names: Vec<(String, std::fs::Metadata)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        if name.starts_with('.') || name.chars().any(char::is_control) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() {
            names.push((name, meta));
        }
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (file, meta) in names {
        let name = MessageName::parse(&file);
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| u64::try_from(d.as_nanos()).ok())
            .unwrap_or(0);
        found.entry(name.base.clone()).or_insert(Found { file, name, size: meta.len(), mtime_ns });
    }
    Ok(found.into_values().collect())
}

/// An INTERNALDATE (RFC 9051 §2.3.3, `date-time` of §9) for a time in Unix seconds, in UTC.
pub fn internal_date(unix_seconds: i64) -> Option<DateTime> {
    DateTime::try_from(format_imap_date(unix_seconds).as_str()).ok()
}

fn unix_now() -> u32 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}

// ---------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------

/// What the IMAP sessions of one `serve` share: the users and the lock over the folders.
#[derive(Debug)]
pub struct ImapAccounts {
    /// `user → password`, the served host's `users`.
    users: BTreeMap<String, String>,
    /// The host's local domains, in order: where `bob`'s mailbox `bob@<domain>` is.
    local_domains: Vec<String>,
    lock: Mutex<()>,
}

impl ImapAccounts {
    pub fn new(users: BTreeMap<String, String>, local_domains: impl IntoIterator<Item = String>) -> Self {
        Self { users, local_domains: local_domains.into_iter().collect(), lock: Mutex::new(()) }
    }

    /// The user names, for `serve`'s hint (never the passwords).
    pub fn user_names(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// The mailbox key whose folder is `user`'s INBOX.
    pub fn mailbox_key(&self, root: &Path, user: &str) -> String {
        let user = user.to_lowercase();
        if user.contains('@') || self.local_domains.is_empty() {
            return user;
        }
        let keys: Vec<String> = self.local_domains.iter().map(|d| format!("{user}@{d}")).collect();
        keys.iter().find(|k| root.join(path_component(k)).is_dir()).or(keys.first()).cloned().unwrap_or(user)
    }
}

/// The mailbox a session has open: its messages as IMAP sees them, and their files.
#[derive(Debug)]
struct Open {
    user: String,
    /// The mailbox key (`bob@example.net`), for the transcript.
    mailbox: String,
    dir: PathBuf,
    inbox: Option<StoredMailbox>,
    /// UID → the file's name as last seen.
    files: BTreeMap<u32, MessageName>,
    /// Keywords set in this session, by UID (not permanent, §7.1).
    session_flags: BTreeMap<u32, Vec<Flag>>,
    /// [`Maildir::generation`] when the folder was last read.
    generation: u64,
}

/// One session's [`Mailstore`] over `serve`'s maildir (see the module's documentation).
#[derive(Debug)]
pub struct MaildirStore<'a> {
    accounts: &'a ImapAccounts,
    maildir: &'a Maildir,
    open: Option<Open>,
    /// What went wrong on disk since the caller last looked, for the transcript.
    problems: Vec<String>,
}

impl<'a> MaildirStore<'a> {
    pub fn new(accounts: &'a ImapAccounts, maildir: &'a Maildir) -> Self {
        Self { accounts, maildir, open: None, problems: Vec::new() }
    }

    /// The logged-in user's mailbox key and folder.
    pub fn folder(&self) -> Option<(&str, &Path)> {
        self.open.as_ref().map(|o| (o.mailbox.as_str(), o.dir.as_path()))
    }

    /// The logged-in user's INBOX as last read.
    fn inbox(&self, user: &str) -> Option<&StoredMailbox> {
        self.open.as_ref().filter(|o| o.user == user).and_then(|o| o.inbox.as_ref())
    }

    /// What went wrong on disk since the last call.
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    /// Whether a message was delivered or changed since the folder was last read.
    pub fn is_stale(&self) -> bool {
        self.open.as_ref().is_some_and(|o| o.generation != self.maildir.generation())
    }

    /// Reads the logged-in user's folder again: new files get UIDs, vanished ones leave
    /// INBOX, renamed ones show their flags. Nothing before a login.
    pub fn refresh(&mut self) {
        let Some(open) = self.open.as_mut() else { return };
        let guard = self.accounts.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        open.generation = self.maildir.generation();
        let result = load(open);
        drop(guard);
        if let Err(problem) = result {
            self.problems.push(problem);
        }
    }

    /// Runs `change` on the file of `uid` by its current name, found again if another
    /// session renamed it (the same base: numbers are not reused while `serve` runs);
    /// `Ok(None)` if the message is gone. The caller holds the lock.
    fn with_file<T>(
        &self,
        uid: u32,
        change: impl Fn(&Path, &MessageName) -> std::io::Result<T>,
    ) -> Result<Option<(MessageName, T)>, String> {
        let Some(open) = self.open.as_ref() else { return Ok(None) };
        let Some(known) = open.files.get(&uid).cloned() else { return Ok(None) };
        let path = |name: &MessageName| open.dir.join(name.to_name());
        match change(&path(&known), &known) {
            Ok(value) => return Ok(Some((known, value))),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("{}: {e}", path(&known).display()));
            }
            Err(_) => {}
        }
        // Renamed by another session: the same base under other flags.
        let found = scan(&open.dir).map_err(|e| format!("{}: {e}", open.dir.display()))?;
        let Some(current) = found.into_iter().find(|f| f.name.base == known.base) else { return Ok(None) };
        match change(&path(&current.name), &current.name) {
            Ok(value) => Ok(Some((current.name, value))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path(&current.name).display())),
        }
    }
}

/// Reads `open`'s folder and the UID list, brings the list up to date (rewriting it if it
/// changed), and rebuilds INBOX, reading only the files not read before.
fn load(open: &mut Open) -> Result<(), String> {
    let at = |e: std::io::Error| format!("{}: {e}", open.dir.display());
    std::fs::create_dir_all(&open.dir).map_err(at)?;
    let found = scan(&open.dir).map_err(at)?;
    let list = open.dir.join(UID_FILE);
    let mut problems = Vec::new();
    let mut state = match std::fs::read_to_string(&list) {
        Ok(text) => UidState::parse(&text).unwrap_or_else(|why| {
            problems.push(format!("{}: {why}; starting a new UIDVALIDITY", list.display()));
            let previous = text.lines().nth(1).and_then(|l| l.strip_prefix("uidvalidity ")?.parse().ok());
            UidState::fresh(unix_now(), previous)
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => UidState::fresh(unix_now(), None),
        Err(e) => return Err(format!("{}: {e}", list.display())),
    };
    let unreadable = !problems.is_empty();
    if state.reconcile(&found, unix_now()) || unreadable {
        write_atomically(&open.dir, UID_FILE, state.to_text().as_bytes())?;
    }
    // INBOX as the list says, keeping the bytes already read for a UID.
    let previous: BTreeMap<u32, StoredMessage> = open
        .inbox
        .take()
        .filter(|inbox| inbox.uid_validity == state.uid_validity)
        .map(|inbox| inbox.messages.into_iter().map(|m| (m.uid, m)).collect())
        .unwrap_or_default();
    let by_base: BTreeMap<&str, &Found> = found.iter().map(|f| (f.name.base.as_str(), f)).collect();
    let mut messages = Vec::new();
    let mut files = BTreeMap::new();
    for entry in &state.entries {
        let Some(file) = by_base.get(entry.base.as_str()) else { continue };
        let bytes = match previous.get(&entry.uid) {
            Some(message) => message.bytes.clone(),
            None if file.size > MAX_MESSAGE_OCTETS => {
                problems.push(format!("{}: over {MAX_MESSAGE_OCTETS} octets, left out", file.file));
                continue;
            }
            None => match std::fs::read(open.dir.join(&file.file)) {
                Ok(bytes) => bytes,
                Err(e) => {
                    problems.push(format!("{}: {e}", open.dir.join(&file.file).display()));
                    continue;
                }
            },
        };
        let seconds = i64::try_from(file.mtime_ns / 1_000_000_000).unwrap_or(0);
        let Some(internal_date) = internal_date(seconds) else { continue };
        let mut flags = file.name.flags.clone();
        flags.extend(open.session_flags.get(&entry.uid).into_iter().flatten().cloned());
        flags.sort();
        flags.dedup();
        files.insert(entry.uid, file.name.clone());
        messages.push(StoredMessage { uid: entry.uid, flags, internal_date, bytes });
    }
    open.session_flags.retain(|uid, _| files.contains_key(uid));
    open.files = files;
    open.inbox = Some(StoredMailbox { uid_validity: state.uid_validity, uid_next: state.uid_next, messages });
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

/// Replaces `dir/name` with `bytes` so that a reader sees the old file or the new one,
/// never part of one: a temporary name, synced, renamed over, and the folder synced.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    let error = |e: std::io::Error| format!("{}: {e}", tmp.display());
    let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp).map_err(error)?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(error)?;
    std::fs::rename(&tmp, dir.join(name)).map_err(error)?;
    sync_dir(dir)
}

impl Mailstore for MaildirStore<'_> {
    /// LOGIN and AUTHENTICATE PLAIN (RFC 9051 §6.2.3, §6.2.2): the host's `users`; on
    /// success the user's mailbox is read.
    fn authenticate(&mut self, user: &str, password: &str) -> bool {
        if self.accounts.users.get(user).is_none_or(|p| p != password) {
            return false;
        }
        let root = self.maildir.root();
        let mailbox = self.accounts.mailbox_key(root, user);
        let dir = root.join(path_component(&mailbox));
        self.open = Some(Open {
            user: user.to_owned(),
            mailbox,
            dir,
            inbox: None,
            files: BTreeMap::new(),
            session_flags: BTreeMap::new(),
            generation: 0,
        });
        self.refresh();
        true
    }

    /// INBOX only: a maildir folder per mailbox key has no subfolders, so there is no Junk.
    fn mailboxes(&self, user: &str) -> Vec<MailboxInfo> {
        self.inbox(user)
            .map(|_| MailboxInfo { name: Mailbox::Inbox, attributes: Vec::new() })
            .into_iter()
            .collect()
    }

    fn mailbox(&self, user: &str, mailbox: &Mailbox) -> Option<&StoredMailbox> {
        if *mailbox == Mailbox::Inbox { self.inbox(user) } else { None }
    }

    /// STORE and FETCH's implicit \Seen (RFC 9051 §6.4.6, §6.4.5): system flags by renaming
    /// the file (its maildir info), keywords for this session only.
    fn set_flags(&mut self, user: &str, mailbox: &Mailbox, uid: u32, flags: Vec<Flag>) {
        if self.open.as_ref().is_none_or(|o| o.user != user) || *mailbox != Mailbox::Inbox {
            return;
        }
        let (system, session): (Vec<Flag>, Vec<Flag>) =
            flags.iter().cloned().partition(|f| info_letter(f).is_some());
        let accounts = self.accounts;
        let guard = accounts.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let result = self.with_file(uid, |path, name| {
            let renamed = MessageName { flags: system.clone(), ..name.clone() };
            let target = path.with_file_name(renamed.to_name());
            if target != path {
                std::fs::rename(path, &target)?;
                if let Some(dir) = target.parent() {
                    sync_dir(dir).map_err(std::io::Error::other)?;
                }
            }
            Ok(renamed)
        });
        drop(guard);
        let Some(open) = self.open.as_mut() else { return };
        match result {
            Ok(Some((_, renamed))) => {
                open.files.insert(uid, renamed);
                if session.is_empty() {
                    open.session_flags.remove(&uid);
                } else {
                    open.session_flags.insert(uid, session);
                }
                let message = open.inbox.as_mut().and_then(|i| i.messages.iter_mut().find(|m| m.uid == uid));
                if let Some(message) = message {
                    message.flags = flags;
                }
                self.maildir.changed();
                open.generation = self.maildir.generation();
            }
            Ok(None) => {}
            Err(problem) => self.problems.push(format!("flags of UID {uid} not saved: {problem}")),
        }
    }

    /// EXPUNGE, UID EXPUNGE and CLOSE (RFC 9051 §6.4.3, §6.4.9, §6.4.1): the files are
    /// removed, then their UIDs leave the list (never to be given again: UIDNEXT stays).
    fn expunge(&mut self, user: &str, mailbox: &Mailbox, uids: &[u32]) {
        if self.open.as_ref().is_none_or(|o| o.user != user) || *mailbox != Mailbox::Inbox || uids.is_empty()
        {
            return;
        }
        let accounts = self.accounts;
        let guard = accounts.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut removed = Vec::new();
        for &uid in uids {
            match self.with_file(uid, |path, _| std::fs::remove_file(path)) {
                Ok(_) => removed.push(uid),
                Err(problem) => self.problems.push(format!("UID {uid} not removed: {problem}")),
            }
        }
        let result = match self.open.as_mut() {
            Some(open) => sync_dir(&open.dir).and_then(|()| load(open)),
            None => Ok(()),
        };
        drop(guard);
        if let Err(problem) = result {
            self.problems.push(problem);
        }
        if !removed.is_empty() {
            self.maildir.changed();
        }
        if let Some(open) = self.open.as_mut() {
            open.generation = self.maildir.generation();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn found(file: &str, size: u64, mtime_ns: u64) -> Found {
        Found { file: file.to_owned(), name: MessageName::parse(file), size, mtime_ns }
    }

    #[test]
    fn names_carry_flags_after_the_info_prefix() {
        let name = MessageName::parse("000001.eml:2,TSPF");
        assert_eq!(name.base, "000001.eml");
        assert_eq!(name.flags, vec![Flag::Deleted, Flag::Flagged, Flag::Seen]);
        assert_eq!(name.other, "P");
        assert_eq!(name.to_name(), "000001.eml:2,FPST");
        let plain = MessageName::parse("000002.eml");
        assert_eq!((plain.base.as_str(), plain.flags.len()), ("000002.eml", 0));
        assert_eq!(MessageName { flags: vec![Flag::Seen], ..plain.clone() }.to_name(), "000002.eml:2,S");
        // No flags left: back to the delivered name.
        assert_eq!(MessageName { flags: vec![], ..MessageName::parse("x:2,S") }.to_name(), "x");
        assert_eq!(MessageName::parse("x:2,").to_name(), "x");
    }

    #[test]
    fn the_uid_list_reads_back_and_refuses_what_is_not_one() {
        let state = UidState {
            uid_validity: 1_764_901_234,
            uid_next: 9,
            entries: vec![
                UidEntry { uid: 3, size: 316, mtime_ns: 17, base: "000001.eml".into() },
                UidEntry { uid: 8, size: 1, mtime_ns: 0, base: "name with spaces".into() },
            ],
        };
        assert_eq!(UidState::parse(&state.to_text()), Ok(state.clone()));
        for broken in [
            "",
            "smtp-playground imap-uids 1\nuidvalidity 0\nuidnext 1\n",
            "smtp-playground imap-uids 1\nuidvalidity 5\nuidnext 3\n3 1 1 a\n",
            "smtp-playground imap-uids 1\nuidvalidity 5\nuidnext 9\n2 1 1 a\n2 1 1 b\n",
            "smtp-playground imap-uids 1\nuidvalidity 5\nuidnext 9\n2 1 1\n",
            "smtp-playground imap-uids 1\nuidvalidity 5\nuidnext 9\nx 1 1 a\n",
        ] {
            assert!(UidState::parse(broken).is_err(), "{broken:?}");
        }
    }

    /// RFC 9051 §2.3.1.1: UIDs ascend as messages arrive, never change while the message
    /// stays, and are never given again, even when a file name comes back.
    #[test]
    fn uids_ascend_stay_and_are_never_reused() {
        let mut state = UidState::fresh(1000, None);
        assert_eq!(state.uid_validity, 1000);
        assert!(state.reconcile(&[found("000002.eml", 5, 2), found("000001.eml:2,S", 5, 1)], 1000));
        let uids: Vec<(u32, &str)> = state.entries.iter().map(|e| (e.uid, e.base.as_str())).collect();
        assert_eq!(uids, [(1, "000001.eml"), (2, "000002.eml")]);
        // Nothing new: nothing changes; a flag (a new name for the same base) is no change.
        let again = [found("000001.eml", 5, 1), found("000002.eml:2,FS", 5, 2)];
        assert!(!state.reconcile(&again, 1000));
        // 000001 removed, 000003 arrives: UID 3.
        assert!(state.reconcile(&[found("000002.eml", 5, 2), found("000003.eml", 7, 3)], 1000));
        assert_eq!(state.entries.iter().map(|e| e.uid).collect::<Vec<_>>(), [2, 3]);
        // The name 000003.eml again, but another file (size or time): a new UID.
        assert!(state.reconcile(&[found("000002.eml", 5, 2), found("000003.eml", 7, 4)], 1000));
        assert_eq!(state.entries.iter().map(|e| e.uid).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(state.uid_next, 5);
        // UIDs used up: a new UIDVALIDITY, later than the old one, and UIDs from 1.
        state.uid_next = u32::MAX;
        assert!(state.reconcile(
            &[found("000002.eml", 5, 2), found("000003.eml", 7, 4), found("000009.eml", 1, 9)],
            900
        ));
        assert_eq!(state.uid_validity, 1001);
        assert_eq!(state.entries.iter().map(|e| e.uid).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn internal_dates_are_imap_date_times() {
        assert_eq!(internal_date(0).map(|d| d.to_string()), Some(" 1-Jan-1970 00:00:00 +0000".to_owned()));
        assert_eq!(
            internal_date(1_764_901_234).map(|d| d.to_string()),
            Some(" 5-Dec-2025 02:20:34 +0000".to_owned())
        );
    }

    fn system_flags() -> impl Strategy<Value = Vec<Flag>> {
        proptest::sample::subsequence(Flag::SYSTEM.to_vec(), 0..=5)
    }

    proptest! {
        /// Every parser has its serializer: a name made from flags reads back as them.
        #[test]
        fn flags_round_trip_through_names(flags in system_flags(), other in "[Pa-z]{0,3}", base in "[0-9]{6}\\.eml") {
            let mut sorted = flags.clone();
            sorted.sort();
            let mut letters: Vec<char> = other.chars().collect();
            letters.sort_unstable();
            letters.dedup();
            let name = MessageName { base: base.clone(), flags: sorted.clone(), other: letters.iter().collect() };
            let parsed = MessageName::parse(&name.to_name());
            prop_assert_eq!(&parsed.base, &base);
            prop_assert_eq!(&parsed.flags, &sorted);
            prop_assert_eq!(parsed.to_name(), name.to_name());
        }

        /// Any text as a UID list is read or refused, never a panic; what is read writes
        /// back the same.
        #[test]
        fn any_uid_list_text_is_safe(text in "(smtp-playground imap-uids 1\n)?(uidvalidity [0-9]{1,11}\n)?(uidnext [0-9]{1,11}\n)?([0-9 a-z.]{0,20}\n){0,4}") {
            if let Ok(state) = UidState::parse(&text) {
                prop_assert_eq!(UidState::parse(&state.to_text()), Ok(state));
            }
        }

        /// Whatever files come and go, UIDs stay ascending and below UIDNEXT, and a kept
        /// file keeps its UID.
        #[test]
        fn reconciling_keeps_uids_ascending(rounds in proptest::collection::vec(proptest::collection::btree_set(0u64..12, 0..8), 1..6)) {
            let mut state = UidState::fresh(1, None);
            let mut given: BTreeMap<String, u32> = BTreeMap::new();
            for round in rounds {
                let files: Vec<Found> = round.iter().map(|n| found(&format!("{n:06}.eml"), 1, *n)).collect();
                state.reconcile(&files, 1);
                let uids: Vec<u32> = state.entries.iter().map(|e| e.uid).collect();
                prop_assert!(uids.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(uids.iter().all(|u| *u < state.uid_next));
                for e in &state.entries {
                    if let Some(before) = given.get(&e.base) {
                        prop_assert_eq!(*before, e.uid);
                    }
                }
                given = state.entries.iter().map(|e| (e.base.clone(), e.uid)).collect();
            }
        }
    }
}
