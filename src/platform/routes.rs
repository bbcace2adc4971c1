//! Every route the server serves, in one list: the router is built from these constants
//! and the tests check the list against `openapi.yaml` in both directions, so the document
//! cannot silently fall behind the code.

/// One HTTP route; `path` uses the `{param}` syntax shared by axum 0.8 and OpenAPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
}

pub const ME: Route = Route {
    method: "GET",
    path: "/v1/me",
};
pub const POST_EVENT: Route = Route {
    method: "POST",
    path: "/v1/audit/events",
};
pub const LIST_EVENTS: Route = Route {
    method: "GET",
    path: "/v1/audit/events",
};
pub const POST_OUTCOME: Route = Route {
    method: "POST",
    path: "/v1/audit/events/{id}/outcome",
};
pub const VERIFY: Route = Route {
    method: "GET",
    path: "/v1/audit/verify",
};
pub const LIST_CHECKPOINTS: Route = Route {
    method: "GET",
    path: "/v1/audit/checkpoints",
};
pub const SIGN_CHECKPOINT: Route = Route {
    method: "POST",
    path: "/v1/audit/checkpoints",
};
pub const LATEST_CHECKPOINT: Route = Route {
    method: "GET",
    path: "/v1/audit/checkpoints/latest",
};
pub const CHECKPOINT_KEYS: Route = Route {
    method: "GET",
    path: "/v1/audit/checkpoint-keys",
};
pub const CREATE_REQUEST: Route = Route {
    method: "POST",
    path: "/v1/requests",
};
pub const LIST_REQUESTS: Route = Route {
    method: "GET",
    path: "/v1/requests",
};
pub const GET_REQUEST: Route = Route {
    method: "GET",
    path: "/v1/requests/{id}",
};
pub const APPROVE_REQUEST: Route = Route {
    method: "POST",
    path: "/v1/requests/{id}/approve",
};
pub const REJECT_REQUEST: Route = Route {
    method: "POST",
    path: "/v1/requests/{id}/reject",
};

pub const POLICY_CHECK: Route = Route {
    method: "POST",
    path: "/v1/policy/check",
};

pub const ONCALL: Route = Route {
    method: "GET",
    path: "/v1/oncall",
};
pub const TEAM_ONCALL: Route = Route {
    method: "GET",
    path: "/v1/oncall/{team}",
};
pub const DECLARE_SHIFT: Route = Route {
    method: "POST",
    path: "/v1/oncall/{team}/shifts",
};
pub const REMOVE_SHIFT: Route = Route {
    method: "DELETE",
    path: "/v1/oncall/{team}/shifts/{id}",
};

pub const ROUTES: &[Route] = &[
    ME,
    POLICY_CHECK,
    POST_EVENT,
    LIST_EVENTS,
    POST_OUTCOME,
    VERIFY,
    LIST_CHECKPOINTS,
    SIGN_CHECKPOINT,
    LATEST_CHECKPOINT,
    CHECKPOINT_KEYS,
    CREATE_REQUEST,
    LIST_REQUESTS,
    GET_REQUEST,
    APPROVE_REQUEST,
    REJECT_REQUEST,
    ONCALL,
    TEAM_ONCALL,
    DECLARE_SHIFT,
    REMOVE_SHIFT,
];
