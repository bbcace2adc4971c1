//! [`Ctx`]: what a pane's update code sees of the console besides its own state, and how it
//! asks for everything else.
//!
//! A pane's update functions take `(&mut TheirPane, &mut Ctx)`, never the whole `State`, so
//! a pane cannot write another pane's state. It reads the shared facts (context, scope,
//! user, read-only, the catalog, source health, RBAC answers) and asks for effects: toasts,
//! dialogs (confirm, prompt, form), access reviews, and [`Intent`]s — another pane shown or
//! prepared — which the router carries out once the pane's update has returned.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::app::kube_access::KubeAccess;
use crate::app::modal::confirm::{Confirm, PolicyView};
use crate::app::modal::form::{Form, FormContext, FormKind};
use crate::app::msg::Cmd;
use crate::app::panes::PaneId;
use crate::app::state::{ContextInfo, Modal, Prompt, ToastLevel};
use crate::model::action::ActionRequest;
use crate::model::service::Workload as WorkloadRef;
use crate::model::source::SourceId;
use crate::model::{Catalog, Service, SourceHealth};

/// Who acts and what they may do: what a pane (and its view) asks before offering an
/// action.
#[derive(Debug, Clone, Copy)]
pub struct Permits<'a> {
    pub readonly: bool,
    pub user: &'a str,
    pub access: &'a KubeAccess,
}

/// A pane's request for something outside itself; the router carries it out after the
/// pane's update returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Show a pane as it is.
    Show(PaneId),
    /// Open a service's card.
    OpenCard(String),
    /// Show a pane prepared for one item ([`Focus::pane`] says which pane).
    Focus(Focus),
    /// Scope every pane to a service, or clear the scope.
    SetScope(Option<String>),
    /// The incident view of a service (or of the current scope).
    OpenIncident(Option<String>),
    /// Ask the platform what policy says about an action (the open dialog shows it).
    AskPolicy(ActionRequest),
    /// The incident view of a service in a context (switching to it when it is not the
    /// active one): the attention view's enter.
    IncidentIn { context: String, service: String },
    /// Silence a service's worst firing alert (the form, prefilled): the attention view's
    /// `S`.
    SilenceService { context: String, service: String },
}

/// An item another pane is shown with: the router shows [`Focus::pane`] and hands it the
/// focus (`Pane::focus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Focus {
    /// The Argo CD app, selected.
    App(String),
    /// The workload, selected and opened.
    Workload(WorkloadRef),
    /// The blocking tree of a database (the current one when `None`).
    DatabaseTree(Option<String>),
    /// The consumer groups, with this group selected.
    Group(Option<String>),
    /// A service's logs (or the scope's), optionally around one trace, optionally errors
    /// only.
    Logs {
        service: Option<String>,
        trace_id: Option<String>,
        errors_only: bool,
        /// Read over this window (a span's time ± 5 minutes) instead of the pane's.
        window: Option<crate::model::window::TimeWindow>,
    },
    /// A service's traces (or the scope's).
    Traces { service: Option<String> },
    /// One trace, opened by id.
    Trace(String),
    /// Pods: a workload's, one named pod, or all.
    Pods(crate::app::panes::pods::PodsFocus),
    /// One Kubernetes object, described or as YAML.
    Object {
        reference: crate::model::k8s::ObjectRef,
        view: crate::app::panes::describe::Mode,
    },
}

impl Focus {
    /// The pane this focus is for.
    #[must_use]
    pub fn pane(&self) -> PaneId {
        match self {
            Self::App(_) => PaneId::Apps,
            Self::Workload(_) => PaneId::Rollouts,
            Self::DatabaseTree(_) => PaneId::Postgres,
            Self::Group(_) => PaneId::Kafka,
            Self::Logs { .. } => PaneId::Logs,
            Self::Traces { .. } | Self::Trace(_) => PaneId::Traces,
            Self::Pods(_) => PaneId::Pods,
            Self::Object { .. } => PaneId::Describe,
        }
    }
}

/// The shared facts a pane reads, and the channel through which it asks for effects.
pub struct Ctx<'a> {
    /// Wall-clock time of the current message batch.
    pub now: Timestamp,
    /// The terminal size.
    pub size: (u16, u16),
    pub context: &'a ContextInfo,
    pub user: &'a str,
    /// The service every pane is scoped to.
    pub scope: Option<&'a str>,
    pub readonly: bool,
    /// The service catalog (empty until it loads).
    pub catalog: Arc<Catalog>,
    /// The catalog has loaded (before that every service name is taken on trust).
    pub catalog_loaded: bool,
    pub health: &'a BTreeMap<SourceId, SourceHealth>,
    /// Actions this console holds for their approval, by request id.
    pub held_actions: &'a crate::model::approvals::HeldActions,
    kube_access: &'a mut KubeAccess,
    modal: &'a mut Option<Modal>,
    drafts: &'a mut Vec<Form>,
    toasts: Vec<(ToastLevel, String)>,
    intents: Vec<Intent>,
}

/// What a [`Ctx`] collected, for the router to apply.
pub struct Asked {
    pub toasts: Vec<(ToastLevel, String)>,
    pub intents: Vec<Intent>,
}

/// The parts of `State` a [`Ctx`] borrows; built by `State::lend`.
pub struct Lent<'a> {
    pub now: Timestamp,
    pub size: (u16, u16),
    pub context: &'a ContextInfo,
    pub user: &'a str,
    pub scope: Option<&'a str>,
    pub readonly: bool,
    pub catalog: Arc<Catalog>,
    pub catalog_loaded: bool,
    pub health: &'a BTreeMap<SourceId, SourceHealth>,
    pub held_actions: &'a crate::model::approvals::HeldActions,
    pub kube_access: &'a mut KubeAccess,
    pub modal: &'a mut Option<Modal>,
    pub drafts: &'a mut Vec<Form>,
}

impl<'a> Ctx<'a> {
    #[must_use]
    pub fn new(lent: Lent<'a>) -> Self {
        Self {
            now: lent.now,
            size: lent.size,
            context: lent.context,
            user: lent.user,
            scope: lent.scope,
            readonly: lent.readonly,
            catalog: lent.catalog,
            catalog_loaded: lent.catalog_loaded,
            health: lent.health,
            held_actions: lent.held_actions,
            kube_access: lent.kube_access,
            modal: lent.modal,
            drafts: lent.drafts,
            toasts: Vec::new(),
            intents: Vec::new(),
        }
    }

    /// Ends the loan, handing over what the pane asked for.
    #[must_use]
    pub fn finish(self) -> Asked {
        Asked {
            toasts: self.toasts,
            intents: self.intents,
        }
    }

    /// Shows a message until the next key (and keeps it in `:messages`).
    pub fn toast(&mut self, level: ToastLevel, text: impl Into<String>) {
        self.toasts.push((level, text.into()));
    }

    /// Asks the router for something outside the pane.
    pub fn intent(&mut self, intent: Intent) {
        self.intents.push(intent);
    }

    /// Shows another pane (or this one) as it is.
    pub fn show(&mut self, pane: PaneId) {
        self.intent(Intent::Show(pane));
    }

    /// The service the scope names, when the catalog has it.
    #[must_use]
    pub fn scoped_service(&self) -> Option<&Service> {
        self.scope.and_then(|name| self.catalog.service(name))
    }

    /// Says why, and returns true, when `--readonly` forbids an action of `probe`'s kind,
    /// so a dialog is not opened only to be refused at the end.
    pub fn refused(&mut self, probe: &ActionRequest) -> bool {
        match crate::actions::gate::allowed(probe, self.readonly) {
            Ok(()) => false,
            Err(refusal) => {
                self.toast(ToastLevel::Warn, refusal.reason);
                true
            }
        }
    }

    /// Opens the confirmation dialog of an action, unless read-only mode forbids it, and
    /// asks the platform's policy about it at once, so the dialog says "needs approval" or
    /// "policy denies" up front; when the action cannot be audited now it says so instead.
    pub fn confirm(&mut self, mut confirm: Confirm) {
        if self.refused(&confirm.request) {
            return;
        }
        confirm.policy = if self.context.platform {
            match self.health.get(&SourceId::Platform) {
                Some(SourceHealth::Error { message, .. }) => PolicyView::Blocked(format!(
                    "the platform API is down ({message}); the audit gate will refuse this \
                     until it answers again"
                )),
                _ => {
                    self.intent(Intent::AskPolicy(confirm.request.clone()));
                    PolicyView::Asking
                }
            }
        } else {
            PolicyView::Blocked(
                "no platform API in this context, so nothing can be audited: this will not run"
                    .to_owned(),
            )
        };
        *self.modal = Some(Modal::Confirm(Box::new(confirm)));
    }

    /// Opens the confirmation of an action an approver has approved (the requests pane's
    /// run key): no policy question, since policy already said "needs approval" and the
    /// approval is in hand; the dialog says so, naming `approval` (who, which request).
    pub fn confirm_approved(&mut self, mut confirm: Confirm, approval: String) {
        if self.refused(&confirm.request) {
            return;
        }
        confirm.policy = PolicyView::Approved(approval);
        *self.modal = Some(Modal::Confirm(Box::new(confirm)));
    }

    /// Opens the dialog of an approver's decision.
    pub fn decide(&mut self, decide: crate::app::modal::decide::Decide) {
        *self.modal = Some(Modal::Decide(Box::new(decide)));
    }

    /// Opens a one-line prompt; its answer comes back to the pane that owns its purpose.
    pub fn prompt(&mut self, prompt: Prompt) {
        *self.modal = Some(Modal::Prompt(prompt));
    }

    /// The open form, when it is of `kind`.
    pub fn form_mut(&mut self, kind: FormKind) -> Option<&mut Form> {
        match self.modal.as_mut() {
            Some(Modal::Form(form)) if form.kind == kind => Some(form),
            _ => None,
        }
    }

    /// Closes the open form but keeps it as a draft, so a cancelled next step loses nothing.
    pub fn keep_form_as_draft(&mut self) {
        if let Some(Modal::Form(form)) = self.modal.take() {
            self.drafts.push(form);
        }
    }

    /// Forgets the draft of a form whose work is done.
    pub fn drop_draft(&mut self, kind: FormKind) {
        self.drafts.retain(|f| f.kind != kind);
    }

    /// Form context from the catalog and the context's Kafka brokers.
    #[must_use]
    pub fn form_context(&self) -> FormContext {
        form_context(&self.catalog, self.context)
    }

    /// Opens a request form (or its draft).
    pub fn open_form(&mut self, kind: FormKind) {
        if !self.context.platform {
            self.toast(
                ToastLevel::Error,
                "no platform API configured in this context: requests cannot be sent",
            );
            return;
        }
        let form = match self.drafts.iter().position(|f| f.kind == kind) {
            Some(i) => self.drafts.remove(i),
            None => {
                let form_ctx = self.form_context();
                let scope = self.scope;
                match kind {
                    FormKind::KafkaTopic => Form::topic(&form_ctx, scope),
                    FormKind::CreateTopic => Form::create_topic(&form_ctx, scope),
                    // Silence forms open through `open_prepared_form`, prefilled.
                    FormKind::Silence => Form::silence("", ""),
                    FormKind::ReadReplica => Form::replica(
                        &form_ctx,
                        self.scoped_service()
                            .and_then(|s| s.mapping.databases.first())
                            .map(String::as_str),
                    ),
                    FormKind::OncallShift => {
                        crate::app::panes::oncall::shift_form(&[], None, self.user, self.now)
                    }
                    // Port-forward forms open through `open_prepared_form`, with the pod.
                    FormKind::PortForward => Form::port_forward("", &[], ""),
                }
            }
        };
        *self.modal = Some(Modal::Form(form));
    }

    /// Opens a form a pane prepared (or the draft of one of its kind and subject, so
    /// nothing typed is lost; a silence's draft comes back only for the same service).
    pub fn open_prepared_form(&mut self, form: Form) {
        let draft = self
            .drafts
            .iter()
            .position(|f| f.kind == form.kind && f.about == form.about);
        let form = match draft {
            Some(i) => self.drafts.remove(i),
            None => form,
        };
        *self.modal = Some(Modal::Form(form));
    }

    /// Who acts and what they may do.
    #[must_use]
    pub fn permits(&self) -> Permits<'_> {
        Permits {
            readonly: self.readonly,
            user: self.user,
            access: self.kube_access,
        }
    }

    /// Why RBAC forbids `request`, when a review said so.
    #[must_use]
    pub fn access_denial(&self, request: &ActionRequest) -> Option<String> {
        self.kube_access.denial(request)
    }

    /// Argo CD app actions go to its API server, whose own RBAC decides.
    #[must_use]
    pub fn argo_api(&self) -> bool {
        self.kube_access.argo_api
    }

    /// The access reviews still to ask for these actions, as a command (none when every
    /// answer is known or asked).
    pub fn check_access(&mut self, probes: &[ActionRequest]) -> Option<Cmd> {
        let keys = self.kube_access.to_ask(probes);
        (!keys.is_empty()).then_some(Cmd::CheckAccess(keys))
    }
}

/// Form context from a catalog and a context's Kafka brokers.
#[must_use]
pub fn form_context(catalog: &Catalog, context: &ContextInfo) -> FormContext {
    let mut databases: Vec<String> = catalog
        .services()
        .flat_map(|s| s.mapping.databases.iter().cloned())
        .collect();
    databases.sort();
    databases.dedup();
    FormContext {
        brokers: context.kafka_brokers,
        databases,
        services: catalog.services().map(|s| s.name.clone()).collect(),
    }
}
