# Shared by the benchmark scripts (source it): installs missing peers, builds the binaries,
# and runs one nginx worker on 127.0.0.1 that serves a keyset's expected answers from a map,
# pinned to one CPU, in a temporary directory that bench_cleanup removes.
#
# Knobs (environment): KEYS (1000), SEED (1), ITERATIONS (1), SALT (unicorn.rentals) — the
# keyset and hash parameters, passed identically to loadgen; SERVER_CPU (0) and CLIENT_CPU (1),
# the cores nginx and the load clients are pinned to; BENCH_TLS (unset; 1: nginx serves
# HTTPS with a certificate of a private CA made here, and BENCH_SCHEME is https); TLS (1.3:
# nginx offers TLS 1.2 and 1.3, as a load balancer does, and each client must negotiate 1.3;
# 1.2: nginx offers TLS 1.2 only). nginx logs what the first request of each connection
# negotiated, and bench_tls_seen reads it.
# shellcheck shell=bash disable=SC2034 # (LOADGEN, OHA, KEYSET_FLAGS... serve the sourcing scripts)

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOADGEN=$BENCH_ROOT/target/release/loadgen
GAMEDAY=$BENCH_ROOT/target/release/gameday
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
OHA=$(command -v oha || echo "$HOME/.cargo/bin/oha")

KEYS=${KEYS:-1000}
SEED=${SEED:-1}
ITERATIONS=${ITERATIONS:-1}
SALT=${SALT:-unicorn.rentals}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
if [ "$(nproc)" -lt 2 ] && [ "$CLIENT_CPU" = 1 ]; then
  echo "warning: one CPU only: server and client share CPU 0" >&2
  CLIENT_CPU=0
fi

# The loadgen flags that pick the same keyset and hash as the generated table.
KEYSET_FLAGS=(--keys "$KEYS" --seed "$SEED" --iterations "$ITERATIONS" --salt "$SALT")

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gameday-bench.XXXXXX")
BENCH_PIDS=()
BENCH_TLS=${BENCH_TLS:-}
BENCH_SCHEME=http
# The private CA's certificate (PEM), which the clients trust, when BENCH_TLS is set.
BENCH_CA=$BENCH_TMP/tls/ca.pem
# What each TLS connection negotiated, a line per connection (its first request).
BENCH_TLS_LOG=$BENCH_TMP/nginx/tls.log
if [ -n "$BENCH_TLS" ]; then
  BENCH_SCHEME=https
  TLS=${TLS:-1.3}
  case $TLS in
    1.2) BENCH_TLS_PROTOCOLS="TLSv1.2" ;;
    1.3) BENCH_TLS_PROTOCOLS="TLSv1.2 TLSv1.3" ;;
    *) echo "error: TLS must be 1.2 or 1.3, got '$TLS'" >&2 && exit 1 ;;
  esac
fi

# Stops every process started with bench_track and removes the temporary directory.
# Each script installs it: trap bench_cleanup EXIT; trap 'exit 130' INT TERM
bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$BENCH_TMP"
}

bench_track() {
  BENCH_PIDS+=("$1")
}

# Runs a command in the background and waits for it, so that a trapped signal interrupts the
# wait at once and bench_cleanup stops the command; returns the command's status.
bench_run() {
  "$@" &
  local pid=$! status=0
  bench_track "$pid"
  wait "$pid" || status=$?
  local kept=() p
  for p in "${BENCH_PIDS[@]}"; do
    [ "$p" = "$pid" ] || kept+=("$p")
  done
  BENCH_PIDS=("${kept[@]}")
  return "$status"
}

bench_log() {
  echo "== $*" >&2
}

bench_die() {
  echo "error: $*" >&2
  exit 1
}

# Seconds in a duration like 500ms, 5s, 10m, 1h or 30 (fractions allowed), printed as a number.
bench_seconds() {
  python3 - "$1" <<'PY'
import re, sys
m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|h)?\s*", sys.argv[1])
if not m:
    sys.exit(f"not a duration: {sys.argv[1]!r} (examples: 500ms, 5s, 10m)")
v = float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
print(f"{v:g}")
PY
}

# Installs what is missing, as in: bench_need nginx wrk taskset oha time
bench_need() {
  local tool apt=()
  for tool in "$@"; do
    case $tool in
      nginx) { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 || apt+=(nginx) ;;
      wrk) command -v wrk >/dev/null 2>&1 || apt+=(wrk) ;;
      taskset | chrt) command -v "$tool" >/dev/null 2>&1 || apt+=(util-linux) ;;
      time) [ -x /usr/bin/time ] || apt+=(time) ;;
      python3) command -v python3 >/dev/null 2>&1 || apt+=(python3) ;;
      curl) command -v curl >/dev/null 2>&1 || apt+=(curl) ;;
      openssl) command -v openssl >/dev/null 2>&1 || apt+=(openssl) ;;
      oha)
        if ! command -v oha >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/oha" ]; then
          bench_log "installing oha (cargo install oha --locked)"
          cargo install oha --locked
        fi
        ;;
      *) bench_die "bench_need: unknown tool $tool" ;;
    esac
  done
  if [ ${#apt[@]} -gt 0 ]; then
    local sudo=
    [ "$(id -u)" = 0 ] || sudo=sudo
    bench_log "installing ${apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y "${apt[@]}" >/dev/null ||
      { $sudo apt-get update >/dev/null && $sudo apt-get install -y "${apt[@]}" >/dev/null; }
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  OHA=$(command -v oha || echo "$HOME/.cargo/bin/oha")
}

# Samples, every 0.25 s until it exits, the loadgen process started by $1 (itself or a
# descendant, e.g. under timeout, taskset and /usr/bin/time): "seconds sockets rss_kib" lines
# to $2. Run it in the background.
bench_watch_loadgen() {
  python3 - "$1" "$LOADGEN" >"$2" <<'PY'
import os, sys, time
root, exe = int(sys.argv[1]), os.path.realpath(sys.argv[2])
t0 = time.monotonic()
def children(pid):
    try:
        return [int(c) for t in os.listdir(f"/proc/{pid}/task")
                for c in open(f"/proc/{pid}/task/{t}/children").read().split()]
    except OSError:
        return []
def find():
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            if os.path.realpath(f"/proc/{pid}/exe") == exe:
                return pid
        except OSError:
            pass
        todo += children(pid)
    return None
pid = None
while pid is None and os.path.exists(f"/proc/{root}") and time.monotonic() - t0 < 30:
    pid = find()
    time.sleep(0.02)
while pid is not None:
    try:
        rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
        socks = 0
        for fd in os.scandir(f"/proc/{pid}/fd"):
            try:
                socks += os.readlink(fd.path).startswith("socket:")
            except OSError:
                pass
    except (OSError, StopIteration):
        break
    print(f"{time.monotonic() - t0:.2f} {socks} {rss}", flush=True)
    time.sleep(0.25)
PY
}

# Builds loadgen and gameday (release).
bench_build() {
  bench_log "building loadgen and gameday (release)"
  (cd "$BENCH_ROOT" && cargo build --release --quiet -p loadgen -p gameday --bins)
}

# Prints N free TCP ports on 127.0.0.1, one a line (all held open together, so distinct).
bench_free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}

# Writes the keyset to $BENCH_TMP/keys.txt and "KEY "ANSWER";" lines for nginx's map to
# $BENCH_TMP/answers.map (PBKDF2 in python3), and checks one answer against `gameday hash`.
bench_answers() {
  "$GAMEDAY" keys --seed "$SEED" --count "$KEYS" >"$BENCH_TMP/keys.txt"
  python3 - "$SALT" "$ITERATIONS" "$BENCH_TMP/keys.txt" >"$BENCH_TMP/answers.map" <<'PY'
import base64, hashlib, sys
salt, iterations, path = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3]
for key in open(path).read().split():
    dk = hashlib.pbkdf2_hmac("sha256", key.encode(), salt, iterations, 32)
    print(f'    {key} "{base64.b64encode(dk).decode()}";')
PY
  local key expected got
  key=$(head -n1 "$BENCH_TMP/keys.txt")
  expected=$("$GAMEDAY" hash "$key" --iterations "$ITERATIONS" --salt "$SALT")
  got=$(head -n1 "$BENCH_TMP/answers.map" | awk '{print $2}' | tr -d '";')
  [ "$got" = "$expected" ] || bench_die "answer table: $key -> $got, gameday hash says $expected"
  FIRST_KEY=$key
}

# Makes a private CA and a certificate it signs for 127.0.0.1 and localhost (ECDSA P-256,
# as a load balancer's would be), in $BENCH_TMP/tls.
bench_tls_pki() {
  local dir=$BENCH_TMP/tls
  mkdir -p "$dir"
  (
    cd "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=gameday bench CA" -keyout ca.key -out ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=localhost" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile ext.cnf -out server.pem
  ) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; bench_die "openssl could not make the bench certificates"; }
}

# Writes $BENCH_TMP/nginx/nginx.conf: one worker, no daemon, every path in the temp dir,
# listening on 127.0.0.1 at each port given, /calc answering from the map.
bench_nginx_conf() {
  local dir=$BENCH_TMP/nginx port
  mkdir -p "$dir"
  {
    cat <<CONF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 65536;
error_log $dir/error.log warn;
pid $dir/nginx.pid;
events {
    worker_connections 16384;
}
http {
    access_log off;
    server_tokens off;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    map_hash_max_size 262144;
    map \$arg_input \$answer {
        default "unknown";
        include $BENCH_TMP/answers.map;
    }
CONF
    if [ -n "$BENCH_TLS" ]; then
      # One line per connection, at its first request: the protocol and cipher it
      # negotiated (a map lookup a request; nothing is written for the others).
      cat <<CONF
    map \$connection_requests \$bench_first_request {
        1 1;
        default 0;
    }
    log_format bench_tls '\$ssl_protocol \$ssl_cipher';
CONF
    fi
    cat <<CONF
    server {
CONF
    local ssl=
    [ -z "$BENCH_TLS" ] || ssl=" ssl"
    for port in "$@"; do
      echo "        listen 127.0.0.1:$port$ssl backlog=4096;"
    done
    if [ -n "$BENCH_TLS" ]; then
      cat <<CONF
        ssl_certificate $BENCH_TMP/tls/server.pem;
        ssl_certificate_key $BENCH_TMP/tls/server.key;
        ssl_protocols $BENCH_TLS_PROTOCOLS;
        ssl_session_cache shared:SSL:10m;
        access_log $BENCH_TLS_LOG bench_tls if=\$bench_first_request;
CONF
    fi
    cat <<CONF
        location /calc {
            default_type text/plain;
            return 200 \$answer;
        }
        location / {
            return 404;
        }
    }
}
CONF
  } >"$dir/nginx.conf"
}

# Waits up to 10 s until URL answers EXPECTED (and PID, if given, still runs).
bench_wait_answer() {
  local url=$1 expected=$2 pid=${3:-} got
  for _ in $(seq 100); do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    got=$(curl -fsS --max-time 1 ${BENCH_TLS:+--cacert "$BENCH_CA"} "$url" 2>/dev/null || true)
    [ "$got" = "$expected" ] && return 0
    sleep 0.1
  done
  return 1
}

# Generates the answers and the config for the ports given, starts nginx pinned to
# SERVER_CPU, and checks the first and last port answer. Sets NGINX_PID.
bench_nginx_start() {
  bench_answers
  [ -z "$BENCH_TLS" ] || bench_tls_pki
  bench_nginx_conf "$@"
  local dir=$BENCH_TMP/nginx expected
  taskset -c "$SERVER_CPU" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
    >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  bench_track "$NGINX_PID"
  expected=$("$GAMEDAY" hash "$FIRST_KEY" --iterations "$ITERATIONS" --salt "$SALT")
  local port
  for port in "$1" "${@: -1}"; do
    if ! bench_wait_answer "$BENCH_SCHEME://127.0.0.1:$port/calc?input=$FIRST_KEY" "$expected" "$NGINX_PID"; then
      cat "$dir/stdout.log" "$dir/error.log" >&2 2>/dev/null || true
      bench_die "nginx did not answer on 127.0.0.1:$port"
    fi
  done
  if [ -n "$BENCH_TLS" ]; then
    local seen
    seen=$(openssl s_client -connect "127.0.0.1:$1" -CAfile "$BENCH_CA" -verify_return_error \
      </dev/null 2>/dev/null | sed -n 's/^New, \(.*\), Cipher is \(.*\)$/\1 \2/p')
    [ -n "$seen" ] || bench_die "openssl s_client could not make a TLS connection to nginx on 127.0.0.1:$1"
    bench_log "nginx offers $BENCH_TLS_PROTOCOLS; openssl s_client negotiates $seen"
    # The clients' connections start the log.
    : >"$BENCH_TLS_LOG"
  fi
  bench_log "nginx (pid $NGINX_PID, CPU $SERVER_CPU) serves $KEYS answers over $BENCH_SCHEME on $# port(s) from $1"
}

# What the connections made since the last call negotiated, from nginx's log: one
# "PROTOCOL CIPHER ×CONNECTIONS" a kind, joined by "; " (empty when none came). Empties the
# log. Fails when a connection negotiated another protocol than TLS asks for.
bench_tls_seen() {
  local seen status=0
  seen=$(sort "$BENCH_TLS_LOG" | uniq -c | awk '{printf "%s%s %s ×%s", sep, $2, $3, $1; sep = "; "}')
  if grep -qv "^TLSv$TLS " "$BENCH_TLS_LOG"; then
    status=1
  fi
  : >"$BENCH_TLS_LOG"
  echo "$seen"
  return $status
}
