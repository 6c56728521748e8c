#!/usr/bin/env bash
# rdb_compare.sh - RDB save and load times, sealkv-server against redis-server 7.0.
#
# For each memory_compare.sh dataset (bench/mem_gen.py: 1M strings, 100k
# hashes of 20 fields, 100k zsets of 50 members), both servers get the same
# commands, then: SAVE is timed from the client; each server is restarted
# on its own dump.rdb and the load time is read from its log ("DB loaded from
# disk: X seconds", both print it); finally sealkv is started on redis's file
# (the migration case) and the key count checked. Prints one row per dataset.
#
#   BENCH_SCALE=0.1 bench/rdb_compare.sh   # 100k / 10k / 10k keys
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

BENCH_SCALE=${BENCH_SCALE:-1}
BENCH_TMP=$(mktemp -d /tmp/sealkv-rdb.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

scaled() { python3 -c "import sys; print(max(1, int(float(sys.argv[1]) * float(sys.argv[2]))))" "$1" "$BENCH_SCALE"; }

# stop PID: TERM (no save points: nothing is written), wait, forget the pid.
stop() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    local -a keep=()
    for i in "${BENCH_PIDS[@]}"; do [ "$i" = "$pid" ] || keep+=("$i"); done
    BENCH_PIDS=("${keep[@]}")
}

load_secs() { sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "$BENCH_TMP/$1/server.log" | tail -1; }

printf '%-8s %9s | %12s %12s | %12s %12s | %10s %14s\n' dataset keys "redis save" "sealkv save" \
    "redis load" "sealkv load" "file MB" "sealkv<-redis"
for spec in "strings 1000000" "hashes 100000" "zsets 100000"; do
    read -r kind n <<<"$spec"
    n=$(scaled "$n")
    file=$BENCH_TMP/$kind.resp
    python3 "$here/mem_gen.py" "$kind" "$n" 1 >"$file"
    declare -A save_s=() load_s=()
    for side in redis sealkv; do
        bin=$REDIS_SERVER
        [ "$side" = sealkv ] && bin=$SEALKV_SERVER
        read -r port <<<"$(bench_free_ports 1)"
        bench_start_server "$side-$kind" "$bin" plain "$port"
        pid=$BENCH_LAST_PID
        timeout 600 "$REDIS_CLI" -h 127.0.0.1 -p "$port" --pipe <"$file" >/dev/null
        t0=$(date +%s.%N)
        [ "$(bench_cli plain "$port" SAVE | tr -d '\r')" = OK ] || bench_die "$side: SAVE failed"
        t1=$(date +%s.%N)
        save_s[$side]=$(echo "$t1 - $t0" | bc)
        stop "$pid"
        bench_start_server "$side-$kind" "$bin" plain "$port"
        keys=$(bench_cli plain "$port" DBSIZE | tr -d '\r')
        [ "$keys" = "$n" ] || bench_die "$side: $keys keys after loading its own $n $kind"
        load_s[$side]=$(load_secs "$side-$kind")
        stop "$BENCH_LAST_PID"
    done
    mkdir -p "$BENCH_TMP/cross-$kind"
    cp "$BENCH_TMP/redis-$kind/dump.rdb" "$BENCH_TMP/cross-$kind/dump.rdb"
    read -r port <<<"$(bench_free_ports 1)"
    bench_start_server "cross-$kind" "$SEALKV_SERVER" plain "$port"
    keys=$(bench_cli plain "$port" DBSIZE | tr -d '\r')
    [ "$keys" = "$n" ] || bench_die "sealkv: $keys keys from redis's $n $kind"
    cross=$(load_secs "cross-$kind")
    stop "$BENCH_LAST_PID"
    mb=$(du -m "$BENCH_TMP/redis-$kind/dump.rdb" | cut -f1)
    printf '%-8s %9s | %11.2fs %11.2fs | %11.2fs %11.2fs | %10s %13.2fs\n' "$kind" "$n" \
        "${save_s[redis]}" "${save_s[sealkv]}" "${load_s[redis]}" "${load_s[sealkv]}" "$mb" "$cross"
    rm -f "$file"
done
