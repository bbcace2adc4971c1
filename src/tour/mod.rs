//! Guided tours: TOML files of chapters and steps, each step completed by a check on the
//! live app state (see `check`). Shipped tours are compiled in (`shipped/`); the user's live
//! in the config dir's `tours/` folder. The app side (starting, the list, the panel) is in
//! `app::tours` and `ui::widgets::tour`.

pub mod check;
pub mod library;
pub mod progress;
pub mod run;
pub mod spec;
