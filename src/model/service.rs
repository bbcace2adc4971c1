//! Services as the catalog pane and the scope mechanism see them.
//!
//! Both real catalog sources (Backstage and `catalog-info.yaml` directories) and the sandbox
//! produce these values, so panes cannot tell them apart. The mapping from a service to its
//! runtime pieces (Argo CD app, workload, topics, databases, logs, traces) comes from
//! annotations, read in one place: [`ServiceMapping::from_annotations`].

use std::collections::BTreeMap;

/// Annotation keys that map a service to its runtime pieces.
pub mod annotations {
    /// Argo CD Application name (RoadieHQ Argo CD plugin convention).
    pub const ARGOCD_APP: &str = "argocd/app-name";
    /// Kubernetes id, also used as the `backstage.io/kubernetes-id` label on objects.
    pub const KUBE_ID: &str = "backstage.io/kubernetes-id";
    /// Namespace of the service's workloads.
    pub const KUBE_NAMESPACE: &str = "backstage.io/kubernetes-namespace";
    /// Label selector for the service's pods; takes precedence over the id.
    pub const KUBE_LABEL_SELECTOR: &str = "backstage.io/kubernetes-label-selector";
    /// `deployment/<name>` or `rollout/<name>`.
    pub const WORKLOAD: &str = "opsdeck.io/workload";
    /// Comma-separated Kafka topics the service owns.
    pub const KAFKA_TOPICS: &str = "opsdeck.io/kafka-topics";
    /// Comma-separated consumer groups the service runs.
    pub const KAFKA_GROUPS: &str = "opsdeck.io/kafka-consumer-groups";
    /// Comma-separated database names (as named in the opsdeck context).
    pub const DATABASES: &str = "opsdeck.io/databases";
    /// LogQL stream selector, e.g. `{app="checkout-api"}`.
    pub const LOG_SELECTOR: &str = "opsdeck.io/log-selector";
    /// `service.name` resource attribute in traces.
    pub const TRACE_SERVICE: &str = "opsdeck.io/trace-service";
    /// Person on call now.
    pub const ONCALL: &str = "opsdeck.io/oncall";
    /// SLO objective, e.g. `99.9`.
    pub const SLO_TARGET: &str = "opsdeck.io/slo-target";
    /// GitHub `owner/repo`.
    pub const GITHUB_SLUG: &str = "github.com/project-slug";
    /// Prefix of the per-service `PromQL` overrides: `opsdeck.io/promql-error-ratio` and so on,
    /// one per metric key with `-` for `_` (see [`crate::model::metrics::TEMPLATE_KEYS`]).
    pub const PROMQL_PREFIX: &str = "opsdeck.io/promql-";
    /// Label matchers that pick this service's alerts, e.g. `app=checkout,team=payments`.
    pub const ALERT_LABELS: &str = "opsdeck.io/alert-labels";
}

/// Service tier, from the `tier` label (tier-1 is the most critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Tier {
    Tier1,
    Tier2,
    Tier3,
    #[default]
    Unknown,
}

impl Tier {
    /// Parses `tier-1`, `1`, `t1`, `critical`...; anything else is `Unknown`.
    #[must_use]
    pub fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "t1" | "tier-1" | "tier1" | "critical" => Self::Tier1,
            "2" | "t2" | "tier-2" | "tier2" | "high" => Self::Tier2,
            "3" | "t3" | "tier-3" | "tier3" | "low" | "medium" => Self::Tier3,
            _ => Self::Unknown,
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Tier1 => "tier-1",
            Self::Tier2 => "tier-2",
            Self::Tier3 => "tier-3",
            Self::Unknown => "-",
        }
    }
}

/// A link shown on the service card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub title: String,
    pub url: String,
}

/// Service-level objective and where it stands. Values are percentages (99.9 means 99.9 %).
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    pub name: String,
    pub target: f64,
    /// Measured value over the window, when the source knows it.
    pub current: Option<f64>,
    /// Error budget left, 1.0 = untouched, 0.0 = spent, negative = overspent.
    pub budget_left: Option<f64>,
    pub window: String,
}

/// Coarse SLO state for the catalog table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SloStatus {
    Breached,
    AtRisk,
    Healthy,
    Unknown,
}

impl SloStatus {
    #[must_use]
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Breached => "✗",
            Self::AtRisk => "▲",
            Self::Healthy => "✓",
            Self::Unknown => "?",
        }
    }

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Breached => "breached",
            Self::AtRisk => "at risk",
            Self::Healthy => "healthy",
            Self::Unknown => "unknown",
        }
    }
}

impl Slo {
    /// Breached when the budget is spent, at risk below a quarter left.
    #[must_use]
    pub fn status(&self) -> SloStatus {
        match self.budget_left {
            None => SloStatus::Unknown,
            Some(b) if b <= 0.0 => SloStatus::Breached,
            Some(b) if b < 0.25 => SloStatus::AtRisk,
            Some(_) => SloStatus::Healthy,
        }
    }
}

/// Kubernetes workload kind that runs the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    Deployment,
    Rollout,
}

/// A service's workload reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub namespace: Option<String>,
    pub name: String,
}

/// Where the service lives at runtime; every pane scopes itself with this.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceMapping {
    pub argocd_app: Option<String>,
    pub workload: Option<Workload>,
    pub kube_namespace: Option<String>,
    pub pod_selector: Option<String>,
    pub topics: Vec<String>,
    pub consumer_groups: Vec<String>,
    pub databases: Vec<String>,
    pub log_selector: Option<String>,
    pub trace_service: Option<String>,
    /// Per-service `PromQL` overrides by template key (`error_ratio`, …), validated.
    pub metric_queries: BTreeMap<String, String>,
    /// Matchers that pick this service's alerts (`opsdeck.io/alert-labels`); all must match.
    pub alert_matchers: Vec<crate::model::alerts::Matcher>,
    /// Annotations that could not be read, each message naming its annotation key.
    pub annotation_errors: Vec<String>,
}

fn split_list(raw: Option<&String>) -> Vec<String> {
    raw.map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

impl ServiceMapping {
    /// Reads the mapping from (already sanitized) annotations.
    #[must_use]
    pub fn from_annotations(ann: &BTreeMap<String, String>) -> Self {
        use self::annotations as a;
        let get = |k: &str| ann.get(k).filter(|v| !v.trim().is_empty()).cloned();
        let kube_namespace = get(a::KUBE_NAMESPACE);
        let workload = get(a::WORKLOAD).and_then(|raw| {
            let (kind, name) = raw.split_once('/')?;
            let kind = match kind.trim().to_ascii_lowercase().as_str() {
                "deployment" | "deploy" => WorkloadKind::Deployment,
                "rollout" | "rollouts" | "ro" => WorkloadKind::Rollout,
                _ => return None,
            };
            Some(Workload {
                kind,
                namespace: kube_namespace.clone(),
                name: name.trim().to_owned(),
            })
        });
        let pod_selector = get(a::KUBE_LABEL_SELECTOR)
            .or_else(|| get(a::KUBE_ID).map(|id| format!("backstage.io/kubernetes-id={id}")));
        let mut annotation_errors = Vec::new();
        let mut metric_queries = BTreeMap::new();
        for (key, value) in ann.range(a::PROMQL_PREFIX.to_owned()..) {
            let Some(metric) = key.strip_prefix(a::PROMQL_PREFIX) else {
                break;
            };
            let metric = metric.replace('-', "_");
            if !crate::model::metrics::TEMPLATE_KEYS.contains(&metric.as_str()) {
                annotation_errors.push(format!(
                    "{key}: unknown metric; use one of {}",
                    crate::model::metrics::TEMPLATE_KEYS
                        .map(|k| k.replace('_', "-"))
                        .join(", ")
                ));
                continue;
            }
            match crate::model::metrics::validate_template(value, false) {
                Ok(()) => {
                    metric_queries.insert(metric, value.clone());
                }
                Err(e) => annotation_errors.push(format!("{key}: {e}")),
            }
        }
        let alert_matchers = match get(a::ALERT_LABELS).map(|raw| parse_matchers(&raw)) {
            None => Vec::new(),
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                annotation_errors.push(format!("{}: {e}", a::ALERT_LABELS));
                Vec::new()
            }
        };
        Self {
            metric_queries,
            alert_matchers,
            annotation_errors,
            argocd_app: get(a::ARGOCD_APP),
            workload,
            kube_namespace,
            pod_selector,
            topics: split_list(ann.get(a::KAFKA_TOPICS)),
            consumer_groups: split_list(ann.get(a::KAFKA_GROUPS)),
            databases: split_list(ann.get(a::DATABASES)),
            log_selector: get(a::LOG_SELECTOR),
            trace_service: get(a::TRACE_SERVICE),
        }
    }
}

/// Label matchers written `name=value`, `name!=value`, `name=~regex`, `name!~regex`,
/// separated by commas; values may be double-quoted. Alertmanager's syntax, read by the
/// one parser silences use ([`crate::model::silence::parse_matcher_list`]).
///
/// # Errors
/// Which matcher is wrong and why.
pub fn parse_matchers(raw: &str) -> Result<Vec<crate::model::alerts::Matcher>, String> {
    crate::model::silence::parse_matcher_list(raw)
}

/// One service in the catalog. Every string field is sanitized by the source that built it.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    pub title: Option<String>,
    pub description: String,
    /// Owner group, without the `group:` prefix.
    pub owner: String,
    pub system: Option<String>,
    pub kind: String,
    pub tier: Tier,
    pub lifecycle: String,
    pub oncall: Option<String>,
    pub slo: Option<Slo>,
    pub runbook: Option<String>,
    pub links: Vec<Link>,
    pub repos: Vec<String>,
    /// Services this one calls.
    pub depends_on: Vec<String>,
    /// Services that call this one (filled by [`Catalog::link_dependents`] when the source
    /// only knows one direction).
    pub dependency_of: Vec<String>,
    pub tags: Vec<String>,
    pub annotations: BTreeMap<String, String>,
    pub mapping: ServiceMapping,
    /// Where the entity came from: a Backstage ref or a file path.
    pub origin: String,
}

impl Service {
    /// A service with only a name, an owner and annotations (its mapping read from them);
    /// everything else empty. What a catalog source fills in, and what tests start from.
    #[must_use]
    pub fn from_annotations(
        name: impl Into<String>,
        owner: impl Into<String>,
        annotations: BTreeMap<String, String>,
    ) -> Self {
        Self {
            name: name.into(),
            title: None,
            description: String::new(),
            owner: owner.into(),
            system: None,
            kind: "service".into(),
            tier: Tier::Unknown,
            lifecycle: "production".into(),
            oncall: None,
            slo: None,
            runbook: None,
            links: Vec::new(),
            repos: Vec::new(),
            depends_on: Vec::new(),
            dependency_of: Vec::new(),
            tags: Vec::new(),
            mapping: ServiceMapping::from_annotations(&annotations),
            annotations,
            origin: String::new(),
        }
    }
    #[must_use]
    pub fn slo_status(&self) -> SloStatus {
        self.slo.as_ref().map_or(SloStatus::Unknown, Slo::status)
    }
}

/// A catalog row: a service, or an entity that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogEntry {
    Service(Box<Service>),
    Invalid {
        /// File path or Backstage ref.
        origin: String,
        /// The entity name when it could be read.
        entity: Option<String>,
        message: String,
    },
}

impl CatalogEntry {
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Service(s) => &s.name,
            Self::Invalid { entity, origin, .. } => entity.as_deref().unwrap_or(origin),
        }
    }

    #[must_use]
    pub fn as_service(&self) -> Option<&Service> {
        match self {
            Self::Service(s) => Some(s),
            Self::Invalid { .. } => None,
        }
    }
}

/// The whole catalog as one snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog {
    pub entries: Vec<CatalogEntry>,
}

impl Catalog {
    /// Builds a catalog and fills each service's `dependency_of` from the others'
    /// `depends_on`, so the card shows both directions whatever the source knew.
    #[must_use]
    pub fn new(mut entries: Vec<CatalogEntry>) -> Self {
        let mut reverse: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for entry in &entries {
            if let CatalogEntry::Service(s) = entry {
                for dep in &s.depends_on {
                    reverse.entry(dep.clone()).or_default().push(s.name.clone());
                }
            }
        }
        for entry in &mut entries {
            if let CatalogEntry::Service(s) = entry {
                if let Some(callers) = reverse.get(&s.name) {
                    for caller in callers {
                        if !s.dependency_of.contains(caller) {
                            s.dependency_of.push(caller.clone());
                        }
                    }
                }
                s.dependency_of.sort();
            }
        }
        Self { entries }
    }

    #[must_use]
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.entries
            .iter()
            .filter_map(CatalogEntry::as_service)
            .find(|s| s.name == name)
    }

    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.entries.iter().filter_map(CatalogEntry::as_service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_reads_annotations() {
        let mut a = BTreeMap::new();
        a.insert(annotations::WORKLOAD.into(), "rollout/checkout-api".into());
        a.insert(annotations::KUBE_NAMESPACE.into(), "shop".into());
        a.insert(
            annotations::KAFKA_TOPICS.into(),
            "orders.v1, payments.v1,".into(),
        );
        a.insert(annotations::KUBE_ID.into(), "checkout-api".into());
        let m = ServiceMapping::from_annotations(&a);
        let w = m.workload.expect("workload");
        assert_eq!(w.kind, WorkloadKind::Rollout);
        assert_eq!(w.namespace.as_deref(), Some("shop"));
        assert_eq!(m.topics, vec!["orders.v1", "payments.v1"]);
        assert_eq!(
            m.pod_selector.as_deref(),
            Some("backstage.io/kubernetes-id=checkout-api")
        );
    }

    #[test]
    fn slo_status_thresholds() {
        let mut slo = Slo {
            name: "availability".into(),
            target: 99.9,
            current: Some(99.95),
            budget_left: Some(0.5),
            window: "30d".into(),
        };
        assert_eq!(slo.status(), SloStatus::Healthy);
        slo.budget_left = Some(0.1);
        assert_eq!(slo.status(), SloStatus::AtRisk);
        slo.budget_left = Some(-0.2);
        assert_eq!(slo.status(), SloStatus::Breached);
    }
}
