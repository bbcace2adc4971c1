//! The resource types the server serves (routing, list kinds, discovery) and the key an
//! object is stored under.

/// One kind of resource the server serves (routing, list kinds, discovery).
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    /// Whether `/status` is a separate subresource (the object write then ignores `status`).
    pub status_subresource: bool,
    /// Built into the API server (lists omit item `apiVersion`/`kind`) rather than a CRD.
    pub builtin: bool,
    pub short_names: Vec<String>,
}

impl ResourceType {
    pub(super) fn new(group: &str, version: &str, plural: &str, kind: &str) -> Self {
        Self {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
            singular: kind.to_ascii_lowercase(),
            kind: kind.into(),
            namespaced: true,
            status_subresource: true,
            builtin: !group.contains('.') || group.ends_with(".k8s.io"),
            short_names: Vec::new(),
        }
    }

    fn cluster(mut self) -> Self {
        self.namespaced = false;
        self
    }

    fn no_status(mut self) -> Self {
        self.status_subresource = false;
        self
    }

    fn short(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// `v1` or `argoproj.io/v1alpha1`.
    #[must_use]
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `rollouts.argoproj.io`, as the real server names a resource in messages.
    #[must_use]
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The types served out of the box: what the Kubernetes, Argo CD and rollouts panes use.
#[must_use]
pub fn builtin_types() -> Vec<ResourceType> {
    vec![
        ResourceType::new("", "v1", "namespaces", "Namespace").cluster(),
        ResourceType::new("", "v1", "nodes", "Node").cluster(),
        ResourceType::new("", "v1", "pods", "Pod").short(&["po"]),
        ResourceType::new("", "v1", "services", "Service").short(&["svc"]),
        ResourceType::new("", "v1", "configmaps", "ConfigMap")
            .no_status()
            .short(&["cm"]),
        ResourceType::new("", "v1", "secrets", "Secret").no_status(),
        ResourceType::new("", "v1", "events", "Event")
            .no_status()
            .short(&["ev"]),
        ResourceType::new("apps", "v1", "deployments", "Deployment").short(&["deploy"]),
        ResourceType::new("apps", "v1", "replicasets", "ReplicaSet").short(&["rs"]),
        ResourceType::new("apps", "v1", "statefulsets", "StatefulSet").short(&["sts"]),
        ResourceType::new("apps", "v1", "daemonsets", "DaemonSet").short(&["ds"]),
        ResourceType::new("batch", "v1", "jobs", "Job"),
        ResourceType::new("events.k8s.io", "v1", "events", "Event").no_status(),
        // Argo CD's Application CRD declares no status subresource: status is written on the
        // object itself, and `/status` is a 404.
        ResourceType::new("argoproj.io", "v1alpha1", "applications", "Application")
            .no_status()
            .short(&["app", "apps"]),
        ResourceType::new("argoproj.io", "v1alpha1", "appprojects", "AppProject")
            .no_status()
            .short(&["appproj", "appprojs"]),
        ResourceType::new("argoproj.io", "v1alpha1", "rollouts", "Rollout").short(&["ro"]),
        ResourceType::new("argoproj.io", "v1alpha1", "analysisruns", "AnalysisRun").short(&["ar"]),
        ResourceType::new(
            "argoproj.io",
            "v1alpha1",
            "analysistemplates",
            "AnalysisTemplate",
        )
        .no_status()
        .short(&["at"]),
        ResourceType::new("argoproj.io", "v1alpha1", "experiments", "Experiment").short(&["exp"]),
    ]
}

/// Where an object lives in the store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub api_version: String,
    pub plural: String,
    /// `""` for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}
