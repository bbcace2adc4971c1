//! State of the requests pane: my requests with their live status, and for approvers the
//! queue of submitted requests to approve or reject.

pub mod actions;

use crate::model::custom_command::Vars;
use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::platform::{Request, RequestSpec, RequestState};
use crate::sources::platform_feed::PlatformSnapshot;

/// Columns of the requests table.
pub const COLUMNS: [&str; 6] = ["ID", "KIND", "WHAT", "STATE", "BY", "CREATED"];

/// The orders of the list: one per column.
pub const SORT_KEYS: [SortKey; 6] = SortKey::per_column(COLUMNS);

/// The requests pane.
#[derive(Debug, Clone, Default)]
pub struct RequestsPane {
    pub snapshot: Option<Arc<PlatformSnapshot>>,
    /// Show the approval queue instead of my requests.
    pub queue: bool,
    /// The rows currently listed (mine or the queue).
    pub rows: Vec<Request>,
    haystacks: Vec<String>,
    pub table: TableState,
}

/// What a request is about, in a few words.
#[must_use]
pub fn summary(spec: &RequestSpec) -> String {
    match spec {
        RequestSpec::ReadReplica(s) => {
            format!("{} replica of {} for {}", s.size, s.database, s.ttl)
        }
        RequestSpec::KafkaTopic(s) => {
            // Retention, cleanup and owner are what an approver weighs: they are in the row.
            format!(
                "topic {} ×{} r{} {} {} · {}",
                s.name,
                s.partitions,
                s.replication,
                retention_words(s.configs.get("retention.ms").map(String::as_str)),
                s.configs.get("cleanup.policy").map_or("-", String::as_str),
                s.owner_service
            )
        }
        RequestSpec::Action(s) => format!("{} on {}", s.action, s.target.reference),
    }
}

/// `retention.ms` in words: `604800000` → `7d`, `-1` → `infinite`; `-` when unset, and the
/// raw value when it is not a number (shown as sent, never hidden).
#[must_use]
pub fn retention_words(ms: Option<&str>) -> String {
    let Some(raw) = ms else {
        return "-".into();
    };
    match raw.trim().parse::<i64>() {
        Ok(v) if v < 0 => "infinite".into(),
        Ok(v) if v > 0 && v % 86_400_000 == 0 => format!("{}d", v / 86_400_000),
        Ok(v) if v > 0 && v % 3_600_000 == 0 => format!("{}h", v / 3_600_000),
        Ok(v) if v > 0 && v % 60_000 == 0 => format!("{}m", v / 60_000),
        Ok(v) => format!("{v}ms"),
        Err(_) => raw.to_owned(),
    }
}

/// What a request asks for, as `(label, value)` rows: every parameter an approver decides
/// on (the detail panel and the approve/reject dialog show the same rows).
#[must_use]
pub fn params(spec: &RequestSpec) -> Vec<(&'static str, String)> {
    match spec {
        RequestSpec::KafkaTopic(s) => {
            let config = |key: &str| s.configs.get(key).map(String::as_str);
            let mut configs = vec![
                format!("retention {}", retention_words(config("retention.ms"))),
                format!("cleanup {}", config("cleanup.policy").unwrap_or("-")),
            ];
            // Any other config the request carries is shown as sent.
            configs.extend(
                s.configs
                    .iter()
                    .filter(|(key, _)| *key != "retention.ms" && *key != "cleanup.policy")
                    .map(|(key, value)| format!("{key}={value}")),
            );
            let configs = configs.join(" · ");
            vec![
                (
                    "Topic",
                    format!(
                        "{} · {} partitions · replication {}",
                        s.name, s.partitions, s.replication
                    ),
                ),
                ("Configs", configs),
                ("Owner", s.owner_service.clone()),
            ]
        }
        RequestSpec::ReadReplica(s) => vec![
            ("Database", s.database.clone()),
            ("Replica", format!("{} for {}", s.size, s.ttl)),
        ],
        RequestSpec::Action(s) => vec![
            ("Action", s.action.clone()),
            ("Target", s.target.reference.clone()),
        ],
    }
}

/// Glyph and word of a request state (never colour alone).
#[must_use]
pub fn state_glyph(state: RequestState) -> &'static str {
    match state {
        RequestState::Submitted => "…",
        RequestState::Approved => "◐",
        RequestState::Provisioning => "⟳",
        RequestState::Ready => "✓",
        RequestState::Failed => "✗",
        RequestState::Rejected => "⊘",
    }
}

impl RequestsPane {
    pub fn set_snapshot(&mut self, snapshot: Arc<PlatformSnapshot>) {
        self.snapshot = Some(snapshot);
        self.refresh_view();
    }

    #[must_use]
    pub fn is_approver(&self) -> bool {
        self.snapshot.as_ref().is_some_and(|s| s.is_approver())
    }

    #[must_use]
    pub fn selected(&self) -> Option<&Request> {
        self.table.selected_row().and_then(|i| self.rows.get(i))
    }

    fn rebuild_rows(&mut self) {
        let Some(snapshot) = &self.snapshot else {
            self.rows.clear();
            self.haystacks.clear();
            return;
        };
        let me = &snapshot.me.user;
        self.rows = snapshot
            .requests
            .iter()
            .filter(|r| {
                if self.queue {
                    r.state == RequestState::Submitted
                } else {
                    &r.requester == me
                }
            })
            .cloned()
            .collect();
        self.haystacks = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {} {}",
                    r.id,
                    r.spec.kind(),
                    summary(&r.spec),
                    r.state.as_str(),
                    r.requester
                )
                .to_lowercase()
            })
            .collect();
    }
}

impl Pane for RequestsPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some(request) = self.selected() {
            vars.set("request_id", request.id.as_str());
        }
    }

    /// `y`: the request id; `Y` the request as JSON.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let request = self.selected()?;
        match kind {
            CopyKind::Key => Some(Copied::key("request", &request.id)),
            CopyKind::Row => Copied::json("request", &request.id, request),
        }
    }

    delegate_to_actions!(on_action);

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refresh_view(&mut self) {
        self.rebuild_rows();
        let rows = &self.rows;
        let column = self.table.sort.column;
        let key = |r: &Request| -> String {
            match column {
                0 => r.id.clone(),
                1 => r.spec.kind().to_owned(),
                2 => summary(&r.spec),
                3 => r.state.as_str().to_owned(),
                4 => r.requester.clone(),
                _ => String::new(),
            }
        };
        self.table.rebuild(
            &self.haystacks,
            |i| rows[i].id.clone(),
            |a, b| match column {
                // Newest first by default: the creation time sorts descending.
                5 => rows[b].created.cmp(&rows[a].created),
                _ => key(&rows[a]).cmp(&key(&rows[b])),
            },
        );
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}
