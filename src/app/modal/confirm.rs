//! The confirmation dialog of a mutating action: what will be hit, what the user should
//! know (e.g. "cancel does nothing here"), the name to type for irreversible actions, and
//! the reason recorded in the audit trail.

use crate::model::action::{ActionRequest, Confirmation};

/// Severity of a note in the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteLevel {
    Info,
    Warn,
}

/// Which input has focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmField {
    Name,
    Reason,
}

/// What the platform's policy said about the action before the user confirms it
/// (`POST /v1/policy/check`, which records nothing), so a dialog never ends in a refusal
/// the console could have foreseen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PolicyView {
    /// Not asked (tests and tours that build a dialog by hand).
    #[default]
    NotAsked,
    /// The question is on its way.
    Asking,
    /// Policy grants it; the reason names the rule.
    Allowed(String),
    /// Policy grants it only after an approver approves: confirming files a request.
    NeedsApproval(String),
    /// An approver approved it (who, which request): confirming runs it and uses the
    /// approval.
    Approved(String),
    /// Policy refuses it: confirming would only be refused.
    Denied(String),
    /// The action cannot be audited now (no platform, or the platform is shown down).
    Blocked(String),
    /// The question failed; the audit gate still decides on enter.
    Unknown(String),
}

/// An action waiting for the user's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub request: ActionRequest,
    pub title: String,
    /// `(label, value)` rows describing the target.
    pub details: Vec<(String, String)>,
    pub notes: Vec<(NoteLevel, String)>,
    pub typed_name: String,
    pub reason: String,
    pub field: ConfirmField,
    pub error: Option<String>,
    pub policy: PolicyView,
}

impl Confirm {
    #[must_use]
    pub fn new(request: ActionRequest, title: String, details: Vec<(String, String)>) -> Self {
        let field = match request.confirmation() {
            Confirmation::TypeName(_) => ConfirmField::Name,
            Confirmation::YesNo => ConfirmField::Reason,
        };
        Self {
            request,
            title,
            details,
            notes: Vec::new(),
            typed_name: String::new(),
            reason: String::new(),
            field,
            error: None,
            policy: PolicyView::NotAsked,
        }
    }

    #[must_use]
    pub fn with_note(mut self, level: NoteLevel, text: impl Into<String>) -> Self {
        self.notes.push((level, text.into()));
        self
    }

    /// The name the user must type, if any.
    #[must_use]
    pub fn required_name(&self) -> Option<String> {
        match self.request.confirmation() {
            Confirmation::TypeName(name) => Some(name),
            Confirmation::YesNo => None,
        }
    }

    /// Checks the inputs; the reason recorded with the intent on success.
    pub fn accept(&mut self) -> Result<String, String> {
        if let PolicyView::Denied(reason) = &self.policy {
            return Err(format!(
                "policy denies this action ({reason}): esc to close"
            ));
        }
        if let Some(name) = self.required_name()
            && self.typed_name != name
        {
            self.field = ConfirmField::Name;
            return Err(format!("type `{name}` exactly to confirm"));
        }
        let reason = self.reason.trim();
        Ok(if reason.is_empty() {
            format!("{} from the opsdeck console", self.request.action_name())
        } else {
            reason.to_owned()
        })
    }

    pub fn input_mut(&mut self) -> &mut String {
        match self.field {
            ConfirmField::Name => &mut self.typed_name,
            ConfirmField::Reason => &mut self.reason,
        }
    }

    /// Tab between the name and the reason.
    pub fn next_field(&mut self) {
        if self.required_name().is_some() {
            self.field = match self.field {
                ConfirmField::Name => ConfirmField::Reason,
                ConfirmField::Reason => ConfirmField::Name,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_action_cannot_be_confirmed() {
        let mut c = Confirm::new(
            ActionRequest::DeleteGroup {
                group: "billing".into(),
            },
            "delete".into(),
            vec![],
        );
        c.typed_name = "billing".into();
        c.policy = PolicyView::Denied("policy: no rule allows it".into());
        assert!(c.accept().is_err_and(|e| e.contains("no rule allows it")));
        c.policy = PolicyView::NeedsApproval("rule 3".into());
        assert!(c.accept().is_ok());
    }

    #[test]
    fn deletes_need_the_name_typed() {
        let mut c = Confirm::new(
            ActionRequest::DeleteTopic {
                name: "orders.v1".into(),
            },
            "delete".into(),
            vec![],
        );
        assert_eq!(c.field, ConfirmField::Name);
        c.typed_name = "orders".into();
        assert!(c.accept().is_err());
        c.typed_name = "orders.v1".into();
        assert!(c.accept().is_ok_and(|r| r.contains("kafka.topic.delete")));
    }
}
