//! Reflector caches of the Kubernetes kinds the Argo CD and rollout panes show, published as
//! coalesced snapshots.
//!
//! Why it is built this way (k9s's caches stall on big clusters, e.g.
//! <https://github.com/derailed/k9s/issues/1462>,
//! <https://github.com/derailed/k9s/issues/3245>):
//! - **Only what is in scope.** One kube-rs `watcher` and one store per kind *and
//!   namespace* in [`WatchScope`]: Applications in the Argo CD namespaces; Deployments,
//!   Rollouts, `StatefulSets`, `DaemonSets`, Jobs, `AnalysisRuns`, ReplicaSets, Pods and
//!   Warning Events in the workload namespaces.
//!   Nothing is watched cluster-wide, so a cluster with 13k pods elsewhere costs nothing.
//! - **Bounded memory.** Objects are pruned before they reach the store: every
//!   kind loses `managedFields` and the `last-applied-configuration` annotation (often larger
//!   than the object), and ReplicaSets keep only the pod-template fields the models read
//!   (container names and images). Pods are not kept as `Pod` at all: each watch event is
//!   turned into a compact [`PodFacts`] (well under 1.5 KB, against ~7.5 KB for the typed
//!   object) and the `Pod` is dropped, so the pod store is a map of those. Events are
//!   filtered server-side with `fieldSelector=type=Warning`.
//! - **No sort per publish.** Each store is one namespace's objects in a `BTreeMap` by name
//!   (not kube's reflector, whose map has no order), so a snapshot is the stores
//!   concatenated in namespace order: with 30,000 apps and 100,000 pods a publish copies
//!   pointers and sorts nothing.
//! - **No redraw per event.** Each watch task only updates its store and pokes a `Notify`;
//!   one publisher task waits [`COALESCE`] after the first poke and then publishes one
//!   [`KubeSnapshot`], so a burst of any size gives one snapshot per ~100 ms. Snapshots hold
//!   `Arc`s from the stores, so publishing copies pointers, not objects.
//! - **Errors per kind.** A failing list/watch (a 403 RBAC denial, a missing CRD's 404) marks
//!   only that kind [`KindHealth::Error`] with the API message; the others keep working. The
//!   watcher retries with kube's default backoff and the kind turns Ok when a list succeeds.
//!   A `410 Gone` (expired resourceVersion) is routine: the watcher re-lists by itself and the
//!   store keeps the old objects until the new list is complete, so it is not shown as an error.
//! - Dropping [`KubeWatch`] aborts every task (they live in a `JoinSet`).

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::model::k8s::PodFacts;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Container, Event as KubeEvent, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::Api;
use kube::core::NamespaceResourceScope;
use kube::runtime::watcher::{self, watcher};
use kube::runtime::{WatchStreamExt, watcher::Event};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

pub use crate::model::k8s::snapshot::{KindHealth, KubeKind, KubeSnapshot};
use crate::model::k8s::{AnalysisRun, Application, Rollout};

/// How long the publisher gathers events before publishing: the UI sees at most one snapshot
/// per this interval however many events arrive.
pub const COALESCE: Duration = Duration::from_millis(100);

/// How many replaced snapshots the publisher keeps. The last release of a snapshot lets go
/// of every object's `Arc` (130,000 of them at 100,000 pods, a cache miss each: milliseconds);
/// kept here, that release happens on the publisher's task when the snapshot is this many
/// publishes old, not on the UI thread the moment a newer one replaces it. The cost is the
/// objects replaced in between living this many publishes (~300 ms) longer.
const RETIRED: usize = 3;

/// The annotation `kubectl apply` leaves: a full copy of the object, never shown.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What to watch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchScope {
    /// Namespaces whose Argo CD `Application`s are watched (usually `argocd`).
    pub argo_namespaces: Vec<String>,
    /// Namespaces whose Deployments, Rollouts, `AnalysisRuns`, ReplicaSets, Pods and Warning
    /// Events are watched.
    pub workload_namespaces: Vec<String>,
}

/// One watch's state, written by its task.
#[derive(Debug)]
struct Slot {
    kind: KubeKind,
    namespace: String,
    health: KindHealth,
}

/// State shared between the watch tasks and the publisher.
#[derive(Debug, Default)]
struct Shared {
    slots: Mutex<Vec<Slot>>,
    dirty: Notify,
}

impl Shared {
    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, kind: KubeKind, namespace: &str) -> usize {
        let mut slots = self.slots();
        slots.push(Slot {
            kind,
            namespace: namespace.to_owned(),
            health: KindHealth::Syncing,
        });
        slots.len() - 1
    }

    fn set(&self, slot: usize, health: KindHealth) {
        if let Some(s) = self.slots().get_mut(slot) {
            s.health = health;
        }
    }

    /// Per kind: Error if any namespace fails, else Syncing if any is still listing, else Ok.
    fn health(&self) -> BTreeMap<KubeKind, KindHealth> {
        let slots = self.slots();
        KubeKind::ALL
            .iter()
            .map(|&kind| {
                let mine: Vec<&Slot> = slots.iter().filter(|s| s.kind == kind).collect();
                let errors: Vec<String> = mine
                    .iter()
                    .filter_map(|s| match &s.health {
                        KindHealth::Error(m) if mine.len() > 1 => {
                            Some(format!("{}: {m}", s.namespace))
                        }
                        KindHealth::Error(m) => Some(m.clone()),
                        _ => None,
                    })
                    .collect();
                let health = if mine.is_empty() {
                    KindHealth::Off
                } else if !errors.is_empty() {
                    KindHealth::Error(errors.join("; "))
                } else if mine.iter().any(|s| s.health == KindHealth::Syncing) {
                    KindHealth::Syncing
                } else {
                    KindHealth::Ok
                };
                (kind, health)
            })
            .collect()
    }
}

/// The stores, one per kind and namespace.
#[derive(Default)]
struct Stores {
    applications: Vec<Arc<SortedStore<Application>>>,
    deployments: Vec<Arc<SortedStore<Deployment>>>,
    rollouts: Vec<Arc<SortedStore<Rollout>>>,
    stateful_sets: Vec<Arc<SortedStore<StatefulSet>>>,
    daemon_sets: Vec<Arc<SortedStore<DaemonSet>>>,
    jobs: Vec<Arc<SortedStore<Job>>>,
    analysis_runs: Vec<Arc<SortedStore<AnalysisRun>>>,
    replica_sets: Vec<Arc<SortedStore<ReplicaSet>>>,
    pods: Vec<Arc<SortedStore<PodFacts>>>,
    events: Vec<Arc<SortedStore<KubeEvent>>>,
}

/// The objects of every store of one kind, sorted by namespace and name: each store is one
/// namespace's, already in name order, so this is a concatenation, not a sort.
fn collect<T>(stores: &[Arc<SortedStore<T>>]) -> Vec<Arc<T>> {
    let mut by_namespace: Vec<&Arc<SortedStore<T>>> = stores.iter().collect();
    by_namespace.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    let mut all = Vec::with_capacity(by_namespace.iter().map(|s| s.len()).sum());
    for store in by_namespace {
        all.extend(locked(&store.objects).values().cloned());
    }
    all
}

impl Stores {
    /// Starts the watches of one workload namespace: every kind but Applications.
    fn watch_workloads(
        &mut self,
        tasks: &mut JoinSet<()>,
        shared: &Arc<Shared>,
        client: &Client,
        ns: &str,
    ) {
        let default = watcher::Config::default;
        let (t, s, at) = (tasks, shared, (client, ns));
        self.deployments.push(spawn_watch(
            t,
            s,
            at,
            KubeKind::Deployments,
            default(),
            pruned(prune_deployment),
        ));
        self.rollouts.push(spawn_watch(
            t,
            s,
            at,
            KubeKind::Rollouts,
            default(),
            pruned(prune_rollout),
        ));
        self.stateful_sets.push(spawn_watch(
            t,
            s,
            at,
            KubeKind::StatefulSets,
            default(),
            pruned(prune_stateful_set),
        ));
        self.daemon_sets.push(spawn_watch(
            t,
            s,
            at,
            KubeKind::DaemonSets,
            default(),
            pruned(prune_daemon_set),
        ));
        self.jobs.push(spawn_watch(
            t,
            s,
            at,
            KubeKind::Jobs,
            default(),
            pruned(prune_job),
        ));
        self.analysis_runs.push(spawn_watch(
            t,
            s,
            at,
            KubeKind::AnalysisRuns,
            default(),
            pruned(prune_analysis_run),
        ));
        self.replica_sets.push(spawn_watch(
            t,
            s,
            at,
            KubeKind::ReplicaSets,
            default(),
            pruned(prune_replica_set),
        ));
        // Each pod becomes its compact facts at once; the `Pod` is dropped.
        self.pods.push(spawn_watch(
            t,
            s,
            at,
            KubeKind::Pods,
            default(),
            |pod: Pod| PodFacts::of(&pod),
        ));
        // Normal events are most of the volume and no pane shows them.
        let warnings = default().fields("type=Warning");
        self.events.push(spawn_watch(
            t,
            s,
            at,
            KubeKind::Events,
            warnings,
            pruned(prune_event),
        ));
    }

    fn snapshot(&self, generation: u64, shared: &Shared) -> KubeSnapshot {
        KubeSnapshot {
            generation,
            applications: collect(&self.applications),
            deployments: collect(&self.deployments),
            rollouts: collect(&self.rollouts),
            stateful_sets: collect(&self.stateful_sets),
            daemon_sets: collect(&self.daemon_sets),
            jobs: collect(&self.jobs),
            analysis_runs: collect(&self.analysis_runs),
            replica_sets: collect(&self.replica_sets),
            pods: collect(&self.pods),
            events: collect(&self.events),
            health: shared.health(),
        }
    }
}

/// A readable message for a watcher error: the API's own words for API errors.
fn error_message(error: &watcher::Error) -> String {
    let api = match error {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => match e {
            kube::Error::Api(status) => Some(status.as_ref()),
            _ => None,
        },
        watcher::Error::WatchError(status) => Some(status.as_ref()),
        watcher::Error::NoResourceVersion => None,
    };
    match api {
        Some(status) if !status.message.is_empty() => {
            format!("{} {}: {}", status.code, status.reason, status.message)
        }
        _ => super::super::error_chain(error),
    }
}

/// A 410 Gone: the resourceVersion expired and the watcher is already re-listing.
fn is_expired(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::WatchError(status)
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => status.code == 410,
        _ => false,
    }
}

/// Drops what no pane shows and what can be bigger than the rest of the object.
fn prune_meta(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
    }
}

/// Containers reduced to name, image and restart policy (env, args, probes, mounts,
/// resources dropped).
fn slim_containers(containers: &[Container]) -> Vec<Container> {
    containers
        .iter()
        .map(|c| Container {
            name: c.name.clone(),
            image: c.image.clone(),
            // A sidecar (an init container that keeps running) reads differently in the
            // rollout tree's pod status (argo-rollouts info/pod_info.go).
            restart_policy: c.restart_policy.clone(),
            ..Container::default()
        })
        .collect()
}

fn slim_pod_spec(spec: &PodSpec) -> PodSpec {
    PodSpec {
        containers: slim_containers(&spec.containers),
        init_containers: spec.init_containers.as_deref().map(slim_containers),
        node_name: spec.node_name.clone(),
        // Argo CD's pod health reads it: Never/OnFailure pods are job-like.
        restart_policy: spec.restart_policy.clone(),
        ..PodSpec::default()
    }
}

/// One namespace's objects of one kind, keyed by name, as the panes read them: a `Pod` is
/// turned into [`PodFacts`] at once, other kinds are kept as pruned. Kept in name order so a
/// snapshot lists them sorted without sorting 100,000 objects per publish. A re-list fills
/// `listing` and swaps it in at `InitDone`, so until then the previous list stays visible,
/// as kube's reflector store does.
struct SortedStore<T> {
    namespace: String,
    objects: Mutex<BTreeMap<String, Arc<T>>>,
    listing: Mutex<Option<BTreeMap<String, Arc<T>>>>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> SortedStore<T> {
    fn new(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            objects: Mutex::new(BTreeMap::new()),
            listing: Mutex::new(None),
        }
    }

    fn len(&self) -> usize {
        locked(&self.objects).len()
    }

    /// Applies one watcher event, turning each object into what is kept with `keep`.
    fn apply<K: Resource>(&self, event: Event<K>, keep: impl Fn(K) -> T) {
        let named = |object: K| {
            let name = object.meta().name.clone().unwrap_or_default();
            (name, Arc::new(keep(object)))
        };
        match event {
            Event::Init => *locked(&self.listing) = Some(BTreeMap::new()),
            Event::InitApply(object) => {
                let (name, kept) = named(object);
                locked(&self.listing)
                    .get_or_insert_with(BTreeMap::new)
                    .insert(name, kept);
            }
            Event::InitDone => {
                if let Some(listed) = locked(&self.listing).take() {
                    *locked(&self.objects) = listed;
                }
            }
            Event::Apply(object) => {
                let (name, kept) = named(object);
                locked(&self.objects).insert(name, kept);
            }
            Event::Delete(object) => {
                if let Some(name) = object.meta().name.as_deref() {
                    locked(&self.objects).remove(name);
                }
            }
        }
    }
}

/// A pod template reduced like a pod spec, without annotations.
fn slim_template(template: &mut PodTemplateSpec) {
    if let Some(meta) = template.metadata.as_mut() {
        prune_meta(meta);
        meta.annotations = None;
    }
    if let Some(spec) = template.spec.as_mut() {
        *spec = slim_pod_spec(spec);
    }
}

fn prune_replica_set(rs: &mut ReplicaSet) {
    prune_meta(&mut rs.metadata);
    if let Some(template) = rs.spec.as_mut().and_then(|s| s.template.as_mut()) {
        slim_template(template);
    }
}

fn prune_stateful_set(sts: &mut StatefulSet) {
    prune_meta(&mut sts.metadata);
    if let Some(spec) = sts.spec.as_mut() {
        slim_template(&mut spec.template);
        // Claim templates are specs of their own; no pane shows them.
        spec.volume_claim_templates = None;
    }
}

fn prune_daemon_set(ds: &mut DaemonSet) {
    prune_meta(&mut ds.metadata);
    if let Some(spec) = ds.spec.as_mut() {
        slim_template(&mut spec.template);
    }
}

fn prune_job(job: &mut Job) {
    prune_meta(&mut job.metadata);
    if let Some(spec) = job.spec.as_mut() {
        slim_template(&mut spec.template);
    }
}

fn prune_deployment(d: &mut Deployment) {
    prune_meta(&mut d.metadata);
}

fn prune_event(e: &mut KubeEvent) {
    prune_meta(&mut e.metadata);
}

fn prune_application(a: &mut Application) {
    prune_meta(&mut a.metadata);
}

fn prune_rollout(r: &mut Rollout) {
    prune_meta(&mut r.metadata);
    r.slim_raw();
}

fn prune_analysis_run(r: &mut AnalysisRun) {
    prune_meta(&mut r.metadata);
}

/// Starts the watch of one kind in one namespace; returns its store, which keeps each
/// object as `keep` turns it (pruned, or a pod's [`PodFacts`]).
fn spawn_watch<K, T>(
    tasks: &mut JoinSet<()>,
    shared: &Arc<Shared>,
    (client, namespace): (&Client, &str),
    kind: KubeKind,
    config: watcher::Config,
    keep: impl Fn(K) -> T + Send + Sync + 'static,
) -> Arc<SortedStore<T>>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static,
    T: Send + Sync + 'static,
{
    let store = Arc::new(SortedStore::new(namespace));
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let stream = watcher(api, config).default_backoff();
    let slot = shared.add(kind, namespace);
    let shared = Arc::clone(shared);
    let namespace = namespace.to_owned();
    let mine = Arc::clone(&store);
    tasks.spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    // The store changes only at InitDone: until then it keeps the previous
                    // list, and nothing is published.
                    let visible =
                        matches!(event, Event::InitDone | Event::Apply(_) | Event::Delete(_));
                    mine.apply(event, &keep);
                    if !visible {
                        continue;
                    }
                    shared.set(slot, KindHealth::Ok);
                }
                Err(e) if is_expired(&e) => {
                    tracing::debug!(?kind, %namespace, "watch expired, re-listing");
                    continue;
                }
                Err(e) => {
                    let message = error_message(&e);
                    tracing::warn!(?kind, %namespace, %message, "kube watch failed");
                    shared.set(slot, KindHealth::Error(message));
                }
            }
            shared.dirty.notify_one();
        }
    });
    store
}

/// Keeps an object after `prune` dropped what no pane reads.
fn pruned<K>(prune: fn(&mut K)) -> impl Fn(K) -> K + Send + Sync + 'static
where
    K: 'static,
{
    move |mut object| {
        prune(&mut object);
        object
    }
}

/// The running watches and their publisher. Dropping it stops them all.
#[derive(Debug)]
pub struct KubeWatch {
    rx: watch::Receiver<Arc<KubeSnapshot>>,
    _tasks: JoinSet<()>,
}

impl KubeWatch {
    /// Starts watching `scope` through `client`. Must be called inside a tokio runtime.
    #[must_use]
    pub fn spawn(client: &Client, scope: &WatchScope) -> Self {
        let shared = Arc::new(Shared::default());
        let mut tasks = JoinSet::new();
        let mut stores = Stores::default();
        let default = watcher::Config::default;
        for ns in &scope.argo_namespaces {
            stores.applications.push(spawn_watch(
                &mut tasks,
                &shared,
                (client, ns),
                KubeKind::Applications,
                default(),
                pruned(prune_application),
            ));
        }
        for ns in &scope.workload_namespaces {
            stores.watch_workloads(&mut tasks, &shared, client, ns);
        }

        let (tx, rx) = watch::channel(Arc::new(stores.snapshot(0, &shared)));
        tasks.spawn(async move {
            let mut generation = 0;
            let mut retired = VecDeque::with_capacity(RETIRED + 1);
            loop {
                shared.dirty.notified().await;
                // Wait after the first event so the rest of its burst lands in the same
                // snapshot; pokes during the wait leave one permit, i.e. one more snapshot.
                tokio::time::sleep(COALESCE).await;
                generation += 1;
                let replaced = tx.send_replace(Arc::new(stores.snapshot(generation, &shared)));
                retired.push_back(replaced);
                if retired.len() > RETIRED {
                    drop(retired.pop_front());
                }
            }
        });
        Self { rx, _tasks: tasks }
    }

    /// The latest snapshot and every later one. The first value may be the empty generation 0.
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<Arc<KubeSnapshot>> {
        self.rx.clone()
    }
}
