//! Client of the platform API (`/v1`): the audit gate's intents and outcomes, the audit
//! trail, and self-service requests. Wire types come from [`crate::model::platform`], the
//! same ones the server uses.
//!
//! The bearer token is held in a type whose `Debug` prints `***` and that has no
//! `Display`, so it cannot end up in a log line or an error message by accident.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::PlatformConfig;
use crate::model::checkpoint::{Checkpoint, CheckpointKeys, CheckpointList};
use crate::model::oncall::{OnCallList, RotaQuery, Shift, ShiftBody, TeamRota};
use crate::model::platform::{
    ApiError, EventPage, EventQuery, IntentAnswer, IntentBody, Me, OutcomeAnswer, OutcomeBody,
    PolicyAnswer, PolicyCheck, RejectBody, Request, RequestList, RequestSpec, VerifyReport,
};

/// The audit gate's default: long enough for a healthy platform, short enough that an
/// operator is not left staring at a frozen action.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// A bearer token. No `Display`; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    #[must_use]
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Why a call failed. The gate treats every variant as "do not execute".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("platform timed out after {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("platform unreachable: {0}")]
    Unreachable(String),
    #[error("platform transport error: {0}")]
    Transport(String),
    #[error("platform answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("platform answer not understood: {0}")]
    Decode(String),
    #[error("invalid platform URL: {0}")]
    Url(String),
}

impl ClientError {
    /// A 5xx answer.
    #[must_use]
    pub fn is_server_error(&self) -> bool {
        matches!(self, Self::Status { status, .. } if *status >= 500)
    }

    /// Worth sending again later (the platform may come back); a 4xx other than 401/429
    /// will not change by retrying.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status >= 500 || *status == 401 || *status == 429,
            Self::Decode(_) | Self::Url(_) => false,
            Self::Timeout(_) | Self::Unreachable(_) | Self::Transport(_) => true,
        }
    }
}

/// A client of one platform API.
#[derive(Debug, Clone)]
pub struct PlatformClient {
    base: Url,
    token: Token,
    timeout: Duration,
    http: reqwest::Client,
}

/// Under TLS 1.3 a server checks the client's certificate only after the client considers
/// the handshake done, so its refusal (an alert, then close) can reach hyper as a connection
/// that closed before the request went out, with the alert itself lost ("connection was not
/// ready", "connection closed before message completed", a reset). On HTTPS those words get
/// the likely reason added, since the bare text does not say what to fix.
fn tls_refusal_hint(chain: String, https: bool) -> String {
    const CLOSED_EARLY: [&str; 4] = [
        "connection was not ready",
        "connection closed before message completed",
        "Connection reset by peer",
        "unexpected EOF",
    ];
    if https && !chain.contains("TLS") && CLOSED_EARLY.iter().any(|w| chain.contains(w)) {
        format!(
            "{chain} (the server closed the connection right after the TLS handshake: it may \
             require a client certificate or refuse ours; check http_tls client_cert and \
             client_key)"
        )
    } else {
        chain
    }
}

impl PlatformClient {
    /// `base` is the server root, e.g. `https://platform.example.com` (no `/v1`).
    pub fn new(base: &str, token: Token) -> Result<Self, ClientError> {
        Self::new_with_tls(base, token, None)
    }

    /// [`Self::new`] with the TLS config of the context's `http_tls` (`None`: the system
    /// trust store, reqwest's default).
    pub fn new_with_tls(
        base: &str,
        token: Token,
        tls: Option<&rustls::ClientConfig>,
    ) -> Result<Self, ClientError> {
        let base = Url::parse(base).map_err(|e| ClientError::Url(format!("{base:?}: {e}")))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(ClientError::Url(format!("{base}: expected an http(s) URL")));
        }
        let builder = match tls {
            Some(tls) => crate::tls::reqwest_builder(tls),
            None => reqwest::Client::builder(),
        };
        let http = builder
            .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Self {
            base,
            token,
            timeout: DEFAULT_TIMEOUT,
            http,
        })
    }

    /// From the context's platform settings; the token and the TLS config (see
    /// [`crate::tls::client_config`]) are made by the caller.
    pub fn from_config(
        config: &PlatformConfig,
        token: Token,
        tls: &rustls::ClientConfig,
    ) -> Result<Self, ClientError> {
        Ok(Self::new_with_tls(&config.url, token, Some(tls))?
            .with_timeout(Duration::from_millis(config.timeout_ms)))
    }

    /// From the context's platform settings with its TLS files read here (blocking file
    /// reads: call it off the runtime's threads).
    ///
    /// # Errors
    /// A TLS file that cannot be read, or a bad URL, in words.
    pub fn connect(config: &PlatformConfig, token: Token) -> Result<Self, String> {
        let tls = crate::tls::client_config(&config.tls).map_err(|e| format!("platform: {e}"))?;
        Self::from_config(config, token, &tls).map_err(|e| e.to_string())
    }

    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `base` + path segments, each percent-encoded.
    fn url(&self, segments: &[&str]) -> Result<Url, ClientError> {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| ClientError::Url(self.base.to_string()))?;
            path.pop_if_empty();
            path.extend(segments);
        }
        Ok(url)
    }

    async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        headers: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<(StatusCode, T), ClientError> {
        let mut req = self
            .http
            .request(method, url)
            .timeout(self.timeout)
            .bearer_auth(self.token.expose());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            let message = serde_json::from_str::<ApiError>(&text)
                .map_or_else(|_| text.chars().take(500).collect(), |e| e.error);
            return Err(ClientError::Status {
                status: status.as_u16(),
                message,
            });
        }
        let value = resp.json::<T>().await.map_err(|e| {
            if e.is_timeout() {
                ClientError::Timeout(self.timeout)
            } else {
                ClientError::Decode(e.to_string())
            }
        })?;
        Ok((status, value))
    }

    fn transport(&self, e: &reqwest::Error) -> ClientError {
        if e.is_timeout() {
            ClientError::Timeout(self.timeout)
        } else if e.is_connect() {
            ClientError::Unreachable(super::error_chain(e))
        } else {
            let chain = super::error_chain(e);
            ClientError::Transport(tls_refusal_hint(chain, self.base.scheme() == "https"))
        }
    }

    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, ClientError> {
        Ok(self.call::<(), T>(Method::GET, url, &[], None).await?.1)
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: Url,
        body: &B,
    ) -> Result<T, ClientError> {
        Ok(self.call(Method::POST, url, &[], Some(body)).await?.1)
    }

    /// `GET /v1/me`.
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get(self.url(&["v1", "me"])?).await
    }

    /// `POST /v1/policy/check`: what policy would decide, with nothing recorded.
    pub async fn check_policy(&self, check: &PolicyCheck) -> Result<PolicyAnswer, ClientError> {
        self.post(self.url(&["v1", "policy", "check"])?, check)
            .await
    }

    /// `POST /v1/audit/events`. The same `idempotency_key` always gets the first answer.
    pub async fn record_intent(
        &self,
        idempotency_key: &str,
        body: &IntentBody,
    ) -> Result<IntentAnswer, ClientError> {
        let url = self.url(&["v1", "audit", "events"])?;
        let headers = [("Idempotency-Key", idempotency_key)];
        Ok(self.call(Method::POST, url, &headers, Some(body)).await?.1)
    }

    /// `POST /v1/audit/events/{id}/outcome`; repeating an identical outcome is fine.
    pub async fn record_outcome(
        &self,
        event_id: &str,
        body: &OutcomeBody,
    ) -> Result<OutcomeAnswer, ClientError> {
        let url = self.url(&["v1", "audit", "events", event_id, "outcome"])?;
        self.post(url, body).await
    }

    /// `GET /v1/audit/events` with filters; follow `next_cursor` for older pages.
    pub async fn list_events(&self, query: &EventQuery) -> Result<EventPage, ClientError> {
        let mut url = self.url(&["v1", "audit", "events"])?;
        {
            let mut pairs = url.query_pairs_mut();
            let fields = [
                ("actor", &query.actor),
                ("action", &query.action),
                ("target", &query.target),
                ("since", &query.since),
                ("until", &query.until),
                ("cursor", &query.cursor),
            ];
            for (name, value) in fields {
                if let Some(v) = value {
                    pairs.append_pair(name, v);
                }
            }
            if let Some(limit) = query.limit {
                pairs.append_pair("limit", &limit.to_string());
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        self.get(url).await
    }

    /// `GET /v1/audit/verify`.
    pub async fn verify(&self) -> Result<VerifyReport, ClientError> {
        self.verify_at(&[]).await
    }

    /// `GET /v1/audit/verify?at=SEQ,SEQ`: also the hashes of the rows `at`.
    pub async fn verify_at(&self, at: &[i64]) -> Result<VerifyReport, ClientError> {
        let mut url = self.url(&["v1", "audit", "verify"])?;
        if !at.is_empty() {
            let seqs: Vec<String> = at.iter().map(i64::to_string).collect();
            url.query_pairs_mut().append_pair("at", &seqs.join(","));
        }
        self.get(url).await
    }

    /// `GET /v1/audit/checkpoints/latest`; `None` when none was signed (404).
    pub async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, ClientError> {
        match self
            .get(self.url(&["v1", "audit", "checkpoints", "latest"])?)
            .await
        {
            Ok(c) => Ok(Some(c)),
            Err(ClientError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/audit/checkpoints?limit=N`, newest first.
    pub async fn checkpoints(&self, limit: u32) -> Result<Vec<Checkpoint>, ClientError> {
        let mut url = self.url(&["v1", "audit", "checkpoints"])?;
        url.query_pairs_mut()
            .append_pair("limit", &limit.to_string());
        Ok(self.get::<CheckpointList>(url).await?.items)
    }

    /// `POST /v1/audit/checkpoints`: sign the current head now.
    pub async fn sign_checkpoint(&self) -> Result<Checkpoint, ClientError> {
        let url = self.url(&["v1", "audit", "checkpoints"])?;
        self.post(url, &serde_json::json!({})).await
    }

    /// `GET /v1/audit/checkpoint-keys`.
    pub async fn checkpoint_keys(&self) -> Result<CheckpointKeys, ClientError> {
        self.get(self.url(&["v1", "audit", "checkpoint-keys"])?)
            .await
    }

    /// `POST /v1/requests`.
    pub async fn create_request(&self, spec: &RequestSpec) -> Result<Request, ClientError> {
        self.post(self.url(&["v1", "requests"])?, spec).await
    }

    /// `GET /v1/requests` (mine), or everyone's with `all` (approvers only).
    pub async fn list_requests(&self, all: bool) -> Result<Vec<Request>, ClientError> {
        let mut url = self.url(&["v1", "requests"])?;
        if all {
            url.set_query(Some("all=true"));
        }
        Ok(self.get::<RequestList>(url).await?.items)
    }

    /// `GET /v1/requests/{id}`.
    pub async fn get_request(&self, id: &str) -> Result<Request, ClientError> {
        self.get(self.url(&["v1", "requests", id])?).await
    }

    /// `POST /v1/requests/{id}/approve` (approvers only).
    pub async fn approve_request(&self, id: &str) -> Result<Request, ClientError> {
        let url = self.url(&["v1", "requests", id, "approve"])?;
        self.post(url, &serde_json::json!({})).await
    }

    /// `GET /v1/oncall`: who is on call now and next, per team (`at`: as of that instant
    /// instead of now).
    pub async fn oncall(&self, at: Option<jiff::Timestamp>) -> Result<OnCallList, ClientError> {
        let mut url = self.url(&["v1", "oncall"])?;
        if let Some(at) = at {
            url.query_pairs_mut().append_pair("at", &at.to_string());
        }
        self.get(url).await
    }

    /// `GET /v1/oncall/{team}`: now, next, and the shifts of `query`'s window.
    pub async fn team_rota(&self, team: &str, query: &RotaQuery) -> Result<TeamRota, ClientError> {
        let mut url = self.url(&["v1", "oncall", team])?;
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in [("at", &query.at), ("from", &query.from), ("to", &query.to)] {
                if let Some(v) = value {
                    pairs.append_pair(name, v);
                }
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        self.get(url).await
    }

    /// `POST /v1/oncall/{team}/shifts`: declare a rota shift or an override.
    pub async fn declare_shift(&self, team: &str, body: &ShiftBody) -> Result<Shift, ClientError> {
        self.post(self.url(&["v1", "oncall", team, "shifts"])?, body)
            .await
    }

    /// `DELETE /v1/oncall/{team}/shifts/{id}`: remove a shift; answers the removed one.
    pub async fn remove_shift(&self, team: &str, id: &str) -> Result<Shift, ClientError> {
        let url = self.url(&["v1", "oncall", team, "shifts", id])?;
        Ok(self
            .call::<(), Shift>(Method::DELETE, url, &[], None)
            .await?
            .1)
    }

    /// `POST /v1/requests/{id}/reject` (approvers only).
    pub async fn reject_request(&self, id: &str, reason: &str) -> Result<Request, ClientError> {
        let url = self.url(&["v1", "requests", id, "reject"])?;
        self.post(
            url,
            &RejectBody {
                reason: reason.to_owned(),
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_early_close_on_https_names_the_client_certificate() {
        let bare = "error sending request: client error (Canceled): connection was not ready";
        let hinted = tls_refusal_hint(bare.to_owned(), true);
        assert!(hinted.starts_with(bare), "{hinted}");
        assert!(hinted.contains("TLS handshake"), "{hinted}");
        assert!(hinted.contains("client_cert"), "{hinted}");
        // Plain HTTP, or an error that already says what TLS did, stays as it is.
        assert_eq!(tls_refusal_hint(bare.to_owned(), false), bare);
        let explained = "TLS: the server requires a client certificate";
        assert_eq!(tls_refusal_hint(explained.to_owned(), true), explained);
        let refused = "Connection refused";
        assert_eq!(tls_refusal_hint(refused.to_owned(), true), refused);
    }

    #[test]
    fn token_never_shows_in_debug() {
        let client = PlatformClient::new("http://127.0.0.1:1/", Token::new("s3cret-value"))
            .expect("valid url");
        let shown = format!("{client:?}");
        assert!(!shown.contains("s3cret-value"), "{shown}");
        assert!(shown.contains("Token(***)"));
        assert_eq!(client.timeout(), DEFAULT_TIMEOUT);
    }

    #[test]
    fn urls_are_joined_and_encoded() {
        let client = PlatformClient::new("http://h:1/base/", Token::new("t")).expect("valid url");
        let url = client.url(&["v1", "requests", "a/b c"]).expect("joins");
        assert_eq!(url.as_str(), "http://h:1/base/v1/requests/a%2Fb%20c");
        assert!(PlatformClient::new("ftp://x", Token::new("t")).is_err());
        assert!(PlatformClient::new("not a url", Token::new("t")).is_err());
    }

    #[test]
    fn retry_classes() {
        let s = |status| ClientError::Status {
            status,
            message: String::new(),
        };
        assert!(s(503).is_retryable() && s(503).is_server_error());
        assert!(!s(409).is_retryable());
        assert!(ClientError::Timeout(DEFAULT_TIMEOUT).is_retryable());
    }
}
