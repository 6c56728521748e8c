"""The append-only file (Redis 7.0 multi-part AOF): restart keeps every type,
acknowledged writes survive SIGKILL under appendfsync always, truncated
tails (aof-load-truncated yes / no), damage that must be refused (the server
exits 1, says why, and leaves every file byte for byte), BGREWRITEAOF under
load, CONFIG SET appendonly yes at run time, blocked pops replayed as plain
pops, and appendonlydirs exchanged with redis-server 7.0 both ways.
"""

import os
import shutil
import threading
import time

import pytest

from helpers import ServerProcess, info_section, make_client, report_health, wait_until
from test_persistence_rdb import _assert_same, _populate, _state

REDIS_SERVER = "/usr/bin/redis-server"
AOF_DIR = "appendonlydir"
MANIFEST = "appendonly.aof.manifest"

pytestmark = pytest.mark.sealkv_only


class _RedisTarget:
    binary = REDIS_SERVER
    extra_directives = []
    is_redis = True


@pytest.fixture
def servers():
    """start(target, workdir, directives) -> a started ServerProcess, stopped
    (and its health checked) at the end of the test."""
    made = []

    def start(target, workdir, directives=(), name="server", expect_fail=False):
        srv = ServerProcess(target, str(workdir), plain=True, directives=list(directives),
                            name=name)
        made.append(srv)
        if expect_fail:
            return srv
        return srv.start()

    yield start
    for srv in made:
        srv.stop()
    report_health(made)


def _aof_directives(fsync="everysec", preamble="yes", extra=()):
    return [("save", ""), ("appendonly", "yes"), ("appendfsync", fsync),
            ("aof-use-rdb-preamble", preamble)] + list(extra)


def _client(srv):
    return make_client(srv, "plain", decode=False)


def _dir_snapshot(workdir):
    """{file name: bytes} of the AOF directory."""
    d = os.path.join(str(workdir), AOF_DIR)
    out = {}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = f.read()
    return out


def _manifest_parts(workdir):
    with open(os.path.join(str(workdir), AOF_DIR, MANIFEST)) as f:
        return [line.split() for line in f.read().splitlines() if line and line[0] != "#"]


def _last_incr(workdir):
    parts = [p for p in _manifest_parts(workdir) if p[5] == "i"]
    return os.path.join(str(workdir), AOF_DIR, parts[-1][1])


def _info(srv, section="persistence"):
    return info_section(make_client(srv, "plain"), section)


def _wait_rewrite_done(srv):
    def done():
        info = _info(srv)
        return info["aof_rewrite_in_progress"] == "0" and info["aof_rewrite_scheduled"] == "0"
    assert wait_until(done, 30), "AOF rewrite did not finish"


def _start_fails(srv):
    """Starts srv expecting it to exit; returns (exit status, log)."""
    with pytest.raises(RuntimeError) as ei:
        srv.start()
    return str(ei.value), srv.log_text()


# ------------------------------------------------------------------ restart

@pytest.mark.parametrize("preamble,fsync", [("yes", "everysec"), ("no", "everysec"),
                                            ("yes", "always"), ("no", "no")])
def test_restart_keeps_every_type(target, servers, tmp_path, preamble, fsync):
    srv = servers(target, tmp_path, _aof_directives(preamble=preamble, fsync=fsync))
    c = _client(srv)
    _populate(c)
    want = _state(c)
    srv.restart()
    # Replayed commands are not counted as served ones (as Redis).
    assert "cmdstat_rpush" not in _info(srv, "commandstats")
    c = _client(srv)
    _assert_same(_state(c), want)
    # Once more through a rewritten base (RDB or RESTORE commands).
    assert c.execute_command("BGREWRITEAOF").startswith(b"Background append only file")
    _wait_rewrite_done(srv)
    info = _info(srv)
    assert info["aof_enabled"] == "1"
    assert info["aof_last_bgrewrite_status"] == "ok"
    base = [p for p in _manifest_parts(tmp_path) if p[5] == "b"][0][1]
    assert base.endswith(".base.rdb" if preamble == "yes" else ".base.aof")
    srv.restart()
    c = _client(srv)
    _assert_same(_state(c), want)


def test_timestamp_annotations_written_and_skipped(target, servers, tmp_path):
    srv = servers(target, tmp_path, _aof_directives(extra=[("aof-timestamp-enabled", "yes")]))
    c = _client(srv)
    c.set("a", "1")
    c.set("b", "2")
    srv.restart()
    c = _client(srv)
    assert c.mget("a", "b") == [b"1", b"2"]
    with open(_last_incr(tmp_path), "rb") as f:
        assert f.read().startswith(b"#TS:")


def test_first_start_creates_dir_and_ignores_rdb(target, servers, tmp_path):
    # An RDB file next to an enabled AOF is not loaded (as Redis).
    srv = servers(target, tmp_path, [("save", ""), ("appendonly", "no")])
    c = _client(srv)
    c.set("from-rdb", "1")
    assert c.execute_command("SAVE") == b"OK"
    srv.stop()
    srv2 = servers(target, tmp_path, _aof_directives(), name="aof")
    c = _client(srv2)
    assert c.get("from-rdb") is None
    parts = _manifest_parts(tmp_path)
    assert [p[5] for p in parts] == ["b", "i"]
    assert parts[0][1] == "appendonly.aof.1.base.rdb"
    assert parts[1][1] == "appendonly.aof.1.incr.aof"


# ------------------------------------------------------ durability on SIGKILL

@pytest.mark.parametrize("depth", [1, 32])
def test_sigkill_under_fsync_always_keeps_acknowledged(target, servers, tmp_path, depth):
    srv = servers(target, tmp_path, _aof_directives(fsync="always"))
    acked = []
    stop = threading.Event()

    def writer():
        c = _client(srv)
        for batch in range(0, 200000, depth):
            if stop.is_set():
                return
            pipe = c.pipeline(transaction=False)
            for i in range(batch, batch + depth):
                pipe.execute_command("SET", "k:%d" % i, "v%d" % i)
                pipe.execute_command("RPUSH", "log", i)
            try:
                pipe.execute()
            except Exception:  # the server was killed
                return
            acked.extend(range(batch, batch + depth))

    t = threading.Thread(target=writer)
    t.start()
    assert wait_until(lambda: len(acked) > 300, 20)
    srv.proc.kill()
    srv.proc.wait(timeout=10)
    stop.set()
    t.join(timeout=20)
    srv.proc = None
    ServerProcess.live.remove(srv)
    srv.start()
    c = _client(srv)
    got = c.lrange("log", 0, -1)
    # Every acknowledged RPUSH is there, in order (one more may have been
    # written without its reply reaching us).
    assert len(got) >= len(acked)
    assert [int(x) for x in got[:len(acked)]] == acked
    for i in acked[-50:]:
        assert c.get("k:%d" % i) == b"v%d" % i


# ------------------------------------------------------------- truncation

def _fill_and_stop(srv, n=20):
    c = _client(srv)
    for i in range(n):
        c.set("t:%d" % i, i)
    srv.stop()


def test_truncated_tail_loaded_when_allowed(target, servers, tmp_path):
    srv = servers(target, tmp_path, _aof_directives(extra=[("aof-load-truncated", "yes")]))
    _fill_and_stop(srv)
    incr = _last_incr(tmp_path)
    size = os.path.getsize(incr)
    with open(incr, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$5\r\nt:tru")
    srv.start()
    c = _client(srv)
    assert c.get("t:19") == b"19"
    assert c.get("t:tru") is None
    assert os.path.getsize(incr) == size, "the partial command must be cut off"
    assert "Truncating the AOF" in srv.log_text()
    c.set("after", "1")
    srv.restart()
    assert _client(srv).get("after") == b"1"


def test_truncated_tail_refused_when_not_allowed(target, servers, tmp_path):
    srv = servers(target, tmp_path, _aof_directives(extra=[("aof-load-truncated", "no")]))
    _fill_and_stop(srv)
    incr = _last_incr(tmp_path)
    with open(incr, "ab") as f:
        f.write(b"*2\r\n$3\r\nDEL\r\n$3\r\nt:")
    before = _dir_snapshot(tmp_path)
    msg, log = _start_fails(srv)
    assert "Unexpected end of file" in log
    assert _dir_snapshot(tmp_path) == before


def test_incomplete_transaction_is_a_truncation(target, servers, tmp_path):
    srv = servers(target, tmp_path, _aof_directives())
    _fill_and_stop(srv, 3)
    incr = _last_incr(tmp_path)
    size = os.path.getsize(incr)
    with open(incr, "ab") as f:
        f.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n")
    srv.start()
    c = _client(srv)
    assert c.get("x") is None
    assert c.get("t:2") == b"2"
    assert os.path.getsize(incr) == size


# ------------------------------------------------------------ refused damage

def test_corrupt_middle_refused(target, servers, tmp_path):
    srv = servers(target, tmp_path, _aof_directives())
    _fill_and_stop(srv)
    incr = _last_incr(tmp_path)
    with open(incr, "rb") as f:
        data = f.read()
    mid = len(data) // 2
    mid = data.index(b"*", mid)  # the start of a command
    with open(incr, "wb") as f:
        f.write(data[:mid] + b"garbage\r\n" + data[mid:])
    before = _dir_snapshot(tmp_path)
    msg, log = _start_fails(srv)
    assert "exited with 1 " in msg
    assert "Bad file format" in log
    assert _dir_snapshot(tmp_path) == before


@pytest.mark.parametrize("manifest,reason", [
    (b"", "empty AOF manifest"),
    (b"file appendonly.aof.1.base.rdb seq 1\n", "Invalid AOF manifest file format"),
    (b"file ../etc/passwd seq 1 type b\n", "can't be a path"),
    (b"file a seq 1 type b\nfile b seq 2 type b\n", "duplicate base"),
    (b"file a seq 2 type i\nfile b seq 1 type i\n", "non-monotonic"),
    (b"file a seq 1 type x\n", "Unknown AOF file type"),
    (b"file appendonly.aof.9.incr.aof seq 9 type i\n", "doesn't exist"),
])
def test_bad_manifest_refused(target, servers, tmp_path, manifest, reason):
    srv = servers(target, tmp_path, _aof_directives())
    _fill_and_stop(srv, 2)
    with open(os.path.join(str(tmp_path), AOF_DIR, MANIFEST), "wb") as f:
        f.write(manifest)
    before = _dir_snapshot(tmp_path)
    msg, log = _start_fails(srv)
    assert "exited with 1 " in msg
    assert reason in log
    assert _dir_snapshot(tmp_path) == before


def test_old_single_file_aof_refused(target, servers, tmp_path):
    old = os.path.join(str(tmp_path), "appendonly.aof")
    with open(old, "wb") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    srv = servers(target, tmp_path, _aof_directives(), expect_fail=True)
    msg, log = _start_fails(srv)
    assert "exited with 1 " in msg
    assert "older than 7.0" in log
    assert not os.path.exists(os.path.join(str(tmp_path), AOF_DIR))
    with open(old, "rb") as f:
        assert f.read() == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"


# ------------------------------------------------------------------ rewrite

def test_bgrewriteaof_under_load(target, servers, tmp_path):
    srv = servers(target, tmp_path, _aof_directives(preamble="yes"))
    acked = [0]
    stop = threading.Event()
    errors = []

    def writer():
        c = _client(srv)
        for i in range(1000000):
            if stop.is_set():
                return
            try:
                c.incr("counter")
                c.hset("h", "f%d" % (i % 500), i)
                c.execute_command("SETEX", "ttl:%d" % (i % 100), 1000, i)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
                return
            acked[0] += 1

    t = threading.Thread(target=writer)
    t.start()
    c = _client(srv)
    try:
        for _ in range(3):
            assert wait_until(lambda: acked[0] > 200, 20)
            c.execute_command("BGREWRITEAOF")
            _wait_rewrite_done(srv)
    finally:
        stop.set()
        t.join(timeout=30)
    assert not errors
    info = _info(srv)
    assert info["aof_last_bgrewrite_status"] == "ok"
    assert int(info["aof_rewrites"]) >= 1
    # Only the current base and incr part remain, and the manifest names them.
    parts = _manifest_parts(tmp_path)
    assert sorted(os.listdir(os.path.join(str(tmp_path), AOF_DIR))) == \
        sorted([p[1] for p in parts] + [MANIFEST])
    want = _state(c)
    counter = int(c.get("counter"))
    assert counter == acked[0]
    srv.restart()
    c = _client(srv)
    assert int(c.get("counter")) == counter
    _assert_same(_state(c), want)


def test_rewrite_scheduled_while_bgsave_runs(target, servers, tmp_path):
    srv = servers(target, tmp_path, _aof_directives())
    c = _client(srv)
    for i in range(20):
        c.execute_command("RPUSH", "big:%d" % i, *range(2000))
    pipe = c.pipeline(transaction=False)
    pipe.execute_command("BGSAVE")
    pipe.execute_command("BGREWRITEAOF")
    replies = pipe.execute()
    assert replies[0].startswith(b"Background saving started")
    assert replies[1] in (b"Background append only file rewriting scheduled",
                          b"Background append only file rewriting started")
    _wait_rewrite_done(srv)
    info = _info(srv)
    assert info["aof_last_bgrewrite_status"] == "ok"
    assert info["aof_rewrites"] == "1"
    want = _state(c)
    srv.restart()
    _assert_same(_state(_client(srv)), want)


def test_auto_rewrite_on_growth(target, servers, tmp_path):
    srv = servers(target, tmp_path, _aof_directives(extra=[
        ("auto-aof-rewrite-percentage", "100"), ("auto-aof-rewrite-min-size", "65536")]))
    c = _client(srv)
    for i in range(400):
        c.set("k:%d" % (i % 20), "x" * 400)
    assert wait_until(lambda: int(_info(srv)["aof_rewrites"]) >= 1, 20)
    _wait_rewrite_done(srv)
    info = _info(srv)
    # After the rewrite the base holds 20 keys: far below what was appended.
    assert int(info["aof_base_size"]) < 65536
    want = _state(c)
    srv.restart()
    _assert_same(_state(_client(srv)), want)


def test_config_set_appendonly_at_run_time(target, servers, tmp_path):
    srv = servers(target, tmp_path, [("save", ""), ("appendonly", "no")])
    c = _client(srv)
    c.set("before", "1")
    c.rpush("l", "a", "b")
    assert c.config_set("appendonly", "yes")
    _wait_rewrite_done(srv)
    assert _info(srv)["aof_enabled"] == "1"
    c.set("after", "2")
    assert [p[5] for p in _manifest_parts(tmp_path)][0] == "b"
    # Restart with the AOF on: both writes are in it.
    srv.stop()
    srv2 = servers(target, tmp_path, _aof_directives(), name="aof")
    c = _client(srv2)
    assert c.get("before") == b"1"
    assert c.get("after") == b"2"
    assert c.lrange("l", 0, -1) == [b"a", b"b"]
    assert c.config_set("appendonly", "no")
    assert _info(srv2)["aof_enabled"] == "0"


@pytest.mark.parametrize("setup,blocking,wake,replayed,forbidden", [
    ([], ("BLPOP", "q", 10), [("RPUSH", "q", "a", "b")], b"LPOP", b"BLPOP"),
    ([], ("BLMOVE", "q", "d", "LEFT", "RIGHT", 10), [("RPUSH", "q", "a", "b")], b"LMOVE",
     b"BLMOVE"),
    ([], ("BLMPOP", 10, 1, "q", "RIGHT", "COUNT", 5), [("RPUSH", "q", "a", "b")], b"RPOP",
     b"BLMPOP"),
    ([], ("BZPOPMIN", "z", 10), [("ZADD", "z", 1, "a", 2, "b")], b"ZPOPMIN", b"BZPOPMIN"),
    ([("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")],
     ("XREADGROUP", "GROUP", "g", "c", "BLOCK", 10000, "STREAMS", "s", ">"),
     [("XADD", "s", "5-1", "f", "v")], b"XCLAIM", b"XREADGROUP"),
])
def test_served_blocked_command_is_replayed_plainly(target, servers, tmp_path, setup, blocking,
                                                    wake, replayed, forbidden):
    srv = servers(target, tmp_path, _aof_directives())
    c = _client(srv)
    for cmd in setup:
        c.execute_command(*cmd)
    got = []

    def blocked():
        got.append(_client(srv).execute_command(*blocking))

    t = threading.Thread(target=blocked)
    t.start()
    assert wait_until(lambda: int(_info(srv, "clients")["blocked_clients"]) == 1, 10)
    for cmd in wake:
        c.execute_command(*cmd)
    t.join(timeout=10)
    assert got and got[0] is not None
    want = _state(c)
    srv.restart()
    _assert_same(_state(_client(srv)), want)
    with open(_last_incr(tmp_path), "rb") as f:
        text = f.read()
    assert replayed in text and forbidden not in text


# ---------------------------------------------------- redis-server 7.0 files

def _more_writes(c):
    """Commands whose propagated form is rewritten (kept in DBS 0)."""
    c.execute_command("SELECT", 0)
    c.execute_command("SADD", "sp", *range(30))
    c.execute_command("SPOP", "sp")
    c.execute_command("SPOP", "sp", 3)
    c.execute_command("SET", "gx", "v")
    c.execute_command("GETEX", "gx", "EX", 9000)
    c.execute_command("PSETEX", "ps", 800000, "v")
    c.execute_command("INCRBYFLOAT", "fl", "2.5")
    c.execute_command("HINCRBYFLOAT", "hf", "f", "1.25")
    c.execute_command("RPUSH", "bl", "a", "b", "c")
    c.execute_command("BLPOP", "bl", 1)
    c.execute_command("BLMOVE", "bl", "bl2", "LEFT", "RIGHT", 1)
    c.execute_command("ZADD", "bz", 1, "a", 2, "b", 3, "c")
    c.execute_command("BZPOPMAX", "bz", 1)
    c.execute_command("ZMPOP", 1, "bz", "MIN", "COUNT", 1)
    c.execute_command("XADD", "xs", "MAXLEN", "~", "5", "*", "f", "v")
    c.execute_command("XADD", "xs", "*", "f", "w")
    c.execute_command("XGROUP", "CREATE", "xs", "grp", "0")
    c.execute_command("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "xs", ">")
    c.execute_command("XCLAIM", "xs", "grp", "bob", "0", "0-0", "JUSTID")
    c.execute_command("MULTI")
    c.execute_command("INCR", "tx")
    c.execute_command("EXPIRE", "tx", 7000)
    c.execute_command("EXEC")


# Without a rewrite the incr part holds every propagated command (the
# rewritten forms of EXPIRE, XREADGROUP, SPOP...); with one, the base.
@pytest.mark.parametrize("preamble,rewrite", [("yes", True), ("no", True), ("yes", False)])
def test_redis_appendonlydir_loads(target, servers, tmp_path, preamble, rewrite):
    ref = servers(_RedisTarget(), tmp_path / "redis", _aof_directives(preamble=preamble),
                  name="ref-redis")
    rc = _client(ref)
    _populate(rc)
    _more_writes(rc)
    if rewrite:
        rc.execute_command("BGREWRITEAOF")
        _wait_rewrite_done(ref)
    rc.set("after-rewrite", "x")
    rc.incrbyfloat("float", "1.5")
    ref.stop()
    # What redis-server itself loads from its directory is the reference (a
    # command base drops pending entries of deleted stream entries, in both).
    ref.start()
    want = _state(_client(ref))
    ref.stop()
    os.makedirs(tmp_path / "sut")
    shutil.copytree(tmp_path / "redis" / AOF_DIR, tmp_path / "sut" / AOF_DIR)
    sut = servers(target, tmp_path / "sut", _aof_directives())
    c = _client(sut)
    _assert_same(_state(c), want)
    assert c.get("after-rewrite") == b"x"


@pytest.mark.parametrize("preamble,rewrite", [("yes", True), ("no", True), ("yes", False)])
def test_sealkv_appendonlydir_loads_in_redis(target, servers, tmp_path, preamble, rewrite):
    sut = servers(target, tmp_path / "sut", _aof_directives(preamble=preamble))
    c = _client(sut)
    _populate(c)
    _more_writes(c)
    if rewrite:
        c.execute_command("BGREWRITEAOF")
        _wait_rewrite_done(sut)
    c.set("after-rewrite", "x")
    c.execute_command("EXPIRE", "after-rewrite", 5000)
    want = _state(c)
    sut.stop()
    os.makedirs(tmp_path / "redis")
    shutil.copytree(tmp_path / "sut" / AOF_DIR, tmp_path / "redis" / AOF_DIR)
    ref = servers(_RedisTarget(), tmp_path / "redis", _aof_directives(), name="ref-redis")
    rc = _client(ref)
    _assert_same(_state(rc), want)
