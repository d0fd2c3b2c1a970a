#!/usr/bin/env bash
# Starts the `unicorn` reference server on loopback, fetches one answer with curl, checks it
# against `gameday hash`, and stops the server: the quickest look at what a team deploys.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-8000}
key=${KEY:-3615-7184-2117}
cargo build --release --quiet -p hashref -p gameday --bins
bin=${CARGO_TARGET_DIR:-target}/release
"$bin"/unicorn --listen "127.0.0.1:$port" --flavor v2 --min-latency 250ms &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT

for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$port/healthcheck" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "\$ curl 'http://127.0.0.1:$port/calc?input=$key'"
answer=$(curl -fsS "http://127.0.0.1:$port/calc?input=$key")
echo "$answer"
expected=$("$bin"/gameday hash "$key")
if [ "$answer" = "$expected" ]; then
  echo "matches gameday hash $key"
else
  echo "MISMATCH: gameday hash $key says $expected" >&2
  exit 1
fi
