//! What changed around a service, on one time axis: Argo CD deployments and failed syncs,
//! rollout transitions (steps, pauses, aborts, restarts), audited actions on the service's
//! objects (kills, syncs, silences), Kubernetes Warning events of its pods, and its alerts'
//! start times. The incident view draws them under the error curve, so "the errors began
//! two minutes after that sync" reads at a glance.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event as KubeEvent;

use crate::model::alerts::Alert;
use crate::model::k8s::app::Application;
use crate::model::k8s::rollout::Rollout;
use crate::model::platform::AuditItem;

/// Where a change comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// An Argo CD deployment (a sync or a rollback).
    Deploy,
    /// A sync that failed.
    SyncFailed,
    /// A rollout step, pause, abort or restart.
    Rollout,
    /// An action recorded by the audit trail.
    Audited,
    /// A Kubernetes Warning event.
    Warning,
    /// An alert started firing.
    Alert,
}

impl ChangeKind {
    /// The one-character mark on the time axis, and the word in the list.
    #[must_use]
    pub fn mark(self) -> (char, &'static str) {
        match self {
            Self::Deploy => ('D', "deploy"),
            Self::SyncFailed => ('F', "sync failed"),
            Self::Rollout => ('R', "rollout"),
            Self::Audited => ('A', "audited"),
            Self::Warning => ('W', "warning"),
            Self::Alert => ('!', "alert"),
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub at: Timestamp,
    pub kind: ChangeKind,
    pub text: String,
}

/// The service's objects, as the catalog maps them, to pick its changes out of the fleet's.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    pub service: &'a str,
    pub app: Option<&'a str>,
    pub workload: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub databases: &'a [String],
    pub groups: &'a [String],
    pub topics: &'a [String],
}

impl Subject<'_> {
    /// Whether an audit target reference (`argocd.app:ns/app`, `pg.backend:db/pid`,
    /// `alertmanager.silence:svc`...) names one of the service's objects.
    fn owns_target(&self, reference: &str) -> bool {
        let Some((_, name)) = reference.split_once(':') else {
            return false;
        };
        let last = name.rsplit('/').next().unwrap_or(name);
        let first = name.split('/').next().unwrap_or(name);
        [Some(self.service), self.app, self.workload]
            .into_iter()
            .flatten()
            .any(|n| n == last || n == name)
            || self.databases.iter().any(|d| d == first)
            || self.groups.iter().chain(self.topics).any(|g| g == name)
    }
}

fn time(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> Option<Timestamp> {
    t.map(|t| t.0)
}

fn short_rev(rev: &str) -> &str {
    if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        &rev[..7]
    } else {
        rev
    }
}

/// The changes since `since`, oldest first; at most `cap` (the newest kept).
#[must_use]
#[expect(
    clippy::too_many_arguments,
    reason = "one slice per source of changes; a struct would only rename them"
)]
#[expect(
    clippy::too_many_lines,
    reason = "one short block per source of changes, in the order the list explains them"
)]
pub fn changes(
    subject: &Subject<'_>,
    apps: &[Arc<Application>],
    rollouts: &[Arc<Rollout>],
    events: &[Arc<KubeEvent>],
    audit: &[AuditItem],
    alerts: &[&Alert],
    since: Timestamp,
    cap: usize,
) -> Vec<Change> {
    let mut out = Vec::new();
    if let Some(app) = subject.app.and_then(|name| {
        apps.iter()
            .find(|a| a.metadata.name.as_deref() == Some(name))
    }) {
        for h in &app.status.history {
            if let Some(at) = time(h.deployed_at.as_ref()) {
                out.push(Change {
                    at,
                    kind: ChangeKind::Deploy,
                    text: format!("deployed {} (history {})", short_rev(&h.revision), h.id),
                });
            }
        }
        if let Some(op) = &app.status.operation_state
            && matches!(op.phase.as_str(), "Failed" | "Error")
            && let Some(at) = time(op.finished_at.as_ref()).or(time(op.started_at.as_ref()))
        {
            out.push(Change {
                at,
                kind: ChangeKind::SyncFailed,
                text: format!("sync {}: {}", op.phase, crate::model::clean(&op.message)),
            });
        }
    }
    if let Some(rollout) = subject.workload.and_then(|name| {
        rollouts
            .iter()
            .find(|r| r.name() == name && subject.namespace.is_none_or(|ns| ns == r.namespace()))
    }) {
        let status = &rollout.status;
        for c in &status.conditions {
            if let Some(at) = time(c.last_transition_time.as_ref()) {
                out.push(Change {
                    at,
                    kind: ChangeKind::Rollout,
                    text: format!("{} {}: {}", c.kind, c.status, c.reason),
                });
            }
        }
        if let Some(at) = time(status.aborted_at.as_ref()) {
            out.push(Change {
                at,
                kind: ChangeKind::Rollout,
                text: "aborted".into(),
            });
        }
        for p in &status.pause_conditions {
            if let Some(at) = time(p.start_time.as_ref()) {
                out.push(Change {
                    at,
                    kind: ChangeKind::Rollout,
                    text: format!("paused: {}", p.reason),
                });
            }
        }
        if let Some(at) = time(status.restarted_at.as_ref()) {
            out.push(Change {
                at,
                kind: ChangeKind::Rollout,
                text: "restarted".into(),
            });
        }
    }
    if let Some(workload) = subject.workload {
        let prefix = format!("{workload}-");
        for e in events {
            let object = &e.involved_object;
            let name = object.name.as_deref().unwrap_or_default();
            let ours = (name == workload || name.starts_with(&prefix))
                && subject
                    .namespace
                    .is_none_or(|ns| object.namespace.as_deref() == Some(ns));
            let at = e
                .last_timestamp
                .as_ref()
                .map(|t| t.0)
                .or_else(|| e.event_time.as_ref().map(|t| t.0));
            if ours && let Some(at) = at {
                out.push(Change {
                    at,
                    kind: ChangeKind::Warning,
                    text: format!(
                        "{}: {}",
                        crate::model::clean(e.reason.as_deref().unwrap_or("Warning")),
                        crate::model::clean(e.message.as_deref().unwrap_or_default())
                    ),
                });
            }
        }
    }
    for item in audit {
        let event = &item.event;
        // Intents only: each action once, with its outcome (requests and denials are not
        // changes to the service).
        let crate::model::platform::EventBody::Intent { action, target, .. } = &event.body else {
            continue;
        };
        if !subject.owns_target(&target.reference) {
            continue;
        }
        let Ok(at) = event.time.parse::<Timestamp>() else {
            continue;
        };
        let outcome = match item.outcome.as_ref().map(|o| &o.body) {
            Some(crate::model::platform::EventBody::Outcome { status, .. }) => status.as_str(),
            _ => "no outcome yet",
        };
        let by = event.actor.as_ref().map_or("?", |a| a.user.as_str());
        out.push(Change {
            at,
            kind: ChangeKind::Audited,
            text: format!("{action} by {by} ({outcome})"),
        });
    }
    for alert in alerts {
        if let Ok(at) = alert.starts_at.parse::<Timestamp>() {
            out.push(Change {
                at,
                kind: ChangeKind::Alert,
                text: format!("{} fired", alert.name()),
            });
        }
    }
    out.retain(|c| c.at >= since);
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.kind.cmp(&b.kind)));
    if out.len() > cap {
        out.drain(..out.len() - cap);
    }
    out
}

/// The marks on a time axis of `width` columns ending at `end` and spanning `span`: one
/// character per column, the latest change's mark where several fall in one column.
#[must_use]
pub fn axis(
    changes: &[Change],
    end: Timestamp,
    span: jiff::SignedDuration,
    width: usize,
) -> String {
    let mut cells = vec![' '; width];
    let start = end - span;
    let total = span.as_secs_f64().max(1.0);
    for c in changes {
        if c.at < start || c.at > end || width == 0 {
            continue;
        }
        let offset = c.at.duration_since(start).as_secs_f64() / total;
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a fraction in [0, 1] of a terminal width"
        )]
        let column = ((offset * width as f64) as usize).min(width - 1);
        cells[column] = c.kind.mark().0;
    }
    cells.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn marks_fall_on_the_axis_by_time_and_the_latest_wins_a_column() {
        let end = at("2026-12-06T03:30:00Z");
        let span = jiff::SignedDuration::from_mins(30);
        let change = |t: &str, kind| Change {
            at: at(t),
            kind,
            text: String::new(),
        };
        let list = [
            change("2026-12-06T03:00:00Z", ChangeKind::Deploy),
            change("2026-12-06T03:15:00Z", ChangeKind::Warning),
            change("2026-12-06T03:15:10Z", ChangeKind::Alert),
            change("2026-12-06T02:00:00Z", ChangeKind::Audited),
        ];
        let axis = axis(&list, end, span, 30);
        assert_eq!(axis.chars().count(), 30);
        assert_eq!(axis.chars().next(), Some('D'));
        assert_eq!(axis.chars().nth(15), Some('!'), "{axis:?}");
        assert!(!axis.contains('A'), "outside the window");
    }

    #[test]
    fn audit_targets_are_matched_to_the_service_s_objects() {
        let dbs = vec!["orders-db".to_owned()];
        let subject = Subject {
            service: "checkout-api",
            app: Some("checkout"),
            workload: Some("checkout-api"),
            namespace: Some("shop"),
            databases: &dbs,
            groups: &[],
            topics: &[],
        };
        assert!(subject.owns_target("argocd.app:argocd/checkout"));
        assert!(subject.owns_target("pg.backend:orders-db/4242"));
        assert!(subject.owns_target("rollout:shop/checkout-api"));
        assert!(subject.owns_target("alertmanager.silence:checkout-api"));
        assert!(!subject.owns_target("pg.backend:ledger-db/1"));
        assert!(!subject.owns_target("kafka.topic:orders.v1"));
    }
}
