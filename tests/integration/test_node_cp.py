"""sealkv-node's control plane with one configuration store per process
(tests/node/cp_driver.c): a three-node cluster over mTLS on loopback, the
leader SIGKILLed mid-life, a new leader elected, committed writes kept, the
killed node restarted from its directory and caught up.

Every wait is bounded; the measured election time is printed, not asserted.
SEALKV_CP_ELECTION_MS sets the election timeout (default 500 ms here; the
product default is 1000 ms).
"""

import json
import os
import select
import signal
import subprocess
import time

import pytest

from helpers import free_port, wait_until

pytestmark = pytest.mark.sealkv_only

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER = "3c9f0e2a-cp-test"


def driver_path():
    env = os.environ.get("SEALKV_CP_DRIVER")
    if env:
        return env
    bin_dir = os.environ.get("SEALKV_BIN", os.path.join(REPO, "bin"))
    build = "build-asan" if os.path.basename(bin_dir.rstrip("/")).endswith("-asan") else "build"
    return os.path.join(REPO, build, "tests", "cp_driver")


class Node:
    def __init__(self, nid, tmp, addr, certdir):
        self.nid, self.addr = nid, addr
        self.dir = os.path.join(tmp, "n%d" % nid)
        self.log = open(os.path.join(tmp, "n%d.log" % nid), "ab")
        self.proc = subprocess.Popen(
            [driver_path(), "run", str(nid), self.dir, addr, CLUSTER, certdir,
             os.environ.get("SEALKV_CP_ELECTION_MS", "500")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        line = self.read(10)
        assert line.startswith("ready "), line

    def read(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "node %d did not answer in %ss" % (self.nid, timeout)
        line = self.proc.stdout.readline().decode().strip()
        assert line, "node %d exited" % self.nid
        return line

    def cmd(self, text, timeout=10):
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()
        return self.read(timeout)

    def rc(self, text, timeout=30):
        reply = self.cmd(text, timeout)
        assert reply.split()[0] in ("ok", "done"), reply
        return int(reply.split()[1])

    def state(self):
        return json.loads(self.cmd("state")[len("state "):])

    def is_leader(self):
        return self.cmd("info").split()[1] == "leader"

    def stop(self, sig=None):
        """Closes stdin (the driver closes its store and exits) or sends sig;
        fails on a sanitizer report in the node's log."""
        if self.proc.poll() is None:
            if sig is None:
                self.proc.stdin.close()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
        with open(self.log.name, "rb") as f:
            text = f.read().decode(errors="replace")
        assert "AddressSanitizer" not in text and "runtime error" not in text, text[-3000:]


@pytest.fixture
def cluster(tmp_path):
    tmp = str(tmp_path)
    certdir = os.path.join(tmp, "certs")
    subprocess.run([driver_path(), "gencerts", certdir, CLUSTER, "3"], check=True, timeout=60)
    addrs = {i: "127.0.0.1:%d" % free_port() for i in (1, 2, 3)}
    nodes = {}
    ctx = {"tmp": tmp, "certdir": certdir, "addrs": addrs, "nodes": nodes}
    try:
        for i in (1, 2, 3):
            nodes[i] = Node(i, tmp, addrs[i], certdir)
        yield ctx
    finally:
        for n in nodes.values():
            n.stop()


def leader(nodes):
    for i, n in nodes.items():
        if n.proc.poll() is None and n.is_leader():
            return i
    return 0


def test_leader_sigkill_failover(cluster):
    nodes, addrs = cluster["nodes"], cluster["addrs"]
    assert nodes[1].rc('bootstrap {"cluster":{"name":"cp"}}') == 0
    assert wait_until(lambda: nodes[1].is_leader(), 10)
    assert nodes[1].rc("add 2 %s" % addrs[2]) == 0
    assert nodes[2].rc("add 3 %s" % addrs[3]) == 0  # forwarded to the leader
    for k in range(10):
        who = nodes[1 + k % 3]
        assert who.rc('propose {"op":"set","path":["k","%d"],"value":%d}' % (k, k)) == 0
    want = {"cluster": {"name": "cp"}, "k": {str(k): k for k in range(10)}}
    assert wait_until(lambda: all(n.state() == want for n in nodes.values()), 10)

    old = leader(nodes)
    assert old
    nodes[old].stop(signal.SIGKILL)
    t0 = time.monotonic()
    rest = {i: n for i, n in nodes.items() if i != old}
    new = wait_until(lambda: leader(rest), 15)
    assert new and new != old
    print("new leader %d elected %.2fs after SIGKILL of %d" % (new, time.monotonic() - t0, old))
    # Committed writes survive; the cluster still takes writes.
    assert nodes[new].state() == want
    assert nodes[new].rc('propose {"op":"set","path":["after"],"value":1}') == 0
    other = [i for i in rest if i != new][0]
    assert nodes[other].rc('propose {"op":"cas","path":["after"],"expect":1,"value":2}') == 0

    # The killed node comes back from its directory and catches up.
    nodes[old] = Node(old, cluster["tmp"], addrs[old], cluster["certdir"])
    want["after"] = 2
    assert wait_until(lambda: nodes[old].state() == want, 15), nodes[old].state()


def test_no_quorum_bounded(cluster):
    nodes, addrs = cluster["nodes"], cluster["addrs"]
    assert nodes[1].rc("bootstrap {}") == 0
    assert wait_until(lambda: nodes[1].is_leader(), 10)
    assert nodes[1].rc("add 2 %s" % addrs[2]) == 0
    assert nodes[1].rc("add 3 %s" % addrs[3]) == 0
    lead = leader(nodes)
    for i in list(nodes):
        if i != lead:
            nodes[i].stop(signal.SIGKILL)
    # Not acknowledged: SK_ENOQUORUM (-5013) or SK_ENOTLEADER (-5012), in bounded time.
    t0 = time.monotonic()
    rc = nodes[lead].rc('propose {"op":"set","path":["x"],"value":1}', timeout=15)
    assert rc in (-5013, -5012)
    print("write without quorum failed with %d after %.2fs" % (rc, time.monotonic() - t0))
