//! Argo CD sync windows as the API server reports them for one application
//! (`GET /api/v1/applications/{name}/syncwindows`, `ApplicationSyncWindowsResponse`:
//! `assignedWindows`, `activeWindows`, `canSync`), and the rule that decides whether a sync may
//! run, so opsdeck can name the window that refuses one.
//!
//! The rule is Argo CD's `SyncWindows.CanSync(isManual)` with its helpers `hasDeny`,
//! `hasAllow`, `manualEnabled` and `InactiveAllows` (argoproj/argo-cd
//! `pkg/apis/application/v1alpha1/types.go`, read at 37ee0097, the commit of
//! `/work/shared/reference/kubernetes-argo.md`), ported in our own words:
//!
//! 1. no assigned window → allowed;
//! 2. an active deny window → refused, unless the sync is manual and *every* active deny window
//!    has `manualSync`;
//! 3. an active allow window → allowed;
//! 4. an assigned allow window that is not active → refused, unless the sync is manual and every
//!    such window has `manualSync`;
//! 5. otherwise allowed.
//!
//! Which windows are active is the server's answer (it evaluates the cron schedules in each
//! window's time zone), so no cron parsing happens here: an assigned allow window absent from
//! `activeWindows` is an inactive allow.

use serde::Deserialize;
use serde_json::Value;

use crate::model::sanitize::clean;

/// Allow or deny, as `SyncWindow.Kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    Allow,
    Deny,
}

impl WindowKind {
    /// The word Argo CD uses.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }
}

/// One sync window, the fields the detail and a refusal show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncWindow {
    pub kind: WindowKind,
    pub schedule: String,
    pub duration: String,
    pub time_zone: String,
    pub manual_sync: bool,
    pub applications: Vec<String>,
    pub namespaces: Vec<String>,
    pub clusters: Vec<String>,
}

impl SyncWindow {
    /// `deny 0 22 * * * for 8h (UTC), manual sync not allowed`: what a refusal names.
    #[must_use]
    pub fn describe(&self) -> String {
        let tz = if self.time_zone.is_empty() {
            "UTC"
        } else {
            &self.time_zone
        };
        let manual = if self.manual_sync {
            "manual sync allowed"
        } else {
            "manual sync not allowed"
        };
        format!(
            "{} '{}' for {} ({tz}), {manual}",
            self.kind.word(),
            self.schedule,
            self.duration
        )
    }

    fn same_window(&self, other: &Self) -> bool {
        self == other
    }
}

/// The API server's answer for one application.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppSyncWindows {
    pub assigned: Vec<SyncWindow>,
    pub active: Vec<SyncWindow>,
    /// The server's own `canSync`, when it sent one (shown beside our verdict, not trusted over it).
    pub server_can_sync: Option<bool>,
}

/// Why a sync may or may not run now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No window applies to the application.
    NoWindows,
    /// An active allow window (or no window in force) lets the sync run.
    Allowed,
    /// Refused by an active deny window; the one without `manualSync` (or the first) is named.
    DeniedBy(SyncWindow),
    /// Refused because allow windows exist and none is active now; the first is named.
    OutsideAllow(SyncWindow),
    /// A window is in force but lets manual syncs through (`manualSync` on every such window).
    ManualAllowed(SyncWindow),
}

impl Verdict {
    /// Whether the sync may run.
    #[must_use]
    pub fn can_sync(&self) -> bool {
        matches!(
            self,
            Self::NoWindows | Self::Allowed | Self::ManualAllowed(_)
        )
    }

    /// The sentence shown in the detail and in a refusal, the way `argocd app get` words its
    /// `SyncWindow:` line (`Sync Allowed`, `Sync Denied`, `Manual Allowed`) plus the window.
    #[must_use]
    pub fn sentence(&self) -> String {
        match self {
            Self::NoWindows => "Sync Allowed (no sync window applies)".into(),
            Self::Allowed => "Sync Allowed".into(),
            Self::DeniedBy(w) => format!("Sync Denied by the active window {}", w.describe()),
            Self::OutsideAllow(w) => {
                format!("Sync Denied: outside the allow window {}", w.describe())
            }
            Self::ManualAllowed(w) => format!("Manual Allowed despite window {}", w.describe()),
        }
    }
}

/// Argo CD's `CanSync(isManual)` over the server's assigned and active windows.
#[must_use]
pub fn decide(windows: &AppSyncWindows, manual: bool) -> Verdict {
    if windows.assigned.is_empty() && windows.active.is_empty() {
        return Verdict::NoWindows;
    }
    let denies: Vec<&SyncWindow> = windows
        .active
        .iter()
        .filter(|w| w.kind == WindowKind::Deny)
        .collect();
    if let Some(first) = denies.first() {
        // hasDeny: manual passes only if every active deny window allows manual syncs.
        let blocker = denies.iter().find(|w| !w.manual_sync).unwrap_or(first);
        return if manual && blocker.manual_sync {
            Verdict::ManualAllowed((*first).clone())
        } else {
            Verdict::DeniedBy((*blocker).clone())
        };
    }
    if windows.active.iter().any(|w| w.kind == WindowKind::Allow) {
        return Verdict::Allowed;
    }
    let inactive_allows: Vec<&SyncWindow> = windows
        .assigned
        .iter()
        .filter(|w| w.kind == WindowKind::Allow)
        .filter(|w| !windows.active.iter().any(|a| a.same_window(w)))
        .collect();
    if let Some(first) = inactive_allows.first() {
        let blocker = inactive_allows
            .iter()
            .find(|w| !w.manual_sync)
            .unwrap_or(first);
        return if manual && blocker.manual_sync {
            Verdict::ManualAllowed((*first).clone())
        } else {
            Verdict::OutsideAllow((*blocker).clone())
        };
    }
    Verdict::Allowed
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WireWindow {
    kind: String,
    schedule: String,
    duration: String,
    time_zone: String,
    manual_sync: bool,
    applications: Vec<String>,
    namespaces: Vec<String>,
    clusters: Vec<String>,
}

/// Why a syncwindows answer cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WindowsError {
    #[error("sync windows answer is not an object")]
    NotAnObject,
    #[error("sync window {index} of {list} cannot be read: {reason}")]
    BadWindow {
        list: &'static str,
        index: usize,
        reason: String,
    },
}

fn parse_list(body: &Value, list: &'static str) -> Result<Vec<SyncWindow>, WindowsError> {
    let Some(items) = body.get(list).and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let w: WireWindow =
                serde_json::from_value(item.clone()).map_err(|e| WindowsError::BadWindow {
                    list,
                    index,
                    reason: clean(&e.to_string()),
                })?;
            let kind = match w.kind.as_str() {
                "allow" => WindowKind::Allow,
                "deny" => WindowKind::Deny,
                other => {
                    return Err(WindowsError::BadWindow {
                        list,
                        index,
                        reason: format!("kind '{}' is neither allow nor deny", clean(other)),
                    });
                }
            };
            let cleaned = |v: Vec<String>| v.iter().map(|s| clean(s)).collect();
            Ok(SyncWindow {
                kind,
                schedule: clean(&w.schedule),
                duration: clean(&w.duration),
                time_zone: clean(&w.time_zone),
                manual_sync: w.manual_sync,
                applications: cleaned(w.applications),
                namespaces: cleaned(w.namespaces),
                clusters: cleaned(w.clusters),
            })
        })
        .collect()
}

/// Reads `ApplicationSyncWindowsResponse` (absent lists are empty, as proto3 JSON omits them).
///
/// # Errors
/// When the body is not an object or a window has an unknown kind or wrong field types.
pub fn parse(body: &Value) -> Result<AppSyncWindows, WindowsError> {
    if !body.is_object() {
        return Err(WindowsError::NotAnObject);
    }
    Ok(AppSyncWindows {
        assigned: parse_list(body, "assignedWindows")?,
        active: parse_list(body, "activeWindows")?,
        server_can_sync: body.get("canSync").and_then(Value::as_bool),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn w(kind: WindowKind, schedule: &str, manual: bool) -> SyncWindow {
        SyncWindow {
            kind,
            schedule: schedule.into(),
            duration: "1h".into(),
            time_zone: String::new(),
            manual_sync: manual,
            applications: vec!["*".into()],
            namespaces: Vec::new(),
            clusters: Vec::new(),
        }
    }

    /// Table ported from the behaviour of argo-cd `SyncWindows.CanSync` (types.go) and the
    /// cases of its `TestSyncWindows_CanSync` (`pkg/apis/application/v1alpha1/types_test.go`):
    /// (case, assigned, active, manual, can sync).
    /// (case, assigned windows, active windows, manual sync, can sync).
    type Case = (&'static str, Vec<SyncWindow>, Vec<SyncWindow>, bool, bool);

    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "one table of the upstream cases reads best whole, row by row against types_test.go"
    )]
    fn can_sync_table_follows_argo_cd() {
        use WindowKind::{Allow, Deny};
        let deny = w(Deny, "0 22 * * *", false);
        let deny_manual = w(Deny, "0 22 * * *", true);
        let deny_manual2 = w(Deny, "0 23 * * *", true);
        let allow = w(Allow, "0 8 * * *", false);
        let allow_manual = w(Allow, "0 8 * * *", true);
        let cases: Vec<Case> = vec![
            ("no windows: allowed", vec![], vec![], false, true),
            (
                "active allow: automated allowed",
                vec![allow.clone()],
                vec![allow.clone()],
                false,
                true,
            ),
            (
                "active deny: automated refused",
                vec![deny.clone()],
                vec![deny.clone()],
                false,
                false,
            ),
            (
                "active deny: manual refused without manualSync",
                vec![deny.clone()],
                vec![deny.clone()],
                true,
                false,
            ),
            (
                "active deny with manualSync: manual allowed",
                vec![deny_manual.clone()],
                vec![deny_manual.clone()],
                true,
                true,
            ),
            (
                "active deny with manualSync: automated refused",
                vec![deny_manual.clone()],
                vec![deny_manual.clone()],
                false,
                false,
            ),
            (
                "two active denies, one without manualSync: manual refused",
                vec![deny_manual.clone(), deny.clone()],
                vec![deny_manual.clone(), deny.clone()],
                true,
                false,
            ),
            (
                "two active denies, both manualSync: manual allowed",
                vec![deny_manual.clone(), deny_manual2.clone()],
                vec![deny_manual.clone(), deny_manual2.clone()],
                true,
                true,
            ),
            (
                "deny overrides an active allow",
                vec![allow.clone(), deny.clone()],
                vec![allow.clone(), deny.clone()],
                false,
                false,
            ),
            (
                "inactive allow: automated refused",
                vec![allow.clone()],
                vec![],
                false,
                false,
            ),
            (
                "inactive allow: manual refused without manualSync",
                vec![allow.clone()],
                vec![],
                true,
                false,
            ),
            (
                "inactive allow with manualSync: manual allowed",
                vec![allow_manual.clone()],
                vec![],
                true,
                true,
            ),
            (
                "inactive deny only: allowed",
                vec![deny.clone()],
                vec![],
                false,
                true,
            ),
        ];
        for (case, assigned, active, manual, expected) in cases {
            let windows = AppSyncWindows {
                assigned,
                active,
                server_can_sync: None,
            };
            assert_eq!(decide(&windows, manual).can_sync(), expected, "{case}");
        }
    }

    #[test]
    fn a_refusal_names_the_window_without_manual_sync() {
        let deny_manual = w(WindowKind::Deny, "0 22 * * *", true);
        let deny = w(WindowKind::Deny, "30 1 * * 5", false);
        let windows = AppSyncWindows {
            assigned: vec![deny_manual.clone(), deny.clone()],
            active: vec![deny_manual, deny.clone()],
            server_can_sync: Some(false),
        };
        let verdict = decide(&windows, true);
        assert_eq!(verdict, Verdict::DeniedBy(deny));
        assert_eq!(
            verdict.sentence(),
            "Sync Denied by the active window deny '30 1 * * 5' for 1h (UTC), manual sync not allowed"
        );
    }

    #[test]
    fn parses_the_api_answer_and_cleans_strings() {
        let body = json!({
            "assignedWindows": [
                {"kind": "deny", "schedule": "0 22 * * *", "duration": "8h", "timeZone": "Europe/Paris",
                 "applications": ["pay\u{1b}[2Jments"], "manualSync": true},
                {"kind": "allow", "schedule": "0 8 * * 1-5", "duration": "10h"}
            ],
            "activeWindows": [
                {"kind": "deny", "schedule": "0 22 * * *", "duration": "8h", "timeZone": "Europe/Paris",
                 "applications": ["pay\u{1b}[2Jments"], "manualSync": true}
            ],
            "canSync": false
        });
        let windows = parse(&body).unwrap();
        assert_eq!(windows.assigned.len(), 2);
        assert_eq!(windows.active.len(), 1);
        assert!(!windows.assigned[0].applications[0].contains('\u{1b}'));
        assert_eq!(windows.server_can_sync, Some(false));
        assert!(!decide(&windows, false).can_sync());
        assert!(decide(&windows, true).can_sync());
        // proto3 JSON leaves empty lists out.
        assert_eq!(parse(&json!({})).unwrap(), AppSyncWindows::default());
    }

    #[test]
    fn an_unknown_kind_is_an_error_naming_the_window() {
        let body = json!({"assignedWindows": [{"kind": "maybe", "schedule": "* * * * *"}]});
        let err = parse(&body).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sync window 0 of assignedWindows cannot be read: kind 'maybe' is neither allow nor deny"
        );
        assert_eq!(parse(&json!([])), Err(WindowsError::NotAnObject));
    }
}
