//! gameday's game runner: scenario files, simulated teams, the game loop, replay checks.

pub mod capacity;
pub mod debrief;
pub mod disk;
pub mod fleet;
pub mod game;
pub mod scenario;
#[cfg(feature = "views")]
pub mod views;
