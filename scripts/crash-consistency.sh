#!/usr/bin/env bash
# Crash consistency: plays a CI scenario with `gameday play`, kills it with SIGKILL at KILLS
# random moments (restarting it on the same ledger each time), lets the last run finish,
# then checks the ledger: every item the game acknowledged (committed) before a kill is
# there, no batch or billing block is recorded or charged twice, and a full rescore equals
# the stored score events. Prints the figures; exits 1 when any check fails.
# The game's clock runs on while the engine is down (as an event's would), so the
# scenario's duration is set to DURATION: long enough for every kill to land in play.
#   KILLS=20 SEED=7 DURATION=2m SCENARIO=scenarios/ci/billing.toml scripts/crash-consistency.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIO=${SCENARIO:-scenarios/ci/billing.toml}
KILLS=${KILLS:-20}
SEED=${SEED:-$$}
# A kill comes this long after a start, at random: within startup, play, billing, commits.
MAX_MS=${MAX_MS:-2500}
DURATION=${DURATION:-2m}

cargo build --release --quiet --bin gameday
bin=./target/release/gameday
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db=$dir/game.db
export GAMEDAY_CACHE_DIR=$dir/cache
scenario=$dir/$(basename "$SCENARIO")
sed -E "s/^duration = .*/duration = \"$DURATION\"/" "$SCENARIO" >"$scenario"

play() {
  exec "$bin" play "$scenario" --db "$db" --no-tui --no-web --board-every 0s \
    --acks "$dir/acks.txt" >>"$dir/play.log" 2>&1
}

RANDOM=$SEED
echo "scenario $SCENARIO (duration $DURATION), $KILLS kills, seed $SEED"
kills=0
for i in $(seq "$KILLS"); do
  ms=$((50 + RANDOM % MAX_MS))
  play &
  pid=$!
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run $i ended by itself before its kill at ${ms} ms: the game is over"
    tail -5 "$dir/play.log"
    exit 1
  fi
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  kills=$((kills + 1))
  acked=$(wc -l <"$dir/acks.txt" 2>/dev/null || echo 0)
  echo "kill $i at ${ms} ms into the run: $acked items acknowledged so far"
done

echo "last run: to the end of the game"
play &
wait $! || { echo "the last run failed:"; tail -20 "$dir/play.log"; exit 1; }
"$bin" rescore --db "$db" --dry-run >"$dir/rescore.txt"

python3 - "$db" "$dir/acks.txt" "$dir/rescore.txt" "$kills" <<'EOF'
import sqlite3, sys
from collections import Counter

db, acks_path, rescore_path, kills = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = sqlite3.connect(db)
acked = {"batch": set(), "block": set(), "adjustment": set(), "void": set()}
for line in open(acks_path):
    kind, *rest = line.split()
    key = tuple(x for x in rest if not x.startswith("events="))
    acked[kind].add(key)

batches = [tuple(str(v) for v in r) for r in c.execute("select run, worker, target, tick from batches")]
blocks = [tuple(str(v) for v in r) for r in c.execute("select team, instance, block from blocks")]
lost_batches = acked["batch"] - set(batches)
lost_blocks = acked["block"] - set(blocks)
# A tick of a team is scored once, whichever run recorded it.
per_tick = Counter(c.execute("select team, at_ms from batches"))
doubled_ticks = sum(n - 1 for n in per_tick.values() if n > 1)
# A block is charged by one Billing event, never two.
charges = Counter(
    cause for (cause,) in c.execute("select cause from events where source = 'Billing'")
)
doubled_charges = sum(n - 1 for n in charges.values() if n > 1)
uncharged = len(blocks) - len(charges)
runs = c.execute("select runs from game").fetchone()[0]
rescore = open(rescore_path).read()
differences = sum(
    1 for line in rescore.splitlines()[1:] if line.split() and line.split()[-1] not in ("0",)
    and not line.startswith("dry run")
)
same = "no event would change" in rescore

print(f"kills survived      {kills} (runs recorded in the ledger: {runs})")
print(f"batches             {len(batches)} recorded, {len(acked['batch'])} acknowledged before a kill or the end, {len(lost_batches)} lost, {doubled_ticks} team ticks recorded twice")
print(f"billing blocks      {len(blocks)} recorded, {len(acked['block'])} acknowledged, {len(lost_blocks)} lost, {doubled_charges} charged twice, {uncharged} not charged")
print(f"rescore             {'equals the stored events' if same else 'DIFFERS'}; teams whose total differs: {differences}")
print(rescore.strip())
bad = lost_batches or lost_blocks or doubled_ticks or doubled_charges or uncharged or not same or differences
if lost_batches:
    print("lost batches:", sorted(lost_batches)[:10])
if lost_blocks:
    print("lost blocks:", sorted(lost_blocks)[:10])
sys.exit(1 if bad else 0)
EOF
