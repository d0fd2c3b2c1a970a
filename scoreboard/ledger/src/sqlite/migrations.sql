-- The SQLite ledger's schema, as versioned migrations applied in order: each begins at a
-- line `-- N: what it adds`; `PRAGMA user_version` says how many are in. A version means
-- the same tables as in the PostgreSQL ledger's (postgres/migrations.sql).

-- 1: the game, its causes, and the events derived from them.
CREATE TABLE game (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    meta TEXT NOT NULL,
    started_unix_ms INTEGER NOT NULL,
    runs INTEGER NOT NULL
);
CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    team TEXT NOT NULL,
    run INTEGER NOT NULL, worker INTEGER NOT NULL, target INTEGER NOT NULL, tick INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE blocks (
    team TEXT NOT NULL, instance TEXT NOT NULL, block INTEGER NOT NULL,
    instance_type TEXT NOT NULL, anchor_ms INTEGER NOT NULL, at_ms INTEGER NOT NULL,
    PRIMARY KEY (team, instance, block)
);
CREATE TABLE adjustments (
    id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, team TEXT NOT NULL,
    points INTEGER NOT NULL, reason TEXT NOT NULL, by_whom TEXT NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cause TEXT NOT NULL, seq INTEGER NOT NULL,
    at_ms INTEGER NOT NULL, team TEXT NOT NULL, source TEXT NOT NULL,
    points INTEGER NOT NULL, reason TEXT NOT NULL,
    UNIQUE (cause, seq)
);
CREATE INDEX events_team_at ON events (team, at_ms);
CREATE INDEX events_at ON events (at_ms);
-- 2: pauses of the game clock, and token digests (teams and the admin).
ALTER TABLE game ADD COLUMN paused_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE game ADD COLUMN paused_since_unix_ms INTEGER;
CREATE TABLE tokens (
    owner TEXT PRIMARY KEY, hash BLOB NOT NULL, created_unix_ms INTEGER NOT NULL
);
-- 3: a game split over load workers: their batches, the voids of missing segments,
-- the workers, and the team URLs they send to.
CREATE TABLE segment_batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at_ms INTEGER NOT NULL,
    team TEXT NOT NULL,
    run INTEGER NOT NULL, worker INTEGER NOT NULL, target INTEGER NOT NULL, tick INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE voids (
    team TEXT NOT NULL, run INTEGER NOT NULL, tick INTEGER NOT NULL,
    at_ms INTEGER NOT NULL, segments INTEGER NOT NULL, missing TEXT NOT NULL,
    PRIMARY KEY (team, run, tick)
);
CREATE TABLE workers (
    segment INTEGER PRIMARY KEY, segments INTEGER NOT NULL,
    joined_unix_ms INTEGER NOT NULL, seen_unix_ms INTEGER NOT NULL
);
CREATE TABLE targets (team TEXT PRIMARY KEY, urls TEXT NOT NULL);
-- 4: billing blocks are followed after a position (the read model's cursor); here a
-- row's rowid is that position, so nothing changes but the version, kept in step with
-- the PostgreSQL ledger's.
SELECT 1;
-- 5: teams' public names (the ids stay the keys everywhere else).
CREATE TABLE team_names (
    team TEXT PRIMARY KEY, name TEXT NOT NULL, by_team INTEGER NOT NULL
);
-- 6: the pauses and resumes of the game clock, as they happened.
CREATE TABLE clock_events (
    unix_ms INTEGER NOT NULL, paused INTEGER NOT NULL, at_ms INTEGER NOT NULL,
    PRIMARY KEY (unix_ms, paused)
);
-- 7: notes of what was said and changed (announcements, teams' new URLs), each once
-- under its id; the rowid keeps the order they were recorded in.
CREATE TABLE notes (
    id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, kind TEXT NOT NULL,
    team TEXT, text TEXT NOT NULL
);
-- 8: what each score event is about and how many outcomes it counts (NULL in the rows
-- of an older game: read back as an unknown kind counting 1).
ALTER TABLE events ADD COLUMN kind TEXT;
ALTER TABLE events ADD COLUMN count INTEGER;
-- 9: a team's name is also a note, which a projection follows after its cursor: the names
-- an older ledger holds become notes (at game time 0, as every name note is).
INSERT INTO notes (id, at_ms, kind, team, text)
    SELECT 'name:' || team, 0, 'team_name', team, name FROM team_names;
