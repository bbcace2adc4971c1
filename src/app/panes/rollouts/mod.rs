//! State of the rollouts pane: Deployments and Argo Rollouts of the latest watch snapshot in
//! one list, each with the reasons it is stuck, the ones needing attention first; and the
//! objects behind the open workload's tree (its ReplicaSets, pods, analysis runs and Warning
//! events), selected by owner the way the controllers link them.

pub mod actions;
pub mod analysis;

use crate::model::custom_command::Vars;
use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::k8s::snapshot::{KindHealth, KubeKind, KubeSnapshot};
use crate::model::k8s::{
    AnalysisRun, PodFacts, Rollout, RolloutPhase, RowKind, StuckReason, TreeNode, Workload,
    WorkloadRow, deployment_tree, diagnose, owner_tree, rollout_tree,
};

/// The orders of the list: attention (the default), name, namespace, status, kind.
pub const SORT_KEYS: [SortKey; 5] = [
    SortKey::OWN,
    SortKey::on("NAME"),
    SortKey::on("NAMESPACE"),
    SortKey::on("STATUS"),
    SortKey::on("KIND/STRATEGY"),
];

/// One listed workload.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadEntry {
    pub row: WorkloadRow,
    /// Why it is not progressing, most important first (empty when fine).
    pub stuck: Vec<StuckReason>,
}

impl WorkloadEntry {
    /// Lower sorts first: degraded, stuck, paused, progressing, healthy.
    #[must_use]
    pub fn attention(&self) -> u8 {
        let phase = RolloutPhase::parse(&self.row.status.word);
        match (phase, self.stuck.is_empty()) {
            (Some(RolloutPhase::Degraded), _) => 0,
            (_, false) => 1,
            (Some(RolloutPhase::Paused), _) => 2,
            (Some(RolloutPhase::Progressing), _) => 3,
            _ => 4,
        }
    }

    #[must_use]
    pub fn key(&self) -> WorkloadKey {
        WorkloadKey {
            kind: self.row.kind,
            namespace: self.row.namespace.clone(),
            name: self.row.name.clone(),
        }
    }
}

/// Names one workload across snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkloadKey {
    pub kind: RowKind,
    pub namespace: String,
    pub name: String,
}

/// A workload's own objects.
#[derive(Debug, Clone, Default)]
pub struct Children {
    pub replica_sets: Vec<ReplicaSet>,
    pub pods: Vec<PodFacts>,
    pub analysis_runs: Vec<AnalysisRun>,
    pub events: Vec<Event>,
}

/// The `:rollouts` pane.
#[derive(Debug, Clone, Default)]
pub struct RolloutsPane {
    pub snapshot: Option<Arc<KubeSnapshot>>,
    pub entries: Vec<WorkloadEntry>,
    /// The workload opened with enter.
    pub detail: Option<WorkloadKey>,
    /// First line of the detail shown (the tree scrolls).
    pub detail_scroll: usize,
    /// The open workload's tree, built when it opens and with each snapshot (selecting its
    /// objects scans every pod, which has no place in a frame).
    pub detail_tree: Vec<TreeNode>,
    /// The pod of the open tree the pod keys act on (tab moves it), by name.
    pub tree_pod: Option<String>,
    /// The worst health of the Deployments and Rollouts watches.
    pub health: Option<KindHealth>,
    pub loaded: bool,
    pub table: TableState,
    haystacks: Vec<String>,
    /// A snapshot not turned into rows yet.
    pending: Option<Arc<KubeSnapshot>>,
}

fn uid(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.uid.as_deref().unwrap_or_default()
}

fn owner_uids(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> impl Iterator<Item = &str> {
    meta.owner_references
        .iter()
        .flatten()
        .map(|o| o.uid.as_str())
}

/// ReplicaSets by owner uid, pods by owner uid: one pass over each list per snapshot.
struct Owners<'a> {
    replica_sets: HashMap<&'a str, Vec<&'a ReplicaSet>>,
    pods: HashMap<&'a str, Vec<&'a PodFacts>>,
}

impl<'a> Owners<'a> {
    fn new(snapshot: &'a KubeSnapshot) -> Self {
        let mut replica_sets: HashMap<&str, Vec<&ReplicaSet>> = HashMap::new();
        for rs in &snapshot.replica_sets {
            for owner in owner_uids(&rs.metadata) {
                replica_sets.entry(owner).or_default().push(rs);
            }
        }
        let mut pods: HashMap<&str, Vec<&PodFacts>> = HashMap::new();
        for pod in &snapshot.pods {
            for owner in pod.owner_uids() {
                pods.entry(owner).or_default().push(pod);
            }
        }
        Self { replica_sets, pods }
    }

    fn of(&self, owner: &str) -> (Vec<&'a ReplicaSet>, Vec<&'a PodFacts>) {
        let replica_sets = self.replica_sets.get(owner).cloned().unwrap_or_default();
        let pods = replica_sets
            .iter()
            .flat_map(|rs| self.pods.get(uid(&rs.metadata)).into_iter().flatten())
            .copied()
            .collect();
        (replica_sets, pods)
    }
}

fn worst(a: &KindHealth, b: &KindHealth) -> KindHealth {
    match (a, b) {
        (KindHealth::Error(m), _) | (_, KindHealth::Error(m)) => KindHealth::Error(m.clone()),
        (KindHealth::Syncing, _) | (_, KindHealth::Syncing) => KindHealth::Syncing,
        (KindHealth::Ok, _) | (_, KindHealth::Ok) => KindHealth::Ok,
        _ => KindHealth::Off,
    }
}

impl RolloutsPane {
    /// Keeps a new snapshot; its rows are built when the pane shows ([`Self::apply_pending`]),
    /// so a busy cluster costs nothing while the user looks elsewhere.
    pub fn offer(&mut self, snapshot: &Arc<KubeSnapshot>) {
        self.pending = Some(Arc::clone(snapshot));
        self.loaded = true;
    }

    /// The newest snapshot, whether or not its rows are built yet (the incident view reads
    /// one workload from it without building every row).
    #[must_use]
    pub fn latest_snapshot(&self) -> Option<&Arc<KubeSnapshot>> {
        self.pending.as_ref().or(self.snapshot.as_ref())
    }

    /// Builds the rows of the snapshot kept by [`Self::offer`], if any; true if it did.
    pub fn apply_pending(&mut self) -> bool {
        match self.pending.take() {
            Some(snapshot) => {
                self.set_snapshot(&snapshot);
                true
            }
            None => false,
        }
    }

    pub fn set_snapshot(&mut self, snapshot: &Arc<KubeSnapshot>) {
        let owners = Owners::new(snapshot);
        let mut entries = Vec::with_capacity(snapshot.deployments.len() + snapshot.rollouts.len());
        for d in &snapshot.deployments {
            let (replica_sets, pods) = owners.of(uid(&d.metadata));
            let workload = Workload::Deployment(d);
            entries.push(WorkloadEntry {
                row: WorkloadRow::from_deployment(d),
                stuck: diagnose(workload, &replica_sets, &pods),
            });
        }
        for r in &snapshot.rollouts {
            let (replica_sets, pods) = owners.of(uid(&r.metadata));
            let workload = Workload::Rollout(r);
            entries.push(WorkloadEntry {
                row: WorkloadRow::from_rollout(r, &replica_sets),
                stuck: diagnose(workload, &replica_sets, &pods),
            });
        }
        // Read-only rows: Argo CD's health is their status; nothing diagnoses them yet.
        let read_only = snapshot
            .stateful_sets
            .iter()
            .map(|s| WorkloadRow::from_stateful_set(s))
            .chain(
                snapshot
                    .daemon_sets
                    .iter()
                    .map(|d| WorkloadRow::from_daemon_set(d)),
            )
            .chain(snapshot.jobs.iter().map(|j| WorkloadRow::from_job(j)));
        entries.extend(read_only.map(|row| WorkloadEntry {
            row,
            stuck: Vec::new(),
        }));
        self.haystacks = entries
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {} {} {}",
                    e.row.name,
                    e.row.namespace,
                    e.row.kind.as_str(),
                    e.row.status.word,
                    e.row.images.join(" "),
                    e.stuck.first().map_or("", |s| s.message.as_str())
                )
                .to_lowercase()
            })
            .collect();
        self.entries = entries;
        self.health = Some(
            [
                KubeKind::Rollouts,
                KubeKind::StatefulSets,
                KubeKind::DaemonSets,
                KubeKind::Jobs,
            ]
            .into_iter()
            .fold(
                snapshot.health(KubeKind::Deployments).clone(),
                |acc, kind| worst(&acc, snapshot.health(kind)),
            ),
        );
        self.snapshot = Some(Arc::clone(snapshot));
        self.loaded = true;
        self.refresh_view();
        self.rebuild_tree();
    }

    fn rebuild_tree(&mut self) {
        self.detail_tree = match self.detail.clone() {
            Some(key) => self.tree(&key),
            None => Vec::new(),
        };
    }

    #[must_use]
    pub fn selected(&self) -> Option<&WorkloadEntry> {
        self.table.selected_row().and_then(|i| self.entries.get(i))
    }

    /// Enter: open the selected workload's tree.
    pub fn open_detail(&mut self) {
        self.detail = self.selected().map(WorkloadEntry::key);
        self.detail_scroll = 0;
        self.tree_pod = None;
        self.rebuild_tree();
    }

    pub fn close_detail(&mut self) -> bool {
        self.detail_tree.clear();
        self.tree_pod = None;
        self.detail.take().is_some()
    }

    /// Tab and shift-tab: the next (`delta` 1) or previous pod node of the open tree; none
    /// when the tree has no pods.
    pub fn move_tree_pod(&mut self, delta: isize) {
        let pods: Vec<&str> = self
            .detail_tree
            .iter()
            .filter(|n| n.icon == crate::model::k8s::KindIcon::Pod)
            .map(|n| n.name.as_str())
            .collect();
        if pods.is_empty() {
            self.tree_pod = None;
            return;
        }
        let len = isize::try_from(pods.len()).unwrap_or(isize::MAX);
        let at = self
            .tree_pod
            .as_deref()
            .and_then(|name| pods.iter().position(|p| *p == name))
            .and_then(|i| isize::try_from(i).ok());
        let next = match at {
            Some(i) => (i + delta).rem_euclid(len),
            None if delta < 0 => len - 1,
            None => 0,
        };
        self.tree_pod = usize::try_from(next)
            .ok()
            .and_then(|i| pods.get(i))
            .map(|p| (*p).to_owned());
    }

    /// The pod the tree's pod keys act on, as the snapshot has it.
    #[must_use]
    pub fn tree_pod_facts(&self) -> Option<&Arc<PodFacts>> {
        let key = self.detail.as_ref()?;
        let name = self.tree_pod.as_deref()?;
        self.snapshot
            .as_ref()?
            .pods
            .iter()
            .find(|p| p.namespace == key.namespace && p.name == name)
    }

    /// The workload actions apply to: the open one, else the selected row.
    #[must_use]
    pub fn target(&self) -> Option<&WorkloadEntry> {
        match &self.detail {
            Some(key) => self.entries.iter().find(|e| &e.key() == key),
            None => self.selected(),
        }
    }

    /// The Deployment behind `key` in the latest snapshot.
    #[must_use]
    pub fn deployment(&self, key: &WorkloadKey) -> Option<&Deployment> {
        self.snapshot.as_ref()?.deployments.iter().find_map(|d| {
            (key.kind == RowKind::Deployment
                && d.metadata.name.as_deref() == Some(&key.name)
                && d.metadata.namespace.as_deref() == Some(&key.namespace))
            .then_some(d.as_ref())
        })
    }

    /// The Rollout behind `key` in the latest snapshot.
    #[must_use]
    pub fn rollout(&self, key: &WorkloadKey) -> Option<&Rollout> {
        self.snapshot.as_ref()?.rollouts.iter().find_map(|r| {
            (key.kind == RowKind::Rollout && r.name() == key.name && r.namespace() == key.namespace)
                .then_some(r.as_ref())
        })
    }

    /// The workload behind `key`, borrowed from the snapshot.
    #[must_use]
    pub fn workload(&self, key: &WorkloadKey) -> Option<Workload<'_>> {
        match key.kind {
            RowKind::Deployment => self.deployment(key).map(Workload::Deployment),
            RowKind::Rollout => self.rollout(key).map(Workload::Rollout),
            // Read-only rows have no workload for actions.
            RowKind::StatefulSet | RowKind::DaemonSet | RowKind::Job => None,
        }
    }

    /// The workload's ReplicaSets, pods, analysis runs and Warning events (its own and its
    /// children's).
    #[must_use]
    pub fn children(&self, key: &WorkloadKey) -> Children {
        let (Some(snapshot), Some(workload)) = (self.snapshot.as_ref(), self.workload(key)) else {
            return Children::default();
        };
        let owner = match workload {
            Workload::Deployment(d) => uid(&d.metadata).to_owned(),
            Workload::Rollout(r) => uid(&r.metadata).to_owned(),
        };
        let replica_sets: Vec<ReplicaSet> = snapshot
            .replica_sets
            .iter()
            .filter(|rs| owner_uids(&rs.metadata).any(|o| o == owner))
            .map(|rs| (**rs).clone())
            .collect();
        let rs_uids: Vec<&str> = replica_sets.iter().map(|rs| uid(&rs.metadata)).collect();
        let pods: Vec<PodFacts> = snapshot
            .pods
            .iter()
            .filter(|p| p.owner_uids().any(|o| rs_uids.contains(&o)))
            .map(|p| (**p).clone())
            .collect();
        let analysis_runs = snapshot
            .analysis_runs
            .iter()
            .filter(|a| owner_uids(&a.metadata).any(|o| o == owner))
            .map(|a| (**a).clone())
            .collect();
        let mut names: Vec<String> = vec![key.name.clone()];
        names.extend(replica_sets.iter().filter_map(|r| r.metadata.name.clone()));
        names.extend(pods.iter().map(|p| p.name.clone()));
        let events = snapshot
            .events
            .iter()
            .filter(|e| {
                e.metadata.namespace.as_deref() == Some(&key.namespace)
                    && e.involved_object
                        .name
                        .as_ref()
                        .is_some_and(|n| names.contains(n))
            })
            .map(|e| (**e).clone())
            .collect();
        Children {
            replica_sets,
            pods,
            analysis_runs,
            events,
        }
    }

    /// The open workload's tree.
    #[must_use]
    pub fn tree(&self, key: &WorkloadKey) -> Vec<TreeNode> {
        let c = self.children(key);
        match self.workload(key) {
            Some(Workload::Rollout(r)) => {
                rollout_tree(r, &c.replica_sets, &c.pods, &c.analysis_runs, &c.events)
            }
            Some(Workload::Deployment(d)) => {
                deployment_tree(d, &c.replica_sets, &c.pods, &c.events)
            }
            None => self.read_only_tree(key),
        }
    }

    /// The metadata of a read-only row's object in the latest snapshot.
    fn read_only_meta(&self, key: &WorkloadKey) -> Option<&ObjectMeta> {
        let snapshot = self.snapshot.as_ref()?;
        let named = |m: &ObjectMeta| {
            m.name.as_deref() == Some(&key.name) && m.namespace.as_deref() == Some(&key.namespace)
        };
        match key.kind {
            RowKind::StatefulSet => snapshot
                .stateful_sets
                .iter()
                .map(|o| &o.metadata)
                .find(|m| named(m)),
            RowKind::DaemonSet => snapshot
                .daemon_sets
                .iter()
                .map(|o| &o.metadata)
                .find(|m| named(m)),
            RowKind::Job => snapshot.jobs.iter().map(|o| &o.metadata).find(|m| named(m)),
            RowKind::Deployment | RowKind::Rollout => None,
        }
    }

    /// A `StatefulSet`'s, `DaemonSet`'s or Job's tree: its own pods and their Warning events.
    fn read_only_tree(&self, key: &WorkloadKey) -> Vec<TreeNode> {
        let (Some(snapshot), Some(meta)) = (self.snapshot.as_ref(), self.read_only_meta(key))
        else {
            return Vec::new();
        };
        let Some(entry) = self.entries.iter().find(|e| &e.key() == key) else {
            return Vec::new();
        };
        let owner = uid(meta);
        let pods: Vec<PodFacts> = snapshot
            .pods
            .iter()
            .filter(|p| p.owner_uids().any(|o| o == owner))
            .map(|p| (**p).clone())
            .collect();
        let mut names = vec![key.name.clone()];
        names.extend(pods.iter().map(|p| p.name.clone()));
        let events: Vec<Event> = snapshot
            .events
            .iter()
            .filter(|e| {
                e.metadata.namespace.as_deref() == Some(&key.namespace)
                    && e.involved_object
                        .name
                        .as_ref()
                        .is_some_and(|n| names.contains(n))
            })
            .map(|e| (**e).clone())
            .collect();
        owner_tree(&entry.row, meta, &pods, &events)
    }
}

impl Pane for RolloutsPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some(pod) = self.tree_pod_facts() {
            crate::app::panes::pod_vars(pod, vars);
        }
        let workload = match &self.detail {
            Some(key) => self.entries.iter().find(|e| e.key() == *key),
            None => self.selected(),
        };
        if let Some(entry) = workload {
            vars.set_default("namespace", entry.row.namespace.as_str());
            vars.set("workload", entry.row.name.as_str());
        }
    }

    /// `y`: the pod picked in the open workload's tree, else the workload. `Y` never comes
    /// here: the pane's own action copies the workload's YAML.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        if kind != CopyKind::Key {
            return None;
        }
        if let Some(pod) = self.tree_pod_facts() {
            return Some(Copied::key("pod", &pod.name));
        }
        Some(Copied::key("rollout", &self.target()?.row.name))
    }

    delegate_to_actions!(on_action, focus);

    fn on_prompt(
        &mut self,
        ctx: &mut crate::app::ctx::Ctx<'_>,
        purpose: &crate::app::state::PromptPurpose,
        input: &str,
    ) -> Result<Vec<crate::app::msg::Cmd>, String> {
        use crate::app::state::PromptPurpose;
        match purpose {
            PromptPurpose::UndoRollout(key) => actions::undo_entered(self, ctx, key, input),
            PromptPurpose::ScaleWorkload(key) => actions::scale_entered(self, ctx, key, input),
            _ => Ok(()),
        }
        .map(|()| Vec::new())
    }

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refresh_view(&mut self) {
        let e = &self.entries;
        let name = |i: usize| (&e[i].row.namespace, &e[i].row.name);
        let column = self.table.sort.column;
        self.table.rebuild(
            &self.haystacks,
            |i| {
                format!(
                    "{}/{}/{}",
                    e[i].row.kind.as_str(),
                    e[i].row.namespace,
                    e[i].row.name
                )
            },
            |a, b| match column {
                1 => (&e[a].row.name, &e[a].row.namespace)
                    .cmp(&(&e[b].row.name, &e[b].row.namespace)),
                2 => name(a).cmp(&name(b)),
                3 => (&e[a].row.status.word, name(a)).cmp(&(&e[b].row.status.word, name(b))),
                4 => (e[a].row.kind.as_str(), name(a)).cmp(&(e[b].row.kind.as_str(), name(b))),
                _ => (e[a].attention(), name(a)).cmp(&(e[b].attention(), name(b))),
            },
        );
    }

    fn close(&mut self) -> bool {
        self.close_detail()
    }

    fn move_other(&mut self, delta: isize) -> bool {
        if self.detail.is_none() {
            return false;
        }
        self.detail_scroll = self.detail_scroll.saturating_add_signed(delta).min(10_000);
        true
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::{KindIcon, StuckKind};

    fn pane() -> RolloutsPane {
        let mut world = crate::sources::sandbox::World::new(7, crate::screenshot::epoch());
        world.cluster();
        world.advance(std::time::Duration::from_secs(40));
        let snapshot = Arc::new(crate::sources::sandbox::apps::kube_snapshot(&mut world, 1));
        let mut pane = RolloutsPane::default();
        pane.set_snapshot(&snapshot);
        pane
    }

    #[test]
    fn the_stuck_rollout_comes_first_with_its_reason() {
        let pane = pane();
        let first = pane.selected().expect("rows");
        assert_eq!(first.row.name, "shipping-api");
        assert_eq!(first.row.status.word, "Degraded");
        assert_eq!(first.stuck[0].kind, StuckKind::ImagePull);
        assert!(
            first.stuck[0].message.contains("not found"),
            "{:?}",
            first.stuck
        );
        // One workload per service, plus the read-only StatefulSet, DaemonSet and Job.
        assert_eq!(
            pane.entries.len(),
            crate::sources::sandbox::fleet::SERVICES.len() + 3
        );
    }

    #[test]
    fn read_only_rows_have_argo_cd_health_a_tree_and_no_workload() {
        let pane = pane();
        let sts = pane
            .entries
            .iter()
            .find(|e| e.row.kind == RowKind::StatefulSet)
            .expect("the sandbox's StatefulSet is listed");
        assert_eq!(sts.row.status.to_string(), "✔ Healthy");
        let key = sts.key();
        assert!(pane.workload(&key).is_none(), "no action can target it");
        let tree = pane.tree(&key);
        assert_eq!(tree[0].kind, "StatefulSet");
        assert_eq!(
            tree.iter().filter(|n| n.icon == KindIcon::Pod).count(),
            2,
            "{tree:?}"
        );
    }

    #[test]
    fn the_tree_links_revisions_replica_sets_and_pods() {
        let pane = pane();
        let key = pane.selected().unwrap().key();
        let tree = pane.tree(&key);
        let kinds: Vec<KindIcon> = tree.iter().map(|n| n.icon).collect();
        assert_eq!(kinds[0], KindIcon::Rollout);
        assert!(kinds.contains(&KindIcon::Revision), "{tree:?}");
        assert!(kinds.contains(&KindIcon::ReplicaSet), "{tree:?}");
        assert!(kinds.contains(&KindIcon::Pod), "{tree:?}");
        let children = pane.children(&key);
        assert!(
            !children.events.is_empty(),
            "the pull failures are Warning events"
        );
    }
}
