//! Shared helpers: a fresh database per test, client sessions that play the chain's parts,
//! and waiting for a state by polling (never by sleeping a fixed time).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use opsdeck::config::PgDatabase;
use opsdeck::model::pg::PgSnapshot;
use opsdeck::sources::postgres::{Monitor, PgSettings};
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls};

use crate::support::pg::{self, PgCluster};

/// Server settings of this binary's cluster: prepared transactions for the pid-0 test, and
/// `pg_stat_statements` loaded (with query ids) for the top statements.
pub const SETTINGS: &[&str] = &[
    "max_prepared_transactions=10",
    "shared_preload_libraries=pg_stat_statements",
    "compute_query_id=on",
];

/// Generous bound on any wait for a server state.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// One test's database.
pub struct TestDb {
    /// Keeps the shared cluster running while the test does.
    pub _cluster: Arc<PgCluster>,
    pub url: String,
    /// `datname`; also the opsdeck name of the database.
    pub name: String,
    pub db: PgDatabase,
}

impl TestDb {
    /// The same database as another role.
    pub fn as_role(&self, role: &str) -> PgDatabase {
        PgDatabase {
            name: self.name.clone(),
            dsn: self.url.replacen("postgres@", &format!("{role}@"), 1),
            password: None,
            ssl_password: None,
        }
    }

    /// A monitor with the default settings.
    pub async fn monitor(&self) -> Monitor {
        Monitor::connect(&self.db, &PgSettings::default())
            .await
            .unwrap()
    }

    /// Runs SQL as the superuser in this database.
    pub async fn exec(&self, sql: &str) {
        let s = session(&self.url, "opsdeck-test-setup").await;
        s.client.batch_execute(sql).await.unwrap();
    }
}

/// A fresh database on this binary's shared cluster; `None` = skip (outside CI only).
pub async fn test_db(prefix: &'static str) -> Option<TestDb> {
    let cluster = tokio::task::spawn_blocking(|| pg::shared_with(SETTINGS))
        .await
        .unwrap()?;
    let c = cluster.clone();
    let url = tokio::task::spawn_blocking(move || c.fresh_database(prefix))
        .await
        .unwrap();
    let name = url.rsplit('/').next().unwrap().to_owned();
    let db = PgDatabase {
        name: name.clone(),
        dsn: url.clone(),
        password: None,
        ssl_password: None,
    };
    Some(TestDb {
        _cluster: cluster,
        url,
        name,
        db,
    })
}

/// One client connection playing a part.
pub struct Session {
    pub client: Client,
    pub pid: i32,
    pub backend_start: Timestamp,
}

/// Connects to `url` with `application_name = app`.
pub async fn session(url: &str, app: &str) -> Session {
    let (client, connection) =
        tokio_postgres::connect(&format!("{url}?application_name={app}"), NoTls)
            .await
            .unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let row = client
        .query_one(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    let start: SystemTime = row.get(1);
    Session {
        pid: row.get(0),
        backend_start: Timestamp::try_from(start).unwrap(),
        client,
    }
}

/// Runs a statement that will block, in the background; the session comes back with the
/// statement's result once it finishes.
pub fn run_blocking(
    s: Session,
    sql: &'static str,
) -> JoinHandle<(Session, Result<(), tokio_postgres::Error>)> {
    tokio::spawn(async move {
        let r = s.client.batch_execute(sql).await;
        (s, r)
    })
}

/// Waits for a background statement to finish.
pub async fn finished(
    task: JoinHandle<(Session, Result<(), tokio_postgres::Error>)>,
) -> (Session, Result<(), tokio_postgres::Error>) {
    tokio::time::timeout(PATIENCE, task)
        .await
        .expect("statement still blocked")
        .unwrap()
}

/// `snapshot` restricted to one database's sessions and prepared transactions: the
/// cluster is shared with tests running in parallel.
pub fn only(mut snapshot: PgSnapshot, datname: &str) -> PgSnapshot {
    snapshot.sessions.retain(|s| s.database == datname);
    snapshot.prepared.retain(|p| p.database == datname);
    snapshot
}

/// Polls until `ok` holds for this database's part of the snapshot.
pub async fn wait_for(
    monitor: &Monitor,
    datname: &str,
    what: &str,
    ok: impl Fn(&PgSnapshot) -> bool,
) -> PgSnapshot {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut last = None;
    loop {
        match monitor.poll().await {
            Ok(snapshot) => {
                let mine = only(snapshot, datname);
                if ok(&mine) {
                    return mine;
                }
                last = Some(mine);
            }
            Err(e) => eprintln!("poll: {e}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; last snapshot: {last:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until `pid` waits on a heavyweight lock.
pub async fn wait_waiting(monitor: &Monitor, datname: &str, pid: i32) -> PgSnapshot {
    wait_for(monitor, datname, &format!("{pid} to wait on a lock"), |s| {
        s.session(pid)
            .is_some_and(opsdeck::model::pg::PgSession::is_waiting_on_lock)
    })
    .await
}

/// `f` with a bound, so a wrong lock never hangs the suite.
pub async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {PATIENCE:?}"))
}
