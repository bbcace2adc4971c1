//! Saved tour progress: chapters finished per tour, in `tours.json` in the data dir, so a
//! tour resumes at the first chapter not finished.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How far one tour got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TourProgress {
    pub chapters_done: usize,
    pub finished: bool,
}

/// Where a tour stands, for the list and `opsdeck tour --list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    New,
    /// Chapters done of all.
    Partly(usize, usize),
    Done,
}

impl Standing {
    /// How far `progress` got in a tour of `chapters` chapters.
    #[must_use]
    pub fn of(progress: Option<&TourProgress>, chapters: usize) -> Self {
        match progress {
            Some(p) if p.finished => Self::Done,
            Some(p) if p.chapters_done > 0 => Self::Partly(p.chapters_done, chapters),
            _ => Self::New,
        }
    }

    /// `new`, `1/3 chapters` or `done`.
    #[must_use]
    pub fn word(self) -> String {
        match self {
            Self::New => "new".into(),
            Self::Partly(done, of) => format!("{done}/{of} chapters"),
            Self::Done => "done".into(),
        }
    }
}

/// Progress of every tour, by name.
pub type ProgressMap = BTreeMap<String, TourProgress>;

/// The progress file in `data_dir`.
#[must_use]
pub fn file(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

const FILE: &str = "tours.json";

/// Reads the progress file. A missing file is no progress; an unreadable one is logged and
/// treated the same, since losing tour progress costs a replay, not data.
#[must_use]
pub fn load(data_dir: &Path) -> ProgressMap {
    let path = file(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), error = %e, "tour progress unreadable");
            ProgressMap::new()
        }),
        Err(_) => ProgressMap::new(),
    }
}

/// Writes the progress file atomically (a temp file renamed over it).
///
/// # Errors
/// The I/O error, with the path.
pub fn save(data_dir: &Path, progress: &ProgressMap) -> Result<(), String> {
    crate::datafile::save_json(data_dir, FILE, progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips_and_a_missing_file_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(load(dir.path()).is_empty());
        let mut map = ProgressMap::new();
        map.insert(
            "demo".into(),
            TourProgress {
                chapters_done: 2,
                finished: false,
            },
        );
        save(dir.path(), &map).expect("saved");
        assert_eq!(load(dir.path()), map);
        std::fs::write(file(dir.path()), "{ not json").expect("write");
        assert!(load(dir.path()).is_empty(), "garbage reads as no progress");
    }
}
