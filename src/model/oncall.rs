//! On-call rotas: wire types of `/v1/oncall*`, their validation, and the one rule that says
//! who is on call at a given instant. The server, the client and the console all use the
//! rule from here, so they cannot disagree about who answers the pager.
//!
//! # Who is on call
//!
//! A team's rota is a set of shifts, each `[from, to)` (from inclusive, to exclusive). At an
//! instant `t` the shifts covering `t` compete, and one wins:
//!
//! 1. an **override** beats a **rota** shift ("I take tonight" wins while it lasts);
//! 2. between shifts of the same kind, the one **declared latest** wins (greatest
//!    `created_at`, then greatest id, which is a UUIDv7 and so also grows with time).
//!
//! The winner's person is on call `now`, `until` the next instant at which another shift (or
//! nobody) starts answering. `next` is the first later instant at which a *different*
//! person answers, and who that is.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// The longest shift that may be declared.
pub const MAX_SHIFT: SignedDuration = SignedDuration::from_hours(90 * 24);
/// The longest note a shift carries.
pub const MAX_NOTE: usize = 200;
/// The widest window `GET /v1/oncall/{team}` lists.
pub const MAX_WINDOW: SignedDuration = SignedDuration::from_hours(366 * 24);

/// RFC 3339 timestamps on the wire (`2026-12-06T09:00:00Z`), jiff [`Timestamp`]s in code.
pub mod rfc3339 {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as RFC 3339 in UTC.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(t)
    }

    /// Parses RFC 3339 (any offset).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse()
            .map_err(|e| serde::de::Error::custom(format!("{raw:?} is not an RFC 3339 time: {e}")))
    }
}

/// Whether a shift is part of the rota or an override of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftKind {
    /// A planned shift of the rota.
    Rota,
    /// Someone takes over for a while ("I take tonight"); beats rota shifts while it lasts.
    Override,
}

impl ShiftKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rota => "rota",
            Self::Override => "override",
        }
    }

    /// The audit action of declaring a shift of this kind.
    #[must_use]
    pub fn action(self) -> &'static str {
        match self {
            Self::Rota => ACTION_DECLARE,
            Self::Override => ACTION_OVERRIDE,
        }
    }
}

/// Audit and policy action of declaring a rota shift.
pub const ACTION_DECLARE: &str = "oncall.shift.declare";
/// Audit and policy action of declaring an override.
pub const ACTION_OVERRIDE: &str = "oncall.shift.override";
/// Audit and policy action of removing a shift.
pub const ACTION_REMOVE: &str = "oncall.shift.remove";

/// The policy target ref of a team's rota: `oncall:<team>`.
#[must_use]
pub fn target_ref(team: &str) -> String {
    format!("oncall:{team}")
}

/// One shift as stored and returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub id: String,
    pub team: String,
    pub who: String,
    #[serde(with = "rfc3339")]
    pub from: Timestamp,
    #[serde(with = "rfc3339")]
    pub to: Timestamp,
    pub kind: ShiftKind,
    pub created_by: String,
    #[serde(with = "rfc3339")]
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Shift {
    /// Covers `t` (`from <= t < to`).
    #[must_use]
    pub fn covers(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }

    /// Overlaps `[from, to)`.
    #[must_use]
    pub fn overlaps(&self, from: Timestamp, to: Timestamp) -> bool {
        self.from < to && from < self.to
    }
}

/// `POST /v1/oncall/{team}/shifts` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftBody {
    pub who: String,
    #[serde(with = "rfc3339")]
    pub from: Timestamp,
    #[serde(with = "rfc3339")]
    pub to: Timestamp,
    #[serde(default = "rota")]
    pub kind: ShiftKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn rota() -> ShiftKind {
    ShiftKind::Rota
}

/// Who is on call now, on which shift, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCallNow {
    pub who: String,
    pub shift_id: String,
    pub kind: ShiftKind,
    /// When someone else (or nobody) starts answering.
    #[serde(with = "rfc3339")]
    pub until: Timestamp,
}

/// Who is on call next, from when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCallNext {
    pub who: String,
    pub shift_id: String,
    pub kind: ShiftKind,
    #[serde(with = "rfc3339")]
    pub from: Timestamp,
}

/// One team's answer: who is on call now and next, as of an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamOnCall {
    pub team: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<OnCallNow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<OnCallNext>,
    #[serde(with = "rfc3339")]
    pub as_of: Timestamp,
}

/// `GET /v1/oncall`: every team with a current or future shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCallList {
    pub items: Vec<TeamOnCall>,
    #[serde(with = "rfc3339")]
    pub as_of: Timestamp,
}

impl OnCallList {
    /// The answer for one team.
    #[must_use]
    pub fn team(&self, team: &str) -> Option<&TeamOnCall> {
        self.items.iter().find(|t| t.team == team)
    }
}

/// `GET /v1/oncall/{team}`: now, next, and the shifts overlapping `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRota {
    #[serde(flatten)]
    pub oncall: TeamOnCall,
    #[serde(with = "rfc3339")]
    pub from: Timestamp,
    #[serde(with = "rfc3339")]
    pub to: Timestamp,
    /// Ordered by start, then declaration.
    pub shifts: Vec<Shift>,
}

/// Query of `GET /v1/oncall` and `GET /v1/oncall/{team}` (RFC 3339 times).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotaQuery {
    /// Answer as of this instant instead of the server's now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Start of the listed window (default: `at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// End of the listed window (default: 14 days after `from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// Default width of a listed window.
pub const DEFAULT_WINDOW: SignedDuration = SignedDuration::from_hours(14 * 24);

/// The shift that answers at `t`, by the rule in the module doc.
#[must_use]
pub fn winner(shifts: &[Shift], t: Timestamp) -> Option<&Shift> {
    shifts
        .iter()
        .filter(|s| s.covers(t))
        .max_by(|a, b| precedence(a).cmp(&precedence(b)))
}

fn precedence(s: &Shift) -> (ShiftKind, Timestamp, &str) {
    (s.kind, s.created_at, s.id.as_str())
}

/// Who is on call in `team` at `at`, and next, from the team's shifts (any order; shifts
/// of other teams are ignored).
#[must_use]
pub fn resolve(team: &str, shifts: &[Shift], at: Timestamp) -> TeamOnCall {
    let mine: Vec<Shift> = shifts.iter().filter(|s| s.team == team).cloned().collect();
    // The answer can only change where a shift starts or ends.
    let mut edges: Vec<Timestamp> = mine
        .iter()
        .flat_map(|s| [s.from, s.to])
        .filter(|e| *e > at)
        .collect();
    edges.sort();
    edges.dedup();
    let current = winner(&mine, at);
    let now = current.map(|s| {
        let until = edges
            .iter()
            .copied()
            .find(|e| winner(&mine, *e).map(|w| &w.id) != Some(&s.id))
            .unwrap_or(s.to);
        OnCallNow {
            who: s.who.clone(),
            shift_id: s.id.clone(),
            kind: s.kind,
            until,
        }
    });
    let next = edges.iter().find_map(|e| {
        let w = winner(&mine, *e)?;
        (current.map(|c| &c.who) != Some(&w.who)).then(|| OnCallNext {
            who: w.who.clone(),
            shift_id: w.id.clone(),
            kind: w.kind,
            from: *e,
        })
    });
    TeamOnCall {
        team: team.to_owned(),
        now,
        next,
        as_of: at,
    }
}

/// Every team of `shifts`, resolved at `at`, ordered by team name.
#[must_use]
pub fn resolve_all(shifts: &[Shift], at: Timestamp) -> Vec<TeamOnCall> {
    let mut teams: Vec<&str> = shifts.iter().map(|s| s.team.as_str()).collect();
    teams.sort_unstable();
    teams.dedup();
    teams.into_iter().map(|t| resolve(t, shifts, at)).collect()
}

/// A team or person name: 1 to 63 ASCII letters, digits, `-`, `_` and `.`, beginning and
/// ending with a letter or digit (the Backstage entity-name rule, as for services).
pub fn name(what: &str, raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(format!("{what} is required"));
    }
    crate::model::validate::service_name(trimmed).map_err(|_| {
        let shown: String = crate::model::clean(trimmed).chars().take(40).collect();
        format!(
            "{what} {shown:?} is not a valid name: 1 to 63 letters, digits, - _ or ., starting and ending with a letter or digit"
        )
    })
}

/// Checks a shift to declare; the messages say what to fix.
pub fn validate(body: &ShiftBody) -> Result<(), String> {
    name("who", &body.who)?;
    if body.who.trim() != body.who {
        return Err("who must not have surrounding spaces".into());
    }
    if body.from >= body.to {
        return Err(format!(
            "a shift must end after it starts (from {} is not before to {})",
            body.from, body.to
        ));
    }
    let length = body.to.duration_since(body.from);
    if length > MAX_SHIFT {
        return Err(format!(
            "a shift lasts at most 90 days ({}h given); declare several",
            length.as_hours()
        ));
    }
    if let Some(note) = &body.note {
        if note.chars().count() > MAX_NOTE {
            return Err(format!("the note is at most {MAX_NOTE} characters"));
        }
        if note.chars().any(char::is_control) {
            return Err(
                "the note must be plain text (no control characters or escape sequences)".into(),
            );
        }
    }
    Ok(())
}

/// `Xd Yh`, `Yh Zm`, `Zm`, `Ns`: a short age or span for the console.
#[must_use]
pub fn short_span(span: SignedDuration) -> String {
    let secs = span.as_secs().max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => {
            let m = (secs % 3_600) / 60;
            if m == 0 {
                format!("{}h", secs / 3_600)
            } else {
                format!("{}h{m:02}m", secs / 3_600)
            }
        }
        _ => {
            let h = (secs % 86_400) / 3_600;
            if h == 0 {
                format!("{}d", secs / 86_400)
            } else {
                format!("{}d{h}h", secs / 86_400)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("a time")
    }

    fn shift(id: &str, who: &str, from: &str, to: &str, kind: ShiftKind, created: &str) -> Shift {
        Shift {
            id: id.into(),
            team: "payments".into(),
            who: who.into(),
            from: t(from),
            to: t(to),
            kind,
            created_by: "lee".into(),
            created_at: t(created),
            note: None,
        }
    }

    fn rota() -> Vec<Shift> {
        vec![
            shift(
                "1",
                "alice",
                "2026-01-01T09:00:00Z",
                "2026-01-01T17:00:00Z",
                ShiftKind::Rota,
                "2025-12-01T00:00:00Z",
            ),
            shift(
                "2",
                "bob",
                "2026-01-01T17:00:00Z",
                "2026-01-02T09:00:00Z",
                ShiftKind::Rota,
                "2025-12-01T00:00:00Z",
            ),
        ]
    }

    #[test]
    fn now_and_next_at_the_boundaries() {
        let shifts = rota();
        let before = resolve("payments", &shifts, t("2026-01-01T08:59:59Z"));
        assert_eq!(before.now, None);
        let next = before.next.expect("alice is next");
        assert_eq!(
            (next.who.as_str(), next.from),
            ("alice", t("2026-01-01T09:00:00Z"))
        );

        let start = resolve("payments", &shifts, t("2026-01-01T09:00:00Z"));
        let now = start.now.expect("alice is on call at her start");
        assert_eq!(
            (now.who.as_str(), now.until),
            ("alice", t("2026-01-01T17:00:00Z"))
        );
        assert_eq!(start.next.expect("bob next").who, "bob");

        // `to` is exclusive: at 17:00 bob answers.
        let handover = resolve("payments", &shifts, t("2026-01-01T17:00:00Z"));
        assert_eq!(handover.now.expect("bob").who, "bob");
        assert_eq!(handover.next, None);

        let after = resolve("payments", &shifts, t("2026-01-02T09:00:00Z"));
        assert_eq!((after.now, after.next), (None, None));
    }

    #[test]
    fn overrides_win_and_the_latest_declared_wins_among_equals() {
        let mut shifts = rota();
        shifts.push(shift(
            "3",
            "carol",
            "2026-01-01T12:00:00Z",
            "2026-01-01T13:00:00Z",
            ShiftKind::Override,
            "2025-11-01T00:00:00Z",
        ));
        let morning = resolve("payments", &shifts, t("2026-01-01T10:00:00Z"));
        let now = morning.now.expect("alice");
        // Alice answers until carol's override starts, and carol is next.
        assert_eq!(
            (now.who.as_str(), now.until),
            ("alice", t("2026-01-01T12:00:00Z"))
        );
        let next = morning.next.expect("carol");
        assert_eq!(
            (next.who.as_str(), next.kind),
            ("carol", ShiftKind::Override)
        );

        let lunch = resolve("payments", &shifts, t("2026-01-01T12:30:00Z"));
        assert_eq!(lunch.now.as_ref().expect("carol").who, "carol");
        assert_eq!(
            lunch.next.expect("alice again").from,
            t("2026-01-01T13:00:00Z")
        );

        // A later override over the same hour beats carol's.
        shifts.push(shift(
            "4",
            "dan",
            "2026-01-01T12:00:00Z",
            "2026-01-01T12:45:00Z",
            ShiftKind::Override,
            "2025-11-02T00:00:00Z",
        ));
        let lunch = resolve("payments", &shifts, t("2026-01-01T12:30:00Z"));
        let now = lunch.now.expect("dan");
        assert_eq!(
            (now.who.as_str(), now.until),
            ("dan", t("2026-01-01T12:45:00Z"))
        );
        assert_eq!(lunch.next.expect("carol").who, "carol");
    }

    #[test]
    fn same_person_across_shifts_is_not_next() {
        let mut shifts = rota();
        shifts[1].who = "alice".into();
        let morning = resolve("payments", &shifts, t("2026-01-01T10:00:00Z"));
        assert_eq!(morning.next, None);
    }

    #[test]
    fn bodies_are_checked() {
        let ok = ShiftBody {
            who: "amara.okafor".into(),
            from: t("2026-01-01T09:00:00Z"),
            to: t("2026-01-01T17:00:00Z"),
            kind: ShiftKind::Rota,
            note: Some("swap with jonas".into()),
        };
        assert_eq!(validate(&ok), Ok(()));
        let backwards = ShiftBody {
            to: ok.from,
            ..ok.clone()
        };
        assert!(
            validate(&backwards)
                .expect_err("bad")
                .contains("end after it starts")
        );
        let long = ShiftBody {
            to: t("2026-06-01T00:00:00Z"),
            ..ok.clone()
        };
        assert!(validate(&long).expect_err("bad").contains("90 days"));
        let hostile = ShiftBody {
            who: "x\u{1b}[2J".into(),
            ..ok.clone()
        };
        assert!(
            validate(&hostile)
                .expect_err("bad")
                .contains("not a valid name")
        );
        let note = ShiftBody {
            note: Some("hi\u{1b}[31m".into()),
            ..ok
        };
        assert!(validate(&note).expect_err("bad").contains("plain text"));
        assert!(name("team", "").expect_err("bad").contains("required"));
    }

    #[test]
    fn wire_times_are_rfc3339() {
        let s = &rota()[0];
        let json = serde_json::to_value(s).expect("serializes");
        assert_eq!(json["from"], "2026-01-01T09:00:00Z");
        assert_eq!(json["kind"], "rota");
        let back: Shift = serde_json::from_value(json).expect("parses");
        assert_eq!(&back, s);
        let body: Result<ShiftBody, _> =
            serde_json::from_str(r#"{"who":"a","from":"yesterday","to":"2026-01-01T00:00:00Z"}"#);
        assert!(body.expect_err("bad time").to_string().contains("RFC 3339"));
    }

    #[test]
    fn spans_are_short() {
        assert_eq!(short_span(SignedDuration::from_secs(4)), "4s");
        assert_eq!(short_span(SignedDuration::from_mins(90)), "1h30m");
        assert_eq!(short_span(SignedDuration::from_hours(50)), "2d2h");
    }
}
