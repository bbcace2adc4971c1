//! The service card: ownership, on-call, SLO and budget, runbook and links, repos, the
//! runtime mapping from annotations, and the navigable dependency tree.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::State;
use crate::app::panes::catalog::card::{CardState, TreeLine};
use crate::keymap::Action;
use crate::model::{Service, SloStatus};
use crate::theme::{Role, Theme};
use crate::ui::text::percent;

fn field(theme: &Theme, name: &str, value: Vec<Span<'static>>) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("{name:<10}"),
        theme.style(Role::Muted),
    )];
    spans.extend(value);
    Line::from(spans)
}

fn plain(theme: &Theme, text: impl Into<String>) -> Vec<Span<'static>> {
    vec![Span::styled(text.into(), theme.style(Role::Text))]
}

fn or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(", ")
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "the card's lines in display order, a few per section"
)]
fn info_lines(
    s: &Service,
    oncall: Option<&crate::app::oncall::OnCallAnswer>,
    metrics: crate::app::panes::catalog::MetricsView<'_>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    lines.push(field(theme, "Owner", {
        let mut v = plain(theme, s.owner.clone());
        v.push(Span::styled("   on call ", theme.style(Role::Muted)));
        v.push(Span::styled(
            oncall.map_or_else(|| "unknown".into(), |a| a.who.clone()),
            theme.style(Role::Accent),
        ));
        if let Some(answer) = oncall {
            let until = answer
                .until
                .map(|u| format!(" until {}", crate::ui::panes::oncall::clock(u)))
                .unwrap_or_default();
            v.push(Span::styled(
                format!(" ({}{until})", answer.source_label()),
                theme.style(Role::Muted),
            ));
        }
        v
    }));
    let slo = match &s.slo {
        Some(slo) => {
            let status = slo.status();
            let role = match status {
                SloStatus::Breached => Role::Error,
                SloStatus::AtRisk => Role::Warn,
                SloStatus::Healthy => Role::Ok,
                SloStatus::Unknown => Role::Muted,
            };
            let current = slo
                .current
                .map_or_else(|| "unknown".to_owned(), |c| format!("{c:.3}%"));
            vec![
                Span::styled(
                    format!(
                        "{} {}% / {}  now {current}  budget ",
                        slo.name, slo.target, slo.window
                    ),
                    theme.style(Role::Text),
                ),
                Span::styled(
                    format!(
                        "{} {} {}",
                        status.glyph(),
                        percent(slo.budget_left),
                        status.word()
                    ),
                    theme.style(role),
                ),
            ]
        }
        None => vec![Span::styled("no SLO defined", theme.style(Role::Muted))],
    };
    lines.push(field(theme, "SLO", slo));
    lines.extend(metric_lines(s, metrics, theme));
    lines.push(field(
        theme,
        "Runbook",
        vec![Span::styled(
            s.runbook
                .clone()
                .unwrap_or_else(|| "none (add a metadata.links entry titled Runbook)".into()),
            theme.style(Role::Accent),
        )],
    ));
    for link in s
        .links
        .iter()
        .filter(|l| Some(&l.url) != s.runbook.as_ref())
    {
        lines.push(field(
            theme,
            "Link",
            plain(theme, format!("{}  {}", link.title, link.url)),
        ));
    }
    lines.push(field(theme, "Repos", plain(theme, or_dash(&s.repos))));
    let m = &s.mapping;
    let workload = m.workload.as_ref().map_or_else(
        || "-".to_owned(),
        |w| {
            let kind = match w.kind {
                crate::model::service::WorkloadKind::Deployment => "deployment",
                crate::model::service::WorkloadKind::Rollout => "rollout",
            };
            format!(
                "{kind} {}/{}",
                w.namespace.as_deref().unwrap_or("-"),
                w.name
            )
        },
    );
    lines.push(field(
        theme,
        "Runtime",
        plain(
            theme,
            format!(
                "argo app {}  ·  {workload}",
                m.argocd_app.as_deref().unwrap_or("-")
            ),
        ),
    ));
    lines.push(field(
        theme,
        "Kafka",
        plain(
            theme,
            format!(
                "topics {}  ·  groups {}",
                or_dash(&m.topics),
                or_dash(&m.consumer_groups)
            ),
        ),
    ));
    lines.push(field(
        theme,
        "Databases",
        plain(theme, or_dash(&m.databases)),
    ));
    lines.push(field(
        theme,
        "Logs",
        plain(theme, m.log_selector.clone().unwrap_or_else(|| "-".into())),
    ));
    lines.push(field(
        theme,
        "Traces",
        plain(theme, m.trace_service.clone().unwrap_or_else(|| "-".into())),
    ));
    if !s.description.is_empty() {
        // One line per description line: the box wraps, newlines must not glue words.
        for (i, line) in s
            .description
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
        {
            let label = if i == 0 { "About" } else { "" };
            lines.push(field(theme, label, plain(theme, line.trim().to_owned())));
        }
    }
    lines
}

/// The measured lines: SLO figures and burn state, RED, and the pods' restarts, CPU and
/// memory; or why there are none.
fn metric_lines(
    s: &Service,
    metrics: crate::app::panes::catalog::MetricsView<'_>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    use crate::app::panes::catalog::MetricsView;
    use crate::model::metrics::{BurnState, MetricKind, burn_line, slo_line};
    let m = match metrics {
        MetricsView::Known(m) => m,
        MetricsView::Off => {
            return vec![field(
                theme,
                "Metrics",
                vec![Span::styled(
                    "no metrics source in this context (configure prometheus)",
                    theme.style(Role::Muted),
                )],
            )];
        }
        MetricsView::Waiting => {
            return vec![field(
                theme,
                "Metrics",
                vec![Span::styled(
                    "waiting for the metrics source…",
                    theme.style(Role::Muted),
                )],
            )];
        }
        MetricsView::NoData => {
            return vec![field(
                theme,
                "Metrics",
                vec![Span::styled(
                    format!("no series for `{}` on the metrics server", s.name),
                    theme.style(Role::Muted),
                )],
            )];
        }
    };
    let role = match m.slo.state {
        BurnState::Fast => Role::Error,
        BurnState::Slow => Role::Warn,
        BurnState::Ok => Role::Ok,
        BurnState::Unknown => Role::Muted,
    };
    let show = |k: MetricKind| format!("{} {}", k.title(), m.latest(k).show(k));
    let mut lines = vec![
        field(
            theme,
            "Measured",
            vec![Span::styled(slo_line(&m.slo), theme.style(role))],
        ),
        field(theme, "Burn", plain(theme, burn_line(&m.slo))),
        field(
            theme,
            "RED",
            plain(
                theme,
                [
                    MetricKind::RequestRate,
                    MetricKind::ErrorRatio,
                    MetricKind::LatencyP50,
                    MetricKind::LatencyP95,
                    MetricKind::LatencyP99,
                ]
                .map(show)
                .join("  ·  "),
            ),
        ),
        field(
            theme,
            "Pods",
            plain(
                theme,
                [MetricKind::Restarts, MetricKind::Cpu, MetricKind::Memory]
                    .map(show)
                    .join("  ·  "),
            ),
        ),
    ];
    for kind in MetricKind::ALL {
        if let crate::model::metrics::Reading::Error(e) = m.latest(kind) {
            lines.push(field(
                theme,
                "",
                vec![Span::styled(
                    format!("✗ {}: {e}", kind.key()),
                    theme.style(Role::Error),
                )],
            ));
        }
    }
    for e in &s.mapping.annotation_errors {
        lines.push(field(
            theme,
            "",
            vec![Span::styled(format!("✗ {e}"), theme.style(Role::Error))],
        ));
    }
    lines
}

fn tree_line(line: &TreeLine, selected: bool, theme: &Theme) -> Line<'static> {
    let mut guide = String::new();
    for &last in &line.ancestors_last {
        guide.push_str(if last { "   " } else { "│  " });
    }
    if line.depth > 0 {
        guide.push_str(if line.last { "└─ " } else { "├─ " });
    }
    let marker = if line.expandable {
        if line.expanded { "▾ " } else { "▸ " }
    } else {
        "  "
    };
    let mut label_style = if line.service.is_none() {
        theme.style(Role::Title)
    } else {
        theme.style(Role::Text)
    };
    if selected {
        label_style = theme.style(Role::Selection);
    }
    let mut spans = vec![
        Span::styled(
            if selected { "▶" } else { " " }.to_owned(),
            theme.style(Role::Accent),
        ),
        Span::styled(guide, theme.style(Role::Border)),
        Span::styled(marker.to_owned(), theme.style(Role::Accent)),
        Span::styled(line.label.clone(), label_style),
    ];
    if line.cycle {
        spans.push(Span::styled(" ↻ cycle", theme.style(Role::Warn)));
    }
    if line.unknown {
        spans.push(Span::styled(" ? not in catalog", theme.style(Role::Warn)));
    }
    Line::from(spans)
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, card: &CardState) {
    let theme = &state.ui.theme;
    let Some(service) = state.panes.catalog.catalog.service(&card.service) else {
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" {} ", card.service));
        let text = if state.panes.catalog.loaded {
            "this service is not in the catalog (any more)".to_owned()
        } else {
            super::why_unavailable(
                state,
                crate::model::source::SourceId::Catalog,
                super::setup::Needs::Catalog,
                "waiting for the catalog source…",
            )
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.style(Role::Muted)))
                .block(block)
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    };
    let oncall = state.panes.catalog.on_call(service, state.now);
    let metrics = state.panes.catalog.metrics_of(
        &service.name,
        state.health.get(&crate::model::source::SourceId::Metrics),
    );
    let info = info_lines(service, oncall.as_ref(), metrics, theme);
    // Rows the info takes once wrapped, so no field is silently cut off.
    let inner = usize::from(area.width.saturating_sub(2)).max(1);
    let rows: usize = info.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let info_height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    let [top, bottom] = Layout::vertical([
        Constraint::Length(info_height.min(area.height.saturating_sub(6))),
        Constraint::Min(3),
    ])
    .areas(area);
    let title = vec![
        Span::styled(format!(" {} ", service.name), theme.style(Role::Title)),
        Span::styled(
            format!(
                "{} · {} · {} ",
                service.owner,
                service.tier.label(),
                service.lifecycle
            ),
            theme.style(Role::Muted),
        ),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Line::from(title));
    frame.render_widget(
        Paragraph::new(info).block(block).wrap(Wrap { trim: false }),
        top,
    );

    let lines = card.lines(&state.panes.catalog.catalog);
    let page = usize::from(bottom.height.saturating_sub(2)).max(1);
    let offset = card.selected.saturating_sub(page - 1);
    let rendered: Vec<Line<'static>> = lines
        .iter()
        .enumerate()
        .skip(offset)
        .take(page)
        .map(|(i, l)| tree_line(l, i == card.selected, theme))
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(" dependencies ", theme.style(Role::Title)))
        .title_bottom(Line::from(Span::styled(
            crate::ui::text::key_hints(
                &state.ui.keymap,
                state.view().key_contexts(),
                &[
                    (Action::Select, "open"),
                    (Action::Expand, "expand"),
                    (Action::Collapse, "collapse"),
                    (Action::Scope, "scope"),
                    (Action::Back, "back"),
                ],
            ),
            theme.style(Role::Muted),
        )));
    frame.render_widget(Paragraph::new(rendered).block(block), bottom);
}
