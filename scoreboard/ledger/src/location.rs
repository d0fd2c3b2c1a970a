//! Where a game's ledger lives: a SQLite file, or a game (schema) in a PostgreSQL database
//! shared by the processes of a game split over machines. Opening goes through here.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Ledger, SqliteLedger};
use crate::LedgerError;

/// A ledger's place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerAt {
    /// A SQLite file.
    File(PathBuf),
    /// One game in a PostgreSQL database (each game has its own schema).
    Postgres { url: String, game: String },
}

impl LedgerAt {
    /// Reads `spec`: a `postgres://` (or `postgresql://`) URL, which needs `game`, or else
    /// the path of a SQLite file.
    pub fn parse(spec: &str, game: Option<&str>) -> Result<LedgerAt, LedgerError> {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            let game = game.ok_or_else(|| {
                LedgerError::Config(
                    "a PostgreSQL ledger holds several games: say which with --game ID".into(),
                )
            })?;
            game_schema(game)?;
            return Ok(LedgerAt::Postgres {
                url: spec.to_owned(),
                game: game.to_owned(),
            });
        }
        if spec.contains("://") {
            return Err(LedgerError::Config(format!(
                "a ledger is a SQLite file or a postgres:// URL, not {}",
                redact(spec)
            )));
        }
        Ok(LedgerAt::File(PathBuf::from(spec)))
    }

    /// Opens the ledger, creating it (the file, the game's schema) when it is not there.
    pub fn open(&self) -> Result<Box<dyn Ledger + Send>, LedgerError> {
        match self {
            LedgerAt::File(path) => Ok(Box::new(SqliteLedger::open(path)?)),
            LedgerAt::Postgres { url, game } => postgres(url, game),
        }
    }

    /// Opens a ledger that must already be there: a SQLite file that exists, or a game that
    /// a PostgreSQL database already holds (a typo must not start an empty one).
    pub fn open_existing(&self) -> Result<Box<dyn Ledger + Send>, LedgerError> {
        match self {
            LedgerAt::File(path) => Ok(Box::new(SqliteLedger::open_existing(path)?)),
            LedgerAt::Postgres { .. } => {
                let ledger = self.open()?;
                if ledger.meta()?.is_none() {
                    return Err(LedgerError::Incompatible(format!(
                        "{self} holds no game yet"
                    )));
                }
                Ok(ledger)
            }
        }
    }

    /// The file, for a SQLite ledger.
    pub fn file(&self) -> Option<&Path> {
        match self {
            LedgerAt::File(path) => Some(path),
            LedgerAt::Postgres { .. } => None,
        }
    }
}

#[cfg(feature = "postgres")]
fn postgres(url: &str, game: &str) -> Result<Box<dyn Ledger + Send>, LedgerError> {
    Ok(Box::new(super::PostgresLedger::connect(url, game)?))
}

#[cfg(not(feature = "postgres"))]
fn postgres(_url: &str, _game: &str) -> Result<Box<dyn Ledger + Send>, LedgerError> {
    Err(LedgerError::Config(
        "this gameday was built without PostgreSQL support (cargo feature `postgres`)".into(),
    ))
}

impl From<PathBuf> for LedgerAt {
    fn from(path: PathBuf) -> LedgerAt {
        LedgerAt::File(path)
    }
}

impl From<&Path> for LedgerAt {
    fn from(path: &Path) -> LedgerAt {
        LedgerAt::File(path.to_owned())
    }
}

impl fmt::Display for LedgerAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerAt::File(path) => write!(f, "{}", path.display()),
            LedgerAt::Postgres { url, game } => write!(f, "{} (game {game})", redact(url)),
        }
    }
}

/// The PostgreSQL schema of game `game`, after checking that the id is one: 1 to 40 of
/// `a-z`, `0-9`, `_` and `-`, so that the name needs no escaping between double quotes. The
/// prefix keeps games clear of `public` and of PostgreSQL's own `pg_*` schemas.
pub fn game_schema(game: &str) -> Result<String, LedgerError> {
    let valid = (1..=40).contains(&game.len())
        && game
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !valid {
        return Err(LedgerError::Config(format!(
            "game id {game:?} is not one: 1 to 40 lower-case letters, digits, - and _"
        )));
    }
    Ok(format!("gameday_{game}"))
}

/// A URL without its password (`user:***@host`), and without query parameters, which may
/// carry one too: fit for logs.
pub fn redact(url: &str) -> String {
    let url = url.split('?').next().unwrap_or(url);
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_files_are_told_apart() {
        let pg = LedgerAt::parse("postgres://gd:s3cret@db:5432/gameday", Some("spring")).unwrap();
        assert_eq!(
            pg,
            LedgerAt::Postgres {
                url: "postgres://gd:s3cret@db:5432/gameday".into(),
                game: "spring".into()
            }
        );
        assert_eq!(
            LedgerAt::parse("games/spring.db", None).unwrap(),
            LedgerAt::File("games/spring.db".into())
        );
        let err = LedgerAt::parse("postgresql://db/gameday", None).unwrap_err();
        assert!(err.to_string().contains("--game"), "{err}");
        let err = LedgerAt::parse("mysql://root:pw@db/x", None).unwrap_err();
        assert!(err.to_string().contains("postgres://"), "{err}");
        assert!(!err.to_string().contains("pw"), "{err}");
    }

    #[test]
    fn game_ids_name_schemas_and_nothing_else_does() {
        assert_eq!(game_schema("spring-day_2").unwrap(), "gameday_spring-day_2");
        assert_eq!(game_schema(&"a".repeat(40)).unwrap().len(), 48);
        for bad in ["", "Spring", "a b", "a\"b", "x;drop", "é", &"a".repeat(41)] {
            let err = game_schema(bad).unwrap_err().to_string();
            assert!(
                err.contains("lower-case letters, digits, - and _"),
                "{bad:?}: {err}"
            );
            let err = LedgerAt::parse("postgres://db/gameday", Some(bad)).unwrap_err();
            assert!(
                err.to_string().contains("lower-case letters"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn passwords_never_show() {
        let pg = LedgerAt::parse(
            "postgres://gd:s3cret@db:5432/gameday?password=other",
            Some("g"),
        )
        .unwrap();
        let shown = pg.to_string();
        assert_eq!(shown, "postgres://gd:***@db:5432/gameday (game g)");
        assert_eq!(redact("postgres://gd@db/x"), "postgres://gd@db/x");
        assert_eq!(redact("postgres://db/x"), "postgres://db/x");
    }
}
