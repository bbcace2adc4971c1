//! Writes: PATCH (merge, JSON, strategic, apply), PUT, POST and DELETE on an object or its
//! `/status`, with the real server's split between the two, identity fields kept, `generation`
//! bumped on a spec change, and 409 Conflict on a stale resourceVersion.

use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{conflict, not_found, not_found_path, status};
use super::patch::{json_patch, merge_patch};
use super::recording::recorded;
use super::routing::Target;
use super::server::{Inner, Shared};
use super::store::{remove, store};

pub(super) fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub(super) fn parse_body(content_type: &str, body: &[u8]) -> Value {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return v;
    }
    if content_type.contains("yaml")
        && let Ok(v) = serde_yaml::from_slice::<Value>(body)
    {
        return v;
    }
    Value::String(String::from_utf8_lossy(body).into_owned())
}

/// The object after a write of `written` to `target`: the object write keeps the stored
/// `status` and the `/status` write keeps everything else, for types with a status subresource.
fn split_status(target: &Target, old: &Value, mut written: Value) -> Value {
    if !target.ty.status_subresource {
        return written;
    }
    if target.subresource.as_deref() == Some("status") {
        let mut next = old.clone();
        match written.get_mut("status").map(Value::take) {
            Some(status) => next["status"] = status,
            None => {
                if let Some(map) = next.as_object_mut() {
                    map.remove("status");
                }
            }
        }
        next
    } else {
        match old.get("status") {
            Some(status) => written["status"] = status.clone(),
            None => {
                if let Some(map) = written.as_object_mut() {
                    map.remove("status");
                }
            }
        }
        written
    }
}

/// Keeps identity fields the client cannot change, and bumps `generation` on a spec change.
fn finish_write(old: &Value, mut next: Value) -> Value {
    for field in ["name", "namespace", "uid", "creationTimestamp"] {
        if let Some(v) = old["metadata"].get(field) {
            next["metadata"][field] = v.clone();
        }
    }
    if let Some(kind) = old.get("kind") {
        next["kind"] = kind.clone();
    }
    if let Some(api_version) = old.get("apiVersion") {
        next["apiVersion"] = api_version.clone();
    }
    let generation = old["metadata"]["generation"].as_i64();
    if let Some(generation) = generation {
        let bumped = if old.get("spec") == next.get("spec") {
            generation
        } else {
            generation + 1
        };
        next["metadata"]["generation"] = json!(bumped);
    }
    next
}

fn stale(old: &Value, written: &Value) -> bool {
    written["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|rv| !rv.is_empty() && Some(rv) != old["metadata"]["resourceVersion"].as_str())
}

fn subresource_ok(target: &Target) -> bool {
    match target.subresource.as_deref() {
        None => true,
        Some("status") => target.ty.status_subresource,
        Some(_) => false,
    }
}

pub(super) fn patch(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let name = target.name.clone().unwrap_or_default();
    let ct = content_type(headers);
    let answer =
        |inner: &mut Inner, r: Response| recorded(inner, method, uri, target, headers, body, r);
    if !subresource_ok(target) {
        return answer(inner, not_found_path());
    }
    let key = target.key(&name);
    let Some(old) = inner.objects.get(&key).cloned() else {
        return answer(inner, not_found(target, &name));
    };
    let patch = parse_body(&ct, body);
    let mime = ct.split(';').next().unwrap_or_default().trim();
    let patched = match mime {
        "application/merge-patch+json" | "application/apply-patch+yaml" => {
            if stale(&old, &patch) {
                return answer(inner, conflict(target, &name));
            }
            let mut next = old.clone();
            merge_patch(&mut next, &patch);
            next
        }
        "application/strategic-merge-patch+json" => {
            if !target.ty.builtin {
                return answer(
                    inner,
                    status(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                        json!({}),
                    ),
                );
            }
            // Best effort: lists replace instead of merging by key.
            let mut next = old.clone();
            merge_patch(&mut next, &patch);
            next
        }
        "application/json-patch+json" => match json_patch(&old, &patch) {
            Ok(next) => next,
            Err(message) => {
                return answer(
                    inner,
                    status(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Invalid",
                        &message,
                        json!({}),
                    ),
                );
            }
        },
        other => {
            return answer(
                inner,
                status(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    &format!(
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {other:?})"
                    ),
                    json!({}),
                ),
            );
        }
    };
    let next = finish_write(&old, split_status(target, &old, patched));
    let stored = store(shared, inner, key, next, "MODIFIED");
    answer(inner, axum::Json(stored).into_response())
}

pub(super) fn replace(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let name = target.name.clone().unwrap_or_default();
    let answer =
        |inner: &mut Inner, r: Response| recorded(inner, method, uri, target, headers, body, r);
    if !subresource_ok(target) {
        return answer(inner, not_found_path());
    }
    let key = target.key(&name);
    let Some(old) = inner.objects.get(&key).cloned() else {
        return answer(inner, not_found(target, &name));
    };
    let Ok(written) = serde_json::from_slice::<Value>(body) else {
        return answer(
            inner,
            status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the body of the request was in an unknown format",
                json!({}),
            ),
        );
    };
    if stale(&old, &written) {
        return answer(inner, conflict(target, &name));
    }
    let next = finish_write(&old, split_status(target, &old, written));
    let stored = store(shared, inner, key, next, "MODIFIED");
    answer(inner, axum::Json(stored).into_response())
}

pub(super) fn create(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let answer =
        |inner: &mut Inner, r: Response| recorded(inner, method, uri, target, headers, body, r);
    let Ok(mut object) = serde_json::from_slice::<Value>(body) else {
        return answer(
            inner,
            status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the body of the request was in an unknown format",
                json!({}),
            ),
        );
    };
    let Some(name) = object["metadata"]["name"].as_str().map(str::to_owned) else {
        return answer(
            inner,
            status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                &format!(
                    "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                    target.ty.kind
                ),
                json!({}),
            ),
        );
    };
    if let Some(ns) = &target.namespace {
        object["metadata"]["namespace"] = json!(ns);
    }
    object["apiVersion"] = json!(target.ty.api_version());
    object["kind"] = json!(target.ty.kind);
    if object["metadata"]["generation"].is_null() && object.get("spec").is_some() {
        object["metadata"]["generation"] = json!(1);
    }
    let key = target.key(&name);
    if inner.objects.contains_key(&key) {
        return answer(
            inner,
            status(
                StatusCode::CONFLICT,
                "AlreadyExists",
                &format!("{} \"{name}\" already exists", target.ty.qualified()),
                json!({"name": name, "group": target.ty.group, "kind": target.ty.plural}),
            ),
        );
    }
    let stored = store(shared, inner, key, object, "ADDED");
    answer(
        inner,
        (StatusCode::CREATED, axum::Json(stored)).into_response(),
    )
}

pub(super) fn delete(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let name = target.name.clone().unwrap_or_default();
    let answer =
        |inner: &mut Inner, r: Response| recorded(inner, method, uri, target, headers, body, r);
    if target.subresource.is_some() {
        return answer(inner, not_found_path());
    }
    let key = target.key(&name);
    let Some(live) = inner.objects.get(&key) else {
        return answer(inner, not_found(target, &name));
    };
    // DeleteOptions.preconditions: the API server compares them with the live object and
    // answers 409 (k8s.io/apiserver, pkg/registry/generic/registry/store.go, and
    // k8s.io/apimachinery, pkg/api/errors: NewConflict). The grace period is recorded with
    // the body; the object goes at once (no kubelet here to wait for).
    let options: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let live_uid = live["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(uid) = options["preconditions"]["uid"].as_str()
        && uid != live_uid
    {
        let message = format!(
            "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {live_uid}",
            target.ty.qualified()
        );
        return answer(
            inner,
            status(
                StatusCode::CONFLICT,
                "Conflict",
                &message,
                json!({"name": name, "group": target.ty.group, "kind": target.ty.plural}),
            ),
        );
    }
    let object = remove(shared, inner, &key);
    answer(inner, axum::Json(object).into_response())
}
