//! Port-forward to a Service, as `kubectl port-forward svc/<name> <port>` does it: the
//! Service's selector picks its pods, the most active one is chosen (kubectl sorts them with
//! `sort.Reverse(podutils.ActivePods)` and takes the first: assigned before unassigned,
//! Running before Unknown before Pending, ready before not ready, ready longer before ready
//! later, fewer restarts before more), and the Service port is translated to that pod's port:
//! a headless Service (`clusterIP: None`) keeps the port, an omitted `targetPort` is the
//! port itself, a numeric one is taken as is, a named one is looked up in the pod's
//! containers (kubernetes/kubectl, `pkg/cmd/portforward/portforward.go`,
//! `translateServicePortToTargetPort` and `lookupContainerPortNumberByServicePort`;
//! `pkg/polymorphichelpers/attachablepodforobject.go`; `pkg/util/podutils/podutils.go`,
//! `ActivePods`; read through code search, so no commit is pinned; the port lookup matches
//! the staging copy in kubernetes/kubernetes, `staging/src/k8s.io/kubectl/pkg/util/
//! service_port.go`). kubectl resolves once, when the forward starts, and so do we: a forward
//! stays on the pod it chose. Pure: the objects come from the backend.

use serde_json::Value;

use super::pod::ContainerPort;

/// The pod and its port a Service port leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTarget {
    pub pod: String,
    pub port: u16,
}

/// The Service's ports as the form offers them (`80/http`), TCP only.
#[must_use]
pub fn service_ports(service: &Value) -> Vec<ContainerPort> {
    service["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            p["protocol"]
                .as_str()
                .is_none_or(|s| s.eq_ignore_ascii_case("TCP"))
        })
        .filter_map(|p| {
            Some(ContainerPort {
                name: p["name"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
                port: u16::try_from(p["port"].as_u64()?).ok()?,
                protocol: "TCP".into(),
            })
        })
        .collect()
}

/// The Service's selector as a label selector (`app=cart,tier=web`, sorted).
///
/// # Errors
/// The Service selects nothing (kubectl: "Service is defined without a selector").
pub fn selector(service: &Value) -> Result<String, String> {
    let pairs: Vec<String> = service["spec"]["selector"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    if pairs.is_empty() {
        let name = service["metadata"]["name"].as_str().unwrap_or_default();
        return Err(format!(
            "service {name} is defined without a selector: no pod to forward to"
        ));
    }
    Ok(pairs.join(","))
}

/// Whether `pod` carries every label of the Service's selector.
fn selected(service: &Value, pod: &Value) -> bool {
    service["spec"]["selector"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| pod["metadata"]["labels"][k] == *v)
}

/// The pod's `Ready` condition: whether it is True, and since when.
fn ready(pod: &Value) -> (bool, String) {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Ready")
        .map_or((false, String::new()), |c| {
            (
                c["status"] == "True",
                c["lastTransitionTime"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
}

fn restarts(pod: &Value) -> u64 {
    pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["restartCount"].as_u64())
        .max()
        .unwrap_or(0)
}

/// kubectl's choice among the Service's pods: the most active (the reverse of
/// `ActivePods`' order), the first listed on a tie.
#[must_use]
pub fn pick_pod<'a>(service: &Value, pods: &'a [Value]) -> Option<&'a Value> {
    let phase = |p: &Value| match p["status"]["phase"].as_str() {
        Some("Running") => 2,
        Some("Unknown") => 1,
        _ => 0,
    };
    let rank = |p: &Value| {
        let (is_ready, since) = ready(p);
        (
            !p["spec"]["nodeName"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            phase(p),
            is_ready,
            // Ready longer (an earlier transition) ranks higher; not ready: no time.
            std::cmp::Reverse(if is_ready { since } else { String::new() }),
            std::cmp::Reverse(restarts(p)),
        )
    };
    pods.iter()
        .filter(|p| selected(service, p))
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .fold(None::<&Value>, |best, p| match best {
            Some(b) if rank(b) >= rank(p) => Some(b),
            _ => Some(p),
        })
}

/// The pod and port Service port `port` leads to.
///
/// # Errors
/// No selector, no pod (or no running one), no such Service port, or a named target port
/// the pod does not declare, in kubectl's words where it has them.
pub fn resolve(service: &Value, pods: &[Value], port: u16) -> Result<ServiceTarget, String> {
    let name = service["metadata"]["name"].as_str().unwrap_or_default();
    let selector = selector(service)?;
    let pod =
        pick_pod(service, pods).ok_or_else(|| format!("no pod of service {name} ({selector})"))?;
    let pod_name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // kubectl port-forward refuses a pod that is not running.
    let phase = pod["status"]["phase"].as_str().unwrap_or("Unknown");
    if phase != "Running" {
        return Err(format!(
            "no running pod of service {name} ({selector}): the best, {pod_name}, is {phase}"
        ));
    }
    let spec = service["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["port"].as_u64() == Some(u64::from(port)))
        .ok_or_else(|| format!("service {name} does not have a service port {port}"))?;
    let target = if service["spec"]["clusterIP"] == "None" {
        port
    } else {
        match &spec["targetPort"] {
            Value::Number(n) => match n.as_u64().and_then(|n| u16::try_from(n).ok()) {
                Some(0) | None => port,
                Some(n) => n,
            },
            Value::String(named) => named_port(pod, named)
                .ok_or_else(|| format!("Pod '{pod_name}' does not have a named port '{named}'"))?,
            _ => port,
        }
    };
    Ok(ServiceTarget {
        // From the API: shown in the list, so cleaned like every external string.
        pod: crate::model::sanitize::clean(&pod_name),
        port: target,
    })
}

/// The container port named `name` in the pod's (app) containers.
fn named_port(pod: &Value, name: &str) -> Option<u16> {
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
        .find(|p| p["name"] == name)
        .and_then(|p| u16::try_from(p["containerPort"].as_u64()?).ok())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn service(target: &Value) -> Value {
        json!({"metadata": {"name": "cart"},
               "spec": {"selector": {"app": "cart"}, "clusterIP": "10.0.0.7",
                        "ports": [{"name": "http", "port": 80, "targetPort": target},
                                  {"name": "dns", "port": 53, "protocol": "UDP"}]}})
    }

    fn pod(name: &str, phase: &str, ready_since: Option<&str>, restarts: u64) -> Value {
        json!({"metadata": {"name": name, "labels": {"app": "cart"}},
               "spec": {"nodeName": "node-1", "containers": [{"name": "app",
                        "ports": [{"name": "web", "containerPort": 8080}]}]},
               "status": {"phase": phase,
                          "conditions": [{"type": "Ready",
                                          "status": if ready_since.is_some() { "True" } else { "False" },
                                          "lastTransitionTime": ready_since.unwrap_or("2026-01-01T00:00:00Z")}],
                          "containerStatuses": [{"restartCount": restarts}]}})
    }

    #[test]
    fn the_target_port_is_read_as_kubectl_reads_it() {
        let pods = [pod("cart-a", "Running", Some("2026-01-01T00:00:00Z"), 0)];
        let at = |target: Value| resolve(&service(&target), &pods, 80);
        let to = |port| {
            Ok(ServiceTarget {
                pod: "cart-a".into(),
                port,
            })
        };
        assert_eq!(at(json!(9000)), to(9000), "a number as is");
        assert_eq!(at(json!("web")), to(8080), "a name from the pod");
        assert_eq!(at(Value::Null), to(80), "omitted: the port itself");
        assert_eq!(at(json!(0)), to(80));
        assert_eq!(
            at(json!("grpc")),
            Err("Pod 'cart-a' does not have a named port 'grpc'".into())
        );
        let mut headless = service(&json!(9000));
        headless["spec"]["clusterIP"] = json!("None");
        assert_eq!(
            resolve(&headless, &pods, 80),
            to(80),
            "headless keeps the port"
        );
        assert_eq!(
            resolve(&service(&json!(9000)), &pods, 81),
            Err("service cart does not have a service port 81".into())
        );
        let ports: Vec<u16> = service_ports(&service(&json!(1)))
            .iter()
            .map(|p| p.port)
            .collect();
        assert_eq!(ports, [80], "TCP only");
    }

    #[test]
    fn the_most_active_selected_pod_is_chosen() {
        let mut other = pod("other", "Running", Some("2025-01-01T00:00:00Z"), 0);
        other["metadata"]["labels"]["app"] = json!("payments");
        let pods = [
            other,
            pod("pending", "Pending", None, 0),
            pod("not-ready", "Running", None, 0),
            pod("ready-late", "Running", Some("2026-03-01T00:00:00Z"), 0),
            pod(
                "ready-early-restarted",
                "Running",
                Some("2026-02-01T00:00:00Z"),
                4,
            ),
            pod("ready-early", "Running", Some("2026-02-01T00:00:00Z"), 0),
        ];
        let svc = service(&json!(8080));
        let name = |p: Option<&Value>| {
            p.and_then(|p| p["metadata"]["name"].as_str())
                .map(str::to_owned)
        };
        assert_eq!(name(pick_pod(&svc, &pods)), Some("ready-early".into()));
        assert_eq!(name(pick_pod(&svc, &pods[..4])), Some("ready-late".into()));
        assert_eq!(name(pick_pod(&svc, &pods[..3])), Some("not-ready".into()));
        assert_eq!(
            resolve(&svc, &pods[..2], 80),
            Err("no running pod of service cart (app=cart): the best, pending, is Pending".into())
        );
        assert_eq!(
            resolve(&svc, &pods[..1], 80),
            Err("no pod of service cart (app=cart)".into())
        );
        let mut bare = svc.clone();
        bare["spec"]["selector"] = Value::Null;
        assert_eq!(
            resolve(&bare, &pods, 80),
            Err("service cart is defined without a selector: no pod to forward to".into())
        );
    }
}
