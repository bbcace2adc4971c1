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

use crate::support::pg;
use crate::support::pty::Session;
use crate::try_it::{
    Server, WAIT, audited, console, console_env, serve_as_the_readme_says, tls_cluster,
    until_audited, write_config,
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

/// The console as `user` on the Postgres pane, once Postgres and the platform have answered
/// (so a dialog can ask policy).
fn on_postgres(dir: &Path, config: &Path, user: &str) -> Session {
    let mut console = console(dir, config, user);
    console.expect_screen("ctx local", WAIT);
    console.send("5");
    console.expect_screen("orders-db", WAIT);
    console.expect_screen("✓ 2 ok", WAIT);
    console
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_opens_on_the_shown_database_and_the_dangerous_command_is_audited_or_refused() {
    let Some((pki, cluster)) = tls_cluster() else {
        return;
    };
    let psql = pg::find_bin().expect("PostgreSQL binaries").join("psql");
    let dir = tempfile::tempdir().unwrap();
    let server = serve_as_the_readme_says(dir.path());
    let config = write_config(dir.path(), &server, &cluster, &pki);
    std::fs::write(dir.path().join("commands.toml"), commands_toml(&psql)).unwrap();

    let mut sam = on_postgres(dir.path(), &config, "sam");

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
    until_audited(&server, "sam", "custom.psql-probe", |t| {
        t == "pg.database:orders-db"
    })
    .await;
    assert_command_line_recorded(&server).await;
    drop(sam);

    // alice: policy allows her no custom command; nothing runs.
    let mut alice = on_postgres(dir.path(), &config, "alice");
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

/// The console as sam on a context whose kubeconfig points at the Kubernetes peer, with the
/// platform of `server` for the audit and `kubectl` first on its PATH.
fn kube_console(dir: &Path, server: &Server, kubeconfig: &Path, kubectl: &Path) -> Session {
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
    // The example names plain `kubectl`: the one found comes first.
    let bin = kubectl.parent().unwrap_or(Path::new("/usr/bin")).display();
    let path = ("PATH", format!("{bin}:/usr/local/bin:/usr/bin:/bin"));
    let env = console_env(dir, &config, "home-kube", "sam", &[kubeconfig, path]);
    Session::start(&[], &env, dir)
}

/// The shipped `pod-shell` example in a real context: kubectl (the one on PATH, or
/// `$OPSDECK_KUBECTL`) execs into
/// the selected pod of the Kubernetes peer over WebSocket with a TTY, keys reach the
/// container, its exit status comes back, and the audit has the intent with the command
/// line and the outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pod_shell_example_runs_kubectl_exec_on_the_selected_pod_audited() {
    let kubectl = match crate::support::find_binary(
        "OPSDECK_KUBECTL",
        &["kubectl"],
        "no kubectl on PATH (1.30 or newer, which execs over WebSocket; or set OPSDECK_KUBECTL)",
    ) {
        Ok(path) => path,
        Err(reason) => return crate::support::peer_unavailable("kubectl", &reason),
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

    let mut sam = kube_console(dir.path(), &server, &kubeconfig, &kubectl);
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

    until_audited(&server, "sam", "custom.pod-shell", |t| {
        t.starts_with("kube.pod:shop/payments-api-6d9f8b7c5d-")
    })
    .await;
    sam.send("q");
    drop(sam);
}
