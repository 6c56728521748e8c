"""Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO) as
redis-server 7.0 answers them: replies, error texts, growth of the string and the
7.0 BYTE|BIT range units. Every expectation here was checked against redis-server.
"""

import pytest

from helpers import err, make_client

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOTINT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
OFFSET = "ERR bit offset is not an integer or out of range"
BITVAL = "ERR bit is not an integer or out of range"
BFTYPE = ("ERR Invalid bitfield type. Use something like i16 u8. "
          "Note that u64 is not supported but i64 is.")


@pytest.fixture
def rb(live_server, mode):
    """A client with bytes replies on an empty keyspace."""
    c = make_client(live_server, mode, decode=False)
    c.execute_command("FLUSHALL")
    yield c
    c.close()


# ------------------------------------------------------------ SETBIT / GETBIT

def test_setbit_grows_and_returns_old_bit(rb):
    assert rb.execute_command("SETBIT", "k", 7, 1) == 0
    assert rb.get("k") == b"\x01"
    assert rb.execute_command("SETBIT", "k", 7, 1) == 1
    assert rb.execute_command("SETBIT", "k", 0, 1) == 0
    assert rb.get("k") == b"\x81"
    assert rb.execute_command("SETBIT", "k", 100, 1) == 0
    assert rb.get("k") == b"\x81" + b"\x00" * 11 + b"\x08"
    assert rb.execute_command("SETBIT", "k", 7, 0) == 1
    assert rb.execute_command("GETBIT", "k", 100) == 1
    assert rb.execute_command("GETBIT", "k", 99) == 0
    assert rb.execute_command("GETBIT", "k", 100000) == 0
    assert rb.execute_command("GETBIT", "nokey", 5) == 0
    # Clearing a bit of a missing key still creates it.
    assert rb.execute_command("SETBIT", "new", 0, 0) == 0
    assert rb.get("new") == b"\x00"


def test_setbit_errors(r):
    assert err(r, "SETBIT", "k", -1, 1) == OFFSET
    assert err(r, "SETBIT", "k", "x", 1) == OFFSET
    assert err(r, "SETBIT", "k", "#1", 1) == OFFSET
    assert err(r, "SETBIT", "k", 4294967296, 1) == OFFSET  # byte 512MB: past proto-max-bulk-len
    assert err(r, "GETBIT", "k", 4294967296) == OFFSET
    assert err(r, "GETBIT", "k", -1) == OFFSET
    assert err(r, "SETBIT", "k", 1, 2) == BITVAL
    assert err(r, "SETBIT", "k", 1, -1) == BITVAL
    assert err(r, "SETBIT", "k", 1, "x") == BITVAL
    assert r.exists("k") == 0
    r.lpush("l", "a")
    assert err(r, "SETBIT", "l", 1, 1) == WRONGTYPE
    assert err(r, "GETBIT", "l", 1) == WRONGTYPE
    assert err(r, "SETBIT", "k", 1) == "ERR wrong number of arguments for 'setbit' command"


def test_setbit_on_int_encoded_value(r):
    r.set("i", "12345")
    assert r.execute_command("GETBIT", "i", 2) == 1
    assert r.execute_command("SETBIT", "i", 7, 0) == 1
    assert r.get("i") == "02345"
    assert r.execute_command("OBJECT", "ENCODING", "i") == "raw"


def test_setbit_keeps_ttl(r):
    r.set("k", "a", ex=100)
    r.execute_command("SETBIT", "k", 1, 1)
    assert 0 < r.ttl("k") <= 100


def test_setbit_offset_limit_follows_proto_max_bulk_len(start_server):
    srv = start_server(directives=[("proto-max-bulk-len", "1mb")])
    c = make_client(srv, "plain")
    assert err(c, "SETBIT", "k", 8 * 1024 * 1024, 1) == OFFSET
    assert c.execute_command("SETBIT", "k", 8 * 1024 * 1024 - 1, 1) == 0
    assert c.strlen("k") == 1024 * 1024
    assert c.execute_command("BITCOUNT", "k") == 1
    assert c.execute_command("BITPOS", "k", 1) == 8 * 1024 * 1024 - 1
    assert err(c, "BITFIELD", "k", "SET", "u8", "#1048576", 1) == OFFSET
    c.close()


# ------------------------------------------------------------------ BITCOUNT

def test_bitcount_ranges(r):
    r.set("s", "foobar")
    assert r.execute_command("BITCOUNT", "s") == 26
    assert r.execute_command("BITCOUNT", "s", 0, 0) == 4
    assert r.execute_command("BITCOUNT", "s", 1, 1) == 6
    assert r.execute_command("BITCOUNT", "s", 1, 1, "BYTE") == 6
    assert r.execute_command("BITCOUNT", "s", 5, 30, "BIT") == 17
    assert r.execute_command("BITCOUNT", "s", -3, -1, "bit") == 1
    assert r.execute_command("BITCOUNT", "s", -1, -3) == 0
    assert r.execute_command("BITCOUNT", "s", -10, -20) == 0
    assert r.execute_command("BITCOUNT", "s", -100, 100) == 26
    assert r.execute_command("BITCOUNT", "s", 3, 2) == 0
    # Both ends clamp to 0: the first byte is counted (Redis 7.0).
    assert r.execute_command("BITCOUNT", "s", -30, -28) == 4
    assert r.execute_command("BITCOUNT", "nokey") == 0
    r.set("e", "")
    assert r.execute_command("BITCOUNT", "e") == 0
    assert r.execute_command("BITCOUNT", "e", 0, -1) == 0


def test_bitcount_errors(r):
    r.set("s", "foobar")
    assert err(r, "BITCOUNT", "s", 0) == SYNTAX
    assert err(r, "BITCOUNT", "s", 0, 1, "foo") == SYNTAX
    assert err(r, "BITCOUNT", "s", 0, -1, "BIT", "x") == SYNTAX
    assert err(r, "BITCOUNT", "s", "a", 1) == NOTINT
    # Redis 7.0 answers 0 for a missing key before looking at the arguments.
    assert r.execute_command("BITCOUNT", "nokey", 0) == 0
    assert r.execute_command("BITCOUNT", "nokey", "a", "b") == 0
    r.lpush("l", "a")
    assert err(r, "BITCOUNT", "l") == WRONGTYPE


# -------------------------------------------------------------------- BITPOS

def test_bitpos_bytes(rb):
    rb.set("z", b"\xff\xf0\x00")
    assert rb.execute_command("BITPOS", "z", 0) == 12
    assert rb.execute_command("BITPOS", "z", 1) == 0
    assert rb.execute_command("BITPOS", "z", 1, 2) == -1
    assert rb.execute_command("BITPOS", "z", 0, 2) == 16
    assert rb.execute_command("BITPOS", "z", 0, 0, 1) == 12
    rb.set("f", b"\xff\xff\xff")
    # No clear bit: without an end the string counts as zero-padded on the right.
    assert rb.execute_command("BITPOS", "f", 0) == 24
    assert rb.execute_command("BITPOS", "f", 0, 1) == 24
    # With an explicit end the range really has none.
    assert rb.execute_command("BITPOS", "f", 0, 1, 2) == -1
    assert rb.execute_command("BITPOS", "f", 1, -1) == 16
    assert rb.execute_command("BITPOS", "f", 1, -100, -50) == 0
    assert rb.execute_command("BITPOS", "f", 1, 5, 3) == -1
    assert rb.execute_command("BITPOS", "nokey", 0) == 0
    assert rb.execute_command("BITPOS", "nokey", 1) == -1
    rb.set("e", b"")
    assert rb.execute_command("BITPOS", "e", 0) == -1
    assert rb.execute_command("BITPOS", "e", 1) == -1


def test_bitpos_bit_units(rb):
    rb.set("f", b"\xff\xff\xff")
    assert rb.execute_command("BITPOS", "f", 0, 0, -1, "bit") == -1
    assert rb.execute_command("BITPOS", "f", 0, 3, 20, "BIT") == -1
    assert rb.execute_command("BITPOS", "f", 1, 3, 20, "BIT") == 3
    rb.set("m", b"\x00\x01\x80")
    assert rb.execute_command("BITPOS", "m", 1, 8, 15, "BIT") == 15
    assert rb.execute_command("BITPOS", "m", 1, 16, -1, "BIT") == 16
    assert rb.execute_command("BITPOS", "m", 0, 15, 16, "BIT") == -1
    assert rb.execute_command("BITPOS", "m", 0, 15, 17, "BIT") == 17
    assert rb.execute_command("BITPOS", "m", 1, 1, 1, "BYTE") == 15


def test_bitpos_errors(r):
    r.set("f", "abc")
    assert err(r, "BITPOS", "f", 2) == "ERR The bit argument must be 1 or 0."
    assert err(r, "BITPOS", "f", "x") == NOTINT
    assert err(r, "BITPOS", "f", 0, 1, 2, "foo") == SYNTAX
    assert err(r, "BITPOS", "f", 0, "a") == NOTINT
    assert err(r, "BITPOS", "f", 0, 1, 2, "bit", "x") == SYNTAX
    r.lpush("l", "a")
    assert err(r, "BITPOS", "l", 1) == WRONGTYPE


# --------------------------------------------------------------------- BITOP

def test_bitop_operations(rb):
    rb.set("a", b"abc")
    rb.set("b", b"xyzdefg")
    assert rb.execute_command("BITOP", "AND", "r", "a", "b") == 7
    assert rb.get("r") == b"``b\x00\x00\x00\x00"
    assert rb.execute_command("BITOP", "or", "r", "a", "b", "nokey") == 7
    assert rb.get("r") == b"y{{defg"
    assert rb.execute_command("BITOP", "XOR", "r", "a", "b") == 7
    assert rb.get("r") == b"\x19\x1b\x19defg"
    assert rb.execute_command("BITOP", "NOT", "r", "a") == 3
    assert rb.get("r") == b"\x9e\x9d\x9c"
    assert rb.execute_command("BITOP", "AND", "r", "a", "nokey") == 3
    assert rb.get("r") == b"\x00\x00\x00"
    assert rb.execute_command("OBJECT", "ENCODING", "r") == b"raw"


def test_bitop_empty_result_deletes_dest_and_drops_ttl(r):
    r.set("r", "x", ex=100)
    assert r.execute_command("BITOP", "AND", "r", "nokey", "nokey2") == 0
    assert r.exists("r") == 0
    r.set("a", "abc")
    r.set("r", "x", ex=100)
    assert r.execute_command("BITOP", "OR", "r", "a") == 3
    assert r.ttl("r") == -1
    r.set("i", "12")
    assert r.execute_command("BITOP", "OR", "r", "i", "a") == 3
    assert r.get("r") == "qrc"


def test_bitop_errors(r):
    r.set("a", "abc")
    r.lpush("l", "x")
    assert err(r, "BITOP", "NOT", "r", "a", "a") == \
        "ERR BITOP NOT must be called with a single source key."
    assert err(r, "BITOP", "NAND", "r", "a") == SYNTAX
    assert err(r, "BITOP", "AND", "r", "a", "l") == WRONGTYPE
    assert err(r, "BITOP", "AND", "r") == "ERR wrong number of arguments for 'bitop' command"
    assert r.exists("r") == 0


# ------------------------------------------------------------------ BITFIELD

def test_bitfield_get_set_incrby(r):
    assert r.execute_command("BITFIELD", "bf", "SET", "i8", 0, -100) == [0]
    assert r.execute_command("BITFIELD", "bf", "GET", "i8", 0, "GET", "u8", 0,
                             "GET", "u4", "#1") == [-100, 156, 12]
    assert r.execute_command("BITFIELD", "bf", "INCRBY", "u2", 100, 1, "OVERFLOW", "SAT",
                             "incrby", "u2", 102, 1, "GET", "u2", 100) == [1, 1, 1]
    assert r.strlen("bf") == 13
    assert r.execute_command("BITFIELD", "bf", "GET", "u8", "#1000", "GET", "i64", "#100") == [0, 0]
    assert r.strlen("bf") == 13
    assert r.execute_command("BITFIELD", "bf") == []
    assert r.execute_command("BITFIELD", "nokey") == []
    assert r.execute_command("BITFIELD", "nokey", "GET", "u8", 0) == [0]
    assert r.exists("nokey") == 0


def test_bitfield_overflow_policies(r):
    assert r.execute_command("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", 100, 5,
                             "SET", "i4", "#3", 100) == [None, None]
    assert r.execute_command("BITFIELD", "bf", "SET", "u8", 0, -1) == [0]
    assert r.execute_command("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", 0, -1,
                             "SET", "i8", 0, 200, "SET", "i8", 0, -200) == [255, -1, 127]
    assert r.execute_command("BITFIELD", "bf", "OVERFLOW", "WRAP", "SET", "i8", 0, 200,
                             "INCRBY", "i8", 0, 100, "INCRBY", "i64", 0, 2**63 - 1,
                             "INCRBY", "i64", 0, 2**63 - 1) == \
        [-128, 44, -6052837899185946625, 3170534137668829182]
    assert r.execute_command("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", 0, 2**63 - 1,
                             "INCRBY", "i64", 0, 2**63 - 1, "INCRBY", "i64", 0, -2**63,
                             "INCRBY", "i64", 0, -2**63) == \
        [9223372036854775807, 9223372036854775807, -1, -9223372036854775808]
    assert r.execute_command("BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", 0, 256,
                             "GET", "u8", 0) == [None, 128]
    # Redis's overflow test on SET: a value far below a signed range counts
    # as overflowing upwards, so SAT stores the maximum.
    assert r.execute_command("BITFIELD", "s", "OVERFLOW", "SAT", "SET", "i10", 0, -2**63,
                             "GET", "i10", 0) == [0, 511]


def test_bitfield_errors(r):
    assert err(r, "BITFIELD", "bf", "GET", "u64", 0) == BFTYPE
    assert err(r, "BITFIELD", "bf", "GET", "i65", 0) == BFTYPE
    assert err(r, "BITFIELD", "bf", "GET", "I8", 0) == BFTYPE
    assert err(r, "BITFIELD", "bf", "GET", "u0", 0) == BFTYPE
    assert err(r, "BITFIELD", "bf", "GET", "u", 0) == BFTYPE
    assert err(r, "BITFIELD", "bf", "GET", "u8", -1) == OFFSET
    assert err(r, "BITFIELD", "bf", "GET", "u8", "#-1") == OFFSET
    assert err(r, "BITFIELD", "bf", "GET", "u8", "#x") == OFFSET
    assert err(r, "BITFIELD", "bf", "GET", "u8", 4294967296) == OFFSET
    assert err(r, "BITFIELD", "bf", "OVERFLOW", "xx", "GET", "u8", 0) == \
        "ERR Invalid OVERFLOW type specified"
    assert err(r, "BITFIELD", "bf", "FOO") == SYNTAX
    assert err(r, "BITFIELD", "bf", "GET", "u8") == SYNTAX
    assert err(r, "BITFIELD", "bf", "SET", "u8", 0) == SYNTAX
    assert err(r, "BITFIELD", "bf", "OVERFLOW") == SYNTAX
    assert err(r, "BITFIELD", "bf", "SET", "u8", 0, "x") == NOTINT
    r.lpush("l", "a")
    # Argument errors come before the type check.
    assert err(r, "BITFIELD", "l", "SET", "u8", 0, "x") == NOTINT
    assert err(r, "BITFIELD", "l", "SET", "u8", 0, 1) == WRONGTYPE
    assert err(r, "BITFIELD", "l", "GET", "u8", 0) == WRONGTYPE
    assert r.exists("bf") == 0


def test_bitfield_on_int_value(r):
    r.set("i", "12345")
    assert r.execute_command("BITFIELD", "i", "GET", "u8", 0, "SET", "u8", 0, 65) == [49, 49]
    assert r.get("i") == "A2345"


def test_bitfield_ro(r):
    r.set("k", "A")
    assert r.execute_command("BITFIELD_RO", "k", "GET", "u8", 0, "GET", "i4", 4) == [65, 1]
    assert r.execute_command("BITFIELD_RO", "nokey", "GET", "u8", 0) == [0]
    assert err(r, "BITFIELD_RO", "k", "SET", "u8", 0, 1) == \
        "ERR BITFIELD_RO only supports the GET subcommand"
    assert err(r, "BITFIELD_RO", "k", "INCRBY", "u8", 0, "x") == NOTINT
    r.lpush("l", "a")
    assert err(r, "BITFIELD_RO", "l", "GET", "u8", 0) == WRONGTYPE
    assert r.get("k") == "A"


def test_bitmap_commands_in_command_table(r):
    info = r.execute_command("COMMAND", "INFO", "setbit", "bitfield_ro", "bitop")
    assert [i[0] for i in info] == ["setbit", "bitfield_ro", "bitop"]
    assert [i[1] for i in info] == [4, -2, -4]
    assert info[2][3:6] == [2, -1, 1]
