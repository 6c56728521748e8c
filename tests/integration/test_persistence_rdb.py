"""RDB persistence: files exchanged with redis-server 7.0 both ways, BGSAVE
under writes, save points, restart, SHUTDOWN, MISCONF, and files that must
be refused (the server exits non-zero, says why in its log, and leaves the
file byte for byte as it was).

The reference redis-server writes a dump.rdb holding every type and encoding
(small listpack / intset and big hashtable / skiplist / quicklist values,
streams with consumer groups, TTLs, several dbs); the server under test
loads it and the two are compared key by key (type, value, encoding, TTL
within a second). The reverse direction loads the server's SAVE in
redis-server.
"""

import os
import shutil
import signal
import struct
import subprocess
import time

import pytest

from helpers import ServerProcess, free_port, info_section, make_client, report_health, \
    wait_until
from test_dump import CASES, crc64, rdb_len, rdb_str, snapshot

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CHECK_RDB = "/usr/bin/redis-check-rdb"


class _RedisTarget:
    binary = REDIS_SERVER
    extra_directives = [("appendonly", "no")]
    is_redis = True


@pytest.fixture
def servers():
    """start(target, workdir, directives) -> a started ServerProcess, stopped
    (and its health checked) at the end of the test."""
    made = []

    def start(target, workdir, directives=(), name="server"):
        srv = ServerProcess(target, str(workdir), plain=True, directives=list(directives),
                            name=name)
        made.append(srv)
        return srv.start()

    yield start
    for srv in made:
        srv.stop()
    report_health(made)


def _client(srv):
    return make_client(srv, "plain", decode=False)


# ------------------------------------------------------------- data set

DBS = (0, 1, 5)


def _populate(c):
    """Every case of test_dump in db 0 (key "case:<name>"), some with TTLs,
    plus a few keys in other dbs."""
    c.execute_command("SELECT", 0)
    for i, (name, (cmds, _, _)) in enumerate(sorted(CASES.items())):
        key = b"case:" + name.encode()
        for cmd in cmds:
            args = [key if a == "k" else a for a in cmd]
            c.execute_command(*args)
        if i % 3 == 0:
            c.execute_command("EXPIRE", key, 1000 + i)
    c.execute_command("SET", "ttl:ms", "v", "PX", 500000)
    c.execute_command("PFADD", "hll", *["e%d" % i for i in range(50)])
    c.execute_command("SETBIT", "bits", 1000, 1)
    c.execute_command("GEOADD", "geo", "13.361389", "38.115556", "Palermo")
    c.execute_command("SET", "lzf:text", "abcdefgh" * 400)
    c.execute_command("SELECT", 1)
    c.execute_command("SET", "db1:k", "in db one")
    c.execute_command("RPUSH", "db1:list", *["x%d" % i for i in range(300)])
    c.execute_command("EXPIRE", "db1:list", 5000)
    c.execute_command("SELECT", 5)
    c.execute_command("HSET", "db5:h", "a", "1", "b", "2")
    c.execute_command("SELECT", 0)


def _keys(c):
    cursor, out = b"0", []
    for _ in range(100000):
        cursor, batch = c.execute_command("SCAN", cursor, "COUNT", 1000)
        out += batch
        if cursor == b"0":
            break
    return sorted(out)


def _state(c):
    """{db: {key: (type, content, encoding, pttl)}} for every db in DBS."""
    out = {}
    for db in DBS:
        c.execute_command("SELECT", db)
        out[db] = {k: (snapshot(c, k), c.execute_command("OBJECT", "ENCODING", k),
                       c.execute_command("PTTL", k)) for k in _keys(c)}
    c.execute_command("SELECT", 0)
    return out


def _assert_same(got, want):
    for db in DBS:
        assert sorted(got[db]) == sorted(want[db]), "keys of db %d" % db
        for k, (content, enc, pttl) in want[db].items():
            g_content, g_enc, g_pttl = got[db][k]
            assert g_content == content, (db, k)
            assert g_enc == enc, (db, k, g_enc, enc)
            if pttl < 0:
                assert g_pttl == pttl, (db, k)
            else:
                assert abs(g_pttl - pttl) < 1500, (db, k, g_pttl, pttl)


def _save(c, srv):
    assert c.execute_command("SAVE") == b"OK"
    return os.path.join(srv.workdir, "dump.rdb")


# ------------------------------------------------- Redis <-> server under test

@pytest.mark.parametrize("compression", ["no", "yes"])
def test_redis_rdb_loads(target, servers, tmp_path, compression):
    ref = servers(_RedisTarget(), tmp_path / "redis", [("save", ""),
                                                       ("rdbcompression", compression)],
                  name="ref-redis")
    rc = _client(ref)
    _populate(rc)
    want = _state(rc)
    path = _save(rc, ref)
    os.makedirs(tmp_path / "sut")
    shutil.copy(path, tmp_path / "sut" / "dump.rdb")
    sut = servers(target, tmp_path / "sut", [("save", "")])
    c = _client(sut)
    _assert_same(_state(c), want)
    info = info_section(make_client(sut, "plain"), "persistence")
    assert info["loading"] == "0"


def test_server_rdb_loads_in_redis(target, servers, tmp_path):
    sut = servers(target, tmp_path / "sut", [("save", "")])
    c = _client(sut)
    _populate(c)
    want = _state(c)
    path = _save(c, sut)
    if os.access(REDIS_CHECK_RDB, os.X_OK):
        res = subprocess.run([REDIS_CHECK_RDB, path], capture_output=True, timeout=60)
        assert res.returncode == 0, res.stdout.decode() + res.stderr.decode()
    os.makedirs(tmp_path / "redis")
    shutil.copy(path, tmp_path / "redis" / "dump.rdb")
    ref = servers(_RedisTarget(), tmp_path / "redis", [("save", "")], name="ref-redis")
    _assert_same(_state(_client(ref)), want)


@pytest.mark.sealkv_only
def test_file_header_and_aux_fields(target, servers, tmp_path):
    sut = servers(target, tmp_path, [("save", "")])
    c = _client(sut)
    c.execute_command("SET", "k", "v")
    with open(_save(c, sut), "rb") as f:
        data = f.read()
    assert data.startswith(b"REDIS0010\xfa\x09redis-ver\x067.0.15")
    for aux in (b"redis-bits", b"ctime", b"used-mem", b"aof-base"):
        assert b"\xfa" + rdb_len(len(aux)) + aux in data
    assert data[-9] == 0xFF
    assert struct.unpack("<Q", data[-8:])[0] == crc64(data[:-8])


@pytest.mark.sealkv_only
def test_rdbchecksum_no_writes_zero(target, servers, tmp_path):
    sut = servers(target, tmp_path, [("save", ""), ("rdbchecksum", "no")])
    c = _client(sut)
    c.execute_command("SET", "k", "v")
    with open(_save(c, sut), "rb") as f:
        data = f.read()
    assert data[-8:] == b"\0" * 8
    sut.restart()
    assert _client(sut).execute_command("GET", "k") == b"v"


# ------------------------------------------------------------ life cycle

def test_restart_keeps_data(target, servers, tmp_path):
    sut = servers(target, tmp_path, [("save", "3600 1")])
    c = _client(sut)
    _populate(c)
    want = _state(c)
    sut.restart()  # SIGTERM with a save point: the final snapshot is written
    _assert_same(_state(_client(sut)), want)
    assert "Saving the final RDB snapshot" in sut.log_text() or target.is_redis


def test_shutdown_nosave_and_save(target, servers, tmp_path):
    sut = servers(target, tmp_path, [("save", "")])
    c = _client(sut)
    c.execute_command("SET", "a", "1")
    with pytest.raises(Exception):
        c.execute_command("SHUTDOWN", "SAVE")
    wait_until(lambda: not sut.is_running(), 10)
    assert not sut.is_running()
    sut.stop()
    assert os.path.exists(tmp_path / "dump.rdb")
    sut.start()
    c = _client(sut)
    assert c.execute_command("GET", "a") == b"1"
    c.execute_command("SET", "a", "2")
    c.execute_command("CONFIG", "SET", "save", "3600 1")
    with pytest.raises(Exception):
        c.execute_command("SHUTDOWN", "NOSAVE")
    wait_until(lambda: not sut.is_running(), 10)
    sut.stop()
    sut.start()
    assert _client(sut).execute_command("GET", "a") == b"1"


def test_bgsave_while_writing(target, servers, tmp_path):
    sut = servers(target, tmp_path / "a", [("save", "")])
    c = _client(sut)
    pipe = c.pipeline(transaction=False)
    for i in range(50000):
        pipe.execute_command("SET", "key:%d" % i, "value:%d" % i)
    pipe.execute()
    started = c.execute_command("BGSAVE")
    assert started == b"Background saving started"
    r = make_client(sut, "plain")
    writes = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        c.execute_command("SET", "key:%d" % (writes % 50000), "changed")
        c.execute_command("INCR", "counter")
        writes += 1
        if writes % 50 == 0 and info_section(r, "persistence")["rdb_bgsave_in_progress"] == "0":
            break
    info = info_section(r, "persistence")
    assert info["rdb_bgsave_in_progress"] == "0"
    assert info["rdb_last_bgsave_status"] == "ok"
    assert int(info["rdb_last_bgsave_time_sec"]) >= 0
    assert int(info_section(r, "stats")["total_forks"]) >= 1
    os.makedirs(tmp_path / "b")
    shutil.copy(tmp_path / "a" / "dump.rdb", tmp_path / "b" / "dump.rdb")
    other = servers(target, tmp_path / "b", [("save", "")], name="loaded")
    oc = _client(other)
    assert oc.execute_command("DBSIZE") in (50000, 50001)
    for i in (0, 777, 49999):
        assert oc.execute_command("GET", "key:%d" % i) in (b"value:%d" % i, b"changed")


def test_save_point_fires(target, servers, tmp_path):
    sut = servers(target, tmp_path, [("save", "1 2")])
    c = _client(sut)
    r = make_client(sut, "plain")
    before = int(info_section(r, "persistence")["rdb_last_save_time"])
    c.execute_command("SET", "a", "1")
    c.execute_command("SET", "b", "2")
    assert wait_until(lambda: info_section(r, "persistence")["rdb_changes_since_last_save"]
                      == "0", 15)
    assert wait_until(lambda: info_section(r, "persistence")["rdb_bgsave_in_progress"] == "0",
                      15)
    assert int(info_section(r, "persistence")["rdb_last_save_time"]) >= before
    assert c.execute_command("LASTSAVE") >= before
    assert os.path.exists(tmp_path / "dump.rdb")


def _cfg(r, name):
    flat = r.execute_command("CONFIG", "GET", name)
    if isinstance(flat, dict):
        return flat[name]
    return dict(zip(flat[0::2], flat[1::2]))[name]


def test_config_directives(target, servers, tmp_path):
    sut = servers(target, tmp_path, [("save", "900 1"), ("save", "300 10"),
                                     ("enable-protected-configs", "local")])
    r = make_client(sut, "plain")
    assert _cfg(r, "save") == "900 1 300 10"
    r.execute_command("CONFIG", "SET", "save", "60 5")
    assert _cfg(r, "save") == "60 5"
    r.execute_command("CONFIG", "SET", "save", "")
    assert _cfg(r, "save") == ""
    with pytest.raises(Exception) as e:
        r.execute_command("CONFIG", "SET", "rdbchecksum", "no")
    assert "immutable" in str(e.value)
    for name, value in (("rdbcompression", "no"),
                        ("stop-writes-on-bgsave-error", "no"), ("rdb-del-sync-files", "yes"),
                        ("dbfilename", "other.rdb")):
        r.execute_command("CONFIG", "SET", name, value)
        assert _cfg(r, name) == value
    with pytest.raises(Exception):
        r.execute_command("CONFIG", "SET", "save", "60")
    with pytest.raises(Exception):
        r.execute_command("CONFIG", "SET", "rdbcompression", "maybe")
    r.execute_command("CONFIG", "SET", "save", "120 7")
    r.execute_command("CONFIG", "REWRITE")
    with open(sut.config_path) as f:
        text = f.read()
    assert "save 120 7" in text
    assert "dbfilename other.rdb" in text.replace('"', "")
    sut.restart()
    r = make_client(sut, "plain")
    assert _cfg(r, "save") == "120 7"
    assert _cfg(r, "dbfilename") == "other.rdb"


def test_file_locations_are_protected(target, servers, tmp_path):
    sut = servers(target, tmp_path, [("save", "")])
    r = make_client(sut, "plain")
    for name in ("dir", "dbfilename"):
        with pytest.raises(Exception) as e:
            r.execute_command("CONFIG", "SET", name, "/tmp/x")
        assert "can't set protected config" in str(e.value)
    assert _cfg(r, "dbfilename") == "dump.rdb"


@pytest.mark.sealkv_only
def test_failed_bgsave_refuses_writes(target, servers, tmp_path):
    work = tmp_path / "gone"
    os.makedirs(work)
    sut = servers(target, tmp_path / "srv", [("save", "3600 1"), ("dir", str(work)),
                                             ("enable-protected-configs", "yes")])
    r = make_client(sut, "plain")
    r.set("a", "1")
    os.rmdir(work)  # the server's working directory disappears: saves fail
    assert r.execute_command("BGSAVE") == "Background saving started"
    assert wait_until(lambda: info_section(r, "persistence")["rdb_last_bgsave_status"] == "err",
                      15)
    with pytest.raises(Exception) as e:
        r.set("b", "2")
    assert str(e.value).startswith("MISCONF")
    assert r.get("a") == "1"  # reads still work
    with pytest.raises(Exception) as e:
        r.ping()
    assert str(e.value).startswith("MISCONF")
    raw = sut.raw("plain")
    replies = [raw.cmd(*c) for c in (("MULTI",), ("GET", "a"), ("SET", "c", "3"), ("EXEC",))]
    raw.close()
    assert replies[0] == b"+OK" and replies[1] == b"+QUEUED"
    assert replies[2].startswith(b"-MISCONF")
    assert replies[3].startswith(b"-EXECABORT")
    os.makedirs(tmp_path / "new")
    r.execute_command("CONFIG", "SET", "dir", str(tmp_path / "new"))
    assert r.execute_command("BGSAVE") == "Background saving started"
    assert wait_until(lambda: info_section(r, "persistence")["rdb_last_bgsave_status"] == "ok",
                      15)
    assert r.set("b", "2")


# ------------------------------------------------------------- refusals

def _rdb(body, version=10, checksum=True):
    data = b"REDIS%04d" % version + body + b"\xff"
    if version >= 5:
        data += struct.pack("<Q", crc64(data) if checksum else 0)
    return data


def _str_key(key, value, expire_ms=None):
    out = b""
    if expire_ms is not None:
        out += b"\xfc" + struct.pack("<q", expire_ms)
    return out + b"\x00" + rdb_str(key) + rdb_str(value)


GOOD = _rdb(b"\xfe\x00" + _str_key(b"a", b"1") + _str_key(b"b", b"2"))

REFUSED = {
    "bad_magic": (b"RODIS" + GOOD[5:], "wrong signature"),
    "version_11": (_rdb(b"\xfe\x00" + _str_key(b"a", b"1"), version=11),
                   "can't handle RDB format version 11"),
    "bad_checksum": (GOOD[:-8] + bytes([GOOD[-8] ^ 1]) + GOOD[-7:], "wrong checksum"),
    "flipped_byte": (GOOD[:15] + bytes([GOOD[15] ^ 0x20]) + GOOD[16:], "Bad RDB file"),
    "truncated": (GOOD[:-12], "truncated"),
    "no_eof": (GOOD[:-9], "truncated"),
    "trailing_garbage": (GOOD + b"junk", "unexpected bytes after the end"),
    "duplicate_key": (_rdb(b"\xfe\x00" + _str_key(b"a", b"1") + _str_key(b"a", b"2")),
                      "duplicate key 'a'"),
    "module_value": (_rdb(b"\xfe\x00\x07" + rdb_str(b"m") + b"\x81" + b"\0" * 8),
                     "module value"),
    "module_aux": (_rdb(b"\xf7\x81" + b"\0" * 8), "MODULE_AUX"),
    "function2": (_rdb(b"\xf5" + rdb_str(b"#!lua name=lib\nreturn 1")), "functions"),
    "function_pre_ga": (_rdb(b"\xf6" + rdb_str(b"lib")), "functions"),
    "db_out_of_range": (_rdb(b"\xfe\x40\x64" + _str_key(b"a", b"1")), "databases 16"),
    "empty": (b"", "empty"),
    "corrupt_list": (_rdb(b"\xfe\x00\x12" + rdb_str(b"l") + b"\x01\x02" + rdb_str(b"xx")),
                     "value of key 'l'"),
}


@pytest.mark.sealkv_only
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_files(target, tmp_path, case):
    data, reason = REFUSED[case]
    path = tmp_path / "dump.rdb"
    path.write_bytes(data)
    log = tmp_path / "server.log"
    argv = [target.binary, "--port", str(free_port()), "--bind", "127.0.0.1",
            "--dir", str(tmp_path), "--save", "", "--logfile", str(log)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=str(tmp_path))
    try:
        _, stderr = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        pytest.fail("the server started on a bad file (%s)" % case)
    assert proc.returncode == 1
    text = log.read_text(errors="replace")
    assert "Fatal error loading the DB" in text and reason in text, text
    assert reason in stderr.decode(errors="replace")
    assert path.read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == ["dump.rdb", "server.log"]


@pytest.mark.sealkv_only
def test_expired_keys_skipped_and_old_versions(target, servers, tmp_path):
    now = int(time.time() * 1000)
    body = (b"\xfa" + rdb_str(b"anything") + rdb_str(b"goes") +
            b"\xfe\x00\xfb\x03\x02" + _str_key(b"past", b"x", now - 10000) +
            _str_key(b"future", b"y", now + 100000) + _str_key(b"plain", b"z") +
            b"\xfd" + struct.pack("<I", now // 1000 + 1000) + b"\x00" + rdb_str(b"secs") +
            rdb_str(b"s") + b"\xf8\x05" + _str_key(b"idle", b"i") + b"\xf9\x07" +
            _str_key(b"freq", b"f"))
    (tmp_path / "dump.rdb").write_bytes(_rdb(body))
    sut = servers(target, tmp_path, [("save", "")])
    c = _client(sut)
    assert sorted(_keys(c)) == [b"freq", b"future", b"idle", b"plain", b"secs"]
    assert 900 < c.execute_command("TTL", "secs") <= 1000
    assert "keys expired: 1" in sut.log_text()
    sut.stop()
    # RDB version 3: no checksum; version 6: a zero checksum means "not computed".
    (tmp_path / "dump.rdb").write_bytes(_rdb(b"\xfe\x00" + _str_key(b"old", b"3"), version=3))
    sut.start()
    assert _client(sut).execute_command("GET", "old") == b"3"
    sut.stop()
    (tmp_path / "dump.rdb").write_bytes(_rdb(b"\xfe\x00" + _str_key(b"v6", b"6"), version=6,
                                             checksum=False))
    sut.start()
    assert _client(sut).execute_command("GET", "v6") == b"6"


def test_flushall_saves_and_debug_reload(target, servers, tmp_path):
    extra = [("enable-debug-command", "yes")] if target.is_redis else []
    sut = servers(target, tmp_path, [("save", "3600 1")] + extra)
    r = make_client(sut, "plain")
    r.set("a", "1")
    r.rpush("l", "x", "y")
    r.expire("l", 1000)
    assert r.execute_command("DEBUG", "RELOAD") == "OK"
    assert r.get("a") == "1" and r.lrange("l", 0, -1) == ["x", "y"]
    assert 990 < r.ttl("l") <= 1000
    dump = tmp_path / "dump.rdb"
    os.utime(dump, ns=(0, 0))
    r.flushall()
    assert os.stat(dump).st_mtime_ns > 0
    sut.stop()
    # FLUSHALL wrote an empty snapshot (SIGTERM then saves the same).
    sut.start()
    assert make_client(sut, "plain").dbsize() == 0


@pytest.mark.sealkv_only
def test_sigterm_during_bgsave_and_failed_shutdown_save(target, servers, tmp_path):
    work = tmp_path / "data"
    os.makedirs(work)
    sut = servers(target, tmp_path / "srv", [("save", ""), ("dir", str(work))])
    c = _client(sut)
    pipe = c.pipeline(transaction=False)
    for i in range(200000):
        pipe.execute_command("SET", "key:%d" % i, "v" * 100)
    pipe.execute()
    c.execute_command("BGSAVE")
    pid = sut.pid()
    sut.stop()  # SIGTERM: the child is killed, its temp file removed
    assert not [f for f in os.listdir(work) if f.startswith("temp-")]
    assert "Killing the running rdb child" in sut.log_text() or \
        os.path.exists(work / "dump.rdb")
    assert pid

    # A final save that cannot be written keeps the server running.
    sut.lines.append(("save", "3600 1"))
    sut.write_config(sut.lines)
    for f in os.listdir(work):
        os.unlink(work / f)
    sut.start()
    r = make_client(sut, "plain")
    r.set("a", "1")
    os.rmdir(work)
    with pytest.raises(Exception) as e:
        r.execute_command("SHUTDOWN")
    assert "Errors trying to SHUTDOWN" in str(e.value)
    assert r.get("a") == "1"
    with pytest.raises(Exception):
        r.execute_command("SHUTDOWN", "NOSAVE")
    assert wait_until(lambda: not sut.is_running(), 10)
    os.makedirs(work)
