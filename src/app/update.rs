//! `update(&mut State, Msg) -> Vec<Cmd>`: the only place where state changes.

use crossterm::event::{Event, KeyEvent, KeyEventKind};

use super::card::CardState;
use super::form::FormKind;
use super::msg::{Cmd, Msg, PlatformCall};
use super::postgres::PgView;
use super::state::{Modal, PaneId, State, ToastLevel, View};
use super::table::TablePane;
use super::update_input::{filter_key, help_key, open_palette, palette_key, paste};
pub use super::update_platform::{ask_confirm, form_context};
use super::update_platform::{
    confirm_key, decide, form_key, on_action_done, on_platform_reply, open_form, prompt_key,
};
use crate::actions::request::RolloutOp;
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
        state.dirty |= super::incident_actions::refresh(state) || data;
    }
    // The rollouts pane builds its rows only while it shows (they cost a pass over every pod).
    if state.view().pane() == PaneId::Rollouts && state.rollouts.apply_pending() {
        state.dirty = true;
        let probes = super::rollout_actions::access_probes(state);
        let keys = state.kube_access.to_ask(&probes);
        if !keys.is_empty() {
            cmds.push(Cmd::CheckAccess(keys));
        }
    }
    cmds.extend(super::tours::after_update(state, tour_event));
    cmds
}

fn handle(state: &mut State, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Now(now) => {
            state.now = now;
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
        Msg::Input(_) => Vec::new(),
        Msg::Source(event) => on_source(state, event),
        Msg::TraceLoaded { trace_id, trace } => {
            state.dirty |= state.traces.loaded(&trace_id, trace);
            Vec::new()
        }
        Msg::KubeAccess(answers) => {
            for (key, answer) in answers {
                state.kube_access.record(key, answer);
            }
            state.dirty |= matches!(state.view().pane(), PaneId::Apps | PaneId::Rollouts);
            Vec::new()
        }
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
        Msg::KafkaConfigs { topic, configs } => {
            state.dirty |= state.kafka.set_configs(topic, configs);
            Vec::new()
        }
        Msg::TopicPlanned {
            request,
            reason,
            plan,
        } => super::kafka_actions::on_topic_planned(state, request, reason, plan),
        Msg::PgLocks {
            database,
            pid,
            locks,
        } => {
            let pg = &mut state.postgres;
            if pg.current_database() == Some(database.as_str())
                && let Some(detail) = pg.detail.as_mut().filter(|d| d.pid == pid)
            {
                detail.locks = Some(locks);
                state.dirty = true;
            }
            Vec::new()
        }
        Msg::ThemeLoaded(result) => {
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
    }
}

/// Records the terminal size and the number of table rows that fit.
pub fn resize(state: &mut State, width: u16, height: u16) {
    state.size = (width, height);
    let tour_rows = crate::ui::widgets::tour::panel_rows(state, height);
    let page = crate::ui::layout::table_rows(width, height, tour_rows);
    for table in [
        &mut state.catalog.table,
        &mut state.requests.table,
        &mut state.audit.table,
    ] {
        table.page = page;
        table.scroll_into_view();
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
    match event.body {
        SourceBody::Catalog(catalog) => {
            state.catalog.set_catalog(catalog);
            state.dirty = true;
        }
        SourceBody::Platform(snapshot) => {
            snapshot.me.user.clone_into(&mut state.user);
            state.requests.set_snapshot(snapshot.clone());
            state.audit.set_snapshot(snapshot);
            state.dirty = true;
        }
        SourceBody::Postgres(snapshot) => {
            let visible = state.view().pane() == PaneId::Postgres
                && state.postgres.current_database() == Some(snapshot.database.as_str());
            state.postgres.set_snapshot(snapshot);
            state.dirty |= visible && !state.postgres.frozen;
        }
        SourceBody::Kube(snapshot) => {
            state.apps.set_snapshot(&snapshot);
            state.rollouts.offer(&snapshot);
            state.dirty |= matches!(state.view().pane(), PaneId::Apps | PaneId::Rollouts);
            let probes = super::app_actions::access_probes(state);
            let keys = state.kube_access.to_ask(&probes);
            if !keys.is_empty() {
                return vec![Cmd::CheckAccess(keys)];
            }
        }
        SourceBody::Logs(batch) => {
            state.logs.ingest(&batch);
            state.dirty |= state.view().pane() == PaneId::Logs;
        }
        SourceBody::Traces(list) => {
            // A list for an older search is dropped: the latest request wins.
            if list.search == state.traces.search() {
                state.traces.set_list(list);
                state.dirty |= state.view().pane() == PaneId::Traces;
            }
        }
        SourceBody::Kafka(snapshot) => {
            state.kafka.set_snapshot(snapshot);
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

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
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
        Some(Modal::Prompt(_)) => return prompt_key(state, key),
        Some(Modal::Tours { .. }) => return super::tours::list_key(state, key),
        Some(Modal::Messages { .. }) => {
            super::messages::key(state, key);
            return Vec::new();
        }
        None => {}
    }
    if state.view().pane() == PaneId::Logs && state.logs.editing.is_some() {
        super::logs_actions::search_key(state, key);
        return Vec::new();
    }
    if state
        .active_table()
        .is_some_and(|p| p.table().filter.editing)
    {
        filter_key(state, key);
        return Vec::new();
    }
    let Some(combo) = KeyCombo::from_event(&key) else {
        return Vec::new();
    };
    let contexts = state.view().key_contexts();
    match state.ui.keymap.lookup(contexts, combo) {
        Some(action) if state.readonly && action.is_dangerous() => {
            state.toast(
                ToastLevel::Warn,
                format!("{action} is disabled: read-only mode"),
            );
            Vec::new()
        }
        Some(action) => on_action(state, action),
        None => Vec::new(),
    }
}

/// Runs one keymap action. An action that no keymap section of the current view accepts
/// (another pane's, say Postgres's `freeze` while Kafka shows) does nothing: it must never
/// reach a pane that is not on screen.
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
    if state.view().pane() == PaneId::Logs
        && let Some(cmds) = super::logs_actions::on_action(state, action)
    {
        return cmds;
    }
    if state.view().pane() == PaneId::Traces
        && let Some(cmds) = super::traces_actions::on_action(state, action)
    {
        return cmds;
    }
    if state.view().pane() == PaneId::Incident
        && let Some(cmds) = super::incident_actions::on_action(state, action)
    {
        return cmds;
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
            if let Some(pane) = state.active_table_mut() {
                pane.table_mut().filter.editing = true;
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
        Action::PaneCatalog => goto(state, PaneId::Catalog),
        Action::PaneApps => goto(state, PaneId::Apps),
        Action::PaneRollouts => goto(state, PaneId::Rollouts),
        Action::PaneKafka => goto(state, PaneId::Kafka),
        Action::PanePostgres => goto(state, PaneId::Postgres),
        Action::PaneLogs => goto(state, PaneId::Logs),
        Action::PaneTraces => goto(state, PaneId::Traces),
        Action::PaneRequests => goto(state, PaneId::Requests),
        Action::PaneAudit => goto(state, PaneId::Audit),
        Action::PaneIncident => goto(state, PaneId::Incident),
        Action::Up => move_cursor(state, -1),
        Action::Down => move_cursor(state, 1),
        Action::PageUp => move_cursor(state, -page(state)),
        Action::PageDown => move_cursor(state, page(state)),
        Action::Top => move_cursor(state, isize::MIN / 2),
        Action::Bottom => move_cursor(state, isize::MAX / 2),
        Action::Select => return select(state),
        Action::Expand | Action::Collapse => {
            let catalog = state.catalog.catalog.clone();
            if let View::Card(card) = state.history.current_mut() {
                card.set_expanded(&catalog, action == Action::Expand);
            }
        }
        Action::SortNext | Action::SortPrev | Action::SortReverse => {
            if let Some(pane) = state.active_table_mut() {
                let columns = pane.columns();
                let table = pane.table_mut();
                match action {
                    Action::SortReverse => table.sort.reverse = !table.sort.reverse,
                    _ => table.cycle_sort(columns, action == Action::SortNext),
                }
                pane.refresh_view();
            }
        }
        Action::Scope => {
            let service = card_or_selected_service(state);
            if let Some(service) = service {
                return set_scope(state, Some(service));
            }
        }
        Action::ClearScope => return set_scope(state, None),
        Action::NewTopicRequest => open_form(state, FormKind::KafkaTopic),
        Action::NewReplicaRequest => open_form(state, FormKind::ReadReplica),
        Action::ToggleQueue => {
            if state.requests.is_approver() {
                state.requests.queue = !state.requests.queue;
                state.requests.refresh_view();
            } else {
                state.toast(ToastLevel::Info, "the approval queue is for approvers");
            }
        }
        Action::Approve => return decide(state, true),
        Action::Reject => return decide(state, false),
        Action::ToggleInternal => state.kafka.toggle_internal(),
        Action::DeleteSelected => super::kafka::ask_delete(state),
        Action::ToggleView
            if state.view().pane() == PaneId::Kafka && state.kafka.open_topic().is_some() =>
        {
            state.kafka.next_topic_page();
        }
        Action::ToggleView if state.view().pane() == PaneId::Kafka => state.kafka.next_view(),
        Action::CreateTopic => super::kafka_actions::open_create(state),
        Action::EditConfigs => return super::kafka_actions::ask_edit_configs(state),
        Action::AddPartitions => super::kafka_actions::ask_add_partitions(state),
        Action::ToggleView => {
            let pg = &mut state.postgres;
            pg.view = match pg.view {
                PgView::Sessions => PgView::Tree,
                PgView::Tree => PgView::Sessions,
            };
        }
        Action::NextDatabase => state.postgres.next_database(),
        Action::Freeze => {
            state.postgres.toggle_frozen();
            let word = if state.postgres.frozen {
                "frozen: the snapshot stays while you read"
            } else {
                "live again"
            };
            state.toast(ToastLevel::Info, word);
            return vec![Cmd::Pause(SourceId::Postgres, state.postgres.frozen)];
        }
        Action::FasterRefresh | Action::SlowerRefresh => {
            let pg = &mut state.postgres;
            let ms = u64::try_from(pg.refresh.as_millis()).unwrap_or(2000);
            let ms = if action == Action::FasterRefresh {
                ms / 2
            } else {
                ms * 2
            }
            .clamp(500, 10_000);
            pg.refresh = std::time::Duration::from_millis(ms);
            #[allow(clippy::cast_precision_loss)]
            let secs = ms as f64 / 1000.0;
            state.toast(ToastLevel::Info, format!("Postgres refresh every {secs} s"));
            return vec![Cmd::SetInterval(SourceId::Postgres, state.postgres.refresh)];
        }
        Action::CancelQuery => {
            super::pg_actions::ask_kill(state, crate::actions::request::KillMode::Cancel)
        }
        Action::TerminateBackend => {
            super::pg_actions::ask_kill(state, crate::actions::request::KillMode::Terminate);
        }
        Action::SyncApp => super::app_actions::ask_sync(state, false),
        Action::SyncPrune => super::app_actions::ask_sync(state, true),
        Action::RefreshApp => super::app_actions::ask_refresh(state, false),
        Action::HardRefresh => super::app_actions::ask_refresh(state, true),
        Action::RollbackApp => super::app_actions::ask_rollback(state),
        Action::TerminateOperation => super::app_actions::ask_terminate(state),
        Action::MarkResource => super::app_actions::toggle_mark(state),
        Action::Promote => rollout_op(state, RolloutOp::Promote { full: false }),
        Action::PromoteFull => rollout_op(state, RolloutOp::Promote { full: true }),
        Action::AbortRollout => rollout_op(state, RolloutOp::Abort),
        Action::RetryRollout => rollout_op(state, RolloutOp::Retry),
        Action::PauseRollout => rollout_op(state, RolloutOp::Pause),
        Action::ResumeRollout => rollout_op(state, RolloutOp::Resume),
        Action::RestartWorkload => rollout_op(state, RolloutOp::Restart),
        Action::UndoRollout => rollout_op(state, RolloutOp::Undo { revision: None }),
        Action::ScaleWorkload => rollout_op(state, RolloutOp::Scale { replicas: 0 }),
        Action::OpenLogs => {
            let service = card_or_selected_service(state);
            return super::logs_actions::open_logs(state, service, None);
        }
        Action::OpenTraces => {
            let service = card_or_selected_service(state);
            return super::traces_actions::open_traces(state, service);
        }
        // The logs pane's own keys (handled above while it shows) and the traces pane's.
        Action::ToggleErrors
        | Action::ToggleWarnings
        | Action::ToggleInfo
        | Action::ToggleDebugLines
        | Action::NextMatch
        | Action::PrevMatch
        | Action::OnlyMatching
        | Action::Follow
        | Action::Wrap
        | Action::Timestamps
        | Action::JumpTime
        | Action::CopyLine
        | Action::OpenTrace
        | Action::LogOptions => {}
        Action::ErrorsOnly | Action::MinDuration => {}
        // The incident view's own keys (handled above while it shows).
        Action::NextPanel | Action::PrevPanel | Action::PanelLeft | Action::PanelRight => {}
        Action::OpenIncident => {
            let service = card_or_selected_service(state);
            if service.is_some() {
                return super::incident_actions::open(state, service);
            }
        }
        Action::VerifyChain => {
            if !state.context.platform {
                state.toast(
                    ToastLevel::Error,
                    "no platform API configured in this context",
                );
                return Vec::new();
            }
            state.audit.verifying = true;
            return vec![Cmd::Platform(PlatformCall::Verify)];
        }
    }
    Vec::new()
}

/// The service of the open card, or of the catalog's selected row.
fn card_or_selected_service(state: &State) -> Option<String> {
    match state.view() {
        View::Card(card) => Some(card.service.clone()),
        View::Pane(PaneId::Catalog) => state
            .catalog
            .selected()
            .and_then(|e| e.as_service())
            .map(|s| s.name.clone()),
        View::Pane(_) => None,
    }
}

fn rollout_op(state: &mut State, op: RolloutOp) {
    super::rollout_actions::ask(state, op);
}

fn page(state: &State) -> isize {
    let page = state
        .active_table()
        .map_or(state.catalog.table.page, |p| p.table().page);
    isize::try_from(page.max(1)).unwrap_or(1)
}

pub(super) fn goto(state: &mut State, pane: PaneId) {
    state.history.push(View::Pane(pane));
}

fn back(state: &mut State) {
    if state.view().pane() == PaneId::Postgres && state.postgres.detail.take().is_some() {
        return;
    }
    if state.view().pane() == PaneId::Kafka && state.kafka.close_detail() {
        return;
    }
    if state.view().pane() == PaneId::Apps && state.apps.close_detail() {
        return;
    }
    if state.view().pane() == PaneId::Rollouts && state.rollouts.close_detail() {
        return;
    }
    if state.view().pane() == PaneId::Traces && state.traces.close() {
        return;
    }
    if state.view().pane() == PaneId::Audit && state.audit.close_detail() {
        return;
    }
    if let Some(pane) = state
        .active_table_mut()
        .filter(|p| p.table().filter.is_active())
    {
        pane.table_mut().filter.clear();
        pane.refresh_view();
        return;
    }
    state.history.back();
}

fn move_cursor(state: &mut State, delta: isize) {
    let catalog = state.catalog.catalog.clone();
    if let View::Card(card) = state.history.current_mut() {
        card.move_by(&catalog, delta);
    } else if state.view().pane() == PaneId::Postgres && state.postgres.view == PgView::Tree {
        state.postgres.move_tree(delta);
    } else if state.view().pane() == PaneId::Apps && state.apps.detail.is_some() {
        state.apps.move_detail_cursor(delta);
    } else if state.view().pane() == PaneId::Rollouts && state.rollouts.detail.is_some() {
        let scroll = &mut state.rollouts.detail_scroll;
        *scroll = scroll.saturating_add_signed(delta).min(10_000);
    } else if state.view().pane() == PaneId::Audit && state.audit.open_item().is_some() {
        let max = crate::ui::panes::audit::detail_max_scroll(state);
        state.audit.scroll_detail(delta, max);
    } else if let Some(pane) = state.active_table_mut() {
        pane.table_mut().move_by(delta);
    }
}

fn select(state: &mut State) -> Vec<Cmd> {
    let target = match state.view() {
        View::Pane(PaneId::Catalog) => state
            .catalog
            .selected()
            .and_then(|e| e.as_service())
            .map(|s| s.name.clone()),
        View::Card(card) => card.selected_service(&state.catalog.catalog),
        View::Pane(PaneId::Postgres) => {
            return super::pg_actions::open_detail(state);
        }
        View::Pane(PaneId::Apps) => {
            state.apps.open_detail();
            None
        }
        View::Pane(PaneId::Rollouts) => {
            state.rollouts.open_detail();
            None
        }
        View::Pane(PaneId::Audit) => {
            state.audit.open_detail();
            None
        }
        View::Pane(PaneId::Kafka) => {
            return state
                .kafka
                .open_detail()
                .map(|topic| Cmd::LoadTopicConfigs { topic })
                .into_iter()
                .collect();
        }
        View::Pane(_) => None,
    };
    if let Some(service) = target {
        state.history.push(View::Card(CardState::new(service)));
    }
    Vec::new()
}

/// Says so, and returns true, when the loaded catalog has no service `name` (before the
/// catalog loads every name is taken on trust).
pub(super) fn refuse_unknown_service(state: &mut State, name: &str) -> bool {
    let unknown = state.catalog.loaded && state.catalog.catalog.service(name).is_none();
    if unknown {
        state.toast(
            ToastLevel::Error,
            format!("no service named `{name}` in the catalog"),
        );
    }
    unknown
}

pub(super) fn set_scope(state: &mut State, scope: Option<String>) -> Vec<Cmd> {
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
        .and_then(|name| state.catalog.catalog.service(name))
        .and_then(|s| s.mapping.databases.first().cloned());
    if let Some(database) = database {
        state.postgres.select_database(&database);
    }
    state.kafka.scope = scope
        .as_deref()
        .and_then(|name| state.catalog.catalog.service(name))
        .map(|s| super::kafka::KafkaScope {
            topics: s.mapping.topics.clone(),
            groups: s.mapping.consumer_groups.clone(),
        });
    state.kafka.refresh_view();
    state.dirty = true;
    let mut cmds = vec![Cmd::SetScope(scope)];
    let target = super::logs_actions::target_for_scope(state);
    cmds.extend(super::logs_actions::retarget(state, target));
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
    state.context.name = name.to_owned();
    state.context.production = false;
    state.catalog.reset();
    state.requests.reset();
    state.audit.reset();
    state.postgres.reset(Vec::new());
    state.kafka.reset();
    state.apps.reset();
    state.rollouts.reset();
    state.traces.reset();
    state.logs.clear();
    state.kube_access = super::kube_access::KubeAccess::default();
    state.health.clear();
    state.dirty = true;
    state.toast(ToastLevel::Info, format!("context: {name}"));
    vec![Cmd::SwitchContext {
        name: name.to_owned(),
        generation: state.generation,
    }]
}
