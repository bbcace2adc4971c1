//! Integration tests of the platform API, its client and the audit gate, against the real
//! server spawned in-process on loopback port 0, with both stores: SQLite and a
//! PostgreSQL cluster started by `tests/support/pg.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers and the bodies `both_stores!` wraps are outside #[test] fns; a panic fails"
)]

#[allow(
    clippy::missing_panics_doc,
    reason = "test support: a panic is how its helpers report a failure"
)]
#[path = "../support/mod.rs"]
pub mod support;

mod auth_policy;
mod checkpoints;
mod common;
mod concurrency;
mod crash;
mod gate_faults;
mod oncall;
mod openapi;
mod requests;
mod tamper;
mod tls;
