//! Terminal setup and teardown: raw mode, alternate screen, bracketed paste, synchronized
//! updates, a panic hook that restores the terminal before the report, and Ctrl-Z suspend.
//! A death by signal (an `abort()` in a C library, a segfault) is covered by
//! [`super::crash_restore`], which `enter` and `restore` keep informed.

use std::io::{self, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};

use crate::sources::session::{Session, SessionEnd};

/// Puts the terminal in TUI mode.
pub fn enter() -> io::Result<()> {
    super::crash_restore::set_active(true);
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )
}

/// Gives the terminal back. Safe to call more than once.
pub fn restore() {
    super::crash_restore::set_active(false);
    let _ = execute!(
        io::stdout(),
        EndSynchronizedUpdate,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Restores the terminal first, then lets the previous hook (color-eyre's) print the report
/// on a sane screen. Install before entering raw mode, with [`super::crash_restore::install`].
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Restores the terminal when dropped, so early returns and `?` leave it usable.
#[derive(Debug)]
pub struct Guard;

impl Guard {
    pub fn new() -> io::Result<Self> {
        enter()?;
        Ok(Self)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// What the run loop needs from a real terminal beyond drawing.
pub trait Host {
    /// Called around every frame.
    fn begin_frame(&mut self) {}
    fn end_frame(&mut self) {}
    /// Ctrl-Z: stop until the shell resumes us. Returns when resumed.
    fn suspend(&mut self) {}
    /// Puts text on the clipboard of the terminal the user sits at (OSC 52), which works
    /// through SSH because the terminal emulator, not the remote host, handles it.
    fn copy(&mut self, _text: &str) {}
    /// This host's keys come from the terminal: the run loop stops its key reader before
    /// handing the terminal to a session (so it takes no key meant for the session) and
    /// asks [`Host::reopen_input`] for a new one after. `false`: keep the reader (tests).
    fn reads_terminal(&self) -> bool {
        false
    }
    /// A fresh key reader after a session. Called only once the old reader is gone:
    /// crossterm's reader holds a global lock while it waits for a key, so a new one made
    /// while the old one lives would wait for (and lose) the next key.
    fn reopen_input(&mut self) -> Option<InputStream> {
        None
    }
    /// Runs another full-screen program (k9s, a custom command) on the terminal until it
    /// exits, with `env` added to its environment. Without a terminal nothing runs.
    fn external<'a>(
        &'a mut self,
        program: &'a std::path::Path,
        _args: &'a [String],
        _env: &'a [(String, String)],
    ) -> ExternalRun<'a> {
        Box::pin(async move {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("no terminal to run {} on", program.display()),
            ))
        })
    }
    /// Hands the terminal to an interactive session until it ends. Without a terminal
    /// (tests, benchmarks) the session gets end-of-input at once.
    fn session<'a>(&'a mut self, _title: &'a str, session: Session) -> SessionRun<'a> {
        Box::pin(async move {
            let Session {
                input,
                output,
                resize,
                end,
            } = session;
            drop(input);
            let (closed, _) = tokio::sync::mpsc::channel(1);
            Session {
                input: closed,
                output,
                resize,
                end,
            }
            .finish()
            .await
            .1
        })
    }
}

/// The answer of [`Host::external`].
pub type ExternalRun<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = io::Result<std::process::ExitStatus>> + Send + 'a>,
>;

/// Keys and other terminal events, as the run loop reads them.
pub type InputStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = io::Result<crossterm::event::Event>> + Send>>;

/// A session running on a host's terminal.
pub type SessionRun<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = SessionEnd> + Send + 'a>>;

/// The OSC 52 sequence that sets the clipboard to `text` (base64, so nothing in it is an
/// escape).
#[must_use]
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{payload}\x07")
}

/// A host that does nothing (tests, benchmarks, screenshots).
#[derive(Debug, Default)]
pub struct Headless;

impl Host for Headless {}

/// The real terminal on stdout.
#[derive(Debug, Default)]
pub struct Tty;

impl Host for Tty {
    fn begin_frame(&mut self) {
        let _ = execute!(io::stdout(), BeginSynchronizedUpdate);
    }

    fn end_frame(&mut self) {
        let _ = execute!(io::stdout(), EndSynchronizedUpdate);
        let _ = io::stdout().flush();
    }

    fn copy(&mut self, text: &str) {
        let mut out = io::stdout();
        let _ = out.write_all(osc52(text).as_bytes());
        let _ = out.flush();
    }

    fn reads_terminal(&self) -> bool {
        true
    }

    fn reopen_input(&mut self) -> Option<InputStream> {
        Some(Box::pin(crossterm::event::EventStream::new()))
    }

    fn session<'a>(&'a mut self, title: &'a str, session: Session) -> SessionRun<'a> {
        Box::pin(super::session_tty::hand_over(title, session))
    }

    fn external<'a>(
        &'a mut self,
        program: &'a std::path::Path,
        args: &'a [String],
        env: &'a [(String, String)],
    ) -> ExternalRun<'a> {
        Box::pin(async move {
            restore();
            let status = tokio::process::Command::new(program)
                .args(args)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .status()
                .await;
            if let Err(e) = enter() {
                tracing::error!(%e, "could not re-enter the terminal after {}", program.display());
            }
            status
        })
    }

    fn suspend(&mut self) {
        restore();
        // SIGTSTP stops us like the shell's own Ctrl-Z; we continue here after `fg`.
        if let Err(e) = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP) {
            tracing::warn!(%e, "could not suspend");
        }
        if let Err(e) = enter() {
            tracing::error!(%e, "could not re-enter the terminal after resume");
        }
    }
}
