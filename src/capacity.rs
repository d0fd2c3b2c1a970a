//! What a game would take of the machine's memory: its expected answers, its connections,
//! its teams' history. A game that cannot fit is refused before anything is built, with what
//! would happen and what to change. (Requests are made as they go out from the key and a
//! few bytes of each team server: nothing is kept a key per server.)

use crate::scenario::Scenario;

/// Bytes per key of the expected answers (the key, its 44-byte answer, the table), as
/// measured: `loadgen --keys 1000000` against one server peaked 263 B a key above
/// `--keys 100000` when 136 of them were that server's prebuilt requests.
pub const ANSWER_BYTES_PER_KEY: u64 = 128;
/// Bytes per open connection (buffers and task), as measured: 4,000 connections held
/// open by a server that never answers take 68 MB more than 100 do.
pub const CONNECTION_BYTES: u64 = 18 << 10;
/// The rest of a game: runtime, ledger, views.
pub const BASE_BYTES: u64 = 64 << 20;

/// The machine a game would run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    /// Physical memory, in bytes.
    pub memory: u64,
}

impl Machine {
    /// This machine, from /proc/meminfo (None where there is none).
    pub fn this() -> Option<Machine> {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(Machine { memory: kib * 1024 })
    }
}

/// What one process of a game needs, in bytes, and what drives each part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Needs {
    pub keys: u64,
    pub answers: u64,
    /// Connections open at once at most (every team at its in-flight cap).
    pub connections: u64,
    pub connection_bytes: u64,
    /// The teams' history (one, the game's projection's, which the web's charts and report
    /// share): the last five minutes a bucket a second, older time coarser.
    pub history_bytes: u64,
}

impl Needs {
    /// A process sending `segments`' share of the load (`0`: it sends none).
    pub fn of(s: &Scenario, segments: u32) -> Needs {
        let keys = s.keyset.count as u64;
        let connections = match segments {
            0 => 0,
            n => (s.teams.len() as u64 * s.load.max_in_flight as u64).div_ceil(n as u64),
        };
        let buckets = scoreboard_domain::projection::History::bound(s.game.duration) as u64;
        let bucket = std::mem::size_of::<scoreboard_domain::projection::Bucket>() as u64;
        Needs {
            history_bytes: s.teams.len() as u64 * buckets * bucket,
            keys,
            answers: keys * ANSWER_BYTES_PER_KEY,
            connections,
            connection_bytes: connections * CONNECTION_BYTES,
        }
    }

    pub fn total(&self) -> u64 {
        BASE_BYTES + self.answers + self.connection_bytes + self.history_bytes
    }

    /// Whether the game fits `machine`: `Err` says what would happen when it cannot,
    /// `Ok(Some)` warns when it takes more than half of the memory.
    pub fn judge(&self, machine: Machine) -> Result<Option<String>, String> {
        let (total, memory) = (self.total(), machine.memory);
        let parts = self.parts();
        if total > memory / 10 * 9 {
            let when = if BASE_BYTES + self.answers > memory / 10 * 9 {
                "while it builds the expected answers, before the game starts"
            } else {
                "once the teams are slow and every connection is open"
            };
            return Err(format!(
                "this game would need about {} of memory and this machine has {}: gameday would be \
                 killed for want of memory (the kernel's OOM killer) {when}. It needs {parts}. \
                 Lower keyset.count or load.max_in_flight, or split the load over several \
                 machines (gameday worker).",
                size(total),
                size(memory)
            ));
        }
        Ok((total > memory / 2).then(|| {
            format!(
                "warning: this game may use about {} of this machine's {} of memory ({parts})",
                size(total),
                size(memory)
            )
        }))
    }

    fn parts(&self) -> String {
        let mut parts = vec![format!(
            "{} for the expected answers of {} keys (keyset.count)",
            size(self.answers),
            self.keys
        )];
        if self.connections > 0 {
            parts.push(format!(
                "{} for up to {} connections open at once (teams × load.max_in_flight)",
                size(self.connection_bytes),
                self.connections
            ));
        }
        parts.push(format!(
            "{} for each team's history a second (charts and report)",
            size(self.history_bytes)
        ));
        parts.join(", ")
    }
}

/// Bytes in binary units, like `1.5 GiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MACHINE: Machine = Machine { memory: 24 << 30 };

    fn scenario(keys: usize, teams: usize, servers: usize, in_flight: usize) -> Scenario {
        let team = |i: usize| {
            let urls: Vec<String> = (0..servers)
                .map(|s| format!("http://10.0.{i}.{s}:80"))
                .collect();
            format!("[[team]]\nname = \"t{i}\"\nurl = {urls:?}\n")
        };
        let text = format!(
            "[game]\nname = \"g\"\nduration = \"1m\"\nallow_private_targets = true\n\
             [keyset]\ncount = {keys}\n[load]\nclients = 1\nmax_in_flight = {in_flight}\n{}",
            (0..teams).map(team).collect::<String>()
        );
        crate::scenario::parse(&text, std::path::Path::new("t.toml")).unwrap()
    }

    #[test]
    fn an_ordinary_game_fits() {
        let needs = Needs::of(&scenario(10_000, 40, 4, 1000), 1);
        assert_eq!(needs.connections, 40_000);
        // 40 teams × 60 s × 96 B: one history, which the web shares.
        assert_eq!(needs.history_bytes, 40 * 60 * 96);
        assert_eq!(needs.judge(MACHINE), Ok(None));
    }

    #[test]
    fn keys_cost_once_not_once_per_team_server() {
        // A million keys for 400 team servers: 122 MiB of answers, where the requests
        // prebuilt for every key and server were 51 GiB.
        let s = scenario(1_000_000, 100, 4, 100);
        let needs = Needs::of(&s, 1);
        assert_eq!(needs.answers, 128_000_000);
        assert!(needs.total() < 1 << 30, "{}", size(needs.total()));
        assert!(needs.judge(MACHINE).is_ok());
        // A machine too small for the answers themselves refuses before the game.
        let small = Machine { memory: 128 << 20 };
        let err = needs.judge(small).unwrap_err();
        assert!(
            err.contains("while it builds the expected answers"),
            "{err}"
        );
        assert!(err.contains("this machine has 128.0 MiB"), "{err}");
        assert!(err.contains("Lower keyset.count"), "{err}");
    }

    #[test]
    fn too_many_connections_are_refused_and_workers_share_them() {
        let s = scenario(1000, 100, 1, 1_000_000);
        let err = Needs::of(&s, 1).judge(MACHINE).unwrap_err();
        assert!(err.contains("once the teams are slow"), "{err}");
        assert!(err.contains("up to 100000000 connections"), "{err}");
        // Split over 100 workers, each holds 1,000,000 connections: 17 GiB, a warning.
        let warning = Needs::of(&s, 100).judge(MACHINE).unwrap().unwrap();
        assert!(
            warning.starts_with("warning: this game may use about 17."),
            "{warning}"
        );
        // The scoring process of a split game holds none.
        assert_eq!(Needs::of(&s, 0).judge(MACHINE), Ok(None));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(3 << 29), "1.5 GiB");
    }
}
