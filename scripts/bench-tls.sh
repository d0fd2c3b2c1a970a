#!/usr/bin/env bash
# Benchmarks loadgen over TLS against oha and wrk, side by side in one run: the same nginx
# worker serves the answer table over HTTPS with a certificate of a private CA made for the
# run (ECDSA P-256, TLS 1.3 as negotiated by each client); loadgen and oha trust it with
# --cacert, wrk does not check certificates. Prints req/s and client CPU per request of
# each, and the loadgen/oha and loadgen/wrk ratios (medians and round-by-round).
#
# Usage: scripts/bench-tls.sh
# Environment: as scripts/bench-loadgen.sh (ROUNDS, DURATION, CONNECTIONS, CLIENT_QUOTA...).
# Bounded: about ROUNDS × 3 × (DURATION + 1 s), plus the build.
set -euo pipefail
BENCH_TLS=1 exec "$(dirname "$0")/bench-loadgen.sh" "$@"
