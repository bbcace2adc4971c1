//! Integration tests of the platform API, its client and the audit gate, against the real
//! server spawned in-process on loopback port 0, with both stores: SQLite and a
//! PostgreSQL cluster started by `tests/support/pg.rs`.

#![allow(clippy::unwrap_used)]

#[path = "../support/pg.rs"]
mod pg;

mod auth_policy;
mod common;
mod concurrency;
mod crash;
mod gate_faults;
mod openapi;
mod requests;
mod tamper;
