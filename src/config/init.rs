//! `opsdeck config init`: a commented starting config written from what this machine
//! already has — the kubeconfig's contexts, the libpq `PG*` variables, a Kafka broker on
//! the usual local port — so the first start shows real data instead of an empty screen.
//!
//! It never writes a secret: a password found in `PGPASSWORD` becomes
//! `password = { env = "PGPASSWORD" }`, a reference to where it already is. What it finds is
//! only read (no connection is made except a TCP probe of the local broker port); the tests
//! check that what it writes loads.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One context of a kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeContext {
    pub name: String,
    pub namespace: Option<String>,
}

/// What was found on this machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// The kubeconfig files read, in `KUBECONFIG` order.
    pub kubeconfigs: Vec<PathBuf>,
    pub kube_contexts: Vec<KubeContext>,
    pub current_kube_context: Option<String>,
    /// The connection keys the `PG*` variables give (`host`, `port`, ...), in libpq's names.
    pub pg: Vec<(String, String)>,
    /// Whether `PGPASSWORD` is set (its value is never read into the config).
    pub pg_password: bool,
    /// A broker answering on this address.
    pub kafka: Option<String>,
}

/// libpq's variables and the keywords they stand for (the non-secret ones).
const PG_VARS: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGUSER", "user"),
    ("PGDATABASE", "dbname"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
];

/// Looks at the kubeconfig (`KUBECONFIG`, else `~/.kube/config`), the `PG*` variables and,
/// with `probe`, whether a broker answers on `localhost:9092`.
pub fn discover(
    env: impl Fn(&str) -> Option<String>,
    home: Option<&Path>,
    probe: impl Fn(&str) -> bool,
) -> Found {
    let mut found = Found::default();
    let files: Vec<PathBuf> = match env("KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(list) => std::env::split_paths(&list).collect(),
        None => home
            .map(|h| h.join(".kube").join("config"))
            .into_iter()
            .collect(),
    };
    for file in files {
        // kube's own reader: the same parse the Kubernetes source does at start.
        let Ok(parsed) = kube::config::Kubeconfig::read_from(&file) else {
            continue;
        };
        // As kubectl merges KUBECONFIG: the first file to name a context or the current
        // context wins.
        for c in parsed.contexts {
            if !found.kube_contexts.iter().any(|k| k.name == c.name) {
                found.kube_contexts.push(KubeContext {
                    name: c.name,
                    namespace: c.context.and_then(|b| b.namespace),
                });
            }
        }
        if found.current_kube_context.is_none() {
            found.current_kube_context = parsed.current_context.filter(|c| !c.is_empty());
        }
        found.kubeconfigs.push(file);
    }
    for (var, key) in PG_VARS {
        if let Some(value) = env(var).filter(|v| !v.is_empty()) {
            found.pg.push(((*key).to_owned(), value));
        }
    }
    found.pg_password = env("PGPASSWORD").is_some_and(|v| !v.is_empty());
    if probe("localhost:9092") {
        found.kafka = Some("localhost:9092".to_owned());
    }
    found
}

/// Whether something accepts TCP connections on `addr` within 300 ms.
#[must_use]
pub fn tcp_probe(addr: &str) -> bool {
    use std::net::ToSocketAddrs as _;
    addr.to_socket_addrs().is_ok_and(|mut addrs| {
        addrs.any(|a| {
            std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_millis(300)).is_ok()
        })
    })
}

/// A kube context's name as an opsdeck context name (letters, digits, `-`, `_`, `.`; EKS's
/// `arn:aws:eks:…:cluster/prod` becomes `arn-aws-eks-…-cluster-prod`).
fn context_name(kube: &str, taken: &[String]) -> String {
    let mut name: String = kube
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_start_matches(['-', '_', '.']).to_owned();
    if name.is_empty() {
        "cluster".clone_into(&mut name);
    }
    if name.len() > 60 {
        // Keep the end: cluster names are at the end of EKS and GKE context names.
        name = name[name.len() - 60..]
            .trim_start_matches(['-', '_', '.'])
            .to_owned();
    }
    let mut unique = name.clone();
    let mut n = 2;
    while taken.contains(&unique) {
        unique = format!("{name}-{n}");
        n += 1;
    }
    unique
}

/// Whether a name reads as production; such contexts start read-only.
fn looks_production(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| matches!(part, "prod" | "prd" | "production" | "live"))
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A libpq keyword value, quoted when it needs to be.
fn dsn_value(value: &str) -> String {
    if !value.is_empty() && !value.contains([' ', '\'', '\\']) {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The config text for `found`. `when` is written in the header.
#[must_use]
pub fn render(found: &Found, when: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut contexts = String::new();
    let mut default = kube_contexts(found, &mut names, &mut contexts);
    if let Some(local) = local_context(found, &mut names, &mut contexts) {
        default = default.or(Some(local));
    }
    contexts.push_str(
        "# A simulated fleet that needs nothing: every pane is fed by the built-in sandbox.\n\
         [contexts.demo]\nsandbox = { seed = 42 }\n",
    );
    let default = default.unwrap_or_else(|| "demo".to_owned());
    let mut t = header(found, when);
    let _ = writeln!(t, "default_context = {}\n", quoted(&default));
    t.push_str(&contexts);
    t
}

/// The comment at the top: what was looked at and what was found.
fn header(found: &Found, when: &str) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# opsdeck configuration, written by `opsdeck config init` ({when})."
    );
    t.push_str(
        "#\n# A starting point from what this machine has; every key is explained in the README\n\
         # (README › Config) and `opsdeck config example` prints one of each. Check your edits\n\
         # with `opsdeck config check`. No secret is written here: secrets are given by\n\
         # reference, { env = \"VAR\" } or { command = \"...\" } (README › Config › Secrets).\n#\n",
    );
    if found.kubeconfigs.is_empty() {
        t.push_str("# kubeconfig: none found (KUBECONFIG or ~/.kube/config).\n");
    } else {
        let files: Vec<String> = found
            .kubeconfigs
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let _ = writeln!(
            t,
            "# kubeconfig: {} ({} contexts).",
            files.join(", "),
            found.kube_contexts.len()
        );
    }
    let pg = if found.pg.is_empty() {
        "none set".to_owned()
    } else {
        let mut vars: Vec<&str> = found.pg.iter().map(|(k, _)| k.as_str()).collect();
        if found.pg_password {
            vars.push("password (by reference)");
        }
        vars.join(", ")
    };
    let _ = writeln!(t, "# PG* variables: {pg}.");
    let kafka = found
        .kafka
        .as_deref()
        .map_or("no broker on localhost:9092".to_owned(), |b| {
            format!("a broker answers on {b}")
        });
    let _ = writeln!(t, "# Kafka: {kafka}.\n");
    t
}

/// One context per kube context; returns the default context (the current kube context's,
/// unless it reads as production).
fn kube_contexts(found: &Found, names: &mut Vec<String>, out: &mut String) -> Option<String> {
    let mut default = None;
    for kube in &found.kube_contexts {
        let name = context_name(&kube.name, names);
        names.push(name.clone());
        let production = looks_production(&kube.name);
        if found.current_kube_context.as_deref() == Some(kube.name.as_str()) && !production {
            default = Some(name.clone());
        }
        let _ = writeln!(out, "[contexts.{name}]");
        let _ = writeln!(out, "kube_context = {}", quoted(&kube.name));
        match &kube.namespace {
            Some(ns) => {
                let _ = writeln!(out, "kube_namespaces = [{}]", quoted(ns));
            }
            None => out.push_str(
                "# The namespaces whose Deployments and Rollouts are watched:\n\
                 # kube_namespaces = [\"default\"]\n",
            ),
        }
        if production {
            out.push_str(
                "# The name reads as production: shown in the production style and read-only\n\
                 # until you remove `readonly`.\nproduction = true\nreadonly = true\n",
            );
        }
        out.push_str(
            "# Argo CD Applications in these namespaces (uncomment if Argo CD runs here):\n\
             # argocd = { namespaces = [\"argocd\"] }\n\n",
        );
    }
    default
}

/// The `local` context with the `PG*` database and the local broker, if either was found;
/// returns its name.
fn local_context(found: &Found, names: &mut Vec<String>, out: &mut String) -> Option<String> {
    if found.pg.is_empty() && found.kafka.is_none() {
        return None;
    }
    let name = context_name("local", names);
    names.push(name.clone());
    let _ = writeln!(
        out,
        "# A context for this machine's database and broker.\n[contexts.{name}]\n"
    );
    if !found.pg.is_empty() {
        let dbname = found
            .pg
            .iter()
            .find(|(k, _)| k == "dbname")
            .map_or("db", |(_, v)| v.as_str());
        let dsn: Vec<String> = found
            .pg
            .iter()
            .map(|(k, v)| format!("{k}={}", dsn_value(v)))
            .collect();
        let _ = writeln!(
            out,
            "# From the PG* variables. TLS keys (sslmode, sslrootcert, ...) as libpq reads\n\
             # them: README › Postgres › Postgres over TLS.\n\
             [[contexts.{name}.postgres]]\nname = {}\ndsn = {}",
            quoted(&context_name(dbname, &[])),
            quoted(&dsn.join(" "))
        );
        if found.pg_password {
            out.push_str(
                "# The password stays in the variable it is in now.\n\
                 password = { env = \"PGPASSWORD\" }\n",
            );
        }
        out.push('\n');
    }
    if let Some(broker) = &found.kafka {
        let _ = writeln!(
            out,
            "[contexts.{name}.kafka]\nbrokers = [{}]\n\
             # TLS and SASL: README › Kafka. Secrets go in secret_properties by reference.\n",
            quoted(broker)
        );
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn kube_contexts_pg_variables_and_a_broker_become_contexts_that_load() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".kube")).unwrap();
        std::fs::write(
            home.path().join(".kube/config"),
            "apiVersion: v1\nkind: Config\ncurrent-context: kind-dev\ncontexts:\n\
             - name: kind-dev\n  context: {cluster: kind-dev, user: u, namespace: shop}\n\
             - name: arn:aws:eks:eu-west-1:123456789012:cluster/prod\n  context: {cluster: p, user: p}\n",
        )
        .unwrap();
        let env = env_of(&[
            ("PGHOST", "localhost"),
            ("PGUSER", "app"),
            ("PGDATABASE", "orders"),
            ("PGPASSWORD", "hunter2-secret"),
            ("PGSSLMODE", "require"),
        ]);
        let found = discover(env, Some(home.path()), |_| true);
        let text = render(&found, "2026-12-05");
        assert!(
            !text.contains("hunter2-secret"),
            "no secret is written:\n{text}"
        );
        let config = crate::config::load::parse("init.toml", &text)
            .unwrap_or_else(|d| panic!("{d}\n{text}"));
        let names: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "kind-dev",
                "arn-aws-eks-eu-west-1-123456789012-cluster-prod",
                "local",
                "demo"
            ]
        );
        assert_eq!(config.default_context.as_deref(), Some("kind-dev"));
        let prod = &config.contexts[1];
        assert!(prod.production && prod.readonly, "{prod:?}");
        let local = &config.contexts[2];
        assert_eq!(
            local.postgres[0].dsn,
            "host=localhost user=app dbname=orders sslmode=require"
        );
        assert_eq!(
            local.postgres[0].password,
            Some(crate::config::SecretRef::Env("PGPASSWORD".into()))
        );
        assert_eq!(local.kafka.as_ref().unwrap().brokers, ["localhost:9092"]);
    }

    #[test]
    fn with_nothing_found_the_sandbox_is_the_default() {
        let home = tempfile::tempdir().unwrap();
        let found = discover(|_| None, Some(home.path()), |_| false);
        let text = render(&found, "today");
        let config = crate::config::load::parse("init.toml", &text).unwrap();
        assert_eq!(config.contexts.len(), 1);
        assert_eq!(config.default_context.as_deref(), Some("demo"));
        assert!(text.contains("kubeconfig: none found"));
    }
}
