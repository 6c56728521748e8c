"""TLS session resumption (tls-session-caching), for redis-server and sealkv.

sealkv keeps sessions in its server cache (stateful TLS 1.3 tickets); a
connection that ended in order must leave its session resumable, and a client
presenting a session gets the identity it was verified with."""

import socket

import pytest

from helpers import client_context


def connect(port, ctx, session=None):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    tls = ctx.wrap_socket(sock, server_hostname="localhost", session=session)
    tls.sendall(b"PING\r\n")
    assert tls.recv(64) == b"+PONG\r\n"  # the ticket arrives with the reply
    return tls


def resumed_flags(port, certs, rounds=4, clean_close=False):
    ctx = client_context(certs, certs.client_cert, certs.client_key)
    session, flags = None, []
    for _ in range(rounds):
        tls = connect(port, ctx, session)
        flags.append(tls.session_reused)
        session = tls.session
        if clean_close:
            tls.unwrap()
        tls.close()
    return flags


@pytest.mark.parametrize("clean_close", [False, True], ids=["abrupt-close", "close-notify"])
def test_sessions_resume(start_server, certs, clean_close):
    srv = start_server(plain=False, tls=True)
    assert resumed_flags(srv.tls_port, certs, clean_close=clean_close) == [False, True, True, True]


@pytest.mark.sealkv_only
def test_session_caching_off(start_server, certs):
    """Offered sessions are ignored: a full handshake follows. (redis-server
    7.0.15 instead fails such a handshake with an internal_error alert.)"""
    srv = start_server(plain=False, tls=True, directives=[("tls-session-caching", "no")])
    assert resumed_flags(srv.tls_port, certs) == [False, False, False, False]


def test_sessions_do_not_survive_a_new_context(start_server, certs):
    """A reload builds a new context: sessions of the old one start over."""
    srv = start_server(plain=False, tls=True)
    ctx = client_context(certs, certs.client_cert, certs.client_key)
    first = connect(srv.tls_port, ctx)
    session = first.session
    r = srv.client("tls")
    assert r.execute_command("CONFIG", "SET", "tls-cert-file", certs.server2_cert,
                             "tls-key-file", certs.server2_key) == "OK"
    again = connect(srv.tls_port, ctx, session)
    assert again.session_reused is False
    first.close()
    again.close()
    r.close()
