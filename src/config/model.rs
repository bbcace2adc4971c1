//! The resolved configuration the app reads. Parsing and validation live in `load`.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A secret given by reference, never inline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// Read from this environment variable.
    Env(String),
    /// Run this command (through `sh -c`) and take its trimmed stdout.
    Command(String),
}

/// `--color` and the `color` config key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Never,
    Ansi16,
    Ansi256,
    TrueColor,
}

/// TLS settings of one HTTP(S) backend (`http_tls`): whom to trust and who we are.
///
/// The default trusts the system store only, like a browser or curl. `ca_file` adds a PEM
/// bundle to it (a private CA next to the public ones); `only_ca` makes that bundle the only
/// trust, so a certificate from a public CA for the same name is refused too. Paths are
/// resolved against the config file's directory when the file is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpTls {
    pub ca_file: Option<PathBuf>,
    pub only_ca: bool,
    /// Client certificate chain (PEM), for servers that ask for one (mutual TLS).
    pub client_cert: Option<PathBuf>,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1; or encrypted PKCS#8 with
    /// `client_key_password`).
    pub client_key: Option<PathBuf>,
    pub client_key_password: Option<SecretRef>,
}

/// Where the service catalog comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogConfig {
    /// Backstage catalog API base, e.g. `http://backstage:7007` (the source adds
    /// `/api/catalog`).
    Backstage {
        url: String,
        token: Option<SecretRef>,
        tls: HttpTls,
    },
    /// A directory searched recursively for `catalog-info.yaml` / `*.yaml` entity files.
    Dir { path: PathBuf },
}

/// Argo CD: the namespaces of Application objects, and optionally the API server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArgoConfig {
    pub namespaces: Vec<String>,
    pub api_url: Option<String>,
    pub token: Option<SecretRef>,
    /// TLS of `api_url`: its own `http_tls`, else the context's.
    pub tls: HttpTls,
}

/// One monitored PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgDatabase {
    pub name: String,
    /// libpq-style `key=value` DSN or a `postgres://` URL, without the password. Empty means
    /// "from the PG* environment variables".
    pub dsn: String,
    pub password: Option<SecretRef>,
    /// The passphrase of an encrypted `sslkey` (libpq's `sslpassword`, never in the DSN).
    pub ssl_password: Option<SecretRef>,
}

/// Kafka brokers and librdkafka properties, passed through as given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KafkaConfig {
    pub brokers: Vec<String>,
    pub properties: BTreeMap<String, String>,
    /// Properties whose values are secrets (`sasl.password`, ...).
    pub secret_properties: BTreeMap<String, SecretRef>,
    /// Whether the brokers honour `validate_only` on `CreateTopics` (Kafka does; some
    /// Kafka-protocol brokers ignore it and create the topic), so the plan of a new topic
    /// can be checked by the broker before it is created. `None` means the default, yes.
    pub validate_only: Option<bool>,
    /// Milliseconds between refreshes of topics, groups and lag (10 s when not given).
    pub refresh_ms: Option<u64>,
}

impl KafkaConfig {
    /// Whether a new topic's plan is sent with `validate_only` first.
    #[must_use]
    pub fn dry_run(&self) -> bool {
        self.validate_only.unwrap_or(true)
    }
}

/// A plain HTTP backend (Loki, Tempo, Jaeger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpBackend {
    pub url: String,
    pub token: Option<SecretRef>,
    /// Extra headers, e.g. `X-Scope-OrgID` for multi-tenant Loki.
    pub headers: BTreeMap<String, String>,
    /// Its own `http_tls`, else the context's.
    pub tls: HttpTls,
}

/// A Prometheus-compatible server (Prometheus, Thanos, Mimir, VictoriaMetrics): the RED
/// figures, restarts, CPU and memory of each service, and its SLO figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusConfig {
    /// `url`, `token`, `headers` and `http_tls`, as for the other HTTP backends.
    pub backend: HttpBackend,
    /// The label that names a service in the series (`service` by default).
    pub service_label: String,
    /// The `kube_pod_labels` label that carries a pod's service, for restarts, CPU and
    /// memory (`label_app_kubernetes_io_name` by default).
    pub pod_label: String,
    /// Which naming the default templates follow.
    pub convention: crate::model::metrics::Convention,
    /// The SLO period (`30d` by default), a Prometheus duration.
    pub slo_window: String,
    /// Objective in percent for services whose catalog entry names none (99.9).
    pub slo_target: f64,
    /// Milliseconds between refreshes (15 s by default).
    pub refresh_ms: u64,
    /// The range the sparklines cover (`1h` by default).
    pub range: String,
    /// Also read Prometheus's `/api/v1/alerts` for pending alerts.
    pub pending_alerts: bool,
    /// Templates that replace the defaults, by key (`request_rate`, …, `slo_error_ratio`),
    /// already validated.
    pub queries: BTreeMap<String, String>,
}

impl PrometheusConfig {
    /// Refresh when `refresh_ms` is not given.
    pub const DEFAULT_REFRESH_MS: u64 = 15_000;

    /// The template of `key`: the configured one, else the default of the convention.
    #[must_use]
    pub fn template(&self, key: &str) -> Option<String> {
        self.queries
            .get(key)
            .cloned()
            .or_else(|| crate::model::metrics::default_template(key, self.convention))
    }
}

/// The platform API (audit and self-service requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformConfig {
    pub url: String,
    pub token: Option<SecretRef>,
    /// Audit-gate timeout in milliseconds (3000 by default).
    pub timeout_ms: u64,
    /// Its own `http_tls`, else the context's.
    pub tls: HttpTls,
    /// The Ed25519 public keys whose checkpoints `verify` trusts (`checkpoint_keys`); a
    /// checkpoint signed by any other key is reported as such.
    pub checkpoint_keys: Vec<crate::model::checkpoint::PublicKey>,
}

/// A named environment and its backends.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context {
    pub name: String,
    /// Shown in an unmistakable style in the header.
    pub production: bool,
    pub readonly: bool,
    pub kube_context: Option<String>,
    /// Namespaces whose Deployments and Rollouts the rollouts pane watches (empty: the kube
    /// context's own namespace).
    pub kube_namespaces: Vec<String>,
    pub argocd: Option<ArgoConfig>,
    pub postgres: Vec<PgDatabase>,
    pub kafka: Option<KafkaConfig>,
    pub loki: Option<HttpBackend>,
    pub tempo: Option<HttpBackend>,
    pub jaeger: Option<HttpBackend>,
    /// Alertmanager (API v2), for the alerts and silences.
    pub alertmanager: Option<HttpBackend>,
    /// The labels tried, in order, for an alert's service (`alertmanager.service_labels`;
    /// empty means [`crate::model::alerts::DEFAULT_SERVICE_LABELS`]).
    pub alert_service_labels: Vec<String>,
    /// A Prometheus-compatible server for metrics and SLOs.
    pub prometheus: Option<PrometheusConfig>,
    pub catalog: Option<CatalogConfig>,
    pub platform: Option<PlatformConfig>,
    /// `Some(seed)` for a simulated context served by the sandbox.
    pub sandbox_seed: Option<u64>,
    /// `opsdeck logs FILE…`: local files (or `-` for stdin) instead of any backend.
    pub local_logs: Vec<PathBuf>,
    /// What local input's ANSI escapes become.
    pub local_ansi: crate::model::logs::AnsiMode,
}

impl Context {
    /// The secrets resolved while this context's sources start (the platform token, the Kafka
    /// client's properties, the Loki, Tempo, Jaeger and Alertmanager tokens); the others are resolved inside
    /// their sources' tasks.
    #[must_use]
    pub fn startup_secrets(&self) -> Vec<SecretRef> {
        let mut out: Vec<SecretRef> = self
            .platform
            .iter()
            .filter_map(|p| p.token.clone())
            .collect();
        out.extend(
            self.kafka
                .iter()
                .flat_map(|k| k.secret_properties.values().cloned()),
        );
        out.extend(
            [&self.tempo, &self.jaeger, &self.loki, &self.alertmanager]
                .into_iter()
                .flatten()
                .chain(self.prometheus.iter().map(|p| &p.backend))
                .filter_map(|b| b.token.clone()),
        );
        out
    }
}

/// How followed logs notice a connection that went silent without closing (a NAT or load
/// balancer that dropped the flow: no FIN, no RST), from the `[log_stream]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogStreamConfig {
    /// Pod logs: how long a stream may send nothing before the API is asked whether lines
    /// are missing (`pod_idle_ms`, 30 s).
    pub pod_idle: std::time::Duration,
    /// Loki tail: how often a WebSocket ping is sent (`loki_ping_ms`, 10 s).
    pub loki_ping: std::time::Duration,
    /// Loki tail: how long without any frame (a pong included) before the tail is dead
    /// (`loki_pong_timeout_ms`, 20 s).
    pub loki_pong_timeout: std::time::Duration,
    /// Local files: how often a followed file is checked (`file_poll_ms`, 250 ms).
    pub file_poll: std::time::Duration,
    /// Local files: how long a file may claim to be longer than what reading it gives before
    /// it is opened again (a network mount's stale cache; `file_stall_ms`, 2 s).
    pub file_stall: std::time::Duration,
}

impl Default for LogStreamConfig {
    fn default() -> Self {
        Self {
            pod_idle: std::time::Duration::from_secs(30),
            loki_ping: std::time::Duration::from_secs(10),
            loki_pong_timeout: std::time::Duration::from_secs(20),
            file_poll: std::time::Duration::from_millis(250),
            file_stall: std::time::Duration::from_secs(2),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// The file it came from; `None` for built-in defaults.
    pub file: Option<PathBuf>,
    pub default_context: Option<String>,
    pub theme: Option<String>,
    pub keymap: Option<String>,
    pub color: Option<ColorChoice>,
    pub readonly: bool,
    /// The mouse: a click selects a row or a tab, the wheel scrolls (off by default, as in
    /// k9s: with it on, the terminal's own text selection needs shift).
    pub mouse: bool,
    /// Lines the logs pane keeps (100,000 by default).
    pub log_lines: Option<usize>,
    /// How followed logs notice a silent, half-open connection (`[log_stream]`).
    pub log_stream: LogStreamConfig,
    /// The image of a debug container (`D` on a pod), `busybox` by default, as
    /// `kubectl debug --image`.
    pub debug_image: Option<String>,
    pub contexts: Vec<Context>,
}

impl Config {
    #[must_use]
    pub fn context(&self, name: &str) -> Option<&Context> {
        self.contexts.iter().find(|c| c.name == name)
    }

    /// The one context of `opsdeck logs FILE…`: local input only.
    #[must_use]
    pub fn local_logs(
        files: Vec<PathBuf>,
        log_lines: Option<usize>,
        ansi: crate::model::logs::AnsiMode,
    ) -> Self {
        Self {
            default_context: Some("local".to_owned()),
            log_lines,
            contexts: vec![Context {
                name: "local".to_owned(),
                local_logs: files,
                local_ansi: ansi,
                ..Context::default()
            }],
            ..Self::default()
        }
    }

    /// The contexts `opsdeck sandbox` offers: a staging and a production fleet.
    #[must_use]
    pub fn sandbox(seed: u64) -> Self {
        let ctx = |name: &str, production: bool, seed: u64| Context {
            name: name.to_owned(),
            production,
            sandbox_seed: Some(seed),
            ..Context::default()
        };
        Self {
            file: None,
            default_context: Some("sandbox-staging".to_owned()),
            contexts: vec![
                ctx("sandbox-staging", false, seed),
                ctx("sandbox-prod", true, seed.wrapping_add(1)),
            ],
            ..Self::default()
        }
    }
}
