//! The message history (vim's `:messages`): every toast of the session with its time and
//! level, newest last, bounded. A reason cleared from the status line by the next key stays
//! readable in full here. Also the keys of the `:messages` dialog.

use std::collections::VecDeque;

use crossterm::event::KeyEvent;
use jiff::Timestamp;

use super::state::{Modal, State, ToastLevel};

/// One toast as it was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `state.now` when it was shown.
    pub time: Timestamp,
    pub level: ToastLevel,
    pub text: String,
}

/// The last [`Messages::CAP`] toasts, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Messages {
    entries: VecDeque<Message>,
    dropped: usize,
}

impl Messages {
    /// At most this many are kept; older ones are dropped (and counted).
    pub const CAP: usize = 500;

    pub fn push(&mut self, time: Timestamp, level: ToastLevel, text: &str) {
        if self.entries.len() == Self::CAP {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(Message {
            time,
            level,
            text: text.to_owned(),
        });
    }

    /// Oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Message> {
        self.entries.iter()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many older messages were dropped to stay within the cap.
    #[must_use]
    pub fn dropped(&self) -> usize {
        self.dropped
    }
}

/// Columns before a message's text: `HH:MM:SS ✗ error `.
pub const PREFIX: usize = 18;

/// One screen row of the `:messages` dialog, before styling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row<'a> {
    /// How many older messages were dropped.
    Dropped(usize),
    /// The history is empty.
    Empty,
    /// A message's first row, with its time and level.
    First(&'a Message, String),
    /// A message's further rows.
    More(String),
}

/// The dialog's rows: every message wrapped to a dialog `width` columns wide inside.
#[must_use]
pub fn rows(messages: &Messages, width: u16) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    if messages.dropped() > 0 {
        out.push(Row::Dropped(messages.dropped()));
    }
    if messages.is_empty() {
        out.push(Row::Empty);
    }
    let text_width = usize::from(width).saturating_sub(PREFIX).max(10);
    for message in messages.iter() {
        for (i, row) in crate::model::text::wrap_all(&message.text, text_width)
            .into_iter()
            .enumerate()
        {
            out.push(if i == 0 {
                Row::First(message, row)
            } else {
                Row::More(row)
            });
        }
    }
    out
}

/// The largest first row on the current screen (the view of the newest messages).
#[must_use]
pub fn max_scroll(state: &State) -> usize {
    let (width, height) = state.size;
    let inner = super::layout::inside(super::layout::messages_dialog(ratatui::layout::Rect::new(
        0, 0, width, height,
    )));
    rows(&state.messages, inner.width)
        .len()
        .saturating_sub(usize::from(inner.height))
}

/// `:messages`: opens the history scrolled to its end (the newest).
pub fn open(state: &mut State) {
    let scroll = max_scroll(state);
    state.modal = Some(Modal::Messages { scroll });
    state.dirty = true;
}

/// Keys while `:messages` is open: j/k, page up/down, g/G scroll; esc, q or enter close.
pub fn key(state: &mut State, key: KeyEvent) {
    let Some(Modal::Messages { scroll }) = state.modal else {
        return;
    };
    state.dirty = true;
    let max = max_scroll(state);
    let page = usize::from(state.size.1.saturating_sub(6)).max(1);
    state.modal = match super::scroll::scroll_key(key, scroll, page, max) {
        super::scroll::Scroll::To(scroll) => Some(Modal::Messages { scroll }),
        super::scroll::Scroll::Close => None,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_cap_messages_in_order() {
        let mut messages = Messages::default();
        let now = Timestamp::UNIX_EPOCH;
        for i in 0..Messages::CAP + 3 {
            messages.push(now, ToastLevel::Info, &format!("m{i}"));
        }
        assert_eq!(messages.len(), Messages::CAP);
        assert_eq!(messages.dropped(), 3);
        assert_eq!(messages.iter().next().map(|m| m.text.as_str()), Some("m3"));
        let last = messages.iter().last().map(|m| m.text.clone());
        assert_eq!(last, Some(format!("m{}", Messages::CAP + 2)));
    }
}
