//! Update steps of the audit gate and the platform panes: confirmation dialogs, action
//! reports, request forms, approvals and the platform's answers.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::modal::form::{Form, FormContext, FormKind};
use crate::app::msg::{Cmd, PlatformCall, PlatformReply};
use crate::app::state::{Modal, PaneId, Prompt, PromptPurpose, State, ToastLevel};
use crate::model::platform::RequestSpec;
use crate::model::source::SourceId;

/// Opens the confirmation dialog of an action, unless read-only mode forbids it.
pub fn ask_confirm(state: &mut State, confirm: crate::app::modal::confirm::Confirm) {
    state.dirty = true;
    if let Err(refusal) = crate::actions::gate::allowed(&confirm.request, state.readonly) {
        state.toast(ToastLevel::Warn, refusal.reason);
        return;
    }
    state.modal = Some(Modal::Confirm(Box::new(confirm)));
}

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
    let mut cmds =
        crate::app::panes::kafka::actions::after_action(state, &report.request, succeeded);
    if succeeded
        && matches!(
            report.request,
            crate::actions::ActionRequest::SyncApp { .. }
        )
    {
        state.panes.apps.marked.clear();
    }
    state.last_action = Some(report);
    // Show the real new state at once, and the audit record.
    cmds.push(Cmd::Refresh(SourceId::ALL.to_vec()));
    cmds
}

/// Form context from the catalog and the context's Kafka brokers.
#[must_use]
pub fn form_context(state: &State) -> FormContext {
    let catalog = &state.panes.catalog.catalog;
    let mut databases: Vec<String> = catalog
        .services()
        .flat_map(|s| s.mapping.databases.iter().cloned())
        .collect();
    databases.sort();
    databases.dedup();
    FormContext {
        brokers: state.context.kafka_brokers,
        databases,
        services: catalog.services().map(|s| s.name.clone()).collect(),
    }
}

pub(crate) fn open_form(state: &mut State, kind: FormKind) {
    if !state.context.platform {
        state.toast(
            ToastLevel::Error,
            "no platform API configured in this context: requests cannot be sent",
        );
        return;
    }
    let form = match state.drafts.iter().position(|f| f.kind == kind) {
        Some(i) => state.drafts.remove(i),
        None => {
            let ctx = form_context(state);
            let scoped = state
                .scope
                .as_deref()
                .and_then(|s| state.panes.catalog.catalog.service(s));
            match kind {
                FormKind::KafkaTopic => Form::topic(&ctx, state.scope.as_deref()),
                FormKind::CreateTopic => Form::create_topic(&ctx, state.scope.as_deref()),
                FormKind::ReadReplica => Form::replica(
                    &ctx,
                    scoped
                        .and_then(|s| s.mapping.databases.first())
                        .map(String::as_str),
                ),
            }
        }
    };
    state.modal = Some(Modal::Form(form));
}

pub(crate) fn decide(state: &mut State, approve: bool) -> Vec<Cmd> {
    if !state.panes.requests.is_approver() {
        state.toast(
            ToastLevel::Warn,
            "only approvers can approve or reject requests",
        );
        return Vec::new();
    }
    let Some(request) = state
        .panes
        .requests
        .selected()
        .filter(|_| state.view().pane() == PaneId::Requests)
    else {
        return Vec::new();
    };
    if request.state != crate::model::platform::RequestState::Submitted {
        let state_word = request.state.as_str();
        state.toast(
            ToastLevel::Warn,
            format!("request is {state_word}: only submitted requests can be decided"),
        );
        return Vec::new();
    }
    let id = request.id.clone();
    if approve {
        state.toast(ToastLevel::Info, format!("approving {id}…"));
        vec![Cmd::Platform(PlatformCall::Approve(id))]
    } else {
        state.modal = Some(Modal::Prompt(Prompt {
            title: format!("reject {id}: reason"),
            input: String::new(),
            error: None,
            purpose: PromptPurpose::RejectRequest(id),
            hint: "recorded in the audit trail".into(),
        }));
        Vec::new()
    }
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
        PlatformReply::TopicPolicy { spec, answer } => {
            crate::app::panes::kafka::actions::on_topic_policy(state, spec, answer)
        }
        PlatformReply::Verified(result) => {
            state.panes.audit.verifying = false;
            state.panes.audit.verify = Some(result);
            Vec::new()
        }
    }
}

pub(crate) fn form_key(state: &mut State, key: KeyEvent) -> Vec<Cmd> {
    state.dirty = true;
    let ctx = form_context(state);
    let Some(Modal::Form(form)) = &mut state.modal else {
        return Vec::new();
    };
    if form.submitting {
        return Vec::new();
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
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
            let accepted = match purpose {
                PromptPurpose::RejectRequest(id) => crate::model::validate::reason(&input)
                    .map(|reason| vec![Cmd::Platform(PlatformCall::Reject { id, reason })]),
                PromptPurpose::EditConfigs(topic) => {
                    crate::app::panes::kafka::actions::configs_entered(state, &topic, &input)
                }
                PromptPurpose::AddPartitions(topic) => {
                    crate::app::panes::kafka::actions::partitions_entered(state, &topic, &input)
                }
                PromptPurpose::RollbackApp(app) => {
                    crate::app::panes::apps::actions::rollback_entered(state, &app, &input)
                        .map(|()| Vec::new())
                }
                PromptPurpose::UndoRollout(key) => {
                    crate::app::panes::rollouts::actions::undo_entered(state, &key, &input)
                        .map(|()| Vec::new())
                }
                PromptPurpose::JumpTime => {
                    crate::app::panes::logs::actions::time_entered(state, &input)
                }
                PromptPurpose::LogOptions => {
                    crate::app::panes::logs::actions::options_entered(state, &input)
                }
                PromptPurpose::MinDuration => {
                    crate::app::panes::traces::actions::min_duration_entered(state, &input)
                }
                PromptPurpose::ScaleWorkload(key) => {
                    crate::app::panes::rollouts::actions::scale_entered(state, &key, &input)
                        .map(|()| Vec::new())
                }
            };
            match accepted {
                Ok(cmds) => {
                    if matches!(state.modal, Some(Modal::Prompt(_))) {
                        state.modal = None;
                    }
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
