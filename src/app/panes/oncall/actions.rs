//! The on-call pane's own keys: declare a shift (a form) and take over the selected team's
//! pager until its current shift ends (an override). Both go to the platform API, which
//! decides (membership, policy) and audits; its answer comes back as a toast.

use crate::app::ctx::Ctx;
use crate::app::msg::{Cmd, PlatformCall};
use crate::app::panes::oncall::{OncallPane, shift_form};
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::oncall::{ShiftBody, ShiftKind, short_span};

/// The pane's own keys (besides the global and `[table]` ones).
pub const ACTIONS: &[Action] = &[Action::DeclareShift, Action::TakeOncall];

/// The on-call pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(pane: &mut OncallPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::DeclareShift => Some(declare(pane, ctx)),
        Action::TakeOncall => Some(take(pane, ctx)),
        _ => None,
    }
}

/// Says why nothing can be written now, and returns true, when that is so.
fn cannot_write(pane: &OncallPane, ctx: &mut Ctx<'_>) -> bool {
    if ctx.readonly {
        ctx.toast(
            ToastLevel::Warn,
            "read-only: on-call shifts cannot be changed",
        );
        return true;
    }
    if !ctx.context.platform {
        ctx.toast(
            ToastLevel::Error,
            "no platform API in this context: on-call rotas live there",
        );
        return true;
    }
    if pane.snapshot.is_none() {
        ctx.toast(ToastLevel::Info, "the platform has not answered yet");
        return true;
    }
    false
}

/// `n`: the form, for the selected team (or my first), me on call from the next hour.
fn declare(pane: &OncallPane, ctx: &mut Ctx<'_>) -> Vec<Cmd> {
    if cannot_write(pane, ctx) {
        return Vec::new();
    }
    let team = pane
        .selected()
        .map(|r| r.team.clone())
        .or_else(|| pane.my_teams().first().map(|t| (*t).to_owned()));
    let me = pane.me().unwrap_or(ctx.user).to_owned();
    let form = shift_form(&pane.teams(), team.as_deref(), &me, ctx.now);
    ctx.open_prepared_form(form);
    Vec::new()
}

/// `t`: I take the selected team's pager from now until its current shift ends.
fn take(pane: &OncallPane, ctx: &mut Ctx<'_>) -> Vec<Cmd> {
    if cannot_write(pane, ctx) {
        return Vec::new();
    }
    let Some(row) = pane.selected() else {
        ctx.toast(ToastLevel::Info, "select a team to take on call for");
        return Vec::new();
    };
    let me = pane.me().unwrap_or(ctx.user).to_owned();
    let Some(current) = row.now.as_ref().filter(|n| n.until > ctx.now) else {
        ctx.toast(
            ToastLevel::Info,
            format!(
                "nobody is on call for {} now, so there is no shift to take: declare one instead",
                row.team
            ),
        );
        return Vec::new();
    };
    if current.who == me {
        ctx.toast(
            ToastLevel::Info,
            format!("you are on call for {} already", row.team),
        );
        return Vec::new();
    }
    let body = ShiftBody {
        who: me,
        from: ctx.now,
        to: current.until,
        kind: ShiftKind::Override,
        note: Some(format!("taken over from {}", current.who)),
    };
    ctx.toast(
        ToastLevel::Info,
        format!(
            "taking on call for {} from {} for {}…",
            row.team,
            current.who,
            short_span(current.until.duration_since(ctx.now))
        ),
    );
    vec![Cmd::Platform(PlatformCall::DeclareShift {
        team: row.team.clone(),
        body,
    })]
}
