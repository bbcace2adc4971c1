//! The bottom line: each source's health as a glyph and a word (and how long it has been
//! stale or failing), then the latest toast (when it fits; a longer one is wrapped above
//! the line by `widgets::toast`) or the key hints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::app::State;
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

/// The source-health part of the status line for a line `width` columns wide.
fn source_spans(state: &State, width: u16) -> Vec<Span<'static>> {
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
    let mut spans = sources(false, false);
    if width_of(&spans) + HINTS_WIDTH > usize::from(width) {
        spans = sources(true, false);
    }
    if width_of(&spans) + HINTS_WIDTH > usize::from(width) {
        spans = sources(true, true);
    }
    spans
}

fn width_of(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

/// Whether the toast fits on a status line `width` columns wide; a longer one is wrapped
/// above the status line (`widgets::toast`), which then shows its usual hints.
#[must_use]
pub fn toast_inline(state: &State, width: u16) -> bool {
    let Some(toast) = &state.toast else {
        return false;
    };
    let room = usize::from(width).saturating_sub(width_of(&source_spans(state, width)) + 4);
    toast.text.width() <= room
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let bar = theme.style(Role::StatusBar);
    let mut spans = source_spans(state, area.width);
    let inline = toast_inline(state, area.width);
    let left = width_of(&spans);
    let right: Vec<Span<'_>> = if let Some(toast) = state.toast.as_ref().filter(|_| inline) {
        let (role, tag, _) = super::toast::tag(toast.level);
        vec![Span::styled(
            format!(" {tag} {} ", toast.text),
            bar.patch(theme.style(role)),
        )]
    } else if let Some(hint) = crate::app::keyseq::pending_hint(state) {
        // A sequence's first key waits for its second: say what each completes.
        let room = usize::from(area.width).saturating_sub(left + 4);
        vec![Span::styled(
            format!(" {} ", crate::ui::text::fit(&hint, room.max(10))),
            bar.patch(theme.style(Role::KeyHint)),
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
    let right_width = width_of(&right);
    let gap = usize::from(area.width).saturating_sub(left + right_width);
    if gap > 0 || inline {
        spans.push(Span::styled(" ".repeat(gap), bar));
        spans.extend(right);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}
