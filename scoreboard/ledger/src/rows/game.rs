//! The shared rows of everything in a ledger besides its causes: the game and its clock,
//! token digests and team names, the load workers and the team URLs they send to. One
//! statement text and one decoder each, which the SQLite and PostgreSQL ledgers both run.

use super::{SqlRow, Value};
use crate::LedgerError;
use crate::{ClockEvent, GameMeta, GameSession, WorkerSeen};
use scoreboard_domain::names::TeamName;
use scoreboard_domain::tokens::TokenHash;

/// Inserted first: of two processes that start one game together, one inserts the row.
pub(crate) const INSERT_GAME: &str = "INSERT INTO game (id, meta, started_unix_ms, runs)
     VALUES (1, $1, $2, 1) ON CONFLICT (id) DO NOTHING";
/// A new run of the game (none for the process that just inserted it: `$1`), and the session.
pub(crate) const NEXT_RUN: &str = "UPDATE game SET runs = runs + CASE WHEN $1 THEN 0 ELSE 1 END
     WHERE id = 1 RETURNING started_unix_ms, runs, paused_ms, paused_since_unix_ms";
pub(crate) const SELECT_SESSION: &str =
    "SELECT started_unix_ms, runs, paused_ms, paused_since_unix_ms FROM game WHERE id = 1";
pub(crate) const SELECT_META: &str = "SELECT meta FROM game WHERE id = 1";
pub(crate) const SET_RULES: &str = "UPDATE game SET meta = $1 WHERE id = 1";

pub(crate) const INSERT_CLOCK_EVENT: &str =
    "INSERT INTO clock_events (unix_ms, paused, at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
pub(crate) const SET_PAUSES: &str =
    "UPDATE game SET paused_ms = $1, paused_since_unix_ms = $2 WHERE id = 1";
pub(crate) const SELECT_CLOCK_EVENTS: &str =
    "SELECT unix_ms, paused, at_ms FROM clock_events ORDER BY unix_ms, paused";

pub(crate) const STORE_TOKEN: &str = "INSERT INTO tokens (owner, hash, created_unix_ms)
     VALUES ($1, $2, $3)
     ON CONFLICT (owner) DO UPDATE SET hash = excluded.hash,
        created_unix_ms = excluded.created_unix_ms";
pub(crate) const SELECT_TOKENS: &str = "SELECT owner, hash FROM tokens ORDER BY owner";
pub(crate) const STORE_TEAM_NAME: &str = "INSERT INTO team_names (team, name, by_team)
     VALUES ($1, $2, $3)
     ON CONFLICT (team) DO UPDATE SET name = excluded.name, by_team = excluded.by_team";
pub(crate) const SELECT_TEAM_NAMES: &str =
    "SELECT team, name, by_team FROM team_names ORDER BY team";

/// A worker of another split already joined (`$1`: this worker's number of segments).
pub(crate) const OTHER_SPLIT: &str = "SELECT segments FROM workers WHERE segments <> $1 LIMIT 1";
pub(crate) const JOIN_WORKER: &str =
    "INSERT INTO workers (segment, segments, joined_unix_ms, seen_unix_ms)
     VALUES ($1, $2, $3, $3)
     ON CONFLICT (segment) DO UPDATE SET seen_unix_ms = excluded.seen_unix_ms";
pub(crate) const WORKER_SEEN: &str = "UPDATE workers SET seen_unix_ms = $1 WHERE segment = $2";
pub(crate) const SELECT_WORKERS: &str =
    "SELECT segment, segments, joined_unix_ms, seen_unix_ms FROM workers ORDER BY segment";
pub(crate) const SET_TARGET: &str = "INSERT INTO targets (team, urls) VALUES ($1, $2)
     ON CONFLICT (team) DO UPDATE SET urls = excluded.urls";
pub(crate) const SELECT_TARGETS: &str = "SELECT team, urls FROM targets ORDER BY team";

/// Parameters of [`INSERT_GAME`].
pub(crate) fn game_params(meta: &GameMeta, now_unix_ms: u64) -> [Value<'static>; 2] {
    [
        Value::Owned(serde_json::to_string(meta).expect("meta serializes")),
        Value::int(now_unix_ms),
    ]
}

/// Parameters of [`SET_RULES`]: the meta with the new rules.
pub(crate) fn meta_params(meta: &GameMeta) -> [Value<'static>; 1] {
    [Value::Owned(
        serde_json::to_string(meta).expect("meta serializes"),
    )]
}

/// Parameters of [`INSERT_CLOCK_EVENT`].
pub(crate) fn clock_event_params(e: &ClockEvent) -> [Value<'static>; 3] {
    [
        Value::int(e.unix_ms),
        Value::Bool(e.paused),
        Value::int(e.at.0),
    ]
}

/// Parameters of [`SET_PAUSES`].
pub(crate) fn pauses_params(paused_ms: u64, since_unix_ms: Option<u64>) -> [Value<'static>; 2] {
    [
        Value::int(paused_ms),
        since_unix_ms.map_or(Value::Null, Value::int),
    ]
}

/// Parameters of [`STORE_TOKEN`].
pub(crate) fn token_params<'a>(
    owner: &'a str,
    hash: &TokenHash,
    now_unix_ms: u64,
) -> [Value<'a>; 3] {
    [
        Value::Text(owner),
        Value::Bytes(hash.0.to_vec()),
        Value::int(now_unix_ms),
    ]
}

/// Parameters of [`STORE_TEAM_NAME`].
pub(crate) fn team_name_params(name: &TeamName) -> [Value<'_>; 3] {
    [
        Value::Text(&name.team),
        Value::Text(&name.name),
        Value::Bool(name.by_team),
    ]
}

/// The note of a team's new name: under an id of its own (a team may take back an old
/// name), at game time 0 (a name is not a moment of the game).
pub(crate) fn team_name_note(name: &TeamName) -> scoreboard_domain::Note {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    name.note(format!("name:{}:{nanos}", name.team))
}

/// Parameters of [`JOIN_WORKER`].
pub(crate) fn join_params(
    segment: loadgen_outcome::ExecSegment,
    now_unix_ms: u64,
) -> [Value<'static>; 3] {
    [
        Value::int(segment.index()),
        Value::int(segment.count()),
        Value::int(now_unix_ms),
    ]
}

/// Parameters of [`SET_TARGET`].
pub(crate) fn target_params<'a>(team: &'a str, urls: &[String]) -> [Value<'a>; 2] {
    [
        Value::Text(team),
        Value::Owned(serde_json::to_string(urls).expect("URLs serialize")),
    ]
}

/// The meta of [`SELECT_META`]'s row.
pub(crate) fn meta_from_row(r: &dyn SqlRow) -> Result<GameMeta, LedgerError> {
    serde_json::from_str(&r.text(0)?).map_err(|e| LedgerError::Corrupt {
        what: "game".into(),
        reason: e.to_string(),
    })
}

/// A session from [`SELECT_SESSION`]'s (or [`NEXT_RUN`]'s) columns.
pub(crate) fn session_from_row(r: &dyn SqlRow, resumed: bool) -> Result<GameSession, LedgerError> {
    Ok(GameSession {
        started_unix_ms: r.u64(0)?,
        run: r.u64(1)?,
        resumed,
        paused_ms: r.u64(2)?,
        paused_since_unix_ms: r.opt_int(3)?.map(|p| p as u64),
    })
}

/// The one session [`NEXT_RUN`] returns (none: the game row is gone, which a ledger that
/// just inserted or found it cannot be).
pub(crate) fn the_session(runs: Vec<GameSession>) -> Result<GameSession, LedgerError> {
    runs.into_iter().next().ok_or_else(|| LedgerError::Corrupt {
        what: "game".into(),
        reason: "the game row is missing".into(),
    })
}

pub(crate) fn clock_event_from_row(r: &dyn SqlRow) -> Result<ClockEvent, LedgerError> {
    Ok(ClockEvent {
        unix_ms: r.u64(0)?,
        paused: r.bool(1)?,
        at: r.time(2)?,
    })
}

pub(crate) fn token_from_row(r: &dyn SqlRow) -> Result<(String, TokenHash), LedgerError> {
    let owner = r.text(0)?;
    let hash: [u8; 32] = r.bytes(1)?.try_into().map_err(|_| LedgerError::Corrupt {
        what: format!("token of {owner}"),
        reason: "not a 32-byte digest".into(),
    })?;
    Ok((owner, TokenHash(hash)))
}

pub(crate) fn team_name_from_row(r: &dyn SqlRow) -> Result<TeamName, LedgerError> {
    Ok(TeamName {
        team: r.text(0)?,
        name: r.text(1)?,
        by_team: r.bool(2)?,
    })
}

pub(crate) fn worker_from_row(r: &dyn SqlRow) -> Result<WorkerSeen, LedgerError> {
    crate::worker_seen(r.u32(0)?, r.u32(1)?, r.int(2)?, r.int(3)?)
}

pub(crate) fn target_from_row(r: &dyn SqlRow) -> Result<(String, Vec<String>), LedgerError> {
    let team = r.text(0)?;
    let urls = crate::urls_from_text(&team, &r.text(1)?)?;
    Ok((team, urls))
}
