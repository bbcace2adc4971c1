//! Dialogs over the panes, which get keys first: the command palette, the confirm dialog,
//! forms and one-line prompts, with the keys of the filter line and help.

pub mod confirm;
pub mod decide;
pub mod form;
pub mod input;
pub mod palette;
pub mod platform;
pub mod silence;
