//! Where opsdeck keeps its files, from `directories` (XDG on Linux). `OPSDECK_CONFIG` overrides
//! the config file and `OPSDECK_DATA` the data dir.

use std::path::PathBuf;

/// Resolved paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    pub log_file: PathBuf,
}

impl Paths {
    /// Resolves paths from the environment.
    #[must_use]
    pub fn resolve() -> Self {
        Self::from_env(|k| std::env::var_os(k).map(PathBuf::from))
    }

    /// Resolves paths with an injected environment (for tests).
    pub fn from_env(env: impl Fn(&str) -> Option<PathBuf>) -> Self {
        let dirs = directories::ProjectDirs::from("dev", "opsdeck", "opsdeck");
        let config_dir = dirs.as_ref().map_or_else(
            || PathBuf::from(".opsdeck"),
            |d| d.config_dir().to_path_buf(),
        );
        let data_dir = env("OPSDECK_DATA").unwrap_or_else(|| {
            dirs.as_ref()
                .map_or_else(|| PathBuf::from(".opsdeck"), |d| d.data_dir().to_path_buf())
        });
        let config_file = env("OPSDECK_CONFIG").unwrap_or_else(|| config_dir.join("config.toml"));
        let config_dir = config_file
            .parent()
            .map_or(config_dir, std::path::Path::to_path_buf);
        let log_file = data_dir.join("opsdeck.log");
        Self {
            config_dir,
            config_file,
            data_dir,
            log_file,
        }
    }
}
