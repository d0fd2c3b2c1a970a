//! One player a game: a lock held while a process plays the game in a ledger, so that a
//! second `play` (or `replay`) on that ledger refuses at once instead of recording the game
//! twice. On a SQLite ledger it is an advisory lock on a file next to it; on a PostgreSQL
//! ledger, an advisory lock of a session of its own. Either way the system lets go of it
//! when the process ends, however it ends (a kill included): no stale lock to clean up.
//! Load workers and read-only scoreboards do not take it.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use scoreboard_ledger::LedgerAt;

use super::error::GameError;

/// The lock of one game's ledger, held until dropped (or the process ends).
pub struct PlayLock {
    _held: Held,
}

impl std::fmt::Debug for PlayLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlayLock").finish_non_exhaustive()
    }
}

/// What holds the lock: the open lock file, or the PostgreSQL session. Never read: kept
/// for what closing it does.
#[allow(dead_code)]
enum Held {
    File(File),
    Postgres(Box<scoreboard_ledger::PostgresLedger>),
}

impl PlayLock {
    /// Takes the lock of the game in `at`, or says who holds it.
    pub fn take(at: &LedgerAt) -> Result<PlayLock, GameError> {
        let held = match at {
            LedgerAt::File(db) => Held::File(lock_file(at, db)?),
            LedgerAt::Postgres { url, game } => {
                let mut session = scoreboard_ledger::PostgresLedger::connect(url, game)?;
                let me = format!("pid {}", std::process::id());
                if let Err(who) = session.try_lock_play(&me)? {
                    return Err(busy(at, &who));
                }
                Held::Postgres(Box::new(session))
            }
        };
        Ok(PlayLock { _held: held })
    }
}

/// The error of a lock another process holds; `who` says who, if known.
fn busy(at: &LedgerAt, who: &str) -> GameError {
    GameError::Busy {
        ledger: at.to_string(),
        holder: match who.trim() {
            "" => "another gameday".to_owned(),
            who => format!("another gameday ({who})"),
        },
    }
}

/// The lock file of SQLite ledger `db`, locked, with who holds it written in it.
fn lock_file(at: &LedgerAt, db: &Path) -> Result<File, GameError> {
    let path = lock_path(db);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| failed(&path, e))?;
    if !try_flock(&file).map_err(|e| failed(&path, e))? {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        return Err(busy(at, &holder));
    }
    // Who holds it, for the one who finds it held.
    let since = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let said = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "pid {}, since {since}", std::process::id()));
    said.map_err(|e| failed(&path, e))?;
    Ok(file)
}

/// The error of lock file `path` that could not be made, locked or written.
fn failed(path: &Path, source: std::io::Error) -> GameError {
    GameError::Lock {
        path: path.to_owned(),
        source,
    }
}

/// The lock file of a SQLite ledger: its name with `.lock` after it.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// An exclusive `flock` without waiting: true when taken, false when another open file
/// holds it. (std's `File::try_lock` would do, from Rust 1.89; the workspace builds on 1.88.)
fn try_flock(file: &File) -> std::io::Result<bool> {
    // SAFETY: flock on a descriptor this `File` owns and keeps open; no memory is passed.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_learns_who_holds_the_lock_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let at = LedgerAt::File(dir.path().join("game.db"));
        let held = PlayLock::take(&at).unwrap();
        let refused = PlayLock::take(&at).unwrap_err().to_string();
        let pid = format!("pid {}, since ", std::process::id());
        assert!(
            refused.contains("is being played by another gameday") && refused.contains(&pid),
            "{refused}"
        );
        drop(held);
        assert!(PlayLock::take(&at).is_ok());
    }
}
