//! The one GET both trace clients use: bearer token, timeout, a body size cap, and error
//! messages that name the server, the URL and the status.

use reqwest::Url;

use super::{MAX_BODY_BYTES, REQUEST_TIMEOUT};
use crate::model::clean;

/// A server's answer: status and body, whatever the status (callers decide about 404s).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Connection details shared by a client's requests.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub client: reqwest::Client,
    /// Base URL without a trailing slash (may carry a path prefix, e.g. behind a proxy).
    pub base: String,
    pub token: Option<String>,
    /// `Tempo` or `Jaeger`, for messages.
    pub server: &'static str,
}

impl Endpoint {
    /// Checks the base URL once so later joins cannot fail for its sake.
    ///
    /// # Errors
    /// When `base_url` is not an http(s) URL.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        token: Option<String>,
        server: &'static str,
    ) -> Result<Self, String> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        let parsed =
            Url::parse(&base).map_err(|e| clean(&format!("bad {server} URL `{base_url}`: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(clean(&format!(
                "bad {server} URL `{base_url}`: only http and https are supported"
            )));
        }
        Ok(Self {
            client,
            base,
            token,
            server,
        })
    }

    /// `base` + `path` (which starts with `/`).
    ///
    /// # Errors
    /// Only if the joined text is not a URL, which `new` makes unlikely.
    pub fn url(&self, path: &str) -> Result<Url, String> {
        Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| clean(&format!("bad {} URL: {e}", self.server)))
    }

    /// GETs `url` and reads the body (up to [`MAX_BODY_BYTES`]).
    ///
    /// # Errors
    /// Transport failures and oversized bodies; HTTP error statuses are returned as answers.
    pub async fn get(&self, url: Url) -> Result<Answer, String> {
        let shown = url.to_string();
        let mut request = self
            .client
            .get(url)
            .header("accept", "application/json")
            .timeout(REQUEST_TIMEOUT);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| self.transport_error(&shown, &e))?;
        let status = response.status().as_u16();
        let too_big = || {
            clean(&format!(
                "{} GET {shown}: answer larger than {} MiB",
                self.server,
                MAX_BODY_BYTES >> 20
            ))
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(too_big());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&shown, &e))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }

    /// The message for a non-2xx answer: server, URL, status and the start of the body.
    #[must_use]
    pub fn status_error(&self, url: &Url, answer: &Answer) -> String {
        let text = String::from_utf8_lossy(&answer.body);
        // A 400 is the server refusing what was asked (Tempo: `invalid TraceQL query: parse
        // error at line 1, col 17: syntax error: unexpected IDENTIFIER`, grafana/tempo
        // pkg/api/http.go at 01b11506): the user needs all of it to fix the query. Other
        // statuses may carry whole HTML pages from proxies: their start is enough.
        let detail: String = if answer.status == 400 {
            text.trim().to_owned()
        } else {
            text.trim().chars().take(200).collect()
        };
        let reason = reqwest::StatusCode::from_u16(answer.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let hint = match answer.status {
            401 => " (check the token)",
            403 => " (the token may not read traces)",
            _ => "",
        };
        let mut message = format!(
            "{} GET {url}: HTTP {} {reason}{hint}",
            self.server, answer.status
        );
        if !detail.is_empty() {
            message.push_str(": ");
            message.push_str(&detail);
        }
        clean(&message)
    }

    /// The message for a body that could not be read, with the URL.
    #[must_use]
    pub fn body_error(&self, url: &Url, what: &str) -> String {
        clean(&format!("{} GET {url}: {what}", self.server))
    }

    /// Describes a transport error with its root cause ("Connection refused").
    fn transport_error(&self, url: &str, err: &reqwest::Error) -> String {
        let what = crate::sources::transport_cause(err);
        clean(&format!("cannot reach {} at {url}: {what}", self.server))
    }
}
