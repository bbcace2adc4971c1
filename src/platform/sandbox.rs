//! The in-memory setup the sandbox runs the platform with: one generated token for the
//! local user, who may do everything and approve (including their own requests, since
//! nobody else is there). Nothing is written but the SQLite file in the data dir.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use crate::platform::auth::{Identity, Tokens};
use crate::platform::policy::{Policy, Rule};
use crate::platform::server::{ServeOptions, Source};
use crate::platform::store::StoreUrl;

/// Groups of the sandbox user.
pub const SANDBOX_GROUPS: [&str; 2] = ["sandbox", "approvers"];

/// A sandbox setup: the clear token to give the client, and the server options.
pub struct SandboxSetup {
    pub token: String,
    pub options: ServeOptions,
}

impl std::fmt::Debug for SandboxSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxSetup")
            .field("token", &"***")
            .field("options", &self.options)
            .finish()
    }
}

/// Policy granting every action on every target to the sandbox groups, without approval.
#[must_use]
pub fn sandbox_policy() -> Policy {
    Policy {
        approvers: vec!["approvers".into()],
        self_approval: true,
        rules: vec![Rule {
            action: "*".into(),
            target: "*".into(),
            groups: SANDBOX_GROUPS.iter().map(|g| (*g).to_owned()).collect(),
            approval: false,
        }],
    }
}

/// Tokens holding just `token` for `user`.
#[must_use]
pub fn sandbox_tokens(user: &str, token: &str) -> Tokens {
    let mut tokens = Tokens::default();
    tokens.insert_token(
        token,
        Identity {
            user: user.to_owned(),
            groups: SANDBOX_GROUPS.iter().map(|g| (*g).to_owned()).collect(),
        },
    );
    tokens
}

/// 32 random bytes as hex. The server only listens on loopback, but other local users
/// could still reach it, so the token must not be guessable.
#[must_use]
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    let from_os = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if from_os.is_err() {
        // No /dev/urandom (non-Unix): UUIDv7s carry 74 random bits each from the OS RNG.
        let ids: Vec<u8> = (0..2)
            .flat_map(|_| *uuid::Uuid::now_v7().as_bytes())
            .collect();
        bytes.copy_from_slice(&ids[..32]);
    }
    hex::encode(bytes)
}

/// Options for a sandbox server: SQLite in `data_dir`, loopback port 0, one fresh token.
#[must_use]
pub fn sandbox_setup(data_dir: &Path, user: &str) -> SandboxSetup {
    let token = generate_token();
    let options = ServeOptions::new(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        StoreUrl::Sqlite(data_dir.join("platform-sandbox.db")),
        Source::Value(sandbox_tokens(user, &token)),
        Source::Value(sandbox_policy()),
    );
    SandboxSetup { token, options }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::platform::Decision;

    #[test]
    fn sandbox_user_may_do_everything_and_approve() {
        let setup = sandbox_setup(Path::new("/tmp/x"), "dev");
        assert_eq!(setup.token.len(), 64);
        assert_ne!(setup.token, generate_token());
        assert!(!format!("{setup:?}").contains(&setup.token));
        let policy = sandbox_policy();
        let groups: Vec<String> = SANDBOX_GROUPS.iter().map(|g| (*g).to_owned()).collect();
        assert_eq!(
            policy
                .decide("kafka.topic.delete", "kafka.topic:x", &groups)
                .decision,
            Decision::Allow
        );
        assert!(policy.is_approver(&groups));
        let tokens = sandbox_tokens("dev", &setup.token);
        let who = tokens
            .authenticate(Some(&format!("Bearer {}", setup.token)))
            .expect("token works");
        assert_eq!(who.user, "dev");
    }
}
