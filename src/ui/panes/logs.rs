//! The logs pane (`:logs`): time, source (each pod in a stable series colour from a hash of
//! its name, plus its name), level as a word, and the message with search matches
//! highlighted. `+`/`-` markers show pods coming and going. The title says what is read, how
//! many lines are held and dropped, follow or paused, and which levels show; the search line,
//! the selected line's fields and the source's notices sit at the bottom.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::State;
use crate::app::panes::logs::LogsPane;
use crate::keymap::Action;
use crate::model::logs::{Level, LevelGroup, LogLine, QueryKind, SgrColour, SgrModifiers};
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;

/// Width of the source column.
const SOURCE_WIDTH: usize = 22;

fn level_word(level: Option<Level>) -> (&'static str, Role) {
    match level {
        Some(Level::Fatal) => ("FATAL", Role::Error),
        Some(Level::Error) => ("ERROR", Role::Error),
        Some(Level::Warn) => ("WARN ", Role::Warn),
        Some(Level::Info) => ("INFO ", Role::Info),
        Some(Level::Debug) => ("DEBUG", Role::Muted),
        Some(Level::Trace) => ("TRACE", Role::Muted),
        None => ("     ", Role::Muted),
    }
}

/// `HH:MM:SS.mmm` in UTC, or blanks.
fn time_text(line: &LogLine) -> String {
    line.timestamp().map_or_else(
        || " ".repeat(12),
        |t| t.strftime("%H:%M:%S%.3f").to_string(),
    )
}

/// The message split at the search's matches.
fn highlighted(text: &str, pane: &LogsPane, base: Style, hit: Style) -> Vec<Span<'static>> {
    let ranges = if pane.query.is_empty() {
        Vec::new()
    } else {
        pane.query.match_ranges(text)
    };
    let mut spans = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut at = 0;
    for r in ranges {
        if r.start > at {
            spans.push(Span::styled(text[at..r.start].to_owned(), base));
        }
        spans.push(Span::styled(text[r.clone()].to_owned(), hit));
        at = r.end;
    }
    if at < text.len() {
        spans.push(Span::styled(text[at..].to_owned(), base));
    }
    spans
}

fn sgr_colour(c: SgrColour, theme: &Theme) -> Option<Color> {
    let colour = match c {
        SgrColour::Indexed(n) => Color::Indexed(n),
        SgrColour::Rgb(r, g, b) => Color::Rgb(r, g, b),
    };
    crate::theme::reduce(Some(colour), theme.depth)
}

/// The message with the colours its writer gave it (`--ansi colors`), reduced to the
/// terminal's depth (none under `NO_COLOR`; bold and underline stay).
fn kept_colours(line: &LogLine, base: Style, theme: &Theme) -> Vec<Span<'static>> {
    let text = line.message();
    let mut spans = Vec::new();
    let mut at = 0;
    for s in line.message_styles() {
        let (start, end) = (s.range.start.min(text.len()), s.range.end.min(text.len()));
        if start > at && text.is_char_boundary(start) {
            spans.push(Span::styled(text[at..start].to_owned(), base));
        }
        if !(text.is_char_boundary(start) && text.is_char_boundary(end)) || start >= end {
            continue;
        }
        let mut style = base;
        if let Some(fg) = s.style.fg.and_then(|c| sgr_colour(c, theme)) {
            style = style.fg(fg);
        }
        if let Some(bg) = s.style.bg.and_then(|c| sgr_colour(c, theme)) {
            style = style.bg(bg);
        }
        let m = s.style.modifiers;
        for (bit, modifier) in [
            (SgrModifiers::BOLD, Modifier::BOLD),
            (SgrModifiers::DIM, Modifier::DIM),
            (SgrModifiers::ITALIC, Modifier::ITALIC),
            (SgrModifiers::UNDERLINED, Modifier::UNDERLINED),
            (SgrModifiers::REVERSED, Modifier::REVERSED),
        ] {
            if m.contains(bit) {
                style = style.add_modifier(modifier);
            }
        }
        spans.push(Span::styled(text[start..end].to_owned(), style));
        at = end;
    }
    if at < text.len() && text.is_char_boundary(at) {
        spans.push(Span::styled(text[at..].to_owned(), base));
    }
    spans
}

fn line_spans(
    line: &LogLine,
    marker: bool,
    pane: &LogsPane,
    theme: &Theme,
    selected: bool,
    columns: &[usize],
) -> Line<'static> {
    let mut spans = Vec::new();
    if pane.timestamps {
        spans.push(Span::styled(
            format!("{} ", time_text(line)),
            theme.style(Role::Muted),
        ));
    }
    let source = crate::ui::text::fit(line.source(), SOURCE_WIDTH);
    spans.push(Span::styled(
        format!("{source:<SOURCE_WIDTH$} "),
        theme.style(Theme::series(line.source())),
    ));
    if marker {
        let started = line.message().starts_with('+');
        let role = if started { Role::Ok } else { Role::Warn };
        spans.push(Span::styled(
            format!("{} ", if started { "STREAM" } else { "ENDED " }),
            theme.style(role),
        ));
        spans.push(Span::styled(line.message().to_owned(), theme.style(role)));
    } else {
        let (word, role) = level_word(line.level());
        spans.push(Span::styled(format!("{word} "), theme.style(role)));
        spans.extend(super::logs_fields::cells(pane, line, columns, theme));
        let base = match line.level() {
            Some(Level::Error | Level::Fatal) => theme.style(Role::Error),
            _ => theme.style(Role::Text),
        };
        if line.message_styles().is_empty() || !pane.query.is_empty() {
            spans.extend(highlighted(
                line.message(),
                pane,
                base,
                theme.style(Role::MatchHighlight),
            ));
        } else {
            spans.extend(kept_colours(line, base, theme));
        }
    }
    if selected {
        for s in &mut spans {
            s.style = s.style.patch(theme.style(Role::Selection));
        }
    }
    Line::from(spans)
}

fn levels_text(pane: &LogsPane) -> String {
    if crate::app::panes::logs::errors::errors_only(pane) {
        return "errors only (e: all)".to_owned();
    }
    [
        (LevelGroup::Error, "error"),
        (LevelGroup::Warn, "warn"),
        (LevelGroup::Info, "info"),
        (LevelGroup::Debug, "debug"),
    ]
    .iter()
    .map(|(g, word)| {
        if pane.levels.shows(*g) {
            format!("✓{word}")
        } else {
            format!("✗{word}")
        }
    })
    .collect::<Vec<_>>()
    .join(" ")
}

/// Longest part of the title a typed query takes (the whole is in the fields panel).
const QUERY_WIDTH: usize = 36;

fn target_text(pane: &LogsPane) -> String {
    let t = &pane.target;
    let mut parts = Vec::new();
    if let Some(query) = pane.custom_query() {
        parts.push(crate::ui::text::fit(query, QUERY_WIDTH));
    }
    if let Some(w) = pane.window {
        parts.push(w.label());
    }
    if let Some(s) = &t.service {
        parts.push(s.clone());
    }
    if let Some(id) = &t.trace_id {
        parts.push(format!("trace {}", crate::ui::text::fit(id, 12)));
    }
    if t.service.is_none() && t.trace_id.is_none() && pane.custom_query().is_none() {
        parts.insert(0, "all".into());
    }
    parts.join(" · ")
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    render_lines(frame, area, state);
    let pane = &state.panes.logs;
    if let Some(failure) = &pane.query_failure {
        crate::ui::widgets::query_error::render(
            frame,
            area,
            &state.ui.theme,
            "query refused",
            failure,
        );
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "renders the pane top to bottom; its parts share the layout and the selection"
)]
fn render_lines(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.logs;
    if !pane.loaded && pane.buffer.is_empty() {
        super::unavailable(
            frame,
            area,
            state,
            crate::model::source::SourceId::Logs,
            "Logs",
            super::setup::Needs::Logs,
            "waiting for lines…",
        );
        return;
    }
    // The selected line's fields are parsed on demand: once per frame, for both the panel's
    // height and its text.
    let fields = pane
        .expanded
        .then(|| pane.selected())
        .flatten()
        .map(|line| (line, line.fields()));
    // A JSON line's detail is its object pretty-printed (logs_detail.rs).
    let pretty = fields
        .as_ref()
        .and_then(|(line, _)| super::logs_detail::pretty(line));
    let detail_height = fields.as_ref().map_or(0, |(line, f)| {
        let wanted = pretty
            .as_ref()
            .map_or(f.len() + 4, |p| super::logs_detail::wanted_height(line, p));
        u16::try_from(wanted)
            .unwrap_or(u16::MAX)
            .min(area.height / 2)
    });
    let [body, detail] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_height)]).areas(area);
    let follow = if pane.following() {
        "following"
    } else {
        "paused"
    };
    let outside = if pane.outside_window > 0 {
        format!(" · {} outside the window", pane.outside_window)
    } else {
        String::new()
    };
    let title = format!(
        " Logs · {} · {} lines · {} dropped{outside} · {follow} · {} ",
        target_text(pane),
        pane.buffer.len(),
        pane.dropped(),
        levels_text(pane)
    );
    // Field columns are sized from the lines that will be on screen.
    let body_inner = Block::default().borders(Borders::ALL).inner(body);
    let shown = pane.cursor_index().map_or(0..0, |_| {
        let start = pane.view_start(usize::from(body_inner.height));
        start..(start + usize::from(body_inner.height)).min(pane.shown_len())
    });
    let columns = column_widths(pane, shown, body_inner.width);
    let field_status = super::logs_fields::status(pane, &columns);
    let focus_line = super::logs_histogram::focus_line(pane, theme, state.size.0);
    let bottom = match &pane.editing {
        _ if pane.editing.is_none() && focus_line.is_some() => focus_line.unwrap_or_default(),
        Some(text) => {
            let kind = match pane.query_kind {
                QueryKind::Substring => "text",
                QueryKind::Regex => "regex",
            };
            let error = pane
                .query_error
                .as_ref()
                .map(|e| format!(" ✗ {e}"))
                .unwrap_or_default();
            Line::from(vec![
                Span::styled(format!(" /{text}█ "), theme.style(Role::Input)),
                Span::styled(
                    format!("[{kind}, tab switches]{error} "),
                    theme.style(Role::Muted),
                ),
            ])
        }
        None => {
            let mut hint = key_hints(
                &state.ui.keymap,
                state.view().key_contexts(),
                &[
                    (Action::Filter, "search"),
                    (Action::ToggleErrors, "errors"),
                    (Action::Follow, "follow"),
                    (Action::OpenTrace, "trace"),
                    (Action::Select, "fields"),
                ],
            );
            if !pane.query.is_empty() {
                hint = format!(" /{} ·{hint}", pane.query.input());
            }
            if let Some(cols) = &field_status {
                hint = format!(" {cols} ·{hint}");
            }
            if let Some(predicate) = pane.fields.predicate_text() {
                hint = format!(" where {predicate} ·{hint}");
            }
            if let Some(notice) = &pane.notice {
                hint = format!(" ! {notice} ·{hint}");
            }
            Line::from(Span::styled(hint, theme.style(Role::Muted)))
        }
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)))
        // The field filter and columns must stay readable: with them the status is cut on
        // the right (the key hints, which help lists too), not the left.
        .title_bottom(if pane.fields.filtering() || field_status.is_some() {
            bottom.left_aligned()
        } else {
            bottom.right_aligned()
        });
    let inner = block.inner(body);
    frame.render_widget(block, body);
    // The histogram strip on top, when shown and there is room for lines under it.
    let strip_rows = crate::app::panes::logs::histogram::rows(&pane.strip, state.size);
    let strip_rows = if inner.height >= strip_rows + 3 {
        strip_rows
    } else {
        0
    };
    let [strip, inner] =
        Layout::vertical([Constraint::Length(strip_rows), Constraint::Fill(1)]).areas(inner);
    let height = usize::from(inner.height);
    let len = pane.shown_len();
    let Some(cursor) = pane.cursor_index() else {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "no lines match the levels and search",
                theme.style(Role::Muted),
            )),
            inner,
        );
        return;
    };
    let start = pane.view_start(height);
    let end = (start + height).min(len);
    if strip.height > 0 {
        super::logs_histogram::render(frame, strip, state, start..end);
    }
    let lines: Vec<Line<'static>> = (start..end)
        .filter_map(|i| {
            let seq = pane.shown_seq(i)?;
            let line = pane.buffer.get_seq(seq)?;
            let marker = pane.markers.contains(&seq);
            let selected = !pane.following() && i == cursor;
            Some(line_spans(line, marker, pane, theme, selected, &columns))
        })
        .collect();
    let mut paragraph = Paragraph::new(lines);
    if pane.wrap {
        paragraph = paragraph.wrap(Wrap { trim: false });
    }
    frame.render_widget(paragraph, inner);
    match (fields, pretty, detail.height > 0) {
        (Some((line, _)), Some(pretty), true) => {
            super::logs_detail::render(frame, detail, theme, line, &pretty);
        }
        (Some((line, fields)), None, true) => {
            render_fields(frame, detail, theme, line, fields, pane.custom_query());
        }
        _ => {}
    }
}

/// Widths of the field columns (`C`) for the shown lines `shown`, in a body `width` wide.
fn column_widths(pane: &LogsPane, shown: std::ops::Range<usize>, width: u16) -> Vec<usize> {
    if pane.fields.columns.is_empty() {
        return Vec::new();
    }
    let lines: Vec<&LogLine> = shown
        .filter_map(|i| pane.buffer.get_seq(pane.shown_seq(i)?))
        .filter(|l| !pane.markers.contains(&l.seq()))
        .collect();
    let fixed = if pane.timestamps { 13 } else { 0 } + SOURCE_WIDTH + 1 + 6;
    super::logs_fields::widths(pane, &lines, usize::from(width), fixed)
}

fn render_fields(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    line: &LogLine,
    fields: Vec<(String, String)>,
    query: Option<&str>,
) {
    // First: the format the line was read as and where its level came from (Part 13).
    let mut lines = vec![super::logs_detail::format_row(line, theme)];
    if let Some(query) = query {
        lines.push(super::logs_detail::key_row(
            "query",
            query.to_owned(),
            Role::Accent,
            theme,
        ));
    }
    for (k, v) in fields {
        lines.push(super::logs_detail::key_row(&k, v, Role::Text, theme));
    }
    if let Some(id) = line.trace_id() {
        lines.push(super::logs_detail::key_row(
            "trace_id",
            id.to_owned(),
            Role::Accent,
            theme,
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(
            format!(" fields · {} ", line.source()),
            theme.style(Role::Title),
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
