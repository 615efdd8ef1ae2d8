//! TLS for STARTTLS on real sockets (RFC 3207), with rustls and its `ring` provider.
//!
//! The server makes a self-signed certificate at start-up (rcgen), so no private key ever
//! ships in the repository; a client verifies it against that PEM file (`--tls-ca`), or
//! accepts any certificate when told to (`--insecure`, for teaching only). No public CA
//! roots are used: this bridge talks to loopback test servers, not the Internet.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

/// The crypto back end: `ring` (aws-lc-rs needs cmake to build).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server's certificate and the rustls configuration that presents it.
pub struct ServerIdentity {
    /// The certificate in PEM, for clients to trust (`--tls-ca`, `openssl s_client -CAfile`).
    pub cert_pem: String,
    /// `AB:CD:…`: the SHA-256 of the certificate's DER, as `openssl x509 -fingerprint -sha256`
    /// prints it.
    pub fingerprint: String,
    pub config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

/// A fresh self-signed certificate for `hostname`, `localhost` and `127.0.0.1`.
pub fn self_signed(hostname: &str) -> Result<ServerIdentity, String> {
    let mut names = vec![hostname.to_owned()];
    for extra in ["localhost", "127.0.0.1"] {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(extra)) {
            names.push(extra.to_owned());
        }
    }
    let failed = |e: rcgen::Error| format!("cannot make a certificate for {hostname}: {e}");
    let mut params = rcgen::CertificateParams::new(names).map_err(failed)?;
    // The subject names the host too, so `openssl s_client` and swaks show whom they reached.
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, hostname);
    let signing_key = rcgen::KeyPair::generate().map_err(failed)?;
    let cert = params.self_signed(&signing_key).map_err(failed)?;
    let der = cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .map_err(|e| format!("TLS set-up: {e}"))?;
    Ok(ServerIdentity { cert_pem: cert.pem(), fingerprint: fingerprint(&der), config: Arc::new(config) })
}

/// The SHA-256 fingerprint of a DER certificate, upper-case hex pairs joined by `:`.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Which server certificates a client accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Those that chain to a certificate in this PEM file (a self-signed one is its own CA).
    CaFile(std::path::PathBuf),
    /// Any certificate: the connection is encrypted but the server is not authenticated.
    Insecure,
}

/// A client configuration that trusts as `trust` says.
pub fn client_config(trust: &Trust) -> Result<Arc<rustls::ClientConfig>, String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?;
    let config = match trust {
        Trust::CaFile(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in read_certificates(path)? {
                roots
                    .add(cert)
                    .map_err(|e| format!("{}: not a usable CA certificate: {e}", path.display()))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider())))
            .with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Every certificate in a PEM file; an error if there is none.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no CERTIFICATE block in the file", path.display()));
    }
    Ok(certs)
}

/// The name the client expects in the certificate: the host part of `--server`, a DNS
/// name or an IP address.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    ServerName::try_from(bare.to_owned())
        .map_err(|e| format!("{host:?} is not a DNS name or IP address: {e}"))
}

/// `--insecure`: the certificate is not checked, but the handshake's signatures still are,
/// so the session is encrypted to whoever holds the presented key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_names_the_host_and_loopback() {
        let identity = self_signed("mx.example.net").expect("certificate");
        assert!(identity.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(identity.fingerprint.len(), 32 * 3 - 1);
        let der = CertificateDer::from_pem_slice(identity.cert_pem.as_bytes()).expect("PEM");
        assert_eq!(fingerprint(&der), identity.fingerprint);
        // Each name the certificate holds appears in its DER as an IA5String or an IP.
        for name in ["mx.example.net", "localhost"] {
            assert!(der.windows(name.len()).any(|w| w == name.as_bytes()), "{name}");
        }
        assert!(der.windows(4).any(|w| w == [127, 0, 0, 1]));
    }

    #[test]
    fn a_ca_file_without_certificates_is_a_clear_error() {
        let path = std::env::temp_dir().join(format!("smtp-playground-tls-{}.pem", std::process::id()));
        std::fs::write(&path, "not a certificate\n").expect("write");
        let error = client_config(&Trust::CaFile(path.clone())).expect_err("no certificate");
        assert!(error.contains("no CERTIFICATE block"), "{error}");
        let _ = std::fs::remove_file(path);
        assert!(server_name("127.0.0.1").is_ok() && server_name("[::1]").is_ok());
        assert!(server_name("mx.example.net").is_ok() && server_name("bad name!").is_err());
    }
}
