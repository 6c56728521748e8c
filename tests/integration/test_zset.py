"""Sorted set commands (ZADD ... ZSCAN, BZPOPMIN/BZPOPMAX/BZMPOP) with the replies, errors and
encodings of redis-server 7.0, plain and over TLS."""

import random
import time

import pytest

from helpers import encode_command, encoding_limits, err, wait_blocked

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOTINT = "ERR value is not an integer or out of range"
NOTFLOAT = "ERR value is not a valid float"
SYNTAX = "ERR syntax error"
MINMAX_FLOAT = "ERR min or max is not a float"
MINMAX_LEX = "ERR min or max not valid string range item"


def enc(r, key):
    return r.execute_command("OBJECT", "ENCODING", key)


def ex(r, *args):
    return r.execute_command(*args)


def zset_limits(r, entries=None, value=None):
    return encoding_limits(r, "zset", entries, value)


def make_zset(r, key, n, encoding):
    """A zset of members m0..m(n-1) with score i, in the wanted encoding."""
    args = []
    for i in range(n):
        args += [str(i), "m%d" % i]
    if encoding == "skiplist":
        args += ["0", "x" * 100]
    ex(r, "ZADD", key, *args)
    if encoding == "skiplist":
        ex(r, "ZREM", key, "x" * 100)
    assert enc(r, key) == encoding


ENCODINGS = ["listpack", "skiplist"]


# ------------------------------------------------------------------ ZADD

def test_zadd_basic_and_type(r):
    assert ex(r, "ZADD", "z", "1", "a", "2", "b") == 2
    assert ex(r, "ZADD", "z", "3", "a", "4", "c") == 1
    assert ex(r, "ZRANGE", "z", "0", "-1", "WITHSCORES") == ["b", "2", "a", "3", "c", "4"]
    assert ex(r, "TYPE", "z") == "zset"
    assert enc(r, "z") == "listpack"
    assert ex(r, "ZCARD", "z") == 3
    assert ex(r, "ZCARD", "nokey") == 0


def test_zadd_flags(r):
    ex(r, "ZADD", "z", "1", "a")
    assert ex(r, "ZADD", "z", "NX", "5", "a", "2", "b") == 1
    assert ex(r, "ZSCORE", "z", "a") == "1"
    assert ex(r, "ZADD", "z", "XX", "5", "a", "3", "c") == 0
    assert ex(r, "ZSCORE", "z", "a") == "5"
    assert ex(r, "ZSCORE", "z", "c") is None
    assert ex(r, "ZADD", "z", "CH", "6", "a", "2", "b", "9", "d") == 2
    assert ex(r, "ZADD", "z", "GT", "CH", "1", "a", "7", "b") == 1
    assert ex(r, "ZMSCORE", "z", "a", "b") == ["6", "7"]
    assert ex(r, "ZADD", "z", "LT", "CH", "10", "a", "1", "b", "0", "e") == 2
    assert ex(r, "ZMSCORE", "z", "a", "b", "e") == ["6", "1", "0"]
    assert ex(r, "ZADD", "nokey", "XX", "1", "a") == 0
    assert ex(r, "EXISTS", "nokey") == 0


def test_zadd_incr(r):
    assert ex(r, "ZADD", "z", "INCR", "2.5", "a") == "2.5"
    assert ex(r, "ZADD", "z", "INCR", "1", "a") == "3.5"
    assert ex(r, "ZADD", "z", "NX", "INCR", "1", "a") is None
    assert ex(r, "ZADD", "z", "XX", "INCR", "1", "b") is None
    assert ex(r, "ZADD", "z", "GT", "INCR", "-1", "a") is None
    assert ex(r, "ZADD", "z", "LT", "INCR", "-1", "a") == "2.5"
    assert ex(r, "ZINCRBY", "z", "10", "a") == "12.5"
    assert ex(r, "ZINCRBY", "z", "-inf", "n") == "-inf"
    assert err(r, "ZINCRBY", "z", "+inf", "n") == "ERR resulting score is not a number (NaN)"
    assert ex(r, "ZSCORE", "z", "n") == "-inf"
    assert err(r, "ZINCRBY", "z", "abc", "a") == NOTFLOAT


def test_zadd_errors(r):
    ex(r, "SET", "s", "x")
    assert err(r, "ZADD", "z", "XX", "NX", "1", "a") == \
        "ERR XX and NX options at the same time are not compatible"
    gtlt = "ERR GT, LT, and/or NX options at the same time are not compatible"
    assert err(r, "ZADD", "z", "GT", "LT", "1", "a") == gtlt
    assert err(r, "ZADD", "z", "GT", "NX", "1", "a") == gtlt
    assert err(r, "ZADD", "z", "LT", "NX", "1", "a") == gtlt
    assert err(r, "ZADD", "z", "INCR", "1", "a", "2", "b") == \
        "ERR INCR option supports a single increment-element pair"
    assert err(r, "ZADD", "z", "1", "a", "2") == SYNTAX
    assert err(r, "ZADD", "z", "NX", "XX") == SYNTAX
    for bad in ("nan", "x", "", " 1", "1e400", "1.5.5"):
        assert err(r, "ZADD", "z", bad, "a") == NOTFLOAT
    assert ex(r, "EXISTS", "z") == 0
    assert err(r, "ZADD", "s", "1", "a") == WRONGTYPE
    # the score is checked before the type
    assert err(r, "ZADD", "s", "x", "a") == NOTFLOAT
    assert err(r, "ZADD", "z") == "ERR wrong number of arguments for 'zadd' command"


def test_scores_format(r):
    ex(r, "ZADD", "z", "1.5", "a", "-inf", "b", "+inf", "c", "0.1", "d", "1e20", "e",
       "3.0", "f", "-0", "g")
    assert ex(r, "ZRANGE", "z", "0", "-1", "WITHSCORES") == [
        "b", "-inf", "g", "0", "d", "0.10000000000000001", "a", "1.5", "f", "3",
        "e", "1e+20", "c", "inf"]


# --------------------------------------------------------- simple reads

@pytest.mark.parametrize("encoding", ENCODINGS)
def test_reads(r, encoding):
    make_zset(r, "z", 10, encoding)
    assert ex(r, "ZSCORE", "z", "m3") == "3"
    assert ex(r, "ZSCORE", "z", "zz") is None
    assert ex(r, "ZSCORE", "nokey", "m3") is None
    assert ex(r, "ZMSCORE", "z", "m1", "zz", "m9") == ["1", None, "9"]
    assert ex(r, "ZMSCORE", "nokey", "a", "b") == [None, None]
    assert ex(r, "ZRANK", "z", "m0") == 0
    assert ex(r, "ZRANK", "z", "m9") == 9
    assert ex(r, "ZREVRANK", "z", "m9") == 0
    assert ex(r, "ZREVRANK", "z", "m2") == 7
    assert ex(r, "ZRANK", "z", "zz") is None
    assert ex(r, "ZRANK", "nokey", "zz") is None
    assert ex(r, "ZCOUNT", "z", "-inf", "+inf") == 10
    assert ex(r, "ZCOUNT", "z", "(2", "5") == 3
    assert ex(r, "ZCOUNT", "z", "2", "(5") == 3
    assert ex(r, "ZCOUNT", "z", "5", "2") == 0
    assert ex(r, "ZCOUNT", "z", "(5", "5") == 0
    assert ex(r, "ZCOUNT", "nokey", "0", "1") == 0
    assert err(r, "ZCOUNT", "z", "a", "1") == MINMAX_FLOAT
    # strtod rules: an empty bound reads as 0
    assert ex(r, "ZCOUNT", "z", "", "1") == 2
    assert ex(r, "ZCOUNT", "z", "(", "1") == 1


def test_wrongtype_reads(r):
    ex(r, "SET", "s", "x")
    for args in (("ZSCORE", "s", "a"), ("ZMSCORE", "s", "a"), ("ZRANK", "s", "a"),
                 ("ZREVRANK", "s", "a"), ("ZCARD", "s"), ("ZCOUNT", "s", "0", "1"),
                 ("ZLEXCOUNT", "s", "-", "+"), ("ZRANGE", "s", "0", "1"),
                 ("ZRANGEBYSCORE", "s", "0", "1"), ("ZRANGEBYLEX", "s", "-", "+"),
                 ("ZREM", "s", "a"), ("ZREMRANGEBYRANK", "s", "0", "1"),
                 ("ZPOPMIN", "s"), ("ZRANDMEMBER", "s"), ("ZSCAN", "s", "0"),
                 ("ZINCRBY", "s", "1", "a"), ("ZUNION", "1", "s"),
                 ("ZRANGESTORE", "d", "s", "0", "1")):
        assert err(r, *args) == WRONGTYPE, args


# ---------------------------------------------------------------- ZRANGE

@pytest.mark.parametrize("encoding", ENCODINGS)
def test_zrange_rank(r, encoding):
    make_zset(r, "z", 5, encoding)
    assert ex(r, "ZRANGE", "z", "0", "-1") == ["m0", "m1", "m2", "m3", "m4"]
    assert ex(r, "ZRANGE", "z", "1", "2", "WITHSCORES") == ["m1", "1", "m2", "2"]
    assert ex(r, "ZRANGE", "z", "-2", "100") == ["m3", "m4"]
    assert ex(r, "ZRANGE", "z", "-100", "0") == ["m0"]
    assert ex(r, "ZRANGE", "z", "3", "1") == []
    assert ex(r, "ZRANGE", "z", "5", "10") == []
    assert ex(r, "ZRANGE", "z", "0", "1", "REV") == ["m4", "m3"]
    assert ex(r, "ZREVRANGE", "z", "0", "1", "WITHSCORES") == ["m4", "4", "m3", "3"]
    assert ex(r, "ZREVRANGE", "z", "-1", "-1") == ["m0"]
    assert ex(r, "ZRANGE", "nokey", "0", "-1") == []
    assert err(r, "ZRANGE", "z", "a", "1") == NOTINT
    assert err(r, "ZRANGE", "z", "0", "1", "LIMIT", "0", "1") == \
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    # "LIMIT x -1" is no limit at all, so it is accepted
    assert ex(r, "ZRANGE", "z", "0", "0", "LIMIT", "5", "-1") == ["m0"]
    assert err(r, "ZRANGE", "z", "0", "1", "FOO") == SYNTAX
    assert err(r, "ZREVRANGE", "z", "0", "1", "REV") == SYNTAX
    assert err(r, "ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX") == SYNTAX


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_zrange_byscore(r, encoding):
    make_zset(r, "z", 6, encoding)
    assert ex(r, "ZRANGE", "z", "1", "3", "BYSCORE") == ["m1", "m2", "m3"]
    assert ex(r, "ZRANGE", "z", "(1", "(3", "BYSCORE", "WITHSCORES") == ["m2", "2"]
    assert ex(r, "ZRANGE", "z", "3", "1", "BYSCORE", "REV") == ["m3", "m2", "m1"]
    assert ex(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2") == ["m1", "m2"]
    assert ex(r, "ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2") == \
        ["m4", "m3"]
    assert ex(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2") == []
    assert ex(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "6", "2") == []
    assert ex(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "4", "-5") == ["m4", "m5"]
    assert ex(r, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0") == []
    assert ex(r, "ZRANGEBYSCORE", "z", "4", "+inf", "WITHSCORES") == ["m4", "4", "m5", "5"]
    assert ex(r, "ZRANGEBYSCORE", "z", "(4", "5", "LIMIT", "0", "10") == ["m5"]
    assert ex(r, "ZREVRANGEBYSCORE", "z", "+inf", "(4") == ["m5"]
    assert ex(r, "ZREVRANGEBYSCORE", "z", "2", "0", "WITHSCORES", "LIMIT", "1", "1") == \
        ["m1", "1"]
    assert ex(r, "ZRANGEBYSCORE", "z", "3", "1") == []
    assert ex(r, "ZRANGEBYSCORE", "z", "(2", "2") == []
    assert err(r, "ZRANGEBYSCORE", "z", "x", "1") == MINMAX_FLOAT
    assert err(r, "ZRANGEBYSCORE", "z", "1", "nan") == MINMAX_FLOAT
    assert err(r, "ZRANGEBYSCORE", "z", "0", "1", "BYLEX") == SYNTAX
    assert err(r, "ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "0") == SYNTAX
    assert err(r, "ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "a", "1") == NOTINT


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_zrange_bylex(r, encoding):
    args = []
    for m in ("a", "b", "c", "d", "e", "ff"):
        args += ["0", m]
    ex(r, "ZADD", "z", *args)
    if encoding == "skiplist":
        ex(r, "ZADD", "z", "0", "z" * 100)
        ex(r, "ZREM", "z", "z" * 100)
    assert enc(r, "z") == encoding
    assert ex(r, "ZRANGE", "z", "[b", "(d", "BYLEX") == ["b", "c"]
    assert ex(r, "ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "2", "2") == ["c", "d"]
    assert ex(r, "ZRANGE", "z", "+", "[e", "BYLEX", "REV") == ["ff", "e"]
    assert ex(r, "ZRANGEBYLEX", "z", "(a", "[c") == ["b", "c"]
    assert ex(r, "ZRANGEBYLEX", "z", "[f", "+") == ["ff"]
    assert ex(r, "ZREVRANGEBYLEX", "z", "(c", "-") == ["b", "a"]
    assert ex(r, "ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "1", "2") == ["e", "d"]
    assert ex(r, "ZRANGEBYLEX", "z", "+", "-") == []
    assert ex(r, "ZRANGEBYLEX", "z", "[c", "(c") == []
    assert ex(r, "ZLEXCOUNT", "z", "-", "+") == 6
    assert ex(r, "ZLEXCOUNT", "z", "[b", "[d") == 3
    assert ex(r, "ZLEXCOUNT", "z", "(b", "(d") == 1
    assert ex(r, "ZLEXCOUNT", "nokey", "-", "+") == 0
    for bad in (("a", "+"), ("-", "c"), ("[a", "++"), ("", "+")):
        assert err(r, "ZRANGEBYLEX", "z", *bad) == MINMAX_LEX
        assert err(r, "ZLEXCOUNT", "z", *bad) == MINMAX_LEX
    assert err(r, "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == \
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    assert err(r, "ZRANGEBYLEX", "z", "-", "+", "WITHSCORES") == \
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX"


def test_zrangestore(r):
    make_zset(r, "z", 5, "listpack")
    assert ex(r, "ZRANGESTORE", "d", "z", "1", "2") == 2
    assert ex(r, "ZRANGE", "d", "0", "-1", "WITHSCORES") == ["m1", "1", "m2", "2"]
    assert enc(r, "d") == "listpack"
    assert ex(r, "ZRANGESTORE", "d", "z", "(3", "+inf", "BYSCORE") == 1
    assert ex(r, "ZRANGE", "d", "0", "-1") == ["m4"]
    assert ex(r, "ZRANGESTORE", "d", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2") == 2
    assert ex(r, "ZRANGE", "d", "0", "-1") == ["m3", "m4"]
    ex(r, "EXPIRE", "d", "100")
    assert ex(r, "ZRANGESTORE", "d", "z", "[m1", "[m2", "BYLEX") == 2
    assert ex(r, "TTL", "d") == -1
    # an empty result deletes the destination
    assert ex(r, "ZRANGESTORE", "d", "z", "10", "20") == 0
    assert ex(r, "EXISTS", "d") == 0
    ex(r, "SET", "d", "x")
    assert ex(r, "ZRANGESTORE", "d", "nokey", "0", "-1") == 0
    assert ex(r, "EXISTS", "d") == 0
    assert err(r, "ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES") == SYNTAX
    # storing onto the source
    assert ex(r, "ZRANGESTORE", "z", "z", "0", "1") == 2
    assert ex(r, "ZRANGE", "z", "0", "-1") == ["m0", "m1"]


def test_zrangestore_encoding(r):
    make_zset(r, "big", 200, "skiplist")
    assert ex(r, "ZRANGESTORE", "d", "big", "0", "9") == 10
    assert enc(r, "d") == "listpack"
    assert ex(r, "ZRANGESTORE", "d", "big", "0", "150") == 151
    assert enc(r, "d") == "skiplist"


# -------------------------------------------------------- removal

@pytest.mark.parametrize("encoding", ENCODINGS)
def test_zrem_and_ranges(r, encoding):
    make_zset(r, "z", 10, encoding)
    assert ex(r, "ZREM", "z", "m0", "zz", "m0", "m1") == 2
    assert ex(r, "ZREM", "nokey", "a") == 0
    assert ex(r, "ZREMRANGEBYRANK", "z", "0", "0") == 1
    assert ex(r, "ZRANGE", "z", "0", "0") == ["m3"]
    assert ex(r, "ZREMRANGEBYRANK", "z", "-2", "-1") == 2
    assert ex(r, "ZREMRANGEBYRANK", "z", "5", "1") == 0
    assert ex(r, "ZREMRANGEBYSCORE", "z", "(3", "4") == 1
    assert ex(r, "ZREMRANGEBYSCORE", "z", "100", "200") == 0
    assert ex(r, "ZRANGE", "z", "0", "-1") == ["m3", "m5", "m6", "m7"]
    assert ex(r, "ZREMRANGEBYRANK", "nokey", "0", "1") == 0
    assert err(r, "ZREMRANGEBYRANK", "z", "a", "1") == NOTINT
    assert err(r, "ZREMRANGEBYSCORE", "z", "a", "1") == MINMAX_FLOAT
    assert err(r, "ZREMRANGEBYLEX", "z", "a", "1") == MINMAX_LEX
    # removing everything removes the key
    assert ex(r, "ZREMRANGEBYSCORE", "z", "-inf", "+inf") == 4
    assert ex(r, "EXISTS", "z") == 0
    ex(r, "ZADD", "z", "1", "a")
    assert ex(r, "ZREM", "z", "a") == 1
    assert ex(r, "EXISTS", "z") == 0


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_zremrangebylex(r, encoding):
    args = []
    for m in ("a", "b", "c", "d"):
        args += ["0", m]
    ex(r, "ZADD", "z", *args)
    if encoding == "skiplist":
        ex(r, "ZADD", "z", "0", "z" * 100)
        ex(r, "ZREM", "z", "z" * 100)
    assert ex(r, "ZREMRANGEBYLEX", "z", "(a", "[c") == 2
    assert ex(r, "ZRANGE", "z", "0", "-1") == ["a", "d"]
    assert ex(r, "ZREMRANGEBYLEX", "z", "-", "+") == 2
    assert ex(r, "EXISTS", "z") == 0


# ------------------------------------------------------------ pops

@pytest.mark.parametrize("encoding", ENCODINGS)
def test_zpop(r, encoding):
    make_zset(r, "z", 5, encoding)
    assert ex(r, "ZPOPMIN", "z") == ["m0", "0"]
    assert ex(r, "ZPOPMAX", "z") == ["m4", "4"]
    assert ex(r, "ZPOPMIN", "z", "2") == ["m1", "1", "m2", "2"]
    assert ex(r, "ZPOPMIN", "z", "0") == []
    assert ex(r, "ZPOPMAX", "z", "10") == ["m3", "3"]
    assert ex(r, "EXISTS", "z") == 0
    assert ex(r, "ZPOPMIN", "nokey") == []
    assert ex(r, "ZPOPMIN", "nokey", "3") == []
    positive = "ERR value is out of range, must be positive"
    assert err(r, "ZPOPMIN", "z", "-1") == positive
    assert err(r, "ZPOPMIN", "z", "x") == positive
    assert err(r, "ZPOPMAX", "z", "1", "2") == SYNTAX


def test_zmpop(r):
    make_zset(r, "z", 4, "listpack")
    assert ex(r, "ZMPOP", "2", "nokey", "z", "MIN") == ["z", [["m0", "0"]]]
    assert ex(r, "ZMPOP", "1", "z", "MAX", "COUNT", "2") == ["z", [["m3", "3"], ["m2", "2"]]]
    assert ex(r, "ZMPOP", "1", "z", "max", "count", "10") == ["z", [["m1", "1"]]]
    assert ex(r, "EXISTS", "z") == 0
    assert ex(r, "ZMPOP", "2", "z", "nokey", "MIN") is None
    assert err(r, "ZMPOP", "0", "z", "MIN") == "ERR numkeys should be greater than 0"
    assert err(r, "ZMPOP", "x", "z", "MIN") == "ERR numkeys should be greater than 0"
    assert err(r, "ZMPOP", "1", "z", "MIN", "COUNT", "0") == \
        "ERR count should be greater than 0"
    assert err(r, "ZMPOP", "1", "z", "FOO") == SYNTAX
    assert err(r, "ZMPOP", "3", "z", "MIN") == SYNTAX
    assert err(r, "ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1") == SYNTAX
    ex(r, "SET", "s", "x")
    assert err(r, "ZMPOP", "2", "nokey", "s", "MIN") == WRONGTYPE


# ---------------------------------------------------- set operations

def test_zunion_zinter_zdiff(r):
    ex(r, "ZADD", "a", "1", "x", "2", "y", "3", "z")
    ex(r, "ZADD", "b", "10", "y", "20", "z", "30", "w")
    assert ex(r, "ZUNION", "2", "a", "b", "WITHSCORES") == \
        ["x", "1", "y", "12", "z", "23", "w", "30"]
    assert ex(r, "ZUNION", "2", "a", "b", "AGGREGATE", "MIN") == ["x", "y", "z", "w"]
    assert ex(r, "ZUNION", "2", "a", "b", "WEIGHTS", "2", "-1", "AGGREGATE", "MAX",
              "WITHSCORES") == ["w", "-30", "x", "2", "y", "4", "z", "6"]
    assert ex(r, "ZINTER", "2", "a", "b", "WITHSCORES") == ["y", "12", "z", "23"]
    assert ex(r, "ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES") == \
        ["y", "10", "z", "20"]
    assert ex(r, "ZINTER", "2", "a", "nokey") == []
    assert ex(r, "ZDIFF", "2", "a", "b", "WITHSCORES") == ["x", "1"]
    assert ex(r, "ZDIFF", "2", "a", "a") == []
    assert ex(r, "ZDIFF", "2", "nokey", "a") == []
    assert ex(r, "ZINTERCARD", "2", "a", "b") == 2
    assert ex(r, "ZINTERCARD", "2", "a", "b", "LIMIT", "1") == 1
    assert ex(r, "ZINTERCARD", "2", "a", "b", "LIMIT", "0") == 2
    assert err(r, "ZINTERCARD", "2", "a", "b", "LIMIT", "-1") == "ERR LIMIT can't be negative"


def test_setop_weights_inf(r):
    ex(r, "ZADD", "a", "inf", "x", "1", "y")
    ex(r, "ZADD", "b", "-inf", "x", "2", "y")
    assert ex(r, "ZUNION", "2", "a", "b", "WITHSCORES") == ["x", "0", "y", "3"]
    assert ex(r, "ZUNION", "1", "a", "WEIGHTS", "0", "WITHSCORES") == ["x", "0", "y", "0"]


def test_setop_store(r):
    ex(r, "ZADD", "a", "1", "x", "2", "y")
    ex(r, "ZADD", "b", "3", "y", "4", "z")
    assert ex(r, "ZUNIONSTORE", "d", "2", "a", "b") == 3
    assert ex(r, "ZRANGE", "d", "0", "-1", "WITHSCORES") == ["x", "1", "z", "4", "y", "5"]
    assert enc(r, "d") == "listpack"
    assert ex(r, "ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "3") == 1
    assert ex(r, "ZRANGE", "d", "0", "-1", "WITHSCORES") == ["y", "13"]
    assert ex(r, "ZDIFFSTORE", "d", "2", "a", "b") == 1
    assert ex(r, "ZRANGE", "d", "0", "-1", "WITHSCORES") == ["x", "1"]
    assert ex(r, "ZINTERSTORE", "d", "2", "a", "nokey") == 0
    assert ex(r, "EXISTS", "d") == 0
    # the destination may be one of the inputs
    assert ex(r, "ZUNIONSTORE", "a", "2", "a", "b") == 3
    assert ex(r, "ZRANGE", "a", "0", "-1") == ["x", "z", "y"]
    assert err(r, "ZUNIONSTORE", "d", "1", "a", "WITHSCORES") == SYNTAX
    big = ["x" * 70]
    ex(r, "ZADD", "c", "1", big[0])
    assert ex(r, "ZUNIONSTORE", "d", "1", "c") == 1
    assert enc(r, "d") == "skiplist"


def test_setop_with_plain_sets(r):
    ex(r, "SADD", "s", "x", "y", "5")
    ex(r, "ZADD", "z", "2", "x", "3", "w")
    assert ex(r, "ZUNION", "2", "s", "z", "WITHSCORES") == ["5", "1", "y", "1", "w", "3", "x", "3"]
    assert ex(r, "ZINTER", "2", "s", "z", "WEIGHTS", "10", "1", "WITHSCORES") == ["x", "12"]
    assert ex(r, "ZDIFF", "2", "s", "z") == ["5", "y"]
    assert ex(r, "ZINTERCARD", "2", "s", "z") == 1
    ex(r, "SADD", "ints", "1", "2", "3")
    assert ex(r, "ZUNION", "1", "ints", "WITHSCORES") == ["1", "1", "2", "1", "3", "1"]


def test_setop_errors(r):
    ex(r, "ZADD", "a", "1", "x")
    ex(r, "SET", "str", "v")
    assert err(r, "ZUNION", "0", "a") == "ERR at least 1 input key is needed for 'zunion' command"
    assert err(r, "ZINTERSTORE", "d", "0", "a") == \
        "ERR at least 1 input key is needed for 'zinterstore' command"
    assert err(r, "ZINTERCARD", "0", "a") == \
        "ERR at least 1 input key is needed for 'zintercard' command"
    assert err(r, "ZUNION", "x", "a") == NOTINT
    assert err(r, "ZUNION", "3", "a") == SYNTAX
    assert err(r, "ZUNION", "1", "a", "WEIGHTS", "x") == "ERR weight value is not a float"
    assert err(r, "ZUNION", "1", "a", "WEIGHTS", "1", "2") == SYNTAX
    assert err(r, "ZUNION", "1", "a", "AGGREGATE", "AVG") == SYNTAX
    assert err(r, "ZDIFF", "1", "a", "WEIGHTS", "1") == SYNTAX
    assert err(r, "ZINTERCARD", "1", "a", "WITHSCORES") == SYNTAX
    # the type is checked before the options
    assert err(r, "ZUNION", "2", "a", "str", "FOO") == WRONGTYPE


# --------------------------------------------------------- ZRANDMEMBER

@pytest.mark.parametrize("encoding", ENCODINGS)
def test_zrandmember(r, encoding):
    make_zset(r, "z", 20, encoding)
    members = {"m%d" % i: str(i) for i in range(20)}
    assert ex(r, "ZRANDMEMBER", "z") in members
    assert ex(r, "ZRANDMEMBER", "nokey") is None
    assert ex(r, "ZRANDMEMBER", "nokey", "5") == []
    assert ex(r, "ZRANDMEMBER", "z", "0") == []
    got = ex(r, "ZRANDMEMBER", "z", "5")
    assert len(got) == 5 and len(set(got)) == 5 and set(got) <= set(members)
    got = ex(r, "ZRANDMEMBER", "z", "15", "WITHSCORES")
    assert len(got) == 30 and len(set(got[0::2])) == 15
    assert all(members[m] == s for m, s in zip(got[0::2], got[1::2]))
    got = ex(r, "ZRANDMEMBER", "z", "100")
    assert sorted(got) == sorted(members)
    got = ex(r, "ZRANDMEMBER", "z", "-50", "WITHSCORES")
    assert len(got) == 100 and all(members[m] == s for m, s in zip(got[0::2], got[1::2]))
    assert err(r, "ZRANDMEMBER", "z", "x") == NOTINT
    assert err(r, "ZRANDMEMBER", "z", "1", "FOO") == SYNTAX
    assert err(r, "ZRANDMEMBER", "z", "1", "WITHSCORES", "x") == SYNTAX


# ---------------------------------------------------------------- ZSCAN

@pytest.mark.parametrize("encoding", ENCODINGS)
def test_zscan(r, encoding):
    make_zset(r, "z", 300 if encoding == "skiplist" else 50, encoding)
    n = 300 if encoding == "skiplist" else 50
    got, cursor, rounds = {}, "0", 0
    while True:
        cursor, items = ex(r, "ZSCAN", "z", cursor, "COUNT", "20")
        got.update(zip(items[0::2], items[1::2]))
        rounds += 1
        if cursor == "0" or rounds > 1000:
            break
    assert got == {"m%d" % i: str(i) for i in range(n)}
    if encoding == "listpack":
        assert rounds == 1
    cursor, items = ex(r, "ZSCAN", "z", "0", "MATCH", "m1?", "COUNT", "10000")
    assert cursor == "0"
    assert sorted(items[0::2]) == sorted("m1%d" % i for i in range(10))
    assert ex(r, "ZSCAN", "nokey", "0") == ["0", []]
    assert err(r, "ZSCAN", "z", "x") == "ERR invalid cursor"
    assert err(r, "ZSCAN", "z", "0", "COUNT", "0") == SYNTAX
    assert err(r, "ZSCAN", "z", "0", "TYPE", "zset") == SYNTAX


# ------------------------------------------------------------ encodings

def test_encoding_thresholds(r):
    with zset_limits(r, entries=4, value=8):
        ex(r, "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
        assert enc(r, "z") == "listpack"
        ex(r, "ZADD", "z", "5", "e")
        assert enc(r, "z") == "skiplist"
        ex(r, "ZREM", "z", "a", "b", "c", "d")
        assert enc(r, "z") == "skiplist"  # never converts back
        ex(r, "ZADD", "y", "1", "abcdefgh")
        assert enc(r, "y") == "listpack"
        ex(r, "ZADD", "y", "1", "abcdefghi")
        assert enc(r, "y") == "skiplist"
        # a new key is created in the encoding its arguments call for
        ex(r, "ZADD", "w", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
        assert enc(r, "w") == "skiplist"
    with zset_limits(r, entries=0):
        ex(r, "ZADD", "v", "1", "a")
        assert enc(r, "v") == "skiplist"


def test_big_zset_consistency(r):
    rnd = random.Random(7)
    model = {}
    for _ in range(6):
        args = []
        for _ in range(100):
            m = "m%d" % rnd.randint(0, 400)
            s = rnd.randint(-1000, 1000) / 4
            args += [str(s), m]
            model[m] = s
        ex(r, "ZADD", "z", *args)
    assert enc(r, "z") == "skiplist"
    order = sorted(model.items(), key=lambda kv: (kv[1], kv[0]))
    assert ex(r, "ZCARD", "z") == len(order)
    assert ex(r, "ZRANGE", "z", "0", "-1") == [m for m, _ in order]
    for i in (0, 17, len(order) - 1):
        assert ex(r, "ZRANK", "z", order[i][0]) == i
        assert ex(r, "ZREVRANK", "z", order[i][0]) == len(order) - 1 - i
    lo, hi = -100, 50
    inside = [m for m, s in order if lo <= s <= hi]
    assert ex(r, "ZRANGEBYSCORE", "z", lo, hi) == inside
    assert ex(r, "ZCOUNT", "z", lo, hi) == len(inside)
    assert ex(r, "ZREVRANGEBYSCORE", "z", hi, lo, "LIMIT", "3", "5") == inside[::-1][3:8]
    assert ex(r, "ZREMRANGEBYSCORE", "z", lo, hi) == len(inside)
    rest = [m for m, s in order if not lo <= s <= hi]
    assert ex(r, "ZRANGE", "z", "0", "-1") == rest
    assert ex(r, "ZREMRANGEBYRANK", "z", "10", "-10") == len(rest) - 19
    assert ex(r, "ZRANGE", "z", "0", "-1") == rest[:10] + rest[-9:]


def test_zincrby_moves_member(r):
    make_zset(r, "z", 200, "skiplist")
    assert ex(r, "ZINCRBY", "z", "1000", "m0") == "1000"
    assert ex(r, "ZREVRANK", "z", "m0") == 0
    assert ex(r, "ZINCRBY", "z", "-2000", "m0") == "-1000"
    assert ex(r, "ZRANK", "z", "m0") == 0
    assert ex(r, "ZADD", "z", "0.5", "m1") == 0
    assert ex(r, "ZRANGE", "z", "0", "2") == ["m0", "m1", "m2"]


def test_binary_members(r):
    raw = r.connection
    blob = b"\x00\xff\r\nx"
    raw.send_command("ZADD", "z", "1", blob, "2", "a\x00b")
    assert raw.read_response() == 2
    raw.send_command("ZRANGE", "z", "0", "-1")
    assert raw.read_response(disable_decoding=True) == [blob, b"a\x00b"]
    raw.send_command("ZSCORE", "z", blob)
    assert raw.read_response(disable_decoding=True) == b"1"


def test_copy_and_watch(r, client_factory):
    make_zset(r, "z", 3, "listpack")
    make_zset(r, "zs", 200, "skiplist")
    assert ex(r, "COPY", "z", "z2") == 1
    assert ex(r, "COPY", "zs", "zs2") == 1
    ex(r, "ZADD", "z2", "9", "new")
    assert ex(r, "ZCARD", "z") == 3
    assert ex(r, "ZRANGE", "zs2", "0", "-1") == ex(r, "ZRANGE", "zs", "0", "-1")
    assert enc(r, "zs2") == "skiplist"
    other = client_factory()
    ex(r, "WATCH", "z")
    other.execute_command("ZADD", "z", "5", "m0")
    ex(r, "MULTI")
    ex(r, "ZCARD", "z")
    assert ex(r, "EXEC") is None


# -------------------------------------------------------------- blocking

def test_bzpop_immediate_and_errors(r):
    ex(r, "ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert ex(r, "BZPOPMIN", "nokey", "z", "0") == ["z", "a", "1"]
    assert ex(r, "BZPOPMAX", "z", "0") == ["z", "c", "3"]
    assert ex(r, "BZMPOP", "0", "2", "nokey", "z", "MIN", "COUNT", "5") == ["z", [["b", "2"]]]
    assert ex(r, "EXISTS", "z") == 0
    assert err(r, "BZPOPMIN", "z", "x") == "ERR timeout is not a float or out of range"
    assert err(r, "BZPOPMIN", "z", "-1") == "ERR timeout is negative"
    assert err(r, "BZMPOP", "0", "0", "z", "MIN") == "ERR numkeys should be greater than 0"
    assert err(r, "BZMPOP", "0", "1", "z", "FOO") == SYNTAX
    # the pop arguments are checked before the timeout
    assert err(r, "BZMPOP", "x", "1", "z", "FOO") == SYNTAX
    assert err(r, "BZMPOP", "x", "1", "z", "MIN") == "ERR timeout is not a float or out of range"
    ex(r, "SET", "s", "x")
    assert err(r, "BZPOPMIN", "nokey", "s", "0") == WRONGTYPE
    assert err(r, "BZMPOP", "0", "1", "s", "MAX") == WRONGTYPE


def test_bzpop_timeouts_and_multi(r, raw):
    c = raw()
    for args in (("BZPOPMIN", "a", "b", "0.1"), ("BZPOPMAX", "a", "0.1"),
                 ("BZMPOP", "0.1", "2", "a", "b", "MIN", "COUNT", "3")):
        start = time.monotonic()
        c.send(encode_command(*args))
        assert c.readline() == b"*-1", args
        assert 0.05 <= time.monotonic() - start < 3, args
    assert ex(r, "MULTI") == "OK"
    ex(r, "BZPOPMIN", "nokey", "0")
    ex(r, "BZMPOP", "0", "1", "nokey", "MAX")
    assert ex(r, "EXEC") == [None, None]


def test_bzpop_served_by_zadd(r, raw):
    c = raw()
    c.send(encode_command("BZPOPMIN", "a", "z", "0"))
    wait_blocked(r, 1)
    assert ex(r, "ZADD", "z", "2", "x", "1", "y") == 2
    assert c.read_reply() == [b"z", b"y", b"1"]
    assert ex(r, "ZRANGE", "z", "0", "-1") == ["x"]
    d = raw()
    ex(r, "DEL", "z")
    d.send(encode_command("BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"))
    wait_blocked(r, 1)
    ex(r, "ZADD", "z", "1", "p", "2", "q", "3", "r")
    assert d.read_reply() == [b"z", [[b"r", b"3"], [b"q", b"2"]]]
    assert d.cmd("PING") == b"+PONG"


def test_bzpop_fifo_and_store_wakeup(r, raw):
    clients = [raw() for _ in range(2)]
    for i, c in enumerate(clients):
        c.send(encode_command("BZPOPMAX", "q", "5"))
        wait_blocked(r, i + 1)
    ex(r, "ZADD", "src", "1", "a", "2", "b")
    assert ex(r, "ZUNIONSTORE", "q", "1", "src") == 2
    assert clients[0].read_reply() == [b"q", b"b", b"2"]
    assert clients[1].read_reply() == [b"q", b"a", b"1"]
    assert ex(r, "EXISTS", "q") == 0
    c = raw()
    c.send(encode_command("BZPOPMIN", "dst", "5"))
    wait_blocked(r, 1)
    assert ex(r, "ZRANGESTORE", "dst", "src", "0", "0") == 1
    assert c.read_reply() == [b"dst", b"a", b"1"]
    # a key of another type does not serve the waiter
    c.send(encode_command("BZPOPMIN", "k", "0.3"))
    wait_blocked(r, 1)
    ex(r, "SET", "k", "v")
    assert c.readline() == b"*-1"


# ----------------------------------------------------------------- RESP3

def _resp3(conn, *args):
    conn.send(encode_command(*args))
    return _read3(conn)


def _read3(conn):
    """Minimal RESP3 reader: doubles as ('d', text), null as 'NULL'."""
    line = conn.readline()
    kind, rest = line[:1], line[1:].rstrip(b"\r\n")
    if kind in (b"+", b"-"):
        return line
    if kind == b":":
        return int(rest)
    if kind == b",":
        return ("d", rest)
    if kind == b"_":
        return "NULL"
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else conn.read_exact(n + 2)[:-2]
    if kind in (b"*", b"~"):
        return [_read3(conn) for _ in range(int(rest))]
    if kind == b"%":
        return ("map", [(_read3(conn), _read3(conn)) for _ in range(int(rest))])
    raise AssertionError("unexpected reply line %r" % line)


def test_resp3_replies(live_server, mode, r):
    ex(r, "ZADD", "z", "1", "a", "2.5", "b", "3", "c")
    conn = live_server.raw(mode)
    try:
        hello = _resp3(conn, "HELLO", "3")
        if isinstance(hello, bytes) and hello.startswith(b"-NOPROTO"):
            pytest.skip("server has no RESP3 yet: " + hello.decode())
        assert _resp3(conn, "ZSCORE", "z", "b") == ("d", b"2.5")
        assert _resp3(conn, "ZSCORE", "z", "x") == "NULL"
        assert _resp3(conn, "ZRANGE", "z", "0", "1", "WITHSCORES") == \
            [[b"a", ("d", b"1")], [b"b", ("d", b"2.5")]]
        assert _resp3(conn, "ZRANGE", "z", "0", "1") == [b"a", b"b"]
        assert _resp3(conn, "ZUNION", "1", "z", "WITHSCORES") == \
            [[b"a", ("d", b"1")], [b"b", ("d", b"2.5")], [b"c", ("d", b"3")]]
        assert _resp3(conn, "ZRANDMEMBER", "z", "-1", "WITHSCORES")[0][0] in (b"a", b"b", b"c")
        assert _resp3(conn, "ZPOPMIN", "z") == [b"a", ("d", b"1")]
        assert _resp3(conn, "ZPOPMIN", "z", "1") == [[b"b", ("d", b"2.5")]]
        assert _resp3(conn, "ZMPOP", "1", "z", "MAX") == [b"z", [[b"c", ("d", b"3")]]]
        assert _resp3(conn, "ZMPOP", "1", "z", "MAX") == "NULL"
        assert _resp3(conn, "ZADD", "z", "INCR", "1", "q") == ("d", b"1")
        assert _resp3(conn, "ZADD", "z", "NX", "INCR", "1", "q") == "NULL"
    finally:
        conn.close()
