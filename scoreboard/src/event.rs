//! Score events, their sources, their causes, and organizer adjustments.

use serde::{Deserialize, Serialize};

use crate::{GameTime, Points};

/// Where points came from, as a team sees it in the Source column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Source {
    /// The load generator's verdict on the team's answers.
    LoadGen,
    /// EC2 charges.
    Billing,
    /// A person running the game.
    Organizer,
    /// The engine about itself (a voided tick).
    Engine,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::LoadGen => "LoadGen",
            Source::Billing => "Billing",
            Source::Organizer => "Organizer",
            Source::Engine => "Engine",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        [
            Source::LoadGen,
            Source::Billing,
            Source::Organizer,
            Source::Engine,
        ]
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(text))
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The recorded thing an event was derived from, by its idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Cause {
    /// An outcome batch, by its id.
    Batch(String),
    /// A billing block: team, instance, block number.
    Block {
        team: String,
        instance: String,
        block: u32,
    },
    /// An organizer adjustment, by its id.
    Adjustment(String),
    /// The missing load segments of one team's tick in a split game.
    Void { team: String, run: u64, tick: u64 },
}

impl Cause {
    /// The key the ledger stores the cause under.
    /// The key of the batch `id`'s cause: that of `Cause::Batch(id.to_string())`.
    pub fn batch_key(id: loadgen::BatchId) -> String {
        format!("batch:{id}")
    }

    pub fn key(&self) -> String {
        match self {
            Cause::Batch(id) => format!("batch:{id}"),
            Cause::Block {
                team,
                instance,
                block,
            } => format!("block:{team}/{instance}/{block}"),
            Cause::Adjustment(id) => format!("adjust:{id}"),
            Cause::Void { team, run, tick } => format!("void:{team}/r{run}/k{tick}"),
        }
    }
}

/// One line of a team's score: when, who, from where, how many points, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreEvent {
    /// Game time.
    pub at: GameTime,
    pub team: String,
    pub source: Source,
    pub points: Points,
    /// Written for a team under pressure: how many, what, and an example.
    pub reason: String,
    /// Key of the cause this event was derived from.
    pub cause: String,
    /// Position among the events of the same cause.
    pub seq: u32,
}

impl std::fmt::Display for ScoreEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}  {:>8}  {:<9}  {}",
            self.at,
            self.points.to_string(),
            self.source.name(),
            self.reason
        )
    }
}

/// Points an organizer gives or takes, with a reason (audited: who, when).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// Unique id (the idempotency key).
    pub id: String,
    pub at: GameTime,
    pub team: String,
    pub points: Points,
    pub reason: String,
    /// Who made it.
    pub by: String,
}

/// In a game split over load workers, the segments whose batch for one team's tick had not
/// arrived when the tick was scored: their share of the load is voided (never charged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentVoid {
    pub at: GameTime,
    pub team: String,
    pub run: u64,
    pub tick: u64,
    /// How many segments the game is split into (0: no worker had joined yet).
    pub segments: u32,
    /// The segments missing, by number from 0.
    pub missing: Vec<u32>,
}
