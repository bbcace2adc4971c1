//! Tours inside the app: `:tour` (the list), starting and stopping, recording what happens,
//! and completing steps after every message.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::msg::{ActionReport, Cmd, Msg, PlatformReply};
use super::state::{Modal, State, ToastLevel};
use crate::actions::gate::GateOutcome;
use crate::platform::api::OutcomeStatus;
use crate::tour::check::TourEvent;
use crate::tour::run::TourRun;

/// What a message means for the running tour, read before `update` consumes it.
#[must_use]
pub fn event_of(msg: &Msg) -> Option<TourEvent> {
    match msg {
        Msg::ActionDone(report) => executed(report),
        Msg::PlatformDone(reply) => match reply.as_ref() {
            PlatformReply::Created(Ok(request)) => Some(TourEvent::Created {
                kind: request.spec.kind(),
                id: request.id.clone(),
            }),
            PlatformReply::Decided(Ok(request)) => Some(TourEvent::Decided {
                id: request.id.clone(),
                state: request.state,
            }),
            _ => None,
        },
        _ => None,
    }
}

fn executed(report: &ActionReport) -> Option<TourEvent> {
    match &report.outcome {
        GateOutcome::Executed {
            event_id, result, ..
        } => Some(TourEvent::Executed {
            action: report.request.action_name(),
            event_id: event_id.clone(),
            succeeded: result.status == OutcomeStatus::Succeeded,
        }),
        _ => None,
    }
}

/// Records `event`, completes the steps whose checks now hold, and asks to save progress
/// when a chapter ends.
pub fn after_update(state: &mut State, event: Option<TourEvent>) -> Vec<Cmd> {
    let Some(mut run) = state.tour.take() else {
        return Vec::new();
    };
    // Outside the sandbox a tour only looks, unless the user said otherwise. (No contexts
    // yet means the run loop has not applied one: nothing can run before it does.)
    if !state.context.available.is_empty()
        && !state.context.sandbox
        && !run.allow_writes
        && !state.readonly
    {
        state.readonly = true;
        state.toast(
            ToastLevel::Warn,
            "tour in a real context: read-only (start it with --allow-writes to act)",
        );
    }
    if let Some(event) = event {
        run.record(event);
    }
    let before = (run.chapter, run.step, run.finished);
    let saved = run.advance(state);
    if (run.chapter, run.step, run.finished) != before {
        state.dirty = true;
    }
    let name = run.spec.name().to_owned();
    state.tour = Some(run);
    match saved {
        Some(progress) => {
            state.tour_progress.insert(name, progress);
            vec![Cmd::SaveTourProgress(state.tour_progress.clone())]
        }
        None => Vec::new(),
    }
}

/// Starts (or resumes) the tour `name`.
pub fn start(state: &mut State, name: &str) -> Vec<Cmd> {
    state.dirty = true;
    let Some(spec) = state.tours.find(name).cloned() else {
        let known = state.tours.names().join(", ");
        state.toast(
            ToastLevel::Error,
            format!("no tour `{name}`; known: {known}"),
        );
        return Vec::new();
    };
    let mut run = TourRun::new(spec, state.tour_progress.get(name), state.now);
    run.allow_writes = state.tour_allow_writes;
    let resumed = run.chapter > 0;
    let title = run.spec.title.clone();
    state.tour = Some(run);
    state.modal = None;
    let (width, height) = state.size;
    super::update::resize(state, width, height);
    if resumed {
        state.toast(
            ToastLevel::Info,
            format!("tour: {title}, resumed at the first chapter not done"),
        );
    }
    after_update(state, None)
}

/// Ends the running tour (its progress stays saved).
pub fn stop(state: &mut State) -> Vec<Cmd> {
    state.dirty = true;
    match state.tour.take() {
        Some(run) => {
            state.toast(
                ToastLevel::Info,
                format!(
                    "tour stopped: {} (resume it with :tour {})",
                    run.spec.title,
                    run.spec.name()
                ),
            );
            let (width, height) = state.size;
            super::update::resize(state, width, height);
        }
        None => state.toast(ToastLevel::Info, "no tour is running"),
    }
    Vec::new()
}

/// Opens the `:tour` list on the running tour, or the first one.
pub fn open_list(state: &mut State) {
    state.dirty = true;
    let selected = state
        .tour
        .as_ref()
        .and_then(|run| {
            state
                .tours
                .tours
                .iter()
                .position(|t| t.name() == run.spec.name())
        })
        .unwrap_or(0);
    state.modal = Some(Modal::Tours { selected });
}

/// Keys of the `:tour` list: move, enter starts, esc closes.
pub fn list_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let Some(Modal::Tours { selected }) = &mut state.modal else {
        return Vec::new();
    };
    let last = state.tours.tours.len().saturating_sub(1);
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => *selected = (*selected + 1).min(last),
        KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
        KeyCode::Home | KeyCode::Char('g') => *selected = 0,
        KeyCode::End | KeyCode::Char('G') => *selected = last,
        KeyCode::Enter => {
            let name = state
                .tours
                .tours
                .get(*selected)
                .map(|t| t.name().to_owned());
            state.modal = None;
            if let Some(name) = name {
                return start(state, &name);
            }
        }
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.modal = None;
        }
        KeyCode::Esc | KeyCode::Char('q') => state.modal = None,
        _ => {}
    }
    Vec::new()
}
