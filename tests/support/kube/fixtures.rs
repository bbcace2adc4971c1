//! Objects to start the server with: the JSON fixtures in `tests/support/fixtures/k8s/`,
//! shaped like real objects, and a running pod built in code.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// `tests/support/fixtures/k8s`.
#[must_use]
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fixtures/k8s")
}

/// One fixture file as written (an object, or a `v1 List` of objects), by file stem.
#[must_use]
pub fn fixture(stem: &str) -> Value {
    let path = fixtures_dir().join(format!("{stem}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Every object of every top-level `*.json` fixture, `List`s flattened, in file-name order.
#[must_use]
pub fn fixtures() -> Vec<Value> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixture dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .flat_map(|p| {
            let stem = p.file_stem().and_then(|s| s.to_str()).expect("UTF-8 name");
            flatten(fixture(stem))
        })
        .collect()
}

/// The objects of a fixture value: itself, or the items of a `List`.
#[must_use]
pub fn flatten(value: Value) -> Vec<Value> {
    if value["kind"] == "List" {
        value["items"].as_array().cloned().unwrap_or_default()
    } else {
        vec![value]
    }
}

/// A pod shaped like the API server returns it: labels, containers, and a `Running` status
/// with a running state for each container.
#[must_use]
pub fn pod_object(ns: &str, name: &str, labels: &[(&str, &str)], containers: &[&str]) -> Value {
    let labels: Map<String, Value> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let specs: Vec<Value> = containers
        .iter()
        .map(|c| json!({"name": c, "image": format!("registry.example/{c}:1.0")}))
        .collect();
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            json!({
                "name": c,
                "image": format!("registry.example/{c}:1.0"),
                "imageID": "",
                "ready": true,
                "restartCount": 0,
                "started": true,
                "state": {"running": {"startedAt": "2026-08-22T08:00:00Z"}},
            })
        })
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": specs},
        "status": {"phase": "Running", "containerStatuses": statuses},
    })
}
