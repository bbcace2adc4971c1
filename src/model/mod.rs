//! Plain domain types, one file per area. No I/O and no ratatui here: sources build these
//! values, the app state stores them and the UI reads them.

pub mod action;
pub mod alert_service;
pub mod alerts;
pub mod approvals;
pub mod attention;
pub mod checkpoint;
pub mod custom_command;
pub mod error;
pub mod health;
pub mod k8s;
pub mod kafka;
pub mod kafka_peek;
pub mod kafka_reset;
pub mod kafka_time_lag;
pub mod logs;
pub mod metrics;
pub mod oncall;
pub mod pg;
pub mod pg_bulk;
pub mod pg_prepared;
pub mod pg_replication;
pub mod pg_server;
pub mod pg_statements;
pub mod pg_tree;
pub mod platform;
pub mod query_history;
pub mod report;
pub mod sanitize;
pub mod service;
pub mod silence;
pub mod source;
pub mod targets;
pub mod text;
pub mod timeline;
pub mod traces;
pub mod validate;
pub mod window;

pub use health::SourceHealth;
pub use sanitize::{clean, clean_bytes, clean_multiline};
pub use service::{Catalog, CatalogEntry, Service, ServiceMapping, Slo, SloStatus, Tier};
