//! JSON log lines: picking the timestamp, level, message and trace context out of one object
//! at ingest, and flattening all of its members when the user opens the line.
//!
//! Ingest walks the object with a serde visitor instead of building a `serde_json::Map`: keys
//! are compared while borrowed from the input, only the five interesting values are read, and
//! everything else is skipped with `IgnoredAny`. Strings without escapes come back borrowed,
//! so the caller can store them as ranges of the raw text instead of copies.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::formats::DetectedFormat;
use super::formats::syslog::severity_level;
use super::level::Level;
use super::time;

/// The values ingest keeps from one JSON object. Strings borrow from the input when they had
/// no escapes.
#[derive(Debug, Default)]
pub(super) struct Picked<'a> {
    pub(super) timestamp_nanos: Option<i64>,
    pub(super) level: Option<Level>,
    pub(super) message: Option<Cow<'a, str>>,
    pub(super) trace_id: Option<Cow<'a, str>>,
    pub(super) span_id: Option<Cow<'a, str>>,
    /// `log` counts as the message (Docker's json-file format) only when no `msg`/`message`
    /// is present, wherever it appears in the object.
    message_from_log: bool,
    /// Which shape gave the level and time (bunyan's numbers, journald's `PRIORITY`, Log4j2's
    /// `timeMillis`/`instant`), for the line's detail.
    pub(super) format: DetectedFormat,
}

/// Reads `text` as one JSON object and picks the interesting members. `None` when it is not a
/// JSON object (the caller then treats the line as plain text).
pub(super) fn pick(text: &str) -> Option<Picked<'_>> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let picked = deserializer
        .deserialize_map(PickVisitor { nested_in: None })
        .ok()?;
    // Trailing garbage after the object means this was not a JSON line after all.
    deserializer.end().ok()?;
    Some(picked)
}

/// Which slot a member fills.
#[derive(Clone, Copy)]
enum Slot {
    Timestamp,
    Level,
    Message,
    /// `log`: a message (Docker) when a string, ECS `log.level` when an object.
    Log,
    TraceId,
    SpanId,
    /// `trace` / `span` objects holding an `id` (ECS).
    TraceObject,
    SpanObject,
    /// journald's `PRIORITY`: a syslog severity, as a string or a number.
    Priority,
    /// Log4j2 `JsonLayout`: `timeMillis` (epoch milliseconds) or `instant` (an object).
    Log4jTime,
}

fn top_level_slot(key: &str) -> Option<Slot> {
    let slot = match key {
        "ts" | "time" | "timestamp" | "@timestamp" | "t" | "datetime" | "__REALTIME_TIMESTAMP" => {
            Slot::Timestamp
        }
        "timeMillis" | "instant" => Slot::Log4jTime,
        "PRIORITY" => Slot::Priority,
        "level" | "lvl" | "severity" | "log.level" | "levelname" | "loglevel" | "severity_text"
        | "severityText" => Slot::Level,
        "msg" | "message" | "@message" | "MESSAGE" => Slot::Message,
        "log" => Slot::Log,
        "trace_id" | "traceId" | "trace.id" | "traceID" | "otelTraceID" | "traceid" => {
            Slot::TraceId
        }
        "span_id" | "spanId" | "span.id" | "spanID" | "otelSpanID" | "spanid" => Slot::SpanId,
        "trace" => Slot::TraceObject,
        "span" => Slot::SpanObject,
        _ => return None,
    };
    Some(slot)
}

/// Visits an object. At the top level it fills every slot; nested (inside `log`, `trace` or
/// `span`) it only looks for the one member that parent can carry.
struct PickVisitor {
    nested_in: Option<Slot>,
}

impl<'de> Visitor<'de> for PickVisitor {
    type Value = Picked<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut picked = Picked {
            format: DetectedFormat::Json,
            ..Picked::default()
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let slot = match self.nested_in {
                None => top_level_slot(&key.0),
                Some(Slot::Log) => (key.0 == "level").then_some(Slot::Level),
                Some(Slot::TraceObject) => (key.0 == "id").then_some(Slot::TraceId),
                Some(Slot::SpanObject) => (key.0 == "id").then_some(Slot::SpanId),
                Some(_) => None,
            };
            let Some(slot) = slot else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let value = map.next_value_seed(ValueSeed { slot })?;
            picked.absorb(slot, value);
        }
        Ok(picked)
    }
}

impl<'a> Picked<'a> {
    /// Stores one member's value; the first value for a slot wins, except that a real
    /// `msg`/`message` replaces a message taken from `log`.
    fn absorb(&mut self, slot: Slot, value: Value<'a>) {
        match (slot, value) {
            (_, Value::Object(nested)) => {
                self.level = self.level.or(nested.level);
                self.trace_id = self.trace_id.take().or(nested.trace_id);
                self.span_id = self.span_id.take().or(nested.span_id);
            }
            (Slot::Timestamp, value) if self.timestamp_nanos.is_none() => {
                self.timestamp_nanos = match value {
                    Value::Str(text) => time::parse_text(&text),
                    Value::Int(n) => time::from_epoch_int(n),
                    Value::Float(f) => time::from_epoch_float(f),
                    _ => None,
                };
            }
            (Slot::Log4jTime, value) if self.timestamp_nanos.is_none() => {
                self.timestamp_nanos = match value {
                    Value::Int(n) => time::from_epoch_int(n),
                    Value::Nanos(n) => Some(n),
                    _ => None,
                };
                if self.timestamp_nanos.is_some() && self.format == DetectedFormat::Json {
                    self.format = DetectedFormat::Log4j2Json;
                }
            }
            (Slot::Priority, value) => {
                let severity = match value {
                    Value::Str(text) => text.trim().parse::<u64>().ok(),
                    Value::Int(n) => u64::try_from(n).ok(),
                    _ => None,
                };
                // PRIORITY is journald's own field: it wins over a `level` a program logged.
                if let Some(level) = severity.and_then(severity_level) {
                    self.level = Some(level);
                    self.format = DetectedFormat::Journald;
                }
            }
            (Slot::Level, value) if self.level.is_none() => {
                let numeric = match &value {
                    Value::Int(_) => true,
                    Value::Str(text) => text.trim().bytes().all(|b| b.is_ascii_digit()),
                    _ => false,
                };
                self.level = match value {
                    Value::Str(text) => level_from_text(&text),
                    Value::Int(n) => u64::try_from(n).ok().and_then(Level::from_number),
                    _ => None,
                };
                if numeric && self.level.is_some() {
                    self.format = DetectedFormat::JsonNumeric;
                }
            }
            (Slot::Message, Value::Str(text))
                if self.message.is_none() || self.message_from_log =>
            {
                self.message = Some(text);
                self.message_from_log = false;
            }
            (Slot::Log, Value::Str(text)) if self.message.is_none() => {
                self.message = Some(text);
                self.message_from_log = true;
            }
            (Slot::TraceId, Value::Str(text)) if self.trace_id.is_none() => {
                self.trace_id = Some(text);
            }
            (Slot::SpanId, Value::Str(text)) if self.span_id.is_none() => {
                self.span_id = Some(text);
            }
            _ => {}
        }
    }
}

/// A level string: a word (`"warn"`) or a number in a string (`"30"`).
fn level_from_text(text: &str) -> Option<Level> {
    Level::from_word(text.trim())
        .or_else(|| text.trim().parse::<u64>().ok().and_then(Level::from_number))
}

/// A member value as ingest sees it. Anything else (arrays, booleans, null) is `Other`.
enum Value<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    /// Unix nanoseconds already computed (Log4j2's `instant`).
    Nanos(i64),
    Object(Picked<'a>),
    Other,
}

struct ValueSeed {
    slot: Slot,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor { slot: self.slot })
    }
}

struct ValueVisitor {
    slot: Slot,
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Value::Other, Value::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        match self.slot {
            // Only these parents have a member worth reading, and only one level deep.
            Slot::Log | Slot::TraceObject | Slot::SpanObject => PickVisitor {
                nested_in: Some(self.slot),
            }
            .visit_map(map)
            .map(Value::Object),
            Slot::Log4jTime => {
                let instant = <Instant as de::Deserialize>::deserialize(
                    de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(instant
                    .epoch_second
                    .checked_mul(1_000_000_000)
                    .and_then(|s| s.checked_add(instant.nano_of_second))
                    .map_or(Value::Other, Value::Nanos))
            }
            _ => {
                IgnoredAny.visit_map(map)?;
                Ok(Value::Other)
            }
        }
    }
}

/// Log4j2 `JsonLayout`'s `"instant": {"epochSecond": …, "nanoOfSecond": …}`.
#[derive(serde::Deserialize)]
struct Instant {
    #[serde(rename = "epochSecond")]
    epoch_second: i64,
    #[serde(rename = "nanoOfSecond", default)]
    nano_of_second: i64,
}

/// A member name, borrowed when it had no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Most members listed by [`fields`]; a line with more is cut off there, since the overlay
/// cannot show thousands anyway.
const MAX_FIELDS: usize = 512;

/// All members of a JSON object as sanitized `(key, value)` pairs: nested objects flattened to
/// `a.b`, strings as their text, everything else as compact JSON.
pub(super) fn fields(text: &str) -> Vec<(String, String)> {
    let Ok(object) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    flatten("", &object, 0, &mut out);
    out
}

fn flatten(
    prefix: &str,
    object: &serde_json::Map<String, serde_json::Value>,
    depth: usize,
    out: &mut Vec<(String, String)>,
) {
    for (key, value) in object {
        if out.len() >= MAX_FIELDS {
            return;
        }
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            // Deeply nested objects are shown as JSON rather than recursed into without end.
            serde_json::Value::Object(inner) if depth < 8 => flatten(&name, inner, depth + 1, out),
            serde_json::Value::String(s) => out.push((clean(&name), clean(s))),
            other => out.push((clean(&name), clean(&other.to_string()))),
        }
    }
}

fn clean(text: &str) -> String {
    crate::model::sanitize::clean(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_common_keys_and_borrows_plain_strings() {
        let text = r#"{"ts":"2026-11-22T10:00:00Z","level":"warn","msg":"slow query","trace_id":"abc123","span_id":"def","n":[1,{"x":2}]}"#;
        let picked = pick(text).unwrap();
        assert_eq!(picked.level, Some(Level::Warn));
        assert!(picked.timestamp_nanos.is_some());
        assert!(matches!(picked.message, Some(Cow::Borrowed("slow query"))));
        assert_eq!(picked.trace_id.as_deref(), Some("abc123"));
        assert_eq!(picked.span_id.as_deref(), Some("def"));
    }

    #[test]
    fn numeric_levels_and_epoch_times() {
        let picked = pick(r#"{"level":50,"time":1700000000000,"msg":"pino"}"#).unwrap();
        assert_eq!(picked.level, Some(Level::Error));
        assert_eq!(picked.timestamp_nanos, Some(1_700_000_000_000_000_000));
        let picked = pick(r#"{"severity":"30","timestamp":1700000000.5}"#).unwrap();
        assert_eq!(picked.level, Some(Level::Info));
        assert_eq!(picked.timestamp_nanos, Some(1_700_000_000_500_000_000));
    }

    #[test]
    fn ecs_and_otel_spellings() {
        let picked = pick(
            r#"{"@timestamp":"2026-11-22T10:00:00.5Z","log":{"level":"ERROR","logger":"x"},"message":"m","trace":{"id":"t1"},"span":{"id":"s1"}}"#,
        )
        .unwrap();
        assert_eq!(picked.level, Some(Level::Error));
        assert_eq!(picked.message.as_deref(), Some("m"));
        assert_eq!(picked.trace_id.as_deref(), Some("t1"));
        assert_eq!(picked.span_id.as_deref(), Some("s1"));
        let picked = pick(r#"{"log.level":"debug","otelTraceID":"t2","otelSpanID":"s2"}"#).unwrap();
        assert_eq!(picked.level, Some(Level::Debug));
        assert_eq!(picked.trace_id.as_deref(), Some("t2"));
        assert_eq!(picked.span_id.as_deref(), Some("s2"));
    }

    #[test]
    fn docker_log_is_a_message_unless_msg_exists() {
        let picked = pick(r#"{"log":"hello\n","stream":"stdout"}"#).unwrap();
        assert!(matches!(picked.message.as_deref(), Some("hello\n")));
        let picked = pick(r#"{"log":"outer","msg":"inner"}"#).unwrap();
        assert_eq!(picked.message.as_deref(), Some("inner"));
        let picked = pick(r#"{"message":"first","log":"second"}"#).unwrap();
        assert_eq!(picked.message.as_deref(), Some("first"));
    }

    #[test]
    fn escaped_strings_are_decoded_and_owned() {
        let picked = pick(r#"{"msg":"a\"b\u001b[31m"}"#).unwrap();
        assert!(matches!(&picked.message, Some(Cow::Owned(m)) if m == "a\"b\x1b[31m"));
    }

    #[test]
    fn non_objects_and_trailing_text_are_refused() {
        assert!(pick("[1,2]").is_none());
        assert!(pick(r#"{"a":1} trailing"#).is_none());
        assert!(pick(r#"{"a":"#).is_none());
        assert!(pick("{}").is_some());
    }

    #[test]
    fn fields_flatten_and_sanitize() {
        let fields = fields(r#"{"a":"x\u001by","b":{"c":1,"d":[true]},"e":null}"#);
        let expect = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            fields,
            vec![
                expect("a", "x\u{241B}y"),
                expect("b.c", "1"),
                expect("b.d", "[true]"),
                expect("e", "null")
            ]
        );
    }
}
