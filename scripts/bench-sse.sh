#!/usr/bin/env bash
# Measures the public board's live stream under many viewers: a 100-team game serves its web board while VIEWERS clients read /api/board/stream; prints the spread of each update's arrival (first viewer to last, p50/p99) and the game's CPU with the viewers and without.
#
# Usage: scripts/bench-sse.sh
# Environment: VIEWERS (2000), TEAMS (100), WINDOW (30, seconds measured each way), PORT (a
#   free one), GAMEDAY (target/release/gameday) and CLIENT (the sse_viewers example): set
#   them to skip the builds (e.g. to bench an older binary), GAME_CPU and
#   CLIENT_CPU (unset: not pinned; else taskset CPUs for the game and the viewers).
#   Bounded: about WINDOW × 2 + 120 s, plus the build.
set -euo pipefail
cd "$(dirname "$0")/.."

VIEWERS=${VIEWERS:-2000}
TEAMS=${TEAMS:-100}
WINDOW=${WINDOW:-30}
GAME_CPU=${GAME_CPU:-}
CLIENT_CPU=${CLIENT_CPU:-}

log() { echo "bench-sse: $*" >&2; }
die() {
  log "$*"
  exit 1
}
for tool in python3 curl; do
  command -v "$tool" >/dev/null || die "needs $tool"
done

# Every viewer is a socket on both ends; the game raises its own limit to the hard one.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((VIEWERS + 256)) ] || die "open files are limited to $(ulimit -n); $VIEWERS viewers need more"

if [ -z "${GAMEDAY:-}" ]; then
  log "building (release)"
  cargo build --release --bins >&2
  GAMEDAY=target/release/gameday
fi
if [ -z "${CLIENT:-}" ]; then
  cargo build --release -p scoreboard --example sse_viewers >&2
  CLIENT=target/release/examples/sse_viewers
fi

TMP=$(mktemp -d)
game_pid=
cleanup() {
  if [ -n "$game_pid" ] && kill -0 "$game_pid" 2>/dev/null; then
    kill -INT "$game_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$game_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$game_pid" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pin() {
  local cpu=$1
  shift
  if [ -n "$cpu" ]; then taskset -c "$cpu" "$@"; else "$@"; fi
}

# A game of TEAMS simulated teams on loopback, cheap to score: a small keyset, few hash
# iterations, one request a second per team. It runs longer than the bench; the bench stops it.
scenario=$TMP/sse.toml
{
  cat <<EOF
[game]
name = "sse bench"
duration = "10m"
seed = 7
tick = "1s"
allow_private_targets = true

[keyset]
count = 50

[hash]
iterations = 10

[load]
phases = [{ at = "0s", rate = 1 }]
timeout = "2s"
max_in_flight = 20

[billing]
source = "fleet"
block = "30s"
EOF
  for i in $(seq -w 1 "$TEAMS"); do
    printf '\n[[team]]\nname = "team-%s"\nsimulate = { flavor = "v2", servers = 1, min_latency = "5ms" }\n' "$i"
  done
} >"$scenario"

PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
log "game: $TEAMS teams, web on 127.0.0.1:$PORT"
GAMEDAY=$(realpath "$GAMEDAY")
CLIENT=$(realpath "$CLIENT")
(cd "$TMP" && exec "$GAMEDAY" play sse.toml --no-tui --no-cache --board-every 0s \
  --db "$TMP/game.db" --web "127.0.0.1:$PORT") >"$TMP/game.log" 2>&1 &
game_pid=$!
if [ -n "$GAME_CPU" ]; then taskset -pc "$GAME_CPU" "$game_pid" >/dev/null; fi
for _ in $(seq 120); do
  curl -fsS "http://127.0.0.1:$PORT/api/board" >/dev/null 2>&1 && break
  kill -0 "$game_pid" 2>/dev/null || { cat "$TMP/game.log" >&2; die "the game exited"; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/api/board" >/dev/null || die "the web board never answered"
sleep 5

measure() {
  pin "$CLIENT_CPU" "$CLIENT" --addr "127.0.0.1:$PORT" --viewers "$1" --window "$WINDOW" \
    --pid "$game_pid" --clock-ticks "$(getconf CLK_TCK)"
}
log "measuring ${WINDOW}s without viewers"
idle=$(measure 0)
log "opening $VIEWERS viewers, then measuring ${WINDOW}s"
busy=$(measure "$VIEWERS")
kill -0 "$game_pid" 2>/dev/null || { cat "$TMP/game.log" >&2; die "the game exited during the bench"; }

python3 - "$idle" "$busy" "$TEAMS" <<'PY'
import json, sys
idle, busy, teams = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
n = busy["viewers"]
added = busy["cpu_share"] - idle["cpu_share"]
p99 = busy["p99_ms"]
print(f"Summary: {teams} teams, {n} viewers of /api/board/stream, {busy['window_s']:.0f} s windows")
print(f"viewers         {busy['ready']} of {n} had their first board before the window;"
      f" {busy['failed']} failed" + (f" ({busy['first_error']})" if busy["failed"] else ""))
print(f"updates         {busy['updates']} first seen in the window, {busy['updates_to_all']} reached"
      f" every viewer; {busy['frames']} frames read in all")
print(f"first-to-last   p50 {busy['p50_ms']} ms, p99 {p99} ms, max {busy['max_ms']} ms"
      f" (goal p99 < 1000 ms: {'met' if p99 is not None and p99 < 1000 else 'MISSED'})")
print(f"game CPU        {100 * idle['cpu_share']:.1f} % of a core without viewers,"
      f" {100 * busy['cpu_share']:.1f} % with {n}: viewers add {100 * added:.1f} %"
      f" (goal <= 25 %: {'met' if added <= 0.25 else 'MISSED'})")
PY
