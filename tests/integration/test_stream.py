"""Streams: every stream command of redis-server 7.0 (XADD ... XSETID), its
replies and error texts, consumer groups (PEL, claims, lag bookkeeping) and
blocking XREAD / XREADGROUP, plain and over TLS."""

import time

import pytest

from helpers import encode_command, err, wait_blocked

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
BAD_ID = "ERR Invalid stream ID specified as stream command argument"


@pytest.fixture
def s(r):
    """The r client without redis-py's reply parsing: raw lists and strings."""
    r.response_callbacks.clear()
    return r


def ex(c, *args):
    return c.execute_command(*args)


def info_map(reply):
    return dict(zip(reply[::2], reply[1::2]))


@pytest.fixture
def node_entries(s):
    """Small nodes (3 entries) for the trimming tests; restored after."""
    old = ex(s, "CONFIG", "GET", "stream-node-max-entries")[1]
    ex(s, "CONFIG", "SET", "stream-node-max-entries", "3")
    yield
    ex(s, "CONFIG", "SET", "stream-node-max-entries", old)


# ------------------------------------------------------------------ XADD


def test_xadd_ids(s):
    assert ex(s, "XADD", "st", "1-1", "a", "1") == "1-1"
    assert ex(s, "XADD", "st", "1-*", "a", "2") == "1-2"
    assert ex(s, "XADD", "st", "5", "a", "3") == "5-0"
    assert ex(s, "XADD", "st", "5-*", "a", "4") == "5-1"
    auto = ex(s, "XADD", "st", "*", "a", "5")
    ms, seq = auto.split("-")
    assert int(ms) > 5 and seq == "0"
    assert err(s, "XADD", "st", "5-1", "a", "6") == \
        "ERR The ID specified in XADD is equal or smaller than the target stream top item"
    assert err(s, "XADD", "st", "0-0", "a", "6") == \
        "ERR The ID specified in XADD must be greater than 0-0"
    assert err(s, "XADD", "new", "0-0", "a", "6") == \
        "ERR The ID specified in XADD must be greater than 0-0"
    assert ex(s, "EXISTS", "new") == 0
    assert ex(s, "XADD", "new", "0-*", "a", "1") == "0-1"
    for bad in ("abc", "1-x", "-1", "1-2-3", "+", "-"):
        assert err(s, "XADD", "st", bad, "a", "b") == BAD_ID, bad
    assert err(s, "XADD", "st", "*", "a") == "ERR wrong number of arguments for 'xadd' command"
    assert err(s, "XADD", "st", "*", "a", "b", "c") == \
        "ERR wrong number of arguments for 'xadd' command"
    assert ex(s, "XLEN", "st") == 5
    assert ex(s, "XLEN", "missing") == 0


def test_xadd_nomkstream_and_types(s):
    assert ex(s, "XADD", "st", "NOMKSTREAM", "*", "a", "b") is None
    assert ex(s, "EXISTS", "st") == 0
    ex(s, "XADD", "st", "1-1", "f", "v")
    assert ex(s, "XADD", "st", "NOMKSTREAM", "2-1", "f", "v") == "2-1"
    assert ex(s, "TYPE", "st") == "stream"
    assert ex(s, "OBJECT", "ENCODING", "st") == "stream"
    ex(s, "SET", "str", "x")
    for args in (("XADD", "str", "*", "a", "b"), ("XLEN", "str"), ("XRANGE", "str", "-", "+"),
                 ("XDEL", "str", "1-1"), ("XTRIM", "str", "MAXLEN", "1"),
                 ("XREAD", "STREAMS", "str", "0"), ("XINFO", "STREAM", "str"),
                 ("XGROUP", "CREATE", "str", "g", "0"), ("XACK", "str", "g", "1-1"),
                 ("XPENDING", "str", "g"), ("XSETID", "str", "1-1")):
        assert err(s, *args) == WRONGTYPE, args


def test_xadd_trim_options(s, node_entries):
    for i in range(1, 11):
        ex(s, "XADD", "st", "%d-1" % i, "f", str(i))
    assert ex(s, "XADD", "st", "MAXLEN", "5", "11-1", "f", "11") == "11-1"
    assert ex(s, "XLEN", "st") == 5
    assert ex(s, "XRANGE", "st", "-", "+", "COUNT", "1")[0][0] == "7-1"
    # "~" removes whole nodes only (3 entries each here).
    assert ex(s, "XADD", "st", "MAXLEN", "~", "2", "12-1", "f", "12") == "12-1"
    assert ex(s, "XLEN", "st") == 3
    assert ex(s, "XADD", "st", "MINID", "=", "12-1", "13-1", "f", "13") == "13-1"
    assert [e[0] for e in ex(s, "XRANGE", "st", "-", "+")] == ["12-1", "13-1"]
    assert err(s, "XADD", "st", "MAXLEN", "1", "MINID", "1", "*", "a", "b") == \
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    assert err(s, "XADD", "st", "MAXLEN", "-1", "*", "a", "b") == \
        "ERR The MAXLEN argument must be >= 0."
    assert err(s, "XADD", "st", "MAXLEN", "x", "*", "a", "b") == NOT_INT
    assert err(s, "XADD", "st", "LIMIT", "5", "*", "a", "b") == \
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
    assert err(s, "XADD", "st", "MAXLEN", "1", "LIMIT", "5", "*", "a", "b") == \
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    assert err(s, "XADD", "st", "MAXLEN", "~", "1", "LIMIT", "-1", "*", "a", "b") == \
        "ERR The LIMIT argument must be >= 0."
    assert err(s, "XADD", "st", "MINID", "bad", "*", "a", "b") == BAD_ID


# ----------------------------------------------------------- XRANGE & co


def test_xrange_xrevrange(s):
    for i in range(1, 6):
        ex(s, "XADD", "st", "%d-0" % i, "n", str(i), "x", "y")
    ex(s, "XADD", "st", "6-0", "other", "fields")
    assert ex(s, "XRANGE", "st", "-", "+", "COUNT", "2") == \
        [["1-0", ["n", "1", "x", "y"]], ["2-0", ["n", "2", "x", "y"]]]
    assert ex(s, "XRANGE", "st", "5", "+") == \
        [["5-0", ["n", "5", "x", "y"]], ["6-0", ["other", "fields"]]]
    assert [e[0] for e in ex(s, "XRANGE", "st", "(2-0", "(5-0")] == ["3-0", "4-0"]
    assert [e[0] for e in ex(s, "XREVRANGE", "st", "+", "-", "COUNT", "3")] == \
        ["6-0", "5-0", "4-0"]
    assert [e[0] for e in ex(s, "XREVRANGE", "st", "(4-0", "2")] == ["3-0", "2-0"]
    # A bare "(4" end means 4-max, so 4-0 is still inside.
    assert [e[0] for e in ex(s, "XREVRANGE", "st", "(4", "2")] == ["4-0", "3-0", "2-0"]
    assert ex(s, "XRANGE", "st", "3", "2") == []
    assert ex(s, "XRANGE", "st", "-", "+", "COUNT", "0") is None
    assert ex(s, "XRANGE", "st", "-", "+", "COUNT", "-3") is None
    assert ex(s, "XRANGE", "missing", "-", "+") == []
    assert err(s, "XRANGE", "st", "(-", "+") == BAD_ID
    assert err(s, "XRANGE", "st", "x", "+") == BAD_ID
    assert err(s, "XRANGE", "st", "-", "(0-0") == "ERR invalid end ID for the interval"
    assert err(s, "XRANGE", "st", "(18446744073709551615-18446744073709551615", "+") == \
        "ERR invalid start ID for the interval"
    assert err(s, "XRANGE", "st", "-", "+", "COUNT") == SYNTAX
    assert err(s, "XRANGE", "st", "-", "+", "COUNT", "x") == NOT_INT
    assert err(s, "XRANGE", "st", "-", "+", "LIMIT", "1") == SYNTAX


def test_xdel_and_stream_metadata(s):
    for i in range(1, 5):
        ex(s, "XADD", "st", "%d-0" % i, "f", "v")
    assert ex(s, "XDEL", "st", "1-0", "3-0", "9-0") == 2
    assert ex(s, "XDEL", "st", "1-0") == 0
    assert err(s, "XDEL", "st", "bad") == BAD_ID
    assert ex(s, "XDEL", "missing", "1-0") == 0
    info = info_map(ex(s, "XINFO", "STREAM", "st"))
    assert info["length"] == 2
    assert info["max-deleted-entry-id"] == "3-0"
    assert info["entries-added"] == 4
    assert info["recorded-first-entry-id"] == "2-0"
    assert info["last-generated-id"] == "4-0"
    assert info["first-entry"] == ["2-0", ["f", "v"]]
    assert (info["radix-tree-keys"], info["radix-tree-nodes"]) == (1, 2)
    assert info["last-entry"] == ["4-0", ["f", "v"]]
    # Empty streams stay in the keyspace.
    assert ex(s, "XDEL", "st", "2-0", "4-0") == 2
    assert ex(s, "EXISTS", "st") == 1
    info = info_map(ex(s, "XINFO", "STREAM", "st"))
    assert info["length"] == 0 and info["first-entry"] is None
    assert info["recorded-first-entry-id"] == "0-0"
    assert (info["radix-tree-keys"], info["radix-tree-nodes"]) == (0, 1)
    assert err(s, "XADD", "st", "3-0", "f", "v").startswith("ERR The ID specified in XADD")


def test_xtrim(s, node_entries):
    for i in range(1, 11):
        ex(s, "XADD", "st", "%d-0" % i, "f", "v")
    assert ex(s, "XTRIM", "st", "MAXLEN", "~", "5") == 3
    assert ex(s, "XTRIM", "st", "MAXLEN", "=", "5") == 2
    assert ex(s, "XTRIM", "st", "MINID", "8") == 2
    assert [e[0] for e in ex(s, "XRANGE", "st", "-", "+")] == ["8-0", "9-0", "10-0"]
    assert ex(s, "XTRIM", "st", "MAXLEN", "~", "0", "LIMIT", "1") == 0
    assert ex(s, "XTRIM", "st", "MAXLEN", "0") == 3
    assert ex(s, "XTRIM", "missing", "MAXLEN", "0") == 0
    assert err(s, "XTRIM", "st", "FOO", "1") == SYNTAX
    assert err(s, "XTRIM", "missing", "MAXLEN", "1-1") == NOT_INT
    assert err(s, "XTRIM", "st", "LIMIT", "1") == \
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"


def test_xsetid(s):
    ex(s, "XADD", "st", "5-0", "f", "v")
    assert ex(s, "XSETID", "st", "10-0") == "OK"
    assert ex(s, "XADD", "st", "10-*", "f", "v") == "10-1"
    assert err(s, "XSETID", "st", "1-0") == \
        "ERR The ID specified in XSETID is smaller than the target stream top item"
    assert err(s, "XSETID", "st", "100-0", "ENTRIESADDED", "1") == \
        "ERR The entries_added specified in XSETID is smaller than the target stream length"
    assert err(s, "XSETID", "st", "100-0", "ENTRIESADDED", "-1") == \
        "ERR entries_added must be positive"
    assert err(s, "XSETID", "st", "100-0", "MAXDELETEDID", "200-0") == \
        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
    assert ex(s, "XSETID", "st", "100-0", "ENTRIESADDED", "50", "MAXDELETEDID", "60-0") == "OK"
    info = info_map(ex(s, "XINFO", "STREAM", "st"))
    assert (info["last-generated-id"], info["entries-added"], info["max-deleted-entry-id"]) == \
        ("100-0", 50, "60-0")
    assert err(s, "XSETID", "missing", "1-0") == "ERR no such key"
    assert err(s, "XSETID", "st", "200-0", "FOO") == SYNTAX


# ------------------------------------------------------------------ XREAD


def test_xread_sync(s):
    for i in range(1, 4):
        ex(s, "XADD", "a", "%d-0" % i, "f", str(i))
    ex(s, "XADD", "b", "7-0", "g", "h")
    assert ex(s, "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0") == \
        [["a", [["1-0", ["f", "1"]], ["2-0", ["f", "2"]]]], ["b", [["7-0", ["g", "h"]]]]]
    assert ex(s, "XREAD", "STREAMS", "a", "b", "2-0", "7") == [["a", [["3-0", ["f", "3"]]]]]
    assert ex(s, "XREAD", "STREAMS", "a", "$") is None
    assert ex(s, "XREAD", "STREAMS", "missing", "0") is None
    assert err(s, "XREAD", "STREAMS", "a", "b", "0") == \
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
    assert err(s, "XREAD", "STREAMS", "a", ">") == \
        "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> " \
        "<consumer> option."
    assert err(s, "XREAD", "GROUP", "g", "c", "STREAMS", "a", "0") == \
        "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
    assert err(s, "XREAD", "NOACK", "STREAMS", "a", "0") == \
        "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
    assert err(s, "XREAD", "COUNT", "1", "a", "0") == SYNTAX
    assert err(s, "XREAD", "BLOCK", "-1", "STREAMS", "a", "0") == "ERR timeout is negative"
    assert err(s, "XREAD", "BLOCK", "x", "STREAMS", "a", "0") == \
        "ERR timeout is not an integer or out of range"
    assert err(s, "XREAD", "STREAMS", "a", "x") == BAD_ID


def test_xread_block_served_by_xadd(s, raw):
    c = raw()
    c.send(encode_command("XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$"))
    wait_blocked(s, 1)
    ex(s, "XADD", "b", "5-0", "k", "v")
    assert c.read_reply() == [[b"b", [[b"5-0", [b"k", b"v"]]]]]
    # "$" is the last ID when the client blocked: only newer entries serve it.
    ex(s, "XADD", "a", "1-0", "x", "y")
    c.send(encode_command("XREAD", "BLOCK", "5000", "COUNT", "1", "STREAMS", "a", "$"))
    wait_blocked(s, 1)
    ex(s, "XADD", "a", "2-0", "x", "z")
    assert c.read_reply() == [[b"a", [[b"2-0", [b"x", b"z"]]]]]
    assert c.cmd("PING") == b"+PONG"


def test_xread_block_timeout_and_multi(s, raw):
    c = raw()
    start = time.monotonic()
    c.send(encode_command("XREAD", "BLOCK", "100", "STREAMS", "a", "0"))
    assert c.readline() == b"*-1"
    assert 0.05 <= time.monotonic() - start < 3
    assert c.cmd("MULTI") == b"+OK"
    assert c.cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "$") == b"+QUEUED"
    c.send(encode_command("EXEC"))
    assert c.readline() == b"*1"
    assert c.readline() == b"*-1"


# ---------------------------------------------------------- consumer groups


def test_xgroup_lifecycle(s):
    assert err(s, "XGROUP", "CREATE", "st", "g", "$") == \
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may " \
        "want to use the MKSTREAM option to create an empty stream automatically."
    assert ex(s, "XGROUP", "CREATE", "st", "g", "$", "MKSTREAM") == "OK"
    assert ex(s, "XLEN", "st") == 0
    assert err(s, "XGROUP", "CREATE", "st", "g", "0") == \
        "BUSYGROUP Consumer Group name already exists"
    assert ex(s, "XGROUP", "CREATE", "st", "g2", "0", "ENTRIESREAD", "3") == "OK"
    assert err(s, "XGROUP", "CREATE", "st", "g3", "0", "ENTRIESREAD", "-5") == \
        "ERR value for ENTRIESREAD must be positive or -1"
    assert err(s, "XGROUP", "CREATE", "st", "g3", "0", "FOO") == \
        "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
    assert err(s, "XGROUP", "CREATE", "st", "g3", "bad") == BAD_ID
    assert ex(s, "XGROUP", "CREATECONSUMER", "st", "g", "c1") == 1
    assert ex(s, "XGROUP", "CREATECONSUMER", "st", "g", "c1") == 0
    assert err(s, "XGROUP", "CREATECONSUMER", "st", "nog", "c1") == \
        "NOGROUP No such consumer group 'nog' for key name 'st'"
    assert ex(s, "XGROUP", "DELCONSUMER", "st", "g", "c1") == 0
    assert ex(s, "XGROUP", "DELCONSUMER", "st", "g", "nobody") == 0
    assert ex(s, "XGROUP", "SETID", "st", "g", "5-0", "ENTRIESREAD", "2") == "OK"
    groups = [info_map(g) for g in ex(s, "XINFO", "GROUPS", "st")]
    assert [g["name"] for g in groups] == ["g", "g2"]
    assert groups[0]["last-delivered-id"] == "5-0" and groups[0]["entries-read"] == 2
    assert ex(s, "XGROUP", "DESTROY", "st", "g2") == 1
    assert ex(s, "XGROUP", "DESTROY", "st", "g2") == 0
    assert err(s, "XGROUP", "SETID", "st", "g2", "0") == \
        "NOGROUP No such consumer group 'g2' for key name 'st'"
    assert err(s, "XGROUP", "CREATE", "st") == \
        "ERR wrong number of arguments for 'xgroup|create' command"
    help_lines = ex(s, "XGROUP", "HELP")
    assert help_lines[0] == \
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]" in help_lines
    assert ex(s, "XINFO", "HELP")[-1] == "    Prints this help."


def test_xreadgroup_pel_and_xack(s):
    for i in range(1, 4):
        ex(s, "XADD", "st", "%d-0" % i, "f", str(i))
    ex(s, "XGROUP", "CREATE", "st", "g", "0")
    assert ex(s, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "st", ">") == \
        [["st", [["1-0", ["f", "1"]], ["2-0", ["f", "2"]]]]]
    assert ex(s, "XREADGROUP", "GROUP", "g", "c2", "STREAMS", "st", ">") == \
        [["st", [["3-0", ["f", "3"]]]]]
    assert ex(s, "XREADGROUP", "GROUP", "g", "c2", "STREAMS", "st", ">") is None
    # History: the consumer's own pending entries, always replied per key.
    assert ex(s, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", "0") == \
        [["st", [["1-0", ["f", "1"]], ["2-0", ["f", "2"]]]]]
    assert ex(s, "XREADGROUP", "GROUP", "g", "c3", "STREAMS", "st", "0") == [["st", []]]
    summary = ex(s, "XPENDING", "st", "g")
    assert summary == [3, "1-0", "3-0", [["c1", "2"], ["c2", "1"]]]
    ext = ex(s, "XPENDING", "st", "g", "-", "+", "10", "c1")
    assert [(e[0], e[1], e[3]) for e in ext] == [("1-0", "c1", 2), ("2-0", "c1", 2)]
    assert ex(s, "XPENDING", "st", "g", "(1-0", "+", "1") [0][0] == "2-0"
    assert ex(s, "XPENDING", "st", "g", "IDLE", "100000", "-", "+", "10") == []
    assert ex(s, "XPENDING", "st", "g", "-", "+", "10", "nobody") == []
    assert err(s, "XPENDING", "st", "nog") == "NOGROUP No such key 'st' or consumer group 'nog'"
    assert err(s, "XPENDING", "st", "g", "-", "+") == SYNTAX
    assert ex(s, "XACK", "st", "g", "1-0", "9-0") == 1
    assert err(s, "XACK", "st", "g", "bad") == BAD_ID
    assert ex(s, "XACK", "st", "nog", "1-0") == 0
    # A deleted entry still pending is replied with a nil body.
    ex(s, "XDEL", "st", "2-0")
    assert ex(s, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", "0") == \
        [["st", [["2-0", None]]]]
    assert ex(s, "XREADGROUP", "GROUP", "g", "c1", "NOACK", "STREAMS", "st", "0") == \
        [["st", [["2-0", None]]]]
    assert err(s, "XREADGROUP", "GROUP", "nog", "c", "STREAMS", "st", ">") == \
        "NOGROUP No such key 'st' or consumer group 'nog' in XREADGROUP with GROUP option"
    assert err(s, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "st", "$").startswith(
        "ERR The $ ID is meaningless in the context of XREADGROUP")
    assert err(s, "XREADGROUP", "COUNT", "1", "STREAMS", "st", "x", "0", "0") == \
        "ERR Missing GROUP option for XREADGROUP"
    consumers = [info_map(x) for x in ex(s, "XINFO", "CONSUMERS", "st", "g")]
    assert [(x["name"], x["pending"]) for x in consumers] == [("c1", 1), ("c2", 1), ("c3", 0)]
    assert ex(s, "XGROUP", "DELCONSUMER", "st", "g", "c2") == 1
    assert ex(s, "XPENDING", "st", "g")[0] == 1


def test_noack_and_lag(s):
    for i in range(1, 6):
        ex(s, "XADD", "st", "%d-0" % i, "f", str(i))
    ex(s, "XGROUP", "CREATE", "st", "g", "0")
    ex(s, "XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "NOACK", "STREAMS", "st", ">")
    g = info_map(ex(s, "XINFO", "GROUPS", "st")[0])
    assert (g["pending"], g["entries-read"], g["lag"], g["last-delivered-id"]) == \
        (0, 2, 3, "2-0")
    ex(s, "XDEL", "st", "4-0")
    g = info_map(ex(s, "XINFO", "GROUPS", "st")[0])
    assert g["lag"] is None
    ex(s, "XGROUP", "CREATE", "st", "late", "$")
    g = info_map(ex(s, "XINFO", "GROUPS", "st")[1])
    assert (g["name"], g["entries-read"], g["lag"]) == ("late", None, 0)


def test_xclaim(s):
    for i in range(1, 5):
        ex(s, "XADD", "st", "%d-0" % i, "f", str(i))
    ex(s, "XGROUP", "CREATE", "st", "g", "0")
    ex(s, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", ">")
    assert ex(s, "XCLAIM", "st", "g", "c2", "0", "1-0", "2-0") == \
        [["1-0", ["f", "1"]], ["2-0", ["f", "2"]]]
    assert ex(s, "XCLAIM", "st", "g", "c2", "3600000", "3-0") == []
    assert ex(s, "XCLAIM", "st", "g", "c3", "0", "3-0", "JUSTID", "RETRYCOUNT", "7") == ["3-0"]
    ext = ex(s, "XPENDING", "st", "g", "-", "+", "10")
    assert [(e[0], e[1], e[3]) for e in ext] == \
        [("1-0", "c2", 2), ("2-0", "c2", 2), ("3-0", "c3", 7), ("4-0", "c1", 1)]
    assert ex(s, "XCLAIM", "st", "g", "c3", "0", "9-0", "FORCE") == []
    ex(s, "XACK", "st", "g", "4-0")
    assert ex(s, "XCLAIM", "st", "g", "c3", "0", "4-0", "FORCE", "JUSTID") == ["4-0"]
    assert ex(s, "XPENDING", "st", "g", "4-0", "4-0", "1")[0][3] == 1
    # An entry deleted from the stream leaves the PEL when claimed.
    ex(s, "XDEL", "st", "1-0")
    assert ex(s, "XCLAIM", "st", "g", "c3", "0", "1-0") == []
    assert ex(s, "XPENDING", "st", "g")[0] == 3
    ex(s, "XCLAIM", "st", "g", "c3", "0", "2-0", "IDLE", "5000", "LASTID", "10-0")
    assert ex(s, "XPENDING", "st", "g", "IDLE", "4000", "-", "+", "10")[0][0] == "2-0"
    g = info_map(ex(s, "XINFO", "GROUPS", "st")[0])
    assert g["last-delivered-id"] == "10-0"
    assert err(s, "XCLAIM", "st", "g", "c", "x", "1-0") == \
        "ERR Invalid min-idle-time argument for XCLAIM"
    assert err(s, "XCLAIM", "st", "g", "c", "0", "1-0", "BOGUS") == \
        "ERR Unrecognized XCLAIM option 'BOGUS'"
    assert err(s, "XCLAIM", "st", "g", "c", "0", "1-0", "IDLE", "x") == \
        "ERR Invalid IDLE option argument for XCLAIM"
    assert err(s, "XCLAIM", "st", "nog", "c", "0", "1-0") == \
        "NOGROUP No such key 'st' or consumer group 'nog'"


def test_xautoclaim(s):
    for i in range(1, 6):
        ex(s, "XADD", "st", "%d-0" % i, "f", str(i))
    ex(s, "XGROUP", "CREATE", "st", "g", "0")
    ex(s, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", ">")
    assert ex(s, "XAUTOCLAIM", "st", "g", "c2", "0", "0", "COUNT", "2") == \
        ["3-0", [["1-0", ["f", "1"]], ["2-0", ["f", "2"]]], []]
    ex(s, "XDEL", "st", "3-0")
    assert ex(s, "XAUTOCLAIM", "st", "g", "c2", "0", "3-0", "COUNT", "2", "JUSTID") == \
        ["5-0", ["4-0"], ["3-0"]]
    assert ex(s, "XAUTOCLAIM", "st", "g", "c2", "0", "(4-0", "JUSTID") == ["0-0", ["5-0"], []]
    assert ex(s, "XAUTOCLAIM", "st", "g", "c3", "3600000", "0") == ["0-0", [], []]
    assert err(s, "XAUTOCLAIM", "st", "g", "c", "0", "0", "COUNT", "0") == \
        "ERR COUNT must be > 0"
    assert err(s, "XAUTOCLAIM", "st", "g", "c", "0", "0", "FOO") == SYNTAX
    assert err(s, "XAUTOCLAIM", "st", "g", "c", "x", "0") == \
        "ERR Invalid min-idle-time argument for XAUTOCLAIM"
    assert err(s, "XAUTOCLAIM", "st", "nog", "c", "0", "0") == \
        "NOGROUP No such key 'st' or consumer group 'nog'"


def test_xinfo_full(s):
    ex(s, "XADD", "st", "1-0", "a", "1")
    ex(s, "XADD", "st", "2-0", "b", "2")
    ex(s, "XGROUP", "CREATE", "st", "g", "0")
    ex(s, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "st", ">")
    full = info_map(ex(s, "XINFO", "STREAM", "st", "FULL", "COUNT", "1"))
    assert full["length"] == 2 and full["entries-added"] == 2
    assert full["entries"] == [["1-0", ["a", "1"]]]
    g = info_map(full["groups"][0])
    assert (g["name"], g["last-delivered-id"], g["entries-read"], g["lag"], g["pel-count"]) == \
        ("g", "1-0", 1, 1, 1)
    assert g["pending"][0][:2] == ["1-0", "c"] and g["pending"][0][3] == 1
    cons = info_map(g["consumers"][0])
    assert (cons["name"], cons["pel-count"]) == ("c", 1)
    assert cons["pending"][0][0] == "1-0" and cons["pending"][0][2] == 1
    assert err(s, "XINFO", "STREAM", "st", "FOO") == \
        "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."
    assert err(s, "XINFO", "STREAM", "missing") == "ERR no such key"
    assert err(s, "XINFO", "CONSUMERS", "st", "nog") == \
        "NOGROUP No such consumer group 'nog' for key name 'st'"


def test_xreadgroup_block(s, raw):
    ex(s, "XGROUP", "CREATE", "st", "g", "$", "MKSTREAM")
    c = raw()
    c.send(encode_command("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "st", ">"))
    wait_blocked(s, 1)
    ex(s, "XADD", "st", "1-0", "f", "v")
    assert c.read_reply() == [[b"st", [[b"1-0", [b"f", b"v"]]]]]
    assert ex(s, "XPENDING", "st", "g")[0] == 1
    # The group destroyed under a blocked reader: NOGROUP error.
    c.send(encode_command("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "st", ">"))
    wait_blocked(s, 1)
    ex(s, "XGROUP", "DESTROY", "st", "g")
    assert c.readline() == \
        b"-NOGROUP the consumer group this client was blocked on no longer exists"
    assert c.cmd("PING") == b"+PONG"


def test_many_entries_and_nodes(s):
    # Crosses node boundaries (100 entries per node by default).
    for i in range(1, 351):
        fields = ("f", str(i)) if i % 7 else ("g", str(i), "h", "x" * (i % 50))
        ex(s, "XADD", "st", "%d-%d" % (i // 3, i % 3), *fields)
    assert ex(s, "XLEN", "st") == 350
    ids = [e[0] for e in ex(s, "XRANGE", "st", "-", "+")]
    assert len(ids) == 350 and ids[0] == "0-1" and ids[-1] == "116-2"
    assert [e[0] for e in ex(s, "XREVRANGE", "st", "+", "-")] == ids[::-1]
    assert ex(s, "XDEL", "st", *ids[::2]) == 175
    assert [e[0] for e in ex(s, "XRANGE", "st", "-", "+")] == ids[1::2]
    assert ex(s, "XRANGE", "st", ids[98], ids[98]) == []
    info = info_map(ex(s, "XINFO", "STREAM", "st"))
    assert (info["length"], info["radix-tree-keys"], info["radix-tree-nodes"]) == (175, 4, 10)
    assert ex(s, "XTRIM", "st", "MAXLEN", "10") == 165
    assert ex(s, "XRANGE", "st", "-", "+", "COUNT", "1")[0][0] == ids[331]
    # COPY deep-copies groups, consumers and PELs (dup op).
    ex(s, "XGROUP", "CREATE", "st", "g", "0")
    ex(s, "XREADGROUP", "GROUP", "g", "c", "COUNT", "3", "STREAMS", "st", ">")
    assert ex(s, "COPY", "st", "st2") == 1
    ex(s, "XACK", "st", "g", ids[331])
    assert ex(s, "XPENDING", "st2", "g")[0] == 3
    assert ex(s, "XPENDING", "st", "g")[0] == 2
    assert ex(s, "XRANGE", "st2", "-", "+") == ex(s, "XRANGE", "st", "-", "+")


def test_blocked_readers_fifo(s, raw):
    c1, c2 = raw(), raw()
    # Two readers of the same key are both served by one XADD.
    for c in (c1, c2):
        c.send(encode_command("XREAD", "BLOCK", "0", "STREAMS", "st", "0"))
    wait_blocked(s, 2)
    ex(s, "XADD", "st", "1-0", "a", "b")
    for c in (c1, c2):
        assert c.read_reply() == [[b"st", [[b"1-0", [b"a", b"b"]]]]]
    # A group reader gets each entry once: the second one keeps waiting.
    ex(s, "XGROUP", "CREATE", "st", "g", "$")
    for c in (c1, c2):
        c.send(encode_command("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "st", ">"))
    wait_blocked(s, 2)
    ex(s, "XADD", "st", "2-0", "x", "y")
    assert c1.read_reply() == [[b"st", [[b"2-0", [b"x", b"y"]]]]]
    wait_blocked(s, 1)
    ex(s, "XADD", "st", "3-0", "x", "z")
    assert c2.read_reply() == [[b"st", [[b"3-0", [b"x", b"z"]]]]]
    assert ex(s, "XPENDING", "st", "g")[0] == 2
