//! TLS of PostgreSQL connections with libpq's rules: the six `sslmode`s, `sslrootcert`
//! (a file, `system`, or the default `~/.postgresql/root.crt`), `sslcert`/`sslkey` (the
//! key's passphrase by reference), `sslsni`, and the `PGSSL*` variables, for every
//! connection opsdeck makes (the monitor, the kill and locks connections, cancel requests
//! and the platform's Postgres store).
//!
//! tokio-postgres knows only `disable`, `prefer` and `require` and verifies nothing itself,
//! so the `ssl*` keys are taken out of the DSN here ([`split_dsn`]) and carried out by a
//! rustls connector of our own ([`PgConnector`]). The rules follow libpq's documentation,
//! "SSL Support" (<https://www.postgresql.org/docs/current/libpq-ssl.html>, table 34.1) and
//! "Parameter Key Words" (<https://www.postgresql.org/docs/current/libpq-connect.html>), and
//! its OpenSSL code (postgres/postgres `src/interfaces/libpq/fe-secure-openssl.c`,
//! `initialize_SSL`, and `fe-connect.c`, `PQconnectPoll`, at `REL_17_2`):
//! - `disable` never tries TLS; `allow` tries without TLS first and with it when the server
//!   refuses; `prefer` (the default) tries TLS first and without it when the server does not
//!   speak TLS or the handshake fails; `require` insists on TLS.
//! - `require`, `prefer` and `allow` check the server's certificate chain only when a root
//!   file exists (libpq loads `~/.postgresql/root.crt` when `sslrootcert` is not given, and
//!   then verifies the chain), never its name; `verify-ca` checks the chain and refuses to
//!   start without a root file; `verify-full` checks the chain and that the certificate
//!   names the host.
//! - `sslrootcert=system` trusts the system's store, and is only allowed with
//!   `verify-full` (the default mode then), so a public CA's certificate for any name
//!   cannot pass.
//! - A client certificate is sent when `sslcert` names one, or when
//!   `~/.postgresql/postgresql.crt` exists (its key `sslkey`, by default
//!   `~/.postgresql/postgresql.key`).
//!
//! Differences from libpq, on purpose: `sslpassword` is never read from the DSN (the config
//! file holds no secrets; it is `sslpassword = { env = ... }` beside the DSN), and CRLs
//! (`sslcrl`, `sslcrldir`) are refused with a message rather than ignored. A certificate
//! without a subjectAltName is not matched by its common name (rustls follows RFC 6125);
//! every certificate a current CA issues has one.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use sha2::Digest as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use super::{PemError, load_identity, load_roots, provider};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// Every mode's name, as libpq spells it.
    pub const NAMES: &[&str] = &[
        "disable",
        "allow",
        "prefer",
        "require",
        "verify-ca",
        "verify-full",
    ];

    /// The mode named `text`, as libpq spells it.
    #[must_use]
    pub fn parse(text: &str) -> Option<SslMode> {
        Some(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// The TLS keys of one connection string (or of the `PGSSL*` variables), not yet resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsParams {
    pub mode: Option<SslMode>,
    pub root_cert: Option<String>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `sslsni=0` turns the server name indication off.
    pub sni: Option<bool>,
}

/// A connection string's TLS keys that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    #[error("sslmode `{0}` is not one of disable, allow, prefer, require, verify-ca, verify-full")]
    BadMode(String),
    #[error("sslsni `{0}` is not 0 or 1")]
    BadSni(String),
    #[error(
        "the DSN holds `sslpassword`; the config file holds no secrets: remove it and add \
         sslpassword = {{ env = \"...\" }} beside the DSN"
    )]
    InlinePassword,
    #[error("`{0}` is not supported (certificate revocation lists); remove it from the DSN")]
    Unsupported(String),
    #[error("`{key}` has an unterminated quoted value")]
    Unterminated { key: String },
    #[error("`{0}` in the DSN is not `key=value`")]
    NotKeyValue(String),
}

/// One `key=value` of a libpq keyword DSN, with where its text is in the string.
struct Pair {
    key: String,
    value: String,
    span: std::ops::Range<usize>,
}

/// The pairs of a libpq keyword/value string: `key = value` separated by whitespace, a value
/// single-quoted when it holds spaces, with `\'` and `\\` escapes inside or outside quotes
/// (libpq's `conninfo_parse`).
fn keyword_pairs(dsn: &str) -> Result<Vec<Pair>, DsnError> {
    let bytes = dsn.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = dsn[start..i].to_owned();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            return Err(DsnError::NotKeyValue(key));
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = Vec::new();
        if i < bytes.len() && bytes[i] == b'\'' {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err(DsnError::Unterminated { key }),
                    Some(b'\\') if i + 1 < bytes.len() => {
                        value.push(bytes[i + 1]);
                        i += 2;
                    }
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        value.push(b);
                        i += 1;
                    }
                }
            }
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                }
                value.push(bytes[i]);
                i += 1;
            }
        }
        out.push(Pair {
            key,
            value: String::from_utf8_lossy(&value).into_owned(),
            span: start..i,
        });
    }
    Ok(out)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Records one TLS key; `false` when `key` is not one of ours (it stays in the DSN).
fn take(params: &mut TlsParams, key: &str, value: &str) -> Result<bool, DsnError> {
    match key {
        "sslmode" => {
            params.mode =
                Some(SslMode::parse(value).ok_or_else(|| DsnError::BadMode(value.to_owned()))?);
        }
        "sslrootcert" => params.root_cert = Some(value.to_owned()),
        "sslcert" => params.cert = Some(PathBuf::from(value)),
        "sslkey" => params.key = Some(PathBuf::from(value)),
        "sslsni" => {
            params.sni = Some(match value {
                "1" => true,
                "0" => false,
                _ => return Err(DsnError::BadSni(value.to_owned())),
            });
        }
        "sslpassword" => return Err(DsnError::InlinePassword),
        "sslcrl" | "sslcrldir" => return Err(DsnError::Unsupported(key.to_owned())),
        _ => return Ok(false),
    }
    Ok(true)
}

/// Splits a DSN (keyword/value or `postgres://` URL) into the part tokio-postgres reads and
/// the TLS keys, which tokio-postgres would refuse (`verify-full`, `sslrootcert`) or
/// ignore.
pub fn split_dsn(dsn: &str) -> Result<(String, TlsParams), DsnError> {
    let mut params = TlsParams::default();
    let trimmed = dsn.trim();
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        let Some((base, query)) = trimmed.split_once('?') else {
            return Ok((trimmed.to_owned(), params));
        };
        let mut kept = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            if !take(&mut params, &percent_decode(k), &percent_decode(v))? {
                kept.push(part);
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, params));
    }
    let pairs = keyword_pairs(trimmed)?;
    let mut kept = Vec::new();
    for (i, pair) in pairs.iter().enumerate() {
        // libpq lets a later `key=` replace an earlier one; tokio-postgres would add a
        // second host instead.
        let repeated = pairs[i + 1..].iter().any(|later| later.key == pair.key);
        if !take(&mut params, &pair.key, &pair.value)? && !repeated {
            kept.push(&trimmed[pair.span.clone()]);
        }
    }
    Ok((kept.join(" "), params))
}

impl TlsParams {
    /// Fills what the DSN left unset from libpq's variables (`PGSSLMODE`, `PGSSLROOTCERT`,
    /// `PGSSLCERT`, `PGSSLKEY`, `PGSSLSNI`).
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String>) -> Result<Self, DsnError> {
        let mut from_env = TlsParams::default();
        for (var, key) in [
            ("PGSSLMODE", "sslmode"),
            ("PGSSLROOTCERT", "sslrootcert"),
            ("PGSSLCERT", "sslcert"),
            ("PGSSLKEY", "sslkey"),
            ("PGSSLSNI", "sslsni"),
        ] {
            if let Some(value) = env(var).filter(|v| !v.is_empty()) {
                take(&mut from_env, key, &value)?;
            }
        }
        self.mode = self.mode.or(from_env.mode);
        self.root_cert = self.root_cert.or(from_env.root_cert);
        self.cert = self.cert.or(from_env.cert);
        self.key = self.key.or(from_env.key);
        self.sni = self.sni.or(from_env.sni);
        Ok(self)
    }
}

/// Why a connection's TLS could not be set up. Each names the key to fix.
#[derive(Debug, thiserror::Error)]
pub enum PgTlsError {
    #[error(
        "sslmode={mode} needs a root certificate to check the server's against, and \
         `{}` does not exist; give sslrootcert=FILE (your CA's PEM), use the system's \
         trusted roots with sslrootcert=system and sslmode=verify-full, or choose a mode \
         that does not verify (require)",
        .path.display()
    )]
    NoRootFile { mode: &'static str, path: PathBuf },
    #[error(
        "sslrootcert=system trusts every public CA, so it needs sslmode=verify-full (found \
         sslmode={0}); libpq refuses the same"
    )]
    SystemNeedsVerifyFull(&'static str),
    #[error("sslrootcert: {0}")]
    Root(PemError),
    #[error("sslcert/sslkey: {0}")]
    Identity(PemError),
    #[error("sslkey `{}` has no sslcert to go with it", .0.display())]
    KeyWithoutCert(PathBuf),
    #[error("sslpassword: {0}")]
    Password(String),
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Encryption only: any certificate is accepted (libpq's `require`/`prefer` without a
    /// root file).
    Nothing,
    /// Signed by a trusted root; any name.
    Chain,
    /// Signed by a trusted root and issued for the host.
    ChainAndName,
}

/// A connection's resolved TLS: its mode and the connector that carries it out.
#[derive(Clone)]
pub struct PgTls {
    pub mode: SslMode,
    pub check: Check,
    /// Where trust comes from, for messages: the root file, `system`, or nothing.
    pub trust: String,
    connector: PgConnector,
}

impl std::fmt::Debug for PgTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTls")
            .field("mode", &self.mode)
            .field("check", &self.check)
            .field("trust", &self.trust)
            .finish_non_exhaustive()
    }
}

/// `~/.postgresql/<name>`, libpq's default place for its TLS files.
fn default_file(home: Option<&Path>, name: &str) -> Option<PathBuf> {
    home.map(|h| h.join(".postgresql").join(name))
}

/// How the server's certificate is checked in `mode`, against what (for messages).
fn server_verifier(
    mode: SslMode,
    params: &TlsParams,
    home: Option<&Path>,
    provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Result<(Arc<dyn ServerCertVerifier>, Check, String), PgTlsError> {
    let system = params.root_cert.as_deref() == Some("system");
    let root_file = match &params.root_cert {
        Some(path) if !system => Some(PathBuf::from(path)),
        Some(_) => None,
        None => default_file(home, "root.crt"),
    };
    let must_verify = matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull);
    let found: (Arc<dyn ServerCertVerifier>, Check, String) = if system {
        let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(provider))?;
        (
            Arc::new(verifier),
            Check::ChainAndName,
            "the system's trusted roots".to_owned(),
        )
    } else {
        match root_file {
            Some(path) if path.exists() => {
                let roots = load_roots(&path).map_err(PgTlsError::Root)?;
                let webpki = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::clone(provider),
                )
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
                let check = if mode == SslMode::VerifyFull {
                    Check::ChainAndName
                } else {
                    Check::Chain
                };
                let verifier: Arc<dyn ServerCertVerifier> = if check == Check::ChainAndName {
                    webpki
                } else {
                    Arc::new(AnyName(webpki))
                };
                (verifier, check, path.display().to_string())
            }
            Some(path) if must_verify => {
                return Err(PgTlsError::NoRootFile {
                    mode: mode.name(),
                    path,
                });
            }
            None if must_verify => {
                return Err(PgTlsError::NoRootFile {
                    mode: mode.name(),
                    path: PathBuf::from("~/.postgresql/root.crt"),
                });
            }
            _ => (
                Arc::new(Unverified(Arc::clone(provider))),
                Check::Nothing,
                String::new(),
            ),
        }
    };
    Ok(found)
}

impl PgTls {
    /// Resolves `params`: reads the root and client files and builds the rustls config.
    /// Blocking (files, and the passphrase's command), so async callers use
    /// `spawn_blocking`. `home` is where `~/.postgresql/` is looked for.
    pub fn resolve(
        params: &TlsParams,
        key_password: Option<&str>,
        home: Option<&Path>,
    ) -> Result<PgTls, PgTlsError> {
        let system = params.root_cert.as_deref() == Some("system");
        let mode = params.mode.unwrap_or(if system {
            SslMode::VerifyFull
        } else {
            SslMode::Prefer
        });
        if system && mode != SslMode::VerifyFull {
            return Err(PgTlsError::SystemNeedsVerifyFull(mode.name()));
        }
        let disabled = PgTls {
            mode,
            check: Check::Nothing,
            trust: String::new(),
            connector: PgConnector { config: None },
        };
        if mode == SslMode::Disable {
            return Ok(disabled);
        }
        let provider = provider();
        let (verifier, check, trust) = server_verifier(mode, params, home, &provider)?;
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let default_cert = default_file(home, "postgresql.crt").filter(|p| p.exists());
        let cert = params.cert.clone().or(default_cert);
        let mut config = match cert {
            Some(cert) if params.cert.is_some() || cert.exists() => {
                let key = params
                    .key
                    .clone()
                    .or_else(|| default_file(home, "postgresql.key"))
                    .unwrap_or_else(|| PathBuf::from("postgresql.key"));
                let (chain, key) =
                    load_identity(&cert, &key, key_password).map_err(PgTlsError::Identity)?;
                builder.with_client_auth_cert(chain, key)?
            }
            _ => {
                if let Some(key) = &params.key {
                    return Err(PgTlsError::KeyWithoutCert(key.clone()));
                }
                builder.with_no_client_auth()
            }
        };
        config.enable_sni = params.sni.unwrap_or(true);
        // PostgreSQL 17's direct TLS requires this ALPN; older servers ignore it.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(PgTls {
            mode,
            check,
            trust,
            connector: PgConnector {
                config: Some(Arc::new(config)),
            },
        })
    }

    /// The connector to hand to tokio-postgres.
    #[must_use]
    pub fn connector(&self) -> PgConnector {
        self.connector.clone()
    }

    /// The tokio-postgres mode of the first attempt (`allow` starts without TLS).
    #[must_use]
    pub fn first_attempt(&self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Tp;
        match self.mode {
            SslMode::Disable | SslMode::Allow => Tp::Disable,
            SslMode::Prefer => Tp::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Tp::Require,
        }
    }

    /// The mode of the second attempt after `error` ended the first, if libpq makes one:
    /// `prefer` retries without TLS when the handshake failed, `allow` retries with TLS when
    /// the server refused the plain connection.
    #[must_use]
    pub fn retry_after(
        &self,
        error: &tokio_postgres::Error,
    ) -> Option<tokio_postgres::config::SslMode> {
        use tokio_postgres::config::SslMode as Tp;
        match self.mode {
            SslMode::Prefer if is_handshake_error(error) => Some(Tp::Disable),
            SslMode::Allow if error.as_db_error().is_some() => Some(Tp::Require),
            _ => None,
        }
    }
}

/// Whether `error` is a failed TLS handshake (not a refusal by the server).
#[must_use]
pub fn is_handshake_error(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_none()
        && error
            .to_string()
            .starts_with("error performing TLS handshake")
}

/// Connects with `tls`, making the second attempt libpq makes for `allow` and `prefer`.
pub async fn connect(
    config: &tokio_postgres::Config,
    tls: &PgTls,
) -> Result<
    (
        tokio_postgres::Client,
        tokio_postgres::Connection<tokio_postgres::Socket, PgStream>,
    ),
    tokio_postgres::Error,
> {
    let mut config = config.clone();
    config.ssl_mode(tls.first_attempt());
    match config.connect(tls.connector()).await {
        Ok(done) => Ok(done),
        Err(first) => match tls.retry_after(&first) {
            Some(mode) => {
                tracing::debug!(error = %first, sslmode = tls.mode.name(), "postgres: second attempt");
                config.ssl_mode(mode);
                config.connect(tls.connector()).await
            }
            None => Err(first),
        },
    }
}

/// A TLS failure anywhere in `err`'s chain, said in terms of the connection string's keys;
/// `None` when the failure is not about TLS.
#[must_use]
pub fn explain(err: &(dyn std::error::Error + 'static), tls: &PgTls) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(rustls) = e.downcast_ref::<rustls::Error>() {
            return Some(describe(rustls, tls));
        }
        if let Some(io) = e.downcast_ref::<io::Error>()
            && let Some(inner) = io.get_ref()
        {
            next = Some(inner);
            continue;
        }
        next = e.source();
    }
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if e.to_string().contains("server does not support TLS") {
            return Some(format!(
                "TLS: the server does not support TLS (its ssl setting is off), and \
                 sslmode={} requires it",
                tls.mode.name()
            ));
        }
        next = e.source();
    }
    None
}

/// A rustls error of a PostgreSQL handshake as a sentence with its fix.
#[must_use]
pub fn describe(err: &rustls::Error, tls: &PgTls) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match err {
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => format!(
            "TLS: certificate verify failed: the server's certificate is not signed by a CA in \
             {} (sslrootcert)",
            tls.trust
        ),
        E::InvalidCertificate(C::NotValidForNameContext {
            expected,
            presented,
        }) => format!(
            "TLS: server certificate name mismatch: it is for {} and does not match host name \
             \"{}\" (sslmode=verify-full checks the name; connect by a name the certificate \
             has)",
            presented.join(", "),
            expected.to_str()
        ),
        E::InvalidCertificate(C::NotValidForName) => {
            "TLS: server certificate name mismatch: it does not match the host name \
             (sslmode=verify-full checks the name)"
                .to_owned()
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("TLS: the server's certificate has expired ({err})")
        }
        E::AlertReceived(A::CertificateRequired | A::HandshakeFailure) => "TLS: the server \
             requires a client certificate; give sslcert=FILE and sslkey=FILE in the DSN"
            .to_owned(),
        E::AlertReceived(A::UnknownCA | A::BadCertificate | A::AccessDenied) => "TLS: the \
             server refused our client certificate (sslcert): it does not trust its issuer"
            .to_owned(),
        other => format!("TLS: {other}"),
    }
}

/// Checks the chain and ignores the name (`verify-ca`, and `require` with a root file):
/// webpki checks the chain before the name, so a name error means the chain passed.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use rustls::CertificateError as C;
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                C::NotValidForName | C::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Accepts any certificate (libpq's `require` and `prefer` with no root file: encryption
/// without authentication), but still checks the handshake's signatures, so the peer
/// holds the key of the certificate it sent.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// tokio-postgres's `MakeTlsConnect` over rustls. `config` is `None` for `sslmode=disable`,
/// where tokio-postgres never asks for a handshake.
#[derive(Clone)]
pub struct PgConnector {
    config: Option<Arc<ClientConfig>>,
}

/// One handshake to one host.
pub struct PgHandshake {
    config: Option<Arc<ClientConfig>>,
    host: String,
}

impl<S> MakeTlsConnect<S> for PgConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = PgStream<S>;
    type TlsConnect = PgHandshake;
    type Error = io::Error;

    fn make_tls_connect(&mut self, host: &str) -> Result<PgHandshake, io::Error> {
        Ok(PgHandshake {
            config: self.config.clone(),
            host: host.to_owned(),
        })
    }
}

impl<S> TlsConnect<S> for PgHandshake
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = PgStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<PgStream<S>, io::Error>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let config = self
                .config
                .ok_or_else(|| io::Error::other("TLS asked for with sslmode=disable"))?;
            let name = ServerName::try_from(self.host.clone()).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{}` is not a host name TLS can check", self.host),
                )
            })?;
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await?;
            Ok(PgStream(Box::new(stream)))
        })
    }
}

/// A TLS stream to a PostgreSQL server.
pub struct PgStream<S = tokio_postgres::Socket>(Box<tokio_rustls::client::TlsStream<S>>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for PgStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for PgStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for PgStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        let (_, session) = self.0.get_ref();
        session
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|cert| server_end_point(cert))
            .map_or_else(ChannelBinding::none, ChannelBinding::tls_server_end_point)
    }
}

/// RFC 5929's `tls-server-end-point`, which SCRAM-SHA-256-PLUS binds to: the server
/// certificate's hash with the algorithm of its signature, SHA-256 for MD5 and SHA-1.
/// `None` for signatures without one hash (Ed25519), as OpenSSL gives libpq.
fn server_end_point(cert: &CertificateDer<'_>) -> Option<Vec<u8>> {
    use pkcs8::der::{Decode as _, Reader as _, SliceReader, asn1::AnyRef};
    let mut reader = SliceReader::new(cert.as_ref()).ok()?;
    let oid = reader
        .sequence(|seq| {
            let _tbs = AnyRef::decode(seq)?;
            let algorithm = pkcs8::AlgorithmIdentifierRef::decode(seq)?;
            let _signature = AnyRef::decode(seq)?;
            Ok(algorithm.oid)
        })
        .ok()?;
    // RFC 5754 / RFC 5758 / RFC 4055 signature algorithm identifiers.
    let hash = match oid.to_string().as_str() {
        // md5WithRSA, sha1WithRSA, sha256WithRSA, ecdsa-with-SHA1/-SHA256, and RSASSA-PSS,
        // whose hash is in its parameters and is SHA-256 for every CA in practice.
        "1.2.840.113549.1.1.4"
        | "1.2.840.113549.1.1.5"
        | "1.2.840.113549.1.1.11"
        | "1.2.840.113549.1.1.10"
        | "1.2.840.10045.4.1"
        | "1.2.840.10045.4.3.2" => sha2::Sha256::digest(cert.as_ref()).to_vec(),
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => {
            sha2::Sha384::digest(cert.as_ref()).to_vec()
        }
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => {
            sha2::Sha512::digest(cert.as_ref()).to_vec()
        }
        _ => return None,
    };
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_dsn_loses_only_its_tls_keys() {
        let (rest, p) = split_dsn(
            "host=db.internal sslmode=verify-full  sslrootcert='/etc/my ca.pem' user=app \
             sslcert=/c.pem sslkey = /k.pem application_name='a b'",
        )
        .unwrap();
        assert_eq!(rest, "host=db.internal user=app application_name='a b'");
        let (rest, _) = split_dsn("host=a port=1 host=b hostaddr=127.0.0.1").unwrap();
        assert_eq!(
            rest, "port=1 host=b hostaddr=127.0.0.1",
            "the last host= wins"
        );
        assert_eq!(p.mode, Some(SslMode::VerifyFull));
        assert_eq!(p.root_cert.as_deref(), Some("/etc/my ca.pem"));
        assert_eq!(p.cert, Some(PathBuf::from("/c.pem")));
        assert_eq!(p.key, Some(PathBuf::from("/k.pem")));
    }

    #[test]
    fn url_dsn_loses_only_its_tls_keys() {
        let (rest, p) = split_dsn(
            "postgresql://app@db:5432/users?sslmode=verify-ca&connect_timeout=5&sslrootcert=%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgresql://app@db:5432/users?connect_timeout=5");
        assert_eq!(p.mode, Some(SslMode::VerifyCa));
        assert_eq!(p.root_cert.as_deref(), Some("/ca.pem"));
        let (rest, _) = split_dsn("postgres://db/x?sslmode=require").unwrap();
        assert_eq!(rest, "postgres://db/x");
    }

    #[test]
    fn bad_tls_keys_are_refused_by_name() {
        assert_eq!(
            split_dsn("host=x sslmode=verify_full").unwrap_err(),
            DsnError::BadMode("verify_full".into())
        );
        assert_eq!(
            split_dsn("host=x sslpassword=s3cret").unwrap_err(),
            DsnError::InlinePassword
        );
        assert_eq!(
            split_dsn("host=x sslcrl=/crl.pem").unwrap_err(),
            DsnError::Unsupported("sslcrl".into())
        );
        assert!(matches!(
            split_dsn("host=x sslrootcert='/a"),
            Err(DsnError::Unterminated { .. })
        ));
    }

    #[test]
    fn the_dsn_wins_over_the_environment() {
        let env = |k: &str| match k {
            "PGSSLMODE" => Some("verify-ca".to_owned()),
            "PGSSLROOTCERT" => Some("/env-ca.pem".to_owned()),
            _ => None,
        };
        let (_, p) = split_dsn("host=x sslmode=require").unwrap();
        let p = p.with_env(env).unwrap();
        assert_eq!(p.mode, Some(SslMode::Require));
        assert_eq!(p.root_cert.as_deref(), Some("/env-ca.pem"));
    }

    #[test]
    fn modes_that_verify_need_a_root_file_and_system_needs_verify_full() {
        let home = tempfile::tempdir().unwrap();
        let params = |mode, root: Option<&str>| TlsParams {
            mode,
            root_cert: root.map(str::to_owned),
            ..TlsParams::default()
        };
        let err = PgTls::resolve(
            &params(Some(SslMode::VerifyCa), None),
            None,
            Some(home.path()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("root.crt"), "{err}");
        let err = PgTls::resolve(
            &params(Some(SslMode::Require), Some("system")),
            None,
            Some(home.path()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("verify-full"), "{err}");
        let tls = PgTls::resolve(&params(None, Some("system")), None, Some(home.path())).unwrap();
        assert_eq!(
            (tls.mode, tls.check),
            (SslMode::VerifyFull, Check::ChainAndName)
        );
        let tls = PgTls::resolve(&params(None, None), None, Some(home.path())).unwrap();
        assert_eq!((tls.mode, tls.check), (SslMode::Prefer, Check::Nothing));
    }
}
