//! The console without a screen, for `opsdeck status` and `opsdeck incident`: the real run
//! loop on a context, its panes filled by the same sources and the same updates as on a
//! terminal, ended once every source the answer reads has answered (or the time is up). What
//! the attention and incident views would show is then read off the state.

use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::UnboundedSender;

use super::environment::Environment;
use crate::app::attention_feed::FEEDS;
use crate::app::state::State;
use crate::config::Config;
use crate::model::SourceHealth;
use crate::model::report::SourceState;
use crate::model::source::SourceId;

/// What the run is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// The attention list.
    Status,
    /// One service's incident view.
    Incident(String),
}

/// The sources the incident view reads, besides the attention list's.
const INCIDENT_FEEDS: [SourceId; 3] = [SourceId::Platform, SourceId::Logs, SourceId::Traces];

/// After the incident view opens, this long for the scoped asks (the service's logs and
/// traces) to be answered before the facts are read.
const SCOPED_GRACE: Duration = Duration::from_millis(1500);

/// How often the loop is woken to look at the state when no source speaks.
const WAKE: Duration = Duration::from_millis(200);

/// One source of one context, and how it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub context: String,
    pub source: SourceId,
    /// The database, for Postgres.
    pub target: Option<String>,
    pub state: SourceState,
    pub message: Option<String>,
}

fn state_of(health: Option<&SourceHealth>) -> (SourceState, Option<String>) {
    match health {
        None | Some(SourceHealth::Connecting) => (SourceState::NoAnswer, None),
        Some(SourceHealth::Ok { .. }) => (SourceState::Ok, None),
        Some(SourceHealth::Stale { reason, .. }) => (SourceState::Stale, Some(reason.clone())),
        Some(SourceHealth::Error { message, .. }) => (SourceState::Error, Some(message.clone())),
        Some(SourceHealth::Off) => (SourceState::Off, None),
    }
}

/// One entry per database: answered when its snapshot arrived, else as the source's health
/// says (an error of the Postgres source is every unanswered database's error).
fn databases<'a>(
    context: &str,
    names: impl Iterator<Item = &'a str>,
    has: impl Fn(&str) -> bool,
    health: Option<&SourceHealth>,
    out: &mut Vec<Answer>,
) {
    for name in names {
        let (state, message) = if has(name) {
            (SourceState::Ok, None)
        } else {
            match state_of(health) {
                (SourceState::Ok | SourceState::Stale, _) => (SourceState::NoAnswer, None),
                other => other,
            }
        };
        out.push(Answer {
            context: context.to_owned(),
            source: SourceId::Postgres,
            target: Some(name.to_owned()),
            state,
            message,
        });
    }
}

/// The active context's sources that `want` reads, each with how it answered.
fn active_answers(state: &State, want: &Want) -> Vec<Answer> {
    let context = &state.context.name;
    let mut out = Vec::new();
    // The platform says who is on call (a word of every row): waited for, never a finding.
    let incident: &[SourceId] = if matches!(want, Want::Incident(_)) {
        &INCIDENT_FEEDS
    } else {
        &[SourceId::Platform]
    };
    for id in FEEDS.into_iter().chain(incident.iter().copied()) {
        let health = state.health.get(&id);
        let pg = &state.panes.postgres;
        if id == SourceId::Postgres && !pg.databases.is_empty() {
            databases(
                context,
                pg.databases.iter().map(String::as_str),
                |db| pg.snapshots.contains_key(db),
                health,
                &mut out,
            );
            continue;
        }
        let (answer, message) = state_of(health);
        out.push(Answer {
            context: context.clone(),
            source: id,
            target: None,
            state: answer,
            message,
        });
    }
    out
}

/// A background context's summary sources, each with how it answered (the summary sources
/// report no `off`: what the context does not configure is left out).
fn summary_answers(state: &State, ctx: &crate::config::Context) -> Vec<Answer> {
    let summary = state.summaries.get(&ctx.name);
    let health = |id: SourceId| summary.and_then(|s| s.health.get(&id));
    let (ids, names) = super::summaries::summary_sources(ctx);
    let mut out: Vec<Answer> = ids
        .into_iter()
        .map(|id| {
            let (answer, message) = state_of(health(id));
            Answer {
                context: ctx.name.clone(),
                source: id,
                target: None,
                state: answer,
                message,
            }
        })
        .collect();
    databases(
        &ctx.name,
        names.iter().map(String::as_str),
        |db| summary.is_some_and(|s| s.databases.contains_key(db)),
        health(SourceId::Postgres),
        &mut out,
    );
    out
}

/// Every context's sources that `want` reads (the active one first), each with how it
/// answered so far.
#[must_use]
pub fn answers(state: &State, config: &Config, want: &Want) -> Vec<Answer> {
    let mut out = active_answers(state, want);
    if *want == Want::Status {
        for ctx in &config.contexts {
            if ctx.name != state.context.name && ctx.local_logs.is_empty() {
                out.extend(summary_answers(state, ctx));
            }
        }
    }
    out
}

/// Whether the service's incident view is open.
fn incident_open(state: &State, service: &str) -> bool {
    state.scope.as_deref() == Some(service)
        && state.view().pane() == crate::app::panes::PaneId::Incident
}

/// Types `:incident SERVICE` and enter, as a person would (the shipped default keymap).
fn type_incident(keys: &UnboundedSender<std::io::Result<Event>>, service: &str) {
    let press = |code| {
        let _ = keys.unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))));
    };
    for c in format!(":incident {service}").chars() {
        press(KeyCode::Char(c));
    }
    press(KeyCode::Enter);
}

/// Runs the console headless on `state`'s context until every source `want` reads has
/// answered or `timeout` passed; `state` then holds what the views would show. The state
/// must carry the shipped default keymap (the incident view is opened with its keys), and
/// `env` should have no data dir: nothing is written and no action can run.
///
/// # Errors
/// What the run loop returns (a failed draw on the in-memory screen).
pub async fn collect(
    state: &mut State,
    env: &mut Environment,
    want: &Want,
    timeout: Duration,
) -> std::io::Result<()> {
    let (keys, input) = futures::channel::mpsc::unbounded();
    // The loop looks at the state after each batch: a tick keeps batches coming while the
    // sources are quiet (a focus event changes nothing).
    let ticker = {
        let keys = keys.clone();
        tokio::spawn(async move {
            while keys.unbounded_send(Ok(Event::FocusGained)).is_ok() {
                tokio::time::sleep(WAKE).await;
            }
        })
    };
    let config = env.config.clone();
    let mut opened: Option<Instant> = None;
    let mut typed = false;
    let done = |state: &State| {
        if let Want::Incident(service) = want {
            if !state.panes.catalog.loaded {
                return false;
            }
            if state.panes.catalog.catalog.service(service).is_none() {
                // Unknown: the caller looks it up again and says so.
                return true;
            }
            if !typed {
                type_incident(&keys, service);
                typed = true;
                return false;
            }
            if !incident_open(state, service) {
                return false;
            }
            if opened.get_or_insert_with(Instant::now).elapsed() < SCOPED_GRACE {
                return false;
            }
        }
        answers(state, &config, want)
            .iter()
            .all(|a| a.state != SourceState::NoAnswer)
    };
    let mut terminal = ratatui::Terminal::new(Blind::default())?;
    let mut host = super::terminal::Headless;
    let run = super::run::run_watched(&mut terminal, state, input, env, &mut host, done);
    let ran = tokio::time::timeout(timeout, run).await;
    ticker.abort();
    // Out of time: the state holds what did arrive, and the answers say who was silent.
    ran.map_or(Ok(()), |ran| ran.map(drop))
}

/// A screen nobody looks at: the run loop draws its frames into it (120×40) and they go
/// nowhere.
#[derive(Debug)]
struct Blind(ratatui::backend::TestBackend);

impl Default for Blind {
    fn default() -> Self {
        Self(ratatui::backend::TestBackend::new(120, 40))
    }
}

fn never(e: std::convert::Infallible) -> std::io::Error {
    match e {}
}

impl ratatui::backend::Backend for Blind {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        self.0.draw(content).map_err(never)
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    fn get_cursor_position(&mut self) -> std::io::Result<ratatui::layout::Position> {
        self.0.get_cursor_position().map_err(never)
    }

    fn set_cursor_position<P: Into<ratatui::layout::Position>>(
        &mut self,
        position: P,
    ) -> std::io::Result<()> {
        self.0.set_cursor_position(position).map_err(never)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.0.clear().map_err(never)
    }

    fn clear_region(&mut self, clear_type: ratatui::backend::ClearType) -> std::io::Result<()> {
        self.0.clear_region(clear_type).map_err(never)
    }

    fn size(&self) -> std::io::Result<ratatui::layout::Size> {
        self.0.size().map_err(never)
    }

    fn window_size(&mut self) -> std::io::Result<ratatui::backend::WindowSize> {
        self.0.window_size().map_err(never)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
