//! The environment of the run loop: the config, the sandbox worlds, and per context the
//! sources, the platform client, the audit gate and the executors.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::actions::gate::{AuditGate, local_client_info};
use crate::actions::journal::{Backoff, Journal};
use crate::app::state::State;
use crate::config::{CatalogConfig, Config, PlatformConfig};
use crate::model::SourceHealth;
use crate::platform::server::LocalServer;
use crate::sources::backend::{Backends, Unavailable};
use crate::sources::kafka::backend::RealKafka;
use crate::sources::kube::backend::RealKube;
use crate::sources::platform::{PlatformClient, Token};
use crate::sources::postgres::backend::RealPg;
use crate::sources::postgres::monitor::PgSettings;
use crate::sources::sandbox::backend::SandboxBackend;
use crate::sources::sandbox::{SandboxHandle, World};
use crate::sources::{Reporter, SourceEvent, SourceHandle, SourceId};
use crate::theme::ColorDepth;

/// Everything the loop needs besides the state: config, where user files live, the
/// sandbox worlds (kept per context so switching back finds the same world) and the platform
/// API client of the current context.
#[derive(Debug)]
pub struct Environment {
    pub config: Config,
    pub config_dir: Option<PathBuf>,
    /// Where the sandbox platform store and the audit journal live; `None` runs without a
    /// platform in sandbox contexts (tests, benchmarks).
    pub data_dir: Option<PathBuf>,
    pub depth: ColorDepth,
    /// Start time of sandbox worlds.
    pub sandbox_start: Timestamp,
    /// Command the sandbox platform runs to provision read replicas.
    pub sandbox_provisioner: Option<String>,
    /// User name for the sandbox platform identity.
    pub user: String,
    sandboxes: HashMap<String, SandboxHandle>,
    sandbox_platform: Option<(LocalServer, PlatformClient)>,
    /// Client of the current context's platform API.
    pub platform: Option<PlatformClient>,
    /// The checkpoint keys the current context's platform is trusted with.
    pub checkpoint_keys: Vec<crate::model::checkpoint::PublicKey>,
    /// The audit gate of the current context (needs the platform API).
    pub gate: Option<AuditGate>,
    /// Runs admitted actions in the current context.
    /// The backends of the current context (real or sandbox), chosen when it starts.
    pub backends: Backends,
    /// Whether the user asked for read-only mode (the gate refuses dangerous actions too).
    pub readonly: bool,
    resender: Option<tokio::task::JoinHandle<()>>,
    current_sandbox: Option<SandboxHandle>,
    /// Where the current context's traces come from.
    traces: Option<crate::sources::trace_feed::TraceLookup>,
}

impl Environment {
    #[must_use]
    pub fn new(config: Config, config_dir: Option<PathBuf>, depth: ColorDepth) -> Self {
        Self {
            config,
            config_dir,
            data_dir: None,
            depth,
            sandbox_start: Timestamp::now(),
            sandbox_provisioner: None,
            user: "dev".to_owned(),
            sandboxes: HashMap::new(),
            sandbox_platform: None,
            platform: None,
            checkpoint_keys: Vec::new(),
            gate: None,
            backends: Backends::default(),
            readonly: false,
            resender: None,
            current_sandbox: None,
            traces: None,
        }
    }

    /// The sandbox world of a context, started on first use.
    pub fn sandbox(&mut self, context: &str, seed: u64) -> SandboxHandle {
        let start = self.sandbox_start;
        self.sandboxes
            .entry(context.to_owned())
            .or_insert_with(|| SandboxHandle::spawn(World::new(seed, start)))
            .clone()
    }

    /// The in-process platform server of the sandbox (one for all sandbox contexts),
    /// started on first use: the sandbox exercises the real audit path.
    async fn sandbox_platform(&mut self, world: &SandboxHandle) -> Result<PlatformClient, String> {
        if let Some((_, client)) = &self.sandbox_platform {
            return Ok(client.clone());
        }
        let data_dir = self
            .data_dir
            .clone()
            .ok_or("no data dir for the sandbox platform")?;
        std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
        let mut setup = crate::platform::sandbox::sandbox_setup(&data_dir, &self.user);
        setup
            .options
            .provisioner
            .clone_from(&self.sandbox_provisioner);
        setup.options.topic_creator = Some(std::sync::Arc::new(world.clone()));
        let server = crate::platform::server::spawn_local(setup.options)
            .await
            .map_err(|e| e.to_string())?;
        let client = PlatformClient::new(&server.url(), Token::new(setup.token))
            .map_err(|e| e.to_string())?;
        // No key is configured for it: the console takes the sandbox's key on first use, so
        // a verify before its first checkpoint says "none yet" rather than a problem.
        self.sandbox_platform = Some((server, client.clone()));
        Ok(client)
    }

    /// What `verify` holds the current context's platform to.
    #[must_use]
    pub fn checkpoint_trust(&self) -> crate::runtime::platform_calls::Trust {
        crate::runtime::platform_calls::Trust {
            keys: self.checkpoint_keys.clone(),
            data_dir: self.data_dir.clone(),
        }
    }

    /// Where traces are opened from in the current context.
    #[must_use]
    pub fn trace_lookup(&self) -> crate::sources::trace_feed::TraceLookup {
        self.traces.clone().unwrap_or_else(|| {
            crate::sources::trace_feed::TraceLookup::Unavailable(
                "no trace backend in this context (configure tempo or jaeger)".into(),
            )
        })
    }

    /// The log source a context configures: Loki first, else the pods of its kube context.
    async fn log_source(
        &self,
        ctx: &crate::config::Context,
        generation: u64,
        events: &mpsc::Sender<SourceEvent>,
    ) -> Result<Option<SourceHandle>, String> {
        if let Some(loki) = &ctx.loki {
            let token = loki
                .token
                .as_ref()
                .map(crate::config::SecretRef::resolve)
                .transpose()
                .map_err(|e| format!("loki token: {e}"))?;
            let tls = crate::tls::client_config(&loki.tls).map_err(|e| format!("loki: {e}"))?;
            let config = crate::sources::logs::loki::LokiConfig {
                url: loki.url.clone(),
                token,
                headers: loki.headers.clone(),
                tls: Some(tls),
            };
            return Ok(Some(crate::sources::logs::loki::spawn_with(
                config,
                generation,
                events.clone(),
                self.config.log_stream,
            )));
        }
        let Some(kube_context) = &ctx.kube_context else {
            return Ok(None);
        };
        let client = crate::sources::kube::client_for_context(kube_context, None).await?;
        let namespace = ctx
            .kube_namespaces
            .first()
            .cloned()
            .unwrap_or_else(|| client.default_namespace().to_owned());
        Ok(Some(crate::sources::logs::pods::spawn_with(
            client,
            namespace,
            generation,
            events.clone(),
            self.config.log_stream,
        )))
    }

    /// The trace backend a context configures: Tempo first, else Jaeger.
    fn trace_backend(
        ctx: &crate::config::Context,
    ) -> Option<Result<crate::sources::traces::TraceBackend, String>> {
        use crate::sources::traces::{JaegerClient, TempoClient, TraceBackend};
        let (backend, kind) = match (&ctx.tempo, &ctx.jaeger) {
            (Some(b), _) => (b, "tempo"),
            (None, Some(b)) => (b, "jaeger"),
            (None, None) => return None,
        };
        let token = match backend
            .token
            .as_ref()
            .map(crate::config::SecretRef::resolve)
        {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => return Some(Err(format!("{kind} token: {e}"))),
            None => None,
        };
        let tls = match crate::tls::client_config(&backend.tls) {
            Ok(tls) => tls,
            Err(e) => return Some(Err(format!("{kind}: {e}"))),
        };
        let http = match crate::tls::reqwest_builder(&tls)
            .connect_timeout(Duration::from_secs(5))
            .build()
        {
            Ok(http) => http,
            Err(e) => return Some(Err(format!("{kind} client: {e}"))),
        };
        Some(match kind {
            "tempo" => TempoClient::new(http, &backend.url, token).map(TraceBackend::Tempo),
            _ => JaegerClient::new(http, &backend.url, token).map(TraceBackend::Jaeger),
        })
    }

    /// The Alertmanager backend a context configures: its URL, token by reference, extra
    /// headers and TLS.
    pub(crate) fn alertmanager(
        &self,
        config: &crate::config::HttpBackend,
        prometheus: Option<&crate::config::PrometheusConfig>,
    ) -> Result<Arc<dyn crate::sources::backend::AlertsBackend>, String> {
        let http = http_client("alertmanager", config)?;
        let pending = prometheus
            .filter(|p| p.pending_alerts)
            .map(Self::metrics_backend)
            .transpose()?;
        let client = crate::sources::alertmanager::AlertmanagerClient::new(&config.url, http)?;
        Ok(Arc::new(crate::sources::alertmanager::RealAlerts {
            client,
            user: self.user.clone(),
            pending,
        }))
    }

    /// The Prometheus client of a context: its token resolved, its headers and TLS set.
    fn metrics_backend(
        config: &crate::config::PrometheusConfig,
    ) -> Result<crate::sources::prometheus::PrometheusClient, String> {
        let backend = &config.backend;
        let token = backend
            .token
            .as_ref()
            .map(crate::config::SecretRef::resolve)
            .transpose()
            .map_err(|e| format!("prometheus token: {e}"))?;
        let tls =
            crate::tls::client_config(&backend.tls).map_err(|e| format!("prometheus: {e}"))?;
        crate::sources::prometheus::PrometheusClient::new(
            &backend.url,
            token.as_deref(),
            &backend.headers,
            Some(&tls),
        )
    }

    /// The platform client of a configured (non-sandbox) context.
    async fn configured_platform(config: &PlatformConfig) -> Result<PlatformClient, String> {
        let token = match config.token.clone() {
            Some(secret) => tokio::task::spawn_blocking(move || secret.resolve())
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?,
            None => String::new(),
        };
        let config = config.clone();
        tokio::task::spawn_blocking(move || PlatformClient::connect(&config, Token::new(token)))
            .await
            .map_err(|e| e.to_string())?
    }

    /// Starts the sources of one context and connects its platform API.
    #[expect(
        clippy::too_many_lines,
        reason = "starts each configured source in turn, with the client, journal and gate they share"
    )]
    pub async fn spawn_sources(
        &mut self,
        context: &str,
        generation: u64,
        events: &mpsc::Sender<SourceEvent>,
    ) -> Vec<SourceHandle> {
        let Some(ctx) = self.config.context(context).cloned() else {
            return Vec::new();
        };
        let mut handles = Vec::new();
        self.platform = None;
        self.checkpoint_keys = ctx
            .platform
            .as_ref()
            .map(|p| p.checkpoint_keys.clone())
            .unwrap_or_default();
        self.gate = None;
        self.backends = Backends::default();
        self.current_sandbox = None;
        self.traces = None;
        if let Some(task) = self.resender.take() {
            task.abort();
        }
        if !ctx.local_logs.is_empty() {
            let inputs = ctx
                .local_logs
                .iter()
                .map(|p| crate::sources::logs::local::LocalInput::parse(p))
                .collect();
            let keep = self
                .config
                .log_lines
                .unwrap_or(crate::model::logs::DEFAULT_CAPACITY);
            handles.push(crate::sources::logs::local::spawn_with(
                inputs,
                keep,
                crate::model::logs::ParseOptions {
                    ansi: ctx.local_ansi,
                    // Year-less stamps (syslog files) are placed near the time the view opened.
                    reference_nanos: i64::try_from(jiff::Timestamp::now().as_nanosecond()).ok(),
                },
                generation,
                events.clone(),
                self.config.log_stream,
            ));
            for id in [
                SourceId::Catalog,
                SourceId::Kube,
                SourceId::Postgres,
                SourceId::Kafka,
                SourceId::Traces,
                SourceId::Alerts,
                SourceId::Metrics,
            ] {
                report(id, generation, events, SourceHealth::Off);
            }
            return handles;
        }
        let platform = if let Some(seed) = ctx.sandbox_seed {
            let sandbox = self.sandbox(&ctx.name, seed);
            self.current_sandbox = Some(sandbox.clone());
            let world = Arc::new(SandboxBackend::new(sandbox.clone(), self.user.clone()));
            self.backends = Backends {
                pg: world.clone(),
                kafka: world.clone(),
                kube: world.clone(),
                alerts: world,
            };
            handles.push(crate::sources::alerts::spawn(
                self.backends.alerts.clone(),
                crate::sources::alerts::DEFAULT_REFRESH,
                generation,
                events.clone(),
            ));
            handles.push(crate::sources::sandbox::apps::spawn_kube(
                sandbox.clone(),
                generation,
                events.clone(),
            ));
            let lookup = crate::sources::trace_feed::TraceLookup::Sandbox(sandbox.clone());
            self.traces = Some(lookup.clone());
            handles.push(crate::sources::trace_feed::spawn(
                lookup,
                generation,
                events.clone(),
            ));
            handles.push(crate::sources::sandbox::logs::spawn_logs(
                sandbox.clone(),
                generation,
                events.clone(),
            ));
            handles.push(crate::sources::sandbox::kafka::spawn_kafka(
                sandbox.clone(),
                generation,
                events.clone(),
            ));
            for database in crate::sources::sandbox::pg::databases() {
                handles.push(crate::sources::sandbox::pg::spawn_postgres(
                    sandbox.clone(),
                    database.to_owned(),
                    generation,
                    events.clone(),
                ));
            }
            // The metrics source reads the catalog (targets, overrides) through a tap.
            let (catalog_events, catalog_tap) =
                crate::sources::metrics::tap_catalog(events.clone());
            handles.push(crate::sources::sandbox::spawn_catalog(
                sandbox.clone(),
                generation,
                catalog_events,
            ));
            handles.push(crate::sources::metrics::spawn(
                Arc::new(crate::sources::sandbox::metrics::SandboxMetrics {
                    world: sandbox.clone(),
                }),
                crate::sources::metrics::MetricsSettings::defaults(),
                catalog_tap,
                generation,
                events.clone(),
            ));
            if self.data_dir.is_some() {
                Some(self.sandbox_platform(&sandbox).await)
            } else {
                None
            }
        } else {
            let (catalog_events, catalog_tap) =
                crate::sources::metrics::tap_catalog(events.clone());
            match &ctx.catalog {
                Some(CatalogConfig::Backstage { url, token, tls }) => {
                    handles.push(crate::sources::backstage::spawn(
                        url,
                        token.clone(),
                        tls.clone(),
                        generation,
                        catalog_events,
                    ));
                }
                Some(CatalogConfig::Dir { path }) => handles.push(
                    crate::sources::catalog_files::spawn(path.clone(), generation, catalog_events),
                ),
                None => report(SourceId::Catalog, generation, events, SourceHealth::Off),
            }
            if !ctx.postgres.is_empty() {
                self.backends.pg = Arc::new(RealPg::new(ctx.postgres.clone()));
            }
            for db in &ctx.postgres {
                handles.push(crate::sources::postgres::monitor::spawn(
                    db.clone(),
                    PgSettings::new(PgSettings::DEFAULT_REFRESH),
                    generation,
                    events.clone(),
                ));
            }
            match &ctx.kafka {
                // One client per context, shared by the source and the executor.
                Some(kafka) => {
                    let settings = crate::sources::kafka::KafkaSettings::default()
                        .with_refresh(kafka.refresh_ms.map(Duration::from_millis));
                    match crate::sources::kafka::connect(kafka, settings.call_timeout).await {
                        Ok(client) => {
                            self.backends.kafka = Arc::new(RealKafka {
                                executor: crate::sources::kafka::admin::KafkaExecutor::new(
                                    client.clone(),
                                    kafka.dry_run(),
                                ),
                            });
                            handles.push(crate::sources::kafka::spawn_with_client(
                                client,
                                settings,
                                generation,
                                events.clone(),
                            ));
                        }
                        Err(message) => {
                            self.backends.kafka = Arc::new(Unavailable(message.clone()));
                            let health = SourceHealth::Error {
                                message,
                                since: Timestamp::now(),
                                last_good: None,
                            };
                            report(SourceId::Kafka, generation, events, health);
                        }
                    }
                }
                None => report(SourceId::Kafka, generation, events, SourceHealth::Off),
            }
            match &ctx.kube_context {
                Some(kube_context) => {
                    let argo_namespaces = ctx
                        .argocd
                        .as_ref()
                        .map(|a| a.namespaces.clone())
                        .unwrap_or_default();
                    let argo_api = ctx.argocd.as_ref().and_then(|argocd| {
                        argocd
                            .api_url
                            .clone()
                            .map(|url| crate::sources::kube::exec::ArgoApi {
                                url,
                                token: argocd.token.clone(),
                                tls: argocd.tls.clone(),
                            })
                    });
                    self.backends.kube = Arc::new(RealKube {
                        executor: crate::sources::kube::exec::KubeExecutor::for_context(
                            None,
                            kube_context.clone(),
                            argo_namespaces.clone(),
                            argo_api,
                            self.user.clone(),
                        ),
                    });
                    handles.push(crate::sources::kube::source::spawn(
                        None,
                        kube_context.clone(),
                        crate::sources::kube::WatchScope {
                            argo_namespaces,
                            workload_namespaces: ctx.kube_namespaces.clone(),
                        },
                        generation,
                        events.clone(),
                    ));
                }
                None => report(SourceId::Kube, generation, events, SourceHealth::Off),
            }
            if ctx.postgres.is_empty() {
                report(SourceId::Postgres, generation, events, SourceHealth::Off);
            }
            match self.log_source(&ctx, generation, events).await {
                Ok(Some(handle)) => handles.push(handle),
                Ok(None) => report(SourceId::Logs, generation, events, SourceHealth::Off),
                Err(message) => {
                    let health = SourceHealth::Error {
                        message,
                        since: Timestamp::now(),
                        last_good: None,
                    };
                    report(SourceId::Logs, generation, events, health);
                }
            }
            match Self::trace_backend(&ctx) {
                Some(Ok(backend)) => {
                    let lookup = crate::sources::trace_feed::TraceLookup::Backend(backend);
                    self.traces = Some(lookup.clone());
                    handles.push(crate::sources::trace_feed::spawn(
                        lookup,
                        generation,
                        events.clone(),
                    ));
                }
                Some(Err(message)) => {
                    let health = SourceHealth::Error {
                        message,
                        since: Timestamp::now(),
                        last_good: None,
                    };
                    report(SourceId::Traces, generation, events, health);
                }
                None => report(SourceId::Traces, generation, events, SourceHealth::Off),
            }
            match ctx
                .alertmanager
                .as_ref()
                .map(|am| self.alertmanager(am, ctx.prometheus.as_ref()))
            {
                Some(Ok(backend)) => {
                    self.backends.alerts = backend.clone();
                    handles.push(crate::sources::alerts::spawn(
                        backend,
                        crate::sources::alerts::DEFAULT_REFRESH,
                        generation,
                        events.clone(),
                    ));
                }
                Some(Err(message)) => {
                    self.backends.alerts = Arc::new(Unavailable(message.clone()));
                    let health = SourceHealth::Error {
                        message,
                        since: Timestamp::now(),
                        last_good: None,
                    };
                    report(SourceId::Alerts, generation, events, health);
                }
                None => report(SourceId::Alerts, generation, events, SourceHealth::Off),
            }
            match &ctx.prometheus {
                Some(config) => match Self::metrics_backend(config) {
                    Ok(client) => handles.push(crate::sources::metrics::spawn(
                        Arc::new(client),
                        crate::sources::metrics::MetricsSettings::from_config(config),
                        catalog_tap,
                        generation,
                        events.clone(),
                    )),
                    Err(message) => {
                        let health = SourceHealth::Error {
                            message,
                            since: Timestamp::now(),
                            last_good: None,
                        };
                        report(SourceId::Metrics, generation, events, health);
                    }
                },
                None => report(SourceId::Metrics, generation, events, SourceHealth::Off),
            }
            match &ctx.platform {
                Some(config) => Some(Self::configured_platform(config).await),
                None => None,
            }
        };
        match platform {
            Some(Ok(client)) => {
                handles.push(crate::sources::platform_feed::spawn(
                    client.clone(),
                    Duration::from_secs(2),
                    generation,
                    events.clone(),
                ));
                if let Some(dir) = &self.data_dir {
                    match Journal::open(dir) {
                        // Outcomes left unsent by an earlier run (or a crash) go out now.
                        Ok(journal) => {
                            self.resender =
                                Some(journal.spawn_resender(client.clone(), Backoff::default()));
                            let gate = AuditGate::new(
                                client.clone(),
                                journal,
                                self.user.clone(),
                                local_client_info(),
                            )
                            .with_readonly(self.readonly);
                            self.gate = Some(gate);
                        }
                        // No journal, no gate: an outcome could be lost, so nothing may run.
                        Err(e) => tracing::error!(%e, "cannot open the audit journal"),
                    }
                }
                self.platform = Some(client);
            }
            Some(Err(message)) => {
                let health = SourceHealth::Error {
                    message,
                    since: Timestamp::now(),
                    last_good: None,
                };
                report(SourceId::Platform, generation, events, health);
            }
            None => report(SourceId::Platform, generation, events, SourceHealth::Off),
        }
        handles
    }
}

/// An HTTP client for one backend: its TLS, its token as a bearer, its extra headers.
///
/// # Errors
/// A token that cannot be resolved, a TLS file that cannot be read, a bad header, named by
/// `what`.
pub fn http_client(
    what: &str,
    config: &crate::config::HttpBackend,
) -> Result<reqwest::Client, String> {
    use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
    let tls = crate::tls::client_config(&config.tls).map_err(|e| format!("{what}: {e}"))?;
    let mut headers = HeaderMap::new();
    if let Some(token) = &config.token {
        let token = token.resolve().map_err(|e| format!("{what} token: {e}"))?;
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| format!("{what} token: not usable in an HTTP header"))?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    for (name, value) in &config.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{what} header `{name}`: not a header name"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("{what} header `{name}`: not a header value"))?;
        headers.insert(name, value);
    }
    crate::tls::reqwest_builder(&tls)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .default_headers(headers)
        .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("{what} client: {e}"))
}

fn report(
    source: SourceId,
    generation: u64,
    events: &mpsc::Sender<SourceEvent>,
    health: SourceHealth,
) {
    let reporter = Reporter::new(source, generation, events.clone());
    tokio::spawn(async move {
        reporter.health(health).await;
    });
}

/// Fills the context fields of the state from the config.
pub fn apply_context(state: &mut State, config: &Config) {
    state.context.debug_image = config.debug_image.clone().unwrap_or_default();
    if let Some(ctx) = config.context(&state.context.name) {
        state.context.production = ctx.production;
        state.context.sandbox = ctx.sandbox_seed.is_some();
        state.context.kafka_brokers = if ctx.sandbox_seed.is_some() {
            crate::sources::sandbox::BROKERS
        } else {
            ctx.kafka.as_ref().map_or(0, |k| k.brokers.len())
        };
        state.context.platform = ctx.platform.is_some() || ctx.sandbox_seed.is_some();
        state.context.argo_api =
            ctx.sandbox_seed.is_none() && ctx.argocd.as_ref().is_some_and(|a| a.api_url.is_some());
        state.kube_access.argo_api = state.context.argo_api;
        state.context.no_argocd = ctx.sandbox_seed.is_none() && ctx.argocd.is_none();
        state.context.no_logql = if !ctx.local_logs.is_empty() {
            Some("these are local files: / searches them".to_owned())
        } else if ctx.loki.is_none() && ctx.sandbox_seed.is_none() {
            Some("this context reads pod logs: add `loki = { url = \"…\" }` to it".to_owned())
        } else {
            None
        };
        let databases: Vec<String> = if ctx.sandbox_seed.is_some() {
            crate::sources::sandbox::fleet::SQUADS
                .iter()
                .map(|s| s.database.to_owned())
                .collect()
        } else {
            ctx.postgres.iter().map(|d| d.name.clone()).collect()
        };
        let mut vars = crate::model::custom_command::Vars::default();
        vars.set("opsdeck_context", ctx.name.as_str());
        if let Some(kube) = &ctx.kube_context {
            vars.set("context", kube.as_str());
        }
        if ctx.sandbox_seed.is_some() {
            // The sandbox's stand-ins (`opsdeck sandbox`'s kubectl, psql, kcat) take these.
            vars.set("context", ctx.name.as_str());
            vars.set("brokers", crate::sources::sandbox::tools::BOOTSTRAP);
            state.context.dsns = databases
                .iter()
                .map(|db| (db.clone(), crate::sources::sandbox::tools::dsn(db)))
                .collect();
        } else {
            if let Some(kafka) = &ctx.kafka {
                vars.set("brokers", kafka.brokers.join(","));
            }
            state.context.dsns = ctx
                .postgres
                .iter()
                .map(|d| (d.name.clone(), d.dsn.clone()))
                .collect();
        }
        state.context.command_vars = vars;
        if state.panes.postgres.databases != databases {
            state.panes.postgres.reset(databases);
        }
        let labels = if ctx.alert_service_labels.is_empty() {
            crate::model::alerts::DEFAULT_SERVICE_LABELS
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        } else {
            ctx.alert_service_labels.clone()
        };
        if state.panes.alerts.service_labels != labels {
            state.panes.alerts.service_labels = labels;
            crate::app::panes::Pane::refresh_view(&mut state.panes.alerts);
        }
        state.readonly = state.readonly || ctx.readonly || config.readonly;
        crate::app::tours::enforce_read_only(state);
    }
    state.context.available = config.contexts.iter().map(|c| c.name.clone()).collect();
    state.context.production_contexts = config
        .contexts
        .iter()
        .filter(|c| c.production)
        .map(|c| c.name.clone())
        .collect();
    state.context.alert_labels = config
        .contexts
        .iter()
        .filter(|c| !c.alert_service_labels.is_empty())
        .map(|c| (c.name.clone(), c.alert_service_labels.clone()))
        .collect();
    state
        .panes
        .attention
        .retain_contexts(&state.context.available);
    state.summaries.remove(&state.context.name);
}
