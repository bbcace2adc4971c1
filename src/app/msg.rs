//! What `update` consumes ([`Msg`]) and what it asks the run loop to do ([`Cmd`]).

use crossterm::event::Event;
use jiff::Timestamp;

use crate::diagnostic::Diagnostic;
use crate::platform::api::{Request, RequestSpec, VerifyReport};
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
    /// The platform answered a call made for the user.
    PlatformDone(Box<PlatformReply>),
}

/// A call to the platform API made on the user's behalf (each is audited by the platform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformCall {
    Create(RequestSpec),
    Approve(String),
    Reject { id: String, reason: String },
    Verify,
}

/// The answer to a [`PlatformCall`]; errors are messages for the user.
#[derive(Debug, Clone, PartialEq)]
pub enum PlatformReply {
    Created(Result<Request, String>),
    Decided(Result<Request, String>),
    Verified(Result<VerifyReport, String>),
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
    /// Call the platform API; the answer comes back as `Msg::PlatformDone`.
    Platform(PlatformCall),
}
