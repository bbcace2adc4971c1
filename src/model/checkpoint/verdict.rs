//! What `verify` concludes from the chain, the checkpoint the platform serves and the one
//! this console kept: each problem in words ([`Finding`]), and what is only worth saying
//! ([`Notice`]).
//!
//! Every valid checkpoint at hand is held against the chain, the kept one too: a platform
//! that lost rows and signed its new head would otherwise pass with its own new checkpoint.
//! The served checkpoint replaces the kept one only when nothing speaks of tampering, so
//! the evidence stays until someone looks.

use super::{Checkpoint, KeyRing, KeyStanding, PublicKey, check_signed_by};
use crate::model::platform::VerifyReport;

/// Which checkpoint a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// The one the platform serves now.
    Served,
    /// The one this console kept from before.
    Kept,
}

impl Whose {
    fn words(self) -> &'static str {
        match self {
            Self::Served => "the platform's newest checkpoint",
            Self::Kept => "the checkpoint this console kept",
        }
    }
}

/// One problem `verify` found, said in words by its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The chain ends before the checkpoint's `seq`: its tail was deleted.
    Truncated {
        checkpoint: Checkpoint,
        /// The chain's last `seq` now (0: empty).
        head_seq: i64,
    },
    /// The row at the checkpoint's `seq` hashes differently: rows up to it were rewritten.
    Rewritten {
        checkpoint: Checkpoint,
        /// The row's hash now; `None` when the row is gone from the middle of the chain.
        found: Option<String>,
    },
    /// The platform's own walk of the chain found a bad row.
    ChainBroken {
        seq: Option<i64>,
        event: Option<String>,
        reason: String,
    },
    /// The platform serves a checkpoint older than one this console saw before.
    Replayed {
        served: Checkpoint,
        kept: Checkpoint,
    },
    /// The platform signed a checkpoint of fewer rows after the kept one: its chain went
    /// backwards.
    SignedShorter {
        served: Checkpoint,
        kept: Checkpoint,
    },
    /// The platform serves no checkpoint at all although one was seen before.
    Withdrawn { kept: Checkpoint },
    /// Checkpoint keys are configured, yet the platform serves no checkpoint.
    NoCheckpoint,
    /// Signed by a key that is not trusted.
    UnknownKey {
        whose: Whose,
        checkpoint: Checkpoint,
        /// Whether keys are configured (else: not even the platform publishes the key).
        configured: bool,
    },
    BadSignature {
        whose: Whose,
        checkpoint: Checkpoint,
        detail: String,
    },
    /// The served checkpoint names another platform than the kept one.
    OtherPlatform {
        served: Checkpoint,
        kept: Checkpoint,
    },
}

impl Finding {
    /// Whether it says the trail was changed (so the kept checkpoint must stay as evidence),
    /// rather than that a signature could not be trusted.
    #[must_use]
    pub fn is_tampering(&self) -> bool {
        !matches!(
            self,
            Self::NoCheckpoint | Self::UnknownKey { .. } | Self::BadSignature { .. }
        )
    }
}

/// "the checkpoint of seq 8 signed at …".
fn of(c: &Checkpoint) -> String {
    format!("the checkpoint of seq {} signed at {}", c.seq, c.time)
}

fn plural(n: i64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Truncated {
                checkpoint: c,
                head_seq,
            } => {
                let rows = if *head_seq + 1 == c.seq {
                    format!("seq {}", c.seq)
                } else {
                    format!("seq {}..{}", head_seq + 1, c.seq)
                };
                write!(
                    f,
                    "truncated tail: {} missing since {} ({rows} deleted; the chain now ends at \
                     seq {head_seq})",
                    plural(c.seq - head_seq, "row"),
                    of(c)
                )
            }
            Self::Rewritten {
                checkpoint: c,
                found: Some(found),
            } => write!(
                f,
                "rewritten row: row {} hashes to {found}, but {} says {}: a row up to seq {} \
                 was changed, or the tail deleted and appended again",
                c.seq,
                of(c),
                c.head,
                c.seq
            ),
            Self::Rewritten {
                checkpoint: c,
                found: None,
            } => write!(
                f,
                "rewritten row: row {} is gone from the chain, but {} covers it",
                c.seq,
                of(c)
            ),
            Self::ChainBroken { seq, event, reason } => {
                let row = match (seq, event) {
                    (Some(seq), Some(event)) => format!("row {seq} (event {event})"),
                    (None, Some(event)) => format!("event {event}"),
                    (Some(seq), None) => format!("row {seq}"),
                    (None, None) => "a row".to_owned(),
                };
                write!(f, "rewritten row: the chain breaks at {row}: {reason}")
            }
            Self::Replayed { served, kept } => write!(
                f,
                "replayed checkpoint: the platform serves {}, older than {} that this console \
                 saw before",
                of(served),
                of(kept)
            ),
            Self::SignedShorter { served, kept } => write!(
                f,
                "shortened chain signed: the platform signed {}, after {} that this console \
                 saw before: its chain went back by {}",
                of(served),
                of(kept),
                plural(kept.seq - served.seq, "row")
            ),
            Self::Withdrawn { kept } => write!(
                f,
                "withdrawn checkpoints: the platform serves no checkpoint, but this console saw \
                 {} before",
                of(kept)
            ),
            Self::NoCheckpoint => f.write_str(
                "no checkpoint: checkpoint_keys are configured but the platform serves no \
                 checkpoint (is it started with --checkpoint-key?), so a deleted tail would go \
                 unnoticed",
            ),
            Self::UnknownKey { .. } | Self::BadSignature { .. } => self.fmt_key_problem(f),
            Self::OtherPlatform { served, kept } => write!(
                f,
                "other platform: the platform's checkpoint names platform `{}`, but the \
                 checkpoint this console kept for this URL names `{}`",
                served.platform, kept.platform
            ),
        }
    }
}

impl Finding {
    /// The words of [`Finding::UnknownKey`] and [`Finding::BadSignature`].
    fn fmt_key_problem(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownKey {
                whose,
                checkpoint: c,
                configured: true,
            } => write!(
                f,
                "rotated key: {} ({}) is signed by key {}, which is not in checkpoint_keys, so \
                 it is not trusted; check the key out of band (GET /v1/audit/checkpoint-keys \
                 lists the platform's) and add it to trust it",
                whose.words(),
                of(c),
                c.key_id
            ),
            Self::UnknownKey {
                whose,
                checkpoint: c,
                configured: false,
            } => write!(
                f,
                "unknown key: {} ({}) is signed by key {}, which this console does not know and \
                 the platform does not publish",
                whose.words(),
                of(c),
                c.key_id
            ),
            Self::BadSignature {
                whose,
                checkpoint: c,
                detail,
            } => write!(
                f,
                "bad signature: {} ({} by key {}) does not verify: {detail}",
                whose.words(),
                of(c),
                c.key_id
            ),
            _ => Ok(()),
        }
    }
}

/// Something `verify` says that is not a problem by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// No keys configured and none pinned: the served checkpoint's key is taken as the
    /// platform publishes it.
    FirstUse { key_id: String },
    /// No keys configured: the served checkpoint is signed by a key this console did not
    /// know, which the platform publishes, so it is taken.
    Rotated {
        checkpoint: Checkpoint,
        known: Vec<String>,
    },
    /// Nothing configured and the platform signs nothing.
    Unsigned,
    /// The newest checkpoint could not be written to the data dir.
    NotKept(String),
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FirstUse { key_id } => write!(
                f,
                "first checkpoint seen from this platform: its key {key_id} is trusted from now \
                 on (put it in checkpoint_keys to pin it from the start)"
            ),
            Self::Rotated { checkpoint, known } => write!(
                f,
                "rotated key: {} is signed by key {}, which this console did not know before \
                 (it knew {}); the platform publishes it as its key, so it is trusted from now \
                 on; confirm the rotation with the platform's operators",
                of(checkpoint),
                checkpoint.key_id,
                known.join(", ")
            ),
            Self::Unsigned => f.write_str(
                "no checkpoint yet: the platform has signed none, so a deleted tail would go \
                 unnoticed (it signs with --checkpoint-key)",
            ),
            Self::NotKept(e) => write!(f, "the newest checkpoint could not be kept: {e}"),
        }
    }
}

/// The first step of `verify`: the served and kept checkpoints whose signatures hold, and
/// what is wrong with the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    pub kept: Option<Checkpoint>,
    pub served: Option<Checkpoint>,
    /// The key that signed `served`.
    pub served_key: Option<PublicKey>,
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
}

impl Choice {
    /// The rows to ask the hash of: each checkpoint's `seq`.
    #[must_use]
    pub fn rows(&self) -> Vec<i64> {
        let mut rows: Vec<i64> = self
            .kept
            .iter()
            .chain(&self.served)
            .map(|c| c.seq)
            .collect();
        rows.sort_unstable();
        rows.dedup();
        rows
    }

    /// The newer of the valid checkpoints.
    #[must_use]
    pub fn newest(&self) -> Option<&Checkpoint> {
        match (&self.kept, &self.served) {
            (Some(k), Some(s)) if older(s, k) => Some(k),
            (_, Some(s)) => Some(s),
            (k, None) => k.as_ref(),
        }
    }
}

/// Whether `a` is older than `b`.
fn older(a: &Checkpoint, b: &Checkpoint) -> bool {
    (a.seq, a.time.as_str()) < (b.seq, b.time.as_str())
}

/// Checks the kept and the served checkpoint's signatures under `ring`, and compares them.
#[must_use]
pub fn choose(
    ring: &KeyRing<'_>,
    kept: Option<&Checkpoint>,
    served: Option<&Checkpoint>,
) -> Choice {
    let mut choice = Choice::default();
    let valid = |whose: Whose, c: &Checkpoint, choice: &mut Choice| {
        let (key, notice) = match ring.standing(&c.key_id) {
            KeyStanding::Known(key) => (key, None),
            KeyStanding::FirstUse(key) => (
                key,
                Some(Notice::FirstUse {
                    key_id: c.key_id.clone(),
                }),
            ),
            KeyStanding::Rotated(key) => (
                key,
                Some(Notice::Rotated {
                    checkpoint: c.clone(),
                    known: ring.pinned.iter().map(PublicKey::key_id).collect(),
                }),
            ),
            KeyStanding::Unknown => {
                choice.findings.push(Finding::UnknownKey {
                    whose,
                    checkpoint: c.clone(),
                    configured: ring.strict(),
                });
                return None;
            }
        };
        match check_signed_by(c, key) {
            Ok(()) => {
                choice.notices.extend(notice);
                Some(key.clone())
            }
            Err(detail) => {
                choice.findings.push(Finding::BadSignature {
                    whose,
                    checkpoint: c.clone(),
                    detail,
                });
                None
            }
        }
    };
    if let Some(k) = kept
        && valid(Whose::Kept, k, &mut choice).is_some()
    {
        choice.kept = Some(k.clone());
    }
    if let Some(s) = served.filter(|s| Some(*s) != choice.kept.as_ref()) {
        if let Some(key) = valid(Whose::Served, s, &mut choice) {
            choice.served = Some(s.clone());
            choice.served_key = Some(key);
        }
    } else if let Some(s) = served {
        // The same checkpoint as kept: already checked.
        choice.served = Some(s.clone());
    }
    if let (Some(k), Some(s)) = (&choice.kept, &choice.served) {
        if s.platform != k.platform {
            choice.findings.push(Finding::OtherPlatform {
                served: s.clone(),
                kept: k.clone(),
            });
        } else if older(s, k) {
            let (served, kept) = (s.clone(), k.clone());
            // Signed before the kept one: served again. Signed after it: signed anew over
            // a chain that lost rows.
            choice.findings.push(if s.time < k.time {
                Finding::Replayed { served, kept }
            } else {
                Finding::SignedShorter { served, kept }
            });
        }
    }
    choice
}

/// The result of `verify`: the platform's own walk of the chain, the checkpoint it was held
/// against, and every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    pub report: VerifyReport,
    /// The newest valid checkpoint.
    pub checkpoint: Option<Checkpoint>,
    pub findings: Vec<Finding>,
    /// Said, but not a problem.
    pub notes: Vec<Notice>,
    /// The served checkpoint, to keep from now on (newer than the kept one, and nothing
    /// speaks of tampering).
    pub keep: Option<Checkpoint>,
    /// The key that signed `keep`, to pin with it.
    pub keep_key: Option<PublicKey>,
}

impl ChainCheck {
    /// Holds `report` (asked with `at` = [`Choice::rows`]) against the valid checkpoints.
    /// `served_none`: the platform serves no checkpoint; `kept`: the one kept, valid or not.
    #[must_use]
    pub fn assess(
        choice: Choice,
        report: VerifyReport,
        served_none: bool,
        kept: Option<&Checkpoint>,
        strict: bool,
    ) -> Self {
        let checkpoint = choice.newest().cloned();
        let Choice {
            kept: kept_valid,
            served,
            served_key,
            mut findings,
            mut notices,
        } = choice;
        if served_none {
            match kept {
                Some(k) => findings.push(Finding::Withdrawn { kept: k.clone() }),
                // An empty chain has no head to sign yet.
                None if report.head.is_none() => {}
                None if strict => findings.push(Finding::NoCheckpoint),
                None => notices.push(Notice::Unsigned),
            }
        }
        if !report.ok {
            findings.push(Finding::ChainBroken {
                seq: report.first_bad_seq,
                event: report.first_bad_event.clone(),
                reason: report
                    .reason
                    .clone()
                    .unwrap_or_else(|| "hash mismatch".into()),
            });
        }
        let mut held: Vec<&Checkpoint> = kept_valid.iter().collect();
        if let Some(s) = served.as_ref().filter(|s| Some(*s) != kept_valid.as_ref()) {
            held.push(s);
        }
        for c in held {
            findings.extend(against_chain(c, &report));
        }
        let newer = match (&kept_valid, &served) {
            (Some(k), Some(s)) => s != k && !older(s, k),
            (None, Some(_)) => true,
            (_, None) => false,
        };
        let keep = served.filter(|_| newer && !findings.iter().any(Finding::is_tampering));
        Self {
            report,
            checkpoint,
            findings,
            notes: notices,
            keep_key: keep.as_ref().and(served_key),
            keep,
        }
    }

    #[must_use]
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }

    /// One short line for the audit pane's note.
    #[must_use]
    pub fn summary(&self) -> String {
        if let Some(first) = self.findings.first() {
            let more = match self.findings.len() {
                1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            let head = first.to_string();
            let short = head.split(':').next().unwrap_or(&head).to_owned();
            return format!("chain ✗ {short}{more}: see messages");
        }
        let rotated = if self
            .notes
            .iter()
            .any(|n| matches!(n, Notice::Rotated { .. }))
        {
            "; key rotated, see messages"
        } else {
            ""
        };
        match &self.checkpoint {
            Some(c) => format!(
                "chain ✓ ok ({} events, matches the checkpoint of seq {} signed at {}{rotated})",
                self.report.checked, c.seq, c.time
            ),
            None => format!("chain ✓ ok ({} events, no checkpoint)", self.report.checked),
        }
    }

    /// Every line of the full answer: the verdict, then each finding or note.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.report.ok {
            lines.push(format!(
                "chain: {} rows link up{}",
                self.report.checked,
                self.report.head.as_ref().map_or(String::new(), |h| format!(
                    ", head seq {} {}",
                    h.seq, h.hash
                ))
            ));
        }
        if let Some(c) = &self.checkpoint {
            lines.push(format!("{} for platform `{}`", c.describe(), c.platform));
        }
        lines.extend(self.findings.iter().map(|f| format!("PROBLEM {f}")));
        lines.extend(self.notes.iter().map(|n| format!("NOTE {n}")));
        lines
    }
}

/// What the chain says of one valid checkpoint: nothing when its row is there, unchanged.
fn against_chain(c: &Checkpoint, report: &VerifyReport) -> Option<Finding> {
    let head_seq = report.head.as_ref().map_or(0, |h| h.seq);
    if head_seq < c.seq {
        return Some(Finding::Truncated {
            checkpoint: c.clone(),
            head_seq,
        });
    }
    match report.at.iter().find(|p| p.seq == c.seq) {
        Some(at) if at.hash == c.head => None,
        found => Some(Finding::Rewritten {
            checkpoint: c.clone(),
            found: found.map(|p| p.hash.clone()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_keys::*;
    use super::*;
    use crate::model::platform::ChainPoint;

    /// The platform's walk: `head` rows that link up, and the hashes of rows asked for.
    fn report(head: i64, at: &[(i64, &str)]) -> VerifyReport {
        VerifyReport {
            ok: true,
            checked: u64::try_from(head).expect("positive"),
            first_bad_event: None,
            reason: None,
            first_bad_seq: None,
            head: (head > 0).then(|| ChainPoint {
                seq: head,
                hash: "f".repeat(64),
            }),
            at: at
                .iter()
                .map(|(seq, hash)| ChainPoint {
                    seq: *seq,
                    hash: (*hash).into(),
                })
                .collect(),
        }
    }

    fn configured(keys: &[PublicKey]) -> KeyRing<'_> {
        KeyRing {
            configured: keys,
            ..KeyRing::default()
        }
    }

    #[test]
    fn a_sound_chain_keeps_the_newer_checkpoint() {
        let a = pair(&SEED);
        let trusted = [public(&a)];
        let (old, new) = (sign(&a, 5, H1, T1), sign(&a, 12, H2, T2));
        let choice = choose(&configured(&trusted), Some(&old), Some(&new));
        assert_eq!(choice.rows(), [5, 12]);
        let check = ChainCheck::assess(
            choice,
            report(14, &[(5, H1), (12, H2)]),
            false,
            Some(&old),
            true,
        );
        assert!(check.ok(), "{:?}", check.findings);
        assert_eq!(check.keep.as_ref(), Some(&new));
        assert_eq!(check.keep_key.as_ref(), Some(&trusted[0]));
        assert_eq!(
            check.summary(),
            format!("chain ✓ ok (14 events, matches the checkpoint of seq 12 signed at {T2})")
        );
    }

    #[test]
    fn a_deleted_tail_is_counted_and_the_kept_checkpoint_stays() {
        let a = pair(&SEED);
        let trusted = [public(&a)];
        let new = sign(&a, 12, H2, T2);
        let choice = choose(&configured(&trusted), Some(&new), Some(&new));
        let check = ChainCheck::assess(choice, report(8, &[]), false, Some(&new), true);
        assert_eq!(check.findings.len(), 1, "{:?}", check.findings);
        assert_eq!(
            check.findings[0].to_string(),
            format!(
                "truncated tail: 4 rows missing since the checkpoint of seq 12 signed at {T2} \
                 (seq 9..12 deleted; the chain now ends at seq 8)"
            )
        );
        assert_eq!(check.keep, None);
        assert!(check.summary().starts_with("chain ✗ truncated tail: see"));
    }

    #[test]
    fn a_new_checkpoint_of_a_shortened_chain_does_not_hide_the_old_one() {
        // Rows 9..12 deleted, four others appended, and the platform signed its new head.
        let a = pair(&SEED);
        let trusted = [public(&a)];
        let (kept, served) = (sign(&a, 12, H2, T1), sign(&a, 12, H1, T2));
        let choice = choose(&configured(&trusted), Some(&kept), Some(&served));
        assert_eq!(choice.rows(), [12]);
        let check = ChainCheck::assess(choice, report(12, &[(12, H1)]), false, Some(&kept), true);
        assert_eq!(check.findings.len(), 1, "{:?}", check.findings);
        assert!(
            check.findings[0].to_string().starts_with(&format!(
                "rewritten row: row 12 hashes to {H1}, but the checkpoint of seq 12 signed at \
                 {T1} says {H2}"
            )),
            "{}",
            check.findings[0]
        );
        assert_eq!(check.keep, None, "the evidence stays");
    }

    #[test]
    fn an_older_checkpoint_served_again_is_a_replay() {
        let a = pair(&SEED);
        let trusted = [public(&a)];
        let (old, new) = (sign(&a, 5, H1, T1), sign(&a, 12, H2, T2));
        let choice = choose(&configured(&trusted), Some(&new), Some(&old));
        assert_eq!(choice.newest(), Some(&new));
        let check = ChainCheck::assess(
            choice,
            report(12, &[(5, H1), (12, H2)]),
            false,
            Some(&new),
            true,
        );
        assert_eq!(
            check.findings,
            [Finding::Replayed {
                served: old.clone(),
                kept: new.clone()
            }]
        );
        assert_eq!(
            check.findings[0].to_string(),
            format!(
                "replayed checkpoint: the platform serves the checkpoint of seq 5 signed at \
                 {T1}, older than the checkpoint of seq 12 signed at {T2} that this console saw \
                 before"
            )
        );
        assert_eq!(check.checkpoint.as_ref(), Some(&new));
        assert_eq!(check.keep, None);

        let choice = choose(&configured(&trusted), Some(&new), None);
        let check = ChainCheck::assess(choice, report(12, &[(12, H2)]), true, Some(&new), true);
        assert!(matches!(check.findings[..], [Finding::Withdrawn { .. }]));

        // Signed after the kept one, but of fewer rows: not a replay, a chain gone back.
        let shorter = sign(&a, 9, H1, "2026-12-07T12:00:00.000000Z");
        let choice = choose(&configured(&trusted), Some(&new), Some(&shorter));
        let check = ChainCheck::assess(choice, report(9, &[(9, H1)]), false, Some(&new), true);
        let words: Vec<String> = check.findings.iter().map(ToString::to_string).collect();
        assert_eq!(words.len(), 2, "{words:#?}");
        assert!(
            words[0].starts_with(
                "shortened chain signed: the platform signed the checkpoint of seq 9 signed at \
                 2026-12-07T12:00:00.000000Z, after the checkpoint of seq 12"
            ) && words[0].ends_with("its chain went back by 3 rows"),
            "{}",
            words[0]
        );
        assert!(
            words[1].starts_with("truncated tail: 3 rows missing"),
            "{}",
            words[1]
        );
    }

    #[test]
    fn a_walk_that_breaks_names_the_row() {
        let mut walk = report(4, &[]);
        walk.ok = false;
        walk.first_bad_seq = Some(3);
        walk.first_bad_event = Some("ev-3".into());
        walk.reason = Some("hash mismatch".into());
        let check = ChainCheck::assess(Choice::default(), walk, true, None, false);
        assert_eq!(
            check.findings[0].to_string(),
            "rewritten row: the chain breaks at row 3 (event ev-3): hash mismatch"
        );
    }

    #[test]
    fn configured_keys_refuse_a_rotated_key() {
        let (old_key, new_key) = (pair(&SEED), pair(&[7; 32]));
        let before = sign(&old_key, 5, H1, T1);
        let after = sign(&new_key, 9, H2, T2);
        let both = [public(&old_key), public(&new_key)];
        let choice = choose(&configured(&both), Some(&before), Some(&after));
        assert!(choice.findings.is_empty(), "{:?}", choice.findings);

        let only_old = [public(&old_key)];
        let choice = choose(&configured(&only_old), Some(&before), Some(&after));
        assert_eq!(choice.newest(), Some(&before));
        let words = choice.findings[0].to_string();
        assert!(
            words.starts_with(&format!(
                "rotated key: the platform's newest checkpoint (the checkpoint of seq 9 signed \
                 at {T2}) is signed by key {}, which is not in checkpoint_keys",
                public(&new_key).key_id()
            )),
            "{words}"
        );
    }

    #[test]
    fn without_configured_keys_the_first_key_is_pinned_and_a_rotation_is_said() {
        let (old_key, new_key, rogue) = (pair(&SEED), pair(&[7; 32]), pair(&[9; 32]));
        let before = sign(&old_key, 5, H1, T1);
        let published = [public(&old_key)];
        let first = KeyRing {
            published: &published,
            ..KeyRing::default()
        };
        let choice = choose(&first, None, Some(&before));
        assert_eq!(
            choice.notices,
            [Notice::FirstUse {
                key_id: before.key_id.clone()
            }]
        );
        let check = ChainCheck::assess(choice, report(5, &[(5, H1)]), false, None, false);
        assert!(check.ok());
        assert_eq!(check.keep_key, Some(public(&old_key)));

        // The platform rotated to a key it publishes: said, and taken.
        let after = sign(&new_key, 9, H2, T2);
        let pinned = [public(&old_key)];
        let published = [public(&new_key), public(&old_key)];
        let ring = KeyRing {
            pinned: &pinned,
            published: &published,
            ..KeyRing::default()
        };
        let choice = choose(&ring, Some(&before), Some(&after));
        let check = ChainCheck::assess(
            choice,
            report(9, &[(5, H1), (9, H2)]),
            false,
            Some(&before),
            false,
        );
        assert!(check.ok(), "{:?}", check.findings);
        assert_eq!(check.keep.as_ref(), Some(&after));
        let words = check.notes[0].to_string();
        assert!(
            words.starts_with(&format!(
                "rotated key: the checkpoint of seq 9 signed at {T2} is signed by key {}, \
                 which this console did not know before (it knew {})",
                after.key_id, before.key_id
            )),
            "{words}"
        );
        assert!(check.summary().contains("key rotated"));

        // A key the platform does not publish is not taken.
        let forged = sign(&rogue, 9, H2, T2);
        let choice = choose(&ring, Some(&before), Some(&forged));
        assert!(matches!(
            choice.findings[..],
            [Finding::UnknownKey {
                configured: false,
                ..
            }]
        ));
        // A published key id with another key's signature is a bad signature.
        let mut lying = sign(&rogue, 9, H2, T2);
        lying.key_id.clone_from(&after.key_id);
        let choice = choose(&ring, Some(&before), Some(&lying));
        assert!(matches!(
            choice.findings[..],
            [Finding::BadSignature { .. }]
        ));
        assert!(choice.notices.is_empty(), "{:?}", choice.notices);
    }

    #[test]
    fn nothing_signed_is_a_note_unless_keys_are_configured() {
        let check = ChainCheck::assess(Choice::default(), report(3, &[]), true, None, false);
        assert!(check.ok());
        assert_eq!(check.notes, [Notice::Unsigned]);
        let check = ChainCheck::assess(Choice::default(), report(3, &[]), true, None, true);
        assert_eq!(check.findings, [Finding::NoCheckpoint]);
        let check = ChainCheck::assess(Choice::default(), report(0, &[]), true, None, true);
        assert!(
            check.ok() && check.notes.is_empty(),
            "an empty chain has no head to sign"
        );
    }
}
