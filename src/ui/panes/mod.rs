//! One file per pane.

pub mod audit;
pub mod card;
pub mod catalog;
pub mod placeholder;
pub mod postgres;
pub mod requests;
