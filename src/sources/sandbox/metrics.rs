//! The sandbox's simulated Prometheus, behind the same [`MetricsBackend`] as the real
//! client: it answers each query by its kind and window (it reads no `PromQL`) with vectors
//! and matrices labelled `service`, so the source builds its snapshot the same way.
//!
//! The figures follow the world's incidents:
//! - the error burst's service fails 70 % of its requests from the incident's start (as its
//!   logs and traces do): its short windows burn far above 14.4 at once, the 1h window within
//!   a minute, so it shows "burning fast"; an earlier outage twelve days ago spent 1.1 times
//!   its monthly budget, so its 30-day SLO is breached;
//! - the stuck rollout's service has served 0.45 % errors and a slower p99 since its rollout
//!   went wrong, five hours before the world started: "burning slow" until the rollout is
//!   undone (an abort alone leaves it Degraded, as Argo Rollouts does), then its short
//!   windows cool and the burn falls;
//! - the blocking chain's service answers slowly (p95 2 s, p99 5 s) and times out a few
//!   requests until the blocker is terminated;
//! - the lagging consumer's service serves HTTP normally, with latencies three times its
//!   usual;
//! - `newsletter-worker` (deprecated) serves no traffic: its error ratio and latencies are
//!   NaN, shown as "no traffic", never as zero.
//!
//! Everything is a pure function of the seed, the incidents and the time, except the moment
//! a stuck rollout was fixed, which the world notes when it first sees the rollout healthy.

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use jiff::{SignedDuration, Timestamp};

use super::fleet::{Rng, SERVICES};
use super::{IncidentKind, SandboxHandle, World};
use crate::model::metrics::{
    Labels, MetricKind, PromAnswer, PromData, PromError, QueryKind, Sample, parse_duration,
};
use crate::sources::metrics::{MetricQuery, MetricsBackend};
use crate::sources::prometheus::Evaluation;

/// Error ratio of the error burst.
const BURST_RATIO: f64 = 0.7;
/// Error ratio of the stuck rollout's service.
const STUCK_RATIO: f64 = 0.0045;
/// Error ratio of the blocked service (timeouts).
const BLOCKED_RATIO: f64 = 0.004;
/// How long before the world started the stuck rollout went wrong.
const STUCK_SINCE: SignedDuration = SignedDuration::from_hours(5);
/// The deprecated service without traffic.
const IDLE_SERVICE: &str = "newsletter-worker";

/// What the metrics remember of the world's history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsWorld {
    /// When each stuck rollout was first seen healthy again.
    pub rollout_fixed: BTreeMap<String, Timestamp>,
}

/// A time interval during which an incident changes a service's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Effect {
    from: Timestamp,
    to: Option<Timestamp>,
    /// Error ratio while active.
    ratio: f64,
    /// Latency multiplier (p50, p95, p99) and floor (seconds) while active.
    latency: (f64, f64),
}

/// One service's steady figures, from the seed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Baseline {
    rate: f64,
    ratio: f64,
    p50: f64,
    cpu: f64,
    memory: f64,
}

fn baseline(seed: u64, index: usize) -> Baseline {
    let mut rng = Rng::new(seed ^ 0x4D45_5452 ^ (index as u64) << 20);
    let t = &SERVICES[index];
    let target = match t.2 {
        1 => 99.95,
        2 => 99.9,
        _ => 99.5,
    };
    let budget = 1.0 - target / 100.0;
    Baseline {
        rate: if t.0 == IDLE_SERVICE {
            0.0
        } else {
            2.0 + rng.unit() * 60.0
        },
        // 5 … 60 % of the budget: burn 0.05 … 0.6, well inside the SLO.
        ratio: budget * (0.05 + rng.unit() * 0.55),
        p50: 0.015 + rng.unit() * 0.05,
        cpu: 0.05 + rng.unit() * 1.2,
        memory: (150.0 + rng.unit() * 700.0) * 1024.0 * 1024.0,
    }
}

impl World {
    /// Notes the moment each stuck rollout is seen healthy again (undone after an abort).
    fn observe_rollouts(&mut self) {
        let now = self.now();
        let stuck: Vec<String> = self
            .incidents
            .iter()
            .filter_map(|i| match &i.kind {
                IncidentKind::StuckRollout { service } => Some(service.clone()),
                _ => None,
            })
            .collect();
        for service in stuck {
            if self.metrics.rollout_fixed.contains_key(&service) {
                continue;
            }
            if !self.cluster().service_degraded(&service) {
                self.metrics.rollout_fixed.insert(service, now);
            }
        }
    }

    fn effects(&self, service: &str) -> Vec<Effect> {
        let at = |d: std::time::Duration| {
            SignedDuration::try_from(d)
                .ok()
                .and_then(|d| self.started.checked_add(d).ok())
                .unwrap_or(self.started)
        };
        self.incidents
            .iter()
            .filter(|i| i.kind.service() == service)
            .map(|i| {
                let to = i.ends_after.map(at);
                match &i.kind {
                    IncidentKind::ErrorBurst { .. } => Effect {
                        from: at(i.starts_after),
                        to,
                        ratio: BURST_RATIO,
                        latency: (1.5, 0.0),
                    },
                    IncidentKind::StuckRollout { service } => Effect {
                        from: at(i.starts_after)
                            .checked_sub(STUCK_SINCE)
                            .unwrap_or(self.started),
                        to: self.metrics.rollout_fixed.get(service).copied().or(to),
                        ratio: STUCK_RATIO,
                        latency: (1.2, 0.0),
                    },
                    IncidentKind::DbBlocking { .. } => Effect {
                        from: at(i.starts_after),
                        to,
                        ratio: BLOCKED_RATIO,
                        latency: (4.0, 2.0),
                    },
                    IncidentKind::ConsumerLag { .. } => Effect {
                        from: at(i.starts_after),
                        to,
                        ratio: 0.0,
                        latency: (3.0, 0.0),
                    },
                }
            })
            .chain(self.earlier_outage(service))
            .collect()
    }

    /// The error burst's service also had an outage twelve days ago that spent 1.1 times its
    /// monthly budget: its SLO over the 30-day window is breached while its short windows
    /// tell how it burns now.
    fn earlier_outage(&self, service: &str) -> Option<Effect> {
        let index = SERVICES.iter().position(|t| t.0 == service)?;
        if self.burst_service().as_deref() != Some(service) {
            return None;
        }
        let target = match SERVICES[index].2 {
            1 => 99.95,
            2 => 99.9,
            _ => 99.5,
        };
        let budget_secs = (1.0 - target / 100.0) * 30.0 * 86_400.0;
        let from = self
            .started
            .checked_sub(SignedDuration::from_hours(12 * 24))
            .ok()?;
        let to = from
            .checked_add(SignedDuration::from_secs_f64(
                1.1 * budget_secs / BURST_RATIO,
            ))
            .ok()?;
        Some(Effect {
            from,
            to: Some(to),
            ratio: BURST_RATIO,
            latency: (1.5, 0.0),
        })
    }

    /// The value of `kind` for one service at `t` (rate windows end at `t`).
    fn metric_at(&self, index: usize, effects: &[Effect], kind: QueryKind, t: Timestamp) -> Sample {
        let b = baseline(self.seed, index);
        let window = |w: &str| {
            parse_duration(w)
                .and_then(|d| SignedDuration::try_from(d).ok())
                .unwrap_or(SignedDuration::from_mins(5))
        };
        // Fraction of [t - w, t] each effect covers.
        let covered = |e: &Effect, w: SignedDuration| {
            let start = t.checked_sub(w).unwrap_or(t);
            let from = e.from.max(start);
            let to = e.to.unwrap_or(t).min(t);
            if to <= from || w.is_zero() {
                0.0
            } else {
                to.duration_since(from).as_secs_f64() / w.as_secs_f64()
            }
        };
        let ratio = |w: SignedDuration| {
            let excess: f64 = effects
                .iter()
                .map(|e| covered(e, w) * (e.ratio - b.ratio).max(0.0))
                .sum();
            (b.ratio + excess).min(1.0)
        };
        let active = |e: &Effect| e.from <= t && e.to.is_none_or(|to| to > t);
        let (mult, floor) = effects
            .iter()
            .filter(|e| active(e))
            .fold((1.0, 0.0), |(m, f): (f64, f64), e| {
                (m * e.latency.0, f.max(e.latency.1))
            });
        // A slow wiggle so sparklines are not flat.
        #[expect(
            clippy::cast_precision_loss,
            reason = "seconds and an index as the phase of a sine: precision does not matter"
        )]
        let wiggle = 1.0 + 0.1 * ((t.as_second() as f64) / 600.0 + index as f64).sin();
        let idle = b.rate == 0.0;
        let value = match kind {
            QueryKind::Metric(MetricKind::RequestRate) => b.rate * wiggle,
            // No traffic: 0/0, and quantiles of no observations.
            QueryKind::Metric(
                MetricKind::ErrorRatio
                | MetricKind::LatencyP50
                | MetricKind::LatencyP95
                | MetricKind::LatencyP99,
            )
            | QueryKind::Slo(_)
                if idle =>
            {
                f64::NAN
            }
            QueryKind::Metric(MetricKind::ErrorRatio) => ratio(window(kind_window(kind))),
            QueryKind::Slo(w) => ratio(window(w.duration("30d"))),
            QueryKind::Metric(MetricKind::LatencyP50) => b.p50 * mult * wiggle,
            QueryKind::Metric(MetricKind::LatencyP95) => (b.p50 * 3.0 * mult).max(floor) * wiggle,
            QueryKind::Metric(MetricKind::LatencyP99) => {
                (b.p50 * 6.0 * mult).max(floor * 2.5) * wiggle
            }
            QueryKind::Metric(MetricKind::Restarts) => {
                let burst = effects.iter().any(|e| {
                    e.ratio >= BURST_RATIO && covered(e, SignedDuration::from_hours(1)) > 0.0
                });
                if burst { 3.0 } else { 0.0 }
            }
            QueryKind::Metric(MetricKind::Cpu) => {
                let busy = if effects.iter().any(|e| active(e) && e.ratio > 0.0) {
                    1.4
                } else {
                    1.0
                };
                b.cpu * busy * wiggle
            }
            QueryKind::Metric(MetricKind::Memory) => b.memory * (1.0 + 0.02 * (wiggle - 1.0)),
        };
        Sample::from_f64(value)
    }

    /// The answer to one metrics query, as Prometheus would give it.
    pub fn metrics_answer(
        &mut self,
        query: &MetricQuery,
        at: Evaluation,
    ) -> Result<PromAnswer, PromError> {
        self.observe_rollouts();
        let now = self.now();
        let services: Vec<(usize, &str)> = SERVICES
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.0))
            .filter(|(_, name)| query.service.as_deref().is_none_or(|s| s == *name))
            .collect();
        let labels = |name: &str| -> Labels {
            if query.service.is_some() {
                Labels::new()
            } else {
                [("service".to_owned(), name.to_owned())].into()
            }
        };
        #[expect(
            clippy::cast_precision_loss,
            reason = "Prometheus sends times as float seconds too"
        )]
        let secs = |t: Timestamp| t.as_millisecond() as f64 / 1000.0;
        let data = match at {
            Evaluation::Instant(t) => {
                let t = t.min(now);
                PromData::Vector(
                    services
                        .iter()
                        .map(|(i, name)| {
                            let effects = self.effects(name);
                            (
                                labels(name),
                                secs(t),
                                self.metric_at(*i, &effects, query.kind, t),
                            )
                        })
                        .collect(),
                )
            }
            Evaluation::Range {
                start,
                end,
                step_secs,
            } => {
                let step = SignedDuration::from_secs(i64::try_from(step_secs.max(1)).unwrap_or(60));
                let mut times = Vec::new();
                let mut t = start;
                while t <= end.min(now) && times.len() < 11_000 {
                    times.push(t);
                    t = match t.checked_add(step) {
                        Ok(next) => next,
                        Err(_) => break,
                    };
                }
                PromData::Matrix(
                    services
                        .iter()
                        .map(|(i, name)| {
                            let effects = self.effects(name);
                            let values = times
                                .iter()
                                .map(|t| (secs(*t), self.metric_at(*i, &effects, query.kind, *t)))
                                .collect();
                            (labels(name), values)
                        })
                        .collect(),
                )
            }
        };
        Ok(PromAnswer {
            data,
            warnings: Vec::new(),
        })
    }
}

fn kind_window(kind: QueryKind) -> &'static str {
    match kind {
        QueryKind::Metric(m) => m.window(),
        QueryKind::Slo(_) => "5m",
    }
}

/// A world borrowed as a metrics server, for building a snapshot without the actor
/// (screenshots, tests).
#[derive(Debug)]
struct Borrowed<'w>(std::sync::Mutex<&'w mut World>);

impl MetricsBackend for Borrowed<'_> {
    fn evaluate<'a>(
        &'a self,
        query: &'a MetricQuery,
        at: Evaluation,
    ) -> BoxFuture<'a, Result<PromAnswer, PromError>> {
        let answer = self
            .0
            .lock()
            .map_err(|_| PromError::Transport("sandbox poisoned".into()))
            .and_then(|mut w| w.metrics_answer(query, at));
        Box::pin(async move { answer })
    }

    fn server(&self) -> String {
        "sandbox".to_owned()
    }
}

/// The metrics snapshot the sandbox's source would send now, built synchronously.
pub fn snapshot(world: &mut World) -> Result<crate::model::metrics::MetricsSnapshot, String> {
    let catalog = world.catalog();
    let now = world.now();
    let backend = Borrowed(std::sync::Mutex::new(world));
    futures::executor::block_on(crate::sources::metrics::refresh(
        &backend,
        &crate::sources::metrics::MetricsSettings::defaults(),
        &catalog,
        now,
    ))
}

/// The sandbox as a metrics server.
#[derive(Debug, Clone)]
pub struct SandboxMetrics {
    pub world: SandboxHandle,
}

impl MetricsBackend for SandboxMetrics {
    fn evaluate<'a>(
        &'a self,
        query: &'a MetricQuery,
        at: Evaluation,
    ) -> BoxFuture<'a, Result<PromAnswer, PromError>> {
        Box::pin(async move {
            self.world
                .metrics(query.clone(), at)
                .await
                .map_err(PromError::Transport)?
        })
    }

    fn server(&self) -> String {
        "sandbox".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Catalog;
    use crate::model::metrics::{BurnState, Reading, SloWindow};
    use crate::sources::metrics::{MetricsSettings, refresh};
    use std::time::Duration;

    /// A backend over a world owned by the test (no actor), for deterministic checks.
    #[derive(Debug)]
    struct Direct(std::sync::Mutex<World>);

    impl MetricsBackend for Direct {
        fn evaluate<'a>(
            &'a self,
            query: &'a MetricQuery,
            at: Evaluation,
        ) -> BoxFuture<'a, Result<PromAnswer, PromError>> {
            let answer = self
                .0
                .lock()
                .map_err(|_| PromError::Transport("poisoned".into()))
                .and_then(|mut w| w.metrics_answer(query, at));
            Box::pin(async move { answer })
        }

        fn server(&self) -> String {
            "direct".into()
        }
    }

    async fn snapshot(backend: &Direct) -> crate::model::metrics::MetricsSnapshot {
        let (catalog, now) = {
            let w = backend
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (w.catalog(), w.now())
        };
        refresh(backend, &MetricsSettings::defaults(), &catalog, now)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn incidents_show_in_the_metrics_and_fixing_them_cools_the_burn() {
        let mut world = World::new(
            42,
            Timestamp::UNIX_EPOCH + SignedDuration::from_hours(24 * 400),
        );
        world.advance(Duration::from_mins(2));
        let burst = world.burst_service().expect("a burst");
        let backend = Direct(std::sync::Mutex::new(world));
        let s = snapshot(&backend).await;
        let b = s.service(&burst).expect("burst service");
        assert_eq!(b.slo.state, BurnState::Fast, "{burst}: {:?}", b.slo);
        assert!(
            b.slo.budget_left.value().unwrap_or_default() < 0.0,
            "an earlier outage spent its month's budget: {:?}",
            b.slo
        );
        // Two minutes of 70 % errors in the 5m window.
        assert!(b.latest(MetricKind::ErrorRatio).value().unwrap_or_default() > 0.25);
        let shipping = s.service("shipping-api").expect("stuck");
        assert_eq!(shipping.slo.state, BurnState::Slow, "{:?}", shipping.slo);
        let lag = s.service("analytics-ingest").expect("lagging");
        assert_eq!(lag.slo.state, BurnState::Ok);
        let idle = s.service(IDLE_SERVICE).expect("idle");
        assert_eq!(idle.latest(MetricKind::ErrorRatio), &Reading::NaN);
        assert_eq!(
            idle.latest(MetricKind::ErrorRatio)
                .show(MetricKind::ErrorRatio),
            "no traffic"
        );
        let quiet = s
            .services
            .iter()
            .filter(|(n, _)| {
                ![burst.as_str(), "shipping-api", "checkout-api"].contains(&n.as_str())
            })
            .all(|(_, m)| m.slo.state == BurnState::Ok);
        assert!(quiet, "every other service is ok");
        let checkout = s.service("checkout-api").expect("blocked");
        assert!(
            checkout
                .latest(MetricKind::LatencyP99)
                .value()
                .unwrap_or_default()
                >= 5.0
        );
        // Fix: the burst ends; the stuck rollout is undone (noted as fixed now).
        {
            let mut w = backend
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            w.resolve(&burst);
            let now = w.now();
            w.metrics.rollout_fixed.insert("shipping-api".into(), now);
            w.advance(Duration::from_mins(15));
        }
        let later = snapshot(&backend).await;
        let b2 = later.service(&burst).expect("burst service");
        let burn = |m: &crate::model::metrics::ServiceMetrics, w| {
            m.slo.burn_of(w).value().unwrap_or_default()
        };
        assert!(burn(b2, SloWindow::M5) < burn(b, SloWindow::M5));
        assert_ne!(b2.slo.state, BurnState::Fast, "{:?}", b2.slo);
        let s2 = later.service("shipping-api").expect("stuck");
        assert!(burn(s2, SloWindow::M30) < burn(shipping, SloWindow::M30));
        assert_eq!(s2.slo.state, BurnState::Ok, "{:?}", s2.slo);
        let _ = Catalog::default();
    }
}
