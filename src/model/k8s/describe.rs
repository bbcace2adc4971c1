//! What `kubectl describe` shows, as lines: for a pod its containers (state, last state,
//! exit codes, probes, resources, mounts), conditions, volumes by name, owner and events;
//! for a workload its replicas, strategy, pod template and conditions; for anything else its
//! metadata and conditions. Built from the object as JSON (fetched whole when the view
//! opens), so a field of an unexpected shape is shown as "cannot read", never hides the rest.
//! Formats follow kubectl (kubernetes/kubectl@dee3483a, pkg/describe/describe.go:
//! `describeContainerState`, `DescribeProbe`, `DescribeEvents`).
//! Every string is sanitized here: the views print these lines as they are.

use jiff::Timestamp;
use serde_json::Value;

use crate::model::sanitize::clean;
use crate::model::text::short_age;

/// How a line reads at a glance (a glyph says the same for `NO_COLOR` users).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Heading,
    Good,
    Warn,
    Bad,
    Muted,
}

/// One line of the describe view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub indent: u8,
    pub label: String,
    pub value: String,
    pub tone: Tone,
}

struct Out {
    lines: Vec<Line>,
    now: Timestamp,
}

impl Out {
    fn push(&mut self, indent: u8, label: &str, value: impl AsRef<str>, tone: Tone) {
        self.lines.push(Line {
            indent,
            label: clean(label),
            value: clean(value.as_ref()),
            tone,
        });
    }
    fn kv(&mut self, indent: u8, label: &str, value: impl AsRef<str>) {
        self.push(indent, label, value, Tone::Plain);
    }
    fn heading(&mut self, indent: u8, label: &str) {
        self.push(indent, label, "", Tone::Heading);
    }
    fn age(&self, at: &Value) -> Option<String> {
        let t: Timestamp = at.as_str()?.parse().ok()?;
        Some(short_age(self.now.duration_since(t).as_secs()))
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A list field, or the note that it cannot be read (it is present but not a list).
fn list<'a>(out: &mut Out, v: &'a Value, key: &str, indent: u8) -> &'a [Value] {
    match v.get(key) {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            let kind = match other {
                Value::Object(_) => "an object",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "something else",
            };
            out.push(
                indent,
                key,
                format!("cannot read: {kind}, not a list"),
                Tone::Warn,
            );
            &[]
        }
    }
}

/// The object described, with its events (core/v1 Events, any order).
#[must_use]
pub fn describe(object: &Value, events: &[Value], now: Timestamp) -> Vec<Line> {
    let mut out = Out {
        lines: Vec::new(),
        now,
    };
    let meta = object.get("metadata").unwrap_or(&Value::Null);
    let kind = s(object, "kind");
    out.kv(0, "Name", s(meta, "name"));
    if !s(meta, "namespace").is_empty() {
        out.kv(0, "Namespace", s(meta, "namespace"));
    }
    out.kv(0, "Kind", format!("{kind} ({})", s(object, "apiVersion")));
    if let Some(age) = out.age(meta.get("creationTimestamp").unwrap_or(&Value::Null)) {
        out.kv(
            0,
            "Created",
            format!("{} ({age} ago)", s(meta, "creationTimestamp")),
        );
    }
    labels(&mut out, meta);
    if let Some(owner) = list(&mut out, meta, "ownerReferences", 0).first() {
        out.kv(
            0,
            "Controlled By",
            format!("{}/{}", s(owner, "kind"), s(owner, "name")),
        );
    }
    if meta.get("deletionTimestamp").is_some() {
        out.push(
            0,
            "Deleting",
            format!("since {}", text(&meta["deletionTimestamp"])),
            Tone::Warn,
        );
    }
    let spec = object.get("spec").unwrap_or(&Value::Null);
    let status = object.get("status").unwrap_or(&Value::Null);
    match kind {
        "Pod" => pod(&mut out, spec, status),
        "Deployment" | "Rollout" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            workload(&mut out, spec, status);
        }
        "ConfigMap" | "Secret" => data(&mut out, object, kind == "Secret"),
        "Service" => service(&mut out, spec),
        _ => {}
    }
    conditions(&mut out, status);
    events_section(&mut out, events);
    out.lines
}

/// `Labels:` as `key=value` pairs on one line (kubectl prints one a line; here the line
/// wraps), `<none>` without any.
fn labels(out: &mut Out, meta: &Value) {
    match meta.get("labels").and_then(Value::as_object) {
        Some(map) if !map.is_empty() => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", text(v)))
                .collect();
            out.kv(0, "Labels", pairs.join(", "));
        }
        _ => out.kv(0, "Labels", "<none>"),
    }
}

/// A `ConfigMap`'s data whole (kubectl describe shows it); a Secret's keys with their sizes
/// only, never the values (as `kubectl describe secret`).
fn data(out: &mut Out, object: &Value, secret: bool) {
    out.heading(0, "Data");
    let Some(map) = object.get("data").and_then(Value::as_object) else {
        out.kv(1, "", "<none>");
        return;
    };
    for (key, value) in map {
        if secret {
            // Secret data is base64: its decoded size is what kubectl prints.
            let encoded = text(value);
            let padding = encoded.bytes().rev().take_while(|b| *b == b'=').count();
            let size = (encoded.len() / 4 * 3).saturating_sub(padding);
            out.kv(1, key, format!("{size} bytes"));
        } else {
            let value = text(value);
            let mut lines = value.lines();
            out.kv(1, key, lines.next().unwrap_or_default());
            for more in lines {
                out.kv(2, "", more);
            }
        }
    }
}

/// A Service's type, addresses and ports.
fn service(out: &mut Out, spec: &Value) {
    out.kv(0, "Type", s(spec, "type"));
    if !s(spec, "clusterIP").is_empty() {
        out.kv(0, "IP", s(spec, "clusterIP"));
    }
    for port in list(out, spec, "ports", 0) {
        out.kv(
            0,
            "Port",
            format!(
                "{} {}/{} → {}",
                s(port, "name"),
                text(&port["port"]),
                s(port, "protocol"),
                text(&port["targetPort"])
            ),
        );
    }
}

fn pod(out: &mut Out, spec: &Value, status: &Value) {
    out.kv(0, "Node", s(spec, "nodeName"));
    let phase = s(status, "phase");
    let tone = match phase {
        "Running" | "Succeeded" => Tone::Good,
        "Failed" => Tone::Bad,
        _ => Tone::Warn,
    };
    out.push(0, "Status", phase, tone);
    for (key, label) in [
        ("reason", "Reason"),
        ("message", "Message"),
        ("podIP", "IP"),
    ] {
        if !s(status, key).is_empty() {
            out.kv(0, label, s(status, key));
        }
    }
    out.kv(
        0,
        "Restart Policy",
        match s(spec, "restartPolicy") {
            "" => "Always",
            p => p,
        },
    );
    if !s(status, "qosClass").is_empty() {
        out.kv(0, "QoS Class", s(status, "qosClass"));
    }
    for (spec_key, status_key, title) in [
        ("initContainers", "initContainerStatuses", "Init Containers"),
        ("containers", "containerStatuses", "Containers"),
        (
            "ephemeralContainers",
            "ephemeralContainerStatuses",
            "Ephemeral Containers",
        ),
    ] {
        let specs = list(out, spec, spec_key, 0);
        if specs.is_empty() {
            continue;
        }
        let statuses = list(out, status, status_key, 0);
        out.heading(0, title);
        for c in specs {
            let name = s(c, "name");
            let st = statuses.iter().find(|x| s(x, "name") == name);
            container(out, c, st);
        }
    }
    let volumes = list(out, spec, "volumes", 0);
    if !volumes.is_empty() {
        out.heading(0, "Volumes");
        for v in volumes {
            out.kv(1, s(v, "name"), volume_source(v));
        }
    }
}

fn volume_source(v: &Value) -> String {
    let Some(map) = v.as_object() else {
        return String::new();
    };
    for (key, source) in map {
        let detail = match key.as_str() {
            "name" => continue,
            "configMap" => format!("ConfigMap {}", s(source, "name")),
            "secret" => format!("Secret {}", s(source, "secretName")),
            "persistentVolumeClaim" => format!("PersistentVolumeClaim {}", s(source, "claimName")),
            "emptyDir" => "EmptyDir".to_owned(),
            "hostPath" => format!("HostPath {}", s(source, "path")),
            "projected" => "Projected (service account token and friends)".to_owned(),
            "downwardAPI" => "DownwardAPI".to_owned(),
            other => other.to_owned(),
        };
        return detail;
    }
    String::new()
}

fn container(out: &mut Out, c: &Value, status: Option<&Value>) {
    out.heading(1, s(c, "name"));
    let image = status
        .map(|st| s(st, "image"))
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| s(c, "image"));
    out.kv(2, "Image", image);
    for port in list(out, c, "ports", 2) {
        let proto = match s(port, "protocol") {
            "" => "TCP",
            p => p,
        };
        let name = s(port, "name");
        let label = if name.is_empty() {
            String::new()
        } else {
            format!(" ({name})")
        };
        out.kv(
            2,
            "Port",
            format!("{}/{proto}{label}", text(&port["containerPort"])),
        );
    }
    if let Some(st) = status {
        state(out, "State", st.get("state"));
        if st
            .get("lastState")
            .is_some_and(|l| l.as_object().is_some_and(|m| !m.is_empty()))
        {
            state(out, "Last State", st.get("lastState"));
        }
        let ready = st.get("ready").and_then(Value::as_bool).unwrap_or(false);
        out.push(
            2,
            "Ready",
            if ready { "True" } else { "False" },
            if ready { Tone::Good } else { Tone::Warn },
        );
        let restarts = st.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
        out.push(
            2,
            "Restart Count",
            restarts.to_string(),
            if restarts > 0 {
                Tone::Warn
            } else {
                Tone::Plain
            },
        );
    } else {
        out.push(2, "State", "no status yet", Tone::Muted);
    }
    resources(out, c.get("resources"));
    for (key, label) in [
        ("livenessProbe", "Liveness"),
        ("readinessProbe", "Readiness"),
        ("startupProbe", "Startup"),
    ] {
        if let Some(p) = c.get(key) {
            out.kv(2, label, probe(p));
        }
    }
    let env = list(out, c, "env", 2).len();
    if env > 0 {
        // Names only would still leak intent; values may be secrets. The YAML view has them.
        out.push(
            2,
            "Environment",
            format!("{env} variables (values in the YAML view)"),
            Tone::Muted,
        );
    }
    let mounts = list(out, c, "volumeMounts", 2);
    if !mounts.is_empty() {
        let text: Vec<String> = mounts
            .iter()
            .map(|m| {
                let ro = if m.get("readOnly").and_then(Value::as_bool).unwrap_or(false) {
                    " (ro)"
                } else {
                    ""
                };
                format!("{} from {}{ro}", s(m, "mountPath"), s(m, "name"))
            })
            .collect();
        out.kv(2, "Mounts", text.join(", "));
    }
}

/// kubectl's `describeContainerState`: Running/Waiting/Terminated with reason, exit code,
/// signal, and start and finish.
fn state(out: &mut Out, label: &str, st: Option<&Value>) {
    let st = st.unwrap_or(&Value::Null);
    if let Some(r) = st.get("running") {
        out.push(
            2,
            label,
            format!("Running since {}", s(r, "startedAt")),
            Tone::Good,
        );
    } else if let Some(w) = st.get("waiting") {
        let reason = s(w, "reason");
        let tone = if matches!(reason, "ContainerCreating" | "PodInitializing") {
            Tone::Warn
        } else {
            Tone::Bad
        };
        out.push(2, label, format!("Waiting: {reason}"), tone);
        if !s(w, "message").is_empty() {
            out.push(3, "Message", s(w, "message"), tone);
        }
    } else if let Some(t) = st.get("terminated") {
        let code = t.get("exitCode").and_then(Value::as_i64).unwrap_or(0);
        let tone = if code == 0 { Tone::Plain } else { Tone::Bad };
        out.push(
            2,
            label,
            format!(
                "Terminated: {}",
                match s(t, "reason") {
                    "" => "(no reason)",
                    r => r,
                }
            ),
            tone,
        );
        out.push(3, "Exit Code", code.to_string(), tone);
        if let Some(sig) = t.get("signal").and_then(Value::as_i64).filter(|s| *s != 0) {
            out.push(3, "Signal", sig.to_string(), tone);
        }
        if !s(t, "message").is_empty() {
            out.push(3, "Message", s(t, "message"), tone);
        }
        out.kv(3, "Started", s(t, "startedAt"));
        out.kv(3, "Finished", s(t, "finishedAt"));
    } else {
        out.push(2, label, "Waiting", Tone::Warn);
    }
}

fn resources(out: &mut Out, r: Option<&Value>) {
    let Some(r) = r else { return };
    for (key, label) in [("limits", "Limits"), ("requests", "Requests")] {
        if let Some(map) = r
            .get(key)
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
        {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k} {}", text(v)))
                .collect();
            out.kv(2, label, parts.join(", "));
        }
    }
}

/// kubectl's `DescribeProbe`: `http-get http://:8080/healthz delay=0s timeout=1s period=10s
/// #success=1 #failure=3`.
fn probe(p: &Value) -> String {
    let n = |key: &str, default: i64| p.get(key).and_then(Value::as_i64).unwrap_or(default);
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        n("initialDelaySeconds", 0),
        n("timeoutSeconds", 1),
        n("periodSeconds", 10),
        n("successThreshold", 1),
        n("failureThreshold", 3)
    );
    if let Some(e) = p.get("exec") {
        let cmd: Vec<String> = e
            .get("command")
            .and_then(Value::as_array)
            .map(|c| c.iter().map(text).collect())
            .unwrap_or_default();
        return format!("exec [{}] {attrs}", cmd.join(" "));
    }
    if let Some(h) = p.get("httpGet") {
        let scheme = match s(h, "scheme") {
            "" => "http",
            x => x,
        }
        .to_lowercase();
        return format!(
            "http-get {scheme}://{}:{}{} {attrs}",
            s(h, "host"),
            text(&h["port"]),
            s(h, "path")
        );
    }
    if let Some(t) = p.get("tcpSocket") {
        return format!("tcp-socket {}:{} {attrs}", s(t, "host"), text(&t["port"]));
    }
    if let Some(g) = p.get("grpc") {
        return format!(
            "grpc <pod>:{} {} {attrs}",
            text(&g["port"]),
            s(g, "service")
        );
    }
    format!("unknown {attrs}")
}

fn workload(out: &mut Out, spec: &Value, status: &Value) {
    let n = |v: &Value, key: &str| v.get(key).and_then(Value::as_i64);
    if let Some(desired) = n(spec, "replicas") {
        out.kv(
            0,
            "Replicas",
            format!(
                "{desired} desired | {} updated | {} total | {} ready | {} available",
                n(status, "updatedReplicas").unwrap_or(0),
                n(status, "replicas").unwrap_or(0),
                n(status, "readyReplicas").unwrap_or(0),
                n(status, "availableReplicas").unwrap_or(0),
            ),
        );
    }
    if let Some(strategy) = spec.get("strategy") {
        let name = match strategy {
            Value::Object(m) if m.contains_key("canary") => "Canary".to_owned(),
            Value::Object(m) if m.contains_key("blueGreen") => "BlueGreen".to_owned(),
            other => match s(other, "type") {
                "" => "RollingUpdate".to_owned(),
                t => t.to_owned(),
            },
        };
        out.kv(0, "Strategy", name);
    }
    if spec.get("paused").and_then(Value::as_bool) == Some(true) {
        out.push(0, "Paused", "true", Tone::Warn);
    }
    if let Some(template) = spec.get("template").and_then(|t| t.get("spec")) {
        let containers = list(out, template, "containers", 0);
        if !containers.is_empty() {
            out.heading(0, "Pod Template");
            for c in containers {
                out.heading(1, s(c, "name"));
                out.kv(2, "Image", s(c, "image"));
                resources(out, c.get("resources"));
                for (key, label) in [
                    ("livenessProbe", "Liveness"),
                    ("readinessProbe", "Readiness"),
                    ("startupProbe", "Startup"),
                ] {
                    if let Some(p) = c.get(key) {
                        out.kv(2, label, probe(p));
                    }
                }
            }
        }
    }
}

fn conditions(out: &mut Out, status: &Value) {
    let items = list(out, status, "conditions", 0);
    if items.is_empty() {
        return;
    }
    out.heading(0, "Conditions");
    for c in items {
        let st = s(c, "status");
        let tone = match (s(c, "type"), st) {
            (_, "True") => Tone::Good,
            (_, "False") => Tone::Warn,
            _ => Tone::Muted,
        };
        let mut value = st.to_owned();
        if !s(c, "reason").is_empty() {
            value = format!("{value} ({})", s(c, "reason"));
        }
        if !s(c, "message").is_empty() {
            value = format!("{value}: {}", s(c, "message"));
        }
        out.push(1, s(c, "type"), value, tone);
    }
}

/// kubectl's `DescribeEvents`: sorted by last seen, oldest first; age is `<last> (x<count>
/// over <first>)` when repeated; From is the source component, else the reporting
/// controller; the message is prefixed with the field path when set.
fn events_section(out: &mut Out, events: &[Value]) {
    out.heading(0, "Events");
    if events.is_empty() {
        out.push(1, "", "<none>", Tone::Muted);
        return;
    }
    let last = |e: &Value| -> String {
        [
            s(e, "lastTimestamp"),
            s(e, "eventTime"),
            s(e, "firstTimestamp"),
        ]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or_default()
        .to_owned()
    };
    let mut sorted: Vec<&Value> = events.iter().collect();
    sorted.sort_by_key(|e| last(e));
    for e in sorted {
        let count = e.get("count").and_then(Value::as_i64).unwrap_or(1);
        let first = match s(e, "eventTime") {
            "" => s(e, "firstTimestamp"),
            t => t,
        };
        let last_age = out
            .age(&Value::String(last(e)))
            .unwrap_or_else(|| "?".into());
        let age = if count > 1 || e.get("series").is_some() {
            let first_age = out
                .age(&Value::String(first.to_owned()))
                .unwrap_or_else(|| "?".into());
            format!("{last_age} (x{count} over {first_age})")
        } else {
            last_age
        };
        let from = match e
            .get("source")
            .map(|src| s(src, "component"))
            .filter(|c| !c.is_empty())
        {
            Some(c) => c,
            None => s(e, "reportingComponent"),
        };
        let path = e
            .get("involvedObject")
            .map(|o| s(o, "fieldPath"))
            .unwrap_or_default();
        let message = if path.is_empty() {
            s(e, "message").to_owned()
        } else {
            format!("{{{path}}} {}", s(e, "message"))
        };
        let warning = s(e, "type") == "Warning";
        out.push(
            1,
            &format!(
                "{} {}",
                if warning { "⚠ Warning" } else { "• Normal" },
                s(e, "reason")
            ),
            format!("{age} · {from} · {message}"),
            if warning { Tone::Warn } else { Tone::Plain },
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now() -> Timestamp {
        "2026-12-06T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_pod_shows_its_oom_killed_last_state_probes_and_events() {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "api-1", "namespace": "shop", "creationTimestamp": "2026-12-06T07:00:00Z",
                         "ownerReferences": [{"kind": "ReplicaSet", "name": "api-7c9", "uid": "u"}]},
            "spec": {"nodeName": "node-a", "containers": [{"name": "api", "image": "api:v1",
                "ports": [{"containerPort": 8080}],
                "resources": {"limits": {"memory": "128Mi"}},
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5},
                "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}],
                "volumes": [{"name": "config", "configMap": {"name": "api-config"}}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "api", "image": "api:v1", "ready": true,
                "restartCount": 4, "state": {"running": {"startedAt": "2026-12-06T07:50:00Z"}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                    "startedAt": "2026-12-06T07:40:00Z", "finishedAt": "2026-12-06T07:49:59Z"}}}],
                "conditions": [{"type": "Ready", "status": "True"}]}
        });
        let events = [
            json!({"type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container",
            "count": 3, "firstTimestamp": "2026-12-06T07:30:00Z", "lastTimestamp": "2026-12-06T07:49:00Z",
            "source": {"component": "kubelet"}, "involvedObject": {"fieldPath": "spec.containers{api}"}}),
        ];
        let lines = describe(&pod, &events, now());
        let find = |label: &str| {
            lines
                .iter()
                .find(|l| l.label == label)
                .unwrap_or_else(|| panic!("{label}: {lines:#?}"))
        };
        assert_eq!(find("Last State").value, "Terminated: OOMKilled");
        assert_eq!(find("Exit Code").value, "137");
        assert_eq!(find("Restart Count").tone, Tone::Warn);
        assert_eq!(
            find("Liveness").value,
            "http-get http://:8080/healthz delay=0s timeout=1s period=5s #success=1 #failure=3"
        );
        assert_eq!(find("Limits").value, "memory 128Mi");
        assert_eq!(find("config").value, "ConfigMap api-config");
        assert_eq!(find("Controlled By").value, "ReplicaSet/api-7c9");
        assert_eq!(
            find("⚠ Warning BackOff").value,
            "11m (x3 over 30m) · kubelet · {spec.containers{api}} Back-off restarting failed container"
        );
        assert!(
            lines.iter().all(|l| !l.value.contains("hunter2")),
            "env values are not shown"
        );
    }

    #[test]
    fn a_malformed_field_is_noted_and_the_rest_still_shows() {
        let rollout = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web"}, "spec": {"replicas": 3, "strategy": {"canary": {}}},
            "status": {"conditions": {"type": "Available"}, "replicas": 3}});
        let lines = describe(&rollout, &[], now());
        assert!(lines.iter().any(|l| l.label == "conditions" && l.value == "cannot read: an object, not a list"), "{lines:#?}");
        assert!(
            lines
                .iter()
                .any(|l| l.label == "Strategy" && l.value == "Canary")
        );
        assert!(lines.iter().any(|l| l.value == "<none>"));
    }

    #[test]
    fn a_secret_shows_key_sizes_never_values_and_a_config_map_its_data() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop", "labels": {"app": "cart"}},
            "data": {"password": "c3VwZXJzZWNyZXQ="}});
        let lines = describe(&secret, &[], now());
        let all: Vec<String> = lines
            .iter()
            .map(|l| format!("{}: {}", l.label, l.value))
            .collect();
        assert!(all.contains(&"password: 11 bytes".to_owned()), "{all:#?}");
        assert!(all.contains(&"Labels: app=cart".to_owned()), "{all:#?}");
        assert!(
            !all.iter()
                .any(|l| l.contains("c3VwZXJzZWNyZXQ") || l.contains("supersecret")),
            "{all:#?}"
        );
        let config = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cart-config", "namespace": "shop"},
            "data": {"LOG_LEVEL": "debug", "app.yaml": "a: 1\nb: 2"}});
        let all: Vec<String> = describe(&config, &[], now())
            .iter()
            .map(|l| format!("{}: {}", l.label, l.value))
            .collect();
        assert!(all.contains(&"LOG_LEVEL: debug".to_owned()), "{all:#?}");
        assert!(all.contains(&"app.yaml: a: 1".to_owned()), "{all:#?}");
        assert!(all.contains(&": b: 2".to_owned()), "{all:#?}");
        assert!(all.contains(&"Labels: <none>".to_owned()), "{all:#?}");
    }

    #[test]
    fn hostile_text_is_inert() {
        let pod = json!({"kind": "Pod", "metadata": {"name": "x\u{1b}]52;c;AAAA\u{7}y"},
            "status": {"message": "a\u{202e}b\u{1b}[31m"}});
        for l in describe(&pod, &[], now()) {
            assert!(
                !l.value.contains('\u{1b}') && !l.value.contains('\u{202e}'),
                "{l:?}"
            );
        }
    }
}
