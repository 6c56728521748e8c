"""Pub/Sub: SUBSCRIBE PSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB, with
subscribers and publishers on plain and TLS connections."""

import pytest

from helpers import err

CONTEXT_ERR = ("-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
               "QUIT / RESET are allowed in this context")


@pytest.fixture
def sub(live_server, mode):
    conn = live_server.raw(mode)
    yield conn
    conn.close()


@pytest.fixture
def other_mode(mode):
    return "plain" if mode == "tls" else "tls"


@pytest.fixture
def pub(live_server, other_mode):
    """A publisher on the other kind of listener, so messages cross plain <-> TLS."""
    from helpers import make_client
    c = make_client(live_server, other_mode)
    yield c
    c.close()


def test_subscribe_and_publish(sub, pub, r):
    sub.send(b"SUBSCRIBE news sport\r\n")
    assert sub.read_reply() == [b"subscribe", b"news", 1]
    assert sub.read_reply() == [b"subscribe", b"sport", 2]
    assert pub.execute_command("PUBLISH", "news", "hello") == 1
    assert sub.read_reply() == [b"message", b"news", b"hello"]
    assert pub.execute_command("PUBLISH", "sport", "a\r\nb") == 1
    assert sub.read_reply() == [b"message", b"sport", b"a\r\nb"]
    assert pub.execute_command("PUBLISH", "nobody", "x") == 0
    big = "x" * 200000
    assert r.execute_command("PUBLISH", "news", big) == 1
    assert sub.read_reply() == [b"message", b"news", big.encode()]
    sub.send(b"UNSUBSCRIBE news\r\n")
    assert sub.read_reply() == [b"unsubscribe", b"news", 1]
    assert pub.execute_command("PUBLISH", "news", "gone") == 0
    sub.send(b"UNSUBSCRIBE\r\n")
    assert sub.read_reply() == [b"unsubscribe", b"sport", 0]
    # Out of subscribed mode: ordinary commands work again.
    assert sub.cmd("PING") == b"+PONG"
    assert sub.cmd("UNSUBSCRIBE") == [b"unsubscribe", None, 0]


def test_subscribe_same_channel_twice(sub, pub):
    sub.send(b"SUBSCRIBE ch ch\r\n")
    assert sub.read_reply() == [b"subscribe", b"ch", 1]
    assert sub.read_reply() == [b"subscribe", b"ch", 1]
    assert pub.execute_command("PUBLISH", "ch", "once") == 1
    assert sub.read_reply() == [b"message", b"ch", b"once"]


def test_psubscribe(sub, pub):
    sub.send(b"PSUBSCRIBE news.* h?llo\r\n")
    assert sub.read_reply() == [b"psubscribe", b"news.*", 1]
    assert sub.read_reply() == [b"psubscribe", b"h?llo", 2]
    sub.send(b"SUBSCRIBE news.it\r\n")
    assert sub.read_reply() == [b"subscribe", b"news.it", 3]
    # One message per matching subscription.
    assert pub.execute_command("PUBLISH", "news.it", "ciao") == 2
    replies = [sub.read_reply(), sub.read_reply()]
    assert [b"message", b"news.it", b"ciao"] in replies
    assert [b"pmessage", b"news.*", b"news.it", b"ciao"] in replies
    assert pub.execute_command("PUBLISH", "hallo", "x") == 1
    assert sub.read_reply() == [b"pmessage", b"h?llo", b"hallo", b"x"]
    sub.send(b"PUNSUBSCRIBE news.*\r\n")
    assert sub.read_reply() == [b"punsubscribe", b"news.*", 2]
    sub.send(b"PUNSUBSCRIBE\r\n")
    assert sub.read_reply() == [b"punsubscribe", b"h?llo", 1]
    sub.send(b"UNSUBSCRIBE\r\n")
    assert sub.read_reply() == [b"unsubscribe", b"news.it", 0]
    assert sub.cmd("PUNSUBSCRIBE") == [b"punsubscribe", None, 0]


def test_subscribed_context_restrictions(sub):
    sub.send(b"SUBSCRIBE ch\r\n")
    assert sub.read_reply() == [b"subscribe", b"ch", 1]
    assert sub.cmd("GET", "k") == (CONTEXT_ERR % "get").encode()
    assert sub.cmd("SET", "k", "v") == (CONTEXT_ERR % "set").encode()
    # PING answers in the pub/sub shape in RESP2.
    assert sub.cmd("PING") == [b"pong", b""]
    assert sub.cmd("PING", "hi") == [b"pong", b"hi"]
    # The connection is still subscribed after the errors.
    assert sub.cmd("PSUBSCRIBE", "p*") == [b"psubscribe", b"p*", 2]
    assert sub.cmd("RESET") == b"+RESET"
    assert sub.cmd("GET", "k") is None
    assert sub.cmd("QUIT") == b"+OK"
    assert sub.closed_by_peer(timeout=5)


def test_pubsub_introspection(sub, pub, r, live_server, other_mode):
    sub.send(b"SUBSCRIBE alpha beta\r\n")
    sub.read_reply()
    sub.read_reply()
    sub2 = live_server.raw(other_mode)
    try:
        sub2.send(b"SUBSCRIBE alpha\r\n")
        assert sub2.read_reply() == [b"subscribe", b"alpha", 1]
        sub2.send(b"PSUBSCRIBE a* b*\r\n")
        sub2.read_reply()
        sub2.read_reply()
        assert sorted(r.execute_command("PUBSUB", "CHANNELS")) == ["alpha", "beta"]
        assert r.execute_command("PUBSUB", "CHANNELS", "a*") == ["alpha"]
        assert r.execute_command("PUBSUB", "CHANNELS", "zz*") == []
        assert r.execute_command("PUBSUB", "NUMSUB", "alpha", "beta", "gamma") == \
            ["alpha", 2, "beta", 1, "gamma", 0]
        assert r.execute_command("PUBSUB", "NUMSUB") == []
        assert r.execute_command("PUBSUB", "NUMPAT") == 2
        # A message to alpha reaches: sub (channel), sub2 (channel + pattern a*).
        assert pub.execute_command("PUBLISH", "alpha", "m") == 3
        assert sub.read_reply() == [b"message", b"alpha", b"m"]
        got = [sub2.read_reply(), sub2.read_reply()]
        assert [b"message", b"alpha", b"m"] in got
        assert [b"pmessage", b"a*", b"alpha", b"m"] in got
    finally:
        sub2.close()
    assert err(r, "PUBSUB", "NOSUCH") == "ERR unknown subcommand 'NOSUCH'. Try PUBSUB HELP."
    assert err(r, "PUBSUB", "NUMPAT", "x") == \
        "ERR wrong number of arguments for 'pubsub|numpat' command"
    assert err(r, "PUBLISH", "a") == "ERR wrong number of arguments for 'publish' command"
    assert err(r, "SUBSCRIBE") == "ERR wrong number of arguments for 'subscribe' command"


def test_disconnect_removes_subscriptions(live_server, mode, r):
    from helpers import wait_until
    conn = live_server.raw(mode)
    conn.send(b"SUBSCRIBE gone-soon\r\nPSUBSCRIBE gone-*\r\n")
    conn.read_reply()
    conn.read_reply()
    assert r.execute_command("PUBSUB", "NUMSUB", "gone-soon") == ["gone-soon", 1]
    conn.close()
    assert wait_until(lambda: r.execute_command("PUBSUB", "NUMSUB", "gone-soon")[1] == 0
                      and r.execute_command("PUBSUB", "NUMPAT") == 0, timeout=5)
    assert r.execute_command("PUBLISH", "gone-soon", "x") == 0
