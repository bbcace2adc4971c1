//! A step's completion check: conditions on the live app state, all of which must hold.
//!
//! Conditions read what the user sees (the pane, the open dialog, the selected row) and what
//! happened during the tour (actions that ran through the audit gate, requests created and
//! decided), never what the sandbox knows behind the screen, so a step completes exactly
//! when a person looking at the console would say it is done.

use serde::Deserialize;

use crate::app::panes::kafka::KafkaView;
use crate::app::panes::postgres::PgView;
use crate::app::state::{Modal, PaneId, State, View};
use crate::model::logs::level::LevelGroup;
use crate::model::platform::RequestState;

/// A pane, or the service card, as a check names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaneName {
    Svc,
    Card,
    Apps,
    Rollouts,
    Kafka,
    Pg,
    Logs,
    Traces,
    Requests,
    Audit,
    Incident,
    Alerts,
    Silences,
    Fire,
    Oncall,
    Pods,
    Events,
    Describe,
    Forwards,
}

/// Which dialog is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModalName {
    None,
    Help,
    Palette,
    Form,
    Prompt,
    Confirm,
    Tours,
    Messages,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PgViewName {
    Sessions,
    Tree,
    Replication,
    Statements,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KafkaViewName {
    Topics,
    Groups,
    Brokers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelName {
    Error,
    Warn,
    Info,
    Debug,
}

/// A self-service request kind, as the platform API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    KafkaTopic,
    ReadReplica,
}

impl RequestKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KafkaTopic => "kafka_topic",
            Self::ReadReplica => "read_replica",
        }
    }
}

/// Something that happened during a tour, recorded as it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TourEvent {
    /// An action went through the audit gate and ran.
    Executed {
        action: String,
        /// The audit event of its intent.
        event_id: String,
        succeeded: bool,
    },
    /// The platform accepted a new request.
    Created { kind: &'static str, id: String },
    /// A request was approved or rejected.
    Decided { id: String, state: RequestState },
}

/// What happened during the tour, for the checks.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Everything since the tour started.
    pub tour: &'a [TourEvent],
    /// Since the current step started.
    pub step: &'a [TourEvent],
}

/// The conditions of one step. Every condition given must hold; `"*"` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The view shown.
    pub pane: Option<PaneName>,
    /// The service whose card is open.
    pub card: Option<String>,
    pub modal: Option<ModalName>,
    /// The scope: a service, `"*"` for any, `""` for none.
    pub scope: Option<String>,
    pub context: Option<String>,
    /// The table filter, kept (enter pressed, not being typed), contains this text.
    pub filter: Option<String>,
    /// The selected row of the table shown is this service, app, workload, topic or group.
    pub selected: Option<String>,
    pub pg_view: Option<PgViewName>,
    pub pg_database: Option<String>,
    /// The selected line of the blocking tree is a root that blocks others.
    pub pg_root_selected: Option<bool>,
    /// The blocking tree of the database shown has blocked sessions.
    pub pg_blocking: Option<bool>,
    /// The open confirmation is for this action (`pg.cancel`, `rollout.abort`, ...).
    pub confirm: Option<String>,
    /// The open confirmation says this.
    pub confirm_note: Option<String>,
    /// An action of this name ran and succeeded during this step.
    pub succeeded: Option<String>,
    /// The selected audit record is one of this tour's actions of this name, with its
    /// outcome recorded.
    pub audit: Option<String>,
    /// The rollouts detail is open on this workload (`"*"`: any).
    pub workload: Option<String>,
    /// The open (or else the selected) workload is stuck.
    pub workload_stuck: Option<bool>,
    /// The status word of the open (or else the selected) workload (`Healthy`).
    pub workload_status: Option<String>,
    pub kafka_view: Option<KafkaViewName>,
    /// The open consumer group (`"*"`: any, `""`: none open).
    pub kafka_group: Option<String>,
    /// The open (or else the selected) consumer group lags.
    pub group_lagging: Option<bool>,
    /// Exactly these of the four levels (error, warn, info, debug) are shown.
    pub logs_levels: Option<Vec<LevelName>>,
    /// The logs show one trace's lines.
    pub logs_trace: Option<bool>,
    /// The selected log line carries a trace id.
    pub line_has_trace: Option<bool>,
    /// The selected log line's fields are shown.
    pub line_fields: Option<bool>,
    /// A trace is open as a waterfall.
    pub trace_open: Option<bool>,
    /// The selected span failed.
    pub span_error: Option<bool>,
    /// The selected span is the longest one below the root.
    pub span_slowest: Option<bool>,
    /// The span detail (attributes, events) is shown.
    pub span_detail: Option<bool>,
    /// The requests pane shows the approval queue.
    pub queue: Option<bool>,
    /// A request of this kind was created during this step.
    pub created: Option<RequestKind>,
    /// A request of this kind created during the tour was approved.
    pub approved: Option<RequestKind>,
    /// A request of this kind created during the tour is ready.
    pub ready: Option<RequestKind>,
    /// Alertmanager holds an alert (firing or muted) for the scoped service; `false` once
    /// it resolved.
    pub alerting: Option<bool>,
    /// The scoped service has an alert that fires unmuted.
    pub alert_firing: Option<bool>,
}

/// `want` is `"*"` or equal to `have`.
fn matches(want: &str, have: Option<&str>) -> bool {
    match have {
        Some(have) => want == "*" || want == have,
        None => false,
    }
}

impl Check {
    /// Refuses a check that could never tell anything apart.
    ///
    /// # Errors
    /// Why the check is not usable.
    pub fn validate(&self) -> Result<(), String> {
        if *self == Self::default() {
            return Err(
                "the check has no condition: give at least one, e.g. `pane = \"pg\"`".into(),
            );
        }
        if self.logs_levels.as_ref().is_some_and(Vec::is_empty) {
            return Err("`logs_levels` lists no level".into());
        }
        Ok(())
    }

    /// Whether every condition holds.
    #[must_use]
    pub fn passes(&self, state: &State, facts: Facts<'_>) -> bool {
        self.view_holds(state)
            && self.pg_holds(state)
            && self.rollout_holds(state)
            && self.kafka_holds(state)
            && self.telemetry_holds(state)
            && self.alerts_hold(state)
            && self.events_hold(state, facts)
    }

    fn view_holds(&self, state: &State) -> bool {
        let view = state.view();
        if let Some(pane) = self.pane
            && pane_name(view) != pane
        {
            return false;
        }
        if let Some(service) = &self.card {
            let open = match view {
                View::Card(card) => Some(card.service.as_str()),
                View::Pane(_) => None,
            };
            if !matches(service, open) {
                return false;
            }
        }
        if let Some(modal) = self.modal
            && modal_name(state.modal.as_ref()) != modal
        {
            return false;
        }
        if let Some(scope) = &self.scope {
            let ok = match scope.as_str() {
                "" => state.scope.is_none(),
                want => matches(want, state.scope.as_deref()),
            };
            if !ok {
                return false;
            }
        }
        if let Some(context) = &self.context
            && *context != state.context.name
        {
            return false;
        }
        if let Some(text) = &self.filter {
            let filter = state
                .active_table()
                .map(|t| &t.filter)
                .filter(|f| !f.editing)
                .map(|f| f.text.as_str());
            if !filter.is_some_and(|f| f.to_lowercase().contains(&text.to_lowercase())) {
                return false;
            }
        }
        if let Some(name) = &self.selected
            && !matches(name, selected_name(state).as_deref())
        {
            return false;
        }
        true
    }

    fn pg_holds(&self, state: &State) -> bool {
        let pg = &state.panes.postgres;
        if let Some(view) = self.pg_view {
            let have = match pg.view {
                PgView::Sessions => PgViewName::Sessions,
                PgView::Tree => PgViewName::Tree,
                PgView::Replication => PgViewName::Replication,
                PgView::Statements => PgViewName::Statements,
            };
            if have != view {
                return false;
            }
        }
        if let Some(db) = &self.pg_database
            && !matches(db, pg.current_database())
        {
            return false;
        }
        if let Some(want) = self.pg_root_selected {
            let root = pg.view == PgView::Tree
                && pg
                    .tree
                    .get(pg.tree_selected)
                    .is_some_and(|line| line.depth == 0 && line.blocks_total > 0);
            if root != want {
                return false;
            }
        }
        if let Some(want) = self.pg_blocking
            && (pg.shown.is_some() && !pg.tree.is_empty()) != want
        {
            return false;
        }
        if want_loaded(self.pg_blocking) && pg.shown.is_none() {
            return false;
        }
        let confirm = match &state.modal {
            Some(Modal::Confirm(c)) => Some(c),
            _ => None,
        };
        if let Some(action) = &self.confirm
            && confirm.is_none_or(|c| c.request.action_name() != *action)
        {
            return false;
        }
        if let Some(note) = &self.confirm_note
            && !confirm.is_some_and(|c| c.notes.iter().any(|(_, n)| n.contains(note.as_str())))
        {
            return false;
        }
        true
    }

    fn rollout_holds(&self, state: &State) -> bool {
        let rollouts = &state.panes.rollouts;
        if let Some(name) = &self.workload {
            let open = (state.view().pane() == PaneId::Rollouts)
                .then(|| rollouts.detail.as_ref().map(|k| k.name.as_str()))
                .flatten();
            if !matches(name, open) {
                return false;
            }
        }
        let entry = rollouts.target().or_else(|| rollouts.selected());
        if let Some(want) = self.workload_stuck
            && entry.is_none_or(|e| e.stuck.is_empty() == want)
        {
            return false;
        }
        if let Some(word) = &self.workload_status
            && !entry.is_some_and(|e| e.row.status.word.eq_ignore_ascii_case(word))
        {
            return false;
        }
        true
    }

    fn kafka_holds(&self, state: &State) -> bool {
        let kafka = &state.panes.kafka;
        if let Some(view) = self.kafka_view {
            let have = match kafka.view {
                KafkaView::Topics => KafkaViewName::Topics,
                KafkaView::Groups => KafkaViewName::Groups,
                KafkaView::Brokers => KafkaViewName::Brokers,
            };
            if have != view {
                return false;
            }
        }
        let open_group = (kafka.view == KafkaView::Groups)
            .then_some(kafka.detail.as_deref())
            .flatten();
        if let Some(name) = &self.kafka_group {
            let ok = match name.as_str() {
                "" => open_group.is_none(),
                want => matches(want, open_group),
            };
            if !ok {
                return false;
            }
        }
        if let Some(want) = self.group_lagging {
            let name = open_group
                .map(str::to_owned)
                .or_else(|| (kafka.view == KafkaView::Groups).then(|| selected_name(state))?);
            let lag = name.and_then(|n| {
                let snapshot = kafka.snapshot.as_ref()?;
                snapshot
                    .groups
                    .iter()
                    .find(|g| g.name == n)
                    .map(|g| g.total_lag)
            });
            if lag.is_none_or(|lag| (lag > 0) != want) {
                return false;
            }
        }
        true
    }

    fn telemetry_holds(&self, state: &State) -> bool {
        let logs = &state.panes.logs;
        if let Some(levels) = &self.logs_levels {
            let shown = |group| logs.levels.shows(group);
            let groups = [
                LevelGroup::Error,
                LevelGroup::Warn,
                LevelGroup::Info,
                LevelGroup::Debug,
            ];
            let want = |group| levels.iter().any(|l| level_group(*l) == group);
            if groups.into_iter().any(|g| shown(g) != want(g)) {
                return false;
            }
        }
        if let Some(want) = self.logs_trace
            && logs.target.trace_id.is_some() != want
        {
            return false;
        }
        if let Some(want) = self.line_has_trace
            && logs.selected().is_some_and(|l| l.trace_id().is_some()) != want
        {
            return false;
        }
        if let Some(want) = self.line_fields
            && logs.expanded != want
        {
            return false;
        }
        let open = state.panes.traces.open.as_ref();
        if let Some(want) = self.trace_open
            && (state.view().pane() == PaneId::Traces && open.is_some()) != want
        {
            return false;
        }
        let span = open.and_then(|o| o.selected_span());
        if let Some(want) = self.span_error
            && span.is_some_and(crate::model::traces::Span::is_error) != want
        {
            return false;
        }
        if let Some(want) = self.span_slowest {
            let slowest = open.and_then(|o| {
                o.trace
                    .spans
                    .iter()
                    .filter(|s| s.parent_id.is_some())
                    .map(|s| s.duration_ns)
                    .max()
            });
            let is = span.is_some_and(|s| s.parent_id.is_some() && Some(s.duration_ns) == slowest);
            if is != want {
                return false;
            }
        }
        if let Some(want) = self.span_detail
            && open.is_some_and(|o| o.detail) != want
        {
            return false;
        }
        true
    }

    fn alerts_hold(&self, state: &State) -> bool {
        let alerts = &state.panes.alerts;
        let Some(service) = state.scope.as_deref() else {
            return self.alerting.is_none() && self.alert_firing.is_none();
        };
        // Before Alertmanager answered nothing is known either way.
        if (self.alerting.is_some() || self.alert_firing.is_some()) && alerts.snapshot.is_none() {
            return false;
        }
        let held = alerts.firing_for(service);
        if let Some(want) = self.alerting
            && held.is_empty() == want
        {
            return false;
        }
        if let Some(want) = self.alert_firing
            && held.iter().any(|a| a.is_firing()) != want
        {
            return false;
        }
        true
    }

    fn events_hold(&self, state: &State, facts: Facts<'_>) -> bool {
        if let Some(action) = &self.succeeded {
            let ran = facts.step.iter().any(|e| {
                matches!(e, TourEvent::Executed { action: a, succeeded: true, .. } if a == action)
            });
            if !ran {
                return false;
            }
        }
        if let Some(action) = &self.audit {
            let ours = |id: &str| {
                facts.tour.iter().any(|e| {
                    matches!(e, TourEvent::Executed { action: a, event_id, .. }
                        if a == action && event_id == id)
                })
            };
            let shown = state.view().pane() == PaneId::Audit
                && state
                    .panes
                    .audit
                    .table
                    .selected_row()
                    .and_then(|i| state.panes.audit.rows.get(i))
                    .is_some_and(|item| item.outcome.is_some() && ours(&item.event.event_id));
            if !shown {
                return false;
            }
        }
        if let Some(want) = self.queue
            && (state.view().pane() == PaneId::Requests && state.panes.requests.queue) != want
        {
            return false;
        }
        let created_ids = |kind: RequestKind, events: &[TourEvent]| -> Vec<String> {
            events
                .iter()
                .filter_map(|e| match e {
                    TourEvent::Created { kind: k, id } if *k == kind.as_str() => Some(id.clone()),
                    _ => None,
                })
                .collect()
        };
        if let Some(kind) = self.created
            && created_ids(kind, facts.step).is_empty()
        {
            return false;
        }
        if let Some(kind) = self.approved {
            let ids = created_ids(kind, facts.tour);
            let approved = facts.tour.iter().any(|e| {
                matches!(e, TourEvent::Decided { id, state }
                    if ids.contains(id) && *state != RequestState::Rejected)
            });
            if !approved {
                return false;
            }
        }
        if let Some(kind) = self.ready {
            let ids = created_ids(kind, facts.tour);
            let ready = state.panes.requests.snapshot.as_ref().is_some_and(|s| {
                s.requests
                    .iter()
                    .any(|r| ids.contains(&r.id) && r.state == RequestState::Ready)
            });
            if !ready {
                return false;
            }
        }
        true
    }
}

/// A condition on a snapshot holds only once the snapshot arrived, whatever it asks.
fn want_loaded(condition: Option<bool>) -> bool {
    condition.is_some()
}

fn level_group(level: LevelName) -> LevelGroup {
    match level {
        LevelName::Error => LevelGroup::Error,
        LevelName::Warn => LevelGroup::Warn,
        LevelName::Info => LevelGroup::Info,
        LevelName::Debug => LevelGroup::Debug,
    }
}

/// The check's name for a view.
#[must_use]
pub fn pane_name(view: &View) -> PaneName {
    match view {
        View::Card(_) => PaneName::Card,
        View::Pane(pane) => match pane {
            PaneId::Catalog => PaneName::Svc,
            PaneId::Apps => PaneName::Apps,
            PaneId::Rollouts => PaneName::Rollouts,
            PaneId::Kafka => PaneName::Kafka,
            PaneId::Postgres => PaneName::Pg,
            PaneId::Logs => PaneName::Logs,
            PaneId::Traces => PaneName::Traces,
            PaneId::Requests => PaneName::Requests,
            PaneId::Audit => PaneName::Audit,
            PaneId::Incident => PaneName::Incident,
            PaneId::Alerts => PaneName::Alerts,
            PaneId::Silences => PaneName::Silences,
            PaneId::Attention => PaneName::Fire,
            PaneId::Oncall => PaneName::Oncall,
            PaneId::Pods => PaneName::Pods,
            PaneId::Events => PaneName::Events,
            PaneId::Describe => PaneName::Describe,
            PaneId::Forwards => PaneName::Forwards,
        },
    }
}

fn modal_name(modal: Option<&Modal>) -> ModalName {
    match modal {
        None => ModalName::None,
        Some(Modal::Help { .. }) => ModalName::Help,
        Some(Modal::Palette(_)) => ModalName::Palette,
        Some(Modal::Form(_)) => ModalName::Form,
        Some(Modal::Prompt(_)) => ModalName::Prompt,
        Some(Modal::Confirm(_) | Modal::Decide(_)) => ModalName::Confirm,
        Some(Modal::Tours { .. }) => ModalName::Tours,
        // Both are scrollable text: a tour step waits for either the same way.
        Some(Modal::Messages { .. } | Modal::Output(_)) => ModalName::Messages,
    }
}

/// The name of the selected row of the table shown.
fn selected_name(state: &State) -> Option<String> {
    match state.view() {
        View::Pane(PaneId::Catalog) => state.panes.catalog.selected().map(|e| e.name().to_owned()),
        View::Pane(PaneId::Apps) => state.panes.apps.selected().map(|r| r.name.clone()),
        View::Pane(PaneId::Alerts) => state
            .panes
            .alerts
            .selected()
            .map(|(a, _)| a.name().to_owned()),
        View::Pane(PaneId::Rollouts) => state.panes.rollouts.selected().map(|e| e.row.name.clone()),
        View::Pane(PaneId::Kafka) => {
            let kafka = &state.panes.kafka;
            let index = kafka.selected()?;
            let snapshot = kafka.snapshot.as_ref()?;
            match kafka.view {
                KafkaView::Topics => snapshot.topics.get(index).map(|t| t.name.clone()),
                KafkaView::Groups => snapshot.groups.get(index).map(|g| g.name.clone()),
                KafkaView::Brokers => None,
            }
        }
        _ => None,
    }
}
