//! Keys: the signer's private key, and the public key record a verifier finds in DNS at
//! `selector._domainkey.domain` (RFC 6376 §3.6.1, RFC 8463 §4).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};
use sha2::Sha256;

use super::DkimError;
use super::signature::{Algorithm, base64_value};
use super::tag_list::{self, colon_list};
use crate::dns::Record;

/// A signer's private key.
#[derive(Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// An RSA key, for `a=rsa-sha256`.
    Rsa(RsaKey),
    /// An Ed25519 key, for `a=ed25519-sha256` (RFC 8463).
    Ed25519(Ed25519Key),
}

/// An RSA private key (at least 1024 bits, RFC 8301 §3.2).
#[derive(Clone, PartialEq, Eq)]
pub struct RsaKey(RsaPrivateKey);

/// An Ed25519 private key: its 32-byte seed (RFC 8032 §5.1.5) with the public key derived
/// from it, or `None` for the all-zero seed, which ed25519-compact refuses as a key that was
/// never set: signing with it, or publishing it, is then a [`DkimError::Key`].
#[derive(Clone, PartialEq, Eq)]
pub struct Ed25519Key(Option<ed25519_compact::KeyPair>);

/// Why an Ed25519 key of [`Ed25519Key`] is `None`.
const ZERO_SEED: &str = "an all-zero Ed25519 seed is not a key; use 32 random octets (RFC 8032 §5.1.5)";

impl Ed25519Key {
    fn pair(&self) -> Result<&ed25519_compact::KeyPair, DkimError> {
        self.0.as_ref().ok_or_else(|| DkimError::Key(ZERO_SEED.into()))
    }
}

impl fmt::Debug for SigningKey {
    /// Never prints key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningKey::Rsa(key) => write!(f, "SigningKey::Rsa({} bits)", key.0.size() * 8),
            SigningKey::Ed25519(_) => f.write_str("SigningKey::Ed25519(..)"),
        }
    }
}

impl SigningKey {
    /// Reads an RSA key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE
    /// KEY`, as RFC 8463 Appendix A.1 gives it). Surrounding white space is ignored.
    pub fn rsa_from_pem(pem: &str) -> Result<Self, DkimError> {
        let pem = pem.trim();
        let key = if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| DkimError::Key(format!("PKCS#1 PEM: {e}")))?
        } else {
            RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| DkimError::Key(format!("PKCS#8 PEM: {e}")))?
        };
        Ok(SigningKey::Rsa(RsaKey(key)))
    }

    /// Reads an RSA key from DER: PKCS#8 `PrivateKeyInfo` or PKCS#1 `RSAPrivateKey`.
    pub fn rsa_from_der(der: &[u8]) -> Result<Self, DkimError> {
        let key = RsaPrivateKey::from_pkcs8_der(der)
            .or_else(|_| RsaPrivateKey::from_pkcs1_der(der))
            .map_err(|e| DkimError::Key(format!("neither PKCS#8 nor PKCS#1 DER: {e}")))?;
        Ok(SigningKey::Rsa(RsaKey(key)))
    }

    /// An Ed25519 key from its 32-byte seed (the "secret key" of RFC 8032 §5.1.5). An
    /// all-zero seed gives a key that cannot sign (see [`Ed25519Key`]).
    pub fn ed25519_from_seed(seed: [u8; 32]) -> Self {
        let pair = ed25519_compact::KeyPair::try_from_seed(ed25519_compact::Seed::new(seed)).ok();
        SigningKey::Ed25519(Ed25519Key(pair))
    }

    /// An Ed25519 key from its seed in base64, as RFC 8463 Appendix A.1 gives it.
    pub fn ed25519_from_base64(seed: &str) -> Result<Self, DkimError> {
        let bytes = base64_value("seed", seed).map_err(DkimError::Key)?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| DkimError::Key(format!("an Ed25519 seed is 32 octets, not {}", b.len())))?;
        Ok(Self::ed25519_from_seed(seed))
    }

    /// The `a=` this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            SigningKey::Rsa(_) => Algorithm::RsaSha256,
            SigningKey::Ed25519(_) => Algorithm::Ed25519Sha256,
        }
    }

    /// The public key as `p=` holds it: an RSA SubjectPublicKeyInfo in DER (what RFC 6376's
    /// examples and every deployed verifier use), or the 32 raw octets of an Ed25519 key
    /// (RFC 8463 §4.2).
    fn public_key_bytes(&self) -> Result<Vec<u8>, DkimError> {
        match self {
            SigningKey::Rsa(key) => key
                .0
                .to_public_key()
                .to_public_key_der()
                .map(|der| der.to_vec())
                .map_err(|e| DkimError::Key(format!("cannot encode the public key: {e}"))),
            SigningKey::Ed25519(key) => Ok(key.pair()?.pk.to_vec()),
        }
    }

    /// The key record to publish at `selector._domainkey.domain`, e.g.
    /// `v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=` (§3.6.1).
    pub fn public_key_record(&self) -> String {
        // Encoding a key we hold cannot fail; an empty p= (a revoked key) would be the
        // honest answer if it ever did.
        let p = self.public_key_bytes().map(|bytes| STANDARD.encode(bytes)).unwrap_or_default();
        format!("v=DKIM1; k={}; p={p}", self.algorithm().key_type())
    }

    /// [`Self::public_key_record`] as a TXT record, cut into character-strings of at most
    /// 255 octets (RFC 1035 §3.3.14); verifiers join them (RFC 6376 §3.6.2.2).
    pub fn public_key_txt(&self) -> Record {
        let record = self.public_key_record();
        // The record is ASCII, so every 255-octet cut is a char boundary.
        let parts = record.as_bytes().chunks(255).map(|chunk| String::from_utf8_lossy(chunk).into_owned());
        Record::Txt(parts.collect())
    }

    /// Signs the SHA-256 `hash` of the header data (§3.7): RSASSA-PKCS1-v1_5 with SHA-256's
    /// DigestInfo (RFC 8017 §8.2.1), or PureEdDSA over the 32 hash octets (RFC 8463 §3).
    /// Both are deterministic: Ed25519 without noise is RFC 8032 §5.1.6, whose nonce is
    /// SHA-512 of the key's prefix and the message.
    pub(crate) fn sign_hash(&self, hash: &[u8; 32]) -> Result<Vec<u8>, DkimError> {
        match self {
            SigningKey::Rsa(key) => key
                .0
                .sign(Pkcs1v15Sign::new::<Sha256>(), hash)
                .map_err(|e| DkimError::Crypto(format!("RSA signing failed: {e}"))),
            SigningKey::Ed25519(key) => Ok(key.pair()?.sk.sign(hash, None).to_vec()),
        }
    }
}

/// A public key read from a key record's `p=`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    Rsa(RsaPublicKey),
    /// A point on the curve, canonically encoded (RFC 8032 §5.1.3), possibly of small order:
    /// such a weak key is read, and every signature under it fails.
    Ed25519(ed25519_compact::PublicKey),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl PublicKey {
    /// Reads `p=` for key type `k=` (§3.6.1): RSA as SubjectPublicKeyInfo or, as some old
    /// records have it, a bare PKCS#1 RSAPublicKey; Ed25519 as 32 raw octets (RFC 8463 §4.2).
    fn from_p(key_type: &str, p: &[u8]) -> Result<Self, String> {
        match key_type {
            "rsa" => RsaPublicKey::from_public_key_der(p)
                .map_err(|e| e.to_string())
                .or_else(|spki_error| {
                    RsaPublicKey::from_pkcs1_der(p).map_err(|_| {
                        format!("p= is not an RSA public key of 1024 to 8192 bits ({spki_error})")
                    })
                })
                .map(PublicKey::Rsa),
            "ed25519" => {
                let bytes: [u8; 32] =
                    p.try_into().map_err(|_| format!("an Ed25519 p= is 32 octets, not {}", p.len()))?;
                let key = ed25519_compact::PublicKey::new(bytes);
                match key.validate() {
                    Ok(()) | Err(ed25519_compact::Error::WeakPublicKey) => Ok(PublicKey::Ed25519(key)),
                    Err(_) => Err("p= is not an Ed25519 point".to_owned()),
                }
            }
            other => Err(format!("unknown key type k={other}")),
        }
    }

    /// E.g. "RSA, 2048 bits".
    pub(crate) fn describe(&self) -> String {
        match self {
            PublicKey::Rsa(key) => format!("RSA, {} bits", key.size() * 8),
            PublicKey::Ed25519(_) => "Ed25519, 256 bits".to_owned(),
        }
    }

    /// Checks `signature` over the SHA-256 `hash` of the header data. Ed25519 is checked as
    /// RFC 8032 §5.1.7 with the strict rules of ed25519-compact: `S` must be below the group
    /// order, and neither the key nor `R` may be a point of small order.
    pub(crate) fn verify_hash(&self, hash: &[u8; 32], signature: &[u8]) -> bool {
        match self {
            PublicKey::Rsa(key) => key.verify(Pkcs1v15Sign::new::<Sha256>(), hash, signature).is_ok(),
            PublicKey::Ed25519(key) => ed25519_compact::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(hash, &signature).is_ok()),
        }
    }
}

/// Why a key record cannot be used; PERMFAIL in RFC 6376 §6.1.2, `permerror` in RFC 8601
/// (except a revoked key, which §6.1.2 step 7 makes a failed signature check).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyError {
    /// Not a tag list, `v=` is not `DKIM1` or not first, or `p=` is missing or not base64
    /// (§6.1.2 step 5: "key syntax error").
    Syntax(String),
    /// The key's `h=` does not allow SHA-256 (step 6: "inappropriate hash algorithm").
    InappropriateHash(String),
    /// `k=` does not match `a=`, or `p=` is no such key (step 8: "inappropriate key algorithm").
    InappropriateKeyAlgorithm(String),
    /// `s=` names services, none of them email (§3.6.1).
    NotForEmail(String),
    /// `t=s` forbids an `i=` in a subdomain of `d=` (§3.6.1).
    StrictIdentity { identity: String, domain: String },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(why) => write!(f, "key syntax error: {why}"),
            Self::InappropriateHash(h) => {
                write!(f, "inappropriate hash algorithm: the key allows only h={h}")
            }
            Self::InappropriateKeyAlgorithm(why) => write!(f, "inappropriate key algorithm: {why}"),
            Self::NotForEmail(s) => write!(f, "key is not for email (s={s})"),
            Self::StrictIdentity { identity, domain } => {
                write!(f, "key has t=s, so i={identity} must be in d={domain} itself, not a subdomain")
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// A usable key record, or a revoked one (`p=` empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyRecord {
    Key { key: Box<PublicKey>, testing: bool },
    Revoked,
}

/// Reads a key record (§3.6.1) for a signature with algorithm `algorithm`, signing identity
/// `identity` and domain `domain`, applying the checks of §6.1.2 steps 5 to 8.
pub(crate) fn key_record(
    text: &str,
    algorithm: Algorithm,
    identity: &str,
    domain: &str,
) -> Result<KeyRecord, KeyError> {
    let tags = tag_list::tag_list(text).map_err(|e| KeyError::Syntax(e.to_string()))?;
    let get = |name| tag_list::get(&tags, name);
    // 5. v=, if present, is first and is "DKIM1".
    if let Some(v) = get("v")
        && (tags.first().map(|tag| tag.name) != Some("v") || v != "DKIM1")
    {
        return Err(KeyError::Syntax(format!("v={v} must come first and be DKIM1")));
    }
    // 6. h=, if present, must allow the signature's hash (always SHA-256 here).
    if let Some(h) = get("h")
        && !colon_list(h).any(|hash| hash == "sha256")
    {
        return Err(KeyError::InappropriateHash(h.to_owned()));
    }
    let key_type = get("k").unwrap_or("rsa");
    if key_type != algorithm.key_type() {
        return Err(KeyError::InappropriateKeyAlgorithm(format!(
            "the key is k={key_type}, the signature a={algorithm}"
        )));
    }
    if let Some(services) = get("s")
        && !colon_list(services).any(|s| s == "*" || s == "email")
    {
        return Err(KeyError::NotForEmail(services.to_owned()));
    }
    let flags: Vec<&str> = get("t").map(|t| colon_list(t).collect()).unwrap_or_default();
    if flags.contains(&"s") {
        let identity_domain = identity.rsplit_once('@').map_or(identity, |(_, d)| d);
        if !identity_domain.eq_ignore_ascii_case(domain) {
            return Err(KeyError::StrictIdentity {
                identity: identity.to_owned(),
                domain: domain.to_owned(),
            });
        }
    }
    let p = get("p").ok_or_else(|| KeyError::Syntax("p= is missing".into()))?;
    // 7. An empty p= is a revoked key.
    if p.is_empty() {
        return Ok(KeyRecord::Revoked);
    }
    let bytes = base64_value("p", p).map_err(KeyError::Syntax)?;
    // 8. The key must suit the algorithm.
    let key = PublicKey::from_p(key_type, &bytes).map_err(KeyError::InappropriateKeyAlgorithm)?;
    Ok(KeyRecord::Key { key: Box::new(key), testing: flags.contains(&"y") })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    const ED25519_P: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    fn record(text: &str, algorithm: Algorithm) -> Result<KeyRecord, KeyError> {
        key_record(text, algorithm, "@example.com", "example.com")
    }

    #[test]
    fn ed25519_public_key_record_matches_rfc_8463() {
        let key = SigningKey::ed25519_from_base64(ED25519_SEED).expect("valid seed");
        assert_eq!(key.public_key_record(), format!("v=DKIM1; k=ed25519; p={ED25519_P}"));
        assert_eq!(key.public_key_txt(), Record::Txt(vec![key.public_key_record()]));
        assert_eq!(format!("{key:?}"), "SigningKey::Ed25519(..)");
        assert!(SigningKey::ed25519_from_base64("AAAA").is_err());
        assert!(SigningKey::ed25519_from_base64("not base64!").is_err());
    }

    #[test]
    fn key_record_checks() {
        let ed = |extra: &str| format!("v=DKIM1; k=ed25519; p={ED25519_P}{extra}");
        assert!(matches!(
            record(&ed(""), Algorithm::Ed25519Sha256),
            Ok(KeyRecord::Key { key, testing: false }) if matches!(*key, PublicKey::Ed25519(_))
        ));
        assert!(matches!(
            record(&ed("; t=y"), Algorithm::Ed25519Sha256),
            Ok(KeyRecord::Key { testing: true, .. })
        ));
        assert_eq!(record("v=DKIM1; p=", Algorithm::RsaSha256), Ok(KeyRecord::Revoked));
        assert!(matches!(record(&ed(""), Algorithm::RsaSha256), Err(KeyError::InappropriateKeyAlgorithm(_))));
        assert!(matches!(
            record(&ed("; h=sha1"), Algorithm::Ed25519Sha256),
            Err(KeyError::InappropriateHash(_))
        ));
        assert!(matches!(record(&ed("; s=tlsrpt"), Algorithm::Ed25519Sha256), Err(KeyError::NotForEmail(_))));
        assert!(record(&ed("; s=tlsrpt:email; h=sha1:sha256"), Algorithm::Ed25519Sha256).is_ok());
        for bad in [
            "v=DKIM2; p=",
            "k=rsa; v=DKIM1; p=",
            "v=DKIM1; k=rsa",
            "v=DKIM1; p=!!",
            "v=DKIM1 p=x",
            "",
            "\u{0}garbage",
        ] {
            assert!(matches!(record(bad, Algorithm::RsaSha256), Err(KeyError::Syntax(_))), "{bad:?}");
        }
        assert!(matches!(
            record("v=DKIM1; k=ed25519; p=AAAA", Algorithm::Ed25519Sha256),
            Err(KeyError::InappropriateKeyAlgorithm(_))
        ));
        assert!(matches!(
            record("v=DKIM1; p=AAAA", Algorithm::RsaSha256),
            Err(KeyError::InappropriateKeyAlgorithm(_))
        ));
    }

    #[test]
    fn all_zero_seed_cannot_sign() {
        let key = SigningKey::ed25519_from_seed([0; 32]);
        assert_eq!(key.sign_hash(&[7; 32]), Err(DkimError::Key(ZERO_SEED.into())));
        // Nothing to publish: the record says the key is revoked.
        assert_eq!(key.public_key_record(), "v=DKIM1; k=ed25519; p=");
        assert!(SigningKey::ed25519_from_seed([1; 32]).sign_hash(&[7; 32]).is_ok());
    }

    #[test]
    fn ed25519_key_records_must_be_points() {
        let p = |bytes: [u8; 32]| format!("v=DKIM1; k=ed25519; p={}", STANDARD.encode(bytes));
        // y = 2^255 - 19 is not a canonical field element (RFC 8032 §5.1.3).
        let mut non_canonical = [0xff; 32];
        non_canonical[0] = 0xed;
        non_canonical[31] = 0x7f;
        assert_eq!(
            record(&p(non_canonical), Algorithm::Ed25519Sha256),
            Err(KeyError::InappropriateKeyAlgorithm("p= is not an Ed25519 point".into()))
        );
        // The neutral point (x = 0, y = 1) is a point of small order: the record is read,
        // and no signature verifies under it, not even an all-zero one.
        let mut neutral = [0; 32];
        neutral[0] = 1;
        let Ok(KeyRecord::Key { key, .. }) = record(&p(neutral), Algorithm::Ed25519Sha256) else {
            panic!("a weak key is still a key record");
        };
        assert!(!key.verify_hash(&[7; 32], &[0; 64]));
        let mut identity_signature = [0; 64];
        identity_signature[0] = 1;
        assert!(!key.verify_hash(&[7; 32], &identity_signature));
    }

    #[test]
    fn ed25519_signatures_verify_under_their_key_only() {
        let key = SigningKey::ed25519_from_seed([3; 32]);
        let signature = key.sign_hash(&[9; 32]).expect("signs");
        let public = |key: &SigningKey| {
            let bytes = key.public_key_bytes().expect("public key");
            PublicKey::from_p("ed25519", &bytes).expect("a point")
        };
        assert!(public(&key).verify_hash(&[9; 32], &signature));
        assert!(!public(&key).verify_hash(&[8; 32], &signature));
        assert!(!public(&SigningKey::ed25519_from_seed([4; 32])).verify_hash(&[9; 32], &signature));
        assert!(!public(&key).verify_hash(&[9; 32], signature.get(..63).unwrap_or_default()));
    }

    #[test]
    fn strict_flag_rejects_subdomain_identities() {
        let text = format!("v=DKIM1; k=ed25519; t=s; p={ED25519_P}");
        let at = |identity| key_record(&text, Algorithm::Ed25519Sha256, identity, "example.com");
        assert!(at("joe@example.com").is_ok());
        assert!(matches!(at("joe@mail.example.com"), Err(KeyError::StrictIdentity { .. })));
    }
}
