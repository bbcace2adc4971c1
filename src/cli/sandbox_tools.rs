//! opsdeck answering as one of the sandbox's stand-ins (`kubectl`, `psql`, `kcat`, `k9s`):
//! a custom command in `opsdeck sandbox` finds them first on its `PATH`, as links to this
//! binary, with the sandbox's seed in `OPSDECK_SANDBOX_SEED`. The answers come from
//! [`crate::sources::sandbox::tools`]; this file does the terminal: the shell session and
//! psql's prompt.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;

use crate::runtime::custom::{SANDBOX_SEED_VAR, SANDBOX_TOOLS};
use crate::sources::sandbox::World;
use crate::sources::sandbox::tools::{self, Answer};

/// The stand-in this process was started as, when it was: the name it was run by is one of
/// the tools and the sandbox's seed is set.
#[must_use]
pub fn invoked_as() -> Option<(&'static str, u64)> {
    let argv0 = std::env::args_os().next()?;
    let name = std::path::Path::new(&argv0)
        .file_name()?
        .to_str()?
        .to_owned();
    let tool = SANDBOX_TOOLS.iter().copied().find(|t| *t == name)?;
    let seed = std::env::var(SANDBOX_SEED_VAR).ok()?.parse().ok()?;
    Some((tool, seed))
}

/// Runs the stand-in `tool` with this process's arguments.
#[must_use]
pub fn run(tool: &str, seed: u64) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let now = jiff::Timestamp::now();
    let mut world = World::new(seed, now);
    let answer = match tool {
        "kubectl" => tools::kubectl(&mut world, &args, now),
        "psql" => tools::psql(&world, &args),
        "kcat" => tools::kcat(&world, &args),
        _ => tools::k9s(),
    };
    match answer {
        Answer::Print { code, text } => {
            if code == 0 {
                print!("{text}");
            } else {
                eprint!("{text}");
            }
            ExitCode::from(code)
        }
        Answer::Shell {
            namespace,
            pod,
            container,
        } => shell(&namespace, &pod, &container),
        Answer::Psql { database } => psql_prompt(&world, &database),
    }
}

/// The sandbox's shell in `pod`, on this terminal, as `S` opens it in the console.
fn shell(namespace: &str, pod: &str, container: &str) -> ExitCode {
    let request = crate::model::action::ActionRequest::ExecPod {
        namespace: namespace.to_owned(),
        name: pod.to_owned(),
        container: container.to_owned(),
        command: crate::model::k8s::shell::shell_command(),
    };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return ExitCode::FAILURE;
    };
    let end = runtime.block_on(async {
        match crate::sources::sandbox::shell::open(&request) {
            Ok(session) => {
                let title = format!("sandbox shell in {namespace}/{pod} ({container})");
                Ok(crate::runtime::session_tty::hand_over(&title, session).await)
            }
            Err(e) => Err(e),
        }
    });
    // `hand_over` gives the terminal back to a console it assumes is there; this process
    // has none, so the terminal goes back to how the caller left it.
    crate::runtime::terminal::restore();
    match end {
        Ok(end) => ExitCode::from(
            end.exit
                .and_then(|code| u8::try_from(code).ok())
                .unwrap_or(1),
        ),
        Err(e) => {
            eprintln!("kubectl (opsdeck sandbox stand-in): {e}");
            ExitCode::FAILURE
        }
    }
}

/// psql's prompt: a line at a time until `\q` or end of input.
fn psql_prompt(world: &World, database: &str) -> ExitCode {
    let mut stdout = std::io::stdout();
    let _ = write!(stdout, "{}", tools::psql_banner(database));
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        let _ = write!(stdout, "{database}=> ");
        let _ = stdout.flush();
        line.clear();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        match tools::psql_line(world, database, &line) {
            Some(text) => {
                let _ = write!(stdout, "{text}");
            }
            None => break,
        }
    }
    let _ = writeln!(stdout);
    ExitCode::SUCCESS
}
