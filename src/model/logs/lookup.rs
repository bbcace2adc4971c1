//! Fast single-field lookup over a stored line's text, for field predicates and columns.
//!
//! [`super::LogLine::fields`] builds every member with serde, which is right for the one line
//! a user opens but far too slow to test a million lines. Here one key is looked up without
//! building anything: a JSON object is walked member by member (keys compared as raw bytes,
//! values skipped by their brackets and quotes), and a logfmt line is searched for `key=` at
//! a word start outside quoted values. A precompiled [`FieldKey`] carries `memchr` finders so
//! most lines that lack the key are refused by one vectorised search before any walk.
//!
//! Keys are compared as written in the line: a JSON key spelled with escapes (`"lev\u0065l"`)
//! is not decoded, as no logger writes keys that way.

use std::borrow::Cow;

use memchr::memmem::Finder;

/// Deepest object a dotted path descends into.
const MAX_DEPTH: usize = 8;

/// A key compiled once for many lookups: its bytes and the finders that pre-screen lines.
#[derive(Debug, Clone)]
pub struct FieldKey {
    path: Box<[u8]>,
    /// `"first.segment` (a JSON key starts with a quote and the path's first segment, whether
    /// it is nested or a literal dotted key).
    json_probe: Finder<'static>,
    /// `key=`.
    logfmt_probe: Finder<'static>,
}

impl FieldKey {
    /// Compiles `path` (`user_id`, `http.status`).
    #[must_use]
    pub fn new(path: &str) -> Self {
        let first = path.split('.').next().unwrap_or(path);
        let mut json = Vec::with_capacity(first.len() + 1);
        json.push(b'"');
        json.extend_from_slice(first.as_bytes());
        let mut logfmt = path.as_bytes().to_vec();
        logfmt.push(b'=');
        Self {
            path: path.as_bytes().into(),
            json_probe: Finder::new(&json).into_owned(),
            logfmt_probe: Finder::new(&logfmt).into_owned(),
        }
    }

    /// The key as typed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.path).unwrap_or("")
    }

    /// The value of this key in a stored line: its JSON members, or its logfmt pairs when
    /// the line is not JSON.
    #[must_use]
    pub fn in_line<'a>(&self, line: &'a super::LogLine) -> Option<FieldValue<'a>> {
        match line.format() {
            super::LineFormat::Json { json_start } => {
                self.in_json(line.raw().get(json_start as usize..).unwrap_or(""))
            }
            super::LineFormat::Plain => self.in_logfmt(line.raw()),
        }
    }

    /// The value of this key in a JSON object's text (from its `{`).
    #[must_use]
    pub fn in_json<'a>(&self, text: &'a str) -> Option<FieldValue<'a>> {
        self.json_probe.find(text.as_bytes())?;
        json_lookup(text, &self.path)
    }

    /// The value of this key among a plain line's logfmt pairs.
    #[must_use]
    pub fn in_logfmt<'a>(&self, text: &'a str) -> Option<FieldValue<'a>> {
        let bytes = text.as_bytes();
        for at in self.logfmt_probe.find_iter(bytes) {
            if at > 0 && bytes[at - 1] != b' ' {
                continue;
            }
            if inside_quotes(&bytes[..at]) {
                continue;
            }
            let start = at + self.path.len() + 1;
            return Some(logfmt_value(text, start));
        }
        None
    }
}

/// How a found value was written, which decides how its text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A JSON string: `raw` is between the quotes, still escaped when `escaped`.
    JsonString { escaped: bool },
    /// A quoted logfmt value: `raw` is between the quotes.
    Quoted { escaped: bool },
    /// A JSON number, `true`, `false`, `null`, or an unquoted logfmt value.
    Bare,
    /// A JSON object or array, as its compact source text.
    Composite,
}

/// One value found in a line: a slice of the stored (already sanitized) text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldValue<'a> {
    pub raw: &'a str,
    pub kind: ValueKind,
}

impl<'a> FieldValue<'a> {
    /// The value's text, unescaped; sanitized again when unescaping could have produced a
    /// control character (a JSON `\u001b`).
    #[must_use]
    pub fn text(&self) -> Cow<'a, str> {
        match self.kind {
            ValueKind::JsonString { escaped: true } => {
                let quoted = format!("\"{}\"", self.raw);
                let decoded =
                    serde_json::from_str::<String>(&quoted).unwrap_or_else(|_| self.raw.to_owned());
                Cow::Owned(crate::model::sanitize::clean(&decoded))
            }
            ValueKind::Quoted { escaped: true } => {
                Cow::Owned(self.raw.replace("\\\"", "\"").replace("\\\\", "\\"))
            }
            _ => Cow::Borrowed(self.raw),
        }
    }

    /// The value as a number, when it is one (a JSON number or a string holding one).
    #[must_use]
    pub fn number(&self) -> Option<f64> {
        match self.kind {
            ValueKind::Composite => None,
            _ => parse_number(self.raw),
        }
    }
}

/// Reads a decimal number quickly: integers by hand (the common case: ids, statuses,
/// milliseconds), anything else through the standard parser. Words like `inf` or `nan` are
/// not numbers here.
#[must_use]
pub fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() || !digits[0].is_ascii_digit() && digits[0] != b'.' {
        return None;
    }
    if digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let mut n: u64 = 0;
        for &d in digits {
            n = n * 10 + u64::from(d - b'0');
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "at most 15 digits, which an f64 holds exactly"
        )]
        let n = n as f64;
        return Some(if negative { -n } else { n });
    }
    if !digits
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Whether an odd number of unescaped `"` precede the end of `before`.
fn inside_quotes(before: &[u8]) -> bool {
    let mut inside = false;
    for q in memchr::memchr_iter(b'"', before) {
        if !escaped_at(before, q) {
            inside = !inside;
        }
    }
    inside
}

/// Whether the byte at `i` is preceded by an odd run of backslashes.
fn escaped_at(bytes: &[u8], i: usize) -> bool {
    bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

fn logfmt_value(text: &str, start: usize) -> FieldValue<'_> {
    let range = super::logfmt::value_range(text.as_bytes(), start);
    let raw = text.get(range).unwrap_or("");
    if text.as_bytes().get(start) == Some(&b'"') {
        FieldValue {
            raw,
            kind: ValueKind::Quoted {
                escaped: raw.contains('\\'),
            },
        }
    } else {
        FieldValue {
            raw,
            kind: ValueKind::Bare,
        }
    }
}

/// Looks `path` up in the JSON object starting at `text` (leading spaces allowed).
fn json_lookup<'a>(text: &'a str, path: &[u8]) -> Option<FieldValue<'a>> {
    let bytes = text.as_bytes();
    let open = skip_ws(bytes, 0);
    if bytes.get(open) != Some(&b'{') {
        return None;
    }
    match object_lookup(text, open + 1, path, 0)? {
        Walk::Found(value) => Some(value),
        Walk::End(_) => None,
    }
}

/// What walking one object gave: the value, or where the object ended without it.
enum Walk<'a> {
    Found(FieldValue<'a>),
    End(usize),
}

/// Walks the members of the object whose body starts at `at`. A member matches when its key
/// is the whole remaining path, or is the path's next segments and holds an object to descend
/// into (so `http.status` finds both `{"http.status":…}` and `{"http":{"status":…}}`).
/// `None` on malformed text.
fn object_lookup<'a>(text: &'a str, at: usize, path: &[u8], depth: usize) -> Option<Walk<'a>> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, at);
    if bytes.get(i) == Some(&b'}') {
        return Some(Walk::End(i + 1));
    }
    loop {
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(bytes, i + 1)?;
        let key = &bytes[i + 1..key_end];
        i = skip_ws(bytes, key_end + 1);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(bytes, i + 1);
        if key == path {
            let (value, _) = value_at(text, value_start)?;
            return Some(Walk::Found(value));
        }
        let descend = depth < MAX_DEPTH
            && path.len() > key.len()
            && path.starts_with(key)
            && path[key.len()] == b'.'
            && bytes.get(value_start) == Some(&b'{');
        let end = if descend {
            match object_lookup(text, value_start + 1, &path[key.len() + 1..], depth + 1)? {
                found @ Walk::Found(_) => return Some(found),
                Walk::End(end) => end,
            }
        } else {
            skip_value(bytes, value_start)?
        };
        i = skip_ws(bytes, end);
        match bytes.get(i) {
            Some(b',') => i = skip_ws(bytes, i + 1),
            Some(b'}') => return Some(Walk::End(i + 1)),
            _ => return None,
        }
    }
}

/// The value starting at `at` and the position after it.
fn value_at(text: &str, at: usize) -> Option<(FieldValue<'_>, usize)> {
    let bytes = text.as_bytes();
    match bytes.get(at)? {
        b'"' => {
            let end = string_end(bytes, at + 1)?;
            let raw = text.get(at + 1..end)?;
            let escaped = memchr::memchr(b'\\', raw.as_bytes()).is_some();
            Some((
                FieldValue {
                    raw,
                    kind: ValueKind::JsonString { escaped },
                },
                end + 1,
            ))
        }
        b'{' | b'[' => {
            let end = skip_value(bytes, at)?;
            Some((
                FieldValue {
                    raw: text.get(at..end)?,
                    kind: ValueKind::Composite,
                },
                end,
            ))
        }
        _ => {
            let end = bare_end(bytes, at);
            Some((
                FieldValue {
                    raw: text.get(at..end)?,
                    kind: ValueKind::Bare,
                },
                end,
            ))
        }
    }
}

/// Position after the value starting at `at`.
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'"' => string_end(bytes, at + 1).map(|end| end + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => i = string_end(bytes, i + 1)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => Some(bare_end(bytes, at)),
    }
}

/// End of a number or literal: the next structural character or space.
fn bare_end(bytes: &[u8], at: usize) -> usize {
    bytes[at..]
        .iter()
        .position(|&b| matches!(b, b',' | b'}' | b']' | b' '))
        .map_or(bytes.len(), |p| at + p)
}

/// Position of the closing quote of a string whose body starts at `at`.
fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    loop {
        let hit = i + memchr::memchr2(b'"', b'\\', &bytes[i..])?;
        if bytes[hit] == b'"' {
            return Some(hit);
        }
        i = hit + 2;
        if i > bytes.len() {
            return None;
        }
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<'a>(text: &'a str, key: &str) -> Option<FieldValue<'a>> {
        FieldKey::new(key).in_json(text)
    }

    fn logfmt<'a>(text: &'a str, key: &str) -> Option<FieldValue<'a>> {
        FieldKey::new(key).in_logfmt(text)
    }

    #[test]
    fn json_top_level_nested_and_dotted_keys() {
        let text = r#"{"a":"x","n":42,"http":{"status":503,"h":{"k":"v"}},"http.route":"/r","arr":[1,{"n":2}]}"#;
        assert_eq!(json(text, "a").unwrap().raw, "x");
        assert_eq!(json(text, "n").unwrap().number(), Some(42.0));
        assert_eq!(json(text, "http.status").unwrap().raw, "503");
        assert_eq!(json(text, "http.h.k").unwrap().raw, "v");
        assert_eq!(json(text, "http.route").unwrap().raw, "/r");
        let arr = json(text, "arr").unwrap();
        assert_eq!((arr.raw, arr.kind), ("[1,{\"n\":2}]", ValueKind::Composite));
        assert!(
            json(text, "status").is_none(),
            "nested keys are not top level"
        );
        assert!(json(text, "http.missing").is_none());
        assert!(json(text, "missing").is_none());
    }

    #[test]
    fn json_keys_inside_strings_are_not_keys() {
        let text = r#"{"msg":"say \"level\":\"x\" {","level":"warn"}"#;
        assert_eq!(json(text, "level").unwrap().raw, "warn");
        let text = r#"{"msg":"a\\","k":1}"#;
        assert_eq!(json(text, "k").unwrap().raw, "1");
        let text = r#"{ "k" : "v" , "j" : true }"#;
        assert_eq!(json(text, "j").unwrap().raw, "true");
    }

    #[test]
    fn json_escaped_strings_decode_and_stay_inert() {
        let text = r#"{"m":"a\"b\u001b[31m"}"#;
        let value = json(text, "m").unwrap();
        assert_eq!(value.kind, ValueKind::JsonString { escaped: true });
        assert_eq!(value.text(), "a\"b\u{241B}[31m");
    }

    #[test]
    fn malformed_json_finds_nothing() {
        for text in [r#"{"a":"#, r#"{"a" 1}"#, "[1]", r#"{"a":{"c" 1,"b":1}}"#] {
            assert!(json(text, "a.b").is_none(), "{text}");
        }
    }

    #[test]
    fn logfmt_pairs_at_word_starts_outside_quotes() {
        let text = r#"ts=1 level=info msg="level=bad x" mylevel=no duration_ms=503 q="a \"b\"""#;
        assert_eq!(logfmt(text, "level").unwrap().raw, "info");
        assert_eq!(logfmt(text, "msg").unwrap().text(), "level=bad x");
        assert_eq!(logfmt(text, "duration_ms").unwrap().number(), Some(503.0));
        assert_eq!(logfmt(text, "q").unwrap().text(), "a \"b\"");
        assert!(logfmt(text, "evel").is_none());
        assert!(logfmt("msg=\"level=x\"", "level").is_none());
        assert_eq!(logfmt("k=", "k").unwrap().raw, "");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("42"), Some(42.0));
        assert_eq!(parse_number("-1.5e3"), Some(-1500.0));
        assert_eq!(parse_number(".5"), Some(0.5));
        for text in ["", "-", "abc", "inf", "NaN", "1s", "0x10", "1 2"] {
            assert_eq!(parse_number(text), None, "{text}");
        }
    }
}
