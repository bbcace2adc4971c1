//! The sandbox's TraceQL: a small, honest subset, so `:traces { resource.service.name =
//! "payments-api" && status = error && duration > 200ms }` works in `opsdeck sandbox`.
//!
//! One spanset `{ … }` (empty, or conditions joined by `&&`), each condition tested against
//! the root span of a sandbox request:
//!
//! | field | value |
//! |---|---|
//! | `resource.service.name`, `.service.name`, `trace:rootService` | string |
//! | `name`, `span:name`, `trace:rootName`, `span.http.route`, `.http.route` | string |
//! | `status`, `span:status` | `error`, `ok`, `unset` |
//! | `duration`, `span:duration`, `trace:duration` | a duration (`500ms`, `1.5s`) |
//! | `span.http.status_code`, `.http.status_code` | an integer (502 on errors, else 200) |
//! | `span.error`, `.error` | `true` or `false` |
//!
//! Operators `=`, `!=`, `>`, `>=`, `<`, `<=`, and `=~`/`!~` (anchored regexes) on strings.
//! Anything else (`||`, pipelines, other attributes) is refused in Tempo's words
//! (`invalid TraceQL query: parse error at line 1, col N: …`), saying what is understood.

use regex::Regex;

/// What a condition tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Service,
    Name,
    Status,
    DurationMs,
    StatusCode,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Re,
    NotRe,
}

#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Number(f64),
    Regex(Regex),
}

/// One root span as the query sees it.
#[derive(Debug, Clone, Copy)]
pub struct SpanView<'a> {
    pub service: &'a str,
    pub name: &'a str,
    pub error: bool,
    pub duration_ms: u64,
}

/// A parsed query.
#[derive(Debug, Clone)]
pub struct SandboxTraceQl {
    conditions: Vec<(Field, Op, Value)>,
}

fn field(name: &str) -> Option<Field> {
    Some(match name {
        "resource.service.name" | ".service.name" | "trace:rootService" => Field::Service,
        "name" | "span:name" | "trace:rootName" | "span.http.route" | ".http.route" => Field::Name,
        "status" | "span:status" => Field::Status,
        "duration" | "span:duration" | "trace:duration" => Field::DurationMs,
        "span.http.status_code" | ".http.status_code" => Field::StatusCode,
        "span.error" | ".error" => Field::Error,
        _ => return None,
    })
}

fn error(text: &str, pos: usize, what: &str) -> String {
    let col = text[..pos.min(text.len())].chars().count() + 1;
    format!(
        "invalid TraceQL query: parse error at line 1, col {col}: {what} (the sandbox understands {{ a && b }} over resource.service.name, name, status, duration, span.http.status_code, span.error)"
    )
}

impl SandboxTraceQl {
    /// Parses `query`.
    ///
    /// # Errors
    /// What the sandbox does not understand, with the column, in Tempo's words.
    pub fn parse(query: &str) -> Result<Self, String> {
        let text = query.trim_end();
        let body_start = text.len() - text.trim_start().len();
        let inner = text
            .trim_start()
            .strip_prefix('{')
            .ok_or_else(|| error(text, body_start, "syntax error: expected {"))?;
        let inner = inner
            .strip_suffix('}')
            .ok_or_else(|| error(text, text.len(), "syntax error: expected } at the end"))?;
        let offset = body_start + 1;
        let mut conditions = Vec::new();
        if inner.trim().is_empty() {
            return Ok(Self { conditions });
        }
        let mut at = offset;
        for part in inner.split("&&") {
            conditions.push(condition(text, at, part)?);
            at += part.len() + 2;
        }
        Ok(Self { conditions })
    }

    /// Whether the span matches every condition.
    #[must_use]
    pub fn matches(&self, span: &SpanView<'_>) -> bool {
        self.conditions.iter().all(|(field, op, value)| {
            let text = |s: &str| match (op, value) {
                (Op::Eq, Value::Text(v)) => s == v,
                (Op::Ne, Value::Text(v)) => s != v,
                (Op::Re, Value::Regex(re)) => re.is_match(s),
                (Op::NotRe, Value::Regex(re)) => !re.is_match(s),
                _ => false,
            };
            let number = |n: f64| match (op, value) {
                (Op::Eq, Value::Number(v)) => (n - v).abs() < f64::EPSILON,
                (Op::Ne, Value::Number(v)) => (n - v).abs() >= f64::EPSILON,
                (Op::Gt, Value::Number(v)) => n > *v,
                (Op::Ge, Value::Number(v)) => n >= *v,
                (Op::Lt, Value::Number(v)) => n < *v,
                (Op::Le, Value::Number(v)) => n <= *v,
                _ => false,
            };
            match field {
                Field::Service => text(span.service),
                Field::Name => text(span.name),
                Field::Status => text(if span.error { "error" } else { "ok" }),
                Field::Error => text(if span.error { "true" } else { "false" }),
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "a request's milliseconds are far below 2^52"
                )]
                Field::DurationMs => number(span.duration_ms as f64),
                Field::StatusCode => number(if span.error { 502.0 } else { 200.0 }),
            }
        })
    }
}

/// One `field op value`, starting at byte `at` of `text`.
fn condition(text: &str, at: usize, part: &str) -> Result<(Field, Op, Value), String> {
    let lead = part.len() - part.trim_start().len();
    let part = part.trim();
    let start = at + lead;
    let op_at = part
        .find(['=', '!', '<', '>'])
        .ok_or_else(|| error(text, start, "syntax error: expected a comparison"))?;
    let name = part[..op_at].trim();
    let Some(f) = field(name) else {
        return Err(error(
            text,
            start,
            &format!("`{name}` is beyond the sandbox"),
        ));
    };
    let rest = &part[op_at..];
    let (op, len) = [
        ("=~", Op::Re),
        ("!~", Op::NotRe),
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("=", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
    ]
    .into_iter()
    .find(|(token, _)| rest.starts_with(token))
    .map(|(token, op)| (op, token.len()))
    .ok_or_else(|| error(text, start + op_at, "syntax error: unexpected operator"))?;
    let raw = rest[len..].trim();
    let value_at = start + op_at + len;
    let bad = |what: &str| error(text, value_at, what);
    let value = match f {
        Field::Service | Field::Name => {
            let s = unquote(raw).ok_or_else(|| bad("expected a quoted string"))?;
            match op {
                Op::Re | Op::NotRe => Value::Regex(
                    Regex::new(&format!("^(?:{s})$")).map_err(|e| bad(&e.to_string()))?,
                ),
                Op::Eq | Op::Ne => Value::Text(s),
                _ => return Err(bad("strings compare with = != =~ !~")),
            }
        }
        Field::Status | Field::Error => {
            let word = match (f, raw) {
                (Field::Status, "error" | "ok" | "unset") | (Field::Error, "true" | "false") => raw,
                _ => return Err(bad(&format!("unexpected `{raw}`"))),
            };
            if !matches!(op, Op::Eq | Op::Ne) {
                return Err(bad("compare with = or !="));
            }
            Value::Text(word.to_owned())
        }
        Field::DurationMs => {
            let ms = crate::model::validate::duration_ms(raw).map_err(|e| bad(&e))?;
            #[expect(
                clippy::cast_precision_loss,
                reason = "durations typed by hand are far below 2^52 ms"
            )]
            Value::Number(ms as f64)
        }
        Field::StatusCode => {
            Value::Number(raw.parse::<f64>().map_err(|_| bad("expected a number"))?)
        }
    };
    Ok((f, op, value))
}

/// A `"…"` string (with `\` escapes) or a backquoted one.
fn unquote(raw: &str) -> Option<String> {
    if let Some(body) = raw.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        return Some(body.to_owned());
    }
    let body = raw.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut escaped = false;
    for c in body.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(error: bool, duration_ms: u64) -> SpanView<'static> {
        SpanView {
            service: "payments-api",
            name: "POST /charge",
            error,
            duration_ms,
        }
    }

    #[test]
    fn conditions_match_root_spans() {
        let q = SandboxTraceQl::parse(
            r#"{ resource.service.name = "payments-api" && status = error && duration > 200ms }"#,
        )
        .unwrap();
        assert!(q.matches(&span(true, 300)));
        assert!(!q.matches(&span(false, 300)));
        assert!(!q.matches(&span(true, 100)));
        let q = SandboxTraceQl::parse(
            r#"{ name=~"POST.*" && span.http.status_code=502 && span.error=true && duration<2000ms }"#,
        )
        .unwrap();
        assert!(q.matches(&span(true, 10)));
        assert!(!q.matches(&span(false, 10)));
        assert!(
            SandboxTraceQl::parse("{}")
                .unwrap()
                .matches(&span(false, 1))
        );
    }

    #[test]
    fn the_rest_is_refused_in_tempo_s_words() {
        let e = SandboxTraceQl::parse(r#"{ span.foo = "x" }"#).unwrap_err();
        assert!(
            e.starts_with("invalid TraceQL query: parse error at line 1, col 3: `span.foo`"),
            "{e}"
        );
        assert!(SandboxTraceQl::parse("status = error").is_err());
        assert!(SandboxTraceQl::parse("{ status = maybe }").is_err());
        assert!(SandboxTraceQl::parse("{ duration > fast }").is_err());
        assert!(SandboxTraceQl::parse(r#"{ name > "x" }"#).is_err());
    }
}
