//! One log line as the buffer keeps it.
//!
//! A buffer holds up to a million of these, so the layout is deliberately compact (target:
//! 1M lines in ≤ 300 MB): one heap allocation per line holds the sanitized raw text, and the
//! message, trace id and span id are byte ranges into it. Only when a JSON value had to be
//! decoded (escapes) or restyled does its text get appended after the raw part. Other JSON or
//! logfmt fields are not stored at all; [`LogLine::fields`] re-parses them on demand, which is
//! fine for the one line a user opens.

use std::sync::Arc;

use jiff::Timestamp;

use super::ansi::StyledSpan;
use super::formats::{self, DetectedFormat};
use super::level::Level;
use super::{json, logfmt, time};

/// Byte range into a line's text. `u32` offsets keep the struct small; lines are capped well
/// below 4 GiB at ingest. An empty range means "absent" for the optional parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct TextRange {
    pub(super) start: u32,
    pub(super) end: u32,
}

impl TextRange {
    /// Range of `start..end`; callers pass offsets inside a text capped at ingest.
    pub(super) fn new(start: usize, end: usize) -> Self {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            start: clamp(start),
            end: clamp(end),
        }
    }

    pub(super) fn is_empty(self) -> bool {
        self.start >= self.end
    }

    fn get(self, text: &str) -> &str {
        text.get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

/// How the raw text was read, which decides how [`LogLine::fields`] re-parses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// Free text, possibly with logfmt `key=value` pairs.
    Plain,
    /// A JSON object; `json_start` is where the object begins in the raw text (after an
    /// optional timestamp prefix added by the Kubernetes API).
    Json { json_start: u32 },
}

/// Colour spans of a message kept in the SGR mode. Boxed twice over so a line without colours
/// pays one pointer for the feature.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MessageStyles(Box<[StyledSpan]>);

/// One ingested log line. Built by [`super::parse_line`]; its sequence number is assigned when
/// it enters a [`super::LogBuffer`].
#[derive(Debug, Clone)]
pub struct LogLine {
    seq: u64,
    timestamp_nanos: i64,
    source: Arc<str>,
    /// Sanitized raw line, then any decoded values (see the module doc).
    text: Box<str>,
    styles: Option<Box<MessageStyles>>,
    message: TextRange,
    raw_end: u32,
    /// Where the JSON object starts in the raw text, or [`NOT_JSON`].
    json_start: u32,
    // Ids are a start and a one-byte length rather than a TextRange: that keeps the struct at
    // 88 bytes, and no real trace or span id is longer than 255 bytes (see MAX_ID_LEN).
    trace_start: u32,
    span_start: u32,
    trace_len: u8,
    span_len: u8,
    level: Option<Level>,
    /// One byte, in the padding after the level: the struct stays at 88 bytes.
    detected: DetectedFormat,
}

/// `json_start` of a plain-text line.
const NOT_JSON: u32 = u32::MAX;

/// Longest trace or span id kept; parsers ignore longer values.
pub(super) const MAX_ID_LEN: usize = u8::MAX as usize;

/// The parts a parser found, before they are packed into a [`LogLine`].
pub(super) struct LineParts {
    pub(super) text: String,
    pub(super) raw_end: usize,
    pub(super) timestamp_nanos: Option<i64>,
    pub(super) level: Option<Level>,
    pub(super) message: TextRange,
    /// Empty when absent; ignored when longer than [`MAX_ID_LEN`].
    pub(super) trace_id: TextRange,
    pub(super) span_id: TextRange,
    pub(super) format: LineFormat,
    pub(super) styles: Vec<StyledSpan>,
    pub(super) detected: DetectedFormat,
}

impl LogLine {
    pub(super) fn from_parts(parts: LineParts, source: Arc<str>) -> Self {
        let styles = (!parts.styles.is_empty())
            .then(|| Box::new(MessageStyles(parts.styles.into_boxed_slice())));
        Self {
            seq: 0,
            timestamp_nanos: parts.timestamp_nanos.unwrap_or(time::NO_TIMESTAMP),
            source,
            text: parts.text.into_boxed_str(),
            styles,
            message: parts.message,
            raw_end: u32::try_from(parts.raw_end).unwrap_or(u32::MAX),
            json_start: match parts.format {
                LineFormat::Json { json_start } => json_start,
                LineFormat::Plain => NOT_JSON,
            },
            trace_start: parts.trace_id.start,
            span_start: parts.span_id.start,
            trace_len: id_len(parts.trace_id),
            span_len: id_len(parts.span_id),
            level: parts.level,
            detected: parts.detected,
        }
    }

    pub(super) fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }

    /// Position in the stream of everything ever pushed to the buffer: strictly increasing,
    /// never reused, so it stays valid while older lines are evicted.
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// When the line says it was written, if it says so.
    #[must_use]
    pub fn timestamp(&self) -> Option<Timestamp> {
        time::from_nanos(self.timestamp_nanos)
    }

    /// Where the line came from: `pod/container`, a file name, a Loki stream.
    #[must_use]
    pub fn source(&self) -> &Arc<str> {
        &self.source
    }

    #[must_use]
    pub fn level(&self) -> Option<Level> {
        self.level
    }

    /// The message to show. For plain text it is the line without a leading timestamp; for
    /// JSON the decoded message field, or the whole object when there is none.
    #[must_use]
    pub fn message(&self) -> &str {
        self.message.get(&self.text)
    }

    /// Colour spans over [`Self::message`], byte ranges into it. Empty unless the line was
    /// parsed in the SGR-keeping mode and had colours.
    #[must_use]
    pub fn message_styles(&self) -> &[StyledSpan] {
        self.styles.as_deref().map_or(&[], |styles| &styles.0)
    }

    #[must_use]
    pub fn trace_id(&self) -> Option<&str> {
        self.id(self.trace_start, self.trace_len)
    }

    #[must_use]
    pub fn span_id(&self) -> Option<&str> {
        self.id(self.span_start, self.span_len)
    }

    fn id(&self, start: u32, len: u8) -> Option<&str> {
        (len > 0).then(|| {
            TextRange {
                start,
                end: start + u32::from(len),
            }
            .get(&self.text)
        })
    }

    /// The whole line as received, sanitized (escapes visible and inert).
    #[must_use]
    pub fn raw(&self) -> &str {
        self.text.get(..self.raw_end as usize).unwrap_or("")
    }

    /// Whether the message is not a slice of [`Self::raw`] (it was decoded from a JSON string
    /// or had escapes parsed out), so a search must look at both.
    #[must_use]
    pub fn message_is_separate(&self) -> bool {
        self.message.start >= self.raw_end && !self.message.is_empty()
    }

    #[must_use]
    pub fn format(&self) -> LineFormat {
        if self.json_start == NOT_JSON {
            LineFormat::Plain
        } else {
            LineFormat::Json {
                json_start: self.json_start,
            }
        }
    }

    /// The log format the line was recognised as, which says where its level came from.
    #[must_use]
    pub fn detected_format(&self) -> DetectedFormat {
        self.detected
    }

    /// The format's name and how the level was found, for the line's detail, e.g.
    /// "syslog RFC 3164 · level ERROR from PRI <11> (facility 1, severity 3 err)". Re-reads the
    /// raw text, so it is meant for the one line a user opens.
    #[must_use]
    pub fn format_explanation(&self) -> String {
        formats::explain(self.raw(), self.detected, self.level)
    }

    /// Every field of the line as sanitized `(key, value)` pairs, parsed on demand: the JSON
    /// members (nested objects flattened as `a.b`, non-string values as JSON text) or the
    /// logfmt pairs of a plain line.
    #[must_use]
    pub fn fields(&self) -> Vec<(String, String)> {
        match self.format() {
            LineFormat::Json { json_start } => {
                json::fields(self.raw().get(json_start as usize..).unwrap_or(""))
            }
            LineFormat::Plain => logfmt::fields(self.raw()),
        }
    }

    /// Heap bytes this line owns (its text and styles), for memory accounting. The shared
    /// source name is not counted.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let styles = self.styles.as_ref().map_or(0, |styles| {
            std::mem::size_of::<MessageStyles>()
                + styles.0.len() * std::mem::size_of::<StyledSpan>()
        });
        self.text.len() + styles
    }
}

/// Length of an id range, or 0 (absent) when it is empty or too long to be an id.
fn id_len(range: TextRange) -> u8 {
    if range.is_empty() {
        return 0;
    }
    u8::try_from(range.end - range.start).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_stays_compact() {
        // 1M lines of ~160 bytes must fit in 300 MB together with their text.
        assert!(
            std::mem::size_of::<LogLine>() <= 88,
            "{}",
            std::mem::size_of::<LogLine>()
        );
    }

    #[test]
    fn parts_are_ranges_into_one_text() {
        let text = "2026-11-22T10:00:00Z ERROR boom trace_id=abc".to_owned();
        let parts = LineParts {
            raw_end: text.len(),
            timestamp_nanos: Some(5),
            level: Some(Level::Error),
            message: TextRange::new(21, 31),
            trace_id: TextRange::new(41, 44),
            span_id: TextRange::default(),
            format: LineFormat::Plain,
            styles: Vec::new(),
            detected: DetectedFormat::StampedLevel,
            text,
        };
        let mut line = LogLine::from_parts(parts, Arc::from("pod/app"));
        line.set_seq(7);
        assert_eq!(line.seq(), 7);
        assert_eq!(line.message(), "ERROR boom");
        assert_eq!(line.trace_id(), Some("abc"));
        assert_eq!(line.span_id(), None);
        assert_eq!(line.level(), Some(Level::Error));
        assert_eq!(
            line.timestamp().map(jiff::Timestamp::as_nanosecond),
            Some(5)
        );
        assert_eq!(&**line.source(), "pod/app");
        assert!(!line.message_is_separate());
        assert!(line.message_styles().is_empty());
        assert_eq!(line.heap_bytes(), line.raw().len());
    }
}
