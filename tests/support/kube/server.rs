//! The server itself: the state every handler shares (the object store, its change history,
//! the broadcast that wakes open watches, the pod logs), starting it on a free loopback port,
//! and the kubeconfig and kube-rs client that point at it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use serde_json::Value;
use tokio::sync::broadcast;

use super::access::{ForbidRule, SsarRule};
use super::logs::{LogSignal, LogStore};
use super::recording::{RequestRecord, WriteRecord};
use super::routing::handle;
use super::types::{Key, ResourceType, builtin_types};
use super::{CONTEXT, DEFAULT_USER, TOKEN};

/// A change in the store, kept so a watch can start from any later resourceVersion.
#[derive(Debug)]
pub(super) struct Change {
    pub(super) rv: u64,
    pub(super) kind: &'static str,
    pub(super) key: Key,
    pub(super) object: Value,
}

/// What the store and the test tell open watches.
#[derive(Debug, Clone)]
pub(super) enum Signal {
    Change(Arc<Change>),
    /// A BOOKMARK at this resourceVersion (taken when sent, not when a watcher gets to it).
    Bookmark(u64),
    /// End every open watch with an `ERROR` 410 event.
    Expire,
    /// End every open watch cleanly (as the server does at `timeoutSeconds`).
    Close,
}

/// The mutable state, behind one lock: objects, history, types, records and rules.
pub(super) struct Inner {
    pub(super) rv: u64,
    pub(super) objects: BTreeMap<Key, Value>,
    pub(super) history: Vec<Arc<Change>>,
    /// Watches from a resourceVersion below this get 410 Expired.
    pub(super) compacted_below: u64,
    pub(super) expire_next_watch: bool,
    pub(super) types: Vec<ResourceType>,
    pub(super) requests: Vec<RequestRecord>,
    pub(super) writes: Vec<WriteRecord>,
    pub(super) forbidden: Vec<ForbidRule>,
    pub(super) ssar_rules: Vec<SsarRule>,
    pub(super) ssar_requests: Vec<Value>,
    pub(super) user: String,
    pub(super) next_uid: u64,
}

/// What the handlers and the [`KubeServer`] share.
pub(super) struct Shared {
    pub(super) inner: Mutex<Inner>,
    pub(super) signals: broadcast::Sender<Signal>,
    pub(super) open_watches: AtomicUsize,
    pub(super) addr: SocketAddr,
    /// Pod logs (see [`KubeServer::push_log`]).
    pub(super) logs: Mutex<LogStore>,
    pub(super) log_signals: broadcast::Sender<LogSignal>,
    pub(super) open_log_streams: AtomicUsize,
    /// Exec sessions (see [`KubeServer::exec_sessions`]).
    pub(super) execs: Mutex<Vec<super::exec::ExecRecord>>,
    /// Port-forward connections (see [`KubeServer::forward_sessions`]).
    pub(super) forwards: Mutex<Vec<super::portforward::ForwardRecord>>,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running server; it stops (and ends every open watch) on Drop.
pub struct KubeServer {
    pub addr: SocketAddr,
    pub(super) shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for KubeServer {
    fn drop(&mut self) {
        let _ = self.shared.signals.send(Signal::Close);
        self.task.abort();
    }
}

impl KubeServer {
    /// Starts a server on a free loopback port holding `objects` (see [`fixtures`]).
    pub async fn start(objects: Vec<Value>) -> KubeServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        // Room for bursts of changes; a watcher that still falls behind gets a 410, as on a real
        // server whose watch cache moved on.
        let (signals, _) = broadcast::channel(4096);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                rv: 0,
                objects: BTreeMap::new(),
                history: Vec::new(),
                compacted_below: 0,
                expire_next_watch: false,
                types: builtin_types(),
                requests: Vec::new(),
                writes: Vec::new(),
                forbidden: Vec::new(),
                ssar_rules: Vec::new(),
                ssar_requests: Vec::new(),
                user: DEFAULT_USER.into(),
                next_uid: 0,
            }),
            signals,
            open_watches: AtomicUsize::new(0),
            addr,
            logs: Mutex::new(LogStore::default()),
            log_signals: broadcast::channel(4096).0,
            open_log_streams: AtomicUsize::new(0),
            execs: Mutex::new(Vec::new()),
            forwards: Mutex::new(Vec::new()),
        });
        let server = KubeServer {
            addr,
            shared: Arc::clone(&shared),
            task: tokio::spawn(async move {
                let app = Router::new().fallback(handle).with_state(shared);
                axum::serve(listener, app).await.expect("serve");
            }),
        };
        for object in objects {
            server.insert(object);
        }
        server
    }

    /// `http://127.0.0.1:port`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig with one context ([`CONTEXT`], default namespace `shop`) pointing here.
    #[must_use]
    pub fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\npreferences: {{}}\ncurrent-context: {CONTEXT}\n\
             clusters:\n- name: {CONTEXT}\n  cluster:\n    server: {url}\n\
             contexts:\n- name: {CONTEXT}\n  context:\n    cluster: {CONTEXT}\n    user: {CONTEXT}\n    namespace: shop\n\
             users:\n- name: {CONTEXT}\n  user:\n    token: {TOKEN}\n",
            url = self.url()
        )
    }

    /// Writes [`Self::kubeconfig_yaml`] to `dir/kubeconfig` and returns the path.
    #[must_use]
    pub fn write_kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(&path, self.kubeconfig_yaml()).expect("write kubeconfig");
        path
    }

    /// A real kube-rs client built the way opsdeck builds one: read a kubeconfig file, then
    /// `Config::from_custom_kubeconfig`.
    pub async fn client(&self) -> kube::Client {
        self.client_via(&self.url()).await
    }

    /// [`Self::client`], but reaching the server at `url` (a proxy in front of it, such as
    /// `support::blackhole`).
    pub async fn client_via(&self, url: &str) -> kube::Client {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("kubeconfig");
        let yaml = self.kubeconfig_yaml().replace(&self.url(), url);
        std::fs::write(&path, yaml).expect("write kubeconfig");
        let kubeconfig = kube::config::Kubeconfig::read_from(&path).expect("kubeconfig parses");
        let config = kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .expect("kubeconfig is usable");
        kube::Client::try_from(config).expect("client")
    }
}
