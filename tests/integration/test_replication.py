"""Replication between sealkv-server and redis-server 7.0 in every pairing,
over TLS with client certificates (tls-replication yes, tls-auth-clients yes)
and over plain TCP, with a mixed write load running; the datasets are then
compared key by key in every db (type, value, TTL within 1 s).

Under SEALKV_TEST_TARGET=redis every role is redis-server: that checks the
tests themselves.
"""

import os
import signal
import time

import pytest

from repl_helpers import (WriteLoad, assert_same_data, ctl, info, info_int, node,  # noqa: F401
                          populate, replicaof, wait_link_up, wait_synced)

PAIRS = [("sealkv", "sealkv"), ("redis", "sealkv"), ("sealkv", "redis")]


@pytest.mark.parametrize("primary_kind,replica_kind", PAIRS,
                         ids=["%s-to-%s" % p for p in PAIRS])
def test_replication_under_mixed_load(node, mode, primary_kind, replica_kind):
    primary = node(primary_kind, mode, name="primary")
    replica = node(replica_kind, mode, name="replica")
    # Data written before the replica attaches travels in the full sync;
    # the rest through the command stream while the load runs.
    populate(primary, 2000, size=50, prefix="pre:")
    populate(primary, 500, size=20, prefix="pre:", db=5)
    load = WriteLoad(primary, seed=7, duration=4.0).start()
    try:
        assert replicaof(replica, primary) == "OK"
        wait_link_up(replica)
        p = info(primary)
        assert p["role"] == "master"
        assert p["connected_slaves"] == "1"
        assert info(replica)["role"] == "slave"
        for _ in range(200):  # bounded: the load ends by itself
            if not load.running():
                break
            load.threads[0].join(timeout=0.1)
    finally:
        load.stop(check=False)
    load.stop()
    assert load.served > 0, "no blocking pop was served"
    load.settle()
    total = assert_same_data(primary, replica, min_keys=2500)
    assert total > 2500
    # The replica refuses writes from clients.
    c = ctl(replica)
    try:
        with pytest.raises(Exception) as e:
            c.execute_command("SET", "k", "v")
        assert "READONLY" in str(e.value)
    finally:
        c.close()
    assert info_int(primary, "stats", "sync_full") == 1


@pytest.mark.parametrize("primary_kind,replica_kind", PAIRS,
                         ids=["%s-to-%s" % p for p in PAIRS])
def test_chained_writes_after_resync_of_existing_replica(node, primary_kind, replica_kind):
    """A replica that held other data drops it at the full sync; REPLICAOF NO
    ONE makes it a writable primary that keeps the replicated data."""
    primary = node(primary_kind, "tls", name="primary")
    replica = node(replica_kind, "tls", name="replica")
    populate(primary, 300, prefix="p:")
    populate(replica, 100, prefix="stale:")
    replicaof(replica, primary)
    wait_synced(primary, replica)
    assert assert_same_data(primary, replica) == 300
    c = ctl(replica)
    try:
        assert c.execute_command("REPLICAOF", "NO", "ONE") == "OK"
        assert c.execute_command("SET", "after", "1") == "OK"
        assert c.execute_command("DBSIZE") == 301
        assert c.execute_command("EXISTS", "stale:000000001") == 0
    finally:
        c.close()
    assert info(replica)["role"] == "master"


def test_wait_counts_replicas(node, mode):
    primary = node("sealkv", mode, name="primary")
    replicas = [node("sealkv", mode, name="replica-a"), node("redis", mode, name="replica-b")]
    c = ctl(primary)
    try:
        c.execute_command("SET", "k", "0")
        assert c.execute_command("WAIT", 1, 100) == 0  # no replica yet: times out
        for r in replicas:
            replicaof(r, primary)
        wait_synced(primary, replicas)
        assert info(primary)["connected_slaves"] == "2"
        for i in range(20):
            c.execute_command("INCR", "k")
            assert c.execute_command("WAIT", 2, 5000) == 2
        # Asking for more replicas than there are waits for the timeout and
        # tells how many acknowledged.
        c.execute_command("INCR", "k")
        assert c.execute_command("WAIT", 3, 300) == 2
        assert c.execute_command("WAIT", 0, 0) == 2
    finally:
        c.close()
    assert_same_data(primary, replicas)


LATE_EXPIRY_CASES = {
    # name: (setup on the primary, commands while the replica is stopped)
    "pexpire-incr": ([("SET", "k", 1)], [("PEXPIRE", "k", 300), ("INCR", "k"),
                                         ("PERSIST", "k")]),
    "pexpire-sadd": ([("SADD", "k", "a")], [("PEXPIRE", "k", 300), ("SADD", "k", "b"),
                                            ("PERSIST", "k")]),
    "set-px-multi": ([], [("SET", "k", 1, "PX", 300), ("MULTI",), ("INCR", "k"),
                          ("PERSIST", "k"), ("EXEC",)]),
    "pexpire-zincrby": ([("ZADD", "k", 1, "m")], [("PEXPIRE", "k", 300), ("ZINCRBY", "k", 1, "m"),
                                                ("PERSIST", "k")]),
}


@pytest.mark.parametrize("case", sorted(LATE_EXPIRY_CASES))
@pytest.mark.parametrize("primary_kind,replica_kind", PAIRS,
                         ids=["%s-to-%s" % p for p in PAIRS])
def test_lagging_replica_applies_expiries_as_the_primary_did(node, primary_kind, replica_kind,
                                                            case):
    """A replica that receives the stream late (here: stopped with SIGSTOP
    for longer than the TTLs) applies an expiry whose absolute time has
    already passed without deleting the key, as the primary did when it ran
    the command: the key is the primary's to expire (by a DEL in the
    stream). The primary's later writes to the key must find it."""
    setup, late = LATE_EXPIRY_CASES[case]
    primary = node(primary_kind, "plain", name="primary")
    replica = node(replica_kind, "plain", name="replica")
    replicaof(replica, primary)
    pc = ctl(primary)
    try:
        for cmd in setup:
            pc.execute_command(*cmd)
        wait_synced(primary, replica)
        os.kill(replica.pid(), signal.SIGSTOP)
        try:
            for cmd in late:
                pc.execute_command(*cmd)
            time.sleep(0.6)  # the TTLs (300 ms) pass before the replica runs again
        finally:
            os.kill(replica.pid(), signal.SIGCONT)
        assert pc.execute_command("PTTL", "k") == -1
    finally:
        pc.close()
    assert_same_data(primary, replica)
