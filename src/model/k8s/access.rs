//! One RBAC permission the panes ask about, and the cluster's answer.

/// One permission: `verb` on `group`/`resource`[/`subresource`] in `namespace`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccessKey {
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
    pub namespace: String,
}

impl AccessKey {
    #[must_use]
    pub fn new(
        verb: &'static str,
        group: &'static str,
        resource: &'static str,
        subresource: &'static str,
        namespace: &str,
    ) -> Self {
        Self {
            verb,
            group,
            resource,
            subresource,
            namespace: namespace.to_owned(),
        }
    }

    /// `patch rollouts/status in shop`, as a denial names it.
    #[must_use]
    pub fn describe(&self) -> String {
        let resource = if self.subresource.is_empty() {
            self.resource.to_owned()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        };
        format!("{} {resource} in {}", self.verb, self.namespace)
    }
}

/// The answer to one review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessAnswer {
    Allowed,
    Denied(String),
    /// The review itself failed; the action is offered and the server decides.
    Unknown(String),
}
