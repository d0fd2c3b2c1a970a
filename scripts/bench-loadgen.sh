#!/usr/bin/env bash
# Benchmarks loadgen's throughput and client CPU per request against oha and wrk: one nginx worker on CPU 0 serves the answer table, each client runs alone on CPU 1, rounds alternate the tools.
# It prints the medians of each tool and, steadier on a drifting host, the medians of the
# round-by-round (paired) ratios.
#
# Usage: scripts/bench-loadgen.sh
# Environment: ROUNDS (3), DURATION (5s, per tool and round), CONNECTIONS (50),
#   OHA_THREADS (1: oha's tokio workers, all on the one client CPU),
#   CLIENT_QUOTA (unset: each client has all of CLIENT_CPU; a percentage such as 50 holds
#   every client to that share of the core with a CPU cgroup (needs root), so that the
#   clients, not the one nginx worker, are the limit and req/s compares the clients),
#   QUOTA_PERIOD (10000: the quota's period in µs; a held client runs at full speed for
#   CLIENT_QUOTA % of each period, and where that is faster than nginx it waits on nginx
#   inside its share: the summary's "sleeps" column counts those waits),
#   BENCH_RT (unset; 1: nginx and each client run SCHED_FIFO, so that other work on a shared
#   machine cannot delay them, and CLIENT_QUOTA is an RT budget of the cgroup (cgroup v1 with
#   RT group scheduling, root): on a busy machine a CFS-held client waits on the scheduler
#   and on an nginx that waits too, and uses only part of its quota; the summary's
#   "quota use" column shows it),
#   plus the knobs of scripts/lib/nginx-answers.sh (KEYS, SEED, ITERATIONS, SALT,
#   SERVER_CPU, CLIENT_CPU, and BENCH_TLS=1 for HTTPS with TLS=1.3 or 1.2:
#   scripts/bench-tls.sh; over HTTPS each run says what its connections negotiated, and a
#   run whose connections negotiated another version fails).
# Bounded: about ROUNDS × 3 × (DURATION + 1 s), plus the build.
set -euo pipefail
# shellcheck source=lib/nginx-answers.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib/nginx-answers.sh"
QUOTA_CGROUP=
cleanup() {
  bench_cleanup
  if [ -n "$QUOTA_CGROUP" ]; then
    rmdir "$QUOTA_CGROUP" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-50}
OHA_THREADS=${OHA_THREADS:-1}
duration_s=$(bench_seconds "$DURATION")
# A run that has not ended well past its duration is stuck: stop it. (oha held to a share
# of its core on a busy machine overran 5 s runs to 5-35 s and more: it is given 90 s.)
limit=$(python3 -c "print(int(float('$duration_s')) + 90)")

bench_need nginx wrk taskset oha time python3 curl
[ -z "$BENCH_TLS" ] || bench_need openssl
# With TLS, the clients trust the bench's private CA (wrk does not check certificates).
TRUST=()
[ -z "$BENCH_TLS" ] || TRUST=(--cacert "$BENCH_CA")

# Makes a CPU cgroup that holds its processes to CLIENT_QUOTA % of one core (cgroup v2's
# cpu.max, or v1's CFS quota; with BENCH_RT, v1's RT budget) and sets QUOTA_CGROUP to it.
quota_start() {
  case $CLIENT_QUOTA in
    '' | *[!0-9]* | 0) bench_die "CLIENT_QUOTA must be a whole percentage from 1 to 100, got '$CLIENT_QUOTA'" ;;
  esac
  [ "$CLIENT_QUOTA" -le 100 ] || bench_die "CLIENT_QUOTA must be at most 100, got $CLIENT_QUOTA"
  local period=$QUOTA_PERIOD quota=$((CLIENT_QUOTA * QUOTA_PERIOD / 100))
  if [ -n "$BENCH_RT" ]; then
    # SCHED_FIFO tasks are outside CFS's quota: only an RT budget holds them.
    QUOTA_CGROUP=/sys/fs/cgroup/cpu/bench-loadgen.$$
    [ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] ||
      bench_die "BENCH_RT=1 with CLIENT_QUOTA needs cgroup v1's RT group scheduling (no /sys/fs/cgroup/cpu/cpu.rt_runtime_us)"
    mkdir "$QUOTA_CGROUP" 2>/dev/null && echo "$period" >"$QUOTA_CGROUP/cpu.rt_period_us" &&
      echo "$quota" >"$QUOTA_CGROUP/cpu.rt_runtime_us" ||
      bench_die "BENCH_RT=1 with CLIENT_QUOTA needs an RT budget of $quota µs every $period µs in $QUOTA_CGROUP (run as root; other RT groups may hold the rest)"
  elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
    QUOTA_CGROUP=/sys/fs/cgroup/bench-loadgen.$$
    mkdir "$QUOTA_CGROUP" 2>/dev/null && echo "$quota $period" >"$QUOTA_CGROUP/cpu.max" 2>/dev/null ||
      bench_die "CLIENT_QUOTA needs a cgroup v2 CPU controller it may write (run as root): $QUOTA_CGROUP"
  elif [ -d /sys/fs/cgroup/cpu ]; then
    QUOTA_CGROUP=/sys/fs/cgroup/cpu/bench-loadgen.$$
    mkdir "$QUOTA_CGROUP" 2>/dev/null && echo "$period" >"$QUOTA_CGROUP/cpu.cfs_period_us" &&
      echo "$quota" >"$QUOTA_CGROUP/cpu.cfs_quota_us" ||
      bench_die "CLIENT_QUOTA needs the cgroup v1 cpu controller writable (run as root): $QUOTA_CGROUP"
  else
    bench_die "CLIENT_QUOTA needs a CPU cgroup (no /sys/fs/cgroup/cgroup.controllers or /sys/fs/cgroup/cpu)"
  fi
  bench_log "clients held to $CLIENT_QUOTA % of CPU $CLIENT_CPU ($quota µs every $period µs${BENCH_RT:+ of SCHED_FIFO}, $QUOTA_CGROUP)"
}

# Runs a command in the quota cgroup, if there is one.
in_quota() {
  if [ -z "$QUOTA_CGROUP" ]; then
    exec "$@"
  fi
  local tasks=$QUOTA_CGROUP/cgroup.procs
  [ -f "$tasks" ] || tasks=$QUOTA_CGROUP/tasks
  echo "$BASHPID" >"$tasks"
  exec "$@"
}
CLIENT_QUOTA=${CLIENT_QUOTA:-}
QUOTA_PERIOD=${QUOTA_PERIOD:-10000}
case $QUOTA_PERIOD in
  '' | *[!0-9]* | 0) bench_die "QUOTA_PERIOD must be a whole number of µs, got '$QUOTA_PERIOD'" ;;
esac
BENCH_RT=${BENCH_RT:-}
# The clients' scheduling: SCHED_FIFO with BENCH_RT (nginx too, below).
SCHED=()
if [ -n "$BENCH_RT" ]; then
  bench_need chrt
  SCHED=(chrt -f 1)
fi
if [ -n "$CLIENT_QUOTA" ]; then
  quota_start
fi
bench_build
port=$(bench_free_ports 1)
bench_nginx_start "$port"
if [ -n "$BENCH_RT" ]; then
  chrt -f -p 1 "$NGINX_PID" || bench_die "BENCH_RT=1: could not make nginx SCHED_FIFO (run as root)"
  bench_log "nginx and the clients run SCHED_FIFO (priority 1)"
fi
base=$BENCH_SCHEME://127.0.0.1:$port
sed "s|^|$base/calc?input=|" "$BENCH_TMP/keys.txt" >"$BENCH_TMP/urls.txt"
one_url="$base/calc?input=$FIRST_KEY"
results=$BENCH_TMP/results.tsv
: >"$results"
out=$BENCH_TMP/out
cpu=$BENCH_TMP/cpu

clk_tck=$(getconf CLK_TCK)
# nginx's user + system CPU so far, in clock ticks.
nginx_ticks() {
  awk '{print $14 + $15}' "/proc/$NGINX_PID/stat"
}

# Busy clock ticks (user, nice, system, irq, softirq, steal) of the server and client CPUs.
cpus_ticks() {
  awk -v a="cpu$SERVER_CPU" -v b="cpu$CLIENT_CPU" \
    '$1 == a || $1 == b { s += $2 + $3 + $4 + $7 + $8 + $9 } END { print s }' /proc/stat
}

# Runs a client pinned to CLIENT_CPU under /usr/bin/time; its stdout goes to $out, its
# user and system CPU seconds and its voluntary context switches (sleeps: it had nothing
# to do) to $cpu, nginx's CPU seconds meanwhile to $cpu.server, and the busy seconds of
# both CPUs to $cpu.both.
client() {
  local before both_before
  before=$(nginx_ticks)
  both_before=$(cpus_ticks)
  bench_run in_quota "${SCHED[@]}" timeout --signal=INT --kill-after=5 "$limit" \
    taskset -c "$CLIENT_CPU" /usr/bin/time -f '%U %S %w' -o "$cpu" "$@" >"$out" 2>"$out.err" || {
    echo "error: client failed: $*" >&2
    cat "$out.err" >&2
    exit 1
  }
  echo "$(( $(nginx_ticks) - before )) $clk_tck" | awk '{print $1 / $2}' >"$cpu.server"
  echo "$(( $(cpus_ticks) - both_before )) $clk_tck" | awk '{print $1 / $2}' >"$cpu.both"
}

# Appends "tool round requests seconds client_cpu_s extra nginx_cpu_s other_cpu_s sleeps"
# to the results and prints one line. other_cpu_s is what the two CPUs did besides the client and
# nginx: softirq work not charged to either, and other processes (a busy machine); with a
# quota, /proc/stat's tick sampling also counts part of a held client's idle half as busy.
record() {
  local tool=$1 round=$2 requests=$3 seconds=$4 extra=${5:-}
  local cpu_s server_s other_s sleeps tls=
  if [ -n "$BENCH_TLS" ]; then
    tls=$(bench_tls_seen) || tls_bad+=("round $round, $tool: ${tls:-no connection logged}")
  fi
  cpu_s=$(awk '{print $1 + $2}' "$cpu")
  sleeps=$(awk '{print $3}' "$cpu")
  server_s=$(cat "$cpu.server")
  other_s=$(awk -v c="$cpu_s" -v s="$server_s" '{print $1 - c - s}' "$cpu.both")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$round" "$requests" "$seconds" "$cpu_s" "$extra" "$server_s" "$other_s" "$sleeps" "$tls" >>"$results"
  python3 - "$tool" "$round" "$requests" "$seconds" "$cpu_s" "$server_s" "$other_s" "$extra" "$sleeps" "$tls" <<'PY' >&2
import sys
tool, rnd, n, secs, cpu, srv, other, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
sleeps = int(sys.argv[9])
if sys.argv[10]:
    extra += f"; negotiated {sys.argv[10]}"
print(f"   round {rnd} {tool:<8} {n:>9} requests in {secs:.2f} s = {n / secs:>7.0f} req/s;"
      f" client CPU {cpu:5.2f} s ({100 * cpu / secs:3.0f} % of its core) = {1e6 * cpu / max(n, 1):5.1f} µs/request;"
      f" nginx CPU {100 * srv / secs:3.0f} %; other {100 * other / secs:3.0f} %; {1000 * sleeps / max(n, 1):.0f} sleeps/1k requests")
print(f"           {extra}")
PY
}

run_loadgen() {
  client "$LOADGEN" "$base" --clients "$CONNECTIONS" --duration "$DURATION" "${KEYSET_FLAGS[@]}" "${TRUST[@]}" --json
  local fields
  fields=$(python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
errors = d["requests"] - d["correct"]
extra = f"correct {d['correct']}, wrong {d['wrong_answer']}, other errors {errors - d['wrong_answer']}"
if d["wrong_answer"] or errors:
    extra += f" !! status {d['status']} timeout {d['timeout']} connect {d['connect_error']} dropped {d['dropped']} reset {d.get('reset')} malformed {d.get('malformed')}"
print(d["requests"], d["duration_s"], d["correct"], d["wrong_answer"], errors, extra, sep="\t")
PY
  )
  local requests seconds wrong errors extra
  IFS=$'\t' read -r requests seconds _ wrong errors extra <<<"$fields"
  record loadgen "$1" "$requests" "$seconds" "$extra"
  if [ "$wrong" != 0 ] || [ "$errors" != 0 ]; then
    loadgen_bad=$((loadgen_bad + 1))
  fi
}

run_oha() {
  client "$OHA" --no-tui -c "$CONNECTIONS" -z "$DURATION" --worker-threads "$OHA_THREADS" \
    --output-format json --urls-from-file "$BENCH_TMP/urls.txt" "${TRUST[@]}"
  local fields requests seconds extra
  fields=$(python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
codes = d.get("statusCodeDistribution", {})
done = sum(codes.values())
errors = d.get("errorDistribution", {})
print(done, d["summary"]["total"], f"status {codes} errors {errors}", sep="\t")
PY
  )
  IFS=$'\t' read -r requests seconds extra <<<"$fields"
  record oha "$1" "$requests" "$seconds" "$extra"
}

run_wrk() {
  client wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "$one_url"
  local fields requests seconds extra
  fields=$(python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"(\d+) requests in ([0-9.]+)(us|ms|s|m)", text)
if not m:
    sys.exit("wrk: no 'N requests in T' line in:\n" + text)
secs = float(m.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[m.group(3)]
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errs = re.search(r"Socket errors: (.*)", text)
extra = "one URL, body unchecked"
if bad:
    extra += f"; non-2xx {bad.group(1)}"
if errs:
    extra += f"; socket errors {errs.group(1)}"
print(m.group(1), secs, extra, sep="\t")
PY
  )
  IFS=$'\t' read -r requests seconds extra <<<"$fields"
  record wrk "$1" "$requests" "$seconds" "$extra"
}

loadgen_bad=0
tls_bad=()
bench_log "$ROUNDS round(s) over $BENCH_SCHEME of loadgen, oha and wrk (the order turns each round), $CONNECTIONS connections, $DURATION each, clients on CPU $CLIENT_CPU"
tools=(loadgen oha wrk)
for round in $(seq "$ROUNDS"); do
  # The order turns each round, so that no tool always runs first after a pause or right
  # after the same neighbour (the host's speed drifts over tens of seconds).
  shift_by=$(((round - 1) % ${#tools[@]}))
  for tool in "${tools[@]:shift_by}" "${tools[@]:0:shift_by}"; do
    "run_$tool" "$round"
    sleep 1
  done
done

echo
python3 - "$results" "$CONNECTIONS" "$DURATION" "$ROUNDS" "$CLIENT_QUOTA" "$BENCH_SCHEME" "$BENCH_RT" "$QUOTA_PERIOD" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
tools = ["loadgen", "oha", "wrk"]
rps, cpu_us, busy, srv, other, sleeps = {}, {}, {}, {}, {}, {}
for tool in tools:
    mine = [r for r in rows if r[0] == tool]
    rps[tool] = statistics.median(int(r[2]) / float(r[3]) for r in mine)
    cpu_us[tool] = statistics.median(1e6 * float(r[4]) / max(int(r[2]), 1) for r in mine)
    busy[tool] = statistics.median(100 * float(r[4]) / float(r[3]) for r in mine)
    srv[tool] = statistics.median(100 * float(r[6]) / float(r[3]) for r in mine)
    other[tool] = statistics.median(100 * float(r[7]) / float(r[3]) for r in mine)
    sleeps[tool] = statistics.median(1000 * int(r[8]) / max(int(r[2]), 1) for r in mine)
quota = sys.argv[5]
held = f", each client held to {quota} % of its core every {sys.argv[8]} µs" if quota else ""
held += ", nginx and clients SCHED_FIFO" if sys.argv[7] else ""
print(f"Summary: median of {sys.argv[4]} round(s), {sys.argv[2]} connections over {sys.argv[6]}, {sys.argv[3]} each, one nginx worker{held}")
loadgen = [r for r in rows if r[0] == "loadgen"]
print("loadgen checked every answer: " + "; ".join(f"round {r[1]}: {r[5]}" for r in loadgen))
if any(r[9] for r in rows):
    # nginx's log: the first request of each connection, with what it negotiated.
    print("negotiated (nginx's log, a line a connection): " + "; ".join(
        f"{t} " + " | ".join(sorted({r[9] for r in rows if r[0] == t})) for t in tools))
# A held client's CPU over its quota: under 100 %, something else held it back (nginx, or
# the scheduler on a busy machine), and req/s no longer follows its CPU per request.
use = {t: 100 * busy[t] / float(quota) for t in tools} if quota else {}
use_head = f" {'quota use %':>12}" if quota else ""
print(f"{'tool':<8} {'req/s':>10} {'CPU µs/request':>15} {'client CPU %':>13}{use_head} {'nginx CPU %':>12} {'other CPU %':>12} {'sleeps/1k':>10}  checks bodies")
for tool, checks in zip(tools, ["yes (every answer)", "no (random keyset URL)", "no (one URL)"]):
    use_col = f" {use[tool]:>12.0f}" if quota else ""
    print(f"{tool:<8} {rps[tool]:>10.0f} {cpu_us[tool]:>15.2f} {busy[tool]:>13.0f}{use_col} {srv[tool]:>12.0f} {other[tool]:>12.0f} {sleeps[tool]:>10.0f}  {checks}")
short = [t for t in tools if quota and use[t] < 90]
if short:
    print(f"note: {' and '.join(f'{t} used {use[t]:.0f} %' for t in short)} of the quota: held back by"
          " something else than its quota (nginx, or the scheduler on a busy machine), so req/s does not"
          " follow CPU per request there" + ("" if sys.argv[7] else "; BENCH_RT=1 runs nginx and the clients SCHED_FIFO"))
waited = [t for t in tools if quota and sleeps[t] > 100]
if waited:
    print(f"note: {' and '.join(f'{t} slept {sleeps[t]:.0f} times a 1,000 requests' for t in waited)}: at full"
          " speed inside its share it outran nginx and waited on it (each wait a sleep and a wakeup, kernel"
          " time in its CPU per request); a shorter QUOTA_PERIOD makes those bursts shorter")
noisy = [r for r in rows if 100 * float(r[7]) / float(r[3]) > 20]
if noisy:
    print(f"note: in {len(noisy)} of {len(rows)} runs the two CPUs spent over 20 % of a core on work charged"
          " to neither the client nor nginx: other processes (a busy machine: treat req/s with care"
          + ("" if sys.argv[7] else "; BENCH_RT=1 keeps them from delaying nginx and the clients")
          + "), or kernel work outside the client's account"
          + ("; with a quota, also the tick-sampled /proc/stat of a CPU whose client is held (perf found"
             " it idle there)" if quota else "") + " (see loadgen/README.md)")
ratio = lambda a, b: a / b if b else float("nan")
print(f"req/s          loadgen/oha {ratio(rps['loadgen'], rps['oha']):.2f}   loadgen/wrk {ratio(rps['loadgen'], rps['wrk']):.2f}")
print(f"CPU/request    loadgen/oha {ratio(cpu_us['loadgen'], cpu_us['oha']):.2f}   loadgen/wrk {ratio(cpu_us['loadgen'], cpu_us['wrk']):.2f}")
# Round by round: each round's tools ran within seconds of each other, so the ratios of
# one round compare them at one speed of the host, which drifts over tens of seconds
# (this VM ran the same client at 100k and 120k req/s in runs a minute apart). The medians
# of these paired ratios are the steadier figures; the medians above mix the host's phases.
per_round = {t: {r[1]: (int(r[2]) / float(r[3]), 1e6 * float(r[4]) / max(int(r[2]), 1)) for r in rows if r[0] == t} for t in tools}
span = lambda xs: f"{statistics.median(xs):.2f} (rounds {min(xs):.2f}-{max(xs):.2f})"
for peer in ["oha", "wrk"]:
    both = [n for n in per_round["loadgen"] if n in per_round[peer]]
    if len(both) < 2:
        continue
    fast = [per_round["loadgen"][n][0] / per_round[peer][n][0] for n in both]
    cheap = [per_round["loadgen"][n][1] / per_round[peer][n][1] for n in both]
    print(f"paired loadgen/{peer:<4} req/s {span(fast)}   CPU/request {span(cheap)}")
peer_rps = [per_round["wrk"][n][0] for n in per_round["wrk"]]
if peer_rps:
    print(f"wrk alone {min(peer_rps):.0f}-{max(peer_rps):.0f} req/s from round to round")
saturated = [t for t in tools if srv[t] >= 95]
if saturated:
    print(f"note: nginx's one worker was {' and '.join(f'{srv[t]:.0f} % busy under {t}' for t in saturated)}:"
          " there req/s is the server's limit, and a client cannot pass another that reaches it too;"
          " CPU/request still compares the clients"
          + ("" if quota else "; CLIENT_QUOTA=50 holds the clients to half a core, so that they are the limit"))
PY
if [ ${#tls_bad[@]} -gt 0 ]; then
  echo "FAIL: connections negotiated another version than TLS $TLS: ${tls_bad[*]}" >&2
  exit 1
fi
if [ "$loadgen_bad" != 0 ]; then
  echo "FAIL: loadgen saw wrong answers or errors in $loadgen_bad round(s) (see above)" >&2
  exit 1
fi
