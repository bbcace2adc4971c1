//! Deterministic sandbox frames: the source of `screenshots/*.svg` and of render tests.
//!
//! The state is built from the sandbox world at a fixed seed and instant, without tasks or
//! clocks, so the same call always draws the same frame.

use std::sync::Arc;

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::app::card::CardState;
use crate::app::palette::PaletteState;
use crate::app::run::{apply_context, load_ui};
use crate::app::state::{ContextInfo, Modal, PaneId, State, View};
use crate::app::update::resize;
use crate::config::Config;
use crate::model::SourceHealth;
use crate::sources::SourceId;
use crate::sources::sandbox::World;
use crate::theme::ColorDepth;

/// Panes `opsdeck screenshot --pane` accepts, besides the pane commands.
pub const EXTRA_VIEWS: &[&str] = &["card", "help", "palette"];

/// The fixed instant of screenshots.
#[must_use]
pub fn epoch() -> Timestamp {
    "2026-11-02T03:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A sandbox state at `size`, with the catalog loaded and the catalog source healthy.
pub fn demo_state(seed: u64, width: u16, height: u16, depth: ColorDepth) -> Result<State, String> {
    let config = Config::sandbox(seed);
    let ui = load_ui("default", "default", None, depth).map_err(|d| d.to_string())?;
    let context = ContextInfo {
        name: "sandbox-staging".into(),
        ..ContextInfo::default()
    };
    let mut state = State::new(context, "dev".into(), ui, epoch());
    apply_context(&mut state, &config);
    state
        .catalog
        .set_catalog(Arc::new(World::new(seed, epoch()).catalog()));
    state
        .health
        .insert(SourceId::Catalog, SourceHealth::Ok { at: epoch() });
    resize(&mut state, width, height);
    Ok(state)
}

/// Moves a demo state to the named view.
pub fn show(state: &mut State, view: &str) -> Result<(), String> {
    match view {
        "card" => state
            .history
            .push(View::Card(CardState::new("checkout-api".into()))),
        "help" => state.modal = Some(Modal::Help { scroll: 0 }),
        "palette" => {
            let mut p = PaletteState {
                input: "ro".into(),
                ..PaletteState::default()
            };
            let contexts = state.context.available.clone();
            let vocab = crate::app::palette::Vocabulary {
                contexts: &contexts,
                themes: &[],
                services: &[],
            };
            p.update_completions(&vocab);
            state.modal = Some(Modal::Palette(p));
        }
        other => {
            let pane = PaneId::from_command(other).ok_or_else(|| {
                let mut known: Vec<&str> = PaneId::ALL.iter().map(|p| p.command()).collect();
                known.extend(EXTRA_VIEWS);
                format!("unknown pane `{other}`; known: {}", known.join(", "))
            })?;
            state.history.push(View::Pane(pane));
        }
    }
    Ok(())
}

/// Draws a state into a buffer.
pub fn draw(state: &State) -> Result<Buffer, String> {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).map_err(|e| e.to_string())?;
    terminal
        .draw(|f| crate::ui::render(f, state))
        .map_err(|e| e.to_string())?;
    Ok(terminal.backend().buffer().clone())
}

/// The SVG of one sandbox view.
pub fn render_svg(view: &str, width: u16, height: u16, seed: u64) -> Result<String, String> {
    let mut state = demo_state(seed, width, height, ColorDepth::TrueColor)?;
    show(&mut state, view)?;
    Ok(crate::ui::svg::buffer_to_svg(&draw(&state)?))
}
