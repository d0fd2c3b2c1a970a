//! `gameday`: the organizers' command: plays and replays games from scenario files, and
//! reads hashes, keysets and ledgers.

mod chaos_cmds;
mod game_cmds;
mod hash_cmds;
mod ledger_args;
mod ledger_cmds;
mod report_cmds;
mod serve_cmds;
mod token_cmds;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// See Cargo.toml: glibc's arenas kept a big game's bursts.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs AWS-GameDay-style events: load, verification, scoring, billing, live scoreboard.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Plays a game live: expected answers, load on every team, scoring, billing, the
    /// ledger, and a scoreboard. Ctrl-C stops it cleanly; the same command with --db resumes.
    Play(game_cmds::PlayArgs),
    /// Plays a game headless for CI, then checks its [[expect]] entries: exit 0 when all
    /// hold, 1 when one fails, 2 when the scenario is invalid.
    Replay(game_cmds::ReplayArgs),
    /// Serves a read-only web scoreboard of a game's ledger (finished, or being played by
    /// another process): public board, team pages, exports. Controls answer 409.
    Serve(serve_cmds::ServeArgs),
    /// Sends one segment of a game's load when the game is split over machines: follows the
    /// clock, pauses and team URLs the coordinator (`gameday play --workers external`) keeps
    /// in the shared ledger, and writes its outcome batches there.
    Worker(serve_cmds::WorkerArgs),
    /// Checks a scenario file without running it (exit 2 and the file, line and field of
    /// the first problem when it is invalid).
    Check {
        /// The scenario file.
        scenario: std::path::PathBuf,
    },
    /// Makes new tokens for the teams' web pages (or the admin's) and prints them once:
    /// the ledger keeps only their digests. `--csv` for printing and handing out.
    Teams(token_cmds::TeamsArgs),
    /// Prints shell completions: `gameday completions bash > /etc/bash_completion.d/gameday`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Writes the post-game report of a game's ledger: one self-contained HTML file with
    /// the final table, the score race, each team's health over time, fairness, where points
    /// were lost, and the timeline.
    Report(report_cmds::ReportArgs),
    /// Writes the handout teams get, from the scenario itself: what the service must
    /// answer, the SLA and points, the billing rule with examples, how to sign in and
    /// register, how to read score events, what to try when things break, where the board is.
    /// One self-contained HTML file (or `--markdown`).
    Runbook(report_cmds::RunbookArgs),
    /// The instructor's breaks outside a game: `plan` says what each break of a scenario
    /// would touch, changing nothing; `restore` puts back what a game left broken.
    Chaos {
        #[command(subcommand)]
        command: chaos_cmds::ChaosCommand,
    },
    /// Prints a game's score events (time, source, points, reason): what teams see.
    Events(ledger_cmds::EventsArgs),
    /// Rebuilds every score event from the recorded batches, blocks and adjustments, under
    /// the stored rules or new ones, and prints each team's old and new totals.
    Rescore(ledger_cmds::RescoreArgs),
    /// Prints the unicorn hash of KEY: the answer a team server must give for it.
    Hash {
        /// A key like 3615-7184-2117.
        key: String,
        #[command(flatten)]
        hash: hash_cmds::HashArgs,
    },
    /// Prints a game's keyset, one key a line, in the order the game numbers them.
    Keys {
        #[command(flatten)]
        keyset: hash_cmds::KeysetArgs,
    },
    /// Builds a game's expected-answer table (with a progress bar) and caches it on disk,
    /// so that the game itself starts at once. Prints how long it took.
    Answers {
        #[command(flatten)]
        keyset: hash_cmds::KeysetArgs,
        #[command(flatten)]
        hash: hash_cmds::HashArgs,
        /// Neither read nor write the disk cache (to time a cold build).
        #[arg(long)]
        no_cache: bool,
    },
}

fn main() -> ExitCode {
    loadgen::no_huge_pages();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // A closed pipe (`gameday keys | head`) is the reader's choice, not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gameday: {}", loadgen::error_chain(e.as_ref()));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Not locked for the whole command: the terminal cockpit writes to stdout from its thread.
    let mut out = std::io::stdout();
    match cli.command {
        Command::Play(args) => return game_cmds::play(args, &mut out),
        Command::Replay(args) => return game_cmds::replay(args, &mut out),
        Command::Serve(args) => return serve_cmds::serve(args, &mut out),
        Command::Worker(args) => return serve_cmds::worker(args, &mut out),
        Command::Teams(args) => token_cmds::teams(args, &mut out)?,
        Command::Check { scenario } => return game_cmds::check(&scenario, &mut out),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "gameday", &mut out);
        }
        Command::Report(args) => return report_cmds::report(args, &mut out),
        Command::Runbook(args) => return report_cmds::runbook(args, &mut out),
        Command::Chaos { command } => return chaos_cmds::chaos(command, &mut out),
        Command::Events(args) => ledger_cmds::events(args, &mut out)?,
        Command::Rescore(args) => ledger_cmds::rescore(args, &mut out)?,
        Command::Hash { key, hash } => hash_cmds::hash(&key, hash, &mut out)?,
        Command::Keys { keyset } => hash_cmds::keys(keyset, &mut out)?,
        Command::Answers {
            keyset,
            hash,
            no_cache,
        } => hash_cmds::answers(keyset, hash, no_cache, &mut out)?,
    }
    Ok(ExitCode::SUCCESS)
}
