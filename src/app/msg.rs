//! What `update` consumes ([`Msg`]) and what it asks the run loop to do ([`Cmd`]).

use crossterm::event::Event;
use jiff::Timestamp;

use crate::diagnostic::Diagnostic;
use crate::sources::{SourceEvent, SourceId};
use crate::theme::Theme;

/// Input to `update`.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A terminal event (key, resize, paste).
    Input(Event),
    Source(SourceEvent),
    /// A theme loaded for `:theme`.
    ThemeLoaded(Result<Box<Theme>, Diagnostic>),
    /// The clock, stamped by the run loop on each batch.
    Now(Timestamp),
}

/// Requests from `update` to the run loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Quit,
    /// Stop the current context's sources and start `name`'s with `generation`.
    SwitchContext {
        name: String,
        generation: u64,
    },
    /// Tell every source to narrow to one service (`None` = all).
    SetScope(Option<String>),
    Refresh(Vec<SourceId>),
    /// Load a theme by name (files may be read).
    LoadTheme(String),
    /// Ctrl-Z: give the terminal back to the shell until resumed.
    Suspend,
}
