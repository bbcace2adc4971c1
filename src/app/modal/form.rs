//! Forms for new self-service requests. A form validates every field before sending, shows
//! each problem beside its field, and never loses what was typed: errors (ours or the
//! platform's) leave the form open with its input, and a cancelled form is kept as a draft.

use std::collections::BTreeMap;

use crate::model::platform::{KafkaTopicSpec, ReadReplicaSpec, RequestSpec};
use crate::model::validate;

/// How a field takes input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// Left/right cycle through the options.
    Choice(Vec<String>),
    /// Typed, and left/right fill in one of the suggestions (a pod's declared ports).
    Suggest(Vec<String>),
}

/// One form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
    pub kind: FieldKind,
    pub error: Option<String>,
}

impl Field {
    pub(crate) fn text(
        key: &'static str,
        label: &'static str,
        hint: &'static str,
        value: &str,
    ) -> Self {
        Self {
            key,
            label,
            hint,
            value: value.to_owned(),
            kind: FieldKind::Text,
            error: None,
        }
    }

    fn choice(
        key: &'static str,
        label: &'static str,
        hint: &'static str,
        options: Vec<String>,
    ) -> Self {
        let value = options.first().cloned().unwrap_or_default();
        Self {
            key,
            label,
            hint,
            value,
            kind: FieldKind::Choice(options),
            error: None,
        }
    }
}

/// Which request a form builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    KafkaTopic,
    /// A topic created directly from the Kafka pane (or filed as a request when policy
    /// needs approval); the same fields as [`FormKind::KafkaTopic`].
    CreateTopic,
    ReadReplica,
    /// A silence of alerts (the alerts pane): matchers, a duration and a comment; it goes
    /// through the audit gate as an action, not as a request.
    Silence,
    /// An on-call shift (`:oncall`); read by `crate::app::panes::oncall::read_shift_form`,
    /// not by [`Form::validate`].
    OncallShift,
    /// A pod port to forward (`F`); read by
    /// `crate::app::panes::forwards::actions::read_form`, not by [`Form::validate`].
    PortForward,
}

impl FormKind {
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::KafkaTopic => "request a Kafka topic",
            Self::CreateTopic => "create a Kafka topic",
            Self::ReadReplica => "request a read replica",
            Self::Silence => "silence alerts",
            Self::OncallShift => "declare an on-call shift",
            Self::PortForward => "port-forward",
        }
    }
}

/// What validation needs to know about the context.
#[derive(Debug, Clone, Default)]
pub struct FormContext {
    pub brokers: usize,
    pub databases: Vec<String>,
    pub services: Vec<String>,
}

/// A form being filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub kind: FormKind,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// The platform's answer to the last submission, when it refused.
    pub error: Option<String>,
    /// Sent and waiting for the platform.
    pub submitting: bool,
    /// Replication limit shown in the hint.
    pub brokers: usize,
    /// What the form is about beyond its fields (a silence's service); empty otherwise.
    pub about: String,
}

impl Form {
    /// A new topic request. `owner` preselects the scoped service.
    #[must_use]
    pub fn topic(ctx: &FormContext, owner: Option<&str>) -> Self {
        // Without a catalog there is nothing to choose from: the owner is typed instead
        // (checked as a catalog name would be), so the form can still be completed.
        let owner_field = if ctx.services.is_empty() {
            Field::text(
                "owner_service",
                "Owner",
                "service that owns it (no catalog: type its name)",
                owner.unwrap_or_default(),
            )
        } else {
            let mut field = Field::choice(
                "owner_service",
                "Owner",
                "service that owns the topic (←/→)",
                ctx.services.clone(),
            );
            if let Some(owner) = owner.filter(|o| ctx.services.iter().any(|s| s == o)) {
                owner.clone_into(&mut field.value);
            }
            field
        };
        Self {
            kind: FormKind::KafkaTopic,
            fields: vec![
                Field::text(
                    "name",
                    "Name",
                    "letters, digits, . _ - (e.g. orders.placed.v1)",
                    "",
                ),
                Field::text("partitions", "Partitions", "1 to 10000", "6"),
                Field::text(
                    "replication",
                    "Replication",
                    "no more than the brokers",
                    &ctx.brokers.clamp(1, 3).to_string(),
                ),
                Field::text("retention", "Retention", "e.g. 7d, 12h, infinite", "7d"),
                Field::choice(
                    "cleanup",
                    "Cleanup",
                    "←/→: delete, compact",
                    validate::CLEANUP_POLICIES
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect(),
                ),
                owner_field,
                Field::text("reason", "Reason", "why: recorded in the audit trail", ""),
            ],
            focus: 0,
            error: None,
            submitting: false,
            brokers: ctx.brokers,
            about: String::new(),
        }
    }

    /// A topic to create from the Kafka pane: the request's fields, a different purpose.
    #[must_use]
    pub fn create_topic(ctx: &FormContext, owner: Option<&str>) -> Self {
        Self {
            kind: FormKind::CreateTopic,
            ..Self::topic(ctx, owner)
        }
    }

    /// A new read-replica request. `database` preselects one of the scoped service.
    #[must_use]
    pub fn replica(ctx: &FormContext, database: Option<&str>) -> Self {
        let mut db = Field::choice(
            "database",
            "Database",
            "from the catalog (←/→)",
            ctx.databases.clone(),
        );
        if let Some(d) = database.filter(|d| ctx.databases.iter().any(|x| x == d)) {
            d.clone_into(&mut db.value);
        }
        Self {
            kind: FormKind::ReadReplica,
            fields: vec![
                db,
                Field::choice(
                    "size",
                    "Size",
                    "←/→",
                    validate::REPLICA_SIZES
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect(),
                ),
                Field::text("ttl", "TTL", "how long it lives: 1h to 30d", "8h"),
                Field::text("reason", "Reason", "why: recorded in the audit trail", ""),
            ],
            focus: 0,
            error: None,
            submitting: false,
            brokers: ctx.brokers,
            about: String::new(),
        }
    }

    pub(crate) fn value(&self, key: &str) -> &str {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .map_or("", |f| f.value.as_str())
    }

    pub(crate) fn set_error(&mut self, key: &str, error: Option<String>) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.key == key) {
            f.error = error;
        }
    }

    /// Checks every field; on success returns the request to send. Errors stay on the
    /// fields, and focus moves to the first bad one.
    pub fn validate(&mut self, ctx: &FormContext) -> Option<RequestSpec> {
        for f in &mut self.fields {
            f.error = None;
        }
        let check =
            |form: &mut Self, key: &'static str, result: Result<String, String>| -> String {
                match result {
                    Ok(v) => v,
                    Err(e) => {
                        form.set_error(key, Some(e));
                        String::new()
                    }
                }
            };
        let reason = check(self, "reason", validate::reason(self.value("reason")));
        let spec = match self.kind {
            FormKind::KafkaTopic | FormKind::CreateTopic => {
                let name = self.value("name").trim().to_owned();
                check(
                    self,
                    "name",
                    validate::topic_name(&name).map(|()| name.clone()),
                );
                let partitions = validate::partitions(self.value("partitions"));
                check(
                    self,
                    "partitions",
                    partitions.clone().map(|n| n.to_string()),
                );
                let replication = validate::replication(self.value("replication"), ctx.brokers);
                check(
                    self,
                    "replication",
                    replication.clone().map(|n| n.to_string()),
                );
                let retention = check(
                    self,
                    "retention",
                    validate::retention(self.value("retention")),
                );
                let cleanup = self.value("cleanup").to_owned();
                let owner = check(
                    self,
                    "owner_service",
                    if ctx.services.is_empty() {
                        validate::service_name(self.value("owner_service"))
                    } else {
                        validate::one_of(self.value("owner_service"), &ctx.services)
                    },
                );
                let mut configs = BTreeMap::new();
                configs.insert("retention.ms".to_owned(), retention);
                configs.insert("cleanup.policy".to_owned(), cleanup);
                RequestSpec::KafkaTopic(KafkaTopicSpec {
                    name,
                    partitions: partitions.unwrap_or_default(),
                    replication: replication.unwrap_or_default(),
                    configs,
                    owner_service: owner,
                    reason,
                })
            }
            // Not requests: silences are checked by `validate_silence`, and the on-call pane
            // reads its shift form itself.
            FormKind::Silence | FormKind::OncallShift | FormKind::PortForward => return None,
            FormKind::ReadReplica => {
                let database = check(
                    self,
                    "database",
                    validate::one_of(self.value("database"), &ctx.databases),
                );
                let ttl = check(self, "ttl", validate::ttl(self.value("ttl")));
                RequestSpec::ReadReplica(ReadReplicaSpec {
                    database,
                    size: self.value("size").to_owned(),
                    ttl,
                    reason,
                })
            }
        };
        if let Some(first_bad) = self.fields.iter().position(|f| f.error.is_some()) {
            self.focus = first_bad;
            return None;
        }
        Some(spec)
    }

    pub fn focus_by(&mut self, delta: isize) {
        let n = self.fields.len();
        self.focus = (self.focus.cast_signed() + delta)
            .rem_euclid(n.cast_signed())
            .cast_unsigned();
    }

    /// Types into the focused text field.
    pub fn type_char(&mut self, c: char) {
        if let Some(f) = self.fields.get_mut(self.focus)
            && matches!(f.kind, FieldKind::Text | FieldKind::Suggest(_))
            && f.value.chars().count() < 256
        {
            f.value.push(c);
            f.error = None;
        }
    }

    pub fn backspace(&mut self) {
        if let Some(f) = self.fields.get_mut(self.focus)
            && matches!(f.kind, FieldKind::Text | FieldKind::Suggest(_))
        {
            f.value.pop();
        }
    }

    /// Left/right on a choice field.
    pub fn cycle_choice(&mut self, forward: bool) {
        if let Some(f) = self.fields.get_mut(self.focus)
            && let FieldKind::Choice(options) | FieldKind::Suggest(options) = &f.kind
        {
            if options.is_empty() {
                return;
            }
            let i = options.iter().position(|o| *o == f.value).unwrap_or(0);
            let n = options.len();
            let next = if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            f.value.clone_from(&options[next]);
            f.error = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FormContext {
        FormContext {
            brokers: 3,
            databases: vec!["orders-db".into(), "payments-db".into()],
            services: vec!["checkout-api".into(), "ledger-service".into()],
        }
    }

    #[test]
    fn invalid_fields_keep_input_and_focus_the_first_error() {
        let mut form = Form::topic(&ctx(), Some("ledger-service"));
        for c in "bad name".chars() {
            form.type_char(c);
        }
        form.fields[2].value = "5".into();
        assert!(form.validate(&ctx()).is_none());
        assert_eq!(form.focus, 0);
        assert_eq!(form.fields[0].value, "bad name", "typed input is kept");
        assert!(
            form.fields[2]
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("from 1 to 3")
        );
        assert!(form.fields[6].error.is_some(), "reason is required");
    }

    #[test]
    fn valid_topic_form_builds_the_spec() {
        let mut form = Form::topic(&ctx(), Some("ledger-service"));
        form.fields[0].value = "ledger.audit.v1".into();
        form.fields[6].value = "ledger audit events for compliance".into();
        let Some(RequestSpec::KafkaTopic(spec)) = form.validate(&ctx()) else {
            panic!("valid")
        };
        assert_eq!(spec.partitions, 6);
        assert_eq!(spec.replication, 3);
        assert_eq!(spec.owner_service, "ledger-service");
        assert_eq!(
            spec.configs.get("retention.ms").map(String::as_str),
            Some("604800000")
        );
    }

    #[test]
    fn replica_form_cycles_choices() {
        let mut form = Form::replica(&ctx(), Some("payments-db"));
        assert_eq!(form.fields[0].value, "payments-db");
        form.cycle_choice(true);
        assert_eq!(form.fields[0].value, "orders-db");
        form.focus_by(1);
        form.cycle_choice(false);
        assert_eq!(form.fields[1].value, "xlarge");
        form.fields[3].value = "read-heavy report for finance".into();
        let Some(RequestSpec::ReadReplica(spec)) = form.validate(&ctx()) else {
            panic!("valid")
        };
        assert_eq!(
            (
                spec.database.as_str(),
                spec.size.as_str(),
                spec.ttl.as_str()
            ),
            ("orders-db", "xlarge", "8h")
        );
    }
}
