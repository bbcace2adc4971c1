//! Backstage catalog source: `GET /api/catalog/entities/by-query` with cursor pagination.
//!
//! The first request filters on `kind=component` and trims the payload with `fields=`; the
//! following ones pass only `cursor=` (which carries the filter, as the catalog API says)
//! plus `limit` and `fields`. Pages, entities and response bodies are bounded, so a huge or
//! misbehaving catalog cannot exhaust memory. Entities are mapped by
//! [`super::catalog_map`], which sanitizes every string.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::catalog_map::{self, Origin};
use super::poller::{self, PollSettings};
use super::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};
use crate::config::{HttpTls, SecretRef};
use crate::model::{Catalog, CatalogEntry, SourceHealth, clean};

/// Entities asked for per page.
pub const PAGE_LIMIT: usize = 500;
/// At most this many entities are kept; the rest is reported as one invalid row.
pub const MAX_ENTITIES: usize = 50_000;
/// At most this many pages are requested in one refresh.
pub const MAX_PAGES: usize = 200;
/// Largest response body accepted for one page.
pub const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;

/// Entity fields the mapping reads; everything else stays on the server.
const FIELDS: &str = "apiVersion,kind,metadata.name,metadata.namespace,metadata.title,\
metadata.description,metadata.labels,metadata.annotations,metadata.tags,metadata.links,\
spec.type,spec.lifecycle,spec.owner,spec.system,spec.dependsOn,spec.dependencyOf,relations";

/// Default cadence: the catalog changes slowly.
pub const SETTINGS: PollSettings = PollSettings {
    interval: Duration::from_mins(1),
    timeout: Duration::from_secs(45),
};

#[derive(Deserialize)]
struct Page {
    items: Vec<Value>,
    #[serde(rename = "pageInfo", default)]
    page_info: PageInfo,
}

#[derive(Deserialize, Default)]
struct PageInfo {
    #[serde(rename = "nextCursor")]
    next_cursor: Option<String>,
}

/// The by-query endpoint under `base_url`. Accepts the backend URL with or without the
/// `/api/catalog` suffix.
fn endpoint(base_url: &str) -> Result<reqwest::Url, String> {
    let base = base_url.trim().trim_end_matches('/');
    let base = base.strip_suffix("/api/catalog").unwrap_or(base);
    reqwest::Url::parse(&format!("{base}/api/catalog/entities/by-query"))
        .map_err(|e| clean(&format!("bad Backstage URL `{base_url}`: {e}")))
}

/// Describes a transport error with its root cause ("Connection refused"), without the
/// query string.
fn transport_error(base_url: &str, err: &reqwest::Error) -> String {
    let what = super::transport_cause(err);
    clean(&format!("cannot reach Backstage at {base_url}: {what}"))
}

/// Reads a body up to `MAX_PAGE_BYTES`.
async fn read_body(mut resp: reqwest::Response, base_url: &str) -> Result<Vec<u8>, String> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_PAGE_BYTES as u64)
    {
        return Err(format!(
            "Backstage page larger than {} MiB",
            MAX_PAGE_BYTES >> 20
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport_error(base_url, &e))?
    {
        if body.len() + chunk.len() > MAX_PAGE_BYTES {
            return Err(format!(
                "Backstage page larger than {} MiB",
                MAX_PAGE_BYTES >> 20
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Fetches every Component from the Backstage catalog at `base_url` (the backend, e.g.
/// `http://backstage:7007`), following `pageInfo.nextCursor`.
pub async fn fetch(
    client: &reqwest::Client,
    base_url: &str,
    token: Option<&str>,
) -> Result<Catalog, String> {
    let endpoint = endpoint(base_url)?;
    let mut entries: Vec<CatalogEntry> = Vec::new();
    let mut seen = 0usize;
    let mut cursor: Option<String> = None;
    let mut truncated = false;
    for page_no in 0.. {
        if page_no >= MAX_PAGES {
            truncated = true;
            break;
        }
        let mut url = endpoint.clone();
        {
            let mut q = url.query_pairs_mut();
            match &cursor {
                None => {
                    q.append_pair("filter", "kind=component");
                }
                Some(c) => {
                    q.append_pair("cursor", c);
                }
            }
            q.append_pair("limit", &PAGE_LIMIT.to_string());
            q.append_pair("fields", FIELDS);
        }
        let mut req = client.get(url).header("accept", "application/json");
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| transport_error(base_url, &e))?;
        let status = resp.status();
        if !status.is_success() {
            let body = read_body(resp, base_url).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&body);
            let detail = text.trim().chars().take(200).collect::<String>();
            let hint = match status.as_u16() {
                401 => " (check the token)",
                403 => " (the token may not read the catalog)",
                404 => " (is the URL the Backstage backend, without /api/catalog?)",
                _ => "",
            };
            return Err(clean(&format!(
                "Backstage answered {status}{hint}{}",
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                }
            )));
        }
        let body = read_body(resp, base_url).await?;
        let page: Page = serde_json::from_slice(&body).map_err(|e| {
            clean(&format!(
                "Backstage sent an unexpected answer (not a by-query page: {e})"
            ))
        })?;
        for item in &page.items {
            if seen >= MAX_ENTITIES {
                truncated = true;
                break;
            }
            seen += 1;
            if let catalog_map::Mapped::Entry(entry) =
                catalog_map::map_entity(item, Origin::Backstage)
            {
                entries.push(entry);
            }
        }
        if truncated {
            break;
        }
        match page.page_info.next_cursor.filter(|c| !c.is_empty()) {
            // A cursor with an empty page would loop forever.
            Some(_) if page.items.is_empty() => break,
            Some(next) => {
                if cursor.as_deref() == Some(next.as_str()) {
                    return Err("Backstage returned the same cursor twice; stopping".to_owned());
                }
                cursor = Some(next);
            }
            None => break,
        }
    }
    catalog_map::sort_entries(&mut entries);
    if truncated {
        entries.push(CatalogEntry::Invalid {
            origin: "backstage".to_owned(),
            entity: None,
            message: format!(
                "catalog truncated: opsdeck reads at most {MAX_ENTITIES} entities in {MAX_PAGES} \
                 pages"
            ),
        });
    }
    Ok(Catalog::new(entries))
}

/// Starts the Backstage catalog source with the default cadence (every 60 s).
///
/// The token reference is resolved when the task starts (in `spawn_blocking`, since a
/// command may run). If that fails the source reports a health error naming the variable or
/// command, and tries again on refresh or after the interval.
#[must_use]
pub fn spawn(
    base_url: &str,
    token: Option<SecretRef>,
    tls: HttpTls,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    spawn_tls(base_url, token, tls, SETTINGS, generation, events)
}

/// [`spawn`] with an explicit cadence (tests use a short one) and the system trust store.
#[must_use]
pub fn spawn_with(
    base_url: &str,
    token: Option<SecretRef>,
    settings: PollSettings,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    spawn_tls(
        base_url,
        token,
        HttpTls::default(),
        settings,
        generation,
        events,
    )
}

/// [`spawn_with`] with the TLS of an `http_tls` table.
#[must_use]
pub fn spawn_tls(
    base_url: &str,
    token: Option<SecretRef>,
    tls: HttpTls,
    settings: PollSettings,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, mut control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Catalog, generation, events);
    let base_url = base_url.to_owned();
    let task = tokio::spawn(async move {
        let token = match token {
            None => None,
            Some(secret) => loop {
                match resolve(secret.clone()).await {
                    Ok(t) => break Some(Arc::<str>::from(t)),
                    Err(message) => {
                        let health = SourceHealth::Error {
                            message,
                            since: jiff::Timestamp::now(),
                            last_good: None,
                        };
                        if !reporter.health(health).await {
                            return;
                        }
                        tokio::select! {
                            msg = control_rx.recv() => if msg.is_none() { return },
                            () = tokio::time::sleep(settings.interval) => {}
                        }
                    }
                }
            },
        };
        let tls = match tokio::task::spawn_blocking(move || crate::tls::client_config(&tls))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
        {
            Ok(tls) => tls,
            Err(e) => {
                // A file problem does not fix itself: say so and wait for the context to end.
                let _ = reporter
                    .error(clean(&format!("Backstage: {e}")), None)
                    .await;
                while control_rx.recv().await.is_some() {}
                return;
            }
        };
        let client = match crate::tls::reqwest_builder(&tls)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                let health = SourceHealth::Error {
                    message: clean(&format!("cannot create an HTTP client: {e}")),
                    since: jiff::Timestamp::now(),
                    last_good: None,
                };
                let _ = reporter.health(health).await;
                return;
            }
        };
        poller::run(reporter, control_rx, settings, move |_scope| {
            let client = client.clone();
            let base_url = base_url.clone();
            let token = token.clone();
            async move {
                fetch(&client, &base_url, token.as_deref())
                    .await
                    .map(|c| SourceBody::Catalog(Arc::new(c)))
            }
        })
        .await;
    });
    SourceHandle::new(SourceId::Catalog, control_tx, task)
}

/// Resolves a secret off the async threads; the message names the reference, not the value.
async fn resolve(secret: SecretRef) -> Result<String, String> {
    let describe = secret.describe();
    tokio::task::spawn_blocking(move || secret.resolve())
        .await
        .map_err(|e| format!("Backstage token ({describe}): {e}"))?
        .map_err(|e| clean(&format!("Backstage token: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_accepts_both_base_forms() {
        for base in [
            "http://bs:7007",
            "http://bs:7007/",
            "http://bs:7007/api/catalog",
        ] {
            assert_eq!(
                endpoint(base).expect("valid").as_str(),
                "http://bs:7007/api/catalog/entities/by-query"
            );
        }
        assert!(endpoint("not a url").is_err());
    }
}
