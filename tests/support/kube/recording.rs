//! What the server saw: every request, and every write as received (before it was applied)
//! with the status it was answered, so tests assert the exact calls.

use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::Value;

use super::KubeServer;
use super::routing::Target;
use super::server::Inner;
use super::writes::{content_type, parse_body};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: String,
    /// `list`, `watch`, `get`, `create`, `update`, `patch`, `delete`, `discovery`,
    /// `selfsubjectaccessreview` or `unknown`.
    pub verb: String,
    /// The plural resource name, `""` for discovery.
    pub resource: String,
    pub subresource: Option<String>,
    pub authorization: Option<String>,
}

/// One write (PATCH, PUT, POST, DELETE) as received, before it was applied.
#[derive(Debug, Clone)]
pub struct WriteRecord {
    pub method: String,
    /// The request path, e.g. `/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/x/status`.
    pub path: String,
    pub subresource: Option<String>,
    pub content_type: String,
    /// The body parsed as JSON (YAML for apply patches); a string when it parses as neither.
    pub body: Value,
    pub query: String,
    /// The HTTP status the server answered.
    pub status: u16,
}

impl KubeServer {
    /// Every request so far, in order.
    #[must_use]
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.clone()
    }

    /// How many requests had this verb on this plural resource (e.g. `("list", "rollouts")`).
    #[must_use]
    pub fn request_count(&self, verb: &str, resource: &str) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.verb == verb && r.resource == resource)
            .count()
    }

    /// Every write (PATCH, PUT, POST, DELETE) received, including refused ones.
    #[must_use]
    pub fn writes(&self) -> Vec<WriteRecord> {
        self.shared.lock().writes.clone()
    }

    /// Every PATCH received, including refused ones.
    #[must_use]
    pub fn patches(&self) -> Vec<WriteRecord> {
        self.writes()
            .into_iter()
            .filter(|w| w.method == "PATCH")
            .collect()
    }

    /// Forgets recorded requests and writes (fixtures loading is not part of a test's story).
    pub fn clear_records(&self) {
        let mut inner = self.shared.lock();
        inner.requests.clear();
        inner.writes.clear();
        inner.ssar_requests.clear();
    }
}

pub(super) fn record_write(
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
    code: u16,
) {
    let ct = content_type(headers);
    inner.writes.push(WriteRecord {
        method: method.to_string(),
        path: uri.path().to_owned(),
        subresource: target.subresource.clone(),
        body: if body.is_empty() {
            Value::Null
        } else {
            parse_body(&ct, body)
        },
        content_type: ct,
        query: uri.query().unwrap_or_default().to_owned(),
        status: code,
    });
}

/// Records the write with the status of its answer, then answers.
pub(super) fn recorded(
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
    response: Response,
) -> Response {
    record_write(
        inner,
        method,
        uri,
        target,
        headers,
        body,
        response.status().as_u16(),
    );
    response
}
