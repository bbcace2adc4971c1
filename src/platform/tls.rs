//! HTTPS for `opsdeck platform serve`: the rustls server config, and the accept loop that
//! serves the axum router over it.
//!
//! The loop is tokio-rustls plus hyper-util, the pair reqwest and hyper-rustls already bring
//! (no new crate, the same rustls and aws-lc-rs), as in axum's own low-level TLS example.
//! axum-server would add a dependency that trails axum's releases and would still need a
//! hand-made `ServerConfig` for client certificates. Only HTTP/1.1 is offered (ALPN), the
//! same protocol as the plain server.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::platform::error::PlatformError;
use crate::tls as http_tls;

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's certificate and key, and the CA its clients' certificates must chain to.
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Passphrase of an encrypted PKCS#8 key, already resolved.
    pub key_password: Option<String>,
    /// With it, every client must present a certificate signed by this CA.
    pub client_ca: Option<PathBuf>,
}

fn invalid(e: impl std::fmt::Display) -> PlatformError {
    PlatformError::Invalid {
        what: "TLS setup",
        message: e.to_string(),
    }
}

/// The rustls config of `tls`: every file is read and checked now, so a bad one stops the
/// server before it listens.
pub fn server_config(tls: &ServerTls) -> Result<Arc<ServerConfig>, PlatformError> {
    let provider = http_tls::provider();
    let (chain, key) = http_tls::load_identity(&tls.cert, &tls.key, tls.key_password.as_deref())
        .map_err(invalid)?;
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(invalid)?;
    let builder = match &tls.client_ca {
        Some(ca) => {
            let roots = http_tls::load_roots(ca).map_err(invalid)?;
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(invalid)?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key).map_err(invalid)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` over TLS on `listener` until `shutdown` fires, then lets open connections
/// finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: Arc<ServerConfig>,
    shutdown: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "platform: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let accept = acceptor.accept(tcp).into_fallible();
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
                Ok(Ok(stream)) => stream,
                Ok(Err((e, tcp))) => {
                    // A client without the right certificate, or one that does not trust
                    // ours: the operator sees who and why.
                    tracing::warn!(%peer, error = %e, "platform: TLS handshake failed");
                    linger_after_alert(tcp).await;
                    return;
                }
                Err(_) => {
                    tracing::warn!(%peer, "platform: TLS handshake timed out");
                    return;
                }
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(%peer, error = %e, "platform: connection ended with an error");
            }
        });
    }
    graceful.shutdown().await;
    Ok(())
}

/// How long a refused client gets to read the alert before the socket closes.
const ALERT_LINGER: Duration = Duration::from_secs(2);

/// Closes a refused connection so that the client reads the alert. Under TLS 1.3 the client
/// thinks the handshake done before the server checks its certificate, and has already sent
/// its request: closing with that request unread makes the kernel answer with a reset, which
/// can throw away the alert still in the client's buffer ("connection reset" instead of "the
/// server requires a client certificate"). So: send FIN, read and discard until the client
/// closes or a short time passes, then drop.
async fn linger_after_alert(mut tcp: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tcp.shutdown().await;
    let mut sink = [0_u8; 4096];
    let drain = async { while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {} };
    let _ = tokio::time::timeout(ALERT_LINGER, drain).await;
}
