//! A table over a [`TableState`]: only the rows in the viewport are built, the cursor row is
//! marked with `▶` as well as styled, and the filter line sits in the bottom border. Where
//! the rows went is recorded in the table ([`crate::app::drawn`]) for mouse clicks.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, HighlightSpacing, Paragraph, Row, Table, Wrap};

use crate::app::drawn::DrawnRows;
use crate::app::table::{SortKey, TableState};
use crate::theme::{Role, Theme};

/// What to draw besides the rows.
pub struct TableView<'a> {
    pub title: String,
    /// Column headings with their widths.
    pub columns: &'a [(&'a str, Constraint)],
    /// Shown inside the table when there are no rows.
    pub empty: &'a str,
    /// Extra text on the top border's right.
    pub note: Option<Line<'static>>,
    /// Extra text on the bottom border's right (key hints).
    pub footer: Option<Line<'static>>,
    /// The pane's orders ([`SortKey`]): the heading of the one in force is marked.
    pub sort_keys: &'a [SortKey],
}

/// Draws the table; `row` builds the cells of one data row (by index into the pane's rows).
pub fn render(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    table: &TableState,
    view: &TableView<'_>,
    mut row: impl FnMut(usize) -> Vec<Cell<'static>>,
) {
    let filter = filter_line(table, theme);
    // The filter as typed outranks the key hints: when both do not fit in the border, the
    // hints give way rather than cut what the user typed.
    let hints_fit = |footer: &Line<'_>| {
        filter.width() + footer.width() < usize::from(area.width.saturating_sub(2))
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(view.title.clone(), theme.style(Role::Title)))
        .title_bottom(filter.clone());
    // The notice outranks the key hints: it says the cursor is not where the user put it.
    if let Some(gone) = &table.vanished {
        block = block.title_bottom(vanished_line(gone, theme));
    } else if let Some(footer) = view.footer.as_ref().filter(|f| hints_fit(f)) {
        block = block.title_bottom(footer.clone().right_aligned());
    }
    if let Some(note) = &view.note {
        block = block.title(note.clone().right_aligned());
    }
    let page = usize::from(area.height.saturating_sub(3)).max(1);
    // The pane may be shorter than the page `update` assumed: keep the cursor on screen.
    let start = if table.selected >= table.offset + page {
        table.selected + 1 - page
    } else {
        table.offset
    }
    .min(table.visible.len());
    let end = (start + page).min(table.visible.len());
    // Where each row lands (below the top border and the heading), for a mouse click.
    table.drawn.record(|| DrawnRows {
        area: Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: u16::try_from(end - start).unwrap_or(u16::MAX),
        },
        keys: table.keys_at(start..end).to_vec(),
    });
    let arrow = if table.sort.reverse { "↓" } else { "↑" };
    let sorted = view
        .sort_keys
        .get(table.sort.column)
        .and_then(|k| k.heading)
        .filter(|_| !table.filter.orders_rows());
    let header = Row::new(view.columns.iter().map(|(title, _)| {
        let marker = if Some(*title) == sorted { arrow } else { "" };
        Cell::from(format!("{title}{marker}"))
    }))
    .style(theme.style(Role::TableHeader));
    let rows: Vec<Row<'static>> = table.visible[start..end]
        .iter()
        .enumerate()
        .map(|(i, &idx)| {
            let r = Row::new(row(idx));
            if start + i == table.selected {
                r.style(theme.style(Role::Selection))
            } else {
                r
            }
        })
        .collect();
    let widths: Vec<Constraint> = view.columns.iter().map(|(_, w)| *w).collect();
    let selected = table
        .selected
        .checked_sub(start)
        .filter(|i| *i < rows.len());
    let empty = rows.is_empty();
    let widget = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .highlight_symbol("▶ ")
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = ratatui::widgets::TableState::default().with_selected(selected);
    frame.render_stateful_widget(widget, area, &mut state);
    if empty {
        let text = if table.filter.is_active() {
            "nothing matches the filter"
        } else {
            view.empty
        };
        // The reason a table is empty may be a source's error, long and cut on the title
        // line: it wraps over the empty body, whole. A `✗` marks it as an error.
        let role = if text.starts_with('✗') {
            Role::Error
        } else {
            Role::Muted
        };
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: area.height.saturating_sub(3),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text.to_owned(), theme.style(role)))
                .wrap(Wrap { trim: true }),
            inner,
        );
    }
}

/// Says that the selected row left with the last refresh and the cursor is on its
/// neighbour, so an action is never aimed at a row the user did not pick without notice.
#[must_use]
pub fn vanished_line(gone: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        format!(
            " ⚠ {} is gone; cursor on its neighbour ",
            crate::model::clean(gone)
        ),
        theme.style(Role::Warn),
    ))
}

/// The filter as typed, its mode, and any regex error, for the bottom border.
#[must_use]
pub fn filter_line(table: &TableState, theme: &Theme) -> Line<'static> {
    let filter = &table.filter;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::filter::FilterMode;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    /// At 80 columns the key hints give way to the filter as typed: the user's words are
    /// never cut (the README's try-it steps filter a session by its tag and read it back).
    #[test]
    fn the_filter_outranks_the_key_hints_in_the_border() {
        let mut table = TableState::default();
        table
            .filter
            .set("try-it-cancel".to_owned(), FilterMode::Substring);
        let hints = "tab view · d db · p freeze · c cancel · x terminate · space mark · M where";
        let view = TableView {
            title: " t ".into(),
            columns: &[("A", Constraint::Fill(1))],
            empty: "none",
            note: None,
            footer: Some(Line::from(hints)),
            sort_keys: &[],
        };
        let theme = crate::theme::Theme::shipped("mono", crate::theme::ColorDepth::Mono)
            .expect("shipped")
            .expect("parses");
        let mut terminal = Terminal::new(TestBackend::new(80, 6)).expect("terminal");
        terminal
            .draw(|f| render(f, f.area(), &theme, &table, &view, |_| Vec::new()))
            .expect("draw");
        let buffer = terminal.backend().buffer();
        let bottom: String = (0..80)
            .map(|x| buffer[(x, 5)].symbol().to_owned())
            .collect();
        assert!(bottom.contains("try-it-cancel"), "{bottom}");
        assert!(!bottom.contains("space mark"), "{bottom}");

        // With room for both, both show.
        let mut terminal = Terminal::new(TestBackend::new(120, 6)).expect("terminal");
        terminal
            .draw(|f| render(f, f.area(), &theme, &table, &view, |_| Vec::new()))
            .expect("draw");
        let buffer = terminal.backend().buffer();
        let bottom: String = (0..120)
            .map(|x| buffer[(x, 5)].symbol().to_owned())
            .collect();
        assert!(
            bottom.contains("try-it-cancel") && bottom.contains("space mark"),
            "{bottom}"
        );
    }
}
