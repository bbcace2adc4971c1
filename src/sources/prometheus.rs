//! A client of a Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir,
//! VictoriaMetrics): `POST /api/v1/query` and `/api/v1/query_range` (form bodies, so long
//! queries never hit a URL limit), and `GET /api/v1/alerts` for the pending alerts.
//! Shapes and error codes from `docs/querying/api.md` at v2.42.0; see
//! [`crate::model::metrics`].
//!
//! The token (by reference in the config) is sent as a bearer token and the configured
//! headers (e.g. Mimir's `X-Scope-OrgID`) on every request. Read access to the query API is
//! all it needs.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use crate::model::alerts::{Alert, AlertState};
use crate::model::metrics::{PromAnswer, PromError, parse_response};
use crate::model::{clean, clean_multiline};

/// A client of one server.
#[derive(Debug, Clone)]
pub struct PrometheusClient {
    base: Url,
    http: reqwest::Client,
}

/// When a query is evaluated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evaluation {
    /// At one instant.
    Instant(Timestamp),
    /// Over `[start, end]` every `step` seconds.
    Range {
        start: Timestamp,
        end: Timestamp,
        step_secs: u64,
    },
}

fn unix(t: Timestamp) -> String {
    let ms = t.as_millisecond();
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// `application/x-www-form-urlencoded` text of `pairs`, written by the `url` crate's
/// encoder (the one reqwest's own `Url` uses) rather than by hand.
fn form_body(pairs: &[(&str, String)]) -> String {
    // A fixed, valid base: parsing it cannot fail.
    let Ok(mut url) = reqwest::Url::parse("form:") else {
        return String::new();
    };
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    url.query().unwrap_or_default().to_owned()
}

impl PrometheusClient {
    /// A client of the server at `base` (with its path prefix, e.g. Mimir's
    /// `/prometheus`), sending `token` as a bearer token and `headers` on every request,
    /// over `tls`.
    pub fn new(
        base: &str,
        token: Option<&str>,
        headers: &BTreeMap<String, String>,
        tls: Option<&rustls::ClientConfig>,
    ) -> Result<Self, String> {
        let mut base = Url::parse(base).map_err(|e| format!("prometheus url `{base}`: {e}"))?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("prometheus header `{name}`: {e}"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| format!("prometheus header `{name}`: {e}"))?;
            map.insert(name, value);
        }
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| "prometheus token: not a valid header value".to_owned())?;
            value.set_sensitive(true);
            map.insert(AUTHORIZATION, value);
        }
        let builder = match tls {
            Some(tls) => crate::tls::reqwest_builder(tls),
            None => reqwest::Client::builder(),
        };
        let http = builder
            .default_headers(map)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("prometheus client: {e}"))?;
        Ok(Self { base, http })
    }

    /// The server's base URL.
    #[must_use]
    pub fn url(&self) -> &str {
        self.base.as_str()
    }

    /// Evaluates `query` at an instant or over a range.
    pub async fn query(&self, query: &str, at: Evaluation) -> Result<PromAnswer, PromError> {
        let (path, form): (&str, Vec<(&str, String)>) = match at {
            Evaluation::Instant(t) => (
                "api/v1/query",
                vec![("query", query.to_owned()), ("time", unix(t))],
            ),
            Evaluation::Range {
                start,
                end,
                step_secs,
            } => (
                "api/v1/query_range",
                vec![
                    ("query", query.to_owned()),
                    ("start", unix(start)),
                    ("end", unix(end)),
                    ("step", step_secs.max(1).to_string()),
                ],
            ),
        };
        let url = self
            .base
            .join(path)
            .map_err(|e| PromError::Transport(format!("prometheus url: {e}")))?;
        let response = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form_body(&form))
            .send()
            .await
            .map_err(|e| PromError::Transport(super::transport_cause(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| PromError::Transport(super::transport_cause(&e)))?;
        match parse_response(&body) {
            // 400, 422 and 503 carry the API's own error envelope: keep its words.
            Err(PromError::Malformed(_)) if !status.is_success() => {
                let text = clean(&String::from_utf8_lossy(&body[..body.len().min(200)]));
                Err(PromError::Transport(format!("{status}: {}", text.trim())))
            }
            other => other,
        }
    }

    /// The alerts Prometheus's rules hold now that are still `pending` (their `for` has not
    /// elapsed), as [`AlertState::Pending`] alerts. Firing ones come from Alertmanager.
    pub async fn pending_alerts(&self) -> Result<Vec<Alert>, String> {
        let url = self
            .base
            .join("api/v1/alerts")
            .map_err(|e| format!("prometheus url: {e}"))?;
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("prometheus: {}", super::transport_cause(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("prometheus: {}", super::transport_cause(&e)))?;
        if !status.is_success() {
            let text = clean(&String::from_utf8_lossy(&body[..body.len().min(200)]));
            return Err(format!("prometheus alerts: {status}: {text}"));
        }
        parse_pending_alerts(&body).map_err(|e| format!("prometheus alerts: {e}"))
    }
}

#[derive(Deserialize)]
struct WireAlerts {
    status: String,
    #[serde(default)]
    data: Option<WireAlertData>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct WireAlertData {
    alerts: Vec<WireAlert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    state: String,
    #[serde(default)]
    active_at: Option<String>,
}

/// A stable key for a Prometheus alert (its label set), as Alertmanager's fingerprint is
/// for its alerts: FNV-1a over the sorted labels.
fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xfe]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The body of `GET /api/v1/alerts`: its `pending` alerts, cleaned.
pub fn parse_pending_alerts(body: &[u8]) -> Result<Vec<Alert>, String> {
    let wire: WireAlerts = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if wire.status != "success" {
        return Err(clean(wire.error.as_deref().unwrap_or("error")));
    }
    Ok(wire
        .data
        .map(|d| d.alerts)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.state == "pending")
        .map(|a| {
            let labels: BTreeMap<String, String> = a
                .labels
                .into_iter()
                .map(|(k, v)| (clean(&k), clean(&v)))
                .collect();
            Alert {
                fingerprint: fingerprint(&labels),
                labels,
                annotations: a
                    .annotations
                    .into_iter()
                    .map(|(k, v)| (clean(&k), clean_multiline(&v)))
                    .collect(),
                starts_at: a.active_at.map(|t| clean(&t)).unwrap_or_default(),
                ends_at: String::new(),
                generator_url: None,
                receivers: Vec::new(),
                state: AlertState::Pending,
                silenced_by: Vec::new(),
                inhibited_by: Vec::new(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pending_alerts_are_kept_and_cleaned() {
        let body = br#"{"status":"success","data":{"alerts":[
          {"labels":{"alertname":"HighErrorRate","service":"api\u001b[2J"},"annotations":{"summary":"a\nb"},
           "state":"pending","activeAt":"2026-12-06T01:00:00Z","value":"1e+00"},
          {"labels":{"alertname":"Other"},"annotations":{},"state":"firing","activeAt":"x","value":"1"}]}}"#;
        let alerts = parse_pending_alerts(body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].state, AlertState::Pending);
        assert_eq!(alerts[0].name(), "HighErrorRate");
        assert!(!alerts[0].labels["service"].contains('\u{1b}'));
        assert_eq!(alerts[0].annotations["summary"], "a\nb");
        assert_eq!(alerts[0].fingerprint.len(), 16);
    }

    #[test]
    fn form_bodies_are_encoded() {
        assert_eq!(
            form_body(&[
                ("query", r#"sum by (a) (x{b="c"})"#.to_owned()),
                ("t", "1".into())
            ]),
            "query=sum+by+%28a%29+%28x%7Bb%3D%22c%22%7D%29&t=1"
        );
    }

    #[test]
    fn unix_times_keep_milliseconds() {
        let t = Timestamp::from_millisecond(1_700_000_000_250).unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(unix(t), "1700000000.250");
    }
}
