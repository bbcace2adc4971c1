//! Pod logs (`GET …/pods/{name}/log`): lines a test pushes per pod and container, served
//! with the kubelet's options (`container`, `follow`, `timestamps`, `sinceTime`,
//! `sinceSeconds`, `previous`, `tailLines`) and the real server's 400s, as followed streams a
//! test can cut.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::Response;
use tokio::sync::mpsc;

use super::KubeServer;
use super::errors::{bad_request, not_found};
use super::recording::RequestRecord;
use super::routing::{Target, is_true, param};
use super::server::{Inner, Shared};

/// Whose log a line belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct LogKey {
    namespace: String,
    pod: String,
    container: String,
    /// The previous (terminated) instance of the container.
    previous: bool,
}

#[derive(Debug, Default)]
pub(super) struct LogStore {
    /// Lines in the order pushed (tests push them in time order, as a kubelet writes them).
    lines: BTreeMap<LogKey, Vec<(jiff::Timestamp, String)>>,
}

#[derive(Debug, Clone)]
pub(super) enum LogSignal {
    Pushed(LogKey),
    Cut,
}

/// Counts an open log stream for as long as its task runs.
struct LogStreamGuard(Arc<Shared>);

impl Drop for LogStreamGuard {
    fn drop(&mut self) {
        self.0.open_log_streams.fetch_sub(1, Ordering::SeqCst);
    }
}

impl KubeServer {
    /// Appends a line to the log of a pod's container (its current instance), as the kubelet
    /// would write it at `ts`; open `follow` streams of that container get it at once.
    pub fn push_log(&self, ns: &str, pod: &str, container: &str, ts: jiff::Timestamp, line: &str) {
        self.push_log_entry(ns, pod, container, false, ts, line);
    }

    /// Appends a line to the log of the previous (terminated) instance of a container, which
    /// `previous=true` reads.
    pub fn push_previous_log(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        ts: jiff::Timestamp,
        line: &str,
    ) {
        self.push_log_entry(ns, pod, container, true, ts, line);
    }

    fn push_log_entry(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
        ts: jiff::Timestamp,
        line: &str,
    ) {
        let key = LogKey {
            namespace: ns.into(),
            pod: pod.into(),
            container: container.into(),
            previous,
        };
        let mut logs = self
            .shared
            .logs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        logs.lines
            .entry(key.clone())
            .or_default()
            .push((ts, line.to_owned()));
        // Sent under the lock so a stream that snapshots under it neither misses nor repeats.
        let _ = self.shared.log_signals.send(LogSignal::Pushed(key));
    }

    /// A container restarted: its current log becomes the previous instance's (what
    /// `previous=true` reads) and the current log starts empty.
    pub fn restart_container_log(&self, ns: &str, pod: &str, container: &str) {
        let key = |previous| LogKey {
            namespace: ns.into(),
            pod: pod.into(),
            container: container.into(),
            previous,
        };
        let mut logs = self
            .shared
            .logs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = logs.lines.remove(&key(false)).unwrap_or_default();
        logs.lines.insert(key(true), current);
    }

    /// Ends every open log stream at once (the body ends, as when the API server or a proxy
    /// drops the connection), to exercise a client's resume.
    pub fn cut_log_streams(&self) {
        let _ = self.shared.log_signals.send(LogSignal::Cut);
    }

    /// How many `follow` log streams are open now.
    #[must_use]
    pub fn open_log_streams(&self) -> usize {
        self.shared.open_log_streams.load(Ordering::SeqCst)
    }

    /// Every pod log request so far, in order (`path` names the pod, `query` holds
    /// `container`, `follow`, `timestamps`, `sinceTime`, `sinceSeconds`, `previous`,
    /// `tailLines` as sent).
    #[must_use]
    pub fn log_requests(&self) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| r.resource == "pods" && r.subresource.as_deref() == Some("log"))
            .collect()
    }
}

/// `2026-08-22T08:00:01.000000001Z`: the kubelet's fixed nine-digit `RFC3339Nano`.
fn kubelet_time(ts: jiff::Timestamp) -> String {
    format!(
        "{}.{:09}Z",
        ts.strftime("%Y-%m-%dT%H:%M:%S"),
        ts.subsec_nanosecond()
    )
}

/// `GET …/pods/{name}/log`: `container`, `follow`, `timestamps`, `sinceTime`, `sinceSeconds`,
/// `previous`, `tailLines`, with the real server's 400s for a missing or unknown container.
#[expect(
    clippy::too_many_lines,
    reason = "the fake kubelet's log stream with every query parameter it honours"
)]
pub(super) fn pod_log(
    shared: &Arc<Shared>,
    inner: MutexGuard<'_, Inner>,
    target: &Target,
    query: &[(String, String)],
) -> Response {
    let name = target.name.clone().unwrap_or_default();
    let Some(pod) = inner.objects.get(&target.key(&name)).cloned() else {
        return not_found(target, &name);
    };
    drop(inner);
    let containers: Vec<String> = pod["spec"]["containers"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let container = match param(query, "container") {
        Some(c) if containers.iter().any(|have| have == c) => c.to_owned(),
        Some(c) => return bad_request(&format!("container {c} is not valid for pod {name}")),
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return bad_request(&format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            ));
        }
    };
    let previous = is_true(param(query, "previous"));
    let follow = is_true(param(query, "follow"));
    let timestamps = is_true(param(query, "timestamps"));
    let since = if let Some(seconds) = param(query, "sinceSeconds") {
        let Ok(seconds) = seconds.parse::<i64>() else {
            return bad_request(&format!("invalid sinceSeconds: {seconds}"));
        };
        Some(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(seconds))
    } else if let Some(time) = param(query, "sinceTime") {
        let Ok(time) = time.parse::<jiff::Timestamp>() else {
            return bad_request(&format!("invalid sinceTime: {time}"));
        };
        Some(time)
    } else {
        None
    };
    let tail_lines = param(query, "tailLines").and_then(|t| t.parse::<usize>().ok());
    let key = LogKey {
        namespace: target.namespace.clone().unwrap_or_default(),
        pod: name.clone(),
        container: container.clone(),
        previous,
    };
    let render = move |lines: &[(jiff::Timestamp, String)]| -> Vec<u8> {
        let mut out = Vec::new();
        for (ts, line) in lines {
            if since.is_some_and(|s| *ts < s) {
                continue;
            }
            if timestamps {
                out.extend_from_slice(kubelet_time(*ts).as_bytes());
                out.push(b' ');
            }
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        out
    };
    let logs = shared
        .logs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let stored = logs.lines.get(&key).cloned();
    if previous && stored.is_none() {
        return bad_request(&format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        ));
    }
    let stored = stored.unwrap_or_default();
    let mut backlog: Vec<(jiff::Timestamp, String)> = stored
        .iter()
        .filter(|(ts, _)| since.is_none_or(|s| *ts >= s))
        .cloned()
        .collect();
    if let Some(n) = tail_lines {
        backlog.drain(..backlog.len().saturating_sub(n));
    }
    let mut sent = stored.len();
    let first = render(&backlog);
    if !follow {
        drop(logs);
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(first))
            .expect("response");
    }
    let mut signals = shared.log_signals.subscribe();
    drop(logs);
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    shared.open_log_streams.fetch_add(1, Ordering::SeqCst);
    let guard = LogStreamGuard(Arc::clone(shared));
    let shared = Arc::clone(shared);
    let pod_key = target.key(&name);
    tokio::spawn(async move {
        let _guard = guard;
        if !first.is_empty() && tx.send(Bytes::from(first)).await.is_err() {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                signal = signals.recv() => match signal {
                    Ok(LogSignal::Pushed(pushed)) if pushed == key => {
                        let fresh: Vec<(jiff::Timestamp, String)> = {
                            let logs = shared
                                .logs
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            let all = logs.lines.get(&key).map(Vec::as_slice).unwrap_or_default();
                            let fresh = all.get(sent..).unwrap_or_default().to_vec();
                            sent = all.len();
                            fresh
                        };
                        let bytes = render(&fresh);
                        if !bytes.is_empty() && tx.send(Bytes::from(bytes)).await.is_err() {
                            return;
                        }
                    }
                    Ok(LogSignal::Pushed(_)) => {}
                    Ok(LogSignal::Cut) | Err(_) => return,
                },
                _ = tick.tick() => {
                    // The pod is gone: the kubelet ends the stream.
                    if !shared.lock().objects.contains_key(&pod_key) {
                        return;
                    }
                }
                () = tx.closed() => return,
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::TRANSFER_ENCODING, "chunked")
        .body(Body::from_stream(stream))
        .expect("response")
}
