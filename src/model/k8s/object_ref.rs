//! Names one Kubernetes object for the views that fetch it whole (describe, YAML): group,
//! version (optional: the cluster's preferred one is looked up when missing), kind,
//! namespace and name, plus the uid when known (so its events are the object's, not a
//! namesake's).

use std::fmt;

/// One object to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ObjectRef {
    /// API group, `""` for the core group.
    pub group: String,
    /// API version; `None` asks for the group's preferred version.
    pub version: Option<String>,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
}

impl ObjectRef {
    #[must_use]
    pub fn pod(namespace: &str, name: &str, uid: Option<&str>) -> Self {
        Self {
            group: String::new(),
            version: Some("v1".into()),
            kind: "Pod".into(),
            namespace: namespace.into(),
            name: name.into(),
            uid: uid.map(str::to_owned).filter(|u| !u.is_empty()),
        }
    }

    #[must_use]
    pub fn new(group: &str, kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            group: group.into(),
            version: None,
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
            uid: None,
        }
    }

    /// The well-known plural of built-in and Argo kinds (a real cluster is asked through
    /// discovery instead; this serves the sandbox and the peers' paths).
    #[must_use]
    pub fn known_plural(&self) -> Option<&'static str> {
        Some(match self.kind.as_str() {
            "Pod" => "pods",
            "Deployment" => "deployments",
            "ReplicaSet" => "replicasets",
            "StatefulSet" => "statefulsets",
            "DaemonSet" => "daemonsets",
            "Job" => "jobs",
            "CronJob" => "cronjobs",
            "Service" => "services",
            "ConfigMap" => "configmaps",
            "Secret" => "secrets",
            "Ingress" => "ingresses",
            "Rollout" => "rollouts",
            "AnalysisRun" => "analysisruns",
            "Application" => "applications",
            _ => return None,
        })
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.to_lowercase();
        if self.namespace.is_empty() {
            write!(f, "{kind}/{}", self.name)
        } else {
            write!(f, "{kind}/{} -n {}", self.name, self.namespace)
        }
    }
}

/// A fetched object and its events (core/v1 Events as JSON), for the describe view.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDoc {
    pub object: serde_json::Value,
    pub events: Vec<serde_json::Value>,
}
