"""String commands with their edge cases, exact replies as redis-server 7.0 gives them."""

import time

from helpers import err

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOTINT = "ERR value is not an integer or out of range"
NOTFLOAT = "ERR value is not a valid float"
SYNTAX = "ERR syntax error"


def arity(cmd):
    return "ERR wrong number of arguments for '%s' command" % cmd


def test_get_set_basic(r):
    assert r.execute_command("GET", "k") is None
    assert r.execute_command("SET", "k", "v") == "OK"
    assert r.execute_command("GET", "k") == "v"
    assert r.execute_command("SET", "k", "") == "OK"
    assert r.execute_command("GET", "k") == ""
    binary = bytes(range(256))
    assert r.execute_command("SET", "bin", binary) == "OK"
    raw = r.connection  # single connection client
    raw.send_command("GET", "bin")
    assert raw.read_response(disable_decoding=True) == binary
    big = "x" * (1 << 20)
    assert r.execute_command("SET", "big", big) == "OK"
    assert r.execute_command("STRLEN", "big") == 1 << 20
    assert r.execute_command("GET", "big") == big
    assert err(r, "GET") == arity("get")
    assert err(r, "SET", "k") == arity("set")


def test_wrongtype(r):
    r.execute_command("LPUSH", "list", "a")
    for args in (("GET", "list"), ("APPEND", "list", "x"), ("STRLEN", "list"),
                 ("INCR", "list"), ("DECRBY", "list", "2"), ("INCRBYFLOAT", "list", "1"),
                 ("GETRANGE", "list", "0", "1"), ("SETRANGE", "list", "0", "x"),
                 ("GETDEL", "list"), ("GETEX", "list"), ("GETSET", "list", "x"),
                 ("SET", "list", "v", "GET")):
        assert err(r, *args) == WRONGTYPE, args
    # MGET answers nil for keys of another type.
    assert r.execute_command("MGET", "list", "nokey") == [None, None]
    # A plain SET replaces any type.
    assert r.execute_command("SET", "list", "now a string") == "OK"
    assert r.execute_command("TYPE", "list") == "string"


def test_set_options(r):
    assert r.execute_command("SET", "k", "v", "NX") == "OK"
    assert r.execute_command("SET", "k", "v2", "NX") is None
    assert r.execute_command("GET", "k") == "v"
    assert r.execute_command("SET", "k", "v3", "XX") == "OK"
    assert r.execute_command("SET", "missing", "v", "XX") is None
    assert r.execute_command("EXISTS", "missing") == 0
    assert r.execute_command("SET", "k", "v4", "GET") == "v3"
    assert r.execute_command("SET", "new", "v", "GET") is None
    assert r.execute_command("GET", "new") == "v"
    # NX + GET is allowed in 7.0: returns the old value and does not set.
    assert r.execute_command("SET", "k", "v5", "NX", "GET") == "v4"
    assert r.execute_command("GET", "k") == "v4"


def test_set_expire_options(r):
    assert r.execute_command("SET", "k", "v", "EX", "100") == "OK"
    assert 98 <= r.execute_command("TTL", "k") <= 100
    assert r.execute_command("SET", "k", "v", "PX", "100000") == "OK"
    assert 98000 <= r.execute_command("PTTL", "k") <= 100000
    now = int(time.time())
    assert r.execute_command("SET", "k", "v", "EXAT", str(now + 100)) == "OK"
    assert 95 <= r.execute_command("TTL", "k") <= 100
    assert r.execute_command("SET", "k", "v", "PXAT", str(now * 1000 + 100000)) == "OK"
    assert 95 <= r.execute_command("TTL", "k") <= 100
    assert r.execute_command("SET", "k", "v2", "KEEPTTL") == "OK"
    assert 95 <= r.execute_command("TTL", "k") <= 100
    assert r.execute_command("SET", "k", "v3") == "OK"
    assert r.execute_command("TTL", "k") == -1
    # An absolute time in the past stores nothing (the key is gone at once).
    assert r.execute_command("SET", "past", "v", "EXAT", "1") == "OK"
    assert r.execute_command("EXISTS", "past") == 0
    assert r.execute_command("SET", "k", "v", "ex", "10", "xx", "get") == "v3"


def test_set_errors(r):
    assert err(r, "SET", "k", "v", "EX", "0") == "ERR invalid expire time in 'set' command"
    assert err(r, "SET", "k", "v", "EX", "-1") == "ERR invalid expire time in 'set' command"
    assert err(r, "SET", "k", "v", "PX", "0") == "ERR invalid expire time in 'set' command"
    assert err(r, "SET", "k", "v", "EX", "9223372036854775807") == \
        "ERR invalid expire time in 'set' command"
    assert err(r, "SET", "k", "v", "PX", "abc") == NOTINT
    assert err(r, "SET", "k", "v", "EX") == SYNTAX
    assert err(r, "SET", "k", "v", "NX", "XX") == SYNTAX
    assert err(r, "SET", "k", "v", "EX", "10", "PX", "10") == SYNTAX
    assert err(r, "SET", "k", "v", "KEEPTTL", "EX", "5") == SYNTAX
    assert err(r, "SET", "k", "v", "FOO") == SYNTAX
    assert r.execute_command("EXISTS", "k") == 0


def test_setnx_setex_psetex(r):
    assert r.execute_command("SETNX", "k", "a") == 1
    assert r.execute_command("SETNX", "k", "b") == 0
    assert r.execute_command("GET", "k") == "a"
    assert r.execute_command("SETEX", "k", "100", "c") == "OK"
    assert r.execute_command("GET", "k") == "c"
    assert 98 <= r.execute_command("TTL", "k") <= 100
    assert r.execute_command("PSETEX", "p", "100000", "d") == "OK"
    assert 98000 <= r.execute_command("PTTL", "p") <= 100000
    assert err(r, "SETEX", "k", "0", "v") == "ERR invalid expire time in 'setex' command"
    assert err(r, "PSETEX", "k", "-1", "v") == "ERR invalid expire time in 'psetex' command"
    assert err(r, "SETEX", "k", "abc", "v") == NOTINT
    assert err(r, "SETNX", "k") == arity("setnx")
    assert err(r, "SETEX", "k", "10") == arity("setex")


def test_mget_mset_msetnx(r):
    assert r.execute_command("MSET", "a", "1", "b", "2") == "OK"
    assert r.execute_command("MGET", "a", "b", "c") == ["1", "2", None]
    assert r.execute_command("MSET", "a", "x", "a", "y") == "OK"
    assert r.execute_command("GET", "a") == "y"  # the last one wins
    assert r.execute_command("MSETNX", "c", "3", "a", "z") == 0
    assert r.execute_command("EXISTS", "c") == 0  # all or nothing
    assert r.execute_command("MSETNX", "c", "3", "d", "4") == 1
    assert r.execute_command("MGET", "c", "d") == ["3", "4"]
    assert err(r, "MSET", "a") == arity("mset")
    assert err(r, "MSET", "a", "1", "b") == arity("mset")
    assert err(r, "MSETNX", "a") == arity("msetnx")
    assert err(r, "MGET") == arity("mget")


def test_incr_decr(r):
    assert r.execute_command("INCR", "n") == 1
    assert r.execute_command("INCRBY", "n", "10") == 11
    assert r.execute_command("DECR", "n") == 10
    assert r.execute_command("DECRBY", "n", "20") == -10
    assert r.execute_command("INCRBY", "n", "-5") == -15
    assert r.execute_command("GET", "n") == "-15"
    assert r.execute_command("DECR", "fresh") == -1
    r.execute_command("SET", "s", "hello")
    assert err(r, "INCR", "s") == NOTINT
    assert err(r, "INCRBY", "n", "abc") == NOTINT
    assert err(r, "INCRBY", "n", "1.5") == NOTINT
    assert err(r, "INCRBY", "n", "9223372036854775808") == NOTINT
    for bad in ("  12", "1.5", "", "12 "):
        r.execute_command("SET", "bad", bad)
        assert err(r, "INCR", "bad") == NOTINT, bad
    r.execute_command("SET", "lead0", "012")
    assert err(r, "INCR", "lead0") == NOTINT


def test_incr_overflow(r):
    r.execute_command("SET", "max", "9223372036854775807")
    assert err(r, "INCR", "max") == "ERR increment or decrement would overflow"
    assert err(r, "INCRBY", "max", "1") == "ERR increment or decrement would overflow"
    assert r.execute_command("GET", "max") == "9223372036854775807"
    r.execute_command("SET", "min", "-9223372036854775808")
    assert err(r, "DECR", "min") == "ERR increment or decrement would overflow"
    assert err(r, "DECRBY", "x", "-9223372036854775808") == "ERR decrement would overflow"
    assert r.execute_command("DECRBY", "min", "-1") == -9223372036854775807


def test_incrbyfloat(r):
    r.execute_command("SET", "f", "10")
    assert r.execute_command("INCRBYFLOAT", "f", "0.5") == "10.5"
    assert r.execute_command("INCRBYFLOAT", "f", "5.0e3") == "5010.5"
    assert r.execute_command("INCRBYFLOAT", "f", "-10.5") == "5000"
    assert r.execute_command("INCRBYFLOAT", "new", "0.1") == "0.1"
    assert r.execute_command("INCRBYFLOAT", "new", "-0.1") == "0"
    r.execute_command("SET", "s", "abc")
    assert err(r, "INCRBYFLOAT", "s", "1") == NOTFLOAT
    assert err(r, "INCRBYFLOAT", "f", "abc") == NOTFLOAT
    assert err(r, "INCRBYFLOAT", "f", "1e5000") == NOTFLOAT
    assert err(r, "INCRBYFLOAT", "f", "inf") == "ERR increment would produce NaN or Infinity"
    assert r.execute_command("GET", "f") == "5000"
    r.execute_command("SET", "sp", "1 ")
    assert err(r, "INCRBYFLOAT", "sp", "1") == NOTFLOAT


def test_append_strlen(r):
    assert r.execute_command("APPEND", "k", "hello") == 5
    assert r.execute_command("APPEND", "k", " world") == 11
    assert r.execute_command("GET", "k") == "hello world"
    assert r.execute_command("APPEND", "k", "") == 11
    assert r.execute_command("STRLEN", "k") == 11
    assert r.execute_command("STRLEN", "nokey") == 0
    r.execute_command("SET", "n", "12")
    assert r.execute_command("APPEND", "n", "34") == 4
    assert r.execute_command("INCR", "n") == 1235
    assert r.execute_command("STRLEN", "n") == 4


def test_getrange(r):
    r.execute_command("SET", "s", "hello")
    assert r.execute_command("GETRANGE", "s", "0", "-1") == "hello"
    assert r.execute_command("GETRANGE", "s", "1", "3") == "ell"
    assert r.execute_command("GETRANGE", "s", "-3", "-1") == "llo"
    assert r.execute_command("GETRANGE", "s", "10", "20") == ""
    assert r.execute_command("GETRANGE", "s", "3", "1") == ""
    assert r.execute_command("GETRANGE", "s", "0", "100") == "hello"
    assert r.execute_command("GETRANGE", "s", "-100", "1") == "he"
    assert r.execute_command("GETRANGE", "nokey", "0", "-1") == ""
    assert err(r, "GETRANGE", "s", "a", "b") == NOTINT
    assert err(r, "GETRANGE", "s", "0") == arity("getrange")


def test_setrange(r):
    r.execute_command("SET", "s", "Hello World")
    assert r.execute_command("SETRANGE", "s", "6", "Redis") == 11
    assert r.execute_command("GET", "s") == "Hello Redis"
    assert r.execute_command("SETRANGE", "pad", "5", "x") == 6
    assert r.execute_command("GET", "pad") == "\x00\x00\x00\x00\x00x"
    assert r.execute_command("SETRANGE", "s", "20", "") == 11  # empty value: no growth
    assert r.execute_command("SETRANGE", "nokey", "0", "") == 0
    assert r.execute_command("EXISTS", "nokey") == 0
    assert err(r, "SETRANGE", "s", "-1", "x") == "ERR offset is out of range"
    assert err(r, "SETRANGE", "s", "536870912", "x") == \
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    assert err(r, "SETRANGE", "s", "abc", "x") == NOTINT


def test_getdel_getset(r):
    r.execute_command("SET", "k", "v")
    assert r.execute_command("GETDEL", "k") == "v"
    assert r.execute_command("EXISTS", "k") == 0
    assert r.execute_command("GETDEL", "k") is None
    assert r.execute_command("GETSET", "k", "a") is None
    assert r.execute_command("GETSET", "k", "b") == "a"
    r.execute_command("EXPIRE", "k", "100")
    assert r.execute_command("GETSET", "k", "c") == "b"
    assert r.execute_command("TTL", "k") == -1  # GETSET drops the TTL


def test_getex(r):
    r.execute_command("SET", "k", "v")
    assert r.execute_command("GETEX", "k") == "v"
    assert r.execute_command("TTL", "k") == -1
    assert r.execute_command("GETEX", "k", "EX", "100") == "v"
    assert 98 <= r.execute_command("TTL", "k") <= 100
    assert r.execute_command("GETEX", "k", "PX", "50000") == "v"
    assert 48 <= r.execute_command("TTL", "k") <= 50
    assert r.execute_command("GETEX", "k", "EXAT", str(int(time.time()) + 200)) == "v"
    assert 195 <= r.execute_command("TTL", "k") <= 200
    assert r.execute_command("GETEX", "k", "PERSIST") == "v"
    assert r.execute_command("TTL", "k") == -1
    assert r.execute_command("GETEX", "nokey", "EX", "10") is None
    assert err(r, "GETEX", "k", "EX", "0") == "ERR invalid expire time in 'getex' command"
    assert err(r, "GETEX", "k", "PXAT", "0") == "ERR invalid expire time in 'getex' command"
    assert err(r, "GETEX", "k", "PERSIST", "EX", "1") == SYNTAX
    assert err(r, "GETEX", "k", "FOO") == SYNTAX
    assert err(r, "GETEX", "k", "EX", "abc") == NOTINT
    # An absolute time in the past returns the value and deletes the key.
    assert r.execute_command("GETEX", "k", "EXAT", "1") == "v"
    assert r.execute_command("EXISTS", "k") == 0


def test_lcs(r):
    r.execute_command("MSET", "k1", "ohmytext", "k2", "mynewtext")
    assert r.execute_command("LCS", "k1", "k2") == "mytext"
    assert r.execute_command("LCS", "k1", "k2", "LEN") == 6
    assert r.execute_command("LCS", "k1", "k2", "IDX") == [
        "matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]
    assert r.execute_command("LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4",
                             "WITHMATCHLEN") == ["matches", [[[4, 7], [5, 8], 4]], "len", 6]
    assert r.execute_command("LCS", "k1", "nokey") == ""
    assert r.execute_command("LCS", "nokey", "nokey2", "LEN") == 0
    r.execute_command("LPUSH", "list", "a")
    assert err(r, "LCS", "k1", "list") == "ERR The specified keys must contain string values"
    assert err(r, "LCS", "k1", "k2", "LEN", "IDX") == \
        "ERR If you want both the length and indexes, please just use IDX."
    assert err(r, "LCS", "k1", "k2", "FOO") == SYNTAX
    assert err(r, "LCS", "k1", "k2", "MINMATCHLEN", "abc") == NOTINT
    assert err(r, "LCS", "k1") == arity("lcs")
