//! Update steps of text input: the command palette, the help overlay, the table filter
//! and pasted text.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::modal::palette::{self, Command, PaletteState, Vocabulary};
use crate::app::msg::Cmd;
use crate::app::state::{Modal, PaneId, State};
use crate::app::update::{goto, set_scope, switch_context};

struct OwnedVocabulary {
    contexts: Vec<String>,
    themes: Vec<String>,
    services: Vec<String>,
    tours: Vec<String>,
}

fn vocabulary(state: &State) -> OwnedVocabulary {
    OwnedVocabulary {
        contexts: state.context.available.clone(),
        themes: state.ui.theme_names.clone(),
        services: state
            .panes
            .catalog
            .catalog
            .services()
            .map(|s| s.name.clone())
            .collect(),
        tours: state.tours.names().into_iter().map(str::to_owned).collect(),
    }
}

pub(crate) fn open_palette(state: &mut State, input: String) {
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
    let tours: Vec<&str> = owned.tours.iter().map(String::as_str).collect();
    let vocab = Vocabulary {
        contexts: &owned.contexts,
        themes: &owned.themes,
        services: &services,
        tours: &tours,
    };
    f(&vocab)
}

pub(crate) fn palette_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
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
        KeyCode::Up | KeyCode::Down
            if p.completions.is_empty()
                && crate::app::queries::recall(state, &mut p, key.code == KeyCode::Up) => {}
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
        Command::Pane(PaneId::Incident, arg) => crate::app::route::open_incident(state, arg),
        Command::Pane(pane, _) => {
            goto(state, pane);
            Vec::new()
        }
        Command::Context(name) => switch_context(state, &name),
        Command::Theme(name) => vec![Cmd::LoadTheme(name)],
        Command::Scope(scope) => set_scope(state, scope),
        Command::Tour(None) => {
            crate::app::tours::open_list(state);
            Vec::new()
        }
        Command::Tour(Some(name)) if name == "stop" => crate::app::tours::stop(state),
        Command::Tour(Some(name)) if name == "skip" => crate::app::tours::skip(state),
        Command::Tour(Some(name)) => crate::app::tours::start(state, &name),
        Command::Help => {
            state.modal = Some(Modal::Help { scroll: 0 });
            Vec::new()
        }
        Command::Messages => {
            crate::app::messages::open(state);
            Vec::new()
        }
        Command::Logs(query) => crate::app::queries::run_logql(state, query),
        Command::Traces(query) => crate::app::queries::run_traceql(state, query),
        Command::Window(text) => crate::app::queries::set_window(state, &text),
        Command::Quit => {
            state.quit = true;
            vec![Cmd::Quit]
        }
    }
}

pub(crate) fn help_key(state: &mut State, key: KeyEvent) {
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

pub(crate) fn filter_key(state: &mut State, key: KeyEvent) {
    state.dirty = true;
    let Some(pane) = state.table_pane_mut() else {
        return;
    };
    let Some(table) = pane.table_mut() else {
        return;
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let mut text = table.filter.text.clone();
    let mut mode = table.filter.mode;
    match key.code {
        KeyCode::Esc => table.filter.clear(),
        KeyCode::Char('c') if ctrl => table.filter.clear(),
        KeyCode::Enter => {
            table.filter.editing = false;
            return;
        }
        KeyCode::Tab => {
            mode = mode.next();
            table.filter.set(text, mode);
        }
        KeyCode::Backspace => {
            if text.pop().is_none() {
                table.filter.editing = false;
                return;
            }
            table.filter.set(text, mode);
        }
        KeyCode::Char('u') if ctrl => table.filter.set(String::new(), mode),
        KeyCode::Down => {
            table.move_by(1);
            return;
        }
        KeyCode::Up => {
            table.move_by(-1);
            return;
        }
        KeyCode::Char(c) if !ctrl => {
            text.push(c);
            table.filter.set(text, mode);
        }
        _ => return,
    }
    pane.refilter_view();
}

pub(crate) fn paste(state: &mut State, text: &str) {
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
    } else if state.active_table().is_some_and(|t| t.filter.editing)
        && let Some(pane) = state.table_pane_mut()
    {
        if let Some(table) = pane.table_mut() {
            let text = format!("{}{line}", table.filter.text);
            let mode = table.filter.mode;
            table.filter.set(text, mode);
        }
        pane.refilter_view();
        state.dirty = true;
    }
}
