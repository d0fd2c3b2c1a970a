#!/usr/bin/env python3
"""Why a big game's CPU rises with its age: SQLite's cost of one tick's writes as the ledger grows.

Writes what a 1,000-team game writes each second into the same kind of tables and indexes as
the SQLite ledger (a batch a team under a text key, an event a team with UNIQUE (cause, seq)
and the (team, at_ms) and (at_ms) indexes; WAL, synchronous = FULL), for 12 minutes of game
time as fast as it can, and prints the CPU one tick's writes took, averaged over each two
minutes. Once each team's insertion point sits on a leaf page of its own, every commit
dirties about a page per team per index: the cost per tick climbs for minutes, then stays.

Usage: scripts/bench-ledger-age.py [--teams 1000] [--minutes 12] [--order target|tick]
           [--cache-kib 2000] [--commit-every 1]
  --order tick: batch ids as the game writes them (r1-k000123-w0-t37: the tick first);
          target: as it wrote them before (r1-w0-t37-k123: the target first)
  --commit-every N: one transaction every N ticks (the game commits every tick)
Needs python3 only (its sqlite3 module); writes a temporary file and deletes it.
"""
import argparse
import os
import sqlite3
import tempfile
import time

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--teams", type=int, default=1000)
p.add_argument("--minutes", type=int, default=12)
p.add_argument("--order", choices=["target", "tick"], default="tick")
p.add_argument("--cache-kib", type=int, default=2000)
p.add_argument("--commit-every", type=int, default=1)
a = p.parse_args()

with tempfile.TemporaryDirectory() as tmp:
    db = sqlite3.connect(os.path.join(tmp, "ledger.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(f"PRAGMA cache_size=-{a.cache_kib}")
    db.executescript("""
    CREATE TABLE batches (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, team TEXT NOT NULL,
        body TEXT NOT NULL);
    CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, cause TEXT NOT NULL,
        seq INTEGER NOT NULL, at_ms INTEGER NOT NULL, team TEXT NOT NULL, source TEXT NOT NULL,
        points INTEGER NOT NULL, reason TEXT NOT NULL, UNIQUE (cause, seq));
    CREATE INDEX events_team_at ON events (team, at_ms);
    CREATE INDEX events_at ON events (at_ms);
    """)
    body = "x" * 300
    print(f"{a.teams} teams, ids {a.order}-major, cache {a.cache_kib} KiB, "
          f"a commit every {a.commit_every} tick(s)")
    last = time.process_time()
    for tick in range(a.minutes * 60):
        if tick % a.commit_every == 0:
            db.execute("BEGIN")
        rows = []
        for t in range(a.teams):
            bid = f"r1-w0-t{t}-k{tick}" if a.order == "target" else f"r1-k{tick:06}-w0-t{t}"
            rows.append((bid, tick * 1000, f"team-{t:04}", body))
        db.executemany("INSERT INTO batches VALUES (?,?,?,?)", rows)
        db.executemany(
            "INSERT INTO events (cause, seq, at_ms, team, source, points, reason) "
            "VALUES (?, 0, ?, ?, 'LoadGen', 20000, '20 correct answers')",
            [(r[0], r[1], r[2]) for r in rows])
        if tick % a.commit_every == a.commit_every - 1:
            db.execute("COMMIT")
        if tick % 120 == 119:
            now = time.process_time()
            size = os.stat(os.path.join(tmp, "ledger.db")).st_size >> 20
            print(f"minute {tick // 60 + 1:2}: {1000 * (now - last) / 120:5.1f} ms of CPU a tick, "
                  f"ledger {size} MiB", flush=True)
            last = now
