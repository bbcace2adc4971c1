//! `X`: export the lines in view (those passing levels, shown-only search and field
//! predicate; every held line when nothing filters) to a file, as raw text or JSON lines.
//!
//! The app only snapshots the lines and names the file; the runtime writes it
//! (`Cmd::ExportLogs`, answered with a notice naming the full path and the line count, or the
//! path and the OS error). A relative path is taken in opsdeck's data dir, and an existing
//! file is never overwritten: the runtime adds `-1`, `-2`… before the extension.

use std::sync::Arc;

use jiff::Timestamp;

use crate::app::msg::Cmd;
use crate::app::panes::logs::LogsPane;
use crate::app::state::{Prompt, PromptPurpose};
use crate::model::logs::LogLine;
use crate::model::logs::export::{ExportBatch, ExportFormat};

/// Where exports go by default, relative to the data dir.
pub const EXPORT_DIR: &str = "exports";

/// The default file name for an export made at `now`.
#[must_use]
pub fn default_path(format: ExportFormat, now: Timestamp) -> String {
    format!(
        "{EXPORT_DIR}/logs-{}.{}",
        now.strftime("%Y%m%dT%H%M%SZ"),
        format.extension()
    )
}

/// `X`: asks for the format and the path, with defaults.
#[must_use]
pub fn prompt(logs: &LogsPane, now: Timestamp) -> Prompt {
    let format = ExportFormat::JsonLines;
    Prompt {
        title: format!("export {} lines", logs.export_lines().len()),
        input: format!("{} {}", format.word(), default_path(format, now)),
        error: None,
        purpose: PromptPurpose::ExportLogs,
        hint: "FORMAT [PATH]: raw (the text as shown) or jsonl (ts, level, source, message, fields); a relative path is in the data dir; an existing file is never overwritten".into(),
    }
}

/// Reads `FORMAT [PATH]`; a missing path gets the default.
///
/// # Errors
/// An unknown format, named.
pub fn parse(input: &str, now: Timestamp) -> Result<(ExportFormat, String), String> {
    let input = input.trim();
    let (word, path) = input.split_once(' ').unwrap_or((input, ""));
    let format = ExportFormat::from_word(word).ok_or_else(|| {
        format!(
            "`{}`: the format is raw or jsonl, then the path",
            crate::model::clean(word)
        )
    })?;
    let path = path.trim();
    let path = if path.is_empty() {
        default_path(format, now)
    } else {
        path.to_owned()
    };
    Ok((format, path))
}

/// The prompt's answer: the command that writes the file.
///
/// # Errors
/// A bad format, or nothing to export.
pub fn on_prompt(logs: &LogsPane, input: &str, now: Timestamp) -> Result<Vec<Cmd>, String> {
    let (format, path) = parse(input, now)?;
    let lines = logs.export_lines();
    if lines.is_empty() {
        return Err("no lines in view to export".into());
    }
    Ok(vec![Cmd::ExportLogs {
        path,
        batch: ExportBatch {
            format,
            lines: Arc::from(lines),
        },
    }])
}

impl LogsPane {
    /// Copies of the lines in view, oldest first, without the `+`/`-` stream markers.
    #[must_use]
    pub fn export_lines(&self) -> Vec<LogLine> {
        let keep = |line: &&LogLine| !self.markers.contains(&line.seq());
        match &self.visible {
            Some(seqs) => seqs
                .iter()
                .filter_map(|&s| self.buffer.get_seq(s))
                .filter(keep)
                .cloned()
                .collect(),
            None => self.buffer.iter().filter(keep).cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_with_defaults() {
        let now: Timestamp = "2026-11-22T10:04:05Z".parse().unwrap();
        assert_eq!(
            parse("jsonl", now).unwrap(),
            (
                ExportFormat::JsonLines,
                "exports/logs-20261122T100405Z.jsonl".to_owned()
            )
        );
        assert_eq!(
            parse(" raw /tmp/my file.log ", now).unwrap(),
            (ExportFormat::Raw, "/tmp/my file.log".to_owned())
        );
        let err = parse("csv x", now).unwrap_err();
        assert!(err.contains("`csv`"), "{err}");
    }
}
