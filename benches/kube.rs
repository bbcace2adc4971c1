//! Kubernetes benchmarks (criterion plus a printed summary): 30,000 Argo CD Applications and
//! 100,000 Pods served by the in-process Kubernetes API peer (`tests/support/kube/`) and read
//! through the real kube-rs client and [`KubeWatch`], at 120×40. Run with
//! `cargo bench --bench kube` (about 15 minutes at the default size); set the size with
//! `KUBE_BENCH_APPS` and `KUBE_BENCH_PODS` (e.g. `KUBE_BENCH_APPS=10000 KUBE_BENCH_PODS=20000`
//! for the smaller cluster, about 3 minutes) to see how each number grows.
//!
//! The cluster: the Applications in `argocd` (the five fixture apps, cloned and renamed), and
//! in four workload namespaces `shop-0`…`shop-3` Deployments (pods / 20 of them), each with two
//! ReplicaSets (the current one owning 20 Running Pods, an old one scaled to zero). At the
//! default size: 30,000 Applications, 5,000 Deployments, 10,000 ReplicaSets, 100,000 Pods.
//! Building it and loading the server is outside every timing.
//!
//! What is measured (the issue sets one target: keypress→frame p99 ≤ 16 ms):
//!
//! - `first_view/<apps>_apps_<pods>_pods`: from building the client (kubeconfig + context) and
//!   spawning the `KubeWatch` to the first snapshot that is `synced()` and holds every object,
//!   turned into the `:apps` rows (`update` with `SourceBody::Kube`, which also builds the
//!   `:rollouts` pane) and one frame drawn on a `TestBackend`. Includes the 100 ms snapshot
//!   coalescing. Median of 11 runs (criterion's 10 plus its warm-up run) in the summary.
//! - Memory per cached object (summary): a counting global allocator; live heap bytes once the
//!   complete snapshot arrived minus before the client was built (the heap settled both
//!   times), divided by the object count. One run with Applications only (argocd scope), one
//!   with Pods only (a server holding only the Pods), one with everything. The `:apps` rows
//!   built from the snapshot are counted separately. Process RSS (`/proc/self/statm`) is
//!   printed for information; it includes the in-process API server, which holds two JSON
//!   copies of every object.
//! - `apps_pane/*`: where the time goes when a snapshot reaches the app: the `:apps`
//!   pane's `set_snapshot` (unchanged, one app changed, all apps changed), its parts, the whole
//!   `update` with a snapshot plus a frame, a `j` plus a frame, the `:rollouts` pane's
//!   `set_snapshot`, every pod's `PodSummary` (the tree builds them for one workload; the
//!   diagnosis no longer does for every pod), and the per-publish sort the watch layer did
//!   before its stores kept name order (the "before" figure: a publish now only concatenates).
//! - Keypress→frame latency while 100 watch events per second arrive (summary:
//!   p50/p90/p99/max): with everything listed, a task on the server's runtime changes objects
//!   at 100 events/s (half Applications: health flips Healthy/Progressing, half Pods: restart
//!   count), so real MODIFIED events flow through kube-rs → `KubeWatch` → snapshots → the app.
//!   Up to 500 keys (`j`×20, `k`×20, then `/` `1` `2` `3` `esc`, repeated; each driver stops
//!   after 40 s) are sent with random 5–65 ms gaps, each after the previous one showed;
//!   latency is from handing the key to the app's input stream to the flush of the first
//!   frame showing its effect (read from the screen text: the selected app's name in the
//!   detail title, the filter text). Two drivers:
//!   - `real loop`: `opsdeck::runtime::run::run` with `Headless`, sources started from a config
//!     context pointing at the peer (through `KUBECONFIG`, with `kube_namespaces` set to the
//!     workload namespaces), so input handling, draining and the 33 ms draw cap are real.
//!   - `direct`: a loop doing the run loop's work minus its draw cap: each snapshot is applied
//!     (`update`) and drawn as it arrives; each key first applies any pending snapshot, then
//!     the key, then draws.
//!
//! `KUBE_BENCH_LATENCY_ONLY=1 cargo bench --bench kube` runs only the two latency drivers.
//! `KUBE_BENCH_PROFILE=1 cargo bench --bench kube` only applies snapshots and draws for 10 s
//! (for `perf record`).
//!
//! Caveats: the API server, the watch layer and the app share the machine (2 cores on CI,
//! shared with other builds), so the server's JSON work competes with the app; latencies are
//! upper bounds of what a real cluster would give, and vary with the machine's load.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// The counting allocator implements `GlobalAlloc`, and `KUBECONFIG` is set before any thread.
#![allow(unsafe_code)]

#[allow(
    clippy::missing_panics_doc,
    reason = "test support: a panic is how its helpers report a failure"
)]
#[path = "../tests/support/kube/mod.rs"]
pub mod kube_support;

#[path = "../tests/headless/render/probe.rs"]
pub mod probe;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, mpsc as std_mpsc};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt;
use opsdeck::app::panes::apps::AppsPane;
use opsdeck::app::state::{ContextInfo, State};
use opsdeck::app::update::resize;
use opsdeck::app::{Msg, update};
use opsdeck::config::{ArgoConfig, Config, Context};
use opsdeck::model::k8s::AppRow;
use opsdeck::runtime::run::{Environment, load_ui, run};
use opsdeck::runtime::terminal::Headless;
use opsdeck::screenshot::epoch;
use opsdeck::sources::kube::{KubeSnapshot, KubeWatch, WatchScope, client_for_context};
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};
use opsdeck::theme::ColorDepth;
use ratatui::Terminal;
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tokio::sync::watch;

use kube_support::{CONTEXT, KubeServer, fixture, flatten};
use probe::Probe;

// ---------------------------------------------------------------------------------------------
// Counting allocator

/// Live heap bytes, as seen by the allocator.
static LIVE: AtomicIsize = AtomicIsize::new(0);

struct Counting;

#[allow(clippy::cast_possible_wrap)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Resident set size of the process, in bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

// ---------------------------------------------------------------------------------------------
// The cluster

const NAMESPACES: usize = 4;
const PODS_PER_DEPLOYMENT: usize = 20;

/// The cluster's size: `KUBE_BENCH_APPS` Applications (default 30,000) and about
/// `KUBE_BENCH_PODS` Pods (default 100,000; rounded down to whole Deployments of 20 Pods in
/// each of the 4 namespaces). Run once at 20,000 Pods and once at 100,000 to see how each
/// number grows.
struct Sizes {
    apps: usize,
    deployments_per_ns: usize,
}

fn sizes() -> &'static Sizes {
    static SIZES: std::sync::OnceLock<Sizes> = std::sync::OnceLock::new();
    SIZES.get_or_init(|| {
        let read = |key: &str, default: usize| {
            std::env::var(key).ok().map_or(default, |v| {
                v.replace('_', "")
                    .parse()
                    .unwrap_or_else(|e| panic!("{key}={v}: not a count ({e})"))
            })
        };
        let pods = read("KUBE_BENCH_PODS", 100_000);
        Sizes {
            apps: read("KUBE_BENCH_APPS", 30_000).max(5),
            deployments_per_ns: (pods / (NAMESPACES * PODS_PER_DEPLOYMENT)).max(1),
        }
    })
}

fn apps_count() -> usize {
    sizes().apps
}
fn deployments_per_ns() -> usize {
    sizes().deployments_per_ns
}
fn deployments_count() -> usize {
    NAMESPACES * deployments_per_ns()
}
fn pods_count() -> usize {
    deployments_count() * PODS_PER_DEPLOYMENT
}
fn replica_sets_count() -> usize {
    2 * deployments_count()
}
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
/// Watch events per second during the latency runs.
const EVENT_RATE: u64 = 100;
/// How long each latency driver may send keys (fewer than planned are sent if keys are slow).
const KEY_BUDGET: Duration = Duration::from_secs(40);

fn workload_namespaces() -> Vec<String> {
    (0..NAMESPACES).map(|n| format!("shop-{n}")).collect()
}

fn uid(kind: &str, namespace: &str, name: &str) -> String {
    format!("bench-{kind}-{namespace}-{name}")
}

fn rename(object: &mut Value, kind: &str, namespace: &str, name: &str) {
    let meta = &mut object["metadata"];
    meta["name"] = json!(name);
    meta["namespace"] = json!(namespace);
    meta["uid"] = json!(uid(kind, namespace, name));
    if let Some(m) = meta.as_object_mut() {
        m.remove("resourceVersion");
    }
}

/// The Applications in `argocd`: the fixture apps cloned as `checkout-api-00042`.
fn applications() -> Vec<Value> {
    let templates: Vec<Value> = std::fs::read_dir(kube_support::fixtures_dir())
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("application-"))
        })
        .map(|p| fixture(p.file_stem().and_then(|s| s.to_str()).expect("stem")))
        .collect();
    assert_eq!(templates.len(), 5);
    (0..apps_count())
        .map(|i| {
            let mut app = templates[i % templates.len()].clone();
            let base = app["metadata"]["name"].as_str().expect("name").to_owned();
            rename(&mut app, "app", "argocd", &format!("{base}-{i:05}"));
            app
        })
        .collect()
}

/// Deployments, their ReplicaSets and Pods in the workload namespaces.
fn workloads() -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let deployment = fixture("deployment-checkout-api-complete");
    let replica_set = flatten(fixture("replicasets-deployments"))
        .into_iter()
        .find(|r| r["metadata"]["name"] == "checkout-api-7f9c6d5b8")
        .expect("replicaset fixture");
    let pod = flatten(fixture("pods-stuck"))
        .into_iter()
        .find(|p| p["metadata"]["name"] == "checkout-api-7f9c6d5b8-2xkqp")
        .expect("pod fixture");
    let (mut deployments, mut replica_sets, mut pods) = (Vec::new(), Vec::new(), Vec::new());
    for ns in workload_namespaces() {
        for d in 0..deployments_per_ns() {
            let name = format!("svc-{d:04}");
            let mut dep = deployment.clone();
            rename(&mut dep, "deploy", &ns, &name);
            dep["metadata"]["labels"] = json!({"app.kubernetes.io/name": name});
            dep["spec"]["replicas"] = json!(PODS_PER_DEPLOYMENT);
            deployments.push(dep);
            for (hash, replicas) in [("7f9c6d5b8", PODS_PER_DEPLOYMENT), ("5d4c3b2a1", 0)] {
                let rs_name = format!("{name}-{hash}");
                let mut rs = replica_set.clone();
                rename(&mut rs, "rs", &ns, &rs_name);
                rs["metadata"]["labels"] =
                    json!({"app.kubernetes.io/name": name, "pod-template-hash": hash});
                rs["metadata"]["ownerReferences"][0]["name"] = json!(name);
                rs["metadata"]["ownerReferences"][0]["uid"] = json!(uid("deploy", &ns, &name));
                rs["spec"]["replicas"] = json!(replicas);
                rs["status"]["replicas"] = json!(replicas);
                rs["status"]["readyReplicas"] = json!(replicas);
                rs["status"]["availableReplicas"] = json!(replicas);
                replica_sets.push(rs);
                for p in 0..replicas {
                    let pod_name = format!("{rs_name}-{p:05}");
                    let mut po = pod.clone();
                    rename(&mut po, "pod", &ns, &pod_name);
                    po["metadata"]["labels"] =
                        json!({"app.kubernetes.io/name": name, "pod-template-hash": hash});
                    po["metadata"]["ownerReferences"][0]["name"] = json!(rs_name);
                    po["metadata"]["ownerReferences"][0]["uid"] = json!(uid("rs", &ns, &rs_name));
                    po["spec"]["nodeName"] = json!(format!("node-{}", p % 7));
                    pods.push(po);
                }
            }
        }
    }
    assert_eq!(
        (deployments.len(), replica_sets.len(), pods.len()),
        (deployments_count(), replica_sets_count(), pods_count())
    );
    (deployments, replica_sets, pods)
}

/// The API server peer, running on its own runtime (it is "the cluster").
struct Cluster {
    server: Arc<KubeServer>,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

fn start_cluster(rt: &Runtime, objects: Vec<Value>) -> Cluster {
    let server = rt.block_on(KubeServer::start(objects));
    server.clear_records();
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = server.write_kubeconfig(dir.path());
    Cluster {
        server: Arc::new(server),
        kubeconfig,
        _dir: dir,
    }
}

fn full_scope() -> WatchScope {
    WatchScope {
        argo_namespaces: vec!["argocd".into()],
        workload_namespaces: workload_namespaces(),
    }
}

fn complete(s: &KubeSnapshot, apps: usize, pods: usize) -> bool {
    s.synced() && s.applications.len() == apps && s.pods.len() == pods
}

/// Spawns the watch through a client built from the kubeconfig, and waits for the first
/// snapshot that is synced and holds `apps` Applications and `pods` Pods.
async fn watch_until_complete(
    kubeconfig: &Path,
    scope: WatchScope,
    apps: usize,
    pods: usize,
) -> (KubeWatch, Arc<KubeSnapshot>) {
    let client = client_for_context(CONTEXT, Some(kubeconfig))
        .await
        .expect("client");
    let watch = KubeWatch::spawn(&client, &scope);
    let mut rx = watch.subscribe();
    let snapshot = tokio::time::timeout(Duration::from_mins(1), async {
        loop {
            let s = Arc::clone(&rx.borrow_and_update());
            if complete(&s, apps, pods) {
                return s;
            }
            rx.changed().await.expect("watch running");
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no complete snapshot: {:?}", rx.borrow().health));
    (watch, snapshot)
}

// ---------------------------------------------------------------------------------------------
// The app

fn bench_context() -> Context {
    Context {
        name: "bench".into(),
        kube_context: Some(CONTEXT.into()),
        kube_namespaces: workload_namespaces(),
        argocd: Some(ArgoConfig {
            namespaces: vec!["argocd".into()],
            ..ArgoConfig::default()
        }),
        ..Context::default()
    }
}

fn new_state() -> State {
    let ui = load_ui("default", "default", None, ColorDepth::TrueColor).expect("ui");
    let context = ContextInfo {
        name: "bench".into(),
        available: vec!["bench".into()],
        ..ContextInfo::default()
    };
    State::new(context, "dev".into(), ui, epoch())
}

fn key_event(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A state at 120×40 showing the `:apps` pane (empty until a snapshot arrives).
fn apps_state() -> State {
    let mut state = new_state();
    resize(&mut state, WIDTH, HEIGHT);
    update(&mut state, Msg::Input(key_event(KeyCode::Char('2'))));
    state
}

fn kube_msg(state: &State, snapshot: Arc<KubeSnapshot>) -> Msg {
    Msg::Source(SourceEvent {
        source: SourceId::Kube,
        generation: state.generation,
        body: SourceBody::Kube(snapshot),
    })
}

/// A probe terminal whose every flushed frame is sent, with its instant, to the returned
/// receiver.
fn frame_terminal() -> (Terminal<Probe>, std_mpsc::Receiver<(Instant, String)>) {
    let (tx, rx) = std_mpsc::channel();
    let (probe, _, _) = Probe::new(WIDTH, HEIGHT, move |screen: &str| {
        let _ = tx.send((Instant::now(), screen.to_owned()));
        false
    });
    (Terminal::new(probe).expect("terminal"), rx)
}

// ---------------------------------------------------------------------------------------------
// 1. Time to the first complete view

async fn first_view(kubeconfig: &Path) -> Duration {
    let mut state = apps_state();
    let mut terminal =
        Terminal::new(ratatui::backend::TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    let start = Instant::now();
    let (watch, snapshot) =
        watch_until_complete(kubeconfig, full_scope(), apps_count(), pods_count()).await;
    let msg = kube_msg(&state, snapshot);
    update(&mut state, msg);
    terminal
        .draw(|f| opsdeck::ui::render(f, &state))
        .expect("draw");
    let elapsed = start.elapsed();
    let screen = probe::buffer_text(terminal.backend().buffer());
    assert!(
        screen.contains(&format!("{} apps", apps_count())),
        "{screen}"
    );
    drop(watch);
    elapsed
}

// ---------------------------------------------------------------------------------------------
// 2. Memory per object

struct Memory {
    per_app: f64,
    per_pod: f64,
    per_object_full: f64,
    per_row: f64,
    rss_before: u64,
    rss_full: u64,
}

/// Waits until the live heap stops moving (aborted tasks free their memory a little later):
/// less than 64 KiB of change over 100 ms, or 3 s at most.
async fn settle() -> isize {
    let mut last = live();
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = live();
        if (now - last).abs() < 64 * 1024 {
            return now;
        }
        last = now;
    }
    last
}

/// Live bytes the watch retains once complete (measured with the watch and its latest
/// snapshot alive, after the heap settled).
fn retained(rt: &Runtime, kubeconfig: &Path, scope: WatchScope, apps: usize, pods: usize) -> isize {
    rt.block_on(async {
        let before = settle().await;
        let (watch, snapshot) = watch_until_complete(kubeconfig, scope, apps, pods).await;
        drop(snapshot);
        let after = settle().await;
        drop(watch);
        settle().await;
        after - before
    })
}

#[allow(clippy::cast_precision_loss)]
fn memory(app_rt: &Runtime, server_rt: &Runtime, full: &Cluster, pods: &[Value]) -> Memory {
    let rss_before = rss();
    // Everything, and the `:apps` rows built from it.
    let (full_bytes, row_bytes, rss_full) = app_rt.block_on(async {
        let before = settle().await;
        let (watch, snapshot) =
            watch_until_complete(&full.kubeconfig, full_scope(), apps_count(), pods_count()).await;
        let after = settle().await;
        let mut pane = AppsPane::default();
        let rows_before = live();
        pane.set_snapshot(&snapshot);
        let rows = live() - rows_before;
        let rss_full = rss();
        drop((pane, snapshot, watch));
        settle().await;
        (after - before, rows, rss_full)
    });

    let apps_only = WatchScope {
        argo_namespaces: vec!["argocd".into()],
        workload_namespaces: Vec::new(),
    };
    let app_bytes = retained(app_rt, &full.kubeconfig, apps_only, apps_count(), 0);

    // Pods alone need a server holding only Pods (the workload scope also lists the
    // Deployments and ReplicaSets).
    let pods_cluster = start_cluster(server_rt, pods.to_vec());
    let pods_only = WatchScope {
        argo_namespaces: Vec::new(),
        workload_namespaces: workload_namespaces(),
    };
    let pod_bytes = retained(app_rt, &pods_cluster.kubeconfig, pods_only, 0, pods_count());
    drop(pods_cluster);
    app_rt.block_on(settle());

    let objects = apps_count() + pods_count() + deployments_count() + replica_sets_count();
    Memory {
        per_app: app_bytes as f64 / apps_count() as f64,
        per_pod: pod_bytes as f64 / pods_count() as f64,
        per_object_full: full_bytes as f64 / objects as f64,
        per_row: row_bytes as f64 / apps_count() as f64,
        rss_before,
        rss_full,
    }
}

/// Where the `:apps` pane's time goes when a snapshot of every app arrives, and the sort the
/// watch layer does per kind on every publish (`collect` in `sources/kube/watch.rs`).
#[expect(
    clippy::too_many_lines,
    reason = "one benchmark group; each measurement's setup sits next to it"
)]
fn breakdown(c: &mut Criterion, rt: &Runtime, cluster: &Cluster) {
    let snapshot = rt.block_on(async {
        let (watch, s) = watch_until_complete(
            &cluster.kubeconfig,
            full_scope(),
            apps_count(),
            pods_count(),
        )
        .await;
        drop(watch);
        s
    });
    let mut group = c.benchmark_group("apps_pane");
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(2));
    // Snapshots as the watch publishes them: the same `Arc`s for objects it did not replace.
    let one_changed = {
        let mut s = (*snapshot).clone();
        s.applications[0] = Arc::new((*s.applications[0]).clone());
        Arc::new(s)
    };
    let all_changed = {
        let mut s = (*snapshot).clone();
        s.applications = s
            .applications
            .iter()
            .map(|a| Arc::new((**a).clone()))
            .collect();
        Arc::new(s)
    };
    for (name, other) in [
        ("set_snapshot/unchanged", &snapshot),
        ("set_snapshot/one_app_changed", &one_changed),
        ("set_snapshot/all_apps_changed", &all_changed),
    ] {
        let mut pane = AppsPane::default();
        pane.set_snapshot(&snapshot);
        let mut flip = false;
        group.bench_function(name, |b| {
            b.iter(|| {
                flip = !flip;
                pane.set_snapshot(if flip { other } else { &snapshot });
            });
        });
    }
    group.bench_function("rows_from_apps", |b| {
        b.iter(|| {
            snapshot
                .applications
                .iter()
                .map(|a| AppRow::from_app(a))
                .collect::<Vec<_>>()
        });
    });
    let rows: Vec<AppRow> = snapshot
        .applications
        .iter()
        .map(|a| AppRow::from_app(a))
        .collect();
    group.bench_function("haystacks", |b| {
        b.iter(|| {
            rows.iter()
                .map(|r| {
                    format!(
                        "{} {} {} {}",
                        r.name,
                        r.project,
                        r.sync.label(),
                        r.health.label()
                    )
                    .to_lowercase()
                })
                .collect::<Vec<_>>()
        });
    });
    group.bench_function("sort_by_attention", |b| {
        b.iter(|| {
            let mut visible: Vec<usize> = (0..rows.len()).collect();
            visible.sort_by(|&a, &b| rows[a].sort_key().cmp(&rows[b].sort_key()));
            visible
        });
    });
    let mut state = apps_state();
    let mut terminal =
        Terminal::new(ratatui::backend::TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    let mut flip = false;
    group.bench_function("snapshot_one_app_changed+draw", |b| {
        b.iter(|| {
            flip = !flip;
            let next = if flip { &one_changed } else { &snapshot };
            let msg = kube_msg(&state, Arc::clone(next));
            update(&mut state, msg);
            terminal
                .draw(|f| opsdeck::ui::render(f, &state))
                .expect("draw");
        });
    });
    group.bench_function("key_j_and_draw", |b| {
        b.iter(|| {
            update(&mut state, Msg::Input(key_event(KeyCode::Char('j'))));
            terminal
                .draw(|f| opsdeck::ui::render(f, &state))
                .expect("draw");
        });
    });
    // The `:rollouts` pane takes the same snapshot (every Deployment, ReplicaSet and Pod):
    // where its time goes.
    let mut rollouts = opsdeck::app::panes::rollouts::RolloutsPane::default();
    group.bench_function("rollouts_pane_set_snapshot", |b| {
        b.iter(|| rollouts.set_snapshot(&snapshot));
    });
    group.bench_function("pod_summaries", |b| {
        b.iter(|| {
            snapshot
                .pods
                .iter()
                .map(|p| opsdeck::model::k8s::pod::PodSummary::of(p))
                .collect::<Vec<_>>()
        });
    });
    // What a publish cost while the watch layer sorted kube's unordered reflector stores;
    // its sorted stores now only concatenate. Kept as the figure the change is measured by.
    group.bench_function("watch_collect_sort_30k", |b| {
        b.iter(|| {
            fn sorted<K: kube::Resource>(v: &[Arc<K>]) -> Vec<Arc<K>> {
                let mut all = v.to_vec();
                all.sort_by(|a, b| {
                    (a.meta().namespace.as_deref(), a.meta().name.as_deref())
                        .cmp(&(b.meta().namespace.as_deref(), b.meta().name.as_deref()))
                });
                all
            }
            let mut pods = snapshot.pods.clone();
            pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            (
                sorted(&snapshot.applications),
                pods,
                sorted(&snapshot.replica_sets),
                sorted(&snapshot.deployments),
            )
        });
    });
    group.finish();
}

fn profile_snapshots(rt: &Runtime, cluster: &Cluster) {
    let snapshot = rt.block_on(async {
        let (watch, s) = watch_until_complete(
            &cluster.kubeconfig,
            full_scope(),
            apps_count(),
            pods_count(),
        )
        .await;
        drop(watch);
        s
    });
    let one_changed = {
        let mut s = (*snapshot).clone();
        s.applications[0] = Arc::new((*s.applications[0]).clone());
        Arc::new(s)
    };
    let mut state = apps_state();
    let mut terminal =
        Terminal::new(ratatui::backend::TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(10) {
        let next = if n.is_multiple_of(2) {
            &one_changed
        } else {
            &snapshot
        };
        let msg = kube_msg(&state, Arc::clone(next));
        update(&mut state, msg);
        terminal
            .draw(|f| opsdeck::ui::render(f, &state))
            .expect("draw");
        n += 1;
    }
    println!(
        "{n} snapshots applied and drawn in 10 s: {:.1} ms each",
        10_000.0 / f64::from(n)
    );
}

/// Inline sizes of the cached types (their heap parts come on top).
fn type_sizes() -> String {
    use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodSpec, PodStatus};
    use std::mem::size_of;
    format!(
        "inline sizes: Application {} B, Pod {} B (PodSpec {}, PodStatus {}, Container {}, \
         ContainerStatus {}), AppRow {} B",
        size_of::<opsdeck::model::k8s::Application>(),
        size_of::<Pod>(),
        size_of::<PodSpec>(),
        size_of::<PodStatus>(),
        size_of::<Container>(),
        size_of::<ContainerStatus>(),
        size_of::<AppRow>(),
    )
}

// ---------------------------------------------------------------------------------------------
// 3. Keypress → frame latency under watch events

/// Changes objects on the server at [`EVENT_RATE`] per second until stopped: an
/// Application's health flips between Healthy and Progressing (its attention rank, so its
/// place in the list, changes), or a Pod's container restart count goes up. Returns the number
/// of events sent.
fn spawn_churn(
    server_rt: &Runtime,
    server: &Arc<KubeServer>,
    pod_share: u64,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<u64>) {
    let (stop_tx, mut stop) = watch::channel(false);
    let server = Arc::clone(server);
    let task = server_rt.spawn(async move {
        let mut apps = server.objects("Application");
        let mut pods = if pod_share > 0 {
            server.objects("Pod")
        } else {
            Vec::new()
        };
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / EVENT_RATE));
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut sent = 0u64;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return sent,
            }
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let r = (seed >> 33) as usize;
            if (sent % 100) < pod_share {
                let i = r % pods.len();
                let pod = &mut pods[i];
                let restarts = pod["status"]["containerStatuses"][0]["restartCount"]
                    .as_u64()
                    .unwrap_or(0);
                pod["status"]["containerStatuses"][0]["restartCount"] = json!(restarts + 1);
                pods[i] = server.update(pods[i].clone());
            } else {
                let i = r % apps.len();
                let app = &mut apps[i];
                let health = if app["status"]["health"]["status"] == "Progressing" {
                    "Healthy"
                } else {
                    "Progressing"
                };
                app["status"]["health"]["status"] = json!(health);
                app["status"]["reconciledAt"] =
                    json!(format!("2026-08-22T09:{:02}:00Z", sent % 60));
                apps[i] = server.update(apps[i].clone());
            }
            sent += 1;
        }
    });
    (stop_tx, task)
}

/// What the screen says, as far as the keys are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// The selected app, from the detail box title ` name · enter opens `.
    selected: Option<String>,
    /// The filter being edited (the bottom border shows `text█` then the hints).
    editing: Option<String>,
    apps: bool,
}

fn read_screen(screen: &str) -> Seen {
    let selected = screen.lines().find_map(|l| {
        let end = l.find(" · enter opens")?;
        let start = l[..end].rfind("─ ").map_or(0, |i| i + "─ ".len());
        Some(l[start..end].trim().to_owned())
    });
    let editing = screen.lines().find_map(|l| {
        if !l.contains("esc clear") {
            return None;
        }
        let end = l.find('█')?;
        let start = l[..end].rfind(' ').map_or(0, |i| i + 1);
        Some(l[start..end].to_owned())
    });
    Seen {
        selected,
        editing,
        apps: screen.contains(&format!("{} apps", apps_count())),
    }
}

/// The keys: runs of 20 `j` and 20 `k`, then a filter cycle `/` `1` `2` `3` `esc`.
fn key_plan(n: usize) -> Vec<KeyCode> {
    let mut keys = Vec::new();
    while keys.len() < n {
        keys.extend(std::iter::repeat_n(KeyCode::Char('j'), 20));
        keys.extend(std::iter::repeat_n(KeyCode::Char('k'), 20));
        keys.extend([
            KeyCode::Char('/'),
            KeyCode::Char('1'),
            KeyCode::Char('2'),
            KeyCode::Char('3'),
            KeyCode::Esc,
        ]);
    }
    keys.truncate(n);
    keys
}

/// Whether the screen shows the effect of `key`, pressed when the screen was `before`.
fn shows(key: KeyCode, before: &Seen, now: &Seen) -> bool {
    match key {
        KeyCode::Char('/') => now.editing.as_deref() == Some(""),
        KeyCode::Esc => now.editing.is_none(),
        KeyCode::Char(c @ '1'..='3') => {
            let typed: String = ('1'..=c).collect();
            now.editing.as_deref() == Some(typed.as_str())
        }
        _ => now.selected.is_some() && now.selected != before.selected,
    }
}

struct Latencies {
    ms: Vec<f64>,
    timeouts: usize,
    events: u64,
    seconds: f64,
}

/// Sends `keys` one at a time with random gaps, each once the previous one showed; returns
/// the latency of each. Runs on its own thread; the app is on the caller's.
fn drive(
    keys: Vec<KeyCode>,
    input: futures::channel::mpsc::UnboundedSender<std::io::Result<Event>>,
    frames: &std_mpsc::Receiver<(Instant, String)>,
) -> (Vec<f64>, usize) {
    let mut last = Seen {
        selected: None,
        editing: None,
        apps: false,
    };
    // The apps pane with every app.
    while !last.apps {
        let (_, screen) = frames
            .recv_timeout(Duration::from_mins(1))
            .expect("the loaded apps pane");
        last = read_screen(&screen);
    }
    let mut seed: u64 = 42;
    let mut out = Vec::with_capacity(keys.len());
    let mut timeouts = 0;
    // Keeps the whole bench within a few minutes when keys are slow.
    let budget = Instant::now() + KEY_BUDGET;
    for key in keys {
        if Instant::now() > budget {
            break;
        }
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        std::thread::sleep(Duration::from_millis(5 + (seed >> 33) % 60));
        while let Ok((_, screen)) = frames.try_recv() {
            last = read_screen(&screen);
        }
        let before = last.clone();
        let sent = Instant::now();
        input
            .unbounded_send(Ok(key_event(key)))
            .expect("app running");
        let deadline = sent + Duration::from_secs(2);
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let Ok((at, screen)) = frames.recv_timeout(wait) else {
                timeouts += 1;
                break;
            };
            last = read_screen(&screen);
            if shows(key, &before, &last) {
                out.push((at - sent).as_secs_f64() * 1e3);
                break;
            }
        }
    }
    drop(input);
    (out, timeouts)
}

/// The real run loop, its kube source pointed at the peer through `KUBECONFIG`.
fn latency_real_loop(
    app_rt: &Runtime,
    server_rt: &Runtime,
    cluster: &Cluster,
    kubeconfig_env: &Path,
    n: usize,
) -> Latencies {
    std::fs::copy(&cluster.kubeconfig, kubeconfig_env).expect("kubeconfig");
    let config = Config {
        default_context: Some("bench".into()),
        contexts: vec![bench_context()],
        ..Config::default()
    };
    let mut env = Environment::new(config, None, ColorDepth::TrueColor);
    let mut state = new_state();
    let (mut terminal, frames) = frame_terminal();
    let (keys, input) = futures::channel::mpsc::unbounded::<std::io::Result<Event>>();
    keys.unbounded_send(Ok(key_event(KeyCode::Char('2'))))
        .expect("open");
    let (stop, churn) = spawn_churn(server_rt, &cluster.server, 50);
    let start = Instant::now();
    let driver = std::thread::spawn(move || drive(key_plan(n), keys, &frames));
    let mut host = Headless;
    app_rt
        .block_on(run(&mut terminal, &mut state, input, &mut env, &mut host))
        .expect("run");
    let (ms, timeouts) = driver.join().expect("driver");
    let seconds = start.elapsed().as_secs_f64();
    stop.send_replace(true);
    let events = server_rt.block_on(churn).expect("churn");
    Latencies {
        ms,
        timeouts,
        events,
        seconds,
    }
}

/// The run loop's work minus its draw cap, with the full watch scope.
fn latency_direct(app_rt: &Runtime, server_rt: &Runtime, cluster: &Cluster, n: usize) -> Latencies {
    let mut state = apps_state();
    let (mut terminal, frames) = frame_terminal();
    let (keys, mut input) = futures::channel::mpsc::unbounded::<std::io::Result<Event>>();
    let (stop, churn) = spawn_churn(server_rt, &cluster.server, 50);
    let start = Instant::now();
    let driver = std::thread::spawn(move || drive(key_plan(n), keys, &frames));
    app_rt.block_on(async {
        let (kube_watch, snapshot) = watch_until_complete(
            &cluster.kubeconfig,
            full_scope(),
            apps_count(),
            pods_count(),
        )
        .await;
        let mut snapshots = kube_watch.subscribe();
        snapshots.borrow_and_update();
        let msg = kube_msg(&state, snapshot);
        update(&mut state, msg);
        let draw = |terminal: &mut Terminal<Probe>, state: &mut State| {
            terminal
                .draw(|f| opsdeck::ui::render(f, state))
                .expect("draw");
            state.dirty = false;
        };
        draw(&mut terminal, &mut state);
        loop {
            tokio::select! {
                event = input.next() => match event {
                    Some(Ok(event)) => {
                        if snapshots.has_changed().unwrap_or(false) {
                            let s = Arc::clone(&snapshots.borrow_and_update());
                            let msg = kube_msg(&state, s);
                            update(&mut state, msg);
                        }
                        update(&mut state, Msg::Input(event));
                    }
                    _ => break,
                },
                changed = snapshots.changed() => {
                    changed.expect("watch running");
                    let s = Arc::clone(&snapshots.borrow_and_update());
                    let msg = kube_msg(&state, s);
                    update(&mut state, msg);
                }
            }
            if state.dirty {
                draw(&mut terminal, &mut state);
            }
        }
    });
    let (ms, timeouts) = driver.join().expect("driver");
    let seconds = start.elapsed().as_secs_f64();
    stop.send_replace(true);
    let events = server_rt.block_on(churn).expect("churn");
    Latencies {
        ms,
        timeouts,
        events,
        seconds,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[allow(clippy::cast_precision_loss)]
fn summary(name: &str, l: &Latencies) -> String {
    let mut v = l.ms.clone();
    v.sort_by(f64::total_cmp);
    format!(
        "{name:<11} n={} p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  \
         (no visible change within 2 s: {}; watch events {:.0}/s)",
        v.len(),
        percentile(&v, 50.0),
        percentile(&v, 90.0),
        percentile(&v, 99.0),
        v.last().copied().unwrap_or(f64::NAN),
        l.timeouts,
        l.events as f64 / l.seconds
    )
}

// ---------------------------------------------------------------------------------------------

/// Builds the cluster's objects and loads them into a peer on `server_rt`; the Pods are kept
/// for the memory run.
fn build_cluster(server_rt: &Runtime) -> (Cluster, Vec<Value>) {
    let built = Instant::now();
    let apps = applications();
    let (deployments, replica_sets, pods) = workloads();
    let mut objects = apps;
    objects.extend(deployments);
    objects.extend(replica_sets);
    objects.extend(pods.iter().cloned());
    let cluster = start_cluster(server_rt, objects);
    println!(
        "cluster: {} Applications, {} Deployments, {} ReplicaSets, {} Pods in {NAMESPACES} \
         namespaces (built and loaded in {:.1} s)",
        apps_count(),
        deployments_count(),
        replica_sets_count(),
        pods_count(),
        built.elapsed().as_secs_f64()
    );
    (cluster, pods)
}

fn main() {
    // Read by the real run loop's kube source (kubectl's resolution); set before any thread.
    let env_dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig_env = env_dir.path().join("kubeconfig");
    unsafe { std::env::set_var("KUBECONFIG", &kubeconfig_env) };

    let mut criterion = Criterion::default().configure_from_args();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("kube-peer")
        .enable_all()
        .build()
        .expect("server runtime");
    let app_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("app runtime");

    let (cluster, pods) = build_cluster(&server_rt);

    // `KUBE_BENCH_PROFILE=1`: only apply snapshots (one app changed each) and draw for 10 s,
    // for `perf record`.
    if std::env::var_os("KUBE_BENCH_PROFILE").is_some() {
        profile_snapshots(&app_rt, &cluster);
        return;
    }

    // `KUBE_BENCH_LATENCY_ONLY=1`: only the keypress→frame runs (a quick check of a change).
    if std::env::var_os("KUBE_BENCH_LATENCY_ONLY").is_some() {
        drop(pods);
        let real = latency_real_loop(&app_rt, &server_rt, &cluster, &kubeconfig_env, 500);
        println!("{}", summary("real loop", &real));
        let direct = latency_direct(&app_rt, &server_rt, &cluster, 500);
        println!("{}", summary("direct", &direct));
        return;
    }

    let mem = memory(&app_rt, &server_rt, &cluster, &pods);
    drop(pods);
    #[expect(
        clippy::cast_precision_loss,
        reason = "sizes printed as f64; a lossy cast is fine for a report"
    )]
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let mem_lines = format!(
        "memory retained per cached object: Application {:.0} B, Pod {:.0} B, all kinds \
         together {:.0} B/object; :apps row (row + filter haystack) {:.0} B/app\n\
         process RSS: {:.0} MiB before watching, {:.0} MiB with the full cache (includes the \
         in-process API server and its two JSON copies of every object)\n{}",
        mem.per_app,
        mem.per_pod,
        mem.per_object_full,
        mem.per_row,
        mib(mem.rss_before),
        mib(mem.rss_full),
        type_sizes()
    );
    println!("{mem_lines}");

    let mut views = Vec::new();
    {
        let mut group = criterion.benchmark_group("first_view");
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.warm_up_time(Duration::from_millis(1));
        group.measurement_time(Duration::from_secs(1));
        group.bench_function(
            format!("{}_apps_{}_pods", apps_count(), pods_count()),
            |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            let d = app_rt.block_on(first_view(&cluster.kubeconfig));
                            views.push(d.as_secs_f64() * 1e3);
                            d
                        })
                        .sum()
                });
            },
        );
        group.finish();
    }

    views.sort_by(f64::total_cmp);
    let view_line = format!(
        "time to first complete view (client → synced snapshot → :apps rows → frame): \
         median {:.0} ms, min {:.0} ms, max {:.0} ms over {} runs",
        percentile(&views, 50.0),
        views.first().copied().unwrap_or(f64::NAN),
        views.last().copied().unwrap_or(f64::NAN),
        views.len()
    );
    println!("{view_line}");

    breakdown(&mut criterion, &app_rt, &cluster);

    let real = latency_real_loop(&app_rt, &server_rt, &cluster, &kubeconfig_env, 500);
    println!("{}", summary("real loop", &real));
    let direct = latency_direct(&app_rt, &server_rt, &cluster, 500);
    println!("{}", summary("direct", &direct));

    println!();
    println!("== kube bench summary (120×40; 2 shared cores: the API server runs in-process) ==");
    println!("{view_line}");
    println!("{mem_lines}");
    println!("keypress → frame under {EVENT_RATE} watch events/s (target p99 ≤ 16 ms):");
    println!("  {}", summary("real loop", &real));
    println!("  {}", summary("direct", &direct));
    criterion.final_summary();
}
