//! The alerts pane: alerts grouped by service (the service named on its group's first row),
//! severity and state as glyph and word, the summary, and how long it has fired; the
//! selected alert's annotations and labels below, in full with `enter`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Wrap};

use crate::app::State;
use crate::app::panes::alerts::{AlertsPane, SORT_KEYS, severity_label, started};
use crate::keymap::Action;
use crate::model::alerts::{Alert, AlertState, Severity};
use crate::model::source::SourceId;
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;
use crate::ui::widgets::data_table::{self, TableView};

fn severity_role(severity: Severity) -> Role {
    match severity {
        Severity::Critical | Severity::Error => Role::Error,
        Severity::Warning => Role::Warn,
        Severity::Info | Severity::Unknown => Role::Muted,
    }
}

fn state_role(alert: &Alert) -> Role {
    match alert.state {
        AlertState::Active | AlertState::Unprocessed => severity_role(alert.severity()),
        AlertState::Pending => Role::Warn,
        AlertState::Suppressed => Role::Muted,
    }
}

fn since(alert: &Alert, now: jiff::Timestamp) -> String {
    started(alert).map_or_else(
        || "-".to_owned(),
        |t| crate::model::text::short_age(now.duration_since(t).as_secs()),
    )
}

fn cells(pane: &AlertsPane, row: usize, first_of_group: bool, state: &State) -> Vec<Cell<'static>> {
    let theme = &state.ui.theme;
    let r = &pane.rows[row];
    let alert = &pane.alerts()[r.index];
    let (sev_glyph, sev_word) = severity_label(alert.severity());
    let (glyph, word) = AlertState::label(alert);
    let service = if first_of_group {
        r.service.clone().unwrap_or_else(|| "(no service)".into())
    } else {
        "  ″".to_owned()
    };
    vec![
        Cell::from(Span::styled(
            format!("{sev_glyph} {sev_word}"),
            theme.style(severity_role(alert.severity())),
        )),
        Cell::from(Span::styled(
            format!("{glyph} {word}"),
            theme.style(state_role(alert)),
        )),
        Cell::from(service),
        Cell::from(alert.name().to_owned()),
        Cell::from(
            alert
                .annotations
                .get("summary")
                .map(|s| s.lines().next().unwrap_or_default().to_owned())
                .unwrap_or_default(),
        ),
        Cell::from(since(alert, state.now)),
    ]
}

/// The selected alert: what it says (summary, description, runbook), its state and what
/// mutes it, and every label.
#[must_use]
pub fn detail(
    alert: &Alert,
    service: Option<&str>,
    now: jiff::Timestamp,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<12}"), theme.style(Role::Muted)),
            Span::styled(value, theme.style(Role::Text)),
        ])
    };
    let (glyph, word) = AlertState::label(alert);
    let mut lines = vec![field(
        "Alert",
        format!(
            "{} · {glyph} {word} · {} for {}",
            alert.name(),
            severity_label(alert.severity()).1,
            since(alert, now)
        ),
    )];
    lines.push(field(
        "Service",
        service.unwrap_or("(no service label)").to_owned(),
    ));
    for key in ["summary", "description", "runbook_url"] {
        if let Some(value) = alert.annotations.get(key) {
            let mut rows = value.lines();
            lines.push(field(key, rows.next().unwrap_or_default().to_owned()));
            lines.extend(rows.map(|r| field("", r.to_owned())));
        }
    }
    for (key, value) in &alert.annotations {
        if !["summary", "description", "runbook_url"].contains(&key.as_str()) {
            lines.push(field(key, value.replace('\n', " ")));
        }
    }
    if !alert.silenced_by.is_empty() {
        lines.push(field("Silenced by", alert.silenced_by.join(", ")));
    }
    if !alert.inhibited_by.is_empty() {
        lines.push(field("Inhibited by", alert.inhibited_by.join(", ")));
    }
    lines.push(field(
        "Labels",
        alert
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("  "),
    ));
    if !alert.receivers.is_empty() {
        lines.push(field("Receivers", alert.receivers.join(", ")));
    }
    if let Some(url) = &alert.generator_url {
        lines.push(field("Source", url.clone()));
    }
    lines
}

#[expect(
    clippy::too_many_lines,
    reason = "the title, the grouped table and the detail share the counts and the selection"
)]
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.alerts;
    if pane.snapshot.is_none() {
        super::unavailable(
            frame,
            area,
            state,
            SourceId::Alerts,
            "Alerts",
            super::setup::Needs::Alerts,
            "waiting for Alertmanager…",
        );
        return;
    }
    let [table_area, detail_area] = super::list_and_detail(area, pane.detail, 50);
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::Select, "labels"),
            (Action::SilenceAlert, "silence"),
            (Action::OpenIncident, "incident"),
            (Action::PaneSilences, "silences"),
        ],
    );
    let alerts = pane.alerts();
    let firing = alerts.iter().filter(|a| a.is_firing()).count();
    let muted = alerts
        .iter()
        .filter(|a| a.state == AlertState::Suppressed)
        .count();
    let pending = alerts
        .iter()
        .filter(|a| a.state == AlertState::Pending)
        .count();
    let mut note = String::new();
    if let Some(crate::model::SourceHealth::Error {
        message, last_good, ..
    }) = state.health.get(&SourceId::Alerts)
    {
        let age = last_good.map_or_else(
            || "no data yet".to_owned(),
            |t| {
                format!(
                    "data from {} ago",
                    crate::model::text::short_age(state.now.duration_since(t).as_secs())
                )
            },
        );
        note = format!(" ✗ {message} · {age} ");
    } else if let Some(notes) = pane.snapshot.as_ref().map(|s| &s.notes)
        && !notes.is_empty()
    {
        note = format!(" ▲ {} ", notes.join("; "));
    }
    let columns = [
        ("SEVERITY", Constraint::Length(10)),
        ("STATE", Constraint::Length(11)),
        ("SERVICE", Constraint::Length(18)),
        ("ALERT", Constraint::Length(22)),
        ("SUMMARY", Constraint::Fill(1)),
        ("SINCE", Constraint::Length(6)),
    ];
    let empty = if alerts.is_empty() {
        "✔ no alerts: Alertmanager holds none"
    } else {
        "no alert matches the filter"
    };
    let view = TableView {
        title: format!(" Alerts: {firing} firing · {pending} pending · {muted} muted "),
        columns: &columns,
        empty,
        note: (!note.is_empty()).then(|| Line::from(Span::styled(note, theme.style(Role::Error)))),
        sort_keys: &SORT_KEYS,
        footer: Some(Line::from(Span::styled(hints, theme.style(Role::Muted)))),
    };
    // The service is named once per group in the grouped order (worked out with the rows).
    data_table::render(frame, table_area, theme, &pane.table, &view, |i| {
        let first = pane.first_in_group.get(i).copied().unwrap_or(true);
        cells(pane, i, first, state)
    });
    if detail_area.height == 0 {
        return;
    }
    let Some((alert, service)) = pane.selected() else {
        return;
    };
    let lines = detail(alert, service, state.now, theme);
    if pane.detail {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::Border))
            .title(Span::styled(
                " alert · esc closes ",
                theme.style(Role::Title),
            ));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            detail_area,
        );
    } else {
        let text = alert
            .annotations
            .get("summary")
            .or_else(|| alert.annotations.get("description"))
            .cloned()
            .unwrap_or_else(|| alert.name().to_owned());
        super::selected_summary(
            frame,
            detail_area,
            theme,
            " alert · enter for labels ".to_owned(),
            text.replace('\n', " "),
        );
    }
}
