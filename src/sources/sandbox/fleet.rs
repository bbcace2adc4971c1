//! The simulated fleet: squads, services, people and the dependency graph. Deterministic for a
//! seed, so screenshots and tours see the same world every time.

use std::collections::BTreeMap;

use crate::model::service::{Link, Slo, annotations as a};
use crate::model::{Service, ServiceMapping, Tier};

/// SplitMix64: small, fast, and stable across platforms and releases.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % (n.max(1) as u64)).unwrap_or(0)
    }

    /// Uniform in `[0, 1)`.
    #[allow(clippy::cast_precision_loss)]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A squad and its people.
#[derive(Debug, Clone)]
pub struct Squad {
    pub name: &'static str,
    pub people: &'static [&'static str],
    pub database: &'static str,
}

pub const SQUADS: &[Squad] = &[
    Squad {
        name: "payments",
        people: &["amara.okafor", "jonas.weber", "li.wei"],
        database: "payments-db",
    },
    Squad {
        name: "checkout",
        people: &["sofia.rossi", "mateo.garcia", "hana.sato"],
        database: "orders-db",
    },
    Squad {
        name: "catalog",
        people: &["noah.berg", "priya.nair", "elif.demir"],
        database: "catalog-db",
    },
    Squad {
        name: "identity",
        people: &["oscar.lind", "fatima.zahra", "ines.costa"],
        database: "identity-db",
    },
    Squad {
        name: "logistics",
        people: &["tomas.novak", "grace.kim", "yusuf.kaya"],
        database: "logistics-db",
    },
    Squad {
        name: "search",
        people: &["emma.laurent", "ravi.menon", "kai.muller"],
        database: "search-db",
    },
    Squad {
        name: "platform",
        people: &["maya.cohen", "erik.holm", "zoe.martin"],
        database: "platform-db",
    },
    Squad {
        name: "growth",
        people: &["leo.fischer", "aisha.bello", "nina.petrova"],
        database: "growth-db",
    },
];

/// A service template: `(name, squad, tier, lifecycle, depends_on, produces, consumes)`.
type Template = (
    &'static str,
    &'static str,
    u8,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

pub const SERVICES: &[Template] = &[
    (
        "payments-api",
        "payments",
        1,
        "production",
        &["ledger-service", "fraud-scorer", "auth-gateway"],
        &["payments.authorized.v1"],
        &[],
    ),
    (
        "ledger-service",
        "payments",
        1,
        "production",
        &["config-service"],
        &["ledger.entries.v1"],
        &["payments.authorized.v1"],
    ),
    (
        "fraud-scorer",
        "payments",
        1,
        "production",
        &["user-profile", "feature-flags"],
        &["fraud.decisions.v1"],
        &["orders.placed.v1"],
    ),
    (
        "refund-worker",
        "payments",
        2,
        "production",
        &["payments-api", "ledger-service"],
        &[],
        &["refunds.requested.v1"],
    ),
    (
        "payout-scheduler",
        "payments",
        2,
        "production",
        &["ledger-service"],
        &["payouts.scheduled.v1"],
        &["ledger.entries.v1"],
    ),
    (
        "checkout-api",
        "checkout",
        1,
        "production",
        &[
            "cart-service",
            "pricing-engine",
            "payments-api",
            "tax-calculator",
            "auth-gateway",
        ],
        &["orders.placed.v1"],
        &[],
    ),
    (
        "cart-service",
        "checkout",
        1,
        "production",
        &["product-catalog", "session-store"],
        &["carts.updated.v1"],
        &[],
    ),
    (
        "pricing-engine",
        "checkout",
        1,
        "production",
        &["promotions-service", "product-catalog"],
        &[],
        &["prices.changed.v1"],
    ),
    (
        "promotions-service",
        "checkout",
        2,
        "production",
        &["feature-flags"],
        &["promotions.applied.v1"],
        &[],
    ),
    (
        "tax-calculator",
        "checkout",
        2,
        "production",
        &["config-service"],
        &[],
        &[],
    ),
    (
        "product-catalog",
        "catalog",
        1,
        "production",
        &["media-resizer", "inventory-service"],
        &["prices.changed.v1", "products.updated.v1"],
        &[],
    ),
    (
        "inventory-service",
        "catalog",
        1,
        "production",
        &["warehouse-sync"],
        &["inventory.levels.v1"],
        &["orders.placed.v1"],
    ),
    (
        "media-resizer",
        "catalog",
        3,
        "production",
        &[],
        &[],
        &["products.updated.v1"],
    ),
    (
        "catalog-indexer",
        "catalog",
        2,
        "production",
        &["product-catalog"],
        &[],
        &["products.updated.v1"],
    ),
    (
        "reviews-service",
        "catalog",
        3,
        "experimental",
        &["user-profile"],
        &["reviews.posted.v1"],
        &[],
    ),
    (
        "auth-gateway",
        "identity",
        1,
        "production",
        &["session-store", "permissions-service", "mfa-service"],
        &["auth.events.v1"],
        &[],
    ),
    (
        "user-profile",
        "identity",
        1,
        "production",
        &["permissions-service"],
        &["users.changed.v1"],
        &[],
    ),
    ("session-store", "identity", 1, "production", &[], &[], &[]),
    (
        "permissions-service",
        "identity",
        2,
        "production",
        &["config-service"],
        &[],
        &["users.changed.v1"],
    ),
    (
        "mfa-service",
        "identity",
        2,
        "production",
        &["notification-hub"],
        &[],
        &[],
    ),
    (
        "shipping-api",
        "logistics",
        1,
        "production",
        &["carrier-tracker", "delivery-estimator", "auth-gateway"],
        &["shipments.created.v1"],
        &["orders.placed.v1"],
    ),
    (
        "warehouse-sync",
        "logistics",
        2,
        "production",
        &[],
        &["inventory.levels.v1"],
        &["shipments.created.v1"],
    ),
    (
        "carrier-tracker",
        "logistics",
        2,
        "production",
        &["notification-hub"],
        &["shipments.tracked.v1"],
        &["shipments.created.v1"],
    ),
    (
        "label-printer",
        "logistics",
        3,
        "deprecated",
        &["shipping-api"],
        &[],
        &["shipments.created.v1"],
    ),
    (
        "delivery-estimator",
        "logistics",
        3,
        "experimental",
        &["warehouse-sync"],
        &[],
        &["shipments.tracked.v1"],
    ),
    (
        "search-api",
        "search",
        1,
        "production",
        &["ranking-service", "query-suggest", "product-catalog"],
        &["search.queries.v1"],
        &[],
    ),
    (
        "query-suggest",
        "search",
        2,
        "production",
        &[],
        &[],
        &["search.queries.v1"],
    ),
    (
        "ranking-service",
        "search",
        2,
        "production",
        &["recommendations", "feature-flags"],
        &[],
        &[],
    ),
    (
        "search-indexer",
        "search",
        2,
        "production",
        &["product-catalog"],
        &[],
        &["products.updated.v1", "inventory.levels.v1"],
    ),
    (
        "api-gateway",
        "platform",
        1,
        "production",
        &[
            "auth-gateway",
            "checkout-api",
            "search-api",
            "product-catalog",
        ],
        &["gateway.access.v1"],
        &[],
    ),
    (
        "notification-hub",
        "platform",
        2,
        "production",
        &["email-sender"],
        &["notifications.sent.v1"],
        &["orders.placed.v1", "shipments.tracked.v1"],
    ),
    (
        "email-sender",
        "platform",
        2,
        "production",
        &[],
        &[],
        &["notifications.sent.v1"],
    ),
    (
        "feature-flags",
        "platform",
        1,
        "production",
        &["config-service"],
        &[],
        &[],
    ),
    (
        "config-service",
        "platform",
        1,
        "production",
        &[],
        &["config.changed.v1"],
        &[],
    ),
    (
        "recommendations",
        "growth",
        2,
        "production",
        &["product-catalog", "user-profile"],
        &[],
        &["orders.placed.v1", "search.queries.v1"],
    ),
    (
        "ab-testing",
        "growth",
        3,
        "production",
        &["feature-flags"],
        &["experiments.exposed.v1"],
        &[],
    ),
    (
        "analytics-ingest",
        "growth",
        2,
        "production",
        &[],
        &[],
        &[
            "gateway.access.v1",
            "experiments.exposed.v1",
            "orders.placed.v1",
        ],
    ),
    (
        "loyalty-service",
        "growth",
        3,
        "experimental",
        &["user-profile", "ledger-service"],
        &["loyalty.points.v1"],
        &["orders.placed.v1"],
    ),
    (
        "newsletter-worker",
        "growth",
        3,
        "deprecated",
        &["email-sender", "user-profile"],
        &[],
        &["users.changed.v1"],
    ),
];

fn squad(name: &str) -> &'static Squad {
    SQUADS.iter().find(|s| s.name == name).unwrap_or(&SQUADS[0])
}

/// Builds one service from its template. Its SLO has a target only: the measured figures
/// come from the metrics source (the sandbox's simulated Prometheus), as everywhere.
#[must_use]
pub fn build_service(template: &Template, rng: &mut Rng) -> Service {
    let (name, squad_name, tier, lifecycle, depends_on, produces, consumes) = *template;
    let sq = squad(squad_name);
    let oncall = (*rng.pick(sq.people)).to_owned();
    let target = match tier {
        1 => 99.95,
        2 => 99.9,
        _ => 99.5,
    };
    // Drawn as before so the seeded choices after it (on-call people) stay the same.
    let _ = rng.unit();
    let workload = if tier == 1 {
        format!("rollout/{name}")
    } else {
        format!("deployment/{name}")
    };
    let groups: Vec<String> = consumes
        .iter()
        .map(|_| format!("{name}-consumer"))
        .take(1)
        .collect();
    let databases = if matches!(tier, 1 | 2) && !name.ends_with("-worker") {
        vec![sq.database.to_owned()]
    } else {
        Vec::new()
    };
    let mut ann = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        ann.insert(k.to_owned(), v);
    };
    put(a::ARGOCD_APP, name.to_owned());
    put(a::KUBE_ID, name.to_owned());
    put(a::KUBE_NAMESPACE, squad_name.to_owned());
    put(a::WORKLOAD, workload);
    put(a::KAFKA_TOPICS, produces.join(","));
    put(a::KAFKA_GROUPS, groups.join(","));
    put(a::DATABASES, databases.join(","));
    put(
        a::LOG_SELECTOR,
        format!("{{namespace=\"{squad_name}\", app=\"{name}\"}}"),
    );
    put(a::TRACE_SERVICE, name.to_owned());
    put(a::ONCALL, oncall.clone());
    put(a::SLO_TARGET, format!("{target}"));
    put(a::GITHUB_SLUG, format!("acme/{name}"));
    put("backstage.io/techdocs-ref", "dir:.".to_owned());
    ann.retain(|_, v| !v.is_empty());
    let mapping = ServiceMapping::from_annotations(&ann);
    let runbook = format!("https://runbooks.acme.internal/{squad_name}/{name}");
    Service {
        name: name.to_owned(),
        title: None,
        description: describe(name),
        owner: squad_name.to_owned(),
        system: Some(format!("{squad_name}-system")),
        kind: "service".to_owned(),
        tier: Tier::parse(&tier.to_string()),
        lifecycle: lifecycle.to_owned(),
        oncall: Some(oncall),
        slo: Some(Slo {
            name: "availability".to_owned(),
            target,
            current: None,
            budget_left: None,
            window: "30d".to_owned(),
        }),
        runbook: Some(runbook.clone()),
        links: vec![
            Link {
                title: "Runbook".to_owned(),
                url: runbook,
            },
            Link {
                title: "Dashboard".to_owned(),
                url: format!("https://grafana.acme.internal/d/{name}"),
            },
        ],
        repos: vec![format!("github.com/acme/{name}")],
        depends_on: depends_on.iter().map(|s| (*s).to_owned()).collect(),
        dependency_of: Vec::new(),
        tags: vec![squad_name.to_owned(), format!("tier-{tier}")],
        annotations: ann,
        mapping,
        origin: format!("sandbox:component:default/{name}"),
    }
}

fn describe(name: &str) -> String {
    let noun = name.replace('-', " ");
    format!("Runs the {noun} for the Acme shop.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_is_big_enough_and_consistent() {
        assert!(SERVICES.len() >= 35);
        assert_eq!(SQUADS.len(), 8);
        let names: Vec<_> = SERVICES.iter().map(|t| t.0).collect();
        for t in SERVICES {
            assert!(
                SQUADS.iter().any(|s| s.name == t.1),
                "{} has a known squad",
                t.0
            );
            for dep in t.4 {
                assert!(names.contains(dep), "{} depends on known {dep}", t.0);
            }
        }
    }

    #[test]
    fn same_seed_same_fleet() {
        let a = build_service(&SERVICES[0], &mut Rng::new(7));
        let b = build_service(&SERVICES[0], &mut Rng::new(7));
        assert_eq!(a, b);
    }
}
