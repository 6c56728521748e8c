#!/usr/bin/env bash
# profile.sh - where does a server spend CPU on one bench row? Starts one
# server with the same TLS settings as tls_compare.sh, drives it with
# redis-benchmark, and records it with `perf record -g` for a few seconds.
#
# Usage: bench/profile.sh [ROW] [redis|sealkv]
#   ROW: tls-conn (default), or tls-p1, tls-p16, tls-16k, plain-p1, plain-p16
#        followed by -set or -get (e.g. tls-16k-get; GET rows are pre-filled)
# Environment: PROFILE_SECONDS (default 10), PROFILE_TOP (default 25),
#   PROFILE_REPLICA=1 (attach one replica of the same binary; over TLS on TLS
#   rows), PROFILE_TARGET=replica (record that replica, not the primary),
#   PROFILE_DATA (keep perf.data here), plus SEALKV_SERVER / REDIS_SERVER.
# Needs perf (Debian package linux-perf) and permission to use it; exits 0
# with a note when perf is not usable here.
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_ROOT/bench/lib.sh"

ROW=${1:-tls-conn}
WHO=${2:-redis}
SECS=${PROFILE_SECONDS:-10}
TOP=${PROFILE_TOP:-25}

if ! command -v perf >/dev/null || ! perf stat -e instructions true >/dev/null 2>&1; then
    echo "profile: perf not usable here; skipped"
    exit 0
fi
case $WHO in
    redis) BIN=$REDIS_SERVER ;;
    sealkv) BIN=$SEALKV_SERVER ;;
    *) bench_die "server must be redis or sealkv" ;;
esac
MODE=tls
FILL=()
case $ROW in
    plain-*) MODE=plain ;;
esac
case $ROW in
    tls-conn) ARGS=(-c 50 -k 0 -t get -r 10000) ;;
    *-p1-set | *-p1-get) ARGS=(-c 50 -P 1) ;;
    *-p16-set | *-p16-get) ARGS=(-c 50 -P 16) ;;
    tls-16k-set | tls-16k-get) ARGS=(-c 50 -P 16 -d 16384) ;;
    *) bench_die "unknown row $ROW" ;;
esac
case $ROW in
    *-set) ARGS+=(-t set -r 10000) ;;
    *-get) FILL=("${ARGS[@]}" -t set -r 10000 -n 20000) ARGS+=(-t get -r 10000) ;;
esac

BENCH_TMP=$(mktemp -d /tmp/sealkv-profile.XXXXXX)
CLIENT_PID=
profile_cleanup() {
    if [ -n "$CLIENT_PID" ]; then kill "$CLIENT_PID" 2>/dev/null || true; fi
    bench_cleanup
}
trap profile_cleanup EXIT
trap 'exit 130' INT TERM
BENCH_CERTS=$BENCH_TMP/certs
bench_taskset_setup
BENCH_NODELAY_SO=$(bench_build_nodelay)
bench_make_certs "$BENCH_CERTS"
read -r port <<<"$(bench_free_ports 1)"
bench_start_server "$WHO" "$BIN" "$MODE" "$port"
SPID=$BENCH_LAST_PID

mapfile -t CA < <(bench_client_args "$MODE" "$port")
if [ "${PROFILE_REPLICA:-0}" = 1 ]; then
    # One replica of the same binary, replicating over TLS with the client
    # certificate when the row is a TLS row (PROFILE_TARGET=replica records
    # the replica instead of the primary).
    read -r rport <<<"$(bench_free_ports 1)"
    mkdir -p "$BENCH_TMP/replica"
    "${SRV_PREFIX[@]}" "$BIN" --bind 127.0.0.1 --port "$rport" --save "" --appendonly no \
        --tls-cert-file "$BENCH_CERTS/server.crt" --tls-key-file "$BENCH_CERTS/server.key" \
        --tls-ca-cert-file "$BENCH_CERTS/ca.crt" --tls-client-cert-file "$BENCH_CERTS/client.crt" \
        --tls-client-key-file "$BENCH_CERTS/client.key" \
        --tls-replication "$([ "$MODE" = tls ] && echo yes || echo no)" \
        --dir "$BENCH_TMP/replica" --logfile "$BENCH_TMP/replica/server.log" \
        --replicaof 127.0.0.1 "$port" >/dev/null 2>&1 &
    RPID=$!
    BENCH_PIDS+=("$RPID")
    for ((i = 0; i < 100; i++)); do
        bench_cli plain "$rport" INFO replication 2>/dev/null | grep -q 'master_link_status:up' &&
            break
        sleep 0.1
    done
    bench_log "replica pid $RPID on port $rport attached"
    [ "${PROFILE_TARGET:-primary}" = replica ] && SPID=$RPID
fi
if [ ${#FILL[@]} -gt 0 ]; then
    LD_PRELOAD=$BENCH_NODELAY_SO timeout 60 "$REDIS_BENCHMARK" "${CA[@]}" -q "${FILL[@]}" \
        >/dev/null 2>&1 || bench_die "pre-fill failed"
fi
# Enough requests to outlast the recording; the timeout bounds it anyway.
LD_PRELOAD=$BENCH_NODELAY_SO timeout $((SECS + 30)) "${CLI_PREFIX[@]}" "$REDIS_BENCHMARK" \
    "${CA[@]}" -n 100000000 -q "${ARGS[@]}" >/dev/null 2>&1 &
CLIENT_PID=$!
sleep 1 # let the client connect
DATA=${PROFILE_DATA:-$BENCH_TMP/perf.data}
bench_log "recording $WHO (pid $SPID) for $SECS s on row $ROW"
# DWARF unwinding: Debian's OpenSSL has no frame pointers, so -g alone loses
# the callers of everything inside libcrypto.
perf record -q -F 499 --call-graph dwarf,16384 -o "$DATA" -p "$SPID" -- sleep "$SECS" \
    >/dev/null 2>&1 ||
    bench_die "perf record failed"
kill "$CLIENT_PID" 2>/dev/null || true
# perf report -> top lines, without tripping pipefail when head closes the pipe.
report_top() {
    local lines=$1
    shift
    perf report -i "$DATA" --stdio -g none "$@" 2>/dev/null | grep -v -e '^#' -e '^$' |
        head -n "$lines" || true
}
echo "== $WHO, row $ROW: self time by library =="
report_top 10 --no-children --sort dso
echo "== $WHO, row $ROW: self time by symbol (top $TOP) =="
report_top "$TOP" --no-children --sort dso,symbol
echo "== $WHO, row $ROW: time including callees, named symbols (top $TOP) =="
report_top "$((TOP * 3))" --children --sort symbol | grep -v -e ' 0x0' -e ' 00000' -e '\[k\]' |
    head -n "$TOP" || true
