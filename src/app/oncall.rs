//! "Who is on call for service S": the platform's rota for the service's owner team when
//! the platform has an answer, else the catalog's `opsdeck.io/oncall` annotation, saying
//! which source was used and how fresh the platform's answer is.
//!
//! The rule ([`who_is_on_call`]):
//!
//! 1. the platform feed's on-call answer for the team named by the service's `owner`: its
//!    `now`, as long as that shift still runs (`until` is after the clock); once it ended,
//!    the answer's `next` when that has started; the age is the time since the feed
//!    fetched it;
//! 2. otherwise (no platform, no rota for the team, nobody on call there, or a platform
//!    answer that ran out) the catalog's annotation;
//! 3. otherwise nobody is known.
//!
//! Pure: the clock is passed in. The catalog pane, the service card and the `:oncall` view
//! use it; the incident and attention views can too (`crate::app::oncall::who_is_on_call`).

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::model::Service;
use crate::model::oncall::{OnCallList, TeamOnCall, short_span};

/// The platform's on-call answer for every team, with when the feed fetched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformOnCall {
    pub list: OnCallList,
    pub fetched_at: Timestamp,
}

impl PlatformOnCall {
    /// The answer of one team.
    #[must_use]
    pub fn team(&self, team: &str) -> Option<&TeamOnCall> {
        self.list.team(team)
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCallSource {
    /// The platform's rota, fetched `age` ago.
    Platform { age: SignedDuration },
    /// The catalog's annotation (static, no age).
    Catalog,
}

/// Who is on call for a service, and how we know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallAnswer {
    pub who: String,
    pub source: OnCallSource,
    /// Until when, by the platform's rota (the catalog does not say).
    pub until: Option<Timestamp>,
}

impl OnCallAnswer {
    /// `platform 4s` or `catalog`: the source in words, never by colour alone.
    #[must_use]
    pub fn source_label(&self) -> String {
        match self.source {
            OnCallSource::Platform { age } => format!("platform {}", short_span(age)),
            OnCallSource::Catalog => "catalog".to_owned(),
        }
    }

    /// `alice · platform 4s` or `bob · catalog`.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{} · {}", self.who, self.source_label())
    }
}

/// Who answers `team`'s pager at `now` by the platform's answer, if it still holds.
#[must_use]
pub fn platform_answer(
    platform: &PlatformOnCall,
    team: &str,
    now: Timestamp,
) -> Option<OnCallAnswer> {
    let answer = platform.team(team)?;
    let age = now
        .duration_since(platform.fetched_at)
        .max(SignedDuration::ZERO);
    let source = OnCallSource::Platform { age };
    if let Some(current) = &answer.now
        && now < current.until
    {
        return Some(OnCallAnswer {
            who: current.who.clone(),
            source,
            until: Some(current.until),
        });
    }
    // The shift ended since the fetch: the next one answers once it started.
    let next = answer.next.as_ref()?;
    let ended = answer.now.as_ref().is_none_or(|c| c.until <= now);
    (ended && next.from <= now).then(|| OnCallAnswer {
        who: next.who.clone(),
        source,
        until: None,
    })
}

/// Who is on call for `service` at `now`: the platform's answer for its owner team, else
/// the catalog annotation (see the module doc).
#[must_use]
pub fn who_is_on_call(
    service: &Service,
    platform: Option<&PlatformOnCall>,
    now: Timestamp,
) -> Option<OnCallAnswer> {
    platform
        .and_then(|p| platform_answer(p, &service.owner, now))
        .or_else(|| {
            service.oncall.as_ref().map(|who| OnCallAnswer {
                who: who.clone(),
                source: OnCallSource::Catalog,
                until: None,
            })
        })
}

/// The platform's answer from a feed snapshot's parts (`None` when the platform could not
/// say: an older server without rotas, or an error).
#[must_use]
pub fn from_feed(
    oncall: &Result<OnCallList, String>,
    fetched_at: Timestamp,
) -> Option<Arc<PlatformOnCall>> {
    oncall.as_ref().ok().map(|list| {
        Arc::new(PlatformOnCall {
            list: list.clone(),
            fetched_at,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::oncall::{OnCallNext, OnCallNow, ShiftKind};

    fn t(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn service(owner: &str, oncall: Option<&str>) -> Service {
        let mut s = Service::from_annotations("ledger", owner, std::collections::BTreeMap::new());
        s.tier = crate::model::Tier::parse("1");
        s.oncall = oncall.map(str::to_owned);
        s
    }

    fn platform() -> PlatformOnCall {
        let fetched = t("2026-01-01T10:00:00Z");
        PlatformOnCall {
            list: OnCallList {
                items: vec![TeamOnCall {
                    team: "payments".into(),
                    now: Some(OnCallNow {
                        who: "alice".into(),
                        shift_id: "1".into(),
                        kind: ShiftKind::Rota,
                        until: t("2026-01-01T17:00:00Z"),
                    }),
                    next: Some(OnCallNext {
                        who: "bob".into(),
                        shift_id: "2".into(),
                        kind: ShiftKind::Rota,
                        from: t("2026-01-01T17:00:00Z"),
                    }),
                    as_of: fetched,
                }],
                as_of: fetched,
            },
            fetched_at: fetched,
        }
    }

    #[test]
    fn the_platform_wins_for_the_owner_team_and_says_how_fresh() {
        let p = platform();
        let answer = who_is_on_call(
            &service("payments", Some("carol")),
            Some(&p),
            t("2026-01-01T10:00:04Z"),
        )
        .expect("an answer");
        assert_eq!(answer.label(), "alice · platform 4s");
        assert_eq!(answer.until, Some(t("2026-01-01T17:00:00Z")));
        // After the handover the fetched answer's next answers.
        let later = who_is_on_call(
            &service("payments", None),
            Some(&p),
            t("2026-01-01T17:00:01Z"),
        )
        .expect("bob");
        assert_eq!(later.who, "bob");
    }

    #[test]
    fn the_catalog_answers_otherwise() {
        let p = platform();
        let other_team = who_is_on_call(
            &service("checkout", Some("carol")),
            Some(&p),
            t("2026-01-01T10:00:00Z"),
        )
        .expect("carol");
        assert_eq!(other_team.label(), "carol · catalog");
        let no_platform = who_is_on_call(
            &service("payments", Some("carol")),
            None,
            t("2026-01-01T10:00:00Z"),
        )
        .expect("carol");
        assert_eq!(no_platform.source, OnCallSource::Catalog);
        assert_eq!(
            who_is_on_call(
                &service("checkout", None),
                Some(&p),
                t("2026-01-01T10:00:00Z")
            ),
            None
        );
    }
}
