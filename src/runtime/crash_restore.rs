//! Gives the terminal back when the process dies on a signal instead of a panic: an
//! assertion in a C library (librdkafka calls `abort()`, SIGABRT), or a SIGSEGV, SIGBUS,
//! SIGILL or SIGFPE. Neither the panic hook nor [`super::terminal::Guard`]'s drop runs then,
//! and the shell would be left in raw mode on the alternate screen.
//!
//! [`install`] (called next to `install_panic_hook`, before raw mode) saves the terminal's
//! termios and installs [`on_fatal_signal`] for those signals. While the TUI is on screen
//! ([`set_active`], kept by `terminal::enter`/`restore`) the handler writes
//! [`RESTORE_SEQUENCES`] to fd 1, puts the saved termios back and names the signal on
//! stderr (what an assertion printed just before went to the alternate screen), using only
//! async-signal-safe calls (`write`, `tcsetattr`, `sigaction`, `raise`; POSIX
//! signal-safety(7)) and reading only atomics and statics set before it is installed.
//! Then the process still dies of the same signal, so its status stays 134 (SIGABRT) or 139
//! (SIGSEGV):
//!
//! - a signal sent by a process or `raise`/`abort` (`si_code <= 0`): the default action is
//!   put back and the signal raised again; it is delivered when the handler returns;
//! - a fault (`si_code > 0`): the action that was there before is put back and the handler
//!   returns, so the faulting instruction runs again and meets it. That keeps the Rust
//!   runtime's SIGSEGV/SIGBUS handler, which reports a stack overflow (and then aborts,
//!   which lands here again with nothing left to do).
//!
//! Why raw `libc` and not a crate: `signal-hook` (already a dependency through crossterm)
//! refuses SIGSEGV, SIGILL and SIGFPE (`signal_hook_registry::FORBIDDEN`), and its
//! low-level registration is `unsafe` as well. Installing a handler is inherently unsafe
//! (the handler must be async-signal-safe, which the compiler cannot check), so the crate's
//! `unsafe_code = "deny"` is lifted for the three functions that need it, with the reasons.

use std::ffi::{c_int, c_void};
use std::io::IsTerminal;
use std::os::fd::IntoRawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Once, OnceLock};

use nix::libc;

/// What `terminal::restore` writes, in its order: end a synchronized update, turn mouse
/// reporting off (every mode crossterm knows), disable bracketed paste, leave the
/// alternate screen, show the cursor.
pub const RESTORE_SEQUENCES: &[u8] = b"\x1b[?2026l\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?2004l\x1b[?1049l\x1b[?25h";

/// The signals handled.
const SIGNALS: [c_int; 5] = [
    libc::SIGABRT,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
];

/// Written to stderr after the terminal is restored, one per [`SIGNALS`]: whatever was
/// printed just before the signal (an assertion's message) went to the alternate screen,
/// which is gone now.
const NOTES: [&[u8]; SIGNALS.len()] = [
    b"opsdeck: fatal signal SIGABRT (an assertion failed, possibly in a C library such as \
      librdkafka; its message was on the alternate screen); terminal restored\n",
    b"opsdeck: fatal signal SIGSEGV; terminal restored\n",
    b"opsdeck: fatal signal SIGBUS; terminal restored\n",
    b"opsdeck: fatal signal SIGILL; terminal restored\n",
    b"opsdeck: fatal signal SIGFPE; terminal restored\n",
];

/// Whether the TUI has the terminal (raw mode, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The terminal whose termios was saved (stdin, or `/dev/tty` kept open), or -1.
static TTY_FD: AtomicI32 = AtomicI32::new(-1);
/// Its termios before raw mode.
static SAVED_TERMIOS: OnceLock<libc::termios> = OnceLock::new();
/// The action each of [`SIGNALS`] had before [`install`].
static PREVIOUS: [OnceLock<libc::sigaction>; SIGNALS.len()] =
    [const { OnceLock::new() }; SIGNALS.len()];
static INSTALL: Once = Once::new();

/// Says whether the TUI has the terminal, so a crash restores it only then.
pub fn set_active(active: bool) {
    ACTIVE.store(active, Ordering::SeqCst);
}

/// Saves the terminal's current termios and installs the handler. Call it once, before
/// entering raw mode; later calls do nothing.
pub fn install() {
    INSTALL.call_once(|| {
        save_termios();
        install_handlers();
    });
}

/// The terminal crossterm puts in raw mode: stdin when it is a terminal, else `/dev/tty`.
fn tty_fd() -> Option<c_int> {
    if std::io::stdin().is_terminal() {
        return Some(libc::STDIN_FILENO);
    }
    // Kept open for the life of the process: the handler may need it at any time.
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()
        .map(IntoRawFd::into_raw_fd)
}

#[expect(
    unsafe_code,
    reason = "tcgetattr(3) fills a termios; nix's safe wrapper needs a feature and returns \
              a type the signal handler could not read safely"
)]
fn save_termios() {
    let Some(fd) = tty_fd() else { return };
    // SAFETY: an all-zero termios is a valid value of a plain C struct.
    let mut termios: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is an open descriptor and `termios` a valid, writable termios.
    if unsafe { libc::tcgetattr(fd, &raw mut termios) } == 0 {
        let _ = SAVED_TERMIOS.set(termios);
        TTY_FD.store(fd, Ordering::SeqCst);
    }
}

#[expect(
    unsafe_code,
    reason = "sigaction(2) installs a signal handler; the handler only makes \
              async-signal-safe calls (see the module doc)"
)]
fn install_handlers() {
    // SAFETY: an all-zero sigaction is a valid value of a plain C struct; every field that
    // matters is set below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_fatal_signal as *const () as libc::sighandler_t;
    // SA_ONSTACK: a stack overflow leaves no stack to run on but the alternate signal stack
    // the Rust runtime sets up for each thread.
    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    // SAFETY: `sa_mask` is a valid sigset_t to initialise.
    unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
    for (signal, previous) in SIGNALS.iter().zip(&PREVIOUS) {
        // SAFETY: an all-zero sigaction is valid; sigaction(2) overwrites it.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are valid sigactions; `on_fatal_signal` is async-signal-safe.
        if unsafe { libc::sigaction(*signal, &raw const action, &raw mut old) } == 0 {
            let _ = previous.set(old);
        }
    }
}

/// The handler: restores the terminal, then lets the signal end the process (module doc).
#[expect(
    unsafe_code,
    reason = "a signal handler: write(2), tcsetattr(3), sigaction(2) and raise(3) are all \
              async-signal-safe, and the statics read are set before it is installed"
)]
extern "C" fn on_fatal_signal(signal: c_int, info: *mut libc::siginfo_t, _context: *mut c_void) {
    let index = SIGNALS.iter().position(|s| *s == signal);
    if ACTIVE.swap(false, Ordering::SeqCst) {
        // SAFETY: writes a static buffer to fd 1; a failed or short write is ignored (there
        // is nothing better to do while dying).
        let _ = unsafe {
            libc::write(
                libc::STDOUT_FILENO,
                RESTORE_SEQUENCES.as_ptr().cast::<c_void>(),
                RESTORE_SEQUENCES.len(),
            )
        };
        let fd = TTY_FD.load(Ordering::SeqCst);
        if let Some(termios) = SAVED_TERMIOS.get()
            && fd >= 0
        {
            // SAFETY: `fd` stays open for the life of the process; `termios` is a valid
            // termios read from it by `save_termios`.
            let _ = unsafe { libc::tcsetattr(fd, libc::TCSANOW, termios) };
        }
        if let Some(note) = index.map(|i| NOTES[i]) {
            // SAFETY: writes a static buffer to fd 2, like the sequences above.
            let _ = unsafe {
                libc::write(
                    libc::STDERR_FILENO,
                    note.as_ptr().cast::<c_void>(),
                    note.len(),
                )
            };
        }
    }
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let from_fault = !info.is_null() && unsafe { (*info).si_code } > 0;
    let previous = index.and_then(|i| PREVIOUS[i].get());
    match previous {
        Some(previous) if from_fault => {
            // SAFETY: puts back the action saved by `install_handlers`; returning runs the
            // faulting instruction again under it.
            unsafe { libc::sigaction(signal, previous, std::ptr::null_mut()) };
        }
        _ => {
            // SAFETY: SIG_DFL with an empty mask is a valid action; the re-raised signal is
            // blocked until this handler returns, then ends the process with its own status.
            unsafe {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigemptyset(&raw mut default.sa_mask);
                libc::sigaction(signal, &raw const default, std::ptr::null_mut());
                libc::raise(signal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes the handler writes are exactly what `terminal::restore` writes through
    /// crossterm.
    #[test]
    fn restore_sequences_match_crossterm() {
        use crossterm::Command;
        let mut expected = String::new();
        crossterm::terminal::EndSynchronizedUpdate
            .write_ansi(&mut expected)
            .unwrap();
        crossterm::event::DisableMouseCapture
            .write_ansi(&mut expected)
            .unwrap();
        crossterm::event::DisableBracketedPaste
            .write_ansi(&mut expected)
            .unwrap();
        crossterm::terminal::LeaveAlternateScreen
            .write_ansi(&mut expected)
            .unwrap();
        crossterm::cursor::Show.write_ansi(&mut expected).unwrap();
        assert_eq!(std::str::from_utf8(RESTORE_SEQUENCES).unwrap(), expected);
    }

    #[test]
    fn each_note_names_its_signal() {
        for (signal, note) in SIGNALS.iter().zip(NOTES) {
            let name = nix::sys::signal::Signal::try_from(*signal)
                .unwrap()
                .as_str();
            let note = std::str::from_utf8(note).unwrap();
            assert!(
                note.starts_with(&format!("opsdeck: fatal signal {name}")),
                "{note}"
            );
            assert!(note.ends_with('\n'), "{note}");
        }
    }
}
