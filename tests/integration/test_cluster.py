"""sealkv-node: a 3-node cluster on loopback - create, join, REST API, restart,
leader crash under configuration writes, loss of quorum.

Each test builds its own cluster (tests/integration/cluster_node.py); every
node process is stopped by pid afterwards, whatever happened.
"""

import json
import os
import stat
import threading
import time

import pytest

from cluster_node import (ADMIN, PASSWORD, NodeProcess, clusters, run_node,  # noqa: F401
                          wait_for)

pytestmark = pytest.mark.sealkv_only


def test_create_then_join_two_nodes(clusters):
    c = clusters(3)
    n1 = c.nodes[0]
    assert [n.uid for n in c.nodes] == [1, 2, 3]
    info = n1.cluster()
    assert info["name"] == c.name
    assert len(info["uid"]) == 36 and info["uid"].count("-") == 4
    assert info["settings"]["min_data_TLS_version"] == "1.2"
    for n in c.nodes:
        # Every node answers from the same replicated state.
        got = n.cluster()
        assert (got["uid"], got["leader"]) == (info["uid"], info["leader"])
        node = n.api("GET", "/v1/nodes/%d" % n.uid).json()
        assert node["addr"] == n.addr and node["api_addr"] == n.api_addr
        assert node["status"] == "active"
        assert node["role"] == ("leader" if n.uid == info["leader"] else "follower")
        assert set(node["certificates"]) == {"control", "data", "api"}
        # The node's files: same CA everywhere, keys private.
        with open(n.path("ca.crt")) as f, open(n1.path("ca.crt")) as g:
            assert f.read() == g.read()
        st = os.stat(n.dir)
        assert stat.S_IMODE(st.st_mode) == 0o700
        for plane in ("control", "data", "api"):
            assert stat.S_IMODE(os.stat(n.path(plane + ".key")).st_mode) == 0o600
        assert not os.path.exists(n.path("ca.key"))
    listed = n1.api("GET", "/v1/nodes").json()
    assert [x["uid"] for x in listed] == [1, 2, 3]
    assert n1.api("GET", "/v1/nodes/99").status == 404
    ca = n1.api("GET", "/v1/cluster/ca")
    assert ca.status == 200 and ca.text.startswith("-----BEGIN CERTIFICATE-----")
    certs = n1.api("GET", "/v1/cluster/certificates").json()
    assert [x["uid"] for x in certs["nodes"]] == [1, 2, 3] or \
        sorted(x["uid"] for x in certs["nodes"]) == [1, 2, 3]
    assert certs["ca"]["pem"] == ca.text


def test_rest_errors(clusters):
    c = clusters(1)
    n = c.nodes[0]
    assert n.api("GET", "/v1/cluster", auth=None).status == 401
    assert n.api("GET", "/v1/cluster", auth=(ADMIN, "wrong")).status == 401
    assert n.api("GET", "/v1/cluster", auth=("root", PASSWORD)).status == 401
    r = n.api("GET", "/v1/nope")
    assert r.status == 404 and r.json()["error_code"]
    assert n.api("DELETE", "/v1/cluster").status == 405
    assert n.api("POST", "/v1/nodes").status == 405
    before = n.cluster()
    for body in (b"{", b"[1]", b'{"description": 5}', b'{"uid": "x"}', b'{"unknown": 1}',
                 b'{"settings": {"min_data_TLS_version": "1.9"}}', b'{"settings": {"x": 1}}',
                 b"{}"):
        r = n.api("PUT", "/v1/cluster", raw_body=body)
        assert r.status == 400, (body, r)
        err = r.json()
        assert set(err) == {"error_code", "description"}
    assert n.cluster() == before  # nothing changed
    r = n.api("PUT", "/v1/cluster", body={"description": "d1",
                                          "settings": {"min_data_TLS_version": "1.3"}})
    assert r.status == 200, r
    got = n.cluster()
    assert got["description"] == "d1" and got["settings"]["min_data_TLS_version"] == "1.3"
    # The last node cannot be removed.
    assert n.api("DELETE", "/v1/nodes/1").status == 409
    # Join without a token body: 400, not 401 (joins are token-authenticated).
    assert n.api("POST", "/v1/cluster/join", body={}, auth=None).status == 400


def test_restart_all_nodes(clusters):
    c = clusters(3)
    assert c.nodes[1].api("PUT", "/v1/cluster", body={"description": "kept"}).status == 200
    c.stop_all()
    assert not any(n.health() for n in c.nodes), c.logs()
    for n in c.nodes:
        n.start(wait=False)
    for n in c.nodes:
        n.wait_api()
    c.wait_members()
    for n in c.nodes:
        assert n.cluster()["description"] == "kept"
    leader = c.leader()
    r = leader.api("PUT", "/v1/cluster", body={"description": "after restart"})
    assert r.status == 200, r
    for n in c.nodes:
        wait_for("description on %s" % n.name,
                 lambda n=n: n.cluster()["description"] == "after restart", timeout=10)


def test_sigkill_every_node_then_restart(clusters):
    """A crash of the whole cluster loses no acknowledged write."""
    c = clusters(3)
    for i in range(1, 6):
        node = c.nodes[i % 3]
        assert node.api("PUT", "/v1/cluster", body={"description": "v%d" % i}).status == 200
    c.kill_all()
    for n in c.nodes:
        n.start(wait=False)
    for n in c.nodes:
        n.wait_api()
    c.wait_members()
    for n in c.nodes:
        wait_for("v5 on %s" % n.name, lambda n=n: n.cluster()["description"] == "v5", timeout=10)


class Writer(threading.Thread):
    """PUT /v1/cluster description=N, N = 1, 2, ... one at a time, to the
    running nodes in turn; records which N were acknowledged."""

    def __init__(self, nodes, limit_s=60.0):
        super().__init__(daemon=True)
        self.nodes = nodes
        self.limit = time.monotonic() + limit_s
        self.acked = []
        self.attempted = 0
        self.failures = []  # (time, status)
        self.stop_flag = threading.Event()

    def run(self):
        i = 0
        while not self.stop_flag.is_set() and time.monotonic() < self.limit:
            targets = [n for n in self.nodes if n.is_running()]
            if not targets:
                time.sleep(0.05)
                continue
            node = targets[self.attempted % len(targets)]
            self.attempted += 1
            i = self.attempted
            try:
                r = node.api("PUT", "/v1/cluster", body={"description": "n=%d" % i}, timeout=10)
                status = r.status
            except Exception as e:  # noqa: BLE001 - a killed node resets its links
                status = repr(e)
            if status == 200:
                self.acked.append(i)
            else:
                self.failures.append((time.monotonic(), status))
                time.sleep(0.05)


def description_counter(node):
    d = node.cluster()["description"]
    return int(d[2:]) if d.startswith("n=") else 0


def test_leader_sigkill_under_writes(clusters):
    c = clusters(3)
    leader = c.leader()
    writer = Writer(c.nodes)
    writer.start()
    try:
        wait_for("some acknowledged writes", lambda: len(writer.acked) >= 20, timeout=30)
        killed_at = time.monotonic()
        acked_before = len(writer.acked)
        leader.kill()
        # A new leader among the two others, and writes acknowledged again.
        new_leader = c.leader(timeout=15)
        assert new_leader is not leader
        wait_for("writes acknowledged after the crash",
                 lambda: len(writer.acked) >= acked_before + 10, timeout=20)
        recovered_in = time.monotonic() - killed_at
        print("new leader node %d; writes acknowledged again within %.2fs of the SIGKILL"
              % (new_leader.uid, recovered_in))
    finally:
        writer.stop_flag.set()
        writer.join(timeout=30)
    assert not writer.is_alive()
    last_acked = writer.acked[-1]
    # The old leader comes back from its directory and catches up.
    leader.start(wait=False)
    leader.wait_api(timeout=30)
    c.wait_members()
    # No acknowledged write lost: every node ends on the last acknowledged
    # value or on a later one that was committed without an answer.
    for n in c.nodes:
        wait_for("%s caught up" % n.name, lambda n=n: description_counter(n) >= last_acked,
                 timeout=15)
        assert description_counter(n) <= writer.attempted
    values = {description_counter(n) for n in c.nodes}
    assert len(values) == 1, values


def test_one_node_of_three_refuses_writes(clusters):
    c = clusters(3)
    survivor = c.nodes[2]
    for n in c.nodes[:2]:
        n.stop()

    def refused():
        r = survivor.api("PUT", "/v1/cluster", body={"description": "no quorum"}, timeout=20)
        assert r.status in (503, 200), r
        return r if r.status == 503 else None
    r = wait_for("a 503 from the lone node", refused, timeout=30)
    assert r.json()["error_code"] in ("no_quorum", "no_leader")
    # Reads still work, and nothing was written.
    assert survivor.cluster()["description"] != "no quorum"
    r = survivor.api("POST", "/v1/cluster/join_tokens", timeout=20)
    assert r.status == 503, r
    # Quorum back: writes work again.
    c.nodes[0].start(wait=False)
    c.nodes[0].wait_api(timeout=30)
    wait_for("writes with quorum back",
             lambda: survivor.api("PUT", "/v1/cluster", body={"description": "quorum"},
                                  timeout=20).status == 200, timeout=30, interval=0.5)


def test_cli_errors_leave_no_directory(tmp_path):
    from cluster_node import skip_without_node
    skip_without_node()
    d = str(tmp_path / "n")
    pw = str(tmp_path / "pw")
    with open(pw, "w") as f:
        f.write("pw\n")
    cases = [
        (["create", "--dir", d, "--addr", "127.0.0.1:1", "--api-addr", "127.0.0.1:2",
          "--admin-password-file", pw], "--name"),
        (["create", "--name", "x", "--dir", d, "--addr", "127.0.0.1:99999", "--api-addr",
          "127.0.0.1:2", "--admin-password-file", pw], "--addr"),
        (["create", "--name", "x", "--dir", d, "--addr", "127.0.0.1:1", "--api-addr",
          "127.0.0.1:2", "--admin-password-file", str(tmp_path / "missing")], "password"),
        (["create", "--name", "x", "--dir", d, "--addr", "0.0.0.0:1", "--api-addr",
          "127.0.0.1:2", "--admin-password-file", pw], "reach"),
        (["join", "--token", "nope", "--dir", d, "--addr", "127.0.0.1:1", "--api-addr",
          "127.0.0.1:2", "127.0.0.1:3"], "token"),
        (["run", "--dir", d], "node.json"),
        (["frobnicate"], "Usage"),
    ]
    for args, why in cases:
        res = run_node(args)
        assert res.returncode != 0, args
        assert why in res.stderr, (args, res.stderr)
        assert not os.path.exists(d), args
    # A directory with anything in it is never overwritten.
    os.makedirs(d)
    with open(os.path.join(d, "precious"), "w") as f:
        f.write("x")
    res = run_node(["create", "--name", "x", "--dir", d, "--addr", "127.0.0.1:1", "--api-addr",
                    "127.0.0.1:2", "--admin-password-file", pw])
    assert res.returncode != 0 and "not empty" in res.stderr
    assert os.listdir(d) == ["precious"]
    assert [p for p in os.listdir(str(tmp_path)) if "staging" in p] == []


def test_node_started_long_after_its_join(clusters):
    """The leader's first promotion of a joined node gives up while the node
    is not running (it cannot catch up); the node must still become a voter
    once it starts, and the cluster keeps taking writes meanwhile."""
    from cluster_node import NodeProcess
    c = clusters(1)
    n1 = c.nodes[0]
    late = NodeProcess(c.root, "late")
    late.join(n1.new_token(), n1)
    c.nodes.append(late)
    deadline = time.monotonic() + 24  # past the store's 20 s membership-change timeout
    while time.monotonic() < deadline:
        assert n1.api("PUT", "/v1/cluster", body={"description": "waiting"}).status == 200
        assert n1.api("GET", "/v1/nodes/%d" % late.uid).json()["status"] == "joining"
        time.sleep(2)
    late.start(wait=False)
    late.wait_api(timeout=40)
    c.wait_members(timeout=30)
    assert late.cluster()["description"] == "waiting"
