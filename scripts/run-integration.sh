#!/bin/sh
# Runs the integration suite (tests/integration) against the binaries in the
# directory given as $1 (default: bin). The exit code is pytest's.
#   SEALKV_TEST_TARGET=redis scripts/run-integration.sh   checks the suite
#   itself against Debian's redis-server 7.0; sealkv-only tests are skipped.
set -u
cd "$(dirname "$0")/.." || exit 1
SEALKV_BIN=$(realpath -m "${1:-bin}")
export SEALKV_BIN
if [ "${SEALKV_TEST_TARGET:-sealkv}" != redis ] && [ ! -x "$SEALKV_BIN/sealkv-server" ]; then
    echo "run-integration: $SEALKV_BIN/sealkv-server not found (build it first)" >&2
    exit 2
fi
exec /usr/bin/python3 -m pytest -q -rfEs -p no:cacheprovider tests/integration
