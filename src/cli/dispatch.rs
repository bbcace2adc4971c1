//! The dispatch of each subcommand: everything `main` does after parsing the command line.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::CommandFactory;
use color_eyre::eyre::{Result, WrapErr};

use super::args::{
    Cli, Command, ConfigCommand, IncidentArgs, PlatformCommand, SandboxReport, StatusArgs, UiArgs,
};
use super::console::{Mode, TourStart, console, console_with_tour};
use crate::config::ColorChoice;
use crate::config::paths::Paths;
use crate::theme::ColorDepth;
use crate::tour::library::TourLibrary;

/// Writes to stdout; a reader that closed the pipe early (`| head`) is not an error.
fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Writes `opsdeck config init`'s text to `file`; an existing file is replaced only with
/// `force`, and then kept as `FILE.bak`, so nothing is lost.
fn write_init(
    file: &std::path::Path,
    text: &str,
    force: bool,
    found: &crate::config::init::Found,
) -> ExitCode {
    if file.exists() {
        if !force {
            return usage_error(format!(
                "{} exists; not replacing it. Use --force to replace it (the old one is kept \
                 as {}.bak), --stdout to print, or give another FILE",
                file.display(),
                file.display()
            ));
        }
        let backup = std::path::PathBuf::from(format!("{}.bak", file.display()));
        if let Err(e) = std::fs::rename(file, &backup) {
            return usage_error(format!(
                "cannot keep {} as {}: {e}",
                file.display(),
                backup.display()
            ));
        }
        eprintln!("kept the old config as {}", backup.display());
    }
    if let Some(dir) = file.parent()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        return usage_error(format!("cannot create {}: {e}", dir.display()));
    }
    if let Err(e) = std::fs::write(file, text) {
        return usage_error(format!("cannot write {}: {e}", file.display()));
    }
    println!(
        "wrote {}: {} kube context(s){}{}, and the sandbox context `demo`",
        file.display(),
        found.kube_contexts.len(),
        if found.pg.is_empty() {
            ""
        } else {
            ", a database from the PG* variables"
        },
        found
            .kafka
            .as_deref()
            .map_or(String::new(), |b| format!(", the broker on {b}"))
    );
    println!("check it with: opsdeck config check {}", file.display());
    ExitCode::SUCCESS
}

/// A user-file problem: printed plainly and exit code 2, before the terminal is touched.
pub(super) fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("opsdeck: {message}");
    ExitCode::from(2)
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per subcommand: the CLI's dispatch table reads best whole"
)]
pub fn dispatch(cli: Cli, paths: &Paths) -> Result<ExitCode> {
    match cli.command {
        None => console(&cli.ui, paths, Mode::Configured),
        Some(Command::Sandbox {
            seed,
            ui,
            report: Some(report),
        }) => {
            let fleet = super::report::Fleet::Sandbox(seed);
            let ui = cli.ui.merged(&ui);
            match report {
                SandboxReport::Status(args) => status(&ui, &args, &fleet, paths),
                SandboxReport::Incident(args) => incident(&ui, &args, &fleet, paths),
            }
        }
        Some(Command::Sandbox { seed, ui, .. }) => {
            console(&cli.ui.merged(&ui), paths, Mode::Sandbox(seed))
        }
        Some(Command::Status(args)) => {
            status(&cli.ui, &args, &super::report::Fleet::Configured, paths)
        }
        Some(Command::Incident(args)) => {
            incident(&cli.ui, &args, &super::report::Fleet::Configured, paths)
        }
        Some(Command::Tour {
            name,
            list,
            check,
            seed,
            real,
            allow_writes,
            restart,
            ui,
        }) => {
            if !check.is_empty() {
                return Ok(check_tours(&check));
            }
            let library = TourLibrary::load(Some(&paths.config_dir));
            if list {
                out(&describe_tours(&library, &paths.data_dir));
                return Ok(ExitCode::SUCCESS);
            }
            if let Some(name) = &name
                && library.find(name).is_none()
            {
                // A user file of that name that does not load says why, with file and line.
                let broken = library.broken.iter().find(|d| {
                    std::path::Path::new(&d.file)
                        .file_stem()
                        .is_some_and(|s| s == name.as_str())
                });
                return Ok(usage_error(broken.map_or_else(
                    || format!("no tour `{name}`; tours: {}", library.names().join(", ")),
                    ToString::to_string,
                )));
            }
            let tour = TourStart {
                name,
                library,
                allow_writes,
                restart,
            };
            let mode = if real {
                Mode::Configured
            } else {
                Mode::Sandbox(seed)
            };
            console_with_tour(&cli.ui.merged(&ui), paths, mode, Some(tour))
        }
        Some(Command::Logs {
            files,
            explain: true,
            ..
        }) => explain_logs(&files),
        Some(Command::Logs {
            files, ansi, ui, ..
        }) => console(
            &cli.ui.merged(&ui),
            paths,
            Mode::LocalLogs(files, ansi.into()),
        ),
        Some(Command::Paths) => {
            out(&format!(
                "config file  {}\nconfig dir   {}\ndata dir     {}\nlog file     {}\n",
                paths.config_file.display(),
                paths.config_dir.display(),
                paths.data_dir.display(),
                paths.log_file.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Keys { markdown, keymap }) => {
            let keymap = keymap
                .as_deref()
                .or(cli.ui.keymap.as_deref())
                .unwrap_or("default");
            match crate::keymap::Keymap::load(keymap, Some(&paths.config_dir)) {
                Ok(km) if markdown => {
                    out(&crate::keymap::markdown_table(&km));
                    Ok(ExitCode::SUCCESS)
                }
                Ok(km) => match custom_commands(paths, &km) {
                    Ok(commands) => {
                        out(&crate::keymap::describe(&km));
                        out(&crate::commands::describe(&commands));
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(d) => Ok(usage_error(d)),
                },
                Err(d) => Ok(usage_error(d)),
            }
        }
        Some(Command::Commands { example, check }) => {
            if example {
                out(crate::commands::EXAMPLES);
                return Ok(ExitCode::SUCCESS);
            }
            let keymap_name = cli.ui.keymap.as_deref().unwrap_or("default");
            let keymap = match crate::keymap::Keymap::load(keymap_name, Some(&paths.config_dir)) {
                Ok(km) => km,
                Err(d) => return Ok(usage_error(d)),
            };
            if check.is_empty() {
                return match custom_commands(paths, &keymap) {
                    Ok(commands) if commands.is_empty() => {
                        out(&format!(
                            "no custom commands: {} does not exist (`opsdeck commands --example` prints a starting file)\n",
                            paths.config_dir.join(crate::commands::FILE_NAME).display()
                        ));
                        Ok(ExitCode::SUCCESS)
                    }
                    Ok(commands) => {
                        out(crate::commands::describe(&commands).trim_start());
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(d) => Ok(usage_error(d)),
                };
            }
            let mut failed = false;
            for file in &check {
                let checked = std::fs::read_to_string(file)
                    .map_err(|e| crate::diagnostic::Diagnostic {
                        file: file.display().to_string(),
                        line: 0,
                        column: 0,
                        key: None,
                        message: format!("cannot read: {e}"),
                    })
                    .and_then(|source| {
                        crate::commands::CustomCommands::parse(&file.display().to_string(), &source)
                    })
                    .and_then(|commands| commands.check_keys(&keymap).map(|()| commands));
                match checked {
                    Ok(commands) => out(&format!(
                        "{}: ok ({} commands)\n",
                        file.display(),
                        commands.commands.len()
                    )),
                    Err(d) => {
                        eprintln!("{d}");
                        failed = true;
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        Some(Command::Themes) => {
            out(&crate::theme::describe());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config {
            action: ConfigCommand::Example,
        }) => {
            out(crate::config::example::EXAMPLE);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config {
            action:
                ConfigCommand::Init {
                    file,
                    stdout,
                    force,
                },
        }) => {
            let home = directories::BaseDirs::new().map(|d| d.home_dir().to_owned());
            let found = crate::config::init::discover(
                |k| std::env::var(k).ok(),
                home.as_deref(),
                crate::config::init::tcp_probe,
            );
            let text = crate::config::init::render(&found, &jiff::Zoned::now().date().to_string());
            if stdout {
                out(&text);
                return Ok(ExitCode::SUCCESS);
            }
            let file = file.unwrap_or_else(|| paths.config_file.clone());
            Ok(write_init(&file, &text, force, &found))
        }
        Some(Command::Config {
            action: ConfigCommand::Check { file },
        }) => {
            let file = file.unwrap_or_else(|| paths.config_file.clone());
            match crate::config::load::load(&file) {
                Ok(config) => {
                    println!(
                        "{}: ok ({} contexts)",
                        file.display(),
                        config.contexts.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(diags) => Ok(usage_error(format!(
                    "{} problem(s)\n{diags}",
                    diags.0.len()
                ))),
            }
        }
        Some(Command::Screenshot {
            pane,
            size,
            out,
            seed,
        }) => {
            let (w, h) = size
                .split_once('x')
                .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                .ok_or_else(|| color_eyre::eyre::eyre!("--size must be COLSxROWS, e.g. 120x36"))?;
            let svg = crate::screenshot::render_svg(pane, w, h, seed)
                .map_err(|e| color_eyre::eyre::eyre!(e))?;
            std::fs::write(&out, svg).wrap_err_with(|| format!("writing {}", out.display()))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "opsdeck", &mut script);
            out(&String::from_utf8_lossy(&script));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Platform { action }) => platform(action, paths),
        Some(Command::SandboxProvisioner) => {
            crate::sources::sandbox::provisioner::run(std::io::stdin(), std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            out(&String::from_utf8_lossy(&page));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `status`, with `--context` also taken from before the subcommand (`opsdeck --context x
/// status`).
fn status(
    ui: &UiArgs,
    args: &StatusArgs,
    fleet: &super::report::Fleet,
    paths: &Paths,
) -> Result<ExitCode> {
    let mut report = args.report.clone();
    if !args.all {
        report.context = report.context.or_else(|| ui.context.clone());
    }
    super::report::status(&report, args.all, fleet, paths)
}

/// `incident`, with `--context` also taken from before the subcommand.
fn incident(
    ui: &UiArgs,
    args: &IncidentArgs,
    fleet: &super::report::Fleet,
    paths: &Paths,
) -> Result<ExitCode> {
    let mut report = args.report.clone();
    report.context = report.context.or_else(|| ui.context.clone());
    super::report::incident(&args.service, &report, fleet, paths)
}

fn platform(action: PlatformCommand, paths: &Paths) -> Result<ExitCode> {
    match action {
        PlatformCommand::Verify(args) => {
            return Ok(super::platform_verify::run(&args, paths));
        }
        PlatformCommand::Serve(args) => {
            // The server logs to stderr (and --log-file), never into the console's log.
            let _guard = init_serve_logging(args.log_file.as_deref())?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            // A setup problem (flags, files, port) is said in one plain line, as for other
            // user errors; it is not a crash to show a backtrace for.
            if let Err(e) = runtime.block_on(crate::platform::cli::run(*args)) {
                return Ok(usage_error(format!("platform serve: {e}")));
            }
        }
        PlatformCommand::ExampleTokens => out(crate::platform::examples::TOKENS_EXAMPLE),
        PlatformCommand::ExamplePolicy => out(crate::platform::examples::POLICY_EXAMPLE),
        PlatformCommand::Targets => out(&crate::model::targets::markdown()),
        PlatformCommand::CheckPolicy(args) => {
            return Ok(match crate::platform::check::run(&args) {
                Ok(report) => {
                    out(&report.text);
                    ExitCode::from(match report.decision {
                        crate::model::platform::Decision::Allow => 0,
                        crate::model::platform::Decision::Deny => 1,
                        crate::model::platform::Decision::NeedsApproval => 3,
                    })
                }
                Err(e) => usage_error(e),
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `platform serve`'s log: human-readable lines on stderr (coloured on a terminal) and, with
/// `--log-file`, the same lines appended to that file.
fn init_serve_logging(
    log_file: Option<&std::path::Path>,
) -> Result<Option<tracing_appender::non_blocking::WorkerGuard>> {
    use std::io::IsTerminal as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("OPSDECK_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let (file, guard) = match log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .wrap_err_with(|| format!("--log-file {}", path.display()))?;
            let (writer, guard) = tracing_appender::non_blocking(file);
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false);
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .init();
    Ok(guard)
}

pub(super) fn init_logging(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    std::fs::create_dir_all(&paths.data_dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.log_file)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("OPSDECK_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .init();
    Some(guard)
}

pub(super) fn color_depth(choice: ColorChoice) -> ColorDepth {
    let var = |k: &str| std::env::var(k).ok();
    match choice {
        ColorChoice::Auto => ColorDepth::detect(
            var("NO_COLOR").as_deref(),
            var("COLORTERM").as_deref(),
            var("TERM").as_deref(),
        ),
        ColorChoice::Never => ColorDepth::Mono,
        ColorChoice::Ansi16 => ColorDepth::Ansi16,
        ColorChoice::Ansi256 => ColorDepth::Ansi256,
        ColorChoice::TrueColor => ColorDepth::TrueColor,
    }
}

/// `opsdeck tour --check FILE…`: each file's first problem, or ok.
fn check_tours(files: &[std::path::PathBuf]) -> ExitCode {
    let mut failed = false;
    for file in files {
        match crate::tour::library::load_file(file) {
            Ok(spec) => println!(
                "{}: ok ({}, {} chapters, {} steps)",
                file.display(),
                spec.name(),
                spec.chapters().len(),
                spec.step_count()
            ),
            Err(d) => {
                eprintln!("{d}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// `opsdeck tour --list`.
fn describe_tours(library: &TourLibrary, data_dir: &std::path::Path) -> String {
    let progress = crate::tour::progress::load(data_dir);
    let mut text = String::new();
    for tour in &library.tours {
        let state =
            crate::tour::progress::Standing::of(progress.get(tour.name()), tour.chapters().len())
                .word();
        let _ = writeln!(text, "{:<22} {:<40} {state}", tour.name(), tour.title);
    }
    for broken in &library.broken {
        let _ = writeln!(text, "broken: {broken}");
    }
    text
}

/// `opsdeck logs --explain FILE…`: each line's level and detected format, tab-separated. Stamps
/// without a year are placed near the file's modification time (or now), as the console would.
fn explain_logs(files: &[std::path::PathBuf]) -> Result<ExitCode> {
    for file in files {
        let bytes = std::fs::read(file).wrap_err_with(|| format!("reading {}", file.display()))?;
        let modified = std::fs::metadata(file)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .unwrap_or_else(jiff::Timestamp::now);
        let options = crate::model::logs::ParseOptions {
            reference_nanos: i64::try_from(modified.as_nanosecond()).ok(),
            ..crate::model::logs::ParseOptions::default()
        };
        out(&crate::model::logs::explain_lines(&bytes, options));
    }
    Ok(ExitCode::SUCCESS)
}

/// The user's custom commands, checked against `keymap`.
fn custom_commands(
    paths: &Paths,
    keymap: &crate::keymap::Keymap,
) -> Result<crate::commands::CustomCommands, crate::diagnostic::Diagnostic> {
    let commands = crate::commands::CustomCommands::load(Some(&paths.config_dir))?;
    commands.check_keys(keymap)?;
    Ok(commands)
}
