#!/usr/bin/env bash
# gameday serve on a big synthetic ledger: the time to read it at start, then the steady
# state (CPU share of one core and RSS) while it refreshes every 2 s with nothing new, and
# while a writer adds one tick of every team a second (a game being played).
# TEAMS x TICKS sets the ledger (default 100 x 1800, a 30-minute game; 7200 is 2 hours).
set -euo pipefail
cd "$(dirname "$0")/.."

TEAMS=${TEAMS:-100}
TICKS=${TICKS:-1800}
SECONDS_MEASURED=${SECONDS_MEASURED:-30}
cargo build --release --quiet -p scoreboard-ledger -p gameday --bins
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

echo "writing $TICKS ticks x $TEAMS teams to a fresh ledger..."
./target/release/ledger-writer "$dir/game.db" "$TEAMS" "$TICKS" | tail -1
ls -la "$dir/game.db" | awk '{printf "ledger size %.1f MiB\n", $5/1048576}'

clk=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

start=$(date +%s.%N)
./target/release/gameday serve --db "$dir/game.db" --web 127.0.0.1:0 --refresh 2s \
  > "$dir/serve.out" 2> "$dir/serve.err" &
serve=$!
pids+=("$serve")
until grep -q "http://" "$dir/serve.out" 2>/dev/null; do
  kill -0 "$serve" 2>/dev/null || { cat "$dir/serve.err"; exit 1; }
  sleep 0.05
done
loaded=$(echo "$(date +%s.%N) - $start" | bc)
addr=$(grep -o 'http://[^/]*' "$dir/serve.out")
printf "serve read the ledger and listens after %.2f s, RSS %s MiB\n" "$loaded" "$(rss_mib "$serve")"
curl -fsS "$addr/api/board" | head -c 120; echo " ..."

measure() {
  local label=$1 before after
  before=$(cpu_ticks "$serve")
  sleep "$SECONDS_MEASURED"
  after=$(cpu_ticks "$serve")
  awk -v a="$after" -v b="$before" -v s="$SECONDS_MEASURED" -v c="$clk" -v r="$(rss_mib "$serve")" \
    -v l="$label" 'BEGIN {printf "%-40s %5.1f %% of a core, RSS %s MiB\n", l, 100 * (a - b) / c / s, r}'
}
measure "steady, nothing new (${SECONDS_MEASURED} s):"
# A game being played: the writer adds one tick of every team a second after the last.
./target/release/ledger-writer "$dir/game.db" "$TEAMS" 100000 --every 1000 \
  > /dev/null 2>&1 &
pids+=("$!")
sleep 2
measure "steady, 1 new tick a second (${SECONDS_MEASURED} s):"
curl -fsS "$addr/api/board" > /dev/null
echo "goal: below 5 % of a core and 150 MiB at 100 x 1800; below 10 % and 250 MiB at 100 x 7200"
