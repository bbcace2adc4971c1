//! A TCP proxy that can turn its open connections into black holes: both sockets stay open,
//! but nothing is forwarded in either direction any more, and nothing is closed (no FIN, no
//! RST), as when a NAT or a load balancer forgets a flow. New connections made afterwards
//! are forwarded normally (a new flow gets through), so a client that notices and reconnects
//! recovers.
//!
//! Reached as `support::blackhole` from a test binary that includes `tests/support/mod.rs`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Default)]
struct Shared {
    /// One switch per open connection; `true` black-holes it.
    switches: Mutex<Vec<watch::Sender<bool>>>,
    /// The halves of black-holed connections, kept open until the proxy drops.
    graveyard: Mutex<Vec<(OwnedReadHalf, OwnedWriteHalf)>>,
    accepted: AtomicUsize,
    swallowed: AtomicUsize,
}

/// A running proxy; it stops (and closes every socket) on Drop.
pub struct BlackHole {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.task.abort();
        self.shared
            .graveyard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl BlackHole {
    /// Listens on a free loopback port and forwards each connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> BlackHole {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn({
            let shared = Arc::clone(&shared);
            async move {
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        continue;
                    };
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        continue;
                    };
                    shared.accepted.fetch_add(1, Ordering::SeqCst);
                    let (switch, stalled) = watch::channel(false);
                    shared
                        .switches
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(switch);
                    tokio::spawn(forward(Arc::clone(&shared), client, server, stalled));
                }
            }
        });
        BlackHole { addr, shared, task }
    }

    /// `http://127.0.0.1:port`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Black-holes every connection open now; later connections are forwarded.
    pub fn swallow_open_connections(&self) {
        let switches = std::mem::take(
            &mut *self
                .shared
                .switches
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for switch in switches {
            let _ = switch.send(true);
        }
    }

    /// Connections accepted so far.
    #[must_use]
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections black-holed so far (and still held open).
    #[must_use]
    pub fn swallowed(&self) -> usize {
        self.shared.swallowed.load(Ordering::SeqCst)
    }
}

/// Copies both ways until either side closes, or until the switch black-holes the pair:
/// then the halves are kept open, unread and unwritten.
async fn forward(
    shared: Arc<Shared>,
    client: TcpStream,
    server: TcpStream,
    mut stalled: watch::Receiver<bool>,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let mut up = [0u8; 16 * 1024];
    let mut down = [0u8; 16 * 1024];
    loop {
        tokio::select! {
            changed = stalled.changed() => {
                if changed.is_err() || *stalled.borrow() {
                    break;
                }
            }
            read = client_read.read(&mut up) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if server_write.write_all(&up[..n]).await.is_err() {
                        return;
                    }
                }
            },
            read = server_read.read(&mut down) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if client_write.write_all(&down[..n]).await.is_err() {
                        return;
                    }
                }
            },
        }
    }
    shared.swallowed.fetch_add(1, Ordering::SeqCst);
    let mut graveyard = shared
        .graveyard
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    graveyard.push((client_read, client_write));
    graveyard.push((server_read, server_write));
}
