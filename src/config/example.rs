//! The documented example `config.toml`: every key, every backend, with comments.
//!
//! It is a valid config as it stands (a test parses it), so users can copy it and delete what
//! they do not need. It is also the format's reference documentation.

/// A complete, commented example configuration.
pub const EXAMPLE: &str = r#"# opsdeck configuration
#
# Location: $XDG_CONFIG_HOME/opsdeck/config.toml (usually ~/.config/opsdeck/config.toml),
# or the file named by OPSDECK_CONFIG. Unknown keys are errors, and every error is reported
# with its file, line, column and key.
#
# SECRETS ARE NEVER WRITTEN HERE. Wherever a secret is expected (token, password,
# secret_properties) give a reference instead:
#
#   token = { env = "BACKSTAGE_TOKEN" }               # read an environment variable
#   token = { command = "pass show opsdeck/token" }   # run a command (sh -c), take its stdout
#
# A plain string there, a DSN or URL holding a password, or a Kafka password property in
# `properties` is refused. Secrets are resolved when the backend starts, so a missing one only
# breaks that backend.

# The context opened at start; `--context NAME` overrides it. Without it, the first context
# in this file is used.
default_context = "staging"

# Theme: default, light, high-contrast, colorblind, mono, or your own file
# themes/<name>.toml next to this file (it overrides only the roles it names).
theme = "default"

# Keymap: default, vim, emacs, or keymaps/<name>.toml next to this file (it overrides only the
# actions it names).
keymap = "default"

# Colour depth: "auto" (detect from NO_COLOR, COLORTERM and TERM), "never", "16", "256",
# "truecolor". `--color` overrides it.
color = "auto"

# true hides every mutating action in every context (like --readonly).
readonly = false
# true lets the mouse select rows and tabs and the wheel scroll (like --mouse). Off by default:
# with it on, selecting text with the mouse needs shift held.
mouse = false
# Lines the logs pane keeps in its ring (older ones are dropped and counted).
log_lines = 100000
# The image of a debug container (`D` on a pod: an ephemeral container that shares the
# chosen container's processes, as `kubectl debug -it --image=... --target=...`).
debug_image = "busybox"

# How followed logs notice a connection that went silent without closing (a NAT or a load
# balancer dropped the flow): a pod stream that sends nothing for pod_idle_ms makes opsdeck ask
# the API whether lines are missing (and reconnect if so); the Loki tail is pinged every
# loki_ping_ms and reopened after loki_pong_timeout_ms without any frame; a local file is
# checked every file_poll_ms and opened again when, for file_stall_ms, it claims more bytes than
# reading it gives (a network mount's stale cache). Reconnects resume without repeating a line.
[log_stream]
pod_idle_ms = 30000
loki_ping_ms = 10000
loki_pong_timeout_ms = 20000
file_poll_ms = 250
file_stall_ms = 2000

# ---------------------------------------------------------------------------------------------
# Contexts: one table per environment. The name (letters, digits, `-`, `_`, `.`) is what the
# context switcher shows. Contexts are listed in the order of this file.
# ---------------------------------------------------------------------------------------------

[contexts.staging]
# true shows the context in the production style (red badge) and asks for more confirmation.
production = false
# true hides mutating actions in this context only.
readonly = false
# The kubeconfig context for rollouts and workloads (default: kubeconfig's current context).
kube_context = "staging-eu1"
# Namespaces whose Deployments and Argo Rollouts the rollouts pane watches (default: the kube
# context's own namespace).
kube_namespaces = ["shop", "payments"]

# TLS of this context's HTTPS backends (platform, Argo CD API, Backstage, Loki and its tail,
# Tempo, Jaeger). The system trust store is always trusted; ca_file adds a PEM bundle to it
# (only_ca = true trusts that bundle alone). client_cert and client_key (PEM) answer servers
# that require a client certificate; an encrypted PKCS#8 key takes client_key_password by
# reference. Paths are relative to this file; `opsdeck config check` reads every file. A
# backend's own http_tls (see loki below) replaces this one whole: keys are not merged.
http_tls = { ca_file = "certs/staging-ca.pem" }

# Argo CD: the namespaces holding Application objects (default ["argocd"]), and optionally the
# API server for history and sync. The token is an Argo CD API token.
argocd = { namespaces = ["argocd", "argocd-apps"], api_url = "https://argocd.staging.example.com", token = { env = "ARGOCD_TOKEN" } }

# The service catalog, from a Backstage backend (the source adds /api/catalog)...
catalog = { backstage = { url = "https://backstage.example.com", token = { env = "BACKSTAGE_TOKEN" } } }
# ...or from a directory of catalog-info.yaml files (relative to this file; ~/ works):
#   catalog = { dir = "catalog" }

# The platform API: the audit gate and self-service requests. timeout_ms is how long the audit
# gate waits before it refuses the action (default 3000).
platform = { url = "https://platform.staging.example.com", token = { command = "pass show opsdeck/platform-staging" }, timeout_ms = 3000 }

# Logs and traces. `headers` adds plain headers (tenant ids and the like); credentials go in
# `token`, sent as a bearer token. An Authorization header here is refused.
loki = { url = "https://loki.staging.example.com", token = { env = "LOKI_TOKEN" }, headers = { "X-Scope-OrgID" = "staging" }, http_tls = { ca_file = "certs/staging-ca.pem", client_cert = "certs/opsdeck.pem", client_key = "certs/opsdeck.key", client_key_password = { env = "OPSDECK_CLIENT_KEY_PASSWORD" } } }
tempo = { url = "https://tempo.staging.example.com", headers = { "X-Scope-OrgID" = "staging" } }
jaeger = { url = "http://jaeger-query.staging.internal:16686" }

# Alertmanager (API v2; 0.25 and later): the alerts and silences. Behind an authenticating
# proxy, its credential goes in `token` like the others.
# `service_labels`: the alert labels tried, in order, for the catalog service an alert is
# about (default ["service", "app", "job"]); a service's `opsdeck.io/alert-labels`
# annotation (matchers such as `app=checkout,team=payments`) wins over them.
alertmanager = { url = "https://alertmanager.staging.example.com", token = { env = "ALERTMANAGER_TOKEN" }, service_labels = ["service", "app", "job"] }

# A Prometheus-compatible server (Prometheus, Thanos, Mimir with its /prometheus prefix,
# VictoriaMetrics): request rate, error ratio, latency p50/p95/p99, restarts, CPU and memory
# per service, and the SLO figures (SLI over `slo_window`, budget left, burn rates and the
# Workbook's fast/slow burn state). One query per metric answers for every service, grouped
# by `service_label`. `convention` picks the default templates: "otel"
# (http_server_request_duration_seconds) or "classic" (http_requests_total). `pod_label` is
# the kube_pod_labels label joining cAdvisor/kube-state-metrics pods to services.
# `slo_target` (percent) applies to services whose catalog entry has no
# opsdeck.io/slo-target. `range` is what the sparklines cover; `refresh_ms` the cadence.
# `pending_alerts` also reads /api/v1/alerts for alerts whose `for` has not elapsed.
# `queries` replaces default templates (checked at load): request_rate, error_ratio,
# latency_p50, latency_p95, latency_p99, restarts, cpu, memory, slo_error_ratio. Placeholders:
# {{service_label}}, {{selector}}, {{window}}, {{pod_label}}.
[contexts.staging.prometheus]
url = "https://prometheus.staging.example.com"
token = { env = "PROMETHEUS_TOKEN" }
headers = { "X-Scope-OrgID" = "staging" }
service_label = "service"
pod_label = "label_app_kubernetes_io_name"
convention = "otel"
slo_window = "30d"
slo_target = 99.9
range = "1h"
refresh_ms = 15000
pending_alerts = true
queries = { slo_error_ratio = 'max by ({{service_label}}) (slo:sli_error:ratio_rate{{window}}{ {{selector}} })' }

# PostgreSQL databases, one [[...postgres]] table each. `name` is how panes and the
# `opsdeck.io/databases` catalog annotation refer to it, unique within the context. `dsn` is a
# libpq key=value string or a postgres:// URL WITHOUT the password; an empty or missing dsn
# means the PG* environment variables. TLS keys as libpq reads them: sslmode (disable, allow,
# prefer (the default), require, verify-ca, verify-full), sslrootcert (a CA file, or `system`
# with verify-full), sslcert and sslkey (a client certificate); an encrypted sslkey's
# passphrase is `sslpassword` by reference beside the dsn, never in it.
[[contexts.staging.postgres]]
name = "orders-db"
dsn = "host=orders-db.staging.internal port=5432 user=opsdeck dbname=orders sslmode=verify-full sslrootcert=certs/staging-db-ca.pem sslcert=certs/opsdeck-db.pem sslkey=certs/opsdeck-db.key"
password = { env = "ORDERS_DB_PASSWORD" }
sslpassword = { env = "ORDERS_DB_SSLPASSWORD" }

[[contexts.staging.postgres]]
name = "users-db"
dsn = "postgres://opsdeck@users-db.staging.internal:5432/users?sslmode=require"
password = { command = "pass show db/users-staging" }

# Kafka: brokers, librdkafka properties passed through as given, and the secret ones by
# reference. sasl.password, ssl.key.password, ssl.keystore.password, ssl.truststore.password,
# sasl.oauthbearer.client.secret (and any *.password) are refused in `properties`.
[contexts.staging.kafka]
brokers = ["kafka-1.staging.internal:9092", "kafka-2.staging.internal:9092"]
properties = { "security.protocol" = "SASL_SSL", "sasl.mechanism" = "SCRAM-SHA-512", "sasl.username" = "opsdeck", "request.timeout.ms" = 10000 }
secret_properties = { "sasl.password" = { env = "KAFKA_SASL_PASSWORD" } }

# A production context: the same keys, shown in the production style and read-only here.
[contexts.prod]
production = true
readonly = true
kube_context = "prod-eu1"
argocd = { namespaces = ["argocd"] }
catalog = { backstage = { url = "https://backstage.example.com", token = { env = "BACKSTAGE_TOKEN" } } }
# checkpoint_keys: the Ed25519 keys whose signed checkpoints of the audit chain `verify` trusts
# (and no other): base64 of the raw key as GET /v1/audit/checkpoint-keys lists it, or
# { file = "keys/prod-checkpoint.pub" } holding `openssl pkey -in KEY -pubout`. Without them the
# console takes the platform's key on first use and reports a rotation.
platform = { url = "https://platform.example.com", token = { env = "OPSDECK_PLATFORM_TOKEN" }, http_tls = { ca_file = "certs/prod-ca.pem", only_ca = true }, checkpoint_keys = ["11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="] }
loki = { url = "https://loki.example.com", headers = { "X-Scope-OrgID" = "prod" } }

# A local context reading the catalog from files, with a local database and broker.
[contexts.local]
kube_context = "kind-opsdeck"
catalog = { dir = "catalog" }

[[contexts.local.postgres]]
name = "app"
# No password needed locally (trust auth); PG* variables fill anything not given.
dsn = "host=localhost port=5432 user=postgres dbname=app"

[contexts.local.kafka]
brokers = ["localhost:9092"]
# The plan of a new topic is checked by the broker first (CreateTopics with validate_only).
# Set false for Kafka-protocol brokers that ignore the flag and create the topic (tansu 0.6).
validate_only = false
# Time between refreshes of topics, groups and lag, in milliseconds (10000 by default).
refresh_ms = 5000

# A simulated fleet: every pane is fed by the built-in sandbox, nothing external is touched.
# A sandbox context takes no backend keys. The seed picks the simulated incidents.
[contexts.demo]
sandbox = { seed = 42 }
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::{CatalogConfig, SecretRef};

    #[test]
    fn example_parses_as_is() {
        let config = crate::config::load::parse("example.toml", EXAMPLE)
            .unwrap_or_else(|d| panic!("example must parse:\n{d}"));
        assert_eq!(config.default_context.as_deref(), Some("staging"));
        let names: Vec<_> = config.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["staging", "prod", "local", "demo"]);
        assert_eq!(config.debug_image.as_deref(), Some("busybox"));
    }

    #[test]
    fn one_context_uses_every_backend() {
        let config = crate::config::load::parse("example.toml", EXAMPLE).expect("parses");
        let s = config.context("staging").expect("staging");
        assert!(s.kube_context.is_some());
        let argo = s.argocd.as_ref().expect("argocd");
        assert!(argo.api_url.is_some() && argo.token.is_some());
        assert_eq!(s.postgres.len(), 2);
        assert!(s.postgres.iter().all(|p| p.password.is_some()));
        let kafka = s.kafka.as_ref().expect("kafka");
        assert_eq!(
            kafka.secret_properties.get("sasl.password"),
            Some(&SecretRef::Env("KAFKA_SASL_PASSWORD".into()))
        );
        assert!(s.loki.is_some() && s.tempo.is_some() && s.jaeger.is_some());
        assert!(s.alertmanager.is_some());
        assert!(matches!(s.catalog, Some(CatalogConfig::Backstage { .. })));
        assert_eq!(s.platform.as_ref().map(|p| p.timeout_ms), Some(3000));
        // The context's http_tls reaches the backends without their own; loki has its own.
        let staging_ca = Some(std::path::PathBuf::from("certs/staging-ca.pem"));
        assert_eq!(
            s.platform.as_ref().map(|p| &p.tls.ca_file),
            Some(&staging_ca)
        );
        let loki = s.loki.as_ref().expect("loki");
        assert!(loki.tls.client_cert.is_some() && loki.tls.client_key_password.is_some());
        let prod = config.context("prod").expect("prod");
        assert!(
            prod.platform
                .as_ref()
                .is_some_and(|p| p.tls.only_ca && p.checkpoint_keys.len() == 1)
        );
        assert_eq!(
            prod.loki.as_ref().map(|l| &l.tls),
            Some(&crate::config::HttpTls::default())
        );
        let demo = config.context("demo").expect("demo");
        assert_eq!(demo.sandbox_seed, Some(42));
    }

    #[test]
    fn example_mentions_every_key() {
        for key in super::super::load::documented_keys() {
            assert!(EXAMPLE.contains(key), "the example documents `{key}`");
        }
    }
}
