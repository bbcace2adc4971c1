//! The attention view: one row per service and context with something wrong now, worst
//! first; each context's freshness on the line above (a failing one with its error in
//! full); the selected row's signals in full below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Wrap};

use crate::app::State;
use crate::app::panes::attention::{Freshness, SORT_KEYS};
use crate::keymap::Action;
use crate::model::attention::{Level, Row};
use crate::model::text::short_age;
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

fn level_role(level: Level) -> Role {
    match level {
        Level::Critical => Role::Error,
        Level::Warning => Role::Warn,
    }
}

fn since(row: &Row, now: jiff::Timestamp) -> String {
    row.since.map_or_else(
        || "-".to_owned(),
        |t| short_age(now.duration_since(t).as_secs()),
    )
}

/// The contexts line: each context with a glyph and its age or error.
fn contexts_line(state: &State, theme: &Theme) -> (Line<'static>, Vec<String>) {
    let pane = &state.panes.attention;
    let mut spans = vec![Span::styled("contexts ", theme.style(Role::Muted))];
    let mut failing = Vec::new();
    for (name, part) in pane.contexts() {
        let label = crate::model::text::context_label(name, part.production);
        let (text, role) = match &part.freshness {
            _ if part.active => (format!("● {label} (here)"), Role::Accent),
            Freshness::Waiting => (format!("… {label} connecting"), Role::Muted),
            Freshness::Fresh(at) => (
                format!(
                    "✔ {label} {}",
                    short_age(state.now.duration_since(*at).as_secs())
                ),
                Role::Ok,
            ),
            Freshness::Failing { message, last_good } => {
                let age = last_good.map_or_else(
                    || "no data yet".to_owned(),
                    |t| {
                        format!(
                            "data {} old",
                            short_age(state.now.duration_since(t).as_secs())
                        )
                    },
                );
                failing.push(format!("✗ {label}: {message} ({age})"));
                (format!("✗ {label} {age}"), Role::Error)
            }
        };
        spans.push(Span::styled(text, theme.style(role)));
        spans.push(Span::raw("  "));
    }
    (Line::from(spans), failing)
}

/// The selected row in full: owner, on call, every signal.
fn detail(row: &Row, now: jiff::Timestamp) -> String {
    let signals: Vec<String> = row
        .signals
        .iter()
        .map(|s| {
            let age = s
                .since
                .map(|t| format!(" (since {})", short_age(now.duration_since(t).as_secs())))
                .unwrap_or_default();
            format!("{} {}{age}", s.level.label().0, s.text)
        })
        .collect();
    format!(
        "{} in {} · owner {} · on call {} · {}",
        row.service,
        crate::model::text::context_label(&row.context, row.production),
        if row.owner.is_empty() {
            "unknown"
        } else {
            &row.owner
        },
        row.oncall.as_deref().unwrap_or("unknown"),
        signals.join(" · ")
    )
}

#[expect(
    clippy::too_many_lines,
    reason = "the contexts line, the errors, the table in two widths and the detail share one layout"
)]
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.attention;
    let (contexts, failing) = contexts_line(state, theme);
    let error_rows = u16::try_from(failing.len().min(3)).unwrap_or(3);
    let [top, errors, rest] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(if area.height >= 16 { error_rows } else { 0 }),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(contexts), top);
    if errors.height > 0 {
        let lines: Vec<Line<'static>> = failing
            .into_iter()
            .map(|f| Line::from(Span::styled(f, theme.style(Role::Error))))
            .collect();
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), errors);
    }
    let [table_area, detail_area] = super::list_and_detail(rest, false, 30);
    let wide = area.width >= 110;
    let columns: Vec<(&str, Constraint)> = if wide {
        vec![
            ("SEV", Constraint::Length(10)),
            ("CONTEXT", Constraint::Length(14)),
            ("SERVICE", Constraint::Length(20)),
            ("OWNER", Constraint::Length(12)),
            ("ON CALL", Constraint::Length(14)),
            ("SIGNALS", Constraint::Fill(1)),
            ("SINCE", Constraint::Length(6)),
        ]
    } else {
        vec![
            ("SEV", Constraint::Length(6)),
            ("CONTEXT", Constraint::Length(10)),
            ("SERVICE", Constraint::Length(16)),
            ("ON CALL", Constraint::Length(10)),
            ("SIGNALS", Constraint::Fill(1)),
            ("SINCE", Constraint::Length(5)),
        ]
    };
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::Select, "incident"),
            (Action::SilenceAlert, "silence"),
            (Action::PaneAlerts, "alerts"),
        ],
    );
    let contexts = pane.context_count();
    let empty = if contexts == 0 {
        "waiting for the sources…".to_owned()
    } else {
        format!(
            "✔ nothing is on fire in {contexts} context{}",
            if contexts == 1 { "" } else { "s" }
        )
    };
    // One row per service and context.
    let view = TableView {
        title: format!(" On fire: {} services ", pane.rows.len()),
        columns: &columns,
        empty: &empty,
        note: None,
        sort_keys: &SORT_KEYS,
        footer: Some(Line::from(Span::styled(hints, theme.style(Role::Muted)))),
    };
    data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
        let row = &pane.rows[i];
        let (glyph, word) = row.level.label();
        let sev = if wide {
            format!("{glyph} {word}")
        } else {
            format!("{glyph} {}", &word[..4])
        };
        let signals = row
            .signals
            .iter()
            .map(|s| format!("{} {}", s.level.label().0, s.text))
            .collect::<Vec<_>>()
            .join(" · ");
        let mut cells = vec![
            Cell::from(Span::styled(sev, theme.style(level_role(row.level)))),
            Cell::from(Span::styled(
                crate::model::text::context_label(&row.context, row.production),
                theme.style(if row.production {
                    Role::Error
                } else {
                    Role::Text
                }),
            )),
            Cell::from(row.service.clone()),
        ];
        if wide {
            cells.push(Cell::from(row.owner.clone()));
        }
        cells.extend([
            Cell::from(row.oncall.clone().unwrap_or_else(|| "-".into())),
            Cell::from(signals),
            Cell::from(since(row, state.now)),
        ]);
        cells
    });
    if detail_area.height > 0
        && let Some(row) = pane.selected()
    {
        super::selected_summary(
            frame,
            detail_area,
            theme,
            " enter: its incident view ".to_owned(),
            detail(row, state.now),
        );
    }
}
