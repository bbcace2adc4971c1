//! The sandbox's requests, and the log lines they leave: every service serves a steady trickle
//! of requests; the `ErrorBurst` incident's service fails most of them, each failure logged
//! with the trace id of its request, so a log line leads to its trace and back. Everything is
//! a pure function of the seed, the service and the second, so asking twice for the same
//! window gives the same lines (a resumed or re-targeted stream never invents new history).
//!
//! Formats vary the way real fleets do: tier-1 services log JSON, tier-2 logfmt, the rest
//! plain text with a level word.

use jiff::{SignedDuration, Timestamp};

use super::fleet::{Rng, SERVICES};
use super::{IncidentKind, World};

/// Requests each service serves per second in the sandbox.
const REQUESTS_PER_SECOND: u64 = 1;
/// Seconds of history a new log stream starts with.
pub const BACKLOG_SECONDS: i64 = 300;

/// One simulated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub service: &'static str,
    /// Its number within the service, from the world's start: the trace id encodes it.
    pub number: u64,
    pub at: Timestamp,
    pub trace_id: String,
    pub span_id: String,
    pub error: bool,
    pub duration_ms: u64,
    pub route: &'static str,
}

/// The trace id of a request: the service's index and the request number are readable in it,
/// so the sandbox's tracing backend can rebuild the trace from the id alone.
#[must_use]
pub fn trace_id(seed: u64, service_index: usize, number: u64) -> String {
    let mut rng = Rng::new(seed ^ (service_index as u64).wrapping_mul(0x9E37_79B9) ^ number);
    format!(
        "{:04x}{:012x}{:016x}",
        service_index,
        number & 0xFFFF_FFFF_FFFF,
        rng.next_u64()
    )
}

/// The service index and request number a sandbox trace id encodes.
#[must_use]
pub fn decode_trace_id(id: &str) -> Option<(usize, u64)> {
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let index = usize::from_str_radix(&id[..4], 16).ok()?;
    let number = u64::from_str_radix(&id[4..16], 16).ok()?;
    (index < SERVICES.len()).then_some((index, number))
}

const ROUTES: &[&str] = &[
    "GET /api/items",
    "GET /api/items/{id}",
    "POST /api/orders",
    "GET /healthz",
    "PUT /api/items/{id}",
];

fn failing(world: &World, service: &str, at: Timestamp) -> bool {
    let elapsed = at.duration_since(world.started);
    world.incidents.iter().any(|i| {
        matches!(&i.kind, IncidentKind::ErrorBurst { service: s } if s == service)
            && SignedDuration::try_from(i.starts_after).is_ok_and(|d| elapsed >= d)
            && i.ends_after
                .is_none_or(|end| SignedDuration::try_from(end).is_ok_and(|d| elapsed < d))
    })
}

/// The request `number` of the service at `index`.
#[must_use]
pub fn request(world: &World, index: usize, number: u64) -> Option<Request> {
    let t = SERVICES.get(index)?;
    let mut rng = Rng::new(world.seed ^ (index as u64) << 32 ^ number);
    let offset_ms = i64::try_from(number * 1000 / REQUESTS_PER_SECOND).ok()?
        + i64::try_from(rng.below(900)).ok()?;
    let at = world.started + SignedDuration::from_millis(offset_ms);
    let burst = failing(world, t.0, at);
    let error = if burst {
        rng.below(10) < 7
    } else {
        rng.below(200) == 0
    };
    let duration_ms = if error {
        3000 + rng.below(200) as u64
    } else {
        8 + rng.below(60) as u64 + if rng.below(20) == 0 { 400 } else { 0 }
    };
    Some(Request {
        service: t.0,
        number,
        at,
        trace_id: trace_id(world.seed, index, number),
        span_id: format!("{:016x}", rng.next_u64()),
        error,
        duration_ms,
        route: ROUTES[rng.below(ROUTES.len())],
    })
}

/// The requests of `service` that started in `[from, to)`, oldest first.
#[must_use]
pub fn requests(world: &World, service: &str, from: Timestamp, to: Timestamp) -> Vec<Request> {
    let Some(index) = SERVICES.iter().position(|t| t.0 == service) else {
        return Vec::new();
    };
    let second = |t: Timestamp| t.duration_since(world.started).as_secs().max(0);
    let first = u64::try_from(second(from)).unwrap_or(0).saturating_sub(1) * REQUESTS_PER_SECOND;
    let last = (u64::try_from(second(to)).unwrap_or(0) + 1) * REQUESTS_PER_SECOND;
    (first..last)
        .filter_map(|n| request(world, index, n))
        .filter(|r| r.at >= from && r.at < to && r.at <= world.now())
        .collect()
}

/// The downstream a failing request blames: the service's first dependency, or its database.
fn upstream(index: usize) -> &'static str {
    SERVICES[index].4.first().copied().unwrap_or("the database")
}

/// One request's log line, as its pod would write it.
#[must_use]
pub fn log_line(r: &Request) -> String {
    let index = SERVICES.iter().position(|t| t.0 == r.service).unwrap_or(0);
    let tier = SERVICES[index].2;
    let ts = Timestamp::from_millisecond(r.at.as_millisecond())
        .unwrap_or(r.at)
        .to_string();
    let (level, message) = if r.error {
        (
            "error",
            format!(
                "{} 502: upstream {} timed out after {}ms",
                r.route,
                upstream(index),
                r.duration_ms
            ),
        )
    } else if r.duration_ms > 300 {
        ("warn", format!("{} 200 slow: {}ms", r.route, r.duration_ms))
    } else {
        ("info", format!("{} 200 in {}ms", r.route, r.duration_ms))
    };
    match tier {
        1 => serde_json::json!({
            "ts": ts, "level": level, "msg": message, "service": r.service,
            "trace_id": r.trace_id, "span_id": r.span_id,
            "http.route": r.route, "duration_ms": r.duration_ms,
        })
        .to_string(),
        2 => format!(
            "ts={ts} level={level} msg=\"{message}\" trace_id={} span_id={} duration_ms={}",
            r.trace_id, r.span_id, r.duration_ms
        ),
        _ => format!(
            "{ts} {} {message} trace_id={}",
            level.to_ascii_uppercase(),
            r.trace_id
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_round_trip_and_windows_are_stable() {
        let world = World::new(7, crate::screenshot::epoch());
        let id = trace_id(7, 12, 345);
        assert_eq!(decode_trace_id(&id), Some((12, 345)));
        assert_eq!(decode_trace_id("not-a-trace"), None);
        let mut w = world.clone();
        w.advance(std::time::Duration::from_secs(60));
        let a = requests(&w, "payments-api", w.started, w.now());
        let b = requests(&w, "payments-api", w.started, w.now());
        assert_eq!(a, b);
        assert!((55..=61).contains(&a.len()), "{}", a.len());
    }

    #[test]
    fn the_burst_service_fails_with_trace_ids_in_its_lines() {
        let mut world = World::new(7, crate::screenshot::epoch());
        world.advance(std::time::Duration::from_secs(120));
        let burst = world
            .incidents
            .iter()
            .find_map(|i| match &i.kind {
                IncidentKind::ErrorBurst { service } => Some(service.clone()),
                _ => None,
            })
            .expect("a burst");
        let reqs = requests(&world, &burst, world.started, world.now());
        let errors = reqs.iter().filter(|r| r.error).count();
        assert!(errors * 2 > reqs.len(), "{errors} of {}", reqs.len());
        let line = log_line(reqs.iter().find(|r| r.error).expect("an error"));
        let parsed = crate::model::logs::parse_line(line.as_bytes(), "pod".into());
        assert_eq!(parsed.level(), Some(crate::model::logs::Level::Error));
        assert!(
            parsed
                .trace_id()
                .is_some_and(|t| decode_trace_id(t).is_some())
        );
    }
}
