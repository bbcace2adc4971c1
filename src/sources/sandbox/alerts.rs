//! The sandbox's Alertmanager: each active incident fires the alert a real rule set would
//! (an error-ratio page, lock waits, a stuck rollout, growing lag), plus the always-firing
//! `Watchdog` real setups keep. Silences are kept in the world and mute alerts the way
//! Alertmanager does (every matcher matches); fixing an incident's cause ends its incident,
//! so its alert resolves.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use super::{IncidentKind, World};
use crate::model::action::ActionRequest;
use crate::model::alerts::{Alert, AlertState, AlertsSnapshot, Silence, SilenceState};
use crate::model::silence::catches;

/// A silence created in the sandbox, with its times as instants.
#[derive(Debug, Clone)]
pub struct SandboxSilence {
    pub silence: Silence,
    pub starts: Timestamp,
    pub ends: Timestamp,
}

/// `summary`, `description`, and the rule's name and severity, per incident kind.
fn rule(kind: &IncidentKind) -> (&'static str, &'static str, String, String) {
    match kind {
        IncidentKind::ErrorBurst { service } => (
            "HighErrorRate",
            "critical",
            format!("{service}: more than 5% of requests fail"),
            format!(
                "{service} answers 5xx to a growing share of requests; its error budget \
                 burns faster than 14.4x (1h and 5m windows)."
            ),
        ),
        IncidentKind::DbBlocking { service, database } => (
            "PostgresLockWaits",
            "error",
            format!("{database}: sessions wait on a lock for over 1m"),
            format!(
                "Sessions of {service} on {database} wait on a lock held by an idle \
                 transaction."
            ),
        ),
        IncidentKind::StuckRollout { service } => (
            "RolloutStuck",
            "warning",
            format!("{service}: the new version's pods do not become ready"),
            "The rollout has made no progress for 10m (ImagePullBackOff).".to_owned(),
        ),
        IncidentKind::ConsumerLag { service, group } => (
            "KafkaConsumerLagGrowing",
            "warning",
            format!("{group}: lag has grown for 15m"),
            format!("{service} consumes slower than its topics are produced."),
        ),
    }
}

/// A stable fingerprint of a label set (Alertmanager hashes the labels the same way:
/// equal labels, equal fingerprint).
fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    // FNV-1a over `name\xffvalue\xff`: small and deterministic across runs.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xff]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn at(world: &World, after: Duration) -> Timestamp {
    world.started + jiff::SignedDuration::try_from(after).unwrap_or_default()
}

impl World {
    /// The alerts and silences the simulated Alertmanager holds now.
    #[must_use]
    pub fn alerts_snapshot(&self) -> AlertsSnapshot {
        let now = self.now();
        let team = |service: &str| {
            super::fleet::SERVICES
                .iter()
                .find(|t| t.0 == service)
                .map_or("platform", |t| t.1)
        };
        let mut alerts: Vec<Alert> = self
            .active_incidents()
            .map(|incident| {
                let service = incident.kind.service();
                let (name, severity, summary, description) = rule(&incident.kind);
                let labels: BTreeMap<String, String> = [
                    ("alertname", name),
                    ("service", service),
                    ("severity", severity),
                    ("team", team(service)),
                    ("namespace", team(service)),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
                let annotations = [
                    ("summary", summary),
                    ("description", description),
                    (
                        "runbook_url",
                        format!("https://runbooks.example.com/{}", name.to_lowercase()),
                    ),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
                (labels, annotations, at(self, incident.starts_after))
            })
            .chain(std::iter::once((
                [
                    ("alertname", "Watchdog"),
                    ("severity", "none"),
                    ("prometheus", "monitoring/k8s"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
                [(
                    "summary".to_owned(),
                    "An alert that always fires: the alerting pipeline works.".to_owned(),
                )]
                .into_iter()
                .collect(),
                self.started,
            )))
            .map(|(labels, annotations, starts)| {
                let silenced_by: Vec<String> = self
                    .alert_silences
                    .iter()
                    .filter(|s| s.starts <= now && now < s.ends)
                    .filter(|s| catches(&s.silence.matchers, &labels))
                    .map(|s| s.silence.id.clone())
                    .collect();
                Alert {
                    fingerprint: fingerprint(&labels),
                    labels,
                    annotations,
                    starts_at: starts.to_string(),
                    ends_at: (now + jiff::SignedDuration::from_mins(4)).to_string(),
                    generator_url: Some("http://prometheus.sandbox:9090/graph".into()),
                    receivers: vec!["oncall-pager".into()],
                    state: if silenced_by.is_empty() {
                        AlertState::Active
                    } else {
                        AlertState::Suppressed
                    },
                    silenced_by,
                    inhibited_by: Vec::new(),
                }
            })
            .collect();
        crate::model::alerts::sort_for_triage(&mut alerts);
        let silences = self
            .alert_silences
            .iter()
            .map(|s| Silence {
                state: if now < s.starts {
                    SilenceState::Pending
                } else if now < s.ends {
                    SilenceState::Active
                } else {
                    SilenceState::Expired
                },
                ..s.silence.clone()
            })
            .collect();
        AlertsSnapshot {
            taken_at: Some(now),
            alerts,
            silences,
            notes: Vec::new(),
        }
    }

    /// Creates or expires a silence, as Alertmanager would, by `user`.
    ///
    /// # Errors
    /// Alertmanager's refusal: an unknown or already expired silence.
    pub fn silence_action(
        &mut self,
        request: &ActionRequest,
        user: &str,
    ) -> Result<String, String> {
        let now = self.now();
        match request {
            ActionRequest::CreateSilence {
                matchers,
                duration_secs,
                comment,
                ..
            } => {
                let ends = now
                    + jiff::SignedDuration::from_secs(i64::try_from(*duration_secs).unwrap_or(0));
                let id = format!(
                    "{:08x}-sand-box0-0000-{:012x}",
                    self.seed & 0xffff_ffff,
                    self.alert_silences.len() + 1
                );
                self.alert_silences.push(SandboxSilence {
                    silence: Silence {
                        id: id.clone(),
                        matchers: matchers.clone(),
                        starts_at: now.to_string(),
                        ends_at: ends.to_string(),
                        created_by: user.to_owned(),
                        comment: comment.clone(),
                        state: SilenceState::Active,
                    },
                    starts: now,
                    ends,
                });
                Ok(format!("silence {id} until {ends}"))
            }
            ActionRequest::ExpireSilence { id, .. } => {
                let silence = self
                    .alert_silences
                    .iter_mut()
                    .find(|s| &s.silence.id == id)
                    .ok_or_else(|| format!("silence {id} not found"))?;
                if silence.ends <= now {
                    return Err(format!("silence {id} already expired"));
                }
                silence.ends = now;
                silence.silence.ends_at = now.to_string();
                Ok(format!("silence {id} expired"))
            }
            other => Err(format!(
                "the sandbox Alertmanager cannot run {}",
                other.action_name()
            )),
        }
    }

    /// A fix that removes an incident's cause ends it: an abort or undo of the stuck
    /// rollout, a rollback (or undo, or restart) of the service whose errors burst.
    pub fn fixed_by(&mut self, request: &ActionRequest) {
        use crate::model::action::RolloutOp;
        let ended = self.elapsed;
        let (name, fixes_rollout, fixes_burst) = match request {
            ActionRequest::RolloutAction { name, op, .. } => (
                name.as_str(),
                matches!(op, RolloutOp::Abort | RolloutOp::Undo { .. }),
                matches!(
                    op,
                    RolloutOp::Undo { .. } | RolloutOp::Restart | RolloutOp::Abort
                ),
            ),
            ActionRequest::RollbackApp { app, .. } => (app.as_str(), true, true),
            _ => return,
        };
        for incident in &mut self.incidents {
            let hit = match &incident.kind {
                IncidentKind::StuckRollout { service } => fixes_rollout && service == name,
                IncidentKind::ErrorBurst { service } => fixes_burst && service == name,
                _ => false,
            };
            if hit && incident.ends_after.is_none() {
                incident.ends_after = Some(ended);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alerts::Matcher;

    fn world() -> World {
        World::new(7, Timestamp::from_second(1_700_000_000).unwrap())
    }

    #[test]
    fn each_incident_fires_one_alert_and_fixing_it_resolves_it() {
        let mut w = world();
        let snapshot = w.alerts_snapshot();
        // Four incidents and the watchdog.
        assert_eq!(snapshot.alerts.len(), 5);
        assert_eq!(
            snapshot.alerts[0].severity(),
            crate::model::alerts::Severity::Critical
        );
        assert!(
            snapshot
                .alerts
                .iter()
                .any(|a| a.name() == "RolloutStuck"
                    && a.service(&["service"]) == Some("shipping-api"))
        );
        w.fixed_by(&ActionRequest::RolloutAction {
            namespace: "logistics".into(),
            name: "shipping-api".into(),
            kind: crate::model::action::WorkloadKind::Rollout,
            op: crate::model::action::RolloutOp::Abort,
        });
        let after = w.alerts_snapshot();
        assert!(!after.alerts.iter().any(|a| a.name() == "RolloutStuck"));
    }

    #[test]
    fn a_silence_mutes_what_it_catches_until_expired() {
        let mut w = world();
        let matchers = vec![Matcher {
            name: "alertname".into(),
            value: "RolloutStuck".into(),
            is_regex: false,
            is_equal: true,
        }];
        let message = w
            .silence_action(
                &ActionRequest::CreateSilence {
                    service: "shipping-api".into(),
                    matchers,
                    duration_secs: 3600,
                    comment: "known".into(),
                },
                "dev",
            )
            .unwrap();
        assert!(message.starts_with("silence "));
        let snapshot = w.alerts_snapshot();
        let stuck = snapshot
            .alerts
            .iter()
            .find(|a| a.name() == "RolloutStuck")
            .unwrap();
        assert_eq!(AlertState::label(stuck).1, "silenced");
        assert_eq!(snapshot.silences[0].state, SilenceState::Active);
        let id = snapshot.silences[0].id.clone();
        w.advance(Duration::from_secs(1));
        w.silence_action(
            &ActionRequest::ExpireSilence {
                id: id.clone(),
                service: "shipping-api".into(),
            },
            "dev",
        )
        .unwrap();
        let snapshot = w.alerts_snapshot();
        let stuck = snapshot
            .alerts
            .iter()
            .find(|a| a.name() == "RolloutStuck")
            .unwrap();
        assert!(stuck.is_firing());
        assert!(
            w.silence_action(
                &ActionRequest::ExpireSilence {
                    id,
                    service: String::new()
                },
                "dev"
            )
            .is_err()
        );
    }
}
