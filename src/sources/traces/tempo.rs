//! Grafana Tempo client (grafana/tempo, `docs/sources/tempo/api_docs`/_index.md): `/api/search`
//! and trace by id, preferring `/api/v2/traces/<id>` and falling back to `/api/traces/<id>`
//! when the v2 route answers 404 (Tempo before 2.5 has no v2 route; a trace only in an old
//! block may be missing from it).
//!
//! Times go to Tempo in unix **seconds**. Without `start`/`end` Tempo searches only recent
//! data (the ingesters), which is what the live list wants.

use reqwest::Url;

use super::http::Endpoint;
use super::{TraceSearch, go_duration};
use crate::model::traces::ids::request_trace_id;
use crate::model::traces::{Trace, TraceSummary, otlp, tempo_search};

/// How a search is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSyntax {
    /// TraceQL in `q=` (Tempo 2.0 and later).
    #[default]
    TraceQl,
    /// logfmt `tags=` with `minDuration` (Tempo 1.x, before TraceQL).
    Tags,
}

/// A Tempo query frontend.
#[derive(Debug, Clone)]
pub struct TempoClient {
    endpoint: Endpoint,
    syntax: SearchSyntax,
}

impl TempoClient {
    /// A client for the Tempo at `base_url` (e.g. `http://tempo:3200`), with an optional
    /// bearer token.
    ///
    /// # Errors
    /// When `base_url` is not an http(s) URL.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        token: Option<String>,
    ) -> Result<Self, String> {
        Ok(Self {
            endpoint: Endpoint::new(client, base_url, token, "Tempo")?,
            syntax: SearchSyntax::default(),
        })
    }

    /// Switches to tag search for servers without TraceQL.
    #[must_use]
    pub fn with_syntax(mut self, syntax: SearchSyntax) -> Self {
        self.syntax = syntax;
        self
    }

    /// The search URL for `query` (public so tests and the debug overlay can show it).
    ///
    /// # Errors
    /// Only for a broken base URL.
    pub fn search_url(&self, query: &TraceSearch) -> Result<Url, String> {
        let mut url = self.endpoint.url("/api/search")?;
        {
            let mut pairs = url.query_pairs_mut();
            match self.syntax {
                SearchSyntax::TraceQl => {
                    pairs.append_pair("q", &traceql(query));
                }
                SearchSyntax::Tags => {
                    if query.traceql.is_some() {
                        return Err("this Tempo searches by tags (search_syntax = tags), not TraceQL: search with s instead".to_owned());
                    }
                    let tags = tags(query);
                    if !tags.is_empty() {
                        pairs.append_pair("tags", &tags);
                    }
                    if let Some(min) = query.min_duration {
                        pairs.append_pair("minDuration", &go_duration(min));
                    }
                    if let Some(max) = query.max_duration {
                        pairs.append_pair("maxDuration", &go_duration(max));
                    }
                }
            }
            pairs.append_pair("limit", &query.limit.max(1).to_string());
            if let Some(start) = query.start {
                pairs.append_pair("start", &start.as_second().to_string());
            }
            if let Some(end) = query.end {
                pairs.append_pair("end", &end.as_second().to_string());
            }
        }
        Ok(url)
    }

    /// Searches for traces.
    ///
    /// # Errors
    /// Transport failures, non-2xx answers and unreadable bodies, naming the URL.
    pub async fn search(&self, query: &TraceSearch) -> Result<Vec<TraceSummary>, String> {
        let url = self.search_url(query)?;
        let answer = self.endpoint.get(url.clone()).await?;
        if !(200..300).contains(&answer.status) {
            return Err(self.endpoint.status_error(&url, &answer));
        }
        tempo_search::parse_search(&answer.body).map_err(|e| self.endpoint.body_error(&url, &e))
    }

    /// Fetches a trace: v2 first, v1 when v2 answers 404.
    ///
    /// # Errors
    /// A non-hex id (refused before any request, so it cannot reach the URL path), transport
    /// failures, a 404 from both routes ("not found"), other statuses and unreadable bodies.
    pub async fn trace(&self, trace_id: &str) -> Result<Trace, String> {
        let id = request_trace_id(trace_id)?;
        let v2 = self.endpoint.url(&format!("/api/v2/traces/{id}"))?;
        let answer = self.endpoint.get(v2.clone()).await?;
        let (url, answer) = if answer.status == 404 {
            let v1 = self.endpoint.url(&format!("/api/traces/{id}"))?;
            let answer = self.endpoint.get(v1.clone()).await?;
            if answer.status == 404 {
                return Err(crate::model::clean(&format!(
                    "trace {id} not found in Tempo (GET {v2} and GET {v1} answered 404)"
                )));
            }
            (v1, answer)
        } else {
            (v2, answer)
        };
        if !(200..300).contains(&answer.status) {
            return Err(self.endpoint.status_error(&url, &answer));
        }
        let trace =
            otlp::parse_trace(&answer.body).map_err(|e| self.endpoint.body_error(&url, &e))?;
        if trace.spans.is_empty() {
            return Err(crate::model::clean(&format!(
                "trace {id}: Tempo answered without spans (GET {url})"
            )));
        }
        Ok(trace)
    }
}

/// The TraceQL for a search: the user's own query as written, else one spanset from the
/// structured filters, e.g. `{ resource.service.name="cart" && status=error && duration>500ms }`.
/// Being one spanset, the conditions hold for the same span: "cart spans that failed and took
/// over 500 ms", which is what an on-call search for a slow failing service means.
#[must_use]
pub fn traceql(query: &TraceSearch) -> String {
    if let Some(q) = query.traceql.as_deref().map(str::trim)
        && !q.is_empty()
    {
        return q.to_owned();
    }
    let mut conditions = Vec::new();
    if let Some(service) = query.service.as_deref().filter(|s| !s.is_empty()) {
        conditions.push(format!(
            "resource.service.name={}",
            crate::sources::quoted_literal(service)
        ));
    }
    if let Some(operation) = query.operation.as_deref().filter(|s| !s.is_empty()) {
        conditions.push(format!(
            "name={}",
            crate::sources::quoted_literal(operation)
        ));
    }
    for (key, value) in &query.tags {
        conditions.push(format!("{}={}", attribute(key), static_value(value)));
    }
    if query.errors_only {
        conditions.push("status=error".to_owned());
    }
    if let Some(min) = query.min_duration {
        conditions.push(format!("duration>{}", go_duration(min)));
    }
    if let Some(max) = query.max_duration {
        conditions.push(format!("duration<{}", go_duration(max)));
    }
    if conditions.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", conditions.join(" && "))
    }
}

/// A tag key as a TraceQL attribute: `http.status_code` is a span attribute
/// (`span.http.status_code`); a key already scoped (`span.`, `resource.`, `event.`, `link.`,
/// `.x` for any scope) or an intrinsic (`span:name`, `kind`) is kept as written.
fn attribute(key: &str) -> String {
    const SCOPED: [&str; 6] = [
        "span.",
        "resource.",
        "event.",
        "link.",
        "instrumentation.",
        ".",
    ];
    const INTRINSICS: [&str; 5] = ["name", "status", "kind", "duration", "statusMessage"];
    if SCOPED.iter().any(|p| key.starts_with(p)) || key.contains(':') || INTRINSICS.contains(&key) {
        key.to_owned()
    } else {
        format!("span.{key}")
    }
}

/// A tag value as a TraceQL static: numbers and booleans bare (`span.http.status_code=500`
/// compares with the integer attribute; a quoted `"500"` would not match it), anything else
/// a quoted string.
fn static_value(value: &str) -> String {
    let numeric = value.parse::<i64>().is_ok()
        || (value.parse::<f64>().is_ok_and(f64::is_finite) && value.contains('.'));
    if numeric || value == "true" || value == "false" {
        value.to_owned()
    } else {
        crate::sources::quoted_literal(value)
    }
}

/// The logfmt `tags=` of a tag search (values quoted when they need it).
fn tags(query: &TraceSearch) -> String {
    let mut parts = Vec::new();
    if let Some(service) = query.service.as_deref().filter(|s| !s.is_empty()) {
        let needs_quotes = service
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '='));
        if needs_quotes {
            parts.push(format!(
                "service.name={}",
                crate::sources::quoted_literal(service)
            ));
        } else {
            parts.push(format!("service.name={service}"));
        }
    }
    if let Some(operation) = query.operation.as_deref().filter(|s| !s.is_empty()) {
        parts.push(format!(
            "name={}",
            crate::sources::quoted_literal(operation)
        ));
    }
    for (key, value) in &query.tags {
        parts.push(format!("{key}={}", crate::sources::quoted_literal(value)));
    }
    if query.errors_only {
        parts.push("status.code=error".to_owned());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn traceql_from_filters() {
        let mut q = TraceSearch {
            service: Some("cart".into()),
            errors_only: true,
            min_duration: Some(Duration::from_millis(500)),
            ..TraceSearch::default()
        };
        assert_eq!(
            traceql(&q),
            r#"{ resource.service.name="cart" && status=error && duration>500ms }"#
        );
        q.service = Some(r#"a"b\c"#.into());
        q.errors_only = false;
        q.min_duration = None;
        assert_eq!(traceql(&q), r#"{ resource.service.name="a\"b\\c" }"#);
        assert_eq!(traceql(&TraceSearch::default()), "{}");
        let structured = TraceSearch {
            service: Some("cart".into()),
            operation: Some("GET /pay".into()),
            tags: vec![
                ("http.status_code".into(), "500".into()),
                ("error".into(), "true".into()),
                ("resource.region".into(), "eu west".into()),
            ],
            min_duration: Some(Duration::from_millis(500)),
            max_duration: Some(Duration::from_secs(2)),
            ..TraceSearch::default()
        };
        assert_eq!(
            traceql(&structured),
            r#"{ resource.service.name="cart" && name="GET /pay" && span.http.status_code=500 && span.error=true && resource.region="eu west" && duration>500ms && duration<2000ms }"#
        );
        q.traceql = Some(" { span:name=\"x\" } ".into());
        assert_eq!(traceql(&q), "{ span:name=\"x\" }");
    }

    #[test]
    fn tag_search_urls() {
        let client = TempoClient::new(reqwest::Client::new(), "http://tempo:3200/", None)
            .map(|c| c.with_syntax(SearchSyntax::Tags));
        let Ok(client) = client else {
            panic!("client");
        };
        let q = TraceSearch {
            service: Some("cart".into()),
            errors_only: true,
            min_duration: Some(Duration::from_millis(250)),
            limit: 5,
            start: Some(jiff::Timestamp::from_second(1_700_000_000).unwrap_or_default()),
            ..TraceSearch::default()
        };
        let url = client
            .search_url(&q)
            .map(|u| u.to_string())
            .unwrap_or_default();
        assert_eq!(
            url,
            "http://tempo:3200/api/search?tags=service.name%3Dcart+status.code%3Derror&minDuration=250ms&limit=5&start=1700000000"
        );
    }
}
