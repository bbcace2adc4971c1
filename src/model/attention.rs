//! What is on fire: every service of one context with something wrong now, from the facts
//! the sources already hold (firing alerts, SLO burn, Argo CD health and sync, stuck
//! rollouts, blocked database sessions, growing consumer lag, error-log bursts), as one row
//! per service with its worst signals and since when.
//!
//! One pure function ([`rows`]) serves the active context (fed from the panes) and every
//! other context (fed from its summary sources), so both say the same thing the same way.
//! It is linear in services + alerts + apps + workloads: the attention view recomputes it
//! on every refresh of any context.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::model::alerts::{AlertsSnapshot, Severity as AlertSeverity};
use crate::model::k8s::app_row::{AppRow, HealthState, SyncState};
use crate::model::k8s::{StatusIcon, WorkloadRow};
use crate::model::kafka::KafkaSnapshot;
use crate::model::pg::PgSnapshot;
use crate::model::{Catalog, Tier};

/// How bad a signal is. Ordered most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Critical,
    Warning,
}

impl Level {
    /// Glyph and word (never colour alone).
    #[must_use]
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Self::Critical => ("✖", "critical"),
            Self::Warning => ("▲", "warning"),
        }
    }
}

/// Which fact a signal comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignalKind {
    Alert,
    SloBurn,
    App,
    Rollout,
    Database,
    Lag,
    ErrorLogs,
}

/// One thing wrong with a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub kind: SignalKind,
    pub level: Level,
    /// A few words: `2 alerts: HighErrorRate`, `app Degraded`, `orders-db: 5 waiting`.
    pub text: String,
    /// When it started, when the source says.
    pub since: Option<Timestamp>,
}

/// One service with something wrong, in one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub context: String,
    pub production: bool,
    pub service: String,
    /// Empty when the service is not in the catalog (an alert names it).
    pub owner: String,
    pub tier: Tier,
    /// Who is on call, and where that came from (`platform`, `catalog`).
    pub oncall: Option<String>,
    /// The worst of its signals.
    pub level: Level,
    /// Worst first.
    pub signals: Vec<Signal>,
    /// The earliest start among its signals.
    pub since: Option<Timestamp>,
}

impl Row {
    /// The identity a selection follows.
    #[must_use]
    pub fn key(&self) -> String {
        format!("{}\u{1f}{}", self.context, self.service)
    }
}

/// The Argo CD app of that name, if the context has one (a lookup, so a context with
/// 30,000 apps is not walked for the few the catalog maps).
pub type AppNamed<'a> = &'a dyn Fn(&str) -> Option<&'a AppRow>;
/// Apps by name for an [`AppNamed`] lookup; the first listed of a name wins, as in the
/// active context's binary search.
#[must_use]
pub fn apps_by_name(apps: &[AppRow]) -> HashMap<&str, &AppRow> {
    apps.iter().rev().map(|a| (a.name.as_str(), a)).collect()
}

/// A consumer group's lag is growing (the last two readings rise).
pub type LagTrend<'a> = &'a dyn Fn(&str) -> bool;
/// A service's SLO burn, when metrics know it: `(level, words)`.
pub type Burn<'a> = &'a dyn Fn(&str) -> Option<(Level, String)>;
/// A service's error logs per minute now, when the logs source reads it.
pub type ErrorLogs<'a> = &'a dyn Fn(&str) -> Option<u64>;
/// Who is on call for a service, and from where.
pub type OnCall<'a> = &'a dyn Fn(&crate::model::Service) -> Option<String>;

/// What one context's sources hold now.
pub struct Inputs<'a> {
    pub context: &'a str,
    pub production: bool,
    pub now: Timestamp,
    pub catalog: &'a Catalog,
    pub alerts: Option<&'a AlertsSnapshot>,
    pub service_labels: &'a [String],
    pub apps: AppNamed<'a>,
    pub workloads: &'a [WorkloadRow],
    pub databases: &'a [(String, Arc<PgSnapshot>)],
    pub kafka: Option<&'a KafkaSnapshot>,
    pub lag_rising: LagTrend<'a>,
    pub burn: Burn<'a>,
    pub error_logs: ErrorLogs<'a>,
    pub oncall: OnCall<'a>,
}

/// Lag above this is a warning even when it is not rising.
pub const LAG_WARNING: i64 = 10_000;
/// A blocking root older than this makes the blocking critical.
pub const ROOT_CRITICAL_SECS: u64 = 60;

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A service's firing alerts so far: worst level, count, names, earliest start.
type AlertTally<'a> = (Level, usize, Vec<&'a str>, Option<Timestamp>);

/// The firing alerts of each service: `(service, signal)`.
fn alert_signals(inputs: &Inputs<'_>) -> Vec<(String, Signal)> {
    let Some(snapshot) = inputs.alerts else {
        return Vec::new();
    };
    // service → (worst level, count, names, earliest start)
    let mut by_service: HashMap<&str, AlertTally<'_>> = HashMap::new();
    for alert in &snapshot.alerts {
        if !alert.is_firing() {
            continue;
        }
        let level = match alert.severity() {
            AlertSeverity::Critical | AlertSeverity::Error => Level::Critical,
            AlertSeverity::Warning => Level::Warning,
            // Info and unlabelled alerts (the Watchdog) page nobody.
            AlertSeverity::Info | AlertSeverity::Unknown => continue,
        };
        let Some(service) = crate::model::alert_service::service_for_alert(
            &alert.labels,
            inputs.service_labels,
            inputs.catalog,
        )
        .or_else(|| alert.service(inputs.service_labels)) else {
            continue;
        };
        let start = alert.starts_at.parse::<Timestamp>().ok();
        let entry = by_service
            .entry(service)
            .or_insert((level, 0, Vec::new(), start));
        entry.0 = entry.0.min(level);
        entry.1 += 1;
        if !entry.2.contains(&alert.name()) {
            entry.2.push(alert.name());
        }
        entry.3 = match (entry.3, start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    by_service
        .into_iter()
        .map(|(service, (level, count, mut names, since))| {
            names.sort_unstable();
            let shown: Vec<&str> = names.iter().take(2).copied().collect();
            let more = if names.len() > 2 { " …" } else { "" };
            (
                service.to_owned(),
                Signal {
                    kind: SignalKind::Alert,
                    level,
                    text: format!(
                        "{} firing: {}{more}",
                        plural(count, "alert"),
                        shown.join(", ")
                    ),
                    since,
                },
            )
        })
        .collect()
}

fn blocked(database: &str, snapshot: &PgSnapshot) -> Option<Signal> {
    let waiting = snapshot
        .sessions
        .iter()
        .filter(|s| !s.blocked_by.is_empty())
        .count();
    if waiting == 0 {
        return None;
    }
    // The oldest transaction among the roots (blockers that wait on nobody).
    let root_start = snapshot
        .sessions
        .iter()
        .filter(|s| s.blocked_by.is_empty())
        .filter(|s| {
            snapshot
                .sessions
                .iter()
                .any(|w| w.blocked_by.contains(&s.pid))
        })
        .filter_map(|s| s.xact_start)
        .min();
    let root_age = root_start.map(|t| snapshot.taken_at.duration_since(t).as_secs().max(0));
    let level = if root_age.is_some_and(|a| a.unsigned_abs() >= ROOT_CRITICAL_SECS) {
        Level::Critical
    } else {
        Level::Warning
    };
    let age = root_age.map_or_else(String::new, |a| {
        format!(", root {}", crate::model::text::short_age(a))
    });
    Some(Signal {
        kind: SignalKind::Database,
        level,
        text: format!("{database}: {waiting} waiting{age}"),
        since: root_start,
    })
}

/// Every service of the context with something wrong, worst first (severity, then tier,
/// then the longest burning, then name).
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "one pass over the services, one short block per signal kind, in the order shown"
)]
pub fn rows(inputs: &Inputs<'_>) -> Vec<Row> {
    let mut signals: HashMap<String, Vec<Signal>> = HashMap::new();
    for (service, signal) in alert_signals(inputs) {
        signals.entry(service).or_default().push(signal);
    }
    let workloads: HashMap<(&str, &str), &WorkloadRow> = inputs
        .workloads
        .iter()
        .map(|w| ((w.namespace.as_str(), w.name.as_str()), w))
        .collect();
    let databases: HashMap<&str, &PgSnapshot> = inputs
        .databases
        .iter()
        .map(|(name, s)| (name.as_str(), s.as_ref()))
        .collect();
    let groups: HashMap<&str, i64> = inputs.kafka.map_or_else(HashMap::new, |k| {
        k.groups
            .iter()
            .map(|g| (g.name.as_str(), g.total_lag))
            .collect()
    });
    for service in inputs.catalog.services() {
        let mut own = Vec::new();
        if let Some((level, text)) = (inputs.burn)(&service.name) {
            own.push(Signal {
                kind: SignalKind::SloBurn,
                level,
                text,
                since: None,
            });
        }
        let mapping = &service.mapping;
        if let Some(app) = mapping.argocd_app.as_deref().and_then(inputs.apps) {
            let health = match app.health {
                HealthState::Degraded => Some((Level::Critical, "Degraded")),
                HealthState::Missing => Some((Level::Warning, "Missing")),
                _ => None,
            };
            if let Some((level, word)) = health {
                own.push(Signal {
                    kind: SignalKind::App,
                    level,
                    text: format!("app {word}"),
                    since: app.last_sync,
                });
            } else if app.sync == SyncState::OutOfSync {
                own.push(Signal {
                    kind: SignalKind::App,
                    level: Level::Warning,
                    text: "app OutOfSync".into(),
                    since: app.last_sync,
                });
            }
        }
        if let Some(w) = mapping.workload.as_ref() {
            let namespace = w
                .namespace
                .as_deref()
                .or(mapping.kube_namespace.as_deref())
                .unwrap_or_default();
            let row = workloads
                .get(&(namespace, w.name.as_str()))
                .copied()
                .or_else(|| {
                    // A mapping without a namespace: the workload of that name.
                    namespace
                        .is_empty()
                        .then(|| inputs.workloads.iter().find(|r| r.name == w.name))
                        .flatten()
                });
            if let Some(row) = row
                && row.status.icon == StatusIcon::Bad
            {
                own.push(Signal {
                    kind: SignalKind::Rollout,
                    level: Level::Critical,
                    text: format!("rollout {}", row.status.word),
                    since: None,
                });
            }
        }
        for db in &mapping.databases {
            if let Some(signal) = databases.get(db.as_str()).and_then(|s| blocked(db, s)) {
                own.push(signal);
            }
        }
        for group in &mapping.consumer_groups {
            if let Some(&lag) = groups.get(group.as_str()) {
                let rising = (inputs.lag_rising)(group);
                if lag > 0 && (rising || lag >= LAG_WARNING) {
                    own.push(Signal {
                        kind: SignalKind::Lag,
                        level: Level::Warning,
                        text: format!(
                            "lag {}{} · {group}",
                            crate::model::text::thousands(lag),
                            if rising { " rising" } else { "" }
                        ),
                        since: None,
                    });
                }
            }
        }
        if let Some(per_min) = (inputs.error_logs)(&service.name)
            && per_min > 0
        {
            own.push(Signal {
                kind: SignalKind::ErrorLogs,
                level: Level::Warning,
                text: format!("{per_min} error logs/min"),
                since: None,
            });
        }
        if !own.is_empty() {
            signals.entry(service.name.clone()).or_default().extend(own);
        }
    }
    let mut out: Vec<Row> = signals
        .into_iter()
        .map(|(name, mut signals)| {
            signals.sort_by(|a, b| a.level.cmp(&b.level).then(a.kind.cmp(&b.kind)));
            let service = inputs.catalog.service(&name);
            let level = signals
                .iter()
                .map(|s| s.level)
                .min()
                .unwrap_or(Level::Warning);
            let since = signals.iter().filter_map(|s| s.since).min();
            Row {
                context: inputs.context.to_owned(),
                production: inputs.production,
                owner: service.map(|s| s.owner.clone()).unwrap_or_default(),
                tier: service.map(|s| s.tier).unwrap_or_default(),
                oncall: service.and_then(|s| (inputs.oncall)(s)),
                service: name,
                level,
                signals,
                since,
            }
        })
        .collect();
    sort(&mut out);
    out
}

/// The attention order: severity, production first, tier, the longest burning, then by
/// context and name so equal rows never swap.
pub fn sort(rows: &mut [Row]) {
    rows.sort_by(order);
}

/// The attention order of two rows (see [`sort`]).
#[must_use]
pub fn order(a: &Row, b: &Row) -> std::cmp::Ordering {
    a.level
        .cmp(&b.level)
        .then(b.production.cmp(&a.production))
        .then(a.tier.cmp(&b.tier))
        .then_with(|| match (a.since, b.since) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
        .then_with(|| a.context.cmp(&b.context))
        .then_with(|| a.service.cmp(&b.service))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::alerts::{Alert, AlertState};
    use crate::model::{CatalogEntry, Service};

    fn service(name: &str, tier: Tier, app: &str) -> CatalogEntry {
        let mut ann = BTreeMap::new();
        ann.insert(
            crate::model::service::annotations::ARGOCD_APP.to_owned(),
            app.to_owned(),
        );
        let mut service = Service::from_annotations(name, "payments", ann);
        service.tier = tier;
        service.oncall = Some("amara".into());
        CatalogEntry::Service(Box::new(service))
    }

    fn alert(labels: &[(&str, &str)], state: AlertState, starts: &str) -> Alert {
        Alert {
            fingerprint: labels.iter().map(|(_, v)| *v).collect(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            annotations: BTreeMap::new(),
            starts_at: starts.into(),
            ends_at: String::new(),
            generator_url: None,
            receivers: Vec::new(),
            state,
            silenced_by: if state == AlertState::Suppressed {
                vec!["s1".into()]
            } else {
                Vec::new()
            },
            inhibited_by: Vec::new(),
        }
    }

    fn rows_of(
        catalog: &Catalog,
        alerts: &AlertsSnapshot,
        apps: &[AppRow],
        production: bool,
    ) -> Vec<Row> {
        let labels = vec!["service".to_owned()];
        let never = |_: &str| false;
        let no_burn = |_: &str| None;
        let no_logs = |_: &str| None;
        let oncall = |s: &crate::model::Service| s.oncall.clone();
        let apps = |name: &str| apps.iter().find(|a| a.name == name);
        rows(&Inputs {
            context: "prod",
            production,
            now: "2026-12-06T03:00:00Z".parse().unwrap(),
            catalog,
            alerts: Some(alerts),
            service_labels: &labels,
            apps: &apps,
            workloads: &[],
            databases: &[],
            kafka: None,
            lag_rising: &never,
            burn: &no_burn,
            error_logs: &no_logs,
            oncall: &oncall,
        })
    }

    #[test]
    fn firing_alerts_and_app_health_make_rows_worst_first() {
        let catalog = Catalog::new(vec![
            service("checkout-api", Tier::Tier1, "checkout"),
            service("ledger", Tier::Tier2, "ledger"),
            service("quiet", Tier::Tier1, "quiet"),
        ]);
        let snapshot = AlertsSnapshot {
            alerts: vec![
                alert(
                    &[
                        ("alertname", "LagGrowing"),
                        ("service", "ledger"),
                        ("severity", "warning"),
                    ],
                    AlertState::Active,
                    "2026-12-06T02:50:00Z",
                ),
                alert(
                    &[
                        ("alertname", "HighErrorRate"),
                        ("service", "checkout-api"),
                        ("severity", "critical"),
                    ],
                    AlertState::Active,
                    "2026-12-06T02:55:00Z",
                ),
                // Muted and severity-less alerts page nobody.
                alert(
                    &[
                        ("alertname", "Muted"),
                        ("service", "quiet"),
                        ("severity", "critical"),
                    ],
                    AlertState::Suppressed,
                    "2026-12-06T02:00:00Z",
                ),
                alert(
                    &[("alertname", "Watchdog")],
                    AlertState::Active,
                    "2026-12-06T00:00:00Z",
                ),
                // A service the catalog lacks still shows, under its label.
                alert(
                    &[
                        ("alertname", "Down"),
                        ("service", "ghost"),
                        ("severity", "error"),
                    ],
                    AlertState::Active,
                    "2026-12-06T02:59:00Z",
                ),
            ],
            ..AlertsSnapshot::default()
        };
        let mut degraded = AppRow::from_app(&crate::model::k8s::app::Application::default());
        degraded.name = "ledger".into();
        degraded.health = HealthState::Degraded;
        let rows = rows_of(&catalog, &snapshot, &[degraded], true);
        let names: Vec<&str> = rows.iter().map(|r| r.service.as_str()).collect();
        // Critical first: tier 1 before the unknown tier; the warning alert's service is
        // critical too because its app is Degraded, and tier 2 comes after tier 1.
        assert_eq!(names, ["checkout-api", "ledger", "ghost"]);
        let ledger = &rows[1];
        assert_eq!(ledger.level, Level::Critical);
        assert_eq!(ledger.signals[0].text, "app Degraded");
        assert!(
            ledger.signals[1]
                .text
                .contains("1 alert firing: LagGrowing")
        );
        assert_eq!(ledger.oncall.as_deref(), Some("amara"));
        assert!(rows[2].owner.is_empty(), "not in the catalog");
        assert!(rows.iter().all(|r| r.production && r.context == "prod"));
    }

    #[test]
    fn production_rows_come_before_others_of_the_same_level() {
        let mut all = Vec::new();
        for (context, production) in [("staging", false), ("prod", true)] {
            all.push(Row {
                context: context.into(),
                production,
                service: "svc".into(),
                owner: String::new(),
                tier: Tier::Tier1,
                oncall: None,
                level: Level::Warning,
                signals: Vec::new(),
                since: None,
            });
        }
        sort(&mut all);
        assert_eq!(all[0].context, "prod");
    }
}
