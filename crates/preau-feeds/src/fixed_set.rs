//! What an import remembers of the identifiers and logins it has met, in memory that does not
//! grow with the feed: a blocked Bloom filter of a fixed size. Asked about a value, it answers
//! "no" (certain) or "perhaps" (the value was inserted, or rarely a false alarm that the
//! caller confirms or accepts). Each value sets 7 bits of one 512-bit block: one cache line to
//! read, and a feed of a few people touches a few pages of memory, not all of them.

/// Bits set per value.
const BITS_PER_VALUE: u32 = 7;
/// 64-bit words per block (one 64-byte cache line).
const WORDS_PER_BLOCK: usize = 8;

pub(crate) struct FixedSet {
    words: Vec<u64>,
    /// Blocks - 1 (their number is a power of two).
    block_mask: u64,
}

impl FixedSet {
    /// A set of `mib` MiB (a power of two). At 3 million values, 8 MiB gives a false alarm
    /// about once in 5,000 questions, 4 MiB once in 100.
    pub(crate) fn with_mib(mib: usize) -> FixedSet {
        assert!(mib.is_power_of_two(), "a power of two");
        let blocks = mib * 1024 * 1024 / (WORDS_PER_BLOCK * 8);
        // Zeroed memory comes from the system untouched: pages count once values land in them.
        FixedSet { words: vec![0; blocks * WORDS_PER_BLOCK], block_mask: blocks as u64 - 1 }
    }

    /// Records a value by its 128-bit digest (uniformly distributed bits).
    pub(crate) fn insert(&mut self, digest: u128) {
        let (block, bits) = self.place(digest);
        for bit in bits {
            self.words[block + (bit / 64) as usize] |= 1 << (bit % 64);
        }
    }

    /// `false` if the value was never inserted; `true` if it was, or (rarely) was not.
    pub(crate) fn may_contain(&self, digest: u128) -> bool {
        let (block, bits) = self.place(digest);
        bits.into_iter().all(|bit| self.words[block + (bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }

    /// The first word of the value's block, and its bits in the block: the high 64 bits of the
    /// digest choose the block, 9 bits each of the low ones choose the bits.
    fn place(&self, digest: u128) -> (usize, [u32; BITS_PER_VALUE as usize]) {
        let block = (((digest >> 64) as u64) & self.block_mask) as usize * WORDS_PER_BLOCK;
        let low = digest as u64;
        let mut bits = [0; BITS_PER_VALUE as usize];
        for (i, bit) in bits.iter_mut().enumerate() {
            *bit = ((low >> (9 * i)) & 511) as u32;
        }
        (block, bits)
    }
}

/// The 128-bit digest of a value (the first half of its SHA-256).
pub fn digest(s: &str) -> u128 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(s.as_bytes());
    d.iter().take(16).fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_inserted_is_found_and_few_others_are() {
        let mut set = FixedSet::with_mib(1);
        let inserted: Vec<String> = (0..100_000).map(|i| format!("ACADEMIE:{i}")).collect();
        for v in &inserted {
            set.insert(digest(v));
        }
        assert!(inserted.iter().all(|v| set.may_contain(digest(v))), "no false negative");
        // 100,000 values in 1 MiB (84 bits each): false alarms are very rare.
        let alarms = (0..100_000).filter(|i| set.may_contain(digest(&format!("AUTRE:{i}")))).count();
        assert!(alarms < 10, "{alarms} false alarms in 100,000 questions");
    }

    #[test]
    fn a_crowded_set_still_finds_every_value_and_few_others() {
        let mut set = FixedSet::with_mib(1);
        let inserted: Vec<String> = (0..1_000_000).map(|i| i.to_string()).collect();
        for v in &inserted {
            set.insert(digest(v));
        }
        assert!(inserted.iter().all(|v| set.may_contain(digest(v))));
        // 8 bits per value: about one false alarm in 50, which callers confirm or accept.
        let alarms = (0..10_000).filter(|i| set.may_contain(digest(&format!("x{i}")))).count();
        assert!((20..500).contains(&alarms), "{alarms} false alarms in 10,000 questions");
    }

    #[test]
    fn the_size_asked_is_the_size_held() {
        assert_eq!(FixedSet::with_mib(8).words.len() * 8, 8 * 1024 * 1024);
        assert_eq!(FixedSet::with_mib(4).words.len() * 8, 4 * 1024 * 1024);
    }
}
