#!/bin/sh
# run-fuzz.sh SECONDS [TARGET...] - runs each libFuzzer target built by
# `make -f fuzz/Makefile` (build-fuzz/fuzz_*) for SECONDS, starting from its
# seeds in fuzz/corpus/<name>/ (name = target without "fuzz_"). New inputs go
# to build-fuzz/corpus/<name>/ so the checked-in seeds stay small; crashes,
# leaks and timeouts are written to build-fuzz/artifacts/.
# Prints one line per target; exits non-zero if any target failed.
set -u

secs=${1:-}
case "$secs" in
'' | *[!0-9]* | 0 | 0*) # 0 would mean "forever" to libFuzzer
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
    ;;
esac
shift

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build-fuzz"
if [ $# -eq 0 ]; then
    set -- $(cd "$out" 2>/dev/null && ls fuzz_* 2>/dev/null | grep -v '\.')
fi
if [ $# -eq 0 ]; then
    echo "run-fuzz: no targets in $out (build them: make -f fuzz/Makefile)" >&2
    exit 2
fi

mkdir -p "$out/artifacts" "$out/logs"
failed=0
for t in "$@"; do
    bin="$out/$t"
    name=${t#fuzz_}
    seeds="$root/fuzz/corpus/$name"
    work="$out/corpus/$name"
    log="$out/logs/$t.log"
    if [ ! -x "$bin" ]; then
        echo "FAIL $t: not built ($bin)"
        failed=1
        continue
    fi
    mkdir -p "$work"
    [ -d "$seeds" ] || seeds=""
    # -timeout: one input taking over 10 s is a bug (the parsers are linear);
    # -rss_limit_mb: a parser allocating gigabytes for a tiny input is a bug.
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$t-" "$work" ${seeds:+"$seeds"} >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    units=$(ls "$work" | wc -l)
    if [ $rc -eq 0 ]; then
        echo "ok   $t: ${runs:-?} runs in ${secs}s, cov ${cov:-?}, corpus $units"
    else
        what=$(grep -m 1 -o 'ERROR: [A-Za-z]*: [a-z -]*' "$log" | head -n 1)
        art=$(grep -o "$out/artifacts/$t-[^ ]*" "$log" | tail -n 1)
        echo "FAIL $t: exit $rc ${what:-} (log $log${art:+, input $art})"
        failed=1
    fi
done
exit $failed
