//! Deterministic sandbox frames: the source of `screenshots/*.svg` and of render tests.
//!
//! The state is built from the sandbox world at a fixed seed and instant, without tasks or
//! clocks, so the same call always draws the same frame.

use std::sync::Arc;

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::app::modal::palette::PaletteState;
use crate::app::panes::catalog::card::CardState;
use crate::app::state::{ContextInfo, Modal, PaneId, State, View};
use crate::app::update::resize;
use crate::config::Config;
use crate::model::SourceHealth;
use crate::runtime::run::{apply_context, load_ui};
use crate::sources::SourceId;
use crate::sources::sandbox::World;
use crate::theme::ColorDepth;

/// A view of the sandbox that `opsdeck screenshot`, the gallery and the render tests show:
/// a pane as it opens, or a view reached by keys (a detail, a dialog, a form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoView {
    Pane(PaneId),
    KafkaGroups,
    Card,
    Help,
    Palette,
    PgTree,
    PgKill,
    /// The plan of a bulk terminate of the sessions waiting on orders-db.
    PgBulk,
    /// The prepared transactions of logistics-db, opened by `x` on the tree's pid-0 line.
    PgPrepared,
    PgReplication,
    PgStatements,
    PgDatabases,
    RequestForm,
    KafkaTopic,
    KafkaConfigs,
    KafkaGroup,
    KafkaCreate,
    KafkaDiff,
    KafkaPeek,
    AppsDetail,
    RolloutsDetail,
    Trace,
    LogsSearch,
    /// Logs filtered by a field predicate, with field columns.
    LogsFields,
    /// A JSON log line's detail, pretty-printed.
    LogsJson,
    /// The traces pane's service map (`M`).
    TracesMap,
    /// The logs pane's histogram strip, focused on a bucket (`H`).
    LogsHistogram,
    Tour,
    Tours,
    WorkloadPods,
    DescribeYaml,
    AppsDiff,
}

impl DemoView {
    /// The views reached by keys rather than by a pane's command, in gallery order.
    pub const EXTRA: &'static [Self] = &[
        Self::KafkaGroups,
        Self::Card,
        Self::Help,
        Self::Palette,
        Self::PgTree,
        Self::PgKill,
        Self::PgBulk,
        Self::PgPrepared,
        Self::PgReplication,
        Self::PgStatements,
        Self::PgDatabases,
        Self::RequestForm,
        Self::KafkaTopic,
        Self::KafkaConfigs,
        Self::KafkaGroup,
        Self::KafkaCreate,
        Self::KafkaDiff,
        Self::KafkaPeek,
        Self::AppsDetail,
        Self::RolloutsDetail,
        Self::Trace,
        Self::LogsSearch,
        Self::LogsFields,
        Self::LogsJson,
        Self::LogsHistogram,
        Self::TracesMap,
        Self::Tour,
        Self::Tours,
        Self::WorkloadPods,
        Self::DescribeYaml,
        Self::AppsDiff,
    ];

    /// Every view: the panes, then the extra views.
    #[must_use]
    pub fn all() -> Vec<Self> {
        PaneId::ALL
            .iter()
            .map(|&p| Self::Pane(p))
            .chain(Self::EXTRA.iter().copied())
            .collect()
    }

    /// The name on the command line and of the screenshot file.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Pane(pane) => pane.command(),
            Self::KafkaGroups => "kafka-groups",
            Self::Card => "card",
            Self::Help => "help",
            Self::Palette => "palette",
            Self::PgTree => "pg-tree",
            Self::PgKill => "pg-kill",
            Self::PgBulk => "pg-bulk",
            Self::PgPrepared => "pg-prepared",
            Self::PgReplication => "pg-replication",
            Self::PgStatements => "pg-statements",
            Self::PgDatabases => "pg-databases",
            Self::RequestForm => "request-form",
            Self::KafkaTopic => "kafka-topic",
            Self::KafkaConfigs => "kafka-configs",
            Self::KafkaGroup => "kafka-group",
            Self::KafkaCreate => "kafka-create",
            Self::KafkaDiff => "kafka-diff",
            Self::KafkaPeek => "kafka-peek",
            Self::AppsDetail => "apps-detail",
            Self::RolloutsDetail => "rollouts-detail",
            Self::Trace => "trace",
            Self::LogsSearch => "logs-search",
            Self::LogsFields => "logs-fields",
            Self::LogsJson => "logs-json",
            Self::TracesMap => "traces-map",
            Self::LogsHistogram => "logs-histogram",
            Self::Tour => "tour",
            Self::Tours => "tours",
            Self::WorkloadPods => "rollouts-pods",
            Self::DescribeYaml => "describe-yaml",
            Self::AppsDiff => "apps-diff",
        }
    }
}

impl std::str::FromStr for DemoView {
    type Err = String;

    /// A pane's command or alias, or an extra view's name.
    fn from_str(word: &str) -> Result<Self, String> {
        if let Some(view) = Self::EXTRA.iter().find(|v| v.name() == word) {
            return Ok(*view);
        }
        PaneId::from_command(word).map(Self::Pane).ok_or_else(|| {
            let known: Vec<&str> = Self::all().into_iter().map(Self::name).collect();
            format!("unknown view `{word}`; known: {}", known.join(", "))
        })
    }
}

impl std::fmt::Display for DemoView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The Kubernetes views, with the describe view holding the stuck rollout's OOM-killed pod
/// (as `enter` on it leaves it).
fn preload_kube(
    state: &mut State,
    world: &mut World,
    kube: &Arc<crate::model::k8s::snapshot::KubeSnapshot>,
) {
    state.panes.apps.set_snapshot(kube);
    state.panes.rollouts.set_snapshot(kube);
    state.panes.pods.set_snapshot(kube);
    state.panes.events.set_snapshot(kube);
    if let Some(pod) = kube.pods.iter().find(|p| {
        p.last_termination()
            .is_some_and(|(_, t)| t.reason == "OOMKilled")
    }) {
        let reference =
            crate::model::k8s::ObjectRef::pod(&pod.namespace, &pod.name, Some(&pod.uid));
        let now = world.now();
        let doc = world.cluster().object(&reference, now);
        state.panes.describe.target = Some(reference.clone());
        let _ = state.panes.describe.on_loaded(&reference, doc, now);
    }
}

/// Two port-forwards to running pods of the demo (one whose last connection met a pod port
/// nobody listened on), as `F` leaves them once the runtime reported their traffic.
fn demo_forwards(state: &mut State, kube: &crate::model::k8s::snapshot::KubeSnapshot) {
    use crate::app::panes::forwards::ForwardRow;
    use crate::model::k8s::forward::ForwardStats;
    let now = state.now;
    let running = kube.pods.iter().filter(|p| p.phase == "Running").take(2);
    for (i, pod) in running.enumerate() {
        let id = state.panes.forwards.next_id();
        let (port, local, figures) = if i == 0 {
            let figures = ForwardStats {
                connections: 14,
                active: 1,
                bytes_out: 5_210,
                bytes_in: 918_340,
                last_error: None,
            };
            (8080, "127.0.0.1:8080", figures)
        } else {
            let figures = ForwardStats {
                connections: 2,
                active: 0,
                bytes_out: 0,
                bytes_in: 0,
                last_error: Some(format!(
                    "error forwarding port 9090 to pod {}, uid {}: failed to connect to \
                     localhost:9090 inside namespace: connection refused",
                    pod.name, pod.uid
                )),
            };
            (9090, "127.0.0.1:19090", figures)
        };
        state.panes.forwards.add(ForwardRow {
            id,
            context: state.context.name.clone(),
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
            port,
            local: Some(local.to_owned()),
            started: now - jiff::SignedDuration::from_mins(if i == 0 { 12 } else { 3 }),
            stats: figures,
        });
    }
}

/// The service map of the listed traces, as `M` shows it once the runtime built it from the
/// sandbox's traces.
fn show_traces_map(state: &mut State) {
    state.history.push(View::Pane(PaneId::Traces));
    let mut world = World::new(7, epoch());
    // As far on as the demo state's world (eight 25 s steps).
    world.advance(std::time::Duration::from_secs(200));
    let ids: Vec<String> = state
        .panes
        .traces
        .rows()
        .iter()
        .map(|r| r.trace_id.clone())
        .collect();
    let traces: Vec<crate::model::traces::Trace> = ids
        .iter()
        .filter_map(|id| crate::sources::sandbox::telemetry::trace(&world, id))
        .collect();
    let answer = crate::model::traces::service_map::MapAnswer {
        map: crate::model::traces::service_map::ServiceMap::from_traces(&traces),
        failed: ids.len() - traces.len(),
        first_error: None,
        built_at: state.now,
    };
    let pane = &mut state.panes.traces;
    let _ = crate::app::panes::traces::map::start(&mut pane.map, ids);
    let request = pane.map.as_ref().map_or(0, |m| m.request);
    crate::app::panes::traces::map::answered(&mut pane.map, request, Ok(answer));
}

/// The diff of the first drifted app with no operation running, as `d` on it shows it once
/// the sandbox's managed resources arrived.
fn show_apps_diff(state: &mut State) {
    state.history.push(View::Pane(PaneId::Apps));
    let Some(row) =
        state.panes.apps.rows.iter().position(|r| {
            r.sync == crate::model::k8s::SyncState::OutOfSync && r.operation.is_none()
        })
    else {
        return;
    };
    crate::app::panes::select_row(&mut state.panes.apps, row);
    let mut world = World::new(7, epoch());
    let _ = state.lend(|panes, ctx| crate::app::panes::apps::diff::open(&mut panes.apps, ctx));
    if let Some(view) = state.panes.apps.diff.clone() {
        let result = world.cluster().managed_resources(&view.app);
        crate::app::panes::apps::diff::on_loaded(
            &mut state.panes.apps,
            &view.namespace,
            &view.app,
            result,
        );
    }
}

/// The fixed instant of screenshots.
#[must_use]
pub fn epoch() -> Timestamp {
    "2026-11-02T03:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A sandbox state at `size`, with the catalog loaded and the catalog source healthy.
pub fn demo_state(seed: u64, width: u16, height: u16, depth: ColorDepth) -> Result<State, String> {
    let config = Config::sandbox(seed);
    let ui = load_ui("default", "default", None, depth).map_err(|d| d.to_string())?;
    let context = ContextInfo {
        name: "sandbox-staging".into(),
        ..ContextInfo::default()
    };
    let mut state = State::new(context, "dev".into(), ui, epoch());
    apply_context(&mut state, &config);
    let mut world = World::new(seed, epoch());
    // The cluster starts with the world, so its canary has walked some steps by now.
    world.cluster();
    // Let the incidents develop (the blocking chain piles up, the lagging group falls
    // behind), as they have by the time someone looks; refreshes build the lag trend.
    for _ in 0..8 {
        world.advance(std::time::Duration::from_secs(25));
        state
            .panes
            .kafka
            .set_snapshot(Arc::new(world.kafka_snapshot()));
        world.cluster();
    }
    // The simulated Prometheus's figures, as its source would have sent them by now.
    if let Ok(metrics) = crate::sources::sandbox::metrics::snapshot(&mut world) {
        state.panes.catalog.set_metrics(Arc::new(metrics));
    }
    let catalog = Arc::new(world.catalog());
    state.panes.catalog.set_catalog(Arc::clone(&catalog));
    // Someone silenced the lagging consumer's alert while its fix rolls out.
    let _ = world.silence_action(
        &crate::model::action::ActionRequest::CreateSilence {
            service: "analytics-ingest".into(),
            matchers: crate::model::silence::parse_matchers(
                r#"alertname="KafkaConsumerLagGrowing", service="analytics-ingest""#,
            )
            .unwrap_or_default(),
            duration_secs: 7200,
            comment: "backfill running, lag expected until 05:00".into(),
        },
        "amara.okafor",
    );
    let alerts = Arc::new(world.alerts_snapshot());
    state.panes.silences.set_snapshot(Arc::clone(&alerts));
    state.panes.alerts.set_snapshot(alerts, catalog);
    let kube = Arc::new(crate::sources::sandbox::apps::kube_snapshot(&mut world, 1));
    preload_kube(&mut state, &mut world, &kube);
    for database in crate::sources::sandbox::pg::databases() {
        if let Ok(snapshot) = world.pg_snapshot(database) {
            state.panes.postgres.set_snapshot(Arc::new(snapshot));
        }
    }
    state.panes.postgres.select_database("orders-db");
    // The last minute of the fleet's logs, and the traces of the last fifteen minutes.
    let logs = world.logs(
        &crate::sources::logs::LogTarget::default(),
        Some(world.now() - jiff::SignedDuration::from_secs(60)),
    );
    feed_telemetry(&mut state, &world, &logs);
    let first_error = state
        .panes
        .traces
        .rows()
        .iter()
        .find(|r| r.error)
        .map(|r| r.trace_id.clone());
    if let Some(id) = first_error {
        state.panes.traces.open_id = Some(id.clone());
        let trace = crate::sources::sandbox::telemetry::trace(&world, &id)
            .ok_or_else(|| format!("sandbox trace {id}"));
        state.panes.traces.loaded(&id, trace);
        // The list shows until the trace view is asked for.
        state.panes.traces.stash_open();
    }
    let platform = Arc::new(platform_fixture(state.now));
    state
        .panes
        .catalog
        .set_oncall(crate::app::oncall::from_feed(
            &platform.oncall,
            platform.fetched_at,
        ));
    state.panes.oncall.set_snapshot(platform.clone());
    state.panes.requests.set_snapshot(platform.clone());
    state.panes.audit.set_snapshot(platform);
    for source in [
        SourceId::Catalog,
        SourceId::Platform,
        SourceId::Postgres,
        SourceId::Kafka,
        SourceId::Kube,
        SourceId::Logs,
        SourceId::Traces,
        SourceId::Alerts,
        SourceId::Metrics,
    ] {
        state
            .health
            .insert(source, SourceHealth::Ok { at: epoch() });
    }
    crate::app::attention_feed::refresh_active(&mut state);
    feed_prod_summary(&mut state, seed);
    // Nobody has moved the cursor yet: it starts on the worst row.
    state.panes.attention.table.forget_selection();
    crate::app::panes::Pane::refresh_view(&mut state.panes.attention);
    resize(&mut state, width, height);
    Ok(state)
}

/// The sandbox's production context as its summary sources would report it, so the
/// attention view shows both contexts.
fn feed_prod_summary(state: &mut State, seed: u64) {
    use crate::sources::{SourceBody, SourceEvent};
    let mut prod = World::new(seed.wrapping_add(1), epoch());
    prod.cluster();
    let mut bodies = vec![
        (
            SourceId::Catalog,
            SourceBody::Catalog(Arc::new(prod.catalog())),
        ),
        (
            SourceId::Alerts,
            SourceBody::Alerts(Arc::new(prod.alerts_snapshot())),
        ),
        (
            SourceId::Kube,
            SourceBody::Kube(Arc::new(crate::sources::sandbox::apps::kube_snapshot(
                &mut prod, 1,
            ))),
        ),
        (
            SourceId::Kafka,
            SourceBody::Kafka(Arc::new(prod.kafka_snapshot())),
        ),
    ];
    for database in crate::sources::sandbox::pg::databases() {
        if let Ok(snapshot) = prod.pg_snapshot(database) {
            bodies.push((SourceId::Postgres, SourceBody::Postgres(Arc::new(snapshot))));
        }
    }
    for (source, body) in bodies {
        for body in [body, SourceBody::Health(SourceHealth::Ok { at: epoch() })] {
            crate::app::summary::on_summary(
                state,
                "sandbox-prod",
                SourceEvent {
                    source,
                    generation: 0,
                    body,
                },
            );
        }
    }
}

/// Moves a demo state to `view`.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per demo view: the table of views reads best whole"
)]
pub fn show(state: &mut State, view: DemoView) {
    match view {
        DemoView::Card => state
            .history
            .push(View::Card(CardState::new("checkout-api".into()))),
        DemoView::Help => state.modal = Some(Modal::Help { scroll: 0 }),
        DemoView::KafkaGroups => {
            state.history.push(View::Pane(PaneId::Kafka));
            state.panes.kafka.next_view();
        }
        DemoView::KafkaTopic | DemoView::KafkaConfigs | DemoView::KafkaDiff => {
            state.history.push(View::Pane(PaneId::Kafka));
            open_kafka_row(state, "orders.placed.v1");
            let topic = state.panes.kafka.open_detail().unwrap_or_default();
            if view != DemoView::KafkaTopic {
                state.panes.kafka.next_topic_page();
                let mut world = World::new(7, epoch());
                let _ =
                    world.kafka_action(&crate::model::action::ActionRequest::AlterTopicConfigs {
                        name: topic.clone(),
                        set: [("retention.ms".to_owned(), "259200000".to_owned())].into(),
                        delete: Vec::new(),
                    });
                let configs = world.kafka_configs(&topic);
                state.panes.kafka.set_configs(topic.clone(), configs);
            }
            if view == DemoView::KafkaDiff {
                let _ = state.lend(|panes, ctx| {
                    crate::app::panes::kafka::actions::configs_entered(
                        &panes.kafka,
                        ctx,
                        &topic,
                        "retention.ms=1d cleanup.policy=compact -segment.bytes",
                    )
                });
            }
        }
        DemoView::AppsDetail => {
            state.history.push(View::Pane(PaneId::Apps));
            state.panes.apps.open_detail();
        }
        DemoView::Trace => {
            state.history.push(View::Pane(PaneId::Traces));
            state.panes.traces.unstash_open();
            if let Some(open) = state.panes.traces.open.as_mut() {
                open.detail = true;
            }
        }
        DemoView::LogsSearch => {
            state.history.push(View::Pane(PaneId::Logs));
            state.panes.logs.set_query("timed out");
            state.panes.logs.only_matches = true;
            state.panes.logs.recompute();
            state.panes.logs.move_by(-2);
            state.panes.logs.expanded = true;
        }
        DemoView::LogsFields => {
            state.history.push(View::Pane(PaneId::Logs));
            let logs = &mut state.panes.logs;
            logs.fields.predicate =
                crate::app::panes::logs::fields::parse_predicate("level>=warn duration_ms>300")
                    .ok()
                    .flatten();
            logs.fields.columns =
                crate::app::panes::logs::fields::parse_columns("duration_ms http.route")
                    .unwrap_or_default();
            logs.recompute();
        }
        DemoView::LogsJson => {
            state.history.push(View::Pane(PaneId::Logs));
            let logs = &mut state.panes.logs;
            let json = logs.buffer.iter().rev().find(|l| {
                matches!(l.format(), crate::model::logs::LineFormat::Json { .. })
                    && l.level() == Some(crate::model::logs::Level::Error)
            });
            logs.cursor = json.map(crate::model::logs::LogLine::seq);
            logs.expanded = true;
        }
        DemoView::TracesMap => show_traces_map(state),
        DemoView::LogsHistogram => {
            state.history.push(View::Pane(PaneId::Logs));
            let _ = state.lend(|panes, ctx| {
                crate::app::panes::logs::actions::on_action(
                    &mut panes.logs,
                    ctx,
                    crate::keymap::Action::Histogram,
                )
            });
            let _ = state.lend(|panes, ctx| {
                crate::app::panes::logs::actions::on_action(
                    &mut panes.logs,
                    ctx,
                    crate::keymap::Action::HistLeft,
                )
            });
        }
        DemoView::Pane(PaneId::Incident) => show_incident(state),
        DemoView::Pane(PaneId::Forwards) => {
            if let Some(kube) = state.panes.pods.snapshot.clone() {
                demo_forwards(state, &kube);
            }
            state.history.push(View::Pane(PaneId::Forwards));
        }
        DemoView::WorkloadPods => {
            // The stuck rollout's pods, as enter on its tree shows them.
            state.history.push(View::Pane(PaneId::Pods));
            if let Some(e) = state
                .panes
                .rollouts
                .entries
                .iter()
                .find(|e| e.row.name == "shipping-api")
            {
                let namespace = e.row.namespace.clone();
                state
                    .panes
                    .pods
                    .set_focus(crate::app::panes::pods::PodsFocus::Workload {
                        kind: "Rollout".into(),
                        namespace,
                        name: "shipping-api".into(),
                    });
            }
        }
        DemoView::DescribeYaml => {
            state.history.push(View::Pane(PaneId::Describe));
            state.panes.describe.yaml = true;
        }
        DemoView::AppsDiff => show_apps_diff(state),
        DemoView::RolloutsDetail => {
            state.history.push(View::Pane(PaneId::Rollouts));
            state.panes.rollouts.open_detail();
        }
        DemoView::KafkaGroup => {
            state.history.push(View::Pane(PaneId::Kafka));
            state.panes.kafka.next_view();
            let _ = state.panes.kafka.open_detail();
        }
        DemoView::KafkaPeek => {
            state.history.push(View::Pane(PaneId::Kafka));
            state.panes.kafka.next_view();
            let world = World::new(7, epoch());
            let snapshot = world.kafka_snapshot();
            let stuck = snapshot
                .group(crate::sources::sandbox::kafka_first_aid::STOPPED_GROUP)
                .and_then(|g| g.lag.first().cloned());
            if let Some(l) = stuck {
                let request = crate::model::action::ActionRequest::PeekMessages {
                    topic: l.topic,
                    partition: l.partition,
                    from: crate::model::kafka_peek::PeekFrom::Offset {
                        offset: l.committed.unwrap_or(l.low),
                    },
                    group: None,
                };
                let read = crate::sources::sandbox::kafka_first_aid::peek(&snapshot, &request);
                let mut peek = crate::app::panes::kafka::first_aid::PeekView::new(read);
                // The record with escape sequences in it, shown inert.
                let hostile = peek
                    .read
                    .as_ref()
                    .ok()
                    .and_then(|r| r.messages.iter().position(|m| m.offset % 17 == 3));
                peek.selected = hostile.unwrap_or(0);
                state.panes.kafka.peek = Some(peek);
            }
        }
        DemoView::KafkaCreate => {
            state.history.push(View::Pane(PaneId::Kafka));
            let ctx = crate::app::update::form_context(state);
            let mut form =
                crate::app::modal::form::Form::create_topic(&ctx, Some("ledger-service"));
            form.fields[0].value = "ledger.audit.v1".into();
            form.fields[1].value = "0".into();
            let _ = form.validate(&ctx);
            state.modal = Some(Modal::Form(form));
        }
        DemoView::Tour => {
            // The blocking-query tour, its first chapter done: the recap and the next step.
            state.tours = std::sync::Arc::new(crate::tour::library::TourLibrary::load(None));
            crate::app::tours::begin(state, "blocking-query");
            state.toast = None;
            state.scope = Some("checkout-api".into());
            state.history.push(View::Pane(PaneId::Postgres));
            state.panes.postgres.view = crate::app::panes::postgres::PgView::Tree;
            let _ = crate::app::tours::after_update(state, None);
            let (width, height) = state.size;
            crate::app::update::resize(state, width, height);
        }
        DemoView::Tours => {
            state.tours = std::sync::Arc::new(crate::tour::library::TourLibrary::load(None));
            let done = |chapters_done, finished| crate::tour::progress::TourProgress {
                chapters_done,
                finished,
            };
            state
                .tour_progress
                .insert("first-day-on-call".into(), done(3, true));
            state
                .tour_progress
                .insert("blocking-query".into(), done(1, false));
            crate::app::tours::open_list(state);
            if let Some(Modal::Tours { selected }) = &mut state.modal {
                *selected = 1;
            }
        }
        DemoView::PgTree | DemoView::PgKill => {
            state.history.push(View::Pane(PaneId::Postgres));
            state.panes.postgres.view = crate::app::panes::postgres::PgView::Tree;
            if view == DemoView::PgKill {
                let _ = state.lend(|panes, ctx| {
                    crate::app::panes::postgres::actions::ask_kill(
                        &panes.postgres,
                        ctx,
                        crate::model::action::KillMode::Cancel,
                    );
                });
            }
        }
        DemoView::PgBulk => {
            state.history.push(View::Pane(PaneId::Postgres));
            let _ = state.lend(|panes, ctx| {
                use crate::app::panes::postgres::bulk;
                let _ = bulk::mark_where(&mut panes.postgres, ctx, "waiting");
                bulk::open_plan(
                    &mut panes.postgres,
                    ctx,
                    crate::model::action::KillMode::Terminate,
                );
            });
            state.toast = None;
        }
        DemoView::PgPrepared => {
            state.history.push(View::Pane(PaneId::Postgres));
            state.panes.postgres.select_database("logistics-db");
            state.panes.postgres.view = crate::app::panes::postgres::PgView::Tree;
            let _ = state.lend(|panes, ctx| {
                crate::app::panes::postgres::prepared::on_pid_zero(&mut panes.postgres, ctx);
            });
            state.toast = None;
        }
        DemoView::PgReplication | DemoView::PgStatements | DemoView::PgDatabases => {
            use crate::app::panes::postgres::PgView;
            state.history.push(View::Pane(PaneId::Postgres));
            let pg = &mut state.panes.postgres;
            match view {
                DemoView::PgReplication => pg.view = PgView::Replication,
                DemoView::PgStatements => pg.view = PgView::Statements,
                _ => pg.open_database_list(),
            }
        }
        DemoView::RequestForm => {
            state.history.push(View::Pane(PaneId::Requests));
            let ctx = crate::app::update::form_context(state);
            let mut form = crate::app::modal::form::Form::topic(&ctx, Some("ledger-service"));
            form.fields[0].value = "ledger audit v1".into();
            form.fields[2].value = "5".into();
            let _ = form.validate(&ctx);
            state.modal = Some(Modal::Form(form));
        }
        DemoView::Palette => {
            let mut p = PaletteState {
                input: "ro".into(),
                ..PaletteState::default()
            };
            let contexts = state.context.available.clone();
            let vocab = crate::app::modal::palette::Vocabulary {
                contexts: &contexts,
                themes: &[],
                services: &[],
                tours: &[],
            };
            p.update_completions(&vocab);
            state.modal = Some(Modal::Palette(p));
        }
        DemoView::Pane(pane) => state.history.push(View::Pane(pane)),
    }
    answer_policy_as_the_sandbox(state);
}

/// The incident view of the service with the most signals: the error burst's (its SLO
/// burns, its logs and traces fail; it also has a rollout, a database and a consumer
/// group), with its own logs of the last half hour and its own traces, as the scope's
/// sources would send them.
fn show_incident(state: &mut State) {
    // The world of `demo_state` at seed 7 (the screenshots' seed), at the same instant.
    let mut world = World::new(7, epoch());
    for _ in 0..8 {
        world.advance(std::time::Duration::from_secs(25));
    }
    state.now = world.now();
    let service = world.burst_service();
    let _ = crate::app::route::open_incident(state, service);
    state.toast = None;
    let since = world.now() - jiff::SignedDuration::from_mins(30);
    let logs = world.logs(&state.panes.logs.target.clone(), Some(since));
    feed_telemetry(state, &world, &logs);
    crate::app::update::refresh_incident(state);
}

/// Feeds `logs` (a window the sandbox served) to the logs pane, and the world's traces for
/// the pane's current search to the traces list.
fn feed_telemetry(
    state: &mut State,
    world: &World,
    logs: &crate::sources::sandbox::logs::LogWindow,
) {
    let items = logs
        .lines
        .iter()
        .map(|(pod, line)| {
            crate::sources::logs::LogItem::Line(crate::model::logs::parse_line(
                line.as_bytes(),
                Arc::from(pod.as_str()),
            ))
        })
        .collect();
    state
        .panes
        .logs
        .ingest(&crate::sources::logs::LogBatch::new(items));
    let search = state.panes.traces.search();
    let rows = crate::sources::sandbox::telemetry::search(world, &search).unwrap_or_default();
    state
        .panes
        .traces
        .set_list(Arc::new(crate::sources::trace_feed::TraceList {
            search,
            rows,
            error: None,
        }));
}

/// Puts the Kafka cursor on the topic named `name`.
fn open_kafka_row(state: &mut State, name: &str) {
    let Some(snapshot) = state.panes.kafka.snapshot.clone() else {
        return;
    };
    if let Some(row) = (0..state.panes.kafka.table.visible.len()).find(|&v| {
        let i = state
            .panes
            .kafka
            .row_index(state.panes.kafka.table.visible[v]);
        snapshot.topics[i].name == name
    }) {
        state.panes.kafka.table.select(row);
    }
}

/// Draws a state into a buffer.
pub fn draw(state: &State) -> Result<Buffer, String> {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).map_err(|e| e.to_string())?;
    terminal
        .draw(|f| crate::ui::render(f, state))
        .map_err(|e| e.to_string())?;
    Ok(terminal.backend().buffer().clone())
}

/// The SVG of one sandbox view.
pub fn render_svg(view: DemoView, width: u16, height: u16, seed: u64) -> Result<String, String> {
    let mut state = demo_state(seed, width, height, ColorDepth::TrueColor)?;
    show(&mut state, view);
    Ok(crate::ui::svg::buffer_to_svg(&draw(&state)?))
}

/// A fixed platform snapshot for screenshots: what the sandbox platform shows after a topic
/// and a replica were requested and approved (the live server's ids and times vary, so
/// screenshots use this copy of that flow).
fn platform_fixture(now: jiff::Timestamp) -> crate::sources::platform_feed::PlatformSnapshot {
    use crate::model::platform::{AuditItem, Me, Request};
    let requests: Vec<Request> = serde_json::from_value(serde_json::json!([
        {"id": "01a2013a-6000-7148-95ac-3447436b2dad", "requester": "dev", "state": "ready",
         "spec": {"kind": "kafka_topic", "name": "ledger.audit.v1", "partitions": 6, "replication": 3,
                  "configs": {"retention.ms": "604800000", "cleanup.policy": "delete"},
                  "owner_service": "ledger-service", "reason": "compliance audit stream"},
         "result": {"topic": "ledger.audit.v1", "partitions": 6, "replication": 3, "cluster": "sandbox"},
         "decided_by": "dev", "created": "2026-11-02T02:51:10Z", "updated": "2026-11-02T02:52:03Z"},
        {"id": "01a2013a-672e-7704-bec6-952f4da2397a", "requester": "dev", "state": "provisioning",
         "spec": {"kind": "read_replica", "database": "orders-db", "size": "medium", "ttl": "8h",
                  "reason": "month-end report for finance"},
         "decided_by": "dev", "created": "2026-11-02T02:55:41Z", "updated": "2026-11-02T02:56:02Z"},
        {"id": "01a2013b-1a2e-7c04-8ec6-11cf4da23f01", "requester": "dev", "state": "submitted",
         "spec": {"kind": "read_replica", "database": "payments-db", "size": "small", "ttl": "24h",
                  "reason": "fraud model backfill"},
         "created": "2026-11-02T02:58:13Z", "updated": "2026-11-02T02:58:13Z"}
    ]))
    .unwrap_or_default();
    let event = |seq: i64, time: &str, body: serde_json::Value| {
        let mut event = serde_json::json!({
            "schema": "opsdeck.audit/1.0",
            "event_id": format!("01a2013c-0000-7000-8000-{seq:012}"),
            "time": time,
            "actor": {"user": "dev", "groups": ["sandbox", "approvers"]},
        });
        if let (Some(e), Some(b)) = (event.as_object_mut(), body.as_object()) {
            e.extend(b.clone());
        }
        serde_json::json!({"seq": seq, "hash": format!("{:064x}", seq * 7_919), "event": event})
    };
    let target = |kind: &str, reference: &str, name: &str| serde_json::json!({"kind": kind, "ref": reference, "name": name});
    let events: Vec<AuditItem> = serde_json::from_value(serde_json::json!([
        event(6, "2026-11-02T02:59:40Z", serde_json::json!({"kind": "intent", "action": "pg.terminate",
            "target": target("pg.backend", "pg.backend:orders-db/22511", "22511"), "params": {"pid": 22511},
            "reason": "idle in transaction, blocks checkout", "client": {"version": "0.1.0", "host": "bastion"},
            "client_actor": "dev", "decision": "allow"})),
        event(4, "2026-11-02T02:58:13Z", serde_json::json!({"kind": "request", "request_id": "01a2013b",
            "action": "request.submitted", "target": target("read_replica", "read_replica:payments-db", "payments-db"),
            "state": "submitted"})),
        event(3, "2026-11-02T02:56:02Z", serde_json::json!({"kind": "request", "request_id": "01a2013a",
            "action": "request.approved", "target": target("read_replica", "read_replica:orders-db", "orders-db"),
            "state": "approved"})),
        event(2, "2026-11-02T02:52:03Z", serde_json::json!({"kind": "request", "request_id": "01a2013a",
            "action": "request.ready", "target": target("kafka_topic", "kafka_topic:ledger.audit.v1", "ledger.audit.v1"),
            "state": "ready"})),
        event(1, "2026-11-02T02:51:10Z", serde_json::json!({"kind": "request", "request_id": "01a2013a",
            "action": "request.submitted", "target": target("kafka_topic", "kafka_topic:ledger.audit.v1", "ledger.audit.v1"),
            "state": "submitted"}))
    ]))
    .unwrap_or_default();
    // The sandbox platform's seeded rota, with fixed ids.
    let mut rota = crate::platform::sandbox::sandbox_rota("dev", now);
    for (i, shift) in rota.iter_mut().enumerate() {
        shift.id = format!("01a20140-0000-7000-8000-{i:012}");
    }
    crate::sources::platform_feed::PlatformSnapshot {
        me: Me {
            user: "dev".into(),
            groups: crate::platform::sandbox::SANDBOX_GROUPS
                .iter()
                .map(|g| (*g).to_owned())
                .collect(),
            roles: vec!["approver".into()],
        },
        requests,
        events,
        oncall: Ok(crate::model::oncall::OnCallList {
            items: crate::model::oncall::resolve_all(&rota, now),
            as_of: now,
        }),
        my_rotas: vec![crate::model::oncall::TeamRota {
            oncall: crate::model::oncall::resolve(
                crate::platform::sandbox::SANDBOX_SQUAD,
                &rota,
                now,
            ),
            from: now,
            to: now + crate::model::oncall::DEFAULT_WINDOW,
            shifts: rota
                .iter()
                .filter(|s| s.team == crate::platform::sandbox::SANDBOX_SQUAD)
                .cloned()
                .collect(),
        }],
        fetched_at: now,
    }
}

/// The dialog asks the platform's policy as it opens; answer as the sandbox's platform
/// does, through the same update step as the real answer.
fn answer_policy_as_the_sandbox(state: &mut State) {
    let Some(Modal::Confirm(confirm)) = &state.modal else {
        return;
    };
    let request = confirm.request.clone();
    let groups: Vec<String> = crate::platform::sandbox::SANDBOX_GROUPS
        .iter()
        .map(|g| (*g).to_owned())
        .collect();
    let verdict = crate::platform::sandbox::sandbox_policy().decide(
        &request.action_name(),
        &request.target().reference,
        &groups,
    );
    let answer = Ok(crate::model::platform::PolicyAnswer {
        decision: verdict.decision,
        reason: verdict.reason,
    });
    let reply = crate::app::msg::PlatformReply::ActionPolicy { request, answer };
    let _ = crate::app::update::update(state, crate::app::msg::Msg::PlatformDone(Box::new(reply)));
}
