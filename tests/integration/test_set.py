"""Set commands: replies, errors, encodings and edge cases as redis-server 7.0 gives them.

Order of members is compared only where Redis defines it (an intset answers in
ascending order); hashtable replies are compared as sets.
"""

import pytest

from helpers import err

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOTINT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
POSITIVE = "ERR value is out of range, must be positive"


def arity(cmd):
    return "ERR wrong number of arguments for '%s' command" % cmd


def enc(r, key):
    return r.execute_command("OBJECT", "ENCODING", key)


def members(r, key):
    return set(r.execute_command("SMEMBERS", key))


def sadd_range(r, key, lo, hi):
    """SADD key lo..hi-1, in batches."""
    vals = [str(i) for i in range(lo, hi)]
    for i in range(0, len(vals), 500):
        r.execute_command("SADD", key, *vals[i:i + 500])


# ------------------------------------------------------------- SADD / encodings

def test_sadd_counts_and_intset_order(r):
    assert r.execute_command("SADD", "s", "3", "1", "2", "1") == 3
    assert r.execute_command("SADD", "s", "2", "-5") == 1
    assert enc(r, "s") == "intset"
    # An intset answers in ascending order.
    assert r.execute_command("SMEMBERS", "s") == ["-5", "1", "2", "3"]
    assert r.execute_command("SCARD", "s") == 4
    assert r.execute_command("TYPE", "s") == "set"


def test_intset_upgrade_widths(r):
    vals = ["1", "-40000", "70000", "5000000000", "-9223372036854775808",
            "9223372036854775807"]
    assert r.execute_command("SADD", "s", *vals) == 6
    assert enc(r, "s") == "intset"
    assert r.execute_command("SMEMBERS", "s") == sorted(vals, key=int)
    for v in vals:
        assert r.execute_command("SISMEMBER", "s", v) == 1


@pytest.mark.parametrize("member", ["01", "+1", " 1", "1 ", "-0", "1.0", "0x1", "",
                                    "9223372036854775808", "-9223372036854775809", "a"])
def test_non_canonical_integers_make_a_hashtable(r, member):
    assert r.execute_command("SADD", "s", member) == 1
    assert enc(r, "s") == "hashtable"
    assert r.execute_command("SISMEMBER", "s", member) == 1
    # An intset that receives such a member converts too.
    r.execute_command("SADD", "t", "1", "2")
    assert enc(r, "t") == "intset"
    assert r.execute_command("SADD", "t", member) == 1
    assert enc(r, "t") == "hashtable"
    assert members(r, "t") == {"1", "2", member}


def test_intset_threshold(r):
    sadd_range(r, "s", 0, 512)
    assert enc(r, "s") == "intset"
    assert r.execute_command("SADD", "s", "512") == 1
    assert enc(r, "s") == "hashtable"
    assert r.execute_command("SCARD", "s") == 513
    # No way back: removing members keeps the hashtable.
    r.execute_command("SREM", "s", *[str(i) for i in range(500)])
    assert enc(r, "s") == "hashtable"
    assert members(r, "s") == {str(i) for i in range(500, 513)}


def test_intset_threshold_config(r):
    old = r.execute_command("CONFIG", "GET", "set-max-intset-entries")[1]
    try:
        assert r.execute_command("CONFIG", "SET", "set-max-intset-entries", "3") == "OK"
        r.execute_command("SADD", "s", "1", "2", "3")
        assert enc(r, "s") == "intset"
        r.execute_command("SADD", "s", "4")
        assert enc(r, "s") == "hashtable"
        assert r.execute_command("CONFIG", "SET", "set-max-intset-entries", "0") == "OK"
        r.execute_command("SADD", "z", "1")
        assert enc(r, "z") == "hashtable"
    finally:
        r.execute_command("CONFIG", "SET", "set-max-intset-entries", old)


def test_binary_members(r):
    raw = r.connection
    blob = bytes(range(256))
    assert r.execute_command("SADD", "s", blob, b"a\x00b") == 2
    assert r.execute_command("SISMEMBER", "s", blob) == 1
    assert r.execute_command("SISMEMBER", "s", b"a\x00") == 0
    raw.send_command("SMEMBERS", "s")
    assert set(raw.read_response(disable_decoding=True)) == {blob, b"a\x00b"}


# ---------------------------------------------------------------- SREM etc.

def test_srem(r):
    assert r.execute_command("SREM", "nokey", "a") == 0
    r.execute_command("SADD", "s", "a", "b", "c")
    assert r.execute_command("SREM", "s", "a", "x", "a") == 1
    assert members(r, "s") == {"b", "c"}
    # The key goes with its last member.
    assert r.execute_command("SREM", "s", "b", "c", "d") == 2
    assert r.execute_command("EXISTS", "s") == 0
    r.execute_command("SADD", "i", "1", "2")
    assert r.execute_command("SREM", "i", "1", "x", "01") == 1
    assert r.execute_command("SMEMBERS", "i") == ["2"]


def test_sismember_smismember_scard(r):
    assert r.execute_command("SISMEMBER", "nokey", "a") == 0
    assert r.execute_command("SCARD", "nokey") == 0
    assert r.execute_command("SMISMEMBER", "nokey", "a", "b") == [0, 0]
    r.execute_command("SADD", "s", "a", "1")
    assert r.execute_command("SMISMEMBER", "s", "a", "b", "1", "a") == [1, 0, 1, 1]
    assert r.execute_command("SCARD", "s") == 2
    assert r.execute_command("SMEMBERS", "nokey") == []


def test_smove(r):
    r.execute_command("SADD", "src", "a", "b")
    r.execute_command("SET", "str", "x")
    assert r.execute_command("SMOVE", "nokey", "dst", "a") == 0
    assert r.execute_command("SMOVE", "nokey", "str", "a") == 0  # missing source first
    assert err(r, "SMOVE", "str", "dst", "a") == WRONGTYPE
    assert err(r, "SMOVE", "src", "str", "a") == WRONGTYPE
    assert r.execute_command("SMOVE", "src", "src", "a") == 1
    assert r.execute_command("SMOVE", "src", "src", "zz") == 0
    assert r.execute_command("SMOVE", "src", "dst", "zz") == 0
    assert r.execute_command("EXISTS", "dst") == 0
    assert r.execute_command("SMOVE", "src", "dst", "a") == 1
    assert members(r, "src") == {"b"}
    assert members(r, "dst") == {"a"}
    assert enc(r, "dst") == "hashtable"
    # Moving a member the destination already has still removes it from the source.
    r.execute_command("SADD", "dst", "b")
    assert r.execute_command("SMOVE", "src", "dst", "b") == 1
    assert r.execute_command("EXISTS", "src") == 0
    assert members(r, "dst") == {"a", "b"}
    # An integer member creates an intset destination.
    r.execute_command("SADD", "n", "5")
    assert r.execute_command("SMOVE", "n", "m", "5") == 1
    assert enc(r, "m") == "intset"


# ---------------------------------------------------------------------- SPOP

def test_spop_single(r):
    assert r.execute_command("SPOP", "nokey") is None
    r.execute_command("SADD", "s", "a", "b", "c")
    got = set()
    for _ in range(3):
        got.add(r.execute_command("SPOP", "s"))
    assert got == {"a", "b", "c"}
    assert r.execute_command("EXISTS", "s") == 0
    assert err(r, "SPOP", "s", "1", "2") == SYNTAX
    r.execute_command("SET", "str", "x")
    assert err(r, "SPOP", "str") == WRONGTYPE


def test_spop_count_errors(r):
    assert err(r, "SPOP", "s", "-1") == POSITIVE
    assert err(r, "SPOP", "s", "abc") == POSITIVE
    assert r.execute_command("SPOP", "nokey", "3") == []
    r.execute_command("SET", "str", "x")
    assert err(r, "SPOP", "str", "0") == WRONGTYPE
    r.execute_command("SADD", "s", "a")
    assert r.execute_command("SPOP", "s", "0") == []
    assert members(r, "s") == {"a"}


@pytest.mark.parametrize("size,count", [(10, 1), (10, 5), (10, 9), (100, 90), (100, 99),
                                        (10, 10), (10, 50)])
@pytest.mark.parametrize("kind", ["int", "str"])
def test_spop_count_cases(r, size, count, kind):
    vals = [str(i) if kind == "int" else "m%d" % i for i in range(size)]
    r.execute_command("SADD", "s", *vals)
    r.execute_command("EXPIRE", "s", 1000)
    popped = r.execute_command("SPOP", "s", count)
    assert len(popped) == min(count, size)
    assert len(set(popped)) == len(popped)
    assert set(popped) <= set(vals)
    left = members(r, "s")
    assert left | set(popped) == set(vals)
    assert not (left & set(popped))
    if count >= size:
        assert r.execute_command("EXISTS", "s") == 0
    else:
        assert r.execute_command("TTL", "s") > 0  # the key keeps its TTL
        assert enc(r, "s") == ("intset" if kind == "int" else "hashtable")


def test_spop_rebuild_may_shrink_to_intset(r):
    # A hashtable of integers popped down to a few: Redis rebuilds the rest
    # into a new value, which starts as an intset.
    sadd_range(r, "s", 0, 600)
    assert enc(r, "s") == "hashtable"
    assert len(r.execute_command("SPOP", "s", 595)) == 595
    assert r.execute_command("SCARD", "s") == 5
    assert enc(r, "s") == "intset"


# --------------------------------------------------------------- SRANDMEMBER

def test_srandmember_single(r):
    assert r.execute_command("SRANDMEMBER", "nokey") is None
    r.execute_command("SADD", "s", "a", "b")
    for _ in range(10):
        assert r.execute_command("SRANDMEMBER", "s") in ("a", "b")
    assert r.execute_command("SCARD", "s") == 2
    assert err(r, "SRANDMEMBER", "s", "1", "2") == SYNTAX


def test_srandmember_count_errors(r):
    assert err(r, "SRANDMEMBER", "s", "abc") == NOTINT
    assert err(r, "SRANDMEMBER", "s", "-9223372036854775808") == (
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807")
    assert r.execute_command("SRANDMEMBER", "nokey", "5") == []
    assert r.execute_command("SRANDMEMBER", "nokey", "-5") == []
    r.execute_command("SET", "str", "x")
    assert err(r, "SRANDMEMBER", "str", "0") == WRONGTYPE
    assert err(r, "SRANDMEMBER", "str") == WRONGTYPE


@pytest.mark.parametrize("kind", ["int", "str"])
def test_srandmember_count_cases(r, kind):
    vals = [str(i) if kind == "int" else "m%d" % i for i in range(30)]
    r.execute_command("SADD", "s", *vals)
    assert r.execute_command("SRANDMEMBER", "s", "0") == []
    for count in (1, 5, 9, 10, 11, 25, 29, 30, 31, 100):
        got = r.execute_command("SRANDMEMBER", "s", count)
        assert len(got) == min(count, 30), count
        assert len(set(got)) == len(got), count
        assert set(got) <= set(vals)
    # A negative count may repeat members and gives exactly -count of them.
    got = r.execute_command("SRANDMEMBER", "s", "-100")
    assert len(got) == 100
    assert set(got) <= set(vals)
    assert len(set(got)) < 100
    assert r.execute_command("SCARD", "s") == 30
    # Whole intset: ascending order, as Redis.
    if kind == "int":
        assert r.execute_command("SRANDMEMBER", "s", "30") == sorted(vals, key=int)


def test_srandmember_is_random(r):
    sadd_range(r, "s", 0, 50)
    seen = set()
    for _ in range(20):
        seen.update(r.execute_command("SRANDMEMBER", "s", "5"))
    assert len(seen) > 20


# ------------------------------------------------------- SINTER and friends

def setup_sets(r):
    r.execute_command("SADD", "a", "1", "2", "3", "4", "x")
    r.execute_command("SADD", "b", "2", "3", "5", "x", "y")
    r.execute_command("SADD", "c", "3", "x", "z")
    r.execute_command("SADD", "i1", "1", "2", "3", "4")
    r.execute_command("SADD", "i2", "3", "4", "5")
    r.execute_command("SET", "str", "v")


def test_sinter(r):
    setup_sets(r)
    assert members(r, "a") == {"1", "2", "3", "4", "x"}
    assert set(r.execute_command("SINTER", "a", "b")) == {"2", "3", "x"}
    assert set(r.execute_command("SINTER", "a", "b", "c")) == {"3", "x"}
    assert r.execute_command("SINTER", "i1", "i2") == ["3", "4"]
    assert set(r.execute_command("SINTER", "i1", "a")) == {"1", "2", "3", "4"}
    assert r.execute_command("SINTER", "a", "nokey") == []
    assert set(r.execute_command("SINTER", "a", "a")) == members(r, "a")
    # WRONGTYPE wins over a missing key, wherever it is.
    assert err(r, "SINTER", "nokey", "str") == WRONGTYPE
    assert err(r, "SINTER", "str", "nokey") == WRONGTYPE
    assert err(r, "SINTER") == arity("sinter")


def test_sinterstore(r):
    setup_sets(r)
    assert r.execute_command("SINTERSTORE", "d", "a", "b") == 3
    assert members(r, "d") == {"2", "3", "x"}
    assert enc(r, "d") == "hashtable"
    assert r.execute_command("SINTERSTORE", "d", "i1", "a") == 4
    assert enc(r, "d") == "intset"
    # Overwrites any type, drops the TTL.
    r.execute_command("EXPIRE", "str", 100)
    assert r.execute_command("SINTERSTORE", "str", "a", "c") == 2
    assert r.execute_command("TYPE", "str") == "set"
    assert r.execute_command("TTL", "str") == -1
    # Empty result: the destination is deleted.
    r.execute_command("SET", "s2", "v")
    assert r.execute_command("SINTERSTORE", "s2", "a", "nokey") == 0
    assert r.execute_command("EXISTS", "s2") == 0
    assert r.execute_command("SINTERSTORE", "d", "i2", "c", "a") == 1
    assert r.execute_command("SINTERSTORE", "d", "i1", "c") == 1
    assert r.execute_command("SINTERSTORE", "d", "i2", "x1") == 0
    assert r.execute_command("EXISTS", "d") == 0
    # The destination may be a source.
    assert r.execute_command("SINTERSTORE", "a", "a", "b") == 3
    assert members(r, "a") == {"2", "3", "x"}
    r.execute_command("SET", "str", "v")
    assert err(r, "SINTERSTORE", "d", "nokey", "str") == WRONGTYPE
    assert err(r, "SINTERSTORE", "d") == arity("sinterstore")


def test_sintercard(r):
    setup_sets(r)
    assert r.execute_command("SINTERCARD", "2", "a", "b") == 3
    assert r.execute_command("SINTERCARD", "1", "a") == 5
    assert r.execute_command("SINTERCARD", "2", "a", "b", "LIMIT", "0") == 3
    assert r.execute_command("SINTERCARD", "2", "a", "b", "limit", "2") == 2
    assert r.execute_command("SINTERCARD", "2", "a", "b", "LIMIT", "10") == 3
    assert r.execute_command("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "3") == 3
    assert r.execute_command("SINTERCARD", "2", "a", "nokey") == 0
    assert r.execute_command("SINTERCARD", "2", "i1", "i2") == 2
    assert err(r, "SINTERCARD", "0", "a") == "ERR numkeys should be greater than 0"
    assert err(r, "SINTERCARD", "-1", "a") == "ERR numkeys should be greater than 0"
    assert err(r, "SINTERCARD", "abc", "a") == "ERR numkeys should be greater than 0"
    assert err(r, "SINTERCARD", "3", "a", "b") == (
        "ERR Number of keys can't be greater than number of args")
    assert err(r, "SINTERCARD", "1", "a", "LIMIT", "-1") == "ERR LIMIT can't be negative"
    assert err(r, "SINTERCARD", "1", "a", "LIMIT", "x") == "ERR LIMIT can't be negative"
    assert err(r, "SINTERCARD", "1", "a", "LIMIT") == SYNTAX
    assert err(r, "SINTERCARD", "1", "a", "b") == SYNTAX
    assert err(r, "SINTERCARD", "2", "nokey", "str") == WRONGTYPE
    assert err(r, "SINTERCARD", "1") == arity("sintercard")


def test_sunion_sunionstore(r):
    setup_sets(r)
    assert set(r.execute_command("SUNION", "a", "c")) == {"1", "2", "3", "4", "x", "z"}
    assert r.execute_command("SUNION", "i1", "i2", "nokey") == ["1", "2", "3", "4", "5"]
    assert r.execute_command("SUNION", "nokey") == []
    assert err(r, "SUNION", "nokey", "str") == WRONGTYPE
    assert r.execute_command("SUNIONSTORE", "d", "i1", "i2") == 5
    assert enc(r, "d") == "intset"
    assert r.execute_command("SUNIONSTORE", "d", "i1", "c") == 6
    assert enc(r, "d") == "hashtable"
    assert r.execute_command("SUNIONSTORE", "str", "nokey") == 0
    assert r.execute_command("EXISTS", "str") == 0
    r.execute_command("SET", "str", "v")
    assert r.execute_command("SUNIONSTORE", "str", "c") == 3
    assert members(r, "str") == {"3", "x", "z"}
    # The union of intsets past the threshold is a hashtable.
    sadd_range(r, "big1", 0, 300)
    sadd_range(r, "big2", 300, 600)
    assert r.execute_command("SUNIONSTORE", "d", "big1", "big2") == 600
    assert enc(r, "d") == "hashtable"


def test_sdiff_sdiffstore(r):
    setup_sets(r)
    assert set(r.execute_command("SDIFF", "a", "b")) == {"1", "4"}
    assert set(r.execute_command("SDIFF", "a", "b", "c")) == {"1", "4"}
    assert set(r.execute_command("SDIFF", "a", "nokey")) == members(r, "a")
    assert r.execute_command("SDIFF", "nokey", "a") == []
    assert r.execute_command("SDIFF", "a", "a") == []
    assert r.execute_command("SDIFF", "i1", "i2") == ["1", "2"]
    assert err(r, "SDIFF", "nokey", "str") == WRONGTYPE
    assert err(r, "SDIFF", "a", "nokey", "str") == WRONGTYPE
    assert r.execute_command("SDIFFSTORE", "d", "i1", "i2") == 2
    assert r.execute_command("SMEMBERS", "d") == ["1", "2"]
    assert r.execute_command("SDIFFSTORE", "d", "a", "a", "b") == 0
    assert r.execute_command("EXISTS", "d") == 0
    r.execute_command("SET", "str", "v")
    assert r.execute_command("SDIFFSTORE", "str", "a", "i1") == 1
    assert r.execute_command("SMEMBERS", "str") == ["x"]


def test_sdiffstore_encoding_follows_redis_algorithm(r):
    # Redis 7.0 picks between probing and subtracting by size; subtracting
    # copies the whole first set first, so the result ends as a hashtable.
    sadd_range(r, "big", 0, 600)
    sadd_range(r, "a", 0, 10)
    sadd_range(r, "b", 10, 20)
    sadd_range(r, "m", 0, 200)
    assert r.execute_command("SDIFFSTORE", "d1", "big", "a", "b") == 580
    assert enc(r, "d1") == "hashtable"
    assert r.execute_command("SDIFFSTORE", "d2", "big", "m") == 400
    assert enc(r, "d2") == "intset"
    assert r.execute_command("SDIFFSTORE", "d3", "big", "a", "b", "nokey") == 580
    assert members(r, "d3") == {str(i) for i in range(20, 600)}


# --------------------------------------------------------------------- SSCAN

def full_sscan(r, key, *opts):
    cursor, seen, rounds = "0", [], 0
    while True:
        cursor, batch = r.execute_command("SSCAN", key, cursor, *opts)
        seen.extend(batch)
        rounds += 1
        assert rounds < 10000
        if cursor == "0":
            return seen, rounds


def test_sscan_intset_in_one_step(r):
    r.execute_command("SADD", "s", "3", "1", "2")
    assert r.execute_command("SSCAN", "s", "0") == ["0", ["1", "2", "3"]]
    assert r.execute_command("SSCAN", "s", "0", "COUNT", "1") == ["0", ["1", "2", "3"]]
    assert r.execute_command("SSCAN", "s", "0", "MATCH", "[12]") == ["0", ["1", "2"]]
    assert r.execute_command("SSCAN", "nokey", "0") == ["0", []]


def test_sscan_hashtable(r):
    vals = {"m%d" % i for i in range(1000)}
    r.execute_command("SADD", "s", *vals)
    seen, rounds = full_sscan(r, "s")
    assert set(seen) == vals
    assert rounds > 10
    seen, _ = full_sscan(r, "s", "COUNT", "100", "MATCH", "m1*")
    assert set(seen) == {v for v in vals if v.startswith("m1")}


def test_sscan_errors(r):
    r.execute_command("SADD", "s", "a")
    r.execute_command("SET", "str", "x")
    assert err(r, "SSCAN", "s", "abc") == "ERR invalid cursor"
    assert err(r, "SSCAN", "s", "18446744073709551616") == "ERR invalid cursor"
    assert err(r, "SSCAN", "s", "0", "COUNT", "0") == SYNTAX
    assert err(r, "SSCAN", "s", "0", "COUNT", "abc") == NOTINT
    assert err(r, "SSCAN", "s", "0", "MATCH") == SYNTAX
    assert err(r, "SSCAN", "s", "0", "TYPE", "string") == SYNTAX
    assert err(r, "SSCAN", "str", "0") == WRONGTYPE
    assert err(r, "SSCAN", "str", "0", "COUNT", "0") == WRONGTYPE
    # The key is looked up before the options are read.
    assert r.execute_command("SSCAN", "nokey", "0", "COUNT", "0") == ["0", []]
    assert err(r, "SSCAN", "s") == arity("sscan")


# ------------------------------------------------------ errors for every command

def test_wrongtype_everywhere(r):
    r.execute_command("SET", "str", "x")
    r.execute_command("SADD", "s", "a")
    for args in (("SADD", "str", "a"), ("SREM", "str", "a"), ("SISMEMBER", "str", "a"),
                 ("SMISMEMBER", "str", "a"), ("SCARD", "str"), ("SMEMBERS", "str"),
                 ("SPOP", "str"), ("SPOP", "str", "2"), ("SRANDMEMBER", "str"),
                 ("SRANDMEMBER", "str", "2"), ("SINTER", "s", "str"),
                 ("SINTERSTORE", "d", "s", "str"), ("SUNION", "s", "str"),
                 ("SUNIONSTORE", "d", "str"), ("SDIFF", "s", "str"),
                 ("SDIFFSTORE", "d", "str", "s"), ("SINTERCARD", "2", "s", "str"),
                 ("SSCAN", "str", "0")):
        assert err(r, *args) == WRONGTYPE, args
    assert r.execute_command("GET", "str") == "x"
    assert r.execute_command("EXISTS", "d") == 0


def test_arity(r):
    for args in (("SADD", "s"), ("SREM", "s"), ("SISMEMBER", "s"), ("SMISMEMBER", "s"),
                 ("SCARD",), ("SMEMBERS",), ("SPOP",), ("SRANDMEMBER",), ("SMOVE", "a", "b"),
                 ("SINTER",), ("SUNION",), ("SDIFF",), ("SUNIONSTORE", "d"),
                 ("SDIFFSTORE", "d"), ("SSCAN", "s")):
        assert err(r, *args) == arity(args[0].lower()), args


def test_multi_exec_and_watch(r, client_factory):
    other = client_factory()
    r.execute_command("SADD", "s", "a")
    r.execute_command("WATCH", "s")
    other.execute_command("SADD", "s", "b")
    r.execute_command("MULTI")
    r.execute_command("SCARD", "s")
    assert r.execute_command("EXEC") is None
    # A no-op SADD does not touch the key for WATCH.
    r.execute_command("WATCH", "s")
    other.execute_command("SADD", "s", "b")
    r.execute_command("MULTI")
    r.execute_command("SCARD", "s")
    assert r.execute_command("EXEC") == [2]


def test_copy_keeps_encoding(r):
    r.execute_command("SADD", "i", "1", "2")
    r.execute_command("SADD", "h", "x", "y")
    assert r.execute_command("COPY", "i", "i2") == 1
    assert r.execute_command("COPY", "h", "h2") == 1
    assert enc(r, "i2") == "intset"
    assert enc(r, "h2") == "hashtable"
    r.execute_command("SADD", "i2", "3")
    r.execute_command("SREM", "h2", "x")
    assert members(r, "i") == {"1", "2"}
    assert members(r, "h") == {"x", "y"}
    assert members(r, "h2") == {"y"}

