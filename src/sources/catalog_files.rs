//! Catalog source reading a directory of `catalog-info.yaml` files (multi-document YAML).
//!
//! The directory is searched recursively for `*.yaml` and `*.yml` (hidden entries and
//! symlinked directories are skipped, depth and counts are bounded). Each file may hold
//! several YAML documents; each document that is a Backstage Component becomes a row through
//! [`super::catalog_map`]. Bytes that are not UTF-8 are replaced (U+FFFD) before parsing, so
//! one bad byte does not hide an entity. A document that does not parse becomes an invalid
//! row naming the file and the document number, when the file looks like a catalog file
//! (`catalog-info.yaml`, or it mentions `backstage.io/`); other unparsable YAML in the tree
//! (Helm templates, say) is skipped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::catalog_map::{self, Mapped, Origin};
use super::poller::{self, PollSettings};
use super::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};
use crate::model::{Catalog, CatalogEntry, clean};

/// Largest file read; bigger ones become an invalid row.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// At most this many YAML files are read in one scan.
pub const MAX_FILES: usize = 20_000;
/// At most this many catalog rows are kept.
pub const MAX_ENTITIES: usize = 50_000;
/// Directory depth searched below the root.
pub const MAX_DEPTH: usize = 16;

/// Default cadence: a local directory is cheap to re-read.
pub const SETTINGS: PollSettings = PollSettings {
    interval: Duration::from_secs(30),
    timeout: Duration::from_secs(20),
};

/// Reads the catalog under `dir`. A root that cannot be read becomes a single invalid row;
/// use [`scan`] to get that as an error instead.
#[must_use]
pub fn load_dir(dir: &Path) -> Catalog {
    scan(dir).unwrap_or_else(|message| {
        Catalog::new(vec![CatalogEntry::Invalid {
            origin: clean(&dir.display().to_string()),
            entity: None,
            message,
        }])
    })
}

/// Reads the catalog under `dir`, failing only when `dir` itself cannot be read.
pub fn scan(dir: &Path) -> Result<Catalog, String> {
    let mut files = Vec::new();
    let mut truncated = false;
    std::fs::read_dir(dir).map_err(|e| {
        clean(&format!(
            "cannot read catalog directory {}: {e}",
            dir.display()
        ))
    })?;
    collect_files(dir, 0, &mut files, &mut truncated);
    files.sort();
    let mut entries = Vec::new();
    for file in &files {
        if entries.len() >= MAX_ENTITIES {
            truncated = true;
            break;
        }
        // Rows name files relative to the catalog directory: shorter, and what the user
        // configured.
        let label = file.strip_prefix(dir).unwrap_or(file).display().to_string();
        entries.extend(load_file_as(file, &label));
    }
    entries.truncate(MAX_ENTITIES);
    catalog_map::sort_entries(&mut entries);
    if truncated {
        entries.push(CatalogEntry::Invalid {
            origin: clean(&dir.display().to_string()),
            entity: None,
            message: format!(
                "catalog truncated: opsdeck reads at most {MAX_FILES} files, {MAX_ENTITIES} \
                 entities and {MAX_DEPTH} directory levels"
            ),
        });
    }
    Ok(Catalog::new(entries))
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Collects YAML files below `dir`. Unreadable subdirectories are skipped.
fn collect_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, truncated: &mut bool) {
    if depth > MAX_DEPTH {
        *truncated = true;
        return;
    }
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<_> = read.filter_map(Result::ok).collect();
    children.sort_by_key(std::fs::DirEntry::file_name);
    for entry in children {
        if out.len() >= MAX_FILES {
            *truncated = true;
            return;
        }
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_files(&path, depth + 1, out, truncated);
        } else if is_yaml(&path) {
            // Regular files, and symlinks that lead to one (never to a directory: loops).
            let is_file = kind.is_file() || std::fs::metadata(&path).is_ok_and(|m| m.is_file());
            if is_file {
                out.push(path);
            }
        }
    }
}

/// Whether parse errors in this file should be shown rather than skipped.
fn looks_like_catalog(path: &Path, text: &str) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.starts_with("catalog-info.") || text.contains("backstage.io/")
}

/// Reads one file into rows (possibly none); rows name the file by its path.
#[must_use]
pub fn load_file(path: &Path) -> Vec<CatalogEntry> {
    load_file_as(path, &path.display().to_string())
}

/// Reads one file into rows, naming it `label`.
fn load_file_as(path: &Path, label: &str) -> Vec<CatalogEntry> {
    let invalid = |message: String| CatalogEntry::Invalid {
        origin: clean(label),
        entity: None,
        message: clean(&format!("{label}: {message}")),
    };
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return vec![invalid(format!(
                "file larger than {} MiB, not read",
                MAX_FILE_BYTES >> 20
            ))];
        }
        Ok(_) => {}
        Err(e) => return vec![invalid(format!("cannot read: {e}"))],
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return vec![invalid(format!("cannot read: {e}"))],
    };
    let text = String::from_utf8_lossy(&bytes);
    parse_documents(label, path, &text)
}

/// Parses every YAML document of one file's text.
fn parse_documents(label: &str, path: &Path, text: &str) -> Vec<CatalogEntry> {
    let mut out = Vec::new();
    let mut docs: Vec<Result<Value, String>> = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let parsed = serde_yaml::Value::deserialize(document)
            .map_err(|e| e.to_string())
            .and_then(|yaml| serde_json::to_value(yaml).map_err(|e| e.to_string()));
        let failed = parsed.is_err();
        docs.push(parsed);
        if failed {
            // After a syntax error libyaml cannot find the next document.
            break;
        }
        if docs.len() > MAX_ENTITIES {
            break;
        }
    }
    let several = docs.len() > 1;
    for (i, doc) in docs.iter().enumerate() {
        let doc_label = if several {
            format!("{label} (document {})", i + 1)
        } else {
            label.to_owned()
        };
        match doc {
            Ok(value) => {
                if let Mapped::Entry(entry) =
                    catalog_map::map_entity(value, Origin::File(&doc_label))
                {
                    out.push(entry);
                }
            }
            Err(message) if looks_like_catalog(path, text) => {
                out.push(CatalogEntry::Invalid {
                    origin: clean(&doc_label),
                    entity: None,
                    message: clean(&format!(
                        "{label}: document {} is not valid YAML: {message}",
                        i + 1
                    )),
                });
            }
            Err(message) => {
                tracing::debug!(file = %label, %message, "skipping YAML that does not parse");
            }
        }
    }
    out
}

/// Starts the directory catalog source with the default cadence (every 30 s).
#[must_use]
pub fn spawn(dir: PathBuf, generation: u64, events: mpsc::Sender<SourceEvent>) -> SourceHandle {
    spawn_with(dir, SETTINGS, generation, events)
}

/// [`spawn`] with an explicit cadence.
#[must_use]
pub fn spawn_with(
    dir: PathBuf,
    settings: PollSettings,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Catalog, generation, events);
    let dir = Arc::new(dir);
    let task = tokio::spawn(poller::run(reporter, control_rx, settings, move |_scope| {
        let dir = Arc::clone(&dir);
        async move {
            tokio::task::spawn_blocking(move || scan(&dir))
                .await
                .map_err(|e| format!("catalog scan stopped: {e}"))?
                .map(|c| SourceBody::Catalog(Arc::new(c)))
        }
    }));
    SourceHandle::new(SourceId::Catalog, control_tx, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_documents_and_a_broken_one() {
        let text = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n\
                    spec:\n  owner: t\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\n\
                    metadata:\n  name: t\n---\napiVersion: backstage.io/v1alpha1\nkind: \
                    Component\nmetadata:\n  name: [unclosed\n";
        let rows = parse_documents("c.yaml", Path::new("c.yaml"), text);
        assert_eq!(rows.len(), 2, "{rows:#?}");
        assert_eq!(rows[0].name(), "a");
        match &rows[1] {
            CatalogEntry::Invalid {
                origin, message, ..
            } => {
                assert_eq!(origin, "c.yaml (document 3)");
                assert!(
                    message.contains("document 3 is not valid YAML"),
                    "{message}"
                );
            }
            other @ CatalogEntry::Service(_) => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn foreign_broken_yaml_is_skipped() {
        let rows = parse_documents(
            "t.yaml",
            Path::new("chart/templates/t.yaml"),
            "a: {{ .Values.x }}\n",
        );
        assert!(rows.is_empty(), "{rows:#?}");
    }

    #[test]
    fn missing_directory_is_an_error() {
        let err = scan(Path::new("/nonexistent/opsdeck-catalog")).expect_err("missing");
        assert!(err.contains("/nonexistent/opsdeck-catalog"), "{err}");
        let c = load_dir(Path::new("/nonexistent/opsdeck-catalog"));
        assert_eq!(c.entries.len(), 1);
    }
}
