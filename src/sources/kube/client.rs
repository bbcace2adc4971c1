//! A `kube::Client` for one named kube context, resolved the way kubectl resolves it: the
//! files in `KUBECONFIG` (merged) or `~/.kube/config`, or an explicit file (tests, `--kubeconfig`).
//! The context is always explicit: opsdeck's own context config names it, so the kubeconfig's
//! `current-context` (which another terminal may change at any time) never decides which
//! cluster a pane talks to.
//!
//! Errors are plain strings that name the context, because they end up in the status line
//! and the pane as they are.

use std::path::Path;

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// A client for `context`, from `path` if given, else from `KUBECONFIG` / `~/.kube/config`.
///
/// # Errors
/// The kubeconfig cannot be read or parsed, it has no such context, or the context's cluster
/// or user cannot be turned into a client (bad certificate, missing exec plugin, …).
pub async fn client_for_context(context: &str, path: Option<&Path>) -> Result<Client, String> {
    let kubeconfig = match path {
        Some(path) => Kubeconfig::read_from(path).map_err(|e| {
            format!(
                "kube context {context:?}: kubeconfig {}: {e}",
                path.display()
            )
        })?,
        None => {
            Kubeconfig::read().map_err(|e| format!("kube context {context:?}: kubeconfig: {e}"))?
        }
    };
    client_from_kubeconfig(kubeconfig, context).await
}

/// A client for `context` from an already parsed kubeconfig.
///
/// # Errors
/// As [`client_for_context`], minus reading the file.
pub async fn client_from_kubeconfig(
    kubeconfig: Kubeconfig,
    context: &str,
) -> Result<Client, String> {
    // kube's own error for a missing context says "failed to load context" without the list;
    // naming the contexts that do exist makes a typo in opsdeck's config obvious.
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        let known: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(format!(
            "kube context {context:?} is not in the kubeconfig (it has: {})",
            if known.is_empty() {
                "no contexts".to_owned()
            } else {
                known.join(", ")
            }
        ));
    }
    let options = KubeConfigOptions {
        context: Some(context.to_owned()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| format!("kube context {context:?}: {e}"))?;
    Client::try_from(config).map_err(|e| format!("kube context {context:?}: {e}"))
}
