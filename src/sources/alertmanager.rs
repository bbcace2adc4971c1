//! Reading Alertmanager's API v2: the alerts (`GET /api/v2/alerts`, every state, so
//! silenced and inhibited ones are shown for what they are) and the silences
//! (`GET /api/v2/silences`). Works with 0.25 (Debian bookworm) through 0.34; see
//! [`crate::model::alerts`] for the shapes. Writes (silence, expire) go through the audit
//! gate, not through this reader.

use reqwest::Url;

use crate::model::alerts::{Alert, AlertsSnapshot, Matcher, Silence, parse_alerts, parse_silences};

/// `postSilencesOKBody`: the new silence's id.
#[derive(serde::Deserialize)]
struct Created {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

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

    /// Creates a silence from now until `ends_at` (`POST /api/v2/silences`); its id.
    ///
    /// # Errors
    /// Alertmanager's whole answer when it refuses (a bad matcher, an end in the past).
    pub async fn create_silence(
        &self,
        matchers: &[Matcher],
        starts_at: jiff::Timestamp,
        ends_at: jiff::Timestamp,
        created_by: &str,
        comment: &str,
    ) -> Result<String, String> {
        let body = serde_json::json!({
            "matchers": matchers,
            "startsAt": starts_at.to_string(),
            "endsAt": ends_at.to_string(),
            "createdBy": created_by,
            "comment": comment,
        });
        let answer = self
            .send(reqwest::Method::POST, "api/v2/silences", Some(body))
            .await?;
        serde_json::from_slice::<Created>(&answer)
            .map(|c| crate::model::clean(&c.silence_id))
            .map_err(|e| format!("alertmanager: unexpected answer to the new silence: {e}"))
    }

    /// Expires a silence now (`DELETE /api/v2/silence/{id}`).
    ///
    /// # Errors
    /// Alertmanager's whole answer (an unknown or already expired silence).
    pub async fn expire_silence(&self, id: &str) -> Result<(), String> {
        // The id goes in the path: it must stay one segment whatever it holds.
        let mut url = self
            .base
            .join("api/v2/silence/")
            .map_err(|e| format!("alertmanager url: {e}"))?;
        url.path_segments_mut()
            .map_err(|()| "alertmanager url cannot take a path".to_owned())?
            .pop_if_empty()
            .push(id);
        self.send_url(reqwest::Method::DELETE, url, None).await?;
        Ok(())
    }

    async fn get(&self, path: &str) -> Result<Vec<u8>, String> {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Vec<u8>, String> {
        let url = self
            .base
            .join(path)
            .map_err(|e| format!("alertmanager url: {e}"))?;
        self.send_url(method, url, body).await
    }

    async fn send_url(
        &self,
        method: reqwest::Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<Vec<u8>, String> {
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("alertmanager: {}", super::transport_cause(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("alertmanager: {}", super::transport_cause(&e)))?;
        if !status.is_success() {
            // 0.25 answers errors as a JSON string (with a newline after it): decoded, the
            // reason reads as Alertmanager wrote it; anything else is shown as sent.
            let raw = serde_json::from_slice::<String>(&body)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
            let text = crate::model::clean(raw.trim());
            return Err(format!("alertmanager: {status}: {text}"));
        }
        Ok(body.to_vec())
    }
}

/// The real alerts backend of a context: its Alertmanager (and, when configured, a source
/// of pending alerts such as Prometheus's `/api/v1/alerts`).
#[derive(Debug, Clone)]
pub struct RealAlerts {
    pub client: AlertmanagerClient,
    /// Who silences are created by when the gate has no other name.
    pub user: String,
    /// Prometheus, when the context asks for its pending alerts too (`pending_alerts`).
    pub pending: Option<crate::sources::prometheus::PrometheusClient>,
}

impl RealAlerts {
    async fn read(&self) -> Result<AlertsSnapshot, String> {
        let pending = async {
            match &self.pending {
                Some(prometheus) => Some(prometheus.pending_alerts().await),
                None => None,
            }
        };
        let (alerts, silences, pending) =
            tokio::join!(self.client.alerts(), self.client.silences(), pending);
        let mut alerts = alerts?;
        let mut notes = Vec::new();
        match pending {
            Some(Ok(pending)) => alerts.extend(pending),
            // Alertmanager answered: its alerts show, and why the pending ones do not.
            Some(Err(e)) => notes.push(format!("pending alerts from Prometheus: {e}")),
            None => {}
        }
        Ok(AlertsSnapshot {
            taken_at: Some(jiff::Timestamp::now()),
            alerts,
            silences: silences?,
            notes,
        })
    }
}

impl crate::sources::backend::AlertsBackend for RealAlerts {
    fn snapshot(
        &self,
    ) -> crate::sources::backend::Answer<
        '_,
        Result<AlertsSnapshot, crate::model::error::BackendError>,
    > {
        Box::pin(async move {
            self.read()
                .await
                .map_err(crate::model::error::BackendError::unavailable)
        })
    }

    fn execute<'a>(
        &'a self,
        request: &'a crate::model::action::ActionRequest,
    ) -> crate::sources::backend::Answer<'a, crate::actions::gate::ExecResult> {
        use crate::model::action::ActionRequest;
        Box::pin(async move {
            let result = match request {
                ActionRequest::CreateSilence {
                    matchers,
                    duration_secs,
                    comment,
                    ..
                } => {
                    let now = jiff::Timestamp::now();
                    let end = now
                        + jiff::SignedDuration::from_secs(
                            i64::try_from(*duration_secs).unwrap_or(i64::MAX / 2),
                        );
                    self.client
                        .create_silence(matchers, now, end, &self.user, comment)
                        .await
                        .map(|id| format!("silence {id} until {end}"))
                }
                ActionRequest::ExpireSilence { id, .. } => self
                    .client
                    .expire_silence(id)
                    .await
                    .map(|()| format!("silence {id} expired")),
                other => Err(format!(
                    "the Alertmanager cannot run {}",
                    other.action_name()
                )),
            };
            result.into()
        })
    }
}
