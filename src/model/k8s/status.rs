//! The status and kind glyphs shared by the Argo CD, rollout and workload panes. They copy the
//! `kubectl argo rollouts` plugin (argoproj/argo-rollouts, pkg/kubectl-argo-rollouts/info/info.go
//! and cmd/get/get.go) so users who know the plugin read them at once, and every status
//! carries a word as well: colour is never the only signal.

use std::fmt;

/// The plugin's status icon set (`info/info.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusIcon {
    Ok,
    Bad,
    Progressing,
    Waiting,
    Warning,
    Paused,
    Neutral,
    Unknown,
}

impl StatusIcon {
    #[must_use]
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Ok => "✔",
            Self::Bad => "✖",
            Self::Progressing => "◌",
            Self::Waiting => "◷",
            Self::Warning => "⚠",
            Self::Paused => "॥",
            Self::Neutral => "•",
            Self::Unknown => "?",
        }
    }
}

/// A glyph plus the word that says the same thing, e.g. `✔ Healthy`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusLabel {
    pub icon: StatusIcon,
    pub word: String,
}

impl StatusLabel {
    #[must_use]
    pub fn new(icon: StatusIcon, word: impl Into<String>) -> Self {
        Self {
            icon,
            word: word.into(),
        }
    }
}

impl fmt::Display for StatusLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.icon.glyph(), self.word)
    }
}

/// The plugin's kind icons (`cmd/get/get.go`). A plain Deployment has no icon of its own in
/// the plugin; it shares the Rollout's because both are "a workload that rolls".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindIcon {
    Rollout,
    Deployment,
    Revision,
    ReplicaSet,
    Pod,
    Job,
    Service,
    Experiment,
    AnalysisRun,
    /// Canary steps, blue-green services and events have no plugin icon; a neutral bullet.
    Detail,
}

impl KindIcon {
    #[must_use]
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Rollout | Self::Deployment => "⟳",
            Self::Revision => "#",
            Self::ReplicaSet => "⧉",
            Self::Pod => "□",
            Self::Job => "⊞",
            Self::Service => "⑃",
            Self::Experiment => "Σ",
            Self::AnalysisRun => "α",
            Self::Detail => "·",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_print_glyph_and_word() {
        assert_eq!(
            StatusLabel::new(StatusIcon::Paused, "Paused").to_string(),
            "॥ Paused"
        );
        assert_eq!(KindIcon::AnalysisRun.glyph(), "α");
    }
}
