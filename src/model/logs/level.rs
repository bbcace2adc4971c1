//! Log levels: the six-step scale every format is mapped onto, the vocabulary that maps words
//! and numbers onto it, and the set of levels a view shows.

/// Severity of one line. Ordered, so `level >= Level::Warn` reads naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// Short upper-case label for a level column.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
            Self::Fatal => "FATAL",
        }
    }

    /// Maps a level word, case-insensitively, using lnav's vocabulary plus the Go and Python
    /// spellings (`dpanic`, `critical`, `warning`). Single letters (`E`, `W`, ...) are accepted
    /// here; callers that scan free text decide whether a single letter is really a level.
    #[must_use]
    pub fn from_word(word: &str) -> Option<Self> {
        // Longest accepted word is "informational" (13); anything longer is not a level.
        let bytes = word.as_bytes();
        if bytes.is_empty() || bytes.len() > 13 {
            return None;
        }
        let mut lower = [0u8; 13];
        for (slot, b) in lower.iter_mut().zip(bytes) {
            *slot = b.to_ascii_lowercase();
        }
        let level = match &lower[..bytes.len()] {
            b"trace" | b"trc" | b"verbose" | b"finest" | b"t" | b"v" => Self::Trace,
            b"debug" | b"dbg" | b"d" | b"fine" | b"debug1" | b"debug2" | b"debug3" | b"debug4"
            | b"debug5" => Self::Debug,
            b"info" | b"inf" | b"i" | b"information" | b"informational" | b"notice" | b"note" => {
                Self::Info
            }
            b"warn" | b"warning" | b"wrn" | b"w" => Self::Warn,
            b"error" | b"err" | b"eror" | b"e" | b"severe" | b"fail" | b"failure" => Self::Error,
            b"fatal" | b"critical" | b"crit" | b"panic" | b"dpanic" | b"alert" | b"emerg"
            | b"emergency" | b"f" | b"c" => Self::Fatal,
            _ => return None,
        };
        Some(level)
    }

    /// Maps a bunyan/pino numeric level (10 trace, 20 debug, 30 info, 40 warn, 50 error,
    /// 60 fatal). Numbers below 10 are left alone: syslog (0..7) and OTLP (1..24) use the same
    /// small numbers with different meanings, so guessing would mislabel lines.
    #[must_use]
    pub fn from_number(n: u64) -> Option<Self> {
        let level = match n {
            0..=9 => return None,
            10..=19 => Self::Trace,
            20..=29 => Self::Debug,
            30..=39 => Self::Info,
            40..=49 => Self::Warn,
            50..=59 => Self::Error,
            _ => Self::Fatal,
        };
        Some(level)
    }
}

/// The groups a user toggles in the logs pane. Trace folds into debug and fatal into error,
/// because a view with six toggles is noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LevelGroup {
    Error,
    Warn,
    Info,
    Debug,
    /// Lines whose level could not be determined (stack-trace continuations, banners).
    Unknown,
}

impl LevelGroup {
    /// The group a line's level belongs to.
    #[must_use]
    pub fn of(level: Option<Level>) -> Self {
        match level {
            Some(Level::Fatal | Level::Error) => Self::Error,
            Some(Level::Warn) => Self::Warn,
            Some(Level::Info) => Self::Info,
            Some(Level::Debug | Level::Trace) => Self::Debug,
            None => Self::Unknown,
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::Error => 1,
            Self::Warn => 2,
            Self::Info => 4,
            Self::Debug => 8,
            Self::Unknown => 16,
        }
    }
}

/// Which level groups a view shows. A bit set, so the filter loop checks it with one AND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelSet(u8);

impl LevelSet {
    /// Every group, including lines without a level.
    pub const ALL: Self = Self(31);
    /// Nothing; useful as a start for building a set with [`LevelSet::with`].
    pub const NONE: Self = Self(0);

    /// This set with `group` added.
    #[must_use]
    pub fn with(self, group: LevelGroup) -> Self {
        Self(self.0 | group.bit())
    }

    /// Flips one group on or off.
    pub fn toggle(&mut self, group: LevelGroup) {
        self.0 ^= group.bit();
    }

    /// Whether `group` is shown.
    #[must_use]
    pub fn shows(self, group: LevelGroup) -> bool {
        self.0 & group.bit() != 0
    }

    /// Whether a line with this level is shown.
    #[must_use]
    pub fn contains(self, level: Option<Level>) -> bool {
        self.shows(LevelGroup::of(level))
    }

    /// Whether the set lets every line through, so filters can skip the level check.
    #[must_use]
    pub fn is_all(self) -> bool {
        self == Self::ALL
    }
}

impl Default for LevelSet {
    fn default() -> Self {
        Self::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_map_case_insensitively() {
        assert_eq!(Level::from_word("ERROR"), Some(Level::Error));
        assert_eq!(Level::from_word("Err"), Some(Level::Error));
        assert_eq!(Level::from_word("warning"), Some(Level::Warn));
        assert_eq!(Level::from_word("W"), Some(Level::Warn));
        assert_eq!(Level::from_word("dbg"), Some(Level::Debug));
        assert_eq!(Level::from_word("CRITICAL"), Some(Level::Fatal));
        assert_eq!(Level::from_word("panic"), Some(Level::Fatal));
        assert_eq!(Level::from_word("trace"), Some(Level::Trace));
        assert_eq!(Level::from_word("informational"), Some(Level::Info));
        assert_eq!(Level::from_word("hello"), None);
        assert_eq!(Level::from_word(""), None);
        assert_eq!(Level::from_word("informationalx"), None);
    }

    #[test]
    fn bunyan_numbers_map_and_small_numbers_do_not() {
        assert_eq!(Level::from_number(10), Some(Level::Trace));
        assert_eq!(Level::from_number(30), Some(Level::Info));
        assert_eq!(Level::from_number(50), Some(Level::Error));
        assert_eq!(Level::from_number(60), Some(Level::Fatal));
        assert_eq!(Level::from_number(3), None);
    }

    #[test]
    fn level_set_toggles_groups() {
        let mut set = LevelSet::ALL;
        assert!(set.is_all());
        set.toggle(LevelGroup::Debug);
        assert!(!set.contains(Some(Level::Trace)));
        assert!(!set.contains(Some(Level::Debug)));
        assert!(set.contains(Some(Level::Fatal)));
        assert!(set.contains(None));
        set.toggle(LevelGroup::Debug);
        assert!(set.is_all());
        let errors_only = LevelSet::NONE.with(LevelGroup::Error);
        assert!(errors_only.contains(Some(Level::Fatal)));
        assert!(!errors_only.contains(Some(Level::Warn)));
        assert!(!errors_only.contains(None));
    }

    #[test]
    fn levels_are_ordered_by_severity() {
        assert!(Level::Fatal > Level::Error);
        assert!(Level::Warn > Level::Info);
        assert!(Level::Trace < Level::Debug);
        assert_eq!(Level::Warn.as_str(), "WARN");
    }
}
