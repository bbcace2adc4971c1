//! A local connection of a port-forward that counts the bytes through it as they pass, so
//! the forwards list shows a long-lived connection's traffic (a database session through
//! the forward) before it closes. Only the counts are kept, never the bytes.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes through every connection of one forward.
#[derive(Debug, Default)]
pub struct Counters {
    /// Read from the local side: sent to the pod.
    out: AtomicU64,
    /// Written to the local side: received from the pod.
    into: AtomicU64,
}

impl Counters {
    /// (out, in) so far.
    #[must_use]
    pub fn get(&self) -> (u64, u64) {
        (
            self.out.load(Ordering::Relaxed),
            self.into.load(Ordering::Relaxed),
        )
    }
}

/// `inner` with its traffic added to `counters`.
#[derive(Debug)]
pub struct Counted<S> {
    inner: S,
    counters: Arc<Counters>,
}

impl<S> Counted<S> {
    pub fn new(inner: S, counters: Arc<Counters>) -> Self {
        Self { inner, counters }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let read = buf.filled().len().saturating_sub(before);
            self.counters
                .out
                .fetch_add(u64::try_from(read).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &polled {
            self.counters
                .into
                .fetch_add(u64::try_from(*n).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    #[tokio::test]
    async fn both_directions_are_counted_as_they_pass() {
        let counters = Arc::new(Counters::default());
        let (near, mut far) = tokio::io::duplex(64);
        let mut counted = Counted::new(near, Arc::clone(&counters));
        far.write_all(b"hello").await.expect("write");
        let mut buf = [0_u8; 5];
        counted.read_exact(&mut buf).await.expect("read");
        counted.write_all(b"hi").await.expect("write");
        assert_eq!(counters.get(), (5, 2));
    }
}
