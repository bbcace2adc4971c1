//! The `:oncall` view and the on-call column: rendered from the demo state (the sandbox
//! platform's rota) at 80×24 and 120×40 as insta snapshots, the catalog's fallback to its
//! annotation when the platform has no answer, and a shift declared from the pane's form
//! and an override taken with `t`, both reaching a real in-process platform server and
//! coming back through `update`.

use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use opsdeck::app::msg::{PlatformCall, PlatformReply};
use opsdeck::app::state::{Modal, PaneId, ToastLevel};
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::model::oncall::{RotaQuery, ShiftKind};
use opsdeck::platform::server::{LocalServer, spawn_local};
use opsdeck::runtime::platform_calls;
use opsdeck::screenshot::demo_state;
use opsdeck::sources::platform::{PlatformClient, Token};
use opsdeck::sources::platform_feed;
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};
use opsdeck::theme::ColorDepth;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn state(width: u16, height: u16) -> State {
    demo_state(7, width, height, ColorDepth::TrueColor).expect("demo state")
}

fn key(state: &mut State, code: KeyCode) -> Vec<Cmd> {
    update(
        state,
        Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))),
    )
}

fn typed(state: &mut State, text: &str) -> Vec<Cmd> {
    text.chars()
        .flat_map(|c| key(state, KeyCode::Char(c)))
        .collect()
}

fn text(state: &State) -> String {
    crate::render::text(state)
}

#[test]
fn the_oncall_view_shows_my_shifts_my_rota_and_every_team() {
    for (w, h) in SIZES {
        let mut s = state(w, h);
        key(&mut s, KeyCode::Char('O'));
        assert_eq!(s.view().pane(), PaneId::Oncall);
        let screen = text(&s);
        for needle in [
            "My shifts (dev)",
            "Rota of payments",
            "(you)",
            "payments (mine)",
            "checkout",
            "platform 0s",
            "n declare",
            "t take",
        ] {
            assert!(screen.contains(needle), "{needle:?} at {w}x{h}:\n{screen}");
        }
        // My team sorts first.
        assert_eq!(
            s.panes.oncall.selected().map(|r| r.team.as_str()),
            Some("payments")
        );
        insta::assert_snapshot!(format!("oncall_{w}x{h}"), screen);
    }
}

#[test]
fn the_catalog_says_where_its_on_call_comes_from() {
    let mut s = state(120, 40);
    let screen = text(&s);
    assert!(screen.contains("· platform 0s"), "{screen}");
    // The platform's answer ages with the clock.
    s.now += jiff::SignedDuration::from_secs(4);
    assert!(text(&s).contains("· platform 4s"));
    // Without a platform answer the catalog's annotation is used, and said so.
    s.panes.catalog.set_oncall(None);
    let screen = text(&s);
    assert!(screen.contains("· catalog"), "{screen}");
    assert!(!screen.contains("· platform"), "{screen}");
}

#[test]
fn the_card_names_the_source_of_its_on_call() {
    let mut s = state(120, 40);
    opsdeck::screenshot::show(&mut s, "card".parse().expect("view"));
    let screen = text(&s);
    assert!(
        screen.contains("(platform 0s until"),
        "the card says where and until when:\n{screen}"
    );
}

#[test]
fn take_without_a_selection_or_shift_explains_itself() {
    let mut s = state(80, 24);
    s.readonly = true;
    key(&mut s, KeyCode::Char('O'));
    let cmds = typed(&mut s, "t");
    assert!(cmds.is_empty());
    let toast = s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default();
    assert!(toast.contains("read-only"), "{toast}");
}

struct Platform {
    _server: LocalServer,
    client: PlatformClient,
    _dir: tempfile::TempDir,
}

async fn platform() -> Platform {
    let dir = tempfile::tempdir().expect("tempdir");
    let setup = opsdeck::platform::sandbox::sandbox_setup(dir.path(), "dev");
    let server = spawn_local(setup.options).await.expect("server starts");
    let client = PlatformClient::new(&server.url(), Token::new(setup.token)).expect("client");
    Platform {
        _server: server,
        client,
        _dir: dir,
    }
}

async fn refresh(s: &mut State, client: &PlatformClient) {
    let snapshot = platform_feed::fetch(client).await.expect("snapshot");
    let event = SourceEvent {
        source: SourceId::Platform,
        generation: s.generation,
        body: SourceBody::Platform(Arc::new(snapshot)),
    };
    update(s, Msg::Source(event));
}

/// Carries out the platform calls among `cmds` and feeds the replies back; the replies.
async fn carry(s: &mut State, client: &PlatformClient, cmds: Vec<Cmd>) -> Vec<PlatformReply> {
    let mut replies = Vec::new();
    for cmd in cmds {
        if let Cmd::Platform(call) = cmd {
            let reply = platform_calls::call(client, call).await;
            replies.push(reply.clone());
            for follow_up in update(s, Msg::PlatformDone(Box::new(reply))) {
                if follow_up == Cmd::Refresh(vec![SourceId::Platform]) {
                    refresh(s, client).await;
                }
            }
        }
    }
    replies
}

#[tokio::test]
async fn declare_a_shift_from_the_form_and_take_over_on_the_real_platform() {
    let p = platform().await;
    let mut s = state(80, 24);
    s.now = jiff::Timestamp::now();
    refresh(&mut s, &p.client).await;
    key(&mut s, KeyCode::Char('O'));
    assert_eq!(
        s.panes.oncall.rows.len(),
        8,
        "every sandbox squad has a rota"
    );

    // `n` opens the form for my team, me on call from the next hour.
    let cmds = typed(&mut s, "n");
    assert!(cmds.is_empty());
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("the form opens")
    };
    assert_eq!(form.fields[0].value, "payments");
    assert_eq!(form.fields[1].value, "dev");
    let screen = text(&s);
    assert!(screen.contains("declare an on-call shift"), "{screen}");

    // A bad start is refused in the form, nothing sent, input kept.
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    for _ in 0..20 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "tonight");
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(cmds.is_empty(), "an invalid form sends nothing");
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("still open")
    };
    assert_eq!(form.fields[2].value, "tonight");
    assert!(form.fields[2].error.is_some());

    // Two days ahead, four hours: sent, accepted, the form closes and the rota shows it.
    let start = s.now + jiff::SignedDuration::from_hours(48);
    for _ in 0..20 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, &opsdeck::app::panes::oncall::form_time(start));
    key(&mut s, KeyCode::Down);
    for _ in 0..5 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "4h");
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::Platform(PlatformCall::DeclareShift { team, .. })] if team == "payments"
    ));
    let replies = carry(&mut s, &p.client, cmds).await;
    let [
        PlatformReply::Shift {
            result: Ok(shift), ..
        },
    ] = replies.as_slice()
    else {
        panic!("declared: {replies:?}")
    };
    assert!(
        s.modal.is_none(),
        "the form closes once the platform accepted it"
    );
    assert_eq!((shift.who.as_str(), shift.kind), ("dev", ShiftKind::Rota));
    assert!(
        s.panes
            .oncall
            .my_shifts(s.now)
            .iter()
            .any(|m| m.id == shift.id),
        "my shifts list it after the refresh"
    );

    take_over_checkout(&mut s, &p).await;
    refused_in_full(&mut s, &p).await;
}

/// `t` on checkout (not my squad, but the sandbox user approves): an override until the
/// current shift ends, audited with the declaration before it.
async fn take_over_checkout(s: &mut State, p: &Platform) {
    let row = s
        .panes
        .oncall
        .rows
        .iter()
        .position(|r| r.team == "checkout")
        .expect("checkout");
    opsdeck::app::panes::select_row(&mut s.panes.oncall, row);
    let until = s.panes.oncall.rows[row]
        .now
        .as_ref()
        .expect("someone on call")
        .until;
    let cmds = typed(s, "t");
    let replies = carry(s, &p.client, cmds).await;
    let [
        PlatformReply::Shift {
            result: Ok(taken), ..
        },
    ] = replies.as_slice()
    else {
        panic!("taken: {replies:?}")
    };
    assert_eq!((taken.kind, taken.to), (ShiftKind::Override, until));
    let checkout = s
        .panes
        .oncall
        .rows
        .iter()
        .find(|r| r.team == "checkout")
        .expect("checkout");
    assert_eq!(checkout.now.as_ref().expect("now").who, "dev");

    // Both writes are in the audit trail, and the chain verifies.
    let rota = p
        .client
        .team_rota("checkout", &RotaQuery::default())
        .await
        .expect("rota");
    assert!(rota.shifts.iter().any(|s| s.id == taken.id));
    let actions: Vec<String> = s
        .panes
        .audit
        .snapshot
        .as_ref()
        .expect("audit")
        .events
        .iter()
        .map(|i| i.event.body.action().to_owned())
        .collect();
    assert!(
        actions.contains(&"oncall.shift.declare".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"oncall.shift.override".to_owned()),
        "{actions:?}"
    );
    assert!(p.client.verify().await.expect("verify").ok);
}

/// A refusal is toasted whole: a shift that is over already.
async fn refused_in_full(s: &mut State, p: &Platform) {
    let cmds = vec![Cmd::Platform(PlatformCall::DeclareShift {
        team: "payments".into(),
        body: opsdeck::model::oncall::ShiftBody {
            who: "dev".into(),
            from: s.now - jiff::SignedDuration::from_hours(3),
            to: s.now - jiff::SignedDuration::from_hours(2),
            kind: ShiftKind::Rota,
            note: None,
        },
    })];
    carry(s, &p.client, cmds).await;
    let toast = s.toast.as_ref().expect("a toast");
    assert_eq!(toast.level, ToastLevel::Error);
    assert!(toast.text.contains("over already"), "{}", toast.text);
}
