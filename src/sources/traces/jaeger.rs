//! Jaeger query client (jaegertracing/jaeger, `cmd/query/app/query_parser.go` and
//! model/json/model.go): `GET /api/traces` to search and `GET /api/traces/{id}`. This is
//! Jaeger's "internal" JSON API, the one its UI uses and the one every Jaeger version serves.
//! Times go to Jaeger in **microseconds**, durations as Go duration strings; `service` is
//! required for a search.

use reqwest::Url;

use super::http::{Answer, Endpoint};
use super::{TraceSearch, go_duration};
use crate::model::clean;
use crate::model::traces::ids::request_trace_id;
use crate::model::traces::{Trace, TraceSummary, jaeger};

/// A Jaeger query service (`http://jaeger:16686`).
#[derive(Debug, Clone)]
pub struct JaegerClient {
    endpoint: Endpoint,
}

impl JaegerClient {
    /// A client for the Jaeger query service at `base_url`, with an optional bearer token.
    ///
    /// # Errors
    /// When `base_url` is not an http(s) URL.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        token: Option<String>,
    ) -> Result<Self, String> {
        Ok(Self {
            endpoint: Endpoint::new(client, base_url, token, "Jaeger")?,
        })
    }

    /// The search URL for `query`.
    ///
    /// # Errors
    /// Without a service (Jaeger refuses such searches), or for a broken base URL.
    pub fn search_url(&self, query: &TraceSearch) -> Result<Url, String> {
        if query.traceql.is_some() {
            return Err(
                "Jaeger has no TraceQL: search with s (service, operation, tags, min and max duration)"
                    .to_owned(),
            );
        }
        let Some(service) = query.service.as_deref().filter(|s| !s.is_empty()) else {
            return Err("Jaeger needs a service to search: pick one first".to_owned());
        };
        let mut url = self.endpoint.url("/api/traces")?;
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("service", service);
            if let Some(operation) = query.operation.as_deref().filter(|s| !s.is_empty()) {
                pairs.append_pair("operation", operation);
            }
            pairs.append_pair("limit", &query.limit.max(1).to_string());
            if let Some(min) = query.min_duration {
                pairs.append_pair("minDuration", &go_duration(min));
            }
            if let Some(max) = query.max_duration {
                pairs.append_pair("maxDuration", &go_duration(max));
            }
            // `tags` is a JSON object of strings (cmd/query/app/query_parser.go reads it into
            // a map[string]string); `error=true` is the classic error tag, which OTel's
            // Jaeger exporter sets on error spans too.
            let mut tags: serde_json::Map<String, serde_json::Value> = query
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            if query.errors_only {
                tags.insert("error".into(), serde_json::Value::String("true".into()));
            }
            if !tags.is_empty() {
                pairs.append_pair("tags", &serde_json::Value::Object(tags).to_string());
            }
            if let Some(start) = query.start {
                pairs.append_pair("start", &start.as_microsecond().to_string());
            }
            if let Some(end) = query.end {
                pairs.append_pair("end", &end.as_microsecond().to_string());
            }
        }
        Ok(url)
    }

    /// Searches for traces; Jaeger answers with whole traces, summarised here.
    ///
    /// # Errors
    /// No service, transport failures, non-2xx answers (with Jaeger's own error message when
    /// it sent one) and unreadable bodies, naming the URL.
    pub async fn search(&self, query: &TraceSearch) -> Result<Vec<TraceSummary>, String> {
        let url = self.search_url(query)?;
        let answer = self.endpoint.get(url.clone()).await?;
        let traces = self.read(&url, &answer)?;
        Ok(traces.iter().map(TraceSummary::from_trace).collect())
    }

    /// Fetches one trace.
    ///
    /// # Errors
    /// A non-hex id (refused before any request), "not found" for a 404, other failures as
    /// for [`Self::search`].
    pub async fn trace(&self, trace_id: &str) -> Result<Trace, String> {
        let id = request_trace_id(trace_id)?;
        let url = self.endpoint.url(&format!("/api/traces/{id}"))?;
        let answer = self.endpoint.get(url.clone()).await?;
        if answer.status == 404 {
            return Err(clean(&format!(
                "trace {id} not found in Jaeger (GET {url} answered 404)"
            )));
        }
        let traces = self.read(&url, &answer)?;
        traces
            .into_iter()
            .find(|t| !t.spans.is_empty())
            .ok_or_else(|| {
                clean(&format!(
                    "trace {id}: Jaeger answered without spans (GET {url})"
                ))
            })
    }

    /// Reads an answer: Jaeger's `errors` envelope (on any status) becomes the message.
    fn read(&self, url: &Url, answer: &Answer) -> Result<Vec<Trace>, String> {
        let parsed = jaeger::parse_traces(&answer.body);
        if (200..300).contains(&answer.status) {
            return parsed.map_err(|e| self.endpoint.body_error(url, &e));
        }
        match parsed {
            Err(message) if message.starts_with("Jaeger reported") => Err(clean(&format!(
                "Jaeger GET {url}: HTTP {}: {message}",
                answer.status
            ))),
            _ => Err(self.endpoint.status_error(url, answer)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn search_urls() {
        let Ok(client) = JaegerClient::new(reqwest::Client::new(), "http://jaeger:16686", None)
        else {
            panic!("client");
        };
        let q = TraceSearch {
            service: Some("cart".into()),
            errors_only: true,
            min_duration: Some(Duration::from_millis(300)),
            limit: 10,
            start: Some(jiff::Timestamp::from_second(1_700_000_000).unwrap_or_default()),
            end: Some(jiff::Timestamp::from_second(1_700_003_600).unwrap_or_default()),
            ..TraceSearch::default()
        };
        let url = client
            .search_url(&q)
            .map(|u| u.to_string())
            .unwrap_or_default();
        assert_eq!(
            url,
            "http://jaeger:16686/api/traces?service=cart&limit=10&minDuration=300ms&tags=%7B%22error%22%3A%22true%22%7D&start=1700000000000000&end=1700003600000000"
        );
        let err = client
            .search_url(&TraceSearch::default())
            .err()
            .unwrap_or_default();
        assert!(err.contains("needs a service"));
    }
}
