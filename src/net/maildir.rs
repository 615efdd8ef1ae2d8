//! Where `serve` stores what it accepted: `<dir>/<mailbox>/<NNNNNN>.eml`, one file per
//! accepted recipient, each with the trace fields final delivery adds (RFC 5321 §4.4).

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::engine::ReceivedMessage;
use crate::message::{TcpInfo, return_path_field};
use crate::sim::received_for;
use crate::sim::world::mailbox_key;

/// The longest directory name a mailbox gets (file systems allow 255 octets).
const MAX_COMPONENT_OCTETS: usize = 200;

/// A directory of mailboxes, shared by every session.
#[derive(Debug)]
pub struct Maildir {
    root: PathBuf,
    /// The next file number to try in each mailbox directory.
    next: Mutex<BTreeMap<String, u64>>,
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
        std::fs::create_dir_all(root)?;
        Ok(Self { root: root.to_owned(), next: Mutex::new(BTreeMap::new()) })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `message` once per recipient, as the simulated world delivers it: `Return-Path:`,
    /// then this server's `Received:`, then the data exactly as received. `client_ip` is the
    /// peer's address, `by` this server's name, `unix_seconds` the time of acceptance.
    pub fn deliver(
        &self,
        message: &ReceivedMessage,
        client_ip: IpAddr,
        by: &str,
        unix_seconds: i64,
    ) -> Vec<Result<Stored, String>> {
        let tcp_info = TcpInfo { reverse_dns: None, ip: client_ip };
        let received = received_for(message, Some(tcp_info), by, unix_seconds).to_field();
        let mut data = return_path_field(&message.envelope.reverse_path.to_string()).into_bytes();
        data.extend_from_slice(received.as_bytes());
        data.extend_from_slice(&message.data);
        message
            .envelope
            .recipients
            .iter()
            .map(|recipient| {
                let mailbox = mailbox_key(&recipient.path);
                self.store(&mailbox, &data).map(|path| Stored { mailbox: mailbox.clone(), path })
            })
            .collect()
    }

    /// Writes `data` to the next free `NNNNNN.eml` of the mailbox's directory. A file is
    /// created only if it did not exist (`create_new`), so two servers sharing a directory,
    /// or a directory kept from an earlier run, never overwrite a message.
    fn store(&self, mailbox: &str, data: &[u8]) -> Result<PathBuf, String> {
        let dir = self.root.join(path_component(mailbox));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut next = self.next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let counter = next.entry(mailbox.to_owned()).or_insert(1);
        loop {
            let path = dir.join(format!("{:06}.eml", *counter));
            *counter += 1;
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    file.write_all(data).map_err(|e| format!("{}: {e}", path.display()))?;
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
    }
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
        let stored: Vec<Stored> = maildir
            .deliver(&message, ip, "mx.example.net", 0)
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("ok");
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
        // A second delivery takes the next number; nothing is overwritten.
        let again = maildir.deliver(&message, ip, "mx.example.net", 0);
        assert_eq!(
            again[0].as_ref().map(|s| s.path.clone()),
            Ok(root.join("bob@example.net").join("000002.eml"))
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
