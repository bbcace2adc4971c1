//! Tours inside the app: `:tour` (the list), starting and stopping, recording what happens,
//! and completing steps after every message.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::msg::{ActionReport, Cmd, Msg, PlatformReply};
use super::state::{Modal, State, ToastLevel};
use crate::actions::gate::GateOutcome;
use crate::model::platform::OutcomeStatus;
use crate::tour::check::TourEvent;
use crate::tour::progress::TourProgress;
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
    if let Some(event) = event {
        run.record(event);
    }
    let before = (run.chapter, run.step, run.finished);
    let saved = run.advance(state);
    if (run.chapter, run.step, run.finished) != before {
        state.dirty = true;
    }
    put_back(state, run, saved)
}

/// Makes `run` the running tour again (it was taken out so its checks could read the
/// state), and asks to save `saved` progress when a chapter ended.
fn put_back(state: &mut State, run: TourRun, saved: Option<TourProgress>) -> Vec<Cmd> {
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

/// Outside the sandbox a tour only looks, unless the user said otherwise: called where a
/// context is applied and where a tour starts in one. Read-only then lasts the session.
pub fn enforce_read_only(state: &mut State) {
    let writes_allowed = state.tour.as_ref().is_none_or(|run| run.allow_writes);
    if writes_allowed || state.context.sandbox || state.readonly {
        return;
    }
    state.readonly = true;
    state.toast(
        ToastLevel::Warn,
        "tour in a real context: read-only (start it with --allow-writes to act)",
    );
}

/// Starts (or resumes) the tour `name` in the running console.
pub fn start(state: &mut State, name: &str) -> Vec<Cmd> {
    if !begin(state, name) {
        return Vec::new();
    }
    enforce_read_only(state);
    let (width, height) = state.size;
    super::update::resize(state, width, height);
    after_update(state, None)
}

/// Makes `name` the running tour, resumed at its first chapter not done, and says so when
/// it resumes. Returns false (with a toast) for an unknown name. The checks run with the
/// next message and read-only is decided when the run loop applies the context, so this is
/// safe before the run loop starts.
pub fn begin(state: &mut State, name: &str) -> bool {
    state.dirty = true;
    let Some(spec) = state.tours.find(name).cloned() else {
        let known = state.tours.names().join(", ");
        state.toast(
            ToastLevel::Error,
            format!("no tour `{name}`; known: {known}"),
        );
        return false;
    };
    let mut run = TourRun::new(spec, state.tour_progress.get(name), state.now);
    run.allow_writes = state.tour_allow_writes;
    let resumed_at = (run.chapter > 0).then(|| run.current_chapter().title.clone());
    let title = run.spec.title.clone();
    state.tour = Some(run);
    state.modal = None;
    if let Some(chapter) = resumed_at {
        state.toast(
            ToastLevel::Info,
            format!("{title}: tour resumed at “{chapter}” (opsdeck tour --restart starts over)"),
        );
    }
    true
}

/// Skips the running tour's current step.
pub fn skip(state: &mut State) -> Vec<Cmd> {
    state.dirty = true;
    let Some(mut run) = state.tour.take() else {
        state.toast(ToastLevel::Info, "no tour is running");
        return Vec::new();
    };
    let saved = run.skip(state);
    put_back(state, run, saved)
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::screenshot::demo_state;
    use crate::theme::ColorDepth;
    use crate::tour::library::TourLibrary;
    use crate::tour::progress::TourProgress;

    fn state() -> State {
        let mut s = demo_state(7, 80, 24, ColorDepth::Ansi16).expect("demo state");
        s.tours = Arc::new(TourLibrary::load(None));
        s
    }

    fn key(s: &mut State, code: KeyCode) -> Vec<Cmd> {
        list_key(s, KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn the_list_starts_the_selected_tour_and_stop_ends_it() {
        let mut s = state();
        open_list(&mut s);
        assert!(matches!(s.modal, Some(Modal::Tours { selected: 0 })));
        key(&mut s, KeyCode::Down);
        key(&mut s, KeyCode::Enter);
        assert!(s.modal.is_none());
        let run = s.tour.as_ref().expect("started");
        assert_eq!(run.spec.name(), "blocking-query");
        assert_eq!((run.chapter, run.step), (0, 0));
        open_list(&mut s);
        assert!(
            matches!(s.modal, Some(Modal::Tours { selected: 1 })),
            "the list opens on the running tour"
        );
        key(&mut s, KeyCode::Esc);
        stop(&mut s);
        assert!(s.tour.is_none());
        assert!(start(&mut s, "no-such-tour").is_empty());
        assert!(
            s.toast
                .as_ref()
                .is_some_and(|t| t.text.contains("known: first-day-on-call"))
        );
    }

    #[test]
    fn a_tour_resumes_at_its_first_unfinished_chapter_and_restarts_once_finished() {
        let mut s = state();
        s.tour_progress.insert(
            "blocking-query".into(),
            TourProgress {
                chapters_done: 2,
                finished: false,
            },
        );
        start(&mut s, "blocking-query");
        let run = s.tour.as_ref().expect("started");
        assert_eq!(run.chapter, 2);
        assert!(run.done[0].iter().chain(&run.done[1]).all(|d| *d));
        assert!(run.done[2].iter().all(|d| !*d));
        assert!(s.toast.as_ref().is_some_and(|t| t.text.contains("resumed")));
        s.tour_progress.insert(
            "blocking-query".into(),
            TourProgress {
                chapters_done: 3,
                finished: true,
            },
        );
        start(&mut s, "blocking-query");
        assert_eq!(
            s.tour.as_ref().map(|r| r.chapter),
            Some(0),
            "finished: again"
        );
    }

    #[test]
    fn outside_the_sandbox_a_tour_is_read_only_unless_writes_are_allowed() {
        let mut s = state();
        s.context.sandbox = false;
        s.readonly = false;
        start(&mut s, "first-day-on-call");
        assert!(s.readonly, "a tour in a real context only looks");
        let mut s = state();
        s.context.sandbox = false;
        s.readonly = false;
        s.tour_allow_writes = true;
        start(&mut s, "first-day-on-call");
        assert!(!s.readonly, "--allow-writes keeps actions available");
        let mut s = state();
        start(&mut s, "first-day-on-call");
        assert!(!s.readonly, "the sandbox is for trying things");
    }

    #[test]
    fn skip_moves_past_a_step_that_cannot_complete_and_marks_it() {
        let mut s = state();
        start(&mut s, "blocking-query");
        s.scope = Some("checkout-api".into());
        after_update(&mut s, None);
        assert_eq!(s.tour.as_ref().map(|r| (r.chapter, r.step)), Some((0, 1)));
        assert!(skip(&mut s).is_empty(), "not the end of a chapter");
        let run = s.tour.as_ref().expect("running");
        assert!(run.skipped[0][1] && !run.done[0][1]);
        assert_eq!((run.chapter, run.step), (0, 2));
        assert_eq!(run.steps_done(), 1, "a skipped step is not done");
        let cmds = skip(&mut s);
        assert!(
            matches!(cmds.as_slice(), [Cmd::SaveTourProgress(_)]),
            "skipping the last step of a chapter ends it: {cmds:?}"
        );
        assert_eq!(s.tour.as_ref().map(|r| r.chapter), Some(1));
    }

    #[test]
    fn a_chapter_done_asks_to_save_progress() {
        let mut s = state();
        start(&mut s, "first-day-on-call");
        s.modal = Some(Modal::Help { scroll: 0 });
        assert!(
            after_update(&mut s, None).is_empty(),
            "a step is not a chapter"
        );
        s.modal = Some(Modal::Palette(
            crate::app::modal::palette::PaletteState::default(),
        ));
        after_update(&mut s, None);
        s.modal = None;
        s.history
            .push(crate::app::View::Pane(crate::app::PaneId::Kafka));
        after_update(&mut s, None);
        s.history
            .push(crate::app::View::Pane(crate::app::PaneId::Catalog));
        let cmds = after_update(&mut s, None);
        let expected = TourProgress {
            chapters_done: 1,
            finished: false,
        };
        assert_eq!(s.tour_progress.get("first-day-on-call"), Some(&expected));
        assert!(
            matches!(cmds.as_slice(), [Cmd::SaveTourProgress(p)] if p.get("first-day-on-call") == Some(&expected))
        );
    }
}
