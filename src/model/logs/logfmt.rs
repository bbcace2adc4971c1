//! logfmt (`key=value key="quoted value"`) inside plain lines: the quick scan ingest does for
//! the level, trace id and span id, and the full pair list shown when a line is opened.

use std::ops::Range;

use super::level::Level;

/// What ingest needs from a line's logfmt pairs. Ranges are byte ranges into the scanned text.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct LogfmtHits {
    pub(super) timestamp_nanos: Option<i64>,
    pub(super) level: Option<Level>,
    pub(super) trace_id: Option<Range<usize>>,
    pub(super) span_id: Option<Range<usize>>,
    /// `msg=` / `message=`: the line's message when it is logfmt.
    pub(super) message: Option<Range<usize>>,
}

/// Keys that carry the level, trace id and span id (the same spellings as JSON fields).
fn key_kind(key: &[u8]) -> Option<KeyKind> {
    match key {
        b"ts" | b"time" | b"timestamp" | b"t" | b"@timestamp" => Some(KeyKind::Timestamp),
        b"level" | b"lvl" | b"severity" | b"loglevel" | b"log.level" | b"levelname" => {
            Some(KeyKind::Level)
        }
        b"trace_id" | b"traceId" | b"traceID" | b"trace.id" | b"otelTraceID" | b"traceid" => {
            Some(KeyKind::Trace)
        }
        b"span_id" | b"spanId" | b"spanID" | b"span.id" | b"otelSpanID" | b"spanid" => {
            Some(KeyKind::Span)
        }
        b"msg" | b"message" => Some(KeyKind::Message),
        _ => None,
    }
}

/// Longest key [`key_kind`] knows (`otelTraceID`), rounded up.
const MAX_KEY_LEN: usize = 12;

enum KeyKind {
    Timestamp,
    Level,
    Trace,
    Span,
    Message,
}

/// Finds `time=`, `level=`, `trace_id=` and `span_id=` (and their spellings) by jumping from `=` to `=`,
/// so a line costs one byte scan however many words it has. The first occurrence of each wins.
pub(super) fn scan(text: &str) -> LogfmtHits {
    let bytes = text.as_bytes();
    let mut hits = LogfmtHits::default();
    let mut from = 0;
    while let Some(offset) = bytes[from..].iter().position(|&b| b == b'=') {
        let eq = from + offset;
        from = eq + 1;
        // Look back at most one key's length: an unbounded look-back would make a hostile
        // line of `a=a=a=…` without spaces quadratic.
        let window = eq.saturating_sub(MAX_KEY_LEN + 1);
        let key_start = match bytes[window..eq]
            .iter()
            .rposition(|&b| b == b' ' || b == b'"')
        {
            Some(space) => window + space + 1,
            None if window == 0 => 0,
            None => continue,
        };
        let Some(kind) = key_kind(&bytes[key_start..eq]) else {
            continue;
        };
        let value = value_range(bytes, eq + 1);
        from = from.max(value.end);
        let value_text = text.get(value.clone()).unwrap_or("");
        match kind {
            KeyKind::Timestamp if hits.timestamp_nanos.is_none() => {
                hits.timestamp_nanos = super::time::parse_text(value_text);
            }
            KeyKind::Level if hits.level.is_none() => hits.level = Level::from_word(value_text),
            KeyKind::Trace if hits.trace_id.is_none() && is_id(value_text) => {
                hits.trace_id = Some(value);
            }
            KeyKind::Span if hits.span_id.is_none() && is_id(value_text) => {
                hits.span_id = Some(value);
            }
            KeyKind::Message if hits.message.is_none() => hits.message = Some(value),
            _ => {}
        }
    }
    hits
}

/// Whether a value looks like a trace or span id: hex, or the base64/uuid alphabets some
/// tracers print, and not absurdly long.
pub(super) fn is_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= super::line::MAX_ID_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'/' | b'='))
}

/// Range of the value starting at `start`: inside quotes when quoted (escaped quotes skipped),
/// else up to the next space.
pub(super) fn value_range(bytes: &[u8], start: usize) -> Range<usize> {
    if bytes.get(start) == Some(&b'"') {
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return start + 1..i,
                _ => i += 1,
            }
        }
        return start + 1..bytes.len();
    }
    let end = bytes[start..]
        .iter()
        .position(|&b| b == b' ')
        .map_or(bytes.len(), |p| start + p);
    start..end
}

/// All `key=value` pairs of a line in order, quoted values unescaped. Words that are not pairs
/// are skipped. The text is already sanitized, so the pairs are too.
pub(super) fn fields(text: &str) -> Vec<(String, String)> {
    let bytes = text.as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let word_start = i;
        while i < bytes.len() && !matches!(bytes[i], b' ' | b'=' | b'"') {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'=' && i > word_start {
            let key = &text[word_start..i];
            let value = value_range(bytes, i + 1);
            let quoted = bytes.get(i + 1) == Some(&b'"');
            let raw_value = text.get(value.clone()).unwrap_or("");
            let value_text = if quoted {
                raw_value.replace("\\\"", "\"").replace("\\\\", "\\")
            } else {
                raw_value.to_owned()
            };
            pairs.push((key.to_owned(), value_text));
            // Skip past the closing quote of a quoted value.
            i = if quoted { value.end + 1 } else { value.end };
        } else {
            // Not a pair: skip the rest of the word, quoted stretches included.
            while i < bytes.len() && bytes[i] != b' ' {
                i += 1;
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_level_and_ids() {
        let text = r#"time=2026-11-22T10:00:00Z level=error msg="db down" trace_id=4bf92f3577b34da6 span_id=00f067aa0ba902b7"#;
        let hits = scan(text);
        assert_eq!(hits.level, Some(Level::Error));
        assert_eq!(hits.timestamp_nanos, Some(1_795_341_600_000_000_000));
        assert_eq!(&text[hits.trace_id.unwrap_or_default()], "4bf92f3577b34da6");
        assert_eq!(&text[hits.span_id.unwrap_or_default()], "00f067aa0ba902b7");
    }

    #[test]
    fn scan_reads_quoted_levels_and_ignores_lookalikes() {
        let hits = scan(r#"lvl="WARN" x=1"#);
        assert_eq!(hits.level, Some(Level::Warn));
        let hits = scan("mylevel=error loglevel=info");
        assert_eq!(hits.level, Some(Level::Info));
        let hits = scan("a=b==c trace_id=\"not an id\"");
        assert_eq!(hits, LogfmtHits::default());
    }

    #[test]
    fn scan_is_linear_on_hostile_lines() {
        let hostile = "a=".repeat(32 * 1024);
        let start = std::time::Instant::now();
        assert_eq!(scan(&hostile), LogfmtHits::default());
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        let long_key = format!("{}level=warn", "x".repeat(40));
        assert_eq!(scan(&long_key).level, None);
        assert_eq!(scan("otelTraceID=ab").trace_id, Some(12..14));
    }

    #[test]
    fn fields_lists_pairs_and_unescapes_quotes() {
        let pairs = fields(r#"INFO started level=info msg="say \"hi\"" n=3 bare trailing="open"#);
        let expect = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            pairs,
            vec![
                expect("level", "info"),
                expect("msg", "say \"hi\""),
                expect("n", "3"),
                expect("trailing", "open")
            ]
        );
        assert!(fields("no pairs here").is_empty());
        assert_eq!(fields("k="), vec![expect("k", "")]);
    }
}
