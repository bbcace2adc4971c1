//! Keys of the incident view: opening it for a service (`:incident <service>`, `i` on the
//! catalog or the card), moving between panels, and enter on a panel opening the full pane
//! with the service's item selected (its app, workload, database, group, logs, traces).

use crate::app::msg::Cmd;
use crate::app::panes::Pane;
use crate::app::panes::catalog::card::CardState;
use crate::app::panes::incident::Panel;
use crate::app::panes::kafka::KafkaView;
use crate::app::panes::postgres::PgView;
use crate::app::state::{PaneId, State, ToastLevel, View};
use crate::app::update::{goto, set_scope};
use crate::keymap::Action;
use crate::model::Service;
use crate::model::logs::{LevelGroup, LevelSet};

/// Opens the incident view of `service` (scoping every pane to it), or of the current
/// scope when none is named.
pub fn open(state: &mut State, service: Option<String>) -> Vec<Cmd> {
    // An unknown name leaves the user where they were, with the reason.
    if let Some(name) = &service
        && crate::app::update::refuse_unknown_service(state, name)
    {
        return Vec::new();
    }
    goto(state, PaneId::Incident);
    let mut cmds = match service {
        Some(name) => set_scope(state, Some(name)),
        None => Vec::new(),
    };
    // The traces panel reads the traces pane's list: ask for this service's.
    if let Some(name) = state.scope.clone()
        && state.panes.traces.service.as_deref() != Some(name.as_str())
    {
        state.panes.traces.service = Some(name);
        cmds.push(Cmd::TraceSearch(Box::new(state.panes.traces.search())));
    }
    state.dirty = true;
    cmds
}

/// The service of the incident view, when the scope names one in the catalog.
#[must_use]
pub fn service(state: &State) -> Option<&Service> {
    state
        .scope
        .as_deref()
        .and_then(|name| state.panes.catalog.catalog.service(name))
}

/// Brings the view's cached facts (workload, error rate) up to date; true if they changed.
/// Called after every message while the view shows, so it costs nothing when idle.
pub fn refresh(state: &mut State) -> bool {
    let workload = service(state).and_then(|s| s.mapping.workload.clone());
    let log_service = state.panes.logs.target.service.clone();
    state.panes.incident.refresh(
        workload.as_ref(),
        &state.panes.rollouts,
        &state.panes.logs.buffer,
        log_service.as_deref(),
    )
}

/// Runs an incident-view action; `None` when the action is not the view's.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Cmd>> {
    let focus = state.panes.incident.focus;
    state.panes.incident.focus = match action {
        Action::NextPanel => focus.cycle(true),
        Action::PrevPanel => focus.cycle(false),
        Action::Up => focus.step(-1, 0),
        Action::Down => focus.step(1, 0),
        Action::PanelLeft => focus.step(0, -1),
        Action::PanelRight => focus.step(0, 1),
        Action::Select => return Some(open_panel(state, focus)),
        _ => return None,
    };
    state.dirty = true;
    Some(Vec::new())
}

/// Enter: the full pane behind a panel, with the service's item selected.
fn open_panel(state: &mut State, panel: Panel) -> Vec<Cmd> {
    let Some(service) = service(state).cloned() else {
        state.toast(
            ToastLevel::Info,
            "no service: `:incident <service>` or `i` on a service",
        );
        return Vec::new();
    };
    state.dirty = true;
    let mapping = &service.mapping;
    match panel {
        Panel::Card => state
            .history
            .push(View::Card(CardState::new(service.name.clone()))),
        Panel::Argo => {
            goto(state, PaneId::Apps);
            if let Some(app) = &mapping.argocd_app {
                let apps = &mut state.panes.apps;
                let row = apps.rows.iter().position(|r| &r.name == app);
                select_row(apps, row);
            }
        }
        Panel::Rollout => return open_workload(state, &service),
        Panel::Database => {
            goto(state, PaneId::Postgres);
            if let Some(db) = mapping.databases.first() {
                state.panes.postgres.select_database(db);
            }
            state.panes.postgres.view = PgView::Tree;
        }
        Panel::Lag => {
            goto(state, PaneId::Kafka);
            let kafka = &mut state.panes.kafka;
            kafka.close_detail();
            while kafka.view != KafkaView::Groups {
                kafka.next_view();
            }
            if let (Some(group), Some(snapshot)) =
                (mapping.consumer_groups.first(), kafka.snapshot.clone())
            {
                let index = snapshot.groups.iter().position(|g| &g.name == group);
                let visible = index.and_then(|i| {
                    (0..kafka.table.visible.len()).find(|&v| kafka.row_index(v) == i)
                });
                if let Some(v) = visible {
                    kafka.table.select(v);
                }
            }
        }
        Panel::Logs => {
            let cmds = crate::app::panes::logs::actions::open_logs(
                state,
                Some(service.name.clone()),
                None,
            );
            state.panes.logs.levels = LevelSet::NONE.with(LevelGroup::Error);
            state.panes.logs.recompute();
            state.toast(
                ToastLevel::Info,
                "errors only: the level keys show the rest",
            );
            return cmds;
        }
        Panel::Traces => {
            return crate::app::panes::traces::actions::open_traces(
                state,
                Some(service.name.clone()),
            );
        }
    }
    Vec::new()
}

/// Puts a table's cursor on data row `row`, clearing a filter that hides it.
fn select_row(pane: &mut dyn Pane, row: Option<usize>) {
    let Some(row) = row else {
        return;
    };
    let Some(table) = pane.table_mut() else {
        return;
    };
    if !table.select_row(row) {
        table.filter.clear();
        pane.refresh_view();
        if let Some(table) = pane.table_mut() {
            table.select_row(row);
        }
    }
}

/// The rollouts pane with the service's workload opened (its tree).
fn open_workload(state: &mut State, service: &Service) -> Vec<Cmd> {
    goto(state, PaneId::Rollouts);
    // The rows are built when the pane shows; build them now to select the workload.
    let mut cmds = Vec::new();
    if state.panes.rollouts.apply_pending() {
        let probes = crate::app::panes::rollouts::actions::access_probes(state);
        let keys = state.kube_access.to_ask(&probes);
        if !keys.is_empty() {
            cmds.push(Cmd::CheckAccess(keys));
        }
    }
    if let Some(wanted) = &service.mapping.workload {
        let rollouts = &mut state.panes.rollouts;
        let row = rollouts.entries.iter().position(|e| {
            e.row.name == wanted.name
                && wanted
                    .namespace
                    .as_deref()
                    .is_none_or(|ns| ns == e.row.namespace)
        });
        select_row(rollouts, row);
        if row.is_some() {
            rollouts.open_detail();
        }
    }
    cmds
}
