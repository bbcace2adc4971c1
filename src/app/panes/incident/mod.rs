//! State of the incident view: one service (the scope, set by `:incident <service>` or `i`
//! on the catalog), the focused panel, and the two derived facts that cost a scan and are
//! therefore kept between frames: the service's workload with its stuck reasons (from the
//! latest Kubernetes snapshot) and its error-log rate (counted as log lines arrive).
//!
//! Everything else a panel shows is read straight from the other panes' state by
//! [`crate::app::panes::incident::facts`]; nothing here is made up when a source has sent nothing.

pub mod actions;
pub mod facts;
pub mod signals;

use crate::app::panes::Pane;
use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::app::panes::rollouts::RolloutsPane;
use crate::model::k8s::snapshot::KubeSnapshot;
use crate::model::k8s::{StuckReason, Workload, WorkloadRow, diagnose};
use crate::model::logs::{Level, LogBuffer};
use crate::model::service::Workload as WorkloadRef;
use crate::model::service::WorkloadKind as MappedKind;

/// What the incident view reads to build its panels: every pane's state (read only),
/// the sources' health and the time. The view writes none of it.
#[derive(Clone, Copy)]
pub struct Seen<'a> {
    pub panes: &'a crate::app::panes::Panes,
    pub health: &'a BTreeMap<crate::model::source::SourceId, crate::model::SourceHealth>,
    pub now: Timestamp,
}

/// Minutes of error-log history the logs panel shows (one sparkline bar per minute).
pub const RATE_WINDOW_MINUTES: usize = 30;

/// The panels of the incident view, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Panel {
    /// Firing alerts first: what paged the person looking.
    #[default]
    Alerts,
    Metrics,
    Card,
    Argo,
    Rollout,
    Database,
    Lag,
    Logs,
    Changes,
    Traces,
}

impl Panel {
    pub const ALL: [Self; 10] = [
        Self::Alerts,
        Self::Metrics,
        Self::Card,
        Self::Argo,
        Self::Rollout,
        Self::Database,
        Self::Lag,
        Self::Logs,
        Self::Changes,
        Self::Traces,
    ];

    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Alerts => "Alerts",
            Self::Metrics => "Metrics and SLO",
            Self::Changes => "What changed",
            Self::Card => "Service",
            Self::Argo => "Argo CD",
            Self::Rollout => "Rollout",
            Self::Database => "Databases",
            Self::Lag => "Consumer lag",
            Self::Logs => "Error logs",
            Self::Traces => "Traces",
        }
    }

    /// `(row, column)` in the grid: five rows of two.
    #[must_use]
    pub fn cell(self) -> (usize, usize) {
        match self {
            Self::Alerts => (0, 0),
            Self::Metrics => (0, 1),
            Self::Card => (1, 0),
            Self::Argo => (1, 1),
            Self::Rollout => (2, 0),
            Self::Database => (2, 1),
            Self::Lag => (3, 0),
            Self::Logs => (3, 1),
            Self::Changes => (4, 0),
            Self::Traces => (4, 1),
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// Tab and shift-tab, wrapping around.
    #[must_use]
    pub fn cycle(self, forward: bool) -> Self {
        let n = Self::ALL.len();
        let i = if forward {
            (self.index() + 1) % n
        } else {
            (self.index() + n - 1) % n
        };
        Self::ALL[i]
    }

    /// The panel in a direction on the grid; itself at an edge.
    #[must_use]
    pub fn step(self, rows: isize, columns: isize) -> Self {
        let (row, column) = self.cell();
        let Some(row) = row.checked_add_signed(rows) else {
            return self;
        };
        let Some(column) = column.checked_add_signed(columns) else {
            return self;
        };
        let exact = Self::ALL.into_iter().find(|p| p.cell() == (row, column));
        // Moving down onto the full-width row, or up off it, lands on its first column.
        let same_row = || Self::ALL.into_iter().find(|p| p.cell() == (row, 0));
        match (exact, rows != 0) {
            (Some(p), _) => p,
            (None, true) => same_row().unwrap_or(self),
            (None, false) => self,
        }
    }
}

/// The service's workload as the rollouts pane would list it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadFacts {
    pub row: WorkloadRow,
    pub stuck: Vec<StuckReason>,
}

/// What the cached workload facts were derived from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WorkloadInputs {
    snapshot: Option<u64>,
    workload: Option<WorkloadRef>,
}

/// Error and fatal log lines per minute, counted incrementally from the log ring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorRate {
    /// Errors per minute, keyed by minutes since the Unix epoch.
    per_minute: BTreeMap<i64, u64>,
    /// The newest line time seen, so a source clock ahead of ours still shows its minute.
    latest: Option<Timestamp>,
    /// The next ring sequence number to count.
    next_seq: u64,
    /// The log target (service) the counts belong to.
    service: Option<String>,
}

fn minute_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(60)
}

impl ErrorRate {
    /// Counts the lines of `buffer` not counted yet. Starts over when the buffer was
    /// cleared (a new log target) or when `service` changed. True if a count changed.
    pub fn catch_up(&mut self, buffer: &LogBuffer, service: Option<&str>) -> bool {
        let mut changed = false;
        if self.service.as_deref() != service || buffer.next_seq() < self.next_seq {
            changed = !self.per_minute.is_empty();
            *self = Self {
                service: service.map(str::to_owned),
                next_seq: buffer.first_seq(),
                ..Self::default()
            };
        }
        let start = buffer.position_at_or_after(self.next_seq);
        for line in buffer.iter_from(start) {
            let Some(at) = line.timestamp() else {
                continue;
            };
            self.latest = Some(self.latest.map_or(at, |l| l.max(at)));
            if matches!(line.level(), Some(Level::Error | Level::Fatal)) {
                *self.per_minute.entry(minute_of(at)).or_default() += 1;
                changed = true;
            }
        }
        self.next_seq = buffer.next_seq();
        // Only the window is ever shown; older minutes go so memory stays bounded.
        if let Some(last) = self.latest.map(minute_of) {
            let window = i64::try_from(RATE_WINDOW_MINUTES).unwrap_or(30);
            self.per_minute = self.per_minute.split_off(&(last - window + 1));
        }
        changed
    }

    /// Errors per minute over the window ending at `now` (or at the newest line, when the
    /// source's clock is ahead), oldest first.
    #[must_use]
    pub fn series(&self, now: Timestamp) -> Vec<u64> {
        let end = minute_of(self.latest.map_or(now, |l| l.max(now)));
        let window = i64::try_from(RATE_WINDOW_MINUTES).unwrap_or(30);
        (end - window + 1..=end)
            .map(|m| self.per_minute.get(&m).copied().unwrap_or(0))
            .collect()
    }

    /// Whether any line with a time was seen.
    #[must_use]
    pub fn has_lines(&self) -> bool {
        self.latest.is_some()
    }
}

/// The incident view's own state.
#[derive(Debug, Clone, Default)]
pub struct IncidentState {
    pub focus: Panel,
    /// The mapped workload in the latest snapshot; `None` when absent or not mapped.
    pub workload: Option<WorkloadFacts>,
    workload_inputs: Option<WorkloadInputs>,
    pub error_rate: ErrorRate,
}

impl IncidentState {
    /// Brings the cached facts up to date for `workload` and the log ring. Cheap when
    /// nothing changed: one comparison each. True if anything shown changed.
    pub fn refresh(
        &mut self,
        workload: Option<&WorkloadRef>,
        rollouts: &RolloutsPane,
        buffer: &LogBuffer,
        log_service: Option<&str>,
    ) -> bool {
        let snapshot = rollouts.latest_snapshot();
        let inputs = WorkloadInputs {
            snapshot: snapshot.map(|s| s.generation),
            workload: workload.cloned(),
        };
        let mut changed = false;
        if self.workload_inputs.as_ref() != Some(&inputs) {
            let facts = match (snapshot, workload) {
                (Some(snapshot), Some(w)) => workload_facts(snapshot, w),
                _ => None,
            };
            changed = facts != self.workload;
            self.workload = facts;
            self.workload_inputs = Some(inputs);
        }
        changed | self.error_rate.catch_up(buffer, log_service)
    }
}

fn uid(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.uid.as_deref().unwrap_or_default()
}

fn owned_by(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    owner: &str,
) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|o| o.uid == owner)
}

/// Finds one workload in a snapshot and diagnoses it, looking only at the ReplicaSets and
/// pods it owns (one pass over each list, not the whole fleet's rows).
#[must_use]
pub fn workload_facts(snapshot: &Arc<KubeSnapshot>, wanted: &WorkloadRef) -> Option<WorkloadFacts> {
    let in_namespace = |ns: Option<&str>| wanted.namespace.as_deref().is_none_or(|w| Some(w) == ns);
    let workload = match wanted.kind {
        MappedKind::Deployment => snapshot
            .deployments
            .iter()
            .find(|d| {
                d.metadata.name.as_deref() == Some(wanted.name.as_str())
                    && in_namespace(d.metadata.namespace.as_deref())
            })
            .map(|d| Workload::Deployment(d)),
        MappedKind::Rollout => snapshot
            .rollouts
            .iter()
            .find(|r| r.name() == wanted.name && in_namespace(Some(r.namespace())))
            .map(|r| Workload::Rollout(r)),
    }?;
    let owner = match workload {
        Workload::Deployment(d) => uid(&d.metadata),
        Workload::Rollout(r) => uid(&r.metadata),
    };
    let replica_sets: Vec<_> = snapshot
        .replica_sets
        .iter()
        .filter(|rs| owned_by(&rs.metadata, owner))
        .map(AsRef::as_ref)
        .collect();
    let rs_uids: Vec<&str> = replica_sets.iter().map(|rs| uid(&rs.metadata)).collect();
    let pods: Vec<_> = snapshot
        .pods
        .iter()
        .filter(|p| rs_uids.iter().any(|rs| p.owner_uids().any(|o| o == *rs)))
        .map(AsRef::as_ref)
        .collect();
    Some(WorkloadFacts {
        row: WorkloadRow::from_workload(workload, &replica_sets),
        stuck: diagnose(workload, &replica_sets, &pods),
    })
}

/// The incident view is built from the other panes' data on every change, so a context
/// switch leaves nothing of its own to drop.
impl Pane for IncidentState {
    delegate_to_actions!(on_action);

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::logs::parse_line;

    fn line(at: &str, level: &str) -> crate::model::logs::LogLine {
        let raw = format!(r#"{{"ts":"{at}","level":"{level}","msg":"x"}}"#);
        parse_line(raw.as_bytes(), Arc::from("pod"))
    }

    #[test]
    fn errors_are_bucketed_per_minute_and_counted_once() {
        let mut buffer = LogBuffer::new(100);
        buffer.push(line("2026-11-02T02:58:10Z", "error"));
        buffer.push(line("2026-11-02T02:58:50Z", "fatal"));
        buffer.push(line("2026-11-02T02:59:05Z", "info"));
        buffer.push(line("2026-11-02T03:00:01Z", "error"));
        let mut rate = ErrorRate::default();
        assert!(rate.catch_up(&buffer, Some("svc")));
        let now: Timestamp = "2026-11-02T03:00:30Z".parse().expect("time");
        let series = rate.series(now);
        assert_eq!(series.len(), RATE_WINDOW_MINUTES);
        assert_eq!(&series[RATE_WINDOW_MINUTES - 3..], &[2, 0, 1]);
        // Nothing new: nothing counted twice.
        assert!(!rate.catch_up(&buffer, Some("svc")));
        assert_eq!(rate.series(now), series);
        buffer.push(line("2026-11-02T03:00:40Z", "error"));
        assert!(rate.catch_up(&buffer, Some("svc")));
        assert_eq!(rate.series(now)[RATE_WINDOW_MINUTES - 1], 2);
    }

    #[test]
    fn old_minutes_leave_the_window_and_a_new_service_starts_over() {
        let mut buffer = LogBuffer::new(100);
        buffer.push(line("2026-11-02T01:00:00Z", "error"));
        buffer.push(line("2026-11-02T03:00:00Z", "error"));
        let mut rate = ErrorRate::default();
        rate.catch_up(&buffer, Some("a"));
        let now: Timestamp = "2026-11-02T03:00:00Z".parse().expect("time");
        assert_eq!(
            rate.series(now).iter().sum::<u64>(),
            1,
            "two hours ago is out"
        );
        rate.catch_up(&LogBuffer::new(100), Some("b"));
        assert!(!rate.has_lines());
        assert_eq!(rate.series(now).iter().sum::<u64>(), 0);
    }

    #[test]
    fn a_clock_ahead_of_ours_still_shows_the_newest_minute() {
        let mut buffer = LogBuffer::new(10);
        buffer.push(line("2026-11-02T03:05:00Z", "error"));
        let mut rate = ErrorRate::default();
        rate.catch_up(&buffer, None);
        let now: Timestamp = "2026-11-02T03:00:00Z".parse().expect("time");
        assert_eq!(rate.series(now).last(), Some(&1));
    }

    #[test]
    fn panels_move_on_the_grid_and_cycle() {
        assert_eq!(Panel::Card.step(0, 1), Panel::Argo);
        assert_eq!(Panel::Argo.step(1, 0), Panel::Database);
        assert_eq!(Panel::Logs.step(1, 0), Panel::Traces);
        assert_eq!(Panel::Traces.step(-1, 0), Panel::Logs);
        assert_eq!(Panel::Alerts.step(-1, 0), Panel::Alerts);
        assert_eq!(Panel::Traces.step(0, 1), Panel::Traces);
        assert_eq!(Panel::Traces.cycle(true), Panel::Alerts);
        assert_eq!(Panel::Alerts.cycle(false), Panel::Traces);
    }

    #[test]
    fn the_mapped_workload_is_found_and_diagnosed() {
        let mut world = crate::sources::sandbox::World::new(7, crate::screenshot::epoch());
        world.cluster();
        let snapshot = Arc::new(crate::sources::sandbox::apps::kube_snapshot(&mut world, 1));
        let stuck = WorkloadRef {
            kind: MappedKind::Rollout,
            namespace: Some("logistics".into()),
            name: "shipping-api".into(),
        };
        let facts = workload_facts(&snapshot, &stuck).expect("the stuck rollout");
        assert_eq!(facts.row.name, "shipping-api");
        assert!(!facts.stuck.is_empty(), "its stuck reason is found");
        let missing = WorkloadRef {
            name: "no-such-thing".into(),
            ..stuck
        };
        assert!(workload_facts(&snapshot, &missing).is_none());
    }
}
