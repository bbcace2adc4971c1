//! `opsdeck platform verify`: the audit pane's verify from a script. It finds the platform
//! as the console does (the context's `platform` table, `--context` or the default one),
//! or at `--url` with `--token-file`, and exits 0 when the chain and its newest checkpoint
//! check out, 1 when something is wrong (each problem said in words), 2 when it could not
//! ask.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::paths::Paths;
use crate::config::{Config, PlatformConfig};
use crate::model::checkpoint::PublicKey;
use crate::sources::platform::{PlatformClient, Token};

/// `opsdeck platform verify` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The context whose platform to verify (default: the config's default context).
    #[arg(long)]
    pub context: Option<String>,
    /// The platform's base URL, instead of the context's.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// A file holding the bearer token (instead of the context's `token`).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Also trust this checkpoint public key (base64 or hex; repeatable), on top of the
    /// context's `checkpoint_keys`.
    #[arg(long, value_name = "KEY")]
    pub trust_key: Vec<String>,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

/// How to reach the platform, and which keys to trust.
struct Target {
    platform: PlatformConfig,
    token: String,
}

fn target(args: &VerifyArgs, paths: &Paths) -> Result<Target, String> {
    let config = if paths.config_file.exists() {
        Some(crate::config::load::load(&paths.config_file).map_err(|d| d.to_string())?)
    } else {
        None
    };
    let configured = context_platform(args, config.as_ref())?;
    let mut platform = match (&args.url, configured) {
        (Some(url), Some(p)) if &p.url == url => p,
        (Some(url), _) => PlatformConfig {
            url: url.clone(),
            token: None,
            timeout_ms: 0,
            tls: crate::config::HttpTls::default(),
            checkpoint_keys: Vec::new(),
        },
        (None, Some(p)) => p,
        (None, None) => {
            return Err(format!(
                "no platform to verify: give --url URL --token-file FILE, or a context with a \
                 [platform] table in {}",
                paths.config_file.display()
            ));
        }
    };
    for key in &args.trust_key {
        platform
            .checkpoint_keys
            .push(PublicKey::parse(key).map_err(|e| format!("--trust-key {key}: {e}"))?);
    }
    platform.timeout_ms = args.timeout.saturating_mul(1000);
    let token = match (&args.token_file, &platform.token) {
        (Some(file), _) => std::fs::read_to_string(file)
            .map(|t| t.trim().to_owned())
            .map_err(|e| format!("--token-file {}: {e}", file.display()))?,
        (None, Some(secret)) => secret
            .resolve()
            .map_err(|e| format!("the platform token: {e}"))?,
        (None, None) => String::new(),
    };
    Ok(Target { platform, token })
}

/// The platform of `--context`, of the default context, or of the only context that has one.
fn context_platform(
    args: &VerifyArgs,
    config: Option<&Config>,
) -> Result<Option<PlatformConfig>, String> {
    let Some(config) = config else {
        return match &args.context {
            Some(name) => Err(format!("no config, so no context `{name}`")),
            None => Ok(None),
        };
    };
    if let Some(url) = args.url.as_ref().filter(|_| args.context.is_none()) {
        // The context of that URL, if any, lends its keys and TLS settings.
        return Ok(config
            .contexts
            .iter()
            .filter_map(|c| c.platform.clone())
            .find(|p| &p.url == url));
    }
    let name = args
        .context
        .clone()
        .or_else(|| config.default_context.clone())
        .or_else(|| {
            let mut with = config.contexts.iter().filter(|c| c.platform.is_some());
            match (with.next(), with.next()) {
                (Some(only), None) => Some(only.name.clone()),
                _ => None,
            }
        });
    let Some(name) = name else {
        return Ok(None);
    };
    let context = config
        .context(&name)
        .ok_or_else(|| format!("no context `{name}` in the config"))?;
    match &context.platform {
        Some(p) => Ok(Some(p.clone())),
        None if args.url.is_some() => Ok(None),
        None => Err(format!("context `{name}` has no [platform] table")),
    }
}

/// Runs the check and prints its lines; the exit code says how it went.
#[must_use]
pub fn run(args: &VerifyArgs, paths: &Paths) -> ExitCode {
    let fail = |message: String| {
        eprintln!("opsdeck platform verify: {}", crate::model::clean(&message));
        ExitCode::from(2)
    };
    let target = match target(args, paths) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    let result = runtime.block_on(async {
        let client = PlatformClient::connect(&target.platform, Token::new(target.token.clone()))?;
        crate::runtime::checkpoint_check::verify(
            &client,
            &target.platform.checkpoint_keys,
            Some(&paths.data_dir),
        )
        .await
    });
    match result {
        Ok(check) => {
            println!("platform {}", target.platform.url);
            // The lines quote the platform's answer: cleaned before they reach a terminal.
            for line in check.lines() {
                println!("{}", crate::model::clean(&line));
            }
            if check.ok() {
                println!("ok");
                ExitCode::SUCCESS
            } else {
                println!("{} problem(s)", check.findings.len());
                ExitCode::from(1)
            }
        }
        Err(e) => fail(e),
    }
}
