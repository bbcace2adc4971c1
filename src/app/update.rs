//! `update(&mut State, Msg) -> Vec<Cmd>`: the only place where state changes.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::card::CardState;
use super::form::{Form, FormContext, FormKind};
use super::msg::{Cmd, Msg, PlatformCall, PlatformReply};
use super::palette::{self, Command, PaletteState, Vocabulary};
use super::postgres::PgView;
use super::state::{Modal, PaneId, Prompt, PromptPurpose, State, ToastLevel, View};
use super::table::TablePane;
use crate::keymap::{Action, KeyCombo};
use crate::model::{SourceHealth, clean};
use crate::sources::{SourceBody, SourceEvent, SourceId};

/// Applies one message. Sets `state.dirty` when the screen must change.
pub fn update(state: &mut State, msg: Msg) -> Vec<Cmd> {
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
        Msg::Source(event) => {
            on_source(state, event);
            Vec::new()
        }
        Msg::PlatformDone(reply) => on_platform_reply(state, *reply),
        Msg::ActionDone(report) => on_action_done(state, *report),
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
    let page = crate::ui::layout::table_rows(width, height);
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

fn on_source(state: &mut State, event: SourceEvent) {
    if event.generation != state.generation {
        tracing::debug!(
            source = event.source.label(),
            "dropped event of an old generation"
        );
        return;
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
        SourceBody::Kafka(_) => {}
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
}

fn paste(state: &mut State, text: &str) {
    let line: String = text.chars().filter(|c| *c != '␊').collect();
    if let Some(Modal::Palette(mut p)) = state.modal.take() {
        p.input.push_str(&line);
        with_vocabulary(state, |v| p.update_completions(v));
        state.modal = Some(Modal::Palette(p));
        state.dirty = true;
    } else if let Some(Modal::Form(form)) = &mut state.modal {
        line.chars().for_each(|c| form.type_char(c));
        state.dirty = true;
    } else if let Some(Modal::Prompt(prompt)) = &mut state.modal {
        prompt.input.push_str(&line);
        state.dirty = true;
    } else if let Some(pane) = state
        .active_table_mut()
        .filter(|p| p.table().filter.editing)
    {
        let filter = &mut pane.table_mut().filter;
        let text = format!("{}{line}", filter.text);
        let mode = filter.mode;
        filter.set(text, mode);
        pane.refresh_view();
        state.dirty = true;
    }
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
        None => {}
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

/// Runs one keymap action.
pub fn on_action(state: &mut State, action: Action) -> Vec<Cmd> {
    state.dirty = true;
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
            let service = match state.view() {
                View::Card(card) => Some(card.service.clone()),
                View::Pane(PaneId::Catalog) => state
                    .catalog
                    .selected()
                    .and_then(|e| e.as_service())
                    .map(|s| s.name.clone()),
                View::Pane(_) => None,
            };
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

/// Opens the confirmation dialog of an action, unless read-only mode forbids it.
pub fn ask_confirm(state: &mut State, confirm: super::confirm::Confirm) {
    state.dirty = true;
    if let Err(refusal) = crate::actions::gate::allowed(&confirm.request, state.readonly) {
        state.toast(ToastLevel::Warn, refusal.reason);
        return;
    }
    state.modal = Some(Modal::Confirm(Box::new(confirm)));
}

fn confirm_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let Some(Modal::Confirm(confirm)) = &mut state.modal else {
        return Vec::new();
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => state.modal = None,
        KeyCode::Char('c') if ctrl => state.modal = None,
        KeyCode::Tab | KeyCode::BackTab => confirm.next_field(),
        KeyCode::Backspace => {
            confirm.input_mut().pop();
        }
        KeyCode::Enter => match confirm.accept() {
            Ok(reason) => {
                let request = confirm.request.clone();
                state.modal = None;
                state.actions_in_flight += 1;
                state.toast(
                    ToastLevel::Info,
                    format!("{}: asking the audit gate…", request.action_name()),
                );
                return vec![Cmd::Execute { request, reason }];
            }
            Err(message) => confirm.error = Some(message),
        },
        KeyCode::Char(c) if !ctrl => {
            if confirm.input_mut().chars().count() < 200 {
                confirm.input_mut().push(c);
            }
            confirm.error = None;
        }
        _ => {}
    }
    Vec::new()
}

fn on_action_done(state: &mut State, report: super::msg::ActionReport) -> Vec<Cmd> {
    use crate::actions::gate::GateOutcome;
    state.dirty = true;
    state.actions_in_flight = state.actions_in_flight.saturating_sub(1);
    let level = match &report.outcome {
        GateOutcome::Executed { result, .. }
            if result.status == crate::platform::api::OutcomeStatus::Succeeded =>
        {
            ToastLevel::Info
        }
        GateOutcome::Executed { .. } | GateOutcome::NeedsApproval { .. } => ToastLevel::Warn,
        GateOutcome::Refused(_) => ToastLevel::Error,
    };
    state.toast(level, report.summary());
    state.last_action = Some(report);
    // Show the real new state at once, and the audit record.
    vec![Cmd::Refresh(SourceId::ALL.to_vec())]
}

/// Form context from the catalog and the context's Kafka brokers.
#[must_use]
pub fn form_context(state: &State) -> FormContext {
    let catalog = &state.catalog.catalog;
    let mut databases: Vec<String> = catalog
        .services()
        .flat_map(|s| s.mapping.databases.iter().cloned())
        .collect();
    databases.sort();
    databases.dedup();
    FormContext {
        brokers: state.context.kafka_brokers,
        databases,
        services: catalog.services().map(|s| s.name.clone()).collect(),
    }
}

fn open_form(state: &mut State, kind: FormKind) {
    if !state.context.platform {
        state.toast(
            ToastLevel::Error,
            "no platform API configured in this context: requests cannot be sent",
        );
        return;
    }
    let form = match state.drafts.iter().position(|f| f.kind == kind) {
        Some(i) => state.drafts.remove(i),
        None => {
            let ctx = form_context(state);
            let scoped = state
                .scope
                .as_deref()
                .and_then(|s| state.catalog.catalog.service(s));
            match kind {
                FormKind::KafkaTopic => Form::topic(&ctx, state.scope.as_deref()),
                FormKind::ReadReplica => Form::replica(
                    &ctx,
                    scoped
                        .and_then(|s| s.mapping.databases.first())
                        .map(String::as_str),
                ),
            }
        }
    };
    state.modal = Some(Modal::Form(form));
}

fn decide(state: &mut State, approve: bool) -> Vec<Cmd> {
    if !state.requests.is_approver() {
        state.toast(
            ToastLevel::Warn,
            "only approvers can approve or reject requests",
        );
        return Vec::new();
    }
    let Some(request) = state
        .requests
        .selected()
        .filter(|_| state.view().pane() == PaneId::Requests)
    else {
        return Vec::new();
    };
    if request.state != crate::platform::api::RequestState::Submitted {
        let state_word = request.state.as_str();
        state.toast(
            ToastLevel::Warn,
            format!("request is {state_word}: only submitted requests can be decided"),
        );
        return Vec::new();
    }
    let id = request.id.clone();
    if approve {
        state.toast(ToastLevel::Info, format!("approving {id}…"));
        vec![Cmd::Platform(PlatformCall::Approve(id))]
    } else {
        state.modal = Some(Modal::Prompt(Prompt {
            title: format!("reject {id}: reason"),
            input: String::new(),
            error: None,
            purpose: PromptPurpose::RejectRequest(id),
        }));
        Vec::new()
    }
}

fn on_platform_reply(state: &mut State, reply: PlatformReply) -> Vec<Cmd> {
    state.dirty = true;
    let refresh = vec![Cmd::Refresh(vec![SourceId::Platform])];
    match reply {
        PlatformReply::Created(Ok(request)) => {
            if matches!(state.modal, Some(Modal::Form(_))) {
                state.modal = None;
            }
            let summary = super::requests::summary(&request.spec);
            state.toast(
                ToastLevel::Info,
                format!(
                    "request {} {}: {summary}",
                    request.id,
                    request.state.as_str()
                ),
            );
            refresh
        }
        PlatformReply::Created(Err(message)) => {
            if let Some(Modal::Form(form)) = &mut state.modal {
                form.submitting = false;
                form.error = Some(message);
            } else {
                state.toast(ToastLevel::Error, message);
            }
            Vec::new()
        }
        PlatformReply::Decided(Ok(request)) => {
            state.toast(
                ToastLevel::Info,
                format!("request {} is {}", request.id, request.state.as_str()),
            );
            refresh
        }
        PlatformReply::Decided(Err(message)) => {
            state.toast(ToastLevel::Error, message);
            Vec::new()
        }
        PlatformReply::Verified(result) => {
            state.audit.verifying = false;
            state.audit.verify = Some(result);
            Vec::new()
        }
    }
}

fn form_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let ctx = form_context(state);
    let Some(Modal::Form(form)) = &mut state.modal else {
        return Vec::new();
    };
    if form.submitting {
        return Vec::new();
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => {
            if let Some(Modal::Form(form)) = state.modal.take() {
                state.toast(
                    ToastLevel::Info,
                    "form kept as a draft: open it again to continue",
                );
                state.drafts.push(form);
            }
        }
        KeyCode::Char('c') if ctrl => {
            state.modal = None;
        }
        KeyCode::Tab | KeyCode::Down => form.focus_by(1),
        KeyCode::BackTab | KeyCode::Up => form.focus_by(-1),
        KeyCode::Left => form.cycle_choice(false),
        KeyCode::Right => form.cycle_choice(true),
        KeyCode::Backspace => form.backspace(),
        KeyCode::Enter => {
            form.error = None;
            if let Some(spec) = form.validate(&ctx) {
                form.submitting = true;
                return vec![Cmd::Platform(PlatformCall::Create(spec))];
            }
        }
        KeyCode::Char(c) if !ctrl => form.type_char(c),
        _ => {}
    }
    Vec::new()
}

fn prompt_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let Some(Modal::Prompt(prompt)) = &mut state.modal else {
        return Vec::new();
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => state.modal = None,
        KeyCode::Char('c') if ctrl => state.modal = None,
        KeyCode::Backspace => {
            prompt.input.pop();
        }
        KeyCode::Enter => match super::validate::reason(&prompt.input) {
            Ok(reason) => {
                let PromptPurpose::RejectRequest(id) = prompt.purpose.clone();
                state.modal = None;
                return vec![Cmd::Platform(PlatformCall::Reject { id, reason })];
            }
            Err(e) => prompt.error = Some(e),
        },
        KeyCode::Char(c) if !ctrl => {
            prompt.input.push(c);
            prompt.error = None;
        }
        _ => {}
    }
    Vec::new()
}

fn page(state: &State) -> isize {
    let page = state
        .active_table()
        .map_or(state.catalog.table.page, |p| p.table().page);
    isize::try_from(page.max(1)).unwrap_or(1)
}

fn goto(state: &mut State, pane: PaneId) {
    state.history.push(View::Pane(pane));
}

fn back(state: &mut State) {
    if state.view().pane() == PaneId::Postgres && state.postgres.detail.take().is_some() {
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
        View::Pane(_) => None,
    };
    if let Some(service) = target {
        state.history.push(View::Card(CardState::new(service)));
    }
    Vec::new()
}

fn set_scope(state: &mut State, scope: Option<String>) -> Vec<Cmd> {
    if let Some(name) = &scope
        && state.catalog.loaded
        && state.catalog.catalog.service(name).is_none()
    {
        state.toast(
            ToastLevel::Error,
            format!("no service named `{name}` in the catalog"),
        );
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
    state.dirty = true;
    vec![Cmd::SetScope(scope)]
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
    state.health.clear();
    state.dirty = true;
    state.toast(ToastLevel::Info, format!("context: {name}"));
    vec![Cmd::SwitchContext {
        name: name.to_owned(),
        generation: state.generation,
    }]
}

struct OwnedVocabulary {
    contexts: Vec<String>,
    themes: Vec<String>,
    services: Vec<String>,
}

fn vocabulary(state: &State) -> OwnedVocabulary {
    OwnedVocabulary {
        contexts: state.context.available.clone(),
        themes: state.ui.theme_names.clone(),
        services: state
            .catalog
            .catalog
            .services()
            .map(|s| s.name.clone())
            .collect(),
    }
}

fn open_palette(state: &mut State, input: String) {
    let mut palette = PaletteState {
        input,
        ..PaletteState::default()
    };
    with_vocabulary(state, |v| palette.update_completions(v));
    state.modal = Some(Modal::Palette(palette));
}

fn with_vocabulary<R>(state: &State, f: impl FnOnce(&Vocabulary<'_>) -> R) -> R {
    let owned = vocabulary(state);
    let services: Vec<&str> = owned.services.iter().map(String::as_str).collect();
    let vocab = Vocabulary {
        contexts: &owned.contexts,
        themes: &owned.themes,
        services: &services,
    };
    f(&vocab)
}

fn palette_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let Some(Modal::Palette(mut p)) = state.modal.take() else {
        return Vec::new();
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Char('c' | 'g') if ctrl => return Vec::new(),
        KeyCode::Enter => {
            let line = p.line_to_run();
            return match palette::parse(&line) {
                Ok(command) => run_command(state, command),
                Err(message) => {
                    p.error = Some(message);
                    state.modal = Some(Modal::Palette(p));
                    Vec::new()
                }
            };
        }
        KeyCode::Tab => with_vocabulary(state, |v| p.accept_completion(v)),
        KeyCode::Down => p.cycle(true),
        KeyCode::Up | KeyCode::BackTab => p.cycle(false),
        KeyCode::Backspace => {
            if p.input.pop().is_none() {
                return Vec::new();
            }
            with_vocabulary(state, |v| p.update_completions(v));
        }
        KeyCode::Char('u') if ctrl => {
            p.input.clear();
            with_vocabulary(state, |v| p.update_completions(v));
        }
        KeyCode::Char(c) if !ctrl => {
            p.input.push(c);
            with_vocabulary(state, |v| p.update_completions(v));
        }
        _ => {}
    }
    state.modal = Some(Modal::Palette(p));
    Vec::new()
}

/// Runs a palette command.
pub fn run_command(state: &mut State, command: Command) -> Vec<Cmd> {
    state.dirty = true;
    match command {
        Command::Pane(pane, arg) => {
            goto(state, pane);
            if let (PaneId::Incident, Some(service)) = (pane, arg) {
                return set_scope(state, Some(service));
            }
            Vec::new()
        }
        Command::Context(name) => switch_context(state, &name),
        Command::Theme(name) => vec![Cmd::LoadTheme(name)],
        Command::Scope(scope) => set_scope(state, scope),
        Command::Help => {
            state.modal = Some(Modal::Help { scroll: 0 });
            Vec::new()
        }
        Command::Quit => {
            state.quit = true;
            vec![Cmd::Quit]
        }
    }
}

fn help_key(state: &mut State, key: KeyEvent) {
    state.dirty = true;
    let Some(Modal::Help { scroll }) = &mut state.modal else {
        return;
    };
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => *scroll += 1,
        KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => *scroll += 10,
        KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.modal = None;
        }
        KeyCode::Esc | KeyCode::Char('?' | 'q') | KeyCode::Enter => state.modal = None,
        _ => {}
    }
}

fn filter_key(state: &mut State, key: KeyEvent) {
    state.dirty = true;
    let Some(pane) = state.active_table_mut() else {
        return;
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let filter = &pane.table().filter;
    let mut text = filter.text.clone();
    let mut mode = filter.mode;
    match key.code {
        KeyCode::Esc => {
            pane.table_mut().filter.clear();
            pane.refresh_view();
            return;
        }
        KeyCode::Char('c') if ctrl => {
            pane.table_mut().filter.clear();
            pane.refresh_view();
            return;
        }
        KeyCode::Enter => {
            pane.table_mut().filter.editing = false;
            return;
        }
        KeyCode::Tab => mode = mode.next(),
        KeyCode::Backspace => {
            if text.pop().is_none() {
                pane.table_mut().filter.editing = false;
                return;
            }
        }
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Down => {
            pane.table_mut().move_by(1);
            return;
        }
        KeyCode::Up => {
            pane.table_mut().move_by(-1);
            return;
        }
        KeyCode::Char(c) if !ctrl => text.push(c),
        _ => return,
    }
    pane.table_mut().filter.set(text, mode);
    pane.refresh_view();
}
