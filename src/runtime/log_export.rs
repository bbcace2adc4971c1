//! Writes a logs export (`Cmd::ExportLogs`) and says how it went.
//!
//! The file is written whole to a hidden temp file beside the target, synced, then linked to
//! its name with `hard_link`, which fails when the name exists: a crash leaves no half file
//! under the name, and an existing file is never replaced, even one created meanwhile. A taken
//! name gets `-1`, `-2`… before its extension. Filesystems without hard links get a rename
//! after an existence check.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::app::msg::Msg;
use crate::app::state::ToastLevel;
use crate::model::logs::export::ExportBatch;

/// Names tried after the first before giving up.
const MAX_SUFFIX: u32 = 999;

/// Where a typed path points: `~/` is the home dir, a relative path is in `data_dir` (or the
/// working dir without one).
#[must_use]
pub fn resolve(path: &str, data_dir: Option<&Path>) -> PathBuf {
    let typed = PathBuf::from(path);
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    if typed.is_absolute() {
        return typed;
    }
    match data_dir {
        Some(dir) => dir.join(typed),
        None => typed,
    }
}

/// `name.ext` → `name-N.ext`.
fn with_suffix(path: &Path, n: u32) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

/// Writes the batch; the final path and the number of lines, or the failing path and the OS
/// error.
///
/// # Errors
/// The directory cannot be made, the file cannot be written, or every name is taken.
pub fn write(
    path: &str,
    batch: &ExportBatch,
    data_dir: Option<&Path>,
) -> Result<(PathBuf, usize), String> {
    let target = resolve(path, data_dir);
    let failed = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    if target.file_name().is_none() {
        return Err(format!("{}: not a file name", target.display()));
    }
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&dir).map_err(|e| failed(&dir, e))?;
    let mut text = String::new();
    batch.write_to(&mut text);
    let tmp = dir.join(format!(
        ".opsdeck-export-{}-{}.tmp",
        std::process::id(),
        uuid::Uuid::now_v7()
    ));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(failed(&tmp, e));
    }
    let result = place(&tmp, &target);
    let _ = std::fs::remove_file(&tmp);
    result.map(|placed| (placed, batch.lines.len()))
}

/// Gives the temp file the first free name of `target`, `target-1`, ….
fn place(tmp: &Path, target: &Path) -> Result<PathBuf, String> {
    for n in 0..=MAX_SUFFIX {
        let candidate = if n == 0 {
            target.to_path_buf()
        } else {
            with_suffix(target, n)
        };
        match std::fs::hard_link(tmp, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(_) if !candidate.exists() => {
                // No hard links here (some network and FAT filesystems): rename, after the
                // check, which a racing writer could still beat.
                std::fs::rename(tmp, &candidate)
                    .map_err(|e| format!("{}: {e}", candidate.display()))?;
                return Ok(candidate);
            }
            Err(_) => {}
        }
    }
    Err(format!(
        "{}: this name and {MAX_SUFFIX} numbered ones are taken",
        target.display()
    ))
}

/// Writes the batch and words the outcome for a toast.
#[must_use]
pub fn notice(path: &str, batch: &ExportBatch, data_dir: Option<&Path>) -> Msg {
    match write(path, batch, data_dir) {
        Ok((placed, lines)) => Msg::Notice {
            level: ToastLevel::Info,
            text: format!(
                "exported {lines} lines ({}) to {}",
                batch.format.word(),
                crate::model::clean(&placed.display().to_string())
            ),
        },
        Err(e) => Msg::Notice {
            level: ToastLevel::Error,
            text: format!("export failed: {}", crate::model::clean(&e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::logs::export::ExportFormat;
    use crate::model::logs::parse_line;

    fn batch(format: ExportFormat) -> ExportBatch {
        ExportBatch {
            format,
            lines: vec![
                parse_line(b"INFO one", Arc::from("p")),
                parse_line(b"ERROR two", Arc::from("p")),
            ]
            .into(),
        }
    }

    #[test]
    fn relative_paths_land_in_the_data_dir_and_names_are_never_reused() {
        let dir = std::env::temp_dir().join(format!("opsdeck-export-{}", uuid::Uuid::now_v7()));
        let (first, n) = write("exports/a.log", &batch(ExportFormat::Raw), Some(&dir)).unwrap();
        assert_eq!((first.clone(), n), (dir.join("exports/a.log"), 2));
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            "INFO one\nERROR two\n"
        );
        let (second, _) = write("exports/a.log", &batch(ExportFormat::Raw), Some(&dir)).unwrap();
        assert_eq!(second, dir.join("exports/a-1.log"));
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            "INFO one\nERROR two\n"
        );
        let leftovers = std::fs::read_dir(dir.join("exports"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            })
            .count();
        assert_eq!(leftovers, 0, "no temp file stays behind");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn errors_name_the_path_and_the_os_error() {
        let blocker = std::env::temp_dir().join(format!("opsdeck-block-{}", uuid::Uuid::now_v7()));
        std::fs::write(&blocker, "a file, not a dir").unwrap();
        let Msg::Notice { level, text } = notice(
            &format!("{}/x.log", blocker.display()),
            &batch(ExportFormat::JsonLines),
            None,
        ) else {
            panic!("a notice");
        };
        assert_eq!(level, ToastLevel::Error);
        assert!(text.contains(&blocker.display().to_string()), "{text}");
        assert!(
            text.to_lowercase().contains("not a directory") || text.contains("exists"),
            "{text}"
        );
        let _ = std::fs::remove_file(&blocker);
    }
}
