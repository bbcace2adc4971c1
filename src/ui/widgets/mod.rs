//! Widgets shared by panes, one per file.

pub mod debug;
pub mod header;
pub mod help;
pub mod palette;
pub mod popup;
pub mod status;
pub mod tabs;
pub mod too_small;
