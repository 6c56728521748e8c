# shellcheck shell=bash
# lib.sh - helpers shared by the bench scripts (sourced, not run).
#
# Offers: certificate generation, free loopback ports, starting a server
# (redis-server or sealkv-server, same arguments) and waiting until it answers,
# killing only the servers this script started, building the TCP_NODELAY
# shim, and one redis-benchmark run parsed into a TSV line.
#
# Callers set BENCH_TMP (a private temp dir) before calling anything and call
# bench_cleanup from an EXIT trap.

BENCH_ROOT=${BENCH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
SEALKV_SERVER=${SEALKV_SERVER:-$BENCH_ROOT/bin/sealkv-server}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}
REDIS_CLI=${REDIS_CLI:-redis-cli}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-120}
BENCH_BUILD_DIR=${BENCH_BUILD_DIR:-$BENCH_ROOT/build/bench}

BENCH_PIDS=()
# Filled by bench_taskset_setup: prefixes for server and client commands.
SRV_PREFIX=()
CLI_PREFIX=()

bench_log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench_die() { bench_log "error: $*"; exit 1; }

# Kills the servers we started (by pid, TERM then KILL after 5 s).
bench_cleanup() {
    local pid i
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${BENCH_PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    BENCH_PIDS=()
    if [ -n "${BENCH_TMP:-}" ] && [ -d "$BENCH_TMP" ] && [ -z "${BENCH_KEEP_TMP:-}" ]; then
        rm -rf "$BENCH_TMP"
    fi
}

# BENCH_TASKSET=1 pins servers on CPU 0 and clients on CPU 1, for both sides.
bench_taskset_setup() {
    if [ "${BENCH_TASKSET:-0}" = 1 ]; then
        command -v taskset >/dev/null || bench_die "BENCH_TASKSET=1 but taskset is missing"
        SRV_PREFIX=(taskset -c 0)
        CLI_PREFIX=(taskset -c 1)
    fi
}

# Builds the LD_PRELOAD shim if missing or older than its source; prints its path.
bench_build_nodelay() {
    local src=$BENCH_ROOT/bench/nodelay.c so=$BENCH_BUILD_DIR/nodelay.so
    if [ ! -f "$so" ] || [ "$src" -nt "$so" ]; then
        mkdir -p "$BENCH_BUILD_DIR"
        ${CC:-gcc} -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -shared -fPIC \
            -o "$so" "$src" -ldl || bench_die "cannot build $so"
    fi
    printf '%s\n' "$so"
}

# Writes ca.crt/ca.key, server.crt/key (127.0.0.1, ::1, localhost) and
# client.crt/key into $1. RSA-2048, SHA-256. Keys are 0600.
bench_make_certs() {
    local d=$1
    mkdir -p "$d"
    (
        umask 077
        cd "$d" || exit 1
        cat >ext.cnf <<'EOF'
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
EOF
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=bench CA" \
            -keyout ca.key -out ca.crt -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || exit 1
        local who
        for who in server client; do
            openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=bench $who" \
                -keyout "$who.key" -out "$who.csr" 2>/dev/null || exit 1
            openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
                -days 2 -sha256 -extfile ext.cnf -extensions "$who" -out "$who.crt" \
                2>/dev/null || exit 1
        done
        chmod 600 ./*.key
    ) || bench_die "certificate generation failed"
}

# Prints N distinct free TCP ports on 127.0.0.1 (bound then released).
bench_free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

# Arguments for redis-cli/redis-benchmark to reach a server in MODE (tls|plain).
bench_client_args() {
    local mode=$1 port=$2
    if [ "$mode" = tls ]; then
        printf '%s\n' -h 127.0.0.1 -p "$port" --tls --cacert "$BENCH_CERTS/ca.crt" \
            --cert "$BENCH_CERTS/client.crt" --key "$BENCH_CERTS/client.key"
    else
        printf '%s\n' -h 127.0.0.1 -p "$port"
    fi
}

# bench_cli MODE PORT ARGS... - one bounded redis-cli call.
bench_cli() {
    local mode=$1 port=$2
    shift 2
    local -a ca
    mapfile -t ca < <(bench_client_args "$mode" "$port")
    timeout 10 "$REDIS_CLI" "${ca[@]}" "$@"
}

# bench_start_server NAME BINARY MODE PORT - starts one server in the
# background and waits (at most 10 s) until it answers PING. Sets
# BENCH_LAST_PID. Both servers get exactly the same arguments.
bench_start_server() {
    local name=$1 bin=$2 mode=$3 port=$4 dir=$BENCH_TMP/$1
    local -a args
    [ -x "$bin" ] || bench_die "$name: $bin is not an executable (set SEALKV_SERVER?)"
    mkdir -p "$dir"
    # Settings common to both servers. Everything else (protocols, ciphers,
    # session caching) is left at each server's defaults, which for a
    # Redis-compatible server are the same.
    cat >"$dir/bench.conf" <<EOF
bind 127.0.0.1
save ""
appendonly no
EOF
    args=("$dir/bench.conf")
    if [ "$mode" = tls ]; then
        args+=(--port 0 --tls-port "$port" --tls-cert-file "$BENCH_CERTS/server.crt"
            --tls-key-file "$BENCH_CERTS/server.key" --tls-ca-cert-file "$BENCH_CERTS/ca.crt"
            --tls-auth-clients yes)
    else
        args+=(--port "$port")
    fi
    args+=(--dir "$dir" --logfile "$dir/server.log")
    # Extra settings a script wants on both sides (aof_compare.sh: appendonly).
    [ -n "${BENCH_SERVER_ARGS+x}" ] && args+=("${BENCH_SERVER_ARGS[@]}")
    "${SRV_PREFIX[@]}" "$bin" "${args[@]}" >"$dir/stdout.log" 2>&1 &
    BENCH_LAST_PID=$!
    BENCH_PIDS+=("$BENCH_LAST_PID")
    local i
    for ((i = 0; i < 100; i++)); do
        if [ "$(bench_cli "$mode" "$port" PING 2>/dev/null)" = PONG ]; then
            bench_log "$name ($mode) ready on 127.0.0.1:$port pid $BENCH_LAST_PID"
            return 0
        fi
        kill -0 "$BENCH_LAST_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$dir/stdout.log" "$dir/server.log" >&2 2>/dev/null || true
    bench_die "$name ($mode) did not start on port $port"
}

# utime+stime of a process (all its threads) in clock ticks.
bench_cpu_ticks() {
    # Field 2 (comm) may hold spaces; cut everything up to ") " first.
    local stat
    local -a f
    stat=$(cat "/proc/$1/stat") || return 1
    read -r -a f <<<"${stat##*) }"
    # After comm, state is f[0], so utime (field 14) is f[11] and stime f[12].
    echo $((f[11] + f[12]))
}

# Connections accepted so far, from INFO stats; empty if not reported.
bench_conns_received() {
    bench_cli "$1" "$2" INFO stats 2>/dev/null | tr -d '\r' |
        sed -n 's/^total_connections_received://p'
}

# bench_run ROW SERVER MODE PORT PID REP N ARGS... - one redis-benchmark run
# (one test). Appends to $BENCH_RAW one line per test reported:
#   row test server rep rps avg p50 p95 p99 max cpu_ms ops
# cpu_ms is the server's CPU time (utime+stime, all threads) during the run;
# ops is N, or with BENCH_PER_CONN=1 the connections the server accepted
# during the run, so that cpu_ms/ops is the server's CPU per operation. A
# failed or timed-out run is logged and leaves no line.
bench_run() {
    local row=$1 server=$2 mode=$3 port=$4 pid=$5 rep=$6 n=$7
    shift 7
    local -a ca
    local out=$BENCH_TMP/run.csv err=$BENCH_TMP/run.err rc=0
    local t0 t1 c0="" c1="" cpu_ms ops=$n
    mapfile -t ca < <(bench_client_args "$mode" "$port")
    [ "${BENCH_PER_CONN:-0}" = 1 ] && c0=$(bench_conns_received "$mode" "$port")
    t0=$(bench_cpu_ticks "$pid")
    LD_PRELOAD=$BENCH_NODELAY_SO timeout "$BENCH_TIMEOUT" "${CLI_PREFIX[@]}" \
        "$REDIS_BENCHMARK" "${ca[@]}" -n "$n" --csv "$@" >"$out" 2>"$err" || rc=$?
    t1=$(bench_cpu_ticks "$pid")
    cpu_ms=$(((t1 - t0) * 1000 / $(getconf CLK_TCK)))
    if [ "${BENCH_PER_CONN:-0}" = 1 ]; then
        c1=$(bench_conns_received "$mode" "$port")
        # Without the counter, -k 0 makes one connection per request.
        if [ -n "$c0" ] && [ -n "$c1" ]; then
            ops=$((c1 - c0 - 1)) # minus the INFO connection that read c1
        fi
    fi
    if [ "$rc" != 0 ]; then
        bench_log "$row/$server rep $rep: redis-benchmark exit $rc: $(head -c 300 "$err")"
        return 0
    fi
    # CSV: "test","rps","avg","min","p50","p95","p99","max" (7.0 format).
    tr -d '\r' <"$out" | awk -F'","' -v row="$row" -v srv="$server" -v rep="$rep" \
        -v cpu="$cpu_ms" -v ops="$ops" '
        /^"test"/ { next }
        NF >= 8 {
            gsub(/"/, "", $1); gsub(/"/, "", $8)
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
                row, $1, srv, rep, $2, $3, $5, $6, $7, $8, cpu, ops
        }' >>"$BENCH_RAW"
}
