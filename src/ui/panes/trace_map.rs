//! The traces pane's service map (`M`): one row per link between two services, caller and
//! callee with the direction spelled out for the service in scope, calls, failed calls (count
//! and share, with a glyph, never colour alone) and how many traces hold the link.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::app::State;
use crate::app::panes::traces::map::{MAP_SORT_KEYS, MapView};
use crate::keymap::Action;
use crate::model::traces::service_map::Edge;
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

/// `→ calls` / `← called by` for the scope's service, blank for links it is not part of.
fn direction(edge: &Edge, scope: Option<&str>) -> &'static str {
    match scope {
        Some(s) if &*edge.caller == s => "→ calls",
        Some(s) if &*edge.callee == s => "← called by",
        _ => "",
    }
}

fn cells(edge: &Edge, scope: Option<&str>, theme: &Theme) -> Vec<Cell<'static>> {
    let errors = if edge.errors == 0 {
        Cell::from(Span::styled("✔ 0", theme.style(Role::Ok)))
    } else {
        Cell::from(Span::styled(
            format!("✖ {} ({:.0}%)", edge.errors, edge.error_percent()),
            theme.style(Role::Error),
        ))
    };
    let callee = if edge.uninstrumented {
        format!("{} (no spans)", edge.callee)
    } else {
        edge.callee.to_string()
    };
    vec![
        Cell::from(Span::styled(
            direction(edge, scope),
            theme.style(Role::Muted),
        )),
        Cell::from(Span::styled(
            edge.caller.to_string(),
            theme.style(Theme::series(&edge.caller)),
        )),
        Cell::from(Span::styled(
            callee,
            theme.style(Theme::series(&edge.callee)),
        )),
        Cell::from(edge.calls.to_string()),
        errors,
        Cell::from(edge.trace_ids.len().to_string()),
    ]
}

/// Draws the map (or why it is not there yet).
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, view: &MapView) {
    let theme = &state.ui.theme;
    if view.loading() {
        super::notice(
            frame,
            area,
            theme,
            "Service map",
            "loading the traces in the list…",
        );
        return;
    }
    if let Some(why) = &view.error {
        super::notice(
            frame,
            area,
            theme,
            "Service map",
            &format!("✗ no trace could be loaded: {why}"),
        );
        return;
    }
    let scope = state.panes.traces.service.as_deref();
    // The direction column only means something with a service in scope.
    let columns = [
        ("", Constraint::Length(if scope.is_some() { 11 } else { 0 })),
        ("CALLER", Constraint::Fill(1)),
        ("CALLEE", Constraint::Fill(1)),
        ("CALLS", Constraint::Length(6)),
        ("ERRORS", Constraint::Length(12)),
        ("TRACES", Constraint::Length(6)),
    ];
    let (traces, internal, built, failed) = view.answer.as_ref().map_or_else(
        || (0, 0, String::new(), None),
        |a| {
            (
                a.map.traces,
                a.map.internal_calls,
                a.built_at.strftime("%H:%M:%S").to_string(),
                (a.failed > 0).then(|| {
                    format!(
                        " ✗ {} trace(s) not loaded: {} ",
                        a.failed,
                        a.first_error.as_deref().unwrap_or("")
                    )
                }),
            )
        },
    );
    let footer = Line::from(Span::styled(
        key_hints(
            &state.ui.keymap,
            state.view().key_contexts(),
            &[
                (Action::Select, "traces of this link"),
                (Action::ServiceMap, "back to the list"),
            ],
        ),
        theme.style(Role::Muted),
    ));
    let edges = view.edges();
    let table = TableView {
        title: format!(
            " Service map · {} · {traces} traces at {built} · {} links · {internal} internal calls ",
            scope.unwrap_or("all services"),
            edges.len()
        ),
        columns: &columns,
        empty: "no calls between services in these traces",
        note: failed.map(|f| Line::from(Span::styled(f, theme.style(Role::Error)))),
        footer: Some(footer),
        sort_keys: &MAP_SORT_KEYS,
    };
    data_table::render(frame, area, theme, &view.table, &table, |i| {
        cells(&edges[i], scope, theme)
    });
}
