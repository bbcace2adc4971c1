//! The rollouts pane (`:rollouts`): Deployments and Argo Rollouts in one list with the
//! columns of `kubectl argo rollouts list` — strategy, status as glyph and word, step N/M, set
//! and actual weight, replicas (desired, updated, ready, available) — and the first reason a
//! workload is stuck (the "new instances don't start" alert) or its images. Stuck and degraded
//! workloads sort first. Enter opens the tree.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::Cell;

use super::apps::role;
use crate::app::State;
use crate::app::panes::rollouts::WorkloadEntry;
use crate::model::k8s::StatusLabel;
use crate::theme::{Role, Theme};
use crate::ui::widgets::data_table::{self, TableView};

fn status_cell(label: &StatusLabel, theme: &Theme) -> Cell<'static> {
    Cell::from(Span::styled(label.to_string(), theme.style(role(label))))
}

fn weight(e: &WorkloadEntry) -> String {
    match (e.row.set_weight, e.row.actual_weight) {
        (Some(set), Some(actual)) => format!("{set}/{actual}"),
        (Some(set), None) => format!("{set}/-"),
        _ => "-".into(),
    }
}

/// The stuck reason (a warning), else a field that could not be read, else the images.
fn reason_cell(e: &WorkloadEntry, theme: &Theme) -> Cell<'static> {
    let warning = e
        .stuck
        .first()
        .map(|s| &s.message)
        .or_else(|| e.row.notes.first());
    match warning {
        Some(message) => Cell::from(Span::styled(
            format!("⚠ {message}"),
            theme.style(Role::Warn),
        )),
        None => Cell::from(Span::styled(
            e.row
                .images
                .iter()
                .map(|i| i.rsplit('/').next().unwrap_or(i))
                .collect::<Vec<_>>()
                .join(", "),
            theme.style(Role::Muted),
        )),
    }
}

/// `Rollout/Canary`, `Deployment/Rolling`.
fn kind_text(e: &WorkloadEntry) -> String {
    let kind = e.row.kind.kind_name();
    let strategy = match e.row.strategy {
        crate::model::k8s::Strategy::RollingUpdate => "Rolling",
        other => other.as_str(),
    };
    format!("{kind}/{strategy}")
}

fn cells(e: &WorkloadEntry, state: &State, wide: bool) -> Vec<Cell<'static>> {
    let theme = &state.ui.theme;
    let r = &e.row;
    let replicas = format!("{}/{}/{}/{}", r.desired, r.updated, r.ready, r.available);
    if !wide {
        return vec![
            Cell::from(r.name.clone()),
            status_cell(&r.status, theme),
            Cell::from(r.step_text()),
            Cell::from(format!("{}/{}", r.ready, r.desired)),
            reason_cell(e, theme),
        ];
    }
    vec![
        Cell::from(r.name.clone()),
        Cell::from(r.namespace.clone()),
        Cell::from(kind_text(e)),
        status_cell(&r.status, theme),
        Cell::from(r.step_text()),
        Cell::from(weight(e)),
        Cell::from(replicas),
        reason_cell(e, theme),
    ]
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.rollouts;
    if !pane.loaded {
        super::unavailable(
            frame,
            area,
            state,
            crate::model::source::SourceId::Kube,
            "Rollouts",
            super::setup::Needs::Kubernetes,
            "connecting…",
        );
        return;
    }
    let wide = area.width >= 120;
    let columns: Vec<(&str, Constraint)> = if wide {
        vec![
            ("NAME", Constraint::Length(22)),
            ("NAMESPACE", Constraint::Length(11)),
            ("KIND/STRATEGY", Constraint::Length(18)),
            ("STATUS", Constraint::Length(14)),
            ("STEP", Constraint::Length(5)),
            ("WEIGHT", Constraint::Length(7)),
            ("D/U/R/A", Constraint::Length(9)),
            ("STUCK REASON · IMAGES", Constraint::Fill(1)),
        ]
    } else {
        vec![
            ("NAME", Constraint::Length(20)),
            ("STATUS", Constraint::Length(14)),
            ("STEP", Constraint::Length(4)),
            ("READY", Constraint::Length(5)),
            ("STUCK REASON · IMAGES", Constraint::Fill(1)),
        ]
    };
    let stuck = pane.entries.iter().filter(|e| e.attention() <= 1).count();
    // With no rows the error is the table's body, in full; on the title line it is cut.
    let note =
        super::kind_error_note(pane.health.as_ref(), theme).filter(|_| !pane.entries.is_empty());
    let empty = super::empty_or_error(
        pane.health.as_ref(),
        "no deployments or rollouts in the watched namespaces",
    );
    let view = TableView {
        title: format!(
            " Rollouts · {} workloads · {stuck} stuck or degraded ",
            pane.entries.len()
        ),
        columns: &columns,
        empty: &empty,
        note,
        footer: None,
        sort_keys: &crate::app::panes::rollouts::SORT_KEYS,
    };
    let open = pane
        .detail
        .as_ref()
        .and_then(|k| pane.entries.iter().find(|e| &e.key() == k));
    let [list, detail] = super::list_and_detail(area, open.is_some(), 65);
    data_table::render(frame, list, theme, &pane.table, &view, |i| {
        cells(&pane.entries[i], state, wide)
    });
    if detail.height == 0 {
        return;
    }
    if let Some(entry) = open {
        super::rollout_detail::render(frame, detail, state, entry);
    } else if let Some(e) = pane.selected() {
        let text = match e.stuck.first() {
            Some(s) => format!("⚠ {} ({})", s.message, s.object),
            None if !e.row.message.is_empty() => format!("{} · {}", e.row.status, e.row.message),
            None => e.row.status.to_string(),
        };
        super::selected_summary(
            frame,
            detail,
            theme,
            format!(" {} · enter opens the tree ", e.row.name),
            text,
        );
    }
}
