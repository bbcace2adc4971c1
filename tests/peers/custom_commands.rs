//! Custom commands in a real context: the README's "Try it locally" setup (the platform
//! server as a child process, a PostgreSQL that accepts only TLS, the console in a
//! pseudo-terminal) with a `commands.toml` beside the config. `psql {dsn}` in the Postgres
//! pane opens the real psql on the shown database over TLS (the config's DSN, the CA file
//! found as the console finds it) and gives the terminal back; a dangerous capture command
//! is confirmed with policy's verdict, audited as `custom.NAME` with its whole command line,
//! and its output shown; a user policy does not allow is refused before anything runs.

use std::path::Path;
use std::time::{Duration, Instant};

use opsdeck::model::platform::{EventBody, EventQuery};
use opsdeck::sources::platform::{PlatformClient, Token};

use crate::support::pg::{self, PgCluster};
use crate::support::pty::Session;
use crate::support::tls_ca::Pki;
use crate::try_it::{
    Server, WAIT, audited, console, console_env, serve_as_the_readme_says, write_config,
};

/// The commands file: the shipped `psql` example with psql named by path (the harness's
/// own client, not whatever is first on PATH) and a dangerous probe that captures.
fn commands_toml(psql: &Path) -> String {
    let psql = psql.display();
    format!(
        r#"
[[command]]
name = "psql"
description = "psql on the database shown"
key = "C"
panes = ["pg"]
command = "{psql} {{dsn}}"

[[command]]
name = "psql-probe"
description = "who am I on the shown database (audited)"
key = "D"
panes = ["pg"]
command = ["{psql}", "{{dsn}}", "-XAtc", "SELECT 'probe-' || current_database() || '-' || current_user"]
mode = "capture"
dangerous = true
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_opens_on_the_shown_database_and_the_dangerous_command_is_audited_or_refused() {
    let pki = Pki::new();
    let files = pg::TlsFiles {
        server_cert: pki.server_cert.clone(),
        server_key: pki.server_key.clone(),
        ca: pki.ca.clone(),
    };
    let cluster = match PgCluster::start_tls(&files) {
        Ok(c) => c,
        Err(reason) => return pg::unavailable::<()>(&reason).unwrap_or(()),
    };
    let psql = pg::find_bin().expect("PostgreSQL binaries").join("psql");
    let dir = tempfile::tempdir().unwrap();
    let server = serve_as_the_readme_says(dir.path());
    let config = write_config(dir.path(), &server, &cluster, &pki);
    std::fs::write(dir.path().join("commands.toml"), commands_toml(&psql)).unwrap();

    let mut sam = console(dir.path(), &config, "sam");
    sam.expect_screen("ctx local", WAIT);
    sam.send("5");
    sam.expect_screen("orders-db", WAIT);
    sam.expect_screen("✓ 2 ok", WAIT);

    // The real psql, on the terminal, over TLS.
    sam.send("C");
    sam.expect_text("postgres=#", WAIT);
    sam.send("SELECT 'hello-' || 'from-' || 'psql', ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();\r");
    sam.expect_text("hello-from-psql | t", WAIT);
    sam.send("\\q\r");
    sam.expect_screen("back from psql", WAIT);
    assert!(sam.screen().contains("(exit"), "{}", sam.screen());

    // The dangerous one: policy's verdict first, then the audit, then it runs.
    sam.send("D");
    sam.expect_screen("policy allows it", WAIT);
    assert!(
        sam.screen().contains("-XAtc"),
        "the command line is shown:\n{}",
        sam.screen()
    );
    sam.send("\r");
    sam.expect_screen("probe-postgres-postgres", WAIT);
    let deadline = Instant::now() + WAIT;
    loop {
        let targets = audited(&server, "sam", "custom.psql-probe").await;
        if targets.iter().any(|t| t == "pg.database:orders-db") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "custom.psql-probe by sam, with its outcome, in the audit trail: {targets:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_command_line_recorded(&server).await;
    drop(sam);

    // alice: policy allows her no custom command; nothing runs.
    let mut alice = console(dir.path(), &config, "alice");
    alice.expect_screen("ctx local", WAIT);
    alice.send("5");
    alice.expect_screen("orders-db", WAIT);
    // Postgres and the platform have answered: the dialog can ask policy.
    alice.expect_screen("✓ 2 ok", WAIT);
    alice.send("D");
    alice.expect_screen("policy denies it", WAIT);
    alice.send("\r");
    alice.settle(Duration::from_millis(500));
    assert!(
        !alice.screen().contains("probe-postgres"),
        "nothing ran:\n{}",
        alice.screen()
    );
    drop(alice);
    assert!(
        audited(&server, "alice", "custom.psql-probe")
            .await
            .is_empty()
    );
}

/// The intent's parameters carry the whole command line.
async fn assert_command_line_recorded(server: &Server) {
    let client = PlatformClient::new(&server.url, Token::new("sam-example-token")).unwrap();
    let query = EventQuery {
        actor: Some("sam".to_owned()),
        action: Some("custom.psql-probe".to_owned()),
        ..EventQuery::default()
    };
    let page = client.list_events(&query).await.unwrap();
    let params = page
        .items
        .iter()
        .find_map(|item| match &item.event.body {
            EventBody::Intent { params, .. } => Some(params.to_string()),
            _ => None,
        })
        .expect("an intent");
    assert!(
        params.contains("-XAtc") && params.contains("current_database()"),
        "{params}"
    );
}

/// The console as `user` on a context whose kubeconfig points at the Kubernetes peer, with
/// the platform of `server` for the audit.
fn kube_console(dir: &Path, server: &Server, kubeconfig: &Path, user: &str) -> Session {
    let config = dir.join("kube.toml");
    std::fs::write(
        &config,
        format!(
            "default_context = \"local\"\n\n[contexts.local]\nkube_context = \"{}\"\n\
             platform = {{ url = \"{}\", token = {{ env = \"OPSDECK_PLATFORM_TOKEN\" }} }}\n",
            crate::support::kube::CONTEXT,
            server.url
        ),
    )
    .unwrap();
    let kubeconfig = ("KUBECONFIG", kubeconfig.to_string_lossy().into_owned());
    let env = console_env(
        dir,
        &config,
        &format!("home-kube-{user}"),
        user,
        &[kubeconfig],
    );
    Session::start(&[], &env, dir)
}

/// The shipped `pod-shell` example in a real context: kubectl (the one on PATH) execs into
/// the selected pod of the Kubernetes peer over WebSocket with a TTY, keys reach the
/// container, its exit status comes back, and the audit has the intent with the command
/// line and the outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pod_shell_example_runs_kubectl_exec_on_the_selected_pod_audited() {
    let kubectl = ["/usr/local/bin/kubectl", "/usr/bin/kubectl"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists());
    let Some(_kubectl) = kubectl else {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl (1.30 or newer, which execs over WebSocket) is not installed"
        );
        eprintln!("skipped: no kubectl on this machine");
        return;
    };
    let (peer, _client) = crate::kube::peer().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = peer.write_kubeconfig(dir.path());
    let server = serve_as_the_readme_says(dir.path());
    std::fs::write(
        dir.path().join("commands.toml"),
        opsdeck::commands::EXAMPLES,
    )
    .unwrap();

    let mut sam = kube_console(dir.path(), &server, &kubeconfig, "sam");
    sam.expect_screen("ctx local", WAIT);
    sam.send("3");
    sam.expect_screen("payments-api", WAIT);
    sam.send("/payments-api\r");
    sam.settle(Duration::from_millis(500));
    sam.send("\r");
    sam.expect_screen("rollout shop/payments-api", WAIT);
    sam.settle(Duration::from_millis(500));
    sam.send("\r");
    sam.expect_screen("Pods of rollout payments-api", WAIT);
    sam.expect_screen("payments-api-6d9f8b7c5d-", WAIT);
    sam.settle(Duration::from_millis(500));

    sam.send("X");
    sam.expect_screen("policy allows it", WAIT);
    assert!(
        sam.screen()
            .contains("kubectl --context kind-shop -n shop exec -it")
            && sam.screen().contains("-c payments-api -- sh"),
        "the command line is shown:\n{}",
        sam.screen()
    );
    sam.send("\r");
    sam.expect_text("ready", WAIT);
    // kubectl puts the terminal in raw mode once the stream is up: type after that.
    sam.settle(Duration::from_millis(500));
    sam.send("hello\r");
    let typed = sam.pump_until(Instant::now() + WAIT, |s| {
        s.text().contains("you typed: hello")
    });
    assert!(
        typed,
        "the container got the keys: {:?}\n{}",
        peer.exec_sessions(),
        sam.screen()
    );
    sam.send("exit 3\r");
    sam.expect_text("command terminated with exit code 3", WAIT);
    sam.expect_screen("custom.pod-shell kube.pod", WAIT);
    sam.expect_screen("exit 3", WAIT);

    let sessions = peer.exec_sessions();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let session = &sessions[0];
    assert!(
        session
            .path
            .starts_with("/api/v1/namespaces/shop/pods/payments-api-6d9f8b7c5d-"),
        "{session:?}"
    );
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert!(
        session.query.contains(&pair("command", "sh")),
        "{session:?}"
    );
    assert!(
        session.query.contains(&pair("container", "payments-api")),
        "{session:?}"
    );
    assert!(session.query.contains(&pair("tty", "true")), "{session:?}");
    assert_eq!(session.exit, Some(3));

    let deadline = Instant::now() + WAIT;
    loop {
        let targets = audited(&server, "sam", "custom.pod-shell").await;
        if targets
            .iter()
            .any(|t| t.starts_with("kube.pod:shop/payments-api-6d9f8b7c5d-"))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "custom.pod-shell by sam, with its outcome, in the audit trail: {targets:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sam.send("q");
    drop(sam);
}
