//! Where `serve` stores what it accepted. One copy per message, however many recipients:
//!
//! - `<dir>/.messages/NNNNNN.eml`: the message, with the trace fields final delivery adds
//!   (RFC 5321 §4.4);
//! - `<dir>/<mailbox>/NNNNNN.eml`: a hard link to that file for each accepted recipient
//!   (its own number in each mailbox), so a mailbox lists its messages without a copy of
//!   the bytes, and the link count says how many recipients a message has.
//!
//! A message is written under `<dir>/.tmp/`, synced, and only then linked to its final
//! names, and the folders are synced: a final name shows a complete message or nothing,
//! whatever happens to the process or the machine. Mailbox names never start with `.`
//! ([`path_component`]), so `.messages` and `.tmp` cannot be taken by a mailbox.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::ReceivedMessage;
use crate::message::{TcpInfo, return_path_field};
use crate::sim::received_for;
use crate::sim::world::mailbox_key;

/// The longest directory name a mailbox gets (file systems allow 255 octets).
const MAX_COMPONENT_OCTETS: usize = 200;
/// The folder of the one stored copy of each message.
pub const MESSAGES: &str = ".messages";
/// The folder where a message is written before it gets a final name.
pub const TMP: &str = ".tmp";

/// A directory of mailboxes, shared by every session.
#[derive(Debug)]
pub struct Maildir {
    root: PathBuf,
    /// The next file number to try in each folder (`.messages` and the mailboxes).
    next: Mutex<BTreeMap<PathBuf, u64>>,
    /// Names under `.tmp` differ between the sessions of this process.
    tmp_counter: AtomicU64,
    /// Counts changes to the mailboxes (deliveries here, flag changes and expunges by IMAP
    /// sessions), so an IMAP session in IDLE knows when to look again without reading the
    /// folder on every tick.
    changes: AtomicU64,
}

/// One stored copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The mailbox key (`bob@example.net`), as the simulated world names mailboxes.
    pub mailbox: String,
    pub path: PathBuf,
}

impl Maildir {
    /// Uses (and creates) `root`.
    pub fn create(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join(MESSAGES))?;
        std::fs::create_dir_all(root.join(TMP))?;
        Ok(Self {
            root: root.to_owned(),
            next: Mutex::new(BTreeMap::new()),
            tmp_counter: AtomicU64::new(0),
            changes: AtomicU64::new(0),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many changes the mailboxes have seen since start ([`Maildir::changed`]).
    pub fn generation(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    /// Records that a mailbox changed (a message arrived, was flagged or removed).
    pub fn changed(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// Stores `message` once and links it into each recipient's mailbox, as the simulated
    /// world delivers it: `Return-Path:`, then this server's `Received:`, then the data
    /// exactly as received. `client_ip` is the peer's address, `by` this server's name,
    /// `unix_seconds` the time of acceptance. All or nothing: on an error no final name is
    /// left behind, so the server can answer 451 and the client try again.
    pub fn deliver(
        &self,
        message: &ReceivedMessage,
        client_ip: IpAddr,
        by: &str,
        unix_seconds: i64,
    ) -> Result<Vec<Stored>, String> {
        let tcp_info = TcpInfo { reverse_dns: None, ip: client_ip };
        let received = received_for(message, Some(tcp_info), by, unix_seconds).to_field();
        let mut data = return_path_field(&message.envelope.reverse_path.to_string()).into_bytes();
        data.extend_from_slice(received.as_bytes());
        data.extend_from_slice(&message.data);
        let tmp = self.write_tmp(&data)?;
        let mut linked = Vec::new();
        let result = self.link_all(&tmp, message, &mut linked);
        if result.is_err() {
            for path in &linked {
                let _ = std::fs::remove_file(path);
            }
        }
        let _ = std::fs::remove_file(&tmp);
        if result.is_ok() {
            self.changed();
        }
        result
    }

    /// 1. The data under a fresh name in `.tmp`, on the disk (`sync_all`) before any final
    ///    name points at it.
    fn write_tmp(&self, data: &[u8]) -> Result<PathBuf, String> {
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        let path = self.root.join(TMP).join(format!("{}-{n}.eml", std::process::id()));
        let error = |e: std::io::Error| format!("{}: {e}", path.display());
        let mut file = OpenOptions::new().write(true).create_new(true).open(&path).map_err(error)?;
        let written = file.write_all(data).and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = std::fs::remove_file(&path);
            return Err(error(e));
        }
        Ok(path)
    }

    /// 2. The final names: `.messages/NNNNNN.eml`, then one per recipient; 3. the folders
    ///    synced, so the names survive a crash. Every name made is pushed to `linked`.
    fn link_all(
        &self,
        tmp: &Path,
        message: &ReceivedMessage,
        linked: &mut Vec<PathBuf>,
    ) -> Result<Vec<Stored>, String> {
        let messages = self.root.join(MESSAGES);
        linked.push(self.link_next(tmp, &messages)?);
        let mut folders = vec![messages];
        let mut stored = Vec::new();
        for recipient in &message.envelope.recipients {
            let mailbox = mailbox_key(&recipient.path);
            let dir = self.root.join(path_component(&mailbox));
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let path = self.link_next(tmp, &dir)?;
            linked.push(path.clone());
            stored.push(Stored { mailbox, path });
            if !folders.contains(&dir) {
                folders.push(dir);
            }
        }
        for folder in &folders {
            sync_dir(folder)?;
        }
        Ok(stored)
    }

    /// Links `tmp` to the next free `NNNNNN.eml` of `dir`. A link is made only if the name
    /// did not exist, so two servers sharing a directory, or a directory kept from an
    /// earlier run, never overwrite a message. Numbering starts past the highest number in
    /// the folder, in any form: IMAP renames `000001.eml` to `000001.eml:2,S` when it is
    /// seen (maildir info, [`super::imap_store`]), and that number stays taken.
    fn link_next(&self, tmp: &Path, dir: &Path) -> Result<PathBuf, String> {
        let mut next = self.next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let counter = next.entry(dir.to_owned()).or_insert_with(|| highest_number(dir).saturating_add(1));
        loop {
            let path = dir.join(format!("{:06}.eml", *counter));
            *counter += 1;
            match std::fs::hard_link(tmp, &path) {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
    }
}

/// The highest `NNNNNN` of the folder's `NNNNNN.eml` names, with or without maildir info
/// after them; 0 if none.
fn highest_number(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.flatten().filter_map(|entry| file_number(&entry.file_name().to_string_lossy())).max().unwrap_or(0)
}

/// `42` for `000042.eml` or `000042.eml:2,S`; `None` for other names.
pub fn file_number(name: &str) -> Option<u64> {
    let digits = name.len() - name.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (number, rest) = name.split_at(digits);
    let rest = rest.strip_prefix(".eml")?;
    if !(rest.is_empty() || rest.starts_with(':')) {
        return None;
    }
    number.parse().ok()
}

/// Makes a folder's new names durable (POSIX: a file's `fsync` does not cover its name).
pub fn sync_dir(dir: &Path) -> Result<(), String> {
    if cfg!(unix) {
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(())
}

/// A mailbox key made safe as one directory name: no separators, no `.`/`..`, no control
/// characters, not empty, not too long. A local part may be any quoted string (RFC 5321
/// §4.1.2), `"../../etc"` included; it must not leave the mail directory.
pub fn path_component(mailbox: &str) -> String {
    let mut out = String::with_capacity(mailbox.len());
    for c in mailbox.chars() {
        let safe = c.is_alphanumeric() || matches!(c, '@' | '.' | '-' | '_' | '+' | '=');
        if out.len() + c.len_utf8() > MAX_COMPONENT_OCTETS {
            break;
        }
        out.push(if safe { c } else { '_' });
    }
    if out.starts_with('.') || out.is_empty() {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Envelope, SessionInfo};

    #[test]
    fn components_never_escape_the_directory() {
        assert_eq!(path_component("bob@example.net"), "bob@example.net");
        assert_eq!(path_component("jürgen@xn--bcher-kva.example"), "jürgen@xn--bcher-kva.example");
        assert_eq!(path_component("../x@example.net"), "_.._x@example.net");
        assert_eq!(path_component(".."), "_..");
        assert_eq!(path_component(""), "_");
        assert_eq!(path_component("a/b\\c\0d\r\n@x"), "a_b_c_d__@x");
        assert!(path_component(&"x".repeat(1000)).len() <= MAX_COMPONENT_OCTETS);
        for hostile in ["..", "../..", "/etc/passwd", "a/../../b", "\u{0}"] {
            let c = path_component(hostile);
            assert!(!c.contains('/') && !c.contains('\\') && c != ".." && c != "." && !c.starts_with('.'));
        }
    }

    #[test]
    fn each_recipient_gets_a_file_with_trace_fields_on_top() {
        let root = std::env::temp_dir().join(format!("smtp-playground-maildir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let maildir = Maildir::create(&root).expect("create");
        let envelope = Envelope::new(
            "<alice@example.com>".parse().expect("path"),
            ["<bob@example.net>".parse().expect("path"), "<\"../x\"@example.net>".parse().expect("path")],
        );
        let message = ReceivedMessage {
            queue_id: "0123456789".into(),
            envelope,
            data: b"Subject: hi\r\n\r\n.leading dot\r\n".to_vec(),
            session: SessionInfo {
                helo: "client.example.com".parse().ok(),
                esmtp: true,
                ..SessionInfo::default()
            },
        };
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        let stored: Vec<Stored> = maildir.deliver(&message, ip, "mx.example.net", 0).expect("ok");
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].path, root.join("bob@example.net").join("000001.eml"));
        assert!(stored[1].path.starts_with(&root), "{:?}", stored[1].path);
        let text = std::fs::read_to_string(&stored[0].path).expect("read");
        assert_eq!(
            text,
            "Return-Path: <alice@example.com>\r\n\
             Received: from client.example.com ([127.0.0.1]) by mx.example.net with ESMTP\r\n \
             id 0123456789; Thu, 1 Jan 1970 00:00:00 +0000\r\n\
             Subject: hi\r\n\r\n.leading dot\r\n"
        );
        // One copy: both mailboxes link to the file in .messages.
        let copy = root.join(MESSAGES).join("000001.eml");
        assert_eq!(std::fs::read_to_string(&stored[1].path).expect("read"), text);
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let meta = |p: &Path| std::fs::metadata(p).expect("metadata");
            assert_eq!(meta(&copy).ino(), meta(&stored[0].path).ino());
            assert_eq!(meta(&copy).ino(), meta(&stored[1].path).ino());
            assert_eq!(meta(&copy).nlink(), 3);
        }
        // A second delivery takes the next number; nothing is overwritten.
        let again = maildir.deliver(&message, ip, "mx.example.net", 0).expect("ok");
        assert_eq!(again[0].path, root.join("bob@example.net").join("000002.eml"));
        assert!(root.join(MESSAGES).join("000002.eml").exists());
        assert_eq!(std::fs::read_dir(root.join(TMP)).expect("tmp").count(), 0, "nothing left in .tmp");
        let _ = std::fs::remove_dir_all(&root);
    }

    /// A number stays taken when IMAP renames its file with maildir info, and numbering goes
    /// on past the highest number a folder kept from an earlier run holds.
    #[test]
    fn numbers_skip_names_with_flags_and_earlier_runs() {
        assert_eq!(file_number("000042.eml"), Some(42));
        assert_eq!(file_number("000042.eml:2,FS"), Some(42));
        for other in ["x.eml", "000042.emlx", "000042.txt", ".imap-uids", "42"] {
            assert_eq!(file_number(other), None, "{other}");
        }
        let root =
            std::env::temp_dir().join(format!("smtp-playground-maildir-numbers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let bob = root.join("bob@example.net");
        std::fs::create_dir_all(&bob).expect("mailbox");
        std::fs::write(bob.join("000001.eml:2,S"), "seen").expect("seen");
        std::fs::write(bob.join("000003.eml"), "kept").expect("kept");
        let maildir = Maildir::create(&root).expect("create");
        let message = ReceivedMessage {
            queue_id: "0123456789".into(),
            envelope: Envelope::new(
                "<alice@example.com>".parse().expect("path"),
                ["<bob@example.net>".parse().expect("path")],
            ),
            data: b"Subject: hi\r\n\r\nhello\r\n".to_vec(),
            session: SessionInfo::default(),
        };
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        let before = maildir.generation();
        let stored = maildir.deliver(&message, ip, "mx.example.net", 0).expect("ok");
        assert_eq!(stored[0].path, bob.join("000004.eml"));
        assert_eq!(std::fs::read_to_string(bob.join("000001.eml:2,S")).expect("kept"), "seen");
        assert!(maildir.generation() > before, "a delivery counts as a change");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_failed_delivery_leaves_no_final_name() {
        let root =
            std::env::temp_dir().join(format!("smtp-playground-maildir-blocked-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let maildir = Maildir::create(&root).expect("create");
        // A plain file where carol's mailbox folder should be.
        std::fs::write(root.join("carol@example.net"), "not a folder").expect("block");
        let envelope = Envelope::new(
            "<alice@example.com>".parse().expect("path"),
            ["<bob@example.net>".parse().expect("path"), "<carol@example.net>".parse().expect("path")],
        );
        let message = ReceivedMessage {
            queue_id: "0123456789".into(),
            envelope,
            data: b"Subject: hi\r\n\r\nhello\r\n".to_vec(),
            session: SessionInfo::default(),
        };
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        let error = maildir.deliver(&message, ip, "mx.example.net", 0).expect_err("blocked");
        assert!(error.contains("carol@example.net"), "{error}");
        // Bob's link and the copy in .messages were taken back; .tmp is empty.
        for folder in [MESSAGES, TMP, "bob@example.net"] {
            let names: Vec<_> =
                std::fs::read_dir(root.join(folder)).map(|d| d.flatten().collect()).unwrap_or_default();
            assert!(names.is_empty(), "{folder}: {names:?}");
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}
