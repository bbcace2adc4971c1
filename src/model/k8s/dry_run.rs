//! An Argo CD dry-run sync, read back from the Application: `POST …/sync` with `dryRun: true`
//! only sets `.operation`; the controller then runs the sync with kubectl's client dry run and
//! writes what it would have done to `status.operationState` (see
//! `/work/shared/reference/first-aid.md` §3.3). The rules read here are gitops-engine's
//! (argoproj/gitops-engine `pkg/sync/sync_context.go`, as cited in that reference):
//!
//! - a dry run's `Running` phase is reported as `Succeeded` once its tasks ran;
//! - each resource's result has `status` `Synced`, `SyncFailed`, `Pruned` (message
//!   "pruned (dry run)") or `PruneSkipped` ("ignored (requires pruning)" / "ignored (no
//!   prune)"), and an applied resource's message is kubectl's output, e.g.
//!   `deployment.apps/x configured (dry run)` or `… created (dry run)`;
//! - a failed dry run has phase `Failed` and the message "one or more objects failed to
//!   apply (dry run)".
//!
//! The words are matched loosely (`created`, `configured`, `unchanged` anywhere in the
//! message) because kubectl's exact text varies by version.

use std::fmt::Write as _;

use serde_json::Value;

use crate::model::sanitize::clean;

/// One resource's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceResult {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `Synced`, `SyncFailed`, `Pruned` or `PruneSkipped`.
    pub status: String,
    pub message: String,
}

impl ResourceResult {
    fn what(&self) -> What {
        match self.status.as_str() {
            "Pruned" => What::Pruned,
            "PruneSkipped" => What::PruneSkipped,
            "SyncFailed" => What::Failed,
            _ if self.message.contains("created") => What::Created,
            _ if self.message.contains("unchanged") => What::Unchanged,
            _ => What::Configured,
        }
    }

    /// `ConfigMap shop/cart-config: configmap/cart-config configured (dry run)`.
    #[must_use]
    pub fn line(&self) -> String {
        let place = if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        };
        if self.message.is_empty() {
            format!("{} {place}: {}", self.kind, self.status)
        } else {
            format!("{} {place}: {}", self.kind, self.message)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Created,
    Configured,
    Unchanged,
    Pruned,
    PruneSkipped,
    Failed,
}

/// A finished dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRun {
    /// `Succeeded`, `Failed` or `Error`.
    pub phase: String,
    pub message: String,
    pub resources: Vec<ResourceResult>,
}

/// Where the dry run stands on the Application as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DryRunState {
    /// Not started (`.operation` still set), another operation, or still running.
    Pending,
    Done(DryRun),
}

/// The `startedAt` of the app's last operation, to tell the dry run just asked for from an
/// earlier one still in `operationState`.
#[must_use]
pub fn last_started(app: &Value) -> Option<String> {
    app["status"]["operationState"]["startedAt"]
        .as_str()
        .map(str::to_owned)
}

/// Reads the dry run started after `previous_start` (the `startedAt` before it was asked for).
#[must_use]
pub fn read(app: &Value, previous_start: Option<&str>) -> DryRunState {
    if !app["operation"].is_null() {
        return DryRunState::Pending;
    }
    let state = &app["status"]["operationState"];
    let started = state["startedAt"].as_str();
    if started.is_none() || started == previous_start {
        return DryRunState::Pending;
    }
    if state["operation"]["sync"]["dryRun"] != Value::Bool(true) {
        return DryRunState::Pending;
    }
    let phase = state["phase"].as_str().unwrap_or_default();
    if !matches!(phase, "Succeeded" | "Failed" | "Error") {
        return DryRunState::Pending;
    }
    let text = |v: &Value| clean(v.as_str().unwrap_or_default());
    let resources = state["syncResult"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| ResourceResult {
            kind: text(&r["kind"]),
            namespace: text(&r["namespace"]),
            name: text(&r["name"]),
            status: text(&r["status"]),
            message: text(&r["message"]),
        })
        .collect();
    DryRunState::Done(DryRun {
        phase: clean(phase),
        message: text(&state["message"]),
        resources,
    })
}

impl DryRun {
    /// One paragraph for the confirmation: counts, then each resource that would change
    /// (up to `named`), then failures whole.
    #[must_use]
    pub fn summary(&self, named: usize) -> String {
        let count = |w: What| self.resources.iter().filter(|r| r.what() == w).count();
        let mut text = if self.phase == "Succeeded" {
            format!(
                "{} created · {} configured · {} pruned · {} unchanged",
                count(What::Created),
                count(What::Configured),
                count(What::Pruned),
                count(What::Unchanged)
            )
        } else {
            format!("dry run {}: {}", self.phase, self.message)
        };
        let skipped = count(What::PruneSkipped);
        if skipped > 0 {
            let _ = write!(text, " · {skipped} left (no prune)");
        }
        let failed: Vec<String> = self
            .resources
            .iter()
            .filter(|r| r.what() == What::Failed)
            .map(ResourceResult::line)
            .collect();
        if !failed.is_empty() {
            let _ = write!(text, " · {} failed: {}", failed.len(), failed.join("; "));
        }
        let changes: Vec<String> = self
            .resources
            .iter()
            .filter(|r| !matches!(r.what(), What::Unchanged | What::Failed))
            .map(ResourceResult::line)
            .collect();
        if !changes.is_empty() {
            let shown: Vec<&str> = changes.iter().take(named).map(String::as_str).collect();
            text.push_str(" — ");
            text.push_str(&shown.join("; "));
            if changes.len() > named {
                let _ = write!(text, " and {} more", changes.len() - named);
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn app(operation: Value, state: Value) -> Value {
        let mut app = json!({"metadata": {"name": "cart"}, "status": {}});
        app["operation"] = operation;
        app["status"]["operationState"] = state;
        app
    }

    fn finished(phase: &str, message: &str, resources: Value) -> Value {
        let mut state = json!({"startedAt": "2026-12-06T10:00:05Z", "phase": phase,
            "message": message, "operation": {"sync": {"dryRun": true}}, "syncResult": {}});
        state["syncResult"]["resources"] = resources;
        state
    }

    #[test]
    fn pending_until_the_controller_finished_this_dry_run() {
        let earlier = json!({"startedAt": "2026-12-06T09:00:00Z", "phase": "Succeeded",
            "operation": {"sync": {"dryRun": true}}, "syncResult": {"resources": []}});
        // Just asked: `.operation` set, the earlier result still in operationState.
        let asked = app(json!({"sync": {"dryRun": true}}), earlier.clone());
        let before = last_started(&asked);
        assert_eq!(read(&asked, before.as_deref()), DryRunState::Pending);
        // Taken by the controller but the old result is the one there: still pending.
        let taken = app(Value::Null, earlier);
        assert_eq!(read(&taken, before.as_deref()), DryRunState::Pending);
        // Running.
        let running = app(
            Value::Null,
            json!({"startedAt": "2026-12-06T10:00:05Z", "phase": "Running",
                "operation": {"sync": {"dryRun": true}}}),
        );
        assert_eq!(read(&running, before.as_deref()), DryRunState::Pending);
        // A real sync someone else started is not our dry run.
        let real = app(
            Value::Null,
            json!({"startedAt": "2026-12-06T10:00:05Z", "phase": "Succeeded",
                "operation": {"sync": {}}}),
        );
        assert_eq!(read(&real, before.as_deref()), DryRunState::Pending);
    }

    #[test]
    fn a_finished_dry_run_is_counted_and_named() {
        let done = app(
            Value::Null,
            finished(
                "Succeeded",
                "successfully synced (all tasks run)",
                json!([
                    {"kind": "ConfigMap", "namespace": "shop", "name": "cart-config",
                     "status": "Synced", "message": "configmap/cart-config configured (dry run)"},
                    {"kind": "Service", "namespace": "shop", "name": "cart",
                     "status": "Synced", "message": "service/cart unchanged (dry run)"},
                    {"kind": "Job", "namespace": "shop", "name": "migrate",
                     "status": "Synced", "message": "job.batch/migrate created (dry run)"},
                    {"kind": "Secret", "namespace": "shop", "name": "old",
                     "status": "PruneSkipped", "message": "ignored (requires pruning)"},
                    {"kind": "Ingress", "namespace": "shop", "name": "legacy",
                     "status": "Pruned", "message": "pruned (dry run)"}
                ]),
            ),
        );
        let DryRunState::Done(run) = read(&done, Some("2026-12-06T09:00:00Z")) else {
            panic!("expected a finished dry run");
        };
        assert_eq!(
            run.summary(2),
            "1 created · 1 configured · 1 pruned · 1 unchanged · 1 left (no prune) — \
             ConfigMap shop/cart-config: configmap/cart-config configured (dry run); \
             Job shop/migrate: job.batch/migrate created (dry run) and 2 more"
        );
    }

    #[test]
    fn a_failed_dry_run_says_why_and_names_the_failures_whole() {
        let done = app(
            Value::Null,
            finished(
                "Failed",
                "one or more objects failed to apply (dry run)",
                json!([{"kind": "Deployment", "namespace": "shop", "name": "cart\u{1b}[2J",
                    "status": "SyncFailed",
                    "message": "Deployment.apps \"cart\" is invalid: spec.replicas: Invalid value: -1"}]),
            ),
        );
        let DryRunState::Done(run) = read(&done, None) else {
            panic!("expected a finished dry run");
        };
        let text = run.summary(3);
        assert!(
            text.starts_with("dry run Failed: one or more objects failed to apply (dry run)"),
            "{text}"
        );
        assert!(text.contains("1 failed: Deployment shop/cart"), "{text}");
        assert!(text.contains("Invalid value: -1"), "{text}");
        assert!(!text.contains('\u{1b}'), "sanitized: {text:?}");
    }
}
