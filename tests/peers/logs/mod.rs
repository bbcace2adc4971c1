//! The remote log sources against their in-process test peers: Kubernetes pod logs (the
//! kube peer's log subresource: multi-pod follow with `+`/`-` markers, resume after a cut
//! without a repeated line, the 50-stream cap, container choice and previous logs) and Loki
//! (history paged backwards, structured-metadata trace ids, the WebSocket tail with dropped
//! entries, the polling fallback, the `| trace_id=` → `|=` fallback, a dead server), and both
//! through a black-hole proxy that leaves a connection half-open (`silence`).
mod loki;
mod loki_queries;
mod pods;
mod silence;

use std::time::Duration;

use opsdeck::model::SourceHealth;
use opsdeck::sources::logs::LogItem;
use opsdeck::sources::{SourceBody, SourceEvent};
use tokio::sync::mpsc;

/// How long a test waits for something before failing.
const PATIENCE: Duration = Duration::from_secs(20);

/// Everything a source reported so far.
pub struct Feed {
    rx: mpsc::Receiver<SourceEvent>,
    pub items: Vec<LogItem>,
    pub health: Vec<SourceHealth>,
}

impl Feed {
    pub fn new(rx: mpsc::Receiver<SourceEvent>) -> Self {
        Self {
            rx,
            items: Vec::new(),
            health: Vec::new(),
        }
    }

    fn take(&mut self, event: SourceEvent) {
        match event.body {
            SourceBody::Logs(batch) => self.items.extend(batch.items.iter().cloned()),
            SourceBody::Health(h) => self.health.push(h),
            _ => {}
        }
    }

    /// Reads events until `done` holds; panics after [`PATIENCE`] with what was seen.
    pub async fn wait(&mut self, what: &str, done: impl Fn(&Feed) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done(self) {
            let received = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_elapsed| {
                    panic!(
                        "timed out waiting for {what}\nmarkers: {:?}\nnotices: {:?}\nlines: {:?}\nhealth: {:?}",
                        self.markers(),
                        self.notices(),
                        self.texts(),
                        self.health
                    )
                });
            match received {
                Some(event) => self.take(event),
                None => panic!("the source stopped while waiting for {what}"),
            }
        }
    }

    /// Reads whatever arrives for `time`.
    pub async fn settle(&mut self, time: Duration) {
        let deadline = tokio::time::Instant::now() + time;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            self.take(event);
        }
    }

    /// `(source, text after the timestamp prefix)` of every line, in order.
    pub fn texts(&self) -> Vec<(String, String)> {
        self.items
            .iter()
            .filter_map(|i| match i {
                LogItem::Line(l) => Some((
                    l.source().to_string(),
                    l.raw()
                        .split_once(' ')
                        .map_or(l.raw(), |(_, rest)| rest)
                        .to_owned(),
                )),
                _ => None,
            })
            .collect()
    }

    /// The text of every line, in order.
    pub fn lines(&self) -> Vec<String> {
        self.texts().into_iter().map(|(_, t)| t).collect()
    }

    /// `+ source` / `- source` / `- source (detail)`, in order.
    pub fn markers(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                LogItem::Stream {
                    source,
                    started,
                    detail,
                } => Some(match (started, detail.is_empty()) {
                    (true, _) => format!("+ {source}"),
                    (false, true) => format!("- {source}"),
                    (false, false) => format!("- {source} ({detail})"),
                }),
                _ => None,
            })
            .collect()
    }

    pub fn notices(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                LogItem::Notice(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn has_notice(&self, part: &str) -> bool {
        self.notices().iter().any(|n| n.contains(part))
    }

    pub fn errors(&self) -> Vec<String> {
        self.health
            .iter()
            .filter_map(|h| match h {
                SourceHealth::Error { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn is_ok(&self) -> bool {
        matches!(self.health.last(), Some(SourceHealth::Ok { .. }))
    }
}

/// The decoded query parameters of a recorded query string.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn pair<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
