//! State of the Argo CD pane: the Applications of the latest watch snapshot as rows, the
//! apps most in need of attention first, filtered and sorted like every table.

pub mod actions;
pub mod diff;
pub mod sync;
pub mod windows;

use crate::model::custom_command::Vars;
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::k8s::app_row::resource_rows;
use crate::model::k8s::snapshot::{KindHealth, KubeKind, KubeSnapshot};
use crate::model::k8s::{AppRow, Application, SyncResource};

/// The orders of the list: attention (the default), name, project, sync, health, last sync.
pub const SORT_KEYS: [SortKey; 6] = [
    SortKey::OWN,
    SortKey::on("APP"),
    SortKey::on("PROJECT"),
    SortKey::on("SYNC"),
    SortKey::on("HEALTH"),
    SortKey::on("SYNCED"),
];

/// The `:apps` pane.
#[derive(Debug, Clone, Default)]
pub struct AppsPane {
    pub rows: Vec<AppRow>,
    /// The Applications behind `rows`, same order (the detail reads them).
    pub apps: Vec<Arc<Application>>,
    /// The app opened with enter (by name, so it survives refreshes).
    pub detail: Option<String>,
    /// Health of the Applications watch (a 403 shows in the pane).
    pub health: Option<KindHealth>,
    /// Whether a snapshot has arrived at all.
    pub loaded: bool,
    pub table: TableState,
    /// The resource the cursor is on in the detail.
    pub detail_cursor: usize,
    /// Resources marked for a selective sync, as `GROUP:KIND:NAMESPACE/NAME`.
    pub marked: BTreeSet<String>,
    /// The diff opened with `d`, over the list or the detail.
    pub diff: Option<diff::DiffView>,
    /// The app whose comparison `s`/`S` asked for, to fill the sync confirm's plan when no
    /// diff of it was open (namespace, name).
    pub plan_for: Option<(String, String)>,
    /// The sync whose dry run is running (its confirmation opens when the result arrives).
    pub dry_run_for: Option<crate::model::action::ActionRequest>,
    /// The last sync windows read (for the detail and the sync confirmation).
    pub windows: Option<windows::WindowsRead>,
    haystacks: Vec<String>,
    /// Row indices ordered by app name ([`Self::row_named`]).
    by_name: Vec<usize>,
}

/// A row's identity in the table.
fn row_key(row: &AppRow) -> String {
    format!("{}/{}", row.namespace, row.name)
}

/// The order of sort column `column`.
fn order(column: usize, x: &AppRow, y: &AppRow) -> std::cmp::Ordering {
    match column {
        1 => x.name.cmp(&y.name),
        2 => (&x.project, &x.name).cmp(&(&y.project, &y.name)),
        3 => (x.sync.label().word, &x.name).cmp(&(y.sync.label().word, &y.name)),
        4 => (std::cmp::Reverse(x.health), &x.name).cmp(&(std::cmp::Reverse(y.health), &y.name)),
        5 => y.last_sync.cmp(&x.last_sync),
        _ => x.sort_key().cmp(&y.sort_key()),
    }
}

impl AppsPane {
    /// Takes a new snapshot. Rows are rebuilt only for the Applications that changed: the
    /// watch's snapshots share the store's `Arc` of every object it did not replace, and both
    /// lists are sorted by namespace and name, so an app at the same index behind the same
    /// `Arc` keeps its row and filter text. With 10,000 apps and a few changes per snapshot
    /// (every 100 ms under churn) this is what keeps keys responsive; `benches/kube.rs`
    /// measures it. When no row changed, the view is not re-filtered or re-sorted either.
    pub fn set_snapshot(&mut self, snapshot: &Arc<KubeSnapshot>) {
        self.health = Some(snapshot.health(KubeKind::Applications).clone());
        let apps = &snapshot.applications;
        if !self.loaded || self.apps.len() != apps.len() {
            self.rows = apps.iter().map(|a| AppRow::from_app(a)).collect();
            self.haystacks = self.rows.iter().map(haystack).collect();
            self.apps.clone_from(apps);
            self.loaded = true;
            self.index_names();
            self.refresh_view();
            return;
        }
        // As many apps as before: rows are replaced in place, only where the `Arc` differs
        // (no 30,000-row vectors allocated and moved per snapshot). When the same apps stay
        // at the same places the view is patched row by row instead of filtered and sorted.
        let mut same_rows = true;
        let mut changed = Vec::new();
        for (i, app) in apps.iter().enumerate() {
            if Arc::ptr_eq(&self.apps[i], app) {
                continue;
            }
            let row = AppRow::from_app(app);
            let old = &self.rows[i];
            same_rows &= old.name == row.name && old.namespace == row.namespace;
            self.haystacks[i] = haystack(&row);
            self.rows[i] = row;
            self.apps[i] = Arc::clone(app);
            changed.push(i);
        }
        if !same_rows {
            self.index_names();
        }
        if !same_rows || !self.patch_view(&changed) {
            self.refresh_view();
        }
    }

    /// Rows ordered by name, for [`Self::row_named`].
    fn index_names(&mut self) {
        let rows = &self.rows;
        let mut by_name: Vec<usize> = (0..rows.len()).collect();
        by_name.sort_by(|&a, &b| rows[a].name.cmp(&rows[b].name).then(a.cmp(&b)));
        self.by_name = by_name;
    }

    /// The row of the app named `name` (the first listed, if several namespaces have one):
    /// a binary search, so the attention feed reads a few apps of 30,000 per snapshot
    /// without a pass over all of them.
    #[must_use]
    pub fn row_named(&self, name: &str) -> Option<&AppRow> {
        let at = self
            .by_name
            .partition_point(|&i| self.rows[i].name.as_str() < name);
        let row = &self.rows[*self.by_name.get(at)?];
        (row.name == name).then_some(row)
    }

    /// Re-places the `changed` rows in the view ([`TableState::patch`]); false when only a
    /// whole refresh can.
    fn patch_view(&mut self, changed: &[usize]) -> bool {
        if changed.is_empty() {
            return true;
        }
        let rows = &self.rows;
        let column = self.table.sort.column;
        self.table.patch(
            changed,
            &self.haystacks,
            |i| row_key(&rows[i]),
            |a, b| order(column, &rows[a], &rows[b]),
        )
    }

    /// Enter: open the selected app's detail.
    pub fn open_detail(&mut self) {
        self.detail = self.selected().map(|r| r.name.clone());
        self.detail_cursor = 0;
        self.marked.clear();
    }

    /// Closes the detail; true if one was open.
    pub fn close_detail(&mut self) -> bool {
        self.marked.clear();
        self.detail.take().is_some()
    }

    /// Moves the detail's resource cursor.
    pub fn move_detail_cursor(&mut self, delta: isize) {
        let count = self
            .detail_app()
            .map_or(0, |(app, _)| app.status.resources.len());
        let last = count.saturating_sub(1);
        self.detail_cursor = self.detail_cursor.saturating_add_signed(delta).min(last);
    }

    /// The resource under the detail's cursor, as a selective sync names it.
    #[must_use]
    pub fn cursor_resource(&self) -> Option<String> {
        let (app, _) = self.detail_app()?;
        let rows = resource_rows(app);
        let r = rows.get(self.detail_cursor)?;
        Some(SyncResource::from_row(r).key())
    }

    /// The app actions apply to: the open one, else the selected row.
    #[must_use]
    pub fn target(&self) -> Option<(Arc<Application>, AppRow)> {
        let name = match &self.detail {
            Some(name) => name.clone(),
            None => self.selected()?.name.clone(),
        };
        let i = self.rows.iter().position(|r| r.name == name)?;
        Some((Arc::clone(self.apps.get(i)?), self.rows[i].clone()))
    }

    /// The open app and its row, if it still exists (`apps` and `rows` share their order).
    #[must_use]
    pub fn detail_app(&self) -> Option<(&Application, &AppRow)> {
        let name = self.detail.as_deref()?;
        let i = self.rows.iter().position(|r| r.name == name)?;
        Some((self.apps.get(i)?.as_ref(), &self.rows[i]))
    }

    #[must_use]
    pub fn selected(&self) -> Option<&AppRow> {
        self.table.selected_row().and_then(|i| self.rows.get(i))
    }
}

/// What the filter matches for a row: name, project, sync and health, lowercased.
fn haystack(r: &AppRow) -> String {
    format!(
        "{} {} {} {}",
        r.name,
        r.project,
        r.sync.label(),
        r.health.label()
    )
    .to_lowercase()
}

impl Pane for AppsPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some(app) = self.selected() {
            vars.set("app", app.name.as_str());
            vars.set("namespace", app.namespace.as_str());
        }
    }

    /// `y`: the app (the open one, else the selected row); `Y` outside the diff copies the
    /// Application's YAML (`actions`), this row's cells only from the diff.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let (_, row) = self.target()?;
        Some(match kind {
            CopyKind::Key => Copied::key("app", &row.name),
            CopyKind::Row => Copied::row(
                "app",
                &row.name,
                &[
                    row.name.as_str(),
                    &row.namespace,
                    &row.project,
                    &row.sync.label().word,
                    &row.health.label().word,
                    &row.target_revision,
                    &row.synced_revision,
                    &row.auto_sync.text(),
                ],
            ),
        })
    }

    delegate_to_actions!(on_action, focus);

    fn on_prompt(
        &mut self,
        ctx: &mut crate::app::ctx::Ctx<'_>,
        purpose: &crate::app::state::PromptPurpose,
        input: &str,
    ) -> Result<Vec<crate::app::msg::Cmd>, String> {
        match purpose {
            crate::app::state::PromptPurpose::RollbackApp(app) => {
                actions::rollback_entered(self, ctx, app, input).map(|()| Vec::new())
            }
            _ => Ok(Vec::new()),
        }
    }

    fn after_action(
        &mut self,
        _ctx: &mut crate::app::ctx::Ctx<'_>,
        request: &crate::model::action::ActionRequest,
        succeeded: bool,
    ) -> Vec<crate::app::msg::Cmd> {
        // The marks were for the sync that just ran.
        if succeeded
            && matches!(
                request,
                crate::model::action::ActionRequest::SyncApp { dry_run: false, .. }
            )
        {
            self.marked.clear();
        }
        Vec::new()
    }

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refilter_view(&mut self) {
        if !self.table.refilter(&self.haystacks) {
            self.refresh_view();
        }
    }

    fn refresh_view(&mut self) {
        let rows = &self.rows;
        let column = self.table.sort.column;
        self.table.rebuild(
            &self.haystacks,
            |i| row_key(&rows[i]),
            |a, b| order(column, &rows[a], &rows[b]),
        );
    }

    fn close(&mut self) -> bool {
        // The diff closes first: esc goes back to where `d` was pressed.
        if self.diff.take().is_some() {
            return true;
        }
        self.close_detail()
    }

    fn move_other(&mut self, delta: isize) -> bool {
        if diff::scroll(self, delta) {
            return true;
        }
        if self.detail.is_none() {
            return false;
        }
        self.move_detail_cursor(delta);
        true
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot that changes a few apps patches the view: the same order, filter and
    /// selection as a pane that takes the snapshot from scratch.
    #[test]
    fn a_changed_app_moves_like_a_fresh_build() {
        let mut world = crate::sources::sandbox::World::new(7, crate::screenshot::epoch());
        let first = Arc::new(crate::sources::sandbox::apps::kube_snapshot(&mut world, 1));
        let mut pane = AppsPane::default();
        pane.set_snapshot(&first);
        pane.table.move_by(2);
        let followed = pane.selected().expect("rows").name.clone();
        let mut next = (*first).clone();
        let last = next.applications.len() - 1;
        for (i, word) in [(0, "Healthy"), (last, "Degraded")] {
            let mut app = (*next.applications[i]).clone();
            app.status.health.status = word.to_owned();
            next.applications[i] = Arc::new(app);
        }
        let next = Arc::new(next);
        pane.set_snapshot(&next);
        let mut fresh = AppsPane::default();
        fresh.set_snapshot(&next);
        assert_eq!(pane.table.visible, fresh.table.visible);
        assert_eq!(pane.selected().expect("rows").name, followed);
        let name = &next.applications[last].metadata.name;
        let row = pane.row_named(name.as_deref().expect("name")).expect("row");
        assert_eq!(row.health, crate::model::k8s::HealthState::Degraded);
        assert!(pane.row_named("no-such-app").is_none());
    }

    #[test]
    fn apps_needing_attention_come_first_and_filter_by_state() {
        let mut world = crate::sources::sandbox::World::new(7, crate::screenshot::epoch());
        let snapshot = Arc::new(crate::sources::sandbox::apps::kube_snapshot(&mut world, 1));
        let mut pane = AppsPane::default();
        pane.set_snapshot(&snapshot);
        let first = pane.selected().expect("rows");
        assert_eq!(first.health, crate::model::k8s::HealthState::Degraded);
        pane.table.filter.set(
            "outofsync".into(),
            crate::app::filter::FilterMode::Substring,
        );
        pane.refresh_view();
        assert!(!pane.table.visible.is_empty());
        assert!(
            pane.table
                .visible
                .iter()
                .all(|&i| pane.rows[i].sync == crate::model::k8s::SyncState::OutOfSync)
        );
    }

    #[test]
    fn a_snapshot_rebuilds_only_the_rows_of_changed_apps() {
        let mut world = crate::sources::sandbox::World::new(7, crate::screenshot::epoch());
        let first = Arc::new(crate::sources::sandbox::apps::kube_snapshot(&mut world, 1));
        let mut pane = AppsPane::default();
        pane.set_snapshot(&first);
        let before = pane.rows.clone();
        let name = pane.rows[0].name.clone();
        assert_ne!(pane.rows[0].health, crate::model::k8s::HealthState::Missing);

        // The same snapshot again: nothing changes.
        pane.set_snapshot(&first);
        assert_eq!(pane.rows, before);

        // One app replaced (a new `Arc`, as the store does on MODIFIED): its row follows.
        let mut next = (*first).clone();
        let mut changed = (*next.applications[0]).clone();
        changed.status.health.status = "Missing".into();
        next.applications[0] = Arc::new(changed);
        pane.set_snapshot(&Arc::new(next));
        assert_eq!(pane.rows[0].name, name);
        assert_eq!(pane.rows[0].health, crate::model::k8s::HealthState::Missing);
        assert_eq!(pane.rows[1..], before[1..]);
        pane.table
            .filter
            .set("missing".into(), crate::app::filter::FilterMode::Substring);
        pane.refresh_view();
        assert!(pane.table.visible.contains(&0));
    }
}
