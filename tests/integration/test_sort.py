"""SORT and SORT_RO over lists, sets and sorted sets: BY / GET patterns, LIMIT, ASC/DESC, ALPHA,
STORE, with the replies and errors of redis-server 7.0, plain and over TLS."""

import pytest

from helpers import err

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOTINT = "ERR value is not an integer or out of range"
NOTDOUBLE = "ERR One or more scores can't be converted into double"


@pytest.fixture
def s(r):
    r.response_callbacks = {}
    return r


def ex(s, *args):
    return s.execute_command(*args)


def test_sort_numeric_list_set_zset(s):
    ex(s, "RPUSH", "l", "3", "1", "10", "2", "-1.5")
    assert ex(s, "SORT", "l") == ["-1.5", "1", "2", "3", "10"]
    assert ex(s, "SORT", "l", "DESC") == ["10", "3", "2", "1", "-1.5"]
    assert ex(s, "SORT_RO", "l", "ASC") == ["-1.5", "1", "2", "3", "10"]
    ex(s, "SADD", "si", "5", "-3", "40", "7")
    assert ex(s, "SORT", "si") == ["-3", "5", "7", "40"]
    ex(s, "SADD", "sh", "b", "a", "c")
    assert ex(s, "SORT", "sh", "ALPHA") == ["a", "b", "c"]
    ex(s, "ZADD", "z", "1", "30", "2", "20", "3", "10")
    assert ex(s, "SORT", "z") == ["10", "20", "30"]
    assert ex(s, "SORT", "missing") == []
    # equal scores fall back to the element bytes
    ex(s, "RPUSH", "eq", "1.0", "1", "01", "1e0")
    assert ex(s, "SORT", "eq") == ["01", "1", "1.0", "1e0"]


def test_sort_alpha_and_limit(s):
    ex(s, "RPUSH", "l", "banana", "apple", "cherry", "date", "Apple")
    assert ex(s, "SORT", "l", "ALPHA") == ["Apple", "apple", "banana", "cherry", "date"]
    assert ex(s, "SORT", "l", "ALPHA", "DESC", "LIMIT", "1", "2") == ["cherry", "banana"]
    assert ex(s, "SORT", "l", "ALPHA", "LIMIT", "3", "100") == ["cherry", "date"]
    assert ex(s, "SORT", "l", "ALPHA", "LIMIT", "-5", "2") == ["Apple", "apple"]
    assert ex(s, "SORT", "l", "ALPHA", "LIMIT", "2", "-1") == ["banana", "cherry", "date"]
    assert ex(s, "SORT", "l", "ALPHA", "LIMIT", "5", "1") == []
    assert ex(s, "SORT", "l", "ALPHA", "LIMIT", "0", "0") == []
    assert err(s, "SORT", "l") == NOTDOUBLE
    assert err(s, "SORT", "l", "LIMIT", "x", "1") == NOTINT
    assert err(s, "SORT", "l", "LIMIT", "1") == SYNTAX
    assert err(s, "SORT", "l", "FOO") == SYNTAX


def test_sort_by_pattern(s):
    ex(s, "RPUSH", "l", "a", "b", "c", "d")
    ex(s, "MSET", "w_a", "3", "w_b", "1", "w_c", "2")
    assert ex(s, "SORT", "l", "BY", "w_*") == ["d", "b", "c", "a"]
    assert ex(s, "SORT", "l", "BY", "w_*", "DESC") == ["a", "c", "b", "d"]
    ex(s, "HSET", "h_a", "f", "z")
    ex(s, "HSET", "h_b", "f", "x")
    ex(s, "HSET", "h_c", "f", "y")
    assert ex(s, "SORT", "l", "BY", "h_*->f", "ALPHA") == ["d", "b", "c", "a"]
    assert err(s, "SORT", "l", "BY", "h_*->f") == NOTDOUBLE
    # a BY value of the wrong type counts as missing
    ex(s, "SET", "h_d", "str")
    assert ex(s, "SORT", "l", "BY", "h_*->f", "ALPHA", "DESC") == ["a", "c", "b", "d"]
    ex(s, "SET", "w_d", "notanumber")
    assert err(s, "SORT", "l", "BY", "w_*") == NOTDOUBLE


def test_sort_get_patterns(s):
    ex(s, "RPUSH", "l", "2", "1", "3")
    ex(s, "MSET", "o_1", "one", "o_2", "two")
    ex(s, "HSET", "h_1", "name", "uno")
    ex(s, "HSET", "h_3", "name", "tres")
    assert ex(s, "SORT", "l", "GET", "#", "GET", "o_*", "GET", "h_*->name") == \
        ["1", "one", "uno", "2", "two", None, "3", None, "tres"]
    assert ex(s, "SORT", "l", "GET", "nostar") == [None, None, None]
    assert ex(s, "SORT", "l", "GET", "h_*->") == [None, None, None]
    assert ex(s, "SORT", "l", "LIMIT", "1", "1", "GET", "o_*") == ["two"]


def test_sort_nosort_keeps_native_order(s):
    ex(s, "RPUSH", "l", "c", "a", "b", "d")
    assert ex(s, "SORT", "l", "BY", "nosort") == ["c", "a", "b", "d"]
    assert ex(s, "SORT", "l", "BY", "nosort", "DESC") == ["d", "b", "a", "c"]
    assert ex(s, "SORT", "l", "BY", "nosort", "LIMIT", "1", "2") == ["a", "b"]
    assert ex(s, "SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2") == ["b", "a"]
    ex(s, "ZADD", "z", "3", "x", "1", "y", "2", "w")
    assert ex(s, "OBJECT", "ENCODING", "z") == "listpack"
    assert ex(s, "SORT", "z", "BY", "nosort") == ["y", "w", "x"]
    assert ex(s, "SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2") == ["x", "w"]
    assert ex(s, "SORT", "z", "BY", "nosort", "LIMIT", "2", "5") == ["x"]
    # as Redis 7.0, SORT converts a listpack sorted set for good
    assert ex(s, "OBJECT", "ENCODING", "z") == "skiplist"
    # a set stored "unsorted" is sorted ALPHA so the result is deterministic
    ex(s, "SADD", "st", "b", "c", "a")
    assert ex(s, "SORT", "st", "BY", "nosort", "STORE", "dst") == 3
    assert ex(s, "LRANGE", "dst", "0", "-1") == ["a", "b", "c"]


def test_sort_store(s):
    ex(s, "RPUSH", "l", "3", "1", "2")
    ex(s, "SET", "dst", "old")
    assert ex(s, "SORT", "l", "STORE", "dst") == 3
    assert ex(s, "TYPE", "dst") == "list"
    assert ex(s, "LRANGE", "dst", "0", "-1") == ["1", "2", "3"]
    ex(s, "SET", "o_1", "one")
    assert ex(s, "SORT", "l", "GET", "o_*", "GET", "#", "STORE", "dst") == 6
    assert ex(s, "LRANGE", "dst", "0", "-1") == ["one", "1", "", "2", "", "3"]
    # sorting into itself
    assert ex(s, "SORT", "l", "DESC", "STORE", "l") == 3
    assert ex(s, "LRANGE", "l", "0", "-1") == ["3", "2", "1"]
    # an empty result deletes the destination
    assert ex(s, "SORT", "missing", "STORE", "dst") == 0
    assert ex(s, "EXISTS", "dst") == 0
    assert ex(s, "SORT", "l", "LIMIT", "0", "0", "STORE", "l") == 0
    assert ex(s, "EXISTS", "l") == 0


def test_sort_ro_and_errors(s):
    ex(s, "RPUSH", "l", "2", "1")
    assert err(s, "SORT_RO", "l", "STORE", "dst") == SYNTAX
    assert ex(s, "EXISTS", "dst") == 0
    assert ex(s, "SORT_RO", "l", "BY", "nosort", "GET", "#") == ["2", "1"]
    ex(s, "SET", "str", "x")
    ex(s, "HSET", "h", "f", "v")
    assert err(s, "SORT", "str") == WRONGTYPE
    assert err(s, "SORT_RO", "h") == WRONGTYPE
    # the syntax is checked before the type
    assert err(s, "SORT", "str", "BOGUS") == SYNTAX
    assert err(s, "SORT") == "ERR wrong number of arguments for 'sort' command"


def test_sort_large_values(s):
    ex(s, "RPUSH", "l", *[str(i) for i in range(300, 0, -1)])
    got = ex(s, "SORT", "l", "LIMIT", "10", "5")
    assert got == ["11", "12", "13", "14", "15"]
    ex(s, "ZADD", "z", *sum([[str(i % 7), "m%03d" % i] for i in range(200)], []))
    assert ex(s, "SORT", "z", "ALPHA", "LIMIT", "0", "3") == ["m000", "m001", "m002"]
    assert ex(s, "SORT", "z", "BY", "nosort", "LIMIT", "0", "3") == ["m000", "m007", "m014"]
