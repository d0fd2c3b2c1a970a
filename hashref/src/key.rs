//! Game keys (`3615-7184-2117`) and the seeded keyset a game draws them from.

use std::collections::HashSet;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::HashrefError;

/// Length of a key in bytes: three groups of four digits and two dashes.
pub const KEY_LEN: usize = 14;

/// The largest keyset a game may draw. A million keys is already far more than a cache
/// can be expected to hold, and its answer table takes minutes to build.
pub const MAX_KEYSET: usize = 1_000_000;

/// One key: three groups of four ASCII digits joined by dashes, like `3615-7184-2117`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key([u8; KEY_LEN]);

/// Why a string is not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected three groups of four digits like 3615-7184-2117, got {got:?}")]
pub struct KeyParseError {
    /// The text that was offered (cut to 40 characters).
    pub got: String,
}

impl Key {
    /// Builds a key from its three groups, each below 10 000.
    pub fn from_groups(groups: [u16; 3]) -> Key {
        let mut bytes = *b"0000-0000-0000";
        for (i, group) in groups.iter().enumerate() {
            assert!(*group < 10_000, "a key group has four digits");
            let mut g = *group;
            for pos in (0..4).rev() {
                bytes[i * 5 + pos] = b'0' + (g % 10) as u8;
                g /= 10;
            }
        }
        Key(bytes)
    }

    /// Parses a key, accepting exactly the `dddd-dddd-dddd` shape.
    pub fn parse(text: &str) -> Result<Key, KeyParseError> {
        let err = || KeyParseError {
            got: text.chars().take(40).collect(),
        };
        let bytes: [u8; KEY_LEN] = text.as_bytes().try_into().map_err(|_| err())?;
        let well_formed = bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 9 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
        if well_formed {
            Ok(Key(bytes))
        } else {
            Err(err())
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("keys are ASCII")
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.as_str())
    }
}

impl std::str::FromStr for Key {
    type Err = KeyParseError;
    fn from_str(s: &str) -> Result<Key, KeyParseError> {
        Key::parse(s)
    }
}

/// The seeded ChaCha8 stream for one purpose of one game seed.
///
/// The 32-byte ChaCha key is the seed (little endian) followed by a fixed label, so the
/// stream depends only on the ChaCha8 algorithm and this layout: not on `seed_from_u64`'s
/// expansion or on any sampling code in `rand`, both of which have changed across versions.
pub(crate) fn seeded_stream(seed: u64, label: &[u8; 24]) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..].copy_from_slice(label);
    ChaCha8Rng::from_seed(key)
}

/// An unbiased draw below `bound` from raw 32-bit words, by rejection. Written out (rather
/// than `gen_range`) because its exact mapping is part of the keyset's stability promise.
fn draw_below(rng: &mut ChaCha8Rng, bound: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let x = rng.next_u32();
        if x < zone {
            return x % bound;
        }
    }
}

/// The constrained set of keys a game sends, drawn from its seed.
///
/// `Keyset::generate(seed, count)` gives the same keys, in the same order, on every platform
/// and with every version of this crate: a test pins the first keys of fixed seeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyset {
    seed: u64,
    keys: Vec<Key>,
}

impl Keyset {
    /// Draws `count` distinct keys from `seed`.
    pub fn generate(seed: u64, count: usize) -> Result<Keyset, HashrefError> {
        if count == 0 || count > MAX_KEYSET {
            return Err(HashrefError::KeysetSize {
                count,
                max: MAX_KEYSET,
            });
        }
        let mut rng = seeded_stream(seed, b"gameday keyset v1.......");
        let mut seen = HashSet::with_capacity(count);
        let mut keys = Vec::with_capacity(count);
        while keys.len() < count {
            let groups = [0; 3].map(|_: u16| draw_below(&mut rng, 10_000) as u16);
            let key = Key::from_groups(groups);
            if seen.insert(key) {
                keys.push(key);
            }
        }
        Ok(Keyset { seed, keys })
    }

    /// The seed the keyset was drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The keys, in drawing order. Index `i` here is key `i` everywhere else.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a keyset holds at least one key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key at `index`.
    pub fn get(&self, index: usize) -> Option<Key> {
        self.keys.get(index).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_the_key_shape() {
        let key = Key::parse("3615-7184-2117").unwrap();
        assert_eq!(key.as_str(), "3615-7184-2117");
        assert_eq!(Key::from_groups([3615, 7184, 2117]), key);
        for bad in [
            "",
            "3615-7184-211",
            "3615-7184-21170",
            "3615_7184-2117",
            "3615-7184-211a",
            "361５-7184-2117",
            " 3615-7184-2117",
        ] {
            let err = Key::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains("three groups of four digits"),
                "{bad}"
            );
        }
    }

    #[test]
    fn from_groups_pads_with_zeros() {
        assert_eq!(Key::from_groups([0, 7, 9999]).as_str(), "0000-0007-9999");
    }

    #[test]
    fn keysets_are_distinct_and_sized() {
        let ks = Keyset::generate(42, 5000).unwrap();
        assert_eq!(ks.len(), 5000);
        let distinct: HashSet<_> = ks.keys().iter().collect();
        assert_eq!(distinct.len(), 5000);
        assert!(Keyset::generate(1, 0).is_err());
        assert!(Keyset::generate(1, MAX_KEYSET + 1).is_err());
    }

    #[test]
    fn a_larger_keyset_extends_a_smaller_one() {
        let small = Keyset::generate(9, 10).unwrap();
        let large = Keyset::generate(9, 100).unwrap();
        assert_eq!(small.keys(), &large.keys()[..10]);
    }
}
