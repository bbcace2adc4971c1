//! The platform server over HTTPS, with the console's own platform client: trusted through
//! `http_tls.ca_file`, refused (with the reason) without it, and with `--client-ca` only
//! for clients presenting a certificate from that CA. The binary: plain HTTP refused on a
//! non-loopback address, and the `listening on` line on stderr.

use std::io::BufRead as _;
use std::time::Duration;

use opsdeck::platform::LocalServer;
use opsdeck::sources::platform::{ClientError, PlatformClient, Token};

use crate::common::{ALICE, StoreKind, TestStore};
use crate::support::tls_ca::{self, Pki};

fn client(server: &LocalServer, host: &str, tls: &rustls::ClientConfig) -> PlatformClient {
    let url = format!("https://{host}:{}", server.addr().port());
    PlatformClient::new_with_tls(&url, Token::new(ALICE), Some(tls))
        .unwrap()
        .with_timeout(Duration::from_secs(10))
}

async fn tls_server(
    store: &TestStore,
    config: std::sync::Arc<rustls::ServerConfig>,
) -> LocalServer {
    store.serve_with(|o| o.tls = Some(config)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_through_ca_file_refused_without_it() {
    let pki = Pki::new();
    let store = TestStore::new(StoreKind::Sqlite).await.unwrap();
    let server = tls_server(&store, pki.server_config(None)).await;
    assert!(
        server.url().starts_with("https://127.0.0.1:"),
        "{}",
        server.url()
    );

    let me = client(&server, "localhost", &pki.client_config(true, false))
        .me()
        .await
        .expect("trusted through ca_file");
    assert_eq!(me.user, "alice");

    let err = client(&server, "localhost", &pki.client_config(false, false))
        .me()
        .await
        .expect_err("unknown CA");
    let shown = err.to_string();
    assert!(matches!(err, ClientError::Unreachable(_)), "{err:?}");
    assert!(shown.contains("unknown authority"), "{shown}");
    assert!(shown.contains("ca_file"), "says the fix: {shown}");

    if tls_ca::curl_available() {
        let url = format!("https://localhost:{}/v1/me", server.addr().port());
        let ca = pki.ca.to_str().unwrap();
        let (code, _) = tls_ca::curl(&[
            "--cacert",
            ca,
            "-H",
            "Authorization: Bearer alice-token",
            &url,
        ]);
        assert_eq!(code, 0, "curl trusts it with --cacert too");
        let (code, said) = tls_ca::curl(&[&url]);
        assert_eq!(code, 60, "curl refuses it too: {said}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_name_is_a_name_mismatch() {
    let pki = Pki::new();
    let store = TestStore::new(StoreKind::Sqlite).await.unwrap();
    let server = tls_server(&store, pki.wrong_name_config()).await;
    let err = client(&server, "localhost", &pki.client_config(true, false))
        .me()
        .await
        .expect_err("name mismatch");
    assert!(err.to_string().contains("name mismatch"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_ca_requires_a_client_certificate() {
    let pki = Pki::new();
    let store = TestStore::new(StoreKind::Sqlite).await.unwrap();
    let server = tls_server(&store, pki.server_config(Some(&pki.ca))).await;

    let me = client(&server, "127.0.0.1", &pki.client_config(true, true))
        .me()
        .await
        .expect("client certificate presented");
    assert_eq!(me.user, "alice");

    let err = client(&server, "127.0.0.1", &pki.client_config(true, false))
        .me()
        .await
        .expect_err("no client certificate");
    assert!(err.to_string().contains("client certificate"), "{err}");

    // A certificate from another CA is refused as well.
    let stranger = opsdeck::tls::client_config(&opsdeck::config::HttpTls {
        ca_file: Some(pki.ca.clone()),
        client_cert: Some(pki.stranger_cert.clone()),
        client_key: Some(pki.stranger_key.clone()),
        ..opsdeck::config::HttpTls::default()
    })
    .unwrap();
    let err = client(&server, "127.0.0.1", &stranger)
        .me()
        .await
        .expect_err("stranger's certificate");
    assert!(err.to_string().contains("TLS"), "{err}");

    if tls_ca::curl_available() {
        let url = format!("https://127.0.0.1:{}/v1/me", server.addr().port());
        let [ca, cert, key] =
            [&pki.ca, &pki.client_cert, &pki.client_key].map(|p| p.to_str().unwrap());
        let auth = "Authorization: Bearer alice-token";
        let (code, said) = tls_ca::curl(&[
            "--cacert", ca, "--cert", cert, "--key", key, "-H", auth, &url,
        ]);
        assert_eq!(code, 0, "{said}");
        let (code, _) = tls_ca::curl(&["--cacert", ca, "-H", auth, &url]);
        assert_ne!(code, 0, "curl without a certificate is refused too");
    }
}

/// Runs the binary's `platform serve` with `args`; returns the child and its stderr lines.
fn serve(args: &[&str], dir: &std::path::Path) -> std::process::Child {
    let tokens = dir.join("tokens.toml");
    let policy = dir.join("policy.toml");
    std::fs::write(&tokens, opsdeck::platform::examples::TOKENS_EXAMPLE).unwrap();
    std::fs::write(&policy, opsdeck::platform::examples::POLICY_EXAMPLE).unwrap();
    let store = format!("sqlite://{}", dir.join("p.db").display());
    std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["platform", "serve", "--store", &store])
        .arg("--tokens")
        .arg(&tokens)
        .arg("--policy")
        .arg(&policy)
        .args(args)
        .env_remove("OPSDECK_PLATFORM_LISTEN")
        .env("OPSDECK_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn opsdeck")
}

#[test]
fn plain_http_off_loopback_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let child = serve(&["--listen", "0.0.0.0:0"], dir.path());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for fix in ["--tls-cert", "127.0.0.1", "--allow-plain-http"] {
        assert!(stderr.contains(fix), "names {fix}: {stderr}");
    }
    assert!(!stderr.contains("BACKTRACE"), "a plain message: {stderr}");
}

#[test]
fn serve_says_where_it_listens_on_stderr_and_logs_there() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let [cert, key, log_path] =
        [&pki.server_cert, &pki.server_key, &log].map(|p| p.to_str().unwrap());
    let mut child = serve(
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
            "--log-file",
            log_path,
        ],
        dir.path(),
    );
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let listening = loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.contains("listening on https://127.0.0.1:") => break line,
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("no `listening on` line; stderr: {seen:#?}");
            }
        }
    };
    // SIGTERM: the server stops gracefully and its log file is flushed.
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert!(child.wait().unwrap().success(), "a clean stop on SIGTERM");
    let port: u16 = listening
        .rsplit(':')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_ne!(port, 0, "{listening}");
    assert!(
        seen.iter()
            .any(|l| l.contains("INFO") && l.contains("platform server listening")),
        "the log goes to stderr in the human format: {seen:#?}"
    );
    let file = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        file.contains("platform server listening"),
        "and to --log-file: {file}"
    );
}
