//! Attention view benchmarks (criterion), with the targets they are held to: 10 contexts of
//! 500 services each (5,000 services), 2,000 firing alerts spread over them, a tenth of the
//! Argo CD apps degraded, some rollouts stuck, databases with blocked sessions and lagging
//! consumer groups.
//!
//! - `attention/refresh_to_frame`: one context's data changes (one alert more or less):
//!   its rows again ([`opsdeck::model::attention::rows`]), the merged view of every
//!   context ([`AttentionPane::set_context`]) and one frame of the attention view at
//!   200×60 on a `TestBackend`; target ≤ 5 ms median.
//! - `attention/frame_200x60`: one frame of the attention view with every row present;
//!   target ≤ 1 ms median.
//! - `attention_parts/*`: the steps of a refresh alone (one context's rows, the merge of
//!   every context's rows into the view).
//!
//! First measured (2 shared cores, 2026-12-06, before 689b764; 4,159 rows on fire, 416 in
//! the changing context): `refresh_to_frame` 7.7 ms and `frame_200x60` 1.2 ms median, both
//! over target; the parts: one context's rows 1.4 ms, the merge 4.2 ms (every context's
//! rows cloned, sorted, lowercased and keyed again for one context's change), and 0.5 ms of
//! each frame a `BTreeSet` of every row for the title's count.
//! After 689b764: `refresh_to_frame` 4.5 ms, `frame_200x60` 0.66 ms (both within target);
//! one context's rows 1.0 ms, the merge 1.6 ms.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a bench that cannot build its data has nothing to measure: a panic says why"
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group};
use jiff::{SignedDuration, Timestamp};
use opsdeck::app::attention_feed::{mapped_workloads, oncall_of};
use opsdeck::app::panes::attention::{AttentionPane, ContextRows, Freshness};
use opsdeck::app::{PaneId, State, View};
use opsdeck::model::alerts::{Alert, AlertState, AlertsSnapshot};
use opsdeck::model::attention::{Inputs, Level, rows};
use opsdeck::model::k8s::app_row::{AppRow, HealthState, SyncState};
use opsdeck::model::k8s::{StatusIcon, WorkloadRow};
use opsdeck::model::kafka::{GroupInfo, KafkaSnapshot};
use opsdeck::model::pg::PgSnapshot;
use opsdeck::model::service::{Workload, WorkloadKind};
use opsdeck::model::{Catalog, CatalogEntry, Service, ServiceMapping, Tier};
use opsdeck::screenshot::demo_state;
use opsdeck::theme::ColorDepth;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SEED: u64 = 7;
const CONTEXTS: usize = 10;
const SERVICES_PER_CONTEXT: usize = 500;
const ALERTS: usize = 2_000;
const DATABASES_PER_CONTEXT: usize = 10;
const ALERT_NAMES: [&str; 8] = [
    "HighErrorRate",
    "HighLatencyP99",
    "PodCrashLooping",
    "KafkaConsumerLagGrowing",
    "DiskWillFillIn4h",
    "CertificateExpiresSoon",
    "TooManyRestarts",
    "SLOBudgetBurn",
];
const OWNERS: [&str; 6] = [
    "payments", "checkout", "platform", "data", "identity", "search",
];

fn context_name(c: usize) -> String {
    if c.is_multiple_of(2) {
        format!("eu-prod-{c}")
    } else {
        format!("us-staging-{c}")
    }
}

fn service_name(g: usize) -> String {
    format!("{}-svc-{g:04}", OWNERS[g % OWNERS.len()])
}

/// One catalog service with every mapping the attention rows read.
fn service(g: usize, c: usize) -> CatalogEntry {
    let name = service_name(g);
    CatalogEntry::Service(Box::new(Service {
        name: name.clone(),
        title: None,
        description: String::new(),
        owner: OWNERS[g % OWNERS.len()].into(),
        system: None,
        kind: "service".into(),
        tier: [Tier::Tier1, Tier::Tier2, Tier::Tier3, Tier::Unknown][g % 4],
        lifecycle: "production".into(),
        oncall: Some(format!("oncall-{}", g % 40)),
        slo: None,
        runbook: None,
        links: Vec::new(),
        repos: Vec::new(),
        depends_on: Vec::new(),
        dependency_of: Vec::new(),
        tags: Vec::new(),
        mapping: ServiceMapping {
            argocd_app: Some(format!("{name}-app")),
            workload: Some(Workload {
                kind: if g.is_multiple_of(2) {
                    WorkloadKind::Rollout
                } else {
                    WorkloadKind::Deployment
                },
                namespace: Some(format!("ns-{}", g % 20)),
                name: name.clone(),
            }),
            kube_namespace: Some(format!("ns-{}", g % 20)),
            consumer_groups: vec![format!("{name}-consumer")],
            databases: vec![format!("db-{c}-{}", g % DATABASES_PER_CONTEXT)],
            ..ServiceMapping::default()
        },
        annotations: BTreeMap::new(),
        origin: "bench".into(),
    }))
}

fn alert(n: usize, service: &str, now: Timestamp) -> Alert {
    let name = ALERT_NAMES[n % ALERT_NAMES.len()];
    let severity = ["critical", "warning", "warning", "error"][n % 4];
    let labels: BTreeMap<String, String> = [
        ("alertname", name),
        ("service", service),
        ("severity", severity),
        ("namespace", "shop"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let started = now - SignedDuration::from_secs(i64::try_from(60 + n * 37 % 7200).unwrap());
    Alert {
        fingerprint: format!("{n:016x}"),
        labels,
        annotations: [("summary".to_owned(), format!("{name} on {service}"))].into(),
        starts_at: started.to_string(),
        ends_at: (now + SignedDuration::from_hours(1)).to_string(),
        generator_url: None,
        receivers: vec!["pager".into()],
        state: AlertState::Active,
        silenced_by: Vec::new(),
        inhibited_by: Vec::new(),
    }
}

/// What one context's sources hold.
struct ContextData {
    name: String,
    production: bool,
    catalog: Catalog,
    /// Its firing alerts, and the same with one more (the change a refresh brings).
    alerts: [AlertsSnapshot; 2],
    apps: Vec<AppRow>,
    workloads: Vec<WorkloadRow>,
    databases: Vec<(String, Arc<PgSnapshot>)>,
    kafka: KafkaSnapshot,
}

/// The sandbox's rows and snapshots the synthetic ones are cloned from.
struct Templates {
    app: AppRow,
    workload: WorkloadRow,
    blocked: Arc<PgSnapshot>,
    calm: Arc<PgSnapshot>,
}

fn templates(state: &State) -> Templates {
    let app = state
        .panes
        .apps
        .rows
        .first()
        .expect("a sandbox app")
        .clone();
    let kube = state.panes.rollouts.latest_snapshot().expect("kube");
    let workload = mapped_workloads(kube, &state.panes.catalog.catalog)
        .into_iter()
        .next()
        .expect("a sandbox workload");
    let blocked = state
        .panes
        .postgres
        .snapshots
        .values()
        .find(|s| s.sessions.iter().any(|s| !s.blocked_by.is_empty()))
        .expect("a sandbox database with waiters")
        .clone();
    let mut calm = (*blocked).clone();
    for s in &mut calm.sessions {
        s.blocked_by.clear();
    }
    Templates {
        app,
        workload,
        blocked,
        calm: Arc::new(calm),
    }
}

fn context_data(c: usize, now: Timestamp, t: &Templates) -> ContextData {
    let first = c * SERVICES_PER_CONTEXT;
    let services: Vec<usize> = (first..first + SERVICES_PER_CONTEXT).collect();
    let catalog = Catalog::new(services.iter().map(|&g| service(g, c)).collect());
    let per_context = ALERTS / CONTEXTS;
    // Spread over the context's services, several on some, none on others.
    let alerts: Vec<Alert> = (0..per_context)
        .map(|k| {
            let n = c * per_context + k;
            let g = first + (k * 7 + k / 3) % SERVICES_PER_CONTEXT;
            alert(n, &service_name(g), now)
        })
        .collect();
    let snapshot = |alerts: Vec<Alert>| AlertsSnapshot {
        taken_at: Some(now),
        alerts,
        silences: Vec::new(),
        notes: Vec::new(),
    };
    let mut more = alerts.clone();
    more.push(alert(
        ALERTS + c,
        &service_name(first + SERVICES_PER_CONTEXT - 1),
        now,
    ));
    let apps = services
        .iter()
        .map(|&g| {
            let mut app = t.app.clone();
            app.name = format!("{}-app", service_name(g));
            app.health = if g.is_multiple_of(10) {
                HealthState::Degraded
            } else {
                HealthState::Healthy
            };
            app.sync = if g.is_multiple_of(15) {
                SyncState::OutOfSync
            } else {
                SyncState::Synced
            };
            app.last_sync = Some(now - SignedDuration::from_mins(i64::try_from(g % 90).unwrap()));
            app
        })
        .collect();
    let workloads = services
        .iter()
        .map(|&g| {
            let mut w = t.workload.clone();
            w.name = service_name(g);
            w.namespace = format!("ns-{}", g % 20);
            w.status.icon = if g.is_multiple_of(25) {
                StatusIcon::Bad
            } else {
                StatusIcon::Ok
            };
            w.status.word = if g.is_multiple_of(25) {
                "Degraded"
            } else {
                "Healthy"
            }
            .into();
            w
        })
        .collect();
    let databases = (0..DATABASES_PER_CONTEXT)
        .map(|d| {
            let snapshot = if d.is_multiple_of(3) {
                &t.blocked
            } else {
                &t.calm
            };
            (format!("db-{c}-{d}"), Arc::clone(snapshot))
        })
        .collect();
    let kafka = KafkaSnapshot {
        taken_at: now,
        brokers: Vec::new(),
        topics: Vec::new(),
        groups: services
            .iter()
            .map(|&g| GroupInfo {
                name: format!("{}-consumer", service_name(g)),
                state: "Stable".into(),
                total_lag: if g.is_multiple_of(8) {
                    25_000
                } else {
                    i64::from(g.is_multiple_of(3))
                },
                ..GroupInfo::default()
            })
            .collect(),
    };
    ContextData {
        name: context_name(c),
        production: c.is_multiple_of(2),
        catalog,
        alerts: [snapshot(alerts), snapshot(more)],
        apps,
        workloads,
        databases,
        kafka,
    }
}

/// One context's rows, as its summary (or the active context's panes) computes them.
fn context_rows(data: &ContextData, which: usize, now: Timestamp) -> ContextRows {
    let service_labels: Vec<String> = ["service", "app", "job"].map(String::from).to_vec();
    let lag_rising = |group: &str| group.len().is_multiple_of(2);
    let burn = |service: &str| {
        service
            .ends_with('5')
            .then(|| (Level::Warning, "SLO burning slow".to_owned()))
    };
    let error_logs = |_: &str| None;
    let oncall = |s: &Service| oncall_of(s);
    // As a background context's summary looks its apps up.
    let apps = opsdeck::model::attention::apps_by_name(&data.apps);
    let app_named = |name: &str| apps.get(name).copied();
    let inputs = Inputs {
        context: &data.name,
        production: data.production,
        now,
        catalog: &data.catalog,
        alerts: Some(&data.alerts[which]),
        service_labels: &service_labels,
        apps: &app_named,
        workloads: &data.workloads,
        databases: &data.databases,
        kafka: Some(&data.kafka),
        lag_rising: &lag_rising,
        burn: &burn,
        error_logs: &error_logs,
        oncall: &oncall,
    };
    ContextRows {
        production: data.production,
        rows: rows(&inputs),
        freshness: Freshness::Fresh(now),
        active: false,
    }
}

/// The sandbox demo state showing the attention view of the 10 synthetic contexts.
fn attention_state(data: &[ContextData]) -> State {
    let mut state = demo_state(SEED, 200, 60, ColorDepth::TrueColor).expect("demo state");
    let now = state.now;
    let mut pane = AttentionPane::default();
    for d in data {
        pane.set_context(&d.name, context_rows(d, 0, now));
    }
    state.panes.attention = pane;
    state.history.push(View::Pane(PaneId::Attention));
    state
}

fn attention(c: &mut Criterion) {
    let probe = demo_state(SEED, 200, 60, ColorDepth::TrueColor).expect("demo state");
    let now = probe.now;
    let t = templates(&probe);
    let data: Vec<ContextData> = (0..CONTEXTS).map(|c| context_data(c, now, &t)).collect();
    let mut state = attention_state(&data);

    let services: usize = data.iter().map(|d| d.catalog.services().count()).sum();
    let alerts: usize = data.iter().map(|d| d.alerts[0].alerts.len()).sum();
    let shown = state.panes.attention.rows.len();
    let first = state
        .panes
        .attention
        .contexts()
        .find(|(name, _)| **name == data[0].name)
        .map_or(0, |(_, part)| part.rows.len());
    println!(
        "attention: {CONTEXTS} contexts, {services} services, {alerts} firing alerts, \
         {shown} rows on fire ({first} in the changing context)"
    );
    assert_eq!((services, alerts), (5_000, 2_000));

    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    terminal
        .draw(|f| opsdeck::ui::render(f, &state))
        .expect("draw");
    let screen = format!("{:?}", terminal.backend().buffer());
    assert!(
        screen.contains("On fire:"),
        "the attention view is shown:\n{screen}"
    );

    let mut group = c.benchmark_group("attention");
    let mut which = 0;
    group.bench_function("refresh_to_frame", |b| {
        b.iter(|| {
            which = 1 - which;
            let part = context_rows(&data[0], which, now);
            state.panes.attention.set_context(&data[0].name, part);
            terminal
                .draw(|f| opsdeck::ui::render(f, black_box(&state)))
                .expect("draw");
        });
    });
    group.bench_function("frame_200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|f| opsdeck::ui::render(f, black_box(&state)))
                .expect("draw");
        });
    });
    group.finish();

    // Where the time goes: each step of `refresh_to_frame` alone.
    let mut group = c.benchmark_group("attention_parts");
    group.bench_function("rows_one_context", |b| {
        b.iter(|| black_box(context_rows(&data[0], 1, now)));
    });
    let parts = [
        context_rows(&data[0], 0, now),
        context_rows(&data[0], 1, now),
    ];
    let mut pane = state.panes.attention.clone();
    let mut which = 0;
    group.bench_function("set_context_merge_all", |b| {
        b.iter(|| {
            which = 1 - which;
            pane.set_context(&data[0].name, parts[which].clone());
        });
    });
    group.finish();
}

criterion_group!(benches, attention);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
