//! Small JSON files of the console's own state in the data dir (tour progress, actions
//! held for approval), written atomically: a temp file renamed over the old one, so a crash
//! mid-write leaves the previous file whole.

use std::path::Path;

use serde::Serialize;

/// Writes `value` as pretty JSON to `name` in `data_dir`, creating the dir.
///
/// # Errors
/// The I/O error, with the path.
pub fn save_json(data_dir: &Path, name: &str, value: &impl Serialize) -> Result<(), String> {
    let path = data_dir.join(name);
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The history of `:logs`/`:traces` queries, per context.
pub const QUERIES_FILE: &str = "queries.json";

/// Reads the query history. A missing or unreadable file is an empty history (logged): a
/// lost history costs retyping, not data.
#[must_use]
pub fn load_queries(data_dir: &Path) -> crate::model::query_history::QueryHistory {
    let path = data_dir.join(QUERIES_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), error = %e, "query history unreadable");
            crate::model::query_history::QueryHistory::default()
        }),
        Err(_) => crate::model::query_history::QueryHistory::default(),
    }
}
