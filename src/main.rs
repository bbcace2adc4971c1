//! The `opsdeck` binary: wiring only. Errors are reported here, at the edge; everything
//! else is in [`opsdeck::cli`].

use std::process::ExitCode;

use clap::CommandFactory;

use opsdeck::cli::Cli;
use opsdeck::config::paths::Paths;

fn main() -> ExitCode {
    // Run as a sandbox stand-in (a custom command's `kubectl` in `opsdeck sandbox`)?
    if let Some((tool, seed)) = opsdeck::cli::sandbox_tools::invoked_as() {
        return opsdeck::cli::sandbox_tools::run(tool, seed);
    }
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
    match opsdeck::cli::dispatch(cli, &paths) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("opsdeck: {e:?}");
            ExitCode::FAILURE
        }
    }
}
