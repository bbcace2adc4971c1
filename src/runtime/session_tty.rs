//! The terminal handed over to a session, as `kubectl exec -it` does it: opsdeck's screen
//! is left (alternate screen, bracketed paste, hidden cursor), the terminal stays in raw mode
//! because the remote TTY echoes and edits the line itself (kubectl puts the local terminal
//! in raw mode too: kubernetes/kubectl, pkg/util/term/term.go, `TTY.Safe` with `Raw`), and
//! keys are read from stdin by a thread that polls with a timeout, so it stops reading the
//! moment the session ends and no key meant for opsdeck is taken. The run loop stops its
//! own key reader first. Window size changes (SIGWINCH) go to the resize channel.

use std::io::{Read as _, Write as _};
use std::os::fd::AsFd as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::terminal::{disable_raw_mode, enable_raw_mode};
use tokio::sync::mpsc;

use crate::sources::session::{Session, SessionEnd};

/// Runs `session` on the real terminal until it ends; the caller re-enters the TUI after.
pub async fn hand_over(title: &str, session: Session) -> SessionEnd {
    let Session {
        input,
        mut output,
        resize,
        end,
    } = session;
    super::terminal::restore();
    let _ = enable_raw_mode();
    let mut stdout = std::io::stdout();
    let _ = write!(
        stdout,
        "\r\n[opsdeck] {title}; leave the shell (exit) to come back to opsdeck\r\n"
    );
    let _ = stdout.flush();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || pump_stdin(&stop, &input))
    };
    if let Ok(size) = crossterm::terminal::size() {
        let _ = resize.send(size).await;
    }
    let mut winch =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok();
    loop {
        tokio::select! {
            bytes = output.recv() => match bytes {
                Some(bytes) => {
                    let _ = stdout.write_all(&bytes);
                    let _ = stdout.flush();
                }
                None => break,
            },
            Some(()) = next_winch(winch.as_mut()) => {
                if let Ok(size) = crossterm::terminal::size() {
                    let _ = resize.try_send(size);
                }
            }
        }
    }
    let end = end
        .await
        .unwrap_or_else(|_| SessionEnd::broken("the session went away without a status"));
    stop.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || reader.join()).await;
    let _ = disable_raw_mode();
    if let Err(e) = super::terminal::enter() {
        tracing::error!(%e, "could not re-enter the terminal after a session");
    }
    end
}

async fn next_winch(signal: Option<&mut tokio::signal::unix::Signal>) -> Option<()> {
    match signal {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

/// Copies stdin to the session until `stop`, end of input, or the session is gone. It polls
/// with a 100 ms timeout and reads only what is there, so after `stop` no key is consumed.
fn pump_stdin(stop: &AtomicBool, input: &mpsc::Sender<Vec<u8>>) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return;
    };
    // Unbuffered: a buffered reader could take more bytes than it hands over.
    let mut file = std::fs::File::from(fd);
    let mut buf = [0_u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(100_u16)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => {}
            Ok(_) => match file.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if input.blocking_send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
            },
            Err(_) => return,
        }
    }
}
