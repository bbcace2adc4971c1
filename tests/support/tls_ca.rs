//! A throwaway PKI for the TLS tests, made with rcgen: a CA, a server certificate for
//! `localhost` and `127.0.0.1`, a client certificate, and an unrelated CA that trusts
//! neither; written as PEM files in a temp dir, as a user would have them.
//!
//! [`TlsFront`] serves an existing in-process HTTP peer (Loki, Tempo, Backstage...) over TLS:
//! it terminates TLS with tokio-rustls and passes the bytes through to the peer's plain port,
//! so the peer's own code (HTTP and WebSocket alike) is what answers, unchanged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// The PEM files of one PKI.
pub struct Pki {
    pub dir: tempfile::TempDir,
    /// The CA that signed the server and client certificates.
    pub ca: PathBuf,
    /// A CA that signed neither.
    pub other_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// A server certificate from the same CA for another name (`elsewhere.invalid`).
    pub wrong_name_cert: PathBuf,
    pub wrong_name_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A client certificate signed by the other CA.
    pub stranger_cert: PathBuf,
    pub stranger_key: PathBuf,
}

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("ca")
}

fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("leaf params");
    params
        .distinguished_name
        .push(DnType::CommonName, "opsdeck test");
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, issuer).expect("signed");
    (cert.pem(), key.serialize_pem())
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}

impl Pki {
    /// A fresh PKI in a temp dir.
    #[must_use]
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| -> PathBuf {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write pem");
            path
        };
        let ca = new_ca("opsdeck test CA");
        let other = new_ca("unrelated CA");
        let (server_cert, server_key) = leaf(
            &ca,
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (wrong_cert, wrong_key) = leaf(
            &ca,
            &["elsewhere.invalid"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_cert, client_key) = leaf(
            &ca,
            &["opsdeck-client"],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let (stranger_cert, stranger_key) =
            leaf(&other, &["stranger"], ExtendedKeyUsagePurpose::ClientAuth);
        Pki {
            ca: write("ca.pem", &ca.pem()),
            other_ca: write("other-ca.pem", &other.pem()),
            server_cert: write("server.pem", &server_cert),
            server_key: write("server.key", &server_key),
            wrong_name_cert: write("wrong-name.pem", &wrong_cert),
            wrong_name_key: write("wrong-name.key", &wrong_key),
            client_cert: write("client.pem", &client_cert),
            client_key: write("client.key", &client_key),
            stranger_cert: write("stranger.pem", &stranger_cert),
            stranger_key: write("stranger.key", &stranger_key),
            dir,
        }
    }

    /// A file in the PKI's dir.
    #[must_use]
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The client key encrypted with `passphrase` (PKCS#8, PBES2 with PBKDF2-SHA256 and
    /// AES-256-CBC, as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it), mode 0600.
    #[must_use]
    pub fn encrypted_client_key(&self, passphrase: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let pem = std::fs::read_to_string(&self.client_key).unwrap();
        let (_, doc) = pkcs8::der::Document::from_pem(&pem).unwrap();
        let info = pkcs8::PrivateKeyInfo::try_from(doc.as_bytes()).unwrap();
        let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(
            2048,
            b"opsdeck-salt",
            &[7; 16],
        )
        .unwrap();
        let encrypted = info.encrypt_with_params(params, passphrase).unwrap();
        let text = encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", pkcs8::LineEnding::LF)
            .unwrap();
        let path = self.path("encrypted.key");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    /// The server's rustls config; with `client_ca`, client certificates signed by it are
    /// required.
    #[must_use]
    pub fn server_config(&self, client_ca: Option<&Path>) -> Arc<rustls::ServerConfig> {
        opsdeck::platform::tls::server_config(&opsdeck::platform::tls::ServerTls {
            cert: self.server_cert.clone(),
            key: self.server_key.clone(),
            key_password: None,
            client_ca: client_ca.map(Path::to_path_buf),
        })
        .expect("server tls config")
    }

    /// A server config whose certificate names `elsewhere.invalid`, not this host.
    #[must_use]
    pub fn wrong_name_config(&self) -> Arc<rustls::ServerConfig> {
        opsdeck::platform::tls::server_config(&opsdeck::platform::tls::ServerTls {
            cert: self.wrong_name_cert.clone(),
            key: self.wrong_name_key.clone(),
            key_password: None,
            client_ca: None,
        })
        .expect("server tls config")
    }

    /// The console side: the client config of an `http_tls` table trusting this CA (or
    /// `None`: the system store only), presenting the client certificate when `identity`.
    #[must_use]
    pub fn client_config(&self, trust: bool, identity: bool) -> Arc<rustls::ClientConfig> {
        let tls = opsdeck::config::HttpTls {
            ca_file: trust.then(|| self.ca.clone()),
            client_cert: identity.then(|| self.client_cert.clone()),
            client_key: identity.then(|| self.client_key.clone()),
            ..opsdeck::config::HttpTls::default()
        };
        opsdeck::tls::client_config(&tls).expect("client tls config")
    }
}

/// Serves a plain peer over TLS on its own loopback port; stops on Drop.
pub struct TlsFront {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsFront {
    /// TLS on a free port, passing each connection through to `backend` (plain HTTP).
    pub async fn start(backend: SocketAddr, config: Arc<rustls::ServerConfig>) -> TlsFront {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A refused handshake is what several tests are about: just drop it.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront { addr, task }
    }

    /// `https://HOST:PORT` with `host` as the name the client checks (`localhost` or
    /// `127.0.0.1` match the certificate; anything resolving elsewhere does not).
    #[must_use]
    pub fn url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.addr.port())
    }
}

/// Whether `curl` is there; under `CI=true` its absence fails the test instead.
#[must_use]
pub fn curl_available() -> bool {
    let found = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "curl is required under CI=true (apt-get install curl)"
        );
        eprintln!("SKIP the curl comparison (curl not found; set CI=true to make this fatal)");
    }
    found
}

/// `curl -sS` with `args`: its exit code and stderr (what it says about TLS).
#[must_use]
pub fn curl(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "--max-time", "10"])
        .args(args)
        .output()
        .expect("run curl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
