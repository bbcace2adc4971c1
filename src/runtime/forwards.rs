//! The running port-forwards: each is a task that binds a loopback listener, records the
//! audit intent (with the address it bound), then for every accepted connection opens one
//! forwarded stream through the context's Kubernetes backend and copies bytes both ways
//! (`copy_bidirectional`). A failed connection is counted and shown, and the forward goes
//! on. Stopping one (or opsdeck ending) closes its listener and connections, and the
//! audit gets the outcome: when it started and ended, connections and bytes, never the
//! bytes themselves. Every change answers the app with a [`ForwardEvent`].

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::actions::gate::{AuditGate, ExecResult};
use crate::app::msg::{ActionReport, Msg};
use crate::app::state::ToastLevel;
use crate::model::action::ActionRequest;
use crate::model::k8s::forward::{ForwardEvent, ForwardStats, LOOPBACK, LocalPort};
use crate::model::platform::OutcomeStatus;
use crate::sources::backend::KubeBackend;

use super::forward_count::{Counted, Counters};

/// How long opsdeck's exit waits for the forwards to record their outcomes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// One forward to start.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The app's number for it.
    pub id: u64,
    /// A `PortForward`; its `local_port` is replaced by the port bound.
    pub request: ActionRequest,
    pub local: LocalPort,
    pub reason: String,
}

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// The forwards of this opsdeck, by the app's id. They outlive context switches (each
/// holds its own backend and gate) and end when opsdeck ends ([`Forwards::shutdown`]), or
/// at the latest when this is dropped (their tasks are aborted).
#[derive(Default)]
pub struct Forwards {
    running: HashMap<u64, Running>,
}

impl std::fmt::Debug for Forwards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwards")
            .field("running", &self.running.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Forwards {
    /// Starts `plan` on `kube`, audited by `gate`; its events go to `app`.
    pub fn start(
        &mut self,
        plan: Plan,
        gate: Option<AuditGate>,
        kube: Arc<dyn KubeBackend>,
        app: mpsc::Sender<Msg>,
    ) {
        self.running.retain(|_, r| !r.task.is_finished());
        let (stop, stopped) = oneshot::channel();
        let id = plan.id;
        let task = tokio::spawn(run(plan, gate, kube, app, stopped));
        self.running.insert(id, Running { stop, task });
    }

    /// Stops forward `id` (its task records the outcome and says `Ended`); false when no
    /// such forward runs.
    pub fn stop(&mut self, id: u64) -> bool {
        match self.running.remove(&id) {
            Some(running) => {
                let _ = running.stop.send(());
                true
            }
            None => false,
        }
    }

    /// How many forwards run now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.running
            .values()
            .filter(|r| !r.task.is_finished())
            .count()
    }

    /// True when no forward runs.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops every forward and waits (a little) for their outcomes to be journaled;
    /// whatever is still running then is aborted.
    pub async fn shutdown(&mut self) {
        let running: Vec<Running> = self.running.drain().map(|(_, r)| r).collect();
        let mut tasks = Vec::with_capacity(running.len());
        for r in running {
            let _ = r.stop.send(());
            tasks.push(r.task);
        }
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        let all = futures::future::join_all(tasks);
        if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
            for abort in aborts {
                abort.abort();
            }
        }
    }
}

impl Drop for Forwards {
    fn drop(&mut self) {
        for running in self.running.values() {
            running.task.abort();
        }
    }
}

/// Binds 127.0.0.1: the exact port, or the remote one when free, else any.
async fn bind(local: LocalPort, remote: u16) -> io::Result<TcpListener> {
    match local {
        LocalPort::Exact(port) => TcpListener::bind((LOOPBACK, port)).await,
        // Taken, or a privileged port without the right: any free port will do.
        LocalPort::Auto => match TcpListener::bind((LOOPBACK, remote)).await {
            Ok(listener) => Ok(listener),
            Err(_) => TcpListener::bind((LOOPBACK, 0)).await,
        },
    }
}

/// "127.0.0.1:8080 → shop/cart-a:8080".
fn describe(request: &ActionRequest) -> String {
    match request {
        ActionRequest::PortForward {
            namespace,
            name,
            port,
            local_port,
            service,
            ..
        } => {
            let via = service
                .as_ref()
                .map(|v| format!(" (service {}:{})", v.name, v.port))
                .unwrap_or_default();
            format!("{LOOPBACK}:{local_port} → {namespace}/{name}:{port}{via}")
        }
        other => other.target().reference,
    }
}

async fn say(app: &mpsc::Sender<Msg>, event: ForwardEvent) {
    let _ = app.send(Msg::Forward(event)).await;
}

/// For a Service's forward, the pod and port it leads to, written into `request` (kubectl
/// resolves once, at the start); either way the port number the local port prefers.
async fn choose_pod(request: &mut ActionRequest, kube: &dyn KubeBackend) -> Result<u16, String> {
    let ActionRequest::PortForward {
        namespace,
        name,
        port,
        service,
        ..
    } = request
    else {
        return Err(format!("{} is not a port-forward", request.action_name()));
    };
    let preferred = *port;
    if let Some(via) = service.as_ref() {
        let target = kube
            .service_target(namespace, &via.name, via.port)
            .await
            .map_err(|e| {
                format!(
                    "port-forward not started: service {namespace}/{} port {}: {}",
                    via.name,
                    via.port,
                    String::from(e)
                )
            })?;
        *name = target.pod;
        *port = target.port;
    }
    Ok(preferred)
}

/// A forward that never listened: its row goes, and the user reads why.
async fn not_started(app: &mpsc::Sender<Msg>, id: u64, text: String) {
    say(app, ForwardEvent::Ended { id }).await;
    let _ = app
        .send(Msg::Notice {
            level: ToastLevel::Error,
            text,
        })
        .await;
}

/// One forward, from bind to outcome.
async fn run(
    plan: Plan,
    gate: Option<AuditGate>,
    kube: Arc<dyn KubeBackend>,
    app: mpsc::Sender<Msg>,
    stopped: oneshot::Receiver<()>,
) {
    let Plan {
        id,
        mut request,
        local,
        reason,
    } = plan;
    // The local port prefers the number asked for: a Service's port for a Service, as
    // kubectl's `port-forward svc/x 80` listens on 80.
    let remote = match choose_pod(&mut request, kube.as_ref()).await {
        Ok(remote) => remote,
        Err(text) => return not_started(&app, id, text).await,
    };
    // Bound before the intent, so the audit records the address actually used; nothing is
    // accepted until the platform allowed it, and a refusal closes the listener unused.
    let listener = match bind(local, remote).await {
        Ok(listener) => listener,
        Err(e) => {
            let wanted = match local {
                LocalPort::Exact(p) => p.to_string(),
                LocalPort::Auto => "any port".to_owned(),
            };
            let text =
                format!("port-forward not started: cannot listen on {LOOPBACK}:{wanted}: {e}");
            return not_started(&app, id, text).await;
        }
    };
    if let ActionRequest::PortForward { local_port, .. } = &mut request {
        *local_port = listener.local_addr().map_or(0, |a| a.port());
    }
    let report = |request: ActionRequest, outcome| {
        Msg::ActionDone(Box::new(ActionReport { request, outcome }))
    };
    let Some(gate) = gate else {
        say(&app, ForwardEvent::Ended { id }).await;
        let outcome = crate::actions::gate::no_gate("nothing was forwarded");
        let _ = app.send(report(request, outcome)).await;
        return;
    };
    let admitted = match gate.admit(request.clone(), &reason).await {
        Ok(admitted) => admitted,
        Err(outcome) => {
            drop(listener);
            say(&app, ForwardEvent::Ended { id }).await;
            let _ = app.send(report(request, outcome)).await;
            return;
        }
    };
    let started = Timestamp::now();
    let (pod, port) = match &request {
        ActionRequest::PortForward { name, port, .. } => (name.clone(), *port),
        _ => (String::new(), 0),
    };
    say(
        &app,
        ForwardEvent::Listening {
            id,
            local: format!("{LOOPBACK}:{}", local_port_of(&request)),
            pod,
            port,
        },
    )
    .await;
    let stats = serve(id, &request, listener, kube, &app, stopped).await;
    let ended = Timestamp::now();
    let mut detail = format!(
        "{}: started {}, ended {}, {}",
        describe(&request),
        started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
        stats.words()
    );
    if let Some(error) = &stats.last_error {
        use std::fmt::Write as _;
        let _ = write!(detail, "; last error: {error}");
    }
    let result = ExecResult {
        status: OutcomeStatus::Succeeded,
        detail,
    };
    let outcome = gate.finish(admitted, result).await;
    say(&app, ForwardEvent::Ended { id }).await;
    let _ = app.send(report(request, outcome)).await;
}

fn local_port_of(request: &ActionRequest) -> u16 {
    match request {
        ActionRequest::PortForward { local_port, .. } => *local_port,
        _ => 0,
    }
}

/// Accepts until stopped; returns the figures. Dropping the `JoinSet` at the end aborts the
/// connections still open.
async fn serve(
    id: u64,
    request: &ActionRequest,
    listener: TcpListener,
    kube: Arc<dyn KubeBackend>,
    app: &mpsc::Sender<Msg>,
    mut stopped: oneshot::Receiver<()>,
) -> ForwardStats {
    let ActionRequest::PortForward {
        namespace,
        name,
        port,
        ..
    } = request
    else {
        return ForwardStats::default();
    };
    let mut stats = ForwardStats::default();
    let mut said = stats.clone();
    let counters = Arc::new(Counters::default());
    let mut connections: JoinSet<Option<String>> = JoinSet::new();
    // While a connection is open its bytes are reported every second (when they changed).
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    stats.connections += 1;
                    stats.active += 1;
                    let kube = Arc::clone(&kube);
                    let tcp = Counted::new(tcp, Arc::clone(&counters));
                    let (namespace, name, port) = (namespace.clone(), name.clone(), *port);
                    connections.spawn(async move {
                        connection(tcp, kube.as_ref(), &namespace, &name, port).await
                    });
                }
                Err(e) => stats.last_error = Some(format!("accept: {e}")),
            },
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                stats.active = stats.active.saturating_sub(1);
                match done {
                    Ok(None) => {}
                    Ok(error) => stats.last_error = error,
                    Err(e) => stats.last_error = Some(format!("connection task: {e}")),
                }
            }
            _ = tick.tick(), if stats.active > 0 => {}
        }
        (stats.bytes_out, stats.bytes_in) = counters.get();
        if stats != said {
            said = stats.clone();
            say(
                app,
                ForwardEvent::Stats {
                    id,
                    stats: stats.clone(),
                },
            )
            .await;
        }
    }
    // The listener closes here: a connect after the stop is refused.
    drop(listener);
    connections.abort_all();
    (stats.bytes_out, stats.bytes_in) = counters.get();
    stats.active = 0;
    stats
}

/// One local connection: a stream to the pod, bytes copied both ways until either side
/// closes; how it failed (the pod side's error first), if it did.
async fn connection(
    mut tcp: Counted<TcpStream>,
    kube: &dyn KubeBackend,
    namespace: &str,
    name: &str,
    port: u16,
) -> Option<String> {
    let mut conn = match kube.open_forward(namespace, name, port).await {
        Ok(conn) => conn,
        Err(e) => return Some(String::from(e)),
    };
    let copy = tokio::io::copy_bidirectional(&mut tcp, &mut conn.stream);
    tokio::pin!(copy);
    // An error from the pod side means the port is unusable (kube-rs: "the port should be
    // considered no longer usable"): the connection ends with it, without waiting for a
    // close that may never come.
    let (copied, pod_error) = tokio::select! {
        copied = &mut copy => {
            // The kubelet writes its error before closing; a moment is enough to read it.
            let pod_error = tokio::time::timeout(Duration::from_millis(200), &mut conn.error)
                .await
                .ok()
                .flatten();
            (copied, pod_error)
        }
        pod_error = &mut conn.error => match pod_error {
            Some(error) => return Some(error),
            None => (copy.await, None),
        },
    };
    match copied {
        Ok(_) => pod_error,
        Err(e) => Some(pod_error.unwrap_or_else(|| e.to_string())),
    }
}
