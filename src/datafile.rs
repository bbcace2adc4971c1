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
