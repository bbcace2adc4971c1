//! `opsdeck platform serve` arguments. The binary adds one subcommand holding [`ServeArgs`]
//! and calls [`run`]; everything else stays in this module.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::platform::error::PlatformError;
use crate::platform::server::{ServeOptions, Source, serve};
use crate::platform::store::StoreUrl;

/// Runs the reference platform API server (audit trail and self-service requests).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        default_value = "127.0.0.1:8470",
        env = "OPSDECK_PLATFORM_LISTEN"
    )]
    pub listen: SocketAddr,
    /// `sqlite://PATH` (one server) or `postgres://...` (replicas sharing one database).
    #[arg(long, env = "OPSDECK_PLATFORM_STORE")]
    pub store: StoreUrl,
    /// Tokens file: SHA-256 of each token → user and groups (see `platform::examples`).
    #[arg(long)]
    pub tokens: PathBuf,
    /// Policy file: action/target globs → groups, approval (see `platform::examples`).
    #[arg(long)]
    pub policy: PathBuf,
    /// Command fulfilling read_replica requests: JSON on stdin, JSON on stdout.
    #[arg(long)]
    pub provisioner: Option<String>,
    /// Seconds a provisioner may run before the request fails.
    #[arg(long, default_value_t = 600)]
    pub provision_timeout: u64,
    /// Approver groups, in addition to the policy's `approvers`.
    #[arg(long, value_delimiter = ',')]
    pub approvers: Vec<String>,
}

impl From<ServeArgs> for ServeOptions {
    fn from(a: ServeArgs) -> Self {
        let mut opts = Self::new(
            a.listen,
            a.store,
            Source::File(a.tokens),
            Source::File(a.policy),
        );
        opts.provisioner = a.provisioner;
        opts.provision_timeout = Duration::from_secs(a.provision_timeout);
        opts.approvers = a.approvers;
        opts
    }
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn run(args: ServeArgs) -> Result<(), PlatformError> {
    serve(args.into()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn parses_flags() {
        let cli = Cli::try_parse_from([
            "x",
            "--store",
            "sqlite:///tmp/p.db",
            "--tokens",
            "t.toml",
            "--policy",
            "p.toml",
            "--approvers",
            "leads,sre",
            "--provisioner",
            "./prov.sh",
        ])
        .expect("parses");
        let opts = ServeOptions::from(cli.serve);
        assert_eq!(opts.approvers, ["leads", "sre"]);
        assert_eq!(opts.listen.port(), 8470);
        assert_eq!(opts.provisioner.as_deref(), Some("./prov.sh"));
        assert!(
            Cli::try_parse_from([
                "x",
                "--store",
                "mysql://x",
                "--tokens",
                "t",
                "--policy",
                "p"
            ])
            .is_err()
        );
    }
}
