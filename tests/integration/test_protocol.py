"""RESP protocol handling on raw sockets (plain and TLS): protocol errors close
the connection after one exact error line; limits disconnect clients; the
server keeps serving everyone else."""

import time

import pytest

from helpers import encode_command

PROTO_ERRORS = [
    ("multibulk-not-number", b"*abc\r\n", "invalid multibulk length"),
    ("multibulk-too-long", b"*3000000000\r\n", "invalid multibulk length"),
    ("bulk-negative", b"*1\r\n$-5\r\n", "invalid bulk length"),
    ("bulk-not-number", b"*1\r\n$abc\r\n", "invalid bulk length"),
    ("bulk-over-512mb", b"*1\r\n$600000000\r\n", "invalid bulk length"),
    ("expected-dollar", b"*1\r\nfoo\r\n", "expected '$', got 'f'"),
    ("inline-unbalanced-double", b'SET "a b\r\n', "unbalanced quotes in request"),
    ("inline-unbalanced-single", b"SET 'a\r\n", "unbalanced quotes in request"),
    ("inline-quote-then-char", b'SET "a"b\r\n', "unbalanced quotes in request"),
    ("inline-too-big", b"x" * (70 * 1024), "too big inline request"),
]


def expect_protocol_error(conn, reason):
    line = conn.readline()
    assert line == b"-ERR Protocol error: " + reason.encode()
    assert conn.closed_by_peer(timeout=5), "connection still open after a protocol error"


@pytest.mark.parametrize("payload,reason", [p[1:] for p in PROTO_ERRORS],
                         ids=[p[0] for p in PROTO_ERRORS])
def test_protocol_error_closes(live_server, mode, payload, reason):
    conn = live_server.raw(mode)
    try:
        # A good command first: the error must not depend on a fresh connection.
        assert conn.cmd("PING") == b"+PONG"
        conn.send(payload)
        expect_protocol_error(conn, reason)
    finally:
        conn.close()
    assert live_server.ping()


def test_inline_and_empty_lines(live_server, mode):
    conn = live_server.raw(mode)
    try:
        conn.send(b"\r\n  \r\nPING\r\n")
        assert conn.read_reply() == b"+PONG"
        conn.send(b"PING\nECHO \"a b\"\r\nECHO 'c d'\r\n")  # bare LF, quoting
        assert conn.read_reply() == b"+PONG"
        assert conn.read_reply() == b"a b"
        assert conn.read_reply() == b"c d"
        conn.send(b'SET "k\\x41" "v\\n"\r\nGET kA\r\n')
        assert conn.read_reply() == b"+OK"
        assert conn.read_reply() == b"v\n"
        conn.send(b"*0\r\n*-1\r\nPING\r\n")  # empty and null multibulk are ignored
        assert conn.read_reply() == b"+PONG"
        assert conn.cmd("DEL", "kA") == 1
    finally:
        conn.close()


def test_split_and_pipelined_requests(live_server, mode):
    conn = live_server.raw(mode)
    try:
        data = encode_command("SET", "split", "x" * 1000) + encode_command("GET", "split")
        for i in range(0, len(data), 7):  # byte dribble across many reads
            conn.send(data[i:i + 7])
            time.sleep(0.001 if i % 140 == 0 else 0)
        assert conn.read_reply() == b"+OK"
        assert conn.read_reply() == b"x" * 1000
        conn.send(b"".join(encode_command("INCR", "pipe") for _ in range(1000)))
        assert [conn.read_reply() for _ in range(1000)] == list(range(1, 1001))
        assert conn.cmd("DEL", "split", "pipe") == 2
    finally:
        conn.close()
