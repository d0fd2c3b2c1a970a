#!/usr/bin/env bash
# The web board's read paths on a SQLite ledger and on a PostgreSQL one, side by side, each
# measured with two real clients (oha and wrk): /api/board (from memory), the newest page of a
# team's events (/api/team/events?limit=50, from the live projection) and an older page
# (?before=…, read from the ledger through the pool of long-lived handles). The token is
# checked on every request. Prints requests/s and the PostgreSQL/SQLite ratio.
#
# Usage: scripts/bench-web.sh
# Environment: TEAMS (100), TICKS (600), CONNS (20), SECS (10 per run), THREADS (2).
#   Needs oha (cargo install oha), wrk (apt), and PostgreSQL's server binaries (apt
#   postgresql). Bounded: about 2 backends × 3 paths × 2 clients × SECS, plus the ledgers.
set -euo pipefail
cd "$(dirname "$0")/.."

TEAMS=${TEAMS:-100}
TICKS=${TICKS:-600}
CONNS=${CONNS:-20}
SECS=${SECS:-10}
THREADS=${THREADS:-2}

log() { echo "bench-web: $*" >&2; }
die() {
  log "$*"
  exit 1
}
for tool in oha wrk curl; do
  command -v "$tool" >/dev/null || die "needs $tool"
done
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pg_bin/initdb" ] || die "needs PostgreSQL's server (apt-get install postgresql)"

cargo build --release --quiet -p scoreboard-ledger -p gameday --bins
bin=target/release
dir=$(mktemp -d)
chmod 755 "$dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -d "$dir/pg" ]; then as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: the server runs as the postgres user there.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  mkdir -p "$dir/pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir/pg"
  as_pg "$pg_bin/initdb" -D "$dir/pg" -A trust -U gameday -E UTF8 --no-locale --no-sync >/dev/null
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w \
    -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  echo "postgres://gameday@127.0.0.1:$port/postgres"
}

# Starts `gameday serve` on the ledger the arguments name; sets $addr, $token and $before.
serve() {
  "$bin/gameday" teams "$@" --team team-1 --csv >"$dir/token.csv"
  token=$(tail -1 "$dir/token.csv" | cut -d, -f2)
  "$bin/gameday" serve "$@" --web 127.0.0.1:0 --refresh 2s \
    >"$dir/serve.out" 2>"$dir/serve.err" &
  serve_pid=$!
  pids+=("$serve_pid")
  until grep -q "http://" "$dir/serve.out" 2>/dev/null; do
    kill -0 "$serve_pid" 2>/dev/null || { cat "$dir/serve.err" >&2; exit 1; }
    sleep 0.1
  done
  addr=$(grep -o 'http://[^/ ]*' "$dir/serve.out" | head -1)
  before=$(curl -fsS -H "Authorization: Bearer $token" "$addr/api/team/events?limit=50" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("next_before") or 0)')
}

rate_oha() {
  oha -z "${SECS}s" -c "$CONNS" --no-tui --output-format json -H "Authorization: Bearer $token" "$1" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["statusCodeDistribution"]; print(round(d["summary"]["requestsPerSec"]) if list(s)==["200"] else "errors:"+str(s))'
}
rate_wrk() {
  wrk -t "$THREADS" -c "$CONNS" -d "${SECS}s" -H "Authorization: Bearer $token" "$1" |
    awk '/Non-2xx/ {bad=1} /Requests\/sec/ {r=$2} END {print bad ? "errors" : int(r)}'
}

declare -A result
measure() {
  local backend=$1
  local -a paths=("/api/board" "/api/team/events?limit=50" "/api/team/events?limit=50&before=$before")
  local names=("board" "events-newest" "events-older")
  for i in 0 1 2; do
    for client in oha wrk; do
      result[$backend,${names[$i]},$client]=$("rate_$client" "$addr${paths[$i]}")
      log "$backend ${names[$i]} $client: ${result[$backend,${names[$i]},$client]} req/s"
    done
  done
  kill "$serve_pid"
  wait "$serve_pid" 2>/dev/null || true
}

log "writing $TEAMS teams x $TICKS ticks to SQLite"
"$bin/ledger-writer" "$dir/game.db" "$TEAMS" "$TICKS" | tail -1 >&2
serve --db "$dir/game.db"
measure sqlite

log "starting a private PostgreSQL server"
url=$(start_postgres)
log "writing $TEAMS teams x $TICKS ticks to PostgreSQL"
"$bin/ledger-writer" "$url" "$TEAMS" "$TICKS" | tail -1 >&2
serve --ledger "$url" --game synthetic
measure postgres

printf '\n%-16s %-6s %12s %12s %8s\n' path client sqlite postgres pg/sqlite
for name in board events-newest events-older; do
  for client in oha wrk; do
    s=${result[sqlite,$name,$client]}
    p=${result[postgres,$name,$client]}
    ratio=$(awk -v s="$s" -v p="$p" 'BEGIN { if (s+0 > 0 && p+0 > 0) printf "%.2f", p/s; else print "-" }')
    printf '%-16s %-6s %12s %12s %8s\n' "$name" "$client" "$s" "$p" "$ratio"
  done
done
echo "goals (PostgreSQL): events-older >= 2,000 req/s, events-newest >= 20,000, board >= 20,000"
