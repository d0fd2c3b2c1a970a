#!/usr/bin/env bash
# Ledger figures: writes per second (one transaction per tick, as a game records them) and
# the time to rescore a synthetic game (default 2 hours of 1-second ticks, 100 teams).
set -euo pipefail
cd "$(dirname "$0")/.."

TEAMS=${TEAMS:-100}
TICKS=${TICKS:-7200}
cargo build --release --quiet -p scoreboard -p gameday --bins
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "writing $TICKS ticks x $TEAMS teams to a fresh ledger..."
./target/release/ledger-writer "$dir/game.db" "$TEAMS" "$TICKS" | tail -1
ls -la "$dir/game.db" | awk '{printf "ledger size %.1f MiB\n", $5/1048576}'

for round in 1 2 3; do
  start=$(date +%s.%N)
  ./target/release/gameday rescore --db "$dir/game.db" --dry-run > "$dir/rescore.txt"
  end=$(date +%s.%N)
  echo "rescore (dry run, read + derive + compare) round $round: $(echo "$end - $start" | bc) s"
done
tail -1 "$dir/rescore.txt"
