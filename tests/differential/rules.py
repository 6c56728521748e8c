"""Comparison rules of the differential test: one per command whose reply is
legitimately not byte-for-byte the same on two correct servers.

compare(args, a, b) -> None when the replies agree, else a short reason.
Every command without a rule here is compared exactly, error strings
included. Replies are as parsed by test_differential.py: int, bytes, None,
list, ("+", text) for a status and ("-", text) for an error.

Why each rule exists:
- hashtable-encoded sets/hashes/zsets (and KEYS/SCAN over the keyspace)
  iterate in an order that depends on the hash function and table size:
  compared as sorted lists (of pairs where the reply is field/value pairs);
  while the value is a listpack or intset the order is exact (see
  ORDERED_WHEN_COMPACT);
- SPOP/SRANDMEMBER/HRANDFIELD/ZRANDMEMBER/RANDOMKEY pick at random: compared
  on shape (nil or not, length, distinctness), and exactly when the count
  covers the whole collection;
- TTL/PTTL/EXPIRETIME/PEXPIRETIME of relative expiries and OBJECT IDLETIME
  depend on when each server ran the command: a tolerance;
- TIME, INFO keyspace avg_ttl, stream idle times and radix-tree node counts,
  DUMP bytes of hashtable encodings: time- or layout-dependent parts dropped.
"""

import time

ERR = "-"


def is_err(x):
    return isinstance(x, tuple) and x[0] == ERR


def _exact(a, b):
    return None if a == b else "replies differ"


def _key(x):
    return repr(x)


def _pairs(lst, n=2):
    return [tuple(lst[i:i + n]) for i in range(0, len(lst), n)]


def _sorted_flat(args, a, b):
    if isinstance(a, list) and isinstance(b, list):
        return None if sorted(a, key=_key) == sorted(b, key=_key) else "different members"
    return _exact(a, b)


def _sorted_pairs(args, a, b):
    if isinstance(a, list) and isinstance(b, list):
        return (None if sorted(_pairs(a), key=_key) == sorted(_pairs(b), key=_key)
                else "different field/value pairs")
    return _exact(a, b)


def _has(args, word):
    return any(isinstance(x, str) and x.upper() == word for x in args)


def _scan(pairs):
    """SCAN/SSCAN (flat) and HSCAN/ZSCAN (pairs): when both servers finish in
    one call (cursor 0) the elements must be the same set; a partial page
    (small COUNT) depends on the table layout, so only its shape is checked."""
    def rule(args, a, b):
        if not (isinstance(a, list) and isinstance(b, list)):
            return _exact(a, b)
        if len(a) != 2 or len(b) != 2 or not isinstance(a[1], list) or \
                not isinstance(b[1], list):
            return "malformed scan reply"
        if a[0] == b"0" and b[0] == b"0":
            group = _pairs if pairs else (lambda x: x)
            return (None if sorted(group(a[1]), key=_key) == sorted(group(b[1]), key=_key)
                    else "different elements")
        count = args[args.index("COUNT") + 1] if "COUNT" in args else "10"
        if int(count) >= 1000:
            return "cursor not 0 after COUNT %s on a tiny collection" % count
        return None
    return rule


def _random_pick(flag):
    """SRANDMEMBER/HRANDFIELD/ZRANDMEMBER key [count [WITHVALUES|WITHSCORES]]."""
    def rule(args, a, b):
        if is_err(a) or is_err(b) or len(args) < 3:
            if is_err(a) or is_err(b):
                return _exact(a, b)
            if (a is None) != (b is None) or type(a) is not type(b):
                return "one nil, one not"
            return None
        if not (isinstance(a, list) and isinstance(b, list)):
            return _exact(a, b)
        try:
            count = int(args[2])
        except ValueError:
            return _exact(a, b)
        width = 2 if flag and _has(args[3:], flag) else 1
        if len(a) != len(b):
            return "different lengths"
        items = lambda r: _pairs(r, width)
        if count >= 0:
            if len(set(map(_key, items(a)))) != len(items(a)) or \
                    len(set(map(_key, items(b)))) != len(items(b)):
                return "repeated elements with a positive count"
            if len(items(a)) < count:  # the whole collection
                return (None if sorted(items(a), key=_key) == sorted(items(b), key=_key)
                        else "different elements for the whole collection")
        return None
    return rule


def _spop(args, a, b):
    """SPOP: the runner reconciles both sets afterwards (see DIVERGING)."""
    if is_err(a) or is_err(b):
        return _exact(a, b)
    if isinstance(a, list) and isinstance(b, list):
        return None if len(a) == len(b) else "different lengths"
    if (a is None) != (b is None):
        return "one nil, one not"
    return None


def _randomkey(args, a, b):
    if is_err(a) or is_err(b):
        return _exact(a, b)
    return None if (a is None) == (b is None) else "one nil, one not"


def _tolerance(tol):
    def rule(args, a, b):
        if isinstance(a, int) and isinstance(b, int) and a >= 0 and b >= 0:
            return None if abs(a - b) <= tol else "differ by more than %d" % tol
        return _exact(a, b)
    return rule


# When the servers started (time.monotonic()), set by the test fixture.
SERVERS_STARTED = None


def _object(args, a, b):
    """OBJECT IDLETIME: redis-server shares the objects of small integers
    (0..9999), so a key holding one reports the idle time of the shared object,
    up to the server's age. Both must be integers no larger than the time since
    the servers started (plus 2 s); ENCODING and FREQ are compared exactly."""
    sub = args[1].upper() if len(args) > 1 else ""
    if sub == "IDLETIME" and isinstance(a, int) and isinstance(b, int):
        limit = 2 + (time.monotonic() - SERVERS_STARTED if SERVERS_STARTED else 0)
        if not (0 <= a <= limit and 0 <= b <= limit):
            return "idle time out of range 0..%d s (the servers' age)" % limit
        return None
    return _exact(a, b)


def _time(args, a, b):
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) == 2:
        try:
            return None if abs(int(a[0]) - int(b[0])) <= 2 else "clocks differ"
        except (TypeError, ValueError):
            return "TIME reply is not two integers"
    return _exact(a, b)


def _info(args, a, b):
    """INFO: only the Keyspace section is compared (the rest describes the
    process, not the data), without avg_ttl, an estimate sampled by each
    server's cron."""
    def norm(x):
        if not isinstance(x, bytes):
            return x
        out, on = [], False
        for line in x.decode().splitlines():
            if line.startswith("#"):
                on = line.strip() == "# Keyspace"
            if on and line.startswith("db"):
                line = ",".join(p for p in line.split(",") if not p.startswith("avg_ttl="))
            if on:
                out.append(line)
        return out
    return _exact(norm(a), norm(b))


def _geo(args, a, b):
    """Without ASC/DESC (and without COUNT, which implies ASC) the order of
    GEOSEARCH/GEORADIUS results is unspecified."""
    if _has(args, "ASC") or _has(args, "DESC") or _has(args, "COUNT"):
        return _exact(a, b)
    return _sorted_flat(args, a, b)


def _drop_fields(x, names):
    if not isinstance(x, list):
        return x
    out = []
    for i in range(0, len(x) - 1, 2):
        if x[i] not in names:
            out += [x[i], x[i + 1]]
    return out


def _xinfo(args, a, b):
    """XINFO STREAM: radix-tree-keys/nodes describe the implementation's
    tree, not the stream. XINFO CONSUMERS: idle/inactive are times."""
    sub = args[1].upper() if len(args) > 1 else ""
    if sub == "STREAM":
        names = {b"radix-tree-keys", b"radix-tree-nodes"}
        return _exact(_drop_fields(a, names), _drop_fields(b, names))
    if sub == "CONSUMERS" and isinstance(a, list) and isinstance(b, list):
        names = {b"idle", b"inactive"}
        return _exact([_drop_fields(c, names) for c in a], [_drop_fields(c, names) for c in b])
    return _exact(a, b)


def _xpending(args, a, b):
    """The extended form gives each entry's idle time in ms: dropped."""
    if len(args) > 3 and isinstance(a, list) and isinstance(b, list):
        strip = lambda r: [e[:2] + e[3:] if isinstance(e, list) and len(e) == 4 else e
                           for e in r]
        return _exact(strip(a), strip(b))
    return _exact(a, b)


def _dump(args, a, b):
    """DUMP of a hashtable encoding serializes in table order: only the type
    byte and the RDB version in the footer must agree (RESTORE of canned Redis
    payloads checks the reading side exactly)."""
    if isinstance(a, bytes) and isinstance(b, bytes) and a != b:
        if len(a) < 11 or len(b) < 11:
            return "payload too short"
        if a[0] != b[0]:
            return "different RDB type byte"
        if a[-10:-8] != b[-10:-8]:
            return "different RDB version"
        return None
    return _exact(a, b)


RULES = {
    "KEYS": _sorted_flat, "SMEMBERS": _sorted_flat, "SINTER": _sorted_flat,
    "SUNION": _sorted_flat, "SDIFF": _sorted_flat, "HKEYS": _sorted_flat,
    "HVALS": _sorted_flat, "HGETALL": _sorted_pairs,
    "SCAN": _scan(False), "SSCAN": _scan(False), "HSCAN": _scan(True), "ZSCAN": _scan(True),
    "SRANDMEMBER": _random_pick(None), "HRANDFIELD": _random_pick("WITHVALUES"),
    "ZRANDMEMBER": _random_pick("WITHSCORES"), "SPOP": _spop, "RANDOMKEY": _randomkey,
    "TTL": _tolerance(2), "PTTL": _tolerance(2000), "EXPIRETIME": _tolerance(2),
    "PEXPIRETIME": _tolerance(2000), "OBJECT": _object, "TIME": _time, "INFO": _info,
    "GEOSEARCH": _geo, "GEORADIUS": _geo, "GEORADIUS_RO": _geo, "GEORADIUSBYMEMBER": _geo,
    "GEORADIUSBYMEMBER_RO": _geo, "XINFO": _xinfo, "XPENDING": _xpending, "DUMP": _dump,
}


# Their order is defined while the value is compact: listpack keeps insertion
# (hashes) or score (sorted sets) order, intset numeric order. The runner sends
# OBJECT ENCODING of the key just before them and passes the reply as `enc`.
ORDERED_WHEN_COMPACT = {"HGETALL", "HKEYS", "HVALS", "SMEMBERS", "HSCAN", "SSCAN", "ZSCAN"}
COMPACT = (b"listpack", b"intset")


def compare(args, a, b, enc=None):
    name = args[0].upper() if isinstance(args[0], str) else ""
    if name in ORDERED_WHEN_COMPACT and enc in COMPACT:
        return None if a == b else "replies differ (order matters: %s)" % enc.decode()
    rule = RULES.get(name, None)
    if rule is None:
        return _exact(a, b)
    return rule(args, a, b)
