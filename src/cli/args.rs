//! Command-line definition (clap). [`super::run`] dispatches on it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::ColorChoice;

/// A terminal operations console for developers on call.
///
/// The console's options (`--context`, `--theme`...) belong to the commands that open the
/// console (none, `sandbox`, `tour`, `logs`), not to the others: `platform serve --help`
/// lists the server's options only.
#[derive(Debug, Parser)]
#[command(name = "opsdeck", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub ui: UiArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options of the full-screen console.
#[derive(Debug, Args, Clone, Default)]
pub struct UiArgs {
    /// Context (environment) to start in.
    #[arg(long)]
    pub context: Option<String>,
    /// Theme name (shipped: default, light, high-contrast, colorblind, mono).
    #[arg(long)]
    pub theme: Option<String>,
    /// Keymap name (shipped: default, vim, emacs).
    #[arg(long)]
    pub keymap: Option<String>,
    /// Colour depth: auto detects from `NO_COLOR`, COLORTERM and TERM.
    #[arg(long, value_enum)]
    pub color: Option<ColorArg>,
    /// Hide and refuse every mutating action.
    #[arg(long)]
    pub readonly: bool,
    /// Show the debug overlay (frame counter).
    #[arg(long)]
    pub debug: bool,
    /// Use the mouse: a click selects a row or a tab, the wheel scrolls (config `mouse`).
    #[arg(long)]
    pub mouse: bool,
}

impl UiArgs {
    /// These options given before the subcommand, overridden by those given after it
    /// (`opsdeck --theme mono sandbox` and `opsdeck sandbox --theme mono` both work).
    #[must_use]
    pub fn merged(&self, after: &Self) -> Self {
        Self {
            context: after.context.clone().or_else(|| self.context.clone()),
            theme: after.theme.clone().or_else(|| self.theme.clone()),
            keymap: after.keymap.clone().or_else(|| self.keymap.clone()),
            color: after.color.or(self.color),
            readonly: self.readonly || after.readonly,
            debug: self.debug || after.debug,
            mouse: self.mouse || after.mouse,
        }
    }
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Never,
    #[value(name = "16")]
    Ansi16,
    #[value(name = "256")]
    Ansi256,
    Truecolor,
}

impl From<ColorArg> for ColorChoice {
    fn from(value: ColorArg) -> Self {
        match value {
            ColorArg::Auto => Self::Auto,
            ColorArg::Never => Self::Never,
            ColorArg::Ansi16 => Self::Ansi16,
            ColorArg::Ansi256 => Self::Ansi256,
            ColorArg::Truecolor => Self::TrueColor,
        }
    }
}

/// `--ansi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnsiArg {
    Visible,
    Strip,
    Colors,
}

impl From<AnsiArg> for crate::model::logs::AnsiMode {
    fn from(value: AnsiArg) -> Self {
        match value {
            AnsiArg::Visible => Self::Visible,
            AnsiArg::Strip => Self::Strip,
            AnsiArg::Colors => Self::KeepSgr,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run on the embedded simulated fleet: no infrastructure needed.
    ///
    /// `opsdeck sandbox status` and `opsdeck sandbox incident SERVICE` print what
    /// `opsdeck status` and `opsdeck incident` would on the sandbox's contexts.
    Sandbox {
        /// Seed of the simulated fleet (same seed, same world).
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[command(flatten)]
        ui: UiArgs,
        #[command(subcommand)]
        report: Option<SandboxReport>,
    },
    /// Print the attention list (what is wrong now, worst first) and exit by the worst.
    ///
    /// Exit codes: 0 nothing wrong, 1 a warning, 3 a source did not answer or failed (and
    /// nothing critical), 4 something critical; 2 is a usage or config error. `--json`
    /// prints the `opsdeck.status/v1` document (see the README).
    Status(StatusArgs),
    /// Print one service's incident view: owner, on call, alerts, metrics, Argo CD, rollout,
    /// databases, lag, error logs, changes, traces.
    ///
    /// `--json` prints the `opsdeck.incident/v1` document (see the README). Exit code 0, or
    /// 2 when the context or the service is unknown.
    Incident(IncidentArgs),
    /// Learn on-call hands on: a guided tour on the sandbox (without NAME, the list).
    ///
    /// Tours are TOML files: the shipped ones, and yours in the config dir's `tours/`.
    /// Progress is saved per chapter, so starting a tour again resumes it.
    Tour {
        /// The tour to start or resume (`opsdeck tour --list` shows the names).
        name: Option<String>,
        /// List the tours with their progress and exit.
        #[arg(long, conflicts_with_all = ["name", "check"])]
        list: bool,
        /// Check tour files and exit: each error names the file, the line and the key.
        #[arg(long, value_name = "FILE", conflicts_with = "name")]
        check: Vec<PathBuf>,
        /// Seed of the sandbox fleet.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Run in your configured (real) contexts instead of the sandbox: read-only.
        #[arg(long)]
        real: bool,
        /// With --real: let the tour's actions run (each is still audited).
        #[arg(long, requires = "real")]
        allow_writes: bool,
        /// Start from the first chapter, forgetting saved progress.
        #[arg(long)]
        restart: bool,
        #[command(flatten)]
        ui: UiArgs,
    },
    /// Read local log files (or `-` for stdin) in the logs pane, and follow them.
    Logs {
        /// Files to read; `-` reads stdin (`kubectl logs … | opsdeck logs -`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// ANSI escapes in the lines: shown as inert text (visible), removed (strip), or
        /// only their colours kept (colors; every other sequence is dropped).
        #[arg(long, value_enum, default_value_t = AnsiArg::Visible)]
        ansi: AnsiArg,
        /// Print `line<TAB>level<TAB>format` for every line of the files and exit, instead of
        /// opening the console (to see, or compare with lnav, how each line was read).
        #[arg(long, hide = true)]
        explain: bool,
        #[command(flatten)]
        ui: UiArgs,
    },
    /// Print the active key bindings.
    Keys {
        /// Print them as Markdown tables, one per context (the README's keys section).
        #[arg(long)]
        markdown: bool,
        /// Keymap name (shipped: default, vim, emacs).
        #[arg(long)]
        keymap: Option<String>,
    },
    /// List, check or start your custom commands (`commands.toml` in the config dir): keys
    /// that run a command line templated from the selection, audited when dangerous.
    Commands {
        /// Print the shipped examples (k9s hand-off, kubectl describe, a shell in the pod,
        /// psql on the database, kcat on the topic) as a starting `commands.toml`.
        #[arg(long, conflicts_with = "check")]
        example: bool,
        /// Check commands files against the keymap (`--keymap`) and exit: each error names
        /// the file, the line and the key.
        #[arg(long, value_name = "FILE")]
        check: Vec<PathBuf>,
    },
    /// Print the themes and the roles they style.
    Themes,
    /// Print the config, data and log paths.
    Paths,
    /// Validate or print a configuration file.
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
    /// Render a sandbox pane to SVG.
    Screenshot {
        /// View: a pane (svc, apps, rollouts, kafka, pg, logs, traces, requests, audit,
        /// incident) or card, help, palette, apps-detail, rollouts-detail, trace, logs-search,
        /// kafka-groups, kafka-topic, kafka-configs, kafka-group, kafka-create, kafka-diff,
        /// pg-tree, pg-kill, request-form.
        #[arg(long)]
        pane: crate::screenshot::DemoView,
        /// Size as `COLSxROWS`.
        #[arg(long, default_value = "120x36")]
        size: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    Man,
    /// The platform API: audit trail and self-service requests.
    Platform {
        #[command(subcommand)]
        action: PlatformCommand,
    },
    /// The sandbox's read-replica provisioner (JSON on stdin, JSON on stdout); the sandbox
    /// platform runs it for approved requests.
    #[command(hide = true)]
    SandboxProvisioner,
}

#[derive(Debug, Subcommand)]
pub enum PlatformCommand {
    /// Run the reference platform API server.
    Serve(Box<crate::platform::cli::ServeArgs>),
    /// Print an example tokens file (sha256 of each token → user and groups).
    ExampleTokens,
    /// Print an example policy file.
    ExamplePolicy,
    /// Say what a policy file decides for one call and which rule decides it (exit 0
    /// allow, 1 deny, 3 needs approval).
    CheckPolicy(crate::platform::check::CheckArgs),
    /// Print every audited action with the format of its target ref, as policy globs
    /// match them (Markdown).
    Targets,
    /// Verify the audit chain against its newest signed checkpoint and the one this console
    /// kept (exit 0 ok, 1 a problem, 2 could not ask): a truncated tail, a rewritten row, a
    /// replayed checkpoint, a rotated key or a bad signature are each said in words.
    Verify(super::platform_verify::VerifyArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a config file and print every error with its file, line and column.
    Check {
        /// Defaults to the config file in use.
        file: Option<PathBuf>,
    },
    /// Print a fully commented example config.
    Example,
    /// Write a commented starting config from what this machine has: the kubeconfig's
    /// contexts, the PG* variables, a broker on localhost:9092. Never writes a secret.
    Init {
        /// Where to write it (default: the config file in use, see `opsdeck paths`).
        file: Option<PathBuf>,
        /// Print it instead of writing a file.
        #[arg(long, conflicts_with = "file")]
        stdout: bool,
        /// Replace an existing file (kept beside it as FILE.bak).
        #[arg(long)]
        force: bool,
    },
}

/// `opsdeck sandbox status` and `opsdeck sandbox incident`.
#[derive(Debug, Subcommand)]
pub enum SandboxReport {
    /// `opsdeck status` on the sandbox's contexts (sandbox-staging, sandbox-prod).
    Status(StatusArgs),
    /// `opsdeck incident SERVICE` on a sandbox context.
    Incident(IncidentArgs),
}

/// What `status` and `incident` share.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// The context to check (default: the one the console opens on).
    #[arg(long)]
    pub context: Option<String>,
    /// Print the versioned JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
    /// How long to wait for the sources; one that has not answered by then is listed as a
    /// finding (`10s`, `1500ms`, `1m`).
    #[arg(long, default_value = "10s", value_parser = crate::cli::report::parse_timeout)]
    pub timeout: std::time::Duration,
}

/// `opsdeck status`.
#[derive(Debug, Args, Clone)]
pub struct StatusArgs {
    /// Every configured context, not only one.
    #[arg(long, conflicts_with = "context")]
    pub all: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `opsdeck incident`.
#[derive(Debug, Args, Clone)]
pub struct IncidentArgs {
    /// The service, as the catalog names it.
    pub service: String,
    #[command(flatten)]
    pub report: ReportArgs,
}
