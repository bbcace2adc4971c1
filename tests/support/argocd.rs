//! An Argo CD API server test peer: the REST routes opsdeck's API-server path uses for each
//! application action, with the real server's guards and error shapes.
//!
//! Reached as `support::argocd` from a test binary that includes `tests/support/mod.rs`.
//!
//! - `GET /api/v1/applications` (`{"metadata":{…},"items":[…]}`, filters `projects`, `selector`,
//!   `appNamespace`, `name`; applications the caller may not `get` are left out silently, as
//!   Argo CD's RBAC filter does).
//! - `GET /api/v1/applications/{name}` (`refresh=normal|hard` recorded).
//! - `POST …/{name}/sync`: the body is recorded and becomes the `operation`; refused with
//!   "another operation is already in progress" while `.operation` is set (Argo CD's
//!   `SetAppOperation` guard), and with "Cannot sync to …" for another revision under auto-sync.
//! - `POST …/{name}/rollback`: refused with "rollback cannot be initiated when auto-sync is
//!   enabled", then for an unknown history id, then by the in-progress guard; otherwise writes a
//!   sync operation with the history entry's source and revision.
//! - `DELETE …/{name}/operation`: sets `status.operationState.phase` to `Terminating`.
//! - `GET …/{name}/resource-tree`: a configured tree, else one derived from `status.resources`.
//! - `GET …/{name}/managed-resources`: a configured `ManagedResourcesResponse` (states as JSON
//!   strings, as the real server sends them), else `{}` (proto3 JSON leaves an empty list out).
//! - `GET …/{name}/syncwindows`: a configured `ApplicationSyncWindowsResponse`, else `{}`; a
//!   sync or rollback of an app whose configured windows carry `"canSync": false` is refused
//!   with Argo CD's `PermissionDenied` "cannot sync: blocked by sync window".
//! - Errors in grpc-gateway's shape `{"error","code","message"}` with its HTTP mapping: 401
//!   (code 16) without the bearer token, 403 "permission denied" (code 7) for a denied action or
//!   an application that does not exist (Argo CD does not reveal which), 404 when the request
//!   names a `project` (then Argo CD does say "not found"), 400 for failed preconditions.
//!
//! Every call is recorded for assertions.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The bearer token (or `argocd.token` cookie) every request must carry.
    pub token: String,
    /// The user the token belongs to: `initiatedBy.username` of the operations it starts.
    pub user: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            token: "argocd-test-token".into(),
            user: "alice@acme.io".into(),
        }
    }
}

/// One call as the server saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The JSON body, `Null` when there was none.
    pub body: Value,
    pub authorization: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
}

struct Inner {
    apps: BTreeMap<String, Value>,
    trees: BTreeMap<String, Value>,
    /// `ManagedResourcesResponse` bodies by application name.
    managed: BTreeMap<String, Value>,
    /// `ApplicationSyncWindowsResponse` bodies by application name.
    windows: BTreeMap<String, Value>,
    /// (action, application name) pairs Argo CD RBAC refuses.
    denied: Vec<(String, String)>,
    calls: Vec<Call>,
    options: Options,
}

struct Shared {
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running server; it stops on Drop.
pub struct ArgoServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ArgoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ArgoServer {
    /// Starts a server on a free loopback port serving `applications` (see
    /// [`fixture_applications`]) with the resource trees of [`fixture_resource_trees`].
    pub async fn start(applications: Vec<Value>, options: Options) -> ArgoServer {
        let apps = applications.into_iter().map(|a| (name_of(&a), a)).collect();
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                apps,
                trees: fixture_resource_trees(),
                managed: BTreeMap::new(),
                windows: BTreeMap::new(),
                denied: Vec::new(),
                calls: Vec::new(),
                options,
            }),
        });
        let app = Router::new()
            .route("/api/v1/applications", get(list))
            .route("/api/v1/applications/{name}", get(get_app))
            .route("/api/v1/applications/{name}/sync", post(sync))
            .route("/api/v1/applications/{name}/rollback", post(rollback))
            .route("/api/v1/applications/{name}/operation", delete(terminate))
            .route("/api/v1/applications/{name}/resource-tree", get(tree))
            .route(
                "/api/v1/applications/{name}/managed-resources",
                get(managed),
            )
            .route("/api/v1/applications/{name}/syncwindows", get(sync_windows))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        ArgoServer { addr, shared, task }
    }

    /// `http://127.0.0.1:port`, the Argo CD server's base URL.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bearer token the server expects.
    #[must_use]
    pub fn token(&self) -> String {
        self.shared.lock().options.token.clone()
    }

    /// Serves `body` as the application's `ManagedResourcesResponse`.
    pub fn set_managed_resources(&self, app: &str, body: Value) {
        self.shared.lock().managed.insert(app.to_owned(), body);
    }

    /// Serves `body` as the application's `ApplicationSyncWindowsResponse`; with
    /// `"canSync": false` its syncs and rollbacks are refused.
    pub fn set_sync_windows(&self, app: &str, body: Value) {
        self.shared.lock().windows.insert(app.to_owned(), body);
    }

    /// Every call so far, in order.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// The application as the server holds it now.
    #[must_use]
    pub fn application(&self, name: &str) -> Option<Value> {
        self.shared.lock().apps.get(name).cloned()
    }

    /// Adds or replaces an application.
    pub fn set_application(&self, app: Value) {
        self.shared.lock().apps.insert(name_of(&app), app);
    }

    /// The resource tree served for `app`.
    pub fn set_resource_tree(&self, app: &str, tree: Value) {
        self.shared.lock().trees.insert(app.into(), tree);
    }

    /// Argo CD RBAC refuses `action` (`get`, `sync`, …) on application `app` (`*` for all).
    pub fn deny(&self, action: &str, app: &str) {
        self.shared.lock().denied.push((action.into(), app.into()));
    }

    /// Plays the controller finishing the current operation: `.operation` is cleared and
    /// `status.operationState` gets `phase` (`Succeeded`, `Failed`, `Error`) and a finish time.
    pub fn finish_operation(&self, name: &str, phase: &str) {
        let mut inner = self.shared.lock();
        let app = inner.apps.get_mut(name).expect("application exists");
        let operation = app
            .as_object_mut()
            .and_then(|a| a.remove("operation"))
            .unwrap_or(Value::Null);
        let state = &mut app["status"]["operationState"];
        if !state.is_object() {
            *state = json!({"operation": operation, "startedAt": "2026-08-22T08:00:00Z"});
        }
        state["phase"] = json!(phase);
        state["finishedAt"] = json!("2026-08-22T08:00:30Z");
    }
}

/// The Argo CD applications among the Kubernetes fixtures (`application-*.json`).
#[must_use]
pub fn fixture_applications() -> Vec<Value> {
    let dir = fixtures_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("application-"))
        })
        .collect();
    paths.sort();
    paths.iter().map(|p| read_json(p)).collect()
}

/// The resource trees of `fixtures/k8s/argocd-api/resource-tree-<app>.json`, by app name.
#[must_use]
pub fn fixture_resource_trees() -> BTreeMap<String, Value> {
    let dir = fixtures_dir().join("argocd-api");
    std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("dir entry").path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            let app = name
                .strip_prefix("resource-tree-")?
                .strip_suffix(".json")?
                .to_owned();
            Some((app, read_json(&p)))
        })
        .collect()
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fixtures/k8s")
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

fn name_of(app: &Value) -> String {
    app["metadata"]["name"]
        .as_str()
        .expect("application has a name")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// grpc-gateway's error body, with the HTTP status it maps the gRPC code to.
fn grpc_error(code: u16, message: &str) -> Response {
    let http = match code {
        3 | 9 => StatusCode::BAD_REQUEST,
        5 => StatusCode::NOT_FOUND,
        7 => StatusCode::FORBIDDEN,
        16 => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (
        http,
        axum::Json(json!({"error": message, "code": code, "message": message, "details": []})),
    )
        .into_response()
}

const PERMISSION_DENIED: &str = "permission denied";

/// A gRPC status on its way out (small, so `Result`s carrying it stay cheap).
struct ApiError {
    code: u16,
    message: String,
}

fn api_error(code: u16, message: &str) -> ApiError {
    ApiError {
        code,
        message: message.to_owned(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        grpc_error(self.code, &self.message)
    }
}

/// Everything a handler needs about the request, recorded when the answer is known.
struct Req {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Value,
    query: Vec<(String, String)>,
}

impl Req {
    fn new(method: Method, uri: Uri, headers: HeaderMap, body: &[u8]) -> Self {
        let query = Query::<Vec<(String, String)>>::try_from_uri(&uri)
            .map(|Query(q)| q)
            .unwrap_or_default();
        Req {
            method,
            uri,
            headers,
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
            query,
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Bearer header, or the `argocd.token` cookie the web UI uses.
    fn token(&self) -> Option<String> {
        let header = |name| self.headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(bearer) = header(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "))
        {
            return Some(bearer.to_owned());
        }
        header(header::COOKIE)?
            .split(';')
            .find_map(|c| c.trim().strip_prefix("argocd.token="))
            .map(str::to_owned)
    }

    fn answer(&self, inner: &mut Inner, response: Response) -> Response {
        inner.calls.push(Call {
            method: self.method.to_string(),
            path: self.uri.path().to_owned(),
            query: self.uri.query().unwrap_or_default().to_owned(),
            body: self.body.clone(),
            authorization: self
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            status: response.status().as_u16(),
        });
        response
    }
}

fn authenticate(inner: &Inner, req: &Req) -> Option<Response> {
    authenticated(inner, req)
        .err()
        .map(IntoResponse::into_response)
}

fn authenticated(inner: &Inner, req: &Req) -> Result<(), ApiError> {
    match req.token() {
        None => Err(api_error(16, "no session information")),
        Some(t) if t != inner.options.token => {
            Err(api_error(16, "invalid session: token signature is invalid"))
        }
        Some(_) => Ok(()),
    }
}

fn denied(inner: &Inner, action: &str, app: &str) -> bool {
    inner
        .denied
        .iter()
        .any(|(a, n)| (a == action || a == "*") && (n == app || n == "*"))
}

/// Argo CD's `getAppEnforceRBAC`: a denied action and a missing application both answer
/// "permission denied", unless the request named a `project`, which makes a missing
/// application a 404.
fn app_for<'a>(
    inner: &'a mut Inner,
    req: &Req,
    action: &str,
    name: &str,
) -> Result<&'a mut Value, ApiError> {
    authenticated(inner, req)?;
    let project = req
        .param("project")
        .or_else(|| req.body["project"].as_str().filter(|p| !p.is_empty()));
    if denied(inner, action, name) {
        return Err(api_error(7, PERMISSION_DENIED));
    }
    match inner.apps.get_mut(name) {
        Some(app) => Ok(app),
        None if project.is_some() => Err(api_error(
            5,
            &format!("applications.argoproj.io \"{name}\" not found"),
        )),
        None => Err(api_error(7, PERMISSION_DENIED)),
    }
}

fn automated(app: &Value) -> bool {
    app["spec"]["syncPolicy"]["automated"].is_object()
}

/// Argo CD's `SetAppOperation`: refuse while an operation is set, else set it and clear the
/// previous operation state.
fn set_operation(app: &mut Value, operation: Value) -> Result<(), ApiError> {
    if app.get("operation").is_some_and(|o| !o.is_null()) {
        return Err(api_error(9, "another operation is already in progress"));
    }
    app["operation"] = operation;
    if let Some(status) = app["status"].as_object_mut() {
        status.remove("operationState");
    }
    Ok(())
}

async fn list(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let req = Req::new(method, uri, headers, &[]);
    let mut inner = shared.lock();
    if let Some(denial) = authenticate(&inner, &req) {
        return req.answer(&mut inner, denial);
    }
    let projects: Vec<&str> = req
        .query
        .iter()
        .filter(|(k, _)| k == "projects" || k == "project")
        .flat_map(|(_, v)| v.split(','))
        .filter(|p| !p.is_empty())
        .collect();
    let items: Vec<Value> = inner
        .apps
        .iter()
        .filter(|(name, _)| !denied(&inner, "get", name))
        .filter(|(_, a)| projects.is_empty() || projects.iter().any(|p| a["spec"]["project"] == *p))
        .filter(|(name, _)| req.param("name").is_none_or(|n| n == name.as_str()))
        .filter(|(_, a)| {
            req.param("appNamespace")
                .is_none_or(|ns| a["metadata"]["namespace"] == ns)
        })
        .filter(|(_, a)| req.param("selector").is_none_or(|s| labels_match(a, s)))
        .map(|(_, a)| a.clone())
        .collect();
    let body = json!({"metadata": {"resourceVersion": "51900"}, "items": items});
    req.answer(&mut inner, axum::Json(body).into_response())
}

fn labels_match(app: &Value, selector: &str) -> bool {
    let labels = &app["metadata"]["labels"];
    selector.split(',').filter(|t| !t.is_empty()).all(|term| {
        if let Some((k, v)) = term.split_once("!=") {
            labels[k.trim()] != v.trim()
        } else if let Some((k, v)) = term.split_once('=') {
            labels[k.trim().trim_end_matches('=')] == v.trim()
        } else {
            labels.get(term.trim()).is_some()
        }
    })
}

async fn get_app(
    State(shared): State<Arc<Shared>>,
    UrlPath(name): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let req = Req::new(method, uri, headers, &[]);
    let mut inner = shared.lock();
    let response = match app_for(&mut inner, &req, "get", &name) {
        Ok(app) => {
            if let Some(refresh) = req.param("refresh") {
                if refresh != "normal" && refresh != "hard" {
                    let r = grpc_error(3, &format!("unknown refresh type: {refresh}"));
                    return req.answer(&mut inner, r);
                }
                // The server annotates, waits for the controller, and returns the refreshed
                // application, which no longer carries the annotation.
                app["status"]["reconciledAt"] = json!("2026-08-22T08:00:00Z");
            }
            axum::Json(app.clone()).into_response()
        }
        Err(e) => e.into_response(),
    };
    req.answer(&mut inner, response)
}

async fn sync(
    State(shared): State<Arc<Shared>>,
    UrlPath(name): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req::new(method, uri, headers, &body);
    let mut inner = shared.lock();
    let user = inner.options.user.clone();
    let blocked = blocked_by_window(&inner, &name);
    let managed = inner.managed.get(&name).cloned();
    let started = format!(
        "2026-12-06T12:{:02}:{:02}Z",
        inner.calls.len() / 60 % 60,
        inner.calls.len() % 60
    );
    let response = match app_for(&mut inner, &req, "sync", &name) {
        Err(e) => e.into_response(),
        // argoproj/argo-cd server/application/application.go `Sync`: after RBAC, a sync the
        // project's windows block is PermissionDenied with these words.
        Ok(_) if blocked => grpc_error(7, "cannot sync: blocked by sync window"),
        Ok(app) => {
            let b = &req.body;
            let revision = b["revision"].as_str().unwrap_or_default();
            let target = app["spec"]["source"]["targetRevision"]
                .as_str()
                .unwrap_or("HEAD")
                .to_owned();
            if automated(app) && !revision.is_empty() && revision != target {
                grpc_error(
                    9,
                    &format!("Cannot sync to {revision}: auto-sync currently set to {target}"),
                )
            } else {
                let mut sync = json!({
                    "revision": if revision.is_empty() { target } else { revision.to_owned() },
                    "syncStrategy": b.get("strategy").cloned().unwrap_or_else(|| json!({"hook": {}})),
                });
                for (from, to) in [
                    ("prune", "prune"),
                    ("dryRun", "dryRun"),
                    ("resources", "resources"),
                ] {
                    if let Some(v) = b.get(from).filter(|v| !v.is_null() && *v != false) {
                        sync[to] = v.clone();
                    }
                }
                if let Some(items) = b["syncOptions"]["items"].as_array() {
                    sync["syncOptions"] = json!(items);
                }
                let mut operation = json!({"sync": sync, "initiatedBy": {"username": user}});
                if let Some(retry) = b.get("retryStrategy").filter(|v| !v.is_null()) {
                    operation["retry"] = retry.clone();
                }
                match set_operation(app, operation) {
                    Ok(()) => {
                        // The answer is the app as `SetAppOperation` wrote it; a dry run is
                        // then finished by the "controller" at once.
                        let answer = app.clone();
                        if b["dryRun"] == json!(true) {
                            finish_dry_run(app, managed.as_ref(), &started);
                        }
                        axum::Json(answer).into_response()
                    }
                    Err(e) => e.into_response(),
                }
            }
        }
    };
    req.answer(&mut inner, response)
}

/// What the application controller does with a dry-run operation: takes it off
/// `.operation`, and reports in `status.operationState` each managed resource (from the
/// configured `ManagedResourcesResponse`) as kubectl's client dry run and gitops-engine word
/// it: created, configured or unchanged, and a resource git no longer has pruned or left.
fn finish_dry_run(app: &mut Value, managed: Option<&Value>, started: &str) {
    let Some(operation) = app.as_object_mut().and_then(|a| a.remove("operation")) else {
        return;
    };
    let prune = operation["sync"]["prune"] == json!(true);
    let empty = Vec::new();
    let items = managed
        .and_then(|m| m["items"].as_array())
        .unwrap_or(&empty);
    let mut results = Vec::new();
    for item in items {
        let has = |key: &str| {
            item.get(key)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty() && s != "null")
        };
        let kind = item["kind"].as_str().unwrap_or("");
        let name = item["name"].as_str().unwrap_or("");
        let object = format!("{}/{name}", kind.to_ascii_lowercase());
        let (status, message) = match (has("liveState"), has("targetState")) {
            (_, false) if prune => ("Pruned", "pruned (dry run)".to_owned()),
            (_, false) => ("PruneSkipped", "ignored (requires pruning)".to_owned()),
            (false, true) => ("Synced", format!("{object} created (dry run)")),
            (true, true) if item["modified"] == json!(true) => {
                ("Synced", format!("{object} configured (dry run)"))
            }
            (true, true) => ("Synced", format!("{object} unchanged (dry run)")),
        };
        results.push(
            json!({"group": item["group"], "kind": kind, "namespace": item["namespace"],
            "name": name, "status": status, "message": message,
            "hookPhase": "Succeeded", "syncPhase": "Sync"}),
        );
    }
    app["status"]["operationState"] = json!({
        "operation": operation,
        "phase": "Succeeded",
        "message": "successfully synced (all tasks run)",
        "startedAt": started,
        "finishedAt": started,
        "syncResult": {"resources": results},
    });
}

async fn rollback(
    State(shared): State<Arc<Shared>>,
    UrlPath(name): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req::new(method, uri, headers, &body);
    let mut inner = shared.lock();
    let user = inner.options.user.clone();
    // Rollback is authorised as `sync` in Argo CD's RBAC.
    let response = match app_for(&mut inner, &req, "sync", &name) {
        Err(e) => e.into_response(),
        Ok(app) => {
            let id = req.body["id"]
                .as_i64()
                .or_else(|| req.body["id"].as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(0);
            let entry = app["status"]["history"]
                .as_array()
                .and_then(|h| h.iter().find(|e| e["id"] == id))
                .cloned();
            if automated(app) {
                grpc_error(9, "rollback cannot be initiated when auto-sync is enabled")
            } else if let Some(entry) = entry {
                let mut sync = json!({
                    "revision": entry["revision"],
                    "source": entry["source"],
                    "syncStrategy": {"hook": {}},
                });
                for field in ["prune", "dryRun"] {
                    if req.body[field] == true {
                        sync[field] = json!(true);
                    }
                }
                let operation = json!({"sync": sync, "initiatedBy": {"username": user}});
                match set_operation(app, operation) {
                    Ok(()) => axum::Json(app.clone()).into_response(),
                    Err(e) => e.into_response(),
                }
            } else {
                grpc_error(
                    3,
                    &format!("application {name} does not have deployment with id {id}"),
                )
            }
        }
    };
    req.answer(&mut inner, response)
}

async fn terminate(
    State(shared): State<Arc<Shared>>,
    UrlPath(name): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let req = Req::new(method, uri, headers, &[]);
    let mut inner = shared.lock();
    let response = match app_for(&mut inner, &req, "sync", &name) {
        Err(e) => e.into_response(),
        Ok(app) => {
            let running = app.get("operation").is_some_and(|o| !o.is_null())
                && app["status"]["operationState"].is_object();
            if running {
                app["status"]["operationState"]["phase"] = json!("Terminating");
                axum::Json(json!({})).into_response()
            } else {
                grpc_error(
                    3,
                    "Unable to terminate operation. No operation is in progress",
                )
            }
        }
    };
    req.answer(&mut inner, response)
}

async fn tree(
    State(shared): State<Arc<Shared>>,
    UrlPath(name): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let req = Req::new(method, uri, headers, &[]);
    let mut inner = shared.lock();
    let response = match app_for(&mut inner, &req, "get", &name) {
        Err(e) => e.into_response(),
        Ok(app) => {
            let derived = derived_tree(app);
            let tree = inner.trees.get(&name).cloned().unwrap_or(derived);
            axum::Json(tree).into_response()
        }
    };
    req.answer(&mut inner, response)
}

/// A per-app body the test configured (`ManagedResourcesResponse`, sync windows), `{}`
/// when none (proto3 JSON leaves empty lists out), after Argo CD's `get` RBAC.
fn stored(
    shared: &Shared,
    name: &str,
    req: &Req,
    pick: fn(&Inner) -> &BTreeMap<String, Value>,
) -> Response {
    let mut inner = shared.lock();
    let response = match app_for(&mut inner, req, "get", name) {
        Err(e) => e.into_response(),
        Ok(_) => {
            let body = pick(&inner).get(name).cloned().unwrap_or_else(|| json!({}));
            axum::Json(body).into_response()
        }
    };
    req.answer(&mut inner, response)
}

async fn managed(
    State(shared): State<Arc<Shared>>,
    UrlPath(name): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let req = Req::new(method, uri, headers, &[]);
    stored(&shared, &name, &req, |inner| &inner.managed)
}

async fn sync_windows(
    State(shared): State<Arc<Shared>>,
    UrlPath(name): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let req = Req::new(method, uri, headers, &[]);
    stored(&shared, &name, &req, |inner| &inner.windows)
}

/// Whether the app's configured windows block a sync now (the server's `canSync`).
fn blocked_by_window(inner: &Inner, name: &str) -> bool {
    inner
        .windows
        .get(name)
        .is_some_and(|w| w["canSync"] == json!(false))
}

/// A flat tree from `status.resources` (health where the CR still carries it).
fn derived_tree(app: &Value) -> Value {
    let nodes: Vec<Value> = app["status"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let mut node = json!({
                "group": r["group"].as_str().unwrap_or_default(),
                "version": r["version"],
                "kind": r["kind"],
                "namespace": r["namespace"],
                "name": r["name"],
            });
            if let Some(health) = r.get("health") {
                node["health"] = health.clone();
            }
            node
        })
        .collect();
    json!({"nodes": nodes, "orphanedNodes": [], "hosts": []})
}
