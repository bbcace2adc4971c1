//! Argo CD sync windows in the apps pane: read when the detail opens and when `s`/`S` asks
//! to sync, shown in the detail (the verdict and the active windows) and in the sync
//! confirmation, which names the window that refuses the sync before it is sent.
//! The rule is [`crate::model::k8s::sync_windows::decide`]; opsdeck's syncs are manual ones.

use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::msg::Cmd;
use crate::model::action::ActionRequest;
use crate::model::k8s::sync_windows::{AppSyncWindows, Verdict, decide, parse};

/// One app's windows as last read, or why they could not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsRead {
    pub namespace: String,
    pub app: String,
    /// `None` while the read runs.
    pub loaded: Option<Result<AppSyncWindows, String>>,
}

impl WindowsRead {
    /// The verdict for a manual sync, once read.
    #[must_use]
    pub fn verdict(&self) -> Option<Result<Verdict, &str>> {
        self.loaded.as_ref().map(|l| match l {
            Ok(w) => Ok(decide(w, true)),
            Err(e) => Err(e.as_str()),
        })
    }
}

/// Starts reading `app`'s windows (kept while the read runs, so the detail says so).
pub fn read(windows: &mut Option<WindowsRead>, namespace: &str, app: &str) -> Cmd {
    *windows = Some(WindowsRead {
        namespace: namespace.to_owned(),
        app: app.to_owned(),
        loaded: None,
    });
    Cmd::LoadSyncWindows {
        namespace: namespace.to_owned(),
        app: app.to_owned(),
    }
}

/// The answer arrived: kept when it is the app last asked for. True when it was.
pub fn on_loaded(
    windows: &mut Option<WindowsRead>,
    namespace: &str,
    app: &str,
    result: Result<serde_json::Value, String>,
) -> bool {
    let Some(read) = windows
        .as_mut()
        .filter(|r| r.app == app && r.namespace == namespace)
    else {
        return false;
    };
    read.loaded = Some(result.and_then(|body| parse(&body).map_err(|e| e.to_string())));
    true
}

/// The open sync confirmation of the app gets a `windows` line, and a refusal note naming
/// the window when one blocks the sync (Argo CD would answer "cannot sync: blocked by sync
/// window" without naming it). True when the confirmation changed.
pub fn annotate_confirm(confirm: &mut Confirm, read: &WindowsRead) -> bool {
    let ActionRequest::SyncApp { app, .. } = &confirm.request else {
        return false;
    };
    if *app != read.app {
        return false;
    }
    let Some(verdict) = read.verdict() else {
        return false;
    };
    let line = match &verdict {
        Ok(v) => v.sentence(),
        Err(e) => format!("unknown: {e}"),
    };
    match confirm
        .details
        .iter_mut()
        .find(|(label, _)| label == "windows")
    {
        Some(row) => row.1 = line,
        None => confirm.details.push(("windows".to_owned(), line)),
    }
    if let Ok(v) = verdict
        && !v.can_sync()
    {
        let note = format!(
            "Argo CD will refuse this sync: {} (wait for the window to end, or ask the \
             project's owners to allow manual syncs in it)",
            v.sentence()
        );
        if !confirm.notes.iter().any(|(_, n)| *n == note) {
            confirm.notes.push((NoteLevel::Warn, note));
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sync_confirm(app: &str) -> Confirm {
        Confirm::new(
            ActionRequest::SyncApp {
                namespace: "argocd".into(),
                app: app.into(),
                prune: false,
                resources: Vec::new(),
                dry_run: false,
            },
            format!("sync {app}?"),
            vec![("app".into(), app.into())],
        )
    }

    #[test]
    fn a_deny_window_puts_its_refusal_in_the_confirmation() {
        let mut windows = None;
        let cmd = read(&mut windows, "argocd", "cart");
        assert_eq!(
            cmd,
            Cmd::LoadSyncWindows {
                namespace: "argocd".into(),
                app: "cart".into()
            }
        );
        let w = json!({"kind": "deny", "schedule": "0 22 * * *", "duration": "8h",
            "manualSync": false});
        let body = json!({"assignedWindows": [w.clone()], "activeWindows": [w]});
        // An answer for another app is dropped.
        assert!(!on_loaded(&mut windows, "argocd", "web", Ok(body.clone())));
        assert!(on_loaded(&mut windows, "argocd", "cart", Ok(body)));
        let read = windows.expect("read");
        let mut confirm = sync_confirm("cart");
        assert!(annotate_confirm(&mut confirm, &read));
        let line = &confirm
            .details
            .iter()
            .find(|(k, _)| k == "windows")
            .expect("line")
            .1;
        assert!(
            line.starts_with("Sync Denied by the active window deny '0 22 * * *'"),
            "{line}"
        );
        assert_eq!(confirm.notes.len(), 1);
        assert_eq!(confirm.notes[0].0, NoteLevel::Warn);
        assert!(
            confirm.notes[0].1.contains("manual sync not allowed"),
            "{:?}",
            confirm.notes
        );
        // Twice: still one line and one note.
        assert!(annotate_confirm(&mut confirm, &read));
        assert_eq!(confirm.notes.len(), 1);
        assert_eq!(
            confirm
                .details
                .iter()
                .filter(|(k, _)| k == "windows")
                .count(),
            1
        );
        // Another app's confirmation is left alone.
        let mut other = sync_confirm("web");
        assert!(!annotate_confirm(&mut other, &read));
    }

    #[test]
    fn no_window_and_a_failed_read_add_no_refusal() {
        let mut windows = None;
        let _ = read(&mut windows, "argocd", "cart");
        assert!(on_loaded(&mut windows, "argocd", "cart", Ok(json!({}))));
        let mut confirm = sync_confirm("cart");
        assert!(annotate_confirm(
            &mut confirm,
            windows.as_ref().expect("read")
        ));
        assert!(confirm.notes.is_empty());
        let _ = read(&mut windows, "argocd", "cart");
        assert!(on_loaded(
            &mut windows,
            "argocd",
            "cart",
            Err("needs the API server".into())
        ));
        let mut confirm = sync_confirm("cart");
        assert!(annotate_confirm(
            &mut confirm,
            windows.as_ref().expect("read")
        ));
        let line = &confirm
            .details
            .iter()
            .find(|(k, _)| k == "windows")
            .expect("line")
            .1;
        assert_eq!(line, "unknown: needs the API server");
        assert!(confirm.notes.is_empty());
    }
}
