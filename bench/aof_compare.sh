#!/usr/bin/env bash
# aof_compare.sh - redis-server 7.0 vs sealkv-server with the AOF on: write
# throughput per appendfsync mode (TLS and plain), AOF load time of the same
# files (each server's AOF loaded by both), BGREWRITEAOF time. One run, both
# servers side by side, same settings, same client; medians and
# sealkv/redis ratios.
#
# Environment (all optional):
#   SEALKV_SERVER   sealkv binary (default <repo>/bin/sealkv-server); set it to
#                   /usr/bin/redis-server to check the harness (ratios ~1.0)
#   REDIS_SERVER    reference binary (default /usr/bin/redis-server)
#   BENCH_REPEAT    runs per row and server, medians taken (default 3)
#   BENCH_SCALE     multiplies every request count (default 1: ~4 min in all)
#   BENCH_ROWS      rows, space separated (default: all; see row_* below)
#   BENCH_LOAD_N    requests per test when filling the AOF to load (default 200000,
#                   SET+INCR+LPUSH: 3x that many commands in the file)
#   BENCH_DIR       parent of the servers' directories (default /tmp); both
#                   sides always share it, so the file system is the same
#   BENCH_TASKSET=1 servers on CPU 0, client on CPU 1 (both sides alike)
#   BENCH_OUT       also write the write-throughput summary as TSV here
#   BENCH_RAW_OUT   also copy every write-throughput sample (TSV) here
#   BENCH_TIMEOUT   seconds per redis-benchmark call (default 120)
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_ROOT/bench/lib.sh"

REPEAT=${BENCH_REPEAT:-3}
SCALE=${BENCH_SCALE:-1}
LOAD_N=${BENCH_LOAD_N:-200000}
CLIENTS=50
KEYSPACE=100000
ALL_ROWS=""
for m in plain tls; do
    for f in always everysec no; do
        ALL_ROWS+="$m-$f-p1 $m-$f-p16 "
    done
done
ROWS=${BENCH_ROWS:-$ALL_ROWS}
TESTS="set incr lpush"

# Requests per test at scale 1, sized for ~0.5-1 s per run with redis on a
# 2-core machine (appendfsync always is bounded by the disk's fsync rate).
row_n() {
    local base
    case $1 in
        *-always-p1) base=9000 ;;
        *-always-p16) base=90000 ;;
        tls-*-p1) base=25000 ;;
        *-p1) base=40000 ;;
        tls-*-p16) base=120000 ;;
        *-p16) base=200000 ;;
    esac
    python3 -c "import sys; print(max(500, int(float(sys.argv[1]) * float(sys.argv[2]))))" \
        "$base" "$SCALE"
}
row_mode() { echo "${1%%-*}"; }
row_fsync() {
    local r=${1#*-}
    echo "${r%-*}"
}
row_pipeline() { echo "${1##*-p}"; }
row_check() {
    case $1 in
        plain-always-p1 | plain-always-p16 | plain-everysec-p1 | plain-everysec-p16 | \
            plain-no-p1 | plain-no-p16 | tls-always-p1 | tls-always-p16 | tls-everysec-p1 | \
            tls-everysec-p16 | tls-no-p1 | tls-no-p16) ;;
        *) bench_die "unknown row $1 (rows: $ALL_ROWS)" ;;
    esac
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

main() {
    local r
    for r in $ROWS; do row_check "$r"; done
    command -v "$REDIS_BENCHMARK" >/dev/null || bench_die "$REDIS_BENCHMARK not found"
    command -v openssl >/dev/null || bench_die "openssl not found"
    BENCH_TMP=$(mktemp -d "${BENCH_DIR:-/tmp}/sealkv-aofbench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    BENCH_CERTS=$BENCH_TMP/certs
    BENCH_RAW=$BENCH_TMP/raw.tsv
    : >"$BENCH_RAW"
    bench_taskset_setup
    BENCH_NODELAY_SO=$(bench_build_nodelay)
    bench_make_certs "$BENCH_CERTS"
    bench_log "redis:  $("$REDIS_SERVER" --version 2>&1 | head -n 1)"
    bench_log "sealkv: $SEALKV_SERVER"
    bench_log "dir: $BENCH_TMP ($(df -T "$BENCH_TMP" | awk 'NR == 2 { print $2 }'))"
    bench_log "rows: $ROWS; repeat $REPEAT; scale $SCALE; load $LOAD_N x3"
    LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

    [ -n "$ROWS" ] && write_rows
    load_rows
    [ -n "$ROWS" ] && summarize_writes "$BENCH_RAW" "${BENCH_OUT:-}"
    summarize_loads "$BENCH_TMP/load.tsv"
    [ -n "${BENCH_RAW_OUT:-}" ] && cp "$BENCH_RAW" "$BENCH_RAW_OUT"
    echo "load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Four servers (redis/sealkv x tls/plain), appendonly yes; each row sets
# appendfsync with CONFIG SET on the side about to run, so both sides see
# the same sequence of settings and AOF sizes.
write_rows() {
    local -a ports
    read -r -a ports <<<"$(bench_free_ports 4)"
    declare -gA PORT PID
    local srv bin mode
    BENCH_SERVER_ARGS=(--appendonly yes --appendfsync everysec)
    for srv in redis sealkv; do
        [ $srv = redis ] && bin=$REDIS_SERVER || bin=$SEALKV_SERVER
        for mode in tls plain; do
            PORT[$srv-$mode]=${ports[0]}
            bench_start_server "$srv-$mode" "$bin" "$mode" "${ports[0]}"
            PID[$srv-$mode]=$BENCH_LAST_PID
            ports=("${ports[@]:1}")
        done
    done
    unset BENCH_SERVER_ARGS
    local rep order r n t key fsync p
    for ((rep = 1; rep <= REPEAT; rep++)); do
        if ((rep % 2)); then order="redis sealkv"; else order="sealkv redis"; fi
        for r in $ROWS; do
            mode=$(row_mode "$r")
            fsync=$(row_fsync "$r")
            p=$(row_pipeline "$r")
            n=$(row_n "$r")
            for srv in $order; do
                key=$srv-$mode
                bench_cli "$mode" "${PORT[$key]}" CONFIG SET appendfsync "$fsync" >/dev/null ||
                    bench_die "$key: CONFIG SET appendfsync $fsync failed"
                for t in $TESTS; do
                    bench_log "rep $rep/$REPEAT $r $t $srv (n=$n)"
                    bench_run "$r" "$srv" "$mode" "${PORT[$key]}" "${PID[$key]}" "$rep" "$n" \
                        -c $CLIENTS -P "$p" -r $KEYSPACE -t "$t"
                done
            done
        done
    done
    bench_cleanup_servers
}

# Kills the servers started so far (by pid), keeping the temp dir.
bench_cleanup_servers() {
    local keep=${BENCH_KEEP_TMP:-}
    BENCH_KEEP_TMP=1
    bench_cleanup
    BENCH_KEEP_TMP=$keep
}

# Loading: each side writes an AOF (SET/INCR/LPUSH, -P 16, appendfsync no),
# then every file set is loaded by both servers REPEAT times. load_ms is the
# wall time from exec to the first PONG (PING answers -LOADING until the AOF
# is in), log_s the server's own "DB loaded from append only file" figure,
# cpu_ms the server's CPU until the PONG. Then BGREWRITEAOF on the loaded
# dataset: wall time until INFO says the rewrite is done.
load_rows() {
    local out=$BENCH_TMP/load.tsv src bin port pid dir t
    : >"$out"
    for src in redis sealkv; do
        [ $src = redis ] && bin=$REDIS_SERVER || bin=$SEALKV_SERVER
        read -r port <<<"$(bench_free_ports 1)"
        BENCH_SERVER_ARGS=(--appendonly yes --appendfsync no)
        bench_start_server "fill-$src" "$bin" plain "$port"
        unset BENCH_SERVER_ARGS
        pid=$BENCH_LAST_PID
        for t in $TESTS; do
            bench_log "filling $src's AOF: $t x $LOAD_N"
            LD_PRELOAD=$BENCH_NODELAY_SO timeout "$BENCH_TIMEOUT" "$REDIS_BENCHMARK" \
                -h 127.0.0.1 -p "$port" -n "$LOAD_N" -c $CLIENTS -P 16 -r $KEYSPACE -q -t "$t" \
                >/dev/null 2>&1 || bench_die "fill of $src failed"
        done
        kill "$pid"
        wait_gone "$pid"
        dir=$BENCH_TMP/fill-$src/appendonlydir
        [ -d "$dir" ] || bench_die "$src wrote no appendonlydir"
        bench_log "$src's AOF: $(du -sh "$dir" | cut -f1) ($(find "$dir" -maxdepth 1 -type f -printf '%f '))"
    done
    local rep order loader
    for ((rep = 1; rep <= REPEAT; rep++)); do
        if ((rep % 2)); then order="redis sealkv"; else order="sealkv redis"; fi
        for src in redis sealkv; do
            for loader in $order; do
                load_one "$src" "$loader" "$rep" >>"$out"
            done
        done
    done
}

wait_gone() {
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$1" 2>/dev/null || true
}

# load_one SRC LOADER REP - prints: src loader rep load_ms log_s cpu_ms keys rewrite_ms
load_one() {
    local src=$1 loader=$2 rep=$3 bin port dir pid t0 t1 i cpu keys r0 r1 logs
    [ "$loader" = redis ] && bin=$REDIS_SERVER || bin=$SEALKV_SERVER
    dir=$BENCH_TMP/load-$src-$loader
    rm -rf "$dir"
    mkdir -p "$dir"
    cp -r "$BENCH_TMP/fill-$src/appendonlydir" "$dir/"
    printf 'bind 127.0.0.1\nsave ""\nappendonly yes\nappendfsync no\n' >"$dir/bench.conf"
    read -r port <<<"$(bench_free_ports 1)"
    t0=$(now_ms)
    "${SRV_PREFIX[@]}" "$bin" "$dir/bench.conf" --port "$port" --dir "$dir" \
        --logfile "$dir/server.log" >"$dir/stdout.log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    for ((i = 0; i < 3000; i++)); do
        [ "$(timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "$port" PING 2>/dev/null)" = PONG ] && break
        kill -0 "$pid" 2>/dev/null || bench_die "$loader exited loading $src's AOF"
        sleep 0.01
    done
    t1=$(now_ms)
    cpu=$(($(bench_cpu_ticks "$pid") * 1000 / $(getconf CLK_TCK)))
    keys=$(timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "$port" DBSIZE)
    logs=$(sed -n 's/.*DB loaded from append only file: \([0-9.]*\) seconds.*/\1/p' \
        "$dir/server.log" | tail -n 1)
    r0=$(now_ms)
    timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "$port" BGREWRITEAOF >/dev/null
    for ((i = 0; i < 3000; i++)); do
        timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "$port" INFO persistence | tr -d '\r' |
            grep -q -e '^aof_rewrite_in_progress:1' -e '^aof_rewrite_scheduled:1' || break
        sleep 0.01
    done
    r1=$(now_ms)
    kill "$pid"
    wait_gone "$pid"
    bench_log "load $src's AOF by $loader (rep $rep): $((t1 - t0)) ms, log ${logs:-?} s," \
        "$keys keys, rewrite $((r1 - r0)) ms"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$src" "$loader" "$rep" "$((t1 - t0))" \
        "${logs:--}" "$cpu" "$keys" "$((r1 - r0))"
}

summarize_writes() {
    python3 - "$1" "$2" "$ROWS" <<'EOF'
import statistics, sys
raw, out, rows = sys.argv[1], sys.argv[2], sys.argv[3].split()
cols = ["rps", "avg", "p50", "p95", "p99", "max", "cpu_ms", "ops"]
samples, tests = {}, []
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    if len(f) != 12:
        continue
    if (f[0], f[1]) not in tests:
        tests.append((f[0], f[1]))
    d = samples.setdefault((f[0], f[1], f[2]), {c: [] for c in cols})
    for c, v in zip(cols, f[4:]):
        try:
            d[c].append(float(v))
        except ValueError:
            pass
tests.sort(key=lambda t: rows.index(t[0]) if t[0] in rows else 99)

def med(k, col):
    d = samples.get(k)
    if not d:
        return None
    v = ([1000.0 * c / n for c, n in zip(d["cpu_ms"], d["ops"]) if n > 0]
         if col == "cpu" else d[col])
    return statistics.median(v) if v else None

def spread(k):
    v = samples.get(k, {"rps": []})["rps"]
    if len(v) < 2 or statistics.median(v) == 0:
        return None
    return 50.0 * (max(v) - min(v)) / statistics.median(v)

ratio = lambda a, b: None if a is None or b is None or a == 0 else b / a
fmt = lambda v, p=3: "-" if v is None else f"{v:.{p}f}"
hdr = ["row", "test", "redis_rps", "sealkv_rps", "rps_ratio", "redis_p50_ms", "sealkv_p50_ms",
       "p50_ratio", "redis_cpu_us_per_op", "sealkv_cpu_us_per_op", "cpu_ratio",
       "redis_rps_spread_pct", "sealkv_rps_spread_pct"]
table = []
for row, test in tests:
    r, s = (row, test, "redis"), (row, test, "sealkv")
    table.append([row, test, fmt(med(r, "rps"), 0), fmt(med(s, "rps"), 0),
                  fmt(ratio(med(r, "rps"), med(s, "rps")), 2), fmt(med(r, "p50")),
                  fmt(med(s, "p50")), fmt(ratio(med(r, "p50"), med(s, "p50")), 2),
                  fmt(med(r, "cpu"), 2), fmt(med(s, "cpu"), 2),
                  fmt(ratio(med(r, "cpu"), med(s, "cpu")), 2), fmt(spread(r), 0),
                  fmt(spread(s), 0)])
show = ["row", "test", "redis rps", "sealkv rps", "s/r", "p50 r", "p50 s", "s/r", "cpu/op r",
        "cpu/op s", "s/r", "±r%", "±s%"]
widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h)
          for i, h in enumerate(show)]
line = lambda cells: "  ".join(c.rjust(w) if i > 1 else c.ljust(w)
                               for i, (c, w) in enumerate(zip(cells, widths)))
print("writes with appendonly yes: medians; rps = requests/s, p50 in ms, cpu/op = server")
print("CPU us per request (fsync thread included); s/r = sealkv/redis (rps: higher is")
print("better for sealkv; p50, cpu: lower is better); ±r%/±s% = half the rps range (noise)")
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

summarize_loads() {
    python3 - "$1" <<'EOF'
import statistics, sys
d = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) != 8:
        continue
    e = d.setdefault((f[0], f[1]), {"ms": [], "log": [], "cpu": [], "keys": set(), "rw": []})
    e["ms"].append(float(f[3]))
    if f[4] != "-":
        e["log"].append(float(f[4]))
    e["cpu"].append(float(f[5]))
    e["keys"].add(f[6])
    e["rw"].append(float(f[7]))
med = lambda v: statistics.median(v) if v else None
fmt = lambda v, p=0: "-" if v is None else f"{v:.{p}f}"
ratio = lambda a, b: None if a is None or b is None or a == 0 else b / a
print()
print("AOF load (the same files, each side's loaded by both) and BGREWRITEAOF: medians;")
print("load ms = exec to first PONG; log s = the server's own figure; cpu ms = server CPU")
print("until the PONG; rewrite ms = BGREWRITEAOF until INFO shows it done")
print(f"{'written by':<11}{'metric':<12}{'redis':>10}{'sealkv':>10}{'s/r':>7}   keys (redis/sealkv)")
for src in ("redis", "sealkv"):
    r, s = d.get((src, "redis")), d.get((src, "sealkv"))
    if not r or not s:
        continue
    keys = f"{'/'.join(sorted(r['keys']))} / {'/'.join(sorted(s['keys']))}"
    for name, col, p in (("load ms", "ms", 0), ("log s", "log", 3), ("cpu ms", "cpu", 0),
                         ("rewrite ms", "rw", 0)):
        a, b = med(r[col]), med(s[col])
        print(f"{src:<11}{name:<12}{fmt(a, p):>10}{fmt(b, p):>10}{fmt(ratio(a, b), 2):>7}"
              f"   {keys if col == 'ms' else ''}")
EOF
}

main "$@"
