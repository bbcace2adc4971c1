//! Errors of the platform server. Setup errors (bad files, unreachable store) surface from
//! `serve`; per-request failures become HTTP statuses in the handlers instead.

use std::path::PathBuf;

/// Anything that stops the platform server from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid {what} file {path}: {message}")]
    Parse {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("invalid {what}: {message}")]
    Invalid { what: &'static str, message: String },
    #[error("store: {0}")]
    Store(#[from] crate::platform::store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(std::io::Error),
}
