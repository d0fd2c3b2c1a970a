//! What a game's SQLite ledger will take of its disk: an estimate from the scenario (teams ×
//! ticks), judged against the free space before the game (refused when it cannot fit,
//! warned when it is tight) and watched during it.

use std::path::Path;
use std::time::Duration;

use crate::capacity::size;
use crate::scenario::Scenario;

/// Ledger bytes per team and tick: an outcome batch, its score events, their indexes.
/// Measured: a synthetic 100-team × 7,200-tick ledger (scripts/bench-ledger.sh) takes 524 B
/// a cause, a 3-team demo game about 900 B (small files carry fixed pages); twice the
/// first, to leave room for bigger histograms and the write-ahead log.
pub const BYTES_PER_TEAM_TICK: u64 = 1024;

/// Below this much free space a game is warned of, whatever it still needs.
const LOW_FLOOR: u64 = 64 << 20;

/// The ledger of `teams` teams over `ticks` more ticks, in bytes.
pub fn ledger_bytes(teams: usize, ticks: u64) -> u64 {
    teams as u64 * ticks * BYTES_PER_TEAM_TICK
}

/// The ledger the whole of `s` writes, in bytes.
pub fn estimate(s: &Scenario) -> u64 {
    ledger_bytes(s.teams.len(), ticks(s, s.game.duration))
}

/// The ticks of `s` in `span` of game time.
pub fn ticks(s: &Scenario, span: Duration) -> u64 {
    let tick = s.game.tick.as_millis().max(1) as u64;
    (span.as_millis() as u64).div_ceil(tick)
}

/// Bytes free to this process on the file system of `path` (its folder when the file is
/// not there yet); `None` when it cannot be read.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let dir = if path.is_dir() {
        path
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    };
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path and `st` is a statvfs the call fills in.
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Whether a ledger of `need` bytes fits in `free`: `Err` refuses, `Ok(Some)` warns when
/// it takes more than half of what is free.
pub fn judge(need: u64, free: u64, place: &Path) -> Result<Option<String>, String> {
    if need > free {
        return Err(format!(
            "this game's ledger needs about {} and {} has {} free: the disk would fill during \
             the game (it would pause until there is room). Free some space, put the ledger \
             elsewhere (--db), or use PostgreSQL (--ledger postgres://…).",
            size(need),
            place.display(),
            size(free)
        ));
    }
    Ok((need > free / 2).then(|| {
        format!(
            "warning: this game's ledger needs about {} of the {} free on {}",
            size(need),
            size(free),
            place.display()
        )
    }))
}

/// Watches the free space of a game's ledger while it runs, and says once when it falls
/// below what the rest of the game needs (or below 64 MiB).
#[derive(Debug, Default)]
pub struct DiskWatch {
    warned: bool,
    next_ms: u64,
}

/// How often (game time) the free space is looked at.
const EVERY_MS: u64 = 10_000;

impl DiskWatch {
    /// Whether it is time to look again at game time `at_ms` (every 10 s).
    pub fn due(&mut self, at_ms: u64) -> bool {
        if at_ms < self.next_ms {
            return false;
        }
        self.next_ms = at_ms + EVERY_MS;
        true
    }

    /// A warning, the first time `free` falls short of `need` (the rest of the game).
    pub fn look(&mut self, need: u64, free: u64) -> Option<String> {
        let low = free < need || free < LOW_FLOOR;
        if !low {
            self.warned = false;
            return None;
        }
        if std::mem::replace(&mut self.warned, true) {
            return None;
        }
        Some(format!(
            "warning: the ledger's disk is low: {} free, and the rest of the game needs about {} \
             (when it is full the game waits for room; nothing is lost)",
            size(free),
            size(need)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_big_game_is_estimated_from_teams_and_ticks() {
        let text = "[game]\nname = \"g\"\nduration = \"2h\"\ntick = \"1s\"\n\
                    allow_private_targets = true\n[load]\nclients = 1\n"
            .to_owned()
            + &(0..100)
                .map(|i| format!("[[team]]\nname = \"t{i}\"\nurl = \"http://10.0.0.{i}\"\n"))
                .collect::<String>();
        let s = crate::scenario::parse(&text, Path::new("t.toml")).unwrap();
        assert_eq!(estimate(&s), 100 * 7200 * 1024);
        assert_eq!(size(estimate(&s)), "703.1 MiB");
    }

    #[test]
    fn short_space_is_refused_and_tight_space_warned() {
        let place = Path::new("/srv");
        let err = judge(800 << 20, 500 << 20, place).unwrap_err();
        assert!(
            err.contains("needs about 800.0 MiB and /srv has 500.0 MiB free"),
            "{err}"
        );
        let warning = judge(300 << 20, 500 << 20, place).unwrap().unwrap();
        assert!(warning.starts_with("warning:"), "{warning}");
        assert_eq!(judge(100 << 20, 500 << 20, place), Ok(None));
    }

    #[test]
    fn low_space_is_said_once_until_it_recovers() {
        let mut watch = DiskWatch::default();
        assert!(watch.due(0) && !watch.due(9_999) && watch.due(10_000));
        assert_eq!(watch.look(10 << 20, 1 << 30), None);
        assert!(watch.look(10 << 20, 50 << 20).is_some());
        assert_eq!(watch.look(10 << 20, 40 << 20), None);
        assert_eq!(watch.look(10 << 20, 1 << 30), None);
        assert!(watch.look(2 << 30, 1 << 30).is_some());
    }

    #[test]
    fn free_space_is_read_for_a_file_not_there_yet() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(&dir.path().join("game.db")).unwrap();
        assert!(free > 0);
        assert_eq!(free_bytes(Path::new("/no/such/place/x.db")), None);
    }
}
