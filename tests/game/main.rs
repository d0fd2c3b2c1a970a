//! The gameday binary end to end, in one test binary: each module runs real games (real
//! processes, sockets, SQLite files, one PostgreSQL server shared by the modules that need
//! it, Chromium, tmux) and checks what an organizer or a team would see. One binary links
//! once and runs its tests side by side, where a binary a file ran each file's games one
//! after the other. The tests that stop or freeze the PostgreSQL server (ledger_faults.rs,
//! frozen_ledger.rs) are binaries of their own: they would stop it under the others.

mod util;

#[path = "../../scoreboard/ledger/tests/support/postgres.rs"]
#[allow(dead_code)]
mod postgres;

#[path = "../../scoreboard/tests/support/receiver.rs"]
#[allow(dead_code)]
mod receiver;

#[path = "../../scoreboard/tests/support/browser.rs"]
mod browser;

mod breaks;
mod chaos_cli;
mod cli;
mod crash;
mod fleet;
mod play_cli;
mod register;
mod replay;
mod report;
mod scenario_errors;
mod slips;
mod split;
mod tui_tmux;
mod web_losses;
mod web_play;
mod web_register;
