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
}

impl Cause {
    /// The key the ledger stores the cause under.
    pub fn key(&self) -> String {
        match self {
            Cause::Batch(id) => format!("batch:{id}"),
            Cause::Block {
                team,
                instance,
                block,
            } => format!("block:{team}/{instance}/{block}"),
            Cause::Adjustment(id) => format!("adjust:{id}"),
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
