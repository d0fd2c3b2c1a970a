//! `gameday`: the organizers' command (it grows a game runner in later issues).

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hashref::{HashParams, Key, Keyset};

/// Runs AWS-GameDay-style events: load, verification, scoring, billing, live scoreboard.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Prints the unicorn hash of KEY: the answer a team server must give for it.
    Hash {
        /// A key like 3615-7184-2117.
        key: String,
        /// PBKDF2 salt.
        #[arg(long, default_value_t = HashParams::default().salt, value_name = "S")]
        salt: String,
        /// PBKDF2 iterations.
        #[arg(long, default_value_t = HashParams::default().iterations, value_name = "N")]
        iterations: u32,
    },
    /// Prints a game's keyset, one key a line, in the order the game numbers them.
    Keys {
        /// The game seed.
        #[arg(long, default_value_t = 1, value_name = "S")]
        seed: u64,
        /// How many keys.
        #[arg(long, default_value_t = 1000, value_name = "N")]
        count: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gameday: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Hash {
            key,
            salt,
            iterations,
        } => {
            let key = Key::parse(&key)?;
            let params = HashParams::new(salt, iterations)?;
            writeln!(out, "{}", params.answer(key.as_str()))?;
        }
        Command::Keys { seed, count } => {
            let keyset = Keyset::generate(seed, count)?;
            for key in keyset.keys() {
                writeln!(out, "{key}")?;
            }
        }
    }
    Ok(())
}
