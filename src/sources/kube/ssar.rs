//! "Can I?" through a `SelfSubjectAccessReview`: the API server evaluates the user's own RBAC,
//! so panes offer an action only when it would be allowed (as k9s does: derailed/k9s,
//! internal/view/browser.go) instead of letting the user find out from a 403 after confirming.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::Client;
use kube::api::{Api, PostParams};

/// The answer to one review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// Not allowed, with the server's reason (or its evaluation error). RBAC gives no reason
    /// for a plain "no rule matched", so this may be empty.
    Denied(String),
}

impl Access {
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed)
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// May the current user `verb` the `resource` (in API `group`, `""` = core; `subresource`
/// `""` = the object itself) in `namespace` (`None` = cluster-wide), optionally one object
/// `name`?
///
/// # Errors
/// The review itself failed (network, or the server refused to create it); the string is the
/// API error.
pub async fn can_i(
    client: &Client,
    verb: &str,
    group: &str,
    resource: &str,
    subresource: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Result<Access, String> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: non_empty(verb),
                group: Some(group.to_owned()),
                resource: non_empty(resource),
                subresource: non_empty(subresource),
                namespace: namespace.map(str::to_owned),
                name: name.map(str::to_owned),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = api
        .create(&PostParams::default(), &review)
        .await
        .map_err(|e| format!("SelfSubjectAccessReview {verb} {resource}: {e}"))?;
    let status = answer.status.unwrap_or_default();
    if status.allowed && !status.denied.unwrap_or(false) {
        Ok(Access::Allowed)
    } else {
        let reason = status
            .reason
            .filter(|r| !r.is_empty())
            .or(status.evaluation_error)
            .unwrap_or_default();
        Ok(Access::Denied(reason))
    }
}
