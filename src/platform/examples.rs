//! Example tokens and policy files, printed by the CLI and checked by the tests so the
//! documentation cannot rot.

/// A tokens file. Keys are the SHA-256 (hex) of each token, never the token itself:
/// `printf %s "$TOKEN" | sha256sum`.
pub const TOKENS_EXAMPLE: &str = r#"# opsdeck platform tokens.
# Each table key is sha256(token) in lowercase hex; the token itself is never stored here.
# Generate a token:   TOKEN=$(head -c 32 /dev/urandom | xxd -p -c 64)
# Its key:            printf %s "$TOKEN" | sha256sum

# The example keys are sha256("alice-example-token") and sha256("sam-example-token"); do not use them for real.
[tokens.62743fdd6bbb8413deedd0657c152fbae2ccb3675ee686ec872974ee5d1ff547]
user = "alice"
groups = ["dev", "payments"]

[tokens.ade556859c58cc3469a971f017f0fbebc38d92f67729b4ebcde2c95595c054d9]
user = "sam"
groups = ["sre", "platform-leads"]
"#;

/// A policy file. Rules are tried in order; the first that matches the action and target
/// and lists one of the caller's groups decides. Anything no rule grants is denied.
pub const POLICY_EXAMPLE: &str = r#"# opsdeck platform policy.
# Members of these groups approve or reject requests and see everyone's audit trail.
approvers = ["platform-leads"]
# Whether an approver may approve their own request (four eyes when false).
self_approval = false

# Cancelling a query is routine for the owning team...
[[rule]]
action = "pg.cancel"
target = "pg:payments-*"
groups = ["payments", "sre"]

# ...terminating a backend is for SRE.
[[rule]]
action = "pg.terminate"
groups = ["sre"]

# Argo CD sync and refresh for developers; rollbacks need approval.
[[rule]]
action = "argocd.app.rollback"
groups = ["dev", "sre"]
approval = true

[[rule]]
action = "argocd.app.*"
groups = ["dev", "sre"]

# Deleting a topic always needs a second pair of eyes.
[[rule]]
action = "kafka.topic.delete"
groups = ["sre"]
approval = true

[[rule]]
action = "kafka.*"
groups = ["sre"]

[[rule]]
action = "rollout.*"
groups = ["dev", "sre"]

[[rule]]
action = "deployment.*"
groups = ["sre"]

# Who may submit self-service requests (deciding them is always for approvers).
[[rule]]
action = "request.*"
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

    #[test]
    fn examples_parse_and_mean_what_they_say() {
        let tokens = Tokens::parse(TOKENS_EXAMPLE).expect("tokens example parses");
        assert_eq!(tokens.len(), 2);
        // The comment's claim about which clear tokens the keys hash is true.
        for (token, user) in [
            ("alice-example-token", "alice"),
            ("sam-example-token", "sam"),
        ] {
            let who = tokens
                .authenticate(Some(&format!("Bearer {token}")))
                .expect("documented token authenticates");
            assert_eq!(who.user, user);
        }
        let policy = Policy::parse(POLICY_EXAMPLE).expect("policy example parses");
        let dev = vec!["dev".to_owned()];
        assert_eq!(
            policy
                .decide("argocd.app.rollback", "argocd.app:x", &dev)
                .decision,
            Decision::NeedsApproval
        );
        assert_eq!(
            policy.decide("pg.terminate", "pg:x/1", &dev).decision,
            Decision::Deny
        );
        assert_eq!(
            policy
                .decide("request.read_replica", "read_replica:x", &dev)
                .decision,
            Decision::Allow
        );
    }
}
