//! A Kubernetes API server test peer: an in-process axum server speaking the wire format the
//! real API server uses for the resources opsdeck touches, so the real kube-rs client code
//! runs against it through a generated kubeconfig.
//!
//! Reached as `support::kube` from a test binary that includes `tests/support/mod.rs`.
//!
//! What it speaks, and why each piece matters to a client:
//! - LIST with a global, monotonically increasing `resourceVersion` on the list and on every
//!   item, `labelSelector` (equality and existence), `fieldSelector` (dotted paths, which is what
//!   kube-rs's watcher sends as `metadata.name=X` for one object), `limit`/`continue` pages.
//!   Items of built-in lists carry no `apiVersion`/`kind` (the real server omits them; custom
//!   resource lists keep them), so a client that reads `kind` from a list item fails here too.
//! - WATCH as newline-delimited `{"type":…,"object":…}` events after the given
//!   `resourceVersion`, bookmarks on request, `timeoutSeconds`. A watch from a compacted
//!   `resourceVersion`, or any watch after [`KubeServer::set_expire_next_watch`], answers
//!   `200 OK` with one `ERROR` event carrying a `Status` of `code: 410, reason: Expired`, which is
//!   how the real server says 410 Gone inside a stream; kube-rs's watcher then re-lists.
//! - GET, POST, PUT, DELETE, and PATCH (merge, JSON, strategic, apply) on the object and on the
//!   `/status` subresource, with the real server's split: a write to the object keeps the old
//!   `status` and a write to `/status` keeps everything but `status` (for types with a status
//!   subresource; Argo CD's `Application` has none, so its `/status` is a 404). Every write is
//!   recorded (path, subresource, content type, body) so tests assert the exact patch.
//! - Errors as `Status` objects with the real messages: 404 NotFound, 403 Forbidden (see
//!   [`KubeServer::forbid`]), 409 Conflict on a stale `resourceVersion`, 415 for a strategic
//!   merge patch on a custom resource.
//! - `SelfSubjectAccessReview` answered from configurable rules, and minimal discovery
//!   (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}`).
//! - Pod logs (`GET …/pods/{name}/log`) from lines a test pushes per pod and container
//!   ([`KubeServer::push_log`], [`KubeServer::push_previous_log`]), honouring `container` (a
//!   400 when it is missing on a multi-container pod or unknown), `follow`, `timestamps` (the
//!   kubelet's nine-digit RFC3339Nano prefix), `sinceTime`, `sinceSeconds`, `previous` and
//!   `tailLines`. A followed stream ends when its pod is deleted or on
//!   [`KubeServer::cut_log_streams`] (a disconnect); [`KubeServer::log_requests`] lists the
//!   requests as sent.
//!
//! Fixtures shaped like real objects live in `tests/support/fixtures/k8s/`; see [`fixtures`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, mpsc};

/// The user named in Forbidden messages and the default SSAR reason.
pub const DEFAULT_USER: &str = "dev";
/// The bearer token the generated kubeconfig carries (recorded, never checked).
pub const TOKEN: &str = "opsdeck-test-token";
/// The context, cluster and user name of the generated kubeconfig.
pub const CONTEXT: &str = "kind-shop";

/// One kind of resource the server serves (routing, list kinds, discovery).
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    /// Whether `/status` is a separate subresource (the object write then ignores `status`).
    pub status_subresource: bool,
    /// Built into the API server (lists omit item `apiVersion`/`kind`) rather than a CRD.
    pub builtin: bool,
    pub short_names: Vec<String>,
}

impl ResourceType {
    fn new(group: &str, version: &str, plural: &str, kind: &str) -> Self {
        Self {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
            singular: kind.to_ascii_lowercase(),
            kind: kind.into(),
            namespaced: true,
            status_subresource: true,
            builtin: !group.contains('.') || group.ends_with(".k8s.io"),
            short_names: Vec::new(),
        }
    }

    fn cluster(mut self) -> Self {
        self.namespaced = false;
        self
    }

    fn no_status(mut self) -> Self {
        self.status_subresource = false;
        self
    }

    fn short(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// `v1` or `argoproj.io/v1alpha1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `rollouts.argoproj.io`, as the real server names a resource in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The types served out of the box: what the Kubernetes, Argo CD and rollouts panes use.
pub fn builtin_types() -> Vec<ResourceType> {
    vec![
        ResourceType::new("", "v1", "namespaces", "Namespace").cluster(),
        ResourceType::new("", "v1", "nodes", "Node").cluster(),
        ResourceType::new("", "v1", "pods", "Pod").short(&["po"]),
        ResourceType::new("", "v1", "services", "Service").short(&["svc"]),
        ResourceType::new("", "v1", "configmaps", "ConfigMap")
            .no_status()
            .short(&["cm"]),
        ResourceType::new("", "v1", "secrets", "Secret").no_status(),
        ResourceType::new("", "v1", "events", "Event")
            .no_status()
            .short(&["ev"]),
        ResourceType::new("apps", "v1", "deployments", "Deployment").short(&["deploy"]),
        ResourceType::new("apps", "v1", "replicasets", "ReplicaSet").short(&["rs"]),
        ResourceType::new("apps", "v1", "statefulsets", "StatefulSet").short(&["sts"]),
        ResourceType::new("apps", "v1", "daemonsets", "DaemonSet").short(&["ds"]),
        ResourceType::new("events.k8s.io", "v1", "events", "Event").no_status(),
        // Argo CD's Application CRD declares no status subresource: status is written on the
        // object itself, and `/status` is a 404.
        ResourceType::new("argoproj.io", "v1alpha1", "applications", "Application")
            .no_status()
            .short(&["app", "apps"]),
        ResourceType::new("argoproj.io", "v1alpha1", "appprojects", "AppProject")
            .no_status()
            .short(&["appproj", "appprojs"]),
        ResourceType::new("argoproj.io", "v1alpha1", "rollouts", "Rollout").short(&["ro"]),
        ResourceType::new("argoproj.io", "v1alpha1", "analysisruns", "AnalysisRun").short(&["ar"]),
        ResourceType::new(
            "argoproj.io",
            "v1alpha1",
            "analysistemplates",
            "AnalysisTemplate",
        )
        .no_status()
        .short(&["at"]),
        ResourceType::new("argoproj.io", "v1alpha1", "experiments", "Experiment").short(&["exp"]),
    ]
}

/// Where an object lives in the store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub api_version: String,
    pub plural: String,
    /// `""` for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: String,
    /// `list`, `watch`, `get`, `create`, `update`, `patch`, `delete`, `discovery`,
    /// `selfsubjectaccessreview` or `unknown`.
    pub verb: String,
    /// The plural resource name, `""` for discovery.
    pub resource: String,
    pub subresource: Option<String>,
    pub authorization: Option<String>,
}

/// One write (PATCH, PUT, POST, DELETE) as received, before it was applied.
#[derive(Debug, Clone)]
pub struct WriteRecord {
    pub method: String,
    /// The request path, e.g. `/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/x/status`.
    pub path: String,
    pub subresource: Option<String>,
    pub content_type: String,
    /// The body parsed as JSON (YAML for apply patches); a string when it parses as neither.
    pub body: Value,
    pub query: String,
    /// The HTTP status the server answered.
    pub status: u16,
}

/// A request the server answers with 403 Forbidden.
#[derive(Debug, Clone)]
pub struct ForbidRule {
    /// `get list watch create update patch delete`, or `*`.
    pub verb: String,
    pub group: String,
    pub resource: String,
    /// `None` forbids the object itself, `Some("status")` its status subresource only.
    pub subresource: Option<String>,
    /// `None` for every namespace.
    pub namespace: Option<String>,
}

impl ForbidRule {
    pub fn new(verb: &str, group: &str, resource: &str) -> Self {
        Self {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: None,
            namespace: None,
        }
    }

    pub fn subresource(mut self, sub: &str) -> Self {
        self.subresource = Some(sub.into());
        self
    }

    pub fn namespace(mut self, ns: &str) -> Self {
        self.namespace = Some(ns.into());
        self
    }

    fn matches(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        sub: Option<&str>,
        ns: &str,
    ) -> bool {
        (self.verb == "*" || self.verb == verb)
            && self.group == group
            && self.resource == resource
            && self.subresource.as_deref() == sub
            && self.namespace.as_deref().is_none_or(|n| n == ns)
    }
}

/// An answer to a `SelfSubjectAccessReview`. Empty `subresource` means the object itself;
/// `"*"` in `verb`, `group` or `resource` matches anything.
#[derive(Debug, Clone)]
pub struct SsarRule {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: Option<String>,
    pub allowed: bool,
    pub reason: String,
}

impl SsarRule {
    fn matches(&self, attrs: &Value) -> bool {
        let field = |name: &str| attrs.get(name).and_then(Value::as_str).unwrap_or_default();
        let wild = |rule: &str, have: &str| rule == "*" || rule == have;
        wild(&self.verb, field("verb"))
            && wild(&self.group, field("group"))
            && wild(&self.resource, field("resource"))
            && self.subresource == field("subresource")
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| n == field("namespace"))
    }
}

/// A change in the store, kept so a watch can start from any later resourceVersion.
#[derive(Debug)]
struct Change {
    rv: u64,
    kind: &'static str,
    key: Key,
    object: Value,
}

#[derive(Debug, Clone)]
enum Signal {
    Change(Arc<Change>),
    /// A BOOKMARK at this resourceVersion (taken when sent, not when a watcher gets to it).
    Bookmark(u64),
    /// End every open watch with an `ERROR` 410 event.
    Expire,
    /// End every open watch cleanly (as the server does at `timeoutSeconds`).
    Close,
}

struct Inner {
    rv: u64,
    objects: BTreeMap<Key, Value>,
    history: Vec<Arc<Change>>,
    /// Watches from a resourceVersion below this get 410 Expired.
    compacted_below: u64,
    expire_next_watch: bool,
    types: Vec<ResourceType>,
    requests: Vec<RequestRecord>,
    writes: Vec<WriteRecord>,
    forbidden: Vec<ForbidRule>,
    ssar_rules: Vec<SsarRule>,
    ssar_requests: Vec<Value>,
    user: String,
    next_uid: u64,
}

struct Shared {
    inner: Mutex<Inner>,
    signals: broadcast::Sender<Signal>,
    open_watches: AtomicUsize,
    addr: SocketAddr,
    /// Pod logs (see [`KubeServer::push_log`]).
    logs: Mutex<LogStore>,
    log_signals: broadcast::Sender<LogSignal>,
    open_log_streams: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running server; it stops (and ends every open watch) on Drop.
pub struct KubeServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
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
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig with one context ([`CONTEXT`], default namespace `shop`) pointing here.
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
    pub fn write_kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(&path, self.kubeconfig_yaml()).expect("write kubeconfig");
        path
    }

    /// A real kube-rs client built the way opsdeck builds one: read a kubeconfig file, then
    /// `Config::from_custom_kubeconfig`.
    pub async fn client(&self) -> kube::Client {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = self.write_kubeconfig(dir.path());
        let kubeconfig = kube::config::Kubeconfig::read_from(&path).expect("kubeconfig parses");
        let config = kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .expect("kubeconfig is usable");
        kube::Client::try_from(config).expect("client")
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().rv
    }

    /// Registers another resource type (a CRD the built-in table lacks).
    pub fn register(&self, ty: ResourceType) {
        let mut inner = self.shared.lock();
        inner
            .types
            .retain(|t| !(t.api_version() == ty.api_version() && t.plural == ty.plural));
        inner.types.push(ty);
    }

    /// Turns the status subresource of `plural` on or off (to exercise clients that fall back
    /// to the object when `/status` is a 404, as `kubectl argo rollouts abort` does).
    pub fn set_status_subresource(&self, plural: &str, on: bool) {
        let mut inner = self.shared.lock();
        for ty in inner.types.iter_mut().filter(|t| t.plural == plural) {
            ty.status_subresource = on;
        }
    }

    /// Adds an object (replacing one with the same key) and emits ADDED. Returns the stored
    /// object, with its new resourceVersion.
    pub fn insert(&self, object: Value) -> Value {
        let mut inner = self.shared.lock();
        let key = key_of(&mut inner, &object);
        self.store(&mut inner, key, object, "ADDED")
    }

    /// Replaces an existing object wholesale (status included, as the controller would) and
    /// emits MODIFIED. Panics if it does not exist: a test typo should not pass as an ADDED.
    pub fn update(&self, object: Value) -> Value {
        let mut inner = self.shared.lock();
        let key = key_of(&mut inner, &object);
        assert!(
            inner.objects.contains_key(&key),
            "update of a missing object {key:?}"
        );
        self.store(&mut inner, key, object, "MODIFIED")
    }

    /// Changes an object in place (found by kind, namespace and name) and emits MODIFIED.
    pub fn modify(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Value {
        let mut object = self
            .object(kind, namespace, name)
            .unwrap_or_else(|| panic!("no {kind} {namespace}/{name}"));
        f(&mut object);
        self.update(object)
    }

    /// Deletes an object and emits DELETED; returns it if it existed.
    pub fn delete(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let mut inner = self.shared.lock();
        let key = inner
            .objects
            .iter()
            .find(|(k, v)| v["kind"] == kind && k.namespace == namespace && k.name == name)
            .map(|(k, _)| k.clone())?;
        Some(remove(&self.shared, &mut inner, &key))
    }

    /// The stored object of this kind, namespace (`""` if cluster-scoped) and name.
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        self.shared
            .lock()
            .objects
            .iter()
            .find(|(k, v)| v["kind"] == kind && k.namespace == namespace && k.name == name)
            .map(|(_, v)| v.clone())
    }

    /// Every stored object of this kind.
    pub fn objects(&self, kind: &str) -> Vec<Value> {
        self.shared
            .lock()
            .objects
            .values()
            .filter(|v| v["kind"] == kind)
            .cloned()
            .collect()
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.clone()
    }

    /// How many requests had this verb on this plural resource (e.g. `("list", "rollouts")`).
    pub fn request_count(&self, verb: &str, resource: &str) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.verb == verb && r.resource == resource)
            .count()
    }

    /// Every write (PATCH, PUT, POST, DELETE) received, including refused ones.
    pub fn writes(&self) -> Vec<WriteRecord> {
        self.shared.lock().writes.clone()
    }

    /// Every PATCH received, including refused ones.
    pub fn patches(&self) -> Vec<WriteRecord> {
        self.writes()
            .into_iter()
            .filter(|w| w.method == "PATCH")
            .collect()
    }

    /// Forgets recorded requests and writes (fixtures loading is not part of a test's story).
    pub fn clear_records(&self) {
        let mut inner = self.shared.lock();
        inner.requests.clear();
        inner.writes.clear();
        inner.ssar_requests.clear();
    }

    /// The next watch request of any resource answers with an `ERROR` 410 Expired event.
    pub fn set_expire_next_watch(&self) {
        self.shared.lock().expire_next_watch = true;
    }

    /// Ends every open watch with an `ERROR` 410 Expired event.
    pub fn expire_watches(&self) {
        let _ = self.shared.signals.send(Signal::Expire);
    }

    /// Ends every open watch cleanly, as the server does at `timeoutSeconds`.
    pub fn close_watches(&self) {
        let _ = self.shared.signals.send(Signal::Close);
    }

    /// Forgets history: a watch from any resourceVersion before now gets 410 Expired.
    pub fn compact(&self) {
        let mut inner = self.shared.lock();
        inner.compacted_below = inner.rv + 1;
        inner.history.clear();
    }

    /// Sends a BOOKMARK at the current resourceVersion to watches that asked for bookmarks.
    pub fn bookmark(&self) {
        let inner = self.shared.lock();
        let _ = self.shared.signals.send(Signal::Bookmark(inner.rv));
    }

    /// How many watch streams are open now.
    pub fn open_watches(&self) -> usize {
        self.shared.open_watches.load(Ordering::SeqCst)
    }

    /// Answer matching requests with 403 Forbidden.
    pub fn forbid(&self, rule: ForbidRule) {
        self.shared.lock().forbidden.push(rule);
    }

    /// The user named in Forbidden messages (default [`DEFAULT_USER`]).
    pub fn set_user(&self, user: &str) {
        self.shared.lock().user = user.into();
    }

    /// SSAR rules are tried in order before the [`ForbidRule`]s (denied if forbidden, allowed
    /// otherwise).
    pub fn add_ssar_rule(&self, rule: SsarRule) {
        self.shared.lock().ssar_rules.push(rule);
    }

    /// An SSAR for this verb/group/resource/subresource (`""` = the object) is allowed.
    pub fn allow_ssar(&self, verb: &str, group: &str, resource: &str, subresource: &str) {
        let user = self.shared.lock().user.clone();
        self.add_ssar_rule(SsarRule {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: subresource.into(),
            namespace: None,
            allowed: true,
            reason: format!(
                "RBAC: allowed by RoleBinding \"opsdeck-operators/shop\" of Role \"rollout-operator\" to User \"{user}\""
            ),
        });
    }

    /// An SSAR for this verb/group/resource/subresource is denied (no reason, as RBAC gives).
    pub fn deny_ssar(&self, verb: &str, group: &str, resource: &str, subresource: &str) {
        self.add_ssar_rule(SsarRule {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: subresource.into(),
            namespace: None,
            allowed: false,
            reason: String::new(),
        });
    }

    /// The `SelfSubjectAccessReview` bodies received.
    pub fn ssar_requests(&self) -> Vec<Value> {
        self.shared.lock().ssar_requests.clone()
    }

    /// Appends a line to the log of a pod's container (its current instance), as the kubelet
    /// would write it at `ts`; open `follow` streams of that container get it at once.
    pub fn push_log(&self, ns: &str, pod: &str, container: &str, ts: jiff::Timestamp, line: &str) {
        self.push_log_entry(ns, pod, container, false, ts, line);
    }

    /// Appends a line to the log of the previous (terminated) instance of a container, which
    /// `previous=true` reads.
    pub fn push_previous_log(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        ts: jiff::Timestamp,
        line: &str,
    ) {
        self.push_log_entry(ns, pod, container, true, ts, line);
    }

    fn push_log_entry(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
        ts: jiff::Timestamp,
        line: &str,
    ) {
        let key = LogKey {
            namespace: ns.into(),
            pod: pod.into(),
            container: container.into(),
            previous,
        };
        let mut logs = self
            .shared
            .logs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        logs.lines
            .entry(key.clone())
            .or_default()
            .push((ts, line.to_owned()));
        // Sent under the lock so a stream that snapshots under it neither misses nor repeats.
        let _ = self.shared.log_signals.send(LogSignal::Pushed(key));
    }

    /// A container restarted: its current log becomes the previous instance's (what
    /// `previous=true` reads) and the current log starts empty.
    pub fn restart_container_log(&self, ns: &str, pod: &str, container: &str) {
        let key = |previous| LogKey {
            namespace: ns.into(),
            pod: pod.into(),
            container: container.into(),
            previous,
        };
        let mut logs = self
            .shared
            .logs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = logs.lines.remove(&key(false)).unwrap_or_default();
        logs.lines.insert(key(true), current);
    }

    /// Ends every open log stream at once (the body ends, as when the API server or a proxy
    /// drops the connection), to exercise a client's resume.
    pub fn cut_log_streams(&self) {
        let _ = self.shared.log_signals.send(LogSignal::Cut);
    }

    /// How many `follow` log streams are open now.
    pub fn open_log_streams(&self) -> usize {
        self.shared.open_log_streams.load(Ordering::SeqCst)
    }

    /// Every pod log request so far, in order (`path` names the pod, `query` holds
    /// `container`, `follow`, `timestamps`, `sinceTime`, `sinceSeconds`, `previous`,
    /// `tailLines` as sent).
    pub fn log_requests(&self) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| r.resource == "pods" && r.subresource.as_deref() == Some("log"))
            .collect()
    }

    fn store(&self, inner: &mut Inner, key: Key, object: Value, kind: &'static str) -> Value {
        store(&self.shared, inner, key, object, kind)
    }
}

// ---------------------------------------------------------------------------------------------
// Pod logs

/// Whose log a line belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LogKey {
    namespace: String,
    pod: String,
    container: String,
    /// The previous (terminated) instance of the container.
    previous: bool,
}

#[derive(Debug, Default)]
struct LogStore {
    /// Lines in the order pushed (tests push them in time order, as a kubelet writes them).
    lines: BTreeMap<LogKey, Vec<(jiff::Timestamp, String)>>,
}

#[derive(Debug, Clone)]
enum LogSignal {
    Pushed(LogKey),
    Cut,
}

/// Counts an open log stream for as long as its task runs.
struct LogStreamGuard(Arc<Shared>);

impl Drop for LogStreamGuard {
    fn drop(&mut self) {
        self.0.open_log_streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A pod shaped like the API server returns it: labels, containers, and a `Running` status
/// with a running state for each container.
pub fn pod_object(ns: &str, name: &str, labels: &[(&str, &str)], containers: &[&str]) -> Value {
    let labels: Map<String, Value> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let specs: Vec<Value> = containers
        .iter()
        .map(|c| json!({"name": c, "image": format!("registry.example/{c}:1.0")}))
        .collect();
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            json!({
                "name": c,
                "image": format!("registry.example/{c}:1.0"),
                "imageID": "",
                "ready": true,
                "restartCount": 0,
                "started": true,
                "state": {"running": {"startedAt": "2026-08-22T08:00:00Z"}},
            })
        })
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": specs},
        "status": {"phase": "Running", "containerStatuses": statuses},
    })
}

/// `2026-08-22T08:00:01.000000001Z`: the kubelet's fixed nine-digit RFC3339Nano.
fn kubelet_time(ts: jiff::Timestamp) -> String {
    format!(
        "{}.{:09}Z",
        ts.strftime("%Y-%m-%dT%H:%M:%S"),
        ts.subsec_nanosecond()
    )
}

fn bad_request(message: &str) -> Response {
    status(StatusCode::BAD_REQUEST, "BadRequest", message, json!({}))
}

/// `GET …/pods/{name}/log`: `container`, `follow`, `timestamps`, `sinceTime`, `sinceSeconds`,
/// `previous`, `tailLines`, with the real server's 400s for a missing or unknown container.
fn pod_log(
    shared: &Arc<Shared>,
    inner: MutexGuard<'_, Inner>,
    target: &Target,
    query: &[(String, String)],
) -> Response {
    let name = target.name.clone().unwrap_or_default();
    let Some(pod) = inner.objects.get(&target.key(&name)).cloned() else {
        return not_found(target, &name);
    };
    drop(inner);
    let containers: Vec<String> = pod["spec"]["containers"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let container = match param(query, "container") {
        Some(c) if containers.iter().any(|have| have == c) => c.to_owned(),
        Some(c) => return bad_request(&format!("container {c} is not valid for pod {name}")),
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return bad_request(&format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            ));
        }
    };
    let previous = is_true(param(query, "previous"));
    let follow = is_true(param(query, "follow"));
    let timestamps = is_true(param(query, "timestamps"));
    let since = if let Some(seconds) = param(query, "sinceSeconds") {
        let Ok(seconds) = seconds.parse::<i64>() else {
            return bad_request(&format!("invalid sinceSeconds: {seconds}"));
        };
        Some(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(seconds))
    } else if let Some(time) = param(query, "sinceTime") {
        let Ok(time) = time.parse::<jiff::Timestamp>() else {
            return bad_request(&format!("invalid sinceTime: {time}"));
        };
        Some(time)
    } else {
        None
    };
    let tail_lines = param(query, "tailLines").and_then(|t| t.parse::<usize>().ok());
    let key = LogKey {
        namespace: target.namespace.clone().unwrap_or_default(),
        pod: name.clone(),
        container: container.clone(),
        previous,
    };
    let render = move |lines: &[(jiff::Timestamp, String)]| -> Vec<u8> {
        let mut out = Vec::new();
        for (ts, line) in lines {
            if since.is_some_and(|s| *ts < s) {
                continue;
            }
            if timestamps {
                out.extend_from_slice(kubelet_time(*ts).as_bytes());
                out.push(b' ');
            }
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        out
    };
    let logs = shared
        .logs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let stored = logs.lines.get(&key).cloned();
    if previous && stored.is_none() {
        return bad_request(&format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        ));
    }
    let stored = stored.unwrap_or_default();
    let mut backlog: Vec<(jiff::Timestamp, String)> = stored
        .iter()
        .filter(|(ts, _)| since.is_none_or(|s| *ts >= s))
        .cloned()
        .collect();
    if let Some(n) = tail_lines {
        backlog.drain(..backlog.len().saturating_sub(n));
    }
    let mut sent = stored.len();
    let first = render(&backlog);
    if !follow {
        drop(logs);
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(first))
            .expect("response");
    }
    let mut signals = shared.log_signals.subscribe();
    drop(logs);
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    shared.open_log_streams.fetch_add(1, Ordering::SeqCst);
    let guard = LogStreamGuard(Arc::clone(shared));
    let shared = Arc::clone(shared);
    let pod_key = target.key(&name);
    tokio::spawn(async move {
        let _guard = guard;
        if !first.is_empty() && tx.send(Bytes::from(first)).await.is_err() {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                signal = signals.recv() => match signal {
                    Ok(LogSignal::Pushed(pushed)) if pushed == key => {
                        let fresh: Vec<(jiff::Timestamp, String)> = {
                            let logs = shared
                                .logs
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            let all = logs.lines.get(&key).map(Vec::as_slice).unwrap_or_default();
                            let fresh = all.get(sent..).unwrap_or_default().to_vec();
                            sent = all.len();
                            fresh
                        };
                        let bytes = render(&fresh);
                        if !bytes.is_empty() && tx.send(Bytes::from(bytes)).await.is_err() {
                            return;
                        }
                    }
                    Ok(LogSignal::Pushed(_)) => {}
                    Ok(LogSignal::Cut) | Err(_) => return,
                },
                _ = tick.tick() => {
                    // The pod is gone: the kubelet ends the stream.
                    if !shared.lock().objects.contains_key(&pod_key) {
                        return;
                    }
                }
                () = tx.closed() => return,
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::TRANSFER_ENCODING, "chunked")
        .body(Body::from_stream(stream))
        .expect("response")
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// `tests/support/fixtures/k8s`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fixtures/k8s")
}

/// One fixture file as written (an object, or a `v1 List` of objects), by file stem.
pub fn fixture(stem: &str) -> Value {
    let path = fixtures_dir().join(format!("{stem}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Every object of every top-level `*.json` fixture, `List`s flattened, in file-name order.
pub fn fixtures() -> Vec<Value> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixture dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .flat_map(|p| {
            let stem = p.file_stem().and_then(|s| s.to_str()).expect("UTF-8 name");
            flatten(fixture(stem))
        })
        .collect()
}

/// The objects of a fixture value: itself, or the items of a `List`.
pub fn flatten(value: Value) -> Vec<Value> {
    if value["kind"] == "List" {
        value["items"].as_array().cloned().unwrap_or_default()
    } else {
        vec![value]
    }
}

// ---------------------------------------------------------------------------------------------
// The store

fn type_of_object<'a>(inner: &'a Inner, object: &Value) -> Option<&'a ResourceType> {
    let api_version = object["apiVersion"].as_str()?;
    let kind = object["kind"].as_str()?;
    inner
        .types
        .iter()
        // Core `Event` and `events.k8s.io` `Event` share a kind: the apiVersion decides.
        .find(|t| t.api_version() == api_version && t.kind == kind)
}

/// The key of an object, registering its type (plural guessed from the kind) if unknown.
fn key_of(inner: &mut Inner, object: &Value) -> Key {
    let api_version = object["apiVersion"]
        .as_str()
        .expect("object has apiVersion")
        .to_owned();
    let kind = object["kind"].as_str().expect("object has kind").to_owned();
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = object["metadata"]["name"]
        .as_str()
        .expect("object has metadata.name")
        .to_owned();
    if type_of_object(inner, object).is_none() {
        let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
        let lower = kind.to_ascii_lowercase();
        let plural = if lower.ends_with('s') {
            format!("{lower}es")
        } else if let Some(stem) = lower.strip_suffix('y') {
            format!("{stem}ies")
        } else {
            format!("{lower}s")
        };
        let mut ty = ResourceType::new(group, version, &plural, &kind);
        ty.namespaced = !namespace.is_empty();
        inner.types.push(ty);
    }
    let plural = type_of_object(inner, object)
        .expect("type registered")
        .plural
        .clone();
    Key {
        api_version,
        plural,
        namespace,
        name,
    }
}

/// Stores an object under a new resourceVersion, records the change and tells watchers.
fn store(
    shared: &Shared,
    inner: &mut Inner,
    key: Key,
    mut object: Value,
    kind: &'static str,
) -> Value {
    inner.rv += 1;
    let rv = inner.rv;
    let old_uid = inner
        .objects
        .get(&key)
        .and_then(|o| o["metadata"]["uid"].as_str().map(str::to_owned));
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    let meta = &mut object["metadata"];
    meta["resourceVersion"] = json!(rv.to_string());
    if meta["uid"].as_str().is_none_or(str::is_empty) {
        let uid = old_uid.unwrap_or_else(|| {
            inner.next_uid += 1;
            format!("0b5e55ed-0000-4000-8000-{:012x}", inner.next_uid)
        });
        meta["uid"] = json!(uid);
    }
    if meta["creationTimestamp"].is_null() {
        meta["creationTimestamp"] = json!("2026-08-22T08:00:00Z");
    }
    inner.objects.insert(key.clone(), object.clone());
    let change = Arc::new(Change {
        rv,
        kind,
        key,
        object: object.clone(),
    });
    inner.history.push(Arc::clone(&change));
    // Sent under the lock so a watch that snapshots history under the same lock neither misses
    // nor repeats a change.
    let _ = shared.signals.send(Signal::Change(change));
    object
}

fn remove(shared: &Shared, inner: &mut Inner, key: &Key) -> Value {
    let mut object = inner.objects.remove(key).expect("object exists");
    inner.rv += 1;
    let rv = inner.rv;
    // A DELETED event carries the object at its deletion resourceVersion.
    object["metadata"]["resourceVersion"] = json!(rv.to_string());
    let change = Arc::new(Change {
        rv,
        kind: "DELETED",
        key: key.clone(),
        object: object.clone(),
    });
    inner.history.push(Arc::clone(&change));
    let _ = shared.signals.send(Signal::Change(change));
    object
}

// ---------------------------------------------------------------------------------------------
// Routing

/// What a request addresses.
#[derive(Debug, Clone)]
struct Target {
    ty: ResourceType,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

impl Target {
    fn key(&self, name: &str) -> Key {
        Key {
            api_version: self.ty.api_version(),
            plural: self.ty.plural.clone(),
            namespace: self.namespace.clone().unwrap_or_default(),
            name: name.into(),
        }
    }
}

enum Route {
    Version,
    CoreVersions,
    Groups,
    Group(String),
    Resources(String, String),
    Ssar,
    Resource(Target),
    Unknown,
}

fn route(inner: &Inner, path: &str) -> Route {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["version"] => return Route::Version,
        ["api"] => return Route::CoreVersions,
        ["apis"] => return Route::Groups,
        ["apis", group] => return Route::Group((*group).into()),
        ["api", "v1"] => return Route::Resources(String::new(), "v1".into()),
        ["apis", group, version] => return Route::Resources((*group).into(), (*version).into()),
        [
            "apis",
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
        ] => return Route::Ssar,
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Route::Unknown,
    };
    let (namespace, plural, name, sub) = match rest {
        ["namespaces", ns, plural, tail @ ..] => (Some(*ns), *plural, tail.first(), tail.get(1)),
        [plural, tail @ ..] => (None, *plural, tail.first(), tail.get(1)),
        [] => return Route::Unknown,
    };
    if rest.len() > 5 {
        return Route::Unknown;
    }
    let Some(ty) = inner
        .types
        .iter()
        .find(|t| t.group == group && t.version == version && t.plural == plural)
    else {
        return Route::Unknown;
    };
    // A namespace in the path of a cluster-scoped type (or none on a named namespaced object)
    // addresses nothing.
    if (namespace.is_some() && !ty.namespaced)
        || (namespace.is_none() && ty.namespaced && name.is_some())
    {
        return Route::Unknown;
    }
    Route::Resource(Target {
        ty: ty.clone(),
        namespace: namespace.map(str::to_owned),
        name: name.map(|s| (*s).to_owned()),
        subresource: sub.map(|s| (*s).to_owned()),
    })
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn is_true(v: Option<&str>) -> bool {
    matches!(v, Some("true" | "1"))
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query: Vec<(String, String)> = Query::try_from_uri(&uri)
        .map(|Query(q)| q)
        .unwrap_or_default();
    let path = uri.path().to_owned();
    let mut inner = shared.lock();
    let route = route(&inner, &path);
    let (verb, resource, subresource) = match (&route, &method) {
        (Route::Resource(t), m) => {
            let verb = match (m, &t.name) {
                (&Method::GET, None) if is_true(param(&query, "watch")) => "watch",
                (&Method::GET, None) => "list",
                (&Method::GET, Some(_)) => "get",
                (&Method::POST, None) => "create",
                (&Method::PUT, Some(_)) => "update",
                (&Method::PATCH, Some(_)) => "patch",
                (&Method::DELETE, Some(_)) => "delete",
                _ => "unknown",
            };
            (verb, t.ty.plural.clone(), t.subresource.clone())
        }
        (Route::Ssar, _) => (
            "selfsubjectaccessreview",
            "selfsubjectaccessreviews".into(),
            None,
        ),
        (Route::Unknown, _) => ("unknown", String::new(), None),
        _ => ("discovery", String::new(), None),
    };
    inner.requests.push(RequestRecord {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().unwrap_or_default().to_owned(),
        verb: verb.into(),
        resource,
        subresource,
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    match route {
        Route::Version => axum::Json(version_info()).into_response(),
        Route::CoreVersions => axum::Json(json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": shared.addr.to_string()}],
        }))
        .into_response(),
        Route::Groups => axum::Json(api_groups(&inner)).into_response(),
        Route::Group(group) => match api_groups(&inner)["groups"]
            .as_array()
            .and_then(|g| g.iter().find(|g| g["name"] == group.as_str()))
        {
            Some(g) => {
                let mut g = g.clone();
                g["kind"] = json!("APIGroup");
                g["apiVersion"] = json!("v1");
                axum::Json(g).into_response()
            }
            None => not_found_path(),
        },
        Route::Resources(group, version) => resource_list(&inner, &group, &version),
        Route::Ssar => ssar(&mut inner, &body),
        Route::Unknown => not_found_path(),
        Route::Resource(target) => {
            let ns = target.namespace.clone().unwrap_or_default();
            if let Some(response) = forbidden(&inner, verb, &target, &ns) {
                if method != Method::GET {
                    record_write(&mut inner, &method, &uri, &target, &headers, &body, 403);
                }
                return response;
            }
            if verb == "get"
                && target.ty.plural == "pods"
                && target.subresource.as_deref() == Some("log")
            {
                return pod_log(&shared, inner, &target, &query);
            }
            match verb {
                "list" => list(&inner, &target, &query),
                "watch" => watch(&shared, inner, &target, &query),
                "get" => get(&inner, &target),
                "create" => create(&shared, &mut inner, &method, &uri, &target, &headers, &body),
                "update" => replace(&shared, &mut inner, &method, &uri, &target, &headers, &body),
                "patch" => patch(&shared, &mut inner, &method, &uri, &target, &headers, &body),
                "delete" => delete(&shared, &mut inner, &method, &uri, &target, &headers, &body),
                _ => status(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                    json!({}),
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Answers

/// A `Status` object, the body of every API error.
fn status(code: StatusCode, reason: &str, message: &str, details: Value) -> Response {
    (
        code,
        axum::Json(status_object(code.as_u16(), reason, message, details)),
    )
        .into_response()
}

fn status_object(code: u16, reason: &str, message: &str, details: Value) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if details.as_object().is_some_and(|d| !d.is_empty()) {
        s["details"] = details;
    }
    s
}

fn not_found_path() -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        "the server could not find the requested resource",
        json!({}),
    )
}

fn not_found(target: &Target, name: &str) -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{} \"{name}\" not found", target.ty.qualified()),
        json!({"name": name, "group": target.ty.group, "kind": target.ty.plural}),
    )
}

fn conflict(target: &Target, name: &str) -> Response {
    status(
        StatusCode::CONFLICT,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            target.ty.qualified()
        ),
        json!({"name": name, "group": target.ty.group, "kind": target.ty.plural}),
    )
}

fn forbidden(inner: &Inner, verb: &str, target: &Target, ns: &str) -> Option<Response> {
    let ty = &target.ty;
    let sub = target.subresource.as_deref();
    inner
        .forbidden
        .iter()
        .find(|r| r.matches(verb, &ty.group, &ty.plural, sub, ns))?;
    let resource = match sub {
        Some(sub) => format!("{}/{sub}", ty.plural),
        None => ty.plural.clone(),
    };
    let subject = match &target.name {
        Some(name) => format!("{} \"{name}\"", ty.qualified()),
        None => ty.qualified(),
    };
    let scope = if ns.is_empty() {
        "at the cluster scope".to_owned()
    } else {
        format!("in the namespace \"{ns}\"")
    };
    let message = format!(
        "{subject} is forbidden: User \"{}\" cannot {verb} resource \"{resource}\" in API group \"{}\" {scope}",
        inner.user, ty.group
    );
    let mut details = json!({"group": ty.group, "kind": ty.plural});
    if let Some(name) = &target.name {
        details["name"] = json!(name);
    }
    Some(status(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        details,
    ))
}

fn version_info() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.4",
        "gitCommit": "74cdb426c43ed8e4e4d2d1b8f1d0a2c0c6e3a9e1",
        "gitTreeState": "clean",
        "buildDate": "2026-08-12T10:00:00Z",
        "goVersion": "go1.24.6",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn api_groups(inner: &Inner) -> Value {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for ty in inner.types.iter().filter(|t| !t.group.is_empty()) {
        let versions = groups.entry(&ty.group).or_default();
        if !versions.contains(&ty.version.as_str()) {
            versions.push(&ty.version);
        }
    }
    groups.entry("authorization.k8s.io").or_default().push("v1");
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
                .collect();
            json!({"name": name, "preferredVersion": versions[0], "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn resource_list(inner: &Inner, group: &str, version: &str) -> Response {
    let mut resources = Vec::new();
    for ty in inner
        .types
        .iter()
        .filter(|t| t.group == group && t.version == version)
    {
        resources.push(json!({
            "name": ty.plural,
            "singularName": ty.singular,
            "namespaced": ty.namespaced,
            "kind": ty.kind,
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            "shortNames": ty.short_names,
        }));
        if ty.status_subresource {
            resources.push(json!({
                "name": format!("{}/status", ty.plural),
                "singularName": "",
                "namespaced": ty.namespaced,
                "kind": ty.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
    }
    if group == "authorization.k8s.io" && version == "v1" {
        resources.push(json!({
            "name": "selfsubjectaccessreviews",
            "singularName": "selfsubjectaccessreview",
            "namespaced": false,
            "kind": "SelfSubjectAccessReview",
            "verbs": ["create"],
        }));
    }
    if resources.is_empty() {
        return not_found_path();
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    axum::Json(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
    .into_response()
}

fn ssar(inner: &mut Inner, body: &[u8]) -> Response {
    let Ok(mut review) = serde_json::from_slice::<Value>(body) else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the body of the request was in an unknown format",
            json!({}),
        );
    };
    inner.ssar_requests.push(review.clone());
    let attrs = review["spec"]["resourceAttributes"].clone();
    let rule = inner.ssar_rules.iter().find(|r| r.matches(&attrs)).cloned();
    let (allowed, reason) = match rule {
        Some(rule) => (rule.allowed, rule.reason),
        None => {
            let field = |name: &str| attrs[name].as_str().unwrap_or_default().to_owned();
            let sub = field("subresource");
            let sub = (!sub.is_empty()).then_some(sub.as_str());
            let denied = inner.forbidden.iter().any(|r| {
                r.matches(
                    &field("verb"),
                    &field("group"),
                    &field("resource"),
                    sub,
                    &field("namespace"),
                )
            });
            if denied {
                (false, String::new())
            } else {
                (
                    true,
                    format!(
                        "RBAC: allowed by ClusterRoleBinding \"opsdeck-dev\" of ClusterRole \"edit\" to User \"{}\"",
                        inner.user
                    ),
                )
            }
        }
    };
    let mut status = json!({"allowed": allowed});
    if !reason.is_empty() {
        status["reason"] = json!(reason);
    }
    review["status"] = status;
    review["metadata"] = json!({"creationTimestamp": null});
    (StatusCode::CREATED, axum::Json(review)).into_response()
}

/// An object as it appears in a list: built-in lists drop `apiVersion` and `kind` per item.
fn list_item(ty: &ResourceType, object: &Value) -> Value {
    let mut item = object.clone();
    if ty.builtin
        && let Some(map) = item.as_object_mut()
    {
        map.remove("apiVersion");
        map.remove("kind");
    }
    item
}

fn in_scope(target: &Target, key: &Key) -> bool {
    key.api_version == target.ty.api_version()
        && key.plural == target.ty.plural
        && target
            .namespace
            .as_deref()
            .is_none_or(|ns| ns == key.namespace)
}

fn selected(object: &Value, query: &[(String, String)]) -> bool {
    param(query, "labelSelector").is_none_or(|s| labels_match(object, s))
        && param(query, "fieldSelector").is_none_or(|s| fields_match(object, s))
}

/// Equality (`a=b`, `a==b`, `a!=b`) and existence (`a`, `!a`) terms, ANDed.
fn labels_match(object: &Value, selector: &str) -> bool {
    let labels = &object["metadata"]["labels"];
    let label = |k: &str| labels.get(k.trim()).and_then(Value::as_str);
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                label(k) != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                label(k) == Some(v.trim())
            } else if let Some(k) = term.strip_prefix('!') {
                label(k).is_none()
            } else {
                label(term).is_some()
            }
        })
}

/// `path=value`, `path==value`, `path!=value` on dotted paths (`metadata.name`, `status.phase`).
fn fields_match(object: &Value, selector: &str) -> bool {
    let field = |path: &str| {
        let value = path
            .trim()
            .split('.')
            .try_fold(object, |v, part| v.get(part))?;
        Some(match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                field(k).as_deref() != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                field(k).as_deref() == Some(v.trim())
            } else {
                true
            }
        })
}

fn list(inner: &Inner, target: &Target, query: &[(String, String)]) -> Response {
    let matching: Vec<&Value> = inner
        .objects
        .iter()
        .filter(|(k, v)| in_scope(target, k) && selected(v, query))
        .map(|(_, v)| v)
        .collect();
    let offset: usize = param(query, "continue")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit = param(query, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let items: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|v| list_item(&target.ty, v))
        .collect();
    let mut metadata = json!({"resourceVersion": inner.rv.to_string()});
    let next = offset + items.len();
    if next < matching.len() {
        // Opaque to clients; an offset is enough for a store that does not move under a test.
        metadata["continue"] = json!(next.to_string());
        metadata["remainingItemCount"] = json!(matching.len() - next);
    }
    axum::Json(json!({
        "apiVersion": target.ty.api_version(),
        "kind": format!("{}List", target.ty.kind),
        "metadata": metadata,
        "items": items,
    }))
    .into_response()
}

fn get(inner: &Inner, target: &Target) -> Response {
    let name = target.name.as_deref().unwrap_or_default();
    if let Some(sub) = &target.subresource
        && !(sub == "status" && target.ty.status_subresource)
    {
        return not_found_path();
    }
    match inner.objects.get(&target.key(name)) {
        Some(object) => axum::Json(object.clone()).into_response(),
        None => not_found(target, name),
    }
}

fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": object})).expect("JSON");
    line.push(b'\n');
    Bytes::from(line)
}

fn expired_line(message: &str) -> Bytes {
    event_line("ERROR", &status_object(410, "Expired", message, json!({})))
}

/// Counts an open watch for as long as its task runs.
struct WatchGuard(Arc<Shared>);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.open_watches.fetch_sub(1, Ordering::SeqCst);
    }
}

fn watch(
    shared: &Arc<Shared>,
    mut inner: MutexGuard<'_, Inner>,
    target: &Target,
    query: &[(String, String)],
) -> Response {
    let from = param(query, "resourceVersion")
        .unwrap_or_default()
        .to_owned();
    let bookmarks = is_true(param(query, "allowWatchBookmarks"));
    let timeout = param(query, "timeoutSeconds").and_then(|t| t.parse::<u64>().ok());
    let query = query.to_vec();
    let target = target.clone();
    let mut backlog = Vec::new();
    let mut expired = None;
    let from_str = from.as_str();
    if std::mem::take(&mut inner.expire_next_watch) {
        expired = Some(format!(
            "too old resource version: {from_str} ({})",
            inner.compacted_below.max(inner.rv)
        ));
    } else if from_str.is_empty() || from_str == "0" {
        // "Start at most recent": synthetic ADDED events for what exists, then changes.
        for (key, object) in &inner.objects {
            if in_scope(&target, key) && selected(object, &query) {
                backlog.push(event_line("ADDED", object));
            }
        }
    } else {
        let Ok(from_rv) = from_str.parse::<u64>() else {
            return status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("invalid resource version: {from_str}"),
                json!({}),
            );
        };
        if from_rv + 1 < inner.compacted_below {
            expired = Some(format!(
                "too old resource version: {from_rv} ({})",
                inner.compacted_below - 1
            ));
        } else {
            for change in inner.history.iter().filter(|c| c.rv > from_rv) {
                if in_scope(&target, &change.key) && selected(&change.object, &query) {
                    backlog.push(event_line(change.kind, &change.object));
                }
            }
        }
    }
    let mut signals = shared.signals.subscribe();
    drop(inner);
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    shared.open_watches.fetch_add(1, Ordering::SeqCst);
    let guard = WatchGuard(Arc::clone(shared));
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let _guard = guard;
        if let Some(message) = expired {
            let _ = tx.send(expired_line(&message)).await;
            return;
        }
        for line in backlog {
            if tx.send(line).await.is_err() {
                return;
            }
        }
        let deadline =
            tokio::time::sleep(timeout.map_or(Duration::from_secs(86_400), Duration::from_secs));
        tokio::pin!(deadline);
        loop {
            let signal = tokio::select! {
                s = signals.recv() => s,
                () = &mut deadline => return,
                () = tx.closed() => return,
            };
            let line = match signal {
                Ok(Signal::Change(change)) => {
                    if !(in_scope(&target, &change.key) && selected(&change.object, &query)) {
                        continue;
                    }
                    event_line(change.kind, &change.object)
                }
                Ok(Signal::Bookmark(rv)) => {
                    if !bookmarks {
                        continue;
                    }
                    event_line(
                        "BOOKMARK",
                        &json!({
                            "apiVersion": target.ty.api_version(),
                            "kind": target.ty.kind,
                            "metadata": {"resourceVersion": rv.to_string()},
                        }),
                    )
                }
                Ok(Signal::Expire) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    let rv = shared.lock().rv;
                    let _ = tx
                        .send(expired_line(&format!(
                            "too old resource version: {from} ({rv})"
                        )))
                        .await;
                    return;
                }
                Ok(Signal::Close) | Err(broadcast::error::RecvError::Closed) => return,
            };
            if tx.send(line).await.is_err() {
                return;
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::TRANSFER_ENCODING, "chunked")
        .body(Body::from_stream(stream))
        .expect("response")
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn parse_body(content_type: &str, body: &[u8]) -> Value {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return v;
    }
    if content_type.contains("yaml")
        && let Ok(v) = serde_yaml::from_slice::<Value>(body)
    {
        return v;
    }
    Value::String(String::from_utf8_lossy(body).into_owned())
}

fn record_write(
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
    code: u16,
) {
    let ct = content_type(headers);
    inner.writes.push(WriteRecord {
        method: method.to_string(),
        path: uri.path().to_owned(),
        subresource: target.subresource.clone(),
        body: if body.is_empty() {
            Value::Null
        } else {
            parse_body(&ct, body)
        },
        content_type: ct,
        query: uri.query().unwrap_or_default().to_owned(),
        status: code,
    });
}

/// Records the write with the status of its answer, then answers.
fn recorded(
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
    response: Response,
) -> Response {
    record_write(
        inner,
        method,
        uri,
        target,
        headers,
        body,
        response.status().as_u16(),
    );
    response
}

/// The object after a write of `written` to `target`: the object write keeps the stored
/// `status` and the `/status` write keeps everything else, for types with a status subresource.
fn split_status(target: &Target, old: &Value, mut written: Value) -> Value {
    if !target.ty.status_subresource {
        return written;
    }
    if target.subresource.as_deref() == Some("status") {
        let mut next = old.clone();
        match written.get_mut("status").map(Value::take) {
            Some(status) => next["status"] = status,
            None => {
                if let Some(map) = next.as_object_mut() {
                    map.remove("status");
                }
            }
        }
        next
    } else {
        match old.get("status") {
            Some(status) => written["status"] = status.clone(),
            None => {
                if let Some(map) = written.as_object_mut() {
                    map.remove("status");
                }
            }
        }
        written
    }
}

/// Keeps identity fields the client cannot change, and bumps `generation` on a spec change.
fn finish_write(old: &Value, mut next: Value) -> Value {
    for field in ["name", "namespace", "uid", "creationTimestamp"] {
        if let Some(v) = old["metadata"].get(field) {
            next["metadata"][field] = v.clone();
        }
    }
    if let Some(kind) = old.get("kind") {
        next["kind"] = kind.clone();
    }
    if let Some(api_version) = old.get("apiVersion") {
        next["apiVersion"] = api_version.clone();
    }
    let generation = old["metadata"]["generation"].as_i64();
    if let Some(generation) = generation {
        let bumped = if old.get("spec") != next.get("spec") {
            generation + 1
        } else {
            generation
        };
        next["metadata"]["generation"] = json!(bumped);
    }
    next
}

fn stale(old: &Value, written: &Value) -> bool {
    written["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|rv| !rv.is_empty() && Some(rv) != old["metadata"]["resourceVersion"].as_str())
}

fn subresource_ok(target: &Target) -> bool {
    match target.subresource.as_deref() {
        None => true,
        Some("status") => target.ty.status_subresource,
        Some(_) => false,
    }
}

#[allow(clippy::too_many_arguments)]
fn patch(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let name = target.name.clone().unwrap_or_default();
    let ct = content_type(headers);
    let answer =
        |inner: &mut Inner, r: Response| recorded(inner, method, uri, target, headers, body, r);
    if !subresource_ok(target) {
        return answer(inner, not_found_path());
    }
    let key = target.key(&name);
    let Some(old) = inner.objects.get(&key).cloned() else {
        return answer(inner, not_found(target, &name));
    };
    let patch = parse_body(&ct, body);
    let mime = ct.split(';').next().unwrap_or_default().trim();
    let patched = match mime {
        "application/merge-patch+json" | "application/apply-patch+yaml" => {
            if stale(&old, &patch) {
                return answer(inner, conflict(target, &name));
            }
            let mut next = old.clone();
            merge_patch(&mut next, &patch);
            next
        }
        "application/strategic-merge-patch+json" => {
            if !target.ty.builtin {
                return answer(
                    inner,
                    status(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                        json!({}),
                    ),
                );
            }
            // Best effort: lists replace instead of merging by key.
            let mut next = old.clone();
            merge_patch(&mut next, &patch);
            next
        }
        "application/json-patch+json" => match json_patch(&old, &patch) {
            Ok(next) => next,
            Err(message) => {
                return answer(
                    inner,
                    status(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Invalid",
                        &message,
                        json!({}),
                    ),
                );
            }
        },
        other => {
            return answer(
                inner,
                status(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    &format!(
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {other:?})"
                    ),
                    json!({}),
                ),
            );
        }
    };
    let next = finish_write(&old, split_status(target, &old, patched));
    let stored = store(shared, inner, key, next, "MODIFIED");
    answer(inner, axum::Json(stored).into_response())
}

#[allow(clippy::too_many_arguments)]
fn replace(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let name = target.name.clone().unwrap_or_default();
    let answer =
        |inner: &mut Inner, r: Response| recorded(inner, method, uri, target, headers, body, r);
    if !subresource_ok(target) {
        return answer(inner, not_found_path());
    }
    let key = target.key(&name);
    let Some(old) = inner.objects.get(&key).cloned() else {
        return answer(inner, not_found(target, &name));
    };
    let Ok(written) = serde_json::from_slice::<Value>(body) else {
        return answer(
            inner,
            status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the body of the request was in an unknown format",
                json!({}),
            ),
        );
    };
    if stale(&old, &written) {
        return answer(inner, conflict(target, &name));
    }
    let next = finish_write(&old, split_status(target, &old, written));
    let stored = store(shared, inner, key, next, "MODIFIED");
    answer(inner, axum::Json(stored).into_response())
}

#[allow(clippy::too_many_arguments)]
fn create(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let answer =
        |inner: &mut Inner, r: Response| recorded(inner, method, uri, target, headers, body, r);
    let Ok(mut object) = serde_json::from_slice::<Value>(body) else {
        return answer(
            inner,
            status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the body of the request was in an unknown format",
                json!({}),
            ),
        );
    };
    let Some(name) = object["metadata"]["name"].as_str().map(str::to_owned) else {
        return answer(
            inner,
            status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                &format!(
                    "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                    target.ty.kind
                ),
                json!({}),
            ),
        );
    };
    if let Some(ns) = &target.namespace {
        object["metadata"]["namespace"] = json!(ns);
    }
    object["apiVersion"] = json!(target.ty.api_version());
    object["kind"] = json!(target.ty.kind);
    if object["metadata"]["generation"].is_null() && object.get("spec").is_some() {
        object["metadata"]["generation"] = json!(1);
    }
    let key = target.key(&name);
    if inner.objects.contains_key(&key) {
        return answer(
            inner,
            status(
                StatusCode::CONFLICT,
                "AlreadyExists",
                &format!("{} \"{name}\" already exists", target.ty.qualified()),
                json!({"name": name, "group": target.ty.group, "kind": target.ty.plural}),
            ),
        );
    }
    let stored = store(shared, inner, key, object, "ADDED");
    answer(
        inner,
        (StatusCode::CREATED, axum::Json(stored)).into_response(),
    )
}

#[allow(clippy::too_many_arguments)]
fn delete(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let name = target.name.clone().unwrap_or_default();
    let answer =
        |inner: &mut Inner, r: Response| recorded(inner, method, uri, target, headers, body, r);
    if target.subresource.is_some() {
        return answer(inner, not_found_path());
    }
    let key = target.key(&name);
    if !inner.objects.contains_key(&key) {
        return answer(inner, not_found(target, &name));
    }
    let object = remove(shared, inner, &key);
    answer(inner, axum::Json(object).into_response())
}

// ---------------------------------------------------------------------------------------------
// Patch semantics

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else {
        return;
    };
    for (k, v) in patch {
        if v.is_null() {
            map.remove(k);
        } else {
            merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// RFC 6902 JSON patch: `add`, `remove`, `replace`, `test` (enough for what clients send).
pub fn json_patch(doc: &Value, patch: &Value) -> Result<Value, String> {
    let mut doc = doc.clone();
    for op in patch.as_array().ok_or("a JSON patch is an array")? {
        let path = op["path"].as_str().ok_or("operation without path")?;
        let parts: Vec<String> = path
            .split('/')
            .skip(1)
            .map(|p| p.replace("~1", "/").replace("~0", "~"))
            .collect();
        let (last, parents) = parts.split_last().ok_or("cannot patch the root")?;
        let parent = parents
            .iter()
            .try_fold(&mut doc, |v, p| match v {
                Value::Object(m) => m.get_mut(p),
                Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            })
            .ok_or_else(|| format!("path {path} does not exist"))?;
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        match (op["op"].as_str().unwrap_or_default(), parent) {
            ("add" | "replace", Value::Object(m)) => {
                m.insert(last.clone(), value);
            }
            ("add", Value::Array(a)) => {
                let i = if last == "-" {
                    a.len()
                } else {
                    last.parse().map_err(|_| "bad index")?
                };
                if i > a.len() {
                    return Err(format!("index out of range in {path}"));
                }
                a.insert(i, value);
            }
            ("replace", Value::Array(a)) => {
                let slot = last
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| a.get_mut(i))
                    .ok_or_else(|| format!("index out of range in {path}"))?;
                *slot = value;
            }
            ("remove", Value::Object(m)) => {
                m.remove(last).ok_or_else(|| {
                    format!("unable to remove nonexistent key: {last}: missing value")
                })?;
            }
            ("remove", Value::Array(a)) => {
                let i: usize = last.parse().map_err(|_| "bad index")?;
                if i >= a.len() {
                    return Err(format!("index out of range in {path}"));
                }
                a.remove(i);
            }
            ("test", parent) => {
                let have = match parent {
                    Value::Object(m) => m.get(last),
                    Value::Array(a) => last.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                };
                if have != Some(&value) {
                    return Err(format!("testing value {path} failed"));
                }
            }
            (other, _) => {
                return Err(format!(
                    "unsupported JSON patch operation {other:?} at {path}"
                ));
            }
        }
    }
    Ok(doc)
}
