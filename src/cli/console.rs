//! The full-screen console: loads the config, theme and keymap, builds the state and the
//! environment, then hands both to the run loop on a real terminal.

use std::process::ExitCode;

use color_eyre::eyre::Result;

use super::args::UiArgs;
use super::dispatch::{color_depth, init_logging, usage_error};
use crate::app::state::{ContextInfo, State};
use crate::config::Config;
use crate::config::paths::Paths;
use crate::runtime::run::{Environment, load_ui};
use crate::runtime::terminal::{self, Tty};
use crate::tour::library::TourLibrary;

/// What the console runs on.
pub(super) enum Mode {
    /// The contexts of the config file.
    Configured,
    Sandbox(u64),
    /// `opsdeck logs FILE…`, with what to do with ANSI escapes.
    LocalLogs(Vec<std::path::PathBuf>, crate::model::logs::AnsiMode),
}

/// What `opsdeck tour` starts the console with.
pub(super) struct TourStart {
    /// `None` opens the list.
    pub(super) name: Option<String>,
    pub(super) library: TourLibrary,
    pub(super) allow_writes: bool,
    pub(super) restart: bool,
}

pub(super) fn console(ui: &UiArgs, paths: &Paths, mode: Mode) -> Result<ExitCode> {
    console_with_tour(ui, paths, mode, None)
}

#[expect(
    clippy::too_many_lines,
    reason = "the console's start-up in order; each step uses what the ones before set up"
)]
pub(super) fn console_with_tour(
    ui: &UiArgs,
    paths: &Paths,
    mode: Mode,
    tour: Option<TourStart>,
) -> Result<ExitCode> {
    let user_config = || -> Option<Result<Config, String>> {
        paths
            .config_file
            .exists()
            .then(|| crate::config::load::load(&paths.config_file).map_err(|d| d.to_string()))
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
                config.log_stream = user.log_stream;
                config.mouse = user.mouse;
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
    state.panes.logs = crate::app::panes::logs::LogsPane::new(
        config
            .log_lines
            .unwrap_or(crate::model::logs::DEFAULT_CAPACITY),
    );
    if local {
        state.history =
            crate::app::state::History::new(crate::app::View::Pane(crate::app::PaneId::Logs));
    } else if tour.is_none() {
        // A context with live sources opens on what is on fire, everywhere.
        state.history =
            crate::app::state::History::new(crate::app::View::Pane(crate::app::PaneId::Attention));
    }
    state.readonly = ui.readonly;
    state.debug = ui.debug;
    state.mouse = ui.mouse || config.mouse;
    state.tour_progress = crate::tour::progress::load(&paths.data_dir);
    state.query_history = crate::datafile::load_queries(&paths.data_dir);
    let held = crate::actions::held::load(&paths.data_dir);
    state.held_actions = held.held;
    if let Some(problem) = held.problem {
        state.toast(
            crate::app::state::ToastLevel::Error,
            format!("actions held for approval could not be read: {problem}"),
        );
    }
    match tour {
        Some(tour) => {
            state.tour_allow_writes = tour.allow_writes;
            state.tours = std::sync::Arc::new(tour.library);
            match &tour.name {
                Some(name) => {
                    if tour.restart {
                        state.tour_progress.remove(name);
                    }
                    crate::app::tours::begin(&mut state, name);
                }
                None => state.modal = Some(crate::app::state::Modal::Tours { selected: 0 }),
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

    let mouse = state.mouse;
    terminal::install_panic_hook();
    // A crash inside a C library (librdkafka asserting) still gives the terminal back.
    crate::runtime::crash_restore::install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let frames = runtime.block_on(async {
        let _guard = terminal::Guard::new(mouse)?;
        let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
        let mut terminal = ratatui::Terminal::new(backend)?;
        let input = crossterm::event::EventStream::new();
        crate::runtime::run::run(
            &mut terminal,
            &mut state,
            input,
            &mut env,
            &mut Tty::from_env(),
        )
        .await
    })?;
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    tracing::info!(frames, "bye");
    Ok(ExitCode::SUCCESS)
}
