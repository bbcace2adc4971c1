//! Runs custom commands (`commands.toml`): the program found on `PATH` (in the sandbox, the
//! sandbox's stand-ins first), the argument vector exactly as the app built it (no shell
//! unless the line asked for `sh -c`), the configured database password in `PGPASSWORD`
//! for that one child only. Interactive ones get the terminal until they exit; captured ones
//! run without it, their output bounded and their run limited in time, and come back as a
//! view. Audited ones run only once the gate admitted them, and their outcome (exit status,
//! how long) is recorded, never their output.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::actions::gate::ExecResult;
use crate::app::custom::{CommandOutput, CustomRun};
use crate::commands::Mode;
use crate::config::Config;
use crate::model::custom_command::display_line;
use crate::model::platform::OutcomeStatus;

/// A captured command is killed after this long (`kcat` without `-e` would never end).
pub const CAPTURE_TIMEOUT: Duration = Duration::from_mins(1);

/// At most this many bytes of a captured command's output are kept.
pub const CAPTURE_BYTES: usize = 1 << 20;

/// The programs the sandbox stands in for (`crate::cli::sandbox_tools`).
pub const SANDBOX_TOOLS: &[&str] = &["kubectl", "psql", "kcat", "k9s"];

/// Environment variable naming the sandbox's seed to its stand-ins.
pub const SANDBOX_SEED_VAR: &str = "OPSDECK_SANDBOX_SEED";

/// Ready to start: the program's path, its arguments and the variables it gets on top of
/// opsdeck's own environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The line as the user reads it.
    pub line: String,
}

/// How a command ended.
#[derive(Debug)]
pub struct Ended {
    pub status: std::io::Result<std::process::ExitStatus>,
    pub output: Vec<u8>,
    pub took: Duration,
    pub timed_out: bool,
}

impl Ended {
    /// "exit 0 after 2.1 s".
    #[must_use]
    pub fn words(&self) -> String {
        let took = format!("{:.1} s", self.took.as_secs_f64());
        match &self.status {
            _ if self.timed_out => format!(
                "killed after {} s (custom commands that capture output may run {} s)",
                CAPTURE_TIMEOUT.as_secs(),
                CAPTURE_TIMEOUT.as_secs()
            ),
            Ok(s) => match s.code() {
                Some(code) => format!("exit {code} after {took}"),
                None => format!("{s} after {took}"),
            },
            Err(e) => format!("did not run: {e}"),
        }
    }

    #[must_use]
    pub fn succeeded(&self) -> bool {
        !self.timed_out
            && self
                .status
                .as_ref()
                .is_ok_and(std::process::ExitStatus::success)
    }
}

/// Finds the program and the environment for `argv` in `context`.
///
/// # Errors
/// The program is not installed, or the database's password cannot be read.
pub fn prepare(
    config: &Config,
    context: &str,
    data_dir: Option<&Path>,
    argv: &[String],
    database: Option<&str>,
) -> Result<Prepared, String> {
    let (program, rest) = argv
        .split_first()
        .ok_or_else(|| "the command line is empty".to_owned())?;
    let ctx = config.context(context);
    let mut env = vec![("OPSDECK_CONTEXT".to_owned(), context.to_owned())];
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(seed) = ctx.and_then(|c| c.sandbox_seed) {
        let dir = sandbox_tools_dir(data_dir)?;
        let mut dirs = vec![dir];
        dirs.extend(std::env::split_paths(&path));
        path = std::env::join_paths(dirs).map_err(|e| e.to_string())?;
        env.push((SANDBOX_SEED_VAR.to_owned(), seed.to_string()));
        env.push(("PATH".to_owned(), path.to_string_lossy().into_owned()));
    }
    if let (Some(ctx), Some(database)) = (ctx, database)
        && let Some(db) = ctx.postgres.iter().find(|d| d.name == database)
        && let Some(secret) = &db.password
    {
        let password = secret
            .resolve()
            .map_err(|e| format!("the password of database {database}: {e}"))?;
        env.push(("PGPASSWORD".to_owned(), password));
    }
    let found = if program.contains('/') {
        Some(PathBuf::from(program))
    } else {
        super::k9s::find_program(program, Some(&path))
    };
    let program = found.ok_or_else(|| {
        format!("{program} is not installed (no `{program}` on PATH), so nothing ran")
    })?;
    Ok(Prepared {
        program,
        args: rest.to_vec(),
        env,
        line: display_line(argv),
    })
}

/// The directory of the sandbox's stand-ins: `kubectl`, `psql`, `kcat` and `k9s` as links
/// to this binary, which answers as the stand-in its name says.
fn sandbox_tools_dir(data_dir: Option<&Path>) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find opsdeck itself: {e}"))?;
    let base = data_dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let dir = base.join("sandbox-tools");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for tool in SANDBOX_TOOLS {
        let link = dir.join(tool);
        if std::fs::read_link(&link).is_ok_and(|target| target == exe) {
            continue;
        }
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&exe, &link).map_err(|e| format!("{}: {e}", link.display()))?;
    }
    Ok(dir)
}

/// Runs without a terminal: stdin empty, stdout and stderr into one bounded buffer, killed
/// after [`CAPTURE_TIMEOUT`].
pub async fn capture(prepared: &Prepared) -> Ended {
    capture_for(prepared, CAPTURE_TIMEOUT).await
}

async fn capture_for(prepared: &Prepared, limit: Duration) -> Ended {
    use tokio::io::AsyncReadExt as _;
    let started = Instant::now();
    let spawned = (|| {
        let (reader, writer) = std::io::pipe()?;
        let child = tokio::process::Command::new(&prepared.program)
            .args(&prepared.args)
            .envs(prepared.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer)
            .kill_on_drop(true)
            .spawn()?;
        Ok::<_, std::io::Error>((child, reader))
    })();
    let (mut child, reader) = match spawned {
        Ok(pair) => pair,
        Err(e) => {
            return Ended {
                status: Err(e),
                output: Vec::new(),
                took: started.elapsed(),
                timed_out: false,
            };
        }
    };
    let read = async move {
        let owned: std::os::fd::OwnedFd = reader.into();
        let mut pipe = tokio::fs::File::from_std(std::fs::File::from(owned));
        let mut out = Vec::new();
        // On the heap: a buffer in the future would make every caller's future as large.
        let mut buf = vec![0u8; 8192];
        loop {
            match pipe.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = CAPTURE_BYTES.saturating_sub(out.len());
                    out.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        out
    };
    let run = async {
        let (status, output) = tokio::join!(child.wait(), read);
        (status, output)
    };
    match tokio::time::timeout(limit, run).await {
        Ok((status, output)) => Ended {
            status,
            output,
            took: started.elapsed(),
            timed_out: false,
        },
        Err(_) => {
            let _ = child.kill().await;
            Ended {
                status: Err(std::io::Error::other("timed out")),
                output: Vec::new(),
                took: started.elapsed(),
                timed_out: true,
            }
        }
    }
}

/// The view of a captured command's output.
#[must_use]
pub fn output_view(name: &str, prepared: &Prepared, ended: &Ended) -> CommandOutput {
    // The line goes first in the view as well as in the title, which may be cut.
    let mut text = format!("$ {}\n\n", prepared.line).into_bytes();
    text.extend_from_slice(&ended.output);
    CommandOutput::new(
        format!("{name}: {} ({})", prepared.line, ended.words()),
        &text,
    )
}

/// The gate's outcome of an audited run: the exit status and how long, not the output.
#[must_use]
pub fn exec_result(prepared: &Prepared, ended: &Ended) -> ExecResult {
    ExecResult {
        status: if ended.succeeded() {
            OutcomeStatus::Succeeded
        } else {
            OutcomeStatus::Failed
        },
        detail: format!("{}: {}", prepared.line, ended.words()),
    }
}

/// What an audited request runs.
#[must_use]
pub fn plain(request: &crate::model::action::ActionRequest) -> Option<CustomRun> {
    match request {
        crate::model::action::ActionRequest::CustomCommand {
            name,
            argv,
            mode,
            database,
            ..
        } => Some(CustomRun {
            name: name.clone(),
            argv: argv.clone(),
            mode: if mode == Mode::Capture.as_str() {
                Mode::Capture
            } else {
                Mode::Interactive
            },
            database: database.clone(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(line: &[&str]) -> Prepared {
        Prepared {
            program: PathBuf::from(line[0]),
            args: line[1..].iter().map(|s| (*s).to_owned()).collect(),
            env: vec![("OPSDECK_TEST_VALUE".into(), "from opsdeck".into())],
            line: line.join(" "),
        }
    }

    #[tokio::test]
    async fn captures_stdout_and_stderr_with_the_exit_status() {
        let p = prepared(&[
            "/bin/sh",
            "-c",
            "echo out; echo err >&2; echo \"$OPSDECK_TEST_VALUE\"; exit 3",
        ]);
        let ended = capture(&p).await;
        assert_eq!(ended.status.as_ref().unwrap().code(), Some(3));
        let text = String::from_utf8(ended.output.clone()).unwrap();
        assert!(text.contains("out\n") && text.contains("err\n"), "{text}");
        assert!(text.contains("from opsdeck"), "{text}");
        assert!(!ended.succeeded());
        assert!(
            ended.words().starts_with("exit 3 after"),
            "{}",
            ended.words()
        );
    }

    #[tokio::test]
    async fn a_capture_that_runs_too_long_is_killed() {
        let p = prepared(&["/bin/sleep", "30"]);
        let ended = capture_for(&p, Duration::from_millis(200)).await;
        assert!(ended.timed_out);
        assert!(
            ended.words().starts_with("killed after"),
            "{}",
            ended.words()
        );
    }

    #[tokio::test]
    async fn output_is_bounded() {
        let p = prepared(&["/bin/sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x"]);
        let ended = capture(&p).await;
        assert!(ended.succeeded());
        assert_eq!(ended.output.len(), CAPTURE_BYTES);
    }

    #[test]
    fn a_missing_program_is_named() {
        let config = Config::default();
        let err = prepare(
            &config,
            "x",
            None,
            &["no-such-program-here".to_owned()],
            None,
        )
        .unwrap_err();
        assert!(
            err.contains("no-such-program-here is not installed"),
            "{err}"
        );
    }
}
