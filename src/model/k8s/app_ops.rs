//! Argo CD actions as data, on both paths Argo CD offers (argoproj/argo-cd: the CR patch of
//! docs/user-guide/sync-kubectl.md, the REST API of server/application/application.proto):
//!
//! - **CR path** (Kubernetes API only): the exact JSON merge patch for the `Application`,
//!   with the API server's checks copied — the in-progress guard, the auto-sync refusal for
//!   rollbacks, the history lookup — so a direct patch refuses what `argocd` would refuse.
//! - **API server path**: the REST call (`method`, `path`, `query`, `body`).
//!
//! Argo CD's `Application` CRD has no status subresource (the API server itself terminates an
//! operation with a plain update of the object), so every CR patch targets the main resource.

use serde_json::{Map, Value, json};
use thiserror::Error;

use super::app::Application;
use super::app_row::OperationPhase;
use crate::model::action::ActionRequest;

/// The annotation the controller watches for a refresh and removes afterwards.
pub const REFRESH_ANNOTATION: &str = "argocd.argoproj.io/refresh";

/// Why an Argo CD action is refused. The messages are Argo CD's own where it has one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AppOpError {
    #[error("another operation is already in progress")]
    InProgress,
    #[error("rollback cannot be initiated when auto-sync is enabled")]
    AutoSyncEnabled,
    #[error("application {app} does not have deployment with id {id}")]
    NoSuchHistory { app: String, id: i64 },
    #[error(
        "cannot rollback to revision deployed with Argo CD v0.11 or lower. sync to revision instead."
    )]
    HistoryWithoutSource,
    #[error("Unable to terminate operation. No operation is in progress")]
    NothingToTerminate,
    #[error("invalid resource {0:?}: expected GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME")]
    BadResource(String),
    #[error("not an Argo CD application action")]
    NotAnAppAction,
    #[error(
        "a dry run of a sync needs the Argo CD API server (its result is read back from it); \
         add api_url and token to this context's argocd table"
    )]
    DryRunNeedsApiServer,
}

/// A merge patch for `applications.argoproj.io/<name>` (main resource, never a subresource).
#[derive(Debug, Clone, PartialEq)]
pub struct AppPatch {
    /// The exact JSON merge patch.
    pub patch: Value,
    /// The `resourceVersion` the checks were made against.
    pub resource_version: Option<String>,
}

impl AppPatch {
    /// The patch plus `metadata.resourceVersion`: the API server then rejects it with 409 if
    /// anyone changed the app since it was read, which keeps the guard's verdict true at write
    /// time (the reference's "replace with the read resourceVersion", as a patch).
    #[must_use]
    pub fn with_precondition(&self) -> Value {
        let mut patch = self.patch.clone();
        if let (Some(rv), Some(obj)) = (&self.resource_version, patch.as_object_mut()) {
            let meta = obj
                .entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert("resourceVersion".into(), Value::String(rv.clone()));
            }
        }
        patch
    }
}

/// The in-progress guard (`SetAppOperation` in argoproj/argo-cd, util/argo/argo.go): refuse
/// when an operation is requested (`.operation` set) or still running or terminating.
pub fn ensure_no_operation(app: &Application) -> Result<(), AppOpError> {
    let phase = app
        .status
        .operation_state
        .as_ref()
        .and_then(|s| OperationPhase::parse(&s.phase));
    let busy = matches!(
        phase,
        Some(OperationPhase::Running | OperationPhase::Terminating)
    );
    if app.operation.is_some() || busy {
        Err(AppOpError::InProgress)
    } else {
        Ok(())
    }
}

/// One resource of a selective sync, written `GROUP:KIND:NAME` or `GROUP:KIND:NAMESPACE/NAME`
/// like `argocd app sync --resource` (the group is empty for core kinds: `:Service:web`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncResource {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl SyncResource {
    pub fn parse(spec: &str) -> Result<Self, AppOpError> {
        let bad = || AppOpError::BadResource(spec.to_owned());
        let mut parts = spec.splitn(3, ':');
        let (Some(group), Some(kind), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let (namespace, name) = match rest.split_once('/') {
            Some((ns, name)) => (Some(ns.to_owned()), name),
            None => (None, rest),
        };
        if kind.is_empty() || name.is_empty() || namespace.as_deref() == Some("") {
            return Err(bad());
        }
        Ok(Self {
            group: group.to_owned(),
            kind: kind.to_owned(),
            namespace,
            name: name.to_owned(),
        })
    }

    /// The resource of a row in the app's resource list.
    #[must_use]
    pub fn from_row(row: &super::app_row::ResourceRow) -> Self {
        Self {
            group: row.group.clone(),
            kind: row.kind.clone(),
            namespace: (!row.namespace.is_empty()).then(|| row.namespace.clone()),
            name: row.name.clone(),
        }
    }

    /// The `GROUP:KIND:[NAMESPACE/]NAME` form, as `ActionRequest::SyncApp` stores it.
    #[must_use]
    pub fn key(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}:{}:{ns}/{}", self.group, self.kind, self.name),
            None => format!("{}:{}:{}", self.group, self.kind, self.name),
        }
    }

    /// `SyncOperationResource` JSON; `group` and `namespace` are `omitempty` in Argo CD.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        if !self.group.is_empty() {
            obj.insert("group".into(), json!(self.group));
        }
        obj.insert("kind".into(), json!(self.kind));
        obj.insert("name".into(), json!(self.name));
        if let Some(ns) = &self.namespace {
            obj.insert("namespace".into(), json!(ns));
        }
        Value::Object(obj)
    }
}

fn parse_resources(specs: &[String]) -> Result<Vec<SyncResource>, AppOpError> {
    specs.iter().map(|s| SyncResource::parse(s)).collect()
}

fn resource_version(app: &Application) -> Option<String> {
    app.metadata.resource_version.clone()
}

/// Sync: write the top-level `operation` (argoproj/argo-cd, docs/user-guide/sync-kubectl.md),
/// hook strategy like the UI's default, `prune` and `resources` only when asked for (both are
/// `omitempty` in Argo CD).
pub fn sync_patch(
    app: &Application,
    username: &str,
    prune: bool,
    resources: &[SyncResource],
) -> Result<AppPatch, AppOpError> {
    ensure_no_operation(app)?;
    let mut sync = Map::new();
    sync.insert("syncStrategy".into(), json!({"hook": {}}));
    if prune {
        sync.insert("prune".into(), json!(true));
    }
    if !resources.is_empty() {
        let list = resources.iter().map(SyncResource::to_json).collect();
        sync.insert("resources".into(), Value::Array(list));
    }
    Ok(AppPatch {
        patch: json!({"operation": {"initiatedBy": {"username": username}, "sync": sync}}),
        resource_version: resource_version(app),
    })
}

/// Refresh (normal or hard): an annotation the controller consumes. Allowed at any time.
#[must_use]
pub fn refresh_patch(hard: bool) -> AppPatch {
    let mode = if hard { "hard" } else { "normal" };
    AppPatch {
        patch: json!({"metadata": {"annotations": {REFRESH_ANNOTATION: mode}}}),
        resource_version: None,
    }
}

/// Terminate: what the API server does (`status.operationState.phase = Terminating`), and only
/// when it would: an operation requested and a state to mark.
pub fn terminate_patch(app: &Application) -> Result<AppPatch, AppOpError> {
    if app.operation.is_none() || app.status.operation_state.is_none() {
        return Err(AppOpError::NothingToTerminate);
    }
    Ok(AppPatch {
        patch: json!({"status": {"operationState": {"phase": "Terminating"}}}),
        resource_version: resource_version(app),
    })
}

/// Rollback to history entry `id`: an `operation.sync` with the entry's revision and source,
/// apply strategy and the app's sync options, exactly as the API server builds it. The server's
/// checks run in its order: auto-sync, history lookup, source present, then the guard.
pub fn rollback_patch(
    app: &Application,
    username: &str,
    id: i64,
    prune: bool,
) -> Result<AppPatch, AppOpError> {
    if app.auto_sync().is_some() {
        return Err(AppOpError::AutoSyncEnabled);
    }
    let entry = app
        .status
        .history
        .iter()
        .find(|h| h.id == id)
        .ok_or_else(|| AppOpError::NoSuchHistory {
            app: app.name().to_owned(),
            id,
        })?;
    let source = entry.source.as_ref().filter(|s| !is_empty_json(s));
    if source.is_none() && entry.sources.is_empty() {
        return Err(AppOpError::HistoryWithoutSource);
    }
    ensure_no_operation(app)?;

    let mut sync = Map::new();
    if !entry.revision.is_empty() {
        sync.insert("revision".into(), json!(entry.revision));
    }
    if !entry.revisions.is_empty() {
        sync.insert("revisions".into(), json!(entry.revisions));
    }
    if prune {
        sync.insert("prune".into(), json!(true));
    }
    let options = app
        .spec
        .sync_policy
        .as_ref()
        .map(|p| p.sync_options.clone())
        .unwrap_or_default();
    if !options.is_empty() {
        sync.insert("syncOptions".into(), json!(options));
    }
    sync.insert("syncStrategy".into(), json!({"apply": {}}));
    if let Some(source) = source {
        sync.insert("source".into(), source.clone());
    }
    if !entry.sources.is_empty() {
        sync.insert("sources".into(), json!(entry.sources));
    }
    Ok(AppPatch {
        patch: json!({"operation": {"initiatedBy": {"username": username}, "sync": sync}}),
        resource_version: resource_version(app),
    })
}

fn is_empty_json(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// The CR-path patch for an Argo CD [`ActionRequest`], checked against the app as read.
pub fn cr_patch(
    request: &ActionRequest,
    app: &Application,
    username: &str,
) -> Result<AppPatch, AppOpError> {
    match request {
        ActionRequest::SyncApp { dry_run: true, .. } => Err(AppOpError::DryRunNeedsApiServer),
        ActionRequest::SyncApp {
            prune, resources, ..
        } => sync_patch(app, username, *prune, &parse_resources(resources)?),
        ActionRequest::RefreshApp { hard, .. } => Ok(refresh_patch(*hard)),
        ActionRequest::RollbackApp { history_id, .. } => {
            rollback_patch(app, username, *history_id, false)
        }
        ActionRequest::TerminateAppOperation { .. } => terminate_patch(app),
        _ => Err(AppOpError::NotAnAppAction),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
    Delete,
}

impl HttpMethod {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

/// One call to the Argo CD API server (argoproj/argo-cd, server/application/application.proto),
/// relative to the server's base URL.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    pub method: HttpMethod,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

fn app_path(app: &str) -> String {
    format!("/api/v1/applications/{app}")
}

fn namespace_query(app_namespace: Option<&str>) -> Vec<(String, String)> {
    app_namespace
        .map(|ns| vec![("appNamespace".to_owned(), ns.to_owned())])
        .unwrap_or_default()
}

fn with_namespace(mut body: Value, app_namespace: Option<&str>) -> Value {
    if let (Some(ns), Some(obj)) = (app_namespace, body.as_object_mut()) {
        obj.insert("appNamespace".into(), json!(ns));
    }
    body
}

/// The reads only the Argo CD API server answers (they live in the application controller's
/// cache or come from its cron evaluation, not in the Application).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgoRead {
    /// `GET /api/v1/applications/{app}/managed-resources` (argoproj/argo-cd
    /// `server/application/application.proto`, `ManagedResources`): each managed resource's
    /// live, normalized live, predicted live and target state, which the diff view compares.
    ManagedResources,
    /// `GET /api/v1/applications/{app}/syncwindows` (same file, `GetApplicationSyncWindows`):
    /// the project's windows that match the app, the active ones, and `canSync`.
    SyncWindows,
}

impl ArgoRead {
    /// The call for `app` (`app_namespace` for apps outside Argo CD's own namespace).
    #[must_use]
    pub fn call(self, app: &str, app_namespace: Option<&str>) -> ApiCall {
        let tail = match self {
            Self::ManagedResources => "managed-resources",
            Self::SyncWindows => "syncwindows",
        };
        ApiCall {
            method: HttpMethod::Get,
            path: format!("{}/{tail}", app_path(app)),
            query: namespace_query(app_namespace),
            body: None,
        }
    }
}

/// `GET /api/v1/applications/{app}`: the Application as the API server has it (a dry run's
/// result is read back this way).
#[must_use]
pub fn get_app_call(app: &str, app_namespace: Option<&str>) -> ApiCall {
    ApiCall {
        method: HttpMethod::Get,
        path: app_path(app),
        query: namespace_query(app_namespace),
        body: None,
    }
}

/// The API-server call for an Argo CD [`ActionRequest`]. The server runs its own guard and
/// RBAC, so no app state is needed here. `app_namespace` is for apps outside Argo CD's own
/// namespace ("apps in any namespace").
pub fn api_call(
    request: &ActionRequest,
    app_namespace: Option<&str>,
) -> Result<ApiCall, AppOpError> {
    Ok(match request {
        ActionRequest::SyncApp {
            app,
            prune,
            resources,
            dry_run,
            ..
        } => {
            let mut body = json!({"name": app, "prune": prune});
            if *dry_run {
                body["dryRun"] = json!(true);
            }
            let resources = parse_resources(resources)?;
            if !resources.is_empty() {
                body["resources"] = resources.iter().map(SyncResource::to_json).collect();
            }
            ApiCall {
                method: HttpMethod::Post,
                path: format!("{}/sync", app_path(app)),
                query: vec![],
                body: Some(with_namespace(body, app_namespace)),
            }
        }
        ActionRequest::RefreshApp { app, hard, .. } => {
            let mut query = vec![(
                "refresh".to_owned(),
                if *hard { "hard" } else { "normal" }.to_owned(),
            )];
            query.extend(namespace_query(app_namespace));
            ApiCall {
                method: HttpMethod::Get,
                path: app_path(app),
                query,
                body: None,
            }
        }
        ActionRequest::RollbackApp {
            app, history_id, ..
        } => ApiCall {
            method: HttpMethod::Post,
            path: format!("{}/rollback", app_path(app)),
            query: vec![],
            body: Some(with_namespace(
                json!({"name": app, "id": history_id, "prune": false}),
                app_namespace,
            )),
        },
        ActionRequest::TerminateAppOperation { app, .. } => ApiCall {
            method: HttpMethod::Delete,
            path: format!("{}/operation", app_path(app)),
            query: namespace_query(app_namespace),
            body: None,
        },
        _ => return Err(AppOpError::NotAnAppAction),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::app_row::tests::{
        operation_running, out_of_sync_degraded, synced_healthy,
    };

    #[test]
    fn sync_patch_is_the_documented_operation() {
        let plan = sync_patch(&synced_healthy(), "alice", false, &[]).expect("allowed");
        assert_eq!(
            plan.patch,
            json!({"operation": {"initiatedBy": {"username": "alice"},
                                 "sync": {"syncStrategy": {"hook": {}}}}})
        );
        assert_eq!(
            plan.with_precondition(),
            json!({"metadata": {"resourceVersion": "48213"},
                   "operation": {"initiatedBy": {"username": "alice"},
                                 "sync": {"syncStrategy": {"hook": {}}}}})
        );
    }

    #[test]
    fn selective_sync_with_prune() {
        let resources = [
            SyncResource::parse("apps:Deployment:shop/cart").expect("valid"),
            SyncResource::parse(":Service:cart").expect("valid"),
        ];
        let plan = sync_patch(&synced_healthy(), "alice", true, &resources).expect("allowed");
        assert_eq!(
            plan.patch,
            json!({"operation": {"initiatedBy": {"username": "alice"}, "sync": {
                "syncStrategy": {"hook": {}},
                "prune": true,
                "resources": [
                    {"group": "apps", "kind": "Deployment", "name": "cart", "namespace": "shop"},
                    {"kind": "Service", "name": "cart"}
                ]
            }}})
        );
        assert_eq!(resources[0].key(), "apps:Deployment:shop/cart");
        assert_eq!(resources[1].key(), ":Service:cart");
        assert!(SyncResource::parse("Deployment/cart").is_err());
    }

    #[test]
    fn guard_refuses_while_an_operation_is_in_progress() {
        let running = operation_running();
        assert_eq!(ensure_no_operation(&running), Err(AppOpError::InProgress));
        let err = sync_patch(&running, "alice", false, &[]).expect_err("refused");
        assert_eq!(err.to_string(), "another operation is already in progress");

        // The state alone is enough: Terminating without `.operation` still blocks.
        let mut terminating = synced_healthy();
        if let Some(s) = terminating.status.operation_state.as_mut() {
            s.phase = "Terminating".into();
        }
        assert_eq!(
            ensure_no_operation(&terminating),
            Err(AppOpError::InProgress)
        );
        assert_eq!(ensure_no_operation(&synced_healthy()), Ok(()));
    }

    #[test]
    fn refresh_patches() {
        assert_eq!(
            refresh_patch(false).patch,
            json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}})
        );
        assert_eq!(
            refresh_patch(true).patch,
            json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}})
        );
    }

    #[test]
    fn terminate_marks_the_running_state() {
        let plan = terminate_patch(&operation_running()).expect("allowed");
        assert_eq!(
            plan.patch,
            json!({"status": {"operationState": {"phase": "Terminating"}}})
        );
        assert_eq!(
            terminate_patch(&synced_healthy())
                .expect_err("nothing running")
                .to_string(),
            "Unable to terminate operation. No operation is in progress"
        );
    }

    #[test]
    fn rollback_uses_the_history_entry() {
        let plan = rollback_patch(&synced_healthy(), "alice", 3, false).expect("allowed");
        assert_eq!(
            plan.patch,
            json!({"operation": {"initiatedBy": {"username": "alice"}, "sync": {
                "revision": "1111111111111111111111111111111111111111",
                "syncOptions": ["CreateNamespace=true"],
                "syncStrategy": {"apply": {}},
                "source": {"repoURL": "https://git.example.com/shop/deploy.git",
                           "path": "cart", "targetRevision": "main"}
            }}})
        );
    }

    #[test]
    fn rollback_refusals() {
        let err = rollback_patch(&out_of_sync_degraded(), "alice", 1, false).expect_err("auto");
        assert_eq!(
            err.to_string(),
            "rollback cannot be initiated when auto-sync is enabled"
        );
        let err = rollback_patch(&synced_healthy(), "alice", 9, false).expect_err("no id");
        assert_eq!(
            err.to_string(),
            "application cart does not have deployment with id 9"
        );
    }

    #[test]
    fn cr_patch_maps_action_requests() {
        let req = ActionRequest::RollbackApp {
            namespace: "argocd".into(),
            app: "payments".into(),
            history_id: 1,
        };
        assert_eq!(
            cr_patch(&req, &out_of_sync_degraded(), "alice"),
            Err(AppOpError::AutoSyncEnabled)
        );
        let req = ActionRequest::SyncApp {
            namespace: "argocd".into(),
            app: "cart".into(),
            prune: false,
            resources: vec!["bad".into()],
            dry_run: false,
        };
        assert!(matches!(
            cr_patch(&req, &synced_healthy(), "alice"),
            Err(AppOpError::BadResource(_))
        ));
    }

    #[test]
    fn api_calls_per_reference_table() {
        let sync = api_call(
            &ActionRequest::SyncApp {
                namespace: "argocd".into(),
                app: "cart".into(),
                prune: true,
                resources: vec!["apps:Deployment:shop/cart".into()],
                dry_run: false,
            },
            None,
        )
        .expect("app action");
        assert_eq!(sync.method, HttpMethod::Post);
        assert_eq!(sync.path, "/api/v1/applications/cart/sync");
        assert_eq!(
            sync.body,
            Some(json!({"name": "cart", "prune": true, "resources": [
                {"group": "apps", "kind": "Deployment", "name": "cart", "namespace": "shop"}]}))
        );

        let hard = api_call(
            &ActionRequest::RefreshApp {
                namespace: "argocd".into(),
                app: "cart".into(),
                hard: true,
            },
            Some("team-a"),
        )
        .expect("app action");
        assert_eq!(
            (hard.method.as_str(), hard.path.as_str()),
            ("GET", "/api/v1/applications/cart")
        );
        assert_eq!(
            hard.query,
            vec![
                ("refresh".to_owned(), "hard".to_owned()),
                ("appNamespace".to_owned(), "team-a".to_owned())
            ]
        );

        let rollback = api_call(
            &ActionRequest::RollbackApp {
                namespace: "argocd".into(),
                app: "cart".into(),
                history_id: 3,
            },
            Some("team-a"),
        )
        .expect("app action");
        assert_eq!(rollback.path, "/api/v1/applications/cart/rollback");
        assert_eq!(
            rollback.body,
            Some(json!({"name": "cart", "id": 3, "prune": false, "appNamespace": "team-a"}))
        );

        let terminate = api_call(
            &ActionRequest::TerminateAppOperation {
                namespace: "argocd".into(),
                app: "cart".into(),
            },
            None,
        )
        .expect("app action");
        assert_eq!(terminate.method, HttpMethod::Delete);
        assert_eq!(terminate.path, "/api/v1/applications/cart/operation");
        assert_eq!(terminate.body, None);

        let other = ActionRequest::DeleteTopic { name: "t".into() };
        assert_eq!(api_call(&other, None), Err(AppOpError::NotAnAppAction));
    }
}
