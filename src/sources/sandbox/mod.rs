//! The sandbox: a simulated fleet that feeds every pane with no external service.
//!
//! [`World`] is a deterministic model (fleet, clock, incidents). A sandbox runs it inside an
//! actor task ([`SandboxHandle`]); sandbox sources ask the actor for snapshots through the same
//! source-task interface as real backends, and actions change the world through it.

pub mod alerts;
pub mod apps;
pub mod backend;
pub mod cluster;
pub mod fleet;
pub mod forward;
pub mod kafka;
pub mod kafka_first_aid;
pub mod logql;
pub mod logs;
pub mod metrics;
pub mod pg;
pub mod pg_actions;
mod pg_facts;
pub mod provisioner;
pub mod read_only;
pub mod shell;
pub mod telemetry;
pub mod tools;
pub mod traceql;
pub mod workloads;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

use super::poller::{self, PollSettings};
use super::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};
use crate::model::platform::KafkaTopicSpec;
use crate::model::{Catalog, CatalogEntry};
use crate::platform::fulfil::TopicCreator;
use fleet::{Rng, SERVICES};

/// Brokers of the simulated Kafka cluster.
pub const BROKERS: usize = 3;

/// Something going wrong in the simulated fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentKind {
    /// The service returns errors; its SLO budget burns and its logs fill with errors.
    ErrorBurst { service: String },
    /// A transaction holds a lock on a service's database and others queue behind it.
    DbBlocking { service: String, database: String },
    /// A new version cannot start (`ImagePullBackOff`).
    StuckRollout { service: String },
    /// A consumer group falls behind.
    ConsumerLag { service: String, group: String },
}

impl IncidentKind {
    #[must_use]
    pub fn service(&self) -> &str {
        match self {
            Self::ErrorBurst { service }
            | Self::DbBlocking { service, .. }
            | Self::StuckRollout { service }
            | Self::ConsumerLag { service, .. } => service,
        }
    }
}

/// An incident and when it is active, relative to the world's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub kind: IncidentKind,
    pub starts_after: Duration,
    pub ends_after: Option<Duration>,
}

/// The simulated world.
#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub started: Timestamp,
    pub elapsed: Duration,
    pub incidents: Vec<Incident>,
    /// Topics created through the platform's self-service flow.
    pub created_topics: BTreeMap<String, KafkaTopicSpec>,
    /// Sessions the user cancelled or terminated in the simulated databases.
    pub pg: pg::PgWorld,
    /// Prepared transactions rolled back by the user.
    pub pg_prepared_done: pg_actions::PreparedDone,
    /// What Kafka admin actions changed in the simulated cluster.
    pub kafka: kafka::KafkaOverlay,
    /// What the simulated Prometheus remembers (when stuck rollouts were fixed).
    pub metrics: metrics::MetricsWorld,
    /// The simulated Kubernetes cluster, built on first use (it reads the incidents).
    cluster: Option<Box<cluster::SandboxCluster>>,
    /// Silences created in the simulated Alertmanager.
    pub alert_silences: Vec<alerts::SandboxSilence>,
}

impl World {
    /// A world with the default scenario: one incident of each kind, already running, so a
    /// new user sees something to investigate at once.
    #[must_use]
    pub fn new(seed: u64, started: Timestamp) -> Self {
        // PostgreSQL keeps microseconds; a world clock finer than that would make every
        // pinned `backend_start` (the kill guard) differ from the simulated one.
        let started = Timestamp::from_microsecond(started.as_microsecond()).unwrap_or(started);
        let mut rng = Rng::new(seed);
        let tier1: Vec<&str> = SERVICES.iter().filter(|t| t.2 == 1).map(|t| t.0).collect();
        let burst = (*rng.pick(&tier1)).to_owned();
        let incidents = vec![
            Incident {
                kind: IncidentKind::ErrorBurst { service: burst },
                starts_after: Duration::ZERO,
                ends_after: None,
            },
            Incident {
                kind: IncidentKind::DbBlocking {
                    service: "checkout-api".into(),
                    database: "orders-db".into(),
                },
                starts_after: Duration::ZERO,
                ends_after: None,
            },
            Incident {
                kind: IncidentKind::StuckRollout {
                    service: "shipping-api".into(),
                },
                starts_after: Duration::ZERO,
                ends_after: None,
            },
            Incident {
                kind: IncidentKind::ConsumerLag {
                    service: "analytics-ingest".into(),
                    group: "analytics-ingest-consumer".into(),
                },
                starts_after: Duration::ZERO,
                ends_after: None,
            },
        ];
        Self {
            seed,
            started,
            elapsed: Duration::ZERO,
            incidents,
            created_topics: BTreeMap::new(),
            pg: pg::PgWorld::default(),
            pg_prepared_done: pg_actions::PreparedDone::default(),
            kafka: kafka::KafkaOverlay::default(),
            metrics: metrics::MetricsWorld::default(),
            cluster: None,
            alert_silences: Vec::new(),
        }
    }

    /// The world's clock.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.started + self.elapsed
    }

    pub fn advance(&mut self, by: Duration) {
        self.elapsed += by;
    }

    /// Scenario hook: adds an incident.
    pub fn inject(&mut self, incident: Incident) {
        let now = self.now();
        if let (IncidentKind::StuckRollout { service }, Some(cluster)) =
            (&incident.kind, self.cluster.as_mut())
        {
            cluster.break_rollout(service, now);
        }
        self.incidents.push(incident);
    }

    /// The simulated Kubernetes cluster, moved on to the world's clock.
    /// Every pod of the simulated cluster now, whole.
    pub fn pods(&mut self) -> Vec<serde_json::Value> {
        let now = self.now();
        self.cluster().pods(now)
    }

    pub fn cluster(&mut self) -> &mut cluster::SandboxCluster {
        let now = self.now();
        let built = match self.cluster.take() {
            Some(cluster) => cluster,
            None => Box::new(cluster::SandboxCluster::new(
                apps::application_values(self),
                &apps::shapes(self),
                now,
            )),
        };
        let cluster = self.cluster.insert(built);
        cluster.tick(now);
        cluster
    }

    /// Creates a topic, as the platform's fulfilment asks. Existing names are refused, as a
    /// broker would.
    pub fn create_topic(&mut self, spec: KafkaTopicSpec) -> Result<serde_json::Value, String> {
        if self.created_topics.contains_key(&spec.name) {
            return Err(format!("topic {} already exists", spec.name));
        }
        if spec.replication < 1 || usize::try_from(spec.replication).unwrap_or(usize::MAX) > BROKERS
        {
            return Err(format!(
                "replication {} is more than the {BROKERS} brokers",
                spec.replication
            ));
        }
        let answer = serde_json::json!({
            "topic": spec.name,
            "partitions": spec.partitions,
            "replication": spec.replication,
            "cluster": "sandbox",
        });
        self.created_topics.insert(spec.name.clone(), spec);
        Ok(answer)
    }

    /// Scenario hook: ends every incident of a service now.
    pub fn resolve(&mut self, service: &str) {
        let now = self.elapsed;
        for i in &mut self.incidents {
            if i.kind.service() == service && i.ends_after.is_none() {
                i.ends_after = Some(now);
            }
        }
    }

    /// The service of the first `ErrorBurst` incident (the one whose logs fill with errors).
    #[must_use]
    pub fn burst_service(&self) -> Option<String> {
        self.incidents.iter().find_map(|i| match &i.kind {
            IncidentKind::ErrorBurst { service } => Some(service.clone()),
            _ => None,
        })
    }

    pub fn active_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.iter().filter(|i| {
            i.starts_after <= self.elapsed && i.ends_after.is_none_or(|end| end > self.elapsed)
        })
    }

    /// The catalog as it stands now.
    #[must_use]
    pub fn catalog(&self) -> Catalog {
        let mut rng = Rng::new(self.seed);
        let entries = SERVICES
            .iter()
            .map(|t| CatalogEntry::Service(Box::new(fleet::build_service(t, &mut rng))))
            .collect();
        Catalog::new(entries)
    }
}

/// Requests the sandbox actor answers.
#[derive(Debug)]
pub enum SandboxRequest {
    Catalog(oneshot::Sender<Arc<Catalog>>),
    Now(oneshot::Sender<Timestamp>),
    Inject(Incident),
    Resolve(String),
    CreateTopic(
        KafkaTopicSpec,
        oneshot::Sender<Result<serde_json::Value, String>>,
    ),
    /// The sessions of one simulated database.
    Postgres(
        String,
        oneshot::Sender<Result<Arc<crate::model::pg::PgSnapshot>, String>>,
    ),
    /// A guarded cancel or terminate in a simulated database.
    Kill {
        database: String,
        pid: i32,
        backend_start: Timestamp,
        query_start: Option<Timestamp>,
        mode: crate::actions::KillMode,
        reply: oneshot::Sender<Result<super::postgres::KillReport, String>>,
    },
    /// The simulated Kafka cluster.
    Kafka(oneshot::Sender<Arc<crate::model::kafka::KafkaSnapshot>>),
    /// A Kafka admin action on the simulated cluster.
    KafkaAction(
        crate::actions::ActionRequest,
        oneshot::Sender<Result<String, String>>,
    ),
    /// One object of the simulated cluster, whole, with its events.
    KubeObject(
        crate::model::k8s::ObjectRef,
        oneshot::Sender<Result<crate::model::k8s::object_ref::ObjectDoc, String>>,
    ),
    /// Every pod of the simulated cluster, whole.
    Pods(oneshot::Sender<Vec<serde_json::Value>>),
    /// An application's managed resources, as the Argo CD API server answers.
    ManagedResources(String, oneshot::Sender<Result<serde_json::Value, String>>),
    SyncWindows(String, oneshot::Sender<Result<serde_json::Value, String>>),
    /// The simulated cluster's watch snapshot, with this publish number.
    Kube(u64, oneshot::Sender<crate::sources::kube::KubeSnapshot>),
    /// An Argo CD or rollout action on the simulated cluster, by this user.
    KubeAction(
        crate::actions::ActionRequest,
        String,
        oneshot::Sender<Result<String, String>>,
    ),
    /// Checks a new topic's plan without creating it.
    KafkaPlan(
        crate::actions::ActionRequest,
        oneshot::Sender<Result<String, String>>,
    ),
    /// A reset's plan or a peek on the simulated cluster.
    KafkaFirstAid(
        crate::actions::ActionRequest,
        oneshot::Sender<Result<kafka_first_aid::Answer, String>>,
    ),
    /// One simulated topic's configs.
    KafkaConfigs(
        String,
        oneshot::Sender<Result<Vec<crate::model::kafka::TopicConfig>, String>>,
    ),
    /// The simulated tracing backend's search.
    TraceSearch(
        crate::sources::traces::TraceSearch,
        oneshot::Sender<Result<Vec<crate::model::traces::TraceSummary>, String>>,
    ),
    /// One simulated trace by id.
    Trace(String, oneshot::Sender<Option<crate::model::traces::Trace>>),
    /// Log lines of the simulated pods since a time.
    Logs(
        crate::sources::logs::LogTarget,
        Option<Timestamp>,
        oneshot::Sender<logs::LogWindow>,
    ),
    /// The simulated Alertmanager's alerts and silences.
    Alerts(oneshot::Sender<crate::model::alerts::AlertsSnapshot>),
    /// A silence created or expired in the simulated Alertmanager, by this user.
    Silence(
        crate::actions::ActionRequest,
        String,
        oneshot::Sender<Result<String, String>>,
    ),
    /// One query of the simulated Prometheus.
    Metrics(
        crate::sources::metrics::MetricQuery,
        crate::sources::prometheus::Evaluation,
        oneshot::Sender<
            Result<crate::model::metrics::PromAnswer, crate::model::metrics::PromError>,
        >,
    ),
    /// A bulk kill or a `ROLLBACK PREPARED` in a simulated database.
    PgAction(
        crate::actions::ActionRequest,
        oneshot::Sender<crate::actions::ExecResult>,
    ),
    /// The locks of one simulated backend.
    PgLocks(
        String,
        i32,
        oneshot::Sender<Result<Vec<crate::model::pg::PgLock>, String>>,
    ),
}

/// Cheap handle to a running sandbox world.
#[derive(Debug, Clone)]
pub struct SandboxHandle {
    tx: mpsc::Sender<SandboxRequest>,
}

impl SandboxHandle {
    /// Starts the world's actor. Its clock follows real time from `started`.
    #[must_use]
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per request the world's actor answers, read top to bottom"
    )]
    pub fn spawn(world: World) -> Self {
        let (tx, mut rx) = mpsc::channel::<SandboxRequest>(64);
        tokio::spawn(async move {
            let mut world = world;
            let mut last = tokio::time::Instant::now();
            while let Some(req) = rx.recv().await {
                let now = tokio::time::Instant::now();
                world.advance(now - last);
                last = now;
                match req {
                    SandboxRequest::Catalog(reply) => {
                        let _ = reply.send(Arc::new(world.catalog()));
                    }
                    SandboxRequest::Now(reply) => {
                        let _ = reply.send(world.now());
                    }
                    SandboxRequest::Inject(i) => world.inject(i),
                    SandboxRequest::Resolve(s) => world.resolve(&s),
                    SandboxRequest::CreateTopic(spec, reply) => {
                        let _ = reply.send(world.create_topic(spec));
                    }
                    SandboxRequest::Postgres(database, reply) => {
                        let _ = reply.send(world.pg_snapshot(&database).map(Arc::new));
                    }
                    SandboxRequest::Kill {
                        database,
                        pid,
                        backend_start,
                        query_start,
                        mode,
                        reply,
                    } => {
                        let target = super::postgres::KillTarget {
                            pid,
                            backend_start,
                            query_start,
                            mode,
                        };
                        let _ = reply.send(world.pg_kill(&database, &target));
                    }
                    SandboxRequest::Kafka(reply) => {
                        let _ = reply.send(Arc::new(world.kafka_snapshot()));
                    }
                    SandboxRequest::KafkaAction(request, reply) => {
                        let _ = reply.send(world.kafka_action(&request));
                    }
                    SandboxRequest::Kube(generation, reply) => {
                        let _ = reply.send(apps::kube_snapshot(&mut world, generation));
                    }
                    SandboxRequest::KubeAction(request, user, reply) => {
                        let now = world.now();
                        let result = world.cluster().act(&request, &user, now);
                        if result.is_ok() {
                            world.fixed_by(&request);
                        }
                        let _ = reply.send(result);
                    }
                    SandboxRequest::KubeObject(reference, reply) => {
                        let now = world.now();
                        let _ = reply.send(world.cluster().object(&reference, now));
                    }
                    SandboxRequest::Pods(reply) => {
                        let _ = reply.send(world.pods());
                    }
                    SandboxRequest::ManagedResources(app, reply) => {
                        let _ = reply.send(world.cluster().managed_resources(&app));
                    }
                    SandboxRequest::SyncWindows(app, reply) => {
                        let _ = reply.send(world.cluster().sync_windows(&app));
                    }
                    SandboxRequest::Alerts(reply) => {
                        let _ = reply.send(world.alerts_snapshot());
                    }
                    SandboxRequest::Silence(request, user, reply) => {
                        let _ = reply.send(world.silence_action(&request, &user));
                    }
                    SandboxRequest::KafkaPlan(request, reply) => {
                        let _ = reply.send(world.kafka_plan(&request));
                    }
                    SandboxRequest::KafkaFirstAid(request, reply) => {
                        let _ = reply.send(world.kafka_first_aid(&request));
                    }
                    SandboxRequest::KafkaConfigs(topic, reply) => {
                        let _ = reply.send(world.kafka_configs(&topic));
                    }
                    SandboxRequest::TraceSearch(search, reply) => {
                        let _ = reply.send(telemetry::search(&world, &search));
                    }
                    SandboxRequest::Trace(id, reply) => {
                        let _ = reply.send(telemetry::trace(&world, &id));
                    }
                    SandboxRequest::Logs(target, from, reply) => {
                        let _ = reply.send(world.logs(&target, from));
                    }
                    SandboxRequest::Metrics(query, at, reply) => {
                        let _ = reply.send(world.metrics_answer(&query, at));
                    }
                    SandboxRequest::PgAction(request, reply) => {
                        let _ = reply.send(world.pg_action(&request));
                    }
                    SandboxRequest::PgLocks(database, pid, reply) => {
                        let _ = reply.send(world.pg_locks(&database, pid));
                    }
                }
            }
        });
        Self { tx }
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> SandboxRequest,
    ) -> Result<T, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| "sandbox stopped".to_owned())?;
        rx.await.map_err(|_| "sandbox stopped".to_owned())
    }

    pub async fn catalog(&self) -> Result<Arc<Catalog>, String> {
        self.ask(SandboxRequest::Catalog).await
    }

    pub async fn kafka(&self) -> Result<Arc<crate::model::kafka::KafkaSnapshot>, String> {
        self.ask(SandboxRequest::Kafka).await
    }

    pub async fn kafka_action(
        &self,
        request: crate::actions::ActionRequest,
    ) -> Result<String, String> {
        self.ask(|reply| SandboxRequest::KafkaAction(request, reply))
            .await?
    }

    pub async fn kube(
        &self,
        generation: u64,
    ) -> Result<crate::sources::kube::KubeSnapshot, String> {
        self.ask(|reply| SandboxRequest::Kube(generation, reply))
            .await
    }

    pub async fn kube_action(
        &self,
        request: crate::actions::ActionRequest,
        user: String,
    ) -> Result<String, String> {
        self.ask(|reply| SandboxRequest::KubeAction(request, user, reply))
            .await?
    }

    pub async fn kafka_plan(
        &self,
        request: crate::actions::ActionRequest,
    ) -> Result<String, String> {
        self.ask(|reply| SandboxRequest::KafkaPlan(request, reply))
            .await?
    }

    /// A reset's plan or a peek on the simulated cluster.
    pub async fn kafka_first_aid(
        &self,
        request: crate::actions::ActionRequest,
    ) -> Result<kafka_first_aid::Answer, String> {
        self.ask(|reply| SandboxRequest::KafkaFirstAid(request, reply))
            .await?
    }

    pub async fn kafka_configs(
        &self,
        topic: &str,
    ) -> Result<Vec<crate::model::kafka::TopicConfig>, String> {
        let topic = topic.to_owned();
        self.ask(|reply| SandboxRequest::KafkaConfigs(topic, reply))
            .await?
    }

    pub async fn logs(
        &self,
        target: crate::sources::logs::LogTarget,
        from: Option<Timestamp>,
    ) -> Result<logs::LogWindow, String> {
        self.ask(|reply| SandboxRequest::Logs(target, from, reply))
            .await
    }

    pub async fn trace_search(
        &self,
        search: crate::sources::traces::TraceSearch,
    ) -> Result<Vec<crate::model::traces::TraceSummary>, String> {
        self.ask(|reply| SandboxRequest::TraceSearch(search, reply))
            .await?
    }

    pub async fn trace(&self, id: String) -> Result<Option<crate::model::traces::Trace>, String> {
        self.ask(|reply| SandboxRequest::Trace(id, reply)).await
    }

    /// One object of the simulated cluster, whole, with its events.
    pub async fn kube_object(
        &self,
        reference: crate::model::k8s::ObjectRef,
    ) -> Result<crate::model::k8s::object_ref::ObjectDoc, String> {
        self.ask(|reply| SandboxRequest::KubeObject(reference, reply))
            .await?
    }

    /// Every pod of the simulated cluster, whole.
    pub async fn pods(&self) -> Result<Vec<serde_json::Value>, String> {
        self.ask(SandboxRequest::Pods).await
    }

    pub async fn managed_resources(&self, app: String) -> Result<serde_json::Value, String> {
        self.ask(|reply| SandboxRequest::ManagedResources(app, reply))
            .await?
    }

    pub async fn sync_windows(&self, app: String) -> Result<serde_json::Value, String> {
        self.ask(|reply| SandboxRequest::SyncWindows(app, reply))
            .await?
    }

    pub async fn alerts(&self) -> Result<crate::model::alerts::AlertsSnapshot, String> {
        self.ask(SandboxRequest::Alerts).await
    }

    pub async fn silence(
        &self,
        request: crate::actions::ActionRequest,
        user: String,
    ) -> Result<String, String> {
        self.ask(|reply| SandboxRequest::Silence(request, user, reply))
            .await?
    }

    /// One query of the simulated Prometheus.
    pub async fn metrics(
        &self,
        query: crate::sources::metrics::MetricQuery,
        at: crate::sources::prometheus::Evaluation,
    ) -> Result<Result<crate::model::metrics::PromAnswer, crate::model::metrics::PromError>, String>
    {
        self.ask(|reply| SandboxRequest::Metrics(query, at, reply))
            .await
    }

    pub async fn now(&self) -> Result<Timestamp, String> {
        self.ask(SandboxRequest::Now).await
    }

    pub async fn inject(&self, incident: Incident) {
        let _ = self.tx.send(SandboxRequest::Inject(incident)).await;
    }

    pub async fn resolve(&self, service: &str) {
        let _ = self
            .tx
            .send(SandboxRequest::Resolve(service.to_owned()))
            .await;
    }
}

/// The sandbox fulfils approved topic requests itself, through the same trait a real
/// broker's admin client implements.
impl TopicCreator for SandboxHandle {
    fn create_topic(
        &self,
        spec: KafkaTopicSpec,
    ) -> BoxFuture<'static, Result<serde_json::Value, String>> {
        let handle = self.clone();
        Box::pin(async move {
            handle
                .ask(|reply| SandboxRequest::CreateTopic(spec, reply))
                .await?
        })
    }
}

/// Starts the sandbox catalog source.
#[must_use]
pub fn spawn_catalog(
    sandbox: SandboxHandle,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Catalog, generation, events);
    let settings = PollSettings {
        interval: Duration::from_secs(5),
        timeout: Duration::from_secs(2),
    };
    let task = tokio::spawn(poller::run(reporter, control_rx, settings, move |_scope| {
        let sandbox = sandbox.clone();
        async move { sandbox.catalog().await.map(SourceBody::Catalog) }
    }));
    SourceHandle::new(SourceId::Catalog, control_tx, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_world_has_incidents_and_a_full_catalog() {
        let world = World::new(42, Timestamp::UNIX_EPOCH);
        assert_eq!(world.active_incidents().count(), 4);
        let catalog = world.catalog();
        assert!(catalog.services().count() >= 35);
        let checkout = catalog.service("checkout-api").expect("exists");
        assert!(checkout.dependency_of.contains(&"api-gateway".to_owned()));
    }

    #[test]
    fn the_catalog_makes_up_no_slo_figures() {
        let world = World::new(42, Timestamp::UNIX_EPOCH);
        let catalog = world.catalog();
        for s in catalog.services() {
            let slo = s.slo.as_ref().expect("a target");
            assert!(
                slo.current.is_none() && slo.budget_left.is_none(),
                "{}",
                s.name
            );
        }
    }
}
