#!/usr/bin/env bash
# repl_compare.sh - replication, redis-server 7.0 vs sealkv-server, same
# machine, same TLS settings, same clients, in one run. Prints medians and
# sealkv/redis ratios.
#
# Rows:
#   fullsync-tls, fullsync-plain  a fresh replica of a primary holding
#       BENCH_KEYS keys of 100-byte values: seconds from REPLICAOF until
#       master_link_status:up and the replica has every key (replication link
#       over TLS with client certificates, or plain TCP)
#   steady-tls  redis-benchmark SET load (TLS, -P 16) on a primary with one
#       TLS replica attached: the primary's requests/s and server CPU per
#       request, the replica's CPU per request, then the time the replica
#       needs after the load ends to reach the primary's offset, and the
#       replication stream's bytes/s over the run
#   steady-tls-norepl  the same load on a primary without a replica (the
#       baseline: the summary prints rps with / without replica per server)
#   steady-tls-p1, steady-tls-p1-norepl  the same with -P 1 (one request in
#       flight per client) and BENCH_STEADY_N_P1 requests
#
# Each side replicates to its own kind (redis -> redis, sealkv -> sealkv).
#
# Environment (all optional):
#   SEALKV_SERVER   sealkv binary (default <repo>/bin/sealkv-server); set it to
#                   /usr/bin/redis-server to check the harness (ratios ~1.0)
#   REDIS_SERVER    reference binary (default /usr/bin/redis-server)
#   BENCH_REPEAT    runs per row and server, medians taken (default 3)
#   BENCH_KEYS      keys loaded for the full-sync rows (default 1000000)
#   BENCH_STEADY_N  SET requests of the -P 16 steady rows (default 2000000)
#   BENCH_STEADY_N_P1  SET requests of the -P 1 steady rows (default N / 4)
#   BENCH_ROWS      rows to run (default: all fullsync-* and steady-* rows)
#   BENCH_OUT       also write the summary as TSV to this file
#   BENCH_RAW_OUT   also copy every individual sample (TSV) to this file
#   BENCH_TIMEOUT   seconds allowed for one sync or one redis-benchmark call
#                   (default 120)
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_ROOT/bench/lib.sh"

REPEAT=${BENCH_REPEAT:-3}
KEYS=${BENCH_KEYS:-1000000}
STEADY_N=${BENCH_STEADY_N:-2000000}
STEADY_N_P1=${BENCH_STEADY_N_P1:-$((STEADY_N / 4))}
STEADY_ROWS="steady-tls steady-tls-norepl steady-tls-p1 steady-tls-p1-norepl"
ALL_ROWS="fullsync-tls fullsync-plain $STEADY_ROWS"
ROWS=${BENCH_ROWS:-$ALL_ROWS}
PYTHON=${PYTHON:-/usr/bin/python3}

for r in $ROWS; do
    case " $ALL_ROWS " in *" $r "*) ;; *) bench_die "unknown row $r (rows: $ALL_ROWS)" ;; esac
done

# repl_start NAME BINARY PLAIN_PORT TLS_PORT - one server with a plain port
# (control and plain replication) and a TLS port (tls-auth-clients yes).
# Every server gets the same settings; as a replica it presents the client
# certificate and, with tls-replication yes, replicates over TLS. Sets
# BENCH_LAST_PID.
repl_start() {
    local name=$1 bin=$2 port=$3 tls_port=$4 dir=$BENCH_TMP/$1
    shift 4
    [ -x "$bin" ] || bench_die "$name: $bin is not an executable (set SEALKV_SERVER?)"
    mkdir -p "$dir"
    cat >"$dir/bench.conf" <<EOF
bind 127.0.0.1
save ""
appendonly no
port $port
tls-port $tls_port
tls-cert-file $BENCH_CERTS/server.crt
tls-key-file $BENCH_CERTS/server.key
tls-ca-cert-file $BENCH_CERTS/ca.crt
tls-client-cert-file $BENCH_CERTS/client.crt
tls-client-key-file $BENCH_CERTS/client.key
tls-auth-clients yes
repl-diskless-sync yes
repl-diskless-sync-delay 0
dir $dir
logfile $dir/server.log
EOF
    "${SRV_PREFIX[@]}" "$bin" "$dir/bench.conf" "$@" >"$dir/stdout.log" 2>&1 &
    BENCH_LAST_PID=$!
    BENCH_PIDS+=("$BENCH_LAST_PID")
    local i
    for ((i = 0; i < 100; i++)); do
        if [ "$(bench_cli plain "$port" PING 2>/dev/null)" = PONG ]; then
            bench_log "$name ready on 127.0.0.1:$port (tls $tls_port) pid $BENCH_LAST_PID"
            return 0
        fi
        kill -0 "$BENCH_LAST_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$dir/stdout.log" "$dir/server.log" >&2 2>/dev/null || true
    bench_die "$name did not start on port $port"
}

# Stops one server we started (TERM, then KILL after 5 s) and forgets it.
repl_stop() {
    local pid=$1 i p
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local -a keep=()
    for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    BENCH_PIDS=("${keep[@]}")
}

# repl_load PORT N - N keys pop:0000000.. with 100-byte values, pipelined
# MSETs of 100 keys through redis-cli --pipe on the plain port.
repl_load() {
    local port=$1 n=$2
    if [ ! -f "$BENCH_TMP/load.resp" ]; then
        "$PYTHON" - "$n" >"$BENCH_TMP/load.resp" <<'EOF'
import sys
n, batch = int(sys.argv[1]), 100
val = b"v" * 100
out = sys.stdout.buffer
for start in range(0, n, batch):
    keys = range(start, min(n, start + batch))
    parts = [b"*%d\r\n$4\r\nMSET\r\n" % (1 + 2 * len(keys))]
    for i in keys:
        k = b"pop:%07d" % i
        parts.append(b"$%d\r\n%s\r\n$100\r\n%s\r\n" % (len(k), k, val))
    out.write(b"".join(parts))
EOF
    fi
    timeout "$BENCH_TIMEOUT" "$REDIS_CLI" -h 127.0.0.1 -p "$port" --pipe \
        <"$BENCH_TMP/load.resp" >"$BENCH_TMP/load.out" 2>&1 ||
        bench_die "loading port $port failed: $(tail -n 3 "$BENCH_TMP/load.out")"
    local have
    have=$(bench_cli plain "$port" DBSIZE)
    [ "$have" = "$n" ] || bench_die "port $port holds $have keys after loading $n"
}

# repl_sync_time REPLICA_PORT PRIMARY_PORT NKEYS - REPLICAOF, then polls
# (every 5 ms) until the link is up and DBSIZE reaches NKEYS; prints seconds,
# or nothing on timeout.
repl_sync_time() {
    "$PYTHON" - "$1" "$2" "$3" "$BENCH_TIMEOUT" <<'EOF'
import sys, time
import redis
rport, pport, n, limit = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
r = redis.Redis(host="127.0.0.1", port=rport, socket_timeout=limit)
t0 = time.monotonic()
r.execute_command("REPLICAOF", "127.0.0.1", pport)
while time.monotonic() - t0 < limit:
    try:
        up = r.info("replication").get("master_link_status") == "up"
        if up and r.execute_command("DBSIZE") >= n:
            print("%.3f" % (time.monotonic() - t0))
            sys.exit(0)
    except redis.exceptions.ResponseError:  # LOADING
        pass
    time.sleep(0.005)
sys.exit(1)
EOF
}

# Replication offsets: "primary_offset replica_offset".
repl_offsets() {
    local p r
    p=$(bench_cli plain "$1" INFO replication | tr -d '\r' | sed -n 's/^master_repl_offset://p')
    r=$(bench_cli plain "$2" INFO replication | tr -d '\r' | sed -n 's/^slave_repl_offset://p')
    echo "${p:-0} ${r:--1}"
}

# raw line: row metric server rep value
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RAW"; }

run_fullsync() {
    local rep=$1 order=$2 srv bin mode port t
    local -a ports
    for mode in tls plain; do
        case " $ROWS " in *" fullsync-$mode "*) ;; *) continue ;; esac
        for srv in $order; do
            [ "$srv" = redis ] && bin=$REDIS_SERVER || bin=$SEALKV_SERVER
            read -r -a ports <<<"$(bench_free_ports 2)"
            repl_start "$srv-replica-$mode-$rep" "$bin" "${ports[0]}" "${ports[1]}" \
                --tls-replication "$([ $mode = tls ] && echo yes || echo no)"
            local rpid=$BENCH_LAST_PID
            [ $mode = tls ] && port=${PTLS[$srv]} || port=${PPLAIN[$srv]}
            bench_log "rep $rep/$REPEAT fullsync-$mode $srv ($KEYS keys)"
            if t=$(repl_sync_time "${ports[0]}" "$port" "$KEYS"); then
                record "fullsync-$mode" sync_s "$srv" "$rep" "$t"
                bench_log "  $t s"
            else
                bench_log "  $srv fullsync-$mode rep $rep: no complete sync within" \
                    "${BENCH_TIMEOUT}s; replica log:"
                tail -n 5 "$BENCH_TMP/$srv-replica-$mode-$rep/server.log" >&2 || true
            fi
            repl_stop "$rpid"
        done
    done
}

# run_steady REP ORDER ROW - one steady-state row for both servers: a fresh
# empty primary (with one TLS replica attached unless ROW ends in -norepl)
# under redis-benchmark SET load over TLS.
run_steady() {
    local rep=$1 order=$2 row=$3 srv bin t0 t1 c0 c1 rc0=0 rc1 out rc off o0 pid rpid pipe n repl=1
    local -a ports ca off_now
    case $row in *-norepl) repl=0 ;; esac
    case $row in
        steady-tls-p1*) pipe=1 n=$STEADY_N_P1 ;;
        *) pipe=16 n=$STEADY_N ;;
    esac
    for srv in $order; do
        [ "$srv" = redis ] && bin=$REDIS_SERVER || bin=$SEALKV_SERVER
        read -r -a ports <<<"$(bench_free_ports 4)"
        repl_start "$srv-$row-p-$rep" "$bin" "${ports[0]}" "${ports[1]}"
        pid=$BENCH_LAST_PID
        rpid=
        if ((repl)); then
            repl_start "$srv-$row-r-$rep" "$bin" "${ports[2]}" "${ports[3]}" --tls-replication yes
            rpid=$BENCH_LAST_PID
            repl_sync_time "${ports[2]}" "${ports[1]}" 0 >/dev/null ||
                bench_die "$srv steady replica did not attach"
            read -r o0 _ <<<"$(repl_offsets "${ports[0]}" "${ports[2]}")"
        fi
        bench_log "rep $rep/$REPEAT $row $srv (n=$n, -P $pipe)"
        mapfile -t ca < <(bench_client_args tls "${ports[1]}")
        out=$BENCH_TMP/steady.csv
        c0=$(bench_cpu_ticks "$pid")
        [ -z "$rpid" ] || rc0=$(bench_cpu_ticks "$rpid")
        t0=$(date +%s.%N)
        rc=0
        LD_PRELOAD=$BENCH_NODELAY_SO timeout "$BENCH_TIMEOUT" "${CLI_PREFIX[@]}" \
            "$REDIS_BENCHMARK" "${ca[@]}" -n "$n" -c 50 -P "$pipe" -r 100000 -d 100 \
            -t set --csv >"$out" 2>"$BENCH_TMP/steady.err" || rc=$?
        t1=$(date +%s.%N)
        c1=$(bench_cpu_ticks "$pid")
        if [ $rc != 0 ]; then
            bench_log "  redis-benchmark exit $rc: $(head -c 300 "$BENCH_TMP/steady.err")"
        else
            record "$row" rps "$srv" "$rep" "$(tr -d '\r"' <"$out" |
                awk -F, '$1 == "SET" { print $2 }')"
            record "$row" cpu_us_per_op "$srv" "$rep" \
                "$(echo "($c1 - $c0) * 1000000 / $(getconf CLK_TCK) / $n" | bc -l)"
        fi
        if [ $rc = 0 ] && ((repl)); then
            # Catch-up: until the replica's offset reaches the primary's
            # (polled every 10 ms, bounded by BENCH_TIMEOUT).
            local caught="" i
            for ((i = 0; i < BENCH_TIMEOUT * 100; i++)); do
                read -r -a off_now <<<"$(repl_offsets "${ports[0]}" "${ports[2]}")"
                if [ "${off_now[1]}" -ge "${off_now[0]}" ]; then
                    caught=$(date +%s.%N)
                    break
                fi
                sleep 0.01
            done
            if [ -n "$caught" ]; then
                rc1=$(bench_cpu_ticks "$rpid")
                record "$row" replica_cpu_us_per_op "$srv" "$rep" \
                    "$(echo "($rc1 - $rc0) * 1000000 / $(getconf CLK_TCK) / $n" | bc -l)"
                off=$((off_now[0] - o0))
                record "$row" catchup_ms "$srv" "$rep" \
                    "$(echo "($caught - $t1) * 1000" | bc -l)"
                record "$row" repl_mb_s "$srv" "$rep" \
                    "$(echo "$off / ($caught - $t0) / 1000000" | bc -l)"
            else
                bench_log "  $srv replica did not catch up within ${BENCH_TIMEOUT}s"
            fi
        fi
        [ -z "$rpid" ] || repl_stop "$rpid"
        repl_stop "$pid"
    done
}

summarize() {
    "$PYTHON" - "$1" "${2:-}" <<'EOF'
import statistics, sys
raw, out = sys.argv[1], sys.argv[2]
samples, order = {}, []
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    if len(f) != 5:
        continue
    row, metric, srv, _rep, v = f
    try:
        v = float(v)
    except ValueError:
        continue
    if (row, metric) not in order:
        order.append((row, metric))
    samples.setdefault((row, metric, srv), []).append(v)
better = {"sync_s": "lower", "rps": "higher", "cpu_us_per_op": "lower",
          "catchup_ms": "lower", "replica_cpu_us_per_op": "lower", "repl_mb_s": "higher"}
hdr = ["row", "metric", "redis", "sealkv", "s/r", "better", "nr", "ns", "redis samples",
       "sealkv samples"]
table = []
for row, metric in order:
    r = samples.get((row, metric, "redis"), [])
    s = samples.get((row, metric, "sealkv"), [])
    mr = statistics.median(r) if r else None
    ms = statistics.median(s) if s else None
    ratio = ms / mr if mr and ms is not None else None
    f = lambda v: "-" if v is None else ("%.3f" % v if v < 100 else "%.0f" % v)
    table.append([row, metric, f(mr), f(ms), "-" if ratio is None else "%.2f" % ratio,
                  better.get(metric, ""), str(len(r)), str(len(s)),
                  ",".join(f(x) for x in r), ",".join(f(x) for x in s)])
w = [max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(hdr)]
line = lambda c: "  ".join(x.ljust(w[i]) for i, x in enumerate(c))
print("medians; s/r = sealkv/redis; 'better' says which direction is better for sealkv")
print(line(hdr))
print(line(["-" * x for x in w]))
for t in table:
    print(line(t))
# Replication cost: rps with a replica / rps without, per server (1.0 = free).
cost = []
for row in sorted({r for r, _m in order}):
    base = row + "-norepl" if not row.endswith("-norepl") else None
    if not base or (base, "rps") not in order or (row, "rps") not in order:
        continue
    vals = []
    for srv in ("redis", "sealkv"):
        a, b = samples.get((row, "rps", srv)), samples.get((base, "rps", srv))
        vals.append(statistics.median(a) / statistics.median(b) if a and b else None)
    cost.append((row, vals))
if cost:
    print()
    print("replication cost: median rps with one replica / without (1.0 = free)")
    for row, (vr, vs) in cost:
        f = lambda v: "-" if v is None else "%.2f" % v
        print("  %-16s redis %s  sealkv %s" % (row, f(vr), f(vs)))
if out:
    with open(out, "w") as fh:
        fh.write("\t".join(hdr) + "\n")
        for t in table:
            fh.write("\t".join(t) + "\n")
EOF
}

main() {
    command -v "$REDIS_BENCHMARK" >/dev/null || bench_die "$REDIS_BENCHMARK not found"
    command -v bc >/dev/null || bench_die "bc not found"
    "$PYTHON" -c "import redis" || bench_die "$PYTHON lacks the redis module (python3-redis)"
    BENCH_TMP=$(mktemp -d /tmp/sealkv-replbench.XXXXXX)
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
    bench_log "rows: $ROWS; repeat $REPEAT; keys $KEYS; steady n $STEADY_N"
    LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

    declare -gA PPLAIN PTLS PPID_OF
    local srv bin rep order row
    local -a ports
    if [[ " $ROWS " == *" fullsync-"* ]]; then
        for srv in redis sealkv; do
            [ "$srv" = redis ] && bin=$REDIS_SERVER || bin=$SEALKV_SERVER
            read -r -a ports <<<"$(bench_free_ports 2)"
            PPLAIN[$srv]=${ports[0]}
            PTLS[$srv]=${ports[1]}
            repl_start "$srv-primary" "$bin" "${ports[0]}" "${ports[1]}"
            PPID_OF[$srv]=$BENCH_LAST_PID
            bench_log "loading $KEYS keys into $srv"
            repl_load "${ports[0]}" "$KEYS"
        done
    fi
    for ((rep = 1; rep <= REPEAT; rep++)); do
        # Alternate which server goes first so that drift does not always
        # favour the same side.
        if ((rep % 2)); then order="redis sealkv"; else order="sealkv redis"; fi
        run_fullsync "$rep" "$order"
    done
    if [[ " $ROWS " == *" fullsync-"* ]]; then
        for srv in redis sealkv; do repl_stop "${PPID_OF[$srv]}"; done
    fi
    for ((rep = 1; rep <= REPEAT; rep++)); do
        if ((rep % 2)); then order="redis sealkv"; else order="sealkv redis"; fi
        for row in $STEADY_ROWS; do
            case " $ROWS " in *" $row "*) run_steady "$rep" "$order" "$row" ;; esac
        done
    done
    [ -n "${BENCH_RAW_OUT:-}" ] && cp "$BENCH_RAW" "$BENCH_RAW_OUT"
    summarize "$BENCH_RAW" "${BENCH_OUT:-}"
    echo "load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

main "$@"
