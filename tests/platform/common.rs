//! Shared setup: servers over either store, users and policy, a counting executor.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use opsdeck::actions::{
    ActionRequest, AuditGate, ExecResult, Executor, Journal, KillMode, local_client_info,
};
use opsdeck::model::platform::{OutcomeStatus, Request, RequestState};
use opsdeck::platform::auth::{Identity, Tokens};
use opsdeck::platform::policy::Policy;
use opsdeck::platform::{LocalServer, ServeOptions, Source, StoreUrl, spawn_local};
use opsdeck::sources::platform::{PlatformClient, Token};

use crate::support::pg;

/// Generates `sqlite` and `postgres` tests calling `async fn $name(kind: StoreKind)`.
#[macro_export]
macro_rules! both_stores {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::StoreKind::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::StoreKind::Postgres).await;
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

pub const ALICE: &str = "alice-token"; // dev
pub const SAM: &str = "sam-token"; // sre
pub const LEE: &str = "lee-token"; // leads (approver), sre
pub const VIC: &str = "vic-token"; // viewers: no rule grants anything

pub const POLICY: &str = r#"
approvers = ["leads"]
[[rule]]
action = "kafka.topic.delete"
groups = ["sre"]
approval = true
[[rule]]
action = "pg.*"
groups = ["dev", "sre"]
[[rule]]
action = "argocd.app.*"
groups = ["dev", "sre"]
[[rule]]
action = "request.*"
groups = ["dev", "sre", "leads"]
[[rule]]
action = "*"
groups = ["sre"]
"#;

pub fn tokens() -> Tokens {
    let mut t = Tokens::default();
    for (token, user, groups) in [
        (ALICE, "alice", vec!["dev"]),
        (SAM, "sam", vec!["sre"]),
        (LEE, "lee", vec!["leads", "sre"]),
        (VIC, "vic", vec!["viewers"]),
    ] {
        t.insert_token(
            token,
            Identity {
                user: user.into(),
                groups: groups.into_iter().map(String::from).collect(),
            },
        );
    }
    t
}

/// A store (and what keeps it alive) for one test.
pub struct TestStore {
    pub url: StoreUrl,
    pub dir: tempfile::TempDir,
    _pg: Option<Arc<pg::PgCluster>>,
}

impl TestStore {
    /// `None` when PostgreSQL is unavailable outside CI (the test then skips).
    pub async fn new(kind: StoreKind) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        match kind {
            StoreKind::Sqlite => Some(Self {
                url: StoreUrl::Sqlite(dir.path().join("platform.db")),
                dir,
                _pg: None,
            }),
            StoreKind::Postgres => {
                let cluster = tokio::task::spawn_blocking(pg::shared).await.unwrap()?;
                let url = cluster.fresh_database("platform");
                Some(Self {
                    url: StoreUrl::Postgres(url),
                    dir,
                    _pg: Some(cluster),
                })
            }
        }
    }

    pub fn options(&self) -> ServeOptions {
        ServeOptions::new(
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            self.url.clone(),
            Source::Value(tokens()),
            Source::Value(Policy::parse(POLICY).unwrap()),
        )
    }

    pub async fn serve(&self) -> LocalServer {
        spawn_local(self.options()).await.unwrap()
    }

    pub async fn serve_with(&self, f: impl FnOnce(&mut ServeOptions)) -> LocalServer {
        let mut opts = self.options();
        f(&mut opts);
        spawn_local(opts).await.unwrap()
    }
}

pub fn client(server: &LocalServer, token: &str) -> PlatformClient {
    client_at(&server.url(), token, Duration::from_secs(10))
}

pub fn client_at(url: &str, token: &str, timeout: Duration) -> PlatformClient {
    PlatformClient::new(url, Token::new(token))
        .unwrap()
        .with_timeout(timeout)
}

pub fn gate(client: PlatformClient, journal_dir: &Path, actor: &str) -> AuditGate {
    AuditGate::new(
        client,
        Journal::open(journal_dir).unwrap(),
        actor,
        local_client_info(),
    )
}

/// Counts executions; answers with a fixed status.
#[derive(Debug)]
pub struct CountingExecutor {
    pub count: AtomicUsize,
    pub status: OutcomeStatus,
}

impl CountingExecutor {
    pub fn new() -> Self {
        Self {
            count: AtomicUsize::new(0),
            status: OutcomeStatus::Succeeded,
        }
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

impl Executor for CountingExecutor {
    async fn execute(&self, request: &ActionRequest) -> ExecResult {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        ExecResult {
            status: self.status,
            detail: format!("{} executed (#{n})", request.action_name()),
        }
    }
}

pub fn cancel(database: &str, pid: i32) -> ActionRequest {
    ActionRequest::KillQuery {
        database: database.into(),
        pid,
        backend_start: "2025-01-01T00:00:00Z".into(),
        query_start: None,
        mode: KillMode::Cancel,
    }
}

/// Polls a request until it leaves `approved`/`provisioning` (or 10 s pass).
pub async fn settle(client: &PlatformClient, id: &str) -> Request {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = client.get_request(id).await.unwrap();
        let busy = r.state == RequestState::Provisioning
            || (r.state == RequestState::Approved && r.state_reason.is_none());
        if !busy || tokio::time::Instant::now() > deadline {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
