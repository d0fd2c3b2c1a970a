//! How the commands name a game's ledger: a game id from a game's name, a new ledger file's
//! name, and the options that name a ledger again in a command they suggest (never with a
//! PostgreSQL URL, which may hold a password).

use std::path::{Path, PathBuf};

use scoreboard_ledger::LedgerAt;

/// A game id from a game's name: `Spring GameDay 2026` → `spring-gameday-2026` (at most
/// 40 characters, as a PostgreSQL ledger's game ids are).
pub fn game_id(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_matches('-');
    id.chars().take(40).collect()
}

/// A new ledger file in the current directory, named after the game and the time:
/// `gameday-NAME-UNIXTIME.db`.
pub fn fresh_db(name: &str) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    fresh_db_at(name, secs)
}

/// [`fresh_db`] at `unix_secs`.
pub fn fresh_db_at(name: &str, unix_secs: u64) -> PathBuf {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    PathBuf::from(format!("gameday-{slug}-{unix_secs}.db"))
}

/// The options that name a ledger, for a command to suggest (a URL is not repeated: it may
/// hold a password; GAMEDAY_LEDGER carries it).
pub fn ledger_flags(at: &LedgerAt) -> String {
    match at {
        LedgerAt::File(db) => format!("--db {}", db.display()),
        LedgerAt::Postgres { game, .. } => format!("--game {game} (with GAMEDAY_LEDGER set)"),
    }
}

/// The command that resumes a stopped game of `scenario` in the ledger `at`.
pub fn resume_command(scenario: &Path, at: &LedgerAt) -> String {
    let again = match at {
        LedgerAt::File(db) => format!("--db {}", db.display()),
        LedgerAt::Postgres { game, .. } => format!("--ledger URL --game {game}"),
    };
    format!("gameday play {} {again}", scenario.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn game_ids_come_from_names() {
        assert_eq!(game_id("Spring GameDay 2026"), "spring-gameday-2026");
        assert_eq!(game_id("  ci: fault & recovery!"), "ci-fault-recovery");
        assert_eq!(game_id(&"x".repeat(60)).len(), 40);
    }

    #[test]
    fn a_fresh_ledger_is_named_after_the_game_and_the_time() {
        assert_eq!(
            fresh_db_at("Spring Day!", 1_700_000_000),
            PathBuf::from("gameday-spring-day--1700000000.db")
        );
        assert!(fresh_db("x").to_str().unwrap().starts_with("gameday-x-"));
    }

    #[test]
    fn suggested_commands_never_repeat_a_url() {
        let pg = LedgerAt::parse("postgres://u:secret@db/games", Some("spring")).unwrap();
        assert_eq!(ledger_flags(&pg), "--game spring (with GAMEDAY_LEDGER set)");
        let resume = resume_command(Path::new("s.toml"), &pg);
        assert_eq!(resume, "gameday play s.toml --ledger URL --game spring");
        let file = LedgerAt::File("g.db".into());
        assert_eq!(ledger_flags(&file), "--db g.db");
        assert_eq!(
            resume_command(Path::new("s.toml"), &file),
            "gameday play s.toml --db g.db"
        );
    }
}
