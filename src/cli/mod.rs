//! The command line: clap types ([`args`]) and the dispatch of each subcommand
//! ([`dispatch`]), with the full-screen console's start-up in [`console`].

pub mod args;
mod console;
pub mod dispatch;
pub mod platform_verify;
pub mod report;
pub mod sandbox_tools;

pub use args::*;
pub use dispatch::dispatch;
