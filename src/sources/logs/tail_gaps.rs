//! Lines Loki dropped from a live tail: its frames name them in `dropped_entries`
//! (`{"labels":{…},"timestamp":"<ns>"}`) when the client reads too slowly, and the Loki docs
//! point to `query_range` for a complete history (`docs/sources/reference/loki-http-api.md`,
//! the tail endpoint). Here they are fetched again over their time span and matched by stream
//! labels and timestamp, each dropped entry taking one line (several can share a nanosecond).

use std::collections::BTreeMap;

use super::loki::{Direction, LokiClient, LokiEntry};

/// Most lines fetched again for one frame's dropped entries.
pub const MAX_REFETCH: usize = 5_000;

/// Fetches the dropped entries again; the ones found, oldest first.
///
/// # Errors
/// The `query_range` failure, with Loki's message.
pub async fn refetch(
    client: &LokiClient,
    query: &str,
    dropped: &[(BTreeMap<String, String>, i64)],
) -> Result<Vec<LokiEntry>, String> {
    let (Some(first), Some(last)) = (
        dropped.iter().map(|d| d.1).min(),
        dropped.iter().map(|d| d.1).max(),
    ) else {
        return Ok(Vec::new());
    };
    let entries = client
        .query_range(
            query,
            first,
            last.saturating_add(1),
            MAX_REFETCH,
            Direction::Forward,
        )
        .await?;
    Ok(matching(entries, dropped))
}

/// The entries that are the dropped ones: the same timestamp and the dropped entry's labels
/// (all of them, when it names any), one entry per dropped entry.
#[must_use]
pub fn matching(
    entries: Vec<LokiEntry>,
    dropped: &[(BTreeMap<String, String>, i64)],
) -> Vec<LokiEntry> {
    let mut left: Vec<Option<&(BTreeMap<String, String>, i64)>> =
        dropped.iter().map(Some).collect();
    entries
        .into_iter()
        .filter(|entry| {
            let found = left.iter_mut().find(|d| {
                d.is_some_and(|(labels, ts)| {
                    *ts == entry.timestamp_ns
                        && labels.iter().all(|(k, v)| entry.labels.get(k) == Some(v))
                })
            });
            found.is_some_and(|d| d.take().is_some())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn entry(app: &str, ts: i64, line: &str) -> LokiEntry {
        LokiEntry {
            timestamp_ns: ts,
            line: line.into(),
            labels: Arc::new(BTreeMap::from([("app".to_owned(), app.to_owned())])),
            metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn each_dropped_entry_takes_one_line_of_its_stream_and_time() {
        let cart = BTreeMap::from([("app".to_owned(), "cart".to_owned())]);
        let dropped = vec![(cart.clone(), 5), (cart.clone(), 5), (cart, 7)];
        let found = matching(
            vec![
                entry("cart", 4, "before"),
                entry("cart", 5, "a"),
                entry("web", 5, "other stream"),
                entry("cart", 5, "b"),
                entry("cart", 5, "c: a third at 5 was not dropped"),
                entry("cart", 7, "d"),
            ],
            &dropped,
        );
        let lines: Vec<&str> = found.iter().map(|e| e.line.as_str()).collect();
        assert_eq!(lines, ["a", "b", "d"]);
    }
}
