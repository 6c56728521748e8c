"""Client-side caching (CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO)
over RESP2: invalidation messages reach a redirect client subscribed to
__redis__:invalidate, on plain and TLS connections."""

import socket
import time

import pytest

from helpers import err

CHANNEL = b"__redis__:invalidate"


@pytest.fixture
def sub(live_server, mode):
    """The redirect target: a raw connection subscribed to the channel."""
    conn = live_server.raw(mode, timeout=5.0)
    conn.send(b"CLIENT ID\r\n")
    conn.id = conn.read_reply()
    conn.send(b"SUBSCRIBE __redis__:invalidate\r\n")
    assert conn.read_reply() == [b"subscribe", CHANNEL, 1]
    yield conn
    conn.close()


@pytest.fixture
def tracker(client_factory, r):
    """A client to enable tracking on (r has flushed the keyspace)."""
    return client_factory()


@pytest.fixture
def writer(client_factory):
    return client_factory()


def next_message(sub):
    msg = sub.read_reply()
    assert msg[0] == b"message" and msg[1] == CHANNEL, msg
    return msg[2]


def no_message(sub, wait=0.2):
    """True when nothing arrives within `wait` seconds."""
    sub.sock.settimeout(wait)
    try:
        sub._fill()
    except (socket.timeout, TimeoutError):
        return sub.buf == b""
    finally:
        sub.sock.settimeout(5.0)
    return False


def info_field(c, section, name):
    for line in c.execute_command("INFO", section).splitlines():
        if line.startswith(name + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError("no %s in INFO %s" % (name, section))


def test_default_mode_invalidates_once(sub, tracker, writer):
    assert tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id) == "OK"
    assert tracker.execute_command("GET", "trk:a") is None
    writer.execute_command("SET", "trk:a", "1")
    assert next_message(sub) == [b"trk:a"]
    # Forgotten after one invalidation: a second write sends nothing ...
    writer.execute_command("SET", "trk:a", "2")
    # ... so the next message is about another key read and written later.
    tracker.execute_command("MGET", "trk:b", "trk:c")
    writer.execute_command("DEL", "trk:c")  # absent: nothing modified
    writer.execute_command("SET", "trk:c", "x")
    assert next_message(sub) == [b"trk:c"]
    writer.execute_command("SET", "trk:b", "x")
    assert next_message(sub) == [b"trk:b"]


def test_write_commands_are_not_remembered(sub, tracker, writer):
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id)
    tracker.execute_command("SET", "trk:w", "1")  # a write: not cached
    writer.execute_command("SET", "trk:w", "2")
    assert no_message(sub)


def test_own_writes_and_noloop(sub, tracker):
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id)
    tracker.execute_command("GET", "trk:self")
    tracker.execute_command("SET", "trk:self", "1")
    assert next_message(sub) == [b"trk:self"]
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id, "NOLOOP")
    tracker.execute_command("GET", "trk:self")
    tracker.execute_command("SET", "trk:self", "2")
    assert no_message(sub)


def test_flush_sends_one_nil_payload(sub, tracker, writer):
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id)
    tracker.execute_command("GET", "trk:f")
    writer.execute_command("FLUSHALL")
    assert next_message(sub) is None
    writer.execute_command("FLUSHDB")
    assert next_message(sub) is None
    # The table was emptied: this write sends nothing, then a fresh read works.
    writer.execute_command("SET", "trk:f", "1")
    tracker.execute_command("GET", "trk:g")
    writer.execute_command("SET", "trk:g", "1")
    assert next_message(sub) == [b"trk:g"]


def test_expired_and_deleted_keys_invalidate(sub, tracker, writer):
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id)
    writer.execute_command("SET", "trk:e", "1", "PX", "50")
    tracker.execute_command("GET", "trk:e")
    time.sleep(0.1)
    assert writer.execute_command("GET", "trk:e") is None  # lazy expiry deletes it
    assert next_message(sub) == [b"trk:e"]
    writer.execute_command("SET", "trk:d", "1")
    tracker.execute_command("STRLEN", "trk:d")
    writer.execute_command("DEL", "trk:d")
    assert next_message(sub) == [b"trk:d"]


def test_bcast_prefixes(sub, tracker, writer):
    assert tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id, "BCAST",
                                   "PREFIX", "bc:user:", "PREFIX", "bc:order:") == "OK"
    writer.execute_command("MSET", "bc:user:1", "a", "bc:user:2", "b", "bc:other", "c")
    assert sorted(next_message(sub)) == [b"bc:user:1", b"bc:user:2"]
    writer.execute_command("SET", "bc:other", "d")
    writer.execute_command("SET", "bc:order:9", "e")
    assert next_message(sub) == [b"bc:order:9"]
    # Keys need not be read, and stay tracked after an invalidation.
    writer.execute_command("SET", "bc:order:9", "f")
    assert next_message(sub) == [b"bc:order:9"]


def test_bcast_without_prefix_and_noloop(sub, tracker, writer):
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id, "BCAST", "NOLOOP")
    tracker.execute_command("SET", "bc:mine", "1")
    writer.execute_command("SET", "bc:theirs", "1")
    assert next_message(sub) == [b"bc:theirs"]


def test_optin(sub, tracker, writer):
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id, "OPTIN")
    tracker.execute_command("GET", "oi:a")  # not cached without CACHING yes
    assert tracker.execute_command("CLIENT", "CACHING", "yes") == "OK"
    tracker.execute_command("GET", "oi:b")
    tracker.execute_command("GET", "oi:c")  # CACHING applied to one command only
    writer.execute_command("MSET", "oi:a", "1", "oi:c", "1")
    writer.execute_command("SET", "oi:b", "1")
    assert next_message(sub) == [b"oi:b"]
    assert no_message(sub)


def test_optin_caching_lasts_a_transaction(sub, tracker, writer):
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id, "OPTIN")
    tracker.execute_command("CLIENT", "CACHING", "yes")
    tracker.execute_command("MULTI")
    tracker.execute_command("GET", "oi:t1")
    tracker.execute_command("GET", "oi:t2")
    assert tracker.execute_command("EXEC") == [None, None]
    writer.execute_command("SET", "oi:t1", "1")
    assert next_message(sub) == [b"oi:t1"]
    writer.execute_command("SET", "oi:t2", "1")
    assert next_message(sub) == [b"oi:t2"]


def test_optout(sub, tracker, writer):
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id, "OPTOUT")
    assert tracker.execute_command("CLIENT", "CACHING", "no") == "OK"
    tracker.execute_command("GET", "oo:a")  # excluded
    tracker.execute_command("GET", "oo:b")  # cached by default
    writer.execute_command("SET", "oo:a", "1")
    writer.execute_command("SET", "oo:b", "1")
    assert next_message(sub) == [b"oo:b"]


def test_getredir_and_trackinginfo(sub, tracker):
    assert tracker.execute_command("CLIENT", "GETREDIR") == -1
    assert tracker.execute_command("CLIENT", "TRACKINGINFO") == \
        ["flags", ["off"], "redirect", -1, "prefixes", []]
    tracker.execute_command("CLIENT", "TRACKING", "on")
    assert tracker.execute_command("CLIENT", "GETREDIR") == 0
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id, "OPTIN")
    tracker.execute_command("CLIENT", "CACHING", "yes")
    assert tracker.execute_command("CLIENT", "TRACKINGINFO") == \
        ["flags", ["on", "optin", "caching-yes"], "redirect", sub.id, "prefixes", []]
    assert tracker.execute_command("CLIENT", "GETREDIR") == sub.id
    tracker.execute_command("CLIENT", "TRACKING", "off")
    tracker.execute_command("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "y", "PREFIX", "x",
                            "NOLOOP", "REDIRECT", sub.id)
    assert tracker.execute_command("CLIENT", "TRACKINGINFO") == \
        ["flags", ["on", "bcast", "noloop"], "redirect", sub.id, "prefixes", ["x", "y"]]
    # Re-enabling replaces the mode but adds prefixes.
    tracker.execute_command("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "z")
    assert tracker.execute_command("CLIENT", "TRACKINGINFO") == \
        ["flags", ["on", "bcast"], "redirect", 0, "prefixes", ["x", "y", "z"]]
    tracker.execute_command("CLIENT", "TRACKING", "off")
    tracker.execute_command("CLIENT", "TRACKING", "on", "BCAST")
    assert tracker.execute_command("CLIENT", "TRACKINGINFO") == \
        ["flags", ["on", "bcast"], "redirect", 0, "prefixes", [""]]


def test_broken_redirect(live_server, mode, tracker, writer):
    target = live_server.raw(mode)
    target.send(b"CLIENT ID\r\n")
    tid = target.read_reply()
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", tid)
    tracker.execute_command("GET", "br:a")
    target.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        ids = [int(f.split("=")[1]) for line in
               writer.execute_command("CLIENT", "LIST").splitlines()
               for f in line.split() if f.startswith("id=")]
        if tid not in ids:
            break
        time.sleep(0.02)
    writer.execute_command("SET", "br:a", "1")
    info = tracker.execute_command("CLIENT", "TRACKINGINFO")
    assert info == ["flags", ["on", "broken_redirect"], "redirect", tid, "prefixes", []]


def test_errors(sub, tracker):
    c = tracker
    assert err(c, "CLIENT", "TRACKING", "on", "REDIRECT", "999999999") == \
        "ERR The client ID you want redirect to does not exist"
    assert err(c, "CLIENT", "TRACKING", "on", "REDIRECT", "x") == \
        "ERR value is not an integer or out of range"
    assert err(c, "CLIENT", "TRACKING", "on", "REDIRECT", sub.id, "REDIRECT", sub.id) == \
        "ERR A client can only redirect to a single other client"
    assert err(c, "CLIENT", "TRACKING", "maybe") == "ERR syntax error"
    assert err(c, "CLIENT", "TRACKING", "on", "foo") == "ERR syntax error"
    assert err(c, "CLIENT", "TRACKING", "on", "PREFIX") == "ERR syntax error"
    assert err(c, "CLIENT", "TRACKING", "on", "PREFIX", "a") == \
        "ERR PREFIX option requires BCAST mode to be enabled"
    assert err(c, "CLIENT", "TRACKING", "on", "BCAST", "OPTIN") == \
        "ERR OPTIN and OPTOUT are not compatible with BCAST"
    assert err(c, "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT") == \
        "ERR You can't specify both OPTIN mode and OPTOUT mode"
    assert err(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a") == \
        ("ERR Prefix 'ab' overlaps with another provided prefix 'a'. "
         "Prefixes for a single client must not overlap.")
    assert err(c, "CLIENT", "CACHING", "yes") == \
        ("ERR CLIENT CACHING can be called only when the client is in tracking mode with "
         "OPTIN or OPTOUT mode enabled")
    assert err(c, "CLIENT", "TRACKING") == \
        "ERR wrong number of arguments for 'client|tracking' command"
    assert err(c, "CLIENT", "CACHING") == \
        "ERR wrong number of arguments for 'client|caching' command"
    assert err(c, "CLIENT", "GETREDIR", "x") == \
        "ERR wrong number of arguments for 'client|getredir' command"
    c.execute_command("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x")
    assert err(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "xy") == \
        ("ERR Prefix 'xy' overlaps with an existing prefix 'x'. "
         "Prefixes for a single client must not overlap.")
    assert err(c, "CLIENT", "TRACKING", "on") == \
        ("ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
         "and then re-enabling it with a different mode.")
    assert err(c, "CLIENT", "CACHING", "yes") == \
        "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
    c.execute_command("CLIENT", "TRACKING", "off")
    c.execute_command("CLIENT", "TRACKING", "on", "OPTIN")
    assert err(c, "CLIENT", "TRACKING", "on", "OPTOUT") == \
        ("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
         "and then re-enabling it with a different mode.")
    assert err(c, "CLIENT", "CACHING", "no") == \
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
    assert err(c, "CLIENT", "CACHING", "maybe") == "ERR syntax error"


def test_reset_turns_tracking_off(tracker):
    tracker.execute_command("CLIENT", "TRACKING", "on")
    assert tracker.execute_command("RESET") == "RESET"
    assert tracker.execute_command("CLIENT", "TRACKINGINFO")[1] == ["off"]


def test_info_fields(sub, tracker, writer):
    base_clients = info_field(writer, "clients", "tracking_clients")
    base_prefixes = info_field(writer, "stats", "tracking_total_prefixes")
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id)
    tracker.execute_command("MGET", "inf:a", "inf:b", "inf:c")
    assert info_field(writer, "clients", "tracking_clients") == base_clients + 1
    assert info_field(writer, "stats", "tracking_total_keys") >= 3
    assert info_field(writer, "stats", "tracking_total_items") >= 3
    writer.execute_command("DEL", "inf:a")  # absent: nothing invalidated
    writer.execute_command("SET", "inf:a", "1")
    assert next_message(sub) == [b"inf:a"]
    tracker.execute_command("CLIENT", "TRACKING", "off")
    assert info_field(writer, "clients", "tracking_clients") == base_clients
    other = writer
    other.execute_command("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "inf:p1",
                          "PREFIX", "inf:p2")
    assert info_field(writer, "stats", "tracking_total_prefixes") == base_prefixes + 2
    other.execute_command("CLIENT", "TRACKING", "off")
    assert info_field(writer, "stats", "tracking_total_prefixes") == base_prefixes


def test_table_max_keys(sub, tracker, writer):
    writer.execute_command("CONFIG", "SET", "tracking-table-max-keys", "1")
    try:
        assert writer.execute_command("CONFIG", "GET", "tracking-table-max-keys") == \
            ["tracking-table-max-keys", "1"]
        tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id)
        tracker.execute_command("MGET", "mk:a", "mk:b", "mk:c")
        # Two of the three are dropped (with an invalidation) before sleeping.
        got = next_message(sub) + next_message(sub)
        assert len(got) == 2 and set(got) < {b"mk:a", b"mk:b", b"mk:c"}
        assert info_field(writer, "stats", "tracking_total_keys") == 1
    finally:
        writer.execute_command("CONFIG", "SET", "tracking-table-max-keys", "1000000")


def client_flags(c):
    fields = dict(f.split("=", 1) for f in c.execute_command("CLIENT", "INFO").split())
    return fields["flags"]


def test_client_info_flags(sub, tracker):
    assert "t" not in client_flags(tracker)
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id)
    assert client_flags(tracker) == "t"
    tracker.execute_command("CLIENT", "TRACKING", "off")
    tracker.execute_command("CLIENT", "TRACKING", "on", "BCAST")
    assert client_flags(tracker) == "tB"
    tracker.execute_command("CLIENT", "TRACKING", "off")
    assert client_flags(tracker) == "N"


def test_numkeys_commands_are_remembered(sub, tracker, writer):
    tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sub.id)
    tracker.execute_command("ZUNION", "2", "nk:z1", "nk:z2")
    tracker.execute_command("SINTERCARD", "1", "nk:s1")
    writer.execute_command("ZADD", "nk:z2", "1", "m")
    assert next_message(sub) == [b"nk:z2"]
    writer.execute_command("SADD", "nk:s1", "m")
    assert next_message(sub) == [b"nk:s1"]
    writer.execute_command("ZADD", "nk:z1", "1", "m")
    assert next_message(sub) == [b"nk:z1"]


def test_client_help_lists_tracking(tracker):
    lines = tracker.execute_command("CLIENT", "HELP")
    for want in ("CACHING (YES|NO)", "GETREDIR", "TRACKINGINFO",
                 "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]"):
        assert want in lines
