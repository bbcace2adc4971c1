//! The README's "Try it locally", run as written: the example tokens and policy from the
//! binary, `opsdeck platform serve` as a child process, the README's own config (its
//! platform URL and database port pointed at this run's), a PostgreSQL that accepts only
//! TLS, and the console in a pseudo-terminal as the people the README names. sam cancels a
//! query and terminates a backend; alice is refused both with the reason on screen before
//! anything is sent; sam's topic request is approved by priya, the second approver.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opsdeck::model::platform::{EventBody, EventQuery, RequestSpec, RequestState};
use opsdeck::sources::platform::{PlatformClient, Token};
use tokio_postgres::{Client, NoTls};

use crate::support::pg::{self, PgCluster};
use crate::support::pty::{BIN, Session};
use crate::support::tls_ca::Pki;

const README: &str = include_str!("../../README.md");
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// The README's "Try it locally" section.
fn section() -> &'static str {
    let start = README
        .find("### Try it locally")
        .expect("README has a Try it locally section");
    let rest = &README[start + 4..];
    &rest[..rest.find("\n### ").unwrap_or(rest.len())]
}

/// The `lang` code blocks of the section, in order.
pub(crate) fn blocks(lang: &str) -> Vec<&'static str> {
    let fence = format!("```{lang}\n");
    section()
        .split(fence.as_str())
        .skip(1)
        .map(|b| &b[..b.find("```").expect("closed block")])
        .collect()
}

/// `opsdeck platform serve` from the README's command line, on a free port; killed on drop.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the README's shell block in `dir`: the two example files are written by the binary,
/// and the server starts with the README's arguments plus a free port.
pub(crate) fn serve_as_the_readme_says(dir: &Path) -> Server {
    let shell = blocks("sh")[0];
    let mut lines = shell.lines();
    for (line, file) in [
        (
            "opsdeck platform example-tokens > tokens.toml",
            "tokens.toml",
        ),
        (
            "opsdeck platform example-policy > policy.toml",
            "policy.toml",
        ),
    ] {
        assert_eq!(
            lines.next(),
            Some(line),
            "the README's steps changed:\n{shell}"
        );
        let sub = line.split_whitespace().nth(2).unwrap();
        let out = Command::new(BIN).args(["platform", sub]).output().unwrap();
        assert!(out.status.success(), "{line}");
        std::fs::write(dir.join(file), out.stdout).unwrap();
    }
    let serve = lines.next().unwrap();
    let args: Vec<String> = serve
        .trim_end_matches('&')
        .split_whitespace()
        .skip(1)
        .map(|a| {
            a.replace(
                "/tmp/platform.db",
                &dir.join("platform.db").to_string_lossy(),
            )
        })
        .collect();
    assert_eq!(args[..2], ["platform", "serve"], "{serve}");
    let mut child = Command::new(BIN)
        .args(&args[..])
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("OPSDECK_PLATFORM_LISTEN")
        .env_remove("OPSDECK_PLATFORM_STORE")
        .stderr(Stdio::piped())
        .spawn()
        .expect("opsdeck platform serve starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("listening on ").nth(1) {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(WAIT)
        .expect("the server says where it listens");
    Server { child, url }
}

/// The README's config with this run's server URL and database port, and the test CA as
/// its `ca.pem`.
pub(crate) fn write_config(dir: &Path, server: &Server, cluster: &PgCluster, pki: &Pki) -> PathBuf {
    let toml = blocks("toml")[0];
    assert!(toml.contains("http://127.0.0.1:8470") && toml.contains("port=5432"));
    assert!(
        toml.contains("sslmode=verify-full sslrootcert=ca.pem"),
        "over TLS: {toml}"
    );
    let text = toml
        .replace("http://127.0.0.1:8470", &server.url)
        .replace("port=5432", &format!("port={}", cluster.port()));
    std::fs::copy(&pki.ca, dir.join("ca.pem")).unwrap();
    let path = dir.join("try.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The environment of a console run as `user` on `config`: a home of its own (`home` under
/// `dir`), the platform token of the example tokens, and `extra` variables (which win).
pub(crate) fn console_env(
    dir: &Path,
    config: &Path,
    home: &str,
    user: &str,
    extra: &[(&str, String)],
) -> Vec<(String, String)> {
    let home = dir.join(home);
    std::fs::create_dir_all(&home).unwrap();
    let mut env: Vec<(String, String)> = [
        ("PATH", "/usr/local/bin:/usr/bin:/bin".to_owned()),
        ("HOME", home.to_string_lossy().into_owned()),
        ("TERM", "xterm-256color".to_owned()),
        ("OPSDECK_CONFIG", config.to_string_lossy().into_owned()),
        (
            "OPSDECK_DATA",
            home.join("data").to_string_lossy().into_owned(),
        ),
        ("OPSDECK_PLATFORM_TOKEN", format!("{user}-example-token")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (key, value) in extra {
        env.retain(|(k, _)| k != key);
        env.push(((*key).to_owned(), value.clone()));
    }
    env
}

/// The console as `user` (the README's command line), 80×24.
pub(crate) fn console(dir: &Path, config: &Path, user: &str) -> Session {
    let command = blocks("sh")[1].trim();
    assert_eq!(
        command,
        "OPSDECK_CONFIG=try.toml OPSDECK_PLATFORM_TOKEN=sam-example-token opsdeck"
    );
    let env = console_env(dir, config, &format!("home-{user}"), user, &[]);
    Session::start(&[], &env, dir)
}

/// A session on the cluster's socket (the TCP side accepts only TLS) whose query sleeps,
/// tagged with `tag` so the console's filter finds it. Returns the client's pid and the
/// query's outcome.
async fn victim(cluster: &PgCluster, tag: &str) -> (i32, tokio::task::JoinHandle<String>) {
    let (client, connection) = tokio_postgres::Config::new()
        .host_path(cluster.socket_dir())
        .port(cluster.port())
        .user("postgres")
        .dbname("postgres")
        .connect(NoTls)
        .await
        .expect("victim connects");
    tokio::spawn(connection);
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let sql = format!("SELECT pg_sleep(600) /* {tag} */");
    let query = tokio::spawn(async move {
        let client: Client = client;
        match client.simple_query(&sql).await {
            Ok(_) => "finished".to_owned(),
            Err(e) => e
                .as_db_error()
                .map_or(e.to_string(), |d| d.message().to_owned()),
        }
    });
    (pid, query)
}

/// What the query of `victim` ended with, once it did.
async fn ended(query: tokio::task::JoinHandle<String>) -> String {
    tokio::time::timeout(WAIT, query)
        .await
        .expect("the query ended")
        .unwrap()
}

/// Selects the session whose query mentions `tag` with the pane's filter; `esc` first
/// clears the filter a previous selection left.
fn select(s: &mut Session, tag: &str, clear: bool) {
    if clear {
        s.send("\x1b");
        // A lone escape: followed at once by `/` it would read as alt-/.
        s.settle(Duration::from_millis(300));
    }
    s.send("/");
    s.send(tag);
    s.send("\r");
    s.expect_screen(tag, WAIT);
}

/// The target refs of `actor`'s `action` intents that have an outcome, from the audit trail.
pub(crate) async fn audited(server: &Server, actor: &str, action: &str) -> Vec<String> {
    let client =
        PlatformClient::new(&server.url, Token::new(format!("{actor}-example-token"))).unwrap();
    let query = EventQuery {
        actor: Some(actor.to_owned()),
        action: Some(action.to_owned()),
        ..EventQuery::default()
    };
    let page = client.list_events(&query).await.unwrap();
    page.items
        .into_iter()
        .filter(|item| item.outcome.is_some())
        .filter_map(|item| match item.event.body {
            EventBody::Intent { target, .. } => Some(target.reference),
            _ => None,
        })
        .collect()
}

/// A test PKI and a PostgreSQL that accepts only TLS with its server certificate; `None`
/// (outside CI only) when the cluster cannot start.
pub(crate) fn tls_cluster() -> Option<(Pki, PgCluster)> {
    let pki = Pki::new();
    let files = pg::TlsFiles {
        server_cert: pki.server_cert.clone(),
        server_key: pki.server_key.clone(),
        ca: pki.ca.clone(),
    };
    match PgCluster::start_tls(&files) {
        Ok(cluster) => Some((pki, cluster)),
        Err(reason) => pg::unavailable(&reason),
    }
}

/// Waits until `actor`'s `action` with its outcome is in the audit trail on a target that
/// `wanted` accepts (the outcome is recorded just after the action ran).
pub(crate) async fn until_audited(
    server: &Server,
    actor: &str,
    action: &str,
    wanted: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + WAIT;
    loop {
        let targets = audited(server, actor, action).await;
        if targets.iter().any(|t| wanted(t)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{action} by {actor}, with its outcome, in the audit trail: {targets:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_try_it_locally_steps_work_over_tls() {
    let Some((pki, cluster)) = tls_cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = serve_as_the_readme_says(dir.path());

    // The README's curl answer.
    let me: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/me", server.url))
        .bearer_auth("sam-example-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let said = blocks("sh")[0]
        .lines()
        .find_map(|l| l.strip_prefix("# {"))
        .expect("the README shows /v1/me's answer");
    let said: serde_json::Value = serde_json::from_str(&format!("{{{said}")).unwrap();
    assert_eq!(me, said);

    let config = write_config(dir.path(), &server, &cluster, &pki);

    sam_cancels_and_terminates(&cluster, &server, dir.path(), &config).await;
    alice_is_refused_with_the_reason(&cluster, dir.path(), &config).await;
    priya_approves_sams_request(&server, dir.path(), &config).await;
}

/// sam cancels a query and terminates a backend; both are in the audit trail.
async fn sam_cancels_and_terminates(
    cluster: &PgCluster,
    server: &Server,
    dir: &Path,
    config: &Path,
) {
    let (cancelled_pid, cancelled) = victim(cluster, "try-it-cancel").await;
    let (terminated_pid, terminated) = victim(cluster, "try-it-terminate").await;
    let mut sam = console(dir, config, "sam");
    sam.expect_screen("ctx local", WAIT);
    sam.send("5");
    select(&mut sam, "try-it-cancel", false);
    sam.send("c");
    sam.expect_screen("policy allows it", WAIT);
    sam.send("\r");
    assert_eq!(
        ended(cancelled).await,
        "canceling statement due to user request"
    );
    select(&mut sam, "try-it-terminate", true);
    sam.send("x");
    sam.expect_screen("policy allows it", WAIT);
    sam.send("\r");
    assert_eq!(
        ended(terminated).await,
        "terminating connection due to administrator command"
    );
    for (action, pid) in [
        ("pg.cancel", cancelled_pid),
        ("pg.terminate", terminated_pid),
    ] {
        let wanted = format!("orders-db/{pid}");
        until_audited(server, "sam", action, |t| t.ends_with(&wanted)).await;
    }
    drop(sam);
}

/// alice is refused both, with the reason on screen, and nothing is sent.
async fn alice_is_refused_with_the_reason(cluster: &PgCluster, dir: &Path, config: &Path) {
    let (alice_pid, alice_victim) = victim(cluster, "try-it-alice").await;
    let mut alice = console(dir, config, "alice");
    alice.expect_screen("ctx local", WAIT);
    alice.send("5");
    select(&mut alice, "try-it-alice", false);
    for (key, action) in [("c", "pg.cancel"), ("x", "pg.terminate")] {
        alice.send(key);
        alice.expect_screen("policy denies it", WAIT);
        let screen = alice.screen();
        assert!(
            screen.contains("none of your groups") && screen.contains(action),
            "the reason names the rule's verdict and the action:\n{screen}"
        );
        alice.send("\r");
        alice.settle(Duration::from_millis(300));
        alice.send("\x1b");
        alice.settle(Duration::from_millis(300));
    }
    alice.settle(Duration::from_secs(1));
    assert!(!alice_victim.is_finished(), "alice's refusals sent nothing");
    let still = cluster
        .psql(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = {alice_pid}"
        ))
        .unwrap();
    assert_eq!(still.trim(), "1");
    drop(alice);
    alice_victim.abort();
}

/// sam files a topic request (typing its owner, as there is no catalog); he cannot approve
/// it himself; priya, the other approver, does from her queue.
async fn priya_approves_sams_request(server: &Server, dir: &Path, config: &Path) {
    let mut sam = console(dir, config, "sam");
    sam.expect_screen("ctx local", WAIT);
    sam.send("8");
    sam.send("t");
    sam.expect_screen("Owner", WAIT);
    sam.send("orders.refunds.v1");
    sam.send("\t\t\t\t\t");
    sam.send("orders-service");
    sam.send("\t");
    sam.send("refunds for the try-it steps");
    sam.send("\r");
    sam.expect_screen("orders.refunds.v1", WAIT);
    let as_sam = PlatformClient::new(&server.url, Token::new("sam-example-token")).unwrap();
    let deadline = Instant::now() + WAIT;
    let request = loop {
        if let Some(r) = as_sam
            .list_requests(false)
            .await
            .unwrap()
            .into_iter()
            .next()
        {
            break r;
        }
        assert!(Instant::now() < deadline, "sam's request was never filed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(request.state, RequestState::Submitted, "{request:?}");
    let RequestSpec::KafkaTopic(topic) = &request.spec else {
        panic!("a topic request: {request:?}")
    };
    assert_eq!(
        (topic.name.as_str(), topic.owner_service.as_str()),
        ("orders.refunds.v1", "orders-service")
    );
    // Four eyes: sam cannot approve his own request.
    assert!(as_sam.approve_request(&request.id).await.is_err());
    drop(sam);

    let mut priya = console(dir, config, "priya");
    priya.expect_screen("ctx local", WAIT);
    priya.send("8");
    // Her own list first: the platform has said who she is.
    priya.expect_screen("no requests yet", WAIT);
    priya.send("\t");
    priya.expect_screen("orders.refunds.v1", WAIT);
    priya.send("a");
    priya.expect_screen("orders-service", WAIT);
    priya.send("\r");
    let deadline = Instant::now() + WAIT;
    loop {
        let now = as_sam.get_request(&request.id).await.unwrap();
        if now.state == RequestState::Approved {
            assert_eq!(now.decided_by.as_deref(), Some("priya"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "priya's approval did not land: {now:?}\n{}",
            priya.screen()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
