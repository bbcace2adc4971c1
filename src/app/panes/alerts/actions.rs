//! The alerts pane's own keys: open an alert's labels and annotations, silence it (a form
//! prefilled from its labels, then a plan, then the audit gate), open its service's
//! incident view.

use crate::app::ctx::{Ctx, Intent};
use crate::app::modal::form::Form;
use crate::app::msg::Cmd;
use crate::app::panes::alerts::AlertsPane;
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::action::ActionRequest;
use crate::model::alerts::Alert;
use crate::model::silence::{matchers_for, matchers_text};

/// The pane's own keys (besides the global and `[table]` ones).
pub const ACTIONS: &[Action] = &[Action::SilenceAlert, Action::OpenIncident];

/// The alerts pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(pane: &mut AlertsPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::Select => {
            if pane.selected().is_some() {
                pane.detail = !pane.detail;
            }
            Some(Vec::new())
        }
        Action::SilenceAlert => {
            match pane.selected() {
                Some((alert, service)) => open_silence(ctx, alert, service),
                None => ctx.toast(ToastLevel::Info, "no alert selected"),
            }
            Some(Vec::new())
        }
        Action::OpenIncident => {
            match pane.selected().and_then(|(_, s)| s.map(str::to_owned)) {
                Some(service) => ctx.intent(Intent::OpenIncident(Some(service))),
                None => ctx.toast(
                    ToastLevel::Info,
                    "this alert maps to no service (no service, app or job label)",
                ),
            }
            Some(Vec::new())
        }
        _ => None,
    }
}

/// Opens the silence form for `alert`: every label as an equality matcher, `1h`, and the
/// cursor on the comment. A draft kept for the same subject comes back instead.
pub fn open_silence(ctx: &mut Ctx<'_>, alert: &Alert, service: Option<&str>) {
    let probe = ActionRequest::CreateSilence {
        service: String::new(),
        matchers: Vec::new(),
        duration_secs: 0,
        comment: String::new(),
    };
    if ctx.refused(&probe) {
        return;
    }
    let about = service.unwrap_or_else(|| alert.name());
    let form = Form::silence(&matchers_text(&matchers_for(alert)), about);
    ctx.open_prepared_form(form);
}
