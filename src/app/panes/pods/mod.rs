//! State of the pods view: the pods of one workload (reached with enter from a rollout's
//! detail or an app's resource), of one named pod, or of every watched namespace (`:pods`),
//! with kubectl's STATUS, READY and RESTARTS, the last termination (`OOMKilled`, `Error`, exit
//! code), node, age and images. The ones that need a look sort first; the selection follows
//! the pod's name.

pub mod actions;

use crate::model::custom_command::Vars;
use std::collections::HashSet;
use std::sync::Arc;

use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::k8s::snapshot::{KindHealth, KubeKind, KubeSnapshot};
use crate::model::k8s::{ContainerState, PodFacts};

/// The orders of the list: attention (the default), name, status, restarts, age, node.
pub const SORT_KEYS: [SortKey; 6] = [
    SortKey::OWN,
    SortKey::on("NAME"),
    SortKey::on("STATUS"),
    SortKey::on("RESTARTS"),
    SortKey::on("AGE"),
    SortKey::on("NODE"),
];

/// Which pods the view lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PodsFocus {
    /// Every pod of the watched namespaces.
    #[default]
    All,
    /// The pods a workload owns, directly or through its ReplicaSets.
    Workload {
        kind: String,
        namespace: String,
        name: String,
    },
    /// One pod (an app's Pod resource).
    Named { namespace: String, name: String },
}

impl PodsFocus {
    /// The view's title.
    #[must_use]
    pub fn title(&self) -> String {
        match self {
            Self::All => "Pods".to_owned(),
            Self::Workload { kind, name, .. } => format!("Pods of {} {name}", kind.to_lowercase()),
            Self::Named { name, .. } => format!("Pod {name}"),
        }
    }
}

/// How much a pod needs a look: lower sorts first.
#[must_use]
pub fn attention(pod: &PodFacts) -> u8 {
    let waiting_badly = pod.containers.iter().any(|c| {
        matches!(&c.state, ContainerState::Waiting { reason, .. }
            if !reason.is_empty() && reason != "ContainerCreating" && reason != "PodInitializing")
    });
    let failed = matches!(pod.phase.as_str(), "Failed" | "Unknown")
        || pod.status_word.starts_with("Init:") && !pod.status_word.contains('/');
    if waiting_badly || failed || pod.unschedulable.is_some() {
        0
    } else if pod.deleting
        || (pod.phase == "Running" && pod.ready < pod.total)
        || pod.phase == "Pending"
    {
        1
    } else if pod.restarts > 0 {
        2
    } else {
        3
    }
}

/// The `:pods` view.
#[derive(Debug, Clone, Default)]
pub struct PodsPane {
    pub focus: PodsFocus,
    /// The snapshot the rows come from.
    pub snapshot: Option<Arc<KubeSnapshot>>,
    /// A newer snapshot, kept by [`Self::offer`] until the pane shows.
    pending: Option<Arc<KubeSnapshot>>,
    /// The listed pods.
    pub pods: Vec<Arc<PodFacts>>,
    pub health: Option<KindHealth>,
    pub table: TableState,
    haystacks: Vec<String>,
    /// How many listed pods are failing (attention 0), kept up to date with the rows so a
    /// frame does not count 100,000 pods.
    failing: usize,
}

impl PodsPane {
    /// How many listed pods are failing (the title's count).
    #[must_use]
    pub fn failing(&self) -> usize {
        self.failing
    }

    /// Keeps a new snapshot; the rows follow it when the pane shows
    /// ([`Self::apply_pending`]): with 100,000 pods a watch snapshot every 100 ms would
    /// otherwise cost a pass over every pod while the user looks elsewhere.
    pub fn offer(&mut self, snapshot: &Arc<KubeSnapshot>) {
        self.health = Some(snapshot.health(KubeKind::Pods).clone());
        self.pending = Some(Arc::clone(snapshot));
    }

    /// Takes a new snapshot and rebuilds the rows at once (the selection stays on its pod).
    pub fn set_snapshot(&mut self, snapshot: &Arc<KubeSnapshot>) {
        self.offer(snapshot);
        self.apply_pending();
    }

    /// Brings the rows up to the snapshot [`Self::offer`] kept, if any; true if it did.
    pub fn apply_pending(&mut self) -> bool {
        let Some(snapshot) = self.pending.take() else {
            return false;
        };
        self.snapshot = Some(snapshot);
        self.update_rows();
        true
    }

    /// The newest snapshot, whether or not the rows follow it yet.
    #[must_use]
    pub fn latest_snapshot(&self) -> Option<&Arc<KubeSnapshot>> {
        self.pending.as_ref().or(self.snapshot.as_ref())
    }

    /// Lists the pods `focus` names.
    pub fn set_focus(&mut self, focus: PodsFocus) {
        if let Some(snapshot) = self.pending.take() {
            self.snapshot = Some(snapshot);
        }
        let changed = focus != self.focus;
        if changed {
            self.focus = focus;
            self.table.filter.clear();
            self.table.forget_selection();
        }
        self.rebuild();
        if changed {
            self.select_last_terminated();
        }
    }

    /// Opening a workload's pods puts the cursor on the first running pod whose container
    /// died before (its last termination is the clue on-call came for), so `S` opens a
    /// shell in it at once; without one the cursor stays on the first row.
    fn select_last_terminated(&mut self) {
        let found = self.table.visible.iter().position(|&row| {
            self.pods.get(row).is_some_and(|p| {
                p.phase == "Running" && !p.deleting && p.last_termination().is_some()
            })
        });
        if let Some(position) = found {
            self.table.select(position);
        }
    }

    /// Lists the pods of the focus from scratch.
    fn rebuild(&mut self) {
        let Some(snapshot) = self.snapshot.clone() else {
            self.pods.clear();
            self.haystacks.clear();
            self.refresh_view();
            return;
        };
        self.pods = select(&snapshot, &self.focus);
        self.haystacks = self.pods.iter().map(|p| haystack(p)).collect();
        self.failing = self.pods.iter().filter(|p| attention(p) == 0).count();
        self.refresh_view();
    }

    /// Follows a new snapshot of the same focus. With as many pods as before, rows are
    /// replaced in place where the watch replaced the pod (another `Arc`), and when the same
    /// pods stay at the same places only the changed rows move ([`TableState::patch`]).
    fn update_rows(&mut self) {
        let Some(snapshot) = self.snapshot.clone() else {
            return self.rebuild();
        };
        // Every pod is the snapshot's own list: compared in place, not copied.
        let selected;
        let pods: &[Arc<PodFacts>] = if self.focus == PodsFocus::All {
            &snapshot.pods
        } else {
            selected = select(&snapshot, &self.focus);
            &selected
        };
        if pods.len() != self.pods.len() {
            return self.rebuild();
        }
        let mut same_rows = true;
        let mut changed = Vec::new();
        for (i, pod) in pods.iter().enumerate() {
            let old = &self.pods[i];
            if Arc::ptr_eq(old, pod) {
                continue;
            }
            same_rows &= old.namespace == pod.namespace && old.name == pod.name;
            self.failing -= usize::from(attention(old) == 0);
            self.failing += usize::from(attention(pod) == 0);
            self.haystacks[i] = haystack(pod);
            self.pods[i] = Arc::clone(pod);
            changed.push(i);
        }
        if !same_rows || !self.patch_view(&changed) {
            self.refresh_view();
        }
    }

    /// Re-places the `changed` rows ([`TableState::patch`]); false when only a whole
    /// refresh can.
    fn patch_view(&mut self, changed: &[usize]) -> bool {
        if changed.is_empty() {
            return true;
        }
        let pods = &self.pods;
        let column = self.table.sort.column;
        self.table.patch(
            changed,
            &self.haystacks,
            |i| row_key(&pods[i]),
            |a, b| order(column, &pods[a], &pods[b]),
        )
    }

    /// The name as listed: without the workload's name in front when the view is that
    /// workload's (the title says it, and 80 columns keep the part that differs).
    #[must_use]
    pub fn short_name<'a>(&self, pod: &'a PodFacts) -> &'a str {
        match &self.focus {
            PodsFocus::Workload { name, .. } => pod
                .name
                .strip_prefix(name.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .filter(|rest| !rest.is_empty())
                .unwrap_or(&pod.name),
            _ => &pod.name,
        }
    }

    #[must_use]
    pub fn selected(&self) -> Option<&Arc<PodFacts>> {
        self.table.selected_row().and_then(|i| self.pods.get(i))
    }
}

/// What the filter searches in a pod's row.
fn haystack(p: &PodFacts) -> String {
    format!(
        "{} {} {} {} {}",
        p.name,
        p.status_word,
        p.node,
        p.images(),
        p.last_termination()
            .map(|(_, t)| t.words())
            .unwrap_or_default()
    )
    .to_lowercase()
}

/// A pod's identity in the table.
fn row_key(pod: &PodFacts) -> String {
    format!("{}/{}", pod.namespace, pod.name)
}

/// The order of sort column `column`: attention first by default, the name breaking ties.
fn order(column: usize, pa: &PodFacts, pb: &PodFacts) -> std::cmp::Ordering {
    let name = (&pa.namespace, &pa.name).cmp(&(&pb.namespace, &pb.name));
    match column {
        1 => name,
        2 => pa.status_word.cmp(&pb.status_word).then(name),
        3 => pb.restarts.cmp(&pa.restarts).then(name),
        4 => pb.created.cmp(&pa.created).then(name),
        5 => pa.node.cmp(&pb.node).then(name),
        _ => (attention(pa), -pa.restarts)
            .cmp(&(attention(pb), -pb.restarts))
            .then(name),
    }
}

/// The pods of `focus` in `snapshot`.
#[must_use]
pub fn select(snapshot: &KubeSnapshot, focus: &PodsFocus) -> Vec<Arc<PodFacts>> {
    match focus {
        PodsFocus::All => snapshot.pods.clone(),
        PodsFocus::Named { namespace, name } => snapshot
            .pods
            .iter()
            .filter(|p| &p.namespace == namespace && &p.name == name)
            .cloned()
            .collect(),
        PodsFocus::Workload {
            kind,
            namespace,
            name,
        } => {
            let uid = workload_uid(snapshot, kind, namespace, name);
            let Some(uid) = uid else {
                return Vec::new();
            };
            // The workload's own uid and its ReplicaSets' (Deployments and Rollouts own
            // pods through ReplicaSets; StatefulSets, DaemonSets and Jobs directly).
            let mut owners: HashSet<&str> = HashSet::from([uid]);
            for rs in &snapshot.replica_sets {
                let owned = rs
                    .metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.uid == uid);
                if owned && let Some(u) = rs.metadata.uid.as_deref() {
                    owners.insert(u);
                }
            }
            snapshot
                .pods
                .iter()
                .filter(|p| &p.namespace == namespace && p.owner_uids().any(|o| owners.contains(o)))
                .cloned()
                .collect()
        }
    }
}

fn workload_uid<'a>(
    snapshot: &'a KubeSnapshot,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Option<&'a str> {
    let meta = |m: &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        (m.namespace.as_deref() == Some(namespace) && m.name.as_deref() == Some(name))
            .then_some(m.uid.as_deref())
            .flatten()
    };
    match kind {
        "Deployment" => snapshot.deployments.iter().find_map(|d| meta(&d.metadata)),
        "Rollout" => snapshot.rollouts.iter().find_map(|r| meta(&r.metadata)),
        "StatefulSet" => snapshot
            .stateful_sets
            .iter()
            .find_map(|r| meta(&r.metadata)),
        "DaemonSet" => snapshot.daemon_sets.iter().find_map(|r| meta(&r.metadata)),
        "Job" => snapshot.jobs.iter().find_map(|r| meta(&r.metadata)),
        _ => snapshot.replica_sets.iter().find_map(|r| meta(&r.metadata)),
    }
}

impl Pane for PodsPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some(pod) = self.selected() {
            crate::app::panes::pod_vars(pod, vars);
        }
    }

    /// `y`: the pod's name. `Y` never comes here: the pane's own action copies the YAML.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let pod = self.selected()?;
        (kind == CopyKind::Key).then(|| Copied::key("pod", &pod.name))
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
            PromptPurpose::DeletePod {
                namespace,
                name,
                uid,
            } => actions::delete_entered(self, ctx, (namespace, name, uid), input),
            _ => Ok(()),
        }
        .map(|()| Vec::new())
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
        let pods = &self.pods;
        let column = self.table.sort.column;
        self.table.rebuild(
            &self.haystacks,
            |i| row_key(&pods[i]),
            |a, b| order(column, &pods[a], &pods[b]),
        );
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Following a snapshot in place gives what a fresh build gives: order, selection and
    /// the failing count.
    #[test]
    fn a_changed_pod_moves_like_a_fresh_build() {
        let mut world = crate::sources::sandbox::World::new(7, crate::screenshot::epoch());
        let first = Arc::new(crate::sources::sandbox::apps::kube_snapshot(&mut world, 1));
        assert!(first.pods.len() > 3, "the sandbox has pods");
        let mut pane = PodsPane::default();
        pane.set_snapshot(&first);
        pane.table.move_by(1);
        let followed = pane.selected().expect("rows").name.clone();
        let mut next = (*first).clone();
        let last = next.pods.len() - 1;
        let mut pod = (*next.pods[last]).clone();
        pod.restarts += 40;
        pod.phase = "Failed".to_owned();
        next.pods[last] = Arc::new(pod);
        let next = Arc::new(next);
        pane.offer(&next);
        assert_eq!(
            pane.pods[last].restarts, first.pods[last].restarts,
            "not before it shows"
        );
        assert!(pane.apply_pending());
        let mut fresh = PodsPane::default();
        fresh.set_snapshot(&next);
        assert_eq!(pane.table.visible, fresh.table.visible);
        assert_eq!(pane.failing(), fresh.failing());
        assert_eq!(pane.selected().expect("rows").name, followed);
    }
}
