//! The run loop: owns the [`State`], feeds it messages, carries out [`Cmd`]s, and draws only
//! when something changed, at most every 33 ms, after draining every pending message.

use crate::actions::gate::admit_on;
use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub use super::environment::{Environment, apply_context};
use super::terminal::Host;
use crate::app::msg::{Cmd, Msg};
use crate::app::state::State;
use crate::app::update::{resize, update};
use crate::model::k8s::app_ops::ArgoRead;
use crate::sources::{Control, SourceEvent, SourceHandle, SourceId};
use crate::theme::{ColorDepth, Theme};

/// Frames are at least this far apart.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// How often ages on screen are redrawn while nothing else happens and a source is in
/// trouble ([`crate::app::update::ages_on_screen`]).
const AGE_TICK: Duration = Duration::from_secs(1);

/// Runs until the user quits or input ends. Returns the number of frames drawn.
pub async fn run<B, S, H>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    input: S,
    env: &mut Environment,
    host: &mut H,
) -> io::Result<u64>
where
    B: Backend,
    B::Error: Into<io::Error>,
    S: Stream<Item = io::Result<Event>> + Unpin + Send + 'static,
    H: Host,
{
    run_watched(terminal, state, input, env, host, |_| false).await
}

/// [`run`], also ending when `done` says so: it is asked after every batch of messages, with
/// the state that batch left (`opsdeck status` and `opsdeck incident` read the panes this
/// way once their sources answered).
pub async fn run_watched<B, S, H>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    input: S,
    env: &mut Environment,
    host: &mut H,
    mut done: impl FnMut(&State) -> bool,
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
    let mut reader = InputReader::spawn(input, input_tx);
    apply_context(state, &env.config);
    let (app_tx, mut app_rx) = mpsc::channel::<Msg>(64);
    let size = terminal.size().map_err(Into::into)?;
    resize(state, size.width, size.height);
    // Draw before connecting: starting sources may wait on the platform server, a secret
    // command or a broker, and the user should see the console at once meanwhile.
    draw(terminal, state, host)?;
    let mut last_draw: Option<Instant> = Some(Instant::now());
    let mut sources = Vec::new();
    let mut summaries = super::summaries::Summaries::default();
    // Port-forwards live as long as this loop: they end (with their outcomes) when it does.
    let mut forwards = super::forwards::Forwards::default();
    prepare_sources(env, &state.context.name, state.generation, &app_tx);
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
        // Input ended and every change is drawn: nothing more can happen that the user would
        // see. Checked here, not only after a wake-up, because with input closed and the
        // sources quiet nothing would wake the loop again.
        if !input_open && !state.dirty {
            break;
        }
        let deadline = state
            .dirty
            .then(|| last_draw.map_or_else(Instant::now, |t| t + FRAME_INTERVAL));
        // While a source is failing, its "error 3s" and "data from 12s ago" keep counting
        // with no key pressed: one coarse redraw a second.
        let age_tick = (!state.dirty && crate::app::update::ages_on_screen(state))
            .then(|| last_draw.map_or_else(Instant::now, |t| t + AGE_TICK));
        let mut batch: Vec<Msg> = Vec::new();
        tokio::select! {
            () = sleep_until_opt(age_tick) => batch.push(Msg::AgeTick),
            event = input_rx.recv(), if input_open => match event {
                Some(Ok(e)) => batch.push(Msg::Input(e)),
                Some(Err(e)) => return Err(e),
                None => input_open = false,
            },
            Some(event) = rx.recv() => batch.push(Msg::Source(event)),
            Some(msg) = app_rx.recv() => batch.push(msg),
            () = sleep_until_opt(deadline) => {}
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
        coalesce_snapshots(&mut batch);
        // A key or a click gets its frame at once: the frame cap is for bursts of source
        // events.
        let keyed = batch
            .iter()
            .any(|m| matches!(m, Msg::Input(Event::Key(_) | Event::Mouse(_))));
        update(state, Msg::Now(Timestamp::now()));
        apply_batch(state, batch, async |cmd, state: &mut State| {
            let ctx = Carry {
                env: &mut *env,
                sources: &mut sources,
                summaries: &mut summaries,
                events: &tx,
                app: &app_tx,
                reader: &mut reader,
                forwards: &mut forwards,
            };
            carry_out(cmd, state, ctx, terminal, host).await
        })
        .await?;
        if state.quit || done(state) {
            break;
        }
        if keyed && state.dirty {
            draw(terminal, state, host)?;
            last_draw = Some(Instant::now());
        }
    }
    reader.handle.abort();
    forwards.shutdown().await;
    tracing::info!(frames = state.frames, "run loop ended");
    Ok(state.frames)
}

/// Applies a batch of messages in order and carries out every command `update` returns.
/// Answers that an effect has at once (a theme read, a refusal without a platform) join the
/// queue behind the batch, so their own commands run like any other message's: no effect
/// calls `update` itself.
async fn apply_batch<F>(state: &mut State, batch: Vec<Msg>, mut carry: F) -> io::Result<()>
where
    F: AsyncFnMut(Cmd, &mut State) -> io::Result<Option<Msg>>,
{
    let mut queue: VecDeque<Msg> = batch.into();
    while let Some(msg) = queue.pop_front() {
        for cmd in update(state, msg) {
            if let Some(answer) = carry(cmd, state).await? {
                queue.push_back(answer);
            }
        }
        if state.quit {
            break;
        }
    }
    Ok(())
}

/// Keeps only the newest whole-state snapshot of each source in a batch: a Kubernetes
/// snapshot replaces the previous one entirely, so applying older ones queued behind it (when
/// the loop fell behind) would only delay the keys after them.
fn coalesce_snapshots(batch: &mut Vec<Msg>) {
    let is_snapshot = |m: &Msg| {
        matches!(
            m,
            Msg::Source(SourceEvent {
                body: crate::sources::SourceBody::Kube(_) | crate::sources::SourceBody::Traces(_),
                ..
            })
        )
    };
    let mut seen: Vec<(SourceId, u64)> = Vec::new();
    let mut keep = vec![true; batch.len()];
    for (i, m) in batch.iter().enumerate().rev() {
        if let Msg::Source(e) = m
            && is_snapshot(m)
        {
            let key = (e.source, e.generation);
            if seen.contains(&key) {
                keep[i] = false;
            } else {
                seen.push(key);
            }
        }
    }
    let mut flags = keep.into_iter();
    batch.retain(|_| flags.next().unwrap_or(true));
}

/// Resolves the context's startup secrets (a `pass` or `vault` command may take seconds) in
/// the background; `Msg::ContextReady` then starts the sources, so keys and redraws never
/// wait on a secret.
fn prepare_sources(env: &Environment, name: &str, generation: u64, app: &mpsc::Sender<Msg>) {
    let secrets = env
        .config
        .context(name)
        .map(crate::config::Context::startup_secrets)
        .unwrap_or_default();
    let app = app.clone();
    let name = name.to_owned();
    tokio::spawn(async move {
        if !secrets.is_empty() {
            let _ = tokio::task::spawn_blocking(move || crate::config::secret::prefetch(&secrets))
                .await;
        }
        let _ = app.send(Msg::ContextReady { name, generation }).await;
    });
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

/// After another program had the terminal: the screen is cleared and ratatui's idea of it
/// forgotten, so the next frame is drawn whole. Not `Terminal::clear`, which asks the
/// terminal where its cursor is and fails (after 2 s) where no answer comes.
fn forget_screen<B>(terminal: &mut Terminal<B>) -> io::Result<()>
where
    B: Backend,
    B::Error: Into<io::Error>,
{
    terminal.backend_mut().clear().map_err(Into::into)?;
    // Twice: the frame drawn before and the one after are both blank now, as the screen is.
    terminal.swap_buffers();
    terminal.swap_buffers();
    Ok(())
}

/// What carrying out a command may touch besides the state and the terminal.
struct Carry<'a> {
    env: &'a mut Environment,
    sources: &'a mut Vec<SourceHandle>,
    summaries: &'a mut super::summaries::Summaries,
    events: &'a mpsc::Sender<SourceEvent>,
    app: &'a mpsc::Sender<Msg>,
    reader: &'a mut InputReader,
    forwards: &'a mut super::forwards::Forwards,
}

/// The task that reads keys into the loop's input channel. It can be stopped so that a
/// session has the terminal's keys to itself; stopping drops the stream (crossterm's reader
/// thread ends with it) and hands back the channel for the next reader.
struct InputReader {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<Option<mpsc::Sender<io::Result<Event>>>>,
}

impl InputReader {
    fn spawn<S>(mut input: S, tx: mpsc::Sender<io::Result<Event>>) -> Self
    where
        S: Stream<Item = io::Result<Event>> + Unpin + Send + 'static,
    {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => return Some(tx),
                    event = input.next() => match event {
                        Some(event) => {
                            if tx.send(event).await.is_err() {
                                return None;
                            }
                        }
                        None => return None,
                    },
                }
            }
        });
        Self {
            stop: Some(stop),
            handle,
        }
    }

    /// Before handing the terminal over: stops reading when the host's keys come from the
    /// terminal; the sender to give [`InputReader::resume`].
    async fn pause<H: Host>(&mut self, host: &H) -> Option<mpsc::Sender<io::Result<Event>>> {
        if host.reads_terminal() {
            self.stop().await
        } else {
            None
        }
    }

    /// After the hand-over: a new reader on a fresh stream (the old one is gone).
    fn resume<H: Host>(&mut self, host: &mut H, sender: Option<mpsc::Sender<io::Result<Event>>>) {
        if let Some(sender) = sender
            && let Some(stream) = host.reopen_input()
        {
            *self = Self::spawn(stream, sender);
        }
    }

    /// Stops reading; the channel's sender when the reader was still running.
    async fn stop(&mut self) -> Option<mpsc::Sender<io::Result<Event>>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.handle).await.ok().flatten()
    }
}

/// Carries out one command. An effect whose answer is ready at once returns it as a message
/// for the queue; it never calls `update` itself (that would drop the commands `update`
/// returns for it).
#[expect(
    clippy::too_many_lines,
    reason = "one arm per command: the table of effects reads best whole"
)]
async fn carry_out<B, H>(
    cmd: Cmd,
    state: &mut State,
    carry: Carry<'_>,
    terminal: &mut Terminal<B>,
    host: &mut H,
) -> io::Result<Option<Msg>>
where
    B: Backend,
    B::Error: Into<io::Error>,
    H: Host,
{
    let Carry {
        env,
        sources,
        summaries,
        events: tx,
        app,
        reader,
        forwards,
    } = carry;
    match cmd {
        Cmd::Quit => state.quit = true,
        Cmd::SaveQueryHistory(history) => {
            // Without a data dir (tests) the history lives only in memory.
            if let Some(dir) = &env.data_dir
                && let Err(e) =
                    crate::datafile::save_json(dir, crate::datafile::QUERIES_FILE, &history)
            {
                tracing::warn!(error = %e, "query history not saved");
            }
        }
        Cmd::SaveTourProgress(progress) => {
            // Without a data dir (tests, benchmarks) progress lives only in memory.
            if let Some(dir) = &env.data_dir
                && let Err(e) = crate::tour::progress::save(dir, &progress)
            {
                tracing::warn!(error = %e, "tour progress not saved");
                state.toast(
                    crate::app::state::ToastLevel::Warn,
                    format!("tour progress not saved: {e}"),
                );
                state.dirty = true;
            }
        }
        Cmd::SaveHeldActions(held) => {
            // Without a data dir (tests, benchmarks) they live only in memory, and the toast
            // says the action must be asked for again after a restart.
            if let Some(dir) = &env.data_dir
                && let Err(e) = crate::actions::held::save(dir, &held)
            {
                tracing::warn!(error = %e, "held actions not saved");
                state.toast(
                    crate::app::state::ToastLevel::Warn,
                    format!(
                        "the action waiting for approval is kept only until opsdeck quits: {e}"
                    ),
                );
                state.dirty = true;
            }
        }
        Cmd::SwitchContext { name, generation } => {
            sources.clear();
            apply_context(state, &env.config);
            prepare_sources(env, &name, generation, app);
        }
        Cmd::StartSources { name, generation } => {
            *sources = env.spawn_sources(&name, generation, tx).await;
            summaries.follow(env, &name, app).await;
            for source in sources.iter() {
                source.send(Control::SetScope(state.scope.clone()));
            }
            // The panes' own requests outlive a restart of their sources.
            let target = Box::new(state.panes.logs.target.clone());
            let search = Box::new(state.panes.traces.search());
            for source in sources.iter() {
                match source.id {
                    SourceId::Logs if *target != crate::sources::logs::LogTarget::default() => {
                        source.send(Control::Logs(target.clone()));
                    }
                    SourceId::Traces => source.send(Control::TraceSearch(search.clone())),
                    _ => {}
                }
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
            return Ok(Some(Msg::ThemeLoaded(result)));
        }
        Cmd::Platform(call) => match env.platform.clone() {
            Some(client) => {
                let app = app.clone();
                let trust = env.checkpoint_trust();
                tokio::spawn(async move {
                    let reply = super::platform_calls::call_with(&client, call, &trust).await;
                    let _ = app.send(Msg::PlatformDone(Box::new(reply))).await;
                });
            }
            None => {
                // A configured platform is connected as the context starts: a key pressed in
                // that moment must not read as "there is none".
                let why = if state.context.platform {
                    "the platform API is not connected yet (or could not be)"
                } else {
                    "no platform API in this context"
                };
                let reply = super::platform_calls::unavailable(&call, why);
                return Ok(Some(Msg::PlatformDone(Box::new(reply))));
            }
        },
        Cmd::LogTarget(target) => {
            for source in sources.iter().filter(|s| s.id == SourceId::Logs) {
                source.send(Control::Logs(target.clone()));
            }
        }
        Cmd::Copy(text) => host.copy(&text),
        Cmd::ExportLogs { path, batch } => {
            // Formatting and writing a million lines takes a while: off the app task.
            let (app, dir) = (app.clone(), env.data_dir.clone());
            tokio::task::spawn_blocking(move || {
                let _ = app.blocking_send(crate::runtime::log_export::notice(
                    &path,
                    &batch,
                    dir.as_deref(),
                ));
            });
        }
        Cmd::LoadTrace { trace_id } => {
            let app = app.clone();
            let lookup = env.trace_lookup();
            tokio::spawn(async move {
                let trace = lookup.trace(&trace_id).await;
                let _ = app.send(Msg::TraceLoaded { trace_id, trace }).await;
            });
        }
        Cmd::LoadServiceMap { request, trace_ids } => {
            let app = app.clone();
            let lookup = env.trace_lookup();
            tokio::spawn(async move {
                let answer = Box::new(lookup.service_map(trace_ids).await);
                let _ = app.send(Msg::ServiceMapLoaded { request, answer }).await;
            });
        }
        Cmd::TraceSearch(search) => {
            for source in sources.iter().filter(|s| s.id == SourceId::Traces) {
                source.send(Control::TraceSearch(search.clone()));
            }
        }
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
        Cmd::LoadObject(reference) => {
            let app = app.clone();
            let kube = env.backends.kube.clone();
            tokio::spawn(async move {
                let result = kube.object(&reference).await.map_err(String::from);
                let _ = app.send(Msg::ObjectLoaded { reference, result }).await;
            });
        }
        Cmd::LoadAppDiff {
            namespace,
            app: name,
        } => {
            spawn_argo_read(app, env, ArgoRead::ManagedResources, namespace, name);
        }
        Cmd::LoadSyncWindows {
            namespace,
            app: name,
        } => {
            spawn_argo_read(app, env, ArgoRead::SyncWindows, namespace, name);
        }
        Cmd::LoadTopicConfigs { topic } => {
            let app = app.clone();
            let kafka = env.backends.kafka.clone();
            tokio::spawn(async move {
                let configs = kafka.topic_configs(&topic).await.map_err(String::from);
                let _ = app.send(Msg::KafkaConfigs { topic, configs }).await;
            });
        }
        Cmd::PlanReset {
            group,
            scope,
            target,
        } => {
            super::kafka_first_aid::plan_reset(
                app,
                env.backends.kafka.clone(),
                group,
                scope,
                target,
            );
        }
        Cmd::Peek { request, reason } => {
            super::kafka_first_aid::spawn_peek(
                app,
                env.gate.clone(),
                env.backends.kafka.clone(),
                request,
                reason,
            );
        }
        Cmd::PlanTopic { request, reason } => {
            let app = app.clone();
            let kafka = env.backends.kafka.clone();
            tokio::spawn(async move {
                let plan = kafka
                    .plan_topic(request.clone())
                    .await
                    .map_err(String::from);
                let _ = app
                    .send(Msg::TopicPlanned {
                        request,
                        reason,
                        plan,
                    })
                    .await;
            });
        }
        Cmd::LoadLocks { database, pid } => {
            let app = app.clone();
            let pg = env.backends.pg.clone();
            tokio::spawn(async move {
                let locks = pg.locks(&database, pid).await.map_err(String::from);
                let _ = app
                    .send(Msg::PgLocks {
                        database,
                        pid,
                        locks,
                    })
                    .await;
            });
        }
        Cmd::CheckAccess(keys) => {
            let app = app.clone();
            let kube = env.backends.kube.clone();
            tokio::spawn(async move {
                let answers = kube.review(keys).await;
                let _ = app.send(Msg::KubeAccess(answers)).await;
            });
        }
        Cmd::Execute {
            request: request @ crate::model::action::ActionRequest::CustomCommand { .. },
            reason,
        } => {
            let job = CustomJob::Audited { request, reason };
            return run_custom(state, env, app, reader, terminal, host, job).await;
        }
        Cmd::RunCustom(run) => {
            let job = CustomJob::Plain(*run);
            return run_custom(state, env, app, reader, terminal, host, job).await;
        }
        Cmd::Execute { request, reason } => {
            let app = app.clone();
            let gate = env.gate.clone();
            let executor = env.backends.clone();
            tokio::spawn(async move {
                let outcome = match gate {
                    Some(gate) => gate.run(request.clone(), reason, &executor).await,
                    None => crate::actions::gate::no_gate("nothing was executed"),
                };
                let report = crate::app::msg::ActionReport { request, outcome };
                let _ = app.send(Msg::ActionDone(Box::new(report))).await;
            });
        }
        Cmd::Session { request, reason } => {
            // The key reader stops first (when the host can start a new one), so that no
            // key typed into the session reaches opsdeck.
            let sender = reader.pause(host).await;
            let outcome = super::handover::run(
                env.gate.as_ref(),
                env.backends.kube.as_ref(),
                request.clone(),
                &reason,
                host,
            )
            .await;
            reader.resume(host, sender);
            // Everything is drawn again: the session wrote over the whole screen.
            forget_screen(terminal)?;
            state.dirty = true;
            let report = crate::app::msg::ActionReport { request, outcome };
            return Ok(Some(Msg::ActionDone(Box::new(report))));
        }
        Cmd::PortForward {
            id,
            request,
            local,
            reason,
        } => {
            let plan = super::forwards::Plan {
                id,
                request,
                local,
                reason,
            };
            forwards.start(
                plan,
                env.gate.clone(),
                env.backends.kube.clone(),
                app.clone(),
            );
        }
        Cmd::StopForward(id) => {
            if !forwards.stop(id) {
                // Already gone (it ended on its own): the list must not keep it.
                return Ok(Some(Msg::Forward(
                    crate::model::k8s::forward::ForwardEvent::Ended { id },
                )));
            }
        }
        Cmd::OpenK9s { namespace } => {
            use crate::app::state::ToastLevel;
            let path = std::env::var_os("PATH");
            let plan = super::k9s::plan(
                env.config.context(&state.context.name),
                &namespace,
                path.as_deref(),
            );
            let launch = match plan {
                Ok(launch) => launch,
                Err(text) => {
                    return Ok(Some(Msg::Notice {
                        level: ToastLevel::Warn,
                        text,
                    }));
                }
            };
            let sender = reader.pause(host).await;
            let status = host.external(&launch.program, &launch.args, &[]).await;
            reader.resume(host, sender);
            forget_screen(terminal)?;
            state.dirty = true;
            let (level, text) = match status {
                Ok(s) if s.success() => (ToastLevel::Info, format!("back from k9s ({namespace})")),
                Ok(s) => (ToastLevel::Warn, format!("k9s ended with {s}")),
                Err(e) => (ToastLevel::Error, format!("k9s did not run: {e}")),
            };
            return Ok(Some(Msg::Notice { level, text }));
        }
        Cmd::Suspend => {
            host.suspend();
            terminal.clear().map_err(Into::into)?;
            state.dirty = true;
        }
    }
    Ok(None)
}

/// A custom command to run: audited (already confirmed) or plain.
enum CustomJob {
    Plain(crate::app::custom::CustomRun),
    Audited {
        request: crate::model::action::ActionRequest,
        reason: String,
    },
}

/// Runs a custom command ([`super::custom`]): the gate first when audited (refused: nothing
/// runs), then the terminal handed over (interactive) or a task that captures its output,
/// then the outcome to the gate and the output to the app.
async fn run_custom<B, H>(
    state: &mut State,
    env: &Environment,
    app: &mpsc::Sender<Msg>,
    reader: &mut InputReader,
    terminal: &mut Terminal<B>,
    host: &mut H,
    job: CustomJob,
) -> io::Result<Option<Msg>>
where
    B: Backend,
    B::Error: Into<io::Error>,
    H: Host,
{
    use crate::app::state::ToastLevel;
    let (run, audited) = match job {
        CustomJob::Plain(run) => (run, None),
        CustomJob::Audited { request, reason } => {
            let Some(run) = super::custom::plain(&request) else {
                return Ok(None);
            };
            let gate = env.gate.as_ref();
            match admit_on(gate, request.clone(), &reason, "nothing ran").await {
                Ok(admitted) => (run, Some(admitted)),
                Err(outcome) => {
                    let report = crate::app::msg::ActionReport { request, outcome };
                    return Ok(Some(Msg::ActionDone(Box::new(report))));
                }
            }
        }
    };
    let crate::app::custom::CustomRun {
        name,
        argv,
        mode,
        database,
    } = run;
    let prepared = match super::custom::prepare(
        &env.config,
        &state.context.name,
        env.data_dir.as_deref(),
        &argv,
        database.as_deref(),
    ) {
        Ok(p) => p,
        Err(text) => {
            return Ok(Some(match (audited, env.gate.as_ref()) {
                (Some(admitted), Some(gate)) => {
                    let request = admitted.request().clone();
                    let outcome = gate
                        .finish(admitted, crate::actions::gate::ExecResult::failed(text))
                        .await;
                    Msg::ActionDone(Box::new(crate::app::msg::ActionReport { request, outcome }))
                }
                _ => Msg::Notice {
                    level: ToastLevel::Warn,
                    text: format!("{name}: {text}"),
                },
            }));
        }
    };
    if mode == crate::commands::Mode::Capture {
        let app = app.clone();
        let gate = env.gate.clone();
        tokio::spawn(async move {
            let ended = super::custom::capture(&prepared).await;
            let view = super::custom::output_view(&name, &prepared, &ended);
            if let (Some(admitted), Some(gate)) = (audited, gate) {
                let request = admitted.request().clone();
                let result = super::custom::exec_result(&prepared, &ended);
                let outcome = gate.finish(admitted, result).await;
                let report = crate::app::msg::ActionReport { request, outcome };
                let _ = app.send(Msg::ActionDone(Box::new(report))).await;
            }
            let _ = app.send(Msg::CommandOutput(Box::new(view))).await;
        });
        return Ok(None);
    }
    let sender = reader.pause(host).await;
    let started = std::time::Instant::now();
    let status = host
        .external(&prepared.program, &prepared.args, &prepared.env)
        .await;
    reader.resume(host, sender);
    forget_screen(terminal)?;
    state.dirty = true;
    let ended = super::custom::Ended {
        status,
        output: Vec::new(),
        took: started.elapsed(),
        timed_out: false,
    };
    if let (Some(admitted), Some(gate)) = (audited, env.gate.as_ref()) {
        let request = admitted.request().clone();
        let result = super::custom::exec_result(&prepared, &ended);
        let outcome = gate.finish(admitted, result).await;
        let report = crate::app::msg::ActionReport { request, outcome };
        return Ok(Some(Msg::ActionDone(Box::new(report))));
    }
    let level = if ended.succeeded() {
        ToastLevel::Info
    } else {
        ToastLevel::Warn
    };
    Ok(Some(Msg::Notice {
        level,
        text: format!("back from {name}: {} ({})", prepared.line, ended.words()),
    }))
}

/// Reads one of the Argo CD API server's answers off the app task and hands it back as
/// the message its `Cmd` expects.
fn spawn_argo_read(
    app: &mpsc::Sender<Msg>,
    env: &Environment,
    read: ArgoRead,
    namespace: String,
    name: String,
) {
    let app = app.clone();
    let kube = env.backends.kube.clone();
    tokio::spawn(async move {
        let result = kube
            .argo_read(read, &namespace, &name)
            .await
            .map_err(String::from);
        let msg = match read {
            ArgoRead::ManagedResources => Msg::AppDiffLoaded {
                namespace,
                app: name,
                result,
            },
            ArgoRead::SyncWindows => Msg::SyncWindowsLoaded {
                namespace,
                app: name,
                result,
            },
        };
        let _ = app.send(msg).await;
    });
}

/// Builds the UI settings from names, for `main` and tests.
pub fn load_ui(
    theme: &str,
    keymap: &str,
    config_dir: Option<&std::path::Path>,
    depth: ColorDepth,
) -> Result<crate::app::state::Ui, crate::diagnostic::Diagnostic> {
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
    let commands = crate::commands::CustomCommands::load(config_dir)?;
    commands.check_keys(&keymap)?;
    Ok(crate::app::state::Ui {
        theme: Arc::new(theme),
        keymap: Arc::new(keymap),
        theme_names,
        commands: Arc::new(commands),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An effect's immediate answer goes through `update`, and the commands `update` returns
    /// for it are carried out too (they used to be dropped when effects called `update`).
    #[tokio::test]
    async fn commands_of_an_effects_answer_are_carried_out() {
        let mut state =
            crate::screenshot::demo_state(7, 80, 24, ColorDepth::Ansi16).expect("demo state");
        let (name, generation) = (state.context.name.clone(), state.generation);
        let mut carried = Vec::new();
        let batch = vec![Msg::Input(Event::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('r'),
            crossterm::event::KeyModifiers::CONTROL,
        )))];
        apply_batch(&mut state, batch, async |cmd, _state: &mut State| {
            let answer = match &cmd {
                // The refresh's effect answers at once that the context is ready...
                Cmd::Refresh(_) => Some(Msg::ContextReady {
                    name: name.clone(),
                    generation,
                }),
                _ => None,
            };
            carried.push(cmd);
            Ok(answer)
        })
        .await
        .expect("no terminal error");
        assert!(
            matches!(carried.first(), Some(Cmd::Refresh(_))),
            "ctrl-r refreshes: {carried:?}"
        );
        // ...and the command `update` returns for that answer runs.
        assert!(
            carried
                .iter()
                .any(|c| matches!(c, Cmd::StartSources { .. })),
            "{carried:?}"
        );
    }
}
