//! The Argo CD diff view (`d` in `:apps`): per resource a header
//! (`===== group/kind namespace/name (changed) =====`), then its unified diff with the
//! `diff -u` marker column kept (`-` live, `+` desired, ` ` context, `@@` hunks), so it reads
//! under `NO_COLOR`; colour (removed in the error role, added in the ok role) only repeats the
//! markers. Scrolled with the cursor keys; errors (no API server) are shown whole.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::State;
use crate::app::panes::apps::diff::DiffView;
use crate::keymap::Action;
use crate::model::k8s::app_diff::{AppDiff, LineTag};
use crate::theme::{Role, Theme};
use crate::ui::text::key_hints;

fn role(tag: LineTag) -> Role {
    match tag {
        LineTag::Live => Role::Error,
        LineTag::Desired => Role::Ok,
        LineTag::Hunk => Role::Accent,
        LineTag::Context => Role::Text,
        LineTag::Note => Role::Warn,
    }
}

/// The summary line: what a sync would do, and what was left out.
fn summary(diff: &AppDiff) -> String {
    let c = diff.counts();
    let mut parts = vec![format!(
        "{} to create · {} to change · {} to prune · {} unchanged",
        c.create, c.change, c.prune, diff.unchanged
    )];
    if diff.hooks_skipped > 0 {
        parts.push(format!("{} hooks not compared", diff.hooks_skipped));
    }
    if diff.truncated {
        parts.push(format!(
            "cut at {} lines",
            crate::model::k8s::app_diff::MAX_TOTAL_LINES
        ));
    }
    parts.join(" · ")
}

fn body(diff: &AppDiff, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        summary(diff),
        theme.style(Role::Muted),
    ))];
    for why in &diff.unreadable {
        lines.push(Line::from(Span::styled(
            format!("✗ cannot read {why}"),
            theme.style(Role::Error),
        )));
    }
    if diff.resources.is_empty() {
        lines.push(Line::from("no differences: live matches the desired state"));
    }
    for r in &diff.resources {
        lines.push(Line::from(Span::styled(
            format!("===== {} =====", r.header()),
            theme.style(Role::Title).add_modifier(Modifier::BOLD),
        )));
        lines.extend(
            r.lines
                .iter()
                .map(|l| Line::from(Span::styled(l.plain(), theme.style(role(l.tag))))),
        );
    }
    lines
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, view: &DiffView) {
    let theme = &state.ui.theme;
    let hints = key_hints(
        &state.ui.keymap,
        state.view().key_contexts(),
        &[
            (Action::SyncApp, "sync"),
            (Action::Refresh, "reload"),
            (Action::Back, "back"),
        ],
    );
    let title = format!(" Diff {}/{} · - live  + desired ", view.namespace, view.app);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(Span::styled(hints, theme.style(Role::Muted)));
    let lines = match &view.loaded {
        None => vec![Line::from(Span::styled(
            "reading the managed resources…",
            theme.style(Role::Muted),
        ))],
        Some(Err(e)) => vec![Line::from(Span::styled(
            format!("✗ {e}"),
            theme.style(Role::Error),
        ))],
        Some(Ok(diff)) => body(diff, theme),
    };
    let scroll = u16::try_from(view.scroll).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(block),
        area,
    );
}
