//! `update(&mut State, Msg) -> Vec<Cmd>`: the only place where state changes.

use std::sync::Arc;

use crossterm::event::{Event, KeyEvent, KeyEventKind};

use super::msg::{Cmd, Msg};
use super::state::{Modal, PaneId, State, ToastLevel, View};
use crate::app::ctx::{Focus, Intent};
use crate::app::modal::form::FormKind;
use crate::app::modal::input::{filter_key, help_key, open_palette, palette_key, paste};
pub use crate::app::modal::platform::form_context;
use crate::app::modal::platform::{
    confirm_key, form_key, on_action_done, on_platform_reply, prompt_key,
};
use crate::app::panes::Pane;
use crate::app::panes::catalog::card::CardState;
use crate::app::route;
use crate::keymap::{Action, KeyCombo};
use crate::model::{SourceHealth, clean};
use crate::sources::{SourceBody, SourceEvent, SourceId};

/// Applies one message. Sets `state.dirty` when the screen must change.
pub fn update(state: &mut State, msg: Msg) -> Vec<Cmd> {
    let tour_event = state
        .tour
        .as_ref()
        .and_then(|_| super::tours::event_of(&msg));
    // The incident view reads every source, so any data (not health) may change it.
    let data = matches!(&msg, Msg::Source(e) if !matches!(e.body, SourceBody::Health(_)));
    let mut cmds = handle(state, msg);
    if state.view().pane() == PaneId::Incident {
        state.dirty |= refresh_incident(state) || data;
    }
    // The rollouts and pods panes build their rows only while they show (each costs a pass
    // over every pod).
    let pending: Option<fn(&mut super::panes::Panes, &mut super::ctx::Ctx<'_>) -> _> =
        match state.view().pane() {
            PaneId::Rollouts => Some(|panes, ctx| {
                crate::app::panes::rollouts::actions::apply_pending(&mut panes.rollouts, ctx)
            }),
            PaneId::Pods => Some(|panes, ctx| {
                crate::app::panes::pods::actions::apply_pending(&mut panes.pods, ctx)
            }),
            _ => None,
        };
    if let Some(apply) = pending {
        let (built, _) = state.lend(apply);
        if let Some(access) = built {
            state.dirty = true;
            cmds.extend(access);
        }
    }
    cmds.extend(super::tours::after_update(state, tour_event));
    cmds
}

/// Brings the incident view's cached facts (workload, error rate) up to date from the
/// rollouts and logs panes; true if they changed. Runs after every message while the view
/// shows, so it costs nothing when idle.
pub fn refresh_incident(state: &mut State) -> bool {
    let workload = state
        .scoped_service()
        .and_then(|s| s.mapping.workload.clone());
    let log_service = state.panes.logs.target.service.clone();
    let panes = &mut state.panes;
    panes.incident.refresh(
        workload.as_ref(),
        &panes.rollouts,
        &panes.logs.buffer,
        log_service.as_deref(),
    )
}

/// Whether the screen shows an age that grows by itself: a source's error or stale
/// marker counts seconds since the last good data, so the run loop redraws it about once a
/// second while there is one (a coarse redraw; nothing else changes).
#[must_use]
pub fn ages_on_screen(state: &State) -> bool {
    state.health.values().any(|h| {
        matches!(
            h,
            crate::model::SourceHealth::Error { .. } | crate::model::SourceHealth::Stale { .. }
        )
    })
}

fn handle(state: &mut State, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Now(now) => {
            state.now = now;
            Vec::new()
        }
        Msg::AgeTick => {
            state.dirty |= ages_on_screen(state);
            Vec::new()
        }
        Msg::Input(Event::Key(key)) if key.kind != KeyEventKind::Release => on_key(state, key),
        Msg::Input(Event::Resize(w, h)) => {
            resize(state, w, h);
            Vec::new()
        }
        Msg::Input(Event::Paste(text)) => {
            paste(state, &clean(&text));
            Vec::new()
        }
        Msg::Input(Event::Mouse(event)) => super::mouse::on_mouse(state, event),
        Msg::Input(_) => Vec::new(),
        Msg::Source(event) => on_source(state, event),
        Msg::Summary { context, event } => {
            crate::app::summary::on_summary(state, &context, event);
            Vec::new()
        }
        Msg::TraceLoaded { trace_id, trace } => {
            state.dirty |= state.panes.traces.loaded(&trace_id, trace);
            Vec::new()
        }
        Msg::ServiceMapLoaded { request, answer } => {
            state.dirty |= crate::app::panes::traces::map::answered(
                &mut state.panes.traces.map,
                request,
                *answer,
            );
            Vec::new()
        }
        Msg::KubeAccess(answers) => {
            for (key, answer) in answers {
                state.kube_access.record(key, answer);
            }
            state.dirty |= matches!(state.view().pane(), PaneId::Apps | PaneId::Rollouts);
            Vec::new()
        }
        Msg::Notice { level, text } => notice(state, level, text),
        Msg::CommandOutput(output) => {
            state.dirty = true;
            state.modal = Some(Modal::Output(output));
            Vec::new()
        }
        Msg::Forward(event) => on_forward(state, event),
        Msg::PlatformDone(reply) => on_platform_reply(state, *reply),
        Msg::ActionDone(report) => on_action_done(state, *report),
        // A context switched away from meanwhile starts nothing.
        Msg::ContextReady { name, generation } => {
            if generation == state.generation && name == state.context.name {
                vec![Cmd::StartSources { name, generation }]
            } else {
                Vec::new()
            }
        }
        Msg::AppDiffLoaded {
            namespace,
            app,
            result,
        } => {
            on_app_diff(state, &namespace, &app, result);
            Vec::new()
        }
        Msg::SyncWindowsLoaded {
            namespace,
            app,
            result,
        } => {
            on_sync_windows(state, &namespace, &app, result);
            Vec::new()
        }
        Msg::ObjectLoaded { reference, result } => on_object_loaded(state, &reference, result),
        msg @ (Msg::KafkaConfigs { .. }
        | Msg::TopicPlanned { .. }
        | Msg::KafkaResetPlanned { .. }
        | Msg::KafkaPeeked(_)) => on_kafka(state, msg),
        Msg::PgLocks {
            database,
            pid,
            locks,
        } => on_pg_locks(state, &database, pid, locks),
        Msg::ThemeLoaded(result) => on_theme_loaded(state, result),
    }
}

/// The locks of the session whose detail is open reach it, if it still is.
fn on_pg_locks(
    state: &mut State,
    database: &str,
    pid: i32,
    locks: Result<Vec<crate::model::pg::PgLock>, String>,
) -> Vec<Cmd> {
    let pg = &mut state.panes.postgres;
    if pg.current_database() == Some(database)
        && let Some(detail) = pg.detail.as_mut().filter(|d| d.pid == pid)
    {
        detail.locks = Some(locks);
        state.dirty = true;
    }
    Vec::new()
}

/// A theme loaded for `:theme` takes over, or says why not.
fn on_theme_loaded(
    state: &mut State,
    result: Result<Box<crate::theme::Theme>, crate::diagnostic::Diagnostic>,
) -> Vec<Cmd> {
    match result {
        Ok(theme) => {
            let name = theme.name.clone();
            state.ui.theme = std::sync::Arc::new(*theme);
            state.toast(ToastLevel::Info, format!("theme: {name}"));
        }
        Err(diag) => state.toast(ToastLevel::Error, diag.to_string()),
    }
    state.dirty = true;
    Vec::new()
}

/// Answers for the Kafka pane: a topic's configs, a topic's checked plan, a reset's plan, a
/// peek's messages.
fn on_kafka(state: &mut State, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::KafkaConfigs { topic, configs } => {
            state.dirty |= state.panes.kafka.set_configs(topic, configs);
            return Vec::new();
        }
        Msg::TopicPlanned {
            request,
            reason,
            plan,
        } => {
            state.dirty = true;
            return route::with_ctx(state, |ctx| {
                crate::app::panes::kafka::actions::on_topic_planned(ctx, request, reason, plan)
            });
        }
        _ => {}
    }
    state.dirty = true;
    match msg {
        Msg::KafkaResetPlanned { group, result } => route::with_ctx(state, |ctx| {
            crate::app::panes::kafka::first_aid::on_reset_planned(ctx, &group, result)
        }),
        Msg::KafkaPeeked(read) => {
            state.panes.kafka.peek =
                Some(crate::app::panes::kafka::first_aid::PeekView::new(*read));
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// A port-forward's news reaches its row.
fn on_forward(state: &mut State, event: crate::model::k8s::forward::ForwardEvent) -> Vec<Cmd> {
    let now = state.now;
    let changed = state.panes.forwards.on_event(event, now);
    state.dirty |= changed && state.view().pane() == PaneId::Forwards;
    Vec::new()
}

/// An app's sync windows arrived: kept for the detail, and put in the open sync confirmation.
fn on_sync_windows(
    state: &mut State,
    namespace: &str,
    app: &str,
    result: Result<serde_json::Value, String>,
) {
    let windows = &mut state.panes.apps.windows;
    if !crate::app::panes::apps::windows::on_loaded(windows, namespace, app, result) {
        return;
    }
    state.dirty |= state.view().pane() == PaneId::Apps;
    if let (Some(crate::app::state::Modal::Confirm(confirm)), Some(read)) =
        (state.modal.as_mut(), state.panes.apps.windows.as_ref())
    {
        state.dirty |= crate::app::panes::apps::windows::annotate_confirm(confirm, read);
    }
}

/// An app's managed resources arrived: for its open diff, and for the sync confirmation
/// that asked for them.
fn on_app_diff(
    state: &mut State,
    namespace: &str,
    app: &str,
    result: Result<serde_json::Value, String>,
) {
    let loaded =
        crate::app::panes::apps::diff::on_loaded(&mut state.panes.apps, namespace, app, result);
    state.dirty |= loaded.view_changed && state.view().pane() == PaneId::Apps;
    if let (Some(plan), Some(crate::app::state::Modal::Confirm(confirm))) =
        (loaded.plan, state.modal.as_mut())
    {
        state.dirty |= crate::app::panes::apps::sync::fill_plan(confirm, app, &plan);
    }
}

/// A fetched object reaches the describe view; a `Y` that asked for it copies its YAML.
fn on_object_loaded(
    state: &mut State,
    reference: &crate::model::k8s::ObjectRef,
    result: Result<crate::model::k8s::object_ref::ObjectDoc, String>,
) -> Vec<Cmd> {
    let now = state.now;
    let copy = state.panes.describe.on_loaded(reference, result, now);
    state.dirty |= state.view().pane() == PaneId::Describe;
    match copy {
        Some(yaml) => {
            let label = format!("the YAML of {} {}", reference.kind, reference.name);
            super::copy::copy_cmd(state, super::copy::Copied::new(label, yaml))
        }
        None => Vec::new(),
    }
}

/// Records the terminal size and gives every table of every pane the number of rows that
/// fit, so paging works the same in all of them.
pub fn resize(state: &mut State, width: u16, height: u16) {
    state.size = (width, height);
    let tour_rows = crate::app::layout::tour_panel_rows(state.tour.is_some(), height);
    let page = crate::app::layout::table_rows(width, height, tour_rows);
    for pane in state.panes.all_mut() {
        pane.set_page(page);
    }
    state.dirty = true;
}

fn on_source(state: &mut State, event: SourceEvent) -> Vec<Cmd> {
    if event.generation != state.generation {
        tracing::debug!(
            source = event.source.label(),
            "dropped event of an old generation"
        );
        return Vec::new();
    }
    let feeds_attention = crate::app::attention_feed::FEEDS.contains(&event.source);
    let cmds = apply_source(state, event);
    if feeds_attention {
        crate::app::attention_feed::refresh_active(state);
        state.dirty |= state.view().pane() == PaneId::Attention;
    }
    cmds
}

fn apply_source(state: &mut State, event: SourceEvent) -> Vec<Cmd> {
    match event.body {
        SourceBody::Catalog(catalog) => {
            state.panes.alerts.set_catalog(Arc::clone(&catalog));
            state.panes.catalog.set_catalog(catalog);
            state.dirty = true;
        }
        SourceBody::Metrics(snapshot) => {
            state.panes.catalog.set_metrics(snapshot);
            // The catalog, the card and the incident view all show its figures.
            state.dirty = true;
        }
        SourceBody::Platform(snapshot) => {
            snapshot.me.user.clone_into(&mut state.user);
            let previous = state.panes.requests.snapshot.clone();
            let held = crate::app::held::on_requests(
                state,
                previous.as_ref().map(|p| p.requests.as_slice()),
                &snapshot.requests,
            );
            state.panes.requests.set_snapshot(snapshot.clone());
            state
                .panes
                .catalog
                .set_oncall(crate::app::oncall::from_feed(
                    &snapshot.oncall,
                    snapshot.fetched_at,
                ));
            state.panes.oncall.set_snapshot(snapshot.clone());
            state.panes.audit.set_snapshot(snapshot);
            state.dirty = true;
            return held;
        }
        SourceBody::Postgres(snapshot) => {
            let visible = state.view().pane() == PaneId::Postgres
                && state.panes.postgres.current_database() == Some(snapshot.database.as_str());
            state.panes.postgres.set_snapshot(snapshot);
            state.dirty |= visible && !state.panes.postgres.frozen;
        }
        SourceBody::Kube(snapshot) => {
            state.panes.apps.set_snapshot(&snapshot);
            state.panes.rollouts.offer(&snapshot);
            state.panes.pods.offer(&snapshot);
            state.panes.events.set_snapshot(&snapshot);
            state.dirty |= matches!(
                state.view().pane(),
                PaneId::Apps | PaneId::Rollouts | PaneId::Pods | PaneId::Events
            );
            let probes = crate::app::panes::apps::actions::access_probes(&state.panes.apps);
            let keys = state.kube_access.to_ask(&probes);
            if !keys.is_empty() {
                return vec![Cmd::CheckAccess(keys)];
            }
        }
        SourceBody::Logs(batch) => {
            state.panes.logs.ingest(&batch);
            state.dirty |= state.view().pane() == PaneId::Logs;
        }
        SourceBody::Traces(list) => {
            // A list for an older search is dropped: the latest request wins.
            if list.search == state.panes.traces.search() {
                state.panes.traces.answered(list);
                state.dirty |= state.view().pane() == PaneId::Traces;
            }
        }
        SourceBody::Alerts(snapshot) => {
            let catalog = Arc::clone(&state.panes.catalog.catalog);
            state.panes.silences.set_snapshot(Arc::clone(&snapshot));
            state.panes.alerts.set_snapshot(snapshot, catalog);
            state.dirty |= matches!(
                state.view().pane(),
                PaneId::Alerts | PaneId::Silences | PaneId::Incident
            );
        }
        SourceBody::Kafka(snapshot) => {
            state.panes.kafka.set_snapshot(snapshot);
            state.dirty |= state.view().pane() == PaneId::Kafka;
        }
        SourceBody::Health(health) => {
            let old = state.health.get(&event.source);
            // A repeated "ok" only moves its timestamp; nothing on screen changes.
            let visible_change = match (old, &health) {
                (Some(SourceHealth::Ok { .. }), SourceHealth::Ok { .. }) => false,
                (Some(a), b) => a != b,
                (None, _) => true,
            };
            state.health.insert(event.source, health);
            state.dirty |= visible_change;
        }
    }
    Vec::new()
}

pub(crate) fn on_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    if state.toast.take().is_some() {
        state.dirty = true;
    }
    match &state.modal {
        Some(Modal::Palette(_)) => return palette_key(state, key),
        Some(Modal::Help { .. }) => {
            help_key(state, key);
            return Vec::new();
        }
        Some(Modal::Form(_)) => return form_key(state, key),
        Some(Modal::Confirm(_)) => return confirm_key(state, key),
        Some(Modal::Decide(_)) => return super::modal::platform::decide_key(state, key),
        Some(Modal::Prompt(_)) => return prompt_key(state, key),
        Some(Modal::Tours { .. }) => return super::tours::list_key(state, key),
        Some(Modal::Messages { .. }) => {
            super::messages::key(state, key);
            return Vec::new();
        }
        Some(Modal::Output(_)) => {
            super::custom::output_key(state, key);
            return Vec::new();
        }
        None => {}
    }
    if matches!(state.view(), View::Pane(_)) && state.pane().captures_keys() {
        state.dirty = true;
        let pane = state.view().pane();
        return route::run_pane(state, pane, |pane, ctx| {
            pane.on_text_key(ctx, key);
            Vec::new()
        });
    }
    if state.active_table().is_some_and(|t| t.filter.editing) {
        filter_key(state, key);
        return Vec::new();
    }
    let Some(combo) = KeyCombo::from_event(&key) else {
        return Vec::new();
    };
    super::keyseq::on_key(state, combo)
}

/// Runs the action a key is bound to, unless read-only mode disables it.
pub(crate) fn run_action(state: &mut State, action: Action) -> Vec<Cmd> {
    if state.readonly && action.is_dangerous() {
        state.toast(
            ToastLevel::Warn,
            format!("{action} is disabled: read-only mode"),
        );
        return Vec::new();
    }
    on_action(state, action)
}

/// Runs one keymap action: the shown pane's own keys first, then the global ones. An action
/// that no keymap section of the current view accepts (another pane's, say Postgres's
/// `freeze` while Kafka shows) does nothing: it never reaches a pane that is not on screen.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per global action: the dispatch table reads best whole"
)]
pub fn on_action(state: &mut State, action: Action) -> Vec<Cmd> {
    if !state
        .view()
        .key_contexts()
        .iter()
        .any(|context| context.accepts(action))
    {
        tracing::debug!(%action, "ignored: not an action of the current view");
        return Vec::new();
    }
    state.dirty = true;
    if let View::Pane(pane) = *state.view() {
        let (handled, intents) =
            state.lend(|panes, ctx| panes.get_mut(pane).on_action(ctx, action));
        let mut after = route::carry_out(state, intents);
        if let Some(mut cmds) = handled {
            cmds.append(&mut after);
            return cmds;
        }
    }
    // The keys that go to a pane are declared with the pane (`PaneInfo::goto`).
    if let Some(pane) = PaneId::ALL.iter().find(|p| p.info().goto == action) {
        goto(state, *pane);
        return Vec::new();
    }
    match action {
        Action::Quit => {
            state.quit = true;
            return vec![Cmd::Quit];
        }
        Action::Help => state.modal = Some(Modal::Help { scroll: 0 }),
        Action::Palette => open_palette(state, String::new()),
        Action::SwitchContext => open_palette(state, "ctx ".to_owned()),
        Action::Filter => {
            if let Some(table) = state.active_table_mut() {
                table.filter.editing = true;
            }
        }
        Action::Back => back(state),
        Action::HistoryBack => {
            state.history.back();
        }
        Action::HistoryForward => {
            state.history.forward();
        }
        Action::Refresh => return vec![Cmd::Refresh(SourceId::ALL.to_vec())],
        Action::ToggleDebug => state.debug = !state.debug,
        Action::Suspend => return vec![Cmd::Suspend],
        Action::Copy => return super::copy::on_copy(state, super::copy::CopyKind::Key),
        Action::CopyRow => return super::copy::on_copy(state, super::copy::CopyKind::Row),
        Action::Up => move_cursor(state, -1),
        Action::Down => move_cursor(state, 1),
        Action::PageUp => move_cursor(state, -page(state)),
        Action::PageDown => move_cursor(state, page(state)),
        Action::Top => move_cursor(state, isize::MIN / 2),
        Action::Bottom => move_cursor(state, isize::MAX / 2),
        Action::Select => {
            let catalog = state.panes.catalog.catalog.clone();
            if let View::Card(card) = state.view()
                && let Some(service) = card.selected_service(&catalog)
            {
                state.history.push(View::Card(CardState::new(service)));
            }
        }
        Action::Expand | Action::Collapse => {
            let catalog = state.panes.catalog.catalog.clone();
            if let View::Card(card) = state.history.current_mut() {
                card.set_expanded(&catalog, action == Action::Expand);
            }
        }
        Action::SortNext | Action::SortPrev | Action::SortReverse
            if state.active_table().is_some() =>
        {
            let pane = state.pane_mut();
            let columns = pane.sort_keys().len().max(1);
            if let Some(table) = pane.table_mut() {
                match action {
                    Action::SortReverse => table.sort.reverse = !table.sort.reverse,
                    _ => table.cycle_sort(columns, action == Action::SortNext),
                }
            }
            pane.refresh_view();
        }
        Action::Scope => {
            let service = card_or_selected_service(state);
            if let Some(service) = service {
                return set_scope(state, Some(service));
            }
        }
        Action::ClearScope => return set_scope(state, None),
        Action::NewTopicRequest | Action::NewReplicaRequest => {
            let kind = if action == Action::NewTopicRequest {
                FormKind::KafkaTopic
            } else {
                FormKind::ReadReplica
            };
            return route::with_ctx(state, |ctx| {
                ctx.open_form(kind);
                Vec::new()
            });
        }
        Action::OpenLogs => {
            let service = card_or_selected_service(state);
            return route::carry_out(
                state,
                vec![Intent::Focus(Focus::Logs {
                    service,
                    trace_id: None,
                    errors_only: false,
                    window: None,
                })],
            );
        }
        Action::OpenTraces => {
            let service = card_or_selected_service(state);
            return route::carry_out(state, vec![Intent::Focus(Focus::Traces { service })]);
        }
        Action::OpenIncident => {
            let service = card_or_selected_service(state);
            if service.is_some() {
                return route::open_incident(state, service);
            }
        }
        // Every other action is a pane's own: it ran above if that pane shows.
        _ => {}
    }
    Vec::new()
}

/// The service of the open card, or of the catalog's selected row.
fn card_or_selected_service(state: &State) -> Option<String> {
    match state.view() {
        View::Card(card) => Some(card.service.clone()),
        View::Pane(PaneId::Catalog) => state
            .panes
            .catalog
            .selected()
            .and_then(|e| e.as_service())
            .map(|s| s.name.clone()),
        View::Pane(_) => None,
    }
}

fn page(state: &State) -> isize {
    let page = state.active_table().map_or(1, |t| t.page);
    isize::try_from(page.max(1)).unwrap_or(1)
}

pub(crate) fn goto(state: &mut State, pane: PaneId) {
    // Pane 0 with no service chosen is what is on fire everywhere.
    let pane = if pane == PaneId::Incident && state.scope.is_none() {
        PaneId::Attention
    } else {
        pane
    };
    state.history.push(View::Pane(pane));
}

fn back(state: &mut State) {
    if matches!(state.view(), View::Pane(_)) {
        if state.pane_mut().close() {
            return;
        }
        if state.active_table().is_some_and(|t| t.filter.is_active()) {
            let pane = state.pane_mut();
            if let Some(table) = pane.table_mut() {
                table.filter.clear();
            }
            pane.refilter_view();
            return;
        }
    }
    state.history.back();
}

fn move_cursor(state: &mut State, delta: isize) {
    let catalog = state.panes.catalog.catalog.clone();
    if let View::Card(card) = state.history.current_mut() {
        card.move_by(&catalog, delta);
        return;
    }
    let pane = state.pane_mut();
    if !pane.move_other(delta)
        && let Some(table) = pane.table_mut()
    {
        table.move_by(delta);
    }
}

/// Says so, and returns true, when the loaded catalog has no service `name` (before the
/// catalog loads every name is taken on trust).
pub(crate) fn refuse_unknown_service(state: &mut State, name: &str) -> bool {
    let unknown = state.panes.catalog.loaded && state.panes.catalog.catalog.service(name).is_none();
    if unknown {
        state.toast(
            ToastLevel::Error,
            format!("no service named `{name}` in the catalog"),
        );
    }
    unknown
}

pub(crate) fn set_scope(state: &mut State, scope: Option<String>) -> Vec<Cmd> {
    if let Some(name) = &scope
        && refuse_unknown_service(state, name)
    {
        return Vec::new();
    }
    if state.scope == scope {
        return Vec::new();
    }
    match &scope {
        Some(name) => state.toast(ToastLevel::Info, format!("scope: {name} (every pane)")),
        None => state.toast(ToastLevel::Info, "scope cleared: all services"),
    }
    state.scope.clone_from(&scope);
    // Every pane follows the scope: the Postgres pane shows the service's database.
    let database = scope
        .as_deref()
        .and_then(|name| state.panes.catalog.catalog.service(name))
        .and_then(|s| s.mapping.databases.first().cloned());
    if let Some(database) = database {
        state.panes.postgres.select_database(&database);
        // Scope chose it: the pane does not wander off to the busiest database.
        state.panes.postgres.database_picked = true;
    }
    state.panes.kafka.scope = scope
        .as_deref()
        .and_then(|name| state.panes.catalog.catalog.service(name))
        .map(|s| crate::app::panes::kafka::KafkaScope {
            topics: s.mapping.topics.clone(),
            groups: s.mapping.consumer_groups.clone(),
        });
    state.panes.kafka.refresh_view();
    state.dirty = true;
    let mut cmds = vec![Cmd::SetScope(scope)];
    let target = crate::app::panes::logs::actions::target_for(
        &state.panes.catalog.catalog,
        state.scope.as_deref(),
    );
    cmds.extend(crate::app::panes::logs::actions::retarget(
        &mut state.panes.logs,
        target,
    ));
    cmds
}

/// Switches the whole console to another context.
pub fn switch_context(state: &mut State, name: &str) -> Vec<Cmd> {
    if !state.context.available.iter().any(|c| c == name) {
        let known = state.context.available.join(", ");
        state.toast(
            ToastLevel::Error,
            format!("no context `{name}`; known: {known}"),
        );
        return Vec::new();
    }
    if state.context.name == name {
        state.toast(ToastLevel::Info, format!("already in {name}"));
        return Vec::new();
    }
    state.generation += 1;
    name.clone_into(&mut state.context.name);
    state.context.production = false;
    for pane in state.panes.all_mut() {
        pane.reset();
    }
    state.kube_access = super::kube_access::KubeAccess::default();
    state.health.clear();
    state.dirty = true;
    state.toast(ToastLevel::Info, format!("context: {name}"));
    vec![Cmd::SwitchContext {
        name: name.to_owned(),
        generation: state.generation,
    }]
}

/// The runtime's word for the user (an external program ended, or did not run).
fn notice(state: &mut State, level: crate::app::state::ToastLevel, text: String) -> Vec<Cmd> {
    state.toast(level, text);
    state.dirty = true;
    Vec::new()
}
