//! Update steps of the audit gate and the platform panes: confirmation dialogs, action
//! reports, request forms, approvals and the platform's answers.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::modal::form::{FormContext, FormKind};
use crate::app::msg::{Cmd, PlatformCall, PlatformReply};
use crate::app::state::{Modal, PaneId, State, ToastLevel};
use crate::model::platform::RequestSpec;
use crate::model::source::SourceId;

pub(crate) fn confirm_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let Some(Modal::Confirm(confirm)) = &mut state.modal else {
        return Vec::new();
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => state.modal = None,
        KeyCode::Char('c') if ctrl => state.modal = None,
        KeyCode::Tab | KeyCode::BackTab => confirm.next_field(),
        KeyCode::Backspace => {
            confirm.input_mut().pop();
        }
        KeyCode::Enter => match confirm.accept() {
            Ok(reason) => {
                let request = confirm.request.clone();
                state.modal = None;
                state.actions_in_flight += 1;
                state.toast(
                    ToastLevel::Info,
                    format!("{}: asking the audit gate…", request.action_name()),
                );
                return vec![Cmd::Execute { request, reason }];
            }
            Err(message) => confirm.error = Some(message),
        },
        KeyCode::Char(c) if !ctrl => {
            if confirm.input_mut().chars().count() < 200 {
                confirm.input_mut().push(c);
            }
            confirm.error = None;
        }
        _ => {}
    }
    Vec::new()
}

/// Keys of an approver's decision dialog: enter sends it, esc cancels, typing writes the
/// reason of a rejection.
pub(crate) fn decide_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let Some(Modal::Decide(decide)) = &mut state.modal else {
        return Vec::new();
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => state.modal = None,
        KeyCode::Char('c') if ctrl => state.modal = None,
        KeyCode::Backspace => decide.backspace(),
        KeyCode::Enter => match decide.accept() {
            Ok(call) => {
                let text = format!("{}: {}…", decide.verb(), decide.request.id);
                state.modal = None;
                state.toast(ToastLevel::Info, text);
                return vec![Cmd::Platform(call)];
            }
            Err(message) => decide.error = Some(message),
        },
        KeyCode::Char(c) if !ctrl => decide.type_char(c),
        _ => {}
    }
    Vec::new()
}

pub(crate) fn on_action_done(state: &mut State, report: crate::app::msg::ActionReport) -> Vec<Cmd> {
    use crate::actions::gate::GateOutcome;
    state.dirty = true;
    state.actions_in_flight = state.actions_in_flight.saturating_sub(1);
    let level = match &report.outcome {
        GateOutcome::Executed { result, .. }
            if result.status == crate::model::platform::OutcomeStatus::Succeeded =>
        {
            ToastLevel::Info
        }
        GateOutcome::Executed { .. } | GateOutcome::NeedsApproval { .. } => ToastLevel::Warn,
        GateOutcome::Refused(_) => ToastLevel::Error,
    };
    state.toast(level, report.summary());
    let succeeded = matches!(&report.outcome, GateOutcome::Executed { result, .. }
        if result.status == crate::model::platform::OutcomeStatus::Succeeded);
    // Every pane hears of every action (a draft to drop, configs to read again, marks to
    // clear).
    let mut cmds: Vec<Cmd> = crate::app::held::after_report(state, &report)
        .into_iter()
        .collect();
    for &pane in PaneId::ALL {
        cmds.extend(crate::app::route::run_pane(state, pane, |pane, ctx| {
            pane.after_action(ctx, &report.request, succeeded)
        }));
    }
    if let crate::model::action::ActionRequest::SyncApp { dry_run: true, .. } = &report.request {
        let outcome = dry_run_outcome(&report);
        cmds.extend(crate::app::route::run(state, |panes, ctx| {
            crate::app::panes::apps::sync::after_dry_run(
                &mut panes.apps,
                ctx,
                &report.request,
                &outcome,
            )
        }));
    }
    if crate::app::panes::postgres::bulk::is_bulk(&report.request) {
        crate::app::panes::postgres::bulk::after_bulk(&mut state.panes.postgres, &report);
    }
    state.last_action = Some(report);
    // Show the real new state at once, and the audit record.
    cmds.push(Cmd::Refresh(SourceId::ALL.to_vec()));
    cmds
}

/// A dry run's result for the sync confirmation: its summary, or why it failed or did not
/// run (a refusal or a needed approval, in the gate's words).
fn dry_run_outcome(report: &crate::app::msg::ActionReport) -> Result<String, String> {
    use crate::actions::gate::GateOutcome;
    match &report.outcome {
        GateOutcome::Executed { result, .. }
            if result.status == crate::model::platform::OutcomeStatus::Succeeded =>
        {
            Ok(result.detail.clone())
        }
        GateOutcome::Executed { result, .. } => Err(result.detail.clone()),
        GateOutcome::NeedsApproval { .. } | GateOutcome::Refused(_) => Err(report.summary()),
    }
}

/// Form context from the catalog and the context's Kafka brokers.
#[must_use]
pub fn form_context(state: &State) -> FormContext {
    crate::app::ctx::form_context(&state.panes.catalog.catalog, &state.context)
}

pub(crate) fn on_platform_reply(state: &mut State, reply: PlatformReply) -> Vec<Cmd> {
    state.dirty = true;
    let refresh = vec![Cmd::Refresh(vec![SourceId::Platform])];
    match reply {
        PlatformReply::Created(Ok(request)) => {
            if matches!(state.modal, Some(Modal::Form(_))) {
                state.modal = None;
            }
            let summary = crate::app::panes::requests::summary(&request.spec);
            state.toast(
                ToastLevel::Info,
                format!(
                    "request {} {}: {summary}",
                    request.id,
                    request.state.as_str()
                ),
            );
            refresh
        }
        PlatformReply::Created(Err(message)) => {
            if let Some(Modal::Form(form)) = &mut state.modal {
                form.submitting = false;
                form.error = Some(format!("platform: {message}"));
            } else {
                state.toast(ToastLevel::Error, message);
            }
            Vec::new()
        }
        PlatformReply::Decided(Ok(request)) => {
            state.toast(
                ToastLevel::Info,
                format!("request {} is {}", request.id, request.state.as_str()),
            );
            refresh
        }
        PlatformReply::Decided(Err(message)) => {
            state.toast(ToastLevel::Error, message);
            Vec::new()
        }
        PlatformReply::TopicPolicy { spec, answer } => crate::app::route::with_ctx(state, |ctx| {
            crate::app::panes::kafka::actions::on_topic_policy(ctx, spec, answer)
        }),
        PlatformReply::ActionPolicy { request, answer } => {
            // Only the dialog of that very action hears the answer; a closed or replaced
            // dialog ignores it.
            if let Some(Modal::Confirm(confirm)) = &mut state.modal
                && confirm.request == request
            {
                confirm.policy = policy_view(answer);
            }
            Vec::new()
        }
        PlatformReply::Shift { removed, result } => on_shift_reply(state, removed, result),
        PlatformReply::Verified(result) => {
            state.panes.audit.verifying = false;
            // Each problem is said whole: a wrapped toast and the message history. The words
            // quote the platform's answer (hashes, event ids, reasons), so they are cleaned.
            let clean = |text: String| crate::model::clean(&text);
            match &result {
                Ok(check) => {
                    // A toast replaces the one before: notes first, then the findings from the
                    // last to the first, so the one left on screen is the first problem found,
                    // whole; every one is in `:messages`.
                    for note in &check.notes {
                        state.toast(ToastLevel::Warn, clean(format!("verify: {note}")));
                    }
                    for finding in check.findings.iter().rev() {
                        state.toast(ToastLevel::Error, clean(format!("verify: {finding}")));
                    }
                }
                Err(e) => state.toast(ToastLevel::Error, clean(format!("verify: {e}"))),
            }
            state.panes.audit.verify = Some(result);
            Vec::new()
        }
    }
}

/// The platform's answer to an on-call write: the form closes on success; a refusal stays
/// on the open form and is toasted in full either way.
fn on_shift_reply(
    state: &mut State,
    removed: bool,
    result: Result<crate::model::oncall::Shift, String>,
) -> Vec<Cmd> {
    let open_form = matches!(&state.modal, Some(Modal::Form(f)) if f.kind == FormKind::OncallShift);
    match result {
        Ok(shift) => {
            if open_form {
                state.modal = None;
            }
            state.drafts.retain(|f| f.kind != FormKind::OncallShift);
            let verb = if removed { "removed" } else { "declared" };
            state.toast(
                ToastLevel::Info,
                format!(
                    "on call: {verb} {} {} for {} · {} → {}",
                    shift.kind.as_str(),
                    shift.who,
                    shift.team,
                    crate::app::panes::oncall::form_time(shift.from),
                    crate::app::panes::oncall::form_time(shift.to),
                ),
            );
            vec![Cmd::Refresh(vec![SourceId::Platform])]
        }
        Err(message) => {
            if let Some(Modal::Form(form)) = &mut state.modal
                && form.kind == FormKind::OncallShift
            {
                form.submitting = false;
                form.error = Some(format!("platform: {message}"));
            }
            state.toast(ToastLevel::Error, format!("on call: {message}"));
            Vec::new()
        }
    }
}

fn policy_view(
    answer: Result<crate::model::platform::PolicyAnswer, String>,
) -> crate::app::modal::confirm::PolicyView {
    use crate::app::modal::confirm::PolicyView;
    use crate::model::platform::Decision;
    match answer {
        Ok(a) => match a.decision {
            Decision::Allow => PolicyView::Allowed(a.reason),
            Decision::NeedsApproval => PolicyView::NeedsApproval(a.reason),
            Decision::Deny => PolicyView::Denied(a.reason),
        },
        Err(message) => PolicyView::Unknown(message),
    }
}

pub(crate) fn form_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let ctx = form_context(state);
    let now = state.now;
    let Some(Modal::Form(form)) = &mut state.modal else {
        return Vec::new();
    };
    if form.submitting {
        return Vec::new();
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        // Two short fields: nothing worth a draft.
        KeyCode::Esc if form.kind == FormKind::PortForward => state.modal = None,
        KeyCode::Esc => {
            if let Some(Modal::Form(form)) = state.modal.take() {
                state.toast(
                    ToastLevel::Info,
                    "form kept as a draft: open it again to continue",
                );
                state.drafts.push(form);
            }
        }
        KeyCode::Char('c') if ctrl => {
            state.modal = None;
        }
        KeyCode::Tab | KeyCode::Down => form.focus_by(1),
        KeyCode::BackTab | KeyCode::Up => form.focus_by(-1),
        KeyCode::Left => form.cycle_choice(false),
        KeyCode::Right => form.cycle_choice(true),
        KeyCode::Backspace => form.backspace(),
        KeyCode::Enter if form.kind == FormKind::Silence => {
            form.error = None;
            if let Some((matchers, duration, comment)) = form.validate_silence() {
                // The form stays as a draft until the silence exists: an esc on the plan
                // (or a refusal) loses nothing.
                if let Some(Modal::Form(form)) = state.modal.take() {
                    let about = form.about.clone();
                    state
                        .drafts
                        .retain(|f| !(f.kind == FormKind::Silence && f.about == about));
                    state.drafts.push(form);
                    let dialog = super::silence::confirm(
                        &about,
                        matchers,
                        duration,
                        comment,
                        state.panes.alerts.alerts(),
                        &state.panes.alerts.service_labels,
                    );
                    let ((), intents) = state.lend(|_, ctx| ctx.confirm(dialog));
                    return crate::app::route::carry_out(state, intents);
                }
            }
        }
        KeyCode::Enter if form.kind == FormKind::PortForward => {
            form.error = None;
            if let Some((remote, local)) = crate::app::panes::forwards::form::read_form(form) {
                let about = form.about.clone();
                return port_forward_entered(state, &about, remote, local);
            }
        }
        KeyCode::Enter if form.kind == FormKind::OncallShift => {
            form.error = None;
            if let Some((team, body)) = crate::app::panes::oncall::read_shift_form(form, now) {
                form.submitting = true;
                return vec![Cmd::Platform(PlatformCall::DeclareShift { team, body })];
            }
        }
        KeyCode::Enter => {
            form.error = None;
            if let Some(spec) = form.validate(&ctx) {
                form.submitting = true;
                // A direct creation first asks policy whether it needs approval.
                return match (form.kind, spec) {
                    (FormKind::CreateTopic, RequestSpec::KafkaTopic(topic)) => {
                        vec![Cmd::Platform(PlatformCall::CheckTopic(topic))]
                    }
                    (_, spec) => vec![Cmd::Platform(PlatformCall::Create(spec))],
                };
            }
        }
        KeyCode::Char(c) if !ctrl => form.type_char(c),
        _ => {}
    }
    Vec::new()
}

/// The port-forward form was filled in: the forward starts and the form closes, or the
/// form stays open with why not.
fn port_forward_entered(
    state: &mut State,
    about: &str,
    remote: u16,
    local: crate::model::k8s::forward::LocalPort,
) -> Vec<Cmd> {
    let (started, intents) = state.lend(|panes, ctx| {
        crate::app::panes::forwards::actions::start(&mut panes.forwards, ctx, about, remote, local)
    });
    let mut after = crate::app::route::carry_out(state, intents);
    match started {
        Ok(mut cmds) => {
            state.modal = None;
            cmds.append(&mut after);
            cmds
        }
        Err(e) => {
            if let Some(Modal::Form(form)) = &mut state.modal {
                form.error = Some(e);
            }
            after
        }
    }
}

pub(crate) fn prompt_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let Some(Modal::Prompt(prompt)) = &mut state.modal else {
        return Vec::new();
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => state.modal = None,
        KeyCode::Char('c') if ctrl => state.modal = None,
        KeyCode::Backspace => {
            prompt.input.pop();
        }
        KeyCode::Enter => {
            let (purpose, input) = (prompt.purpose.clone(), prompt.input.clone());
            // The answer goes to the pane that asked.
            let (accepted, intents) = state.lend(|panes, ctx| {
                panes
                    .get_mut(purpose.pane())
                    .on_prompt(ctx, &purpose, &input)
            });
            let mut after = crate::app::route::carry_out(state, intents);
            match accepted {
                Ok(mut cmds) => {
                    if matches!(state.modal, Some(Modal::Prompt(_))) {
                        state.modal = None;
                    }
                    cmds.append(&mut after);
                    return cmds;
                }
                Err(e) => {
                    if let Some(Modal::Prompt(prompt)) = &mut state.modal {
                        prompt.error = Some(e);
                    }
                }
            }
        }
        KeyCode::Char(c) if !ctrl => {
            prompt.input.push(c);
            prompt.error = None;
        }
        _ => {}
    }
    Vec::new()
}
