//! Reading an object field by field, so one malformed field never hides the whole object.
//!
//! A custom resource's schema is only as strict as its CRD: an old or hand-edited Rollout can
//! carry, say, a `status.conditions` that is not a list. A derived `Deserialize` then fails for
//! the whole object, and a failing object fails the whole watch list. [`read_lenient`] instead
//! drops the one value that does not fit (the field falls back to its default), retries, and
//! returns a "cannot read <field>: <why>" note per dropped value for the row and the detail.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// More malformed values than this in one object and the rest of it is given up on.
const MAX_DROPPED: usize = 32;

/// `value` as a `T`, dropping each value that does not fit, with a note per dropped value.
#[must_use]
pub fn read_lenient<T: DeserializeOwned + Default>(mut value: Value) -> (T, Vec<String>) {
    let mut notes = Vec::new();
    for _ in 0..MAX_DROPPED {
        match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(read) => return (read, notes),
            Err(e) => {
                let path = e.path().to_string();
                // The error quotes the object's value: external text, made inert.
                notes.push(crate::model::clean(&format!(
                    "cannot read {path}: {}",
                    e.inner()
                )));
                if !drop_at(&mut value, e.path()) {
                    return (T::default(), notes);
                }
            }
        }
    }
    notes.push(format!(
        "cannot read the object: more than {MAX_DROPPED} malformed fields"
    ));
    (T::default(), notes)
}

/// Removes the value at `path` (a map key or a list item); false if there is nothing to
/// remove there (the root itself does not fit).
fn drop_at(value: &mut Value, path: &serde_path_to_error::Path) -> bool {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = path.iter().collect();
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut parent = value;
    for segment in parents {
        let next = match segment {
            Segment::Map { key } => parent.get_mut(key.as_str()),
            Segment::Seq { index } => parent.get_mut(*index),
            _ => None,
        };
        match next {
            Some(v) => parent = v,
            None => return false,
        }
    }
    match (last, parent) {
        (Segment::Map { key }, Value::Object(map)) => map.remove(key.as_str()).is_some(),
        (Segment::Seq { index }, Value::Array(items)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Shape {
        name: String,
        items: Vec<Item>,
        count: i32,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Item {
        kind: String,
    }

    #[test]
    fn a_malformed_field_is_dropped_with_a_note_and_the_rest_is_read() {
        let (shape, notes) =
            read_lenient::<Shape>(json!({"name": "web", "items": "not a list", "count": 3}));
        assert_eq!(shape.name, "web");
        assert_eq!(shape.count, 3);
        assert!(shape.items.is_empty());
        assert_eq!(
            notes,
            ["cannot read items: invalid type: string \"not a list\", expected a sequence"]
        );
    }

    #[test]
    fn a_malformed_field_of_a_list_item_is_dropped_alone() {
        let (shape, notes) = read_lenient::<Shape>(
            json!({"items": [{"kind": "a"}, {"kind": 7}, {"kind": "c"}], "count": "x"}),
        );
        // Only the malformed field goes: the item stays, with that field defaulted.
        assert_eq!(
            shape.items,
            [
                Item { kind: "a".into() },
                Item::default(),
                Item { kind: "c".into() }
            ]
        );
        assert_eq!(
            notes,
            [
                "cannot read count: invalid type: string \"x\", expected i32",
                "cannot read items[1].kind: invalid type: integer `7`, expected a string"
            ]
        );
    }

    #[test]
    fn a_root_that_is_not_an_object_gives_the_default() {
        let (shape, notes) = read_lenient::<Shape>(json!("text"));
        assert_eq!(shape, Shape::default());
        assert_eq!(notes.len(), 1);
    }
}
