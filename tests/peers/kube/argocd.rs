//! The Argo CD API peer driven with reqwest: bearer token, RBAC and existence hiding, the
//! in-progress and auto-sync guards of sync and rollback, terminate, refresh and the resource
//! tree, with every call recorded exactly as sent.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::argocd::{ArgoServer, Options, fixture_applications};

async fn server() -> (ArgoServer, reqwest::Client) {
    let server = ArgoServer::start(fixture_applications(), Options::default()).await;
    (server, reqwest::Client::new())
}

/// Sends with the right token; returns the status and the JSON body.
async fn call(
    server: &ArgoServer,
    client: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client
        .request(method, format!("{}{path}", server.url()))
        .bearer_auth(server.token());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn list_needs_the_token_and_filters_by_project_and_selector() {
    let (server, client) = server().await;
    let url = format!("{}/api/v1/applications", server.url());
    let none = client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["code"], 16);
    assert_eq!(body["message"], "no session information");
    let wrong = client.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cart-service",
            "checkout-api",
            "payments-api",
            "search-api",
            "storefront"
        ]
    );

    let (_, body) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications?projects=nope",
        None,
    )
    .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
    let (_, body) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications?projects=shop&selector=team%3Dshop",
        None,
    )
    .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 5);

    // Applications the caller may not `get` are left out, not refused.
    server.deny("get", "cart-service");
    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 4);

    let statuses: Vec<u16> = server.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [401, 401, 200, 200, 200, 200]);
}

#[tokio::test]
async fn get_with_refresh_is_recorded() {
    let (server, client) = server().await;
    let (status, app) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications/checkout-api?refresh=hard",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app["status"]["sync"]["status"], "Synced");
    let calls = server.calls();
    assert_eq!(calls[0].path, "/api/v1/applications/checkout-api");
    assert_eq!(calls[0].query, "refresh=hard");
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some(format!("Bearer {}", server.token()).as_str())
    );
    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications/checkout-api?refresh=soft",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 3);
}

#[tokio::test]
async fn sync_records_the_body_sets_the_operation_and_guards_in_progress() {
    let (server, client) = server().await;
    let request = json!({
        "name": "cart-service",
        "revision": "main",
        "prune": true,
        "dryRun": false,
        "strategy": {"hook": {}},
        "resources": [{"group": "", "kind": "ConfigMap", "name": "cart-service-config", "namespace": "shop"}],
        "syncOptions": {"items": ["ApplyOutOfSyncOnly=true"]},
    });
    let (status, app) = call(
        &server,
        &client,
        reqwest::Method::POST,
        "/api/v1/applications/cart-service/sync",
        Some(request.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.calls()[0].body, request);
    assert_eq!(
        app["operation"],
        json!({
            "sync": {
                "revision": "main",
                "prune": true,
                "syncStrategy": {"hook": {}},
                "resources": [{"group": "", "kind": "ConfigMap", "name": "cart-service-config", "namespace": "shop"}],
                "syncOptions": ["ApplyOutOfSyncOnly=true"],
            },
            "initiatedBy": {"username": "alice@acme.io"},
        })
    );
    assert!(
        app["status"].get("operationState").is_none(),
        "SetAppOperation clears the old state"
    );

    // The operation is still set: a second sync is refused, as for the running fixture.
    for name in ["cart-service", "payments-api"] {
        let (status, body) = call(
            &server,
            &client,
            reqwest::Method::POST,
            &format!("/api/v1/applications/{name}/sync"),
            Some(json!({"name": name})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(body["code"], 9);
        assert_eq!(body["message"], "another operation is already in progress");
    }
    // Once the controller is done, syncing is possible again.
    server.finish_operation("cart-service", "Succeeded");
    let (status, _) = call(
        &server,
        &client,
        reqwest::Method::POST,
        "/api/v1/applications/cart-service/sync",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn sync_under_auto_sync_refuses_another_revision() {
    let (server, client) = server().await;
    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::POST,
        "/api/v1/applications/storefront/sync",
        Some(json!({"revision": "1234abcd"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Cannot sync to 1234abcd: auto-sync currently set to main"
    );
    let (status, app) = call(
        &server,
        &client,
        reqwest::Method::POST,
        "/api/v1/applications/storefront/sync",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app["operation"]["sync"]["revision"], "main");
}

#[tokio::test]
async fn rollback_refuses_auto_sync_and_unknown_ids_then_syncs_the_history_source() {
    let (server, client) = server().await;
    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::POST,
        "/api/v1/applications/storefront/rollback",
        Some(json!({"name": "storefront", "id": 4})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "rollback cannot be initiated when auto-sync is enabled"
    );

    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::POST,
        "/api/v1/applications/checkout-api/rollback",
        Some(json!({"name": "checkout-api", "id": 42})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "application checkout-api does not have deployment with id 42"
    );

    let (status, app) = call(
        &server,
        &client,
        reqwest::Method::POST,
        "/api/v1/applications/checkout-api/rollback",
        Some(json!({"name": "checkout-api", "id": 8, "prune": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let history = &server.application("checkout-api").unwrap()["status"]["history"][1];
    assert_eq!(app["operation"]["sync"]["revision"], history["revision"]);
    assert_eq!(app["operation"]["sync"]["source"], history["source"]);
    assert_eq!(app["operation"]["sync"]["prune"], true);

    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::POST,
        "/api/v1/applications/payments-api/rollback",
        Some(json!({"id": 11})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "another operation is already in progress");
}

#[tokio::test]
async fn terminate_sets_terminating_only_while_running() {
    let (server, client) = server().await;
    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::DELETE,
        "/api/v1/applications/payments-api/operation",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({}));
    let app = server.application("payments-api").unwrap();
    assert_eq!(app["status"]["operationState"]["phase"], "Terminating");

    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::DELETE,
        "/api/v1/applications/checkout-api/operation",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Unable to terminate operation. No operation is in progress"
    );
}

#[tokio::test]
async fn resource_tree_carries_health_for_an_app_tree_application() {
    let (server, client) = server().await;
    let (status, tree) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications/search-api/resource-tree",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let nodes = tree["nodes"].as_array().unwrap();
    let rollout = nodes.iter().find(|n| n["kind"] == "Rollout").unwrap();
    assert_eq!(rollout["health"]["status"], "Degraded");
    let run = nodes.iter().find(|n| n["kind"] == "AnalysisRun").unwrap();
    assert_eq!(run["parentRefs"][0]["uid"], rollout["uid"]);
    assert_eq!(nodes.iter().filter(|n| n["kind"] == "Pod").count(), 4);

    // Without a configured tree, one is derived from the CR's resources.
    let (_, tree) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications/cart-service/resource-tree",
        None,
    )
    .await;
    let deployment = tree["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "Deployment")
        .unwrap();
    assert_eq!(deployment["health"]["status"], "Degraded");
}

#[tokio::test]
async fn rbac_denial_and_missing_apps_look_the_same_unless_a_project_is_named() {
    let (server, client) = server().await;
    server.deny("sync", "checkout-api");
    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::POST,
        "/api/v1/applications/checkout-api/sync",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({"error": "permission denied", "code": 7, "message": "permission denied", "details": []})
    );
    assert!(
        server
            .application("checkout-api")
            .unwrap()
            .get("operation")
            .is_none()
    );
    // `get` is still allowed.
    let (status, _) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications/checkout-api",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications/ghost",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(
        &server,
        &client,
        reqwest::Method::GET,
        "/api/v1/applications/ghost?project=shop",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["message"],
        "applications.argoproj.io \"ghost\" not found"
    );
}
