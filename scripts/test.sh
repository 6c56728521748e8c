#!/usr/bin/env bash
# `make test`: every suite, then again under ASan+UBSan, then short fuzz runs.
# Ends with one summary line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
fail=0
total_pass=0; total_fail=0
log=$(mktemp -d)/test.log

count() { # reads a suite's output, adds its counts
    local p f
    p=$(grep -Eo '([0-9]+) passed' "$1" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
    f=$(grep -Eo '([0-9]+) failed' "$1" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
    total_pass=$((total_pass + ${p:-0})); total_fail=$((total_fail + ${f:-0}))
}

step() { # name, command...
    local name=$1; shift
    echo "== $name"
    local out="$log.$name"
    "$@" 2>&1 | tee "$out"
    local rc=${PIPESTATUS[0]}
    count "$out"
    if [ "$rc" -ne 0 ]; then echo "== $name: FAILED (exit $rc)"; fail=1; fi
}

step format make format-check
step build make -j"$jobs" all
step unit make -j"$jobs" unit
step integration make integration
step differential make differential
step asan-build make -j"$jobs" SAN=1 all
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step asan-unit make -j"$jobs" SAN=1 unit
step asan-integration make SAN=1 integration
step asan-differential make SAN=1 differential
step fuzz-build make fuzz-build
step fuzz scripts/run-fuzz.sh "${FUZZ_SECONDS:-15}"

echo
echo "tests: $total_pass passed, $total_fail failed"
[ $fail -eq 0 ] && [ $total_fail -eq 0 ]
