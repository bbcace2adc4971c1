//! The runtime panels of the incident view: blockers in the service's databases, lag of its
//! consumer groups, its error-log rate and its failing and slowest traces, each as
//! [`Fact`]s derived from the state the other panes hold.

use jiff::Timestamp;

use crate::app::panes::incident::ErrorRate;
use crate::app::panes::incident::Seen;
use crate::app::panes::incident::facts::{Fact, Severity, absent, short_age, thousands};
use crate::model::Service;
use crate::model::pg::PgSnapshot;
use crate::model::source::SourceId;
use crate::model::traces::TraceSummary;

/// Blocked sessions of one database snapshot, and the root blocker that holds them up.
fn blockers(database: &str, snapshot: &PgSnapshot) -> Vec<Fact> {
    let blocked: Vec<_> = snapshot
        .sessions
        .iter()
        .filter(|s| !s.blocked_by.is_empty())
        .collect();
    if blocked.is_empty() {
        return vec![Fact::new(
            Severity::Ok,
            format!(
                "{database}: no blocked sessions ({} active)",
                snapshot.sessions.len()
            ),
        )];
    }
    // A root blocker blocks others and waits on nobody.
    let mut roots: Vec<i32> = blocked
        .iter()
        .flat_map(|s| s.blocked_by.iter().copied())
        .filter(|pid| {
            snapshot
                .sessions
                .iter()
                .find(|s| s.pid == *pid)
                .is_none_or(|s| s.blocked_by.is_empty())
        })
        .collect();
    roots.sort_unstable();
    roots.dedup();
    let mut facts = vec![Fact::new(
        Severity::Bad,
        format!(
            "{database}: {} blocked behind {} root blocker{}",
            blocked.len(),
            roots.len(),
            if roots.len() == 1 { "" } else { "s" }
        ),
    )];
    for pid in roots.iter().take(2) {
        let text = match snapshot.sessions.iter().find(|s| s.pid == *pid) {
            Some(s) => {
                let age = s
                    .xact_age(snapshot.taken_at)
                    .map(|d| {
                        format!(
                            " xact {}",
                            short_age(i64::try_from(d.as_secs()).unwrap_or(0))
                        )
                    })
                    .unwrap_or_default();
                format!("pid {pid} {}{age}: {}", s.state, s.query_line())
            }
            None if *pid == 0 => "a prepared transaction".to_owned(),
            None => format!("pid {pid} (gone)"),
        };
        facts.push(Fact::new(Severity::Info, text));
    }
    facts
}

/// Read replicas are a self-service product: their lag (and a slot that keeps WAL for
/// nobody) belongs next to the database's blockers.
fn replication(database: &str, snapshot: &PgSnapshot) -> Option<Fact> {
    let r = snapshot.facts.replication.as_ref()?;
    if r.standbys.is_empty() && r.slots.is_empty() && !r.in_recovery {
        return None;
    }
    let lagging = r
        .standbys
        .iter()
        .filter_map(crate::model::pg_replication::Standby::worst_lag)
        .any(|l| l >= std::time::Duration::from_secs(10));
    let hoarding = r
        .inactive_slots()
        .any(|s| s.retained_bytes.unwrap_or(0) >= 1 << 30);
    let severity = if lagging || hoarding {
        Severity::Warn
    } else {
        Severity::Info
    };
    Some(Fact::new(
        severity,
        format!("{database} replication: {}", r.summary()),
    ))
}

/// Blockers in each of the service's databases.
#[must_use]
pub fn databases(seen: &Seen<'_>, service: &Service) -> Vec<Fact> {
    let names = &service.mapping.databases;
    if names.is_empty() {
        return vec![Fact::new(Severity::Quiet, "no databases mapped")];
    }
    names
        .iter()
        .flat_map(|db| match seen.panes.postgres.snapshots.get(db) {
            Some(snapshot) => {
                let mut facts = blockers(db, snapshot);
                facts.extend(replication(db, snapshot));
                facts
            }
            None if !seen.panes.postgres.databases.contains(db) => vec![Fact::new(
                Severity::Quiet,
                format!("{db}: not configured in this context"),
            )],
            None => vec![absent(
                seen,
                SourceId::Postgres,
                &format!("{db}: Postgres is not configured in this context"),
                &format!("{db}: waiting for Postgres"),
            )],
        })
        .collect()
}

/// Total lag of each mapped consumer group, with its trend over the recent refreshes.
#[must_use]
pub fn lag(seen: &Seen<'_>, service: &Service) -> Vec<Fact> {
    let groups = &service.mapping.consumer_groups;
    if groups.is_empty() {
        return vec![Fact::new(Severity::Quiet, "no consumer groups mapped")];
    }
    let Some(snapshot) = &seen.panes.kafka.snapshot else {
        return vec![absent(
            seen,
            SourceId::Kafka,
            "Kafka is not configured in this context",
            "waiting for Kafka",
        )];
    };
    let mut facts: Vec<Fact> = groups
        .iter()
        .map(
            |name| match snapshot.groups.iter().find(|g| &g.name == name) {
                None => Fact::new(Severity::Warn, format!("{name}: not found in the cluster")),
                Some(g) => {
                    let series = seen.panes.kafka.history.series(name);
                    let trend = match (series.first(), series.last()) {
                        (Some(a), Some(b)) if series.len() > 1 && b > a => " rising",
                        (Some(a), Some(b)) if series.len() > 1 && b < a => " falling",
                        _ => "",
                    };
                    let severity = match (g.total_lag, trend) {
                        (0, _) => Severity::Ok,
                        (_, " rising") => Severity::Bad,
                        (n, _) if n >= 1000 => Severity::Warn,
                        _ => Severity::Ok,
                    };
                    Fact::new(
                        severity,
                        format!(
                            "lag {}{trend} · {name} ({})",
                            thousands(g.total_lag),
                            g.state
                        ),
                    )
                }
            },
        )
        .collect();
    facts.sort_by_key(|f| std::cmp::Reverse(f.severity));
    facts
}

/// Errors per minute now and at the peak of the window, from the counted rate.
#[must_use]
pub fn logs(seen: &Seen<'_>, service: &Service, rate: &ErrorRate) -> (Vec<Fact>, Vec<u64>) {
    if seen.panes.logs.target.service.as_deref() != Some(service.name.as_str()) {
        return (
            vec![Fact::new(
                Severity::Quiet,
                "the log source reads another target; enter reads this service's",
            )],
            Vec::new(),
        );
    }
    if !seen.panes.logs.loaded {
        let fact = absent(
            seen,
            SourceId::Logs,
            "no log source in this context",
            "waiting for logs",
        );
        return (vec![fact], Vec::new());
    }
    if !rate.has_lines() {
        return (
            vec![Fact::new(Severity::Quiet, "no timed log lines yet")],
            Vec::new(),
        );
    }
    let series = rate.series(seen.now);
    let now = series.last().copied().unwrap_or(0);
    let peak = series.iter().copied().max().unwrap_or(0);
    let total: u64 = series.iter().sum();
    let minutes = series.len();
    let fact = if total == 0 {
        Fact::new(Severity::Ok, format!("no errors in the last {minutes} min"))
    } else {
        let severity = if now > 0 {
            Severity::Bad
        } else {
            Severity::Warn
        };
        Fact::new(
            severity,
            format!("{now}/min now, peak {peak}/min · {total} errors in {minutes} min"),
        )
    };
    (vec![fact], series)
}

fn trace_line(t: &TraceSummary, now: Timestamp) -> String {
    // The tail of an id: some backends (and the sandbox) share a prefix across traces.
    let skip = t.trace_id.chars().count().saturating_sub(8);
    let id: String = t.trace_id.chars().skip(skip).collect();
    format!(
        "{:>7} {} {} ago · {id}",
        crate::model::traces::layout::format_duration(t.duration_ns),
        t.root_name,
        short_age((now - t.start).get_seconds())
    )
}

/// The failing and the slowest traces of the service in the traces pane's list.
#[must_use]
pub fn traces(seen: &Seen<'_>, service: &Service) -> Vec<Fact> {
    let Some(list) = &seen.panes.traces.list else {
        return vec![absent(
            seen,
            SourceId::Traces,
            "no trace backend in this context",
            "waiting for traces",
        )];
    };
    let name = service
        .mapping
        .trace_service
        .as_deref()
        .unwrap_or(&service.name);
    let mine: Vec<&TraceSummary> = list
        .rows
        .iter()
        .filter(|t| t.root_service == name)
        .collect();
    if mine.is_empty() {
        return vec![Fact::new(
            Severity::Quiet,
            format!("no traces of {name} in the list yet"),
        )];
    }
    let failing: Vec<&TraceSummary> = mine.iter().copied().filter(|t| t.error).collect();
    let mut slowest = mine.clone();
    slowest.sort_by_key(|t| std::cmp::Reverse(t.duration_ns));
    let head = if failing.is_empty() {
        Fact::new(Severity::Ok, format!("no failing traces of {}", mine.len()))
    } else {
        Fact::new(
            Severity::Bad,
            format!("{} failing of {} traces", failing.len(), mine.len()),
        )
    };
    let mut facts = vec![head];
    // Interleaved so that even two lines show one failing and one slow trace.
    let mut failing = failing.into_iter().take(3);
    let mut slowest = slowest.into_iter().filter(|t| !t.error).take(3);
    loop {
        let f = failing.next();
        let s = slowest.next();
        if f.is_none() && s.is_none() {
            break;
        }
        if let Some(t) = f {
            facts.push(Fact::new(
                Severity::Bad,
                format!("failed {}", trace_line(t, seen.now)),
            ));
        }
        if let Some(t) = s {
            facts.push(Fact::new(
                Severity::Info,
                format!("◷ slow   {}", trace_line(t, seen.now)),
            ));
        }
    }
    facts
}

/// The service's alerts: firing ones first (worst first, with how long), then pending and
/// muted ones in a word.
#[must_use]
pub fn alerts(seen: &Seen<'_>, service: &Service) -> Vec<Fact> {
    use crate::model::alerts::{AlertState, Severity as AlertSeverity};
    let pane = &seen.panes.alerts;
    if pane.snapshot.is_none() {
        return vec![absent(
            seen,
            SourceId::Alerts,
            "no Alertmanager in this context",
            "waiting for Alertmanager",
        )];
    }
    let all = pane.firing_for(&service.name);
    if all.is_empty() {
        return vec![Fact::new(Severity::Ok, "no alerts for this service")];
    }
    let mut facts: Vec<Fact> = all
        .iter()
        .filter(|a| a.is_firing())
        .map(|a| {
            let severity = match a.severity() {
                AlertSeverity::Critical | AlertSeverity::Error => Severity::Bad,
                AlertSeverity::Warning => Severity::Warn,
                AlertSeverity::Info | AlertSeverity::Unknown => Severity::Info,
            };
            let age = a
                .starts_at
                .parse::<Timestamp>()
                .map(|t| format!(" {}", short_age(seen.now.duration_since(t).as_secs())))
                .unwrap_or_default();
            let summary = a
                .annotations
                .get("summary")
                .map(|s| format!(": {}", s.lines().next().unwrap_or_default()))
                .unwrap_or_default();
            Fact::new(severity, format!("{} firing{age}{summary}", a.name()))
        })
        .collect();
    for a in all.iter().filter(|a| !a.is_firing()) {
        let (_, word) = AlertState::label(a);
        facts.push(Fact::new(Severity::Info, format!("{} {word}", a.name())));
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::State;
    use crate::app::panes::incident::facts::argo;

    fn demo() -> State {
        crate::screenshot::demo_state(7, 120, 40, crate::theme::ColorDepth::TrueColor)
            .expect("demo state")
    }

    fn service<'a>(state: &'a State, name: &str) -> &'a Service {
        state
            .panes
            .catalog
            .catalog
            .service(name)
            .expect("in the catalog")
    }

    fn says(facts: &[Fact], needle: &str) -> bool {
        facts.iter().any(|f| f.text.contains(needle))
    }

    #[test]
    fn the_mapped_app_database_and_group_are_the_ones_shown() {
        let state = demo();
        let checkout = service(&state, "checkout-api");
        let argo = argo(&state.seen(), checkout);
        assert!(says(&argo, "app checkout-api"), "{argo:?}");
        let dbs = databases(&state.seen(), checkout);
        assert_eq!(dbs[0].severity, Severity::Bad, "{dbs:?}");
        assert!(says(&dbs, "orders-db: "), "{dbs:?}");
        assert!(says(&dbs, "root blocker"), "{dbs:?}");
        let lagging = service(&state, "analytics-ingest");
        let groups = lag(&state.seen(), lagging);
        assert!(says(&groups, "analytics-ingest-consumer"), "{groups:?}");
        assert!(groups[0].text.starts_with("lag "), "{groups:?}");
        assert_eq!(
            lag(&state.seen(), checkout),
            vec![Fact::new(Severity::Quiet, "no consumer groups mapped")]
        );
    }

    #[test]
    fn a_source_with_nothing_yet_says_so_in_words() {
        let mut state = demo();
        state.panes.apps = crate::app::panes::apps::AppsPane::default();
        state.panes.kafka.snapshot = None;
        state.health.remove(&SourceId::Kafka);
        let svc = service(&state, "analytics-ingest").clone();
        let argo = argo(&state.seen(), &svc);
        assert_eq!(argo[0].text, "waiting for Argo CD", "the kube source is up");
        let groups = lag(&state.seen(), &svc);
        assert_eq!(groups[0].text, "Kafka is not configured in this context");
        let (logs, series) = logs(&state.seen(), &svc, &ErrorRate::default());
        assert!(series.is_empty());
        assert!(logs[0].text.contains("another target"), "{logs:?}");
    }
}
