//! The sandbox's read-replica provisioner, run by the sandbox platform server as
//! `opsdeck sandbox-provisioner`: the same JSON-in, JSON-out contract a real provisioner
//! script follows (see `platform::fulfil`), so the sandbox exercises the real path.

use std::io::{self, Read, Write};
use std::time::Duration;

use serde_json::{Value, json};

/// How long the simulated provisioning takes, so the user sees `provisioning` before `ready`.
const PROVISIONING_TIME: Duration = Duration::from_secs(3);

/// Reads the request, "provisions" the replica and prints the answer.
pub fn run(mut input: impl Read, mut output: impl Write) -> io::Result<()> {
    let mut raw = String::new();
    input.read_to_string(&mut raw)?;
    let answer = answer(&raw);
    if answer["ok"] == json!(true) {
        std::thread::sleep(PROVISIONING_TIME);
    }
    writeln!(output, "{answer}")
}

/// The provisioner's answer for one request body.
#[must_use]
pub fn answer(raw: &str) -> Value {
    let Ok(request) = serde_json::from_str::<Value>(raw) else {
        return json!({"ok": false, "detail": "request is not JSON"});
    };
    let spec = &request["spec"];
    let (Some(database), Some(size), Some(ttl)) = (
        spec["database"].as_str(),
        spec["size"].as_str(),
        spec["ttl"].as_str(),
    ) else {
        return json!({"ok": false, "detail": "spec needs database, size and ttl"});
    };
    let id = request["request_id"].as_str().unwrap_or("replica");
    let short: String = id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    json!({
        "ok": true,
        "detail": format!("{size} replica of {database} is ready for {ttl}"),
        "endpoint": format!("{database}-ro-{short}.sandbox.internal:5432"),
        "ttl": ttl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_an_endpoint_or_a_reason() {
        let ok = answer(
            r#"{"request_id":"r-1","spec":{"database":"orders-db","size":"small","ttl":"8h"}}"#,
        );
        assert_eq!(ok["ok"], json!(true));
        assert!(
            ok["endpoint"]
                .as_str()
                .unwrap_or_default()
                .starts_with("orders-db-ro-r1")
        );
        let bad = answer("{}");
        assert_eq!(bad["ok"], json!(false));
    }
}
