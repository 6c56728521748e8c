"""Limits: proto-max-bulk-len, unauthenticated request sizes, the query and
output buffer limits, maxclients and the idle timeout. Each limit drops only
the offending client; the server keeps serving the others."""

import socket
import ssl
import time

import pytest

from helpers import report_health, ConnClosed, RawConn, client_context, encode_command, wait_until


def expect_protocol_error(conn, reason):
    line = conn.readline()
    assert line == b"-ERR Protocol error: " + reason.encode()
    assert conn.closed_by_peer(timeout=5), "connection still open after a protocol error"


@pytest.fixture(scope="module")
def limits_server(target, certs, tmp_path_factory):
    from helpers import ServerProcess
    srv = ServerProcess(target, str(tmp_path_factory.mktemp("limits-server")), certs=certs,
                        plain=True, tls=True, name="limits",
                        directives=[("requirepass", "pw"),
                                    ("client-output-buffer-limit", "normal", "256kb", "0",
                                     "0")])
    srv.start()
    yield srv
    srv.stop()
    report_health([srv])


def authed(srv, mode, rcvbuf=None):
    if rcvbuf is None:
        conn = srv.raw(mode)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(5)
        sock.connect(("127.0.0.1", srv.tls_port if mode == "tls" else srv.port))
        if mode == "tls":
            sock = client_context(srv.certs, srv.certs.client_cert,
                                  srv.certs.client_key).wrap_socket(
                sock, server_hostname="localhost")
        conn = RawConn(sock, 5)
    assert conn.cmd("AUTH", "pw") == b"+OK"
    return conn


def _still_serves(srv, mode):
    conn = authed(srv, mode)
    try:
        assert conn.cmd("PING") == b"+PONG"
    finally:
        conn.close()


@pytest.mark.parametrize("payload,reason", [
    (b"*20\r\n", "unauthenticated multibulk length"),
    (b"*1\r\n$20000\r\n", "unauthenticated bulk length"),
], ids=["multibulk", "bulk"])
def test_unauthenticated_limits(limits_server, mode, payload, reason):
    conn = limits_server.raw(mode)
    try:
        conn.send(payload)
        expect_protocol_error(conn, reason)
    finally:
        conn.close()
    # Small requests from unauthenticated clients still get NOAUTH, not closed.
    conn = limits_server.raw(mode)
    try:
        conn.send(b"*10\r\n$5\r\nHELLO\r\n")  # 10 args is under the limit: waits
        conn.send(b"".join(b"$1\r\nx\r\n" for _ in range(9)))
        line = conn.readline()
        assert line.startswith(b"-")
        assert conn.cmd("GET", "x") == b"-NOAUTH Authentication required."
    finally:
        conn.close()
    _still_serves(limits_server, mode)


def set_limits(srv, mode, **limits):
    conn = authed(srv, mode)
    try:
        for name, value in limits.items():
            assert conn.cmd("CONFIG", "SET", name.replace("_", "-"), value) == b"+OK"
    finally:
        conn.close()


def test_bulk_over_proto_max_bulk_len(limits_server, mode):
    set_limits(limits_server, mode, proto_max_bulk_len="1mb",
               client_query_buffer_limit="1gb")
    conn = authed(limits_server, mode)
    try:
        # 1 MiB exactly is allowed ...
        assert conn.cmd("SET", "onemb", "x" * (1024 * 1024)) == b"+OK"
        assert conn.cmd("STRLEN", "onemb") == 1024 * 1024
        assert conn.cmd("DEL", "onemb") == 1
        # ... one byte more is a protocol error.
        conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (1024 * 1024 + 1))
        expect_protocol_error(conn, "invalid bulk length")
    finally:
        conn.close()
    _still_serves(limits_server, mode)


def test_query_buffer_limit(limits_server, mode):
    """A request whose pending bytes pass client-query-buffer-limit (here a
    2 MiB bulk, legal under proto-max-bulk-len, of which 1.5 MiB arrive) gets
    the client disconnected, without a reply; the command never runs."""
    set_limits(limits_server, mode, proto_max_bulk_len="512mb",
               client_query_buffer_limit="1mb")
    conn = authed(limits_server, mode)
    try:
        conn.send(b"*3\r\n$3\r\nSET\r\n$2\r\nqb\r\n$%d\r\n" % (2 * 1024 * 1024))
        chunk = b"y" * 65536
        closed = False
        for _ in range(24):  # 1.5 MiB of the 2 MiB announced
            try:
                conn.send(chunk)
            except (BrokenPipeError, ConnectionResetError, OSError):
                closed = True
                break
        assert closed or conn.closed_by_peer(timeout=5)
    finally:
        conn.close()
    c = authed(limits_server, mode)
    try:
        assert c.cmd("EXISTS", "qb") == 0
    finally:
        c.close()


def test_output_buffer_limit(limits_server, mode):
    setup = authed(limits_server, mode)
    try:
        assert setup.cmd("SET", "big", "z" * 100000) == b"+OK"
    finally:
        setup.close()
    # A reader that asks for ~20 MB of replies and reads none of them.
    conn = authed(limits_server, mode, rcvbuf=4096)
    try:
        try:
            conn.send(encode_command("GET", "big") * 200)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        time.sleep(0.5)
        received = 0
        deadline = time.monotonic() + 10
        closed = False
        while time.monotonic() < deadline:
            try:
                data = conn.sock.recv(1 << 20)
            except socket.timeout:
                break
            except (ConnectionResetError, OSError):
                closed = True
                break
            if not data:
                closed = True
                break
            received += len(data)
        assert closed, "slow reader not disconnected (received %d bytes)" % received
        assert received < 200 * 100000
    finally:
        conn.close()
    _still_serves(limits_server, mode)


def test_maxclients(start_server):
    srv = start_server(plain=True, tls=True, directives=[("maxclients", "3")])
    held = [srv.raw("plain"), srv.raw("tls"), srv.raw("plain")]
    try:
        for c in held:
            assert c.cmd("PING") == b"+PONG"
        extra = srv.raw("plain")
        try:
            extra.send(b"PING\r\n")
            assert extra.readline() == b"-ERR max number of clients reached"
            assert extra.closed_by_peer(timeout=5)
        finally:
            extra.close()
        # Over TLS redis 7.0 drops the connection during or right after the
        # handshake (nothing can be written before it); the error line is allowed.
        try:
            extra = srv.raw("tls")
            try:
                extra.send(b"PING\r\n")
                line = extra.readline()
                assert line == b"-ERR max number of clients reached"
                assert extra.closed_by_peer(timeout=5)
            finally:
                extra.close()
        except (ConnClosed, ssl.SSLError, OSError):
            pass
        assert held[0].cmd("PING") == b"+PONG"
        held.pop().close()
        # A slot is free again once the server noticed the close.
        def one_more():
            c = srv.raw("tls")
            try:
                return c.cmd("PING") == b"+PONG"
            except Exception:
                return False
            finally:
                c.close()
        assert wait_until(one_more, timeout=5, interval=0.1)
    finally:
        for c in held:
            c.close()


def test_idle_timeout(start_server):
    srv = start_server(plain=True, tls=True, directives=[("timeout", "1")])
    # Pub/Sub clients are exempt from the idle timeout.
    sub = srv.raw("plain")
    idle = {m: srv.raw(m) for m in ("plain", "tls")}
    try:
        assert sub.cmd("SUBSCRIBE", "ch") == [b"subscribe", b"ch", 1]
        for c in idle.values():
            assert c.cmd("PING") == b"+PONG"
        for mode, c in idle.items():
            assert c.closed_by_peer(timeout=6), "%s client not dropped after timeout" % mode
        time.sleep(0.5)
        assert sub.cmd("PING") == [b"pong", b""]
    finally:
        sub.close()
        for c in idle.values():
            c.close()
