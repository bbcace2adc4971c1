//! The sandbox's port-forward: no pod listens anywhere, so each forwarded connection is
//! answered by a canned HTTP response naming the pod and port. The runtime binds a real
//! loopback port in front of it, so `curl http://127.0.0.1:<port>/` works with no cluster.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};

use crate::sources::forward::ForwardConn;

/// The body a sandbox forward answers with.
#[must_use]
pub fn body(namespace: &str, name: &str, port: u16) -> String {
    format!(
        "opsdeck sandbox: pod {namespace}/{name}, port {port}\n\
         (a canned answer: the sandbox has no real pod behind this forward)\n"
    )
}

/// One connection to `port` of the sandbox's pod `namespace/name`.
#[must_use]
pub fn open(namespace: &str, name: &str, port: u16) -> ForwardConn {
    let (near, far) = tokio::io::duplex(64 * 1024);
    let body = body(namespace, name, port);
    tokio::spawn(serve(far, body));
    ForwardConn {
        stream: Box::new(near),
        // The canned pod never fails.
        error: Box::pin(async { None }),
    }
}

/// Reads the request head (or whatever comes before the client stops sending), then answers
/// once and closes, as an HTTP/1.1 server with `Connection: close` does.
async fn serve(mut far: DuplexStream, body: String) {
    let mut seen = Vec::new();
    let mut buf = [0_u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.len() < 64 * 1024 {
        match far.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = far.write_all(answer.as_bytes()).await;
    let _ = far.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_gets_the_canned_answer_naming_the_pod() {
        let mut conn = open("shop", "cart-a", 8080);
        conn.stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut answer = String::new();
        conn.stream.read_to_string(&mut answer).await.expect("read");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with(&body("shop", "cart-a", 8080)), "{answer}");
        assert!(answer.contains("pod shop/cart-a, port 8080"));
        assert_eq!(conn.error.await, None);
    }
}
