//! The incident view's "what changed" panel: the error curve of the last 30 minutes with,
//! on the same time axis under it, a mark per change (`D` deploy, `F` failed sync, `R`
//! rollout, `A` audited action, `W` Warning event, `!` alert), then the newest changes in
//! words.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::app::State;
use crate::app::panes::incident::facts::Severity;
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

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, service: &Service, curve: &[u64]) {
    let theme = &state.ui.theme;
    let list = service_changes(state, service);
    let worst = if list.iter().any(|c| {
        matches!(
            c.kind,
            crate::model::timeline::ChangeKind::SyncFailed
                | crate::model::timeline::ChangeKind::Alert
        )
    }) {
        Severity::Warn
    } else {
        Severity::Info
    };
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
            format!("no changes in the last {RATE_WINDOW_MINUTES} min"),
            theme.style(Role::Muted),
        ))]
    } else {
        list.iter()
            .rev()
            .take(usize::from(rows_left))
            .map(|c| {
                let (mark, _) = c.kind.mark();
                let at =
                    c.at.to_zoned(jiff::tz::TimeZone::UTC)
                        .strftime("%H:%M")
                        .to_string();
                Line::from(Span::styled(
                    crate::ui::text::fit(&format!("{at} {mark} {}", c.text), width),
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
