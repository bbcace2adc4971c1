//! State of the service card: which service, and the navigable dependency tree.
//!
//! The tree has two branches under the service, "depends on" (what it calls) and "used by"
//! (what calls it). Each node can be expanded to follow the graph further in the same
//! direction; a name already on the path is shown as a cycle and not expanded again.

use std::collections::BTreeSet;

use crate::model::Catalog;

/// Which way a tree branch follows the dependency graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    DependsOn,
    UsedBy,
}

impl Direction {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::DependsOn => "depends on",
            Self::UsedBy => "used by",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::DependsOn => "down",
            Self::UsedBy => "up",
        }
    }
}

/// One visible line of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent facts about one tree line, each drawn on its own"
)]
pub struct TreeLine {
    pub depth: usize,
    /// Service name, or the branch label for depth-0 branch lines.
    pub label: String,
    /// `Some` for service nodes; `None` for the two branch headings.
    pub service: Option<String>,
    pub direction: Direction,
    pub expandable: bool,
    pub expanded: bool,
    /// The name already appears on the path from the root.
    pub cycle: bool,
    /// Not in the catalog (a dangling reference).
    pub unknown: bool,
    /// Whether this is the last child of its parent, and for each ancestor level whether
    /// that ancestor was last (for drawing the tree guides).
    pub last: bool,
    pub ancestors_last: Vec<bool>,
    path: String,
}

/// The card of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardState {
    pub service: String,
    pub selected: usize,
    expanded: BTreeSet<String>,
}

impl CardState {
    #[must_use]
    pub fn new(service: String) -> Self {
        let mut expanded = BTreeSet::new();
        expanded.insert(Direction::DependsOn.key().to_owned());
        expanded.insert(Direction::UsedBy.key().to_owned());
        Self {
            service,
            selected: 0,
            expanded,
        }
    }

    /// The visible tree lines for the current catalog.
    #[must_use]
    pub fn lines(&self, catalog: &Catalog) -> Vec<TreeLine> {
        let mut out = Vec::new();
        let Some(root) = catalog.service(&self.service) else {
            return out;
        };
        let branches = [
            (Direction::DependsOn, &root.depends_on),
            (Direction::UsedBy, &root.dependency_of),
        ];
        for (i, (direction, children)) in branches.into_iter().enumerate() {
            let path = direction.key().to_owned();
            let expanded = self.expanded.contains(&path);
            let last = i == 1;
            out.push(TreeLine {
                depth: 0,
                label: format!("{} ({})", direction.label(), children.len()),
                service: None,
                direction,
                expandable: !children.is_empty(),
                expanded,
                cycle: false,
                unknown: false,
                last,
                ancestors_last: Vec::new(),
                path: path.clone(),
            });
            if expanded {
                let mut on_path = vec![root.name.clone()];
                self.push_children(
                    catalog,
                    direction,
                    children,
                    &path,
                    &mut on_path,
                    &[last],
                    &mut out,
                );
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn push_children(
        &self,
        catalog: &Catalog,
        direction: Direction,
        children: &[String],
        parent_path: &str,
        on_path: &mut Vec<String>,
        ancestors_last: &[bool],
        out: &mut Vec<TreeLine>,
    ) {
        for (i, child) in children.iter().enumerate() {
            let path = format!("{parent_path}/{child}");
            let service = catalog.service(child);
            let grandchildren: &[String] = match (service, direction) {
                (Some(s), Direction::DependsOn) => &s.depends_on,
                (Some(s), Direction::UsedBy) => &s.dependency_of,
                (None, _) => &[],
            };
            let cycle = on_path.contains(child);
            let expandable = !cycle && !grandchildren.is_empty();
            let expanded = expandable && self.expanded.contains(&path);
            let last = i + 1 == children.len();
            out.push(TreeLine {
                depth: ancestors_last.len(),
                label: child.clone(),
                service: Some(child.clone()),
                direction,
                expandable,
                expanded,
                cycle,
                unknown: service.is_none(),
                last,
                ancestors_last: ancestors_last.to_vec(),
                path: path.clone(),
            });
            if expanded {
                on_path.push(child.clone());
                let mut deeper = ancestors_last.to_vec();
                deeper.push(last);
                self.push_children(
                    catalog,
                    direction,
                    grandchildren,
                    &path,
                    on_path,
                    &deeper,
                    out,
                );
                on_path.pop();
            }
        }
    }

    /// Expands (`true`) or collapses the selected node. Collapsing a leaf moves to its parent.
    pub fn set_expanded(&mut self, catalog: &Catalog, expand: bool) {
        let lines = self.lines(catalog);
        let Some(line) = lines.get(self.selected) else {
            return;
        };
        if expand {
            if line.expandable {
                self.expanded.insert(line.path.clone());
            }
        } else if line.expanded {
            self.expanded.remove(&line.path);
        } else if let Some(parent) = lines[..self.selected]
            .iter()
            .rposition(|l| l.depth < line.depth)
        {
            self.selected = parent;
        }
    }

    pub fn move_by(&mut self, catalog: &Catalog, delta: isize) {
        let count = self.lines(catalog).len();
        self.selected = self
            .selected
            .saturating_add_signed(delta)
            .min(count.saturating_sub(1));
    }

    /// The service under the cursor, if the cursor is on a known service.
    #[must_use]
    pub fn selected_service(&self, catalog: &Catalog) -> Option<String> {
        self.lines(catalog)
            .into_iter()
            .nth(self.selected)
            .filter(|l| !l.unknown)
            .and_then(|l| l.service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::sandbox::World;

    #[test]
    fn tree_expands_collapses_and_stops_at_cycles() {
        let catalog = World::new(1, jiff::Timestamp::UNIX_EPOCH).catalog();
        let mut card = CardState::new("checkout-api".into());
        let lines = card.lines(&catalog);
        assert_eq!(lines[0].label, "depends on (5)");
        assert!(lines.iter().any(|l| l.label == "used by (1)"));
        card.selected = 2; // pricing-engine is the third line (after heading and cart-service)
        let before = card.lines(&catalog).len();
        card.set_expanded(&catalog, true);
        assert!(
            card.lines(&catalog).len() > before,
            "expanding shows grandchildren"
        );
        card.set_expanded(&catalog, false);
        assert_eq!(card.lines(&catalog).len(), before);
        card.set_expanded(&catalog, false);
        assert_eq!(card.selected, 0, "collapsing a leaf moves to its parent");
    }
}
