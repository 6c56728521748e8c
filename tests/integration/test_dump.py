"""DUMP and RESTORE: payloads exchanged with a reference redis-server 7.0.

Every value type and encoding is built on a private redis-server 7.0, DUMPed
there, RESTOREd on the server under test and compared, then DUMPed back and
RESTOREd on redis-server. The reference runs with `rdbcompression no` so its
payloads can be compared byte for byte where the encoding is deterministic;
a second reference with compression on checks LZF-compressed strings.
Corrupt payloads must be refused with Redis's error texts.
"""

import os
import struct

import pytest

from helpers import ServerProcess, err, make_client, report_health

REDIS_SERVER = "/usr/bin/redis-server"


class _RedisTarget:
    binary = REDIS_SERVER
    extra_directives = [("save", ""), ("appendonly", "no")]
    is_redis = True


def _start_ref(tmp_path_factory, name, directives):
    srv = ServerProcess(_RedisTarget(), str(tmp_path_factory.mktemp(name)), plain=True,
                        directives=directives, name=name)
    srv.start()
    return srv


@pytest.fixture(scope="module")
def ref_server(tmp_path_factory):
    srv = _start_ref(tmp_path_factory, "ref-redis", [("rdbcompression", "no")])
    yield srv
    srv.stop()
    report_health([srv])


@pytest.fixture(scope="module")
def ref_lzf_server(tmp_path_factory):
    srv = _start_ref(tmp_path_factory, "ref-redis-lzf", [("rdbcompression", "yes")])
    yield srv
    srv.stop()
    report_health([srv])


def _bytes_client(srv, mode="plain"):
    c = make_client(srv, mode, decode=False)
    return c


@pytest.fixture
def ref(ref_server):
    c = _bytes_client(ref_server)
    c.execute_command("FLUSHALL")
    yield c
    c.close()


@pytest.fixture
def ref_lzf(ref_lzf_server):
    c = _bytes_client(ref_lzf_server)
    c.execute_command("FLUSHALL")
    yield c
    c.close()


@pytest.fixture
def rb(live_server, mode):
    """Bytes client of the server under test, on an empty keyspace."""
    c = _bytes_client(live_server, mode)
    c.execute_command("FLUSHALL")
    yield c
    c.close()


# ---------------------------------------------------------------- crc64


def _crc64_table():
    poly = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 reflected
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc64_table()


def crc64(data):
    crc = 0
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def payload(body, version=10):
    """Wraps type byte + value with the footer (version, CRC-64)."""
    data = body + struct.pack("<H", version)
    return data + struct.pack("<Q", crc64(data))


def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + struct.pack(">I", n)


def rdb_str(s):
    return rdb_len(len(s)) + s


# ---------------------------------------------------------------- values


def _enc(c, key):
    return c.execute_command("OBJECT", "ENCODING", key)


def snapshot(c, key):
    """Type, encoding-independent content of key."""
    t = c.execute_command("TYPE", key)
    if t == b"string":
        return t, c.execute_command("GET", key)
    if t == b"list":
        return t, c.execute_command("LRANGE", key, 0, -1)
    if t == b"set":
        return t, sorted(c.execute_command("SMEMBERS", key))
    if t == b"zset":
        return t, c.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
    if t == b"hash":
        flat = c.execute_command("HGETALL", key)
        return t, sorted(zip(flat[0::2], flat[1::2]))
    if t == b"stream":
        groups = c.execute_command("XINFO", "GROUPS", key)
        pending = [c.execute_command("XPENDING", key, g[1]) for g in groups]
        info = c.execute_command("XINFO", "STREAM", key)
        keep = (b"length", b"last-generated-id", b"max-deleted-entry-id", b"entries-added",
                b"recorded-first-entry-id", b"groups", b"first-entry", b"last-entry")
        meta = [(k, v) for k, v in zip(info[0::2], info[1::2]) if k in keep]
        return t, (c.execute_command("XRANGE", key, "-", "+"), groups, pending, meta)
    return t, None


def _many(prefix, n):
    return [b"%s%d" % (prefix, i) for i in range(n)]


# name -> (commands building key "k", encoding, payload byte-identical after a
# round trip through the server under test)
CASES = {
    "str_small_int": ([("SET", "k", "12")], b"int", True),
    "str_int16": ([("SET", "k", "-30000")], b"int", True),
    "str_int32": ([("SET", "k", "2000000000")], b"int", True),
    "str_int64": ([("SET", "k", "9000000000000000000")], b"int", True),
    "str_nonint": ([("SET", "k", "0123")], b"embstr", True),
    "str_embstr": ([("SET", "k", "hello world")], b"embstr", True),
    "str_raw": ([("SET", "k", "x" * 100)], b"raw", True),
    "str_binary": ([("SET", "k", bytes(range(256)))], b"raw", True),
    "str_empty": ([("SET", "k", "")], b"embstr", True),
    "list_small": ([("RPUSH", "k", "a", "1", "-5", "70000", "x" * 70, "9999999999")],
                   b"quicklist", True),
    # Several nodes: sealkv splits them where Redis 7.0 does.
    "list_many_nodes": ([("RPUSH", "k") + tuple(_many(b"element-", 2000))], b"quicklist",
                        True),
    "set_intset16": ([("SADD", "k", "1", "2", "-3")], b"intset", True),
    "set_intset64": ([("SADD", "k", "1", "5000000000", "-7")], b"intset", True),
    "set_ht": ([("SADD", "k", "a", "b", "c", "1")], b"hashtable", False),
    "set_ht_big_ints": ([("SADD", "k") + tuple(str(i) for i in range(600))], b"hashtable",
                        False),
    "zset_listpack": ([("ZADD", "k", "1", "a", "2.5", "b", "-inf", "c", "1e300", "d",
                        "0.1", "7")], b"listpack", True),
    "zset_skiplist": ([("ZADD", "k") + tuple(x for i in range(200)
                                             for x in (str(i * 1.5), "m%d" % i))],
                      b"skiplist", True),
    "zset_skiplist_long": ([("ZADD", "k", "1", "y" * 100, "2", "z")], b"skiplist", True),
    "hash_listpack": ([("HSET", "k", "f1", "v1", "f2", "123", "n", "-1")], b"listpack",
                      True),
    "hash_ht": ([("HSET", "k") + tuple(x for i in range(600)
                                       for x in ("f%d" % i, "v%d" % i))],
                b"hashtable", False),
    "hash_ht_long_value": ([("HSET", "k", "f", "v" * 100, "g", "1")], b"hashtable", False),
    "stream_simple": ([("XADD", "k", "1-1", "a", "1"), ("XADD", "k", "1-2", "a", "2", "b", "x"),
                       ("XADD", "k", "5-0", "a", "3")], b"stream", True),
    "stream_groups": ([("XADD", "k", "1-1", "a", "1"), ("XADD", "k", "1-2", "a", "2"),
                       ("XADD", "k", "2-0", "f", "v"),
                       ("XGROUP", "CREATE", "k", "g", "0"),
                       ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "k", ">"),
                       ("XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "k", ">"),
                       ("XGROUP", "CREATECONSUMER", "k", "g", "idle"),
                       ("XGROUP", "CREATE", "k", "g2", "$"),
                       ("XDEL", "k", "1-2")], b"stream", True),
    "stream_emptied": ([("XADD", "k", "1-1", "a", "1"), ("XDEL", "k", "1-1")], b"stream",
                       True),
    "stream_many_nodes": ([("XADD", "k", "%d-1" % i, "field", "value%d" % i)
                           for i in range(1, 260)] + [("XDEL", "k", "7-1", "150-1")],
                          b"stream", True),
}


def _build(c, cmds):
    for cmd in cmds:
        c.execute_command(*cmd)


@pytest.mark.parametrize("case", sorted(CASES))
def test_redis_to_server_and_back(ref, rb, target, case):
    cmds, encoding, identical = CASES[case]
    _build(ref, cmds)
    assert _enc(ref, "k") == encoding
    want = snapshot(ref, "k")
    blob = ref.execute_command("DUMP", "k")

    assert rb.execute_command("RESTORE", "k", 0, blob) == b"OK"
    assert snapshot(rb, "k") == want
    assert _enc(rb, "k") == encoding
    back = rb.execute_command("DUMP", "k")
    # The shared redis-server compresses its payloads: bytes differ there.
    if identical and not target.is_redis:
        assert back == blob

    ref.execute_command("DEL", "k")
    assert ref.execute_command("RESTORE", "k", 0, back) == b"OK"
    assert snapshot(ref, "k") == want
    assert _enc(ref, "k") == encoding


@pytest.mark.sealkv_only
def _timeless(cmds):
    """Consumer groups record delivery and seen times: those differ."""
    return not any(c[0] in ("XREADGROUP", "XGROUP") for c in cmds)


@pytest.mark.parametrize("case", sorted(k for k, v in CASES.items()
                                        if v[2] and _timeless(v[0])))
def test_same_commands_same_payload(ref, rb, case):
    """Built by the same commands on each server, values DUMP to the same
    bytes: encodings, node splits and integer forms follow Redis 7.0."""
    cmds, _, _ = CASES[case]
    _build(ref, cmds)
    _build(rb, cmds)
    assert rb.execute_command("DUMP", "k") == ref.execute_command("DUMP", "k")


@pytest.mark.parametrize("case", ["str_raw", "list_many_nodes", "set_ht_big_ints",
                                  "zset_listpack", "zset_skiplist", "hash_listpack",
                                  "hash_ht"])
def test_lzf_compressed_payloads(ref_lzf, rb, case):
    cmds, encoding, _ = CASES[case]
    _build(ref_lzf, cmds)
    want = snapshot(ref_lzf, "k")
    blob = ref_lzf.execute_command("DUMP", "k")
    assert rb.execute_command("RESTORE", "k", 0, blob) == b"OK"
    assert snapshot(rb, "k") == want
    assert _enc(rb, "k") == encoding


def test_compressible_string_roundtrip(ref_lzf, rb):
    value = b"abcabcabcabc" * 1000
    ref_lzf.execute_command("SET", "k", value)
    blob = ref_lzf.execute_command("DUMP", "k")
    assert len(blob) < len(value)  # really compressed
    assert rb.execute_command("RESTORE", "k", 0, blob) == b"OK"
    assert rb.execute_command("GET", "k") == value


def test_server_dump_restores_on_itself(rb):
    rb.execute_command("RPUSH", "l", "a", "b", "3")
    rb.execute_command("SADD", "s", "x", "y")
    rb.execute_command("ZADD", "z", "1", "a", "2", "b")
    rb.execute_command("HSET", "h", "a", "1")
    for key in (b"l", b"s", b"z", b"h"):
        want = snapshot(rb, key)
        blob = rb.execute_command("DUMP", key)
        assert rb.execute_command("RESTORE", key + b"2", 0, blob) == b"OK"
        assert snapshot(rb, key + b"2") == want


# ---------------------------------------------------------------- legacy


def test_old_encodings_from_crafted_payloads(rb):
    # LIST (plain), ZSET (text scores), HASH (plain), SET (plain, all ints).
    cases = [
        (b"\x01" + rdb_len(3) + rdb_str(b"a") + b"\xc0\x05" + rdb_str(b"c"),
         (b"list", [b"a", b"5", b"c"])),
        (b"\x03" + rdb_len(2) + rdb_str(b"a") + b"\x031.5" + rdb_str(b"b") + b"\xfe",
         (b"zset", [b"a", b"1.5", b"b", b"inf"])),
        (b"\x04" + rdb_len(1) + rdb_str(b"f") + rdb_str(b"v"),
         (b"hash", [(b"f", b"v")])),
        (b"\x02" + rdb_len(2) + rdb_str(b"7") + rdb_str(b"3"),
         (b"set", [b"3", b"7"])),
    ]
    for i, (body, want) in enumerate(cases):
        key = "old%d" % i
        assert rb.execute_command("RESTORE", key, 0, payload(body)) == b"OK"
        assert snapshot(rb, key) == want
    assert _enc(rb, "old3") == b"intset"


def _ziplist(entries):
    """A ziplist of short strings and small ints (immediate / int8 forms)."""
    body = b""
    prev = 0
    last = 10
    for e in entries:
        if isinstance(e, int):
            data = bytes([0xF1 + e]) if 0 <= e <= 12 else b"\xfe" + struct.pack("<b", e)
        else:
            data = bytes([len(e)]) + e
        entry = bytes([prev]) + data
        last = 10 + len(body)
        body += entry
        prev = len(entry)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, last, len(entries)) + body + b"\xff"


def test_ziplist_encodings(rb):
    zl = _ziplist([b"a", 3, b"bb", -100])
    assert rb.execute_command("RESTORE", "l", 0, payload(b"\x0a" + rdb_str(zl))) == b"OK"
    assert snapshot(rb, "l") == (b"list", [b"a", b"3", b"bb", b"-100"])
    ql = b"\x0e" + rdb_len(2) + rdb_str(zl) + rdb_str(_ziplist([b"z"]))
    assert rb.execute_command("RESTORE", "q", 0, payload(ql)) == b"OK"
    assert snapshot(rb, "q") == (b"list", [b"a", b"3", b"bb", b"-100", b"z"])
    hz = _ziplist([b"f", b"v", b"g", 7])
    assert rb.execute_command("RESTORE", "h", 0, payload(b"\x0d" + rdb_str(hz))) == b"OK"
    assert snapshot(rb, "h") == (b"hash", [(b"f", b"v"), (b"g", b"7")])
    assert _enc(rb, "h") == b"listpack"
    zz = _ziplist([b"a", 1, b"b", b"2.5"])
    assert rb.execute_command("RESTORE", "z", 0, payload(b"\x0c" + rdb_str(zz))) == b"OK"
    assert snapshot(rb, "z") == (b"zset", [b"a", b"1", b"b", b"2.5"])
    assert _enc(rb, "z") == b"listpack"


def test_zipmap_encoding(rb):
    zm = b"\x02" + b"\x01f\x01\x00v" + b"\x02gg\x03\x01abcX" + b"\xff"
    assert rb.execute_command("RESTORE", "h", 0, payload(b"\x09" + rdb_str(zm))) == b"OK"
    assert snapshot(rb, "h") == (b"hash", [(b"f", b"v"), (b"gg", b"abc")])


# ---------------------------------------------------------------- options


def test_dump_missing_key(rb):
    assert rb.execute_command("DUMP", "nosuch") is None


def test_restore_busykey_and_replace(rb):
    rb.execute_command("SET", "k", "old")
    blob = rb.execute_command("DUMP", "k")
    rb.execute_command("SET", "k", "new")
    assert err(rb, "RESTORE", "k", 0, blob) == "BUSYKEY Target key name already exists."
    assert rb.execute_command("RESTORE", "k", 0, blob, "REPLACE") == b"OK"
    assert rb.execute_command("GET", "k") == b"old"


def test_restore_ttl_and_absttl(rb):
    rb.execute_command("SET", "k", "v")
    blob = rb.execute_command("DUMP", "k")
    assert rb.execute_command("RESTORE", "a", 100000, blob) == b"OK"
    assert 90000 < rb.execute_command("PTTL", "a") <= 100000
    assert rb.execute_command("RESTORE", "b", 4102444800000, blob, "ABSTTL") == b"OK"
    assert rb.execute_command("PEXPIRETIME", "b") == 4102444800000
    # Already expired: OK, nothing stored, and an existing key replaced is gone.
    assert rb.execute_command("RESTORE", "c", 1, blob, "ABSTTL") == b"OK"
    assert rb.execute_command("EXISTS", "c") == 0
    assert rb.execute_command("RESTORE", "k", 1, blob, "ABSTTL", "REPLACE") == b"OK"
    assert rb.execute_command("EXISTS", "k") == 0
    assert rb.execute_command("RESTORE", "d", 0, blob) == b"OK"
    assert rb.execute_command("TTL", "d") == -1


def test_restore_idletime_and_freq(rb):
    rb.execute_command("SET", "k", "v")
    blob = rb.execute_command("DUMP", "k")
    assert rb.execute_command("RESTORE", "i", 0, blob, "IDLETIME", 1000) == b"OK"
    assert 1000 <= rb.execute_command("OBJECT", "IDLETIME", "i") <= 1002
    assert err(rb, "RESTORE", "x", 0, blob, "IDLETIME", -1) == \
        "ERR Invalid IDLETIME value, must be >= 0"
    assert err(rb, "RESTORE", "x", 0, blob, "FREQ", 256) == \
        "ERR Invalid FREQ value, must be >= 0 and <= 255"
    # FREQ without an LFU policy is accepted and ignored.
    assert rb.execute_command("RESTORE", "f", 0, blob, "FREQ", 100) == b"OK"
    # IDLETIME and FREQ together: the second is not an option then.
    assert err(rb, "RESTORE", "x", 0, blob, "IDLETIME", 1, "FREQ", 1) == "ERR syntax error"
    assert err(rb, "RESTORE", "x", 0, blob, "IDLETIME") == "ERR syntax error"
    assert err(rb, "RESTORE", "x", 0, blob, "IDLETIME", "abc") == \
        "ERR value is not an integer or out of range"


def test_restore_argument_errors(rb):
    rb.execute_command("SET", "k", "v")
    blob = rb.execute_command("DUMP", "k")
    assert err(rb, "RESTORE", "x", -1, blob) == "ERR Invalid TTL value, must be >= 0"
    assert err(rb, "RESTORE", "x", "abc", blob) == "ERR value is not an integer or out of range"
    assert err(rb, "RESTORE", "x", 0, blob, "BOGUS") == "ERR syntax error"
    assert err(rb, "RESTORE", "x", 0) == "ERR wrong number of arguments for 'restore' command"
    # The key check comes before the TTL check.
    assert err(rb, "RESTORE", "k", -1, blob) == "BUSYKEY Target key name already exists."


# ---------------------------------------------------------------- corrupt

BAD_CRC = "ERR DUMP payload version or checksum are wrong"
BAD_DATA = "ERR Bad data format"


def test_corrupt_footer_refused(rb):
    rb.execute_command("RPUSH", "k", "a", "b")
    blob = rb.execute_command("DUMP", "k")
    flipped = blob[:3] + bytes([blob[3] ^ 0x01]) + blob[4:]
    assert err(rb, "RESTORE", "x", 0, flipped) == BAD_CRC
    assert err(rb, "RESTORE", "x", 0, blob[:-1]) == BAD_CRC
    assert err(rb, "RESTORE", "x", 0, b"short") == BAD_CRC
    assert err(rb, "RESTORE", "x", 0, b"") == BAD_CRC
    newer = payload(blob[:-10], version=11)
    assert err(rb, "RESTORE", "x", 0, newer) == BAD_CRC
    older = payload(blob[:-10], version=9)
    assert rb.execute_command("RESTORE", "x", 0, older) == b"OK"
    assert rb.execute_command("EXISTS", "x") == 1


@pytest.mark.parametrize("body", [
    b"",                                            # no type
    b"\xc8" + rdb_str(b"x"),                        # unknown type
    b"\x00" + rdb_len(30) + b"abc",                 # string past the end
    b"\x00\xc5",                                    # unknown string encoding
    b"\x02" + rdb_len(0),                           # empty set
    b"\x02" + rdb_len(2) + rdb_str(b"a") + rdb_str(b"a"),   # duplicate member
    b"\x02" + rdb_len(3) + rdb_str(b"a"),           # fewer members than said
    b"\x04" + rdb_len(0),                           # empty hash
    b"\x05" + rdb_len(2) + (rdb_str(b"m") + struct.pack("<d", 1.0)) * 2,  # dup member
    b"\x12" + rdb_len(0),                           # empty quicklist
    b"\x12" + rdb_len(1) + rdb_len(7) + rdb_str(b"x"),      # bad container
    b"\x0b" + rdb_str(b"\x02\x00\x00\x00\x05\x00\x00\x00\x01\x00"),  # intset len lies
])
def test_bad_data_refused(rb, body):
    assert err(rb, "RESTORE", "x", 0, payload(body)) == BAD_DATA
    assert rb.execute_command("EXISTS", "x") == 0


# Redis 7.0 accepts these unless sanitize-dump-payload is yes (it reads the
# footer as data, keeps duplicates it does not look for); sealkv always checks.
@pytest.mark.sealkv_only
@pytest.mark.parametrize("body", [
    b"\x00" + rdb_len(10) + b"abc",                 # string into the footer
    b"\x00\xc1\x01",                                # int16 cut short
    b"\x04" + rdb_len(2) + rdb_str(b"f") + rdb_str(b"1") + rdb_str(b"f") + rdb_str(b"2"),
    b"\x05" + rdb_len(1) + rdb_str(b"m") + b"\x00" * 7,     # double cut short
    b"\x00" + rdb_str(b"abc") + b"x",              # trailing byte
    # listpack hash with a field twice
    b"\x10" + rdb_str(b"\x0f\x00\x00\x00\x04\x00\x81f\x02\x01\x01\x81f\x02\x02\x01\xff"),
    # listpack whose entry claims more bytes than there are
    b"\x10" + rdb_str(b"\x0d\x00\x00\x00\x02\x00\x85f\x02\x01\x01\xff"),
    # zset listpack with an odd element count
    b"\x11" + rdb_str(b"\x0a\x00\x00\x00\x01\x00\x81m\x02\xff"),
    # zset listpack with a non-numeric score
    b"\x11" + rdb_str(b"\x0d\x00\x00\x00\x02\x00\x81m\x02\x81x\x02\xff"),
    # list quicklist node that is not a listpack
    b"\x12" + rdb_len(1) + rdb_len(2) + rdb_str(b"\x09\x00\x00\x00\x01\x00\x01\x01\xfe"),
    # intset not sorted
    b"\x0b" + rdb_str(b"\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00\x01\x00"),
    # ziplist with a wrong prevlen
    b"\x0a" + rdb_str(struct.pack("<IIH", 17, 13, 2) + b"\x00\xf2\x05\xf3\xff"),
    # LZF string whose back reference points before the output
    b"\x00\xc3" + rdb_len(3) + rdb_len(10) + b"\x20\x05\x00",
    # LZF string claiming a huge size
    b"\x00\xc3" + rdb_len(2) + b"\x80\x7f\xff\xff\xff" + b"\x00a",
])
def test_deep_validation(rb, body):
    assert err(rb, "RESTORE", "x", 0, payload(body)) == BAD_DATA
    assert rb.execute_command("EXISTS", "x") == 0


def test_restore_freq_under_lfu_policy(start_server):
    srv = start_server(directives=[("maxmemory", "100mb"),
                                   ("maxmemory-policy", "allkeys-lfu")])
    c = _bytes_client(srv)
    try:
        c.execute_command("SET", "k", "v")
        blob = c.execute_command("DUMP", "k")
        assert c.execute_command("RESTORE", "f", 0, blob, "FREQ", 100) == b"OK"
        assert c.execute_command("OBJECT", "FREQ", "f") == 100
        # IDLETIME does not apply under LFU: accepted, the counter starts as new.
        assert c.execute_command("RESTORE", "i", 0, blob, "IDLETIME", 50) == b"OK"
        assert c.execute_command("OBJECT", "FREQ", "i") == 5
    finally:
        c.close()


# ---------------------------------------------------------------- streams


def test_stream_rdb9_format(ref, rb):
    """RDB_TYPE_STREAM_LISTPACKS (15): no first ID, max deleted ID, entries
    added: derived on load. Built from a 7.0 payload of a group-less stream."""
    for cmd in CASES["stream_simple"][0]:
        ref.execute_command(*cmd)
    body = ref.execute_command("DUMP", "k")[:-10]
    # Tail of a 7.0 body: first ID (1, 1), max deleted (0, 0), added (3), groups (0).
    assert body[-6:] == b"\x01\x01\x00\x00\x03\x00"
    old = payload(b"\x0f" + body[1:-6] + b"\x00")
    for c in (ref, rb):
        assert c.execute_command("RESTORE", "old", 0, old) == b"OK"
        info = c.execute_command("XINFO", "STREAM", "old")
        info = dict(zip(info[0::2], info[1::2]))
        assert info[b"recorded-first-entry-id"] == b"1-1"
        assert info[b"entries-added"] == 3
        assert info[b"max-deleted-entry-id"] == b"0-0"
        assert c.execute_command("XLEN", "old") == 3


def _lp(elems):
    """A listpack of small non-negative ints (< 128) and short strings."""
    body = b""
    for e in elems:
        enc = bytes([e]) if isinstance(e, int) else bytes([0x80 | len(e)]) + e
        body += enc + bytes([len(enc)])
    return struct.pack("<IH", 6 + len(body) + 1, len(elems)) + body + b"\xff"


def _sid(ms, seq):
    return struct.pack(">QQ", ms, seq)


def _stream(lp_count=4, length=1, last=(1, 1), consumers=((b"c", [(1, 1)]),),
            pel=((1, 1),)):
    node = _lp([1, 0, 1, b"a", 0, 2, 0, 0, 1, lp_count])
    out = b"\x13" + rdb_len(1) + rdb_str(_sid(1, 1)) + rdb_str(node)
    out += rdb_len(length) + rdb_len(last[0]) + rdb_len(last[1])
    out += rdb_len(1) + rdb_len(1) + rdb_len(0) + rdb_len(0) + rdb_len(1)
    out += rdb_len(1) + rdb_str(b"g") + rdb_len(1) + rdb_len(1) + rdb_len(1)
    out += rdb_len(len(pel))
    for ms, seq in pel:
        out += _sid(ms, seq) + struct.pack("<q", 1700000000000) + rdb_len(1)
    out += rdb_len(len(consumers))
    for name, ids in consumers:
        out += rdb_str(name) + struct.pack("<q", 1700000000000) + rdb_len(len(ids))
        out += b"".join(_sid(ms, seq) for ms, seq in ids)
    return out


def test_crafted_stream_loads(rb):
    assert rb.execute_command("RESTORE", "s", 0, payload(_stream())) == b"OK"
    assert rb.execute_command("XRANGE", "s", "-", "+") == [[b"1-1", [b"a", b"1"]]]
    assert rb.execute_command("XPENDING", "s", "g") == [1, b"1-1", b"1-1", [[b"c", b"1"]]]


@pytest.mark.sealkv_only
@pytest.mark.parametrize("body", [
    _stream(lp_count=5),                                     # entry's lp-count wrong
    _stream(length=2),                                       # length vs live entries
    _stream(last=(0, 5)),                                    # entry past the last ID
    _stream(consumers=()),                                   # pending entry, no owner
    _stream(consumers=((b"c", [(1, 1)]), (b"d", [(1, 1)]))),  # two owners
    _stream(consumers=((b"c", [(1, 1), (1, 1)]),)),          # twice in one consumer
    _stream(consumers=((b"c", [(2, 2)]),)),                  # not in the group PEL
    _stream(consumers=((b"c", [(1, 1)]), (b"c", []))),       # consumer name twice
    _stream(pel=((1, 1), (1, 1))),                           # group PEL entry twice
    _stream()[:-20],                                         # cut short
])
def test_corrupt_streams(rb, body):
    assert err(rb, "RESTORE", "x", 0, payload(body)) == BAD_DATA
    assert rb.execute_command("EXISTS", "x") == 0
