//! The confirmation dialog: the target's details, notes (warnings carry a `!`), the name to
//! type for irreversible actions, and the reason for the audit trail.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::popup;
use crate::app::State;
use crate::app::modal::confirm::{Confirm, ConfirmField, NoteLevel, PolicyView};
use crate::app::modal::decide::Decide;
use crate::theme::Role;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, confirm: &Confirm) {
    let theme = &state.ui.theme;
    let name_rows = u16::from(confirm.required_name().is_some());
    // Notes wrap: count the rows they take at the dialog's inner width.
    let policy = policy_line(&confirm.policy);
    let note_rows: usize = confirm
        .notes
        .iter()
        .map(|(_, n)| n)
        .chain(policy.as_ref().map(|(_, text)| text))
        .map(|n| n.chars().count() / 72 + 1)
        .sum();
    let height = u16::try_from(confirm.details.len() + note_rows).unwrap_or(20) + 7 + name_rows;
    let rect = popup::centered(area, 78, height, 2);
    let title = if confirm.request.dangerous() {
        format!("⚠ {} ", confirm.title)
    } else {
        confirm.title.clone()
    };
    let inner = popup::frame(frame, rect, &title, theme);
    // Labels line up on the longest one (config keys run long), with at least one space.
    let label_width = label_width(&confirm.details);
    let mut lines: Vec<Line<'static>> = confirm
        .details
        .iter()
        .map(|(label, value)| {
            Line::from(vec![
                Span::styled(format!("{label:<label_width$}"), theme.style(Role::Muted)),
                Span::styled(value.clone(), theme.style(Role::Text)),
            ])
        })
        .collect();
    for (level, note) in &confirm.notes {
        let (glyph, role) = match level {
            NoteLevel::Info => ("i", Role::Info),
            NoteLevel::Warn => ("!", Role::Warn),
        };
        lines.push(Line::from(Span::styled(
            format!("{glyph} {note}"),
            theme.style(role),
        )));
    }
    if let Some((role, text)) = policy {
        lines.push(Line::from(Span::styled(text, theme.style(role))));
    }
    lines.push(Line::default());
    let cursor = |field: ConfirmField| if confirm.field == field { "█" } else { "" };
    if let Some(name) = confirm.required_name() {
        lines.push(Line::from(vec![
            Span::styled(format!("type {name} to confirm: "), theme.style(Role::Warn)),
            Span::styled(
                format!("{}{}", confirm.typed_name, cursor(ConfirmField::Name)),
                theme.style(Role::Input),
            ),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("reason (audited): ", theme.style(Role::Muted)),
        Span::styled(
            format!("{}{}", confirm.reason, cursor(ConfirmField::Reason)),
            theme.style(Role::Input),
        ),
    ]));
    if let Some(error) = &confirm.error {
        lines.push(Line::from(Span::styled(
            format!("✗ {error}"),
            theme.style(Role::Error),
        )));
    }
    let footer = match &confirm.policy {
        PolicyView::Denied(_) => "esc: close (policy denies this action)".to_owned(),
        PolicyView::NeedsApproval(_) => format!(
            "enter: ask an approver for {} · esc: cancel",
            confirm.request.action_name()
        ),
        _ => format!(
            "enter: {} through the audit gate · esc: cancel",
            confirm.request.action_name()
        ),
    };
    lines.push(Line::from(Span::styled(footer, theme.style(Role::Muted))));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The policy's answer as one line: a glyph and words, never colour alone.
fn policy_line(policy: &PolicyView) -> Option<(Role, String)> {
    Some(match policy {
        PolicyView::NotAsked => return None,
        PolicyView::Asking => (Role::Muted, "… asking the platform's policy".to_owned()),
        PolicyView::Allowed(reason) => (Role::Ok, format!("✓ policy allows it: {reason}")),
        PolicyView::NeedsApproval(reason) => (
            Role::Warn,
            format!("◐ needs approval: {reason}; enter files a request, nothing runs yet"),
        ),
        PolicyView::Approved(approval) => (
            Role::Ok,
            format!("✓ approved ({approval}): enter runs it now and uses the approval"),
        ),
        PolicyView::Denied(reason) => (Role::Error, format!("✗ policy denies it: {reason}")),
        PolicyView::Blocked(reason) => (Role::Error, format!("✗ {reason}")),
        PolicyView::Unknown(reason) => (
            Role::Warn,
            format!("? could not ask the policy ({reason}); the audit gate decides on enter"),
        ),
    })
}

/// The dialog of an approver's decision, drawn like an action's confirmation: what is
/// decided (kind, name, requester, every parameter), the reason of a rejection, and the keys.
pub fn render_decide(frame: &mut Frame<'_>, area: Rect, state: &State, decide: &Decide) {
    let theme = &state.ui.theme;
    let details = decide.details();
    let label_width = label_width(&details);
    let rect = popup::centered(area, 78, 1, 2);
    // Rows wrap at the dialog's inner width: count them so nothing is cut.
    let inner_width = usize::from(rect.width.saturating_sub(2)).max(1);
    let mut lines: Vec<Line<'static>> = details
        .into_iter()
        .map(|(label, value)| {
            Line::from(vec![
                Span::styled(format!("{label:<label_width$}"), theme.style(Role::Muted)),
                Span::styled(crate::model::clean(&value), theme.style(Role::Text)),
            ])
        })
        .collect();
    lines.push(Line::default());
    if !decide.approve {
        lines.push(Line::from(vec![
            Span::styled("reason (audited): ", theme.style(Role::Muted)),
            Span::styled(format!("{}█", decide.reason), theme.style(Role::Input)),
        ]));
    }
    if let Some(error) = &decide.error {
        lines.push(Line::from(Span::styled(
            format!("✗ {error}"),
            theme.style(Role::Error),
        )));
    }
    let footer = if decide.approve {
        "enter: approve (the platform starts fulfilment) · esc: cancel"
    } else {
        "enter: reject with this reason · esc: cancel"
    };
    lines.push(Line::from(Span::styled(footer, theme.style(Role::Muted))));
    // Counted with word wrapping, as the paragraph wraps, so the footer is never cut.
    let rows: usize = lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            crate::ui::text::wrap_all(&text, inner_width).len()
        })
        .sum();
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let rect = popup::centered(area, 78, height, 2);
    let title = format!(
        "{} {} request {}",
        decide.verb(),
        decide.request.spec.kind(),
        decide.request.spec.target().name
    );
    let inner = popup::frame(frame, rect, &title, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The width labels line up on: the longest one (config keys run long), kept between 9
/// and 30 columns, and one space.
fn label_width(details: &[(String, String)]) -> usize {
    details
        .iter()
        .map(|(l, _)| unicode_width::UnicodeWidthStr::width(l.as_str()))
        .max()
        .unwrap_or(0)
        .clamp(9, 30)
        + 1
}
