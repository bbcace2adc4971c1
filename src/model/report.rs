//! The documents `opsdeck status --json` and `opsdeck incident SERVICE --json` print, and
//! the exit codes of `opsdeck status`. The JSON schema of each document is versioned by its
//! `schema` field and shipped as `schemas/status.v1.json` and `schemas/incident.v1.json`
//! (the README has the tables): fields are only ever added within a version; a field renamed,
//! removed or changed in meaning means a new version.
//!
//! Field names are `snake_case`, times RFC 3339 in UTC (whole seconds), severities words.
//! Every string was sanitized where it entered the model; the builders clean again what they
//! copy here, so a document is inert on a terminal whatever its origin.

use serde::Serialize;

/// The `schema` of a status document.
pub const STATUS_SCHEMA: &str = "opsdeck.status/v1";
/// The `schema` of an incident document.
pub const INCIDENT_SCHEMA: &str = "opsdeck.incident/v1";

/// How bad one finding of `opsdeck status` is. Ordered least to most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingSeverity {
    Warning,
    /// A source did not answer (or failed): what it would say is not known.
    Unknown,
    Critical,
}

impl FindingSeverity {
    /// The word (the JSON value, too).
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Unknown => "unknown",
            Self::Critical => "critical",
        }
    }

    /// The glyph printed before the word (never the colour alone).
    #[must_use]
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Warning => "▲",
            Self::Unknown => "?",
            Self::Critical => "✖",
        }
    }
}

impl From<crate::model::attention::Level> for FindingSeverity {
    fn from(level: crate::model::attention::Level) -> Self {
        match level {
            crate::model::attention::Level::Critical => Self::Critical,
            crate::model::attention::Level::Warning => Self::Warning,
        }
    }
}

/// Exit code of `opsdeck status`: nothing found.
pub const EXIT_OK: u8 = 0;
/// Exit code: at least one warning, nothing worse.
pub const EXIT_WARNING: u8 = 1;
/// Exit code of a usage or configuration error (clap's own for a bad command line).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a source did not answer or failed, and nothing critical was found.
pub const EXIT_UNKNOWN: u8 = 3;
/// Exit code: at least one critical finding.
pub const EXIT_CRITICAL: u8 = 4;

/// The exit code for the worst finding (`None`: nothing found).
#[must_use]
pub fn exit_code(worst: Option<FindingSeverity>) -> u8 {
    match worst {
        None => EXIT_OK,
        Some(FindingSeverity::Warning) => EXIT_WARNING,
        Some(FindingSeverity::Unknown) => EXIT_UNKNOWN,
        Some(FindingSeverity::Critical) => EXIT_CRITICAL,
    }
}

/// `opsdeck status --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusDoc {
    /// Always [`STATUS_SCHEMA`].
    pub schema: &'static str,
    pub generated_at: String,
    /// `ok`, `warning`, `unknown` or `critical`: the worst finding.
    pub worst: &'static str,
    /// The process's exit code, as `worst` decides it.
    pub exit_code: u8,
    /// The contexts checked, each with its sources.
    pub contexts: Vec<ContextDoc>,
    /// Worst first: services with something wrong, and sources that did not answer.
    pub findings: Vec<FindingDoc>,
}

/// One context checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextDoc {
    pub name: String,
    pub production: bool,
    /// The sources the attention list reads in this context.
    pub sources: Vec<SourceDoc>,
}

/// How one source answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    Ok,
    /// It answered, but its data is older than it should be.
    Stale,
    Error,
    /// Nothing within the timeout.
    NoAnswer,
    /// Not configured in this context.
    Off,
}

/// One source of one context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceDoc {
    /// `catalog`, `alerts`, `kube`, `postgres`, `kafka`, `metrics`, `logs`, `traces`.
    pub source: String,
    /// The database, for `postgres` (one entry per database); else null.
    pub target: Option<String>,
    pub state: SourceState,
    /// The error or staleness in words; null when ok.
    pub message: Option<String>,
}

/// One line of the attention list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingDoc {
    pub severity: FindingSeverity,
    pub context: String,
    pub production: bool,
    /// The service; null for a source finding.
    pub service: Option<String>,
    /// The source that did not answer or failed; null for a service finding.
    pub source: Option<String>,
    pub owner: Option<String>,
    /// `tier-1`, `tier-2`, `tier-3`; null when unknown.
    pub tier: Option<String>,
    /// Who is on call and where that came from (`alice · catalog`).
    pub on_call: Option<String>,
    /// Its signals in a few words (`2 alerts firing: HighErrorRate · app Degraded`).
    pub what: String,
    /// When the earliest of its signals started, if a source says.
    pub since: Option<String>,
    /// Worst first; empty for a source finding.
    pub signals: Vec<SignalDoc>,
}

/// One thing wrong with a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalDoc {
    /// `alert`, `slo_burn`, `app`, `rollout`, `database`, `lag`, `error_logs`.
    pub kind: &'static str,
    /// `critical` or `warning`.
    pub severity: FindingSeverity,
    pub text: String,
    pub since: Option<String>,
}

/// The word of a signal kind in the document.
#[must_use]
pub fn signal_kind(kind: crate::model::attention::SignalKind) -> &'static str {
    use crate::model::attention::SignalKind as K;
    match kind {
        K::Alert => "alert",
        K::SloBurn => "slo_burn",
        K::App => "app",
        K::Rollout => "rollout",
        K::Database => "database",
        K::Lag => "lag",
        K::ErrorLogs => "error_logs",
    }
}

/// `opsdeck incident SERVICE --json`: the incident view's panels as data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentDoc {
    /// Always [`INCIDENT_SCHEMA`].
    pub schema: &'static str,
    pub generated_at: String,
    pub context: String,
    pub production: bool,
    pub service: ServiceDoc,
    /// The worst fact of every panel (a fact severity word).
    pub worst: &'static str,
    /// In the view's order: alerts, metrics, service, argocd, rollout, databases, lag, logs,
    /// changes, traces.
    pub panels: Vec<PanelDoc>,
    /// The service's changes in the last 30 minutes, oldest first.
    pub changes: Vec<ChangeDoc>,
    /// Error log lines per minute over the last 30 minutes, oldest first (empty when the
    /// logs source sent no line with a time).
    pub error_logs_per_minute: Vec<u64>,
    /// The active context's sources.
    pub sources: Vec<SourceDoc>,
}

/// The catalog's card of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceDoc {
    pub name: String,
    pub title: Option<String>,
    pub owner: String,
    pub tier: Option<String>,
    pub system: Option<String>,
    pub lifecycle: Option<String>,
    pub on_call: Option<OnCallDoc>,
    pub runbook: Option<String>,
    pub links: Vec<LinkDoc>,
    pub repos: Vec<String>,
    pub argocd_app: Option<String>,
    /// `Deployment/namespace/name` or `Rollout/namespace/name`.
    pub workload: Option<String>,
    pub databases: Vec<String>,
    pub topics: Vec<String>,
    pub consumer_groups: Vec<String>,
    pub trace_service: Option<String>,
}

/// Who is on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnCallDoc {
    pub who: String,
    /// `platform` or `catalog`.
    pub source: &'static str,
    pub until: Option<String>,
}

/// A link of the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkDoc {
    pub title: String,
    pub url: String,
}

/// One panel of the incident view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PanelDoc {
    /// `alerts`, `metrics`, `service`, `argocd`, `rollout`, `databases`, `lag`, `logs`,
    /// `changes`, `traces`.
    pub panel: &'static str,
    /// The panel's title on screen.
    pub title: &'static str,
    pub worst: &'static str,
    /// Most important first.
    pub facts: Vec<FactDoc>,
}

/// One line of a panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactDoc {
    /// `quiet` (missing data in words), `info`, `ok`, `warning`, `critical`.
    pub severity: &'static str,
    pub text: String,
}

/// One change around the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeDoc {
    pub at: String,
    /// `deploy`, `sync_failed`, `rollout`, `audited`, `warning`, `alert`.
    pub kind: &'static str,
    pub text: String,
}

/// A time as the documents write it: RFC 3339, UTC, whole seconds.
#[must_use]
pub fn time(t: jiff::Timestamp) -> String {
    jiff::Timestamp::from_second(t.as_second())
        .unwrap_or(t)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_rank_by_severity_and_keep_two_for_usage() {
        assert_eq!(exit_code(None), 0);
        assert_eq!(exit_code(Some(FindingSeverity::Warning)), 1);
        assert_eq!(exit_code(Some(FindingSeverity::Unknown)), 3);
        assert_eq!(exit_code(Some(FindingSeverity::Critical)), 4);
        assert_eq!(EXIT_USAGE, 2);
        assert!(FindingSeverity::Critical > FindingSeverity::Unknown);
        assert!(FindingSeverity::Unknown > FindingSeverity::Warning);
    }

    #[test]
    fn times_are_rfc3339_utc_whole_seconds() {
        let t: jiff::Timestamp = "2026-12-07T10:26:25.734Z".parse().expect("time");
        assert_eq!(time(t), "2026-12-07T10:26:25Z");
    }

    #[test]
    fn severities_serialize_as_words() {
        let json = serde_json::to_string(&[
            FindingSeverity::Critical,
            FindingSeverity::Unknown,
            FindingSeverity::Warning,
        ])
        .expect("json");
        assert_eq!(json, r#"["critical","unknown","warning"]"#);
        let state = serde_json::to_string(&SourceState::NoAnswer).expect("json");
        assert_eq!(state, r#""no_answer""#);
    }
}
