//! EC2 billing: a price for every started block of time an instance is pending or running,
//! charged once per (team, instance, block).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Cents, GameTime, Points, ScoreError};

/// What an instance costs and what a dollar is worth in points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BillingRules {
    /// Price of one started block (dollars in rule files: `price = 8`).
    #[serde(with = "dollars_text")]
    pub price: Cents,
    /// Length of a block (`15m`).
    #[serde(with = "crate::rules::duration_text")]
    pub block: Duration,
    /// Points one dollar is worth: a block costs `price × points_per_dollar` points.
    pub points_per_dollar: i64,
}

impl Default for BillingRules {
    fn default() -> Self {
        BillingRules {
            price: Cents(800),
            block: Duration::from_secs(15 * 60),
            points_per_dollar: 50,
        }
    }
}

impl BillingRules {
    pub(crate) fn validate(&self) -> Result<(), ScoreError> {
        if self.block < Duration::from_secs(1) {
            return Err(ScoreError::Rules(
                "billing block must be at least 1s".into(),
            ));
        }
        if self.price.0 < 0 || self.points_per_dollar < 0 {
            return Err(ScoreError::Rules(
                "billing price and points_per_dollar must not be negative".into(),
            ));
        }
        Ok(())
    }

    /// The (negative) points of one block: cents × points per dollar / 100, in milli-points.
    pub fn block_points(&self) -> Points {
        Points(-(self.price.0 * self.points_per_dollar * 10))
    }

    /// The number (from 1) of the block that holds `t`, counting from `anchor`.
    fn block_of(&self, anchor: GameTime, t: GameTime) -> u32 {
        let len = self.block.as_millis().max(1) as u64;
        (t.0.saturating_sub(anchor.0) / len) as u32 + 1
    }
}

/// An instance seen pending or running from `since` until `until` (now, or when it stopped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceRun {
    pub team: String,
    pub instance: String,
    pub instance_type: String,
    pub since: GameTime,
    pub until: GameTime,
}

/// What an inventory source saw at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    pub at: GameTime,
    pub runs: Vec<InstanceRun>,
}

/// One charged block of one instance. Block numbers count from the instance's first
/// launch seen in the game (its anchor), so stopping and starting again within a block
/// is not charged twice, and a block in which it never ran is not charged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingBlock {
    pub team: String,
    pub instance: String,
    pub instance_type: String,
    /// From 1.
    pub block: u32,
    /// The instance's first launch in the game.
    pub anchor: GameTime,
    /// When the block was charged: its start, or the start of the run within it.
    pub at: GameTime,
}

/// The blocks that `run` overlaps and that are not in `charged` yet, given the instance's
/// anchor. Pure: the caller records them (the ledger ignores a block it already has).
pub fn blocks_due(
    rules: &BillingRules,
    run: &InstanceRun,
    anchor: GameTime,
    charged: &HashSet<(String, String, u32)>,
) -> Vec<BillingBlock> {
    if run.until < run.since {
        return Vec::new();
    }
    let first = rules.block_of(anchor, run.since);
    // `until` is the first moment it no longer ran: an instance stopped at 15:00 ran in
    // one block, not two.
    let last_moment = GameTime(run.until.0.saturating_sub(1).max(run.since.0));
    let last = rules.block_of(anchor, last_moment);
    let len = rules.block.as_millis() as u64;
    (first..=last)
        .filter(|b| !charged.contains(&(run.team.clone(), run.instance.clone(), *b)))
        .map(|block| {
            let start = GameTime(anchor.0 + u64::from(block - 1) * len);
            BillingBlock {
                team: run.team.clone(),
                instance: run.instance.clone(),
                instance_type: run.instance_type.clone(),
                block,
                anchor,
                at: start.max(run.since),
            }
        })
        .collect()
}

/// Remembers anchors and charged blocks across observations (and across restarts, from
/// the ledger), and returns what each new observation makes due.
#[derive(Clone, Debug, Default)]
pub struct Biller {
    anchors: HashMap<(String, String), GameTime>,
    charged: HashSet<(String, String, u32)>,
}

impl Biller {
    /// A biller that knows the blocks already charged.
    pub fn resume(blocks: &[BillingBlock]) -> Biller {
        let mut b = Biller::default();
        for block in blocks {
            b.remember(block);
        }
        b
    }

    fn remember(&mut self, block: &BillingBlock) {
        self.anchors
            .entry((block.team.clone(), block.instance.clone()))
            .or_insert(block.anchor);
        self.charged
            .insert((block.team.clone(), block.instance.clone(), block.block));
    }

    /// The blocks an observation makes due, remembered as charged.
    pub fn observe(
        &mut self,
        rules: &BillingRules,
        observation: &Observation,
    ) -> Vec<BillingBlock> {
        let mut due = Vec::new();
        for run in &observation.runs {
            let key = (run.team.clone(), run.instance.clone());
            let anchor = *self.anchors.entry(key).or_insert(run.since);
            for block in blocks_due(rules, run, anchor, &self.charged) {
                self.remember(&block);
                due.push(block);
            }
        }
        due
    }
}

/// One instance in a scenario's script: started at `start`, stopped at `stop` if ever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptedInstance {
    pub team: String,
    pub id: String,
    pub instance_type: String,
    pub start: GameTime,
    pub stop: Option<GameTime>,
}

/// Instances whose start and stop times are written down (scenarios, CI).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptedInventory {
    pub instances: Vec<ScriptedInstance>,
}

impl ScriptedInventory {
    /// What the script says was pending or running up to `at`.
    pub fn observe(&self, at: GameTime) -> Observation {
        let runs = self
            .instances
            .iter()
            .filter(|i| i.start <= at)
            .map(|i| InstanceRun {
                team: i.team.clone(),
                instance: i.id.clone(),
                instance_type: i.instance_type.clone(),
                since: i.start,
                until: i.stop.map_or(at, |s| s.min(at)),
            })
            .collect();
        Observation { at, runs }
    }
}

/// Money as dollars (decimals to the cent) in rule files.
mod dollars_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Cents;

    pub fn serialize<S: Serializer>(c: &Cents, s: S) -> Result<S::Ok, S::Error> {
        if c.0 % 100 == 0 {
            s.serialize_i64(c.0 / 100)
        } else {
            s.serialize_f64(c.0 as f64 / 100.0)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Cents, D::Error> {
        let dollars = f64::deserialize(d)?;
        let cents = (dollars * 100.0).round();
        if !dollars.is_finite() || (dollars * 100.0 - cents).abs() > 1e-6 || cents.abs() > 1e12 {
            return Err(serde::de::Error::custom(format!(
                "${dollars}: use at most two decimals"
            )));
        }
        Ok(Cents(cents as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    fn run(instance: &str, since: u64, until: u64) -> InstanceRun {
        InstanceRun {
            team: "a".into(),
            instance: instance.into(),
            instance_type: "t2.micro".into(),
            since: GameTime(since),
            until: GameTime(until),
        }
    }

    fn observe_all(runs: Vec<InstanceRun>) -> Vec<BillingBlock> {
        let mut b = Biller::default();
        b.observe(
            &BillingRules::default(),
            &Observation {
                at: GameTime(0),
                runs,
            },
        )
    }

    #[test]
    fn the_story_examples() {
        // One instance for 3 minutes: $8.
        assert_eq!(observe_all(vec![run("i-1", 0, 3 * MIN)]).len(), 1);
        // Two instances for 13 minutes: $16.
        assert_eq!(
            observe_all(vec![run("i-1", 0, 13 * MIN), run("i-2", 0, 13 * MIN)]).len(),
            2
        );
        // A block that starts is charged at once: 15 minutes and 1 ms is two blocks.
        let blocks = observe_all(vec![run("i-1", 0, 15 * MIN + 1)]);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1].block, 2);
        assert_eq!(blocks[1].at, GameTime(15 * MIN));
        // Stopped at 15:00 exactly, it never ran in the second block.
        assert_eq!(observe_all(vec![run("i-1", 0, 15 * MIN)]).len(), 1);
    }

    #[test]
    fn each_block_is_charged_once_as_time_goes_on() {
        let rules = BillingRules::default();
        let mut b = Biller::default();
        let mut all = Vec::new();
        for now in (0..=40 * MIN).step_by(MIN as usize) {
            let obs = Observation {
                at: GameTime(now),
                runs: vec![run("i-1", 0, now)],
            };
            all.extend(b.observe(&rules, &obs));
        }
        let numbers: Vec<u32> = all.iter().map(|x| x.block).collect();
        assert_eq!(numbers, [1, 2, 3]);
    }

    #[test]
    fn stopped_and_started_again() {
        let rules = BillingRules::default();
        let mut b = Biller::default();
        // Runs 0–3 min, stops, runs again 5–8 min: still block #1, one charge.
        let first = b.observe(
            &rules,
            &Observation {
                at: GameTime(3 * MIN),
                runs: vec![run("i-1", 0, 3 * MIN)],
            },
        );
        let again = b.observe(
            &rules,
            &Observation {
                at: GameTime(8 * MIN),
                runs: vec![run("i-1", 5 * MIN, 8 * MIN)],
            },
        );
        assert_eq!((first.len(), again.len()), (1, 0));
        // Stopped through block #2, started at 40 min: block #3 only, charged at 40 min.
        let later = b.observe(
            &rules,
            &Observation {
                at: GameTime(41 * MIN),
                runs: vec![run("i-1", 40 * MIN, 41 * MIN)],
            },
        );
        assert_eq!(later.len(), 1);
        assert_eq!((later[0].block, later[0].at), (3, GameTime(40 * MIN)));
    }

    #[test]
    fn a_clock_going_backwards_charges_nothing_twice() {
        let rules = BillingRules::default();
        let mut b = Biller::default();
        let n1 = b
            .observe(
                &rules,
                &Observation {
                    at: GameTime(20 * MIN),
                    runs: vec![run("i-1", 0, 20 * MIN)],
                },
            )
            .len();
        // An inventory whose clock went back: earlier `until`, even `until < since`.
        let n2 = b
            .observe(
                &rules,
                &Observation {
                    at: GameTime(10 * MIN),
                    runs: vec![run("i-1", 0, 10 * MIN)],
                },
            )
            .len();
        let n3 = b
            .observe(
                &rules,
                &Observation {
                    at: GameTime(5 * MIN),
                    runs: vec![run("i-1", 6 * MIN, 5 * MIN)],
                },
            )
            .len();
        assert_eq!((n1, n2, n3), (2, 0, 0));
    }

    #[test]
    fn resume_knows_what_was_charged() {
        let rules = BillingRules::default();
        let mut b = Biller::default();
        let charged = b.observe(
            &rules,
            &Observation {
                at: GameTime(16 * MIN + 1),
                runs: vec![run("i-1", MIN, 16 * MIN + 1)],
            },
        );
        let mut resumed = Biller::resume(&charged);
        let obs = Observation {
            at: GameTime(17 * MIN),
            runs: vec![run("i-1", MIN, 17 * MIN)],
        };
        assert!(resumed.observe(&rules, &obs).is_empty());
        // The anchor survived: block #2 starts at 16 min, not 15.
        let obs = Observation {
            at: GameTime(31 * MIN + 1),
            runs: vec![run("i-1", MIN, 31 * MIN + 1)],
        };
        let next = resumed.observe(&rules, &obs);
        assert_eq!((next[0].block, next[0].at), (3, GameTime(31 * MIN)));
    }

    #[test]
    fn block_points_and_script() {
        assert_eq!(BillingRules::default().block_points(), Points::whole(-400));
        let script = ScriptedInventory {
            instances: vec![ScriptedInstance {
                team: "a".into(),
                id: "i-1".into(),
                instance_type: "t2.micro".into(),
                start: GameTime(MIN),
                stop: Some(GameTime(3 * MIN)),
            }],
        };
        assert!(script.observe(GameTime(0)).runs.is_empty());
        assert_eq!(
            script.observe(GameTime(2 * MIN)).runs[0].until,
            GameTime(2 * MIN)
        );
        assert_eq!(
            script.observe(GameTime(9 * MIN)).runs[0].until,
            GameTime(3 * MIN)
        );
    }
}
