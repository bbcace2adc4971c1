//! Keys of the incident view: moving between panels, and enter on a panel opening the full
//! pane with the service's item selected (its app, workload, database, group, logs,
//! traces), asked of that pane through an [`Intent`]. Opening the view itself
//! (`:incident <service>`, `i`) is the router's (`app::route::open_incident`).

use crate::app::ctx::{Ctx, Focus, Intent};
use crate::app::msg::Cmd;
use crate::app::panes::incident::{IncidentState, Panel};
use crate::app::state::ToastLevel;
use crate::keymap::Action;

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[
    crate::keymap::Action::NextPanel,
    crate::keymap::Action::PrevPanel,
    crate::keymap::Action::PanelLeft,
    crate::keymap::Action::PanelRight,
    crate::keymap::Action::Up,
    crate::keymap::Action::Down,
    crate::keymap::Action::Select,
    crate::keymap::Action::SilenceAlert,
];

/// Runs an incident-view action; `None` when the action is not the view's.
pub fn on_action(
    incident: &mut IncidentState,
    ctx: &mut Ctx<'_>,
    action: Action,
) -> Option<Vec<Cmd>> {
    let focus = incident.focus;
    incident.focus = match action {
        Action::NextPanel => focus.cycle(true),
        Action::PrevPanel => focus.cycle(false),
        Action::Up => focus.step(-1, 0),
        Action::Down => focus.step(1, 0),
        Action::PanelLeft => focus.step(0, -1),
        Action::PanelRight => focus.step(0, 1),
        Action::Select => {
            open_panel(ctx, focus);
            return Some(Vec::new());
        }
        Action::SilenceAlert => {
            if let Some(service) = ctx.scope.map(str::to_owned) {
                ctx.intent(Intent::SilenceService {
                    context: ctx.context.name.clone(),
                    service,
                });
            }
            return Some(Vec::new());
        }
        _ => return None,
    };
    Some(Vec::new())
}

/// Enter: the full pane behind a panel, with the service's item selected.
fn open_panel(ctx: &mut Ctx<'_>, panel: Panel) {
    let Some(service) = ctx.scoped_service().cloned() else {
        ctx.toast(
            ToastLevel::Info,
            "no service: `:incident <service>` or `i` on a service",
        );
        return;
    };
    let mapping = service.mapping;
    let intent = match panel {
        Panel::Alerts => Intent::Show(crate::app::panes::PaneId::Alerts),
        // The card holds the service's SLO and links; the changes have no pane of their own.
        Panel::Metrics | Panel::Changes | Panel::Card => Intent::OpenCard(service.name),
        Panel::Argo => match mapping.argocd_app {
            Some(app) => Intent::Focus(Focus::App(app)),
            None => Intent::Show(crate::app::panes::PaneId::Apps),
        },
        Panel::Rollout => match mapping.workload {
            Some(workload) => Intent::Focus(Focus::Workload(workload)),
            None => Intent::Show(crate::app::panes::PaneId::Rollouts),
        },
        Panel::Database => Intent::Focus(Focus::DatabaseTree(mapping.databases.first().cloned())),
        Panel::Lag => Intent::Focus(Focus::Group(mapping.consumer_groups.first().cloned())),
        Panel::Logs => Intent::Focus(Focus::Logs {
            service: Some(service.name),
            trace_id: None,
            errors_only: true,
            window: None,
        }),
        Panel::Traces => Intent::Focus(Focus::Traces {
            service: Some(service.name),
        }),
    };
    ctx.intent(intent);
}
