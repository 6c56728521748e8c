"""sealkv-node security: who the control plane (port 3342 role) accepts, join
token refusals, the CA key never leaving a node, file modes, and a packet
capture of control-plane traffic that must not show a value written to the
configuration store.

Refusal checks connect with Python's ssl module and a node's own files; a
positive control (a current member's control-plane certificate, which the
node accepts and then waits for a HELLO) shows the method can tell the two
apart.
"""

import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import time
import uuid

import pytest

from cluster_node import (clusters, refused_after_handshake, tls_connect,  # noqa: F401
                          wait_for)

pytestmark = pytest.mark.sealkv_only

TCPDUMP = shutil.which("tcpdump") or "/usr/bin/tcpdump"


def refused(node, peer, plane, timeout=5.0):
    """Connects to node's control plane with peer's <plane> certificate."""
    try:
        sock = tls_connect(node.cp_port, cert=peer.path(plane + ".crt"),
                           key=peer.path(plane + ".key"), ca=node.path("ca.crt"))
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True
    return refused_after_handshake(sock, timeout=timeout)


def wait_log(node, text, timeout=10):
    wait_for("'%s' in %s's log" % (text, node.name), lambda: text in node.log_text(),
             timeout=timeout)


def test_member_certificate_accepted_as_control(clusters):
    """Positive control for the refusal tests below."""
    c = clusters(2)
    assert not refused(c.nodes[0], c.nodes[1], "control", timeout=2.0)


def test_plaintext_refused_on_control_plane(clusters):
    c = clusters(1)
    n = c.nodes[0]
    for payload in (b"GET / HTTP/1.0\r\n\r\n", b"\x00\x00\x00\x10hello, raft\n"):
        with socket.create_connection(("127.0.0.1", n.cp_port), timeout=5) as s:
            s.sendall(payload)
            data = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except (ConnectionResetError, socket.timeout):
                pass
            # Nothing but (at most) a TLS alert record, then the close.
            assert data == b"" or data[0] == 0x15, data[:64]
    # TLS without a client certificate: refused too.
    sock = tls_connect(n.cp_port, ca=n.path("ca.crt"))
    assert refused_after_handshake(sock)
    # And the REST API port is HTTPS only.
    with socket.create_connection(("127.0.0.1", n.api_port), timeout=5) as s:
        s.sendall(b"GET /v1/cluster HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        assert b"HTTP/1.1 200" not in data and b'"uid"' not in data


def test_certificate_of_another_cluster_refused(clusters):
    a = clusters(2, name="a%d")
    b = clusters(1, name="b%d")
    assert a.nodes[0].cluster()["uid"] != b.nodes[0].cluster()["uid"]
    # B's node 1 has the same node id as A's node 1 and the same plane.
    assert refused(a.nodes[0], b.nodes[0], "control")
    assert refused(a.nodes[1], b.nodes[0], "control")
    wait_log(a.nodes[0], "refused connection from")
    # B's node cannot verify A's nodes either (different CA).
    with pytest.raises(ssl.SSLError):
        tls_connect(a.nodes[0].cp_port, cert=b.nodes[0].path("control.crt"),
                    key=b.nodes[0].path("control.key"), ca=b.nodes[0].path("ca.crt"))


def test_data_plane_certificate_refused_on_control_plane(clusters):
    c = clusters(2)
    assert refused(c.nodes[0], c.nodes[1], "data")
    assert refused(c.nodes[0], c.nodes[1], "api")
    wait_log(c.nodes[0], "refused connection from")


def test_removed_node_refused(clusters):
    c = clusters(3)
    gone = c.nodes[2]
    assert not refused(c.nodes[0], gone, "control", timeout=2.0)
    r = c.nodes[1].api("DELETE", "/v1/nodes/%d" % gone.uid)
    assert r.status == 200, r
    for n in c.nodes[:2]:
        wait_for("node %d gone on %s" % (gone.uid, n.name),
                 lambda n=n: n.api("GET", "/v1/nodes/%d" % gone.uid).status == 404, timeout=10)
        assert [x["uid"] for x in n.api("GET", "/v1/nodes").json()] == [1, 2]
        assert refused(n, gone, "control")
        wait_log(n, "not a current member of the cluster")
    gone.stop()
    # The two that are left still have quorum.
    r = c.nodes[0].api("PUT", "/v1/cluster", body={"description": "after removal"})
    assert r.status == 200, r
    # A second DELETE: the node is no longer there.
    assert c.nodes[0].api("DELETE", "/v1/nodes/%d" % gone.uid).status == 404
    # Still refused after both restart (the state, not memory, says so).
    for n in c.nodes[:2]:
        n.stop()
    for n in c.nodes[:2]:
        n.start(wait=False)
    for n in c.nodes[:2]:
        n.wait_api()
        assert refused(n, gone, "control")


def join_fails(node, token, peer, why):
    res = node.join(token, peer, check=False)
    assert res.returncode != 0, res.stdout
    assert why in res.stderr, res.stderr
    assert not os.path.exists(node.dir), "join left %s behind" % node.dir
    parent = os.path.dirname(node.dir)
    assert [p for p in os.listdir(parent) if "staging" in p] == []
    return res


def test_join_token_refusals(clusters):
    from cluster_node import NodeProcess
    a = clusters(1, name="a%d")
    b = clusters(1, name="b%d")
    n1 = a.nodes[0]
    newcomer = NodeProcess(a.root, "newcomer")
    token = n1.new_token()
    # Wrong secret (last digit changed), malformed, another cluster's token.
    wrong = token[:-1] + ("0" if token[-1] != "0" else "1")
    join_fails(newcomer, wrong, n1, "invalid_token")
    join_fails(newcomer, "SKJ1-abc", n1, "malformed")
    # CA pin mismatch: B's token names B's CA; A's API is refused before any
    # byte is sent, so A never sees a join request.
    before = n1.log_text().count("api: join")
    join_fails(newcomer, b.nodes[0].new_token(), n1, "not certified by the CA the token pins")
    # ... and the other way round.
    join_fails(newcomer, n1.new_token(), b.nodes[0], "not certified by the CA the token pins")
    assert n1.log_text().count("api: join") == before
    # A good token works once.
    first = NodeProcess(a.root, "first")
    first.join(token, n1)
    res = join_fails(newcomer, token, n1, "403")
    assert "already used" in res.stderr or "token_used" in res.stderr
    # Expired.
    short = n1.new_token(ttl=1)
    time.sleep(2.2)
    join_fails(newcomer, short, n1, "token_expired")
    # Tokens are admin-only.
    assert n1.api("POST", "/v1/cluster/join_tokens", auth=None).status == 401
    assert n1.api("POST", "/v1/cluster/join_tokens", body={"ttl": 0}).status == 400
    assert n1.api("POST", "/v1/cluster/join_tokens", body={"ttl": "x"}).status == 400


def ca_key_body(node):
    """The CA key's PEM body, read from the node's store files (the only
    place it is kept)."""
    cp = node.path("cp")
    for name in sorted(os.listdir(cp)):
        with open(os.path.join(cp, name), "rb") as f:
            data = f.read()
        m = re.search(rb"-----BEGIN PRIVATE KEY-----(.*?)-----END PRIVATE KEY-----", data, re.S)
        if m:
            body = re.sub(rb"\\n|\s", b"", m.group(1))
            assert len(body) > 1000
            return body.decode()
    raise AssertionError("no CA key found in %s" % cp)


def test_no_api_response_contains_the_ca_key(clusters):
    c = clusters(2)
    n1, n2 = c.nodes
    body = ca_key_body(n1)
    needles = [body[:48], body[len(body) // 2:len(body) // 2 + 48], body[-48:]]
    responses = []
    for n in c.nodes:
        for method, path, payload in (
                ("GET", "/v1/cluster", None), ("GET", "/v1/nodes", None),
                ("GET", "/v1/nodes/1", None), ("GET", "/v1/nodes/2", None),
                ("GET", "/v1/cluster/certificates", None), ("GET", "/v1/cluster/ca", None),
                ("POST", "/v1/cluster/join_tokens", None),
                ("PUT", "/v1/cluster", {"description": "x"}),
                ("PUT", "/v1/cluster", {"bad": 1}), ("GET", "/v1/cluster/key", None),
                ("GET", "/v1/nope", None), ("POST", "/v1/cluster/join", {"token": "x"})):
            r = n.api(method, path, body=payload)
            responses.append((method, path, r))
    assert any(r.status == 200 for _, _, r in responses)
    for method, path, r in responses:
        flat = r.text.replace("\\n", "").replace("\n", "").replace("\\/", "/")
        for needle in needles:
            assert needle not in flat, "%s %s returned the CA key" % (method, path)
        assert "PRIVATE KEY" not in r.text, (method, path)
    # Not in the logs, nor in any file outside the store.
    for n in c.nodes:
        assert "PRIVATE KEY" not in n.log_text()
        for name in os.listdir(n.dir):
            p = n.path(name)
            if os.path.isfile(p) and not name.endswith(".key"):
                with open(p, "rb") as f:
                    assert needles[0].encode() not in f.read(), p


def test_key_and_state_files_are_private(clusters):
    c = clusters(2)
    for n in c.nodes:
        assert stat.S_IMODE(os.stat(n.dir).st_mode) == 0o700
        for root, dirs, files in os.walk(n.dir):
            for d in dirs:
                assert stat.S_IMODE(os.stat(os.path.join(root, d)).st_mode) == 0o700
            for name in files:
                mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
                if name.endswith(".crt"):
                    assert mode & 0o022 == 0, (name, oct(mode))
                else:  # keys, node.json, members.json, the store (holds the CA key)
                    assert mode == 0o600, (root, name, oct(mode))


def test_capture_of_control_plane_has_no_marker(clusters, tmp_path):
    if not os.access(TCPDUMP, os.X_OK):
        pytest.skip("tcpdump is not installed")
    c = clusters(3)
    pcap = str(tmp_path / "cp.pcap")
    errf = open(str(tmp_path / "tcpdump.err"), "wb")
    ports = " or ".join("tcp port %d" % n.cp_port for n in c.nodes)
    proc = subprocess.Popen([TCPDUMP, "-i", "lo", "--immediate-mode", "-U", "-s", "0",
                             "-w", pcap, ports],
                            stdout=subprocess.DEVNULL, stderr=errf)
    errf.close()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(str(tmp_path / "tcpdump.err"), "rb") as f:
                err = f.read()
            if b"listening on" in err:
                break
            if proc.poll() is not None:
                pytest.skip("tcpdump cannot capture here: %s" % err.decode(errors="replace"))
            time.sleep(0.05)
        else:
            pytest.skip("tcpdump did not start capturing within 10s")
        marker = "MARKER-%s" % uuid.uuid4().hex
        # Write through a follower so that the value also travels as a
        # forwarded request, then as Raft entries to every node.
        leader = c.leader()
        follower = next(n for n in c.nodes if n is not leader)
        r = follower.api("PUT", "/v1/cluster", body={"description": marker})
        assert r.status == 200, r
        for n in c.nodes:
            wait_for("marker on %s" % n.name,
                     lambda n=n: n.cluster()["description"] == marker, timeout=10)
        time.sleep(1.0)  # heartbeats after the write
    finally:
        if proc.poll() is None:
            proc.send_signal(15)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
    with open(pcap, "rb") as f:
        data = f.read()
    packets = subprocess.run([TCPDUMP, "-r", pcap, "-nn"], capture_output=True, text=True,
                             timeout=30).stdout.count("\n")
    print("captured %d control-plane packets, %d bytes" % (packets, len(data)))
    assert packets >= 10, "the capture saw no control-plane traffic"
    assert b"\x17\x03\x03" in data  # TLS application data records were seen
    assert marker.encode() not in data
    assert marker[7:].encode() not in data  # nor its random part alone


def test_token_used_through_a_follower_is_refused_everywhere(clusters):
    from cluster_node import NodeProcess
    c = clusters(2)
    leader = c.leader()
    follower = next(n for n in c.nodes if n is not leader)
    token = leader.new_token()
    NodeProcess(c.root, "x1").join(token, follower)  # served by the follower
    for via in (follower, leader):
        res = join_fails(NodeProcess(c.root, "x2"), token, via, "403")
        assert "token_used" in res.stderr, res.stderr


def test_leader_removing_itself(clusters):
    """DELETE of the leader, served by the leader: it leaves Raft and steps
    down; the next leader finishes the removal."""
    c = clusters(3)
    leader = c.leader()
    r = leader.api("DELETE", "/v1/nodes/%d" % leader.uid)
    assert r.status in (200, 202), r
    others = [n for n in c.nodes if n is not leader]
    for n in others:
        wait_for("node %d gone on %s" % (leader.uid, n.name),
                 lambda n=n: n.api("GET", "/v1/nodes/%d" % leader.uid).status == 404, timeout=20)
    assert refused(others[0], leader, "control")
    r = others[0].api("PUT", "/v1/cluster", body={"description": "two left"})
    assert r.status == 200, r
    leader.stop()
