//! Port-forward, as data: what the `F` form reads (a remote port picked from the pod's
//! declared ports or typed, a local port or "any"), the local address (always loopback),
//! and the live figures of a running forward that the runtime reports and the `:forwards`
//! list shows. Nothing here binds or connects: the runtime does, and answers with
//! [`ForwardEvent`]s.

use super::pod::{ContainerPort, PodFacts};

/// The only address a forward listens on: loopback, never every interface (kubectl's
/// default `--address localhost` too), so a forward never opens the pod to the network.
pub const LOOPBACK: &str = "127.0.0.1";

/// Which local port a forward listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalPort {
    /// The remote port's number when it is free (kubectl's `8080` for `8080`), else one the
    /// system picks.
    Auto,
    /// Exactly this port: taken means the forward does not start.
    Exact(u16),
}

/// A port number typed by hand: 1 to 65535, digits only.
fn port_number(text: &str) -> Result<u16, String> {
    match text.parse::<u32>() {
        Ok(n) if (1..=65_535).contains(&n) => Ok(u16::try_from(n).unwrap_or_default()),
        Ok(_) => Err(format!("`{text}`: a port is 1 to 65535")),
        Err(_) => Err(format!("`{text}`: a port is a number from 1 to 65535")),
    }
}

/// The pod's declared TCP ports, each once, in declaration order (container by container).
/// Port-forward carries TCP only (the kubelet dials TCP), so UDP ports are not offered.
#[must_use]
pub fn declared_ports(pod: &PodFacts) -> Vec<&ContainerPort> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for port in pod
        .containers
        .iter()
        .filter(|c| !c.init || c.sidecar)
        .flat_map(|c| c.ports.iter())
        .filter(|p| p.protocol.is_empty() || p.protocol.eq_ignore_ascii_case("TCP"))
    {
        if !seen.contains(&port.port) {
            seen.push(port.port);
            out.push(port);
        }
    }
    out
}

/// How a declared port is offered in the form: `8080/http`, or `8080` when unnamed.
#[must_use]
pub fn port_label(port: &ContainerPort) -> String {
    match &port.name {
        Some(name) if !name.is_empty() => format!("{}/{name}", port.port),
        _ => port.port.to_string(),
    }
}

/// The remote port the form's text names: a number, a declared port's label (`8080/http`)
/// or a declared port's name (`http`, as `kubectl port-forward pod/x :http` takes one).
///
/// # Errors
/// Empty, not a port, or a name no container declares.
pub fn parse_remote(input: &str, declared: &[&ContainerPort]) -> Result<u16, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("the pod port to forward to is required (←/→ picks a declared one)".into());
    }
    if let Some(port) = declared
        .iter()
        .find(|p| port_label(p) == text || p.name.as_deref() == Some(text))
    {
        return Ok(port.port);
    }
    if text.chars().all(|c| c.is_ascii_digit()) {
        return port_number(text);
    }
    let names: Vec<&str> = declared.iter().filter_map(|p| p.name.as_deref()).collect();
    Err(if names.is_empty() {
        format!("`{text}`: no container declares a port of that name; type a number")
    } else {
        format!(
            "`{text}`: no declared port of that name (declared: {})",
            names.join(", ")
        )
    })
}

/// The local port the form's text asks for: empty or `auto` for [`LocalPort::Auto`], else
/// a port number. An address is refused: forwards listen on loopback only.
///
/// # Errors
/// Not a port, or an address (`0.0.0.0:80`, `host:80`).
pub fn parse_local(input: &str) -> Result<LocalPort, String> {
    let text = input.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("auto") {
        return Ok(LocalPort::Auto);
    }
    if text.contains(':') || text.contains('.') {
        return Err(format!(
            "`{text}`: only a port: forwards listen on {LOOPBACK} (loopback) only"
        ));
    }
    port_number(text).map(LocalPort::Exact)
}

/// "any free port" or "8080" for the form and the confirmation.
#[must_use]
pub fn local_words(local: LocalPort, remote: u16) -> String {
    match local {
        LocalPort::Auto => format!("{remote} if free, else any free port"),
        LocalPort::Exact(port) => port.to_string(),
    }
}

/// A running forward's figures, as the runtime counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardStats {
    /// Local connections accepted so far.
    pub connections: u64,
    /// Of those, still open.
    pub active: u64,
    /// Bytes from the local side to the pod.
    pub bytes_out: u64,
    /// Bytes from the pod to the local side.
    pub bytes_in: u64,
    /// The last connection's failure (the API server's refusal or the kubelet's error
    /// channel), sanitized; a failed connection does not end the forward.
    pub last_error: Option<String>,
}

impl ForwardStats {
    /// "3 connections (1 open), 120 B out, 4.1 KiB in".
    #[must_use]
    pub fn words(&self) -> String {
        format!(
            "{} connection{} ({} open), {} out, {} in",
            self.connections,
            if self.connections == 1 { "" } else { "s" },
            self.active,
            bytes_words(self.bytes_out),
            bytes_words(self.bytes_in)
        )
    }
}

/// Bytes in the largest unit that keeps a digit before the point.
#[must_use]
pub fn bytes_words(bytes: u64) -> String {
    #[expect(
        clippy::cast_precision_loss,
        reason = "a display figure with one decimal"
    )]
    crate::model::text::byte_size(bytes as f64)
}

/// What the runtime tells the app about forward `id` (the app numbered it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardEvent {
    /// The audit admitted it and it listens on `local` (`127.0.0.1:8080`), forwarding to
    /// `pod`'s `port` (a Service's forward learns its pod here).
    Listening {
        id: u64,
        local: String,
        pod: String,
        port: u16,
    },
    /// Its figures changed (a connection opened or closed).
    Stats { id: u64, stats: ForwardStats },
    /// It ended (stopped, refused, or it could not listen); the reason reaches the user
    /// as the action's report or a notice.
    Ended { id: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: Option<&str>, port: u16, protocol: &str) -> ContainerPort {
        ContainerPort {
            name: name.map(str::to_owned),
            port,
            protocol: protocol.to_owned(),
        }
    }

    #[test]
    fn the_remote_port_is_a_declared_label_name_or_a_number() {
        let http = port(Some("http"), 8080, "TCP");
        let metrics = port(Some("metrics"), 9090, "TCP");
        let declared = [&http, &metrics];
        assert_eq!(parse_remote("8080/http", &declared), Ok(8080));
        assert_eq!(parse_remote(" metrics ", &declared), Ok(9090));
        assert_eq!(
            parse_remote("5432", &declared),
            Ok(5432),
            "any port may be typed"
        );
        assert_eq!(
            parse_remote("", &declared),
            Err("the pod port to forward to is required (←/→ picks a declared one)".into())
        );
        assert_eq!(
            parse_remote("grpc", &declared),
            Err("`grpc`: no declared port of that name (declared: http, metrics)".into())
        );
        assert_eq!(
            parse_remote("0", &declared),
            Err("`0`: a port is 1 to 65535".into())
        );
        assert_eq!(
            parse_remote("70000", &[]),
            Err("`70000`: a port is 1 to 65535".into())
        );
        assert!(
            parse_remote("grpc", &[])
                .unwrap_err()
                .contains("type a number")
        );
    }

    #[test]
    fn the_local_port_is_a_number_or_auto_and_never_an_address() {
        assert_eq!(parse_local(""), Ok(LocalPort::Auto));
        assert_eq!(parse_local("auto"), Ok(LocalPort::Auto));
        assert_eq!(parse_local(" 18080 "), Ok(LocalPort::Exact(18_080)));
        assert_eq!(
            parse_local("0.0.0.0:8080"),
            Err("`0.0.0.0:8080`: only a port: forwards listen on 127.0.0.1 (loopback) only".into())
        );
        assert!(parse_local("localhost:80").is_err());
        assert_eq!(
            parse_local("http"),
            Err("`http`: a port is a number from 1 to 65535".into())
        );
        assert_eq!(
            parse_local("65536"),
            Err("`65536`: a port is 1 to 65535".into())
        );
        assert_eq!(
            local_words(LocalPort::Auto, 8080),
            "8080 if free, else any free port"
        );
    }

    #[test]
    fn declared_ports_are_tcp_once_each() {
        let mut pod = super::super::pod::tests::running("p-1", "rs");
        let mut app = pod.containers[0].clone();
        app.ports = vec![port(Some("http"), 8080, "TCP"), port(None, 53, "UDP")].into();
        let mut proxy = app.clone();
        proxy.name = "proxy".into();
        proxy.ports = vec![
            port(Some("admin"), 9901, ""),
            port(Some("http"), 8080, "TCP"),
        ]
        .into();
        pod.containers = vec![app, proxy].into();
        let labels: Vec<String> = declared_ports(&pod).into_iter().map(port_label).collect();
        assert_eq!(labels, ["8080/http", "9901/admin"]);
        pod.containers = Box::default();
        assert!(declared_ports(&pod).is_empty());
    }

    #[test]
    fn figures_read_in_words() {
        let stats = ForwardStats {
            connections: 1,
            active: 0,
            bytes_out: 120,
            bytes_in: 4200,
            last_error: None,
        };
        assert_eq!(
            stats.words(),
            "1 connection (0 open), 120 B out, 4.1 KiB in"
        );
        assert_eq!(bytes_words(3 * 1024 * 1024), "3.0 MiB");
    }
}
