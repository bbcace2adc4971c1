//! The backend sources against their peers: the Kubernetes and Argo CD API servers, Loki,
//! Tempo, Jaeger and Backstage run in-process (`tests/support/`); PostgreSQL and the tansu
//! Kafka broker are spawned (under `CI=true` a peer that cannot start fails its tests,
//! elsewhere they are skipped with a note).
//!
//! One test binary, so the crate is linked once for every backend; filter with a module
//! path, e.g. `cargo test --test peers kube::watch`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers and peers outside #[test] fns unwrap; a panic is the failure report"
)]

#[allow(
    clippy::missing_panics_doc,
    reason = "test support: a panic is how its helpers report a failure"
)]
#[path = "../support/mod.rs"]
pub mod support;

mod alerts;
mod audit_rig;
mod catalog;
mod custom_commands;
mod kafka;
mod kafka_first_aid;
mod kafka_tls;
mod kube;
mod logs;
mod metrics;
mod postgres;
mod tls;
mod traces;
mod try_it;
