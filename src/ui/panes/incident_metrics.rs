//! The incident view's metrics panel: the SLO burn of the service (the Workbook's
//! multiwindow state with its burn rates), then rate, error ratio with its trend, and
//! latency from the context's Prometheus; the error-ratio curve under them. A value
//! Prometheus could not give is shown as what it is (no data, no traffic, NaN, error),
//! never as zero.

use crate::app::State;
use crate::app::panes::catalog::MetricsView;
use crate::app::panes::incident::facts::{Fact, Severity, absent};
use crate::model::Service;
use crate::model::metrics::{BurnState, MetricKind, Reading, ServiceMetrics, burn_line};
use crate::model::source::SourceId;

/// Points of the error curve (one per `step` of the source's range).
const CURVE_POINTS: usize = 30;

/// `falling`, `rising` or nothing: the last point against the mean of the five before.
#[must_use]
pub fn trend(series: &[Option<f64>]) -> Option<&'static str> {
    let points: Vec<f64> = series.iter().rev().take(6).flatten().copied().collect();
    let (&last, before) = points.split_first()?;
    if before.len() < 2 {
        return None;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "at most five points: exact in f64"
    )]
    let mean = before.iter().sum::<f64>() / before.len() as f64;
    if last < mean * 0.8 {
        Some("falling")
    } else if last > mean * 1.2 && last > 0.0 {
        Some("rising")
    } else {
        None
    }
}

fn burn_fact(m: &ServiceMetrics) -> Fact {
    let slo = &m.slo;
    let severity = match slo.state {
        BurnState::Fast => Severity::Bad,
        BurnState::Slow => Severity::Warn,
        BurnState::Ok => Severity::Ok,
        BurnState::Unknown => Severity::Info,
    };
    let budget = match &slo.budget_left {
        Reading::Value(v) => format!("budget {:.0}% left", v * 100.0),
        other => format!("budget {}", other.show(MetricKind::RequestRate)),
    };
    Fact::new(
        severity,
        format!("SLO {} · {budget} · {}", slo.state.word(), burn_line(slo)),
    )
}

/// The head line, read first and at 80×24 alone: the error ratio with its trend and the
/// SLO burn state, worst of the two as its severity.
fn head_fact(m: &ServiceMetrics) -> Fact {
    let errors = m.latest(MetricKind::ErrorRatio);
    let trend = trend(m.series(MetricKind::ErrorRatio))
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let burn = burn_fact(m);
    let red = red_fact(m);
    Fact::new(
        burn.severity.max(red.severity),
        format!(
            "errors {}{trend} · SLO {} {}",
            errors.show(MetricKind::ErrorRatio),
            m.slo.state.glyph(),
            m.slo.state.word()
        ),
    )
}

fn red_fact(m: &ServiceMetrics) -> Fact {
    let errors = m.latest(MetricKind::ErrorRatio);
    let trend = trend(m.series(MetricKind::ErrorRatio))
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let severity = match errors {
        Reading::Value(v) if *v >= 0.05 => Severity::Bad,
        Reading::Value(v) if *v >= 0.01 => Severity::Warn,
        Reading::Error(_) => Severity::Warn,
        _ => Severity::Info,
    };
    Fact::new(
        severity,
        format!(
            "errors {}{trend} · {} · p50 {} p95 {} p99 {}",
            errors.show(MetricKind::ErrorRatio),
            m.latest(MetricKind::RequestRate)
                .show(MetricKind::RequestRate),
            m.latest(MetricKind::LatencyP50)
                .show(MetricKind::LatencyP50),
            m.latest(MetricKind::LatencyP95)
                .show(MetricKind::LatencyP95),
            m.latest(MetricKind::LatencyP99)
                .show(MetricKind::LatencyP99),
        ),
    )
}

fn pods_fact(m: &ServiceMetrics) -> Fact {
    Fact::new(
        Severity::Info,
        format!(
            "pods: {} restarts/1h · cpu {} · memory {}",
            m.latest(MetricKind::Restarts).show(MetricKind::Restarts),
            m.latest(MetricKind::Cpu).show(MetricKind::Cpu),
            m.latest(MetricKind::Memory).show(MetricKind::Memory),
        ),
    )
}

/// Every query error of the service, in full (a wrong template shows why).
fn error_facts(m: &ServiceMetrics) -> Vec<Fact> {
    MetricKind::ALL
        .iter()
        .filter_map(|k| match m.latest(*k) {
            Reading::Error(e) => Some(Fact::new(Severity::Warn, format!("{}: {e}", k.title()))),
            _ => None,
        })
        .take(2)
        .collect()
}

/// The panel's facts and the error curve (oldest first, scaled to sparkline levels; empty
/// when there is none).
#[must_use]
pub fn facts(state: &State, service: &Service) -> (Vec<Fact>, Vec<u64>) {
    let seen = state.seen();
    match state
        .panes
        .catalog
        .metrics_of(&service.name, state.health.get(&SourceId::Metrics))
    {
        MetricsView::Off => (
            vec![Fact::new(
                Severity::Quiet,
                "no Prometheus in this context: set `prometheus = { url = \"…\" }` for rate, \
                 errors, latency and SLO burn",
            )],
            Vec::new(),
        ),
        MetricsView::Waiting => (
            vec![absent(
                &seen,
                SourceId::Metrics,
                "no Prometheus in this context",
                "waiting for Prometheus",
            )],
            Vec::new(),
        ),
        MetricsView::NoData => (
            vec![Fact::new(
                Severity::Warn,
                format!("Prometheus has no series for {}", service.name),
            )],
            Vec::new(),
        ),
        MetricsView::Known(m) => {
            let mut facts = vec![head_fact(m), burn_fact(m), red_fact(m)];
            // A failing Prometheus keeps its last figures: say how old they are.
            if let Some(crate::model::SourceHealth::Error { message, .. }) =
                state.health.get(&SourceId::Metrics)
            {
                facts.insert(0, Fact::new(Severity::Bad, format!("stale: {message}")));
            }
            facts.extend(error_facts(m));
            facts.push(pods_fact(m));
            let curve = crate::model::metrics::sparkline_series(
                m.series(MetricKind::ErrorRatio),
                CURVE_POINTS,
                8,
            )
            .into_iter()
            .map(|p| p.unwrap_or(0))
            .collect();
            (facts, curve)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_compares_the_last_point_with_the_ones_before() {
        let s = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
        assert_eq!(trend(&s(&[0.2, 0.2, 0.2, 0.2, 0.05])), Some("falling"));
        assert_eq!(trend(&s(&[0.01, 0.01, 0.01, 0.2])), Some("rising"));
        assert_eq!(trend(&s(&[0.1, 0.1, 0.1, 0.1])), None);
        assert_eq!(trend(&s(&[0.1])), None);
    }
}
