//! The Kafka pane's peek panel: one line per message read (offset, time, key, size), then
//! the selected message whole: timestamp and its type, key, headers, and the value as
//! pretty JSON, UTF-8 text or hex. Every string comes through `model::kafka_peek`, which
//! sanitizes each byte; nothing is told by colour alone (the value's kind is a word).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::State;
use crate::app::panes::kafka::first_aid::PeekView;
use crate::keymap::Action;
use crate::model::kafka_peek::{PeekMessage, TimestampKind, short_bytes, value_lines};
use crate::theme::Role;
use crate::ui::text::key_hints;

fn time(m: &PeekMessage) -> String {
    match m.timestamp {
        None => "no timestamp".into(),
        Some((ms, kind)) => {
            let at = jiff::Timestamp::from_millisecond(ms).map_or_else(
                |_| ms.to_string(),
                |t| t.strftime("%Y-%m-%d %H:%M:%S%.3fZ").to_string(),
            );
            let kind = match kind {
                TimestampKind::Create => "create",
                TimestampKind::LogAppend => "log-append",
            };
            format!("{at} ({kind})")
        }
    }
}

fn size(m: &PeekMessage) -> String {
    match &m.value {
        None => "null".into(),
        Some(v) if v.len() < m.value_len => format!("{}B, {}B shown", m.value_len, v.len()),
        Some(_) => format!("{}B", m.value_len),
    }
}

/// The selected message whole: headers, then the value as the view says, within `room`
/// rows of the panel.
fn message_lines(
    lines: &mut Vec<Line<'static>>,
    m: &PeekMessage,
    peek: &PeekView,
    theme: &crate::theme::Theme,
    width: usize,
    room: usize,
) {
    lines.push(Line::default());
    for (k, v) in &m.headers {
        lines.push(Line::from(Span::styled(
            crate::model::text::fit(
                &format!("header {k} = {}", short_bytes(v.as_deref())),
                width,
            ),
            theme.style(Role::Muted),
        )));
    }
    match &m.value {
        None => lines.push(Line::from(Span::styled(
            "value: null (a tombstone)",
            theme.style(Role::Muted),
        ))),
        Some(v) => {
            let left = room.saturating_sub(lines.len() + 3);
            let (kind, body) = value_lines(v, peek.view, left.max(1));
            lines.push(Line::from(Span::styled(
                format!("value ({kind}, {} view):", peek.view.label()),
                theme.style(Role::TableHeader),
            )));
            lines.extend(body.into_iter().map(|l| {
                Line::from(Span::styled(
                    crate::model::text::fit(&l, width),
                    theme.style(Role::Text),
                ))
            }));
        }
    }
}

/// Draws the peek panel in `area`.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, peek: &PeekView) {
    let theme = &state.ui.theme;
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines = Vec::new();
    let title = match &peek.read {
        Err(e) => {
            lines.push(Line::from(Span::styled(
                format!("✗ {e}"),
                theme.style(Role::Error),
            )));
            " peek · failed ".to_owned()
        }
        Ok(r) => {
            let head = format!(
                "{}:{} {} · start {} · log {}..{} · {} read{}",
                r.topic,
                r.partition,
                r.from.words(),
                r.start,
                r.low,
                r.high,
                r.messages.len(),
                r.note.as_ref().map_or(String::new(), |n| format!(" · {n}")),
            );
            lines.push(Line::from(Span::styled(
                crate::model::text::fit(&head, width),
                theme.style(Role::Muted),
            )));
            // A window of the list around the selection: at most a third of the panel.
            let room = usize::from(area.height.saturating_sub(2)) / 3;
            let first = peek.selected.saturating_sub(room.saturating_sub(1));
            for (i, m) in r.messages.iter().enumerate().skip(first).take(room.max(1)) {
                let mark = if i == peek.selected { "▶" } else { " " };
                let row = format!(
                    "{mark} {:>8}  {}  key {}  {}",
                    m.offset,
                    time(m),
                    short_bytes(m.key.as_deref()),
                    size(m)
                );
                let role = if i == peek.selected {
                    Role::Selection
                } else {
                    Role::Text
                };
                lines.push(Line::from(Span::styled(
                    crate::model::text::fit(&row, width),
                    theme.style(role),
                )));
            }
            if let Some(m) = r.messages.get(peek.selected) {
                let room = usize::from(area.height);
                message_lines(&mut lines, m, peek, theme, width, room);
            }
            format!(
                " peek {}:{} · offset {} ",
                r.topic,
                r.partition,
                r.messages.get(peek.selected).map_or(r.start, |m| m.offset)
            )
        }
    };
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::Up, "message"),
            (Action::ValueView, "auto/text/hex"),
            (Action::Back, "close"),
        ],
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(Line::from(Span::styled(hints, theme.style(Role::Muted))).right_aligned());
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
