//! Reading Alertmanager's API v2: the alerts (`GET /api/v2/alerts`, every state, so
//! silenced and inhibited ones are shown for what they are) and the silences
//! (`GET /api/v2/silences`). Works with 0.25 (Debian bookworm) through 0.34; see
//! [`crate::model::alerts`] for the shapes. Writes (silence, expire) go through the audit
//! gate, not through this reader.

use reqwest::Url;

use crate::model::alerts::{Alert, Silence, parse_alerts, parse_silences};

/// A client of one Alertmanager.
#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    base: Url,
    http: reqwest::Client,
}

impl AlertmanagerClient {
    /// A client of the Alertmanager at `base` (its root URL, with a path prefix if it
    /// sits under one), sending through `http` (which carries the context's TLS and
    /// headers).
    pub fn new(base: &str, http: reqwest::Client) -> Result<Self, String> {
        let mut base = Url::parse(base).map_err(|e| format!("alertmanager url `{base}`: {e}"))?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Self { base, http })
    }

    /// Every alert Alertmanager holds: active, silenced and inhibited.
    pub async fn alerts(&self) -> Result<Vec<Alert>, String> {
        let body = self
            .get("api/v2/alerts?active=true&silenced=true&inhibited=true")
            .await?;
        parse_alerts(&body).map_err(|e| format!("alertmanager alerts: unexpected answer: {e}"))
    }

    /// Every silence it keeps (active, pending, and expired ones until they are
    /// garbage-collected).
    pub async fn silences(&self) -> Result<Vec<Silence>, String> {
        let body = self.get("api/v2/silences").await?;
        parse_silences(&body).map_err(|e| format!("alertmanager silences: unexpected answer: {e}"))
    }

    async fn get(&self, path: &str) -> Result<Vec<u8>, String> {
        let url = self
            .base
            .join(path)
            .map_err(|e| format!("alertmanager url: {e}"))?;
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("alertmanager: {}", super::transport_cause(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("alertmanager: {}", super::transport_cause(&e)))?;
        if !status.is_success() {
            // 0.25 answers errors as a plain JSON string.
            let text = crate::model::clean(&String::from_utf8_lossy(&body));
            return Err(format!(
                "alertmanager: {status}: {}",
                text.trim_matches('"')
            ));
        }
        Ok(body.to_vec())
    }
}
