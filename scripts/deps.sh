#!/usr/bin/env bash
# Installs the Debian packages sealkv builds and tests with, when missing.
set -euo pipefail
pkgs=(build-essential pkg-config libssl-dev openssl libcmocka-dev clang libclang-rt-14-dev llvm
      redis-server redis-tools python3-redis python3-pytest tcpdump libjansson-dev libraft-dev
      libhttp-parser-dev libjemalloc-dev clang-format procps iproute2)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts a redis-server service on install; the benchmarks and tests
# run their own instances, so stop the packaged one if it was just started.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
    $SUDO systemctl stop redis-server || true
fi

# ioredis for the Node.js client test, from the npm registry (pinned by the lock file).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node_dir="$(dirname "$0")/../tests/integration/node"
if [ ! -d "$node_dir/node_modules/ioredis" ]; then
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
