//! Which catalog service an alert is about: a service's `opsdeck.io/alert-labels` matchers
//! first (every matcher must hold; the first service in catalog order wins), then the
//! context's service labels in order (`alertmanager.service_labels`, by default
//! [`DEFAULT_SERVICE_LABELS`]): the value of the first of them that names a catalog service
//! (a `service` label holding a Kubernetes Service name unknown to the catalog passes to
//! `app`, then `job`). An `OpenTelemetry` `job` (`namespace/name`) gives its name.

use std::collections::BTreeMap;

use crate::model::Catalog;
use crate::model::alerts::DEFAULT_SERVICE_LABELS;

/// The catalog service `labels` (an alert's) belong to, or `None`. `service_labels` empty
/// means the defaults.
#[must_use]
pub fn service_for_alert<'c, S: AsRef<str>>(
    labels: &BTreeMap<String, String>,
    service_labels: &[S],
    catalog: &'c Catalog,
) -> Option<&'c str> {
    if let Some(s) = catalog.services().find(|s| {
        !s.mapping.alert_matchers.is_empty()
            && crate::model::silence::catches(&s.mapping.alert_matchers, labels)
    }) {
        return Some(&s.name);
    }
    let defaults: Vec<&str> = DEFAULT_SERVICE_LABELS.to_vec();
    let names: Vec<&str> = if service_labels.is_empty() {
        defaults
    } else {
        service_labels.iter().map(AsRef::as_ref).collect()
    };
    names.iter().find_map(|label| {
        let value = labels.get(*label).filter(|v| !v.is_empty())?;
        let value = if *label == "job" {
            value.rsplit('/').next().unwrap_or(value)
        } else {
            value.as_str()
        };
        catalog.service(value).map(|s| s.name.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CatalogEntry, Service, ServiceMapping};

    fn service(name: &str, alert_labels: Option<&str>) -> CatalogEntry {
        let mut ann = BTreeMap::new();
        if let Some(a) = alert_labels {
            ann.insert(
                crate::model::service::annotations::ALERT_LABELS.to_owned(),
                a.to_owned(),
            );
        }
        CatalogEntry::Service(Box::new(Service::from_annotations(name, "team", ann)))
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn annotation_matchers_win_then_the_label_list() {
        let catalog = Catalog::new(vec![
            service("checkout-api", Some("app=checkout, team=~\"pay.*\"")),
            service("ledger", None),
            service("cart", None),
        ]);
        let none: [&str; 0] = [];
        let a = labels(&[
            ("app", "checkout"),
            ("team", "payments"),
            ("service", "ledger"),
        ]);
        assert_eq!(service_for_alert(&a, &none, &catalog), Some("checkout-api"));
        let b = labels(&[
            ("app", "checkout"),
            ("team", "growth"),
            ("service", "ledger"),
        ]);
        assert_eq!(service_for_alert(&b, &none, &catalog), Some("ledger"));
        let c = labels(&[("job", "shop/cart")]);
        assert_eq!(service_for_alert(&c, &none, &catalog), Some("cart"));
        assert_eq!(service_for_alert(&c, &["service"], &catalog), None);
        let d = labels(&[("service", "unknown"), ("app", "ledger")]);
        assert_eq!(
            service_for_alert(&d, &none, &catalog),
            Some("ledger"),
            "a label naming no catalog service passes to the next"
        );
        assert_eq!(service_for_alert(&d, &["service"], &catalog), None);
    }

    #[test]
    fn bad_annotations_are_reported_with_their_key() {
        let CatalogEntry::Service(s) = service("x", Some("app==checkout")) else {
            panic!("a service")
        };
        assert!(s.mapping.alert_matchers.is_empty());
        assert!(
            s.mapping.annotation_errors[0].starts_with("opsdeck.io/alert-labels: "),
            "{:?}",
            s.mapping.annotation_errors
        );
        let m = crate::model::service::parse_matchers(r#"a!="x,y", b!~"c|d", c=e"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].to_string(), r#"a!="x,y""#);
        assert!(!m[1].is_equal && m[1].is_regex);
        assert!(crate::model::service::parse_matchers("a=~(").is_err());
        assert!(crate::model::service::parse_matchers("9a=b").is_err());
        let mut ann = BTreeMap::new();
        ann.insert(
            "opsdeck.io/promql-error-ratio".to_owned(),
            "sum(x".to_owned(),
        );
        ann.insert(
            "opsdeck.io/promql-latency-p99".to_owned(),
            "max(x)".to_owned(),
        );
        ann.insert("opsdeck.io/promql-nope".to_owned(), "x".to_owned());
        let mapping = ServiceMapping::from_annotations(&ann);
        assert_eq!(mapping.metric_queries.len(), 1);
        assert_eq!(mapping.metric_queries["latency_p99"], "max(x)");
        assert_eq!(
            mapping.annotation_errors.len(),
            2,
            "{:?}",
            mapping.annotation_errors
        );
        assert!(mapping.annotation_errors[0].starts_with("opsdeck.io/promql-error-ratio: "));
        let holds = |m: &str, l: &[(&str, &str)]| {
            let m = crate::model::service::parse_matchers(m).unwrap_or_default();
            crate::model::silence::matches(&m[0], &labels(l))
        };
        assert!(holds("a=~x|y", &[("a", "y")]));
        assert!(!holds("a=~x", &[("a", "xx")]), "anchored");
        assert!(holds("a!=x", &[]), "absent is empty");
        assert!(holds("a=\"\"", &[]));
    }
}
