//! Health of one source as the status line shows it: always a glyph and a word, never colour
//! alone.

use jiff::Timestamp;

/// What the app knows about a source's freshness.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SourceHealth {
    /// No data yet.
    #[default]
    Connecting,
    /// Last poll succeeded.
    Ok { at: Timestamp },
    /// The source is still trying, but the data shown is older than it should be.
    Stale { since: Timestamp, reason: String },
    /// The last attempt failed. `last_good` is when the kept data was fetched.
    Error {
        message: String,
        since: Timestamp,
        last_good: Option<Timestamp>,
    },
    /// Not configured in this context.
    Off,
}

impl SourceHealth {
    /// Glyph shown before the word in the status line.
    #[must_use]
    pub fn glyph(&self) -> &'static str {
        match self {
            Self::Connecting => "…",
            Self::Ok { .. } => "✓",
            Self::Stale { .. } => "◐",
            Self::Error { .. } => "✗",
            Self::Off => "·",
        }
    }

    /// One word that says the same as the glyph.
    #[must_use]
    pub fn word(&self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Ok { .. } => "ok",
            Self::Stale { .. } => "stale",
            Self::Error { .. } => "error",
            Self::Off => "off",
        }
    }

    /// Seconds since the problem started, relative to `now` (which comes from a message, not
    /// from the clock: rendering never reads the time).
    #[must_use]
    pub fn age_secs(&self, now: Timestamp) -> Option<i64> {
        let since = match self {
            Self::Stale { since, .. } | Self::Error { since, .. } => *since,
            _ => return None,
        };
        Some(now.duration_since(since).as_secs().max(0))
    }
}
