//! The runtime: everything with effects. The run loop owns the [`crate::app::State`], feeds
//! it messages and carries out the [`crate::app::Cmd`]s it returns; every effect answers
//! with a [`crate::app::Msg`] on the queue and never calls `update` itself. The per-context
//! environment, the executor routing, the backend look-ups and the terminal live here too.

pub mod checkpoint_check;
pub mod collect;
pub mod crash_restore;
pub mod custom;
pub mod environment;
pub mod forward_count;
pub mod forwards;
pub mod handover;
pub mod k9s;
pub mod kafka_first_aid;
pub mod log_export;
pub mod platform_calls;
pub mod run;
pub mod session_tty;
pub mod summaries;
pub mod terminal;
