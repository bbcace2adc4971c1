//! `update(&mut State, Msg) -> Vec<Cmd>`: the only place where state changes.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::card::CardState;
use super::msg::{Cmd, Msg};
use super::palette::{self, Command, PaletteState, Vocabulary};
use super::state::{Modal, PaneId, State, ToastLevel, View};
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
    state.catalog.table.page = crate::ui::layout::table_rows(width, height);
    state.catalog.table.scroll_into_view();
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
    } else if state.catalog.table.filter.editing {
        let filter = &mut state.catalog.table.filter;
        let text = format!("{}{line}", filter.text);
        let mode = filter.mode;
        filter.set(text, mode);
        state.catalog.refresh_view();
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
        None => {}
    }
    if state.catalog.table.filter.editing && matches!(state.view(), View::Pane(PaneId::Catalog)) {
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
            if matches!(state.view(), View::Pane(PaneId::Catalog)) {
                state.catalog.table.filter.editing = true;
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
        Action::Select => select(state),
        Action::Expand | Action::Collapse => {
            let catalog = state.catalog.catalog.clone();
            if let View::Card(card) = state.history.current_mut() {
                card.set_expanded(&catalog, action == Action::Expand);
            }
        }
        Action::SortNext | Action::SortPrev | Action::SortReverse => {
            if matches!(state.view(), View::Pane(PaneId::Catalog)) {
                let table = &mut state.catalog.table;
                match action {
                    Action::SortReverse => table.sort.reverse = !table.sort.reverse,
                    _ => table.cycle_sort(
                        super::catalog::CatalogColumn::ALL.len(),
                        action == Action::SortNext,
                    ),
                }
                state.catalog.refresh_view();
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
    }
    Vec::new()
}

fn page(state: &State) -> isize {
    isize::try_from(state.catalog.table.page.max(1)).unwrap_or(1)
}

fn goto(state: &mut State, pane: PaneId) {
    state.history.push(View::Pane(pane));
}

fn back(state: &mut State) {
    if matches!(state.view(), View::Pane(PaneId::Catalog)) && state.catalog.table.filter.is_active()
    {
        state.catalog.table.filter.clear();
        state.catalog.refresh_view();
        return;
    }
    state.history.back();
}

fn move_cursor(state: &mut State, delta: isize) {
    let catalog = state.catalog.catalog.clone();
    match state.history.current_mut() {
        View::Card(card) => card.move_by(&catalog, delta),
        View::Pane(PaneId::Catalog) => state.catalog.table.move_by(delta),
        View::Pane(_) => {}
    }
}

fn select(state: &mut State) {
    let target = match state.view() {
        View::Pane(PaneId::Catalog) => state
            .catalog
            .selected()
            .and_then(|e| e.as_service())
            .map(|s| s.name.clone()),
        View::Card(card) => card.selected_service(&state.catalog.catalog),
        View::Pane(_) => None,
    };
    if let Some(service) = target {
        state.history.push(View::Card(CardState::new(service)));
    }
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
    let filter = &mut state.catalog.table.filter;
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let mut text = filter.text.clone();
    let mut mode = filter.mode;
    match key.code {
        KeyCode::Esc => {
            filter.clear();
            state.catalog.refresh_view();
            return;
        }
        KeyCode::Char('c') if ctrl => {
            filter.clear();
            state.catalog.refresh_view();
            return;
        }
        KeyCode::Enter => {
            filter.editing = false;
            return;
        }
        KeyCode::Tab => mode = mode.next(),
        KeyCode::Backspace => {
            if text.pop().is_none() {
                filter.editing = false;
                return;
            }
        }
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Down => {
            state.catalog.table.move_by(1);
            return;
        }
        KeyCode::Up => {
            state.catalog.table.move_by(-1);
            return;
        }
        KeyCode::Char(c) if !ctrl => text.push(c),
        _ => return,
    }
    filter.set(text, mode);
    state.catalog.refresh_view();
}
