//! The real `opsdeck` binary in a pseudo-terminal (`portable-pty`): keys in, the raw
//! output stream and the screen a terminal would show out (`vt100`). Used by the pty smoke
//! tests and by the README's "Try it locally" run in the peers binary.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_opsdeck");

/// The binary running in a pty, with everything it wrote collected so far and the screen
/// a terminal would show.
pub struct Session {
    master: Box<dyn MasterPty + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    chunks: Receiver<Vec<u8>>,
    pub output: Vec<u8>,
    /// What a terminal shows after everything read so far.
    screen: vt100::Parser,
    /// The reader thread has seen end of file (every slave descriptor is closed).
    eof: bool,
}

impl Session {
    /// Starts `opsdeck args` in an 80×24 pty with exactly `env`.
    #[must_use]
    pub fn start(args: &[&str], env: &[(String, String)], cwd: &Path) -> Self {
        Self::start_sized(args, env, cwd, (80, 24))
    }

    /// Starts `opsdeck args` in a `cols`×`rows` pty with exactly `env`.
    #[must_use]
    pub fn start_sized(
        args: &[&str],
        env: &[(String, String)],
        cwd: &Path,
        (cols, rows): (u16, u16),
    ) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.env_clear();
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.cwd(cwd);
        let child = pair
            .slave
            .spawn_command(cmd)
            .expect("spawn opsdeck in the pty");
        // Only the child holds the slave now, so the reader sees EOF when it exits.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let (tx, chunks) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                // Linux reports EIO on the master once the slave side is gone: that is EOF.
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Self {
            master: pair.master,
            child,
            writer,
            chunks,
            output: Vec::new(),
            screen: vt100::Parser::new(
                std::num::NonZeroU16::new(rows).expect("rows"),
                std::num::NonZeroU16::new(cols).expect("cols"),
                0,
            ),
            eof: false,
        }
    }

    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.output).into_owned()
    }

    /// Collects output until `done` holds or the deadline passes. Returns whether it held.
    pub fn pump_until(&mut self, deadline: Instant, mut done: impl FnMut(&Self) -> bool) -> bool {
        loop {
            if done(self) {
                return true;
            }
            if self.eof {
                return false;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match self
                .chunks
                .recv_timeout(left.min(Duration::from_millis(100)))
            {
                Ok(chunk) => {
                    self.screen.process(&chunk);
                    self.output.extend_from_slice(&chunk);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.eof = true,
            }
        }
    }

    /// Waits until `needle` is on the screen stream; fails with the captured output.
    pub fn expect_text(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        if !self.pump_until(deadline, |s| s.text().contains(needle)) {
            let status = self.child.try_wait().ok().flatten();
            let _ = self.child.kill();
            panic!(
                "`{needle}` did not appear within {timeout:?} (child status {status:?}); output:\n{}",
                visible(&self.text())
            );
        }
    }

    /// The screen as a terminal shows it now, one line per row.
    #[must_use]
    pub fn screen(&self) -> String {
        self.screen.screen().contents()
    }

    /// Waits until `needle` is on the screen (not only somewhere in the stream); fails with
    /// the screen and the child's state.
    pub fn expect_screen(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        if !self.pump_until(deadline, |s| s.screen().contains(needle)) {
            let status = self.child.try_wait().ok().flatten();
            panic!(
                "`{needle}` was not on the screen within {timeout:?} (child status {status:?}); screen:\n{}",
                self.screen()
            );
        }
    }

    /// Lets the child draw for `pause`, then returns the screen.
    pub fn settle(&mut self, pause: Duration) -> String {
        self.pump_until(Instant::now() + pause, |_| false);
        self.screen()
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends `q` and asserts the child exits with code 0 within `timeout`.
    pub fn quit_with_0(&mut self, timeout: Duration) {
        self.send("q");
        let code = self.wait_exit(timeout);
        assert_eq!(code, 0, "exit code; output:\n{}", visible(&self.text()));
    }

    /// Waits for the child to exit, then drains its last output. Returns the exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> u32 {
        self.wait_status(timeout).exit_code()
    }

    /// Waits for the child to exit, then drains its last output. Returns its status.
    pub fn wait_status(&mut self, timeout: Duration) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "opsdeck did not exit within {timeout:?}; output:\n{}",
                    visible(&self.text())
                );
            }
            // Keep reading so a full pty buffer cannot block the child's last writes.
            self.pump_until(Instant::now() + Duration::from_millis(50), |_| false);
        };
        // Whatever the child wrote before exiting is still in the pty: read it to EOF.
        self.pump_until(Instant::now() + Duration::from_secs(5), |s| s.eof);
        status
    }

    /// The pty's local mode flags as their names (`ICANON`, `ECHO`, ...).
    #[must_use]
    pub fn local_flags(&self) -> Vec<String> {
        let termios = self.master.get_termios().expect("tcgetattr on the pty");
        // Named through Debug: the flag type belongs to portable-pty's own `nix`.
        format!("{:?}", termios.local_flags)
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Output with escapes spelled out, the last 6000 characters, for failure messages.
#[must_use]
pub fn visible(text: &str) -> String {
    let shown: String = text.escape_debug().collect();
    let skip = shown.chars().count().saturating_sub(6000);
    shown.chars().skip(skip).collect()
}
