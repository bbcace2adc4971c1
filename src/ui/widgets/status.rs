//! The bottom line: each source's health as a glyph and a word (and how long it has been
//! stale or failing), then the latest toast or the key hints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::State;
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::SourceHealth;
use crate::theme::Role;

fn health_role(health: &SourceHealth) -> Role {
    match health {
        SourceHealth::Ok { .. } => Role::Ok,
        SourceHealth::Stale { .. } | SourceHealth::Connecting => Role::Warn,
        SourceHealth::Error { .. } => Role::Error,
        SourceHealth::Off => Role::Muted,
    }
}

/// Room the key hints need (` ? help : cmd / filter q quit `).
const HINTS_WIDTH: usize = 30;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let bar = theme.style(Role::StatusBar);
    // Healthy sources drop the word "ok" (the ✓ still says it) when the line would not
    // otherwise leave room for the key hints; then sources that are off or healthy fold into
    // one count. Problems always keep their name, word and age.
    let sources = |compact: bool, fold: bool| {
        let mut spans = Vec::new();
        if fold {
            let quiet = |h: &SourceHealth| matches!(h, SourceHealth::Ok { .. } | SourceHealth::Off);
            let ok = state
                .health
                .values()
                .filter(|h| matches!(h, SourceHealth::Ok { .. }))
                .count();
            spans.push(Span::styled(
                format!(" ✓ {ok} ok"),
                bar.patch(theme.style(Role::Ok)),
            ));
            for (source, health) in state.health.iter().filter(|(_, h)| !quiet(h)) {
                let age = health
                    .age_secs(state.now)
                    .map(|s| format!(" {s}s"))
                    .unwrap_or_default();
                spans.push(Span::styled(format!(" {} ", source.label()), bar));
                spans.push(Span::styled(
                    format!("{} {}{age}", health.glyph(), health.word()),
                    bar.patch(theme.style(health_role(health))),
                ));
            }
            return spans;
        }
        for (source, health) in &state.health {
            let age = health
                .age_secs(state.now)
                .map(|s| format!(" {s}s"))
                .unwrap_or_default();
            spans.push(Span::styled(format!(" {} ", source.label()), bar));
            let text = if compact && matches!(health, SourceHealth::Ok { .. }) {
                health.glyph().to_owned()
            } else {
                format!("{} {}{age}", health.glyph(), health.word())
            };
            spans.push(Span::styled(
                text,
                bar.patch(theme.style(health_role(health))),
            ));
        }
        spans
    };
    let width_of =
        |spans: &[Span<'_>]| -> usize { spans.iter().map(|s| s.content.chars().count()).sum() };
    let mut spans = sources(false, false);
    if width_of(&spans) + HINTS_WIDTH > usize::from(area.width) {
        spans = sources(true, false);
    }
    if width_of(&spans) + HINTS_WIDTH > usize::from(area.width) {
        spans = sources(true, true);
    }
    let left = width_of(&spans);
    let right: Vec<Span<'_>> = if let Some(toast) = &state.toast {
        let (role, tag) = match toast.level {
            ToastLevel::Info => (Role::Info, "i"),
            ToastLevel::Warn => (Role::Warn, "!"),
            ToastLevel::Error => (Role::Error, "✗"),
        };
        let room = usize::from(area.width).saturating_sub(left + 4);
        let text = crate::ui::text::fit(&toast.text, room.max(10));
        vec![Span::styled(
            format!(" {tag} {text} "),
            bar.patch(theme.style(role)),
        )]
    } else if let Some(step) = state.tour.as_ref().and_then(|t| t.current_step()) {
        // lnav's habit: the tour's hint lives in the status line, where the eye goes.
        let room = usize::from(area.width).saturating_sub(left + 4);
        let hint = super::tour::with_keys(state, &step.hint);
        vec![Span::styled(
            format!(" ▶ {} ", crate::ui::text::fit(&hint, room.max(10))),
            bar.patch(theme.style(Role::KeyHint)),
        )]
    } else {
        let keymap = &state.ui.keymap;
        let contexts = state.view().key_contexts();
        let mut hints = Vec::new();
        for (action, word) in [
            (Action::Help, "help"),
            (Action::Palette, "cmd"),
            (Action::Filter, "filter"),
            (Action::Quit, "quit"),
        ] {
            if let Some(key) = keymap.key_for(contexts, action) {
                hints.push(Span::styled(
                    format!(" {key}"),
                    bar.patch(theme.style(Role::KeyHint)),
                ));
                hints.push(Span::styled(format!(" {word}"), bar));
            }
        }
        hints.push(Span::styled(" ", bar));
        hints
    };
    let right_width: usize = right.iter().map(|s| s.content.chars().count()).sum();
    let gap = usize::from(area.width).saturating_sub(left + right_width);
    if gap > 0 || state.toast.is_some() {
        spans.push(Span::styled(" ".repeat(gap), bar));
        spans.extend(right);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}
