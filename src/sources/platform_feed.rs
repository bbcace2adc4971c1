//! The platform feed: who I am, the requests I can see, the recent audit trail, and who is
//! on call per team, polled as one snapshot for the requests, audit and on-call panes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::platform::PlatformClient;
use super::poller::{self, PollSettings};
use super::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};
use crate::model::oncall::{OnCallList, RotaQuery, TeamRota};
use crate::model::platform::{AuditItem, EventQuery, Me, Request};

/// Audit events kept in the snapshot (newest first).
pub const RECENT_EVENTS: u32 = 500;

/// What the platform panes show.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformSnapshot {
    pub me: Me,
    /// Mine, or everyone's for approvers.
    pub requests: Vec<Request>,
    pub events: Vec<AuditItem>,
    /// Who is on call per team, and when it was fetched (`Err`: why not, e.g. a platform
    /// without on-call rotas; the rest of the snapshot still counts).
    pub oncall: Result<OnCallList, String>,
    /// The rotas (next 14 days) of my teams: those of my groups that have a rota.
    pub my_rotas: Vec<TeamRota>,
    /// When this snapshot was fetched (the age of the on-call answer).
    pub fetched_at: jiff::Timestamp,
}

impl PlatformSnapshot {
    #[must_use]
    pub fn is_approver(&self) -> bool {
        self.me.roles.iter().any(|r| r == "approver")
    }
}

/// Fetches one snapshot.
pub async fn fetch(client: &PlatformClient) -> Result<PlatformSnapshot, String> {
    let me = client.me().await.map_err(|e| e.to_string())?;
    let approver = me.roles.iter().any(|r| r == "approver");
    let query = EventQuery {
        limit: Some(RECENT_EVENTS),
        ..EventQuery::default()
    };
    let (requests, events, oncall) = tokio::join!(
        client.list_requests(approver),
        client.list_events(&query),
        client.oncall(None)
    );
    let mut requests = requests.map_err(|e| e.to_string())?;
    requests.sort_by(|a, b| b.created.cmp(&a.created));
    let events = events.map_err(|e| e.to_string())?.items;
    let mut my_rotas = Vec::new();
    if let Ok(list) = &oncall {
        for team in me.groups.iter().filter(|g| list.team(g).is_some()) {
            match client.team_rota(team, &RotaQuery::default()).await {
                Ok(rota) => my_rotas.push(rota),
                Err(e) => tracing::debug!(%team, error = %e, "cannot read a team's rota"),
            }
        }
    }
    Ok(PlatformSnapshot {
        me,
        requests,
        events,
        oncall: oncall.map_err(|e| e.to_string()),
        my_rotas,
        fetched_at: jiff::Timestamp::now(),
    })
}

/// Starts the feed; it polls every `interval` (requests are tracked live, so keep it short).
#[must_use]
pub fn spawn(
    client: PlatformClient,
    interval: Duration,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Platform, generation, events);
    let settings = PollSettings {
        interval,
        timeout: client.timeout() + Duration::from_secs(2),
    };
    let task = tokio::spawn(poller::run(reporter, control_rx, settings, move |_scope| {
        let client = client.clone();
        async move {
            fetch(&client)
                .await
                .map(|s| SourceBody::Platform(Arc::new(s)))
        }
    }));
    SourceHandle::new(SourceId::Platform, control_tx, task)
}
