"""Transactions: MULTI EXEC DISCARD WATCH UNWATCH, exact replies of redis-server 7.0."""

import pytest

EXECABORT = b"-EXECABORT Transaction discarded because of previous errors."


@pytest.fixture
def conn(live_server, mode, r):  # r: flushes the keyspace first
    c = live_server.raw(mode)
    yield c
    c.close()


def test_multi_exec(conn, r):
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("SET", "a", "1") == b"+QUEUED"
    assert conn.cmd("INCR", "a") == b"+QUEUED"
    assert conn.cmd("GET", "a") == b"+QUEUED"
    # Nothing runs before EXEC.
    assert r.execute_command("GET", "a") is None
    assert conn.cmd("EXEC") == [b"+OK", 2, b"2"]
    assert r.execute_command("GET", "a") == "2"
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("EXEC") == []


def test_runtime_errors_do_not_abort(conn, r):
    assert conn.cmd("MULTI") == b"+OK"
    for args in (("SET", "a", "b"), ("INCR", "a"), ("LPUSH", "a", "x"), ("SET", "c", "d")):
        assert conn.cmd(*args) == b"+QUEUED"
    assert conn.cmd("EXEC") == [
        b"+OK", b"-ERR value is not an integer or out of range",
        b"-WRONGTYPE Operation against a key holding the wrong kind of value", b"+OK"]
    assert r.execute_command("GET", "c") == "d"


def test_execabort_on_queued_error(conn, r):
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("SET", "a", "1") == b"+QUEUED"
    assert conn.cmd("NOSUCHCMD") == \
        b"-ERR unknown command 'NOSUCHCMD', with args beginning with: "
    assert conn.cmd("SET", "b", "2") == b"+QUEUED"
    assert conn.cmd("EXEC") == EXECABORT
    assert r.execute_command("EXISTS", "a", "b") == 0
    # Wrong arity is caught at queue time too.
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("SET", "a") == b"-ERR wrong number of arguments for 'set' command"
    assert conn.cmd("EXEC") == EXECABORT
    # The connection is out of MULTI afterwards.
    assert conn.cmd("EXEC") == b"-ERR EXEC without MULTI"


def test_nested_multi_and_watch_inside(conn):
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("MULTI") == b"-ERR MULTI calls can not be nested"
    assert conn.cmd("WATCH", "x") == b"-ERR WATCH inside MULTI is not allowed"
    assert conn.cmd("SET", "a", "1") == b"+QUEUED"
    # Those two errors do not abort the transaction.
    assert conn.cmd("EXEC") == [b"+OK"]


def test_exec_discard_without_multi(conn):
    assert conn.cmd("EXEC") == b"-ERR EXEC without MULTI"
    assert conn.cmd("DISCARD") == b"-ERR DISCARD without MULTI"


def test_discard(conn, r):
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("SET", "a", "1") == b"+QUEUED"
    assert conn.cmd("DISCARD") == b"+OK"
    assert conn.cmd("EXEC") == b"-ERR EXEC without MULTI"
    assert r.execute_command("EXISTS", "a") == 0
    assert conn.cmd("GET", "a") is None


def test_watch_abort(conn, r):
    conn.cmd("SET", "w", "1")
    assert conn.cmd("WATCH", "w", "other") == b"+OK"
    r.execute_command("SET", "w", "2")  # another client touches a watched key
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("SET", "w", "3") == b"+QUEUED"
    assert conn.cmd("EXEC") is None  # null multi-bulk: aborted
    assert r.execute_command("GET", "w") == "2"
    # The watch is gone after EXEC: the next transaction runs.
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("SET", "w", "4") == b"+QUEUED"
    assert conn.cmd("EXEC") == [b"+OK"]


def test_watch_untouched_runs(conn, r):
    assert conn.cmd("WATCH", "w") == b"+OK"
    r.execute_command("SET", "unrelated", "x")
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("INCR", "w") == b"+QUEUED"
    assert conn.cmd("EXEC") == [1]


def test_watch_sees_delete_and_expire(conn, r):
    r.execute_command("SET", "w", "1")
    assert conn.cmd("WATCH", "w") == b"+OK"
    r.execute_command("DEL", "w")
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("SET", "x", "1") == b"+QUEUED"
    assert conn.cmd("EXEC") is None
    r.execute_command("SET", "w", "1")
    assert conn.cmd("WATCH", "w") == b"+OK"
    r.execute_command("EXPIRE", "w", "100")
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("EXEC") is None


def test_unwatch(conn, r):
    assert conn.cmd("WATCH", "w") == b"+OK"
    assert conn.cmd("UNWATCH") == b"+OK"
    r.execute_command("SET", "w", "changed")
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("GET", "w") == b"+QUEUED"
    assert conn.cmd("EXEC") == [b"changed"]
    assert conn.cmd("WATCH") == b"-ERR wrong number of arguments for 'watch' command"


def test_discard_clears_watch(conn, r):
    assert conn.cmd("WATCH", "w") == b"+OK"
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("DISCARD") == b"+OK"
    r.execute_command("SET", "w", "changed")
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("EXEC") == []


def test_watch_in_other_db(conn, r):
    assert conn.cmd("SELECT", "1") == b"+OK"
    assert conn.cmd("WATCH", "w") == b"+OK"
    r.execute_command("SET", "w", "db0")  # same name, other database: no abort
    assert conn.cmd("MULTI") == b"+OK"
    assert conn.cmd("EXEC") == []


def test_pipelined_transaction(conn):
    conn.send(b"MULTI\r\nSET p 1\r\nINCRBY p 5\r\nEXEC\r\n")
    assert [conn.read_reply() for _ in range(4)] == [
        b"+OK", b"+QUEUED", b"+QUEUED", [b"+OK", 6]]
