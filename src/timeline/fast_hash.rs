//! [`FastHash`]: the hash of the simulator's own look-up tables (the words of each distinct
//! write, `sim::words`; the texts of packed steps, [`super::packed`]). It is FxHash, rustc's:
//! a rotate, a xor and a multiply per eight bytes, where the default SipHash costs several
//! times that on every write of a run. Its keys are the run's own texts, not chosen by anyone
//! to collide, and the tables are only looked up, never walked, so nothing depends on their
//! order.

use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap`'s hasher: `HashMap<K, V, FastHash>`.
pub type FastHash = BuildHasherDefault<FxHasher>;

#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        for &byte in words.remainder() {
            self.add(u64::from(byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn write_usize(&mut self, word: usize) {
        self.add(word as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher as _;

    use super::FastHash;

    #[test]
    fn equal_keys_hash_equal_and_different_ones_apart() {
        let hash = |key: &str| FastHash::default().hash_one(key);
        assert_eq!(hash("250 2.1.0 Ok\r\n"), hash("250 2.1.0 Ok\r\n"));
        let keys =
            ["", "a", "b", "ab", "ba", "RCPT TO:<customer1@example.net>", "RCPT TO:<customer2@example.net>"];
        let mut hashes: Vec<u64> = keys.iter().map(|k| hash(k)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), keys.len());
    }
}
