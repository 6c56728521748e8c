#!/usr/bin/env bash
# Runs each unit test binary given as an argument; prints one summary line.
set -u
passed=0; failed=0; bad=()
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    passed=$((passed + p)); failed=$((failed + f))
    if [ $rc -ne 0 ] || [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then
        bad+=("$(basename "$t")")
        # The assertion lines first (a long sanitizer report would push them
        # out of the tail), then the end of the output.
        printf '%s\n' "$out" | grep -E '^\[  (ERROR|FAILED) +\]|^\[   LINE   \]' | head -n 20
        printf '%s\n' "$out" | tail -n 40
        [ "$f" -eq 0 ] && failed=$((failed + 1))
    fi
done
echo "unit: $passed passed, $failed failed"
[ ${#bad[@]} -eq 0 ] || { echo "unit: failing binaries: ${bad[*]}"; exit 1; }
