//! The Argo CD pane (`:apps`): one row per Application with sync and health as glyph and
//! word, the operation, target and synced revision, last sync, auto-sync and conditions;
//! the apps most in need of attention first. The selected app's health or condition message
//! shows below the list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::Cell;

use crate::app::State;
use crate::model::k8s::{AppRow, StatusIcon, StatusLabel};
use crate::theme::{Role, Theme};
use crate::ui::widgets::data_table::{self, TableView};

/// The theme role of a status icon, shared by the list and the detail.
pub(super) fn role(label: &StatusLabel) -> Role {
    match label.icon {
        StatusIcon::Ok => Role::Ok,
        StatusIcon::Bad => Role::Error,
        StatusIcon::Warning | StatusIcon::Waiting | StatusIcon::Unknown => Role::Warn,
        StatusIcon::Progressing | StatusIcon::Paused => Role::Accent,
        StatusIcon::Neutral => Role::Text,
    }
}

fn status_cell(label: &StatusLabel, theme: &Theme) -> Cell<'static> {
    let style = theme.style(role(label));
    Cell::from(Span::styled(label.to_string(), style))
}

/// Minutes, hours or days since `at`, from the state's clock (render reads no clock).
pub(super) fn since(state: &State, at: Option<jiff::Timestamp>) -> String {
    let Some(at) = at else {
        return "-".into();
    };
    let secs = state.now.duration_since(at).as_secs().max(0);
    match secs {
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

/// Below 120 columns the project, operation and auto-sync flags give way to the app name.
fn cells(r: &AppRow, state: &State, wide: bool) -> Vec<Cell<'static>> {
    let theme = &state.ui.theme;
    let conditions = if r.conditions > 0 {
        Cell::from(Span::styled(
            format!("⚠ {}", r.conditions),
            theme.style(Role::Warn),
        ))
    } else {
        Cell::from("0")
    };
    let revision = Cell::from(format!("{} → {}", r.target_revision, r.synced_revision));
    let synced = Cell::from(since(state, r.last_sync));
    if !wide {
        let auto = if r.auto_sync.enabled {
            "auto"
        } else {
            "manual"
        };
        return vec![
            Cell::from(r.name.clone()),
            status_cell(&r.sync.label(), theme),
            status_cell(&r.health.label(), theme),
            revision,
            synced,
            Cell::from(auto),
            conditions,
        ];
    }
    let operation = r
        .operation
        .map_or_else(|| Cell::from("-"), |op| status_cell(&op.label(), theme));
    vec![
        Cell::from(r.name.clone()),
        Cell::from(r.project.clone()),
        status_cell(&r.sync.label(), theme),
        status_cell(&r.health.label(), theme),
        operation,
        revision,
        synced,
        Cell::from(r.auto_sync.text()),
        conditions,
    ]
}

/// Why the selected app needs attention, in words.
fn message(r: &AppRow) -> String {
    [&r.health_message, &r.operation_message]
        .into_iter()
        .find(|m| !m.is_empty())
        .cloned()
        .unwrap_or_else(|| format!("{} · {}", r.sync.label(), r.health.label()))
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.apps;
    if state.context.no_argocd {
        let text = super::setup::what_to_add(super::setup::Needs::ArgoCd, &state.context.name);
        super::notice(frame, area, theme, "Argo CD", &text);
        return;
    }
    if !pane.loaded {
        super::unavailable(
            frame,
            area,
            state,
            crate::model::source::SourceId::Kube,
            "Argo CD",
            super::setup::Needs::ArgoCd,
            "connecting…",
        );
        return;
    }
    if let Some(view) = &pane.diff {
        super::app_diff::render(frame, area, state, view);
        return;
    }
    let wide = area.width >= 120;
    let columns: Vec<(&str, Constraint)> = if wide {
        vec![
            ("APP", Constraint::Fill(2)),
            ("PROJECT", Constraint::Fill(1)),
            ("SYNC", Constraint::Length(11)),
            ("HEALTH", Constraint::Length(14)),
            ("OPERATION", Constraint::Length(11)),
            ("REVISION", Constraint::Length(14)),
            ("SYNCED", Constraint::Length(7)),
            ("AUTO-SYNC", Constraint::Length(23)),
            ("COND", Constraint::Length(4)),
        ]
    } else {
        vec![
            ("APP", Constraint::Fill(1)),
            ("SYNC", Constraint::Length(11)),
            ("HEALTH", Constraint::Length(14)),
            ("REVISION", Constraint::Length(13)),
            ("SYNCED", Constraint::Length(7)),
            ("AUTO", Constraint::Length(6)),
            ("COND", Constraint::Length(4)),
        ]
    };
    let attention = pane
        .rows
        .iter()
        .filter(|r| r.attention < crate::model::k8s::app_row::Attention::Busy)
        .count();
    // With no rows the error is the table's body, in full; on the title line it is cut.
    let note =
        super::kind_error_note(pane.health.as_ref(), theme).filter(|_| !pane.rows.is_empty());
    let empty = super::empty_or_error(pane.health.as_ref(), "no applications");
    let view = TableView {
        title: format!(
            " Argo CD · {} apps · {attention} need attention ",
            pane.rows.len()
        ),
        columns: &columns,
        empty: &empty,
        note,
        footer: None,
        sort_keys: &crate::app::panes::apps::SORT_KEYS,
    };
    let open = pane.detail_app();
    let [list, detail] = super::list_and_detail(area, open.is_some(), 60);
    data_table::render(frame, list, theme, &pane.table, &view, |i| {
        cells(&pane.rows[i], state, wide)
    });
    if detail.height == 0 {
        return;
    }
    if let Some((app, row)) = open {
        super::app_detail::render(frame, detail, state, app, row);
    } else if let Some(r) = pane.selected() {
        super::selected_summary(
            frame,
            detail,
            theme,
            format!(" {} · enter opens ", r.name),
            message(r),
        );
    }
}
