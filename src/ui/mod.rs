//! Pure rendering: `render(frame, &State)` draws everything from the state, with no I/O,
//! no `.await`, no locks and no clock reads. Widgets ask the theme for roles, never colours.
//!
//! The frame layout is computed in [`crate::app::layout`]; panes live in `panes/` and widgets in
//! `widgets/`, one per file.

pub mod panes;
pub mod svg;
pub mod text;
pub mod widgets;

use ratatui::Frame;
use ratatui::widgets::Block;

use crate::app::state::{Modal, State, View};
use crate::theme::Role;

/// Draws one frame.
pub fn render(frame: &mut Frame<'_>, state: &State) {
    let area = frame.area();
    let theme = &state.ui.theme;
    // Only what this frame draws may answer a mouse click (`app::drawn`); with the mouse
    // off nothing is recorded at all.
    for pane in crate::app::PaneId::ALL {
        if let Some(table) = state.panes.get(*pane).table() {
            table.drawn.clear(state.mouse);
        }
    }
    frame.render_widget(Block::default().style(theme.style(Role::Background)), area);
    if crate::app::layout::too_small(area.width, area.height) {
        widgets::too_small::render(frame, area, theme);
        return;
    }
    let areas = crate::app::layout::areas_with(area, widgets::tour::panel_rows(state, area.height));
    widgets::header::render(frame, areas.header, state);
    if let Some(tabs) = areas.tabs {
        widgets::tabs::render(frame, tabs, state);
    }
    match state.view() {
        View::Pane(crate::app::PaneId::Catalog) => panes::catalog::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Requests) => {
            panes::requests::render(frame, areas.body, state);
        }
        View::Pane(crate::app::PaneId::Audit) => panes::audit::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Kafka) => panes::kafka::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Apps) => panes::apps::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Logs) => panes::logs::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Traces) => panes::traces::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Rollouts) => {
            panes::rollouts::render(frame, areas.body, state);
        }
        View::Pane(crate::app::PaneId::Postgres) => {
            panes::postgres::render(frame, areas.body, state);
        }
        View::Card(card) => panes::card::render(frame, areas.body, state, card),
        View::Pane(crate::app::PaneId::Incident) => {
            panes::incident::render(frame, areas.body, state);
        }
        View::Pane(crate::app::PaneId::Alerts) => panes::alerts::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Attention) => {
            panes::attention::render(frame, areas.body, state);
        }
        View::Pane(crate::app::PaneId::Silences) => {
            panes::silences::render(frame, areas.body, state);
        }
        View::Pane(crate::app::PaneId::Oncall) => panes::oncall::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Pods) => panes::pods::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Events) => panes::events::render(frame, areas.body, state),
        View::Pane(crate::app::PaneId::Forwards) => {
            panes::forwards::render(frame, areas.body, state);
        }
        View::Pane(crate::app::PaneId::Describe) => {
            panes::describe::render(frame, areas.body, state);
        }
    }
    if let (Some(tour_area), Some(run)) = (areas.tour, &state.tour) {
        widgets::tour::render(frame, tour_area, state, run);
    }
    widgets::status::render(frame, areas.status, state);
    widgets::toast::render(frame, area, &areas, state);
    match &state.modal {
        Some(Modal::Palette(p)) => widgets::palette::render(frame, area, state, p),
        Some(Modal::Help { scroll }) => widgets::help::render(frame, area, state, *scroll),
        Some(Modal::Form(form)) => widgets::form::render(frame, area, state, form),
        Some(Modal::Prompt(prompt)) => widgets::prompt::render(frame, area, state, prompt),
        Some(Modal::Confirm(confirm)) => widgets::confirm::render(frame, area, state, confirm),
        Some(Modal::Decide(decide)) => widgets::confirm::render_decide(frame, area, state, decide),
        Some(Modal::Tours { selected }) => {
            widgets::tour_list::render(frame, area, state, *selected);
        }
        Some(Modal::Messages { scroll }) => widgets::messages::render(frame, area, state, *scroll),
        Some(Modal::Output(output)) => widgets::output::render(frame, area, state, output),
        None => {}
    }
    if state.debug {
        widgets::debug::render(frame, area, state);
    }
}
