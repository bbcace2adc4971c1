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

use super::msg::{Cmd, Msg};
use super::state::State;
use super::terminal::Host;
use super::update::{resize, update};
use crate::config::{CatalogConfig, Config};
use crate::model::SourceHealth;
use crate::sources::sandbox::{SandboxHandle, World};
use crate::sources::{Control, Reporter, SourceEvent, SourceHandle, SourceId};
use crate::theme::{ColorDepth, Theme};

/// Frames are at least this far apart.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);

/// Everything the loop needs besides the state: config, where user files live, and the
/// sandbox worlds (kept per context so switching back finds the same world).
#[derive(Debug)]
pub struct Environment {
    pub config: Config,
    pub config_dir: Option<PathBuf>,
    pub depth: ColorDepth,
    /// Start time of sandbox worlds.
    pub sandbox_start: Timestamp,
    sandboxes: HashMap<String, SandboxHandle>,
}

impl Environment {
    #[must_use]
    pub fn new(config: Config, config_dir: Option<PathBuf>, depth: ColorDepth) -> Self {
        Self {
            config,
            config_dir,
            depth,
            sandbox_start: Timestamp::now(),
            sandboxes: HashMap::new(),
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

    /// Starts the sources of one context.
    pub fn spawn_sources(
        &mut self,
        context: &str,
        generation: u64,
        events: &mpsc::Sender<SourceEvent>,
    ) -> Vec<SourceHandle> {
        let Some(ctx) = self.config.context(context).cloned() else {
            return Vec::new();
        };
        let mut handles = Vec::new();
        if let Some(seed) = ctx.sandbox_seed {
            let sandbox = self.sandbox(&ctx.name, seed);
            handles.push(crate::sources::sandbox::spawn_catalog(
                sandbox,
                generation,
                events.clone(),
            ));
        } else if ctx.catalog.is_none() {
            report_off(SourceId::Catalog, generation, events);
        }
        handles
    }
}

fn report_off(source: SourceId, generation: u64, events: &mpsc::Sender<SourceEvent>) {
    let reporter = Reporter::new(source, generation, events.clone());
    tokio::spawn(async move {
        reporter.health(SourceHealth::Off).await;
    });
}

/// Fills the context fields of the state from the config.
pub fn apply_context(state: &mut State, config: &Config) {
    if let Some(ctx) = config.context(&state.context.name) {
        state.context.production = ctx.production;
        state.context.sandbox = ctx.sandbox_seed.is_some();
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
    let mut sources = env.spawn_sources(&state.context.name.clone(), state.generation, &tx);
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
            () = sleep_until_opt(deadline) => {}
        }
        if !input_open && batch.is_empty() && !state.dirty {
            break;
        }
        // Drain everything already waiting so one frame covers the whole burst.
        while let Ok(event) = rx.try_recv() {
            batch.push(Msg::Source(event));
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
                carry_out(cmd, state, env, &mut sources, &tx, terminal, host)?;
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

#[allow(clippy::too_many_arguments)]
fn carry_out<B, H>(
    cmd: Cmd,
    state: &mut State,
    env: &mut Environment,
    sources: &mut Vec<SourceHandle>,
    tx: &mpsc::Sender<SourceEvent>,
    terminal: &mut Terminal<B>,
    host: &mut H,
) -> io::Result<()>
where
    B: Backend,
    B::Error: Into<io::Error>,
    H: Host,
{
    match cmd {
        Cmd::Quit => state.quit = true,
        Cmd::SwitchContext { name, generation } => {
            sources.clear();
            apply_context(state, &env.config);
            *sources = env.spawn_sources(&name, generation, tx);
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
