//! Fulfilment of approved requests.
//!
//! `read_replica` runs the operator's provisioner command (through `sh -c`): it gets one
//! JSON object on stdin, `{request_id, kind, requester, spec}`, and must print one JSON
//! object on stdout with `"ok": true|false` and an optional `"detail"` string; anything
//! else it prints is kept as the request's result (endpoints, expiry, ...). A non-zero
//! exit, a timeout or unparseable output fails the request with that reason. Keeping the
//! provisioner outside the server means the server needs no cloud credentials.
//!
//! `kafka_topic` goes through a [`TopicCreator`]; the rdkafka one is plugged in by the
//! Kafka part. Without one the request stays approved and says why, so nothing pretends
//! to have happened.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::model::platform::{KafkaTopicSpec, Request, RequestSpec};

/// Reason shown on an approved `kafka_topic` request when no creator is configured.
pub const NO_BROKERS: &str = "no Kafka brokers configured";
/// Reason shown on an approved `read_replica` request when no provisioner is configured.
pub const NO_PROVISIONER: &str =
    "no provisioner configured on the platform server (--provisioner); create the replica by hand";
/// Reason shown on an approved action approval.
pub const RERUN_ACTION: &str = "approved: run the action again to execute it";

/// Output kept from a provisioner, so a chatty script cannot bloat the store.
const MAX_OUTPUT: usize = 16 * 1024;

/// Creates Kafka topics for approved `kafka_topic` requests. Returns a JSON description of
/// what was created, or a human-readable error.
pub trait TopicCreator: Send + Sync + 'static {
    fn create_topic(&self, spec: KafkaTopicSpec) -> BoxFuture<'static, Result<Value, String>>;
}

/// What approval leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Stays `approved` with this reason.
    Manual(String),
    /// Goes on to `provisioning`, then `ready` or `failed`.
    Automatic,
}

/// Fulfilment settings of one server.
#[derive(Clone)]
pub struct Fulfiller {
    pub provisioner: Option<String>,
    pub timeout: Duration,
    pub topics: Option<Arc<dyn TopicCreator>>,
}

impl std::fmt::Debug for Fulfiller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fulfiller")
            .field("provisioner", &self.provisioner)
            .field("timeout", &self.timeout)
            .field("topics", &self.topics.is_some())
            .finish()
    }
}

impl Fulfiller {
    #[must_use]
    pub fn plan(&self, spec: &RequestSpec) -> Plan {
        match spec {
            RequestSpec::ReadReplica(_) if self.provisioner.is_none() => {
                Plan::Manual(NO_PROVISIONER.into())
            }
            RequestSpec::KafkaTopic(_) if self.topics.is_none() => Plan::Manual(NO_BROKERS.into()),
            RequestSpec::Action(_) => Plan::Manual(RERUN_ACTION.into()),
            _ => Plan::Automatic,
        }
    }

    /// Carries out an approved request. `Ok` holds the result to keep on the request.
    pub async fn fulfil(&self, request: &Request) -> Result<Value, String> {
        match (&request.spec, &self.provisioner, &self.topics) {
            (RequestSpec::ReadReplica(spec), Some(cmd), _) => {
                let input = json!({
                    "request_id": request.id,
                    "kind": "read_replica",
                    "requester": request.requester,
                    "spec": spec,
                });
                run_provisioner(cmd, &input, self.timeout).await
            }
            (RequestSpec::KafkaTopic(spec), _, Some(creator)) => {
                creator.create_topic(spec.clone()).await
            }
            _ => Err("nothing can fulfil this request".into()),
        }
    }
}

/// Runs the provisioner command with `input` on stdin and interprets its answer.
pub async fn run_provisioner(cmd: &str, input: &Value, timeout: Duration) -> Result<Value, String> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start provisioner: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let bytes = serde_json::to_vec(input).map_err(|e| e.to_string())?;
        // A provisioner that ignores stdin closes it early; that is not a failure.
        let _ = stdin.write_all(&bytes).await;
    }
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| format!("provisioner timed out after {} s", timeout.as_secs_f64()))?
        .map_err(|e| format!("provisioner: {e}"))?;
    if !output.status.success() {
        let stderr = tail(&String::from_utf8_lossy(&output.stderr));
        return Err(format!(
            "provisioner exited with {}: {}",
            output.status,
            if stderr.is_empty() {
                "(no stderr)"
            } else {
                &stderr
            }
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    if stdout.len() > MAX_OUTPUT {
        return Err(format!("provisioner printed more than {MAX_OUTPUT} bytes"));
    }
    let answer: Value = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("provisioner printed invalid JSON ({e}): {}", tail(&stdout)))?;
    match answer.get("ok").and_then(Value::as_bool) {
        Some(true) => Ok(answer),
        Some(false) => Err(answer
            .get("detail")
            .and_then(Value::as_str)
            .unwrap_or("provisioner reported failure without detail")
            .to_owned()),
        None => Err("provisioner answer lacks a boolean \"ok\"".into()),
    }
}

/// Last part of a stream, sanitized, for error messages.
fn tail(s: &str) -> String {
    let clean: String = s
        .trim()
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect();
    let chars: Vec<char> = clean.chars().collect();
    let start = chars.len().saturating_sub(2000);
    chars[start..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn provisioner_protocol() {
        let t = Duration::from_secs(5);
        let input = json!({"x": 1});
        let ok = run_provisioner(
            r#"cat >/dev/null; echo '{"ok":true,"detail":"up"}'"#,
            &input,
            t,
        )
        .await
        .expect("ok");
        assert_eq!(ok["detail"], "up");
        let echoed = run_provisioner(
            r#"read line; echo "{\"ok\":true,\"got\":$line}""#,
            &input,
            t,
        )
        .await
        .expect("reads stdin");
        assert_eq!(echoed["got"]["x"], 1);
        let err = run_provisioner(r#"echo '{"ok":false,"detail":"quota"}'"#, &input, t)
            .await
            .expect_err("must fail");
        assert_eq!(err, "quota");
        let err = run_provisioner("echo boom >&2; exit 3", &input, t)
            .await
            .expect_err("must fail");
        assert!(err.contains("boom") && err.contains('3'), "{err}");
        let err = run_provisioner("echo not json", &input, t)
            .await
            .expect_err("must fail");
        assert!(err.contains("invalid JSON"), "{err}");
        let err = run_provisioner("sleep 5", &input, Duration::from_millis(100))
            .await
            .expect_err("must fail");
        assert!(err.contains("timed out"), "{err}");
    }
}
