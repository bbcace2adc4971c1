//! State of the describe view: one Kubernetes object fetched whole when the view opens
//! (a pod, a workload, an app's resource, an event's object), shown the way `kubectl
//! describe` shows it, or as YAML (`v`), which `Y` copies with OSC 52. The object is not
//! kept in any watch: it is read once per open or `ctrl-r`, so the watch caches stay small.

pub mod actions;

use jiff::Timestamp;

use crate::app::panes::Pane;
use crate::model::k8s::ObjectRef;
use crate::model::k8s::describe::{Line, describe};
use crate::model::k8s::object_ref::ObjectDoc;
use crate::model::k8s::yaml::object_yaml;

/// What the view shows, or what a key asked of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Describe,
    Yaml,
    /// The YAML, copied to the clipboard as soon as it is here.
    CopyYaml,
}

/// A fetched object, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub lines: Vec<Line>,
    pub yaml: String,
    pub fetched_at: Timestamp,
    /// A Service's TCP ports (what `F` offers to forward); empty for other kinds.
    pub service_ports: Vec<crate::model::k8s::pod::ContainerPort>,
}

/// The describe view.
#[derive(Debug, Clone, Default)]
pub struct DescribePane {
    pub target: Option<ObjectRef>,
    pub yaml: bool,
    /// Copy the YAML once it arrives (`Y` before the fetch finished).
    pub copy_when_loaded: bool,
    /// `None` while the fetch runs; the API's error word for word when it failed.
    pub loaded: Option<Result<Loaded, String>>,
    /// First line shown.
    pub scroll: usize,
}

impl DescribePane {
    /// Keeps the answer for the object shown (an answer for an earlier one is dropped);
    /// returns the YAML to copy when `Y` asked for it before it came.
    pub fn on_loaded(
        &mut self,
        reference: &ObjectRef,
        result: Result<ObjectDoc, String>,
        now: Timestamp,
    ) -> Option<String> {
        if self.target.as_ref() != Some(reference) {
            return None;
        }
        self.loaded = Some(result.map(|doc| Loaded {
            lines: describe(&doc.object, &doc.events, now),
            yaml: object_yaml(&doc.object),
            fetched_at: now,
            service_ports: if reference.kind == "Service" {
                crate::model::k8s::forward_service::service_ports(&doc.object)
            } else {
                Vec::new()
            },
        }));
        if self.copy_when_loaded {
            self.copy_when_loaded = false;
            return self.yaml_text();
        }
        None
    }

    /// The YAML, when loaded.
    #[must_use]
    pub fn yaml_text(&self) -> Option<String> {
        match &self.loaded {
            Some(Ok(l)) => Some(l.yaml.clone()),
            _ => None,
        }
    }

    /// Lines the current mode has (for scrolling bounds).
    #[must_use]
    pub fn line_count(&self) -> usize {
        match &self.loaded {
            Some(Ok(l)) if self.yaml => l.yaml.lines().count(),
            Some(Ok(l)) => l.lines.len(),
            _ => 0,
        }
    }
}

impl Pane for DescribePane {
    /// `y`: the object's name. `Y` never comes here: the pane's own action copies the YAML
    /// (and waits for it to load).
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let target = self.target.as_ref()?;
        (kind == CopyKind::Key).then(|| Copied::key(&target.kind, &target.name))
    }

    delegate_to_actions!(on_action, focus);

    fn move_other(&mut self, delta: isize) -> bool {
        let last = self.line_count().saturating_sub(1);
        self.scroll = self.scroll.saturating_add_signed(delta).min(last);
        true
    }

    fn reset(&mut self) {
        *self = Self::default();
    }
}
