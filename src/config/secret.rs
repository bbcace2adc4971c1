//! Resolving secrets given by reference (`{ env = "VAR" }` or `{ command = "pass show x" }`).
//!
//! The config file never holds a secret, only where to find it. Resolution happens when a
//! source starts, not when the file is read, so a missing variable only breaks the backend
//! that needs it. A resolved value never appears in an error or in `Debug` output: errors name
//! the variable or the command, and the first line of the command's stderr, nothing else.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::model::SecretRef;

/// How long a secret command may run before it is killed (a `pass` or `gpg` waiting for a
/// passphrase on a terminal it does not have must not hang a source forever).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a prefetched command's answer may wait to be used.
const PREFETCH_TTL: Duration = Duration::from_mins(1);

/// Answers of secret commands run ahead of use (see [`prefetch`]), each taken once.
type Prefetched = Vec<(String, Result<String, SecretError>, Instant)>;
static PREFETCHED: std::sync::Mutex<Prefetched> = std::sync::Mutex::new(Vec::new());

/// Runs the secret commands among `secrets` now, off the caller's critical path, so that
/// the code that needs them next (a context switch, awaited by the UI loop) does not wait
/// on `pass` or `vault`. Each answer, success or failure, is used by the next
/// [`SecretRef::resolve`] of the same command within a minute, then forgotten.
pub fn prefetch(secrets: &[SecretRef]) {
    for secret in secrets {
        if let SecretRef::Command(command) = secret {
            let answer = run_command(command, COMMAND_TIMEOUT);
            if let Ok(mut cache) = PREFETCHED.lock() {
                cache.retain(|(_, _, at)| at.elapsed() < PREFETCH_TTL);
                cache.push((command.clone(), answer, Instant::now()));
            }
        }
    }
}

fn take_prefetched(command: &str) -> Option<Result<String, SecretError>> {
    let mut cache = PREFETCHED.lock().ok()?;
    cache.retain(|(_, _, at)| at.elapsed() < PREFETCH_TTL);
    let i = cache.iter().position(|(c, _, _)| c == command)?;
    Some(cache.remove(i).1)
}

/// Largest stdout accepted from a secret command.
const MAX_OUTPUT: u64 = 64 * 1024;

/// Why a secret could not be resolved. No variant holds the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable `{var}` is not set")]
    EnvMissing { var: String },
    #[error("environment variable `{var}` is not valid UTF-8")]
    EnvNotUnicode { var: String },
    #[error("environment variable `{var}` is empty")]
    EnvEmpty { var: String },
    #[error("secret command `{command}` could not start: {reason}")]
    Spawn { command: String, reason: String },
    #[error("secret command `{command}` failed ({status}){}", stderr_suffix(.stderr))]
    Failed {
        command: String,
        status: String,
        /// First line of the command's stderr, sanitized; empty when it printed nothing.
        stderr: String,
    },
    #[error("secret command `{command}` did not finish within {} s", .timeout.as_secs())]
    Timeout { command: String, timeout: Duration },
    #[error("secret command `{command}` printed nothing on stdout")]
    CommandEmpty { command: String },
    #[error("secret command `{command}` printed output that is not UTF-8")]
    CommandNotUnicode { command: String },
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

impl SecretRef {
    /// Resolves the secret: reads the environment variable, or runs the command through
    /// `sh -c` (stdin closed, killed after [`COMMAND_TIMEOUT`]) and takes its stdout with the
    /// trailing newline removed.
    ///
    /// This blocks while a command runs; async callers use `spawn_blocking`.
    pub fn resolve(&self) -> Result<String, SecretError> {
        match self {
            Self::Env(var) => resolve_env(var, |v| std::env::var(v)),
            Self::Command(command) => {
                take_prefetched(command).unwrap_or_else(|| run_command(command, COMMAND_TIMEOUT))
            }
        }
    }

    /// Short description for messages: `env BACKSTAGE_TOKEN` or `command pass show x`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Env(var) => format!("env {var}"),
            Self::Command(cmd) => format!("command `{cmd}`"),
        }
    }
}

fn resolve_env(
    var: &str,
    get: impl Fn(&str) -> Result<String, std::env::VarError>,
) -> Result<String, SecretError> {
    match get(var) {
        Ok(value) if value.is_empty() => Err(SecretError::EnvEmpty {
            var: var.to_owned(),
        }),
        Ok(value) => Ok(value),
        Err(std::env::VarError::NotPresent) => Err(SecretError::EnvMissing {
            var: var.to_owned(),
        }),
        Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::EnvNotUnicode {
            var: var.to_owned(),
        }),
    }
}

fn run_command(command: &str, timeout: Duration) -> Result<String, SecretError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| SecretError::Spawn {
            command: command.to_owned(),
            reason: e.to_string(),
        })?;
    // Read both pipes on their own threads so a chatty command cannot block on a full pipe
    // while we wait for it.
    let stdout = child.stdout.take().map(|out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.take(MAX_OUTPUT).read_to_end(&mut buf);
            buf
        })
    });
    let stderr = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.take(MAX_OUTPUT).read_to_end(&mut buf);
            buf
        })
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SecretError::Timeout {
                    command: command.to_owned(),
                    timeout,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(SecretError::Spawn {
                    command: command.to_owned(),
                    reason: e.to_string(),
                });
            }
        }
    };
    let out = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
    let err = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    if !status.success() {
        let first = String::from_utf8_lossy(&err)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(crate::model::clean)
            .unwrap_or_default();
        let status = status.code().map_or_else(
            || "killed by a signal".to_owned(),
            |c| format!("exit status {c}"),
        );
        return Err(SecretError::Failed {
            command: command.to_owned(),
            status,
            stderr: first,
        });
    }
    let mut value = String::from_utf8(out).map_err(|_| SecretError::CommandNotUnicode {
        command: command.to_owned(),
    })?;
    // `pass` and `echo` end with a newline; a secret never does.
    while value.ends_with('\n') || value.ends_with('\r') {
        value.pop();
    }
    if value.is_empty() {
        return Err(SecretError::CommandEmpty {
            command: command.to_owned(),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_missing_names_the_variable() {
        let err = resolve_env("OPSDECK_NO_SUCH", |_| Err(std::env::VarError::NotPresent))
            .expect_err("missing");
        assert_eq!(
            err.to_string(),
            "environment variable `OPSDECK_NO_SUCH` is not set"
        );
        let ok = resolve_env("X", |_| Ok("s3cr3t".into())).expect("set");
        assert_eq!(ok, "s3cr3t");
        let empty = resolve_env("X", |_| Ok(String::new())).expect_err("empty");
        assert!(matches!(empty, SecretError::EnvEmpty { .. }));
    }

    #[test]
    fn command_output_is_trimmed_of_its_newline() {
        let secret = SecretRef::Command("printf 'hunter2\\n'".into())
            .resolve()
            .expect("runs");
        assert_eq!(secret, "hunter2");
    }

    #[test]
    fn failing_command_reports_first_stderr_line_but_never_stdout() {
        // The command text never spells the values, so a leak would show.
        let err = SecretRef::Command(
            "printf 'top%s' secret; echo 'gpg: decryption failed' >&2; \
             printf 'sec%s' ond >&2; exit 3"
                .into(),
        )
        .resolve()
        .expect_err("fails");
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("exit status 3"), "{shown}");
        assert!(shown.contains("gpg: decryption failed"), "{shown}");
        assert!(!shown.contains("second"), "{shown}");
        assert!(!shown.contains("topsecret"), "{shown}");
    }

    #[test]
    fn slow_command_is_killed() {
        let err = run_command("sleep 5", Duration::from_millis(100)).expect_err("times out");
        assert!(matches!(err, SecretError::Timeout { .. }), "{err}");
    }

    #[test]
    fn empty_output_is_an_error() {
        let err = SecretRef::Command("true".into())
            .resolve()
            .expect_err("empty");
        assert!(matches!(err, SecretError::CommandEmpty { .. }));
    }

    #[test]
    fn a_prefetched_answer_is_used_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let marker = dir.path().join("runs");
        let command = format!("echo x >> {} && printf s3cret", marker.display());
        let secret = SecretRef::Command(command);
        prefetch(std::slice::from_ref(&secret));
        let runs = || {
            std::fs::read_to_string(&marker)
                .unwrap_or_default()
                .lines()
                .count()
        };
        assert_eq!(runs(), 1);
        assert_eq!(secret.resolve().as_deref(), Ok("s3cret"));
        assert_eq!(runs(), 1, "the prefetched answer was used");
        assert_eq!(secret.resolve().as_deref(), Ok("s3cret"));
        assert_eq!(runs(), 2, "and only once");
    }
}
