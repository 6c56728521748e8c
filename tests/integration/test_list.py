"""Lists: every list command of redis-server 7.0, its replies and error texts,
and the blocking commands (several waiters, FIFO order, timeouts, MULTI/EXEC,
disconnects), plain and over TLS."""

import time

import pytest

from helpers import blocked_count, encode_command, err, wait_blocked

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"


def ex(r, *args):
    return r.execute_command(*args)


# ------------------------------------------------------------ basics


def test_push_pop_len_range(r):
    assert ex(r, "RPUSH", "l", "a", "b", "c") == 3
    assert ex(r, "LPUSH", "l", "x", "y") == 5
    assert ex(r, "LRANGE", "l", 0, -1) == ["y", "x", "a", "b", "c"]
    assert ex(r, "LLEN", "l") == 5
    assert ex(r, "OBJECT", "ENCODING", "l") == "quicklist"
    assert ex(r, "TYPE", "l") == "list"
    assert ex(r, "LPOP", "l") == "y"
    assert ex(r, "RPOP", "l") == "c"
    assert ex(r, "LPOP", "l", 2) == ["x", "a"]
    assert ex(r, "RPOP", "l", 5) == ["b"]
    # The last element gone, the key is gone.
    assert ex(r, "EXISTS", "l") == 0
    assert ex(r, "LLEN", "l") == 0
    assert ex(r, "LPOP", "l") is None
    assert ex(r, "LRANGE", "l", 0, -1) == []


def test_pop_count_rules(live_server, mode, r, raw):
    c = raw()
    ex(r, "RPUSH", "l", "a")
    assert c.cmd("LPOP", "l", "0") == []
    assert c.cmd("LPOP", "missing", "0") is None
    assert c.cmd("LPOP", "missing") is None
    assert c.send(b"*3\r\n$4\r\nLPOP\r\n$7\r\nmissing\r\n$1\r\n1\r\n") is None
    assert c.readline() == b"*-1"
    assert c.cmd("LPOP", "l", "-1") == b"-ERR value is out of range, must be positive"
    assert c.cmd("LPOP", "l", "x") == b"-ERR value is out of range, must be positive"
    assert c.cmd("LPOP", "l", "1", "2") == b"-ERR wrong number of arguments for 'lpop' command"
    assert c.cmd("RPOP", "l", "1") == [b"a"]


def test_pushx_and_wrongtype(r):
    assert ex(r, "LPUSHX", "l", "a") == 0
    assert ex(r, "RPUSHX", "l", "a", "b") == 0
    assert ex(r, "EXISTS", "l") == 0
    ex(r, "RPUSH", "l", "m")
    assert ex(r, "LPUSHX", "l", "a", "b") == 3
    assert ex(r, "RPUSHX", "l", "z") == 4
    assert ex(r, "LRANGE", "l", 0, -1) == ["b", "a", "m", "z"]
    ex(r, "SET", "s", "v")
    for args in (("LPUSH", "s", "a"), ("RPUSHX", "s", "a"), ("LLEN", "s"), ("LPOP", "s"),
                 ("LRANGE", "s", 0, 1), ("LINDEX", "s", 0), ("LSET", "s", 0, "a"),
                 ("LREM", "s", 0, "a"), ("LTRIM", "s", 0, 1), ("LPOS", "s", "a"),
                 ("LINSERT", "s", "BEFORE", "a", "b"), ("LMOVE", "s", "l", "LEFT", "LEFT"),
                 ("LMOVE", "l", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "l"),
                 ("LMPOP", 1, "s", "LEFT"), ("BLPOP", "s", 1), ("BLMPOP", 1, 1, "s", "LEFT"),
                 ("BLMOVE", "s", "l", "LEFT", "LEFT", 1)):
        assert err(r, *args) == WRONGTYPE, args
    assert ex(r, "LLEN", "l") == 4


def test_integers_and_binary(r):
    vals = ["0", "-1", "12345678901234", "9223372036854775807", "-9223372036854775808",
            "007", "1.5", "", "x" * 5000, "a\r\nb"]
    ex(r, "RPUSH", "l", *vals)
    assert ex(r, "LRANGE", "l", 0, -1) == vals
    assert ex(r, "LINDEX", "l", 4) == "-9223372036854775808"
    assert ex(r, "LPOS", "l", "007") == 5
    assert ex(r, "LPOS", "l", "7") is None


def test_lindex_lset(r):
    ex(r, "RPUSH", "l", "a", "b", "c")
    assert ex(r, "LINDEX", "l", 0) == "a"
    assert ex(r, "LINDEX", "l", -1) == "c"
    assert ex(r, "LINDEX", "l", 3) is None
    assert ex(r, "LINDEX", "l", -4) is None
    assert ex(r, "LINDEX", "missing", "notanumber") is None
    assert err(r, "LINDEX", "l", "x") == NOT_INT
    assert ex(r, "LSET", "l", -1, "C") == "OK"
    assert ex(r, "LSET", "l", 0, "A" * 300) == "OK"
    assert ex(r, "LRANGE", "l", 0, -1) == ["A" * 300, "b", "C"]
    assert err(r, "LSET", "l", 3, "x") == "ERR index out of range"
    assert err(r, "LSET", "l", -4, "x") == "ERR index out of range"
    assert err(r, "LSET", "missing", 0, "x") == "ERR no such key"
    assert err(r, "LSET", "missing", "abc", "x") == "ERR no such key"
    assert err(r, "LSET", "l", "abc", "x") == NOT_INT


def test_linsert(r):
    assert ex(r, "LINSERT", "missing", "BEFORE", "a", "b") == 0
    assert err(r, "LINSERT", "missing", "middle", "a", "b") == SYNTAX
    ex(r, "RPUSH", "l", "a", "c", "a")
    assert ex(r, "LINSERT", "l", "before", "c", "b") == 4
    assert ex(r, "LINSERT", "l", "AFTER", "a", "a2") == 5
    assert ex(r, "LINSERT", "l", "AFTER", "zz", "q") == -1
    assert ex(r, "LRANGE", "l", 0, -1) == ["a", "a2", "b", "c", "a"]
    assert err(r, "LINSERT", "l", "around", "a", "b") == SYNTAX


def test_lrange_ltrim_edges(r):
    ex(r, "RPUSH", "l", *[str(i) for i in range(10)])
    assert ex(r, "LRANGE", "l", -3, -1) == ["7", "8", "9"]
    assert ex(r, "LRANGE", "l", -100, 1) == ["0", "1"]
    assert ex(r, "LRANGE", "l", 5, 100) == ["5", "6", "7", "8", "9"]
    assert ex(r, "LRANGE", "l", 5, 4) == []
    assert ex(r, "LRANGE", "l", 10, 20) == []
    assert err(r, "LRANGE", "missing", "a", 1) == NOT_INT
    assert err(r, "LTRIM", "missing", 0, "b") == NOT_INT
    assert ex(r, "LTRIM", "missing", 0, 1) == "OK"
    assert ex(r, "LTRIM", "l", 1, -2) == "OK"
    assert ex(r, "LRANGE", "l", 0, -1) == [str(i) for i in range(1, 9)]
    assert ex(r, "LTRIM", "l", -2, 100) == "OK"
    assert ex(r, "LRANGE", "l", 0, -1) == ["7", "8"]
    assert ex(r, "LTRIM", "l", 5, 1) == "OK"
    assert ex(r, "EXISTS", "l") == 0


def test_lrem(r):
    ex(r, "RPUSH", "l", "a", "b", "a", "c", "a", "1", "01")
    assert err(r, "LREM", "l", "x", "a") == NOT_INT
    assert ex(r, "LREM", "missing", 0, "a") == 0
    assert ex(r, "LREM", "l", -1, "a") == 1
    assert ex(r, "LRANGE", "l", 0, -1) == ["a", "b", "a", "c", "1", "01"]
    assert ex(r, "LREM", "l", 1, "a") == 1
    assert ex(r, "LREM", "l", 0, "1") == 1
    assert ex(r, "LRANGE", "l", 0, -1) == ["b", "a", "c", "01"]
    assert ex(r, "LREM", "l", 0, "zz") == 0
    for v in ("b", "a", "c", "01"):
        ex(r, "LREM", "l", 0, v)
    assert ex(r, "EXISTS", "l") == 0


def test_lpos(r):
    ex(r, "RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
    assert ex(r, "LPOS", "l", "c") == 2
    assert ex(r, "LPOS", "l", "c", "RANK", 2) == 6
    assert ex(r, "LPOS", "l", "c", "RANK", -1) == 7
    assert ex(r, "LPOS", "l", "c", "RANK", -3) == 2
    assert ex(r, "LPOS", "l", "c", "RANK", 4) is None
    assert ex(r, "LPOS", "l", "c", "COUNT", 0) == [2, 6, 7]
    assert ex(r, "LPOS", "l", "c", "COUNT", 2, "RANK", -1) == [7, 6]
    assert ex(r, "LPOS", "l", "c", "COUNT", 0, "MAXLEN", 7) == [2, 6]
    assert ex(r, "LPOS", "l", "c", "MAXLEN", 2) is None
    assert ex(r, "LPOS", "l", "zz", "COUNT", 1) == []
    assert ex(r, "LPOS", "missing", "a") is None
    assert ex(r, "LPOS", "missing", "a", "COUNT", 0) == []
    assert ex(r, "LPOS", "l", "c", "RANK", "-9223372036854775808") == 7
    assert err(r, "LPOS", "l", "c", "RANK", 0) == (
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
        "or use negative to start from the end of the list")
    assert err(r, "LPOS", "l", "c", "COUNT", -1) == "ERR COUNT can't be negative"
    assert err(r, "LPOS", "l", "c", "MAXLEN", -1) == "ERR MAXLEN can't be negative"
    assert err(r, "LPOS", "l", "c", "RANK") == SYNTAX
    assert err(r, "LPOS", "l", "c", "FOO", 1) == SYNTAX
    assert err(r, "LPOS", "l", "c", "RANK", "x") == NOT_INT
    # Options are checked before the key.
    assert err(r, "LPOS", "missing", "c", "RANK", 0).startswith("ERR RANK can't be zero")


def test_lmove_rpoplpush(r):
    ex(r, "RPUSH", "src", "a", "b", "c")
    assert ex(r, "LMOVE", "src", "dst", "LEFT", "RIGHT") == "a"
    assert ex(r, "LMOVE", "src", "dst", "right", "left") == "c"
    assert ex(r, "LRANGE", "dst", 0, -1) == ["c", "a"]
    assert ex(r, "RPOPLPUSH", "src", "dst") == "b"
    assert ex(r, "EXISTS", "src") == 0
    assert ex(r, "LMOVE", "src", "dst", "LEFT", "LEFT") is None
    assert ex(r, "RPOPLPUSH", "src", "dst") is None
    # Rotation of a list onto itself.
    assert ex(r, "RPOPLPUSH", "dst", "dst") == "a"
    assert ex(r, "LRANGE", "dst", 0, -1) == ["a", "b", "c"]
    ex(r, "RPUSH", "one", "x")
    assert ex(r, "LMOVE", "one", "one", "LEFT", "RIGHT") == "x"
    assert ex(r, "LRANGE", "one", 0, -1) == ["x"]
    assert err(r, "LMOVE", "src", "dst", "UP", "LEFT") == SYNTAX
    assert err(r, "LMOVE", "src", "dst", "LEFT", "DOWN") == SYNTAX


def test_lmpop(live_server, mode, r, raw):
    ex(r, "RPUSH", "b", "1", "2", "3")
    assert ex(r, "LMPOP", 2, "a", "b", "LEFT") == ["b", ["1"]]
    assert ex(r, "LMPOP", 2, "a", "b", "RIGHT", "COUNT", 10) == ["b", ["3", "2"]]
    assert ex(r, "EXISTS", "b") == 0
    c = raw()
    assert c.send(b"*4\r\n$5\r\nLMPOP\r\n$1\r\n1\r\n$1\r\nb\r\n$4\r\nLEFT\r\n") is None
    assert c.readline() == b"*-1"
    for args, msg in (((0, "a", "LEFT"), "ERR numkeys should be greater than 0"),
                      ((-1, "a", "LEFT"), "ERR numkeys should be greater than 0"),
                      (("x", "a", "LEFT"), "ERR numkeys should be greater than 0"),
                      ((2, "a", "LEFT"), SYNTAX),
                      (("9223372036854775807", "a", "LEFT"), SYNTAX),
                      ((1, "a", "MIDDLE"), SYNTAX),
                      ((1, "a", "LEFT", "COUNT", 0), "ERR count should be greater than 0"),
                      ((1, "a", "LEFT", "COUNT", "x"), "ERR count should be greater than 0"),
                      ((1, "a", "LEFT", "COUNT", 1, "COUNT", 1), SYNTAX),
                      ((1, "a", "LEFT", "COUNT"), SYNTAX),
                      ((1, "a", "LEFT", "FOO"), SYNTAX)):
        assert err(r, "LMPOP", *args) == msg, args


def test_big_list_across_nodes(r):
    n = 3000
    ex(r, "RPUSH", "l", *["v%d" % i for i in range(n)])
    assert ex(r, "LLEN", "l") == n
    assert ex(r, "LINDEX", "l", 2500) == "v2500"
    assert ex(r, "LRANGE", "l", 1000, 1002) == ["v1000", "v1001", "v1002"]
    assert ex(r, "LINSERT", "l", "AFTER", "v1500", "new") == n + 1
    assert ex(r, "LINDEX", "l", 1501) == "new"
    assert ex(r, "LSET", "l", 1501, "y" * 9000) == "OK"
    assert ex(r, "LINDEX", "l", 1501) == "y" * 9000
    assert ex(r, "LREM", "l", 0, "y" * 9000) == 1
    assert ex(r, "LTRIM", "l", 100, -101) == "OK"
    assert ex(r, "LLEN", "l") == n - 200
    assert ex(r, "LPOS", "l", "v2899") == 2799


def test_config_fill_accepted(r):
    old = ex(r, "CONFIG", "GET", "list-max-listpack-size")[1]
    try:
        assert ex(r, "CONFIG", "SET", "list-max-listpack-size", "4") == "OK"
        ex(r, "RPUSH", "l", *[str(i) for i in range(50)])
        assert ex(r, "LRANGE", "l", 0, -1) == [str(i) for i in range(50)]
        assert ex(r, "OBJECT", "ENCODING", "l") == "quicklist"
    finally:
        ex(r, "CONFIG", "SET", "list-max-listpack-size", old)


# ------------------------------------------------------------ blocking


def test_blpop_immediate_and_timeout_errors(r, raw):
    ex(r, "RPUSH", "b", "x", "y")
    assert ex(r, "BLPOP", "a", "b", 0) == ["b", "x"]
    assert ex(r, "BRPOP", "a", "b", "0.5") == ["b", "y"]
    for t in ("abc", "", " 1", "nan"):
        assert err(r, "BLPOP", "a", t) == "ERR timeout is not a float or out of range", t
    for t in ("-1", "-0.5", "inf", "1e400", "99999999999999999"):
        assert err(r, "BLPOP", "a", t) == "ERR timeout is negative", t
    assert err(r, "BLMOVE", "a", "b", "LEFT", "LEFT", "-1") == "ERR timeout is negative"
    assert err(r, "BLMOVE", "a", "b", "UP", "LEFT", "-1") == SYNTAX
    assert err(r, "BRPOPLPUSH", "a", "b", "x") == "ERR timeout is not a float or out of range"
    assert err(r, "BLMPOP", "x", 1, "a", "LEFT") == "ERR timeout is not a float or out of range"
    assert err(r, "BLMPOP", 0, 0, "a", "LEFT") == "ERR numkeys should be greater than 0"


def test_blocking_timeouts(r, raw):
    c = raw()
    for args in (("BLPOP", "a", "b", "0.2"), ("BRPOP", "a", "0.1"),
                 ("BLMOVE", "a", "b", "LEFT", "RIGHT", "0.1"), ("BRPOPLPUSH", "a", "b", "0.1"),
                 ("BLMPOP", "0.1", 2, "a", "b", "LEFT", "COUNT", 3)):
        start = time.monotonic()
        c.send(encode_command(*args))
        # Every blocking list command answers a timeout with a nil array.
        assert c.readline() == b"*-1", args
        elapsed = time.monotonic() - start
        assert 0.05 <= elapsed < 3, (args, elapsed)
    assert c.cmd("PING") == b"+PONG"
    assert ex(r, "EXISTS", "a", "b") == 0


def test_blpop_served_by_push(r, raw):
    c = raw()
    c.send(b"*4\r\n$5\r\nBLPOP\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\n0\r\n")
    wait_blocked(r, 1)
    assert ex(r, "RPUSH", "b", "v1", "v2") == 2
    assert c.read_reply() == [b"b", b"v1"]
    assert ex(r, "LRANGE", "b", 0, -1) == ["v2"]
    assert c.cmd("PING") == b"+PONG"


def test_fifo_fairness(r, raw):
    clients = [raw() for _ in range(3)]
    for i, c in enumerate(clients):
        c.send(b"*3\r\n$5\r\nBRPOP\r\n$1\r\nq\r\n$1\r\n5\r\n")
        wait_blocked(r, i + 1)
    assert ex(r, "RPUSH", "q", "1", "2") == 2
    # The first two to block get one element each, in the order they blocked.
    assert clients[0].read_reply() == [b"q", b"2"]
    assert clients[1].read_reply() == [b"q", b"1"]
    assert ex(r, "EXISTS", "q") == 0
    wait_blocked(r, 1)
    ex(r, "LPUSH", "q", "3")
    assert clients[2].read_reply() == [b"q", b"3"]
    wait_blocked(r, 0)


def test_input_after_block_waits(r, raw):
    c = raw()
    # The PING pipelined after BLPOP runs only once BLPOP is served.
    c.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n")
    wait_blocked(r, 1)
    ex(r, "RPUSH", "k", "v")
    assert c.read_reply() == [b"k", b"v"]
    assert c.read_reply() == b"+PONG"


def test_push_in_multi_wakes_after_exec(r, raw):
    waiter, tx = raw(), raw()
    waiter.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")
    wait_blocked(r, 1)
    assert tx.cmd("MULTI") == b"+OK"
    assert tx.cmd("LPUSH", "k", "a") == b"+QUEUED"
    assert tx.cmd("LPUSH", "k", "b") == b"+QUEUED"
    assert tx.cmd("EXEC") == [1, 2]
    # Served once the whole transaction ran: it sees the final list.
    assert waiter.read_reply() == [b"k", b"b"]
    assert ex(r, "LRANGE", "k", 0, -1) == ["a"]


def test_push_and_pop_in_multi_serves_nobody(r, raw):
    waiter, tx = raw(), raw()
    waiter.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")
    wait_blocked(r, 1)
    tx.cmd("MULTI")
    tx.cmd("RPUSH", "k", "a")
    tx.cmd("RPOP", "k")
    assert tx.cmd("EXEC") == [1, b"a"]
    time.sleep(0.1)
    assert blocked_count(r) == 1
    ex(r, "RPUSH", "k", "z")
    assert waiter.read_reply() == [b"k", b"z"]


def test_blocking_inside_multi_does_not_block(r, raw):
    c = raw()
    c.cmd("MULTI")
    c.cmd("BLPOP", "k", 0)
    c.cmd("BLMOVE", "k", "d", "LEFT", "LEFT", 0)
    c.cmd("BLMPOP", 0, 1, "k", "LEFT")
    c.cmd("RPUSH", "k", "v")
    c.cmd("BRPOPLPUSH", "k", "d", 0)
    c.send(b"*1\r\n$4\r\nEXEC\r\n")
    assert c.readline() == b"*5"
    assert c.readline() == b"*-1"
    assert c.readline() == b"$-1"
    assert c.readline() == b"*-1"
    assert c.read_reply() == 1
    assert c.read_reply() == b"v"
    assert ex(r, "LRANGE", "d", 0, -1) == ["v"]


def test_blmove_served_and_chained(r, raw):
    a, b = raw(), raw()
    a.send(b"*6\r\n$6\r\nBLMOVE\r\n$3\r\nsrc\r\n$3\r\nmid\r\n$5\r\nRIGHT\r\n$4\r\nLEFT\r\n$1\r\n0\r\n")
    wait_blocked(r, 1)
    b.send(b"*3\r\n$5\r\nBLPOP\r\n$3\r\nmid\r\n$1\r\n0\r\n")
    wait_blocked(r, 2)
    ex(r, "RPUSH", "src", "x", "y")
    # a moves y into mid, which in turn serves b.
    assert a.read_reply() == b"y"
    assert b.read_reply() == [b"mid", b"y"]
    assert ex(r, "LRANGE", "src", 0, -1) == ["x"]
    assert ex(r, "EXISTS", "mid") == 0


def test_blmove_wrongtype_destination(r, raw):
    c = raw()
    c.send(b"*4\r\n$10\r\nBRPOPLPUSH\r\n$3\r\nsrc\r\n$3\r\ndst\r\n$1\r\n0\r\n")
    wait_blocked(r, 1)
    ex(r, "SET", "dst", "string")
    ex(r, "RPUSH", "src", "v")
    assert c.read_reply() == b"-" + WRONGTYPE.encode()
    assert ex(r, "LRANGE", "src", 0, -1) == ["v"]


def test_blmpop_served(r, raw):
    c = raw()
    c.send(encode_command("BLMPOP", 0, 2, "a", "b", "RIGHT", "COUNT", 2))
    wait_blocked(r, 1)
    ex(r, "RPUSH", "b", "1", "2", "3")
    assert c.read_reply() == [b"b", [b"3", b"2"]]
    assert ex(r, "LRANGE", "b", 0, -1) == ["1"]


def test_wrong_type_key_keeps_waiting(r, raw):
    c = raw()
    c.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")
    wait_blocked(r, 1)
    ex(r, "SET", "k", "v")
    time.sleep(0.1)
    assert blocked_count(r) == 1
    ex(r, "DEL", "k")
    ex(r, "RPUSH", "k", "z")
    assert c.read_reply() == [b"k", b"z"]


def test_disconnected_waiter_is_skipped(r, raw):
    gone, stays = raw(), raw()
    gone.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")
    wait_blocked(r, 1)
    stays.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")
    wait_blocked(r, 2)
    gone.close()
    wait_blocked(r, 1)
    ex(r, "RPUSH", "k", "v")
    assert stays.read_reply() == [b"k", b"v"]
    assert ex(r, "EXISTS", "k") == 0


def test_timeout_while_others_served(r, raw):
    short, long_ = raw(), raw()
    short.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$3\r\n0.2\r\n")
    long_.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n5\r\n")
    wait_blocked(r, 2)
    assert short.readline() == b"*-1"
    ex(r, "RPUSH", "k", "v")
    assert long_.read_reply() == [b"k", b"v"]


def test_many_waiters_on_several_keys(r, raw):
    waiters = []
    for i in range(10):
        c = raw()
        key = "k%d" % (i % 3)
        c.send(b"*4\r\n$5\r\nBLPOP\r\n$2\r\n%s\r\n$5\r\nother\r\n$1\r\n5\r\n" % key.encode())
        waiters.append((c, key))
        wait_blocked(r, i + 1)
    # One push of many elements per key serves all of that key's waiters in order.
    for k in ("k0", "k1", "k2"):
        ex(r, "RPUSH", k, *["%s-%d" % (k, j) for j in range(5)])
    seen = {"k0": 0, "k1": 0, "k2": 0}
    for c, key in waiters:
        assert c.read_reply() == [key.encode(), ("%s-%d" % (key, seen[key])).encode()]
        seen[key] += 1
    assert ex(r, "LLEN", "k0") == 1 and ex(r, "LLEN", "k1") == 2 and ex(r, "LLEN", "k2") == 2


def test_select_db_isolation(r, raw):
    c = raw()
    assert c.cmd("SELECT", "1") == b"+OK"
    c.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")
    wait_blocked(r, 1)
    ex(r, "RPUSH", "k", "db0")
    time.sleep(0.1)
    assert blocked_count(r) == 1
    other = raw()
    other.cmd("SELECT", "1")
    other.cmd("RPUSH", "k", "db1")
    assert c.read_reply() == [b"k", b"db1"]
    assert ex(r, "LRANGE", "k", 0, -1) == ["db0"]
    other.cmd("FLUSHDB")


def test_key_added_by_rename_or_move_wakes(r, raw):
    c = raw()
    c.send(encode_command("BLPOP", "k", 0))
    wait_blocked(r, 1)
    ex(r, "RPUSH", "tmp", "renamed")
    ex(r, "RENAME", "tmp", "k")
    assert c.read_reply() == [b"k", b"renamed"]
    c.send(encode_command("BLPOP", "k", 0))
    wait_blocked(r, 1)
    ex(r, "SELECT", 2)
    ex(r, "RPUSH", "k", "moved")
    ex(r, "MOVE", "k", 0)
    ex(r, "SELECT", 0)
    assert c.read_reply() == [b"k", b"moved"]


def test_swapdb_wakes(r, raw):
    c = raw()
    c.send(encode_command("BLPOP", "k", 0))
    wait_blocked(r, 1)
    ex(r, "SELECT", 3)
    ex(r, "RPUSH", "k", "from3")
    ex(r, "SWAPDB", 0, 3)
    ex(r, "SELECT", 0)
    assert c.read_reply() == [b"k", b"from3"]
    ex(r, "FLUSHALL")


def test_shutdown_with_blocked_clients(start_server):
    srv = start_server()
    waiters = []
    for key in ("a", "b", "a"):
        c = srv.raw("plain")
        c.send(encode_command("BLMOVE", key, "d", "LEFT", "LEFT", 0))
        waiters.append(c)
    r = srv.client("plain")
    r.execute_command("CLIENT", "LIST")
    wait_blocked(r, 3)
    r.close()
    srv.stop()  # a leak or crash on the way out fails the fixture
    for c in waiters:
        c.close()


def test_copy_is_deep_and_watch_sees_list_changes(r, raw):
    ex(r, "RPUSH", "l", "a", "b")
    assert ex(r, "COPY", "l", "l2") == 1
    ex(r, "RPUSH", "l2", "c")
    assert ex(r, "LRANGE", "l", 0, -1) == ["a", "b"]
    assert ex(r, "LRANGE", "l2", 0, -1) == ["a", "b", "c"]
    c = raw()
    for change in (("LSET", "l", 0, "x"), ("LPOP", "l"), ("LINSERT", "l", "BEFORE", "b", "q"),
                   ("LREM", "l", 0, "q"), ("LTRIM", "l", 0, 0), ("RPOPLPUSH", "l2", "l")):
        assert c.cmd("WATCH", "l") == b"+OK"
        assert c.cmd("MULTI") == b"+OK"
        assert c.cmd("PING") == b"+QUEUED"
        ex(r, *change)
        assert c.cmd("EXEC") is None, change


def test_client_unblock(client_factory):
    """CLIENT UNBLOCK id [TIMEOUT|ERROR] on a client blocked in BLPOP."""
    import threading
    admin = client_factory()
    for reason, expect in (("TIMEOUT", None), ("ERROR", "UNBLOCKED")):
        blocked = client_factory()
        bid = blocked.execute_command("CLIENT", "ID")
        out = {}

        def run():
            try:
                out["reply"] = blocked.execute_command("BLPOP", "unblock:none", 30)
            except Exception as e:  # the ERROR reason arrives as an error reply
                out["error"] = str(e)

        t = threading.Thread(target=run)
        t.start()
        deadline = 50
        while deadline and admin.execute_command("CLIENT", "UNBLOCK", bid, reason) != 1:
            deadline -= 1
            threading.Event().wait(0.1)
        t.join(timeout=10)
        assert deadline > 0
        if expect is None:
            assert out == {"reply": None}
        else:
            assert out["error"].startswith(expect), out
    assert admin.execute_command("CLIENT", "UNBLOCK", 999999) == 0
    with pytest.raises(Exception) as e:
        admin.execute_command("CLIENT", "UNBLOCK", 1, "SOMETIMES")
    assert "TIMEOUT or ERROR" in str(e.value)
