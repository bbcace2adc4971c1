//! The sandbox's shell: a tiny line-based fake over the same [`Session`] the cluster's exec
//! gives, so `S` works in `opsdeck sandbox` with no cluster. Like a real TTY it echoes what
//! is typed and edits the line (backspace, ctrl-c, ctrl-d); it knows `echo`, `ls`, `env`,
//! `hostname`, `cat /proc/1/status`, `help` and `exit [n]`, with canned answers. Nothing
//! runs for real.

use crate::model::action::ActionRequest;
use crate::sources::session::{self, Session, SessionEnd, SessionPeer};

/// Opens a fake shell for an `ExecPod`.
///
/// # Errors
/// The request is not a session.
pub fn open(request: &ActionRequest) -> Result<Session, String> {
    let shell = match request {
        ActionRequest::ExecPod {
            name, container, ..
        } => Shell::new(name, container, format!("container {container}")),
        ActionRequest::DebugPod {
            name,
            container,
            image,
            target,
            ..
        } => Shell::new(
            name,
            container,
            format!("debug container {container}, image {image}, sharing {target}'s processes"),
        ),
        other => return Err(format!("{} is not a session", other.action_name())),
    };
    let (session, peer) = session::pair();
    tokio::spawn(serve(peer, shell));
    Ok(session)
}

/// The fake shell's state: the pod it pretends to run in and the line being typed.
#[derive(Debug)]
struct Shell {
    pod: String,
    container: String,
    /// Which container, in words, for the banner.
    what: String,
    line: String,
    last_status: i32,
}

/// What a typed line did.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Output(String),
    Exit(i32),
}

impl Shell {
    fn new(pod: &str, container: &str, what: String) -> Self {
        Self {
            pod: pod.to_owned(),
            container: container.to_owned(),
            what,
            line: String::new(),
            last_status: 0,
        }
    }

    fn prompt(&self) -> String {
        format!("root@{}:/# ", self.pod)
    }

    fn banner(&self) -> String {
        format!(
            "opsdeck sandbox: a simulated shell in {} ({}). Try echo, ls, env, \
             hostname, cat /proc/1/status; exit to come back.\r\n{}",
            self.pod,
            self.what,
            self.prompt()
        )
    }

    /// Feeds typed bytes; returns what to echo and whether the shell exited.
    fn feed(&mut self, bytes: &[u8]) -> (String, Option<i32>) {
        let mut out = String::new();
        for &b in bytes {
            match b {
                b'\r' | b'\n' => {
                    out.push_str("\r\n");
                    let line = std::mem::take(&mut self.line);
                    match self.run(line.trim()) {
                        Step::Exit(code) => return (out, Some(code)),
                        Step::Output(text) => {
                            out.push_str(&text);
                            out.push_str(&self.prompt());
                        }
                    }
                }
                0x7f | 0x08 if self.line.pop().is_some() => out.push_str("\x08 \x08"),
                0x03 => {
                    self.line.clear();
                    self.last_status = 130;
                    out.push_str("^C\r\n");
                    out.push_str(&self.prompt());
                }
                0x04 if self.line.is_empty() => {
                    out.push_str("exit\r\n");
                    return (out, Some(self.last_status));
                }
                0x20..=0x7e => {
                    self.line.push(char::from(b));
                    out.push(char::from(b));
                }
                // Escape sequences (arrows) and other controls: a real readline would act;
                // this one ignores them.
                _ => {}
            }
        }
        (out, None)
    }

    fn run(&mut self, line: &str) -> Step {
        let mut words = line.split_whitespace();
        let Some(command) = words.next() else {
            return Step::Output(String::new());
        };
        let args: Vec<&str> = words.collect();
        let (status, text) = match (command, args.as_slice()) {
            ("exit", []) => return Step::Exit(self.last_status),
            ("exit", [code]) => return Step::Exit(code.parse().unwrap_or(2)),
            ("echo", args) => (0, args.join(" ").replace("$HOSTNAME", &self.pod)),
            ("ls", [] | ["/"]) => (
                0,
                "bin  dev  etc  home  proc  root  sys  tmp  usr  var".into(),
            ),
            ("hostname", []) => (0, self.pod.clone()),
            ("env", []) => (
                0,
                format!(
                    "HOSTNAME={}\r\nHOME=/root\r\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\r\nKUBERNETES_SERVICE_HOST=10.96.0.1\r\nKUBERNETES_SERVICE_PORT=443",
                    self.pod
                ),
            ),
            ("cat", ["/proc/1/status"]) => (
                0,
                format!(
                    "Name:\t{}\r\nState:\tS (sleeping)\r\nPid:\t1\r\nPPid:\t0\r\nVmRSS:\t  243712 kB\r\nThreads:\t12",
                    self.container
                ),
            ),
            ("help", []) => (
                0,
                "echo ARGS, ls, env, hostname, cat /proc/1/status, exit [N]".into(),
            ),
            (cmd, _) => (127, format!("sh: {cmd}: not found")),
        };
        self.last_status = status;
        Step::Output(if text.is_empty() {
            text
        } else {
            format!("{text}\r\n")
        })
    }
}

async fn serve(mut peer: SessionPeer, mut shell: Shell) {
    if peer.output.send(shell.banner().into_bytes()).await.is_err() {
        return;
    }
    let code = loop {
        tokio::select! {
            input = peer.input.recv() => match input {
                Some(bytes) => {
                    let (echo, exit) = shell.feed(&bytes);
                    if !echo.is_empty() && peer.output.send(echo.into_bytes()).await.is_err() {
                        break shell.last_status;
                    }
                    if let Some(code) = exit {
                        break code;
                    }
                }
                // End of input ends a shell as ctrl-d does.
                None => break shell.last_status,
            },
            // The fake has no screen to size; sizes are read so the sender never blocks.
            Some(_) = peer.resize.recv() => {}
        }
    };
    drop(peer.output);
    let _ = peer.end.send(SessionEnd::exited(code));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec() -> ActionRequest {
        ActionRequest::ExecPod {
            namespace: "shop".into(),
            name: "cart-1".into(),
            container: "api".into(),
            command: crate::model::k8s::shell::shell_command(),
        }
    }

    #[tokio::test]
    async fn it_echoes_answers_and_exits_with_the_status_given() {
        let mut s = open(&exec()).expect("opens");
        let banner = s.exchange("", "# ").await;
        assert!(
            banner.contains("simulated shell in cart-1 (container api)"),
            "{banner}"
        );
        let out = s.exchange("echo hi $HOSTNAME\r", "# ").await;
        assert_eq!(out, "echo hi $HOSTNAME\r\nhi cart-1\r\nroot@cart-1:/# ");
        let out = s.exchange("cat /proc/1/status\r", "# ").await;
        assert!(out.contains("Name:\tapi"), "{out}");
        let out = s.exchange("lss\x7f\r", "# ").await;
        assert!(out.contains("\x08 \x08"), "backspace is echoed: {out:?}");
        assert!(out.contains("bin  dev"), "{out}");
        let out = s.exchange("vim\r", "# ").await;
        assert!(out.contains("sh: vim: not found"), "{out}");
        let _ = s.input.send(b"exit 3\r".to_vec()).await;
        let (_, end) = s.finish().await;
        assert_eq!(end, SessionEnd::exited(3));
    }

    #[tokio::test]
    async fn ctrl_d_and_a_closed_input_end_it_with_the_last_status() {
        let mut s = open(&exec()).expect("opens");
        s.exchange("nope\r", "# ").await;
        let _ = s.input.send(vec![0x04]).await;
        assert_eq!(s.finish().await.1, SessionEnd::exited(127));

        let s = open(&exec()).expect("opens");
        let Session {
            input,
            output,
            end,
            resize,
        } = s;
        drop(input);
        let s = Session {
            input: tokio::sync::mpsc::channel(1).0,
            output,
            resize,
            end,
        };
        assert_eq!(s.finish().await.1, SessionEnd::exited(0));
    }
}
