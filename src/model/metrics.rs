//! Service metrics from a Prometheus-compatible server (Prometheus, Thanos, Mimir,
//! VictoriaMetrics): the metric kinds, their default `PromQL` templates, template validation,
//! the HTTP API's answers, and the per-service snapshot with its SLO figures.
//!
//! # Templates
//!
//! A template is `PromQL` with placeholders written `{{name}}`:
//!
//! | placeholder | becomes |
//! |---|---|
//! | `{{service_label}}` | the label that names a service (`service` by default; `job` for the `OpenTelemetry` default) |
//! | `{{selector}}` | label matchers, without braces: `service!=""` in an all-services query, `service="checkout-api"` in a per-service override |
//! | `{{window}}` | the range of `rate()`/`increase()`: `5m` for the RED metrics, `1h` for restarts, and each SLO window (`5m`, `30m`, `1h`, `6h`, the SLO period) for `slo_error_ratio` |
//! | `{{pod_label}}` | the `kube_pod_labels` label that carries a pod's service (`label_app_kubernetes_io_name` by default), to join cAdvisor and kube-state-metrics series to services |
//!
//! Write the selector inside braces with a space or a comma next to it, e.g.
//! `http_requests_total{ {{selector}} }` or `{code=~"5..", {{selector}}}`.
//!
//! A template for all services must group by the service label (`by ({{service_label}})`, or
//! `by ({{service_label}}, le)` under a `histogram_quantile`): one query answers for every
//! service. Templates are checked when the config loads: unknown placeholders, unbalanced
//! `()`, `{}`, `[]`, an unclosed quote and a missing `by (…{{service_label}}…)` are refused.
//!
//! # SLO and burn rate
//!
//! Burn rate = error ratio over a window / error budget (1 − target). The alert state is the
//! multiwindow, multi-burn-rate rule of The Site Reliability Workbook, ch. 5 "Alerting on
//! SLOs", table 5-8 (for a 30-day SLO): **burning fast** when the 1h and the 5m burn both
//! exceed 14.4 (2 % of the budget in an hour), **burning slow** when the 6h and the 30m burn
//! both exceed 6 (5 % in six hours), else **ok**.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::Deserialize;

use crate::model::clean;

/// Points of a sparkline: a range query's step is its range divided by this.
pub const SPARKLINE_POINTS: usize = 30;
/// Longest series kept per metric and service.
pub const MAX_SERIES_POINTS: usize = 240;
/// Most services kept in one snapshot; more are dropped (and counted).
pub const MAX_SERVICES: usize = 10_000;
/// The fast-burn threshold of the Workbook's table 5-8 (1h and 5m windows).
pub const FAST_BURN: f64 = 14.4;
/// The slow-burn threshold of the Workbook's table 5-8 (6h and 30m windows).
pub const SLOW_BURN: f64 = 6.0;

/// A per-service value the UI shows: one metric kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricKind {
    RequestRate,
    ErrorRatio,
    LatencyP50,
    LatencyP95,
    LatencyP99,
    Restarts,
    Cpu,
    Memory,
}

impl MetricKind {
    pub const ALL: [Self; 8] = [
        Self::RequestRate,
        Self::ErrorRatio,
        Self::LatencyP50,
        Self::LatencyP95,
        Self::LatencyP99,
        Self::Restarts,
        Self::Cpu,
        Self::Memory,
    ];

    /// Its key in `prometheus.queries` (and, with `-` for `_`, in the
    /// `opsdeck.io/promql-<metric>` annotation).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::RequestRate => "request_rate",
            Self::ErrorRatio => "error_ratio",
            Self::LatencyP50 => "latency_p50",
            Self::LatencyP95 => "latency_p95",
            Self::LatencyP99 => "latency_p99",
            Self::Restarts => "restarts",
            Self::Cpu => "cpu",
            Self::Memory => "memory",
        }
    }

    /// Short title for a column or a card line.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::RequestRate => "req/s",
            Self::ErrorRatio => "errors",
            Self::LatencyP50 => "p50",
            Self::LatencyP95 => "p95",
            Self::LatencyP99 => "p99",
            Self::Restarts => "restarts/1h",
            Self::Cpu => "cpu",
            Self::Memory => "memory",
        }
    }

    /// The `{{window}}` it is evaluated with.
    #[must_use]
    pub fn window(self) -> &'static str {
        match self {
            Self::Restarts => "1h",
            _ => "5m",
        }
    }

    /// A value in this metric's unit, for a cell.
    #[must_use]
    pub fn format(self, v: f64) -> String {
        match self {
            Self::RequestRate => format!("{v:.1}/s"),
            Self::ErrorRatio => format!("{:.2}%", v * 100.0),
            Self::LatencyP50 | Self::LatencyP95 | Self::LatencyP99 => {
                if v < 1.0 {
                    format!("{:.0}ms", v * 1000.0)
                } else {
                    format!("{v:.2}s")
                }
            }
            Self::Restarts => format!("{v:.0}"),
            Self::Cpu => format!("{v:.2} cores"),
            Self::Memory => super::text::byte_size(v),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The windows of the SLO figures: the four of the Workbook's page rows and the SLO period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SloWindow {
    M5,
    M30,
    H1,
    H6,
    /// The SLO period (`prometheus.slo_window`, 30d by default).
    Period,
}

impl SloWindow {
    pub const ALL: [Self; 5] = [Self::M5, Self::M30, Self::H1, Self::H6, Self::Period];

    /// The `{{window}}` text; the period's comes from the config.
    #[must_use]
    pub fn duration(self, period: &str) -> &str {
        match self {
            Self::M5 => "5m",
            Self::M30 => "30m",
            Self::H1 => "1h",
            Self::H6 => "6h",
            Self::Period => period,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What one query is for: a metric (range query, for the sparkline) or an SLO window (instant
/// query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QueryKind {
    Metric(MetricKind),
    Slo(SloWindow),
}

impl QueryKind {
    /// Every query of one refresh, in order.
    #[must_use]
    pub fn all() -> Vec<Self> {
        MetricKind::ALL
            .iter()
            .map(|m| Self::Metric(*m))
            .chain(SloWindow::ALL.iter().map(|w| Self::Slo(*w)))
            .collect()
    }

    #[must_use]
    pub fn label(self, period: &str) -> String {
        match self {
            Self::Metric(m) => m.key().to_owned(),
            Self::Slo(w) => format!("slo_error_ratio[{}]", w.duration(period)),
        }
    }
}

/// The `PromQL` naming convention of the default templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Convention {
    /// `OpenTelemetry` HTTP semantic conventions as exported to Prometheus:
    /// `http_server_request_duration_seconds_{bucket,count}` with `http_response_status_code`.
    #[default]
    OpenTelemetry,
    /// `http_requests_total{code}` and `http_request_duration_seconds_bucket`.
    Classic,
}

impl Convention {
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "otel" | "opentelemetry" => Some(Self::OpenTelemetry),
            "classic" | "prometheus" => Some(Self::Classic),
            _ => None,
        }
    }
}

/// Every template key: the metric keys and `slo_error_ratio`.
pub const TEMPLATE_KEYS: [&str; 9] = [
    "request_rate",
    "error_ratio",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "restarts",
    "cpu",
    "memory",
    "slo_error_ratio",
];

/// The key of the SLO error-ratio template.
pub const SLO_KEY: &str = "slo_error_ratio";

/// Placeholders a template may use.
pub const PLACEHOLDERS: [&str; 4] = ["service_label", "selector", "window", "pod_label"];

/// Joins cAdvisor's and kube-state-metrics' per-pod series to the service label through
/// `kube_pod_labels` (kubernetes-mixin's approach, with the service read from a pod label).
const POD_JOIN: &str = r#"* on (namespace, pod) group_left({{service_label}}) max by (namespace, pod, {{service_label}}) (label_replace(kube_pod_labels{ {{pod_label}}!="" }, "{{service_label}}", "$1", "{{pod_label}}", "(.+)"))"#;

/// The default template of `key` (a [`TEMPLATE_KEYS`] entry) for a convention.
#[must_use]
pub fn default_template(key: &str, convention: Convention) -> Option<String> {
    let (count, bucket, errors) = match convention {
        Convention::OpenTelemetry => (
            "http_server_request_duration_seconds_count",
            "http_server_request_duration_seconds_bucket",
            r#"http_response_status_code=~"5.."#,
        ),
        Convention::Classic => (
            "http_requests_total",
            "http_request_duration_seconds_bucket",
            r#"code=~"5.."#,
        ),
    };
    let total = format!(
        "sum by ({{{{service_label}}}}) (rate({count}{{ {{{{selector}}}} }}[{{{{window}}}}]))"
    );
    let quantile = |q: &str| {
        format!(
            "histogram_quantile({q}, sum by ({{{{service_label}}}}, le) (rate({bucket}{{ {{{{selector}}}} }}[{{{{window}}}}])))"
        )
    };
    // No 5xx series at all is a real 0 when there is traffic: the `or … * 0` supplies it.
    let ratio = format!(
        "(sum by ({{{{service_label}}}}) (rate({count}{{{errors}\", {{{{selector}}}}}}[{{{{window}}}}])) or {total} * 0) / {total}"
    );
    Some(match key {
        "request_rate" => total,
        "error_ratio" | "slo_error_ratio" => ratio,
        "latency_p50" => quantile("0.5"),
        "latency_p95" => quantile("0.95"),
        "latency_p99" => quantile("0.99"),
        "restarts" => format!(
            "sum by ({{{{service_label}}}}) (increase(kube_pod_container_status_restarts_total[{{{{window}}}}]) {POD_JOIN})"
        ),
        "cpu" => format!(
            "sum by ({{{{service_label}}}}) (rate(container_cpu_usage_seconds_total{{image!=\"\"}}[{{{{window}}}}]) {POD_JOIN})"
        ),
        "memory" => format!(
            "sum by ({{{{service_label}}}}) (container_memory_working_set_bytes{{image!=\"\"}} {POD_JOIN})"
        ),
        _ => return None,
    })
}

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "unknown placeholder `{{{{{0}}}}}`; known: {{{{service_label}}}}, {{{{selector}}}}, {{{{window}}}}, {{{{pod_label}}}}"
    )]
    UnknownPlaceholder(String),
    #[error("unclosed placeholder: `{{{{` without `}}}}`")]
    UnclosedPlaceholder,
    #[error("unbalanced `{0}` at character {1}")]
    Unbalanced(char, usize),
    #[error("`{0}` at character {1} is never closed")]
    Unclosed(char, usize),
    #[error("unclosed string literal starting at character {0}")]
    UnclosedQuote(usize),
    #[error(
        "a query for all services must group by the service label, e.g. `sum by ({{{{service_label}}}}) (…)`: one query answers for every service"
    )]
    NotGrouped,
    #[error("empty query")]
    Empty,
}

/// The placeholders named in a template, in order.
fn placeholders(template: &str) -> Result<Vec<&str>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::UnclosedPlaceholder)?;
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    Ok(out)
}

/// Values of the placeholders for one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion<'a> {
    pub service_label: &'a str,
    pub pod_label: &'a str,
    pub window: &'a str,
    /// Matchers without braces.
    pub selector: &'a str,
}

/// The template with its placeholders replaced (unknown ones are left as they are: the
/// template was validated at load).
#[must_use]
pub fn expand(template: &str, x: &Expansion<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match after[..end].trim() {
            "service_label" => out.push_str(x.service_label),
            "pod_label" => out.push_str(x.pod_label),
            "window" => out.push_str(x.window),
            "selector" => out.push_str(x.selector),
            other => {
                out.push_str("{{");
                out.push_str(other);
                out.push_str("}}");
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Checks a template: known placeholders, balanced brackets and quotes, and (when
/// `all_services`) grouping by the service label.
pub fn validate_template(template: &str, all_services: bool) -> Result<(), TemplateError> {
    if template.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    for name in placeholders(template)? {
        if !PLACEHOLDERS.contains(&name) {
            return Err(TemplateError::UnknownPlaceholder(name.to_owned()));
        }
    }
    // Check the brackets with each placeholder blanked out (same length, so positions are
    // the template's).
    let mut sample = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        sample.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .map_or(rest.len(), |e| start + e + 2);
        sample.extend(std::iter::repeat_n('x', rest[start..end].chars().count()));
        rest = &rest[end..];
    }
    sample.push_str(rest);
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut chars = sample.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let mut closed = false;
                while let Some((_, d)) = chars.next() {
                    if d == '\\' && c != '`' {
                        chars.next();
                    } else if d == c {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(TemplateError::UnclosedQuote(i + 1));
                }
            }
            '#' => {
                // A comment runs to the end of the line.
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '(' | '{' | '[' => stack.push((c, i)),
            ')' | '}' | ']' => {
                let open = match c {
                    ')' => '(',
                    '}' => '{',
                    _ => '[',
                };
                match stack.pop() {
                    Some((o, _)) if o == open => {}
                    _ => return Err(TemplateError::Unbalanced(c, i + 1)),
                }
            }
            _ => {}
        }
    }
    if let Some((c, i)) = stack.pop() {
        return Err(TemplateError::Unclosed(c, i + 1));
    }
    if all_services && !groups_by_service(template) {
        return Err(TemplateError::NotGrouped);
    }
    Ok(())
}

/// Whether some `by (…)` clause of the template names `{{service_label}}`.
fn groups_by_service(template: &str) -> bool {
    let lower = template.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("by") {
        let at = from + pos;
        from = at + 2;
        let before_ok =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let rest = lower[at + 2..].trim_start();
        if !before_ok || !rest.starts_with('(') {
            continue;
        }
        if let Some(end) = rest.find(')')
            && rest[1..end].split(',').any(|l| {
                l.trim()
                    .strip_prefix("{{")
                    .and_then(|x| x.strip_suffix("}}"))
                    .is_some_and(|x| x.trim() == "service_label")
            })
        {
            return true;
        }
    }
    false
}

/// Validates a duration as Prometheus writes them (`30d`, `1h30m`, `5m`).
#[must_use]
pub fn parse_duration(raw: &str) -> Option<std::time::Duration> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut rest = raw;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, len) = if rest.starts_with("ms") {
            (0, 2)
        } else {
            let mult = match rest.chars().next()? {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                'y' => 31_536_000,
                _ => return None,
            };
            (mult, 1)
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[len..];
    }
    Some(std::time::Duration::from_secs(total))
}

// --- The HTTP API's answers ---------------------------------------------------------------

/// One sample value as sent (a JSON string, since JSON has no NaN or infinities).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    Value(f64),
    NaN,
    PlusInf,
    MinusInf,
}

impl Sample {
    /// Go's `strconv.FormatFloat` writes `NaN`, `+Inf`, `-Inf`; other numbers as usual.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "NaN" | "nan" => Some(Self::NaN),
            "+Inf" | "Inf" | "inf" | "+inf" => Some(Self::PlusInf),
            "-Inf" | "-inf" => Some(Self::MinusInf),
            s => {
                let v: f64 = s.parse().ok()?;
                Some(Self::from_f64(v))
            }
        }
    }

    #[must_use]
    pub fn from_f64(v: f64) -> Self {
        if v.is_nan() {
            Self::NaN
        } else if v == f64::INFINITY {
            Self::PlusInf
        } else if v == f64::NEG_INFINITY {
            Self::MinusInf
        } else {
            Self::Value(v)
        }
    }

    /// The finite value, if it is one.
    #[must_use]
    pub fn finite(self) -> Option<f64> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// A label set, cleaned.
pub type Labels = BTreeMap<String, String>;

/// The `data` of a successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum PromData {
    Vector(Vec<(Labels, f64, Sample)>),
    Matrix(Vec<(Labels, Vec<(f64, Sample)>)>),
    Scalar(f64, Sample),
    String(f64, String),
}

/// A successful answer: its data and any warnings (partial data).
#[derive(Debug, Clone, PartialEq)]
pub struct PromAnswer {
    pub data: PromData,
    pub warnings: Vec<String>,
}

/// A failed query, as the API or the transport reported it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromError {
    /// `status: "error"` with its `errorType` and `error` (cleaned).
    #[error("{error_type}: {error}")]
    Api { error_type: String, error: String },
    /// Not an API answer (a proxy's HTML page, truncated JSON…).
    #[error("unexpected answer: {0}")]
    Malformed(String),
    /// The request did not get an answer.
    #[error("{0}")]
    Transport(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEnvelope {
    status: String,
    #[serde(default)]
    data: Option<WireData>,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireData {
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct WireVector {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

#[derive(Deserialize)]
struct WireMatrix {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    values: Vec<(f64, String)>,
}

fn clean_labels(map: BTreeMap<String, String>) -> Labels {
    map.into_iter()
        .map(|(k, v)| (clean(&k), clean(&v)))
        .collect()
}

fn sample(raw: &str) -> Result<Sample, PromError> {
    Sample::parse(raw).ok_or_else(|| PromError::Malformed(format!("sample value `{}`", clean(raw))))
}

/// Parses the body of `/api/v1/query` or `/api/v1/query_range` (whatever its HTTP status:
/// errors come as 400, 422 or 503 with the same envelope). Every label is cleaned.
pub fn parse_response(body: &[u8]) -> Result<PromAnswer, PromError> {
    let envelope: WireEnvelope = serde_json::from_slice(body).map_err(|e| {
        let head: String = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
        PromError::Malformed(format!("{e} (body starts `{}`)", clean(&head)))
    })?;
    let warnings: Vec<String> = envelope.warnings.iter().map(|w| clean(w)).collect();
    if envelope.status != "success" {
        return Err(PromError::Api {
            error_type: clean(envelope.error_type.as_deref().unwrap_or("unknown")),
            error: clean(envelope.error.as_deref().unwrap_or("no error message")),
        });
    }
    let data = envelope
        .data
        .ok_or_else(|| PromError::Malformed("success without data".into()))?;
    let malformed = |e: serde_json::Error| PromError::Malformed(e.to_string());
    let data = match data.result_type.as_str() {
        "vector" => {
            let items: Vec<WireVector> = serde_json::from_value(data.result).map_err(malformed)?;
            PromData::Vector(
                items
                    .into_iter()
                    .map(|v| Ok((clean_labels(v.metric), v.value.0, sample(&v.value.1)?)))
                    .collect::<Result<_, PromError>>()?,
            )
        }
        "matrix" => {
            let items: Vec<WireMatrix> = serde_json::from_value(data.result).map_err(malformed)?;
            PromData::Matrix(
                items
                    .into_iter()
                    .map(|m| {
                        let values = m
                            .values
                            .iter()
                            .map(|(t, v)| Ok((*t, sample(v)?)))
                            .collect::<Result<Vec<_>, PromError>>()?;
                        Ok((clean_labels(m.metric), values))
                    })
                    .collect::<Result<_, PromError>>()?,
            )
        }
        "scalar" => {
            let (t, v): (f64, String) = serde_json::from_value(data.result).map_err(malformed)?;
            PromData::Scalar(t, sample(&v)?)
        }
        "string" => {
            let (t, v): (f64, String) = serde_json::from_value(data.result).map_err(malformed)?;
            PromData::String(t, clean(&v))
        }
        other => {
            return Err(PromError::Malformed(format!(
                "unknown resultType `{}`",
                clean(other)
            )));
        }
    };
    Ok(PromAnswer { data, warnings })
}

// --- Per-service values ---------------------------------------------------------------------

/// One value as the UI shows it: never a made-up zero.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    Value(f64),
    /// `NaN`: for a ratio, 0/0 (no traffic); for a quantile, no observations.
    NaN,
    PlusInf,
    MinusInf,
    /// The query answered with no series for this service.
    NoData,
    /// The query failed.
    Error(String),
}

impl Reading {
    #[must_use]
    pub fn from_sample(s: Sample) -> Self {
        match s {
            Sample::Value(v) => Self::Value(v),
            Sample::NaN => Self::NaN,
            Sample::PlusInf => Self::PlusInf,
            Sample::MinusInf => Self::MinusInf,
        }
    }

    #[must_use]
    pub fn value(&self) -> Option<f64> {
        match self {
            Self::Value(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as a number, infinities included (for comparisons against thresholds).
    #[must_use]
    pub fn number(&self) -> Option<f64> {
        match self {
            Self::Value(v) => Some(*v),
            Self::PlusInf => Some(f64::INFINITY),
            Self::MinusInf => Some(f64::NEG_INFINITY),
            _ => None,
        }
    }

    /// The cell text for a metric: its value in unit, or what it is instead.
    #[must_use]
    pub fn show(&self, kind: MetricKind) -> String {
        match self {
            Self::Value(v) => kind.format(*v),
            Self::NaN if kind == MetricKind::ErrorRatio => "no traffic".to_owned(),
            Self::NaN => "NaN".to_owned(),
            Self::PlusInf => "+Inf".to_owned(),
            Self::MinusInf => "-Inf".to_owned(),
            Self::NoData => "no data".to_owned(),
            Self::Error(_) => "error".to_owned(),
        }
    }

    fn map(&self, f: impl Fn(f64) -> f64) -> Self {
        match self {
            Self::Value(v) => Self::from_sample(Sample::from_f64(f(*v))),
            Self::PlusInf => Self::from_sample(Sample::from_f64(f(f64::INFINITY))),
            Self::MinusInf => Self::from_sample(Sample::from_f64(f(f64::NEG_INFINITY))),
            other => other.clone(),
        }
    }
}

/// The burn state of the Workbook's multiwindow, multi-burn-rate alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BurnState {
    /// 1h and 5m burn both above 14.4.
    Fast,
    /// 6h and 30m burn both above 6.
    Slow,
    Ok,
    /// A window needed to decide has no value (error, no data).
    Unknown,
}

impl BurnState {
    #[must_use]
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Fast => "▲▲",
            Self::Slow => "▲",
            Self::Ok => "✓",
            Self::Unknown => "?",
        }
    }

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Fast => "burning fast",
            Self::Slow => "burning slow",
            Self::Ok => "ok",
            Self::Unknown => "unknown",
        }
    }

    /// From the burn rates of the 5m, 30m, 1h and 6h windows. A window without traffic
    /// (`NaN`) burns nothing; a window without a value (error, no data) leaves its row
    /// undecided, and the state is unknown unless the other row fires.
    #[must_use]
    pub fn from_burns(m5: &Reading, m30: &Reading, h1: &Reading, h6: &Reading) -> Self {
        // Some(burn) when known; NaN (no traffic) counts as 0.
        let known = |r: &Reading| match r {
            Reading::NaN => Some(0.0),
            other => other.number(),
        };
        let row = |long: &Reading, short: &Reading, threshold: f64| {
            match (known(long), known(short)) {
                (Some(l), Some(s)) => Some(l > threshold && s > threshold),
                // One window known and below the threshold decides the row: not firing.
                (Some(x), None) | (None, Some(x)) if x <= threshold => Some(false),
                _ => None,
            }
        };
        let fast = row(h1, m5, FAST_BURN);
        let slow = row(h6, m30, SLOW_BURN);
        match (fast, slow) {
            (Some(true), _) => Self::Fast,
            (_, Some(true)) => Self::Slow,
            (Some(false), Some(false)) => Self::Ok,
            _ => Self::Unknown,
        }
    }
}

/// The SLO figures of one service.
#[derive(Debug, Clone, PartialEq)]
pub struct SloFigures {
    /// Objective in percent (99.9).
    pub target: f64,
    /// The SLO period, as configured (`30d`).
    pub window: String,
    /// Good ratio over the period (0..1): 1 − error ratio.
    pub sli: Reading,
    /// Error budget left over the period: 1 = untouched, 0 = spent, negative = overspent.
    pub budget_left: Reading,
    /// Burn rate per window: 5m, 30m, 1h, 6h, period.
    pub burn: [Reading; 5],
    pub state: BurnState,
}

impl SloFigures {
    /// From the error ratios of the five [`SloWindow`]s and the target in percent.
    #[must_use]
    pub fn compute(target: f64, window: &str, ratios: &[Reading; 5]) -> Self {
        let budget = (1.0 - target / 100.0).max(f64::MIN_POSITIVE);
        let burn: [Reading; 5] = std::array::from_fn(|i| ratios[i].map(|r| r / budget));
        let period = &ratios[SloWindow::Period.index()];
        let state = BurnState::from_burns(&burn[0], &burn[1], &burn[2], &burn[3]);
        Self {
            target,
            window: window.to_owned(),
            sli: period.map(|r| 1.0 - r),
            budget_left: period.map(|r| 1.0 - r / budget),
            burn,
            state,
        }
    }

    #[must_use]
    pub fn burn_of(&self, w: SloWindow) -> &Reading {
        &self.burn[w.index()]
    }
}

/// One service's metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceMetrics {
    /// Latest value per [`MetricKind`].
    pub latest: [Reading; 8],
    /// A short series per [`MetricKind`] (oldest first; `None` where a point is NaN or
    /// missing), at most [`MAX_SERIES_POINTS`].
    pub series: [Vec<Option<f64>>; 8],
    /// Error ratio per [`SloWindow`].
    pub error_ratios: [Reading; 5],
    pub slo: SloFigures,
}

impl ServiceMetrics {
    fn empty(target: f64, window: &str) -> Self {
        let no = || Reading::NoData;
        let ratios: [Reading; 5] = std::array::from_fn(|_| no());
        Self {
            latest: std::array::from_fn(|_| no()),
            series: std::array::from_fn(|_| Vec::new()),
            slo: SloFigures::compute(target, window, &ratios),
            error_ratios: ratios,
        }
    }

    #[must_use]
    pub fn latest(&self, kind: MetricKind) -> &Reading {
        &self.latest[kind.index()]
    }

    #[must_use]
    pub fn series(&self, kind: MetricKind) -> &[Option<f64>] {
        &self.series[kind.index()]
    }
}

/// What the source knows of a service when it builds the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSpec {
    pub name: String,
    /// SLO objective in percent, when the catalog gives one.
    pub target: Option<f64>,
}

/// The result of one query, as the snapshot builder takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub kind: QueryKind,
    /// `None`: the all-services query; `Some(name)`: a per-service override.
    pub service: Option<String>,
    pub answer: Result<PromAnswer, PromError>,
}

/// Everything the metrics source saw in one refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSnapshot {
    pub taken_at: Timestamp,
    /// The server (URL or `sandbox`), for the card's footnote.
    pub server: String,
    /// Seconds between sparkline points.
    pub step_secs: u64,
    /// The SLO period (`30d`).
    pub slo_window: String,
    /// Objective used for services whose catalog entry names none.
    pub default_target: f64,
    pub services: BTreeMap<String, ServiceMetrics>,
    /// Failed queries: their label and the error, shown whole.
    pub errors: Vec<(String, String)>,
    /// Warnings (partial data) the server sent.
    pub warnings: Vec<String>,
    /// Queries sent for this snapshot.
    pub queries: usize,
    /// Services not kept because of [`MAX_SERVICES`].
    pub dropped_services: usize,
}

impl MetricsSnapshot {
    #[must_use]
    pub fn service(&self, name: &str) -> Option<&ServiceMetrics> {
        self.services.get(name)
    }
}

/// Options of the snapshot build.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOptions<'a> {
    pub service_label: &'a str,
    pub slo_window: &'a str,
    pub default_target: f64,
    pub server: &'a str,
    pub step_secs: u64,
}

/// The service a series belongs to: its service label (an `OpenTelemetry` `job` of the form
/// `namespace/name` gives `name`).
fn series_service<'l>(labels: &'l Labels, service_label: &str) -> Option<&'l str> {
    let v = labels.get(service_label).filter(|v| !v.is_empty())?;
    Some(if service_label == "job" {
        v.rsplit('/').next().unwrap_or(v)
    } else {
        v
    })
}

fn point(s: Sample) -> Option<f64> {
    s.finite()
}

/// Builds a snapshot from one refresh's query results. Services are the catalog's when it is
/// known (`services` non-empty), else those the answers name; either way at most
/// [`MAX_SERVICES`]. A failed all-services query marks that metric as an error for every
/// service; an empty answer is "no data", never zero.
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "services, then each answer (error, all services, override), then the SLO figures"
)]
pub fn build_snapshot(
    taken_at: Timestamp,
    options: &BuildOptions<'_>,
    services: &[ServiceSpec],
    results: Vec<QueryResult>,
) -> MetricsSnapshot {
    let mut snapshot = MetricsSnapshot {
        taken_at,
        server: options.server.to_owned(),
        step_secs: options.step_secs,
        slo_window: options.slo_window.to_owned(),
        default_target: options.default_target,
        services: BTreeMap::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        queries: results.len(),
        dropped_services: 0,
    };
    let targets: BTreeMap<&str, Option<f64>> = services
        .iter()
        .map(|s| (s.name.as_str(), s.target))
        .collect();
    let from_catalog = !services.is_empty();
    let mut names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    if !from_catalog {
        let mut seen = std::collections::BTreeSet::new();
        for r in &results {
            if let Ok(answer) = &r.answer {
                for labels in answer_labels(&answer.data) {
                    if let Some(s) = series_service(labels, options.service_label) {
                        seen.insert(s.to_owned());
                    }
                }
            }
        }
        names = seen.into_iter().collect();
    }
    names.sort();
    names.dedup();
    if names.len() > MAX_SERVICES {
        snapshot.dropped_services = names.len() - MAX_SERVICES;
        names.truncate(MAX_SERVICES);
    }
    for name in names {
        snapshot.services.insert(
            name,
            ServiceMetrics::empty(options.default_target, options.slo_window),
        );
    }
    // All-services answers first, then per-service overrides on top.
    let mut results = results;
    results.sort_by_key(|r| r.service.is_some());
    for r in results {
        let label = match &r.service {
            None => r.kind.label(options.slo_window),
            Some(s) => format!("{} for {s}", r.kind.label(options.slo_window)),
        };
        match r.answer {
            Err(e) => {
                let message = e.to_string();
                let targets: Vec<&mut ServiceMetrics> = match &r.service {
                    None => snapshot.services.values_mut().collect(),
                    Some(s) => snapshot.services.get_mut(s).into_iter().collect(),
                };
                for m in targets {
                    set(m, r.kind, Reading::Error(message.clone()), Vec::new());
                }
                snapshot.errors.push((label, message));
            }
            Ok(answer) => {
                for w in &answer.warnings {
                    if snapshot.warnings.len() < 32 && !snapshot.warnings.contains(w) {
                        snapshot.warnings.push(w.clone());
                    }
                }
                match &r.service {
                    None => {
                        for (service, reading, series) in
                            per_series(answer.data, options.service_label)
                        {
                            if let Some(m) = snapshot.services.get_mut(&service) {
                                set(m, r.kind, reading, series);
                            }
                        }
                    }
                    Some(s) => {
                        let Some(m) = snapshot.services.get_mut(s) else {
                            continue;
                        };
                        let mut all = per_series(answer.data, "");
                        let (reading, series) = match all.len() {
                            0 => (Reading::NoData, Vec::new()),
                            1 => {
                                let (_, reading, series) = all.remove(0);
                                (reading, series)
                            }
                            n => {
                                let message = format!("override returned {n} series; expected one");
                                snapshot.errors.push((label, message.clone()));
                                (Reading::Error(message), Vec::new())
                            }
                        };
                        set(m, r.kind, reading, series);
                    }
                }
            }
        }
    }
    for (name, m) in &mut snapshot.services {
        let target = targets
            .get(name.as_str())
            .copied()
            .flatten()
            .unwrap_or(options.default_target);
        m.slo = SloFigures::compute(target, options.slo_window, &m.error_ratios);
    }
    snapshot
}

fn answer_labels(data: &PromData) -> Vec<&Labels> {
    match data {
        PromData::Vector(v) => v.iter().map(|(l, _, _)| l).collect(),
        PromData::Matrix(m) => m.iter().map(|(l, _)| l).collect(),
        PromData::Scalar(..) | PromData::String(..) => Vec::new(),
    }
}

/// Each series of an answer as (service, latest, sparkline). With an empty `service_label`
/// every series is kept under the empty name (a per-service override).
fn per_series(data: PromData, service_label: &str) -> Vec<(String, Reading, Vec<Option<f64>>)> {
    let name = |labels: &Labels| -> Option<String> {
        if service_label.is_empty() {
            Some(String::new())
        } else {
            series_service(labels, service_label).map(str::to_owned)
        }
    };
    match data {
        PromData::Vector(items) => items
            .into_iter()
            .filter_map(|(labels, _, s)| {
                Some((name(&labels)?, Reading::from_sample(s), Vec::new()))
            })
            .collect(),
        PromData::Matrix(items) => items
            .into_iter()
            .filter_map(|(labels, values)| {
                let service = name(&labels)?;
                let latest = values
                    .last()
                    .map_or(Reading::NoData, |(_, s)| Reading::from_sample(*s));
                let skip = values.len().saturating_sub(MAX_SERIES_POINTS);
                let series = values.iter().skip(skip).map(|(_, s)| point(*s)).collect();
                Some((service, latest, series))
            })
            .collect(),
        PromData::Scalar(_, s) => vec![(String::new(), Reading::from_sample(s), Vec::new())],
        PromData::String(..) => Vec::new(),
    }
}

fn set(m: &mut ServiceMetrics, kind: QueryKind, reading: Reading, series: Vec<Option<f64>>) {
    match kind {
        QueryKind::Metric(k) => {
            m.latest[k.index()] = reading;
            m.series[k.index()] = series;
        }
        QueryKind::Slo(w) => m.error_ratios[w.index()] = reading,
    }
}

// --- Helpers for panes ----------------------------------------------------------------------

/// The SLO line of a card or an incident: `99.95% SLI 99.91% · budget 62% left · ✓ ok`.
#[must_use]
pub fn slo_line(slo: &SloFigures) -> String {
    let pct = |r: &Reading, digits: usize| match r {
        Reading::Value(v) => format!("{:.digits$}%", v * 100.0),
        Reading::NaN => "no traffic".to_owned(),
        other => other.show(MetricKind::RequestRate),
    };
    format!(
        "target {}% over {} · SLI {} · budget {} left · {} {}",
        slo.target,
        slo.window,
        pct(&slo.sli, 3),
        pct(&slo.budget_left, 0),
        slo.state.glyph(),
        slo.state.word()
    )
}

/// The burn rates line: `burn 5m 20.1× · 30m 7.0× · 1h 15.2× · 6h 3.1×`.
#[must_use]
pub fn burn_line(slo: &SloFigures) -> String {
    let mut parts = Vec::with_capacity(4);
    for w in [SloWindow::M5, SloWindow::M30, SloWindow::H1, SloWindow::H6] {
        let text = match slo.burn_of(w) {
            Reading::Value(v) => format!("{v:.1}×"),
            Reading::NaN => "no traffic".to_owned(),
            other => other.show(MetricKind::RequestRate),
        };
        parts.push(format!("{} {text}", w.duration(&slo.window)));
    }
    format!("burn {}", parts.join(" · "))
}

/// A series scaled to `0..=max_level` (for sparkline widgets, which take integers), the last
/// `width` points; gaps (NaN, missing) stay `None`.
#[must_use]
pub fn sparkline_series(series: &[Option<f64>], width: usize, max_level: u64) -> Vec<Option<u64>> {
    let tail = &series[series.len().saturating_sub(width)..];
    let max = tail.iter().flatten().copied().fold(0.0_f64, f64::max);
    tail.iter()
        .map(|p| {
            p.map(|v| {
                if max <= 0.0 {
                    0
                } else {
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        clippy::cast_precision_loss,
                        reason = "a ratio in 0..=1 scaled to a small level count"
                    )]
                    let level = ((v.max(0.0) / max) * max_level as f64).round() as u64;
                    level
                }
            })
        })
        .collect()
}

impl fmt::Display for BurnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.glyph(), self.word())
    }
}

/// Fills the catalog's SLO figures (current and budget left) from a snapshot: the catalog
/// then shows measured figures everywhere it shows an SLO. Services without metrics keep
/// `None` (shown as unknown, never as a made-up number).
#[must_use]
pub fn apply_to_catalog(
    catalog: &crate::model::Catalog,
    snapshot: Option<&MetricsSnapshot>,
) -> crate::model::Catalog {
    let mut out = catalog.clone();
    for entry in &mut out.entries {
        let crate::model::CatalogEntry::Service(s) = entry else {
            continue;
        };
        let figures = snapshot.and_then(|m| m.service(&s.name)).map(|m| &m.slo);
        match (&mut s.slo, figures) {
            (Some(slo), Some(f)) => {
                // The snapshot computed with the catalog's target when it knew it; recompute
                // when they differ (a catalog newer than the snapshot).
                let f = if (f.target - slo.target).abs() > f64::EPSILON {
                    let m = snapshot
                        .and_then(|m| m.service(&s.name))
                        .map(|m| SloFigures::compute(slo.target, &f.window, &m.error_ratios));
                    m.unwrap_or_else(|| f.clone())
                } else {
                    f.clone()
                };
                slo.current = f.sli.value().map(|v| v * 100.0);
                slo.budget_left = f.budget_left.value();
                slo.window.clone_from(&f.window);
            }
            (Some(slo), None) => {
                slo.current = None;
                slo.budget_left = None;
            }
            (None, _) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> PromAnswer {
        parse_response(body.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_vector_with_nan_and_infinities_parses() {
        let a = ok(
            r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"service":"a"},"value":[1700000000.5,"0.25"]},
            {"metric":{"service":"b"},"value":[1700000000.5,"NaN"]},
            {"metric":{"service":"c"},"value":[1700000000.5,"+Inf"]},
            {"metric":{"service":"d\u001b[31m"},"value":[1700000000.5,"-Inf"]},
            {"metric":{"service":"e"},"value":[1700000000.5,"1e-3"]}]}}"#,
        );
        let PromData::Vector(v) = a.data else {
            panic!("not a vector")
        };
        assert_eq!(v[0].2, Sample::Value(0.25));
        assert_eq!(v[1].2, Sample::NaN);
        assert_eq!(v[2].2, Sample::PlusInf);
        assert_eq!(v[3].2, Sample::MinusInf);
        assert!(!v[3].0["service"].contains('\u{1b}'), "labels cleaned");
        assert_eq!(v[4].2, Sample::Value(0.001));
    }

    #[test]
    fn matrix_scalar_string_errors_and_warnings() {
        let a = ok(
            r#"{"status":"success","warnings":["partial \u0007 data"],"data":{"resultType":"matrix","result":[
            {"metric":{"job":"shop/api"},"values":[[1,"1"],[2,"NaN"],[3,"3"]]}]}}"#,
        );
        assert_eq!(a.warnings.len(), 1);
        assert!(!a.warnings[0].contains('\u{7}'));
        let PromData::Matrix(m) = a.data else {
            panic!("not a matrix")
        };
        assert_eq!(m[0].1.len(), 3);
        let s = ok(r#"{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}"#);
        assert_eq!(s.data, PromData::Scalar(1.0, Sample::Value(2.0)));
        let s = ok(r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#);
        assert_eq!(s.data, PromData::String(1.0, "x".into()));
        let e = parse_response(
            br#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#,
        );
        assert_eq!(
            e,
            Err(PromError::Api {
                error_type: "bad_data".into(),
                error: "parse error at char 5".into()
            })
        );
        assert!(matches!(
            parse_response(b"<html>bad gateway</html>"),
            Err(PromError::Malformed(_))
        ));
        assert!(matches!(
            parse_response(br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}"#),
            Err(PromError::Malformed(_))
        ));
    }

    fn vector(kind: QueryKind, items: &[(&str, Sample)]) -> QueryResult {
        QueryResult {
            kind,
            service: None,
            answer: Ok(PromAnswer {
                data: PromData::Vector(
                    items
                        .iter()
                        .map(|(s, v)| ([("service".to_owned(), (*s).to_owned())].into(), 0.0, *v))
                        .collect(),
                ),
                warnings: Vec::new(),
            }),
        }
    }

    fn options() -> BuildOptions<'static> {
        BuildOptions {
            service_label: "service",
            slo_window: "30d",
            default_target: 99.9,
            server: "test",
            step_secs: 60,
        }
    }

    #[test]
    fn nan_inf_empty_and_errors_are_kept_apart_from_zero() {
        let services = ["a", "b", "c"]
            .map(|n| ServiceSpec {
                name: n.into(),
                target: None,
            })
            .to_vec();
        let results = vec![
            vector(
                QueryKind::Metric(MetricKind::ErrorRatio),
                &[("a", Sample::Value(0.0)), ("b", Sample::NaN)],
            ),
            QueryResult {
                kind: QueryKind::Metric(MetricKind::Cpu),
                service: None,
                answer: Err(PromError::Api {
                    error_type: "execution".into(),
                    error: "boom".into(),
                }),
            },
            vector(
                QueryKind::Metric(MetricKind::LatencyP99),
                &[("a", Sample::PlusInf)],
            ),
        ];
        let snap = build_snapshot(Timestamp::UNIX_EPOCH, &options(), &services, results);
        let a = snap.service("a").expect("a");
        let b = snap.service("b").expect("b");
        let c = snap.service("c").expect("c");
        assert_eq!(a.latest(MetricKind::ErrorRatio), &Reading::Value(0.0));
        assert_eq!(
            b.latest(MetricKind::ErrorRatio)
                .show(MetricKind::ErrorRatio),
            "no traffic"
        );
        assert_eq!(c.latest(MetricKind::ErrorRatio), &Reading::NoData);
        assert_eq!(
            c.latest(MetricKind::ErrorRatio)
                .show(MetricKind::ErrorRatio),
            "no data"
        );
        assert_eq!(
            a.latest(MetricKind::LatencyP99)
                .show(MetricKind::LatencyP99),
            "+Inf"
        );
        assert!(matches!(a.latest(MetricKind::Cpu), Reading::Error(e) if e.contains("boom")));
        assert_eq!(snap.errors.len(), 1);
        assert_eq!(snap.queries, 3);
    }

    #[test]
    fn the_slo_figures_follow_the_workbook() {
        let r = Reading::Value;
        // 99.9 %: budget 0.001. 2 % errors = burn 20.
        let f = SloFigures::compute(99.9, "30d", &[r(0.02), r(0.0), r(0.02), r(0.0), r(0.0005)]);
        assert_eq!(f.state, BurnState::Fast);
        assert!((f.burn_of(SloWindow::M5).value().unwrap_or_default() - 20.0).abs() < 1e-9);
        assert!((f.sli.value().unwrap_or_default() - 0.9995).abs() < 1e-12);
        assert!((f.budget_left.value().unwrap_or_default() - 0.5).abs() < 1e-9);
        let slow = SloFigures::compute(99.9, "30d", &[r(0.0), r(0.007), r(0.0), r(0.007), r(0.0)]);
        assert_eq!(slow.state, BurnState::Slow);
        assert_eq!(slow.state.word(), "burning slow");
        let ok = SloFigures::compute(99.9, "30d", &[r(0.02), r(0.0), r(0.001), r(0.0), r(0.0)]);
        assert_eq!(ok.state, BurnState::Ok, "the 1h window must agree");
        let overspent =
            SloFigures::compute(99.0, "30d", &[r(0.0), r(0.0), r(0.0), r(0.0), r(0.03)]);
        assert!(overspent.budget_left.value().unwrap_or_default() < 0.0);
    }

    #[test]
    fn burn_state_edges() {
        let r = Reading::Value;
        let at = |v: f64| BurnState::from_burns(&r(v), &r(0.0), &r(v), &r(0.0));
        assert_eq!(
            at(14.4),
            BurnState::Ok,
            "exactly the threshold does not fire"
        );
        assert_eq!(at(14.41), BurnState::Fast);
        let slow = |v: f64| BurnState::from_burns(&r(0.0), &r(v), &r(0.0), &r(v));
        assert_eq!(slow(6.0), BurnState::Ok);
        assert_eq!(slow(6.01), BurnState::Slow);
        let nan = Reading::NaN;
        assert_eq!(
            BurnState::from_burns(&nan, &nan, &nan, &nan),
            BurnState::Ok,
            "no traffic burns nothing"
        );
        let none = Reading::NoData;
        assert_eq!(
            BurnState::from_burns(&none, &none, &none, &none),
            BurnState::Unknown
        );
        assert_eq!(
            BurnState::from_burns(&r(20.0), &none, &r(20.0), &none),
            BurnState::Fast,
            "the fast row decides alone"
        );
        assert_eq!(
            BurnState::from_burns(&r(20.0), &none, &r(1.0), &none),
            BurnState::Unknown,
            "the slow row is undecided"
        );
        assert_eq!(
            BurnState::from_burns(&r(20.0), &r(1.0), &r(1.0), &none),
            BurnState::Ok,
            "a known low window decides its row"
        );
        assert_eq!(
            BurnState::from_burns(&Reading::PlusInf, &r(0.0), &Reading::PlusInf, &r(0.0)),
            BurnState::Fast
        );
    }

    #[test]
    fn default_templates_are_valid_and_expand() {
        for convention in [Convention::OpenTelemetry, Convention::Classic] {
            for key in TEMPLATE_KEYS {
                let t = default_template(key, convention).expect("known");
                validate_template(&t, true).unwrap_or_else(|e| panic!("{key}: {e}: {t}"));
                let q = expand(
                    &t,
                    &Expansion {
                        service_label: "service",
                        pod_label: "label_app",
                        window: "5m",
                        selector: "service!=\"\"",
                    },
                );
                assert!(!q.contains("{{"), "{q}");
                assert!(q.contains("by (service"), "{q}");
            }
        }
        let q = expand(
            &default_template("request_rate", Convention::Classic).unwrap_or_default(),
            &Expansion {
                service_label: "job",
                pod_label: "x",
                window: "1m",
                selector: "job!=\"\"",
            },
        );
        assert_eq!(
            q,
            r#"sum by (job) (rate(http_requests_total{ job!="" }[1m]))"#
        );
    }

    #[test]
    fn validation_names_the_problem() {
        let v = |t: &str| validate_template(t, true);
        assert_eq!(
            v("sum by ({{service_label}}) (rate(x[{{windw}}]))"),
            Err(TemplateError::UnknownPlaceholder("windw".into()))
        );
        assert_eq!(
            v("sum by ({{service_label}}) (rate(x[5m])"),
            Err(TemplateError::Unclosed('(', 28))
        );
        assert!(matches!(
            v("sum by ({{service_label}}) rate(x[5m]))"),
            Err(TemplateError::Unbalanced(')', _))
        ));
        assert!(matches!(
            v(r#"sum by ({{service_label}}) (x{a="b})"#),
            Err(TemplateError::UnclosedQuote(_))
        ));
        assert_eq!(v("sum(rate(x[5m]))"), Err(TemplateError::NotGrouped));
        assert_eq!(
            v("sum by (job) (rate(x[5m]))"),
            Err(TemplateError::NotGrouped)
        );
        assert_eq!(
            v("sum by ({{service_label}} (x)"),
            Err(TemplateError::Unclosed('(', 8))
        );
        assert_eq!(v("  "), Err(TemplateError::Empty));
        assert_eq!(
            v("x{{service_label"),
            Err(TemplateError::UnclosedPlaceholder)
        );
        assert_eq!(v("sum by (le, {{service_label}}) (x)"), Ok(()));
        assert_eq!(
            v("sum by(service_label) (x)"),
            Err(TemplateError::NotGrouped)
        );
        assert_eq!(
            validate_template("sum(rate(x{ {{selector}} }[5m]))", false),
            Ok(()),
            "per-service overrides need no grouping"
        );
        assert!(
            TemplateError::NotGrouped
                .to_string()
                .contains("by ({{service_label}})")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").map(|d| d.as_secs()), Some(2_592_000));
        assert_eq!(parse_duration("1h30m").map(|d| d.as_secs()), Some(5400));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn services_come_from_answers_when_no_catalog_and_are_capped() {
        let items: Vec<(String, Sample)> = (0..MAX_SERVICES + 5)
            .map(|i| (format!("s{i:05}"), Sample::Value(1.0)))
            .collect();
        let refs: Vec<(&str, Sample)> = items.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        let s = build_snapshot(
            Timestamp::UNIX_EPOCH,
            &options(),
            &[],
            vec![vector(QueryKind::Metric(MetricKind::RequestRate), &refs)],
        );
        assert_eq!(s.services.len(), MAX_SERVICES);
        assert_eq!(s.dropped_services, 5);
    }

    #[test]
    fn an_override_replaces_one_service_and_a_matrix_gives_the_sparkline() {
        let series: Vec<(f64, Sample)> = (0..300)
            .map(|i| (f64::from(i), Sample::Value(f64::from(i))))
            .collect();
        let matrix = QueryResult {
            kind: QueryKind::Metric(MetricKind::RequestRate),
            service: None,
            answer: Ok(PromAnswer {
                data: PromData::Matrix(vec![(
                    [("job".to_owned(), "shop/a".to_owned())].into(),
                    series,
                )]),
                warnings: Vec::new(),
            }),
        };
        let override_ = QueryResult {
            kind: QueryKind::Metric(MetricKind::LatencyP99),
            service: Some("a".into()),
            answer: Ok(PromAnswer {
                data: PromData::Vector(vec![(Labels::new(), 0.0, Sample::Value(0.2))]),
                warnings: Vec::new(),
            }),
        };
        let opts = BuildOptions {
            service_label: "job",
            ..options()
        };
        let s = build_snapshot(Timestamp::UNIX_EPOCH, &opts, &[], vec![override_, matrix]);
        let a = s.service("a").expect("job namespace/name gives the name");
        assert_eq!(a.series(MetricKind::RequestRate).len(), MAX_SERIES_POINTS);
        assert_eq!(a.latest(MetricKind::RequestRate), &Reading::Value(299.0));
        assert_eq!(a.latest(MetricKind::LatencyP99), &Reading::Value(0.2));
        let levels = sparkline_series(a.series(MetricKind::RequestRate), 10, 8);
        assert_eq!(levels.len(), 10);
        assert_eq!(levels[9], Some(8));
    }

    #[test]
    fn lines_say_what_they_show() {
        let r = Reading::Value;
        let f = SloFigures::compute(99.9, "30d", &[r(0.02), r(0.0), r(0.02), r(0.0), r(0.0005)]);
        let line = slo_line(&f);
        assert!(line.contains("burning fast"), "{line}");
        assert!(line.contains("budget 50% left"), "{line}");
        assert!(
            burn_line(&f).starts_with("burn 5m 20.0×"),
            "{}",
            burn_line(&f)
        );
        let none = SloFigures::compute(99.9, "30d", &std::array::from_fn(|_| Reading::NoData));
        assert!(slo_line(&none).contains("no data"), "{}", slo_line(&none));
    }
}
