//! Turning one raw line of bytes into a [`LogLine`]: sanitizing, then recognising JSON or
//! plain text and finding the timestamp, level, message and trace context.
//!
//! Sanitizing comes first, so every later step (and everything stored) only ever sees inert
//! text. JSON is recognised by its first non-space byte being `{`, after an optional leading
//! timestamp (the Kubernetes API prefixes one when asked for timestamps). Anything that fails
//! to parse as a JSON object is read as plain text; parsing never fails.

use std::borrow::Cow;
use std::sync::Arc;

use super::ansi::{self, StyledSpan};
use super::formats::{self, Context, W3cColumns};
use super::json;
use super::line::{LineFormat, LineParts, LogLine, TextRange};
use super::logfmt;
use super::time;
use crate::model::sanitize::{clean_bytes_cow, clean_cow};

/// Longest line kept, in bytes. Longer lines are cut and marked, so one runaway line cannot
/// take the buffer's memory (and offsets fit the line's `u32` ranges).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Marker appended to a cut line.
const TRUNCATED_MARK: &str = " …[truncated]";

/// What to do with ANSI escape sequences in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnsiMode {
    /// Show every escape as inert visible text (`␛[31m`), so nothing is hidden. The default.
    #[default]
    Visible,
    /// Remove escape sequences entirely.
    Strip,
    /// Keep SGR colours and attributes as [`LogLine::message_styles`]; drop other sequences.
    KeepSgr,
}

/// How lines are parsed; one value per log view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    pub ansi: AnsiMode,
    /// "Now" for the caller, in Unix nanoseconds: a stamp without a year (syslog's
    /// `Dec  4 04:47:44`, logcat) gets the year that puts it at most a day after this. `None`
    /// leaves such lines without a timestamp, since the model reads no clock.
    pub reference_nanos: Option<i64>,
}

/// What a source remembers between the lines of one stream: the columns named by a W3C
/// extended log's last `#Fields:` header. One per file or stream; see
/// [`parse_line_remembering`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatMemory {
    w3c: Option<W3cColumns>,
}

/// Parses one line of a stream whose earlier lines may matter (a W3C log's `#Fields:` header
/// says which column is the status). Lines parse exactly as [`parse_line_with`] otherwise.
#[must_use]
pub fn parse_line_remembering(
    raw: &[u8],
    source: Arc<str>,
    options: ParseOptions,
    memory: &mut FormatMemory,
) -> LogLine {
    if raw.starts_with(b"#Fields:") {
        memory.w3c = W3cColumns::from_header(&String::from_utf8_lossy(raw));
    }
    parse_in(raw, source, options, memory.w3c.as_ref())
}

/// Parses one line with the default options (escapes shown inert).
#[must_use]
pub fn parse_line(raw: &[u8], source: Arc<str>) -> LogLine {
    parse_line_with(raw, source, ParseOptions::default())
}

/// Parses one line. A trailing `\n` or `\r\n` is ignored.
#[must_use]
pub fn parse_line_with(raw: &[u8], source: Arc<str>, options: ParseOptions) -> LogLine {
    parse_in(raw, source, options, None)
}

fn parse_in(
    raw: &[u8],
    source: Arc<str>,
    options: ParseOptions,
    w3c: Option<&W3cColumns>,
) -> LogLine {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let cut = raw.len() > MAX_LINE_BYTES;
    let raw = if cut { &raw[..MAX_LINE_BYTES] } else { raw };

    let (mut text, mut styles) = sanitize(raw, options.ansi);
    if cut {
        text.to_mut().push_str(TRUNCATED_MARK);
    }

    let (prefix_timestamp, body_start) = match time::parse_leading(text.as_bytes()) {
        Some((nanos, used)) => (Some(nanos), used + leading_spaces(&text[used..])),
        None => (None, 0),
    };
    let json_start = body_start + leading_spaces(&text[body_start..]);
    if text[json_start..].starts_with('{')
        && let Some(parts) = json_parts(
            &text,
            json_start,
            body_start,
            prefix_timestamp,
            options.ansi,
        )
    {
        return LogLine::from_parts(parts, source);
    }
    // Spans are relative to the message, which starts after the timestamp.
    styles.retain_mut(|span| {
        span.range.start = span.range.start.saturating_sub(body_start);
        span.range.end = span.range.end.saturating_sub(body_start);
        !span.range.is_empty()
    });
    let context = Context {
        reference: options.reference_nanos,
        w3c,
    };
    let parts = plain_parts(&text, body_start, prefix_timestamp, styles, context);
    LogLine::from_parts(parts, source)
}

/// Decodes and cleans the bytes according to the ANSI mode; returns the text and, in the SGR
/// mode, the colour spans over it.
fn sanitize(raw: &[u8], mode: AnsiMode) -> (Cow<'_, str>, Vec<StyledSpan>) {
    let cleaned = clean_bytes_cow(raw);
    if mode == AnsiMode::Visible || !might_have_escapes(raw) {
        return (cleaned, Vec::new());
    }
    let decoded = String::from_utf8_lossy(raw);
    if mode == AnsiMode::Strip {
        return (Cow::Owned(ansi::strip_ansi(&decoded)), Vec::new());
    }
    let styled = ansi::parse_sgr(&decoded);
    (Cow::Owned(styled.text), styled.spans)
}

/// ESC, or the UTF-8 lead byte of C1 controls (U+0080..U+009F are `C2 80`..`C2 9F`).
fn might_have_escapes(raw: &[u8]) -> bool {
    raw.iter().any(|&b| b == 0x1b || b == 0xc2)
}

fn leading_spaces(text: &str) -> usize {
    text.len() - text.trim_start_matches(' ').len()
}

/// The parts of a JSON line, or `None` when the text from `json_start` is not one JSON object.
fn json_parts(
    text: &str,
    json_start: usize,
    body_start: usize,
    prefix_timestamp: Option<i64>,
    mode: AnsiMode,
) -> Option<LineParts> {
    let picked = json::pick(&text[json_start..])?;
    // Decoded values that are not slices of the text are appended after it.
    let mut extras = String::new();
    let mut styles = Vec::new();
    let message = match &picked.message {
        Some(Cow::Borrowed(message)) => range_within(text, message),
        Some(Cow::Owned(message)) => {
            let message = message.trim_end_matches(['\n', '\r']);
            let start = text.len() + extras.len();
            match mode {
                AnsiMode::Visible => extras.push_str(&clean_cow(message, false)),
                AnsiMode::Strip => extras.push_str(&ansi::strip_ansi(message)),
                AnsiMode::KeepSgr => {
                    let sgr = ansi::parse_sgr(message);
                    extras.push_str(&sgr.text);
                    styles = sgr.spans;
                }
            }
            TextRange::new(start, text.len() + extras.len())
        }
        // No message member: the object itself is the message.
        None => TextRange::new(body_start, text.len()),
    };
    let mut id_range = |id: &Option<Cow<'_, str>>| match id {
        Some(Cow::Borrowed(id)) if logfmt::is_id(id) => range_within(text, id),
        // An id needing escapes is odd but harmless once it passes the id alphabet check.
        Some(Cow::Owned(id)) if logfmt::is_id(id) => {
            let start = text.len() + extras.len();
            extras.push_str(id);
            TextRange::new(start, start + id.len())
        }
        _ => TextRange::default(),
    };
    let trace_id = id_range(&picked.trace_id);
    let span_id = id_range(&picked.span_id);
    let timestamp_nanos = picked.timestamp_nanos.or(prefix_timestamp);
    let level = picked.level;
    let detected = picked.format;
    drop(picked);

    let mut stored = String::with_capacity(text.len() + extras.len());
    stored.push_str(text);
    stored.push_str(&extras);
    Some(LineParts {
        raw_end: text.len(),
        text: stored,
        timestamp_nanos,
        level,
        message,
        trace_id,
        span_id,
        format: LineFormat::Json {
            json_start: u32::try_from(json_start).unwrap_or(u32::MAX),
        },
        styles,
        detected,
    })
}

/// Byte range of `part` inside `text`, which it borrows from (`serde_json` hands out slices of
/// its input). Falls back to empty if it is not a slice of `text` after all.
fn range_within(text: &str, part: &str) -> TextRange {
    let start = (part.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    if start <= text.len() && part.len() <= text.len() - start {
        TextRange::new(start, start + part.len())
    } else {
        TextRange::default()
    }
}

/// The parts of a plain-text line whose message starts at `body_start`.
fn plain_parts(
    text: &str,
    body_start: usize,
    prefix_timestamp: Option<i64>,
    styles: Vec<StyledSpan>,
    context: Context<'_>,
) -> LineParts {
    let body = &text[body_start..];
    let hits = logfmt::scan(body);
    let detection = formats::detect_plain(
        text,
        body_start,
        prefix_timestamp.is_some(),
        hits.level,
        context,
    );
    let level = detection.level;
    let to_range = |range: Option<std::ops::Range<usize>>| {
        range.map_or_else(TextRange::default, |r| {
            TextRange::new(body_start + r.start, body_start + r.end)
        })
    };
    let timestamp_nanos = prefix_timestamp
        .or(detection.timestamp)
        .or_else(|| bracketed_timestamp(body))
        .or(hits.timestamp_nanos);
    LineParts {
        text: exact_string(text),
        raw_end: text.len(),
        timestamp_nanos,
        level,
        // A logfmt line (it names its level) shows its `msg=` value; other lines show all.
        message: match (&hits.message, hits.level) {
            (Some(_), Some(_)) => to_range(hits.message.clone()),
            _ => TextRange::new(body_start, text.len()),
        },
        trace_id: to_range(hits.trace_id),
        span_id: to_range(hits.span_id),
        format: LineFormat::Plain,
        styles,
        detected: detection.format,
    }
}

/// A copy with no spare capacity, so turning it into `Box<str>` does not reallocate.
fn exact_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(text);
    out
}

/// `[2026-11-22T10:00:00Z] ...`: a timestamp in brackets at the start. It stays in the
/// message, since the program wrote it that way.
fn bracketed_timestamp(body: &str) -> Option<i64> {
    let inner = body.strip_prefix('[')?;
    let (nanos, used) = time::parse_leading(inner.as_bytes())?;
    (inner.as_bytes().get(used) == Some(&b']')).then_some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::logs::Level;
    use crate::model::logs::ansi::{Sgr, SgrColour};

    fn parse(text: &str) -> LogLine {
        parse_line(text.as_bytes(), Arc::from("pod/app"))
    }

    fn nanos(text: &str) -> i128 {
        text.parse::<jiff::Timestamp>().unwrap().as_nanosecond()
    }

    #[test]
    fn kubernetes_timestamp_prefix_is_split_off() {
        let line = parse("2026-11-22T10:00:00.5Z WARN disk almost full\r\n");
        assert_eq!(
            line.timestamp().unwrap().as_nanosecond(),
            nanos("2026-11-22T10:00:00.5Z")
        );
        assert_eq!(line.level(), Some(Level::Warn));
        assert_eq!(line.message(), "WARN disk almost full");
        assert_eq!(line.raw(), "2026-11-22T10:00:00.5Z WARN disk almost full");
        assert_eq!(line.format(), LineFormat::Plain);
        assert_eq!(&**line.source(), "pod/app");
    }

    #[test]
    fn level_vocabularies_in_plain_text() {
        let cases = [
            (
                "2026-11-22 10:00:00,123 ERROR [main] boom",
                Some(Level::Error),
            ),
            ("[warn] low memory", Some(Level::Warn)),
            ("Error: something broke", Some(Level::Error)),
            (
                "10:00:01 [main] com.x.Api INFO - started",
                Some(Level::Info),
            ),
            ("[E] failed", Some(Level::Error)),
            ("E/ActivityManager: crash", Some(Level::Error)),
            (
                "E1122 10:00:00.000000       1 controller.go:12] sync failed",
                Some(Level::Error),
            ),
            ("W1122 10:00:00.000000 1 x.go:1] slow", Some(Level::Warn)),
            (
                "time=2026-11-22T10:00:00Z level=debug msg=x",
                Some(Level::Debug),
            ),
            ("PANIC: runtime error", Some(Level::Fatal)),
            ("CRITICAL database gone", Some(Level::Fatal)),
            ("DBG cache miss", Some(Level::Debug)),
            ("TRACE entering", Some(Level::Trace)),
            ("I think this has no level", None),
            ("the connection error was retried", None),
            ("", None),
        ];
        for (text, level) in cases {
            assert_eq!(parse(text).level(), level, "{text}");
        }
    }

    #[test]
    fn logfmt_trace_context_and_time() {
        let line = parse(
            "ts=2026-11-22T10:00:00Z level=info trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 msg=ok",
        );
        assert_eq!(line.trace_id(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert_eq!(line.span_id(), Some("00f067aa0ba902b7"));
        assert_eq!(
            line.timestamp().unwrap().as_nanosecond(),
            nanos("2026-11-22T10:00:00Z")
        );
        let fields = line.fields();
        assert_eq!(fields[1], ("level".to_owned(), "info".to_owned()));
        assert_eq!(fields.len(), 5);
    }

    #[test]
    fn bracketed_timestamp_is_read_but_kept() {
        let line = parse("[2026-11-22T10:00:00Z] INFO x");
        assert!(line.timestamp().is_some());
        assert_eq!(line.message(), "[2026-11-22T10:00:00Z] INFO x");
    }

    #[test]
    fn json_line_picks_members_as_ranges() {
        let text = r#"{"time":"2026-11-22T10:00:00Z","level":"error","msg":"payment failed","trace_id":"abc123","span_id":"def456","order":42}"#;
        let line = parse(text);
        assert_eq!(line.format(), LineFormat::Json { json_start: 0 });
        assert_eq!(line.level(), Some(Level::Error));
        assert_eq!(line.message(), "payment failed");
        assert!(!line.message_is_separate());
        assert_eq!(line.trace_id(), Some("abc123"));
        assert_eq!(line.span_id(), Some("def456"));
        assert_eq!(line.raw(), text);
        // Nothing but the raw text is stored.
        assert_eq!(line.heap_bytes(), text.len());
        assert!(
            line.fields()
                .contains(&("order".to_owned(), "42".to_owned()))
        );
    }

    #[test]
    fn json_after_a_kubernetes_prefix_and_without_a_message() {
        let line = parse(r#"2026-11-22T10:00:00Z {"level":30,"svc":"cart"}"#);
        assert_eq!(line.format(), LineFormat::Json { json_start: 21 });
        assert_eq!(line.level(), Some(Level::Info));
        assert_eq!(
            line.timestamp().unwrap().as_nanosecond(),
            nanos("2026-11-22T10:00:00Z")
        );
        assert_eq!(line.message(), r#"{"level":30,"svc":"cart"}"#);
        assert_eq!(
            line.fields(),
            vec![("level".into(), "30".into()), ("svc".into(), "cart".into())]
        );
    }

    #[test]
    fn escaped_json_messages_are_decoded_and_made_inert() {
        let line = parse(r#"{"msg":"line one\nred \u001b[31mX\u001b[0m \u202e","level":"info"}"#);
        assert!(line.message_is_separate());
        assert_eq!(
            line.message(),
            "line one\u{240A}red \u{241B}[31mX\u{241B}[0m <U+202E>"
        );
        // Docker's trailing newline is not shown.
        let line = parse(r#"{"log":"hello\n","stream":"stdout"}"#);
        assert_eq!(line.message(), "hello");
    }

    #[test]
    fn broken_json_is_plain_text() {
        let line = parse(r#"{"level":"error","msg":"cut"#);
        assert_eq!(line.format(), LineFormat::Plain);
        assert_eq!(line.message(), r#"{"level":"error","msg":"cut"#);
    }

    #[test]
    fn hostile_bytes_become_inert() {
        let line = parse_line(
            b"\x1b[2J\x1b]0;pwned\x07 \xff\xfe \xe2\x80\xae ok",
            Arc::from("x"),
        );
        for c in line.message().chars() {
            assert!(!c.is_control(), "{c:?}");
            assert!(!matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'));
        }
        assert!(line.message().contains('\u{FFFD}'));
    }

    #[test]
    fn sgr_mode_keeps_colours_relative_to_the_message() {
        let options = ParseOptions {
            ansi: AnsiMode::KeepSgr,
            ..ParseOptions::default()
        };
        let line = parse_line_with(
            b"2026-11-22T10:00:00Z \x1b[31mERROR\x1b[0m boom\x1b[2K",
            Arc::from("x"),
            options,
        );
        assert_eq!(line.message(), "ERROR boom");
        assert_eq!(line.level(), Some(Level::Error));
        let red = Sgr {
            fg: Some(SgrColour::Indexed(1)),
            ..Sgr::default()
        };
        assert_eq!(
            line.message_styles(),
            &[StyledSpan {
                range: 0..5,
                style: red
            }]
        );

        let line = parse_line_with(
            br#"{"msg":"\u001b[1mbold\u001b[0m"}"#,
            Arc::from("x"),
            options,
        );
        assert_eq!(line.message(), "bold");
        assert_eq!(line.message_styles().len(), 1);

        let strip = ParseOptions {
            ansi: AnsiMode::Strip,
            ..ParseOptions::default()
        };
        let line = parse_line_with(b"\x1b[31mred\x1b[0m", Arc::from("x"), strip);
        assert_eq!(line.message(), "red");
        assert!(line.message_styles().is_empty());
    }

    #[test]
    fn long_lines_are_cut_and_marked() {
        let long = vec![b'a'; MAX_LINE_BYTES + 10];
        let line = parse_line(&long, Arc::from("x"));
        assert!(line.raw().ends_with(TRUNCATED_MARK));
        assert_eq!(line.raw().len(), MAX_LINE_BYTES + TRUNCATED_MARK.len());
    }

    #[test]
    fn ids_that_are_not_ids_are_ignored() {
        let line = parse(r#"{"trace_id":"has spaces in it","span_id":""}"#);
        assert_eq!(line.trace_id(), None);
        assert_eq!(line.span_id(), None);
        let line = parse(r#"{"traceId":"a\u0062c"}"#);
        assert_eq!(line.trace_id(), Some("abc"));
    }
}

#[cfg(test)]
mod logfmt_message_tests {
    use super::*;
    use crate::model::logs::Level;

    #[test]
    fn a_logfmt_line_shows_its_msg_value() {
        let line = parse_line(
            br#"ts=2026-11-22T10:00:00Z level=warn msg="disk 91% full" trace_id=abc123"#,
            std::sync::Arc::from("pod"),
        );
        assert_eq!(line.message(), "disk 91% full");
        assert_eq!(line.level(), Some(Level::Warn));
        assert_eq!(line.trace_id(), Some("abc123"));
        let plain = parse_line(b"msg=hello without a level", std::sync::Arc::from("pod"));
        assert_eq!(plain.message(), "msg=hello without a level");
    }
}
