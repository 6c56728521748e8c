"""A storm of new TLS handshakes, finished or stalled, must not starve the
clients already connected (the listener accepts a bounded number of
connections per event-loop iteration and stalled handshakes time out)."""

import socket
import threading
import time

import pytest

from helpers import client_context


def storm(port, certs, stop, counts):
    """Full mTLS handshakes in a loop until stop is set (bounded by it)."""
    ctx = client_context(certs, certs.client_cert, certs.client_key)
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                with ctx.wrap_socket(sock, server_hostname="localhost"):
                    counts["ok"] += 1
        except OSError:
            counts["err"] += 1


def test_established_client_keeps_working_during_handshake_storm(start_server, certs, target):
    # A small bound makes the accept path yield often (sealkv's directive).
    extra = [] if target.is_redis else [("tls-max-handshakes-per-loop", "4")]
    srv = start_server(plain=False, tls=True, directives=extra)
    r = srv.client("tls")
    stop = threading.Event()
    counts = {"ok": 0, "err": 0}
    workers = [threading.Thread(target=storm, args=(srv.tls_port, certs, stop, counts))
               for _ in range(6)]
    stalled = []
    try:
        # Half-open handshakes: TCP connections that never send a ClientHello.
        for _ in range(200):
            stalled.append(socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5))
        for w in workers:
            w.start()
        deadline = time.monotonic() + 3
        served = 0
        while time.monotonic() < deadline:
            assert r.execute_command("INCR", "storm:counter") == served + 1
            served += 1
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
        for s in stalled:
            s.close()
    assert served > 0
    assert counts["ok"] > 0, counts
    if not target.is_redis:
        # In TLS 1.3 a client is done before the server has read its
        # Finished; a client that closes at once can be counted as failed.
        info = r.execute_command("INFO", "tls")
        ok = int(info.split("tls_handshakes_ok:")[1].split()[0])
        failed = int(info.split("tls_handshakes_failed:")[1].split()[0])
        assert ok > 0 and ok + failed >= counts["ok"], (ok, failed, counts)
    r.close()


@pytest.mark.sealkv_only
def test_stalled_handshakes_time_out(start_server, certs):
    srv = start_server(plain=False, tls=True, directives=[("tls-handshake-timeout", "300")])
    stalled = [socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5)
               for _ in range(20)]
    try:
        r = srv.client("tls")
        deadline = time.monotonic() + 10
        timeouts = 0
        while time.monotonic() < deadline:
            info = r.execute_command("INFO", "tls")
            timeouts = int(info.split("tls_fail_timeout:")[1].split()[0])
            if timeouts >= 20:
                break
            time.sleep(0.1)
        assert timeouts >= 20
        # The server closed them: a read sees EOF.
        stalled[0].settimeout(5)
        assert stalled[0].recv(16) == b""
        r.close()
    finally:
        for s in stalled:
            s.close()
