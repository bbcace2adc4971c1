//! The traces pane's service map against the sandbox's traces: `M` asks for the traces in the
//! list, the runtime's builder answers, the links read at 80×24, `enter` narrows the list to
//! one link's traces and `esc` walks back out. A late answer to an older map is dropped.

use crossterm::event::KeyCode;
use opsdeck::app::{Cmd, Msg, update};
use opsdeck::sources::sandbox::{SandboxHandle, World};
use opsdeck::sources::trace_feed::TraceLookup;

use super::keys::{key, screen, state};
use opsdeck::screenshot::epoch;

#[tokio::test]
async fn the_map_links_services_and_enter_opens_a_link_s_traces() {
    let mut s = state();
    // The demo state's world has run 200 s; this one catches up so the same traces exist.
    let mut world = World::new(7, epoch());
    world.advance(std::time::Duration::from_secs(210));
    let sandbox = SandboxHandle::spawn(world);
    key(&mut s, KeyCode::Char('7'));
    let listed = s.panes.traces.rows().len();
    assert!(listed > 1);
    let cmds = key(&mut s, KeyCode::Char('M'));
    let [Cmd::LoadServiceMap { request, trace_ids }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(trace_ids.len(), listed.min(50));
    assert!(screen(&s).contains("loading the traces in the list"));

    let lookup = TraceLookup::Sandbox(sandbox.clone());
    let answer = lookup.service_map(trace_ids.clone()).await;
    // An older request's answer arriving late changes nothing.
    update(
        &mut s,
        Msg::ServiceMapLoaded {
            request: request - 1,
            answer: Box::new(Err("stale".into())),
        },
    );
    assert!(screen(&s).contains("loading the traces in the list"));
    update(
        &mut s,
        Msg::ServiceMapLoaded {
            request: *request,
            answer: Box::new(answer),
        },
    );
    let text = screen(&s);
    assert!(text.contains("Service map"), "{text}");
    assert!(text.contains("CALLER") && text.contains("CALLEE"), "{text}");
    let map = s.panes.traces.map.as_ref().expect("map shown");
    let edge = map.selected().expect("a link under the cursor").clone();
    assert!(edge.calls > 0);
    assert!(text.contains(&*edge.caller), "{text}");

    key(&mut s, KeyCode::Enter);
    assert!(s.panes.traces.map.is_none());
    let rows = s.panes.traces.rows();
    assert!(!rows.is_empty());
    assert!(rows.len() <= edge.trace_ids.len());
    assert!(rows.iter().all(|r| edge.trace_ids.contains(&r.trace_id)));
    let text = screen(&s);
    assert!(text.contains(&format!("with {} → ", edge.caller)), "{text}");
    assert!(!text.contains("is gone"), "{text}");

    key(&mut s, KeyCode::Esc);
    assert!(s.panes.traces.edge_filter.is_none());
    assert_eq!(s.panes.traces.rows().len(), listed);
}

#[test]
fn m_closes_the_map_and_a_failed_map_says_why() {
    let mut s = state();
    key(&mut s, KeyCode::Char('7'));
    let cmds = key(&mut s, KeyCode::Char('M'));
    let [Cmd::LoadServiceMap { request, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    update(
        &mut s,
        Msg::ServiceMapLoaded {
            request: *request,
            answer: Box::new(Err("tempo answered 503: \u{1b}[31mdown".into())),
        },
    );
    let text = screen(&s);
    assert!(text.contains("no trace could be loaded"), "{text}");
    assert!(!text.contains('\u{1b}'));
    key(&mut s, KeyCode::Char('M'));
    assert!(s.panes.traces.map.is_none());
    assert!(screen(&s).contains("Traces"));
}
