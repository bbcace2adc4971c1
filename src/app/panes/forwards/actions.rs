//! Port-forward's keys: `F` on a pod (pods pane, a tab-chosen pod of the rollout tree) opens
//! the form after the same checks as a shell (read-only, RBAC `create pods/portforward`, a
//! running pod); `F` on a described Service does the same for its ports (the pod is chosen
//! when the forward starts, as kubectl chooses it); enter on the form lists the forward and
//! asks the runtime for it; `x` in `:forwards` stops the selected one.

use crate::app::ctx::Ctx;
use crate::app::modal::form::Form;
use crate::app::msg::Cmd;
use crate::app::panes::forwards::{ForwardRow, ForwardsPane};
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::action::{ActionRequest, ViaService};
use crate::model::k8s::PodFacts;
use crate::model::k8s::forward::ForwardStats;
use crate::model::k8s::forward::{LocalPort, declared_ports, local_words, port_label};
use crate::model::k8s::pod::ContainerPort;

/// The pane's own keys (besides the global and `[table]` ones).
pub const ACTIONS: &[Action] = &[Action::StopForward];

/// The forwards pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(pane: &mut ForwardsPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::StopForward => {
            let Some(row) = pane.selected() else {
                ctx.toast(ToastLevel::Info, "no port-forward selected");
                return Some(Vec::new());
            };
            ctx.toast(
                ToastLevel::Info,
                format!(
                    "stopping the port-forward {} → {}/{}:{}",
                    row.local.as_deref().unwrap_or("(starting)"),
                    row.namespace,
                    row.pod,
                    row.port
                ),
            );
            Some(vec![Cmd::StopForward(row.id)])
        }
        _ => None,
    }
}

/// What the form's `about` names: a pod (`namespace/name`) or a Service
/// (`svc:namespace/name`).
const SERVICE_PREFIX: &str = "svc:";

/// The request of a forward of `pod`'s `port` in this context (`local_port` as asked; the
/// runtime writes the one it binds).
#[must_use]
pub fn request(
    ctx: &Ctx<'_>,
    namespace: &str,
    name: &str,
    port: u16,
    local_port: u16,
) -> ActionRequest {
    ActionRequest::PortForward {
        context: ctx.context.name.clone(),
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        port,
        local_port,
        service: None,
    }
}

/// `F` on a described Service: why not (read-only, RBAC), else the form on its ports. The
/// pod is chosen when the forward starts, as kubectl chooses it.
pub fn ask_service_forward(
    ctx: &mut Ctx<'_>,
    namespace: &str,
    service: &str,
    ports: &[ContainerPort],
) -> Vec<Cmd> {
    let first = ports.first().map_or(0, |p| p.port);
    let probe = request(ctx, namespace, "", first, first);
    if ctx.refused(&probe) {
        return Vec::new();
    }
    if let Some(reason) = ctx.access_denial(&probe) {
        ctx.toast(ToastLevel::Warn, format!("port-forward disabled: {reason}"));
        return Vec::new();
    }
    let labels: Vec<String> = ports.iter().map(port_label).collect();
    let remote = labels.first().cloned().unwrap_or_default();
    let cmds = ctx.check_access(std::slice::from_ref(&probe));
    ctx.open_prepared_form(Form::port_forward(
        &format!("{SERVICE_PREFIX}{namespace}/{service}"),
        &labels,
        &remote,
    ));
    cmds.into_iter().collect()
}

/// `F` on a pod: why not (read-only, RBAC, not running), else the form with its declared
/// ports. Asks the access review when its answer is not known yet.
pub fn ask_forward(ctx: &mut Ctx<'_>, pod: &PodFacts) -> Vec<Cmd> {
    let declared = declared_ports(pod);
    let first = declared.first().map_or(0, |p| p.port);
    let probe = request(ctx, &pod.namespace, &pod.name, first, first);
    if ctx.refused(&probe) {
        return Vec::new();
    }
    if let Some(reason) = ctx.access_denial(&probe) {
        ctx.toast(ToastLevel::Warn, format!("port-forward disabled: {reason}"));
        return Vec::new();
    }
    // The kubelet forwards only into a running pod's network namespace.
    if pod.phase != "Running" || pod.deleting {
        ctx.toast(
            ToastLevel::Info,
            format!(
                "{} is not running ({}): no port-forward",
                pod.name, pod.status_word
            ),
        );
        return Vec::new();
    }
    let labels: Vec<String> = declared.iter().map(|p| port_label(p)).collect();
    let remote = labels.first().cloned().unwrap_or_default();
    let cmds = ctx.check_access(std::slice::from_ref(&probe));
    ctx.open_prepared_form(Form::port_forward(
        &format!("{}/{}", pod.namespace, pod.name),
        &labels,
        &remote,
    ));
    cmds.into_iter().collect()
}

/// The form was filled in: the forward is listed (starting) and asked of the runtime.
///
/// # Errors
/// The form's pod is not `namespace/name`, or read-only mode or RBAC refuses it now (an
/// access answer may have arrived while the form was open).
pub fn start(
    pane: &mut ForwardsPane,
    ctx: &mut Ctx<'_>,
    about: &str,
    remote: u16,
    local: LocalPort,
) -> Result<Vec<Cmd>, String> {
    let (service, pod) = match about.strip_prefix(SERVICE_PREFIX) {
        Some(service) => (true, service),
        None => (false, about),
    };
    let Some((namespace, name)) = pod.split_once('/') else {
        return Err(format!("`{about}` is not a pod or a Service"));
    };
    let wanted = match local {
        LocalPort::Exact(port) => port,
        LocalPort::Auto => remote,
    };
    let mut request = request(ctx, namespace, name, remote, wanted);
    if service
        && let ActionRequest::PortForward {
            name: pod_name,
            service: via,
            ..
        } = &mut request
    {
        // The pod is chosen when the forward starts.
        pod_name.clear();
        *via = Some(ViaService {
            name: name.to_owned(),
            port: remote,
        });
    }
    crate::actions::gate::allowed(&request, ctx.readonly).map_err(|r| r.reason)?;
    if let Some(reason) = ctx.access_denial(&request) {
        return Err(reason);
    }
    let id = pane.next_id();
    pane.add(ForwardRow {
        id,
        context: ctx.context.name.clone(),
        namespace: namespace.to_owned(),
        pod: if service {
            format!("svc/{name}")
        } else {
            name.to_owned()
        },
        port: remote,
        local: None,
        started: ctx.now,
        stats: ForwardStats::default(),
    });
    ctx.toast(
        ToastLevel::Info,
        format!(
            "port-forward {}{namespace}/{name}:{remote} on 127.0.0.1:{} (f lists the forwards)",
            if service { "service " } else { "" },
            local_words(local, remote)
        ),
    );
    Ok(vec![Cmd::PortForward {
        id,
        request,
        local,
        reason: String::new(),
    }])
}
