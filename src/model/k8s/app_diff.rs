//! The diff of an Argo CD application between live and desired state, from the API server's
//! `GET /api/v1/applications/{name}/managed-resources` (`ManagedResourcesResponse.items[]`,
//! each a `ResourceDiff` whose states are JSON documents carried as strings).
//!
//! How a side is picked follows `argocd app diff` (argoproj/argo-cd
//! `cmd/argocd/commands/app.go`, `findAndPrintDiff`, read at 37ee0097, the commit of
//! `/work/shared/reference/kubernetes-argo.md`), ported in our own words:
//! - the live side is `normalizedLiveState` (the controller has already applied the
//!   project's normalizers and `ignoreDifferences` to it), falling back to `liveState`;
//! - the desired side is `predictedLiveState` when both sides exist (what the object would
//!   look like after the sync: fields the controller or defaults set stay as they are), else
//!   `targetState`;
//! - hooks are skipped (the item's `hook` flag, or a hook annotation on either side);
//! - a resource is shown when it changed, or when one side is missing;
//! - the CLI prints `===== group/kind namespace/name ======` and `diff -u live desired`: the
//!   live side is `-`, the desired side `+`.
//!
//! Because we render whole objects rather than run Argo CD's three-way diff, fields that only
//! the cluster writes are dropped from both sides before the YAML is built: `status`, and in
//! `metadata` `managedFields`, `resourceVersion`, `uid`, `generation`, `creationTimestamp`
//! (gitops-engine's `diff.Normalize` drops this one too), `selfLink` and the last-applied
//! annotation. Every string is sanitized (by [`super::yaml::object_yaml`]). Each side is capped
//! at [`MAX_SIDE_LINES`] lines and the whole diff at [`MAX_TOTAL_LINES`], with a note.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::model::sanitize::clean;

/// Lines of YAML kept per side of one resource; a larger manifest is cut with a note.
pub const MAX_SIDE_LINES: usize = 2_000;
/// Diff lines kept over all resources of one application.
pub const MAX_TOTAL_LINES: usize = 10_000;
/// Lines of context around a change, as `diff -u`.
const CONTEXT: usize = 3;

const HOOK_ANNOTATIONS: [&str; 2] = ["argocd.argoproj.io/hook", "helm.sh/hook"];
const METADATA_DROPPED: [&str; 6] = [
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
];

/// What a sync would do to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Desired but not live: a sync creates it.
    Added,
    /// Live but not desired: a sync with prune deletes it.
    Removed,
    /// Both exist and differ.
    Changed,
}

impl Change {
    /// The word in the resource header.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Changed => "changed",
        }
    }
}

/// The role of one diff line; [`LineTag::marker`] makes it readable without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTag {
    /// `@@ -a,b +c,d @@`.
    Hunk,
    Context,
    /// Only live (`-`).
    Live,
    /// Only desired (`+`).
    Desired,
    /// A note of ours (a cap), marked `#`.
    Note,
}

impl LineTag {
    /// The marker column, as `diff -u` prints it.
    #[must_use]
    pub fn marker(self) -> &'static str {
        match self {
            Self::Hunk => "",
            Self::Context => " ",
            Self::Live => "-",
            Self::Desired => "+",
            Self::Note => "#",
        }
    }
}

/// One line of a resource's diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub tag: LineTag,
    pub text: String,
}

impl DiffLine {
    /// The marker and the text, as printed under `NO_COLOR`.
    #[must_use]
    pub fn plain(&self) -> String {
        format!("{}{}", self.tag.marker(), self.text)
    }
}

/// One resource that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceDiff {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub change: Change,
    pub lines: Vec<DiffLine>,
}

impl ResourceDiff {
    /// `apps/Deployment shop/web (changed)`; the core group shows as empty like the CLI.
    #[must_use]
    pub fn header(&self) -> String {
        format!(
            "{}/{} {}/{} ({})",
            self.group,
            self.kind,
            self.namespace,
            self.name,
            self.change.word()
        )
    }
}

/// The whole diff of one application.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppDiff {
    /// Resources that differ, in the server's order.
    pub resources: Vec<ResourceDiff>,
    /// Managed resources with no difference.
    pub unchanged: usize,
    /// Hooks left out, as the CLI does.
    pub hooks_skipped: usize,
    /// Items that could not be read, each with why (the rest is still shown).
    pub unreadable: Vec<String>,
    /// Whether [`MAX_TOTAL_LINES`] cut the diff.
    pub truncated: bool,
}

/// Counts for the dry-run summary: what a sync would create, change and prune.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanCounts {
    pub create: usize,
    pub change: usize,
    pub prune: usize,
}

impl AppDiff {
    /// What a sync would do, from the comparison.
    #[must_use]
    pub fn counts(&self) -> PlanCounts {
        let mut counts = PlanCounts::default();
        for r in &self.resources {
            match r.change {
                Change::Added => counts.create += 1,
                Change::Changed => counts.change += 1,
                Change::Removed => counts.prune += 1,
            }
        }
        counts
    }

    /// The whole diff as plain lines: a header per resource and marked lines.
    #[must_use]
    pub fn plain_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.resources {
            out.push(format!("===== {} =====", r.header()));
            out.extend(r.lines.iter().map(DiffLine::plain));
        }
        out
    }
}

/// Why the managed-resources answer cannot be read at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DiffError {
    #[error("managed-resources answer has no items list")]
    NoItems,
}

/// A state string parsed: `None` for an absent side (`""`, `"null"`).
fn state(item: &Value, field: &str) -> Result<Option<Value>, String> {
    let Some(text) = item.get(field).and_then(Value::as_str) else {
        return Ok(None);
    };
    if text.trim().is_empty() || text.trim() == "null" {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(e) => Err(format!("{field} is not JSON: {e}")),
    }
}

fn is_hook(object: Option<&Value>) -> bool {
    object
        .and_then(|o| o.pointer("/metadata/annotations"))
        .and_then(Value::as_object)
        .is_some_and(|a| HOOK_ANNOTATIONS.iter().any(|k| a.contains_key(*k)))
}

/// Drops what only the cluster writes, so both sides compare what a user declares.
#[must_use]
pub fn normalize(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for key in METADATA_DROPPED {
                meta.remove(key);
            }
        }
    }
    object
}

fn yaml(object: Option<Value>) -> (String, bool) {
    let Some(object) = object else {
        return (String::new(), false);
    };
    let text = super::yaml::object_yaml(&normalize(object));
    let mut lines = text.lines();
    let kept: Vec<&str> = lines.by_ref().take(MAX_SIDE_LINES).collect();
    let cut = lines.next().is_some();
    let mut out = kept.join("\n");
    out.push('\n');
    (out, cut)
}

fn diff_lines(live: &str, desired: &str) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(live, desired);
    let mut out = Vec::new();
    for hunk in diff.unified_diff().context_radius(CONTEXT).iter_hunks() {
        out.push(DiffLine {
            tag: LineTag::Hunk,
            text: hunk.header().to_string(),
        });
        for change in hunk.iter_changes() {
            let tag = match change.tag() {
                ChangeTag::Equal => LineTag::Context,
                ChangeTag::Delete => LineTag::Live,
                ChangeTag::Insert => LineTag::Desired,
            };
            let text = change.value().trim_end_matches('\n').to_owned();
            out.push(DiffLine { tag, text });
        }
    }
    out
}

fn text_field(item: &Value, field: &str) -> String {
    clean(item.get(field).and_then(Value::as_str).unwrap_or(""))
}

/// Builds the diff from a `ManagedResourcesResponse` body.
///
/// # Errors
/// Only when the body has no `items` list; a bad item is listed in
/// [`AppDiff::unreadable`] and the others are still diffed. proto3 JSON omits an empty list,
/// so `{}` is an application with no managed resources.
pub fn build(body: &Value) -> Result<AppDiff, DiffError> {
    let items = match body.get("items") {
        Some(Value::Array(items)) => items.as_slice(),
        None if body.is_object() => &[],
        _ => return Err(DiffError::NoItems),
    };
    let mut out = AppDiff::default();
    let mut total = 0usize;
    for item in items {
        let id = format!(
            "{}/{} {}/{}",
            text_field(item, "group"),
            text_field(item, "kind"),
            text_field(item, "namespace"),
            text_field(item, "name")
        );
        let sides = state(item, "normalizedLiveState")
            .and_then(|n| match n {
                Some(v) => Ok(Some(v)),
                None => state(item, "liveState"),
            })
            .and_then(|live| Ok((live, state(item, "targetState")?)))
            .and_then(|(live, target)| Ok((live, target, state(item, "predictedLiveState")?)));
        let (live, target, predicted) = match sides {
            Ok(sides) => sides,
            Err(why) => {
                out.unreadable.push(format!("{id}: {}", clean(&why)));
                continue;
            }
        };
        let hook = item.get("hook").and_then(Value::as_bool).unwrap_or(false);
        if hook || is_hook(live.as_ref()) || is_hook(target.as_ref()) {
            out.hooks_skipped += 1;
            continue;
        }
        let change = match (&live, &target) {
            (None, None) => {
                out.unchanged += 1;
                continue;
            }
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(_), Some(_)) => Change::Changed,
        };
        let desired = match (change, predicted) {
            (Change::Changed, Some(p)) => Some(p),
            _ => target,
        };
        let (live_yaml, live_cut) = yaml(live);
        let (desired_yaml, desired_cut) = yaml(desired);
        if change == Change::Changed && live_yaml == desired_yaml {
            out.unchanged += 1;
            continue;
        }
        let mut lines = diff_lines(&live_yaml, &desired_yaml);
        for (cut, side) in [(live_cut, "live"), (desired_cut, "desired")] {
            if cut {
                lines.push(DiffLine {
                    tag: LineTag::Note,
                    text: format!(" the {side} manifest is longer than {MAX_SIDE_LINES} lines; the rest is not compared"),
                });
            }
        }
        if total + lines.len() > MAX_TOTAL_LINES {
            let room = MAX_TOTAL_LINES.saturating_sub(total);
            lines.truncate(room);
            out.truncated = true;
        }
        total += lines.len();
        out.resources.push(ResourceDiff {
            group: text_field(item, "group"),
            kind: text_field(item, "kind"),
            namespace: text_field(item, "namespace"),
            name: text_field(item, "name"),
            change,
            lines,
        });
        if out.truncated {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn s(v: &Value) -> String {
        v.to_string()
    }

    fn configmap(value: &str, extra_meta: &Value) -> Value {
        let mut meta = json!({"name": "web-config", "namespace": "shop"});
        if let (Some(m), Some(extra)) = (meta.as_object_mut(), extra_meta.as_object()) {
            m.extend(extra.clone());
        }
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"LOG_LEVEL": value}})
    }

    #[test]
    fn a_changed_value_is_one_minus_and_one_plus_with_cluster_fields_dropped() {
        let live = configmap(
            "debug",
            &json!({"uid": "abc", "resourceVersion": "42", "generation": 3,
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{"manager": "argocd-controller"}],
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}),
        );
        let desired = configmap("info", &json!({}));
        let body = json!({"items": [{
            "kind": "ConfigMap", "namespace": "shop", "name": "web-config",
            "normalizedLiveState": s(&live), "liveState": s(&live),
            "targetState": s(&desired), "predictedLiveState": s(&desired)
        }]});
        let diff = build(&body).unwrap();
        assert_eq!(diff.resources.len(), 1);
        let r = &diff.resources[0];
        assert_eq!(r.header(), "/ConfigMap shop/web-config (changed)");
        let changed: Vec<String> = r
            .lines
            .iter()
            .filter(|l| matches!(l.tag, LineTag::Live | LineTag::Desired))
            .map(DiffLine::plain)
            .collect();
        assert_eq!(changed, vec!["-  LOG_LEVEL: debug", "+  LOG_LEVEL: info"]);
        let all = diff.plain_lines().join("\n");
        for dropped in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "managedFields",
            "last-applied",
        ] {
            assert!(!all.contains(dropped), "{dropped} left in:\n{all}");
        }
        assert_eq!(
            diff.counts(),
            PlanCounts {
                create: 0,
                change: 1,
                prune: 0
            }
        );
    }

    /// Side selection as `argocd app diff` does it (cmd/argocd/commands/app.go): predicted
    /// live state over target state when both sides exist; hooks skipped; missing sides shown
    /// as added/removed; identical objects not shown.
    #[test]
    fn side_selection_table_follows_the_cli() {
        let live = json!({"kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"image": "web:1.4.1"}]}}},
            "status": {"readyReplicas": 3}});
        // The target has no replicas (an HPA owns them): the predicted state keeps live's 3,
        // so only the image differs.
        let target = json!({"kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [{"image": "web:1.4.2"}]}}}});
        let predicted = json!({"kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"image": "web:1.4.2"}]}}}});
        let hook = json!({"kind": "Job", "metadata": {"name": "migrate",
            "annotations": {"argocd.argoproj.io/hook": "PreSync"}}});
        let body = json!({"items": [
            {"group": "apps", "kind": "Deployment", "namespace": "shop", "name": "web",
             "normalizedLiveState": s(&live), "targetState": s(&target), "predictedLiveState": s(&predicted)},
            {"group": "batch", "kind": "Job", "namespace": "shop", "name": "migrate",
             "targetState": s(&hook), "liveState": "null"},
            {"kind": "Service", "namespace": "shop", "name": "web-canary",
             "targetState": s(&json!({"kind": "Service", "metadata": {"name": "web-canary"}})), "liveState": "null"},
            {"kind": "Secret", "namespace": "shop", "name": "old",
             "liveState": s(&json!({"kind": "Secret", "metadata": {"name": "old"}})), "targetState": ""},
            {"kind": "Service", "namespace": "shop", "name": "web",
             "liveState": s(&json!({"kind": "Service", "metadata": {"name": "web", "uid": "1"}})),
             "targetState": s(&json!({"kind": "Service", "metadata": {"name": "web"}}))}
        ]});
        let diff = build(&body).unwrap();
        let headers: Vec<String> = diff.resources.iter().map(ResourceDiff::header).collect();
        assert_eq!(
            headers,
            vec![
                "apps/Deployment shop/web (changed)",
                "/Service shop/web-canary (added)",
                "/Secret shop/old (removed)",
            ]
        );
        assert_eq!(diff.hooks_skipped, 1);
        assert_eq!(diff.unchanged, 1);
        let deploy = diff.resources[0]
            .lines
            .iter()
            .map(DiffLine::plain)
            .collect::<Vec<_>>();
        assert!(
            !deploy
                .iter()
                .any(|l| l.contains("replicas") && (l.starts_with('-') || l.starts_with('+'))),
            "{deploy:?}"
        );
        assert!(
            deploy
                .iter()
                .any(|l| l.starts_with('+') && l.contains("web:1.4.2")),
            "{deploy:?}"
        );
        assert!(
            !deploy.iter().any(|l| l.contains("readyReplicas")),
            "status dropped: {deploy:?}"
        );
        assert_eq!(
            diff.counts(),
            PlanCounts {
                create: 1,
                change: 1,
                prune: 1
            }
        );
        let added = &diff.resources[1].lines;
        assert!(
            added.iter().skip(1).all(|l| l.tag == LineTag::Desired),
            "{added:?}"
        );
    }

    #[test]
    fn hostile_strings_are_cleaned_and_a_bad_item_does_not_hide_the_rest() {
        let live = configmap("a\u{1b}]52;c;ZXZpbA==\u{7}b", &json!({}));
        let desired = configmap("x\u{202e}y", &json!({}));
        let body = json!({"items": [
            {"kind": "ConfigMap\u{1b}[2J", "namespace": "shop", "name": "bad", "liveState": "{not json"},
            {"kind": "ConfigMap", "namespace": "shop", "name": "web-config",
             "liveState": s(&live), "targetState": s(&desired)}
        ]});
        let diff = build(&body).unwrap();
        assert_eq!(diff.unreadable.len(), 1);
        assert!(
            !diff.unreadable[0].contains('\u{1b}'),
            "{:?}",
            diff.unreadable
        );
        let all = diff.plain_lines().join("\n");
        assert!(
            !all.contains('\u{1b}') && !all.contains('\u{202e}') && !all.contains('\u{7}'),
            "{all:?}"
        );
        assert_eq!(diff.resources.len(), 1);
    }

    #[test]
    fn large_manifests_are_capped_with_a_note() {
        let big: serde_json::Map<String, Value> = (0..MAX_SIDE_LINES + 50)
            .map(|i| (format!("k{i:05}"), Value::String(format!("v{i}"))))
            .collect();
        let live = json!({"kind": "ConfigMap", "metadata": {"name": "big"}, "data": big});
        let body = json!({"items": [{"kind": "ConfigMap", "namespace": "shop", "name": "big",
            "targetState": s(&live), "liveState": "null"}]});
        let diff = build(&body).unwrap();
        let lines = &diff.resources[0].lines;
        assert!(lines.len() <= MAX_SIDE_LINES + 3, "{}", lines.len());
        assert_eq!(lines.last().map(|l| l.tag), Some(LineTag::Note));
        assert!(
            lines
                .last()
                .unwrap()
                .plain()
                .contains("longer than 2000 lines")
        );
    }

    #[test]
    fn empty_answers_read_as_no_resources() {
        assert_eq!(build(&json!({})).unwrap(), AppDiff::default());
        assert_eq!(build(&json!({"items": []})).unwrap(), AppDiff::default());
        assert_eq!(build(&json!([])), Err(DiffError::NoItems));
    }
}
