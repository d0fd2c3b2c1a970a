#!/usr/bin/env bash
# Debrief figures: the time, peak memory and size of `gameday report` on a synthetic game
# (default 2 hours of 1-second ticks, 100 teams; goals: under 10 s and under 10 MiB).
# There is no peer to race: the figures are ours against the goals.
set -euo pipefail
cd "$(dirname "$0")/.."

TEAMS=${TEAMS:-100}
TICKS=${TICKS:-7200}
cargo build --release --quiet -p scoreboard-ledger -p gameday --bins
dir=${KEEP_DIR:-$(mktemp -d)}
[ -n "${KEEP_DIR:-}" ] || trap 'rm -rf "$dir"' EXIT

if [ ! -f "$dir/game.db" ]; then
  echo "writing $TICKS ticks x $TEAMS teams to a fresh ledger..."
  ./target/release/ledger-writer "$dir/game.db" "$TEAMS" "$TICKS" | tail -1
fi
ls -la "$dir/game.db" | awk '{printf "ledger size %.1f MiB\n", $5/1048576}'

ROUNDS=${ROUNDS:-3}
times=()
for round in $(seq "$ROUNDS"); do
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" \
    ./target/release/gameday report --db "$dir/game.db" --out "$dir/report.html" > /dev/null
  read -r secs kib < "$dir/time.txt"
  times+=("$secs")
  size=$(stat -c %s "$dir/report.html")
  echo "report round $round: $secs s, peak $((kib / 1024)) MiB, file $(awk -v s="$size" 'BEGIN {printf "%.2f", s/1048576}') MiB"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "report median of $ROUNDS: $median s (goal: under 10 s); charts: $(grep -o '<svg' "$dir/report.html" | wc -l)"
