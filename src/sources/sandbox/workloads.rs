//! The sandbox's workloads: one Deployment or Argo Rollout per fleet service, kept as the JSON
//! the Kubernetes API would serve, with a small simulated controller that reacts to exactly the
//! patches the real actions send (promote, abort, retry, pause, resume, restart, undo, scale).
//!
//! Scenarios: most services run a healthy Deployment; the `StuckRollout` incident's service is
//! a canary whose new image cannot be pulled (`ImagePullBackOff`, past its progress deadline);
//! one service's canary progresses step by step and then waits for a promote; one service is
//! blue-green. ReplicaSets, pods and Warning events are derived from the workloads on each
//! snapshot, so the tree, the stuck diagnosis and the rows come from the same models as a real
//! cluster's.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::model::action::WorkloadKind;
use crate::model::k8s::patches::{
    DEPLOYMENT_HASH_LABEL, DEPLOYMENT_REVISION, ROLLOUT_HASH_LABEL, ROLLOUT_REVISION,
    apply_merge_patch,
};

/// How long new pods take to become ready.
pub const READY_AFTER: Duration = Duration::from_secs(3);
/// `progressDeadlineSeconds`' default.
const PROGRESS_DEADLINE: Duration = Duration::from_mins(10);

/// One ReplicaSet the controller made: a revision of the pod template.
#[derive(Debug, Clone, PartialEq)]
struct Revision {
    number: i64,
    hash: String,
    template: Value,
    created: Timestamp,
    /// When each of its pods was created (each is ready [`READY_AFTER`] later); the length
    /// is the ReplicaSet's replica count.
    born: Vec<Timestamp>,
}

/// One simulated workload and the controller's memory of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimWorkload {
    /// The object as served (spec and status).
    pub object: Value,
    pub kind: WorkloadKind,
    /// The fleet service it runs.
    pub service: String,
    /// The pod template Argo CD's target state (git) has: a live template that differs is
    /// drift.
    pub git_template: Value,
    revisions: Vec<Revision>,
    /// When the current step (or the current update) began: pause timers and the progress
    /// deadline count from here.
    step_started: Timestamp,
    /// The canary step the controller paused at, so a removed pause condition means "promoted".
    paused_step: Option<i64>,
    /// Bumped by restarts: pods get new names.
    restarts: u32,
    /// Pods deleted by hand, per `"<replicaset>/<slot>"`: the ReplicaSet replaced each with
    /// a pod of a new name.
    replaced: BTreeMap<String, u32>,
    /// A Deployment's fully rolled-out revision, which serves until the new one is ready.
    serving: String,
    /// Images the registry does not have: their pods stay in `ImagePullBackOff`.
    missing_images: BTreeSet<String>,
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A pod-template hash in the controllers' alphabet (`5d7b9c8f6`).
#[must_use]
pub fn template_hash(template: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = fnv(template.to_string().as_bytes());
    (0..9)
        .map(|_| {
            let c = ALPHABET[usize::try_from(h % ALPHABET.len() as u64).unwrap_or_default()];
            h /= ALPHABET.len() as u64;
            char::from(c)
        })
        .collect()
}

fn pod_suffix(seed: &str) -> String {
    template_hash(&Value::String(seed.to_owned()))[..5].to_owned()
}

fn template(service: &str, image: &str) -> Value {
    json!({
        "metadata": {"labels": {"app": service}},
        "spec": {"containers": [{"name": service, "image": image,
                                 "ports": [{"containerPort": 8080}]}]}
    })
}

fn image_of(template: &Value) -> String {
    template["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// What the seed made of one workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Healthy,
    /// A canary whose new image does not exist.
    StuckCanary,
    /// A canary walking through its steps.
    ProgressingCanary,
    BlueGreen,
}

impl SimWorkload {
    /// A workload for `service` in `namespace`, started `now`.
    #[must_use]
    pub fn new(
        service: &str,
        namespace: &str,
        scenario: Scenario,
        replicas: i64,
        now: Timestamp,
    ) -> Self {
        let registry = "registry.acme.io";
        let stable = template(service, &format!("{registry}/{service}:1.8.2"));
        let (kind, strategy, next) = match scenario {
            Scenario::Healthy => (
                WorkloadKind::Deployment,
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
                None,
            ),
            Scenario::StuckCanary | Scenario::ProgressingCanary => (
                WorkloadKind::Rollout,
                json!({"canary": {"steps": [
                    {"setWeight": 20}, {"pause": {"duration": "20s"}},
                    {"setWeight": 50}, {"pause": {}},
                    {"setWeight": 80}, {"pause": {"duration": "10s"}}
                ]}}),
                Some(template(service, &format!("{registry}/{service}:1.9.0"))),
            ),
            Scenario::BlueGreen => (
                WorkloadKind::Rollout,
                json!({"blueGreen": {"activeService": format!("{service}-active"),
                                     "previewService": format!("{service}-preview"),
                                     "autoPromotionEnabled": false}}),
                None,
            ),
        };
        let (api_version, kind_name) = match kind {
            WorkloadKind::Deployment => ("apps/v1", "Deployment"),
            WorkloadKind::Rollout => ("argoproj.io/v1alpha1", "Rollout"),
        };
        let long_ago = now - jiff::SignedDuration::from_hours(30);
        let stable_hash = template_hash(&stable);
        let git_template = next.clone().unwrap_or_else(|| stable.clone());
        let object = json!({
            "apiVersion": api_version,
            "kind": kind_name,
            "metadata": {"name": service, "namespace": namespace, "uid": format!("uid-{kind_name}-{namespace}-{service}"),
                         "generation": 1, "resourceVersion": "1", "creationTimestamp": long_ago.to_string(),
                         "labels": {"app.kubernetes.io/instance": service}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": service}},
                     "strategy": strategy, "template": git_template},
            "status": {"observedGeneration": if kind == WorkloadKind::Rollout { json!("1") } else { json!(1) },
                       "currentPodHash": stable_hash, "stableRS": stable_hash}
        });
        let mut workload = Self {
            object,
            kind,
            service: service.to_owned(),
            git_template,
            revisions: vec![Revision {
                number: 4,
                hash: stable_hash.clone(),
                template: stable,
                created: long_ago,
                born: vec![long_ago; usize::try_from(replicas).unwrap_or(0)],
            }],
            step_started: long_ago,
            paused_step: None,
            restarts: 0,
            replaced: BTreeMap::new(),
            serving: stable_hash,
            missing_images: BTreeSet::new(),
        };
        if scenario == Scenario::StuckCanary {
            workload
                .missing_images
                .insert(image_of(&workload.git_template));
        }
        // The stuck canary has been trying for 25 minutes: well past its deadline.
        let started = match scenario {
            Scenario::StuckCanary => now - jiff::SignedDuration::from_mins(25),
            _ => now,
        };
        workload.reconcile(started);
        workload
    }

    #[must_use]
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }

    #[must_use]
    pub fn namespace(&self) -> &str {
        self.object["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
    }

    fn uid(&self) -> String {
        self.object["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn desired(&self) -> i64 {
        self.object["spec"]["replicas"].as_i64().unwrap_or(1)
    }

    fn steps(&self) -> Vec<Value> {
        self.object["spec"]["strategy"]["canary"]["steps"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn status(&mut self) -> &mut serde_json::Map<String, Value> {
        if !self.object["status"].is_object() {
            self.object["status"] = json!({});
        }
        self.object["status"]
            .as_object_mut()
            .expect("status was just made an object")
    }

    fn revision(&self, hash: &str) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.hash == hash)
    }

    /// Applies one JSON merge patch (RFC 7386) as the API server would; spec changes bump
    /// `metadata.generation`.
    pub fn merge_patch(&mut self, patch: &Value) {
        let spec_before = self.object["spec"].clone();
        apply_merge_patch(&mut self.object, patch);
        if self.object["spec"] != spec_before {
            let generation = self.object["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
            self.object["metadata"]["generation"] = json!(generation);
        }
        let version = self.object["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1)
            + 1;
        self.object["metadata"]["resourceVersion"] = json!(version.to_string());
    }

    /// The simulated controller: brings status in line with spec at `now`.
    pub fn reconcile(&mut self, now: Timestamp) {
        let template = self.object["spec"]["template"].clone();
        let hash = template_hash(&template);
        self.ensure_revision(&hash, &template, now);
        match self.kind {
            WorkloadKind::Deployment => self.reconcile_deployment(&hash, now),
            WorkloadKind::Rollout => self.reconcile_rollout(&hash, now),
        }
        let generation = self.object["metadata"]["generation"].clone();
        let observed = match self.kind {
            WorkloadKind::Rollout => json!(generation.as_i64().unwrap_or(1).to_string()),
            WorkloadKind::Deployment => generation,
        };
        self.status().insert("observedGeneration".into(), observed);
    }

    /// A template seen for the first time becomes a new revision; an old one coming back (an
    /// undo) gets the next revision number, as both controllers do.
    fn ensure_revision(&mut self, hash: &str, template: &Value, now: Timestamp) {
        let latest = self.revisions.iter().map(|r| r.number).max().unwrap_or(0);
        match self.revisions.iter_mut().find(|r| r.hash == hash) {
            Some(r) if r.number != latest => r.number = latest + 1,
            Some(_) => {}
            None => self.revisions.push(Revision {
                number: latest + 1,
                hash: hash.to_owned(),
                template: template.clone(),
                created: now,
                born: Vec::new(),
            }),
        }
    }

    fn image_ok(&self, hash: &str, missing: &BTreeSet<String>) -> bool {
        self.revision(hash)
            .is_none_or(|r| !missing.contains(&image_of(&r.template)))
    }

    /// Scales the named revisions to their counts and every other one to zero: new pods are
    /// born `now`, removed ones are the newest.
    fn set_scale(&mut self, wanted: &[(String, i64)], now: Timestamp) {
        for r in &mut self.revisions {
            let n = wanted
                .iter()
                .filter(|(h, _)| *h == r.hash)
                .map(|(_, n)| *n)
                .sum::<i64>();
            r.born.resize(usize::try_from(n).unwrap_or(0), now);
        }
    }

    /// Pods of `hash` that are ready at `now`.
    fn ready_count(&self, hash: &str, missing: &BTreeSet<String>, now: Timestamp) -> i64 {
        let Some(r) = self.revision(hash) else {
            return 0;
        };
        if !self.image_ok(hash, missing) {
            return 0;
        }
        let ready = r.born.iter().filter(|b| **b + READY_AFTER <= now).count();
        i64::try_from(ready).unwrap_or(0)
    }

    fn reconcile_deployment(&mut self, hash: &str, now: Timestamp) {
        // A paused Deployment's controller rolls nothing out.
        if self.object["spec"]["paused"].as_bool() == Some(true) {
            return;
        }
        let desired = self.desired();
        if hash == self.serving {
            self.set_scale(&[(hash.to_owned(), desired)], now);
            return;
        }
        if self.scale_of(hash) == 0 {
            self.step_started = now;
        }
        let serving = self.serving.clone();
        self.set_scale(&[(serving, desired), (hash.to_owned(), desired)], now);
        if self.ready_after(hash).is_some_and(|at| at <= now) {
            hash.clone_into(&mut self.serving);
            self.set_scale(&[(hash.to_owned(), desired)], now);
        }
    }

    fn reconcile_rollout(&mut self, hash: &str, now: Timestamp) {
        let status = self.object["status"].clone();
        let current = status["currentPodHash"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let stable = status["stableRS"].as_str().unwrap_or_default().to_owned();
        let steps = self.steps();
        let n = i64::try_from(steps.len()).unwrap_or(0);
        if current != hash {
            let done = hash == stable;
            let s = self.status();
            s.insert("currentPodHash".into(), json!(hash.to_owned()));
            s.insert("currentStepIndex".into(), json!(if done { n } else { 0 }));
            s.insert("pauseConditions".into(), json!([]));
            s.insert("controllerPause".into(), json!(false));
            s.insert("abort".into(), json!(false));
            s.remove("abortedAt");
            self.step_started = now;
            self.paused_step = None;
        }
        if self.object["status"]["promoteFull"].as_bool() == Some(true) {
            let hash = hash.to_owned();
            let s = self.status();
            s.insert("currentStepIndex".into(), json!(n));
            s.insert("stableRS".into(), json!(hash));
            s.remove("promoteFull");
            s.insert("pauseConditions".into(), json!([]));
            s.insert("controllerPause".into(), json!(false));
        }
        // Retry: the canary starts its steps again.
        let aborted = self.object["status"]["abort"].as_bool().unwrap_or(false);
        let had_aborted = self.object["status"]["abortedAt"].is_string();
        if had_aborted && !aborted {
            let s = self.status();
            s.remove("abortedAt");
            s.insert("currentStepIndex".into(), json!(0));
            self.step_started = now;
            self.paused_step = None;
        }
        if aborted && !had_aborted {
            self.status()
                .insert("abortedAt".into(), json!(now.to_string()));
        }
        if self.object["spec"]["strategy"]["blueGreen"].is_object() {
            self.blue_green(hash, now);
        } else {
            self.canary(hash, &steps, now);
        }
        let restart_at = self.object["spec"]["restartAt"].clone();
        if restart_at.is_string() && self.object["status"]["restartedAt"] != restart_at {
            self.restarts += 1;
            for r in &mut self.revisions {
                r.born.fill(now);
            }
            self.status().insert("restartedAt".into(), restart_at);
        }
    }

    fn canary(&mut self, hash: &str, steps: &[Value], now: Timestamp) {
        let n = i64::try_from(steps.len()).unwrap_or(0);
        let manual = self.object["spec"]["paused"].as_bool().unwrap_or(false);
        let aborted = self.object["status"]["abort"].as_bool().unwrap_or(false);
        let mut index = self.object["status"]["currentStepIndex"]
            .as_i64()
            .unwrap_or(0);
        let mut conditions = self.object["status"]["pauseConditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut guard = 0;
        while !aborted && !manual && index < n && guard < 32 {
            guard += 1;
            let step = &steps[usize::try_from(index).unwrap_or(0)];
            if step.get("setWeight").is_some() {
                let weight = step["setWeight"].as_i64().unwrap_or(0);
                let canary = canary_replicas(self.desired(), weight);
                let stable = self.object["status"]["stableRS"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                self.set_scale(
                    &[
                        (stable, self.desired() - canary),
                        (hash.to_owned(), canary.max(self.scale_of(hash))),
                    ],
                    now,
                );
                let ready = self.ready_after(hash);
                match ready {
                    Some(at) if at <= now => {
                        self.step_started = at.max(self.step_started);
                        index += 1;
                    }
                    _ => break,
                }
            } else if let Some(pause) = step.get("pause") {
                if self.paused_step == Some(index) {
                    if conditions.is_empty() {
                        // Promoted (the plugin removed the condition).
                        self.paused_step = None;
                        index += 1;
                        continue;
                    }
                    let Some(duration) = pause.get("duration").and_then(parse_duration) else {
                        break;
                    };
                    let until = self.step_started + duration;
                    if until <= now {
                        conditions.clear();
                        self.paused_step = None;
                        self.step_started = until;
                        index += 1;
                    } else {
                        break;
                    }
                } else {
                    conditions = vec![json!({"reason": "CanaryPauseStep",
                                             "startTime": self.step_started.to_string()})];
                    self.paused_step = Some(index);
                    // The loop looks again: a timed pause may already be over (ticks can be
                    // far apart).
                }
            } else {
                index += 1;
            }
        }
        let stable = self.object["status"]["stableRS"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if index >= n && !aborted {
            self.status()
                .insert("stableRS".into(), json!(hash.to_owned()));
            self.set_scale(&[(hash.to_owned(), self.desired())], now);
        }
        if aborted {
            self.set_scale(&[(stable, self.desired())], now);
        }
        let controller_pause = !conditions.is_empty();
        let s = self.status();
        s.insert("currentStepIndex".into(), json!(index));
        s.insert("pauseConditions".into(), Value::Array(conditions));
        s.insert("controllerPause".into(), json!(controller_pause));
    }

    fn blue_green(&mut self, hash: &str, now: Timestamp) {
        let stable = self.object["status"]["stableRS"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let aborted = self.object["status"]["abort"].as_bool().unwrap_or(false);
        let mut conditions = self.object["status"]["pauseConditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let desired = self.desired();
        if hash == stable || aborted {
            self.set_scale(&[(stable.clone(), desired)], now);
            let s = self.status();
            s.insert(
                "blueGreen".into(),
                json!({"activeSelector": stable, "previewSelector": stable}),
            );
            s.insert("pauseConditions".into(), json!([]));
            return;
        }
        self.set_scale(
            &[(stable.clone(), desired), (hash.to_owned(), desired)],
            now,
        );
        let ready = self.ready_after(hash).is_some_and(|at| at <= now);
        let promoted = self.paused_step == Some(0) && conditions.is_empty();
        if promoted {
            self.paused_step = None;
            self.status()
                .insert("stableRS".into(), json!(hash.to_owned()));
            self.set_scale(&[(hash.to_owned(), desired)], now);
            self.status().insert(
                "blueGreen".into(),
                json!({"activeSelector": hash, "previewSelector": hash}),
            );
            return;
        }
        if ready && self.paused_step.is_none() {
            conditions = vec![json!({"reason": "BlueGreenPause", "startTime": now.to_string()})];
            self.paused_step = Some(0);
        }
        let s = self.status();
        s.insert(
            "blueGreen".into(),
            json!({"activeSelector": stable, "previewSelector": hash}),
        );
        let paused = !conditions.is_empty();
        s.insert("pauseConditions".into(), Value::Array(conditions));
        s.insert("controllerPause".into(), json!(paused));
    }

    fn scale_of(&self, hash: &str) -> i64 {
        self.revision(hash)
            .map_or(0, |r| i64::try_from(r.born.len()).unwrap_or(0))
    }

    /// When `hash`'s pods are (or will be) ready; `None` while its image cannot be pulled.
    fn ready_after(&self, hash: &str) -> Option<Timestamp> {
        let r = self.revision(hash)?;
        let newest = r.born.iter().max().copied().unwrap_or(r.created);
        (!self.missing_image(hash)).then(|| newest + READY_AFTER)
    }

    fn missing_image(&self, hash: &str) -> bool {
        self.revision(hash)
            .is_some_and(|r| self.missing_images.contains(&image_of(&r.template)))
    }

    /// A new version whose image the registry does not have is deployed now (the
    /// `StuckRollout` scenario injected later): git and the live template both take it.
    pub fn break_next_image(&mut self, now: Timestamp) {
        let image = format!("registry.acme.io/{}:1.9.1", self.service);
        self.missing_images.insert(image.clone());
        let broken = template(&self.service, &image);
        self.git_template = broken.clone();
        self.merge_patch(&json!({"spec": {"template": broken}}));
        self.reconcile(now);
    }

    /// The images of revisions whose image cannot be pulled.
    fn missing_images(&self) -> BTreeSet<String> {
        self.revisions
            .iter()
            .filter(|r| self.missing_image(&r.hash))
            .map(|r| image_of(&r.template))
            .collect()
    }

    /// Fills in the counts, phase, message and conditions the panes read, at `now`.
    pub fn publish_status(&mut self, now: Timestamp) {
        let missing = self.missing_images();
        let current = match self.kind {
            WorkloadKind::Deployment => template_hash(&self.object["spec"]["template"]),
            WorkloadKind::Rollout => self.object["status"]["currentPodHash"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        };
        let total: i64 = self
            .revisions
            .iter()
            .map(|r| i64::try_from(r.born.len()).unwrap_or(0))
            .sum();
        let updated = self.scale_of(&current);
        let ready: i64 = self
            .revisions
            .iter()
            .map(|r| self.ready_count(&r.hash, &missing, now))
            .sum();
        let updated_ready = self.ready_count(&current, &missing, now);
        let stuck_since = self.step_started;
        let past_deadline = !missing.is_empty()
            && self.scale_of(&current) > 0
            && now.duration_since(stuck_since).as_secs_f64() > PROGRESS_DEADLINE.as_secs_f64();
        let revision = self.revision(&current).map_or(0, |r| r.number);
        let rs_name = format!("{}-{current}", self.name());
        let progressing = if past_deadline {
            json!({"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                   "message": format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                   "lastTransitionTime": (stuck_since + PROGRESS_DEADLINE).to_string()})
        } else {
            json!({"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                   "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed.")})
        };
        let available = json!({"type": "Available", "status": if ready >= self.desired() { "True" } else { "False" },
                               "reason": "MinimumReplicasAvailable"});
        match self.kind {
            WorkloadKind::Deployment => {
                let s = self.status();
                s.insert("replicas".into(), json!(total));
                s.insert("updatedReplicas".into(), json!(updated));
                s.insert("readyReplicas".into(), json!(ready));
                s.insert("availableReplicas".into(), json!(ready));
                s.insert("conditions".into(), json!([available, progressing]));
                s.remove("currentPodHash");
                s.remove("stableRS");
            }
            WorkloadKind::Rollout => {
                let (phase, message) =
                    self.rollout_phase(past_deadline, &progressing, revision, updated_ready, ready);
                let weight = self.actual_weight(&current, now, &missing);
                let stable = self.object["status"]["stableRS"].clone();
                let s = self.status();
                s.insert("replicas".into(), json!(total));
                s.insert("updatedReplicas".into(), json!(updated));
                s.insert("readyReplicas".into(), json!(ready));
                s.insert("availableReplicas".into(), json!(ready));
                s.insert("phase".into(), json!(phase));
                s.insert("message".into(), json!(message));
                s.insert("conditions".into(), json!([available, progressing]));
                if let Some(weight) = weight {
                    s.insert(
                        "canary".into(),
                        json!({"weights": {
                            "canary": {"weight": weight, "podTemplateHash": current},
                            "stable": {"weight": 100 - weight, "podTemplateHash": stable}}}),
                    );
                }
            }
        }
    }

    fn rollout_phase(
        &self,
        past_deadline: bool,
        progressing: &Value,
        revision: i64,
        updated_ready: i64,
        ready: i64,
    ) -> (&'static str, String) {
        let status = &self.object["status"];
        if status["abort"].as_bool() == Some(true) {
            return (
                "Degraded",
                format!("RolloutAborted: Rollout aborted update to revision {revision}"),
            );
        }
        if past_deadline {
            return (
                "Degraded",
                format!(
                    "ProgressDeadlineExceeded: {}",
                    progressing["message"].as_str().unwrap_or_default()
                ),
            );
        }
        if self.object["spec"]["paused"].as_bool() == Some(true) {
            return ("Paused", "manually paused".into());
        }
        if let Some(reason) = status["pauseConditions"][0]["reason"].as_str() {
            return ("Paused", reason.to_owned());
        }
        if status["currentPodHash"] != status["stableRS"] {
            return ("Progressing", "more replicas need to be updated".into());
        }
        if updated_ready < self.desired() || ready < self.desired() {
            return (
                "Progressing",
                "updated replicas are still becoming available".into(),
            );
        }
        ("Healthy", String::new())
    }

    /// A basic canary's weight is the share of ready canary pods.
    fn actual_weight(
        &self,
        current: &str,
        now: Timestamp,
        missing: &BTreeSet<String>,
    ) -> Option<i64> {
        self.object["spec"]["strategy"]["canary"].as_object()?;
        let desired = self.desired().max(1);
        let canary = self.ready_count(current, missing, now);
        let stable = self.object["status"]["stableRS"]
            .as_str()
            .unwrap_or_default();
        if stable == current {
            return Some(100);
        }
        Some((canary * 100 / desired).min(100))
    }

    /// The name of the pod in `slot` of ReplicaSet `rs_name`: new after a restart or after
    /// the pod was deleted (its ReplicaSet made another, as a real one does).
    fn pod_name(&self, rs_name: &str, slot: usize) -> String {
        let seed = match self.replaced.get(&format!("{rs_name}/{slot}")) {
            None | Some(0) => format!("{rs_name}/{slot}/{}", self.restarts),
            Some(n) => format!("{rs_name}/{slot}/{}/{n}", self.restarts),
        };
        format!("{rs_name}-{}", pod_suffix(&seed))
    }

    /// Deletes the pod `name` if this workload has it (`None` otherwise): with `uid` set it
    /// must match (the API server's precondition, answered with its 409 words). Its
    /// ReplicaSet replaces it at once with a pod of a new name, born `now`.
    pub fn delete_pod(
        &mut self,
        name: &str,
        uid: &str,
        now: Timestamp,
    ) -> Option<Result<String, String>> {
        let (r, slot, rs_name) = self.revisions.iter().enumerate().find_map(|(r, rev)| {
            let rs_name = format!("{}-{}", self.name(), rev.hash);
            (0..rev.born.len())
                .find(|&slot| self.pod_name(&rs_name, slot) == name)
                .map(|slot| (r, slot, rs_name))
        })?;
        let live_uid = format!("uid-pod-{name}");
        if !uid.is_empty() && uid != live_uid {
            return Some(Err(format!(
                "Operation cannot be fulfilled on Pod \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {live_uid}"
            )));
        }
        *self
            .replaced
            .entry(format!("{rs_name}/{slot}"))
            .or_default() += 1;
        self.revisions[r].born[slot] = now;
        Some(Ok(self.pod_name(&rs_name, slot)))
    }

    /// The ReplicaSets, pods and Warning events this workload has at `now`.
    #[must_use]
    pub fn children(&self, now: Timestamp) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
        let (revision_key, hash_key, owner_kind, owner_api) = match self.kind {
            WorkloadKind::Deployment => (
                DEPLOYMENT_REVISION,
                DEPLOYMENT_HASH_LABEL,
                "Deployment",
                "apps/v1",
            ),
            WorkloadKind::Rollout => (
                ROLLOUT_REVISION,
                ROLLOUT_HASH_LABEL,
                "Rollout",
                "argoproj.io/v1alpha1",
            ),
        };
        let namespace = self.namespace();
        let mut replica_sets = Vec::new();
        let mut pods = Vec::new();
        let mut events = Vec::new();
        let missing = self.missing_images();
        for r in &self.revisions {
            let rs_name = format!("{}-{}", self.name(), r.hash);
            let replicas = self.scale_of(&r.hash);
            let ready = self.ready_count(&r.hash, &missing, now);
            let mut template = r.template.clone();
            template["metadata"]["labels"][hash_key] = json!(r.hash);
            replica_sets.push(json!({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "namespace": namespace, "uid": format!("uid-rs-{rs_name}"),
                             "creationTimestamp": r.created.to_string(),
                             "labels": {hash_key: r.hash, "app": self.service},
                             "annotations": {revision_key: r.number.to_string()},
                             "ownerReferences": [{"apiVersion": owner_api, "kind": owner_kind, "name": self.name(),
                                                  "uid": self.uid(), "controller": true}]},
                "spec": {"replicas": replicas, "template": template},
                "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready}
            }));
            let image = image_of(&r.template);
            for (i, born) in r.born.iter().enumerate() {
                let pod_name = self.pod_name(&rs_name, i);
                let pulling = missing.contains(&image);
                let warm = *born + READY_AFTER <= now;
                // While a rollout is stuck, the first stable pod has been OOM-killed a few
                // times (its memory limit is tight): the first-aid story of the sandbox.
                let oom = !missing.is_empty() && !pulling && warm && i == 0;
                let (phase, state, ready) = if pulling {
                    (
                        "Pending",
                        json!({"waiting": {"reason": "ImagePullBackOff",
                                           "message": format!("Back-off pulling image \"{image}\": ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found")}}),
                        false,
                    )
                } else if warm {
                    (
                        "Running",
                        json!({"running": {"startedAt": (*born + READY_AFTER).to_string()}}),
                        true,
                    )
                } else {
                    (
                        "Pending",
                        json!({"waiting": {"reason": "ContainerCreating"}}),
                        false,
                    )
                };
                pods.push(json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": pod_name, "namespace": namespace, "uid": format!("uid-pod-{pod_name}"),
                                 "creationTimestamp": born.to_string(),
                                 "labels": {hash_key: r.hash, "app": self.service},
                                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name,
                                                      "uid": format!("uid-rs-{rs_name}"), "controller": true}]},
                    "spec": {"containers": [container_spec(&self.service, &image)],
                             "nodeName": format!("node-{}", i % 3 + 1)},
                    "status": {"phase": phase,
                               "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                               "containerStatuses": [container_status(&self.service, &image, ready, &state, oom.then_some(*born))]}
                }));
                if oom {
                    events.push(oom_event(&self.service, &pod_name, namespace, *born));
                }
                if pulling {
                    events.push(json!({
                        "apiVersion": "v1", "kind": "Event",
                        "metadata": {"name": format!("{pod_name}.pull"), "namespace": namespace},
                        "involvedObject": {"kind": "Pod", "name": pod_name, "namespace": namespace},
                        "type": "Warning", "reason": "Failed", "count": 7,
                        "message": format!("Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found"),
                        "lastTimestamp": now.to_string(), "firstTimestamp": born.to_string()
                    }));
                }
            }
        }
        (replica_sets, pods, events)
    }

    /// Whether the live pod template differs from the one in git (drift Argo CD shows).
    #[must_use]
    pub fn drifted(&self) -> bool {
        self.object["spec"]["template"] != self.git_template
    }

    /// The rollout's health as Argo CD's health check words it: `(status, message)`.
    #[must_use]
    pub fn argo_health(&self) -> (&'static str, String) {
        let phase = self.object["status"]["phase"].as_str();
        let message = self.object["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match (self.kind, phase) {
            (WorkloadKind::Rollout, Some("Degraded")) => ("Degraded", message),
            (WorkloadKind::Rollout, Some("Paused")) => ("Suspended", message),
            (WorkloadKind::Rollout, Some("Progressing")) => ("Progressing", message),
            _ => {
                let available = self.object["status"]["availableReplicas"]
                    .as_i64()
                    .unwrap_or(0);
                if available < self.desired() {
                    ("Progressing", "waiting for pods to become ready".into())
                } else {
                    ("Healthy", String::new())
                }
            }
        }
    }
}

/// A sandbox pod's container: one HTTP port, requests and a tight memory limit, and a
/// readiness probe (what the describe view and port-forward read).
fn container_spec(service: &str, image: &str) -> Value {
    json!({"name": service, "image": image,
           "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
           "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
           "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}})
}

/// A container's status; `oom_since` gives it three restarts, the last one an OOM kill.
fn container_status(
    service: &str,
    image: &str,
    ready: bool,
    state: &Value,
    oom_since: Option<Timestamp>,
) -> Value {
    let mut status = json!({"name": service, "image": image, "imageID": "",
                            "ready": ready, "restartCount": 0, "state": state});
    if let Some(born) = oom_since {
        status["restartCount"] = json!(3);
        status["lastState"] = json!({"terminated": {"exitCode": 137, "reason": "OOMKilled",
            "startedAt": born.to_string(), "finishedAt": (born + READY_AFTER).to_string()}});
    }
    status
}

/// The kubelet's Warning event for a container restarted after an OOM kill.
fn oom_event(service: &str, pod_name: &str, namespace: &str, born: Timestamp) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{pod_name}.oom"), "namespace": namespace},
        "involvedObject": {"kind": "Pod", "name": pod_name, "namespace": namespace,
                           "fieldPath": format!("spec.containers{{{service}}}")},
        "type": "Warning", "reason": "BackOff", "count": 3,
        "source": {"component": "kubelet"},
        "message": format!("Back-off restarting failed container {service} in pod {pod_name}: OOMKilled (exit code 137), memory limit 256Mi"),
        "lastTimestamp": (born + READY_AFTER).to_string(), "firstTimestamp": born.to_string()
    })
}

fn canary_replicas(desired: i64, weight: i64) -> i64 {
    (desired * weight + 99) / 100
}

/// A canary pause's `duration`: `30s`, `5m`, `1h`, or a number (or digits) of seconds.
fn parse_duration(v: &Value) -> Option<jiff::SignedDuration> {
    let seconds = |n: i64| Some(jiff::SignedDuration::from_secs(n));
    if let Some(n) = v.as_i64() {
        return seconds(n);
    }
    let s = v.as_str()?;
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return seconds(s.parse().ok()?);
    }
    crate::model::validate::duration_ms(s)
        .ok()
        .map(jiff::SignedDuration::from_millis)
}
