//! The logs pane's histogram strip (lnav's HIST view), drawn above the lines. Nothing is said
//! by colour alone (colour only repeats what a glyph says):
//!
//! ```text
//!  10s/col ▁▂▃█▅▂▁ ▁▁▂▃▅▇█▇▅▃▂▁▁▁▁  max 120    bars: lines per bucket
//!    worst ··W·E··  ···W····E···   3 ↑time    E error, W warning, · other
//! 10:04:00      ^^^^^^      ▲     10:10:00    ^ lines on screen, ▲ the cursor
//! ```
//!
//! One row (bars, with `E`/`W` for buckets holding errors or warnings) on a short terminal.
//! The labels are built from times and counts only, never from log text.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::State;
use crate::app::panes::logs::LogsPane;
use crate::app::panes::logs::histogram::{GUTTER, time_label};
use crate::model::logs::histogram::width_label;
use crate::model::logs::{Counts, HistView};
use crate::theme::{Role, Theme};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A count in at most four characters: `999`, `1.2k`, `12k`, `1.2M`.
fn compact(n: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "one decimal shown")]
    let f = n as f64;
    match n {
        0..=999 => n.to_string(),
        1_000..=9_999 => format!("{:.1}k", f / 1e3),
        10_000..=999_999 => format!("{}k", n / 1_000),
        1_000_000..=9_999_999 => format!("{:.1}M", f / 1e6),
        _ => format!("{}M", n / 1_000_000),
    }
}

fn worst(c: Counts) -> (char, Role) {
    if c.error > 0 {
        ('E', Role::Error)
    } else if c.warn > 0 {
        ('W', Role::Warn)
    } else if c.other > 0 {
        ('·', Role::Muted)
    } else {
        (' ', Role::Muted)
    }
}

/// The bar glyph of a bucket: eighths of the busiest bucket, at least one for any line.
fn bar(c: Counts, max: u32) -> char {
    let t = c.total();
    if t == 0 || max == 0 {
        return ' ';
    }
    let eighths = (u64::from(t) * 8).div_ceil(u64::from(max)).clamp(1, 8);
    BARS[usize::try_from(eighths - 1).unwrap_or(7)]
}

fn gutter(text: &str, left: bool) -> String {
    let w = usize::from(GUTTER) - 1;
    let text = crate::ui::text::fit(text, w);
    if left {
        format!("{text:>w$} ")
    } else {
        format!(" {text:<w$}")
    }
}

/// The shown lines' range of buckets (the first and last line on screen that have a time).
fn on_screen(
    pane: &LogsPane,
    view: &HistView,
    lines: std::ops::Range<usize>,
) -> Option<(usize, usize)> {
    let time = |i: usize| pane.shown_seq(i).and_then(|s| pane.strip.counts.time_of(s));
    let first = lines.clone().find_map(time)?;
    let last = lines.rev().find_map(time)?;
    let (a, b) = (
        view.nearest(first.min(last))?,
        view.nearest(first.max(last))?,
    );
    Some((a, b))
}

/// Draws the strip in `area` (1 or 3 rows); `lines` is the range of shown lines on screen.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, lines: std::ops::Range<usize>) {
    let theme = &state.ui.theme;
    let pane = &state.panes.logs;
    let columns = usize::from(area.width.saturating_sub(2 * GUTTER)).max(1);
    let view = pane.strip.counts.view(columns);
    let muted = theme.style(Role::Muted);
    if view.buckets.is_empty() {
        let text = format!(
            " no timed lines to chart ({} without a time)",
            compact(pane.strip.counts.timeless())
        );
        frame.render_widget(Paragraph::new(Span::styled(text, muted)), area);
        return;
    }
    let max = view.max();
    let region = on_screen(pane, &view, lines);
    let cursor = pane.strip.cursor.and_then(|c| view.nearest(c));
    let marked = |i: usize, style: Style| {
        let mut style = style;
        if region.is_some_and(|(a, b)| a <= i && i <= b) && area.height == 1 {
            // One row has no room for the marks row: underline what is on screen.
            style = style.add_modifier(Modifier::UNDERLINED);
        }
        if cursor == Some(i) {
            style = style
                .patch(theme.style(Role::Selection))
                .add_modifier(Modifier::REVERSED);
        }
        style
    };
    let label = format!("{}/col", width_label(view.width));
    let mut bars = vec![Span::styled(gutter(&label, true), muted)];
    let mut letters = vec![Span::styled(gutter("worst", true), muted)];
    for (i, c) in view.buckets.iter().enumerate() {
        let (letter, role) = worst(*c);
        let glyph = if area.height == 1 && letter != '·' && letter != ' ' {
            letter
        } else {
            bar(*c, max)
        };
        bars.push(Span::styled(
            glyph.to_string(),
            marked(i, theme.style(role)),
        ));
        letters.push(Span::styled(
            letter.to_string(),
            marked(i, theme.style(role)),
        ));
    }
    let pad = columns.saturating_sub(view.buckets.len());
    bars.push(Span::raw(" ".repeat(pad)));
    letters.push(Span::raw(" ".repeat(pad)));
    bars.push(Span::styled(
        gutter(&format!("max {}", compact(u64::from(max))), false),
        muted,
    ));
    let untimed = (pane.strip.counts.timeless(), pane.strip.counts.inherited());
    let note = match untimed {
        (0, 0) => String::new(),
        (0, n) => format!("{} ↑time", compact(n)),
        (n, _) => format!("{} no time", compact(n)),
    };
    letters.push(Span::styled(gutter(&note, false), muted));
    if area.height < 3 {
        frame.render_widget(Paragraph::new(Line::from(bars)), area);
        return;
    }
    let last = view.buckets.len() - 1;
    let mut marks = vec![Span::styled(
        gutter(&time_label(view.start(0), view.width), true),
        muted,
    )];
    let mut row = String::with_capacity(columns);
    for i in 0..view.buckets.len() {
        row.push(if cursor == Some(i) {
            '▲'
        } else if region.is_some_and(|(a, b)| a <= i && i <= b) {
            '^'
        } else {
            ' '
        });
    }
    marks.push(Span::styled(row, theme.style(Role::Accent)));
    marks.push(Span::raw(" ".repeat(pad)));
    marks.push(Span::styled(
        gutter(
            &time_label(view.start(last) + view.width, view.width),
            false,
        ),
        muted,
    ));
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(bars),
            Line::from(letters),
            Line::from(marks),
        ]),
        area,
    );
}

/// The pane's bottom line while the strip has the focus: the cursor bucket's counts and the
/// keys.
#[must_use]
pub fn focus_line(pane: &LogsPane, theme: &Theme, width: u16) -> Option<Line<'static>> {
    let cursor = pane.strip.cursor?;
    let columns = crate::app::panes::logs::histogram::columns(width);
    let view = pane.strip.counts.view(columns);
    let i = view.nearest(cursor)?;
    let c = view.buckets[i];
    let text = format!(
        " ▲ {} +{}: {} error · {} warn · {} other · enter jump · esc back ",
        time_label(view.start(i), view.width),
        width_label(view.width),
        c.error,
        c.warn,
        c.other
    );
    Some(Line::from(Span::styled(text, theme.style(Role::KeyHint))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_counts_read_without_colour() {
        let c = |error, warn, other| Counts { error, warn, other };
        assert_eq!(bar(c(0, 0, 0), 10), ' ');
        assert_eq!(bar(c(0, 0, 1), 100), '▁', "any line shows");
        assert_eq!(bar(c(5, 5, 0), 10), '█');
        assert_eq!(worst(c(1, 9, 9)).0, 'E');
        assert_eq!(worst(c(0, 1, 9)).0, 'W');
        assert_eq!(worst(c(0, 0, 9)).0, '·');
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_234), "1.2k");
        assert_eq!(compact(123_456), "123k");
        assert_eq!(compact(1_234_567), "1.2M");
    }
}
