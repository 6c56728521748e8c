"""Seeded random command generator of the differential test.

generate(seed, n, families) returns n commands (lists of str) drawn from the
given families. The same seed and families give the same commands, so a
mismatch is reproduced by `python3 gen.py SEED N [FAMILY...]`, which prints
them one per line with their index.

Keyspace: KEYS keys ("k0".."k29"). Each family prefers a band of keys (so its
aggregates grow past the small encoding thresholds the test sets) but one
key in ten is drawn from the whole space, so types collide and the WRONGTYPE
paths run (about 15% of replies with the core families); now and then a key
of a band is deleted so a collision does not stick. Elements, fields and
members come from small pools mixing integers (intset paths), short strings
and strings longer than the test's listpack value limit (conversions). About
2.5% of commands lose arguments or gain a stray one (error paths).

Lex-range and geo commands run on their own keys (lex0..2, geo0..2; see
Gen.lexkey and Gen.geokey) whose scores keep Redis's result specified;
unspecified=True (DIFF_UNSPECIFIED=1) runs them on any sorted set instead.

Time: nothing depends on when a command runs. Relative expiries are >= 100 s
and absolute ones are either in the past (the key goes at once; a SET in the
past is followed by a GET, which removes the key on both) or far in the
future, so both servers agree on which keys exist; TTL-type replies are
compared with a tolerance (see rules.py). Stream IDs are explicit.

Not generated: blocking commands (their timeouts are time; tests/integration
covers them), MULTI/EXEC, pub/sub, XADD with `*` IDs or `~` trimming, SORT
with both BY and ALPHA (ties left in quicksort order by redis-server).

A command whose effect is random (SPOP) ends its batch and is followed by a
fix-up in the runner (see test_differential.py): `DIVERGING` lists them.
"""

import os
import random
import sys

KEYS = 30
LEX_KEYS = 3  # lex0..lex2, see Gen.lexkey
GEO_KEYS = 3  # geo0..geo2, see Gen.geokey
FAR_FUTURE = 4102444800  # 2100-01-01, an absolute expiry both servers agree on

# Every command each family uses. A family runs only if the server under test
# has all of them (COMMAND INFO); core families must be complete.
FAMILIES = {
    "strings": ["SET", "GET", "GETSET", "GETDEL", "GETEX", "SETNX", "SETEX", "PSETEX", "MSET",
                "MSETNX", "MGET", "APPEND", "STRLEN", "SETRANGE", "GETRANGE", "SUBSTR", "INCR",
                "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT", "LCS"],
    "keys": ["DEL", "UNLINK", "EXISTS", "TYPE", "RENAME", "RENAMENX", "COPY", "MOVE", "TOUCH",
             "PERSIST", "TTL", "PTTL", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "EXPIRETIME",
             "PEXPIRETIME", "KEYS", "SCAN", "RANDOMKEY", "DBSIZE", "OBJECT", "SWAPDB", "FLUSHDB",
             "SELECT", "TIME", "INFO"],
    "lists": ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LLEN", "LINDEX", "LRANGE",
              "LSET", "LINSERT", "LREM", "LTRIM", "LPOS", "LMOVE", "RPOPLPUSH", "LMPOP"],
    "hashes": ["HSET", "HSETNX", "HMSET", "HGET", "HMGET", "HDEL", "HLEN", "HSTRLEN", "HEXISTS",
               "HINCRBY", "HINCRBYFLOAT", "HKEYS", "HVALS", "HGETALL", "HRANDFIELD", "HSCAN"],
    "sets": ["SADD", "SREM", "SCARD", "SISMEMBER", "SMISMEMBER", "SMEMBERS", "SPOP",
             "SRANDMEMBER", "SMOVE", "SINTER", "SINTERCARD", "SINTERSTORE", "SUNION",
             "SUNIONSTORE", "SDIFF", "SDIFFSTORE", "SSCAN"],
    "zsets": ["ZADD", "ZINCRBY", "ZREM", "ZCARD", "ZSCORE", "ZMSCORE", "ZRANK", "ZREVRANK",
              "ZCOUNT", "ZLEXCOUNT", "ZRANGE", "ZRANGESTORE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
              "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZREVRANGE", "ZREMRANGEBYRANK",
              "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX", "ZPOPMIN", "ZPOPMAX", "ZMPOP", "ZUNION",
              "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD",
              "ZRANDMEMBER", "ZSCAN"],
    "bitmaps": ["SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITOP", "BITFIELD", "BITFIELD_RO"],
    "hyperloglog": ["PFADD", "PFCOUNT", "PFMERGE"],
    "geo": ["GEOADD", "GEODIST", "GEOHASH", "GEOPOS", "GEOSEARCH", "GEOSEARCHSTORE",
            "GEORADIUS", "GEORADIUSBYMEMBER", "GEORADIUS_RO", "GEORADIUSBYMEMBER_RO"],
    "streams": ["XADD", "XLEN", "XRANGE", "XREVRANGE", "XDEL", "XTRIM", "XREAD", "XGROUP",
                "XREADGROUP", "XACK", "XPENDING", "XCLAIM", "XAUTOCLAIM", "XINFO", "XSETID"],
    "sort": ["SORT", "SORT_RO"],
    "dump": ["DUMP", "RESTORE"],
}
CORE = ("strings", "keys", "lists", "hashes", "sets", "zsets")

# Commands with a random effect on the keyspace: the runner ends the batch
# after them and reconciles both servers.
DIVERGING = {"SPOP"}

# Commands the runner sends first in a batch, after making redis-server
# accept a new connection. redis-server 7.0's SORT tests errno after strtod()
# without clearing it first, so an errno left by an earlier command (seen in
# a pipeline here: a SORT_RO of one numeric member failing with "ERR One or
# more scores can't be converted into double") makes it fail at random. The
# accept loop ends on EAGAIN, which overwrites that errno.
BATCH_FIRST = {"SORT", "SORT_RO"}

# Key band each family prefers (start, length).
BANDS = {"strings": (0, 5), "keys": (0, 30), "lists": (5, 5), "hashes": (10, 5),
         "sets": (15, 5), "zsets": (20, 5), "bitmaps": (0, 5), "hyperloglog": (28, 2),
         "geo": (20, 5), "streams": (25, 3), "sort": (5, 20), "dump": (0, 30)}
# (geo commands use geo0..2 unless unspecified=True; their band is zsets'.)
OTHER_KEY = 0.1  # chance that a command takes any key instead of its band's

INTS = ["0", "1", "2", "3", "7", "-1", "-5", "10", "42", "100", "65535", "-32768",
        "2147483647", "9223372036854775807", "-9223372036854775808"]
WORDS = ["a", "b", "c", "d", "e", "foo", "bar", "zz", "hello world", ""]
LONG = ["x" * 20, "y" * 33, "long-member-" + "z" * 10]
FLOATS = ["1.5", "-2.25", "0.1", "3e2", "1e-3", "inf", "-inf", "+inf", "10.0"]
BAD_NUMS = ["nan", "abc", "1.2.3", "0x10", " 1", "", "1e999"]

# Canned DUMP payloads from redis-server 7.0 (RDB 10), for RESTORE: a string,
# an int-encoded string, a listpack hash, an intset set, a listpack zset and
# a quicklist list, plus damaged copies that must be refused.
DUMPS = [bytes.fromhex(h) for h in (
    "000568656c6c6f0a006372df766534200a",
    "00c02a0a0081fb5cfa86634f50",
    "10151500000004008266310382763103826632030201ff0a005c5ea813feec1ff5",
    "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b",
    "1114140000000400816102010181620283322e3504ff0a00d44c6ea4f644d9d7",
    "1201020f0f00000003008161028162020101ff0a00e01bab4a47ce5922",
)]


def _pick(rng, items):
    return items[rng.randrange(len(items))]


class Gen:
    def __init__(self, seed, families, unspecified=False):
        self.rng = random.Random(seed)
        self.mrng = random.Random(seed * 7919 + 1)
        self.unspecified = unspecified
        self.families = list(families)
        self.stream_ms = 1
        self.cmds = []
        table = {
            "strings": self.strings, "keys": self.keys, "lists": self.lists,
            "hashes": self.hashes, "sets": self.sets, "zsets": self.zsets,
            "bitmaps": self.bitmaps, "hyperloglog": self.hll, "geo": self.geo,
            "streams": self.streams, "sort": self.sort, "dump": self.dump,
        }
        weights = {"keys": 3, "strings": 3, "lists": 3, "hashes": 3, "sets": 3, "zsets": 4}
        self.table = [(table[f], weights.get(f, 2), f) for f in self.families]

    # -- helpers ------------------------------------------------------------

    def key(self, family):
        r = self.rng
        if r.random() < OTHER_KEY:
            return "k%d" % r.randrange(KEYS)
        start, n = BANDS[family]
        return "k%d" % (start + r.randrange(n))

    def keys_n(self, family, lo=1, hi=3):
        return [self.key(family) for _ in range(self.rng.randint(lo, hi))]

    def elem(self):
        r = self.rng.random()
        if r < 0.4:
            return _pick(self.rng, INTS[:12])
        if r < 0.85:
            return _pick(self.rng, WORDS)
        return _pick(self.rng, LONG)

    def int_arg(self, lo=-5, hi=10):
        r = self.rng.random()
        if r < 0.9:
            return str(self.rng.randint(lo, hi))
        if r < 0.95:
            return _pick(self.rng, INTS)
        return _pick(self.rng, BAD_NUMS)

    def score(self):
        r = self.rng.random()
        if r < 0.6:
            return str(self.rng.randint(-3, 10))
        if r < 0.95:
            return _pick(self.rng, FLOATS)
        return _pick(self.rng, BAD_NUMS)

    def chance(self, p):
        return self.rng.random() < p

    def opt(self, p, *args):
        return list(args) if self.chance(p) else []

    def ttl_secs(self):
        r = self.rng.random()
        if r < 0.8:
            return str(self.rng.randint(100, 100000))
        if r < 0.9:
            return _pick(self.rng, ["0", "-1", "-100"])  # deletes at once
        return _pick(self.rng, ["9223372036854775807", "abc", "1.5"])

    def abs_time(self, ms=False):
        r = self.rng.random()
        t = FAR_FUTURE + self.rng.randint(0, 1000) if r < 0.8 else self.rng.randint(1, 1000)
        return str(t * 1000 if ms else t)

    def emit(self, *args):
        cmd = [a if isinstance(a, bytes) else str(a) for a in args]
        if cmd[0] not in ("SELECT", "GET"):
            cmd = self.mutate(cmd)
        self.cmds.append(cmd)

    # -- families -------------------------------------------------------------

    def strings(self):
        r, k = self.rng, self.key("strings")
        c = r.randrange(22)
        if c < 4:
            opts = []
            if self.chance(0.3):
                opts += [_pick(r, ["NX", "XX"])]
            if self.chance(0.3):
                e = _pick(r, ["EX", "PX", "EXAT", "PXAT", "KEEPTTL"])
                if e == "KEEPTTL":
                    opts += [e]
                elif e == "EX":
                    opts += [e, self.ttl_secs()]
                elif e == "PX":
                    opts += [e, str(r.randint(100000, 9000000)) if self.chance(0.9)
                             else _pick(r, ["0", "-5", "x"])]
                else:
                    opts += [e, self.abs_time(e == "PXAT")]
            if self.chance(0.15):
                opts += ["GET"]
            val = self.elem() if self.chance(0.7) else str(r.randint(-100, 100))
            self.emit("SET", k, val, *opts)
            if any(o in ("EXAT", "PXAT") for o in opts):
                # A SET in the past leaves a logically expired key that DBSIZE
                # counts until each server's active expiry happens to remove
                # it; reading it removes it on both at once.
                self.emit("GET", k)
        elif c < 7:
            self.emit("GET", k)
        elif c == 7:
            self.emit("GETSET", k, self.elem())
        elif c == 8:
            self.emit("GETDEL", k)
        elif c == 9:
            o = _pick(r, [[], ["PERSIST"], ["EX", self.ttl_secs()], ["PX", "500000"],
                          ["EXAT", self.abs_time()], ["PXAT", self.abs_time(True)]])
            self.emit("GETEX", k, *o)
        elif c == 10:
            self.emit(_pick(r, ["SETNX", "APPEND"]), k, self.elem())
        elif c == 11:
            self.emit(_pick(r, ["SETEX", "PSETEX"]), k, self.ttl_secs(), self.elem())
        elif c == 12:
            args = []
            for kk in self.keys_n("strings", 1, 3):
                args += [kk, self.elem()]
            self.emit(_pick(r, ["MSET", "MSETNX"]), *args)
        elif c == 13:
            self.emit("MGET", *self.keys_n("strings", 1, 4))
        elif c == 14:
            self.emit("STRLEN", k)
        elif c == 15:
            off = _pick(r, ["0", "1", "3", "10", "-1", "536870912"]) if self.chance(0.2) \
                else str(r.randint(0, 12))
            self.emit("SETRANGE", k, off, self.elem())
        elif c == 16:
            self.emit(_pick(r, ["GETRANGE", "SUBSTR"]), k, self.int_arg(-10, 10),
                      self.int_arg(-10, 20))
        elif c < 19:
            self.emit(_pick(r, ["INCR", "DECR"]), k)
        elif c == 19:
            self.emit(_pick(r, ["INCRBY", "DECRBY"]), k, self.int_arg(-1000, 1000))
        elif c == 20:
            self.emit("INCRBYFLOAT", k, _pick(r, FLOATS[:5] + ["1", "-3", "0.5", "abc",
                                                                "5.0e3", "inf"]))
        else:
            o = _pick(r, [[], ["LEN"], ["IDX"], ["IDX", "MINMATCHLEN", "2"],
                          ["IDX", "WITHMATCHLEN"], ["LEN", "IDX"]])
            self.emit("LCS", k, self.key("strings"), *o)

    def keys(self):
        r, k = self.rng, self.key("keys")
        c = r.randrange(30)
        if c < 2:
            self.emit(_pick(r, ["DEL", "UNLINK"]), *self.keys_n("keys", 1, 2))
        elif c < 4:
            self.emit(_pick(r, ["EXISTS", "TOUCH"]), *self.keys_n("keys", 1, 3))
        elif c < 6:
            self.emit("TYPE", k)
        elif c == 6:
            self.emit(_pick(r, ["RENAME", "RENAMENX"]), k, self.key("keys"))
        elif c == 7:
            self.emit("COPY", k, self.key("keys"), *self.opt(0.3, "REPLACE"),
                      *self.opt(0.15, "DB", _pick(r, ["0", "1", "16", "x"])))
        elif c == 8:
            self.emit("MOVE", k, _pick(r, ["1", "1", "0", "99"]))
        elif c == 9:
            self.emit("PERSIST", k)
        elif c < 13:
            self.emit(_pick(r, ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), k)
        elif c < 16:
            cmd = _pick(r, ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
            if cmd == "EXPIRE":
                t = self.ttl_secs()
            elif cmd == "PEXPIRE":
                t = str(r.randint(100000, 10000000)) if self.chance(0.9) else "-1"
            else:
                t = self.abs_time(cmd == "PEXPIREAT")
            o = _pick(r, [[], [], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"], ["GT", "LT"],
                          ["BAD"]])
            self.emit(cmd, k, t, *o)
        elif c == 16:
            self.emit("KEYS", _pick(r, ["*", "k1*", "k?", "k[0-5]", "nomatch*", "k2[^0]"]))
        elif c < 19:
            o = []
            if self.chance(0.5):
                o += ["MATCH", _pick(r, ["*", "k1*", "k?"])]
            if self.chance(0.3):
                o += ["TYPE", _pick(r, ["string", "list", "hash", "set", "zset", "none"])]
            o += ["COUNT", _pick(r, ["1000", "1000", "3"])]
            self.emit("SCAN", "0", *o)
        elif c == 19:
            self.emit("RANDOMKEY")
        elif c == 20:
            self.emit("DBSIZE")
        elif c < 24:
            sub = _pick(r, ["ENCODING", "ENCODING", "ENCODING", "IDLETIME", "FREQ"])
            self.emit("OBJECT", sub, k)
        elif c == 24:
            if self.chance(0.15):
                self.emit("SWAPDB", "0", "1")
            else:
                self.emit("EXISTS", k)
        elif c == 25:
            if self.chance(0.05):
                self.emit("FLUSHDB")
            else:
                self.emit("DBSIZE")
        elif c == 26:
            if self.chance(0.2):
                self.emit("SELECT", "1")
                self.emit("DBSIZE")
                self.emit("SELECT", "0")
            else:
                self.emit("TYPE", k)
        elif c == 27:
            self.emit("TIME") if self.chance(0.3) else self.emit("INFO", "keyspace")
        else:
            self.emit("OBJECT", "ENCODING", k)

    def lists(self):
        r, k = self.rng, self.key("lists")
        c = r.randrange(24)
        if c < 5:
            self.emit(_pick(r, ["LPUSH", "RPUSH", "RPUSH"]), k,
                      *[self.elem() for _ in range(r.randint(1, 4))])
        elif c == 5:
            self.emit(_pick(r, ["LPUSHX", "RPUSHX"]), k, self.elem())
        elif c < 8:
            self.emit(_pick(r, ["LPOP", "RPOP"]), k,
                      *self.opt(0.4, _pick(r, ["0", "1", "2", "5", "-1"])))
        elif c == 8:
            self.emit("LLEN", k)
        elif c == 9:
            self.emit("LINDEX", k, self.int_arg(-6, 6))
        elif c < 12:
            self.emit("LRANGE", k, self.int_arg(-6, 6), self.int_arg(-6, 12))
        elif c == 12:
            self.emit("LSET", k, self.int_arg(-4, 4), self.elem())
        elif c == 13:
            self.emit("LINSERT", k, _pick(r, ["BEFORE", "AFTER", "MIDDLE"]), self.elem(),
                      self.elem())
        elif c == 14:
            self.emit("LREM", k, self.int_arg(-2, 2), self.elem())
        elif c == 15:
            self.emit("LTRIM", k, self.int_arg(-3, 3), self.int_arg(-3, 15))
        elif c == 16:
            o = []
            if self.chance(0.4):
                o += ["RANK", _pick(r, ["1", "2", "-1", "-2", "0"])]
            if self.chance(0.4):
                o += ["COUNT", _pick(r, ["0", "1", "2", "-1"])]
            if self.chance(0.2):
                o += ["MAXLEN", _pick(r, ["0", "2", "-1"])]
            self.emit("LPOS", k, self.elem(), *o)
        elif c < 19:
            self.emit("LMOVE", k, self.key("lists"), _pick(r, ["LEFT", "RIGHT"]),
                      _pick(r, ["LEFT", "RIGHT", "UP"]))
        elif c == 19:
            self.emit("RPOPLPUSH", k, self.key("lists"))
        elif c == 20:
            ks = self.keys_n("lists", 1, 3)
            n = str(len(ks)) if self.chance(0.9) else _pick(r, ["0", "5", "-1"])
            self.emit("LMPOP", n, *ks, _pick(r, ["LEFT", "RIGHT"]),
                      *self.opt(0.5, "COUNT", _pick(r, ["1", "3", "0", "-1"])))
        else:
            self.emit("LRANGE", k, "0", "-1")

    def hashes(self):
        r, k = self.rng, self.key("hashes")
        c = r.randrange(22)
        field = lambda: "f%d" % r.randrange(12) if self.chance(0.85) else _pick(r, LONG)
        if c < 5:
            args = []
            for _ in range(r.randint(1, 3)):
                args += [field(), self.elem()]
            self.emit(_pick(r, ["HSET", "HSET", "HMSET"]), k, *args)
        elif c == 5:
            self.emit("HSETNX", k, field(), self.elem())
        elif c < 8:
            self.emit("HGET", k, field())
        elif c == 8:
            self.emit("HMGET", k, *[field() for _ in range(r.randint(1, 3))])
        elif c < 10:
            self.emit("HDEL", k, *[field() for _ in range(r.randint(1, 2))])
        elif c == 10:
            self.emit(_pick(r, ["HLEN", "HEXISTS"]), k, *([] if self.chance(0.5) else [field()]))
        elif c == 11:
            self.emit("HSTRLEN", k, field())
        elif c == 12:
            self.emit("HINCRBY", k, field(), self.int_arg(-100, 100))
        elif c == 13:
            self.emit("HINCRBYFLOAT", k, field(), _pick(r, FLOATS[:5] + ["2", "abc", "inf"]))
        elif c < 17:
            self.emit(_pick(r, ["HKEYS", "HVALS", "HGETALL"]), k)
        elif c < 19:
            n = _pick(r, [None, "1", "3", "20", "-3", "0"])
            self.emit("HRANDFIELD", k, *([] if n is None else [n]),
                      *(self.opt(0.4, "WITHVALUES") if n is not None else []))
        elif c == 19:
            self.emit("HSCAN", k, "0", *self.opt(0.3, "MATCH", "f1*"), "COUNT", "1000")
        else:
            self.emit("HLEN", k)

    def sets(self):
        r, k = self.rng, self.key("sets")
        c = r.randrange(22)
        if c < 5:
            self.emit("SADD", k, *[self.elem() for _ in range(r.randint(1, 4))])
        elif c < 7:
            self.emit("SREM", k, *[self.elem() for _ in range(r.randint(1, 2))])
        elif c == 7:
            self.emit("SCARD", k)
        elif c == 8:
            self.emit("SISMEMBER", k, self.elem())
        elif c == 9:
            self.emit("SMISMEMBER", k, *[self.elem() for _ in range(r.randint(1, 3))])
        elif c < 12:
            self.emit("SMEMBERS", k)
        elif c == 12:
            self.emit("SPOP", k, *self.opt(0.5, _pick(r, ["1", "2", "0", "50", "-1"])))
        elif c < 15:
            self.emit("SRANDMEMBER", k, *self.opt(0.7, _pick(r, ["1", "3", "50", "-3", "0"])))
        elif c == 15:
            self.emit("SMOVE", k, self.key("sets"), self.elem())
        elif c < 18:
            self.emit(_pick(r, ["SINTER", "SUNION", "SDIFF"]), *self.keys_n("sets", 1, 3))
        elif c == 18:
            ks = self.keys_n("sets", 1, 3)
            self.emit("SINTERCARD", str(len(ks)), *ks,
                      *self.opt(0.4, "LIMIT", _pick(r, ["0", "1", "3", "-1"])))
        elif c < 21:
            self.emit(_pick(r, ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), self.key("sets"),
                      *self.keys_n("sets", 1, 3))
        else:
            self.emit("SSCAN", k, "0", *self.opt(0.3, "MATCH", "*a*"), "COUNT", "1000")

    def member(self):
        r = self.rng
        if r.random() < 0.8:
            return _pick(r, ["a", "b", "c", "d", "e", "f", "g", "h", "m1", "m2", "1", "2"])
        return _pick(r, LONG + ["", "zz"])

    def score_range(self):
        r = self.rng

        def one():
            s = _pick(r, ["-inf", "+inf", "0", "1", "2.5", "5", "-1", "10"])
            return "(" + s if r.random() < 0.25 and "inf" not in s else s
        return one(), one()

    def lex_range(self):
        r = self.rng

        def one():
            return _pick(r, ["-", "+", "[a", "(b", "[c", "(m1", "[zz", "a"])
        return one(), one()

    def zsets(self):
        r, k = self.rng, self.key("zsets")
        c = r.randrange(34)
        if c < 6:
            opts = []
            if self.chance(0.2):
                opts.append(_pick(r, ["NX", "XX"]))
            if self.chance(0.2):
                opts.append(_pick(r, ["GT", "LT"]))
            if self.chance(0.2):
                opts.append("CH")
            n = 1 if self.chance(0.1) else r.randint(1, 3)
            if self.chance(0.1):
                opts.append("INCR")
            lex = self.chance(0.3)
            pairs = []
            for _ in range(n):
                pairs += ["0" if lex else self.score(), self.member()]
            self.emit("ZADD", self.lexkey() if lex else k, *opts, *pairs)
        elif c == 6:
            self.emit("ZINCRBY", k, self.score(), self.member())
        elif c == 7:
            self.emit("ZREM", self.lexkey() if self.chance(0.3) else k,
                      *[self.member() for _ in range(r.randint(1, 2))])
        elif c == 8:
            self.emit(_pick(r, ["ZCARD", "ZSCORE"]), k, *self.opt(0.5, self.member()))
        elif c == 9:
            self.emit("ZMSCORE", k, *[self.member() for _ in range(r.randint(1, 3))])
        elif c == 10:
            self.emit(_pick(r, ["ZRANK", "ZREVRANK"]), k, self.member())
        elif c == 11:
            self.emit("ZCOUNT", k, *self.score_range())
        elif c == 12:
            self.emit("ZLEXCOUNT", self.lexkey(), *self.lex_range())
        elif c < 16:
            args = self.zrange_args()
            self.emit("ZRANGE", self.lexkey() if "BYLEX" in args else k, *args)
        elif c == 16:
            args = self.zrange_args(store=True)
            if "BYLEX" in args:  # a zero-score source: the result may go to a lex key
                self.emit("ZRANGESTORE", self.lexkey() if self.chance(0.7) else self.key("zsets"),
                          self.lexkey(), *args)
            else:
                self.emit("ZRANGESTORE", self.key("zsets"), k, *args)
        elif c == 17:
            cmd = _pick(r, ["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"])
            self.emit(cmd, k, *self.score_range(), *self.opt(0.4, "WITHSCORES"),
                      *self.opt(0.3, "LIMIT", self.int_arg(-1, 3), self.int_arg(-1, 3)))
        elif c == 18:
            self.emit(_pick(r, ["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), self.lexkey(),
                      *self.lex_range(),
                      *self.opt(0.3, "LIMIT", self.int_arg(-1, 3), self.int_arg(-1, 3)))
        elif c == 19:
            self.emit("ZREVRANGE", k, self.int_arg(-5, 5), self.int_arg(-5, 10),
                      *self.opt(0.5, "WITHSCORES"))
        elif c == 20:
            sub = r.randrange(3)
            if sub == 0:
                self.emit("ZREMRANGEBYRANK", k, self.int_arg(-3, 3), self.int_arg(-3, 3))
            elif sub == 1:
                self.emit("ZREMRANGEBYSCORE", k, *self.score_range())
            else:
                self.emit("ZREMRANGEBYLEX", self.lexkey(), *self.lex_range())
        elif c < 23:
            self.emit(_pick(r, ["ZPOPMIN", "ZPOPMAX"]), k,
                      *self.opt(0.4, _pick(r, ["1", "2", "0", "-1", "10"])))
        elif c == 23:
            ks = self.keys_n("zsets", 1, 3)
            self.emit("ZMPOP", str(len(ks)), *ks, _pick(r, ["MIN", "MAX"]),
                      *self.opt(0.5, "COUNT", _pick(r, ["1", "3", "0"])))
        elif c < 27:
            cmd = _pick(r, ["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE",
                            "ZDIFFSTORE"])
            ks = self.keys_n("zsets", 1, 3)
            args = [str(len(ks))] + ks
            if cmd[:5] != "ZDIFF":
                if self.chance(0.3):
                    args += ["WEIGHTS"] + [_pick(r, ["1", "2", "-1", "0.5", "inf"])
                                           for _ in ks]
                if self.chance(0.3):
                    args += ["AGGREGATE", _pick(r, ["SUM", "MIN", "MAX"])]
            if not cmd.endswith("STORE") and self.chance(0.5):
                args.append("WITHSCORES")
            if cmd.endswith("STORE"):
                args = [self.key("zsets")] + args
            self.emit(cmd, *args)
        elif c == 27:
            ks = self.keys_n("zsets", 1, 3)
            self.emit("ZINTERCARD", str(len(ks)), *ks, *self.opt(0.3, "LIMIT", "1"))
        elif c < 30:
            n = _pick(r, [None, "1", "3", "20", "-3", "0"])
            self.emit("ZRANDMEMBER", k, *([] if n is None else [n]),
                      *(self.opt(0.4, "WITHSCORES") if n is not None else []))
        elif c == 30:
            self.emit("ZSCAN", k, "0", "COUNT", "1000")
        elif c == 31 and self.chance(0.2):  # lex keys of another type, or gone
            self.emit(*_pick(r, [["SET", self.lexkey(), "v"], ["DEL", self.lexkey()],
                                 ["ZRANGE", self.lexkey(), "0", "-1"]]))
        else:
            self.emit("ZRANGE", k, "0", "-1", "WITHSCORES")

    def lexkey(self):
        """Lex-range commands run on lex0..lex2, whose members all have score 0:
        Redis leaves lex ranges over mixed scores unspecified (ZRANGEBYLEX doc).
        With `unspecified` they run on any sorted set, to compare that anyway."""
        if self.unspecified:
            return self.key("zsets")
        return "lex%d" % self.rng.randrange(LEX_KEYS)

    def zrange_args(self, store=False):
        r = self.rng
        kind = r.randrange(3)
        if kind == 0:
            args, by = [self.int_arg(-5, 5), self.int_arg(-5, 10)], []
        elif kind == 1:
            args, by = list(self.score_range()), ["BYSCORE"]
        else:
            args, by = list(self.lex_range()), ["BYLEX"]
        args += by + self.opt(0.3, "REV")
        if self.chance(0.25):
            args += ["LIMIT", self.int_arg(-1, 3), self.int_arg(-1, 4)]
        if not store and self.chance(0.4):
            args.append("WITHSCORES")
        return args

    # -- optional families (only when the server has every command) -------------

    def bitmaps(self):
        r, k = self.rng, self.key("bitmaps")
        c = r.randrange(10)
        if c < 3:
            # Offsets stay small: a valid offset near 2^32 would make a 512 MB string.
            off = str(r.randint(0, 70)) if self.chance(0.95) else \
                _pick(r, ["4294967296", "-1", "abc"])
            self.emit("SETBIT", k, off, _pick(r, ["0", "1", "1", "2"]))
        elif c == 3:
            self.emit("GETBIT", k, self.int_arg(0, 70))
        elif c == 4:
            self.emit("BITCOUNT", k, *self.opt(0.6, self.int_arg(-5, 5), self.int_arg(-5, 10)),
                      *self.opt(0.2, _pick(r, ["BYTE", "BIT"])))
        elif c == 5:
            self.emit("BITPOS", k, _pick(r, ["0", "1"]),
                      *self.opt(0.5, self.int_arg(-3, 3), *self.opt(0.5, self.int_arg(-3, 9))))
        elif c == 6:
            op = _pick(r, ["AND", "OR", "XOR", "NOT", "NAND"])
            srcs = self.keys_n("bitmaps", 1, 1 if op == "NOT" else 3)
            self.emit("BITOP", op, self.key("bitmaps"), *srcs)
        elif c < 9:
            args = []
            for _ in range(r.randint(1, 3)):
                t = _pick(r, ["u8", "i8", "u4", "i16", "u63", "i64", "u64", "x8"])
                off = _pick(r, ["0", "3", "#1", "17"])
                op = r.randrange(4)
                if op == 0:
                    args += ["GET", t, off]
                elif op == 1:
                    args += ["SET", t, off, self.int_arg(-200, 300)]
                elif op == 2:
                    args += ["INCRBY", t, off, self.int_arg(-200, 300)]
                else:
                    args += ["OVERFLOW", _pick(r, ["WRAP", "SAT", "FAIL"])]
            self.emit("BITFIELD", k, *args)
        else:
            self.emit("BITFIELD_RO", k, "GET", _pick(r, ["u8", "i5"]), self.int_arg(0, 20))

    def hll(self):
        r, k = self.rng, self.key("hyperloglog")
        c = r.randrange(6)
        if c < 3:
            n = r.randint(0, 4) if self.chance(0.8) else 200
            self.emit("PFADD", k, *["e%d" % r.randrange(3000) for _ in range(n)])
        elif c == 3:
            self.emit("PFCOUNT", *self.keys_n("hyperloglog", 1, 2))
        elif c == 4:
            self.emit("PFMERGE", self.key("hyperloglog"), *self.keys_n("hyperloglog", 0, 2))
        else:
            self.emit("GET", k)  # the representation itself must match

    def geokey(self):
        """Geo commands run on geo0..geo2, written only by GEOADD and
        GEOSEARCHSTORE: on a sorted set of arbitrary scores redis-server
        decodes a negative score through a double-to-unsigned cast, whose
        result C leaves undefined. With `unspecified`, any sorted set."""
        if self.unspecified:
            return self.key("zsets")
        return "geo%d" % self.rng.randrange(GEO_KEYS)

    def geo(self):
        r, k = self.rng, self.geokey()
        if self.chance(0.01):  # a geo key of another type, or gone
            self.emit(*_pick(r, [["SET", k, "v"], ["DEL", k]]))
        c = r.randrange(9)
        places = ["a", "b", "c", "d", "e", "m1"]
        coord = lambda: [str(round(r.uniform(-10, 10), 4)), str(round(r.uniform(40, 50), 4))]
        if c < 3:
            args = []
            for _ in range(r.randint(1, 3)):
                args += coord() + [_pick(r, places)]
            if self.chance(0.05):
                args = ["200", "100", "bad"]
            self.emit("GEOADD", k, *self.opt(0.2, _pick(r, ["NX", "XX", "CH"])), *args)
        elif c == 3:
            self.emit("GEODIST", k, _pick(r, places), _pick(r, places),
                      *self.opt(0.5, _pick(r, ["m", "km", "mi", "ft", "yd"])))
        elif c == 4:
            self.emit(_pick(r, ["GEOHASH", "GEOPOS"]), k, _pick(r, places), _pick(r, places))
        else:
            frm = (["FROMMEMBER", _pick(r, places)] if self.chance(0.5)
                   else ["FROMLONLAT"] + coord())
            by = (["BYRADIUS", _pick(r, ["100", "500", "2000"]), "km"] if self.chance(0.6)
                  else ["BYBOX", "800", "600", "km"])
            opts = self.opt(0.5, _pick(r, ["ASC", "DESC"]))
            opts += self.opt(0.3, "COUNT", _pick(r, ["1", "3"]))
            if c < 7:
                opts += self.opt(0.4, "WITHDIST") + self.opt(0.3, "WITHCOORD") \
                    + self.opt(0.3, "WITHHASH")
                self.emit("GEOSEARCH", k, *frm, *by, *opts)
            elif c == 7:
                self.emit("GEOSEARCHSTORE", self.geokey(), k, *frm, *by, *opts,
                          *self.opt(0.3, "STOREDIST"))
            else:
                cmd = _pick(r, ["GEORADIUS", "GEORADIUS_RO"])
                self.emit(cmd, k, *coord(), "1000", "km", *opts, *self.opt(0.3, "WITHDIST"))

    def streams(self):
        r, k = self.rng, self.key("streams")
        c = r.randrange(16)
        ids = lambda: "%d-%d" % (r.randint(0, self.stream_ms), r.randint(0, 2))
        if c < 5:
            if self.chance(0.85):
                self.stream_ms += r.randint(0, 2)
                sid = "%d-%d" % (self.stream_ms, r.randint(0, 3))
            else:
                sid = _pick(r, ["0-0", "1-1", "abc", "5-*"])
            opts = self.opt(0.1, "NOMKSTREAM")
            if self.chance(0.15):
                opts += _pick(r, [["MAXLEN", "3"], ["MAXLEN", "=", "5"], ["MINID", ids()]])
            self.emit("XADD", k, *opts, sid, "f", self.elem(), *self.opt(0.3, "g", "1"))
        elif c == 5:
            self.emit("XLEN", k)
        elif c == 6:
            self.emit(_pick(r, ["XRANGE", "XREVRANGE"]), k, *_pick(r, [["-", "+"], ["+", "-"],
                      [ids(), "+"], ["-", ids()], ["(" + ids(), "+"]]),
                      *self.opt(0.3, "COUNT", self.int_arg(0, 3)))
        elif c == 7:
            self.emit("XDEL", k, ids(), *self.opt(0.5, ids()))
        elif c == 8:
            self.emit("XTRIM", k, *_pick(r, [["MAXLEN", "4"], ["MAXLEN", "=", "2"],
                                             ["MINID", ids()], ["MAXLEN", "-1"]]))
        elif c == 9:
            self.emit("XREAD", *self.opt(0.5, "COUNT", "2"), "STREAMS", k,
                      _pick(r, ["0", "0-0", ids(), "$"]))
        elif c == 10:
            sub = r.randrange(5) if self.chance(0.5) else 0
            if sub == 0:
                self.emit("XGROUP", "CREATE", k, "g%d" % r.randrange(2),
                          _pick(r, ["0", "$", ids()]), *self.opt(0.5, "MKSTREAM"))
            elif sub == 1:
                self.emit("XGROUP", "SETID", k, "g%d" % r.randrange(2), _pick(r, ["0", "$"]))
            elif sub == 2:
                self.emit("XGROUP", "DESTROY", k, "g%d" % r.randrange(2))
            elif sub == 3:
                self.emit("XGROUP", "CREATECONSUMER", k, "g0", "c%d" % r.randrange(3))
            else:
                self.emit("XGROUP", "DELCONSUMER", k, "g0", "c%d" % r.randrange(3))
        elif c < 13:
            self.emit("XREADGROUP", "GROUP", "g0" if self.chance(0.8) else "g1",
                      "c%d" % r.randrange(3),
                      *self.opt(0.5, "COUNT", "2"), *self.opt(0.1, "NOACK"), "STREAMS", k,
                      _pick(r, [">", ">", "0"]))
        elif c == 13:
            self.emit("XACK", k, "g0", ids(), *self.opt(0.5, ids()))
        elif c == 14:
            sub = r.randrange(4)
            if sub == 0:
                self.emit("XPENDING", k, "g0")
            elif sub == 1:
                self.emit("XPENDING", k, "g0", "-", "+", "10", *self.opt(0.3, "c0"))
            elif sub == 2:
                self.emit("XCLAIM", k, "g0", "c%d" % r.randrange(3), "0", ids(),
                          *self.opt(0.3, "JUSTID"))
            else:
                self.emit("XAUTOCLAIM", k, "g0", "c%d" % r.randrange(3), "0", "0-0",
                          *self.opt(0.5, "COUNT", "2"), *self.opt(0.3, "JUSTID"))
        else:
            sub = r.randrange(3)
            if sub == 0:
                self.emit("XINFO", "STREAM", k)
            elif sub == 1:
                self.emit("XINFO", "GROUPS", k)
            else:
                self.emit("XINFO", "CONSUMERS", k, "g0")

    def sort(self):
        r, k = self.rng, self.key("sort")
        cmd = _pick(r, ["SORT", "SORT", "SORT_RO"])
        opts = []
        if self.chance(0.2):
            opts += ["BY", _pick(r, ["k*", "k1*->f1", "nosuchkey*"])]
        if self.chance(0.3):
            opts += ["LIMIT", self.int_arg(-1, 3), self.int_arg(-1, 5)]
        if self.chance(0.2):
            opts += ["GET", _pick(r, ["#", "k*", "k1*->f0"])]
        opts += self.opt(0.3, _pick(r, ["ASC", "DESC"]))
        if "BY" not in opts:
            # With BY and ALPHA, redis-server leaves elements of equal (or
            # missing) weights in whatever order its quicksort left them.
            opts += self.opt(0.4, "ALPHA")
        if cmd == "SORT" and self.chance(0.2):
            opts += ["STORE", self.key("sort")]
        self.emit(cmd, k, *opts)

    def dump(self):
        r, k = self.rng, self.key("dump")
        c = r.randrange(4)
        if c < 2:
            self.emit("DUMP", k)
        else:
            payload = _pick(r, DUMPS)
            if self.chance(0.3):
                payload = payload[:-1] + bytes([payload[-1] ^ 1])  # bad checksum
            self.emit("RESTORE", k, _pick(r, ["0", "0", "100000", "-1"]), payload,
                      *self.opt(0.5, "REPLACE"))

    # -- driver -----------------------------------------------------------------

    def one(self):
        total = sum(w for _, w, _ in self.table)
        x = self.rng.random() * total
        for fn, w, fam in self.table:
            x -= w
            if x < 0:
                if self.chance(0.015):
                    # Now and then a key of the band starts afresh, so a
                    # collision of types does not stick for the whole run.
                    start, n = BANDS[fam]
                    self.emit("DEL", "k%d" % (start + self.rng.randrange(n)))
                fn()
                return
        self.table[-1][0]()

    def mutate(self, cmd):
        """Now and then a wrong arity or a stray token, for the error paths
        (own RNG, so the commands do not depend on how many are generated)."""
        x = self.mrng.random()
        if x < 0.015 and len(cmd) > 1:
            return cmd[:self.mrng.randrange(1, len(cmd))]
        if x < 0.025:
            return cmd + ["BOGUS"]
        return cmd


def generate(seed, n, families, unspecified=False):
    g = Gen(seed, families, unspecified)
    while len(g.cmds) < n:
        g.one()
    return g.cmds[:n]


if __name__ == "__main__":
    # gen.py SEED N [FAMILY...]; DIFF_UNSPECIFIED=1 as in the test
    fams = sys.argv[3:] or list(CORE)
    mixed = os.environ.get("DIFF_UNSPECIFIED") == "1"
    for i, c in enumerate(generate(int(sys.argv[1]), int(sys.argv[2]), fams, mixed)):
        print(i, " ".join(repr(a) if (" " in a or not a) else a for a in c))
