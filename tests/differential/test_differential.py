"""Differential test: the same seeded random command sequence sent to Debian's
redis-server 7.0 and to sealkv-server, replies compared one by one.

    /usr/bin/python3 -m pytest -q tests/differential            # bin/sealkv-server
    SEALKV_BIN=/path/to/dir /usr/bin/python3 -m pytest -q tests/differential
    DIFF_SEEDS=7,8 DIFF_TLS_SEEDS=9 DIFF_COMMANDS=5000 ...       # other runs
    DIFF_UNSPECIFIED=1 ... # also where Redis's result is unspecified (gen.py)

Defaults: seeds 1, 2, 3 over plain TCP and seed 4 over TLS, 50,000 commands
each (a few seconds in all, also under ASan).

Families (gen.FAMILIES) are chosen at run start from COMMAND INFO on sealkv:
a family runs only if sealkv has every one of its commands; the others are
listed as NOT COVERED in the summary, and the core families (strings, keys,
lists, hashes, sets, sorted sets) must be there or the test fails.

Both servers get the same small encoding thresholds (CONFIG SET) so the
compact/hashtable conversions happen within a few elements. Commands go in
pipelined batches; a reply that differs is reported with the seed, its index,
the command and both replies (rules.py says which commands are compared
loosely and why; all others exactly, error strings included). After a
mismatch both keyspaces are flushed so one bug does not hide the next (the
rest of that batch is not compared: it may only echo the first difference);
up to MAX_MISMATCHES per seed are listed. At the end of each seed the whole
keyspace of both servers is compared too.

Reproduce a command sequence with `python3 tests/differential/gen.py SEED N
FAMILY...` (the families are printed in the summary).
"""

import os
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, HERE)

import coverage_state  # noqa: E402
import gen  # noqa: E402
import rules  # noqa: E402
from helpers import Certs, RawConn, ServerProcess, encode_command, report_health  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"
SEALKV_BIN = os.path.abspath(os.environ.get("SEALKV_BIN", os.path.join(REPO, "bin")))
COMMANDS = int(os.environ.get("DIFF_COMMANDS", "50000"))
SEEDS = [int(s) for s in os.environ.get("DIFF_SEEDS", "1,2,3").split(",") if s]
TLS_SEEDS = [int(s) for s in os.environ.get("DIFF_TLS_SEEDS", "4").split(",") if s]
# 1: also commands whose result Redis leaves unspecified: lex ranges over
# mixed scores, geo commands on arbitrary scores (gen.Gen.lexkey, geokey).
UNSPECIFIED = os.environ.get("DIFF_UNSPECIFIED") == "1"
BATCH = 200
MAX_MISMATCHES = 25
REPLY_TIMEOUT = 30.0

# Small thresholds, identical on both servers, so encodings convert often.
THRESHOLDS = [("hash-max-listpack-entries", "8"), ("hash-max-listpack-value", "16"),
              ("set-max-intset-entries", "8"), ("zset-max-listpack-entries", "8"),
              ("zset-max-listpack-value", "16"), ("list-max-listpack-size", "4")]
# Only when the family runs (the directive may not exist before it does).
FAMILY_THRESHOLDS = {"streams": [("stream-node-max-entries", "4")],
                     "hyperloglog": [("hll-sparse-max-bytes", "300")]}


class _Target:
    def __init__(self, name, binary, extra):
        self.name, self.binary, self.extra_directives = name, binary, extra


REDIS = _Target("redis", REDIS_SERVER, [("save", ""), ("appendonly", "no")])
SEALKV = _Target("sealkv", os.path.join(SEALKV_BIN, "sealkv-server"), [("save", "")])


class Conn(RawConn):
    """RawConn whose replies keep their RESP type: ("+", text) for a status,
    ("-", text) for an error, so a bulk "OK" never equals a status OK."""

    def read_reply(self):
        line = self.readline()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return (kind.decode(), rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.read_exact(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        raise AssertionError("unexpected reply line %r" % line)

    def run(self, cmds):
        self.send(b"".join(encode_command(*c) for c in cmds))
        return [self.read_reply() for _ in cmds]


def _show(x, limit=300):
    s = repr(x)
    return s if len(s) <= limit else s[:limit] + "...(%d chars)" % len(s)


def _fmt_cmd(cmd):
    return " ".join(repr(a) if isinstance(a, bytes) or " " in a or not a else a for a in cmd)


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return Certs(str(tmp_path_factory.mktemp("diff-certs")))


@pytest.fixture(scope="module")
def servers(certs, tmp_path_factory):
    if not os.access(SEALKV.binary, os.X_OK):
        pytest.fail("sealkv-server not found: %s (set SEALKV_BIN)" % SEALKV.binary)
    started = []
    rules.SERVERS_STARTED = time.monotonic()
    try:
        for target in (REDIS, SEALKV):
            srv = ServerProcess(target, str(tmp_path_factory.mktemp("diff-" + target.name)),
                                certs=certs, plain=True, tls=True, name=target.name)
            srv.start()
            started.append(srv)
        yield started[0], started[1]
    finally:
        for srv in started:
            srv.stop()
    report_health(started)


def _missing_commands(conn, names):
    replies = conn.run([["COMMAND", "INFO"] + names])[0]
    if not isinstance(replies, list):
        raise AssertionError("COMMAND INFO failed: %r" % (replies,))
    return [n for n, r in zip(names, replies) if r is None]


@pytest.fixture(scope="module")
def families(servers):
    """Families sealkv fully has (checked against redis too), in gen's order."""
    redis_srv, sealkv_srv = servers
    covered, missing = [], {}
    conns = [Conn.plain(s.port, timeout=REPLY_TIMEOUT) for s in servers]
    try:
        for fam, names in gen.FAMILIES.items():
            ref_missing = _missing_commands(conns[0], names)
            assert not ref_missing, "redis-server lacks %s (generator bug)" % ref_missing
            lacking = _missing_commands(conns[1], names)
            if lacking:
                missing[fam] = lacking
            else:
                covered.append(fam)
    finally:
        for c in conns:
            c.close()
    st = coverage_state.STATE
    st.update(checked=True, covered=covered, missing=missing)
    return covered


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------

def _connect(srv, mode):
    if mode == "tls":
        return Conn.tls(srv.tls_port, srv.certs, timeout=REPLY_TIMEOUT)
    return Conn.plain(srv.port, timeout=REPLY_TIMEOUT)


def _setup(conns, fams):
    settings = list(THRESHOLDS)
    for fam in fams:
        settings += FAMILY_THRESHOLDS.get(fam, [])
    for conn, name in zip(conns, ("redis", "sealkv")):
        cmds = [["SELECT", "0"], ["FLUSHALL"]] + [["CONFIG", "SET", k, v] for k, v in settings]
        for cmd, reply in zip(cmds, conn.run(cmds)):
            assert reply == ("+", b"OK"), "%s: %s -> %r" % (name, _fmt_cmd(cmd), reply)


def _reconcile_spop(conns, cmd, ra, rb):
    """SPOP removed different random members on each side: remove on each
    side what the other popped, so both hold the same set again."""
    if len(cmd) < 2 or rules.is_err(ra) or rules.is_err(rb):
        return
    key = cmd[1]

    def members(r):
        if isinstance(r, list):
            return r
        return [r] if isinstance(r, bytes) else []
    pa, pb = members(ra), members(rb)
    if pb:
        conns[0].run([["SREM", key] + pb])
    if pa:
        conns[1].run([["SREM", key] + pa])


def _batches(cmds):
    """Index ranges of at most BATCH commands; a DIVERGING command ends its
    batch so its fix-up runs before anything reads the key, and a BATCH_FIRST
    command starts one."""
    start = 0
    for i, cmd in enumerate(cmds):
        name = cmd[0].upper()
        if name in gen.BATCH_FIRST and i > start:
            yield start, i
            start = i
        if name in gen.DIVERGING or i - start + 1 >= BATCH:
            yield start, i + 1
            start = i + 1
    if start < len(cmds):
        yield start, len(cmds)


def _scrub_errno(srv):
    """One PING on a new connection: redis-server's accept loop ends with
    EAGAIN, clearing the errno its SORT would otherwise read (gen.BATCH_FIRST)."""
    conn = Conn.plain(srv.port, timeout=REPLY_TIMEOUT)
    try:
        reply = conn.run([["PING"]])[0]
        assert reply == ("+", b"PONG"), "PING -> %r" % (reply,)
    finally:
        conn.close()


def _with_probes(cmds, lo, hi):
    """cmds[lo:hi] with an OBJECT ENCODING probe before each command whose
    order is defined only for compact encodings (rules.ORDERED_WHEN_COMPACT);
    returns the commands to send and, for each, its index in cmds (None for a
    probe)."""
    out, idx = [], []
    for i in range(lo, hi):
        cmd = cmds[i]
        if cmd[0].upper() in rules.ORDERED_WHEN_COMPACT and len(cmd) >= 2:
            out.append(["OBJECT", "ENCODING", cmd[1]])
            idx.append(None)
        out.append(cmd)
        idx.append(i)
    return out, idx


def _dump_keyspace(conn):
    """Every key of db 0 and db 1 with its type and whole content, normalized
    (hashtable orders sorted), for the end-of-seed comparison."""
    out = {}
    for db in ("0", "1"):
        conn.run([["SELECT", db]])
        keys = sorted(conn.run([["KEYS", "*"]])[0])
        types = conn.run([["TYPE", k] for k in keys])
        reads = []
        for k, t in zip(keys, types):
            t = t[1].decode() if isinstance(t, tuple) else repr(t)
            reads.append({"string": ["GET", k], "list": ["LRANGE", k, "0", "-1"],
                          "hash": ["HGETALL", k], "set": ["SMEMBERS", k],
                          "zset": ["ZRANGE", k, "0", "-1", "WITHSCORES"],
                          "stream": ["XRANGE", k, "-", "+"]}.get(t, ["TYPE", k]))
        values = conn.run(reads) if reads else []
        for k, cmd, v in zip(keys, reads, values):
            if cmd[0] == "SMEMBERS":
                v = sorted(v)
            elif cmd[0] == "HGETALL":
                v = sorted(zip(v[0::2], v[1::2]))
            out[(db, k)] = (cmd[0], v)
    conn.run([["SELECT", "0"]])
    return out


def _check_alive(servers, where):
    for srv in servers:
        if not srv.is_running():
            pytest.fail("%s died %s\n%s" % (srv.name, where, srv.log_tail(40)))


def run_seed(servers, fams, seed, mode):
    cmds = gen.generate(seed, COMMANDS, fams, UNSPECIFIED)
    conns = [_connect(s, mode) for s in servers]
    mismatches = []
    compared = 0
    t0 = time.monotonic()
    try:
        _setup(conns, fams)
        for lo, hi in _batches(cmds):
            if cmds[lo][0].upper() in gen.BATCH_FIRST:
                for srv in servers:  # both alike (SEALKV_BIN may hold a redis)
                    _scrub_errno(srv)
            batch, idx = _with_probes(cmds, lo, hi)
            conns[0].send(b"".join(encode_command(*c) for c in batch))
            conns[1].send(b"".join(encode_command(*c) for c in batch))
            try:
                ra = [conns[0].read_reply() for _ in batch]
                rb = [conns[1].read_reply() for _ in batch]
            except Exception as e:  # a dead server or a desynchronized stream
                _check_alive(servers, "during commands %d..%d of seed %d" % (lo, hi - 1, seed))
                raise AssertionError("seed %d: reading replies of commands %d..%d: %r"
                                     % (seed, lo, hi - 1, e))
            first_bad, enc = None, None
            for i, (cmd, a, b) in enumerate(zip(batch, ra, rb)):
                if idx[i] is None:  # a probe: compared exactly, kept for the next rule
                    why, enc = rules.compare(cmd, a, b), a
                else:
                    compared += 1
                    why, enc = rules.compare(cmd, a, b, enc), None
                if why:
                    first_bad = i
                    where = "#%d" % idx[i] if idx[i] is not None else \
                        "probe before #%d" % idx[i + 1]
                    mismatches.append("seed %d %s (%s): %s\n    redis:  %s\n    sealkv: %s"
                                      % (seed, where, why, _fmt_cmd(cmd), _show(a), _show(b)))
                    break
            if first_bad is not None:
                # Later replies of the batch may only echo the first difference.
                if len(mismatches) >= MAX_MISMATCHES:
                    break
                for c in conns:
                    c.run([["SELECT", "0"], ["FLUSHALL"]])
                continue
            last = batch[-1]
            if last[0].upper() in gen.DIVERGING:
                _reconcile_spop(conns, last, ra[-1], rb[-1])
        _check_alive(servers, "after seed %d" % seed)
        if not mismatches:
            da, db = _dump_keyspace(conns[0]), _dump_keyspace(conns[1])
            for k in sorted(set(da) | set(db)):
                if da.get(k) != db.get(k):
                    mismatches.append("seed %d end state, db %s key %s\n    redis:  %s\n"
                                      "    sealkv: %s" % (seed, k[0], k[1], _show(da.get(k)),
                                                          _show(db.get(k))))
                    if len(mismatches) >= MAX_MISMATCHES:
                        break
    finally:
        for c in conns:
            c.close()
    elapsed = time.monotonic() - t0
    coverage_state.STATE["runs"].append(
        "seed %d over %s: %d commands, %d compared, in %.2f s, %d mismatch(es)"
        % (seed, mode, len(cmds), compared, elapsed, len(mismatches)))
    return cmds, mismatches


def test_core_families_present(families):
    missing = [f for f in gen.CORE if f not in families]
    st = coverage_state.STATE
    assert not missing, "core families missing on sealkv: %s" % {
        f: st["missing"][f] for f in missing}


@pytest.mark.parametrize("seed,mode", [(s, "plain") for s in SEEDS]
                         + [(s, "tls") for s in TLS_SEEDS])
def test_same_replies(servers, families, seed, mode):
    fams = [f for f in families]
    cmds, mismatches = run_seed(servers, fams, seed, mode)
    assert not mismatches, (
        "%d mismatch(es), seed %d over %s, families %s (reproduce the commands with "
        "`python3 tests/differential/gen.py %d %d %s`):\n%s"
        % (len(mismatches), seed, mode, ",".join(fams), seed, len(cmds), " ".join(fams),
           "\n".join(mismatches)))
