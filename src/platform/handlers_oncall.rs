//! Handlers of `/v1/oncall*`: who is on call (every team, or one team with its shifts in
//! a window) and the rota's self-service writes (declare a shift, take an override, remove
//! a shift).
//!
//! Reading is open to every authenticated caller. Writing a team's rota takes two things:
//!
//! 1. **membership**: the caller's groups (from the tokens file) contain the team's name, or
//!    the caller is an approver (policy `approvers`);
//! 2. **policy**: a rule grants `oncall.shift.declare`, `oncall.shift.override` or
//!    `oncall.shift.remove` on `oncall:<team>` to one of the caller's groups. A rule with
//!    `approval = true` refuses: on-call changes take effect at once and cannot wait.
//!
//! Every refusal is recorded in the audit chain (`forbidden`) before the 403, and every
//! write appends its `oncall` event in the same transaction as the change.
//!
//! A team is *known* when some identity of the tokens file has it as a group, or when it
//! has (or had) a shift; other names answer 404, so a typo is not a new empty rota.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;

use crate::model::oncall::{
    self, DEFAULT_WINDOW, MAX_WINDOW, OnCallList, RotaQuery, Shift, ShiftBody, TeamRota,
};
use crate::model::platform::{Decision, Target};
use crate::platform::handlers_requests::forbidden;
use crate::platform::server::{ApiError, AppState, Caller};
use crate::platform::store::{ShiftFilter, StoreError};

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

fn time(name: &str, raw: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Timestamp>().map_err(|_| {
                let shown: String = crate::model::clean(s).chars().take(40).collect();
                bad(format!(
                    "{name}: {shown:?} is not an RFC 3339 time (e.g. 2026-12-06T09:00:00Z)"
                ))
            })
        })
        .transpose()
}

fn team_name(raw: &str) -> Result<String, ApiError> {
    oncall::name("team", raw).map_err(bad)
}

fn target(team: &str) -> Target {
    Target {
        kind: "oncall".into(),
        reference: oncall::target_ref(team),
        namespace: None,
        name: team.to_owned(),
    }
}

/// Known: a group of some identity, or a team with shifts.
async fn known(state: &AppState, team: &str) -> Result<(), ApiError> {
    let grouped = state
        .tokens
        .identities()
        .any(|i| i.groups.iter().any(|g| g == team));
    if grouped || state.store.team_has_shifts(team).await? {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("unknown team {team:?}: no identity belongs to it and it has no rota"),
        ))
    }
}

/// Membership, then policy; `Ok` carries why the write is allowed (recorded with it).
async fn authorize(
    state: &AppState,
    caller: &Caller,
    team: &str,
    action: &str,
) -> Result<String, ApiError> {
    let groups = &caller.0.groups;
    let member = groups.iter().any(|g| g == team);
    let approver = state.policy.is_approver(groups);
    if !member && !approver {
        let reason = format!(
            "only members of {team} (or approvers) may change its on-call rota; your groups: [{}]",
            groups.join(", ")
        );
        return Err(forbidden(state, caller, action, target(team), reason).await);
    }
    let verdict = state
        .policy
        .decide(action, &oncall::target_ref(team), groups);
    match verdict.decision {
        Decision::Allow => {
            let role = if member { "member" } else { "approver" };
            Ok(format!("{role} of {team}; {}", verdict.reason))
        }
        Decision::Deny => Err(forbidden(state, caller, action, target(team), verdict.reason).await),
        Decision::NeedsApproval => {
            let reason = format!(
                "{}, but on-call changes take effect at once and cannot wait for approval",
                verdict.reason
            );
            Err(forbidden(state, caller, action, target(team), reason).await)
        }
    }
}

/// `GET /v1/oncall`: every team with a current or future shift, now and next.
pub(crate) async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(q): Query<RotaQuery>,
) -> Result<Json<OnCallList>, ApiError> {
    let at = time("at", q.at.as_deref())?.unwrap_or_else(Timestamp::now);
    let shifts = state
        .store
        .list_shifts(ShiftFilter {
            team: None,
            from_us: Some(at.as_microsecond()),
            to_us: None,
        })
        .await?;
    Ok(Json(OnCallList {
        items: oncall::resolve_all(&shifts, at),
        as_of: at,
    }))
}

/// `GET /v1/oncall/{team}`: now, next, and the shifts overlapping `[from, to)`.
pub(crate) async fn team(
    State(state): State<AppState>,
    _caller: Caller,
    Path(team): Path<String>,
    Query(q): Query<RotaQuery>,
) -> Result<Json<TeamRota>, ApiError> {
    let team = team_name(&team)?;
    let at = time("at", q.at.as_deref())?.unwrap_or_else(Timestamp::now);
    let from = time("from", q.from.as_deref())?.unwrap_or(at);
    let to = match time("to", q.to.as_deref())? {
        Some(to) => to,
        None => from
            .checked_add(DEFAULT_WINDOW)
            .map_err(|e| bad(format!("from: {e}")))?,
    };
    if from >= to {
        return Err(bad("from must be before to"));
    }
    if to.duration_since(from) > MAX_WINDOW {
        return Err(bad("the window spans at most 366 days"));
    }
    known(&state, &team).await?;
    let shifts = state
        .store
        .list_shifts(ShiftFilter {
            team: Some(team.clone()),
            from_us: Some(from.min(at).as_microsecond()),
            to_us: None,
        })
        .await?;
    let answer = oncall::resolve(&team, &shifts, at);
    let listed = shifts
        .into_iter()
        .filter(|s| s.overlaps(from, to))
        .collect();
    Ok(Json(TeamRota {
        oncall: answer,
        from,
        to,
        shifts: listed,
    }))
}

/// `POST /v1/oncall/{team}/shifts`: declare a rota shift or an override.
pub(crate) async fn declare(
    State(state): State<AppState>,
    caller: Caller,
    Path(team): Path<String>,
    body: Result<Json<ShiftBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Shift>), ApiError> {
    let team = team_name(&team)?;
    let Json(body) = body.map_err(|e| bad(e.body_text()))?;
    oncall::validate(&body).map_err(bad)?;
    let now = Timestamp::now();
    if body.to <= now {
        return Err(bad(format!(
            "this shift is over already (to {} is in the past)",
            body.to
        )));
    }
    known(&state, &team).await?;
    let reason = authorize(&state, &caller, &team, body.kind.action()).await?;
    let note = body
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let shift = Shift {
        id: uuid::Uuid::now_v7().to_string(),
        team,
        who: body.who,
        from: body.from,
        to: body.to,
        kind: body.kind,
        created_by: caller.0.user.clone(),
        created_at: now,
        note,
    };
    let shift = state
        .store
        .declare_shift(caller.actor(), shift, reason)
        .await?;
    tracing::info!(shift = %shift.id, team = %shift.team, who = %shift.who, kind = shift.kind.as_str(), by = %caller.0.user, "on-call shift declared");
    Ok((StatusCode::CREATED, Json(shift)))
}

/// `DELETE /v1/oncall/{team}/shifts/{id}`: remove a shift; answers the removed shift.
pub(crate) async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((team, id)): Path<(String, String)>,
) -> Result<Json<Shift>, ApiError> {
    let team = team_name(&team)?;
    known(&state, &team).await?;
    let reason = authorize(&state, &caller, &team, oncall::ACTION_REMOVE).await?;
    let shift = state
        .store
        .remove_shift(caller.actor(), team, id, reason)
        .await?;
    tracing::info!(shift = %shift.id, team = %shift.team, by = %caller.0.user, "on-call shift removed");
    Ok(Json(shift))
}

/// Stores `seed`'s shifts of every team that has no current or future shift (the sandbox's
/// rota; a restart keeps a rota that still runs). Fixture data, not anyone's action: no
/// audit event, so the sandbox's trail starts with what the user does.
pub(crate) async fn seed(state: &AppState, seed: Vec<Shift>) -> Result<(), StoreError> {
    let now = Timestamp::now();
    let mut teams: Vec<String> = seed.iter().map(|s| s.team.clone()).collect();
    teams.sort();
    teams.dedup();
    for team in teams {
        let running = state
            .store
            .list_shifts(ShiftFilter {
                team: Some(team.clone()),
                from_us: Some(now.as_microsecond()),
                to_us: None,
            })
            .await?;
        if !running.is_empty() {
            continue;
        }
        let shifts = seed.iter().filter(|s| s.team == team).cloned().collect();
        state.store.seed_shifts(shifts).await?;
    }
    Ok(())
}
