//! Terminal setup and teardown: raw mode, alternate screen, bracketed paste, synchronized
//! updates, mouse reporting when asked for, a panic hook that restores the terminal before
//! the report, and Ctrl-Z suspend.
//! A death by signal (an `abort()` in a C library, a segfault) is covered by
//! [`super::crash_restore`], which `enter` and `restore` keep informed.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};

use crate::sources::session::{Session, SessionEnd};

/// Whether [`enter`] asks the terminal for mouse reports (`--mouse`, config `mouse`): set
/// once by [`Guard::new`], read again by every `enter` after a suspend, k9s or a shell.
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Mouse reporting as opsdeck takes it: presses, releases and the wheel (X10/normal
/// tracking, 1000) in SGR coordinates (1006, no limit at column 223). Not crossterm's
/// `EnableMouseCapture`, which also asks for every motion (1002, 1003): a report per cell
/// the pointer crosses, for nothing opsdeck uses.
pub const MOUSE_ON: &str = "\x1b[?1000h\x1b[?1006h";

/// Puts the terminal in TUI mode.
pub fn enter() -> io::Result<()> {
    super::crash_restore::set_active(true);
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if MOUSE.load(Ordering::SeqCst) {
        let mut out = io::stdout();
        out.write_all(MOUSE_ON.as_bytes())?;
        out.flush()?;
    }
    Ok(())
}

/// Gives the terminal back. Safe to call more than once. Mouse reporting is turned off
/// whether or not it was on: a shell left with it on prints escape codes at every click.
pub fn restore() {
    super::crash_restore::set_active(false);
    let _ = execute!(
        io::stdout(),
        EndSynchronizedUpdate,
        DisableMouseCapture,
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
    /// Enters TUI mode, with mouse reports when `mouse` (and after every return from a
    /// suspend or a hand-over too).
    pub fn new(mouse: bool) -> io::Result<Self> {
        MOUSE.store(mouse, Ordering::SeqCst);
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
/// escape). The app bounds the text first (`app::copy::MAX_COPY_BYTES`).
#[must_use]
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{payload}\x07")
}

/// What to write for a copy: the OSC 52 sequence, and inside tmux the same sequence again
/// in tmux's passthrough (`ESC P tmux; …  ESC \`, every ESC inside doubled; tmux(1),
/// "allow-passthrough"). tmux with `set-clipboard on` takes the plain sequence itself and
/// hands it to the outer terminal; with `allow-passthrough on` the wrapped one goes through
/// untouched. Sending both covers either setting; a terminal that gets both just sets the
/// same clipboard twice.
#[must_use]
pub fn clipboard_sequence(text: &str, tmux: bool) -> String {
    let plain = osc52(text);
    if !tmux {
        return plain;
    }
    let wrapped = format!("\x1bPtmux;{}\x1b\\", plain.replace('\x1b', "\x1b\x1b"));
    format!("{plain}{wrapped}")
}

/// A host that does nothing (tests, benchmarks, screenshots).
#[derive(Debug, Default)]
pub struct Headless;

impl Host for Headless {}

/// The real terminal on stdout.
#[derive(Debug, Default)]
pub struct Tty {
    /// Inside tmux (`TMUX` set): copies also go through tmux's passthrough.
    pub tmux: bool,
}

impl Tty {
    /// The terminal of this process, with what the environment says about it.
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            tmux: std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()),
        }
    }
}

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
        let _ = out.write_all(clipboard_sequence(text, self.tmux).as_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_turns_off_every_mouse_mode_enter_may_turn_on() {
        use crossterm::Command as _;
        let mut off = String::new();
        DisableMouseCapture.write_ansi(&mut off).unwrap();
        let modes: Vec<&str> = MOUSE_ON.split('\x1b').filter(|s| !s.is_empty()).collect();
        assert_eq!(
            modes,
            ["[?1000h", "[?1006h"],
            "clicks and the wheel, no motion"
        );
        for mode in modes {
            let undo = format!("\x1b{}l", mode.trim_end_matches('h'));
            assert!(off.contains(&undo), "{undo:?} in {off:?}");
        }
        let restore = std::str::from_utf8(super::super::crash_restore::RESTORE_SEQUENCES).unwrap();
        assert!(restore.contains(&off), "a crash turns the mouse off too");
    }

    #[test]
    fn osc52_carries_the_text_as_base64() {
        assert_eq!(osc52("api-7f9c"), "\x1b]52;c;YXBpLTdmOWM=\x07");
        assert_eq!(clipboard_sequence("api-7f9c", false), osc52("api-7f9c"));
    }

    #[test]
    fn inside_tmux_the_sequence_is_also_sent_through_the_passthrough() {
        let out = clipboard_sequence("api-7f9c", true);
        let plain = "\x1b]52;c;YXBpLTdmOWM=\x07";
        let wrapped = "\x1bPtmux;\x1b\x1b]52;c;YXBpLTdmOWM=\x07\x1b\\";
        assert_eq!(out, format!("{plain}{wrapped}"));
        // Inside the DCS every ESC is doubled, so the only lone ESCs start and end it.
        let inner = &wrapped["\x1bPtmux;".len()..wrapped.len() - 2];
        assert!(inner.replace("\x1b\x1b", "").find('\x1b').is_none());
    }
}
