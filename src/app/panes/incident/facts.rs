//! What each incident panel says, derived from the state the other panes already hold.
//!
//! Every panel is a list of [`Fact`]s, most important first, so a compact layout shows the
//! top lines and a large one shows them all. A fact carries a [`Severity`] whose glyph and
//! word say the same as its colour. When a source has sent nothing a panel says why in
//! words (waiting, not configured, not mapped); it never shows made-up data.
//!
//! This file holds the fact types and the deployment panels (card, Argo CD, rollout);
//! [`crate::app::panes::incident::signals`] the runtime ones (databases, lag, error logs, traces).

use crate::app::panes::incident::Seen;
use std::fmt::Write as _;

use crate::app::panes::incident::WorkloadFacts;
use crate::model::k8s::snapshot::{KindHealth, KubeKind};
use crate::model::k8s::{StatusIcon, StatusLabel};
use crate::model::service::WorkloadKind;
use crate::model::source::SourceId;
use crate::model::{Service, SloStatus, SourceHealth};

/// How bad a fact is. The glyph keeps it readable without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Words about missing data: waiting, not configured, not mapped.
    Quiet,
    /// Plain information.
    Info,
    Ok,
    Warn,
    Bad,
}

impl Severity {
    /// The leading glyph (empty for quiet and plain lines).
    #[must_use]
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Quiet | Self::Info => "",
            Self::Ok => "✔",
            Self::Warn => "▲",
            Self::Bad => "✖",
        }
    }

    fn of_icon(icon: StatusIcon) -> Self {
        match icon {
            StatusIcon::Ok => Self::Ok,
            StatusIcon::Bad => Self::Bad,
            StatusIcon::Warning
            | StatusIcon::Progressing
            | StatusIcon::Waiting
            | StatusIcon::Paused => Self::Warn,
            StatusIcon::Neutral | StatusIcon::Unknown => Self::Info,
        }
    }
}

/// One line of a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub severity: Severity,
    pub text: String,
}

impl Fact {
    pub(crate) fn new(severity: Severity, text: impl Into<String>) -> Self {
        Self {
            severity,
            text: text.into(),
        }
    }

    fn label(label: &StatusLabel, rest: &str) -> Self {
        Self::new(
            Severity::of_icon(label.icon),
            format!("{}{rest}", label.word),
        )
    }
}

/// The worst severity of a panel's facts (its title badge).
#[must_use]
pub fn worst(facts: &[Fact]) -> Severity {
    facts
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Quiet)
}

pub use crate::model::text::{short_age, thousands};

/// Why a source has nothing: its error, that it is off here, or that it is connecting.
pub(crate) fn absent(seen: &Seen<'_>, source: SourceId, off: &str, waiting: &str) -> Fact {
    match seen.health.get(&source) {
        Some(SourceHealth::Error { message, .. }) => Fact::new(Severity::Bad, message.clone()),
        Some(SourceHealth::Off) | None => Fact::new(Severity::Quiet, off),
        _ => Fact::new(Severity::Quiet, waiting),
    }
}

/// Why a watched kind has no such object: not watched here, still listing, its error, or
/// (when it is listed fine) that the object really is not there.
fn not_found(health: Option<&KindHealth>, what: &str, missing: String) -> Fact {
    match health {
        Some(KindHealth::Off) => Fact::new(
            Severity::Quiet,
            format!("{what} are not watched in this context"),
        ),
        Some(KindHealth::Syncing) => Fact::new(Severity::Quiet, format!("waiting for {what}")),
        Some(KindHealth::Error(e)) => Fact::new(Severity::Bad, format!("{what}: {e}")),
        Some(KindHealth::Ok) | None => Fact::new(Severity::Warn, missing),
    }
}

/// Owner, on-call (with where that came from), tier, SLO and budget.
#[must_use]
pub fn card(service: &Service, oncall: Option<&crate::app::oncall::OnCallAnswer>) -> Vec<Fact> {
    let mut facts = Vec::new();
    facts.push(match &service.slo {
        Some(slo) => {
            let status = slo.status();
            let severity = match status {
                SloStatus::Breached => Severity::Bad,
                SloStatus::AtRisk => Severity::Warn,
                SloStatus::Healthy => Severity::Ok,
                SloStatus::Unknown => Severity::Info,
            };
            let current = slo
                .current
                .map_or_else(|| "unknown".to_owned(), |c| format!("{c:.3}%"));
            Fact::new(
                severity,
                format!(
                    "SLO {}: budget {} · {}% / {} now {current}",
                    status.word(),
                    crate::model::text::percent(slo.budget_left),
                    slo.target,
                    slo.window
                ),
            )
        }
        None => Fact::new(Severity::Quiet, "no SLO defined"),
    });
    facts.push(Fact::new(
        Severity::Info,
        format!(
            "owner {} · on call {} · {}",
            service.owner,
            oncall.map_or_else(
                || "unknown".to_owned(),
                crate::app::oncall::OnCallAnswer::label
            ),
            service.tier.label()
        ),
    ));
    if let Some(runbook) = &service.runbook {
        facts.push(Fact::new(Severity::Info, format!("runbook {runbook}")));
    }
    facts
}

/// Sync and health of the mapped Argo CD app, and its last operation.
#[must_use]
pub fn argo(seen: &Seen<'_>, service: &Service) -> Vec<Fact> {
    let Some(name) = &service.mapping.argocd_app else {
        return vec![Fact::new(Severity::Quiet, "no Argo CD app mapped")];
    };
    if !seen.panes.apps.loaded {
        return vec![absent(
            seen,
            SourceId::Kube,
            "Argo CD is not configured in this context",
            "waiting for Argo CD",
        )];
    }
    let Some(row) = seen.panes.apps.rows.iter().find(|r| &r.name == name) else {
        return vec![not_found(
            seen.panes.apps.health.as_ref(),
            "Argo CD apps",
            format!("app {name} not found in Argo CD"),
        )];
    };
    let sync = row.sync.label();
    let health = row.health.label();
    let mut facts = vec![Fact::label(&health, &format!(" · {sync} · app {name}"))];
    // Out of sync but healthy is a warning; a synced app says nothing more than its health.
    if Severity::of_icon(sync.icon) == Severity::Bad {
        facts[0].severity = facts[0].severity.max(Severity::Warn);
    }
    if !row.health_message.is_empty() {
        facts.push(Fact::new(Severity::Info, row.health_message.clone()));
    }
    let age = row
        .last_sync
        .map(|t| format!(" {} ago", short_age((seen.now - t).get_seconds())))
        .unwrap_or_default();
    facts.push(match row.operation {
        Some(phase) => {
            let message = if row.operation_message.is_empty() {
                String::new()
            } else {
                format!(": {}", row.operation_message)
            };
            Fact::label(&phase.label(), &format!(" last operation{age}{message}"))
        }
        None => Fact::new(Severity::Quiet, "no operation recorded"),
    });
    facts
}

/// The mapped workload's status, canary step and why it is stuck.
#[must_use]
pub fn rollout(seen: &Seen<'_>, service: &Service, facts: Option<&WorkloadFacts>) -> Vec<Fact> {
    let Some(wanted) = &service.mapping.workload else {
        return vec![Fact::new(Severity::Quiet, "no workload mapped")];
    };
    let Some(snapshot) = seen.panes.rollouts.latest_snapshot() else {
        return vec![absent(
            seen,
            SourceId::Kube,
            "Kubernetes is not configured in this context",
            "waiting for Kubernetes",
        )];
    };
    let Some(found) = facts else {
        let (kind, what) = match wanted.kind {
            WorkloadKind::Deployment => (KubeKind::Deployments, "Deployments"),
            WorkloadKind::Rollout => (KubeKind::Rollouts, "Argo Rollouts"),
        };
        return vec![not_found(
            Some(snapshot.health(kind)),
            what,
            format!("{} not found in the cluster", wanted.name),
        )];
    };
    let row = &found.row;
    let mut out = vec![Fact::label(
        &row.status,
        &format!(" · {} {} in {}", row.kind.as_str(), row.name, row.namespace),
    )];
    for reason in found.stuck.iter().take(2) {
        out.push(Fact::new(
            Severity::Bad,
            format!("stuck: {}", reason.message),
        ));
    }
    let mut progress = format!(
        "ready {}/{} · updated {}",
        row.ready, row.desired, row.updated
    );
    if let Some((step, steps)) = row.step {
        let _ = write!(progress, " · step {step}/{steps}");
    }
    if let Some(weight) = row.set_weight {
        let _ = write!(progress, " · weight {weight}%");
    }
    out.push(Fact::new(Severity::Info, progress));
    if !row.message.is_empty() {
        out.push(Fact::new(Severity::Info, row.message.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ages_read_at_a_glance() {
        assert_eq!(thousands(12_400), "12,400");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
        assert_eq!(short_age(42), "42s");
        assert_eq!(short_age(600), "10m");
        assert_eq!(short_age(7200), "2h");
        assert_eq!(short_age(-5), "0s");
    }

    #[test]
    fn a_missing_object_says_whether_its_kind_is_watched() {
        let missing = || "x not found".to_owned();
        let off = not_found(Some(&KindHealth::Off), "Argo Rollouts", missing());
        assert_eq!(off.text, "Argo Rollouts are not watched in this context");
        let denied = not_found(
            Some(&KindHealth::Error("403".into())),
            "Deployments",
            missing(),
        );
        assert_eq!(denied.severity, Severity::Bad);
        let listed = not_found(Some(&KindHealth::Ok), "Deployments", missing());
        assert_eq!(
            (listed.severity, listed.text.as_str()),
            (Severity::Warn, "x not found")
        );
    }

    #[test]
    fn the_worst_fact_names_the_panel() {
        let facts = [
            Fact::new(Severity::Info, "a"),
            Fact::new(Severity::Bad, "b"),
            Fact::new(Severity::Ok, "c"),
        ];
        assert_eq!(worst(&facts), Severity::Bad);
        assert_eq!(worst(&[]), Severity::Quiet);
    }
}
