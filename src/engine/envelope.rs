//! The envelope: who sends and who receives, as MAIL and RCPT carry it, apart from the
//! message's own headers (RFC 5321 §2.3.1, §3.3).

use crate::proto::{ForwardPath, MailParameters, RcptParameters, ReversePath};

/// One recipient as RCPT named it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recipient {
    pub path: ForwardPath,
    #[serde(default)]
    pub params: RcptParameters,
}

impl Recipient {
    pub fn new(path: ForwardPath) -> Self {
        Self { path, params: RcptParameters::default() }
    }
}

/// The envelope of one mail transaction.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    pub reverse_path: ReversePath,
    #[serde(default)]
    pub mail_params: MailParameters,
    pub recipients: Vec<Recipient>,
}

impl Envelope {
    pub fn new(reverse_path: ReversePath, recipients: impl IntoIterator<Item = ForwardPath>) -> Self {
        Self {
            reverse_path,
            mail_params: MailParameters::default(),
            recipients: recipients.into_iter().map(Recipient::new).collect(),
        }
    }

    /// Whether any address needs SMTPUTF8 (RFC 6531 §3.2).
    pub fn needs_smtputf8(&self) -> bool {
        !self.reverse_path.is_ascii() || self.recipients.iter().any(|r| !r.path.is_ascii())
    }
}
