//! Widgets shared by panes, one per file.

pub mod confirm;
pub mod data_table;
pub mod debug;
pub mod form;
pub mod header;
pub mod help;
pub mod messages;
pub mod output;
pub mod palette;
pub mod popup;
pub mod prompt;
pub mod query_error;
pub mod status;
pub mod tabs;
pub mod toast;
pub mod too_small;
pub mod tour;
pub mod tour_list;
pub mod waterfall;
