//! What the HTTP test peers of the trace backends share: a call log with an injectable fault
//! (every route answers a status or a non-JSON body instead of its data), query decoding,
//! and serving a router on a free loopback port until dropped.
//!
//! The Tempo and Jaeger peers use it as `super::recorded_peer`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// What every route answers instead of its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// This status with a plain-text body.
    Status(u16),
    /// 200 with an HTML body, as a misrouted proxy would send.
    Garbage,
}

/// One call as the server saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The query decoded into pairs, in order.
    pub params: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub status: u16,
}

impl Call {
    /// The first value of a query parameter.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The bodies a peer answers its faults with, in the words of the real server.
#[derive(Debug, Clone, Copy)]
pub struct FaultBodies {
    pub status: &'static str,
    pub garbage: &'static str,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    fault: Option<Fault>,
}

/// The call log and the fault, shared by a peer's handlers and its test-facing handle.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Inner>>);

impl Recorder {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every call so far.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Makes every route answer `fault` (or serve normally again with `None`).
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.lock().fault = fault;
    }

    /// Records the call (with `status`, or the fault's) and answers the fault if one is set.
    pub fn record(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        status: u16,
        bodies: FaultBodies,
    ) -> Option<Response> {
        let mut inner = self.lock();
        let query = uri.query().unwrap_or_default().to_owned();
        let fault = inner.fault.clone();
        let status = match &fault {
            Some(Fault::Status(s)) => *s,
            _ => status,
        };
        inner.calls.push(Call {
            path: uri.path().to_owned(),
            params: decode(&query),
            query,
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            status,
        });
        match fault? {
            Fault::Status(s) => Some(
                (
                    StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    bodies.status,
                )
                    .into_response(),
            ),
            Fault::Garbage => {
                Some(([(header::CONTENT_TYPE, "text/html")], bodies.garbage).into_response())
            }
        }
    }
}

/// Decodes a query string into pairs (through `reqwest::Url`: `url` is not a direct
/// dependency of the crate).
#[must_use]
pub fn decode(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://peer/?{query}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A router served on a free loopback port; it stops on Drop.
pub struct Served {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Served {
    pub async fn start(app: Router) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Served { addr, task }
    }

    /// `http://127.0.0.1:port`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
