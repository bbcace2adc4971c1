//! The `opsdeck` binary: command-line wiring only. Errors are reported here, at the edge.

use std::process::ExitCode;

use clap::CommandFactory;
use color_eyre::eyre::{Result, WrapErr};

use opsdeck::app::run::{Environment, load_ui};
use opsdeck::app::state::{ContextInfo, State};
use opsdeck::app::terminal::{self, Tty};
use opsdeck::cli::{Cli, Command, ConfigCommand, PlatformCommand, UiArgs};
use opsdeck::config::paths::Paths;
use opsdeck::config::{ColorChoice, Config};
use opsdeck::theme::ColorDepth;
use opsdeck::tour::library::TourLibrary;

fn main() -> ExitCode {
    let paths = Paths::resolve();
    let long_version: &'static str = Box::leak(
        format!(
            "{}\nlog: {}",
            env!("CARGO_PKG_VERSION"),
            paths.log_file.display()
        )
        .into_boxed_str(),
    );
    let matches = Cli::command().long_version(long_version).get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if let Err(e) = color_eyre::install() {
        eprintln!("opsdeck: {e}");
    }
    match dispatch(cli, &paths) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("opsdeck: {e:?}");
            ExitCode::FAILURE
        }
    }
}

/// Writes to stdout; a reader that closed the pipe early (`| head`) is not an error.
fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// A user-file problem: printed plainly and exit code 2, before the terminal is touched.
fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("opsdeck: {message}");
    ExitCode::from(2)
}

fn dispatch(cli: Cli, paths: &Paths) -> Result<ExitCode> {
    match cli.command {
        None => console(&cli.ui, paths, Mode::Configured),
        Some(Command::Sandbox { seed }) => console(&cli.ui, paths, Mode::Sandbox(seed)),
        Some(Command::Tour {
            name,
            list,
            check,
            seed,
            real,
            allow_writes,
            restart,
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
            console_with_tour(&cli.ui, paths, mode, Some(tour))
        }
        Some(Command::Logs { files, ansi }) => {
            console(&cli.ui, paths, Mode::LocalLogs(files, ansi.into()))
        }
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
        Some(Command::Keys { markdown }) => {
            let keymap = cli.ui.keymap.as_deref().unwrap_or("default");
            match opsdeck::keymap::Keymap::load(keymap, Some(&paths.config_dir)) {
                Ok(km) if markdown => {
                    out(&opsdeck::keymap::markdown_table(&km));
                    Ok(ExitCode::SUCCESS)
                }
                Ok(km) => {
                    out(&opsdeck::keymap::describe(&km));
                    Ok(ExitCode::SUCCESS)
                }
                Err(d) => Ok(usage_error(d)),
            }
        }
        Some(Command::Themes) => {
            out(&opsdeck::theme::describe());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config {
            action: ConfigCommand::Example,
        }) => {
            out(opsdeck::config::example::EXAMPLE);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config {
            action: ConfigCommand::Check { file },
        }) => {
            let file = file.unwrap_or_else(|| paths.config_file.clone());
            match opsdeck::config::load::load(&file) {
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
            let svg = opsdeck::screenshot::render_svg(&pane, w, h, seed)
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
        Some(Command::Platform { action }) => platform(action),
        Some(Command::SandboxProvisioner) => {
            opsdeck::sources::sandbox::provisioner::run(std::io::stdin(), std::io::stdout())?;
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

fn platform(action: PlatformCommand) -> Result<ExitCode> {
    match action {
        PlatformCommand::Serve(args) => {
            let _guard = init_logging(&Paths::resolve());
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(opsdeck::platform::cli::run(*args))?;
        }
        PlatformCommand::ExampleTokens => out(opsdeck::platform::examples::TOKENS_EXAMPLE),
        PlatformCommand::ExamplePolicy => out(opsdeck::platform::examples::POLICY_EXAMPLE),
    }
    Ok(ExitCode::SUCCESS)
}

fn init_logging(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
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

fn color_depth(choice: ColorChoice) -> ColorDepth {
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

/// What the console runs on.
enum Mode {
    /// The contexts of the config file.
    Configured,
    Sandbox(u64),
    /// `opsdeck logs FILE…`, with what to do with ANSI escapes.
    LocalLogs(Vec<std::path::PathBuf>, opsdeck::model::logs::AnsiMode),
}

/// What `opsdeck tour` starts the console with.
struct TourStart {
    /// `None` opens the list.
    name: Option<String>,
    library: TourLibrary,
    allow_writes: bool,
    restart: bool,
}

/// `opsdeck tour --check FILE…`: each file's first problem, or ok.
fn check_tours(files: &[std::path::PathBuf]) -> ExitCode {
    let mut failed = false;
    for file in files {
        match opsdeck::tour::library::load_file(file) {
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
    let progress = opsdeck::tour::progress::load(data_dir);
    let mut text = String::new();
    for tour in &library.tours {
        let state =
            opsdeck::tour::progress::Standing::of(progress.get(tour.name()), tour.chapters().len())
                .word();
        text.push_str(&format!("{:<22} {:<40} {state}\n", tour.name(), tour.title));
    }
    for broken in &library.broken {
        text.push_str(&format!("broken: {broken}\n"));
    }
    text
}

fn console(ui: &UiArgs, paths: &Paths, mode: Mode) -> Result<ExitCode> {
    console_with_tour(ui, paths, mode, None)
}

fn console_with_tour(
    ui: &UiArgs,
    paths: &Paths,
    mode: Mode,
    tour: Option<TourStart>,
) -> Result<ExitCode> {
    let user_config = || -> Option<Result<Config, String>> {
        paths
            .config_file
            .exists()
            .then(|| opsdeck::config::load::load(&paths.config_file).map_err(|d| d.to_string()))
    };
    let local = matches!(mode, Mode::LocalLogs(..));
    let config = match mode {
        Mode::Sandbox(seed) => Config::sandbox(seed),
        Mode::LocalLogs(files, ansi) => {
            if let Some(missing) = files.iter().find(|f| f.as_os_str() != "-" && !f.exists()) {
                return Ok(usage_error(format!("{}: no such file", missing.display())));
            }
            // The user's theme, keymap and ring size apply; their contexts do not.
            let user = match user_config() {
                Some(Ok(c)) => Some(c),
                Some(Err(e)) => return Ok(usage_error(e)),
                None => None,
            };
            let mut config =
                Config::local_logs(files, user.as_ref().and_then(|c| c.log_lines), ansi);
            if let Some(user) = user {
                config.theme = user.theme;
                config.keymap = user.keymap;
                config.color = user.color;
            }
            config
        }
        Mode::Configured => match user_config() {
            Some(Ok(c)) => c,
            Some(Err(diags)) => return Ok(usage_error(diags)),
            None => {
                return Ok(usage_error(format!(
                    "no config at {}; try `opsdeck sandbox`, or `opsdeck config example > {}`",
                    paths.config_file.display(),
                    paths.config_file.display()
                )));
            }
        },
    };
    let depth = color_depth(
        ui.color
            .map(Into::into)
            .or(config.color)
            .unwrap_or_default(),
    );
    let theme = ui
        .theme
        .clone()
        .or_else(|| config.theme.clone())
        .unwrap_or_else(|| "default".into());
    let keymap = ui
        .keymap
        .clone()
        .or_else(|| config.keymap.clone())
        .unwrap_or_else(|| "default".into());
    let ui_settings = match load_ui(&theme, &keymap, Some(&paths.config_dir), depth) {
        Ok(u) => u,
        Err(d) => return Ok(usage_error(d)),
    };
    let context = ui
        .context
        .clone()
        .or_else(|| config.default_context.clone())
        .or_else(|| config.contexts.first().map(|c| c.name.clone()));
    let Some(context) = context else {
        return Ok(usage_error("the config defines no context"));
    };
    if config.context(&context).is_none() {
        return Ok(usage_error(format!("no context `{context}` in the config")));
    }
    let _log_guard = init_logging(paths);
    let user = std::env::var("USER").unwrap_or_else(|_| "you".into());
    let info = ContextInfo {
        name: context,
        ..ContextInfo::default()
    };
    let mut state = State::new(info, user, ui_settings, jiff::Timestamp::now());
    state.logs = opsdeck::app::logs::LogsPane::new(
        config
            .log_lines
            .unwrap_or(opsdeck::model::logs::DEFAULT_CAPACITY),
    );
    if local {
        state.history =
            opsdeck::app::state::History::new(opsdeck::app::View::Pane(opsdeck::app::PaneId::Logs));
    }
    state.readonly = ui.readonly;
    state.debug = ui.debug;
    state.tour_progress = opsdeck::tour::progress::load(&paths.data_dir);
    match tour {
        Some(tour) => {
            state.tour_allow_writes = tour.allow_writes;
            state.tours = std::sync::Arc::new(tour.library);
            match &tour.name {
                Some(name) => {
                    if tour.restart {
                        state.tour_progress.remove(name);
                    }
                    opsdeck::app::tours::begin(&mut state, name);
                }
                None => state.modal = Some(opsdeck::app::state::Modal::Tours { selected: 0 }),
            }
        }
        None => {
            state.tours = std::sync::Arc::new(TourLibrary::load(Some(&paths.config_dir)));
        }
    }
    let mut env = Environment::new(config, Some(paths.config_dir.clone()), depth);
    env.data_dir = Some(paths.data_dir.clone());
    env.readonly = state.readonly;
    env.user.clone_from(&state.user);
    env.sandbox_provisioner = std::env::current_exe().ok().map(|exe| {
        format!(
            "'{}' sandbox-provisioner",
            exe.display().to_string().replace('\'', "")
        )
    });

    terminal::install_panic_hook();
    // Before raw mode: saves the terminal's mode for a death by signal (SIGABRT, SIGSEGV..).
    opsdeck::app::crash_restore::install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let frames = runtime.block_on(async {
        let _guard = terminal::Guard::new()?;
        let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
        let mut terminal = ratatui::Terminal::new(backend)?;
        let input = crossterm::event::EventStream::new();
        opsdeck::app::run::run(&mut terminal, &mut state, input, &mut env, &mut Tty).await
    })?;
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    tracing::info!(frames, "bye");
    Ok(ExitCode::SUCCESS)
}
