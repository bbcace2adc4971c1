//! What an export writes, and the pretty JSON of a line's detail: pure formatting of stored
//! lines. The runtime does the writing (`runtime/log_export.rs`).
//!
//! Both formats carry only sanitized text. A raw export writes each line's stored text, which
//! is what the pane shows: escapes and controls are already visible stand-ins (`␛`, `<U+202E>`),
//! so `cat` on the file cannot drive a terminal. A JSON-lines export re-reads a JSON line's
//! object and cleans every string in it (keys too) before writing; numbers, booleans and
//! nesting keep their types.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::line::{LineFormat, LogLine};

/// How exported lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The stored (sanitized) text, one line each.
    Raw,
    /// `{"ts","level","source","message","fields"}` per line.
    JsonLines,
}

impl ExportFormat {
    /// Reads `raw`, `jsonl` (or `json`, `ndjson`).
    #[must_use]
    pub fn from_word(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "raw" | "text" | "log" => Some(Self::Raw),
            "jsonl" | "json" | "ndjson" => Some(Self::JsonLines),
            _ => None,
        }
    }

    /// The word [`Self::from_word`] reads, also the default file extension.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::JsonLines => "jsonl",
        }
    }

    /// The default file extension.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Raw => "log",
            Self::JsonLines => "jsonl",
        }
    }
}

/// Lines to export, shared with the writer without copying their text again. Compared by
/// identity: two batches are equal only when they are the same snapshot.
#[derive(Clone)]
pub struct ExportBatch {
    pub format: ExportFormat,
    pub lines: Arc<[LogLine]>,
}

impl fmt::Debug for ExportBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ExportBatch({:?}, {} lines)",
            self.format,
            self.lines.len()
        )
    }
}

impl PartialEq for ExportBatch {
    fn eq(&self, other: &Self) -> bool {
        self.format == other.format && Arc::ptr_eq(&self.lines, &other.lines)
    }
}

impl Eq for ExportBatch {}

impl ExportBatch {
    /// Appends the whole file's text to `out`: one line per log line, each ending in `\n`.
    pub fn write_to(&self, out: &mut String) {
        for line in self.lines.iter() {
            match self.format {
                ExportFormat::Raw => out.push_str(line.raw()),
                ExportFormat::JsonLines => out.push_str(&json_line(line)),
            }
            out.push('\n');
        }
    }
}

/// One line as a JSON object: time (RFC 3339), level word, source, message and the fields.
#[must_use]
pub fn json_line(line: &LogLine) -> String {
    let mut object = Map::new();
    object.insert(
        "ts".into(),
        line.timestamp()
            .map_or(Value::Null, |t| Value::String(t.to_string())),
    );
    object.insert(
        "level".into(),
        line.level().map_or(Value::Null, |l| {
            Value::String(l.as_str().to_ascii_lowercase())
        }),
    );
    object.insert("source".into(), Value::String(clean(line.source())));
    object.insert("message".into(), Value::String(clean(line.message())));
    object.insert("fields".into(), Value::Object(fields_object(line)));
    Value::Object(object).to_string()
}

/// The line's fields as a JSON object: a JSON line's own object with every string cleaned,
/// or a plain line's logfmt pairs as strings.
#[must_use]
pub fn fields_object(line: &LogLine) -> Map<String, Value> {
    match json_object(line) {
        Some(object) => object,
        None => line
            .fields()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    }
}

/// A JSON line's object with every string (and key) sanitized; `None` for other lines.
#[must_use]
pub fn json_object(line: &LogLine) -> Option<Map<String, Value>> {
    let LineFormat::Json { json_start } = line.format() else {
        return None;
    };
    let text = line.raw().get(json_start as usize..)?;
    let object = serde_json::from_str::<Map<String, Value>>(text).ok()?;
    match sanitized(Value::Object(object)) {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

/// The line's JSON object pretty-printed (2-space indent), sanitized; `None` for other lines.
#[must_use]
pub fn pretty_json(line: &LogLine) -> Option<Vec<String>> {
    let object = json_object(line)?;
    let text = serde_json::to_string_pretty(&Value::Object(object)).ok()?;
    Some(text.lines().map(str::to_owned).collect())
}

/// `value` with every string and key made inert.
fn sanitized(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(clean(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(sanitized).collect()),
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (clean(&k), sanitized(v)))
                .collect(),
        ),
        other => other,
    }
}

fn clean(text: &str) -> String {
    crate::model::sanitize::clean(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::logs::parse_line;

    fn line(text: &str) -> LogLine {
        parse_line(text.as_bytes(), Arc::from("pod/\u{1b}]0;x\u{7}c"))
    }

    fn hostile_free(text: &str) {
        for c in text.chars() {
            assert!(
                c == '\n'
                    || !(c.is_control()
                        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
                "{c:?} in {text:?}"
            );
        }
    }

    #[test]
    fn raw_and_json_lines_are_inert_and_typed() {
        let lines: Arc<[LogLine]> = vec![
            line("{\"ts\":\"2026-11-22T10:00:00Z\",\"level\":\"error\",\"msg\":\"a\\u001b[31mb\\u202e\",\"n\":42,\"h\":{\"s\":503},\"\\u009bk\":true}"),
            line("2026-11-22T10:00:01Z WARN slow \u{1b}[2J\u{202e} user_id=7 q=\"x y\""),
        ]
        .into();
        let mut raw = String::new();
        ExportBatch {
            format: ExportFormat::Raw,
            lines: Arc::clone(&lines),
        }
        .write_to(&mut raw);
        hostile_free(&raw);
        assert_eq!(raw.lines().count(), 2);
        assert!(raw.lines().nth(1).unwrap().contains("␛[2J"));

        let mut json = String::new();
        ExportBatch {
            format: ExportFormat::JsonLines,
            lines,
        }
        .write_to(&mut json);
        hostile_free(&json);
        let rows: Vec<Value> = json
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows[0]["level"], "error");
        assert_eq!(rows[0]["ts"], "2026-11-22T10:00:00Z");
        assert_eq!(rows[0]["fields"]["n"], 42);
        assert_eq!(rows[0]["fields"]["h"]["s"], 503);
        assert_eq!(rows[0]["message"], "a␛[31mb<U+202E>");
        assert!(rows[0]["source"].as_str().unwrap().contains('␛'));
        assert_eq!(rows[1]["fields"]["user_id"], "7");
        assert_eq!(rows[1]["fields"]["q"], "x y");
        assert_eq!(rows[1]["level"], "warn");
    }

    #[test]
    fn pretty_json_indents_two_spaces_and_only_for_json() {
        let pretty = pretty_json(&line(r#"{"a":{"b":[1,"\u001b"]}}"#)).unwrap();
        assert_eq!(
            pretty,
            vec![
                "{",
                "  \"a\": {",
                "    \"b\": [",
                "      1,",
                "      \"␛\"",
                "    ]",
                "  }",
                "}"
            ]
        );
        assert!(pretty_json(&line("level=info k=v")).is_none());
    }

    #[test]
    fn formats_read_their_words() {
        assert_eq!(
            ExportFormat::from_word("JSONL"),
            Some(ExportFormat::JsonLines)
        );
        assert_eq!(ExportFormat::from_word("raw"), Some(ExportFormat::Raw));
        assert_eq!(ExportFormat::from_word("csv"), None);
    }
}
