//! Help generated from the active keymap: this view's keys, then the global ones, then the
//! palette commands. Dangerous actions are left out in read-only mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::popup;
use crate::app::{PaneId, State};
use crate::keymap::{KeyContext, Keymap};
use crate::theme::{Role, Theme};

/// Help lines for a set of contexts (most specific first), as `(keys, description)` rows
/// grouped under headings. Public so `opsdeck keys` and tests share it.
#[must_use]
pub fn sections(
    keymap: &Keymap,
    contexts: &[KeyContext],
    readonly: bool,
) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    for context in contexts {
        let rows: Vec<(String, String)> = keymap
            .context(*context)
            .iter()
            .filter(|(action, keys)| !(keys.is_empty() || readonly && action.is_dangerous()))
            .map(|(action, keys)| {
                let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
                (keys.join(", "), action.description().to_owned())
            })
            .collect();
        if !rows.is_empty() {
            let title = if *context == KeyContext::Global {
                "global".to_owned()
            } else {
                format!("this view ({})", context.name())
            };
            out.push((title, rows));
        }
    }
    out
}

fn lines(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let contexts = state.view().key_contexts();
    let mut lines = Vec::new();
    for (title, rows) in sections(&state.ui.keymap, contexts, state.readonly) {
        lines.push(Line::from(Span::styled(title, theme.style(Role::Title))));
        for (keys, description) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<18}"), theme.style(Role::KeyHint)),
                Span::styled(description, theme.style(Role::Text)),
            ]));
        }
        lines.push(Line::default());
    }
    lines.push(Line::from(Span::styled(
        "palette commands (:)",
        theme.style(Role::Title),
    )));
    for pane in PaneId::ALL {
        let aliases = pane.aliases().join(", ");
        lines.push(Line::from(vec![
            Span::styled(
                format!("  :{:<17}", pane.command()),
                theme.style(Role::KeyHint),
            ),
            Span::styled(
                format!("{} (also {aliases})", pane.title()),
                theme.style(Role::Text),
            ),
        ]));
    }
    for (command, description) in [
        (":ctx <name>", "switch context (environment)"),
        (":theme <name>", "switch theme"),
        (
            ":scope <svc|all>",
            "scope every pane to a service, or clear",
        ),
        (":tour [name]", "the guided tours; :tour skip, :tour stop"),
        (
            ":messages",
            "every message of this session, in full, with its time",
        ),
        (":q", "quit"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {command:<18}"), theme.style(Role::KeyHint)),
            Span::styled(description, theme.style(Role::Text)),
        ]));
    }
    lines
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, scroll: usize) {
    let theme = &state.ui.theme;
    let rect = popup::centered(area, 76, area.height.saturating_sub(2), 1);
    let inner = popup::frame(frame, rect, "help · esc closes · j/k scroll", theme);
    let all = lines(state, theme);
    let max_scroll = all.len().saturating_sub(usize::from(inner.height));
    let scroll = u16::try_from(scroll.min(max_scroll)).unwrap_or(0);
    frame.render_widget(Paragraph::new(all).scroll((scroll, 0)), inner);
}
