//! `K`: the selected pod's or workload's namespace opened in k9s, which opsdeck suspends
//! itself for, as it does for a shell. The command line is k9s's own flags
//! (`k9s --context <ctx> -n <ns> -c pods`, derailed/k9s, cmd/root.go: `--context`,
//! `--namespace/-n`, `--command/-c`, `--kubeconfig`), for the kube context opsdeck reads; the
//! kubeconfig is the one opsdeck reads too (`KUBECONFIG`, else `~/.kube/config`, which k9s
//! inherits), named with `--kubeconfig` only when a file is set explicitly.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// k9s's arguments for `namespace` in `kube_context`.
#[must_use]
pub fn args(kube_context: &str, namespace: &str, kubeconfig: Option<&Path>) -> Vec<String> {
    let mut args = vec![
        "--context".to_owned(),
        kube_context.to_owned(),
        "-n".to_owned(),
        namespace.to_owned(),
        "-c".to_owned(),
        "pods".to_owned(),
    ];
    if let Some(path) = kubeconfig {
        args.push("--kubeconfig".to_owned());
        args.push(path.display().to_string());
    }
    args
}

/// The first executable `name` in `path` (a `PATH` value), as a shell finds it.
#[must_use]
pub fn find_program(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The message when k9s is not installed.
pub const MISSING: &str = "k9s is not installed (no `k9s` on PATH): install it from \
     https://k9scli.io, or stay here: enter describes, S opens a shell, ctrl-d deletes a pod";

/// What `K` runs in `context` for `namespace`, or why it cannot.
///
/// # Errors
/// The context has no cluster (the sandbox simulates one; k9s cannot reach it), or k9s is
/// not on `path`.
pub fn plan(
    context: Option<&crate::config::Context>,
    namespace: &str,
    path: Option<&OsStr>,
) -> Result<Launch, String> {
    let kube_context = match context {
        Some(c) if c.sandbox_seed.is_some() => {
            return Err(format!(
                "k9s needs a real cluster: {} is the sandbox's simulated one",
                c.name
            ));
        }
        Some(c) => c.kube_context.as_deref(),
        None => None,
    };
    let Some(kube_context) = kube_context else {
        return Err("k9s needs a cluster: this context has no kube_context".to_owned());
    };
    let program = find_program("k9s", path).ok_or_else(|| MISSING.to_owned())?;
    Ok(Launch {
        program,
        args: args(kube_context, namespace, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(kube_context: Option<&str>, sandbox: bool) -> crate::config::Context {
        let mut c = crate::config::Config::sandbox(7)
            .contexts
            .into_iter()
            .next()
            .expect("a sandbox context");
        c.name = "staging".into();
        c.kube_context = kube_context.map(Into::into);
        if !sandbox {
            c.sandbox_seed = None;
        }
        c
    }

    #[test]
    fn the_command_line_is_k9s_s_flags_for_the_namespace() {
        assert_eq!(
            args("staging-eu1", "shop", None),
            ["--context", "staging-eu1", "-n", "shop", "-c", "pods"]
        );
        assert_eq!(
            args("kind", "shop", Some(Path::new("/tmp/kc"))),
            [
                "--context",
                "kind",
                "-n",
                "shop",
                "-c",
                "pods",
                "--kubeconfig",
                "/tmp/kc"
            ]
        );
    }

    #[test]
    fn k9s_is_found_on_path_or_the_message_says_how_to_get_it() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = tempfile::tempdir().expect("tempdir");
        let path = std::env::join_paths([empty.path(), dir.path()]).expect("path");
        let ctx = context(Some("staging-eu1"), false);
        assert_eq!(
            plan(Some(&ctx), "shop", Some(&path)),
            Err(MISSING.to_owned())
        );
        let k9s = dir.path().join("k9s");
        std::fs::write(&k9s, "#!/bin/sh\n").expect("write");
        // Not executable: not a program a shell would run.
        assert!(plan(Some(&ctx), "shop", Some(&path)).is_err());
        std::fs::set_permissions(&k9s, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(
            plan(Some(&ctx), "shop", Some(&path)),
            Ok(Launch {
                program: k9s,
                args: args("staging-eu1", "shop", None),
            })
        );
        assert!(MISSING.contains("https://k9scli.io"));
    }

    #[test]
    fn without_a_cluster_it_says_so() {
        let path = std::ffi::OsString::from("/usr/bin");
        let sandbox = context(Some("x"), true);
        let err = plan(Some(&sandbox), "shop", Some(&path)).expect_err("sandbox");
        assert!(err.contains("sandbox"), "{err}");
        let none = context(None, false);
        let err = plan(Some(&none), "shop", Some(&path)).expect_err("no kube");
        assert!(err.contains("no kube_context"), "{err}");
    }
}
