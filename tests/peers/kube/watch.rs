//! Watching through the peer with kube-rs: the runtime `watcher` sees the initial list, then
//! ADDED/MODIFIED/DELETED, and recovers from a 410 Expired (mid-stream, or on re-watch from a
//! compacted resourceVersion) by listing again; raw `Api::watch` sees the 410 and bookmarks.

use std::time::Duration;

use futures::{Stream, StreamExt};
use kube::api::{DynamicObject, WatchEvent, WatchParams};
use kube::runtime::watcher::{self, Event, watcher};
use serde_json::json;

use crate::kube::{peer, rollouts};

/// The next item of a stream, or a panic after 10 s (a hung watch must fail, not stall CI).
async fn next<S: Stream + Unpin>(stream: &mut S) -> S::Item {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("watch event within 10 s")
        .expect("stream continues")
}

fn name(object: &DynamicObject) -> &str {
    object.metadata.name.as_deref().unwrap_or_default()
}

/// Consumes `Init`, the `InitApply`s and `InitDone` of one (re-)list; returns the names listed.
async fn initial_list<S>(stream: &mut S) -> Vec<String>
where
    S: Stream<Item = Result<Event<DynamicObject>, watcher::Error>> + Unpin,
{
    assert!(
        matches!(next(stream).await, Ok(Event::Init)),
        "a list starts with Init"
    );
    let mut names = Vec::new();
    loop {
        match next(stream).await.unwrap() {
            Event::InitApply(o) => names.push(name(&o).to_owned()),
            Event::InitDone => return names,
            other => panic!("unexpected event during the initial list: {other:?}"),
        }
    }
}

#[tokio::test]
async fn watcher_sees_changes_and_relists_after_410_expired() {
    let (server, client) = peer().await;
    let mut stream = watcher(rollouts(&client), watcher::Config::default()).boxed();
    assert_eq!(
        initial_list(&mut stream).await,
        ["payments-api", "search-api", "storefront"]
    );
    assert_eq!(server.request_count("list", "rollouts"), 1);

    // ADDED, then MODIFIED, each seen as an Apply carrying the new state.
    let mut canary = server.object("Rollout", "shop", "payments-api").unwrap();
    canary["metadata"]["name"] = json!("payments-api-eu");
    canary["metadata"]["uid"] = json!("");
    server.insert(canary);
    match next(&mut stream).await.unwrap() {
        Event::Apply(o) => assert_eq!(name(&o), "payments-api-eu"),
        other => panic!("expected Apply, got {other:?}"),
    }
    server.modify("Rollout", "shop", "payments-api", |r| {
        r["status"]["currentStepIndex"] = json!(3);
        r["status"]["pauseConditions"] = json!(null);
    });
    match next(&mut stream).await.unwrap() {
        Event::Apply(o) => {
            assert_eq!(name(&o), "payments-api");
            assert_eq!(o.data["status"]["currentStepIndex"], 3);
        }
        other => panic!("expected Apply, got {other:?}"),
    }

    // 410 inside the stream: the watcher reports it and lists again.
    server.expire_watches();
    match next(&mut stream).await {
        Err(watcher::Error::WatchError(status)) => {
            assert_eq!(status.code, 410);
            assert_eq!(status.reason, "Expired");
        }
        other => panic!("expected the 410 as a WatchError, got {other:?}"),
    }
    assert_eq!(
        initial_list(&mut stream).await,
        [
            "payments-api",
            "payments-api-eu",
            "search-api",
            "storefront"
        ]
    );
    assert_eq!(server.request_count("list", "rollouts"), 2);

    // The watcher opens its next watch only when polled: the hook makes that watch a 410,
    // and the watcher lists a third time.
    server.set_expire_next_watch();
    assert!(matches!(next(&mut stream).await, Err(watcher::Error::WatchError(s)) if s.code == 410));
    initial_list(&mut stream).await;
    assert_eq!(server.request_count("list", "rollouts"), 3);
    server.delete("Rollout", "shop", "payments-api-eu");
    match next(&mut stream).await.unwrap() {
        Event::Delete(o) => assert_eq!(name(&o), "payments-api-eu"),
        other => panic!("expected Delete, got {other:?}"),
    }
}

#[tokio::test]
async fn watcher_on_one_object_uses_a_field_selector() {
    let (server, client) = peer().await;
    let config = watcher::Config::default().fields("metadata.name=storefront");
    let mut stream = watcher(rollouts(&client), config).boxed();
    assert_eq!(initial_list(&mut stream).await, ["storefront"]);
    // A change elsewhere is not delivered; the next event is the storefront one.
    server.modify("Rollout", "shop", "payments-api", |r| {
        r["spec"]["paused"] = json!(true);
    });
    server.modify("Rollout", "shop", "storefront", |r| {
        r["status"]["pauseConditions"] = json!(null);
    });
    match next(&mut stream).await.unwrap() {
        Event::Apply(o) => assert_eq!(name(&o), "storefront"),
        other => panic!("expected Apply, got {other:?}"),
    }
    let watch = server
        .requests()
        .into_iter()
        .find(|r| r.verb == "watch")
        .unwrap();
    assert!(
        watch
            .query
            .contains("fieldSelector=metadata.name%3Dstorefront"),
        "{}",
        watch.query
    );
}

#[tokio::test]
async fn raw_watch_gets_410_for_a_compacted_version_and_for_the_expire_hook() {
    let (server, client) = peer().await;
    let api = rollouts(&client);
    server.compact();
    let mut events = api
        .watch(&WatchParams::default(), "1")
        .await
        .unwrap()
        .boxed();
    match next(&mut events).await.unwrap() {
        WatchEvent::Error(status) => {
            assert_eq!(status.code, 410);
            assert_eq!(status.reason, "Expired");
            assert!(
                status.message.starts_with("too old resource version: 1 ("),
                "{}",
                status.message
            );
        }
        other => panic!("expected ERROR, got {other:?}"),
    }

    let current = server.resource_version().to_string();
    server.set_expire_next_watch();
    let mut events = api
        .watch(&WatchParams::default(), &current)
        .await
        .unwrap()
        .boxed();
    assert!(matches!(next(&mut events).await.unwrap(), WatchEvent::Error(s) if s.code == 410));
    // Only the next watch: the one after streams normally.
    let mut events = api
        .watch(&WatchParams::default(), &current)
        .await
        .unwrap()
        .boxed();
    server.modify("Rollout", "shop", "storefront", |r| {
        r["spec"]["paused"] = json!(true);
    });
    assert!(
        matches!(next(&mut events).await.unwrap(), WatchEvent::Modified(o) if name(&o) == "storefront")
    );
}

#[tokio::test]
async fn raw_watch_delivers_bookmarks_only_when_asked() {
    let (server, client) = peer().await;
    let api = rollouts(&client);
    let current = server.resource_version().to_string();
    let mut with = api
        .watch(&WatchParams::default(), &current)
        .await
        .unwrap()
        .boxed();
    let mut without = api
        .watch(&WatchParams::default().disable_bookmarks(), &current)
        .await
        .unwrap()
        .boxed();
    wait_until_open(&server, 2).await;
    server.bookmark();
    server.modify("Rollout", "shop", "storefront", |r| {
        r["spec"]["paused"] = json!(true);
    });
    match next(&mut with).await.unwrap() {
        WatchEvent::Bookmark(b) => assert_eq!(b.metadata.resource_version, current),
        other => panic!("expected BOOKMARK, got {other:?}"),
    }
    assert!(matches!(
        next(&mut with).await.unwrap(),
        WatchEvent::Modified(_)
    ));
    assert!(matches!(
        next(&mut without).await.unwrap(),
        WatchEvent::Modified(_)
    ));
}

#[tokio::test]
async fn watch_times_out_at_timeout_seconds() {
    let (server, client) = peer().await;
    let current = server.resource_version().to_string();
    let mut events = rollouts(&client)
        .watch(&WatchParams::default().timeout(1), &current)
        .await
        .unwrap()
        .boxed();
    let end = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .unwrap();
    assert!(end.is_none(), "the stream ends cleanly");
}

async fn wait_until_open(server: &crate::support::kube::KubeServer, n: usize) {
    for _ in 0..200 {
        if server.open_watches() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("only {} watches open", server.open_watches());
}
