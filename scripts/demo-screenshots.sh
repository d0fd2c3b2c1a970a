#!/usr/bin/env bash
# The README's pictures, from a real demo game: plays scenarios/demo.toml (two minutes,
# four simulated teams) with the web scoreboard, names two teams as teams and organizers
# would, photographs the board and a team's page near the end through chromedriver, then
# writes the debrief and photographs it. Writes docs/demo-{board,team,report}.png and
# docs/demo-report.html. Needs chromium, chromedriver, curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet --bin gameday
dir=$(mktemp -d)
port=${PORT:-18080}
driver_port=${DRIVER_PORT:-19515}
base="http://127.0.0.1:$port"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT

./target/release/gameday play scenarios/demo.toml --db "$dir/demo.db" --web "127.0.0.1:$port" \
  --no-tui --board-every 0s > "$dir/play.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "$base/api/board" > /dev/null && break; sleep 0.2; done

tokens=$(./target/release/gameday teams --db "$dir/demo.db" --csv)
token_of() { echo "$tokens" | awk -F, -v t="$1" '$1 == t {print $2}'; }
admin=$(./target/release/gameday teams --db "$dir/demo.db" --admin --csv | tail -1 | cut -d, -f2)
cached=$(token_of cached)

post() { curl -fsS -X POST -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
  -H "Origin: $base" -d "$3" "$base$2"; echo; }
post "$cached" /api/team/name '{"name": "Cache Me If You Can"}'
post "$admin" /api/admin/teams/v3-broken/name '{"name": "Memcached Mishaps", "reason": "the team asked on the day"}'

chromedriver --port="$driver_port" > /dev/null 2>&1 &
pids+=($!)
wd="http://127.0.0.1:$driver_port"
for _ in $(seq 50); do curl -fs "$wd/status" > /dev/null && break; sleep 0.2; done
session=$(curl -fsS -X POST "$wd/session" -H 'Content-Type: application/json' -d '{
  "capabilities": {"alwaysMatch": {"goog:chromeOptions": {"args": ["--headless=new",
  "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"]}}}}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"]["sessionId"])')
wd="$wd/session/$session"
call() { curl -fsS -X "$1" "$wd$2" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
size() { call POST /window/rect "{\"width\": $1, \"height\": $2}" > /dev/null; }
shot() {
  sleep 1
  call GET /screenshot | python3 -c 'import base64,json,sys; sys.stdout.buffer.write(base64.b64decode(json.load(sys.stdin)["value"]))' > "docs/$1"
  echo "docs/$1"
}
element() { call POST /element "{\"using\": \"css selector\", \"value\": \"$1\"}" \
  | python3 -c 'import json,sys; print(list(json.load(sys.stdin)["value"].values())[0])'; }

sleep "${AT:-95}"
size 1280 1150
call POST /url "{\"url\": \"$base/\"}" > /dev/null
sleep 4
shot demo-board.png
call POST /url "{\"url\": \"$base/team\"}" > /dev/null
token_box=$(element '#token')
call POST "/element/$token_box/value" "{\"text\": \"$cached\"}" > /dev/null
call POST "/element/$(element 'form button[type=submit]')/click" '{}' > /dev/null
size 1280 1700
sleep 5
shot demo-team.png

wait "${pids[0]}" || true
./target/release/gameday report --db "$dir/demo.db" --scenario scenarios/demo.toml --out docs/demo-report.html
size 1400 2300
call POST /url "{\"url\": \"file://$PWD/docs/demo-report.html\"}" > /dev/null
shot demo-report.png
call DELETE "" > /dev/null
