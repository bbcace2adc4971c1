//! Reads: LIST (label and field selectors, `limit`/`continue` pages, built-in items without
//! `apiVersion`/`kind`), GET, and WATCH streams (the changes after the given resourceVersion,
//! then live ones, bookmarks on request, 410 Expired from a compacted version, a clean end at
//! `timeoutSeconds`); and the calls a test uses to expire, close and count watches.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::KubeServer;
use super::errors::{not_found, not_found_path, status, status_object};
use super::routing::{Target, is_true, param};
use super::server::{Inner, Shared, Signal};
use super::types::{Key, ResourceType};

impl KubeServer {
    /// The next watch request of any resource answers with an `ERROR` 410 Expired event.
    pub fn set_expire_next_watch(&self) {
        self.shared.lock().expire_next_watch = true;
    }

    /// Ends every open watch with an `ERROR` 410 Expired event.
    pub fn expire_watches(&self) {
        let _ = self.shared.signals.send(Signal::Expire);
    }

    /// Ends every open watch cleanly, as the server does at `timeoutSeconds`.
    pub fn close_watches(&self) {
        let _ = self.shared.signals.send(Signal::Close);
    }

    /// Forgets history: a watch from any resourceVersion before now gets 410 Expired.
    pub fn compact(&self) {
        let mut inner = self.shared.lock();
        inner.compacted_below = inner.rv + 1;
        inner.history.clear();
    }

    /// Sends a BOOKMARK at the current resourceVersion to watches that asked for bookmarks.
    pub fn bookmark(&self) {
        let inner = self.shared.lock();
        let _ = self.shared.signals.send(Signal::Bookmark(inner.rv));
    }

    /// How many watch streams are open now.
    #[must_use]
    pub fn open_watches(&self) -> usize {
        self.shared.open_watches.load(Ordering::SeqCst)
    }
}

/// An object as it appears in a list: built-in lists drop `apiVersion` and `kind` per item.
fn list_item(ty: &ResourceType, object: &Value) -> Value {
    let mut item = object.clone();
    if ty.builtin
        && let Some(map) = item.as_object_mut()
    {
        map.remove("apiVersion");
        map.remove("kind");
    }
    item
}

fn in_scope(target: &Target, key: &Key) -> bool {
    key.api_version == target.ty.api_version()
        && key.plural == target.ty.plural
        && target
            .namespace
            .as_deref()
            .is_none_or(|ns| ns == key.namespace)
}

fn selected(object: &Value, query: &[(String, String)]) -> bool {
    param(query, "labelSelector").is_none_or(|s| labels_match(object, s))
        && param(query, "fieldSelector").is_none_or(|s| fields_match(object, s))
}

/// Equality (`a=b`, `a==b`, `a!=b`) and existence (`a`, `!a`) terms, all of which must hold.
fn labels_match(object: &Value, selector: &str) -> bool {
    let labels = &object["metadata"]["labels"];
    let label = |k: &str| labels.get(k.trim()).and_then(Value::as_str);
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                label(k) != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                label(k) == Some(v.trim())
            } else if let Some(k) = term.strip_prefix('!') {
                label(k).is_none()
            } else {
                label(term).is_some()
            }
        })
}

/// `path=value`, `path==value`, `path!=value` on dotted paths (`metadata.name`, `status.phase`).
fn fields_match(object: &Value, selector: &str) -> bool {
    let field = |path: &str| {
        let value = path
            .trim()
            .split('.')
            .try_fold(object, |v, part| v.get(part))?;
        Some(match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                field(k).as_deref() != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                field(k).as_deref() == Some(v.trim())
            } else {
                true
            }
        })
}

pub(super) fn list(inner: &Inner, target: &Target, query: &[(String, String)]) -> Response {
    let matching: Vec<&Value> = inner
        .objects
        .iter()
        .filter(|(k, v)| in_scope(target, k) && selected(v, query))
        .map(|(_, v)| v)
        .collect();
    let offset: usize = param(query, "continue")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit = param(query, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let items: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|v| list_item(&target.ty, v))
        .collect();
    let mut metadata = json!({"resourceVersion": inner.rv.to_string()});
    let next = offset + items.len();
    if next < matching.len() {
        // Opaque to clients; an offset is enough for a store that does not move under a test.
        metadata["continue"] = json!(next.to_string());
        metadata["remainingItemCount"] = json!(matching.len() - next);
    }
    axum::Json(json!({
        "apiVersion": target.ty.api_version(),
        "kind": format!("{}List", target.ty.kind),
        "metadata": metadata,
        "items": items,
    }))
    .into_response()
}

pub(super) fn get(inner: &Inner, target: &Target) -> Response {
    let name = target.name.as_deref().unwrap_or_default();
    if let Some(sub) = &target.subresource
        && !(sub == "status" && target.ty.status_subresource)
    {
        return not_found_path();
    }
    match inner.objects.get(&target.key(name)) {
        Some(object) => axum::Json(object.clone()).into_response(),
        None => not_found(target, name),
    }
}

fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": object})).expect("JSON");
    line.push(b'\n');
    Bytes::from(line)
}

fn expired_line(message: &str) -> Bytes {
    event_line("ERROR", &status_object(410, "Expired", message, json!({})))
}

/// Counts an open watch for as long as its task runs.
struct WatchGuard(Arc<Shared>);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.open_watches.fetch_sub(1, Ordering::SeqCst);
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "the fake server's watch in one place, as the real server's: initial events, changes, bookmarks, timeout"
)]
pub(super) fn watch(
    shared: &Arc<Shared>,
    mut inner: MutexGuard<'_, Inner>,
    target: &Target,
    query: &[(String, String)],
) -> Response {
    let from = param(query, "resourceVersion")
        .unwrap_or_default()
        .to_owned();
    let bookmarks = is_true(param(query, "allowWatchBookmarks"));
    let timeout = param(query, "timeoutSeconds").and_then(|t| t.parse::<u64>().ok());
    let query = query.to_vec();
    let target = target.clone();
    let mut backlog = Vec::new();
    let mut expired = None;
    let from_str = from.as_str();
    if std::mem::take(&mut inner.expire_next_watch) {
        expired = Some(format!(
            "too old resource version: {from_str} ({})",
            inner.compacted_below.max(inner.rv)
        ));
    } else if from_str.is_empty() || from_str == "0" {
        // "Start at most recent": synthetic ADDED events for what exists, then changes.
        for (key, object) in &inner.objects {
            if in_scope(&target, key) && selected(object, &query) {
                backlog.push(event_line("ADDED", object));
            }
        }
    } else {
        let Ok(from_rv) = from_str.parse::<u64>() else {
            return status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("invalid resource version: {from_str}"),
                json!({}),
            );
        };
        if from_rv + 1 < inner.compacted_below {
            expired = Some(format!(
                "too old resource version: {from_rv} ({})",
                inner.compacted_below - 1
            ));
        } else {
            for change in inner.history.iter().filter(|c| c.rv > from_rv) {
                if in_scope(&target, &change.key) && selected(&change.object, &query) {
                    backlog.push(event_line(change.kind, &change.object));
                }
            }
        }
    }
    let mut signals = shared.signals.subscribe();
    drop(inner);
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    shared.open_watches.fetch_add(1, Ordering::SeqCst);
    let guard = WatchGuard(Arc::clone(shared));
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let _guard = guard;
        if let Some(message) = expired {
            let _ = tx.send(expired_line(&message)).await;
            return;
        }
        for line in backlog {
            if tx.send(line).await.is_err() {
                return;
            }
        }
        let deadline =
            tokio::time::sleep(timeout.map_or(Duration::from_hours(24), Duration::from_secs));
        tokio::pin!(deadline);
        loop {
            let signal = tokio::select! {
                s = signals.recv() => s,
                () = &mut deadline => return,
                () = tx.closed() => return,
            };
            let line = match signal {
                Ok(Signal::Change(change)) => {
                    if !(in_scope(&target, &change.key) && selected(&change.object, &query)) {
                        continue;
                    }
                    event_line(change.kind, &change.object)
                }
                Ok(Signal::Bookmark(rv)) => {
                    if !bookmarks {
                        continue;
                    }
                    event_line(
                        "BOOKMARK",
                        &json!({
                            "apiVersion": target.ty.api_version(),
                            "kind": target.ty.kind,
                            "metadata": {"resourceVersion": rv.to_string()},
                        }),
                    )
                }
                Ok(Signal::Expire) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    let rv = shared.lock().rv;
                    let _ = tx
                        .send(expired_line(&format!(
                            "too old resource version: {from} ({rv})"
                        )))
                        .await;
                    return;
                }
                Ok(Signal::Close) | Err(broadcast::error::RecvError::Closed) => return,
            };
            if tx.send(line).await.is_err() {
                return;
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::TRANSFER_ENCODING, "chunked")
        .body(Body::from_stream(stream))
        .expect("response")
}
