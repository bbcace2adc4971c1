//! Topic administration from the Kafka pane, every change through the audit gate:
//!
//! - create: the form → policy (`POST /v1/policy/check`) → a plan checked without creating
//!   (the broker's `validate_only` where it has one) → the confirmation → the gate. When
//!   policy says `needs_approval` the same form is filed as a self-service topic request
//!   instead, which the requests pane tracks;
//! - change configs: `key=value` sets, `-key` resets to the default; the dialog shows the
//!   diff of old and new values (`IncrementalAlterConfigs` touches only these keys);
//! - add partitions: the new total, with what it means for keyed messages.

use std::collections::BTreeMap;

use crate::app::ctx::{Ctx, Focus};
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::modal::form::FormKind;
use crate::app::msg::{Cmd, PlatformCall};
use crate::app::panes::PaneId;
use crate::app::panes::kafka::{KafkaPane, KafkaView, TopicPage};
use crate::app::state::{Prompt, PromptPurpose, ToastLevel};
use crate::model::action::ActionRequest;
use crate::model::kafka::{ConfigSource, TopicConfig, retention_ms, validate_partition_total};
use crate::model::platform::{Decision, KafkaTopicSpec, PolicyAnswer, RequestSpec};

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[
    crate::keymap::Action::ToggleView,
    crate::keymap::Action::ToggleInternal,
    crate::keymap::Action::DeleteSelected,
    crate::keymap::Action::CreateTopic,
    crate::keymap::Action::EditConfigs,
    crate::keymap::Action::AddPartitions,
    crate::keymap::Action::ResetOffsets,
    crate::keymap::Action::SkipMessage,
    crate::keymap::Action::PeekMessages,
    crate::keymap::Action::ValueView,
];

/// `c`: the create-topic form (or its draft).
pub fn open_create(ctx: &mut Ctx<'_>) {
    let probe = ActionRequest::CreateTopic {
        name: String::new(),
        partitions: 0,
        replication: 0,
        configs: BTreeMap::new(),
    };
    if ctx.refused(&probe) {
        return;
    }
    ctx.open_form(FormKind::CreateTopic);
}

/// Policy answered for a direct creation: plan it, file a request instead, or say no.
pub fn on_topic_policy(
    ctx: &mut Ctx<'_>,
    spec: KafkaTopicSpec,
    answer: Result<PolicyAnswer, String>,
) -> Vec<Cmd> {
    let Some(form) = ctx.form_mut(FormKind::CreateTopic) else {
        return Vec::new();
    };
    match answer {
        Err(e) => {
            form.submitting = false;
            form.error = Some(format!("could not ask the platform's policy: {e}"));
            Vec::new()
        }
        Ok(answer) => match answer.decision {
            Decision::Allow => {
                let request = ActionRequest::create_topic(&spec);
                vec![Cmd::PlanTopic {
                    request,
                    reason: spec.reason,
                }]
            }
            Decision::NeedsApproval => {
                ctx.toast(
                    ToastLevel::Info,
                    format!(
                        "{}: filing it as a topic request for approval (see :requests)",
                        answer.reason
                    ),
                );
                vec![Cmd::Platform(PlatformCall::Create(
                    RequestSpec::KafkaTopic(spec),
                ))]
            }
            Decision::Deny => {
                // The same fields make a topic request, which an approver may grant: the
                // form becomes one, keeping what was typed, and says so.
                form.submitting = false;
                form.kind = FormKind::KafkaTopic;
                form.error = Some(format!(
                    "policy denies creating it directly: {}. Press enter to file it as a \
                     topic request instead; an approver decides (see :requests)",
                    answer.reason
                ));
                Vec::new()
            }
        },
    }
}

fn config_value(key: &str, value: &str) -> String {
    if key == "retention.ms"
        && let Ok(ms) = value.parse::<i64>()
    {
        return match ms {
            -1 => "-1 (forever)".into(),
            ms if ms % 86_400_000 == 0 => format!("{ms} ({}d)", ms / 86_400_000),
            ms if ms % 3_600_000 == 0 => format!("{ms} ({}h)", ms / 3_600_000),
            ms => ms.to_string(),
        };
    }
    value.to_owned()
}

/// The plan was checked: show it for confirmation, or hand the problem back to the form.
pub fn on_topic_planned(
    ctx: &mut Ctx<'_>,
    request: ActionRequest,
    reason: String,
    plan: Result<String, String>,
) -> Vec<Cmd> {
    let Some(form) = ctx.form_mut(FormKind::CreateTopic) else {
        return Vec::new();
    };
    form.submitting = false;
    let note = match plan {
        Ok(note) => note,
        Err(e) => {
            form.error = Some(e);
            return Vec::new();
        }
    };
    // The form is kept as a draft until the topic exists, so a cancelled confirmation
    // loses nothing.
    ctx.keep_form_as_draft();
    let ActionRequest::CreateTopic {
        name,
        partitions,
        replication,
        configs,
    } = &request
    else {
        return Vec::new();
    };
    let mut details = vec![
        ("topic".to_owned(), name.clone()),
        ("partitions".to_owned(), partitions.to_string()),
        (
            "replication".to_owned(),
            format!("{replication} (of {} brokers)", ctx.context.kafka_brokers),
        ),
    ];
    details.extend(configs.iter().map(|(k, v)| (k.clone(), config_value(k, v))));
    let title = format!("create topic {name}?");
    let mut confirm = Confirm::new(request, title, details).with_note(NoteLevel::Info, note);
    confirm.reason = reason;
    ctx.confirm(confirm);
    Vec::new()
}

/// `e`: change the selected (or open) topic's configs. Opens the topic on its configs so
/// the current values are there to diff against.
pub fn ask_edit_configs(kafka: &mut KafkaPane, ctx: &mut Ctx<'_>) -> Vec<Cmd> {
    let Some(topic) = kafka.target_topic() else {
        ctx.toast(ToastLevel::Info, "select a topic first");
        return Vec::new();
    };
    let probe = ActionRequest::AlterTopicConfigs {
        name: topic.clone(),
        set: BTreeMap::new(),
        delete: Vec::new(),
    };
    if ctx.refused(&probe) {
        return Vec::new();
    }
    if crate::model::kafka::is_internal(&topic) {
        ctx.toast(
            ToastLevel::Warn,
            format!("{topic} is internal to Kafka: opsdeck does not change it"),
        );
        return Vec::new();
    }
    let mut cmds = Vec::new();
    if kafka.open_topic() != Some(topic.as_str()) {
        kafka.detail = Some(topic.clone());
        kafka.configs = None;
        cmds.push(Cmd::LoadTopicConfigs {
            topic: topic.clone(),
        });
    }
    kafka.topic_page = TopicPage::Configs;
    let input = kafka
        .configs
        .as_ref()
        .map(|c| {
            c.overrides()
                .iter()
                .filter_map(|c| c.value.as_ref().map(|v| format!("{}={v}", c.name)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    ctx.prompt(Prompt {
        title: format!("change configs of {topic}"),
        input,
        error: None,
        purpose: PromptPurpose::EditConfigs(topic),
        hint: "key=value sets · -key resets · e.g. retention.ms=3d".into(),
    });
    cmds
}

/// Parses `key=value` (set) and `-key` (reset to default) words; the last word for a key
/// wins.
pub fn parse_config_edit(input: &str) -> Result<(BTreeMap<String, String>, Vec<String>), String> {
    let valid_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
    };
    let mut set = BTreeMap::new();
    let mut delete = Vec::new();
    for word in input.split_whitespace() {
        let (key, value) = match word.strip_prefix('-') {
            Some(key) => {
                if !valid_key(key) {
                    return Err(format!(
                        "`{word}`: -key resets a config, e.g. -retention.ms"
                    ));
                }
                (key, None)
            }
            None => {
                let Some((key, value)) = word.split_once('=') else {
                    return Err(format!(
                        "`{word}`: write key=value to set, -key to reset to the default"
                    ));
                };
                if !valid_key(key) || value.is_empty() {
                    return Err(format!("`{word}`: write key=value, e.g. retention.ms=3d"));
                }
                (key, Some(value))
            }
        };
        // The prompt starts with the current overrides, so a later word for the same key
        // wins, as on a command line.
        set.remove(key);
        delete.retain(|k| k != key);
        match value {
            None => delete.push(key.to_owned()),
            Some(value) => {
                let value = if key == "retention.ms" {
                    retention_ms(value)?
                } else {
                    crate::model::kafka::validate_config(key, value)?;
                    value.to_owned()
                };
                set.insert(key.to_owned(), value);
            }
        }
    }
    Ok((set, delete))
}

fn source_label(source: ConfigSource) -> &'static str {
    match source {
        ConfigSource::Default => "default",
        ConfigSource::TopicOverride => "topic override",
        ConfigSource::Broker => "broker",
        ConfigSource::Other => "other",
    }
}

/// One `(key, "old → new")` row per key that really changes; sets equal to the current
/// value and resets of keys that are not overridden are dropped from `set` and `delete`.
pub fn config_diff(
    current: &[TopicConfig],
    set: &mut BTreeMap<String, String>,
    delete: &mut Vec<String>,
) -> Result<Vec<(String, String)>, String> {
    let find = |k: &str| current.iter().find(|c| c.name == k);
    let old = |c: Option<&TopicConfig>| match c {
        Some(c) => format!(
            "{} ({})",
            c.value
                .as_deref()
                .map_or("hidden".into(), |v| config_value(&c.name, v)),
            source_label(c.source)
        ),
        None => "unset".into(),
    };
    set.retain(|k, v| {
        find(k).is_none_or(|c| {
            c.source != ConfigSource::TopicOverride || c.value.as_deref() != Some(v.as_str())
        })
    });
    delete.retain(|k| find(k).is_some_and(|c| c.source == ConfigSource::TopicOverride));
    let mut rows: Vec<(String, String)> = set
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                format!("{} → {}", old(find(k)), config_value(k, v)),
            )
        })
        .collect();
    rows.extend(
        delete
            .iter()
            .map(|k| (k.clone(), format!("{} → inherited default", old(find(k))))),
    );
    if rows.is_empty() {
        return Err("nothing changes: every value is already as given".into());
    }
    Ok(rows)
}

/// The config prompt was answered: show the diff for confirmation.
pub fn configs_entered(
    kafka: &KafkaPane,
    ctx: &mut Ctx<'_>,
    topic: &str,
    input: &str,
) -> Result<Vec<Cmd>, String> {
    let (mut set, mut delete) = parse_config_edit(input)?;
    let loaded = kafka
        .configs
        .as_ref()
        .filter(|c| c.topic == topic)
        .ok_or("the topic's configs are still loading: press enter again in a moment")?;
    let current = loaded
        .result
        .as_ref()
        .map_err(|e| format!("no diff without the current configs: {e}"))?;
    let rows = config_diff(current, &mut set, &mut delete)?;
    let n = rows.len();
    let request = ActionRequest::AlterTopicConfigs {
        name: topic.to_owned(),
        set,
        delete,
    };
    let confirm = Confirm::new(request, format!("change {n} config(s) of {topic}?"), rows)
        .with_note(
            NoteLevel::Info,
            "only these keys change (IncrementalAlterConfigs); other overrides stay",
        );
    ctx.confirm(confirm);
    Ok(Vec::new())
}

/// `+`: add partitions to the selected (or open) topic.
pub fn ask_add_partitions(kafka: &KafkaPane, ctx: &mut Ctx<'_>) {
    let Some(topic) = kafka.target_topic() else {
        ctx.toast(ToastLevel::Info, "select a topic first");
        return;
    };
    let probe = ActionRequest::AddPartitions {
        name: topic.clone(),
        total: 0,
    };
    if ctx.refused(&probe) {
        return;
    }
    let current = current_partitions(kafka, &topic);
    ctx.prompt(Prompt {
        title: format!("add partitions to {topic} (has {current})"),
        input: String::new(),
        error: None,
        purpose: PromptPurpose::AddPartitions(topic),
        hint: format!("the new total, more than {current}"),
    });
}

fn current_partitions(kafka: &KafkaPane, topic: &str) -> usize {
    kafka
        .snapshot
        .as_ref()
        .and_then(|s| s.topic(topic))
        .map_or(0, |t| t.partitions.len())
}

/// The partition prompt was answered: confirm the growth.
pub fn partitions_entered(
    kafka: &KafkaPane,
    ctx: &mut Ctx<'_>,
    topic: &str,
    input: &str,
) -> Result<Vec<Cmd>, String> {
    let total: i32 = input
        .trim()
        .parse()
        .map_err(|_| format!("`{}`: type the new total as a number", input.trim()))?;
    let current = current_partitions(kafka, topic);
    validate_partition_total(current, total)?;
    let request = ActionRequest::AddPartitions {
        name: topic.to_owned(),
        total,
    };
    let details = vec![
        ("topic".to_owned(), topic.to_owned()),
        ("partitions".to_owned(), format!("{current} → {total}")),
    ];
    let confirm = Confirm::new(request, format!("add partitions to {topic}?"), details).with_note(
        NoteLevel::Warn,
        "keyed messages map to other partitions afterwards; partitions cannot be removed",
    );
    ctx.confirm(confirm);
    Ok(Vec::new())
}

/// After a Kafka action ran: drop the creation draft, re-read the open topic's configs.
pub fn after_action(
    kafka: &KafkaPane,
    ctx: &mut Ctx<'_>,
    request: &ActionRequest,
    succeeded: bool,
) -> Vec<Cmd> {
    match request {
        ActionRequest::CreateTopic { .. } if succeeded => {
            ctx.drop_draft(FormKind::CreateTopic);
            Vec::new()
        }
        ActionRequest::AlterTopicConfigs { name, .. }
            if kafka.open_topic() == Some(name.as_str()) =>
        {
            vec![Cmd::LoadTopicConfigs {
                topic: name.clone(),
            }]
        }
        _ => Vec::new(),
    }
}

/// The Kafka pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(
    kafka: &mut KafkaPane,
    ctx: &mut Ctx<'_>,
    action: crate::keymap::Action,
) -> Option<Vec<Cmd>> {
    use crate::keymap::Action;
    if let Some(cmds) = super::first_aid::on_peek_key(kafka, action)
        .or_else(|| super::first_aid::on_readers_key(kafka, action))
    {
        return Some(cmds);
    }
    match action {
        Action::ResetOffsets => super::first_aid::ask_reset(kafka, ctx),
        Action::SkipMessage => super::first_aid::ask_skip(kafka, ctx),
        Action::PeekMessages => super::first_aid::ask_peek(kafka, ctx),
        Action::Select => {
            return Some(
                kafka
                    .open_detail()
                    .map(|topic| Cmd::LoadTopicConfigs { topic })
                    .into_iter()
                    .collect(),
            );
        }
        Action::ToggleInternal => kafka.toggle_internal(),
        Action::DeleteSelected => crate::app::panes::kafka::ask_delete(kafka, ctx),
        Action::ToggleView if kafka.open_topic().is_some() => kafka.next_topic_page(),
        Action::ToggleView => kafka.next_view(),
        Action::CreateTopic => open_create(ctx),
        Action::EditConfigs => return Some(ask_edit_configs(kafka, ctx)),
        Action::AddPartitions => ask_add_partitions(kafka, ctx),
        _ => return None,
    }
    Some(Vec::new())
}

/// A Kafka prompt was answered: the configs' diff or the partitions' growth to confirm.
pub fn on_prompt(
    kafka: &KafkaPane,
    ctx: &mut Ctx<'_>,
    purpose: &PromptPurpose,
    input: &str,
) -> Result<Vec<Cmd>, String> {
    if let Some(answer) = super::first_aid::on_prompt(kafka, purpose, input) {
        return answer;
    }
    match purpose {
        PromptPurpose::EditConfigs(topic) => configs_entered(kafka, ctx, topic, input),
        PromptPurpose::AddPartitions(topic) => partitions_entered(kafka, ctx, topic, input),
        _ => Ok(Vec::new()),
    }
}

/// The incident view's lag panel: the consumer groups, with the service's group selected.
pub fn focus(kafka: &mut KafkaPane, ctx: &mut Ctx<'_>, focus: &Focus) -> Vec<Cmd> {
    let Focus::Group(group) = focus else {
        return Vec::new();
    };
    ctx.show(PaneId::Kafka);
    kafka.close_detail();
    while kafka.view != KafkaView::Groups {
        kafka.next_view();
    }
    if let (Some(group), Some(snapshot)) = (group, kafka.snapshot.clone()) {
        let index = snapshot.groups.iter().position(|g| &g.name == group);
        let visible = index.and_then(|i| {
            (0..kafka.table.visible.len()).find(|&v| kafka.row_index(kafka.table.visible[v]) == i)
        });
        if let Some(v) = visible {
            kafka.table.select(v);
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(name: &str, value: &str, source: ConfigSource) -> TopicConfig {
        TopicConfig {
            name: name.into(),
            value: Some(value.into()),
            source,
        }
    }

    #[test]
    fn edits_parse_sets_and_resets() {
        let (set, delete) =
            parse_config_edit("retention.ms=3d  cleanup.policy=compact -segment.bytes")
                .expect("valid");
        assert_eq!(set["retention.ms"], "259200000");
        assert_eq!(set["cleanup.policy"], "compact");
        assert_eq!(delete, vec!["segment.bytes".to_owned()]);
        let (set, delete) = parse_config_edit(
            "retention.ms=1d cleanup.policy=delete retention.ms=2d -cleanup.policy",
        )
        .expect("valid");
        assert_eq!(set.len(), 1, "the last word for a key wins");
        assert_eq!(set["retention.ms"], "172800000");
        assert_eq!(delete, vec!["cleanup.policy".to_owned()]);
        for bad in [
            "retention.ms",
            "=5",
            "retention.ms=",
            "-",
            "Retention.ms=1",
            "cleanup.policy=sometimes",
            "retention.ms=soon",
        ] {
            assert!(parse_config_edit(bad).is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn diff_keeps_only_real_changes() {
        let current = vec![
            cfg("retention.ms", "604800000", ConfigSource::TopicOverride),
            cfg("cleanup.policy", "delete", ConfigSource::Default),
            cfg("min.insync.replicas", "2", ConfigSource::Broker),
            cfg("segment.bytes", "1073741824", ConfigSource::Default),
        ];
        let (mut set, mut delete) = parse_config_edit(
            "retention.ms=7d cleanup.policy=compact min.insync.replicas=2 -segment.bytes",
        )
        .expect("valid");
        let rows = config_diff(&current, &mut set, &mut delete).expect("changes");
        assert_eq!(
            rows,
            vec![
                (
                    "cleanup.policy".to_owned(),
                    "delete (default) → compact".to_owned()
                ),
                (
                    "min.insync.replicas".to_owned(),
                    "2 (broker) → 2".to_owned()
                ),
            ],
            "equal override dropped, broker value pinned, reset of a default dropped"
        );
        assert!(delete.is_empty());
        let (mut set, mut delete) = parse_config_edit("retention.ms=7d").expect("valid");
        assert!(config_diff(&current, &mut set, &mut delete).is_err());
        let (mut set, mut delete) = parse_config_edit("-retention.ms").expect("valid");
        let rows = config_diff(&current, &mut set, &mut delete).expect("reset");
        assert_eq!(
            rows[0].1,
            "604800000 (7d) (topic override) → inherited default"
        );
    }
}
