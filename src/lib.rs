//! opsdeck: a terminal operations console for developers on call.
//!
//! The crate is a library so that `tests/` and `benches/` reach everything; `main.rs` only
//! wires the command line. See `DESIGN.md` in the shared folder for the shape:
//! one state owner (`app`), pure rendering (`ui`), sources as isolated tasks (`sources`),
//! sanitized external text (`model::sanitize`), and the audit gate (`actions`).

pub mod actions;
pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod datafile;
pub mod diagnostic;
pub mod keymap;
pub mod model;
pub mod platform;
pub mod runtime;
pub mod screenshot;
pub mod sources;
pub mod theme;
pub mod tls;
pub mod tour;
pub mod ui;
