//! Topic administration from the Kafka pane against the sandbox cluster and the real
//! platform server: create (policy → plan → confirm → gate), the same form filed as a
//! request when policy needs approval, config changes with a diff, and added partitions.
//! Commands run for real and their answers come back through `update`, as in the run loop.

use crossterm::event::KeyCode;
use opsdeck::actions::gate::{AuditGate, GateOutcome};
use opsdeck::actions::journal::Journal;
use opsdeck::app::modal::form::FormKind;
use opsdeck::app::msg::ActionReport;
use opsdeck::app::panes::kafka::TopicPage;
use opsdeck::app::state::Modal;
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::model::platform::{ClientInfo, OutcomeStatus, RequestSpec};
use opsdeck::platform::policy::Policy;
use opsdeck::platform::server::{LocalServer, Source, spawn_local};
use opsdeck::runtime::platform_calls;
use opsdeck::screenshot::epoch;
use opsdeck::sources::backend::KafkaBackend;
use opsdeck::sources::platform::{PlatformClient, Token};
use opsdeck::sources::sandbox::backend::SandboxBackend;
use opsdeck::sources::sandbox::kafka::SandboxKafkaExecutor;
use opsdeck::sources::sandbox::{SandboxHandle, World};
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};

use super::keys::{key, screen, state, typed};

struct Rig {
    _server: LocalServer,
    client: PlatformClient,
    dir: tempfile::TempDir,
    sandbox: SandboxHandle,
}

/// A platform whose policy is `policy` (the sandbox user's groups are `sandbox` and
/// `approvers`), and the sandbox world the actions hit.
async fn rig(policy: Option<&str>) -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut setup = opsdeck::platform::sandbox::sandbox_setup(dir.path(), "dev");
    if let Some(text) = policy {
        setup.options.policy = Source::Value(Policy::parse(text).expect("policy"));
    }
    let server = spawn_local(setup.options).await.expect("server starts");
    let client = PlatformClient::new(&server.url(), Token::new(setup.token)).expect("client");
    Rig {
        _server: server,
        client,
        dir,
        sandbox: SandboxHandle::spawn(World::new(7, epoch())),
    }
}

async fn feed(s: &mut State, sandbox: &SandboxHandle) {
    let snapshot = sandbox.kafka().await.expect("snapshot");
    let event = SourceEvent {
        source: SourceId::Kafka,
        generation: s.generation,
        body: SourceBody::Kafka(snapshot),
    };
    update(s, Msg::Source(event));
}

/// Runs `cmds` the way the run loop does (platform calls, plans, config reads and the audit
/// gate) until none is left; the gate's reports are returned.
async fn carry(s: &mut State, rig: &Rig, cmds: Vec<Cmd>) -> Vec<ActionReport> {
    let kafka = SandboxBackend::new(rig.sandbox.clone(), "dev".into());
    let mut queue = cmds;
    let mut reports = Vec::new();
    while let Some(cmd) = (!queue.is_empty()).then(|| queue.remove(0)) {
        let msg = match cmd {
            Cmd::Platform(call) => {
                let reply = platform_calls::call(&rig.client, call).await;
                Msg::PlatformDone(Box::new(reply))
            }
            Cmd::PlanTopic { request, reason } => Msg::TopicPlanned {
                plan: kafka
                    .plan_topic(request.clone())
                    .await
                    .map_err(String::from),
                request,
                reason,
            },
            Cmd::LoadTopicConfigs { topic } => Msg::KafkaConfigs {
                configs: kafka.topic_configs(&topic).await.map_err(String::from),
                topic,
            },
            Cmd::Execute { request, reason } => {
                let gate = AuditGate::new(
                    rig.client.clone(),
                    Journal::open(rig.dir.path()).expect("journal"),
                    "dev",
                    ClientInfo {
                        version: "test".into(),
                        host: "test".into(),
                    },
                );
                let executor = SandboxKafkaExecutor {
                    sandbox: rig.sandbox.clone(),
                };
                let outcome = gate.run(request.clone(), reason, &executor).await;
                let report = ActionReport { request, outcome };
                reports.push(report.clone());
                Msg::ActionDone(Box::new(report))
            }
            Cmd::Refresh(_) => {
                feed(s, &rig.sandbox).await;
                continue;
            }
            // What the run loop writes to the data dir is what the state holds.
            Cmd::SaveHeldActions(held) => {
                assert_eq!(held, s.held_actions);
                continue;
            }
            other => panic!("unexpected command {other:?}"),
        };
        queue.extend(update(s, msg));
    }
    reports
}

fn kafka_state() -> State {
    let mut s = state();
    s.context.platform = true;
    key(&mut s, KeyCode::Char('4'));
    s
}

fn select_topic(s: &mut State, name: &str) {
    let snapshot = s.panes.kafka.snapshot.clone().expect("snapshot");
    let row = s
        .panes
        .kafka
        .table
        .visible
        .iter()
        .position(|&v| snapshot.topics[s.panes.kafka.row_index(v)].name == name)
        .expect("topic listed");
    s.panes.kafka.table.select(row);
}

fn fill_create_form(s: &mut State, name: &str) -> Vec<Cmd> {
    let Some(Modal::Form(form)) = &mut s.modal else {
        panic!("the create form is open: {:?}", s.modal)
    };
    assert_eq!(form.kind.title(), "create a Kafka topic");
    form.fields[0].value = name.into();
    form.fields[3].value = "3d".into();
    form.fields[6].value = "billing events for the ledger".into();
    key(s, KeyCode::Enter)
}

#[tokio::test]
async fn create_checks_policy_then_the_plan_then_runs_through_the_gate() {
    let rig = rig(None).await;
    let mut s = kafka_state();
    feed(&mut s, &rig.sandbox).await;
    assert!(key(&mut s, KeyCode::Char('c')).is_empty());
    // A bad field never leaves the form.
    let Some(Modal::Form(form)) = &mut s.modal else {
        panic!("form")
    };
    form.fields[1].value = "0".into();
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    let Some(Modal::Form(form)) = &mut s.modal else {
        panic!("form stays open")
    };
    assert!(form.fields[1].error.is_some(), "partitions flagged");
    form.fields[1].value = "12".into();

    let cmds = fill_create_form(&mut s, "billing.events.v1");
    assert!(
        matches!(cmds.as_slice(), [Cmd::Platform(_)]),
        "policy is asked first: {cmds:?}"
    );
    let reports = carry(&mut s, &rig, cmds).await;
    assert!(reports.is_empty(), "nothing runs before the user confirms");
    let Some(Modal::Confirm(confirm)) = &s.modal else {
        panic!("the plan is shown: {:?}", s.modal)
    };
    assert!(
        confirm
            .notes
            .iter()
            .any(|(_, n)| n.contains("accepted this plan")),
        "{:?}",
        confirm.notes
    );
    assert!(
        confirm
            .details
            .contains(&("retention.ms".into(), "259200000 (3d)".into()))
    );
    assert_eq!(s.drafts.len(), 1, "kept as a draft until created");

    let cmds = key(&mut s, KeyCode::Enter);
    let reports = carry(&mut s, &rig, cmds).await;
    let [report] = reports.as_slice() else {
        panic!("one action: {reports:?}")
    };
    let GateOutcome::Executed { result, .. } = &report.outcome else {
        panic!("executed: {:?}", report.outcome)
    };
    assert_eq!(result.status, OutcomeStatus::Succeeded, "{}", result.detail);
    assert!(s.drafts.is_empty(), "the draft goes once the topic exists");
    let snapshot = s.panes.kafka.snapshot.clone().expect("snapshot");
    let topic = snapshot.topic("billing.events.v1").expect("created");
    assert_eq!(topic.partitions.len(), 12);
    assert_eq!(topic.retention_ms, Some(259_200_000));

    // The same name again: the plan fails and the form keeps its input.
    key(&mut s, KeyCode::Char('c'));
    let cmds = fill_create_form(&mut s, "billing.events.v1");
    carry(&mut s, &rig, cmds).await;
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("form stays open")
    };
    assert!(
        form.error
            .as_deref()
            .unwrap_or_default()
            .contains("already exists"),
        "{:?}",
        form.error
    );
    assert_eq!(form.fields[0].value, "billing.events.v1");
}

/// A policy under which `action` needs approval and every other Kafka action is allowed
/// (the sandbox user approves their own requests).
fn approval_policy(action: &str) -> String {
    format!(
        r#"
approvers = ["approvers"]
self_approval = true

[[rule]]
action = "{action}"
groups = ["sandbox"]
approval = true

[[rule]]
action = "kafka.*"
groups = ["sandbox"]

[[rule]]
action = "request.*"
groups = ["*"]
"#
    )
}

#[tokio::test]
async fn needs_approval_files_a_topic_request_instead() {
    let rig = rig(Some(&approval_policy("kafka.topic.create"))).await;
    let mut s = kafka_state();
    feed(&mut s, &rig.sandbox).await;
    key(&mut s, KeyCode::Char('c'));
    let cmds = fill_create_form(&mut s, "billing.events.v2");
    let reports = carry(&mut s, &rig, cmds).await;
    assert!(reports.is_empty(), "nothing is created directly");
    assert!(
        s.modal.is_none(),
        "the form closes once the request is filed"
    );
    let requests = rig.client.list_requests(false).await.expect("requests");
    let [request] = requests.as_slice() else {
        panic!("one request: {requests:?}")
    };
    let RequestSpec::KafkaTopic(spec) = &request.spec else {
        panic!("a topic request")
    };
    assert_eq!(spec.name, "billing.events.v2");
    assert_eq!(spec.partitions, 6);
    let snapshot = rig.sandbox.kafka().await.expect("snapshot");
    assert!(snapshot.topic("billing.events.v2").is_none(), "not created");

    let denied = r#"
[[rule]]
action = "request.*"
groups = ["*"]
"#;
    let rig = self::rig(Some(denied)).await;
    let mut s = kafka_state();
    key(&mut s, KeyCode::Char('c'));
    let cmds = fill_create_form(&mut s, "billing.events.v3");
    carry(&mut s, &rig, cmds).await;
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("a denial keeps the form")
    };
    assert!(
        form.error
            .as_deref()
            .unwrap_or_default()
            .contains("default deny"),
        "{:?}",
        form.error
    );
    // It points to the way that may still work: the same fields as a request.
    assert_eq!(form.kind.title(), FormKind::KafkaTopic.title());
    assert!(
        form.error
            .as_deref()
            .unwrap_or_default()
            .contains("Press enter to file it as a topic request"),
        "{:?}",
        form.error
    );
    assert_eq!(
        form.fields[0].value, "billing.events.v3",
        "nothing typed is lost"
    );
    let cmds = key(&mut s, KeyCode::Enter);
    carry(&mut s, &rig, cmds).await;
    assert!(s.modal.is_none(), "filed: {:?}", s.modal);
    let requests = rig.client.list_requests(false).await.expect("requests");
    let [request] = requests.as_slice() else {
        panic!("one request: {requests:?}")
    };
    assert!(matches!(&request.spec, RequestSpec::KafkaTopic(t) if t.name == "billing.events.v3"));
}

#[tokio::test]
async fn without_a_catalog_the_owner_is_typed_and_checked() {
    let rig = rig(None).await;
    let mut s = kafka_state();
    s.panes.catalog.catalog = std::sync::Arc::new(opsdeck::model::service::Catalog::default());
    key(&mut s, KeyCode::Char('c'));
    let Some(Modal::Form(form)) = &mut s.modal else {
        panic!("form")
    };
    let owner = form
        .fields
        .iter()
        .position(|f| f.key == "owner_service")
        .expect("owner field");
    form.fields[owner].value = "-bad name".into();
    fill_create_form(&mut s, "ledger.corrections.v9");
    let Some(Modal::Form(form)) = &mut s.modal else {
        panic!("a bad owner keeps the form open")
    };
    assert!(form.fields[owner].error.is_some(), "owner flagged");
    form.fields[owner].value = String::new();
    "ledger-service".chars().for_each(|c| form.type_char(c));
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::Platform(_)]), "{cmds:?}");
    carry(&mut s, &rig, cmds).await;
    assert!(matches!(s.modal, Some(Modal::Confirm(_))), "{:?}", s.modal);
}

#[tokio::test]
async fn config_changes_show_a_diff_and_keep_other_overrides() {
    let rig = rig(None).await;
    let mut s = kafka_state();
    feed(&mut s, &rig.sandbox).await;
    select_topic(&mut s, "orders.placed.v1");
    let cmds = key(&mut s, KeyCode::Enter);
    carry(&mut s, &rig, cmds).await;
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.kafka.topic_page, TopicPage::Configs);
    let configs = s.panes.kafka.configs.clone().expect("configs read");
    assert!(
        configs
            .result
            .expect("ok")
            .iter()
            .any(|c| c.name == "min.insync.replicas"),
        "broker values are listed"
    );

    // Set two overrides, then change one of them: the other must survive.
    for (edit, expect_rows) in [
        ("retention.ms=3d cleanup.policy=compact", 2),
        ("retention.ms=1d", 1),
    ] {
        key(&mut s, KeyCode::Char('e'));
        let Some(Modal::Prompt(prompt)) = &mut s.modal else {
            panic!("prompt")
        };
        prompt.input.clear();
        typed(&mut s, edit);
        key(&mut s, KeyCode::Enter);
        let Some(Modal::Confirm(confirm)) = &s.modal else {
            panic!("diff shown: {:?}", s.modal)
        };
        assert_eq!(confirm.details.len(), expect_rows, "{:?}", confirm.details);
        let cmds = key(&mut s, KeyCode::Enter);
        let reports = carry(&mut s, &rig, cmds).await;
        assert!(reports[0].outcome.executed(), "{:?}", reports[0].outcome);
    }
    let Some(Ok(configs)) = s.panes.kafka.configs.clone().map(|c| c.result) else {
        panic!("configs re-read after the change")
    };
    let value = |k: &str| {
        configs
            .iter()
            .find(|c| c.name == k)
            .and_then(|c| c.value.clone())
    };
    assert_eq!(value("retention.ms").as_deref(), Some("86400000"));
    assert_eq!(
        value("cleanup.policy").as_deref(),
        Some("compact"),
        "the untouched override survived"
    );
    let Some(Modal::Prompt(_)) = ({
        key(&mut s, KeyCode::Char('e'));
        &s.modal
    }) else {
        panic!("prompt")
    };
    let Some(Modal::Prompt(prompt)) = &s.modal else {
        unreachable!()
    };
    assert!(
        prompt.input.contains("cleanup.policy=compact"),
        "the prompt starts from the overrides: {}",
        prompt.input
    );
    key(&mut s, KeyCode::Enter);
    let Some(Modal::Prompt(prompt)) = &s.modal else {
        panic!("no change keeps the prompt")
    };
    assert!(
        prompt
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("nothing changes")
    );
}

#[tokio::test]
async fn partitions_only_grow() {
    let rig = rig(None).await;
    let mut s = kafka_state();
    feed(&mut s, &rig.sandbox).await;
    select_topic(&mut s, "orders.placed.v1");
    key(&mut s, KeyCode::Char('+'));
    typed(&mut s, "3");
    key(&mut s, KeyCode::Enter);
    let Some(Modal::Prompt(prompt)) = &mut s.modal else {
        panic!("prompt stays")
    };
    assert!(
        prompt
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("only grow"),
        "{:?}",
        prompt.error
    );
    prompt.input.clear();
    typed(&mut s, "12");
    key(&mut s, KeyCode::Enter);
    let cmds = key(&mut s, KeyCode::Enter);
    let reports = carry(&mut s, &rig, cmds).await;
    assert!(reports[0].outcome.executed());
    let snapshot = s.panes.kafka.snapshot.clone().expect("snapshot");
    assert_eq!(
        snapshot
            .topic("orders.placed.v1")
            .expect("topic")
            .partitions
            .len(),
        12
    );
}

async fn feed_platform(s: &mut State, rig: &Rig) -> Vec<Cmd> {
    let snapshot = opsdeck::sources::platform_feed::fetch(&rig.client)
        .await
        .expect("platform snapshot");
    let event = SourceEvent {
        source: SourceId::Platform,
        generation: s.generation,
        body: SourceBody::Platform(std::sync::Arc::new(snapshot)),
    };
    update(s, Msg::Source(event))
}

fn toast_text(s: &State) -> String {
    s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default()
}

/// A delete that needs approval is held by the console that asked; once approved, the
/// feed says so and how to run it, and the requests pane runs it (`R`): the same typed-name
/// confirmation, then the gate, whose intent uses the approval. Nothing needs the original
/// key again, and the held copy is spent.
#[tokio::test]
async fn an_approved_delete_runs_from_the_requests_pane() {
    let rig = rig(Some(&approval_policy("kafka.topic.delete"))).await;
    let mut s = kafka_state();
    feed(&mut s, &rig.sandbox).await;
    feed_platform(&mut s, &rig).await;
    let topic = s
        .panes
        .kafka
        .snapshot
        .as_ref()
        .and_then(|snap| snap.topics.iter().find(|t| !t.name.starts_with("__")))
        .map(|t| t.name.clone())
        .expect("a topic");
    select_topic(&mut s, &topic);
    update(
        &mut s,
        Msg::Input(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::new(
                KeyCode::Char('d'),
                crossterm::event::KeyModifiers::CONTROL,
            ),
        )),
    );
    typed(&mut s, &topic);
    let cmds = key(&mut s, KeyCode::Enter);
    let reports = carry(&mut s, &rig, cmds).await;
    assert!(
        matches!(
            reports.as_slice(),
            [ActionReport {
                outcome: GateOutcome::NeedsApproval { .. },
                ..
            }]
        ),
        "{reports:?}"
    );
    let (id, held) = s.held_actions.iter().next().expect("held");
    assert_eq!(
        held.request,
        opsdeck::actions::ActionRequest::DeleteTopic {
            name: topic.clone()
        }
    );
    let id = id.clone();
    let still = rig.sandbox.kafka().await.expect("snapshot");
    assert!(still.topic(&topic).is_some(), "nothing ran yet");

    // The approver approves; the next platform list tells the requester how to run it.
    rig.client.approve_request(&id).await.expect("approved");
    feed_platform(&mut s, &rig).await;
    let text = toast_text(&s);
    assert!(text.contains("approved by"), "{text}");
    assert!(text.contains("press R on it in :requests"), "{text}");

    // The requests pane: its detail says who carries it out, and R runs it.
    key(&mut s, KeyCode::Char('8'));
    select_request(&mut s, &id);
    let text = screen(&s);
    assert!(
        text.contains("Next      approved: run it from here with R"),
        "{text}"
    );
    key(&mut s, KeyCode::Char('R'));
    let Some(Modal::Confirm(confirm)) = &s.modal else {
        panic!("the action's confirmation: {:?}", s.modal)
    };
    assert!(matches!(
        &confirm.policy,
        opsdeck::app::modal::confirm::PolicyView::Approved(by) if by.contains(&id)
    ));
    typed(&mut s, &topic);
    let cmds = key(&mut s, KeyCode::Enter);
    let reports = carry(&mut s, &rig, cmds).await;
    let [report] = reports.as_slice() else {
        panic!("one run: {reports:?}")
    };
    assert!(
        matches!(&report.outcome, GateOutcome::Executed { result, .. } if result.status == OutcomeStatus::Succeeded),
        "{:?}",
        report.outcome
    );
    let after = rig.sandbox.kafka().await.expect("snapshot");
    assert!(after.topic(&topic).is_none(), "deleted");
    assert!(s.held_actions.is_empty(), "the held copy is spent");
    let request = rig.client.get_request(&id).await.expect("request");
    assert_eq!(
        request.state,
        opsdeck::model::platform::RequestState::Ready,
        "the approval is used"
    );
}

fn select_request(s: &mut State, id: &str) {
    let pane = &mut s.panes.requests;
    let row = pane.rows.iter().position(|r| r.id == id).expect("listed");
    let visible = pane
        .table
        .visible
        .iter()
        .position(|&v| v == row)
        .expect("visible");
    pane.table.select(visible);
}
