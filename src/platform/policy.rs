//! Who may do what: rules of `action` glob + `target` glob → groups, optionally requiring
//! approval. Anything no rule grants is denied, so a typo in the file fails closed.
//!
//! Rules are tried in order and the first rule that both matches and grants one of the
//! caller's groups decides; a matching rule that does not list the caller's groups does
//! not end the search, so a later, broader rule can still grant.

use std::path::Path;

use serde::Deserialize;

use crate::model::platform::Decision;
use crate::platform::error::PlatformError;

/// One rule of the policy file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Glob over the audit action name (`pg.*`, `kafka.topic.delete`).
    pub action: String,
    /// Glob over the target ref (`pg:orders-db/*`); `*` by default.
    #[serde(default = "star")]
    pub target: String,
    /// Groups this rule grants; `*` grants every authenticated user.
    pub groups: Vec<String>,
    /// Granted, but only after an approver approves.
    #[serde(default)]
    pub approval: bool,
}

fn star() -> String {
    "*".into()
}

/// The whole policy file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Members of these groups may approve and reject requests and list everyone's.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// Whether an approver may approve their own request. Off by default (four eyes); the
    /// single-user sandbox turns it on.
    #[serde(default)]
    pub self_approval: bool,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// How one rule fared for one call, in order: why `check-policy` says what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleFit {
    /// The rule's `action` glob does not match.
    OtherAction,
    /// The action matches but the `target` glob does not.
    OtherTarget,
    /// Action and target match, but the rule lists none of the caller's groups.
    NotYourGroups,
    /// This rule decides.
    Decides,
}

/// What policy says about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    pub reason: String,
}

impl Policy {
    pub fn parse(text: &str) -> Result<Self, String> {
        let policy: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        for rule in &policy.rules {
            if rule.groups.is_empty() {
                return Err(format!("rule for {:?} lists no groups", rule.action));
            }
        }
        Ok(policy)
    }

    pub fn load(path: &Path) -> Result<Self, PlatformError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlatformError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|message| PlatformError::Parse {
            what: "policy",
            path: path.to_owned(),
            message,
        })
    }

    #[must_use]
    pub fn is_approver(&self, groups: &[String]) -> bool {
        groups.iter().any(|g| self.approvers.contains(g))
    }

    /// How each rule fits the call, in order, up to the one that decides (if any).
    #[must_use]
    pub fn trace(&self, action: &str, target_ref: &str, groups: &[String]) -> Vec<RuleFit> {
        let mut fits = Vec::new();
        for rule in &self.rules {
            let fit = if !glob_match(&rule.action, action) {
                RuleFit::OtherAction
            } else if !glob_match(&rule.target, target_ref) {
                RuleFit::OtherTarget
            } else if rule
                .groups
                .iter()
                .any(|g| g == "*" || groups.iter().any(|have| have == g))
            {
                RuleFit::Decides
            } else {
                RuleFit::NotYourGroups
            };
            fits.push(fit);
            if fit == RuleFit::Decides {
                break;
            }
        }
        fits
    }

    /// Decides `action` on `target_ref` for a member of `groups`.
    #[must_use]
    pub fn decide(&self, action: &str, target_ref: &str, groups: &[String]) -> Verdict {
        let fits = self.trace(action, target_ref, groups);
        let matched_any = fits.contains(&RuleFit::NotYourGroups);
        if let Some(i) = fits.iter().position(|f| *f == RuleFit::Decides) {
            let rule = &self.rules[i];
            return if rule.approval {
                Verdict {
                    decision: Decision::NeedsApproval,
                    reason: format!("policy rule {} ({}) requires approval", i + 1, rule.action),
                }
            } else {
                Verdict {
                    decision: Decision::Allow,
                    reason: format!("policy rule {} ({})", i + 1, rule.action),
                }
            };
        }
        let reason = if matched_any {
            format!(
                "policy: none of your groups [{}] may {action} on {target_ref}",
                groups.join(", ")
            )
        } else {
            format!("policy: no rule allows {action} on {target_ref} (default deny)")
        };
        Verdict {
            decision: Decision::Deny,
            reason,
        }
    }
}

/// Shell-style glob: `*` matches any run of characters, `?` exactly one.
#[must_use]
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with one backtrack point: linear in practice, no recursion blowup.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_basics() {
        assert!(glob_match("*", ""));
        assert!(glob_match("pg.*", "pg.cancel"));
        assert!(!glob_match("pg.*", "kafka.topic.delete"));
        assert!(glob_match("kafka.*.delete", "kafka.topic.delete"));
        assert!(glob_match("pg:orders-?b/*", "pg:orders-db/42"));
        assert!(!glob_match("pg:orders", "pg:orders-db"));
        assert!(glob_match("a*b*c", "aXXbYYbc"));
    }

    fn policy() -> Policy {
        Policy::parse(
            r#"
approvers = ["leads"]
[[rule]]
action = "kafka.topic.delete"
groups = ["sre"]
approval = true
[[rule]]
action = "pg.*"
target = "pg:orders-db/*"
groups = ["dev"]
[[rule]]
action = "*"
groups = ["sre"]
"#,
        )
        .expect("policy parses")
    }

    #[test]
    fn first_granting_rule_decides_and_default_is_deny() {
        let p = policy();
        let dev = vec!["dev".to_owned()];
        let sre = vec!["sre".to_owned()];
        assert_eq!(
            p.decide("pg.cancel", "pg:orders-db/7", &dev).decision,
            Decision::Allow
        );
        assert_eq!(
            p.decide("pg.cancel", "pg:billing/7", &dev).decision,
            Decision::Deny
        );
        assert_eq!(
            p.decide("kafka.topic.delete", "kafka.topic:x", &sre)
                .decision,
            Decision::NeedsApproval
        );
        let v = p.decide("kafka.topic.delete", "kafka.topic:x", &dev);
        assert_eq!(v.decision, Decision::Deny);
        assert!(v.reason.contains("none of your groups"), "{}", v.reason);
        assert!(p.is_approver(&["leads".to_owned()]));
        assert!(!p.is_approver(&sre));
    }

    #[test]
    fn rules_without_groups_are_rejected() {
        let err = Policy::parse("[[rule]]\naction = \"*\"\ngroups = []\n").expect_err("must fail");
        assert!(err.contains("no groups"));
    }
}
