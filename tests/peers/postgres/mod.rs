//! The Postgres source, blocking tree and guarded kills against a real PostgreSQL spawned by
//! the shared harness (`tests/support/pg.rs`), started with `max_prepared_transactions`
//! so two-phase transactions can hold locks. Every test works in a database of its own and
//! looks only at its own sessions, so tests can share the cluster and run in parallel.

mod actions;
mod common;
mod kill;
mod observer;
mod read;
mod replication;
mod statements;
mod tls;
mod tree;
