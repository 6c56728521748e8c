#!/usr/bin/env bash
# tls_compare.sh - redis-server 7.0 vs sealkv-server, same machine, same TLS
# settings, same client. Prints medians and sealkv/redis ratios.
#
# Environment (all optional):
#   SEALKV_SERVER   sealkv binary (default <repo>/bin/sealkv-server); set it to
#                   /usr/bin/redis-server to check the harness (ratios ~1.0)
#   REDIS_SERVER    reference binary (default /usr/bin/redis-server)
#   BENCH_REPEAT    runs per row and server, medians taken (default 3)
#   BENCH_SCALE     multiplies every request count (default 1: ~5-10 s a run)
#   BENCH_ROWS      rows to run, space separated (default: all, see below)
#   BENCH_KEYSPACE  -r for GET/SET rows (default 10000; 0 = one key)
#   BENCH_TASKSET=1 server on CPU 0, client on CPU 1 (both sides alike)
#   BENCH_OUT       also write the summary as TSV to this file
#   BENCH_RAW_OUT   also copy every individual sample (TSV) to this file
#   BENCH_TIMEOUT   seconds per redis-benchmark call (default 120)
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_ROOT/bench/lib.sh"

REPEAT=${BENCH_REPEAT:-3}
SCALE=${BENCH_SCALE:-1}
KEYSPACE=${BENCH_KEYSPACE:-10000}
ALL_ROWS="tls-p1 tls-p16 tls-16k tls-conn plain-p1 plain-p16"
ROWS=${BENCH_ROWS:-$ALL_ROWS}
CLIENTS=50

# Request counts at scale 1, chosen so one run takes roughly 5-10 s on a
# 2-core machine with redis-server 7.0 (per test; GET and SET rows run both).
declare -A ROW_N=([tls-p1]=450000 [tls-p16]=5000000 [tls-16k]=200000 [tls-conn]=7000
    [plain-p1]=700000 [plain-p16]=8000000)

# Per row: transport and redis-benchmark arguments (besides -n, --csv and the
# connection arguments).
row_mode() { case $1 in tls-*) echo tls ;; *) echo plain ;; esac; }
row_args() {
    local r=()
    [ "$KEYSPACE" != 0 ] && r=(-r "$KEYSPACE")
    case $1 in
        tls-p1 | plain-p1) echo -c $CLIENTS -P 1 "${r[@]}" ;;
        tls-p16 | plain-p16) echo -c $CLIENTS -P 16 "${r[@]}" ;;
        tls-16k) echo -c $CLIENTS -P 16 -d 16384 "${r[@]}" ;;
        # -k 0: the client closes its connection after each reply and opens
        # a new one (full mTLS handshake: hiredis keeps no session to resume).
        tls-conn) echo -c $CLIENTS -k 0 "${r[@]}" ;;
        *) bench_die "unknown row $1 (rows: $ALL_ROWS)" ;;
    esac
}
# Tests of a row, each its own redis-benchmark call so that the server CPU
# measured belongs to one test. SET first: GET then finds the keys.
row_tests() { case $1 in tls-conn) echo get ;; *) echo set get ;; esac; }
row_n() {
    local n=${ROW_N[$1]}
    python3 -c "import sys; print(max(1000, int(float(sys.argv[1]) * float(sys.argv[2]))))" \
        "$n" "$SCALE"
}

main() {
    local r mode
    for r in $ROWS; do row_args "$r" >/dev/null; done
    command -v "$REDIS_BENCHMARK" >/dev/null || bench_die "$REDIS_BENCHMARK not found"
    command -v openssl >/dev/null || bench_die "openssl not found"
    BENCH_TMP=$(mktemp -d /tmp/sealkv-bench.XXXXXX)
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    BENCH_CERTS=$BENCH_TMP/certs
    BENCH_RAW=$BENCH_TMP/raw.tsv
    : >"$BENCH_RAW"
    bench_taskset_setup
    BENCH_NODELAY_SO=$(bench_build_nodelay)
    bench_make_certs "$BENCH_CERTS"

    local need_tls=0 need_plain=0
    for r in $ROWS; do
        [ "$(row_mode "$r")" = tls ] && need_tls=1 || need_plain=1
    done
    local -a ports
    read -r -a ports <<<"$(bench_free_ports 4)"
    declare -gA PORT PID
    local srv bin
    for srv in redis sealkv; do
        [ $srv = redis ] && bin=$REDIS_SERVER || bin=$SEALKV_SERVER
        if [ $need_tls = 1 ]; then
            PORT[$srv-tls]=${ports[0]}
            bench_start_server "$srv-tls" "$bin" tls "${ports[0]}"
            PID[$srv-tls]=$BENCH_LAST_PID
        fi
        if [ $need_plain = 1 ]; then
            PORT[$srv-plain]=${ports[1]}
            bench_start_server "$srv-plain" "$bin" plain "${ports[1]}"
            PID[$srv-plain]=$BENCH_LAST_PID
        fi
        ports=("${ports[@]:2}")
    done
    bench_log "redis:  $("$REDIS_SERVER" --version 2>&1 | head -n 1)"
    bench_log "sealkv: $SEALKV_SERVER"
    bench_log "rows: $ROWS; repeat $REPEAT; scale $SCALE; taskset ${BENCH_TASKSET:-0}"
    bench_check_load

    local rep order key n t
    local -a args
    for ((rep = 1; rep <= REPEAT; rep++)); do
        # Alternate which server goes first so slow drift (thermal, page
        # cache, other tenants) does not always favour the same side.
        if ((rep % 2)); then order="redis sealkv"; else order="sealkv redis"; fi
        for r in $ROWS; do
            mode=$(row_mode "$r")
            n=$(row_n "$r")
            read -r -a args <<<"$(row_args "$r")"
            BENCH_PER_CONN=0
            [ "$r" = tls-conn ] && BENCH_PER_CONN=1
            for srv in $order; do
                key=$srv-$mode
                for t in $(row_tests "$r"); do
                    bench_log "rep $rep/$REPEAT $r $t $srv (n=$n)"
                    bench_run "$r" "$srv" "$mode" "${PORT[$key]}" "${PID[$key]}" "$rep" "$n" \
                        "${args[@]}" -t "$t"
                done
            done
        done
    done
    [ -n "${BENCH_RAW_OUT:-}" ] && cp "$BENCH_RAW" "$BENCH_RAW_OUT"
    bench_summarize "$BENCH_RAW" "${BENCH_OUT:-}"
    echo "load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Warns when something else is already using the CPUs: with 2 cores, a busy
# neighbour skews every row (both sides, but not always equally).
bench_check_load() {
    LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
    if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)" \
        "${LOAD_START%% *}"; then
        bench_log "warning: load average is $LOAD_START before starting; other processes" \
            "are using the CPUs and the numbers will be noisy"
    fi
}

# Medians per (row, test, server) and the sealkv/redis ratios.
bench_summarize() {
    python3 - "$1" "$2" "$ROWS" <<'EOF'
import statistics, sys
raw, out, rows = sys.argv[1], sys.argv[2], sys.argv[3].split()
cols = ["rps", "avg", "p50", "p95", "p99", "max", "cpu_ms", "ops"]
samples = {}
tests = []
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    if len(f) != 12:
        continue
    row, test, srv = f[0], f[1], f[2]
    if (row, test) not in tests:
        tests.append((row, test))
    d = samples.setdefault((row, test, srv), {c: [] for c in cols})
    for c, v in zip(cols, f[4:]):
        try:
            d[c].append(float(v))
        except ValueError:
            pass
tests.sort(key=lambda t: rows.index(t[0]) if t[0] in rows else 99)

def med(row, test, srv, col):
    d = samples.get((row, test, srv))
    if not d:
        return None
    if col == "cpu_per_op":  # microseconds of server CPU per request/connection
        v = [1000.0 * c / n for c, n in zip(d["cpu_ms"], d["ops"]) if n > 0]
    else:
        v = d[col]
    return statistics.median(v) if v else None

def spread(row, test, srv):
    """Half the range of rps samples, as % of the median: a noise gauge."""
    v = samples.get((row, test, srv), {"rps": []})["rps"]
    if len(v) < 2 or statistics.median(v) == 0:
        return None
    return 50.0 * (max(v) - min(v)) / statistics.median(v)

def ratio(a, b):
    return None if a is None or b is None or a == 0 else b / a

def fmt(v, p=3):
    return "-" if v is None else f"{v:.{p}f}"

hdr = ["row", "test", "redis_rps", "sealkv_rps", "rps_ratio", "redis_p50_ms", "sealkv_p50_ms",
       "p50_ratio", "redis_p99_ms", "sealkv_p99_ms", "p99_ratio", "redis_cpu_us_per_op",
       "sealkv_cpu_us_per_op", "cpu_ratio", "redis_n", "sealkv_n", "redis_rps_spread_pct",
       "sealkv_rps_spread_pct"]
table = []
for row, test in tests:
    m = {}
    for srv in ("redis", "sealkv"):
        for c in ("rps", "p50", "p99", "cpu_per_op"):
            m[srv, c] = med(row, test, srv, c)
    cnt = [len(samples.get((row, test, s), {"rps": []})["rps"]) for s in ("redis", "sealkv")]
    table.append([row, test,
        fmt(m["redis", "rps"], 0), fmt(m["sealkv", "rps"], 0),
        fmt(ratio(m["redis", "rps"], m["sealkv", "rps"]), 2),
        fmt(m["redis", "p50"]), fmt(m["sealkv", "p50"]),
        fmt(ratio(m["redis", "p50"], m["sealkv", "p50"]), 2),
        fmt(m["redis", "p99"]), fmt(m["sealkv", "p99"]),
        fmt(ratio(m["redis", "p99"], m["sealkv", "p99"]), 2),
        fmt(m["redis", "cpu_per_op"], 2), fmt(m["sealkv", "cpu_per_op"], 2),
        fmt(ratio(m["redis", "cpu_per_op"], m["sealkv", "cpu_per_op"]), 2),
        str(cnt[0]), str(cnt[1]),
        fmt(spread(row, test, "redis"), 0), fmt(spread(row, test, "sealkv"), 0)])

show = ["row", "test", "redis rps", "sealkv rps", "s/r", "p50 r", "p50 s", "s/r",
        "p99 r", "p99 s", "s/r", "cpu/op r", "cpu/op s", "s/r", "nr", "ns", "±r%", "±s%"]
widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h)
          for i, h in enumerate(show)]
line = lambda cells: "  ".join(c.rjust(w) if i > 1 else c.ljust(w)
                               for i, (c, w) in enumerate(zip(cells, widths)))
print("medians; rps = requests/s, latencies in ms; cpu/op = server CPU us per request")
print("(per new connection in tls-conn), the steadiest column when the machine is shared;")
print("s/r = sealkv/redis (rps: higher is better for sealkv; latency, cpu: lower is better);")
print("nr/ns = samples per side; ±r%/±s% = half the rps range as % of the median (noise)")
print(line(show))
print(line(["-" * w for w in widths]))
for t in table:
    print(line(t))
if out:
    with open(out, "w") as fh:
        fh.write("\t".join(hdr) + "\n")
        for t in table:
            fh.write("\t".join(t) + "\n")
EOF
}

main "$@"
