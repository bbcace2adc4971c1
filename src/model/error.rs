//! [`BackendError`]: what went wrong at a backend, typed by kind so that health, backoff and
//! tests branch on the kind and the user still reads the backend's own words.

use std::fmt;

/// The kind of a backend failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Nothing answered: connection refused or reset, DNS, TLS, no backend configured.
    Unreachable,
    /// Something answered too slowly, or not before our deadline.
    Timeout,
    /// The backend did not accept who we are (bad password, expired token).
    Auth,
    /// The backend knows who we are and says no (RBAC, ACL, privilege).
    Denied,
    /// What was asked about does not exist (a topic, a pid, a resource).
    NotFound,
    /// The request itself is wrong (bad config value, invalid name), so a retry cannot help.
    Invalid,
    /// The backend failed in a way none of the above describes.
    Other,
}

impl ErrorKind {
    /// Whether trying again later may succeed without the user changing anything.
    #[must_use]
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Unreachable | Self::Timeout | Self::Other)
    }

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Unreachable => "unreachable",
            Self::Timeout => "timeout",
            Self::Auth => "auth",
            Self::Denied => "denied",
            Self::NotFound => "not found",
            Self::Invalid => "invalid",
            Self::Other => "error",
        }
    }
}

/// A failure at a backend: its kind, and a message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    pub kind: ErrorKind,
    pub message: String,
}

impl BackendError {
    #[must_use]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// No backend of that kind is configured in this context.
    #[must_use]
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unreachable, message)
    }

    /// A failure whose cause the client library does not tell apart.
    #[must_use]
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Other, message)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BackendError {}

/// The message alone, for the places that show text (a toast, a detail line).
impl From<BackendError> for String {
    fn from(e: BackendError) -> Self {
        e.message
    }
}
