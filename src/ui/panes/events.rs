//! The events view: Warning events grouped by object, newest first, with count, reasons
//! and the newest message; the selected group's message in full underneath.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::app::State;
use crate::app::panes::events::SORT_KEYS;
use crate::keymap::Action;
use crate::model::text::short_age;
use crate::theme::Role;
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.events;
    if !pane.loaded {
        super::unavailable(
            frame,
            area,
            state,
            crate::model::source::SourceId::Kube,
            "Warning events",
            super::setup::Needs::Kubernetes,
            "connecting…",
        );
        return;
    }
    let wide = area.width >= 120;
    let mut columns: Vec<(&str, Constraint)> = vec![
        ("LAST", Constraint::Length(5)),
        ("COUNT", Constraint::Length(6)),
        ("OBJECT", Constraint::Fill(1)),
        ("REASONS", Constraint::Length(16)),
    ];
    if wide {
        columns.insert(3, ("NAMESPACE", Constraint::Length(12)));
        columns.push(("MESSAGE", Constraint::Fill(2)));
    }
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[(Action::Select, "describe"), (Action::Filter, "filter")],
    );
    let note =
        super::kind_error_note(pane.health.as_ref(), theme).filter(|_| !pane.groups.is_empty());
    let empty = super::empty_or_error(
        pane.health.as_ref(),
        "no Warning events in the watched namespaces",
    );
    let view = TableView {
        title: format!(" Warning events · {} objects ", pane.groups.len()),
        columns: &columns,
        empty: &empty,
        note,
        footer: Some(Line::from(Span::styled(hints, theme.style(Role::Muted)))),
        sort_keys: &SORT_KEYS,
    };
    let [table_area, detail_area] = super::list_and_detail(area, false, 40);
    data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
        let g = &pane.groups[i];
        let last = g.last_seen.map_or_else(
            || "-".into(),
            |t| short_age(state.now.duration_since(t).as_secs()),
        );
        let mut cells = vec![
            Cell::from(last),
            Cell::from(g.count.to_string()),
            Cell::from(format!("{}/{}", g.kind.to_lowercase(), g.name)),
            Cell::from(Span::styled(
                format!("⚠ {}", g.reasons.join(",")),
                theme.style(Role::Warn),
            )),
        ];
        if wide {
            cells.insert(3, Cell::from(g.namespace.clone()));
            cells.push(Cell::from(g.message.clone()));
        }
        cells
    });
    if detail_area.height > 0
        && let Some(g) = pane.selected()
    {
        super::selected_summary(
            frame,
            detail_area,
            theme,
            format!(
                " {}/{} · {} · {} events ",
                g.kind.to_lowercase(),
                g.name,
                g.namespace,
                g.events
            ),
            g.message.clone(),
        );
    }
}
