#!/usr/bin/env bash
# Runs the pytest integration suites against the binaries in $1 (bin or bin-asan).
set -u
bindir=$(cd "${1:-bin}" && pwd)
cd "$(dirname "$0")/.."
export SEALKV_BIN="$bindir"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "${@:2}"
