//! Access control: [`ForbidRule`]s answer matching requests with 403 Forbidden and the
//! real message; a `SelfSubjectAccessReview` is answered from the [`SsarRule`]s, then from the
//! forbid rules.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::KubeServer;
use super::errors::status;
use super::routing::Target;
use super::server::Inner;

/// A request the server answers with 403 Forbidden.
#[derive(Debug, Clone)]
pub struct ForbidRule {
    /// `get list watch create update patch delete`, or `*`.
    pub verb: String,
    pub group: String,
    pub resource: String,
    /// `None` forbids the object itself, `Some("status")` its status subresource only.
    pub subresource: Option<String>,
    /// `None` for every namespace.
    pub namespace: Option<String>,
}

impl ForbidRule {
    #[must_use]
    pub fn new(verb: &str, group: &str, resource: &str) -> Self {
        Self {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: None,
            namespace: None,
        }
    }

    #[must_use]
    pub fn subresource(mut self, sub: &str) -> Self {
        self.subresource = Some(sub.into());
        self
    }

    #[must_use]
    pub fn namespace(mut self, ns: &str) -> Self {
        self.namespace = Some(ns.into());
        self
    }

    fn matches(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        sub: Option<&str>,
        ns: &str,
    ) -> bool {
        (self.verb == "*" || self.verb == verb)
            && self.group == group
            && self.resource == resource
            && self.subresource.as_deref() == sub
            && self.namespace.as_deref().is_none_or(|n| n == ns)
    }
}

/// An answer to a `SelfSubjectAccessReview`. Empty `subresource` means the object itself;
/// `"*"` in `verb`, `group` or `resource` matches anything.
#[derive(Debug, Clone)]
pub struct SsarRule {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: Option<String>,
    pub allowed: bool,
    pub reason: String,
}

impl SsarRule {
    fn matches(&self, attrs: &Value) -> bool {
        let field = |name: &str| attrs.get(name).and_then(Value::as_str).unwrap_or_default();
        let wild = |rule: &str, have: &str| rule == "*" || rule == have;
        wild(&self.verb, field("verb"))
            && wild(&self.group, field("group"))
            && wild(&self.resource, field("resource"))
            && self.subresource == field("subresource")
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| n == field("namespace"))
    }
}

impl KubeServer {
    /// Answer matching requests with 403 Forbidden.
    pub fn forbid(&self, rule: ForbidRule) {
        self.shared.lock().forbidden.push(rule);
    }

    /// The user named in Forbidden messages (default [`DEFAULT_USER`]).
    pub fn set_user(&self, user: &str) {
        self.shared.lock().user = user.into();
    }

    /// SSAR rules are tried in order before the [`ForbidRule`]s (denied if forbidden, allowed
    /// otherwise).
    pub fn add_ssar_rule(&self, rule: SsarRule) {
        self.shared.lock().ssar_rules.push(rule);
    }

    /// An SSAR for this verb/group/resource/subresource (`""` = the object) is allowed.
    pub fn allow_ssar(&self, verb: &str, group: &str, resource: &str, subresource: &str) {
        let user = self.shared.lock().user.clone();
        self.add_ssar_rule(SsarRule {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: subresource.into(),
            namespace: None,
            allowed: true,
            reason: format!(
                "RBAC: allowed by RoleBinding \"opsdeck-operators/shop\" of Role \"rollout-operator\" to User \"{user}\""
            ),
        });
    }

    /// An SSAR for this verb/group/resource/subresource is denied (no reason, as RBAC gives).
    pub fn deny_ssar(&self, verb: &str, group: &str, resource: &str, subresource: &str) {
        self.add_ssar_rule(SsarRule {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: subresource.into(),
            namespace: None,
            allowed: false,
            reason: String::new(),
        });
    }

    /// The `SelfSubjectAccessReview` bodies received.
    #[must_use]
    pub fn ssar_requests(&self) -> Vec<Value> {
        self.shared.lock().ssar_requests.clone()
    }
}

pub(super) fn forbidden(inner: &Inner, verb: &str, target: &Target, ns: &str) -> Option<Response> {
    let ty = &target.ty;
    let sub = target.subresource.as_deref();
    inner
        .forbidden
        .iter()
        .find(|r| r.matches(verb, &ty.group, &ty.plural, sub, ns))?;
    let resource = match sub {
        Some(sub) => format!("{}/{sub}", ty.plural),
        None => ty.plural.clone(),
    };
    let subject = match &target.name {
        Some(name) => format!("{} \"{name}\"", ty.qualified()),
        None => ty.qualified(),
    };
    let scope = if ns.is_empty() {
        "at the cluster scope".to_owned()
    } else {
        format!("in the namespace \"{ns}\"")
    };
    let message = format!(
        "{subject} is forbidden: User \"{}\" cannot {verb} resource \"{resource}\" in API group \"{}\" {scope}",
        inner.user, ty.group
    );
    let mut details = json!({"group": ty.group, "kind": ty.plural});
    if let Some(name) = &target.name {
        details["name"] = json!(name);
    }
    Some(status(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        details,
    ))
}

pub(super) fn ssar(inner: &mut Inner, body: &[u8]) -> Response {
    let Ok(mut review) = serde_json::from_slice::<Value>(body) else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the body of the request was in an unknown format",
            json!({}),
        );
    };
    inner.ssar_requests.push(review.clone());
    let attrs = review["spec"]["resourceAttributes"].clone();
    let rule = inner.ssar_rules.iter().find(|r| r.matches(&attrs)).cloned();
    let (allowed, reason) = match rule {
        Some(rule) => (rule.allowed, rule.reason),
        None => {
            let field = |name: &str| attrs[name].as_str().unwrap_or_default().to_owned();
            let sub = field("subresource");
            let sub = (!sub.is_empty()).then_some(sub.as_str());
            let denied = inner.forbidden.iter().any(|r| {
                r.matches(
                    &field("verb"),
                    &field("group"),
                    &field("resource"),
                    sub,
                    &field("namespace"),
                )
            });
            if denied {
                (false, String::new())
            } else {
                (
                    true,
                    format!(
                        "RBAC: allowed by ClusterRoleBinding \"opsdeck-dev\" of ClusterRole \"edit\" to User \"{}\"",
                        inner.user
                    ),
                )
            }
        }
    };
    let mut status = json!({"allowed": allowed});
    if !reason.is_empty() {
        status["reason"] = json!(reason);
    }
    review["status"] = status;
    review["metadata"] = json!({"creationTimestamp": null});
    (StatusCode::CREATED, axum::Json(review)).into_response()
}
