//! On-call rotas end to end, on both stores: declaring rota shifts, overrides winning, now
//! and next at the boundaries, who may write (members, approvers, policy), every write in
//! the audit chain with the chain still verifying, bad input refused with a clear message,
//! and removal.

use std::net::{Ipv4Addr, SocketAddr};

use jiff::{SignedDuration, Timestamp};
use opsdeck::model::oncall::{RotaQuery, ShiftBody, ShiftKind};
use opsdeck::model::platform::{EventBody, EventQuery};
use opsdeck::platform::auth::{Identity, Tokens};
use opsdeck::platform::policy::Policy;
use opsdeck::platform::{LocalServer, ServeOptions, Source, spawn_local};
use opsdeck::sources::platform::{ClientError, PlatformClient};

use crate::both_stores;
use crate::common::{StoreKind, TestStore, client};

const AMARA: &str = "amara-token"; // payments
const JONAS: &str = "jonas-token"; // payments
const BOB: &str = "bob-token"; // checkout: not in payments
const LEE: &str = "lee-token"; // leads: approver, in no team
const OLGA: &str = "olga-token"; // ops: a team no rule grants

const POLICY: &str = r#"
approvers = ["leads"]
[[rule]]
action = "oncall.shift.override"
target = "oncall:checkout"
groups = ["checkout"]
approval = true
[[rule]]
action = "oncall.shift.*"
target = "oncall:*"
groups = ["payments", "checkout", "leads"]
[[rule]]
action = "audit.read"
groups = ["leads"]
"#;

fn tokens() -> Tokens {
    let mut t = Tokens::default();
    for (token, user, groups) in [
        (AMARA, "amara", vec!["payments"]),
        (JONAS, "jonas", vec!["payments", "dev"]),
        (BOB, "bob", vec!["checkout"]),
        (LEE, "lee", vec!["leads"]),
        (OLGA, "olga", vec!["ops"]),
    ] {
        t.insert_token(
            token,
            Identity {
                user: user.into(),
                groups: groups.into_iter().map(String::from).collect(),
            },
        );
    }
    t
}

async fn serve(store: &TestStore) -> LocalServer {
    let opts = ServeOptions::new(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        store.url.clone(),
        Source::Value(tokens()),
        Source::Value(Policy::parse(POLICY).unwrap()),
    );
    spawn_local(opts).await.unwrap()
}

/// A whole hour some days ahead, so shifts are never over when declared.
fn base() -> Timestamp {
    let day = 86_400;
    let now = Timestamp::now().as_second();
    Timestamp::from_second((now / day + 3) * day).unwrap()
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

fn body(who: &str, from: Timestamp, to: Timestamp, kind: ShiftKind) -> ShiftBody {
    ShiftBody {
        who: who.into(),
        from,
        to,
        kind,
        note: None,
    }
}

fn refusal(e: ClientError) -> (u16, String) {
    match e {
        ClientError::Status { status, message } => (status, message),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

fn at(t: Timestamp) -> RotaQuery {
    RotaQuery {
        at: Some(t.to_string()),
        ..RotaQuery::default()
    }
}

/// The `oncall` events of the chain, oldest first: (action, actor, who).
async fn oncall_events(auditor: &PlatformClient) -> Vec<(String, String, String)> {
    let page = auditor
        .list_events(&EventQuery {
            limit: Some(1000),
            ..EventQuery::default()
        })
        .await
        .unwrap();
    let mut events: Vec<_> = page
        .items
        .iter()
        .filter_map(|i| match &i.event.body {
            EventBody::OnCall { action, shift, .. } => Some((
                i.seq,
                action.clone(),
                i.event.actor.as_ref().unwrap().user.clone(),
                shift.who.clone(),
            )),
            _ => None,
        })
        .collect();
    events.sort_by_key(|e| e.0);
    events.into_iter().map(|e| (e.1, e.2, e.3)).collect()
}

#[expect(
    clippy::too_many_lines,
    reason = "one scenario against a real server, step by step"
)]
async fn rota_override_and_boundaries(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = serve(&store).await;
    let (amara, jonas, lee) = (
        client(&server, AMARA),
        client(&server, JONAS),
        client(&server, LEE),
    );
    let b = base();

    // Rota: amara 09–17, jonas 17–09.
    let day = amara
        .declare_shift(
            "payments",
            &body("amara", b + hours(9), b + hours(17), ShiftKind::Rota),
        )
        .await
        .unwrap();
    assert_eq!(
        (day.team.as_str(), day.created_by.as_str()),
        ("payments", "amara")
    );
    let night = amara
        .declare_shift(
            "payments",
            &body("jonas", b + hours(17), b + hours(33), ShiftKind::Rota),
        )
        .await
        .unwrap();

    // Before the rota starts: nobody now, amara next from 09:00.
    let early = amara
        .team_rota("payments", &at(b + hours(8)))
        .await
        .unwrap();
    assert_eq!(early.oncall.now, None);
    let next = early.oncall.next.unwrap();
    assert_eq!((next.who.as_str(), next.from), ("amara", b + hours(9)));
    assert_eq!(
        early.shifts.len(),
        2,
        "both shifts lie in the default window"
    );

    // At 09:00 exactly amara answers, until 17:00; jonas is next.
    let nine = amara
        .team_rota("payments", &at(b + hours(9)))
        .await
        .unwrap();
    let now = nine.oncall.now.unwrap();
    assert_eq!(
        (now.who.as_str(), now.until, now.shift_id.as_str()),
        ("amara", b + hours(17), day.id.as_str())
    );
    assert_eq!(nine.oncall.next.unwrap().who, "jonas");
    // One second before the handover still amara; at 17:00 (`to` is exclusive) jonas.
    let before = amara
        .team_rota(
            "payments",
            &at(b + hours(17) - SignedDuration::from_secs(1)),
        )
        .await
        .unwrap();
    assert_eq!(before.oncall.now.unwrap().who, "amara");
    let handover = amara
        .team_rota("payments", &at(b + hours(17)))
        .await
        .unwrap();
    assert_eq!(handover.oncall.now.unwrap().shift_id, night.id);

    // "I take tonight": jonas's override 12–14 beats amara's rota shift while it lasts.
    let take = jonas
        .declare_shift(
            "payments",
            &ShiftBody {
                note: Some("covering lunch".into()),
                ..body("jonas", b + hours(12), b + hours(14), ShiftKind::Override)
            },
        )
        .await
        .unwrap();
    assert_eq!(take.kind, ShiftKind::Override);
    let ten = amara
        .team_rota("payments", &at(b + hours(10)))
        .await
        .unwrap();
    let now = ten.oncall.now.unwrap();
    assert_eq!((now.who.as_str(), now.until), ("amara", b + hours(12)));
    let next = ten.oncall.next.unwrap();
    assert_eq!(
        (next.who.as_str(), next.from, next.kind),
        ("jonas", b + hours(12), ShiftKind::Override)
    );
    let lunch = amara
        .team_rota("payments", &at(b + hours(13)))
        .await
        .unwrap();
    let now = lunch.oncall.now.unwrap();
    assert_eq!(
        (now.who.as_str(), now.kind, now.until),
        ("jonas", ShiftKind::Override, b + hours(14))
    );
    assert_eq!(lunch.oncall.next.unwrap().who, "amara");

    // A later override over the same time wins over the earlier one.
    lee.declare_shift(
        "payments",
        &body("amara", b + hours(12), b + hours(13), ShiftKind::Override),
    )
    .await
    .unwrap();
    let noon = amara
        .team_rota("payments", &at(b + hours(12) + hours(0)))
        .await
        .unwrap();
    assert_eq!(noon.oncall.now.unwrap().who, "amara");
    let one = amara
        .team_rota("payments", &at(b + hours(13)))
        .await
        .unwrap();
    assert_eq!(one.oncall.now.unwrap().who, "jonas");

    // GET /v1/oncall answers every team with a current or future shift.
    let all = jonas.oncall(Some(b + hours(10))).await.unwrap();
    let payments = all.team("payments").unwrap();
    assert_eq!(payments.now.as_ref().unwrap().who, "amara");
    assert_eq!(all.as_of, b + hours(10));
    assert!(all.team("checkout").is_none());

    // A window narrows the listed shifts, not the answer.
    let window = RotaQuery {
        at: Some((b + hours(10)).to_string()),
        from: Some((b + hours(20)).to_string()),
        to: Some((b + hours(30)).to_string()),
    };
    let night_only = amara.team_rota("payments", &window).await.unwrap();
    assert_eq!(night_only.shifts.len(), 1);
    assert_eq!(night_only.shifts[0].id, night.id);
    assert_eq!(night_only.oncall.now.unwrap().who, "amara");

    // Every write is in the chain, and the chain verifies.
    let events = oncall_events(&lee).await;
    assert_eq!(
        events,
        vec![
            (
                "oncall.shift.declare".into(),
                "amara".into(),
                "amara".into()
            ),
            (
                "oncall.shift.declare".into(),
                "amara".into(),
                "jonas".into()
            ),
            (
                "oncall.shift.override".into(),
                "jonas".into(),
                "jonas".into()
            ),
            ("oncall.shift.override".into(), "lee".into(), "amara".into()),
        ]
    );
    let report = lee.verify().await.unwrap();
    assert!(report.ok, "{report:?}");
}
both_stores!(rota_override_and_boundaries);

async fn who_may_write(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = serve(&store).await;
    let (amara, bob, lee, olga) = (
        client(&server, AMARA),
        client(&server, BOB),
        client(&server, LEE),
        client(&server, OLGA),
    );
    let b = base();
    let shift = body("amara", b + hours(9), b + hours(17), ShiftKind::Rota);

    // Not a member of payments: refused, with the reason.
    let (status, message) = refusal(bob.declare_shift("payments", &shift).await.unwrap_err());
    assert_eq!(status, 403);
    assert!(
        message.contains("only members of payments (or approvers)")
            && message.contains("[checkout]"),
        "{message}"
    );
    // An approver outside the team may.
    let by_lee = lee.declare_shift("payments", &shift).await.unwrap();
    assert_eq!(by_lee.created_by, "lee");
    // A member whose groups no rule grants: policy refuses.
    let (status, message) = refusal(
        olga.declare_shift(
            "ops",
            &body("olga", b + hours(9), b + hours(17), ShiftKind::Rota),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(status, 403);
    assert!(message.contains("policy"), "{message}");
    // A rule that needs approval refuses: on-call changes cannot wait.
    let (status, message) = refusal(
        bob.declare_shift(
            "checkout",
            &body("bob", b + hours(9), b + hours(17), ShiftKind::Override),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(status, 403);
    assert!(message.contains("cannot wait for approval"), "{message}");
    // Removal follows the same rule.
    let (status, _) = refusal(bob.remove_shift("payments", &by_lee.id).await.unwrap_err());
    assert_eq!(status, 403);
    let removed = amara.remove_shift("payments", &by_lee.id).await.unwrap();
    assert_eq!(removed.id, by_lee.id);
    let (status, message) = refusal(
        amara
            .remove_shift("payments", &by_lee.id)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 404);
    assert!(message.contains("no shift"), "{message}");
    let rota = amara
        .team_rota("payments", &at(b + hours(10)))
        .await
        .unwrap();
    assert!(rota.shifts.is_empty() && rota.oncall.now.is_none());

    // Refusals are recorded as `forbidden` events, writes as `oncall` events.
    let page = lee
        .list_events(&EventQuery {
            target: Some("oncall:payments".into()),
            ..EventQuery::default()
        })
        .await
        .unwrap();
    let kinds: Vec<(&str, &str)> = page
        .items
        .iter()
        .rev()
        .map(|i| (i.event.body.kind(), i.event.body.action()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("forbidden", "oncall.shift.declare"),
            ("oncall", "oncall.shift.declare"),
            ("forbidden", "oncall.shift.remove"),
            ("oncall", "oncall.shift.remove"),
        ]
    );
    let removal = &page.items[0].event;
    let EventBody::OnCall { shift, reason, .. } = &removal.body else {
        panic!("an oncall event: {removal:?}");
    };
    assert_eq!(shift.id, by_lee.id, "the removal keeps the whole shift");
    assert!(reason.contains("member of payments"), "{reason}");
    assert!(lee.verify().await.unwrap().ok);
}
both_stores!(who_may_write);

#[expect(
    clippy::too_many_lines,
    reason = "one scenario against a real server, step by step"
)]
async fn bad_input_is_refused_clearly(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = serve(&store).await;
    let (amara, lee) = (client(&server, AMARA), client(&server, LEE));
    let b = base();

    let cases = [
        (
            body("amara", b + hours(17), b + hours(9), ShiftKind::Rota),
            "end after it starts",
        ),
        (
            body("amara", b + hours(9), b + hours(9), ShiftKind::Rota),
            "end after it starts",
        ),
        (
            body("amara", b, b + hours(24 * 91), ShiftKind::Rota),
            "90 days",
        ),
        (
            body("amara\u{1b}[2J", b, b + hours(1), ShiftKind::Rota),
            "not a valid name",
        ),
        (
            body("", b, b + hours(1), ShiftKind::Rota),
            "who is required",
        ),
        (
            body(
                "amara",
                b - hours(24 * 10),
                b - hours(24 * 9),
                ShiftKind::Rota,
            ),
            "over already",
        ),
        (
            ShiftBody {
                note: Some("x\u{7}\u{1b}]0;pwned\u{7}".into()),
                ..body("amara", b, b + hours(1), ShiftKind::Rota)
            },
            "plain text",
        ),
    ];
    for (shift, expected) in cases {
        let (status, message) = refusal(amara.declare_shift("payments", &shift).await.unwrap_err());
        assert_eq!(status, 400, "{message}");
        assert!(message.contains(expected), "{expected:?} in {message:?}");
        assert!(!message.contains('\u{1b}'), "no escape echoed: {message:?}");
    }

    // Unknown and malformed team names.
    let shift = body("amara", b, b + hours(1), ShiftKind::Rota);
    let (status, message) = refusal(lee.declare_shift("paymnets", &shift).await.unwrap_err());
    assert_eq!(status, 404);
    assert!(message.contains("unknown team \"paymnets\""), "{message}");
    let (status, message) = refusal(
        lee.team_rota("paymnets", &RotaQuery::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 404, "{message}");
    let (status, message) = refusal(lee.declare_shift("-pay ments", &shift).await.unwrap_err());
    assert_eq!(status, 400);
    assert!(message.contains("team"), "{message}");

    // Malformed JSON bodies and times get a 400 that names the problem.
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/v1/oncall/payments/shifts", server.url()))
        .bearer_auth(AMARA)
        .json(
            &serde_json::json!({"who": "amara", "from": "tomorrow", "to": "2030-01-01T00:00:00Z"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let text = resp.text().await.unwrap();
    assert!(text.contains("RFC 3339"), "{text}");
    let (status, message) = refusal(
        amara
            .team_rota(
                "payments",
                &RotaQuery {
                    at: Some("noon".into()),
                    ..RotaQuery::default()
                },
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(
        message.contains("at: \"noon\" is not an RFC 3339 time"),
        "{message}"
    );

    // Nothing of it reached the rota or the chain as a change.
    let rota = amara
        .team_rota("payments", &RotaQuery::default())
        .await
        .unwrap();
    assert!(rota.shifts.is_empty());
    assert!(oncall_events(&lee).await.is_empty());
    assert!(lee.verify().await.unwrap().ok);
}
both_stores!(bad_input_is_refused_clearly);

/// The sandbox's setup seeds a rota for every squad, with the user in their squad's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_platform_has_a_rota() {
    let dir = tempfile::tempdir().unwrap();
    let setup = opsdeck::platform::sandbox::sandbox_setup(dir.path(), "dev");
    let server = spawn_local(setup.options).await.unwrap();
    let client = client(&server, &setup.token);
    let all = client.oncall(None).await.unwrap();
    assert_eq!(
        all.items.len(),
        opsdeck::sources::sandbox::fleet::SQUADS.len()
    );
    assert!(all.items.iter().all(|t| t.now.is_some()), "{all:?}");
    let mine = client
        .team_rota(
            opsdeck::platform::sandbox::SANDBOX_SQUAD,
            &RotaQuery::default(),
        )
        .await
        .unwrap();
    assert!(mine.shifts.iter().any(|s| s.who == "dev"), "{mine:?}");
    // The sandbox user is in the squad, so they may take over.
    let now = Timestamp::now();
    let taken = client
        .declare_shift(
            opsdeck::platform::sandbox::SANDBOX_SQUAD,
            &body("dev", now, now + hours(1), ShiftKind::Override),
        )
        .await
        .unwrap();
    assert_eq!(taken.created_by, "dev");
    assert!(client.verify().await.unwrap().ok);
}
