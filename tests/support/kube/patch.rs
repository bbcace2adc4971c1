//! Patch semantics: RFC 7386 JSON merge patch, and enough of RFC 6902 JSON patch for what
//! clients send.

use serde_json::{Map, Value};

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else {
        return;
    };
    for (k, v) in patch {
        if v.is_null() {
            map.remove(k);
        } else {
            merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// RFC 6902 JSON patch: `add`, `remove`, `replace`, `test` (enough for what clients send).
pub fn json_patch(doc: &Value, patch: &Value) -> Result<Value, String> {
    let mut doc = doc.clone();
    for op in patch.as_array().ok_or("a JSON patch is an array")? {
        let pointer = op["path"].as_str().ok_or("operation without path")?;
        let parts: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|p| p.replace("~1", "/").replace("~0", "~"))
            .collect();
        let (last, parents) = parts.split_last().ok_or("cannot patch the root")?;
        let parent = parents
            .iter()
            .try_fold(&mut doc, |v, p| match v {
                Value::Object(m) => m.get_mut(p),
                Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            })
            .ok_or_else(|| format!("path {pointer} does not exist"))?;
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        match (op["op"].as_str().unwrap_or_default(), parent) {
            ("add" | "replace", Value::Object(m)) => {
                m.insert(last.clone(), value);
            }
            ("add", Value::Array(a)) => {
                let i = if last == "-" {
                    a.len()
                } else {
                    last.parse().map_err(|_| "bad index")?
                };
                if i > a.len() {
                    return Err(format!("index out of range in {pointer}"));
                }
                a.insert(i, value);
            }
            ("replace", Value::Array(a)) => {
                let slot = last
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| a.get_mut(i))
                    .ok_or_else(|| format!("index out of range in {pointer}"))?;
                *slot = value;
            }
            ("remove", Value::Object(m)) => {
                m.remove(last).ok_or_else(|| {
                    format!("unable to remove nonexistent key: {last}: missing value")
                })?;
            }
            ("remove", Value::Array(a)) => {
                let i: usize = last.parse().map_err(|_| "bad index")?;
                if i >= a.len() {
                    return Err(format!("index out of range in {pointer}"));
                }
                a.remove(i);
            }
            ("test", parent) => {
                let have = match parent {
                    Value::Object(m) => m.get(last),
                    Value::Array(a) => last.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                };
                if have != Some(&value) {
                    return Err(format!("testing value {pointer} failed"));
                }
            }
            (other, _) => {
                return Err(format!(
                    "unsupported JSON patch operation {other:?} at {pointer}"
                ));
            }
        }
    }
    Ok(doc)
}
