//! Peeking at a partition's messages, read-only: where to start, the caps that keep memory
//! bounded, and each message as the pane shows it (key, headers, timestamp and its type,
//! offset, and the value as pretty JSON, UTF-8 text or hex). Every byte that reaches a cell
//! goes through [`crate::model::sanitize`]; values are cut to [`PeekLimits::value_bytes`]
//! before anything else is done with them.
//!
//! Where a reader starts: from the group's committed offset (the message a consumer is stuck
//! on), from a time (`offsets_for_times`, kcat's `-o s@ts`), or the last N (high − N, kcat's
//! `-o -N`), as first-aid.md §4.4 sets out.

use serde::{Deserialize, Serialize};

use crate::model::sanitize::clean_bytes;

/// Where a peek starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PeekFrom {
    /// An offset (the group's committed offset, resolved by the app from the snapshot).
    Offset { offset: i64 },
    /// The first message at or after this time (ms since the epoch).
    Time { ms: i64 },
    /// The last `n` messages before the high watermark.
    Last { n: i64 },
}

impl PeekFrom {
    #[must_use]
    pub fn words(&self) -> String {
        match self {
            Self::Offset { offset } => format!("from offset {offset}"),
            Self::Time { ms } => format!(
                "from {}",
                jiff::Timestamp::from_millisecond(*ms)
                    .map_or_else(|_| ms.to_string(), |t| t.to_string())
            ),
            Self::Last { n } => format!("the last {n}"),
        }
    }
}

/// Caps of one peek.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeekLimits {
    /// Messages kept.
    pub messages: usize,
    /// Bytes of a value kept (the rest is counted, not kept).
    pub value_bytes: usize,
    /// Bytes of a key or header value kept.
    pub key_bytes: usize,
    /// Headers kept per message.
    pub headers: usize,
    /// Bytes kept over the whole peek (values, keys and headers).
    pub total_bytes: usize,
}

impl Default for PeekLimits {
    fn default() -> Self {
        Self {
            messages: 100,
            value_bytes: 16 * 1024,
            key_bytes: 256,
            headers: 16,
            // 100 values of 16 KiB and their keys and headers fit.
            total_bytes: 2 * 1024 * 1024,
        }
    }
}

/// `CreateTime` or `LogAppendTime` (the topic's `message.timestamp.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampKind {
    Create,
    LogAppend,
}

/// One message as kept: bytes already cut to the caps, text not yet rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeekMessage {
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the epoch, with its kind; `None` when the broker gave none.
    pub timestamp: Option<(i64, TimestampKind)>,
    pub key: Option<Vec<u8>>,
    /// `(name, value)`; names are cleaned, values cut.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// `None`: a tombstone (null value).
    pub value: Option<Vec<u8>>,
    /// The value's real size before the cut.
    pub value_len: usize,
}

/// What one peek returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeekResult {
    pub topic: String,
    pub partition: i32,
    pub from: PeekFrom,
    /// The offset reading started at, after resolving `from`.
    pub start: i64,
    pub low: i64,
    pub high: i64,
    pub messages: Vec<PeekMessage>,
    /// Why reading stopped early (a cap, the end of the log, a timeout).
    pub note: Option<String>,
}

impl PeekResult {
    /// Bytes kept (values, keys, headers).
    #[must_use]
    pub fn kept_bytes(&self) -> usize {
        self.messages.iter().map(kept).sum()
    }
}

/// The audit outcome of a peek: what was read, never the content.
#[must_use]
pub fn summary(r: &PeekResult) -> String {
    let last = r.messages.last().map_or(r.start, |m| m.offset);
    format!(
        "read {} message(s) of {}:{} ({}), offsets {}..={last}, {} bytes kept",
        r.messages.len(),
        r.topic,
        r.partition,
        r.from.words(),
        r.start,
        r.kept_bytes()
    )
}

/// Bytes kept by one message.
#[must_use]
pub fn kept(m: &PeekMessage) -> usize {
    m.value.as_ref().map_or(0, Vec::len)
        + m.key.as_ref().map_or(0, Vec::len)
        + m.headers
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
            .sum::<usize>()
}

/// Copies at most `cap` bytes of `bytes`.
#[must_use]
pub fn cut(bytes: &[u8], cap: usize) -> Vec<u8> {
    bytes[..bytes.len().min(cap)].to_vec()
}

/// How a value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueView {
    /// JSON when it parses, UTF-8 when it is text, hex otherwise.
    #[default]
    Auto,
    Text,
    Hex,
}

impl ValueView {
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Auto => Self::Text,
            Self::Text => Self::Hex,
            Self::Hex => Self::Auto,
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Text => "text",
            Self::Hex => "hex",
        }
    }
}

/// The lines of a value as shown, every one sanitized; `limit` lines at most.
#[must_use]
pub fn value_lines(value: &[u8], view: ValueView, limit: usize) -> (String, Vec<String>) {
    let as_text = std::str::from_utf8(value).ok();
    let (kind, lines): (&str, Vec<String>) = match view {
        ValueView::Hex => ("hex", hex_lines(value, limit)),
        ValueView::Text => ("text", text_lines(&clean_bytes(value), limit)),
        ValueView::Auto => {
            let json = as_text
                .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                .filter(|v| v.is_object() || v.is_array())
                .and_then(|v| serde_json::to_string_pretty(&v).ok());
            match (json, as_text) {
                (Some(pretty), _) => ("json", text_lines(&pretty, limit)),
                (None, Some(t)) => ("text", text_lines(t, limit)),
                (None, None) => ("binary, hex", hex_lines(value, limit)),
            }
        }
    };
    (kind.to_owned(), lines)
}

/// Splits at newlines and cleans each line (so no byte can act on the terminal).
fn text_lines(text: &str, limit: usize) -> Vec<String> {
    text.split('\n')
        .take(limit)
        .map(crate::model::sanitize::clean)
        .collect()
}

/// `0000  7b 22 61 22  …  {"a"…`, 16 bytes a line, as hexdump -C.
fn hex_lines(bytes: &[u8], limit: usize) -> Vec<String> {
    use std::fmt::Write;
    bytes
        .chunks(16)
        .take(limit)
        .enumerate()
        .map(|(i, chunk)| {
            let mut line = format!("{:04x}  ", i * 16);
            for b in chunk {
                let _ = write!(line, "{b:02x} ");
            }
            for _ in chunk.len()..16 {
                line.push_str("   ");
            }
            line.push(' ');
            line.extend(chunk.iter().map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                }
            }));
            line
        })
        .collect()
}

/// A key or header value on one line: text when it is UTF-8 (cleaned), else hex.
#[must_use]
pub fn short_bytes(bytes: Option<&[u8]>) -> String {
    match bytes {
        None => "(null)".into(),
        Some(b) => match std::str::from_utf8(b) {
            Ok(t) => crate::model::sanitize::clean(t),
            Err(_) => {
                use std::fmt::Write;
                b.iter().fold("0x".to_owned(), |mut hex, x| {
                    let _ = write!(hex, "{x:02x}");
                    hex
                })
            }
        },
    }
}

/// The start offset a peek resolves to, clamped into `[low, high]` (`at_time`: the
/// offsets-for-times answer; `None` means no message after the time, so the end).
#[must_use]
pub fn start_offset(from: PeekFrom, low: i64, high: i64, at_time: Option<i64>) -> i64 {
    let wanted = match from {
        PeekFrom::Offset { offset } => offset,
        PeekFrom::Time { .. } => at_time.unwrap_or(high),
        PeekFrom::Last { n } => high.saturating_sub(n.max(0)),
    };
    wanted.clamp(low, high.max(low))
}

/// Parses the peek prompt: `<topic>:<partition> [committed|@<time>|last N|N]`. The
/// committed offset is `committed` (the group's, when peeking from a group).
///
/// # Errors
/// What to type instead.
pub fn parse_request(
    input: &str,
    committed: impl Fn(&str, i32) -> Option<i64>,
) -> Result<(String, i32, PeekFrom), String> {
    let mut words = input.split_whitespace();
    let place = words
        .next()
        .ok_or("type <topic>:<partition> and where to start")?;
    let (topic, partition) = place
        .rsplit_once(':')
        .and_then(|(t, p)| Some((t, p.parse::<i32>().ok()?)))
        .filter(|(t, _)| !t.is_empty())
        .ok_or_else(|| format!("`{place}`: topic:partition, e.g. orders:0"))?;
    let from = match (words.next(), words.next()) {
        (None | Some("committed"), None) => PeekFrom::Offset {
            offset: committed(topic, partition).ok_or_else(|| {
                format!("no committed offset on {topic}:{partition}: say `last N` or `@<time>`")
            })?,
        },
        (Some("last"), Some(n)) => PeekFrom::Last {
            n: n.parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("`{n}`: last needs a positive number"))?,
        },
        (Some(w), None) if w.starts_with('@') => PeekFrom::Time {
            ms: w[1..]
                .parse::<jiff::Timestamp>()
                .map_err(|e| format!("`{w}`: @2026-12-07T01:00:00Z ({e})"))?
                .as_millisecond(),
        },
        (Some(w), None) => PeekFrom::Offset {
            offset: w
                .parse()
                .ok()
                .filter(|o| *o >= 0)
                .ok_or_else(|| format!("`{w}`: committed, an offset, @<time> or last N"))?,
        },
        _ => return Err("committed, an offset, @<time> or last N".into()),
    };
    Ok((topic.to_owned(), partition, from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_render_as_json_text_or_hex_and_stay_inert() {
        let (kind, lines) = value_lines(br#"{"a":1,"b":[2]}"#, ValueView::Auto, 50);
        assert_eq!(kind, "json");
        assert_eq!(lines[0], "{");
        assert!(lines.iter().any(|l| l.contains("\"a\": 1")));
        let hostile = b"hi \x1b]52;c;ZXZpbA==\x07 \x1b[2J\xe2\x80\xaeend";
        let (kind, lines) = value_lines(hostile, ValueView::Auto, 50);
        assert_eq!(kind, "text");
        for l in &lines {
            assert!(
                !l.contains('\x1b') && !l.contains('\x07') && !l.contains('\u{202e}'),
                "{l:?}"
            );
        }
        let (kind, lines) = value_lines(&[0, 159, 255, 27], ValueView::Auto, 50);
        assert_eq!(kind, "binary, hex");
        assert!(lines[0].starts_with("0000  00 9f ff 1b "), "{lines:?}");
        assert!(lines[0].ends_with("...."));
        let (_, lines) = value_lines(b"abc", ValueView::Hex, 50);
        assert!(lines[0].contains("61 62 63"));
        let (_, lines) = value_lines(&[0x41; 1000], ValueView::Hex, 3);
        assert_eq!(lines.len(), 3, "lines are capped");
        assert_eq!(short_bytes(Some(b"k\x1b[1m")), "k␛[1m");
        assert_eq!(short_bytes(Some(&[0xff, 0x00])), "0xff00");
        assert_eq!(short_bytes(None), "(null)");
    }

    #[test]
    fn start_offsets_and_the_prompt() {
        assert_eq!(start_offset(PeekFrom::Last { n: 5 }, 0, 3, None), 0);
        assert_eq!(start_offset(PeekFrom::Last { n: 5 }, 0, 30, None), 25);
        assert_eq!(start_offset(PeekFrom::Time { ms: 0 }, 2, 30, Some(7)), 7);
        assert_eq!(start_offset(PeekFrom::Time { ms: 0 }, 2, 30, None), 30);
        assert_eq!(start_offset(PeekFrom::Offset { offset: 1 }, 2, 30, None), 2);
        let committed = |t: &str, p: i32| (t == "o" && p == 0).then_some(4);
        assert_eq!(
            parse_request("o:0", committed).unwrap(),
            ("o".into(), 0, PeekFrom::Offset { offset: 4 })
        );
        assert_eq!(
            parse_request("o:1 last 10", committed).unwrap().2,
            PeekFrom::Last { n: 10 }
        );
        assert_eq!(
            parse_request("o:1 12", committed).unwrap().2,
            PeekFrom::Offset { offset: 12 }
        );
        assert!(matches!(
            parse_request("a:b:2 @2026-01-01T00:00:00Z", committed).unwrap(),
            (t, 2, PeekFrom::Time { .. }) if t == "a:b"
        ));
        for bad in ["", "o", "o:x", "o:1", "o:0 last 0", "o:0 -3", "o:0 @never"] {
            assert!(parse_request(bad, committed).is_err(), "{bad:?}");
        }
        assert_eq!(cut(b"abcdef", 3), b"abc");
    }
}
