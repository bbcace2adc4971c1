//! The requests pane's own keys: the approval queue, approving and rejecting (each through
//! a dialog that shows what is decided; a rejection's reason is asked there).

use crate::app::ctx::Ctx;
use crate::app::modal::confirm::Confirm;
use crate::app::modal::decide::Decide;
use crate::app::msg::Cmd;
use crate::app::panes::Pane;
use crate::app::panes::requests::RequestsPane;
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::platform::RequestState;

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[
    crate::keymap::Action::NewTopicRequest,
    crate::keymap::Action::NewReplicaRequest,
    crate::keymap::Action::Approve,
    crate::keymap::Action::Reject,
    crate::keymap::Action::ToggleQueue,
    crate::keymap::Action::RunApproved,
];

/// The requests pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(
    requests: &mut RequestsPane,
    ctx: &mut Ctx<'_>,
    action: Action,
) -> Option<Vec<Cmd>> {
    match action {
        Action::ToggleQueue => {
            if requests.is_approver() {
                requests.queue = !requests.queue;
                // Another list: the cursor starts on its newest request (the one just made).
                requests.table.forget_selection();
                requests.refresh_view();
                let newest = (0..requests.rows.len()).max_by_key(|&i| &requests.rows[i].created);
                if let Some(row) = newest {
                    requests.table.select_row(row);
                }
            } else if requests.snapshot.is_none() {
                // Not "you are no approver" before the platform has said who you are.
                ctx.toast(
                    ToastLevel::Info,
                    "the platform has not answered yet: who may see the approval queue is not known",
                );
            } else {
                ctx.toast(ToastLevel::Info, "the approval queue is for approvers");
            }
            Some(Vec::new())
        }
        Action::RunApproved => {
            run_approved(requests, ctx);
            Some(Vec::new())
        }
        Action::Approve => Some(decide(requests, ctx, true)),
        Action::Reject => Some(decide(requests, ctx, false)),
        _ => None,
    }
}

/// `a`/`x`: open the dialog that shows what is approved or rejected; nothing is sent before
/// its enter (a rejection also asks the reason there).
fn decide(requests: &RequestsPane, ctx: &mut Ctx<'_>, approve: bool) -> Vec<Cmd> {
    if requests.snapshot.is_none() {
        ctx.toast(
            ToastLevel::Info,
            "the platform has not answered yet: no request can be decided",
        );
        return Vec::new();
    }
    if !requests.is_approver() {
        ctx.toast(
            ToastLevel::Warn,
            "only approvers can approve or reject requests",
        );
        return Vec::new();
    }
    let Some(request) = requests.selected() else {
        return Vec::new();
    };
    if request.state != RequestState::Submitted {
        let state_word = request.state.as_str();
        ctx.toast(
            ToastLevel::Warn,
            format!("request is {state_word}: only submitted requests can be decided"),
        );
        return Vec::new();
    }
    ctx.decide(Decide::new(request.clone(), approve));
    Vec::new()
}

/// `R` on an approved action this console asked for: the action's own confirmation (a
/// typed name where it needs one), saying whose approval it uses; enter sends it through
/// the audit gate, whose intent uses the approval. Anything else says what happens to it
/// instead.
fn run_approved(requests: &RequestsPane, ctx: &mut Ctx<'_>) {
    use crate::model::approvals::next_step;
    let Some(request) = requests.selected() else {
        ctx.toast(ToastLevel::Info, "select an approved request first");
        return;
    };
    let Some(held) = crate::app::held::runnable(ctx.held_actions, request, &ctx.context.name)
    else {
        // Not runnable here, so never `RunHere`: the step says what happens instead.
        let words = next_step(request, ctx.held_actions, &ctx.context.name).words("R");
        ctx.toast(
            ToastLevel::Info,
            format!(
                "request {} is {}: {words}",
                request.id,
                request.state.as_str()
            ),
        );
        return;
    };
    let action = held.request.clone();
    let by = request.decided_by.as_deref().unwrap_or("an approver");
    let approval = format!("by {by} in request {}", request.id);
    let details = vec![
        ("Action".to_owned(), action.action_name()),
        ("Target".to_owned(), action.target().reference),
        ("Asked".to_owned(), held.asked_at.clone()),
        ("Request".to_owned(), request.id.clone()),
    ];
    let title = format!("Run the approved {}", action.action_name());
    ctx.confirm_approved(Confirm::new(action, title, details), approval);
}
