#!/usr/bin/env bash
# Installs the Debian packages sealkv builds and tests with, when missing.
set -euo pipefail
pkgs=(build-essential pkg-config libssl-dev openssl libcmocka-dev clang libclang-rt-14-dev llvm
      redis-server redis-tools python3-redis python3-pytest tcpdump libjansson-dev libraft-dev
      libhttp-parser-dev clang-format procps iproute2)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a redis-server service on install; the benchmarks and tests
# run their own instances, so stop the packaged one if it was just started.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
    $SUDO systemctl stop redis-server || true
fi
