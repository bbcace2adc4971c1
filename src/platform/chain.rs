//! The tamper-evident audit chain: `hash = sha256(prev_hash || canonical_json(event))`.
//!
//! `prev_hash` enters as its lowercase hex text, so anyone can recompute a hash with
//! `sha256sum` from what the API returns. Canonical JSON (sorted keys, no whitespace) is
//! produced here rather than by `serde_json`'s map order, because that order changes when
//! any crate in the build enables `preserve_order`. Rows are only ever inserted: an
//! outcome is a row of its own, never an update of its intent.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::platform::AuditEvent;

/// `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Serializes with object keys sorted (by UTF-8 bytes) and no insignificant whitespace.
#[must_use]
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        // Scalars have a single serde_json rendering already.
        other => out.push_str(&other.to_string()),
    }
}

/// `sha256(prev_hash || body)` as lowercase hex.
#[must_use]
pub fn link_hash(prev_hash: &str, canonical_body: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_body.as_bytes());
    hex::encode(hasher.finalize())
}

/// One stored row: the canonical body plus the columns it is indexed by. The columns are
/// copies of body fields; [`Verifier`] checks they still agree, so editing a column is as
/// visible as editing the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow {
    pub seq: i64,
    pub event_id: String,
    pub kind: String,
    pub actor: Option<String>,
    pub action: String,
    pub target_ref: String,
    pub intent_id: Option<String>,
    pub ts_us: i64,
    pub body: String,
    pub prev_hash: String,
    pub hash: String,
}

impl ChainRow {
    /// Builds the row that follows `(prev_seq, prev_hash)`.
    pub fn link(
        event: &AuditEvent,
        prev_seq: i64,
        prev_hash: &str,
    ) -> Result<Self, serde_json::Error> {
        let value = serde_json::to_value(event)?;
        let body = canonical_json(&value);
        let hash = link_hash(prev_hash, &body);
        let mut row = Self::columns_of(event)?;
        row.seq = prev_seq + 1;
        row.body = body;
        prev_hash.clone_into(&mut row.prev_hash);
        row.hash = hash;
        Ok(row)
    }

    /// The indexed columns an event implies (hash fields left empty).
    fn columns_of(event: &AuditEvent) -> Result<Self, serde_json::Error> {
        let ts_us = parse_time_us(&event.time)
            .ok_or_else(|| serde::de::Error::custom(format!("bad event time {:?}", event.time)))?;
        Ok(Self {
            seq: 0,
            event_id: event.event_id.clone(),
            kind: event.body.kind().to_owned(),
            actor: event.actor.as_ref().map(|a| a.user.clone()),
            action: event.body.action().to_owned(),
            target_ref: event.body.target_ref().to_owned(),
            intent_id: event.body.intent_id().map(str::to_owned),
            ts_us,
            body: String::new(),
            prev_hash: String::new(),
            hash: String::new(),
        })
    }

    pub fn event(&self) -> Result<AuditEvent, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// Microseconds since the epoch of an RFC 3339 time.
#[must_use]
pub fn parse_time_us(time: &str) -> Option<i64> {
    time.parse::<jiff::Timestamp>()
        .ok()
        .map(jiff::Timestamp::as_microsecond)
}

/// Checks rows fed in `seq` order; stops at the first bad one.
#[derive(Debug)]
pub struct Verifier {
    prev_seq: i64,
    prev_hash: String,
    checked: u64,
    /// `(seq, event id, reason)` of the first bad row.
    bad: Option<(i64, String, String)>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            prev_seq: 0,
            prev_hash: GENESIS.to_owned(),
            checked: 0,
            bad: None,
        }
    }
}

impl Verifier {
    /// Feeds the next row. Returns `false` once a bad row has been found.
    pub fn push(&mut self, row: &ChainRow) -> bool {
        if self.bad.is_some() {
            return false;
        }
        if let Some(reason) = self.problem(row) {
            self.bad = Some((row.seq, row.event_id.clone(), reason));
            return false;
        }
        self.checked += 1;
        self.prev_seq = row.seq;
        self.prev_hash.clone_from(&row.hash);
        true
    }

    fn problem(&self, row: &ChainRow) -> Option<String> {
        if row.seq != self.prev_seq + 1 {
            return Some(format!(
                "sequence gap: expected {} but found {} (rows deleted?)",
                self.prev_seq + 1,
                row.seq
            ));
        }
        if row.prev_hash != self.prev_hash {
            return Some("prev_hash does not match the previous row's hash".into());
        }
        if link_hash(&row.prev_hash, &row.body) != row.hash {
            return Some("hash does not match the row's content".into());
        }
        // Compared as untyped JSON so fields added by a newer minor schema still verify.
        match serde_json::from_str::<Value>(&row.body).map(|v| canonical_json(&v)) {
            Ok(canonical) if canonical == row.body => {}
            _ => return Some("body is not canonical JSON".into()),
        }
        let event = match row.event() {
            Ok(event) => event,
            Err(e) => return Some(format!("body is not a valid event: {e}")),
        };
        match Self::columns_of_event(&event) {
            Ok(mut expected) => {
                expected.seq = row.seq;
                expected.body.clone_from(&row.body);
                expected.prev_hash.clone_from(&row.prev_hash);
                expected.hash.clone_from(&row.hash);
                if &expected != row {
                    return Some("indexed columns disagree with the hashed body".into());
                }
            }
            Err(e) => return Some(format!("body is not a valid event: {e}")),
        }
        None
    }

    fn columns_of_event(event: &AuditEvent) -> Result<ChainRow, serde_json::Error> {
        ChainRow::columns_of(event)
    }

    #[must_use]
    pub fn report(self) -> crate::model::platform::VerifyReport {
        let (first_bad_seq, first_bad_event, reason) = match self.bad {
            Some((seq, id, reason)) => (Some(seq), Some(id), Some(reason)),
            None => (None, None, None),
        };
        crate::model::platform::VerifyReport {
            ok: first_bad_event.is_none(),
            checked: self.checked,
            first_bad_event,
            reason,
            first_bad_seq,
            head: None,
            at: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::platform::{Actor, EventBody};

    fn event(id: &str) -> AuditEvent {
        AuditEvent {
            schema: crate::model::platform::SCHEMA.into(),
            event_id: id.into(),
            time: "2025-01-02T03:04:05.123456Z".into(),
            actor: Some(Actor {
                user: "alice".into(),
                groups: vec!["dev".into()],
            }),
            body: EventBody::AuthDenied {
                method: "GET".into(),
                path: "/v1/me".into(),
                reason: "missing token".into(),
                token_fingerprint: None,
            },
        }
    }

    #[test]
    fn canonical_json_sorts_keys_recursively_without_whitespace() {
        let v = serde_json::json!({"b": 1, "a": {"d": [true, null], "c": "x\"y"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"x\"y","d":[true,null]},"b":1}"#
        );
    }

    #[test]
    fn link_hash_matches_sha256_of_concatenation() {
        let expected = hex::encode(Sha256::digest(format!("{GENESIS}{{}}").as_bytes()));
        assert_eq!(link_hash(GENESIS, "{}"), expected);
    }

    #[test]
    fn verifier_accepts_a_chain_and_names_the_edited_row() {
        let a = ChainRow::link(&event("a"), 0, GENESIS).expect("row");
        let b = ChainRow::link(&event("b"), a.seq, &a.hash).expect("row");
        let c = ChainRow::link(&event("c"), b.seq, &b.hash).expect("row");
        let mut v = Verifier::default();
        assert!([&a, &b, &c].iter().all(|r| v.push(r)));
        assert!(v.report().ok);

        let mut edited = b.clone();
        edited.body = edited.body.replace("missing token", "nothing to see");
        let mut v = Verifier::default();
        for row in [&a, &edited, &c] {
            v.push(row);
        }
        let report = v.report();
        assert_eq!(report.first_bad_event.as_deref(), Some("b"));
        assert_eq!(report.checked, 1);

        let mut column = b.clone();
        column.actor = Some("mallory".into());
        let mut v = Verifier::default();
        v.push(&a);
        assert!(!v.push(&column));
        assert_eq!(v.report().first_bad_event.as_deref(), Some("b"));

        let mut v = Verifier::default();
        v.push(&a);
        assert!(!v.push(&c), "a deleted row is a gap");
    }
}
