//! The one mapping from a Backstage entity (as JSON) to a [`CatalogEntry`], shared by the
//! Backstage API source and the `catalog-info.yaml` directory source.
//!
//! Every string taken from the entity is sanitized here ([`clean`] for one-line fields,
//! [`clean_multiline`] for the description). A malformed Component (no name, no owner, a
//! field of the wrong type) becomes [`CatalogEntry::Invalid`] naming the entity and where it
//! came from; nothing here panics on input. Kinds other than Component (Group, API, System...)
//! are skipped.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::service::{Link, annotations};
use crate::model::{CatalogEntry, Service, ServiceMapping, Slo, Tier, clean, clean_multiline};

/// Annotation with the service tier, used when the `tier` label is absent.
pub const TIER_ANNOTATION: &str = "opsdeck.io/tier";
/// Backstage's source location annotation (`url:https://...`).
pub const SOURCE_LOCATION: &str = "backstage.io/source-location";

/// What one entity turned into.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// A Component: a service row or an invalid row.
    Entry(CatalogEntry),
    /// Another kind, or a document that is not a Backstage entity at all.
    Skipped,
}

/// Where an entity was read, which becomes the row's `origin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// The Backstage API: the origin is the entity ref (`component:default/name`).
    Backstage,
    /// A file (the label may add a document number): the origin is that label.
    File(&'a str),
}

/// Maps one entity.
#[must_use]
pub fn map_entity(entity: &Value, origin: Origin<'_>) -> Mapped {
    // Scalars and empty YAML documents (`---` at the end of a file, which is null) are not
    // entities.
    let Some(obj) = entity.as_object() else {
        return Mapped::Skipped;
    };
    let api_version = obj.get("apiVersion").and_then(Value::as_str);
    let is_backstage = api_version.is_some_and(|v| v.starts_with("backstage.io/"));
    let kind = match obj.get("kind") {
        Some(Value::String(k)) => k,
        Some(_) if is_backstage => {
            return invalid(origin, obj, "`kind` must be a string");
        }
        None if is_backstage => {
            return invalid(origin, obj, "`kind` is missing");
        }
        // Not a Backstage entity (a workflow, a Helm values file...): not ours to judge.
        _ => return Mapped::Skipped,
    };
    if !kind.eq_ignore_ascii_case("component") {
        return Mapped::Skipped;
    }
    if api_version.is_some() && !is_backstage {
        // Some other system's `Component` kind.
        return Mapped::Skipped;
    }
    match component(obj, origin) {
        Ok(service) => Mapped::Entry(CatalogEntry::Service(Box::new(service))),
        Err(message) => invalid(origin, obj, &message),
    }
}

/// Maps a list of entities, keeping only Components.
#[must_use]
pub fn map_entities<'a>(
    entities: impl IntoIterator<Item = &'a Value>,
    origin: Origin<'_>,
) -> Vec<CatalogEntry> {
    entities
        .into_iter()
        .filter_map(|e| match map_entity(e, origin) {
            Mapped::Entry(entry) => Some(entry),
            Mapped::Skipped => None,
        })
        .collect()
}

/// Stable order: by name, then origin.
pub fn sort_entries(entries: &mut [CatalogEntry]) {
    entries.sort_by(|a, b| {
        let origin = |e: &CatalogEntry| match e {
            CatalogEntry::Service(s) => s.origin.clone(),
            CatalogEntry::Invalid { origin, .. } => origin.clone(),
        };
        a.name()
            .cmp(b.name())
            .then_with(|| origin(a).cmp(&origin(b)))
    });
}

/// The entity's name when it can be read, for invalid rows.
fn name_of(obj: &Map<String, Value>) -> Option<String> {
    obj.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .map(clean)
}

/// The entity ref `component:<namespace>/<name>` when the name can be read.
fn entity_ref(obj: &Map<String, Value>) -> Option<String> {
    let name = name_of(obj)?;
    let namespace = obj
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .map_or_else(|| "default".to_owned(), |n| clean(n.trim()));
    Some(format!("component:{namespace}/{name}"))
}

fn invalid(origin: Origin<'_>, obj: &Map<String, Value>, message: &str) -> Mapped {
    let entity = name_of(obj);
    let what = entity.as_deref().map_or_else(
        || "component without a name".to_owned(),
        |n| format!("component `{n}`"),
    );
    let origin = match origin {
        Origin::File(label) => clean(label),
        Origin::Backstage => entity_ref(obj).unwrap_or_else(|| "backstage".to_owned()),
    };
    Mapped::Entry(CatalogEntry::Invalid {
        message: clean(&format!("{origin}: {what}: {message}")),
        origin,
        entity,
    })
}

/// A typed view of one JSON object with paths for messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!(
                "`{}` must be a string, not {}",
                self.path(key),
                type_name(other)
            )),
        }
    }

    fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn obj(&self, key: &str) -> Result<Option<Obj<'a>>, String> {
        let path = self.path(key);
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj { map, path })),
            Some(other) => Err(format!(
                "`{path}` must be a mapping, not {}",
                type_name(other)
            )),
        }
    }

    fn str_list(&self, key: &str) -> Result<Vec<&'a str>, String> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().ok_or_else(|| {
                        format!(
                            "`{}` must list strings, not {}",
                            self.path(key),
                            type_name(v)
                        )
                    })
                })
                .collect(),
            Some(other) => Err(format!(
                "`{}` must be a list, not {}",
                self.path(key),
                type_name(other)
            )),
        }
    }

    fn str_map(&self, key: &str) -> Result<BTreeMap<String, String>, String> {
        let mut out = BTreeMap::new();
        let Some(obj) = self.obj(key)? else {
            return Ok(out);
        };
        for (k, v) in obj.map {
            let value = match v {
                Value::String(s) => s.clone(),
                // YAML turns `tier: 1` and `enabled: true` into numbers and booleans; Backstage
                // would refuse them, but the meaning is clear.
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => {
                    return Err(format!(
                        "`{}.{k}` must be a string, not {}",
                        obj.path,
                        type_name(other)
                    ));
                }
            };
            out.insert(clean(k), clean(&value));
        }
        Ok(out)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// `group:default/team-a` → `team-a`, `group:ns/team` → `ns/team`, `user:default/jo` →
/// `user:jo`, `component:x` → `x` (with `default_kind` = "component").
fn humanize_ref(raw: &str, default_kind: &str) -> String {
    let raw = raw.trim();
    let (kind, rest) = match raw.split_once(':') {
        Some((k, r)) if !k.contains('/') => (Some(k), r),
        _ => (None, raw),
    };
    let rest = rest.strip_prefix("default/").unwrap_or(rest);
    match kind {
        Some(k) if !k.eq_ignore_ascii_case(default_kind) => format!("{}:{rest}", k.to_lowercase()),
        _ => rest.to_owned(),
    }
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !value.is_empty() && !list.contains(&value) {
        list.push(value);
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "maps one Backstage entity field by field, in the order the entity lays them out"
)]
fn component(entity: &Map<String, Value>, origin: Origin<'_>) -> Result<Service, String> {
    let root = Obj {
        map: entity,
        path: String::new(),
    };
    let metadata = root.obj("metadata")?.ok_or("`metadata` is missing")?;
    let name = metadata
        .str("name")?
        .filter(|n| !n.trim().is_empty())
        .ok_or("`metadata.name` is missing")?;
    let name = clean(name.trim());
    let namespace = metadata.str("namespace")?.map_or("default", str::trim);
    let spec = root
        .obj("spec")?
        .ok_or("`spec` is missing (a Component needs spec.type, spec.lifecycle and spec.owner)")?;

    // Relations are output only (from the API); prefer them over spec, as Backstage advises.
    let mut relations: Vec<(String, &str)> = Vec::new();
    match root.get("relations") {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                let r = item.as_object().ok_or("`relations` must list mappings")?;
                let r = Obj {
                    map: r,
                    path: "relations[]".to_owned(),
                };
                if let (Some(t), Some(target)) = (r.str("type")?, r.str("targetRef")?) {
                    relations.push((t.to_ascii_lowercase(), target));
                }
            }
        }
        Some(other) => {
            return Err(format!(
                "`relations` must be a list, not {}",
                type_name(other)
            ));
        }
    }
    let relation = |t: &'static str| {
        relations
            .iter()
            .filter(move |(rt, _)| rt == t)
            .map(|(_, target)| *target)
    };

    let owner = match (relation("ownedby").next(), spec.str("owner")?) {
        (Some(target), _) => target,
        (None, Some(owner)) if !owner.trim().is_empty() => owner,
        _ => return Err("`spec.owner` is missing".to_owned()),
    };
    let owner = clean(&humanize_ref(owner, "group"));

    let title = metadata
        .str("title")?
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(clean);
    let description = clean_multiline(metadata.str("description")?.unwrap_or_default().trim());
    let kind = clean(spec.str("type")?.unwrap_or("unknown"));
    let lifecycle = clean(spec.str("lifecycle")?.unwrap_or("unknown"));
    let system = spec
        .str("system")?
        .filter(|s| !s.trim().is_empty())
        .map(|s| clean(&humanize_ref(s, "system")));

    let labels = metadata.str_map("labels")?;
    let annotations = metadata.str_map("annotations")?;
    let tier = labels
        .get("tier")
        .or_else(|| annotations.get(TIER_ANNOTATION))
        .map_or(Tier::Unknown, |t| Tier::parse(t));
    let oncall = annotations
        .get(annotations::ONCALL)
        .filter(|v| !v.trim().is_empty())
        .cloned();
    let slo = annotations
        .get(annotations::SLO_TARGET)
        .and_then(|t| t.trim().trim_end_matches('%').parse::<f64>().ok())
        .filter(|t| *t > 0.0 && *t <= 100.0)
        .map(|target| Slo {
            name: "availability".to_owned(),
            target,
            current: None,
            budget_left: None,
            window: String::new(),
        });

    let mut links = Vec::new();
    let mut runbook = None;
    match metadata.get("links") {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                let l = item
                    .as_object()
                    .ok_or("`metadata.links` must list mappings with a url")?;
                let l = Obj {
                    map: l,
                    path: "metadata.links[]".to_owned(),
                };
                let url = l
                    .str("url")?
                    .filter(|u| !u.trim().is_empty())
                    .ok_or("a `metadata.links` entry has no url")?;
                let title = l.str("title")?.filter(|t| !t.trim().is_empty());
                let kind = l.str("type")?.unwrap_or_default();
                let url = clean(url.trim());
                let is_runbook = title.is_some_and(|t| t.to_lowercase().contains("runbook"))
                    || kind.to_lowercase().contains("runbook");
                if is_runbook && runbook.is_none() {
                    runbook = Some(url.clone());
                }
                links.push(Link {
                    title: clean(title.unwrap_or(&url)),
                    url,
                });
            }
        }
        Some(other) => {
            return Err(format!(
                "`metadata.links` must be a list, not {}",
                type_name(other)
            ));
        }
    }

    let mut repos = Vec::new();
    if let Some(slug) = annotations
        .get(annotations::GITHUB_SLUG)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        push_unique(&mut repos, format!("https://github.com/{slug}"));
    }
    if let Some(loc) = annotations.get(SOURCE_LOCATION) {
        // `<type>:<target>`; the target has colons of its own, so split on the first only.
        let target = loc.split_once(':').map_or(loc.as_str(), |(_, t)| t).trim();
        let target = target.trim_end_matches('/');
        let target = target
            .split_once("/tree/")
            .or_else(|| target.split_once("/blob/"))
            .map_or(target, |(repo, _)| repo);
        push_unique(&mut repos, target.to_owned());
    }

    let mut depends_on = Vec::new();
    for dep in spec
        .str_list("dependsOn")?
        .into_iter()
        .chain(relation("dependson"))
    {
        push_unique(&mut depends_on, clean(&humanize_ref(dep, "component")));
    }
    let mut dependency_of = Vec::new();
    for dep in spec
        .str_list("dependencyOf")?
        .into_iter()
        .chain(relation("dependencyof"))
    {
        push_unique(&mut dependency_of, clean(&humanize_ref(dep, "component")));
    }
    let tags = metadata
        .str_list("tags")?
        .into_iter()
        .map(|t| clean(t.trim()))
        .filter(|t| !t.is_empty())
        .collect();

    let mapping = ServiceMapping::from_annotations(&annotations);
    let origin = match origin {
        Origin::File(label) => clean(label),
        Origin::Backstage => format!("component:{}/{name}", clean(namespace)),
    };
    Ok(Service {
        name,
        title,
        description,
        owner,
        system,
        kind,
        tier,
        lifecycle,
        oncall,
        slo,
        runbook,
        links,
        repos,
        depends_on,
        dependency_of,
        tags,
        annotations,
        mapping,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(v: &Value) -> Service {
        match map_entity(v, Origin::Backstage) {
            Mapped::Entry(CatalogEntry::Service(s)) => *s,
            other => panic!("expected a service, got {other:?}"),
        }
    }

    #[test]
    fn full_component_maps_every_field() {
        let v = json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {
                "name": "checkout-api",
                "title": "Checkout API",
                "description": "Takes orders.\nAnd payments.",
                "labels": { "tier": "tier-1" },
                "annotations": {
                    "opsdeck.io/oncall": "alice",
                    "opsdeck.io/slo-target": "99.9",
                    "github.com/project-slug": "acme/checkout",
                    "backstage.io/source-location": "url:https://github.com/acme/checkout/tree/main/",
                    "argocd/app-name": "checkout-api-prod",
                    "opsdeck.io/kafka-topics": "orders.v1"
                },
                "tags": ["java", "payments"],
                "links": [
                    { "url": "https://grafana/x", "title": "Dashboard" },
                    { "url": "https://wiki/runbooks/checkout", "title": "On-call Runbook" }
                ]
            },
            "spec": {
                "type": "service",
                "lifecycle": "production",
                "owner": "group:default/team-checkout",
                "system": "shop",
                "dependsOn": ["component:default/payments-api", "resource:default/orders-db"],
                "dependencyOf": ["component:api-gateway"]
            },
            "relations": [
                { "type": "ownedBy", "targetRef": "group:default/checkout-squad" },
                { "type": "dependsOn", "targetRef": "component:default/payments-api" },
                { "type": "dependsOn", "targetRef": "component:default/fraud-api" }
            ]
        });
        let s = service(&v);
        assert_eq!(s.name, "checkout-api");
        assert_eq!(s.title.as_deref(), Some("Checkout API"));
        assert_eq!(s.description, "Takes orders.\nAnd payments.");
        assert_eq!(s.owner, "checkout-squad", "ownedBy relation wins");
        assert_eq!(s.system.as_deref(), Some("shop"));
        assert_eq!(s.kind, "service");
        assert_eq!(s.lifecycle, "production");
        assert_eq!(s.tier, Tier::Tier1);
        assert_eq!(s.oncall.as_deref(), Some("alice"));
        let slo = s.slo.as_ref().expect("slo");
        assert!((slo.target - 99.9).abs() < 1e-9);
        assert_eq!(slo.current, None);
        assert_eq!(slo.budget_left, None);
        assert_eq!(s.runbook.as_deref(), Some("https://wiki/runbooks/checkout"));
        assert_eq!(s.links.len(), 2);
        assert_eq!(s.repos, ["https://github.com/acme/checkout"]);
        assert_eq!(
            s.depends_on,
            ["payments-api", "resource:orders-db", "fraud-api"]
        );
        assert_eq!(s.dependency_of, ["api-gateway"]);
        assert_eq!(s.tags, ["java", "payments"]);
        assert_eq!(s.mapping.argocd_app.as_deref(), Some("checkout-api-prod"));
        assert_eq!(s.mapping.topics, ["orders.v1"]);
        assert_eq!(s.origin, "component:default/checkout-api");
    }

    #[test]
    fn owner_prefixes_are_stripped() {
        assert_eq!(humanize_ref("group:default/team-a", "group"), "team-a");
        assert_eq!(humanize_ref("group:team-a", "group"), "team-a");
        assert_eq!(humanize_ref("team-a", "group"), "team-a");
        assert_eq!(humanize_ref("group:ops/team-a", "group"), "ops/team-a");
        assert_eq!(humanize_ref("user:default/jo", "group"), "user:jo");
        assert_eq!(humanize_ref("component:x", "component"), "x");
    }

    #[test]
    fn tier_falls_back_to_the_annotation() {
        let v = json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": { "name": "a", "annotations": { "opsdeck.io/tier": "2" } },
            "spec": { "type": "service", "lifecycle": "production", "owner": "team" }
        });
        assert_eq!(service(&v).tier, Tier::Tier2);
    }

    #[test]
    fn malformed_components_become_invalid_rows() {
        let cases = [
            (
                json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                        "metadata": { "title": "x" }, "spec": { "owner": "t" } }),
                None,
                "metadata.name` is missing",
            ),
            (
                json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                        "metadata": { "name": "no-owner" }, "spec": { "type": "service" } }),
                Some("no-owner"),
                "spec.owner` is missing",
            ),
            (
                json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                        "metadata": { "name": "bad-tags", "tags": "a,b" },
                        "spec": { "owner": "t" } }),
                Some("bad-tags"),
                "metadata.tags` must be a list",
            ),
            (
                json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                        "metadata": { "name": 7 }, "spec": { "owner": "t" } }),
                None,
                "metadata.name` must be a string",
            ),
        ];
        for (v, name, needle) in cases {
            match map_entity(&v, Origin::File("dir/catalog-info.yaml")) {
                Mapped::Entry(CatalogEntry::Invalid {
                    origin,
                    entity,
                    message,
                }) => {
                    assert_eq!(origin, "dir/catalog-info.yaml");
                    assert_eq!(entity.as_deref(), name);
                    assert!(message.contains(needle), "{message}");
                    assert!(message.contains("dir/catalog-info.yaml"), "{message}");
                }
                other => panic!("expected invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn other_kinds_and_foreign_documents_are_skipped() {
        for v in [
            json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                    "metadata": { "name": "team" }, "spec": { "children": [] } }),
            json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "x" } }),
            json!({ "name": "CI", "on": ["push"] }),
            json!(null),
            json!("scalar"),
        ] {
            assert_eq!(map_entity(&v, Origin::File("f")), Mapped::Skipped, "{v}");
        }
    }

    #[test]
    fn hostile_strings_are_cleaned() {
        let v = json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {
                "name": "evil\u{1b}[2J",
                "description": "a\u{1b}]8;;http://x\u{7}b\u{202e}c\u{9b}",
                "annotations": { "opsdeck.io/oncall": "\u{2066}mallory\u{0}" }
            },
            "spec": { "type": "service", "lifecycle": "production", "owner": "t\u{85}" }
        });
        let s = service(&v);
        for text in [
            &s.name,
            &s.description,
            &s.owner,
            s.oncall.as_deref().unwrap_or(""),
        ] {
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)),
                "{text:?}"
            );
        }
    }
}
