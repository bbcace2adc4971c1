//! The keys of a read-only scrolling view (`:messages`, a custom command's output): one
//! mapping, so every such view scrolls and closes alike.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does to a scrolling view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    /// Show from this line (already clamped to the last page).
    To(usize),
    /// Close the view: esc, q, enter or ctrl-c.
    Close,
}

/// j/k and arrows move a line; space, page keys and ctrl-f/b/d/u a page; g/G and home/end
/// go to either end. `page` lines are shown and `max` is the last first line.
#[must_use]
pub fn scroll_key(key: KeyEvent, current: usize, page: usize, max: usize) -> Scroll {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let current = current.min(max);
    let next = match key.code {
        KeyCode::Down | KeyCode::Char('j') => current + 1,
        KeyCode::Up | KeyCode::Char('k') => current.saturating_sub(1),
        KeyCode::Char('f' | 'd') if ctrl => current + page,
        KeyCode::Char('b' | 'u') if ctrl => current.saturating_sub(page),
        KeyCode::Char('c') if ctrl => return Scroll::Close,
        KeyCode::PageDown | KeyCode::Char(' ') => current + page,
        KeyCode::PageUp => current.saturating_sub(page),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => max,
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => return Scroll::Close,
        _ => current,
    };
    Scroll::To(next.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers, current: usize) -> Scroll {
        scroll_key(KeyEvent::new(code, modifiers), current, 10, 25)
    }

    #[test]
    fn lines_pages_ends_and_close() {
        let none = KeyModifiers::NONE;
        assert_eq!(press(KeyCode::Char('j'), none, 3), Scroll::To(4));
        assert_eq!(press(KeyCode::Char('k'), none, 0), Scroll::To(0));
        assert_eq!(press(KeyCode::Char(' '), none, 20), Scroll::To(25));
        assert_eq!(
            press(KeyCode::Char('d'), KeyModifiers::CONTROL, 3),
            Scroll::To(13)
        );
        assert_eq!(press(KeyCode::Char('G'), none, 0), Scroll::To(25));
        assert_eq!(press(KeyCode::Char('g'), none, 9), Scroll::To(0));
        assert_eq!(press(KeyCode::Char('x'), none, 99), Scroll::To(25));
        assert_eq!(press(KeyCode::Esc, none, 3), Scroll::Close);
        assert_eq!(
            press(KeyCode::Char('c'), KeyModifiers::CONTROL, 3),
            Scroll::Close
        );
    }
}
