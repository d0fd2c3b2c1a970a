#!/usr/bin/env bash
# A big event's CPU and memory: a live `gameday play --web` of N teams, every team perfect (one
# nginx worker serving the expected answers on N 127.0.0.1 ports), each at RATE req/s; samples
# the gameday process's share of a core (utime + stime from /proc/PID/stat) and its RSS (VmRSS)
# over time (and asks for the board's score race at each sample, as a board screen does, so
# the web reads the game's history), and prints a table and the goals of issue 32.
#
# Usage: scripts/bench-event.sh [--teams N] [--minutes M] [--rate R] [--every S]
#   --teams (1000), --minutes (3; 22 for two 10-minute windows of growth after minute 2),
#   --rate (20 req/s a team), --every (sampling period in seconds, 10). Environment:
#   GAMEDAY_BIN (the binary; built in release when unset), HEAPTRACK=1 (run gameday under
#   heaptrack; the profile is kept as $HEAPTRACK_OUT or ./heaptrack.gameday.*), and the knobs
#   of scripts/lib/nginx-answers.sh (KEYS, SEED, ITERATIONS, SALT, SERVER_CPU). Bounded: the
#   game's minutes plus 2 minutes, plus the build.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/nginx-answers.sh source-path=SCRIPTDIR
. scripts/lib/nginx-answers.sh
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

TEAMS=1000
MINUTES=3
RATE=20
EVERY=10
while [ $# -gt 0 ]; do
  case $1 in
    --teams) TEAMS=$2 && shift 2 ;;
    --minutes) MINUTES=$2 && shift 2 ;;
    --rate) RATE=$2 && shift 2 ;;
    --every) EVERY=$2 && shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" && exit 0 ;;
    *) bench_die "unknown option $1 (see --help)" ;;
  esac
done

bench_need nginx taskset python3 curl
if [ -n "${GAMEDAY_BIN:-}" ]; then
  GAMEDAY=$GAMEDAY_BIN
else
  (cd "$BENCH_ROOT" && cargo build --release --quiet -p gameday --bins)
fi
[ -x "$GAMEDAY" ] || bench_die "no gameday binary at $GAMEDAY"
# One worker serves every port: each port is a connection or two, so allow plenty of files.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

mapfile -t ports < <(bench_free_ports "$TEAMS")
bench_nginx_start "${ports[@]}"
web_port=$(bench_free_ports 1)

scenario=$BENCH_TMP/bench-event.toml
# The game outlasts the sampling by half a minute (the answer table is built first).
game_s=$(python3 -c "print(int(float('$MINUTES') * 60) + 30)")
{
  cat <<TOML
[game]
name = "bench event"
duration = "${game_s}s"
seed = $SEED
tick = "1s"
allow_private_targets = true

[keyset]
count = $KEYS

[hash]
iterations = $ITERATIONS
salt = "$SALT"

[load]
phases = [{ at = "0s", rate = $RATE }]
timeout = "5s"

[billing]
source = "none"
TOML
  for i in "${!ports[@]}"; do
    printf '\n[[team]]\nname = "team-%04d"\nurl = "http://127.0.0.1:%s"\n' "$i" "${ports[$i]}"
  done
} >"$scenario"
"$GAMEDAY" check "$scenario" >/dev/null

wrap=()
if [ -n "${HEAPTRACK:-}" ]; then
  command -v heaptrack >/dev/null || bench_die "HEAPTRACK=1: install heaptrack (apt-get install -y heaptrack)"
  wrap=(heaptrack -o "${HEAPTRACK_OUT:-$PWD/heaptrack.gameday}")
fi
bench_log "gameday play --web: $TEAMS teams × $RATE req/s for $MINUTES min (web on 127.0.0.1:$web_port)"
log=$BENCH_TMP/game.log
(cd "$BENCH_TMP" && exec "${wrap[@]}" "$GAMEDAY" play "$scenario" --db "$BENCH_TMP/game.db" \
  --no-tui --board-every 0s --web "127.0.0.1:$web_port") >"$log" 2>&1 &
game=$!
bench_track "$game"

# Samples the gameday process (the game itself, or the child heaptrack runs) every EVERY
# seconds for MINUTES minutes from its first answer: "seconds cpu_percent rss_kib" lines.
samples=$BENCH_TMP/samples.txt
python3 - "$game" "$(realpath "$GAMEDAY")" "$MINUTES" "$EVERY" "$web_port" >"$samples" <<'PY'
import os, sys, time, urllib.request
root, exe, minutes, every, port = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
tck = os.sysconf("SC_CLK_TCK")
def find(pid, depth=0):
    try:
        if os.path.realpath(f"/proc/{pid}/exe") == exe:
            return pid
        kids = [int(c) for t in os.listdir(f"/proc/{pid}/task")
                for c in open(f"/proc/{pid}/task/{t}/children").read().split()]
    except OSError:
        return None
    for k in kids:
        found = find(k, depth + 1)
        if found:
            return found
    return None
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tck
def rss(pid):
    return next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
t0 = time.monotonic()
pid = None
while pid is None and time.monotonic() - t0 < 120:
    pid = find(root)
    time.sleep(0.2)
if pid is None:
    sys.exit("no gameday process appeared")
# The game has started when its board answers (the answer table is built by then).
while time.monotonic() - t0 < 300:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/board", timeout=2).read()
        break
    except Exception:
        time.sleep(0.5)
start, c0 = time.monotonic(), cpu(pid)
game0 = None
last_t, last_c = start, c0
print(f"0 0 {rss(pid)} 0", flush=True)
while time.monotonic() - start < minutes * 60:
    time.sleep(every)
    try:
        # One board screen: it draws the score race (the web reads the game's history).
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/board/race", timeout=10).read()
    except Exception as e:
        print(f"race: {e}", file=sys.stderr)
    waiting = "?"
    try:
        # What waits for the ledger (a writer that cannot keep up holds batches in memory).
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        waiting = next(l.split()[-1] for l in metrics.splitlines() if l.startswith("gameday_ledger_waiting_causes"))
        game_s = next(float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("gameday_game_seconds"))
        # How far the game's clock on the board is behind the wall clock (a loop that does
        # not keep up holds the batches it has not taken in yet).
        game0 = game0 if game0 is not None else game_s - (time.monotonic() - start)
        waiting += f"/{time.monotonic() - start - (game_s - game0):.1f}"
    except Exception as e:
        print(f"metrics: {e}", file=sys.stderr)
    try:
        now, c = time.monotonic(), cpu(pid)
        print(f"{now - start:.0f} {100 * (c - last_c) / (now - last_t):.1f} {rss(pid)} {waiting}", flush=True)
    except OSError:
        break
    last_t, last_c = now, c
PY
curl -fsS "http://127.0.0.1:$web_port/api/board" -o "$BENCH_TMP/board.json" || true
kill -INT "$game" 2>/dev/null || true
wait "$game" 2>/dev/null || true
# What the game said of itself (warnings about the ledger or the load, if any).
grep -v "^ *[0-9]* *team-" "$log" | tail -n 8 >&2 || true

echo
echo "gameday play --web: $TEAMS teams × $RATE req/s (nginx on CPU $SERVER_CPU, $(nproc) cores), sampled every ${EVERY}s"
python3 - "$samples" "$TEAMS" "$MINUTES" "$BENCH_TMP/board.json" <<'PY'
import json, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
teams, minutes = int(sys.argv[2]), float(sys.argv[3])
print(f"{'time':>7} {'core %':>7} {'RSS MiB':>8} {'waiting causes/board lag s':>27}")
for t, c, r, w in rows:
    print(f"{int(t) // 60:4d}:{int(t) % 60:02d} {float(c):7.1f} {int(r) / 1024:8.1f} {w:>27}")
if len(rows) < 2:
    sys.exit("too few samples")
pts = [(int(t), float(c), int(r) / 1024) for t, c, r, _ in rows]
cpu = sum(c for _, c, _ in pts[1:]) / (len(pts) - 1)
def rss_at(s):
    return min(pts, key=lambda p: abs(p[0] - s))[2]
at2 = rss_at(120)
print(f"mean share of a core {cpu:.1f} %; RSS after 2 min {at2:.1f} MiB ({1024 * at2 / teams:.0f} KiB a team);"
      f" at the end {pts[-1][2]:.1f} MiB")
growth = [rss_at(s + 600) - rss_at(s) for s in range(120, int(pts[-1][0]) - 599, 600)]
if growth:
    print("RSS growth in each further 10 minutes: " + ", ".join(f"{g:+.1f} MiB" for g in growth))
if teams >= 1000:
    ok = cpu <= 50 and at2 <= 256 and all(g <= 20 for g in growth)
    print(f"goals (1,000 teams: ≤ 50 % of a core, ≤ 256 MiB after 2 min, ≤ +20 MiB a further 10 min):"
          f" {'met' if ok else 'MISSED'}{'' if growth else ' (run --minutes 20 for the growth)'}")
try:
    board = json.load(open(sys.argv[4]))
    rows = board.get("teams", board) if isinstance(board, dict) else board
    print(f"the board answered with {len(rows)} teams")
except Exception as e:
    print(f"the board did not answer: {e}")
PY
