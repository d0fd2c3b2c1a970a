#!/usr/bin/env bash
# Ledger figures: writes per second (one transaction per tick, as a game records them) and
# the time to rescore a synthetic game (default 2 hours of 1-second ticks, 100 teams).
set -euo pipefail
cd "$(dirname "$0")/.."

TEAMS=${TEAMS:-100}
TICKS=${TICKS:-7200}
cargo build --release --quiet -p scoreboard-ledger -p gameday --bins
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "writing $TICKS ticks x $TEAMS teams to a fresh ledger..."
./target/release/ledger-writer "$dir/game.db" "$TEAMS" "$TICKS" | tail -1
ls -la "$dir/game.db" | awk '{printf "ledger size %.1f MiB\n", $5/1048576}'

ROUNDS=${ROUNDS:-5}
times=()
for round in $(seq "$ROUNDS"); do
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" \
    ./target/release/gameday rescore --db "$dir/game.db" --dry-run > "$dir/rescore.txt"
  read -r secs kib < "$dir/time.txt"
  times+=("$secs")
  echo "rescore (dry run: read every cause, derive every event, compare with the stored ones) round $round: $secs s, peak $((kib / 1024)) MiB"
done
tail -1 "$dir/rescore.txt"
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "rescore median of $ROUNDS: $median s (goal: under 2 s)"
