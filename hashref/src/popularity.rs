//! Key popularity: a seeded Zipf picker over a keyset's indices, so a few keys are hot.

use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use rand_core::Rng;

use crate::HashrefError;
use crate::key::seeded_stream;

/// Draws key indices with a Zipf distribution: index `i` (rank `i + 1`) has a probability
/// proportional to `1 / (i + 1)^exponent`. Index 0 is the hottest key.
///
/// Sampling is an inverse-CDF lookup (a binary search in a table built once) fed by one
/// 64-bit ChaCha8 word per pick, so the same seed gives the same picks, and clones share
/// the table.
#[derive(Clone, Debug)]
pub struct ZipfPicker {
    cdf: Arc<[f64]>,
    exponent: f64,
    rng: ChaCha8Rng,
}

impl ZipfPicker {
    /// The default Zipf exponent: a classic web-cache popularity.
    pub const DEFAULT_EXPONENT: f64 = 1.0;

    /// The highest exponent allowed (a scenario's `keyset.zipf` and loadgen's `--zipf`):
    /// at 5 the hottest key already takes 96 % of the picks.
    pub const MAX_EXPONENT: f64 = 5.0;

    /// A picker over `n` indices with the given exponent (0 means uniform), seeded by `seed`.
    pub fn new(n: usize, exponent: f64, seed: u64) -> Result<ZipfPicker, HashrefError> {
        if n == 0 {
            return Err(HashrefError::KeysetSize {
                count: 0,
                max: crate::MAX_KEYSET,
            });
        }
        if !exponent.is_finite() || !(0.0..=Self::MAX_EXPONENT).contains(&exponent) {
            return Err(HashrefError::ZipfExponent {
                exponent,
                max: Self::MAX_EXPONENT,
            });
        }
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for rank in 1..=n {
            total += (rank as f64).powf(-exponent);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Ok(ZipfPicker {
            cdf: cdf.into(),
            exponent,
            rng: seeded_stream(seed, b"gameday zipf picker v1.."),
        })
    }

    /// Number of indices the picker draws from.
    pub fn len(&self) -> usize {
        self.cdf.len()
    }

    /// Always false: a picker has at least one index.
    pub fn is_empty(&self) -> bool {
        self.cdf.is_empty()
    }

    /// The exponent the picker was built with.
    pub fn exponent(&self) -> f64 {
        self.exponent
    }

    /// The probability of drawing `index`.
    pub fn probability(&self, index: usize) -> f64 {
        let below = if index == 0 { 0.0 } else { self.cdf[index - 1] };
        self.cdf[index] - below
    }

    /// Draws the next index.
    pub fn pick(&mut self) -> usize {
        // 53 random bits give a uniform double in [0, 1).
        let u = (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        self.cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_picks_other_seed_other_picks() {
        let picks = |seed| {
            let mut p = ZipfPicker::new(1000, 1.0, seed).unwrap();
            (0..200).map(|_| p.pick()).collect::<Vec<_>>()
        };
        assert_eq!(picks(5), picks(5));
        assert_ne!(picks(5), picks(6));
    }

    #[test]
    fn frequencies_follow_zipf() {
        let n = 100;
        let mut p = ZipfPicker::new(n, 1.0, 1).unwrap();
        let draws = 200_000;
        let mut counts = vec![0u32; n];
        for _ in 0..draws {
            counts[p.pick()] += 1;
        }
        // Rank 1 is about twice rank 2 and ten times rank 10 under exponent 1.
        let expected_top = p.probability(0) * draws as f64;
        let sd = (expected_top * (1.0 - p.probability(0))).sqrt();
        assert!((counts[0] as f64 - expected_top).abs() < 5.0 * sd);
        let ratio = counts[0] as f64 / counts[9] as f64;
        assert!((8.0..12.5).contains(&ratio), "rank1/rank10 = {ratio}");
        // The hottest 10 % of keys take most of the traffic: caching pays.
        let top: u32 = counts[..10].iter().sum();
        assert!(top as f64 / draws as f64 > 0.5);
    }

    #[test]
    fn exponent_zero_is_uniform_and_bad_exponents_are_refused() {
        let p = ZipfPicker::new(4, 0.0, 1).unwrap();
        for i in 0..4 {
            assert!((p.probability(i) - 0.25).abs() < 1e-12);
        }
        assert!(ZipfPicker::new(4, -1.0, 1).is_err());
        let err = ZipfPicker::new(4, 99.0, 1).unwrap_err().to_string();
        assert_eq!(err, "the Zipf exponent must be between 0 and 5, not 99");
        assert!(ZipfPicker::new(4, ZipfPicker::MAX_EXPONENT, 1).is_ok());
        assert!(ZipfPicker::new(4, f64::NAN, 1).is_err());
        assert!(ZipfPicker::new(0, 1.0, 1).is_err());
    }

    #[test]
    fn every_pick_is_in_range() {
        let mut p = ZipfPicker::new(3, 2.5, 11).unwrap();
        assert!((0..10_000).all(|_| p.pick() < 3));
    }
}
