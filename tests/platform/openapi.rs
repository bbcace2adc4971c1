//! The OpenAPI document parses, names exactly the routes the router serves (both ways), and
//! every `$ref` in it resolves.

use std::collections::BTreeSet;

use opsdeck::platform::OPENAPI_YAML;
use opsdeck::platform::routes::ROUTES;
use serde_yaml::Value;

use crate::common::{StoreKind, TestStore};

fn documented() -> (Value, BTreeSet<(String, String)>) {
    let doc: Value = serde_yaml::from_str(OPENAPI_YAML).expect("openapi.yaml parses");
    assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    let paths = doc["paths"].as_mapping().expect("paths");
    let mut routes = BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().unwrap().to_owned();
        for (method, op) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if ["get", "post", "put", "patch", "delete"].contains(&method) {
                assert!(
                    op["responses"].as_mapping().is_some_and(|r| !r.is_empty()),
                    "{method} {path} documents its responses"
                );
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    (doc, routes)
}

#[test]
fn document_and_route_list_agree() {
    let (_, documented) = documented();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(served.len(), ROUTES.len(), "no duplicate routes");
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented but not served: {unserved:?}"
    );
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                if k.as_str() == Some("$ref") {
                    out.push(v.as_str().unwrap().to_owned());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Sequence(s) => s.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_ref_resolves() {
    let (doc, _) = documented();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20);
    for r in refs {
        let mut node = &doc;
        for part in r.trim_start_matches("#/").split('/') {
            node = &node[part];
        }
        assert!(!node.is_null(), "dangling $ref {r}");
    }
}

/// The router really serves each listed route: without a token each answers 401 (not
/// 404/405), while an unlisted path is 404 and a wrong method 405.
#[tokio::test]
async fn router_serves_exactly_the_listed_routes() {
    let store = TestStore::new(StoreKind::Sqlite).await.unwrap();
    let server = store.serve().await;
    let http = reqwest::Client::new();
    for route in ROUTES {
        let url = format!("{}{}", server.url(), route.path.replace("{id}", "x"));
        let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
        let resp = http.request(method, &url).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{} {}", route.method, route.path);
    }
    let resp = http
        .get(format!("{}/v1/nope", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = http
        .delete(format!("{}/v1/me", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
}
