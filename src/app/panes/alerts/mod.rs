//! State of the alerts pane: every alert the context's Alertmanager holds (and Prometheus's
//! pending ones), mapped to catalog services by label, grouped by service with the worst
//! group first, and inside a group by severity then age. `enter` opens the selected alert's
//! labels and annotations; `S` silences it (see [`crate::app::modal::silence`]).

pub mod actions;

use crate::model::custom_command::Vars;
use std::collections::HashMap;
use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{RowKey, SortKey, TableState};
use crate::model::Catalog;
use crate::model::alerts::{Alert, AlertState, AlertsSnapshot, DEFAULT_SERVICE_LABELS, Severity};

/// Columns of the alerts table.
pub const COLUMNS: [&str; 6] = ["SEVERITY", "STATE", "SERVICE", "ALERT", "SUMMARY", "SINCE"];

/// The orders of the list: grouped by service (the default), then per column.
pub const SORT_KEYS: [SortKey; 7] = [
    SortKey::OWN,
    SortKey::on("SEVERITY"),
    SortKey::on("STATE"),
    SortKey::on("SERVICE"),
    SortKey::on("ALERT"),
    SortKey::on("SUMMARY"),
    SortKey::on("SINCE"),
];

/// One listed alert: its index in the snapshot and the service it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    pub index: usize,
    pub service: Option<String>,
}

/// The alerts pane.
#[derive(Debug, Clone)]
pub struct AlertsPane {
    pub snapshot: Option<Arc<AlertsSnapshot>>,
    /// Labels tried in order for an alert's service (the context's, else the default).
    pub service_labels: Vec<String>,
    pub rows: Vec<AlertRow>,
    haystacks: Vec<String>,
    pub table: TableState,
    /// The selected alert's labels and annotations are open.
    pub detail: bool,
    /// Per data row: it opens its service's group in the order shown (the view names the
    /// service there only); every row when the list is not grouped.
    pub first_in_group: Vec<bool>,
    /// The catalog the last mapping used (services and their alert-label annotations).
    catalog: Arc<Catalog>,
}

impl Default for AlertsPane {
    fn default() -> Self {
        Self {
            snapshot: None,
            service_labels: DEFAULT_SERVICE_LABELS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            rows: Vec::new(),
            haystacks: Vec::new(),
            table: TableState::default(),
            detail: false,
            first_in_group: Vec::new(),
            catalog: Arc::default(),
        }
    }
}

/// The service an alert belongs to: a catalog service whose `opsdeck.io/alert-labels`
/// matchers it satisfies, else the first of `labels` whose value is a catalog service
/// ([`crate::model::alert_service::service_for_alert`]), else the first of `labels` it
/// carries at all (see [`Alert::service`]): an alert about a service the catalog lacks is
/// still shown under that name.
#[must_use]
pub fn service_of(alert: &Alert, labels: &[String], catalog: &Catalog) -> Option<String> {
    crate::model::alert_service::service_for_alert(&alert.labels, labels, catalog)
        .or_else(|| alert.service(labels))
        .map(str::to_owned)
}

/// Glyph and short word of a severity (never colour alone).
#[must_use]
pub fn severity_label(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Critical => ("✖", "critical"),
        Severity::Error => ("✖", "error"),
        Severity::Warning => ("▲", "warning"),
        Severity::Info => ("·", "info"),
        Severity::Unknown => ("·", "none"),
    }
}

/// `2026-12-06T02:03:04.5Z` → seconds since the epoch, when it parses.
#[must_use]
pub fn started(alert: &Alert) -> Option<jiff::Timestamp> {
    alert.starts_at.parse().ok()
}

impl AlertsPane {
    pub fn set_snapshot(&mut self, snapshot: Arc<AlertsSnapshot>, catalog: Arc<Catalog>) {
        self.snapshot = Some(snapshot);
        self.catalog = catalog;
        self.refresh_view();
    }

    /// The catalog changed: services may map differently.
    pub fn set_catalog(&mut self, catalog: Arc<Catalog>) {
        self.catalog = catalog;
        if self.snapshot.is_some() {
            self.refresh_view();
        }
    }

    /// Every alert held now.
    #[must_use]
    pub fn alerts(&self) -> &[Alert] {
        self.snapshot.as_ref().map_or(&[], |s| s.alerts.as_slice())
    }

    /// The alert under the cursor, with its service.
    #[must_use]
    pub fn selected(&self) -> Option<(&Alert, Option<&str>)> {
        let row = self.rows.get(self.table.selected_row()?)?;
        let alert = self.snapshot.as_ref()?.alerts.get(row.index)?;
        Some((alert, row.service.as_deref()))
    }

    /// Marks the rows that open a service's group in the order shown.
    fn mark_groups(&mut self) {
        let grouped = self.table.sort.column == 0 && !self.table.filter.is_active();
        self.first_in_group = vec![!grouped; self.rows.len()];
        let mut previous: Option<&Option<String>> = None;
        for &i in &self.table.visible {
            let service = &self.rows[i].service;
            if previous != Some(service) {
                self.first_in_group[i] = true;
            }
            previous = Some(service);
        }
    }

    /// Every alert held for one service: the firing ones first (most severe first), then
    /// the muted and pending ones.
    #[must_use]
    pub fn firing_for(&self, service: &str) -> Vec<&Alert> {
        let mut out: Vec<&Alert> = self
            .rows
            .iter()
            .filter(|r| r.service.as_deref() == Some(service))
            .filter_map(|r| self.snapshot.as_ref()?.alerts.get(r.index))
            .collect();
        out.sort_by_key(|a| (a.state != AlertState::Active, a.severity()));
        out
    }
}

impl Pane for AlertsPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some((alert, service)) = self.selected() {
            if let Some(name) = alert.labels.get("alertname") {
                vars.set("alert", name.as_str());
            }
            if let Some(ns) = alert.labels.get("namespace") {
                vars.set("namespace", ns.as_str());
            }
            if let Some(pod) = alert.labels.get("pod") {
                vars.set("pod", pod.as_str());
            }
            if let Some(service) = service {
                vars.set("service", service);
            }
        }
    }

    /// `y`: the alert's fingerprint; `Y` its name, service, state and labels.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let (alert, service) = self.selected()?;
        let name = alert.name();
        Some(match kind {
            CopyKind::Key => Copied::new(
                format!("the fingerprint of alert {name}"),
                alert.fingerprint.clone(),
            ),
            CopyKind::Row => {
                let labels: Vec<String> = alert
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                Copied::row(
                    "alert",
                    name,
                    &[
                        alert.fingerprint.clone(),
                        name.to_owned(),
                        service.unwrap_or_default().to_owned(),
                        // The pane's word (firing, silenced, inhibited), not the API's.
                        crate::model::alerts::AlertState::label(alert).1.to_owned(),
                        alert.starts_at.clone(),
                        labels.join(","),
                    ],
                )
            }
        })
    }

    delegate_to_actions!(on_action);

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refresh_view(&mut self) {
        let Some(snapshot) = self.snapshot.clone() else {
            self.rows.clear();
            self.haystacks.clear();
            self.table.set_rows(Vec::new(), |_| RowKey::new());
            return;
        };
        self.rows = snapshot
            .alerts
            .iter()
            .enumerate()
            .map(|(index, alert)| AlertRow {
                index,
                service: service_of(alert, &self.service_labels, &self.catalog),
            })
            .collect();
        self.haystacks = self
            .rows
            .iter()
            .map(|r| {
                let a = &snapshot.alerts[r.index];
                let labels: Vec<String> =
                    a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "{} {} {} {} {}",
                    r.service.as_deref().unwrap_or("-"),
                    AlertState::label(a).1,
                    a.annotations.get("summary").map_or("", String::as_str),
                    labels.join(" "),
                    severity_label(a.severity()).1,
                )
                .to_lowercase()
            })
            .collect();
        // A group's rank: its worst severity, then its oldest start (the longest burning).
        let mut groups: HashMap<Option<&str>, (Severity, bool, &str)> = HashMap::new();
        for r in &self.rows {
            let a = &snapshot.alerts[r.index];
            let muted = !a.is_firing();
            let entry = groups.entry(r.service.as_deref()).or_insert((
                a.severity(),
                muted,
                a.starts_at.as_str(),
            ));
            *entry = (
                entry.0.min(a.severity()),
                entry.1 && muted,
                entry.2.min(a.starts_at.as_str()),
            );
        }
        let rows = &self.rows;
        let alerts = &snapshot.alerts;
        let column = self.table.sort.column;
        let order = |a: usize, b: usize| {
            let (ra, rb) = (&rows[a], &rows[b]);
            let (xa, xb) = (&alerts[ra.index], &alerts[rb.index]);
            let within = || {
                (!xa.is_firing())
                    .cmp(&!xb.is_firing())
                    .then(xa.severity().cmp(&xb.severity()))
                    .then_with(|| xb.starts_at.cmp(&xa.starts_at))
                    .then_with(|| xa.fingerprint.cmp(&xb.fingerprint))
            };
            match column {
                0 => {
                    let ga = groups[&ra.service.as_deref()];
                    let gb = groups[&rb.service.as_deref()];
                    // Groups where everything is muted go last; unmapped alerts after
                    // the services of the same rank.
                    ga.1.cmp(&gb.1)
                        .then(ga.0.cmp(&gb.0))
                        .then_with(|| ga.2.cmp(gb.2))
                        .then_with(|| ra.service.is_none().cmp(&rb.service.is_none()))
                        .then_with(|| ra.service.cmp(&rb.service))
                        .then_with(within)
                }
                1 => xa.severity().cmp(&xb.severity()).then_with(within),
                2 => AlertState::label(xa)
                    .1
                    .cmp(AlertState::label(xb).1)
                    .then_with(within),
                3 => ra.service.cmp(&rb.service).then_with(within),
                4 => xa.name().cmp(xb.name()).then_with(within),
                5 => xa
                    .annotations
                    .get("summary")
                    .cmp(&xb.annotations.get("summary"))
                    .then_with(within),
                // Newest first.
                _ => xb.starts_at.cmp(&xa.starts_at).then_with(within),
            }
        };
        self.table.rebuild(
            &self.haystacks,
            |i| alerts[rows[i].index].fingerprint.clone(),
            order,
        );
        self.mark_groups();
    }

    fn close(&mut self) -> bool {
        std::mem::take(&mut self.detail)
    }

    fn after_action(
        &mut self,
        ctx: &mut crate::app::ctx::Ctx<'_>,
        request: &crate::model::action::ActionRequest,
        succeeded: bool,
    ) -> Vec<crate::app::msg::Cmd> {
        use crate::model::action::ActionRequest;
        match request {
            ActionRequest::CreateSilence { .. } | ActionRequest::ExpireSilence { .. } => {
                if succeeded {
                    ctx.drop_draft(crate::app::modal::form::FormKind::Silence);
                }
                // What Alertmanager mutes now, at once rather than at the next poll.
                vec![crate::app::msg::Cmd::Refresh(vec![
                    crate::model::source::SourceId::Alerts,
                ])]
            }
            _ => Vec::new(),
        }
    }

    fn reset(&mut self) {
        let labels = std::mem::take(&mut self.service_labels);
        super::reset_keeping_page(self);
        self.service_labels = labels;
    }
}
