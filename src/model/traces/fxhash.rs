//! A fast non-cryptographic hasher (the rustc "Fx" multiply-rotate) for maps built per trace
//! on the render path. Span ids come from the network, but a crafted collision could only
//! slow one tree build down, never change its result, and the spans held are capped.

use std::hash::{BuildHasherDefault, Hasher};

/// `HashMap`/`HashSet` state using [`FxHasher`].
pub type FxBuild = BuildHasherDefault<FxHasher>;

#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn works_as_a_map_hasher() {
        let mut map: HashMap<&str, usize, FxBuild> = HashMap::default();
        for (i, k) in ["a", "bb", "0123456789abcdef", "0123456789abcdeg"]
            .iter()
            .enumerate()
        {
            map.insert(k, i);
        }
        assert_eq!(map.get("0123456789abcdeg"), Some(&3));
        assert_eq!(map.len(), 4);
    }
}
