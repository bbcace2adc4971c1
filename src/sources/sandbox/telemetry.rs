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
/// Requests were served for this long before the world started, so a fresh sandbox has an
/// hour of traces and logs to look at.
const HISTORY: SignedDuration = SignedDuration::from_hours(1);

/// Where request number 0 happened.
fn origin(world: &World) -> Timestamp {
    world.started - HISTORY
}

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
    // Ids are user input (a pasted trace id): numbers far in the future are no request.
    let offset_ms = i64::try_from(number.checked_mul(1000)? / REQUESTS_PER_SECOND).ok()?
        + i64::try_from(rng.below(900)).ok()?;
    let at = origin(world)
        .checked_add(SignedDuration::from_millis(offset_ms))
        .ok()?;
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
    let second = |t: Timestamp| t.duration_since(origin(world)).as_secs().max(0);
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
        w.advance(std::time::Duration::from_mins(1));
        let a = requests(&w, "payments-api", w.started, w.now());
        let b = requests(&w, "payments-api", w.started, w.now());
        assert_eq!(a, b);
        assert!((55..=61).contains(&a.len()), "{}", a.len());
    }

    #[test]
    fn the_burst_service_fails_with_trace_ids_in_its_lines() {
        let mut world = World::new(7, crate::screenshot::epoch());
        world.advance(std::time::Duration::from_mins(2));
        let burst = world.burst_service().expect("a burst");
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

/// What a request's trace looks like without building it: its span count.
fn span_count(index: usize) -> usize {
    // The server span, one client + one server span per dependency, and a database query.
    1 + 2 * SERVICES[index].4.len() + 1
}

fn hex64(rng: &mut Rng) -> String {
    format!("{:016x}", rng.next_u64())
}

fn nanos(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

/// The trace of a sandbox request, rebuilt from its id: the service's server span, a client
/// span and the callee's server span per dependency, and a database query. A failing request
/// fails in its first dependency, which times out; the error climbs to the root.
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "one simulated trace, span by span, in the order the request makes its calls"
)]
pub fn trace(world: &World, id: &str) -> Option<crate::model::traces::Trace> {
    use crate::model::traces::{Span, SpanEvent, SpanKind, SpanStatus, StatusCode, Trace};
    let (index, number) = decode_trace_id(id)?;
    let r = request(world, index, number)?;
    if r.at > world.now() {
        return None;
    }
    let mut rng = Rng::new(world.seed ^ number.rotate_left(17) ^ index as u64);
    let service = std::sync::Arc::<str>::from(r.service);
    let start = nanos(r.at);
    let total = i64::try_from(r.duration_ms).unwrap_or(0) * 1_000_000;
    let status = |error: bool, message: &str| SpanStatus {
        code: if error {
            StatusCode::Error
        } else {
            StatusCode::Ok
        },
        message: if error {
            message.to_owned()
        } else {
            String::new()
        },
    };
    let timeout = format!("upstream {} timed out", upstream(index));
    let mut spans = vec![Span {
        trace_id: r.trace_id.clone(),
        span_id: r.span_id.clone(),
        parent_id: None,
        name: r.route.to_owned(),
        service: service.clone(),
        kind: SpanKind::Server,
        start_ns: start,
        duration_ns: total,
        status: status(r.error, &timeout),
        attributes: vec![
            ("http.route".into(), r.route.to_owned()),
            (
                "http.response.status_code".into(),
                if r.error { "502" } else { "200" }.into(),
            ),
        ],
        resource: vec![("k8s.namespace.name".into(), SERVICES[index].1.to_owned())],
        events: Vec::new(),
    }];
    let deps = SERVICES[index].4;
    let mut at = start + total / 15;
    let slot = (total * 8 / 10) / i64::try_from(deps.len().max(1)).unwrap_or(1);
    for (d, dep) in deps.iter().enumerate() {
        let failing = r.error && d == 0;
        let took = if failing {
            total - (at - start) - total / 40
        } else {
            (slot * i64::try_from(5 + rng.below(4)).unwrap_or(5) / 10).max(100_000)
        };
        let client_id = hex64(&mut rng);
        let dep_service = std::sync::Arc::<str>::from(*dep);
        let route = ROUTES[rng.below(ROUTES.len())];
        spans.push(Span {
            trace_id: r.trace_id.clone(),
            span_id: client_id.clone(),
            parent_id: Some(r.span_id.clone()),
            name: format!("{route} {dep}"),
            service: service.clone(),
            kind: SpanKind::Client,
            start_ns: at,
            duration_ns: took,
            status: status(failing, &format!("{dep}: deadline exceeded")),
            attributes: vec![("peer.service".into(), (*dep).to_owned())],
            resource: Vec::new(),
            events: if failing {
                vec![SpanEvent {
                    time_ns: at + took,
                    name: "exception".into(),
                    attributes: vec![
                        ("exception.type".into(), "DeadlineExceeded".into()),
                        (
                            "exception.message".into(),
                            format!("context deadline exceeded after {}ms", took / 1_000_000),
                        ),
                    ],
                }]
            } else {
                Vec::new()
            },
        });
        let inner = took * 8 / 10;
        spans.push(Span {
            trace_id: r.trace_id.clone(),
            span_id: hex64(&mut rng),
            parent_id: Some(client_id),
            name: route.to_owned(),
            service: dep_service,
            kind: SpanKind::Server,
            start_ns: at + took / 10,
            duration_ns: inner,
            status: status(failing, "handler still running when the caller gave up"),
            attributes: vec![("http.route".into(), route.to_owned())],
            resource: Vec::new(),
            events: Vec::new(),
        });
        at += took + took / 20;
    }
    spans.push(Span {
        trace_id: r.trace_id.clone(),
        span_id: hex64(&mut rng),
        parent_id: Some(r.span_id.clone()),
        name: "SELECT items".into(),
        service,
        kind: SpanKind::Client,
        // The query runs first, then the calls: a slow dependency, not the database, is what
        // the critical path shows.
        start_ns: start + total / 40,
        duration_ns: (total / 50).max(50_000),
        status: status(false, ""),
        attributes: vec![
            ("db.system".into(), "postgresql".into()),
            (
                "db.statement".into(),
                "SELECT id, name FROM items WHERE id = $1".into(),
            ),
        ],
        resource: Vec::new(),
        events: Vec::new(),
    });
    Some(Trace::from_spans(Some(r.trace_id.clone()), spans))
}

/// The trace list for a search: the requests of the service (every service when none is
/// named) of the search's window (the last fifteen minutes by default), newest first,
/// filtered by the search's TraceQL (the user's, or the one Tempo would get for the
/// structured filters) through the sandbox's subset in [`super::traceql`].
///
/// # Errors
/// TraceQL beyond the subset, in Tempo's words.
pub fn search(
    world: &World,
    query: &crate::sources::traces::TraceSearch,
) -> Result<Vec<crate::model::traces::TraceSummary>, String> {
    use crate::model::traces::TraceSummary;
    let filter =
        super::traceql::SandboxTraceQl::parse(&crate::sources::traces::tempo::traceql(query))?;
    let now = world.now();
    let from = query.start.unwrap_or(now - SignedDuration::from_mins(15));
    let to = query.end.unwrap_or(now);
    let services: Vec<&str> = match &query.service {
        Some(s) => SERVICES.iter().filter(|t| t.0 == s).map(|t| t.0).collect(),
        None => SERVICES.iter().map(|t| t.0).collect(),
    };
    let min_ms = query
        .min_duration
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut rows: Vec<(Timestamp, TraceSummary)> = services
        .into_iter()
        .flat_map(|service| requests(world, service, from, to))
        .filter(|r| (!query.errors_only || r.error) && r.duration_ms >= min_ms)
        .filter(|r| {
            filter.matches(&super::traceql::SpanView {
                service: r.service,
                name: r.route,
                error: r.error,
                duration_ms: r.duration_ms,
            })
        })
        .map(|r| {
            let index = SERVICES.iter().position(|t| t.0 == r.service).unwrap_or(0);
            let row = TraceSummary {
                trace_id: r.trace_id.clone(),
                root_service: r.service.to_owned(),
                root_name: r.route.to_owned(),
                start: r.at,
                duration_ns: i64::try_from(r.duration_ms).unwrap_or(0) * 1_000_000,
                span_count: span_count(index),
                error: r.error,
            };
            (r.at, row)
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    rows.truncate(query.limit.max(1));
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

#[cfg(test)]
mod trace_tests {
    use super::*;

    #[test]
    fn a_failing_request_s_trace_blames_its_first_dependency() {
        let mut world = World::new(7, crate::screenshot::epoch());
        world.advance(std::time::Duration::from_mins(2));
        let burst = world.burst_service().expect("a burst");
        let query = crate::sources::traces::TraceSearch {
            service: Some(burst.clone()),
            errors_only: true,
            ..crate::sources::traces::TraceSearch::default()
        };
        let rows = search(&world, &query).expect("the sandbox's own TraceQL");
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| r.error && r.root_service == burst));
        assert!(
            rows.windows(2).all(|w| w[0].start >= w[1].start),
            "newest first"
        );
        let t = trace(&world, &rows[0].trace_id).expect("the trace");
        assert_eq!(t.spans.len(), rows[0].span_count);
        assert!(
            t.root()
                .is_some_and(crate::model::traces::span::Span::is_error)
        );
        let tree = crate::model::traces::SpanTree::new(&t);
        assert_eq!(tree.roots().len(), 1, "every span hangs off the root");
        assert!(t.spans.iter().any(|s| s.is_error() && !s.events.is_empty()));
        assert!(trace(&world, "0000ffffffffffff0000000000000000").is_none());
    }
}
