//! One file per pane.

pub mod card;
pub mod catalog;
pub mod placeholder;
