//! `Status` objects, the body of every API error, with the real server's reasons and
//! messages: 404 `NotFound`, 409 Conflict, 400 `BadRequest`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::routing::Target;

/// A `Status` object, the body of every API error.
pub(super) fn status(code: StatusCode, reason: &str, message: &str, details: Value) -> Response {
    (
        code,
        axum::Json(status_object(code.as_u16(), reason, message, details)),
    )
        .into_response()
}

pub(super) fn status_object(code: u16, reason: &str, message: &str, details: Value) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if details.as_object().is_some_and(|d| !d.is_empty()) {
        s["details"] = details;
    }
    s
}

pub(super) fn not_found_path() -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        "the server could not find the requested resource",
        json!({}),
    )
}

pub(super) fn not_found(target: &Target, name: &str) -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{} \"{name}\" not found", target.ty.qualified()),
        json!({"name": name, "group": target.ty.group, "kind": target.ty.plural}),
    )
}

pub(super) fn conflict(target: &Target, name: &str) -> Response {
    status(
        StatusCode::CONFLICT,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            target.ty.qualified()
        ),
        json!({"name": name, "group": target.ty.group, "kind": target.ty.plural}),
    )
}

pub(super) fn bad_request(message: &str) -> Response {
    status(StatusCode::BAD_REQUEST, "BadRequest", message, json!({}))
}
