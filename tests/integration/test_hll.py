"""HyperLogLog (PFADD PFCOUNT PFMERGE) as redis-server 7.0: replies, errors, and the
value bytes themselves. An HLL is a string in Redis's format, so the same PFADDs
on sealkv and on redis-server must leave the same bytes (GET of both compared);
the byte tests start a reference /usr/bin/redis-server of their own.
"""

import os
import random

import pytest

from helpers import ServerProcess, err, make_client

REDIS_SERVER = "/usr/bin/redis-server"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPT = "INVALIDOBJ Corrupted HLL object detected"
HDR = 16
DENSE_SIZE = HDR + 12288
EMPTY_SPARSE = b"HYLL\x01\x00\x00\x00" + b"\x00" * 8 + b"\x7f\xff"


class _RedisRef:
    """A Target-like description of the reference redis-server."""
    name = "redis"
    binary = REDIS_SERVER
    extra_directives = [("save", ""), ("appendonly", "no")]
    is_redis = True


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.skip("reference redis-server not installed")
    srv = ServerProcess(_RedisRef(), str(tmp_path_factory.mktemp("hll-ref")), name="hll-ref")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def rb(live_server, mode):
    c = make_client(live_server, mode, decode=False)
    c.execute_command("FLUSHALL")
    yield c
    c.close()


@pytest.fixture
def pair(rb, ref):
    """(sealkv client, reference client), both bytes-mode on empty keyspaces."""
    c = make_client(ref, "plain", decode=False)
    c.execute_command("FLUSHALL")
    yield rb, c
    c.close()


def both(pair, *args):
    out = [c.execute_command(*args) for c in pair]
    assert out[0] == out[1], "%r: sealkv %r, redis %r" % (args[:4], out[0], out[1])
    return out[0]


def same_bytes(pair, key):
    a, b = (c.get(key) for c in pair)
    assert a is not None and b is not None
    if a != b:
        i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        pytest.fail("%s: bytes differ at %d of %d/%d: sealkv %s redis %s" % (
            key, i, len(a), len(b), a[i:i + 8].hex(), b[i:i + 8].hex()))
    return a


def is_dense(v):
    return v[4] == 0 and len(v) == DENSE_SIZE


def add_many(c, key, elements, batch=500):
    for i in range(0, len(elements), batch):
        c.execute_command("PFADD", key, *elements[i:i + batch])


# ------------------------------------------------------------------- basics

def test_pfadd_creates_sparse_value(rb):
    assert rb.execute_command("PFADD", "h") == 1
    # Created and marked "cache invalid" (bit 7 of the last cardinality byte).
    assert rb.get("h") == b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80\x7f\xff"
    assert rb.execute_command("PFCOUNT", "h") == 0
    assert rb.get("h") == EMPTY_SPARSE
    assert rb.execute_command("PFADD", "h") == 0
    assert rb.execute_command("PFADD", "h", "a", "b", "c") == 1
    assert rb.execute_command("PFADD", "h", "a", "b") == 0
    assert rb.execute_command("PFCOUNT", "h") == 3
    assert rb.execute_command("OBJECT", "ENCODING", "h") == b"raw"
    assert rb.execute_command("PFCOUNT", "nokey") == 0


def test_pfcount_writes_cache_bytes(rb):
    rb.execute_command("PFADD", "h", *["e%d" % i for i in range(300)])
    assert rb.get("h")[15] & 0x80
    n = rb.execute_command("PFCOUNT", "h")
    assert abs(n - 300) <= 15
    v = rb.get("h")
    assert int.from_bytes(v[8:16], "little") == n
    # A valid cache is what PFCOUNT answers, even if the registers disagree.
    rb.setrange("h", 8, b"\x07")
    assert rb.execute_command("PFCOUNT", "h") == (n & ~0xff) | 7


def test_pfcount_union_does_not_modify(rb):
    add_many(rb, "a", ["a%d" % i for i in range(1000)])
    add_many(rb, "b", ["b%d" % i for i in range(1000)] + ["a%d" % i for i in range(500)])
    before = (rb.get("a"), rb.get("b"))
    n = rb.execute_command("PFCOUNT", "a", "b", "nokey")
    assert abs(n - 2000) <= 2000 * 0.05
    assert (rb.get("a"), rb.get("b")) == before
    assert rb.execute_command("PFCOUNT", "nokey", "nokey2") == 0


def test_accuracy_100k(rb):
    add_many(rb, "h", ["elem:%d" % i for i in range(100000)], batch=1000)
    n = rb.execute_command("PFCOUNT", "h")
    # Standard error is 0.81%; Redis's own tests allow 5%.
    assert abs(n - 100000) <= 100000 * 0.05
    assert is_dense(rb.get("h"))


def test_pfmerge(rb):
    add_many(rb, "a", ["a%d" % i for i in range(100)])
    add_many(rb, "b", ["b%d" % i for i in range(100)])
    assert rb.execute_command("PFMERGE", "m", "a", "b", "nokey") == b"OK"
    m = rb.get("m")
    assert m[4] == 1 and m[15] & 0x80  # all inputs sparse: result sparse, cache invalid
    assert abs(rb.execute_command("PFCOUNT", "m") - 200) <= 10
    add_many(rb, "d", ["d%d" % i for i in range(20000)])
    assert is_dense(rb.get("d"))
    assert rb.execute_command("PFMERGE", "a", "d") == b"OK"  # destination is a source too
    assert is_dense(rb.get("a"))
    assert abs(rb.execute_command("PFCOUNT", "a") - 20100) <= 20100 * 0.05
    assert rb.execute_command("PFMERGE", "empty") == b"OK"
    assert rb.get("empty") == b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80\x7f\xff"


def test_errors(r):
    r.set("str", "hello")
    r.set("int", "123")
    r.lpush("l", "a")
    r.execute_command("PFADD", "h", "a")
    for key in ("str", "int"):
        assert err(r, "PFADD", key, "a") == NOT_HLL
        assert err(r, "PFCOUNT", key) == NOT_HLL
        assert err(r, "PFCOUNT", "h", key) == NOT_HLL
        assert err(r, "PFMERGE", key, "h") == NOT_HLL
        assert err(r, "PFMERGE", "h", key) == NOT_HLL
    assert err(r, "PFADD", "l", "a") == WRONGTYPE
    assert err(r, "PFCOUNT", "l") == WRONGTYPE
    assert err(r, "PFMERGE", "dst", "l") == WRONGTYPE
    assert r.exists("dst") == 0
    assert err(r, "PFADD") == "ERR wrong number of arguments for 'pfadd' command"
    assert err(r, "PFCOUNT") == "ERR wrong number of arguments for 'pfcount' command"


def test_corrupted_values(rb):
    base = b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80"  # cache invalid
    rb.set("short", base + b"\x7f\xfe")         # covers 16383 registers
    rb.set("over", base + b"\x7f\xff\xff")      # a VAL run past the last register
    rb.set("badenc", b"HYLL\x02" + b"\x00" * 20)
    rb.set("badlen", b"HYLL\x00" + b"\x00" * 111)  # dense with the wrong size
    rb.set("invalid", base + b"\x7f\xff\x80")       # one register too many
    rb.set("cached", base[:15] + b"\x00\x7f\xfe")  # valid cache: registers not read
    for key in ("badenc", "badlen"):
        assert err(rb, "PFCOUNT", key) == NOT_HLL
    for key in ("over", "invalid"):
        assert err(rb, "PFCOUNT", key) == CORRUPT
        assert err(rb, "PFCOUNT", key, "nokey") == CORRUPT
        assert err(rb, "PFMERGE", "dst", key) == CORRUPT
    assert err(rb, "PFCOUNT", "short") == CORRUPT
    assert rb.execute_command("PFCOUNT", "cached") == 0
    # Registers before the damage are still updated, as in Redis.
    assert rb.execute_command("PFADD", "over", "zz") == 1
    rb.set("noops", base)  # a header and no opcodes
    assert err(rb, "PFADD", "noops", "zz") == CORRUPT
    assert err(rb, "PFCOUNT", "noops") == CORRUPT
    assert rb.exists("dst") == 0


@pytest.mark.parametrize("limit", ["0", "200"])
def test_sparse_max_bytes(start_server, limit):
    srv = start_server(directives=[("hll-sparse-max-bytes", limit)])
    c = make_client(srv, "plain", decode=False)
    assert c.execute_command("CONFIG", "GET", "hll-sparse-max-bytes") == \
        [b"hll-sparse-max-bytes", limit.encode()]
    c.execute_command("PFADD", "h", "a")
    if limit == "0":
        assert is_dense(c.get("h"))
    else:
        assert c.get("h")[4] == 1
        add_many(c, "h", ["x%d" % i for i in range(100)])
        assert is_dense(c.get("h"))
    c.execute_command("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    assert c.execute_command("CONFIG", "GET", "hll-sparse-max-bytes")[1] == b"3000"
    c.close()


# ------------------------------------------------------- bytes as redis-server

def test_bytes_match_redis_small(pair, mode):
    if mode == "tls":
        pytest.skip("byte comparison does not depend on the transport")
    both(pair, "PFADD", "h")
    same_bytes(pair, "h")
    for els in (["a"], ["b", "c", "a"], [""], ["x" * 100, "12345", "-1"]):
        both(pair, "PFADD", "h", *els)
        same_bytes(pair, "h")
    both(pair, "PFCOUNT", "h")
    same_bytes(pair, "h")


def test_bytes_match_redis_random(pair, mode):
    if mode == "tls":
        pytest.skip("byte comparison does not depend on the transport")
    rnd = random.Random(20261122)
    for t in range(12):
        key = "k%d" % t
        n = rnd.choice([10, 300, 1000, 3000, 20000])
        els = ["%d:%d" % (t, rnd.randint(0, 10 ** 9)) for _ in range(n)]
        i = 0
        while i < n:
            step = rnd.randint(1, 400)
            both(pair, "PFADD", key, *els[i:i + step])
            i += step
            if rnd.random() < 0.1:
                both(pair, "PFCOUNT", key)
        same_bytes(pair, key)
        both(pair, "PFCOUNT", key)
        same_bytes(pair, key)
    keys = ["k%d" % t for t in range(12)]
    for t in range(10):
        srcs = rnd.sample(keys, rnd.randint(1, 3))
        dst = rnd.choice(["m%d" % t, rnd.choice(keys)])
        both(pair, "PFMERGE", dst, *srcs)
        same_bytes(pair, dst)
        both(pair, "PFCOUNT", dst)
        both(pair, "PFCOUNT", *srcs)
        same_bytes(pair, dst)


def test_bytes_match_redis_after_copy(pair, mode):
    """A value made by redis-server keeps working on sealkv and vice versa."""
    if mode == "tls":
        pytest.skip("byte comparison does not depend on the transport")
    ours, theirs = pair
    theirs.execute_command("PFADD", "h", *["r%d" % i for i in range(500)])
    ours.set("h", theirs.get("h"))
    both(pair, "PFADD", "h", *["s%d" % i for i in range(500)])
    same_bytes(pair, "h")
    both(pair, "PFCOUNT", "h")
    same_bytes(pair, "h")
