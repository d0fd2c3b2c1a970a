#!/usr/bin/env bash
# Measures loadgen at scale in one process: many separate targets (one nginx worker listening on as many 127.0.0.1 ports) at an open rate each, reporting correctness, late sends, p99 and peak RSS.
#
# Usage: scripts/bench-scale.sh
# Environment: TARGETS (200), RATE (50, requests per second for each target), DURATION (60s),
#   plus the knobs of scripts/lib/nginx-answers.sh (KEYS, SEED, ITERATIONS, SALT, SERVER_CPU,
#   CLIENT_CPU). Bounded: DURATION + 60 s at most for the run, plus the build.
set -euo pipefail
# shellcheck source=lib/nginx-answers.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib/nginx-answers.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

TARGETS=${TARGETS:-200}
RATE=${RATE:-50}
DURATION=${DURATION:-60s}
duration_s=$(bench_seconds "$DURATION")
limit=$(python3 -c "print(int(float('$duration_s')) + 60)")

bench_need nginx taskset time python3 curl
bench_build
mapfile -t ports < <(bench_free_ports "$TARGETS")
bench_nginx_start "${ports[@]}"
urls=()
for port in "${ports[@]}"; do
  urls+=("http://127.0.0.1:$port")
done

bench_log "loadgen: $TARGETS separate targets × $RATE req/s for $DURATION, on CPU $CLIENT_CPU"
out=$BENCH_TMP/loadgen.json
usage=$BENCH_TMP/time.txt
watch=$BENCH_TMP/watch.txt
status=0
# Time the hypervisor gave the client's CPU to someone else (steal), in clock ticks: a
# stolen stretch of more than 5 ms makes every target's sends late at once.
steal_ticks() {
  awk -v c="cpu$CLIENT_CPU" '$1 == c { print $9 }' /proc/stat
}
steal_before=$(steal_ticks)
timeout --signal=INT --kill-after=10 "$limit" \
  taskset -c "$CLIENT_CPU" /usr/bin/time -v -o "$usage" \
  "$LOADGEN" "${urls[@]}" --targets separate --rate "$RATE" --duration "$DURATION" \
  "${KEYSET_FLAGS[@]}" --json >"$out" &
run=$!
bench_track "$run"
bench_watch_loadgen "$run" "$watch" &
bench_track $!
wait "$run" || status=$?
if [ "$status" != 0 ]; then
  cat "$usage" >&2 || true
  bench_die "loadgen exited with status $status"
fi

stolen_s=$(echo "$(( $(steal_ticks) - steal_before )) $(getconf CLK_TCK)" | awk '{print $1 / $2}')

echo
python3 - "$out" "$usage" "$TARGETS" "$RATE" "$duration_s" "$watch" "$BENCH_TMP/nginx/error.log" "$stolen_s" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
usage = open(sys.argv[2]).read()
targets, rate, secs = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
def field(name):
    m = re.search(re.escape(name) + r":\s*([0-9.:]+)", usage)
    return m.group(1) if m else "?"
rss_mib = int(field("Maximum resident set size (kbytes)")) / 1024
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
n, correct = d["requests"], d["correct"]
errors = n - correct
late = d["late_sends"] / n if n else float("nan")
due = targets * rate * secs
print(f"Summary: {targets} targets × {rate:g} req/s for {secs:g} s (one loadgen process, one nginx worker)")
print(f"requests        {n} ({100 * n / due:.1f} % of the {due:.0f} due), {d['rps']:.0f} req/s over {d['duration_s']:.1f} s")
print(f"correct         {correct}; wrong answers {d['wrong_answer']}; other errors {errors - d['wrong_answer']}"
      + (f" (status {d['status']}, timeout {d['timeout']}, connect {d['connect_error']}, reset {d.get('reset')},"
         f" malformed {d.get('malformed')}, dropped {d['dropped']})" if errors else ""))
print(f"late sends      {d['late_sends']} = {100 * late:.3f} % of requests left more than 5 ms late"
      f" (goal < 0.1 %: {'met' if late < 0.001 else 'MISSED'})")
print(f"p99 latency     {d['latency_ms']['p99']:.2f} ms from due, {d['uncorrected_latency_ms']['p99']:.2f} ms from send"
      f" (p50 {d['latency_ms']['p50']:.2f} ms, max {d['latency_ms']['max']:.2f} ms)")
print(f"client CPU      {cpu:.2f} s = {100 * cpu / d['duration_s']:.0f} % of one core, {1e6 * cpu / max(n, 1):.1f} µs/request")
print(f"peak RSS        {rss_mib:.1f} MiB")
print(f"stolen CPU      {1e3 * float(sys.argv[8]):.0f} ms of the client's CPU went to other guests of the host (steal)")
samples = [line.split() for line in open(sys.argv[6]) if line.strip()]
if samples:
    peak = max(int(s[1]) for s in samples)
    step = max(1, len(samples) // 10)
    series = ", ".join(f"{float(s[0]):.1f}s {s[1]}" for s in samples[::step])
    print(f"open sockets    peak {peak}, {peak / targets:.1f} per target (a few are loadgen's own; one pooled"
          f" connection a target would be about {targets}); over time: {series}")
warnings = [l for l in open(sys.argv[7]) if "[warn]" in l or "[error]" in l or "[crit]" in l]
if warnings:
    print(f"nginx           {len(warnings)} warnings/errors, e.g. {warnings[0].strip()[20:]}")
sys.exit(1 if d["wrong_answer"] else 0)
PY
