//! The queries a user ran with `:logs <LogQL>` and `:traces <TraceQL>`, per context (a
//! LogQL for production's Loki means little to staging's), most recent first, without
//! repeats, at most [`CAP`] of each kind. Saved as `queries.json` in the data dir by the
//! runtime; recalled with up/down in the palette.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Most queries kept per kind and context.
pub const CAP: usize = 50;

/// Which language a query is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    LogQl,
    TraceQl,
}

/// One context's queries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContextQueries {
    #[serde(default)]
    pub logql: Vec<String>,
    #[serde(default)]
    pub traceql: Vec<String>,
}

/// Every context's queries, by context name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueryHistory {
    #[serde(default)]
    pub contexts: BTreeMap<String, ContextQueries>,
}

impl QueryHistory {
    /// The queries of `context` in `language`, newest first.
    #[must_use]
    pub fn list(&self, context: &str, language: QueryLanguage) -> &[String] {
        self.contexts.get(context).map_or(&[], |c| match language {
            QueryLanguage::LogQl => c.logql.as_slice(),
            QueryLanguage::TraceQl => c.traceql.as_slice(),
        })
    }

    /// Records `query` as the newest (moving it up when it was there). `false` when nothing
    /// changed (it already was the newest, or it is blank).
    pub fn push(&mut self, context: &str, language: QueryLanguage, query: &str) -> bool {
        if query.trim().is_empty() {
            return false;
        }
        let entry = self.contexts.entry(context.to_owned()).or_default();
        let list = match language {
            QueryLanguage::LogQl => &mut entry.logql,
            QueryLanguage::TraceQl => &mut entry.traceql,
        };
        if list.first().is_some_and(|q| q == query) {
            return false;
        }
        list.retain(|q| q != query);
        list.insert(0, query.to_owned());
        list.truncate(CAP);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_without_repeats_capped_per_context() {
        let mut h = QueryHistory::default();
        assert!(h.push("prod", QueryLanguage::LogQl, r#"{app="a"}"#));
        assert!(h.push("prod", QueryLanguage::LogQl, r#"{app="b"}"#));
        assert!(h.push("prod", QueryLanguage::LogQl, r#"{app="a"}"#));
        assert!(!h.push("prod", QueryLanguage::LogQl, r#"{app="a"}"#));
        assert!(!h.push("prod", QueryLanguage::LogQl, "  "));
        assert_eq!(
            h.list("prod", QueryLanguage::LogQl),
            [r#"{app="a"}"#, r#"{app="b"}"#]
        );
        assert!(h.list("staging", QueryLanguage::LogQl).is_empty());
        assert!(h.list("prod", QueryLanguage::TraceQl).is_empty());
        for i in 0..(CAP + 10) {
            h.push("prod", QueryLanguage::TraceQl, &format!("{{ span.n={i} }}"));
        }
        let list = h.list("prod", QueryLanguage::TraceQl);
        assert_eq!(list.len(), CAP);
        assert_eq!(list[0], format!("{{ span.n={} }}", CAP + 9));
        let text = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<QueryHistory>(&text).unwrap(), h);
    }
}
