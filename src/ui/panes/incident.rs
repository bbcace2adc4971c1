//! The incident view: one service on one screen, in a grid of panels (service card, Argo CD,
//! rollout, databases, consumer lag, error logs with a sparkline, traces). Each panel shows
//! its most important facts first, as many as fit: 1–3 lines at 80×24, all at 120×40.
//!
//! The focused panel is marked four ways, so it reads without colour: a `▶` before its
//! title, a bold title in the selection role, a thick border and the focus border role.
//! Every fact starts with a severity glyph (`✖`, `▲`, `✔`) and says its state in words.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Sparkline};

use crate::app::State;
use crate::app::panes::incident::Panel;
use crate::app::panes::incident::facts::{self as facts, Fact, Severity};
use crate::app::panes::incident::signals;
use crate::keymap::Action;
use crate::model::Service;
use crate::theme::{Role, Theme};
use crate::ui::text::{fit, key_hints};

fn role(severity: Severity) -> Role {
    match severity {
        Severity::Quiet => Role::Muted,
        Severity::Info => Role::Text,
        Severity::Ok => Role::Ok,
        Severity::Warn => Role::Warn,
        Severity::Bad => Role::Error,
    }
}

/// One fact in at most `rows` lines: the glyph and the text in the severity's role,
/// word-wrapped to `width` (the last line ends with `…` when text is left over).
fn fact_lines(fact: &Fact, theme: &Theme, width: usize, rows: usize) -> Vec<Line<'static>> {
    let style = theme.style(role(fact.severity));
    crate::ui::text::wrap(&fact_text(fact), width, rows)
        .into_iter()
        .map(|line| Line::from(Span::styled(line, style)))
        .collect()
}

/// A panel's frame: title with its worst severity, focus marked without relying on colour.
pub(crate) fn panel_block(
    panel: Panel,
    worst: Severity,
    focused: bool,
    theme: &Theme,
) -> Block<'static> {
    let marker = if focused { "▶ " } else { "" };
    let title_style = if focused {
        theme.style(Role::Selection).add_modifier(Modifier::BOLD)
    } else {
        theme.style(Role::Title)
    };
    let mut title = vec![Span::styled(
        format!(" {marker}{} ", panel.title()),
        title_style,
    )];
    let badge = worst.glyph();
    if !badge.is_empty() {
        title.push(Span::styled(format!("{badge} "), theme.style(role(worst))));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::from(title));
    if focused {
        block
            .border_type(BorderType::Thick)
            .border_style(theme.style(Role::BorderFocus))
    } else {
        block.border_style(theme.style(Role::Border))
    }
}

/// A fact's text with its severity glyph in front.
fn fact_text(fact: &Fact) -> String {
    let glyph = fact.severity.glyph();
    if glyph.is_empty() {
        fact.text.clone()
    } else {
        format!("{glyph} {}", fact.text)
    }
}

/// Every fact gets a row; rows left over go to the facts that need them to be read whole,
/// first come first served, so a narrow panel wraps instead of cutting.
fn render_facts(frame: &mut Frame<'_>, area: Rect, theme: &Theme, facts: &[Fact]) {
    let width = usize::from(area.width);
    let height = usize::from(area.height);
    let shown = &facts[..facts.len().min(height)];
    let mut spare = height - shown.len();
    let mut lines: Vec<Line<'static>> = Vec::new();
    for fact in shown {
        let full = crate::ui::text::wrap(&fact_text(fact), width, usize::MAX);
        let extra = (full.len() - 1).min(spare);
        spare -= extra;
        lines.extend(fact_lines(fact, theme, width, 1 + extra));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

pub(crate) fn render_panel(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &State,
    panel: Panel,
    content: &[Fact],
    series: &[u64],
) {
    let theme = &state.ui.theme;
    let focused = state.panes.incident.focus == panel;
    let block = panel_block(panel, facts::worst(content), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if series.is_empty() || inner.height < 2 {
        render_facts(frame, inner, theme, content);
        return;
    }
    // The numbers first, then the per-minute bars under them.
    let [text, bars] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    render_facts(frame, text, theme, content);
    // Right-aligned, so the newest minute is always at the panel's right edge.
    let width = usize::from(bars.width);
    let shown = &series[series.len().saturating_sub(width)..];
    let used = u16::try_from(shown.len()).unwrap_or(bars.width);
    let bars = Rect {
        x: bars.x + bars.width.saturating_sub(used),
        width: used.min(bars.width),
        ..bars
    };
    let sparkline = Sparkline::default()
        .data(shown)
        .style(theme.style(Role::Error));
    frame.render_widget(sparkline, bars);
}

/// What the view says with no service to show.
fn instruction(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let text = match &state.scope {
        Some(name) if state.panes.catalog.loaded => {
            format!(
                "No service named `{name}` in the catalog. Use `:incident <service>` or `i` on a service."
            )
        }
        Some(_) => "Waiting for the catalog…".to_owned(),
        None => "No service chosen: `:incident <service>`, or `i` on a service in the catalog."
            .to_owned(),
    };
    super::notice(frame, area, &state.ui.theme, "Incident", &text);
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let Some(service) = state.scoped_service() else {
        instruction(frame, area, state);
        return;
    };
    let [heading, grid] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    render_heading(frame, heading, state, service);
    // Equal rows: at 80×24 each panel keeps two lines (a head fact and a detail, or a
    // number and its curve).
    let rows = Layout::vertical([Constraint::Fill(1); 5]).areas::<5>(grid);
    let halves = |r: Rect| {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas::<2>(r)
    };
    let [alerts, metrics] = halves(rows[0]);
    let [card, argo] = halves(rows[1]);
    let [rollout, database] = halves(rows[2]);
    let [lag, logs] = halves(rows[3]);
    let [changes, traces] = halves(rows[4]);
    let (log_facts, series) =
        signals::logs(&state.seen(), service, &state.panes.incident.error_rate);
    let (metric_facts, metric_series) = super::incident_metrics::facts(state, service);
    render_panel(
        frame,
        metrics,
        state,
        Panel::Metrics,
        &metric_facts,
        &metric_series,
    );
    // The curve under the changes: the error ratio when metrics have it, else error logs.
    let curve = if metric_series.is_empty() {
        &series
    } else {
        &metric_series
    };
    super::incident_changes::render(frame, changes, state, service, curve);
    let panels: [(Panel, Rect, Vec<Fact>); 7] = [
        (
            Panel::Alerts,
            alerts,
            signals::alerts(&state.seen(), service),
        ),
        (
            Panel::Card,
            card,
            facts::card(
                service,
                state.panes.catalog.on_call(service, state.now).as_ref(),
            ),
        ),
        (Panel::Argo, argo, facts::argo(&state.seen(), service)),
        (
            Panel::Rollout,
            rollout,
            facts::rollout(
                &state.seen(),
                service,
                state.panes.incident.workload.as_ref(),
            ),
        ),
        (
            Panel::Database,
            database,
            signals::databases(&state.seen(), service),
        ),
        (Panel::Lag, lag, signals::lag(&state.seen(), service)),
        (
            Panel::Traces,
            traces,
            signals::traces(&state.seen(), service),
        ),
    ];
    for (panel, rect, content) in &panels {
        render_panel(frame, *rect, state, *panel, content, &[]);
    }
    render_panel(frame, logs, state, Panel::Logs, &log_facts, &series);
}

/// The service's name and the keys of the view, above the grid.
fn render_heading(frame: &mut Frame<'_>, area: Rect, state: &State, service: &Service) {
    let theme = &state.ui.theme;
    let contexts = state.view().key_contexts();
    let hints = key_hints(
        &state.ui.keymap,
        contexts,
        &[
            (Action::NextPanel, "next panel"),
            (Action::Select, "open"),
            (Action::Back, "back"),
        ],
    );
    let name = format!(" Incident: {} ", service.name);
    let room = usize::from(area.width).saturating_sub(name.chars().count());
    let line = Line::from(vec![
        Span::styled(name, theme.style(Role::Title).add_modifier(Modifier::BOLD)),
        Span::styled(fit(&hints, room), theme.style(Role::KeyHint)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
