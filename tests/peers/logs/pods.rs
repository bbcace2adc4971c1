//! Kubernetes pod logs through the kube peer's log subresource.

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use opsdeck::sources::Control;
use opsdeck::sources::logs::pods::{self, MAX_STREAMS, NO_TARGET};
use opsdeck::sources::logs::{LogItem, LogTarget};
use tokio::sync::mpsc;

use crate::logs::{Feed, pair, query_pairs};
use crate::support::kube::{ForbidRule, KubeServer, pod_object};

fn target(selector: &str) -> Control {
    Control::Logs(Box::new(LogTarget {
        service: Some("cart".into()),
        selector: Some(selector.into()),
        ..LogTarget::default()
    }))
}

async fn start(server: &KubeServer) -> (opsdeck::sources::SourceHandle, Feed) {
    let (tx, rx) = mpsc::channel(1024);
    let handle = pods::spawn(server.client().await, "shop".into(), 1, tx);
    (handle, Feed::new(rx))
}

fn ms(n: i64) -> SignedDuration {
    SignedDuration::from_millis(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::too_many_lines,
    reason = "one scenario checked end to end; its steps read in order"
)]
async fn the_pods_of_a_selector_are_followed_with_markers() {
    let server = KubeServer::start(vec![
        pod_object("shop", "cart-a", &[("app", "cart")], &["app"]),
        pod_object("shop", "cart-b", &[("app", "cart")], &["app", "sidecar"]),
        pod_object("shop", "web-a", &[("app", "web")], &["app"]),
    ])
    .await;
    let t0 = Timestamp::now() - SignedDuration::from_secs(30);
    server.push_log(
        "shop",
        "cart-a",
        "app",
        t0 - SignedDuration::from_mins(20),
        "too old for the default window",
    );
    server.push_log("shop", "cart-a", "app", t0, "INFO a one");
    server.push_log("shop", "cart-b", "app", t0 + ms(1), "b app one");
    server.push_log("shop", "cart-b", "sidecar", t0 + ms(2), "b side one");
    server.push_log("shop", "web-a", "app", t0, "web one");

    let (handle, mut feed) = start(&server).await;
    feed.wait("the no-target notice", |f| f.has_notice(NO_TARGET))
        .await;
    handle.send(target("app=cart"));
    feed.wait("three streams and their lines", |f| {
        f.markers().len() >= 3 && f.texts().len() >= 3
    })
    .await;
    let markers: BTreeSet<String> = feed.markers().into_iter().collect();
    assert_eq!(
        markers,
        BTreeSet::from([
            "+ cart-a".to_owned(),
            "+ cart-b › app".to_owned(),
            "+ cart-b › sidecar".to_owned()
        ])
    );
    let texts: BTreeSet<(String, String)> = feed.texts().into_iter().collect();
    assert_eq!(
        texts,
        BTreeSet::from([
            ("cart-a".to_owned(), "INFO a one".to_owned()),
            ("cart-b › app".to_owned(), "b app one".to_owned()),
            ("cart-b › sidecar".to_owned(), "b side one".to_owned()),
        ])
    );
    // The Kubernetes timestamp is the line's time; the level is read after it.
    let first = feed
        .items
        .iter()
        .find_map(|i| match i {
            LogItem::Line(l) if l.raw().ends_with("a one") => Some(l.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(first.timestamp(), Some(t0));
    assert_eq!(
        first.level().map(opsdeck::model::logs::Level::as_str),
        Some("INFO")
    );

    // Live lines, a new pod, a deleted pod.
    server.push_log("shop", "cart-a", "app", Timestamp::now(), "a live");
    feed.wait("a live line", |f| f.lines().contains(&"a live".to_owned()))
        .await;
    server.insert(pod_object("shop", "cart-c", &[("app", "cart")], &["app"]));
    server.push_log("shop", "cart-c", "app", Timestamp::now(), "c one");
    feed.wait("the new pod", |f| {
        f.markers().contains(&"+ cart-c".to_owned()) && f.lines().contains(&"c one".to_owned())
    })
    .await;
    server.delete("Pod", "shop", "cart-a");
    feed.wait("the deleted pod's end marker", |f| {
        f.markers().contains(&"- cart-a (pod deleted)".to_owned())
    })
    .await;
    feed.settle(Duration::from_millis(300)).await;
    assert_eq!(
        feed.markers()
            .iter()
            .filter(|m| m.starts_with("- cart-a"))
            .count(),
        1,
        "{:?}",
        feed.markers()
    );
    assert!(
        !feed
            .lines()
            .iter()
            .any(|l| l.contains("web one") || l.contains("too old"))
    );

    for request in server.log_requests() {
        let q = query_pairs(&request.query);
        assert_eq!(pair(&q, "timestamps"), Some("true"), "{q:?}");
        assert_eq!(pair(&q, "follow"), Some("true"), "{q:?}");
        assert_eq!(pair(&q, "sinceSeconds"), Some("600"), "{q:?}");
        assert!(pair(&q, "container").is_some(), "{q:?}");
        assert!(
            request
                .path
                .starts_with("/api/v1/namespaces/shop/pods/cart-")
        );
    }
    assert!(
        feed.is_ok()
            || feed
                .health
                .iter()
                .any(|h| matches!(h, opsdeck::model::SourceHealth::Ok { .. }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_stream_resumes_without_repeating_a_line() {
    let server = KubeServer::start(vec![pod_object(
        "shop",
        "cart-a",
        &[("app", "cart")],
        &["app"],
    )])
    .await;
    let second = Timestamp::from_second(Timestamp::now().as_second() - 5).unwrap();
    for (i, at) in [100, 200, 300].into_iter().enumerate() {
        server.push_log(
            "shop",
            "cart-a",
            "app",
            second + ms(at),
            &format!("r{}", i + 1),
        );
    }
    let (handle, mut feed) = start(&server).await;
    handle.send(target("app=cart"));
    feed.wait("the first three lines", |f| f.lines().len() >= 3)
        .await;
    server.cut_log_streams();
    // Two more lines in the same second, then one in the next, while disconnected.
    server.push_log("shop", "cart-a", "app", second + ms(400), "r4");
    server.push_log("shop", "cart-a", "app", second + ms(500), "r5");
    server.push_log("shop", "cart-a", "app", second + ms(1100), "r6");
    feed.wait("the lines after the cut", |f| f.lines().len() >= 6)
        .await;
    // And live ones on the resumed stream.
    server.push_log("shop", "cart-a", "app", Timestamp::now(), "r7");
    feed.wait("a line on the resumed stream", |f| f.lines().len() >= 7)
        .await;
    feed.settle(Duration::from_millis(500)).await;
    assert_eq!(feed.lines(), ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]);
    assert!(feed.has_notice("resuming"), "{:?}", feed.notices());
    assert_eq!(feed.markers(), ["+ cart-a"], "a resume is not a new stream");

    let requests = server.log_requests();
    assert!(requests.len() >= 2, "{requests:?}");
    let resumed = query_pairs(&requests[1].query);
    assert_eq!(
        pair(&resumed, "sinceTime"),
        Some(second.to_string().as_str())
    );
    assert_eq!(pair(&resumed, "sinceSeconds"), None);
    assert_eq!(pair(&resumed, "timestamps"), Some("true"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_fifty_streams_and_a_notice_for_the_rest() {
    let pods: Vec<_> = (0..60)
        .map(|i| {
            pod_object(
                "shop",
                &format!("cart-{i:02}"),
                &[("app", "cart")],
                &["app"],
            )
        })
        .collect();
    let server = KubeServer::start(pods).await;
    let now = Timestamp::now();
    for i in 0..60 {
        server.push_log(
            "shop",
            &format!("cart-{i:02}"),
            "app",
            now,
            &format!("hello {i}"),
        );
    }
    let (handle, mut feed) = start(&server).await;
    handle.send(target("app=cart"));
    feed.wait("fifty streams and the cap notice", |f| {
        f.markers().len() >= MAX_STREAMS && f.has_notice("10 container(s) not followed")
    })
    .await;
    feed.settle(Duration::from_millis(500)).await;
    assert_eq!(feed.markers().len(), MAX_STREAMS, "{:?}", feed.markers());
    assert_eq!(feed.lines().len(), MAX_STREAMS);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.open_log_streams() != MAX_STREAMS && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.open_log_streams(), MAX_STREAMS);

    // Slots that free up go to the pods left out.
    let followed: Vec<String> = feed
        .markers()
        .iter()
        .take(5)
        .map(|m| m.trim_start_matches("+ ").to_owned())
        .collect();
    for pod in &followed {
        server.delete("Pod", "shop", pod);
    }
    feed.wait("five more streams", |f| {
        f.markers().iter().filter(|m| m.starts_with('+')).count() == MAX_STREAMS + 5
            && f.has_notice("5 container(s) not followed")
    })
    .await;
    feed.wait("their lines", |f| f.lines().len() == MAX_STREAMS + 5)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_container_then_the_previous_instance() {
    let server = KubeServer::start(vec![pod_object(
        "shop",
        "cart-a",
        &[("app", "cart")],
        &["app", "sidecar"],
    )])
    .await;
    let now = Timestamp::now();
    server.push_log("shop", "cart-a", "app", now, "from app");
    server.push_log("shop", "cart-a", "sidecar", now, "from sidecar");
    server.push_previous_log(
        "shop",
        "cart-a",
        "sidecar",
        now - ms(5000),
        "crashed: OOMKilled",
    );
    let (handle, mut feed) = start(&server).await;
    handle.send(Control::Logs(Box::new(LogTarget {
        namespace: Some("shop".into()),
        selector: Some("app=cart".into()),
        container: Some("sidecar".into()),
        ..LogTarget::default()
    })));
    feed.wait("the sidecar", |f| !f.lines().is_empty()).await;
    feed.settle(Duration::from_millis(300)).await;
    assert_eq!(feed.markers(), ["+ cart-a › sidecar"]);
    assert_eq!(feed.lines(), ["from sidecar"]);
    assert!(
        server
            .log_requests()
            .iter()
            .all(|r| { pair(&query_pairs(&r.query), "container") == Some("sidecar") })
    );

    // The previous instance: only once the container has restarted.
    server.modify("Pod", "shop", "cart-a", |pod| {
        pod["status"]["containerStatuses"][1]["restartCount"] = 1.into();
    });
    server.clear_records();
    feed.items.clear();
    handle.send(Control::Logs(Box::new(LogTarget {
        namespace: Some("shop".into()),
        selector: Some("app=cart".into()),
        container: Some("sidecar".into()),
        previous: true,
        ..LogTarget::default()
    })));
    feed.wait("the previous logs and the end", |f| {
        f.markers().contains(&"- cart-a › sidecar".to_owned())
    })
    .await;
    assert_eq!(feed.lines(), ["crashed: OOMKilled"]);
    assert_eq!(feed.markers(), ["+ cart-a › sidecar", "- cart-a › sidecar"]);
    let requests = server.log_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let q = query_pairs(&requests[0].query);
    assert_eq!(pair(&q, "previous"), Some("true"));
    assert_eq!(pair(&q, "follow"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exited_container_ends_its_stream_and_a_restart_starts_it_again() {
    let server = KubeServer::start(vec![pod_object(
        "shop",
        "cart-a",
        &[("app", "cart")],
        &["app"],
    )])
    .await;
    server.push_log("shop", "cart-a", "app", Timestamp::now(), "first run");
    let (handle, mut feed) = start(&server).await;
    handle.send(Control::Logs(Box::new(LogTarget {
        service: Some("cart".into()),
        ..LogTarget::default()
    })));
    feed.wait("the no-selector notice", |f| {
        f.has_notice("no pod selector is known for cart")
    })
    .await;
    handle.send(target("app=cart"));
    feed.wait("the first run", |f| f.lines() == ["first run"])
        .await;

    // The container exits: the kubelet ends the stream, the status says terminated.
    server.modify("Pod", "shop", "cart-a", |pod| {
        pod["status"]["containerStatuses"][0]["state"] =
            serde_json::json!({"terminated": {"exitCode": 1, "reason": "Error"}});
    });
    server.cut_log_streams();
    feed.wait("the end marker", |f| {
        f.markers() == ["+ cart-a", "- cart-a"]
    })
    .await;
    feed.settle(Duration::from_millis(1500)).await;
    assert_eq!(feed.markers(), ["+ cart-a", "- cart-a"], "not resumed");
    assert_eq!(server.open_log_streams(), 0);

    // It restarts: a new run with a fresh log.
    server.restart_container_log("shop", "cart-a", "app");
    server.push_log("shop", "cart-a", "app", Timestamp::now(), "second run");
    server.modify("Pod", "shop", "cart-a", |pod| {
        let status = &mut pod["status"]["containerStatuses"][0];
        status["state"] = serde_json::json!({"running": {"startedAt": "2026-08-22T09:00:00Z"}});
        status["restartCount"] = 1.into();
        status["containerID"] = "containerd://b2".into();
    });
    feed.wait("the second run", |f| {
        f.lines() == ["first run", "second run"]
    })
    .await;
    assert_eq!(feed.markers(), ["+ cart-a", "- cart-a", "+ cart-a"]);

    // A new target stops every stream.
    handle.send(target("app=none"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.open_log_streams() != 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.open_log_streams(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_said_with_the_api_message() {
    let server = KubeServer::start(vec![pod_object(
        "shop",
        "cart-a",
        &[("app", "cart")],
        &["app"],
    )])
    .await;
    server.forbid(ForbidRule::new("get", "", "pods").subresource("log"));
    let (handle, mut feed) = start(&server).await;
    handle.send(target("app=cart"));
    feed.wait("the refusal", |f| !f.markers().is_empty()).await;
    let marker = &feed.markers()[0];
    assert!(
        marker.starts_with("- cart-a (403 Forbidden: pods \"cart-a\" is forbidden"),
        "{marker}"
    );
    assert!(feed.is_ok() || !feed.health.is_empty());

    // Pods that cannot be listed are an error of the source.
    let server = KubeServer::start(vec![pod_object(
        "shop",
        "cart-a",
        &[("app", "cart")],
        &["app"],
    )])
    .await;
    server.forbid(ForbidRule::new("list", "", "pods"));
    let (handle, mut feed) = start(&server).await;
    handle.send(target("app=cart"));
    feed.wait("a health error", |f| !f.errors().is_empty())
        .await;
    assert!(
        feed.errors()[0].contains("forbidden"),
        "{:?}",
        feed.errors()
    );
}

/// The peer's log endpoint read directly with kube-rs, as the real API server answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peer_log_endpoint_honours_its_parameters() {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, LogParams};

    let server = KubeServer::start(vec![pod_object(
        "shop",
        "cart-a",
        &[("app", "cart")],
        &["app", "sidecar"],
    )])
    .await;
    let base = Timestamp::from_second(Timestamp::now().as_second() - 60).unwrap();
    for i in 0..5 {
        server.push_log(
            "shop",
            "cart-a",
            "app",
            base + SignedDuration::from_secs(i),
            &format!("l{i}"),
        );
    }
    let pods: Api<Pod> = Api::namespaced(server.client().await, "shop");
    let err = pods
        .logs("cart-a", &LogParams::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "a container name must be specified for pod cart-a, choose one of: [app sidecar]"
        ),
        "{err}"
    );
    let app = |p: LogParams| LogParams {
        container: Some("app".into()),
        ..p
    };
    let all = pods
        .logs("cart-a", &app(LogParams::default()))
        .await
        .unwrap();
    assert_eq!(all, "l0\nl1\nl2\nl3\nl4\n");
    let tail = pods
        .logs(
            "cart-a",
            &app(LogParams {
                tail_lines: Some(2),
                timestamps: true,
                ..LogParams::default()
            }),
        )
        .await
        .unwrap();
    let third = base + SignedDuration::from_secs(3);
    assert_eq!(
        tail.lines().next().unwrap(),
        format!("{}.000000000Z l3", third.strftime("%Y-%m-%dT%H:%M:%S"))
    );
    let since = pods
        .logs(
            "cart-a",
            &app(LogParams {
                since_time: Some(third),
                ..LogParams::default()
            }),
        )
        .await
        .unwrap();
    assert_eq!(since, "l3\nl4\n");
    let err = pods
        .logs(
            "cart-a",
            &app(LogParams {
                previous: true,
                ..LogParams::default()
            }),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("previous terminated container \"app\" in pod \"cart-a\" not found"),
        "{err}"
    );
}
