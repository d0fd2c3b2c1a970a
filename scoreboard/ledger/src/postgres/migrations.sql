-- The PostgreSQL ledger's schema, as versioned migrations applied in order: each begins at
-- a line `-- N: what it adds`; the `schema_version` table says how many are in. A version
-- means the same tables as in the SQLite ledger's (sqlite/migrations.sql).
--
-- Text that is sorted or compared is `COLLATE "C"`: byte order, as in SQLite and in Rust,
-- whatever the database's locale. `seq` (and `events.id`) grow with every row written, for
-- readers that poll for rows after a cursor.

-- 1: the game, its causes, and the events derived from them.
CREATE TABLE game (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    meta TEXT NOT NULL,
    started_unix_ms BIGINT NOT NULL,
    runs BIGINT NOT NULL
);
CREATE TABLE batches (
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id TEXT COLLATE "C" PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    team TEXT COLLATE "C" NOT NULL,
    run BIGINT NOT NULL, worker BIGINT NOT NULL, target BIGINT NOT NULL, tick BIGINT NOT NULL,
    body BYTEA NOT NULL
);
CREATE TABLE blocks (
    team TEXT COLLATE "C" NOT NULL, instance TEXT COLLATE "C" NOT NULL, block BIGINT NOT NULL,
    instance_type TEXT NOT NULL, anchor_ms BIGINT NOT NULL, at_ms BIGINT NOT NULL,
    PRIMARY KEY (team, instance, block)
);
CREATE TABLE adjustments (
    id TEXT COLLATE "C" PRIMARY KEY, at_ms BIGINT NOT NULL, team TEXT COLLATE "C" NOT NULL,
    points BIGINT NOT NULL, reason TEXT NOT NULL, by_whom TEXT NOT NULL
);
CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cause TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL, team TEXT COLLATE "C" NOT NULL, source TEXT NOT NULL,
    points BIGINT NOT NULL, reason TEXT NOT NULL,
    UNIQUE (cause, seq)
);
CREATE INDEX events_team_at ON events (team, at_ms);
CREATE INDEX events_at ON events (at_ms);
-- 2: pauses of the game clock, and token digests (teams and the admin).
ALTER TABLE game ADD COLUMN paused_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE game ADD COLUMN paused_since_unix_ms BIGINT;
CREATE TABLE tokens (
    owner TEXT COLLATE "C" PRIMARY KEY, hash BYTEA NOT NULL, created_unix_ms BIGINT NOT NULL
);
-- 3: a game split over load workers: their batches, the voids of missing segments,
-- the workers, and the team URLs they send to.
CREATE TABLE segment_batches (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT COLLATE "C" NOT NULL UNIQUE,
    at_ms BIGINT NOT NULL,
    team TEXT COLLATE "C" NOT NULL,
    run BIGINT NOT NULL, worker BIGINT NOT NULL, target BIGINT NOT NULL, tick BIGINT NOT NULL,
    body BYTEA NOT NULL
);
CREATE TABLE voids (
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    team TEXT COLLATE "C" NOT NULL, run BIGINT NOT NULL, tick BIGINT NOT NULL,
    at_ms BIGINT NOT NULL, segments BIGINT NOT NULL, missing TEXT NOT NULL,
    PRIMARY KEY (team, run, tick)
);
CREATE TABLE workers (
    segment BIGINT PRIMARY KEY, segments BIGINT NOT NULL,
    joined_unix_ms BIGINT NOT NULL, seen_unix_ms BIGINT NOT NULL
);
CREATE TABLE targets (team TEXT COLLATE "C" PRIMARY KEY, urls TEXT NOT NULL);
-- 4: billing blocks are followed after a position too (the read model's cursor).
ALTER TABLE blocks ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE;
-- 5: teams' public names (the ids stay the keys everywhere else).
CREATE TABLE team_names (
    team TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, by_team BOOLEAN NOT NULL
);
-- 6: the pauses and resumes of the game clock, as they happened.
CREATE TABLE clock_events (
    unix_ms BIGINT NOT NULL, paused BOOLEAN NOT NULL, at_ms BIGINT NOT NULL,
    PRIMARY KEY (unix_ms, paused)
);
-- 7: notes of what was said and changed (announcements, teams' new URLs), each once
-- under its id; `seq` keeps the order they were recorded in.
CREATE TABLE notes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id TEXT COLLATE "C" PRIMARY KEY, at_ms BIGINT NOT NULL, kind TEXT NOT NULL,
    team TEXT COLLATE "C", text TEXT NOT NULL
);
-- 8: what each score event is about and how many outcomes it counts (NULL in the rows
-- of an older game: read back as an unknown kind counting 1).
ALTER TABLE events ADD COLUMN kind TEXT, ADD COLUMN count BIGINT;
-- 9: a team's name is also a note, which a projection follows after its cursor: the names
-- an older ledger holds become notes (at game time 0, as every name note is).
INSERT INTO notes (id, at_ms, kind, team, text)
    SELECT 'name:' || team, 0, 'team_name', team, name FROM team_names;
