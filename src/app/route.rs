//! Runs a pane's update code with a [`Ctx`] and carries out the [`Intent`]s it returns:
//! the only place where one pane's wish reaches another pane (through that pane's
//! [`Pane::focus`]), or the history and scope.

use super::ctx::{Ctx, Intent};
use super::msg::Cmd;
use super::panes::{Pane, PaneId, Panes};
use super::state::{State, View};
use crate::app::panes::catalog::card::CardState;

/// Runs `f` (which hands one pane and the [`Ctx`] to that pane's code), then carries out
/// what it asked for.
pub fn run(state: &mut State, f: impl FnOnce(&mut Panes, &mut Ctx<'_>) -> Vec<Cmd>) -> Vec<Cmd> {
    let (mut cmds, intents) = state.lend(f);
    cmds.extend(carry_out(state, intents));
    cmds
}

/// Runs `f` on pane `id` (through the [`Pane`] trait).
pub fn run_pane(
    state: &mut State,
    id: PaneId,
    f: impl FnOnce(&mut dyn Pane, &mut Ctx<'_>) -> Vec<Cmd>,
) -> Vec<Cmd> {
    run(state, |panes, ctx| f(panes.get_mut(id), ctx))
}

/// Runs `f` with a [`Ctx`] and no pane (a global key, a platform answer), then carries
/// out what it asked for.
pub fn with_ctx(state: &mut State, f: impl FnOnce(&mut Ctx<'_>) -> Vec<Cmd>) -> Vec<Cmd> {
    run(state, |_, ctx| f(ctx))
}

/// Carries out intents in the order they were asked.
pub fn carry_out(state: &mut State, intents: Vec<Intent>) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for intent in intents {
        state.dirty = true;
        match intent {
            Intent::Show(pane) => state.history.push(View::Pane(pane)),
            Intent::OpenCard(service) => {
                state.history.push(View::Card(CardState::new(service)));
            }
            Intent::Focus(focus) => {
                cmds.extend(run_pane(state, focus.pane(), |pane, ctx| {
                    pane.focus(ctx, &focus)
                }));
            }
            Intent::SetScope(scope) => cmds.extend(super::update::set_scope(state, scope)),
            Intent::OpenIncident(service) => cmds.extend(open_incident(state, service)),
            Intent::AskPolicy(request) => {
                cmds.push(Cmd::Platform(super::msg::PlatformCall::CheckAction(
                    request,
                )));
            }
            Intent::IncidentIn { context, service } => {
                if context != state.context.name {
                    cmds.extend(super::update::switch_context(state, &context));
                }
                cmds.extend(open_incident(state, Some(service)));
            }
            Intent::SilenceService { context, service } => {
                cmds.extend(silence_service(state, &context, &service));
            }
        }
    }
    cmds
}

/// Opens the incident view of `service` (scoping every pane to it), or of the current
/// scope when none is named.
pub fn open_incident(state: &mut State, service: Option<String>) -> Vec<Cmd> {
    // An unknown name leaves the user where they were, with the reason.
    if let Some(name) = &service
        && super::update::refuse_unknown_service(state, name)
    {
        return Vec::new();
    }
    state.history.push(View::Pane(PaneId::Incident));
    let mut cmds = match service {
        Some(name) => super::update::set_scope(state, Some(name)),
        None => Vec::new(),
    };
    // The traces panel reads the traces pane's list: ask for this service's.
    if let Some(name) = state.scope.clone() {
        cmds.extend(state.panes.traces.follow_service(name));
    }
    state.dirty = true;
    cmds
}

/// Opens the silence form for a service's worst firing alert, in the active context.
fn silence_service(state: &mut State, context: &str, service: &str) -> Vec<Cmd> {
    use super::state::ToastLevel;
    if context != state.context.name {
        state.toast(
            ToastLevel::Info,
            format!(
                "{service} is in context {context}: enter opens it there, then S silences its alert"
            ),
        );
        return Vec::new();
    }
    let Some(alert) = state
        .panes
        .alerts
        .firing_for(service)
        .into_iter()
        .find(|a| a.is_firing())
        .cloned()
    else {
        state.toast(
            ToastLevel::Info,
            format!("{service} has no firing alert to silence"),
        );
        return Vec::new();
    };
    with_ctx(state, |ctx| {
        crate::app::panes::alerts::actions::open_silence(ctx, &alert, Some(service));
        Vec::new()
    })
}
