//! The summary sources of every context but the active one: only the cheap ones (catalog,
//! alerts, Argo CD and workload health, waiting sessions, lag), polled at a slower pace,
//! one connection each at most. Each context's events go to the app as
//! [`Msg::Summary`], tagged with the context; a context that cannot connect reports its
//! error like any source and never holds up another or the keys.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::mpsc;

use super::environment::Environment;
use crate::app::msg::Msg;
use crate::sources::{Control, SourceEvent, SourceHandle};

/// How often a background context's pollers run.
pub const SUMMARY_REFRESH: Duration = Duration::from_secs(30);

/// The running summary sources, per context.
#[derive(Default)]
pub struct Summaries {
    running: BTreeMap<String, (Vec<SourceHandle>, tokio::task::JoinHandle<()>)>,
}

impl Drop for Summaries {
    fn drop(&mut self) {
        for (_, (_, forward)) in std::mem::take(&mut self.running) {
            forward.abort();
        }
    }
}

impl Summaries {
    /// Runs summary sources for every configured context but `active` (stopping the
    /// active one's, which now has its full sources).
    pub async fn follow(&mut self, env: &mut Environment, active: &str, app: &mpsc::Sender<Msg>) {
        if let Some((_, forward)) = self.running.remove(active) {
            forward.abort();
        }
        let names: Vec<String> = env
            .config
            .contexts
            .iter()
            .map(|c| c.name.clone())
            .filter(|n| n != active)
            .collect();
        for name in names {
            if self.running.contains_key(&name) {
                continue;
            }
            let (tx, mut rx) = mpsc::channel::<SourceEvent>(256);
            let handles = env.spawn_summary_sources(&name, &tx).await;
            for handle in &handles {
                handle.send(Control::SetInterval(SUMMARY_REFRESH));
            }
            let app = app.clone();
            let context = name.clone();
            let forward = tokio::spawn(async move {
                while let Some(event) = rx.recv().await {
                    let msg = Msg::Summary {
                        context: context.clone(),
                        event,
                    };
                    if app.send(msg).await.is_err() {
                        break;
                    }
                }
            });
            self.running.insert(name, (handles, forward));
        }
    }
}

/// The summary sources [`Environment::spawn_summary_sources`] starts for `ctx`, and the
/// databases it watches (one Postgres source each): what `opsdeck status` waits for. Kept
/// beside the spawning so the two cannot drift.
#[must_use]
pub fn summary_sources(
    ctx: &crate::config::Context,
) -> (Vec<crate::sources::SourceId>, Vec<String>) {
    use crate::sources::SourceId;
    if !ctx.local_logs.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let sandbox = ctx.sandbox_seed.is_some();
    let ids = [
        (SourceId::Catalog, ctx.catalog.is_some()),
        (SourceId::Alerts, ctx.alertmanager.is_some()),
        (SourceId::Kube, ctx.kube_context.is_some()),
        (SourceId::Kafka, ctx.kafka.is_some()),
    ]
    .into_iter()
    .filter(|&(_, configured)| sandbox || configured)
    .map(|(id, _)| id)
    .collect();
    let databases = if sandbox {
        crate::sources::sandbox::pg::databases()
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        ctx.postgres.iter().map(|d| d.name.clone()).collect()
    };
    (ids, databases)
}

impl Environment {
    /// Starts the summary sources of `context` (never its logs, traces or platform), all
    /// reporting to `events` with generation 0.
    #[expect(
        clippy::too_many_lines,
        reason = "one block per summary source, in the order the context declares them"
    )]
    pub async fn spawn_summary_sources(
        &mut self,
        context: &str,
        events: &mpsc::Sender<SourceEvent>,
    ) -> Vec<SourceHandle> {
        let Some(ctx) = self.config.context(context).cloned() else {
            return Vec::new();
        };
        let mut handles = Vec::new();
        if !ctx.local_logs.is_empty() {
            return handles;
        }
        if let Some(seed) = ctx.sandbox_seed {
            let sandbox = self.sandbox(&ctx.name, seed);
            let world = std::sync::Arc::new(crate::sources::sandbox::backend::SandboxBackend::new(
                sandbox.clone(),
                self.user.clone(),
            ));
            handles.push(crate::sources::sandbox::spawn_catalog(
                sandbox.clone(),
                0,
                events.clone(),
            ));
            handles.push(crate::sources::alerts::spawn(
                world,
                SUMMARY_REFRESH,
                0,
                events.clone(),
            ));
            handles.push(crate::sources::sandbox::apps::spawn_kube(
                sandbox.clone(),
                0,
                events.clone(),
            ));
            handles.push(crate::sources::sandbox::kafka::spawn_kafka(
                sandbox.clone(),
                0,
                events.clone(),
            ));
            for database in crate::sources::sandbox::pg::databases() {
                handles.push(crate::sources::sandbox::pg::spawn_postgres(
                    sandbox.clone(),
                    database.to_owned(),
                    0,
                    events.clone(),
                ));
            }
            return handles;
        }
        match &ctx.catalog {
            Some(crate::config::CatalogConfig::Backstage { url, token, tls }) => {
                handles.push(crate::sources::backstage::spawn(
                    url,
                    token.clone(),
                    tls.clone(),
                    0,
                    events.clone(),
                ));
            }
            Some(crate::config::CatalogConfig::Dir { path }) => handles.push(
                crate::sources::catalog_files::spawn(path.clone(), 0, events.clone()),
            ),
            None => {}
        }
        if let Some(am) = &ctx.alertmanager {
            match self.alertmanager(am, ctx.prometheus.as_ref()) {
                Ok(backend) => handles.push(crate::sources::alerts::spawn(
                    backend,
                    SUMMARY_REFRESH,
                    0,
                    events.clone(),
                )),
                Err(message) => {
                    let reporter = crate::sources::Reporter::new(
                        crate::sources::SourceId::Alerts,
                        0,
                        events.clone(),
                    );
                    let _ = reporter.error(message, None).await;
                }
            }
        }
        for db in &ctx.postgres {
            handles.push(crate::sources::postgres::monitor::spawn(
                db.clone(),
                crate::sources::postgres::monitor::PgSettings::new(SUMMARY_REFRESH),
                0,
                events.clone(),
            ));
        }
        if let Some(kafka) = ctx.kafka.clone() {
            // Connecting may take seconds against a dead broker: it happens in the task, so
            // neither the keys nor the other contexts wait for it.
            let (control_tx, _control_rx) = mpsc::channel(1);
            let events = events.clone();
            let task = tokio::spawn(async move {
                let settings = crate::sources::kafka::KafkaSettings::default()
                    .with_refresh(Some(SUMMARY_REFRESH));
                match crate::sources::kafka::connect(&kafka, settings.call_timeout).await {
                    Ok(client) => {
                        // Kept alive by this task; aborting the task stops it.
                        let _source =
                            crate::sources::kafka::spawn_with_client(client, settings, 0, events);
                        std::future::pending::<()>().await;
                    }
                    Err(message) => {
                        let reporter = crate::sources::Reporter::new(
                            crate::sources::SourceId::Kafka,
                            0,
                            events,
                        );
                        let _ = reporter.error(message, None).await;
                    }
                }
            });
            handles.push(SourceHandle::new(
                crate::sources::SourceId::Kafka,
                control_tx,
                task,
            ));
        }
        if let Some(kube_context) = &ctx.kube_context {
            let argo_namespaces = ctx
                .argocd
                .as_ref()
                .map(|a| a.namespaces.clone())
                .unwrap_or_default();
            handles.push(crate::sources::kube::source::spawn(
                None,
                kube_context.clone(),
                crate::sources::kube::WatchScope {
                    argo_namespaces,
                    workload_namespaces: ctx.kube_namespaces.clone(),
                },
                0,
                events.clone(),
            ));
        }
        handles
    }
}
