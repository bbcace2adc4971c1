//! State of the catalog pane: the services table with its filter and sort.

pub mod actions;

pub mod card;

use crate::model::custom_command::Vars;
use std::cmp::Ordering;
use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::{Catalog, CatalogEntry};

/// What is known of one service's metrics, for the catalog row, the card and the incident
/// view: the figures, or why there are none (never a made-up number).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricsView<'a> {
    /// The context configures no metrics server.
    Off,
    /// No snapshot yet (not reported, connecting, or failing before the first answer).
    Waiting,
    /// The server answered but has no series for this service.
    NoData,
    Known(&'a crate::model::metrics::ServiceMetrics),
}

impl CatalogPane {
    /// The metrics of `service`, given the metrics source's health.
    #[must_use]
    pub fn metrics_of(
        &self,
        service: &str,
        health: Option<&crate::model::SourceHealth>,
    ) -> MetricsView<'_> {
        match (&self.metrics, health) {
            (None, Some(crate::model::SourceHealth::Off)) => MetricsView::Off,
            (None, _) => MetricsView::Waiting,
            (Some(m), _) => m
                .service(service)
                .map_or(MetricsView::NoData, MetricsView::Known),
        }
    }
}

/// Catalog table columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogColumn {
    Name,
    Owner,
    Tier,
    Lifecycle,
    OnCall,
    Slo,
}

impl CatalogColumn {
    pub const ALL: [Self; 6] = [
        Self::Name,
        Self::Owner,
        Self::Tier,
        Self::Lifecycle,
        Self::OnCall,
        Self::Slo,
    ];

    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Name => "NAME",
            Self::Owner => "OWNER",
            Self::Tier => "TIER",
            Self::Lifecycle => "LIFECYCLE",
            Self::OnCall => "ON-CALL",
            Self::Slo => "SLO",
        }
    }
}

/// The orders of the list: one per column, in [`CatalogColumn::ALL`]'s order.
pub const SORT_KEYS: [SortKey; 6] = [
    SortKey::on(CatalogColumn::Name.title()),
    SortKey::on(CatalogColumn::Owner.title()),
    SortKey::on(CatalogColumn::Tier.title()),
    SortKey::on(CatalogColumn::Lifecycle.title()),
    SortKey::on(CatalogColumn::OnCall.title()),
    SortKey::on(CatalogColumn::Slo.title()),
];

/// The catalog pane.
#[derive(Debug, Clone, Default)]
pub struct CatalogPane {
    /// The catalog as shown: the source's, with its SLO figures filled from `metrics`.
    pub catalog: Arc<Catalog>,
    /// The catalog as its source sent it.
    source_catalog: Arc<Catalog>,
    /// The latest metrics snapshot; `None` while no metrics source has answered (the SLO
    /// figures then stay unknown, never made up).
    pub metrics: Option<Arc<crate::model::metrics::MetricsSnapshot>>,
    /// Lower-cased search text per entry, rebuilt only when the data changes.
    haystacks: Vec<String>,
    /// Name and owner only: fuzzy matching scores every row, so it gets the short text.
    fuzzy_haystacks: Vec<String>,
    pub table: TableState,
    pub loaded: bool,
    /// The platform's on-call answer (the ON-CALL column prefers it to the catalog's).
    pub oncall: Option<Arc<crate::app::oncall::PlatformOnCall>>,
}

impl CatalogPane {
    /// Replaces the data and re-applies filter and sort.
    pub fn set_catalog(&mut self, catalog: Arc<Catalog>) {
        self.source_catalog = catalog;
        self.merge();
    }

    /// Takes a metrics snapshot: the catalog's SLO figures come from it.
    pub fn set_metrics(&mut self, metrics: Arc<crate::model::metrics::MetricsSnapshot>) {
        self.metrics = Some(metrics);
        if self.loaded {
            self.merge();
        }
    }

    fn merge(&mut self) {
        let catalog = Arc::new(crate::model::metrics::apply_to_catalog(
            &self.source_catalog,
            self.metrics.as_deref(),
        ));
        self.haystacks = catalog.entries.iter().map(haystack).collect();
        self.fuzzy_haystacks = catalog
            .entries
            .iter()
            .map(|e| match e {
                CatalogEntry::Service(s) => format!("{} {}", s.name, s.owner),
                CatalogEntry::Invalid { .. } => e.name().to_owned(),
            })
            .collect();
        self.catalog = catalog;
        self.loaded = true;
        self.refresh_view();
    }

    /// Takes the platform's latest on-call answer (`None`: the platform has none).
    pub fn set_oncall(&mut self, oncall: Option<Arc<crate::app::oncall::PlatformOnCall>>) {
        if self.oncall != oncall {
            self.oncall = oncall;
            self.refresh_view();
        }
    }

    /// Who is on call for `service` at `now`, from the platform or the catalog.
    #[must_use]
    pub fn on_call(
        &self,
        service: &crate::model::Service,
        now: jiff::Timestamp,
    ) -> Option<crate::app::oncall::OnCallAnswer> {
        crate::app::oncall::who_is_on_call(service, self.oncall.as_deref(), now)
    }

    /// Drops the data (context switch).
    pub fn reset(&mut self) {
        *self = Self {
            table: self.table.emptied(),
            ..Self::default()
        };
    }

    /// Recomputes the visible rows after a data, filter or sort change.
    pub fn refresh_view(&mut self) {
        let haystacks = if self.table.filter.mode == crate::app::filter::FilterMode::Fuzzy {
            &self.fuzzy_haystacks
        } else {
            &self.haystacks
        };
        let column = CatalogColumn::ALL[self.table.sort.column.min(CatalogColumn::ALL.len() - 1)];
        let entries = &self.catalog.entries;
        // The ON-CALL order follows what the column shows (the platform's answer first).
        let oncall: Vec<Option<String>> = if column == CatalogColumn::OnCall {
            let platform = self.oncall.as_deref();
            entries
                .iter()
                .map(|e| {
                    let s = e.as_service()?;
                    // Without a platform the catalog answers, whatever the time.
                    let at = platform.map_or(jiff::Timestamp::UNIX_EPOCH, |p| p.fetched_at);
                    crate::app::oncall::who_is_on_call(s, platform, at).map(|a| a.who)
                })
                .collect()
        } else {
            Vec::new()
        };
        self.table.rebuild(
            haystacks,
            |i| entries[i].name().to_owned(),
            |a, b| {
                if column == CatalogColumn::OnCall
                    && let (Some(x), Some(y)) = (oncall.get(a), oncall.get(b))
                    && entries[a].as_service().is_some()
                    && entries[b].as_service().is_some()
                {
                    return x
                        .cmp(y)
                        .then_with(|| entries[a].name().cmp(entries[b].name()));
                }
                compare(&entries[a], &entries[b], column)
            },
        );
    }

    #[must_use]
    pub fn selected(&self) -> Option<&CatalogEntry> {
        self.table
            .selected_row()
            .and_then(|i| self.catalog.entries.get(i))
    }
}

impl CatalogPane {
    /// `Y` on a service's card: the service's row.
    #[must_use]
    pub fn copy_service_row(&self, name: &str) -> Option<crate::app::copy::Copied> {
        self.catalog.service(name).map(service_row)
    }
}

/// A service's catalog facts as one tab-separated row.
fn service_row(s: &crate::model::Service) -> crate::app::copy::Copied {
    crate::app::copy::Copied::row(
        "service",
        &s.name,
        &[
            s.name.as_str(),
            &s.owner,
            s.tier.label(),
            &s.lifecycle,
            s.system.as_deref().unwrap_or_default(),
            s.oncall.as_deref().unwrap_or_default(),
            &s.description,
        ],
    )
}

fn haystack(entry: &CatalogEntry) -> String {
    match entry {
        CatalogEntry::Service(s) => format!(
            "{} {} {} {} {} {}",
            s.name,
            s.owner,
            s.tier.label(),
            s.lifecycle,
            s.oncall.as_deref().unwrap_or_default(),
            s.slo_status().word()
        )
        .to_lowercase(),
        CatalogEntry::Invalid {
            origin,
            entity,
            message,
        } => format!(
            "{} {origin} invalid {message}",
            entity.as_deref().unwrap_or_default()
        )
        .to_lowercase(),
    }
}

fn compare(a: &CatalogEntry, b: &CatalogEntry, column: CatalogColumn) -> Ordering {
    let (sa, sb) = match (a, b) {
        (CatalogEntry::Service(x), CatalogEntry::Service(y)) => (x, y),
        // Broken entities sort first: someone should fix them.
        (CatalogEntry::Invalid { .. }, CatalogEntry::Service(_)) => return Ordering::Less,
        (CatalogEntry::Service(_), CatalogEntry::Invalid { .. }) => return Ordering::Greater,
        _ => return a.name().cmp(b.name()),
    };
    let primary = match column {
        CatalogColumn::Name => Ordering::Equal,
        CatalogColumn::Owner => sa.owner.cmp(&sb.owner),
        CatalogColumn::Tier => sa.tier.cmp(&sb.tier),
        CatalogColumn::Lifecycle => sa.lifecycle.cmp(&sb.lifecycle),
        CatalogColumn::OnCall => sa.oncall.cmp(&sb.oncall),
        CatalogColumn::Slo => sa.slo_status().cmp(&sb.slo_status()).then_with(|| {
            let left = |s: &crate::model::Service| s.slo.as_ref().and_then(|s| s.budget_left);
            left(sa).partial_cmp(&left(sb)).unwrap_or(Ordering::Equal)
        }),
    };
    primary.then_with(|| sa.name.cmp(&sb.name))
}

impl Pane for CatalogPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some(crate::model::service::CatalogEntry::Service(service)) = self.selected() {
            vars.set("service", service.name.as_str());
            let mapping = &service.mapping;
            if let Some(ns) = &mapping.kube_namespace {
                vars.set("namespace", ns.as_str());
            }
            if let Some(app) = &mapping.argocd_app {
                vars.set("app", app.as_str());
            }
            if let Some(workload) = &mapping.workload {
                vars.set("workload", workload.name.as_str());
                if let Some(ns) = &workload.namespace {
                    vars.set_default("namespace", ns.as_str());
                }
            }
        }
    }

    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let entry = self.selected()?;
        Some(match (kind, entry) {
            (CopyKind::Key, entry) => Copied::key("service", entry.name()),
            (CopyKind::Row, CatalogEntry::Service(service)) => service_row(service),
            (
                CopyKind::Row,
                CatalogEntry::Invalid {
                    origin, message, ..
                },
            ) => Copied::row("entity", entry.name(), &[entry.name(), origin, message]),
        })
    }

    delegate_to_actions!(on_action);

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refresh_view(&mut self) {
        CatalogPane::refresh_view(self);
    }

    fn reset(&mut self) {
        Self::reset(self);
    }
}
