#!/usr/bin/env bash
# Scale-out figures on this machine: a split game (a coordinator and W `gameday worker`
# processes on one PostgreSQL ledger) against teams served by nginx, for W = 1, 2 and 4.
# Prints, per W, the total verified req/s (correct answers the coordinator scored, over the
# game's duration) and each worker's ledger batch-insert latency (p50, p99, max).
#
# Knobs (environment): WORKERS ("1 2 4"), TEAMS (10), CLIENTS (closed-model clients per
# team, 64), DURATION (20s), KEYS (1000), ITERATIONS (1). PostgreSQL comes from Debian's
# packages (installed if missing), started privately in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/nginx-answers.sh
. scripts/lib/nginx-answers.sh
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

WORKERS=${WORKERS:-"1 2 4"}
TEAMS=${TEAMS:-10}
CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-20s}

bench_need nginx taskset python3 curl
if ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then
  bench_log "installing postgresql"
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >/dev/null
fi
bench_build

# A private PostgreSQL on a free port, as the postgres user when we are root.
pg_start() {
  local bin dir=$BENCH_TMP/pg as=()
  bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")
  PG_PORT=$(bench_free_ports 1)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    # The server runs as postgres: it must be able to reach its directory.
    chmod o+x "$BENCH_TMP"
    chown postgres "$dir"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U gameday --auth=trust --no-locale --no-sync >"$dir/initdb.log"
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop)
  LEDGER="postgres://gameday@127.0.0.1:$PG_PORT/postgres"
  bench_log "PostgreSQL on 127.0.0.1:$PG_PORT"
}
pg_stop() {
  [ -n "${PG_STOP[*]:-}" ] && "${PG_STOP[@]}" >/dev/null 2>&1 || true
}
trap 'pg_stop; bench_cleanup' EXIT

mapfile -t ports < <(bench_free_ports "$TEAMS")
bench_nginx_start "${ports[@]}"
pg_start

scenario=$BENCH_TMP/bench-workers.toml
{
  cat <<TOML
[game]
name = "bench workers"
duration = "$DURATION"
seed = $SEED
tick = "1s"
allow_private_targets = true

[keyset]
count = $KEYS

[hash]
iterations = $ITERATIONS
salt = "$SALT"

[load]
clients = $CLIENTS
timeout = "5s"

[billing]
source = "none"
TOML
  for i in "${!ports[@]}"; do
    printf '\n[[team]]\nname = "team-%02d"\nurl = "http://127.0.0.1:%s"\n' "$i" "${ports[$i]}"
  done
} >"$scenario"
"$GAMEDAY" check "$scenario" >/dev/null

seconds=$(bench_seconds "$DURATION")
declare -a summary=()
for w in $WORKERS; do
  game="bench-w$w-$$"
  log=$BENCH_TMP/coordinator-$w.log
  bench_log "W=$w: a $DURATION game, $TEAMS teams x $CLIENTS clients"
  "$GAMEDAY" play "$scenario" --ledger "$LEDGER" --game "$game" --workers external \
    --no-tui --no-web --board-every 0s >"$log" 2>&1 &
  coord=$!
  bench_track "$coord"
  pids=()
  for ((i = 0; i < w; i++)); do
    "$GAMEDAY" worker "$scenario" --segment "$i/$w" --ledger "$LEDGER" --game "$game" \
      >"$BENCH_TMP/worker-$w-$i.log" 2>&1 &
    pids+=($!)
    bench_track "$!"
  done
  wait "$coord" || { cat "$log" >&2; bench_die "the coordinator failed (W=$w)"; }
  for ((i = 0; i < w; i++)); do
    wait "${pids[$i]}" || { cat "$BENCH_TMP/worker-$w-$i.log" >&2; bench_die "worker $i/$w failed"; }
  done
  # The results table: rank, team, score, correct, errors, cost.
  correct=$(awk '/^rank +team/ {t=1; next} t && NF >= 5 {sum += $(NF-2)} END {print sum+0}' "$log")
  rps=$(python3 -c "print(f'{$correct / $seconds:,.0f}')")
  summary+=("$(printf 'W=%-2s %10s verified req/s  (%s correct in %s)' "$w" "$rps" "$correct" "$DURATION")")
  for ((i = 0; i < w; i++)); do
    line=$(grep -o 'ledger batch inserts: .*' "$BENCH_TMP/worker-$w-$i.log" || echo "ledger batch inserts: ?")
    summary+=("       worker $i/$w $line")
  done
  voids=$(grep -c "voided" "$log" || true)
  [ "$voids" = 0 ] || summary+=("       ($voids void lines in the coordinator's log)")
done

echo
echo "split game on $(nproc) cores: $TEAMS teams (nginx, CPU $SERVER_CPU), $CLIENTS closed clients each, $DURATION"
printf '%s\n' "${summary[@]}"
