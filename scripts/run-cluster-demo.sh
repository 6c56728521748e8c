#!/usr/bin/env bash
# run-cluster-demo.sh - a local 3-node sealkv-node cluster on loopback, in the
# foreground (`SEALKV_DEMO=cluster make run`). Creates the cluster in
# run/cluster on first use (node directories are kept, so a second run
# restarts the same cluster), prints how to reach the REST API, and stops
# every node (by pid) on Ctrl-C or when one of them exits.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)/run/cluster
bin=$(pwd)/bin/sealkv-node
base=${SEALKV_DEMO_PORT:-13342}
mkdir -p "$root"
chmod 700 "$root"
pwfile=$root/admin.pw
if [ ! -f "$pwfile" ]; then
    (umask 077 && head -c 18 /dev/urandom | base64 > "$pwfile")
fi
pw=$(cat "$pwfile")

cp_addr() { echo "127.0.0.1:$((base + $1 - 1))"; }
api_addr() { echo "127.0.0.1:$((base + 100 + $1 - 1))"; }
pids=()
stop_all() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
stopping=
trap stop_all EXIT
trap 'stopping=1; exit 0' INT TERM

start() {
    "$bin" run --dir "$root/n$1" --logfile "$root/n$1.log" &
    pids+=($!)
}

# Waits (at most 30 s) until node $1's API answers GET /v1/cluster with 200.
wait_api() {
    for _ in $(seq 1 150); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$root/n1/ca.crt" \
            -u "admin:$pw" "https://$(api_addr "$1")/v1/cluster" || true)
        [ "$code" = 200 ] && return 0
        sleep 0.2
    done
    echo "node $1 did not come up; see $root/n$1.log" >&2
    return 1
}

if [ ! -f "$root/n1/node.json" ]; then
    "$bin" create --name demo --dir "$root/n1" --addr "$(cp_addr 1)" --api-addr "$(api_addr 1)" \
        --admin-password-file "$pwfile" >/dev/null
    start 1
    wait_api 1
    for i in 2 3; do
        token=$(curl -s --cacert "$root/n1/ca.crt" -u "admin:$pw" -X POST \
            "https://$(api_addr 1)/v1/cluster/join_tokens" |
            sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
        (umask 077 && printf '%s\n' "$token" > "$root/token")
        "$bin" join --token-file "$root/token" --dir "$root/n$i" --addr "$(cp_addr "$i")" \
            --api-addr "$(api_addr "$i")" "$(api_addr 1)" >/dev/null
        rm -f "$root/token"
        start "$i"
        wait_api "$i"
    done
else
    for i in 1 2 3; do start "$i"; done
    for i in 1 2 3; do wait_api "$i"; done
fi

cat <<MSG

sealkv-node: 3-node cluster 'demo' on loopback (control plane $(cp_addr 1)..$(cp_addr 3), mTLS only).
REST API on any node, e.g.:

  curl --cacert $root/n1/ca.crt -u admin:\$(cat $pwfile) https://$(api_addr 1)/v1/nodes
  bin/sealkv-admin --help

Logs: $root/n1.log ... n3.log. Stop with Ctrl-C.

MSG
wait -n "${pids[@]}" || true
[ -n "$stopping" ] || echo "a node exited; stopping the others (see the logs)" >&2
