//! TLS for every backend: PEM loading and the one crypto provider, shared by the HTTP(S) and
//! WebSocket backends (platform, Argo CD API, Backstage, Loki and its tail, Tempo, Jaeger:
//! the one rustls `ClientConfig` per backend here) and PostgreSQL ([`postgres`]), plus
//! messages for handshake failures that say what to fix.
//!
//! Trust is the system store (the same verifier reqwest uses by default), plus the PEM bundle
//! of `http_tls.ca_file`; `only_ca = true` trusts that bundle alone. The same config goes to
//! reqwest (`tls_backend_preconfigured`) and to the Loki tail (tokio-tungstenite's
//! `Connector::Rustls`), so HTTP and WebSocket calls trust exactly the same CAs.
//!
//! The crypto provider is aws-lc-rs, the one kube and reqwest already use. The PEM helpers
//! here also check config files at load time (`config::load`), so a missing file, a file
//! that is not PEM or a key that does not belong to its certificate is reported with its
//! file, line and key before any backend starts.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::config::{HttpTls, SecretError};

pub mod postgres;

/// A PEM file that cannot be used. Each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    #[error("cannot read `{}`: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is not a PEM file ({detail})", .path.display())]
    NotPem { path: PathBuf, detail: String },
    #[error("`{}` holds no certificate (expected -----BEGIN CERTIFICATE-----)", .path.display())]
    NoCertificate { path: PathBuf },
    #[error(
        "`{}` holds no private key (expected -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY, \
         EC PRIVATE KEY or ENCRYPTED PRIVATE KEY)",
        .path.display()
    )]
    NoKey { path: PathBuf },
    #[error(
        "`{}` is encrypted in OpenSSL's legacy format (Proc-Type: 4,ENCRYPTED); convert it to \
         encrypted PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in {0} -out {0}.p8` \
         and name the .p8 file",
        .path.display()
    )]
    LegacyEncrypted { path: PathBuf },
    #[error(
        "`{}` is an encrypted key; give its passphrase by reference (client_key_password = \
         {{ env = \"...\" }} in an http_tls table, sslpassword = {{ env = \"...\" }} beside a \
         postgres DSN)",
        .path.display()
    )]
    NeedsPassword { path: PathBuf },
    #[error("`{}`: cannot decrypt the key (wrong passphrase or unsupported cipher)", .path.display())]
    Decrypt { path: PathBuf },
    #[error("`{}`: not a usable certificate: {detail}", .path.display())]
    BadCertificate { path: PathBuf, detail: String },
    #[error("`{}`: not a usable private key: {detail}", .path.display())]
    BadKey { path: PathBuf, detail: String },
    #[error("the key `{}` does not belong to the certificate `{}`", .key.display(), .cert.display())]
    Mismatch { cert: PathBuf, key: PathBuf },
}

/// Why a backend's TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("client_key_password: {0}")]
    Password(#[from] SecretError),
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The process's one crypto provider (aws-lc-rs).
#[must_use]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>, PemError> {
    std::fs::read(path).map_err(|source| PemError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Every PEM section of `bytes`, with the label of those rustls does not know (encrypted
/// keys), in file order.
/// A PEM section: its kind (`None` for an encrypted key) and its DER bytes.
type Section = (Option<SectionKind>, Vec<u8>);

fn sections(path: &Path, bytes: &[u8]) -> Result<Vec<Section>, PemError> {
    let not_pem = |detail: String| PemError::NotPem {
        path: path.to_owned(),
        detail,
    };
    // OpenSSL's legacy encrypted keys (`Proc-Type: 4,ENCRYPTED` headers inside an RSA or
    // EC section) use MD5-derived keys that nothing here decrypts: say how to convert one.
    if String::from_utf8_lossy(bytes).contains("Proc-Type: 4,ENCRYPTED") {
        return Err(PemError::LegacyEncrypted {
            path: path.to_owned(),
        });
    }
    let mut out = Vec::new();
    let mut reader = std::io::BufReader::new(bytes);
    loop {
        match pem::from_buf(&mut reader) {
            Ok(Some((kind, der))) => out.push((Some(kind), der)),
            Ok(None) => break,
            Err(e) => return Err(not_pem(e.to_string())),
        }
    }
    // rustls skips sections it does not know; an encrypted PKCS#8 key is one of them.
    let text = String::from_utf8_lossy(bytes);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        out.push((None, Vec::new()));
    }
    if out.is_empty() {
        let first = std::io::BufReader::new(bytes)
            .lines()
            .next()
            .and_then(Result::ok)
            .unwrap_or_default();
        let detail = if first.starts_with("-----BEGIN") {
            format!("no section it can use; it starts with {}", first.trim())
        } else {
            "no -----BEGIN ...----- section".to_owned()
        };
        return Err(not_pem(detail));
    }
    Ok(out)
}

/// The certificates of a PEM bundle (a CA file or a client certificate chain).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let bytes = read(path)?;
    let certs: Vec<CertificateDer<'static>> = sections(path, &bytes)?
        .into_iter()
        .filter(|(kind, _)| *kind == Some(SectionKind::Certificate))
        .map(|(_, der)| CertificateDer::from(der))
        .collect();
    if certs.is_empty() {
        return Err(PemError::NoCertificate {
            path: path.to_owned(),
        });
    }
    for cert in &certs {
        rustls::server::ParsedCertificate::try_from(cert).map_err(|e| {
            PemError::BadCertificate {
                path: path.to_owned(),
                detail: e.to_string(),
            }
        })?;
    }
    Ok(certs)
}

/// The trust anchors of a CA bundle, checked one by one.
pub fn load_roots(path: &Path) -> Result<rustls::RootCertStore, PemError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|e| PemError::BadCertificate {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// Whether the key file holds an encrypted PKCS#8 key.
pub fn key_is_encrypted(path: &Path) -> Result<bool, PemError> {
    let bytes = read(path)?;
    Ok(sections(path, &bytes)?
        .iter()
        .any(|(kind, _)| kind.is_none()))
}

/// The private key of a PEM file; an encrypted PKCS#8 key is decrypted with `password`.
pub fn load_key(path: &Path, password: Option<&str>) -> Result<PrivateKeyDer<'static>, PemError> {
    let bytes = read(path)?;
    for (kind, der) in sections(path, &bytes)? {
        match kind {
            Some(SectionKind::PrivateKey) => return Ok(PrivatePkcs8KeyDer::from(der).into()),
            Some(SectionKind::RsaPrivateKey) => {
                return Ok(rustls::pki_types::PrivatePkcs1KeyDer::from(der).into());
            }
            Some(SectionKind::EcPrivateKey) => {
                return Ok(rustls::pki_types::PrivateSec1KeyDer::from(der).into());
            }
            None => return decrypt(path, &bytes, password),
            Some(_) => {}
        }
    }
    Err(PemError::NoKey {
        path: path.to_owned(),
    })
}

fn decrypt(
    path: &Path,
    bytes: &[u8],
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, PemError> {
    let Some(password) = password else {
        return Err(PemError::NeedsPassword {
            path: path.to_owned(),
        });
    };
    let text = String::from_utf8_lossy(bytes);
    let start = text
        .find("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        .unwrap_or_default();
    let end_marker = "-----END ENCRYPTED PRIVATE KEY-----";
    let end = text[start..]
        .find(end_marker)
        .map_or(text.len(), |i| start + i + end_marker.len());
    let bad = |detail: String| PemError::BadKey {
        path: path.to_owned(),
        detail,
    };
    let (_, doc) =
        pkcs8::der::Document::from_pem(&text[start..end]).map_err(|e| bad(e.to_string()))?;
    let info =
        pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let plain = info.decrypt(password).map_err(|_| PemError::Decrypt {
        path: path.to_owned(),
    })?;
    Ok(PrivatePkcs8KeyDer::from(plain.as_bytes().to_vec()).into())
}

/// A client certificate chain and its key, checked to belong together.
pub fn load_identity(
    cert: &Path,
    key: &Path,
    password: Option<&str>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), PemError> {
    let chain = load_certs(cert)?;
    let der = load_key(key, password)?;
    let certified =
        rustls::sign::CertifiedKey::from_der(chain.clone(), der.clone_key(), &provider()).map_err(
            |e| match e {
                rustls::Error::InconsistentKeys(_) => PemError::Mismatch {
                    cert: cert.to_owned(),
                    key: key.to_owned(),
                },
                other => PemError::BadKey {
                    path: key.to_owned(),
                    detail: other.to_string(),
                },
            },
        )?;
    drop(certified);
    Ok((chain, der))
}

/// The one client config of a backend. Blocking: it reads files and may run the
/// passphrase's command, so async callers use `spawn_blocking` or call it at start-up.
pub fn client_config(tls: &HttpTls) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let provider = provider();
    let extra: Vec<CertificateDer<'static>> = match &tls.ca_file {
        Some(path) => load_certs(path)?,
        None => Vec::new(),
    };
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> =
        if tls.only_ca && !extra.is_empty() {
            let mut roots = rustls::RootCertStore::empty();
            for cert in extra {
                roots.add(cert)?;
            }
            rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                Arc::clone(&provider),
            )
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?
        } else {
            Arc::new(rustls_platform_verifier::Verifier::new_with_extra_roots(
                extra,
                Arc::clone(&provider),
            )?)
        };
    // `dangerous()` is only rustls' name for "a verifier of your own": both verifiers above
    // check the chain and the name as strictly as the default one.
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&tls.client_cert, &tls.client_key) {
        (Some(cert), Some(key)) => {
            let password = tls
                .client_key_password
                .as_ref()
                .map(crate::config::SecretRef::resolve)
                .transpose()?;
            let (chain, key) = load_identity(cert, key, password.as_deref())?;
            builder.with_client_auth_cert(chain, key)?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// A reqwest client builder whose TLS is `config` (plus the caller's timeouts).
pub fn reqwest_builder(config: &ClientConfig) -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_backend_preconfigured(config.clone())
}

/// What a TLS failure somewhere in `err`'s chain means and how to fix it, in the words curl
/// users know; `None` when the failure is not about TLS.
#[must_use]
pub fn explain(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(describe(tls));
        }
        // `io::Error::source` skips the error it wraps; look inside it explicitly.
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
        {
            next = Some(inner);
            continue;
        }
        next = e.source();
    }
    None
}

/// A rustls error as a sentence with its fix.
#[must_use]
pub fn describe(err: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match err {
        E::InvalidCertificate(C::UnknownIssuer) => "TLS: the server's certificate is signed by an \
             unknown authority (not in the system trust store); add its CA with \
             http_tls = { ca_file = \"ca.pem\" }"
            .to_owned(),
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            format!(
                "TLS: certificate name mismatch: the server's certificate is not valid for \
                 the host in the URL ({err})"
            )
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("TLS: the server's certificate has expired ({err})")
        }
        E::AlertReceived(A::CertificateRequired | A::HandshakeFailure) => "TLS: the server \
             requires a client certificate; set http_tls = { client_cert = \"...\", \
             client_key = \"...\" }"
            .to_owned(),
        E::AlertReceived(A::UnknownCA | A::BadCertificate | A::AccessDenied) => "TLS: the \
             server refused our client certificate (it does not trust its issuer)"
            .to_owned(),
        E::InvalidMessage(_) => {
            format!("TLS: the server does not speak TLS here; is the URL http:// ? ({err})")
        }
        other => format!("TLS: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_encrypted_key_says_how_to_convert_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("legacy.key");
        std::fs::write(
            &path,
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
             DEK-Info: AES-128-CBC,DEBF22EAA8AB32911C5CD03A9B9C9367\n\nAAAA\n\
             -----END RSA PRIVATE KEY-----\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let err = load_key(&path, Some("pw")).expect_err("legacy format");
        assert!(matches!(err, PemError::LegacyEncrypted { .. }), "{err}");
        assert!(err.to_string().contains("openssl pkcs8 -topk8"), "{err}");
    }
}
