//! Fixed Ed25519 keys and checkpoints for the checkpoint tests.

use base64::Engine as _;

use super::{Checkpoint, PublicKey};

/// RFC 8032 test 1's secret key, so the expected signature is fixed.
pub const SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];

pub fn pair(seed: &[u8; 32]) -> aws_lc_rs::signature::Ed25519KeyPair {
    aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(seed).expect("seed")
}

pub fn public(p: &aws_lc_rs::signature::Ed25519KeyPair) -> PublicKey {
    use aws_lc_rs::signature::KeyPair as _;
    PublicKey::parse(&hex::encode(p.public_key().as_ref())).expect("key")
}

pub fn sign(p: &aws_lc_rs::signature::Ed25519KeyPair, seq: i64, head: &str, t: &str) -> Checkpoint {
    let key_id = public(p).key_id();
    let mut c = Checkpoint {
        platform: "prod".into(),
        seq,
        head: head.into(),
        time: t.into(),
        key_id,
        signature: String::new(),
    };
    c.signature =
        base64::engine::general_purpose::STANDARD.encode(p.sign(&c.signed_bytes()).as_ref());
    c
}

pub const H1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
pub const H2: &str = "2222222222222222222222222222222222222222222222222222222222222222";
pub const T1: &str = "2026-12-07T10:00:00.000000Z";
pub const T2: &str = "2026-12-07T11:00:00.000000Z";
