#!/usr/bin/env bash
# Soaks loadgen against one nginx worker at a moderate open rate and checks that its memory stays flat: RSS at minute 1 (or 10 % of a shorter soak) against RSS at the end, within 10 %.
#
# Usage: scripts/soak-loadgen.sh            (10 minutes)
#        SOAK=60s scripts/soak-loadgen.sh   (a quick check)
# Environment: SOAK (10m), RATE (2000 requests per second), plus the knobs of
#   scripts/lib/nginx-answers.sh (KEYS, SEED, ITERATIONS, SALT, SERVER_CPU, CLIENT_CPU).
# Bounded: SOAK + 60 s at most for the run, plus the build.
set -euo pipefail
# shellcheck source=lib/nginx-answers.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib/nginx-answers.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

SOAK=${SOAK:-10m}
RATE=${RATE:-2000}
soak_s=$(bench_seconds "$SOAK")

bench_need nginx taskset python3 curl
bench_build
port=$(bench_free_ports 1)
bench_nginx_start "$port"

out=$BENCH_TMP/loadgen.json
bench_log "loadgen --rate $RATE for $SOAK on CPU $CLIENT_CPU; RSS and open sockets every 10 %"
taskset -c "$CLIENT_CPU" "$LOADGEN" "http://127.0.0.1:$port" --rate "$RATE" --duration "${soak_s}s" \
  "${KEYSET_FLAGS[@]}" --json >"$out" &
pid=$!
bench_track "$pid"

# Samples VmRSS (and the open sockets: pooled connections) at minute 1 (or 10 % of a shorter soak), at every tenth, and as late as the
# process lives (the end); prints "first end" (KiB) on the last line.
samples=$BENCH_TMP/rss.txt
python3 - "$pid" "$soak_s" >"$samples" <<'PY'
import os, sys, time
pid, soak = int(sys.argv[1]), float(sys.argv[2])
start = time.monotonic()
def rss():
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None  # gone (or a zombie: no VmRSS line)
def sockets():
    try:
        return sum(1 for fd in os.scandir(f"/proc/{pid}/fd")
                   if os.readlink(fd.path).startswith("socket:"))
    except OSError:
        return "?"
first_at = min(60.0, soak / 10)
times = sorted({first_at} | {soak * k / 10 for k in range(1, 10)})
first = last = None
for t in times:
    time.sleep(max(0.0, start + t - time.monotonic()))
    v = rss()
    if v is None:
        break
    print(f"   t={t:7.1f} s  RSS {v / 1024:7.1f} MiB  sockets {sockets()}", file=sys.stderr, flush=True)
    if t == first_at:
        first = v
    last = v
# The end: keep reading until the process is gone (or well past its time).
end_t = None
while time.monotonic() < start + soak + 60:
    v = rss()
    if v is None:
        break
    last, end_t = v, time.monotonic() - start
    time.sleep(0.1)
if end_t is not None:
    print(f"   t={end_t:7.1f} s  RSS {last / 1024:7.1f} MiB (last sample)", file=sys.stderr)
print(first if first is not None else "none", last if last is not None else "none")
PY
if kill -0 "$pid" 2>/dev/null && ! grep -q . "$out"; then
  sleep 1
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null || true
    sleep 5
  fi
fi
status=0
wait "$pid" || status=$?
[ "$status" = 0 ] || bench_die "loadgen exited with status $status"
read -r first end <"$samples"

echo
python3 - "$out" "$first" "$end" "$RATE" "$soak_s" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
first, end, rate, soak = sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
n = d["requests"]
print(f"Summary: loadgen soak at {rate:g} req/s for {soak:g} s against one nginx worker")
print(f"requests        {n} ({d['rps']:.0f} req/s), correct {d['correct']}, wrong {d['wrong_answer']},"
      f" other errors {n - d['correct'] - d['wrong_answer']}, dropped {d['dropped']}")
print(f"late sends      {d['late_sends']} = {100 * d['late_sends'] / max(n, 1):.3f} % of requests")
print(f"latency         p50 {d['latency_ms']['p50']:.2f} ms, p99 {d['latency_ms']['p99']:.2f} ms,"
      f" max {d['latency_ms']['max']:.2f} ms from due (p99 {d['uncorrected_latency_ms']['p99']:.2f} ms from send)")
if first == "none" or end == "none":
    print("RSS             not sampled (loadgen ended too early)")
    sys.exit(1)
first, end = int(first), int(end)
change = (end - first) / first
within = abs(change) <= 0.10
print(f"RSS             {first / 1024:.1f} MiB at {min(60.0, soak / 10):g} s, {end / 1024:.1f} MiB at the end"
      f" ({100 * change:+.1f} %): {'within 10 %' if within else 'NOT within 10 %'}")
sys.exit(0 if within and d["wrong_answer"] == 0 else 1)
PY
