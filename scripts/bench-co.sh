#!/usr/bin/env bash
# Checks loadgen's coordinated-omission honesty: a target that freezes for 1 s once during a 20 s open-model run at 50 req/s must show in loadgen's p99 (PASS/FAIL), with wrk's closed-model p99 beside it for contrast.
#
# Usage: scripts/bench-co.sh
# Environment: RATE (50), DURATION (20s), STALL_AT (10, seconds after the server's first
#   /calc request), STALL_FOR (1, seconds), CONTRAST ("wrk oha": closed-model runs with one
#   connection against a fresh stall server each, for those installed; "" skips them), plus
#   KEYS, SEED, ITERATIONS, SALT, SERVER_CPU, CLIENT_CPU as in scripts/lib/nginx-answers.sh
#   (nginx itself is not used here).
# Bounded: DURATION + 30 s for loadgen, and as much again for each contrast tool.
set -euo pipefail
# shellcheck source=lib/nginx-answers.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib/nginx-answers.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

RATE=${RATE:-50}
DURATION=${DURATION:-20s}
STALL_AT=${STALL_AT:-10}
STALL_FOR=${STALL_FOR:-1}
CONTRAST=${CONTRAST-wrk oha}
duration_s=$(bench_seconds "$DURATION")
limit=$(python3 -c "print(int(float('$duration_s')) + 30)")

bench_need taskset python3 curl
bench_build
"$GAMEDAY" keys --seed "$SEED" --count "$KEYS" >"$BENCH_TMP/keys.txt"
FIRST_KEY=$(head -n1 "$BENCH_TMP/keys.txt")

# The stall server: answers /calc?input=KEY with the unicorn hash; every /calc request that
# arrives between STALL_AT and STALL_AT + STALL_FOR seconds after the first /calc request
# waits until STALL_AT + STALL_FOR before it is answered. /healthcheck does not start the clock.
cat >"$BENCH_TMP/stall.py" <<'PY'
import base64, hashlib, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

port, salt, iterations = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])
stall_at, stall_for = float(sys.argv[4]), float(sys.argv[5])
lock = threading.Lock()
state = {"t0": None, "stalled": 0, "served": 0}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/healthcheck":
            return self.reply(200, "ok")
        if url.path != "/calc":
            return self.reply(404, "not found")
        key = parse_qs(url.query).get("input", [""])[0]
        if not key:
            return self.reply(400, "missing input")
        now = time.monotonic()
        with lock:
            if state["t0"] is None:
                state["t0"] = now
            t = now - state["t0"]
            stalled = stall_at <= t < stall_at + stall_for
            state["stalled"] += stalled
            state["served"] += 1
        if stalled:
            time.sleep(state["t0"] + stall_at + stall_for - now)
        dk = hashlib.pbkdf2_hmac("sha256", key.encode(), salt, iterations, 32)
        self.reply(200, base64.b64encode(dk).decode())

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        # A client closing mid-request (oha at its deadline) is not news.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)

server = Server(("127.0.0.1", port), Handler)
def report(*_):
    print(f"stall server: {state['served']} /calc requests, {state['stalled']} arrived in the stall", flush=True)
    sys.exit(0)
import signal
signal.signal(signal.SIGTERM, report)
server.serve_forever()
PY

# Starts a fresh stall server pinned to SERVER_CPU; sets STALL_PORT, STALL_PID, STALL_LOG.
start_stall() {
  STALL_PORT=$(bench_free_ports 1)
  STALL_LOG=$BENCH_TMP/stall-$STALL_PORT.log
  taskset -c "$SERVER_CPU" python3 "$BENCH_TMP/stall.py" "$STALL_PORT" "$SALT" "$ITERATIONS" \
    "$STALL_AT" "$STALL_FOR" >"$STALL_LOG" 2>&1 &
  STALL_PID=$!
  bench_track "$STALL_PID"
  bench_wait_answer "http://127.0.0.1:$STALL_PORT/healthcheck" ok "$STALL_PID" ||
    { cat "$STALL_LOG" >&2; bench_die "the stall server did not start"; }
}

# Stops the stall server and prints what it saw.
stop_stall() {
  kill "$STALL_PID" 2>/dev/null || true
  wait "$STALL_PID" 2>/dev/null || true
  cat "$STALL_LOG" >&2
}

start_stall
bench_log "loadgen --rate $RATE --duration $DURATION against a server that freezes ${STALL_FOR}s at t=${STALL_AT}s"
out=$BENCH_TMP/loadgen.json
status=0
bench_run timeout --signal=INT --kill-after=10 "$limit" taskset -c "$CLIENT_CPU" \
  "$LOADGEN" "http://127.0.0.1:$STALL_PORT" --rate "$RATE" --duration "$DURATION" \
  "${KEYSET_FLAGS[@]}" --timeout 5s --json >"$out" || status=$?
stop_stall
[ "$status" = 0 ] || bench_die "loadgen exited with status $status"

wrk_out=
oha_out=
for tool in $CONTRAST; do
  case $tool in
    wrk) command -v wrk >/dev/null 2>&1 || continue ;;
    oha) [ -x "$OHA" ] || continue ;;
    *) bench_die "CONTRAST: unknown tool $tool (wrk, oha)" ;;
  esac
  start_stall
  # The stall server's clock starts at the tool's first request.
  bench_log "$tool, one connection (closed model), $DURATION, against a fresh stall server"
  case $tool in
    wrk)
      wrk_out=$BENCH_TMP/wrk.txt
      bench_run timeout --signal=INT --kill-after=10 "$limit" taskset -c "$CLIENT_CPU" \
        wrk -t1 -c1 -d"$DURATION" --latency "http://127.0.0.1:$STALL_PORT/calc?input=$FIRST_KEY" >"$wrk_out"
      ;;
    oha)
      oha_out=$BENCH_TMP/oha.json
      bench_run timeout --signal=INT --kill-after=10 "$limit" taskset -c "$CLIENT_CPU" \
        "$OHA" --no-tui -c 1 -z "$DURATION" --worker-threads 1 --output-format json \
        "http://127.0.0.1:$STALL_PORT/calc?input=$FIRST_KEY" >"$oha_out"
      ;;
  esac
  stop_stall
done

echo
python3 - "$out" "$RATE" "$duration_s" "$STALL_AT" "$STALL_FOR" "$wrk_out" "$oha_out" <<'PY'
import json, math, re, sys
d = json.load(open(sys.argv[1]))
rate, secs, stall_at, stall_for = (float(x) for x in sys.argv[2:6])
wrk_path, oha_path = sys.argv[6], sys.argv[7]

# The true latencies from the schedule: one request due every 1/rate s; the server's clock
# starts at the first one; one due at t inside the stall waits until it ends, others take ~0.
n = int(round(rate * secs))
true = sorted(stall_at + stall_for - i / rate if stall_at <= i / rate < stall_at + stall_for else 0.0
              for i in range(n))
def quantile(values, q):
    return values[max(0, math.ceil(q * len(values)) - 1)]
true_p99 = quantile(true, 0.99)
stalled = sum(1 for v in true if v > 0)

got_p99 = d["latency_ms"]["p99"] / 1e3
got_unc = d["uncorrected_latency_ms"]["p99"] / 1e3
print(f"Summary: {rate:g} req/s for {secs:g} s (open model), the server freezes {stall_for:g} s at t={stall_at:g} s")
print(f"loadgen         {d['requests']} requests, {d['correct']} correct, {d['wrong_answer']} wrong,"
      f" {d['timeout']} timeouts, {d['dropped']} dropped, {d['late_sends']} late sends")
print(f"true            p99 {true_p99:.3f} s ({n} requests due, {stalled} of them in the stall, max {true[-1]:.3f} s)")
print(f"loadgen         p99 {got_p99:.3f} s from due (corrected), {got_unc:.3f} s from send (uncorrected);"
      f" max {d['latency_ms']['max'] / 1e3:.3f} s")
if wrk_path:
    text = open(wrk_path).read()
    def secs_of(s):
        m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", s)
        return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[m.group(2)]
    p99 = re.search(r"^\s*99%\s+(\S+)", text, re.M)
    mx = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", text)
    reqs = re.search(r"(\d+) requests in", text)
    if p99 and mx and reqs:
        print(f"wrk -c1         p99 {secs_of(p99.group(1)):.3f} s over {reqs.group(1)} requests, max {secs_of(mx.group(1)):.3f} s"
              " (closed model; wrk 4 back-fills its histogram at the mean interval, stats_correct)")
    else:
        print("wrk -c1         could not read its output:\n" + text)
if oha_path:
    o = json.load(open(oha_path))
    n_oha = sum(o.get("statusCodeDistribution", {}).values())
    print(f"oha -c1         p99 {o['latencyPercentiles']['p99']:.6f} s over {n_oha} requests, max {o['summary']['slowest']:.3f} s"
          " (closed model, uncorrected: the stall is one slow request, p99 hides it)")
ok = got_p99 >= 0.5 * true_p99 and d["wrong_answer"] == 0
print(("PASS" if ok else "FAIL") + f": loadgen's corrected p99 {got_p99:.3f} s is"
      f" {'at least' if got_p99 >= 0.5 * true_p99 else 'below'} half the true p99 {true_p99:.3f} s"
      + ("" if d["wrong_answer"] == 0 else f"; {d['wrong_answer']} wrong answers"))
sys.exit(0 if ok else 1)
PY
