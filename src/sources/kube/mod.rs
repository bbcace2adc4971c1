//! The Kubernetes watch layer behind the Argo CD and rollout panes (Part 5), independent of
//! the UI: build a client for a kube context ([`client`]), keep watch caches of the kinds
//! and namespaces in scope and publish coalesced snapshots of them ([`watch`]), and ask the API
//! server what the user may do ([`ssar`]) so panes offer only actions RBAC allows (as k9s
//! does: derailed/k9s, internal/view/browser.go).

pub mod backend;
pub mod client;
pub mod exec;
pub mod forward;
pub mod object;
pub mod session;
pub mod source;
pub mod ssar;
pub mod watch;

pub use client::{client_for_context, client_from_kubeconfig};
pub use ssar::{Access, can_i};
pub use watch::{KindHealth, KubeKind, KubeSnapshot, KubeWatch, WatchScope};
