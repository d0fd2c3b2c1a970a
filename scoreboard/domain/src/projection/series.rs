//! A team's history redrawn for a chart ([`Series`]): one point per group of buckets over a
//! stretch of game time, rates per second and running totals, whatever the buckets' widths
//! (a second in the last minutes, [`super::COARSE`] before).

use super::history::{Bucket, ERROR_KINDS, FINE_MS, History};
use crate::GameTime;

/// A team's history redrawn at a coarser step for a chart: one point per group of buckets
/// from `from` to `to` (both included), rates per second and running totals.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Series {
    /// Each point's time (the start of its last bucket), in game seconds.
    pub t: Vec<f64>,
    /// Score (points) at each point's end.
    pub score: Vec<f64>,
    pub correct_per_s: Vec<f64>,
    /// Errors a second by kind name, only the kinds that happened.
    pub errors_per_s: Vec<(String, Vec<f64>)>,
    /// The highest p50 and p99 within each point; NaN (`null` in JSON: a gap in a chart)
    /// where nothing was answered.
    pub p50_ms: Vec<f64>,
    pub p99_ms: Vec<f64>,
    /// Instances billed on average within each point.
    pub instances: Vec<f64>,
    /// Dollars charged so far.
    pub cost: Vec<f64>,
}

impl History {
    /// The series from `from` to `to` (the buckets that hold them included) at about
    /// `points` points: each point is a run of whole buckets at least `(to - from) / points`
    /// long, so where the history is coarse a point may be longer.
    pub fn series(&self, from: GameTime, to: GameTime, points: usize) -> Series {
        let step = (to.0.saturating_sub(from.0) + FINE_MS).div_ceil(points.max(1) as u64);
        let mut s = Series::default();
        let mut errors = vec![Vec::new(); ERROR_KINDS.len()];
        let (mut score, mut cost) = (0i64, 0i64);
        let mut spans = self.spans().peekable();
        while let Some(span) = spans.next_if(|s| s.from.0 + s.width.as_millis() as u64 <= from.0) {
            score += span.bucket.points;
            cost += i64::from(span.bucket.cost_cents);
        }
        // Points start at `from`'s bucket, whether stored or not (a chart of a game just
        // begun has its points still empty).
        let first_ms = spans
            .peek()
            .map_or(from.0 / FINE_MS * FINE_MS, |s| s.from.0.min(from.0));
        let mut at = first_ms;
        while at <= to.0 {
            let (mut b, mut end, mut last) = (Bucket::default(), at, at);
            while end < at + step.max(1) {
                match spans.next_if(|s| s.from.0 <= to.0) {
                    Some(span) if span.from.0 >= end => {
                        b = b.merged(&span.bucket);
                        last = span.from.0;
                        end = span.from.0 + span.width.as_millis() as u64;
                    }
                    Some(span) => {
                        // Overlaps the one before (a coarse bucket past the fold): merged in.
                        b = b.merged(&span.bucket);
                        last = last.max(span.from.0);
                        end = end.max(span.from.0 + span.width.as_millis() as u64);
                    }
                    None => {
                        // Past what is stored: empty seconds.
                        last = end;
                        end += FINE_MS;
                    }
                }
                if end > to.0 && spans.peek().is_none_or(|s| s.from.0 > to.0) {
                    break;
                }
            }
            let secs = (end - at) as f64 / 1000.0;
            score += b.points;
            cost += i64::from(b.cost_cents);
            s.t.push(last as f64 / 1000.0);
            s.score.push(score as f64 / 1000.0);
            s.correct_per_s.push(f64::from(b.correct) / secs);
            for (e, n) in errors.iter_mut().zip(b.errors) {
                e.push(f64::from(n) / secs);
            }
            let answered = b.correct > 0 || b.error_total() > 0;
            let latency = |ms: u32| if answered { f64::from(ms) } else { f64::NAN };
            s.p50_ms.push(latency(b.p50_ms));
            s.p99_ms.push(latency(b.p99_ms));
            s.instances.push(f64::from(b.instance_ms) / 1000.0 / secs);
            s.cost.push(cost as f64 / 100.0);
            at = end;
        }
        s.errors_per_s = ERROR_KINDS
            .iter()
            .zip(errors)
            .filter(|(_, v)| v.iter().any(|&x| x > 0.0))
            .map(|(k, v)| (k.name().to_owned(), v))
            .collect();
        s
    }
}
