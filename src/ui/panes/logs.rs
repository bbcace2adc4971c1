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

fn target_text(pane: &LogsPane) -> String {
    let t = &pane.target;
    let mut parts = Vec::new();
    if let Some(s) = &t.service {
        parts.push(s.clone());
    }
    if let Some(id) = &t.trace_id {
        parts.push(format!("trace {}", crate::ui::text::fit(id, 12)));
    }
    if parts.is_empty() {
        "all".into()
    } else {
        parts.join(" · ")
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "renders the pane top to bottom; its parts share the layout and the selection"
)]
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
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
    let detail_height = fields.as_ref().map_or(0, |(_, f)| {
        // Borders, the format row and the trace row.
        (u16::try_from(f.len()).unwrap_or(u16::MAX).saturating_add(4)).min(area.height / 2)
    });
    let [body, detail] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_height)]).areas(area);
    let follow = if pane.following() {
        "following"
    } else {
        "paused"
    };
    let title = format!(
        " Logs · {} · {} lines · {} dropped · {follow} · {} ",
        target_text(pane),
        pane.buffer.len(),
        pane.dropped(),
        levels_text(pane)
    );
    let bottom = match &pane.editing {
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
        .title_bottom(bottom.right_aligned());
    let inner = block.inner(body);
    frame.render_widget(block, body);
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
    let lines: Vec<Line<'static>> = (start..end)
        .filter_map(|i| {
            let seq = pane.shown_seq(i)?;
            let line = pane.buffer.get_seq(seq)?;
            let marker = pane.markers.contains(&seq);
            let selected = !pane.following() && i == cursor;
            Some(line_spans(line, marker, pane, theme, selected))
        })
        .collect();
    let mut paragraph = Paragraph::new(lines);
    if pane.wrap {
        paragraph = paragraph.wrap(Wrap { trim: false });
    }
    frame.render_widget(paragraph, inner);
    if let (Some((line, fields)), true) = (fields, detail.height > 0) {
        render_fields(frame, detail, theme, line, fields);
    }
}

fn render_fields(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    line: &LogLine,
    fields: Vec<(String, String)>,
) {
    // First: the format the line was read as and where its level came from (Part 13).
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:<18} ", "format"), theme.style(Role::Muted)),
        Span::styled(line.format_explanation(), theme.style(Role::Text)),
    ])];
    for (k, v) in fields {
        lines.push(Line::from(vec![
            Span::styled(format!("{k:<18} "), theme.style(Role::Muted)),
            Span::styled(v, theme.style(Role::Text)),
        ]));
    }
    if let Some(id) = line.trace_id() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<18} ", "trace_id"), theme.style(Role::Muted)),
            Span::styled(id.to_owned(), theme.style(Role::Accent)),
        ]));
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
