//! A shell in a pod: which container, which command, and the status line the audit keeps.
//!
//! The command is k9s's: `sh -c "command -v bash >/dev/null && exec bash || exec sh"`, so
//! bash where the image has it and sh otherwise, in one exec (derailed/k9s,
//! internal/view/pod.go, `computeShellArgs` and the `shellCheck` constant, read at commit
//! 01b77384d196dc4b43a229d69b5a05b45fe26e8d; the same at 24cf4628, internal/view/exec.go).
//! k9s runs it through `kubectl exec -it`; opsdeck runs it through kube-rs in-process, so the
//! audit sees it.

use super::pod::{ContainerFacts, PodFacts};

/// The annotation `kubectl exec`, `logs` and `debug` read for the container to use when none
/// is named (kubernetes/kubectl, pkg/cmd/util/podcmd/podcmd.go, `DefaultContainerAnnotationName`).
pub const DEFAULT_CONTAINER_ANNOTATION: &str = "kubectl.kubernetes.io/default-container";

/// k9s's shell probe: bash when the image has it, else sh.
pub const SHELL_PROBE: &str = "command -v bash >/dev/null && exec bash || exec sh";

/// The argv of the shell exec.
#[must_use]
pub fn shell_command() -> Vec<String> {
    vec!["sh".into(), "-c".into(), SHELL_PROBE.into()]
}

/// The container a shell opens in: the default-container annotation when it names one of
/// the pod's containers, else the first app container (not an init container), as
/// `kubectl exec` picks (podcmd.go, `FindOrDefaultContainerByName`: the annotation, then
/// `Spec.Containers[0]`). `None` when the pod has no app container.
#[must_use]
pub fn shell_container(pod: &PodFacts) -> Option<&ContainerFacts> {
    let by_name = |name: &str| pod.containers.iter().find(|c| !c.init && c.name == name);
    pod.default_container
        .as_deref()
        .and_then(by_name)
        .or_else(|| pod.containers.iter().find(|c| !c.init))
}

/// A debug container's name: `debugger-` and 5 characters, as kubectl names it
/// (kubernetes/kubectl, pkg/cmd/debug/debug.go, `fmt.Sprintf("debugger-%s",
/// nameSuffixFunc(5))` with apimachinery's `rand.String` alphabet, which has no vowels so no
/// word is spelled). `seed` picks them; the app passes its clock and the pod's uid, having
/// no random source of its own.
#[must_use]
pub fn debugger_name(seed: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut n = seed;
    let suffix: String = (0..5)
        .map(|_| {
            let c = ALPHABET[usize::try_from(n % 27).unwrap_or(0)];
            n /= 27;
            char::from(c)
        })
        .collect();
    format!("debugger-{suffix}")
}

/// The strategic merge patch `kubectl debug -it --image=IMAGE --target=TARGET` sends to the
/// `ephemeralcontainers` subresource (debug.go, `generateDebugContainer`: stdin, tty,
/// `terminationMessagePolicy: File`, `targetContainerName`). kubectl's default `general`
/// profile also adds the `SYS_PTRACE` capability; opsdeck does not, because `PodSecurity`'s
/// `baseline` level refuses added capabilities and the target's processes are visible
/// without it.
#[must_use]
pub fn ephemeral_patch(name: &str, image: &str, target: &str) -> serde_json::Value {
    serde_json::json!({"spec": {"ephemeralContainers": [{
        "name": name,
        "image": image,
        "stdin": true,
        "tty": true,
        "targetContainerName": target,
        "terminationMessagePolicy": "File",
    }]}})
}

/// How an interactive session ended, as the API server's status on channel 3 says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEnd {
    /// The process's exit status: 0 on `Success`, the `ExitCode` cause of a
    /// `NonZeroExitCode` failure; `None` when the server gave none (the stream broke).
    pub exit: Option<i32>,
    /// The server's message or the transport error, empty on success.
    pub message: String,
}

impl SessionEnd {
    /// A session that ended with `code`.
    #[must_use]
    pub fn exited(code: i32) -> Self {
        Self {
            exit: Some(code),
            message: String::new(),
        }
    }

    /// A session that broke before an exit status came.
    #[must_use]
    pub fn broken(message: impl Into<String>) -> Self {
        Self {
            exit: None,
            message: message.into(),
        }
    }

    /// In words, for the audit outcome and the toast.
    #[must_use]
    pub fn words(&self) -> String {
        match (self.exit, self.message.is_empty()) {
            (Some(code), true) => format!("exit status {code}"),
            (Some(code), false) => format!("exit status {code} ({})", self.message),
            (None, _) => format!("no exit status: {}", self.message),
        }
    }
}

/// Reads the kubelet's `metav1.Status` at the end of an exec (kubernetes, kubelet
/// `remotecommand` `v4WriteStatusFunc`): `Success` is 0; `Failure` with reason
/// `NonZeroExitCode` carries the code as the message of its `ExitCode` cause.
#[must_use]
pub fn end_from_status(
    status: &str,
    reason: &str,
    message: &str,
    causes: &[(String, String)],
) -> SessionEnd {
    if status == "Success" {
        return SessionEnd::exited(0);
    }
    let code = (reason == "NonZeroExitCode")
        .then(|| {
            causes
                .iter()
                .find(|(r, _)| r == "ExitCode")
                .and_then(|(_, m)| m.trim().parse::<i32>().ok())
        })
        .flatten();
    match code {
        Some(code) => SessionEnd::exited(code),
        None => SessionEnd::broken(if message.is_empty() {
            format!("{status} {reason}")
        } else {
            message.to_owned()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(default_container: Option<&str>, names: &[(&str, bool)]) -> PodFacts {
        let mut p = super::super::pod::tests::running("p-1", "rs");
        assert!(!p.containers.is_empty(), "the fixture has a container");
        p.containers = names
            .iter()
            .map(|(n, init)| {
                let mut c = p.containers[0].clone();
                c.name = (*n).into();
                c.init = *init;
                c
            })
            .collect();
        p.default_container = default_container.map(Into::into);
        p
    }

    #[test]
    fn the_annotation_wins_else_the_first_app_container() {
        let names = [("migrate", true), ("app", false), ("proxy", false)];
        assert_eq!(
            shell_container(&pod(None, &names)).map(|c| c.name.as_str()),
            Some("app")
        );
        assert_eq!(
            shell_container(&pod(Some("proxy"), &names)).map(|c| c.name.as_str()),
            Some("proxy")
        );
        assert_eq!(
            shell_container(&pod(Some("migrate"), &names)).map(|c| c.name.as_str()),
            Some("app"),
            "an init container is no shell's place"
        );
        assert!(shell_container(&pod(None, &[("migrate", true)])).is_none());
    }

    #[test]
    fn the_exit_status_is_read_as_the_kubelet_writes_it() {
        assert_eq!(
            end_from_status("Success", "", "", &[]),
            SessionEnd::exited(0)
        );
        let causes = vec![("ExitCode".to_owned(), "3".to_owned())];
        assert_eq!(
            end_from_status(
                "Failure",
                "NonZeroExitCode",
                "command terminated with non-zero exit code: 3",
                &causes
            ),
            SessionEnd::exited(3)
        );
        let e = end_from_status("Failure", "InternalError", "error executing command", &[]);
        assert_eq!(e.exit, None);
        assert_eq!(e.words(), "no exit status: error executing command");
        assert_eq!(SessionEnd::exited(0).words(), "exit status 0");
    }

    #[test]
    fn debug_containers_are_named_as_kubectl_names_them() {
        let a = debugger_name(0);
        assert_eq!(a, "debugger-bbbbb");
        let b = debugger_name(1_733_500_000_123);
        assert!(b.starts_with("debugger-") && b.len() == 14, "{b}");
        assert!(
            b[9..]
                .bytes()
                .all(|c| b"bcdfghjklmnpqrstvwxz2456789".contains(&c)),
            "{b}"
        );
        assert_ne!(b, debugger_name(1_733_500_000_124));
        assert_eq!(
            ephemeral_patch("debugger-x", "busybox", "api")["spec"]["ephemeralContainers"][0]["targetContainerName"],
            "api"
        );
    }

    #[test]
    fn the_shell_is_k9s_s() {
        assert_eq!(
            shell_command(),
            [
                "sh",
                "-c",
                "command -v bash >/dev/null && exec bash || exec sh"
            ]
        );
    }
}
