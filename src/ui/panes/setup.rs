//! What a pane says when its backend is not configured in the current context: the config
//! key to add, in this context's table, and the README section that explains it, so the
//! first screen of a fresh setup points somewhere instead of waiting forever.

/// A backend a pane needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Catalog,
    ArgoCd,
    Kubernetes,
    Kafka,
    Postgres,
    Logs,
    Traces,
    Platform,
    Alerts,
}

/// The sentence for a pane whose backend `needs` is missing in context `context`.
#[must_use]
pub fn what_to_add(needs: Needs, context: &str) -> String {
    let table = format!("[contexts.{context}]");
    match needs {
        Needs::Catalog => format!(
            "No service catalog in this context. Add `catalog = {{ dir = \"catalog\" }}` \
             (catalog-info.yaml files) or `catalog = {{ backstage = {{ url = \"…\" }} }}` to \
             {table}; see README › Config › Example of every backend. The other panes \
             work without it (`:apps`, `:rollouts`, `:kafka`, `:pg`, `:logs`, `:traces`)."
        ),
        Needs::ArgoCd => format!(
            "No Argo CD in this context. Set `argocd = {{ namespaces = [\"argocd\"] }}` \
             (and `kube_context`, if it is not set) in {table}; see README › Argo CD and \
             rollouts."
        ),
        Needs::Kubernetes => format!(
            "No Kubernetes context here. Set `kube_context` (and `kube_namespaces`) in \
             {table}; see README › Argo CD and rollouts."
        ),
        Needs::Kafka => format!(
            "No Kafka brokers in this context. Add [contexts.{context}.kafka] with `brokers = \
             [\"host:9092\"]`; see README › Kafka."
        ),
        Needs::Postgres => format!(
            "No Postgres databases in this context. Add a [[contexts.{context}.postgres]] \
             table with `name` and `dsn`; see README › Postgres."
        ),
        Needs::Logs => format!(
            "No log source here. Set `loki = {{ url = \"…\" }}` (or `kube_context` for pod \
             logs) in {table}, or run `opsdeck logs FILE…`; see README › Logs and traces."
        ),
        Needs::Traces => format!(
            "No trace backend here. Set `tempo = {{ url = \"…\" }}` or `jaeger = {{ url = \
             \"…\" }}` in {table}; see README › Logs and traces."
        ),
        Needs::Alerts => format!(
            "No Alertmanager in this context. Set `alertmanager = {{ url = \"…\", token = \
             {{ env = \"…\" }} }}` in {table}; see README › Alerts, metrics and on-call."
        ),
        Needs::Platform => format!(
            "No platform API in this context, so no audit trail, requests or mutating \
             actions. Set `platform = {{ url = \"…\", token = {{ env = \"…\" }} }}` in \
             {table}; see README › Platform API server."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hint_names_a_config_key_and_a_readme_section_that_exists() {
        let readme = include_str!("../../../README.md");
        for needs in [
            Needs::Catalog,
            Needs::Alerts,
            Needs::ArgoCd,
            Needs::Kubernetes,
            Needs::Kafka,
            Needs::Postgres,
            Needs::Logs,
            Needs::Traces,
            Needs::Platform,
        ] {
            let text = what_to_add(needs, "staging");
            assert!(text.contains("contexts.staging"), "{text}");
            let section = text
                .split("README › ")
                .nth(1)
                .expect("names a README section");
            let heading = section
                .split(['.', ';'])
                .next()
                .expect("a heading")
                .split(" › ")
                .last()
                .expect("last part");
            assert!(
                readme
                    .lines()
                    .any(|l| l.starts_with('#') && l.ends_with(heading)),
                "README has no heading {heading:?} ({text})"
            );
        }
    }
}
