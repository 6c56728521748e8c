#!/usr/bin/env bash
# `make run`: certificates, then a TLS-only sealkv-server in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
# SEALKV_DEMO=cluster: a local 3-node sealkv-node cluster instead.
if [ "${SEALKV_DEMO:-}" = cluster ]; then exec scripts/run-cluster-demo.sh; fi
dir=run
port=${SEALKV_TLS_PORT:-6380}
mkdir -p "$dir"
if [ ! -f "$dir/certs/server/server.crt" ]; then
    bin/sealkv-certs init "$dir/certs" >/dev/null
fi
certs=$(pwd)/$dir/certs
cat <<MSG

sealkv-server: TLS only (plaintext port disabled), client certificates required.
Connect with:

  redis-cli -p $port --tls --cacert $certs/client/root.crt --cert $certs/client/client.crt --key $certs/client/client.key

Stop with Ctrl-C.

MSG
exec bin/sealkv-server --port 0 --tls-port "$port" --bind 127.0.0.1 -::1 \
    --tls-cert-file "$certs/server/server.crt" --tls-key-file "$certs/server/server.key" \
    --tls-ca-cert-file "$certs/server/root.crt" --tls-auth-clients yes \
    --tls-auto-reload-interval 60 --dir "$(pwd)/$dir"
