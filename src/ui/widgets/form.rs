//! The request form dialog: one line per field with its hint, the field's error beneath it,
//! and the platform's answer at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::popup;
use crate::app::State;
use crate::app::modal::form::{FieldKind, Form, FormKind};
use crate::theme::Role;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, form: &Form) {
    let theme = &state.ui.theme;
    let height = u16::try_from(form.fields.len() * 2 + 5).unwrap_or(u16::MAX);
    let rect = popup::centered(area, 74, height, 2);
    let inner = popup::frame(frame, rect, form.kind.title(), theme);
    let mut lines = Vec::new();
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "▶ " } else { "  " };
        let value = match &field.kind {
            FieldKind::Text if focused => format!("{}█", field.value),
            FieldKind::Text => field.value.clone(),
            FieldKind::Choice(options) if options.is_empty() => "(nothing to choose)".to_owned(),
            FieldKind::Choice(_) | FieldKind::Suggest(_) if !focused => {
                format!("‹ {} ›", field.value)
            }
            FieldKind::Choice(_) => format!("‹ {} ›", field.value),
            FieldKind::Suggest(options) if options.is_empty() => {
                format!("{}{}", field.value, if focused { "█" } else { "" })
            }
            FieldKind::Suggest(_) => format!("‹ {}█ ›", field.value),
        };
        let value_style = if focused {
            theme.style(Role::Input)
        } else {
            theme.style(Role::Text)
        };
        lines.push(Line::from(vec![
            Span::styled(marker, theme.style(Role::Accent)),
            Span::styled(format!("{:<12}", field.label), theme.style(Role::Muted)),
            Span::styled(value, value_style),
            Span::styled(format!("  {}", field.hint), theme.style(Role::Muted)),
        ]));
        match &field.error {
            Some(error) => lines.push(Line::from(Span::styled(
                format!("{:14}✗ {error}", ""),
                theme.style(Role::Error),
            ))),
            None => lines.push(Line::default()),
        }
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(
            format!("✗ {error}"),
            theme.style(Role::Error),
        )));
    }
    let footer = if form.submitting && form.kind == FormKind::CreateTopic {
        "asking policy, then checking the plan with the broker…".to_owned()
    } else if form.submitting {
        "sending to the platform…".to_owned()
    } else if form.kind == FormKind::PortForward {
        format!(
            "pod {} · tab/↑↓ field · ←→ declared ports · enter forward · esc cancel",
            form.about
        )
    } else if form.kind == FormKind::CreateTopic {
        "tab/↑↓ field · ←→ choose · enter check the plan · esc keep as draft".to_owned()
    } else {
        "tab/↑↓ field · ←→ choose · enter send · esc keep as draft".to_owned()
    };
    lines.push(Line::from(Span::styled(footer, theme.style(Role::Muted))));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
