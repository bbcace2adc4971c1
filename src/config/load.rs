//! Reading `config.toml` into [`Config`], reporting every problem at once.
//!
//! The file is parsed into TOML's spanned document tree (`toml::de::DeTable`) and walked by
//! hand, so each problem is located by file, line, column and dotted key, and one run reports
//! all of them instead of stopping at the first. The format is documented by
//! [`super::example::EXAMPLE`].
//!
//! Secrets are accepted only by reference (`{ env = "VAR" }` or `{ command = "..." }`). A
//! secret written inline (a token, a password, a DSN or URL holding a password, a Kafka
//! password property) is refused, and the message says how to write it by reference. Messages
//! never repeat the refused value.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::model::{
    ArgoConfig, CatalogConfig, ColorChoice, Config, Context, HttpBackend, HttpTls, KafkaConfig,
    PgDatabase, PlatformConfig, SecretRef,
};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::checkpoint::PublicKey;

mod log_stream;
mod tls;

/// Keys allowed at the top of the file.
const TOP_KEYS: &[&str] = &[
    "default_context",
    "theme",
    "keymap",
    "color",
    "readonly",
    "mouse",
    "log_lines",
    "log_stream",
    "debug_image",
    "contexts",
];

/// Keys allowed in a `[contexts.<name>]` table.
const CONTEXT_KEYS: &[&str] = &[
    "production",
    "readonly",
    "kube_context",
    "kube_namespaces",
    "argocd",
    "postgres",
    "kafka",
    "loki",
    "tempo",
    "jaeger",
    "alertmanager",
    "prometheus",
    "catalog",
    "platform",
    "http_tls",
    "sandbox",
];

const ARGO_KEYS: &[&str] = &["namespaces", "api_url", "token", "http_tls"];
const PG_KEYS: &[&str] = &["name", "dsn", "password", "sslpassword"];
const KAFKA_KEYS: &[&str] = &[
    "brokers",
    "properties",
    "secret_properties",
    "validate_only",
    "refresh_ms",
];
const HTTP_KEYS: &[&str] = &["url", "token", "headers", "http_tls"];
/// Keys of `alertmanager` besides [`HTTP_KEYS`].
const ALERTMANAGER_KEYS: &[&str] = &["service_labels"];
/// Keys of `prometheus` besides [`HTTP_KEYS`].
const PROMETHEUS_KEYS: &[&str] = &[
    "service_label",
    "pod_label",
    "convention",
    "slo_window",
    "slo_target",
    "refresh_ms",
    "range",
    "pending_alerts",
    "queries",
];
const CATALOG_KEYS: &[&str] = &["backstage", "dir"];
const BACKSTAGE_KEYS: &[&str] = &["url", "token", "http_tls"];
const PLATFORM_KEYS: &[&str] = &["url", "token", "timeout_ms", "http_tls", "checkpoint_keys"];
const SANDBOX_KEYS: &[&str] = &["seed"];
const SECRET_KEYS: &[&str] = &["env", "command"];

/// The `color` values, as written in the file.
const COLOR_CHOICES: &[(&str, ColorChoice)] = &[
    ("auto", ColorChoice::Auto),
    ("never", ColorChoice::Never),
    ("16", ColorChoice::Ansi16),
    ("256", ColorChoice::Ansi256),
    ("truecolor", ColorChoice::TrueColor),
];

/// Kafka (librdkafka) properties whose values are secrets; they belong in
/// `secret_properties`.
const SECRET_KAFKA_PROPERTIES: &[&str] = &[
    "sasl.password",
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.truststore.password",
    "sasl.oauthbearer.client.secret",
    "ssl.key.pem",
];

/// Headers that carry credentials; backends take those through `token`.
const CREDENTIAL_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie"];

/// Audit-gate timeout when `platform.timeout_ms` is not given.
pub const DEFAULT_PLATFORM_TIMEOUT_MS: u64 = 3000;

/// Seed of a `sandbox = {}` context without an explicit seed.
pub const DEFAULT_SANDBOX_SEED: u64 = 1;

/// Reads and parses the config file at `path`.
///
/// Relative `catalog.dir` paths are resolved against the file's directory, and a leading `~/`
/// against `$HOME`.
pub fn load(path: &Path) -> Result<Config, Diagnostics> {
    let label = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics(vec![Diagnostic {
            file: label.clone(),
            line: 0,
            column: 0,
            key: None,
            message: format!("cannot read the config file: {e}"),
        }])
    })?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut config = parse_inner(&label, &source, Some(base), home.clone())?;
    config.file = Some(path.to_path_buf());
    for ctx in &mut config.contexts {
        if let Some(CatalogConfig::Dir { path }) = &mut ctx.catalog {
            *path = resolve_dir(path, base, home.as_deref());
        }
    }
    Ok(config)
}

/// `~/x` against `home`, relative paths against `base`, absolute paths as they are.
fn resolve_dir(path: &Path, base: &Path, home: Option<&Path>) -> PathBuf {
    if let (Ok(rest), Some(home)) = (path.strip_prefix("~"), home) {
        return home.join(rest);
    }
    if path.is_relative() {
        base.join(path)
    } else {
        path.to_path_buf()
    }
}

/// Parses config text. `file_label` is how diagnostics name the file.
///
/// Returns every problem found, sorted by position. On success, contexts keep the order in
/// which the file lists them. The files the text names (`http_tls`) are neither resolved nor
/// read: [`load`] does that.
pub fn parse(file_label: &str, source: &str) -> Result<Config, Diagnostics> {
    parse_inner(file_label, source, None, None)
}

/// [`parse`], and with `base` (the file's directory) the named files resolved and checked.
fn parse_inner(
    file_label: &str,
    source: &str,
    base: Option<&Path>,
    home: Option<PathBuf>,
) -> Result<Config, Diagnostics> {
    let (doc, errors) = DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        // The recovered tree may be partial; checking it would report errors that are only
        // echoes of the syntax error, so stop here.
        let mut diags: Vec<Diagnostic> = errors
            .iter()
            .map(|e| Diagnostic::from_toml(file_label, source, e))
            .collect();
        diags.sort_by_key(|d| (d.line, d.column));
        return Err(Diagnostics(diags));
    }
    let mut p = Parser {
        file: file_label,
        source,
        base,
        home,
        diags: Vec::new(),
    };
    let config = p.config(doc.get_ref());
    if p.diags.is_empty() {
        Ok(config)
    } else {
        p.diags.sort_by_key(|d| (d.line, d.column));
        Err(Diagnostics(p.diags))
    }
}

type Value<'i> = Spanned<DeValue<'i>>;

/// Walks the document and collects diagnostics.
struct Parser<'s> {
    file: &'s str,
    source: &'s str,
    /// The config file's directory: relative paths are resolved against it and the files
    /// checked. `None` when only text is parsed.
    base: Option<&'s Path>,
    home: Option<PathBuf>,
    diags: Vec<Diagnostic>,
}

/// `parent.key`, quoting `key` when it is not a bare TOML key.
fn join(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_owned()
    } else {
        format!("\"{}\"", key.escape_default())
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// "a string", "an integer"... for type errors.
fn a_type(v: &DeValue<'_>) -> String {
    let t = v.type_str();
    let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {t}")
}

/// Names usable as context, database, theme and keymap names: they appear on screen and
/// in file names.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.len() <= 63
}

/// `ORDERS_DB_PASSWORD` from `orders-db` and `PASSWORD`, for examples in messages.
fn env_name(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("_")
}

fn did_you_mean(key: &str, valid: &[&str]) -> String {
    valid
        .iter()
        .map(|v| (strsim::levenshtein(key, v), v))
        .filter(|(d, v)| *d <= 2.max(v.len() / 3))
        .min()
        .map(|(_, v)| format!("did you mean `{v}`? "))
        .unwrap_or_default()
}

/// Whether a libpq `key=value` DSN or a `postgres://` query holds a password.
fn dsn_has_password_keyword(dsn: &str) -> bool {
    let lower = dsn.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("password") {
        let start = from + pos;
        let end = start + "password".len();
        let before_ok = lower[..start]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, '?' | '&' | ';'));
        let after_ok = lower[end..].trim_start().starts_with('=');
        if before_ok && after_ok {
            return true;
        }
        from = end;
    }
    false
}

impl Parser<'_> {
    fn error(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic::at(
            self.file,
            self.source,
            Some(span),
            (!key.is_empty()).then(|| key.to_owned()),
            message,
        ));
    }

    fn type_error(&mut self, v: &Value<'_>, key: &str, expected: &str) {
        let found = a_type(v.get_ref());
        self.error(v.span(), key, format!("expected {expected}, found {found}"));
    }

    /// Reports keys of `table` not in `valid`.
    fn check_keys(&mut self, table: &DeTable<'_>, path: &str, valid: &[&str]) {
        for (key, _) in table {
            let name: &str = key.get_ref();
            if !valid.contains(&name) {
                let hint = did_you_mean(name, valid);
                self.error(
                    key.span(),
                    &join(path, name),
                    format!(
                        "unknown key `{name}`; {hint}valid keys here: {}",
                        valid.join(", ")
                    ),
                );
            }
        }
    }

    fn table<'t, 'i>(&mut self, v: &'t Value<'i>, key: &str) -> Option<&'t DeTable<'i>> {
        let t = v.get_ref().as_table();
        if t.is_none() {
            self.type_error(v, key, "a table");
        }
        t
    }

    fn string(&mut self, v: &Value<'_>, key: &str) -> Option<String> {
        match v.get_ref().as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.type_error(v, key, "a string");
                None
            }
        }
    }

    fn non_empty_string(&mut self, v: &Value<'_>, key: &str) -> Option<String> {
        let s = self.string(v, key)?;
        if s.trim().is_empty() {
            self.error(v.span(), key, "must not be empty");
            return None;
        }
        Some(s)
    }

    fn bool(&mut self, v: &Value<'_>, key: &str) -> Option<bool> {
        let b = v.get_ref().as_bool();
        if b.is_none() {
            self.type_error(v, key, "a boolean (true or false)");
        }
        b
    }

    fn integer(&mut self, v: &Value<'_>, key: &str) -> Option<i64> {
        match v.get_ref().as_integer() {
            Some(i) => {
                let n = i64::from_str_radix(i.as_str(), i.radix()).ok();
                if n.is_none() {
                    self.error(v.span(), key, "integer out of range");
                }
                n
            }
            None => {
                self.type_error(v, key, "an integer");
                None
            }
        }
    }

    /// A name shown on screen and used in file names.
    fn name(&mut self, v: &Value<'_>, key: &str, what: &str) -> Option<String> {
        let s = self.string(v, key)?;
        if !valid_name(&s) {
            self.error(
                v.span(),
                key,
                format!(
                    "invalid {what} name: use letters, digits, `-`, `_` and `.`, starting with \
                     a letter or digit (at most 63 characters)"
                ),
            );
            return None;
        }
        Some(s)
    }

    fn string_list(&mut self, v: &Value<'_>, key: &str) -> Option<Vec<String>> {
        let Some(items) = v.get_ref().as_array() else {
            self.type_error(v, key, "an array of strings");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.non_empty_string(item, &format!("{key}[{i}]")) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A secret reference. `example_var` is the variable name suggested in messages.
    fn secret(&mut self, v: &Value<'_>, key: &str, example_var: &str) -> Option<SecretRef> {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        let how = format!(
            "give it by reference: {leaf} = {{ env = \"{example_var}\" }} or {leaf} = {{ command \
             = \"pass show ...\" }}"
        );
        let table = match v.get_ref() {
            DeValue::String(_) => {
                self.error(
                    v.span(),
                    key,
                    format!("secrets must not be written in the config file; {how}"),
                );
                return None;
            }
            DeValue::Table(t) => t,
            other => {
                let found = a_type(other);
                self.error(
                    v.span(),
                    key,
                    format!("expected a secret reference, found {found}; {how}"),
                );
                return None;
            }
        };
        self.check_keys(table, key, SECRET_KEYS);
        match (table.get("env"), table.get("command")) {
            (Some(env), None) => {
                let var = self.non_empty_string(env, &join(key, "env"))?;
                let valid = var
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    self.error(
                        env.span(),
                        &join(key, "env"),
                        "not an environment variable name (letters, digits and `_`)",
                    );
                    return None;
                }
                Some(SecretRef::Env(var))
            }
            (None, Some(cmd)) => {
                let cmd = self.non_empty_string(cmd, &join(key, "command"))?;
                Some(SecretRef::Command(cmd))
            }
            (Some(_), Some(_)) => {
                self.error(v.span(), key, "give either `env` or `command`, not both");
                None
            }
            (None, None) => {
                if table
                    .keys()
                    .all(|k| SECRET_KEYS.contains(&k.get_ref().as_ref()))
                {
                    self.error(v.span(), key, format!("empty secret reference; {how}"));
                }
                None
            }
        }
    }

    /// An http(s) URL without a password. Returned without a trailing `/`.
    fn url(&mut self, v: &Value<'_>, key: &str) -> Option<String> {
        let raw = self.non_empty_string(v, key)?;
        let raw = raw.trim();
        if !raw.contains("://") {
            self.error(
                v.span(),
                key,
                "not a valid URL: give the scheme, e.g. https://host or http://host:port",
            );
            return None;
        }
        let url = match reqwest::Url::parse(raw) {
            Ok(url) => url,
            Err(e) => {
                self.error(
                    v.span(),
                    key,
                    format!("not a valid URL ({e}); write it as http://host:port or https://host"),
                );
                return None;
            }
        };
        if !matches!(url.scheme(), "http" | "https") {
            self.error(
                v.span(),
                key,
                format!(
                    "URL scheme `{}` is not supported; use http:// or https://",
                    url.scheme()
                ),
            );
            return None;
        }
        if url.host_str().is_none_or(str::is_empty) {
            self.error(v.span(), key, "URL has no host");
            return None;
        }
        if url.password().is_some() {
            self.error(
                v.span(),
                key,
                "URL contains a password; remove it and use `token = { env = \"...\" }` instead",
            );
            return None;
        }
        Some(raw.trim_end_matches('/').to_owned())
    }

    fn config(&mut self, doc: &DeTable<'_>) -> Config {
        self.check_keys(doc, "", TOP_KEYS);
        let mut config = Config::default();
        let mut default_context: Option<&Value<'_>> = None;
        if let Some(v) = doc.get("default_context") {
            config.default_context = self.non_empty_string(v, "default_context");
            default_context = Some(v);
        }
        if let Some(v) = doc.get("theme") {
            config.theme = self.name(v, "theme", "theme");
        }
        if let Some(v) = doc.get("keymap") {
            config.keymap = self.name(v, "keymap", "keymap");
        }
        if let Some(v) = doc.get("color") {
            config.color = self.color(v);
        }
        if let Some(v) = doc.get("readonly") {
            config.readonly = self.bool(v, "readonly").unwrap_or(false);
        }
        if let Some(v) = doc.get("mouse") {
            config.mouse = self.bool(v, "mouse").unwrap_or(false);
        }
        if let Some(v) = doc.get("log_lines")
            && let Some(n) = self.integer(v, "log_lines")
        {
            match usize::try_from(n) {
                Ok(n) if (1_000..=10_000_000).contains(&n) => config.log_lines = Some(n),
                _ => self.error(
                    v.span(),
                    "log_lines",
                    "must be between 1000 and 10000000 lines",
                ),
            }
        }
        if let Some(v) = doc.get("log_stream") {
            config.log_stream = self.log_stream(v);
        }
        if let Some(v) = doc.get("debug_image") {
            config.debug_image = self.non_empty_string(v, "debug_image");
        }
        if let Some(v) = doc.get("contexts")
            && let Some(table) = self.table(v, "contexts")
        {
            // The map is ordered by key; the user's order is the order of the key spans.
            let mut entries: Vec<_> = table.iter().collect();
            entries.sort_by_key(|(k, _)| k.span().start);
            for (name, value) in entries {
                if let Some(ctx) = self.context(name, value) {
                    config.contexts.push(ctx);
                }
            }
        }
        if let (Some(name), Some(v)) = (&config.default_context, default_context)
            && !doc
                .get("contexts")
                .and_then(|c| c.get_ref().as_table())
                .is_some_and(|t| t.contains_key(name.as_str()))
        {
            let defined: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
            let message = if defined.is_empty() {
                format!("unknown context `{name}`: no [contexts.<name>] table is defined")
            } else {
                format!(
                    "unknown context `{name}`; defined contexts: {}",
                    defined.join(", ")
                )
            };
            self.error(v.span(), "default_context", message);
        }
        config
    }

    fn color(&mut self, v: &Value<'_>) -> Option<ColorChoice> {
        let raw = match v.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) => i.as_str().to_owned(),
            other => {
                let found = a_type(other);
                self.error(
                    v.span(),
                    "color",
                    format!("expected a string, found {found}"),
                );
                return None;
            }
        };
        let choice = COLOR_CHOICES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(raw.trim()))
            .map(|(_, c)| *c);
        if choice.is_none() {
            let names: Vec<String> = COLOR_CHOICES
                .iter()
                .map(|(n, _)| format!("\"{n}\""))
                .collect();
            self.error(
                v.span(),
                "color",
                format!(
                    "unknown colour choice; expected one of {}",
                    names.join(", ")
                ),
            );
        }
        choice
    }

    fn context(
        &mut self,
        name: &Spanned<std::borrow::Cow<'_, str>>,
        v: &Value<'_>,
    ) -> Option<Context> {
        let path = join("contexts", name.get_ref());
        if !valid_name(name.get_ref()) {
            self.error(
                name.span(),
                &path,
                "invalid context name: use letters, digits, `-`, `_` and `.`, starting with a \
                 letter or digit (at most 63 characters)",
            );
        }
        let t = self.table(v, &path)?;
        self.check_keys(t, &path, CONTEXT_KEYS);
        let mut ctx = Context {
            name: name.get_ref().to_string(),
            ..Context::default()
        };
        let key = |k: &str| join(&path, k);
        let tls = match t.get("http_tls") {
            Some(v) => self.http_tls(v, &key("http_tls")).unwrap_or_default(),
            None => HttpTls::default(),
        };
        if let Some(v) = t.get("production") {
            ctx.production = self.bool(v, &key("production")).unwrap_or(false);
        }
        if let Some(v) = t.get("readonly") {
            ctx.readonly = self.bool(v, &key("readonly")).unwrap_or(false);
        }
        if let Some(v) = t.get("kube_context") {
            ctx.kube_context = self.non_empty_string(v, &key("kube_context"));
        }
        if let Some(v) = t.get("kube_namespaces") {
            let k = key("kube_namespaces");
            if let Some(list) = self.string_list(v, &k) {
                if list.is_empty() {
                    self.error(
                        v.span(),
                        &k,
                        "list at least one namespace, or leave the key out for the kube context's own",
                    );
                }
                ctx.kube_namespaces = list;
            }
        }
        if let Some(v) = t.get("argocd") {
            ctx.argocd = self.argocd(v, &key("argocd"), &tls);
        }
        if let Some(v) = t.get("postgres") {
            ctx.postgres = self.postgres(v, &key("postgres"));
        }
        if let Some(v) = t.get("kafka") {
            ctx.kafka = self.kafka(v, &key("kafka"));
        }
        for (field, slot) in [
            ("loki", &mut ctx.loki),
            ("tempo", &mut ctx.tempo),
            ("jaeger", &mut ctx.jaeger),
        ] {
            if let Some(v) = t.get(field) {
                *slot = self.http_backend(v, &key(field), field, &tls, &[]);
            }
        }
        self.alerts_and_metrics(t, &path, &tls, &mut ctx);
        if let Some(v) = t.get("catalog") {
            ctx.catalog = self.catalog(v, &key("catalog"), &tls);
        }
        if let Some(v) = t.get("platform") {
            ctx.platform = self.platform(v, &key("platform"), &tls);
        }
        if let Some(v) = t.get("sandbox") {
            ctx.sandbox_seed = self.sandbox(v, &key("sandbox"));
            let backends = [
                "kube_context",
                "kube_namespaces",
                "argocd",
                "postgres",
                "kafka",
                "loki",
                "tempo",
                "jaeger",
                "alertmanager",
                "prometheus",
                "catalog",
                "http_tls",
            ];
            for b in backends {
                if let Some((k, _)) = t.get_key_value(b) {
                    self.error(
                        k.span(),
                        &key(b),
                        "a sandbox context simulates every backend; remove this key or \
                         `sandbox`",
                    );
                }
            }
        }
        Some(ctx)
    }

    fn sandbox(&mut self, v: &Value<'_>, path: &str) -> Option<u64> {
        let t = self.table(v, path)?;
        self.check_keys(t, path, SANDBOX_KEYS);
        let Some(seed) = t.get("seed") else {
            return Some(DEFAULT_SANDBOX_SEED);
        };
        let key = join(path, "seed");
        let n = self.integer(seed, &key)?;
        match u64::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                self.error(seed.span(), &key, "must not be negative");
                None
            }
        }
    }

    fn argocd(&mut self, v: &Value<'_>, path: &str, tls: &HttpTls) -> Option<ArgoConfig> {
        let t = self.table(v, path)?;
        self.check_keys(t, path, ARGO_KEYS);
        let mut argo = ArgoConfig {
            namespaces: vec!["argocd".to_owned()],
            ..ArgoConfig::default()
        };
        if let Some(v) = t.get("namespaces") {
            let key = join(path, "namespaces");
            if let Some(list) = self.string_list(v, &key) {
                if list.is_empty() {
                    self.error(
                        v.span(),
                        &key,
                        "list at least one namespace, or leave the key out for [\"argocd\"]",
                    );
                }
                argo.namespaces = list;
            }
        }
        if let Some(v) = t.get("api_url") {
            argo.api_url = self.url(v, &join(path, "api_url"));
        }
        if let Some(v) = t.get("token") {
            argo.token = self.secret(v, &join(path, "token"), "ARGOCD_TOKEN");
        }
        argo.tls = self.http_tls_in(t, path, tls);
        Some(argo)
    }

    fn postgres(&mut self, v: &Value<'_>, path: &str) -> Vec<PgDatabase> {
        let Some(items) = v.get_ref().as_array() else {
            let found = a_type(v.get_ref());
            self.error(
                v.span(),
                path,
                format!(
                    "expected an array of tables, found {found}; write each database as a \
                     [[{path}]] table"
                ),
            );
            return Vec::new();
        };
        let mut out: Vec<PgDatabase> = Vec::new();
        let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let ipath = format!("{path}[{i}]");
            let Some(t) = self.table(item, &ipath) else {
                continue;
            };
            self.check_keys(t, &ipath, PG_KEYS);
            let name = match t.get_key_value("name") {
                Some((_, nv)) => self.name(nv, &join(&ipath, "name"), "database"),
                None => {
                    self.error(
                        item.span(),
                        &ipath,
                        "missing key `name` (how panes and `opsdeck.io/databases` annotations \
                         refer to this database)",
                    );
                    None
                }
            };
            if let (Some(n), Some(nv)) = (&name, t.get("name")) {
                let line = crate::diagnostic::line_col(self.source, nv.span().start).0;
                if let Some(first) = first_seen.get(n) {
                    self.error(
                        nv.span(),
                        &join(&ipath, "name"),
                        format!(
                            "duplicate postgres name `{n}` (first defined on line {first}); \
                             database names must be unique within a context"
                        ),
                    );
                } else {
                    first_seen.insert(n.clone(), line);
                }
            }
            let mut dsn = String::new();
            let example_var = env_name(&[name.as_deref().unwrap_or("pg"), "PASSWORD"]);
            if let Some(dv) = t.get("dsn") {
                let key = join(&ipath, "dsn");
                if let Some(s) = self.string(dv, &key)
                    && self.check_dsn(&s, dv.span(), &key, &example_var)
                {
                    dsn = s;
                }
            }
            let password = t
                .get("password")
                .and_then(|pv| self.secret(pv, &join(&ipath, "password"), &example_var));
            let key_var = env_name(&[name.as_deref().unwrap_or("pg"), "SSLPASSWORD"]);
            let ssl_password = t
                .get("sslpassword")
                .and_then(|pv| self.secret(pv, &join(&ipath, "sslpassword"), &key_var));
            if let Some(name) = name {
                out.push(PgDatabase {
                    name,
                    dsn,
                    password,
                    ssl_password,
                });
            }
        }
        out
    }

    /// Refuses DSNs holding a password; checks `postgres://` URLs parse.
    fn check_dsn(&mut self, dsn: &str, span: Range<usize>, key: &str, example_var: &str) -> bool {
        let fix = format!(
            "remove it from the DSN and add password = {{ env = \"{example_var}\" }} (or \
             {{ command = \"...\" }})"
        );
        let trimmed = dsn.trim();
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            match reqwest::Url::parse(trimmed) {
                Ok(url) if url.password().is_some() => {
                    self.error(span, key, format!("the DSN URL contains a password; {fix}"));
                    return false;
                }
                Ok(url)
                    if url
                        .query_pairs()
                        .any(|(k, _)| k.eq_ignore_ascii_case("password")) =>
                {
                    self.error(span, key, format!("the DSN contains `password=`; {fix}"));
                    return false;
                }
                Ok(_) => {}
                Err(e) => {
                    self.error(span, key, format!("not a valid postgres:// URL ({e})"));
                    return false;
                }
            }
        } else if dsn_has_password_keyword(trimmed) {
            self.error(span, key, format!("the DSN contains `password=`; {fix}"));
            return false;
        }
        self.check_dsn_tls(trimmed, span, key)
    }

    /// The DSN's TLS keys: a known `sslmode`, no inline `sslpassword`, and the files it
    /// names readable PEM (so a typo in a path is reported with its line, not at connect).
    fn check_dsn_tls(&mut self, dsn: &str, span: Range<usize>, key: &str) -> bool {
        let params = match crate::tls::postgres::split_dsn(dsn) {
            Ok((_, params)) => params,
            Err(e) => {
                self.error(span, key, e.to_string());
                return false;
            }
        };
        if self.base.is_none() {
            // Text only (`parse`): the files are checked by `load`.
            return true;
        }
        let mut ok = true;
        if let Some(root) = params.root_cert.as_deref().filter(|r| *r != "system")
            && let Err(e) = crate::tls::load_roots(std::path::Path::new(root))
        {
            self.error(span.clone(), key, format!("sslrootcert: {e}"));
            ok = false;
        }
        if let Some(cert) = &params.cert
            && let Err(e) = crate::tls::load_certs(cert)
        {
            self.error(span.clone(), key, format!("sslcert: {e}"));
            ok = false;
        }
        if let Some(key_file) = &params.key
            && let Err(e) = crate::tls::key_is_encrypted(key_file)
        {
            self.error(span, key, format!("sslkey: {e}"));
            ok = false;
        }
        ok
    }

    fn kafka(&mut self, v: &Value<'_>, path: &str) -> Option<KafkaConfig> {
        let t = self.table(v, path)?;
        self.check_keys(t, path, KAFKA_KEYS);
        let mut kafka = KafkaConfig::default();
        match t.get("brokers") {
            Some(bv) => {
                let key = join(path, "brokers");
                if let Some(list) = self.string_list(bv, &key) {
                    if list.is_empty() {
                        self.error(bv.span(), &key, "list at least one broker (host:port)");
                    }
                    kafka.brokers = list;
                }
            }
            None => self.error(
                v.span(),
                path,
                "missing key `brokers`, e.g. brokers = [\"kafka-1:9092\"]",
            ),
        }
        if let Some(pv) = t.get("properties") {
            let ppath = join(path, "properties");
            if let Some(props) = self.table(pv, &ppath) {
                for (k, val) in props {
                    let name: &str = k.get_ref();
                    let key = join(&ppath, name);
                    if is_secret_property(name) {
                        self.error(
                            k.span(),
                            &key,
                            format!(
                                "`{name}` is a secret and must not be written in the config \
                                 file; move it to secret_properties = {{ \"{name}\" = {{ env = \
                                 \"{}\" }} }}",
                                env_name(&["KAFKA", name])
                            ),
                        );
                        continue;
                    }
                    let value = match val.get_ref() {
                        DeValue::String(s) => s.to_string(),
                        DeValue::Integer(i) => self
                            .integer(val, &key)
                            .map_or_else(|| i.to_string(), |n| n.to_string()),
                        DeValue::Float(f) => f.as_str().to_owned(),
                        DeValue::Boolean(b) => b.to_string(),
                        _ => {
                            self.type_error(val, &key, "a string, number or boolean");
                            continue;
                        }
                    };
                    kafka.properties.insert(name.to_owned(), value);
                }
            }
        }
        if let Some(bv) = t.get("validate_only") {
            kafka.validate_only = self.bool(bv, &join(path, "validate_only"));
        }
        if let Some(rv) = t.get("refresh_ms") {
            let key = join(path, "refresh_ms");
            if let Some(n) = self.integer(rv, &key) {
                match u64::try_from(n) {
                    Ok(n) if (1_000..=600_000).contains(&n) => kafka.refresh_ms = Some(n),
                    _ => self.error(
                        rv.span(),
                        &key,
                        "must be between 1000 and 600000 milliseconds",
                    ),
                }
            }
        }
        if let Some(sv) = t.get("secret_properties") {
            let spath = join(path, "secret_properties");
            if let Some(props) = self.table(sv, &spath) {
                for (k, val) in props {
                    let name: &str = k.get_ref();
                    let key = join(&spath, name);
                    if let Some(secret) = self.secret(val, &key, &env_name(&["KAFKA", name])) {
                        if kafka.properties.contains_key(name) {
                            self.error(
                                k.span(),
                                &key,
                                format!("`{name}` is also set in `properties`; set it once"),
                            );
                        }
                        kafka.secret_properties.insert(name.to_owned(), secret);
                    }
                }
            }
        }
        Some(kafka)
    }

    fn http_backend(
        &mut self,
        v: &Value<'_>,
        path: &str,
        what: &str,
        tls: &HttpTls,
        extra_keys: &[&str],
    ) -> Option<HttpBackend> {
        let t = self.table(v, path)?;
        let valid: Vec<&str> = HTTP_KEYS.iter().chain(extra_keys).copied().collect();
        self.check_keys(t, path, &valid);
        let url = match t.get("url") {
            Some(u) => self.url(u, &join(path, "url")),
            None => {
                self.error(
                    v.span(),
                    path,
                    format!("missing key `url` (the {what} base URL)"),
                );
                None
            }
        };
        let token = t
            .get("token")
            .and_then(|tv| self.secret(tv, &join(path, "token"), &env_name(&[what, "TOKEN"])));
        let mut headers = BTreeMap::new();
        if let Some(hv) = t.get("headers") {
            let hpath = join(path, "headers");
            if let Some(ht) = self.table(hv, &hpath) {
                for (k, val) in ht {
                    let name: &str = k.get_ref();
                    let key = join(&hpath, name);
                    if CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                        self.error(
                            k.span(),
                            &key,
                            format!(
                                "`{name}` carries credentials and must not be written in the \
                                 config file; use token = {{ env = \"{}\" }} (sent as a bearer \
                                 token)",
                                env_name(&[what, "TOKEN"])
                            ),
                        );
                        continue;
                    }
                    if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                        self.error(k.span(), &key, "not a valid HTTP header name");
                        continue;
                    }
                    let Some(value) = self.string(val, &key) else {
                        continue;
                    };
                    if reqwest::header::HeaderValue::from_str(&value).is_err() {
                        self.error(
                            val.span(),
                            &key,
                            "not a valid HTTP header value (control characters?)",
                        );
                        continue;
                    }
                    headers.insert(name.to_owned(), value);
                }
            }
        }
        let tls = self.http_tls_in(t, path, tls);
        Some(HttpBackend {
            url: url?,
            token,
            headers,
            tls,
        })
    }

    fn catalog(&mut self, v: &Value<'_>, path: &str, tls: &HttpTls) -> Option<CatalogConfig> {
        let t = self.table(v, path)?;
        self.check_keys(t, path, CATALOG_KEYS);
        match (t.get("backstage"), t.get("dir")) {
            (Some(bv), None) => {
                let bpath = join(path, "backstage");
                let bt = self.table(bv, &bpath)?;
                self.check_keys(bt, &bpath, BACKSTAGE_KEYS);
                let url = match bt.get("url") {
                    Some(u) => self.url(u, &join(&bpath, "url")),
                    None => {
                        self.error(
                            bv.span(),
                            &bpath,
                            "missing key `url` (the Backstage backend, e.g. \
                             https://backstage.example.com)",
                        );
                        None
                    }
                };
                let token = bt
                    .get("token")
                    .and_then(|tv| self.secret(tv, &join(&bpath, "token"), "BACKSTAGE_TOKEN"));
                let tls = self.http_tls_in(bt, &bpath, tls);
                Some(CatalogConfig::Backstage {
                    url: url?,
                    token,
                    tls,
                })
            }
            (None, Some(dv)) => {
                let path = self.non_empty_string(dv, &join(path, "dir"))?;
                Some(CatalogConfig::Dir {
                    path: PathBuf::from(path),
                })
            }
            (Some(_), Some(_)) => {
                self.error(v.span(), path, "give either `backstage` or `dir`, not both");
                None
            }
            (None, None) => {
                self.error(
                    v.span(),
                    path,
                    "give `backstage = { url = \"...\" }` or `dir = \"path\"`",
                );
                None
            }
        }
    }

    fn platform(&mut self, v: &Value<'_>, path: &str, tls: &HttpTls) -> Option<PlatformConfig> {
        let t = self.table(v, path)?;
        self.check_keys(t, path, PLATFORM_KEYS);
        let url = match t.get("url") {
            Some(u) => self.url(u, &join(path, "url")),
            None => {
                self.error(
                    v.span(),
                    path,
                    "missing key `url` (the platform API base URL)",
                );
                None
            }
        };
        let token = t
            .get("token")
            .and_then(|tv| self.secret(tv, &join(path, "token"), "OPSDECK_PLATFORM_TOKEN"));
        let mut timeout_ms = DEFAULT_PLATFORM_TIMEOUT_MS;
        if let Some(tv) = t.get("timeout_ms") {
            let key = join(path, "timeout_ms");
            if let Some(n) = self.integer(tv, &key) {
                match u64::try_from(n) {
                    Ok(n) if (1..=600_000).contains(&n) => timeout_ms = n,
                    _ => self.error(tv.span(), &key, "must be between 1 and 600000 milliseconds"),
                }
            }
        }
        let tls = self.http_tls_in(t, path, tls);
        let checkpoint_keys = t
            .get("checkpoint_keys")
            .map(|kv| self.checkpoint_keys(kv, &join(path, "checkpoint_keys")))
            .unwrap_or_default();
        Some(PlatformConfig {
            url: url?,
            token,
            timeout_ms,
            tls,
            checkpoint_keys,
        })
    }
}

impl Parser<'_> {
    /// `checkpoint_keys`: each an Ed25519 public key written out (base64 or hex of the raw
    /// key, or the PEM body of `openssl pkey -pubout`) or `{ file = "PATH" }` naming a file
    /// holding one (relative to the config file). Each bad entry is reported at its line.
    fn checkpoint_keys(&mut self, v: &Value<'_>, key: &str) -> Vec<PublicKey> {
        const HOW: &str = "give the key as a string (base64 of the 32 raw bytes, as GET \
                           /v1/audit/checkpoint-keys lists it) or { file = \"PATH\" } naming \
                           the PEM of `openssl pkey -in KEY -pubout`";
        let Some(items) = v.get_ref().as_array() else {
            self.type_error(v, key, "an array of keys");
            return Vec::new();
        };
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let ikey = format!("{key}[{i}]");
            let parsed = match item.get_ref() {
                DeValue::String(text) => PublicKey::parse(text),
                DeValue::Table(t) => {
                    self.check_keys(t, &ikey, &["file"]);
                    let Some(file) = t.get("file") else {
                        self.error(item.span(), &ikey, format!("missing key `file`; {HOW}"));
                        continue;
                    };
                    let Some(name) = self.non_empty_string(file, &join(&ikey, "file")) else {
                        continue;
                    };
                    let path = self.resolve_file(&name);
                    match std::fs::read_to_string(&path) {
                        Ok(text) => {
                            PublicKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
                        }
                        Err(e) => Err(format!("{}: {e}", path.display())),
                    }
                }
                _ => Err(format!("expected a key or {{ file = \"PATH\" }}; {HOW}")),
            };
            match parsed {
                Ok(k) => keys.push(k),
                Err(e) => self.error(item.span(), &ikey, e),
            }
        }
        keys
    }
}

/// A Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Parser<'_> {
    /// `alertmanager` (an HTTP backend with `service_labels`) and `prometheus`.
    fn alerts_and_metrics(
        &mut self,
        t: &DeTable<'_>,
        path: &str,
        tls: &HttpTls,
        ctx: &mut Context,
    ) {
        if let Some(v) = t.get("alertmanager") {
            let path = join(path, "alertmanager");
            ctx.alertmanager = self.http_backend(v, &path, "alertmanager", tls, ALERTMANAGER_KEYS);
            if let Some(lv) = v.get_ref().as_table().and_then(|t| t.get("service_labels")) {
                ctx.alert_service_labels = self.label_names(lv, &join(&path, "service_labels"));
            }
        }
        if let Some(v) = t.get("prometheus") {
            ctx.prometheus = self.prometheus(v, &join(path, "prometheus"), tls);
        }
    }

    /// A non-empty list of label names.
    fn label_names(&mut self, v: &Value<'_>, key: &str) -> Vec<String> {
        let Some(list) = self.string_list(v, key) else {
            return Vec::new();
        };
        if list.is_empty() {
            self.error(
                v.span(),
                key,
                "list at least one label, or leave the key out for [\"service\", \"app\", \"job\"]",
            );
        }
        for name in &list {
            if !valid_label_name(name) {
                self.error(
                    v.span(),
                    key,
                    format!("`{name}` is not a label name (letters, digits and `_`)"),
                );
            }
        }
        list
    }

    /// One label name.
    fn label_name(&mut self, v: &Value<'_>, key: &str) -> Option<String> {
        let name = self.non_empty_string(v, key)?;
        if valid_label_name(&name) {
            Some(name)
        } else {
            self.error(
                v.span(),
                key,
                format!("`{name}` is not a label name (letters, digits and `_`)"),
            );
            None
        }
    }

    /// A Prometheus duration (`30d`, `1h`).
    fn duration(&mut self, v: &Value<'_>, key: &str, at_least: u64) -> Option<String> {
        let raw = self.non_empty_string(v, key)?;
        match crate::model::metrics::parse_duration(&raw) {
            Some(d) if d.as_secs() >= at_least => Some(raw.trim().to_owned()),
            Some(_) => {
                self.error(
                    v.span(),
                    key,
                    format!("must be at least {at_least} seconds"),
                );
                None
            }
            None => {
                self.error(
                    v.span(),
                    key,
                    "not a duration; write it as Prometheus does, e.g. \"30d\", \"6h\" or \"1h30m\"",
                );
                None
            }
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one key after another, each with its own check and message"
    )]
    fn prometheus(
        &mut self,
        v: &Value<'_>,
        path: &str,
        tls: &HttpTls,
    ) -> Option<super::model::PrometheusConfig> {
        use crate::model::metrics::{self, Convention};
        let backend = self.http_backend(v, path, "prometheus", tls, PROMETHEUS_KEYS);
        let t = v.get_ref().as_table()?;
        let key = |k: &str| join(path, k);
        let mut config = super::model::PrometheusConfig {
            backend: backend.clone().unwrap_or(HttpBackend {
                url: String::new(),
                token: None,
                headers: BTreeMap::new(),
                tls: tls.clone(),
            }),
            service_label: "service".to_owned(),
            pod_label: "label_app_kubernetes_io_name".to_owned(),
            convention: Convention::default(),
            slo_window: "30d".to_owned(),
            slo_target: 99.9,
            refresh_ms: super::model::PrometheusConfig::DEFAULT_REFRESH_MS,
            range: "1h".to_owned(),
            pending_alerts: false,
            queries: BTreeMap::new(),
        };
        if let Some(lv) = t.get("service_label")
            && let Some(name) = self.label_name(lv, &key("service_label"))
        {
            config.service_label = name;
        }
        if let Some(lv) = t.get("pod_label")
            && let Some(name) = self.label_name(lv, &key("pod_label"))
        {
            config.pod_label = name;
        }
        if let Some(cv) = t.get("convention") {
            let k = key("convention");
            if let Some(raw) = self.string(cv, &k) {
                match Convention::parse(&raw) {
                    Some(c) => config.convention = c,
                    None => self.error(
                        cv.span(),
                        &k,
                        "unknown convention; expected \"otel\" (http_server_request_duration_seconds) \
                         or \"classic\" (http_requests_total)",
                    ),
                }
            }
        }
        if let Some(wv) = t.get("slo_window")
            && let Some(w) = self.duration(wv, &key("slo_window"), 3600)
        {
            config.slo_window = w;
        }
        if let Some(rv) = t.get("range")
            && let Some(r) = self.duration(rv, &key("range"), 60)
        {
            config.range = r;
        }
        if let Some(sv) = t.get("slo_target") {
            let k = key("slo_target");
            let n = match sv.get_ref() {
                DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
                DeValue::Integer(_) => self.integer(sv, &k).map(|i| {
                    #[expect(clippy::cast_precision_loss, reason = "a percentage")]
                    let f = i as f64;
                    f
                }),
                _ => {
                    self.type_error(sv, &k, "a number (a percentage such as 99.9)");
                    None
                }
            };
            match n {
                Some(n) if n > 0.0 && n < 100.0 => config.slo_target = n,
                Some(_) => self.error(
                    sv.span(),
                    &k,
                    "a percentage above 0 and below 100, e.g. 99.9",
                ),
                None => {}
            }
        }
        if let Some(rv) = t.get("refresh_ms") {
            let k = key("refresh_ms");
            if let Some(n) = self.integer(rv, &k) {
                match u64::try_from(n) {
                    Ok(n) if (1_000..=600_000).contains(&n) => config.refresh_ms = n,
                    _ => self.error(
                        rv.span(),
                        &k,
                        "must be between 1000 and 600000 milliseconds",
                    ),
                }
            }
        }
        if let Some(pv) = t.get("pending_alerts") {
            config.pending_alerts = self.bool(pv, &key("pending_alerts")).unwrap_or(false);
        }
        if let Some(qv) = t.get("queries") {
            let qpath = key("queries");
            if let Some(qt) = self.table(qv, &qpath) {
                for (k, val) in qt {
                    let name: &str = k.get_ref();
                    let kpath = join(&qpath, name);
                    if !metrics::TEMPLATE_KEYS.contains(&name) {
                        let hint = did_you_mean(name, &metrics::TEMPLATE_KEYS);
                        self.error(
                            k.span(),
                            &kpath,
                            format!(
                                "unknown query `{name}`; {hint}valid queries: {}",
                                metrics::TEMPLATE_KEYS.join(", ")
                            ),
                        );
                        continue;
                    }
                    let Some(template) = self.string(val, &kpath) else {
                        continue;
                    };
                    match metrics::validate_template(&template, true) {
                        Ok(()) => {
                            config.queries.insert(name.to_owned(), template);
                        }
                        Err(e) => self.error(val.span(), &kpath, e.to_string()),
                    }
                }
            }
        }
        backend?;
        Some(config)
    }
}

/// Every key the format knows, for the test that the example documents them all.
#[cfg(test)]
pub(crate) fn documented_keys() -> impl Iterator<Item = &'static str> {
    [
        TOP_KEYS,
        CONTEXT_KEYS,
        ARGO_KEYS,
        PG_KEYS,
        KAFKA_KEYS,
        HTTP_KEYS,
        ALERTMANAGER_KEYS,
        PROMETHEUS_KEYS,
        &crate::model::metrics::TEMPLATE_KEYS,
        CATALOG_KEYS,
        BACKSTAGE_KEYS,
        PLATFORM_KEYS,
        tls::HTTP_TLS_KEYS,
        SANDBOX_KEYS,
        SECRET_KEYS,
        SECRET_KAFKA_PROPERTIES,
    ]
    .into_iter()
    .flatten()
    .copied()
    .filter(|k| *k != "ssl.key.pem")
}

/// Whether a librdkafka property holds a secret.
fn is_secret_property(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_KAFKA_PROPERTIES.contains(&lower.as_str())
        || lower.ends_with(".password")
        || lower.ends_with(".secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<String> {
        match parse("t.toml", src) {
            Ok(c) => panic!("expected errors, got {c:?}"),
            Err(d) => d.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn minimal_config_parses() {
        let src = r#"
default_context = "dev"
color = "256"

[contexts.dev]
kube_context = "kind-dev"
catalog = { dir = "catalog" }
"#;
        let c = parse("t.toml", src).expect("parses");
        assert_eq!(c.default_context.as_deref(), Some("dev"));
        assert_eq!(c.color, Some(ColorChoice::Ansi256));
        let dev = c.context("dev").expect("dev");
        assert_eq!(dev.kube_context.as_deref(), Some("kind-dev"));
        assert_eq!(
            dev.catalog,
            Some(CatalogConfig::Dir {
                path: "catalog".into()
            })
        );
    }

    #[test]
    fn the_mouse_is_off_unless_the_file_turns_it_on() {
        let off = parse("t.toml", "[contexts.dev]\n").expect("parses");
        assert!(!off.mouse);
        let on = parse("t.toml", "mouse = true\n[contexts.dev]\n").expect("parses");
        assert!(on.mouse);
        let errs = errors("mouse = \"yes\"\n[contexts.dev]\n");
        assert!(
            errs[0].starts_with("t.toml:1:9: key `mouse`: expected a boolean"),
            "{errs:?}"
        );
    }

    #[test]
    fn contexts_keep_file_order() {
        let src = "[contexts.zeta]\n[contexts.alpha]\n[contexts.mid]\n";
        let c = parse("t.toml", src).expect("parses");
        let names: Vec<_> = c.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha", "mid"]);
    }

    #[test]
    fn every_error_is_reported_with_position_and_key() {
        let src = "colour = \"auto\"\nreadonly = \"yes\"\n\n[contexts.prod]\nproduction = 1\nlokki = {}\n";
        let errs = errors(src);
        assert_eq!(errs.len(), 4, "{errs:#?}");
        assert!(
            errs[0].starts_with(
                "t.toml:1:1: key `colour`: unknown key `colour`; did you mean `color`?"
            ),
            "{}",
            errs[0]
        );
        assert!(
            errs[1].starts_with("t.toml:2:12: key `readonly`: expected a boolean"),
            "{}",
            errs[1]
        );
        assert!(
            errs[2].starts_with("t.toml:5:14: key `contexts.prod.production`"),
            "{}",
            errs[2]
        );
        assert!(
            errs[3].contains(":6:1: key `contexts.prod.lokki`: unknown key"),
            "{}",
            errs[3]
        );
    }

    #[test]
    fn inline_secrets_are_refused_without_echoing_them() {
        let src = r#"
[contexts.prod]
platform = { url = "https://p.example.com", token = "tok-12345" }
catalog = { backstage = { url = "https://admin:hunter2@backstage.example.com" } }

[[contexts.prod.postgres]]
name = "orders-db"
dsn = "host=db user=app password = pw-999"

[[contexts.prod.postgres]]
name = "users-db"
dsn = "postgresql://app:pw-777@db/users"

[contexts.prod.kafka]
brokers = ["k:9092"]
properties = { "sasl.password" = "kpw-1", "sasl.username" = "app" }
"#;
        let errs = errors(src);
        assert_eq!(errs.len(), 5, "{errs:#?}");
        let all = errs.join("\n");
        for secret in ["tok-12345", "hunter2", "pw-999", "pw-777", "kpw-1"] {
            assert!(!all.contains(secret), "{secret} leaked: {all}");
        }
        assert!(
            all.contains("token = { env = \"OPSDECK_PLATFORM_TOKEN\" }"),
            "{all}"
        );
        assert!(
            all.contains("password = { env = \"ORDERS_DB_PASSWORD\" }"),
            "{all}"
        );
        assert!(
            all.contains("secret_properties = { \"sasl.password\""),
            "{all}"
        );
    }

    #[test]
    fn secret_references_are_read() {
        let src = r#"
[contexts.prod.kafka]
brokers = ["k:9092"]
properties = { "session.timeout.ms" = 6000, "enable.auto.commit" = false }
secret_properties = { "sasl.password" = { command = "pass show kafka" } }
"#;
        let c = parse("t.toml", src).expect("parses");
        let k = c.contexts[0].kafka.as_ref().expect("kafka");
        assert_eq!(k.properties["session.timeout.ms"], "6000");
        assert_eq!(k.properties["enable.auto.commit"], "false");
        assert_eq!(
            k.secret_properties["sasl.password"],
            SecretRef::Command("pass show kafka".into())
        );
    }

    #[test]
    fn prometheus_and_the_alert_service_labels_are_read() {
        let src = r#"
[contexts.prod]
alertmanager = { url = "https://am.example.com", service_labels = ["app", "job"] }
[contexts.prod.prometheus]
url = "https://mimir.example.com/prometheus/"
token = { env = "PROM_TOKEN" }
headers = { "X-Scope-OrgID" = "prod" }
service_label = "job"
convention = "classic"
slo_window = "28d"
slo_target = 99.5
refresh_ms = 30000
pending_alerts = true
queries = { cpu = "sum by ({{service_label}}) (rate(process_cpu_seconds_total[{{window}}]))" }
[contexts.old]
alertmanager = { url = "https://am.example.com" }
"#;
        let c = parse("t.toml", src).unwrap_or_else(|d| panic!("{d}"));
        let prod = c.context("prod").expect("prod");
        assert_eq!(prod.alert_service_labels, ["app", "job"]);
        let p = prod.prometheus.as_ref().expect("prometheus");
        assert_eq!(p.backend.url, "https://mimir.example.com/prometheus");
        assert_eq!(p.backend.token, Some(SecretRef::Env("PROM_TOKEN".into())));
        assert_eq!(p.backend.headers["X-Scope-OrgID"], "prod");
        assert_eq!(p.service_label, "job");
        assert_eq!(p.convention, crate::model::metrics::Convention::Classic);
        assert_eq!(p.slo_window, "28d");
        assert!((p.slo_target - 99.5).abs() < 1e-9);
        assert_eq!(p.refresh_ms, 30_000);
        assert!(p.pending_alerts);
        assert!(p.template("cpu").is_some_and(|t| t.contains("process_cpu")));
        assert!(
            p.template("request_rate")
                .is_some_and(|t| t.contains("http_requests_total")),
            "classic defaults"
        );
        let old = c.context("old").expect("old");
        assert!(old.alertmanager.is_some() && old.alert_service_labels.is_empty());
        assert!(old.prometheus.is_none());
        let errs = errors(
            "[contexts.x.prometheus]\nurl = \"http://p\"\nqueries = { nope = \"x\", cpu = 1 }\nslo_target = 100\nconvention = \"weird\"\n",
        );
        assert_eq!(errs.len(), 4, "{errs:#?}");
        let all = errs.join("\n");
        assert!(all.contains("unknown query `nope`"), "{all}");
        assert!(
            all.contains("key `contexts.x.prometheus.queries.cpu`: expected a string"),
            "{all}"
        );
        assert!(all.contains("below 100"), "{all}");
        assert!(all.contains("unknown convention"), "{all}");
        let errs = errors("[contexts.s]\nsandbox = {}\nprometheus = { url = \"http://p\" }\n");
        assert!(
            errs[0].contains("a sandbox context simulates every backend"),
            "{errs:?}"
        );
    }

    #[test]
    fn dsn_password_detection() {
        assert!(dsn_has_password_keyword("host=x password=y"));
        assert!(dsn_has_password_keyword("password =y"));
        assert!(!dsn_has_password_keyword("host=x passfile=/p"));
        assert!(!dsn_has_password_keyword("user=password_admin"));
    }

    #[test]
    fn checkpoint_keys_are_written_out_or_read_from_a_file_and_bad_ones_point_at_their_line() {
        let dir = tempfile::tempdir().expect("dir");
        // RFC 8032 test 1's public key, as `openssl pkey -pubout` prints it.
        let pem = "-----BEGIN PUBLIC KEY-----\n\
                   MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n\
                   -----END PUBLIC KEY-----\n";
        std::fs::write(dir.path().join("prod.pub"), pem).expect("write");
        let good = dir.path().join("good.toml");
        std::fs::write(
            &good,
            r#"
[contexts.prod.platform]
url = "https://p.example.com"
checkpoint_keys = [
  "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
  { file = "prod.pub" },
]
"#,
        )
        .expect("write");
        let config = load(&good).expect("loads");
        let keys = &config.contexts[0]
            .platform
            .as_ref()
            .expect("platform")
            .checkpoint_keys;
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0], keys[1]);

        let bad = dir.path().join("bad.toml");
        std::fs::write(
            &bad,
            r#"
[contexts.prod.platform]
url = "https://p.example.com"
checkpoint_keys = [
  "c2hvcnQ=",
  { file = "missing.pub" },
  { path = "prod.pub" },
  3,
]
"#,
        )
        .expect("write");
        let errs: Vec<String> = load(&bad)
            .expect_err("bad keys")
            .0
            .iter()
            .map(ToString::to_string)
            .collect();
        let label = bad.display().to_string();
        let at = |line: u32, key: &str| format!("{label}:{line}:3: key `{key}`: ");
        assert_eq!(errs.len(), 5, "{errs:#?}");
        assert!(
            errs[0].starts_with(&at(5, "contexts.prod.platform.checkpoint_keys[0]"))
                && errs[0].contains("32 bytes, this one 5"),
            "{}",
            errs[0]
        );
        assert!(
            errs[1].starts_with(&at(6, "contexts.prod.platform.checkpoint_keys[1]"))
                && errs[1].contains("missing.pub"),
            "{}",
            errs[1]
        );
        let line7 = errs[2..4].join("\n");
        assert!(
            line7.contains("checkpoint_keys[2].path`: unknown key")
                && line7.contains("missing key `file`"),
            "{line7}"
        );
        assert!(
            errs[4].starts_with(&at(8, "contexts.prod.platform.checkpoint_keys[3]")),
            "{}",
            errs[4]
        );
    }

    #[test]
    fn relative_catalog_dir_follows_the_config_file() {
        let base = Path::new("/etc/opsdeck");
        assert_eq!(
            resolve_dir(Path::new("catalog"), base, None),
            PathBuf::from("/etc/opsdeck/catalog")
        );
        assert_eq!(
            resolve_dir(Path::new("~/cat"), base, Some(Path::new("/home/u"))),
            PathBuf::from("/home/u/cat")
        );
        assert_eq!(
            resolve_dir(Path::new("/srv/cat"), base, None),
            PathBuf::from("/srv/cat")
        );
    }
}
