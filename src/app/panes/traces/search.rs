//! The traces pane's structured search (`s`): one line of `key=value` words, the same for
//! Tempo (turned into TraceQL) and Jaeger (its `/api/traces` parameters):
//! `service=cart operation="GET /pay" http.status_code=500 error=true min=500ms max=2s`.
//! `service`, `operation` (or `op`), `min` and `max` are the search's own; every other
//! `key=value` is an attribute tag. Values with spaces go in double quotes.

use std::time::Duration;

use super::TracesPane;

/// What the prompt says under the input.
pub const HINT: &str = "service=NAME operation=\"GET /x\" KEY=VALUE… min=500ms max=2s; empty clears (tags: http.status_code=500 error=true)";

/// The parsed search line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filters {
    pub service: Option<String>,
    pub operation: Option<String>,
    pub tags: Vec<(String, String)>,
    pub min: Option<Duration>,
    pub max: Option<Duration>,
}

/// Splits at spaces outside double quotes; a quoted part keeps its spaces, `\"` a quote.
fn words(input: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = input.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => word.extend(chars.next()),
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if quoted {
        return Err("a quote is not closed".into());
    }
    if !word.is_empty() {
        out.push(word);
    }
    Ok(out)
}

/// Reads the search line.
///
/// # Errors
/// A word without `=`, an empty key or value, a bad duration, min above max.
pub fn parse(input: &str) -> Result<Filters, String> {
    let mut f = Filters::default();
    for word in words(input)? {
        let Some((key, value)) = word.split_once('=') else {
            return Err(format!("`{word}`: write key=value (e.g. error=true)"));
        };
        if key.is_empty() || value.is_empty() {
            return Err(format!("`{word}`: both a key and a value"));
        }
        let duration = |v: &str| {
            super::parse_min_duration(v)
                .map_err(|e| format!("{key}: {e}"))?
                .ok_or_else(|| format!("{key}: a duration above zero"))
        };
        match key {
            "service" => f.service = Some(value.to_owned()),
            "operation" | "op" => f.operation = Some(value.to_owned()),
            "min" => f.min = Some(duration(value)?),
            "max" => f.max = Some(duration(value)?),
            _ => f.tags.push((key.to_owned(), value.to_owned())),
        }
    }
    if let (Some(min), Some(max)) = (f.min, f.max)
        && min > max
    {
        return Err("min is above max".into());
    }
    Ok(f)
}

fn quote(value: &str) -> String {
    if value.chars().any(|c| c.is_whitespace() || c == '"') {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_owned()
    }
}

/// The current search as a line [`parse`] reads back (the prompt starts with it).
#[must_use]
pub fn input_of(traces: &TracesPane) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &traces.service {
        parts.push(format!("service={}", quote(s)));
    }
    if let Some(o) = &traces.operation {
        parts.push(format!("operation={}", quote(o)));
    }
    for (k, v) in &traces.tags {
        parts.push(format!("{k}={}", quote(v)));
    }
    if let Some(d) = traces.min_duration {
        parts.push(format!("min={}", crate::sources::traces::go_duration(d)));
    }
    if let Some(d) = traces.max_duration {
        parts.push(format!("max={}", crate::sources::traces::go_duration(d)));
    }
    parts.join(" ")
}

/// Puts the search into the pane: it replaces a typed TraceQL and the earlier filters; no
/// service goes back to the scope's.
pub fn apply(traces: &mut TracesPane, f: Filters, scope: Option<&str>) {
    traces.traceql = None;
    traces.search_error = None;
    traces.service = f.service.or_else(|| scope.map(str::to_owned));
    traces.operation = f.operation;
    traces.tags = f.tags;
    traces.min_duration = f.min;
    traces.max_duration = f.max;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_lines_parse_and_read_back() {
        let f =
            parse(r#"service=cart op="GET /pay" http.status_code=500 error=true min=500ms max=2s"#)
                .unwrap();
        assert_eq!(f.service.as_deref(), Some("cart"));
        assert_eq!(f.operation.as_deref(), Some("GET /pay"));
        assert_eq!(
            f.tags,
            vec![
                ("http.status_code".to_owned(), "500".to_owned()),
                ("error".to_owned(), "true".to_owned())
            ]
        );
        assert_eq!(f.min, Some(Duration::from_millis(500)));
        assert_eq!(f.max, Some(Duration::from_secs(2)));
        let mut pane = TracesPane::default();
        apply(&mut pane, f.clone(), None);
        assert_eq!(parse(&input_of(&pane)).unwrap(), f);
        assert_eq!(parse("").unwrap(), Filters::default());
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(parse("cart").unwrap_err().contains("key=value"));
        assert!(parse("min=soon").unwrap_err().starts_with("min:"));
        assert!(parse("min=2s max=1s").unwrap_err().contains("above"));
        assert!(parse("op=\"GET").unwrap_err().contains("quote"));
        assert!(parse("=x").is_err());
    }
}
