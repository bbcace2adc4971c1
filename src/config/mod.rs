//! Configuration: `config.toml` with named contexts (environments), the paths opsdeck uses,
//! and secrets given by reference.
//!
//! `model` holds the resolved types the rest of the app reads. `load` turns a file into them
//! and reports every problem with its file, line, column and key. `example` is the documented
//! example file, and `secret` resolves secret references when a backend starts.

pub mod example;
pub mod init;
pub mod load;
pub mod model;
pub mod paths;
pub mod secret;

pub use model::{
    ArgoConfig, CatalogConfig, ColorChoice, Config, Context, HttpBackend, HttpTls, KafkaConfig,
    LogStreamConfig, PgDatabase, PlatformConfig, PrometheusConfig, SecretRef,
};
pub use secret::SecretError;
