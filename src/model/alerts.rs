//! Alerts and silences as Alertmanager's API v2 gives them, read tolerantly so one client
//! serves Alertmanager 0.25 (Debian bookworm) through 0.34: fields added later (`mutedBy`,
//! silence `annotations`, receiver `labels`) are optional, unknown ones ignored.
//!
//! Wire shapes from prometheus/alertmanager `api/v2/openapi.yaml` at v0.25.0 (258fab7cdd55):
//! `gettableAlert`, `alertStatus`, `gettableSilence`, `silenceStatus`, `matcher`. Every
//! string is cleaned when the wire value becomes a model value, never later.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::model::{clean, clean_multiline};

/// An alert's delivery state (`alertStatus.state`): `suppressed` means silenced or
/// inhibited, which `silenced_by` and `inhibited_by` tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Active,
    Suppressed,
    Unprocessed,
    /// Not from Alertmanager: Prometheus's own `/api/v1/alerts` reports a rule whose
    /// condition holds but whose `for` has not elapsed yet.
    Pending,
}

/// One alert: its labels are its identity, `fingerprint` the hash Alertmanager keeps of
/// them (the key a row follows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub fingerprint: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339, as sent.
    pub starts_at: String,
    pub ends_at: String,
    pub generator_url: Option<String>,
    pub receivers: Vec<String>,
    pub state: AlertState,
    /// Ids of the silences that mute it.
    pub silenced_by: Vec<String>,
    /// Fingerprints of the alerts that inhibit it.
    pub inhibited_by: Vec<String>,
}

/// The labels tried, in order, for an alert's service when the context names none.
pub const DEFAULT_SERVICE_LABELS: [&str; 3] = ["service", "app", "job"];

/// How urgent an alert says it is, from its `severity` label; most urgent first.
/// Alertmanager defines no vocabulary, so the common ones are read: the kube-prometheus
/// mixins' `critical`/`warning`/`info`, the `PagerDuty` Events API's `critical`/`error`/`warning`/`info`,
/// and `P1`…`P5` priorities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Critical,
    Error,
    Warning,
    Info,
    /// No `severity` label, or a word not listed above.
    Unknown,
}

impl Severity {
    #[must_use]
    pub fn parse(label: &str) -> Self {
        // Case-insensitive without allocating: the triage sort calls this per comparison.
        const WORDS: [(Severity, &[&str]); 4] = [
            (
                Severity::Critical,
                &["critical", "crit", "page", "emergency", "fatal", "p1"],
            ),
            (Severity::Error, &["error", "err", "high", "major", "p2"]),
            (Severity::Warning, &["warning", "warn", "medium", "p3"]),
            (
                Severity::Info,
                &[
                    "info",
                    "informational",
                    "low",
                    "minor",
                    "notice",
                    "p4",
                    "p5",
                ],
            ),
        ];
        let label = label.trim();
        WORDS
            .iter()
            .find(|(_, words)| words.iter().any(|w| w.eq_ignore_ascii_case(label)))
            .map_or(Self::Unknown, |(severity, _)| *severity)
    }

    /// The word shown beside the glyph.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
            Self::Unknown => "-",
        }
    }
}

impl Alert {
    /// `alertname`, or `-` for an alert without one.
    #[must_use]
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("-", String::as_str)
    }

    #[must_use]
    pub fn severity(&self) -> Severity {
        self.labels
            .get("severity")
            .map_or(Severity::Unknown, |s| Severity::parse(s))
    }

    /// The service the alert is about: the value of the first of `labels` it carries. A
    /// `job` of the OpenTelemetry form `<service.namespace>/<service.name>` gives the
    /// service name (opentelemetry-specification
    /// `specification/compatibility/prometheus_and_openmetrics.md` at 1377f53b2).
    #[must_use]
    pub fn service<S: AsRef<str>>(&self, labels: &[S]) -> Option<&str> {
        labels.iter().find_map(|label| {
            let label = label.as_ref();
            let value = self.labels.get(label).filter(|v| !v.is_empty())?;
            Some(if label == "job" {
                value.rsplit('/').next().unwrap_or(value)
            } else {
                value.as_str()
            })
        })
    }
}

/// The alerts pane's order: most severe first, then the newest (what just started is what
/// the person paged needs first), then by name and fingerprint so equal alerts never swap.
/// RFC 3339 timestamps from one server compare as text.
pub fn sort_for_triage(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        a.severity()
            .cmp(&b.severity())
            .then_with(|| b.starts_at.cmp(&a.starts_at))
            .then_with(|| a.name().cmp(b.name()))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
}

/// A label matcher; `is_equal = false` negates (`!=`, `!~`); regexes are anchored by
/// Alertmanager (`^(?:…)$`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    /// Absent in 0.25 answers written by older clients: the spec's default is `true`.
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    /// The operator as Alertmanager's matcher syntax writes it.
    #[must_use]
    pub fn operator(&self) -> &'static str {
        match (self.is_equal, self.is_regex) {
            (true, false) => "=",
            (false, false) => "!=",
            (true, true) => "=~",
            (false, true) => "!~",
        }
    }
}

impl fmt::Display for Matcher {
    /// `name="value"` with the value quoted and escaped as the 0.25 parser reads it
    /// (`\"`, `\\`, `\n`; `pkg/labels/parse.go`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let escaped = self
            .value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        write!(f, "{}{}\"{escaped}\"", self.name, self.operator())
    }
}

/// A silence's state (`silenceStatus.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SilenceState {
    Active,
    Pending,
    Expired,
}

/// One silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: String,
    pub ends_at: String,
    pub created_by: String,
    pub comment: String,
    pub state: SilenceState,
}

/// `gettableAlert` as sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAlert {
    fingerprint: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: String,
    ends_at: String,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    #[serde(default)]
    receivers: Vec<WireReceiver>,
    status: WireAlertStatus,
}

#[derive(Debug, Deserialize)]
struct WireReceiver {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAlertStatus {
    state: AlertState,
    #[serde(default)]
    silenced_by: Vec<String>,
    #[serde(default)]
    inhibited_by: Vec<String>,
}

/// `gettableSilence` as sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSilence {
    id: String,
    matchers: Vec<Matcher>,
    starts_at: String,
    ends_at: String,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
    status: WireSilenceStatus,
}

#[derive(Debug, Deserialize)]
struct WireSilenceStatus {
    state: SilenceState,
}

fn clean_map(map: BTreeMap<String, String>) -> BTreeMap<String, String> {
    map.into_iter()
        .map(|(k, v)| (clean(&k), clean(&v)))
        .collect()
}

fn clean_all(items: &[String]) -> Vec<String> {
    items.iter().map(|s| clean(s)).collect()
}

/// The body of `GET /api/v2/alerts`, cleaned.
pub fn parse_alerts(body: &[u8]) -> Result<Vec<Alert>, serde_json::Error> {
    let wire: Vec<WireAlert> = serde_json::from_slice(body)?;
    Ok(wire
        .into_iter()
        .map(|a| Alert {
            fingerprint: clean(&a.fingerprint),
            labels: clean_map(a.labels),
            // Descriptions run over several lines: their line breaks are kept.
            annotations: a
                .annotations
                .into_iter()
                .map(|(k, v)| (clean(&k), clean_multiline(&v)))
                .collect(),
            starts_at: clean(&a.starts_at),
            ends_at: clean(&a.ends_at),
            generator_url: a.generator_url.map(|u| clean(&u)),
            receivers: a.receivers.into_iter().map(|r| clean(&r.name)).collect(),
            state: a.status.state,
            silenced_by: clean_all(&a.status.silenced_by),
            inhibited_by: clean_all(&a.status.inhibited_by),
        })
        .collect())
}

/// The body of `GET /api/v2/silences`, cleaned.
pub fn parse_silences(body: &[u8]) -> Result<Vec<Silence>, serde_json::Error> {
    let wire: Vec<WireSilence> = serde_json::from_slice(body)?;
    Ok(wire
        .into_iter()
        .map(|s| Silence {
            id: clean(&s.id),
            matchers: s
                .matchers
                .into_iter()
                .map(|m| Matcher {
                    name: clean(&m.name),
                    value: clean(&m.value),
                    ..m
                })
                .collect(),
            starts_at: clean(&s.starts_at),
            ends_at: clean(&s.ends_at),
            created_by: clean(&s.created_by),
            comment: clean(&s.comment),
            state: s.status.state,
        })
        .collect())
}

/// What an alerts source reports: every alert and silence it holds, at one time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertsSnapshot {
    pub taken_at: Option<jiff::Timestamp>,
    pub alerts: Vec<Alert>,
    pub silences: Vec<Silence>,
    /// A part that could not be read while the rest was (Prometheus's pending alerts when
    /// Alertmanager answered), in words: shown beside the list, never hidden.
    pub notes: Vec<String>,
}

impl AlertState {
    /// Glyph and word of the state as the alerts pane shows it (never colour alone).
    /// `suppressed` is told apart by what mutes it.
    #[must_use]
    pub fn label(alert: &Alert) -> (&'static str, &'static str) {
        match alert.state {
            Self::Active | Self::Unprocessed => ("▲", "firing"),
            Self::Pending => ("…", "pending"),
            Self::Suppressed if !alert.silenced_by.is_empty() => ("◌", "silenced"),
            Self::Suppressed => ("⊘", "inhibited"),
        }
    }
}

impl Alert {
    /// Firing and not muted: what pages someone.
    #[must_use]
    pub fn is_firing(&self) -> bool {
        matches!(self.state, AlertState::Active | AlertState::Unprocessed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_0_25_alert_and_a_newer_one_both_parse_and_are_cleaned() {
        let body = br#"[
          {"annotations":{"summary":"5xx over 5%\u001b[31m"},"endsAt":"2026-12-06T02:00:00Z",
           "fingerprint":"a1b2","receivers":[{"name":"null"}],"startsAt":"2026-12-06T01:00:00Z",
           "status":{"inhibitedBy":[],"silencedBy":["s1"],"state":"suppressed"},
           "updatedAt":"2026-12-06T01:00:01Z","generatorURL":"http://prom/graph",
           "labels":{"alertname":"HighErrorRate","service":"checkout-api"}},
          {"annotations":{},"endsAt":"x","fingerprint":"c3","receivers":[{"name":"n","labels":{}}],
           "startsAt":"y","status":{"inhibitedBy":[],"silencedBy":[],"mutedBy":[],"state":"active"},
           "updatedAt":"z","labels":{}}
        ]"#;
        let alerts = parse_alerts(body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].name(), "HighErrorRate");
        assert_eq!(alerts[0].state, AlertState::Suppressed);
        assert_eq!(alerts[0].silenced_by, ["s1"]);
        assert!(!alerts[0].annotations["summary"].contains('\u{1b}'));
        assert_eq!(alerts[1].name(), "-");
        assert_eq!(alerts[1].receivers, ["n"]);
    }

    fn alert(name: &str, labels: &[(&str, &str)], starts_at: &str) -> Alert {
        let mut map: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        map.insert("alertname".into(), name.into());
        Alert {
            fingerprint: name.into(),
            labels: map,
            annotations: BTreeMap::new(),
            starts_at: starts_at.into(),
            ends_at: String::new(),
            generator_url: None,
            receivers: Vec::new(),
            state: AlertState::Active,
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
        }
    }

    #[test]
    fn the_service_comes_from_the_first_label_present() {
        let a = alert("A", &[("app", "cart"), ("job", "shop/checkout-api")], "t");
        assert_eq!(a.service(&DEFAULT_SERVICE_LABELS), Some("cart"));
        assert_eq!(
            a.service(&["job"]),
            Some("checkout-api"),
            "OTel job: namespace/name"
        );
        let b = alert("B", &[("service", ""), ("job", "ledger")], "t");
        assert_eq!(
            b.service(&DEFAULT_SERVICE_LABELS),
            Some("ledger"),
            "empty is absent"
        );
        assert_eq!(alert("C", &[], "t").service(&DEFAULT_SERVICE_LABELS), None);
    }

    #[test]
    fn triage_order_is_severity_then_newest() {
        let mut alerts = vec![
            alert(
                "old-warn",
                &[("severity", "warning")],
                "2026-12-06T01:00:00Z",
            ),
            alert("none", &[], "2026-12-06T03:00:00Z"),
            alert(
                "old-crit",
                &[("severity", "critical")],
                "2026-12-06T01:00:00Z",
            ),
            alert("new-crit", &[("severity", "P1")], "2026-12-06T02:00:00Z"),
            alert("err", &[("severity", "High")], "2026-12-06T00:00:00Z"),
        ];
        sort_for_triage(&mut alerts);
        let names: Vec<&str> = alerts.iter().map(Alert::name).collect();
        assert_eq!(names, ["new-crit", "old-crit", "err", "old-warn", "none"]);
    }

    #[test]
    fn matchers_print_in_alertmanager_syntax() {
        let m = |is_equal, is_regex, value: &str| Matcher {
            name: "service".into(),
            value: value.into(),
            is_regex,
            is_equal,
        };
        assert_eq!(m(true, false, "api").to_string(), r#"service="api""#);
        assert_eq!(m(false, false, "api").to_string(), r#"service!="api""#);
        assert_eq!(
            m(true, true, "api|web").to_string(),
            r#"service=~"api|web""#
        );
        assert_eq!(
            m(false, true, r#"a"b\c"#).to_string(),
            r#"service!~"a\"b\\c""#
        );
        let parsed: Matcher = serde_json::from_str(r#"{"name":"a","value":"b","isRegex":false}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(parsed.is_equal, "isEqual defaults to true");
    }
}
