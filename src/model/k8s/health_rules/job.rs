//! Job health as Argo CD assesses it: gitops-engine/pkg/health/health_job.go
//! (`getBatchv1JobHealth`), argoproj/argo-cd at 37ee0097cf851bc2dd7665fc081bbce61a7e836e.

use k8s_openapi::api::batch::v1::Job;

use super::Health;
use crate::model::k8s::app_row::HealthState;

/// Reads every condition, later ones overwriting the message: `Failed` makes it complete and
/// failed, `Complete` complete, `Suspended` complete and, when True, suspended. Not complete
/// is Progressing; then failed is Degraded (with the Failed message), suspended Suspended,
/// otherwise Healthy.
#[must_use]
pub fn job_health(job: &Job) -> Health {
    let mut failed = false;
    let mut fail_message = String::new();
    let mut complete = false;
    let mut message = String::new();
    let mut suspended = false;
    let conditions = job.status.as_ref().and_then(|s| s.conditions.as_ref());
    for c in conditions.into_iter().flatten() {
        let text = c.message.clone().unwrap_or_default();
        match c.type_.as_str() {
            "Failed" => {
                failed = true;
                complete = true;
                fail_message = text;
            }
            "Complete" => {
                complete = true;
                message = text;
            }
            "Suspended" => {
                complete = true;
                message = text;
                if c.status == "True" {
                    suspended = true;
                }
            }
            _ => {}
        }
    }
    if !complete {
        Health::new(HealthState::Progressing, message)
    } else if failed {
        Health::new(HealthState::Degraded, fail_message)
    } else if suspended {
        Health::new(HealthState::Suspended, message)
    } else {
        Health::new(HealthState::Healthy, message)
    }
}
