//! The service catalog table. Only the rows in the viewport are built, so 10,000 services
//! cost the same per frame as 40.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use crate::app::State;
use crate::app::catalog::CatalogColumn;
use crate::model::{CatalogEntry, Service, SloStatus};
use crate::theme::{Role, Theme};
use crate::ui::text::{highlighted, percent};

/// Columns shown at a width, with their widths; narrower screens drop the least useful.
fn columns(width: u16) -> Vec<(CatalogColumn, Constraint)> {
    let mut cols = vec![
        (CatalogColumn::Name, Constraint::Fill(1)),
        (CatalogColumn::Owner, Constraint::Length(10)),
        (CatalogColumn::Tier, Constraint::Length(6)),
        (CatalogColumn::Lifecycle, Constraint::Length(12)),
        (CatalogColumn::OnCall, Constraint::Length(14)),
        (CatalogColumn::Slo, Constraint::Length(16)),
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

fn service_cell(s: &Service, column: CatalogColumn, state: &State, theme: &Theme) -> Cell<'static> {
    let filter = &state.catalog.table.filter;
    let text_cell = |text: &str| {
        let spans = highlighted(
            text,
            &filter.highlights(text),
            theme.style(Role::Text),
            theme.style(Role::MatchHighlight),
        );
        Cell::from(Line::from(spans))
    };
    match column {
        CatalogColumn::Name => {
            let mut spans = highlighted(
                &s.name,
                &filter.highlights(&s.name),
                theme.style(Role::Text),
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
        CatalogColumn::OnCall => text_cell(s.oncall.as_deref().unwrap_or("-")),
        CatalogColumn::Slo => {
            let status = s.slo_status();
            let budget = s.slo.as_ref().and_then(|slo| slo.budget_left);
            let text = match budget {
                Some(_) => format!("{} {} {}", status.glyph(), status.word(), percent(budget)),
                None => format!("{} {}", status.glyph(), status.word()),
            };
            Cell::from(Span::styled(text, theme.style(slo_role(status))))
        }
    }
}

fn row(
    entry: &CatalogEntry,
    cols: &[(CatalogColumn, Constraint)],
    state: &State,
    theme: &Theme,
) -> Row<'static> {
    match entry {
        CatalogEntry::Service(s) => Row::new(
            cols.iter()
                .map(|(c, _)| service_cell(s, *c, state, theme))
                .collect::<Vec<_>>(),
        ),
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
            Row::new(cells)
        }
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.catalog;
    let table = &pane.table;
    let cols = columns(area.width);
    let sort_col = crate::app::catalog::CatalogColumn::ALL
        .get(table.sort.column)
        .copied()
        .unwrap_or(CatalogColumn::Name);
    let arrow = if table.sort.reverse { "↓" } else { "↑" };
    let total = pane.catalog.entries.len();
    let title = if table.filter.is_active() {
        format!(" Services {}/{total} ", table.visible.len())
    } else {
        format!(" Services ({total}) ")
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(filter_line(state));
    if !table.filter.orders_rows() {
        block = block.title(
            Line::from(Span::styled(
                format!(" sort {} {arrow} ", sort_col.title().to_lowercase()),
                theme.style(Role::Muted),
            ))
            .right_aligned(),
        );
    }
    if !pane.loaded {
        let waiting = Paragraph::new(Line::from(Span::styled(
            "waiting for the catalog source…",
            theme.style(Role::Muted),
        )))
        .block(block);
        frame.render_widget(waiting, area);
        return;
    }
    let page = usize::from(area.height.saturating_sub(3));
    let start = table.offset.min(table.visible.len());
    let end = (start + page).min(table.visible.len());
    let rows: Vec<Row<'static>> = table.visible[start..end]
        .iter()
        .enumerate()
        .map(|(i, &idx)| {
            let r = row(&pane.catalog.entries[idx], &cols, state, theme);
            if start + i == table.selected {
                r.style(theme.style(Role::Selection))
            } else {
                r
            }
        })
        .collect();
    let header = Row::new(cols.iter().map(|(c, _)| {
        let marker = if *c == sort_col && !table.filter.orders_rows() {
            arrow
        } else {
            ""
        };
        Cell::from(format!("{}{marker}", c.title()))
    }))
    .style(theme.style(Role::TableHeader));
    let widths: Vec<Constraint> = cols.iter().map(|(_, w)| *w).collect();
    let selected_in_page = table
        .selected
        .checked_sub(start)
        .filter(|i| *i < rows.len());
    let mut table_state = ratatui::widgets::TableState::default().with_selected(selected_in_page);
    let widget = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .highlight_symbol("▶ ")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    if pane.catalog.entries.is_empty() || table.visible.is_empty() {
        frame.render_widget(widget, area);
        let note = if table.filter.is_active() {
            "no service matches the filter"
        } else {
            "the catalog is empty"
        };
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        frame.render_widget(
            Paragraph::new(Span::styled(note, theme.style(Role::Muted))),
            inner,
        );
        return;
    }
    frame.render_stateful_widget(widget, area, &mut table_state);
}

fn filter_line(state: &State) -> Line<'static> {
    let theme = &state.ui.theme;
    let filter = &state.catalog.table.filter;
    if !filter.editing && !filter.is_active() && filter.error.is_none() {
        return Line::default();
    }
    let mut spans = vec![Span::styled(
        format!(" /{} ", filter.mode.label()),
        theme.style(Role::KeyHint),
    )];
    spans.push(Span::styled(filter.text.clone(), theme.style(Role::Input)));
    if filter.editing {
        spans.push(Span::styled("█", theme.style(Role::Input)));
    }
    if filter.inverted() {
        spans.push(Span::styled(" (inverted)", theme.style(Role::Muted)));
    }
    if let Some(error) = &filter.error {
        spans.push(Span::styled(
            format!(" ✗ {error}"),
            theme.style(Role::Error),
        ));
    }
    if filter.editing {
        spans.push(Span::styled(
            " tab mode · enter keep · esc clear ",
            theme.style(Role::Muted),
        ));
    }
    Line::from(spans)
}
