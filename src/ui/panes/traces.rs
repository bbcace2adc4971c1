//! The traces pane (`:traces`): the trace list for the service in scope (start, root
//! service and span, duration, span count, error as glyph and word), filtered by errors only
//! and a minimum duration; enter opens the waterfall, with the selected span's attributes,
//! events and status below when asked.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Wrap};

use crate::app::State;
use crate::keymap::Action;
use crate::model::traces::TraceSummary;
use crate::model::traces::layout::format_duration;
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};
use crate::ui::widgets::waterfall::{self, WaterfallView};

fn cells(r: &TraceSummary, state: &State, wide: bool) -> Vec<Cell<'static>> {
    let theme = &state.ui.theme;
    let error = if r.error {
        Cell::from(Span::styled("✖ error", theme.style(Role::Error)))
    } else {
        Cell::from(Span::styled("✔ ok", theme.style(Role::Ok)))
    };
    let start = Cell::from(r.start.strftime("%H:%M:%S").to_string());
    let service = Cell::from(Span::styled(
        r.root_service.clone(),
        theme.style(Theme::series(&r.root_service)),
    ));
    let duration = Cell::from(format_duration(r.duration_ns));
    if !wide {
        return vec![
            start,
            service,
            Cell::from(r.root_name.clone()),
            duration,
            error,
        ];
    }
    vec![
        start,
        service,
        Cell::from(r.root_name.clone()),
        duration,
        Cell::from(r.span_count.to_string()),
        error,
        Cell::from(Span::styled(r.trace_id.clone(), theme.style(Role::Muted))),
    ]
}

fn filters(state: &State) -> String {
    let t = &state.panes.traces;
    let nanos = |d: std::time::Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    let mut parts = Vec::new();
    if let Some(q) = &t.traceql {
        // The whole query is in the search prompt and the error panel; the title cuts it.
        parts.push(crate::ui::text::fit(q, 36));
    }
    if let Some(w) = t.window {
        parts.push(w.label());
    }
    parts.push(t.service.clone().unwrap_or_else(|| "all services".into()));
    if let Some(op) = &t.operation {
        parts.push(crate::ui::text::fit(op, 24));
    }
    for (k, v) in &t.tags {
        parts.push(crate::ui::text::fit(&format!("{k}={v}"), 24));
    }
    if t.errors_only {
        parts.push("errors only".into());
    }
    if let Some(edge) = &t.edge_filter {
        parts.push(format!("with {}", edge.label()));
    }
    if let Some(d) = t.min_duration {
        parts.push(format!("≥ {}", format_duration(nanos(d))));
    }
    if let Some(d) = t.max_duration {
        parts.push(format!("≤ {}", format_duration(nanos(d))));
    }
    parts.join(" · ")
}

#[expect(
    clippy::too_many_lines,
    reason = "renders the pane top to bottom; its parts share the layout and the selection"
)]
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.traces;
    if let Some(open) = &pane.open {
        let detail_height = if open.detail { area.height * 2 / 5 } else { 0 };
        let [top, bottom] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_height)]).areas(area);
        let view = WaterfallView {
            trace: &open.trace,
            tree: &open.tree,
            rows: &open.rows,
            selected: open.selected,
            offset: 0,
            critical: &open.critical,
            focused: true,
        };
        waterfall::render(frame, top, theme, &view);
        if detail_height > 0
            && let Some(span) = open.selected_span()
        {
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.style(Role::Border))
                .title(Span::styled(" span ", theme.style(Role::Title)))
                .title_bottom(
                    Line::from(Span::styled(
                        key_hints(
                            &state.ui.keymap,
                            state.view().key_contexts(),
                            &[
                                (Action::OpenLogs, "logs of this trace"),
                                (Action::Select, "close"),
                            ],
                        ),
                        theme.style(Role::Muted),
                    ))
                    .right_aligned(),
                );
            frame.render_widget(
                Paragraph::new(waterfall::span_detail_lines(span, theme))
                    .block(block)
                    .wrap(Wrap { trim: false }),
                bottom,
            );
        }
        return;
    }
    if let Some(id) = &pane.open_id {
        let text = match &pane.error {
            Some(e) => format!("✗ trace {id}: {e}"),
            None => format!("loading trace {id}…"),
        };
        super::notice(frame, area, theme, "Trace", &text);
        return;
    }
    if let Some(map) = &pane.map {
        super::trace_map::render(frame, area, state, map);
        return;
    }
    if pane.list.is_none() {
        super::unavailable(
            frame,
            area,
            state,
            crate::model::source::SourceId::Traces,
            "Traces",
            super::setup::Needs::Traces,
            "searching…",
        );
        if let Some(e) = &pane.search_error {
            crate::ui::widgets::query_error::render(frame, area, theme, "search refused", e);
        }
        return;
    }
    let wide = area.width >= 120;
    let columns: Vec<(&str, Constraint)> = if wide {
        vec![
            ("START", Constraint::Length(8)),
            ("SERVICE", Constraint::Length(22)),
            ("ROOT SPAN", Constraint::Fill(1)),
            ("DURATION", Constraint::Length(9)),
            ("SPANS", Constraint::Length(5)),
            ("STATUS", Constraint::Length(7)),
            ("TRACE ID", Constraint::Length(32)),
        ]
    } else {
        vec![
            ("START", Constraint::Length(8)),
            ("SERVICE", Constraint::Length(18)),
            ("ROOT SPAN", Constraint::Fill(1)),
            ("DURATION", Constraint::Length(9)),
            ("STATUS", Constraint::Length(7)),
        ]
    };
    let rows = pane.rows();
    let errors = rows.iter().filter(|r| r.error).count();
    let note = state
        .health
        .get(&crate::model::source::SourceId::Traces)
        .and_then(|h| match h {
            crate::model::SourceHealth::Error { message, .. } => Some(Line::from(Span::styled(
                format!(" ✗ {message} "),
                theme.style(Role::Error),
            ))),
            _ => None,
        });
    let footer = Line::from(Span::styled(
        key_hints(
            &state.ui.keymap,
            state.view().key_contexts(),
            &[
                (Action::Select, "waterfall"),
                (Action::ErrorsOnly, "errors only"),
                (Action::SearchTraces, "search"),
                (Action::TimeWindow, "window"),
                (Action::OpenLogs, "logs"),
                (Action::ServiceMap, "service map"),
            ],
        ),
        theme.style(Role::Muted),
    ));
    let view = TableView {
        title: format!(
            " Traces · {} · {} traces · {errors} with errors ",
            filters(state),
            rows.len()
        ),
        columns: &columns,
        empty: "no traces match",
        note,
        footer: Some(footer),
        sort_keys: &crate::app::panes::traces::SORT_KEYS,
    };
    data_table::render(frame, area, theme, &pane.table, &view, |i| {
        cells(&rows[i], state, wide)
    });
    if let Some(e) = &pane.search_error {
        crate::ui::widgets::query_error::render(frame, area, theme, "search refused", e);
    }
}
