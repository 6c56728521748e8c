"""sealkv-node processes for the cluster suites: create / join / run, the REST
API over HTTPS with the cluster CA, and bounded waits.

Every process started here is recorded in NodeProcess.live and stopped by
pid (SIGTERM, then SIGKILL) by the fixtures, or at exit as a last resort.
Only loopback addresses are used.
"""

import atexit
import base64
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import time

import pytest

from conftest import TARGET
from helpers import free_port

PASSWORD = "correct horse battery staple"
ADMIN = "admin"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def node_binary():
    return os.path.join(TARGET.bin_dir, "sealkv-node")


def skip_without_node():
    if TARGET.is_redis:
        pytest.skip("sealkv-node has no redis-server counterpart")
    if not os.access(node_binary(), os.X_OK):
        pytest.skip("bin/sealkv-node is not built")


def wait_for(what, fn, timeout=20.0, interval=0.1):
    """Calls fn until it returns a truthy value; fails after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except (OSError, ssl.SSLError, http.client.HTTPException, ValueError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %.0fs waiting for %s (last: %r)" % (timeout, what, last))


@atexit.register
def _stop_leftovers():
    for node in list(NodeProcess.live):
        node.kill()


class ApiResponse:
    def __init__(self, status, body, content_type):
        self.status = status
        self.text = body.decode("utf-8", "replace")
        self.content_type = content_type

    def json(self):
        return json.loads(self.text)

    def __repr__(self):
        return "<%d %s>" % (self.status, self.text[:300])


class NodeProcess:
    """One node: its directory, ports, process and log."""

    live = []

    def __init__(self, root, name):
        self.name = name
        self.dir = os.path.join(root, name)
        self.log_path = os.path.join(root, name + ".log")
        self.cp_port = free_port()
        self.api_port = free_port()
        self.proc = None
        self.uid = None
        self.problems = []

    # -- addresses ---------------------------------------------------------

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.cp_port

    @property
    def api_addr(self):
        return "127.0.0.1:%d" % self.api_port

    def path(self, name):
        return os.path.join(self.dir, name)

    # -- create / join -----------------------------------------------------

    def create(self, cluster_name="test-cluster", password=PASSWORD, check=True):
        pwfile = self.dir + ".password"
        with open(pwfile, "w") as f:
            f.write(password + "\n")
        res = run_node(["create", "--name", cluster_name, "--dir", self.dir, "--addr", self.addr,
                        "--api-addr", self.api_addr, "--admin-password-file", pwfile])
        if check:
            assert res.returncode == 0, "create failed: %s" % res.stderr
            self.uid = 1
        return res

    def join(self, token, peer, check=True, timeout=60):
        res = run_node(["join", "--token", token, "--dir", self.dir, "--addr", self.addr,
                        "--api-addr", self.api_addr, peer.api_addr], timeout=timeout)
        if check:
            assert res.returncode == 0, "join failed: %s" % res.stderr
            self.uid = json.load(open(self.path("node.json")))["node_uid"]
        return res

    # -- process -----------------------------------------------------------

    def start(self, wait=True, extra=()):
        logf = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [node_binary(), "run", "--dir", self.dir, "--logfile", self.log_path] +
                list(extra), stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            logf.close()
        NodeProcess.live.append(self)
        if wait:
            self.wait_api()
        return self

    def wait_api(self, timeout=START_TIMEOUT):
        """Until the REST API answers with the cluster state (200)."""
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("%s exited with %d\n%s" % (self.name, self.proc.returncode,
                                                                self.log_tail()))
            return self.api("GET", "/v1/cluster", timeout=2).status == 200
        wait_for("%s's REST API" % self.name, ready, timeout=timeout)

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self):
        """SIGTERM and wait; records anything abnormal in self.problems."""
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            if self.proc.returncode not in (0, -signal.SIGKILL):
                self.problems.append("%s exited by itself with %d" % (self.name,
                                                                      self.proc.returncode))
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.problems.append("%s ignored SIGTERM: killed" % self.name)
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
            else:
                if self.proc.returncode != 0:
                    self.problems.append("%s exited with %d on SIGTERM" % (
                        self.name, self.proc.returncode))
        self._forget()

    def kill(self):
        """SIGKILL (the crash case); no problem recorded."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
        self._forget()

    def _forget(self):
        if self in NodeProcess.live:
            NodeProcess.live.remove(self)
        self.proc = None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "\n".join("  | " + ln for ln in self.log_text().splitlines()[-n:])

    def health(self):
        found = list(self.problems)
        text = self.log_text()
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if mark in text:
                found.append("%s: sanitizer report in its log (%s)" % (self.name, mark))
        return found

    # -- REST API ----------------------------------------------------------

    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=self.path("ca.crt"))
        return ctx

    def api(self, method, path, body=None, auth=(ADMIN, PASSWORD), timeout=15, raw_body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.api_port, timeout=timeout,
                                           context=self.ssl_context())
        headers = {}
        if auth is not None:
            cred = base64.b64encode(("%s:%s" % auth).encode()).decode()
            headers["Authorization"] = "Basic " + cred
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            return ApiResponse(resp.status, resp.read(), resp.getheader("Content-Type"))
        finally:
            conn.close()

    def cluster(self):
        r = self.api("GET", "/v1/cluster")
        assert r.status == 200, r
        return r.json()

    def new_token(self, ttl=None):
        r = self.api("POST", "/v1/cluster/join_tokens", body={"ttl": ttl} if ttl else None)
        assert r.status == 200, r
        return r.json()["token"]


def run_node(args, timeout=60):
    return subprocess.run([node_binary()] + args, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class Cluster:
    """Nodes of one cluster; node 0 created it."""

    def __init__(self, root, name="test-cluster"):
        self.root = root
        self.name = name
        self.nodes = []

    def create(self):
        n = NodeProcess(self.root, "%s-n1" % self.name)
        n.create(self.name)
        n.start()
        self.nodes.append(n)
        return n

    def join(self, via=None):
        via = via or self.running()[0]
        n = NodeProcess(self.root, "%s-n%d" % (self.name, len(self.nodes) + 1))
        n.join(via.new_token(), via)
        n.start(wait=False)
        self.nodes.append(n)
        # Up once it has the state (the leader adds it as a voter first).
        n.wait_api(timeout=30)
        self.wait_members()
        return n

    def running(self):
        return [n for n in self.nodes if n.is_running()]

    def wait_members(self, timeout=30):
        """Every running node lists every node as active and agrees on a leader."""
        want = sorted(n.uid for n in self.nodes)

        def agreed():
            leaders = set()
            for n in self.running():
                r = n.api("GET", "/v1/nodes", timeout=3)
                if r.status != 200:
                    return False
                nodes = r.json()
                if sorted(x["uid"] for x in nodes) != want:
                    return False
                if any(x["status"] != "active" for x in nodes):
                    return False
                leaders.add(n.cluster()["leader"])
            return len(leaders) == 1 and None not in leaders
        wait_for("cluster membership %r" % want, agreed, timeout=timeout, interval=0.2)

    def leader(self, timeout=20):
        """The node every running node names as leader."""
        def find():
            seen = set()
            for n in self.running():
                seen.add(n.cluster()["leader"])
            if len(seen) == 1:
                uid = seen.pop()
                for n in self.running():
                    if n.uid == uid:
                        return n
            return None
        return wait_for("one leader", find, timeout=timeout, interval=0.2)

    def stop_all(self):
        for n in self.nodes:
            n.stop()

    def kill_all(self):
        for n in self.nodes:
            n.kill()

    def health(self):
        return [p for n in self.nodes for p in n.health()]

    def logs(self):
        return "\n".join("%s log:\n%s" % (n.name, n.log_tail(60)) for n in self.nodes)


@pytest.fixture
def clusters(tmp_path):
    """Factory of clusters; every node is stopped by pid afterwards."""
    skip_without_node()
    made = []

    def make(size=3, name="c%d"):
        c = Cluster(str(tmp_path), name % (len(made) + 1) if "%d" in name else name)
        made.append(c)
        c.create()
        for _ in range(size - 1):
            c.join()
        return c
    try:
        yield make
    finally:
        for c in made:
            c.stop_all()
        bad = [p for c in made for p in c.health()]
        if bad:
            pytest.fail("node problems: %s\n%s" % ("; ".join(bad),
                                                    "\n".join(c.logs() for c in made)))


def tls_connect(port, cert=None, key=None, ca=None, timeout=5.0):
    """A TLS client to a control-plane port; returns the SSLSocket after the
    handshake (the server may still refuse our certificate afterwards)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if ca:
        ctx.load_verify_locations(ca)
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(sock)


def refused_after_handshake(sock, timeout=5.0):
    """True when the server closes the link (alert or EOF) instead of talking.
    A peer that is accepted waits for our HELLO: reading then times out."""
    sock.settimeout(timeout)
    try:
        data = sock.recv(1024)
        return data == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    finally:
        sock.close()
