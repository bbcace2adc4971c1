//! The app: [`State`] (the one owner), [`Msg`]/[`Cmd`], `update`, and the run loop.
//!
//! Keys and source events become [`Msg`]s; `update` changes the state and returns [`Cmd`]s
//! for the run loop to carry out (switch context, set scope, load a theme). Rendering reads
//! the state and nothing else.

pub mod attention_feed;
pub mod copy;
pub mod ctx;
pub mod custom;
pub mod drawn;
pub mod filter;
pub mod held;
pub mod keyseq;
pub mod kube_access;
pub mod layout;
pub mod messages;
pub mod modal;
pub mod mouse;
pub mod msg;
pub mod oncall;
pub mod panes;
pub mod queries;
pub mod route;
pub mod scroll;
pub mod state;
pub mod summary;
pub mod tab_strip;
pub mod table;
pub mod tours;
pub mod update;

pub use msg::{Cmd, Msg};
pub use state::{PaneId, State, View};
pub use update::update;
