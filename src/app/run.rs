//! The run loop: owns the [`State`], feeds it messages, carries out [`Cmd`]s, and draws only
//! when something changed, at most every 33 ms, after draining every pending message.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::execute::AppExecutor;
use super::msg::{Cmd, Msg};
use super::state::State;
use super::terminal::Host;
use super::update::{resize, update};
use crate::actions::gate::{AuditGate, GateOutcome, Refusal, RefusalKind, local_client_info};
use crate::actions::journal::{Backoff, Journal};
use crate::config::{CatalogConfig, Config, PgDatabase, PlatformConfig};
use crate::model::SourceHealth;
use crate::platform::server::LocalServer;
use crate::sources::platform::{PlatformClient, Token};
use crate::sources::postgres::kill::PgExecutor;
use crate::sources::postgres::monitor::PgSettings;
use crate::sources::sandbox::pg::SandboxExecutor;
use crate::sources::sandbox::{SandboxHandle, World};
use crate::sources::{Control, Reporter, SourceEvent, SourceHandle, SourceId};
use crate::theme::{ColorDepth, Theme};

/// Frames are at least this far apart.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);

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
    /// The audit gate of the current context (needs the platform API).
    pub gate: Option<AuditGate>,
    /// Runs admitted actions in the current context.
    pub executor: AppExecutor,
    /// Whether the user asked for read-only mode (the gate refuses dangerous actions too).
    pub readonly: bool,
    resender: Option<tokio::task::JoinHandle<()>>,
    current_sandbox: Option<SandboxHandle>,
    current_databases: Vec<PgDatabase>,
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
            gate: None,
            executor: AppExecutor::default(),
            readonly: false,
            resender: None,
            current_sandbox: None,
            current_databases: Vec::new(),
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
        self.sandbox_platform = Some((server, client.clone()));
        Ok(client)
    }

    /// The sandbox world of the current context, if it is a sandbox context.
    #[must_use]
    pub fn current_sandbox(&self) -> Option<SandboxHandle> {
        self.current_sandbox.clone()
    }

    /// A configured database of the current context.
    #[must_use]
    pub fn current_database(&self, name: &str) -> Option<PgDatabase> {
        self.current_databases
            .iter()
            .find(|d| d.name == name)
            .cloned()
    }

    /// Where the locks of a session in `database` can be read.
    #[must_use]
    pub fn locks_lookup(&self, database: &str) -> super::pg_io::LocksLookup {
        super::pg_io::LocksLookup::new(self, database)
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
        PlatformClient::from_config(config, Token::new(token)).map_err(|e| e.to_string())
    }

    /// Starts the sources of one context and connects its platform API.
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
        self.gate = None;
        self.executor = AppExecutor::default();
        self.current_sandbox = None;
        self.current_databases = ctx.postgres.clone();
        if let Some(task) = self.resender.take() {
            task.abort();
        }
        let platform = if let Some(seed) = ctx.sandbox_seed {
            let sandbox = self.sandbox(&ctx.name, seed);
            self.executor.sandbox = Some(SandboxExecutor::new(sandbox.clone()));
            self.current_sandbox = Some(sandbox.clone());
            for database in crate::sources::sandbox::pg::databases() {
                handles.push(crate::sources::sandbox::pg::spawn_postgres(
                    sandbox.clone(),
                    database.to_owned(),
                    generation,
                    events.clone(),
                ));
            }
            handles.push(crate::sources::sandbox::spawn_catalog(
                sandbox.clone(),
                generation,
                events.clone(),
            ));
            if self.data_dir.is_some() {
                Some(self.sandbox_platform(&sandbox).await)
            } else {
                None
            }
        } else {
            match &ctx.catalog {
                Some(CatalogConfig::Backstage { url, token }) => {
                    handles.push(crate::sources::backstage::spawn(
                        url,
                        token.clone(),
                        generation,
                        events.clone(),
                    ))
                }
                Some(CatalogConfig::Dir { path }) => handles.push(
                    crate::sources::catalog_files::spawn(path.clone(), generation, events.clone()),
                ),
                None => report(SourceId::Catalog, generation, events, SourceHealth::Off),
            }
            self.executor.postgres = PgExecutor::new(ctx.postgres.clone());
            for db in &ctx.postgres {
                handles.push(crate::sources::postgres::monitor::spawn(
                    db.clone(),
                    PgSettings::new(PgSettings::DEFAULT_REFRESH),
                    generation,
                    events.clone(),
                ));
            }
            if ctx.postgres.is_empty() {
                report(SourceId::Postgres, generation, events, SourceHealth::Off);
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
    if let Some(ctx) = config.context(&state.context.name) {
        state.context.production = ctx.production;
        state.context.sandbox = ctx.sandbox_seed.is_some();
        state.context.kafka_brokers = if ctx.sandbox_seed.is_some() {
            crate::sources::sandbox::BROKERS
        } else {
            ctx.kafka.as_ref().map_or(0, |k| k.brokers.len())
        };
        state.context.platform = ctx.platform.is_some() || ctx.sandbox_seed.is_some();
        let databases: Vec<String> = if ctx.sandbox_seed.is_some() {
            crate::sources::sandbox::fleet::SQUADS
                .iter()
                .map(|s| s.database.to_owned())
                .collect()
        } else {
            ctx.postgres.iter().map(|d| d.name.clone()).collect()
        };
        if state.postgres.databases != databases {
            state.postgres.reset(databases);
        }
        state.readonly = state.readonly || ctx.readonly || config.readonly;
    }
    state.context.available = config.contexts.iter().map(|c| c.name.clone()).collect();
}

/// Runs until the user quits or input ends. Returns the number of frames drawn.
pub async fn run<B, S, H>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    mut input: S,
    env: &mut Environment,
    host: &mut H,
) -> io::Result<u64>
where
    B: Backend,
    B::Error: Into<io::Error>,
    S: Stream<Item = io::Result<Event>> + Unpin + Send + 'static,
    H: Host,
{
    let (tx, mut rx) = mpsc::channel::<SourceEvent>(1024);
    // Input is read by its own task: polling the terminal stream outside an awaited future
    // would hand its wake-up to nobody and stall keys until another event arrives.
    let (input_tx, mut input_rx) = mpsc::channel::<io::Result<Event>>(256);
    let input_task = tokio::spawn(async move {
        while let Some(event) = input.next().await {
            if input_tx.send(event).await.is_err() {
                break;
            }
        }
    });
    apply_context(state, &env.config);
    let (app_tx, mut app_rx) = mpsc::channel::<Msg>(64);
    let mut sources = env
        .spawn_sources(&state.context.name.clone(), state.generation, &tx)
        .await;
    let size = terminal.size().map_err(Into::into)?;
    resize(state, size.width, size.height);
    let mut last_draw: Option<Instant> = None;
    let mut input_open = true;
    loop {
        if state.dirty {
            let due = last_draw.map_or_else(Instant::now, |t| t + FRAME_INTERVAL);
            if Instant::now() >= due {
                draw(terminal, state, host)?;
                last_draw = Some(Instant::now());
                continue;
            }
        }
        let deadline = state
            .dirty
            .then(|| last_draw.map_or_else(Instant::now, |t| t + FRAME_INTERVAL));
        let mut batch: Vec<Msg> = Vec::new();
        tokio::select! {
            event = input_rx.recv(), if input_open => match event {
                Some(Ok(e)) => batch.push(Msg::Input(e)),
                Some(Err(e)) => return Err(e),
                None => input_open = false,
            },
            Some(event) = rx.recv() => batch.push(Msg::Source(event)),
            Some(msg) = app_rx.recv() => batch.push(msg),
            () = sleep_until_opt(deadline) => {}
        }
        if !input_open && batch.is_empty() && !state.dirty {
            break;
        }
        // Drain everything already waiting so one frame covers the whole burst.
        while let Ok(event) = rx.try_recv() {
            batch.push(Msg::Source(event));
        }
        while let Ok(msg) = app_rx.try_recv() {
            batch.push(msg);
        }
        while let Ok(event) = input_rx.try_recv() {
            batch.push(Msg::Input(event?));
        }
        if batch.is_empty() {
            continue;
        }
        update(state, Msg::Now(Timestamp::now()));
        for msg in batch {
            for cmd in update(state, msg) {
                let ctx = Carry {
                    env: &mut *env,
                    sources: &mut sources,
                    events: &tx,
                    app: &app_tx,
                };
                carry_out(cmd, state, ctx, terminal, host).await?;
            }
            if state.quit {
                break;
            }
        }
        if state.quit {
            break;
        }
    }
    input_task.abort();
    tracing::info!(frames = state.frames, "run loop ended");
    Ok(state.frames)
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn draw<B, H>(terminal: &mut Terminal<B>, state: &mut State, host: &mut H) -> io::Result<()>
where
    B: Backend,
    B::Error: Into<io::Error>,
    H: Host,
{
    state.frames += 1;
    host.begin_frame();
    let result = terminal
        .draw(|frame| crate::ui::render(frame, state))
        .map(|_| ())
        .map_err(Into::into);
    host.end_frame();
    state.dirty = false;
    result
}

/// What carrying out a command may touch besides the state and the terminal.
struct Carry<'a> {
    env: &'a mut Environment,
    sources: &'a mut Vec<SourceHandle>,
    events: &'a mpsc::Sender<SourceEvent>,
    app: &'a mpsc::Sender<Msg>,
}

async fn carry_out<B, H>(
    cmd: Cmd,
    state: &mut State,
    carry: Carry<'_>,
    terminal: &mut Terminal<B>,
    host: &mut H,
) -> io::Result<()>
where
    B: Backend,
    B::Error: Into<io::Error>,
    H: Host,
{
    let Carry {
        env,
        sources,
        events: tx,
        app,
    } = carry;
    match cmd {
        Cmd::Quit => state.quit = true,
        Cmd::SwitchContext { name, generation } => {
            sources.clear();
            apply_context(state, &env.config);
            *sources = env.spawn_sources(&name, generation, tx).await;
            for source in sources.iter() {
                source.send(Control::SetScope(state.scope.clone()));
            }
        }
        Cmd::SetScope(scope) => {
            for source in sources.iter() {
                source.send(Control::SetScope(scope.clone()));
            }
        }
        Cmd::Refresh(ids) => {
            for source in sources.iter().filter(|s| ids.contains(&s.id)) {
                source.send(Control::Refresh);
            }
        }
        Cmd::LoadTheme(name) => {
            let result = Theme::load(&name, env.config_dir.as_deref(), env.depth).map(Box::new);
            update(state, Msg::ThemeLoaded(result));
        }
        Cmd::Platform(call) => match env.platform.clone() {
            Some(client) => {
                let app = app.clone();
                tokio::spawn(async move {
                    let reply = super::platform_calls::call(&client, call).await;
                    let _ = app.send(Msg::PlatformDone(Box::new(reply))).await;
                });
            }
            None => {
                let reply =
                    super::platform_calls::unavailable(&call, "no platform API in this context");
                update(state, Msg::PlatformDone(Box::new(reply)));
            }
        },
        Cmd::Pause(id, paused) => {
            for source in sources.iter().filter(|s| s.id == id) {
                source.send(Control::Pause(paused));
            }
        }
        Cmd::SetInterval(id, interval) => {
            for source in sources.iter().filter(|s| s.id == id) {
                source.send(Control::SetInterval(interval));
            }
        }
        Cmd::LoadLocks { database, pid } => {
            let app = app.clone();
            let lookup = env.locks_lookup(&database);
            tokio::spawn(async move {
                let locks = lookup.locks(pid).await;
                let _ = app
                    .send(Msg::PgLocks {
                        database,
                        pid,
                        locks,
                    })
                    .await;
            });
        }
        Cmd::Execute { request, reason } => {
            let app = app.clone();
            let gate = env.gate.clone();
            let executor = env.executor.clone();
            tokio::spawn(async move {
                let outcome = match gate {
                    Some(gate) => gate.run(request.clone(), reason, &executor).await,
                    None => GateOutcome::Refused(Refusal {
                        kind: RefusalKind::Unreachable,
                        reason:
                            "no platform API in this context, so no audit: nothing was executed"
                                .into(),
                    }),
                };
                let report = super::msg::ActionReport { request, outcome };
                let _ = app.send(Msg::ActionDone(Box::new(report))).await;
            });
        }
        Cmd::Suspend => {
            host.suspend();
            terminal.clear().map_err(Into::into)?;
            state.dirty = true;
        }
    }
    Ok(())
}

/// Builds the UI settings from names, for `main` and tests.
pub fn load_ui(
    theme: &str,
    keymap: &str,
    config_dir: Option<&std::path::Path>,
    depth: ColorDepth,
) -> Result<super::state::Ui, crate::diagnostic::Diagnostic> {
    let theme = Theme::load(theme, config_dir, depth)?;
    let keymap = crate::keymap::Keymap::load(keymap, config_dir)?;
    let mut theme_names: Vec<String> = crate::theme::SHIPPED
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    if let Some(dir) = config_dir
        && let Ok(entries) = std::fs::read_dir(dir.join("themes"))
    {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && !theme_names.iter().any(|n| n == stem)
            {
                theme_names.push(stem.to_owned());
            }
        }
    }
    Ok(super::state::Ui {
        theme: Arc::new(theme),
        keymap: Arc::new(keymap),
        theme_names,
    })
}
