//! Catalog sources against real wire formats: a Backstage test server speaking
//! `/api/catalog/entities/by-query` with cursor pages, and fixture directories of
//! `catalog-info.yaml` files (multi-document, broken, hostile, not UTF-8). Both go through the
//! same mapping, and nothing unsafe for a terminal survives into the catalog.
use std::path::{Path, PathBuf};
use std::time::Duration;

use opsdeck::config::SecretRef;
use opsdeck::model::service::Tier;
use opsdeck::model::{Catalog, CatalogEntry, Service, SourceHealth};
use opsdeck::sources::poller::PollSettings;
use opsdeck::sources::{SourceBody, SourceEvent, SourceId, backstage, catalog_files};
use tokio::sync::mpsc;

use crate::support;
use crate::support::backstage::{Options, fixture_entities};

fn files_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fixtures/catalog/files")
}

/// Every string of a service, named, for the sanitization check.
fn service_strings(s: &Service) -> Vec<(String, &str)> {
    let mut out: Vec<(String, &str)> = vec![
        ("name".into(), s.name.as_str()),
        ("owner".into(), &s.owner),
        ("kind".into(), &s.kind),
        ("lifecycle".into(), &s.lifecycle),
        ("origin".into(), &s.origin),
    ];
    for (field, v) in [
        ("title", &s.title),
        ("system", &s.system),
        ("oncall", &s.oncall),
        ("runbook", &s.runbook),
        ("mapping.argocd_app", &s.mapping.argocd_app),
        ("mapping.kube_namespace", &s.mapping.kube_namespace),
        ("mapping.pod_selector", &s.mapping.pod_selector),
        ("mapping.log_selector", &s.mapping.log_selector),
        ("mapping.trace_service", &s.mapping.trace_service),
    ] {
        if let Some(v) = v {
            out.push((field.into(), v));
        }
    }
    if let Some(slo) = &s.slo {
        out.push(("slo.name".into(), &slo.name));
        out.push(("slo.window".into(), &slo.window));
    }
    if let Some(w) = &s.mapping.workload {
        out.push(("mapping.workload".into(), &w.name));
    }
    for l in &s.links {
        out.push(("links.title".into(), &l.title));
        out.push(("links.url".into(), &l.url));
    }
    for (field, list) in [
        ("repos", &s.repos),
        ("depends_on", &s.depends_on),
        ("dependency_of", &s.dependency_of),
        ("tags", &s.tags),
        ("mapping.topics", &s.mapping.topics),
        ("mapping.consumer_groups", &s.mapping.consumer_groups),
        ("mapping.databases", &s.mapping.databases),
    ] {
        for v in list {
            out.push((field.into(), v));
        }
    }
    for (k, v) in &s.annotations {
        out.push(("annotations key".into(), k));
        out.push((format!("annotations[{k}]"), v));
    }
    out
}

fn is_unsafe(c: char) -> bool {
    (c as u32) < 0x20
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// No string holds a control character, C1 control or bidi override. The description alone
/// may keep `\n` (it is multi-line text, cleaned with `clean_multiline`).
fn assert_terminal_safe(catalog: &Catalog) {
    for entry in &catalog.entries {
        match entry {
            CatalogEntry::Service(s) => {
                for (field, text) in service_strings(s) {
                    assert!(
                        !text.chars().any(is_unsafe),
                        "{}.{field} is unsafe: {text:?}",
                        s.name
                    );
                }
                assert!(
                    !s.description.chars().any(|c| c != '\n' && is_unsafe(c)),
                    "{}.description is unsafe: {:?}",
                    s.name,
                    s.description
                );
            }
            CatalogEntry::Invalid {
                origin,
                entity,
                message,
            } => {
                for text in [origin.as_str(), message, entity.as_deref().unwrap_or("")] {
                    assert!(!text.chars().any(is_unsafe), "invalid row unsafe: {text:?}");
                }
            }
        }
    }
}

fn invalid_rows(catalog: &Catalog) -> Vec<(String, Option<String>, String)> {
    catalog
        .entries
        .iter()
        .filter_map(|e| match e {
            CatalogEntry::Invalid {
                origin,
                entity,
                message,
            } => Some((origin.clone(), entity.clone(), message.clone())),
            CatalogEntry::Service(_) => None,
        })
        .collect()
}

fn names(catalog: &Catalog) -> Vec<&str> {
    catalog.entries.iter().map(CatalogEntry::name).collect()
}

// ---------------------------------------------------------------------------------------------
// Backstage
// ---------------------------------------------------------------------------------------------

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one scenario checked end to end; its assertions read in order"
)]
async fn backstage_pages_through_every_component() {
    let server = support::backstage::start(fixture_entities(), Options::default()).await;
    let client = reqwest::Client::new();
    let catalog = backstage::fetch(&client, &server.url(), Some("test-token"))
        .await
        .expect("fetches");

    // 10 Components over 4 pages of 3; the Group and the API are filtered by the server.
    let requests = server.requests();
    assert_eq!(requests.len(), 4, "{requests:#?}");
    assert!(
        requests[0].contains("filter=kind%3Dcomponent"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0].contains("fields=apiVersion%2Ckind%2Cmetadata.name%2Cmetadata.namespace%2C"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0].contains("%2Cmetadata.description%2C"),
        "{}",
        requests[0]
    );
    assert!(requests[0].contains("limit=500"), "{}", requests[0]);
    for later in &requests[1..] {
        assert!(later.contains("cursor="), "{later}");
        assert!(
            !later.contains("filter="),
            "cursor pages carry the filter: {later}"
        );
    }

    assert_eq!(catalog.entries.len(), 10, "{:#?}", names(&catalog));
    assert_eq!(catalog.services().count(), 8);
    let sorted = {
        let mut n = names(&catalog);
        n.sort_unstable();
        n
    };
    assert_eq!(names(&catalog), sorted, "entries are sorted by name");

    let checkout = catalog.service("checkout-api").expect("checkout-api");
    assert_eq!(checkout.title.as_deref(), Some("Checkout API"));
    assert_eq!(
        checkout.owner, "checkout-squad",
        "the ownedBy relation wins"
    );
    assert_eq!(checkout.system.as_deref(), Some("shop"));
    assert_eq!(checkout.kind, "service");
    assert_eq!(checkout.lifecycle, "production");
    assert_eq!(checkout.tier, Tier::Tier1);
    assert_eq!(checkout.oncall.as_deref(), Some("alice"));
    let slo = checkout.slo.as_ref().expect("slo");
    assert!((slo.target - 99.95).abs() < 1e-9);
    assert!(slo.current.is_none() && slo.budget_left.is_none());
    assert_eq!(
        checkout.runbook.as_deref(),
        Some("https://wiki.example.com/runbooks/checkout")
    );
    assert_eq!(checkout.links.len(), 2);
    assert_eq!(checkout.repos, ["https://github.com/acme/checkout"]);
    assert_eq!(checkout.depends_on, ["payments-api", "resource:orders-db"]);
    // From the relation, and from api-gateway's and mobile-bff's dependsOn.
    assert_eq!(checkout.dependency_of, ["api-gateway", "mobile-bff"]);
    assert_eq!(checkout.tags, ["java", "payments"]);
    assert_eq!(checkout.origin, "component:default/checkout-api");
    let m = &checkout.mapping;
    assert_eq!(m.argocd_app.as_deref(), Some("checkout-api-prod"));
    assert_eq!(m.topics, ["orders.v1", "payments.v1"]);
    assert_eq!(m.databases, ["orders-db"]);
    assert_eq!(
        m.pod_selector.as_deref(),
        Some("backstage.io/kubernetes-id=checkout-api")
    );
    assert_eq!(
        m.workload.as_ref().map(|w| w.name.as_str()),
        Some("checkout-api")
    );
    assert_eq!(m.log_selector.as_deref(), Some("{app=\"checkout-api\"}"));

    let payments = catalog.service("payments-api").expect("payments-api");
    assert_eq!(
        payments.tier,
        Tier::Tier1,
        "tier from the opsdeck.io/tier annotation"
    );
    assert_eq!(
        payments.runbook.as_deref(),
        Some("https://runbooks.example.com/payments"),
        "a link of type runbook"
    );
    assert_eq!(
        catalog.service("api-gateway").expect("gateway").owner,
        "platform"
    );
    let web = catalog.service("web-shop").expect("web-shop");
    assert_eq!(web.owner, "storefront/web-team");
    assert_eq!(web.origin, "component:storefront/web-shop");
    assert_eq!(web.kind, "website");

    let invalid = invalid_rows(&catalog);
    assert_eq!(invalid.len(), 2, "{invalid:#?}");
    let orphan = invalid
        .iter()
        .find(|(_, e, _)| e.as_deref() == Some("orphan-worker"))
        .expect("orphan-worker row");
    assert_eq!(orphan.0, "component:default/orphan-worker");
    assert!(
        orphan.2.contains("`orphan-worker`") && orphan.2.contains("spec.owner"),
        "{}",
        orphan.2
    );
    let search = invalid
        .iter()
        .find(|(_, e, _)| e.as_deref() == Some("search-api"))
        .expect("search-api row");
    assert!(search.2.contains("metadata.tags"), "{}", search.2);

    assert_terminal_safe(&catalog);
    let evil = catalog
        .services()
        .find(|s| s.name.starts_with("evil"))
        .expect("the hostile entity is kept, cleaned");
    assert!(
        evil.name.contains('␛'),
        "escapes stay visible: {}",
        evil.name
    );
    assert!(
        evil.description.contains("line one\nline"),
        "{}",
        evil.description
    );
}

#[tokio::test]
async fn backstage_checks_the_token() {
    let server = support::backstage::start(fixture_entities(), Options::default()).await;
    let client = reqwest::Client::new();
    let err = backstage::fetch(&client, &server.url(), Some("wrong"))
        .await
        .expect_err("refused");
    assert!(
        err.contains("401") && err.contains("check the token"),
        "{err}"
    );
    let err = backstage::fetch(&client, &server.url(), None)
        .await
        .expect_err("refused");
    assert!(err.contains("401"), "{err}");
}

#[tokio::test]
async fn backstage_stuck_cursor_stops() {
    let options = Options {
        stuck_cursor: true,
        ..Options::default()
    };
    let server = support::backstage::start(fixture_entities(), options).await;
    let err = backstage::fetch(&reqwest::Client::new(), &server.url(), Some("test-token"))
        .await
        .expect_err("loop detected");
    assert!(err.contains("same cursor"), "{err}");
    assert!(server.requests().len() <= 3);
}

#[tokio::test]
async fn backstage_accepts_a_base_url_with_api_catalog() {
    let server = support::backstage::start(fixture_entities(), Options::default()).await;
    let base = format!("{}/api/catalog/", server.url());
    let catalog = backstage::fetch(&reqwest::Client::new(), &base, Some("test-token"))
        .await
        .expect("fetches");
    assert_eq!(catalog.entries.len(), 10);
}

const FAST: PollSettings = PollSettings {
    interval: Duration::from_mins(1),
    timeout: Duration::from_secs(10),
};

async fn next_event(rx: &mut mpsc::Receiver<SourceEvent>) -> SourceEvent {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("an event within 15 s")
        .expect("source alive")
}

#[tokio::test]
async fn spawned_backstage_source_sends_catalog_then_health() {
    let server = support::backstage::start(fixture_entities(), Options::default()).await;
    let (tx, mut rx) = mpsc::channel(16);
    // The token comes from a command, as a config would give it.
    let token = SecretRef::Command("printf %s test-token".into());
    let _handle = backstage::spawn_with(&server.url(), Some(token), FAST, 7, tx);
    let first = next_event(&mut rx).await;
    assert_eq!((first.source, first.generation), (SourceId::Catalog, 7));
    match &first.body {
        SourceBody::Catalog(c) => assert_eq!(c.services().count(), 8),
        other => panic!("expected the catalog first, got {other:?}"),
    }
    let second = next_event(&mut rx).await;
    assert!(
        matches!(second.body, SourceBody::Health(SourceHealth::Ok { .. })),
        "{:?}",
        second.body
    );
}

#[tokio::test]
async fn dead_backstage_reports_a_health_error() {
    // A port that was free a moment ago: connection refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let (tx, mut rx) = mpsc::channel(16);
    let _handle = backstage::spawn_with(&format!("http://127.0.0.1:{port}"), None, FAST, 1, tx);
    let event = next_event(&mut rx).await;
    match event.body {
        SourceBody::Health(SourceHealth::Error {
            message, last_good, ..
        }) => {
            assert!(message.contains("cannot reach Backstage"), "{message}");
            assert!(last_good.is_none());
        }
        other => panic!("expected a health error, got {other:?}"),
    }
}

#[tokio::test]
async fn unresolvable_token_reports_a_health_error_naming_the_variable() {
    let (tx, mut rx) = mpsc::channel(16);
    let token = SecretRef::Env("OPSDECK_TEST_SURELY_UNSET_TOKEN".into());
    let _handle = backstage::spawn_with("http://127.0.0.1:9", Some(token), FAST, 1, tx);
    match next_event(&mut rx).await.body {
        SourceBody::Health(SourceHealth::Error { message, .. }) => {
            assert!(
                message.contains("OPSDECK_TEST_SURELY_UNSET_TOKEN"),
                "{message}"
            );
        }
        other => panic!("expected a health error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// catalog-info.yaml directories
// ---------------------------------------------------------------------------------------------

#[test]
fn directory_source_reads_every_document() {
    let root = files_fixture();
    let catalog = catalog_files::load_dir(&root);
    let mut service_names: Vec<&str> = catalog.services().map(|s| s.name.as_str()).collect();
    service_names.sort_unstable();
    assert_eq!(
        service_names.len(),
        7,
        "{service_names:?} / {:#?}",
        invalid_rows(&catalog)
    );
    for name in [
        "api-gateway",
        "before-the-break",
        "cart-api",
        "checkout-api",
        "latin1-service",
        "payments-api",
    ] {
        assert!(service_names.contains(&name), "{name} in {service_names:?}");
    }
    assert!(
        !service_names.contains(&"hidden-service"),
        "hidden dirs are skipped"
    );
    assert_eq!(catalog.entries.len(), 10, "{:#?}", names(&catalog));

    let checkout = catalog.service("checkout-api").expect("checkout");
    assert_eq!(checkout.owner, "team-checkout");
    assert_eq!(checkout.tier, Tier::Tier1);
    assert_eq!(
        checkout.description,
        "Takes orders and payments.\nSecond line of the description."
    );
    assert_eq!(checkout.depends_on, ["payments-api", "resource:orders-db"]);
    assert_eq!(checkout.dependency_of, ["api-gateway", "cart-api"]);
    assert_eq!(
        checkout.runbook.as_deref(),
        Some("https://wiki.example.com/runbooks/checkout")
    );
    // Files are named relative to the catalog directory.
    assert_eq!(checkout.origin, "shop/catalog-info.yaml (document 2)");
    let cart = catalog.service("cart-api").expect("cart");
    assert_eq!(cart.tier, Tier::Tier2, "a YAML number label still reads");
    let gateway = catalog.service("api-gateway").expect("gateway");
    assert_eq!(gateway.owner, "edge/platform-team");
    assert_eq!(gateway.origin, "platform/nested/deep/gateway.yml");
    let payments = catalog.service("payments-api").expect("payments");
    assert_eq!(payments.owner, "team-payments");
    assert_eq!(payments.tier, Tier::Tier1);

    let invalid = invalid_rows(&catalog);
    assert_eq!(invalid.len(), 3, "{invalid:#?}");
    let orphan = invalid
        .iter()
        .find(|(_, e, _)| e.as_deref() == Some("orphan-worker"))
        .expect("missing owner row");
    assert_eq!(orphan.0, "platform/missing-owner.yaml");
    assert!(
        orphan.2.contains("missing-owner.yaml") && orphan.2.contains("spec.owner"),
        "{}",
        orphan.2
    );
    let broken = invalid
        .iter()
        .find(|(o, _, _)| o.contains("broken/catalog-info.yaml"))
        .expect("broken YAML row");
    assert_eq!(broken.0, "broken/catalog-info.yaml (document 2)");
    assert!(
        broken.2.contains("document 2 is not valid YAML"),
        "{}",
        broken.2
    );
    let raw = invalid
        .iter()
        .find(|(o, _, _)| o.ends_with("raw-escape.yaml"))
        .expect("raw escape row");
    assert!(raw.2.contains("not valid YAML"), "{}", raw.2);

    assert_terminal_safe(&catalog);
    let latin1 = catalog.service("latin1-service").expect("decoded lossily");
    assert!(
        latin1.description.contains('\u{FFFD}'),
        "{}",
        latin1.description
    );
    assert!(latin1.owner.starts_with("team-"), "{}", latin1.owner);
    let evil = catalog
        .services()
        .find(|s| s.name.starts_with("evil"))
        .expect("hostile entity kept");
    assert!(
        evil.description.contains("one\ntwo"),
        "{:?}",
        evil.description
    );
    assert_eq!(
        evil.tier,
        Tier::Unknown,
        "a tier with an escape is not a tier"
    );
}

#[test]
fn directory_source_output_is_stable() {
    let a = catalog_files::load_dir(&files_fixture());
    let b = catalog_files::load_dir(&files_fixture());
    assert_eq!(a, b);
}

#[test]
fn missing_directory_is_reported() {
    let err = catalog_files::scan(Path::new("/nonexistent/opsdeck-catalog")).expect_err("missing");
    assert!(err.contains("cannot read catalog directory"), "{err}");
}

#[tokio::test]
async fn spawned_directory_source_sends_catalog_then_health() {
    let (tx, mut rx) = mpsc::channel(16);
    let _handle = catalog_files::spawn_with(files_fixture(), FAST, 3, tx);
    let first = next_event(&mut rx).await;
    assert_eq!(first.generation, 3);
    match &first.body {
        SourceBody::Catalog(c) => assert_eq!(c.services().count(), 7),
        other => panic!("expected the catalog first, got {other:?}"),
    }
    assert!(matches!(
        next_event(&mut rx).await.body,
        SourceBody::Health(SourceHealth::Ok { .. })
    ));
}

#[tokio::test]
async fn spawned_directory_source_reports_a_missing_directory() {
    let (tx, mut rx) = mpsc::channel(16);
    let _handle = catalog_files::spawn_with(PathBuf::from("/nonexistent/opsdeck"), FAST, 1, tx);
    assert!(matches!(
        next_event(&mut rx).await.body,
        SourceBody::Health(SourceHealth::Error { .. })
    ));
}
