//! The describe view: the object's lines the way `kubectl describe` lays them out
//! (label, value, indented sections), each with a tone that also shows as a glyph, or its
//! YAML; scrolled with the cursor keys. Errors are shown whole.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::State;
use crate::keymap::Action;
use crate::model::k8s::describe::Tone;
use crate::theme::Role;
use crate::ui::text::key_hints;

fn role(tone: Tone) -> Role {
    match tone {
        Tone::Plain => Role::Text,
        Tone::Heading => Role::Header,
        Tone::Good => Role::Ok,
        Tone::Warn => Role::Warn,
        Tone::Bad => Role::Error,
        Tone::Muted => Role::Muted,
    }
}

/// A glyph for the tones colour would otherwise carry alone.
fn glyph(tone: Tone) -> &'static str {
    match tone {
        Tone::Bad => "✖ ",
        Tone::Warn => "⚠ ",
        _ => "",
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let pane = &state.panes.describe;
    let yaml = (
        Action::ShowYaml,
        if pane.yaml { "describe" } else { "yaml" },
    );
    // A Service's port can be forwarded from here (the pod is chosen as kubectl chooses it).
    let service = pane.target.as_ref().is_some_and(|t| t.kind == "Service");
    let third = if service {
        (Action::PortForward, "forward")
    } else {
        (Action::Refresh, "reload")
    };
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            yaml,
            (Action::CopyRow, "copy yaml"),
            third,
            (Action::Back, "back"),
        ],
    );
    let target = pane
        .target
        .as_ref()
        .map_or_else(|| "nothing".to_owned(), ToString::to_string);
    let title = format!(
        " {} {target} ",
        if pane.yaml { "YAML of" } else { "Describe" }
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(Span::styled(hints, theme.style(Role::Muted)));
    let lines: Vec<Line<'static>> = match &pane.loaded {
        None if pane.target.is_none() => vec![Line::from(
            "Nothing described yet: press enter on a pod, d on a workload or an event.",
        )],
        None => vec![Line::from(Span::styled(
            "reading…",
            theme.style(Role::Muted),
        ))],
        Some(Err(e)) => vec![Line::from(Span::styled(
            format!("✗ {e}"),
            theme.style(Role::Error),
        ))],
        Some(Ok(loaded)) if pane.yaml => loaded
            .yaml
            .lines()
            .map(|l| Line::from(Span::styled(l.to_owned(), theme.style(Role::Text))))
            .collect(),
        Some(Ok(loaded)) => loaded
            .lines
            .iter()
            .map(|l| {
                let indent = "  ".repeat(usize::from(l.indent));
                let style = theme.style(role(l.tone));
                if l.tone == Tone::Heading {
                    return Line::from(Span::styled(
                        format!("{indent}{}:", l.label),
                        style.add_modifier(Modifier::BOLD),
                    ));
                }
                let label = if l.label.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", l.label)
                };
                Line::from(vec![
                    Span::styled(format!("{indent}{label}"), theme.style(Role::Muted)),
                    Span::styled(format!("{}{}", glyph(l.tone), l.value), style),
                ])
            })
            .collect(),
    };
    let scroll = u16::try_from(pane.scroll).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(block),
        area,
    );
}
