//! The detail of a JSON log line (`enter`): its object pretty-printed with a 2-space indent,
//! every string sanitized (see [`crate::model::logs::export::pretty_json`]). A long object is
//! cut to the panel with a closing note saying how many lines are not shown; the line's
//! trace id follows, as in the key/value list of other lines. The first row says which format
//! the line was read as and where its level came from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::model::logs::LogLine;
use crate::theme::{Role, Theme};

/// One `key   value` row of a line's detail (the format, the query, a field, the trace id).
#[must_use]
pub fn key_row(key: &str, value: String, role: Role, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{key:<18} "), theme.style(Role::Muted)),
        Span::styled(value, theme.style(role)),
    ])
}

/// The first row of every line's detail: the format it was read as and where its level came
/// from.
#[must_use]
pub fn format_row(line: &LogLine, theme: &Theme) -> Line<'static> {
    key_row("format", line.format_explanation(), Role::Text, theme)
}

/// The pretty-printed object of `line`, when it is a JSON line.
#[must_use]
pub fn pretty(line: &LogLine) -> Option<Vec<String>> {
    crate::model::logs::export::pretty_json(line)
}

/// Rows the panel wants for `pretty` (borders included).
#[must_use]
pub fn wanted_height(line: &LogLine, pretty: &[String]) -> usize {
    // Borders, the format row, the object, the trace row.
    pretty.len() + 3 + usize::from(line.trace_id().is_some())
}

/// Draws the panel in `area`, cutting the object with a note when it does not fit.
pub fn render(frame: &mut Frame<'_>, area: Rect, theme: &Theme, line: &LogLine, pretty: &[String]) {
    let rows = usize::from(area.height.saturating_sub(2));
    let trace = line.trace_id();
    let room = rows.saturating_sub(1 + usize::from(trace.is_some()));
    let (shown, cut) = if pretty.len() > room {
        let shown = room.saturating_sub(1);
        (shown, pretty.len() - shown)
    } else {
        (pretty.len(), 0)
    };
    // First: the format the line was read as and where its level came from.
    let mut lines: Vec<Line<'static>> = vec![format_row(line, theme)];
    lines.extend(
        pretty[..shown]
            .iter()
            .map(|text| Line::from(Span::styled(text.clone(), theme.style(Role::Text)))),
    );
    if cut > 0 {
        lines.push(Line::from(Span::styled(
            format!("… {cut} more lines (y copies the whole line)"),
            theme.style(Role::Muted),
        )));
    }
    if let Some(id) = trace {
        lines.push(key_row("trace_id", id.to_owned(), Role::Accent, theme));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(
            format!(" json · {} ", line.source()),
            theme.style(Role::Title),
        ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
