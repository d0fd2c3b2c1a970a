//! gameday's game runner: scenario files, simulated teams, the game loop, replay checks, and
//! what the commands do around a game (pre-flight checks, the web views and the read-only
//! replica, reports, rescore plans, tokens), so that the binary only parses and prints.

pub mod capacity;
pub mod chaos;
pub mod debrief;
pub mod disk;
pub mod fleet;
pub mod game;
pub mod ledger_names;
pub mod preflight;
pub mod replay;
pub mod report_write;
pub mod rescore_plan;
pub mod runbook;
pub mod scenario;
#[cfg(feature = "views")]
pub mod serve;
pub mod teams;
#[cfg(test)]
mod test_ledger;
#[cfg(feature = "views")]
pub mod views;
