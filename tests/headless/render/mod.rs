//! Render tests: insta text snapshots of every view at 80×24 and 120×40, buffer style
//! assertions (colour roles, mono signals), hostile external strings, resize robustness,
//! the committed screenshots, and the idle frame count of the real run loop.

mod attention;
mod hostile;
mod idle;
mod incident;
pub mod probe;
mod reasons;
mod requests;
mod resize;
mod rollouts;
mod screenshots;
mod setup;
mod snapshots;
mod sorting;
mod styles;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use opsdeck::app::{Msg, State, update};
use opsdeck::screenshot::{demo_state, draw};
use opsdeck::theme::ColorDepth;
use ratatui::buffer::Buffer;

/// The sandbox seed every render test uses (the screenshots' seed).
pub const SEED: u64 = 7;

/// A demo state (catalog loaded) at a size.
pub fn state(width: u16, height: u16) -> State {
    demo_state(SEED, width, height, ColorDepth::TrueColor).expect("demo state")
}

/// A demo state in a view (`svc`, `card`, `help`, a pane command...).
pub fn state_in(view: &str, width: u16, height: u16, depth: ColorDepth) -> State {
    let mut s = demo_state(SEED, width, height, depth).expect("demo state");
    opsdeck::screenshot::show(&mut s, view.parse().expect("known view"));
    s
}

/// Sends one key through `update`.
pub fn key(state: &mut State, code: KeyCode) {
    update(
        state,
        Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))),
    );
}

/// Types text, one key per character.
pub fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        key(state, KeyCode::Char(c));
    }
}

/// Draws a state.
pub fn buffer(state: &State) -> Buffer {
    draw(state).expect("draw")
}

/// Draws a state and returns its text.
pub fn text(state: &State) -> String {
    probe::buffer_text(&buffer(state))
}

/// Cell positions where `needle` starts on row `y` (as text, counting cells).
pub fn find_in_row(buffer: &Buffer, y: u16, needle: &str) -> Option<u16> {
    let area = buffer.area;
    let first = needle.chars().next()?;
    (area.left()..area.right()).find(|&x| {
        buffer[(x, y)].symbol().starts_with(first) && {
            let mut s = String::new();
            let mut cx = x;
            while cx < area.right() && s.chars().count() < needle.chars().count() {
                s.push_str(buffer[(cx, y)].symbol());
                cx += 1;
            }
            s.starts_with(needle)
        }
    })
}

/// The first `(x, y)` where `needle` appears.
pub fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let area = buffer.area;
    (area.top()..area.bottom()).find_map(|y| find_in_row(buffer, y, needle).map(|x| (x, y)))
}
