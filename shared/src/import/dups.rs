//! Duplicate emails within one file: [`DuplicateTracker`].
//!
//! It sees every valid row of a whole-file pass (a million and more), so it is built for
//! that: a 128-bit hash per distinct key (never the key itself), kept in a dense list in
//! first-seen order and found through an open-addressing table of 8-byte slots. A new key
//! touches one slot and appends to the list: about 40 MB at a million keys where a std
//! `HashMap` of 32-byte buckets took 66 MB, and no SipHash or 64x64->128-bit multiply (a
//! library call in wasm). A pass still pays about one cache miss per distinct key.

use crate::api::{ErrorCode, Field, FieldError};
use crate::text::ellipsis;

use super::ferr;

/// A slot: 0 = free, else the tag (the key hash's top bits) above the entry's index + 1.
const INDEX_BITS: u32 = 40;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

/// One distinct key: its 128-bit hash and the line it was last seen on.
#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: [u64; 2],
    line: u64,
}

/// Finds rows with the same email key inside one file: the later row wins, the earlier one
/// is reported. Keeps about 40 bytes per distinct email (24 in the list, up to 16 in the
/// table, which is at most half full, and up to 2 in its bit filter).
#[derive(Debug, Clone, Default)]
pub struct DuplicateTracker {
    /// Linear probing over a power-of-two table.
    slots: Vec<u64>,
    entries: Vec<Entry>,
    /// One bit per slot's worth of bytes (8 per slot), set for each key's second hash half:
    /// a key whose bit is clear was never seen. A split check's merge looks up half a
    /// million keys of which nearly none are here; this eighth of the table's size answers
    /// most of them without a cache (and TLB) miss into the table.
    seen_bits: Vec<u64>,
}

impl DuplicateTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `line` has `email_key`; returns the earlier line with the same key, which
    /// this row now supersedes (the later row wins).
    pub fn see(&mut self, email_key: &str, line: u64) -> Option<u64> {
        self.see_hash(key_hash(email_key), line)
    }

    /// [`DuplicateTracker::see`] of a key's [`key_hash`].
    pub(crate) fn see_hash(&mut self, hash: [u64; 2], line: u64) -> Option<u64> {
        self.reserve(1);
        match self.probe(hash) {
            Ok(entry) => Some(std::mem::replace(&mut self.entries[entry].line, line)),
            Err(free) => {
                self.entries.push(Entry { hash, line });
                self.slots[free] = (hash[0] & !INDEX_MASK) | self.entries.len() as u64;
                self.set_seen_bit(&hash);
                None
            }
        }
    }

    /// Where `hash` is: `Ok` with its entry's index, or `Err` with the free slot where
    /// linear probing ended (the table is never full).
    #[inline]
    fn probe(&self, hash: [u64; 2]) -> Result<usize, usize> {
        let tag = hash[0] >> INDEX_BITS;
        let mask = self.slots.len() - 1;
        let mut i = hash[0] as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return Err(i);
            }
            if slot >> INDEX_BITS == tag {
                let entry = (slot & INDEX_MASK) as usize - 1;
                if self.entries[entry].hash == hash {
                    return Ok(entry);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The line a key was last seen on, if it was.
    pub(crate) fn find(&self, hash: &[u64; 2]) -> Option<u64> {
        if !self.may_have(hash) {
            return None;
        }
        let entry = self.probe(*hash).ok()?;
        Some(self.entries[entry].line)
    }

    /// [`DuplicateTracker::find`] of each of `hashes` into `out`. The first slot and entry of
    /// every key are read first: those reads do not wait on each other, so their cache misses
    /// overlap instead of coming one after the other.
    pub(crate) fn find_many<'a>(
        &self,
        hashes: impl Iterator<Item = &'a [u64; 2]> + Clone,
        out: &mut Vec<Option<u64>>,
    ) {
        out.clear();
        self.warm(hashes.clone().filter(|hash| self.may_have(hash)));
        out.extend(hashes.map(|hash| self.find(hash)));
    }

    /// Makes room for `new_keys` more keys, so that adding them moves nothing (and what
    /// [`DuplicateTracker::warm`] read stays where it was).
    pub(crate) fn reserve(&mut self, new_keys: usize) {
        let needed = self.entries.len() + new_keys;
        if needed >= self.slots.len() / 2 {
            self.entries.reserve(new_keys);
            self.rebuild((needed * 2 + 1).next_power_of_two().max(16));
        }
    }

    /// Reads the first slot, and the entry it names, of each of `hashes` before they are
    /// looked up one by one. Those reads do not wait on each other, so their cache misses
    /// overlap: a lookup right after one row's parsing pays a whole miss on its own (wasm
    /// has no prefetch instruction to start it earlier).
    pub(crate) fn warm<'a>(&self, hashes: impl Iterator<Item = &'a [u64; 2]>) {
        if self.slots.is_empty() {
            return;
        }
        let mask = self.slots.len() - 1;
        let mut touched = 0u64;
        for hash in hashes {
            let slot = self.slots[hash[0] as usize & mask];
            if slot != 0 && slot >> INDEX_BITS == hash[0] >> INDEX_BITS {
                touched ^= self.entries[(slot & INDEX_MASK) as usize - 1].line;
            }
        }
        // Keeps the reads from being optimised away.
        std::hint::black_box(touched);
    }

    /// The `duplicate_email` error to report at the superseded `earlier` line.
    pub fn duplicate_error(email: &str, later_line: u64) -> FieldError {
        let shown = ellipsis(email, 80);
        let mut e = ferr(
            Field::Email,
            ErrorCode::DuplicateEmail,
            format!(
                "Email {shown} appears again on line {later_line}; that later row is imported and this one is skipped."
            ),
        );
        e.params = Some(crate::codes::ErrorParams {
            line: Some(later_line),
            ..crate::codes::ErrorParams::value(shown.into_owned())
        });
        e
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// False when `hash` was certainly never seen (its bit in `seen_bits` is clear).
    #[inline]
    fn may_have(&self, hash: &[u64; 2]) -> bool {
        let Some(mask) = (self.seen_bits.len() * 64).checked_sub(1) else {
            return false;
        };
        let bit = hash[1] as usize & mask;
        self.seen_bits[bit / 64] & (1 << (bit % 64)) != 0
    }

    #[inline]
    fn set_seen_bit(&mut self, hash: &[u64; 2]) {
        let bit = hash[1] as usize & (self.seen_bits.len() * 64 - 1);
        self.seen_bits[bit / 64] |= 1 << (bit % 64);
    }

    /// Refills a table of `size` slots from the list.
    fn rebuild(&mut self, size: usize) {
        // 8 bits per slot: a power of two, like `size`, of at least one word.
        self.seen_bits.clear();
        self.seen_bits.resize((size / 8).max(1), 0);
        for i in 0..self.entries.len() {
            let hash = self.entries[i].hash;
            self.set_seen_bit(&hash);
        }
        self.slots.clear();
        self.slots.resize(size, 0);
        let mask = size - 1;
        for (n, e) in self.entries.iter().enumerate() {
            let mut i = e.hash[0] as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = ((e.hash[0] >> INDEX_BITS) << INDEX_BITS) | (n as u64 + 1);
        }
    }
}

/// MurmurHash3 (x64, 128-bit, seed 0) of the key. Only 64-bit multiplies keeping the low
/// half, which wasm has as one instruction (a 64x64->128-bit multiply is a call there).
pub(crate) fn key_hash(key: &str) -> [u64; 2] {
    const C1: u64 = 0x87c3_7b91_1142_53d5;
    const C2: u64 = 0x4cf5_ad43_2745_937f;
    let b = key.as_bytes();
    let (mut h1, mut h2) = (0u64, 0u64);
    let mut blocks = b.chunks_exact(16);
    for block in &mut blocks {
        let (k1, k2) = block.split_at(8);
        h1 ^= mix_k1(u64::from_le_bytes(k1.try_into().unwrap_or_default()));
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        h2 ^= mix_k2(u64::from_le_bytes(k2.try_into().unwrap_or_default()));
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut last = [0u8; 16];
        last[..tail.len()].copy_from_slice(tail);
        let (k1, k2) = last.split_at(8);
        if tail.len() > 8 {
            h2 ^= mix_k2(u64::from_le_bytes(k2.try_into().unwrap_or_default()));
        }
        h1 ^= mix_k1(u64::from_le_bytes(k1.try_into().unwrap_or_default()));
    }
    h1 ^= b.len() as u64;
    h2 ^= b.len() as u64;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    return [h1, h2];

    fn mix_k1(k: u64) -> u64 {
        k.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2)
    }
    fn mix_k2(k: u64) -> u64 {
        k.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1)
    }
    fn fmix(mut k: u64) -> u64 {
        k ^= k >> 33;
        k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
        k ^= k >> 33;
        k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        k ^ (k >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference implementation's values (smhasher's MurmurHash3_x64_128, seed 0).
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn key_hash_is_murmur3_x64_128() {
        for (key, h1, h2) in [
            ("", 0, 0),
            ("a", 0x8555_5565_f659_7889, 0xe6b5_3a48_510e_895a),
            ("hello", 0xcbd8_a7b3_41bd_9b02, 0x5b1e_906a_48ae_1d19),
            (
                "jennifermartinez1@abv.bg",
                0x4556_a59d_b8b7_6e58,
                0xd72b_0e55_4d94_b8e1,
            ),
            (
                "The quick brown fox jumps over the lazy dog",
                0xe34b_bc7b_bc07_1b6c,
                0x7a43_3ca9_c49a_9347,
            ),
        ] {
            assert_eq!(key_hash(key), [h1, h2], "{key:?}");
        }
    }

    /// Near-identical keys get different values in each half (no collision among many).
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn key_hash_separates_similar_keys() {
        let mut halves = [
            std::collections::HashSet::new(),
            std::collections::HashSet::new(),
        ];
        for i in 0..100_000u32 {
            for k in [
                format!("user{i}@x.bg"),
                format!("user{i}@x.bh"),
                format!("{i}"),
                format!("{i}\0"),
            ] {
                let h = key_hash(&k);
                for (seen, half) in halves.iter_mut().zip(h) {
                    assert!(seen.insert(half), "{k}");
                }
            }
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_later_row_wins_and_each_repeat_names_the_row_before() {
        let mut t = DuplicateTracker::new();
        assert!(t.is_empty());
        assert_eq!(t.see("a@x.bg", 2), None);
        assert_eq!(t.see("b@x.bg", 3), None);
        assert_eq!(t.see("a@x.bg", 5), Some(2));
        assert_eq!(t.see("a@x.bg", 9), Some(5));
        assert_eq!(t.len(), 2);
    }

    /// Growing keeps every key and its latest line: the tracker answers as a plain map does.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn growing_keeps_every_key_and_its_latest_line() {
        let mut t = DuplicateTracker::new();
        let mut model = std::collections::HashMap::new();
        for line in 0..50_000u64 {
            // Every key comes back, many several times.
            let key = format!("user{}@example.com", (line * 7919) % 20_011);
            assert_eq!(t.see(&key, line), model.insert(key, line), "line {line}");
        }
        assert_eq!(t.len(), model.len());
        assert!(t.slots.len() >= 2 * t.len());
        // Found from outside: every key with its latest line, and no key never seen (the bit
        // filter may let an unseen key through to the table, never keep a seen one out).
        let keys: Vec<[u64; 2]> = model.keys().map(|k| key_hash(k)).collect();
        let mut found = Vec::new();
        t.find_many(keys.iter(), &mut found);
        let expected: Vec<Option<u64>> = model.values().map(|&l| Some(l)).collect();
        assert_eq!(found, expected);
        let unseen: Vec<[u64; 2]> = (0..20_000)
            .map(|i| key_hash(&format!("nobody{i}@x.bg")))
            .collect();
        t.find_many(unseen.iter(), &mut found);
        assert!(found.iter().all(Option::is_none));
        let passed = unseen.iter().filter(|h| t.may_have(h)).count();
        assert!(
            passed < unseen.len() / 8,
            "{passed} unseen keys passed the filter"
        );
    }
}
