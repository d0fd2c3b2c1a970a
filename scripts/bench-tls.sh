#!/usr/bin/env bash
# Benchmarks loadgen over TLS against oha and wrk, side by side in one run: the same nginx
# worker serves the answer table over HTTPS with a certificate of a private CA made for the
# run (ECDSA P-256); loadgen and oha trust it with --cacert, wrk does not check
# certificates. TLS=1.3 (the default) has nginx offer TLS 1.2 and 1.3, as a load balancer
# does, and every client must negotiate 1.3; TLS=1.2 has it offer 1.2 only. nginx logs
# what each connection negotiated: each run prints it, and the run fails when a connection
# negotiated another version. Prints req/s and client CPU per request of each, and the
# loadgen/oha and loadgen/wrk ratios (medians and round-by-round).
#
# Usage: scripts/bench-tls.sh
#   CLIENT_QUOTA=50 BENCH_RT=1 ROUNDS=7 scripts/bench-tls.sh          (held, TLS 1.3)
#   TLS=1.2 CLIENT_QUOTA=50 BENCH_RT=1 ROUNDS=7 scripts/bench-tls.sh  (held, TLS 1.2)
# Environment: as scripts/bench-loadgen.sh (ROUNDS, DURATION, CLIENT_QUOTA, BENCH_RT...),
#   but CONNECTIONS defaults to 200, not 50: held to a share of its core, a client that is
#   faster than the one nginx worker (about 12 µs a TLS request) runs dry inside its share
#   with 50 connections and waits on nginx; with 200, the answers made while it was held
#   last through its share, so the client is the limit (loadgen/README.md, "Over TLS").
# Bounded: about ROUNDS × 3 × (DURATION + 1 s), plus the build.
set -euo pipefail
TLS=${TLS:-1.3} CONNECTIONS=${CONNECTIONS:-200} BENCH_TLS=1 exec "$(dirname "$0")/bench-loadgen.sh" "$@"
