//! Keeping the actions that wait for an approver ([`crate::model::approvals`]): the gate's
//! "needs approval" answer holds the action under its request's id, the platform feed
//! tells the user when it is approved (and drops it once it is rejected or used), and a run
//! through the gate releases it.

use crate::actions::gate::GateOutcome;
use crate::app::msg::{ActionReport, Cmd};
use crate::app::panes::PaneId;
use crate::app::state::{State, ToastLevel};
use crate::keymap::{Action, KeyContext};
use crate::model::approvals::{HeldAction, HeldActions, NextStep, next_step, settled};
use crate::model::platform::{Request, RequestState};

/// The gate answered an action: hold it while an approver decides, release it once it ran.
pub fn after_report(state: &mut State, report: &ActionReport) -> Option<Cmd> {
    match &report.outcome {
        GateOutcome::NeedsApproval {
            request_id: Some(id),
            ..
        } => {
            state.held_actions.insert(
                id.clone(),
                HeldAction {
                    context: state.context.name.clone(),
                    request: report.request.clone(),
                    asked_at: state.now.to_string(),
                },
            );
            Some(Cmd::SaveHeldActions(state.held_actions.clone()))
        }
        GateOutcome::Executed { .. } => {
            let context = state.context.name.clone();
            let before = state.held_actions.len();
            // The gate used an approval of the same action and target: the held copy is
            // spent (the platform marks its request used).
            state
                .held_actions
                .retain(|_, h| !(h.context == context && h.request == report.request));
            (state.held_actions.len() != before)
                .then(|| Cmd::SaveHeldActions(state.held_actions.clone()))
        }
        GateOutcome::NeedsApproval { .. } | GateOutcome::Refused(_) => None,
    }
}

/// A new list of requests from the platform: say which held actions were approved since the
/// last list (and how to run them), and release those that were rejected or used.
pub fn on_requests(state: &mut State, previous: Option<&[Request]>, now: &[Request]) -> Vec<Cmd> {
    let run_key = state
        .ui
        .keymap
        .key_for(&[KeyContext::Pane(PaneId::Requests)], Action::RunApproved)
        .map_or_else(|| "its run key".to_owned(), |k| k.to_string());
    let mut toasts = Vec::new();
    for request in now {
        let Some(held) = state.held_actions.get(&request.id) else {
            continue;
        };
        let was = previous
            .and_then(|p| p.iter().find(|r| r.id == request.id))
            .map(|r| r.state);
        // Not in the last list counts as new: an approver may be quicker than the feed,
        // and a console started after the approval says so once.
        let newly = |s: RequestState| request.state == s && was != Some(s);
        let what = format!(
            "{} {}",
            held.request.action_name(),
            held.request.target().reference
        );
        if newly(RequestState::Approved) {
            let step = next_step(request, &state.held_actions, &state.context.name);
            let by = request.decided_by.as_deref().unwrap_or("an approver");
            let how = match step {
                NextStep::RunHere => format!("press {run_key} on it in :requests to run it"),
                other => other.words(&run_key),
            };
            toasts.push((ToastLevel::Info, format!("{what} approved by {by}: {how}")));
        } else if newly(RequestState::Rejected) {
            let why = request.state_reason.as_deref().unwrap_or("no reason given");
            toasts.push((
                ToastLevel::Warn,
                format!("{what} was rejected ({why}): it will not run"),
            ));
        }
    }
    for (level, text) in toasts {
        state.toast(level, text);
    }
    let done: Vec<String> = settled(&state.held_actions, now)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if done.is_empty() {
        return Vec::new();
    }
    for id in &done {
        state.held_actions.remove(id);
    }
    vec![Cmd::SaveHeldActions(state.held_actions.clone())]
}

/// The held action of `request`, when this console holds it for the current context.
#[must_use]
pub fn runnable<'a>(
    held: &'a HeldActions,
    request: &Request,
    context: &str,
) -> Option<&'a HeldAction> {
    held.get(&request.id)
        .filter(|h| h.context == context && request.state == RequestState::Approved)
}
