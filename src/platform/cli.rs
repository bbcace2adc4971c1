//! `opsdeck platform serve` arguments. The binary adds one subcommand holding [`ServeArgs`]
//! and calls [`run`]; everything else stays in this module.
//!
//! Plain HTTP is for loopback: tokens and audit events must not cross a network in clear
//! text, so a non-loopback `--listen` without `--tls-cert` is refused unless
//! `--allow-plain-http` says a TLS-terminating proxy sits in front.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::platform::error::PlatformError;
use crate::platform::server::{ServeOptions, Source, serve};
use crate::platform::store::StoreUrl;
use crate::platform::tls::{ServerTls, server_config};

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
    /// Tokens file: SHA-256 of each token → user and groups (`opsdeck platform
    /// example-tokens` prints an example).
    #[arg(long)]
    pub tokens: PathBuf,
    /// Policy file: action/target globs → groups, approval (`opsdeck platform
    /// example-policy` prints an example).
    #[arg(long)]
    pub policy: PathBuf,
    /// Serve HTTPS with this certificate chain (PEM, server certificate first).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1, SEC1, or encrypted PKCS#8).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Environment variable holding the passphrase of an encrypted --tls-key.
    #[arg(long, value_name = "VAR", requires = "tls_key")]
    pub tls_key_password_env: Option<String>,
    /// Environment variable holding the passphrase of the encrypted `sslkey` named in a
    /// postgres:// --store URL (never the passphrase itself: it would show in `ps`).
    #[arg(long, value_name = "VAR")]
    pub store_key_password_env: Option<String>,
    /// Require client certificates signed by this CA (PEM bundle); needs --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback --listen address (behind a TLS-terminating proxy).
    #[arg(long)]
    pub allow_plain_http: bool,
    /// Also append the server's log to this file (it always goes to stderr).
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Command fulfilling `read_replica` requests: JSON on stdin, JSON on stdout.
    #[arg(long)]
    pub provisioner: Option<String>,
    /// Seconds a provisioner may run before the request fails.
    #[arg(long, default_value_t = 600)]
    pub provision_timeout: u64,
    /// Approver groups, in addition to the policy's `approvers`.
    #[arg(long, value_delimiter = ',')]
    pub approvers: Vec<String>,
    /// Kafka brokers (host:port, comma-separated) that approved `kafka_topic` requests are
    /// created on. Without them those requests stay approved for a human to carry out.
    #[arg(long, value_delimiter = ',')]
    pub kafka_brokers: Vec<String>,
    /// A librdkafka property for that client, `KEY=VALUE` (repeatable), e.g.
    /// `security.protocol=SASL_SSL`. Secrets go through --kafka-secret-env instead.
    #[arg(long, value_name = "KEY=VALUE")]
    pub kafka_property: Vec<String>,
    /// A secret librdkafka property read from an environment variable, `KEY=ENV_VAR`
    /// (repeatable), e.g. `sasl.password=KAFKA_PASSWORD`.
    #[arg(long, value_name = "KEY=ENV_VAR")]
    pub kafka_secret_env: Vec<String>,
    /// Send a `validate_only` `CreateTopics` before creating (off for brokers that ignore it).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub kafka_validate_only: bool,
    /// Sign checkpoints of the audit chain's head with this Ed25519 private key (PKCS#8
    /// PEM, as `openssl genpkey -algorithm ed25519 -out FILE` writes it).
    #[arg(long, value_name = "FILE", env = "OPSDECK_PLATFORM_CHECKPOINT_KEY")]
    pub checkpoint_key: Option<PathBuf>,
    /// How often to sign a checkpoint when the head moved (also once at start), e.g. 5m,
    /// 30s, 1h. `POST /v1/audit/checkpoints` signs one at any time.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        value_parser = crate::platform::checkpoint::parse_interval,
        requires = "checkpoint_key"
    )]
    pub checkpoint_interval: Duration,
    /// This platform's name in its checkpoints (letters, digits, `.`, `_`, `:`, `-`), so a
    /// checkpoint of one platform is not taken for another's.
    #[arg(long, value_name = "NAME", default_value = crate::platform::checkpoint::DEFAULT_PLATFORM_NAME)]
    pub platform_name: String,
}

impl ServeArgs {
    /// The TLS settings, with the key's passphrase resolved; `None` for plain HTTP, which is
    /// refused on a non-loopback address without `--allow-plain-http`.
    pub fn server_tls(&self) -> Result<Option<ServerTls>, PlatformError> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            if !self.listen.ip().is_loopback() && !self.allow_plain_http {
                return Err(PlatformError::Invalid {
                    what: "--listen",
                    message: format!(
                        "refusing to serve plain HTTP on {} (not a loopback address): tokens \
                         and audit events would cross the network unencrypted. Give \
                         --tls-cert FILE --tls-key FILE to serve HTTPS, listen on 127.0.0.1, \
                         or pass --allow-plain-http when a TLS-terminating proxy is in front",
                        self.listen
                    ),
                });
            }
            return Ok(None);
        };
        let key_password = env_passphrase(
            self.tls_key_password_env.as_deref(),
            "--tls-key-password-env",
        )?;
        Ok(Some(ServerTls {
            cert: cert.clone(),
            key: key.clone(),
            key_password,
            client_ca: self.client_ca.clone(),
        }))
    }

    /// The Kafka client settings, when brokers are given.
    pub fn kafka_config(&self) -> Result<Option<crate::config::KafkaConfig>, PlatformError> {
        if self.kafka_brokers.is_empty() {
            return Ok(None);
        }
        let pair = |flag: &str, raw: &str| -> Result<(String, String), PlatformError> {
            raw.split_once('=')
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| PlatformError::Invalid {
                    what: "Kafka flag",
                    message: format!("--{flag} {raw}: expected KEY=VALUE"),
                })
        };
        let mut kafka = crate::config::KafkaConfig {
            brokers: self.kafka_brokers.clone(),
            validate_only: Some(self.kafka_validate_only),
            ..crate::config::KafkaConfig::default()
        };
        for raw in &self.kafka_property {
            let (k, v) = pair("kafka-property", raw)?;
            kafka.properties.insert(k, v);
        }
        for raw in &self.kafka_secret_env {
            let (k, var) = pair("kafka-secret-env", raw)?;
            kafka
                .secret_properties
                .insert(k, crate::config::SecretRef::Env(var));
        }
        Ok(Some(kafka))
    }
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
        if let Some(key) = a.checkpoint_key {
            opts.checkpoint_key = Some(Source::File(key));
            opts.checkpoint_interval = Some(a.checkpoint_interval);
        }
        opts.platform_name = a.platform_name;
        opts
    }
}

/// The passphrase in the environment variable an `option` names (`None` without one).
fn env_passphrase(
    var: Option<&str>,
    option: &'static str,
) -> Result<Option<String>, PlatformError> {
    var.map(|var| {
        crate::config::SecretRef::Env(var.to_owned())
            .resolve()
            .map_err(|e| PlatformError::Invalid {
                what: option,
                message: e.to_string(),
            })
    })
    .transpose()
}

/// Serves until Ctrl-C or SIGTERM; prints `listening on URL` on stderr once it listens.
pub async fn run(args: ServeArgs) -> Result<(), PlatformError> {
    let kafka = args.kafka_config()?;
    let tls = args.server_tls()?;
    let store_key_password = env_passphrase(
        args.store_key_password_env.as_deref(),
        "--store-key-password-env",
    )?;
    let mut options: ServeOptions = args.into();
    options.store_key_password = store_key_password;
    if let Some(tls) = &tls {
        options.tls = Some(server_config(tls)?);
    }
    if let Some(kafka) = kafka {
        let client = crate::sources::kafka::connect(&kafka, Duration::from_secs(10))
            .await
            .map_err(|message| PlatformError::Invalid {
                what: "Kafka client",
                message,
            })?;
        let executor = crate::sources::kafka::admin::KafkaExecutor::new(client, kafka.dry_run());
        options.topic_creator = Some(std::sync::Arc::new(executor));
    }
    // On stderr whatever the log filter: scripts and operators wait for this line.
    serve(options, |url| {
        eprintln!("opsdeck platform serve: listening on {url}");
    })
    .await
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
        assert!(opts.checkpoint_key.is_none() && opts.checkpoint_interval.is_none());
        assert_eq!(opts.platform_name, "opsdeck");
        let signed = Cli::try_parse_from([
            "x",
            "--store",
            "sqlite:///tmp/p.db",
            "--tokens",
            "t",
            "--policy",
            "p",
            "--checkpoint-key",
            "/etc/opsdeck/checkpoint.pem",
            "--checkpoint-interval",
            "90s",
            "--platform-name",
            "prod-eu",
        ])
        .expect("parses");
        let opts = ServeOptions::from(signed.serve);
        assert!(
            matches!(opts.checkpoint_key, Some(Source::File(ref p)) if p.ends_with("checkpoint.pem"))
        );
        assert_eq!(opts.checkpoint_interval, Some(Duration::from_secs(90)));
        assert_eq!(opts.platform_name, "prod-eu");
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

    #[test]
    fn kafka_flags_build_the_topic_creators_client() {
        let base = [
            "x",
            "--store",
            "sqlite:///tmp/p.db",
            "--tokens",
            "t",
            "--policy",
            "p",
        ];
        let cli = Cli::try_parse_from(base).expect("parses");
        assert_eq!(cli.serve.kafka_config().expect("ok"), None);
        let mut args = base.to_vec();
        args.extend([
            "--kafka-brokers",
            "k1:9092,k2:9092",
            "--kafka-property",
            "security.protocol=SASL_SSL",
            "--kafka-secret-env",
            "sasl.password=KAFKA_PASSWORD",
            "--kafka-validate-only",
            "false",
        ]);
        let kafka = Cli::try_parse_from(&args)
            .expect("parses")
            .serve
            .kafka_config()
            .expect("ok")
            .expect("configured");
        assert_eq!(kafka.brokers, ["k1:9092", "k2:9092"]);
        assert_eq!(kafka.properties["security.protocol"], "SASL_SSL");
        assert_eq!(
            kafka.secret_properties["sasl.password"],
            crate::config::SecretRef::Env("KAFKA_PASSWORD".into())
        );
        assert!(!kafka.dry_run());
        let mut bad = base.to_vec();
        bad.extend(["--kafka-brokers", "k1:9092", "--kafka-property", "novalue"]);
        let err = Cli::try_parse_from(&bad)
            .expect("parses")
            .serve
            .kafka_config()
            .expect_err("KEY=VALUE required");
        assert!(
            err.to_string().contains("--kafka-property novalue"),
            "{err}"
        );
    }
}
