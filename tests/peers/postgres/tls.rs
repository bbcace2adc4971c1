//! PostgreSQL over TLS, as libpq does it: a cluster that accepts only `hostssl`, each
//! `sslmode`, root and client certificates, channel binding, and each failure, every case
//! compared with what `psql` (libpq) does with the same connection string; then the
//! monitor, a guarded cancel and the platform's store over TLS.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use opsdeck::config::PgDatabase;
use opsdeck::sources::postgres::{KillTarget, Monitor, PgSettings, kill, pg_config};
use opsdeck::tls::postgres::{PgTls, connect, explain};

use crate::postgres::common::{PATIENCE, bounded};
use crate::support::pg::{self, PgCluster};
use crate::support::tls_ca::Pki;

/// What `psql` says for `dsn`: `Ok(true)` connected over TLS, `Ok(false)` in the clear,
/// `Err(stderr)` did not connect. `home` stands in for `~` (libpq's `~/.postgresql/`).
fn psql(dsn: &str, home: &Path, password: Option<&str>) -> Result<bool, String> {
    let psql = pg::find_bin().unwrap().join("psql");
    let mut cmd = Command::new(psql);
    cmd.args(["-X", "-A", "-t", "-w", dsn, "-c"])
        .arg("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .env("HOME", home)
        .env_remove("PGSSLMODE")
        .env_remove("PGSSLROOTCERT")
        .env_remove("PGPASSWORD");
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().expect("psql runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim() == "t")
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// What opsdeck says for the same `dsn`, through the code every connection uses.
async fn ours(dsn: &str, home: &Path, password: Option<&str>) -> Result<bool, String> {
    let db = PgDatabase {
        name: "tls".into(),
        dsn: dsn.to_owned(),
        password: None,
        ssl_password: None,
    };
    let (config, params) = pg_config(&db, password, "opsdeck-tls-test", |_| None)?;
    let tls = PgTls::resolve(&params, None, Some(home)).map_err(|e| e.to_string())?;
    let (client, connection) =
        tokio::time::timeout(Duration::from_secs(10), connect(&config, &tls))
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| {
                explain(&e, &tls).unwrap_or_else(|| opsdeck::sources::postgres::error_text(&e))
            })?;
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get::<_, bool>(0))
}

/// One case: the DSN's extra keys, whether it connects over TLS (`Some(true)`), in the clear
/// (`Some(false)`) or not at all (`None`), and for a failure the words opsdeck must use.
struct Case {
    extra: String,
    expect: Option<bool>,
    says: &'static str,
    password: Option<&'static str>,
}

fn case(extra: String, expect: Option<bool>, says: &'static str) -> Case {
    Case {
        extra,
        expect,
        says,
        password: None,
    }
}

async fn check(base: &str, home: &Path, cases: Vec<Case>) {
    let mut failures = Vec::new();
    for c in cases {
        let dsn = format!("{base} {}", c.extra);
        let libpq = psql(&dsn, home, c.password);
        let mine = ours(&dsn, home, c.password).await;
        let agree = match (&libpq, &mine, c.expect) {
            (Ok(a), Ok(b), Some(want)) => *a == want && *b == want,
            (Err(_), Err(text), None) => text.contains(c.says),
            _ => false,
        };
        if !agree {
            failures.push(format!(
                "{}\n    expected {:?} ({:?})\n    psql: {libpq:?}\n    opsdeck: {mine:?}",
                c.extra, c.expect, c.says
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
}

fn tls_cluster(pki: &Pki) -> Option<PgCluster> {
    let files = pg::TlsFiles {
        server_cert: pki.server_cert.clone(),
        server_key: pki.server_key.clone(),
        ca: pki.ca.clone(),
    };
    match PgCluster::start_tls(&files) {
        Ok(c) => Some(c),
        Err(reason) => pg::unavailable(&reason),
    }
}

/// libpq refuses a client key others can read.
fn private(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sslmode_and_failure_behaves_as_libpq() {
    let pki = Pki::new();
    let Some(cluster) = tls_cluster(&pki) else {
        return;
    };
    private(&pki.client_key);
    private(&pki.stranger_key);
    let home = tempfile::tempdir().unwrap();
    let port = cluster.port();
    let base = format!("host=localhost port={port} dbname=postgres");
    let (ca, other) = (pki.ca.display(), pki.other_ca.display());
    let (cert, key) = (pki.client_cert.display(), pki.client_key.display());
    let (stranger, stranger_key) = (pki.stranger_cert.display(), pki.stranger_key.display());
    let wrong_host = format!("host=wrong.example hostaddr=127.0.0.1 port={port}");
    let cases = vec![
        case(
            "user=postgres sslmode=disable".into(),
            None,
            "no encryption",
        ),
        case("user=postgres sslmode=allow".into(), Some(true), ""),
        case("user=postgres sslmode=prefer".into(), Some(true), ""),
        case("user=postgres".into(), Some(true), ""),
        case("user=postgres sslmode=require".into(), Some(true), ""),
        // A root file makes libpq check the chain even for `require` and `prefer`.
        case(
            format!("user=postgres sslmode=require sslrootcert={other}"),
            None,
            "not signed by a CA",
        ),
        // `prefer` falls back to a plain connection, which this server refuses.
        case(
            format!("user=postgres sslmode=prefer sslrootcert={other}"),
            None,
            "no encryption",
        ),
        case(
            format!("user=postgres sslmode=verify-ca sslrootcert={ca}"),
            Some(true),
            "",
        ),
        case(
            format!("user=postgres sslmode=verify-ca sslrootcert={other}"),
            None,
            "not signed by a CA",
        ),
        case("user=postgres sslmode=verify-ca".into(), None, "root.crt"),
        case("user=postgres sslmode=verify-full".into(), None, "root.crt"),
        case(
            format!("user=postgres sslmode=verify-full sslrootcert={ca}"),
            Some(true),
            "",
        ),
        case(
            format!("user=postgres sslmode=verify-full sslrootcert={ca} {wrong_host}"),
            None,
            "does not match host name \"wrong.example\"",
        ),
        // verify-ca checks the chain, not the name.
        case(
            format!("user=postgres sslmode=verify-ca sslrootcert={ca} {wrong_host}"),
            Some(true),
            "",
        ),
        // Client certificates: required for certuser, and only from the server's CA.
        case(
            "user=certuser sslmode=require".into(),
            None,
            "requires a valid client certificate",
        ),
        case(
            format!(
                "user=certuser sslmode=verify-full sslrootcert={ca} sslcert={cert} sslkey={key}"
            ),
            Some(true),
            "",
        ),
        case(
            format!("user=certuser sslmode=require sslcert={stranger} sslkey={stranger_key}"),
            None,
            "refused our client certificate",
        ),
        // SCRAM with channel binding to the server's certificate (tls-server-end-point).
        Case {
            extra: "user=scramuser sslmode=require channel_binding=require".into(),
            expect: Some(true),
            says: "",
            password: Some("scram-pw"),
        },
    ];
    check(&base, home.path(), cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_root_file_is_used_when_it_exists() {
    let pki = Pki::new();
    let Some(cluster) = tls_cluster(&pki) else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let base = format!("host=localhost port={} dbname=postgres", cluster.port());
    // libpq's default root file, ~/.postgresql/root.crt, is used when it exists.
    let dot = home.path().join(".postgresql");
    std::fs::create_dir_all(&dot).unwrap();
    std::fs::copy(&pki.other_ca, dot.join("root.crt")).unwrap();
    let cases = vec![case(
        "user=postgres sslmode=require".into(),
        None,
        "not signed by a CA",
    )];
    check(&base, home.path(), cases).await;
    std::fs::copy(&pki.ca, dot.join("root.crt")).unwrap();
    let cases = vec![case(
        "user=postgres sslmode=verify-full".into(),
        Some(true),
        "",
    )];
    check(&base, home.path(), cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_tls_is_refused_only_when_tls_is_required() {
    let Some(cluster) = tokio::task::spawn_blocking(pg::shared).await.unwrap() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let base = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        cluster.port()
    );
    let cases = vec![
        case(
            "sslmode=require".into(),
            None,
            "the server does not support TLS",
        ),
        case("sslmode=prefer".into(), Some(false), ""),
        case("sslmode=allow".into(), Some(false), ""),
    ];
    check(&base, home.path(), cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_cancel_and_platform_store_work_over_verified_tls() {
    let pki = Pki::new();
    let Some(cluster) = tls_cluster(&pki) else {
        return;
    };
    let dsn = format!(
        "host=localhost port={} user=postgres dbname=postgres sslmode=verify-full sslrootcert={}",
        cluster.port(),
        pki.ca.display()
    );
    let db = PgDatabase {
        name: "postgres".into(),
        dsn: dsn.clone(),
        password: None,
        ssl_password: None,
    };
    // A statement to cancel, run over the Unix socket (trusted, no TLS there).
    let socket = format!(
        "host={} port={} user=postgres dbname=postgres application_name=opsdeck-tls-sleeper",
        cluster.socket_dir().display(),
        cluster.port()
    );
    let (sleeper, conn) = tokio_postgres::connect(&socket, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let sleeping = tokio::spawn(async move { sleeper.simple_query("SELECT pg_sleep(60)").await });

    let monitor = Monitor::connect(&db, &PgSettings::default()).await.unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let session = loop {
        let snap = monitor.poll().await.unwrap();
        if let Some(s) = snap
            .sessions
            .iter()
            .find(|s| s.application == "opsdeck-tls-sleeper" && s.state == "active")
        {
            break s.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sleeper never showed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let target = KillTarget {
        pid: session.pid,
        backend_start: session.backend_start,
        query_start: session.query_start,
        mode: opsdeck::actions::KillMode::Cancel,
    };
    let report = bounded("cancel over TLS", kill(&db, &target))
        .await
        .unwrap();
    assert_eq!(report.outcome, opsdeck::model::pg::KillOutcome::Signalled);
    let cancelled = bounded("the sleeper ends", sleeping).await.unwrap();
    assert!(cancelled.is_err(), "the statement was cancelled");

    // The platform's Postgres store takes the same keys in its URL.
    let url = format!(
        "postgres://postgres@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}",
        cluster.port(),
        pki.ca.display()
    );
    opsdeck::platform::store::postgres::PgStore::open(&url, None)
        .await
        .expect("the store opens over verified TLS");
    let wrong = url.replace(
        &pki.ca.display().to_string(),
        &pki.other_ca.display().to_string(),
    );
    let err = opsdeck::platform::store::postgres::PgStore::open(&wrong, None)
        .await
        .expect_err("an unknown CA is refused");
    assert!(err.to_string().contains("not signed by a CA"), "{err}");

    // certuser must present a client certificate; its key is encrypted, and the passphrase
    // comes from --store-key-password-env, never from the URL.
    let key = pki.encrypted_client_key("store-pw");
    let with_cert = format!(
        "postgres://certuser@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}",
        cluster.port(),
        pki.ca.display(),
        pki.client_cert.display(),
        key.display()
    );
    opsdeck::platform::store::postgres::PgStore::open(&with_cert, Some("store-pw"))
        .await
        .expect("the store opens with a passphrase-protected client key");
    let err = opsdeck::platform::store::postgres::PgStore::open(&with_cert, Some("wrong"))
        .await
        .expect_err("a wrong passphrase is refused");
    assert!(err.to_string().contains("decrypt"), "{err}");
}
