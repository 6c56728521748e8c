"""maxmemory: eviction policies and the OOM refusal of denyoom commands.

Each test runs its own server: the limit is set a little above the memory the
empty server uses, then keys are written past it. Memory accounting differs
between servers, so the checks are about behaviour (who is evicted, what is
refused), with a generous margin on the amounts."""

import time

import pytest

from helpers import err

OOM = "OOM command not allowed when used memory > 'maxmemory'."
VALUE = "v" * 1000
HEADROOM = 2 * 1024 * 1024  # the limit sits this far above the empty server


def info(c, section):
    out = {}
    for line in c.execute_command("INFO", section).splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def used(c):
    return int(info(c, "memory")["used_memory"])


def evicted(c):
    return int(info(c, "stats")["evicted_keys"])


@pytest.fixture
def srv(start_server):
    s = start_server()
    c = s.client()
    yield s, c
    c.close()


def set_limit(c, policy, headroom=HEADROOM):
    c.execute_command("CONFIG", "SET", "maxmemory-policy", policy)
    limit = used(c) + headroom
    c.execute_command("CONFIG", "SET", "maxmemory", str(limit))
    return limit


def fill(c, prefix, n, ttl=None, start=0):
    """Writes n keys in pipelined batches; returns the replies."""
    replies = []
    for base in range(start, start + n, 200):
        p = c.pipeline(transaction=False)
        for i in range(base, min(base + 200, start + n)):
            if ttl is None:
                p.execute_command("SET", "%s:%d" % (prefix, i), VALUE)
            else:
                p.execute_command("SET", "%s:%d" % (prefix, i), VALUE, "EX", ttl)
        replies += p.execute(raise_on_error=False)
    return replies


def fill_until_oom(c, prefix="fill"):
    """Single SETs until one is refused (client buffers, which count as
    used memory, are then small and steady)."""
    for i in range(20000):
        try:
            c.execute_command("SET", "%s:%d" % (prefix, i), VALUE)
        except Exception as e:
            return str(e)
    raise AssertionError("no write was refused")


def fill_until_evicted(c, prefix, want):
    """Writes keys in batches of 100 until `want` keys were evicted (so the
    cold keys are not used up, which would make the hot ones candidates)."""
    for batch in range(100):
        fill(c, prefix, 100, start=batch * 100)
        if evicted(c) >= want:
            return
    raise AssertionError("fewer than %d keys evicted" % want)


def test_noeviction_refuses_denyoom_commands(srv):
    _, c = srv
    set_limit(c, "noeviction")
    replies = fill(c, "k", 6000)
    errors = [r for r in replies if isinstance(r, Exception)]
    assert errors, "writes past maxmemory were all accepted"
    assert str(errors[0]) == OOM
    assert evicted(c) == 0
    # Reads and non-denyoom writes still run; DEL frees room for a SET.
    assert c.execute_command("GET", "k:0") == VALUE
    assert fill_until_oom(c) == OOM
    assert err(c, "SET", "new", "x") == OOM
    assert err(c, "LPUSH", "list", "x") == OOM
    assert c.execute_command("DEL", *["k:%d" % i for i in range(1000)]) == 1000
    assert c.execute_command("SET", "new", "x") == "OK"


def test_oom_inside_multi(srv):
    _, c = srv
    set_limit(c, "noeviction")
    fill(c, "k", 6000)
    assert fill_until_oom(c) == OOM
    assert c.execute_command("MULTI") == "OK"
    # Any command but EXEC/DISCARD is refused while queueing, even a read.
    assert err(c, "GET", "x") == OOM
    assert err(c, "EXEC") == \
        "EXECABORT Transaction discarded because of previous errors."
    assert c.execute_command("MULTI") == "OK"
    assert c.execute_command("DISCARD") == "OK"


@pytest.mark.parametrize("policy", ["allkeys-random", "allkeys-lru", "allkeys-lfu"])
def test_allkeys_policies_stay_under_the_limit(srv, policy):
    _, c = srv
    limit = set_limit(c, policy)
    replies = fill(c, "k", 6000)
    assert not [r for r in replies if isinstance(r, Exception)]
    # Read both in one transaction: any command may evict first (a big INFO
    # reply can tip memory over the limit), but not between these two.
    p = c.pipeline(transaction=True)
    p.info("stats")
    p.dbsize()
    stats, dbsize = p.execute()
    if not isinstance(stats, dict):  # raw text inside a transaction
        stats = dict(line.split(":", 1) for line in str(stats).split("\r\n")
                     if ":" in line)
    n = int(stats["evicted_keys"])
    assert n > 0
    assert int(dbsize) == 6000 - n
    assert used(c) <= limit + 256 * 1024
    assert info(c, "memory")["maxmemory_policy"] == policy


@pytest.mark.parametrize("policy", ["volatile-random", "volatile-lru", "volatile-lfu",
                                    "volatile-ttl"])
def test_volatile_policies_evict_only_keys_with_ttl(srv, policy):
    _, c = srv
    set_limit(c, policy)
    fill(c, "keep", 300)
    replies = fill(c, "vol", 6000, ttl=1000)
    assert not [r for r in replies if isinstance(r, Exception)]
    assert evicted(c) > 0
    assert c.execute_command("EXISTS", *["keep:%d" % i for i in range(300)]) == 300
    # Once no key has a TTL, nothing can be evicted: denyoom writes fail.
    c.execute_command("PERSIST", "vol:5999")
    vol = [k for k in c.execute_command("KEYS", "vol:*")]
    if vol:
        c.execute_command("DEL", *vol)
    replies = fill(c, "more", 6000)
    errors = [r for r in replies if isinstance(r, Exception)]
    assert errors and str(errors[0]) == OOM


def test_volatile_ttl_evicts_the_soonest_expiring(srv):
    _, c = srv
    set_limit(c, "volatile-ttl")
    fill(c, "long", 500, ttl=100000)
    fill(c, "short", 500, ttl=1000)
    fill(c, "plain", 1100)  # past the limit by a few hundred keys
    assert evicted(c) > 0
    long_left = c.execute_command("EXISTS", *["long:%d" % i for i in range(500)])
    short_left = c.execute_command("EXISTS", *["short:%d" % i for i in range(500)])
    assert short_left < long_left


def test_allkeys_lru_keeps_recently_used_keys(srv):
    _, c = srv
    set_limit(c, "allkeys-lru", headroom=4 * 1024 * 1024)
    fill(c, "k", 2000)
    assert evicted(c) == 0
    time.sleep(2.1)  # the LRU clock has a resolution of one second
    hot = ["k:%d" % i for i in range(0, 2000, 10)]
    for base in range(0, len(hot), 100):
        c.execute_command("MGET", *hot[base:base + 100])
    fill_until_evicted(c, "new", 500)
    hot_left = c.execute_command("EXISTS", *hot)
    cold = ["k:%d" % i for i in range(2000) if i % 10]
    cold_left = c.execute_command("EXISTS", *cold)
    assert hot_left >= 0.9 * len(hot)
    assert cold_left / len(cold) < hot_left / len(hot)


def test_allkeys_lfu_keeps_frequently_used_keys(srv):
    _, c = srv
    set_limit(c, "allkeys-lfu", headroom=4 * 1024 * 1024)
    fill(c, "k", 2000)
    hot = ["k:%d" % i for i in range(0, 2000, 10)]
    for _ in range(30):
        c.execute_command("MGET", *hot)
    assert int(c.execute_command("OBJECT", "FREQ", "k:0")) > \
        int(c.execute_command("OBJECT", "FREQ", "k:1"))
    fill_until_evicted(c, "new", 500)
    hot_left = c.execute_command("EXISTS", *hot)
    assert hot_left >= 0.9 * len(hot)


def test_lowering_maxmemory_evicts_at_once(srv):
    _, c = srv
    c.execute_command("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    base = used(c)
    fill(c, "k", 3000)
    c.execute_command("CONFIG", "SET", "maxmemory", str(base + HEADROOM))
    # The CONFIG SET itself (Redis: its eviction job right after) evicts.
    deadline = time.monotonic() + 5
    while evicted(c) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert evicted(c) > 0


def test_eviction_invalidates_tracked_keys(srv):
    s, c = srv
    sub = s.raw("plain")
    try:
        sub.send(b"CLIENT ID\r\n")
        sid = sub.read_reply()
        sub.send(b"SUBSCRIBE __redis__:invalidate\r\n")
        assert sub.read_reply()[0] == b"subscribe"
        tracker = s.client()
        fill(c, "k", 200)
        tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sid)
        tracker.execute_command("MGET", *["k:%d" % i for i in range(200)])
        set_limit(c, "allkeys-random", headroom=0)
        c.execute_command("CONFIG", "SET", "maxmemory", str(used(c) - 100 * 1024))
        c.execute_command("SET", "trigger", "x")
        assert evicted(c) > 0
        msg = sub.read_reply()
        assert msg[0] == b"message" and msg[1] == b"__redis__:invalidate"
        assert msg[2][0].startswith(b"k:")
        tracker.close()
    finally:
        sub.close()


def test_maxmemory_config_round_trip(srv):
    _, c = srv
    c.execute_command("CONFIG", "SET", "maxmemory", "100mb", "maxmemory-samples", "10")
    assert c.execute_command("CONFIG", "GET", "maxmemory") == ["maxmemory", "104857600"]
    assert c.execute_command("CONFIG", "GET", "maxmemory-samples") == \
        ["maxmemory-samples", "10"]
    assert err(c, "CONFIG", "SET", "maxmemory-policy", "nope").startswith(
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')")
