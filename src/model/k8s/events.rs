//! Warning events grouped by the object they are about, for the `:events` view: per object
//! the total count, the reasons, the newest message and when it was last seen, newest first.
//! Times follow kubectl's event printer (last seen = `lastTimestamp`, else `eventTime`,
//! else `firstTimestamp`; count = `count`, else `series.count`, else 1).

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;

use crate::model::sanitize::clean;

/// The Warning events of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventGroup {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    /// Every reason seen, most recent first (`BackOff`, `Failed`, `Unhealthy`, …).
    pub reasons: Vec<String>,
    pub count: i64,
    pub last_seen: Option<Timestamp>,
    /// The newest event's message.
    pub message: String,
    /// Events folded into this group.
    pub events: usize,
}

impl EventGroup {
    /// The key a selection follows.
    #[must_use]
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.namespace, self.kind, self.name)
    }
}

/// When an event was last seen.
#[must_use]
pub fn last_seen(e: &Event) -> Option<Timestamp> {
    e.last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
}

/// How many times it happened.
#[must_use]
pub fn count(e: &Event) -> i64 {
    e.count
        .map(i64::from)
        .or_else(|| e.series.as_ref().and_then(|s| s.count).map(i64::from))
        .unwrap_or(1)
}

/// A group being built, with each reason and when it was seen.
type Folding = (EventGroup, Vec<(Option<Timestamp>, String)>);

/// Groups `events` by object, newest group first.
#[must_use]
pub fn group<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<EventGroup> {
    let mut groups: BTreeMap<(String, String, String), Folding> = BTreeMap::new();
    for e in events {
        let o = &e.involved_object;
        let namespace = o
            .namespace
            .clone()
            .or_else(|| e.metadata.namespace.clone())
            .unwrap_or_default();
        let key = (
            namespace.clone(),
            o.kind.clone().unwrap_or_default(),
            o.name.clone().unwrap_or_default(),
        );
        let seen = last_seen(e);
        let (g, reasons) = groups.entry(key.clone()).or_insert_with(|| {
            (
                EventGroup {
                    namespace: clean(&key.0),
                    kind: clean(&key.1),
                    name: clean(&key.2),
                    reasons: Vec::new(),
                    count: 0,
                    last_seen: None,
                    message: String::new(),
                    events: 0,
                },
                Vec::new(),
            )
        });
        g.count += count(e);
        g.events += 1;
        if g.last_seen.is_none() || seen > g.last_seen {
            g.last_seen = seen;
            g.message = clean(e.message.as_deref().unwrap_or_default());
        }
        reasons.push((seen, clean(e.reason.as_deref().unwrap_or_default())));
    }
    let mut out: Vec<EventGroup> = groups
        .into_values()
        .map(|(mut g, mut reasons)| {
            reasons.sort_by_key(|r| std::cmp::Reverse(r.0));
            for (_, r) in reasons {
                if !r.is_empty() && !g.reasons.contains(&r) {
                    g.reasons.push(r);
                }
            }
            g
        })
        .collect();
    out.sort_by(|a, b| {
        b.last_seen
            .cmp(&a.last_seen)
            .then_with(|| a.key().cmp(&b.key()))
    });
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(name: &str, reason: &str, count: i64, last: &str, message: &str) -> Event {
        serde_json::from_value(json!({
            "metadata": {"name": format!("{name}.{reason}"), "namespace": "shop"},
            "involvedObject": {"kind": "Pod", "name": name, "namespace": "shop"},
            "reason": reason, "message": message, "type": "Warning", "count": count,
            "lastTimestamp": last
        }))
        .unwrap()
    }

    #[test]
    fn events_fold_per_object_newest_first() {
        let events = [
            event("api-1", "BackOff", 3, "2026-12-06T07:00:00Z", "back-off 1"),
            event(
                "api-1",
                "Unhealthy",
                2,
                "2026-12-06T07:10:00Z",
                "probe failed",
            ),
            event(
                "web-1",
                "Failed",
                1,
                "2026-12-06T07:05:00Z",
                "pull failed\u{1b}[2J",
            ),
        ];
        let groups = group(&events);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].name, "api-1");
        assert_eq!(groups[0].count, 5);
        assert_eq!(groups[0].reasons, ["Unhealthy", "BackOff"]);
        assert_eq!(groups[0].message, "probe failed");
        assert!(!groups[1].message.contains('\u{1b}'));
    }
}
