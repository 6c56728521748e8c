"""sealkv-admin against a small fake REST API (python's http.server over TLS
with the suite's certificates), so the CLI is tested without sealkv-node:
tables, JSON errors, Basic credentials, the one redirect to the leader, CA
verification, environment fallbacks, and that the password never shows."""
import base64
import http.server
import json
import os
import ssl
import subprocess
import threading

import pytest

pytestmark = pytest.mark.sealkv_only

USER, PASSWORD = "admin", "Pa55:w0rd!"
NODES = [
    {"uid": 1, "addr": "127.0.0.1:3342", "api_addr": "127.0.0.1:9443", "status": "active",
     "role": "leader", "certificates": {"control": {"not_after": "2027-01-01T00:00:00Z"}}},
    {"uid": 3, "addr": "127.0.0.1:3343", "api_addr": "127.0.0.1:9444", "status": "active",
     "role": "follower"},
]
CLUSTER = {"name": "demo", "uid": "c0ffee", "leader": 1, "description": "", "nodes": 2,
           "settings": {"min_data_TLS_version": "1.2"}}


class FakeApi:
    """One HTTPS server thread. redirect_to: answer every request with a 307
    to that base URL (a follower); else serve the routes."""

    def __init__(self, certs, redirect_to=None):
        self.requests = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, obj=None, headers=()):
                body = json.dumps(obj).encode() if obj is not None else b""
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                if body:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def route(self):
                api.requests.append((self.command, self.path, self.headers.get("Authorization")))
                if redirect_to:
                    return self.reply(307, None, [("Location", redirect_to + self.path)])
                want = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
                if self.headers.get("Authorization") != want:
                    return self.reply(401, {"error_code": "unauthorized",
                                            "description": "wrong user name or password"})
                if self.command == "GET" and self.path == "/v1/cluster":
                    return self.reply(200, CLUSTER)
                if self.command == "GET" and self.path == "/v1/nodes":
                    return self.reply(200, NODES)
                if self.command == "DELETE" and self.path == "/v1/nodes/3":
                    return self.reply(200, {"uid": 3, "removed": True})
                if self.command == "DELETE" and self.path.startswith("/v1/nodes/"):
                    return self.reply(404, {"error_code": "node_not_found",
                                            "description": "no node with this uid"})
                return self.reply(404, {"error_code": "not_found",
                                        "description": "no such resource"})

            do_GET = do_DELETE = do_PUT = do_POST = route

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs.server_cert, certs.server_key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def api(certs):
    a = FakeApi(certs)
    yield a
    a.close()


@pytest.fixture
def pwfile(tmp_path):
    p = tmp_path / "pw"
    p.write_text(PASSWORD + "\n")
    os.chmod(p, 0o600)
    return str(p)


@pytest.fixture
def admin(sealkv_bin, certs, pwfile):
    exe = os.path.join(sealkv_bin, "sealkv-admin")
    if not os.access(exe, os.X_OK):
        pytest.fail("sealkv-admin not built: %s" % exe)

    def run(port, *args, cacert=None, password_file=pwfile, env=None, opts=True, stdin=None):
        argv = [exe]
        if opts:
            argv += ["--host", "127.0.0.1", "--port", str(port),
                     "--cacert", cacert or certs.ca_cert, "--user", USER]
            if password_file:
                argv += ["--password-file", password_file]
        argv += list(args)
        e = {k: v for k, v in os.environ.items() if not k.startswith("SEALKV_ADMIN_")}
        e.update(env or {})
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=e,
                           input=stdin if stdin is not None else "")
        assert PASSWORD not in p.stdout and PASSWORD not in p.stderr
        return p
    return run


def test_status_prints_cluster_and_nodes_table(admin, api):
    p = admin(api.port, "status")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert "  name: demo" in lines
    assert "  leader: 1" in lines
    header = next(i for i, l in enumerate(lines) if l.startswith("UID"))
    assert lines[header].split() == ["UID", "ADDR", "API_ADDR", "STATUS", "ROLE"]
    assert lines[header + 1].split() == ["1", "127.0.0.1:3342", "127.0.0.1:9443", "active",
                                         "leader"]
    assert lines[header + 2].split()[0] == "3"
    assert [r[:2] for r in api.requests] == [("GET", "/v1/cluster"), ("GET", "/v1/nodes")]


def test_nodes_and_cluster_info_from_environment(admin, api, certs):
    env = {"SEALKV_ADMIN_HOST": "localhost", "SEALKV_ADMIN_PORT": str(api.port),
           "SEALKV_ADMIN_CACERT": certs.ca_cert, "SEALKV_ADMIN_USER": USER,
           "SEALKV_ADMIN_PASSWORD": PASSWORD}
    p = admin(api.port, "nodes", env=env, opts=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0].split()[0] == "UID"
    assert len(p.stdout.splitlines()) == 3
    p = admin(api.port, "cluster", "info", env=env, opts=False)
    assert p.returncode == 0, p.stderr
    assert "name: demo" in p.stdout.splitlines()
    assert "  min_data_TLS_version: 1.2" in p.stdout.splitlines()
    p = admin(api.port, "--json", "cluster", "info", env=env, opts=False)
    assert json.loads(p.stdout) == CLUSTER


def test_node_remove(admin, api):
    p = admin(api.port, "node", "remove", "3")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "node 3 removed"
    p = admin(api.port, "node", "remove", "9")
    assert p.returncode == 1
    assert p.stderr.strip() == "error: no node with this uid (node_not_found)"
    assert [r[:2] for r in api.requests] == [("DELETE", "/v1/nodes/3"), ("DELETE", "/v1/nodes/9")]


def test_password_from_stdin(admin, api):
    p = admin(api.port, "nodes", password_file="-", stdin=PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0].split()[0] == "UID"


def test_wrong_password_is_a_json_error(admin, api, tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("nope\n")
    p = admin(api.port, "nodes", password_file=str(bad))
    assert p.returncode == 1
    assert p.stderr.strip() == "error: wrong user name or password (unauthorized)"
    assert "nope" not in p.stdout + p.stderr


def test_follows_one_redirect_to_the_leader(admin, api, certs):
    follower = FakeApi(certs, redirect_to="https://127.0.0.1:%d" % api.port)
    loop = FakeApi(certs, redirect_to="https://127.0.0.1:%d" % follower.port)
    try:
        p = admin(follower.port, "nodes")
        assert p.returncode == 0, p.stderr
        assert [r[:2] for r in follower.requests] == [("GET", "/v1/nodes")]
        assert [r[:2] for r in api.requests] == [("GET", "/v1/nodes")]
        # The credentials went along (same CA verified the leader).
        assert api.requests[0][2].startswith("Basic ")
        # A second redirect is not followed.
        p = admin(loop.port, "nodes")
        assert p.returncode == 1
        assert "307" in p.stderr
    finally:
        follower.close()
        loop.close()


def test_foreign_ca_is_refused_before_sending(admin, api, certs):
    p = admin(api.port, "status", cacert=certs.foreign_ca_cert)
    assert p.returncode == 1
    assert p.stderr.startswith("error: server certificate rejected")
    assert api.requests == []


def test_usage_errors(admin, api, sealkv_bin, tmp_path):
    assert admin(api.port, "node", "remove", "x1").returncode == 2
    assert admin(api.port, "node", "remove", "-3").returncode == 2
    assert admin(api.port, "frobnicate").returncode == 2
    assert admin(api.port, "nodes", password_file=str(tmp_path / "missing")).returncode == 2
    exe = os.path.join(sealkv_bin, "sealkv-admin")
    p = subprocess.run([exe, "--port", "1", "nodes"], capture_output=True, text=True, timeout=30,
                       env={k: v for k, v in os.environ.items()
                            if not k.startswith("SEALKV_ADMIN_")})
    assert p.returncode == 2 and "CA certificate is required" in p.stderr
    p = subprocess.run([exe, "--port", "99999", "nodes"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2
    assert api.requests == []


def test_server_down(admin, certs):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = admin(port, "status")
    assert p.returncode == 1
    assert p.stderr.startswith("error: cannot connect")
