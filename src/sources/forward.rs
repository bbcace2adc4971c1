//! One forwarded connection, as the backends hand it over: a byte stream to the pod's port
//! and, beside it, the pod side's error (the kubelet's error channel: "connection refused"
//! inside the pod). The real cluster gives kube-rs's `Portforwarder` stream; the sandbox a
//! canned HTTP answer. The runtime owns the local listener and copies bytes between the two,
//! so neither backend binds a port.

use std::future::Future;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};

/// A stream to a pod's port.
pub trait ForwardIo: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> ForwardIo for T {}

/// The pod side's error message, if it sends one; `None` when the connection ended without.
pub type ForwardError = Pin<Box<dyn Future<Output = Option<String>> + Send>>;

/// One connection to a pod's port.
pub struct ForwardConn {
    pub stream: Box<dyn ForwardIo>,
    pub error: ForwardError,
}

impl std::fmt::Debug for ForwardConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForwardConn")
    }
}
