"""Keyspace commands and expiry, exact replies as redis-server 7.0 gives them."""

import time

from helpers import err, wait_until

NOTINT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"


def arity(cmd):
    return "ERR wrong number of arguments for '%s' command" % cmd


def test_del_unlink_exists(r):
    r.execute_command("MSET", "a", "1", "b", "2", "c", "3", "d", "4")
    assert r.execute_command("EXISTS", "a") == 1
    assert r.execute_command("EXISTS", "a", "a", "zz", "b") == 3  # repeats count
    assert r.execute_command("DEL", "a", "a", "zz") == 1
    assert r.execute_command("DEL", "a") == 0
    assert r.execute_command("UNLINK", "b", "c", "zz") == 2
    assert r.execute_command("EXISTS", "a", "b", "c") == 0
    assert r.execute_command("DBSIZE") == 1
    assert err(r, "DEL") == arity("del")
    assert err(r, "UNLINK") == arity("unlink")
    assert err(r, "EXISTS") == arity("exists")


def test_type(r):
    r.execute_command("SET", "s", "v")
    r.execute_command("LPUSH", "l", "v")
    assert [r.execute_command("TYPE", k) for k in ("s", "l", "none")] == \
        ["string", "list", "none"]


def test_type_other_families(r):
    r.execute_command("HSET", "h", "f", "v")
    r.execute_command("SADD", "st", "m")
    r.execute_command("ZADD", "z", "1", "m")
    assert [r.execute_command("TYPE", k) for k in ("h", "st", "z")] == ["hash", "set", "zset"]


def test_expire_ttl_persist(r):
    r.execute_command("SET", "k", "v")
    assert r.execute_command("TTL", "k") == -1
    assert r.execute_command("PTTL", "k") == -1
    assert r.execute_command("TTL", "nokey") == -2
    assert r.execute_command("PTTL", "nokey") == -2
    assert r.execute_command("EXPIRE", "k", "100") == 1
    assert 99 <= r.execute_command("TTL", "k") <= 100
    assert 98000 < r.execute_command("PTTL", "k") <= 100000
    assert r.execute_command("PEXPIRE", "k", "50000") == 1
    assert 49 <= r.execute_command("TTL", "k") <= 50
    assert r.execute_command("PERSIST", "k") == 1
    assert r.execute_command("PERSIST", "k") == 0
    assert r.execute_command("PERSIST", "nokey") == 0
    assert r.execute_command("TTL", "k") == -1
    assert r.execute_command("EXPIRE", "nokey", "100") == 0
    assert r.execute_command("PEXPIRE", "nokey", "100") == 0
    # A zero or negative TTL deletes the key at once.
    assert r.execute_command("EXPIRE", "k", "-1") == 1
    assert r.execute_command("EXISTS", "k") == 0
    r.execute_command("SET", "k", "v")
    assert r.execute_command("PEXPIRE", "k", "0") == 1
    assert r.execute_command("EXISTS", "k") == 0
    assert err(r, "EXPIRE", "k", "abc") == NOTINT
    assert err(r, "EXPIRE", "k", "9223372036854775807") == \
        "ERR invalid expire time in 'expire' command"
    assert err(r, "PEXPIRE", "k", "9223372036854775807") == \
        "ERR invalid expire time in 'pexpire' command"


def test_expire_options(r):
    r.execute_command("SET", "k", "v")
    assert r.execute_command("EXPIRE", "k", "100", "XX") == 0  # no TTL yet
    assert r.execute_command("EXPIRE", "k", "100", "NX") == 1
    assert r.execute_command("EXPIRE", "k", "200", "NX") == 0
    assert r.execute_command("EXPIRE", "k", "50", "GT") == 0
    assert r.execute_command("EXPIRE", "k", "200", "GT") == 1
    assert r.execute_command("EXPIRE", "k", "300", "LT") == 0
    assert r.execute_command("EXPIRE", "k", "150", "LT") == 1
    assert r.execute_command("EXPIRE", "k", "120", "XX") == 1
    assert 119 <= r.execute_command("TTL", "k") <= 120
    # No TTL counts as infinite for GT / LT.
    r.execute_command("SET", "p", "v")
    assert r.execute_command("EXPIRE", "p", "10", "GT") == 0
    assert r.execute_command("EXPIRE", "p", "10", "LT") == 1
    r.execute_command("SET", "q", "v")
    assert r.execute_command("PEXPIRE", "q", "10000", "LT") == 1
    assert r.execute_command("PEXPIRE", "q", "20000", "GT") == 1
    assert r.execute_command("PEXPIRE", "q", "1000", "GT") == 0
    assert err(r, "EXPIRE", "k", "10", "NX", "XX") == \
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    assert err(r, "EXPIRE", "k", "10", "GT", "LT") == \
        "ERR GT and LT options at the same time are not compatible"
    assert err(r, "EXPIRE", "k", "10", "FOO") == "ERR Unsupported option FOO"
    assert err(r, "PEXPIRE", "k", "10", "NX", "GT") == \
        "ERR NX and XX, GT or LT options at the same time are not compatible"


def test_expireat_and_expiretime(r):
    r.execute_command("SET", "k", "v")
    assert r.execute_command("EXPIRETIME", "k") == -1
    assert r.execute_command("PEXPIRETIME", "k") == -1
    assert r.execute_command("EXPIRETIME", "nokey") == -2
    assert r.execute_command("PEXPIRETIME", "nokey") == -2
    assert r.execute_command("EXPIREAT", "k", "4000000000") == 1
    assert r.execute_command("EXPIRETIME", "k") == 4000000000
    assert r.execute_command("PEXPIRETIME", "k") == 4000000000000
    assert r.execute_command("PEXPIREAT", "k", "4000000000123") == 1
    assert r.execute_command("PEXPIRETIME", "k") == 4000000000123
    assert r.execute_command("EXPIRETIME", "k") == 4000000000
    assert r.execute_command("EXPIREAT", "k", "4100000000", "LT") == 0
    assert r.execute_command("EXPIREAT", "k", "4100000000", "GT") == 1
    assert r.execute_command("PEXPIREAT", "k", "3900000000000", "XX") == 1
    assert r.execute_command("EXPIRETIME", "k") == 3900000000
    assert r.execute_command("EXPIREAT", "nokey", "4000000000") == 0
    # A time in the past deletes the key.
    assert r.execute_command("EXPIREAT", "k", "1") == 1
    assert r.execute_command("EXISTS", "k") == 0
    assert err(r, "EXPIREAT", "k", "abc") == NOTINT
    assert err(r, "EXPIRETIME") == arity("expiretime")


def test_lazy_expiry(r):
    r.execute_command("SET", "k", "v", "PX", "50")
    r.execute_command("SET", "keep", "v")
    time.sleep(0.15)
    assert r.execute_command("GET", "k") is None
    assert r.execute_command("EXISTS", "k") == 0
    assert r.execute_command("TTL", "k") == -2
    assert r.execute_command("GET", "keep") == "v"


def test_active_expiry(r):
    """Keys with a 100 ms TTL leave DBSIZE without being touched."""
    for i in range(20):
        r.execute_command("SET", "tmp:%d" % i, "v", "PX", "100")
    r.execute_command("SET", "keep", "v")
    assert r.execute_command("DBSIZE") == 21
    assert wait_until(lambda: r.execute_command("DBSIZE") == 1, timeout=3.0, interval=0.1)
    assert r.execute_command("GET", "keep") == "v"


def test_keys_patterns(r):
    r.execute_command("MSET", "a1", "1", "a2", "2", "b1", "3", "a*", "4", "hello", "5",
                      "hallo", "6")
    keys = lambda pat: sorted(r.execute_command("KEYS", pat))  # noqa: E731
    assert keys("*") == sorted(["a1", "a2", "b1", "a*", "hello", "hallo"])
    assert keys("a?") == ["a*", "a1", "a2"]
    assert keys("a\\*") == ["a*"]
    assert keys("[ab]1") == ["a1", "b1"]
    assert keys("h[^e]llo") == ["hallo"]
    assert keys("h[a-e]llo") == ["hallo", "hello"]
    assert keys("nomatch*") == []
    assert err(r, "KEYS") == arity("keys")


def _scan_all(r, *args, limit=10000):
    seen = []
    cursor = "0"
    for _ in range(limit):
        cursor, batch = r.execute_command("SCAN", cursor, *args)
        seen.extend(batch)
        if cursor == "0":
            return seen
    raise AssertionError("SCAN did not finish in %d calls" % limit)


def test_scan_full_iteration(r):
    names = ["key:%d" % i for i in range(1000)]
    r.execute_command("MSET", *[x for n in names for x in (n, "v")])
    for i in range(10):
        r.execute_command("LPUSH", "list:%d" % i, "x")
    seen = _scan_all(r, "COUNT", "10")
    assert set(seen) == set(names) | {"list:%d" % i for i in range(10)}
    assert set(_scan_all(r)) == set(seen)
    assert set(_scan_all(r, "MATCH", "key:99*", "COUNT", "50")) == \
        {"key:99"} | {"key:99%d" % i for i in range(10)}
    assert set(_scan_all(r, "TYPE", "list")) == {"list:%d" % i for i in range(10)}
    assert set(_scan_all(r, "MATCH", "list:1*", "TYPE", "list")) == {"list:1"}
    assert _scan_all(r, "TYPE", "string", "MATCH", "list:*") == []


def test_scan_empty_and_errors(r):
    assert r.execute_command("SCAN", "0") == ["0", []]
    assert err(r, "SCAN", "abc") == "ERR invalid cursor"
    assert err(r, "SCAN", "0", "COUNT", "0") == SYNTAX
    assert err(r, "SCAN", "0", "COUNT", "abc") == NOTINT
    assert err(r, "SCAN", "0", "MATCH") == SYNTAX
    assert err(r, "SCAN", "0", "TYPE") == SYNTAX
    assert err(r, "SCAN", "0", "FOO", "bar") == SYNTAX


def test_rename_renamenx(r):
    r.execute_command("SET", "a", "1", "EX", "100")
    r.execute_command("SET", "b", "2")
    assert r.execute_command("RENAME", "a", "c") == "OK"
    assert r.execute_command("EXISTS", "a") == 0
    assert r.execute_command("GET", "c") == "1"
    assert 98 <= r.execute_command("TTL", "c") <= 100  # the TTL moves along
    assert r.execute_command("RENAME", "c", "b") == "OK"  # overwrites
    assert r.execute_command("GET", "b") == "1"
    assert r.execute_command("RENAME", "b", "b") == "OK"
    r.execute_command("SET", "x", "y")
    assert r.execute_command("RENAMENX", "x", "b") == 0
    assert r.execute_command("RENAMENX", "x", "z") == 1
    assert r.execute_command("GET", "z") == "y"
    assert err(r, "RENAME", "nokey", "x") == "ERR no such key"
    assert err(r, "RENAMENX", "nokey", "x") == "ERR no such key"
    assert err(r, "RENAME", "a") == arity("rename")


def test_randomkey_touch(r):
    assert r.execute_command("RANDOMKEY") is None
    r.execute_command("MSET", "a", "1", "b", "2", "c", "3")
    for _ in range(10):
        assert r.execute_command("RANDOMKEY") in ("a", "b", "c")
    assert r.execute_command("TOUCH", "a", "b", "zz") == 2
    assert r.execute_command("TOUCH", "zz") == 0
    assert err(r, "TOUCH") == arity("touch")


def test_copy(r):
    r.execute_command("SET", "src", "v", "EX", "100")
    assert r.execute_command("COPY", "src", "dst") == 1
    assert r.execute_command("GET", "dst") == "v"
    assert 98 <= r.execute_command("TTL", "dst") <= 100
    r.execute_command("SET", "src", "v2")
    assert r.execute_command("GET", "dst") == "v"  # a copy, not a reference
    assert r.execute_command("COPY", "src", "dst") == 0
    assert r.execute_command("COPY", "src", "dst", "REPLACE") == 1
    assert r.execute_command("GET", "dst") == "v2"
    assert r.execute_command("COPY", "nokey", "dst2") == 0
    assert r.execute_command("COPY", "src", "dst", "DB", "1") == 1
    r.execute_command("SELECT", "1")
    assert r.execute_command("GET", "dst") == "v2"
    r.execute_command("SELECT", "0")
    assert err(r, "COPY", "src", "src") == "ERR source and destination objects are the same"
    assert err(r, "COPY", "src", "dst", "DB", "99") == "ERR DB index is out of range"
    assert err(r, "COPY", "src", "dst", "DB", "abc") == NOTINT
    assert err(r, "COPY", "src", "dst", "FOO") == SYNTAX


def test_copy_list(r):
    r.execute_command("RPUSH", "list", "a", "b")
    assert r.execute_command("COPY", "list", "list2") == 1
    r.execute_command("RPUSH", "list", "c")  # a deep copy: list2 unchanged
    assert r.execute_command("LRANGE", "list2", "0", "-1") == ["a", "b"]


def test_move(r):
    r.execute_command("SET", "k", "v")
    assert r.execute_command("MOVE", "k", "1") == 1
    assert r.execute_command("EXISTS", "k") == 0
    assert r.execute_command("MOVE", "k", "1") == 0
    r.execute_command("SET", "k", "other")
    assert r.execute_command("MOVE", "k", "1") == 0  # target exists
    assert r.execute_command("GET", "k") == "other"
    r.execute_command("SELECT", "1")
    assert r.execute_command("GET", "k") == "v"
    assert err(r, "MOVE", "k", "1") == "ERR source and destination objects are the same"
    assert err(r, "MOVE", "k", "99") == "ERR DB index is out of range"
    assert err(r, "MOVE", "k", "abc") == "ERR value is not an integer or out of range"


def test_object(r):
    r.execute_command("SET", "int", "123")
    r.execute_command("SET", "short", "abc")
    r.execute_command("SET", "long", "a" * 50)
    assert r.execute_command("OBJECT", "ENCODING", "int") == "int"
    assert r.execute_command("OBJECT", "ENCODING", "short") == "embstr"
    assert r.execute_command("OBJECT", "ENCODING", "long") == "raw"
    r.execute_command("APPEND", "short", "x")
    assert r.execute_command("OBJECT", "ENCODING", "short") == "raw"
    assert r.execute_command("OBJECT", "ENCODING", "nokey") is None
    assert r.execute_command("OBJECT", "REFCOUNT", "long") == 1
    assert r.execute_command("OBJECT", "REFCOUNT", "nokey") is None
    assert 0 <= r.execute_command("OBJECT", "IDLETIME", "long") <= 2
    assert r.execute_command("OBJECT", "IDLETIME", "nokey") is None
    assert err(r, "OBJECT", "FREQ", "long") == (
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
        "note that when switching between policies at runtime LRU and LFU data will take "
        "some time to adjust.")
    assert err(r, "OBJECT", "FOO", "long") == "ERR unknown subcommand 'FOO'. Try OBJECT HELP."
    assert isinstance(r.execute_command("OBJECT", "HELP"), list)


def test_object_freq_with_lfu(r):
    r.execute_command("SET", "k", "v")
    assert r.execute_command("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") == "OK"
    try:
        assert isinstance(r.execute_command("OBJECT", "FREQ", "k"), int)
        assert err(r, "OBJECT", "IDLETIME", "k") == (
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
            "that when switching between policies at runtime LRU and LFU data will take "
            "some time to adjust.")
    finally:
        r.execute_command("CONFIG", "SET", "maxmemory-policy", "noeviction")
