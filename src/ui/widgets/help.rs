//! Help generated from the active keymap: this view's keys, then the global ones, then the
//! custom commands of this pane (`commands.toml`), then the palette commands. Dangerous
//! actions and dangerous custom commands are left out in read-only mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr as _;

use super::popup;
use crate::app::{PaneId, State};
use crate::keymap::{KeyContext, Keymap};
use crate::model::text::wrap_all;
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

/// One row of the help before it is fitted to the popup's width.
enum Row {
    Title(String),
    Entry(String, String),
    Blank,
}

/// Width of the keys column, including its two-space indent.
const KEYS_COLUMN: usize = 20;

fn rows(state: &State) -> Vec<Row> {
    let contexts = state.view().key_contexts();
    let mut rows = Vec::new();
    for (title, entries) in sections(&state.ui.keymap, contexts, state.readonly) {
        rows.push(Row::Title(title));
        rows.extend(entries.into_iter().map(|(k, d)| Row::Entry(k, d)));
        rows.push(Row::Blank);
    }
    if let crate::app::View::Pane(pane) = *state.view() {
        let custom: Vec<Row> = state
            .ui
            .commands
            .for_pane(pane, state.readonly)
            .map(|c| {
                let mut text = c.description.clone();
                if c.dangerous {
                    text.push_str(" (dangerous: confirmed and audited)");
                } else if c.audited {
                    text.push_str(" (audited)");
                }
                Row::Entry(c.key.to_string(), format!("{text}: {}", c.template))
            })
            .collect();
        if !custom.is_empty() {
            rows.push(Row::Title(format!(
                "custom commands ({})",
                state.ui.commands.file()
            )));
            rows.extend(custom);
            rows.push(Row::Blank);
        }
    }
    rows.push(Row::Title("palette commands (:)".to_owned()));
    for pane in PaneId::ALL {
        rows.push(Row::Entry(
            format!(":{}", pane.command()),
            format!("{} (also {})", pane.title(), pane.aliases().join(", ")),
        ));
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
        rows.push(Row::Entry(command.to_owned(), description.to_owned()));
    }
    rows
}

/// The width the help needs to show every row on one line.
fn natural_width(rows: &[Row]) -> usize {
    rows.iter()
        .map(|row| match row {
            Row::Title(t) => t.width(),
            Row::Entry(k, d) => KEYS_COLUMN.max(k.width() + 3) + d.width(),
            Row::Blank => 0,
        })
        .max()
        .unwrap_or(0)
}

/// The rows laid out for `width` columns: a description too long for the line wraps under
/// itself (never cut), and keys too long for their column push the description to the
/// next line.
fn lines(rows: Vec<Row>, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let keys_style = theme.style(Role::KeyHint);
    let text_style = theme.style(Role::Text);
    let mut out = Vec::new();
    for row in rows {
        match row {
            Row::Title(title) => {
                out.push(Line::from(Span::styled(title, theme.style(Role::Title))));
            }
            Row::Blank => out.push(Line::default()),
            Row::Entry(keys, description) => {
                let keys = format!("  {keys}");
                let indent = if width > KEYS_COLUMN + 10 {
                    KEYS_COLUMN
                } else {
                    4
                };
                let wrapped = wrap_all(&description, width.saturating_sub(indent).max(1));
                let mut wrapped = wrapped.into_iter();
                if keys.width() < indent {
                    let first = wrapped.next().unwrap_or_default();
                    out.push(Line::from(vec![
                        Span::styled(format!("{keys:<indent$}"), keys_style),
                        Span::styled(first, text_style),
                    ]));
                } else {
                    out.push(Line::from(Span::styled(keys, keys_style)));
                }
                out.extend(wrapped.map(|rest| {
                    Line::from(vec![
                        Span::raw(" ".repeat(indent)),
                        Span::styled(rest, text_style),
                    ])
                }));
            }
        }
    }
    out
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, scroll: usize) {
    let theme = &state.ui.theme;
    let rows = rows(state);
    // As wide as the longest row needs (plus the frame), within the screen: a wide terminal
    // shows every description whole, a narrow one wraps them.
    let wanted = u16::try_from(natural_width(&rows) + 2)
        .unwrap_or(u16::MAX)
        .max(60);
    let rect = popup::centered(area, wanted, area.height.saturating_sub(2), 1);
    let inner = popup::frame(frame, rect, "help · esc closes · j/k scroll", theme);
    let all = lines(rows, usize::from(inner.width), theme);
    let max_scroll = all.len().saturating_sub(usize::from(inner.height));
    let scroll = u16::try_from(scroll.min(max_scroll)).unwrap_or(0);
    frame.render_widget(Paragraph::new(all).scroll((scroll, 0)), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::ColorDepth;

    fn mono() -> Theme {
        Theme::shipped("mono", ColorDepth::Mono)
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("mono theme"))
    }

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn a_long_description_wraps_under_itself_and_nothing_is_cut() {
        let description =
            "show the plan first, then terminate the selected backend through the audit gate";
        let rows = vec![
            Row::Title("this view".into()),
            Row::Entry("ctrl-k".into(), description.into()),
            Row::Entry("a-very-long-key-combination".into(), "short".into()),
        ];
        let wide = natural_width(&rows);
        let at_wide = text(&lines(
            vec![Row::Entry("ctrl-k".into(), description.into())],
            wide,
            &mono(),
        ));
        assert_eq!(
            at_wide.len(),
            1,
            "one line when the screen allows: {at_wide:?}"
        );
        let narrow = text(&lines(rows, 50, &mono()));
        assert!(narrow.iter().all(|l| l.width() <= 50), "{narrow:#?}");
        let joined: Vec<&str> = narrow[1..]
            .iter()
            .take_while(|l| !l.contains("a-very-long"))
            .flat_map(|l| l.split_whitespace())
            .collect();
        assert_eq!(joined[1..].join(" "), description, "{narrow:#?}");
        assert!(
            narrow
                .iter()
                .any(|l| l.trim() == "a-very-long-key-combination")
        );
        assert!(narrow.iter().any(|l| l.trim() == "short"));
    }
}
