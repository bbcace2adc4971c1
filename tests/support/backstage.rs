//! A Backstage catalog test server speaking the real wire format of
//! `GET /api/catalog/entities/by-query`: `{"items":[...],"totalItems":N,"pageInfo":{...}}`,
//! bearer token checked, `filter=kind=...` applied on the first page, and an opaque `cursor`
//! that carries the filter for the next pages (as Backstage does, which ignores `filter` when
//! a cursor is given).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The bearer token every request must carry.
    pub token: String,
    /// The largest page the server returns, whatever `limit` asks (to force several pages).
    pub max_page: usize,
    /// Misbehave: always answer with the same next cursor.
    pub stuck_cursor: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            token: "test-token".into(),
            max_page: 3,
            stuck_cursor: false,
        }
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    /// Raw query strings of every request, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// `http://127.0.0.1:port`, the Backstage backend's base URL.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    #[must_use]
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct AppState {
    entities: Vec<Value>,
    options: Options,
    requests: Arc<Mutex<Vec<String>>>,
}

/// Starts a server on a free loopback port serving `entities`.
pub async fn start(entities: Vec<Value>, options: Options) -> Server {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let state = Arc::new(AppState {
        entities,
        options,
        requests: Arc::clone(&requests),
    });
    let app = Router::new()
        .route("/api/catalog/entities/by-query", get(by_query))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    Server {
        addr,
        requests,
        task,
    }
}

/// The fixture set of `tests/support/fixtures/catalog/backstage/entities.json`.
#[must_use]
pub fn fixture_entities() -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/fixtures/catalog/backstage/entities.json");
    let text = std::fs::read_to_string(path).expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn error(status: StatusCode, name: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "name": name, "message": message }, "response": { "statusCode": status.as_u16() } })),
    )
        .into_response()
}

/// `kind=component,spec.type=service` → conditions; only `kind` and `spec.type` are needed.
fn matches(entity: &Value, filter: &str) -> bool {
    filter.split(',').all(|cond| {
        let Some((key, want)) = cond.split_once('=') else {
            return true;
        };
        let have = match key.trim().to_ascii_lowercase().as_str() {
            "kind" => entity.get("kind"),
            "spec.type" => entity.get("spec").and_then(|s| s.get("type")),
            _ => return true,
        };
        have.and_then(Value::as_str)
            .is_some_and(|h| h.eq_ignore_ascii_case(want.trim()))
    })
}

async fn by_query(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
    uri: axum::http::Uri,
) -> Response {
    state
        .requests
        .lock()
        .expect("lock")
        .push(uri.query().unwrap_or_default().to_owned());
    let expected = format!("Bearer {}", state.options.token);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth != expected {
        return error(
            StatusCode::UNAUTHORIZED,
            "AuthenticationError",
            "Missing or invalid token",
        );
    }
    let param = |name: &str| {
        params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let limit = param("limit")
        .first()
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .min(state.options.max_page);
    // The cursor is opaque to clients: `<offset>|<filter>`, hex-encoded.
    let (offset, filters) = match param("cursor").first() {
        Some(cursor) => {
            let Some(decoded) = hex::decode(cursor)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            else {
                return error(StatusCode::BAD_REQUEST, "InputError", "Malformed cursor");
            };
            let Some((offset, filter)) = decoded.split_once('|') else {
                return error(StatusCode::BAD_REQUEST, "InputError", "Malformed cursor");
            };
            let filters: Vec<String> = filter
                .split('\n')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect();
            (offset.parse::<usize>().unwrap_or(0), filters)
        }
        None => (0, param("filter")),
    };
    let matching: Vec<&Value> = state
        .entities
        .iter()
        .filter(|e| filters.is_empty() || filters.iter().any(|f| matches(e, f)))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|e| (*e).clone())
        .collect();
    let next = offset + page.len();
    let encode = |offset: usize| hex::encode(format!("{offset}|{}", filters.join("\n")));
    let mut page_info = serde_json::Map::new();
    if state.options.stuck_cursor {
        page_info.insert("nextCursor".into(), json!(encode(0)));
    } else if next < matching.len() {
        page_info.insert("nextCursor".into(), json!(encode(next)));
    }
    if offset > 0 {
        page_info.insert(
            "prevCursor".into(),
            json!(encode(offset.saturating_sub(limit))),
        );
    }
    axum::Json(json!({
        "items": page,
        "totalItems": matching.len(),
        "pageInfo": page_info,
    }))
    .into_response()
}
