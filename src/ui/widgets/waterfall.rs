//! The trace waterfall: one row per visible span with the tree drawn by indentation and
//! `▾`/`▸`, the service (in its series colour) and span name, the duration, and a bar placed
//! on the trace's time axis. Signals never rely on colour alone: error spans carry `✖`, the
//! critical path `◆` and a solid bar (`█` against `━`), the cursor `▶`.
//!
//! Only the rows on screen are built, so a 5,000-span trace costs what its 60 visible rows
//! cost. [`span_detail_lines`] renders the selected span for the detail pane.

use std::collections::HashSet;
use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::model::traces::layout::{axis_ticks, bar, format_duration};
use crate::model::traces::span::timestamp_from_ns;
use crate::model::traces::{Row, Span as TraceSpan, SpanTree, StatusCode, Trace};
use crate::theme::{Role, Theme};
use crate::ui::text::fit;

/// What to draw; the pane owns the state, this is a borrowed view of it.
pub struct WaterfallView<'a> {
    pub trace: &'a Trace,
    pub tree: &'a SpanTree,
    /// `tree.visible_rows()`, computed once per change by the pane.
    pub rows: &'a [Row],
    /// Cursor, as an index into `rows`.
    pub selected: usize,
    /// First row shown (the pane's scroll position); moved here if the cursor is off screen.
    pub offset: usize,
    /// `tree.critical_path()`, span indices.
    pub critical: &'a HashSet<usize>,
    pub focused: bool,
}

/// Cursor, critical-path and error marks, and a space.
const MARKS_WIDTH: u16 = 4;
/// Duration column (`12.3ms`, `2m05s`) and the spaces around it.
const DURATION_WIDTH: u16 = 7;
/// Narrower than this, the bars are dropped and the names get the room.
const MIN_BAR_WIDTH: u16 = 10;
/// Cells per tree level; deep trees stop indenting at half the label column.
const INDENT: usize = 2;

/// Column split of the inner area.
struct Columns {
    label: u16,
    bar: u16,
}

fn columns(width: u16) -> Columns {
    let rest = width.saturating_sub(MARKS_WIDTH);
    let label = (rest * 2 / 5).clamp(20.min(rest), 60);
    let bar_width = rest.saturating_sub(label + 1 + DURATION_WIDTH + 1);
    if bar_width < MIN_BAR_WIDTH {
        let label = rest.saturating_sub(1 + DURATION_WIDTH);
        return Columns { label, bar: 0 };
    }
    Columns {
        label,
        bar: bar_width,
    }
}

/// The first row to show so that `selected` is on a page of `page` rows.
fn first_row(selected: usize, offset: usize, page: usize, len: usize) -> usize {
    let start = if selected < offset {
        selected
    } else if selected >= offset + page {
        selected + 1 - page
    } else {
        offset
    };
    start.min(len.saturating_sub(1))
}

/// Draws the waterfall into `area` (with its border and title).
pub fn render(frame: &mut Frame<'_>, area: Rect, theme: &Theme, view: &WaterfallView<'_>) {
    let trace = view.trace;
    let border = if view.focused {
        Role::BorderFocus
    } else {
        Role::Border
    };
    let tree = view.tree;
    let short_id: String = trace.trace_id.chars().take(16).collect();
    let mut summary = format!(
        " {} spans · {} services · {}",
        trace.spans.len(),
        tree.service_count(),
        format_duration(tree.trace_duration_ns())
    );
    let errors = tree.error_count();
    if errors > 0 {
        let _ = write!(
            summary,
            " · ✖ {errors} error{}",
            if errors == 1 { "" } else { "s" }
        );
    }
    if trace.dropped > 0 {
        let _ = write!(summary, " · {} spans not shown (cap)", trace.dropped);
    }
    summary.push(' ');
    let summary_role = if errors > 0 { Role::Error } else { Role::Muted };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(border))
        .title(Span::styled(
            format!(" trace {short_id}… "),
            theme.style(Role::Title),
        ))
        .title(Line::from(Span::styled(summary, theme.style(summary_role))).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }

    let cols = columns(inner.width);
    let mut lines: Vec<Line<'static>> = Vec::with_capacity(usize::from(inner.height));
    lines.push(axis_line(tree.trace_duration_ns(), &cols, theme));
    let page = usize::from(inner.height.saturating_sub(1));
    let mut bars: Vec<(u16, BarCells)> = Vec::with_capacity(page);
    if view.rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no spans in this trace",
            theme.style(Role::Muted),
        )));
    } else if page > 0 {
        let start = first_row(view.selected, view.offset, page, view.rows.len());
        let end = (start + page).min(view.rows.len());
        let axis = (tree.trace_start_ns(), tree.trace_duration_ns());
        for (i, row) in view.rows[start..end].iter().enumerate() {
            let selected = start + i == view.selected;
            let (line, cells) = row_line(view, row, selected, &cols, axis, theme);
            lines.push(line);
            if let Some(cells) = cells {
                bars.push((u16::try_from(i + 1).unwrap_or(u16::MAX), cells));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).style(theme.style(Role::Text)), inner);
    // Bars are written cell by cell: a few thousand identical glyphs would otherwise go
    // through grapheme segmentation every frame.
    let bar_x = inner.x + inner.width - cols.bar;
    let buffer = frame.buffer_mut();
    for (dy, cells) in bars {
        let y = inner.y + dy;
        if y >= inner.y + inner.height {
            break;
        }
        if let Some(fill) = cells.fill {
            buffer.set_style(Rect::new(bar_x, y, cols.bar, 1), fill);
        }
        for x in 0..cells.len {
            let cell = &mut buffer[(bar_x + cells.start + x, y)];
            cell.set_symbol(cells.glyph);
            cell.set_style(cells.style);
        }
    }
}

/// Where and how one row's bar is drawn.
struct BarCells {
    start: u16,
    len: u16,
    glyph: &'static str,
    style: Style,
    /// The selection highlight over the whole bar area.
    fill: Option<Style>,
}

/// The header: column names and time ticks over the bars.
fn axis_line(trace_duration_ns: i64, cols: &Columns, theme: &Theme) -> Line<'static> {
    let head = theme.style(Role::TableHeader);
    let mut text = format!(
        "{:w$}{:<lw$} {:>dw$} ",
        "",
        "span",
        "dur",
        w = usize::from(MARKS_WIDTH),
        lw = usize::from(cols.label),
        dw = usize::from(DURATION_WIDTH),
    );
    if cols.bar > 0 {
        let mut axis = vec![' '; usize::from(cols.bar)];
        for (col, label) in axis_ticks(trace_duration_ns, cols.bar, 12) {
            let col = usize::from(col);
            // A label that would run off the end is pulled left, unless it would overwrite
            // the previous one.
            let len = label.chars().count();
            let at = col.min(axis.len().saturating_sub(len));
            if at > 0 && axis[at - 1] != ' ' {
                continue;
            }
            for (j, c) in label.chars().enumerate() {
                if let Some(cell) = axis.get_mut(at + j) {
                    *cell = c;
                }
            }
        }
        text.extend(axis);
    }
    Line::from(Span::styled(text, head))
}

/// One span row.
fn row_line(
    view: &WaterfallView<'_>,
    row: &Row,
    selected: bool,
    cols: &Columns,
    (trace_start, trace_duration): (i64, i64),
    theme: &Theme,
) -> (Line<'static>, Option<BarCells>) {
    let span = &view.trace.spans[row.index];
    let critical = view.critical.contains(&row.index);
    let error = span.status.code == StatusCode::Error;
    let base = if selected {
        theme.style(Role::Text).patch(theme.style(Role::Selection))
    } else {
        theme.style(Role::Text)
    };
    let on = |role: Role| {
        if selected { base } else { theme.style(role) }
    };
    let mut spans: Vec<Span<'static>> = Vec::with_capacity(10);
    spans.push(Span::styled(if selected { "▶" } else { " " }, base));
    spans.push(Span::styled(
        if critical { "◆" } else { " " },
        on(Role::Accent),
    ));
    spans.push(Span::styled(if error { "✖" } else { " " }, on(Role::Error)));
    spans.push(Span::styled(" ", base));

    // Label: indentation, toggle, service, name, cut to the column.
    let label_width = usize::from(cols.label);
    let indent = (row.depth * INDENT).min(label_width / 2);
    let toggle = match (row.has_children, row.collapsed) {
        (true, true) => "▸ ",
        (true, false) => "▾ ",
        (false, _) => "  ",
    };
    let mut used = indent + 2;
    spans.push(Span::styled(
        format!("{:indent$}{toggle}", ""),
        on(Role::Muted),
    ));
    let service_role = Theme::series(&span.service);
    let service = fit(&span.service, label_width.saturating_sub(used));
    used += service.width();
    let service_style = if selected {
        base
    } else {
        theme.style(service_role)
    };
    spans.push(Span::styled(service, service_style));
    let room = label_width.saturating_sub(used + 1);
    if room > 0 {
        let name = fit(&span.name, room);
        used += 1 + name.width();
        let name_style = if error && !selected {
            theme.style(Role::Error)
        } else {
            base
        };
        spans.push(Span::styled(" ", base));
        spans.push(Span::styled(name, name_style));
    }
    let pad = label_width.saturating_sub(used);
    spans.push(Span::styled(
        format!(
            "{:pad$} {:>dw$} ",
            "",
            format_duration(span.duration_ns),
            dw = usize::from(DURATION_WIDTH)
        ),
        base,
    ));

    let cells = (cols.bar > 0).then(|| {
        let geometry = bar(
            span.start_ns,
            span.duration_ns,
            trace_start,
            trace_duration,
            cols.bar,
        );
        let bar_style = if error {
            theme.style(Role::Error)
        } else {
            theme.style(service_role)
        };
        let bar_style = if critical {
            bar_style.add_modifier(Modifier::BOLD)
        } else {
            bar_style
        };
        // The selected row keeps its bar colour so the bar stays readable on the highlight.
        BarCells {
            start: geometry.start,
            len: geometry.len,
            glyph: if critical { "█" } else { "━" },
            style: if selected {
                base.patch(bar_style)
            } else {
                bar_style
            },
            fill: selected.then_some(base),
        }
    });
    let line = Line::from(spans);
    (if selected { line.style(base) } else { line }, cells)
}

/// The selected span in full: identity, timing, status, attributes, events and resource.
#[must_use]
pub fn span_detail_lines(span: &TraceSpan, theme: &Theme) -> Vec<Line<'static>> {
    let head = theme.style(Role::TableHeader);
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    let field = |key: &str, value: String, style: Style| {
        Line::from(vec![
            Span::styled(format!("  {key:<10} "), muted),
            Span::styled(value, style),
        ])
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(span.name.clone(), theme.style(Role::Title)),
            Span::styled("  ", text),
            Span::styled(
                span.service.to_string(),
                theme.style(Theme::series(&span.service)),
            ),
        ]),
        field("kind", span.kind.label().to_owned(), text),
        field(
            "start",
            timestamp_from_ns(span.start_ns)
                .round(jiff::Unit::Microsecond)
                .map_or_else(|_| span.start_ns.to_string(), |t| t.to_string()),
            text,
        ),
        field("duration", format_duration(span.duration_ns), text),
        field("span id", span.span_id.clone(), text),
        field(
            "parent",
            span.parent_id
                .clone()
                .unwrap_or_else(|| "none (root)".into()),
            text,
        ),
        field("trace id", span.trace_id.clone(), text),
    ];
    let status = match span.status.code {
        StatusCode::Error => {
            let mut s = "✖ error".to_owned();
            if !span.status.message.is_empty() {
                let _ = write!(s, ": {}", span.status.message);
            }
            field("status", s, theme.style(Role::Error))
        }
        StatusCode::Ok => field("status", "✓ ok".into(), theme.style(Role::Ok)),
        StatusCode::Unset => field("status", "unset".into(), muted),
    };
    lines.push(status);

    let pairs = |lines: &mut Vec<Line<'static>>, pairs: &[(String, String)], indent: &str| {
        let width = pairs
            .iter()
            .map(|(k, _)| k.width())
            .max()
            .unwrap_or(0)
            .min(40);
        for (k, v) in pairs {
            lines.push(Line::from(vec![
                Span::styled(format!("{indent}{k:<width$} "), muted),
                Span::styled(v.clone(), text),
            ]));
        }
    };
    if !span.attributes.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("attributes", head)));
        pairs(&mut lines, &span.attributes, "  ");
    }
    if !span.events.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("events", head)));
        for event in &span.events {
            let at = format_duration(event.time_ns.saturating_sub(span.start_ns));
            let style = if event.name == "exception" {
                theme.style(Role::Error)
            } else {
                text
            };
            let marker = if event.name == "exception" {
                "✖ "
            } else {
                ""
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  +{at:<7} "), muted),
                Span::styled(format!("{marker}{}", event.name), style),
            ]));
            pairs(&mut lines, &event.attributes, "      ");
        }
    }
    if !span.resource.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("resource", head)));
        pairs(&mut lines, &span.resource, "  ");
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::model::traces::{SpanEvent, SpanKind, SpanStatus};
    use crate::theme::ColorDepth;

    fn span(
        id: &str,
        parent: Option<&str>,
        service: &str,
        start_ms: i64,
        dur_ms: i64,
    ) -> TraceSpan {
        TraceSpan {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            name: format!("op-{id}"),
            service: Arc::from(service),
            kind: SpanKind::Server,
            start_ns: 1_000_000_000 + start_ms * 1_000_000,
            duration_ns: dur_ms * 1_000_000,
            status: SpanStatus::default(),
            attributes: vec![("http.route".into(), "/checkout".into())],
            resource: vec![("host.name".into(), "fe-1".into())],
            events: Vec::new(),
        }
    }

    fn sample() -> Trace {
        let mut failed = span("c", Some("a"), "payments", 200, 250);
        failed.status = SpanStatus {
            code: StatusCode::Error,
            message: "card declined".into(),
        };
        failed.events.push(SpanEvent {
            time_ns: failed.start_ns + 100_000_000,
            name: "exception".into(),
            attributes: vec![("exception.type".into(), "CardDeclined".into())],
        });
        Trace::from_spans(
            None,
            vec![
                span("a", None, "frontend", 0, 480),
                span("b", Some("a"), "cart", 10, 180),
                failed,
                span("d", Some("b"), "cart", 20, 40),
            ],
        )
    }

    fn draw(trace: &Trace, tree: &SpanTree, selected: usize, width: u16) -> String {
        let theme = Theme::shipped("mono", ColorDepth::Mono)
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("mono theme"));
        let rows = tree.visible_rows();
        let critical = tree.critical_path();
        let view = WaterfallView {
            trace,
            tree,
            rows: &rows,
            selected,
            offset: 0,
            critical: &critical,
            focused: true,
        };
        let mut terminal = Terminal::new(TestBackend::new(width, 8)).unwrap_or_else(|_| panic!());
        terminal
            .draw(|f| render(f, f.area(), &theme, &view))
            .unwrap_or_else(|_| panic!());
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn rows_show_tree_marks_durations_and_bars() {
        let trace = sample();
        let tree = SpanTree::new(&trace);
        let screen = draw(&trace, &tree, 2, 100);
        let lines: Vec<&str> = screen.lines().collect();
        assert!(lines[0].contains("trace 4bf92f3577b34da6…"), "{screen}");
        assert!(
            lines[0].contains("4 spans · 3 services · 480ms · ✖ 1 error"),
            "{screen}"
        );
        assert!(
            lines[1].contains("span") && lines[1].contains(" 0 ") && lines[1].contains("200ms"),
            "{screen}"
        );
        // Root: critical, expanded, full-width bar.
        assert!(lines[2].contains("◆  ▾ frontend op-a"), "{screen}");
        assert!(lines[2].contains("480ms"));
        assert!(lines[2].ends_with("█│"), "{screen}");
        // b ran before c, which the root waited on next: it gated c, so it is critical too.
        assert!(lines[3].contains("◆    ▾ cart op-b"), "{screen}");
        assert!(lines[3].contains('█'), "{screen}");
        // The cursor row.
        assert!(lines[4].starts_with("│▶"), "{screen}");
        assert!(lines[4].contains("cart op-d"));
        // The error span is marked with ✖ and is on the critical path (it ends last).
        assert!(lines[5].contains("◆✖"), "{screen}");
        assert!(lines[5].contains("payments op-c"));
    }

    #[test]
    fn collapsed_rows_and_narrow_areas() {
        let trace = sample();
        let mut tree = SpanTree::new(&trace);
        tree.toggle("b");
        let screen = draw(&trace, &tree, 0, 100);
        assert!(screen.contains("▸ cart op-b"), "{screen}");
        assert!(!screen.contains("op-d"));
        // Too narrow for bars: names and durations only, nothing panics.
        let narrow = draw(&trace, &tree, 0, 30);
        assert!(!narrow.contains('█') && !narrow.contains('━'), "{narrow}");
        for width in [0, 1, 3, 5, 12] {
            let _ = draw(&trace, &tree, 0, width);
        }
        let empty = Trace::default();
        let screen = draw(&empty, &SpanTree::new(&empty), 0, 60);
        assert!(screen.contains("no spans"), "{screen}");
    }

    #[test]
    fn detail_lists_status_attributes_events_and_resource() {
        let trace = sample();
        let theme = Theme::shipped("default", ColorDepth::TrueColor)
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("theme"));
        let failed = trace
            .spans
            .iter()
            .find(|s| s.span_id == "c")
            .unwrap_or_else(|| panic!());
        let text: Vec<String> = span_detail_lines(failed, &theme)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        let all = text.join("\n");
        assert!(all.contains("✖ error: card declined"), "{all}");
        assert!(all.contains("http.route /checkout"), "{all}");
        assert!(all.contains("+100ms"), "{all}");
        assert!(all.contains("✖ exception"), "{all}");
        assert!(all.contains("exception.type CardDeclined"), "{all}");
        assert!(all.contains("host.name fe-1"), "{all}");
        assert!(all.contains("parent     a"), "{all}");
    }
}
