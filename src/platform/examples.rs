//! Example tokens and policy files, printed by the CLI and checked by the tests so the
//! documentation cannot rot.

/// A tokens file. Keys are the SHA-256 (hex) of each token, never the token itself:
/// `printf %s "$TOKEN" | sha256sum`.
pub const TOKENS_EXAMPLE: &str = r#"# opsdeck platform tokens.
# Each table key is sha256(token) in lowercase hex; the token itself is never stored here.
# Generate a token:   TOKEN=$(head -c 32 /dev/urandom | xxd -p -c 64)
# Its key:            printf %s "$TOKEN" | sha256sum

# The example keys are sha256("alice-example-token"), sha256("sam-example-token") and
# sha256("priya-example-token"); do not use them for real.

# alice: a developer on the payments team.
[tokens.62743fdd6bbb8413deedd0657c152fbae2ccb3675ee686ec872974ee5d1ff547]
user = "alice"
groups = ["dev", "payments"]

# sam: SRE and an approver.
[tokens.ade556859c58cc3469a971f017f0fbebc38d92f67729b4ebcde2c95595c054d9]
user = "sam"
groups = ["sre", "platform-leads"]

# priya: SRE and the second approver, so a request of sam's can be approved (four eyes).
[tokens.0424df82afb6294687cc5bbac80bdc4a861192a887e7e9f6265f1fe6beed378b]
user = "priya"
groups = ["sre", "platform-leads"]
"#;

/// A policy file. Rules are tried in order; the first that matches the action and target
/// and lists one of the caller's groups decides. Anything no rule grants is denied.
/// Targets are the refs of `opsdeck platform targets` (and the README's table).
pub const POLICY_EXAMPLE: &str = r#"# opsdeck platform policy.
# Rules are tried in order; the first that matches the action and the target and lists one
# of the caller's groups decides. Anything no rule grants is denied.
# `action` globs the audit action name, `target` globs the target ref; both are listed by
# `opsdeck platform targets`. Check a rule with
#   opsdeck platform check-policy --policy policy.toml --groups dev,payments \
#       --action pg.cancel --target pg.backend:payments-db/4242

# Members of these groups approve or reject requests and see everyone's audit trail.
approvers = ["platform-leads"]
# Whether an approver may approve their own request (four eyes when false).
self_approval = false

# The payments team may cancel queries on its own databases (pg.backend:<database>/<pid>,
# <database> being the name the console's config gives it)...
[[rule]]
action = "pg.cancel"
target = "pg.backend:payments-*"
groups = ["payments"]

# ...and SRE may cancel or terminate any backend.
[[rule]]
action = "pg.*"
groups = ["sre"]

# Argo CD rollbacks need approval; the other app actions are for developers and SRE.
[[rule]]
action = "argocd.app.rollback"
groups = ["dev", "sre"]
approval = true

[[rule]]
action = "argocd.app.*"
groups = ["dev", "sre"]

# Deleting a topic always needs a second pair of eyes; other Kafka changes are for SRE.
[[rule]]
action = "kafka.topic.delete"
groups = ["sre"]
approval = true

[[rule]]
action = "kafka.*"
groups = ["sre"]

# Rollout steps for developers and SRE; plain Deployments for SRE.
[[rule]]
action = "rollout.*"
groups = ["dev", "sre"]

[[rule]]
action = "deployment.*"
groups = ["sre"]

# Anyone may submit self-service requests (deciding them is always for approvers).
[[rule]]
action = "request.*"
groups = ["*"]

# Custom commands of the console's commands.toml that are dangerous (or `audit = true`) are
# the action custom.<name>, on the selection (kube.pod:<ns>/<pod>, pg.database:<name>, ...).
[[rule]]
action = "custom.*"
groups = ["sre"]

# On-call rotas: the server lets only a team's members (the team's name is one of their
# groups) or approvers change its rota; these rules decide the rest. Anyone may declare
# shifts and take overrides in their own team; removing a shift is for SRE and approvers.
[[rule]]
action = "oncall.shift.remove"
target = "oncall:*"
groups = ["sre", "platform-leads"]

[[rule]]
action = "oncall.shift.declare"
target = "oncall:*"
groups = ["*"]

[[rule]]
action = "oncall.shift.override"
target = "oncall:*"
groups = ["*"]

# Read the whole audit trail without being an approver.
[[rule]]
action = "audit.read"
groups = ["security"]
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::platform::Decision;
    use crate::platform::auth::Tokens;
    use crate::platform::policy::Policy;

    /// Each claim the example files' comments make, as (user, action, target, decision).
    const CLAIMS: &[(&str, &str, &str, Decision)] = &[
        (
            "alice",
            "pg.cancel",
            "pg.backend:payments-db/4242",
            Decision::Allow,
        ),
        (
            "alice",
            "pg.cancel",
            "pg.backend:orders-db/4242",
            Decision::Deny,
        ),
        (
            "alice",
            "pg.terminate",
            "pg.backend:payments-db/4242",
            Decision::Deny,
        ),
        (
            "sam",
            "custom.pod-shell",
            "kube.pod:shop/cart-7d9f8c6b5-x2k4q",
            Decision::Allow,
        ),
        (
            "alice",
            "custom.psql",
            "pg.database:orders-db",
            Decision::Deny,
        ),
        (
            "sam",
            "pg.cancel",
            "pg.backend:orders-db/4242",
            Decision::Allow,
        ),
        (
            "sam",
            "pg.terminate",
            "pg.backend:orders-db/4242",
            Decision::Allow,
        ),
        (
            "alice",
            "argocd.app.rollback",
            "argocd.app:argocd/cart",
            Decision::NeedsApproval,
        ),
        (
            "alice",
            "argocd.app.sync",
            "argocd.app:argocd/cart",
            Decision::Allow,
        ),
        (
            "sam",
            "kafka.topic.delete",
            "kafka.topic:orders.v1",
            Decision::NeedsApproval,
        ),
        (
            "sam",
            "kafka.topic.create",
            "kafka.topic:orders.v2",
            Decision::Allow,
        ),
        (
            "alice",
            "kafka.topic.create",
            "kafka.topic:orders.v2",
            Decision::Deny,
        ),
        (
            "alice",
            "rollout.promote",
            "rollout:shop/cart",
            Decision::Allow,
        ),
        (
            "alice",
            "deployment.restart",
            "deployment:shop/cart",
            Decision::Deny,
        ),
        (
            "priya",
            "deployment.restart",
            "deployment:shop/cart",
            Decision::Allow,
        ),
        (
            "alice",
            "request.kafka_topic",
            "kafka_topic:payments.refunds.v1",
            Decision::Allow,
        ),
        (
            "alice",
            "request.read_replica",
            "read_replica:payments-db",
            Decision::Allow,
        ),
        ("alice", "audit.read", "audit", Decision::Deny),
        (
            "alice",
            "oncall.shift.declare",
            "oncall:payments",
            Decision::Allow,
        ),
        (
            "alice",
            "oncall.shift.override",
            "oncall:payments",
            Decision::Allow,
        ),
        (
            "alice",
            "oncall.shift.remove",
            "oncall:payments",
            Decision::Deny,
        ),
        (
            "sam",
            "oncall.shift.remove",
            "oncall:payments",
            Decision::Allow,
        ),
    ];

    fn groups_of(tokens: &Tokens, token: &str) -> Vec<String> {
        tokens
            .authenticate(Some(&format!("Bearer {token}")))
            .expect("documented token authenticates")
            .groups
    }

    #[test]
    fn examples_parse_and_mean_what_their_comments_say() {
        let tokens = Tokens::parse(TOKENS_EXAMPLE).expect("tokens example parses");
        assert_eq!(tokens.len(), 3);
        // The comment's claim about which clear tokens the keys hash is true.
        for (token, user) in [
            ("alice-example-token", "alice"),
            ("sam-example-token", "sam"),
            ("priya-example-token", "priya"),
        ] {
            let who = tokens
                .authenticate(Some(&format!("Bearer {token}")))
                .expect("documented token authenticates");
            assert_eq!(who.user, user);
        }
        let policy = Policy::parse(POLICY_EXAMPLE).expect("policy example parses");
        for &(user, action, target, expected) in CLAIMS {
            let groups = groups_of(&tokens, &format!("{user}-example-token"));
            let verdict = policy.decide(action, target, &groups);
            assert_eq!(
                verdict.decision, expected,
                "{user} {action} {target}: {}",
                verdict.reason
            );
        }
        // Two approvers, so one can approve the other's request with four eyes on.
        assert!(!policy.self_approval);
        let approvers = ["sam", "priya"]
            .iter()
            .filter(|u| policy.is_approver(&groups_of(&tokens, &format!("{u}-example-token"))))
            .count();
        assert_eq!(approvers, 2);
        assert!(!policy.is_approver(&groups_of(&tokens, "alice-example-token")));
    }

    #[test]
    fn every_example_target_is_a_ref_the_console_sends() {
        let refs: Vec<String> = crate::model::targets::entries()
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e.request.action_name(),
                    e.request.target().reference
                )
            })
            .collect();
        for (_, action, target, _) in CLAIMS {
            if action.starts_with("request.")
                || action.starts_with("oncall.")
                || *action == "audit.read"
            {
                continue;
            }
            let kind = target.split(':').next().expect("a kind");
            assert!(
                refs.iter()
                    .any(|r| r.starts_with(&format!("{action} {kind}:"))),
                "{action} on {target}: the console never sends such a ref ({refs:?})"
            );
        }
    }
}
