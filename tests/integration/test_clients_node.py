"""ioredis (Node.js) against the server, plain and over mutual TLS.

The client comes from the npm registry (tests/integration/node, installed by
scripts/deps.sh); its absence is a failure, not a skip."""

import json
import os
import shutil
import subprocess

import pytest

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def run_ioredis(port, tls, certs):
    node = shutil.which("node")
    assert node, "node is not installed"
    assert os.path.isdir(os.path.join(NODE_DIR, "node_modules", "ioredis")), \
        "ioredis is not installed: run scripts/deps.sh"
    args = [node, os.path.join(NODE_DIR, "ioredis_check.js"), str(port), "1" if tls else "0",
            certs.ca_cert, certs.client_cert, certs.client_key]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_ioredis(live_server, mode, certs):
    port = live_server.tls_port if mode == "tls" else live_server.port
    got = run_ioredis(port, mode == "tls", certs)
    assert "fatal" not in got, got
    assert got["ping"] == "PONG"
    assert got["set"] == "OK"
    assert got["get"] == "v1"
    assert got["incr"] == 5
    assert got["pipeline"] == ["OK", 2, "2"]
    assert got["multi"] == [[None, "OK"], [None, "x"]]
    assert got["mget"] == ["v1", None]
    assert got["error"] == "ERR value is not an integer or out of range"
    assert got["big_ok"] is True
    assert got["receivers"] == 1
    assert got["message"] == ["ioredis:ch", "hello"]
    assert got["del"] == 5
