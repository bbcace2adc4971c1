//! The incident view's "what changed" panel: the error curve of the last 30 minutes with,
//! on the same time axis under it, a mark per change (`D` deploy, `F` failed sync, `R`
//! rollout, `A` audited action, `W` Warning event, `!` alert), then the newest changes in
//! words.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::app::State;
use crate::app::panes::incident::facts::{Fact, Severity};
use crate::app::panes::incident::{Panel, RATE_WINDOW_MINUTES};
use crate::model::Service;
use crate::model::timeline::{Change, Subject, axis, changes};
use crate::theme::Role;

/// The changes around the service in the window, oldest first.
#[must_use]
pub fn service_changes(state: &State, service: &Service) -> Vec<Change> {
    let window = jiff::SignedDuration::from_mins(i64::try_from(RATE_WINDOW_MINUTES).unwrap_or(30));
    let mapping = &service.mapping;
    let subject = Subject {
        service: &service.name,
        app: mapping.argocd_app.as_deref(),
        workload: mapping.workload.as_ref().map(|w| w.name.as_str()),
        namespace: mapping
            .workload
            .as_ref()
            .and_then(|w| w.namespace.as_deref())
            .or(mapping.kube_namespace.as_deref()),
        databases: &mapping.databases,
        groups: &mapping.consumer_groups,
        topics: &mapping.topics,
    };
    let kube = state.panes.rollouts.latest_snapshot();
    let audit = state
        .panes
        .audit
        .snapshot
        .as_ref()
        .map_or(&[][..], |s| s.events.as_slice());
    let alerts = state.panes.alerts.firing_for(&service.name);
    changes(
        &subject,
        &state.panes.apps.apps,
        kube.map_or(&[][..], |k| k.rollouts.as_slice()),
        kube.map_or(&[][..], |k| k.events.as_slice()),
        audit,
        &alerts,
        state.now - window,
        64,
    )
}

/// Resamples a per-minute series onto `width` columns of the same window.
fn stretch(series: &[u64], width: usize) -> Vec<u64> {
    if series.is_empty() || width == 0 {
        return Vec::new();
    }
    (0..width)
        .map(|c| series[(c * series.len() / width).min(series.len() - 1)])
        .collect()
}

/// One change as the panel words it, `HH:MM mark text`: a failed sync or an alert warns.
#[must_use]
pub fn change_fact(change: &Change) -> Fact {
    let at = change
        .at
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%H:%M");
    Fact {
        severity: match change.kind {
            crate::model::timeline::ChangeKind::SyncFailed
            | crate::model::timeline::ChangeKind::Alert => Severity::Warn,
            _ => Severity::Info,
        },
        text: format!("{at} {} {}", change.kind.mark().0, change.text),
    }
}

/// The panel's facts: the changes newest first, or a quiet line when there are none.
#[must_use]
pub fn change_facts(list: &[Change]) -> Vec<Fact> {
    if list.is_empty() {
        return vec![Fact {
            severity: Severity::Quiet,
            text: no_changes(),
        }];
    }
    list.iter().rev().map(change_fact).collect()
}

fn no_changes() -> String {
    format!("no changes in the last {RATE_WINDOW_MINUTES} min")
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, service: &Service, curve: &[u64]) {
    let theme = &state.ui.theme;
    let list = service_changes(state, service);
    let worst = list
        .iter()
        .map(|c| change_fact(c).severity)
        .max()
        .unwrap_or(Severity::Info);
    let focused = state.panes.incident.focus == Panel::Changes;
    let block = super::incident::panel_block(Panel::Changes, worst, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let width = usize::from(inner.width);
    let window = jiff::SignedDuration::from_mins(i64::try_from(RATE_WINDOW_MINUTES).unwrap_or(30));
    let mut y = inner.y;
    let mut rows_left = inner.height;
    if rows_left >= 2 && !curve.is_empty() {
        let data = stretch(curve, width);
        frame.render_widget(
            Sparkline::default()
                .data(&data)
                .style(theme.style(Role::Error)),
            Rect {
                y,
                height: 1,
                ..inner
            },
        );
        y += 1;
        rows_left -= 1;
    }
    let marks = axis(&list, state.now, window, width);
    frame.render_widget(
        Paragraph::new(Span::styled(marks, theme.style(Role::Accent))),
        Rect {
            y,
            height: 1,
            ..inner
        },
    );
    y += 1;
    rows_left -= 1;
    let lines: Vec<Line<'static>> = if list.is_empty() {
        vec![Line::from(Span::styled(
            no_changes(),
            theme.style(Role::Muted),
        ))]
    } else {
        list.iter()
            .rev()
            .take(usize::from(rows_left))
            .map(|c| {
                Line::from(Span::styled(
                    crate::ui::text::fit(&change_fact(c).text, width),
                    theme.style(Role::Text),
                ))
            })
            .collect()
    };
    if rows_left > 0 {
        frame.render_widget(
            Paragraph::new(lines),
            Rect {
                y,
                height: rows_left,
                ..inner
            },
        );
    }
}
