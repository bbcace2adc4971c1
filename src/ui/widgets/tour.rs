//! The tour panel above the status line: the chapter's steps as ✓/✗, the step to do now,
//! and the explanation of the step just done (or the recap of the chapter just finished).
//! Keys in tour texts are written as `{action}` and shown as the active keymap binds them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::State;
use crate::keymap::{Action, KeyContext, Keymap};
use crate::theme::Role;
use crate::tour::run::{Completed, TourRun};
use crate::tour::spec::fill_keys;

/// Rows the panel takes on a screen `height` rows tall (0 without a tour).
#[must_use]
pub fn panel_rows(state: &State, height: u16) -> u16 {
    crate::app::layout::tour_panel_rows(state.tour.is_some(), height)
}

/// The key bound to `action`, preferring the view's own contexts.
#[must_use]
pub fn key_of(keymap: &Keymap, contexts: &[KeyContext], action: Action) -> String {
    keymap
        .key_for(contexts, action)
        .or_else(|| keymap.key_for(KeyContext::all(), action))
        .map_or_else(
            || format!("({} is unbound)", action.name()),
            |k| k.to_string(),
        )
}

/// A tour text with its `{action}` placeholders replaced by keys.
#[must_use]
pub fn with_keys(state: &State, text: &str) -> String {
    let contexts = state.view().key_contexts();
    // The spec was validated when loaded: a placeholder cannot fail here.
    fill_keys(text, |a| key_of(&state.ui.keymap, contexts, a)).unwrap_or_else(|_| text.to_owned())
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, run: &TourRun) {
    let theme = &state.ui.theme;
    let chapters = run.spec.chapters().len();
    let title = format!(
        " Tour {}/{} ✓ · {} · chapter {}/{}: {} ",
        run.steps_done(),
        run.spec.step_count(),
        run.spec.title,
        run.chapter + 1,
        chapters,
        run.current_chapter().title,
    );
    let block = Block::default()
        .borders(Borders::TOP | Borders::BOTTOM)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(
            crate::ui::text::fit(&title, usize::from(area.width.saturating_sub(2))),
            theme.style(Role::Title),
        ))
        .title_bottom(Line::from(Span::styled(
            " :tour list · :tour skip · :tour stop ",
            theme.style(Role::Muted),
        )));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let mut lines = vec![markers(state, run, inner.width)];
    let current = match run.current_step() {
        Some(step) => Line::from(vec![
            Span::styled(
                format!("▶ {}: ", with_keys(state, &step.title)),
                theme.style(Role::Accent).add_modifier(Modifier::BOLD),
            ),
            Span::styled(with_keys(state, &step.text), theme.style(Role::Text)),
        ]),
        None => Line::from(vec![
            Span::styled(
                "✓ Tour complete. ",
                theme.style(Role::Ok).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                "`:tour` lists the others; `:tour stop` closes this panel.",
                theme.style(Role::Text),
            ),
        ]),
    };
    let after = last_done(state, run);
    // The step to do gets its rows first (markers and two lines), what was just done (up to
    // three lines) the rest; on tall screens the step gets a third line.
    let top_rows = match inner.height {
        7.. => 4,
        4..=6 => 3,
        _ => inner.height,
    };
    lines.push(current);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .style(theme.style(Role::Text)),
        Rect {
            height: top_rows,
            ..inner
        },
    );
    if let Some(after) = after
        && inner.height > top_rows
    {
        frame.render_widget(
            Paragraph::new(after).wrap(Wrap { trim: true }),
            Rect {
                y: inner.y + top_rows,
                height: inner.height - top_rows,
                ..inner
            },
        );
    }
}

/// `✓ 1 title  ✗ 2 title …` for the current chapter, cut to the width.
fn markers(state: &State, run: &TourRun, width: u16) -> Line<'static> {
    let theme = &state.ui.theme;
    let mut spans = Vec::new();
    let mut used = 0usize;
    let room = usize::from(width);
    for (i, step) in run.current_chapter().steps().iter().enumerate() {
        let current = !run.finished && i == run.step;
        let (glyph, role) = if run.done[run.chapter][i] {
            ("✓", Role::Ok)
        } else if run.skipped[run.chapter][i] {
            ("↷", Role::Warn)
        } else {
            ("✗", Role::Muted)
        };
        let label = format!("{glyph} {} {}", i + 1, with_keys(state, &step.title));
        let label = crate::ui::text::fit(&label, 24);
        let width = unicode_width::UnicodeWidthStr::width(label.as_str()) + 2;
        if used + width > room {
            spans.push(Span::styled("…", theme.style(Role::Muted)));
            break;
        }
        used += width;
        let mut style = theme.style(role);
        if current {
            style = theme.style(Role::Selection).add_modifier(Modifier::BOLD);
        }
        spans.push(Span::styled(label, style));
        spans.push(Span::raw("  "));
    }
    Line::from(spans)
}

/// The explanation of the step just done, or the recap of the chapter just finished
/// (which stays until the next step is done).
fn last_done(state: &State, run: &TourRun) -> Option<Line<'static>> {
    let theme = &state.ui.theme;
    match run.last? {
        Completed::Step {
            chapter,
            step: index,
        } => {
            let step = &run.spec.chapters()[chapter].steps()[index];
            let (mark, role) = if run.skipped[chapter][index] {
                ("↷ skipped,", Role::Warn)
            } else {
                ("✓", Role::Ok)
            };
            Some(Line::from(vec![
                Span::styled(
                    format!("{mark} {}: ", with_keys(state, &step.title)),
                    theme.style(role),
                ),
                Span::styled(with_keys(state, &step.done), theme.style(Role::Muted)),
            ]))
        }
        Completed::Chapter(chapter) => {
            let chapter = &run.spec.chapters()[chapter];
            Some(Line::from(vec![
                Span::styled(
                    format!("✓ Recap of “{}”: ", chapter.title),
                    theme.style(Role::Ok).add_modifier(Modifier::BOLD),
                ),
                Span::styled(with_keys(state, &chapter.recap), theme.style(Role::Text)),
            ]))
        }
    }
}

#[cfg(test)]
mod tests {
    use unicode_width::UnicodeWidthStr;

    use crate::keymap::Keymap;
    use crate::tour::library::TourLibrary;
    use crate::tour::spec::fill_keys;

    /// Rows `text` takes when word-wrapped to `width` columns.
    fn rows(text: &str, width: usize) -> usize {
        crate::ui::text::wrap(text, width, usize::MAX).len()
    }

    /// Every step of every shipped tour reads whole in the panel of an 80×24 terminal under
    /// every shipped keymap: the step to do in two rows, what it did in three, a recap in three.
    #[test]
    fn every_shipped_text_fits_the_panel_at_80_columns() {
        let library = TourLibrary::load(None);
        let mut long = Vec::new();
        for (keymap_name, _) in crate::keymap::SHIPPED {
            let keymap = Keymap::load(keymap_name, None).expect("keymap");
            let keys = |text: &str| {
                fill_keys(text, |a| super::key_of(&keymap, &[], a)).expect("valid placeholders")
            };
            for tour in &library.tours {
                for chapter in tour.chapters() {
                    let recap = format!("✓ Recap of “{}”: {}", chapter.title, keys(&chapter.recap));
                    if rows(&recap, 80) > 3 {
                        long.push(format!("{} recap ({keymap_name}): {recap}", tour.name()));
                    }
                    for step in chapter.steps() {
                        let todo = format!("▶ {}: {}", keys(&step.title), keys(&step.text));
                        let done = format!("✓ {}: {}", keys(&step.title), keys(&step.done));
                        if rows(&todo, 80) > 2 {
                            long.push(format!("{} ({keymap_name}): {todo}", tour.name()));
                        }
                        if rows(&done, 80) > 3 {
                            long.push(format!("{} ({keymap_name}): {done}", tour.name()));
                        }
                        let hint = keys(&step.hint);
                        if hint.width() > 40 {
                            long.push(format!("{} hint ({keymap_name}): {hint}", tour.name()));
                        }
                    }
                }
            }
        }
        assert!(
            long.is_empty(),
            "too long for the panel:\n{}",
            long.join("\n")
        );
    }
}
