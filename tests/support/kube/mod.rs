//! A Kubernetes API server test peer: an in-process axum server speaking the wire format the
//! real API server uses for the resources opsdeck touches, so the real kube-rs client code
//! runs against it through a generated kubeconfig.
//!
//! Reached as `support::kube` from a test binary that includes `tests/support/mod.rs`.
//!
//! What it speaks, and why each piece matters to a client:
//! - LIST with a global, monotonically increasing `resourceVersion` on the list and on every
//!   item, `labelSelector` (equality and existence), `fieldSelector` (dotted paths, which is what
//!   kube-rs's watcher sends as `metadata.name=X` for one object), `limit`/`continue` pages.
//!   Items of built-in lists carry no `apiVersion`/`kind` (the real server omits them; custom
//!   resource lists keep them), so a client that reads `kind` from a list item fails here too.
//! - WATCH as newline-delimited `{"type":…,"object":…}` events after the given
//!   `resourceVersion`, bookmarks on request, `timeoutSeconds`. A watch from a compacted
//!   `resourceVersion`, or any watch after [`KubeServer::set_expire_next_watch`], answers
//!   `200 OK` with one `ERROR` event carrying a `Status` of `code: 410, reason: Expired`, which is
//!   how the real server says 410 Gone inside a stream; kube-rs's watcher then re-lists.
//! - GET, POST, PUT, DELETE, and PATCH (merge, JSON, strategic, apply) on the object and on the
//!   `/status` subresource, with the real server's split: a write to the object keeps the old
//!   `status` and a write to `/status` keeps everything but `status` (for types with a status
//!   subresource; Argo CD's `Application` has none, so its `/status` is a 404). Every write is
//!   recorded (path, subresource, content type, body) so tests assert the exact patch.
//! - Errors as `Status` objects with the real messages: 404 `NotFound`, 403 Forbidden (see
//!   [`KubeServer::forbid`]), 409 Conflict on a stale `resourceVersion`, 415 for a strategic
//!   merge patch on a custom resource.
//! - `pods/{name}/exec` and `/attach` over WebSocket (the channel protocol kube-rs speaks),
//!   with a line echo for a container ([`exec`], [`KubeServer::exec_sessions`]), and
//!   `pods/{name}/ephemeralcontainers` ([`ephemeral`]).
//! - `pods/{name}/portforward` over WebSocket (`v4.channel.k8s.io`: a data and an error
//!   channel per port, each opened with the port number), echoing on declared ports and
//!   answering the kubelet's error on the others ([`portforward`],
//!   [`KubeServer::forward_sessions`]).
//! - `SelfSubjectAccessReview` answered from configurable rules, and minimal discovery
//!   (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}`).
//! - Pod logs (`GET …/pods/{name}/log`) from lines a test pushes per pod and container
//!   ([`KubeServer::push_log`], [`KubeServer::push_previous_log`]), honouring `container` (a
//!   400 when it is missing on a multi-container pod or unknown), `follow`, `timestamps` (the
//!   kubelet's nine-digit `RFC3339Nano` prefix), `sinceTime`, `sinceSeconds`, `previous` and
//!   `tailLines`. A followed stream ends when its pod is deleted or on
//!   [`KubeServer::cut_log_streams`] (a disconnect); [`KubeServer::log_requests`] lists the
//!   requests as sent.
//!
//! Fixtures shaped like real objects live in `tests/support/fixtures/k8s/`; see [`fixtures()`].
//!
//! By concern: [`server`] (the shared state, start, kubeconfig and client), [`types`] (the
//! served resource types), [`store`] (objects, resourceVersions, change history),
//! [`fixtures`] (objects to start with), [`routing`] (what a request addresses, the handler),
//! [`list_watch`] (LIST, GET, WATCH streams), [`writes`] and [`patch`] (PATCH, PUT, POST,
//! DELETE), [`access`] (403 Forbidden, `SelfSubjectAccessReview`), [`discovery`], [`errors`]
//! (`Status` bodies), [`logs`] (pod logs) and [`recording`] (requests and writes as seen).
//! Everything a test uses is re-exported here.

mod access;
mod discovery;
mod ephemeral;
mod errors;
mod exec;
mod fixtures;
mod list_watch;
mod logs;
mod patch;
mod portforward;
mod recording;
mod routing;
mod server;
mod store;
mod types;
mod writes;

pub use access::{ForbidRule, SsarRule};
pub use exec::ExecRecord;
pub use fixtures::{fixture, fixtures, fixtures_dir, flatten, pod_object};
pub use patch::{json_patch, merge_patch};
pub use portforward::ForwardRecord;
pub use recording::{RequestRecord, WriteRecord};
pub use server::KubeServer;
pub use types::{Key, ResourceType, builtin_types};

/// The user named in Forbidden messages and the default SSAR reason.
pub const DEFAULT_USER: &str = "dev";
/// The bearer token the generated kubeconfig carries (recorded, never checked).
pub const TOKEN: &str = "opsdeck-test-token";
/// The context, cluster and user name of the generated kubeconfig.
pub const CONTEXT: &str = "kind-shop";
