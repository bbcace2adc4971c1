//! An interactive session in a container (a shell, later a debug container's attach), as
//! plain channels: bytes the user types go to `input`, bytes the container writes come from
//! `output`, terminal sizes go to `resize`, and `end` says how it ended. The real cluster
//! (kube-rs exec over WebSocket) and the sandbox's fake shell both hand one over, and the
//! runtime wires it to the terminal, so neither knows about the other.

use tokio::sync::{mpsc, oneshot};

pub use crate::model::k8s::shell::SessionEnd;

/// One open session. Dropping `input` is end-of-input (ctrl-d on a closed stdin).
#[derive(Debug)]
pub struct Session {
    pub input: mpsc::Sender<Vec<u8>>,
    pub output: mpsc::Receiver<Vec<u8>>,
    /// Terminal size as (columns, rows).
    pub resize: mpsc::Sender<(u16, u16)>,
    pub end: oneshot::Receiver<SessionEnd>,
}

/// The far side of a [`Session`]: what a backend holds to serve it.
#[derive(Debug)]
pub struct SessionPeer {
    pub input: mpsc::Receiver<Vec<u8>>,
    pub output: mpsc::Sender<Vec<u8>>,
    pub resize: mpsc::Receiver<(u16, u16)>,
    pub end: oneshot::Sender<SessionEnd>,
}

/// A connected pair: the session for the terminal, its peer for the backend.
#[must_use]
pub fn pair() -> (Session, SessionPeer) {
    let (input_tx, input_rx) = mpsc::channel(64);
    let (output_tx, output_rx) = mpsc::channel(64);
    let (resize_tx, resize_rx) = mpsc::channel(8);
    let (end_tx, end_rx) = oneshot::channel();
    (
        Session {
            input: input_tx,
            output: output_rx,
            resize: resize_tx,
            end: end_rx,
        },
        SessionPeer {
            input: input_rx,
            output: output_tx,
            resize: resize_rx,
            end: end_tx,
        },
    )
}

impl Session {
    /// Sends `line` and collects the output until `until` appears in it or the session
    /// ends (tests, and scripted use). The output so far is returned either way.
    pub async fn exchange(&mut self, line: &str, until: &str) -> String {
        if !line.is_empty() {
            let _ = self.input.send(line.as_bytes().to_vec()).await;
        }
        let mut seen = String::new();
        while !seen.contains(until) {
            match self.output.recv().await {
                Some(bytes) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                None => break,
            }
        }
        seen
    }

    /// Waits for the end, draining output meanwhile (a closed output is not the end: the
    /// status follows it).
    pub async fn finish(mut self) -> (String, SessionEnd) {
        let mut rest = String::new();
        while let Some(bytes) = self.output.recv().await {
            rest.push_str(&String::from_utf8_lossy(&bytes));
        }
        let end = self
            .end
            .await
            .unwrap_or_else(|_| SessionEnd::broken("the session went away without a status"));
        (rest, end)
    }
}
