//! `y` and `Y` in every view: each pane says what its selection is as text
//! ([`crate::app::panes::Pane::copy_text`]), and this one place turns that into the
//! clipboard command (OSC 52, carried out by the run loop's host) and the toast that says
//! what was copied.
//!
//! - `y` ([`CopyKind::Key`]) copies the selected row's natural key: a pod's name, a topic,
//!   a trace id, a request id, a backend's query.
//! - `Y` ([`CopyKind::Row`]) copies the whole row: its cells as tab-separated text, or the
//!   JSON/YAML when the pane has the object as such (a request, an audit event, a pod's
//!   YAML through the describe view).
//!
//! Terminals cap what they take in one OSC 52 sequence (hterm and `ChromeOS` 100,000 bytes
//! of sequence, tmux's `set-clipboard` passes about as much, xterm's `allowWindowOps`
//! builds cap lower or higher). The text is cut to [`MAX_COPY_BYTES`], whose base64 stays
//! under 100,000 bytes, at a character boundary, and the toast says so.

use super::msg::Cmd;
use super::state::{PaneId, State, ToastLevel, View};

/// What `y` and `Y` copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKind {
    /// `y`: the selection's natural key (a name, an id).
    Key,
    /// `Y`: the whole row (tab-separated cells, or the object as JSON/YAML).
    Row,
}

/// What a pane hands to the clipboard: the words the toast uses for it ("pod api-7f9c",
/// "the row of topic orders") and the text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub label: String,
    pub text: String,
}

impl Copied {
    #[must_use]
    pub fn new(label: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            text: text.into(),
        }
    }

    /// A key: labelled with what it is and itself (`pod api-7f9c`).
    #[must_use]
    pub fn key(what: &str, key: &str) -> Self {
        Self::new(format!("{what} {}", short(key)), key)
    }

    /// A row's cells, tab-separated, each cleaned to one line with no tab of its own (the
    /// sanitizer makes tabs spaces and newlines visible: a cell with either would shift the
    /// columns when pasted).
    #[must_use]
    pub fn row<S: AsRef<str>>(what: &str, key: &str, cells: &[S]) -> Self {
        let text = cells
            .iter()
            .map(|c| crate::model::clean(c.as_ref()))
            .collect::<Vec<_>>()
            .join("\t");
        Self::new(format!("the row of {what} {}", short(key)), text)
    }

    /// An object as pretty JSON (serde escapes every control character).
    #[must_use]
    pub fn json<T: serde::Serialize>(what: &str, key: &str, value: &T) -> Option<Self> {
        let text = serde_json::to_string_pretty(value).ok()?;
        Some(Self::new(format!("{what} {} as JSON", short(key)), text))
    }
}

/// A key as the toast shows it: its first line, cut to 40 columns (a long query).
fn short(key: &str) -> String {
    let line = key.lines().next().unwrap_or_default();
    let shown = crate::model::text::fit(line, 40);
    if line.len() < key.len() && !shown.ends_with('…') {
        format!("{shown}…")
    } else {
        shown
    }
}

/// The most text one copy sends: its base64 (4 bytes per 3) plus the sequence's 7 bytes
/// stays under 100,000 bytes, the smallest cap of the common terminals that have one.
pub const MAX_COPY_BYTES: usize = 74_994;

/// Cuts `text` to at most `max` bytes at a character boundary; the number of bytes cut
/// away, if any.
#[must_use]
pub fn bounded(mut text: String, max: usize) -> (String, Option<usize>) {
    if text.len() <= max {
        return (text, None);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let total = text.len();
    text.truncate(end);
    (text, Some(total))
}

/// The clipboard command for `copied`, with the toast that says what went there.
pub fn copy_cmd(state: &mut State, copied: Copied) -> Vec<Cmd> {
    copy_with(copied, |level, text| state.toast(level, text))
}

/// The clipboard command for `copied`, telling `toast` what went there (a pane's
/// [`crate::app::ctx::Ctx::toast`], or the state's).
pub fn copy_with(copied: Copied, toast: impl FnOnce(ToastLevel, String)) -> Vec<Cmd> {
    if copied.text.is_empty() {
        toast(
            ToastLevel::Info,
            format!("nothing to copy: {} is empty", copied.label),
        );
        return Vec::new();
    }
    let (text, cut) = bounded(copied.text, MAX_COPY_BYTES);
    match cut {
        None => toast(
            ToastLevel::Info,
            format!("copied {} (OSC 52)", copied.label),
        ),
        Some(total) => toast(
            ToastLevel::Warn,
            format!(
                "copied {}: the first {} of {total} bytes (OSC 52 is capped; the rest is cut)",
                copied.label,
                text.len()
            ),
        ),
    }
    vec![Cmd::Copy(text)]
}

/// `y` / `Y` in the current view: the card copies its service, a pane what its
/// [`crate::app::panes::Pane::copy_text`] says.
pub fn on_copy(state: &mut State, kind: CopyKind) -> Vec<Cmd> {
    let copied = match state.view() {
        View::Card(card) => {
            let service = card.service.clone();
            match kind {
                CopyKind::Key => Some(Copied::key("service", &service)),
                CopyKind::Row => state
                    .panes
                    .catalog
                    .copy_service_row(&service)
                    .or_else(|| Some(Copied::key("service", &service))),
            }
        }
        // The incident view is about the scoped service.
        View::Pane(PaneId::Incident) => state
            .scope
            .clone()
            .map(|service| Copied::key("service", &service)),
        View::Pane(_) => state.pane().copy_text(kind),
    };
    match copied {
        Some(copied) => copy_cmd(state, copied),
        None => {
            let what = match kind {
                CopyKind::Key => "y copies the selected row's key",
                CopyKind::Row => "Y copies the selected row",
            };
            state.toast(
                ToastLevel::Info,
                format!("nothing selected to copy ({what})"),
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_at_a_character_boundary() {
        let text = "é".repeat(10);
        let (cut, total) = bounded(text, 5);
        assert_eq!(cut, "éé");
        assert_eq!(total, Some(20));
        let (whole, none) = bounded("abc".to_owned(), 5);
        assert_eq!((whole.as_str(), none), ("abc", None));
    }

    #[test]
    fn the_cap_keeps_the_sequence_under_100000_bytes() {
        let base64 = MAX_COPY_BYTES.div_ceil(3) * 4;
        assert!(base64 + "\x1b]52;c;\x07".len() <= 100_000);
        assert!((MAX_COPY_BYTES + 3).div_ceil(3) * 4 + 7 > 100_000);
    }

    #[test]
    fn row_cells_are_tab_separated_on_one_line() {
        let row = Copied::row("pod", "api-1", &["api-1", "a\tb", "x\ny", "\u{1b}[2Jz"]);
        assert_eq!(row.label, "the row of pod api-1");
        assert!(!row.text.contains('\n'));
        assert!(!row.text.contains('\u{1b}'));
        assert_eq!(row.text.split('\t').count(), 4);
        assert!(row.text.starts_with("api-1\ta"), "{}", row.text);
    }

    #[test]
    fn a_long_key_is_shortened_in_the_label_only() {
        let query = format!("SELECT {} FROM t\nWHERE x", "a, ".repeat(30));
        let copied = Copied::key("query", &query);
        assert_eq!(copied.text, query);
        assert!(copied.label.ends_with('…'));
        assert!(copied.label.chars().count() < 60);
    }
}
