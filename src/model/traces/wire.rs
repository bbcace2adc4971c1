//! Tolerant scalar readers shared by the trace parsers: 64-bit integers sent as numbers or
//! decimal strings, enums sent as integers or names, values of any JSON kind rendered as text,
//! and `null` accepted wherever a list or string is expected.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::model::clean;

/// [`clean`] for a string we already own: returns it as is (no copy) when nothing needed
/// replacing, which is nearly always.
#[must_use]
pub fn clean_owned(text: String) -> String {
    match crate::model::sanitize::clean_cow(&text, false) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(cleaned) => cleaned,
    }
}

/// `null` becomes the type's default instead of an error (some exporters write
/// `"attributes": null`).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A 64-bit integer from a number (possibly fractional) or a decimal string; garbage is 0,
/// because one unreadable timestamp should not cost the user the whole trace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Int64(pub i64);

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a decimal string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int64, E> {
                Ok(Int64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int64, E> {
                Ok(Int64(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            #[allow(clippy::cast_possible_truncation)]
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int64, E> {
                // `as` saturates and maps NaN to 0, which is what we want here.
                Ok(Int64(v as i64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int64, E> {
                let v = v.trim();
                let parsed = v
                    .parse::<i64>()
                    .ok()
                    .or_else(|| {
                        v.parse::<u64>()
                            .ok()
                            .map(|u| i64::try_from(u).unwrap_or(i64::MAX))
                    })
                    .or_else(|| v.parse::<f64>().ok().map(|f| Int64::from_f64(f).0));
                Ok(Int64(parsed.unwrap_or(0)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Int64, E> {
                Ok(Int64(0))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Int64, E> {
                Ok(Int64(0))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl Int64 {
    #[allow(clippy::cast_possible_truncation)]
    fn from_f64(f: f64) -> Self {
        Self(f as i64)
    }
}

/// An OTLP enum from its integer (`2`) or its name (`"SPAN_KIND_SERVER"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum WireEnum {
    #[default]
    Missing,
    Code(i64),
    Name(String),
}

impl<'de> Deserialize<'de> for WireEnum {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WireEnum;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an enum integer or name")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WireEnum, E> {
                Ok(WireEnum::Code(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireEnum, E> {
                Ok(WireEnum::Code(i64::try_from(v).unwrap_or(-1)))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<WireEnum, E> {
                Ok(WireEnum::Missing)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WireEnum, E> {
                Ok(v.trim()
                    .parse::<i64>()
                    .map_or_else(|_| WireEnum::Name(v.to_owned()), WireEnum::Code))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<WireEnum, E> {
                Ok(WireEnum::Missing)
            }
            fn visit_unit<E: de::Error>(self) -> Result<WireEnum, E> {
                Ok(WireEnum::Missing)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Any JSON scalar rendered as cleaned text: strings as they are, numbers and booleans in
/// their JSON spelling, `null` as empty. Arrays and objects are rendered compactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Text(render_json(&value)))
    }
}

/// A JSON value as one cleaned line.
#[must_use]
pub fn render_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => clean(s),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        other => clean(&other.to_string()),
    }
}

/// Says whether a `serde_json` error means "this is not JSON at all" (an HTML error page, a
/// proxy's plain-text answer) rather than "JSON of an unexpected shape", so messages can say
/// which.
#[must_use]
pub fn describe_json_error(what: &str, err: &serde_json::Error, body: &[u8]) -> String {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof => {
            let head: String = String::from_utf8_lossy(body)
                .trim()
                .chars()
                .take(80)
                .collect();
            clean(&format!(
                "the body is not JSON ({err}); it starts with `{head}`"
            ))
        }
        Category::Data | Category::Io => clean(&format!("not {what}: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_owned_keeps_or_replaces() {
        assert_eq!(clean_owned("plain".into()), "plain");
        assert_eq!(clean_owned("a\u{1b}b".into()), "a␛b");
    }

    #[test]
    fn int64_accepts_numbers_and_strings() {
        let v: Vec<Int64> =
            serde_json::from_str(r#"[1658325672496201216, "1658325672496201216", "x", null, 1.5]"#)
                .unwrap_or_default();
        assert_eq!(
            v,
            vec![
                Int64(1_658_325_672_496_201_216),
                Int64(1_658_325_672_496_201_216),
                Int64(0),
                Int64(0),
                Int64(1)
            ]
        );
    }

    #[test]
    fn enums_accept_codes_and_names() {
        let v: Vec<WireEnum> =
            serde_json::from_str(r#"[2, "SPAN_KIND_CLIENT", "3"]"#).unwrap_or_default();
        assert_eq!(
            v,
            vec![
                WireEnum::Code(2),
                WireEnum::Name("SPAN_KIND_CLIENT".into()),
                WireEnum::Code(3)
            ]
        );
    }
}
