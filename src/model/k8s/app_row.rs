//! What the Argo CD app list and detail show for one [`Application`]: sync and health as a
//! glyph plus a word, the operation phase, revisions, the auto-sync policy, and an attention
//! rank so the apps that need a human sort first. Also the drift list (`OutOfSync` resources).
//!
//! Per-resource health is not in the CR on a default Argo CD 3.x install (argoproj/argo-cd,
//! docs/operator-manual/upgrading/2.14-3.0.md); [`ResourceHealth::NotPersisted`] says so
//! instead of pretending the health is "Unknown".

use std::cmp::Reverse;

use jiff::Timestamp;

use super::app::{Application, HealthStatus, ResourceStatus};
use super::status::{StatusIcon, StatusLabel};

/// `status.sync.status` (and a resource's sync status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncState {
    Synced,
    OutOfSync,
    Unknown,
}

impl SyncState {
    /// Anything Argo CD may add later reads as Unknown rather than as Synced.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            "Synced" => Self::Synced,
            "OutOfSync" => Self::OutOfSync,
            _ => Self::Unknown,
        }
    }

    #[must_use]
    pub fn label(self) -> StatusLabel {
        match self {
            Self::Synced => StatusLabel::new(StatusIcon::Ok, "Synced"),
            Self::OutOfSync => StatusLabel::new(StatusIcon::Bad, "OutOfSync"),
            Self::Unknown => StatusLabel::new(StatusIcon::Unknown, "Unknown"),
        }
    }
}

/// Argo CD health, declared best to worst as gitops-engine orders it (`healthOrder` in
/// argoproj/argo-cd, gitops-engine/pkg/health/health.go), so `Ord` ranks them:
/// `Healthy < … < Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HealthState {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

impl HealthState {
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            "Healthy" => Self::Healthy,
            "Suspended" => Self::Suspended,
            "Progressing" => Self::Progressing,
            "Missing" => Self::Missing,
            "Degraded" => Self::Degraded,
            _ => Self::Unknown,
        }
    }

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Suspended => "Suspended",
            Self::Progressing => "Progressing",
            Self::Missing => "Missing",
            Self::Degraded => "Degraded",
            Self::Unknown => "Unknown",
        }
    }

    #[must_use]
    pub fn label(self) -> StatusLabel {
        let icon = match self {
            Self::Healthy => StatusIcon::Ok,
            Self::Suspended => StatusIcon::Paused,
            Self::Progressing => StatusIcon::Progressing,
            Self::Missing => StatusIcon::Warning,
            Self::Degraded => StatusIcon::Bad,
            Self::Unknown => StatusIcon::Unknown,
        };
        StatusLabel::new(icon, self.word())
    }
}

/// `status.operationState.phase`, plus `Requested` for an `operation` the controller has not
/// picked up yet (the field is set but the state is absent or still the previous, completed one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationPhase {
    Requested,
    Running,
    Terminating,
    Failed,
    Error,
    Succeeded,
}

impl OperationPhase {
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Running" => Self::Running,
            "Terminating" => Self::Terminating,
            "Failed" => Self::Failed,
            "Error" => Self::Error,
            "Succeeded" => Self::Succeeded,
            _ => return None,
        })
    }

    /// Failed, Error and Succeeded are final (`OperationPhase::Completed` in argoproj/argo-cd,
    /// gitops-engine/pkg/sync/common/types.go).
    #[must_use]
    pub fn completed(self) -> bool {
        matches!(self, Self::Failed | Self::Error | Self::Succeeded)
    }

    #[must_use]
    pub fn label(self) -> StatusLabel {
        match self {
            Self::Requested => StatusLabel::new(StatusIcon::Waiting, "Requested"),
            Self::Running => StatusLabel::new(StatusIcon::Progressing, "Running"),
            Self::Terminating => StatusLabel::new(StatusIcon::Waiting, "Terminating"),
            Self::Failed => StatusLabel::new(StatusIcon::Bad, "Failed"),
            Self::Error => StatusLabel::new(StatusIcon::Bad, "Error"),
            Self::Succeeded => StatusLabel::new(StatusIcon::Ok, "Succeeded"),
        }
    }
}

/// The phase the app list shows for the app's latest operation.
#[must_use]
pub fn operation_phase(app: &Application) -> Option<OperationPhase> {
    let state = app
        .status
        .operation_state
        .as_ref()
        .and_then(|s| OperationPhase::parse(&s.phase));
    match (app.operation.is_some(), state) {
        (true, None) => Some(OperationPhase::Requested),
        (true, Some(p)) if p.completed() => Some(OperationPhase::Requested),
        (_, state) => state,
    }
}

/// `spec.syncPolicy.automated`, as the list's policy column says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AutoSync {
    pub enabled: bool,
    pub prune: bool,
    pub self_heal: bool,
}

impl AutoSync {
    #[must_use]
    pub fn of(app: &Application) -> Self {
        app.auto_sync().map_or_else(Self::default, |a| Self {
            enabled: true,
            prune: a.prune,
            self_heal: a.self_heal,
        })
    }

    /// `auto (prune, self-heal)`, `auto (prune)`, `auto (self-heal)`, `auto` or `manual`.
    #[must_use]
    pub fn text(self) -> String {
        if !self.enabled {
            return "manual".into();
        }
        let flags: Vec<&str> = [(self.prune, "prune"), (self.self_heal, "self-heal")]
            .into_iter()
            .filter_map(|(on, word)| on.then_some(word))
            .collect();
        if flags.is_empty() {
            "auto".into()
        } else {
            format!("auto ({})", flags.join(", "))
        }
    }
}

/// How urgently an app needs a human; declared most urgent first so sorting ascending puts
/// those apps on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attention {
    /// Degraded or Missing, or the last operation failed.
    Critical,
    /// `OutOfSync`, conditions reported, or sync/health unknown.
    Warning,
    /// Something is moving: an operation, Progressing, Suspended.
    Busy,
    Calm,
}

/// One row of the Argo CD app list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRow {
    pub name: String,
    pub namespace: String,
    pub project: String,
    pub sync: SyncState,
    pub health: HealthState,
    pub health_message: String,
    pub operation: Option<OperationPhase>,
    pub operation_message: String,
    /// `spec.source.targetRevision` (`HEAD` when empty, Argo CD's default).
    pub target_revision: String,
    /// The revision the app is synced to, shortened to 7 characters when it is a git sha.
    pub synced_revision: String,
    /// When the last operation finished, else when the last deployment happened.
    pub last_sync: Option<Timestamp>,
    pub auto_sync: AutoSync,
    pub conditions: usize,
    pub attention: Attention,
}

impl AppRow {
    #[must_use]
    pub fn from_app(app: &Application) -> Self {
        let status = &app.status;
        let sync = SyncState::parse(&status.sync.status);
        let health = HealthState::parse(&status.health.status);
        let operation = operation_phase(app);
        let synced = if status.sync.revision.is_empty() {
            status.sync.revisions.first().cloned().unwrap_or_default()
        } else {
            status.sync.revision.clone()
        };
        let last_sync = status
            .operation_state
            .as_ref()
            .and_then(|s| s.finished_at.as_ref())
            .or_else(|| status.history.last().and_then(|h| h.deployed_at.as_ref()))
            .map(|t| t.0);
        let target = app
            .primary_source()
            .map(|s| s.target_revision.clone())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "HEAD".into());
        let conditions = status.conditions.len();
        Self {
            name: app.name().to_owned(),
            namespace: app.namespace().to_owned(),
            project: app.spec.project.clone(),
            sync,
            health,
            health_message: status.health.message.clone(),
            operation,
            operation_message: status
                .operation_state
                .as_ref()
                .map(|s| s.message.clone())
                .unwrap_or_default(),
            target_revision: target,
            synced_revision: short_revision(&synced),
            last_sync,
            auto_sync: AutoSync::of(app),
            conditions,
            attention: attention(sync, health, operation, conditions),
        }
    }

    /// Most urgent first, then worst health, then by name so equal rows keep a stable order.
    #[must_use]
    pub fn sort_key(&self) -> (Attention, Reverse<HealthState>, &str) {
        (self.attention, Reverse(self.health), &self.name)
    }
}

/// Sorts app rows so the ones most in need of attention come first.
pub fn sort_by_attention(rows: &mut [AppRow]) {
    rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

fn attention(
    sync: SyncState,
    health: HealthState,
    operation: Option<OperationPhase>,
    conditions: usize,
) -> Attention {
    let failed = matches!(
        operation,
        Some(OperationPhase::Failed | OperationPhase::Error)
    );
    if failed || matches!(health, HealthState::Degraded | HealthState::Missing) {
        Attention::Critical
    } else if sync != SyncState::Synced || conditions > 0 || health == HealthState::Unknown {
        Attention::Warning
    } else if matches!(
        operation,
        Some(OperationPhase::Requested | OperationPhase::Running | OperationPhase::Terminating)
    ) || matches!(health, HealthState::Progressing | HealthState::Suspended)
    {
        Attention::Busy
    } else {
        Attention::Calm
    }
}

/// A git sha shortened to 7 characters, as `argocd app get` prints it; branch names, tags and
/// Helm chart versions stay whole.
#[must_use]
pub fn short_revision(revision: &str) -> String {
    let is_sha = revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit());
    if is_sha {
        revision[..7].to_owned()
    } else {
        revision.to_owned()
    }
}

/// A managed resource's health, as far as the CR can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceHealth {
    Reported {
        state: HealthState,
        message: String,
    },
    /// Argo CD 3.x keeps per-resource health out of the CR (`resourceHealthSource: appTree`);
    /// only the API server's resource tree has it. The UI says "see Argo CD".
    NotPersisted,
    /// Health is persisted inline but this resource has none: Argo CD has no health check for
    /// its kind (a `ConfigMap`, say). Not a problem, and not "Unknown".
    NotAssessed,
}

impl ResourceHealth {
    #[must_use]
    pub fn of(app: &Application, resource: &ResourceStatus) -> Self {
        if app.status.resource_health_source == "appTree" {
            return Self::NotPersisted;
        }
        match &resource.health {
            Some(HealthStatus { status, message }) if !status.is_empty() => Self::Reported {
                state: HealthState::parse(status),
                message: message.clone(),
            },
            _ => Self::NotAssessed,
        }
    }

    #[must_use]
    pub fn label(&self) -> StatusLabel {
        match self {
            Self::Reported { state, .. } => state.label(),
            Self::NotPersisted => StatusLabel::new(StatusIcon::Neutral, "see Argo CD"),
            Self::NotAssessed => StatusLabel::new(StatusIcon::Neutral, "no health check"),
        }
    }
}

/// One managed resource in the app detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRow {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub sync: SyncState,
    pub health: ResourceHealth,
    /// Live but no longer in git; a sync with prune deletes it.
    pub requires_pruning: bool,
}

/// Every managed resource, in the CR's order.
#[must_use]
pub fn resource_rows(app: &Application) -> Vec<ResourceRow> {
    app.status
        .resources
        .iter()
        .map(|r| ResourceRow {
            group: r.group.clone(),
            kind: r.kind.clone(),
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            sync: SyncState::parse(&r.status),
            health: ResourceHealth::of(app, r),
            requires_pruning: r.requires_pruning,
        })
        .collect()
}

/// The drift list: resources whose live state differs from git.
#[must_use]
pub fn drift(app: &Application) -> Vec<ResourceRow> {
    resource_rows(app)
        .into_iter()
        .filter(|r| r.sync == SyncState::OutOfSync)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::{Value, json};

    use super::*;

    pub(crate) fn app(value: Value) -> Application {
        serde_json::from_value(value).expect("fixture parses")
    }

    const SHA: &str = "8f3c2a1b9d0e7f6a5b4c3d2e1f0a9b8c7d6e5f4a";

    pub(crate) fn synced_healthy() -> Application {
        app(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "cart", "namespace": "argocd", "resourceVersion": "48213"},
            "spec": {
                "project": "shop",
                "source": {"repoURL": "https://git.example.com/shop/deploy.git", "path": "cart", "targetRevision": "main"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "shop"},
                "syncPolicy": {"syncOptions": ["CreateNamespace=true"]}
            },
            "status": {
                "sync": {"status": "Synced", "revision": SHA},
                "health": {"status": "Healthy"},
                "resourceHealthSource": "appTree",
                "reconciledAt": "2026-08-20T10:05:00Z",
                "operationState": {
                    "operation": {"sync": {"revision": SHA}},
                    "phase": "Succeeded", "message": "successfully synced (all tasks run)",
                    "startedAt": "2026-08-20T10:00:00Z", "finishedAt": "2026-08-20T10:00:42Z",
                    "syncResult": {"revision": SHA}
                },
                "history": [
                    {"id": 3, "revision": "1111111111111111111111111111111111111111",
                     "deployedAt": "2026-08-18T09:00:00Z",
                     "source": {"repoURL": "https://git.example.com/shop/deploy.git", "path": "cart", "targetRevision": "main"},
                     "initiatedBy": {"username": "alice"}},
                    {"id": 4, "revision": SHA, "deployedAt": "2026-08-20T10:00:42Z",
                     "source": {"repoURL": "https://git.example.com/shop/deploy.git", "path": "cart", "targetRevision": "main"},
                     "initiatedBy": {"automated": true}}
                ],
                "resources": [
                    {"version": "v1", "kind": "Service", "namespace": "shop", "name": "cart", "status": "Synced"},
                    {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "shop", "name": "cart", "status": "Synced"}
                ]
            }
        }))
    }

    pub(crate) fn out_of_sync_degraded() -> Application {
        app(json!({
            "metadata": {"name": "payments", "namespace": "argocd"},
            "spec": {
                "project": "shop",
                "sources": [{"repoURL": "https://charts.example.com", "chart": "payments", "targetRevision": "2.4.1"}],
                "syncPolicy": {"automated": {"prune": true, "selfHeal": true}}
            },
            "status": {
                "sync": {"status": "OutOfSync", "revisions": ["2.4.0"]},
                "health": {"status": "Degraded", "message": "Deployment payments exceeded its progress deadline"},
                "conditions": [
                    {"type": "SyncError", "message": "Failed sync attempt to 2.4.1: one or more objects failed to apply", "lastTransitionTime": "2026-08-20T09:30:00Z"},
                    {"type": "OrphanedResourceWarning", "message": "Application has 1 orphaned resources"}
                ],
                "resources": [
                    {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "pay", "name": "payments", "status": "OutOfSync",
                     "health": {"status": "Degraded", "message": "Deployment \"payments\" exceeded its progress deadline"}},
                    {"version": "v1", "kind": "ConfigMap", "namespace": "pay", "name": "payments-env", "status": "OutOfSync"},
                    {"version": "v1", "kind": "Service", "namespace": "pay", "name": "payments", "status": "Synced",
                     "health": {"status": "Healthy"}}
                ],
                "operationState": {"phase": "Failed", "message": "one or more objects failed to apply",
                    "startedAt": "2026-08-20T09:29:00Z", "finishedAt": "2026-08-20T09:30:00Z"}
            }
        }))
    }

    pub(crate) fn operation_running() -> Application {
        app(json!({
            "metadata": {"name": "search", "namespace": "argocd", "resourceVersion": "777"},
            "spec": {"project": "default", "source": {"repoURL": "https://git.example.com/search.git", "targetRevision": ""}},
            "operation": {"initiatedBy": {"username": "bob"}, "sync": {"syncStrategy": {"hook": {}}}},
            "status": {
                "sync": {"status": "OutOfSync", "revision": "abc"},
                "health": {"status": "Progressing"},
                "operationState": {"phase": "Running", "message": "waiting for healthy state of apps/Deployment/search",
                    "startedAt": "2026-08-20T11:00:00Z"}
            }
        }))
    }

    #[test]
    fn synced_healthy_row() {
        let row = AppRow::from_app(&synced_healthy());
        assert_eq!(row.sync.label().to_string(), "✔ Synced");
        assert_eq!(row.health.label().to_string(), "✔ Healthy");
        assert_eq!(row.operation, Some(OperationPhase::Succeeded));
        assert_eq!(row.target_revision, "main");
        assert_eq!(row.synced_revision, "8f3c2a1");
        assert_eq!(
            row.last_sync,
            Some("2026-08-20T10:00:42Z".parse().expect("ts"))
        );
        assert_eq!(row.auto_sync.text(), "manual");
        assert_eq!(row.conditions, 0);
        assert_eq!(row.attention, Attention::Calm);
    }

    #[test]
    fn out_of_sync_degraded_row() {
        let row = AppRow::from_app(&out_of_sync_degraded());
        assert_eq!(row.sync.label().to_string(), "✖ OutOfSync");
        assert_eq!(row.health.label().to_string(), "✖ Degraded");
        assert_eq!(
            row.operation.map(|o| o.label().to_string()).as_deref(),
            Some("✖ Failed")
        );
        assert_eq!(row.target_revision, "2.4.1");
        assert_eq!(
            row.synced_revision, "2.4.0",
            "chart versions are not shortened"
        );
        assert_eq!(row.auto_sync.text(), "auto (prune, self-heal)");
        assert_eq!(row.conditions, 2);
        assert_eq!(row.attention, Attention::Critical);
    }

    #[test]
    fn running_operation_row() {
        let row = AppRow::from_app(&operation_running());
        assert_eq!(row.operation, Some(OperationPhase::Running));
        assert_eq!(row.target_revision, "HEAD");
        assert_eq!(row.attention, Attention::Warning, "OutOfSync outranks busy");
        assert_eq!(row.last_sync, None);
    }

    #[test]
    fn operation_written_but_not_picked_up_is_requested() {
        let mut a = synced_healthy();
        a.operation = Some(crate::model::k8s::app::Operation::default());
        assert_eq!(operation_phase(&a), Some(OperationPhase::Requested));
        assert_eq!(
            AppRow::from_app(&a).attention,
            Attention::Busy,
            "a pending operation on a healthy app is busy, not calm"
        );
    }

    #[test]
    fn attention_orders_worst_first() {
        let mut suspended = synced_healthy();
        suspended.metadata.name = Some("batch".into());
        suspended.status.health.status = "Suspended".into();
        let mut missing = synced_healthy();
        missing.metadata.name = Some("auth".into());
        missing.status.health.status = "Missing".into();
        let mut rows: Vec<AppRow> = [
            synced_healthy(),
            suspended,
            operation_running(),
            out_of_sync_degraded(),
            missing,
        ]
        .iter()
        .map(AppRow::from_app)
        .collect();
        sort_by_attention(&mut rows);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["payments", "auth", "search", "batch", "cart"]);
    }

    #[test]
    fn auto_sync_texts() {
        let t = |prune, self_heal| {
            AutoSync {
                enabled: true,
                prune,
                self_heal,
            }
            .text()
        };
        assert_eq!(t(true, false), "auto (prune)");
        assert_eq!(t(false, true), "auto (self-heal)");
        assert_eq!(t(false, false), "auto");
    }

    #[test]
    fn drift_lists_out_of_sync_resources_with_honest_health() {
        let items = drift(&out_of_sync_degraded());
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].name, "payments");
        assert_eq!(
            items[0].health,
            ResourceHealth::Reported {
                state: HealthState::Degraded,
                message: "Deployment \"payments\" exceeded its progress deadline".into()
            }
        );
        assert_eq!(items[1].kind, "ConfigMap");
        assert_eq!(items[1].health, ResourceHealth::NotAssessed);
        assert_eq!(items[1].health.label().to_string(), "• no health check");

        let rows = resource_rows(&synced_healthy());
        assert!(drift(&synced_healthy()).is_empty());
        assert_eq!(rows[1].health, ResourceHealth::NotPersisted);
        assert_eq!(rows[1].health.label().to_string(), "• see Argo CD");
    }

    #[test]
    fn health_order_is_gitops_engines() {
        assert!(HealthState::Healthy < HealthState::Suspended);
        assert!(HealthState::Progressing < HealthState::Missing);
        assert!(HealthState::Degraded < HealthState::Unknown);
        assert_eq!(HealthState::parse("Bogus"), HealthState::Unknown);
    }
}
