//! The reference platform API server (`opsdeck platform serve`): the audit trail every
//! mutation goes through, and self-service requests (read replicas, Kafka topics).
//!
//! The audit is a hash chain kept in SQLite (one host) or PostgreSQL (several replicas);
//! see [`chain`] for the hashing rule and [`store`] for how appends are serialized.
//! The wire types in [`api`] are shared with the client in `sources::platform`, so both
//! sides cannot drift apart; `openapi.yaml` beside this file documents the same shapes.

pub mod auth;
pub mod chain;
pub mod check;
pub mod checkpoint;
pub mod cli;
pub mod error;
pub mod examples;
pub mod fulfil;
mod handlers_audit;
mod handlers_oncall;
mod handlers_requests;
pub mod policy;
pub mod routes;
pub mod sandbox;
pub mod server;
pub mod store;
pub mod tls;

pub use error::PlatformError;
pub use server::{LocalServer, ServeOptions, Source, serve, spawn_local};
pub use store::StoreUrl;

/// The OpenAPI 3.1 document for `/v1`, shipped in the binary so `GET /openapi.yaml`-style
/// tooling and the tests read the very text that is reviewed.
pub const OPENAPI_YAML: &str = include_str!("openapi.yaml");
