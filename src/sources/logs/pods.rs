//! Kubernetes pod logs, stern-like: every container of every pod matching a label selector,
//! followed at once through the API server's log subresource (kube-rs `log_stream`).
//!
//! - **What is read.** The pods of [`LogTarget::namespace`] (the context's namespace when
//!   unset) matching [`LogTarget::selector`], watched with a kube-rs watcher so new pods are
//!   picked up and deleted pods are dropped. Every container of `spec.containers` is followed,
//!   or only [`LogTarget::container`]. Containers that are waiting to start are followed once
//!   they run.
//! - **How far back.** [`LogTarget::since`], by default [`DEFAULT_SINCE`] (10 minutes; stern
//!   defaults to 48 h, which on a busy service is more than the pane's ring keeps anyway).
//!   With [`LogTarget::previous`] the previous (crashed) containers' logs are read once, without
//!   following.
//! - **Timestamps.** Every request asks for `timestamps=true`. The line is handed to
//!   [`parse_line`] with the API's `RFC3339Nano` prefix still on: the parser reads a leading
//!   timestamp as the line's time (a JSON body's own time field wins) and recognises JSON after
//!   it. The prefix is also read here for resuming.
//! - **Markers.** `LogItem::Stream { started: true }` when a stream starts (`+ pod › container`)
//!   and `started: false` when it ends, with the reason when it failed or the pod went away.
//!   The source column is `pod › container` for pods with several containers, else the pod.
//!   A stream ends when its pod is deleted (`pod deleted`) or its container terminates or
//!   waits to restart (`container waiting: CrashLoopBackOff`), and starts again for the
//!   container's next run (a new restart count or container id). A refused request ends it
//!   with the API's message and is retried with [`backoff`] while the pod exists; the `+`
//!   comes again when a retry gets through.
//! - **Stream cap.** At most [`MAX_STREAMS`] streams run at once (stern's
//!   `--max-log-requests` default). Stern exits at the limit; here the containers beyond it are
//!   not followed, a `LogItem::Notice` says how many, and they start when a slot frees up.
//! - **Resume.** When a stream ends while its pod still runs (the API server or a proxy cut
//!   it), it reconnects after [`backoff`] with `sinceTime` = the second of the last line seen
//!   and skips the lines of that second already delivered (stern's `LinesToSkip`): `sinceTime`
//!   has second precision only, so no line is lost or repeated. The resume time is truncated
//!   to the second here, because kube-rs *rounds* `since_time` to the second, which could
//!   round up past lines not yet seen. The lines of that second are matched by timestamp and
//!   text ([`super::resume::Seen`]), so several lines sharing a timestamp are counted right.
//! - **Silence.** A stream that sends nothing for [`LogStreamConfig::pod_idle`] (30 s) is
//!   checked with a non-following request from the resume point: lines there that the stream
//!   did not deliver (or no answer) mean a dead, half-open connection, which is replaced at
//!   once; a notice says "reconnected after 30s of silence; resumed from …", at most once per
//!   five minutes per stream (see [`super::watchdog`]). Every request is bounded by the same
//!   time, since a pooled connection may be as dead as the stream was.
//! - Lines are sent in batches of at most [`BATCH_LINES`] or every [`BATCH_INTERVAL`].
//!   A `Control::Logs` with a new target stops every stream and starts over.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures::{AsyncBufReadExt as _, StreamExt as _};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event, watcher};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use super::resume::{Seen, line_key};
use super::watchdog::{LogStreamConfig, NoticeThrottle, reconnect_notice, spoken};
use super::{BATCH_INTERVAL, BATCH_LINES, LogItem, LogTarget, idle, send, session_per_target};
use crate::model::SourceHealth;
use crate::model::logs::parse_line;
use crate::sources::{Control, Reporter, SourceEvent, SourceHandle, SourceId, backoff};

/// Most log streams open at once (stern's `--max-log-requests` when following).
pub const MAX_STREAMS: usize = 50;
/// How far back a new target starts when it does not say.
pub const DEFAULT_SINCE: Duration = Duration::from_mins(10);
/// What the pane shows before it has a target.
pub const NO_TARGET: &str = "pick a service (scope) to follow its pods";

/// Starts the pod log source. It idles until a `Control::Logs` target arrives;
/// `namespace_default` is used when the target names no namespace.
#[must_use]
pub fn spawn(
    client: kube::Client,
    namespace_default: String,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    spawn_with(
        client,
        namespace_default,
        generation,
        events,
        LogStreamConfig::default(),
    )
}

/// [`spawn`] with the silence checks of `settings` (`[log_stream]`).
#[must_use]
pub fn spawn_with(
    client: kube::Client,
    namespace_default: String,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
    settings: LogStreamConfig,
) -> SourceHandle {
    let (control_tx, mut control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Logs, generation, events);
    let task = tokio::spawn(async move {
        idle(&reporter, NO_TARGET).await;
        session_per_target(&mut control_rx, &reporter, |target| {
            let mut plan = Plan::of(&target, &namespace_default)?;
            plan.idle = settings.pod_idle;
            Ok(tokio::spawn(follow(client.clone(), plan, reporter.clone())))
        })
        .await;
    });
    SourceHandle::new(SourceId::Logs, control_tx, task)
}

/// A target resolved to what the Kubernetes API needs.
#[derive(Debug, Clone)]
struct Plan {
    namespace: String,
    selector: String,
    container: Option<String>,
    since: Duration,
    previous: bool,
    /// See [`LogStreamConfig::pod_idle`].
    idle: Duration,
}

impl Plan {
    fn of(target: &LogTarget, namespace_default: &str) -> Result<Self, String> {
        let Some(selector) = target.selector.clone().filter(|s| !s.trim().is_empty()) else {
            return Err(match &target.service {
                // `:logs <LogQL>` in a context whose logs come from pods.
                None if target.logql.is_some() => {
                    "LogQL needs Loki: this context reads pod logs (add `loki` to it)".to_owned()
                }
                Some(service) => format!("no pod selector is known for {service}"),
                None => NO_TARGET.to_owned(),
            });
        };
        Ok(Self {
            namespace: target
                .namespace
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| namespace_default.to_owned()),
            selector,
            container: target.container.clone(),
            since: target.since.unwrap_or(DEFAULT_SINCE),
            previous: target.previous,
            idle: LogStreamConfig::default().pod_idle,
        })
    }
}

/// One stream: a pod and one of its containers.
type StreamKey = (String, String);

/// What the session knows of a container, from the last pod event.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Container {
    name: String,
    source: Arc<str>,
    /// Whether a stream may start now (running, or state unknown).
    ready: bool,
    /// Which run of the container this is (restart count and container id): a stream that
    /// ended starts again only for a new run.
    instance: String,
}

fn containers_of(pod: &Pod, plan: &Plan) -> Vec<Container> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let spec: Vec<String> = pod
        .spec
        .as_ref()
        .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    let several = spec.len() > 1;
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    spec.into_iter()
        .filter(|c| plan.container.as_ref().is_none_or(|want| want == c))
        .map(|c| {
            let status = statuses.iter().find(|s| s.name == c);
            let state = status.and_then(|s| s.state.as_ref());
            let ready = if plan.previous {
                status.is_none_or(|s| {
                    s.restart_count > 0
                        || s.last_state
                            .as_ref()
                            .is_some_and(|l| l.terminated.is_some())
                })
            } else {
                // Unknown (no status yet), running, or finished (its logs can still be read).
                state.is_none_or(|s| s.waiting.is_none())
            };
            let source: Arc<str> = if several {
                Arc::from(format!("{name} › {c}").as_str())
            } else {
                Arc::from(name.as_str())
            };
            Container {
                source,
                ready,
                instance: status.map_or_else(String::new, |s| {
                    format!(
                        "{}:{}",
                        s.restart_count,
                        s.container_id.as_deref().unwrap_or_default()
                    )
                }),
                name: c,
            }
        })
        .collect()
}

/// Why a container's log will not grow for now: `Some("")` when it terminated, the waiting
/// reason (`CrashLoopBackOff`) when it waits to start again; `None` while it runs.
fn stopped(pod: &Pod, container: &str) -> Option<String> {
    let state = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|s| s.iter().find(|s| s.name == container))
        .and_then(|s| s.state.as_ref())?;
    if state.running.is_some() {
        None
    } else if let Some(waiting) = &state.waiting {
        Some(format!(
            "container waiting: {}",
            waiting.reason.as_deref().unwrap_or("unknown reason")
        ))
    } else if state.terminated.is_some() {
        Some(String::new())
    } else {
        None
    }
}

/// A readable message for a kube error: the API's own words for API errors.
fn kube_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) if !status.message.is_empty() => {
            format!("{} {}: {}", status.code, status.reason, status.message)
        }
        other => other.to_string(),
    }
}

fn watcher_message(error: &watcher::Error) -> String {
    match error {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => kube_message(e),
        other => other.to_string(),
    }
}

/// The session of one target: a pod watcher, the streams and the batcher.
struct Session {
    plan: Plan,
    api: Api<Pod>,
    reporter: Reporter,
    tx: mpsc::Sender<LogItem>,
    rx: mpsc::Receiver<LogItem>,
    tasks: JoinSet<StreamKey>,
    active: HashMap<StreamKey, AbortHandle>,
    /// Containers of known pods, by pod.
    pods: BTreeMap<String, Vec<Container>>,
    /// Streams that ended on their own, with the container's run then: they start again only
    /// for a new run.
    ended: HashMap<StreamKey, String>,
    /// Pods seen during a watcher re-list (`Init` … `InitDone`).
    relisting: Option<BTreeSet<String>>,
    /// Containers not followed because of the cap, as last reported.
    over_cap: usize,
    /// Sources whose `+` marker went out without a `-` yet (so a stream stopped by the
    /// session gets exactly one `-`).
    flowing: BTreeSet<Arc<str>>,
    batch: Vec<LogItem>,
}

async fn follow(client: kube::Client, plan: Plan, reporter: Reporter) {
    let api: Api<Pod> = Api::namespaced(client, &plan.namespace);
    let config = watcher::Config::default().labels(&plan.selector);
    let mut pods = pin!(watcher(api.clone(), config).default_backoff());
    let (tx, rx) = mpsc::channel(BATCH_LINES);
    let mut session = Session {
        plan,
        api,
        reporter,
        tx,
        rx,
        tasks: JoinSet::new(),
        active: HashMap::new(),
        pods: BTreeMap::new(),
        ended: HashMap::new(),
        relisting: None,
        over_cap: 0,
        flowing: BTreeSet::new(),
        batch: Vec::new(),
    };
    let mut flush_at = tokio::time::Instant::now() + BATCH_INTERVAL;
    loop {
        let pending = !session.batch.is_empty();
        tokio::select! {
            event = pods.next() => {
                let Some(event) = event else { return };
                if !session.pod_event(event).await {
                    return;
                }
            }
            Some(item) = session.rx.recv() => {
                if session.batch.is_empty() {
                    flush_at = tokio::time::Instant::now() + BATCH_INTERVAL;
                }
                session.take(item);
                if session.batch.len() >= BATCH_LINES && !session.flush().await {
                    return;
                }
            }
            Some(done) = session.tasks.join_next_with_id() => {
                // Aborted tasks (their pod went away) are done with already; a key may belong
                // to a newer stream by now (a StatefulSet pod recreated under its name).
                if let Ok((id, key)) = done
                    && session.active.get(&key).is_some_and(|h| h.id() == id)
                {
                    session.stream_ended(key);
                    session.reconcile();
                }
            }
            () = tokio::time::sleep_until(flush_at), if pending => {
                if !session.flush().await {
                    return;
                }
            }
        }
        if !session.batch.is_empty() && session.batch.len() >= BATCH_LINES && !session.flush().await
        {
            return;
        }
    }
}

impl Session {
    /// Adds an item from a stream to the batch, tracking which streams are flowing.
    fn take(&mut self, item: LogItem) {
        if let LogItem::Stream {
            source, started, ..
        } = &item
        {
            if *started {
                self.flowing.insert(Arc::clone(source));
            } else {
                self.flowing.remove(source);
            }
        }
        self.batch.push(item);
    }

    async fn flush(&mut self) -> bool {
        send(&self.reporter, std::mem::take(&mut self.batch)).await
    }

    /// Applies a watcher event; `false` when the app has gone away.
    async fn pod_event(&mut self, event: Result<Event<Pod>, watcher::Error>) -> bool {
        match event {
            Ok(Event::Init) => self.relisting = Some(BTreeSet::new()),
            Ok(Event::InitApply(pod)) => {
                if let (Some(seen), Some(name)) = (&mut self.relisting, &pod.metadata.name) {
                    seen.insert(name.clone());
                }
                self.pod_applied(&pod);
            }
            Ok(Event::InitDone) => {
                let seen = self.relisting.take().unwrap_or_default();
                let gone: Vec<String> = self
                    .pods
                    .keys()
                    .filter(|p| !seen.contains(*p))
                    .cloned()
                    .collect();
                for pod in gone {
                    self.pod_gone(&pod);
                }
                self.reconcile();
                if !self
                    .reporter
                    .health(SourceHealth::Ok {
                        at: Timestamp::now(),
                    })
                    .await
                {
                    return false;
                }
            }
            Ok(Event::Apply(pod)) => {
                self.pod_applied(&pod);
                self.reconcile();
            }
            Ok(Event::Delete(pod)) => {
                if let Some(name) = &pod.metadata.name {
                    self.pod_gone(name);
                }
                self.reconcile();
            }
            Err(error) => {
                let message = format!(
                    "pods in {} ({}): {}",
                    self.plan.namespace,
                    self.plan.selector,
                    watcher_message(&error)
                );
                return self.reporter.error(message, None).await;
            }
        }
        if !self.batch.is_empty() && self.batch.len() >= BATCH_LINES {
            return self.flush().await;
        }
        true
    }

    fn pod_applied(&mut self, pod: &Pod) {
        let Some(name) = pod.metadata.name.clone() else {
            return;
        };
        let containers = containers_of(pod, &self.plan);
        self.pods.insert(name, containers);
    }

    /// A pod went away: its streams end (with a marker) and its slots free up.
    fn pod_gone(&mut self, pod: &str) {
        let Some(containers) = self.pods.remove(pod) else {
            return;
        };
        // Lines the streams already sent come before their end marker.
        while let Ok(item) = self.rx.try_recv() {
            self.take(item);
        }
        for container in containers {
            let key = (pod.to_owned(), container.name.clone());
            self.ended.remove(&key);
            if let Some(handle) = self.active.remove(&key) {
                handle.abort();
            }
            if self.flowing.remove(&container.source) {
                self.batch.push(LogItem::Stream {
                    source: container.source,
                    started: false,
                    detail: "pod deleted".into(),
                });
            }
        }
    }

    fn stream_ended(&mut self, key: StreamKey) {
        self.active.remove(&key);
        let instance = self
            .pods
            .get(&key.0)
            .and_then(|cs| cs.iter().find(|c| c.name == key.1))
            .map(|c| c.instance.clone())
            .unwrap_or_default();
        self.ended.insert(key, instance);
    }

    /// Starts the streams that should run, up to the cap, and reports what the cap leaves out.
    fn reconcile(&mut self) {
        let mut wanted: Vec<(StreamKey, Arc<str>)> = Vec::new();
        for (pod, containers) in &self.pods {
            for c in containers {
                let key = (pod.clone(), c.name.clone());
                if self.active.contains_key(&key) || !c.ready {
                    continue;
                }
                if self.ended.get(&key).is_some_and(|run| *run == c.instance) {
                    continue;
                }
                wanted.push((key, Arc::clone(&c.source)));
            }
        }
        let room = MAX_STREAMS.saturating_sub(self.active.len());
        let over = wanted.len().saturating_sub(room);
        for (key, source) in wanted.into_iter().take(room) {
            self.ended.remove(&key);
            let stream = Stream {
                api: self.api.clone(),
                pod: key.0.clone(),
                container: key.1.clone(),
                source,
                since: self.plan.since,
                previous: self.plan.previous,
                idle: self.plan.idle,
                tx: self.tx.clone(),
            };
            let handle = self.tasks.spawn(stream.run());
            self.active.insert(key, handle);
        }
        if over != self.over_cap {
            self.over_cap = over;
            self.batch.push(LogItem::Notice(if over == 0 {
                "every container is followed again".to_owned()
            } else {
                format!(
                    "stream cap reached: {over} container(s) not followed \
                     (at most {MAX_STREAMS} streams; {} pod(s) match)",
                    self.pods.len()
                )
            }));
        }
    }
}

/// The k8s timestamp prefix of a line (`2026-11-22T08:00:00.123456789Z message`).
fn k8s_timestamp(line: &[u8]) -> Option<Timestamp> {
    let end = memchr::memchr(b' ', line).unwrap_or(line.len());
    std::str::from_utf8(&line[..end]).ok()?.parse().ok()
}

/// A line's timestamp in nanoseconds, and its key for [`Seen`].
fn stamp(line: &[u8]) -> Option<(i64, u64)> {
    let ts = k8s_timestamp(line)?;
    Some((i64::try_from(ts.as_nanosecond()).ok()?, line_key(line)))
}

fn now_ns() -> i64 {
    i64::try_from(Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX)
}

/// Most bytes a liveness probe reads: more than that since the resume point means the stream
/// is far behind anyway.
const PROBE_BYTES: usize = 1 << 20;
/// At most one "reconnected after silence" notice per stream this often.
const SILENCE_NOTICES: Duration = Duration::from_mins(5);

struct Stream {
    api: Api<Pod>,
    pod: String,
    container: String,
    source: Arc<str>,
    since: Duration,
    previous: bool,
    /// No byte for this long: probe (see [`super::watchdog`]); also the limit of each request.
    idle: Duration,
    tx: mpsc::Sender<LogItem>,
}

/// How a read ended.
enum ReadEnd {
    /// The stream closed (or failed) after this many new lines.
    Closed { lines: usize, error: Option<String> },
    /// Nothing came for `silent` and the probe says the connection is dead (`why`).
    Silent { silent: Duration, why: String },
    /// The session is gone.
    Stop,
}

impl Stream {
    /// The request: the configured window first, then from `resume_ns` (a whole second).
    fn params(&self, resume_ns: Option<i64>) -> LogParams {
        let mut params = LogParams {
            container: Some(self.container.clone()),
            follow: !self.previous,
            previous: self.previous,
            timestamps: true,
            ..LogParams::default()
        };
        match resume_ns.and_then(|ns| Timestamp::from_nanosecond(i128::from(ns)).ok()) {
            // Whole seconds ([`Seen`] buckets): kube-rs rounds to the second, which must not
            // round up past lines not yet seen.
            Some(from) => params.since_time = Some(from),
            None => {
                params.since_seconds =
                    Some(i64::try_from(self.since.as_secs()).unwrap_or(i64::MAX));
            }
        }
        params
    }

    async fn emit(&self, item: LogItem) -> bool {
        self.tx.send(item).await.is_ok()
    }

    async fn marker(&self, started: bool, detail: String) -> bool {
        self.emit(LogItem::Stream {
            source: Arc::clone(&self.source),
            started,
            detail,
        })
        .await
    }

    /// Follows the container until it stops or its pod goes away, resuming after cuts and
    /// after a connection that went silent.
    async fn run(self) -> StreamKey {
        let key = (self.pod.clone(), self.container.clone());
        let mut seen = Seen::per_second();
        seen.set_floor(
            now_ns().saturating_sub(i64::try_from(self.since.as_nanos()).unwrap_or(i64::MAX)),
        );
        let mut resumed = false;
        let mut flowing = false;
        let mut attempt: u32 = 0;
        // Set when a silent connection was given up: said once the new one is open.
        let mut silence: Option<Duration> = None;
        let mut throttle = NoticeThrottle::new(SILENCE_NOTICES);
        loop {
            let params = self.params(if resumed { seen.resume_from() } else { None });
            if resumed {
                seen.begin_replay();
            }
            resumed = true;
            let opened =
                tokio::time::timeout(self.idle, self.api.log_stream(&self.pod, &params)).await;
            let unanswered = opened.is_err();
            // `refused`: the request failed; `cut`: an open stream ended (cleanly or not).
            let (refused, cut) = match opened {
                Ok(Ok(reader)) => {
                    if !flowing {
                        if !self.marker(true, String::new()).await {
                            return key;
                        }
                        flowing = true;
                    }
                    if let Some(silent) = silence.take()
                        && let Some(held) = throttle.allow(tokio::time::Instant::now())
                    {
                        let notice = reconnect_notice(&self.source, silent, seen.last(), held);
                        if !self.emit(LogItem::Notice(notice)).await {
                            return key;
                        }
                    }
                    match self.read(reader, &mut seen).await {
                        ReadEnd::Stop => return key,
                        ReadEnd::Closed { lines, error } => {
                            if lines > 0 {
                                attempt = 0;
                            }
                            (None, error)
                        }
                        ReadEnd::Silent { silent, why } => {
                            silence = Some(silent);
                            attempt = 0;
                            (None, Some(why))
                        }
                    }
                }
                Ok(Err(error)) => (Some(kube_message(&error)), None),
                Err(_) => (
                    Some(format!(
                        "the API did not answer within {}",
                        spoken(self.idle)
                    )),
                    None,
                ),
            };
            if self.previous {
                let _ = self.marker(false, refused.unwrap_or_default()).await;
                return key;
            }
            if !self.still_runs(flowing).await {
                return key;
            }
            if let Some(detail) = refused {
                // Said once; the `+` comes again when a retry gets through.
                if flowing || attempt == 0 {
                    flowing = false;
                    if !self.marker(false, detail).await {
                        return key;
                    }
                }
            } else if silence.is_none() {
                let from = seen
                    .resume_from()
                    .and_then(|ns| Timestamp::from_nanosecond(i128::from(ns)).ok())
                    .map_or_else(|| "the start".to_owned(), |t| t.to_string());
                let how = cut.map_or_else(|| "ended".to_owned(), |e| format!("broke ({e})"));
                let notice = format!("{}: log stream {how}; resuming from {from}", self.source);
                if !self.emit(LogItem::Notice(notice)).await {
                    return key;
                }
            }
            // A dead connection is replaced at once, and a request that got no answer has
            // waited its `idle` already (the pool may hold more connections of the dead
            // flow, each costing one such try); a refusal or a cut waits its backoff.
            if !unanswered && (silence.is_none() || attempt > 0) {
                tokio::time::sleep(backoff(attempt)).await;
            }
            attempt = attempt.saturating_add(1);
        }
    }

    /// Does the container still run? Then the stream was cut: resume. Else its end is marked
    /// (when it was flowing) and `false` returned. (Bounded: the pooled connection this takes
    /// may be as dead as the stream was; no answer counts as running.)
    async fn still_runs(&self, flowing: bool) -> bool {
        let why = match tokio::time::timeout(self.idle, self.api.get_opt(&self.pod)).await {
            Ok(Ok(None)) => "pod deleted".to_owned(),
            Ok(Ok(Some(pod))) => match stopped(&pod, &self.container) {
                Some(why) => why,
                None => return true,
            },
            Ok(Err(_)) | Err(_) => return true,
        };
        if flowing {
            let _ = self.marker(false, why).await;
        }
        false
    }

    /// Reads lines until the stream ends or goes silent, dropping what `seen` says was
    /// delivered already.
    async fn read(&self, reader: impl futures::AsyncBufRead, seen: &mut Seen) -> ReadEnd {
        let mut reader = pin!(reader);
        let mut buf = Vec::with_capacity(256);
        let mut lines = 0;
        let mut last_byte = tokio::time::Instant::now();
        loop {
            // `read_until` keeps what it read in `buf` when the timeout drops it, so a line
            // in progress is continued, never lost or doubled.
            let read =
                tokio::time::timeout(self.idle, reader.as_mut().read_until(b'\n', &mut buf)).await;
            match read {
                Err(_) => match self.probe(seen).await {
                    Ok(()) => continue,
                    Err(why) => {
                        return ReadEnd::Silent {
                            silent: last_byte.elapsed(),
                            why,
                        };
                    }
                },
                Ok(Ok(0)) => return ReadEnd::Closed { lines, error: None },
                Ok(Ok(_)) => last_byte = tokio::time::Instant::now(),
                Ok(Err(error)) => {
                    return ReadEnd::Closed {
                        lines,
                        error: Some(error.to_string()),
                    };
                }
            }
            let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let fresh = stamp(text).is_none_or(|(ts, key)| seen.accept(ts, key));
            if fresh {
                lines += 1;
                let line = parse_line(text, Arc::clone(&self.source));
                if !self.emit(LogItem::Line(line)).await {
                    return ReadEnd::Stop;
                }
            }
            buf.clear();
        }
    }

    /// After a silence: is the connection dead? `Err(why)` when the API does not answer or
    /// holds lines the stream has not delivered; `Ok` when the container is just quiet.
    async fn probe(&self, seen: &Seen) -> Result<(), String> {
        let mut params = self.params(seen.resume_from());
        params.follow = false;
        params.limit_bytes = i64::try_from(PROBE_BYTES).ok();
        let body = match tokio::time::timeout(self.idle, self.api.logs(&self.pod, &params)).await {
            Err(_) => {
                return Err(format!(
                    "the API did not answer a probe within {}",
                    spoken(self.idle)
                ));
            }
            Ok(Err(e)) => return Err(format!("the API refused a probe: {}", kube_message(&e))),
            Ok(Ok(body)) => body,
        };
        let fresh = seen.fresh_in(body.lines().filter_map(|l| stamp(l.as_bytes())));
        if fresh > 0 || body.len() >= PROBE_BYTES {
            Err(format!(
                "the API holds {fresh} line(s) the stream did not deliver"
            ))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_k8s_prefix_is_the_line_time_and_json_is_still_seen() {
        let raw = br#"2026-11-22T08:00:01.123456789Z {"level":"error","msg":"boom"}"#;
        let line = parse_line(raw, Arc::from("p"));
        assert_eq!(
            line.timestamp().unwrap(),
            "2026-11-22T08:00:01.123456789Z"
                .parse::<Timestamp>()
                .unwrap()
        );
        assert_eq!(line.message(), "boom");
        let plain = parse_line(b"2026-11-22T08:00:02.5Z INFO hello", Arc::from("p"));
        assert_eq!(
            plain.timestamp().unwrap(),
            "2026-11-22T08:00:02.5Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            k8s_timestamp(b"2026-11-22T08:00:02.5Z INFO hello").unwrap(),
            "2026-11-22T08:00:02.5Z".parse::<Timestamp>().unwrap()
        );
        assert!(k8s_timestamp(b"no time here").is_none());
    }

    #[test]
    fn since_time_is_truncated_not_rounded() {
        let stream_params = |second| LogParams {
            since_time: Timestamp::from_second(second).ok(),
            ..LogParams::default()
        };
        // The resume second is whole, so kube-rs's rounding keeps it.
        let p = stream_params(1_790_000_000);
        assert_eq!(p.since_time.unwrap().subsec_nanosecond(), 0);
    }
}
