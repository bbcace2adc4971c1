//! `opsdeck platform check-policy`: what a policy file decides for one call, and which rule
//! decides it, with the rules that came close and why they did not, so a policy author
//! can test a rule without a server or a token.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::model::platform::Decision;
use crate::platform::auth::Tokens;
use crate::platform::error::PlatformError;
use crate::platform::policy::{Policy, RuleFit};

/// The question, as given on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// The policy file to ask.
    #[arg(long, value_name = "FILE", env = "OPSDECK_PLATFORM_POLICY")]
    pub policy: PathBuf,
    /// The audit action name, e.g. `pg.cancel` (`opsdeck platform targets` lists them).
    #[arg(long)]
    pub action: String,
    /// The target ref, e.g. `pg.backend:payments-db/4242`.
    #[arg(long)]
    pub target: String,
    /// The caller's groups, comma-separated.
    #[arg(long, value_delimiter = ',', required_unless_present = "tokens")]
    pub groups: Vec<String>,
    /// The caller's name (shown, and looked up in `--tokens` for its groups).
    #[arg(long)]
    pub user: Option<String>,
    /// A tokens file to take the user's groups from, instead of `--groups`.
    #[arg(long, value_name = "FILE", requires = "user")]
    pub tokens: Option<PathBuf>,
}

/// The answer: the decision and the explanation to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub decision: Decision,
    pub text: String,
}

/// Why `check-policy` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    File(#[from] PlatformError),
    #[error("{path}: no token belongs to user {user:?}", path = .path.display())]
    UnknownUser { path: PathBuf, user: String },
}

/// Reads the files and answers.
pub fn run(args: &CheckArgs) -> Result<CheckReport, CheckError> {
    let policy = Policy::load(&args.policy)?;
    let text = std::fs::read_to_string(&args.policy).map_err(|source| PlatformError::Read {
        path: args.policy.clone(),
        source,
    })?;
    let groups = match (&args.tokens, &args.user) {
        (Some(path), Some(user)) => groups_of(path, user)?,
        _ => args.groups.clone(),
    };
    Ok(explain(
        &policy,
        &rule_lines(&text),
        &args.policy,
        args,
        &groups,
    ))
}

fn groups_of(path: &Path, user: &str) -> Result<Vec<String>, CheckError> {
    Tokens::load(path)?
        .identities()
        .find(|i| i.user == user)
        .map(|i| i.groups.clone())
        .ok_or_else(|| CheckError::UnknownUser {
            path: path.to_owned(),
            user: user.to_owned(),
        })
}

/// The line of each `[[rule]]` header, in order, to point at the rule in the file.
fn rule_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[rule]]")
        .map(|(i, _)| i + 1)
        .collect()
}

fn explain(
    policy: &Policy,
    lines: &[usize],
    file: &Path,
    args: &CheckArgs,
    groups: &[String],
) -> CheckReport {
    let verdict = policy.decide(&args.action, &args.target, groups);
    let who = args.user.as_deref().unwrap_or("a caller");
    let mut text = format!(
        "{}: {} on {} for {who} in [{}]\n{}\n",
        match verdict.decision {
            Decision::Allow => "allow",
            Decision::NeedsApproval => "needs approval",
            Decision::Deny => "deny",
        },
        args.action,
        args.target,
        groups.join(", "),
        verdict.reason,
    );
    for (i, fit) in policy
        .trace(&args.action, &args.target, groups)
        .into_iter()
        .enumerate()
    {
        let why = match fit {
            RuleFit::OtherAction => continue,
            RuleFit::OtherTarget => "matches the action, not the target",
            RuleFit::NotYourGroups => "matches, but lists none of these groups",
            RuleFit::Decides => "decides",
        };
        let rule = &policy.rules[i];
        let at = lines
            .get(i)
            .map_or_else(String::new, |l| format!(" ({}:{l})", file.display()));
        let _ = writeln!(
            text,
            "  rule {}{at}: action {:?} target {:?} groups [{}]{}: {why}",
            i + 1,
            rule.action,
            rule.target,
            rule.groups.join(", "),
            if rule.approval { " approval" } else { "" },
        );
    }
    CheckReport {
        decision: verdict.decision,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::examples::POLICY_EXAMPLE;

    fn ask(groups: &[&str], action: &str, target: &str) -> CheckReport {
        let policy = Policy::parse(POLICY_EXAMPLE).expect("parses");
        let args = CheckArgs {
            policy: "policy.toml".into(),
            action: action.into(),
            target: target.into(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            user: Some("alice".into()),
            tokens: None,
        };
        explain(
            &policy,
            &rule_lines(POLICY_EXAMPLE),
            Path::new("policy.toml"),
            &args,
            &args.groups,
        )
    }

    #[test]
    fn names_the_deciding_rule_with_its_line() {
        let report = ask(
            &["dev", "payments"],
            "pg.cancel",
            "pg.backend:payments-db/1",
        );
        assert_eq!(report.decision, Decision::Allow);
        let line = POLICY_EXAMPLE
            .lines()
            .position(|l| l == "[[rule]]")
            .expect("a rule")
            + 1;
        assert!(
            report.text.contains(&format!(
                "rule 1 (policy.toml:{line}): action \"pg.cancel\""
            )),
            "{}",
            report.text
        );
        assert!(report.text.contains(": decides"), "{}", report.text);
    }

    #[test]
    fn a_denial_lists_the_rules_that_came_close() {
        let report = ask(
            &["dev", "payments"],
            "pg.terminate",
            "pg.backend:orders-db/1",
        );
        assert_eq!(report.decision, Decision::Deny);
        assert!(
            report.text.contains("lists none of these groups"),
            "{}",
            report.text
        );
        let report = ask(&["dev", "payments"], "pg.cancel", "pg.backend:orders-db/1");
        assert!(
            report.text.contains("matches the action, not the target"),
            "{}",
            report.text
        );
    }
}
