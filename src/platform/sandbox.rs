//! The in-memory setup the sandbox runs the platform with: one generated token for the
//! local user, who may do everything and approve (including their own requests, since
//! nobody else is there). Nothing is written but the SQLite file in the data dir, and the
//! key that signs the sandbox's audit checkpoints next to it.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::model::checkpoint::PublicKey;
use crate::platform::auth::{Identity, Tokens};
use crate::platform::checkpoint::Signer;
use crate::platform::policy::{Policy, Rule};
use crate::platform::server::{ServeOptions, Source};
use crate::platform::store::StoreUrl;

/// The squad the sandbox user belongs to (its on-call rota includes them).
pub const SANDBOX_SQUAD: &str = "payments";

/// Groups of the sandbox user: everything, approving, and one squad.
pub const SANDBOX_GROUPS: [&str; 3] = ["sandbox", "approvers", SANDBOX_SQUAD];

/// The sandbox's checkpoint key, in the data dir (made on first use).
pub const CHECKPOINT_KEY_FILE: &str = "platform-sandbox-checkpoint.pem";

/// How often the sandbox signs its chain head (when it moved).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(30);

/// Length of a sandbox on-call shift.
const SHIFT_HOURS: i64 = 12;

/// The sandbox's on-call rota: for every squad of the sandbox fleet, three 12-hour shifts
/// (00:00 and 12:00 UTC handovers) from the one running at `now`, rotating through the
/// squad's people; in the user's squad the second shift is `user`'s, so `:oncall` has a
/// shift of theirs to show.
#[must_use]
pub fn sandbox_rota(user: &str, now: jiff::Timestamp) -> Vec<crate::model::oncall::Shift> {
    use crate::model::oncall::{Shift, ShiftKind};
    let step = jiff::SignedDuration::from_hours(SHIFT_HOURS);
    let secs = step.as_secs();
    let start =
        jiff::Timestamp::from_second(now.as_second().div_euclid(secs) * secs).unwrap_or(now);
    let mut shifts = Vec::new();
    for (i, squad) in crate::sources::sandbox::fleet::SQUADS.iter().enumerate() {
        for k in 0..3_usize {
            let who = if squad.name == SANDBOX_SQUAD && k == 1 {
                user.to_owned()
            } else {
                squad.people[(i + k) % squad.people.len()].to_owned()
            };
            let offset = step * i32::try_from(k).unwrap_or(0);
            let from = start.checked_add(offset).unwrap_or(start);
            shifts.push(Shift {
                id: uuid::Uuid::now_v7().to_string(),
                team: squad.name.to_owned(),
                who,
                from,
                to: from.checked_add(step).unwrap_or(from),
                kind: ShiftKind::Rota,
                created_by: "platform".into(),
                created_at: now,
                note: None,
            });
        }
    }
    shifts
}

/// A sandbox setup: the clear token to give the client, and the server options.
pub struct SandboxSetup {
    pub token: String,
    pub options: ServeOptions,
    /// The key the sandbox signs checkpoints with (a console takes it on first use, tests
    /// may pin it); `None` when the key file could not be made (the sandbox then signs none).
    pub checkpoint_key: Option<PublicKey>,
}

impl std::fmt::Debug for SandboxSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxSetup")
            .field("token", &"***")
            .field("options", &self.options)
            .field(
                "checkpoint_key",
                &self.checkpoint_key.as_ref().map(PublicKey::key_id),
            )
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
    let mut options = ServeOptions::new(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        StoreUrl::Sqlite(data_dir.join("platform-sandbox.db")),
        Source::Value(sandbox_tokens(user, &token)),
        Source::Value(sandbox_policy()),
    );
    options.oncall_seed = sandbox_rota(user, jiff::Timestamp::now());
    let checkpoint_key = match Signer::load_or_create(&data_dir.join(CHECKPOINT_KEY_FILE)) {
        Ok(signer) => {
            let public = signer.public_key().clone();
            options.checkpoint_key = Some(Source::Value(Arc::new(signer)));
            options.checkpoint_interval = Some(CHECKPOINT_EVERY);
            options.platform_name = "sandbox".into();
            Some(public)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the sandbox signs no audit checkpoints");
            None
        }
    };
    SandboxSetup {
        token,
        options,
        checkpoint_key,
    }
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

    #[test]
    fn every_squad_has_someone_on_call_now_and_next() {
        let now: jiff::Timestamp = "2026-12-06T10:30:00Z".parse().expect("time");
        let rota = sandbox_rota("dev", now);
        let answers = crate::model::oncall::resolve_all(&rota, now);
        assert_eq!(answers.len(), crate::sources::sandbox::fleet::SQUADS.len());
        for answer in &answers {
            let current = answer.now.as_ref().expect("someone now");
            assert_eq!(current.until.to_string(), "2026-12-06T12:00:00Z");
            assert!(answer.next.is_some(), "{answer:?}");
        }
        let mine = answers
            .iter()
            .find(|a| a.team == SANDBOX_SQUAD)
            .expect("the user's squad");
        assert_eq!(mine.next.as_ref().expect("next").who, "dev");
    }
}
