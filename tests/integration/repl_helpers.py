"""Helpers of the replication suites: servers in named roles, replication
waits, a mixed write load, and a key-by-key dataset comparison.

Each role (primary, replica) is played by a "kind": "sealkv" is the binary
under test (conftest's target: redis-server itself under
SEALKV_TEST_TARGET=redis, which is how these tests are checked) and "redis" is
always Debian's redis-server 7.0. The test drives every server through its
plain port (control connections); replication itself goes over TLS with
client certificates when the test's mode is "tls" (tls-replication yes, the
replica presenting tls-client-cert-file to a primary with tls-auth-clients
yes), or over plain TCP in mode "plain".

Every wait polls with a deadline; every process is stopped by pid.
"""

import os
import random
import signal
import subprocess
import threading
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from helpers import ServerProcess, report_health, wait_until

REDIS_SERVER = "/usr/bin/redis-server"
SYNC_TIMEOUT = 30.0


class RedisRef:
    """Target-like description of Debian's redis-server (see conftest.Target)."""

    name = "redis"
    binary = REDIS_SERVER
    extra_directives = [("save", ""), ("appendonly", "no")]
    is_redis = True


def role_target(kind, target):
    """The target object that plays `kind` ("sealkv" or "redis")."""
    if kind == "redis":
        return RedisRef()
    if kind == "sealkv":
        return target
    raise ValueError(kind)


def repl_directives(certs, tls, client_cert=None, client_key=None):
    """Directives every replication server gets (primary and replica alike:
    either may be told REPLICAOF). Redis 7.0 delays a diskless full sync by
    5 s by default to batch replicas; 0 makes the tests wait for data only."""
    d = [("repl-diskless-sync-delay", 0)]
    if tls:
        d += [("tls-replication", "yes"), ("tls-auth-clients", "yes"),
              ("tls-client-cert-file", client_cert or certs.client_cert),
              ("tls-client-key-file", client_key or certs.client_key)]
    return d


@pytest.fixture
def node(target, certs, tmp_path):
    """node(kind, mode="tls", directives=(), name=None, start=True,
    client_cert=None, client_key=None) -> ServerProcess with a plain control
    port and, in tls mode, a TLS port with the replication directives.
    Every node is stopped at the end of the test; a crash, a sanitizer
    report or a hang on SIGTERM fails the test."""
    started = []

    def make(kind, mode="tls", directives=(), name=None, start=True, client_cert=None,
             client_key=None):
        tls = mode == "tls"
        workdir = os.path.join(str(tmp_path), "node%d" % len(started))
        d = repl_directives(certs, tls, client_cert, client_key) + list(directives)
        srv = ServerProcess(role_target(kind, target), workdir, certs=certs, plain=True,
                            tls=tls, directives=d,
                            name=name or "%s-%s%d" % (kind, mode, len(started)))
        srv.kind = kind
        srv.mode = mode
        started.append(srv)
        if start:
            srv.start()
        return srv

    yield make
    for srv in started:
        srv.stop()
    report_health(started)


def ctl(srv, **kw):
    """A control client on the server's plain port."""
    return srv.client("plain", **kw)


def info(srv, section="replication", client=None):
    c = client or ctl(srv, timeout=5.0)
    try:
        text = c.execute_command("INFO", section)
    finally:
        if client is None:
            c.close()
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


def info_int(srv, section, field, default=0):
    v = info(srv, section).get(field)
    return int(v) if v not in (None, "") else default


def primary_port(primary, mode):
    return primary.tls_port if mode == "tls" else primary.port


def replicaof(replica, primary, mode=None):
    mode = mode or replica.mode
    c = ctl(replica)
    try:
        return c.execute_command("REPLICAOF", "127.0.0.1", primary_port(primary, mode))
    finally:
        c.close()


def link_up(replica):
    try:
        return info(replica).get("master_link_status") == "up"
    except (RedisConnectionError, RedisTimeoutError):
        return False


def wait_link_up(replica, timeout=SYNC_TIMEOUT):
    ok = wait_until(lambda: link_up(replica), timeout, interval=0.1)
    assert ok, "replica %s: link not up within %.0fs: %r\n%s" % (
        replica.name, timeout, info(replica), replica.log_tail(20))


def offsets(primary, replicas):
    p = info(primary)
    return int(p.get("master_repl_offset", -1)), [
        int(info(r).get("slave_repl_offset", -2)) for r in replicas]


def in_sync(primary, replicas):
    try:
        if not all(link_up(r) for r in replicas):
            return False
        po, ros = offsets(primary, replicas)
    except (RedisConnectionError, RedisTimeoutError):
        return False
    return all(ro == po for ro in ros)


def wait_synced(primary, replicas, timeout=SYNC_TIMEOUT):
    """Until every replica's link is up and its offset equals the primary's."""
    if not isinstance(replicas, (list, tuple)):
        replicas = [replicas]
    ok = wait_until(lambda: in_sync(primary, replicas), timeout, interval=0.1)
    if not ok:
        po, ros = offsets(primary, replicas)
        raise AssertionError("replicas not in sync within %.0fs: primary offset %d, "
                             "replicas %r\n%s" % (timeout, po, ros, "\n".join(
                                 "%s:\n%s" % (r.name, r.log_tail(15)) for r in replicas)))


def _children(pid):
    kids = set()
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids.update(int(x) for x in f.read().split())
    except OSError:
        pass
    return kids


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill9(srv):
    """SIGKILLs the server by pid and forgets it (not counted as a problem:
    the test asked for it). Its forked children (a save or sync in flight)
    are given 10 s to notice and exit, then SIGKILLed by pid too."""
    if srv.proc is None:
        return
    kids = _children(srv.proc.pid)
    srv.proc.send_signal(signal.SIGKILL)
    try:
        srv.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    if srv in ServerProcess.live:
        ServerProcess.live.remove(srv)
    srv.proc = None
    wait_until(lambda: not any(_alive(k) for k in kids), 10, interval=0.1)
    for k in kids:
        if _alive(k):
            try:
                os.kill(k, signal.SIGKILL)
            except OSError:
                pass


# --------------------------------------------------------------------------
# Dataset dump and comparison
# --------------------------------------------------------------------------

def _pairs(flat):
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def _stream_value(c, key):
    entries = [(eid, tuple(fields)) for eid, fields in c.execute_command("XRANGE", key, "-", "+")]
    xinfo = dict(_pairs(c.execute_command("XINFO", "STREAM", key)))
    meta = {k: xinfo.get(k) for k in ("length", "last-generated-id", "max-deleted-entry-id",
                                      "entries-added", "recorded-first-entry-id")}
    groups = {}
    for g in c.execute_command("XINFO", "GROUPS", key):
        g = dict(_pairs(g))
        name = g["name"]
        consumers = {}
        for cons in c.execute_command("XINFO", "CONSUMERS", key, name):
            cons = dict(_pairs(cons))
            consumers[cons["name"]] = cons.get("pending")
        # Pending entries without their idle time (a clock, not data).
        pel = [(p[0], p[1], p[3]) for p in
               c.execute_command("XPENDING", key, name, "-", "+", 100000)]
        # Not entries-read: redis-server 7.0's own replicas report it as nil
        # (it is a lag estimate, not data).
        groups[name] = {"consumers": consumers, "pending": g.get("pending"),
                        "last-delivered-id": g.get("last-delivered-id"), "pel": pel}
    return {"entries": entries, "meta": meta, "groups": groups}


def key_value(c, key, kind):
    if kind == "string":
        return c.execute_command("GET", key)
    if kind == "list":
        return c.execute_command("LRANGE", key, 0, -1)
    if kind == "hash":
        return dict(_pairs(c.execute_command("HGETALL", key)))
    if kind == "set":
        return sorted(c.execute_command("SMEMBERS", key))
    if kind == "zset":
        return c.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
    if kind == "stream":
        return _stream_value(c, key)
    raise AssertionError("key %r has unexpected type %r" % (key, kind))


def keyspace_dbs(srv):
    return {int(k[2:]) for k in info(srv, "keyspace") if k.startswith("db")}


def dump_db(c, db):
    """{key: (type, value, expiry)} for one database; expiry is the absolute
    deadline in ms (PTTL + now), or PTTL's negative answer (-1: none)."""
    c.execute_command("SELECT", db)
    out = {}
    cursor = "0"
    for _ in range(1000000):
        cursor, keys = c.execute_command("SCAN", cursor, "COUNT", 1000)
        for key in keys:
            kind = c.execute_command("TYPE", key)
            if kind == "none":  # expired or deleted meanwhile
                continue
            pttl = int(c.execute_command("PTTL", key))
            # The expiry as a wall-clock deadline (ms), so that two dumps taken
            # one after the other compare alike however long each one took.
            if pttl >= 0:
                pttl += int(time.time() * 1000)
            out[key] = (kind, key_value(c, key, kind), pttl)
        if str(cursor) == "0":
            break
    return out


def dump_dataset(srv, dbs):
    c = ctl(srv, timeout=60.0)
    try:
        return {db: dump_db(c, db) for db in sorted(dbs)}
    finally:
        c.close()


def _short(v, n=160):
    text = repr(v)
    return text if len(text) <= n else text[:n] + "..."


def _value_diff(a, b, path=""):
    """Where two values first differ, briefly ("groups.g0.pel[3]: x vs y")."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                return _value_diff(a.get(k), b.get(k), "%s.%s" % (path, k) if path else str(k))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _value_diff(x, y, "%s[%d]" % (path, i))
        if len(a) != len(b):
            return "%s: length %d vs %d" % (path or "value", len(a), len(b))
    return "%s: %s vs %s" % (path or "value", _short(a), _short(b))


def compare_datasets(a, b, ttl_tolerance_ms=1000, limit=20):
    """Differences between two dumps, as readable lines ([] when equal):
    same keys in every db, same type and value, TTLs both absent or within
    ttl_tolerance_ms of each other."""
    diffs = []
    for db in sorted(set(a) | set(b)):
        da, db_ = a.get(db, {}), b.get(db, {})
        only_a = sorted(set(da) - set(db_))
        only_b = sorted(set(db_) - set(da))
        if only_a:
            diffs.append("db%d: %d keys only on the primary, e.g. %r" % (db, len(only_a),
                                                                         only_a[:5]))
        if only_b:
            diffs.append("db%d: %d keys only on the replica, e.g. %r" % (db, len(only_b),
                                                                         only_b[:5]))
        for key in sorted(set(da) & set(db_)):
            (ta, va, pa), (tb, vb, pb) = da[key], db_[key]
            if ta != tb:
                diffs.append("db%d %r: type %s vs %s" % (db, key, ta, tb))
            elif va != vb:
                diffs.append("db%d %r (%s): %s" % (db, key, ta, _value_diff(va, vb)))
            elif (pa < 0) != (pb < 0) or abs(pa - pb) > ttl_tolerance_ms:
                diffs.append("db%d %r: expiry %d vs %d (ms since the epoch; -1 = none)"
                             % (db, key, pa, pb))
            if len(diffs) >= limit:
                return diffs + ["(more differences not listed)"]
    return diffs


def assert_same_data(primary, replicas, timeout=SYNC_TIMEOUT, min_keys=1):
    """Waits for the replicas to catch up, then compares every db key by key.
    Retries a dump taken while the primary's offset moved (active expiry,
    pings), a bounded number of times."""
    if not isinstance(replicas, (list, tuple)):
        replicas = [replicas]
    last = None
    for _ in range(5):
        wait_synced(primary, replicas, timeout)
        before = offsets(primary, replicas)[0]
        dbs = keyspace_dbs(primary)
        for r in replicas:
            dbs |= keyspace_dbs(r)
        pdump = dump_dataset(primary, dbs)
        rdumps = [dump_dataset(r, dbs) for r in replicas]
        if offsets(primary, replicas)[0] != before:
            continue  # the primary changed during the dump: take it again
        total = sum(len(v) for v in pdump.values())
        assert total >= min_keys, "primary holds only %d keys" % total
        last = []
        for r, rd in zip(replicas, rdumps):
            d = compare_datasets(pdump, rd)
            if d:
                last.append("%s vs %s:\n  %s" % (primary.name, r.name, "\n  ".join(d)))
        if not last:
            return total
        time.sleep(0.5)
    raise AssertionError("datasets differ:\n" + "\n".join(last or ["(never stable)"]))


# --------------------------------------------------------------------------
# Write load
# --------------------------------------------------------------------------

LOAD_DBS = (0, 1, 3, 9)
NKEYS = 40


class WriteLoad:
    """A mixed write load on the primary from a writer thread, and a blocker
    thread whose blocking pops (BLPOP, BRPOP, BLMOVE, BZPOPMIN, BLMPOP) the
    writer serves. Bounded by `duration` seconds and `max_ops` commands;
    stop() ends it early. Errors the servers answer (WRONGTYPE, BUSYGROUP,
    no such key...) are expected for some random commands and only counted;
    a broken connection ends the thread and is reported by stop().

    Short TTLs are at most SHORT_TTL_MS so that settle() can wait for them to
    be gone before datasets are compared."""

    SHORT_TTL_MS = 1500

    def __init__(self, srv, seed=1, duration=5.0, max_ops=200000):
        self.srv = srv
        self.rng = random.Random(seed)
        self.brng = random.Random(seed + 1000)
        self.duration = duration
        self.max_ops = max_ops
        self.stop_event = threading.Event()
        self.ops = 0
        self.errors = 0
        self.served = 0
        self.fatal = []
        self.threads = []
        self.db = 0

    # -- life cycle ------------------------------------------------------

    def start(self):
        self.deadline = time.monotonic() + self.duration
        for fn in (self._writer, self._blocker):
            t = threading.Thread(target=self._guard, args=(fn,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def _guard(self, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - reported by stop()
            self.fatal.append("%s: %r" % (fn.__name__, e))

    def running(self):
        return any(t.is_alive() for t in self.threads)

    def stop(self, check=True):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=15)
        alive = [t for t in self.threads if t.is_alive()]
        if check:
            assert not alive, "load threads did not stop"
            assert not self.fatal, "write load failed: %s" % self.fatal
            assert self.ops > 0
        return self

    def done(self):
        return (self.stop_event.is_set() or time.monotonic() >= self.deadline
                or self.ops >= self.max_ops)

    def settle(self):
        """After stop(): waits out the short TTLs so that expired keys are
        gone (deleted by the primary, deletions replicated) before a compare."""
        time.sleep(self.SHORT_TTL_MS / 1000.0 + 0.3)
        c = ctl(self.srv)
        try:
            for db in LOAD_DBS:  # touching every key expires what is due now
                c.execute_command("SELECT", db)
                cursor = "0"
                for _ in range(10000):
                    cursor, _keys = c.execute_command("SCAN", cursor, "COUNT", 1000)
                    if str(cursor) == "0":
                        break
        finally:
            c.close()

    # -- threads ---------------------------------------------------------

    def _client(self):
        return ctl(self.srv, timeout=10.0)

    def _writer(self):
        c = self._client()
        try:
            c.execute_command("SELECT", 0)
            self.db = 0
            while not self.done():
                r = self.rng.random()
                try:
                    if r < 0.06:
                        self._multi(c)
                    else:
                        self._one(c)
                except ResponseError:
                    self.errors += 1
                    if r < 0.06:
                        self._discard(c)
                self.ops += 1
        finally:
            c.close()

    def _discard(self, c):
        try:
            c.execute_command("DISCARD")
        except ResponseError:
            pass

    def _blocker(self):
        c = self._client()
        rng = self.brng
        try:
            c.execute_command("SELECT", 1)
            while not self.done():
                i = rng.randrange(4)
                src = "bl:%d" % i
                which = rng.randrange(5)
                try:
                    if which == 0:
                        reply = c.execute_command("BLPOP", src, "bl:%d" % ((i + 1) % 4), 0.2)
                    elif which == 1:
                        reply = c.execute_command("BRPOP", src, 0.2)
                    elif which == 2:
                        reply = c.execute_command("BLMOVE", src, "blo:%d" % i, "LEFT", "RIGHT",
                                                  0.2)
                    elif which == 3:
                        reply = c.execute_command("BZPOPMIN", "bz:%d" % i, 0.2)
                    else:
                        reply = c.execute_command("BLMPOP", 0.2, 2, src, "bl:%d" % ((i + 2) % 4),
                                                  "RIGHT", "COUNT", 2)
                except ResponseError:
                    self.errors += 1
                    continue
                if reply is not None:
                    self.served += 1
        finally:
            c.close()

    # -- commands --------------------------------------------------------

    def _select(self, c):
        if self.rng.random() < 0.15:
            self.db = self.rng.choice(LOAD_DBS)
            c.execute_command("SELECT", self.db)

    def _key(self, prefix):
        return "%s:%d" % (prefix, self.rng.randrange(NKEYS))

    def _val(self):
        return "v%d-%s" % (self.rng.randrange(1000000), "x" * self.rng.randrange(0, 60))

    def _ttl_args(self):
        r = self.rng.random()
        if r < 0.3:
            return ["EX", self.rng.randrange(100, 1000)]
        if r < 0.4:
            return ["PX", self.rng.randrange(200, self.SHORT_TTL_MS)]
        if r < 0.5:
            return ["KEEPTTL"]
        return []

    def _commands(self):
        """One random write command (a list of arguments)."""
        rng = self.rng
        k = self._key
        fam = rng.randrange(100)
        if fam < 18:  # strings
            op = rng.randrange(11)
            if op == 0:
                return ["SET", k("s"), self._val()] + self._ttl_args()
            if op == 1:
                return ["INCR", k("n")]
            if op == 2:
                return ["INCRBY", k("n"), rng.randrange(-50, 50)]
            if op == 3:
                return ["INCRBYFLOAT", k("f"), "%.3f" % rng.uniform(-10, 10)]
            if op == 4:
                return ["APPEND", k("s"), "+a"]
            if op == 5:
                return ["SETRANGE", k("s"), rng.randrange(20), "zz"]
            if op == 6:
                return ["GETDEL", k("s")]
            if op == 7:
                return ["GETEX", k("s"), "EX", rng.randrange(100, 1000)]
            if op == 8:
                return ["MSET", k("s"), self._val(), k("s"), self._val()]
            if op == 9:
                return ["PSETEX", k("s"), rng.randrange(200, self.SHORT_TTL_MS), "short"]
            return ["SETNX", k("s"), self._val()]
        if fam < 34:  # lists, and serving the blocked pops in db 1
            op = rng.randrange(10)
            if op < 2:
                i = rng.randrange(4)
                return ["SELECT1", ["RPUSH" if op else "LPUSH", "bl:%d" % i, self._val(),
                                    self._val()]]
            if op == 2:
                return ["RPUSH", k("l"), self._val(), self._val(), self._val()]
            if op == 3:
                return ["LPOP", k("l"), rng.randrange(1, 3)]
            if op == 4:
                return ["RPOP", k("l")]
            if op == 5:
                return ["LTRIM", k("l"), 0, rng.randrange(5, 30)]
            if op == 6:
                return ["LMOVE", k("l"), k("l"), "LEFT", "RIGHT"]
            if op == 7:
                return ["LINSERT", k("l"), "BEFORE", "nothing", "x"]
            if op == 8:
                return ["LREM", k("l"), 1, "x"]
            return ["LPUSH", k("l"), self._val()]
        if fam < 46:  # hashes
            op = rng.randrange(5)
            if op == 0:
                return ["HSET", k("h"), "f%d" % rng.randrange(20), self._val(),
                        "g%d" % rng.randrange(20), self._val()]
            if op == 1:
                return ["HINCRBY", k("h"), "cnt", rng.randrange(1, 9)]
            if op == 2:
                return ["HINCRBYFLOAT", k("h"), "flt", "%.2f" % rng.uniform(0, 3)]
            if op == 3:
                return ["HDEL", k("h"), "f%d" % rng.randrange(20)]
            return ["HSETNX", k("h"), "f%d" % rng.randrange(20), self._val()]
        if fam < 58:  # sets
            op = rng.randrange(6)
            if op < 2:
                return ["SADD", k("t")] + ["m%d" % rng.randrange(60) for _ in range(3)]
            if op == 2:
                return ["SPOP", k("t")] + ([rng.randrange(1, 4)] if rng.random() < 0.5 else [])
            if op == 3:
                return ["SREM", k("t"), "m%d" % rng.randrange(60)]
            if op == 4:
                return ["SMOVE", k("t"), k("t"), "m%d" % rng.randrange(60)]
            return ["SUNIONSTORE", k("t"), k("t"), k("t")]
        if fam < 70:  # sorted sets
            op = rng.randrange(7)
            if op < 2:
                return ["ZADD", k("z"), rng.randrange(100), "e%d" % rng.randrange(50),
                        "%.2f" % rng.uniform(0, 100), "e%d" % rng.randrange(50)]
            if op == 2:
                return ["ZINCRBY", k("z"), "%.1f" % rng.uniform(-5, 5), "e%d" % rng.randrange(50)]
            if op == 3:
                return ["ZREM", k("z"), "e%d" % rng.randrange(50)]
            if op == 4:
                return ["ZPOPMIN", k("z")]
            if op == 5:
                return ["SELECT1", ["ZADD", "bz:%d" % rng.randrange(4), rng.randrange(100),
                                    "e%d" % rng.randrange(50)]]
            return ["ZUNIONSTORE", k("z"), 2, k("z"), k("z")]
        if fam < 84:  # streams
            op = rng.randrange(9)
            sk = "x:%d" % rng.randrange(8)
            if op < 3:
                extra = ["MAXLEN", "~", 50] if rng.random() < 0.2 else []
                return ["XADD", sk] + extra + ["*", "f", self._val()]
            if op == 3:
                return ["XGROUP", "CREATE", sk, "g%d" % rng.randrange(2), "0", "MKSTREAM"]
            if op == 4:
                return ["XREADGROUP", "GROUP", "g%d" % rng.randrange(2),
                        "c%d" % rng.randrange(3), "COUNT", rng.randrange(1, 4), "STREAMS", sk,
                        ">"]
            if op == 5:
                return ["XACKFIRST", sk, "g%d" % rng.randrange(2)]
            if op == 6:
                return ["XAUTOCLAIM", sk, "g%d" % rng.randrange(2), "c%d" % rng.randrange(3),
                        0, "0-0", "COUNT", 2]
            if op == 7:
                return ["XTRIM", sk, "MAXLEN", rng.randrange(20, 60)]
            return ["XDELFIRST", sk]
        # generic keyspace commands
        op = rng.randrange(8)
        anykey = rng.choice("slhtzn") + ":%d" % rng.randrange(NKEYS)
        if op == 0:
            return ["EXPIRE", anykey, rng.randrange(100, 1000)]
        if op == 1:
            return ["PEXPIRE", anykey, rng.randrange(200, self.SHORT_TTL_MS)]
        if op == 2:
            return ["PERSIST", anykey]
        if op == 3:
            return ["DEL", anykey]
        if op == 4:
            return ["UNLINK", anykey]
        if op == 5:
            p = rng.choice("slhtz")
            return ["RENAME", "%s:%d" % (p, rng.randrange(NKEYS)),
                    "%s:%d" % (p, rng.randrange(NKEYS))]
        if op == 6:
            return ["EXPIREAT", anykey, int(time.time()) + rng.randrange(100, 1000)]
        return ["MOVE", anykey, rng.choice(LOAD_DBS)]

    def _run(self, c, cmd):
        if cmd[0] == "SELECT1":  # in db 1, where the blocker waits
            if self.db != 1:
                c.execute_command("SELECT", 1)
            try:
                return c.execute_command(*cmd[1])
            finally:
                if self.db != 1:
                    c.execute_command("SELECT", self.db)
        if cmd[0] == "XACKFIRST":
            pel = c.execute_command("XPENDING", cmd[1], cmd[2], "-", "+", 2)
            if pel:
                return c.execute_command("XACK", cmd[1], cmd[2], *[p[0] for p in pel])
            return None
        if cmd[0] == "XDELFIRST":
            first = c.execute_command("XRANGE", cmd[1], "-", "+", "COUNT", 1)
            if first:
                return c.execute_command("XDEL", cmd[1], first[0][0])
            return None
        return c.execute_command(*cmd)

    def _one(self, c):
        self._select(c)
        self._run(c, self._commands())

    def _multi(self, c):
        self._select(c)
        c.execute_command("MULTI")
        for _ in range(self.rng.randrange(2, 5)):
            cmd = self._commands()
            if cmd[0] in ("SELECT1", "XACKFIRST", "XDELFIRST"):
                cmd = ["INCR", "n:multi"]
            c.execute_command(*cmd)
        if self.rng.random() < 0.3:  # a SELECT inside the transaction
            db = self.rng.choice(LOAD_DBS)
            c.execute_command("SELECT", db)
            c.execute_command("INCR", "n:multi-db")
            c.execute_command("SELECT", self.db)
        c.execute_command("EXEC")


def populate(srv, n, size=100, prefix="key:", batch=1000, db=0):
    """n string keys of `size` bytes, pipelined MSETs on the plain port."""
    c = ctl(srv, timeout=60.0)
    try:
        c.execute_command("SELECT", db)
        value = "v" * size
        pipe = c.pipeline(transaction=False)
        for start in range(0, n, batch):
            args = []
            for i in range(start, min(n, start + batch)):
                args += ["%s%09d" % (prefix, i), value]
            pipe.execute_command("MSET", *args)
            if len(pipe) >= 20:
                pipe.execute()
        pipe.execute()
    finally:
        c.close()


def assert_same_strings(primary, replica, db=0, batch=1000):
    """Fast comparison for large string-only datasets: same DBSIZE, and for
    every key of the primary (SCAN) the same value on the replica (MGET in
    batches). Returns the number of keys."""
    pc, rc = ctl(primary, timeout=60.0), ctl(replica, timeout=60.0)
    try:
        for c in (pc, rc):
            c.execute_command("SELECT", db)
        n = pc.execute_command("DBSIZE")
        assert rc.execute_command("DBSIZE") == n, "dbsize %d vs %d" % (
            n, rc.execute_command("DBSIZE"))
        cursor, seen = "0", 0
        for _ in range(10000000):
            cursor, keys = pc.execute_command("SCAN", cursor, "COUNT", batch)
            if keys:
                a = pc.execute_command("MGET", *keys)
                b = rc.execute_command("MGET", *keys)
                bad = [k for k, x, y in zip(keys, a, b) if x != y]
                assert not bad, "%d keys differ, e.g. %r" % (len(bad), bad[:5])
                seen += len(keys)
            if str(cursor) == "0":
                break
        assert seen >= n
        return n
    finally:
        pc.close()
        rc.close()
