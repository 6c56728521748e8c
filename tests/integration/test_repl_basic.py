"""Replication basics: sealkv <-> sealkv and sealkv <-> redis-server 7.0, plain
and TLS (client certificates), partial resync, promotion, WAIT, read-only
replicas, min-replicas, tls-replication-peer-name.

Every server is a real process on loopback; redis-server 7.0 plays the
other end where the test says so. Data is compared value by value once the
replica's offset has reached the master's.
"""

import os
import signal
import time

import pytest

from helpers import ServerProcess, free_port, make_client, report_health, wait_until

REDIS_SERVER = "/usr/bin/redis-server"
SYNC_TIMEOUT = 30


class _RedisTarget:
    name = "redis"
    binary = REDIS_SERVER
    extra_directives = [("save", ""), ("appendonly", "no")]
    is_redis = True


@pytest.fixture
def start_any(target, certs, tmp_path):
    """start(kind, tls=False, plain=True, directives=()) -> a started ServerProcess,
    kind "sealkv" (the target under test) or "redis" (redis-server 7.0)."""
    started = []

    def start(kind, tls=False, plain=True, directives=(), name=None, do_start=True):
        tgt = _RedisTarget() if kind == "redis" else target
        workdir = os.path.join(str(tmp_path), "%s%d" % (kind, len(started)))
        srv = ServerProcess(tgt, workdir, certs=certs, plain=plain, tls=tls,
                            directives=[("repl-diskless-sync-delay", 0)] + list(directives),
                            name=name or "%s%d" % (kind, len(started)))
        started.append(srv)
        if do_start:
            srv.start()
        return srv

    yield start
    for srv in started:
        srv.stop()
    report_health(started)


def client(srv):
    return make_client(srv, "plain" if srv.port else "tls", password=srv.password)


def info(c, section="replication"):
    out = {}
    for line in c.execute_command("INFO", section).splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def replica_directives(master, tls, peer_name=None):
    d = []
    if tls:
        d += [("replicaof", "127.0.0.1", master.tls_port), ("tls-replication", "yes"),
              ("tls-client-cert-file", master.certs.client_cert),
              ("tls-client-key-file", master.certs.client_key)]
        if peer_name:
            d.append(("tls-replication-peer-name", peer_name))
    else:
        d.append(("replicaof", "127.0.0.1", master.port))
    return d


def wait_in_sync(mc, rc, timeout=SYNC_TIMEOUT):
    """Until the replica's link is up and it processed everything the master sent."""
    def done():
        ri = info(rc)
        if ri.get("master_link_status") != "up":
            return False
        return int(info(mc)["master_repl_offset"]) == int(ri["slave_repl_offset"])
    wait_until(done, timeout)


def dataset(c):
    """Every key of every non-empty db, as (type, value, has_ttl)."""
    out = {}
    keyspace = info(c, "keyspace")
    for dbname in keyspace:
        db = int(dbname[2:])
        c.execute_command("SELECT", db)
        for key in c.execute_command("KEYS", "*"):
            t = c.execute_command("TYPE", key)
            if t == "string":
                v = c.execute_command("GET", key)
            elif t == "list":
                v = c.execute_command("LRANGE", key, 0, -1)
            elif t == "hash":
                v = sorted(c.execute_command("HGETALL", key))
            elif t == "set":
                v = sorted(c.execute_command("SMEMBERS", key))
            elif t == "zset":
                v = c.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
            elif t == "stream":
                v = c.execute_command("XRANGE", key, "-", "+")
            else:
                v = None
            ttl = c.execute_command("PTTL", key)
            out[(db, key)] = (t, v, ttl > 0)
    c.execute_command("SELECT", 0)
    return out


def write_mix(c, tag, n=200):
    p = c.pipeline(transaction=False)
    for i in range(n):
        p.set("%s:s:%d" % (tag, i), "v%d" % i)
    p.rpush("%s:l" % tag, *["e%d" % i for i in range(50)])
    p.hset("%s:h" % tag, mapping={"f%d" % i: i for i in range(20)})
    p.sadd("%s:set" % tag, *range(30))
    p.zadd("%s:z" % tag, {"m%d" % i: i / 3 for i in range(40)})
    p.xadd("%s:x" % tag, {"a": "1"}, id="1-1")
    p.set("%s:ttl" % tag, "x", ex=1000)
    p.incrbyfloat("%s:float" % tag, "1.25")
    p.execute()
    c.execute_command("SELECT", 5)
    c.set("%s:db5" % tag, "five")
    c.execute_command("SELECT", 0)
    c.execute_command("MULTI")
    c.execute_command("SET", "%s:tx1" % tag, "a")
    c.execute_command("LPUSH", "%s:tx2" % tag, "b")
    c.execute_command("EXEC")


def check_pair(master, replica):
    mc, rc = client(master), client(replica)
    try:
        write_mix(mc, "before")
        wait_in_sync(mc, rc)
        write_mix(mc, "after")
        wait_in_sync(mc, rc)
        assert dataset(mc) == dataset(rc)
    finally:
        mc.close()
        rc.close()


# ------------------------------------------------------------------ pairs

@pytest.mark.sealkv_only
@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_sealkv_to_sealkv(start_any, tls):
    master = start_any("sealkv", tls=tls, plain=not tls)
    write_mix(client(master), "pre")
    replica = start_any("sealkv", tls=tls, plain=True, directives=replica_directives(master, tls))
    check_pair(master, replica)
    ri = info(client(replica))
    assert ri["role"] == "slave" and ri["master_link_status"] == "up"
    mi = info(client(master))
    assert mi["connected_slaves"] == "1"
    # A TLS replica announces its TLS port, as redis-server does.
    port = replica.tls_port if tls else replica.port
    assert mi["slave0"].startswith("ip=127.0.0.1,port=%d,state=online" % port)


@pytest.mark.sealkv_only
def test_redis_master_sealkv_replica_tls(start_any):
    master = start_any("redis", tls=True, plain=False)
    replica = start_any("sealkv", tls=True, directives=replica_directives(master, True))
    check_pair(master, replica)


@pytest.mark.sealkv_only
def test_sealkv_master_redis_replica_tls(start_any):
    master = start_any("sealkv", tls=True, plain=False)
    replica = start_any("redis", tls=True, directives=replica_directives(master, True))
    check_pair(master, replica)


@pytest.mark.sealkv_only
@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_redis_replica_disk_and_diskless(start_any, diskless):
    master = start_any("sealkv", directives=[("repl-diskless-sync", diskless)])
    replica = start_any("redis", directives=replica_directives(master, False))
    check_pair(master, replica)


# ----------------------------------------------------------- partial sync

@pytest.mark.sealkv_only
@pytest.mark.parametrize("master_kind", ["sealkv", "redis"])
def test_partial_resync_after_client_kill(start_any, master_kind):
    master = start_any(master_kind)
    replica = start_any("sealkv", directives=replica_directives(master, False))
    mc, rc = client(master), client(replica)
    write_mix(mc, "a")
    wait_in_sync(mc, rc)
    assert rc.execute_command("CLIENT", "KILL", "TYPE", "master") == 1
    write_mix(mc, "b")
    wait_in_sync(mc, rc)
    st = info(mc, "stats")
    assert st["sync_full"] == "1" and st["sync_partial_ok"] == "1", st
    assert dataset(mc) == dataset(rc)


@pytest.mark.sealkv_only
def test_promotion_and_psync_continue(start_any):
    master = start_any("sealkv")
    a = start_any("sealkv", directives=replica_directives(master, False))
    b = start_any("redis", directives=replica_directives(master, False))
    mc, ac, bc = client(master), client(a), client(b)
    write_mix(mc, "x")
    wait_in_sync(mc, ac)
    wait_in_sync(mc, bc)
    old_id = info(ac)["master_replid"]
    assert ac.execute_command("REPLICAOF", "NO", "ONE") == "OK"
    ai = info(ac)
    assert ai["role"] == "master" and ai["master_replid2"] == old_id
    assert int(ai["second_repl_offset"]) == int(ai["master_repl_offset"]) + 1
    ac.set("promoted", "1")
    # The sibling (redis-server) and the old master both continue from a.
    bc.execute_command("REPLICAOF", "127.0.0.1", a.port)
    mc.execute_command("REPLICAOF", "127.0.0.1", a.port)
    wait_in_sync(ac, bc)
    wait_in_sync(ac, mc)
    st = info(ac, "stats")
    assert st["sync_full"] == "0" and st["sync_partial_ok"] == "2", st
    assert bc.get("promoted") == "1" and mc.get("promoted") == "1"
    assert dataset(ac) == dataset(bc) == dataset(mc)


# ---------------------------------------------------------------- commands

@pytest.mark.sealkv_only
def test_wait_and_role(start_any):
    master = start_any("sealkv")
    replica = start_any("sealkv", directives=replica_directives(master, False))
    mc, rc = client(master), client(replica)
    wait_in_sync(mc, rc)
    mc.set("k", "v")
    assert mc.execute_command("WAIT", 1, 5000) == 1
    t0 = time.monotonic()
    assert mc.execute_command("WAIT", 2, 200) == 1  # times out with what it has
    assert time.monotonic() - t0 < 10
    role = mc.execute_command("ROLE")
    assert role[0] == "master" and role[2][0][1] == str(replica.port)
    role = rc.execute_command("ROLE")
    assert role[:4] == ["slave", "127.0.0.1", master.port, "connected"]
    with pytest.raises(Exception, match="WAIT cannot be used with replica instances"):
        rc.execute_command("WAIT", 1, 10)


@pytest.mark.sealkv_only
def test_read_only_replica_and_no_expiry(start_any):
    master = start_any("sealkv")
    replica = start_any("sealkv", directives=replica_directives(master, False))
    mc, rc = client(master), client(replica)
    wait_in_sync(mc, rc)
    with pytest.raises(Exception) as e:
        rc.set("x", "1")
    assert str(e.value) == "READONLY You can't write against a read only replica."
    assert rc.get("x") is None
    # Reads, and writes from the master, still work.
    mc.set("y", "2")
    wait_in_sync(mc, rc)
    assert rc.get("y") == "2"
    assert rc.execute_command("CONFIG", "SET", "replica-read-only", "no") == "OK"
    assert rc.set("local", "1")


@pytest.mark.sealkv_only
def test_min_replicas_to_write(start_any):
    master = start_any("sealkv", directives=[("min-replicas-to-write", 1)])
    mc = client(master)
    with pytest.raises(Exception) as e:
        mc.set("k", "v")
    assert str(e.value) == "NOREPLICAS Not enough good replicas to write."
    replica = start_any("sealkv", directives=replica_directives(master, False))
    wait_until(lambda: info(mc).get("min_slaves_good_slaves") == "1", SYNC_TIMEOUT)
    assert mc.set("k", "v")
    replica.stop()


# ------------------------------------------------------------------- TLS

@pytest.mark.sealkv_only
def test_tls_peer_name_match_and_mismatch(start_any):
    master = start_any("sealkv", tls=True, plain=False)
    bad = start_any("sealkv", tls=True,
                    directives=replica_directives(master, True, peer_name="wrong.example"))
    good = start_any("sealkv", tls=True,
                     directives=replica_directives(master, True, peer_name="localhost"))
    mc, bc, gc = client(master), client(bad), client(good)
    wait_in_sync(mc, gc)
    wait_until(lambda: "tls-replication-peer-name requires 'wrong.example'" in bad.log_text(),
               SYNC_TIMEOUT)
    assert info(bc)["master_link_status"] == "down"
    assert info(mc)["connected_slaves"] == "1"


@pytest.mark.sealkv_only
def test_tls_replica_without_client_cert_refused(start_any):
    master = start_any("sealkv", tls=True, plain=False)
    d = [("replicaof", "127.0.0.1", master.tls_port), ("tls-replication", "yes")]
    # No tls-client-cert-file: the server pair (serverAuth only) is offered
    # and the master (tls-auth-clients yes) refuses it; no data moves.
    replica = start_any("sealkv", tls=True, directives=d)
    time.sleep(1.5)
    assert info(client(replica))["master_link_status"] == "down"
    assert info(client(master))["connected_slaves"] == "0"


@pytest.mark.sealkv_only
def test_bad_replication_directives(start_any):
    for bad in [("replicaof", "127.0.0.1", "99999"), ("replicaof", "onlyhost"),
                ("repl-diskless-load", "swapdb"), ("repl-backlog-size", "1")]:
        srv = start_any("sealkv", directives=[bad], do_start=False)
        with pytest.raises(RuntimeError):
            srv.start()


@pytest.mark.sealkv_only
def test_replica_survives_master_restart_with_psync(start_any):
    master = start_any("sealkv")
    replica = start_any("sealkv", directives=replica_directives(master, False))
    mc, rc = client(master), client(replica)
    write_mix(mc, "r")
    wait_in_sync(mc, rc)
    os.kill(master.pid(), signal.SIGSTOP)
    try:
        time.sleep(0.3)
    finally:
        os.kill(master.pid(), signal.SIGCONT)
    mc.set("later", "1")
    wait_in_sync(mc, rc)
    assert rc.get("later") == "1"


@pytest.mark.sealkv_only
def test_replica_restart_continues_with_psync(start_any):
    master = start_any("sealkv")
    replica = start_any("sealkv", directives=replica_directives(master, False))
    mc, rc = client(master), client(replica)
    write_mix(mc, "p")
    wait_in_sync(mc, rc)
    # The RDB file records the replication id and offset (AUX fields).
    try:
        rc.execute_command("SHUTDOWN", "SAVE")
    except Exception:
        pass
    replica.stop()
    mc.set("while-down", "1")
    replica.start()
    rc = client(replica)
    wait_in_sync(mc, rc)
    assert rc.get("while-down") == "1"
    st = info(mc, "stats")
    assert st["sync_full"] == "1" and st["sync_partial_ok"] == "1", st
    assert dataset(mc) == dataset(rc)


@pytest.mark.sealkv_only
def test_stale_replica_masterdown(start_any):
    dead = free_port()
    replica = start_any("sealkv", directives=[("replicaof", "127.0.0.1", dead)])
    rc = client(replica)
    # Set at run time: the harness's start-up PING would get MASTERDOWN too.
    assert rc.execute_command("CONFIG", "SET", "replica-serve-stale-data", "no") == "OK"
    with pytest.raises(Exception) as e:
        rc.get("k")
    assert str(e.value) == ("MASTERDOWN Link with MASTER is down and replica-serve-stale-data "
                            "is set to 'no'.")
    ri = info(rc)
    assert ri["master_link_status"] == "down" and "master_link_down_since_seconds" in ri
    assert rc.execute_command("CONFIG", "SET", "replica-serve-stale-data", "yes") == "OK"
    assert rc.get("k") is None


@pytest.mark.sealkv_only
def test_replica_expiry_follows_master(start_any):
    master = start_any("sealkv")
    replica = start_any("sealkv", directives=replica_directives(master, False))
    mc, rc = client(master), client(replica)
    wait_in_sync(mc, rc)
    mc.set("short", "v", px=300)
    wait_in_sync(mc, rc)
    assert rc.get("short") == "v"
    time.sleep(0.5)
    assert rc.get("short") is None  # logically expired for the replica's clients
    mc.get("short")  # the master deletes it and sends DEL
    wait_until(lambda: rc.dbsize() == 0, SYNC_TIMEOUT)
    assert rc.dbsize() == 0


@pytest.mark.sealkv_only
def test_chained_replicas_forward_the_stream(start_any):
    """master -> a -> b: b gets a's copy of the master's bytes (same offsets,
    same db selection) and continues from a after a dropped link."""
    master = start_any("sealkv")
    a = start_any("sealkv", directives=replica_directives(master, False))
    mc, ac = client(master), client(a)
    mc.execute_command("SELECT", 3)
    mc.set("in3", "x")
    wait_in_sync(mc, ac)
    b = start_any("sealkv", directives=replica_directives(a, False))
    bc = client(b)
    wait_in_sync(ac, bc)
    mc.set("later3", "y")  # no SELECT in the stream: b must know db 3 from its payload
    write_mix(mc, "c")
    wait_in_sync(mc, ac)
    wait_in_sync(ac, bc)
    assert info(bc)["master_repl_offset"] == info(mc)["master_repl_offset"]
    assert bc.execute_command("CLIENT", "KILL", "TYPE", "master") == 1
    mc.set("after-kill", "z")
    wait_in_sync(mc, ac)
    wait_in_sync(ac, bc)
    assert info(ac, "stats")["sync_partial_ok"] == "1"
    mc.execute_command("SELECT", 0)
    assert dataset(mc) == dataset(ac) == dataset(bc)


@pytest.mark.sealkv_only
def test_redis_cli_rdb_snapshot(start_any, tmp_path):
    """redis-cli --rdb (SYNC, the pre-PSYNC protocol) gets a loadable file."""
    import subprocess
    master = start_any("sealkv")
    mc = client(master)
    write_mix(mc, "snap")
    out = str(tmp_path / "snap.rdb")
    subprocess.run(["redis-cli", "-p", str(master.port), "--rdb", out], check=True,
                   timeout=60, capture_output=True)
    with open(out, "rb") as f:
        assert f.read(9) == b"REDIS0010"
    other = start_any("redis", directives=[("dbfilename", "snap.rdb"), ("dir", str(tmp_path))])
    assert dataset(client(other)) == dataset(mc)


@pytest.mark.sealkv_only
@pytest.mark.parametrize("replica_kind", ["sealkv", "redis"])
def test_masterauth(start_any, replica_kind):
    master = start_any("sealkv", directives=[("requirepass", "s3cret-pw")])
    bad = start_any("sealkv", directives=replica_directives(master, False) +
                    [("masterauth", "wrong-pw")])
    good = start_any(replica_kind, directives=replica_directives(master, False) +
                     [("masterauth", "s3cret-pw")])
    mc, gc = client(master), client(good)
    write_mix(mc, "auth")
    wait_in_sync(mc, gc)
    assert dataset(mc) == dataset(gc)
    wait_until(lambda: "Unable to AUTH to MASTER" in bad.log_text(), SYNC_TIMEOUT)
    assert info(client(bad))["master_link_status"] == "down"
    # The password itself is never logged.
    assert "s3cret-pw" not in master.log_text() + good.log_text()
    assert "wrong-pw" not in bad.log_text()


@pytest.mark.sealkv_only
@pytest.mark.parametrize("replica_kind", ["sealkv", "redis"])
def test_master_restart_from_rdb_continues_replicas(start_any, replica_kind):
    """A master restarted from its own RDB offers the saved history as replid2:
    its replicas continue with +CONTINUE, no full sync."""
    master = start_any("sealkv")
    replica = start_any(replica_kind, directives=replica_directives(master, False))
    mc, rc = client(master), client(replica)
    write_mix(mc, "m")
    wait_in_sync(mc, rc)
    try:
        mc.execute_command("SHUTDOWN", "SAVE")
    except Exception:
        pass
    master.stop()
    master.start()
    mc = client(master)
    mc.set("after-restart", "1")
    wait_in_sync(mc, rc)
    assert rc.get("after-restart") == "1"
    st = info(mc, "stats")
    assert st["sync_full"] == "0" and st["sync_partial_ok"] == "1", st
    assert dataset(mc) == dataset(rc)


@pytest.mark.sealkv_only
def test_replicaof_and_config_rewrite(start_any):
    master = start_any("sealkv")
    srv = start_any("sealkv")
    c = client(srv)
    with pytest.raises(Exception, match="can't set immutable config"):
        c.execute_command("CONFIG", "SET", "replicaof", "127.0.0.1 %d" % master.port)
    assert c.execute_command("REPLICAOF", "127.0.0.1", master.port) == "OK"
    assert c.execute_command("REPLICAOF", "127.0.0.1", master.port) == \
        "OK Already connected to specified master"
    assert c.execute_command("CONFIG", "GET", "replicaof") == \
        ["replicaof", "127.0.0.1 %d" % master.port]
    assert c.execute_command("CONFIG", "REWRITE") == "OK"
    with open(srv.config_path) as f:
        assert "replicaof 127.0.0.1 %d\n" % master.port in f.read()
    wait_in_sync(client(master), c)
    # Restarted from the rewritten file, it is a replica again.
    srv.stop()
    srv.start()
    c = client(srv)
    wait_in_sync(client(master), c)
    assert c.execute_command("REPLICAOF", "NO", "ONE") == "OK"
    assert c.execute_command("CONFIG", "GET", "replicaof") == ["replicaof", ""]
    assert c.execute_command("CONFIG", "REWRITE") == "OK"
    srv.stop()
    srv.start()
    assert info(client(srv))["role"] == "master"
