//! The game runner: from a scenario to a played game. Builds the expected answers, opens
//! (or resumes) the ledger, starts the simulated teams and the load, and turns every outcome
//! batch and billing block into recorded score events until the game ends or is stopped.

mod board;
mod breaks;
mod chaos;
mod clock;
mod control;
mod core;
mod error;
mod expect;
mod hook;
mod inventory;
mod link;
mod load;
mod lock;
mod options;
mod outbox;
mod probe;
mod reads;
mod record;
mod replica;
mod report;
mod run;
mod signal;
mod snapshot;
mod timeline;
mod worker;

pub use self::core::Signal;
pub(crate) use self::core::breaks::break_seed;
pub use board::{format_board, format_results};
pub use chaos::supported as breaks_supported;
#[cfg(feature = "aws")]
pub(crate) use chaos::{aws::restore as restore_real_break, target_of as chaos_target};
pub use error::GameError;
pub use expect::{Verdict, check_expectations};
pub use hook::HookRun;
pub use inventory::supported as billing_supported;
pub use load::build_answer_table;
pub use lock::{PlayLock, lock_path};
pub use options::{GameOptions, Workers};
pub use outbox::DEFAULT_CAPACITY as DEFAULT_LEDGER_BUFFER;
pub use replica::{Replica, ReplicaNews};
pub use report::{Report, junit_xml};
pub use run::{GameOutcome, play};
pub use snapshot::{Flags, load_now, snapshot};
pub use timeline::{describe_fault, describe_step_from};
pub use worker::{WorkerOutcome, work};
