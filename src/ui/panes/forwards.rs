//! The forwards view: the port-forwards running now, oldest first, each with its local
//! address, pod, namespace, pod port, when it started, its connections, bytes and last
//! error; the selected one in full underneath. Words, not colours, say the state
//! ("starting", "ok", "error: …"), so it reads under `NO_COLOR`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::app::State;
use crate::app::panes::forwards::{ForwardRow, SORT_KEYS};
use crate::keymap::Action;
use crate::model::k8s::forward::bytes_words;
use crate::model::text::short_age;
use crate::theme::Role;
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

/// "2m ago", or "starting" before it listens.
fn started(row: &ForwardRow, now: jiff::Timestamp) -> String {
    if row.local.is_none() {
        return "starting".into();
    }
    format!(
        "{} ago",
        short_age(now.duration_since(row.started).as_secs())
    )
}

/// The whole line about one forward, for the summary underneath; the last error first, so
/// a short terminal shows it whole.
fn summary(row: &ForwardRow) -> String {
    let line = format!(
        "{} → {}/{}:{} (context {}) · {}",
        row.local
            .as_deref()
            .unwrap_or("binding, waiting for the audit…"),
        row.namespace,
        row.pod,
        row.port,
        row.context,
        row.stats.words()
    );
    match &row.stats.last_error {
        Some(error) => format!("last error: {error} · {line}"),
        None => line,
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.forwards;
    let wide = area.width >= 120;
    let mut columns: Vec<(&str, Constraint)> = vec![
        ("LOCAL", Constraint::Length(16)),
        ("POD", Constraint::Fill(1)),
        ("PORT", Constraint::Length(5)),
        ("STARTED", Constraint::Length(9)),
        ("CONNS", Constraint::Length(11)),
        ("LAST ERROR", Constraint::Fill(1)),
    ];
    if wide {
        columns.insert(2, ("NAMESPACE", Constraint::Length(12)));
        columns.insert(6, ("OUT / IN", Constraint::Length(21)));
    }
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::StopForward, "stop"),
            (Action::PanePods, "pods"),
            (Action::Back, "back"),
        ],
    );
    let view = TableView {
        title: format!(" Port-forwards: {} on 127.0.0.1 ", pane.rows.len()),
        columns: &columns,
        empty: "no port-forward: F on a pod starts one",
        note: None,
        sort_keys: &SORT_KEYS,
        footer: Some(Line::from(Span::styled(hints, theme.style(Role::Muted)))),
    };
    let [table_area, detail_area] = super::list_and_detail(area, false, 40);
    data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
        let r = &pane.rows[i];
        let error = match &r.stats.last_error {
            Some(e) => Span::styled(format!("error: {e}"), theme.style(Role::Error)),
            None => Span::styled("-", theme.style(Role::Muted)),
        };
        let mut cells = vec![
            Cell::from(r.local.clone().unwrap_or_else(|| "…".into())),
            Cell::from(r.pod.clone()),
            Cell::from(r.port.to_string()),
            Cell::from(started(r, state.now)),
            Cell::from(format!("{} ({} open)", r.stats.connections, r.stats.active)),
            Cell::from(error),
        ];
        if wide {
            cells.insert(2, Cell::from(r.namespace.clone()));
            cells.insert(
                6,
                Cell::from(format!(
                    "{} / {}",
                    bytes_words(r.stats.bytes_out),
                    bytes_words(r.stats.bytes_in)
                )),
            );
        }
        cells
    });
    if detail_area.height > 0
        && let Some(r) = pane.selected()
    {
        super::selected_summary(
            frame,
            detail_area,
            theme,
            format!(" port-forward {}/{}:{} ", r.namespace, r.pod, r.port),
            summary(r),
        );
    }
}
