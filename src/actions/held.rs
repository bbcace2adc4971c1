//! The file of actions held for their approval ([`crate::model::approvals`]):
//! `held-actions.json` in the data directory, written atomically (a temp file renamed over
//! it, [`crate::datafile`]). A file that cannot be read is moved aside, never overwritten, so a held action is
//! not lost to a bad write or a hand edit.

use std::path::{Path, PathBuf};

use crate::model::approvals::HeldActions;

const FILE: &str = "held-actions.json";

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// What loading found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub held: HeldActions,
    /// Why the file could not be used, naming where it was moved: for the user.
    pub problem: Option<String>,
}

/// Reads the held actions; a missing file is none.
#[must_use]
pub fn load(data_dir: &Path) -> Loaded {
    let path = file(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::default(),
        Err(e) => {
            return Loaded {
                held: HeldActions::new(),
                problem: Some(format!("{}: {e}", path.display())),
            };
        }
    };
    match serde_json::from_str(&text) {
        Ok(held) => Loaded {
            held,
            problem: None,
        },
        Err(e) => {
            let aside = path.with_extension(format!(
                "json.unreadable-{}",
                jiff::Timestamp::now().as_second()
            ));
            let moved = std::fs::rename(&path, &aside).map_or_else(
                |m| format!("left in place ({m})"),
                |()| format!("moved to {}", aside.display()),
            );
            Loaded {
                held: HeldActions::new(),
                problem: Some(format!(
                    "{} line {}, column {}: {e}; {moved}",
                    path.display(),
                    e.line(),
                    e.column()
                )),
            }
        }
    }
}

/// Writes the held actions atomically.
///
/// # Errors
/// The I/O error, with the path.
pub fn save(data_dir: &Path, held: &HeldActions) -> Result<(), String> {
    crate::datafile::save_json(data_dir, FILE, held)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::action::ActionRequest;
    use crate::model::approvals::HeldAction;

    #[test]
    fn held_actions_round_trip_and_a_bad_file_is_moved_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loaded = load(dir.path());
        assert!(loaded.held.is_empty() && loaded.problem.is_none());
        let mut held = HeldActions::new();
        held.insert(
            "r1".into(),
            HeldAction {
                context: "prod".into(),
                request: ActionRequest::DeleteTopic {
                    name: "orders".into(),
                },
                asked_at: "2026-12-07T00:00:00Z".into(),
            },
        );
        save(dir.path(), &held).expect("saved");
        assert_eq!(load(dir.path()).held, held);

        std::fs::write(file(dir.path()), "{\n  \"r1\": [\n").expect("write");
        let loaded = load(dir.path());
        let problem = loaded.problem.expect("a problem");
        assert!(problem.contains("held-actions.json line"), "{problem}");
        assert!(problem.contains("moved to"), "{problem}");
        assert!(
            !file(dir.path()).exists(),
            "the bad file is not overwritten later"
        );
        let kept = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().contains("unreadable"));
        assert!(kept, "the bad file is kept aside");
    }
}
