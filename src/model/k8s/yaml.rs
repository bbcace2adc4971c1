//! An object as YAML for the `v` view and the clipboard: `metadata.managedFields` and the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation dropped (they repeat the
//! object and bury what matters), every string (keys and values) sanitized, so a hostile
//! label or message stays inert in a cell and on the clipboard.

use serde_json::Value;

use crate::model::sanitize::clean_multiline;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn scrub(value: &mut Value) {
    match value {
        Value::String(s) => *s = clean_multiline(s),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => {
            let cleaned: serde_json::Map<String, Value> = std::mem::take(map)
                .into_iter()
                .map(|(k, mut v)| {
                    scrub(&mut v);
                    (clean_multiline(&k), v)
                })
                .collect();
            *map = cleaned;
        }
        _ => {}
    }
}

/// The object as YAML, cleaned.
#[must_use]
pub fn object_yaml(object: &Value) -> String {
    let mut object = object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove(LAST_APPLIED);
            if annotations.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    scrub(&mut object);
    serde_yaml::to_string(&object).unwrap_or_else(|e| format!("# cannot show as YAML: {e}\n"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn managed_fields_go_and_strings_are_cleaned() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "api-1", "managedFields": [{"manager": "kubectl"}],
                "annotations": {LAST_APPLIED: "{...}"}, "labels": {"evil\u{1b}[2J": "x\u{202e}y"}},
            "status": {"message": "line one\nline two"}});
        let yaml = object_yaml(&pod);
        assert!(!yaml.contains("managedFields"), "{yaml}");
        assert!(!yaml.contains("last-applied"), "{yaml}");
        assert!(
            !yaml.contains('\u{1b}') && !yaml.contains('\u{202e}'),
            "{yaml}"
        );
        assert!(yaml.contains("name: api-1"), "{yaml}");
        assert!(yaml.contains("line one"), "{yaml}");
    }
}
