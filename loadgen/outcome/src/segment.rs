//! Execution segments: a deterministic share of a schedule, so that several load workers
//! together send exactly what one process would (k6's execution segments are the model).

use std::fmt;
use std::str::FromStr;

use crate::SegmentError;

/// Segment `index` of `count` (counting from 0): the sends whose number is `index` modulo
/// `count`. The segments of one count are disjoint and together are the whole schedule:
/// the same keys at the same due times, each send in exactly one segment. Striping (rather
/// than cutting the schedule in time ranges) keeps every segment's rate at 1/`count` of the
/// whole at every moment, so every worker carries the same load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExecSegment {
    index: u32,
    count: u32,
}

impl ExecSegment {
    /// The whole schedule: one segment of one.
    pub const WHOLE: ExecSegment = ExecSegment { index: 0, count: 1 };
    /// The most segments a schedule is split into.
    pub const MAX_COUNT: u32 = 1024;

    /// Segment `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<ExecSegment, SegmentError> {
        if count == 0 || count > Self::MAX_COUNT {
            return Err(SegmentError(format!(
                "a schedule splits into 1 to {} segments, not {count}",
                Self::MAX_COUNT
            )));
        }
        if index >= count {
            return Err(SegmentError(format!(
                "segment {index}/{count} does not exist: segments of {count} are numbered 0 to {}",
                count - 1
            )));
        }
        Ok(ExecSegment { index, count })
    }

    /// This segment's number, from 0.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many segments the schedule is split into.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether send number `seq` (from 0) belongs to this segment.
    pub fn contains(&self, seq: u64) -> bool {
        seq % u64::from(self.count) == u64::from(self.index)
    }

    /// This segment's share of `total` things (closed clients, an in-flight cap): the shares
    /// of all segments add up to `total`, and differ by at most one.
    pub fn share_of(&self, total: usize) -> usize {
        let count = self.count as usize;
        total / count + usize::from((self.index as usize) < total % count)
    }
}

impl Default for ExecSegment {
    fn default() -> Self {
        ExecSegment::WHOLE
    }
}

impl fmt::Display for ExecSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ExecSegment {
    type Err = SegmentError;

    /// Parses `I/N`, e.g. `0/4` .. `3/4`.
    fn from_str(s: &str) -> Result<ExecSegment, SegmentError> {
        let bad = || {
            SegmentError(format!(
                "expected a segment as INDEX/COUNT with INDEX from 0, e.g. 0/4, not {s:?}"
            ))
        };
        let (index, count) = s.split_once('/').ok_or_else(bad)?;
        let index = index.trim().parse().map_err(|_| bad())?;
        let count = count.trim().parse().map_err(|_| bad())?;
        ExecSegment::new(index, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_parse_and_refuse_what_does_not_exist() {
        let s: ExecSegment = "2/4".parse().unwrap();
        assert_eq!((s.index(), s.count()), (2, 4));
        assert_eq!(s.to_string(), "2/4");
        for bad in ["4/4", "1/0", "x/2", "1", "-1/2", "0/5000"] {
            let err = bad.parse::<ExecSegment>().unwrap_err().to_string();
            assert!(err.contains("segment"), "{bad}: {err}");
        }
    }

    #[test]
    fn shares_add_up_and_stay_even() {
        for count in 1..=7u32 {
            for total in 0..40usize {
                let shares: Vec<usize> = (0..count)
                    .map(|i| ExecSegment::new(i, count).unwrap().share_of(total))
                    .collect();
                assert_eq!(shares.iter().sum::<usize>(), total);
                let (lo, hi) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
                assert!(hi - lo <= 1, "{shares:?}");
            }
        }
    }

    #[test]
    fn each_send_belongs_to_exactly_one_segment() {
        for count in 1..=5u32 {
            for seq in 0..100u64 {
                let owners = (0..count)
                    .filter(|i| ExecSegment::new(*i, count).unwrap().contains(seq))
                    .count();
                assert_eq!(owners, 1);
            }
        }
    }
}
