//! Runs admitted Argo CD and rollout actions against a real cluster (argoproj/argo-cd,
//! docs/user-guide/sync-kubectl.md and util/argo/argo.go; argoproj/argo-rollouts,
//! pkg/kubectl-argo-rollouts/cmd/; kubernetes/kubernetes,
//! staging/src/k8s.io/kubectl/pkg/polymorphichelpers/).
//!
//! - Argo CD app actions go to the Argo CD API server when the context names one (its RBAC and
//!   guards apply), else they patch the `Application` the way the API server itself does: the
//!   object is read fresh, the in-progress guard and the auto-sync refusal are checked on it,
//!   and the merge patch carries the `resourceVersion` it was checked against, so a concurrent
//!   change makes the API server answer 409 instead of two operations racing.
//! - Rollout and Deployment actions read the workload fresh, re-check the discovery.lua
//!   enablement on it, and send the exact merge patches of the rollouts plugin and kubectl,
//!   in order, each to its subresource.
//! - Terminating an `AnalysisRun` reads it fresh and sends the plugin's `spec.terminate` patch.
//!
//! The audit gate calls this only after the platform recorded the intent; errors become the
//! `failed` outcome's detail, word for word.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, Preconditions};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::actions::gate::{ExecResult, Executor};
use crate::config::SecretRef;
use crate::model::action::{ActionRequest, RolloutOp, WorkloadKind};
use crate::model::k8s::patches::terminate_analysis_run;
use crate::model::k8s::{
    AnalysisRun, ApiCall, Application, HttpMethod, PatchPlan, Rollout, Workload, app_ops,
    app_ops::ArgoRead, op_enablement, plan,
};

/// How long a dry-run sync may take before opsdeck stops waiting for its result.
const DRY_RUN_WAIT: std::time::Duration = std::time::Duration::from_mins(1);
/// How often the Application is read while a dry run runs.
const DRY_RUN_POLL: std::time::Duration = std::time::Duration::from_millis(500);
/// Resources named in a dry run's summary (the diff view shows them all).
const DRY_RUN_NAMED: usize = 4;

/// Why sync windows cannot be shown without the API server.
pub const NEEDS_API_SERVER_WINDOWS: &str = "sync windows need the Argo CD API server (it evaluates the AppProject's window schedules): add api_url and token to this context's argocd table";
/// Why a diff cannot be read without an API server, and how to configure one.
pub const NEEDS_API_SERVER: &str = "the diff needs the Argo CD API server (managed resources live in the application controller's cache, not in the Application): add api_url and token to this context's argocd table, e.g. argocd = { namespaces = [\"argocd\"], api_url = \"https://argocd.example.com\", token = { env = \"ARGOCD_TOKEN\" } }";

/// Why a read from the Argo CD API server gave nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiReadError {
    /// The context names no API server.
    #[error("{0}")]
    NoApiServer(String),
    /// The call failed; the message says how.
    #[error("{0}")]
    Failed(String),
}

/// How long one call to the Argo CD API server may take.
const API_TIMEOUT: Duration = Duration::from_secs(15);

/// An Argo CD API server: its base URL and the bearer token, by reference.
#[derive(Debug, Clone)]
pub struct ArgoApi {
    pub url: String,
    pub token: Option<SecretRef>,
    /// The context's `http_tls` for this server.
    pub tls: crate::config::HttpTls,
}

/// The executor of one context's Kubernetes actions.
#[derive(Clone)]
pub struct KubeExecutor {
    /// Built on first use, so a context switch never waits for a kubeconfig.
    client: Arc<OnceCell<Client>>,
    /// Where the client comes from when it is not given.
    kube_context: Option<(Option<PathBuf>, String)>,
    /// Argo CD's own namespace comes first: apps elsewhere are named with `appNamespace`.
    argo_namespaces: Vec<String>,
    api: Option<ArgoApi>,
    http: reqwest::Client,
    /// Why the API server's TLS could not be set up, said by every API call.
    tls_error: Option<String>,
    /// `initiatedBy.username` of the operations written on the CR path.
    username: String,
}

impl std::fmt::Debug for KubeExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeExecutor")
            .field("argo_namespaces", &self.argo_namespaces)
            .field("api", &self.api.as_ref().map(|a| &a.url))
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl From<ApiReadError> for crate::model::error::BackendError {
    fn from(e: ApiReadError) -> Self {
        match e {
            ApiReadError::NoApiServer(why) => Self::unavailable(why),
            ApiReadError::Failed(why) => Self::other(why),
        }
    }
}

impl KubeExecutor {
    /// An executor on an existing client.
    #[must_use]
    pub fn new(
        client: Client,
        argo_namespaces: Vec<String>,
        api: Option<ArgoApi>,
        username: String,
    ) -> Self {
        let mut executor = Self::lazy(None, argo_namespaces, api, username);
        executor.client = Arc::new(OnceCell::new_with(Some(client)));
        executor
    }

    /// An executor whose client is made from `kube_context` (and `kubeconfig`, else kubectl's
    /// files) when first needed.
    #[must_use]
    pub fn for_context(
        kubeconfig: Option<PathBuf>,
        kube_context: String,
        argo_namespaces: Vec<String>,
        api: Option<ArgoApi>,
        username: String,
    ) -> Self {
        Self::lazy(
            Some((kubeconfig, kube_context)),
            argo_namespaces,
            api,
            username,
        )
    }

    fn lazy(
        kube_context: Option<(Option<PathBuf>, String)>,
        argo_namespaces: Vec<String>,
        api: Option<ArgoApi>,
        username: String,
    ) -> Self {
        // A TLS file that cannot be used (config load checked it) leaves the client without
        // a connector, and each call then says why.
        let tls = api
            .as_ref()
            .map(|a| crate::tls::client_config(&a.tls).map_err(|e| e.to_string()));
        let http = match &tls {
            Some(Ok(tls)) => crate::tls::reqwest_builder(tls),
            _ => reqwest::Client::builder(),
        }
        .timeout(API_TIMEOUT)
        .build()
        .unwrap_or_default();
        let tls_error = match tls {
            Some(Err(e)) => Some(e),
            _ => None,
        };
        Self {
            client: Arc::new(OnceCell::new()),
            kube_context,
            argo_namespaces,
            api,
            http,
            tls_error,
            username,
        }
    }

    /// The cluster client (shared with access reviews).
    ///
    /// # Errors
    /// The kube context cannot be turned into a client.
    pub async fn client(&self) -> Result<Client, String> {
        self.client
            .get_or_try_init(|| async {
                match &self.kube_context {
                    Some((path, context)) => {
                        super::client_for_context(context, path.as_deref()).await
                    }
                    None => Err("no kube context in this opsdeck context".to_owned()),
                }
            })
            .await
            .cloned()
    }

    fn app_namespace<'a>(&'a self, requested: &'a str) -> &'a str {
        if requested.is_empty() {
            self.argo_namespaces
                .first()
                .map_or("argocd", String::as_str)
        } else {
            requested
        }
    }

    /// The `appNamespace` an API call for an app in `requested` must carry: none for Argo
    /// CD's own namespace (also when the request names none), the namespace for the others
    /// ("apps in any namespace").
    fn api_namespace<'a>(&'a self, requested: &'a str) -> Option<&'a str> {
        let own = self.argo_namespaces.first().map(String::as_str);
        let namespace = self.app_namespace(requested);
        (own != Some(namespace)).then_some(namespace)
    }

    async fn app_action(&self, request: &ActionRequest) -> Result<String, String> {
        let (namespace, app) = match request {
            ActionRequest::SyncApp { namespace, app, .. }
            | ActionRequest::RefreshApp { namespace, app, .. }
            | ActionRequest::RollbackApp { namespace, app, .. }
            | ActionRequest::TerminateAppOperation { namespace, app } => {
                (self.app_namespace(namespace), app.as_str())
            }
            _ => return Err("not an Argo CD application action".into()),
        };
        match &self.api {
            Some(api) => {
                let app_namespace = self.api_namespace(namespace);
                let call = app_ops::api_call(request, app_namespace).map_err(|e| e.to_string())?;
                if matches!(request, ActionRequest::SyncApp { dry_run: true, .. }) {
                    return self.dry_run_sync(api, &call, app, app_namespace).await;
                }
                self.call_api(api, &call).await
            }
            None => self.patch_application(request, namespace, app).await,
        }
    }

    /// The CR path: read, check, patch with the read `resourceVersion`.
    async fn patch_application(
        &self,
        request: &ActionRequest,
        namespace: &str,
        name: &str,
    ) -> Result<String, String> {
        let api: Api<Application> = Api::namespaced(self.client().await?, namespace);
        let app = api
            .get(name)
            .await
            .map_err(|e| kube_error(&format!("get application {namespace}/{name}"), &e))?;
        let patch = app_ops::cr_patch(request, &app, &self.username).map_err(|e| e.to_string())?;
        let body = patch.with_precondition();
        api.patch(name, &PatchParams::default(), &Patch::Merge(&body))
            .await
            .map_err(|e| kube_error(&format!("patch application {namespace}/{name}"), &e))?;
        Ok(format!(
            "patched applications/{name} in {namespace}: {}",
            compact(&patch.patch)
        ))
    }

    /// One of the reads only the API server answers, the body as it came.
    ///
    /// # Errors
    /// [`ApiReadError::NoApiServer`] when the context names no API server, with what needs it
    /// and how to configure one; otherwise the server's or the transport's error, word for
    /// word.
    pub async fn argo_read(
        &self,
        read: ArgoRead,
        namespace: &str,
        app: &str,
    ) -> Result<Value, ApiReadError> {
        let Some(api) = &self.api else {
            let why = match read {
                ArgoRead::ManagedResources => NEEDS_API_SERVER,
                ArgoRead::SyncWindows => NEEDS_API_SERVER_WINDOWS,
            };
            return Err(ApiReadError::NoApiServer(why.to_owned()));
        };
        let app_namespace = self.api_namespace(namespace);
        self.fetch_api(api, &read.call(app, app_namespace))
            .await
            .map(|(_, body)| body)
            .map_err(ApiReadError::Failed)
    }

    /// An application's managed resources ([`Self::argo_read`]).
    ///
    /// # Errors
    /// As [`Self::argo_read`].
    pub async fn managed_resources(
        &self,
        namespace: &str,
        app: &str,
    ) -> Result<Value, ApiReadError> {
        self.argo_read(ArgoRead::ManagedResources, namespace, app)
            .await
    }

    /// An application's sync windows ([`Self::argo_read`]).
    ///
    /// # Errors
    /// As [`Self::argo_read`].
    pub async fn sync_windows(&self, namespace: &str, app: &str) -> Result<Value, ApiReadError> {
        self.argo_read(ArgoRead::SyncWindows, namespace, app).await
    }

    /// Sends the dry run, then reads the Application until the controller has written its
    /// result (the call itself only sets `.operation`), for up to [`DRY_RUN_WAIT`]. A dry run
    /// that failed is an error with the controller's words and each failed resource.
    async fn dry_run_sync(
        &self,
        api: &ArgoApi,
        call: &ApiCall,
        app: &str,
        app_namespace: Option<&str>,
    ) -> Result<String, String> {
        use crate::model::k8s::dry_run::{DryRunState, last_started, read};
        let (_, asked) = self.fetch_api(api, call).await?;
        let previous = last_started(&asked);
        let get = app_ops::get_app_call(app, app_namespace);
        let deadline = tokio::time::Instant::now() + DRY_RUN_WAIT;
        loop {
            let (_, body) = self.fetch_api(api, &get).await?;
            if let DryRunState::Done(run) = read(&body, previous.as_deref()) {
                let summary = run.summary(DRY_RUN_NAMED);
                return if run.phase == "Succeeded" {
                    Ok(format!("dry run: {summary}"))
                } else {
                    Err(summary)
                };
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "dry run of {app}: no result after {} s (the application controller has \
                     not finished it; see the app's operation)",
                    DRY_RUN_WAIT.as_secs()
                ));
            }
            tokio::time::sleep(DRY_RUN_POLL).await;
        }
    }

    async fn call_api(&self, api: &ArgoApi, call: &ApiCall) -> Result<String, String> {
        let what = format!("{} {}", call.method.as_str(), call.path);
        let (status, _) = self.fetch_api(api, call).await?;
        Ok(format!("Argo CD API {what}: {status}"))
    }

    /// One API call: the status and the JSON body (`Null` when empty or not JSON) on
    /// success, the server's `message` (grpc-gateway's error shape) otherwise.
    async fn fetch_api(
        &self,
        api: &ArgoApi,
        call: &ApiCall,
    ) -> Result<(reqwest::StatusCode, Value), String> {
        if let Some(e) = &self.tls_error {
            return Err(format!("Argo CD API: {e}"));
        }
        let mut url =
            reqwest::Url::parse(&format!("{}{}", api.url.trim_end_matches('/'), call.path))
                .map_err(|e| format!("Argo CD API url {}: {e}", api.url))?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        let method = match call.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.http.request(method, url);
        if let Some(token) = api.token.clone() {
            let token = tokio::task::spawn_blocking(move || token.resolve())
                .await
                .map_err(|e| format!("Argo CD token: {e}"))?
                .map_err(|e| format!("Argo CD token: {e}"))?;
            builder = builder.bearer_auth(token);
        }
        if let Some(body) = &call.body {
            builder = builder.json(body);
        }
        let what = format!("{} {}", call.method.as_str(), call.path);
        let response = builder.send().await.map_err(|e| {
            let why = crate::tls::explain(&e).unwrap_or_else(|| e.to_string());
            format!("Argo CD API {what}: {why}")
        })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            let body = serde_json::from_str(&text).unwrap_or(Value::Null);
            return Ok((status, body));
        }
        // grpc-gateway errors carry `message`; anything else is shown as it came.
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or(text);
        Err(format!(
            "Argo CD API {what}: {status}: {}",
            crate::model::clean(&message)
        ))
    }

    async fn rollout_action(
        &self,
        namespace: &str,
        name: &str,
        kind: WorkloadKind,
        op: RolloutOp,
    ) -> Result<String, String> {
        let replica_sets = if matches!(op, RolloutOp::Undo { .. }) {
            self.replica_sets(namespace).await?
        } else {
            Vec::new()
        };
        let client = self.client().await?;
        match kind {
            WorkloadKind::Rollout => {
                let api: Api<Rollout> = Api::namespaced(client, namespace);
                let rollout = get(&api, "rollout", namespace, name).await?;
                let owned = owned_by(&replica_sets, rollout.metadata.uid.as_deref());
                let plans = checked_plan(Workload::Rollout(&rollout), op, &owned)?;
                apply(&api, "rollouts", namespace, name, &plans).await
            }
            WorkloadKind::Deployment => {
                let api: Api<Deployment> = Api::namespaced(client, namespace);
                let deployment = get(&api, "deployment", namespace, name).await?;
                let owned = owned_by(&replica_sets, deployment.metadata.uid.as_deref());
                let plans = checked_plan(Workload::Deployment(&deployment), op, &owned)?;
                apply(&api, "deployments", namespace, name, &plans).await
            }
        }
    }

    /// `kubectl delete pod` with the uid as a precondition (kubernetes/kubernetes,
    /// staging/src/k8s.io/kubectl/pkg/cmd/delete/delete.go: `DeleteOptions` carries
    /// `gracePeriodSeconds` only when one was chosen; the prompt already turned "now" and 0
    /// into kubectl's 1). A pod recreated under the same name has another uid, and the API
    /// server answers 409 instead of deleting it.
    async fn delete_pod(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        grace_secs: Option<i64>,
    ) -> Result<String, String> {
        let api: Api<Pod> = Api::namespaced(self.client().await?, namespace);
        let params = DeleteParams {
            grace_period_seconds: grace_secs.map(|g| u32::try_from(g.max(0)).unwrap_or(u32::MAX)),
            preconditions: (!uid.is_empty()).then(|| Preconditions {
                uid: Some(uid.to_owned()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        api.delete(name, &params)
            .await
            .map_err(|e| kube_error(&format!("delete pods/{name} in {namespace}"), &e))?;
        let grace = crate::model::action::grace_words(grace_secs);
        Ok(format!(
            "deleted pods/{name} in {namespace} (uid {uid}) with {grace}"
        ))
    }

    /// Read fresh (a run that completed since the screen showed it is refused), then the
    /// plugin's patch.
    async fn terminate_analysis_run(&self, namespace: &str, name: &str) -> Result<String, String> {
        let api: Api<AnalysisRun> = Api::namespaced(self.client().await?, namespace);
        let run = get(&api, "analysisrun", namespace, name).await?;
        let plan = terminate_analysis_run(&run).map_err(|e| e.to_string())?;
        apply(&api, "analysisruns", namespace, name, &[plan]).await
    }

    async fn replica_sets(&self, namespace: &str) -> Result<Vec<ReplicaSet>, String> {
        let api: Api<ReplicaSet> = Api::namespaced(self.client().await?, namespace);
        api.list(&ListParams::default())
            .await
            .map(|list| list.items)
            .map_err(|e| kube_error(&format!("list replicasets in {namespace}"), &e))
    }
}

/// The enablement rule checked again on the object as it is now, then the patches.
fn checked_plan(
    workload: Workload<'_>,
    op: RolloutOp,
    replica_sets: &[ReplicaSet],
) -> Result<Vec<PatchPlan>, String> {
    if let crate::model::k8s::Enablement::Disabled(reason) = op_enablement(workload, op) {
        return Err(format!("{} refused: {reason}", op.as_str()));
    }
    plan(workload, op, replica_sets, Timestamp::now()).map_err(|e| e.to_string())
}

fn owned_by(replica_sets: &[ReplicaSet], uid: Option<&str>) -> Vec<ReplicaSet> {
    let Some(uid) = uid else {
        return Vec::new();
    };
    replica_sets
        .iter()
        .filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid)
        })
        .cloned()
        .collect()
}

async fn get<K>(api: &Api<K>, what: &str, namespace: &str, name: &str) -> Result<K, String>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    api.get(name)
        .await
        .map_err(|e| kube_error(&format!("get {what} {namespace}/{name}"), &e))
}

/// Sends the plans in order; the detail lists each patch as sent.
async fn apply<K>(
    api: &Api<K>,
    plural: &str,
    namespace: &str,
    name: &str,
    plans: &[PatchPlan],
) -> Result<String, String>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let params = PatchParams::default();
    let mut sent = Vec::new();
    for plan in plans {
        let patch = Patch::Merge(&plan.patch);
        let target = match plan.subresource {
            Some(sub) => format!("{plural}/{name}/{sub}"),
            None => format!("{plural}/{name}"),
        };
        let result = match plan.subresource {
            Some("status") => api.patch_status(name, &params, &patch).await.map(drop),
            Some(sub) => api
                .patch_subresource(sub, name, &params, &patch)
                .await
                .map(drop),
            None => api.patch(name, &params, &patch).await.map(drop),
        };
        result.map_err(|e| {
            let done = if sent.is_empty() {
                String::new()
            } else {
                format!(" (after {})", sent.join("; "))
            };
            format!(
                "{}{done}",
                kube_error(&format!("patch {target} in {namespace}"), &e)
            )
        })?;
        sent.push(format!("{target} {}", compact(&plan.patch)));
    }
    Ok(format!("patched in {namespace}: {}", sent.join("; ")))
}

fn compact(v: &Value) -> String {
    crate::ui::text::fit(&v.to_string(), 300)
}

/// The API's own message (e.g. the RBAC denial), with what was attempted.
/// Why a session action cannot run as a one-shot action.
pub const SESSION_ONLY: &str = "a shell runs through the terminal hand-over (open_session) and a port-forward through the \
     runtime's forwards (open_forward), not as a one-shot action";

fn kube_error(what: &str, e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) if status.code == 409 => format!(
            "{what}: it changed since it was read ({}); look again and retry",
            status.message
        ),
        kube::Error::Api(status) => format!("{what}: {} ({})", status.message, status.code),
        other => format!("{what}: {other}"),
    }
}

impl Executor for KubeExecutor {
    async fn execute(&self, request: &ActionRequest) -> ExecResult {
        let result = match request {
            ActionRequest::RolloutAction {
                namespace,
                name,
                kind,
                op,
            } => self.rollout_action(namespace, name, *kind, *op).await,
            ActionRequest::DeletePod {
                namespace,
                name,
                uid,
                grace_secs,
                ..
            } => self.delete_pod(namespace, name, uid, *grace_secs).await,
            ActionRequest::TerminateAnalysisRun {
                namespace, name, ..
            } => self.terminate_analysis_run(namespace, name).await,
            // A session is opened with `open_session` and wired to the terminal by the
            // runtime; there is nothing to run without a terminal.
            ActionRequest::ExecPod { .. }
            | ActionRequest::DebugPod { .. }
            | ActionRequest::PortForward { .. } => Err(SESSION_ONLY.to_owned()),
            _ => self.app_action(request).await,
        };
        result.into()
    }
}
