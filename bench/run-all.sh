#!/usr/bin/env bash
# run-all.sh - every benchmark comparing sealkv-server with redis-server 7.0
# (what `make bench` runs). Environment knobs are those of tls_compare.sh;
# see bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sealkv=${SEALKV_SERVER:-$here/../bin/sealkv-server}
if [ ! -x "$sealkv" ]; then
    echo "run-all: $sealkv not built (run make, or set SEALKV_SERVER)" >&2
    exit 1
fi
echo "== TLS and plain-TCP comparison: redis-server 7.0 vs sealkv-server =="
"$here/tls_compare.sh"
echo "== Replication: full resync and steady state, redis-server 7.0 vs sealkv-server =="
"$here/repl_compare.sh"
echo "== AOF: redis-server 7.0 vs sealkv-server, appendonly yes =="
"$here/aof_compare.sh"
