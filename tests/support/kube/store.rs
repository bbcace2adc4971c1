//! The object store: every add, replace and delete takes a new global resourceVersion, is
//! kept in the change history (so a watch can start from any later version) and is broadcast
//! to open watches; and the calls a test uses to read and change the store.

use std::sync::Arc;

use serde_json::{Value, json};

use super::KubeServer;
use super::server::{Change, Inner, Shared, Signal};
use super::types::{Key, ResourceType};

impl KubeServer {
    /// The current global resourceVersion.
    #[must_use]
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().rv
    }

    /// Registers another resource type (a CRD the built-in table lacks).
    pub fn register(&self, ty: ResourceType) {
        let mut inner = self.shared.lock();
        inner
            .types
            .retain(|t| !(t.api_version() == ty.api_version() && t.plural == ty.plural));
        inner.types.push(ty);
    }

    /// Turns the status subresource of `plural` on or off (to exercise clients that fall back
    /// to the object when `/status` is a 404, as `kubectl argo rollouts abort` does).
    pub fn set_status_subresource(&self, plural: &str, on: bool) {
        let mut inner = self.shared.lock();
        for ty in inner.types.iter_mut().filter(|t| t.plural == plural) {
            ty.status_subresource = on;
        }
    }

    /// Adds an object (replacing one with the same key) and emits ADDED. Returns the stored
    /// object, with its new resourceVersion.
    #[expect(
        clippy::must_use_candidate,
        reason = "a mutation; the stored object is returned for the callers that want it"
    )]
    pub fn insert(&self, object: Value) -> Value {
        let mut inner = self.shared.lock();
        let key = key_of(&mut inner, &object);
        self.store(&mut inner, key, object, "ADDED")
    }

    /// Replaces an existing object wholesale (status included, as the controller would) and
    /// emits MODIFIED. Panics if it does not exist: a test typo should not pass as an ADDED.
    #[must_use]
    pub fn update(&self, object: Value) -> Value {
        let mut inner = self.shared.lock();
        let key = key_of(&mut inner, &object);
        assert!(
            inner.objects.contains_key(&key),
            "update of a missing object {key:?}"
        );
        self.store(&mut inner, key, object, "MODIFIED")
    }

    /// Changes an object in place (found by kind, namespace and name) and emits MODIFIED.
    pub fn modify(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Value {
        let mut object = self
            .object(kind, namespace, name)
            .unwrap_or_else(|| panic!("no {kind} {namespace}/{name}"));
        f(&mut object);
        self.update(object)
    }

    /// Deletes an object and emits DELETED; returns it if it existed.
    #[expect(
        clippy::must_use_candidate,
        reason = "a mutation; the deleted object is returned for the callers that want it"
    )]
    pub fn delete(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let mut inner = self.shared.lock();
        let key = inner
            .objects
            .iter()
            .find(|(k, v)| v["kind"] == kind && k.namespace == namespace && k.name == name)
            .map(|(k, _)| k.clone())?;
        Some(remove(&self.shared, &mut inner, &key))
    }

    /// The stored object of this kind, namespace (`""` if cluster-scoped) and name.
    #[must_use]
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        self.shared
            .lock()
            .objects
            .iter()
            .find(|(k, v)| v["kind"] == kind && k.namespace == namespace && k.name == name)
            .map(|(_, v)| v.clone())
    }

    /// Every stored object of this kind.
    #[must_use]
    pub fn objects(&self, kind: &str) -> Vec<Value> {
        self.shared
            .lock()
            .objects
            .values()
            .filter(|v| v["kind"] == kind)
            .cloned()
            .collect()
    }

    fn store(&self, inner: &mut Inner, key: Key, object: Value, kind: &'static str) -> Value {
        store(&self.shared, inner, key, object, kind)
    }
}

fn type_of_object<'a>(inner: &'a Inner, object: &Value) -> Option<&'a ResourceType> {
    let api_version = object["apiVersion"].as_str()?;
    let kind = object["kind"].as_str()?;
    inner
        .types
        .iter()
        // Core `Event` and `events.k8s.io` `Event` share a kind: the apiVersion decides.
        .find(|t| t.api_version() == api_version && t.kind == kind)
}

/// The key of an object, registering its type (plural guessed from the kind) if unknown.
fn key_of(inner: &mut Inner, object: &Value) -> Key {
    let api_version = object["apiVersion"]
        .as_str()
        .expect("object has apiVersion")
        .to_owned();
    let kind = object["kind"].as_str().expect("object has kind").to_owned();
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = object["metadata"]["name"]
        .as_str()
        .expect("object has metadata.name")
        .to_owned();
    if type_of_object(inner, object).is_none() {
        let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
        let lower = kind.to_ascii_lowercase();
        let plural = if lower.ends_with('s') {
            format!("{lower}es")
        } else if let Some(stem) = lower.strip_suffix('y') {
            format!("{stem}ies")
        } else {
            format!("{lower}s")
        };
        let mut ty = ResourceType::new(group, version, &plural, &kind);
        ty.namespaced = !namespace.is_empty();
        inner.types.push(ty);
    }
    let plural = type_of_object(inner, object)
        .expect("type registered")
        .plural
        .clone();
    Key {
        api_version,
        plural,
        namespace,
        name,
    }
}

/// Stores an object under a new resourceVersion, records the change and tells watchers.
pub(super) fn store(
    shared: &Shared,
    inner: &mut Inner,
    key: Key,
    mut object: Value,
    kind: &'static str,
) -> Value {
    inner.rv += 1;
    let rv = inner.rv;
    let old_uid = inner
        .objects
        .get(&key)
        .and_then(|o| o["metadata"]["uid"].as_str().map(str::to_owned));
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    let meta = &mut object["metadata"];
    meta["resourceVersion"] = json!(rv.to_string());
    if meta["uid"].as_str().is_none_or(str::is_empty) {
        let uid = old_uid.unwrap_or_else(|| {
            inner.next_uid += 1;
            format!("0b5e55ed-0000-4000-8000-{:012x}", inner.next_uid)
        });
        meta["uid"] = json!(uid);
    }
    if meta["creationTimestamp"].is_null() {
        meta["creationTimestamp"] = json!("2026-08-22T08:00:00Z");
    }
    inner.objects.insert(key.clone(), object.clone());
    let change = Arc::new(Change {
        rv,
        kind,
        key,
        object: object.clone(),
    });
    inner.history.push(Arc::clone(&change));
    // Sent under the lock so a watch that snapshots history under the same lock neither misses
    // nor repeats a change.
    let _ = shared.signals.send(Signal::Change(change));
    object
}

pub(super) fn remove(shared: &Shared, inner: &mut Inner, key: &Key) -> Value {
    let mut object = inner.objects.remove(key).expect("object exists");
    inner.rv += 1;
    let rv = inner.rv;
    // A DELETED event carries the object at its deletion resourceVersion.
    object["metadata"]["resourceVersion"] = json!(rv.to_string());
    let change = Arc::new(Change {
        rv,
        kind: "DELETED",
        key: key.clone(),
        object: object.clone(),
    });
    inner.history.push(Arc::clone(&change));
    let _ = shared.signals.send(Signal::Change(change));
    object
}
