//! The service catalog table. Only the rows in the viewport are built, so 10,000 services
//! cost the same per frame as 40.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::app::State;
use crate::app::panes::catalog::CatalogColumn;
use crate::model::{CatalogEntry, Service, SloStatus};
use crate::theme::{Role, Theme};
use crate::ui::text::{highlighted, percent};
use crate::ui::widgets::data_table::{self, TableView};

/// From this width the SLO column has room for the budget and the burn state in full words.
const WIDE: u16 = 110;

/// Columns shown at a width, with their widths; narrower screens drop the least useful.
fn columns(width: u16) -> Vec<(CatalogColumn, Constraint)> {
    let mut cols = vec![
        (CatalogColumn::Name, Constraint::Fill(1)),
        (CatalogColumn::Owner, Constraint::Length(10)),
        (CatalogColumn::Tier, Constraint::Length(6)),
        (CatalogColumn::Lifecycle, Constraint::Length(12)),
        // `who · platform 12s`: room for the source on wide screens.
        (
            CatalogColumn::OnCall,
            Constraint::Length(if width >= WIDE { 28 } else { 18 }),
        ),
        (
            CatalogColumn::Slo,
            Constraint::Length(if width >= WIDE { 34 } else { 20 }),
        ),
    ];
    if width < 96 {
        cols.retain(|(c, _)| *c != CatalogColumn::Lifecycle);
    }
    if width < 70 {
        cols.retain(|(c, _)| *c != CatalogColumn::OnCall);
    }
    if width < 56 {
        cols.retain(|(c, _)| *c != CatalogColumn::Tier);
    }
    cols
}

fn slo_role(status: SloStatus) -> Role {
    match status {
        SloStatus::Breached => Role::Error,
        SloStatus::AtRisk => Role::Warn,
        SloStatus::Healthy => Role::Ok,
        SloStatus::Unknown => Role::Muted,
    }
}

fn service_cell(
    s: &Service,
    column: CatalogColumn,
    wide: bool,
    state: &State,
    theme: &Theme,
) -> Cell<'static> {
    let filter = &state.panes.catalog.table.filter;
    // Plain text takes the row's style (the selection bar); the table block sets `text`.
    let plain = ratatui::style::Style::default();
    let text_cell = |text: &str| {
        let spans = highlighted(
            text,
            &filter.highlights(text),
            plain,
            theme.style(Role::MatchHighlight),
        );
        Cell::from(Line::from(spans))
    };
    match column {
        CatalogColumn::Name => {
            let mut spans = highlighted(
                &s.name,
                &filter.highlights(&s.name),
                plain,
                theme.style(Role::MatchHighlight),
            );
            if state.scope.as_deref() == Some(&s.name) {
                spans.push(Span::styled(" ◆scope", theme.style(Role::Accent)));
            }
            Cell::from(Line::from(spans))
        }
        CatalogColumn::Owner => text_cell(&s.owner),
        CatalogColumn::Tier => text_cell(s.tier.label()),
        CatalogColumn::Lifecycle => text_cell(&s.lifecycle),
        CatalogColumn::OnCall => match state.panes.catalog.on_call(s, state.now) {
            Some(answer) => {
                let mut spans = highlighted(
                    &answer.who,
                    &filter.highlights(&answer.who),
                    plain,
                    theme.style(Role::MatchHighlight),
                );
                spans.push(Span::styled(
                    format!(" · {}", answer.source_label()),
                    theme.style(Role::Muted),
                ));
                Cell::from(Line::from(spans))
            }
            None => text_cell("-"),
        },
        CatalogColumn::Slo => {
            use crate::app::panes::catalog::MetricsView;
            use crate::model::metrics::BurnState;
            let health = state.health.get(&crate::model::source::SourceId::Metrics);
            let status = s.slo_status();
            let budget = s.slo.as_ref().and_then(|slo| slo.budget_left);
            let mut spans = vec![Span::styled(
                match budget {
                    Some(_) if wide => {
                        format!("{} {} {}", status.glyph(), status.word(), percent(budget))
                    }
                    _ => format!("{} {}", status.glyph(), status.word()),
                },
                theme.style(slo_role(status)),
            )];
            match state.panes.catalog.metrics_of(&s.name, health) {
                MetricsView::Known(m) => {
                    let burn = m.slo.state;
                    let role = match burn {
                        BurnState::Fast => Role::Error,
                        BurnState::Slow => Role::Warn,
                        BurnState::Ok => Role::Ok,
                        BurnState::Unknown => Role::Muted,
                    };
                    let word = match (burn, wide) {
                        (BurnState::Fast, false) => "fast",
                        (BurnState::Slow, false) => "slow",
                        _ => burn.word(),
                    };
                    spans.push(Span::styled(" · ", theme.style(Role::Muted)));
                    spans.push(Span::styled(
                        format!("{} {word}", burn.glyph()),
                        theme.style(role),
                    ));
                }
                MetricsView::Off => {
                    spans.push(Span::styled(" · no metrics", theme.style(Role::Muted)));
                }
                MetricsView::Waiting | MetricsView::NoData => {}
            }
            Cell::from(Line::from(spans))
        }
    }
}

fn cells(
    entry: &CatalogEntry,
    cols: &[(CatalogColumn, Constraint)],
    state: &State,
    theme: &Theme,
) -> Vec<Cell<'static>> {
    match entry {
        CatalogEntry::Service(s) => cols
            .iter()
            .map(|(c, _)| {
                // The SLO column is 34 wide only on wide screens.
                let wide = cols
                    .iter()
                    .any(|(c, w)| *c == CatalogColumn::Slo && *w == Constraint::Length(34));
                service_cell(s, *c, wide, state, theme)
            })
            .collect(),
        CatalogEntry::Invalid {
            origin,
            entity,
            message,
        } => {
            let mut cells = vec![Cell::from(Span::styled(
                format!("✗ {}", entity.as_deref().unwrap_or(origin)),
                theme.style(Role::Error),
            ))];
            cells.push(Cell::from(Span::styled(
                format!("invalid entity ({origin}): {message}"),
                theme.style(Role::Error),
            )));
            cells
        }
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.catalog;
    let table = &pane.table;
    let cols = columns(area.width);
    let sort_col = CatalogColumn::ALL
        .get(table.sort.column)
        .copied()
        .unwrap_or(CatalogColumn::Name);
    let total = pane.catalog.entries.len();
    let title = if table.filter.is_active() {
        format!(" Services {}/{total} ", table.visible.len())
    } else {
        format!(" Services ({total}) ")
    };
    if !pane.loaded {
        let text = super::why_unavailable(
            state,
            crate::model::source::SourceId::Catalog,
            super::setup::Needs::Catalog,
            "waiting for the catalog source…",
        );
        super::notice(frame, area, theme, title.trim(), &text);
        return;
    }
    let arrow = if table.sort.reverse { "↓" } else { "↑" };
    let note = (!table.filter.orders_rows()).then(|| {
        Line::from(Span::styled(
            format!(" sort {} {arrow} ", sort_col.title().to_lowercase()),
            theme.style(Role::Muted),
        ))
    });
    let headings: Vec<(&str, Constraint)> = cols.iter().map(|(c, w)| (c.title(), *w)).collect();
    let view = TableView {
        title,
        columns: &headings,
        empty: "the catalog is empty",
        note,
        footer: None,
        sort_keys: &crate::app::panes::catalog::SORT_KEYS,
    };
    data_table::render(frame, area, theme, table, &view, |i| {
        cells(&pane.catalog.entries[i], &cols, state, theme)
    });
}
