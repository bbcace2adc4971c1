//! What `kubectl argo rollouts get rollout` prints in its header and needs the Rollout's
//! ReplicaSets for: `SetWeight`, `ActualWeight` and Images. Ported from argoproj/argo-rollouts at
//! 9f8d111d8f8e3e88b6d7f8bbdf62fd3cd863ef9d: `pkg/kubectl-argo-rollouts/info/rollout_info.go`
//! (`NewRolloutInfo`, `Images`), `info/replicaset_info.go` (`GetReplicaSetInfo`'s roles),
//! `utils/replicaset/canary.go` (`GetCurrentSetWeight`) and `utils/weightutil/weight.go`
//! (`MaxTrafficWeight`).

use k8s_openapi::api::apps::v1::ReplicaSet;

use super::patches::ROLLOUT_HASH_LABEL;
use super::rollout::Rollout;

/// The roles the plugin gives a ReplicaSet of a Rollout (`GetReplicaSetInfo`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the plugin's six independent role flags, named as it names them"
)]
pub struct ReplicaSetRoles {
    pub stable: bool,
    pub canary: bool,
    pub active: bool,
    pub preview: bool,
    pub ping: bool,
    pub pong: bool,
}

impl ReplicaSetRoles {
    /// The tags in the plugin's order (`Images`): canary, stable, active, preview, ping, pong.
    #[must_use]
    pub fn tags(self) -> Vec<&'static str> {
        [
            (self.canary, "canary"),
            (self.stable, "stable"),
            (self.active, "active"),
            (self.preview, "preview"),
            (self.ping, "ping"),
            (self.pong, "pong"),
        ]
        .into_iter()
        .filter_map(|(on, tag)| on.then_some(tag))
        .collect()
    }
}

/// `GetPodTemplateHash`: the `rollouts-pod-template-hash` label, empty without one.
fn pod_template_hash(rs: &ReplicaSet) -> &str {
    rs.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(ROLLOUT_HASH_LABEL))
        .map_or("", String::as_str)
}

/// A ReplicaSet's roles for `rollout`, as `GetReplicaSetInfo` sets them.
#[must_use]
pub fn roles(rollout: &Rollout, rs: &ReplicaSet) -> ReplicaSetRoles {
    let status = &rollout.status;
    let hash = pod_template_hash(rs);
    let mut roles = ReplicaSetRoles::default();
    if let Some(canary) = &rollout.spec.strategy.canary {
        let ping_pong = canary.ping_pong.is_some();
        let stable_is_ping = status.canary.stable_ping_pong == "ping";
        if status.stable_rs == hash {
            roles.stable = true;
            if ping_pong {
                roles.ping = stable_is_ping;
                roles.pong = !stable_is_ping;
            }
        } else if status.current_pod_hash == hash {
            roles.canary = true;
            if ping_pong {
                roles.ping = !stable_is_ping;
                roles.pong = stable_is_ping;
            }
        }
    }
    if rollout.spec.strategy.blue_green.is_some() {
        if status.stable_rs == hash {
            roles.stable = true;
        }
        if status.blue_green.active_selector == hash {
            roles.active = true;
        } else if status.blue_green.preview_selector == hash {
            roles.preview = true;
        }
    }
    roles
}

/// `MaxTrafficWeight`: `trafficRouting.maxTrafficWeight`, else 100.
#[must_use]
pub fn max_traffic_weight(rollout: &Rollout) -> i64 {
    rollout
        .spec
        .strategy
        .canary
        .as_ref()
        .and_then(|c| c.traffic_routing.as_ref())
        .and_then(|t| t.get("maxTrafficWeight"))
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(100)
}

/// The plugin's `SetWeight` (`GetCurrentSetWeight`): 0 once aborted; the maximum weight
/// when no step is current (no steps, or all done); else the last `setWeight` at or before
/// the current step, 0 if none. `None` for a blue-green Rollout, which has no weights.
///
/// It does not look at `currentPodHash` or `stableRS`: a canary whose status has neither yet
/// shows its first step's weight, not 100.
#[must_use]
pub fn set_weight(rollout: &Rollout) -> Option<i64> {
    rollout.spec.strategy.canary.as_ref()?;
    if rollout.status.abort {
        return Some(0);
    }
    let Some(current) = rollout
        .current_step_index()
        .and_then(|i| usize::try_from(i).ok())
    else {
        return Some(max_traffic_weight(rollout));
    };
    Some(
        rollout.steps()[..=current]
            .iter()
            .rev()
            .find_map(|s| s.set_weight)
            .map_or(0, i64::from),
    )
}

/// The plugin's `ActualWeight` (`NewRolloutInfo`): the maximum weight when no step is
/// current; 0 while no replica is available; without traffic routing, the canary
/// ReplicaSet's share of the available replicas (`available * max / availableReplicas`, in
/// integers, so it rounds down); with traffic routing, the router's reported canary weight,
/// else the `SetWeight`. `replica_sets` are the Rollout's own.
#[must_use]
pub fn actual_weight(rollout: &Rollout, replica_sets: &[&ReplicaSet]) -> Option<i64> {
    let canary = rollout.spec.strategy.canary.as_ref()?;
    let max = max_traffic_weight(rollout);
    if rollout.current_step_index().is_none() {
        return Some(max);
    }
    let available = i64::from(rollout.status.available_replicas);
    if available <= 0 {
        return Some(0);
    }
    if canary.traffic_routing.is_none() {
        // The plugin keeps the last canary ReplicaSet it meets; there is at most one.
        let weight = replica_sets
            .iter()
            .filter(|rs| roles(rollout, rs).canary)
            .map(|rs| {
                let rs_available = rs
                    .status
                    .as_ref()
                    .and_then(|s| s.available_replicas)
                    .map_or(0, i64::from);
                rs_available * max / available
            })
            .next_back()
            .unwrap_or(0);
        return Some(weight);
    }
    match &rollout.status.canary.weights {
        Some(w) => Some(i64::from(w.canary.weight)),
        None => set_weight(rollout),
    }
}

/// One running image and the roles of the ReplicaSets that run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub image: String,
    /// In role order for an image one ReplicaSet runs; sorted and deduplicated once a second
    /// ReplicaSet's tags are merged in (`mergeTags`).
    pub tags: Vec<&'static str>,
}

impl std::fmt::Display for ImageInfo {
    /// `argoproj/rollouts-demo:green (stable, active)`, as the plugin's `Images:` lines.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.image)?;
        if !self.tags.is_empty() {
            write!(f, " ({})", self.tags.join(", "))?;
        }
        Ok(())
    }
}

/// The plugin's `Images`: the container images of the ReplicaSets that have replicas
/// (`status.replicas > 0`), each with the merged roles of those ReplicaSets, sorted by image.
/// So an aborted canary's scaled-down image is not listed, and the stable one is. (The
/// plugin also lists the images of the Rollout's Experiments, which opsdeck does not watch.)
#[must_use]
pub fn images(rollout: &Rollout, replica_sets: &[&ReplicaSet]) -> Vec<ImageInfo> {
    let mut images: Vec<ImageInfo> = Vec::new();
    for rs in replica_sets {
        let replicas = rs.status.as_ref().map_or(0, |s| s.replicas);
        if replicas <= 0 {
            continue;
        }
        let tags = roles(rollout, rs).tags();
        let containers = rs
            .spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.spec.as_ref())
            .map_or(&[][..], |s| s.containers.as_slice());
        for container in containers {
            let image = container.image.clone().unwrap_or_default();
            match images.iter_mut().find(|i| i.image == image) {
                Some(known) => {
                    known.tags.extend(tags.iter().copied());
                    known.tags.sort_unstable();
                    known.tags.dedup();
                }
                None => images.push(ImageInfo {
                    image,
                    tags: tags.clone(),
                }),
            }
        }
    }
    images.sort_by(|a, b| a.image.cmp(&b.image));
    images
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::Value;

    use super::*;

    /// The Rollout and ReplicaSets of one of the plugin's test directories
    /// (argoproj/argo-rollouts pkg/kubectl-argo-rollouts/info/testdata/<dir>, copied as data
    /// into tests/support/fixtures/upstream/), read the way `discoverObjects` reads them.
    fn objects(dir: &str) -> (Rollout, Vec<ReplicaSet>) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
            "tests/support/fixtures/upstream/argo-rollouts/pkg/kubectl-argo-rollouts/info/testdata/{dir}"
        ));
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("fixture dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        let mut rollouts = Vec::new();
        let mut replica_sets = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("fixture");
            let mut value: Value = serde_yaml::from_str(&text).expect("yaml");
            match value["kind"].as_str() {
                Some("Rollout") => rollouts.push(Rollout::from_value(value)),
                Some("ReplicaSet") => {
                    // Some are written as extensions/v1beta1; the plugin's test reads them into
                    // apps/v1 types regardless, and so does this.
                    value["apiVersion"] = "apps/v1".into();
                    replica_sets.push(serde_json::from_value(value).expect("replica set"));
                }
                _ => {}
            }
        }
        (rollouts.swap_remove(0), replica_sets)
    }

    /// The header lines of `kubectl argo rollouts get rollout` that these ports produce.
    fn header(rollout: &Rollout, replica_sets: &[ReplicaSet]) -> Vec<String> {
        let own: Vec<&ReplicaSet> = replica_sets.iter().collect();
        let (phase, message) = rollout.phase();
        let mut lines = vec![
            format!("Status: {}", phase.word()),
            format!("Message: {message}"),
        ];
        if rollout.spec.strategy.canary.is_some() {
            let steps = rollout.steps().len();
            let step = match rollout.status.current_step_index {
                Some(i) if steps > 0 => format!("{i}/{steps}"),
                _ => String::new(),
            };
            lines.push(format!("Step: {step}"));
            lines.push(format!("SetWeight: {}", set_weight(rollout).unwrap_or(0)));
            lines.push(format!(
                "ActualWeight: {}",
                actual_weight(rollout, &own).unwrap_or(0)
            ));
        }
        for image in images(rollout, &own) {
            lines.push(format!("Images: {image}"));
        }
        lines
    }

    /// argo-rollouts pkg/kubectl-argo-rollouts/cmd/get/get_test.go `TestGetCanaryRollout` (and
    /// `info/info_test.go` `TestCanaryRolloutInfo` for the images).
    #[test]
    fn get_canary_rollout() {
        let (r, sets) = objects("canary");
        assert_eq!(
            header(&r, &sets),
            [
                "Status: Degraded",
                "Message: ProgressDeadlineExceeded: ReplicaSet \"canary-demo-65fb5ffc84\" has timed out progressing.",
                "Step: 0/8",
                "SetWeight: 20",
                "ActualWeight: 0",
                "Images: argoproj/rollouts-demo:does-not-exist (canary)",
                "Images: argoproj/rollouts-demo:green (stable)",
            ]
        );
    }

    /// `get_test.go` `TestGetBlueGreenRollout` (and `info_test.go` `TestBlueGreenRolloutInfo`).
    #[test]
    fn get_blue_green_rollout() {
        let (r, sets) = objects("blue-green");
        assert_eq!(
            header(&r, &sets),
            [
                "Status: Paused",
                "Message: BlueGreenPause",
                "Images: argoproj/rollouts-demo:blue (stable, active)",
                "Images: argoproj/rollouts-demo:green (preview)",
            ]
        );
    }

    /// `get_test.go` `TestExperimentRollout` (the weights come from the canary ReplicaSet's
    /// share of the available replicas: no traffic routing).
    #[test]
    fn get_experiment_rollout() {
        let (r, sets) = objects("experiment-analysis");
        assert_eq!(
            header(&r, &sets),
            [
                "Status: Degraded",
                "Message: ProgressDeadlineExceeded: ReplicaSet \"rollout-experiment-analysis-6f646bf7b7\" has timed out progressing.",
                "Step: 1/2",
                "SetWeight: 25",
                "ActualWeight: 25",
                "Images: argoproj/rollouts-demo:blue (stable)",
                "Images: argoproj/rollouts-demo:yellow (canary)",
            ]
        );
    }

    /// `get_test.go` `TestGetInvalidRollout`: no step index, so no step is current and both
    /// weights are the maximum; no ReplicaSet, so no images.
    #[test]
    fn get_invalid_rollout() {
        let (r, sets) = objects("rollout-invalid");
        let lines = header(&r, &sets);
        assert_eq!(lines[0], "Status: Degraded");
        assert!(
            lines[1]
                .starts_with("Message: InvalidSpec: The Rollout \"rollout-invalid\" is invalid")
        );
        assert_eq!(
            lines[2..],
            ["Step: ", "SetWeight: 100", "ActualWeight: 100"]
        );
    }

    /// `get_test.go` `TestGetAbortedRollout`: an aborted canary shows 0 for both weights and only
    /// the stable image (its canary ReplicaSet is scaled down).
    #[test]
    fn get_aborted_rollout() {
        let (r, sets) = objects("rollout-aborted");
        assert_eq!(
            header(&r, &sets),
            [
                "Status: Degraded",
                "Message: RolloutAborted: metric \"web\" assessed Failed due to failed (1) > failureLimit (0)",
                "Step: 0/2",
                "SetWeight: 0",
                "ActualWeight: 0",
                "Images: argoproj/rollouts-demo:blue (stable)",
            ]
        );
    }

    /// `GetCurrentSetWeight` ignores the hashes: a canary not yet reconciled (neither
    /// currentPodHash nor stableRS) is at its first step, not at 100.
    #[test]
    fn set_weight_of_an_unreconciled_canary_is_its_first_steps() {
        let r = Rollout::from_value(serde_json::json!({
            "spec": {"strategy": {"canary": {"steps": [{"setWeight": 10}, {"pause": {}}]}}},
            "status": {}
        }));
        assert_eq!(set_weight(&r), Some(10));
        assert_eq!(actual_weight(&r, &[]), Some(0), "no replica is available");
    }
}
