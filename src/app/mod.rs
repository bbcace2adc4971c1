//! The app: [`State`] (the one owner), [`Msg`]/[`Cmd`], `update`, and the run loop.
//!
//! Keys and source events become [`Msg`]s; `update` changes the state and returns [`Cmd`]s
//! for the run loop to carry out (switch context, set scope, load a theme). Rendering reads
//! the state and nothing else.

pub mod app_actions;
pub mod apps;
pub mod audit;
pub mod card;
pub mod catalog;
pub mod confirm;
pub mod crash_restore;
pub mod environment;
pub mod execute;
pub mod filter;
pub mod form;
pub mod incident;
pub mod incident_actions;
pub mod incident_facts;
pub mod incident_signals;
pub mod kafka;
pub mod kafka_actions;
pub mod kafka_io;
pub mod kube_access;
pub mod kube_io;
pub mod logs;
pub mod logs_actions;
pub mod msg;
pub mod palette;
pub mod pg_actions;
pub mod pg_io;
pub mod platform_calls;
pub mod postgres;
pub mod requests;
pub mod rollout_actions;
pub mod rollouts;
pub mod run;
pub mod state;
pub mod table;
pub mod terminal;
pub mod tours;
pub mod traces;
pub mod traces_actions;
pub mod update;
pub mod update_input;
pub mod update_platform;
pub mod validate;

pub use msg::{Cmd, Msg};
pub use state::{PaneId, State, View};
pub use update::update;
