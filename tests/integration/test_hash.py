"""Hash commands (HSET ... HSCAN) with the replies, errors and encodings of redis-server 7.0."""


import pytest

from helpers import encode_command, encoding_limits, err

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOTINT = "ERR value is not an integer or out of range"
NOTFLOAT = "ERR value is not a valid float"
SYNTAX = "ERR syntax error"


def arity(cmd):
    return "ERR wrong number of arguments for '%s' command" % cmd


def enc(r, key):
    return r.execute_command("OBJECT", "ENCODING", key)


def pairs(flat):
    return dict(zip(flat[0::2], flat[1::2]))


def hash_limits(r, entries=None, value=None):
    return encoding_limits(r, "hash", entries, value)


def make_hash(r, key, n, encoding):
    """A hash of n fields f0..f(n-1) -> v0.. in the wanted encoding."""
    args = []
    for i in range(n):
        args += ["f%d" % i, "v%d" % i]
    if encoding == "hashtable":
        args += ["big", "x" * 100]
    r.execute_command("HSET", key, *args)
    if encoding == "hashtable":
        r.execute_command("HDEL", key, "big")
    assert enc(r, key) == encoding


# ------------------------------------------------------------------ basics

def test_hset_hget_basic(r):
    assert r.execute_command("HSET", "h", "a", "1", "b", "2") == 2
    assert r.execute_command("HSET", "h", "a", "10", "c", "3") == 1
    assert r.execute_command("HGET", "h", "a") == "10"
    assert r.execute_command("HGET", "h", "nope") is None
    assert r.execute_command("HGET", "nokey", "a") is None
    assert r.execute_command("HLEN", "h") == 3
    assert r.execute_command("HLEN", "nokey") == 0
    assert r.execute_command("HMGET", "h", "a", "zz", "c") == ["10", None, "3"]
    assert r.execute_command("HMGET", "nokey", "a", "b") == [None, None]
    assert r.execute_command("HEXISTS", "h", "b") == 1
    assert r.execute_command("HEXISTS", "h", "zz") == 0
    assert r.execute_command("HEXISTS", "nokey", "b") == 0
    assert r.execute_command("HSTRLEN", "h", "a") == 2
    assert r.execute_command("HSTRLEN", "h", "zz") == 0
    assert r.execute_command("HSTRLEN", "nokey", "a") == 0
    assert r.execute_command("HKEYS", "h") == ["a", "b", "c"]
    assert r.execute_command("HVALS", "h") == ["10", "2", "3"]
    assert r.execute_command("HGETALL", "h") == ["a", "10", "b", "2", "c", "3"]
    assert r.execute_command("HKEYS", "nokey") == []
    assert r.execute_command("HVALS", "nokey") == []
    assert r.execute_command("HGETALL", "nokey") == []
    assert r.execute_command("TYPE", "h") == "hash"
    assert enc(r, "h") == "listpack"


def test_hmset_and_hsetnx(r):
    assert r.execute_command("HMSET", "h", "a", "1", "b", "2") == "OK"
    assert r.execute_command("HMSET", "h", "a", "3") == "OK"
    assert r.execute_command("HGET", "h", "a") == "3"
    assert r.execute_command("HSETNX", "h", "a", "9") == 0
    assert r.execute_command("HGET", "h", "a") == "3"
    assert r.execute_command("HSETNX", "h", "n", "9") == 1
    assert r.execute_command("HGET", "h", "n") == "9"
    assert r.execute_command("HSETNX", "new", "f", "v") == 1
    assert r.execute_command("HGETALL", "new") == ["f", "v"]


def test_hdel_removes_empty_key(r):
    r.execute_command("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert r.execute_command("HDEL", "h", "a", "zz", "a") == 1
    assert r.execute_command("HDEL", "nokey", "a") == 0
    assert r.execute_command("HDEL", "h", "b", "c", "b") == 2
    assert r.execute_command("EXISTS", "h") == 0
    # The same in hashtable encoding.
    make_hash(r, "ht", 3, "hashtable")
    assert r.execute_command("HDEL", "ht", "f0", "f1") == 2
    assert enc(r, "ht") == "hashtable"
    assert r.execute_command("HDEL", "ht", "f2", "f0") == 1
    assert r.execute_command("EXISTS", "ht") == 0


def test_values_kept_byte_exact(r):
    # Texts that look like integers but are not canonical stay as they were;
    # canonical ones come back as the same text.
    vals = ["007", "-0", "+1", " 1", "1 ", "12", "-12", "0", "", "9223372036854775807",
            "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
            "1e3", "3.0", "x" * 62, "123456789012345678901"]
    for enc_name in ("listpack", "hashtable"):
        key = "h-" + enc_name
        args = []
        for i, v in enumerate(vals):
            args += [v, "v-" + v]          # as fields
            args += ["f%d" % i, v]        # as values
        if enc_name == "hashtable":
            args += ["big", "y" * 200]
        r.execute_command("HSET", key, *args)
        assert enc(r, key) == enc_name
        for i, v in enumerate(vals):
            assert r.execute_command("HGET", key, "f%d" % i) == v
            assert r.execute_command("HGET", key, v) == "v-" + v
            assert r.execute_command("HSTRLEN", key, "f%d" % i) == len(v)
        assert r.execute_command("HGET", key, "7") is None  # "007" is not 7
        assert r.execute_command("HGET", key, "0") == "v-0"


def test_binary_safe(client_factory):
    rb = client_factory(decode=False)
    rb.execute_command("FLUSHALL")
    field = bytes(range(256))
    value = b"\x00\xff\r\n" * 10
    assert rb.execute_command("HSET", "hb", field, value) == 1
    assert rb.execute_command("HGET", "hb", field) == value
    assert rb.execute_command("HGETALL", "hb") == [field, value]
    rb.execute_command("HSET", "hb", "big", b"z" * 300)
    assert rb.execute_command("HGET", "hb", field) == value


# ------------------------------------------------------------------ errors

def test_arity_and_wrongtype(r):
    assert err(r, "HSET", "h", "a") == arity("hset")
    assert err(r, "HSET", "h", "a", "1", "b") == arity("hset")
    assert err(r, "HMSET", "h", "a", "1", "b") == arity("hmset")
    assert err(r, "HSETNX", "h", "a") == arity("hsetnx")
    assert err(r, "HGET", "h") == arity("hget")
    assert err(r, "HMGET", "h") == arity("hmget")
    assert err(r, "HDEL", "h") == arity("hdel")
    assert err(r, "HLEN") == arity("hlen")
    assert err(r, "HINCRBY", "h", "f") == arity("hincrby")
    assert err(r, "HSCAN", "h") == arity("hscan")
    assert err(r, "HRANDFIELD") == arity("hrandfield")
    assert r.execute_command("EXISTS", "h") == 0

    r.execute_command("SET", "s", "x")
    for args in (("HSET", "s", "a", "1"), ("HMSET", "s", "a", "1"), ("HSETNX", "s", "a", "1"),
                 ("HGET", "s", "a"), ("HMGET", "s", "a"), ("HDEL", "s", "a"), ("HLEN", "s"),
                 ("HSTRLEN", "s", "a"), ("HEXISTS", "s", "a"), ("HINCRBY", "s", "a", "1"),
                 ("HINCRBYFLOAT", "s", "a", "1"), ("HKEYS", "s"), ("HVALS", "s"),
                 ("HGETALL", "s"), ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "2"),
                 ("HRANDFIELD", "s", "-2", "WITHVALUES"), ("HSCAN", "s", "0")):
        assert err(r, *args) == WRONGTYPE, args
    # Odd argument count is an arity error even on a key of another type.
    assert err(r, "HSET", "s", "a", "1", "b") == arity("hset")
    # Argument errors that Redis checks before the key type.
    assert err(r, "HINCRBY", "s", "a", "x") == NOTINT
    assert err(r, "HINCRBYFLOAT", "s", "a", "x") == NOTFLOAT
    assert err(r, "HSCAN", "s", "x") == "ERR invalid cursor"
    assert err(r, "HRANDFIELD", "s", "x") == NOTINT
    assert r.execute_command("GET", "s") == "x"


# ------------------------------------------------------------------ counters

def test_hincrby(r):
    assert r.execute_command("HINCRBY", "h", "n", "5") == 5
    assert r.execute_command("HINCRBY", "h", "n", "-7") == -2
    assert r.execute_command("HGET", "h", "n") == "-2"
    assert err(r, "HINCRBY", "h", "n", "1.5") == NOTINT
    assert err(r, "HINCRBY", "h", "n", "") == NOTINT
    assert err(r, "HINCRBY", "nokey", "n", "x") == NOTINT
    assert r.execute_command("EXISTS", "nokey") == 0
    r.execute_command("HSET", "h", "s", "abc", "sp", " 1", "big", "9223372036854775807")
    assert err(r, "HINCRBY", "h", "s", "1") == "ERR hash value is not an integer"
    assert err(r, "HINCRBY", "h", "sp", "1") == "ERR hash value is not an integer"
    assert err(r, "HINCRBY", "h", "big", "1") == "ERR increment or decrement would overflow"
    assert r.execute_command("HINCRBY", "h", "big", "-1") == 9223372036854775806
    r.execute_command("HSET", "h", "small", "-9223372036854775808")
    assert err(r, "HINCRBY", "h", "small", "-1") == "ERR increment or decrement would overflow"
    assert r.execute_command("HINCRBY", "h", "small", "0") == -9223372036854775808
    # Also in hashtable encoding.
    make_hash(r, "ht", 2, "hashtable")
    assert r.execute_command("HINCRBY", "ht", "cnt", "3") == 3
    assert r.execute_command("HINCRBY", "ht", "cnt", "3") == 6
    assert err(r, "HINCRBY", "ht", "f0", "1") == "ERR hash value is not an integer"


def test_hincrbyfloat(r):
    assert r.execute_command("HINCRBYFLOAT", "h", "f", "10.5") == "10.5"
    assert r.execute_command("HINCRBYFLOAT", "h", "f", "0.1") == "10.6"
    assert r.execute_command("HINCRBYFLOAT", "h", "f", "-10.6") == "0"
    assert r.execute_command("HINCRBYFLOAT", "h", "g", "3.0e3") == "3000"
    assert r.execute_command("HINCRBYFLOAT", "h", "g", "1") == "3001"
    assert r.execute_command("HINCRBY", "h", "g", "1") == 3002
    r.execute_command("HSET", "h", "i", "5")
    assert r.execute_command("HINCRBYFLOAT", "h", "i", "1.5") == "6.5"
    assert err(r, "HINCRBYFLOAT", "h", "i", "1.5x") == NOTFLOAT
    assert err(r, "HINCRBYFLOAT", "h", "i", "inf") == "ERR value is NaN or Infinity"
    assert err(r, "HINCRBYFLOAT", "h", "i", "-inf") == "ERR value is NaN or Infinity"
    assert err(r, "HINCRBYFLOAT", "h", "i", "nan") == NOTFLOAT
    assert err(r, "HINCRBYFLOAT", "nokey", "i", "inf") == "ERR value is NaN or Infinity"
    assert r.execute_command("EXISTS", "nokey") == 0
    r.execute_command("HSET", "h", "s", "abc")
    assert err(r, "HINCRBYFLOAT", "h", "s", "1") == "ERR hash value is not a float"
    r.execute_command("HSET", "h", "huge", "1e4932")
    assert err(r, "HINCRBYFLOAT", "h", "huge", "1e4932") == \
        "ERR increment would produce NaN or Infinity"
    assert r.execute_command("HGET", "h", "huge") == "1e4932"


# ------------------------------------------------------------------ encodings

def test_encoding_by_entries(r):
    with hash_limits(r, entries=4, value=64):
        r.execute_command("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
        assert enc(r, "h") == "listpack"
        r.execute_command("HSET", "h", "a", "11")  # update: no growth
        assert enc(r, "h") == "listpack"
        r.execute_command("HSET", "h", "e", "5")
        assert enc(r, "h") == "hashtable"
        assert pairs(r.execute_command("HGETALL", "h")) == \
            {"a": "11", "b": "2", "c": "3", "d": "4", "e": "5"}
        # Never converted back.
        r.execute_command("HDEL", "h", "a", "b", "c", "d")
        assert enc(r, "h") == "hashtable"
        assert r.execute_command("HGETALL", "h") == ["e", "5"]
        # A single HSET past the limit on a new key.
        r.execute_command("HSET", "h2", *["x%d" % i for i in range(10)])
        assert enc(r, "h2") == "hashtable"
        assert r.execute_command("HLEN", "h2") == 5
        # HSETNX / HINCRBY adding a field also count.
        r.execute_command("HSET", "h3", "a", "1", "b", "2", "c", "3", "d", "4")
        r.execute_command("HSETNX", "h3", "e", "5")
        assert enc(r, "h3") == "hashtable"
        r.execute_command("HSET", "h4", "a", "1", "b", "2", "c", "3", "d", "4")
        r.execute_command("HINCRBY", "h4", "e", "5")
        assert enc(r, "h4") == "hashtable"
        assert r.execute_command("HGET", "h4", "e") == "5"


def test_encoding_by_value_length(r):
    with hash_limits(r, entries=128, value=10):
        r.execute_command("HSET", "h", "f" * 10, "v" * 10)
        assert enc(r, "h") == "listpack"
        r.execute_command("HSET", "h", "g", "v" * 11)
        assert enc(r, "h") == "hashtable"
        assert r.execute_command("HGET", "h", "f" * 10) == "v" * 10
        r.execute_command("HSET", "h2", "f" * 11, "v")
        assert enc(r, "h2") == "hashtable"
        # Any long argument converts, even for a field that is then updated
        # with a short value in the same command.
        r.execute_command("HSET", "h3", "a", "1")
        r.execute_command("HSET", "h3", "a", "y" * 11, "a", "2")
        assert enc(r, "h3") == "hashtable"
        assert r.execute_command("HGET", "h3", "a") == "2"
        # HSETNX of an existing field stores nothing: no conversion.
        r.execute_command("HSET", "h4", "a", "1")
        assert r.execute_command("HSETNX", "h4", "a", "z" * 20) == 0
        assert enc(r, "h4") == "listpack"
        assert r.execute_command("HSETNX", "h4", "b", "z" * 20) == 1
        assert enc(r, "h4") == "hashtable"
        # HINCRBY with a long field name converts.
        r.execute_command("HSET", "h5", "a", "1")
        r.execute_command("HINCRBY", "h5", "c" * 11, "1")
        assert enc(r, "h5") == "hashtable"
        r.execute_command("HSET", "h6", "a", "1")
        r.execute_command("HINCRBYFLOAT", "h6", "a", "0.000000000001")
        assert enc(r, "h6") == "hashtable"
        assert r.execute_command("HGET", "h6", "a") == "1.000000000001"


def test_hashtable_value_updates(r):
    make_hash(r, "h", 3, "hashtable")
    for v in ("", "a", "x" * 1000, "b", "", "y" * 70000, "12", "z" * 5):
        assert r.execute_command("HSET", "h", "f1", v) == 0
        assert r.execute_command("HGET", "h", "f1") == v
        assert r.execute_command("HSTRLEN", "h", "f1") == len(v)
        assert r.execute_command("HGET", "h", "f0") == "v0"
        assert r.execute_command("HGET", "h", "f2") == "v2"
    assert r.execute_command("HSET", "h", "", "empty-field") == 1
    assert r.execute_command("HGET", "h", "") == "empty-field"
    assert r.execute_command("HINCRBYFLOAT", "h", "fl", "0.5") == "0.5"
    assert r.execute_command("HINCRBYFLOAT", "h", "fl", "1000000.25") == "1000000.75"
    assert r.execute_command("HINCRBY", "h", "n", "-9223372036854775808") == \
        -9223372036854775808
    assert pairs(r.execute_command("HGETALL", "h")) == {
        "f0": "v0", "f1": "z" * 5, "f2": "v2", "": "empty-field", "fl": "1000000.75",
        "n": "-9223372036854775808"}


def test_big_hashtable(r):
    n = 1000
    args = []
    for i in range(n):
        args += ["field:%d" % i, "value:%d" % i]
    assert r.execute_command("HSET", "big", *args) == n
    assert enc(r, "big") == "hashtable"
    assert r.execute_command("HLEN", "big") == n
    got = pairs(r.execute_command("HGETALL", "big"))
    assert got == {"field:%d" % i: "value:%d" % i for i in range(n)}
    assert sorted(r.execute_command("HKEYS", "big")) == sorted(got)
    assert r.execute_command("HDEL", "big", *["field:%d" % i for i in range(0, n, 2)]) == n // 2
    assert r.execute_command("HLEN", "big") == n // 2
    assert r.execute_command("HGET", "big", "field:1") == "value:1"
    assert r.execute_command("HGET", "big", "field:2") is None


def test_copy_and_watch(r, client_factory):
    r.execute_command("HSET", "h", "a", "1")
    make_hash(r, "ht", 3, "hashtable")
    assert r.execute_command("COPY", "h", "h2") == 1
    assert r.execute_command("COPY", "ht", "ht2") == 1
    r.execute_command("HSET", "h", "a", "changed")
    r.execute_command("HSET", "ht", "f0", "changed")
    assert r.execute_command("HGETALL", "h2") == ["a", "1"]
    assert r.execute_command("HGET", "ht2", "f0") == "v0"
    assert enc(r, "ht2") == "hashtable"
    # In-place edits invalidate WATCH.
    other = client_factory()
    for cmd in (("HSET", "h", "b", "2"), ("HDEL", "h", "b"), ("HINCRBY", "h", "n", "1"),
                ("HINCRBYFLOAT", "h", "n", "1"), ("HSETNX", "h", "z", "1")):
        r.execute_command("WATCH", "h")
        other.execute_command(*cmd)
        r.execute_command("MULTI")
        r.execute_command("PING")
        assert r.execute_command("EXEC") is None, cmd


# ------------------------------------------------------------------ HRANDFIELD

@pytest.mark.parametrize("encoding", ["listpack", "hashtable"])
def test_hrandfield(r, encoding):
    make_hash(r, "h", 10, encoding)
    fields = {"f%d" % i for i in range(10)}
    assert r.execute_command("HRANDFIELD", "h") in fields
    assert r.execute_command("HRANDFIELD", "nokey") is None
    assert r.execute_command("HRANDFIELD", "nokey", "5") == []
    assert r.execute_command("HRANDFIELD", "nokey", "-5", "WITHVALUES") == []
    assert r.execute_command("HRANDFIELD", "h", "0") == []
    assert r.execute_command("HRANDFIELD", "h", "0", "withvalues") == []
    for count in (1, 3, 5, 9):
        got = r.execute_command("HRANDFIELD", "h", count)
        assert len(got) == count and len(set(got)) == count and set(got) <= fields
        got = r.execute_command("HRANDFIELD", "h", count, "WITHVALUES")
        assert len(got) == 2 * count
        kv = pairs(got)
        assert len(kv) == count
        assert all(v == "v" + k[1:] for k, v in kv.items())
    # count >= size: the whole hash, in HGETALL order.
    assert r.execute_command("HRANDFIELD", "h", "10") == r.execute_command("HKEYS", "h")
    assert r.execute_command("HRANDFIELD", "h", "100", "WITHVALUES") == \
        r.execute_command("HGETALL", "h")
    # Negative: exactly |count| picks, repeats allowed.
    got = r.execute_command("HRANDFIELD", "h", "-50")
    assert len(got) == 50 and set(got) <= fields
    assert len(set(got)) > 1
    got = r.execute_command("HRANDFIELD", "h", "-7", "WITHVALUES")
    assert len(got) == 14
    assert all(v == "v" + k[1:] for k, v in zip(got[0::2], got[1::2]))
    # Every field shows up eventually.
    seen = set()
    for _ in range(200):
        seen.add(r.execute_command("HRANDFIELD", "h"))
        if seen == fields:
            break
    assert seen == fields


def test_hrandfield_errors(r):
    r.execute_command("HSET", "h", "a", "1")
    assert err(r, "HRANDFIELD", "h", "-9223372036854775808") == \
        "ERR value is out of range, value must between -9223372036854775807 and " \
        "9223372036854775807"
    assert err(r, "HRANDFIELD", "h", "9223372036854775808") == NOTINT
    assert err(r, "HRANDFIELD", "h", "4611686018427387904", "WITHVALUES") == \
        "ERR value is out of range"
    assert err(r, "HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES") == \
        "ERR value is out of range"
    assert err(r, "HRANDFIELD", "h", "4611686018427387904", "XX") == SYNTAX
    assert err(r, "HRANDFIELD", "h", "1", "WITHVALUES", "X") == SYNTAX
    assert err(r, "HRANDFIELD", "h", "1.5") == NOTINT
    assert r.execute_command("HRANDFIELD", "h", "4611686018427387903") == ["a"]
    assert r.execute_command("HRANDFIELD", "h", "-3") == ["a", "a", "a"]


# ------------------------------------------------------------------ HSCAN

def test_hscan_listpack(r):
    r.execute_command("HSET", "h", "a1", "1", "b1", "2", "a2", "3")
    assert r.execute_command("HSCAN", "h", "0") == ["0", ["a1", "1", "b1", "2", "a2", "3"]]
    # A compact hash answers whole, whatever the cursor and count.
    assert r.execute_command("HSCAN", "h", "12345", "COUNT", "1") == \
        ["0", ["a1", "1", "b1", "2", "a2", "3"]]
    assert r.execute_command("HSCAN", "h", "0", "MATCH", "a*") == ["0", ["a1", "1", "a2", "3"]]
    assert r.execute_command("HSCAN", "h", "0", "match", "*2", "count", "100") == \
        ["0", ["a2", "3"]]
    assert r.execute_command("HSCAN", "h", "0", "MATCH", "zz*") == ["0", []]
    assert r.execute_command("HSCAN", "nokey", "0") == ["0", []]
    # Options are checked only when the key exists.
    assert r.execute_command("HSCAN", "nokey", "0", "COUNT", "0") == ["0", []]
    assert err(r, "HSCAN", "h", "0", "COUNT", "0") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "COUNT", "-1") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "COUNT", "x") == NOTINT
    assert err(r, "HSCAN", "h", "0", "TYPE", "string") == SYNTAX
    assert err(r, "HSCAN", "h", "0", "MATCH") == SYNTAX
    assert err(r, "HSCAN", "h", "abc") == "ERR invalid cursor"
    # The cursor is read as strtoul does: "-1" wraps around.
    assert r.execute_command("HSCAN", "h", "-1")[0] == "0"
    assert err(r, "HSCAN", "nokey", "abc") == "ERR invalid cursor"


def test_hscan_hashtable(r):
    n = 500
    args = []
    for i in range(n):
        args += ["k%d" % i, "v%d" % i]
    # redis-server's built-in default is 512 entries (its redis.conf says 128).
    with hash_limits(r, entries=128):
        r.execute_command("HSET", "h", *args)
    assert enc(r, "h") == "hashtable"
    seen = {}
    cursor = "0"
    calls = 0
    while True:
        cursor, items = r.execute_command("HSCAN", "h", cursor, "COUNT", "20")
        assert len(items) % 2 == 0
        seen.update(pairs(items))
        calls += 1
        assert calls < 1000
        if cursor == "0":
            break
    assert calls > 1
    assert seen == {"k%d" % i: "v%d" % i for i in range(n)}
    # MATCH filters fields only.
    got = {}
    cursor = "0"
    for _ in range(1000):
        cursor, items = r.execute_command("HSCAN", "h", cursor, "MATCH", "k1?")
        got.update(pairs(items))
        if cursor == "0":
            break
    assert got == {"k1%d" % i: "v1%d" % i for i in range(10)}


# ------------------------------------------------------------------ RESP3

def _resp3(conn, *args):
    conn.send(encode_command(*args))
    return _read3(conn)


def _read3(conn):
    """Minimal RESP3 reader: maps as ('map', [(k, v)...]), null as 'NULL'."""
    line = conn.readline()
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b"-"):
        return line
    if kind == b":":
        return int(rest)
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
    r.execute_command("HSET", "h", "a", "1", "b", "2")
    conn = live_server.raw(mode)
    try:
        hello = _resp3(conn, "HELLO", "3")
        if isinstance(hello, bytes) and hello.startswith(b"-NOPROTO"):
            pytest.skip("server has no RESP3 yet: " + hello.decode())
        assert hello[0] == "map"
        assert _resp3(conn, "HGETALL", "h") == ("map", [(b"a", b"1"), (b"b", b"2")])
        assert _resp3(conn, "HGETALL", "nokey") == ("map", [])
        assert _resp3(conn, "HGET", "h", "zz") == "NULL"
        assert _resp3(conn, "HRANDFIELD", "nokey") == "NULL"
        assert _resp3(conn, "HKEYS", "h") == [b"a", b"b"]
        assert _resp3(conn, "HRANDFIELD", "h", "5", "WITHVALUES") == \
            [[b"a", b"1"], [b"b", b"2"]]
        got = _resp3(conn, "HRANDFIELD", "h", "-3", "WITHVALUES")
        assert len(got) == 3 and all(p in ([b"a", b"1"], [b"b", b"2"]) for p in got)
        got = _resp3(conn, "HRANDFIELD", "h", "1", "WITHVALUES")
        assert len(got) == 1 and got[0] in ([b"a", b"1"], [b"b", b"2"])
        assert _resp3(conn, "HMGET", "h", "a", "zz") == [b"1", "NULL"]
    finally:
        conn.close()
