#!/usr/bin/env bash
# memory_compare.sh - memory per key, sealkv-server against redis-server 7.0.
#
# Starts both servers side by side with the same config (save "", appendonly
# no, default encoding thresholds), loads the same three datasets into each
# with `redis-cli --pipe` (bench/mem_gen.py writes the RESP):
#   strings  1M keys str:N   -> 10-20 byte values
#   hashes   100k keys of 20 fields (6-14 byte values)
#   zsets    100k keys of 50 members (half integer, half fractional scores)
# and reads used_memory (INFO memory) and RSS (/proc) before and after each
# dataset, each loaded alone into a freshly started pair of servers. Prints
# bytes per key for both servers and the sealkv/redis ratio (below 1.0 =
# sealkv uses less), and OBJECT ENCODING of one key per dataset on each side,
# so that a ratio is never read across different encodings.
#
#   BENCH_SCALE=0.1 bench/memory_compare.sh   # 100k / 10k / 10k keys
#   SEALKV_SERVER=/usr/bin/redis-server ...   # harness check: ratios ~1.0
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

BENCH_SCALE=${BENCH_SCALE:-1}
BENCH_TMP=$(mktemp -d /tmp/sealkv-mem.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

scaled() { python3 -c "import sys; print(max(1, int(float(sys.argv[1]) * float(sys.argv[2]))))" "$1" "$BENCH_SCALE"; }

N_STRINGS=$(scaled 1000000)
N_HASHES=$(scaled 100000)
N_ZSETS=$(scaled 100000)

# INFO memory field $3 of the server on port $1 ($2 = mode).
mem_field() {
    bench_cli "$2" "$1" INFO memory | tr -d '\r' | sed -n "s/^$3://p"
}

# mem_snapshot PORT PID -> "used_memory rss": used_memory from the server,
# RSS from /proc for both alike (redis-server's INFO samples it in its cron).
mem_snapshot() {
    local pages
    read -r _ pages _ <"/proc/$2/statm"
    echo "$(mem_field "$1" plain used_memory) $((pages * $(getconf PAGESIZE)))"
}

# load PORT FILE EXPECTED_KEYS: pipes the RESP file and checks the key count.
load() {
    local port=$1 file=$2 out
    out=$(timeout 600 "$REDIS_CLI" -h 127.0.0.1 -p "$port" --pipe <"$file" 2>&1) ||
        bench_die "redis-cli --pipe to port $port failed: $out"
    case $out in
    *"errors: 0,"*) ;;
    *) bench_die "errors while loading $file into port $port: $(echo "$out" | tail -2)" ;;
    esac
}

# stop_server PID: TERM, wait (at most 5 s), KILL; forgets the pid.
stop_server() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local -a keep=()
    for i in "${BENCH_PIDS[@]}"; do
        [ "$i" = "$pid" ] || keep+=("$i")
    done
    BENCH_PIDS=("${keep[@]}")
}

RESULTS=$BENCH_TMP/results.tsv
: >"$RESULTS"
for spec in "strings $N_STRINGS str:0" "hashes $N_HASHES hash:0" "zsets $N_ZSETS zset:0"; do
    read -r kind n sample <<<"$spec"
    file=$BENCH_TMP/$kind.resp
    bench_log "generating $kind ($n keys)"
    python3 "$here/mem_gen.py" "$kind" "$n" 1 >"$file"
    # Each dataset alone, in a freshly started pair of servers running side
    # by side: no main-table growth paid for another dataset, and no pages
    # freed by an earlier dataset reused (which would hide RSS).
    read -r P_REDIS P_SEALKV <<<"$(bench_free_ports 2)"
    bench_start_server "redis-$kind" "$REDIS_SERVER" plain "$P_REDIS"
    PID_REDIS=$BENCH_LAST_PID
    bench_start_server "sealkv-$kind" "$SEALKV_SERVER" plain "$P_SEALKV"
    PID_SEALKV=$BENCH_LAST_PID
    if [ "$kind" = strings ]; then
        bench_log "sealkv: $SEALKV_SERVER ($(bench_cli plain "$P_SEALKV" INFO memory |
            tr -d '\r' | sed -n 's/^mem_allocator://p'))"
    fi
    for side in redis sealkv; do
        port=P_${side^^}
        port=${!port}
        pid=PID_${side^^}
        pid=${!pid}
        read -r m0 r0 <<<"$(mem_snapshot "$port" "$pid")"
        t0=$(date +%s.%N)
        load "$port" "$file"
        t1=$(date +%s.%N)
        read -r m1 r1 <<<"$(mem_snapshot "$port" "$pid")"
        enc=$(bench_cli plain "$port" OBJECT ENCODING "$sample" | tr -d '\r')
        keys=$(bench_cli plain "$port" DBSIZE | tr -d '\r')
        [ "$keys" = "$n" ] || bench_die "$side: $keys keys after loading $n $kind"
        kill -0 "$pid" 2>/dev/null || bench_die "$side died while loading $kind"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$side" "$n" "$m0" "$m1" "$r0" \
            "$r1" "$enc" "$(echo "$t1 - $t0" | bc)" >>"$RESULTS"
        bench_log "$side $kind loaded in $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s"
    done
    stop_server "$PID_REDIS"
    stop_server "$PID_SEALKV"
    rm -f "$file"
done

echo
echo "memory per key (INFO used_memory and /proc RSS deltas over the dataset), BENCH_SCALE=$BENCH_SCALE"
python3 - "$RESULTS" <<'PYEOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    kind, side, n, m0, m1, r0, r1, enc, secs = line.rstrip("\n").split("\t")
    rows[(kind, side)] = dict(n=int(n), mem=(int(m1) - int(m0)) / int(n),
                             rss=(int(r1) - int(r0)) / int(n), enc=enc, secs=float(secs))
hdr = "%-8s %8s | %10s %10s %6s | %10s %10s %6s | %-22s" % (
    "dataset", "keys", "redis B/k", "sealkv B/k", "s/r", "redis rss", "sealkv rss", "s/r",
    "encoding redis/sealkv")
print(hdr)
print("-" * len(hdr))
for kind in ("strings", "hashes", "zsets"):
    r, s = rows.get((kind, "redis")), rows.get((kind, "sealkv"))
    if not r or not s:
        continue
    ratio = lambda a, b: "%6.2f" % (a / b) if b else "   n/a"
    print("%-8s %8d | %10.1f %10.1f %s | %10.1f %10.1f %s | %-22s" % (
        kind, r["n"], r["mem"], s["mem"], ratio(s["mem"], r["mem"]), r["rss"], s["rss"],
        ratio(s["rss"], r["rss"]), "%s/%s" % (r["enc"], s["enc"])))
PYEOF
echo
echo "B/k = bytes per key; s/r = sealkv/redis (below 1.0: sealkv uses less)."
